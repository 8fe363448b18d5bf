"""nn.Module as a pytree, containers with state threading, introspection, initializers."""
import math

import numpy as np
import pytest

import fnx
import fnx.random
import fnx.nn as nn
import fnx.numpy as fnp
from fnx.errors import InvalidArgumentError

F64 = fnp.float64


def _np(a):
    return np.asarray(fnx.device_get(a))


def _keys(n, seed=0):
    return list(fnx.random.split(fnx.random.PRNGKey(seed), n))


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def _mlp(dtype=F64):
    k1, k2 = _keys(2)
    return nn.Sequential(nn.Linear(3, 5, key=k1, dtype=dtype), nn.relu,
                         nn.Linear(5, 2, key=k2, dtype=dtype))


def test_module_is_a_pytree_with_static_fields():
    conv = nn.Conv2d(2, 4, 3, stride=2, key=_keys(1)[0])
    leaves, treedef = fnx.tree.flatten(conv)
    assert [l.shape for l in leaves] == [(4, 2, 3, 3), (4,)]
    rebuilt = fnx.tree.unflatten(treedef, leaves)
    assert type(rebuilt) is nn.Conv2d and rebuilt.stride == (2, 2)
    paths = [fnx.tree.keystr(p) for p, _ in fnx.tree.leaves_with_path(conv)]
    assert paths == [".weight", ".bias"]
    # mapping leaves to non-arrays keeps the structure (the child/static split is remembered)
    shapes = fnx.tree.map(lambda a: a.shape, conv)
    assert isinstance(shapes, nn.Conv2d) and shapes.weight == (4, 2, 3, 3)
    assert fnx.tree.structure(fnx.tree.map(lambda s: fnp.zeros(s), shapes,
                                           is_leaf=lambda s: isinstance(s, tuple))) == treedef
    assert fnx.tree.structure(fnx.tree.map(lambda a: a * 2, conv)) == treedef


def test_modules_are_immutable_and_replace_copies():
    lin = nn.Linear(3, 2, key=_keys(1)[0])
    with pytest.raises(AttributeError, match="immutable.*replace"):
        lin.weight = fnp.zeros((2, 3))
    zero = lin.replace(weight=fnp.zeros((2, 3)))
    assert np.all(_np(zero.weight) == 0) and not np.all(_np(lin.weight) == 0)
    with pytest.raises(InvalidArgumentError, match="unknown fields"):
        lin.replace(wieght=1)


def test_grad_wrt_model_is_model_shaped_and_matches_numpy():
    model = _mlp()
    x, y = _x(4, 3), _x(4, 2, seed=1)
    loss = lambda m, x, y: nn.mse_loss(m(x), y)
    g = fnx.grad(loss)(model, fnp.asarray(x), fnp.asarray(y))
    assert type(g) is nn.Sequential and fnx.tree.structure(g) == fnx.tree.structure(model)
    w1, b1, w2, b2 = (_np(a) for a in fnx.tree.leaves(model))
    h = x @ w1.T + b1
    r = np.maximum(h, 0)
    out = r @ w2.T + b2
    dout = 2 * (out - y) / out.size
    dw2, db2 = dout.T @ r, dout.sum(0)
    dh = (dout @ w2) * (h > 0)
    dw1, db1 = dh.T @ x, dh.sum(0)
    for got, want in zip(fnx.tree.leaves(g), [dw1, db1, dw2, db2]):
        np.testing.assert_allclose(_np(got), want, rtol=1e-10, atol=1e-14)
    # a plain SGD step through tree.map gives a model again
    stepped = fnx.tree.map(lambda p, d: p - 0.1 * d, model, g)
    assert isinstance(stepped, nn.Sequential) and stepped(fnp.asarray(x)).shape == (4, 2)


def test_jit_of_model_equals_eager_and_caches_on_structure():
    model = _mlp(fnp.float32)
    x = fnp.asarray(_x(4, 3).astype(np.float32))
    f = fnx.jit(lambda m, x: m(x))
    np.testing.assert_allclose(_np(f(model, x)), _np(model(x)), rtol=1e-6, atol=1e-6)
    other = fnx.tree.map(lambda a: a * 0.5, model)
    np.testing.assert_allclose(_np(f(other, x)), _np(other(x)), rtol=1e-6, atol=1e-6)
    cnn = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, key=_keys(1)[0]), nn.relu, nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(8, 3, key=_keys(2)[1]))
    img = fnp.asarray(_x(2, 1, 4, 4).astype(np.float32))
    np.testing.assert_allclose(_np(fnx.jit(lambda m, x: m(x))(cnn, img)), _np(cnn(img)),
                               rtol=1e-5, atol=1e-6)


