"""PLACEHOLDER versions of erfc, ndtr, log_ndtr, ndtri, gammainc, gammaincc and betainc, so
that fnx.scipy.stats can be written and tested before the real ones land in
fnx.scipy.special (two other helpers are writing those).  Drop this file, and the two marked
lines at the end of special.py, when they do.

They are built on fnx.lax so grad / jit / vmap work: the incomplete gamma / beta functions are
the classical series and continued fractions (modified Lentz) run for a fixed number of steps in
a ``fori_loop`` (a scan, so reverse mode works), every branch fed safe inputs so the branch a
``where`` drops cannot leak a NaN into a gradient."""
from __future__ import annotations

import math

from .. import lax
from .. import numpy as fnp
from ..numpy._util import promote

__all__ = ["erfc", "ndtr", "log_ndtr", "ndtri", "gammainc", "gammaincc", "betainc"]

_STEPS = 100       # enough for the series / fractions below to converge for a, b, x up to ~200
_TINY = 1e-30      # Lentz's guard against a zero denominator (a normal float32 too)


def _float(name, *xs):
    return promote(name, *xs, inexact=True)


def _guard(d):
    return fnp.where(fnp.abs(d) < _TINY, fnp.full_like(d, _TINY), d)


def _step_float(i, like):
    return lax.convert_element_type(i, like.dtype)


# ---------------------------------------------------------------------------------------------
# Incomplete gamma
# ---------------------------------------------------------------------------------------------

def _log_gamma_prefactor(a, x):
    """``log(x^a e^-x / Gamma(a))``."""
    return a * fnp.log(x) - x - lax.lgamma(a)


def _gamma_series_and_fraction(a, xs, xf):
    """``(P(a, xs), log Q(a, xf))``: P by its power series (fast for x < a + 1), Q by its
    continued fraction (fast for x > a + 1), run in one loop."""
    b0 = xf + 1 - a

    def body(i, carry):
        total, term, b, c, d, h = carry
        n = _step_float(i, a) + 1
        term = term * xs / (a + n)
        an = -n * (n - a)
        b = b + 2
        d = 1 / _guard(an * d + b)
        c = _guard(b + an / c)
        return total + term, term, b, c, d, h * d * c

    first = 1 / a
    d0 = 1 / _guard(b0)
    total, _, _, _, _, h = lax.fori_loop(
        0, _STEPS, body, (first, first, b0, fnp.full_like(b0, 1 / _TINY), d0, d0))
    return (total * fnp.exp(_log_gamma_prefactor(a, xs)),
            fnp.log(h) + _log_gamma_prefactor(a, xf))


def _gamma_fraction_log(a, x):
    """``log Q(a, x)`` by its continued fraction alone."""
    return _gamma_series_and_fraction(a, a * 0.5, x)[1]


def _gammainc_pair(name, a, x):
    """``(P, Q)`` with each computed where it is accurate and the other as 1 - it."""
    a, x = _float(name, a, x)
    use_series = x < a + 1
    ok = (a > 0) & (x > 0) & fnp.isfinite(x)
    one = fnp.ones_like(x)
    xs = fnp.where(ok & use_series, x, fnp.zeros_like(x) + 0.5 * fnp.where(a > 0, a, one))
    xf = fnp.where(ok & ~use_series, x, fnp.where(a > 0, a, one) + 2)
    a_safe = fnp.where(a > 0, a, one)
    p_series, log_q_fraction = _gamma_series_and_fraction(a_safe, xs, xf)
    q_fraction = fnp.exp(log_q_fraction)
    p = fnp.where(use_series, p_series, 1 - q_fraction)
    q = fnp.where(use_series, 1 - p_series, q_fraction)
    nan = fnp.full_like(x, math.nan)
    bad = (a <= 0) | (x < 0) | fnp.isnan(a) | fnp.isnan(x)
    p = fnp.where(x == 0, fnp.zeros_like(x), fnp.where(x == math.inf, one, p))
    q = fnp.where(x == 0, one, fnp.where(x == math.inf, fnp.zeros_like(x), q))
    return fnp.where(bad, nan, p), fnp.where(bad, nan, q)


def gammainc(a, x):
    """PLACEHOLDER: the regularized lower incomplete gamma function ``P(a, x)``."""
    return _gammainc_pair("gammainc", a, x)[0]


def gammaincc(a, x):
    """PLACEHOLDER: the regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``."""
    return _gammainc_pair("gammaincc", a, x)[1]


# ---------------------------------------------------------------------------------------------
# Normal distribution helpers
# ---------------------------------------------------------------------------------------------

def _log_erfc_abs_tail(x):
    """``log erfc(|x|)`` for |x| >= 1 (``Q(1/2, x^2)``'s fraction; no underflow), and the
    boolean ``|x| >= 1``; elsewhere a harmless stand-in."""
    tail = fnp.abs(x) >= 1
    xt = fnp.where(tail, fnp.abs(x), fnp.ones_like(x))
    return _gamma_fraction_log(fnp.full_like(x, 0.5), xt * xt), tail


