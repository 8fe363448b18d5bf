"""``jax.example_libraries.optimizers``: optimizers as ``(init_fun, update_fun, get_params)``.

An optimizer is written for one array (``init(x0) -> state``, ``update(i, g, state) -> state``,
``get_params(state) -> x``, where a state is any pytree) and the ``@optimizer`` decorator lifts
it to pytrees of parameters. The lifted state is an ``OptimizerState``: a pytree whose leaves
are every array of every per-parameter state, so ``fnx.jit`` carries it through a training
step, and whose static part (the parameter tree's and the states' structures) checks that the
gradients have the parameters' structure.

>>> opt_init, opt_update, get_params = optimizers.adam(1e-3)
>>> opt_state = opt_init(params)
>>> opt_state = opt_update(0, fnx.grad(loss)(get_params(opt_state), batch), opt_state)

Step sizes are a float or a schedule ``i -> step size`` (``constant``, ``exponential_decay``,
``inverse_time_decay``, ``polynomial_decay``, ``piecewise_constant``).
"""
from __future__ import annotations

import functools
from collections import namedtuple
from typing import Any, Callable, NamedTuple

from .. import numpy as fnp
from ..errors import InvalidArgumentError
from ..tree_util import register_pytree_node, tree_flatten, tree_map, tree_unflatten

__all__ = ["Optimizer", "OptimizerState", "Schedule", "optimizer", "sgd", "momentum",
           "nesterov", "adagrad", "rmsprop", "rmsprop_momentum", "adam", "adamax", "sm3",
           "constant", "exponential_decay", "inverse_time_decay", "polynomial_decay",
           "piecewise_constant", "make_schedule", "l2_norm", "clip_grads", "JoinPoint",
           "pack_optimizer_state", "unpack_optimizer_state"]

Step = int
Schedule = Callable[[Step], float]
# the type names of JAX's module, for annotations in ported code
Array = Any
Params = Any        # parameters: any pytree of arrays
State = Any         # one parameter's optimizer state
Updates = Params    # gradients have the parameters' structure

# packed_state: one tuple of array leaves per parameter; tree_def: the parameters' structure;
# subtree_defs: one per parameter, the structure of its state (e.g. (x, m, v) for adam)
OptimizerState = namedtuple("OptimizerState", ["packed_state", "tree_def", "subtree_defs"])
register_pytree_node(
    OptimizerState,
    lambda state: ((state.packed_state,), (state.tree_def, state.subtree_defs)),
    lambda aux, children: OptimizerState(children[0], aux[0], aux[1]))

InitFn = Callable[[Params], OptimizerState]
UpdateFn = Callable[[Step, Updates, OptimizerState], OptimizerState]
ParamsFn = Callable[[OptimizerState], Params]


class Optimizer(NamedTuple):
    """The ``(init_fn, update_fn, params_fn)`` triple an optimizer factory returns."""
    init_fn: Callable[[Any], OptimizerState]
    update_fn: Callable[[Step, Any, OptimizerState], OptimizerState]
    params_fn: Callable[[OptimizerState], Any]


def _flatten_each(trees):
    """``(leaves per tree, treedef per tree)`` as two tuples."""
    flat = [tree_flatten(t) for t in trees]
    return tuple(tuple(leaves) for leaves, _ in flat), tuple(td for _, td in flat)