def test_sequential_threads_state_and_keys():
    k1, k2 = _keys(2, seed=3)
    model = nn.Sequential(nn.Linear(3, 4, key=k1, dtype=F64), nn.BatchNorm1d(4, dtype=F64),
                          nn.relu, nn.Dropout(0.5), nn.Residual(nn.BatchNorm1d(4, dtype=F64)))
    state = nn.init_state(model)
    assert state[0] is None and state[2] is None and state[3] is None
    assert set(state[1]) == {"running_mean", "running_var"} and set(state[4]) == set(state[1])
    x = fnp.asarray(_x(6, 3))
    with pytest.raises(InvalidArgumentError, match="Sequential.*nn.init_state"):
        model(x)
    y, new = model(x, state, key=k2, train=True)
    # reference: apply the layers one by one
    h = model[0](x)
    h, s1 = model[1](h, state[1], train=True)
    h = model[3](nn.relu(h), key=list(fnx.random.split(k2, 5))[3], train=True)
    h2, s4 = model[4].fn(h, state[4], train=True)
    np.testing.assert_allclose(_np(y), _np(h + h2), rtol=1e-12)
    for a, b in zip(fnx.tree.leaves(new), fnx.tree.leaves((None, s1, None, None, s4))):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12)
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    want_head, _ = model[1](model[0](x), state[1], train=True)
    np.testing.assert_allclose(_np(head(x, state[:2], train=True)[0]), _np(want_head), rtol=1e-12)
    # eval mode: deterministic, state unchanged
    ye, same = model(x, new, train=False)
    assert all(a is b for a, b in zip(fnx.tree.leaves(same), fnx.tree.leaves(new)))
    # state threading under jit, and grads with state
    f = fnx.jit(lambda m, x, s, k: m(x, s, key=k, train=True))
    yj, newj = f(model, x, state, k2)
    np.testing.assert_allclose(_np(yj), _np(y), rtol=1e-10)
    for a, b in zip(fnx.tree.leaves(newj), fnx.tree.leaves(new)):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-10)
    fe = fnx.jit(lambda m, x, s: m(x, s, train=False))
    np.testing.assert_allclose(_np(fe(model, x, new)[0]), _np(ye), rtol=1e-10)
    g = fnx.grad(lambda m: model_loss(m, x, state, k2))(model)
    assert fnx.tree.structure(g) == fnx.tree.structure(model)


def model_loss(m, x, state, key):
    y, _ = m(x, state, key=key, train=True)
    return (y ** 2).sum()


def test_count_params_and_summary():
    k = _keys(4)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, key=k[0]), nn.BatchNorm2d(8), nn.relu, nn.Flatten(),
                          nn.Linear(32, 10, key=k[1]), nn.LSTMCell(10, 6, key=k[2]),
                          nn.Embedding(5, 4, key=k[3]))
    want = (8 * 3 * 9 + 8) + (8 + 8) + (32 * 10 + 10) + (4 * 6 * 10 + 4 * 6 * 6 + 2 * 4 * 6) + 5 * 4
    assert nn.count_params(model) == want
    text = nn.summary(model, print_fn=None)
    assert "layers[0]" in text and "Conv2d" in text and "weight[8, 3, 3, 3]" in text
    assert f"Total parameters: {want:,}" in text
    assert "LSTMCell" in text and "weight_hh[24, 6]" in text


def test_lambda_residual_and_errors():
    lin = nn.Linear(3, 3, key=_keys(1)[0], dtype=F64)
    res = nn.Residual(nn.Sequential(lin, fnp.tanh))
    x = _x(2, 3)
    np.testing.assert_allclose(_np(res(fnp.asarray(x))),
                               x + np.tanh(x @ _np(lin.weight).T + _np(lin.bias)), rtol=1e-12)
    assert nn.init_state(res) is None and not nn.is_stateful(res)
    with pytest.raises(InvalidArgumentError, match="Lambda.*callable"):
        nn.Lambda(3)
    with pytest.raises(InvalidArgumentError, match="key"):
        nn.Linear(3, 3, key=None)


