"""fnx.scipy.stats's second batch (issue 21: jax.scipy.stats's remaining names) against
independent oracles: mpmath closed forms / sums at 40 digits (truncnorm in the far tails,
gumbel_l / gumbel_r, gennorm, betabinom, multinomial, vonmises, wrapcauchy, pareto's cdf
family, poisson.entropy), numpy for sem and gaussian_kde, a direct Python count for mode and
rankdata.  Also gradients (check_grads), jit == eager, vmap == a Python loop, scipy's
conventions outside the support, and the clear errors."""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.numpy as fnp
from fnx.errors import AxisError, DTypeError, InvalidArgumentError, ShapeError
from fnx.scipy import stats
from fnx.test_util import check_grads

mp = mpmath.mp
mp.dps = 40
INF = math.inf


def f64(x):
    return fnp.asarray(np.asarray(x, dtype=np.float64))


def close(got, want, rtol=1e-12, atol=0.0):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64),
                               np.asarray(want, dtype=np.float64), rtol=rtol, atol=atol)


# -- oracles ------------------------------------------------------------------------------

def _phi_mass(lo, hi):
    """Phi(hi) - Phi(lo), mirrored into the left tail for lo > 0 (40 digits would not hold
    Phi(31) - Phi(30) otherwise)."""
    if lo > 0:
        return mp.ncdf(-lo) - mp.ncdf(-hi)
    return mp.ncdf(hi) - mp.ncdf(lo)


def _truncnorm(fn, x, a, b, loc=0, scale=1):
    z = (mp.mpf(x) - loc) / scale
    mass = _phi_mass(a, b)
    if fn == "logpdf":
        if z < a or z > b:
            return -INF
        return -z * z / 2 - mp.log(2 * mp.pi) / 2 - mp.log(scale) - mp.log(mass)
    zc = min(max(z, a), b)
    cdf = _phi_mass(a, zc) / mass
    sf = _phi_mass(zc, b) / mass
    return {"cdf": cdf, "sf": sf, "logcdf": mp.log(cdf) if cdf > 0 else -INF,
            "logsf": mp.log(sf) if sf > 0 else -INF}[fn]


def _gumbel_r(fn, x, loc=0, scale=1):
    z = (mp.mpf(x) - loc) / scale
    e = mp.exp(-z)
    cdf = mp.exp(-e)
    sf = -mp.expm1(-e)
    return {"logpdf": -mp.log(scale) - z - e, "cdf": cdf, "logcdf": -e, "sf": sf,
            "logsf": mp.log(sf)}[fn]


def _gumbel_l(fn, x, loc=0, scale=1):
    mirrored = {"logpdf": "logpdf", "cdf": "sf", "sf": "cdf", "logcdf": "logsf",
                "logsf": "logcdf"}[fn]
    value = _gumbel_r(mirrored, -mp.mpf(x), -mp.mpf(loc), scale)
    return value


def _poisson_entropy(mu):
    mu = mp.mpf(mu)
    lo = max(0, int(mu - 40 * mp.sqrt(mu) - 20))
    hi = int(mu + 40 * mp.sqrt(mu) + 60)
    total = mp.mpf(0)
    for k in range(lo, hi):
        lp = k * mp.log(mu) - mp.loggamma(k + 1) - mu
        total -= mp.exp(lp) * lp
    return total


# -- truncnorm ---------------------------------------------------------------------------

TRUNCNORM_ROWS = [  # x, a, b, loc, scale
    (0.3, -1.0, 2.0, 0.0, 1.0), (-0.9, -1.0, 2.0, 0.0, 1.0), (1.99, -1.0, 2.0, 0.0, 1.0),
    (1.5, -INF, 2.0, 0.5, 2.0), (3.0, 0.5, INF, 1.0, 0.5), (0.1, -INF, INF, 0.0, 1.0),
    (30.5, 30.0, 31.0, 0.0, 1.0), (30.001, 30.0, 31.0, 0.0, 1.0), (30.99, 30.0, 31.0, 0.0, 1.0),
    (-39.5, -40.0, -39.0, 0.0, 1.0), (-39.999, -40.0, -39.0, 0.0, 1.0),
    (8.2, 8.0, INF, 0.0, 1.0), (-5.0, -INF, -4.0, 0.0, 1.0), (0.0, -0.001, 0.001, 0.0, 1.0),
]


