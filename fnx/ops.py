"""``fnx.ops``: jax.ops's segment reductions.

``segment_sum(data, segment_ids, num_segments)`` reduces the rows of ``data`` (its leading
axis) that share a segment id: ``out[s] = op(data[i] for i with segment_ids[i] == s)``, of shape
``(num_segments,) + data.shape[1:]``.  Each is one scatter (``lax.scatter_add`` / ``_mul`` /
``_max`` / ``_min``) into an array filled with the operation's identity, so:

* an empty segment holds the identity: 0, 1, and for max / min the lowest / highest value of the
  dtype (-inf / +inf for floats, the integer limits for integers), as JAX;
* ids outside ``[0, num_segments)`` (negative ones included) are dropped, as the scatters drop
  out-of-range indices (``mode="clip"`` clamps them into range instead);
* ``num_segments`` sets the output's shape, so it is static: when omitted it is
  ``max(segment_ids) + 1``, which needs concrete ids (an error under jit / vmap of the ids);
* differentiation, jit and vmap come from the scatter primitives' rules: segment_sum is linear,
  segment_max / segment_min send the cotangent to the elements equal to their segment's result
  (shared equally among ties, as JAX).

``bucket_size`` reduces each run of ``bucket_size`` consecutive rows on its own first, then
combines the buckets (JAX's option for the accuracy of long sums and products).
``indices_are_sorted`` / ``unique_indices`` are hints that change nothing here.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from . import lax
from . import numpy as fnp
from .core import concrete_or_error
from .errors import DTypeError, InvalidArgumentError, ShapeError

__all__ = ["segment_sum", "segment_prod", "segment_max", "segment_min"]

# mode names accepted (jax.lax.GatherScatterMode's, case-insensitive): the scatters drop
# out-of-range ids, which is FILL_OR_DROP; PROMISE_IN_BOUNDS lets us do the same; CLIP clamps.
_DROP_MODES = ("fill_or_drop", "drop", "fill", "promise_in_bounds")
_CLIP_MODES = ("clip",)


def _identity(kind: str, dtype):
    """The value of an empty segment (JAX's ``_get_identity``)."""
    dtype = np.dtype(dtype)
    if kind == "sum":
        return 0
    if kind == "prod":
        return 1
    if dtype == np.bool_:
        return kind == "min"          # min of nothing: True, max of nothing: False
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return info.max if kind == "min" else info.min
    return math.inf if kind == "min" else -math.inf


def _mode_name(name: str, mode) -> str:
    if mode is None:
        return "fill_or_drop"
    text = getattr(mode, "name", mode)
    if isinstance(text, str) and text.lower() in _DROP_MODES + _CLIP_MODES:
        return text.lower()
    raise InvalidArgumentError(f"{name}: mode must be None, 'fill_or_drop', 'drop', "
                               f"'promise_in_bounds' or 'clip', got {mode!r}")


def _static_num_segments(name: str, segment_ids, num_segments) -> int:
    """``num_segments`` as a Python int; ``max(segment_ids) + 1`` when it is None."""
    if num_segments is None:
        ids = concrete_or_error(
            segment_ids, f"{name} without num_segments (the output's size is max(segment_ids) "
            "+ 1; pass num_segments to use it under jit / vmap of the ids)")
        num_segments = int(np.max(ids)) + 1 if ids.size else 0
    elif not isinstance(num_segments, (int, np.integer)):
        value = concrete_or_error(num_segments, f"{name}'s num_segments (it sets the output's "
                                  "shape)")
        num_segments = operator.index(np.asarray(value).item())
    num_segments = operator.index(num_segments)
    if num_segments < 0:
        raise InvalidArgumentError(f"{name}: num_segments must be non-negative, got "
                                   f"{num_segments}")
    return num_segments


def _checked_operands(name: str, kind: str, data, segment_ids):
    data, segment_ids = fnp.asarray(data), fnp.asarray(segment_ids)
    if segment_ids.dtype.kind not in "iu":
        raise DTypeError(f"{name}: segment_ids must have an integer dtype, got "
                         f"{segment_ids.dtype}")
    if data.ndim < 1:
        raise ShapeError(f"{name}: data must have at least one axis (the rows to reduce), got "
                         f"shape {tuple(data.shape)}")
    if segment_ids.ndim != 1 or segment_ids.shape[0] != data.shape[0]:
        raise ShapeError(f"{name}: segment_ids must be 1-D with one id per row of data: data "
                         f"{data.dtype}{list(data.shape)}, segment_ids "
                         f"{segment_ids.dtype}{list(segment_ids.shape)}")
    if data.dtype == np.bool_ and kind in ("sum", "prod"):
        raise DTypeError(f"{name}: data must be numeric, got bool")
    if np.dtype(data.dtype).kind == "c" and kind in ("max", "min"):
        raise DTypeError(f"{name}: complex data has no order, got {data.dtype}")
    return data, segment_ids


_SCATTERS = {"sum": lax.scatter_add, "prod": lax.scatter_mul,
             "max": lax.scatter_max, "min": lax.scatter_min}
_REDUCERS = {"sum": fnp.sum, "prod": fnp.prod, "max": fnp.max, "min": fnp.min}


def _segment_reduce(name: str, kind: str, data, segment_ids, num_segments, bucket_size, mode):
    data, segment_ids = _checked_operands(name, kind, data, segment_ids)
    num_segments = _static_num_segments(name, segment_ids, num_segments)
    mode = _mode_name(name, mode)
    # settle the range in the ids' own dtype before narrowing them to the scatter's int32
    # (a wide id that wrapped around could otherwise land inside the range)
    if mode == "clip":
        ids = fnp.clip(segment_ids, 0, max(num_segments - 1, 0))
    else:
        ids = fnp.where((segment_ids >= 0) & (segment_ids < num_segments), segment_ids, -1)
    ids = ids.astype(np.int32)
    dtype = data.dtype
    # the scatter-max / -min kernels are for numbers: bools go through uint8 (max = or, min = and)
    work = data.astype(np.uint8) if dtype == np.bool_ else data
    rows = tuple(data.shape[1:])
    identity = _identity(kind, dtype)
    if bucket_size is None:
        init = fnp.full((num_segments,) + rows, identity, dtype=work.dtype)
        out = _SCATTERS[kind](init, ids, work)
    else:
        out = _bucketed(name, kind, work, ids, num_segments, bucket_size, identity)
    return out.astype(dtype) if out.dtype != dtype else out


def _bucketed(name, kind, work, ids, num_segments, bucket_size, identity):
    """Reduce each run of ``bucket_size`` rows into its own segments, then over the buckets.
    A (bucket, id) pair is one index of a flat (num_buckets * num_segments) scatter; an id out
    of range becomes -1 there so the scatter still drops it."""
    bucket_size = operator.index(bucket_size)
    if bucket_size < 1:
        raise InvalidArgumentError(f"{name}: bucket_size must be positive, got {bucket_size}")
    n = work.shape[0]
    num_buckets = max(-(-n // bucket_size), 1)
    bucket = fnp.arange(n, dtype=np.int32) // bucket_size
    in_range = (ids >= 0) & (ids < num_segments)
    flat_ids = fnp.where(in_range, bucket * num_segments + ids, -1)
    rows = tuple(work.shape[1:])
    init = fnp.full((num_buckets * num_segments,) + rows, identity, dtype=work.dtype)
    per_bucket = _SCATTERS[kind](init, flat_ids, work)
    per_bucket = per_bucket.reshape((num_buckets, num_segments) + rows)
    return _REDUCERS[kind](per_bucket, axis=0)


def _segment_fn(kind: str, what: str):
    name = f"segment_{kind}"

    def fn(data, segment_ids, num_segments=None, indices_are_sorted=False,
           unique_indices=False, bucket_size=None, mode=None):
        return _segment_reduce(name, kind, data, segment_ids, num_segments, bucket_size, mode)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (
        f"The {what} of the rows of ``data`` in each segment (jax.ops.{name}): shape "
        "``(num_segments,) + data.shape[1:]``; ``segment_ids`` (1-D, one integer per row) names "
        "each row's segment, ids outside [0, num_segments) are dropped, an empty segment holds "
        f"{_EMPTY[kind]}.  ``num_segments`` defaults to ``max(segment_ids) + 1`` (concrete ids "
        "only); ``bucket_size`` reduces runs of that many rows separately first; "
        "``indices_are_sorted`` / ``unique_indices`` are accepted hints.")
    return fn


_EMPTY = {"sum": "0", "prod": "1", "max": "the dtype's lowest value (-inf for floats)",
          "min": "the dtype's highest value (+inf for floats)"}

segment_sum = _segment_fn("sum", "sum")
segment_prod = _segment_fn("prod", "product")
segment_max = _segment_fn("max", "maximum")
segment_min = _segment_fn("min", "minimum")
