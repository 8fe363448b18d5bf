"""``jax.nn.initializers``: initializer factories returning ``init(key, shape, dtype=float32)``.

Unlike ``fnx.nn.init`` (PyTorch's conventions: weights ``(out, in, *kernel)``, keyword options),
these follow JAX: a factory is configured first and returns the initializer, and fans are read
from the axes ``in_axis`` (default -2) / ``out_axis`` (default -1), so a Dense weight is
``(in, out)`` and a conv kernel ``HWIO``; every axis that is neither an input, output nor batch
axis is part of the receptive field.

>>> import fnx
>>> from fnx.nn import initializers
>>> w = initializers.glorot_normal()(fnx.random.PRNGKey(0), (64, 32))
>>> b = initializers.zeros(fnx.random.PRNGKey(1), (32,))
"""
from __future__ import annotations

import math
import operator
from typing import Protocol

import numpy as np

from .. import numpy as fnp
from .. import random
from ..errors import InvalidArgumentError

__all__ = ["Initializer", "zeros", "ones", "constant", "uniform", "normal", "truncated_normal",
           "variance_scaling", "glorot_uniform", "glorot_normal", "xavier_uniform",
           "xavier_normal", "lecun_uniform", "lecun_normal", "he_uniform", "he_normal",
           "kaiming_uniform", "kaiming_normal", "orthogonal", "delta_orthogonal"]

# The standard deviation of a standard normal truncated to (-2, 2): variance_scaling divides by
# it so that the *truncated* samples have the requested standard deviation (JAX's constant).
_TRUNCATED_STD = 0.87962566103423978
# The same for a complex normal whose modulus is truncated at 2 (JAX's constant).
_COMPLEX_TRUNCATED_STD = 0.95311164380491208


class Initializer(Protocol):
    """What every initializer here is: ``init(key, shape, dtype=float32) -> Array``."""

    def __call__(self, key, shape, dtype=fnp.float32):
        ...


def _shape(op: str, shape) -> tuple:
    try:
        shape = tuple(operator.index(d) for d in (shape if np.iterable(shape) else (shape,)))
    except TypeError:
        raise InvalidArgumentError(f"{op}: shape must be a sequence of ints, got {shape!r}") from None
    if any(d < 0 for d in shape):
        raise InvalidArgumentError(f"{op}: shape must not have negative dimensions, got {shape}")
    return shape


def _dtype(op: str, dtype, *, inexact: bool = True):
    dt = np.dtype(fnp.float32 if dtype is None else dtype)
    if inexact and not (np.issubdtype(dt, np.floating) or np.issubdtype(dt, np.complexfloating)):
        raise InvalidArgumentError(f"{op}: needs a floating or complex dtype, got {dt}")
    return dt


def _is_complex(dtype) -> bool:
    return np.issubdtype(np.dtype(dtype), np.complexfloating)


def _real_dtype(dtype):
    return np.dtype(np.zeros((), np.dtype(dtype)).real.dtype)


# ---------------------------------------------------------------------------------------------
# Constant and simple random initializers
# ---------------------------------------------------------------------------------------------

def zeros(key, shape, dtype=fnp.float32):
    """All zeros (``key`` is ignored). ``zeros(key, (3, 4))``"""
    return fnp.zeros(_shape("zeros", shape), _dtype("zeros", dtype, inexact=False))


def ones(key, shape, dtype=fnp.float32):
    """All ones (``key`` is ignored). ``ones(key, (3, 4))``"""
    return fnp.ones(_shape("ones", shape), _dtype("ones", dtype, inexact=False))


def constant(value, dtype=fnp.float32) -> Initializer:
    """An initializer filling with ``value``. ``constant(-7)(key, (2, 3))``"""
    def init(key, shape, dtype=dtype):
        return fnp.full(_shape("constant", shape), value, _dtype("constant", dtype, inexact=False))
    return init


