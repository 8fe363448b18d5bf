"""Implicit differentiation: roots and fixed points differentiated without unrolling a solver.

* ``custom_root(f, initial_guess, solve, tangent_solve, has_aux=False)`` (``jax.lax.custom_root``):
  the root ``x*`` of ``f`` found by ``solve(f, initial_guess)``, with derivatives from the
  implicit function theorem.  If ``f(x*; theta) = 0`` then
  ``dx* = -(d_x f)^-1 (d_theta f) dtheta``: the JVP solves one linear system with the user's
  ``tangent_solve(g, y)`` (``g`` is the linear map ``d_x f`` at ``x*``).  ``theta`` is whatever
  ``f`` closes over (``f`` is traced to a jaxpr, and its captured values become explicit
  operands, so derivatives flow to them).  The solver itself is never differentiated.
  Forward and reverse mode (reverse mode transposes the JVP, so ``tangent_solve`` must be
  linear in ``y``, e.g. ``y / g(1.0)`` or a linear solve with ``jacfwd(g)``).

* ``fixed_point(f, params, x0, *, max_iter=100, tol=1e-6, return_iterations=False)``:
  ``x* = f(params, x*)`` by plain iteration in a ``while_loop`` (with
  ``return_iterations=True`` also the number of iterations it ran); reverse mode by a
  ``custom_vjp`` that solves the *adjoint* fixed point ``u = x_bar + (d_x f)^T u`` (also a
  ``while_loop``) and returns
  ``(d_params f)^T u``.  This is the deep-equilibrium (DEQ) layer's backward pass: no
  iteration of the forward solver is stored or backpropagated through.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from .. import tree as tree_util
from ..core import Array, Tracer, asarray_concrete, eval_jaxpr, get_aval, raise_to_shaped
from ..errors import InvalidArgumentError
from ..interpreters import ad
from ..interpreters.custom import custom_jvp, custom_vjp
from ..interpreters.partial_eval import trace_open

__all__ = ["custom_root", "fixed_point"]


def _operand(x):
    return x if isinstance(x, (Array, Tracer)) else asarray_concrete(x)


def _avals(leaves):
    return [raise_to_shaped(get_aval(x)) for x in leaves]


def _same_type(a, b) -> bool:
    return tuple(a.shape) == tuple(b.shape) and a.dtype == b.dtype


def _describe(avals) -> str:
    return "(" + ", ".join(a.str_short() for a in avals) + ")"


def _cast(x, dtype):
    """``x`` (array or Python number) as a strongly typed array of ``dtype``."""
    from .elementwise import convert_element_type
    x = _operand(x)
    if x.dtype != dtype or get_aval(x).weak_type:
        x = convert_element_type(x, dtype)
    return x


def _as_dtype_of(x, like):
    """``x`` with ``like``'s dtype (JAX lets ``g(1.0)`` take a Python scalar tangent)."""
    return _cast(x, get_aval(like).dtype)


