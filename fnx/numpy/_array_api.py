"""What makes ``fnx.numpy`` an array API standard (2024.12) namespace, as numpy 2 and jax.numpy
are: the inspection object, ``isdtype``, the functional ``astype``, ``unstack``, the
``cumulative_*`` scans with ``include_initial``, ``take_along_axis`` with its default axis,
``from_dlpack`` with ``device`` / ``copy`` (the ``unique_*`` family is ``_setops``'s).

Everything else the standard names already exists in fnx.numpy with numpy's signature; the
array object's side (``__array_namespace__``, ``to_device``, the in-place operators) lives in
``_array_methods``, the ``device=`` keyword of creation functions in ``_creation``, and
``__dlpack__`` on ``fnx.core.Array``.

Deviations from numpy 2 (shared with jax.numpy): the default integer is int32, so
``cumulative_sum`` of bool / int8 accumulates in int32 and of uint8 in uint32 (numpy: int64 /
uint64); ``capabilities()`` reports 32 dimensions at most (the C kernels' limit; numpy: 64);
the data-dependent functions (``unique_*``, ``nonzero``, boolean indexing) need concrete
arrays or ``size=`` (without it: a ConcretizationTypeError under jit / vmap / grad).
"""
from __future__ import annotations


import numpy as np

from .. import dtypes, lax, placement
from ..core import Array, ArrayBase
from ..device import CPU, Device
from ..errors import DTypeError
from ._creation import place, resolve_device
from ._reductions import _sum_dtype
from ._selection import take_along_axis as _take_along_axis
from ._util import asarray_arg, canonical_axis, check_supported, full_scalar, to_dtype

__array_api_version__ = "2024.12"

# -- inspection ---------------------------------------------------------------------------------

_KINDS = {
    "bool": "b",
    "signed integer": "i",
    "unsigned integer": "u",
    "integral": "iu",
    "real floating": "f",
    "complex floating": "c",
    "numeric": "iufc",
}


def _scalar_types():
    """fnx.numpy's dtype objects by name (``fnp.float32`` ...), in fnx.dtypes.SUPPORTED order."""
    from ._scalar_types import SCALAR_TYPES
    by_dtype = {t.dtype: t for t in SCALAR_TYPES}
    return {np.dtype(d).name: by_dtype[d] for d in dtypes.SUPPORTED}


class _NamespaceInfo:
    """What ``__array_namespace_info__()`` returns: fnx's capabilities, devices and dtypes."""

    __module__ = "fnx.numpy"

    def capabilities(self):
        """Boolean indexing and data-dependent shapes work on concrete arrays (as numpy; under
        jit / vmap / grad they raise ConcretizationTypeError); at most 32 dimensions (the C
        kernels' FNX_MAX_NDIM)."""
        return {"boolean indexing": True, "data-dependent shapes": True, "max dimensions": 32}

    def default_device(self):
        """cpu:0: creation functions make (uncommitted) host arrays."""
        return CPU

    def default_dtypes(self, *, device=None):
        """fnx's defaults, the same on every device: float32, complex64, int32 (int32 indices)."""
        resolve_device("default_dtypes", device)
        t = _scalar_types()
        return {"real floating": t[dtypes.default_float.name],
                "complex floating": t[dtypes.default_complex.name],
                "integral": t[dtypes.default_int.name],
                "indexing": t[dtypes.default_int.name]}

    def dtypes(self, *, device=None, kind=None):
        """The dtypes fnx supports (every device holds all of them), by name, of ``kind``
        (None: all; a kind string as ``isdtype``'s or a tuple of them)."""
        resolve_device("dtypes", device)
        found = _scalar_types()
        if kind is None:
            return found
        for k in kind if isinstance(kind, tuple) else (kind,):
            if not isinstance(k, str):  # the standard: kind names only (isdtype takes dtypes)
                raise ValueError(f"dtypes: kind must be a kind name or a tuple of them, got "
                                 f"{type(k).__name__} {k!r}")
        return {n: t for n, t in found.items() if _is_kind("dtypes", t.dtype, kind)}

    def devices(self):
        """The devices arrays can live on: ``fnx.devices()`` (cpu:0, then any GPUs)."""
        return list(placement.devices())

    def __repr__(self):
        return "fnx.numpy.__array_namespace_info__()"


def __array_namespace_info__():
    """The array API's inspection object for fnx.numpy (capabilities, devices, dtypes)."""
    return _NamespaceInfo()