def uniform(scale=1e-2, dtype=fnp.float32) -> Initializer:
    """Uniform on ``[0, scale)`` (JAX's convention: not centred). ``uniform(0.1)(key, (3,))``"""
    def init(key, shape, dtype=dtype):
        dtype = _dtype("uniform", dtype)
        return random.uniform(key, _shape("uniform", shape), dtype) * fnp.asarray(scale, dtype)
    return init


def normal(stddev=1e-2, dtype=fnp.float32) -> Initializer:
    """Normal with mean 0 and standard deviation ``stddev``. ``normal(0.02)(key, (3, 4))``"""
    def init(key, shape, dtype=dtype):
        dtype = _dtype("normal", dtype)
        return _standard_normal(key, _shape("normal", shape), dtype) * fnp.asarray(stddev, dtype)
    return init


def truncated_normal(stddev=1e-2, dtype=fnp.float32, lower=-2.0, upper=2.0) -> Initializer:
    """A standard normal truncated to ``(lower, upper)``, times ``stddev`` (so the samples' own
    standard deviation is below ``stddev``: no correction, as in JAX).
    ``truncated_normal(0.1)(key, (3, 4))``"""
    def init(key, shape, dtype=dtype):
        dtype = _dtype("truncated_normal", dtype)
        if _is_complex(dtype):
            raise InvalidArgumentError(f"truncated_normal: needs a real dtype, got {dtype}")
        z = random.truncated_normal(key, lower, upper, _shape("truncated_normal", shape), dtype)
        return z * fnp.asarray(stddev, dtype)
    return init


def _standard_normal(key, shape, dtype):
    """N(0, 1); for a complex dtype, real and imaginary parts N(0, 1/2) each (unit variance)."""
    if not _is_complex(dtype):
        return random.normal(key, shape, dtype)
    real = _real_dtype(dtype)
    k_re, k_im = random.split(key)
    re, im = random.normal(k_re, shape, real), random.normal(k_im, shape, real)
    return ((re + 1j * im) * math.sqrt(0.5)).astype(dtype)


def _complex_uniform(key, shape, dtype):
    """Uniform on the unit disk scaled to unit variance: modulus ``sqrt(2 u)``, uniform angle."""
    real = _real_dtype(dtype)
    k_r, k_theta = random.split(key)
    r = fnp.sqrt(2.0 * random.uniform(k_r, shape, real))
    theta = (2.0 * math.pi) * random.uniform(k_theta, shape, real)
    return (r * fnp.exp(1j * theta)).astype(dtype)


def _complex_truncated_normal(key, upper, shape, dtype):
    """A complex normal of unit variance whose modulus is truncated at ``upper``: the modulus by
    inverting its (Rayleigh) CDF restricted to [0, upper), the angle uniform."""
    real = _real_dtype(dtype)
    k_r, k_theta = random.split(key)
    t = (1.0 - math.exp(-upper * upper)) * random.uniform(k_r, shape, real)
    r = fnp.sqrt(-fnp.log1p(-t))
    theta = (2.0 * math.pi) * random.uniform(k_theta, shape, real)
    return (r * fnp.exp(1j * theta)).astype(dtype)


# ---------------------------------------------------------------------------------------------
# Variance scaling and its named cases
# ---------------------------------------------------------------------------------------------

def _axes(op: str, axes, rank: int, what: str) -> tuple:
    axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
    out = []
    for a in axes:
        a = operator.index(a)
        if not -rank <= a < rank:
            raise InvalidArgumentError(f"{op}: {what} {a} is out of range for a weight of rank {rank}")
        out.append(a % rank)
    return tuple(out)


