"""fnx.lax's incomplete gamma / beta / zeta family (igamma, igammac, igamma_grad_a,
random_gamma_grad, zeta, polygamma, betainc) and fnx.scipy.special's gammainc, gammaincc,
betainc, zeta, polygamma: values against mpmath (spec points, including large a, x near a and
tails where Q is tiny, and hypothesis inputs), derivatives with check_grads (and dP/da against
mpmath.diff), jit == eager, vmap == a Python loop, the native kernels == the reference oracle,
the directions JAX does not differentiate raise, bad input raises."""
from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

import fnx
import fnx.lax as lax
import fnx.numpy as fnp
import fnx.scipy.special as special
from fnx.backends import get_impl
from fnx.errors import DerivativeNotImplementedError, FnxError
from fnx.test_util import check_grads



@pytest.fixture(autouse=True, scope="module")
def _mpmath_precision():
    """mpmath's Hurwitz zeta loses digits for large q at 30 (zeta(17, 46) to 1e-9): 60.  Set
    for this module's tests only -- mpmath's precision is one global, and another module's
    setting must neither leak in (zeta(21, 58) at 40 digits is off by 1e-11) nor out."""
    with mpmath.workdps(60):
        yield


def f64(values):
    return fnp.asarray(np.asarray(values, np.float64))


def mp_values(fn, *columns):
    """mpmath's ``fn`` on each row of the columns, as float64."""
    return np.array([float(fn(*(mpmath.mpf(float(v)) for v in row)))
                     for row in zip(*columns)], np.float64)


def mp_P(a, x):
    return mpmath.gammainc(a, 0, x, regularized=True)


def mp_Q(a, x):
    return mpmath.gammainc(a, x, mpmath.inf, regularized=True)


def mp_dP_da(a, x):
    """By differences of the smaller of P and Q = 1 - P (P ~ 1 - 1e-40 has no digits left for
    a difference at 30 digits)."""
    if x > a:
        return -mpmath.diff(lambda s: mp_Q(s, x), a)
    return mpmath.diff(lambda s: mp_P(s, x), a)


def mp_sample_da(a, x):
    density = mpmath.exp(-x + (a - 1) * mpmath.log(x) - mpmath.loggamma(a))
    return -mp_dP_da(a, x) / density


def mp_zeta(s, q):
    """Hurwitz zeta at 60 digits.  For q > 100 mpmath.zeta drifts with the precision (zeta(60,
    1e4): 1e-12 relative apart at 60, 150 and 200 digits), so there the oracle is the
    Euler-Maclaurin formula evaluated in mpmath with exact Bernoulli numbers, 30 terms (at
    q > 100 its remainder is below 1e-60)."""
    if q <= 100:
        return mpmath.zeta(s, q)
    s, q = mpmath.mpf(s), mpmath.mpf(q)
    value = q ** (1 - s) / (s - 1) + q ** -s / 2
    for j in range(1, 31):
        value += (mpmath.bernoulli(2 * j) / mpmath.factorial(2 * j) * mpmath.rf(s, 2 * j - 1)
                  * q ** (-s - 2 * j + 1))
    return value


def mp_betainc(a, b, x):
    return mpmath.betainc(a, b, 0, x, regularized=True)


def grid(a_values, x_values):
    pairs = list(itertools.product(a_values, x_values))
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


# ---------------------------------------------------------------------------------------------
# values at spec points
# ---------------------------------------------------------------------------------------------

# small / moderate / large a, x far below, near and far above a
GAMMA_A, GAMMA_X = grid([0.1, 0.5, 1.0, 2.5, 9.0, 30.0, 50.0, 200.0, 1000.0],
                        [0.01, 0.3, 1.0, 2.9, 9.5, 30.0, 52.0, 60.0, 190.0, 1001.0])
# x exactly at and around a for large a (the slowest region of both expansions)
NEAR_A = np.array([100.0, 100.0, 500.0, 500.0, 2000.0, 2000.0])
NEAR_X = np.array([100.0, 101.0, 499.0, 525.0, 2000.0, 1950.0])


@pytest.mark.parametrize("fn, ref", [(lax.igamma, mp_P), (lax.igammac, mp_Q)],
                         ids=["igamma", "igammac"])
