"""The CUDA sources as NVRTC gets them (fnx/_cuda_source.py): our headers inlined, found by file
name in the source checkout (kernels/cuda, kernels/common) and in the installed flat copy
(fnx/_cuda, made by build_kernels.py), with the same text either way.  (That the result
compiles is checked by nvcc in tests/test_cuda_jit_codegen.py and on a GPU by tests/test_cuda.py.)
"""
from __future__ import annotations

import glob
import os
import re

import pytest

import fnx._cuda_source as cuda_source

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CUDA_FILES = sorted(os.path.basename(p)
                    for p in glob.glob(os.path.join(ROOT, "kernels", "cuda", "*.cu")))
# the only include left in place: the C branch of fnx_scalar.h, skipped by the preprocessor
_C_ONLY = {"vmath.h"}


def _remaining_includes(text: str) -> set:
    return set(re.findall(r'^#include "([^"]+)"', text, re.M))


@pytest.mark.parametrize("name", CUDA_FILES)
def test_checkout_source_is_self_contained(name):
    text = cuda_source.read_source(name)
    assert _remaining_includes(text) <= _C_ONLY
    # every source includes fnx_cuda.cuh, hence fnx_scalar.h and fnx_ops.h
    assert "#define FNX_SCALAR_H" in text and "#define FNX_FLOAT_UNARY_OPS(X)" in text


@pytest.mark.parametrize("name", CUDA_FILES)
def test_installed_copy_gives_the_same_source(name, monkeypatch):
    installed = os.path.join(os.path.dirname(os.path.abspath(cuda_source.__file__)), "_cuda")
    if not os.path.isfile(os.path.join(installed, name)):
        pytest.skip("fnx/_cuda not built (python build_kernels.py)")
    checkout = cuda_source.read_source(name)
    monkeypatch.setattr(cuda_source, "source_dirs", lambda: (installed,))
    assert cuda_source.read_source(name) == checkout, "fnx/_cuda is stale: run build_kernels.py"
