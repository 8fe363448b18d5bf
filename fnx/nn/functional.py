"""Activations and losses as pure functions (``jax.nn`` / ``optax`` names and semantics).

>>> import fnx.nn as nn, fnx.numpy as fnp
>>> nn.relu(fnp.asarray([-1.0, 2.0]))
>>> nn.softmax_cross_entropy(logits, labels)            # integer labels, mean over the batch
"""
from __future__ import annotations

import math

import numpy as np

from .. import lax
from .. import numpy as fnp
from ..core import Tracer
from ..errors import InvalidArgumentError, dtype_error, shape_error

__all__ = ["relu", "leaky_relu", "gelu", "silu", "swish", "softplus", "sigmoid", "tanh", "softmax",
           "elu", "celu", "selu", "glu", "relu6", "hard_tanh", "hard_sigmoid", "hard_silu",
           "hard_swish", "log_sigmoid", "soft_sign", "standardize",
           "sparse_plus", "sparse_sigmoid", "squareplus", "mish", "identity", "logmeanexp",
           "log1mexp",
           "log_softmax", "logsumexp", "one_hot", "softmax_cross_entropy",
           "softmax_cross_entropy_with_integer_labels", "mse_loss", "binary_cross_entropy_with_logits",
           "sigmoid_binary_cross_entropy", "nll_loss"]


# ---------------------------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------------------------

def relu(x):
    """``max(x, 0)``; the gradient at 0 is 0 (as in JAX). ``relu(fnp.asarray([-1., 2.])) -> [0., 2.]``"""
    x = fnp.asarray(x)
    return fnp.where(x > 0, x, fnp.zeros_like(x))


def leaky_relu(x, negative_slope: float = 0.01):
    """``x`` where positive, ``negative_slope * x`` elsewhere. ``leaky_relu(x, 0.2)``"""
    x = fnp.asarray(x)
    return fnp.where(x >= 0, x, negative_slope * x)


def gelu(x, approximate: bool = True):
    """Gaussian error linear unit; the tanh approximation by default (as ``jax.nn.gelu``),
    the exact erf form with ``approximate=False`` (PyTorch's default). ``gelu(x, False)``"""
    x = fnp.asarray(x)
    if approximate:
        c = math.sqrt(2.0 / math.pi)
        return 0.5 * x * (1.0 + fnp.tanh(c * (x + 0.044715 * (x * x * x))))
    return 0.5 * x * (1.0 + lax.erf(x * (1.0 / math.sqrt(2.0))))


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``. ``sigmoid(fnp.zeros(3)) -> [0.5, 0.5, 0.5]``"""
    return lax.logistic(fnp.asarray(x))


def silu(x):
    """``x * sigmoid(x)`` (a.k.a. swish). ``silu(x)``"""
    x = fnp.asarray(x)
    return x * sigmoid(x)


swish = silu


def softplus(x):
    """``log(1 + exp(x))``, computed without overflow as ``logaddexp(x, 0)``. ``softplus(x)``"""
    x = fnp.asarray(x)
    return fnp.logaddexp(x, fnp.zeros_like(x))


def tanh(x):
    """Hyperbolic tangent. ``tanh(x)``"""
    return fnp.tanh(x)


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False,
              where=None):
    """``log(sum(b * exp(a), axis))``, max-shifted for stability, as ``jax.nn.logsumexp``
    (``axis=None``: over every element). ``logsumexp(x, axis=-1)``"""
    return fnp.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign,
                         where=where)


def _masked_max(x, axis, where):
    """The max over ``axis`` of the selected elements (0 where a row selects none), held
    constant for the gradient: the shift that keeps exp from overflowing."""
    m = fnp.max(x, axis=axis, keepdims=True, where=where, initial=-fnp.inf) \
        if where is not None else fnp.max(x, axis=axis, keepdims=True)
    return lax.stop_gradient(fnp.where(fnp.isfinite(m), m, fnp.zeros_like(m)))


def log_softmax(x, axis=-1, where=None, initial=None):
    """``x - logsumexp(x)`` along ``axis`` (numerically stable), as ``jax.nn.log_softmax``:
    ``where`` selects the elements taking part (the others give -inf). ``log_softmax(logits)``"""
    del initial  # deprecated in JAX; the max over an empty selection is handled here
    x = fnp.asarray(x)
    shifted = x - _masked_max(x, axis, where)
    e = fnp.exp(shifted) if where is None else fnp.where(where, fnp.exp(shifted), 0)
    out = shifted - fnp.log(fnp.sum(e, axis=axis, keepdims=True))
    return out if where is None else fnp.where(where, out, -fnp.inf)


def softmax(x, axis=-1, where=None, initial=None):
    """``exp(x) / sum(exp(x))`` along ``axis``, max-subtracted so large inputs do not overflow,
    as ``jax.nn.softmax``: ``where`` selects the elements taking part (the others give 0).
    ``softmax(fnp.asarray([1., 2., 3.]))``"""
    del initial
    x = fnp.asarray(x)
    e = fnp.exp(x - _masked_max(x, axis, where))
    if where is not None:
        e = fnp.where(where, e, 0)
    return e / fnp.sum(e, axis=axis, keepdims=True)


def one_hot(x, num_classes: int, *, dtype=fnp.float32, axis=-1):
    """``x == arange(num_classes)`` as ``dtype``, the class axis at ``axis`` (as
    ``jax.nn.one_hot``; out-of-range labels give all zeros). ``one_hot(fnp.asarray([0, 2]), 3)``"""
    x = fnp.asarray(x)
    num_classes = int(num_classes)
    out_ndim = x.ndim + 1
    if not -out_ndim <= axis < out_ndim:
        raise InvalidArgumentError(f"one_hot: axis {axis} is out of range for a result of rank "
                                   f"{out_ndim}")
    hot = (x[..., None] == fnp.arange(num_classes)).astype(dtype)
    return fnp.moveaxis(hot, -1, axis)


def _negative_part(x):
    """``x`` where it is not positive, 0 elsewhere: the argument of the exponential of elu /
    celu / selu, so that no large positive x reaches exp (whose inf would poison the
    gradient through the unused branch of the where)."""
    return fnp.where(x > 0, fnp.zeros_like(x), x)


def elu(x, alpha=1.0):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere (jax.nn.elu)."""
    x = fnp.asarray(x)
    return fnp.where(x > 0, x, alpha * fnp.expm1(_negative_part(x)))