class _Static:
    """Non-array data of one call, passed as a custom rule's non-differentiable argument."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


# =============================================================================================
# custom_root
# =============================================================================================

def custom_root(f, initial_guess, solve, tangent_solve, has_aux: bool = False):
    """Differentiably solve ``f(x) = 0`` (``jax.lax.custom_root``).

    * ``f``: a function of a pytree ``x`` (same structure, shapes and dtypes as
      ``initial_guess``) returning a pytree of the same kind; it may close over arrays
      (parameters) -- the solution is differentiated with respect to them.
    * ``solve(f, initial_guess)``: finds the root (any method; never differentiated).  With
      ``has_aux=True`` it returns ``(solution, aux)`` and ``custom_root`` does too (``aux``
      gets zero derivatives).
    * ``tangent_solve(g, y)``: solves the linear system ``g(x) = y`` for ``x``, where ``g`` is
      the linearization of ``f`` at the solution.  For a scalar ``f``:
      ``lambda g, y: y / g(1.0)``.

    >>> def sqrt(a):   # Newton on x^2 - a, differentiable in a
    ...     def newton(f, x0):
    ...         return fnx.lax.fori_loop(0, 20, lambda i, x: x - f(x) / (2 * x), x0)
    ...     return fnx.lax.custom_root(lambda x: x * x - a, 1.0 * a, newton,
    ...                                lambda g, y: y / g(1.0))
    >>> fnx.grad(sqrt)(4.0)     # 0.25
    """
    guess_leaves, guess_tree = tree_util.flatten(initial_guess)
    guess_leaves = [_operand(x) for x in guess_leaves]
    guess_avals = _avals(guess_leaves)

    def flat_f(*xs):
        out = f(tree_util.unflatten(guess_tree, list(xs)))
        leaves, tdef = tree_util.flatten(out)
        if tdef != guess_tree:
            raise InvalidArgumentError(
                f"custom_root: f must return a pytree of the structure of initial_guess "
                f"({guess_tree}), got {tdef}")
        return leaves

    f_jaxpr, f_consts = trace_open(flat_f, guess_avals, name="custom_root f")
    f_out = [v.aval for v in f_jaxpr.outs]
    if not all(_same_type(a, b) for a, b in zip(f_out, guess_avals)):
        raise InvalidArgumentError(f"custom_root: f maps {_describe(guess_avals)} to "
                                   f"{_describe(f_out)}; it must keep shapes and dtypes")
    trees = {}

    def flat_solve(*xs):
        out = solve(f, tree_util.unflatten(guess_tree, list(xs)))
        sol, aux = out if has_aux else (out, None)
        if has_aux and not (isinstance(out, tuple) and len(out) == 2):
            raise InvalidArgumentError("custom_root: with has_aux=True, solve must return a "
                                       "pair (solution, aux)")
        sol_leaves, sol_tree = tree_util.flatten(sol)
        if sol_tree != guess_tree:
            raise InvalidArgumentError(f"custom_root: solve must return a pytree of the "
                                       f"structure of initial_guess ({guess_tree}), got "
                                       f"{sol_tree}")
        aux_leaves, trees["aux"] = tree_util.flatten(aux)
        return sol_leaves + aux_leaves

    solve_jaxpr, solve_consts = trace_open(flat_solve, guess_avals, name="custom_root solve")
    n_sol = len(guess_leaves)
    sol_avals = [v.aval for v in solve_jaxpr.outs[:n_sol]]
    if not all(_same_type(a, b) for a, b in zip(sol_avals, guess_avals)):
        raise InvalidArgumentError(f"custom_root: solve returned {_describe(sol_avals)} for an "
                                   f"initial guess of {_describe(guess_avals)}")
    static = _Static(f_jaxpr=f_jaxpr, solve_jaxpr=solve_jaxpr, tangent_solve=tangent_solve,
                     guess_tree=guess_tree, n_sol=n_sol)
    outs = _root(static, list(f_consts), list(solve_consts), guess_leaves)
    sol = tree_util.unflatten(guess_tree, outs[:n_sol])
    if has_aux:
        return sol, tree_util.unflatten(trees["aux"], outs[n_sol:])
    return sol


def _root_impl(static, f_consts, solve_consts, guess):
    return eval_jaxpr(static.solve_jaxpr, list(solve_consts) + list(guess))


_root = custom_jvp(_root_impl, nondiff_argnums=(0,))


@_root.defjvp
def _root_jvp(static, primals, tangents):
    f_consts, solve_consts, guess = primals
    f_consts_dot = tangents[0]
    outs = _root(static, f_consts, solve_consts, guess)
    sol, aux = outs[:static.n_sol], outs[static.n_sol:]
    f_consts = list(f_consts)

    def f_of_consts(*cs):
        return eval_jaxpr(static.f_jaxpr, list(cs) + list(sol))

    # d_theta f [theta_dot] at the solution ...
    _, rhs = ad.jvp_flat(f_of_consts, f_consts, list(f_consts_dot))
    rhs = [ad.instantiate_zeros(r) for r in rhs]
    # ... and the solution's tangent: -(d_x f)^-1 of it
    sol_dot = _tangent_solve(static, f_consts, sol, rhs)
    sol_dot = [-_as_dtype_of(t, s) for t, s in zip(sol_dot, sol)]
    aux_dot = [ad.instantiate_zeros(ad.Zero.from_value(a)) for a in aux]
    return outs, sol_dot + aux_dot


def _tangent_solve(static, f_consts, sol, rhs):
    tree = static.guess_tree
    f_at_sol = ad.Linearized(lambda *x: eval_jaxpr(static.f_jaxpr, f_consts + list(x)),
                             list(sol))

    def g(t):
        leaves = [_as_dtype_of(x, s) for x, s in zip(tree.flatten_up_to(t), sol)]
        return tree_util.unflatten(tree, f_at_sol.jvp(leaves))

    out = static.tangent_solve(g, tree_util.unflatten(tree, list(rhs)))
    return tree.flatten_up_to(out)


# =============================================================================================
# fixed_point
# =============================================================================================

def fixed_point(f, params, x0, *, max_iter: int = 100, tol: float = 1e-6,
                return_iterations: bool = False):
    """The fixed point ``x* = f(params, x*)``, found by iterating ``x <- f(params, x)`` from
    ``x0`` in a ``while_loop``; differentiable in ``params`` (reverse mode) by implicit
    differentiation.

    * ``f(params, x)``: returns a pytree like ``x``; should be a contraction in ``x`` near the
      fixed point (e.g. ``tanh(W @ x + U @ p)`` with ``||W||_2 < 1``).  Arrays ``f`` closes
      over are differentiated like ``params``.
    * ``params``, ``x0``: pytrees of arrays.
    * Stops after ``max_iter`` iterations, or once an iteration changes ``x`` by at most
      ``tol * (1 + max|x|)`` (largest absolute change over all leaves).
    * ``return_iterations=True``: returns ``(x*, n)`` with ``n`` an int32 scalar, the number of
      forward iterations run (``max_iter`` when the tolerance was never met) -- e.g. to watch
      a DEQ's solver cost during training.  It has no derivative.

    The gradient w.r.t. ``params`` comes from a ``custom_vjp``: with ``u`` the fixed point of
    ``u = x_bar + (d_x f)^T u`` (solved by the same iteration, same ``max_iter`` / ``tol``), it is
    ``(d_params f)^T u`` -- a deep-equilibrium layer trains without storing or backpropagating
    through the solver's iterations.  The gradient w.r.t. ``x0`` is zero.  Forward mode (``jvp``)
    is not supported (as for every ``custom_vjp``); ``vmap`` and ``jit`` are.

    >>> x = fixed_point(lambda p, x: fnp.tanh(W @ x + p), p, fnp.zeros(n))
    """
    if not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise InvalidArgumentError(f"fixed_point: max_iter must be a non-negative int, got "
                                   f"{max_iter!r}")
    p_leaves, p_tree = tree_util.flatten(params)
    x_leaves, x_tree = tree_util.flatten(x0)
    p_leaves = [_operand(p) for p in p_leaves]
    x_leaves = [_operand(x) for x in x_leaves]
    x_avals = [a.strip_weak_type() for a in _avals(x_leaves)]
    x_leaves = [_cast(x, a.dtype) for x, a in zip(x_leaves, x_avals)]
    n_p = len(p_leaves)

    def flat_f(*args):
        out = f(tree_util.unflatten(p_tree, list(args[:n_p])),
                tree_util.unflatten(x_tree, list(args[n_p:])))
        leaves, tdef = tree_util.flatten(out)
        if tdef != x_tree:
            raise InvalidArgumentError(f"fixed_point: f must return a pytree of the structure "
                                       f"of x0 ({x_tree}), got {tdef}")
        return leaves

    jaxpr, consts = trace_open(flat_f, _avals(p_leaves) + x_avals, name="fixed_point f")
    out_avals = [v.aval for v in jaxpr.outs]
    if not all(_same_type(a, b) for a, b in zip(out_avals, x_avals)):
        raise InvalidArgumentError(f"fixed_point: f maps x of {_describe(x_avals)} to "
                                   f"{_describe(out_avals)}; it must keep shapes and dtypes")
    static = _Static(jaxpr=jaxpr, max_iter=int(max_iter), tol=float(tol), x_tree=x_tree)
    out = _fixed_point(static, list(consts), p_leaves, x_leaves)
    x = tree_util.unflatten(x_tree, out[:-1])
    return (x, out[-1]) if return_iterations else x


def _apply(static, consts, params, x):
    return eval_jaxpr(static.jaxpr, list(consts) + list(params) + list(x))


def _iterate(g, x0, max_iter: int, tol: float):
    """``x <- g(x)`` until the step is at most ``tol * (1 + max|x|)`` (or ``max_iter`` steps);
    returns ``(x, number of iterations run)``."""
    from . import (abs as abs_, add, and_, convert_element_type, gt, lt, max as max_, mul,
                   not_, reduce_max, sub)
    from .control_flow import while_loop
    err_dtype = dtypes.float64 if any(x.dtype == dtypes.float64 for x in x0) else dtypes.float32

    def largest(xs):
        m = None
        for x in xs:
            v = convert_element_type(reduce_max(abs_(x), tuple(range(x.ndim))), err_dtype)
            m = v if m is None else max_(m, v)
        return m

    def cond(carry):
        i, _, done = carry
        return and_(lt(i, Array(np.asarray(max_iter, np.int32))), not_(done))

    def body(carry):
        i, x, _ = carry
        new = g(x)
        step = largest([sub(a, b) for a, b in zip(new, x)])
        scale = add(largest(new), Array(np.ones((), err_dtype)))
        # a NaN step stops the loop too (comparisons with NaN are False)
        done = not_(gt(step, mul(Array(np.asarray(tol, err_dtype)), scale)))
        return add(i, Array(np.ones((), np.int32))), list(new), done

    if not x0:
        return [], Array(np.zeros((), np.int32))
    init = (Array(np.zeros((), np.int32)), list(x0), Array(np.zeros((), np.bool_)))
    n, x, _ = while_loop(cond, body, init)
    return x, n


def _fixed_point_impl(static, consts, params, x0):
    """The fixed point's leaves, then the iteration count (int32: it gets no cotangent)."""
    x, n = _iterate(lambda x: _apply(static, consts, params, x), list(x0), static.max_iter,
                    static.tol)
    return list(x) + [n]


