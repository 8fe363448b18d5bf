"""fnx.nn recurrent layers and attention against unrolled numpy references."""
import numpy as np
import pytest

import fnx
import fnx.random
import fnx.nn as nn
import fnx.numpy as fnp
from fnx.errors import DTypeError, InvalidArgumentError, ShapeError
from fnx.test_util import check_grads

F64 = fnp.float64


def _np(a):
    return np.asarray(fnx.device_get(a))


def _key(i=0):
    return fnx.random.PRNGKey(i)


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _params(cell):
    return [_np(p) for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]


def rnn_step(cell, x, h):
    wi, wh, bi, bh = _params(cell)
    return np.tanh(x @ wi.T + bi + h @ wh.T + bh)


def lstm_step(cell, x, hc):
    wi, wh, bi, bh = _params(cell)
    h, c = hc
    i, f, g, o = np.split(x @ wi.T + bi + h @ wh.T + bh, 4, axis=-1)
    c = _sig(f) * c + _sig(i) * np.tanh(g)
    return _sig(o) * np.tanh(c), c


def gru_step(cell, x, h):
    wi, wh, bi, bh = _params(cell)
    ir, iz, in_ = np.split(x @ wi.T + bi, 3, axis=-1)
    hr, hz, hn = np.split(h @ wh.T + bh, 3, axis=-1)
    r, z = _sig(ir + hr), _sig(iz + hz)
    n = np.tanh(in_ + r * hn)
    return (1 - z) * n + z * h


CELLS = [(nn.RNNCell, rnn_step, False), (nn.LSTMCell, lstm_step, True), (nn.GRUCell, gru_step, False)]


@pytest.mark.parametrize("cls,ref,is_lstm", CELLS, ids=["rnn", "lstm", "gru"])
def test_cells_match_numpy_and_grads(cls, ref, is_lstm):
    cell = cls(3, 4, key=_key(), dtype=F64)
    x = _x(2, 3)
    h = (_x(2, 4, seed=1), _x(2, 4, seed=2)) if is_lstm else _x(2, 4, seed=1)
    h_fnx = tuple(map(fnp.asarray, h)) if is_lstm else fnp.asarray(h)
    got = cell(fnp.asarray(x), h_fnx)
    want = ref(cell, x, h)
    for g, w in zip(fnx.tree.leaves(got), (want if is_lstm else [want])):
        np.testing.assert_allclose(_np(g), w, rtol=1e-10, atol=1e-12)
    check_grads(lambda m, x, h: m(x, h), (cell, fnp.asarray(x), h_fnx), order=1)
    with pytest.raises(ShapeError, match=cls.__name__):
        cell(fnp.zeros((2, 5)), h_fnx)


def _unrolled(layer, step, xs, carry0, is_lstm):
    """Layer by layer, time step by time step, in numpy."""
    finals = []
    for li, cell in enumerate(layer.cells):
        carry = (carry0[0][li], carry0[1][li]) if is_lstm else carry0[li]
        outs = []
        for t in range(xs.shape[0]):
            carry = step(cell, xs[t], carry)
            outs.append(carry[0] if is_lstm else carry)
        xs = np.stack(outs)
        finals.append(carry)
    if is_lstm:
        return xs, (np.stack([h for h, _ in finals]), np.stack([c for _, c in finals]))
    return xs, np.stack(finals)


SEQ = [(nn.RNN, rnn_step, False), (nn.LSTM, lstm_step, True), (nn.GRU, gru_step, False)]


@pytest.mark.parametrize("cls,step,is_lstm", SEQ, ids=["rnn", "lstm", "gru"])
def test_sequence_layers_match_unrolled_reference(cls, step, is_lstm):
    layer = cls(3, 4, num_layers=2, key=_key(1), dtype=F64)
    xs = _x(5, 2, 3)
    zeros = np.zeros((2, 2, 4))
    carry0 = (zeros, zeros) if is_lstm else zeros
    want_y, want_c = _unrolled(layer, step, xs, carry0, is_lstm)
    got_y, got_c = layer(fnp.asarray(xs))
    np.testing.assert_allclose(_np(got_y), want_y, rtol=1e-10, atol=1e-12)
    for g, w in zip(fnx.tree.leaves(got_c), fnx.tree.leaves(want_c)):
        np.testing.assert_allclose(_np(g), w, rtol=1e-10, atol=1e-12)
    # a given initial carry, and batch_first
    c0 = (_x(2, 2, 4, seed=4), _x(2, 2, 4, seed=5)) if is_lstm else _x(2, 2, 4, seed=4)
    want_y, _ = _unrolled(layer, step, xs, c0, is_lstm)
    got_y, _ = layer(fnp.asarray(xs), fnx.tree.map(fnp.asarray, c0))
    np.testing.assert_allclose(_np(got_y), want_y, rtol=1e-10, atol=1e-12)
    bf = cls(3, 4, num_layers=2, batch_first=True, key=_key(1), dtype=F64)
    np.testing.assert_allclose(_np(bf(fnp.asarray(xs.transpose(1, 0, 2)))[0]),
                               _np(layer(fnp.asarray(xs))[0]).transpose(1, 0, 2), rtol=1e-12)


