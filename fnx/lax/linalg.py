"""dot_general: contraction with batch dimensions (matmul, einsum, tensordot lower to it)."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..core import Fusion, Primitive, ShapedArray, bind
from ..interpreters import ad, batching
from ..errors import dtype_error, shape_error
from ._util import as_int_tuple, as_operands, check_same_dtypes
from .shape import _linear_transpose, transpose

dot_general_p = Primitive("dot_general", fusion=Fusion.LIBRARY)

_DOT_DTYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64)


_DN_FORM = "((lhs_contract, rhs_contract), (lhs_batch, rhs_batch))"


def _check_dims(lhs, rhs, dimension_numbers):
    (lc, rc), (lb, rb) = dimension_numbers
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise shape_error("dot_general", f"dimension_numbers {dimension_numbers}: contracting "
                          "and batch dimension lists must pair up", lhs, rhs)
    for side, (contract, batch), x in (("lhs", (lc, lb), lhs), ("rhs", (rc, rb), rhs)):
        for kind, dims in (("contracting", contract), ("batch", batch)):
            for d in dims:
                if not 0 <= d < x.ndim:
                    raise shape_error("dot_general", f"{side} {kind} dimension {d} is out of "
                                      f"range for the {side} of rank {x.ndim} (dimension_numbers "
                                      f"{dimension_numbers})", lhs, rhs)
        if len(set(contract + batch)) != len(contract + batch):
            raise shape_error("dot_general", f"dimension_numbers {dimension_numbers} repeat a "
                              f"dimension of the {side}", lhs, rhs)
    for kind, pairs in (("contracting", zip(lc, rc)), ("batch", zip(lb, rb))):
        for a, b in pairs:
            if lhs.shape[a] != rhs.shape[b]:
                raise shape_error("dot_general", f"{kind} dimension {a} of lhs (size "
                                  f"{lhs.shape[a]}) does not match dimension {b} of rhs (size "
                                  f"{rhs.shape[b]}) in dimension_numbers {dimension_numbers}",
                                  lhs, rhs)


def _dimension_numbers(dimension_numbers):
    """``dimension_numbers`` as tuples of ints, or a TypeError showing the expected form (a
    bare ``(lhs_contract, rhs_contract)`` pair, without the batch part, is a common slip)."""
    def pair(x):
        return isinstance(x, (tuple, list)) and len(x) == 2

    def axes(x):
        return isinstance(x, (tuple, list, np.ndarray))
    if not (pair(dimension_numbers) and all(pair(p) for p in dimension_numbers) and all(
            axes(d) for p in dimension_numbers for d in p)):
        raise TypeError(f"dot_general: dimension_numbers must have the form {_DN_FORM} (each a "
                        f"sequence of axes), got {dimension_numbers!r}")
    (lc, rc), (lb, rb) = dimension_numbers
    return ((as_int_tuple(lc, "dot_general", "contracting dims"),
             as_int_tuple(rc, "dot_general", "contracting dims")),
            (as_int_tuple(lb, "dot_general", "batch dims"),
             as_int_tuple(rb, "dot_general", "batch dims")))


@dot_general_p.def_abstract_eval
def _dot_general_abstract_eval(lhs, rhs, *, dimension_numbers, preferred_element_type):
    check_same_dtypes("dot_general", lhs, rhs)
    if lhs.dtype not in _DOT_DTYPES:
        raise dtype_error("dot_general", "supports float32, float64, int32 and int64", lhs, rhs)
    _check_dims(lhs, rhs, dimension_numbers)
    (lc, rc), (lb, rb) = dimension_numbers
    batch = [lhs.shape[d] for d in lb]
    lfree = [d for i, d in enumerate(lhs.shape) if i not in lc and i not in lb]
    rfree = [d for i, d in enumerate(rhs.shape) if i not in rc and i not in rb]
    out_dtype = preferred_element_type or lhs.dtype
    return ShapedArray(batch + lfree + rfree, out_dtype, lhs.weak_type and rhs.weak_type)


# Bilinear: d(lhs . rhs) = t_lhs . rhs + lhs . t_rhs.
ad.defjvp(dot_general_p,
          lambda g, lhs, rhs, **params: bind(dot_general_p, g, rhs, **params),
          lambda g, lhs, rhs, **params: bind(dot_general_p, lhs, g, **params))


def _free_dims(ndim, contract, batch):
    return [i for i in range(ndim) if i not in contract and i not in batch]


def _dot_transpose_operand(ct, x_aval, y, x_contract, y_contract, x_batch, y_batch, x_first,
                           preferred_element_type):
    """Cotangent of operand x of ``out = dot_general(x, y)`` (or ``(y, x)`` if not x_first).

    ``ct`` has axes batch + (x free) + (y free), with x's free axes first iff x_first.
    Contracting ct's y-free axes with y's free axes (batching over the batch axes) gives
    batch + (x free) + (y contract axes in increasing order) = x's axes in the order
    x_batch + x_free + x_contract[argsort(y_contract)]; a transpose restores x's order."""
    y_ndim = len(y.aval.shape) if ad.is_undefined(y) else y.ndim
    x_free = _free_dims(len(x_aval.shape), x_contract, x_batch)
    y_free = _free_dims(y_ndim, y_contract, y_batch)
    nb = len(x_batch)
    if x_first:
        ct_y_free = list(range(nb + len(x_free), nb + len(x_free) + len(y_free)))
    else:
        ct_y_free = list(range(nb, nb + len(y_free)))
    dims = ((tuple(ct_y_free), tuple(y_free)), (tuple(range(nb)), tuple(y_batch)))
    out = bind(dot_general_p, ct, y, dimension_numbers=dims,
               preferred_element_type=preferred_element_type)
    x_contract_by_y = [x_contract[i] for i in np.argsort(y_contract, kind="stable")]
    order = list(x_batch) + x_free + x_contract_by_y
    return transpose(out, tuple(int(i) for i in np.argsort(order)))


