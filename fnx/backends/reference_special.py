"""Reference oracles of fnx/lax/special.py's primitives (igamma, igammac, igamma_grad_a,
random_gamma_grad, zeta), which numpy lacks: mpmath at 60 digits, element by element, rounded
once to the output dtype.  The edge values (NaN / inf / 0 / 1 at the domain's ends) are the
documented semantics of kernels/common/fnx_special.h, written out here.  mpmath is a test
dependency, imported when one of these oracles first runs."""
from __future__ import annotations

import math

import numpy as np

from .. import lax
from .reference_common import registrar

IMPLS: dict[str, callable] = {}
_register = registrar(IMPLS)

_DIGITS = 60  # (mpmath's Hurwitz zeta needs them: at 30 digits zeta(17, 46) is 1e-9 off)


def _mpmath():
    try:
        import mpmath
    except ImportError as e:  # pragma: no cover - mpmath is installed with the test extra
        raise ImportError("the reference oracles of igamma / zeta need mpmath "
                          "(pip install mpmath)") from e
    return mpmath


def _binary_python(fn, x, y):
    """``fn(float, float) -> float`` elementwise over the broadcast operands, in float64."""
    x, y = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(y, np.float64))
    flat = [fn(float(u), float(v)) for u, v in zip(x.ravel(), y.ravel())]
    return np.array(flat, dtype=np.float64).reshape(x.shape)


# -- incomplete gamma -------------------------------------------------------------------------

_P, _Q, _DA, _SAMPLE_DA = range(4)


def _igamma_edge(a, x, what):
    """The value at the domain's edges, or None inside it (fnx_igamma_edge's table)."""
    if math.isnan(a) or math.isnan(x) or a <= 0 or x < 0 or a == math.inf:
        return math.nan
    if x == 0:
        return 1.0 if what == _Q else 0.0
    if x == math.inf:
        if what == _SAMPLE_DA:
            return math.nan
        return 1.0 if what == _P else 0.0
    return None


def _igamma_scalar(a, x, what):
    edge = _igamma_edge(a, x, what)
    if edge is not None:
        return edge
    mp = _mpmath()
    with mp.workdps(_DIGITS):
        if what == _P:
            return float(mp.gammainc(a, 0, x, regularized=True))
        if what == _Q:
            return float(mp.gammainc(a, x, mp.inf, regularized=True))
        # differences of the smaller of P and Q (P = 1 - 1e-50 has no digits left for one)
        if x > a:
            slope = -mp.diff(lambda s: mp.gammainc(s, x, mp.inf, regularized=True), mp.mpf(a))
        else:
            slope = mp.diff(lambda s: mp.gammainc(s, 0, x, regularized=True), mp.mpf(a))
        if what == _DA:
            return float(slope)
        density = mp.exp(-x + (a - 1) * mp.log(x) - mp.loggamma(a))
        return float(-slope / density)


def _igamma_oracle(what):
    def impl(a, x):
        return _binary_python(lambda u, v: _igamma_scalar(u, v, what), a, x)
    return impl


for _prim, _what in ((lax.igamma_p, _P), (lax.igammac_p, _Q), (lax.igamma_grad_a_p, _DA),
                     (lax.random_gamma_grad_p, _SAMPLE_DA)):
    _register(_prim)(_igamma_oracle(_what))


# -- Hurwitz zeta -----------------------------------------------------------------------------

def _zeta_scalar(s, q):
    """fnx_zeta's domain (scipy's), mpmath's value inside it."""
    if math.isnan(s) or math.isnan(q) or s < 1:
        return math.nan
    if s == 1:
        return math.inf
    if q <= 0:
        if q == math.floor(q):
            return math.inf
        if (s != math.inf and s != math.floor(s)) or q < -1e6:  # (C: floor(inf) == inf)
            return math.nan
    if s == math.inf:
        return 0.0 if q > 1 else (1.0 if q == 1 else math.inf)
    if q == math.inf:
        return 0.0
    mp = _mpmath()
    # mpmath's zeta loses about log10(q) digits more than it is given (at 60 digits
    # zeta(64, 1e4) is 1e-12 off)
    with mp.workdps(_DIGITS if q <= 100 else 200):
        value = mp.zeta(s, q)
    return float(mp.re(value))


@_register(lax.zeta_p)
def zeta(s, q):
    return _binary_python(_zeta_scalar, s, q)
