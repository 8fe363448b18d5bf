"""packbits / unpackbits: bits of integer or bool arrays packed into uint8 and back.

Both have static output shapes and are written on lax (compare, multiply-add, shifts), so
they work under jit/vmap.  ``bitorder`` "big" puts the first element in the most significant
bit of each byte (numpy's default), "little" in the least significant.
"""
from __future__ import annotations

import operator

import numpy as np

from .. import dtypes, lax
from ..core import Array, Tracer
from ._manipulation import ravel
from ._util import asarray_arg, canonical_axis, full_scalar, to_dtype

_U8 = dtypes.uint8


def _bitorder(name, bitorder):
    if bitorder not in ("big", "little"):
        raise ValueError(f"{name}: bitorder must be 'big' or 'little', got {bitorder!r}")
    return bitorder


def _weights(bitorder):
    w = [1 << (7 - i) for i in range(8)] if bitorder == "big" else [1 << i for i in range(8)]
    return np.asarray(w, np.uint8)


def _to_last(x, ax):
    perm = tuple(i for i in range(x.ndim) if i != ax) + (ax,)
    return lax.transpose(x, perm), perm


def _from_last(x, perm):
    return lax.transpose(x, tuple(int(i) for i in np.argsort(perm)))


def packbits(a, axis=None, bitorder="big"):
    """Each element of ``a`` (integer or bool) as one bit (nonzero -> 1), eight to a uint8
    along ``axis`` (None: the flattened ``a``), the last byte zero-padded."""
    _bitorder("packbits", bitorder)
    a = asarray_arg("packbits", a)
    if a.dtype.kind not in "biu":
        raise TypeError(f"packbits: expected an input array of integer or boolean data type, "
                        f"got {a.dtype}")
    if axis is None:
        a, ax = ravel(a), 0
    else:
        ax = canonical_axis("packbits", axis, a.ndim)
    bits = to_dtype(to_dtype(a, dtypes.bool_), _U8)
    x, perm = _to_last(bits, ax)
    n = x.shape[-1]
    nbytes = -(-n // 8)
    lead = tuple(x.shape[:-1])
    x = lax.pad(x, full_scalar(0, _U8), ((0, 0, 0),) * len(lead) + ((0, nbytes * 8 - n, 0),))
    x = lax.reshape(x, lead + (nbytes, 8))
    w = lax.broadcast_in_dim(Array(_weights(bitorder)), x.shape, (x.ndim - 1,))
    packed = lax.reduce_sum(lax.mul(x, w), (x.ndim - 1,))
    return _from_last(packed, perm)


def unpackbits(a, axis=None, count=None, bitorder="big"):
    """The bits of the uint8 array ``a`` as uint8 0/1 values along ``axis`` (None: the
    flattened ``a``); ``count`` keeps the first ``count`` bits (zero-padded past the end) or,
    negative, drops ``-count`` from the end."""
    _bitorder("unpackbits", bitorder)
    a = asarray_arg("unpackbits", a)
    if a.dtype != _U8:
        raise TypeError(f"unpackbits: expected an input array of unsigned byte data type "
                        f"(uint8), got {a.dtype}")
    if axis is None:
        a, ax = ravel(a), 0
    else:
        ax = canonical_axis("unpackbits", axis, a.ndim)
    x, perm = _to_last(a, ax)
    lead, n = tuple(x.shape[:-1]), x.shape[-1]
    shape = lead + (n, 8)
    shifts = np.arange(7, -1, -1, dtype=np.uint8) if bitorder == "big" \
        else np.arange(8, dtype=np.uint8)
    xb = lax.broadcast_in_dim(x, shape, tuple(range(len(lead) + 1)))
    sb = lax.broadcast_in_dim(Array(shifts), shape, (len(shape) - 1,))
    bits = lax.bitwise_and(lax.shift_right_logical(xb, sb), full_scalar(1, _U8, shape))
    bits = lax.reshape(bits, lead + (n * 8,))
    bits = _apply_count(bits, n * 8, count, lead)
    return _from_last(bits, perm)


def _apply_count(bits, total, count, lead):
    if count is None:
        return bits
    if isinstance(count, Tracer):
        count._concretization_error("unpackbits: count")
    try:
        count = operator.index(count)
    except TypeError:
        raise TypeError(f"unpackbits: count must be an integer or None, got {count!r}") \
            from None
    keep = count if count >= 0 else max(total + count, 0)
    if keep <= total:
        return lax.slice_in_dim(bits, 0, keep, axis=len(lead))
    cfg = ((0, 0, 0),) * len(lead) + ((0, keep - total, 0),)
    return lax.pad(bits, full_scalar(0, _U8), cfg)


__all__ = ["packbits", "unpackbits"]