@pytest.mark.parametrize("fn", ["logpdf", "cdf", "logcdf", "sf", "logsf"])
def test_truncnorm_spec_rows_including_far_tails(fn):
    cols = [f64([r[i] for r in TRUNCNORM_ROWS]) for i in range(5)]
    got = getattr(stats.truncnorm, fn)(*cols)
    want = [float(_truncnorm(fn, *r)) for r in TRUNCNORM_ROWS]
    close(got, want, rtol=2e-10, atol=1e-300)


def test_truncnorm_pdf_outside_support_and_invalid():
    x = f64([-2.0, 3.0, 0.0, 0.0, 0.0])
    a = f64([-1.0, -1.0, 1.0, 0.0, -1.0])
    b = f64([2.0, 2.0, 1.0, -1.0, 1.0])
    scale = f64([1.0, 1.0, 1.0, 1.0, -1.0])
    pdf = np.asarray(stats.truncnorm.pdf(x, a, b, 0.0, scale))
    assert pdf[0] == 0 and pdf[1] == 0 and np.isnan(pdf[2:]).all()
    cdf = np.asarray(stats.truncnorm.cdf(x, a, b, 0.0, scale))
    assert cdf[0] == 0 and cdf[1] == 1 and np.isnan(cdf[2:]).all()
    assert np.asarray(stats.truncnorm.sf(x, a, b, 0.0, scale))[1] == 0


@settings(max_examples=15, deadline=None)
@given(st.floats(-6, 6), st.floats(0.05, 4), st.floats(0, 1))
def test_truncnorm_hypothesis(a, width, frac):
    b = a + width
    x = a + frac * width
    for fn in ("logpdf", "cdf", "sf"):
        got = float(getattr(stats.truncnorm, fn)(f64(x), f64(a), f64(b)))
        close(got, float(_truncnorm(fn, x, a, b)), rtol=1e-9, atol=1e-13)


def test_truncnorm_grads_jit_vmap():
    x, a, b = f64([0.3, 1.1]), f64([-1.0, 0.5]), f64([2.0, 3.0])
    check_grads(stats.truncnorm.logpdf, (x, a, b), order=1, modes=("fwd", "rev"))
    for fn in (stats.truncnorm.logpdf, stats.truncnorm.logcdf, stats.truncnorm.logsf):
        check_grads(fn, (x, a, b), order=1, modes="rev")
        close(fnx.jit(fn)(x, a, b), fn(x, a, b), rtol=1e-14)
        looped = [fn(x[i], a[i], b[i]) for i in range(2)]
        close(fnx.vmap(fn)(x, a, b), looped, rtol=1e-14)
    # a gradient at a point outside the support, or in the far tail, is finite
    g = fnx.grad(lambda v: stats.truncnorm.logcdf(v, 30.0, 31.0))(f64(30.5))
    assert np.isfinite(float(g))


def test_truncnorm_float32():
    got = stats.truncnorm.logpdf(fnp.asarray([0.5], "float32"), -1, 1)
    assert got.dtype == np.float32
    close(got, [float(_truncnorm("logpdf", 0.5, -1, 1))], rtol=1e-5)


# -- gumbel ------------------------------------------------------------------------------

GUMBEL_XS = [-800.0, -30.0, -3.0, -0.5, 0.0, 0.7, 4.0, 35.0, 700.0]


