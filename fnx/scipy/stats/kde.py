"""``gaussian_kde``: a Gaussian kernel density estimate (``jax.scipy.stats.gaussian_kde``).

The kernel covariance is the data's weighted covariance times ``factor**2``, the factor from
``bw_method``: Scott's ``neff^(-1 / (d + 4))``, Silverman's ``(neff (d + 2) / 4)^(-1 / (d +
4))``, a scalar, or a callable of the kde.  Evaluation whitens data and points with the
Cholesky factor of the inverse covariance, so it is one squared-distance matrix and an
exp-sum (or a logsumexp for ``logpdf``).  The object is a pytree (its arrays the leaves), so
it passes through jit / vmap / grad like JAX's."""
from __future__ import annotations

import math

from ... import dtypes
from ... import numpy as fnp
from ... import random
from ...errors import DTypeError, InvalidArgumentError, ShapeError
from ...tree_util import register_pytree_node_class
from .. import linalg, special

__all__ = ["gaussian_kde"]

_FIELDS = ("neff", "dataset", "weights", "covariance", "inv_cov")


def _real_inexact(name, x):
    x = fnp.asarray(x)
    if dtypes.is_complex(x.dtype):
        raise DTypeError(f"{name}: complex data is not supported, got {x.dtype}")
    if not dtypes.is_inexact(x.dtype):
        x = x.astype(dtypes.default_float)
    return x


def _bandwidth_factor(kde, bw_method):
    d, neff = kde.d, kde.neff
    if bw_method is None or (isinstance(bw_method, str) and bw_method == "scott"):
        return neff ** (-1.0 / (d + 4))
    if isinstance(bw_method, str) and bw_method == "silverman":
        return (neff * (d + 2) / 4.0) ** (-1.0 / (d + 4))
    if callable(bw_method):
        return bw_method(kde)
    if not isinstance(bw_method, str) and fnp.ndim(bw_method) == 0:
        return bw_method
    raise InvalidArgumentError("gaussian_kde: bw_method must be 'scott', 'silverman', a scalar "
                               f"or a callable, got {bw_method!r}")


