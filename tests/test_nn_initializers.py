"""fnx.nn.initializers (jax.nn.initializers' API): statistics over large samples against the
formulas (fans as JAX computes them), orthogonality, shapes and dtypes, jit / vmap, errors;
and jax.nn's remaining activations in fnx.nn against numpy."""
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
from fnx.errors import InvalidArgumentError
from fnx.nn import initializers as init
from fnx.test_util import check_grads

KEY = fnx.random.PRNGKey(0)


def _np(a):
    return np.asarray(fnx.device_get(a))


def _np_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    """JAX's fans, written from its definition: the product of the in (out) axes' sizes times
    the receptive field (every axis named by none of in / out / batch)."""
    rank = len(shape)
    as_set = lambda a: {x % rank for x in ((a,) if isinstance(a, int) else a)}  # noqa: E731
    ins, outs, batch = as_set(in_axis), as_set(out_axis), as_set(batch_axis)
    receptive = np.prod([d for i, d in enumerate(shape) if i not in ins | outs | batch])
    return (np.prod([shape[i] for i in ins]) * receptive,
            np.prod([shape[i] for i in outs]) * receptive)


# (factory, scale, mode, distribution) of the named variance-scaling initializers
NAMED = [
    (init.glorot_uniform, 1.0, "fan_avg", "uniform"),
    (init.glorot_normal, 1.0, "fan_avg", "truncated_normal"),
    (init.xavier_uniform, 1.0, "fan_avg", "uniform"),
    (init.xavier_normal, 1.0, "fan_avg", "truncated_normal"),
    (init.lecun_uniform, 1.0, "fan_in", "uniform"),
    (init.lecun_normal, 1.0, "fan_in", "truncated_normal"),
    (init.he_uniform, 2.0, "fan_in", "uniform"),
    (init.he_normal, 2.0, "fan_in", "truncated_normal"),
    (init.kaiming_uniform, 2.0, "fan_in", "uniform"),
    (init.kaiming_normal, 2.0, "fan_in", "truncated_normal"),
]


def _expected_std(scale, mode, shape, **axes):
    fan_in, fan_out = _np_fans(shape, **axes)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
         "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]
    return math.sqrt(scale / n)


def _check_distribution(x, std, distribution):
    """Mean 0 and standard deviation ``std`` within sampling error (n >= 40000 samples: the
    relative standard error of the sample std is < 1%), and the support of the distribution."""
    x = x.ravel().astype(np.float64)
    assert abs(x.mean()) < 5 * std / math.sqrt(x.size)
    assert abs(x.std() / std - 1) < 0.03
    if distribution == "uniform":
        assert np.abs(x).max() <= math.sqrt(3) * std * (1 + 1e-6)
        assert np.abs(x).max() > 0.99 * math.sqrt(3) * std
    elif distribution == "truncated_normal":
        assert np.abs(x).max() <= 2 * std / 0.87962566103423978 * (1 + 1e-6)


@pytest.mark.parametrize("factory,scale,mode,distribution", NAMED,
                         ids=[f[0].__name__ for f in NAMED])
def test_named_initializers_match_variance_scaling_statistics(factory, scale, mode, distribution):
    shape = (3, 3, 80, 60)  # HWIO: fan_in = 9 * 80, fan_out = 9 * 60
    w = _np(factory()(KEY, shape))
    assert w.shape == shape and w.dtype == np.float32
    _check_distribution(w, _expected_std(scale, mode, shape), distribution)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "uniform"])
def test_variance_scaling_modes_and_distributions(mode, distribution):
    shape = (250, 180)
    w = _np(init.variance_scaling(3.0, mode, distribution)(KEY, shape, fnp.float64))
    assert w.dtype == np.float64
    _check_distribution(w, _expected_std(3.0, mode, shape), distribution)


@pytest.mark.parametrize("shape,axes", [
    ((40, 5, 300), dict(in_axis=0, out_axis=-1, batch_axis=1)),   # batch axis ignored
    ((6, 40, 250), dict(in_axis=1, out_axis=2, batch_axis=0)),
    ((4, 5, 30, 70), dict(in_axis=(0, 2), out_axis=-1)),           # several input axes
    ((70, 3, 3, 30), dict(in_axis=-1, out_axis=0)),                # OHWI-style kernel
])
def test_fans_follow_in_out_batch_axes(shape, axes):
    for mode in ("fan_in", "fan_out"):
        w = _np(init.variance_scaling(1.0, mode, "normal", **axes)(KEY, shape))
        _check_distribution(w, _expected_std(1.0, mode, shape, **axes), "normal")


