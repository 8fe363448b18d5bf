"""``jax.scipy.special``'s remaining functions (issue 21 follow-up), re-exported by
fnx.scipy.special: erfcx, dawsn, exp1 / expi / expn, sici, fresnel, spence, owens_t, comb,
boxcox / boxcox1p, bernoulli, loggamma, hyp1f1.

Each is a real-float function built from fnx.numpy / fnx.lax pieces: power series where they
converge without cancellation, continued fractions evaluated backwards from a fixed depth
(the depth chosen so the fraction has converged at the switch point, where it converges
slowest), asymptotic series far out.  Every branch is fed a stand-in where it is not taken,
so no inf / NaN leaks into values or gradients through ``where``.  Derivatives are custom
JVPs from the closed forms (erfcx' = 2x erfcx - 2/sqrt(pi), E_n' = -E_(n-1), ...), so they
are exact to the function's accuracy and never differentiate a truncated series."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .. import dtypes, lax
from .. import numpy as fnp
from ..errors import DTypeError, InvalidArgumentError
from ..interpreters.custom import custom_jvp
from ..numpy._util import promote
from .special import _gammasgn, _real_float, ndtr

__all__ = ["erfcx", "dawsn", "exp1", "expi", "expn", "sici", "fresnel", "spence", "owens_t",
           "comb", "boxcox", "boxcox1p", "bernoulli", "loggamma", "hyp1f1", "hyp2f1", "wofz",
           "sph_harm_y"]

_EULER = 0.57721566490153286060651209
_SQRT_PI = math.sqrt(math.pi)
_PI2_6 = math.pi ** 2 / 6


def _args(name, *xs):
    """Real float operands of one dtype and shape; strong when the result type is (a Python
    scalar next to a float64 array would otherwise stay a weak float64 array, which the next
    Python-scalar operation drops to float32)."""
    xs = _real_float(name, *xs)
    if any(not getattr(x, "weak_type", False) for x in xs):
        xs = [lax.convert_element_type(x, x.dtype, weak_type=False)
              if getattr(x, "weak_type", False) else x for x in xs]
    return xs


def _stand_in(mask, x, value):
    return fnp.where(mask, x, fnp.full_like(x, value))


def _split(x):
    """Veltkamp's split x = hi + lo with hi holding half the mantissa, so hi * hi is exact."""
    factor = 134217729.0 if x.dtype == dtypes.float64 else 4097.0
    c = factor * x
    hi = c - (c - x)
    return hi, x - hi


def _exp_square(x, sign):
    """``exp(sign * x^2)`` without the rounding of x^2 (which exp would amplify by x^2)."""
    hi, lo = _split(x)
    return fnp.exp(sign * hi * hi) * fnp.exp(sign * (2.0 * hi * lo + lo * lo))


# -- erfcx, dawsn ---------------------------------------------------------------------------

_ERFCX_SWITCH = 2.0
_ERFCX_DEPTH = 60     # the fraction's error at x = 2 after 60 levels is < 1e-17


def _erfcx_fraction(x):
    """``erfcx(x) = 1 / (sqrt(pi) (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))))``, x >= 2."""
    t = x
    for k in range(_ERFCX_DEPTH, 0, -1):
        t = x + (0.5 * k) / t
    return 1.0 / (_SQRT_PI * t)


@custom_jvp
def _erfcx(x):
    large = x >= _ERFCX_SWITCH
    x_small = _stand_in(~large, x, 0.0)
    x_large = _stand_in(large, x, _ERFCX_SWITCH)
    # below the switch erfc keeps relative precision and exp(x^2) is exact to rounding
    direct = _exp_square(x_small, 1.0) * lax.erfc(x_small)
    return fnp.where(large, _erfcx_fraction(x_large), direct)


@_erfcx.defjvp
def _erfcx_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    y = _erfcx(x)
    return y, dx * (2.0 * x * y - 2.0 / _SQRT_PI)


def erfcx(x):
    """The scaled complementary error function ``exp(x^2) erfc(x)``: accurate for large x
    (a continued fraction, ~ 1 / (x sqrt(pi))), inf once exp(x^2) overflows for x < 0."""
    (x,) = _args("erfcx", x)
    return _erfcx(x)


_DAWSON_SWITCH = 6.0
_DAWSON_TERMS = 110     # sum_n x^2n / (n! (2n + 1)) at x = 6: terms past n = 100 are < eps
_DAWSON_ASYMPTOTIC = 30  # (2n - 1)!! / (2 x^2)^n at x = 6, n = 30: < 1e-17


def _dawson_series(x):
    """``x exp(-x^2) sum_n x^2n / (n! (2n + 1))`` (Kummer's transformation of x 1F1(1; 3/2;
    -x^2): every term positive, so no cancellation), |x| <= 6."""
    x2 = x * x

    def body(n, state):
        total, term = state
        term = term * x2 / n
        return total + term / (2 * n + 1), term

    total, _ = lax.fori_loop(1, _DAWSON_TERMS, body, (fnp.ones_like(x), fnp.ones_like(x)))
    return x * _exp_square(x, -1.0) * total


def _dawson_asymptotic(x):
    """``1 / (2x) sum_n (2n - 1)!! / (2 x^2)^n``, |x| > 6."""
    w = 1.0 / (2.0 * x * x)
    total = fnp.ones_like(x)
    for n in range(_DAWSON_ASYMPTOTIC, 0, -1):
        total = 1.0 + (2 * n - 1) * w * total
    return total / (2.0 * x)


