"""Learning-rate schedules (optax names and semantics): functions of the integer step count.

Each schedule is written with fnx.numpy ops on the step (``where`` instead of Python ``if``), so the step
may be a Python int, a concrete int32 array or a traced value under ``fnx.jit``. The value comes back as a
float32 0-d array (a Python float for ``constant_schedule``).
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

from .. import numpy as fnp
from ..errors import InvalidArgumentError

Schedule = Callable


def _step(count):
    """The step count as a float32 array (exact up to 2**24 steps)."""
    return fnp.asarray(count).astype(fnp.float32)


def constant_schedule(value: float) -> Schedule:
    """``value`` at every step.

    >>> constant_schedule(0.1)(1000)
    0.1
    """
    return lambda count: value


def polynomial_schedule(init_value: float, end_value: float, power: float, transition_steps: int,
                        transition_begin: int = 0) -> Schedule:
    """``(init - end) * (1 - k / transition_steps) ** power + end`` with ``k = clip(step - begin, 0, steps)``.

    >>> polynomial_schedule(1.0, 0.0, power=2, transition_steps=10)(5)   # 0.25
    """
    if transition_steps <= 0:
        # As in optax: nothing to transition over, so the schedule is the initial value.
        return constant_schedule(init_value)
    if transition_begin < 0:
        raise InvalidArgumentError(f"polynomial_schedule: transition_begin must be >= 0, got {transition_begin}")

    def schedule(count):
        k = fnp.clip(_step(count) - transition_begin, 0, transition_steps)
        frac = 1 - k / transition_steps
        return (init_value - end_value) * fnp.power(frac, power) + end_value
    return schedule


def linear_schedule(init_value: float, end_value: float, transition_steps: int,
                    transition_begin: int = 0) -> Schedule:
    """Linear interpolation from ``init_value`` (at ``transition_begin``) to ``end_value``
    (``transition_steps`` later), constant outside.

    >>> linear_schedule(0.0, 1.0, transition_steps=10)(3)   # 0.3 (a warmup)
    """
    return polynomial_schedule(init_value, end_value, 1, transition_steps, transition_begin)


def piecewise_constant_schedule(init_value: float, boundaries_and_scales: dict | None = None) -> Schedule:
    """``init_value`` multiplied by ``scale`` at every ``boundary`` the step has reached ("step" decay).

    >>> s = piecewise_constant_schedule(0.1, {100: 0.1, 200: 0.1})
    >>> s(99), s(100), s(250)   # 0.1, 0.01, 0.001
    """
    items = sorted((boundaries_and_scales or {}).items())
    for b, sc in items:
        if sc < 0:
            raise InvalidArgumentError(f"piecewise_constant_schedule: scale {sc} at boundary {b} is negative")

    def schedule(count):
        step = _step(count)
        value = fnp.asarray(init_value, dtype=fnp.float32)
        for boundary, sc in items:
            value = fnp.where(step < boundary, value, value * sc)
        return value
    return schedule


def exponential_decay(init_value: float, transition_steps: int, decay_rate: float, transition_begin: int = 0,
                      staircase: bool = False, end_value: float | None = None) -> Schedule:
    """``init * decay_rate ** ((step - begin) / transition_steps)``; ``staircase=True`` floors the exponent
    (step decay); ``end_value`` bounds the result.

    >>> exponential_decay(1.0, transition_steps=10, decay_rate=0.5, staircase=True)(25)   # 0.25
    """
    if transition_steps <= 0:
        raise InvalidArgumentError(f"exponential_decay: transition_steps must be positive, got {transition_steps}")
    if decay_rate == 0:
        raise InvalidArgumentError("exponential_decay: decay_rate must not be 0")

    def schedule(count):
        k = _step(count) - transition_begin
        p = k / transition_steps
        if staircase:
            p = fnp.floor(p)
        value = init_value * fnp.power(fnp.asarray(decay_rate, dtype=fnp.float32), p)
        value = fnp.where(k <= 0, fnp.asarray(init_value, dtype=fnp.float32), value)
        if end_value is not None:
            value = fnp.maximum(value, end_value) if decay_rate < 1 else fnp.minimum(value, end_value)
        return value
    return schedule


def cosine_decay_schedule(init_value: float, decay_steps: int, alpha: float = 0.0,
                          exponent: float = 1.0) -> Schedule:
    """``init * ((1 - alpha) * (0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps))) ** exponent + alpha)``
    (Loshchilov & Hutter's SGDR without restarts).

    >>> cosine_decay_schedule(1.0, decay_steps=100)(50)   # 0.5
    """
    if not decay_steps > 0:
        raise InvalidArgumentError(f"cosine_decay_schedule: decay_steps must be positive, got {decay_steps}")

    def schedule(count):
        k = fnp.minimum(_step(count), decay_steps)
        cosine = 0.5 * (1 + fnp.cos(math.pi * k / decay_steps))
        return init_value * ((1 - alpha) * fnp.power(cosine, exponent) + alpha)
    return schedule


def join_schedules(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """Run ``schedules[i]`` from ``boundaries[i-1]`` on, each one seeing the steps since its own start.

    >>> warm_then_const = join_schedules([linear_schedule(0, 1, 10), constant_schedule(1.0)], [10])
    """
    if len(schedules) != len(boundaries) + 1:
        raise InvalidArgumentError(f"join_schedules: need one more schedule than boundaries, got "
                                   f"{len(schedules)} schedules and {len(boundaries)} boundaries")

    def schedule(count):
        step = fnp.asarray(count)
        out = fnp.asarray(schedules[0](step), dtype=fnp.float32)
        for boundary, sched in zip(boundaries, schedules[1:]):
            out = fnp.where(step < boundary, out, fnp.asarray(sched(step - boundary), dtype=fnp.float32))
        return out
    return schedule


def warmup_cosine_decay_schedule(init_value: float, peak_value: float, warmup_steps: int, decay_steps: int,
                                 end_value: float = 0.0, exponent: float = 1.0) -> Schedule:
    """Linear warmup from ``init_value`` to ``peak_value`` over ``warmup_steps``, then cosine decay to
    ``end_value`` at step ``decay_steps`` (which counts the warmup, as in optax).

    >>> s = warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=10, decay_steps=110)
    >>> s(5), s(10), s(60), s(110)   # 0.5, 1.0, 0.5, 0.0
    """
    alpha = 0.0 if peak_value == 0 else end_value / peak_value
    return join_schedules(
        [linear_schedule(init_value, peak_value, warmup_steps),
         cosine_decay_schedule(peak_value, max(decay_steps - warmup_steps, 1), alpha, exponent)],
        [warmup_steps])


def warmup_exponential_decay_schedule(init_value: float, peak_value: float, warmup_steps: int,
                                      transition_steps: int, decay_rate: float, transition_begin: int = 0,
                                      staircase: bool = False, end_value: float | None = None) -> Schedule:
    """Linear warmup to ``peak_value``, then :func:`exponential_decay` from there."""
    return join_schedules(
        [linear_schedule(init_value, peak_value, warmup_steps),
         exponential_decay(peak_value, transition_steps, decay_rate, transition_begin, staircase, end_value)],
        [warmup_steps])
