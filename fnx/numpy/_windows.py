"""numpy's window functions and the modified Bessel function ``i0`` they need.

``bartlett``, ``blackman``, ``hamming``, ``hanning`` and ``kaiser`` take a static length ``M``
(a Python int: it is the output's shape) and give the default float dtype (float32), as
jax.numpy does (numpy: float64).  ``M < 1`` gives an empty window, ``M == 1`` ``[1.0]``
(numpy's rule).  ``kaiser``'s ``beta`` may be traced: the window is differentiable in it.

``i0`` (numpy's, the modified Bessel function of the first kind, order 0) is a composition of
elementwise operations, so it traces, fuses and differentiates like any other: the power
series ``sum_k (x^2/4)^k / (k!)^2`` for ``|x| <= 15`` (all terms positive: no cancellation) and
Hankel's asymptotic expansion ``e^|x| / sqrt(2 pi |x|) * sum_k ((2k-1)!!)^2 / (k! (8|x|)^k)``
beyond (its terms decrease up to ``k ~ 2|x|``, so 30 terms reach ~1e-13 at ``|x| = 15``).
``e^|x|`` is taken as two factors ``e^(|x|/2)`` so the result stays finite as long as numpy's.
"""
from __future__ import annotations

import math

from .. import dtypes, lax
from ._util import asarray_arg, promote_no_broadcast, static_int, to_dtype

__all__ = ["i0", "bartlett", "blackman", "hamming", "hanning", "kaiser"]

_SERIES_LIMIT = 15.0
_TERMS = 30      # enough for float64 on both sides of the limit (see the module docstring)


def _fnp():
    from .. import numpy as fnp
    return fnp


def _i0_series(x):
    """``sum_{k<_TERMS} (x^2/4)^k / (k!)^2`` by Horner's rule in ``y = x^2/4`` (from the
    smallest term up, so the rounding errors stay relative to the sum)."""
    y = x * x * 0.25
    acc = _fnp().full_like(x, 1.0 / math.factorial(_TERMS - 1) ** 2)
    for k in range(_TERMS - 2, -1, -1):
        acc = acc * y + 1.0 / math.factorial(k) ** 2
    return acc


def _i0_asymptotic(ax):
    """Hankel's expansion for ``ax >= _SERIES_LIMIT`` (``ax = |x|``)."""
    fnp = _fnp()
    z = 1.0 / (8.0 * ax)
    # coefficient k: ((2k-1)!!)^2 / k!; nested: 1 + c1 z (1 + r2 z (1 + r3 z (...))) with the
    # term ratio r_k = (2k-1)^2 / k
    acc = _fnp().full_like(ax, 1.0)
    for k in range(_TERMS - 1, 0, -1):
        acc = 1.0 + ((2 * k - 1) ** 2 / k) * z * acc
    half = fnp.exp(ax * 0.5)
    return half * (half / fnp.sqrt(2.0 * math.pi * ax) * acc)


def i0(x):
    """The modified Bessel function of the first kind, order 0 (numpy's ``i0``), on reals;
    integer inputs give the default float."""
    fnp = _fnp()
    x = asarray_arg("i0", x)
    (x,) = promote_no_broadcast("i0", x, inexact=True)
    if x.dtype.kind == "c":
        raise TypeError(f"i0: complex inputs are not supported, got {x.dtype}")
    ax = fnp.abs(x)
    small = ax <= _SERIES_LIMIT
    # each branch sees only inputs it is valid for, so the other's gradient is not NaN
    xs = fnp.where(small, x, fnp.zeros_like(x))
    xa = fnp.where(small, fnp.full_like(ax, _SERIES_LIMIT), ax)
    return fnp.where(small, _i0_series(xs), _i0_asymptotic(xa))


def _window_length(name, M):
    return static_int(name, M, "M")


def _positions(M):
    """``n = 0 .. M-1`` in the default float, and ``M - 1`` (the windows' denominator)."""
    return lax.iota(dtypes.default_float, M), float(M - 1)


def _trivial(M):
    """The window of length ``M <= 1``: empty, or ``[1.0]``."""
    return _fnp().full((max(M, 0),), 1.0, dtypes.default_float)


def bartlett(M):
    """The triangular window ``1 - |2n - (M-1)| / (M-1)`` (numpy's ``bartlett``)."""
    M = _window_length("bartlett", M)
    if M <= 1:
        return _trivial(M)
    n, m1 = _positions(M)
    return 1.0 - _fnp().abs(2.0 * n - m1) / m1


def _cosine_window(name, M, coefficients):
    """``sum_j (-1)^j a_j cos(2 pi j n / (M-1))``: the generalized cosine windows."""
    fnp = _fnp()
    M = _window_length(name, M)
    if M <= 1:
        return _trivial(M)
    n, m1 = _positions(M)
    out = _fnp().full((M,), coefficients[0], dtypes.default_float)
    for j, a in enumerate(coefficients[1:], start=1):
        out = out + ((-1) ** j * a) * fnp.cos((2.0 * math.pi * j / m1) * n)
    return out


def blackman(M):
    """The Blackman window ``0.42 - 0.5 cos(2 pi n/(M-1)) + 0.08 cos(4 pi n/(M-1))``."""
    return _cosine_window("blackman", M, (0.42, 0.5, 0.08))


def hamming(M):
    """The Hamming window ``0.54 - 0.46 cos(2 pi n/(M-1))``."""
    return _cosine_window("hamming", M, (0.54, 0.46))


def hanning(M):
    """The Hann window ``0.5 - 0.5 cos(2 pi n/(M-1))``."""
    return _cosine_window("hanning", M, (0.5, 0.5))


def kaiser(M, beta):
    """The Kaiser window ``i0(beta sqrt(1 - ((n - a)/a)^2)) / i0(beta)``, ``a = (M-1)/2``;
    ``beta`` may be traced (differentiable)."""
    fnp = _fnp()
    M = _window_length("kaiser", M)
    beta = asarray_arg("kaiser", beta)
    if beta.ndim != 0:
        raise ValueError(f"kaiser: beta must be a scalar, got shape {tuple(beta.shape)}")
    if beta.dtype.kind == "c":
        raise TypeError(f"kaiser: beta must be real, got {beta.dtype}")
    if M <= 1:
        return _trivial(M)
    beta = to_dtype(beta, dtypes.default_float)
    n, m1 = _positions(M)
    alpha = 0.5 * m1
    r = (n - alpha) / alpha
    # clamped at 0: rounding may leave 1 - r^2 a hair below zero at the ends
    arg = beta * fnp.sqrt(fnp.maximum(1.0 - r * r, 0.0))
    return i0(arg) / i0(beta)
