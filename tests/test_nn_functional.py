"""fnx.nn.functional: activations and losses against numpy formulas, gradients by finite differences."""
import math

import numpy as np
import pytest

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
from fnx.errors import DTypeError, InvalidArgumentError, ShapeError
from fnx.test_util import check_grads


def _np(a):
    return np.asarray(fnx.device_get(a))


def _erf(x):
    return np.vectorize(math.erf)(x)


def _np_log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


ACTIVATIONS = [
    ("relu", nn.relu, lambda x: np.maximum(x, 0)),
    ("leaky_relu", lambda x: nn.leaky_relu(x, 0.2), lambda x: np.where(x >= 0, x, 0.2 * x)),
    ("gelu_tanh", nn.gelu,
     lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    ("gelu_erf", lambda x: nn.gelu(x, approximate=False),
     lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    ("silu", nn.silu, lambda x: x / (1 + np.exp(-x))),
    ("softplus", nn.softplus, lambda x: np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)),
    ("sigmoid", nn.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    ("tanh", nn.tanh, np.tanh),
    ("softmax", lambda x: nn.softmax(x, axis=-1),
     lambda x: np.exp(_np_log_softmax(x))),
    ("softmax_axis0", lambda x: nn.softmax(x, axis=0),
     lambda x: np.exp(_np_log_softmax(x, 0))),
    ("log_softmax", nn.log_softmax, _np_log_softmax),
]


@pytest.mark.parametrize("name,f,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_values_and_grads(name, f, ref):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5)) * 2
    x[np.abs(x) < 1e-3] = 0.5  # keep finite differences away from relu's kink
    np.testing.assert_allclose(_np(f(fnp.asarray(x))), ref(x), rtol=1e-10, atol=1e-12)
    x32 = x.astype(np.float32)
    np.testing.assert_allclose(_np(f(fnp.asarray(x32))), ref(x32.astype(np.float64)),
                               rtol=1e-5, atol=1e-6)
    check_grads(f, (fnp.asarray(x),), order=1)


def test_softmax_is_stable_for_large_inputs():
    x = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1000.0, -1000.0]])
    out = _np(nn.softmax(fnp.asarray(x)))
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, np.exp(_np_log_softmax(x)), rtol=1e-12)
    np.testing.assert_allclose(_np(nn.log_softmax(fnp.asarray(x))), _np_log_softmax(x), rtol=1e-12)
    np.testing.assert_allclose(_np(nn.logsumexp(fnp.asarray(x), axis=-1)),
                               (x.max(-1) + np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1))))
    # jax.nn.logsumexp's default reduces every element
    np.testing.assert_allclose(_np(nn.logsumexp(fnp.asarray(x))),
                               x.max() + np.log(np.exp(x - x.max()).sum()))


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_softmax_cross_entropy(smoothing, reduction):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(6, 5))
    labels = rng.integers(0, 5, size=6)
    target = np.eye(5)[labels] * (1 - smoothing) + smoothing / 5
    per = -(target * _np_log_softmax(logits)).sum(-1)
    want = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
    f = lambda z: nn.softmax_cross_entropy(z, fnp.asarray(labels), label_smoothing=smoothing,
                                           reduction=reduction)
    np.testing.assert_allclose(_np(f(fnp.asarray(logits))), want, rtol=1e-10)
    check_grads(f, (fnp.asarray(logits),), order=2)


def test_cross_entropy_probability_targets_and_nll():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(4, 3))
    probs = rng.dirichlet(np.ones(3), size=4)
    np.testing.assert_allclose(_np(nn.softmax_cross_entropy(fnp.asarray(logits), fnp.asarray(probs))),
                               -(probs * _np_log_softmax(logits)).sum(-1).mean(), rtol=1e-10)
    labels = np.array([0, 2, 1, 2])
    lp = _np_log_softmax(logits)
    np.testing.assert_allclose(_np(nn.nll_loss(fnp.asarray(lp), fnp.asarray(labels))),
                               -lp[np.arange(4), labels].mean(), rtol=1e-12)
    check_grads(lambda a: nn.nll_loss(a, fnp.asarray(labels)), (fnp.asarray(lp),), order=1)