def celu(x, alpha=1.0):
    """``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))`` (jax.nn.celu)."""
    x = fnp.asarray(x)
    return fnp.where(x > 0, x, alpha * fnp.expm1(_negative_part(x) / alpha))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x):
    """``scale * elu(x, alpha)`` with the self-normalizing constants (jax.nn.selu)."""
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


def glu(x, axis=-1):
    """Gated linear unit: the first half of ``x`` along ``axis`` times the sigmoid of the
    second (the axis must have even length)."""
    x = fnp.asarray(x)
    n = x.shape[axis]
    if n % 2:
        raise shape_error("glu", f"axis {axis} must have even length, got {n}", x)
    a, b = fnp.split(x, 2, axis=axis)
    return a * sigmoid(b)


def relu6(x):
    """``min(max(x, 0), 6)``; the gradient is 0 at both kinks (as in JAX)."""
    x = fnp.asarray(x)
    return fnp.where(x > 0, fnp.where(x < 6, x, fnp.full_like(x, 6)), fnp.zeros_like(x))


def hard_tanh(x):
    """``x`` clipped to [-1, 1]."""
    x = fnp.asarray(x)
    return fnp.where(x > 1, fnp.ones_like(x), fnp.where(x < -1, -fnp.ones_like(x), x))


def hard_sigmoid(x):
    """``relu6(x + 3) / 6``."""
    return relu6(fnp.asarray(x) + 3.0) / 6.0


