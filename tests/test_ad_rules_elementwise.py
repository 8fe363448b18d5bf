"""JVP / transpose rules of fnx/lax/elementwise.py and fnx/lax/reduction.py.

For each primitive and float dtype: ``fnx.jvp`` against central finite differences taken in
float64; ``fnx.vjp`` against ``fnx.jvp`` by the identity <ct, J t> == <J^T ct, t> (with the
cotangents' shapes and dtypes checked); second- and third-order checks for a few; explicit
values at ties, zeros and the other special points.
"""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-3, atol=2e-3), np.float64: dict(rtol=1e-6, atol=1e-8)}


def _arr(x, dtype=None):
    x = np.asarray(x)
    return fnp.asarray(x.astype(dtype) if dtype is not None else x)


def _np(x):
    return np.asarray(x)


def _like(c, a):
    """The constant ``c`` with the dtype of the traced argument ``a`` (finite differences run
    the function in float64)."""
    return _arr(np.asarray(c, np.dtype(a.dtype)))


def _fd_jvp(f, args, tangents, eps=1e-6):
    """Central difference of ``f`` along ``tangents``, evaluated in float64."""
    def at(s):
        xs = [_arr(np.asarray(a, np.float64) + s * np.asarray(t, np.float64))
              if np.issubdtype(np.asarray(a).dtype, np.floating) else _arr(a)
              for a, t in zip(args, tangents)]
        return _np(f(*xs)).astype(np.float64)
    return (at(eps) - at(-eps)) / (2 * eps)


def check_rule(f, args, dtype, rng, fd=True, vjp=True, tol=None, eps=1e-6):
    """jvp vs finite differences, and vjp vs jvp; ``args`` are numpy arrays (float ones are
    cast to ``dtype``, others kept)."""
    tol = tol or TOL[dtype]
    args = [np.asarray(a).astype(dtype) if np.issubdtype(np.asarray(a).dtype, np.floating)
            else np.asarray(a) for a in args]
    is_float = [np.issubdtype(a.dtype, np.floating) for a in args]
    tangents = [rng.standard_normal(a.shape).astype(a.dtype) if fl else np.zeros(a.shape, a.dtype)
                for a, fl in zip(args, is_float)]
    xs = [_arr(a) for a in args]
    out, t_out = fnx.jvp(f, tuple(xs), tuple(_arr(t) for t in tangents))
    assert _np(t_out).shape == _np(out).shape
    assert _np(t_out).dtype == _np(out).dtype
    if fd:
        expected = _fd_jvp(f, args, tangents, eps)
        np.testing.assert_allclose(_np(t_out), expected, **tol)
    if vjp:
        y, pullback = fnx.vjp(f, *xs)
        ct = rng.standard_normal(_np(y).shape).astype(_np(y).dtype)
        cts = pullback(_arr(ct))
        lhs = float(np.sum(ct.astype(np.float64) * _np(t_out).astype(np.float64)))
        rhs = 0.0
        for a, c, t, fl in zip(args, cts, tangents, is_float):
            c = _np(c)
            assert c.shape == a.shape, (c.shape, a.shape)
            assert c.dtype == a.dtype, (c.dtype, a.dtype)
            if fl:
                rhs += float(np.sum(c.astype(np.float64) * t.astype(np.float64)))
        np.testing.assert_allclose(lhs, rhs, rtol=tol["rtol"] * 5, atol=tol["atol"] * 20)


# ---------------------------------------------------------------------------------------------
# Unary
# ---------------------------------------------------------------------------------------------

def _u(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, shape)


def _sym(lo, hi):  # |x| in [lo, hi], either sign
    return lambda rng, shape: rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