_fixed_point = custom_vjp(_fixed_point_impl, nondiff_argnums=(0,))


def _fixed_point_fwd(static, consts, params, x0):
    out = _fixed_point(static, consts, params, x0)
    return out, (list(consts), list(params), list(out[:-1]))


def _fixed_point_bwd(static, res, x_bar):
    from .elementwise import add
    consts, params, x = res
    x_bar = [ad.instantiate_zeros(c) if isinstance(c, ad.Zero) else c
             for c in x_bar[:-1]]          # the iteration count's cotangent is dropped
    f_of_x = ad.Linearized(lambda *xs: _apply(static, consts, params, list(xs)), list(x))

    # the adjoint fixed point u = x_bar + (d_x f)^T u, itself a (differentiable) fixed_point
    def adjoint(packed, u):
        xb, = packed
        return [add(a, ad.instantiate_zeros(c)) for a, c in zip(xb, f_of_x.vjp(list(u)))]

    u = fixed_point(adjoint, (list(x_bar),), list(x_bar), max_iter=static.max_iter,
                    tol=static.tol)
    n = len(consts)
    f_of_cp = ad.Linearized(lambda *cp: _apply(static, list(cp[:n]), list(cp[n:]), x),
                            list(consts) + list(params))
    bars = [ad.instantiate_zeros(c) for c in f_of_cp.vjp(list(u))]
    return bars[:n], bars[n:], None


_fixed_point.defvjp(_fixed_point_fwd, _fixed_point_bwd)
