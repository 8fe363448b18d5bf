"""fnx.scipy.stats (jax.scipy.stats's API) against independent oracles: mpmath / math closed
forms (densities, incomplete gamma / beta, quadrature for Student's t), numpy for the
multivariate normal.  Spec rows with broadcasting parameters, hypothesis inputs, float32 /
integer dtypes, out-of-support and invalid-parameter values as scipy gives them, gradients
(check_grads), jit == eager, vmap == a Python loop, clear errors for bad shapes."""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.numpy as fnp
from fnx.errors import ShapeError
from fnx.scipy import stats
from fnx.test_util import check_grads

mp = mpmath.mp
INF = math.inf
NAN = math.nan


# -- oracles (scalar, mpmath at 40 digits) ---------------------------------------------------

def _z(x, loc, scale):
    return (mp.mpf(x) - loc) / scale


def _norm_logpdf(x, loc, scale):
    z = _z(x, loc, scale)
    return -z * z / 2 - mp.log(scale) - mp.log(2 * mp.pi) / 2


def _norm_ppf(q, loc, scale):
    return loc + scale * mp.sqrt(2) * mp.erfinv(2 * mp.mpf(q) - 1)


def _t_logpdf(x, df, loc, scale):
    z, df = _z(x, loc, scale), mp.mpf(df)
    return (mp.loggamma((df + 1) / 2) - mp.loggamma(df / 2) - mp.log(df * mp.pi) / 2
            - mp.log(scale) - (df + 1) / 2 * mp.log1p(z * z / df))


def _t_cdf(x, df, loc, scale):
    z = _z(x, loc, scale)
    half = mp.quad(lambda u: mp.exp(_t_logpdf(u, df, 0, 1)), [0, abs(z)])
    return 0.5 + half if z >= 0 else 0.5 - half


def _beta_logpdf(x, a, b, loc, scale):
    y = _z(x, loc, scale)
    return ((a - 1) * mp.log(y) + (b - 1) * mp.log1p(-y) - mp.log(mp.beta(a, b))
            - mp.log(scale))


def _beta_cdf(x, a, b, loc, scale):
    return mp.betainc(a, b, 0, _z(x, loc, scale), regularized=True)


def _beta_sf(x, a, b, loc, scale):
    return mp.betainc(a, b, _z(x, loc, scale), 1, regularized=True)


def _gamma_logpdf(x, a, loc, scale):
    y = _z(x, loc, scale)
    return (a - 1) * mp.log(y) - y - mp.loggamma(a) - mp.log(scale)


def _gamma_cdf(x, a, loc, scale):
    return mp.gammainc(a, 0, _z(x, loc, scale), regularized=True)


def _gamma_sf(x, a, loc, scale):
    return mp.gammainc(a, _z(x, loc, scale), mp.inf, regularized=True)


def _poisson_logpmf(k, mu, loc):
    k = k - loc
    return k * mp.log(mu) - mu - mp.loggamma(k + 1)


def _poisson_cdf(k, mu, loc):
    return mp.fsum(mp.exp(_poisson_logpmf(j, mu, 0)) for j in range(int(math.floor(k - loc)) + 1))


def _logistic_cdf(x, loc, scale):
    return 1 / (1 + mp.exp(-_z(x, loc, scale)))


def _logistic_logpdf(x, loc, scale):
    z = _z(x, loc, scale)
    return -z - 2 * mp.log1p(mp.exp(-z)) - mp.log(scale)


def _cauchy_cdf(x, loc, scale):
    return mp.mpf(1) / 2 + mp.atan(_z(x, loc, scale)) / mp.pi


def _cauchy_ppf(q, loc, scale):
    return loc + scale * mp.tan(mp.pi * (mp.mpf(q) - mp.mpf(1) / 2))


def _laplace_cdf(x, loc, scale):
    z = _z(x, loc, scale)
    return mp.exp(z) / 2 if z < 0 else 1 - mp.exp(-z) / 2


def _expon_cdf(x, loc, scale):
    return -mp.expm1(-_z(x, loc, scale))


def _binom_logpmf(k, n, p, loc):
    k = k - loc
    return mp.log(mp.binomial(n, k)) + k * mp.log(p) + (n - k) * mp.log1p(-p)


def _nbinom_logpmf(k, n, p, loc):
    k = k - loc
    return mp.log(mp.binomial(k + n - 1, k)) + n * mp.log(p) + k * mp.log1p(-p)


# -- the spec table: (id, function, args, oracle) ---------------------------------------------
# args broadcast against each other (x along the last axis, a parameter along a leading one).

X = np.array([-3.7, -1.0, -0.2, 0.0, 0.6, 2.5, 9.0])
P = np.array([1e-12, 1e-4, 0.03, 0.5, 0.77, 0.999])
LOC, SCALE = np.array([[0.0], [-1.5]]), np.array([[1.0], [2.5]])
POS = np.array([1e-3, 0.3, 1.0, 2.2, 7.5, 30.0])             # a support of (0, inf)
UNIT = np.array([1e-6, 0.05, 0.3, 0.5, 0.81, 0.999])           # (0, 1)
KS = np.array([0.0, 1.0, 2.0, 5.0, 13.0])

