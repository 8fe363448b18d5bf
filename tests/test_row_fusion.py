"""Row fusion in jit (fnx/compiler/rows.py): softmax-style chains of last-axis reductions and
row-wise loops compiled as one pass over rows.  Every test checks values against numpy (and
eager fnx), and checks from the generated C whether the group formed, so a test notices both a
wrong answer and a fusion that silently stopped happening."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax


def _np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def softmax(x):
    e = fnp.exp(x - fnp.max(x, -1, keepdims=True))
    return e / fnp.sum(e, -1, keepdims=True)


def log_softmax(x):
    s = x - fnp.max(x, -1, keepdims=True)
    return s - fnp.log(fnp.sum(fnp.exp(s), -1, keepdims=True))


def layer_norm(x, g, b):
    mu = fnp.mean(x, -1, keepdims=True)
    var = fnp.mean((x - mu) ** 2, -1, keepdims=True)
    return (x - mu) * lax.rsqrt(var + 1e-5) * g + b


def _rows(rng, shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def _row_grouped(f, *args) -> bool:
    return "for (int64_t row = " in fnx.jit(f).lower(*args).as_c()


@pytest.mark.parametrize("shape", [(64, 100), (4, 8, 33), (300, 1), (17, 2049), (256, 7)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_matches_numpy_and_eager(shape, dtype):
    x = _rows(np.random.default_rng(0), shape, dtype)
    got = np.asarray(fnx.jit(softmax)(fnp.asarray(x)))
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(got, _np_softmax(x), rtol=20 * tol, atol=tol)
    np.testing.assert_allclose(got, np.asarray(softmax(fnp.asarray(x))), rtol=20 * tol, atol=tol)
    assert _row_grouped(softmax, fnp.asarray(x))


def test_softmax_keeps_exp_in_a_row_scratch():
    """exp(x - max) is read only inside the group: no buffer, a per-row stack array."""
    x = fnp.asarray(_rows(np.random.default_rng(1), (64, 128)))
    c = fnx.jit(softmax).lower(x).as_c()
    assert "s0[128]" in c
    ex = fnx.jit(softmax).lower(x).compile()
    # workspace: the row max and row sum only (64 floats each), not the 64x128 exp
    assert ex.peak_bytes < 3 * 64 * 128 * 4


def test_log_softmax_and_layer_norm():
    rng = np.random.default_rng(2)
    x = _rows(rng, (40, 3, 50), np.float64)
    g, b = _rows(rng, (50,), np.float64), _rows(rng, (50,), np.float64)
    s = x - x.max(-1, keepdims=True)
    want = s - np.log(np.exp(s).sum(-1, keepdims=True))
    np.testing.assert_allclose(np.asarray(fnx.jit(log_softmax)(fnp.asarray(x))), want,
                               rtol=1e-13, atol=1e-13)
    mu = x.mean(-1, keepdims=True)
    want = (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + 1e-5) * g + b
    args = tuple(map(fnp.asarray, (x, g, b)))
    np.testing.assert_allclose(np.asarray(fnx.jit(layer_norm)(*args)), want, rtol=1e-12,
                               atol=1e-12)
    assert _row_grouped(log_softmax, args[0]) and _row_grouped(layer_norm, *args)


def test_nan_and_inf_stay_in_their_row():
    x = _rows(np.random.default_rng(3), (64, 300))
    x[5, 7] = np.nan
    x[9, :] = -np.inf
    x[11, 3] = np.inf
    with np.errstate(invalid="ignore"):
        want = _np_softmax(x)
    got = np.asarray(fnx.jit(softmax)(fnp.asarray(x)))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=2e-6, atol=1e-7)
    row_max = np.asarray(fnx.jit(lambda v: fnp.max(v * 1.0, axis=-1) + fnp.min(v, -1))(
        fnp.asarray(x)))
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(np.isnan(row_max), np.isnan(x.max(-1) + x.min(-1)))


def test_reads_of_other_rows_are_not_fused_wrongly():
    """Reading a group result at another row (reversed, transposed) must not join the group
    (that row may not be computed yet); the answer stays right either way."""
    x = _rows(np.random.default_rng(4), (64, 64))

    def reversed_rows(v):
        e = fnp.exp(v - fnp.max(v, -1, keepdims=True))
        s = fnp.sum(e, -1)
        return e / s[::-1, None]

    def transposed(v):
        e = fnp.exp(v - fnp.max(v, -1, keepdims=True))
        return fnp.sum(e.T * 2.0, -1)

    e = np.exp(x - x.max(-1, keepdims=True))
    np.testing.assert_allclose(np.asarray(fnx.jit(reversed_rows)(fnp.asarray(x))),
                               e / e.sum(-1)[::-1, None], rtol=1e-5)
    np.testing.assert_allclose(np.asarray(fnx.jit(transposed)(fnp.asarray(x))),
                               (e.T * 2.0).sum(-1), rtol=1e-5)


def test_group_result_that_is_also_an_output_gets_a_buffer():
    x = _rows(np.random.default_rng(5), (32, 40))

    def f(v):
        e = fnp.exp(v - fnp.max(v, -1, keepdims=True))
        return e, e / fnp.sum(e, -1, keepdims=True)

    e_got, p_got = fnx.jit(f)(fnp.asarray(x))
    e = np.exp(x - x.max(-1, keepdims=True))
    np.testing.assert_allclose(np.asarray(e_got), e, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(p_got), e / e.sum(-1, keepdims=True), rtol=1e-6)


def test_few_rows_are_left_to_the_separate_steps():
    x = fnp.asarray(_rows(np.random.default_rng(6), (4, 5000)))
    assert not _row_grouped(softmax, x)
    np.testing.assert_allclose(np.asarray(fnx.jit(softmax)(x)), _np_softmax(np.asarray(x)),
                               rtol=1e-5, atol=1e-7)


def test_cross_entropy_gradient_and_scan_body():
    rng = np.random.default_rng(7)
    logits = fnp.asarray(_rows(rng, (128, 10), np.float64))
    labels = fnp.asarray(rng.integers(0, 10, 128).astype(np.int32))

    def loss(z):
        return -fnp.mean(fnp.take_along_axis(log_softmax(z), labels[:, None], axis=1))

    g_jit = np.asarray(fnx.jit(fnx.grad(loss))(logits))
    p = _np_softmax(np.asarray(logits))
    p[np.arange(128), np.asarray(labels)] -= 1.0
    np.testing.assert_allclose(g_jit, p / 128, rtol=1e-12, atol=1e-14)

    def body(c, xs):
        return c + softmax(xs).sum(0), None

    xs = fnp.asarray(_rows(rng, (5, 32, 16)))
    got, _ = fnx.jit(lambda v: lax.scan(body, fnp.zeros(16), v))(xs)
    want = sum(_np_softmax(np.asarray(xs)[k]).sum(0) for k in range(5))
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5)
