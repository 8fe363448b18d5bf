"""``scipy.special`` / ``jax.scipy.special`` functions on fnx arrays, written on fnx.lax and
fnx.numpy (so grad / jit / vmap work).  Integer inputs compute in float32, as fnx.numpy's float
functions do.  This is the first part of issue 21's list: the functions fnx's primitives give
accurately; erfc / ndtr / log_ndtr / ndtri / i0e / i1e need kernels of their own."""
from __future__ import annotations

from .. import lax
from .. import numpy as fnp
from ..numpy._util import promote

__all__ = ["erf", "erfinv", "gammaln", "digamma", "logsumexp", "xlogy", "xlog1py", "expit",
           "logit", "betaln", "softmax", "log_softmax", "entr"]


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