CASES = [
    ("norm.logpdf", stats.norm.logpdf, (X, LOC, SCALE), _norm_logpdf),
    ("norm.pdf", stats.norm.pdf, (X, LOC, SCALE), lambda *a: mp.exp(_norm_logpdf(*a))),
    ("norm.cdf", stats.norm.cdf, (X * 2, LOC, SCALE), lambda x, l, s: mp.ncdf(_z(x, l, s))),
    ("norm.logcdf", stats.norm.logcdf, (X * 5, LOC, SCALE),
     lambda x, l, s: mp.log(mp.ncdf(_z(x, l, s)))),
    ("norm.sf", stats.norm.sf, (X * 2, LOC, SCALE), lambda x, l, s: mp.ncdf(-_z(x, l, s))),
    ("norm.logsf", stats.norm.logsf, (X * 5, LOC, SCALE),
     lambda x, l, s: mp.log(mp.ncdf(-_z(x, l, s)))),
    ("norm.ppf", stats.norm.ppf, (P, LOC, SCALE), _norm_ppf),
    ("norm.isf", stats.norm.isf, (P, LOC, SCALE), lambda q, l, s: _norm_ppf(1 - mp.mpf(q), l, s)),
    ("t.logpdf", stats.t.logpdf, (X, np.array([[0.7], [4.0]]), 0.5, 1.5), _t_logpdf),
    ("t.pdf", stats.t.pdf, (X, np.array([[0.7], [4.0]]), 0.5, 1.5),
     lambda *a: mp.exp(_t_logpdf(*a))),
    ("t.cdf", stats.t.cdf, (X, np.array([[0.7], [4.0]]), 0.5, 1.5), _t_cdf),
    ("t.sf", stats.t.sf, (X, np.array([[0.7], [4.0]]), 0.5, 1.5),
     lambda *a: 1 - _t_cdf(*a)),
    ("beta.logpdf", stats.beta.logpdf, (UNIT * 2 - 0.5, np.array([[0.5], [3.0]]), 2.5, -0.5, 2.0),
     _beta_logpdf),
    ("beta.pdf", stats.beta.pdf, (UNIT, np.array([[0.5], [3.0]]), 1.5, 0, 1),
     lambda *a: mp.exp(_beta_logpdf(*a))),
    ("beta.cdf", stats.beta.cdf, (UNIT, np.array([[0.5], [3.0]]), 1.5, 0, 1), _beta_cdf),
    ("beta.logcdf", stats.beta.logcdf, (UNIT, np.array([[0.5], [3.0]]), 1.5, 0, 1),
     lambda *a: mp.log(_beta_cdf(*a))),
    ("beta.sf", stats.beta.sf, (UNIT, np.array([[0.5], [3.0]]), 1.5, 0, 1), _beta_sf),
    ("beta.logsf", stats.beta.logsf, (UNIT, np.array([[0.5], [3.0]]), 1.5, 0, 1),
     lambda *a: mp.log(_beta_sf(*a))),
    ("gamma.logpdf", stats.gamma.logpdf, (POS, np.array([[0.4], [3.5]]), -0.5, 2.0),
     _gamma_logpdf),
    ("gamma.pdf", stats.gamma.pdf, (POS, np.array([[0.4], [3.5]]), 0, 1),
     lambda *a: mp.exp(_gamma_logpdf(*a))),
    ("gamma.cdf", stats.gamma.cdf, (POS, np.array([[0.4], [3.5]]), 0, 1.5), _gamma_cdf),
    ("gamma.logcdf", stats.gamma.logcdf, (POS, np.array([[0.4], [3.5]]), 0, 1.5),
     lambda *a: mp.log(_gamma_cdf(*a))),
    ("gamma.sf", stats.gamma.sf, (POS, np.array([[0.4], [3.5]]), 0, 1.5), _gamma_sf),
    ("gamma.logsf", stats.gamma.logsf, (POS, np.array([[0.4], [3.5]]), 0, 1.5),
     lambda *a: mp.log(_gamma_sf(*a))),
    ("chi2.logpdf", stats.chi2.logpdf, (POS, np.array([[1.0], [5.0]]), 0, 1),
     lambda x, df, l, s: _gamma_logpdf(x, df / 2, l, 2 * s)),
    ("chi2.cdf", stats.chi2.cdf, (POS, np.array([[1.0], [5.0]]), 0, 1),
     lambda x, df, l, s: _gamma_cdf(x, df / 2, l, 2 * s)),
    ("chi2.sf", stats.chi2.sf, (POS, np.array([[1.0], [5.0]]), 0, 1),
     lambda x, df, l, s: _gamma_sf(x, df / 2, l, 2 * s)),
    ("poisson.logpmf", stats.poisson.logpmf, (KS, np.array([[0.2], [6.0]]), 0), _poisson_logpmf),
    ("poisson.pmf", stats.poisson.pmf, (KS + 1, np.array([[0.2], [6.0]]), 1),
     lambda *a: mp.exp(_poisson_logpmf(*a))),
    ("poisson.cdf", stats.poisson.cdf, (KS + 0.5, np.array([[0.2], [6.0]]), 0), _poisson_cdf),
    ("bernoulli.logpmf", stats.bernoulli.logpmf, (np.array([0.0, 1.0]), np.array([[0.1], [0.7]]),
                                                  0), lambda k, p, l: mp.log(p if k else 1 - p)),
    ("bernoulli.pmf", stats.bernoulli.pmf, (np.array([2.0, 3.0]), np.array([[0.1], [0.7]]), 2),
     lambda k, p, l: p if k == l + 1 else 1 - p),
    ("uniform.logpdf", stats.uniform.logpdf, (X, LOC, SCALE + 4),
     lambda x, l, s: -mp.log(s) if 0 <= _z(x, l, s) <= 1 else -INF),
    ("uniform.pdf", stats.uniform.pdf, (X, LOC, SCALE + 4),
     lambda x, l, s: 1 / mp.mpf(s) if 0 <= _z(x, l, s) <= 1 else 0),
    ("uniform.cdf", stats.uniform.cdf, (X, LOC, SCALE + 4),
     lambda x, l, s: min(max(_z(x, l, s), 0), 1)),
    ("uniform.ppf", stats.uniform.ppf, (P, LOC, SCALE), lambda q, l, s: l + q * s),
    ("expon.logpdf", stats.expon.logpdf, (POS, LOC / 10, SCALE),
     lambda x, l, s: -_z(x, l, s) - mp.log(s)),
    ("expon.pdf", stats.expon.pdf, (POS, LOC / 10, SCALE),
     lambda x, l, s: mp.exp(-_z(x, l, s)) / s),
    ("expon.cdf", stats.expon.cdf, (POS, LOC / 10, SCALE), _expon_cdf),
    ("expon.logcdf", stats.expon.logcdf, (POS * 3, LOC / 10, SCALE),
     lambda *a: mp.log(_expon_cdf(*a))),
    ("expon.sf", stats.expon.sf, (POS, LOC / 10, SCALE), lambda x, l, s: mp.exp(-_z(x, l, s))),
    ("expon.logsf", stats.expon.logsf, (POS, LOC / 10, SCALE), lambda x, l, s: -_z(x, l, s)),
    ("expon.ppf", stats.expon.ppf, (P, LOC, SCALE), lambda q, l, s: l - s * mp.log1p(-q)),
    ("logistic.logpdf", stats.logistic.logpdf, (X * 10, LOC, SCALE), _logistic_logpdf),
    ("logistic.pdf", stats.logistic.pdf, (X, LOC, SCALE),
     lambda *a: mp.exp(_logistic_logpdf(*a))),
    ("logistic.cdf", stats.logistic.cdf, (X * 10, LOC, SCALE), _logistic_cdf),
    ("logistic.sf", stats.logistic.sf, (X * 10, LOC, SCALE), lambda *a: 1 - _logistic_cdf(*a)),
    ("logistic.ppf", stats.logistic.ppf, (P, LOC, SCALE),
     lambda q, l, s: l + s * mp.log(q / (1 - mp.mpf(q)))),
    ("logistic.isf", stats.logistic.isf, (P, LOC, SCALE),
     lambda q, l, s: l - s * mp.log(q / (1 - mp.mpf(q)))),
    ("cauchy.logpdf", stats.cauchy.logpdf, (X, LOC, SCALE),
     lambda x, l, s: -mp.log(mp.pi * s * (1 + _z(x, l, s) ** 2))),
    ("cauchy.pdf", stats.cauchy.pdf, (X, LOC, SCALE),
     lambda x, l, s: 1 / (mp.pi * s * (1 + _z(x, l, s) ** 2))),
    ("cauchy.cdf", stats.cauchy.cdf, (X * 1e3, LOC, SCALE), _cauchy_cdf),
    ("cauchy.logcdf", stats.cauchy.logcdf, (X * 1e3, LOC, SCALE),
     lambda *a: mp.log(_cauchy_cdf(*a))),
    ("cauchy.sf", stats.cauchy.sf, (X * 1e3, LOC, SCALE), lambda *a: 1 - _cauchy_cdf(*a)),
    ("cauchy.logsf", stats.cauchy.logsf, (X * 1e3, LOC, SCALE),
     lambda *a: mp.log(1 - _cauchy_cdf(*a))),
    ("cauchy.ppf", stats.cauchy.ppf, (P, LOC, SCALE), _cauchy_ppf),
    ("cauchy.isf", stats.cauchy.isf, (P, LOC, SCALE),
     lambda q, l, s: _cauchy_ppf(1 - mp.mpf(q), l, s)),
    ("laplace.logpdf", stats.laplace.logpdf, (X, LOC, SCALE),
     lambda x, l, s: -abs(_z(x, l, s)) - mp.log(2 * s)),
    ("laplace.pdf", stats.laplace.pdf, (X, LOC, SCALE),
     lambda x, l, s: mp.exp(-abs(_z(x, l, s))) / (2 * s)),
    ("laplace.cdf", stats.laplace.cdf, (X, LOC, SCALE), _laplace_cdf),
    ("geom.logpmf", stats.geom.logpmf, (KS + 1, np.array([[0.05], [0.6]]), 0),
     lambda k, p, l: (k - 1) * mp.log1p(-p) + mp.log(p)),
    ("geom.pmf", stats.geom.pmf, (KS + 1, np.array([[0.05], [1.0]]), 0),
     lambda k, p, l: (1 - mp.mpf(p)) ** (k - 1) * p),
    ("pareto.logpdf", stats.pareto.logpdf, (POS + 2.5, np.array([[0.5], [3.0]]), 0.5, 2.0),
     lambda x, b, l, s: mp.log(b) - (b + 1) * mp.log(_z(x, l, s)) - mp.log(s)),
    ("pareto.pdf", stats.pareto.pdf, (POS + 1, np.array([[0.5], [3.0]]), 0, 1),
     lambda x, b, l, s: b / mp.mpf(x) ** (b + 1)),
    ("binom.logpmf", stats.binom.logpmf, (KS, np.array([[13.0], [20.0]]), 0.3, 0), _binom_logpmf),
    ("binom.pmf", stats.binom.pmf, (KS, 13.0, np.array([[0.0], [0.3], [1.0]]), 0),
     lambda *a: mp.exp(_binom_logpmf(*a)) if 0 < a[2] < 1 else float(a[0] == a[2] * a[1])),
    ("nbinom.logpmf", stats.nbinom.logpmf, (KS, np.array([[0.5], [4.0]]), 0.35, 0),
     _nbinom_logpmf),
    ("nbinom.pmf", stats.nbinom.pmf, (KS, 4.0, np.array([[0.2], [1.0]]), 0),
     lambda *a: mp.exp(_nbinom_logpmf(*a)) if a[2] < 1 else float(a[0] == 0)),
]
CASE_IDS = [c[0] for c in CASES]
BY_ID = {c[0]: c for c in CASES}