def hard_silu(x):
    """``x * hard_sigmoid(x)`` (a.k.a. hard_swish)."""
    x = fnp.asarray(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|``."""
    return -softplus(-fnp.asarray(x))


def soft_sign(x):
    """``x / (|x| + 1)``."""
    x = fnp.asarray(x)
    return x / (fnp.abs(x) + 1.0)


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None):
    """``(x - mean) / sqrt(variance + epsilon)`` along ``axis``, the moments computed from ``x``
    (over the ``where`` mask) unless given (jax.nn.standardize)."""
    x = fnp.asarray(x)
    if mean is None:
        mean = fnp.mean(x, axis=axis, keepdims=True, where=where)
    if variance is None:
        # E[x^2] - E[x]^2 as jax.nn does, clamped: rounding can make it slightly negative
        sq = fnp.mean(fnp.square(x), axis=axis, keepdims=True, where=where)
        variance = fnp.maximum(sq - fnp.square(mean), 0.0)
    return (x - mean) * lax.rsqrt(variance + epsilon)


def sparse_plus(x):
    """0 for ``x <= -1``, ``(x + 1)^2 / 4`` on (-1, 1), ``x`` for ``x >= 1`` (jax.nn.sparse_plus)."""
    x = fnp.asarray(x)
    middle = 0.25 * fnp.square(x + 1.0)
    return fnp.where(x <= -1.0, fnp.zeros_like(x), fnp.where(x < 1.0, middle, x))


def sparse_sigmoid(x):
    """0 for ``x <= -1``, ``(x + 1) / 2`` on (-1, 1), 1 for ``x >= 1``: the derivative of
    sparse_plus (jax.nn.sparse_sigmoid)."""
    x = fnp.asarray(x)
    return fnp.where(x <= -1.0, fnp.zeros_like(x),
                     fnp.where(x < 1.0, 0.5 * (x + 1.0), fnp.ones_like(x)))


def squareplus(x, b=4):
    """``(x + sqrt(x^2 + b)) / 2``, a smooth algebraic relu (jax.nn.squareplus)."""
    x = fnp.asarray(x)
    return 0.5 * (x + fnp.sqrt(fnp.square(x) + b))


def mish(x):
    """``x * tanh(softplus(x))`` (jax.nn.mish)."""
    x = fnp.asarray(x)
    return x * fnp.tanh(softplus(x))


def identity(x):
    """``x`` itself (jax.nn.identity)."""
    return fnp.asarray(x)


def logmeanexp(x, axis=None, keepdims: bool = False):
    """``log(mean(exp(x), axis))`` = logsumexp minus ``log`` of the count (jax.nn.logmeanexp;
    ``axis=None``: over every element)."""
    x = fnp.asarray(x)
    axes = tuple(range(x.ndim)) if axis is None else axis
    count = math.prod(x.shape[a] for a in ((axes,) if isinstance(axes, int) else axes))
    return logsumexp(x, axis=axes, keepdims=keepdims) - math.log(count)


def log1mexp(x):
    """``log(1 - exp(-x))`` for ``x > 0``, accurate at both ends: ``log(-expm1(-x))`` below
    ``log 2``, ``log1p(-exp(-x))`` above (Maechler's switch; jax.nn.log1mexp)."""
    x = fnp.asarray(x)
    small = x < math.log(2.0)
    return fnp.where(small, fnp.log(-fnp.expm1(-x)), fnp.log1p(-fnp.exp(-x)))


# ---------------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------------

def _reduce(loss, reduction: str, op: str, weight_sum=None):
    if reduction == "mean":
        return fnp.mean(loss) if weight_sum is None else fnp.sum(loss) / weight_sum
    if reduction == "sum":
        return fnp.sum(loss)
    if reduction == "none":
        return loss
    raise InvalidArgumentError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_int_labels(op, logits, labels):
    if not np.issubdtype(np.dtype(labels.dtype), np.integer):
        raise dtype_error(op, "labels must be integer class indices", logits, labels)
    if tuple(labels.shape) != tuple(logits.shape[:-1]):
        raise shape_error(op, "labels must have the shape of logits without its last (class) axis",
                          logits, labels)


def _valid_labels(op, labels, num_classes: int):
    """Where ``labels`` are class indices in ``[0, num_classes)``.

    Concrete labels are checked now: a label outside the range raises ValueError naming it
    (a one-hot of it is all zeros, which silently gave a loss of 0).  Traced labels (under
    jit / vmap / grad) cannot be inspected: the mask lets the loss be NaN on their rows."""
    if not isinstance(labels, Tracer):
        values = np.asarray(labels)
        bad = (values < 0) | (values >= num_classes)
        if bad.any():
            where = np.argwhere(bad)
            shown = ", ".join(f"labels[{', '.join(map(str, i))}] = {values[tuple(i)]}"
                              for i in where[:5])
            more = f" and {len(where) - 5} more" if len(where) > 5 else ""
            raise InvalidArgumentError(
                f"{op}: labels must be class indices in [0, {num_classes}) for logits with "
                f"{num_classes} classes, got {shown}{more}")
    return (labels >= 0) & (labels < num_classes)


def _nan_where_invalid(loss, valid):
    return fnp.where(valid, loss, fnp.asarray(np.nan, dtype=loss.dtype))


def softmax_cross_entropy(logits, labels, label_smoothing: float = 0.0, reduction: str = "mean"):
    """Cross-entropy between ``softmax(logits)`` and integer class ``labels`` (shape
    ``logits.shape[:-1]``), or probability targets of ``logits``' shape. With ``label_smoothing=e``
    the target is ``(1 - e) * one_hot + e / num_classes`` (PyTorch's definition).
    ``reduction``: "mean" (default, over the batch), "sum" or "none".

    An integer label outside ``[0, num_classes)`` raises ValueError when the labels are
    concrete; under ``jit`` / ``vmap`` / ``grad`` (traced labels, not inspectable) the loss
    of such a row is NaN (so a reduced loss is NaN too), never a silent 0.

    >>> softmax_cross_entropy(fnp.zeros((2, 4)), fnp.asarray([1, 3]))   # log(4)
    """
    op = "softmax_cross_entropy"
    logits, labels = fnp.asarray(logits), fnp.asarray(labels)
    if logits.ndim < 1:
        raise shape_error(op, "logits need a class axis", logits)
    logp = log_softmax(logits, axis=-1)
    k = logits.shape[-1]
    if np.issubdtype(np.dtype(labels.dtype), np.floating):
        if tuple(labels.shape) != tuple(logits.shape):
            raise shape_error(op, "probability targets must have the shape of logits", logits,
                              labels)
        targets = labels
        valid = None
    else:
        _check_int_labels(op, logits, labels)
        valid = _valid_labels(op, labels, k)
        targets = one_hot(labels, k, dtype=logp.dtype)
    if label_smoothing:
        if not 0.0 <= label_smoothing <= 1.0:
            raise InvalidArgumentError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
        targets = (1.0 - label_smoothing) * targets + label_smoothing / k
    loss = -fnp.sum(targets * logp, axis=-1)
    if valid is not None:
        loss = _nan_where_invalid(loss, valid)
    return _reduce(loss, reduction, op)


def softmax_cross_entropy_with_integer_labels(logits, labels, reduction: str = "none"):
    """optax's name: per-example cross-entropy with integer labels (no reduction by default)."""
    return softmax_cross_entropy(logits, labels, reduction=reduction)


def nll_loss(log_probs, labels, reduction: str = "mean"):
    """Negative log-likelihood of integer ``labels`` under ``log_probs`` (class axis last),
    as ``torch.nn.functional.nll_loss`` with a trailing class axis. ``nll_loss(log_softmax(z), y)``

    A label outside ``[0, num_classes)`` raises ValueError when the labels are concrete; under
    ``jit`` / ``vmap`` / ``grad`` its row's loss is NaN (it used to read a clamped or wrapped
    class)."""
    op = "nll_loss"
    log_probs, labels = fnp.asarray(log_probs), fnp.asarray(labels)
    _check_int_labels(op, log_probs, labels)
    valid = _valid_labels(op, labels, log_probs.shape[-1])
    picked = fnp.take_along_axis(log_probs, labels[..., None].astype(fnp.int32), axis=-1)[..., 0]
    return _reduce(_nan_where_invalid(-picked, valid), reduction, op)


def mse_loss(predictions, targets, reduction: str = "mean"):
    """Mean squared error (mean over every element by default). ``mse_loss(y_hat, y)``"""
    op = "mse_loss"
    predictions, targets = fnp.asarray(predictions), fnp.asarray(targets)
    if tuple(predictions.shape) != tuple(targets.shape):
        raise shape_error(op, "predictions and targets must have the same shape", predictions,
                          targets)
    d = predictions - targets
    return _reduce(d * d, reduction, op)


def binary_cross_entropy_with_logits(logits, targets, reduction: str = "mean"):
    """``-[t log sigmoid(z) + (1 - t) log(1 - sigmoid(z))]`` computed stably from logits ``z`` as
    ``max(z, 0) - z t + log1p(exp(-|z|))``. ``binary_cross_entropy_with_logits(z, t)``"""
    op = "binary_cross_entropy_with_logits"
    logits, targets = fnp.asarray(logits), fnp.asarray(targets)
    if tuple(logits.shape) != tuple(targets.shape):
        raise shape_error(op, "logits and targets must have the same shape", logits, targets)
    targets = targets.astype(logits.dtype)
    loss = relu(logits) - logits * targets + fnp.log1p(fnp.exp(-fnp.abs(logits)))
    return _reduce(loss, reduction, op)


def sigmoid_binary_cross_entropy(logits, labels):
    """optax's name: elementwise binary cross-entropy from logits (no reduction)."""
    return binary_cross_entropy_with_logits(logits, labels, reduction="none")