@custom_jvp
def _dawsn(x):
    far = fnp.abs(x) > _DAWSON_SWITCH
    return fnp.where(far, _dawson_asymptotic(_stand_in(far, x, 2 * _DAWSON_SWITCH)),
                     _dawson_series(_stand_in(~far, x, 0.0)))


@_dawsn.defjvp
def _dawsn_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    y = _dawsn(x)
    return y, dx * (1.0 - 2.0 * x * y)


def dawsn(x):
    """Dawson's integral ``exp(-x^2) int_0^x exp(t^2) dt``."""
    (x,) = _args("dawsn", x)
    return _dawsn(x)


# -- exponential integrals ------------------------------------------------------------------

_E1_SERIES_TERMS = 25       # x^k / (k k!) at x = 1, k = 25: < 1e-26
_E1_DEPTH = 150             # the fraction at x = 1 after 150 levels: converged to eps


def _e1_series(x):
    """``-gamma - log x - sum_k (-x)^k / (k k!)``, 0 < x <= 1."""
    total = fnp.zeros_like(x)
    term = fnp.ones_like(x)
    for k in range(1, _E1_SERIES_TERMS):
        term = -term * x / k
        total = total + term / k
    return -_EULER - fnp.log(x) - total


def _en_fraction(n, x):
    """``E_n(x) = exp(-x) / (x + n - 1 n / (x + n + 2 - 2 (n + 1) / (x + n + 4 - ...)))``
    for x >= 1, from the bottom up."""
    t = x + n + 2.0 * _E1_DEPTH
    for k in range(_E1_DEPTH, 0, -1):
        t = x + n + 2.0 * (k - 1) - k * (n + k - 1) / t
    return fnp.exp(-x) / t


@custom_jvp
def _exp1(x):
    series = x <= 1
    value = fnp.where(series, _e1_series(_stand_in(series & (x > 0), x, 0.5)),
                      _en_fraction(1.0, _stand_in(~series, x, 2.0)))
    value = fnp.where(x == 0, fnp.full_like(x, math.inf), value)
    return fnp.where(x < 0, fnp.full_like(x, math.nan), value)


@_exp1.defjvp
def _exp1_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return _exp1(x), dx * (-fnp.exp(-x) / x)


def exp1(x):
    """The exponential integral ``E1(x) = int_x^inf exp(-t) / t dt`` for x > 0 (inf at 0, NaN
    for x < 0, as scipy's real version)."""
    (x,) = _args("exp1", x)
    return _exp1(x)


_EI_SWITCH = 40.0
_EI_SERIES_TERMS = 160      # x^k / (k k!) relative to e^x at x = 40 beyond k = 150: < eps
_EI_ASYMPTOTIC = 40         # k! / x^k is smallest near k = x: e^-40 at x = 40


def _ei_series(x):
    """``gamma + log x + sum_k x^k / (k k!)``, 0 < x <= 40 (positive terms)."""
    def body(k, state):
        total, term = state
        term = term * x / k
        return total + term / k, term

    total, _ = lax.fori_loop(1, _EI_SERIES_TERMS, body, (fnp.zeros_like(x), fnp.ones_like(x)))
    return _EULER + fnp.log(x) + total


def _ei_asymptotic(x):
    """``exp(x) / x sum_k k! / x^k``, x > 40."""
    total = fnp.ones_like(x)
    for k in range(_EI_ASYMPTOTIC, 0, -1):
        total = 1.0 + k / x * total
    return fnp.exp(x) / x * total


@custom_jvp
def _expi(x):
    positive = x > 0
    big = x > _EI_SWITCH
    pos = fnp.where(big, _ei_asymptotic(_stand_in(big, x, 2 * _EI_SWITCH)),
                    _ei_series(_stand_in(positive & ~big, x, 1.0)))
    neg = -_exp1(_stand_in(x < 0, -x, 1.0))
    value = fnp.where(positive, pos, neg)
    return fnp.where(x == 0, fnp.full_like(x, -math.inf), value)


@_expi.defjvp
def _expi_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return _expi(x), dx * fnp.exp(x) / x


def expi(x):
    """The exponential integral ``Ei(x) = -PV int_-x^inf exp(-t) / t dt`` (-E1(-x) for x < 0,
    -inf at 0).  Absolute (not relative) accuracy next to its zero x = 0.3725..."""
    (x,) = _args("expi", x)
    return _expi(x)


def _en_series(n, x):
    """E_n(x) for 0 < x <= 1, n >= 1 (Abramowitz & Stegun 5.1.12):
    ``(-x)^(n-1) / (n-1)! (psi(n) - log x) - sum_{k != n-1} (-x)^k / ((k - n + 1) k!)``."""
    total = fnp.zeros_like(x)
    term = fnp.ones_like(x)                        # (-x)^k / k!
    for k in range(_E1_SERIES_TERMS):
        if k:
            term = -term * x / k
        denominator = k - n + 1.0
        skip = denominator == 0
        total = total - fnp.where(skip, fnp.zeros_like(x), term / _stand_in(~skip, denominator, 1.0))
    log_lead = (n - 1) * fnp.log(x) - lax.lgamma(n)
    sign = fnp.where(fnp.remainder(n - 1, 2.0) == 1, -fnp.ones_like(x), fnp.ones_like(x))
    return sign * fnp.exp(log_lead) * (lax.digamma(n) - fnp.log(x)) + total


