"""The CPU backend's one contact with cffi: the compiled kernel library (``fnx._fnx_kernels``,
built by build_kernels.py) and the buffer helpers every family of CPU impls uses.

numpy owns the buffers (``Array._value``); a kernel gets ``char *`` pointers and byte strides.
Outputs of at least ``_POOL_MIN_BYTES`` come from the kernels' caching allocator.  cpu.py (the
elementwise, layout, reduction and indexing impls, and the merged table), cpu_conv.py and
cpu_linalg.py import from here; cpu_jit.py calls generated code through the same ``ffi``.
"""
from __future__ import annotations

import math
import os
import sys

import numpy as np

from .. import dtypes
from ..config import config
from ..core import Array, missing_kernel
from ..errors import FnxError


def _load_kernels():
    # OpenMP's default is to keep idle worker threads spinning for a while after each parallel
    # region.  Eager fnx runs many short kernels with Python in between, so spinning workers
    # steal the core the Python thread needs: measured 224 ms vs 9 ms per MLP value_and_grad on
    # a busy 2-core machine.  Sleeping workers cost a few microseconds of wake-up per kernel.
    # Must be set before libgomp initialises (it reads the variable once); users may override.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        from .._fnx_kernels import ffi, lib
    except ImportError:
        built = _build_in_place()
        ffi, lib = built.ffi, built.lib
    return ffi, lib


def _build_in_place():
    """A source checkout without a built extension: build it once (python build_kernels.py)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    script = os.path.join(root, "build_kernels.py")
    if not os.path.exists(script):
        raise ImportError("fnx's C kernels are not built and build_kernels.py is not available; "
                          "reinstall fnx with `pip install .`")
    print("fnx: building the C kernels (python build_kernels.py) ...", file=sys.stderr)
    import subprocess
    subprocess.run([sys.executable, script], check=True, cwd=root)
    import importlib
    return importlib.import_module("fnx._fnx_kernels")


ffi, lib = _load_kernels()

_DTYPE_CODE = {
    dtypes.bool_: lib.FNX_BOOL, dtypes.int8: lib.FNX_INT8, dtypes.uint8: lib.FNX_UINT8,
    dtypes.int32: lib.FNX_INT32, dtypes.int64: lib.FNX_INT64,
    dtypes.float32: lib.FNX_FLOAT32, dtypes.float64: lib.FNX_FLOAT64, dtypes.uint32: lib.FNX_UINT32,
    dtypes.complex64: lib.FNX_COMPLEX64, dtypes.complex128: lib.FNX_COMPLEX128,
}


def _apply_threads(n):
    if n is not None:
        lib.fnx_set_num_threads(int(n))


_apply_threads(config.num_threads)
config.on_change("num_threads", _apply_threads)

# ---------------------------------------------------------------------------------------------
# Buffers, pointers and strides
# ---------------------------------------------------------------------------------------------


def _ptr(v: np.ndarray):
    """A ``char *`` to the first element of ``v`` (any strides)."""
    if v.flags.c_contiguous:
        return ffi.from_buffer(v)
    return ffi.cast("char *", v.__array_interface__["data"][0])


def _contig_ptr(x: Array):
    """The cached pointer of a C-contiguous Array's buffer, or False if it is not contiguous.

    Arrays are immutable, so the answer never changes; caching it in ``Array._ptr`` saves the
    hot path a contiguity check and a ``from_buffer`` per operand."""
    p = x._ptr
    if p is None:
        v = x._value
        p = x._ptr = ffi.from_buffer(v) if v.flags.c_contiguous else False
    return p


def _wrap(out: np.ndarray, weak: bool = False) -> Array:
    return Array(out, weak)


def _result(out: np.ndarray, out_ptr, weak: bool) -> Array:
    r = Array(out, weak)
    r._ptr = out_ptr
    return r


# Outputs of at least this many bytes come from the kernels' caching allocator
# (kernels/cpu/buffers.c) instead of numpy's, which would page-fault on every fresh block.
_POOL_MIN_BYTES = 1 << 20


def _pooled_empty(shape, dtype) -> np.ndarray:
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    raw = lib.fnx_buffer_alloc(nbytes)
    if raw == ffi.NULL:
        raise MemoryError(f"fnx: cannot allocate {nbytes} bytes for an array of shape {shape}")
    # the cffi buffer keeps `raw` alive; when the last numpy view of it dies, the block goes
    # back to the cache
    raw = ffi.gc(raw, lib.fnx_buffer_free, size=nbytes)
    return np.frombuffer(ffi.buffer(raw, nbytes), dtype=dtype).reshape(shape)


def _empty(shape, dtype) -> np.ndarray:
    """An uninitialised output array (pooled when large)."""
    if math.prod(shape) * np.dtype(dtype).itemsize >= _POOL_MIN_BYTES:
        return _pooled_empty(shape, dtype)
    return np.empty(shape, dtype)


def _i64(seq):
    return ffi.new("int64_t[]", tuple(seq))


def _check(rc: int, op: str, *operands):
    if rc != 0:
        if rc == lib.FNX_ERR_UNSUPPORTED:
            raise missing_kernel(op, "cpu", ", ".join(f"{o.dtype}{list(o.shape)}"
                                                       for o in operands))
        raise FnxError(f"{op}: C kernel failed with status {rc}")


def _contiguous(v: np.ndarray) -> np.ndarray:
    """``v`` itself if C-contiguous, else a C-contiguous copy made by the strided-copy kernel."""
    if v.flags.c_contiguous:
        return v
    out = _empty(v.shape, v.dtype)
    _copy_into(out, v)
    return out


def _copy_into(dst: np.ndarray, src: np.ndarray) -> None:
    """dst[...] = src for equal shapes and dtypes, any strides (dst may be a strided view)."""
    # Guard the C call: a numpy *scalar* here (what `a[()]` gives for a 0-d array) would
    # be written through, corrupting numpy's cached scalar objects.
    if type(dst) is not np.ndarray or dst.shape != src.shape or dst.dtype != src.dtype:
        raise AssertionError(f"internal error: copy into {type(dst).__name__} {dst.shape} "
                             f"{dst.dtype} from {src.shape} {src.dtype}")
    if dst.size == 0:
        return
    rc = lib.fnx_copy(src.dtype.itemsize, src.ndim, _i64(src.shape), _ptr(src),
                      _i64(src.strides), _ptr(dst), _i64(dst.strides))
    _check(rc, "copy", src)


def _contiguous_copy(v: np.ndarray) -> np.ndarray:
    """A fresh, writable C-contiguous copy of ``v`` (made in C)."""
    out = _empty(v.shape, v.dtype)
    _copy_into(out, v)
    return out


def _broadcast_view(v: np.ndarray, shape) -> np.ndarray:
    """A stride-0 broadcast view of ``v`` (same rank or a scalar) to ``shape``."""
    if v.shape == tuple(shape):
        return v
    return np.broadcast_to(v, shape)
