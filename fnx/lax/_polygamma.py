"""Trigamma, the derivative of digamma (lax.digamma's JVP), built from fnx.lax operations so
it is differentiable itself."""
from __future__ import annotations

import math

from .elementwise import (_full_like, add, div, integer_pow, lt, mul, select, sin, sub)


def trigamma(x):
    """polygamma(1, x) = d digamma / dx, by reflection, recurrence and the asymptotic series.

    x < 1/2 reflects: psi1(x) = pi^2 / sin^2(pi x) - psi1(1 - x).  For z >= 1/2 the recurrence
    psi1(z) = psi1(z + 1) + 1/z^2 shifts z by 10 and the Bernoulli series (to 1/z^15) finishes:
    about 1e-15 relative error.  Built from lax ops, so it is differentiable too."""
    reflect = lt(x, 0.5)
    z = select(reflect, sub(1.0, x), x)
    acc = _full_like(z, 0.0)
    for k in range(10):
        acc = add(acc, integer_pow(add(z, float(k)), -2))
    z = add(z, 10.0)
    r = integer_pow(z, -1)
    r2 = mul(r, r)
    # 1/z + 1/(2z^2) + sum_k B_2k / z^(2k+1)
    series = 7.0 / 6.0
    for c in (-691.0 / 2730.0, 5.0 / 66.0, -1.0 / 30.0, 1.0 / 42.0, -1.0 / 30.0, 1.0 / 6.0):
        series = add(mul(series, r2), c)
    series = add(add(r, mul(0.5, r2)), mul(mul(series, r2), r))
    pos = add(acc, series)
    s = sin(mul(math.pi, x))
    refl = sub(div(math.pi ** 2, mul(s, s)), pos)
    return select(reflect, refl, pos)
