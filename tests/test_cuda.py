"""The CUDA backend and devices.

Tests marked ``gpu`` need cupy and a CUDA GPU (conftest skips them otherwise):
* every spec-table row (tests/spec_lax.py): the CUDA impl and the public fnx.lax function on GPU
  arrays agree with the numpy reference backend, results stay on the GPU;
* the kernels' special paths (two-pass reductions, long-row sort, big GEMM, atomics, ...);
* grad, vmap and jit of functions of GPU arrays agree with the CPU;
* device_put round trips, the mixed-device error, DLPack with cupy and torch.
The unmarked tests run everywhere: devices without a GPU, committed CPU arrays, DLPack with
numpy (and torch on the CPU when installed).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fnx
import fnx.numpy as jnp
from fnx.backends import get_impl
from fnx.core import Array
from fnx.device import Device
from fnx.errors import DeviceError, DTypeError
from fnx.placement import CommittedArray

from spec_lax import NO_CUDA_KERNELS, SPECS, LaxCase
from test_lax_backends import _reference, assert_same_arrays

gpu = pytest.mark.gpu


def _cuda():
    return fnx.devices("cuda")[0]


# ---------------------------------------------------------------------------------------------
# Everywhere: devices, committed CPU arrays, DLPack on the host
# ---------------------------------------------------------------------------------------------

def test_devices_lists_the_cpu_first():
    devs = fnx.devices()
    assert devs[0] == Device("cpu", 0) and str(devs[0]) == "cpu:0"
    assert fnx.devices("cpu") == [Device("cpu", 0)]
    assert all(d.platform == "cuda" for d in fnx.devices("cuda"))
    assert jnp.ones(3).device == devs[0] and jnp.ones(3).device == "cpu"
    with pytest.raises(DeviceError, match="unknown backend"):
        fnx.devices("tpu")


def test_device_put_to_an_absent_gpu_is_a_clear_error():
    if fnx.devices("cuda"):
        pytest.skip("this machine has a GPU")
    with pytest.raises(DeviceError, match="no device cuda:0"):
        fnx.device_put(jnp.ones(3), "cuda")


def test_device_put_cpu_commits_and_computes():
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    c = fnx.device_put({"a": jnp.asarray(x)}, "cpu")["a"]
    assert type(c) is CommittedArray and c.device == "cpu:0"
    np.testing.assert_array_equal(np.asarray(jnp.sin(c) + c), np.sin(x) + x)
    back = fnx.device_put(c)
    assert type(back) is Array
    with pytest.raises(DeviceError, match="cannot parse"):
        fnx.device_put(c, "cuda:x")


def test_numpy_dlpack_round_trip():
    src = np.arange(12.0).reshape(3, 4)
    x = fnx.from_dlpack(src)
    assert isinstance(x, Array) and x.dtype == np.float64 and x.shape == (3, 4)
    assert np.shares_memory(np.asarray(x), src)  # zero-copy import
    np.testing.assert_array_equal(np.asarray(x * 2.0), src * 2.0)
    out = np.from_dlpack(jnp.arange(5, dtype=jnp.int32))
    np.testing.assert_array_equal(out, np.arange(5, dtype=np.int32))
    assert fnx.numpy.ones(2).__dlpack_device__()[0] == 1  # kDLCPU


def test_from_dlpack_rejects_bad_inputs():
    with pytest.raises(DTypeError, match="DLPack"):
        fnx.from_dlpack([1, 2, 3])
    with pytest.raises(DTypeError, match="float16"):
        fnx.from_dlpack(np.ones(3, np.float16))


def test_torch_cpu_dlpack_round_trip():
    torch = pytest.importorskip("torch")
    t = torch.arange(6, dtype=torch.float32)
    x = fnx.from_dlpack(t)
    np.testing.assert_array_equal(np.asarray(x), t.numpy())
    back = torch.from_dlpack(jnp.arange(4.0))
    assert back.tolist() == [0.0, 1.0, 2.0, 3.0]


# ---------------------------------------------------------------------------------------------
# GPU: every spec row against the reference backend
# ---------------------------------------------------------------------------------------------

# The CUDA float functions (expf, sinf, lgamma, ...) are not the CPU's libm: allow a few ulps
# (and a summation order of its own) on top of each row's CPU tolerance.
_GPU_FLOOR = {np.dtype(np.float32): (1e-5, 1e-6), np.dtype(np.float64): (1e-12, 1e-13)}


def _gpu_row(row):
    tol = dict(row.tol)
    for dt, (rtol, atol) in _GPU_FLOOR.items():
        r, a = tol.get(dt, (0.0, 0.0))
        tol[dt] = (max(r, rtol), max(a, atol))
    return dataclasses.replace(row, tol=tol)


def _on_gpu(case: LaxCase) -> LaxCase:
    dev = _cuda()
    return LaxCase(tuple(fnx.device_put(o, dev) for o in case.operands), case.params)


def _to_host(outs, dev, on_gpu=True):
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    for o in outs:
        assert not on_gpu or o.device == dev, f"result left the GPU: {o.device}"
    return [fnx.device_put(o) for o in outs]


def _stays_on_gpu(case, expected) -> bool:
    """False where a public function legitimately builds its result without a GPU operand:
    iota (no operands), and the empty-array shortcuts of some lax functions."""
    outs = list(expected) if isinstance(expected, (list, tuple)) else [expected]
    return bool(case.operands) and all(o.size for o in outs + list(case.operands))


def _gpu_param(row):
    """A row as a gpu-marked test parameter; skipped, naming the missing kernel, for the
    primitives the CUDA backend has no kernel for (spec_lax.NO_CUDA_KERNELS)."""
    marks = [gpu]
    if row.name in NO_CUDA_KERNELS:
        marks.append(pytest.mark.skip(reason=NO_CUDA_KERNELS[row.name]))
    return pytest.param(row, id=row.name, marks=marks)


GPU_ROWS = [_gpu_param(row) for row in SPECS]


@pytest.mark.parametrize("row", GPU_ROWS)
@given(data=st.data())
def test_cuda_impl_matches_reference(row, data):
    impl = get_impl("cuda", row.prim)
    assert impl is not None, f"the cuda backend has no impl for {row.name}"
    case = data.draw(row.strategy(), label="case")
    expected = _reference(row, case)
    g = _on_gpu(case)
    actual = impl(*g.operands, **g.params)
    assert_same_arrays(_gpu_row(row), _to_host(actual, _cuda()), expected, "cuda backend")


@pytest.mark.parametrize("row", GPU_ROWS)
@given(data=st.data())
def test_lax_function_on_gpu_matches_reference(row, data):
    case = data.draw(row.strategy(), label="case")
    expected = _reference(row, case)
    actual = row.call(row.fn, _on_gpu(case))
    assert_same_arrays(_gpu_row(row), _to_host(actual, _cuda(), _stays_on_gpu(case, expected)),
                       expected, "fnx.lax on GPU")


# ---------------------------------------------------------------------------------------------
# GPU: the kernels' special paths, against numpy
# ---------------------------------------------------------------------------------------------

def _g(x):
    return fnx.device_put(jnp.asarray(x), _cuda())


@gpu
@pytest.mark.parametrize("shape,axis", [((2, 300_000), 1), ((4096, 4), 0), ((3, 5000, 7), 1),
                                        ((1, 1 << 20), 1)])
def test_reductions_long_and_narrow(shape, axis):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(np.asarray(jnp.sum(_g(x), axis=axis)),
                               x.astype(np.float64).sum(axis=axis), rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(np.asarray(jnp.max(_g(x), axis=axis)), x.max(axis=axis))
    np.testing.assert_array_equal(np.asarray(jnp.argmin(_g(x), axis=axis)), x.argmin(axis=axis))
    xi = rng.integers(-100, 100, shape).astype(np.int32)
    np.testing.assert_array_equal(np.asarray(jnp.sum(_g(xi), axis=axis)),
                                  xi.sum(axis=axis, dtype=np.int32))


@gpu
@pytest.mark.parametrize("n", [1, 7, 2048, 2049, 70_000])
def test_sort_is_stable_with_nans(n):
    rng = np.random.default_rng(n)
    x = rng.integers(0, 5, (3, n)).astype(np.float32)
    x[rng.random(x.shape) < 0.1] = np.nan
    idx = np.broadcast_to(np.arange(n, dtype=np.int32), x.shape)
    keys, perm = fnx.lax.sort((_g(x), _g(idx)), dimension=1, num_keys=1)
    expect = np.argsort(x, axis=1, kind="stable")
    np.testing.assert_array_equal(np.asarray(perm), expect)
    np.testing.assert_array_equal(np.asarray(keys), np.take_along_axis(x, expect, axis=1))


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
@pytest.mark.parametrize("m,k,n,batch", [(1000, 1000, 1000, 1), (129, 7, 255, 3), (1, 0, 5, 2)])
def test_gemm_sizes(dtype, m, k, n, batch):
    rng = np.random.default_rng(1)
    a = rng.integers(-3, 4, (batch, m, k)).astype(dtype)
    b = rng.integers(-3, 4, (batch, k, n)).astype(dtype)
    out = np.asarray(jnp.matmul(_g(a), _g(b)))
    np.testing.assert_allclose(out, np.matmul(a, b), rtol=1e-6)


@gpu
def test_scatter_add_atomic_and_gather_clamp():
    rng = np.random.default_rng(2)
    idx = rng.integers(0, 50, 10_000).astype(np.int32)
    upd = rng.standard_normal((10_000, 8))
    out = _g(np.zeros((50, 8))).at[_g(idx)].add(_g(upd))
    expect = np.zeros((50, 8))
    np.add.at(expect, idx, upd)
    np.testing.assert_allclose(np.asarray(out), expect, rtol=1e-12, atol=1e-12)
    taken = _g(np.arange(5.0))[_g(np.array([0, 4, 2], np.int32))]
    np.testing.assert_array_equal(np.asarray(taken), [0.0, 4.0, 2.0])


@gpu
def test_threefry_known_answers():
    from fnx.backends import cuda
    cp = cuda.cp
    # Random123's known-answer vectors for threefry2x32-20
    cases = [((0, 0), (0, 0), (0x6B200159, 0x99BA4EFE)),
             ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
             ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0))]
    for key, ctr, expect in cases:
        y0, y1 = cuda.cuda_ops.threefry2x32(cp.array([key[0]]), cp.array([key[1]]),
                                            cp.array([ctr[0]]), cp.array([ctr[1]]))
        assert (int(y0[0]), int(y1[0])) == expect


@gpu
@pytest.mark.parametrize("n", [1, 100, 5000])
def test_fused_rows(n):
    from fnx.backends import cuda
    cp = cuda.cp
    rng = np.random.default_rng(3)
    x = rng.standard_normal((7, n)).astype(np.float32) * 5
    e = np.exp(x - x.max(axis=1, keepdims=True))
    sm = e / e.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(cuda.cuda_ops.softmax_rows(cp.asarray(x)).get(), sm, rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(cuda.cuda_ops.softmax_rows(cp.asarray(x), log=True).get(),
                               np.log(sm), rtol=1e-4, atol=1e-4)
    g, b = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    ln = (x - mu) / np.sqrt(var + 1e-5) * g + b
    np.testing.assert_allclose(cuda.cuda_ops.layernorm_rows(cp.asarray(x), cp.asarray(g),
                                                            cp.asarray(b)).get(), ln,
                               rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------------------------------------
# GPU: transformations, placement, DLPack
# ---------------------------------------------------------------------------------------------

def _mlp_loss(params, x, y):
    h = jnp.tanh(x @ params["w1"] + params["b1"])
    return jnp.mean((h @ params["w2"] - y) ** 2)


def _mlp_data():
    rng = np.random.default_rng(4)
    params = {"w1": rng.standard_normal((8, 16)).astype(np.float32) * 0.3,
              "b1": np.zeros(16, np.float32),
              "w2": rng.standard_normal((16, 2)).astype(np.float32) * 0.3}
    x = rng.standard_normal((32, 8)).astype(np.float32)
    y = rng.standard_normal((32, 2)).astype(np.float32)
    return params, x, y


@gpu
@pytest.mark.parametrize("jitted", [False, True])
def test_grad_on_gpu_matches_cpu(jitted):
    params, x, y = _mlp_data()
    f = fnx.value_and_grad(_mlp_loss)
    f = fnx.jit(f) if jitted else f
    cpu_val, cpu_grads = f(fnx.tree.map(jnp.asarray, params), jnp.asarray(x), jnp.asarray(y))
    dev = _cuda()
    val, grads = f(fnx.device_put(params, dev), fnx.device_put(x, dev), fnx.device_put(y, dev))
    assert val.device == dev and all(g.device == dev for g in fnx.tree.leaves(grads))
    np.testing.assert_allclose(np.asarray(val), np.asarray(cpu_val), rtol=1e-5)
    for name in params:
        np.testing.assert_allclose(np.asarray(grads[name]), np.asarray(cpu_grads[name]),
                                   rtol=1e-4, atol=1e-6)


@gpu
def test_vmap_and_jit_on_gpu():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((6, 5, 4)).astype(np.float32)
    f = fnx.vmap(lambda m: jnp.sum(jnp.sin(m) @ m.T, axis=0))
    expect = np.asarray(f(jnp.asarray(a)))
    out = f(_g(a))
    assert out.device == _cuda()
    np.testing.assert_allclose(np.asarray(out), expect, rtol=1e-5, atol=1e-6)
    out = fnx.jit(f)(_g(a))
    assert out.device == _cuda()
    np.testing.assert_allclose(np.asarray(out), expect, rtol=1e-5, atol=1e-6)


@gpu
def test_device_put_round_trip_and_mixing_error():
    dev = _cuda()
    x = jnp.asarray(np.arange(6, dtype=np.int32).reshape(2, 3))
    g = fnx.device_put(x, dev)
    assert g.device == dev and g.dtype == np.int32 and g.shape == (2, 3)
    np.testing.assert_array_equal(np.asarray(g), np.asarray(x))
    back = fnx.device_put(g, "cpu")
    assert back.device == "cpu:0"
    np.testing.assert_array_equal(np.asarray(back), np.asarray(x))
    assert "cuda:" in repr(g)
    # uncommitted CPU operands (Python scalars, plain arrays) follow the GPU operand
    np.testing.assert_array_equal(np.asarray(g + 1), np.asarray(x) + 1)
    np.testing.assert_array_equal(np.asarray(g * x), np.asarray(x) * np.asarray(x))
    with pytest.raises(DeviceError, match=r"add: .*cuda:0.*cpu:0|add: .*cpu:0.*cuda:0"):
        fnx.lax.add(g, fnx.device_put(x, "cpu"))
    if len(fnx.devices("cuda")) > 1:
        other = fnx.device_put(x, fnx.devices("cuda")[1])
        with pytest.raises(DeviceError, match="cuda:0.*cuda:1"):
            fnx.lax.add(g, other)


@gpu
def test_cupy_dlpack_round_trip():
    cp = pytest.importorskip("cupy")
    src = cp.arange(10, dtype=cp.float32)
    x = fnx.from_dlpack(src)
    assert x.device == _cuda()
    np.testing.assert_array_equal(np.asarray(x * 2.0), np.arange(10, dtype=np.float32) * 2)
    back = cp.from_dlpack(_g(np.arange(4.0)))
    assert back.get().tolist() == [0.0, 1.0, 2.0, 3.0]


@gpu
def test_torch_cuda_dlpack_round_trip():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch without CUDA")
    t = torch.arange(6, dtype=torch.float32, device="cuda")
    x = fnx.from_dlpack(t)
    assert x.device == _cuda()
    np.testing.assert_array_equal(np.asarray(x), np.arange(6, dtype=np.float32))
    back = torch.from_dlpack(_g(np.arange(3.0)))
    assert back.device.type == "cuda" and back.cpu().tolist() == [0.0, 1.0, 2.0]