def _compute_fans(shape, in_axis=-2, out_axis=-1, batch_axis=(), op="variance_scaling"):
    """``(fan_in, fan_out)`` as JAX computes them: the product of the ``in_axis`` sizes (resp.
    ``out_axis``) times the receptive field, the product of every axis that is neither in, out
    nor batch. Floats, as in JAX (a weight with a zero dimension gives nan fans)."""
    shape = tuple(shape)
    if len(shape) <= 1:
        raise InvalidArgumentError(
            f"{op}: can't compute input and output sizes of a {len(shape)}-dimensional weights "
            f"tensor of shape {shape}; it must be at least 2D")
    ins = _axes(op, in_axis, len(shape), "in_axis")
    outs = _axes(op, out_axis, len(shape), "out_axis")
    batch = _axes(op, batch_axis, len(shape), "batch_axis")
    in_size = math.prod(shape[a] for a in ins)
    out_size = math.prod(shape[a] for a in outs)
    batch_size = math.prod(shape[a] for a in batch)
    named = in_size * out_size * batch_size
    receptive = math.prod(shape) / named if named else math.nan
    return in_size * receptive, out_size * receptive


_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")


def variance_scaling(scale, mode: str, distribution: str, in_axis=-2, out_axis=-1,
                     batch_axis=(), dtype=fnp.float32) -> Initializer:
    """Samples of mean 0 and variance ``scale / n``, ``n`` the fan chosen by ``mode``
    ("fan_in", "fan_out", "fan_avg" or "fan_geo_avg"), from ``distribution``:
    "truncated_normal" (at two standard deviations, rescaled so the truncated samples have the
    variance), "normal" or "uniform" (a disk for complex dtypes).

    >>> init = variance_scaling(2.0, "fan_in", "truncated_normal")   # he_normal
    >>> w = init(fnx.random.PRNGKey(0), (3, 3, 16, 32))             # HWIO: fan_in = 3*3*16
    """
    if mode not in _MODES:
        raise InvalidArgumentError(
            f"variance_scaling: invalid mode {mode!r}, expected one of {', '.join(_MODES)}")
    if distribution not in _DISTRIBUTIONS:
        raise InvalidArgumentError(
            f"variance_scaling: invalid distribution {distribution!r}, expected one of "
            f"{', '.join(_DISTRIBUTIONS)}")

    def init(key, shape, dtype=dtype):
        shape = _shape("variance_scaling", shape)
        dtype = _dtype("variance_scaling", dtype)
        fan_in, fan_out = _compute_fans(shape, in_axis, out_axis, batch_axis)
        denominator = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
                       "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]
        std = math.sqrt(scale / denominator) if denominator else math.inf
        complex_ = _is_complex(dtype)
        if distribution == "truncated_normal":
            if complex_:
                z = _complex_truncated_normal(key, 2.0, shape, dtype)
                return z * fnp.asarray(std / _COMPLEX_TRUNCATED_STD, dtype)
            z = random.truncated_normal(key, -2.0, 2.0, shape, dtype)
            return z * fnp.asarray(std / _TRUNCATED_STD, dtype)
        if distribution == "normal":
            return _standard_normal(key, shape, dtype) * fnp.asarray(std, dtype)
        if complex_:
            return _complex_uniform(key, shape, dtype) * fnp.asarray(std, dtype)
        # uniform on (-sqrt(3) std, sqrt(3) std): variance std^2
        return random.uniform(key, shape, dtype, -1.0, 1.0) * fnp.asarray(math.sqrt(3.0) * std,
                                                                             dtype)
    return init


def _named_scaling(scale, mode, distribution, doc):
    def factory(in_axis=-2, out_axis=-1, batch_axis=(), dtype=fnp.float32) -> Initializer:
        return variance_scaling(scale, mode, distribution, in_axis, out_axis, batch_axis, dtype)
    factory.__doc__ = (f"{doc}: ``variance_scaling({scale}, {mode!r}, {distribution!r})``. "
                       "``init = factory(); init(key, (fan_in, fan_out))``")
    return factory


glorot_uniform = _named_scaling(1.0, "fan_avg", "uniform", "Glorot (Xavier) uniform")
glorot_normal = _named_scaling(1.0, "fan_avg", "truncated_normal", "Glorot (Xavier) normal")
lecun_uniform = _named_scaling(1.0, "fan_in", "uniform", "LeCun uniform")
lecun_normal = _named_scaling(1.0, "fan_in", "truncated_normal", "LeCun normal")
he_uniform = _named_scaling(2.0, "fan_in", "uniform", "He (Kaiming) uniform")
he_normal = _named_scaling(2.0, "fan_in", "truncated_normal", "He (Kaiming) normal")
for _name in ("glorot_uniform", "glorot_normal", "lecun_uniform", "lecun_normal", "he_uniform",
              "he_normal"):
    globals()[_name].__name__ = globals()[_name].__qualname__ = _name