@pytest.mark.parametrize("side", ["l", "r"])
@pytest.mark.parametrize("fn", ["logpdf", "cdf", "logcdf", "sf", "logsf"])
def test_gumbel_spec_rows(side, fn):
    module = stats.gumbel_l if side == "l" else stats.gumbel_r
    oracle = _gumbel_l if side == "l" else _gumbel_r
    loc, scale = 0.5, 1.5
    xs = [loc + scale * x for x in GUMBEL_XS]
    want = []
    for x in xs:
        try:
            want.append(float(oracle(fn, x, loc, scale)))
        except (OverflowError, ValueError):
            want.append(-INF)
    got = np.asarray(getattr(module, fn)(f64(xs), loc, scale))
    finite = np.isfinite(want) & (np.abs(want) < 1e300)
    close(got[finite], np.asarray(want)[finite], rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("side", ["l", "r"])
def test_gumbel_ppf_inverts_cdf_and_edges(side):
    module = stats.gumbel_l if side == "l" else stats.gumbel_r
    q = f64([1e-10, 0.1, 0.5, 0.9, 1 - 1e-10])
    close(module.cdf(module.ppf(q, 1.0, 2.0), 1.0, 2.0), q, rtol=1e-6)
    edges = np.asarray(module.ppf(f64([0.0, 1.0, -0.1, 1.1]), 0, 1))
    assert edges[0] == -INF and edges[1] == INF and np.isnan(edges[2:]).all()
    assert np.isnan(float(module.logpdf(0.0, 0.0, -1.0)))


@pytest.mark.parametrize("side", ["l", "r"])
def test_gumbel_grads_jit_vmap(side):
    module = stats.gumbel_l if side == "l" else stats.gumbel_r
    x, loc, scale = f64([-1.0, 0.3, 2.0]), f64([0.1, 0.2, -0.4]), f64([1.0, 2.0, 0.5])
    check_grads(module.logpdf, (x, loc, scale), order=2, modes="rev")
    for fn in (module.logcdf, module.logsf):
        check_grads(fn, (x, loc, scale), order=1, modes="rev")
        close(fnx.jit(fn)(x, loc, scale), fn(x, loc, scale), rtol=1e-14)
    close(fnx.vmap(module.ppf)(f64([0.2, 0.7]), loc[:2], scale[:2]),
          [module.ppf(f64(q), f64(l), f64(s)) for q, l, s in zip([0.2, 0.7], [0.1, 0.2], [1.0, 2.0])],
          rtol=1e-12)


# -- gennorm, vonmises, wrapcauchy ---------------------------------------------------------

@settings(max_examples=20, deadline=None)
@given(st.floats(-5, 5), st.floats(0.3, 6))
def test_gennorm_against_mpmath(x, beta):
    x_, b_ = mp.mpf(x), mp.mpf(beta)
    logpdf = mp.log(b_ / 2) - mp.loggamma(1 / b_) - abs(x_) ** b_
    tail = mp.gammainc(1 / b_, abs(x_) ** b_, mp.inf, regularized=True) / 2
    cdf = tail if x < 0 else 1 - tail
    close(stats.gennorm.logpdf(f64(x), f64(beta)), float(logpdf), rtol=1e-12, atol=1e-14)
    close(stats.gennorm.cdf(f64(x), f64(beta)), float(cdf), rtol=1e-10, atol=1e-15)


def test_gennorm_special_cases_and_grads():
    x = f64([-1.0, 0.2, 2.0])
    # beta = 2: normal with variance 1/2; beta = 1: Laplace
    close(stats.gennorm.pdf(x, 2.0), stats.norm.pdf(x, 0, math.sqrt(0.5)), rtol=1e-13)
    close(stats.gennorm.cdf(x, 1.0), stats.laplace.cdf(x), rtol=1e-13)
    assert np.isnan(np.asarray(stats.gennorm.logpdf(x, -1.0))).all()
    assert np.isnan(np.asarray(stats.gennorm.cdf(x, 0.0))).all()
    check_grads(stats.gennorm.logpdf, (x, f64([1.5, 2.5, 3.0])), order=1)
    check_grads(lambda v: stats.gennorm.cdf(v, 1.5), (x,), order=1)
    close(fnx.jit(stats.gennorm.cdf)(x, 1.5), stats.gennorm.cdf(x, 1.5), rtol=1e-14)


@settings(max_examples=15, deadline=None)
@given(st.floats(-7, 7), st.floats(0.01, 200))
def test_vonmises_against_mpmath(x, kappa):
    want = kappa * mp.cos(x) - mp.log(2 * mp.pi * mp.besseli(0, kappa))
    close(stats.vonmises.logpdf(f64(x), f64(kappa)), float(want), rtol=1e-12, atol=1e-12)


def test_vonmises_large_kappa_invalid_grads():
    assert np.isfinite(float(stats.vonmises.logpdf(f64(0.0), f64(1e6))))
    assert np.isnan(np.asarray(stats.vonmises.pdf(f64([0.0, 1.0]), f64([0.0, -1.0])))).all()
    check_grads(stats.vonmises.logpdf, (f64([0.3, -2.0]), f64([0.5, 4.0])), order=1)
    x, k = f64([0.3, -2.0]), f64([0.5, 4.0])
    close(fnx.vmap(stats.vonmises.pdf)(x, k),
          [stats.vonmises.pdf(x[i], k[i]) for i in range(2)], rtol=1e-14)


@settings(max_examples=15, deadline=None)
@given(st.floats(0, 2 * math.pi), st.floats(0.01, 0.99))
def test_wrapcauchy_against_closed_form(x, c):
    want = (1 - mp.mpf(c) ** 2) / (2 * mp.pi * (1 + mp.mpf(c) ** 2 - 2 * c * mp.cos(x)))
    close(stats.wrapcauchy.pdf(f64(x), f64(c)), float(want), rtol=1e-11)


def test_wrapcauchy_support_invalid_grads():
    got = np.asarray(stats.wrapcauchy.logpdf(f64([-0.1, 7.0, 1.0, 1.0]), f64([0.5, 0.5, 0.0, 1.0])))
    assert got[0] == -INF and got[1] == -INF and np.isnan(got[2:]).all()
    check_grads(stats.wrapcauchy.logpdf, (f64([0.4, 3.0]), f64([0.2, 0.8])), order=1)


# -- betabinom, multinomial ------------------------------------------------------------------

@settings(max_examples=20, deadline=None)
@given(st.integers(0, 30), st.integers(0, 30), st.floats(0.1, 20), st.floats(0.1, 20))
def test_betabinom_against_mpmath(k, n, a, b):
    if k > n:
        assert float(stats.betabinom.pmf(k, n, a, b)) == 0
        return
    want = mp.binomial(n, k) * mp.beta(k + a, n - k + b) / mp.beta(a, b)
    close(stats.betabinom.logpmf(f64(k), f64(n), f64(a), f64(b)), float(mp.log(want)),
          rtol=1e-11, atol=1e-12)


def test_betabinom_edges_grads_vmap():
    got = np.asarray(stats.betabinom.pmf(f64([0.5, -1.0, 4.0, 1.0, 1.0, 0.0]), f64([3, 3, 3, -1, 2.5, 0]),
                                         2.0, 3.0))
    assert (got[:3] == 0).all() and np.isnan(got[3:5]).all() and got[5] == 1
    assert np.isnan(float(stats.betabinom.pmf(1.0, 3.0, 0.0, 1.0)))
    # it sums to one over the support
    close(float(fnp.sum(stats.betabinom.pmf(fnp.arange(11), 10, 1.5, 0.7))), 1.0, rtol=1e-6)
    check_grads(lambda a, b: stats.betabinom.logpmf(f64([2.0, 5.0]), 7.0, a, b),
                (f64([1.5, 2.0]), f64([0.5, 3.0])), order=1)
    close(stats.betabinom.pmf(f64([2.0]), 5.0, 1.0, 1.0, loc=1.0), [1 / 6], rtol=1e-12)


def test_multinomial_against_mpmath_and_batching():
    x = fnp.asarray([[1, 2, 0], [0, 3, 0], [2, 2, 1]])
    n = fnp.asarray([3, 3, 5])
    p = f64([0.2, 0.5, 0.3])
    want = []
    for row, total in zip([[1, 2, 0], [0, 3, 0], [2, 2, 1]], [3, 3, 5]):
        value = mp.factorial(total)
        for xi, pi in zip(row, [0.2, 0.5, 0.3]):
            value *= mp.mpf(pi) ** xi / mp.factorial(xi)
        want.append(float(value))
    close(stats.multinomial.pmf(x, n, p), want, rtol=1e-12)
    # counts that do not sum to n, or negative ones, have probability 0
    assert float(stats.multinomial.pmf(fnp.asarray([1, 1, 0]), 3, p)) == 0
    assert float(stats.multinomial.pmf(fnp.asarray([-1, 4, 0]), 3, p)) == 0
    assert float(stats.multinomial.logpmf(fnp.asarray([0, 3, 0]), 3, f64([0.0, 1.0, 0.0]))) == 0
    check_grads(lambda q: stats.multinomial.logpmf(x, n, q), (p,), order=1)
    close(fnx.vmap(lambda r, m: stats.multinomial.pmf(r, m, p))(x, n), want, rtol=1e-12)
    close(fnx.jit(stats.multinomial.pmf)(x, n, p), want, rtol=1e-12)


def test_multinomial_errors():
    with pytest.raises(DTypeError, match="multinomial.logpmf: x must be an integer"):
        stats.multinomial.logpmf(f64([1.0, 2.0]), 3, f64([0.5, 0.5]))
    with pytest.raises(DTypeError, match="n must be an integer"):
        stats.multinomial.pmf(fnp.asarray([1, 2]), 3.0, f64([0.5, 0.5]))
    with pytest.raises(ShapeError, match="3 categories but p has 2"):
        stats.multinomial.pmf(fnp.asarray([1, 2, 0]), 3, f64([0.5, 0.5]))


# -- pareto, poisson.entropy -----------------------------------------------------------------

@settings(max_examples=20, deadline=None)
@given(st.floats(1.0, 1e6), st.floats(0.1, 10))
def test_pareto_cdf_family_against_mpmath(y, b):
    loc, scale = -1.0, 2.0
    x = loc + scale * y
    sf = mp.mpf(y) ** -b
    want = {"sf": sf, "cdf": 1 - sf, "logsf": mp.log(sf),
            "logcdf": mp.log1p(-sf) if sf < 1 else -INF}
    for fn, value in want.items():
        got = float(getattr(stats.pareto, fn)(f64(x), f64(b), loc, scale))
        close(got, float(value), rtol=1e-9, atol=1e-300)


def test_pareto_edges_ppf_grads():
    x = f64([0.5, 1.0, 2.0])
    close(stats.pareto.cdf(x, 2.0), [0.0, 0.0, 0.75], rtol=1e-14)
    close(stats.pareto.sf(x, 2.0), [1.0, 1.0, 0.25], rtol=1e-14)
    assert float(stats.pareto.logcdf(0.5, 2.0)) == -INF and float(stats.pareto.logsf(0.5, 2.0)) == 0
    # just above the lower end the cdf keeps its digits: 1 - (1 + d)^-2 ~ 2d
    close(stats.pareto.cdf(f64(1 + 1e-12), 2.0), float(1 - mp.mpf(1 + 1e-12) ** -2), rtol=1e-9)
    q = f64([0.0, 0.3, 0.99, 1.0, -0.1, 1.5])
    got = np.asarray(stats.pareto.ppf(q, 3.0, 1.0, 2.0))
    close(got[:3], [1.0 + 2 * (1 - v) ** (-1 / 3) for v in [0.0, 0.3, 0.99]], rtol=1e-13)
    assert got[3] == INF and np.isnan(got[4:]).all()
    close(stats.pareto.cdf(stats.pareto.ppf(f64([0.1, 0.6]), 2.5), 2.5), [0.1, 0.6], rtol=1e-13)
    assert np.isnan(float(stats.pareto.cdf(2.0, -1.0)))
    check_grads(stats.pareto.logcdf, (f64([1.5, 4.0]), f64([0.7, 2.0])), order=1)
    check_grads(stats.pareto.ppf, (f64([0.2, 0.8]), f64([0.7, 2.0])), order=1)
    close(fnx.jit(stats.pareto.logsf)(x, 2.0), stats.pareto.logsf(x, 2.0), rtol=1e-14)


def test_poisson_entropy_against_mpmath_sums():
    mus = [0.0, 1e-3, 0.5, 1.0, 7.5, 42.0, 499.0, 500.0, 3000.0]
    got = stats.poisson.entropy(f64(mus))
    close(got, [float(_poisson_entropy(m)) if m else 0.0 for m in mus], rtol=1e-12)
    assert np.isnan(float(stats.poisson.entropy(-1.0)))
    assert stats.poisson.entropy(f64(2.0), loc=f64([0.0, 1.0])).shape == (2,)
    assert stats.poisson.entropy(2).dtype == np.float32
    check_grads(stats.poisson.entropy, (f64([0.5, 800.0]),), order=1, modes="rev")
    close(fnx.jit(stats.poisson.entropy)(f64(mus)), got, rtol=1e-14)


# -- mode, rankdata, sem -----------------------------------------------------------------------

def _mode_1d(values):
    counts = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    best = max(counts.values())
    return min(v for v, c in counts.items() if c == best), best


def _rank_1d(values, method):
    order = sorted(range(len(values)), key=lambda i: (values[i], i))
    distinct = sorted(set(values))
    ranks = [0.0] * len(values)
    for position, i in enumerate(order):
        below = sum(v < values[i] for v in values)
        equal = sum(v == values[i] for v in values)
        ranks[i] = {"average": below + (equal + 1) / 2, "min": below + 1, "max": below + equal,
                    "dense": distinct.index(values[i]) + 1, "ordinal": position + 1}[method]
    return ranks


@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(st.integers(0, 4), min_size=6, max_size=6), min_size=1, max_size=4))
def test_mode_and_rankdata_against_python(rows):
    x = fnp.asarray(np.asarray(rows, dtype=np.float32))
    result = stats.mode(x, axis=1)
    want = [_mode_1d(r) for r in rows]
    close(result.mode, [m for m, _ in want])
    assert np.asarray(result.count).tolist() == [c for _, c in want]
    for method in ("average", "min", "max", "dense", "ordinal"):
        got = stats.rankdata(x, method, axis=1)
        close(got, [_rank_1d(r, method) for r in rows])
        flat = sum(rows, [])
        close(stats.rankdata(x, method), _rank_1d(flat, method))


