"""Values of the generated CUDA kernels without a GPU: run serially on the CPU.

tests/cuda_emulator.py compiles the kernels (rendered for one-thread blocks) with g++ under a
CUDA shim, and runs each program -- generated kernels over the planned arena, library steps,
fallbacks -- with numpy memory.  Results must match eager execution on the CPU: every lax spec
row and dtype (plain and fused with neighbours), softmax / layer norm at shapes that take each
row-fusion path, the reduction strategies (block / thread per output, split two-pass), an MLP's
and a conv net's loss + grad.  Many-thread cooperation is the gpu-marked tests' part
(tests/test_cuda_jit.py).
"""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

import fnx
import fnx.numpy as jnp
from fnx.compiler import codegen_cuda
from fnx.compiler.cuda_executable import CudaExecutable

import cuda_emulator
from spec_lax import NO_CUDA_KERNELS, SPECS
from test_cuda import _gpu_row
from test_cuda_jit_codegen import (_fused, _translation_unit, conv_loss, layer_norm, mlp_loss,
                                   softmax)
from test_jit_spec import _apply
from test_lax_backends import assert_same_arrays

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")


class _Program:
    """A jitted function's CUDA executable (one-thread blocks) and its flat arguments."""

    def __init__(self, fun, args):
        lowered = fnx.jit(fun).lower(*args)
        self.exe = CudaExecutable(lowered.jaxpr)
        self.args = list(lowered._entry.consts) + [
            x if isinstance(x, fnx.Array) else jnp.asarray(x) for x in fnx.tree.leaves(args)]
        self.expected = fnx.tree.leaves(fun(*args))


def _build(monkeypatch, make) -> list:
    monkeypatch.setattr(codegen_cuda, "BLOCK", 1)
    programs = make()
    monkeypatch.undo()
    lib = cuda_emulator.compile_library(codegen_cuda.self_contained(
        _translation_unit([p.exe for p in programs])))
    for i, p in enumerate(programs):
        p.run = (lambda p, rt: lambda: p.exe(p.args, rt))(p, cuda_emulator.Runtime(lib, f"p{i}_k"))
    return programs


def _spec_programs():
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    found = []

    def drawer(row, dtype):
        @settings(max_examples=int(os.environ.get("FNX_EMU_EXAMPLES", "1")), derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(data=st.data())
        def draw(data):
            case = data.draw(row.cases(dtype))
            fun = _apply(row, case.params)
            for f, what in ((fun, "plain"), (_fused(fun), "fused")):
                p = _Program(f, case.operands)
                p.row, p.what = row, f"emulated cuda jit, {dtype}, {what}"
                found.append(p)
        return draw

    for row in SPECS:
        if row.name in NO_CUDA_KERNELS:
            continue  # no CUDA kernel to call (test_cuda_launch_plan checks it is missing)
        for dtype in row.dtypes:
            drawer(row, dtype)()
    return found


def test_every_spec_row(monkeypatch):
    programs = _build(monkeypatch, _spec_programs)
    failures = []
    for p in programs:
        try:
            assert_same_arrays(_gpu_row(p.row), p.run(), p.expected, p.what)
        except AssertionError as e:
            failures.append(str(e)[:600])
    assert not failures, f"{len(failures)} of {len(programs)}:\n" + "\n".join(failures[:20])


def _model_programs():
    rng = np.random.default_rng(0)
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    mlp = {"w1": f32(20, 32), "b1": f32(32), "w2": f32(32, 10), "b2": f32(10)}
    conv = {"k": f32(3, 3, 3, 8), "c": f32(8), "w": f32(8, 4)}
    nan = np.where(rng.random((300, 300)) < 0.01, np.nan, rng.standard_normal((300, 300)))
    cases = {
        "softmax, rows fused": (softmax, (f32(256, 300),)),
        "softmax, few long rows": (softmax, (f32(16, 5000),)),
        "softmax f64 3-d": (softmax, (rng.standard_normal((4, 8, 33)),)),
        "layer norm": (layer_norm, (f32(200, 48), f32(48), f32(48))),
        "full sum (split)": (lambda x: jnp.sum(jnp.tanh(x)), (f32(300_000),)),
        "column max (split)": (lambda x: jnp.max(x * 2.0, axis=0), (f32(20_000, 3),)),
        "nan max / min": (lambda x: (jnp.max(x, axis=1), jnp.min(x, axis=0)), (nan,)),
        "int sum": (lambda x: jnp.sum(x * 3, axis=1), (rng.integers(-9, 9, (50, 3000)),)),
        "bool any / all": (lambda x: (jnp.any(x > 2.5, axis=1), jnp.all(x > -9.0)),
                           (f32(40, 500),)),
        "empty": (lambda x: (jnp.sum(x, axis=1), jnp.max(x, axis=0)), (np.ones((4, 0)),)),
        "middle axes": (lambda x: jnp.sum(x, axis=(0, 2)), (f32(30, 20, 50),)),
        "transposed pack": (lambda a, b: jnp.tanh(a.T @ b), (f32(30, 20), f32(30, 7))),
        "mlp loss+grad": (fnx.value_and_grad(mlp_loss), (mlp, f32(16, 20), f32(16, 10))),
        "conv loss+grad": (fnx.value_and_grad(conv_loss), (conv, f32(2, 8, 8, 3), f32(2, 4))),
        "sort along axis 0 (unpacked)": (lambda x: (jnp.sort(x, axis=0), jnp.argsort(x, axis=0)),
                                         (f32(9, 5),)),
        "full sum of a buffer": (lambda x: jnp.sum(x), (f32(200_000),)),
    }
    programs = []
    for name, (fun, args) in cases.items():
        p = _Program(fun, args)
        p.name = name
        programs.append(p)
    return programs


def test_models_and_reductions(monkeypatch):
    for p in _build(monkeypatch, _model_programs):
        actual = p.run()
        assert len(actual) == len(p.expected), p.name
        for a, e in zip(actual, p.expected):
            assert a.dtype == e.dtype and a.shape == e.shape, p.name
            tol = 1e-4 if a.dtype == np.float32 else 1e-10
            np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=tol, atol=tol,
                                       equal_nan=True, err_msg=p.name)


def test_host_callbacks_between_kernels(monkeypatch):
    # a pure_callback and a debug callback are fallback steps between generated kernels: their
    # operands come back from the (emulated) device and their results go back to it
    seen = []

    def program(x):
        y = fnx.pure_callback(lambda a: np.cumsum(a).astype(np.float32),
                              fnx.ShapeDtypeStruct(x.shape, x.dtype), jnp.sin(x) * 2)
        fnx.debug.callback(lambda v: seen.append(v.copy()), y)
        return jnp.exp(y) + 1
    x = np.linspace(-1, 1, 7).astype(np.float32)
    (p,) = _build(monkeypatch, lambda: [_Program(program, (jnp.asarray(x),))])
    seen.clear()
    (got,) = p.run()
    np.testing.assert_allclose(np.asarray(got), np.asarray(p.expected[0]), rtol=1e-5)
    want_y = np.cumsum(np.sin(x.astype(np.float64)) * 2)
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], want_y, rtol=1e-5, atol=1e-6)
