"""fnx.numpy on complex64 / complex128 operands, compared with numpy: values (special values
included: inf / NaN / -0.0 parts), result dtypes, JAX's weak promotion of Python complex
scalars, and the DTypeError of the functions numpy defines for real numbers only.

Runs on whatever backend FNX_BACKEND selects (the reference backend or the C kernels)."""
import itertools

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.errors import DTypeError
from spec_lax import expm1_array_api, tanh_array_api  # the array API's special values

CDTYPES = [np.complex64, np.complex128]
INF, NAN = np.inf, np.nan
_PARTS = [0.0, -0.0, 0.5, -1.5, 2.0, INF, -INF, NAN]


def grid(dtype):
    """Every complex number whose parts are drawn from _PARTS (64 values)."""
    re, im = np.array(list(itertools.product(_PARTS, _PARTS))).T
    z = np.empty(re.shape, dtype)
    z.real, z.imag = re, im
    return z


def finite_values(dtype, shape=(3, 4), seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(dtype)


def _tolerance(dtype):
    return 2e-5 if np.dtype(dtype) in (np.complex64, np.float32) else 1e-12


def check(result, expected, exact_zeros=False, rtol=None):
    """fnx ``result`` against numpy's ``expected``: the dtype, then each part (NaN where numpy
    has NaN; with ``exact_zeros`` the sign of zero parts too)."""
    expected = np.asarray(expected)
    got = np.asarray(result)
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    assert got.shape == expected.shape
    if expected.dtype.kind == "b":
        np.testing.assert_array_equal(got, expected)
        return
    rtol = _tolerance(expected.dtype) if rtol is None else rtol
    parts = (np.real, np.imag) if expected.dtype.kind == "c" else (np.asarray,)
    for part in parts:
        g, e = part(got), part(expected)
        np.testing.assert_allclose(g, e, rtol=rtol, atol=rtol * 1e-2, equal_nan=True)
        if exact_zeros:
            zero = e == 0
            np.testing.assert_array_equal(np.signbit(g[zero]), np.signbit(e[zero]))


def numpy_of(fn, *args, **kwargs):
    with np.errstate(all="ignore"):
        return fn(*args, **kwargs)


# -- elementwise unary ------------------------------------------------------------------------

UNARY = ["negative", "positive", "absolute", "sign", "sqrt", "exp", "exp2", "log", "log2",
         "log10", "log1p", "expm1", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh",
         "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "square", "reciprocal", "rint",
         "sinc", "isnan", "isinf", "isfinite", "nan_to_num", "iscomplex", "isreal"]
EXACT_UNARY = ["negative", "positive", "conj", "conjugate", "real", "imag", "nan_to_num"]


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("name", UNARY + EXACT_UNARY[2:-1] + ["angle"])
def test_unary_matches_numpy(name, dtype):
    z = grid(dtype)
    ref = {"expm1": expm1_array_api, "tanh": tanh_array_api}.get(name, getattr(np, name))
    check(getattr(fnp, name)(fnp.asarray(z)), numpy_of(ref, z), exact_zeros=name in EXACT_UNARY)


@pytest.mark.parametrize("dtype", CDTYPES)
def test_angle_in_degrees_and_of_reals(dtype):
    z = grid(dtype)
    check(fnp.angle(fnp.asarray(z), deg=True), numpy_of(np.angle, z, deg=True))
    x = np.array([-1.0, 0.0, -0.0, 2.5, NAN, -INF], np.float32)
    check(fnp.angle(fnp.asarray(x)), np.angle(x))  # 0 or pi, float32


@pytest.mark.parametrize("dtype", CDTYPES)
def test_nan_to_num_values_per_part(dtype):
    z = grid(dtype)
    check(fnp.nan_to_num(fnp.asarray(z), nan=1.0, posinf=2.0, neginf=-3.0),
          np.nan_to_num(z, nan=1.0, posinf=2.0, neginf=-3.0), exact_zeros=True)


@pytest.mark.parametrize("decimals", [0, 1, -1])
@pytest.mark.parametrize("dtype", CDTYPES)
def test_round_rounds_each_part(dtype, decimals):
    z = (finite_values(dtype) * 30).astype(dtype)
    check(fnp.round(fnp.asarray(z), decimals), np.round(z, decimals))


@pytest.mark.parametrize("name", ["real", "imag", "conj", "conjugate"])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.bool_])
def test_real_imag_conj_of_real_arrays_stay_real(name, dtype):
    x = np.array([1, 0, 3], dtype)
    expected = getattr(np, name)(x)
    if dtype == np.bool_:  # numpy's conj of bool is int8; fnx's keeps bool (as jax.numpy)
        expected = expected.astype(np.bool_)
    check(getattr(fnp, name)(fnp.asarray(x)), expected)