def oracle(ref, *args):
    """The oracle on every broadcast element, at 40 digits, as float64."""
    arrays = np.broadcast_arrays(*[np.asarray(a, np.float64) for a in args])
    out = np.empty(arrays[0].shape)
    with mpmath.workdps(40):
        for idx in np.ndindex(out.shape):
            out[idx] = float(ref(*[float(a[idx]) for a in arrays]))
    return out


def to_fnx(args, dtype=np.float64):
    return tuple(fnp.asarray(np.asarray(a, dtype)) for a in args)


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_spec_rows_against_oracle(case_id):
    _, f, args, ref = BY_ID[case_id]
    got = f(*to_fnx(args))
    assert got.dtype == np.float64
    want = oracle(ref, *args)
    assert got.shape == want.shape
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("case_id", [i for i in CASE_IDS if i.endswith(("logpdf", "cdf", "ppf",
                                                                         "logpmf"))])
def test_float32_and_integer_inputs(case_id):
    _, f, args, _ = BY_ID[case_id]
    want = np.asarray(f(*to_fnx(args)))
    got = f(*to_fnx(args, np.float32))
    assert got.dtype == np.float32
    finite = np.isfinite(want) & (np.abs(want) < 1e30)
    np.testing.assert_allclose(np.asarray(got)[finite], want[finite], rtol=2e-3, atol=2e-5)
    # Python scalar parameters do not raise the precision of a float32 x
    scalars = [float(np.ravel(a)[0]) for a in args[1:]]
    assert f(*to_fnx(args[:1], np.float32), *scalars).dtype == np.float32


