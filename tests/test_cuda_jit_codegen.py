"""The CUDA that ``fnx.jit`` generates for GPU arguments compiles (no GPU needed, only nvcc).

For every row of the lax spec table and every dtype the row accepts, an example is traced
through ``jit(...).lower(...)`` (plain, and fused with elementwise neighbours as in
tests/test_jit_spec.py), and so are softmax, layer norm, an MLP's loss + grad and a conv net's
loss + grad.  The generated kernels of all of them go into one translation unit compiled with
``nvcc -arch=sm_90 -std=c++17 -c`` (the same dialect NVRTC compiles at run time), and the
module-level source (header inlined, as cupy.RawModule gets it) is compiled once too.  Values
are checked by the gpu-marked tests (tests/test_cuda_jit.py); the launch plan of the generated
kernels by tests/test_cuda_launch_plan.py (fake cupy).
"""
from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fnx
import fnx.numpy as jnp
from fnx import lax
from fnx.compiler import codegen_cuda
from fnx.compiler.cuda_executable import CudaKernel, cuda_executable_for

from spec_lax import NO_CUDA_KERNELS, SPECS, LaxCase
from test_jit_spec import _apply, _wiggle

needs_nvcc = pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs nvcc")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _executable(fun, *args):
    return cuda_executable_for(fnx.jit(fun).lower(*args).jaxpr)


def _fused(inner):
    def fun(*operands):
        outs = inner(*[_wiggle(o) for o in operands])
        if isinstance(outs, (list, tuple)):
            return [_wiggle(o) for o in outs]
        return _wiggle(outs)
    return fun


def _row_executables(row, dtype, examples=1) -> list:
    found = []

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def draw(data):
        case = data.draw(row.cases(dtype))
        fun = _apply(row, case.params)
        found.append(_executable(fun, *case.operands))
        found.append(_executable(_fused(fun), *case.operands))
    draw()
    return found


def _translation_unit(executables) -> str:
    """Every kernel of ``executables`` in one unit (renamed apart: each program numbers its
    kernels from 0)."""
    parts = [codegen_cuda.MARK, "#pragma nv_diag_suppress 177", codegen_cuda.INCLUDE_LINE,
             codegen_cuda.PRELUDE]
    for i, exe in enumerate(executables):
        parts += [k.writer.render().replace(" fnx_k", f" p{i}_k", 1) for k in exe.kernels]
    return "\n".join(parts)


def _nvcc(tmp_path, source: str, name: str, include: bool = True):
    src = tmp_path / f"{name}.cu"
    src.write_text(source)
    # to PTX, as NVRTC (cupy's run-time compiler) does; assembling it is the driver's part, and
    # skipping ptxas here takes the every-spec-row check from ~24 to ~8 s
    cmd = ["nvcc", "-arch=sm_90", "-std=c++17", "-ptx", str(src), "-o",
           str(tmp_path / f"{name}.ptx")]
    if include:
        cmd.insert(1, "-I" + os.path.join(ROOT, "kernels", "cuda"))
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    errors = [line for line in res.stderr.splitlines() if "error" in line]
    assert res.returncode == 0 and not errors, res.stderr[-6000:]


# ---- models ---------------------------------------------------------------------------------

def softmax(x):
    m = jnp.max(x, axis=-1, keepdims=True)
    e = jnp.exp(x - m)
    return e / jnp.sum(e, axis=-1, keepdims=True)


def layer_norm(x, g, b):
    mu = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.mean((x - mu) ** 2, axis=-1, keepdims=True)
    return (x - mu) * lax.rsqrt(var + 1e-5) * g + b


def mlp_loss(p, x, y):
    h = jnp.maximum(x @ p["w1"] + p["b1"], 0.0)
    logits = h @ p["w2"] + p["b2"]
    logp = logits - jnp.max(logits, axis=-1, keepdims=True)
    logp = logp - jnp.log(jnp.sum(jnp.exp(logp), axis=-1, keepdims=True))
    return -jnp.mean(jnp.sum(logp * y, axis=-1))


def conv_loss(p, x, y):
    h = lax.conv_general_dilated(x, p["k"], (1, 1), "SAME",
                                 dimension_numbers=("NHWC", "HWIO", "NHWC"))
    h = jnp.tanh(h + p["c"])
    h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
    out = jnp.mean(h, axis=(1, 2)) @ p["w"]
    return jnp.mean((out - y) ** 2)


def model_executables() -> dict:
    rng = np.random.default_rng(0)
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    mlp = {"w1": f32(20, 32), "b1": f32(32), "w2": f32(32, 10), "b2": f32(10)}
    conv = {"k": f32(3, 3, 3, 8), "c": f32(8), "w": f32(8, 4)}
    return {
        "softmax": _executable(softmax, f32(64, 100)),
        "softmax f64, 3-d": _executable(softmax, rng.standard_normal((4, 8, 33))),
        "layer norm": _executable(layer_norm, f32(64, 48), f32(48), f32(48)),
        "mlp loss+grad": _executable(fnx.value_and_grad(mlp_loss), mlp, f32(16, 20), f32(16, 10)),
        "conv loss+grad": _executable(fnx.value_and_grad(conv_loss), conv, f32(2, 8, 8, 3),
                                      f32(2, 4)),
        "full sum": _executable(lambda x: jnp.sum(jnp.tanh(x)), f32(300_000)),
        "column max": _executable(lambda x: jnp.max(x, axis=0), f32(5000, 3)),
        # 1.6e9 fused elements: 64-bit index arithmetic
        "huge broadcast": _executable(
            lambda x: jnp.sum(jnp.broadcast_to(x, (40_000, 40_000)) * 2.0, axis=1), f32(40_000)),
    }