@custom_jvp
def _expn(n, x):
    invalid = (n < 0) | (n != fnp.floor(n)) | (x < 0) | fnp.isnan(x) | fnp.isnan(n)
    n_ok = _stand_in(~invalid & (n >= 1), n, 1.0)
    series = x <= 1
    value = fnp.where(series, _en_series(n_ok, _stand_in(series & (x > 0), x, 0.5)),
                      _en_fraction(n_ok, _stand_in(~series, x, 2.0)))
    x_pos = _stand_in(x > 0, x, 1.0)
    value = fnp.where(n == 0, fnp.exp(-x_pos) / x_pos, value)
    at_zero = fnp.where(n <= 1, fnp.full_like(x, math.inf), 1.0 / (n_ok - 1.0 + (n <= 1)))
    value = fnp.where(x == 0, at_zero, value)
    return fnp.where(invalid, fnp.full_like(x, math.nan), value)


@_expn.defjvp
def _expn_jvp(primals, tangents):
    (n, x), (_, dx) = primals, tangents
    # d/dx E_n = -E_(n-1); E_-1(x) = (1 + x) exp(-x) / x^2 completes n = 0
    lower = fnp.where(n >= 1, _expn(fnp.maximum(n - 1.0, 0.0), x),
                      (1.0 + x) * fnp.exp(-x) / (x * x))
    return _expn(n, x), -dx * lower


def expn(n, x):
    """The generalized exponential integral ``E_n(x) = int_1^inf exp(-x t) / t^n dt`` for
    integer n >= 0 and x >= 0 (NaN for negative or non-integer n, x < 0).  Differentiable in
    x."""
    n, x = _args("expn", n, x)
    return _expn(lax.stop_gradient(n), x)


# -- sine / cosine and Fresnel integrals: series near 0, complex continued fractions beyond --

_SICI_SWITCH = 4.0
_SICI_TERMS = 26        # x^(2k) / (2k)! at x = 4, 2k = 50: < 1e-33 of the sums
_SICI_DEPTH = 90        # E1(ix) fraction at x = 4 after 90 levels: converged


def _sici_series(x):
    """(Si, Ci) by their power series, 0 < x <= 4."""
    x2 = x * x
    si_total, ci_total = fnp.zeros_like(x), fnp.zeros_like(x)
    term = x                                      # (-1)^k x^(2k+1) / (2k+1)!
    for k in range(_SICI_TERMS):
        si_total = si_total + term / (2 * k + 1)
        term_even = -term * x / (2 * k + 2)       # (-1)^(k+1) x^(2k+2) / (2k+2)!
        ci_total = ci_total + term_even / (2 * k + 2)
        term = term_even * x / (2 * k + 3)
    return si_total, _EULER + fnp.log(x) + ci_total


def _complex_dtype(x):
    return dtypes.complex128 if x.dtype == dtypes.float64 else dtypes.complex64


def _sici_fraction(x):
    """(Si, Ci) from E1(ix) = -Ci(x) + i (Si(x) - pi/2), E1's fraction in complex, x > 4."""
    z = lax.complex(fnp.zeros_like(x), x)
    t = z + (2.0 * _SICI_DEPTH + 1.0)
    for k in range(_SICI_DEPTH, 0, -1):
        t = z + (2.0 * k - 1.0) - (k * k) / t
    # exp(-ix) / t with exp(-ix) = cos x - i sin x
    e1 = lax.complex(fnp.cos(x), -fnp.sin(x)) / t
    return math.pi / 2 + fnp.imag(e1), -fnp.real(e1)


@custom_jvp
def _sici(x):
    ax = fnp.abs(x)
    near = ax <= _SICI_SWITCH
    si_near, ci_near = _sici_series(_stand_in(near & (ax > 0), ax, 1.0))
    far = ~near & fnp.isfinite(ax)
    si_far, ci_far = _sici_fraction(_stand_in(far, ax, 2 * _SICI_SWITCH))
    si = fnp.where(near, si_near, fnp.where(far, si_far, fnp.full_like(x, math.pi / 2)))
    ci = fnp.where(near, ci_near, fnp.where(far, ci_far, fnp.zeros_like(x)))
    si = fnp.where(x == 0, fnp.zeros_like(x), fnp.sign(x) * si)
    ci = fnp.where(x == 0, fnp.full_like(x, -math.inf), ci)
    ci = fnp.where(x == -math.inf, fnp.full_like(x, math.nan), ci)
    return si, ci


@_sici.defjvp
def _sici_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    si, ci = _sici(x)
    return (si, ci), (dx * fnp.sinc(x / math.pi), dx * fnp.cos(x) / x)


def sici(x):
    """The sine and cosine integrals ``(Si(x), Ci(x))``: Si = int_0^x sin t / t dt, Ci =
    gamma + log|x| + int_0^x (cos t - 1) / t dt (for x < 0 the real part, as JAX)."""
    (x,) = _args("sici", x)
    if dtypes.is_complex(x.dtype):
        raise DTypeError(f"sici: expected real input, got {x.dtype}")
    return _sici(x)


_FRESNEL_SWITCH = 1.8
_FRESNEL_TERMS = 24
_FRESNEL_DEPTH = 120    # erfc's fraction at |z| = 2.26 (x = 1.8), arg -45 degrees: converged