@register_pytree_node_class
class gaussian_kde:
    __slots__ = _FIELDS

    def __init__(self, dataset, bw_method=None, weights=None):
        dataset = fnp.atleast_2d(_real_inexact("gaussian_kde", dataset))
        if dataset.ndim != 2:
            raise ShapeError(f"gaussian_kde: dataset must be (d, n) or (n,), got shape "
                             f"{dataset.shape}")
        if not dataset.size > 1:
            raise InvalidArgumentError("gaussian_kde: dataset needs more than one element, "
                                       f"got shape {dataset.shape}")
        d, n = dataset.shape
        if weights is None:
            weights = fnp.full((n,), 1.0 / n, dtype=dataset.dtype)
        else:
            weights = fnp.atleast_1d(_real_inexact("gaussian_kde", weights))
            if weights.shape != (n,):
                raise ShapeError(f"gaussian_kde: weights must have shape ({n},) (one per data "
                                 f"point), got {weights.shape}")
            dtype = dtypes.promote_types(dataset.dtype, weights.dtype)
            dataset, weights = dataset.astype(dtype), weights.astype(dtype)
            weights = weights / fnp.sum(weights)
        self._set("dataset", dataset)
        self._set("weights", weights)
        self._set("neff", 1.0 / fnp.sum(weights * weights))
        factor = _bandwidth_factor(self, bw_method)
        data_cov = fnp.atleast_2d(fnp.cov(dataset, rowvar=True, bias=False, aweights=weights))
        self._set("covariance", data_cov * factor ** 2)
        self._set("inv_cov", fnp.linalg.inv(data_cov) / factor ** 2)

    def _set(self, name, value):
        object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError(f"gaussian_kde is immutable (tried to set {name!r})")

    def tree_flatten(self):
        return tuple(getattr(self, f) for f in _FIELDS), None

    @classmethod
    def tree_unflatten(cls, aux_data, children):
        kde = cls.__new__(cls)
        for field, value in zip(_FIELDS, children):
            kde._set(field, value)
        return kde

    @property
    def d(self):
        return self.dataset.shape[0]

    @property
    def n(self):
        return self.dataset.shape[1]

    def _points(self, name, points):
        """``points`` as (d, m): a (d, m) array, a (m,) array for d == 1, a (d,) point."""
        points = fnp.atleast_2d(_real_inexact(name, points))
        if points.ndim != 2:
            raise ShapeError(f"{name}: points must be at most 2-D, got shape {points.shape}")
        if points.shape[0] != self.d:
            if points.shape[0] == 1 and points.shape[1] == self.d:
                return points.reshape((self.d, 1))
            raise ShapeError(f"{name}: points have dimension {points.shape[0]}, the dataset "
                             f"has dimension {self.d} (shape {points.shape})")
        return points

    def _log_kernels(self, points):
        """(m, n): log of weight_j times the kernel density of data point j at point i."""
        whitening = fnp.linalg.cholesky(self.inv_cov)          # inv_cov = W W^T
        data = fnp.matmul(self.dataset.T, whitening)
        pts = fnp.matmul(points.T.astype(data.dtype), whitening)
        sq = fnp.sum((pts[:, None, :] - data[None, :, :]) ** 2, axis=-1)
        log_norm = fnp.sum(fnp.log(fnp.diagonal(whitening))) - 0.5 * self.d * math.log(2 * math.pi)
        return fnp.log(self.weights)[None, :] + log_norm - 0.5 * sq

    def evaluate(self, points):
        """The density at ``points`` ((d, m), or (m,) when d == 1): shape (m,)."""
        return fnp.sum(fnp.exp(self._log_kernels(self._points("gaussian_kde.evaluate",
                                                                points))), axis=1)

    __call__ = evaluate
    pdf = evaluate

    def logpdf(self, x):
        """log of the density, as a logsumexp (finite far from the data)."""
        return special.logsumexp(self._log_kernels(self._points("gaussian_kde.logpdf", x)),
                                 axis=1)

    def integrate_gaussian(self, mean, cov):
        """The integral of the kde times the Gaussian N(mean, cov)."""
        mean = fnp.atleast_1d(fnp.squeeze(fnp.asarray(mean)))
        cov = fnp.atleast_2d(fnp.asarray(cov))
        if mean.shape != (self.d,):
            raise ShapeError(f"gaussian_kde.integrate_gaussian: mean must have shape "
                             f"({self.d},), got {mean.shape}")
        if cov.shape != (self.d, self.d):
            raise ShapeError(f"gaussian_kde.integrate_gaussian: cov must have shape "
                             f"({self.d}, {self.d}), got {cov.shape}")
        return self._convolve(self.covariance + cov, self.dataset, self.weights, mean)

    def _convolve(self, total_cov, target, weights, mean):
        chol = fnp.linalg.cholesky(total_cov)
        norm = 1.0 / (math.sqrt(2 * math.pi) ** self.d * fnp.prod(fnp.diagonal(chol)))
        diff = target - mean[:, None]
        alpha = linalg.cho_solve((chol, True), diff)
        return norm * fnp.sum(fnp.exp(-0.5 * fnp.sum(diff * alpha, axis=0)) * weights)

    def integrate_box_1d(self, low, high):
        """The probability mass in [low, high] (one-dimensional kde, scalar limits)."""
        if self.d != 1:
            raise InvalidArgumentError("gaussian_kde.integrate_box_1d: the kde must be "
                                       f"one-dimensional, it has d = {self.d}")
        if fnp.ndim(low) != 0 or fnp.ndim(high) != 0:
            raise ShapeError("gaussian_kde.integrate_box_1d: low and high must be scalars, got "
                             f"shapes {fnp.shape(low)} and {fnp.shape(high)}")
        sigma = fnp.sqrt(self.covariance[0, 0])
        upper = special.ndtr((high - self.dataset[0]) / sigma)
        lower = special.ndtr((low - self.dataset[0]) / sigma)
        return fnp.sum(self.weights * (upper - lower))

    def integrate_kde(self, other):
        """The integral of the product of two kdes of the same dimension."""
        if other.d != self.d:
            raise ShapeError(f"gaussian_kde.integrate_kde: dimensions differ ({self.d} and "
                             f"{other.d})")
        total = self.covariance + other.covariance
        values = [self._convolve(total, other.dataset, other.weights, self.dataset[:, j])
                  for j in range(self.n)] if self.n <= other.n else \
                 [self._convolve(total, self.dataset, self.weights, other.dataset[:, j])
                  for j in range(other.n)]
        small = self.weights if self.n <= other.n else other.weights
        return fnp.sum(fnp.stack(values) * small)

    def resample(self, key, shape=()):
        """Draws from the kde: a data point chosen by weight plus Gaussian kernel noise; shape
        (d, *shape)."""
        shape = tuple(shape)
        index_key, noise_key = random.split(key)
        index = random.choice(index_key, self.n, shape=shape, p=self.weights)
        noise = random.multivariate_normal(noise_key, fnp.zeros((self.d,), self.dataset.dtype),
                                           self.covariance, shape=shape,
                                           dtype=self.dataset.dtype)
        return self.dataset[:, index] + fnp.moveaxis(noise, -1, 0)

    def integrate_box(self, low_bounds, high_bounds, maxpts=None):
        raise NotImplementedError("gaussian_kde.integrate_box: only 1-D boxes are supported; "
                                  "use integrate_box_1d")

    def set_bandwidth(self, bw_method=None):
        raise NotImplementedError("gaussian_kde.set_bandwidth: the kde is immutable; build a "
                                  "new one with the bw_method")
