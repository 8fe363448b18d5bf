"""``jax.scipy.stats``'s summary functions: ``mode``, ``rankdata``, ``sem``.  All work on
sorted copies (a stable sort, so ties keep their order), with runs of equal values found by
comparing neighbours and their ends spread by a running max / min, so they trace under jit
and vmap (no data-dependent shapes)."""
from __future__ import annotations

import math
from typing import NamedTuple

from ... import dtypes, lax
from ... import numpy as fnp
from ...errors import AxisError, InvalidArgumentError
from ._util import promote_args_inexact

__all__ = ["ModeResult", "mode", "rankdata", "sem"]


class ModeResult(NamedTuple):
    mode: object
    count: object


def _check_nan_policy(name, nan_policy, supported):
    if nan_policy not in ("propagate", "omit", "raise"):
        raise InvalidArgumentError(f"{name}: nan_policy must be 'propagate', 'omit' or "
                                   f"'raise', got {nan_policy!r}")
    if nan_policy not in supported:
        raise InvalidArgumentError(
            f"{name}: nan_policy={nan_policy!r} is not supported (as in JAX: whether the data "
            "holds NaN is not known while tracing; check it before the call)")


def _canonical_axis(name, axis, ndim):
    if not -ndim <= axis < ndim:
        raise AxisError(f"{name}: axis {axis} is out of bounds for an array of rank {ndim}")
    return axis % ndim


def _runs(sorted_x):
    """For values sorted along the last axis: (index, start of each element's run of equal
    values, end of it).  NaN != NaN, so every NaN is a run of its own."""
    n = sorted_x.shape[-1]
    index = fnp.broadcast_to(fnp.arange(n, dtype=dtypes.int32), sorted_x.shape)
    differs = sorted_x[..., 1:] != sorted_x[..., :-1]
    edge = fnp.ones(sorted_x.shape[:-1] + (1,), dtype=dtypes.bool_)
    starts = fnp.concatenate([edge, differs], axis=-1)
    ends = fnp.concatenate([differs, edge], axis=-1)
    run_start = lax.cummax(fnp.where(starts, index, fnp.zeros_like(index)), axis=sorted_x.ndim - 1)
    run_end = lax.cummin(fnp.where(ends, index, fnp.full_like(index, n - 1)),
                         axis=sorted_x.ndim - 1, reverse=True)
    return index, starts, run_start, run_end


def mode(a, axis=0, nan_policy="propagate", keepdims=False):
    """The most frequent value along ``axis`` (None: the flattened array) and its count; ties
    go to the smallest value (scipy's).  NaNs never equal each other, so each counts once.
    An empty axis gives mode NaN and count 0."""
    _check_nan_policy("mode", nan_policy, ("propagate",))
    x = fnp.atleast_1d(fnp.asarray(a))
    if axis is None:
        out_shape = (1,) * x.ndim if keepdims else ()
        x = fnp.ravel(x)[None, :]
    else:
        axis = _canonical_axis("mode", axis, x.ndim)
        kept = x.shape[:axis] + x.shape[axis + 1:]
        out_shape = x.shape[:axis] + (1,) + x.shape[axis + 1:] if keepdims else kept
        x = fnp.moveaxis(x, axis, -1).reshape((math.prod(kept), x.shape[axis]))
    if x.shape[-1] == 0:
        nan = fnp.full(out_shape, math.nan, dtype=dtypes.default_float)
        return ModeResult(nan, fnp.zeros(out_shape, dtype=dtypes.default_int))
    s = fnp.sort(x, axis=-1)
    index, _, run_start, _ = _runs(s)
    length = index - run_start + 1
    best = fnp.argmax(length, axis=-1)          # the first longest run: the smallest value
    values = fnp.take_along_axis(s, best[:, None], axis=-1)[:, 0]
    counts = fnp.max(length, axis=-1).astype(dtypes.default_int)
    return ModeResult(values.reshape(out_shape), counts.reshape(out_shape))


_RANK_METHODS = ("average", "min", "max", "dense", "ordinal")


def _rank_rows(x, method):
    """Ranks (1-based, default float) along the last axis of a 2-D array; NaN rows where a
    row holds a NaN (JAX's 'propagate')."""
    out_dtype = dtypes.default_float
    order = fnp.argsort(x, axis=-1, stable=True)
    s = fnp.take_along_axis(x, order, axis=-1)
    index, starts, run_start, run_end = _runs(s)
    if method == "ordinal":
        ranked = index + 1
    elif method == "dense":
        ranked = fnp.cumsum(starts.astype(dtypes.int32), axis=-1)
    elif method == "min":
        ranked = run_start + 1
    elif method == "max":
        ranked = run_end + 1
    else:
        ranked = 0.5 * (run_start + run_end).astype(out_dtype) + 1.0
    ranked = ranked.astype(out_dtype)
    inverse = fnp.argsort(order, axis=-1)         # where each element went in the sort
    ranks = fnp.take_along_axis(ranked, inverse, axis=-1)
    has_nan = fnp.any(fnp.isnan(x), axis=-1, keepdims=True)
    return fnp.where(has_nan, fnp.full_like(ranks, math.nan), ranks)


def rankdata(a, method="average", *, axis=None, nan_policy="propagate"):
    """Ranks of the data, 1 for the smallest, ties resolved by ``method`` ('average', 'min',
    'max', 'dense', 'ordinal'); over the flattened array (axis=None) or along ``axis``.
    Returns the default float dtype, all NaN (the slice, or everything for axis=None) where
    a NaN occurs."""
    _check_nan_policy("rankdata", nan_policy, ("propagate",))
    if method not in _RANK_METHODS:
        raise InvalidArgumentError(f"rankdata: unknown method {method!r} (expected one of "
                                   f"{', '.join(_RANK_METHODS)})")
    x = fnp.asarray(a)
    if dtypes.is_complex(x.dtype):
        raise InvalidArgumentError(f"rankdata: complex data has no order, got {x.dtype}")
    if axis is None:
        return _rank_rows(fnp.ravel(x)[None, :], method)[0]
    x = fnp.atleast_1d(x)
    axis = _canonical_axis("rankdata", axis, x.ndim)
    moved = fnp.moveaxis(x, axis, -1)
    rows = moved.reshape((-1, moved.shape[-1]))
    return fnp.moveaxis(_rank_rows(rows, method).reshape(moved.shape), -1, axis)


def sem(a, axis=0, ddof=1, nan_policy="propagate", *, keepdims=False):
    """The standard error of the mean, ``std(a, ddof) / sqrt(n)`` along ``axis`` (None: all);
    nan_policy='omit' leaves NaNs out of both."""
    (b,) = promote_args_inexact("sem", a)
    if nan_policy == "propagate":
        size = b.size if axis is None else b.shape[_canonical_axis("sem", axis, b.ndim)]
        return fnp.std(b, axis=axis, ddof=ddof, keepdims=keepdims) / math.sqrt(size)
    if nan_policy == "omit":
        count = fnp.sum(~fnp.isnan(b), axis=axis, keepdims=keepdims).astype(b.dtype)
        return fnp.nanstd(b, axis=axis, ddof=ddof, keepdims=keepdims) / fnp.sqrt(count)
    raise InvalidArgumentError(f"sem: nan_policy must be 'propagate' or 'omit', got "
                               f"{nan_policy!r}")