def optimizer(opt_maker: Callable) -> Callable[..., Optimizer]:
    """Lift an optimizer written for one array to pytrees of arrays.

    ``opt_maker(*args, **kwargs)`` returns ``(init, update, get_params)`` acting on one array;
    the decorated factory returns an ``Optimizer`` whose functions take and return pytrees.
    """
    @functools.wraps(opt_maker)
    def tree_opt_maker(*args, **kwargs) -> Optimizer:
        init, update, get_params = opt_maker(*args, **kwargs)

        @functools.wraps(init)
        def tree_init(x0_tree):
            x0_flat, tree = tree_flatten(x0_tree)
            states_flat, subtrees = _flatten_each(init(x0) for x0 in x0_flat)
            return OptimizerState(states_flat, tree, subtrees)

        @functools.wraps(update)
        def tree_update(i, grad_tree, opt_state):
            states_flat, tree, subtrees = opt_state
            grad_flat, grad_def = tree_flatten(grad_tree)
            if grad_def != tree:
                raise TypeError(
                    "optimizer update function was passed a gradient tree that did not match "
                    f"the parameter tree structure with which it was initialized: parameter "
                    f"tree {tree} and grad tree {grad_def}.")
            states = [tree_unflatten(sub, leaves) for sub, leaves in zip(subtrees, states_flat)]
            new_states = [update(i, g, s) for g, s in zip(grad_flat, states)]
            new_flat, new_subtrees = _flatten_each(new_states)
            for old, new in zip(subtrees, new_subtrees):
                if old != new:
                    raise TypeError(
                        "optimizer update function produced an output structure that did not "
                        f"match its input structure: input {old} and output {new}.")
            return OptimizerState(new_flat, tree, subtrees)

        @functools.wraps(get_params)
        def tree_get_params(opt_state):
            states_flat, tree, subtrees = opt_state
            states = [tree_unflatten(sub, leaves) for sub, leaves in zip(subtrees, states_flat)]
            return tree_unflatten(tree, [get_params(s) for s in states])

        return Optimizer(tree_init, tree_update, tree_get_params)
    return tree_opt_maker


# ---------------------------------------------------------------------------------------------
# Optimizers (each written for one array; @optimizer lifts it)
# ---------------------------------------------------------------------------------------------

def _identity(x):
    return x


def _first(state):
    return state[0]


@optimizer
def sgd(step_size):
    """Stochastic gradient descent: ``x <- x - step_size(i) * g``."""
    step_size = make_schedule(step_size)

    def init(x0):
        return x0

    def update(i, g, x):
        return x - step_size(i) * g
    return init, update, _identity


@optimizer
def momentum(step_size: Schedule, mass: float):
    """Heavy-ball momentum: ``v <- mass * v + g``, ``x <- x - step_size(i) * v``."""
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, fnp.zeros_like(x0)

    def update(i, g, state):
        x, velocity = state
        velocity = mass * velocity + g
        return x - step_size(i) * velocity, velocity
    return init, update, _first


@optimizer
def nesterov(step_size: Schedule, mass: float):
    """Nesterov's accelerated gradient: ``v <- mass * v + g``,
    ``x <- x - step_size(i) * (mass * v + g)``."""
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, fnp.zeros_like(x0)

    def update(i, g, state):
        x, velocity = state
        velocity = mass * velocity + g
        return x - step_size(i) * (mass * velocity + g), velocity
    return init, update, _first


def _inverse_sqrt_or_zero(accum):
    """``1 / sqrt(accum)`` where positive, 0 where the accumulator is still 0 (no division)."""
    positive = accum > 0
    return fnp.where(positive, 1.0 / fnp.sqrt(fnp.where(positive, accum, 1.0)), 0.0)


@optimizer
def adagrad(step_size, momentum=0.9):
    """Adagrad with momentum: ``G <- G + g^2``, ``m <- (1 - momentum) g / sqrt(G) + momentum m``,
    ``x <- x - step_size(i) * m`` (Duchi et al. 2011)."""
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, fnp.zeros_like(x0), fnp.zeros_like(x0)

    def update(i, g, state):
        x, g_sq, m = state
        g_sq = g_sq + fnp.square(g)
        m = (1.0 - momentum) * (g * _inverse_sqrt_or_zero(g_sq)) + momentum * m
        return x - step_size(i) * m, g_sq, m
    return init, update, _first


@optimizer
def rmsprop(step_size, gamma=0.9, eps=1e-8):
    """RMSProp: ``a <- gamma a + (1 - gamma) g^2``, ``x <- x - step_size(i) g / sqrt(a + eps)``."""
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, fnp.zeros_like(x0)

    def update(i, g, state):
        x, avg_sq_grad = state
        avg_sq_grad = avg_sq_grad * gamma + fnp.square(g) * (1.0 - gamma)
        return x - step_size(i) * g / fnp.sqrt(avg_sq_grad + eps), avg_sq_grad
    return init, update, _first


@optimizer
def rmsprop_momentum(step_size, gamma=0.9, eps=1e-8, momentum=0.9):
    """RMSProp with momentum: ``a`` as rmsprop,
    ``m <- momentum m + step_size(i) g / sqrt(a + eps)``, ``x <- x - m``."""
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, fnp.zeros_like(x0), fnp.zeros_like(x0)

    def update(i, g, state):
        x, avg_sq_grad, mom = state
        avg_sq_grad = avg_sq_grad * gamma + fnp.square(g) * (1.0 - gamma)
        mom = momentum * mom + step_size(i) * g / fnp.sqrt(avg_sq_grad + eps)
        return x - mom, avg_sq_grad, mom
    return init, update, _first


