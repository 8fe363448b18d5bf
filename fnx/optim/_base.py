"""The optax-style core: ``GradientTransformation``, ``chain``, ``apply_updates`` and tree helpers.

A gradient transformation is a pair of pure functions::

    init(params) -> state
    update(updates, state, params=None) -> (new_updates, new_state)

State is a pytree of arrays (NamedTuples such as ``ScaleByAdamState(count, mu, nu)``), so it can be
passed through ``fnx.jit``, saved with ``fnx.io.save`` and differentiated through.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from .. import tree as _tree
from .. import numpy as fnp
from ..errors import InvalidArgumentError

_INT32_MAX = np.iinfo(np.int32).max


class GradientTransformation(NamedTuple):
    """An optimizer (or one building block of it): ``init(params)`` and ``update(updates, state, params)``.

    >>> opt = fnx.optim.sgd(0.1)
    >>> state = opt.init({"w": fnp.ones(3)})
    >>> updates, state = opt.update({"w": fnp.ones(3)}, state)
    """
    init: Callable[[Any], Any]
    update: Callable[..., tuple]


class EmptyState(NamedTuple):
    """The state of a stateless transformation (a pytree with no leaves)."""


def zero_count():
    """The step counter every stateful transformation starts from: an int32 0-d array (jit friendly)."""
    return fnp.zeros([], dtype=fnp.int32)


def safe_increment(count):
    """``count + 1`` that saturates at the int32 maximum instead of wrapping to a negative step."""
    count = fnp.asarray(count)
    return fnp.where(count < _INT32_MAX, count + 1, fnp.asarray(_INT32_MAX, dtype=count.dtype))


def tree_zeros_like(tree, dtype=None):
    """Zeros of each leaf's shape (and dtype, unless ``dtype`` is given)."""
    return _tree.map(lambda x: fnp.zeros(fnp.shape(x), dtype=dtype or fnp.asarray(x).dtype), tree)


def tree_full_like(tree, value, dtype=None):
    return _tree.map(lambda x: fnp.full(fnp.shape(x), value, dtype=dtype or fnp.asarray(x).dtype), tree)


def cast_like(x, ref):
    """``x`` in the dtype of ``ref`` (updates must keep the dtype of the gradients they replace)."""
    return fnp.asarray(x).astype(fnp.asarray(ref).dtype)


def require_params(params, op: str):
    if params is None:
        raise InvalidArgumentError(f"{op}: this transformation needs the parameters; "
                                   f"call update(updates, state, params)")


def identity() -> GradientTransformation:
    """The transformation that leaves updates unchanged (its state is ``EmptyState()``)."""
    return GradientTransformation(lambda params: EmptyState(),
                                  lambda updates, state, params=None: (updates, state))


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Apply ``transforms`` one after the other; the state is the tuple of their states.

    >>> opt = chain(clip_by_global_norm(1.0), scale_by_adam(), scale_by_learning_rate(1e-3))
    """
    for i, t in enumerate(transforms):
        if not (isinstance(t, tuple) and len(t) == 2 and callable(t[0]) and callable(t[1])):
            raise InvalidArgumentError(
                f"chain: argument {i} is not a GradientTransformation (got {type(t).__name__})")
    transforms = tuple(transforms)

    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(updates, state, params=None):
        if not isinstance(state, tuple) or len(state) != len(transforms):
            raise InvalidArgumentError(
                f"chain: expected a state tuple of {len(transforms)} entries (from this chain's init), "
                f"got {type(state).__name__}")
        new_states = []
        for t, s in zip(transforms, state):
            updates, s = t.update(updates, s, params)
            new_states.append(s)
        return updates, tuple(new_states)

    return GradientTransformation(init, update)


def apply_updates(params, updates):
    """``params + updates`` leaf by leaf, keeping each parameter's dtype.

    >>> apply_updates({"w": fnp.ones(2)}, {"w": fnp.full(2, -0.5)})["w"]   # [0.5, 0.5]
    """
    def add(p, u):
        p = fnp.asarray(p)
        return (p + u).astype(p.dtype)
    try:
        return _tree.map(add, params, updates)
    except ValueError as e:
        raise InvalidArgumentError(f"apply_updates: params and updates differ in structure: {e}") from None


def global_norm(updates):
    """The l2 norm of all leaves of a pytree taken together: ``sqrt(sum_i sum(x_i ** 2))``."""
    leaves = _tree.leaves(updates)
    if not leaves:
        return fnp.zeros([], dtype=fnp.float32)
    total = sum(fnp.sum(fnp.square(fnp.asarray(x))) for x in leaves)
    return fnp.sqrt(total)
