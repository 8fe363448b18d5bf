"""Building blocks (optax names and semantics): scaling, moments, momentum, decay, clipping.

Every ``update`` maps over arbitrary pytrees (``None`` leaves and empty trees included), keeps the dtype
of each gradient leaf and uses only fnx.numpy ops, so it runs eagerly, under ``fnx.jit`` and under
``fnx.grad``.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Union

from .. import tree as _tree
from .. import numpy as fnp
from ..errors import InvalidArgumentError
from ._base import (EmptyState, GradientTransformation, cast_like, global_norm, require_params,
                    safe_increment, tree_full_like, tree_zeros_like, zero_count)

ScalarOrSchedule = Union[float, Callable[[Any], Any]]


# ---------------------------------------------------------------------------------------------------
# Scaling
# ---------------------------------------------------------------------------------------------------

def scale(step_size: float) -> GradientTransformation:
    """Multiply every update by a constant ``step_size``.

    >>> scale(-0.1).update({"w": fnp.ones(2)}, EmptyState())[0]["w"]   # [-0.1, -0.1]
    """
    def update(updates, state, params=None):
        return _tree.map(lambda g: cast_like(g * step_size, g), updates), state
    return GradientTransformation(lambda params: EmptyState(), update)


class ScaleByScheduleState(NamedTuple):
    count: Any  # int32 0-d array: the number of updates seen so far


def scale_by_schedule(step_size_fn: Callable[[Any], Any]) -> GradientTransformation:
    """Multiply updates by ``step_size_fn(count)``, ``count`` being the number of previous updates.

    >>> t = scale_by_schedule(lambda count: 1.0 / (count + 1))
    """
    def init(params):
        return ScaleByScheduleState(count=zero_count())

    def update(updates, state, params=None):
        step_size = step_size_fn(state.count)
        updates = _tree.map(lambda g: cast_like(fnp.asarray(step_size, dtype=fnp.asarray(g).dtype) * g, g),
                            updates)
        return updates, ScaleByScheduleState(count=safe_increment(state.count))
    return GradientTransformation(init, update)


def scale_by_learning_rate(learning_rate: ScalarOrSchedule, *, flip_sign: bool = True) -> GradientTransformation:
    """Scale by ``-learning_rate`` (a float or a schedule of the step count): the last step of most optimizers."""
    sign = -1 if flip_sign else 1
    if callable(learning_rate):
        return scale_by_schedule(lambda count: sign * learning_rate(count))
    return scale(sign * learning_rate)


# ---------------------------------------------------------------------------------------------------
# Adaptive moments
# ---------------------------------------------------------------------------------------------------

class ScaleByAdamState(NamedTuple):
    count: Any  # int32 0-d array
    mu: Any     # first moment (EMA of gradients)
    nu: Any     # second moment (EMA of squared gradients)


def _ema(new, old, decay):
    """``decay * old + (1 - decay) * new`` in the dtype of ``old``."""
    return _tree.map(lambda g, m: cast_like((1 - decay) * g + decay * m, m), new, old)


def _bias_correct(moments, decay, count):
    """``m / (1 - decay ** count)``, computed in each moment's own dtype (float64 stays exact)."""
    def fix(m):
        dt = fnp.asarray(m).dtype
        return m / (1 - fnp.power(fnp.asarray(decay, dtype=dt), fnp.asarray(count).astype(dt)))
    return _tree.map(fix, moments)


def scale_by_adam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, eps_root: float = 0.0,
                  mu_dtype=None, *, nesterov: bool = False) -> GradientTransformation:
    """Adam's rescaling (Kingma & Ba 2014) with bias correction:
    ``m_hat / (sqrt(v_hat + eps_root) + eps)``; ``nesterov=True`` gives NAdam.

    >>> opt = chain(scale_by_adam(), scale(-1e-3))   # == adam(1e-3)
    """
    def init(params):
        mu = tree_zeros_like(params, dtype=mu_dtype)
        return ScaleByAdamState(count=zero_count(), mu=mu, nu=tree_zeros_like(params))

    def update(updates, state, params=None):
        mu = _ema(updates, state.mu, b1)
        nu = _ema(_tree.map(lambda g: g * g, updates), state.nu, b2)
        count = safe_increment(state.count)
        if nesterov:
            mu_hat = _tree.map(lambda m, g: b1 * m + (1 - b1) * g,
                               _bias_correct(mu, b1, safe_increment(count)), _bias_correct(updates, b1, count))
        else:
            mu_hat = _bias_correct(mu, b1, count)
        nu_hat = _bias_correct(nu, b2, count)
        new = _tree.map(lambda g, m, v: cast_like(m / (fnp.sqrt(v + eps_root) + eps), g), updates, mu_hat, nu_hat)
        return new, ScaleByAdamState(count=count, mu=mu, nu=nu)
    return GradientTransformation(init, update)


class ScaleByRmsState(NamedTuple):
    nu: Any  # EMA of squared gradients


def scale_by_rms(decay: float = 0.9, eps: float = 1e-8, initial_scale: float = 0.0) -> GradientTransformation:
    """RMSProp's rescaling ``g / sqrt(nu + eps)``, ``nu`` an EMA of ``g**2`` started at ``initial_scale``.

    As in optax, ``eps`` is added *inside* the square root (PyTorch adds it outside).
    """
    def init(params):
        return ScaleByRmsState(nu=tree_full_like(params, initial_scale))

    def update(updates, state, params=None):
        nu = _ema(_tree.map(lambda g: g * g, updates), state.nu, decay)
        new = _tree.map(lambda g, n: cast_like(g / fnp.sqrt(n + eps), g), updates, nu)
        return new, ScaleByRmsState(nu=nu)
    return GradientTransformation(init, update)


