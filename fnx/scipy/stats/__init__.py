"""``jax.scipy.stats`` on fnx arrays: one module per distribution, each a set of functions
with scipy's / JAX's names, argument names and defaults (``norm.logpdf(x, loc=0, scale=1)``).
Arguments broadcast against each other; integers compute in the default float (float32),
float64 stays float64.  Values outside the support give scipy's answers (-inf log density,
0 density, 0 / 1 cdf), invalid parameters (a non-positive scale, ...) NaN.  Written on
fnx.numpy, fnx.lax and fnx.scipy.special, so grad / jit / vmap apply."""
from . import (bernoulli, beta, binom, cauchy, chi2, dirichlet, expon, gamma, geom,  # noqa: F401
               laplace, logistic, multivariate_normal, nbinom, norm, pareto, poisson, t,
               uniform)

__all__ = ["bernoulli", "beta", "binom", "cauchy", "chi2", "dirichlet", "expon", "gamma", "geom",
           "laplace", "logistic", "multivariate_normal", "nbinom", "norm", "pareto", "poisson",
           "t", "uniform"]
