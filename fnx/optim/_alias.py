"""The ready-made optimizers, each a ``chain`` of the building blocks (as in optax)."""
from __future__ import annotations

from ._base import GradientTransformation, chain, identity
from ._transforms import (ScalarOrSchedule, add_decayed_weights, scale_by_adam, scale_by_learning_rate,
                          scale_by_rms, scale_by_rss, scale_by_stddev, trace)


def sgd(learning_rate: ScalarOrSchedule, momentum: float | None = None, nesterov: bool = False,
        weight_decay: float = 0.0, accumulator_dtype=None) -> GradientTransformation:
    """Stochastic gradient descent, optionally with (Nesterov) momentum and L2 weight decay.

    ``g += weight_decay * p; t = g + momentum * t; p -= lr * t`` (``lr * (g + momentum * t)`` with
    ``nesterov``). This equals ``torch.optim.SGD`` with ``dampening=0``; optax's ``sgd`` has no
    ``weight_decay`` argument, here it is the coupled (L2) decay applied before momentum, as in torch.

    >>> opt = sgd(0.1, momentum=0.9)
    >>> state = opt.init(params); updates, state = opt.update(grads, state, params)
    """
    return chain(
        add_decayed_weights(weight_decay) if weight_decay else identity(),
        trace(momentum, nesterov, accumulator_dtype) if momentum is not None else identity(),
        scale_by_learning_rate(learning_rate))


def adam(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
         eps_root: float = 0.0, mu_dtype=None, *, nesterov: bool = False) -> GradientTransformation:
    """Adam: ``p -= lr * m_hat / (sqrt(v_hat) + eps)`` with bias-corrected moments.

    >>> opt = adam(1e-3)
    """
    return chain(scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov),
                 scale_by_learning_rate(learning_rate))


def adamw(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
          eps_root: float = 0.0, mu_dtype=None, weight_decay: float = 1e-4, mask=None, *,
          nesterov: bool = False) -> GradientTransformation:
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p -= lr * (adam_update + wd * p)``.

    ``mask`` (pytree of bools or a function of the params) selects the leaves that decay.

    >>> opt = adamw(1e-3, weight_decay=1e-2, mask=lambda p: {k: k != "b" for k in p})
    """
    return chain(scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov),
                 add_decayed_weights(weight_decay, mask),
                 scale_by_learning_rate(learning_rate))


def rmsprop(learning_rate: ScalarOrSchedule, decay: float = 0.9, eps: float = 1e-8, initial_scale: float = 0.0,
            centered: bool = False, momentum: float | None = None, nesterov: bool = False) -> GradientTransformation:
    """RMSProp (Tieleman & Hinton): ``p -= lr * g / sqrt(nu + eps)`` (``eps`` inside the root, as optax).

    ``centered`` divides by the variance estimate ``nu - mu**2`` instead; ``momentum`` adds a ``trace``
    after the learning rate (optax's order).

    >>> opt = rmsprop(1e-3, momentum=0.9)
    """
    rescale = scale_by_stddev(decay, eps, initial_scale) if centered else scale_by_rms(decay, eps, initial_scale)
    return chain(rescale, scale_by_learning_rate(learning_rate),
                 trace(momentum, nesterov) if momentum is not None else identity())


def adagrad(learning_rate: ScalarOrSchedule, initial_accumulator_value: float = 0.1,
            eps: float = 1e-7) -> GradientTransformation:
    """Adagrad (Duchi et al.): ``s += g**2; p -= lr * g / sqrt(s + eps)``.

    >>> opt = adagrad(0.1)
    """
    return chain(scale_by_rss(initial_accumulator_value, eps), scale_by_learning_rate(learning_rate))