def test_integer_arguments_compute_in_float32():
    assert stats.norm.logpdf(1).dtype == np.float32
    assert stats.poisson.logpmf(fnp.asarray([0, 1, 2]), 3).dtype == np.float32
    got = stats.norm.cdf(fnp.asarray([0, 1], dtype="int32"), 0, 1)
    assert got.dtype == np.float32
    np.testing.assert_allclose(np.asarray(got), [0.5, 0.8413447], rtol=1e-6)


def test_defaults_and_broadcasting():
    x = np.linspace(-2, 2, 4)
    np.testing.assert_allclose(np.asarray(stats.norm.logpdf(fnp.asarray(x))),
                               oracle(_norm_logpdf, x, 0, 1), rtol=1e-13)
    loc, scale = np.array([0.0, 1.0, -1.0]), np.array([[0.5], [2.0]])
    got = stats.norm.logpdf(fnp.asarray(x[:, None, None]), fnp.asarray(loc), fnp.asarray(scale))
    assert got.shape == (4, 2, 3)
    np.testing.assert_allclose(np.asarray(got), oracle(_norm_logpdf, x[:, None, None], loc, scale),
                               rtol=1e-13)
    # keyword names as scipy / JAX spell them
    got = stats.gamma.logpdf(x=fnp.asarray(2.0, 'float64'), a=3.0, loc=0.5, scale=2.0)
    np.testing.assert_allclose(float(got), float(oracle(_gamma_logpdf, 2.0, 3.0, 0.5, 2.0)),
                               rtol=1e-13)
    got = stats.beta.cdf(fnp.asarray(0.3, 'float64'), a=2.0, b=3.0)
    np.testing.assert_allclose(float(got), float(oracle(_beta_cdf, 0.3, 2, 3, 0, 1)), rtol=1e-12)


def test_bad_shapes_raise_clear_errors():
    with pytest.raises(ShapeError, match="norm.logpdf"):
        stats.norm.logpdf(fnp.zeros(3), fnp.zeros(4))
    with pytest.raises(ShapeError, match="gamma.cdf"):
        stats.gamma.cdf(fnp.ones((2, 3)), fnp.ones(2))
    with pytest.raises(ShapeError, match=r"multivariate_normal.logpdf.*cov.shape=\(3, 2\)"):
        stats.multivariate_normal.logpdf(fnp.zeros(2), fnp.zeros(2), fnp.eye(3)[:, :2])
    with pytest.raises(ShapeError, match="multivariate_normal.logpdf"):
        stats.multivariate_normal.logpdf(fnp.zeros(3), fnp.zeros(2), fnp.eye(2))
    with pytest.raises(NotImplementedError, match="allow_singular"):
        stats.multivariate_normal.logpdf(fnp.zeros(2), fnp.zeros(2), fnp.eye(2), True)
    with pytest.raises(ShapeError, match=r"dirichlet.logpdf.*alpha.shape=\(2, 2\)"):
        stats.dirichlet.logpdf(fnp.ones(2) / 2, fnp.ones((2, 2)))
    with pytest.raises(ShapeError, match=r"dirichlet.logpdf.*x.shape=\(5,\)"):
        stats.dirichlet.logpdf(fnp.ones(5) / 5, fnp.ones(3))