class ScaleByRStdDevState(NamedTuple):
    mu: Any  # EMA of gradients
    nu: Any  # EMA of squared gradients


def scale_by_stddev(decay: float = 0.9, eps: float = 1e-8, initial_scale: float = 0.0) -> GradientTransformation:
    """Centered RMSProp's rescaling ``g / sqrt(nu - mu**2 + eps)``."""
    def init(params):
        return ScaleByRStdDevState(mu=tree_zeros_like(params), nu=tree_full_like(params, initial_scale))

    def update(updates, state, params=None):
        mu = _ema(updates, state.mu, decay)
        nu = _ema(_tree.map(lambda g: g * g, updates), state.nu, decay)
        new = _tree.map(lambda g, m, n: cast_like(g / fnp.sqrt(n - m * m + eps), g), updates, mu, nu)
        return new, ScaleByRStdDevState(mu=mu, nu=nu)
    return GradientTransformation(init, update)


class ScaleByRssState(NamedTuple):
    sum_of_squares: Any


def scale_by_rss(initial_accumulator_value: float = 0.1, eps: float = 1e-7) -> GradientTransformation:
    """Adagrad's rescaling: ``g / sqrt(sum of g**2 + eps)`` (0 where the sum is 0)."""
    def init(params):
        return ScaleByRssState(sum_of_squares=tree_full_like(params, initial_accumulator_value))

    def update(updates, state, params=None):
        sos = _tree.map(lambda g, s: cast_like(s + g * g, s), updates, state.sum_of_squares)

        def rescale(g, s):
            # where() keeps an all-zero accumulator from producing 0 * inf = nan.
            safe = fnp.where(s > 0, s, fnp.ones_like(s))
            return cast_like(fnp.where(s > 0, g / fnp.sqrt(safe + eps), fnp.zeros_like(g)), g)
        return _tree.map(rescale, updates, sos), ScaleByRssState(sum_of_squares=sos)
    return GradientTransformation(init, update)


# ---------------------------------------------------------------------------------------------------
# Momentum and weight decay
# ---------------------------------------------------------------------------------------------------

class TraceState(NamedTuple):
    trace: Any


def trace(decay: float, nesterov: bool = False, accumulator_dtype=None) -> GradientTransformation:
    """Momentum: ``t = g + decay * t``; the update is ``t`` (or ``g + decay * t`` with ``nesterov``).

    This is PyTorch's SGD momentum with ``dampening=0`` (the default there); there is no dampening
    parameter (optax has none either). The learning rate is applied *after* it, as in both libraries.
    """
    def init(params):
        return TraceState(trace=tree_zeros_like(params, dtype=accumulator_dtype))

    def update(updates, state, params=None):
        new_trace = _tree.map(lambda g, t: cast_like(g + decay * t, t), updates, state.trace)
        if nesterov:
            new = _tree.map(lambda g, t: cast_like(g + decay * t, g), updates, new_trace)
        else:
            new = _tree.map(cast_like, new_trace, updates)
        return new, TraceState(trace=new_trace)
    return GradientTransformation(init, update)


def _resolve_mask(mask, params):
    if mask is None:
        return _tree.map(lambda _: True, params)
    return mask(params) if callable(mask) else mask


def add_decayed_weights(weight_decay: float = 0.0, mask=None) -> GradientTransformation:
    """Add ``weight_decay * params`` to the updates (needs ``params`` in ``update``).

    ``mask`` (a pytree of Python bools shaped like the params, or a function of the params returning
    one) limits the decay to the leaves marked ``True``, e.g. to skip biases.

    >>> t = add_decayed_weights(1e-4, mask=lambda p: {"w": True, "b": False})
    """
    def update(updates, state, params=None):
        require_params(params, "add_decayed_weights")
        m = _resolve_mask(mask, params)
        try:
            new = _tree.map(lambda g, p, on: cast_like(g + weight_decay * p, g) if on else g,
                            updates, params, m)
        except ValueError as e:
            raise InvalidArgumentError(f"add_decayed_weights: updates, params and mask differ in "
                                       f"structure: {e}") from None
        return new, state
    return GradientTransformation(lambda params: EmptyState(), update)


# ---------------------------------------------------------------------------------------------------
# Clipping
# ---------------------------------------------------------------------------------------------------

def clip(max_delta: float) -> GradientTransformation:
    """Clip every update element to ``[-max_delta, max_delta]``."""
    def update(updates, state, params=None):
        return _tree.map(lambda g: cast_like(fnp.clip(g, -max_delta, max_delta), g), updates), state
    return GradientTransformation(lambda params: EmptyState(), update)


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    """Rescale all updates together so that their global l2 norm is at most ``max_norm``.

    >>> g, _ = clip_by_global_norm(1.0).update({"a": fnp.asarray([3.0, 4.0])}, EmptyState())  # [0.6, 0.8]
    """
    if max_norm <= 0:
        raise InvalidArgumentError(f"clip_by_global_norm: max_norm must be positive, got {max_norm}")

    def update(updates, state, params=None):
        norm = global_norm(updates)
        small = norm < max_norm
        # Dividing by a norm that may be 0 is harmless: where() picks the unscaled branch then; the
        # maximum() keeps the other branch finite so gradients through it stay finite too.
        factor = max_norm / fnp.maximum(norm, max_norm)
        new = _tree.map(lambda g: cast_like(fnp.where(small, g, g * factor.astype(fnp.asarray(g).dtype)), g),
                        updates)
        return new, state
    return GradientTransformation(lambda params: EmptyState(), update)