def test_mode_axes_keepdims_jit_vmap():
    x = fnp.asarray([[3, 1, 3], [2, 2, 1]])
    assert stats.mode(x).mode.tolist() == [2, 1, 1]
    assert stats.mode(x, axis=None, keepdims=True).mode.shape == (1, 1)
    assert stats.mode(x, axis=-1, keepdims=True).count.shape == (2, 1)
    empty = stats.mode(fnp.zeros((0,)))
    assert np.isnan(float(empty.mode)) and int(empty.count) == 0
    assert fnx.jit(lambda v: stats.mode(v, axis=1).mode)(x).tolist() == [3, 2]
    assert fnx.vmap(lambda r: stats.mode(r).mode)(x).tolist() == [3, 2]
    with pytest.raises(AxisError, match="mode: axis 2"):
        stats.mode(x, axis=2)
    with pytest.raises(InvalidArgumentError, match="nan_policy='omit' is not supported"):
        stats.mode(x, nan_policy="omit")


def test_rankdata_nan_errors_jit():
    got = stats.rankdata(f64([[1.0, math.nan], [2.0, 1.0]]), axis=1)
    assert np.isnan(np.asarray(got[0])).all() and np.asarray(got[1]).tolist() == [2.0, 1.0]
    assert np.isnan(np.asarray(stats.rankdata(f64([1.0, math.nan])))).all()
    assert stats.rankdata(fnp.asarray([3, 1])).dtype == np.float32
    close(fnx.jit(lambda v: stats.rankdata(v, "min"))(f64([3.0, 1.0, 3.0])), [2.0, 1.0, 2.0])
    with pytest.raises(InvalidArgumentError, match="rankdata: unknown method 'bogus'"):
        stats.rankdata(f64([1.0]), "bogus")
    with pytest.raises(InvalidArgumentError, match="nan_policy must be"):
        stats.rankdata(f64([1.0]), nan_policy="skip")