def _bias_correction(beta, i, dtype):
    """``1 - beta^(i + 1)`` in ``dtype`` (``i`` may be traced)."""
    return 1.0 - fnp.asarray(beta, dtype) ** (fnp.asarray(i) + 1).astype(dtype)


@optimizer
def adam(step_size, b1=0.9, b2=0.999, eps=1e-8):
    """Adam (Kingma & Ba 2015): bias-corrected first and second moments,
    ``x <- x - step_size(i) * m_hat / (sqrt(v_hat) + eps)``."""
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, fnp.zeros_like(x0), fnp.zeros_like(x0)

    def update(i, g, state):
        x, m, v = state
        m = (1.0 - b1) * g + b1 * m
        v = (1.0 - b2) * fnp.square(g) + b2 * v
        m_hat = m / _bias_correction(b1, i, m.dtype)
        v_hat = v / _bias_correction(b2, i, m.dtype)
        return x - step_size(i) * m_hat / (fnp.sqrt(v_hat) + eps), m, v
    return init, update, _first


@optimizer
def adamax(step_size, b1=0.9, b2=0.999, eps=1e-8):
    """Adamax (Adam's infinity-norm variant): ``u <- max(b2 u, |g|)``,
    ``x <- x - step_size(i) / (1 - b1^(i+1)) * m / (u + eps)``."""
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, fnp.zeros_like(x0), fnp.zeros_like(x0)

    def update(i, g, state):
        x, m, u = state
        m = (1.0 - b1) * g + b1 * m
        u = fnp.maximum(b2 * u, fnp.abs(g))
        lr = step_size(i) / _bias_correction(b1, i, m.dtype)
        return x - lr * m / (u + eps), m, u
    return init, update, _first


@optimizer
def sm3(step_size, momentum=0.9):
    """SM3 (Anil et al. 2019): Adagrad whose accumulator is kept as one vector per axis (memory
    ``sum(shape)`` instead of ``prod(shape)``); an element's accumulator is the minimum over its
    axes' entries plus ``g^2``. A 0-d parameter is kept as shape (1,)."""
    step_size = make_schedule(step_size)

    def init(x0):
        x0 = fnp.atleast_1d(x0)
        return x0, fnp.zeros_like(x0), [fnp.zeros((n,), x0.dtype) for n in x0.shape]

    def update(i, g, state):
        x, m, vs = state
        g = fnp.reshape(g, x.shape)  # a 0-d parameter's gradient, to the (1,) state
        spread = [_along_axis(v, axis, x.ndim) for axis, v in enumerate(vs)]
        accum = functools.reduce(fnp.minimum, spread) + fnp.square(g)
        m = (1.0 - momentum) * (g * _inverse_sqrt_or_zero(accum)) + momentum * m
        x = x - step_size(i) * m
        vs = [fnp.max(accum, axis=tuple(a for a in range(x.ndim) if a != axis))
              for axis in range(x.ndim)]
        return x, m, vs
    return init, update, _first


def _along_axis(v, axis: int, ndim: int):
    """The vector ``v`` laid along ``axis`` of a rank-``ndim`` array (size 1 elsewhere)."""
    shape = [1] * ndim
    shape[axis] = v.shape[0]
    return fnp.reshape(v, tuple(shape))


# ---------------------------------------------------------------------------------------------
# Step-size schedules
# ---------------------------------------------------------------------------------------------

def constant(step_size) -> Schedule:
    """``i -> step_size``."""
    def schedule(i):
        return step_size
    return schedule


def exponential_decay(step_size, decay_steps, decay_rate) -> Schedule:
    """``i -> step_size * decay_rate ** (i / decay_steps)``."""
    def schedule(i):
        return step_size * decay_rate ** (i / decay_steps)
    return schedule


def inverse_time_decay(step_size, decay_steps, decay_rate, staircase=False) -> Schedule:
    """``i -> step_size / (1 + decay_rate * i / decay_steps)`` (``floor`` of the ratio with
    ``staircase=True``)."""
    if staircase:
        def schedule(i):
            return step_size / (1 + decay_rate * fnp.floor(i / decay_steps))
    else:
        def schedule(i):
            return step_size / (1 + decay_rate * i / decay_steps)
    return schedule