def _fresnel_series(x):
    """(S, C) by their power series, |x| <= 1.8 (cancellation below 1e-14 there)."""
    t = 0.5 * math.pi * x * x
    s_total, c_total = fnp.zeros_like(x), fnp.zeros_like(x)
    term = fnp.ones_like(x)                         # (-1)^k t^(2k) / (2k)!, times x
    for k in range(_FRESNEL_TERMS):
        c_total = c_total + term / (4 * k + 1)
        odd = term * t / (2 * k + 1)                # (-1)^k t^(2k+1) / (2k+1)!
        s_total = s_total + odd / (4 * k + 3)
        term = -odd * t / (2 * k + 2)
    return x * s_total, x * c_total


def _fresnel_fraction(x):
    """(S, C) for x > 1.8 from C + iS = (1 + i)/2 (1 - erfc(z)), z = sqrt(pi)/2 (1 - i) x,
    with erfc(z) = exp(-z^2) / sqrt(pi) / (z + (1/2) / (z + 1 / (z + (3/2) / ...))).
    exp(-z^2) = exp(i pi x^2 / 2): the phase is reduced mod 2 pi from x^2's exact split."""
    half = 0.5 * _SQRT_PI * x
    z = lax.complex(half, -half)
    t = z
    for k in range(_FRESNEL_DEPTH, 0, -1):
        t = z + (0.5 * k) / t
    hi, lo = _split(x)
    phase = 0.5 * math.pi * (fnp.fmod(hi * hi, 4.0) + (2.0 * hi * lo + lo * lo))
    erfc_z = lax.complex(fnp.cos(phase), fnp.sin(phase)) / (_SQRT_PI * t)
    w = 1.0 - erfc_z                                 # erf(z)
    # (1 + i)/2 * (u + iv) = ((u - v) + i (u + v)) / 2
    u, v = fnp.real(w), fnp.imag(w)
    return 0.5 * (u + v), 0.5 * (u - v)


@custom_jvp
def _fresnel(x):
    ax = fnp.abs(x)
    near = ax <= _FRESNEL_SWITCH
    s_near, c_near = _fresnel_series(_stand_in(near, ax, 1.0))
    far = ~near & fnp.isfinite(ax)
    s_far, c_far = _fresnel_fraction(_stand_in(far, ax, 2 * _FRESNEL_SWITCH))
    s = fnp.where(near, s_near, fnp.where(far, s_far, fnp.full_like(x, 0.5)))
    c = fnp.where(near, c_near, fnp.where(far, c_far, fnp.full_like(x, 0.5)))
    sign = fnp.where(x < 0, -fnp.ones_like(x), fnp.ones_like(x))
    return sign * s, sign * c


@_fresnel.defjvp
def _fresnel_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    s, c = _fresnel(x)
    t = 0.5 * math.pi * x * x
    return (s, c), (dx * fnp.sin(t), dx * fnp.cos(t))


def fresnel(x):
    """The Fresnel integrals ``(S(x), C(x))`` = int_0^x (sin, cos)(pi t^2 / 2) dt."""
    (x,) = _args("fresnel", x)
    return _fresnel(x)


# -- spence (the dilogarithm) --------------------------------------------------------------

def _bernoulli_fractions(n):
    """B_0 .. B_n as exact fractions (Akiyama-Tanigawa), with B_1 = -1/2 (scipy's)."""
    out, row = [], []
    for m in range(n + 1):
        row.append(Fraction(1, m + 1))
        for j in range(m, 0, -1):
            row[j - 1] = j * (row[j - 1] - row[j])
        out.append(row[0])
    if n >= 1:
        out[1] = Fraction(-1, 2)
    return out


# Li2(z) = sum_n B_n u^(n+1) / (n+1)!, u = -log(1 - z): for |u| <= log 2 the even terms
# shrink by (u / 2 pi)^2 ~ 0.012 each, so 12 of them reach far below eps
_LI2_COEFFS = [float(b / math.factorial(2 * k + 1))
               for k, b in enumerate(_bernoulli_fractions(24)[::2]) if k][:12]


def _li2_of_u(u):
    """Li2(1 - exp(-u)) = u - u^2/4 + sum_k B_2k u^(2k+1) / (2k+1)!."""
    u2 = u * u
    acc = fnp.zeros_like(u)
    for c in reversed(_LI2_COEFFS):
        acc = c + u2 * acc
    return u - 0.25 * u2 + u * u2 * acc


@custom_jvp
def _spence(x):
    low = x < 0.5                  # spence(x) = pi^2/6 - log x log(1 - x) - Li2(x)
    high = x > 2.0                 # Li2(1-x) = -pi^2/6 - log^2(x-1)/2 - Li2(1/(1-x))
    mid = ~low & ~high             # Li2(1-x) with u = -log x, |u| <= log 2
    x_low = _stand_in(low & (x > 0), x, 0.25)
    x_mid = _stand_in(mid, x, 1.0)
    x_high = _stand_in(high & fnp.isfinite(x), x, 4.0)
    v_low = (_PI2_6 - fnp.log(x_low) * fnp.log1p(-x_low)
             - _li2_of_u(-fnp.log1p(-x_low)))
    v_mid = _li2_of_u(-fnp.log(x_mid))
    log_xm1 = fnp.log(x_high - 1.0)
    v_high = -_PI2_6 - 0.5 * log_xm1 * log_xm1 - _li2_of_u(fnp.log1p(-1.0 / x_high))
    value = fnp.where(low, v_low, fnp.where(mid, v_mid, v_high))
    value = fnp.where(x == 0, fnp.full_like(x, _PI2_6), value)
    value = fnp.where(x == math.inf, fnp.full_like(x, -math.inf), value)
    return fnp.where(x < 0, fnp.full_like(x, math.nan), value)


