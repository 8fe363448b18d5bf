"""fnx.example_libraries (jax.example_libraries' stax and optimizers): every stax layer's
init_fun shape against its output, values against numpy, gradients; every optimizer against a
numpy re-implementation of its formula, under jit too; schedules; and the issue's acceptance
test, JAX's mnist_classifier.py with only its imports changed."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.numpy as fnp
from fnx.errors import InvalidArgumentError
from fnx.example_libraries import optimizers, stax
from fnx.test_util import check_grads

KEY = fnx.random.PRNGKey(0)


def _np(a):
    return np.asarray(fnx.device_get(a))


def _f64(tree):
    return fnx.tree_util.tree_map(lambda a: fnp.asarray(_np(a), dtype=fnp.float64), tree)


# ---------------------------------------------------------------------------------------------
# numpy oracles
# ---------------------------------------------------------------------------------------------

def _same_pads(n, k, s):
    """TensorFlow / XLA 'SAME' padding: ceil(n / s) outputs, the extra padding at the end."""
    out = -(-n // s)
    total = max(0, (out - 1) * s + k - n)
    return total // 2, total - total // 2


def _np_conv_nhwc(x, w, strides, padding):
    """Cross-correlation of NHWC ``x`` with an HWIO kernel, by explicit loops over taps."""
    kh, kw = w.shape[:2]
    if padding == "SAME":
        (t, b), (l, r) = _same_pads(x.shape[1], kh, strides[0]), _same_pads(x.shape[2], kw, strides[1])
    else:
        t = b = l = r = 0
    xp = np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)))
    oh = (xp.shape[1] - kh) // strides[0] + 1
    ow = (xp.shape[2] - kw) // strides[1] + 1
    out = np.zeros((x.shape[0], oh, ow, w.shape[3]))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i:i + oh * strides[0]:strides[0], j:j + ow * strides[1]:strides[1], :]
            out += patch @ w[i, j]
    return out


def _np_conv_transpose_1d(x, w, s, padding):
    """JAX's conv_transpose (no kernel flip) of NHC ``x`` with an HIO kernel in scatter form:
    input i and tap a reach output ``i * s + lo - a``; 'SAME' has ``n * s`` outputs and
    ``lo = k - 1`` if ``s > k - 1`` else ``ceil((k + s - 2) / 2)``, 'VALID' ``n * s + max(k - s, 0)``
    outputs and ``lo = k - 1``."""
    n, k = x.shape[1], w.shape[0]
    if padding == "SAME":
        size, lo = n * s, (k - 1 if s > k - 1 else -(-(k + s - 2) // 2))
    else:
        size, lo = n * s + max(k - s, 0), k - 1
    out = np.zeros((x.shape[0], size, w.shape[2]))
    for i in range(n):
        for a in range(k):
            o = i * s + lo - a
            if 0 <= o < size:
                out[:, o] += x[:, i] @ w[a]
    return out


def _np_pool(x, window, strides, padding, reduce):
    """Pooling over the H, W axes of NHWC ``x``; padded cells are skipped (``reduce`` sees only
    real inputs), returning the reduced values and the window counts."""
    (t, b), (l, r) = ((_same_pads(x.shape[1], window[0], strides[0]),
                       _same_pads(x.shape[2], window[1], strides[1])) if padding == "SAME"
                      else ((0, 0), (0, 0)))
    oh = (x.shape[1] + t + b - window[0]) // strides[0] + 1
    ow = (x.shape[2] + l + r - window[1]) // strides[1] + 1
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    counts = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * strides[0] - t, j * strides[1] - l
            cell = x[:, max(h0, 0):h0 + window[0], max(w0, 0):w0 + window[1], :]
            out[:, i, j] = reduce(cell.reshape(x.shape[0], -1, x.shape[3]), axis=1)
            counts[i, j] = cell.shape[1] * cell.shape[2]
    return out, counts


# ---------------------------------------------------------------------------------------------
# stax: shapes
# ---------------------------------------------------------------------------------------------

LAYERS = [
    ("Dense", lambda: stax.Dense(7), (3, 5)),
    ("Dense3d", lambda: stax.Dense(4), (2, 3, 5)),
    ("Conv_valid", lambda: stax.Conv(4, (3, 2)), (2, 7, 6, 3)),
    ("Conv_same_strided", lambda: stax.Conv(5, (3, 3), (2, 2), "SAME"), (2, 7, 6, 3)),
    ("Conv_explicit_pads", lambda: stax.Conv(2, (2, 2), (1, 2), ((1, 0), (2, 1))), (1, 5, 5, 2)),
    ("Conv1D", lambda: stax.Conv1D(3, (2,), (2,)), (2, 9, 4)),
    ("GeneralConv_NCHW", lambda: stax.GeneralConv(("NCHW", "OIHW", "NCHW"), 4, (3, 3),
                                                   padding="SAME"), (2, 3, 6, 5)),
    ("ConvTranspose_same", lambda: stax.ConvTranspose(3, (3, 3), (2, 2), "SAME"), (2, 4, 5, 2)),
    ("ConvTranspose_valid", lambda: stax.ConvTranspose(3, (3, 2), (2, 3), "VALID"), (2, 4, 5, 2)),
    ("Conv1DTranspose", lambda: stax.Conv1DTranspose(2, (4,), (2,), "SAME"), (2, 5, 3)),
    ("BatchNorm", lambda: stax.BatchNorm(), (4, 3, 3, 2)),
    ("BatchNorm_axis0", lambda: stax.BatchNorm(axis=0), (6, 5)),
    ("MaxPool", lambda: stax.MaxPool((2, 2)), (2, 5, 6, 3)),
    ("MaxPool_same", lambda: stax.MaxPool((3, 3), (2, 2), "SAME"), (2, 5, 6, 3)),
    ("AvgPool", lambda: stax.AvgPool((2, 3), (1, 2)), (2, 5, 6, 3)),
    ("SumPool_same", lambda: stax.SumPool((2, 2), (2, 2), "SAME"), (2, 5, 7, 1)),
    ("MaxPool_NCHW", lambda: stax.MaxPool((2, 2), spec="NCHW"), (2, 3, 6, 4)),
    ("Flatten", lambda: stax.Flatten, (2, 3, 4, 5)),
    ("Identity", lambda: stax.Identity, (2, 3)),
    ("Relu", lambda: stax.Relu, (2, 3)),
    ("Tanh", lambda: stax.Tanh, (2, 3)),
    ("Sigmoid", lambda: stax.Sigmoid, (2, 3)),
    ("Elu", lambda: stax.Elu, (2, 3)),
    ("LeakyRelu", lambda: stax.LeakyRelu, (2, 3)),
    ("Selu", lambda: stax.Selu, (2, 3)),
    ("Gelu", lambda: stax.Gelu, (2, 3)),
    ("Softplus", lambda: stax.Softplus, (2, 3)),
    ("Exp", lambda: stax.Exp, (2, 3)),
    ("LogSoftmax", lambda: stax.LogSoftmax, (2, 3)),
    ("Softmax", lambda: stax.Softmax, (2, 3)),
    ("serial", lambda: stax.serial(stax.Conv(4, (3, 3), padding="SAME"), stax.Relu,
                                   stax.MaxPool((2, 2), (2, 2)), stax.Flatten, stax.Dense(3)),
     (2, 6, 6, 1)),
    ("residual", lambda: stax.serial(stax.FanOut(2), stax.parallel(stax.Dense(4), stax.Identity),
                                     stax.FanInSum), (3, 4)),
    ("concat", lambda: stax.serial(stax.FanOut(3), stax.parallel(stax.Dense(2), stax.Identity,
                                                                 stax.Tanh),
                                   stax.FanInConcat()), (3, 4)),
    ("shape_dependent", lambda: stax.shape_dependent(lambda s: stax.Dense(s[-1] * 2)), (3, 4)),
]


@pytest.mark.parametrize("name,make,shape", LAYERS, ids=[l[0] for l in LAYERS])
def test_init_shape_is_the_apply_shape(name, make, shape):
    init_fun, apply_fun = make()
    out_shape, params = init_fun(KEY, shape)
    x = fnx.random.normal(fnx.random.PRNGKey(1), shape)
    y = apply_fun(params, x)
    assert tuple(out_shape) == tuple(y.shape)
    # an unknown batch size (-1) passes through init_fun
    unknown = (-1,) + tuple(shape[1:])
    if name not in ("BatchNorm", "BatchNorm_axis0", "shape_dependent"):
        out_unknown, _ = init_fun(KEY, unknown)
        assert tuple(out_unknown) == (-1,) + tuple(y.shape[1:])
    # jit equals eager
    np.testing.assert_allclose(_np(fnx.jit(apply_fun)(params, x)), _np(y), rtol=2e-5, atol=2e-6)


def test_parallel_and_fan_out_shapes_are_lists():
    init_fun, apply_fun = stax.parallel(stax.Dense(2), stax.Dense(3))
    shapes, params = init_fun(KEY, [(4, 5), (4, 6)])
    assert shapes == ((4, 2), (4, 3)) and len(params) == 2
    outs = apply_fun(params, [fnp.ones((4, 5)), fnp.ones((4, 6))])
    assert [o.shape for o in outs] == [(4, 2), (4, 3)]
    shapes, params = stax.FanOut(3)[0](KEY, (2, 5))
    assert shapes == [(2, 5)] * 3 and params == ()


# ---------------------------------------------------------------------------------------------
# stax: values against numpy
# ---------------------------------------------------------------------------------------------

def test_dense_values_and_default_init():
    init_fun, apply_fun = stax.Dense(6)
    _, (W, b) = init_fun(KEY, (-1, 400))
    assert W.shape == (400, 6) and b.shape == (6,)
    assert abs(_np(b).std() / 1e-2 - 1) < 0.9  # normal(1e-2): a few samples only
    w = np.random.default_rng(0).normal(size=(3, 400))
    np.testing.assert_allclose(_np(apply_fun(_f64((W, b)), fnp.asarray(w))),
                               w @ _np(W).astype(np.float64) + _np(b), rtol=1e-10)


@pytest.mark.parametrize("strides,padding", [((1, 1), "VALID"), ((2, 1), "SAME"),
                                             ((2, 3), "VALID")])
def test_conv_values(strides, padding):
    init_fun, apply_fun = stax.Conv(4, (3, 2), strides, padding)
    _, (W, b) = init_fun(KEY, (2, 7, 6, 3))
    assert W.shape == (3, 2, 3, 4) and b.shape == (1, 1, 1, 4)
    x = np.random.default_rng(1).normal(size=(2, 7, 6, 3))
    W, b = _np(W).astype(np.float64), _np(b).astype(np.float64)
    got = _np(apply_fun((fnp.asarray(W), fnp.asarray(b)), fnp.asarray(x)))
    np.testing.assert_allclose(got, _np_conv_nhwc(x, W, strides, padding) + b, rtol=1e-10)


@pytest.mark.parametrize("k,s,padding", [(3, 2, "SAME"), (3, 2, "VALID"), (4, 2, "SAME"),
                                         (2, 3, "VALID"), (2, 3, "SAME"), (5, 1, "SAME")])
def test_conv1d_transpose_values(k, s, padding):
    init_fun, apply_fun = stax.Conv1DTranspose(3, (k,), (s,), padding)
    out_shape, (W, b) = init_fun(KEY, (2, 5, 2))
    x = np.random.default_rng(2).normal(size=(2, 5, 2))
    W, b = _np(W).astype(np.float64), _np(b).astype(np.float64)
    got = _np(apply_fun((fnp.asarray(W), fnp.asarray(b)), fnp.asarray(x)))
    expected = _np_conv_transpose_1d(x, W, s, padding) + b
    assert got.shape == expected.shape == tuple(out_shape)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("window,strides,padding", [((2, 2), None, "VALID"),
                                                    ((3, 3), (2, 2), "SAME"),
                                                    ((2, 3), (1, 2), "SAME")])
def test_pool_values(window, strides, padding):
    x = np.random.default_rng(3).normal(size=(2, 5, 7, 3))
    full = strides or (1, 1)
    mx, counts = _np_pool(x, window, full, padding, np.max)
    sm, _ = _np_pool(x, window, full, padding, np.sum)
    for layer, expected in ((stax.MaxPool, mx), (stax.SumPool, sm),
                            (stax.AvgPool, sm / counts[None, :, :, None])):
        init_fun, apply_fun = layer(window, strides, padding)
        got = _np(apply_fun((), fnp.asarray(x)))
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_pool_with_spec_nchw():
    x = np.random.default_rng(4).normal(size=(2, 3, 4, 6))
    _, apply_fun = stax.AvgPool((2, 2), (2, 2), spec="NCHW")
    got = _np(apply_fun((), fnp.asarray(x)))
    expected = x.reshape(2, 3, 2, 2, 3, 2).mean(axis=(3, 5))
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("center,scale", [(True, True), (True, False), (False, True),
                                          (False, False)])
def test_batchnorm_values(center, scale):
    init_fun, apply_fun = stax.BatchNorm(axis=(0, 1, 2), center=center, scale=scale,
                                         beta_init=stax.normal(1.0), gamma_init=stax.normal(1.0))
    _, (beta, gamma) = init_fun(KEY, (4, 3, 3, 5))
    x = np.random.default_rng(5).normal(size=(4, 3, 3, 5)) * 3 + 1
    params = tuple(fnp.asarray(_np(p), dtype=fnp.float64) if c else ()
                   for p, c in ((beta, center), (gamma, scale)))
    got = _np(apply_fun(params, fnp.asarray(x)))
    z = (x - x.mean(axis=(0, 1, 2))) / np.sqrt(x.var(axis=(0, 1, 2)) + 1e-5)
    if scale:
        z = z * _np(gamma).astype(np.float64)
    if center:
        z = z + _np(beta).astype(np.float64)
    np.testing.assert_allclose(got, z, rtol=1e-10, atol=1e-12)


def test_elementwise_layers_apply_their_function():
    x = np.linspace(-2, 2, 9).reshape(3, 3)
    for layer, ref in ((stax.Relu, lambda v: np.maximum(v, 0)), (stax.Tanh, np.tanh),
                       (stax.Exp, np.exp), (stax.Sigmoid, lambda v: 1 / (1 + np.exp(-v))),
                       (stax.Softmax, lambda v: np.exp(v) / np.exp(v).sum(-1, keepdims=True)),
                       (stax.LeakyRelu, lambda v: np.where(v >= 0, v, 0.01 * v))):
        np.testing.assert_allclose(_np(layer[1]((), fnp.asarray(x))), ref(x), rtol=1e-12)
    init_fun, apply_fun = stax.elementwise(lambda v, p: v ** p, p=3)
    assert init_fun(KEY, (3, 3)) == ((3, 3), ())
    np.testing.assert_allclose(_np(apply_fun((), fnp.asarray(x))), x ** 3)


def test_combinators_values():
    x = np.random.default_rng(6).normal(size=(3, 4))
    init_fun, apply_fun = stax.serial(stax.FanOut(2), stax.parallel(stax.Dense(4), stax.Identity),
                                      stax.FanInSum)
    _, params = init_fun(KEY, (3, 4))
    (W, b), = [p for p in params[1] if p != ()]
    expected = x @ _np(W) + _np(b) + x
    np.testing.assert_allclose(_np(apply_fun(params, fnp.asarray(x, dtype=fnp.float32))),
                               expected, rtol=1e-5, atol=1e-6)
    _, concat = stax.FanInConcat(axis=0)
    np.testing.assert_array_equal(_np(concat((), [fnp.ones((1, 2)), fnp.zeros((2, 2))])),
                                  np.r_[np.ones((1, 2)), np.zeros((2, 2))])


# ---------------------------------------------------------------------------------------------
# stax: gradients
# ---------------------------------------------------------------------------------------------

GRAD_LAYERS = [
    ("Dense", lambda: stax.Dense(3), (2, 4)),
    ("Conv", lambda: stax.Conv(2, (2, 2), (1, 2), "SAME"), (1, 4, 5, 2)),
    ("ConvTranspose", lambda: stax.ConvTranspose(2, (2, 2), (2, 2), "SAME"), (1, 3, 3, 2)),
    ("BatchNorm", lambda: stax.BatchNorm(axis=(0,)), (5, 3)),
    ("AvgPool", lambda: stax.AvgPool((2, 2), (1, 1), "SAME"), (1, 3, 4, 2)),
    ("MaxPool", lambda: stax.MaxPool((2, 2), (2, 2)), (1, 4, 4, 2)),
    ("mlp", lambda: stax.serial(stax.Dense(4), stax.Tanh, stax.Dense(3), stax.LogSoftmax),
     (2, 3)),
]


@pytest.mark.parametrize("name,make,shape", GRAD_LAYERS, ids=[g[0] for g in GRAD_LAYERS])
def test_layer_gradients(name, make, shape):
    init_fun, apply_fun = make()
    _, params = init_fun(KEY, shape)
    # distinct values, so max pooling has no ties
    x = fnp.asarray(np.random.default_rng(7).permutation(math.prod(shape)).reshape(shape) / 7.0)
    check_grads(lambda p, v: apply_fun(p, v), (_f64(params), x), order=1, modes=("fwd", "rev"))


# ---------------------------------------------------------------------------------------------
# stax: Dropout and rng plumbing
# ---------------------------------------------------------------------------------------------

def test_dropout():
    init_fun, apply_fun = stax.Dropout(0.75)
    assert init_fun(KEY, (200, 100)) == ((200, 100), ())
    x = fnp.ones((200, 100))
    y = _np(apply_fun((), x, rng=KEY))
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y > 0).mean() - 0.75) < 0.02  # rate is the keep probability, as in JAX
    np.testing.assert_array_equal(_np(stax.Dropout(0.5, mode="test")[1]((), x, rng=KEY)), 1.0)
    with pytest.raises(InvalidArgumentError, match="PRNG key"):
        apply_fun((), x)


def test_serial_splits_rng_per_layer():
    init_fun, apply_fun = stax.serial(stax.Dropout(0.5), stax.Dropout(0.5))
    _, params = init_fun(KEY, (50, 40))
    y1 = _np(apply_fun(params, fnp.ones((50, 40)), rng=KEY))
    y2 = _np(apply_fun(params, fnp.ones((50, 40)), rng=KEY))
    np.testing.assert_array_equal(y1, y2)  # deterministic given the key
    assert set(np.unique(y1)) <= {0.0, 4.0}
    assert abs((y1 > 0).mean() - 0.25) < 0.03


# ---------------------------------------------------------------------------------------------
# optimizers against numpy
# ---------------------------------------------------------------------------------------------

def _np_sgd(lr):
    return (lambda x: [x], lambda i, g, s: [s[0] - lr * g])


def _np_momentum(lr, mass):
    def update(i, g, s):
        v = mass * s[1] + g
        return [s[0] - lr * v, v]
    return (lambda x: [x, 0 * x], update)


def _np_nesterov(lr, mass):
    def update(i, g, s):
        v = mass * s[1] + g
        return [s[0] - lr * (mass * v + g), v]
    return (lambda x: [x, 0 * x], update)


def _np_adagrad(lr, mom=0.9):
    def update(i, g, s):
        x, gsq, m = s
        gsq = gsq + g * g
        scaled = np.where(gsq > 0, g / np.sqrt(np.where(gsq > 0, gsq, 1)), 0)
        m = (1 - mom) * scaled + mom * m
        return [x - lr * m, gsq, m]
    return (lambda x: [x, 0 * x, 0 * x], update)


def _np_rmsprop(lr, gamma=0.9, eps=1e-8):
    def update(i, g, s):
        a = gamma * s[1] + (1 - gamma) * g * g
        return [s[0] - lr * g / np.sqrt(a + eps), a]
    return (lambda x: [x, 0 * x], update)


def _np_rmsprop_momentum(lr, gamma=0.9, eps=1e-8, mom=0.9):
    def update(i, g, s):
        a = gamma * s[1] + (1 - gamma) * g * g
        m = mom * s[2] + lr * g / np.sqrt(a + eps)
        return [s[0] - m, a, m]
    return (lambda x: [x, 0 * x, 0 * x], update)


def _np_adam(lr, b1=0.9, b2=0.999, eps=1e-8):
    def update(i, g, s):
        m = b1 * s[1] + (1 - b1) * g
        v = b2 * s[2] + (1 - b2) * g * g
        mhat, vhat = m / (1 - b1 ** (i + 1)), v / (1 - b2 ** (i + 1))
        return [s[0] - lr * mhat / (np.sqrt(vhat) + eps), m, v]
    return (lambda x: [x, 0 * x, 0 * x], update)


def _np_adamax(lr, b1=0.9, b2=0.999, eps=1e-8):
    def update(i, g, s):
        m = b1 * s[1] + (1 - b1) * g
        u = np.maximum(b2 * s[2], np.abs(g))
        return [s[0] - lr / (1 - b1 ** (i + 1)) * m / (u + eps), m, u]
    return (lambda x: [x, 0 * x, 0 * x], update)


def _np_sm3(lr, mom=0.9):
    """SM3 from the paper: per-axis accumulators; an element's accumulator is the minimum of its
    axes' entries plus g^2, each axis' entry the maximum of the accumulators along it."""
    def init(x):
        x = np.atleast_1d(x)
        return [x, 0 * x] + [np.zeros(n) for n in x.shape]

    def update(i, g, s):
        x, m, vs = s[0], s[1], s[2:]
        g = np.reshape(g, x.shape)
        nu = np.full(x.shape, np.inf)
        for axis, v in enumerate(vs):
            shape = [1] * x.ndim
            shape[axis] = -1
            nu = np.minimum(nu, v.reshape(shape))
        nu = nu + g * g
        scaled = np.where(nu > 0, g / np.sqrt(np.where(nu > 0, nu, 1)), 0)
        m = (1 - mom) * scaled + mom * m
        vs = [nu.max(axis=tuple(a for a in range(x.ndim) if a != axis)) for axis in range(x.ndim)]
        return [x - lr * m, m] + vs
    return (init, update)


OPTIMIZERS = [
    ("sgd", lambda: optimizers.sgd(0.1), _np_sgd(0.1)),
    ("momentum", lambda: optimizers.momentum(0.1, 0.8), _np_momentum(0.1, 0.8)),
    ("nesterov", lambda: optimizers.nesterov(0.1, 0.8), _np_nesterov(0.1, 0.8)),
    ("adagrad", lambda: optimizers.adagrad(0.1), _np_adagrad(0.1)),
    ("rmsprop", lambda: optimizers.rmsprop(0.05, gamma=0.8), _np_rmsprop(0.05, 0.8)),
    ("rmsprop_momentum", lambda: optimizers.rmsprop_momentum(0.05, momentum=0.7),
     _np_rmsprop_momentum(0.05, mom=0.7)),
    ("adam", lambda: optimizers.adam(0.05), _np_adam(0.05)),
    ("adam_b", lambda: optimizers.adam(0.05, b1=0.5, b2=0.7, eps=1e-3),
     _np_adam(0.05, 0.5, 0.7, 1e-3)),
    ("adamax", lambda: optimizers.adamax(0.05), _np_adamax(0.05)),
    ("sm3", lambda: optimizers.sm3(0.1, momentum=0.5), _np_sm3(0.1, 0.5)),
]


def _params():
    rng = np.random.default_rng(8)
    return {"w": rng.normal(size=(3, 4)), "b": [rng.normal(size=(4,)), rng.normal(size=(2, 3, 2))]}


def _grads(step):
    rng = np.random.default_rng(100 + step)
    g = {"w": rng.normal(size=(3, 4)), "b": [rng.normal(size=(4,)), rng.normal(size=(2, 3, 2))]}
    g["w"][0, 0] = 0.0 if step == 0 else g["w"][0, 0]  # a zero first gradient (adagrad's where)
    return g


@pytest.mark.parametrize("name,make,ref", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_optimizer_matches_numpy(name, make, ref):
    opt_init, opt_update, get_params = make()
    params = _params()
    state = opt_init(fnx.tree_util.tree_map(fnp.asarray, params))
    ref_init, ref_update = ref
    leaves, treedef = fnx.tree_util.tree_flatten(params)
    ref_states = [ref_init(x) for x in leaves]
    update = fnx.jit(opt_update)
    for step in range(4):
        grads = _grads(step)
        g_tree = fnx.tree_util.tree_map(fnp.asarray, grads)
        eager = opt_update(step, g_tree, state)
        state = update(step, g_tree, state)
        for a, b in zip(fnx.tree_util.tree_leaves(eager), fnx.tree_util.tree_leaves(state)):
            np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12, atol=1e-14)
        g_leaves = fnx.tree_util.tree_leaves(grads)
        ref_states = [ref_update(step, g, s) for g, s in zip(g_leaves, ref_states)]
    got = get_params(state)
    assert fnx.tree_util.tree_structure(got) == treedef
    for x, s in zip(fnx.tree_util.tree_leaves(got), ref_states):
        np.testing.assert_allclose(_np(x), s[0], rtol=1e-10, atol=1e-12)


def test_optimizer_state_is_a_pytree_and_round_trips():
    opt_init, opt_update, get_params = optimizers.adam(0.1)
    params = {"a": fnp.ones((2,)), "b": (fnp.zeros((3,)), fnp.ones(()))}
    state = opt_init(params)
    assert isinstance(state, optimizers.OptimizerState)
    assert len(fnx.tree_util.tree_leaves(state)) == 3 * 3  # (x, m, v) per parameter
    doubled = fnx.tree_util.tree_map(lambda v: 2 * v, state)
    assert isinstance(doubled, optimizers.OptimizerState)
    np.testing.assert_array_equal(_np(get_params(doubled)["a"]), [2.0, 2.0])
    marked = optimizers.unpack_optimizer_state(state)
    assert isinstance(marked["a"], optimizers.JoinPoint)
    packed = optimizers.pack_optimizer_state(marked)
    assert packed.tree_def == state.tree_def and packed.subtree_defs == state.subtree_defs
    for a, b in zip(fnx.tree_util.tree_leaves(packed), fnx.tree_util.tree_leaves(state)):
        np.testing.assert_array_equal(_np(a), _np(b))
    with pytest.raises(InvalidArgumentError, match="JoinPoint"):
        optimizers.pack_optimizer_state({"a": 1.0})


def test_update_with_a_mismatched_gradient_tree_raises():
    opt_init, opt_update, _ = optimizers.sgd(0.1)
    state = opt_init({"a": fnp.ones((2,)), "b": fnp.ones((2,))})
    with pytest.raises(TypeError, match="did not match the parameter tree"):
        opt_update(0, {"a": fnp.ones((2,))}, state)


def test_optimizers_take_schedules():
    opt_init, opt_update, get_params = optimizers.sgd(optimizers.exponential_decay(0.5, 1, 0.5))
    state = opt_init(fnp.asarray(0.0))
    update = fnx.jit(opt_update)
    for i in range(3):
        state = update(i, fnp.asarray(1.0), state)
    np.testing.assert_allclose(_np(get_params(state)), -(0.5 + 0.25 + 0.125), rtol=1e-6)


def test_sm3_on_a_scalar_parameter():
    opt_init, opt_update, get_params = optimizers.sm3(0.1)
    state = opt_update(0, fnp.asarray(2.0), opt_init(fnp.asarray(1.0)))
    # one step: accum = 4, m = 0.1 * 2 / 2, x = 1 - 0.1 * 0.1
    np.testing.assert_allclose(_np(get_params(state)), [0.99], rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# schedules and utilities
# ---------------------------------------------------------------------------------------------

@settings(max_examples=20, deadline=None)
@given(st.integers(0, 200))
def test_schedules(i):
    def close(got, expected):
        np.testing.assert_allclose(float(_np(fnp.asarray(got))), expected, rtol=1e-6)
    close(optimizers.constant(0.3)(i), 0.3)
    close(optimizers.exponential_decay(0.3, 10, 0.5)(i), 0.3 * 0.5 ** (i / 10))
    close(optimizers.inverse_time_decay(0.3, 10, 2.0)(i), 0.3 / (1 + 2.0 * i / 10))
    close(optimizers.inverse_time_decay(0.3, 10, 2.0, staircase=True)(i),
          0.3 / (1 + 2.0 * math.floor(i / 10)))
    close(optimizers.polynomial_decay(1.0, 100, 0.1, power=2.0)(i),
          (1 - min(i, 100) / 100) ** 2 * 0.9 + 0.1)
    values = [1.0, 0.5, 0.1]
    close(optimizers.piecewise_constant([10, 50], values)(i),
          values[0] if i <= 10 else values[1] if i <= 50 else values[2])
    # under jit, with a traced step
    close(fnx.jit(optimizers.piecewise_constant([10, 50], values))(i),
          values[0] if i <= 10 else values[1] if i <= 50 else values[2])


def test_make_schedule_and_errors():
    assert optimizers.make_schedule(0.1)(5) == 0.1
    sched = optimizers.exponential_decay(1.0, 1, 0.5)
    assert optimizers.make_schedule(sched) is sched
    with pytest.raises(TypeError, match="scalar or a schedule"):
        optimizers.make_schedule([0.1, 0.2])
    with pytest.raises(InvalidArgumentError, match="one shorter"):
        optimizers.piecewise_constant([1, 2], [0.1, 0.2])
    with pytest.raises(InvalidArgumentError, match="sequences"):
        optimizers.piecewise_constant(1, [0.1, 0.2])


def test_l2_norm_and_clip_grads():
    tree = {"a": np.array([3.0, 0.0]), "b": [np.array([[4.0]])]}
    ftree = fnx.tree_util.tree_map(fnp.asarray, tree)
    np.testing.assert_allclose(_np(optimizers.l2_norm(ftree)), 5.0)
    clipped = optimizers.clip_grads(ftree, 1.0)
    np.testing.assert_allclose(_np(clipped["a"]), [0.6, 0.0])
    np.testing.assert_allclose(_np(clipped["b"][0]), [[0.8]])
    kept = optimizers.clip_grads(ftree, 10.0)
    np.testing.assert_allclose(_np(kept["a"]), [3.0, 0.0])


# ---------------------------------------------------------------------------------------------
# The acceptance test: JAX's examples/mnist_classifier.py, only the imports changed
# ---------------------------------------------------------------------------------------------

def test_jax_mnist_classifier_ports_by_changing_imports():
    import itertools

    import numpy.random as npr

    import fnx as jax
    from fnx import grad, jit, random
    import fnx.numpy as jnp
    from fnx.example_libraries import optimizers, stax
    from fnx.example_libraries.stax import Dense, LogSoftmax, Relu

    train, test = jax.data.load_digits()  # the bundled 8x8 digits stand in for MNIST
    train_images = np.asarray(train.arrays[0]).reshape(len(train), -1)
    test_images = np.asarray(test.arrays[0]).reshape(len(test), -1)
    train_labels = np.eye(10, dtype=np.float32)[np.asarray(train.arrays[1])]
    test_labels = np.eye(10, dtype=np.float32)[np.asarray(test.arrays[1])]

    # -- from here on, the program as JAX's example writes it --
    def loss(params, batch):
        inputs, targets = batch
        preds = predict(params, inputs)
        return -jnp.mean(jnp.sum(preds * targets, axis=1))

    def accuracy(params, batch):
        inputs, targets = batch
        target_class = jnp.argmax(targets, axis=1)
        predicted_class = jnp.argmax(predict(params, inputs), axis=1)
        return jnp.mean(predicted_class == target_class)

    init_random_params, predict = stax.serial(
        Dense(256), Relu,
        Dense(256), Relu,
        Dense(10), LogSoftmax)

    rng = random.PRNGKey(0)
    step_size = 0.002
    num_epochs = 4
    batch_size = 128

    num_train = train_images.shape[0]
    num_complete_batches, leftover = divmod(num_train, batch_size)
    num_batches = num_complete_batches + bool(leftover)

    def data_stream():
        rng = npr.RandomState(0)
        while True:
            perm = rng.permutation(num_train)
            for i in range(num_batches):
                batch_idx = perm[i * batch_size:(i + 1) * batch_size]
                yield train_images[batch_idx], train_labels[batch_idx]
    batches = data_stream()

    opt_init, opt_update, get_params = optimizers.adam(step_size)

    @jit
    def update(i, opt_state, batch):
        params = get_params(opt_state)
        return opt_update(i, grad(loss)(params, batch), opt_state)

    _, init_params = init_random_params(rng, (-1, 8 * 8))
    opt_state = opt_init(init_params)
    itercount = itertools.count()

    for epoch in range(num_epochs):
        for _ in range(num_batches):
            opt_state = update(next(itercount), opt_state, next(batches))
    params = get_params(opt_state)
    train_acc = accuracy(params, (train_images, train_labels))
    test_acc = accuracy(params, (test_images, test_labels))
    assert float(train_acc) > 0.9
    assert float(test_acc) > 0.9


def test_the_runnable_example_trains():
    import os
    import sys
    examples = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "examples")
    sys.path.insert(0, examples)
    try:
        import stax_mnist_classifier
    finally:
        sys.path.remove(examples)
    assert stax_mnist_classifier.main(num_epochs=2, verbose=False) > 0.9


@pytest.mark.parametrize("name", ["adam", "adamax", "sm3", "rmsprop_momentum"])
def test_float32_state_stays_float32_under_jit_with_a_schedule(name):
    # a float64 step size from a schedule must not promote the carried state (jit would retrace
    # and the state's layout would change between steps)
    opt_init, opt_update, _ = getattr(optimizers, name)(
        optimizers.piecewise_constant([1], [0.1, 0.01]))
    state = opt_init({"a": fnp.ones((2, 3))})
    for i in range(3):
        state = fnx.jit(opt_update)(i, {"a": fnp.ones((2, 3))}, state)
    assert {str(leaf.dtype) for leaf in fnx.tree_util.tree_leaves(state)} == {"float32"}