def test_incomplete_gamma_spec_points(fn, ref):
    a = np.concatenate([GAMMA_A, NEAR_A])
    x = np.concatenate([GAMMA_X, NEAR_X])
    got = np.asarray(fn(f64(a), f64(x)))
    np.testing.assert_allclose(got, mp_values(ref, a, x), rtol=1e-11, atol=1e-300)


def test_upper_tail_keeps_relative_accuracy():
    """Q where P rounds to 1: from the continued fraction, not 1 - P."""
    a = np.array([1.0, 0.5, 5.0, 30.0, 2.0])
    x = np.array([600.0, 100.0, 200.0, 300.0, 700.0])
    q = np.asarray(lax.igammac(f64(a), f64(x)))
    expected = mp_values(mp_Q, a, x)
    assert np.all(expected < 1e-40)
    np.testing.assert_allclose(q, expected, rtol=1e-12)
    np.testing.assert_array_equal(np.asarray(lax.igamma(f64(a), f64(x))), 1.0)


def test_lower_tail_keeps_relative_accuracy():
    a = np.array([50.0, 100.0, 20.0])
    x = np.array([0.01, 1.0, 1e-8])
    p = np.asarray(lax.igamma(f64(a), f64(x)))
    np.testing.assert_allclose(p, mp_values(mp_P, a, x), rtol=1e-12)


def test_igamma_grad_a_matches_mpmath_derivative():
    """The brief's range: a in [0.1, 50], x in [0.01, 60], to 1e-6 (it does far better)."""
    a, x = grid([0.1, 0.3, 1.0, 3.7, 12.0, 50.0], [0.01, 0.2, 1.0, 4.0, 11.5, 35.0, 60.0])
    got = np.asarray(lax.igamma_grad_a(f64(a), f64(x)))
    np.testing.assert_allclose(got, mp_values(mp_dP_da, a, x), rtol=1e-10, atol=1e-300)
    # igammac's derivative in a is its negative
    got_q = np.asarray(fnx.vmap(fnx.grad(lax.igammac))(f64(a), f64(x)))
    np.testing.assert_allclose(got_q, -got, rtol=1e-14)


def test_random_gamma_grad_matches_implicit_derivative():
    a, x = grid([0.1, 0.6, 2.0, 10.0, 45.0], [0.001, 0.5, 2.0, 9.0, 44.0, 80.0])
    got = np.asarray(lax.random_gamma_grad(f64(a), f64(x)))
    np.testing.assert_allclose(got, mp_values(mp_sample_da, a, x), rtol=1e-10)


def test_random_gamma_grad_in_far_tails_does_not_underflow():
    """-(dP/da) / (dP/dx) with both factors below the float range: the kernel divides out
    the common prefactor, so the ratio stays finite."""
    a = np.array([300.0, 1.0])
    x = np.array([1.0, 900.0])  # dP/dx ~ 1e-600 and 1e-390
    got = np.asarray(lax.random_gamma_grad(f64(a), f64(x)))
    np.testing.assert_allclose(got, mp_values(mp_sample_da, a, x), rtol=1e-10)


ZETA_S, ZETA_Q = grid([1.001, 1.5, 2.0, 3.0, 4.5, 10.0, 31.0, 60.0],
                      [0.01, 0.3, 1.0, 2.5, 8.9, 9.5, 20.0, 1e4])


def test_zeta_spec_points():
    got = np.asarray(lax.zeta(f64(ZETA_S), f64(ZETA_Q)))
    np.testing.assert_allclose(got, mp_values(mp_zeta, ZETA_S, ZETA_Q), rtol=1e-13)


def test_zeta_negative_q_integer_s():
    s = np.array([2.0, 3.0, 4.0, 2.0])
    q = np.array([-2.5, -0.5, -1.25, -7.75])
    got = np.asarray(lax.zeta(f64(s), f64(q)))
    np.testing.assert_allclose(got, mp_values(mp_zeta, s, q), rtol=1e-12)


def test_polygamma_spec_points():
    m, x = grid([0.0, 1.0, 2.0, 3.0, 6.0], [0.05, 0.5, 1.0, 3.3, 10.0, 75.0, -1.5, -0.25])
    got = np.asarray(lax.polygamma(f64(m), f64(x)))
    expected = mp_values(lambda m, x: mpmath.polygamma(int(m), x), m, x)
    np.testing.assert_allclose(got, expected, rtol=1e-11)
    for k in (0, 1, 6):  # a Python int order
        np.testing.assert_allclose(np.asarray(special.polygamma(k, f64(x[:8]))),
                                   expected[m == k], rtol=1e-11)


