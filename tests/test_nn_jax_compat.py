"""fnx.nn's functions with jax.nn's signatures and semantics (issue 21): dot_product_attention on
(batch, seq, heads, head_dim) arrays with grouped-query heads, bias, masks, causal / length /
window masking; softmax / log_softmax ``where``; one_hot ``axis``; logsumexp's JAX defaults.

The attention oracle is a per-(example, head) numpy loop written from the formula."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx.numpy as fnp
from fnx import nn
from fnx.errors import FnxError
from fnx.test_util import check_grads


def np_attention(q, k, v, bias=None, mask=None, scale=None, causal=False, q_len=None,
                 kv_len=None, window=None):
    b, t, n, h = q.shape
    s, kh = k.shape[1], k.shape[2]
    scale = 1 / math.sqrt(h) if scale is None else scale
    out = np.zeros((b, t, n, h))
    bias = None if bias is None else np.broadcast_to(bias, (b, n, t, s))
    mask = None if mask is None else np.broadcast_to(mask, (b, n, t, s))
    for bi in range(b):
        for ni in range(n):
            kv = ni // (n // kh)
            logits = scale * q[bi, :, ni] @ k[bi, :, kv].T
            if bias is not None:
                logits = logits + bias[bi, ni]
            ok = np.ones((t, s), bool)
            if mask is not None:
                ok &= mask[bi, ni]
            for i in range(t):
                for j in range(s):
                    if causal and j > i:
                        ok[i, j] = False
                    if q_len is not None and i >= q_len[bi]:
                        ok[i, j] = False
                    if kv_len is not None and j >= kv_len[bi]:
                        ok[i, j] = False
                    if window is not None and not (i - window[0] <= j <= i + window[1]):
                        ok[i, j] = False
            logits = np.where(ok, logits, np.finfo(np.float64).min * 0.7)
            w = np.exp(logits - logits.max(-1, keepdims=True))
            w /= w.sum(-1, keepdims=True)
            out[bi, :, ni] = w @ v[bi, :, kv]
    return out


def rand(rng, shape):
    return rng.standard_normal(shape)


@settings(max_examples=12, deadline=None)
@given(st.integers(1, 2), st.integers(1, 4), st.integers(1, 4), st.sampled_from([(2, 2), (4, 2),
                                                                                 (4, 1), (3, 3)]),
       st.integers(1, 3), st.booleans(), st.booleans(), st.booleans(), st.integers(0, 10**6))
def test_dot_product_attention_matches_the_formula(b, t, s, heads, h, causal, use_bias, use_mask,
                                                   seed):
    n, kh = heads
    rng = np.random.default_rng(seed)
    q, k, v = rand(rng, (b, t, n, h)), rand(rng, (b, s, kh, h)), rand(rng, (b, s, kh, h))
    bias = rand(rng, (1, n, t, s)) if use_bias else None
    mask = rng.random((b, 1, t, s)) > 0.3 if use_mask else None
    got = nn.dot_product_attention(fnp.asarray(q), fnp.asarray(k), fnp.asarray(v),
                                   None if bias is None else fnp.asarray(bias),
                                   None if mask is None else fnp.asarray(mask), is_causal=causal)
    want = np_attention(q, k, v, bias, mask, causal=causal)
    assert got.shape == (b, t, n, h) and got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_dot_product_attention_lengths_window_scale_and_unbatched():
    rng = np.random.default_rng(0)
    q, k, v = rand(rng, (2, 5, 2, 3)), rand(rng, (2, 6, 2, 3)), rand(rng, (2, 6, 2, 3))
    ql, kvl = np.array([5, 3]), np.array([4, 6])
    got = nn.dot_product_attention(
        *map(fnp.asarray, (q, k, v)), scale=0.3, query_seq_lengths=fnp.asarray(ql),
        key_value_seq_lengths=fnp.asarray(kvl), local_window_size=(1, 2))
    want = np_attention(q, k, v, scale=0.3, q_len=ql, kv_len=kvl, window=(1, 2))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    one = nn.dot_product_attention(*map(fnp.asarray, (q[0], k[0], v[0])), local_window_size=1)
    np.testing.assert_allclose(one, np_attention(q[:1], k[:1], v[:1], window=(1, 1))[0],
                               rtol=1e-10)


def test_dot_product_attention_float32_grads_jit_vmap():
    rng = np.random.default_rng(1)
    q, k, v = (fnp.asarray(rand(rng, (1, 3, 2, 2))) for _ in range(3))
    check_grads(lambda a, b_, c: nn.dot_product_attention(a, b_, c, is_causal=True), (q, k, v),
                order=1)
    f32 = [x.astype(fnp.float32) for x in (q, k, v)]
    eager = nn.dot_product_attention(*f32)
    assert eager.dtype == np.float32
    np.testing.assert_allclose(fnx.jit(nn.dot_product_attention)(*f32), eager, rtol=1e-5)
    batched = fnx.vmap(nn.dot_product_attention)(*[x[0][None] for x in f32])
    np.testing.assert_allclose(batched, eager, rtol=1e-5)


def test_dot_product_attention_errors():
    x = fnp.ones((1, 2, 3, 4))
    with pytest.raises(FnxError, match="dot_product_attention.*multiple"):
        nn.dot_product_attention(x, fnp.ones((1, 2, 2, 4)), fnp.ones((1, 2, 2, 4)))
    with pytest.raises(FnxError, match="dot_product_attention"):
        nn.dot_product_attention(fnp.ones((2, 3)), x, x)
    with pytest.raises(FnxError, match="dot_product_attention.*floating"):
        nn.dot_product_attention(x.astype(fnp.int32), x, x)
    with pytest.raises(FnxError, match="implementation"):
        nn.dot_product_attention(x, x, x, implementation="cudnn")


def test_heads_first_attention_is_the_same_computation():
    rng = np.random.default_rng(2)
    q, k, v = rand(rng, (2, 4, 3, 5)), rand(rng, (2, 6, 3, 5)), rand(rng, (2, 6, 3, 5))
    heads_first = nn.scaled_dot_product_attention(
        *[fnp.asarray(np.transpose(x, (0, 2, 1, 3))) for x in (q, k, v)], causal=True)
    np.testing.assert_allclose(np.transpose(np.asarray(heads_first), (0, 2, 1, 3)),
                               np_attention(q, k, v, causal=True), rtol=1e-10, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from([0, 1, -1]))
def test_softmax_and_log_softmax_where(seed, axis):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 4)) * 5
    where = rng.random((3, 4)) > 0.3
    where[:, 0] = where[0, :] = True        # no empty selection along either axis
    shifted = x - np.where(where, x, -np.inf).max(axis, keepdims=True)
    e = np.where(where, np.exp(shifted), 0)
    want = e / e.sum(axis, keepdims=True)
    want_log = shifted - np.log(e.sum(axis, keepdims=True))
    got = nn.softmax(fnp.asarray(x), axis=axis, where=fnp.asarray(where))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
    log_got = nn.log_softmax(fnp.asarray(x), axis=axis, where=fnp.asarray(where))
    np.testing.assert_allclose(np.where(where, log_got, 0), np.where(where, want_log, 0),
                               rtol=1e-12)
    assert np.all(np.asarray(log_got)[~where] == -np.inf)
    g = fnx.grad(lambda z: (nn.softmax(z, axis=axis, where=fnp.asarray(where)) * 1.5).sum())(
        fnp.asarray(x))
    assert np.all(np.isfinite(g))


def test_one_hot_axis_and_logsumexp_defaults():
    labels = np.array([[0, 2], [1, 5]])
    for axis in (-1, 0, 1, 2, -3):
        want = np.moveaxis((labels[..., None] == np.arange(3)).astype(np.float32), -1, axis)
        np.testing.assert_array_equal(nn.one_hot(fnp.asarray(labels), 3, axis=axis), want)
    assert nn.one_hot(fnp.asarray([1]), 2, dtype=fnp.int32).dtype == np.int32
    with pytest.raises(FnxError, match="one_hot.*axis"):
        nn.one_hot(fnp.asarray([1]), 2, axis=2)
    x = np.array([[1.0, -2.0], [3.0, 0.5]])
    b = np.array([[1.0, -1.0], [2.0, 0.5]])
    val, sign = nn.logsumexp(fnp.asarray(x), b=fnp.asarray(b), return_sign=True)
    total = (b * np.exp(x)).sum()
    assert float(val) == pytest.approx(np.log(abs(total))) and float(sign) == np.sign(total)
