"""fnx.nn feed-forward layers against numpy references written with explicit loops."""
import re

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


# ---------------------------------------------------------------------------------------------
# numpy references
# ---------------------------------------------------------------------------------------------

def conv_ref(x, w, b, stride, pads, dil, groups):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]))
    ho = (xp.shape[2] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (xp.shape[3] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    og = o // groups
    out = np.zeros((n, o, ho, wo))
    for oc in range(o):
        g = oc // og
        for i in range(ho):
            for j in range(wo):
                for a in range(kh):
                    for bb in range(kw):
                        patch = xp[:, g * cg:(g + 1) * cg, i * stride[0] + a * dil[0],
                                   j * stride[1] + bb * dil[1]]
                        out[:, oc, i, j] += patch @ w[oc, :, a, bb]
    return out + (0 if b is None else b[None, :, None, None])


def conv_transpose_ref(x, w, b, stride, pad, out_pad, dil, groups):
    """Scatter every input pixel times the kernel into the output (the definition)."""
    n, cin, h, wd = x.shape
    _, og, kh, kw = w.shape
    ho = (h - 1) * stride[0] - 2 * pad[0] + dil[0] * (kh - 1) + out_pad[0] + 1
    wo = (wd - 1) * stride[1] - 2 * pad[1] + dil[1] * (kw - 1) + out_pad[1] + 1
    big = np.zeros((n, og * groups, ho + 2 * pad[0] + kh * dil[0], wo + 2 * pad[1] + kw * dil[1]))
    cg = cin // groups
    for ci in range(cin):
        g = ci // cg
        for i in range(h):
            for j in range(wd):
                for a in range(kh):
                    for bb in range(kw):
                        big[:, g * og:(g + 1) * og, i * stride[0] + a * dil[0],
                            j * stride[1] + bb * dil[1]] += x[:, ci, i, j, None] * w[ci, :, a, bb]
    out = big[:, :, pad[0]:pad[0] + ho, pad[1]:pad[1] + wo]
    return out + (0 if b is None else b[None, :, None, None])


def pool_ref(x, k, s, p, kind, count_include_pad=True):
    n, c, h, w = x.shape
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=fill)
    ones = np.pad(np.ones_like(x), ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    ho, wo = (xp.shape[2] - k[0]) // s[0] + 1, (xp.shape[3] - k[1]) // s[1] + 1
    out = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            win = xp[:, :, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]]
            if kind == "max":
                out[:, :, i, j] = win.max(axis=(2, 3))
            else:
                cnt = k[0] * k[1] if count_include_pad else ones[:, :, i * s[0]:i * s[0] + k[0],
                                                               j * s[1]:j * s[1] + k[1]].sum((2, 3))
                out[:, :, i, j] = win.sum(axis=(2, 3)) / cnt
    return out


# ---------------------------------------------------------------------------------------------
# Linear
# ---------------------------------------------------------------------------------------------

def test_linear_forward_any_leading_dims_and_grads():
    lin = nn.Linear(4, 3, key=_key(), dtype=F64)
    w, b = _np(lin.weight), _np(lin.bias)
    assert w.shape == (3, 4) and b.shape == (3,)
    for shape in [(5, 4), (2, 3, 4), (4,)]:
        x = _x(*shape)
        np.testing.assert_allclose(_np(lin(fnp.asarray(x))), x @ w.T + b, rtol=1e-12)
    check_grads(lambda m, x: m(x), (lin, fnp.asarray(_x(2, 4))), order=2)
    nobias = nn.Linear(4, 3, use_bias=False, key=_key(), dtype=F64)
    assert nobias.bias is None
    np.testing.assert_allclose(_np(nobias(fnp.asarray(_x(2, 4)))), _x(2, 4) @ _np(nobias.weight).T)


def test_linear_wrong_features_names_layer_and_shapes():
    lin = nn.Linear(4, 3, key=_key())
    with pytest.raises(ShapeError, match=r"Linear.*in_features=4.*float32\[2, 5\]"):
        lin(fnp.zeros((2, 5)))


def test_linear_default_init_bounds_like_pytorch():
    lin = nn.Linear(50, 40, key=_key(3))
    bound = 1 / np.sqrt(50)
    w = _np(lin.weight)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.1 * bound
    assert np.abs(_np(lin.bias)).max() <= bound


# ---------------------------------------------------------------------------------------------
# Convolutions and pooling
# ---------------------------------------------------------------------------------------------

CONV_CASES = [  # in, out, kernel, stride, padding, dilation, groups, explicit pads
    (3, 4, 3, 1, 0, 1, 1, ((0, 0), (0, 0))),
    (3, 4, (3, 2), 2, 1, 1, 1, ((1, 1), (1, 1))),
    (4, 6, 3, 1, (2, 1), 2, 2, ((2, 2), (1, 1))),
    (2, 2, 3, 1, "SAME", 1, 2, ((1, 1), (1, 1))),
]


@pytest.mark.parametrize("cin,cout,k,s,p,d,g,pads", CONV_CASES)
def test_conv2d_matches_loops(cin, cout, k, s, p, d, g, pads):
    conv = nn.Conv2d(cin, cout, k, stride=s, padding=p, dilation=d, groups=g, key=_key(1), dtype=F64)
    x = _x(2, cin, 7, 6)
    want = conv_ref(x, _np(conv.weight), _np(conv.bias), conv.stride, pads, conv.dilation, g)
    np.testing.assert_allclose(_np(conv(fnp.asarray(x))), want, rtol=1e-10, atol=1e-12)


def test_conv2d_grads_and_errors():
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=1, groups=1, key=_key(), dtype=F64)
    check_grads(lambda m, x: m(x), (conv, fnp.asarray(_x(1, 2, 5, 5))), order=1)
    with pytest.raises(ShapeError, match=r"Conv2d.*3 input channels.*float32\[1, 2, 5, 5\]"):
        nn.Conv2d(3, 4, 3, key=_key())(fnp.zeros((1, 2, 5, 5)))
    with pytest.raises(ShapeError, match="Conv2d.*rank 4"):
        nn.Conv2d(3, 4, 3, key=_key())(fnp.zeros((3, 5, 5)))
    with pytest.raises(InvalidArgumentError, match="groups"):
        nn.Conv2d(3, 4, 3, groups=2, key=_key())