BETA_A, BETA_B, BETA_X = (np.array(v) for v in zip(*itertools.product(
    [0.2, 1.0, 2.5, 30.0, 400.0], [0.5, 3.0, 80.0], [0.001, 0.1, 0.5, 0.93, 0.999])))


def test_betainc_spec_points():
    got = np.asarray(lax.betainc(f64(BETA_A), f64(BETA_B), f64(BETA_X)))
    expected = mp_values(mp_betainc, BETA_A, BETA_B, BETA_X)
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-300)


def test_edge_values():
    nan, inf = math.nan, math.inf
    p = np.asarray(lax.igamma(f64([0.0, -1.0, 2.0, 2.0, 2.0, nan, inf]),
                              f64([1.0, 1.0, -0.5, 0.0, inf, 1.0, 1.0])))
    np.testing.assert_array_equal(p, [nan, nan, nan, 0.0, 1.0, nan, nan])
    q = np.asarray(lax.igammac(f64([2.0, 2.0]), f64([0.0, inf])))
    np.testing.assert_array_equal(q, [1.0, 0.0])
    z = np.asarray(lax.zeta(f64([1.0, 0.5, 2.0, 2.0, 2.5, nan]),
                            f64([1.0, 1.0, 0.0, -3.0, -0.5, 1.0])))
    np.testing.assert_array_equal(z, [inf, nan, inf, inf, nan, nan])
    i = np.asarray(lax.betainc(f64([2.0, 2.0, 0.0, 2.0, 2.0]), f64([3.0, 3.0, 1.0, -1.0, 3.0]),
                               f64([0.0, 1.0, 0.5, 0.5, 1.5])))
    np.testing.assert_array_equal(i, [0.0, 1.0, nan, nan, nan])
    poly = np.asarray(lax.polygamma(f64([1.5, -1.0]), f64([2.0, 2.0])))
    assert np.all(np.isnan(poly))


def test_riemann_zeta():
    x = np.array([2.0, 3.0, 1.5, 12.0])
    np.testing.assert_allclose(np.asarray(special.zeta(f64(x))),
                               [float(mpmath.zeta(v)) for v in x], rtol=1e-14)


# ---------------------------------------------------------------------------------------------
# hypothesis inputs
# ---------------------------------------------------------------------------------------------

positive = st.floats(0.05, 80.0)


@settings(max_examples=15, deadline=None)
@given(a=positive, x=st.floats(0.0, 120.0))
def test_incomplete_gamma_random(a, x):
    p = float(np.asarray(special.gammainc(f64(a), f64(x))))
    q = float(np.asarray(special.gammaincc(f64(a), f64(x))))
    assert math.isclose(p, float(mp_P(a, x)), rel_tol=1e-11, abs_tol=1e-300)
    assert math.isclose(q, float(mp_Q(a, x)), rel_tol=1e-11, abs_tol=1e-300)


@settings(max_examples=10, deadline=None)
@given(a=st.floats(0.1, 50.0), x=st.floats(0.01, 60.0))
def test_igamma_grad_a_random(a, x):
    got = float(np.asarray(lax.igamma_grad_a(f64(a), f64(x))))
    assert math.isclose(got, float(mp_dP_da(a, x)), rel_tol=1e-8, abs_tol=1e-300)


@settings(max_examples=15, deadline=None)
@given(s=st.floats(1.01, 40.0), q=st.floats(0.01, 100.0))
@example(s=21.0, q=58.0)   # once failed: another module had left mpmath at 40 digits
def test_zeta_random(s, q):
    got = float(np.asarray(special.zeta(f64(s), f64(q))))
    assert math.isclose(got, float(mp_zeta(s, q)), rel_tol=1e-12)


@settings(max_examples=15, deadline=None)
@given(a=st.floats(0.1, 60.0), b=st.floats(0.1, 60.0), x=st.floats(0.0, 1.0))
def test_betainc_random(a, b, x):
    got = float(np.asarray(special.betainc(f64(a), f64(b), f64(x))))
    assert math.isclose(got, float(mp_betainc(a, b, x)), rel_tol=1e-10, abs_tol=1e-300)