@_spence.defjvp
def _spence_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    one = x == 1
    x_safe = _stand_in(~one & (x > 0), x, 2.0)
    slope = fnp.where(one, -fnp.ones_like(x), fnp.log(x_safe) / (1.0 - x_safe))
    return _spence(x), dx * slope


def spence(x):
    """Spence's function ``int_1^x log t / (1 - t) dt = Li2(1 - x)`` for x >= 0 (scipy's
    convention; NaN for x < 0)."""
    (x,) = _args("spence", x)
    return _spence(x)


# -- Owen's T -----------------------------------------------------------------------------

_OWENS_NODES, _OWENS_WEIGHTS = np.polynomial.legendre.leggauss(48)
_OWENS_NODES = (0.5 * (_OWENS_NODES + 1.0)).tolist()        # on [0, 1]
_OWENS_WEIGHTS = (0.5 * _OWENS_WEIGHTS).tolist()


def _owens_quadrature(h, a):
    """``T(h, a) = a / (2 pi) int_0^1 exp(-h^2 (1 + a^2 t^2) / 2) / (1 + a^2 t^2) dt`` by
    48-point Gauss-Legendre, for 0 <= a <= 1 (smooth integrand: poles at t = +-i / a)."""
    h2 = 0.5 * h * h
    total = fnp.zeros_like(h)
    for t, w in zip(_OWENS_NODES, _OWENS_WEIGHTS):
        q = 1.0 + a * a * (t * t)
        total = total + w * fnp.exp(-h2 * q) / q
    return a * total / (2 * math.pi)


@custom_jvp
def _owens_t(h, a):
    h_abs, a_abs = fnp.abs(h), fnp.abs(a)
    small = a_abs <= 1
    a_small = _stand_in(small, a_abs, 0.5)
    a_big = _stand_in(~small, a_abs, 2.0)
    direct = _owens_quadrature(h_abs, a_small)
    # a > 1: T(h, a) = (Phi(h) Q(ah) + Phi(ah) Q(h)) / 2 - T(ah, 1/a), Q = 1 - Phi
    ah = a_big * h_abs
    swapped = 0.5 * (ndtr(h_abs) * ndtr(-ah) + ndtr(ah) * ndtr(-h_abs)) \
        - _owens_quadrature(ah, 1.0 / a_big)
    swapped = fnp.where(a_abs == math.inf, 0.5 * ndtr(-h_abs), swapped)
    value = fnp.where(small, direct, swapped)
    return fnp.where(a < 0, -value, value)


@_owens_t.defjvp
def _owens_t_jvp(primals, tangents):
    (h, a), (dh, da) = primals, tangents
    q = 1.0 + a * a
    d_a = fnp.exp(-0.5 * h * h * q) / (2 * math.pi * q)
    d_h = -fnp.exp(-0.5 * h * h) / math.sqrt(2 * math.pi) * 0.5 * lax.erf(a * h / math.sqrt(2.0))
    return _owens_t(h, a), dh * d_h + da * d_a


def owens_t(h, a):
    """Owen's T function ``T(h, a) = 1/(2 pi) int_0^a exp(-h^2 (1 + x^2) / 2) / (1 + x^2) dx``:
    Gauss-Legendre for |a| <= 1, Owen's identity T(h, a) + T(ah, 1/a) = ... beyond.  Absolute
    accuracy ~eps; relative accuracy fades once |h a| > ~12 (T is then below 1e-30)."""
    h, a = _args("owens_t", h, a)
    return _owens_t(h, a)


# -- combinatorics, Box-Cox, Bernoulli, loggamma ------------------------------------------

def comb(N, k, *, exact=False, repetition=False):
    """The number of combinations ``N choose k`` as ``exp(gammaln)`` (``exact=False`` only,
    as JAX); 0 outside 0 <= k <= N; with ``repetition``: ``comb(N + k - 1, k)``."""
    if exact:
        raise InvalidArgumentError("comb: exact=True is not supported (an exact integer is not "
                                   "an array computation); use exact=False")
    N, k = _args("comb", N, k)
    if repetition:
        value = comb(N + k - 1, k)
        return fnp.where((k == 0) & (N >= 0), fnp.ones_like(value), value)
    ok = (k <= N) & (N >= 0) & (k >= 0)
    n_ok, k_ok = _stand_in(ok, N, 0.0), _stand_in(ok, k, 0.0)
    value = fnp.exp(lax.lgamma(n_ok + 1) - lax.lgamma(k_ok + 1) - lax.lgamma(n_ok - k_ok + 1))
    return fnp.where(ok, value, fnp.zeros_like(value))


def _boxcox_from_log(log_x, lmbda):
    zero = lmbda == 0
    safe_l = _stand_in(~zero, lmbda, 1.0)
    return fnp.where(zero, log_x, fnp.expm1(safe_l * log_x) / safe_l)


def boxcox(x, lmbda):
    """The Box-Cox transform ``(x^lmbda - 1) / lmbda`` (``log x`` at lmbda == 0), through
    expm1 so small lmbda keeps its digits; NaN for x < 0."""
    x, lmbda = _args("boxcox", x, lmbda)
    return _boxcox_from_log(fnp.log(x), lmbda)


def boxcox1p(x, lmbda):
    """``boxcox(1 + x, lmbda)`` accurate for small x (log1p)."""
    x, lmbda = _args("boxcox1p", x, lmbda)
    return _boxcox_from_log(fnp.log1p(x), lmbda)