def polynomial_decay(step_size, decay_steps, final_step_size, power=1.0) -> Schedule:
    """From ``step_size`` to ``final_step_size`` over ``decay_steps`` steps along
    ``(1 - i / decay_steps) ** power``, then constant."""
    def schedule(step_num):
        step_num = fnp.minimum(step_num, decay_steps)
        step_mult = (1 - step_num / decay_steps) ** power
        return step_mult * (step_size - final_step_size) + final_step_size
    return schedule


def piecewise_constant(boundaries, values) -> Schedule:
    """``values[0]`` for ``i <= boundaries[0]``, ``values[k]`` for ``boundaries[k-1] < i <=
    boundaries[k]``, ``values[-1]`` after the last boundary."""
    boundaries, values = fnp.asarray(boundaries), fnp.asarray(values)
    if not boundaries.ndim == values.ndim == 1:
        raise InvalidArgumentError(
            f"piecewise_constant: boundaries and values must be sequences, got shapes "
            f"{tuple(boundaries.shape)} and {tuple(values.shape)}")
    if boundaries.shape[0] != values.shape[0] - 1:
        raise InvalidArgumentError(
            f"piecewise_constant: boundaries length must be one shorter than values length, got "
            f"{boundaries.shape[0]} boundaries and {values.shape[0]} values")

    def schedule(i):
        return values[fnp.sum(i > boundaries)]
    return schedule


def make_schedule(scalar_or_schedule) -> Schedule:
    """A schedule as is; a scalar as ``constant(scalar)``."""
    if callable(scalar_or_schedule):
        return scalar_or_schedule
    if fnp.ndim(scalar_or_schedule) == 0:
        return constant(scalar_or_schedule)
    raise TypeError(f"make_schedule: expected a scalar or a schedule (a callable), got "
                    f"{type(scalar_or_schedule).__name__} of shape "
                    f"{fnp.shape(scalar_or_schedule)}")


# ---------------------------------------------------------------------------------------------
# Utilities
# ---------------------------------------------------------------------------------------------

def l2_norm(tree):
    """The L2 norm of all the leaves of ``tree`` together, as one flat vector."""
    leaves, _ = tree_flatten(tree)
    return fnp.sqrt(sum(fnp.vdot(x, x) for x in leaves))


def clip_grads(grad_tree, max_norm):
    """``grad_tree`` scaled so its ``l2_norm`` is at most ``max_norm``."""
    norm = l2_norm(grad_tree)
    return tree_map(lambda g: fnp.where(norm < max_norm, g, g * (max_norm / norm)), grad_tree)


class JoinPoint:
    """Marks where a parameter's own state subtree joins the parameter tree in
    ``unpack_optimizer_state``'s output (a leaf to tree functions)."""

    def __init__(self, subtree):
        self.subtree = subtree

    def __iter__(self):  # so that pickling a JoinPoint sees its contents
        yield self.subtree

    def __repr__(self):
        return f"JoinPoint({self.subtree!r})"


def unpack_optimizer_state(opt_state):
    """An ``OptimizerState`` as a plain pytree (for saving): the parameters' structure with a
    ``JoinPoint`` holding each parameter's state. ``pack_optimizer_state`` inverts it."""
    states_flat, tree, subtrees = opt_state
    states = [tree_unflatten(sub, leaves) for sub, leaves in zip(subtrees, states_flat)]
    return tree_unflatten(tree, [JoinPoint(s) for s in states])


def pack_optimizer_state(marked_pytree):
    """The ``OptimizerState`` that ``unpack_optimizer_state`` unpacked to ``marked_pytree``."""
    sentinels, tree = tree_flatten(marked_pytree)
    if not all(isinstance(s, JoinPoint) for s in sentinels):
        raise InvalidArgumentError(
            "pack_optimizer_state: every leaf must be a JoinPoint (the output of "
            "unpack_optimizer_state), got " + ", ".join(sorted({type(s).__name__ for s in sentinels})))
    states_flat, subtrees = _flatten_each(s.subtree for s in sentinels)
    return OptimizerState(states_flat, tree, subtrees)
