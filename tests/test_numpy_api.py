"""fnx.numpy against numpy: elementwise functions, reductions, creation, manipulation,
products and einsum (indexing and promotion live in test_numpy_indexing / test_numpy_promotion).
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx.errors import ConcretizationTypeError, DTypeError, ShapeError
from fnx.interpreters.partial_eval import make_jaxpr
from spec_numpy import ref_floor_divide  # noqa: E402  (the array API rule at infinities)

F32 = np.float32
RNG = np.random.default_rng(0)


def rand(shape, dtype=np.float32, lo=-3, hi=3):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return RNG.random(shape) > 0.5
    if dtype.kind in "iu":
        lo = max(lo, np.iinfo(dtype).min)
        return RNG.integers(lo, hi, size=shape).astype(dtype)
    return RNG.uniform(lo, hi, size=shape).astype(dtype)


def check(got, want, rtol=1e-5, atol=1e-6, dtype=True):
    got_np = np.asarray(got)
    want = np.asarray(want)
    assert got_np.shape == want.shape, (got_np.shape, want.shape)
    if dtype:
        assert got_np.dtype == want.dtype, (got_np.dtype, want.dtype)
    if want.dtype.kind == "f" or got_np.dtype.kind == "f":
        np.testing.assert_allclose(got_np.astype(np.float64), want.astype(np.float64),
                                   rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got_np, want)


def f32_like(np_result, inputs_int):
    """numpy gives float64 for int inputs of float functions; fnx (like jnp) gives float32."""
    r = np.asarray(np_result)
    return r.astype(np.float32) if r.dtype == np.float64 and inputs_int else r


# ---------------------------------------------------------------------------------------------
# elementwise
# ---------------------------------------------------------------------------------------------

UNARY_FLOAT = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "cbrt", "sin",
               "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh",
               "arccosh", "arctanh", "deg2rad", "rad2deg", "degrees", "radians", "fabs",
               "reciprocal", "sinc"]
UNARY_SAME = ["negative", "positive", "absolute", "abs", "sign", "floor", "ceil", "trunc",
              "rint", "fix", "square", "isnan", "isinf", "isfinite", "isposinf", "isneginf",
              "signbit", "logical_not"]

SPECIAL = np.array([0.0, -0.0, 1.5, -2.5, 0.5, np.nan, np.inf, -np.inf, 2.0, 1e-8],
                   dtype=np.float32)


@pytest.mark.parametrize("name", UNARY_FLOAT)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_unary_float(name, dtype):
    x = rand((3, 4), dtype, -1, 1) if name in ("arcsin", "arccos", "arctanh") else \
        rand((3, 4), dtype, 1, 3) if name == "arccosh" else \
        rand((3, 4), dtype, 0.1, 3) if name.startswith("log") or name == "sqrt" else \
        rand((3, 4), dtype)
    if dtype == np.int32 and name == "reciprocal":
        x = x + (x == 0)
    with np.errstate(all="ignore"):
        want = getattr(np, name)(x) if name != "sinc" else np.sinc(x)
    if name == "reciprocal" and dtype == np.int32:
        want = 1.0 / x
    want = f32_like(want, dtype == np.int32)
    tol = 2e-6 if np.dtype(dtype) != np.float64 else 1e-12
    check(getattr(fnp, name)(fnp.asarray(x)), want, rtol=tol * 5, atol=tol)


@pytest.mark.parametrize("name", UNARY_FLOAT + UNARY_SAME)
def test_unary_special_values(name):
    with np.errstate(all="ignore"):
        want = getattr(np, name)(SPECIAL)
    got = getattr(fnp, name)(fnp.asarray(SPECIAL))
    check(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", UNARY_SAME)
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.int8, np.float64])
def test_unary_same_dtype(name, dtype):
    if name == "logical_not" or name.startswith("is") or name == "signbit":
        pass
    x = rand((5,), dtype)
    got = getattr(fnp, name)(fnp.asarray(x))
    want = getattr(np, name)(x)
    if name == "rint" and np.dtype(dtype).kind in "iu":
        want = want.astype(F32)  # jnp.rint: integers give the default float
    check(got, want)


BINARY = ["add", "subtract", "multiply", "maximum", "minimum", "fmax", "fmin", "equal",
          "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
          "logical_or", "logical_xor", "floor_divide", "remainder", "mod", "fmod", "power",
          "true_divide", "divide", "arctan2", "hypot", "copysign", "logaddexp", "logaddexp2",
          "heaviside", "nextafter"]
FLOAT_RESULT = {"true_divide", "divide", "arctan2", "hypot", "copysign", "logaddexp",
                "logaddexp2", "heaviside", "nextafter"}


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_binary(name, dtype):
    x = rand((3, 1, 4), dtype, -5, 6)
    y = rand((2, 4), dtype, -5, 6)
    if np.dtype(dtype).kind in "iu" and name == "power":
        y = np.abs(y) % 4
    if np.dtype(dtype).kind in "iu" and name in ("nextafter",):
        return
    if np.dtype(dtype).kind == "f" and name in ("floor_divide", "remainder", "mod", "fmod"):
        y = np.where(y == 0, 1.5, y).astype(dtype)
    with np.errstate(all="ignore"):
        want = getattr(np, name)(x, y)
    want = f32_like(want, np.dtype(dtype).kind in "iu" and name in FLOAT_RESULT)
    got = getattr(fnp, name)(fnp.asarray(x), fnp.asarray(y))
    check(got, want, rtol=1e-5 if np.dtype(dtype) != np.float64 else 1e-12, atol=1e-6)


@pytest.mark.parametrize("name", ["floor_divide", "remainder", "fmod", "divmod"])
@pytest.mark.parametrize("dtype", [np.int32, np.int8, np.uint8, np.float32, np.float64])
def test_division_semantics(name, dtype):
    vals = [-7, -3, -1, 0, 1, 3, 7] if np.dtype(dtype).kind != "u" else [0, 1, 3, 7, 200]
    if np.dtype(dtype).kind == "f":
        vals = vals + [-0.5, 2.5, np.inf, -np.inf, np.nan]
    a = np.array([[v] for v in vals], dtype=dtype)
    b = np.array([vals], dtype=dtype)
    with np.errstate(all="ignore"):
        want = getattr(np, name)(a, b)
        if name in ("floor_divide", "divmod"):  # the array API standard's rule at infinities
            q = ref_floor_divide(a, b)
            want = (q, want[1]) if name == "divmod" else q
    got = getattr(fnp, name)(fnp.asarray(a), fnp.asarray(b))
    if name == "divmod":
        for g, w in zip(got, want):
            check(g, w)
    else:
        check(got, want)


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor", "left_shift",
                                  "right_shift"])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.int8])
def test_bitwise(name, dtype):
    x = rand((6,), dtype, -100, 100)
    y = rand((6,), dtype, 0, 7) if "shift" in name else rand((6,), dtype, -100, 100)
    check(getattr(fnp, name)(fnp.asarray(x), fnp.asarray(y)), getattr(np, name)(x, y))
    check(fnp.invert(fnp.asarray(x)), np.invert(x))
    b = rand((6,), np.bool_)
    if "shift" not in name:
        check(getattr(fnp, name)(fnp.asarray(b), fnp.asarray(b[::-1])),
              getattr(np, name)(b, b[::-1]))


def test_bool_arithmetic():
    a, b = rand((5,), np.bool_), rand((5,), np.bool_)
    check(fnp.add(fnp.asarray(a), fnp.asarray(b)), np.add(a, b))
    check(fnp.multiply(fnp.asarray(a), fnp.asarray(b)), np.multiply(a, b))
    check(fnp.asarray(a) + fnp.asarray(b), a | b)


def test_round_clip_where_nan_to_num():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 1.2345, -3.14159, np.nan], F32)
    for d in (0, 1, 2, -1):
        check(fnp.round(fnp.asarray(x), d), np.round(x, d))
    check(fnp.around(fnp.asarray(x)), np.around(x))
    check(fnp.round(fnp.asarray(np.array([15, 25, -35], np.int32)), -1),
          np.round(np.array([15, 25, -35], np.int32), -1))
    y = rand((4, 5))
    check(fnp.clip(fnp.asarray(y), -1, 1), np.clip(y, -1, 1))
    check(fnp.clip(fnp.asarray(y), min=0.5), np.clip(y, 0.5, None))
    check(fnp.clip(fnp.asarray(y), a_max=0.5), np.clip(y, None, 0.5))
    check(fnp.asarray(y).clip(-1, 1), y.clip(-1, 1))
    c = y > 0
    check(fnp.where(fnp.asarray(c), fnp.asarray(y), 0.0), np.where(c, y, F32(0)))
    check(fnp.where(fnp.asarray(c), 1, 2), np.where(c, 1, 2).astype(np.int32))
    check(fnp.where(fnp.asarray(y[0]) > 0, fnp.asarray(y), -fnp.asarray(y)),
          np.where(y[0] > 0, y, -y))
    for got, want in zip(fnp.where(fnp.asarray(c)), np.where(c)):
        check(got, want.astype(np.int32))
    z = np.array([np.nan, np.inf, -np.inf, 1.0], F32)
    check(fnp.nan_to_num(fnp.asarray(z)), np.nan_to_num(z))
    check(fnp.nan_to_num(fnp.asarray(z), nan=1.0, posinf=2.0, neginf=-2.0),
          np.nan_to_num(z, nan=1.0, posinf=2.0, neginf=-2.0))


def test_isclose_allclose_array_equal():
    a = np.array([1.0, np.nan, np.inf, -np.inf, 1e-9, 2.0], F32)
    b = np.array([1.0 + 1e-7, np.nan, np.inf, np.inf, 0.0, 2.1], F32)
    check(fnp.isclose(fnp.asarray(a), fnp.asarray(b)), np.isclose(a, b))
    check(fnp.isclose(fnp.asarray(a), fnp.asarray(b), equal_nan=True),
          np.isclose(a, b, equal_nan=True))
    assert bool(fnp.allclose(fnp.asarray(a[:1]), fnp.asarray(b[:1])))
    assert not bool(fnp.allclose(fnp.asarray(a), fnp.asarray(b)))
    assert bool(fnp.array_equal(fnp.asarray(a[:1]), fnp.asarray(a[:1])))
    assert not bool(fnp.array_equal(fnp.asarray(a), fnp.asarray(a)))
    assert bool(fnp.array_equal(fnp.asarray(a), fnp.asarray(a), equal_nan=True))
    assert not bool(fnp.array_equal(fnp.ones(3), fnp.ones(4)))


@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
                  elements=st.floats(width=32, allow_nan=True, allow_infinity=True)),
       st.sampled_from(["add", "subtract", "multiply", "maximum", "minimum", "less", "equal"]))
def test_binary_hypothesis_broadcast_and_transposed(x, name):
    y = x.T  # a non-contiguous view of a broadcast-compatible (reversed) shape
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        with pytest.raises(ShapeError, match=name):
            getattr(fnp, name)(fnp.asarray(x), fnp.asarray(x).T)
        return
    with np.errstate(all="ignore"):
        want = getattr(np, name)(x, y)
    check(getattr(fnp, name)(fnp.asarray(x), fnp.asarray(x).T), want)


def test_shape_and_dtype_errors():
    with pytest.raises(ShapeError, match=r"add: operands could not be broadcast together with "
                                         r"shapes \(3,\) \(4,\)"):
        fnp.add(fnp.ones(3), fnp.ones(4))
    with pytest.raises(ShapeError):
        fnp.ones(3) + fnp.ones(4)
    with pytest.raises(DTypeError, match="add"):
        fnp.add(np.ones(3, np.clongdouble), 1)
    with pytest.raises(DTypeError, match="sin"):
        fnp.sin(np.ones(3, np.float16))
    with pytest.raises(DTypeError):
        fnp.add(np.array(["a"]), 1)
    with pytest.raises(DTypeError, match="matmul"):
        fnp.matmul(fnp.ones(3, bool), fnp.ones(3, bool))
    with pytest.raises(DTypeError, match="bitwise_and"):
        fnp.bitwise_and(fnp.ones(3), fnp.ones(3))
    with pytest.raises(TypeError):
        fnp.ones(3) + [1, 2, 3]
    with pytest.raises(TypeError):
        fnp.ones(3) + "a"
    assert fnp.ones(3).__add__([1.0]) is NotImplemented


# ---------------------------------------------------------------------------------------------
# reductions
# ---------------------------------------------------------------------------------------------

RED_AXES = [None, 0, 1, -1, (0, 2), (), (0, 1, 2)]


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "amax", "amin", "mean", "all",
                                  "any", "ptp"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int8, np.bool_])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(name, dtype, keepdims):
    if name in ("ptp",) and dtype == np.bool_:
        return
    x = rand((3, 4, 2), dtype, -3, 4)
    for axis in RED_AXES:
        want = getattr(np, name)(x, axis=axis, keepdims=keepdims)
        if name in ("sum", "prod") and np.dtype(dtype).kind in "biu":
            want = want.astype(np.int32)
        if name == "mean" and np.dtype(dtype).kind in "biu":
            want = want.astype(np.float32)
        got = getattr(fnp, name)(fnp.asarray(x), axis=axis, keepdims=keepdims)
        check(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("ddof", [0, 1])
def test_var_std(name, ddof):
    x = rand((4, 5), np.float32)
    for axis in (None, 0, 1, (0, 1)):
        check(getattr(fnp, name)(fnp.asarray(x), axis=axis, ddof=ddof),
              getattr(np, name)(x, axis=axis, ddof=ddof), rtol=1e-5, atol=1e-6)
    xi = rand((6,), np.int32)
    check(getattr(fnp, name)(fnp.asarray(xi)), getattr(np, name)(xi).astype(np.float32))


def test_reduction_extras():
    x = rand((3, 4), np.float32)
    xf = fnp.asarray(x)
    check(fnp.sum(xf, axis=1, initial=10.0), np.sum(x, axis=1, initial=10.0))
    check(fnp.max(xf, axis=0, initial=2.0), np.max(x, axis=0, initial=2.0))
    w = x > 0
    check(fnp.sum(xf, where=fnp.asarray(w)), np.sum(x, where=w))
    check(fnp.mean(xf, axis=0, where=fnp.asarray(w)), np.mean(x, axis=0, where=w), atol=1e-5)
    check(fnp.sum(xf, dtype=fnp.float64), np.sum(x, dtype=np.float64), rtol=1e-6)
    check(fnp.sum(fnp.asarray(np.arange(5, dtype=np.int64))), np.int64(10))
    with pytest.raises(ValueError):
        fnp.max(fnp.zeros((0, 3)), axis=0)
    check(fnp.max(fnp.zeros((0, 3)), axis=0, initial=-1.0), np.full(3, -1.0, F32))
    check(fnp.sum(fnp.zeros((0, 3))), np.float32(0))
    check(fnp.all(fnp.zeros((0,), bool)), np.True_)
    check(fnp.count_nonzero(fnp.asarray(x > 0)), np.int32(np.count_nonzero(x > 0)))
    check(fnp.count_nonzero(fnp.asarray(x), axis=0), np.count_nonzero(x, axis=0).astype(np.int32))
    # method spellings
    check(xf.sum(0), x.sum(0))
    check(xf.mean(axis=1, keepdims=True), x.mean(axis=1, keepdims=True))
    check(xf.max(), x.max())
    check(xf.argmax(), np.int32(x.argmax()))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argreductions(name):
    x = rand((3, 4, 5), np.float32)
    x[1, 2, 3] = np.nan
    for axis in (None, 0, 1, -1):
        for keepdims in (False, True):
            want = getattr(np, name)(x, axis=axis, keepdims=keepdims).astype(np.int32)
            check(getattr(fnp, name)(fnp.asarray(x), axis=axis, keepdims=keepdims), want)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.bool_, np.int8, np.int64])
def test_cumulative(name, dtype):
    x = rand((3, 4), dtype, -2, 3)
    for axis in (None, 0, 1, -1):
        want = getattr(np, name)(x, axis=axis)
        if np.dtype(dtype).kind in "biu" and dtype != np.int64:
            want = want.astype(np.int32)
        check(getattr(fnp, name)(fnp.asarray(x), axis=axis), want, rtol=1e-5)


def test_nan_reductions():
    x = rand((4, 5), np.float32)
    x[0, 1] = x[2, 3] = np.nan
    x[3, :] = np.nan
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        for axis in (None, 0, 1):
            check(fnp.nansum(fnp.asarray(x), axis=axis), np.nansum(x, axis=axis), atol=1e-5)
            check(fnp.nanmax(fnp.asarray(x), axis=axis), np.nanmax(x, axis=axis))
            check(fnp.nanmin(fnp.asarray(x), axis=axis), np.nanmin(x, axis=axis))
            check(fnp.nanmean(fnp.asarray(x), axis=axis), np.nanmean(x, axis=axis), atol=1e-5)


def test_logsumexp():
    x = rand((3, 4), np.float32) * 100
    for axis in (None, 0, 1):
        want = np.log(np.sum(np.exp(x.astype(np.float64) - x.max())
                             , axis=axis)) + x.max()
        got = fnp.logsumexp(fnp.asarray(x), axis=axis)
        if axis is None:
            check(got, np.float32(want), rtol=1e-5)
        m = x.max(axis=axis, keepdims=True).astype(np.float64)
        want = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
        check(fnp.logsumexp(fnp.asarray(x), axis=axis, keepdims=True), want.astype(F32),
              rtol=1e-5)
    check(fnp.logsumexp(fnp.asarray(np.array([-np.inf, -np.inf], F32))), np.float32(-np.inf))
    check(fnp.logsumexp(fnp.asarray(np.array([np.inf, 1.0], F32))), np.float32(np.inf))
    b = np.array([1.0, 2.0], F32)
    check(fnp.logsumexp(fnp.asarray(np.array([1.0, 2.0], F32)), b=fnp.asarray(b)),
          np.float32(np.log(np.exp(1) + 2 * np.exp(2))), rtol=1e-6)


def test_average_median_quantile():
    x = rand((5, 4), np.float32)
    w = RNG.uniform(0.1, 1, size=(5, 4)).astype(F32)
    check(fnp.average(fnp.asarray(x)), np.average(x))
    check(fnp.average(fnp.asarray(x), axis=0, weights=fnp.asarray(w)),
          np.average(x, axis=0, weights=w), rtol=1e-5)
    w1 = w[:, 0]
    check(fnp.average(fnp.asarray(x), axis=0, weights=fnp.asarray(w1)),
          np.average(x, axis=0, weights=w1), rtol=1e-5)
    for axis in (None, 0, 1):
        check(fnp.median(fnp.asarray(x), axis=axis), np.median(x, axis=axis))
        for method in ("linear", "lower", "higher", "midpoint", "nearest"):
            for q in (0.0, 0.3, 0.5, 1.0, [0.1, 0.9]):
                want = np.quantile(x, q, axis=axis, method=method)
                got = fnp.quantile(fnp.asarray(x), fnp.asarray(np.asarray(q)), axis=axis,
                                   method=method)
                check(got, want.astype(F32), rtol=1e-5, atol=1e-6)
    check(fnp.percentile(fnp.asarray(x), 30.0, axis=0, keepdims=True),
          np.percentile(x, 30.0, axis=0, keepdims=True), rtol=1e-5)
    xn = x.copy()
    xn[1, 1] = np.nan
    check(fnp.median(fnp.asarray(xn), axis=0), np.median(xn, axis=0))


# ---------------------------------------------------------------------------------------------
# creation
# ---------------------------------------------------------------------------------------------

def test_creation():
    check(fnp.zeros((2, 3)), np.zeros((2, 3), F32))
    check(fnp.ones(4, dtype=fnp.int32), np.ones(4, np.int32))
    check(fnp.full((2, 2), 7), np.full((2, 2), 7, np.int32))
    check(fnp.full((2, 2), 7.0), np.full((2, 2), 7, F32))
    check(fnp.full((2, 3), fnp.asarray(np.arange(3, dtype=F32))),
          np.broadcast_to(np.arange(3, dtype=F32), (2, 3)))
    check(fnp.empty((0, 3)), np.empty((0, 3), F32))
    x = np.arange(6, dtype=np.int64).reshape(2, 3)
    check(fnp.zeros_like(fnp.asarray(x)), np.zeros_like(x))
    check(fnp.ones_like(fnp.asarray(x), dtype=F32), np.ones_like(x, dtype=F32))
    check(fnp.full_like(fnp.asarray(x), 3), np.full_like(x, 3))
    check(fnp.empty_like(fnp.asarray(x)).shape, np.array((2, 3)))
    check(fnp.arange(5), np.arange(5, dtype=np.int32))
    check(fnp.arange(2, 11, 3), np.arange(2, 11, 3, dtype=np.int32))
    check(fnp.arange(5, 0, -2), np.arange(5, 0, -2, dtype=np.int32))
    check(fnp.arange(0.0, 1.0, 0.1), np.arange(0.0, 1.0, 0.1).astype(F32))
    check(fnp.arange(3.0), np.arange(3.0, dtype=F32))
    check(fnp.arange(0), np.arange(0, dtype=np.int32))
    check(fnp.arange(4, dtype=fnp.float64), np.arange(4, dtype=np.float64))
    for args in [(0, 1, 5), (2.0, 3.0, 7), (-1, 1, 1), (0, 10, 0), (5, -5, 11)]:
        check(fnp.linspace(*args), np.linspace(*args).astype(F32))
        check(fnp.linspace(*args, endpoint=False), np.linspace(*args, endpoint=False).astype(F32))
    check(fnp.linspace(0, 10, 4, dtype=fnp.int32), np.linspace(0, 10, 4, dtype=np.int32))
    s, st_ = fnp.linspace(0, 1, 5, retstep=True)
    assert abs(float(st_) - 0.25) < 1e-7
    check(fnp.linspace(fnp.asarray(np.array([0.0, 1.0], F32)), 2.0, 3, axis=1),
          np.linspace(np.array([0.0, 1.0]), 2.0, 3, axis=1).astype(F32))
    check(fnp.logspace(0, 2, 3), np.logspace(0, 2, 3).astype(F32), rtol=1e-6)
    check(fnp.logspace(0, 3, 4, base=2.0), np.logspace(0, 3, 4, base=2.0).astype(F32))
    for n, m, k in [(3, None, 0), (3, 4, 1), (4, 3, -1), (2, 2, 5), (0, 2, 0)]:
        check(fnp.eye(n, m, k), np.eye(n, m, k, dtype=F32))
        check(fnp.tri(n, m, k), np.tri(n, m, k, dtype=F32))
    check(fnp.identity(3, dtype=fnp.int32), np.identity(3, dtype=np.int32))
    a = rand((2, 4, 5))
    for k in (-2, 0, 1, 7):
        check(fnp.tril(fnp.asarray(a), k), np.tril(a, k))
        check(fnp.triu(fnp.asarray(a), k), np.triu(a, k))
    xs, ys = np.arange(3, dtype=F32), np.arange(4, dtype=F32)
    for indexing in ("xy", "ij"):
        for sparse in (False, True):
            got = fnp.meshgrid(fnp.asarray(xs), fnp.asarray(ys), indexing=indexing,
                               sparse=sparse)
            want = np.meshgrid(xs, ys, indexing=indexing, sparse=sparse)
            for g, w in zip(got, want):
                check(g, w)


def test_array_asarray():
    check(fnp.array([1, 2, 3]), np.array([1, 2, 3], np.int32))
    check(fnp.array([1.0, 2]), np.array([1.0, 2], F32))
    check(fnp.array(np.arange(3.0)), np.arange(3.0))  # float64 numpy input stays float64
    check(fnp.asarray([[True, False]]), np.array([[True, False]]))
    check(fnp.array(3.0), np.float32(3.0))
    assert not fnp.array(3.0).weak_type
    check(fnp.asarray([1, 2], dtype=fnp.float32), np.array([1, 2], F32))
    x = fnp.ones(3)
    assert fnp.asarray(x) is x
    check(fnp.array([x, x * 2]), np.array([[1, 1, 1], [2, 2, 2]], F32))
    check(fnp.array([1, 2], ndmin=3), np.array([1, 2], ndmin=3).astype(np.int32))
    src = np.arange(4.0)
    a = fnp.asarray(src)
    src[0] = 100
    assert float(a[0]) == 0.0  # copy semantics: fnx arrays never alias host buffers
    with pytest.raises(DTypeError):
        fnp.asarray(np.ones(2, np.clongdouble))
    with pytest.raises(DTypeError):
        fnp.asarray(["a", "b"])
    with pytest.raises(DTypeError):
        fnp.zeros(3, dtype=np.float16)


# ---------------------------------------------------------------------------------------------
# manipulation
# ---------------------------------------------------------------------------------------------

def test_shape_functions():
    x = rand((2, 3, 4))
    fx = fnp.asarray(x)
    check(fnp.reshape(fx, (4, -1)), x.reshape(4, -1))
    check(fx.reshape(6, 4), x.reshape(6, 4))
    check(fx.reshape((-1,)), x.reshape(-1))
    check(fnp.ravel(fx), x.ravel())
    check(fx.flatten(), x.flatten())
    check(fnp.transpose(fx), x.T)
    check(fnp.transpose(fx, (1, 0, 2)), x.transpose(1, 0, 2))
    check(fx.transpose(2, 0, 1), x.transpose(2, 0, 1))
    check(fx.T, x.T)
    check(fx.mT, np.swapaxes(x, -1, -2))
    check(fnp.moveaxis(fx, 0, -1), np.moveaxis(x, 0, -1))
    check(fnp.moveaxis(fx, (0, 1), (2, 0)), np.moveaxis(x, (0, 1), (2, 0)))
    check(fnp.swapaxes(fx, 0, 2), np.swapaxes(x, 0, 2))
    y = rand((1, 3, 1))
    check(fnp.squeeze(fnp.asarray(y)), np.squeeze(y))
    check(fnp.squeeze(fnp.asarray(y), axis=-1), np.squeeze(y, axis=-1))
    with pytest.raises(ValueError):
        fnp.squeeze(fnp.asarray(y), axis=1)
    check(fnp.expand_dims(fx, (0, -1)), np.expand_dims(x, (0, -1)))
    check(fnp.expand_dims(fx, 1), np.expand_dims(x, 1))
    check(fnp.broadcast_to(fnp.asarray(y), (2, 1, 3, 5)), np.broadcast_to(y, (2, 1, 3, 5)))
    assert fnp.broadcast_shapes((3, 1), (4,), ()) == (3, 4)
    a, b = fnp.broadcast_arrays(fnp.ones((3, 1)), fnp.ones(4))
    assert a.shape == b.shape == (3, 4)
    for fn in ("atleast_1d", "atleast_2d", "atleast_3d"):
        for v in (np.float32(1), np.ones(2, F32), np.ones((2, 3), F32)):
            check(getattr(fnp, fn)(fnp.asarray(v)), getattr(np, fn)(v))
    assert fnp.ndim(fx) == 3 and fnp.shape(fx) == (2, 3, 4) and fnp.size(fx) == 24
    assert fnp.size(fx, 1) == 3
    with pytest.raises(ShapeError):
        fnp.reshape(fx, (5, -1))


def test_joins_and_splits():
    a, b = rand((2, 3)), rand((2, 3))
    fa, fb = fnp.asarray(a), fnp.asarray(b)
    for axis in (0, 1, -1):
        check(fnp.concatenate([fa, fb], axis), np.concatenate([a, b], axis))
        check(fnp.stack([fa, fb], axis), np.stack([a, b], axis))
    check(fnp.stack([fa, fb], 2), np.stack([a, b], 2))
    check(fnp.concatenate([fa, fb], axis=None), np.concatenate([a, b], axis=None))
    check(fnp.concatenate([fa, fnp.asarray(np.ones((2, 1), np.int32))], 1),
          np.concatenate([a, np.ones((2, 1), F32)], 1))
    check(fnp.concatenate([fa, fnp.zeros((0, 3))]), a)
    check(fnp.hstack([fa, fb]), np.hstack([a, b]))
    check(fnp.vstack([fa, fb]), np.vstack([a, b]))
    check(fnp.dstack([fa, fb]), np.dstack([a, b]))
    check(fnp.column_stack([fnp.ones(2), fa]), np.column_stack([np.ones(2, F32), a]))
    check(fnp.hstack([fnp.ones(2), fnp.zeros(3)]), np.hstack([np.ones(2), np.zeros(3)]).astype(F32))
    with pytest.raises(ShapeError):
        fnp.concatenate([fa, fnp.ones((3, 2))])
    with pytest.raises(ShapeError):
        fnp.stack([fa, fnp.ones((3, 2))])
    x = rand((7, 4))
    for spec in (7, [2, 5], [3, -2, 10], [0]):
        got = fnp.array_split(fnp.asarray(x), spec)
        want = np.array_split(x, spec)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            check(g, w)
    for spec in (3, 4, [1, 2]):
        for axis in (0, 1):
            got = fnp.array_split(fnp.asarray(x), spec, axis)
            for g, w in zip(got, np.array_split(x, spec, axis)):
                check(g, w)
    for g, w in zip(fnp.split(fnp.asarray(x), 2, axis=1), np.split(x, 2, axis=1)):
        check(g, w)
    with pytest.raises(ValueError):
        fnp.split(fnp.asarray(x), 3)


def test_tile_repeat_flip_roll_rot90():
    x = rand((2, 3))
    fx = fnp.asarray(x)
    for reps in (2, (2, 1), (1, 3), (2, 2, 2), (0, 1)):
        check(fnp.tile(fx, reps), np.tile(x, reps))
    check(fnp.tile(fnp.asarray(np.float32(2)), 3), np.tile(np.float32(2), 3))
    for reps, axis in ((2, None), (3, 0), (2, 1), ([1, 0, 2], 1), ([2, 1], 0), (0, 0)):
        check(fnp.repeat(fx, reps, axis=axis), np.repeat(x, reps, axis=axis))
    check(fx.repeat(2), x.repeat(2))
    for axis in (None, 0, 1, (0, 1)):
        check(fnp.flip(fx, axis), np.flip(x, axis))
    check(fnp.fliplr(fx), np.fliplr(x))
    check(fnp.flipud(fx), np.flipud(x))
    for shift, axis in ((1, None), (-2, 0), (4, 1), ((1, 2), (0, 1)), (7, -1), (0, 0)):
        check(fnp.roll(fx, shift, axis), np.roll(x, shift, axis))
    y = rand((2, 3, 4))
    for k in range(-1, 6):
        for axes in ((0, 1), (1, 2), (2, 0)):
            check(fnp.rot90(fnp.asarray(y), k, axes), np.rot90(y, k, axes))


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
def test_pad(mode):
    x = rand((3, 4))
    for pw in (1, (1, 2), ((0, 1), (2, 3)), ((2, 2), (0, 0)), ((5, 7), (9, 4))):
        check(fnp.pad(fnp.asarray(x), pw, mode=mode), np.pad(x, pw, mode=mode))
    if mode == "constant":
        check(fnp.pad(fnp.asarray(x), 1, constant_values=3.5),
              np.pad(x, 1, constant_values=3.5))
        check(fnp.pad(fnp.asarray(x), ((1, 2), (1, 1)), constant_values=((1, 2), (3, 4))),
              np.pad(x, ((1, 2), (1, 1)), constant_values=((1, 2), (3, 4))))


def test_take_and_take_along_axis():
    x = rand((4, 5))
    fx = fnp.asarray(x)
    idx = np.array([[0, 3], [4, 1]])
    check(fnp.take(fx, fnp.asarray(idx)), np.take(x, idx))
    check(fnp.take(fx, fnp.asarray(idx), axis=1), np.take(x, idx, axis=1))
    check(fnp.take(fx, 2, axis=0), np.take(x, 2, axis=0))
    oob = np.array([-7, -1, 0, 6, 9])
    check(fnp.take(fx, fnp.asarray(oob), axis=1, mode="clip"),
          np.take(x, oob, axis=1, mode="clip"))
    check(fnp.take(fx, fnp.asarray(oob), axis=1, mode="wrap"),
          np.take(x, oob, axis=1, mode="wrap"))
    fill = fnp.take(fx, fnp.asarray(oob), axis=1, mode="fill")
    want = np.take(x, np.where(oob < 0, oob + 5, oob).clip(0, 4), axis=1)
    want[:, (oob < -5) | (oob >= 5)] = np.nan
    check(fill, want)
    check(fx.take(fnp.asarray([1, 2])), x.take([1, 2]))
    y = rand((3, 4, 5))
    ind = RNG.integers(-4, 4, size=(3, 2, 5))
    check(fnp.take_along_axis(fnp.asarray(y), fnp.asarray(ind), axis=1),
          np.take_along_axis(y, ind, axis=1))
    ind2 = RNG.integers(0, 5, size=(1, 4, 3))
    check(fnp.take_along_axis(fnp.asarray(y), fnp.asarray(ind2), axis=-1),
          np.take_along_axis(y, np.broadcast_to(ind2, (3, 4, 3)), axis=-1))
    s = np.argsort(y, axis=0)
    check(fnp.take_along_axis(fnp.asarray(y), fnp.asarray(s), axis=0), np.sort(y, axis=0))


def test_diagonal_trace_diag():
    y = rand((3, 4, 5))
    for off in (-3, -1, 0, 1, 2, 6):
        for a1, a2 in ((0, 1), (1, 2), (2, 0), (-1, -2)):
            check(fnp.diagonal(fnp.asarray(y), off, a1, a2), np.diagonal(y, off, a1, a2))
        check(fnp.trace(fnp.asarray(y), off), np.trace(y, off), rtol=1e-5)
    m = rand((4, 4))
    check(fnp.asarray(m).diagonal(), m.diagonal())
    check(fnp.asarray(m).trace(), np.float32(m.trace()), rtol=1e-6)
    check(fnp.trace(fnp.asarray(np.arange(9, dtype=np.int8).reshape(3, 3))),
          np.int32(12))
    v = rand((3,))
    for k in (-2, 0, 1):
        check(fnp.diag(fnp.asarray(v), k), np.diag(v, k))
        check(fnp.diag(fnp.asarray(m), k), np.diag(m, k))
    check(fnp.diagflat(fnp.asarray(m[:2, :2]), 1), np.diagflat(m[:2, :2], 1))


def test_sort_argsort_searchsorted():
    x = rand((4, 6), np.float32)
    x[1, 2] = np.nan
    x[0, :3] = 1.0
    for axis in (None, 0, 1, -1):
        check(fnp.sort(fnp.asarray(x), axis=axis), np.sort(x, axis=axis))
        check(fnp.argsort(fnp.asarray(x), axis=axis),
              np.argsort(x, axis=axis, kind="stable").astype(np.int32))
    check(fnp.sort(fnp.asarray(x), descending=True), np.sort(x)[:, ::-1])  # NaN first, as jnp
    xi = RNG.integers(0, 3, size=12).astype(np.int32)
    want = np.argsort(-xi, kind="stable").astype(np.int32)
    check(fnp.argsort(fnp.asarray(xi), descending=True), want)
    check(fnp.asarray(x).sort(axis=0), np.sort(x, axis=0))
    a = np.sort(rand((10,), np.float32))
    a[3] = a[4]
    v = np.concatenate([a[:3], rand((5,)), [np.nan, -np.inf, np.inf]]).astype(F32)
    for side in ("left", "right"):
        check(fnp.searchsorted(fnp.asarray(a), fnp.asarray(v), side=side),
              np.searchsorted(a, v, side=side).astype(np.int32))


def test_concrete_only_functions():
    x = np.array([[0, 1, 2], [3, 0, 1]], np.int32)
    fx = fnp.asarray(x)
    for g, w in zip(fnp.nonzero(fx), np.nonzero(x)):
        check(g, w.astype(np.int32))
    check(fnp.argwhere(fx), np.argwhere(x).astype(np.int32))
    check(fnp.flatnonzero(fx), np.flatnonzero(x).astype(np.int32))
    check(fnp.nonzero(fnp.asarray(x[0]), size=4, fill_value=-1)[0],
          np.array([1, 2, -1, -1], np.int32))
    check(fnp.unique(fx), np.unique(x))
    u, inv, cnt = fnp.unique(fx, return_inverse=True, return_counts=True)
    wu, winv, wcnt = np.unique(x, return_inverse=True, return_counts=True)
    check(u, wu), check(inv, winv.astype(np.int32)), check(cnt, wcnt.astype(np.int32))

    def traced(x):
        return fnp.nonzero(x)

    with pytest.raises(ConcretizationTypeError, match="size="):
        make_jaxpr(traced)(fx)
    with pytest.raises(ConcretizationTypeError):
        make_jaxpr(lambda x: fnp.unique(x))(fx)


# ---------------------------------------------------------------------------------------------
# products
# ---------------------------------------------------------------------------------------------

MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)),
                 ((1, 2, 3), (6, 3, 2)), ((0, 3), (3, 2)), ((2, 0), (0, 3)), ((4, 2, 3), (3,)),
                 ((3,), (4, 3, 2))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int8])
def test_matmul(sa, sb, dtype):
    a, b = rand(sa, dtype), rand(sb, dtype)
    want = np.matmul(a, b)
    check(fnp.matmul(fnp.asarray(a), fnp.asarray(b)), want, rtol=1e-5, atol=1e-5)
    check(fnp.asarray(a) @ fnp.asarray(b), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("sa,sb", [((), (3,)), ((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                                   ((2, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)),
                                   ((2, 3, 4), (4,))])
def test_dot_inner_vdot_outer(sa, sb):
    a, b = rand(sa), rand(sb)
    check(fnp.dot(fnp.asarray(a), fnp.asarray(b)), np.dot(a, b), rtol=1e-5, atol=1e-5)
    check(fnp.asarray(a).dot(fnp.asarray(b)), np.dot(a, b), rtol=1e-5, atol=1e-5)
    if a.ndim and b.ndim:
        bi = rand(sa[-1:]) if not sb else rand(sb[:-1] + sa[-1:])
        check(fnp.inner(fnp.asarray(a), fnp.asarray(bi)), np.inner(a, bi), rtol=1e-5,
              atol=1e-5)
    check(fnp.outer(fnp.asarray(a), fnp.asarray(b)), np.outer(a, b))
    if a.size == b.size:
        check(fnp.vdot(fnp.asarray(a), fnp.asarray(b)), np.vdot(a, b), rtol=1e-5)


def test_tensordot_kron():
    a, b = rand((2, 3, 4)), rand((3, 4, 5))
    for axes in (0, 1, 2, ([1, 2], [0, 1]), ((2, 1), (1, 0)), (1, 0)):
        if axes == 1:
            a2, b2 = rand((2, 3, 4)), rand((4, 5))
            check(fnp.tensordot(fnp.asarray(a2), fnp.asarray(b2), axes),
                  np.tensordot(a2, b2, axes), rtol=1e-5, atol=1e-5)
            continue
        check(fnp.tensordot(fnp.asarray(a), fnp.asarray(b), axes), np.tensordot(a, b, axes),
              rtol=1e-5, atol=1e-5)
    for sa, sb in (((2,), (3,)), ((2, 3), (4, 1)), ((2, 2), (3,)), ((2, 1, 3), (2, 2))):
        x, y = rand(sa), rand(sb)
        check(fnp.kron(fnp.asarray(x), fnp.asarray(y)), np.kron(x, y))


EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]), ("ij->", [(2, 3)]), ("ij->ji", [(2, 3)]), ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(2,), (3,)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]), ("...i,...i", [(2, 3), (3,)]),
    ("ijk,jil->kl", [(2, 3, 4), (3, 2, 5)]), ("iij->j", [(3, 3, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]), ("ab,bc,cd,de->ae", [(2, 3), (3, 2), (2, 4),
                                                                      (4, 2)]),
    ("i,i,i->i", [(3,), (3,), (3,)]), ("ij,ij->ij", [(2, 3), (2, 3)]), ("i->", [(0,)]),
    ("ijj->i", [(2, 3, 3)]), ("iii->i", [(2, 2, 2)]), ("ij,k->", [(2, 3), (4,)]),
    ("ba,ca->bc", [(2, 3), (4, 3)]), ("...,...->...", [(2, 3), (2, 1)]),
    ("a...a->...", [(3, 2, 3)]), ("ij,jk->ki", [(2, 3), (3, 4)]), ("Ab,bC->CA", [(2, 3), (3, 4)]),
    ("i,ij->j", [(1,), (3, 4)]),
]


@pytest.mark.parametrize("subs,shapes", EINSUM_CASES)
def test_einsum_cases(subs, shapes):
    ops = [rand(s, np.float64) for s in shapes]
    want = np.einsum(subs, *ops)
    got = fnp.einsum(subs, *[fnp.asarray(o) for o in ops])
    check(got, want, rtol=1e-10, atol=1e-10)


@given(st.data())
def test_einsum_random(data):
    letters = "abcde"
    sizes = {c: data.draw(st.integers(1, 3)) for c in letters}
    n_ops = data.draw(st.integers(1, 3))
    specs = []
    for _ in range(n_ops):
        k = data.draw(st.integers(0, 3))
        specs.append("".join(data.draw(st.sampled_from(letters)) for _ in range(k)))
    all_letters = sorted(set("".join(specs)))
    out = "".join(data.draw(st.permutations(all_letters))[:data.draw(
        st.integers(0, len(all_letters)))])
    subs = ",".join(specs) + "->" + out
    ops = [RNG.standard_normal([sizes[c] for c in s]) for s in specs]
    want = np.einsum(subs, *ops)
    check(fnp.einsum(subs, *[fnp.asarray(o) for o in ops]), want, rtol=1e-9, atol=1e-9)


def test_einsum_dot_general_count():
    """Each pairwise contraction is a single dot_general; no per-element loops."""
    a, b, c = fnp.ones((2, 3)), fnp.ones((3, 4)), fnp.ones((4, 5))
    jaxpr = make_jaxpr(lambda a, b, c: fnp.einsum("ij,jk,kl->il", a, b, c))(a, b, c)
    names = [e.primitive.name for e in jaxpr.eqns]
    assert names.count("dot_general") == 2
    assert fnp.einsum(fnp.asarray(np.ones((2, 3))), [0, 1], fnp.asarray(np.ones(3)), [1],
                      [0]).shape == (2,)


# ---------------------------------------------------------------------------------------------
# tracing
# ---------------------------------------------------------------------------------------------

def test_make_jaxpr_prints():
    x = fnp.ones((3, 4))
    for fn in (lambda x: fnp.sum(fnp.sin(x) * 2.0, axis=0),
               lambda x: fnp.mean(x ** 2) + fnp.max(x),
               lambda x: x[1:, ::2] @ x.T[:2],
               lambda x: x.at[0, 1].add(1.0),
               lambda x: fnp.where(x > 0, x, 0.0),
               lambda x: fnp.logsumexp(x, axis=1),
               lambda x: fnp.concatenate([x, fnp.zeros((1, 4))]),
               lambda x: x[fnp.array([0, 2])],
               lambda x: fnp.einsum("ij,kj->ik", x, x),
               lambda x: fnp.cumsum(x, axis=1) + fnp.arange(4.0)):
        text = str(make_jaxpr(fn)(x))
        assert text.startswith("{ lambda")
    text = str(make_jaxpr(lambda x: fnp.sin(x) * 2.0)(x))
    assert "sin" in text and "mul" in text


def test_traced_function_matches_eager():
    x = rand((3, 4))
    from fnx.core import eval_jaxpr

    def f(x):
        y = fnp.tanh(x) * 0.5 + fnp.exp(-x * x)
        return fnp.sort(y, axis=1)[:, ::-1].sum(axis=0) / fnp.std(x)

    jaxpr = make_jaxpr(f)(fnp.asarray(x))
    out = eval_jaxpr(jaxpr.jaxpr, list(jaxpr.consts) + [fnp.asarray(x)])[0]
    check(out, np.asarray(f(fnp.asarray(x))), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# issue 16: take / take_along_axis index modes, quantile / median, axis checks, column_stack, eye
# ---------------------------------------------------------------------------------------------

def test_take_uint32_index_beyond_int32_is_out_of_range():
    # 2**32 - 1 became -1 (the last element) when uint32 indices were narrowed to int32
    x = fnp.asarray(np.array([5, -127], np.int8))
    big = fnp.asarray(np.array([0, 2 ** 32 - 1], np.uint32))
    np.testing.assert_array_equal(np.asarray(fnp.take(x, big, mode="fill")), [5, -128])
    np.testing.assert_array_equal(np.asarray(fnp.take(x, big, mode="clip")), [5, -127])
    np.testing.assert_array_equal(np.asarray(fnp.take(x, big, mode="wrap")),
                                  np.take(np.asarray(x), np.array([0, 2 ** 32 - 1]) % 2))
    y = fnp.asarray(np.array([[1.0, 2.0]], np.float32))
    got = fnp.take_along_axis(y, fnp.asarray(np.array([[2 ** 32 - 1, 1]], np.uint32)), 1,
                              mode="fill")
    np.testing.assert_array_equal(np.asarray(got), [[np.nan, 2.0]])
    with pytest.raises(IndexError, match="4294967295"):
        fnp.take(x, big)


def test_take_default_mode_follows_numpy():
    x = np.arange(5.0, dtype=np.float32)
    fx = fnp.asarray(x)
    check(fnp.take(fx, [0, 1, -1]), np.take(x, [0, 1, -1]))
    check(fnp.take(fx, fnp.asarray([-5, 4])), np.take(x, [-5, 4]))
    for mode in (None, "raise"):
        with pytest.raises(IndexError, match=r"take: index 5 is out of bounds for axis 0 "
                                             r"with size 5"):
            fnp.take(fx, [0, 5], mode=mode)
        with pytest.raises(IndexError, match=r"index -6 .* size 5"):
            fnp.take(fx.reshape(1, 5), [-6], axis=1, mode=mode)
    check(fnp.take(fx, [-7, 9], mode="clip"), np.take(x, [-7, 9], mode="clip"))
    check(fnp.take(fx, [-7, 9], mode="wrap"), np.take(x, [-7, 9], mode="wrap"))
    check(fnp.take(fx, [-1, 9, -6], mode="fill", fill_value=-2.0),
          np.array([4.0, -2, -2], np.float32))
    with pytest.raises(ValueError, match="take: mode"):
        fnp.take(fx, [0], mode="bogus")
    # numpy checks nothing when the result is empty
    check(fnp.take(fnp.zeros((0, 1)), 7, axis=1), np.take(np.zeros((0, 1), np.float32), 7, axis=1))


def test_take_default_mode_under_tracing_fills_as_jax():
    fx = fnp.arange(5.0)
    f = fnx.jit(lambda x, i: fnp.take(x, i))
    check(f(fx, fnp.asarray([0, -1, 5, -6])), np.array([0.0, 4.0, np.nan, np.nan], np.float32))
    got = fnx.vmap(lambda i: fnp.take(fx, i))(fnp.asarray([[1], [7]]))
    check(got, np.array([[1.0], [np.nan]], np.float32))
    with pytest.raises(fnx.errors.ConcretizationTypeError, match="mode='raise'"):
        fnx.jit(lambda x, i: fnp.take(x, i, mode="raise"))(fx, fnp.asarray([0]))
    # the fill keeps a weak operand's result weak, as the eager (checked) gather does
    weak = fnx.core.Array(np.arange(3, dtype=np.float32), True)
    assert fnp.take(weak, fnp.asarray([0, 2])).weak_type
    assert fnx.jit(lambda i: fnp.take(weak, i))(fnp.asarray([0, 5])).weak_type
    assert fnx.jit(lambda i: fnp.take_along_axis(weak, i, 0))(fnp.asarray([0, 5])).weak_type
    assert weak.at[fnp.asarray([0, 5])].get(mode="fill").weak_type


def test_take_along_axis_negative_and_out_of_range_indices():
    y = RNG.standard_normal((2, 3)).astype(np.float32)
    fy = fnp.asarray(y)
    ind = np.array([[0, -1], [-3, 2]])
    check(fnp.take_along_axis(fy, fnp.asarray(ind), 1), np.take_along_axis(y, ind, 1))
    with pytest.raises(IndexError, match=r"take_along_axis: index 3 is out of bounds for axis "
                                         r"1 with size 3"):
        fnp.take_along_axis(fy, fnp.asarray([[0, 3], [0, 0]]), 1)
    got = fnx.jit(lambda a, i: fnp.take_along_axis(a, i, 1))(fy, fnp.asarray([[0, 3], [-4, 1]]))
    check(got, np.array([[y[0, 0], np.nan], [np.nan, y[1, 1]]], np.float32))
    check(fnp.take_along_axis(fy, fnp.asarray([[5, -1], [-9, 0]]), 1, mode="clip"),
          np.array([[y[0, 2], y[0, 2]], [y[1, 0], y[1, 0]]], np.float32))
    with pytest.raises(ValueError, match="take_along_axis: mode"):
        fnp.take_along_axis(fy, fnp.asarray(ind), 1, mode="bogus")


def test_take_along_axis_from_an_empty_axis():
    a = np.zeros((2, 0), np.float32)
    idx = np.zeros((2, 1), np.int32)
    with pytest.raises(IndexError):
        np.take_along_axis(a, idx, 1)
    with pytest.raises(IndexError, match="index 0 is out of bounds for axis 1 with size 0"):
        fnp.take_along_axis(fnp.asarray(a), fnp.asarray(idx), 1)
    with pytest.raises(IndexError, match="empty axis"):
        fnp.take_along_axis(fnp.asarray(a), fnp.asarray(idx), 1, mode="clip")
    got = fnp.take_along_axis(fnp.asarray(a), fnp.asarray(idx), 1, mode="fill")
    check(got, np.full((2, 1), np.nan, np.float32))


def test_quantile_rejects_q_outside_its_range():
    x = np.arange(4.0, dtype=np.float32)
    fx = fnp.asarray(x)
    for q in (1.5, -0.25, [0.5, 2.0], np.nan):
        with pytest.raises(ValueError, match=r"Quantiles must be in the range \[0, 1\]"):
            np.quantile(x, q)
        with pytest.raises(ValueError, match=r"quantile: Quantiles must be in the range "
                                             r"\[0, 1\]"):
            fnp.quantile(fx, q)
        with pytest.raises(ValueError, match=r"quantile: Quantiles must"):
            fnp.quantile(fx, fnp.asarray(np.asarray(q, np.float64)))
    for q in (100.5, -1, [50, 150]):
        with pytest.raises(ValueError, match=r"Percentiles must be in the range \[0, 100\]"):
            np.percentile(x, q)
        with pytest.raises(ValueError, match=r"percentile: Percentiles must be in the range "
                                             r"\[0, 100\]"):
            fnp.percentile(fx, q)
    check(fnp.percentile(fx, [0, 100]), np.percentile(x, [0, 100]).astype(np.float32))
    # a traced q has no values to check (jax.numpy): the index clamps
    check(fnx.jit(lambda q: fnp.quantile(fx, q))(fnp.asarray(1.5)), np.float32(3.0))


def test_quantile_exact_hits_and_infinite_neighbours():
    # numpy's lerp computes inf - inf (NaN) next to an infinity; equal neighbours (an exact
    # hit included) give their value, one infinite neighbour its infinity
    cases = [([np.inf], 0.5, np.inf), ([-np.inf, -np.inf, 0.0], 0.25, -np.inf),
             ([-np.inf, -np.inf, 0.0], 0.5, -np.inf), ([1.0, np.inf], 0.5, np.inf),
             ([1.0, np.inf], 0.9, np.inf), ([-np.inf, 1.0], 0.1, -np.inf),
             ([-np.inf, np.inf], 0.5, np.nan), ([0.0, 1.0, np.inf], 0.5, 1.0)]
    for v, q, want in cases:
        got = float(fnp.quantile(fnp.asarray(np.array(v, np.float32)), q))
        np.testing.assert_equal(got, want, err_msg=f"quantile({v}, {q})")
    got = fnp.quantile(fnp.asarray(np.array([1.0, np.inf], np.float32)), 0.5, method="midpoint")
    assert float(got) == np.inf


def test_axis_arguments_out_of_range_raise_instead_of_wrapping():
    # tensordot / vecdot took the axis modulo the rank: axis 5 of a 2-d array became axis 1
    a = fnp.ones((2, 2))
    for call, name, axis in ((lambda: fnp.tensordot(a, a, axes=([5], [0])), "tensordot", 5),
                             (lambda: fnp.tensordot(a, a, axes=([0], [-3])), "tensordot", -3),
                             (lambda: fnp.tensordot(a, a, axes=(2, 0)), "tensordot", 2),
                             (lambda: fnp.vecdot(a, a, axis=5), "vecdot", 5)):
        for kind in (ValueError, IndexError, fnx.errors.AxisError):
            with pytest.raises(kind, match=rf"{name}: axis {axis} is out of bounds for array "
                                           r"of dimension 2"):
                call()
    x = RNG.standard_normal((2, 3)).astype(np.float32)
    check(fnp.tensordot(fnp.asarray(x), fnp.asarray(x), axes=([-1], [np.int64(1)])),
          np.tensordot(x, x, axes=([-1], [1])))
    from fnx import nn
    with pytest.raises(fnx.errors.AxisError, match="Flatten: axis 5"):
        nn.Flatten(start_dim=5)(fnp.ones((2, 3)))


def test_column_stack_of_0d_and_1d_entries():
    # a 0-d entry (e.g. iterating over a 1-d array) raised IndexError
    x = np.arange(3, dtype=np.int32)
    check(fnp.column_stack([fnp.asarray(x)]), np.column_stack([x]))
    check(fnp.column_stack(fnp.asarray(x)), np.column_stack(x))
    check(fnp.column_stack([fnp.asarray(np.float32(2.0)), fnp.asarray(np.float32(3.0))]),
          np.column_stack([np.float32(2.0), np.float32(3.0)]))


@pytest.mark.parametrize("k", [2 ** 31, -2 ** 31 - 5, 2 ** 40, 4, -4, 3, -3])
def test_eye_and_tri_far_diagonals(k):
    # k beyond int32 raised OverflowError; |k| >= N or M selects nothing (numpy)
    check(fnp.eye(3, k=k), np.eye(3, k=k, dtype=np.float32))
    check(fnp.eye(2, 4, k=k), np.eye(2, 4, k=k, dtype=np.float32))
    check(fnp.tri(3, 2, k=k), np.tri(3, 2, k=k, dtype=np.float32))
    y = np.ones((3, 4), np.float32)
    check(fnp.tril(fnp.asarray(y), k=k), np.tril(y, k=k))
    check(fnp.triu(fnp.asarray(y), k=k), np.triu(y, k=k))


# -- issue 16: dtypes of creation functions and reductions ------------------------------------

def test_ranges_compute_float64_results_in_float64():
    # Python scalar endpoints used to pass through float32 (16777217 -> 16777216, 1e-283 -> 0)
    got = fnp.linspace(16777217.0, 0, 1, endpoint=False, dtype=fnp.float64)
    assert got.dtype == np.float64 and float(got[0]) == 16777217.0
    np.testing.assert_array_equal(fnp.linspace(0, 1e-283, 2, dtype=fnp.float64), [0, 1e-283])
    np.testing.assert_array_equal(fnp.linspace(0, 2**40, 3, dtype=fnp.int64),
                                  np.linspace(0, 2**40, 3, dtype=np.int64))
    np.testing.assert_array_equal(fnp.logspace(0.5, 300.5, 2, dtype=fnp.float64),
                                  np.logspace(0.5, 300.5, 2))
    # explicitly float64 inputs give float64 results; Python floats the default float32
    assert fnp.linspace(np.float64(0), 1, 3).dtype == np.float64
    assert fnp.logspace(np.float64(0), 1, 3).dtype == np.float64
    assert fnp.geomspace(np.float64(1), 8, 4).dtype == np.float64
    assert fnp.linspace(0.0, 1.0, 3).dtype == np.float32
    assert fnp.logspace(0.0, 1.0, 3).dtype == np.float32
    assert fnp.arange(np.float64(0.5), 3).dtype == np.float64
    assert fnp.arange(np.int64(4)).dtype == np.int64
    assert fnp.arange(0, 2, 0.5).dtype == np.float32
    np.testing.assert_array_equal(fnp.arange(16777217.0, 16777219.0, dtype=fnp.float64),
                                  [16777217.0, 16777218.0])


def test_sums_of_unsigned_ints_accumulate_in_uint32():
    # the array API's rule (jax.numpy's at 32 bits): narrow ints widen keeping their signedness
    u8 = fnp.asarray(np.array([[200, 100], [3, 4]], np.uint8))
    for fn in (fnp.sum, fnp.prod, fnp.nansum, fnp.nanprod, fnp.cumsum, fnp.cumprod, fnp.trace):
        got = fn(u8)
        assert got.dtype == np.uint32, fn.__name__
        check(got, getattr(np, fn.__name__)(np.asarray(u8), dtype=np.uint32))
    for fn in (fnp.cumulative_sum, fnp.cumulative_prod):  # the standard: axis required at 2-d
        got = fn(u8, axis=1)
        assert got.dtype == np.uint32, fn.__name__
        check(got, getattr(np, fn.__name__)(np.asarray(u8), axis=1, dtype=np.uint32))
    assert u8.sum().dtype == np.uint32 and u8.cumsum().dtype == np.uint32
    assert fnp.sum(u8.astype(fnp.int8)).dtype == np.int32
    assert fnp.sum(u8.astype(fnp.bool_)).dtype == np.int32
    assert fnp.sum(u8.astype(fnp.uint32)).dtype == np.uint32
    assert fnp.sum(u8.astype(fnp.int64)).dtype == np.int64
    assert fnp.sum(u8, dtype=fnp.uint8).dtype == np.uint8  # an explicit dtype wins (wraps)
    assert int(fnp.sum(u8, dtype=fnp.uint8)) == (200 + 100 + 3 + 4) % 256
    assert fnp.sum(u8, promote_integers=False).dtype == np.uint8


def test_scalar_type_names_are_callable_and_still_dtypes():
    import pickle
    from fnx import dtypes as fdt
    # callable constructors, as in jax.numpy
    x = fnp.float32([1, 2])
    assert isinstance(x, fnx.Array) and x.dtype == np.float32
    check(x, np.float32([1, 2]))
    three = fnp.int64(3)
    assert three.shape == () and three.dtype == np.int64 and int(three) == 3
    assert fnp.float32(1.5).dtype == np.float32 and not fnp.float32(1.5).weak_type
    assert bool(fnp.bool_(3)) and fnp.bool_(3).dtype == np.bool_
    assert fnp.uint8(fnp.asarray([1.0, 2.0])).dtype == np.uint8
    assert fnx.jit(lambda v: fnp.float32(v) * 2)(fnp.asarray([1, 2])).dtype == np.float32
    # ... that still work wherever a dtype does
    assert fnp.zeros(3, fnp.float32).dtype == np.float32
    assert fnp.ones(2).astype(fnp.int32).dtype == np.int32
    assert x.dtype == fnp.float32 and fnp.float32 == x.dtype and fnp.float32 != fnp.float64
    assert fnp.float32 == np.float32 and np.float32 == fnp.float32
    assert np.dtype(fnp.float32) == np.float32 and fnp.dtype(fnp.float64) == np.float64
    assert np.zeros(2, fnp.uint8).dtype == np.uint8
    assert fnp.finfo(fnp.float32).eps == np.finfo(np.float32).eps
    assert fnp.iinfo(fnp.int8).max == 127
    assert fnp.issubdtype(fnp.float32, fnp.floating) and fnp.issubdtype(x.dtype, fnp.float32)
    assert not fnp.issubdtype(fnp.int32, fnp.floating)
    assert fnp.result_type(fnp.int32, fnp.float32) == np.float32
    assert all(t in fdt.SUPPORTED and t in frozenset(fdt.SUPPORTED)
               for t in (fnp.bool_, fnp.int8, fnp.uint8, fnp.int32, fnp.uint32, fnp.int64,
                         fnp.float32, fnp.float64))
    assert {np.dtype(np.int32): "i"}[fnp.int32] == "i" and {fnp.int32: "i"}[np.dtype("int32")]
    assert pickle.loads(pickle.dumps(fnp.float32)) is fnp.float32
    assert isinstance(np.float32(1), fnp.float32) and not isinstance(np.int8(1), fnp.float32)
    assert fnp.float_ is fnp.float64


# -- issue 16: the sign of zero ---------------------------------------------------------------

def _signed(values):
    return [(float(v), bool(np.signbit(v))) for v in np.asarray(values).ravel()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_power_sign_of_zero_and_infinity_match_c_pow_eager_and_jit(dtype):
    base = fnp.asarray(np.array([-0.0, -0.0, -0.0, -0.0, -np.inf, -np.inf, 0.0] * 3, dtype))
    for exponent in (3.0, -1.0, 2.0, -3.0, 0.5, -0.5):
        with np.errstate(divide="ignore", invalid="ignore"):
            # numpy's array loop is C pow (its scalar-exponent fast path makes x ** 0.5 sqrt)
            want = np.power(np.asarray(base), np.full(base.shape, exponent, dtype))
        eager = fnp.power(base, exponent)
        jitted = fnx.jit(lambda b, e=exponent: fnp.power(b, e))(base)
        assert _signed(eager) == _signed(want), exponent
        # gcc's vectorizer used to turn the jit's pow(x, 0.5) into sqrt(x): -0 and NaN
        assert _signed(jitted) == _signed(want), exponent
    for k in (3, -1, -3, 2):  # Python int exponents: integer_pow
        with np.errstate(divide="ignore"):
            want = np.power(np.asarray(base), np.full(base.shape, k, dtype))
        assert _signed(fnp.power(base, k)) == _signed(want)
        assert _signed(fnx.jit(lambda b, k=k: b ** k)(base)) == _signed(want)


@pytest.mark.parametrize("n", [1, 20])
def test_fmax_fmin_order_signed_zeros(n):
    # IEEE 754-2019 maximumNumber / minimumNumber: -0 < +0, whatever the argument order
    # (numpy gives either zero, depending on the array length and position)
    pos, neg = fnp.zeros(n), -fnp.zeros(n)
    for f, want_negative in ((fnp.fmax, False), (fnp.fmin, True)):
        for a, b in ((pos, neg), (neg, pos)):
            for fn in (f, fnx.jit(f)):
                assert np.all(np.signbit(fn(a, b)) == want_negative), (f.__name__, n)
        assert np.all(np.signbit(f(neg, neg))) and not np.any(np.signbit(f(pos, pos)))
    # NaN is still ignored and ordinary values unchanged
    check(fnp.fmax(fnp.asarray([np.nan, 1.0, -2.0]), fnp.asarray([0.0, np.nan, -3.0])),
          np.float32([0.0, 1.0, -2.0]))
    check(fnp.fmin(fnp.asarray([np.nan, 1.0, -2.0]), fnp.asarray([0.0, np.nan, -3.0])),
          np.float32([0.0, 1.0, -3.0]))


# -- issue 16: axis arguments -----------------------------------------------------------------

_AXIS_FUNCTIONS = ("sum", "prod", "mean", "var", "std", "max", "min", "amax", "amin", "all",
                   "any", "argmax", "argmin", "ptp", "cumsum", "cumprod", "nansum", "nanprod",
                   "nanmax", "nanmin", "nanmean", "count_nonzero", "logsumexp", "average",
                   "sort", "argsort", "flip", "expand_dims")


@pytest.mark.parametrize("name", _AXIS_FUNCTIONS)
def test_non_integer_axis_raises_a_named_type_error(name):
    fn = getattr(fnp, name)
    x = fnp.ones((2, 3))
    for bad in (1.0, (0, 1.0), "0"):
        if isinstance(bad, tuple) and name in ("argmax", "argmin", "cumsum", "cumprod", "sort",
                                               "argsort"):
            continue  # single-axis functions
        named = {"amax": "max", "amin": "min"}.get(name, name)  # aliases, as in numpy
        with pytest.raises(TypeError, match=rf"{named}: .*cannot be interpreted as an integer"):
            fn(x, axis=bad)
    assert fnp.sum(x, axis=fnp.asarray(1)).shape == (2,)  # 0-d integer arrays still work


def test_cached_weak_scalars_keep_the_sign_of_zero():
    # the cache of weak Python scalars keyed 0.0 and -0.0 alike (they compare equal), so
    # x + -0.0 after x + 0.0 added +0.0 (found by HYPOTHESIS_PROFILE=explore, add-scalar)
    x = fnp.asarray(np.float32([-0.0]))
    assert not np.signbit(x + 0.0)[0]
    assert np.signbit(x + -0.0)[0] and np.signbit(-0.0 + x)[0]


def test_int8_power_with_exponents_beyond_int8():
    x_np = np.arange(-128, 128).astype(np.int8)
    x = fnp.asarray(x_np)
    # a Python int exponent is integer_pow (as jax.numpy): the exactly wrapped int8 result
    want = np.array([(pow(int(v), 200, 256) + 128) % 256 - 128 for v in x_np], np.int8)
    np.testing.assert_array_equal(fnp.power(x, 200), want)
    np.testing.assert_array_equal(fnx.jit(lambda v: v ** 200)(x), want)
    # an int8 exponent array wraps like numpy's int8 loop
    e = fnp.asarray(np.full(256, 127, np.int8))
    np.testing.assert_array_equal(fnp.power(x, e), np.power(x_np, np.asarray(e)))
    # a Python int base that int8 cannot hold: OverflowError, as numpy raises
    with pytest.raises(OverflowError, match="power: Python int 200 too large .* int8"):
        fnp.power(200, x)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint32, np.int32, np.int64])
def test_cross_keeps_narrow_integer_dtypes(dtype):
    # array-api-tests: cross(uint8, uint8) returned int32 (the wide compute dtype leaked out)
    a = np.array([[1, 200, 3], [7, 9, 250]]).astype(dtype)
    b = np.array([[100, 2, 3], [1, 1, 1]]).astype(dtype)
    for fn in (fnp.cross, fnp.linalg.cross):
        got = fn(fnp.asarray(a), fnp.asarray(b))
        check(got, np.cross(a, b))


def test_array_api_zero_signs():
    # array-api-tests special cases: sign(-0.0) is +0.0 (lax.sign keeps the zero's sign);
    # complex expm1(-0 + 0j) is +0 + 0j (numpy's formula gives -0)
    for f in (fnp.sign, fnx.jit(fnp.sign)):
        got = np.asarray(f(fnp.asarray(np.array([-0.0, 0.0], np.float32))))
        assert not np.signbit(got).any(), got
    z = np.array([complex(-0.0, 0.0), complex(0.0, 0.0)], np.complex128)
    for f in (fnp.expm1, fnx.jit(fnp.expm1)):
        got = np.asarray(f(fnp.asarray(z)))
        assert not np.signbit(got.real).any() and not np.signbit(got.imag).any(), got


def test_python_floats_meet_float64_arrays_exactly():
    # found merging issue 20: a Python float became a weak float32 array (rounded) before it
    # met a float64 array, in gradient's spacing, histogram's range, append, diff's prepend,
    # fill_diagonal, select's default, piecewise, polyval, ufunc.at
    v = 1.212738880945615
    a = np.array([0.1, 0.5, 0.9, 2.0])
    x = fnp.asarray(a)
    m = np.zeros((2, 2))
    np.fill_diagonal(m, v)
    at = a.copy()
    np.add.at(at, [0], v)
    cases = [
        (fnp.gradient(x, v), np.gradient(a, v)),
        (fnp.histogram(x, 3, range=(0.0, v))[1], np.histogram(a, 3, range=(0.0, v))[1]),
        (fnp.append(x, v), np.append(a, v)),
        (fnp.diff(x, prepend=v), np.diff(a, prepend=v)),
        (fnp.fill_diagonal(fnp.zeros((2, 2), fnp.float64), v, inplace=False), m),
        (fnp.select([x > 0.4], [x], default=v), np.select([a > 0.4], [a], default=v)),
        (fnp.piecewise(x, [x > 0.4], [v, lambda t: t]), np.piecewise(a, [a > 0.4], [v, lambda t: t])),
        (fnp.polyval(x, v), np.polyval(a, v)),
        (fnp.add.at(x, [0], v, inplace=False), at),
        (fnp.insert(x, 1, v), np.insert(a, 1, v)),
    ]
    for i, (got, want) in enumerate(cases):
        got = np.asarray(got)
        assert got.dtype == np.float64, i
        np.testing.assert_allclose(got, want, rtol=1e-15, atol=0, err_msg=str(i))