def bernoulli(n):
    """The Bernoulli numbers B_0 .. B_n (B_1 = -1/2, scipy's), exact rationals rounded to the
    default float; ``n`` a Python int >= 0 (it fixes the result's length)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise DTypeError(f"bernoulli: n must be a Python int (it sets the result's length), "
                         f"got {n!r}")
    if n < 0:
        raise InvalidArgumentError(f"bernoulli: n must be >= 0, got {n}")
    values = [float(b) if abs(b) < 1e308 else math.copysign(math.inf, b)
              for b in _bernoulli_fractions(int(n))]
    return fnp.asarray(np.asarray(values), dtype=dtypes.default_float)


def loggamma(x):
    """The principal branch of log Gamma; for real input JAX's: ``gammaln(x)`` for x > 0, NaN
    for x <= 0 (where Gamma may be negative).  Complex input is not supported."""
    (x,) = promote("loggamma", x, inexact=True)
    if dtypes.is_complex(x.dtype):
        raise DTypeError(f"loggamma: complex input is not supported yet, got {x.dtype}")
    return fnp.where(x > 0, lax.lgamma(_stand_in(x > 0, x, 1.0)), fnp.full_like(x, math.nan))


# -- confluent hypergeometric 1F1 ---------------------------------------------------------

_HYP1F1_MAX_TERMS = 500
_HYP1F1_ASYMPTOTIC = 100.0


def _hyp1f1_series(a, b, x):
    """``sum_k (a)_k / (b)_k x^k / k!`` for x >= 0, summed until every element's term is
    below eps of its sum (at most 500 terms)."""
    eps = float(np.finfo(x.dtype).eps)

    def cond(state):
        k, total, term = state
        busy = fnp.abs(term) > eps * fnp.abs(total)
        return (k < _HYP1F1_MAX_TERMS) & fnp.any(busy)

    def body(state):
        k, total, term = state
        term = term * (a + k) / (b + k) * x / (k + 1)
        return k + 1, total + term, term

    one = fnp.ones_like(x)
    _, total, _ = lax.while_loop(cond, body, (fnp.asarray(0.0, dtype=x.dtype), one, one))
    return total


def _hyp1f1_asymptotic(a, b, x):
    """Gamma(b) / Gamma(a) exp(x) x^(a-b) sum_k (b-a)_k (1-a)_k / (k! x^k), x >= 100."""
    total, term = fnp.ones_like(x), fnp.ones_like(x)
    for k in range(30):
        term = term * (b - a + k) * (1 - a + k) / ((k + 1) * x)
        total = total + term
    log_value = lax.lgamma(b) - lax.lgamma(a) + x + (a - b) * fnp.log(x)
    return _gammasgn(b) * _gammasgn(a) * fnp.exp(log_value) * total


@custom_jvp
def _hyp1f1(a, b, x):
    # Kummer's transformation 1F1(a; b; x) = e^x 1F1(b - a; b; -x) makes the series positive
    # for x < 0 (no cancellation), so the series always runs on |x|
    negative = x < 0
    a_eff = fnp.where(negative, b - a, a)
    ax = fnp.abs(x)
    far = ax >= _HYP1F1_ASYMPTOTIC
    series = _hyp1f1_series(a_eff, b, _stand_in(~far, ax, 0.0))
    asym = _hyp1f1_asymptotic(a_eff, b, _stand_in(far, ax, 2 * _HYP1F1_ASYMPTOTIC))
    value = fnp.where(far, asym, series)
    value = fnp.where(negative, fnp.exp(x) * value, value)
    value = fnp.where(a == 0, fnp.ones_like(x), value)
    return fnp.where((b == 0) & (a != 0), fnp.full_like(x, math.inf), value)


@_hyp1f1.defjvp
def _hyp1f1_jvp(primals, tangents):
    (a, b, x), (_, _, dx) = primals, tangents
    return _hyp1f1(a, b, x), dx * a / b * _hyp1f1(a + 1.0, b + 1.0, x)


def hyp1f1(a, b, x):
    """Kummer's confluent hypergeometric function 1F1(a; b; x) for real arguments: the power
    series (on |x| through Kummer's transformation, so large negative x does not cancel) up to
    |x| = 100, the asymptotic series beyond (accurate while |a|, |b| << |x|).  b a non-positive
    integer is a pole (inf at b == 0, unreliable for b = -1, -2, ...).  Differentiable in x
    (a and b are treated as constants, their derivatives are not implemented)."""
    a, b, x = _args("hyp1f1", a, b, x)
    return _hyp1f1(lax.stop_gradient(a), lax.stop_gradient(b), x)


# -- Gauss's hypergeometric 2F1 -----------------------------------------------------------

_HYP2F1_MAX_TERMS = 1500


def _hyp2f1_series(a, b, c, x):
    """``sum_k (a)_k (b)_k / ((c)_k k!) x^k`` until every element's term is below eps of its
    sum (terminating polynomials stop at their last term); at most 1500 terms."""
    eps = float(np.finfo(x.dtype).eps)

    def cond(state):
        k, total, term = state
        return (k < _HYP2F1_MAX_TERMS) & fnp.any(fnp.abs(term) > eps * fnp.abs(total))

    def body(state):
        k, total, term = state
        term = term * (a + k) * (b + k) / ((c + k) * (k + 1)) * x
        return k + 1, total + term, term

    one = fnp.ones_like(x)
    _, total, _ = lax.while_loop(cond, body, (fnp.asarray(0.0, dtype=x.dtype), one, one))
    return total


def _gamma_fn(x):
    return _gammasgn(x) * fnp.exp(lax.lgamma(x))


def _is_nonpositive_integer(v):
    return (v <= 0) & (v == fnp.floor(v))


def _hyp2f1_unit(a, b, c, w):
    """2F1 for 0 <= w < 1: the series up to w = 1/2; beyond, the w -> 1 - w connection formula
    (two series in 1 - w < 1/2) when c - a - b is not an integer, else the series itself."""
    d = c - a - b
    integer_d = d == fnp.round(d)
    terminating = _is_nonpositive_integer(a) | _is_nonpositive_integer(b)
    connect = (w > 0.5) & ~integer_d & ~terminating
    s = 1.0 - w
    a_, b_, c_, d_ = (_stand_in(connect, v, fill) for v, fill in
                      ((a, 0.25), (b, 0.5), (c, 2.0), (d, 1.25)))
    s_ = _stand_in(connect, s, 0.25)
    first = (_gamma_fn(c_) * _gamma_fn(d_) / (_gamma_fn(c_ - a_) * _gamma_fn(c_ - b_))
             * _hyp2f1_series(a_, b_, a_ + b_ - c_ + 1.0, s_))
    second = (s_ ** d_ * _gamma_fn(c_) * _gamma_fn(-d_) / (_gamma_fn(a_) * _gamma_fn(b_))
              * _hyp2f1_series(c_ - a_, c_ - b_, d_ + 1.0, s_))
    direct = _hyp2f1_series(a, b, c, _stand_in(~connect, w, 0.0))
    return fnp.where(connect, first + second, direct)


@custom_jvp
def _hyp2f1(a, b, c, x):
    terminating = _is_nonpositive_integer(a) | _is_nonpositive_integer(b)
    # Pfaff: 2F1(a, b; c; x) = (1 - x)^-a 2F1(a, c - b; c; x / (x - 1)) maps x < 0 into [0, 1)
    pfaff = (x < 0) & ~terminating
    x_neg = _stand_in(pfaff, x, -1.0)
    pfaffed = (1.0 - x_neg) ** (-a) * _hyp2f1_unit(a, c - b, c, x_neg / (x_neg - 1.0))
    inside = (x >= 0) & (x < 1) | (terminating & (x < 1))
    plain = _hyp2f1_unit(a, b, c, _stand_in(inside & ~pfaff, x, 0.0))
    value = fnp.where(pfaff, pfaffed, plain)
    d = c - a - b
    gauss = _gamma_fn(c) * _gamma_fn(d) / (_gamma_fn(c - a) * _gamma_fn(c - b))
    at_one = fnp.where(d > 0, gauss, fnp.full_like(x, math.inf))
    value = fnp.where(x == 1, at_one, value)
    value = fnp.where(x > 1, fnp.full_like(x, math.inf), value)
    value = fnp.where(_is_nonpositive_integer(c) & ~terminating, fnp.full_like(x, math.inf), value)
    return fnp.where((x == 0) | (((a == 0) | (b == 0)) & (c != 0)), fnp.ones_like(x), value)


@_hyp2f1.defjvp
def _hyp2f1_jvp(primals, tangents):
    (a, b, c, x), (_, _, _, dx) = primals, tangents
    return _hyp2f1(a, b, c, x), dx * a * b / c * _hyp2f1(a + 1.0, b + 1.0, c + 1.0, x)


def hyp2f1(a, b, c, x):
    """Gauss's hypergeometric function 2F1(a, b; c; x) for real arguments and x <= 1 (x > 1,
    off the real branch, gives inf as in JAX): the power series for 0 <= x <= 1/2, Pfaff's
    transformation for x < 0, the connection formula in 1 - x for 1/2 < x < 1 when c - a - b
    is not an integer (when it is, the plain series, which needs ~40 / (1 - x) terms and stops
    at 1500: ~1e-9 relative at x = 0.99; the same holds for Pfaff's argument x / (x - 1) when
    b - a is an integer and x < -1), Gauss's sum at x = 1 (inf when c - a - b <= 0), inf at the poles c = 0, -1, ...
    (unless a or b terminates the series first).  Differentiable in x."""
    a, b, c, x = _args("hyp2f1", a, b, c, x)
    return _hyp2f1(lax.stop_gradient(a), lax.stop_gradient(b), lax.stop_gradient(c), x)


# -- the Faddeeva function ----------------------------------------------------------------

def _weideman_coefficients(n):
    """Weideman's (1994) rational-series coefficients for w(z) with n terms: the Fourier
    coefficients of exp(-t^2) (L^2 + t^2) under t = L tan(theta / 2), L = sqrt(n / sqrt 2)."""
    m = 2 * n
    length = math.sqrt(n / math.sqrt(2.0))
    k = np.arange(-m + 1, m)
    t = length * np.tan(k * math.pi / (2 * m))
    f = np.concatenate([[0.0], np.exp(-t * t) * (length ** 2 + t * t)])
    coeffs = np.real(np.fft.fft(np.fft.fftshift(f))) / (2 * m)
    return length, coeffs[1:n + 1][::-1].tolist()


_WOFZ_L, _WOFZ_COEFFS = _weideman_coefficients(40)


def _wofz_upper(z):
    """w(z) for Im z >= 0 by Weideman's series: with Z = (L + iz) / (L - iz),
    w = 2 p(Z) / (L - iz)^2 + 1 / (sqrt(pi) (L - iz))."""
    iz = z * 1j
    denom = _WOFZ_L - iz
    big_z = (_WOFZ_L + iz) / denom
    p = fnp.zeros_like(z)
    for c in _WOFZ_COEFFS:
        p = p * big_z + c
    return 2.0 * p / (denom * denom) + 1.0 / (_SQRT_PI * denom)


def wofz(z):
    """The Faddeeva function ``w(z) = exp(-z^2) erfc(-iz)`` for complex (or real) z:
    Weideman's 40-term rational series in the upper half plane (relative accuracy ~1e-13),
    ``2 exp(-z^2) - w(-z)`` in the lower (which overflows once exp(-z^2) does)."""
    (z,) = promote("wofz", z, inexact=True)
    if not dtypes.is_complex(z.dtype):
        z = z.astype(_complex_dtype(z))
    lower = fnp.imag(z) < 0
    upper_z = fnp.where(lower, -z, z)
    w = _wofz_upper(upper_z)
    reflected = 2.0 * fnp.exp(-(upper_z * upper_z)) - w
    return fnp.where(lower, reflected, w)


# -- spherical harmonics --------------------------------------------------------------------

def _sph_harm_legendre(n, am, x, sin_abs, n_max):
    """The normalized associated Legendre value Pbar_n^am(x) (with the Condon-Shortley phase,
    normalized so Pbar e^{i m phi} is orthonormal on the sphere), by the upward recurrence in
    the degree l from Pbar_am^am, for per-element n and am up to n_max."""
    # Pbar_m^m = (-1)^m sqrt((2m + 1) / (4 pi) Gamma(m + 1/2) / (sqrt(pi) m!)) |sin theta|^m
    log_pmm = 0.5 * (fnp.log(2.0 * am + 1.0) - math.log(4 * math.pi) + lax.lgamma(am + 0.5)
                     - 0.5 * math.log(math.pi) - lax.lgamma(am + 1.0))
    odd = fnp.remainder(am, 2.0) == 1
    power = fnp.where(am == 0, fnp.ones_like(x), sin_abs ** am)
    pmm = fnp.where(odd, -1.0, 1.0) * fnp.exp(log_pmm) * power

    def body(l, state):
        p2, p1, result = state                     # Pbar_(l-2), Pbar_(l-1), the answer
        lf = fnp.asarray(l, dtype=x.dtype)
        gap = lf * lf - am * am
        gap1 = (lf - 1) * (lf - 1) - am * am
        safe_gap = _stand_in(gap > 0, gap, 1.0)
        coef = fnp.sqrt((4 * lf * lf - 1) / safe_gap)
        back = fnp.sqrt(fnp.maximum(gap1, 0.0) / (4 * (lf - 1) * (lf - 1) - 1 + (lf == 1)))
        recurred = coef * (x * p1 - back * p2)
        p = fnp.where(lf == am, pmm,
                      fnp.where(lf == am + 1, x * fnp.sqrt(2 * am + 3) * pmm, recurred))
        p = fnp.where(lf < am, fnp.zeros_like(p), p)
        result = fnp.where(lf == n, p, result)
        return p1, p, result

    zeros = fnp.zeros_like(x)
    _, _, result = lax.fori_loop(0, n_max + 1, body, (zeros, zeros, zeros))
    return result


def sph_harm_y(n, m, theta, phi, diff_n=None, n_max=None):
    """The spherical harmonic ``Y_n^m(theta, phi)`` with scipy's new convention (theta the
    polar angle, phi the azimuth, the Condon-Shortley phase), complex.  ``n``, ``m`` integer
    arrays (broadcast with the angles); ``n_max`` the largest degree, a Python int, needed
    under tracing (default: max(n) of a concrete n).  |m| > n gives 0.  ``diff_n`` is not
    supported (as JAX)."""
    if diff_n is not None:
        raise InvalidArgumentError("sph_harm_y: diff_n is not supported (as in JAX)")
    n_arr, m_arr = fnp.asarray(n), fnp.asarray(m)
    for label, v in (("n", n_arr), ("m", m_arr)):
        if not dtypes.is_integer(v.dtype):
            raise DTypeError(f"sph_harm_y: {label} must be an integer array, got {v.dtype}")
    if n_max is None:
        from ..core import Array
        if not isinstance(n_arr, Array):
            raise InvalidArgumentError("sph_harm_y: n_max must be given (a Python int) when n "
                                       "is traced")
        n_max = int(np.max(np.asarray(n_arr))) if n_arr.size else 0
    n_f, m_f, theta, phi = _args("sph_harm_y", n_arr, m_arr, theta, phi)
    am = fnp.abs(m_f)
    x = fnp.cos(theta)
    legendre = _sph_harm_legendre(n_f, am, x, fnp.abs(fnp.sin(theta)), int(n_max))
    legendre = fnp.where((am > n_f) | (n_f < 0), fnp.zeros_like(legendre), legendre)
    angle = am * phi
    real, imag = legendre * fnp.cos(angle), legendre * fnp.sin(angle)
    # Y_n^-m = (-1)^m conj(Y_n^m)
    negative = m_f < 0
    sign = fnp.where(negative & (fnp.remainder(am, 2.0) == 1), -1.0, 1.0)
    return lax.complex(sign * real, fnp.where(negative, -imag, imag) * sign)
