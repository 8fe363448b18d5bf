"""fnx.scipy: SciPy's API on fnx arrays (``jax.scipy``'s counterpart).  ``fnx.scipy.linalg``:
triangular / Cholesky / LU solves, decompositions with SciPy's conventions, ``expm``,
``block_diag``.  ``fnx.scipy.special``: erf, erfinv, gammaln, digamma, logsumexp, xlogy, expit,
logit, betaln, softmax, entr, erfc, ndtr, log_ndtr, ndtri, i0e, gamma, beta, gammainc, betainc,
zeta, polygamma ...  ``fnx.scipy.stats``: the distributions of ``jax.scipy.stats`` (norm, t,
beta, gamma, poisson, multivariate_normal, ...), one module each."""
from . import linalg  # noqa: F401
from . import special  # noqa: F401
from . import stats  # noqa: F401

__all__ = ["linalg", "special", "stats"]