def test_static_fields_must_be_hashable():
    class Bad(nn.Module):
        def __init__(self):
            self.cfg = {1, 2}

    with pytest.raises(TypeError, match="Bad.cfg.*hashable"):
        Bad()


# ---------------------------------------------------------------------------------------------
# Initializers
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,kwargs,shape,std", [
    ("xavier_uniform", {}, (200, 300), math.sqrt(2 / 500)),
    ("xavier_normal", {}, (200, 300), math.sqrt(2 / 500)),
    ("kaiming_uniform", {"nonlinearity": "relu"}, (200, 30, 3, 3), math.sqrt(2 / 270)),
    ("kaiming_normal", {"nonlinearity": "relu", "mode": "fan_out"}, (20, 300, 3, 3),
     math.sqrt(2 / 180)),
])
def test_initializer_statistics(name, kwargs, shape, std):
    w = _np(getattr(nn.init, name)(_keys(1)[0], shape, **kwargs))
    assert w.shape == shape and w.dtype == np.float32
    assert abs(w.mean()) < 0.05 * std
    assert abs(w.std() - std) < 0.05 * std
    if "uniform" in name:
        assert np.abs(w).max() <= std * math.sqrt(3) * (1 + 1e-6)


def test_orthogonal_zeros_ones_and_gain():
    for shape in [(5, 5), (3, 7), (8, 2), (4, 2, 3)]:
        q = _np(nn.init.orthogonal(_keys(1)[0], shape, F64, gain=2.0)).reshape(shape[0], -1)
        small = min(q.shape)
        gram = q @ q.T if q.shape[0] == small else q.T @ q
        np.testing.assert_allclose(gram, 4 * np.eye(small), atol=1e-10)
    np.testing.assert_array_equal(_np(nn.init.zeros(None, (2, 3))), np.zeros((2, 3)))
    np.testing.assert_array_equal(_np(nn.init.ones(None, (2,), F64)), np.ones(2))
    assert nn.init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))


def test_jit_grad_equals_eager_for_cnn_with_state_and_causal_transformer():
    k = _keys(3, seed=7)
    cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, key=k[0]), nn.BatchNorm2d(4), nn.relu,
                        nn.MaxPool2d(2), nn.ConvTranspose2d(4, 2, 2, stride=2, key=k[1]),
                        nn.AvgPool2d(2), nn.Flatten())
    state = nn.init_state(cnn)
    img = fnp.asarray(_x(2, 1, 6, 6).astype(np.float32))

    def loss(m, x, s):
        y, s = m(x, s, train=True)
        return (y ** 2).sum(), s

    vg = fnx.value_and_grad(loss, has_aux=True)
    (v1, s1), g1 = fnx.jit(vg)(cnn, img, state)
    (v2, s2), g2 = vg(cnn, img, state)
    for a, b in zip(fnx.tree.leaves((v1, s1, g1)), fnx.tree.leaves((v2, s2, g2))):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-4, atol=1e-5)
    blk = nn.TransformerBlock(8, 2, 16, key=k[2])
    x = fnp.asarray(_x(2, 5, 8).astype(np.float32))
    pad = fnp.asarray(np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], bool))
    tl = lambda t, x: (t(x, pad, causal=True) ** 2).sum()
    for a, b in zip(fnx.tree.leaves(fnx.jit(fnx.grad(tl))(blk, x)),
                    fnx.tree.leaves(fnx.grad(tl)(blk, x))):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-4, atol=1e-5)


def test_init_under_jit_and_vmap_ensembles():
    key = fnx.random.PRNGKey(11)
    eager = nn.Linear(3, 4, key=key)
    jitted = fnx.jit(lambda k: nn.Linear(3, 4, key=k))(key)
    assert type(jitted) is nn.Linear
    np.testing.assert_array_equal(_np(jitted.weight), _np(eager.weight))
    keys = fnx.random.split(key, 5)
    ens = fnx.vmap(lambda k: nn.Linear(3, 4, key=k))(keys)
    assert ens.weight.shape == (5, 4, 3) and ens.in_features == 3
    x = fnp.asarray(_x(2, 3).astype(np.float32))
    out = fnx.vmap(lambda m: m(x))(ens)
    for i in range(5):
        member = nn.Linear(3, 4, key=keys[i])
        np.testing.assert_allclose(_np(out[i]), _np(member(x)), rtol=1e-5, atol=1e-6)
