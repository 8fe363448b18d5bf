"""Products: matmul, dot, vdot, inner, outer, tensordot, einsum, kron and cross.

Every contraction is one ``lax.dot_general`` (batch dims + contracting dims).  ``einsum``
contracts its operands pairwise in a greedy order (always the pair whose result is smallest),
each pair in ONE dot_general; repeated indices inside one operand become a strided-slice
diagonal and indices that only one operand carries are summed out first.

dot_general computes in float32/float64/int32/int64/complex64/complex128; int8/uint8 (uint32)
operands are computed in int32 (int64) and cast back (numpy's wrap-around result); bool operands
are an error.  ``vdot`` and ``vecdot`` conjugate their first (complex) operand, as numpy.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import dtypes, lax
from ..core import Array, ArrayBase
from ..errors import DTypeError, ShapeError
from ..lax._precision import canonicalize_precision, check_preferred_element_type
from ._complex import conjugate
from ._util import (asarray_arg, broadcast_shapes_named, broadcast_to_shape, canonical_axis,
                    promote_dtypes, to_dtype)
from ._ufuncs import multiply

_COMPUTE = {dtypes.int8: dtypes.int32, dtypes.uint8: dtypes.int32, dtypes.uint32: dtypes.int64}


def _prep(name, *xs, precision=None, preferred_element_type=None):
    """The operands promoted together and converted to the dtype the contraction computes in,
    and the result dtype.  ``preferred_element_type`` (checked against the promoted dtype as
    lax does) is the result dtype and the products are formed in it; ``precision`` is only
    checked (``fnx.lax._precision``: fnx always computes at full precision)."""
    xs = [asarray_arg(name, x) for x in xs]
    _, dt, weak = promote_dtypes(name, *xs)
    if dt == dtypes.bool_:
        raise DTypeError(f"{name}: bool operands are not supported (dot products need a numeric "
                         "dtype; cast with .astype(int) or .astype(float))")
    canonicalize_precision(precision, name)
    if preferred_element_type is not None:
        dt = check_preferred_element_type(name, dt, preferred_element_type)
        weak = False
    cdt = _COMPUTE.get(dt, dt)
    return [to_dtype(x, cdt, weak) for x in xs], dt


def _finish(out, dt):
    return to_dtype(out, dt) if out.dtype != dt else out


_MATMUL_2D = (((1,), (0,)), ((), ()))
_FAST_DTYPES = frozenset((dtypes.float32, dtypes.float64))


def matmul(a, b, /, *, precision=None, preferred_element_type=None):
    """Matrix product with numpy's rules: batch dims broadcast, 1-d operands are promoted to
    matrices and the added dim removed.  ``a @ b``"""
    if (precision is None and preferred_element_type is None and type(a) is Array and type(b) is Array and a.ndim == 2 and b.ndim == 2
            and a.dtype == b.dtype and a.dtype in _FAST_DTYPES and not a.weak_type
            and not b.weak_type and a.shape[1] == b.shape[0]):
        # eager 2-d floats of one dtype: what the general path below binds, minus its checks
        return lax.dot_general_p.bind(a, b, dimension_numbers=_MATMUL_2D,
                                      preferred_element_type=None)
    (a, b), dt = _prep("matmul", a, b, precision=precision,
                       preferred_element_type=preferred_element_type)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: input operand does not have enough dimensions (0-d)")
    a_vec, b_vec = a.ndim == 1, b.ndim == 1
    if a_vec:
        a = lax.reshape(a, (1, a.shape[0]))
    if b_vec:
        b = lax.reshape(b, (b.shape[0], 1))
    if a.shape[-1] != b.shape[-2]:
        raise ShapeError(f"matmul: input operand 1 has a mismatch in its core dimension 0 "
                         f"(size {b.shape[-2]} is different from {a.shape[-1]}); shapes "
                         f"{tuple(a.shape)} {tuple(b.shape)}")
    if b.ndim == 2:
        out = lax.dot_general(a, b, (((a.ndim - 1,), (0,)), ((), ())))
    elif a.ndim == 2:
        out = lax.dot_general(a, b, (((1,), (b.ndim - 2,)), ((), ())))
        # (n, batch..., m) -> (batch..., n, m)
        nb = b.ndim - 2
        out = lax.transpose(out, tuple(range(1, nb + 1)) + (0, nb + 1))
    else:
        batch = broadcast_shapes_named("matmul", tuple(a.shape[:-2]), tuple(b.shape[:-2]))
        a = broadcast_to_shape(a, batch + tuple(a.shape[-2:]))
        b = broadcast_to_shape(b, batch + tuple(b.shape[-2:]))
        nb = len(batch)
        bd = tuple(range(nb))
        out = lax.dot_general(a, b, (((nb + 1,), (nb,)), (bd, bd)))
    if a_vec and b_vec:
        out = lax.reshape(out, tuple(out.shape[:-2]))
    elif a_vec:
        out = lax.reshape(out, tuple(out.shape[:-2]) + (out.shape[-1],))
    elif b_vec:
        out = lax.reshape(out, tuple(out.shape[:-1]))
    return _finish(out, dt)


def dot(a, b, *, precision=None, preferred_element_type=None):
    """numpy's dot: 0-d -> multiply; N-d x M-d contracts a's last axis with b's second to last
    (b's only axis when 1-d)."""
    a0 = asarray_arg("dot", a)
    b0 = asarray_arg("dot", b)
    if a0.ndim == 0 or b0.ndim == 0:
        return _scalar_product("dot", a0, b0, precision, preferred_element_type)
    (a, b), dt = _prep("dot", a0, b0, precision=precision,
                       preferred_element_type=preferred_element_type)
    bc = 0 if b.ndim == 1 else b.ndim - 2
    if a.shape[-1] != b.shape[bc]:
        raise ShapeError(f"dot: shapes {tuple(a.shape)} and {tuple(b.shape)} not aligned: "
                         f"{a.shape[-1]} (dim {a.ndim - 1}) != {b.shape[bc]} (dim {bc})")
    return _finish(lax.dot_general(a, b, (((a.ndim - 1,), (bc,)), ((), ()))), dt)


def _scalar_product(name, a, b, precision, preferred_element_type):
    """A product with a 0-d operand: a multiply, in ``preferred_element_type`` when given."""
    if precision is None and preferred_element_type is None:
        return multiply(a, b)
    (a, b), dt = _prep(name, a, b, precision=precision,
                       preferred_element_type=preferred_element_type)
    return _finish(multiply(a, b), dt)


def vdot(a, b, /, *, precision=None, preferred_element_type=None):
    """Dot product of the flattened inputs, the first one conjugated."""
    (a, b), dt = _prep("vdot", a, b, precision=precision,
                       preferred_element_type=preferred_element_type)
    a = lax.reshape(conjugate(a), (a.size,))
    b = lax.reshape(b, (b.size,))
    if a.shape != b.shape:
        raise ShapeError(f"vdot: flattened sizes differ ({a.size} vs {b.size})")
    return _finish(lax.dot_general(a, b, (((0,), (0,)), ((), ()))), dt)


def inner(a, b, /, *, precision=None, preferred_element_type=None):
    """Sum product over the last axes of a and b."""
    a0, b0 = asarray_arg("inner", a), asarray_arg("inner", b)
    if a0.ndim == 0 or b0.ndim == 0:
        return _scalar_product("inner", a0, b0, precision, preferred_element_type)
    (a, b), dt = _prep("inner", a0, b0, precision=precision,
                       preferred_element_type=preferred_element_type)
    if a.shape[-1] != b.shape[-1]:
        raise ShapeError(f"inner: shapes {tuple(a.shape)} and {tuple(b.shape)} differ in the "
                         "last dimension")
    return _finish(lax.dot_general(a, b, (((a.ndim - 1,), (b.ndim - 1,)), ((), ()))), dt)


def outer(a, b, out=None):
    """Outer product of the flattened inputs."""
    a = asarray_arg("outer", a)
    b = asarray_arg("outer", b)
    a = lax.reshape(a, (a.size, 1))
    b = lax.reshape(b, (1, b.size))
    return multiply(a, b)


def tensordot(a, b, axes=2, *, precision=None, preferred_element_type=None):
    """Contract ``axes`` (an int N: a's last N with b's first N; or a pair of axis lists)."""
    (a, b), dt = _prep("tensordot", a, b, precision=precision,
                       preferred_element_type=preferred_element_type)
    if isinstance(axes, (int,)) or (isinstance(axes, ArrayBase) and axes.ndim == 0):
        n = operator.index(axes)
        if n < 0 or n > min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: axes={n} out of range for shapes {tuple(a.shape)} "
                             f"{tuple(b.shape)}")
        ca = tuple(range(a.ndim - n, a.ndim))
        cb = tuple(range(n))
    else:
        xa, xb = axes
        xa = (xa,) if np.ndim(xa) == 0 else tuple(xa)
        xb = (xb,) if np.ndim(xb) == 0 else tuple(xb)
        if len(xa) != len(xb):
            raise ValueError("tensordot: the axes lists must have the same length")
        ca = tuple(canonical_axis("tensordot", i, a.ndim) for i in xa)
        cb = tuple(canonical_axis("tensordot", i, b.ndim) for i in xb)
    for i, j in zip(ca, cb):
        if a.shape[i] != b.shape[j]:
            raise ShapeError(f"tensordot: shape mismatch for sum: {tuple(a.shape)} axis {i} vs "
                             f"{tuple(b.shape)} axis {j}")
    return _finish(lax.dot_general(a, b, ((ca, cb), ((), ()))), dt)