@settings(max_examples=10, deadline=None)
@given(m=st.integers(0, 5), x=st.floats(0.05, 30.0))
def test_polygamma_random(m, x):
    got = float(np.asarray(special.polygamma(m, f64(x))))
    assert math.isclose(got, float(mpmath.polygamma(m, x)), rel_tol=1e-11)


def test_float32_rounds_the_double_result():
    a, x = GAMMA_A[:40], GAMMA_X[:40]
    got = np.asarray(special.gammainc(fnp.asarray(a.astype(np.float32)),
                                      fnp.asarray(x.astype(np.float32))))
    assert got.dtype == np.float32
    a32, x32 = a.astype(np.float32).astype(np.float64), x.astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(got, mp_values(mp_P, a32, x32).astype(np.float32), rtol=3e-7,
                               atol=1e-37)
    b = np.asarray(special.betainc(fnp.asarray(np.float32(2.0)), fnp.asarray(np.float32(3.0)),
                                   fnp.asarray(np.float32([0.25, 0.5]))))
    assert b.dtype == np.float32
    np.testing.assert_allclose(b, [float(mp_betainc(2, 3, v)) for v in (0.25, 0.5)], rtol=3e-7)


# ---------------------------------------------------------------------------------------------
# derivatives
# ---------------------------------------------------------------------------------------------

A = f64([0.7, 2.5, 9.0])
X = f64([0.4, 3.1, 7.0])


def test_gammainc_grads():
    check_grads(lambda x: special.gammainc(A, x), (X,), order=2)
    check_grads(lambda x: special.gammaincc(A, x), (X,), order=2)
    check_grads(lambda a: special.gammainc(a, X), (A,), order=1)
    check_grads(lambda a: special.gammaincc(a, X), (A,), order=1)
    check_grads(lambda a, x: special.gammainc(a, x), (A, X), order=1)


def test_igamma_grad_a_derivative_in_x():
    check_grads(lambda x: lax.igamma_grad_a(A, x), (X,), order=1)


def test_zeta_polygamma_grads():
    check_grads(lambda q: special.zeta(f64([2.0, 3.5, 5.0]), q), (f64([0.5, 1.7, 4.0]),), order=2)
    check_grads(lambda x: special.polygamma(2, x), (f64([0.6, 2.0, 5.5]),), order=2)
    m = f64([0.0, 1.0, 3.0])
    check_grads(lambda x: lax.polygamma(m, x), (f64([0.6, 2.0, 5.5]),), order=1)
    # d/dx polygamma(m, x) == polygamma(m + 1, x)
    x = f64([0.6, 2.0, 5.5])
    grad = fnx.vmap(fnx.grad(lax.polygamma, argnums=1))(m, x)
    np.testing.assert_allclose(np.asarray(grad), np.asarray(lax.polygamma(m + 1.0, x)),
                               rtol=1e-13)


def test_betainc_grad_in_x():
    a, b = f64([0.8, 2.0, 30.0]), f64([1.5, 4.0, 20.0])
    check_grads(lambda x: special.betainc(a, b, x), (f64([0.3, 0.55, 0.62]),), order=1)


def test_not_differentiable_directions_raise():
    x = f64(2.0)
    with pytest.raises(DerivativeNotImplementedError, match="zeta.*x"):
        fnx.grad(lambda s: lax.zeta(s, x))(f64(3.0))
    with pytest.raises(DerivativeNotImplementedError, match="betainc.*a"):
        fnx.grad(lambda a: lax.betainc(a, x, f64(0.5)))(f64(1.0))
    with pytest.raises(DerivativeNotImplementedError, match="betainc.*b"):
        fnx.grad(lambda b: special.betainc(x, b, 0.5))(f64(1.0))
    with pytest.raises(DerivativeNotImplementedError, match="polygamma.*m"):
        fnx.grad(lambda m: lax.polygamma(m, x))(f64(1.0))
    with pytest.raises(DerivativeNotImplementedError, match="random_gamma_grad"):
        fnx.grad(lambda a: lax.random_gamma_grad(a, x))(f64(1.0))
    with pytest.raises(DerivativeNotImplementedError, match="igamma_grad_a.*a"):
        fnx.grad(fnx.grad(lambda a: lax.igamma(a, x)))(f64(1.0))