del _name
xavier_uniform, xavier_normal = glorot_uniform, glorot_normal
kaiming_uniform, kaiming_normal = he_uniform, he_normal


# ---------------------------------------------------------------------------------------------
# Orthogonal
# ---------------------------------------------------------------------------------------------

def orthogonal(scale=1.0, column_axis=-1, dtype=fnp.float32) -> Initializer:
    """A (semi-)orthogonal weight times ``scale``: with ``column_axis`` moved last and the other
    axes flattened into rows, the rows (if fewer) or the columns are orthonormal. Q of the QR
    factorization of a normal matrix, signs fixed by R's diagonal (uniform over orthogonal
    matrices); traceable (jit / vmap).

    >>> w = orthogonal()(fnx.random.PRNGKey(0), (4, 4))   # w @ w.T == eye(4)
    """
    def init(key, shape, dtype=dtype):
        shape = _shape("orthogonal", shape)
        dtype = _dtype("orthogonal", dtype)
        if len(shape) < 2:
            raise InvalidArgumentError(
                f"orthogonal: needs a shape of rank >= 2, got {shape}")
        axis = _axes("orthogonal", column_axis, len(shape), "column_axis")[0]
        n_cols = shape[axis]
        n_rows = math.prod(shape) // n_cols if n_cols else math.prod(
            d for i, d in enumerate(shape) if i != axis)
        tall = (max(n_rows, n_cols), min(n_rows, n_cols))
        q, r = fnp.linalg.qr(_standard_normal(key, tall, dtype))
        q = q * _unit_phase(fnp.diagonal(r))[None, :]
        if n_rows < n_cols:
            q = q.T
        rest = tuple(d for i, d in enumerate(shape) if i != axis)
        q = fnp.moveaxis(fnp.reshape(q, rest + (n_cols,)), -1, axis)
        return q * fnp.asarray(scale, dtype)
    return init


def _unit_phase(d):
    """``sign(d)`` extended to complex numbers (``d / |d|``), 1 where ``d`` is 0."""
    mag = fnp.abs(d)
    safe = fnp.where(mag > 0, mag, fnp.ones_like(mag))
    return fnp.where(mag > 0, d / safe.astype(d.dtype), fnp.ones_like(d))


def delta_orthogonal(scale=1.0, column_axis=-1, dtype=fnp.float32) -> Initializer:
    """For a 1D / 2D / 3D convolution kernel (spatial axes first, then in, out: ``WIO``, ``HWIO``,
    ``DHWIO``): zeros except the centre tap, an orthogonal ``(in, out)`` matrix (needs
    ``in <= out``), so the convolution preserves norms at initialization (Xiao et al. 2018).

    >>> w = delta_orthogonal()(fnx.random.PRNGKey(0), (3, 3, 4, 8))
    """
    def init(key, shape, dtype=dtype):
        shape = _shape("delta_orthogonal", shape)
        dtype = _dtype("delta_orthogonal", dtype)
        if len(shape) not in (3, 4, 5):
            raise InvalidArgumentError(
                f"delta_orthogonal: needs a 3D, 4D or 5D kernel shape, got {shape}")
        if shape[-1] < shape[-2]:
            raise InvalidArgumentError(
                f"delta_orthogonal: fan_in must be less than or equal to fan_out, got kernel "
                f"shape {shape} (in {shape[-2]} > out {shape[-1]})")
        centre = orthogonal(scale, column_axis, dtype)(key, shape[-2:], dtype)
        middle = tuple((k - 1) // 2 for k in shape[:-2])
        return fnp.zeros(shape, dtype).at[middle].set(centre)
    return init

