"""The CUDA sources as NVRTC gets them: our ``#include "..."`` lines replaced by the files.

NVRTC (cupy.RawModule) compiles a source string with no include path, and CuPy's on-disk cache
key is that string, so it must change whenever a header does: the eager kernels
(``fnx/backends/cuda.py``) and the jit's generated CUDA (``fnx/compiler/codegen_cuda.py``)
both go through :func:`inline_includes`.

The files are looked up by their *file name* in the source directories: ``kernels/cuda`` and
``kernels/common`` in a source checkout (always the current sources), else ``fnx/_cuda``, the
flat copy build_kernels.py installs as package data.  (fnx_cuda.cuh includes
``"../common/fnx_scalar.h"`` so that nvcc finds it in the checkout without -I.)  An include
found in no directory is left as it is: fnx_scalar.h's C branch includes vmath.h, which the
preprocessor skips on the GPU.  Imports nothing from fnx.
"""
from __future__ import annotations

import os
import re

_HERE = os.path.dirname(os.path.abspath(__file__))
_CHECKOUT = os.path.join(os.path.dirname(_HERE), "kernels")
_INCLUDE = re.compile(r'^#include "([^"]+)"\s*$', re.M)


def source_dirs() -> tuple[str, ...]:
    """Where the CUDA sources and the headers they include are, in lookup order."""
    if os.path.isfile(os.path.join(_CHECKOUT, "cuda", "fnx_cuda.cuh")):
        return os.path.join(_CHECKOUT, "cuda"), os.path.join(_CHECKOUT, "common")
    return (os.path.join(_HERE, "_cuda"),)


def _find(name: str) -> str | None:
    for d in source_dirs():
        path = os.path.join(d, os.path.basename(name))
        if os.path.isfile(path):
            return path
    return None


def inline_includes(text: str, seen: set | None = None) -> str:
    """``text`` with each of our headers inlined where it is first included (later includes
    of the same header become empty, like an include guard)."""
    seen = set() if seen is None else seen

    def inline(m):
        path = _find(m.group(1))
        if path is None:
            return m.group(0)
        if path in seen:
            return ""
        seen.add(path)
        with open(path) as f:
            return inline_includes(f.read(), seen)
    return _INCLUDE.sub(inline, text)


def read_source(name: str) -> str:
    """The source file ``name`` (e.g. ``"elementwise.cu"``) with our headers inlined."""
    path = _find(name)
    if path is None:
        raise FileNotFoundError(f"no CUDA source {name} in {', '.join(source_dirs())}")
    with open(path) as f:
        return inline_includes(f.read())