# -- out of support, invalid parameters, edges (scipy's answers) --------------------------------

def _values(f, *args):
    return np.asarray(f(*to_fnx(args)))


def test_out_of_support_and_invalid_parameters():
    eq = np.testing.assert_array_equal
    eq(_values(stats.gamma.logpdf, [-1.0, 0.0, 0.0, 0.0], [2.0, 2.0, 1.0, 0.5]),
       [-INF, -INF, 0.0, INF])
    eq(_values(stats.gamma.cdf, [-1.0, 0.0, INF], 2.0), [0.0, 0.0, 1.0])
    eq(_values(stats.gamma.sf, [-1.0, 0.0, INF], 2.0), [1.0, 1.0, 0.0])
    eq(_values(stats.beta.logpdf, [-0.1, 1.1, 0.0, 1.0], 1.0, 1.0), [-INF, -INF, 0.0, 0.0])
    np.testing.assert_allclose(_values(stats.beta.pdf, [0.0, 0.0], [1.0, 2.0], 3.0), [3.0, 0.0],
                               rtol=1e-15)
    eq(_values(stats.beta.cdf, [-0.5, 1.5], 2.0, 3.0), [0.0, 1.0])
    eq(_values(stats.beta.sf, [-0.5, 1.5], 2.0, 3.0), [1.0, 0.0])
    eq(_values(stats.expon.logpdf, [-1.0], 0, 1), [-INF])
    eq(_values(stats.expon.cdf, [-1.0], 0, 1), [0.0])
    eq(_values(stats.expon.logcdf, [-1.0, 0.0], 0, 1), [-INF, -INF])
    eq(_values(stats.expon.sf, [-1.0], 0, 1), [1.0])
    eq(_values(stats.expon.logsf, [-1.0], 0, 1), [0.0])
    eq(_values(stats.uniform.pdf, [-0.5, 0.0, 1.0, 1.5]), [0.0, 1.0, 1.0, 0.0])
    eq(_values(stats.uniform.cdf, [-0.5, 1.5]), [0.0, 1.0])
    eq(_values(stats.pareto.logpdf, [0.5], 2.0), [-INF])
    eq(_values(stats.poisson.logpmf, [-1.0, 1.5], 2.0), [-INF, -INF])
    eq(_values(stats.poisson.pmf, [0.0, 1.0], 0.0), [1.0, 0.0])
    eq(_values(stats.poisson.cdf, [-0.5, INF], 2.0), [0.0, 1.0])
    eq(_values(stats.bernoulli.pmf, [-1.0, 0.5, 2.0], 0.3), [0.0, 0.0, 0.0])
    eq(_values(stats.bernoulli.cdf, [-0.5, 0.0, 0.5, 1.0, 7.0], 0.25), [0, 0.75, 0.75, 1, 1])
    eq(_values(stats.bernoulli.ppf, [0.0, 0.3, 0.7, 0.71, 1.0], 0.3), [-1, 0, 0, 1, 1])
    eq(_values(stats.geom.pmf, [0.0, 1.5], 0.5), [0.0, 0.0])
    eq(_values(stats.binom.pmf, [-1.0, 6.0, 2.5], 5.0, 0.5), [0.0, 0.0, 0.0])
    eq(_values(stats.nbinom.pmf, [-1.0, 2.5], 3.0, 0.5), [0.0, 0.0])
    for f, q in [(stats.norm.ppf, [0.0, 1.0]), (stats.cauchy.ppf, [0.0, 1.0]),
                 (stats.logistic.ppf, [0.0, 1.0]), (stats.expon.ppf, [0.0, 1.0])]:
        got = _values(f, q)
        assert got[1] == INF and got[0] == (0.0 if f is stats.expon.ppf else -INF), f
    for f, q in [(stats.norm.isf, [0.0, 1.0]), (stats.cauchy.isf, [0.0, 1.0]),
                 (stats.logistic.isf, [0.0, 1.0])]:
        eq(_values(f, q), [INF, -INF])
    # NaN: a non-positive scale, shapes outside their domain, probabilities outside [0, 1]
    nan_calls = [
        (stats.norm.logpdf, 0.0, 0.0, 0.0), (stats.norm.cdf, 0.0, 0.0, -1.0),
        (stats.norm.ppf, 1.5), (stats.norm.ppf, -0.1), (stats.norm.isf, 2.0),
        (stats.t.logpdf, 0.0, -1.0), (stats.t.cdf, 0.0, 0.0),
        (stats.beta.logpdf, 0.5, -1.0, 2.0), (stats.beta.cdf, 0.5, 1.0, 0.0),
        (stats.gamma.logpdf, 1.0, 0.0), (stats.gamma.sf, 1.0, -2.0),
        (stats.poisson.logpmf, 1.0, -1.0), (stats.poisson.cdf, 1.0, -1.0),
        (stats.bernoulli.pmf, 1.0, 1.5), (stats.bernoulli.ppf, 1.5, 0.5),
        (stats.uniform.logpdf, 0.5, 0.0, -1.0), (stats.uniform.ppf, 1.5),
        (stats.expon.cdf, 1.0, 0.0, 0.0), (stats.expon.ppf, -0.5),
        (stats.logistic.cdf, 1.0, 0.0, -2.0), (stats.logistic.ppf, 1.5),
        (stats.cauchy.logpdf, 1.0, 0.0, 0.0), (stats.cauchy.ppf, -0.5),
        (stats.laplace.cdf, 1.0, 0.0, -1.0), (stats.geom.pmf, 1.0, 0.0),
        (stats.pareto.logpdf, 2.0, -1.0), (stats.binom.pmf, 1.0, 3.0, 1.5),
        (stats.nbinom.pmf, 1.0, 0.0, 0.5), (stats.chi2.logpdf, 1.0, -1.0),
    ]
    for f, *args in nan_calls:
        assert np.isnan(float(f(*to_fnx(args)))), (f.__module__, f.__name__, args)