TCONV_CASES = [  # in, out, kernel, stride, padding, output_padding, dilation, groups
    (3, 2, 3, 1, 0, 0, 1, 1),
    (3, 4, 3, 2, 1, 1, 1, 1),
    (4, 6, (2, 3), (2, 1), (0, 1), (1, 0), 1, 2),
    (2, 3, 3, 2, 2, 0, 2, 1),
    (2, 2, 3, 1, 3, 0, 1, 1),  # padding > kernel - 1: the equivalent conv has negative padding
]


@pytest.mark.parametrize("cin,cout,k,s,p,op,d,g", TCONV_CASES)
def test_conv_transpose2d_matches_scatter(cin, cout, k, s, p, op, d, g):
    layer = nn.ConvTranspose2d(cin, cout, k, stride=s, padding=p, output_padding=op, groups=g,
                               dilation=d, key=_key(2), dtype=F64)
    x = _x(2, cin, 4, 5)
    want = conv_transpose_ref(x, _np(layer.weight), _np(layer.bias), layer.stride, layer.padding,
                              layer.output_padding, layer.dilation, g)
    got = _np(layer(fnp.asarray(x)))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_conv_transpose2d_grads():
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1, key=_key(),
                               dtype=F64)
    check_grads(lambda m, x: m(x), (layer, fnp.asarray(_x(1, 2, 3, 3))), order=1)


@pytest.mark.parametrize("k,s,p", [(2, None, 0), (3, 2, 1), ((3, 2), (1, 2), (1, 0))])
def test_pools_match_loops(k, s, p):
    x = _x(2, 3, 7, 6)
    for layer, kind, cip in [(nn.MaxPool2d(k, s, p), "max", True),
                             (nn.AvgPool2d(k, s, p), "avg", True),
                             (nn.AvgPool2d(k, s, p, count_include_pad=False), "avg", False)]:
        want = pool_ref(x, layer.kernel_size, layer.stride, layer.padding, kind, cip)
        np.testing.assert_allclose(_np(layer(fnp.asarray(x))), want, rtol=1e-12)
        check_grads(lambda x: layer(x), (fnp.asarray(x),), order=1, modes=("rev",))
    with pytest.raises(ShapeError, match="MaxPool2d.*rank 4"):
        nn.MaxPool2d(2)(fnp.zeros((3, 4)))


