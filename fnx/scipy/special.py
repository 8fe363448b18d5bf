"""``scipy.special`` / ``jax.scipy.special`` functions on fnx arrays, written on fnx.lax and
fnx.numpy (so grad / jit / vmap work).  Integer inputs compute in float32, as fnx.numpy's float
functions do.  This is the first part of issue 21's list: the functions fnx's primitives give
accurately; erfc / ndtr / log_ndtr / ndtri / i0e / i1e need kernels of their own."""
from __future__ import annotations

from .. import lax
from .. import numpy as fnp
from ..numpy._util import promote

__all__ = ["erf", "erfinv", "gammaln", "digamma", "logsumexp", "xlogy", "xlog1py", "expit",
           "logit", "betaln", "softmax", "log_softmax", "entr",
           # incomplete gamma / beta, zeta, polygamma (fnx.lax.special's kernels)
           "gammainc", "gammaincc", "betainc", "zeta", "polygamma"]


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