def test_tails_keep_their_digits():
    """Far-tail values scipy computes accurately: no cancellation in 1 - cdf and friends."""
    cases = [
        (stats.norm.sf, (10.0,), lambda: mp.ncdf(-10)),
        (stats.norm.logcdf, (-40.0,), lambda: mp.log(mp.ncdf(-40))),
        (stats.norm.logsf, (9.0,), lambda: mp.log(mp.ncdf(-9))),
        (stats.norm.isf, (1e-30,), lambda: mp.sqrt(2) * mp.erfinv(1 - 2 * mp.mpf(1e-30))),
        (stats.cauchy.cdf, (-1e12,), lambda: mp.mpf(1) / 2 + mp.atan(-1e12) / mp.pi),
        (stats.cauchy.ppf, (1e-15,), lambda: mp.tan(mp.pi * (mp.mpf(1e-15) - mp.mpf(1) / 2))),
        (stats.expon.logcdf, (40.0,), lambda: mp.log(-mp.expm1(-40))),
        (stats.expon.cdf, (1e-20,), lambda: -mp.expm1(-mp.mpf(1e-20))),
        (stats.logistic.sf, (40.0,), lambda: 1 / (1 + mp.exp(40))),
        (stats.laplace.cdf, (-50.0,), lambda: mp.exp(-50) / 2),
    ]
    with mpmath.workdps(60):
        for f, args, ref in cases:
            np.testing.assert_allclose(float(f(*to_fnx(args))), float(ref()), rtol=1e-9,
                                       err_msg=f"{f.__module__}.{f.__name__}")


# -- multivariate normal and dirichlet ---------------------------------------------------------

def _mvn_reference(x, mean, cov):
    d = x - mean
    sign, logdet = np.linalg.slogdet(cov)
    quad = np.einsum("...i,...ij,...j->...", d, np.linalg.inv(cov), d)
    return -0.5 * quad - 0.5 * logdet - 0.5 * d.shape[-1] * np.log(2 * np.pi)


def _spd(rng, *shape):
    a = rng.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def test_multivariate_normal():
    rng = np.random.default_rng(0)
    x, mean, cov = rng.standard_normal((5, 3)), rng.standard_normal(3), _spd(rng, 3, 3)
    got = stats.multivariate_normal.logpdf(*to_fnx((x, mean, cov)))
    np.testing.assert_allclose(np.asarray(got), _mvn_reference(x, mean, cov), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(stats.multivariate_normal.pdf(*to_fnx((x, mean, cov)))),
                               np.exp(_mvn_reference(x, mean, cov)), rtol=1e-12)
    # batched covariances broadcast against x's batch axes
    covs = _spd(rng, 2, 1, 3, 3)
    got = stats.multivariate_normal.logpdf(*to_fnx((x, mean, covs)))
    assert got.shape == (2, 5)
    np.testing.assert_allclose(np.asarray(got), _mvn_reference(x, mean, covs), rtol=1e-12)
    # scalar covariance = cov * identity; scalar mean = one dimension
    got = stats.multivariate_normal.logpdf(*to_fnx((x, mean, 2.5)))
    np.testing.assert_allclose(np.asarray(got), _mvn_reference(x, mean, 2.5 * np.eye(3)),
                               rtol=1e-12)
    got = stats.multivariate_normal.logpdf(*to_fnx((x[:, 0], 0.3, 1.7)))
    np.testing.assert_allclose(np.asarray(got), oracle(_norm_logpdf, x[:, 0], 0.3,
                                                       math.sqrt(1.7)), rtol=1e-12)
    f32 = stats.multivariate_normal.logpdf(*to_fnx((x, mean, cov), np.float32))
    assert f32.dtype == np.float32
    np.testing.assert_allclose(np.asarray(f32), _mvn_reference(x, mean, cov), rtol=1e-5)
    check_grads(stats.multivariate_normal.logpdf, to_fnx((x[:2], mean, cov)), order=1)


def test_dirichlet():
    alpha = np.array([0.7, 2.0, 3.5])
    x = np.array([[0.2, 0.5, 0.05], [0.3, 0.25, 0.9], [0.5, 0.25, 0.05]])   # columns on simplex
    want = [sum((a - 1) * math.log(v) for a, v in zip(alpha, col)) - sum(map(math.lgamma, alpha))
            + math.lgamma(alpha.sum()) for col in x.T]
    got = stats.dirichlet.logpdf(*to_fnx((x, alpha)))
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(stats.dirichlet.logpdf(*to_fnx((x[:2], alpha)))), want,
                               rtol=1e-12)  # K - 1 components: the last is 1 - sum
    np.testing.assert_allclose(np.asarray(stats.dirichlet.pdf(*to_fnx((x[:, 0], alpha)))),
                               math.exp(want[0]), rtol=1e-12)
    off = np.array([[0.2, -0.1], [0.3, 0.6], [0.6, 0.5]])                  # sum 1.1; negative
    np.testing.assert_array_equal(np.asarray(stats.dirichlet.logpdf(*to_fnx((off, alpha)))),
                                  [-INF, -INF])
    assert np.isnan(float(stats.dirichlet.logpdf(*to_fnx((x[:, 0], -alpha)))))
    got = stats.dirichlet.logpdf(*to_fnx((x[:, 0], alpha), np.float32))
    assert got.dtype == np.float32
    np.testing.assert_allclose(float(got), want[0], rtol=1e-5)
    check_grads(stats.dirichlet.logpdf, to_fnx((x[:2, 0], alpha)), order=1)


