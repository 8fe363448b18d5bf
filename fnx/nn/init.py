"""Parameter initializers: ``init(key, shape, dtype=float32, **options) -> Array``.

Semantics follow ``torch.nn.init`` (fans of an ``(out, in, *kernel)`` weight: ``fan_in = in * prod(kernel)``,
``fan_out = out * prod(kernel)``), so layers built with them match PyTorch's default initialization in
distribution. Configure with ``functools.partial``::

    >>> w = nn.init.kaiming_uniform(key, (64, 32), nonlinearity="relu")
    >>> my_init = functools.partial(nn.init.xavier_normal, gain=nn.init.calculate_gain("tanh"))
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import numpy as fnp
from .. import random
from ..errors import InvalidArgumentError

__all__ = ["calculate_gain", "compute_fans", "uniform", "normal", "xavier_uniform", "xavier_normal",
           "kaiming_uniform", "kaiming_normal", "orthogonal", "zeros", "ones", "constant",
           "glorot_uniform"]


def calculate_gain(nonlinearity: str = "linear", param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (``torch.nn.init.calculate_gain``).

    >>> calculate_gain("relu")
    1.4142135623730951
    """
    if nonlinearity in ("linear", "sigmoid", "identity") or nonlinearity.startswith("conv"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope * slope))
    if nonlinearity == "selu":
        return 0.75
    raise InvalidArgumentError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}")


def compute_fans(shape) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape`` laid out ``(out, in, *kernel)`` (PyTorch)."""
    shape = tuple(shape)
    if len(shape) < 2:
        raise InvalidArgumentError(f"compute_fans: needs a weight of rank >= 2, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _zero_element(op: str, shape, dtype):
    """For a weight with no elements (e.g. ``Linear(0, 4)``): an empty array, and PyTorch's
    warning that initializing it does nothing.  None for any other shape.  Its fans may be 0,
    so the scale must not be computed (it divides by them)."""
    shape = tuple(shape)
    if math.prod(shape) != 0:
        return None
    warnings.warn(f"{op}: initializing a zero-element tensor of shape {shape} is a no-op",
                  UserWarning, stacklevel=3)
    return fnp.zeros(shape, dtype)


def _fan(shape, mode: str) -> int:
    fan_in, fan_out = compute_fans(shape)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise InvalidArgumentError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")


def uniform(key, shape, dtype=fnp.float32, *, minval: float = 0.0, maxval: float = 1.0):
    """Uniform on ``[minval, maxval)``. ``uniform(key, (3,), minval=-1, maxval=1)``"""
    return random.uniform(key, tuple(shape), dtype, minval, maxval)


def normal(key, shape, dtype=fnp.float32, *, mean: float = 0.0, std: float = 1.0):
    """Normal with ``mean`` and ``std``. ``normal(key, (3, 4), std=0.02)``"""
    return random.normal(key, tuple(shape), dtype) * std + mean


def xavier_uniform(key, shape, dtype=fnp.float32, *, gain: float = 1.0):
    """Glorot uniform: ``U(-a, a)``, ``a = gain * sqrt(6 / (fan_in + fan_out))``.
    ``xavier_uniform(key, (out, in))``"""
    compute_fans(shape)  # the rank check, even for an empty weight
    empty = _zero_element("xavier_uniform", shape, dtype)
    if empty is not None:
        return empty
    fan_in, fan_out = compute_fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(key, shape, dtype, minval=-bound, maxval=bound)


def xavier_normal(key, shape, dtype=fnp.float32, *, gain: float = 1.0):
    """Glorot normal: ``N(0, std^2)``, ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    compute_fans(shape)  # the rank check, even for an empty weight
    empty = _zero_element("xavier_normal", shape, dtype)
    if empty is not None:
        return empty
    fan_in, fan_out = compute_fans(shape)
    return normal(key, shape, dtype, std=gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform(key, shape, dtype=fnp.float32, *, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu"):
    """He uniform: ``U(-b, b)``, ``b = gain * sqrt(3 / fan)`` with ``gain = calculate_gain(nonlinearity, a)``.
    PyTorch's default Linear/Conv init is ``kaiming_uniform(a=sqrt(5))`` (bound ``1/sqrt(fan_in)``)."""
    compute_fans(shape)  # the rank check, even for an empty weight
    empty = _zero_element("kaiming_uniform", shape, dtype)
    if empty is not None:
        return empty
    gain = calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3.0 / _fan(shape, mode))
    return uniform(key, shape, dtype, minval=-bound, maxval=bound)


def kaiming_normal(key, shape, dtype=fnp.float32, *, a: float = 0.0, mode: str = "fan_in",
                   nonlinearity: str = "leaky_relu"):
    """He normal: ``N(0, std^2)``, ``std = gain / sqrt(fan)``. ``kaiming_normal(key, s, nonlinearity="relu")``"""
    compute_fans(shape)  # the rank check, even for an empty weight
    empty = _zero_element("kaiming_normal", shape, dtype)
    if empty is not None:
        return empty
    gain = calculate_gain(nonlinearity, a)
    return normal(key, shape, dtype, std=gain / math.sqrt(_fan(shape, mode)))


def orthogonal(key, shape, dtype=fnp.float32, *, gain: float = 1.0):
    """A (semi-)orthogonal matrix: rows or columns orthonormal, times ``gain`` (trailing dims are
    flattened, as in PyTorch). Eager only: the QR factorization runs on the host.
    ``orthogonal(key, (4, 4))``"""
    shape = tuple(shape)
    if len(shape) < 2:
        raise InvalidArgumentError(f"orthogonal: needs a shape of rank >= 2, got {shape}")
    empty = _zero_element("orthogonal", shape, dtype)
    if empty is not None:
        return empty
    rows, cols = shape[0], math.prod(shape[1:])
    flat = np.asarray(random.normal(key, (max(rows, cols), min(rows, cols)), fnp.float64)
                      .to_numpy(), np.float64)
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))  # make the decomposition unique (uniform over orthogonal matrices)
    if rows < cols:
        q = q.T
    return fnp.asarray((gain * q).reshape(shape), dtype=dtype)


def zeros(key, shape, dtype=fnp.float32):
    """All zeros (``key`` is ignored; kept for the common signature). ``zeros(None, (3,))``"""
    return fnp.zeros(tuple(shape), dtype)


def ones(key, shape, dtype=fnp.float32):
    """All ones (``key`` is ignored). ``ones(None, (3,))``"""
    return fnp.ones(tuple(shape), dtype)


def constant(value: float):
    """An initializer filling with ``value``: ``constant(0.1)(None, (3,))``."""
    def init(key, shape, dtype=fnp.float32):
        return fnp.full(tuple(shape), value, dtype)
    return init


# JAX's name for the same distribution (symmetric in the fans, so the axis convention does not matter)
glorot_uniform = xavier_uniform