def test_sem_against_numpy():
    data = np.random.default_rng(3).normal(size=(4, 5))
    x = f64(data)
    close(stats.sem(x), data.std(axis=0, ddof=1) / math.sqrt(4), rtol=1e-13)
    close(stats.sem(x, axis=None, ddof=0), data.std() / math.sqrt(20), rtol=1e-13)
    close(stats.sem(x, axis=1, keepdims=True), data.std(axis=1, ddof=1, keepdims=True) / math.sqrt(5),
          rtol=1e-13)
    data[0, 0] = np.nan
    want = [np.nanstd(c, ddof=1) / math.sqrt(np.sum(~np.isnan(c))) for c in data.T]
    close(stats.sem(f64(data), nan_policy="omit"), want, rtol=1e-13)
    assert np.isnan(float(stats.sem(f64(data), axis=None)))
    check_grads(stats.sem, (f64(np.arange(6.0) ** 1.5),), order=1)
    with pytest.raises(InvalidArgumentError, match="sem: nan_policy"):
        stats.sem(x, nan_policy="raise")


# -- gaussian_kde --------------------------------------------------------------------------------

def _numpy_kde(data, weights, factor, points):
    cov = np.atleast_2d(np.cov(data, aweights=weights)) * factor ** 2
    inv = np.linalg.inv(cov)
    d = data.shape[0]
    norm = 1 / math.sqrt((2 * math.pi) ** d * np.linalg.det(cov))
    diff = points[:, :, None] - data[:, None, :]
    quad = np.einsum("imj,ik,kmj->mj", diff, inv, diff)
    return norm * (np.exp(-0.5 * quad) * weights).sum(axis=1)