@pytest.mark.parametrize("dtype", CDTYPES)
def test_array_attributes_and_methods(dtype):
    z = grid(dtype)
    x = fnp.asarray(z)
    check(x.real, z.real, exact_zeros=True)
    check(x.imag, z.imag, exact_zeros=True)
    check(x.conj(), z.conj(), exact_zeros=True)
    check(x.conjugate(), z.conjugate(), exact_zeros=True)
    check(abs(x), numpy_of(abs, z))
    check(-x, -z, exact_zeros=True)
    f = fnp.asarray(np.array([1.5, -2.0], np.float32))
    check(f.real, np.float32([1.5, -2.0]))
    check(f.imag, np.float32([0, 0]))


# -- elementwise binary -----------------------------------------------------------------------

BINARY = ["add", "subtract", "multiply", "true_divide", "divide", "power", "float_power",
          "maximum", "minimum", "fmax", "fmin", "equal", "not_equal", "less", "greater_equal",
          "isclose"]
_SECOND = [1.5 - 0.5j, -2.0 + 0.0j, 0.0 + 1.0j, complex(NAN, 1.0), complex(INF, 0.0)]


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_numpy(name, dtype):
    x = grid(dtype)[:, None]
    y = np.array(_SECOND, dtype)[None, :]
    check(getattr(fnp, name)(fnp.asarray(x), fnp.asarray(y)), numpy_of(getattr(np, name), x, y))


@pytest.mark.parametrize("dtype", CDTYPES)
def test_isclose_family(dtype):
    a = finite_values(dtype)
    b = (a + np.asarray(1e-7j, dtype)).astype(dtype)
    for eq_nan in (False, True):
        check(fnp.isclose(fnp.asarray(grid(dtype)), fnp.asarray(grid(dtype)), equal_nan=eq_nan),
              np.isclose(grid(dtype), grid(dtype), equal_nan=eq_nan))
        assert bool(fnp.array_equal(fnp.asarray(grid(dtype)), fnp.asarray(grid(dtype)),
                                    equal_nan=eq_nan)) == eq_nan
    assert bool(fnp.allclose(fnp.asarray(a), fnp.asarray(b))) == np.allclose(a, b)
    assert not bool(fnp.allclose(fnp.asarray(a), fnp.asarray(a + 1j)))


@pytest.mark.parametrize("dtype", CDTYPES)
def test_where_and_clip(dtype):
    z = finite_values(dtype)
    cond = z.real > 0
    check(fnp.where(fnp.asarray(cond), fnp.asarray(z), 1j),
          np.where(cond, z, np.asarray(1j, dtype)))
    check(fnp.clip(fnp.asarray(z), -0.5, 0.5), np.clip(z, -0.5, 0.5))


# -- promotion --------------------------------------------------------------------------------