def test_truncated_normal_initializer_is_not_rescaled():
    w = _np(init.truncated_normal(0.5)(KEY, (300, 200)))
    # a standard normal truncated at +-2 has std 0.8796...: JAX does not correct for it here
    assert abs(w.std() / (0.5 * 0.87962566103423978) - 1) < 0.02
    assert np.abs(w).max() <= 1.0
    w = _np(init.truncated_normal(1.0, lower=0.0, upper=1.0)(KEY, (1000,)))
    assert w.min() >= 0 and w.max() <= 1


def test_uniform_normal_constant_zeros_ones():
    u = _np(init.uniform(0.3)(KEY, (200, 300)))
    assert u.min() >= 0 and u.max() < 0.3 and abs(u.mean() - 0.15) < 0.003
    g = _np(init.normal(0.2)(KEY, (200, 300)))
    assert abs(g.std() / 0.2 - 1) < 0.02 and abs(g.mean()) < 0.005
    np.testing.assert_array_equal(_np(init.constant(-7.5)(KEY, (2, 3))), np.full((2, 3), -7.5))
    assert init.constant(2, fnp.int32)(KEY, (3,)).dtype == np.int32
    np.testing.assert_array_equal(_np(init.zeros(KEY, (2, 3))), np.zeros((2, 3)))
    np.testing.assert_array_equal(_np(init.ones(KEY, (4,), fnp.float64)), np.ones(4))
    assert init.ones(KEY, (4,), fnp.float64).dtype == np.float64
    assert init.zeros(None, (0, 3)).shape == (0, 3)


@pytest.mark.parametrize("dtype", [fnp.float32, fnp.float64])
def test_dtype_argument_at_factory_and_call(dtype):
    for factory in (init.glorot_normal, init.he_uniform, init.orthogonal):
        assert factory(dtype=dtype)(KEY, (4, 3)).dtype == np.dtype(dtype)
        assert factory()(KEY, (4, 3), dtype).dtype == np.dtype(dtype)
    for f in (init.normal(), init.uniform(), init.truncated_normal()):
        assert f(KEY, (5,), dtype).dtype == np.dtype(dtype)


def test_complex_dtypes():
    for dist in ("normal", "uniform", "truncated_normal"):
        w = _np(init.variance_scaling(1.0, "fan_in", dist)(KEY, (200, 300), fnp.complex64))
        assert w.dtype == np.complex64
        # E|w|^2 = scale / fan_in for the complex distributions too
        assert abs(np.mean(np.abs(w) ** 2) * 200 - 1) < 0.03
        assert abs(w.mean()) < 0.01
    w = _np(init.variance_scaling(1.0, "fan_in", "uniform")(KEY, (200, 300), fnp.complex64))
    assert np.abs(w).max() <= math.sqrt(2 / 200) * (1 + 1e-5)   # the disk


@pytest.mark.parametrize("shape,column_axis", [
    ((5, 3), -1), ((3, 5), -1), ((4, 4), -1), ((2, 3, 8), -1), ((8, 2, 3), 0), ((3, 7, 2), 1)])
def test_orthogonal(shape, column_axis):
    w = _np(init.orthogonal(scale=2.0, column_axis=column_axis)(KEY, shape, fnp.float64))
    assert w.shape == shape
    m = np.moveaxis(w, column_axis, -1).reshape(-1, shape[column_axis]) / 2.0
    rows, cols = m.shape
    gram = m.T @ m if rows >= cols else m @ m.T
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-12)


def test_orthogonal_complex_is_unitary_and_jits():
    w = _np(init.orthogonal()(KEY, (4, 4), fnp.complex128))
    np.testing.assert_allclose(w.conj().T @ w, np.eye(4), atol=1e-12)
    f = init.orthogonal()
    np.testing.assert_allclose(_np(fnx.jit(lambda k: f(k, (5, 3)))(KEY)), _np(f(KEY, (5, 3))),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(3, 4, 6), (3, 5, 4, 4), (3, 3, 3, 2, 5)])
def test_delta_orthogonal(shape):
    w = _np(init.delta_orthogonal(scale=1.5)(KEY, shape, fnp.float64))
    centre = tuple((k - 1) // 2 for k in shape[:-2])
    mid = w[centre] / 1.5
    np.testing.assert_allclose(mid @ mid.T, np.eye(shape[-2]), atol=1e-12)
    rest = w.copy()
    rest[centre] = 0
    assert not rest.any()


def test_same_key_same_values_and_jit_equals_eager():
    for f in (init.glorot_normal(), init.lecun_uniform(), init.normal(), init.uniform(),
              init.truncated_normal(), init.delta_orthogonal()):
        shape = (3, 4, 6) if f.__qualname__.startswith("delta") else (7, 5)
        a, b = _np(f(KEY, shape)), _np(f(KEY, shape))
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(_np(fnx.jit(lambda k: f(k, shape))(KEY)), a, rtol=1e-6,
                                   atol=1e-7)


def test_vmap_over_keys_equals_a_loop():
    keys = fnx.random.split(KEY, 3)
    f = init.he_normal()
    batched = _np(fnx.vmap(lambda k: f(k, (4, 5)))(keys))
    looped = np.stack([_np(f(keys[i], (4, 5))) for i in range(3)])
    np.testing.assert_allclose(batched, looped, rtol=1e-6)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=2, max_size=4),
       st.sampled_from(["fan_in", "fan_out", "fan_avg", "fan_geo_avg"]))
