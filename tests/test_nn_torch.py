"""Optional cross-checks of fnx.nn layers against PyTorch (skipped when torch is not installed).

The core tests (test_nn_*.py) use numpy references; these confirm the PyTorch-compatible semantics
(layouts, gate orders, padding rules, running statistics) against the real thing.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fnx  # noqa: E402
import fnx.random  # noqa: E402
import fnx.nn as nn  # noqa: E402
import fnx.numpy as fnp  # noqa: E402

F64 = fnp.float64
torch.set_default_dtype(torch.float64)


def _np(a):
    return np.asarray(fnx.device_get(a))


def _t(a):
    return torch.tensor(_np(a) if not isinstance(a, np.ndarray) else a)


def _key(i=0):
    return fnx.random.PRNGKey(i)


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def _load(tmod, **params):
    with torch.no_grad():
        for name, value in params.items():
            getattr(tmod, name).copy_(_t(value))
    return tmod


def test_conv_and_conv_transpose_vs_torch():
    x = _x(2, 4, 7, 6)
    conv = nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2,
                     key=_key(), dtype=F64)
    tconv = _load(torch.nn.Conv2d(4, 6, (3, 2), (2, 1), (1, 2), (1, 2), 2), weight=conv.weight,
                  bias=conv.bias)
    np.testing.assert_allclose(_np(conv(fnp.asarray(x))), tconv(_t(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    up = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=2,
                            key=_key(1), dtype=F64)
    tup = _load(torch.nn.ConvTranspose2d(4, 6, 3, 2, 1, 1, 2, True, 2), weight=up.weight,
                bias=up.bias)
    np.testing.assert_allclose(_np(up(fnp.asarray(x))), tup(_t(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


def test_pools_vs_torch():
    x = _x(2, 3, 7, 6)
    for ours, theirs in [(nn.MaxPool2d(3, 2, 1), torch.nn.MaxPool2d(3, 2, 1)),
                         (nn.AvgPool2d(3, 2, 1), torch.nn.AvgPool2d(3, 2, 1)),
                         (nn.AvgPool2d(3, 2, 1, count_include_pad=False),
                          torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False))]:
        np.testing.assert_allclose(_np(ours(fnp.asarray(x))), theirs(_t(x)).numpy(), rtol=1e-12)


def test_batchnorm_running_stats_vs_torch():
    bn = nn.BatchNorm2d(3, momentum=0.3, dtype=F64)
    tbn = torch.nn.BatchNorm2d(3, momentum=0.3)
    state = bn.init_state()
    for seed in range(3):
        x = _x(4, 3, 2, 2, seed=seed) * 2 + seed
        y, state = bn(fnp.asarray(x), state, train=True)
        np.testing.assert_allclose(_np(y), tbn.train()(_t(x)).detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
    np.testing.assert_allclose(_np(state["running_mean"]), tbn.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(_np(state["running_var"]), tbn.running_var.numpy(), rtol=1e-12)
    x = _x(2, 3, 2, 2, seed=9)
    np.testing.assert_allclose(_np(bn(fnp.asarray(x), state)[0]),
                               tbn.eval()(_t(x)).detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("ours,theirs", [(nn.RNN, torch.nn.RNN), (nn.GRU, torch.nn.GRU),
                                         (nn.LSTM, torch.nn.LSTM)])
def test_recurrent_vs_torch(ours, theirs):
    layer = ours(3, 4, num_layers=2, key=_key(2), dtype=F64)
    tl = theirs(3, 4, num_layers=2)
    params = {}
    for i, cell in enumerate(layer.cells):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            params[f"{name}_l{i}"] = getattr(cell, name)
    _load(tl, **params)
    xs = _x(5, 2, 3)
    y, carry = layer(fnp.asarray(xs))
    ty, tcarry = tl(_t(xs))
    np.testing.assert_allclose(_np(y), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    for a, b in zip(fnx.tree.leaves(carry), fnx.tree.leaves(tcarry)):
        np.testing.assert_allclose(_np(a), b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_multihead_attention_vs_torch_with_masks():
    mha = nn.MultiHeadAttention(8, 2, key=_key(3), dtype=F64)
    mha = mha.replace(k_proj=mha.k_proj.replace(bias=fnp.asarray(_x(8, seed=5))))
    tm = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    w = np.concatenate([_np(p.weight) for p in (mha.q_proj, mha.k_proj, mha.v_proj)])
    b = np.concatenate([_np(p.bias) for p in (mha.q_proj, mha.k_proj, mha.v_proj)])
    _load(tm, in_proj_weight=w, in_proj_bias=b)
    _load(tm.out_proj, weight=mha.out_proj.weight, bias=mha.out_proj.bias)
    q, kv = _x(2, 5, 8, seed=1), _x(2, 5, 8, seed=2)
    keep = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]], bool)
    causal = ~np.tril(np.ones((5, 5), bool))  # torch: True = masked out
    ours = mha(fnp.asarray(q), fnp.asarray(kv), fnp.asarray(kv), fnp.asarray(keep), causal=True)
    theirs, _ = tm(_t(q), _t(kv), _t(kv), key_padding_mask=torch.tensor(~keep),
                   attn_mask=torch.tensor(causal))
    np.testing.assert_allclose(_np(ours), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_losses_and_gelu_vs_torch():
    logits, labels = _x(6, 5), np.random.default_rng(1).integers(0, 5, 6)
    np.testing.assert_allclose(
        _np(nn.softmax_cross_entropy(fnp.asarray(logits), fnp.asarray(labels), label_smoothing=0.2)),
        torch.nn.functional.cross_entropy(_t(logits), torch.tensor(labels), label_smoothing=0.2),
        rtol=1e-12)
    x = _x(10)
    np.testing.assert_allclose(_np(nn.gelu(fnp.asarray(x), approximate=False)),
                               torch.nn.functional.gelu(_t(x)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(_np(nn.gelu(fnp.asarray(x))),
                               torch.nn.functional.gelu(_t(x), approximate="tanh").numpy(),
                               rtol=1e-12)