# -- dtypes ---------------------------------------------------------------------------------------

def _as_np_dtype(name, dtype, what):
    """``dtype`` as an np.dtype: an np.dtype, a numpy scalar type or an fnx.numpy one.  Strings
    and Python types are TypeErrors (numpy's isdtype rejects them too: "float" is ambiguous)."""
    if isinstance(dtype, np.dtype):
        return dtype
    if isinstance(dtype, type) and (issubclass(dtype, np.generic)
                                    or isinstance(getattr(dtype, "dtype", None), np.dtype)):
        return np.dtype(dtype)
    raise TypeError(f"{name}: {what} must be a dtype (e.g. fnx.numpy.float32), got "
                    f"{type(dtype).__name__} {dtype!r}")


def _is_kind(name, dt, kind) -> bool:
    if isinstance(kind, tuple):
        return any(_is_kind(name, dt, k) for k in kind)
    if isinstance(kind, str):
        if kind not in _KINDS:
            raise ValueError(f"{name}: unknown dtype kind {kind!r}; known: "
                             + ", ".join(repr(k) for k in _KINDS))
        return dt.kind in _KINDS[kind]
    return dt == _as_np_dtype(name, kind, "kind")


def isdtype(dtype, kind):
    """Whether ``dtype`` is of ``kind``: a dtype (equality), one of the standard's kind names
    ('bool', 'signed integer', 'unsigned integer', 'integral', 'real floating',
    'complex floating', 'numeric') or a tuple of those (any of them)."""
    return _is_kind("isdtype", _as_np_dtype("isdtype", dtype, "dtype"), kind)


def astype(x, dtype, /, *, copy=True, device=None):
    """``x`` cast to ``dtype`` (numpy's casts: float -> int truncates, -> bool is ``x != 0``,
    complex -> real keeps the real part), on ``device`` (None: where ``x`` lives).

    ``copy=True`` gives a new buffer for a concrete array even when nothing changes;
    ``copy=False`` returns ``x`` itself when its dtype and device already match (fnx arrays are
    immutable, so sharing is always safe)."""
    if not isinstance(x, ArrayBase):
        raise TypeError(f"astype: x must be an fnx array, got {type(x).__name__}")
    dt = check_supported("astype", dtype)
    out = to_dtype(x, dt)
    if out is x and copy and type(x) is Array:
        out = Array(np.array(x._value), x.weak_type)
    return place("astype", out, device, like=x)


# -- manipulation / scans -----------------------------------------------------------------------

def unstack(x, /, *, axis=0):
    """The slices of ``x`` along ``axis``, as a tuple of arrays of one dimension less
    (``stack``'s inverse)."""
    x = asarray_arg("unstack", x)
    if x.ndim == 0:
        raise ValueError("unstack: x must have at least one dimension, got a 0-d array")
    ax = canonical_axis("unstack", axis, x.ndim)
    return tuple(lax.squeeze(lax.slice_in_dim(x, i, i + 1, axis=ax), (ax,))
                 for i in range(x.shape[ax]))


def _scan_dtype(name, x, dtype):
    """The array API's accumulator: ``dtype`` if given, else x's dtype widened as sums are
    (bool / int8 -> int32, uint8 -> uint32: fnx's default width, as jax.numpy)."""
    if dtype is not None:
        return check_supported(name, dtype)
    return _sum_dtype(x.dtype)


def _cumulative(name, scan, identity, x, axis, dtype, include_initial):
    x = asarray_arg(name, x)
    if x.ndim == 0:
        x = lax.reshape(x, (1,))  # numpy 2's choice (the standard leaves 0-d unspecified)
    if axis is None:
        if x.ndim > 1:
            raise ValueError(f"{name}: axis is required for an array of more than one "
                             f"dimension (got shape {tuple(x.shape)})")
        axis = 0
    ax = canonical_axis(name, axis, x.ndim)
    dt = _scan_dtype(name, x, dtype)
    if dtypes.is_complex(x.dtype) and not dtypes.is_complex(dt):
        raise DTypeError(f"{name}: cannot accumulate {x.dtype} in {dt} (the imaginary parts "
                         "would be lost)")
    # a bool accumulator would saturate; the scan runs in int32 and casts back (numpy's values)
    work = dtypes.default_int if dt == dtypes.bool_ else dt
    xw = to_dtype(x, work)
    out = scan(xw, ax) if x.shape[ax] else xw
    if include_initial:
        first = list(x.shape)
        first[ax] = 1
        out = lax.concatenate([full_scalar(identity, work, tuple(first)), out], ax)
    return to_dtype(out, dt)


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    """Running sums along ``axis`` (required when x has more than one dimension); with
    ``include_initial`` the axis grows by one and starts with 0.  dtype: see ``_scan_dtype``."""
    return _cumulative("cumulative_sum", lax.cumsum, 0, x, axis, dtype, include_initial)


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False):
    """Running products along ``axis`` (required when x has more than one dimension); with
    ``include_initial`` the axis grows by one and starts with 1.  dtype: see ``_scan_dtype``."""
    return _cumulative("cumulative_prod", lax.cumprod, 1, x, axis, dtype, include_initial)