@pytest.mark.parametrize("bw", [None, "silverman", 0.4])
def test_gaussian_kde_against_numpy(bw):
    rng = np.random.default_rng(7)
    data = rng.normal(size=(2, 30))
    weights = rng.uniform(0.5, 1.5, size=30)
    weights /= weights.sum()
    neff = 1 / np.sum(weights ** 2)
    factor = {None: neff ** (-1 / 6), "silverman": (neff * 4 / 4) ** (-1 / 6), 0.4: 0.4}[bw]
    kde = stats.gaussian_kde(f64(data), bw_method=bw, weights=f64(weights))
    points = rng.normal(size=(2, 4))
    want = _numpy_kde(data, weights, factor, points)
    close(kde.evaluate(f64(points)), want, rtol=1e-11)
    close(kde(f64(points)), want, rtol=1e-11)
    close(kde.logpdf(f64(points)), np.log(want), rtol=1e-11)
    # far away the density underflows but logpdf stays finite
    assert np.isfinite(np.asarray(kde.logpdf(f64([[100.0], [100.0]])))).all()
    # integrate_gaussian: the kde convolved with N(mean, cov) -- a sum of Gaussian densities
    mean, cov = np.array([0.2, -0.1]), np.array([[1.0, 0.3], [0.3, 0.5]])
    total = np.atleast_2d(np.cov(data, aweights=weights)) * factor ** 2 + cov
    diff = data - mean[:, None]
    quad = np.einsum("im,ik,km->m", diff, np.linalg.inv(total), diff)
    want_int = np.sum(weights * np.exp(-0.5 * quad)) / math.sqrt((2 * math.pi) ** 2 * np.linalg.det(total))
    close(kde.integrate_gaussian(f64(mean), f64(cov)), want_int, rtol=1e-11)
    close(kde.integrate_kde(kde), np.sum(weights * _numpy_kde(data, weights, factor * math.sqrt(2), data)),
          rtol=1e-11)


