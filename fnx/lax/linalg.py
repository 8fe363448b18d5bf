"""dot_general: contraction with batch dimensions (matmul, einsum, tensordot lower to it)."""
from __future__ import annotations

from .. import dtypes
from ..core import Primitive, ShapedArray, bind
from ..errors import dtype_error, shape_error
from ._util import as_int_tuple, as_operands, check_same_dtypes

dot_general_p = Primitive("dot_general")

_DOT_DTYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64)


def _check_dims(lhs, rhs, dimension_numbers):
    (lc, rc), (lb, rb) = dimension_numbers
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise shape_error("dot_general", f"dimension_numbers {dimension_numbers}: contracting "
                          "and batch dimension lists must pair up", lhs, rhs)
    for dims, x in ((lc + lb, lhs), (rc + rb, rhs)):
        if len(set(dims)) != len(dims) or any(not 0 <= d < x.ndim for d in dims):
            raise shape_error("dot_general", f"dimension_numbers {dimension_numbers} repeat or "
                              "exceed the operand's axes", lhs, rhs)
    for a, b in zip(lc + lb, rc + rb):
        if lhs.shape[a] != rhs.shape[b]:
            raise shape_error("dot_general", f"dimension {a} of lhs (size {lhs.shape[a]}) does not "
                              f"match dimension {b} of rhs (size {rhs.shape[b]}) in "
                              f"dimension_numbers {dimension_numbers}", lhs, rhs)


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


def dot_general(lhs, rhs, dimension_numbers, preferred_element_type=None):
    """General tensor contraction.  ``dimension_numbers = ((lhs_contract, rhs_contract),
    (lhs_batch, rhs_batch))``; the output is batch dims, then lhs free dims, then rhs free dims."""
    lhs, rhs = as_operands(lhs, rhs)
    (lc, rc), (lb, rb) = dimension_numbers
    dn = ((as_int_tuple(lc, "dot_general", "contracting dims"),
           as_int_tuple(rc, "dot_general", "contracting dims")),
          (as_int_tuple(lb, "dot_general", "batch dims"),
           as_int_tuple(rb, "dot_general", "batch dims")))
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
