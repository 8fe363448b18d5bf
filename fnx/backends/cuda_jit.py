"""The device side of ``fnx.jit`` on CUDA: compiling generated modules, memory, launches.

Imports cupy (like cuda.py, it is imported only once a GPU array exists).  The program being
run -- which kernels, in which order, over which buffers -- is planned without cupy by
``fnx.compiler.cuda_executable``; this module only does what needs the device.

Generated modules compile through NVRTC (``cupy.RawModule``).  CuPy caches the compiled binary
on disk keyed by the source, the options and the GPU architecture (``CUPY_CACHE_DIR``, default
``~/.cupy/kernel_cache``), so a second process running the same jitted function skips NVRTC;
within a process a module is compiled once per device.
"""
from __future__ import annotations

import sys

import cupy as cp

from ..compiler.cuda_executable import cuda_executable_for
from . import impl_for
from .cuda_launch import _contiguous
from .cuda_transfer import to_device
from .device_arrays import CudaArray

_modules: dict = {}


def module(source: str):
    """The compiled module of ``source`` on the current device."""
    key = (cp.cuda.Device().id, source)
    mod = _modules.get(key)
    if mod is None:
        mod = _modules[key] = cp.RawModule(code=source, options=("-std=c++17",))
    return mod


def current_device() -> int:
    return cp.cuda.Device().id


def function(mod, name: str):
    return mod.get_function(name)


def impl(prim):
    """The CUDA backend's implementation of ``prim`` (a library step between kernels)."""
    return impl_for("cuda", prim)


def launch(fn, grid: int, block: int, args) -> None:
    fn((grid,), (block,), tuple(args))


def empty(shape, dtype):
    return cp.empty(shape, dtype)


def view(arena, offset: int, aval):
    """The buffer of ``aval`` at ``offset`` bytes into ``arena`` (a uint8 device array)."""
    n = aval.dtype.itemsize
    for d in aval.shape:
        n *= d
    return arena[offset:offset + n].view(aval.dtype).reshape(aval.shape)


def contiguous(v):
    return _contiguous(v)


def wrap(v, weak_type: bool = False) -> CudaArray:
    return CudaArray(v, weak_type)


def device_value(x):
    """The device array of ``x``: a CudaArray's own, or a copy of a CPU array."""
    if type(x) is CudaArray:
        return x._value
    return to_device(x._value, cp.cuda.Device().id)


class _BoundExecutable:
    """A CUDA executable (``fnx.compiler.cuda_executable``) bound to this runtime: what the
    backend registry hands ``jit_p`` for platform ``cuda``."""

    def __init__(self, exe):
        self.exe = exe

    def __call__(self, args) -> list:
        return self.exe(list(args), rt=sys.modules[__name__])

    def __getattr__(self, name):
        return getattr(self.exe, name)


def compile_jaxpr(jaxpr, donated: tuple) -> _BoundExecutable:
    """The executable of ``jaxpr`` on the current CUDA device (``donated`` is not used on the
    GPU yet: outputs never reuse a donated input's buffer)."""
    return _BoundExecutable(cuda_executable_for(jaxpr))
