"""numpy oracles of the reduction, arg-reduction, cumulative and sort primitives, for the tests.
reference.py merges its table ``IMPLS`` into the backend's."""
from __future__ import annotations

import numpy as np

from .. import lax
from .reference_common import _accumulator, registrar

IMPLS: dict = {}
_register = registrar(IMPLS)


def _max_identity(dtype):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return False
    if dtype.kind == "c":  # the lexicographic minimum
        return complex(-np.inf, -np.inf)
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _min_identity(dtype):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return True
    if dtype.kind == "c":
        return complex(np.inf, np.inf)
    return np.inf if dtype.kind == "f" else np.iinfo(dtype).max


@_register(lax.reduce_sum_p)
def reduce_sum(x, *, axes):
    return np.sum(x, axis=axes, dtype=_accumulator(x.dtype))


@_register(lax.reduce_prod_p)
def reduce_prod(x, *, axes):
    return np.prod(x, axis=axes, dtype=_accumulator(x.dtype))


def _empty_complex_extreme(x, axes, r, sign):
    """An empty complex max / min is (sign inf + 0j), as the kernels give (the lexicographic
    identity (+-inf, +-inf) only seeds non-empty reductions)."""
    if x.dtype.kind != "c" or all(x.shape[a] for a in axes):
        return r
    return np.full(np.shape(r), complex(sign * np.inf, 0.0), r.dtype)


@_register(lax.reduce_max_p)
def reduce_max(x, *, axes):
    r = np.max(x, axis=axes, initial=_max_identity(x.dtype))  # NaN propagates
    return _empty_complex_extreme(x, axes, r, -1)


@_register(lax.reduce_min_p)
def reduce_min(x, *, axes):
    r = np.min(x, axis=axes, initial=_min_identity(x.dtype))
    return _empty_complex_extreme(x, axes, r, 1)


@_register(lax.reduce_and_p)
def reduce_and(x, *, axes):
    if x.dtype == np.bool_:
        return np.all(x, axis=axes)
    all_ones = np.invert(np.zeros((), x.dtype))
    return np.bitwise_and.reduce(x, axis=axes, initial=all_ones)


@_register(lax.reduce_or_p)
def reduce_or(x, *, axes):
    if x.dtype == np.bool_:
        return np.any(x, axis=axes)
    return np.bitwise_or.reduce(x, axis=axes, initial=np.zeros((), x.dtype))


@_register(lax.argmax_p)
def argmax(x, *, axes, index_dtype):
    return np.argmax(x, axis=axes[0])  # first occurrence; the first NaN counts as the max


@_register(lax.argmin_p)
def argmin(x, *, axes, index_dtype):
    return np.argmin(x, axis=axes[0])


def _scan(accumulate, x, axis, reverse):
    if reverse:
        return np.flip(accumulate(np.flip(x, axis), axis), axis)
    return accumulate(x, axis)


@_register(lax.cumsum_p)
def cumsum(x, *, axis, reverse):
    return _scan(lambda v, a: np.cumsum(v, axis=a, dtype=_accumulator(v.dtype)), x, axis, reverse)


@_register(lax.cumprod_p)
def cumprod(x, *, axis, reverse):
    return _scan(lambda v, a: np.cumprod(v, axis=a, dtype=_accumulator(v.dtype)), x, axis,
                 reverse)


@_register(lax.cummax_p)
def cummax(x, *, axis, reverse):
    return _scan(lambda v, a: np.maximum.accumulate(v, axis=a), x, axis, reverse)


@_register(lax.cummin_p)
def cummin(x, *, axis, reverse):
    return _scan(lambda v, a: np.minimum.accumulate(v, axis=a), x, axis, reverse)


@_register(lax.sort_p)
def sort(*operands, dimension, is_stable, num_keys):
    # Work on views with the sorted dimension last.  np.lexsort is stable, sorts NaN last, and
    # takes its keys least significant first, hence the reversal.
    moved = [np.moveaxis(o, dimension, -1) for o in operands]
    keys = moved[:num_keys][::-1]
    if moved[0].size == 0:
        perm = np.zeros(moved[0].shape, np.int64)
    else:
        perm = np.lexsort(keys, axis=-1)
    return [np.moveaxis(np.take_along_axis(o, perm, axis=-1), -1, dimension) for o in moved]
