"""Helpers shared by the primitive families of fnx.lax."""
from __future__ import annotations

import operator

import numpy as np

from .. import dtypes
from ..core import Array, ShapedArray, Tracer, asarray_concrete
from ..errors import FnxIndexError, InvalidArgumentError, dtype_error, shape_error


def is_array(x) -> bool:
    return isinstance(x, (Array, Tracer))


def as_operand(x, dtype=None, op: str = "lax"):
    """Arrays and tracers pass through; Python scalars / numpy data become (weak) Arrays
    (OverflowError naming ``op`` for a Python int that ``dtype`` cannot hold)."""
    if isinstance(x, (Array, Tracer)):
        return x
    if dtype is not None and isinstance(x, (bool, int, float)) and not isinstance(x, np.generic):
        # A Python scalar meeting an array takes the array's dtype and stays weak.
        return Array(dtypes.scalar_array(op, x, dtype), True)
    return asarray_concrete(x)


def as_operands(*xs, op: str = "lax"):
    """Convert a mix of arrays and Python scalars, giving the scalars the arrays' dtype."""
    ref = next((x for x in xs if isinstance(x, (Array, Tracer))), None)
    dtype = ref.dtype if ref is not None else None
    return [as_operand(x, dtype, op) for x in xs]


def canonical_axis(axis, ndim: int, op: str) -> int:
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{op}: axis must be an integer, got {axis!r}") from None
    if not -ndim <= axis < max(ndim, 1) or (ndim == 0 and axis not in (0, -1)):
        raise FnxIndexError(f"{op}: axis {axis} is out of bounds for an array of rank {ndim}")
    return axis % ndim if ndim else 0


def canonical_axes(axes, ndim: int, op: str) -> tuple:
    """Normalise an int / sequence of axes (negative allowed) to a sorted tuple; no repeats."""
    if axes is None:
        return tuple(range(ndim))
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    out = []
    for a in axes:
        try:
            a = operator.index(a)
        except TypeError:
            raise TypeError(f"{op}: axes must be integers, got {axes!r}") from None
        if not -ndim <= a < ndim:
            raise FnxIndexError(f"{op}: axis {a} is out of bounds for an array of rank {ndim}")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise InvalidArgumentError(f"{op}: repeated axis in {tuple(axes)}")
    return tuple(sorted(out))


def check_axes_in_range(op: str, axes, ndim: int, x) -> None:
    """Abstract-eval check for already-normalised axes (the public wrappers normalise them)."""
    if len(set(axes)) != len(axes) or any(not 0 <= a < ndim for a in axes):
        raise shape_error(op, f"axes {tuple(axes)} must be distinct and in [0, {ndim})", x)


def check_dtype(op: str, x, allowed, what: str) -> None:
    if x.dtype not in allowed:
        raise dtype_error(op, f"expected {what}, got {x.dtype}", x)


def check_same_shapes(op: str, *xs) -> None:
    shape = xs[0].shape
    for x in xs[1:]:
        if x.shape != shape:
            raise shape_error(op, "operands must have equal shapes (fnx.lax broadcasts only "
                                  "scalars; fnx.numpy broadcasts like numpy)", *xs)


def check_same_dtypes(op: str, *xs) -> None:
    dt = xs[0].dtype
    for x in xs[1:]:
        if x.dtype != dt:
            raise dtype_error(op, "operands must have equal dtypes (fnx.lax does not promote; "
                                  "fnx.numpy does)", *xs)


def all_weak(*xs) -> bool:
    return all(x.weak_type for x in xs)


def shaped(shape, dtype, weak=False) -> ShapedArray:
    return ShapedArray(tuple(int(d) for d in shape), dtype, weak)


def as_int_tuple(seq, op: str, what: str) -> tuple:
    try:
        return tuple(operator.index(s) for s in seq)
    except TypeError:
        raise TypeError(f"{op}: {what} must be a sequence of integers, got {seq!r}") from None


FLOATING = frozenset(dtypes.FLOATING)
COMPLEX = frozenset(dtypes.COMPLEX)
INEXACT = frozenset(dtypes.INEXACT)  # float or complex
INTEGER = frozenset(dtypes.INTEGER)
NUMERIC = frozenset(dtypes.NUMERIC)  # int or float (real numbers)
NUMERIC_OR_COMPLEX = frozenset(dtypes.NUMERIC_OR_COMPLEX)
REAL = frozenset(dtypes.REAL)  # every dtype but complex
ALL = frozenset(dtypes.SUPPORTED)
BOOL_OR_INT = frozenset((dtypes.bool_,) + dtypes.INTEGER)
