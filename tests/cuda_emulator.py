"""Runs fnx.jit's generated CUDA kernels on the CPU, serially, to check their values without a
GPU (used by tests/test_cuda_jit_emulated.py).

The kernels are rendered with ``codegen_cuda.BLOCK = 1`` and compiled by g++ as C++ under a shim
that maps the CUDA keywords to plain C++ (``__global__`` and ``__shared__`` to nothing,
``__syncthreads()`` to a no-op, the bit-cast intrinsics to memcpy).  Launched as one block of
one thread (gridDim = blockDim = 1), every grid-stride, block-stride and thread-stride loop
walks its whole range in one thread, and a block's shared-memory combine is the identity -- so
the index arithmetic, the reduction strategies (including split, two-pass reductions and their
partial-result layouts), row groups and the host-side program (arena offsets, library calls,
fallbacks) all run and produce values.  What this cannot check is the cooperation of many
threads (the shared-memory tree, barriers), which the gpu-marked tests do.

``Runtime`` has the interface of ``fnx.backends.cuda_jit`` with numpy arrays for device memory
and the CPU eager implementations for library steps.
"""
from __future__ import annotations

import ctypes
import os
import subprocess
import tempfile

import numpy as np

from fnx.core import Array

SHIM = r"""
#include <cmath>
#include <cstring>
#include <cstdint>
using std::isfinite;
struct fnx_emu_dim { unsigned x, y, z; };
static const fnx_emu_dim blockIdx = {0, 0, 0}, threadIdx = {0, 0, 0};
static const fnx_emu_dim blockDim = {1, 1, 1}, gridDim = {1, 1, 1};
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__
#define __restrict__ __restrict
#define __launch_bounds__(n)
static inline void __syncthreads() {}
template <typename D, typename S> static inline D fnx_emu_cast(S x) {
  D y; std::memcpy(&y, &x, sizeof y); return y; }
#define __longlong_as_double(x) fnx_emu_cast<double>((long long)(x))
#define __double_as_longlong(x) fnx_emu_cast<long long>((double)(x))
#define __int_as_float(x) fnx_emu_cast<float>((int)(x))
#define __float_as_int(x) fnx_emu_cast<int>((float)(x))
#define __uint_as_float(x) fnx_emu_cast<float>((unsigned)(x))
#define __float_as_uint(x) fnx_emu_cast<unsigned>((float)(x))
#define __shfl_down_sync(mask, v, d) (v)
/* erfinv is CUDA's; here by Newton steps on std::erf (accurate to a few ulps) */
static inline double erfinv(double y) {
  if (y <= -1.0) return y == -1.0 ? -INFINITY : NAN;
  if (y >= 1.0) return y == 1.0 ? INFINITY : NAN;
  double x = 0.0;
  for (int k = 0; k < 100; k++) {
    double step = (std::erf(x) - y) / (2.0 / std::sqrt(M_PI) * std::exp(-x * x));
    x -= step;
    if (std::fabs(step) <= 1e-17 * (1.0 + std::fabs(x))) break;
  }
  return x;
}
static inline float erfinvf(float y) { return (float)erfinv((double)y); }
"""


def compile_library(source: str, workdir: str | None = None) -> ctypes.CDLL:
    """``source`` (a self-contained generated unit) built as a shared library by g++."""
    workdir = workdir or tempfile.mkdtemp(prefix="fnx_cuda_emu_")
    src = os.path.join(workdir, "emu.cpp")
    lib = os.path.join(workdir, "emu.so")
    with open(src, "w") as f:
        f.write(SHIM + source)
    res = subprocess.run(["g++", "-std=c++17", "-O1", "-shared", "-fPIC", "-w", src, "-o", lib],
                         capture_output=True, text=True, timeout=900)
    if res.returncode:
        raise RuntimeError(res.stderr[-6000:])
    return ctypes.CDLL(lib)


class Runtime:
    """fnx.backends.cuda_jit's interface over numpy memory and a compiled library whose kernel
    names carry ``prefix`` (several programs share one library)."""

    def __init__(self, lib: ctypes.CDLL, prefix: str = "fnx_k"):
        self.lib, self.prefix = lib, prefix

    def current_device(self) -> int:
        return 0

    def module(self, source: str):
        return self.lib

    def function(self, mod, name: str):
        fn = getattr(mod, self.prefix + name[len("fnx_k"):])
        fn.restype = None
        return fn

    def launch(self, fn, grid: int, block: int, args) -> None:
        fn(*[ctypes.c_void_p(a.ctypes.data) for a in args])

    def empty(self, shape, dtype):
        # poisoned, so that reading an element no kernel wrote shows up
        out = np.empty(shape, dtype)
        out.reshape(-1).view(np.uint8)[...] = 0xA5
        return out

    def view(self, arena, offset: int, aval):
        n = aval.dtype.itemsize * int(np.prod(aval.shape, dtype=np.int64))
        return arena[offset:offset + n].view(aval.dtype).reshape(aval.shape)

    def contiguous(self, v):
        return v if v.flags.c_contiguous else v.copy(order="C")   # (keeps 0-d arrays 0-d)

    def wrap(self, v, weak_type: bool = False):
        return Array(v, weak_type)

    def device_value(self, x):
        return np.asarray(x._value)

    def impl(self, prim):
        if prim.name == "dot_general_epilogue":
            return _epilogue
        return lambda *args, **params: prim.impl(*args, **params)


def _epilogue(lhs, rhs, bias, *, dimension_numbers, act):
    import fnx.numpy as jnp
    from fnx import lax
    from fnx.compiler.epilogue import ACT_RELU
    c = lax.dot_general(lhs, rhs, dimension_numbers)
    b = lax.broadcast_in_dim(lax.reshape(bias, (c.shape[-1],)), c.shape, (c.ndim - 1,))
    out = lax.add(c, b)
    if act == ACT_RELU:
        out = lax.max(out, jnp.zeros_like(out))
    return out