def take_along_axis(arr, indices, axis=-1, mode=None, fill_value=None):
    """numpy 2's ``take_along_axis`` with its (and the standard's) default ``axis=-1``; see
    ``_selection.take_along_axis`` for ``mode`` and ``fill_value``."""
    return _take_along_axis(arr, indices, axis, mode=mode, fill_value=fill_value)


# -- DLPack ---------------------------------------------------------------------------------------

def from_dlpack(x, /, *, device=None, copy=None):
    """An fnx array of the data of ``x`` (anything with ``__dlpack__``: numpy, torch, cupy, fnx
    arrays), sharing its memory unless ``copy=True``.

    ``device`` None keeps x's device; another device moves the data there, a copy (with
    ``copy=False`` that is a ValueError, as the standard says): to the host the producer makes
    it (``__dlpack__(dl_device=(1, 0))``), to a GPU ``fnx.device_put`` does.  Host and CUDA
    memory only (other DLPack devices, or a GPU fnx cannot see: BufferError).  A shared buffer
    must not be written by the producer afterwards (fnx arrays are immutable)."""
    if not hasattr(x, "__dlpack__") or not hasattr(x, "__dlpack_device__"):
        raise AttributeError(f"from_dlpack: {type(x).__name__} does not implement the DLPack "
                             "protocol (__dlpack__ and __dlpack_device__)")
    target = resolve_device("from_dlpack", device)
    kind, index = (int(v) for v in x.__dlpack_device__())
    if kind not in (1, 2):
        raise BufferError(f"from_dlpack: unsupported DLPack device type {kind} (fnx holds "
                          "host (1) and CUDA (2) memory)")
    source = CPU if kind == 1 else Device("cuda", index)
    if target is not None and target != source:
        if copy is False:
            raise ValueError(f"from_dlpack: moving the data from {source} to {target} needs "
                             "a copy, but copy=False")
        if target == CPU:
            try:  # the producer copies to the host (DLPack 1.0's dl_device)
                host = _host_array(np.from_dlpack(x, device="cpu"), None)
            except (BufferError, TypeError, NotImplementedError):
                host = from_dlpack(x)  # an older producer: take its GPU buffer, then copy
            return placement.device_put(host, target)
        return placement.device_put(from_dlpack(x), target)
    if kind == 1:
        out = _host_array(np.from_dlpack(x, copy=copy), copy)
    else:
        if source not in placement.devices():
            raise BufferError(f"from_dlpack: the data is on {source}, which fnx cannot see "
                              f"(devices: {', '.join(str(d) for d in placement.devices())}); "
                              "pass device='cpu' to copy it to the host")
        out = placement.from_dlpack(x)
        if copy:
            out = type(out)(out._value.copy())
    return out if target is None else placement.device_put(out, target)


def _host_array(value, copy):
    """An Array of the host buffer ``value`` (C order: the kernels' layout)."""
    _check_dtype(value.dtype)
    if not value.flags.c_contiguous:
        if copy is False:
            raise ValueError("from_dlpack: the producer's buffer is not C-contiguous, so fnx "
                             "would need a copy, but copy=False")
        value = np.ascontiguousarray(value)
    return Array(value)


def _check_dtype(dt):
    if dt not in dtypes.SUPPORTED:
        raise DTypeError(f"from_dlpack: dtype {dt} is not supported by fnx; supported: "
                         + ", ".join(str(d) for d in dtypes.SUPPORTED))


__all__ = ["__array_api_version__", "__array_namespace_info__", "isdtype", "astype", "unstack",
           "cumulative_sum", "cumulative_prod", "take_along_axis", "from_dlpack"]
