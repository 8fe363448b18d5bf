"""The von Mises distribution on the circle (``jax.scipy.stats.vonmises``) with concentration
``kappa``: density ``exp(kappa cos x) / (2 pi I0(kappa))``, evaluated as
``kappa (cos x - 1) - log(2 pi i0e(kappa))`` so large kappa does not overflow; ``kappa <= 0``
gives NaN (as JAX)."""
from __future__ import annotations

import math

from ... import numpy as fnp
from .. import special
from ._util import nan_where, promote_args_inexact, safe

__all__ = ["logpdf", "pdf"]


def logpdf(x, kappa):
    x, kappa = promote_args_inexact("vonmises.logpdf", x, kappa)
    invalid = kappa <= 0
    k = safe(~invalid, kappa, 1.0)
    value = k * (fnp.cos(x) - 1) - fnp.log(2 * math.pi * special.i0e(k))
    return nan_where(invalid, value)


def pdf(x, kappa):
    return fnp.exp(logpdf(x, kappa))