# ---- tests ----------------------------------------------------------------------------------

@needs_nvcc
def test_models_compile(tmp_path):
    exes = model_executables()
    for name, exe in exes.items():
        assert exe.kernels, f"{name}: no generated kernel"
    _nvcc(tmp_path, _translation_unit(list(exes.values())), "models")


@needs_nvcc
def test_module_source_is_self_contained(tmp_path):
    """What cupy.RawModule gets: the header inlined, no include path."""
    exe = model_executables()["mlp loss+grad"]
    _nvcc(tmp_path, codegen_cuda.self_contained(exe.as_cuda()), "module", include=False)


def _spec_executables() -> list:
    exes = []
    for row in SPECS:
        if row.name in NO_CUDA_KERNELS:
            continue  # no CUDA kernel to call (test_cuda_launch_plan checks it is missing)
        for dtype in row.dtypes:
            exes += _row_executables(row, dtype)
    assert sum(len(e.kernels) for e in exes) > len(SPECS)
    return exes


@needs_nvcc
def test_every_spec_row_compiles(tmp_path):
    _nvcc(tmp_path, _translation_unit(_spec_executables()), "spec")


def _nvrtc_compile(source: str):
    """Compile with NVRTC itself (what cupy.RawModule calls), through ctypes."""
    import ctypes
    lib = ctypes.CDLL(os.environ["FNX_NVRTC_LIB"])
    prog = ctypes.c_void_p()
    assert lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), b"fnx_jit.cu", 0,
                                  None, None) == 0
    opts = [b"-std=c++17", b"--gpu-architecture=compute_90"]
    rc = lib.nvrtcCompileProgram(prog, len(opts), (ctypes.c_char_p * len(opts))(*opts))
    size = ctypes.c_size_t()
    lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    lib.nvrtcGetProgramLog(prog, log)
    lib.nvrtcDestroyProgram(ctypes.byref(prog))
    assert rc == 0, log.value.decode()[-6000:]


@pytest.mark.skipif("FNX_NVRTC_LIB" not in os.environ,
                    reason="set FNX_NVRTC_LIB to a libnvrtc.so to compile with NVRTC")
def test_every_spec_row_compiles_with_nvrtc():
    exes = _spec_executables() + list(model_executables().values())
    _nvrtc_compile(codegen_cuda.self_contained(_translation_unit(exes)))


def test_kernels_and_launch_shapes():
    """The plan itself: every fused step became kernels with legal launch shapes, the library
    steps host calls, and temporaries have arena offsets inside the arena."""
    exes = model_executables()
    for name, exe in exes.items():
        for k in exe.kernels:
            assert isinstance(k, CudaKernel)
            assert 1 <= k.grid <= 2 ** 31 - 1 and k.block == codegen_cuda.BLOCK, name
        for vid, off in exe.offsets.items():
            assert 0 <= off < exe.arena_bytes, name
    names = [type(item).__name__ for item in exes["mlp loss+grad"].program]
    assert "_HostCall" in names        # the matmuls run the backend's GEMM
    # a big full reduction is two passes: partial results, then their combination
    assert [k.name for k in exes["full sum"].kernels][-2:] == ["fnx_k0a", "fnx_k0b"]


def test_lower_as_cuda_needs_no_gpu():
    x = np.ones((32, 16), np.float32)     # enough rows for row fusion: one kernel
    src = fnx.jit(softmax).lower(x).as_cuda()
    assert '__global__' in src and "fnx_s_exp_f32" in src and "__syncthreads" in src
    assert src.count("__global__") == 1
    assert fnx.jit(softmax).lower(x).as_c()      # the CPU path is untouched


def test_row_groups_fuse_many_rows_only():
    """A block per row pays with many rows; a few long rows run as separate, split kernels."""
    many = _executable(softmax, np.ones((256, 300), np.float32))
    few_long = _executable(softmax, np.ones((16, 70_000), np.float32))
    assert len(many.kernels) == 1
    assert len(few_long.kernels) > 2


def test_index_width():
    """32-bit index arithmetic where every index fits, else 64-bit."""
    exes = model_executables()
    assert "typedef int fnx_idx;" in exes["softmax"].as_cuda()
    assert "typedef int64_t fnx_idx;" in exes["huge broadcast"].as_cuda()
    assert "typedef int fnx_idx;" not in exes["huge broadcast"].as_cuda()


def test_row_groups_fit_in_shared_memory():
    def sums(k):
        def f(x):
            out = x
            for i in range(k):
                out = out + jnp.sum(x * float(i + 1), axis=-1, keepdims=True)
            return out
        return f
    x = np.ones((256, 100))
    assert len(_executable(sums(3), x).kernels) == 1
    many = _executable(sums(20), x)        # 20 float64 block combines: 40 KB of shared memory
    assert len(many.kernels) > 1
    assert many.as_cuda().count("__shared__") == 20