UNARY = [
    ("neg", lax.neg, _u(-3, 3)),
    ("exp", lax.exp, _u(-2, 2)),
    ("exp2", lax.exp2, _u(-2, 2)),
    ("log", lax.log, _u(0.3, 4)),
    ("log1p", lax.log1p, _u(-0.5, 3)),
    ("expm1", lax.expm1, _u(-2, 2)),
    ("sin", lax.sin, _u(-3, 3)),
    ("cos", lax.cos, _u(-3, 3)),
    ("tan", lax.tan, _u(-1.2, 1.2)),
    ("asin", lax.asin, _u(-0.9, 0.9)),
    ("acos", lax.acos, _u(-0.9, 0.9)),
    ("atan", lax.atan, _u(-3, 3)),
    ("sinh", lax.sinh, _u(-2, 2)),
    ("cosh", lax.cosh, _u(-2, 2)),
    ("tanh", lax.tanh, _u(-2, 2)),
    ("asinh", lax.asinh, _u(-3, 3)),
    ("acosh", lax.acosh, _u(1.2, 4)),
    ("atanh", lax.atanh, _u(-0.9, 0.9)),
    ("logistic", lax.logistic, _u(-4, 4)),
    ("sqrt", lax.sqrt, _u(0.3, 4)),
    ("rsqrt", lax.rsqrt, _u(0.3, 4)),
    ("cbrt", lax.cbrt, _sym(0.3, 4)),
    ("abs", lax.abs, _sym(0.2, 3)),
    ("erf", lax.erf, _u(-2, 2)),
    ("erf_inv", lax.erf_inv, _u(-0.9, 0.9)),
    ("lgamma", lax.lgamma, _u(0.3, 6)),
    ("lgamma_neg", lax.lgamma, lambda rng, s: -rng.integers(0, 3, s) - rng.uniform(0.2, 0.8, s)),
    ("digamma", lax.digamma, _u(0.3, 20)),
    ("digamma_neg", lax.digamma, lambda rng, s: -rng.integers(0, 3, s) - rng.uniform(0.2, 0.8, s)),
    ("erfc", lax.erfc, _u(-2, 2)),
    ("bessel_i0e", lax.bessel_i0e, _u(-10, 10)),
    ("bessel_i1e", lax.bessel_i1e, _u(-10, 10)),
    ("integer_pow3", lambda x: lax.integer_pow(x, 3), _u(-2, 2)),
    ("integer_pow-2", lambda x: lax.integer_pow(x, -2), _sym(0.5, 2)),
    ("integer_pow1", lambda x: lax.integer_pow(x, 1), _u(-2, 2)),
    ("square", lax.square, _u(-2, 2)),
    ("reciprocal", lax.reciprocal, _sym(0.5, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,fn,sample", UNARY, ids=[u[0] for u in UNARY])
def test_unary(name, fn, sample, dtype):
    rng = np.random.default_rng(0)
    for shape in [(), (2, 3)]:
        check_rule(fn, [sample(rng, shape)], dtype, rng)


@pytest.mark.parametrize("fn", [lax.sign, lax.floor, lax.ceil, lax.round, lax.stop_gradient,
                                lambda x: lax.integer_pow(x, 0)])
def test_unary_zero_tangent(fn):
    x = _arr(np.array([-1.3, 0.4, 2.6], np.float32))
    _, t = fnx.jvp(fn, (x,), (fnp.ones(3),))
    np.testing.assert_array_equal(_np(t), 0)
    assert _np(t).dtype == np.float32
    np.testing.assert_array_equal(_np(fnx.grad(lambda v: lax.reduce_sum(fn(v), (0,)))(x)), 0)


def test_sqrt_at_zero_is_inf():
    _, t = fnx.jvp(lax.sqrt, (_arr(np.float32(0.0)),), (_arr(np.float32(1.0)),))
    assert np.isinf(_np(t)) and _np(t) > 0
    assert np.isinf(_np(fnx.grad(lax.sqrt)(0.0)))


@pytest.mark.parametrize("x", [-30.0, 0.0, 30.0])
def test_stable_gradients(x):
    # logistic, tanh: saturate to 0 without NaN; log1p / expm1 accurate near 0
    for f in (lax.logistic, lax.tanh):
        g = _np(fnx.grad(f)(x))
        assert np.isfinite(g) and g >= 0
    np.testing.assert_allclose(_np(fnx.grad(lax.log1p)(np.float64(1e-12))), 1 / (1 + 1e-12))
    np.testing.assert_allclose(_np(fnx.grad(lax.expm1)(np.float64(1e-12))), np.exp(1e-12))


def test_trigamma_values():
    # d digamma = polygamma(1, x): pi^2/6 at 1, pi^2/2 at 1/2, pi^2/2 + 4 at -1/2 (known values)
    xs = np.array([1.0, 0.5, -0.5, 10.0, 1e-3])
    got = np.array([_np(fnx.grad(lax.digamma)(np.float64(v))) for v in xs])
    trigamma_10 = 0.10516633568168575  # polygamma(1, 10)
    expected = [np.pi ** 2 / 6, np.pi ** 2 / 2, np.pi ** 2 / 2 + 4, trigamma_10,
                1e6 + np.pi ** 2 / 6 - 2 * 1.2020569031595942e-3]
    np.testing.assert_allclose(got, expected, rtol=1e-11)


@pytest.mark.parametrize("dtype", DTYPES)
def test_convert_element_type(dtype):
    rng = np.random.default_rng(1)
    other = np.float64 if dtype == np.float32 else np.float32
    x = rng.standard_normal((2, 3))
    # linear, so a large step is exact (the float32 output limits a small one)
    check_rule(lambda v: lax.convert_element_type(v, other), [x], dtype, rng,
               tol=TOL[np.float32], eps=1e-2)
    check_rule(lambda v: lax.convert_element_type(v, dtype), [x], dtype, rng, eps=1e-2)
    # to an integer: zero tangent; the cotangent of the float input is a float zero
    y, pullback = fnx.vjp(lambda v: lax.convert_element_type(
        lax.convert_element_type(v, np.int32), dtype), _arr(x.astype(dtype)))
    (c,) = pullback(fnp.ones((2, 3), dtype))
    assert _np(c).dtype == dtype
    np.testing.assert_array_equal(_np(c), 0)


# ---------------------------------------------------------------------------------------------
# Binary
# ---------------------------------------------------------------------------------------------

def _rem_args(rng, sx, sy):
    shape = sx if sx != () else sy
    y = rng.uniform(0.5, 2, sy) * rng.choice([-1.0, 1.0], sy)
    q = rng.integers(-3, 4, shape) + rng.uniform(0.2, 0.8, shape)
    x = np.broadcast_to(y, shape) * q
    if sx == ():
        x = np.asarray(x).reshape(-1)[0]
        x = np.asarray(x)
    return x, y


BINARY = [
    ("add", lax.add, lambda r, sx, sy: (r.standard_normal(sx), r.standard_normal(sy))),
    ("sub", lax.sub, lambda r, sx, sy: (r.standard_normal(sx), r.standard_normal(sy))),
    ("mul", lax.mul, lambda r, sx, sy: (r.standard_normal(sx), r.standard_normal(sy))),
    ("div", lax.div, lambda r, sx, sy: (r.standard_normal(sx), _sym(0.5, 2)(r, sy))),
    ("rem", lax.rem, _rem_args),
    ("pow", lax.pow, lambda r, sx, sy: (r.uniform(0.3, 2.5, sx), r.uniform(-2, 2, sy))),
    ("max", lax.max, lambda r, sx, sy: (r.standard_normal(sx), r.standard_normal(sy))),
    ("min", lax.min, lambda r, sx, sy: (r.standard_normal(sx), r.standard_normal(sy))),
    ("atan2", lax.atan2, lambda r, sx, sy: (r.standard_normal(sx), r.standard_normal(sy))),
]
SHAPES = [((2, 3), (2, 3)), ((), (2, 3)), ((2, 3), ()), ((), ())]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,fn,sample", BINARY, ids=[b[0] for b in BINARY])
def test_binary(name, fn, sample, dtype):
    rng = np.random.default_rng(2)
    for sx, sy in SHAPES:
        x, y = sample(rng, sx, sy)
        check_rule(fn, [x, y], dtype, rng)
        # differentiating one operand only (the other is a closed-over constant)
        check_rule(lambda a: fn(a, _like(y, a)), [x], dtype, rng)
        check_rule(lambda b: fn(_like(x, b), b), [y], dtype, rng)


@pytest.mark.parametrize("fn", [lax.max, lax.min])
def test_max_min_ties_split_evenly(fn):
    x = _arr(np.array([1.0, 2.0, 3.0], np.float32))
    y = _arr(np.array([1.0, 0.0, 5.0], np.float32))
    gx, gy = fnx.grad(lambda a, b: lax.reduce_sum(fn(a, b), (0,)), argnums=(0, 1))(x, y)
    first = [0.5, 1, 0] if fn is lax.max else [0.5, 0, 1]
    np.testing.assert_array_equal(_np(gx), first)
    np.testing.assert_array_equal(_np(gy), 1 - np.array(first))
    # a scalar operand collects the tangent of every position it wins
    gs = fnx.grad(lambda s: lax.reduce_sum(fn(x, s), (0,)))(np.float32(2.0))
    assert float(gs) == 1.5  # one win + half a tie, for max and for min


def test_pow_special_points():
    g = fnx.grad(lambda x, y: lax.pow(x, y), argnums=(0, 1))
    # x = 0: d/dy is 0 (not NaN); y = 0: d/dx is 0 even at x = 0
    gx, gy = g(0.0, 2.0)
    assert float(gx) == 0.0 and float(gy) == 0.0
    gx, gy = g(0.0, 0.0)
    assert float(gx) == 0.0 and float(gy) == 0.0
    gx, gy = g(3.0, 0.0)
    assert float(gx) == 0.0
    np.testing.assert_allclose(float(gy), np.log(3.0), rtol=1e-6)
    # and the second derivative stays finite at y == 0
    assert np.isfinite(float(fnx.grad(fnx.grad(lambda x: lax.pow(x, 0.0)))(0.0)))


def test_integer_dtypes_have_no_tangent():
    xi = _arr(np.array([1, 2, 3], np.int32))
    f = lambda x: lax.mul(lax.convert_element_type(lax.add(xi, xi), np.float32), x)  # noqa
    np.testing.assert_array_equal(_np(fnx.grad(lambda x: lax.reduce_sum(f(x), (0,)))(
        fnp.ones(3))), [2, 4, 6])


@pytest.mark.parametrize("fn", [lax.eq, lax.lt, lax.ge, lax.nextafter])
def test_comparisons_zero(fn):
    x = _arr(np.array([1.0, 2.0], np.float32))
    _, t = fnx.jvp(lambda a: fn(a, a), (x,), (fnp.ones(2),))
    assert not np.any(_np(t))


# ---------------------------------------------------------------------------------------------
# select_n and clamp
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_select_n(dtype):
    rng = np.random.default_rng(3)
    a, b, c = (rng.standard_normal((2, 3)) for _ in range(3))
    pred = _arr(rng.random((2, 3)) > 0.5)
    which = _arr(rng.integers(-1, 4, (2, 3)).astype(np.int32))  # out of range clamps
    check_rule(lambda x, y: lax.select_n(pred, x, y), [a, b], dtype, rng)
    check_rule(lambda x, y, z: lax.select_n(which, x, y, z), [a, b, c], dtype, rng)
    check_rule(lambda x, y: lax.select_n(_arr(np.bool_(True)), x, y), [a, b], dtype, rng)
    check_rule(lambda x, y: lax.select_n(_arr(np.int32(5)), x, y), [a, b], dtype, rng)
    # only one case differentiated
    check_rule(lambda x: lax.select_n(which, x, _like(b, x), x), [a], dtype, rng)


@pytest.mark.parametrize("dtype", DTYPES)
def test_clamp(dtype):
    rng = np.random.default_rng(4)
    x = rng.uniform(-3, 3, (3, 4))
    lo = rng.uniform(-2, -0.5, (3, 4))
    hi = rng.uniform(0.5, 2, (3, 4))
    x[np.abs(x - lo) < 0.05] += 0.1  # keep finite differences off the kinks
    x[np.abs(x - hi) < 0.05] += 0.1
    check_rule(lax.clamp, [lo, x, hi], dtype, rng)
    check_rule(lax.clamp, [np.array(-1.0), x, np.array(1.5)], dtype, rng)
    check_rule(lambda v: lax.clamp(-1.0, v, 1.5), [x], dtype, rng)


def test_clamp_jax_convention():
    g = fnx.grad(lambda lo, x, hi: lax.clamp(lo, x, hi), argnums=(0, 1, 2))
    assert [float(v) for v in g(0.0, 0.5, 1.0)] == [0, 1, 0]
    assert [float(v) for v in g(0.0, -1.0, 1.0)] == [1, 0, 0]
    assert [float(v) for v in g(0.0, 2.0, 1.0)] == [0, 0, 1]
    assert [float(v) for v in g(0.0, 0.0, 1.0)] == [0, 0, 0]  # ties: nobody (JAX)
    assert [float(v) for v in g(2.0, 0.5, 1.0)] == [0, 0, 1]  # lo > hi: the result is hi


# ---------------------------------------------------------------------------------------------
# Reductions, cumulative ops, sort
# ---------------------------------------------------------------------------------------------

REDUCE_AXES = [((3, 4), (0,)), ((3, 4), (1,)), ((3, 4), (0, 1)), ((2, 3, 4), (0, 2)),
               ((5,), (0,))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["reduce_sum", "reduce_prod", "reduce_max", "reduce_min"])
def test_reductions(name, dtype):
    rng = np.random.default_rng(5)
    fn = getattr(lax, name)
    for shape, axes in REDUCE_AXES:
        x = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
        check_rule(lambda v: fn(v, axes), [x], dtype, rng)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reduce_prod_with_zeros(dtype):
    rng = np.random.default_rng(6)
    for zeros in ([(1,)], [(1,), (3,)]):
        x = rng.uniform(0.5, 1.5, (2, 5))
        for (j,) in zeros:
            x[:, j] = 0.0
        check_rule(lambda v: lax.reduce_prod(v, (1,)), [x], dtype, rng)
    x = _arr(np.array([2.0, 0.0, 3.0, 4.0]))
    np.testing.assert_array_equal(_np(fnx.grad(lambda v: lax.reduce_prod(v, (0,)))(x)),
                                  [0, 24, 0, 0])
    # the Hessian is right at a zero too: d2/dx1 dx0 = x2 * x3
    h = _np(fnx.jacfwd(fnx.grad(lambda v: lax.reduce_prod(v, (0,))))(x))
    np.testing.assert_allclose(h[1], [12, 0, 8, 6])
    np.testing.assert_allclose(h, h.T)


def test_reduce_max_ties_split_evenly():
    x = _arr(np.array([[1.0, 3.0, 3.0, 3.0], [2.0, 5.0, 5.0, 0.0]], np.float32))
    g = _np(fnx.grad(lambda v: lax.reduce_sum(lax.reduce_max(v, (1,)), (0,)))(x))
    np.testing.assert_allclose(g, [[0, 1 / 3, 1 / 3, 1 / 3], [0, 0.5, 0.5, 0]])
    g = _np(fnx.grad(lambda v: lax.reduce_min(v, (0, 1)))(_arr(np.array([[1.0, 2.0], [1.0, 4.0]]))))
    np.testing.assert_allclose(g, [[0.5, 0], [0.5, 0]])


def test_zero_tangent_reductions():
    x = _arr(np.array([[1.0, 3.0], [2.0, 0.0]], np.float32))
    for fn in (lambda v: lax.convert_element_type(lax.argmax(v, 1), np.float32),
               lambda v: lax.convert_element_type(lax.argmin(v, 0), np.float32)):
        _, t = fnx.jvp(fn, (x,), (fnp.ones((2, 2)),))
        assert not np.any(_np(t))


CUMULATIVE = ["cumsum", "cumprod", "cummax", "cummin"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CUMULATIVE)
def test_cumulative(name, dtype):
    rng = np.random.default_rng(7)
    fn = getattr(lax, name)
    for shape, axis in [((5,), 0), ((3, 4), 1), ((4, 3), 0), ((2, 7, 3), 1), ((1,), 0)]:
        for reverse in (False, True):
            x = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
            check_rule(lambda v: fn(v, axis, reverse), [x], dtype, rng)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cumprod_with_zeros(dtype):
    rng = np.random.default_rng(8)
    x = rng.uniform(0.5, 1.5, (2, 6))
    x[0, 2] = 0.0
    x[1, 1] = x[1, 4] = 0.0
    for reverse in (False, True):
        check_rule(lambda v: lax.cumprod(v, 1, reverse), [x], dtype, rng)


def test_cummax_follows_running_max():
    x = _arr(np.array([1.0, 0.0, 2.0, -1.0, 3.0]))
    j = _np(fnx.jacrev(lambda v: lax.cummax(v, 0))(x))
    np.testing.assert_array_equal(j, [[1, 0, 0, 0, 0], [1, 0, 0, 0, 0], [0, 0, 1, 0, 0],
                                      [0, 0, 1, 0, 0], [0, 0, 0, 0, 1]])
    j = _np(fnx.jacfwd(lambda v: lax.cummin(v, 0, reverse=True))(x))
    np.testing.assert_array_equal(j, [[0, 0, 0, 1, 0]] * 4 + [[0, 0, 0, 0, 1]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sort(dtype):
    rng = np.random.default_rng(9)
    for shape, dim in [((6,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), 1)]:
        x = rng.permutation(np.arange(np.prod(shape))).reshape(shape) * 0.37 + 0.1
        check_rule(lambda v: lax.sort(v, dim), [x], dtype, rng)
        v = rng.standard_normal(shape)
        check_rule(lambda k, w: lax.sort((k, w), dim, num_keys=1)[1], [x, v], dtype, rng)
        check_rule(lambda k, w: lax.sort((k, w), dim, num_keys=1)[0], [x, v], dtype, rng)
    # integer keys, float values
    keys = _arr(np.array([3, 1, 2], np.int32))
    g = fnx.grad(lambda w: lax.reduce_sum(lax.mul(lax.sort((keys, w), 0)[1],
                                                   _arr(np.array([1.0, 10.0, 100.0]))), (0,)))
    np.testing.assert_array_equal(_np(g(_arr(np.array([7.0, 8.0, 9.0])))), [100, 1, 10])


# ---------------------------------------------------------------------------------------------
# Higher order
# ---------------------------------------------------------------------------------------------

def _check_hvp(f, x, rng, rtol=1e-6, atol=1e-8, h=1e-5):
    """Hessian-vector products fwd-over-rev and rev-over-rev against differences of grad."""
    x = np.asarray(x, np.float64)
    v = rng.standard_normal(x.shape)
    g = fnx.grad(f)
    expected = (_np(g(_arr(x + h * v))) - _np(g(_arr(x - h * v)))) / (2 * h)
    _, hv = fnx.jvp(g, (_arr(x),), (_arr(v),))
    np.testing.assert_allclose(_np(hv), expected, rtol=rtol, atol=atol)
    hv2 = fnx.grad(lambda y: lax.reduce_sum(lax.mul(g(y), _arr(v)), tuple(range(x.ndim))))(
        _arr(x))
    np.testing.assert_allclose(_np(hv2), expected, rtol=rtol, atol=atol)


def _total(y):
    return lax.reduce_sum(y, tuple(range(y.ndim))) if y.ndim else y


SECOND_ORDER = [
    ("tanh", lambda x: _total(lax.tanh(x)), _u(-2, 2)),
    ("exp", lambda x: _total(lax.exp(x)), _u(-1, 1)),
    ("logistic", lambda x: _total(lax.logistic(x)), _u(-3, 3)),
    ("mul", lambda x: _total(lax.mul(x, lax.sin(x))), _u(-2, 2)),
    ("div", lambda x: _total(lax.div(lax.cos(x), lax.add(x, 3.0))), _u(-2, 2)),
    ("pow", lambda x: _total(lax.pow(lax.add(x, 2.5), lax.sin(x))), _u(-2, 2)),
    ("pow_scalar", lambda x: _total(lax.pow(x, 2.5)), _u(0.5, 2)),
    ("max", lambda x: _total(lax.max(lax.sin(x), lax.mul(x, x))), _u(-1, 1)),
    ("reduce_max", lambda x: lax.reduce_max(lax.mul(x, lax.cos(x)), (0,)), _u(-1, 1)),
    ("reduce_prod", lambda x: lax.reduce_prod(x, (0,)), _u(0.5, 2)),
    ("cumprod", lambda x: _total(lax.cumprod(lax.sin(x), 0)), _u(-2, 2)),
    ("cummax", lambda x: _total(lax.mul(lax.cummax(x, 0), x)), _u(-2, 2)),
    ("lgamma", lambda x: _total(lax.lgamma(x)), _u(0.5, 4)),
    ("atan2", lambda x: _total(lax.atan2(x, lax.add(lax.mul(x, x), 1.0))), _u(-2, 2)),
    ("clamp_sqrt", lambda x: _total(lax.sqrt(lax.clamp(0.1, lax.exp(x), 3.0))), _u(-1, 1)),
]


@pytest.mark.parametrize("name,f,sample", SECOND_ORDER, ids=[s[0] for s in SECOND_ORDER])
def test_second_order(name, f, sample):
    rng = np.random.default_rng(10)
    _check_hvp(f, sample(rng, (5,)), rng)


def test_third_order_tanh():
    t = np.tanh(0.5)
    d3 = (1 - t * t) * (6 * t * t - 2)
    np.testing.assert_allclose(float(fnx.grad(fnx.grad(fnx.grad(lax.tanh)))(np.float64(0.5))),
                               d3, rtol=1e-12)
    d3_logistic = fnx.grad(fnx.grad(fnx.grad(lax.logistic)))(np.float64(0.3))
    s = 1 / (1 + np.exp(-0.3))
    np.testing.assert_allclose(float(d3_logistic), s * (1 - s) * (1 - 6 * s + 6 * s * s),
                               rtol=1e-12)