def vecdot(x1, x2, /, *, axis=-1):
    """Dot product of vectors along ``axis`` (batch dims broadcast), x1 conjugated."""
    (a, b), dt = _prep("vecdot", x1, x2)
    a = conjugate(a)
    ia = canonical_axis("vecdot", axis, a.ndim)
    ib = canonical_axis("vecdot", axis, b.ndim)
    a = lax.transpose(a, tuple(i for i in range(a.ndim) if i != ia) + (ia,))
    b = lax.transpose(b, tuple(i for i in range(b.ndim) if i != ib) + (ib,))
    batch = broadcast_shapes_named("vecdot", tuple(a.shape[:-1]), tuple(b.shape[:-1]))
    a = broadcast_to_shape(a, batch + (a.shape[-1],))
    b = broadcast_to_shape(b, batch + (b.shape[-1],))
    nb = len(batch)
    bd = tuple(range(nb))
    return _finish(lax.dot_general(a, b, (((nb,), (nb,)), (bd, bd))), dt)


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 2- or 3-element vectors along ``axisa`` / ``axisb`` (``axis`` sets all
    three), batch dimensions broadcast; the result's vector axis is ``axisc``.  Two 2-element
    vectors give the scalar z component; a 2-element vector is (x, y, 0) against a 3-element
    one."""
    from ._manipulation import concatenate, moveaxis, stack
    from ._ufuncs import subtract
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = asarray_arg("cross", a), asarray_arg("cross", b)
    (a, b), dt = _prep("cross", a, b)  # narrow ints compute wide, then wrap back (numpy's)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"cross: operands must be at least 1-d, got shapes {tuple(a.shape)} "
                         f"and {tuple(b.shape)}")
    a = moveaxis(a, canonical_axis("cross", axisa, a.ndim), -1)
    b = moveaxis(b, canonical_axis("cross", axisb, b.ndim), -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ShapeError(f"cross: incompatible dimensions for cross product (dimension must be "
                         f"2 or 3), got vectors of {a.shape[-1]} and {b.shape[-1]} elements")
    planar = a.shape[-1] == 2 and b.shape[-1] == 2

    def components(x):
        if x.shape[-1] == 2:
            x = concatenate([x, multiply(x[..., :1], 0)], axis=-1)
        return x[..., 0], x[..., 1], x[..., 2]
    (a0, a1, a2), (b0, b1, b2) = components(a), components(b)
    z = subtract(multiply(a0, b1), multiply(a1, b0))
    if planar:
        return _finish(z, dt)
    x = subtract(multiply(a1, b2), multiply(a2, b1))
    y = subtract(multiply(a2, b0), multiply(a0, b2))
    out = _finish(stack([x, y, z], axis=-1), dt)
    return moveaxis(out, -1, canonical_axis("cross", axisc, out.ndim))


def kron(a, b):
    """Kronecker product (one broadcast multiply + reshape)."""
    a = asarray_arg("kron", a)
    b = asarray_arg("kron", b)
    nd = max(a.ndim, b.ndim)
    a = lax.reshape(a, (1,) * (nd - a.ndim) + tuple(a.shape))
    b = lax.reshape(b, (1,) * (nd - b.ndim) + tuple(b.shape))
    ai = []
    bi = []
    for da, db in zip(a.shape, b.shape):
        ai += [da, 1]
        bi += [1, db]
    prod = multiply(lax.reshape(a, tuple(ai)), lax.reshape(b, tuple(bi)))
    return lax.reshape(prod, tuple(da * db for da, db in zip(a.shape, b.shape)))


# ---------------------------------------------------------------------------------------------
# einsum
# ---------------------------------------------------------------------------------------------

def _parse_subscripts(subscripts, operands):
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        ins, out = subscripts.split("->")
        explicit = True
    else:
        ins, out, explicit = subscripts, None, False
    in_specs = ins.split(",")
    if len(in_specs) != len(operands):
        raise ValueError(f"einsum: {len(in_specs)} operand subscripts for {len(operands)} "
                         "operands")
    labels_per_op = []
    max_ell = 0
    for spec, op in zip(in_specs, operands):
        labels = _labels(spec, op.ndim, "einsum")
        labels_per_op.append(labels)
        max_ell = max(max_ell, sum(1 for lab in labels if isinstance(lab, tuple)))
    if explicit:
        if "." in out and "..." not in out:
            raise ValueError("einsum: invalid '.' in the output subscripts")
        out_labels = _labels(out, None, "einsum", max_ell)
    else:
        counts = {}
        for labels in labels_per_op:
            for lab in labels:
                if not isinstance(lab, tuple):
                    counts[lab] = counts.get(lab, 0) + 1
        ell = [("...", k) for k in range(max_ell - 1, -1, -1)]
        out_labels = ell + sorted(lab for lab, c in counts.items() if c == 1)
    return labels_per_op, out_labels


def _labels(spec, ndim, name, n_ell=None):
    """Labels of one operand: letters, and ("...", k) for the k-th ellipsis dim from the right."""
    if "..." in spec:
        before, after = spec.split("...")
        if "." in before or "." in after:
            raise ValueError(f"{name}: invalid subscripts {spec!r}")
        n = (ndim - len(before) - len(after)) if ndim is not None else n_ell
        if n < 0:
            raise ValueError(f"{name}: subscripts {spec!r} have more indices than the operand "
                             f"has dimensions ({ndim})")
        ell = [("...", k) for k in range(n - 1, -1, -1)]
        labels = list(before) + ell + list(after)
    else:
        labels = list(spec)
        if ndim is not None and len(labels) != ndim:
            raise ValueError(f"{name}: subscripts {spec!r} do not match an operand with {ndim} "
                             "dimensions")
    for lab in labels:
        if isinstance(lab, str) and not lab.isalpha():
            raise ValueError(f"{name}: invalid subscript character {lab!r}")
    return labels


def _take_diagonal(x, labels):
    """Collapse repeated labels of one operand to their diagonal."""
    from ._selection import diagonal
    while True:
        seen = {}
        pair = None
        for i, lab in enumerate(labels):
            if lab in seen:
                pair = (seen[lab], i)
                break
            seen[lab] = i
        if pair is None:
            return x, labels
        i, j = pair
        if x.shape[i] != x.shape[j]:
            raise ShapeError(f"einsum: repeated index {labels[i]!r} has dimensions of different "
                             f"sizes {x.shape[i]} and {x.shape[j]}")
        lab = labels[i]
        x = diagonal(x, 0, i, j)
        labels = [lb for k, lb in enumerate(labels) if k not in (i, j)] + [lab]


def _sum_lonely(x, labels, keep):
    """Sum out labels that no other operand and not the output needs."""
    axes = tuple(i for i, lab in enumerate(labels) if lab not in keep)
    if not axes:
        return x, labels
    return lax.reduce_sum(x, axes), [lab for i, lab in enumerate(labels) if i not in axes]


def _contract_pair(x, lx, y, ly, keep):
    """One dot_general for the pair; returns (result, labels)."""
    shared = [lab for lab in lx if lab in ly]
    batch = [lab for lab in shared if lab in keep]
    contract = [lab for lab in shared if lab not in keep]
    dn = (([lx.index(lab) for lab in contract], [ly.index(lab) for lab in contract]),
          ([lx.index(lab) for lab in batch], [ly.index(lab) for lab in batch]))
    out = lax.dot_general(x, y, dn)
    fx = [lab for lab in lx if lab not in shared]
    fy = [lab for lab in ly if lab not in shared]
    return out, batch + fx + fy


def einsum(subscripts, *operands, out=None, optimize="greedy", precision=None,
           preferred_element_type=None):
    """Einstein summation, e.g. ``einsum("bij,bjk->bik", a, b)``; implicit outputs, ``...``,
    repeated indices (diagonals) and summed-only indices are supported.  Pairwise contraction
    in a greedy order, each pair one ``lax.dot_general``."""
    if out is not None:
        raise NotImplementedError("einsum: out= is not supported")
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved_to_subscripts(subscripts, operands)
    ops, dt = _prep("einsum", *operands, precision=precision,
                    preferred_element_type=preferred_element_type)
    labels_per_op, out_labels = _parse_subscripts(subscripts, ops)
    if len(set(out_labels)) != len(out_labels):
        raise ValueError(f"einsum: output subscript {subscripts!r} repeats an index")
    # sizes (size-1 dims broadcast against the others)
    sizes = {}
    for x, labels in zip(ops, labels_per_op):
        for d, lab in zip(x.shape, labels):
            if lab in sizes and sizes[lab] != d and d != 1 and sizes[lab] != 1:
                raise ShapeError(f"einsum: index {lab!r} has inconsistent sizes "
                                 f"{sizes[lab]} and {d} in {subscripts!r}")
            sizes[lab] = d if lab not in sizes or sizes[lab] == 1 else sizes[lab]
    for lab in out_labels:
        if lab not in sizes:
            raise ValueError(f"einsum: output index {lab!r} does not appear in the inputs")
    items = []
    for x, labels in zip(ops, labels_per_op):
        # drop size-1 dims that broadcast against a larger size elsewhere
        drop = [i for i, (d, lab) in enumerate(zip(x.shape, labels)) if d == 1 and sizes[lab] != 1]
        if drop:
            x = lax.reshape(x, tuple(d for i, d in enumerate(x.shape) if i not in drop))
            labels = [lab for i, lab in enumerate(labels) if i not in drop]
        x, labels = _take_diagonal(x, labels)
        items.append((x, labels))
    out_set = set(out_labels)
    for k in range(len(items)):
        others = set(out_set)
        for m, (_, lb) in enumerate(items):
            if m != k:
                others.update(lb)
        items[k] = _sum_lonely(items[k][0], items[k][1], others)
    while len(items) > 1:
        best = None
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                keep = set(out_set)
                for m, (_, lb) in enumerate(items):
                    if m not in (i, j):
                        keep.update(lb)
                li, lj = items[i][1], items[j][1]
                res = [lab for lab in dict.fromkeys(li + lj) if lab in keep]
                cost = math.prod(sizes[lab] for lab in res)
                if best is None or cost < best[0]:
                    best = (cost, i, j, keep)
        _, i, j, keep = best
        (x, lx), (y, ly) = items[i], items[j]
        res = _contract_pair(x, lx, y, ly, keep)
        items = [it for m, it in enumerate(items) if m not in (i, j)] + [res]
    x, labels = items[0]
    x, labels = _sum_lonely(x, labels, out_set)
    # labels present in the output but broadcast away everywhere (size 1) come back as 1-dims
    missing = [lab for lab in out_labels if lab not in labels]
    if missing:
        x = lax.reshape(x, tuple(x.shape) + (1,) * len(missing))
        labels = labels + missing
    perm = tuple(labels.index(lab) for lab in out_labels)
    return _finish(lax.transpose(x, perm), dt)


def _interleaved_to_subscripts(first, rest):
    """einsum(op0, sublist0, op1, sublist1, ..., [sublistout]) -> string form."""
    args = [first] + list(rest)
    ops, subs = args[0::2], args[1::2]
    out_sub = None
    if len(args) % 2 == 1:
        out_sub = args[-1]
        ops = ops[:-1]
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def conv(sub):
        return "".join("..." if s is Ellipsis else letters[s] for s in sub)
    spec = ",".join(conv(s) for s in subs)
    if out_sub is not None:
        spec += "->" + conv(out_sub)
    return spec, ops


__all__ = ["cross", "matmul", "dot", "vdot", "vecdot", "inner", "outer", "tensordot", "einsum",
           "kron"]