@_linear_transpose
def _dot_general_transpose_rule(ct, lhs, rhs, *, dimension_numbers, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    ct_lhs = ct_rhs = None
    if ad.is_undefined(lhs) and ad.is_undefined(rhs):
        raise NotImplementedError("dot_general is bilinear, not linear: cannot transpose it "
                                  "with respect to both operands at once")
    if ad.is_undefined(lhs):
        ct_lhs = _dot_transpose_operand(ct, lhs.aval, rhs, lc, rc, lb, rb, True,
                                        preferred_element_type)
    if ad.is_undefined(rhs):
        ct_rhs = _dot_transpose_operand(ct, rhs.aval, lhs, rc, lc, rb, lb, False,
                                        preferred_element_type)
    return [ct_lhs, ct_rhs]


ad.deftranspose(dot_general_p, _dot_general_transpose_rule)


def _dot_general_batching_rule(axis_size, args, dims, *, dimension_numbers,
                               preferred_element_type):
    """Both operands batched: a new leading batch dimension.  One batched: its batch axis is a
    free dimension, which the output keeps (output order: batch, lhs free, rhs free)."""
    (lhs, rhs), (ld, rd) = args, dims
    (lc, rc), (lb, rb) = dimension_numbers
    if ld is not None and rd is not None:
        lhs, rhs = batching.moveaxis(lhs, ld, 0), batching.moveaxis(rhs, rd, 0)
        up = lambda axes: tuple(a + 1 for a in axes)  # noqa: E731
        dn = ((up(lc), up(rc)), ((0,) + up(lb), (0,) + up(rb)))
        out_dim = 0
    elif ld is not None:
        dn = ((batching.shift_axes(lc, ld), rc), (batching.shift_axes(lb, ld), rb))
        lfree = _free_dims(lhs.ndim, dn[0][0], dn[1][0])
        out_dim = len(lb) + lfree.index(ld)
    else:
        dn = ((lc, batching.shift_axes(rc, rd)), (lb, batching.shift_axes(rb, rd)))
        n_lfree = lhs.ndim - len(lc) - len(lb)
        rfree = _free_dims(rhs.ndim, dn[0][1], dn[1][1])
        out_dim = len(lb) + n_lfree + rfree.index(rd)
    return bind(dot_general_p, lhs, rhs, dimension_numbers=dn,
                preferred_element_type=preferred_element_type), out_dim


batching.batching_rules[dot_general_p] = _dot_general_batching_rule


def dot_general(lhs, rhs, dimension_numbers, preferred_element_type=None):
    """General tensor contraction.  ``dimension_numbers = ((lhs_contract, rhs_contract),
    (lhs_batch, rhs_batch))``; the output is batch dims, then lhs free dims, then rhs free dims."""
    lhs, rhs = as_operands(lhs, rhs)
    dn = _dimension_numbers(dimension_numbers)
    if preferred_element_type is not None:
        preferred_element_type = dtypes.canonicalize(preferred_element_type)
        if preferred_element_type == lhs.dtype:
            preferred_element_type = None
        elif preferred_element_type is not None:
            raise dtype_error("dot_general", "preferred_element_type different from the operand "
                              "dtype is not supported yet", lhs, rhs)
    return bind(dot_general_p, lhs, rhs, dimension_numbers=dn,
                preferred_element_type=preferred_element_type)


def dot(lhs, rhs):
    """Vector/matrix dot product (lax.dot): contracts the last axis of lhs with the first of rhs."""
    lhs, rhs = as_operands(lhs, rhs)
    if lhs.ndim not in (1, 2) or rhs.ndim not in (1, 2):
        raise shape_error("dot", "operands must be vectors or matrices", lhs, rhs)
    return dot_general(lhs, rhs, (((lhs.ndim - 1,), (0,)), ((), ())))