# ---------------------------------------------------------------------------------------------
# jit, vmap, kernels == reference
# ---------------------------------------------------------------------------------------------

FUNCTIONS = {
    "gammainc": (special.gammainc, (A, X)),
    "gammaincc": (special.gammaincc, (A, X)),
    "igamma_grad_a": (lax.igamma_grad_a, (A, X)),
    "random_gamma_grad": (lax.random_gamma_grad, (A, X)),
    "zeta": (special.zeta, (f64([2.0, 3.5, 5.0]), f64([0.5, 1.7, 4.0]))),
    "polygamma": (lax.polygamma, (f64([0.0, 1.0, 3.0]), f64([0.5, 1.7, 4.0]))),
    "betainc": (special.betainc, (f64([0.5, 2.0, 40.0]), f64([3.0, 1.0, 35.0]),
                                  f64([0.2, 0.7, 0.55]))),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_jit_equals_eager(name):
    fn, args = FUNCTIONS[name]
    np.testing.assert_allclose(np.asarray(fnx.jit(fn)(*args)), np.asarray(fn(*args)),
                               rtol=1e-15)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_vmap_equals_loop(name):
    fn, args = FUNCTIONS[name]
    batched = np.asarray(fnx.vmap(fn)(*args))
    looped = [np.asarray(fn(*(a[i] for a in args))) for i in range(args[0].shape[0])]
    np.testing.assert_allclose(batched, np.stack(looped), rtol=1e-15)


def test_vmap_of_betainc_with_one_slow_element():
    """The batched while loop runs until the slowest element converges; the others keep
    their converged value."""
    a, b, x = f64([0.5, 900.0]), f64([0.5, 1000.0]), f64([0.3, 0.47])
    expected = mp_values(mp_betainc, [0.5, 900.0], [0.5, 1000.0], [0.3, 0.47])
    np.testing.assert_allclose(np.asarray(fnx.vmap(lax.betainc)(a, b, x)), expected,
                               rtol=1e-10)


@pytest.mark.parametrize("prim", [lax.igamma_p, lax.igammac_p, lax.igamma_grad_a_p,
                                  lax.random_gamma_grad_p, lax.zeta_p], ids=lambda p: p.name)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cpu_kernel_equals_reference(prim, dtype):
    a, x = grid([0.25, 1.5, 7.0, 33.0], [0.0, 0.125, 1.0, 6.5, 40.0])
    if prim is lax.zeta_p:
        a = a + 1.0
    args = (fnp.asarray(a.astype(dtype)), fnp.asarray(x.astype(dtype)))
    cpu = np.asarray(get_impl("cpu", prim)(*args))
    ref = np.asarray(get_impl("reference", prim)(*args))
    rtol = 1e-11 if dtype == np.float64 else 4e-7
    np.testing.assert_allclose(cpu, ref, rtol=rtol, atol=1e-300)


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------

def test_bad_input_errors():
    ints = fnp.asarray(np.array([1, 2], np.int32))
    with pytest.raises(FnxError, match="igamma.*int32"):
        lax.igamma(ints, ints)
    with pytest.raises(FnxError, match="zeta"):
        lax.zeta(f64([1.0, 2.0]), f64([1.0, 2.0, 3.0]))
    with pytest.raises(FnxError, match="betainc"):
        lax.betainc(f64([1.0, 2.0]), fnp.asarray(np.float32([1.0, 2.0])), f64([0.5, 0.5]))
    with pytest.raises(FnxError, match="betainc"):
        lax.betainc(f64([1.0, 2.0]), f64([1.0, 2.0, 3.0]), f64(0.5))
    with pytest.raises(FnxError, match="polygamma"):
        special.polygamma(-1, f64(2.0))
    with pytest.raises(FnxError, match="polygamma"):
        lax.polygamma(ints, ints)
    with pytest.raises(FnxError, match="gammainc"):
        special.gammainc(f64([1.0, 2.0]), f64([1.0, 2.0, 3.0]))
    with pytest.raises(FnxError, match="igamma.*complex"):
        special.gammainc(fnp.asarray(np.complex128(1.0)), 2.0)