# ---------------------------------------------------------------------------------------------
# Normalization
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, (4, 3, 5)),
                                       (nn.BatchNorm2d, (4, 3, 2, 5))])
def test_batchnorm_train_eval_and_running_stats(cls, shape):
    bn = cls(3, momentum=0.2, dtype=F64)
    w, b = _x(3, seed=1), _x(3, seed=2)
    bn = bn.replace(weight=fnp.asarray(w), bias=fnp.asarray(b))
    state = bn.init_state()
    np.testing.assert_array_equal(_np(state["running_mean"]), np.zeros(3))
    np.testing.assert_array_equal(_np(state["running_var"]), np.ones(3))
    x = _x(*shape, seed=3) * 2 + 1
    axes = (0,) + tuple(range(2, len(shape)))
    bshape = (1, 3) + (1,) * (len(shape) - 2)
    mean, var = x.mean(axes), x.var(axes)
    n = x.size // 3
    y, new = bn(fnp.asarray(x), state, train=True)
    want = (x - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + 1e-5) * w.reshape(bshape) \
        + b.reshape(bshape)
    np.testing.assert_allclose(_np(y), want, rtol=1e-10, atol=1e-12)
    # PyTorch's update: momentum-weighted, unbiased batch variance for the running estimate
    np.testing.assert_allclose(_np(new["running_mean"]), 0.8 * 0 + 0.2 * mean, rtol=1e-12)
    np.testing.assert_allclose(_np(new["running_var"]), 0.8 * 1 + 0.2 * var * n / (n - 1),
                               rtol=1e-12)
    # eval: running statistics, state returned unchanged
    y_eval, same = bn(fnp.asarray(x), new, train=False)
    rm, rv = _np(new["running_mean"]), _np(new["running_var"])
    np.testing.assert_allclose(_np(y_eval), (x - rm.reshape(bshape)) / np.sqrt(rv.reshape(bshape)
                               + 1e-5) * w.reshape(bshape) + b.reshape(bshape), rtol=1e-10)
    assert same is new
    check_grads(lambda m, x: m(x, state, train=True)[0], (bn, fnp.asarray(x)), order=1)


def test_batchnorm_errors():
    bn = nn.BatchNorm2d(3)
    with pytest.raises(InvalidArgumentError, match="BatchNorm2d.*init_state"):
        bn(fnp.zeros((2, 3, 4, 4)))
    with pytest.raises(ShapeError, match=r"BatchNorm2d.*3 features.*float32\[2, 4, 4, 4\]"):
        bn(fnp.zeros((2, 4, 4, 4)), bn.init_state())
    with pytest.raises(ShapeError, match="BatchNorm1d.*rank"):
        nn.BatchNorm1d(3)(fnp.zeros((2, 3, 4, 4)), nn.BatchNorm1d(3).init_state())


def test_layernorm_matches_numpy_and_grads():
    ln = nn.LayerNorm((3, 4), dtype=F64)
    ln = ln.replace(weight=fnp.asarray(_x(3, 4, seed=1)), bias=fnp.asarray(_x(3, 4, seed=2)))
    x = _x(2, 3, 4) * 3 + 1
    m, v = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    want = (x - m) / np.sqrt(v + 1e-5) * _x(3, 4, seed=1) + _x(3, 4, seed=2)
    np.testing.assert_allclose(_np(ln(fnp.asarray(x))), want, rtol=1e-10, atol=1e-12)
    check_grads(lambda m, x: m(x), (ln, fnp.asarray(x)), order=2)
    plain = nn.LayerNorm(4, elementwise_affine=False)
    assert plain.weight is None and nn.count_params(plain) == 0
    with pytest.raises(ShapeError, match="LayerNorm"):
        plain(fnp.zeros((2, 5)))


# ---------------------------------------------------------------------------------------------
# Dropout, Embedding, Flatten
# ---------------------------------------------------------------------------------------------

