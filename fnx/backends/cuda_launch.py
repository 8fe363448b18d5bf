"""Compiling and launching the CUDA kernels of kernels/cuda, and the copies every family of
CUDA impls uses.

The ``.cu`` files are compiled once per process and device by NVRTC (``cupy.RawModule``; CuPy
also caches the binaries on disk) and launched as raw kernels with launch configurations
computed here.  cuda.py (elementwise, layout, transfers and the merged table) and cuda_ops.py
(reductions, sort, dot_general, gather / scatter, convolution) import from here.
"""
from __future__ import annotations

import cupy as cp
import numpy as np

from .._cuda_source import read_source
from ..core import missing_kernel
from .device_arrays import CudaArray

_SFX = {np.dtype(np.bool_): "b", np.dtype(np.int8): "i8", np.dtype(np.uint8): "u8",
        np.dtype(np.int32): "i32", np.dtype(np.int64): "i64", np.dtype(np.uint32): "u32",
        np.dtype(np.float32): "f32", np.dtype(np.float64): "f64",
        np.dtype(np.complex64): "c64", np.dtype(np.complex128): "c128"}
_BLOCK = 256
_MAX_GRID = 1 << 20   # kernels loop grid-stride, so a capped grid still covers every element

# ---------------------------------------------------------------------------------------------
# Compiling and launching
# ---------------------------------------------------------------------------------------------


_modules: dict = {}
_functions: dict = {}


def _fn(file: str, name: str):
    """The kernel ``name`` of kernels/cuda/<file>.cu on the current device."""
    dev = cp.cuda.Device().id
    key = (dev, name)
    f = _functions.get(key)
    if f is None:
        mod = _modules.get((dev, file))
        if mod is None:
            mod = _modules[(dev, file)] = cp.RawModule(code=read_source(file + ".cu"),
                                                       options=("-std=c++17",))
        try:
            f = _functions[key] = mod.get_function(name)
        except Exception as e:  # noqa: BLE001 - cupy raises driver errors for unknown names
            raise missing_kernel(name, "cuda", f"no kernel {name} in {file}.cu: {e}") from None
    return f


def _launch(kern, n: int, args, block: int = _BLOCK) -> None:
    if n <= 0:
        return
    grid = min((n + block - 1) // block, _MAX_GRID)
    kern((grid,), (block,), args)


def _sfx(dtype) -> str:
    return _SFX[np.dtype(dtype)]


_geoms: dict = {}


def _geom(out, *ins):
    """(nd, g) for the strided kernels: nd == 0 when every operand is C-contiguous with the
    output's shape (the kernels then index linearly), else the device array of shape + element
    strides of each input and of the output (see kernels/cuda/fnx_cuda.cuh)."""
    views = ins + (out,)
    if all(v.flags.c_contiguous and v.shape == out.shape for v in views):
        return np.int32(0), _geom_array((0,))
    key = (out.shape,) + tuple(tuple(s // v.itemsize for s in v.strides) for v in views)
    flat = list(out.shape)
    for strides in key[1:]:
        flat.extend(strides)
    return np.int32(out.ndim), _geom_array(tuple(flat))


def _geom_array(values: tuple):
    """A cached device copy of an int64 tuple (geometry never changes once made)."""
    key = (cp.cuda.Device().id, values)
    g = _geoms.get(key)
    if g is None:
        if len(_geoms) > 4096:
            _geoms.clear()
        g = _geoms[key] = cp.asarray(np.array(values or (0,), dtype=np.int64))
    return g


def _wrap(v, weak: bool = False) -> CudaArray:
    return CudaArray(v, weak)


def _i64(x) -> np.int64:
    return np.int64(x)


# ---------------------------------------------------------------------------------------------
# Copies
# ---------------------------------------------------------------------------------------------


def _copy_into(dst, src) -> None:
    """dst[...] = src (same shape and dtype, any strides; dst may be a strided view)."""
    if dst.size == 0:
        return
    nd, g = _geom(dst, src)
    _launch(_fn("elementwise", f"fnx_copy_{src.itemsize}"), dst.size,
            (nd, _i64(dst.size), g, src, dst))


def _contiguous(v):
    if v.flags.c_contiguous:
        return v
    out = cp.empty(v.shape, v.dtype)
    _copy_into(out, v)
    return out


def _contiguous_copy(v):
    out = cp.empty(v.shape, v.dtype)
    _copy_into(out, v)
    return out


def _convert(v, new_dtype):
    out = cp.empty(v.shape, new_dtype)
    nd, g = _geom(out, v)
    _launch(_fn("elementwise", f"fnx_convert_{_sfx(v.dtype)}_{_sfx(new_dtype)}"), out.size,
            (nd, _i64(out.size), g, v, out, _i64(0)))
    return out
