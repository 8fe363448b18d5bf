"""A stand-in for cupy that checks kernel launches instead of running them (no GPU needed).

``install()`` puts it in ``sys.modules["cupy"]``.  Arrays are numpy arrays (a subclass with
``.device`` and ``.get()``); ``RawModule`` preprocesses the CUDA source it is given with
``nvcc -E`` and reads every ``extern "C"`` kernel's parameter list, and each launch is checked
against it: the kernel exists, the argument count matches, pointers get arrays of the right
item size (floats for float pointers), scalars have the exact C type (``int`` -> np.int32,
``long long`` -> np.int64, ``double`` -> np.float64), and the grid and block fit CUDA's limits.
The kernels do not run (outputs stay zero), so values are not checked -- shapes, dtypes and
launch plans are.  Used by tests/test_cuda_launch_plan.py in a subprocess.
"""
from __future__ import annotations

import importlib.machinery
import os
import re
import subprocess
import sys
import tempfile
import types

import numpy as np

LAUNCHES: list = []   # (kernel name, grid, block) of every launch


class _Device:
    def __init__(self, id=0):  # noqa: A002
        self.id = id

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def synchronize(self):
        pass


class ndarray(np.ndarray):  # noqa: N801 - cupy's name
    """numpy memory that, like cupy's, refuses numpy functions and ufuncs (code that hands a
    GPU array to numpy fails here as it would on a GPU)."""

    @property
    def device(self):
        return _Device(0)

    def get(self):
        return self.view(np.ndarray).copy()

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(f"numpy.{func.__name__} on a (fake) cupy array")

    __array_ufunc__ = None

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed (fake cupy)")


def _host(a):
    return a.view(np.ndarray) if isinstance(a, ndarray) else a


def _wrap(a) -> ndarray:
    return np.asarray(_host(a)).view(ndarray)


def empty(shape, dtype=np.float64):
    return _wrap(np.zeros(shape, dtype))


zeros = empty


def empty_like(x):
    return _wrap(np.zeros_like(_host(x)))


def asarray(a, dtype=None):
    return _wrap(np.array(_host(a), dtype=dtype))


array = asarray


def broadcast_to(x, shape):
    return np.broadcast_to(_host(x), shape).view(ndarray)


def squeeze(x, axis=None):
    return np.squeeze(_host(x), axis).view(ndarray)


def expand_dims(x, axis):
    return np.expand_dims(_host(x), axis).view(ndarray)


def from_dlpack(x):
    return _wrap(np.from_dlpack(x))


# ---- kernels ----------------------------------------------------------------------------------

_CTYPES = {"float": ("f", 4), "double": ("f", 8), "fnx_int8": ("i", 1), "fnx_uint8": ("u", 1),
           "fnx_int32": ("i", 4), "fnx_uint32": ("u", 4), "fnx_int64": ("i", 8),
           "fnx_uint64": ("u", 8), "unsigned short": ("u", 2), "int": ("i", 4),
           "long long": ("i", 8), "unsigned long long": ("u", 8),
           # complex: fnx_complex.h's structs, fnx_cplx.cuh's fnx_cnum<R>
           "fnx_complex64": ("c", 8), "fnx_complex128": ("c", 16), "fnx_cnum64": ("c", 8),
           "fnx_cnum128": ("c", 16), "fnx_cnum<float>": ("c", 8), "fnx_cnum<double>": ("c", 16)}
_SCALARS = {"int": np.int32, "fnx_int64": np.int64, "long long": np.int64, "double": np.float64}
_KERNEL = re.compile(r'extern\s+"C"\s+__attribute__\(\(global\)\)\s+void\s+'
                     r'(?:__attribute__\(\(launch_bounds\(\d+\)\)\)\s+)?(\w+)\s*\(([^)]*)\)')


def _param(text: str):
    text = text.replace("__restrict__", " ").replace("const", " ")
    pointer = "*" in text
    words = text.replace("*", " ").split()[:-1]  # drop the parameter name
    return pointer, " ".join(words)