def test_mse_and_bce_with_logits():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    np.testing.assert_allclose(_np(nn.mse_loss(fnp.asarray(a), fnp.asarray(b))), ((a - b) ** 2).mean())
    z = rng.normal(size=(5,)) * 30  # large logits: the naive formula overflows
    t = (rng.uniform(size=5) > 0.5).astype(np.float64)
    naive = -(t * np.log(1 / (1 + np.exp(-z.clip(-30, 30)))) +
              (1 - t) * np.log(1 - 1 / (1 + np.exp(-z.clip(-30, 30)))))
    stable = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    np.testing.assert_allclose(stable[np.abs(z) < 20], naive[np.abs(z) < 20], rtol=1e-8)
    got = _np(nn.binary_cross_entropy_with_logits(fnp.asarray(z), fnp.asarray(t), reduction="none"))
    np.testing.assert_allclose(got, stable, rtol=1e-12)
    check_grads(lambda p: nn.mse_loss(p, fnp.asarray(b)), (fnp.asarray(a),), order=2)
    check_grads(lambda p: nn.binary_cross_entropy_with_logits(p, fnp.asarray(t)),
                (fnp.asarray(z / 30),), order=2)


# issue 16: an integer label outside [0, classes) made a one-hot of zeros: a silent loss of 0
# (softmax_cross_entropy) or a clamped / wrapped class (nll_loss).
LABEL_LOSSES = [
    ("softmax_cross_entropy", lambda z, y: nn.softmax_cross_entropy(z, y, reduction="none")),
    ("softmax_cross_entropy",
     lambda z, y: nn.softmax_cross_entropy(z, y, label_smoothing=0.1, reduction="none")),
    ("softmax_cross_entropy", nn.softmax_cross_entropy_with_integer_labels),
    ("nll_loss", lambda z, y: nn.nll_loss(nn.log_softmax(z), y, reduction="none")),
]


@pytest.mark.parametrize("name, loss", LABEL_LOSSES)
def test_out_of_range_labels_raise_when_concrete(name, loss):
    z = fnp.zeros((3, 4))
    with pytest.raises(ValueError, match=rf"{name}: labels must be class indices in \[0, 4\) for "
                                         r"logits with 4 classes, got labels\[1\] = 4, "
                                         r"labels\[2\] = -1"):
        loss(z, fnp.asarray([0, 4, -1]))
    # also under grad w.r.t. the logits (the labels stay concrete there)
    with pytest.raises(ValueError, match=rf"{name}: .*labels\[0\] = 7"):
        fnx.grad(lambda z: fnp.sum(loss(z, fnp.asarray([7, 0, 0]))))(z)


@pytest.mark.parametrize("name, loss", LABEL_LOSSES)
def test_out_of_range_labels_give_nan_rows_when_traced(name, loss):
    z = fnp.asarray(np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32))
    y = fnp.asarray([2, 4, -1])
    expected_row0 = _np(loss(z[:1], y[:1]))[0]
    for out in (fnx.jit(loss)(z, y), fnx.vmap(lambda a, b: loss(a[None], b[None])[0])(z, y)):
        out = _np(out)
        np.testing.assert_allclose(out[0], expected_row0, rtol=1e-6)
        assert np.isnan(out[1]) and np.isnan(out[2]), out
    assert np.isnan(_np(fnx.jit(lambda z, y: fnp.mean(loss(z, y)))(z, y)))


def test_loss_errors_name_the_function():
    with pytest.raises(ShapeError, match="softmax_cross_entropy.*float32\\[4, 3\\]"):
        nn.softmax_cross_entropy(fnp.zeros((4, 3)), fnp.asarray([0, 1]))
    with pytest.raises(DTypeError, match="nll_loss"):
        nn.nll_loss(fnp.zeros((2, 3)), fnp.zeros((2,)).astype(fnp.float32)[:, None][:, 0] * 1.0)
    with pytest.raises(InvalidArgumentError, match="reduction"):
        nn.mse_loss(fnp.zeros(3), fnp.zeros(3), reduction="avg")
    with pytest.raises(ShapeError, match="mse_loss"):
        nn.mse_loss(fnp.zeros(3), fnp.zeros(4))