# -- hypothesis: random points against the oracles ---------------------------------------------

HYPO = {  # id -> ranges of the arguments
    "norm.logpdf": [(-50, 50), (-5, 5), (0.01, 20)],
    "norm.cdf": [(-30, 30), (-5, 5), (0.1, 10)],
    "norm.logsf": [(-30, 30), (-5, 5), (0.1, 10)],
    "norm.ppf": [(1e-12, 1 - 1e-9), (-5, 5), (0.1, 10)],
    "t.logpdf": [(-50, 50), (0.1, 60), (-5, 5), (0.1, 10)],
    "t.cdf": [(-20, 20), (0.5, 30), (-1, 1), (0.5, 2)],
    "beta.logpdf": [(1e-6, 1 - 1e-6), (0.1, 40), (0.1, 40), (0, 0), (1, 1)],
    "beta.cdf": [(1e-6, 1 - 1e-6), (0.1, 40), (0.1, 40), (0, 0), (1, 1)],
    "gamma.logpdf": [(1e-4, 80), (0.05, 40), (0, 0), (0.2, 5)],
    "gamma.sf": [(1e-4, 60), (0.05, 40), (0, 0), (0.2, 5)],
    "poisson.cdf": [(0, 40), (0.01, 40), (0, 0)],
    "logistic.logpdf": [(-300, 300), (-5, 5), (0.1, 10)],
    "cauchy.cdf": [(-1e6, 1e6), (-5, 5), (0.1, 10)],
    "expon.logcdf": [(1e-8, 60), (0, 0), (0.5, 2)],
    "laplace.cdf": [(-60, 60), (-5, 5), (0.1, 10)],
}


@pytest.mark.parametrize("case_id", sorted(HYPO))
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_hypothesis_points_against_oracle(case_id, data):
    _, f, _, ref = BY_ID[case_id]
    args = [np.array(data.draw(st.lists(st.floats(lo, hi), min_size=3, max_size=3)))
            if lo != hi else lo for lo, hi in HYPO[case_id]]
    want = oracle(ref, *args)
    got = np.asarray(f(*to_fnx(args)))
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-13)


# -- gradients, jit, vmap ----------------------------------------------------------------------

GRADS = [  # (function of the differentiated arguments, their values)
    (stats.norm.logpdf, (X, 0.3, 1.7)),
    (stats.norm.cdf, (X, 0.3, 1.7)),
    (stats.norm.logcdf, (X * 3, 0.3, 1.7)),
    (stats.norm.logsf, (X, 0.3, 1.7)),
    (stats.norm.ppf, (P[2:4], 0.3, 1.7)),
    (stats.t.logpdf, (X, 2.5, 0.3, 1.7)),
    (lambda x, loc, scale: stats.t.cdf(x, 2.5, loc, scale), (X[[0, 4]], 0.3, 1.7)),
    (stats.beta.logpdf, (UNIT[1:-1], 0.8, 2.5)),
    (lambda x: stats.beta.cdf(x, 0.8, 2.5), (UNIT[[1, 4]],)),
    (lambda x: stats.beta.logsf(x, 0.8, 2.5), (UNIT[[2, 4]],)),
    (stats.gamma.logpdf, (POS[1:], 2.5, -0.5, 1.5)),
    (lambda x, scale: stats.gamma.cdf(x, 2.5, 0.0, scale), (POS[1:], 1.5)),
    (lambda x: stats.gamma.logsf(x, 0.7), (POS[1:],)),
    (stats.chi2.logpdf, (POS[1:], 3.0)),
    (lambda mu: stats.poisson.logpmf(KS, mu), (np.array([0.5, 3.0, 9.0, 1.0, 2.0]),)),
    (lambda p: stats.bernoulli.logpmf(np.array([0.0, 1.0]), p), (np.array([0.2, 0.6]),)),
    (stats.uniform.logpdf, (np.array([0.2, 0.5]), -0.5, 2.0)),
    (stats.uniform.cdf, (np.array([0.2, 0.5]), -0.5, 2.0)),
    (stats.expon.logpdf, (POS, -0.1, 1.5)),
    (stats.expon.logcdf, (POS, -0.1, 1.5)),
    (stats.expon.ppf, (P[2:-1], -0.1, 1.5)),
    (stats.logistic.logpdf, (X, 0.3, 1.7)),
    (stats.logistic.ppf, (P[2:-1], 0.3, 1.7)),
    (stats.cauchy.logpdf, (X, 0.3, 1.7)),
    (stats.cauchy.cdf, (X, 0.3, 1.7)),
    (stats.cauchy.ppf, (P[2:-1], 0.3, 1.7)),
    (stats.laplace.logpdf, (X[X != 0.3], 0.3, 1.7)),
    (stats.laplace.cdf, (X, 0.3, 1.7)),
    (stats.pareto.logpdf, (POS + 2.5, 1.5, 0.5, 1.3)),
    (lambda p: stats.geom.logpmf(KS + 1, p), (np.array([0.1, 0.3, 0.5, 0.7, 0.9]),)),
    (lambda p: stats.binom.logpmf(KS, 20.0, p), (np.array([0.1, 0.35, 0.5, 0.6, 0.9]),)),
    (lambda n, p: stats.nbinom.logpmf(KS, n, p), (2.5, 0.35)),
]