def test_dropout_eval_identity_and_train_keep_rate():
    drop = nn.Dropout(0.3)
    x = fnp.ones((200, 100))
    assert drop(x) is x or np.array_equal(_np(drop(x)), _np(x))
    y = _np(drop(x, key=_key(5), train=True))
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.02  # 20000 Bernoulli draws: 4+ sigma margin
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    y2 = _np(drop(x, key=_key(6), train=True))
    assert not np.array_equal(y, y2)  # different keys, different masks
    np.testing.assert_array_equal(y, _np(drop(x, key=_key(5), train=True)))  # same key, same mask
    with pytest.raises(InvalidArgumentError, match="Dropout.*key"):
        drop(x, train=True)
    np.testing.assert_array_equal(_np(nn.Dropout(1.0)(x, key=_key(), train=True)), 0)
    np.testing.assert_array_equal(_np(nn.Dropout(0.0)(x, key=_key(), train=True)), 1)


def test_embedding_lookup_and_grad():
    emb = nn.Embedding(7, 3, key=_key(), dtype=F64)
    ids = np.array([[0, 6, 2], [2, 2, 1]])
    w = _np(emb.weight)
    np.testing.assert_array_equal(_np(emb(fnp.asarray(ids))), w[ids])
    g = fnx.grad(lambda m: (m(fnp.asarray(ids)) ** 2).sum())(emb)
    want = np.zeros_like(w)
    np.add.at(want, ids, 2 * w[ids])
    np.testing.assert_allclose(_np(g.weight), want, rtol=1e-12)
    with pytest.raises(InvalidArgumentError, match=r"Embedding.*\[0, 7\)"):
        emb(fnp.asarray([7]))
    with pytest.raises(DTypeError, match="Embedding"):
        emb(fnp.asarray([1.0]))


def test_flatten_and_identity():
    x = fnp.asarray(_x(2, 3, 4, 5))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    np.testing.assert_array_equal(_np(nn.Identity()(x)), _np(x))


# -- issue 16: zero-size layers (PyTorch allows them: the init of an empty weight is a no-op
# with a warning) used to divide by a zero fan-in ---------------------------------------------

@pytest.mark.parametrize("make, weight_shape, bias", [
    (lambda: nn.Linear(0, 4, key=_key()), (4, 0), np.zeros(4)),      # fan_in 0: bias bound 0
    (lambda: nn.Linear(4, 0, key=_key()), (0, 4), np.zeros(0)),
    (lambda: nn.Conv2d(0, 4, 3, key=_key()), (4, 0, 3, 3), np.zeros(4)),
    (lambda: nn.Conv2d(4, 0, 3, key=_key()), (0, 4, 3, 3), np.zeros(0)),
    (lambda: nn.ConvTranspose2d(4, 0, 3, key=_key()), (4, 0, 3, 3), np.zeros(0)),
])
def test_zero_size_layers_build_and_run_like_pytorch(make, weight_shape, bias):
    with pytest.warns(UserWarning, match=r"zero-element tensor .* is a no-op"):
        layer = make()
    assert layer.weight.shape == weight_shape
    np.testing.assert_array_equal(_np(layer.bias), bias)


def test_zero_size_layers_compute():
    with pytest.warns(UserWarning):
        lin = nn.Linear(0, 4, key=_key())
        conv = nn.Conv2d(0, 2, 3, padding=1, key=_key())
    # an empty contraction is 0: the output is the bias alone
    np.testing.assert_array_equal(_np(lin(fnp.ones((2, 0)))), np.zeros((2, 4)))
    np.testing.assert_array_equal(_np(conv(fnp.ones((1, 0, 4, 4)))),
                                  np.broadcast_to(_np(conv.bias)[None, :, None, None], (1, 2, 4, 4)))


@pytest.mark.parametrize("init", [nn.init.xavier_uniform, nn.init.xavier_normal,
                                  nn.init.kaiming_uniform, nn.init.kaiming_normal,
                                  nn.init.orthogonal])
def test_initializers_accept_zero_element_shapes(init):
    for shape in ((0, 0), (0, 5), (3, 0, 2)):
        with pytest.warns(UserWarning, match=rf"{init.__name__}: .*{re.escape(str(shape))}"):
            assert init(_key(), shape).shape == shape