@pytest.mark.parametrize("make, expected", [
    (lambda: fnp.ones(3, fnp.float32) * 1j, np.complex64),
    (lambda: fnp.ones(3, fnp.float64) * 1j, np.complex128),
    (lambda: fnp.ones(3, fnp.complex64) + fnp.ones(3, fnp.float64), np.complex128),
    (lambda: fnp.ones(3, fnp.int32) + 1j, np.complex64),
    (lambda: fnp.ones(3, fnp.int64) + 1j, np.complex64),
    (lambda: fnp.ones(3, fnp.complex64) * 2.5, np.complex64),
    (lambda: 1j - fnp.ones(3, fnp.complex128), np.complex128),
    (lambda: fnp.ones(3, fnp.complex64) / fnp.ones(3, fnp.int32), np.complex64),
    (lambda: fnp.sqrt(fnp.ones(3, fnp.complex128)), np.complex128),
    (lambda: fnp.abs(fnp.ones(3, fnp.complex64)), np.float32),
    (lambda: fnp.full(3, 1j), np.complex64),
    (lambda: fnp.array([1 + 2j, 3]), np.complex64),
    (lambda: fnp.asarray(np.ones(2, np.complex128)), np.complex128),
    (lambda: fnp.full_like(fnp.ones(2), 1j), np.float32),
    (lambda: fnp.zeros_like(fnp.ones(2, fnp.complex128)), np.complex128),
])
def test_result_dtypes(make, expected):
    assert make().dtype == expected


def test_python_complex_operands_stay_weak():
    x = fnp.ones(2, fnp.complex64)
    for r in (x + 1j, 1j + x, x * 2j, 2j * x, x ** 2, x / 1j):
        assert r.dtype == np.complex64
    check(x * (2 - 1j), np.ones(2, np.complex64) * np.complex64(2 - 1j))


# -- reductions -------------------------------------------------------------------------------

REDUCTIONS = ["sum", "prod", "mean", "var", "std", "max", "min", "argmax", "argmin", "ptp"]


@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_match_numpy(name, dtype, axis):
    z = finite_values(dtype, (3, 5))
    z[1, 2] = z[0, 2].real + 5j  # a tie of the real parts: the order is lexicographic
    expected = getattr(np, name)(z, axis=axis)
    if name.startswith("arg"):
        expected = np.asarray(expected, np.int32)  # fnx's index dtype
    check(getattr(fnp, name)(fnp.asarray(z), axis=axis), expected)


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_cumulative_match_numpy(name, dtype):
    z = finite_values(dtype, (3, 5))
    for axis in (None, 0, 1):
        check(getattr(fnp, name)(fnp.asarray(z), axis=axis), getattr(np, name)(z, axis=axis))


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("name", ["nansum", "nanprod", "nanmean"])
def test_nan_reductions(name, dtype):
    z = finite_values(dtype, (3, 5))
    z[0, 1] = complex(NAN, 1.0)
    z[2, 3] = complex(1.0, NAN)
    for axis in (None, 1):
        check(getattr(fnp, name)(fnp.asarray(z), axis=axis), getattr(np, name)(z, axis=axis))


@pytest.mark.parametrize("dtype", CDTYPES)
def test_reductions_keepdims_where_and_special_values(dtype):
    z = finite_values(dtype, (2, 3))
    where = np.array([[True, False, True], [False, True, True]])
    check(fnp.sum(fnp.asarray(z), axis=1, keepdims=True, where=fnp.asarray(where)),
          np.sum(z, axis=1, keepdims=True, where=where))
    check(fnp.var(fnp.asarray(z), ddof=1), np.var(z, ddof=1))
    g = grid(dtype)
    check(fnp.sum(fnp.asarray(g)), numpy_of(np.sum, g))
    check(fnp.isnan(fnp.mean(fnp.asarray(g))), np.isnan(numpy_of(np.mean, g)))


@pytest.mark.parametrize("n", [0, 1, 2, 5, 7])
def test_prod_of_any_length(n):
    z = (finite_values(np.complex128, (n, 2)) * 0.5 + 1).astype(np.complex128)
    check(fnp.prod(fnp.asarray(z), axis=0), np.prod(z, axis=0))


