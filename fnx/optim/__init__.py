"""fnx.optim: optimizers as pure ``(init, update)`` pairs, in the style (and with the names) of optax.

>>> import fnx, fnx.numpy as fnp, fnx.optim as optim
>>> params = {"w": fnp.ones(3)}
>>> opt = optim.chain(optim.clip_by_global_norm(1.0), optim.adam(optim.cosine_decay_schedule(1e-3, 1000)))
>>> state = opt.init(params)
>>> grads = fnx.grad(lambda p: (p["w"] ** 2).sum())(params)
>>> updates, state = opt.update(grads, state, params)
>>> params = optim.apply_updates(params, updates)

An optax program ports by changing ``import optax`` to ``import fnx.optim as optax``. Notes where
behaviour is a choice:

* ``sgd(momentum=...)`` uses optax's ``trace`` (``t = g + momentum * t``): PyTorch's SGD with
  ``dampening=0``; there is no dampening argument. ``sgd(weight_decay=...)`` (not in optax) is coupled L2
  decay added to the gradient before momentum, as in PyTorch.
* ``rmsprop`` / ``scale_by_rms`` put ``eps`` inside the square root (optax), PyTorch puts it outside.
* The step count in every state is an int32 0-d array that saturates at 2**31 - 1; schedules receive it.
* Updates keep each gradient leaf's dtype (float64 parameters stay float64; bias corrections are computed
  in the leaf's dtype).
"""
from ._base import (EmptyState, GradientTransformation, apply_updates, chain, global_norm, identity,
                    safe_increment)
from ._transforms import (ScaleByAdamState, ScaleByRmsState, ScaleByRssState, ScaleByRStdDevState,
                          ScaleByScheduleState, TraceState, add_decayed_weights, clip, clip_by_global_norm,
                          scale, scale_by_adam, scale_by_learning_rate, scale_by_rms, scale_by_rss,
                          scale_by_schedule, scale_by_stddev, trace)
from ._schedules import (constant_schedule, cosine_decay_schedule, exponential_decay, join_schedules,
                         linear_schedule, piecewise_constant_schedule, polynomial_schedule,
                         warmup_cosine_decay_schedule, warmup_exponential_decay_schedule)
from ._alias import adagrad, adam, adamw, rmsprop, sgd

__all__ = [
    "GradientTransformation", "EmptyState", "apply_updates", "chain", "global_norm", "identity",
    "safe_increment",
    "ScaleByAdamState", "ScaleByRmsState", "ScaleByRssState", "ScaleByRStdDevState", "ScaleByScheduleState",
    "TraceState", "add_decayed_weights", "clip", "clip_by_global_norm", "scale", "scale_by_adam",
    "scale_by_learning_rate", "scale_by_rms", "scale_by_rss", "scale_by_schedule", "scale_by_stddev", "trace",
    "constant_schedule", "cosine_decay_schedule", "exponential_decay", "join_schedules", "linear_schedule",
    "piecewise_constant_schedule", "polynomial_schedule", "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
    "sgd", "adam", "adamw", "rmsprop", "adagrad",
]