@pytest.mark.parametrize("index", range(len(GRADS)))
def test_gradients(index):
    f, args = GRADS[index]
    check_grads(f, to_fnx(args), order=1)


def test_second_order_gradients():
    check_grads(stats.norm.logpdf, to_fnx((X, 0.3, 1.7)), order=2)
    check_grads(stats.t.logpdf, to_fnx((X, 2.5, 0.3, 1.7)), order=2)


DISTRIBUTIONS = {  # module -> (functions, arguments) for the jit / vmap checks
    "norm": (["logpdf", "pdf", "cdf", "logcdf", "logsf"], (X[:4], 0.3, 1.7)),
    "norm_q": (["ppf"], (P[:4], 0.3, 1.7)),
    "t": (["logpdf", "pdf", "cdf"], (X[:4], 2.5, 0.3, 1.7)),
    "beta": (["logpdf", "pdf", "cdf", "sf"], (UNIT[:4], 0.8, 2.5, 0.0, 1.0)),
    "gamma": (["logpdf", "pdf", "cdf", "sf"], (POS[:4], 2.5, 0.0, 1.5)),
    "chi2": (["logpdf", "pdf", "cdf", "sf"], (POS[:4], 3.0, 0.0, 1.0)),
    "poisson": (["logpmf", "pmf", "cdf"], (KS[:4], 2.5, 0.0)),
    "bernoulli": (["logpmf", "pmf"], (np.array([0.0, 1.0, 1.0, 2.0]), 0.3, 0.0)),
    "bernoulli_q": (["cdf", "ppf"], (np.array([0.0, 0.5, 0.8, 1.0]), 0.3)),
    "uniform": (["logpdf", "pdf", "cdf", "ppf"], (UNIT[:4], -0.5, 2.0)),
    "expon": (["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf"], (UNIT[:4], -0.1, 1.5)),
    "logistic": (["logpdf", "pdf", "cdf", "sf", "ppf", "isf"], (UNIT[:4], 0.3, 1.7)),
    "cauchy": (["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"],
               (UNIT[:4], 0.3, 1.7)),
    "laplace": (["logpdf", "pdf", "cdf"], (X[:4], 0.3, 1.7)),
    "geom": (["logpmf", "pmf"], (KS[:4] + 1, 0.3, 0.0)),
    "pareto": (["logpdf", "pdf"], (POS[:4] + 1, 1.5, 0.0, 1.0)),
    "binom": (["logpmf", "pmf"], (KS[:4], 10.0, 0.3, 0.0)),
    "nbinom": (["logpmf", "pmf"], (KS[:4], 2.5, 0.3, 0.0)),
}


def _all_functions(module_name, names):
    module = getattr(stats, module_name.split("_")[0])
    return lambda *args: [getattr(module, n)(*args) for n in names]


@pytest.mark.parametrize("module_name", sorted(DISTRIBUTIONS))
def test_jit_equals_eager_and_vmap_equals_loop(module_name):
    names, args = DISTRIBUTIONS[module_name]
    f = _all_functions(module_name, names)
    args = np.broadcast_arrays(*[np.asarray(a, np.float64) for a in args])
    eager = f(*to_fnx(args))
    jitted = fnx.jit(f)(*to_fnx(args))
    for name, e, j in zip(names, eager, jitted):
        np.testing.assert_allclose(np.asarray(j), np.asarray(e), rtol=1e-12, atol=1e-300,
                                   err_msg=name)
    batched = fnx.vmap(f)(*to_fnx(args))
    rows = 2
    for i in range(rows):
        one = f(*to_fnx([a[i] for a in args]))
        for name, b, o in zip(names, batched, one):
            np.testing.assert_allclose(np.asarray(b)[i], np.asarray(o), rtol=1e-12, atol=1e-300,
                                       err_msg=name)


def test_jit_and_vmap_of_multivariate_normal_and_dirichlet():
    rng = np.random.default_rng(3)
    x, mean, cov = rng.standard_normal((4, 3)), rng.standard_normal(3), _spd(rng, 3, 3)
    f = stats.multivariate_normal.logpdf
    eager = np.asarray(f(*to_fnx((x, mean, cov))))
    np.testing.assert_allclose(np.asarray(fnx.jit(f)(*to_fnx((x, mean, cov)))), eager,
                               rtol=1e-12)
    covs = np.stack([cov, _spd(rng, 3, 3)])
    batched = fnx.vmap(f, in_axes=(None, None, 0))(*to_fnx((x, mean, covs)))
    for i in range(2):
        np.testing.assert_allclose(np.asarray(batched)[i],
                                   np.asarray(f(*to_fnx((x, mean, covs[i])))), rtol=1e-12)
    alpha = np.array([0.7, 2.0, 3.5])
    xs = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    g = stats.dirichlet.logpdf
    batched = fnx.vmap(g, in_axes=(0, None))(*to_fnx((xs, alpha)))
    jitted = fnx.jit(g)(*to_fnx((xs.T, alpha)))
    for i in range(2):
        want = np.asarray(g(*to_fnx((xs[i], alpha))))
        np.testing.assert_allclose(np.asarray(batched)[i], want, rtol=1e-12)
        np.testing.assert_allclose(np.asarray(jitted)[i], want, rtol=1e-12)