def test_gaussian_kde_1d_box_resample_pytree_errors():
    data = np.array([-1.0, 0.0, 0.5, 2.0, 2.5])
    kde = stats.gaussian_kde(f64(data))
    sigma = math.sqrt(np.cov(data)) * 5 ** (-1 / 5)
    want = sum((mp.ncdf((1.0 - v) / sigma) - mp.ncdf((-0.5 - v) / sigma)) / 5 for v in data)
    close(kde.integrate_box_1d(-0.5, 1.0), float(want), rtol=1e-12)
    draws = kde.resample(fnx.random.PRNGKey(0), (4000,))
    assert draws.shape == (1, 4000)
    assert abs(float(fnp.mean(draws)) - data.mean()) < 0.1
    assert kde.resample(fnx.random.PRNGKey(1)).shape == (1,)
    # a pytree: through jit and grad
    dens = fnx.jit(lambda k, p: k.evaluate(p))(kde, f64([0.3, 1.0]))
    close(dens, kde.evaluate(f64([0.3, 1.0])), rtol=1e-13)
    g = fnx.grad(lambda d: stats.gaussian_kde(d).logpdf(f64([0.3]))[0])(f64(data))
    assert np.isfinite(np.asarray(g)).all()
    with pytest.raises(InvalidArgumentError, match="more than one element"):
        stats.gaussian_kde(f64([1.0]))
    with pytest.raises(ShapeError, match=r"weights must have shape \(5,\)"):
        stats.gaussian_kde(f64(data), weights=f64([1.0, 2.0]))
    with pytest.raises(InvalidArgumentError, match="bw_method"):
        stats.gaussian_kde(f64(data), bw_method="bogus")
    with pytest.raises(ShapeError, match="points have dimension 3"):
        stats.gaussian_kde(f64(np.ones((2, 4)) + np.eye(2, 4))).evaluate(f64(np.ones((3, 2))))
    with pytest.raises(InvalidArgumentError, match="one-dimensional"):
        stats.gaussian_kde(f64(np.eye(2, 4))).integrate_box_1d(0.0, 1.0)
    with pytest.raises(DTypeError, match="complex"):
        stats.gaussian_kde(fnp.asarray([1 + 1j, 2.0]))
    with pytest.raises(AttributeError, match="immutable"):
        kde.dataset = None
