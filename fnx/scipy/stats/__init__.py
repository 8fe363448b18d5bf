"""``jax.scipy.stats`` on fnx arrays: one module per distribution, each a set of functions
with scipy's / JAX's names, argument names and defaults (``norm.logpdf(x, loc=0, scale=1)``).
Arguments broadcast against each other; integers compute in the default float (float32),
float64 stays float64.  Values outside the support give scipy's answers (-inf log density,
0 density, 0 / 1 cdf), invalid parameters (a non-positive scale, ...) NaN.  Written on
fnx.numpy, fnx.lax and fnx.scipy.special, so grad / jit / vmap apply.  Also the summaries
``mode``, ``rankdata``, ``sem`` and the ``gaussian_kde`` class."""
from . import (bernoulli, beta, betabinom, binom, cauchy, chi2, dirichlet, expon,  # noqa: F401
               gamma, gennorm, geom, gumbel_l, gumbel_r, laplace, logistic, multinomial,
               multivariate_normal, nbinom, norm, pareto, poisson, t, truncnorm, uniform,
               vonmises, wrapcauchy)
from ._core import ModeResult, mode, rankdata, sem  # noqa: F401
from .kde import gaussian_kde  # noqa: F401

__all__ = ["bernoulli", "beta", "betabinom", "binom", "cauchy", "chi2", "dirichlet", "expon",
           "gamma", "gennorm", "geom", "gumbel_l", "gumbel_r", "laplace", "logistic",
           "multinomial", "multivariate_normal", "nbinom", "norm", "pareto", "poisson", "t",
           "truncnorm", "uniform", "vonmises", "wrapcauchy",
           "ModeResult", "mode", "rankdata", "sem", "gaussian_kde"]