def erfc(x):
    """PLACEHOLDER: ``1 - erf(x)``, accurate in the right tail."""
    (x,) = _float("erfc", x)
    log_tail, tail = _log_erfc_abs_tail(x)
    tail_value = fnp.exp(log_tail)
    tail_value = fnp.where(x < 0, 2 - tail_value, tail_value)
    return fnp.where(tail, tail_value, 1 - lax.erf(x))


def ndtr(x):
    """PLACEHOLDER: the standard normal cdf."""
    (x,) = _float("ndtr", x)
    return 0.5 * erfc(-x * (1 / math.sqrt(2)))


def log_ndtr(x):
    """PLACEHOLDER: ``log(ndtr(x))``, accurate in both tails."""
    (x,) = _float("log_ndtr", x)
    u = -x * (1 / math.sqrt(2))                   # ndtr(x) = erfc(u) / 2
    log_tail, tail = _log_erfc_abs_tail(u)
    tail_value = fnp.where(u > 0, math.log(0.5) + log_tail, fnp.log1p(-0.5 * fnp.exp(log_tail)))
    u_mid = fnp.where(tail, fnp.zeros_like(u), u)  # log(0) in the dropped branch: NaN grads
    return fnp.where(tail, tail_value, fnp.log(0.5 - 0.5 * lax.erf(u_mid)))


def ndtri(p):
    """PLACEHOLDER: the inverse of ``ndtr``: a start from erfinv (or the tail asymptote), then
    Newton steps on ``log_ndtr`` (accurate relative to p in the lower tail)."""
    (p,) = _float("ndtri", p)
    upper = p > 0.5
    lo = fnp.where(upper, 1 - p, p)                   # solve in the lower half, mirror back
    inside = (lo > 0) & (lo <= 0.5)
    lo_safe = fnp.where(inside, lo, fnp.full_like(p, 0.25))
    in_tail = lo_safe < 1e-3
    t = -2 * fnp.log(fnp.where(in_tail, lo_safe, fnp.full_like(p, 1e-3)))  # sqrt(<0): NaN grads
    tail_start = -fnp.sqrt(t - fnp.log(t) - math.log(2 * math.pi))
    x = fnp.where(in_tail, tail_start, math.sqrt(2) * lax.erf_inv(2 * lo_safe - 1))
    log_p = fnp.log(lo_safe)
    for _ in range(3):
        log_cdf = log_ndtr(x)
        log_pdf = -0.5 * x * x - 0.5 * math.log(2 * math.pi)
        x = x - (log_cdf - log_p) * fnp.exp(log_cdf - log_pdf)
    x = fnp.where(upper, -x, x)
    inf = fnp.full_like(p, math.inf)
    x = fnp.where(p == 0, -inf, fnp.where(p == 1, inf, x))
    return fnp.where((p < 0) | (p > 1) | fnp.isnan(p), fnp.full_like(p, math.nan), x)


# ---------------------------------------------------------------------------------------------
# Incomplete beta
# ---------------------------------------------------------------------------------------------

def _beta_fraction(a, b, x):
    """The continued fraction of ``I_x(a, b)`` (converges fast for x < (a+1)/(a+b+2))."""
    one = fnp.ones_like(x)

    def body(i, carry):
        c, d, h = carry
        m = _step_float(i, x) + 1
        m2 = 2 * m
        aa = m * (b - m) * x / ((a - 1 + m2) * (a + m2))
        d = 1 / _guard(1 + aa * d)
        c = _guard(1 + aa / c)
        h = h * d * c
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2))
        d = 1 / _guard(1 + aa * d)
        c = _guard(1 + aa / c)
        return c, d, h * d * c

    d0 = 1 / _guard(1 - (a + b) * x / (a + 1))
    _, _, h = lax.fori_loop(0, _STEPS, body, (one, d0, d0))
    log_front = a * fnp.log(x) + b * fnp.log1p(-x) - (lax.lgamma(a) + lax.lgamma(b)
                                                       - lax.lgamma(a + b))
    return fnp.exp(log_front) * h / a


def betainc(a, b, x):
    """PLACEHOLDER: the regularized incomplete beta function ``I_x(a, b)``."""
    a, b, x = _float("betainc", a, b, x)
    one = fnp.ones_like(x)
    inside = (x > 0) & (x < 1) & (a > 0) & (b > 0)
    swap = x > (a + 1) / (a + b + 2)
    aa = fnp.where(inside, fnp.where(swap, b, a), one)
    bb = fnp.where(inside, fnp.where(swap, a, b), one)
    xx = fnp.where(inside, fnp.where(swap, 1 - x, x), fnp.full_like(x, 0.5))
    r = _beta_fraction(aa, bb, xx)
    r = fnp.where(swap, 1 - r, r)
    r = fnp.where(x <= 0, fnp.zeros_like(x), fnp.where(x >= 1, one, r))
    bad = (a <= 0) | (b <= 0) | (x < 0) | (x > 1) | fnp.isnan(a) | fnp.isnan(b) | fnp.isnan(x)
    return fnp.where(bad, fnp.full_like(x, math.nan), r)
