"""``scipy.special`` / ``jax.scipy.special`` functions on fnx arrays, written on fnx.lax and
fnx.numpy (so grad / jit / vmap work).  Integer inputs compute in float32, as fnx.numpy's float
functions do.  erfc and the scaled Bessel functions i0e / i1e are lax primitives with kernels of
their own (lax.erfc, lax.bessel_i0e, lax.bessel_i1e); ndtr / log_ndtr / ndtri build on erfc and
stay accurate in the far tails (log_ndtr(-40), ndtri(1e-300)); gamma, beta, poch, factorial are
sign times exp of lgamma, like JAX's."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes, lax
from .. import numpy as fnp
from ..errors import DTypeError, InvalidArgumentError
from ..interpreters.custom import custom_jvp
from ..numpy._util import promote

__all__ = ["erf", "erfinv", "gammaln", "digamma", "logsumexp", "xlogy", "xlog1py", "expit",
           "logit", "betaln", "softmax", "log_softmax", "entr",
           # incomplete gamma / beta, zeta, polygamma (fnx.lax.special's kernels)
           "gammainc", "gammaincc", "betainc", "zeta", "polygamma"]
__all__ += ["erfc", "ndtr", "log_ndtr", "ndtri", "i0", "i0e", "i1", "i1e", "gamma", "gammasgn",
            "beta", "factorial", "multigammaln", "poch", "kl_div", "rel_entr"]


def _float(name, *xs):
    return promote(name, *xs, inexact=True)


def erf(x):
    """The error function."""
    (x,) = _float("erf", x)
    return lax.erf(x)


def erfinv(x):
    """The inverse of ``erf`` on (-1, 1) (+-inf at +-1, NaN outside)."""
    (x,) = _float("erfinv", x)
    return lax.erf_inv(x)


def gammaln(x):
    """``log|Gamma(x)|``."""
    (x,) = _float("gammaln", x)
    return lax.lgamma(x)


def digamma(x):
    """The logarithmic derivative of Gamma."""
    (x,) = _float("digamma", x)
    return lax.digamma(x)


# ---- issue 21, second part: erfc, the normal distribution, Bessel, Gamma and entropy family ----

def _real_float(name, *xs):
    """Promote like ``_float``, but only to real floats: these functions have no complex
    version (scipy's erfc / ndtr do, jax.scipy's do not)."""
    xs = _float(name, *xs)
    for x in xs:
        if dtypes.is_complex(x.dtype):
            raise DTypeError(f"{name}: expected real (integer or floating) input, got {x.dtype}")
    return xs


_SQRT_HALF = math.sqrt(0.5)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def erfc(x):
    """The complementary error function ``1 - erf(x)``, accurate where erf(x) is near 1."""
    (x,) = _real_float("erfc", x)
    return lax.erfc(x)


def ndtr(x):
    """The standard normal CDF ``Phi(x) = erfc(-x / sqrt(2)) / 2``: relative precision in the
    lower tail (erfc does not cancel), absolute in the upper."""
    (x,) = _real_float("ndtr", x)
    return 0.5 * lax.erfc(-x * _SQRT_HALF)


# log Phi(x) for x -> -inf: -x^2/2 - log(-x) - log(2 pi)/2 + log(1 + sum_n c_n x^-2n) with
# c_n = (-1)^n (2n - 1)!!.  Below the switch point (-20 in float64, -10 in float32: Phi is still
# far from underflow there) twelve terms leave a truncation error < 1e-19 (float64) / 3e-13
# (float32) relative to the sum.
_LOG_NDTR_SERIES = [(-1) ** n * math.prod(range(1, 2 * n, 2)) for n in range(1, 13)]


def _log_ndtr_switch(dtype):
    return -20.0 if dtype == dtypes.float64 else -10.0


def _log_ndtr_asymptotic(x):
    w = 1.0 / (x * x)
    acc = fnp.full_like(x, _LOG_NDTR_SERIES[-1])
    for c in reversed(_LOG_NDTR_SERIES[:-1]):
        acc = c + w * acc
    return -0.5 * x * x - fnp.log(-x) - _HALF_LOG_2PI + fnp.log1p(w * acc)


def _log_ndtr(x):
    """log Phi(x) on a real float array, in three pieces, each fed a safe operand so the pieces
    not taken produce no inf / NaN gradients:
      x > 0:           log1p(-Phi(-x))  (Phi(x) is near 1: log would lose Phi(-x))
      switch < x <= 0: log(Phi(x))
      x <= switch:     the asymptotic series (Phi underflows soon after)."""
    switch = _log_ndtr_switch(x.dtype)
    positive = x > 0
    middle = fnp.logical_and(x > switch, x <= 0)
    x_pos = fnp.where(positive, x, fnp.ones_like(x))
    x_mid = fnp.where(middle, x, -fnp.ones_like(x))
    x_low = fnp.where(x > switch, fnp.full_like(x, switch), x)  # NaN stays here
    upper = fnp.log1p(-0.5 * lax.erfc(x_pos * _SQRT_HALF))
    centre = fnp.log(0.5 * lax.erfc(-x_mid * _SQRT_HALF))
    return fnp.where(positive, upper, fnp.where(middle, centre, _log_ndtr_asymptotic(x_low)))


def log_ndtr(x):
    """``log(ndtr(x))``, accurate for every x: log1p for x > 0, the asymptotic series for very
    negative x (log_ndtr(-40) = -804.6..., where ndtr underflows to 0)."""
    (x,) = _real_float("log_ndtr", x)
    return _log_ndtr(x)


_NDTRI_NEWTON_STEPS = 5


def _ndtri_lower(q):
    """Phi^-1(q) for q in (0, 1/2] (so the result is <= 0).

    q >= 1/4: sqrt(2) erf_inv(2q - 1), where 2q - 1 is exact.  Below, 2q - 1 rounds away q's
    low digits (and is -1 for q < eps), so: a first guess (erf_inv down to q = 1e-3, then the
    tail's -sqrt(t - log t - log 2 pi), t = -2 log q), then Newton steps on
    log Phi(z) = log q, which are well scaled however small q is (down to the subnormals);
    5 steps converge from either guess for every q (quadratically: the tail guess is good to
    1e-5 relative at q = 1e-5)."""
    centre = math.sqrt(2.0) * lax.erf_inv(2.0 * q - 1.0)
    t = -2.0 * fnp.log(q)
    tail_guess = -fnp.sqrt(fnp.maximum(t - fnp.log(t) - math.log(2 * math.pi), 0.0))
    z = fnp.where(q > 1e-3, centre, tail_guess)
    log_q = fnp.log(q)
    for _ in range(_NDTRI_NEWTON_STEPS):
        log_phi = _log_ndtr(z)
        # d/dz log Phi(z) = pdf / Phi = exp(-z^2/2 - log(2 pi)/2 - log Phi(z))
        slope = fnp.exp(-0.5 * z * z - _HALF_LOG_2PI - log_phi)
        z = z - (log_phi - log_q) / slope
    return fnp.where(q >= 0.25, centre, z)


@custom_jvp
def _ndtri(p):
    q = fnp.where(p > 0.5, 1.0 - p, p)  # exact for p > 1/2 (Sterbenz)
    inside = fnp.logical_and(q > 0, p <= 1)  # q > 0 also rejects p < 0 and NaN
    z = _ndtri_lower(fnp.where(inside, q, fnp.full_like(q, 0.5)))
    z = fnp.where(p > 0.5, -z, z)
    z = fnp.where(p == 0, fnp.full_like(p, -math.inf), z)
    z = fnp.where(p == 1, fnp.full_like(p, math.inf), z)
    outside = fnp.logical_not(fnp.logical_or(inside, fnp.logical_or(p == 0, p == 1)))
    return fnp.where(outside, fnp.full_like(p, math.nan), z)


@_ndtri.defjvp
def _ndtri_jvp(primals, tangents):
    # dz/dp = 1 / pdf(z) = sqrt(2 pi) exp(z^2 / 2); differentiating it again goes through
    # _ndtri's own rule, so every order is exact (no derivative of the Newton steps)
    (p,), (dp,) = primals, tangents
    z = _ndtri(p)
    return z, dp * (_SQRT_2PI * fnp.exp(0.5 * z * z))


def ndtri(p):
    """The inverse of ``ndtr``: the z with Phi(z) = p, for p in [0, 1] (-inf at 0, inf at 1,
    NaN outside); accurate in both tails (ndtri(1e-300) in float64)."""
    (p,) = _real_float("ndtri", p)
    return _ndtri(p)


def i0e(x):
    """The exponentially scaled modified Bessel function of order 0, ``exp(-|x|) I0(x)``."""
    (x,) = _real_float("i0e", x)
    return lax.bessel_i0e(x)


def i1e(x):
    """The exponentially scaled modified Bessel function of order 1, ``exp(-|x|) I1(x)``."""
    (x,) = _real_float("i1e", x)
    return lax.bessel_i1e(x)


def i0(x):
    """The modified Bessel function of order 0, ``I0(x) = exp(|x|) i0e(x)`` (inf once it
    overflows, |x| > ~713 in float64)."""
    (x,) = _real_float("i0", x)
    return fnp.exp(fnp.abs(x)) * lax.bessel_i0e(x)


def i1(x):
    """The modified Bessel function of order 1, ``I1(x) = exp(|x|) i1e(x)``."""
    (x,) = _real_float("i1", x)
    return fnp.exp(fnp.abs(x)) * lax.bessel_i1e(x)


def _gammasgn(x):
    # Gamma < 0 exactly on (-1, 0), (-3, -2), ...: x < 0 with an odd floor(x).  The negative
    # integers (poles) and NaN give NaN, like JAX; +-0 and +inf give 1.
    floor_x = fnp.floor(x)
    odd = fnp.remainder(floor_x, 2.0) == 1
    sign = fnp.where(fnp.logical_and(x < 0, odd), -fnp.ones_like(x), fnp.ones_like(x))
    pole = fnp.logical_and(x < 0, x == floor_x)
    return fnp.where(fnp.logical_or(pole, fnp.isnan(x)), fnp.full_like(x, math.nan), sign)


def gammasgn(x):
    """The sign of Gamma(x): 1 for x >= 0, -1 on (-1, 0), (-3, -2), ...; NaN at the poles
    (the negative integers) and for NaN."""
    (x,) = _real_float("gammasgn", x)
    return _gammasgn(x)


def gamma(x):
    """The Gamma function, ``gammasgn(x) * exp(gammaln(x))`` (as JAX: inf at 0, NaN at the
    negative integers, relative error ~ eps * |gammaln(x)|)."""
    (x,) = _real_float("gamma", x)
    return _gammasgn(x) * fnp.exp(lax.lgamma(x))


def beta(a, b):
    """The Beta function ``Gamma(a) Gamma(b) / Gamma(a + b)``, as sign times exp(betaln)."""
    a, b = _real_float("beta", a, b)
    sign = _gammasgn(a) * _gammasgn(b) * _gammasgn(a + b)
    return sign * fnp.exp(lax.lgamma(a) + lax.lgamma(b) - lax.lgamma(a + b))


def factorial(n, exact=False):
    """``n! = Gamma(n + 1)`` for n >= 0 (also non-integer n), 0 for n < 0 (scipy's).  Only
    ``exact=False``: an exact integer result is not an array computation (as in JAX)."""
    if exact:
        raise InvalidArgumentError("factorial: exact=True is not supported (use exact=False, "
                                   "the Gamma-function value)")
    (n,) = _real_float("factorial", n)
    value = _gammasgn(n + 1.0) * fnp.exp(lax.lgamma(n + 1.0))
    return fnp.where(n < 0, fnp.zeros_like(n), value)


def multigammaln(a, d):
    """The log of the multivariate Gamma function of dimension ``d`` (a Python int >= 1):
    ``d (d - 1) / 4 log(pi) + sum_{j < d} gammaln(a - j / 2)``."""
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
        raise DTypeError(f"multigammaln: d must be a Python int (the dimension), got {d!r}")
    if d < 1:
        raise InvalidArgumentError(f"multigammaln: d must be >= 1, got {d}")
    (a,) = _real_float("multigammaln", a)
    total = lax.lgamma(a)
    for j in range(1, int(d)):
        total = total + lax.lgamma(a - 0.5 * j)
    return total + 0.25 * d * (d - 1) * math.log(math.pi)


def poch(z, m):
    """The Pochhammer symbol ``(z)_m = Gamma(z + m) / Gamma(z)``, 1 where m == 0 (as JAX: sign
    times exp of the lgamma difference, NaN where z or z + m is a pole)."""
    z, m = _real_float("poch", z, m)
    zero = m == 0
    safe_m = fnp.where(zero, fnp.ones_like(m), m)
    sign = _gammasgn(z + safe_m) * _gammasgn(z)
    value = sign * fnp.exp(lax.lgamma(z + safe_m) - lax.lgamma(z))
    return fnp.where(zero, fnp.ones_like(value), value)


def _entropy_pieces(name, p, q):
    """The shared case split of rel_entr / kl_div: (p, q, both > 0, p log(p / q) there (1 / 1
    elsewhere, so no NaN reaches the gradients), the value for p == 0 <= q applies, NaN in)."""
    p, q = _real_float(name, p, q)
    both = fnp.logical_and(p > 0, q > 0)
    safe_p = fnp.where(both, p, fnp.ones_like(p))
    safe_q = fnp.where(both, q, fnp.ones_like(q))
    # log(p / q) keeps full precision where p ~ q; where p / q overflows or underflows
    # (p = 4, q = 1e-38 in float32) log p - log q takes over
    ratio = safe_p / safe_q
    in_range = fnp.logical_and(ratio < math.inf, ratio >= np.finfo(p.dtype).tiny)
    safe_ratio = fnp.where(in_range, ratio, fnp.ones_like(ratio))
    log_ratio = fnp.where(in_range, fnp.log(safe_ratio), fnp.log(safe_p) - fnp.log(safe_q))
    p_log_ratio = safe_p * log_ratio
    zero_p = fnp.logical_and(p == 0, q >= 0)
    nan_in = fnp.logical_or(fnp.isnan(p), fnp.isnan(q))
    return p, q, both, p_log_ratio, zero_p, nan_in


def rel_entr(p, q):
    """The elementwise relative entropy: ``p log(p / q)`` for p, q > 0, 0 for p == 0 <= q,
    inf otherwise (scipy's), NaN for NaN."""
    p, q, both, value, zero_p, nan_in = _entropy_pieces("rel_entr", p, q)
    out = fnp.where(both, value, fnp.where(zero_p, fnp.zeros_like(p), fnp.full_like(p, math.inf)))
    return fnp.where(nan_in, fnp.full_like(p, math.nan), out)


def kl_div(p, q):
    """The elementwise Kullback-Leibler term ``p log(p / q) - p + q`` for p, q > 0, q for
    p == 0 <= q, inf otherwise (scipy's), NaN for NaN."""
    p, q, both, value, zero_p, nan_in = _entropy_pieces("kl_div", p, q)
    out = fnp.where(both, value - p + q, fnp.where(zero_p, q, fnp.full_like(p, math.inf)))
    return fnp.where(nan_in, fnp.full_like(p, math.nan), out)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """``log(sum(b * exp(a)))`` over ``axis``, stable (fnx.numpy.logsumexp)."""
    return fnp.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign,
                         where=where)


def xlogy(x, y):
    """``x * log(y)``, 0 where ``x == 0`` (even for y == 0 or NaN-free infinities)."""
    x, y = _float("xlogy", x, y)
    zero = fnp.zeros_like(x)
    safe_y = fnp.where(x == 0, fnp.ones_like(y), y)  # no log(0) * 0 = NaN, in value or grad
    return fnp.where(x == 0, zero, x * fnp.log(safe_y))


def xlog1py(x, y):
    """``x * log1p(y)``, 0 where ``x == 0``."""
    x, y = _float("xlog1py", x, y)
    safe_y = fnp.where(x == 0, fnp.zeros_like(y), y)
    return fnp.where(x == 0, fnp.zeros_like(x), x * fnp.log1p(safe_y))


def expit(x):
    """The logistic sigmoid ``1 / (1 + exp(-x))``."""
    (x,) = _float("expit", x)
    return lax.logistic(x)


def logit(p):
    """``log(p / (1 - p))``, the inverse of ``expit``."""
    (p,) = _float("logit", p)
    return fnp.log(p) - fnp.log1p(-p)


def betaln(a, b):
    """``log|B(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b)``."""
    a, b = _float("betaln", a, b)
    return lax.lgamma(a) + lax.lgamma(b) - lax.lgamma(a + b)


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x))`` over ``axis`` (None: all axes), max-shifted."""
    (x,) = _float("softmax", x)
    e = fnp.exp(x - lax.stop_gradient(fnp.max(x, axis=axis, keepdims=True)))
    return e / fnp.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=None):
    """``x - logsumexp(x)`` over ``axis`` (None: all axes)."""
    (x,) = _float("log_softmax", x)
    shifted = x - lax.stop_gradient(fnp.max(x, axis=axis, keepdims=True))
    return shifted - fnp.log(fnp.sum(fnp.exp(shifted), axis=axis, keepdims=True))


def entr(x):
    """``-x log x`` for x > 0, 0 at 0, -inf for x < 0 (scipy's), NaN for NaN."""
    (x,) = _float("entr", x)
    positive = x > 0
    safe = fnp.where(positive, x, fnp.ones_like(x))
    neg_inf = fnp.full_like(x, -float("inf"))
    out = fnp.where(positive, -safe * fnp.log(safe), fnp.where(x == 0, fnp.zeros_like(x), neg_inf))
    return fnp.where(fnp.isnan(x), x, out)


# -- incomplete gamma / beta, zeta, polygamma: fnx.lax.special (native kernels for igamma and
# zeta); operands promoted to one float dtype and broadcast ------------------------------------

def gammainc(a, x):
    """Regularized lower incomplete gamma ``P(a, x)``; NaN for a <= 0 or x < 0.
    Differentiable in both (in a through ``lax.igamma_grad_a``)."""
    a, x = _float("gammainc", a, x)
    return lax.igamma(a, x)


def gammaincc(a, x):
    """Regularized upper incomplete gamma ``Q(a, x) = 1 - P(a, x)``, accurate where P ~ 1."""
    a, x = _float("gammaincc", a, x)
    return lax.igammac(a, x)


def betainc(a, b, x):
    """Regularized incomplete beta ``I_x(a, b)``; NaN for a <= 0, b <= 0 or x outside [0, 1].
    Differentiable in x only (as JAX)."""
    a, b, x = _float("betainc", a, b, x)
    return lax.betainc(a, b, x)


def zeta(x, q=None):
    """Hurwitz zeta ``sum_k (q + k)^-x``; ``q=None`` is Riemann's zeta(x) = zeta(x, 1), for
    x >= 1 (x < 1 gives NaN: the analytic continuation below 1 is not implemented).
    Differentiable in q only (as JAX)."""
    if q is None:
        q = 1.0
    x, q = _float("zeta", x, q)
    return lax.zeta(x, q)


def polygamma(n, x):
    """``d^n / dx^n digamma(x)``: n a non-negative integer (Python int or integer-valued array;
    NaN where it is not).  Differentiable in x."""
    if isinstance(n, int) and not isinstance(n, bool):
        if n < 0:
            from ..errors import InvalidArgumentError
            raise InvalidArgumentError(f"polygamma: n must be a non-negative integer, got {n}")
        (x,) = _float("polygamma", x)
        return lax.polygamma(n, x)
    n, x = _float("polygamma", n, x)
    return lax.polygamma(n, x)


# -- issue 21 follow-up: jax.scipy.special's remaining functions (fnx/scipy/_special_extras.py)
from ._special_extras import (bernoulli, boxcox, boxcox1p, comb, dawsn, erfcx, exp1,  # noqa: E402
                              expi, expn, fresnel, hyp1f1, hyp2f1, loggamma, owens_t, sici,
                              spence, sph_harm_y, wofz)
__all__ += ["bernoulli", "boxcox", "boxcox1p", "comb", "dawsn", "erfcx", "exp1", "expi", "expn",
            "fresnel", "hyp1f1", "hyp2f1", "loggamma", "owens_t", "sici", "spence", "sph_harm_y",
            "wofz"]