# -- products ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", CDTYPES)
def test_products_match_numpy(dtype):
    a, b = finite_values(dtype, (3, 4), 1), finite_values(dtype, (4, 2), 2)
    v, w = finite_values(dtype, (4,), 3), finite_values(dtype, (4,), 4)
    check(fnp.matmul(fnp.asarray(a), fnp.asarray(b)), a @ b)
    check(fnp.asarray(a) @ fnp.asarray(b), a @ b)
    check(fnp.dot(fnp.asarray(a), fnp.asarray(v)), np.dot(a, v))
    check(fnp.vdot(fnp.asarray(v), fnp.asarray(w)), np.vdot(v, w))  # conjugates v
    check(fnp.vecdot(fnp.asarray(a), fnp.asarray(v)), np.vecdot(a, v))
    check(fnp.inner(fnp.asarray(v), fnp.asarray(w)), np.inner(v, w))
    check(fnp.outer(fnp.asarray(v), fnp.asarray(w)), np.outer(v, w))
    check(fnp.tensordot(fnp.asarray(a), fnp.asarray(b), 1), np.tensordot(a, b, 1))
    check(fnp.einsum("ij,jk->ik", fnp.asarray(a), fnp.asarray(b)), np.einsum("ij,jk->ik", a, b))
    check(fnp.einsum("ij->", fnp.asarray(a)), np.einsum("ij->", a))
    check(fnp.kron(fnp.asarray(v), fnp.asarray(w)), np.kron(v, w))


def test_matmul_mixed_real_and_complex():
    a = np.ones((2, 3), np.float32)
    b = finite_values(np.complex64, (3, 2))
    check(fnp.asarray(a) @ fnp.asarray(b), (a @ b).astype(np.complex64))


# -- creation and conversion ------------------------------------------------------------------

@pytest.mark.parametrize("dtype", CDTYPES)
def test_creation_with_complex_dtypes(dtype):
    check(fnp.zeros((2, 3), dtype), np.zeros((2, 3), dtype))
    check(fnp.ones(3, dtype), np.ones(3, dtype))
    check(fnp.empty(2, dtype), np.zeros(2, dtype))
    check(fnp.full(3, 1 - 2j, dtype), np.full(3, 1 - 2j, dtype))
    check(fnp.eye(3, k=1, dtype=dtype), np.eye(3, k=1, dtype=dtype))
    check(fnp.zeros_like(fnp.ones(2), dtype=dtype), np.zeros(2, dtype))
    check(fnp.full_like(fnp.ones(2, dtype), 2j), np.full(2, 2j, dtype))
    check(fnp.array([1 + 2j, -3j], dtype), np.array([1 + 2j, -3j], dtype))
    check(fnp.asarray([[1, 2j]], dtype=dtype), np.asarray([[1, 2j]], dtype))
    check(fnp.linspace(0, 1 + 1j, 5, dtype=dtype), np.linspace(0, 1 + 1j, 5, dtype=dtype))
    check(getattr(fnp, np.dtype(dtype).name)([1, 2j]), np.array([1, 2j], dtype))


@pytest.mark.parametrize("args", [(0, 3 + 1j), (1j, 3 + 5j, 1 + 1j), (0, 4j, 1j), (0, 3 + 0j),
                                  (2 + 2j, 0, -0.5 - 0.5j)])
def test_arange_with_complex_arguments(args):
    got = fnp.arange(*args)
    assert got.dtype == np.complex64
    check(got, np.arange(*args).astype(np.complex64))


def test_linspace_with_complex_endpoints():
    check(fnp.linspace(1j, 2 - 1j, 4), np.linspace(1j, 2 - 1j, 4).astype(np.complex64))
    check(fnp.linspace(np.complex128(0), 1, 3, endpoint=False),
          np.linspace(np.complex128(0), 1, 3, endpoint=False))
    y, step = fnp.linspace(0, 2j, 3, retstep=True)
    assert step.dtype == np.complex64 and complex(step) == 1j


@pytest.mark.parametrize("dtype", CDTYPES)
def test_astype_between_complex_and_real(dtype):
    z = grid(dtype)
    x = fnp.asarray(z)
    real_dt = np.float32 if dtype == np.complex64 else np.float64
    check(x.astype(real_dt), z.real.astype(real_dt), exact_zeros=True)  # no ComplexWarning
    check(x.astype(np.bool_), z.astype(np.bool_))
    check(fnp.asarray(z.real).astype(dtype), z.real.astype(dtype), exact_zeros=True)