def test_uniform_bound_follows_the_fans(shape, mode):
    shape = tuple(shape)
    w = _np(init.variance_scaling(1.0, mode, "uniform")(KEY, shape, fnp.float64))
    assert w.shape == shape
    assert np.abs(w).max() <= math.sqrt(3) * _expected_std(1.0, mode, shape) * (1 + 1e-12)


def test_errors():
    with pytest.raises(InvalidArgumentError, match="at least 2D"):
        init.glorot_normal()(KEY, (5,))
    with pytest.raises(InvalidArgumentError, match="invalid mode"):
        init.variance_scaling(1.0, "fan_middle", "normal")
    with pytest.raises(InvalidArgumentError, match="invalid distribution"):
        init.variance_scaling(1.0, "fan_in", "cauchy")
    with pytest.raises(InvalidArgumentError, match="in_axis 5 is out of range"):
        init.variance_scaling(1.0, "fan_in", "normal", in_axis=5)(KEY, (3, 4))
    with pytest.raises(InvalidArgumentError, match="rank >= 2"):
        init.orthogonal()(KEY, (4,))
    with pytest.raises(InvalidArgumentError, match="3D, 4D or 5D"):
        init.delta_orthogonal()(KEY, (4, 4))
    with pytest.raises(InvalidArgumentError, match="fan_in must be less"):
        init.delta_orthogonal()(KEY, (3, 3, 8, 4))
    with pytest.raises(InvalidArgumentError, match="floating or complex dtype"):
        init.normal()(KEY, (3,), fnp.int32)
    with pytest.raises(InvalidArgumentError, match="negative"):
        init.zeros(KEY, (3, -1))


def test_initializer_is_exported():
    assert nn.initializers is init
    for name in init.__all__:
        assert hasattr(init, name)


# ---------------------------------------------------------------------------------------------
# jax.nn's remaining activations in fnx.nn
# ---------------------------------------------------------------------------------------------

def _np_softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


ACTIVATIONS = [
    ("sparse_plus", nn.sparse_plus,
     lambda x: np.where(x <= -1, 0.0, np.where(x < 1, (x + 1) ** 2 / 4, x))),
    ("sparse_sigmoid", nn.sparse_sigmoid,
     lambda x: np.where(x <= -1, 0.0, np.where(x < 1, (x + 1) / 2, 1.0))),
    ("squareplus", nn.squareplus, lambda x: (x + np.sqrt(x * x + 4)) / 2),
    ("squareplus_b1", lambda x: nn.squareplus(x, 1.0), lambda x: (x + np.sqrt(x * x + 1)) / 2),
    ("mish", nn.mish, lambda x: x * np.tanh(_np_softplus(x))),
    ("identity", nn.identity, lambda x: x),
]


@pytest.mark.parametrize("name,f,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_values_jit_and_grads(name, f, ref):
    x = np.linspace(-3.3, 3.1, 23)
    np.testing.assert_allclose(_np(f(fnp.asarray(x))), ref(x), rtol=1e-12, atol=1e-14)
    xf = fnp.asarray(x, dtype=fnp.float32)
    np.testing.assert_allclose(_np(fnx.jit(f)(xf)), _np(f(xf)), rtol=1e-6, atol=1e-7)
    # away from the kinks at +-1
    check_grads(f, (fnp.asarray([-2.5, -0.4, 0.3, 2.2]),), order=2)


def test_log1mexp_and_logmeanexp():
    x = np.array([1e-8, 1e-3, 0.5, math.log(2), 1.0, 5.0, 40.0])
    with mpmath.workdps(40):
        expected = np.array([float(mpmath.log(-mpmath.expm1(-mpmath.mpf(v)))) for v in x])
    np.testing.assert_allclose(_np(nn.log1mexp(fnp.asarray(x))), expected, rtol=1e-13)
    check_grads(nn.log1mexp, (fnp.asarray([0.2, 0.9, 3.0]),), order=1)
    z = np.random.default_rng(0).normal(size=(3, 4))
    np.testing.assert_allclose(_np(nn.logmeanexp(fnp.asarray(z))), np.log(np.mean(np.exp(z))),
                               rtol=1e-13)
    np.testing.assert_allclose(_np(nn.logmeanexp(fnp.asarray(z), axis=1, keepdims=True)),
                               np.log(np.mean(np.exp(z), axis=1, keepdims=True)), rtol=1e-13)
