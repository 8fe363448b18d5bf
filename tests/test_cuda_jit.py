"""``fnx.jit`` on GPU arrays: generated CUDA kernels (fnx.compiler.codegen_cuda) + the CUDA
backend's library kernels, against eager execution on the CPU.

Everything here is marked ``gpu`` (needs cupy and a CUDA device; conftest skips it otherwise).
Without a GPU, tests/test_cuda_jit_codegen.py compiles the same generated source with nvcc and
tests/test_cuda_launch_plan.py checks its launches with a fake cupy.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.numpy as jnp
from fnx import lax

from spec_lax import SPECS
from test_cuda import _cuda, _gpu_param, _gpu_row, _on_gpu, _stays_on_gpu, _to_host
from test_cuda_jit_codegen import _fused, conv_loss, layer_norm, mlp_loss, softmax
from test_jit_spec import _apply
from test_lax_backends import assert_same_arrays

gpu = pytest.mark.gpu
GPU_ROWS = [_gpu_param(row) for row in SPECS]  # skips the rows in NO_CUDA_KERNELS
_EXAMPLES = max(2, settings.default.max_examples // 4)


def _host_tree(x):
    return fnx.tree.map(lambda leaf: np.asarray(fnx.device_put(leaf)), x)


def _assert_tree_close(actual, expected, rtol, atol=0.0):
    a, e = fnx.tree.leaves(_host_tree(actual)), fnx.tree.leaves(_host_tree(expected))
    assert len(a) == len(e)
    for x, y in zip(a, e):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("row", GPU_ROWS)
@settings(max_examples=_EXAMPLES)
@given(data=st.data(), fused=st.booleans())
def test_jit_on_gpu_matches_cpu_eager(row, data, fused):
    row = _gpu_row(row)
    case = data.draw(row.strategy(), label="case")
    fun = _apply(row, case.params)
    fun = _fused(fun) if fused else fun
    expected = fun(*case.operands)
    actual = fnx.jit(fun)(*_on_gpu(case).operands)
    assert_same_arrays(row, _to_host(actual, _cuda(), _stays_on_gpu(case, expected)), expected,
                       "jit on gpu" + (", fused" if fused else ""))


@gpu
@pytest.mark.parametrize("shape", [(64, 100), (1000, 1000), (3, 70000), (5, 7, 33)])
def test_softmax_and_layer_norm(shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    g = rng.standard_normal(shape[-1:]).astype(np.float32)
    b = rng.standard_normal(shape[-1:]).astype(np.float32)
    dev = _cuda()
    out = fnx.jit(softmax)(fnx.device_put(x, dev))
    assert out.device == dev
    _assert_tree_close(out, softmax(jnp.asarray(x)), rtol=1e-5, atol=1e-7)
    out = fnx.jit(layer_norm)(*fnx.device_put((x, g, b), dev))
    _assert_tree_close(out, layer_norm(*map(jnp.asarray, (x, g, b))), rtol=1e-4, atol=1e-5)


@gpu
@pytest.mark.parametrize("case", ["full sum", "column max", "nan max", "int sum", "bool any",
                                  "empty", "middle axis"])
def test_reductions(case):
    """The reduction strategies: block per output, thread per output, split two-pass."""
    rng = np.random.default_rng(1)
    f32 = rng.standard_normal
    cases = {
        "full sum": (lambda x: jnp.sum(jnp.tanh(x)), f32(3_000_000).astype(np.float32)),
        "column max": (lambda x: jnp.max(x * 2.0, axis=0), f32((200_000, 3))),
        "nan max": (lambda x: (jnp.max(x, axis=1), jnp.min(x, axis=0)),
                    np.where(rng.random((300, 300)) < 0.01, np.nan, f32((300, 300)))),
        "int sum": (lambda x: jnp.sum(x * 3, axis=1), rng.integers(-9, 9, (50, 100_000))),
        "bool any": (lambda x: (jnp.any(x > 2.5, axis=1), jnp.all(x > -9.0)), f32((40, 5000))),
        "empty": (lambda x: (jnp.sum(x, axis=1), jnp.max(x, axis=0)), np.ones((4, 0))),
        "middle axis": (lambda x: jnp.sum(x, axis=(0, 2)), f32((30, 20, 500))),
    }
    fun, x = cases[case]
    expected = fun(jnp.asarray(x))
    actual = fnx.jit(fun)(fnx.device_put(x, _cuda()))
    _assert_tree_close(actual, expected, rtol=1e-5 if x.dtype == np.float32 else 1e-12)


@gpu
def test_mlp_loss_and_grad():
    rng = np.random.default_rng(2)
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    p = {"w1": f32(20, 64), "b1": f32(64), "w2": f32(64, 10), "b2": f32(10)}
    x, y = f32(128, 20), np.eye(10, dtype=np.float32)[rng.integers(0, 10, 128)]
    f = fnx.value_and_grad(mlp_loss)
    expected = f(fnx.tree.map(jnp.asarray, p), jnp.asarray(x), jnp.asarray(y))
    actual = fnx.jit(f)(*fnx.device_put((p, x, y), _cuda()))
    _assert_tree_close(actual, expected, rtol=1e-4, atol=1e-6)


@gpu
def test_conv_net_training_step():
    rng = np.random.default_rng(3)
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    p = {"k": f32(3, 3, 3, 8), "c": f32(8), "w": f32(8, 4)}
    x, y = f32(8, 16, 16, 3), f32(8, 4)

    def step(p, x, y):
        loss, g = fnx.value_and_grad(conv_loss)(p, x, y)
        return loss, fnx.tree.map(lambda a, b: a - 0.1 * b, p, g)

    expected = step(fnx.tree.map(jnp.asarray, p), jnp.asarray(x), jnp.asarray(y))
    actual = fnx.jit(step)(*fnx.device_put((p, x, y), _cuda()))
    _assert_tree_close(actual, expected, rtol=1e-4, atol=1e-5)


@gpu
def test_scan_falls_back_and_agrees():
    """Nested control flow runs interpreted on the device (one kernel per primitive)."""
    def f(x):
        return lax.scan(lambda c, a: (c * 0.5 + jnp.sin(a), c), x[0], x)
    x = np.random.default_rng(4).standard_normal((6, 5))
    _assert_tree_close(fnx.jit(f)(fnx.device_put(x, _cuda())), f(jnp.asarray(x)), rtol=1e-12)


@gpu
def test_one_executable_per_signature():
    from fnx.compiler.cuda_executable import cuda_executable_for
    f = fnx.jit(lambda x: jnp.exp(x) + 1.0)
    x = fnx.device_put(np.ones((3, 4), np.float32), _cuda())
    f(x)
    exe = cuda_executable_for(f.lower(x).jaxpr)
    f(x)
    assert cuda_executable_for(f.lower(x).jaxpr) is exe and exe.kernels


@gpu
def test_compiled_module_is_cached_on_disk_across_processes(tmp_path):
    """CuPy keeps NVRTC's output under CUPY_CACHE_DIR, keyed by the source: a second process
    running the same jitted function compiles nothing new."""
    script = textwrap.dedent("""
        import numpy as np, fnx, fnx.numpy as jnp
        x = fnx.device_put(np.arange(12.0).reshape(3, 4), "cuda")
        out = fnx.jit(lambda x: jnp.sum(jnp.tanh(x) * 3.0, axis=1))(x)
        expect = np.tanh(np.arange(12.0)).reshape(3, 4).sum(1) * 3.0
        np.testing.assert_allclose(np.asarray(out), expect)
        print("ok")
    """)
    env = dict(os.environ, CUPY_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("CUPY_CACHE_IN_MEMORY", None)

    def run():
        res = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                             text=True, timeout=600)
        assert res.returncode == 0 and "ok" in res.stdout, res.stderr[-4000:]
        return {p for p in (tmp_path / "cache").rglob("*") if p.is_file()}

    first = run()
    assert first, "nothing was cached"
    assert run() == first


@gpu
@pytest.mark.parametrize("jit", [False, True])
def test_host_callbacks_on_gpu_operands(jit):
    # the callback gets host copies; pure_callback's results go back to the operands' device
    dev = _cuda()
    seen = []

    def program(x):
        y = fnx.pure_callback(lambda a: np.cumsum(a).astype(np.float32),
                              fnx.ShapeDtypeStruct(x.shape, x.dtype), jnp.sin(x) * 2)
        fnx.debug.callback(lambda v: seen.append(np.array(v)), y)
        return jnp.exp(y) + 1
    x = np.linspace(-1, 1, 7).astype(np.float32)
    f = fnx.jit(program) if jit else program
    (got,) = _to_host(f(fnx.device_put(jnp.asarray(x), dev)), dev)
    want_y = np.cumsum(np.sin(x.astype(np.float64)) * 2)
    np.testing.assert_allclose(np.asarray(got), np.exp(want_y) + 1, rtol=1e-4)
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], want_y, rtol=1e-5, atol=1e-6)