def test_scalar_types_and_introspection():
    assert fnp.complex_ is fnp.complex128 and fnp.complex64 == np.complex64
    assert fnp.issubdtype(fnp.complex64, fnp.complexfloating)
    assert fnp.issubdtype(fnp.complex128, fnp.inexact)
    assert not fnp.issubdtype(fnp.float32, fnp.complexfloating)
    assert fnp.finfo(fnp.complex64).eps == np.finfo(np.float32).eps
    assert fnp.finfo(fnp.complex128).dtype == np.float64
    assert fnp.complex64(1.5).dtype == np.complex64
    assert fnp.iscomplexobj(fnp.ones(2, fnp.complex64)) and not fnp.iscomplexobj(fnp.ones(2))
    assert fnp.iscomplexobj(1j) and fnp.iscomplexobj(np.ones(2, np.complex128))
    assert fnp.isrealobj(fnp.ones(2)) and not fnp.isrealobj(fnp.zeros(2, fnp.complex128))
    assert fnp.result_type(fnp.float64, 1j) == np.complex128


# -- real_if_close and sort_complex -----------------------------------------------------------

@pytest.mark.parametrize("dtype", CDTYPES)
def test_real_if_close(dtype):
    eps = np.finfo(dtype).eps
    close = np.array([1 + 50 * eps * 1j, 2], dtype)
    far = np.array([1 + 200 * eps * 1j, 2], dtype)
    for z in (close, far):
        check(fnp.real_if_close(fnp.asarray(z)), np.real_if_close(z))
    check(fnp.real_if_close(fnp.asarray(far), tol=1e-3), np.real_if_close(far, tol=1e-3))
    check(fnp.real_if_close(fnp.ones(2)), np.ones(2, np.float32))


@pytest.mark.parametrize("dtype", CDTYPES)
def test_sort_complex_is_lexicographic_with_nan_last(dtype):
    z = np.array([2 + 1j, complex(NAN, 0), 1 + 3j, 1 - 1j, complex(1, NAN), -1 + 0j,
                  complex(NAN, NAN), complex(-INF, 2)], dtype)
    check(fnp.sort_complex(fnp.asarray(z)), np.sort_complex(z))
    m = finite_values(dtype, (2, 5))
    check(fnp.sort_complex(fnp.asarray(m)), np.sort_complex(m))


def test_sort_complex_of_reals_is_complex():
    x = np.array([3.0, -1.0, 2.0], np.float32)
    check(fnp.sort_complex(fnp.asarray(x)), np.sort(x).astype(np.complex64))  # jax.numpy's dtype
    check(fnp.sort_complex(fnp.asarray(x.astype(np.float64))), np.sort_complex(x))


# -- errors -----------------------------------------------------------------------------------

REAL_ONLY_UNARY = ["floor", "ceil", "trunc", "fix", "signbit", "isposinf", "isneginf", "cbrt",
                   "fabs", "deg2rad", "rad2deg"]
REAL_ONLY_BINARY = ["fmod", "remainder", "floor_divide", "arctan2", "hypot", "copysign",
                    "nextafter", "heaviside", "logaddexp", "logaddexp2", "bitwise_and",
                    "bitwise_or", "left_shift"]


@pytest.mark.parametrize("name", REAL_ONLY_UNARY + REAL_ONLY_BINARY + ["bitwise_not", "median",
                                                                       "quantile"])
def test_functions_numpy_defines_for_reals_reject_complex(name):
    x = fnp.ones(3, fnp.complex64)
    fn = getattr(fnp, name)
    args = (x, x) if name in REAL_ONLY_BINARY else (x, 0.5) if name == "quantile" else (x,)
    with pytest.raises(DTypeError, match=f"{name}.*complex64"):
        fn(*args)


def test_complex_in_traced_code():
    """The complex paths are lax code: they trace and jit like the real ones."""
    z = finite_values(np.complex64, (4,))
    f = fnx.jit(lambda x: fnp.sum(fnp.abs(x) + fnp.real(x * 1j)) + fnp.prod(x).imag)
    expected = np.sum(np.abs(z) + np.real(z * 1j)) + np.prod(z).imag
    np.testing.assert_allclose(float(f(fnp.asarray(z))), expected, rtol=1e-5)