def test_lstm_grads_and_jit():
    lstm = nn.LSTM(2, 3, num_layers=2, key=_key(2), dtype=F64)
    xs = fnp.asarray(_x(4, 2, 2))
    loss = lambda m, xs: (m(xs)[0] ** 2).sum()
    check_grads(loss, (lstm, xs), order=1, modes=("rev",))
    np.testing.assert_allclose(_np(fnx.jit(loss)(lstm, xs)), _np(loss(lstm, xs)), rtol=1e-12)
    with pytest.raises(ShapeError, match=r"LSTM.*\(seq_len, batch, 2\)"):
        lstm(fnp.zeros((4, 2, 3)))


# ---------------------------------------------------------------------------------------------
# Attention
# ---------------------------------------------------------------------------------------------

def mha_ref(mha, q, k, v, allowed):
    """allowed: (B, Tq, Tk) booleans or None."""
    def proj(lin, x):
        return x @ _np(lin.weight).T + _np(lin.bias)
    b, tq, e = q.shape
    h = mha.num_heads
    d = e // h
    split = lambda x: x.reshape(b, x.shape[1], h, d).transpose(0, 2, 1, 3)
    Q, K, V = split(proj(mha.q_proj, q)), split(proj(mha.k_proj, k)), split(proj(mha.v_proj, v))
    s = Q @ K.transpose(0, 1, 3, 2) / np.sqrt(d)
    if allowed is not None:
        s = np.where(allowed[:, None], s, -np.inf)
    w = np.exp(s - s.max(-1, keepdims=True))
    w = w / w.sum(-1, keepdims=True)
    out = (w @ V).transpose(0, 2, 1, 3).reshape(b, tq, e)
    return proj(mha.out_proj, out)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("use_mask", [False, True])
def test_attention_matches_numpy_with_masks(causal, use_mask):
    mha = nn.MultiHeadAttention(8, 2, key=_key(3), dtype=F64)
    mha = mha.replace(q_proj=mha.q_proj.replace(bias=fnp.asarray(_x(8, seed=9))))  # nonzero bias
    q, kv = _x(2, 5, 8, seed=1), _x(2, 5, 8, seed=2)
    pad = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], bool)  # second sequence has 2 padding keys
    allowed = np.ones((2, 5, 5), bool)
    if use_mask:
        allowed &= pad[:, None, :]
    if causal:
        allowed &= np.tril(np.ones((5, 5), bool))[None]
    got = mha(fnp.asarray(q), fnp.asarray(kv), fnp.asarray(kv),
              fnp.asarray(pad) if use_mask else None, causal=causal)
    want = mha_ref(mha, q, kv, kv, allowed)
    np.testing.assert_allclose(_np(got), want, rtol=1e-10, atol=1e-12)
    if use_mask:  # a (batch, seq_q, seq_k) mask means the same thing
        got3 = mha(fnp.asarray(q), fnp.asarray(kv), fnp.asarray(kv), fnp.asarray(allowed))
        np.testing.assert_allclose(_np(got3), want, rtol=1e-10, atol=1e-12)
    check_grads(lambda m, q: m(q, q, q, fnp.asarray(pad) if use_mask else None, causal=causal),
                (mha, fnp.asarray(q)), order=1, modes=("rev",))


def test_attention_cross_lengths_fully_masked_and_errors():
    mha = nn.MultiHeadAttention(4, 1, key=_key(), dtype=F64)
    q, kv = _x(1, 2, 4), _x(1, 3, 4, seed=1)
    np.testing.assert_allclose(_np(mha(fnp.asarray(q), fnp.asarray(kv), fnp.asarray(kv))),
                               mha_ref(mha, q, kv, kv, None), rtol=1e-10)
    none = fnp.asarray(np.zeros((1, 3), bool))
    assert np.all(np.isfinite(_np(mha(fnp.asarray(q), fnp.asarray(kv), fnp.asarray(kv), none))))
    with pytest.raises(ShapeError, match="MultiHeadAttention"):
        mha(fnp.zeros((1, 2, 5)), fnp.zeros((1, 2, 5)), fnp.zeros((1, 2, 5)))
    with pytest.raises(DTypeError, match="MultiHeadAttention.*boolean"):
        mha(fnp.asarray(q), fnp.asarray(kv), fnp.asarray(kv), fnp.ones((1, 3)))
    with pytest.raises(InvalidArgumentError, match="divisible"):
        nn.MultiHeadAttention(6, 4, key=_key())


def test_transformer_block_pre_norm_reference_and_dropout_modes():
    blk = nn.TransformerBlock(8, 2, 16, dropout=0.5, key=_key(4), dtype=F64)
    x = _x(2, 4, 8)

    def ln(m, x):
        mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + 1e-5) * _np(m.weight) + _np(m.bias)

    h = ln(blk.ln1, x)
    causal = np.tril(np.ones((4, 4), bool))[None].repeat(2, 0)
    y = x + mha_ref(blk.attn, h, h, h, causal)
    z = ln(blk.ln2, y) @ _np(blk.mlp_in.weight).T + _np(blk.mlp_in.bias)
    z = 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3)))
    want = y + z @ _np(blk.mlp_out.weight).T + _np(blk.mlp_out.bias)
    np.testing.assert_allclose(_np(blk(fnp.asarray(x), causal=True)), want, rtol=1e-9, atol=1e-11)
    t1 = _np(blk(fnp.asarray(x), causal=True, key=_key(1), train=True))
    t2 = _np(blk(fnp.asarray(x), causal=True, key=_key(2), train=True))
    assert not np.allclose(t1, want) and not np.allclose(t1, t2)
    with pytest.raises(InvalidArgumentError, match="Dropout.*key"):
        blk(fnp.asarray(x), train=True)