def _signatures(code: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "k.cu")
        with open(src, "w") as f:
            f.write(code)
        pre = subprocess.run(["nvcc", "-E", "-arch=sm_90", "-std=c++17", src],
                             capture_output=True, text=True, check=True).stdout
    return {m.group(1): [_param(p) for p in m.group(2).split(",")]
            for m in _KERNEL.finditer(pre)}


class _Kernel:
    def __init__(self, name, params):
        self.name, self.params = name, params

    def __call__(self, grid, block, args, shared_mem=0):
        where = f"{self.name}{tuple(type(a).__name__ for a in args)}"
        assert 1 <= len(grid) <= 3 and grid[0] <= 2**31 - 1 and all(
            g <= 65535 for g in grid[1:]), f"{where}: grid {grid}"
        assert all(g >= 1 for g in grid), f"{where}: empty grid {grid}"
        assert math_prod(block) <= 1024 and block[0] % 32 == 0, f"{where}: block {block}"
        assert len(args) == len(self.params), \
            f"{where}: {len(args)} arguments for {len(self.params)} parameters"
        for i, ((pointer, ctype), a) in enumerate(zip(self.params, args)):
            if pointer:
                if isinstance(a, np.uint64) and a == 0:
                    continue  # null
                assert isinstance(a, ndarray), f"{where}: argument {i} is not a device array"
                kind, size = _CTYPES[ctype]
                assert a.dtype.itemsize == size, \
                    f"{where}: argument {i} is {a.dtype}, the kernel expects {ctype} *"
                # unsigned pointers are the dtype-agnostic moves (copy, select, gather)
                assert kind == "u" or (a.dtype.kind == "f") == (kind == "f"), \
                    f"{where}: argument {i} is {a.dtype}, the kernel expects {ctype} *"
            else:
                assert type(a) is _SCALARS[ctype], \
                    f"{where}: argument {i} is {type(a).__name__}, the kernel expects {ctype}"
        LAUNCHES.append((self.name, grid, block))


def math_prod(xs):
    p = 1
    for x in xs:
        p *= x
    return p


_GENERATED = re.compile(r'extern "C" __global__ void __launch_bounds__\(\d+\) (\w+)\(([^)]*)\)')
_C99 = {"int8_t": "fnx_int8", "uint8_t": "fnx_uint8", "int32_t": "fnx_int32",
        "uint32_t": "fnx_uint32", "int64_t": "fnx_int64", "uint64_t": "fnx_uint64"}


def _generated_signatures(code: str) -> dict:
    """Kernels generated by fnx.jit (fnx/compiler/codegen_cuda.py) are written out plainly:
    read their signatures without preprocessing (tests/test_cuda_jit_codegen.py compiles
    them with nvcc)."""
    body = code.split(_JIT_MARK, 1)[1]
    sigs = {}
    for m in _GENERATED.finditer(body):
        params = [_param(p) for p in m.group(2).split(",")] if m.group(2).strip() else []
        sigs[m.group(1)] = [(ptr, _C99.get(t, t)) for ptr, t in params]
    return sigs


_JIT_MARK = "/* generated by fnx.jit for CUDA */"


class RawModule:
    def __init__(self, code, options=()):
        self.sigs = _generated_signatures(code) if _JIT_MARK in code else _signatures(code)

    def get_function(self, name):
        if name not in self.sigs:
            raise RuntimeError(f"named symbol not found: {name}")
        return _Kernel(name, self.sigs[name])


def install():
    module = sys.modules[__name__]
    cupy = types.ModuleType("cupy")
    for name in ("ndarray", "empty", "zeros", "empty_like", "asarray", "array", "broadcast_to",
                 "squeeze", "expand_dims", "from_dlpack", "RawModule"):
        setattr(cupy, name, getattr(module, name))
    cupy.cuda = types.SimpleNamespace(Device=_Device, runtime=types.SimpleNamespace(
        getDeviceCount=lambda: 1))
    cupy.__spec__ = importlib.machinery.ModuleSpec("cupy", None)
    sys.modules["cupy"] = cupy
    return cupy
