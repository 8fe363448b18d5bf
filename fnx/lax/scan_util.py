"""``associative_scan``: a parallel prefix scan written with fnx.lax ops (JAX's algorithm).

It is used to differentiate the cumulative primitives: the JVP of ``cumprod`` is the JVP of
``associative_scan(mul, x)`` (and likewise ``cummax`` / ``cummin`` with ``max`` / ``min``), which
is exact at zeros and ties and differentiable to any order, since it is made of lax ops.
"""
from __future__ import annotations

from ..core import Array

import numpy as np


def associative_scan(fn, elems, reverse: bool = False, axis: int = 0):
    """Inclusive scan of ``elems`` (an array or a list of arrays of one shape along ``axis``)
    with the associative ``fn(a, b)``; O(log n) levels of elementwise ``fn`` calls.

    ``fn`` takes and returns an array when ``elems`` is an array, lists of arrays when it is a
    list.  ``reverse=True`` scans from the end.

    >>> associative_scan(fnx.lax.add, fnp.arange(4.0))   # [0, 1, 3, 6]
    """
    from .shape import rev
    single = not isinstance(elems, (list, tuple))
    xs = [elems] if single else list(elems)
    if not xs:
        return elems
    axis = axis % xs[0].ndim
    if any(x.shape[axis] != xs[0].shape[axis] for x in xs):
        raise ValueError("associative_scan: all elements need the same length along the axis")

    def combine(a, b):
        out = fn(a[0], b[0]) if single else fn(list(a), list(b))
        return [out] if single else list(out)

    if reverse:
        xs = [rev(x, (axis,)) for x in xs]
    out = _scan(combine, xs, axis)
    if reverse:
        out = [rev(x, (axis,)) for x in out]
    return out[0] if single else out


def _scan(combine, xs, axis):
    from .shape import concatenate, slice_in_dim
    n = xs[0].shape[axis]
    if n < 2:
        return xs
    # combine the pairs (0,1), (2,3), ... and scan those: that gives the odd positions
    reduced = combine([slice_in_dim(x, 0, n - 1, 2, axis) for x in xs],
                      [slice_in_dim(x, 1, n, 2, axis) for x in xs])
    odd = _scan(combine, reduced, axis)
    # each even position (after the first) = the scan at the odd position before it + itself
    if n % 2 == 0:
        m = odd[0].shape[axis]
        even = combine([slice_in_dim(o, 0, m - 1, 1, axis) for o in odd],
                       [slice_in_dim(x, 2, n, 2, axis) for x in xs])
    else:
        even = combine(odd, [slice_in_dim(x, 2, n, 2, axis) for x in xs])
    even = [concatenate([slice_in_dim(x, 0, 1, 1, axis), e], axis) for x, e in zip(xs, even)]
    return [_interleave(e, o, axis) for e, o in zip(even, odd)]


def _interleave(a, b, axis):
    """a[0], b[0], a[1], b[1], ... along ``axis`` (len(a) == len(b) or len(b) + 1)."""
    from .elementwise import add, bitwise_or
    from .shape import pad
    same = a.shape[axis] == b.shape[axis]
    a_cfg = [(0, 0, 0)] * a.ndim
    b_cfg = [(0, 0, 0)] * b.ndim
    a_cfg[axis] = (0, 1 if same else 0, 1)
    b_cfg[axis] = (1, 0 if same else 1, 1)
    zero_a = Array(np.zeros((), a.dtype))
    zero_b = Array(np.zeros((), b.dtype))
    op = bitwise_or if a.dtype == np.bool_ else add
    return op(pad(a, zero_a, tuple(a_cfg)), pad(b, zero_b, tuple(b_cfg)))
