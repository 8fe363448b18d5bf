"""Jaxpr-to-jaxpr optimization passes that ``jit`` runs before fusion and code generation.

Every pass is a pure function ``Jaxpr -> Jaxpr``:

* it never mutates its input (equations are rebuilt with fresh ``inputs`` lists);
* the result has the *same* ``in_binders`` (the same ``Var`` objects, in the same order, kept
  even when unused), and ``outs`` of the same length and avals -- an output may afterwards be an
  input variable or a ``Literal``;
* it changes no value, bit for bit (NaN, inf and the sign of zero included): a rewrite that
  holds only "mathematically" (``x * 0 -> 0``, ``x + 0.0 -> x`` for floats) is not done.

The passes, in the order ``optimize`` runs them:

``inline_jit``      splice the body of every nested ``jit`` call into its caller
``simplify``        local algebraic identities (``x * 1``, ``neg(neg(x))``, shape-op chains, ...)
``transpose_dot_outputs``  ``transpose(dot_general(a, b))`` -> ``dot_general(b, a)``
``fold_constants``  evaluate equations whose inputs are all known; scalars become Literals
``cse``             merge equations that compute the same thing
``dce``             drop equations whose results nobody uses

repeated until nothing changes, then ``strip_optimization_barriers`` once (fnx.checkpoint).

``lower_for_codegen`` then rewrites the optimized jaxpr for the code generators only (matmul
epilogues, wide concatenates split); ``schedule`` analyses its result.

Passes read what they need to know about a primitive from its declarations (``fusion``,
``call_jaxpr_param``) or, for rewrites specific to one primitive, from tables keyed by the
``Primitive`` object.

Variables are tracked by identity (``id(var)``) throughout, as ``eval_jaxpr`` does: a ``Var``
has no name, only an identity.
"""
from __future__ import annotations

import enum
from typing import Any, Mapping

import numpy as np

from ..core import Array, ClosedJaxpr, Eqn, Fusion, Jaxpr, Literal, Var, eqn_has_effects
from ..interpreters.custom import custom_lin_p
from ..interpreters.remat import name_p, optimization_barrier_p
from ..lax import elementwise as ew
from ..lax import shape as lax_shape
from ..lax.linalg import dot_general_p
from .epilogue import fuse_matmul_epilogues
from .pad_sums import pads_to_concatenate

__all__ = ["inline_jit", "dce", "cse", "fold_constants", "simplify", "optimize", "count_eqns",
           "strip_optimization_barriers", "lower_for_codegen", "split_wide_concatenates"]

# Results with more elements than this are not computed at compile time at all (a folded value
# is only *emitted* when it is a scalar; larger known values just help fold their consumers).
MAX_FOLD_ELEMENTS = 4096


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------

def _read(x, env: Mapping[int, Any]):
    """``x`` after substitution: a Var replaced in ``env`` (keyed by id), else ``x`` itself."""
    if isinstance(x, Var):
        return env.get(id(x), x)
    return x


def _copy_eqn(e: Eqn, env: Mapping[int, Any], out_binders=None) -> Eqn:
    """A new equation with substituted inputs (the input equation is never modified)."""
    return Eqn(e.primitive, [_read(x, env) for x in e.inputs], dict(e.params),
               list(e.out_binders if out_binders is None else out_binders))


def _rebuild(jaxpr: Jaxpr, eqns: list, env: Mapping[int, Any]) -> Jaxpr:
    """The result jaxpr: same in_binders, new equations, substituted outputs."""
    return Jaxpr(list(jaxpr.in_binders), eqns, [_read(x, env) for x in jaxpr.outs])


def _literal_np(lit: Literal) -> np.ndarray:
    """The value of a Literal as a numpy array of the Literal's own dtype."""
    return np.asarray(lit.val, dtype=lit.aval.dtype)


def _literal_key(lit: Literal) -> tuple:
    # Bitwise identity: 0.0 and -0.0 differ, NaN equals the same NaN, 1 (int) != 1.0 (float),
    # and a weak literal differs from a strong one.
    v = _literal_np(lit)
    return ("lit", v.dtype.str, v.shape, bool(lit.aval.weak_type), v.tobytes())


def _atom_key(x) -> tuple:
    return _literal_key(x) if isinstance(x, Literal) else ("var", id(x))


def _hashable(value) -> Any:
    """A hashable key for a parameter value, equal exactly when the values are equal.

    Scalars carry their type (so ``2``, ``2.0`` and ``True`` differ; ``-0.0`` and ``0.0`` differ;
    NaN equals NaN); containers are keyed element-wise; arrays by their bytes; jaxprs and any
    other object without a usable hash by identity."""
    if value is None or isinstance(value, (str, bytes, enum.Enum)):
        return value
    if isinstance(value, (bool, int)):
        return (type(value).__name__, value)
    if isinstance(value, float):
        return ("float", value.hex() if value == value else "nan")
    if isinstance(value, np.dtype):
        return ("dtype", value.str)
    if isinstance(value, (np.ndarray, np.generic, Array)):
        v = np.asarray(value)
        return ("array", v.dtype.str, v.shape, v.tobytes(), bool(getattr(value, "weak_type", 0)))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(_hashable(v) for v in value))
    if isinstance(value, dict):
        items = sorted(((repr(k), _hashable(v)) for k, v in value.items()), key=lambda kv: kv[0])
        return ("dict", tuple(items))
    if isinstance(value, (Jaxpr, ClosedJaxpr)) or callable(value):
        return ("id", id(value))
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return ("obj", type(value).__name__, value)


def _params_key(params: dict) -> tuple:
    return tuple(sorted((k, _hashable(v)) for k, v in params.items()))


def _same_aval(a, b) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.weak_type == b.weak_type


def _fingerprint(jaxpr: Jaxpr) -> tuple:
    """Equal for two jaxprs exactly when they are the same program over the same variables."""
    eqns = tuple((e.primitive.name, tuple(_atom_key(x) for x in e.inputs),
                  tuple(id(v) for v in e.out_binders), _params_key(e.params))
                 for e in jaxpr.eqns)
    return eqns, tuple(_atom_key(x) for x in jaxpr.outs)


def count_eqns(jaxpr, primitive_name: str | None = None) -> int:
    """The number of top-level equations of ``jaxpr`` (a Jaxpr or ClosedJaxpr), or of those
    whose primitive is named ``primitive_name``."""
    if isinstance(jaxpr, ClosedJaxpr):
        jaxpr = jaxpr.jaxpr
    return sum(1 for e in jaxpr.eqns
               if primitive_name is None or e.primitive.name == primitive_name)


# ---------------------------------------------------------------------------------------------
# inline_jit
# ---------------------------------------------------------------------------------------------

def _jit_body(e: Eqn) -> Jaxpr | None:
    """The inner jaxpr of a call equation that can be inlined, else None.  Calls declare
    ``fusion = Fusion.CALL`` and the param holding their body (``call_jaxpr_param``): jit, the
    staged custom_jvp / custom_vjp calls (whose custom rules matter only to differentiation,
    which has happened by the time a jaxpr is compiled) and fnx.checkpoint's remat (its body
    once differentiation is done; the recomputation is protected by optimization_barrier)."""
    if e.primitive.fusion != Fusion.CALL:
        return None
    body = e.params.get(e.primitive.call_jaxpr_param)
    if isinstance(body, ClosedJaxpr):
        if body.consts:  # constants have no place in the caller; leave the call alone
            return None
        body = body.jaxpr
    if not isinstance(body, Jaxpr) or len(body.in_binders) != len(e.inputs) \
            or len(body.outs) != len(e.out_binders):
        return None
    return body


def _inline_eqns(eqns, env: dict, out: list, rename: bool) -> None:
    """Append ``eqns`` to ``out`` with jit calls expanded.  ``env`` maps the ids of the vars of
    ``eqns`` to what replaces them; ``rename`` gives every result a fresh Var (for bodies, which
    may be inlined more than once)."""
    for e in eqns:
        body = _jit_body(e)
        if body is None:
            outs = [Var(v.aval) for v in e.out_binders] if rename else e.out_binders
            if rename:
                env.update((id(v), n) for v, n in zip(e.out_binders, outs))
            out.append(_copy_eqn(e, env, outs))
            continue
        inputs = [_read(x, env) for x in e.inputs]
        body_env = {id(b): a for b, a in zip(body.in_binders, inputs)}
        _inline_eqns(body.eqns, body_env, out, rename=True)
        # A body output may be one of its inputs or a Literal: _read covers both.
        for v, r in zip(e.out_binders, body.outs):
            env[id(v)] = _read(r, body_env)


def inline_jit(jaxpr: Jaxpr) -> Jaxpr:
    """Replace every ``jit`` (or staged custom-derivative call) equation by the equations of
    its body (recursively).

    Body variables are renamed to fresh Vars, body inputs become the call's operands and the
    call's results become the body's outputs (which may be operands or Literals)."""
    env: dict = {}
    eqns: list = []
    _inline_eqns(jaxpr.eqns, env, eqns, rename=False)
    return _rebuild(jaxpr, eqns, env)


# ---------------------------------------------------------------------------------------------
# dce
# ---------------------------------------------------------------------------------------------

def dce(jaxpr: Jaxpr) -> Jaxpr:
    """Dead-code elimination: drop equations none of whose results is used, unless they have
    effects (a debug callback, or a loop / call whose body holds one).  Unused in_binders
    stay."""
    live = {id(x) for x in jaxpr.outs if isinstance(x, Var)}
    kept = []
    for e in reversed(jaxpr.eqns):
        if any(id(v) in live for v in e.out_binders) or eqn_has_effects(e):
            kept.append(_copy_eqn(e, {}))
            live.update(id(x) for x in e.inputs if isinstance(x, Var))
    kept.reverse()
    return _rebuild(jaxpr, kept, {})


# ---------------------------------------------------------------------------------------------
# cse
# ---------------------------------------------------------------------------------------------

def cse(jaxpr: Jaxpr) -> Jaxpr:
    """Common-subexpression elimination: an equation with the same primitive, the same inputs
    (the same Vars, or bitwise-equal Literals of the same dtype and weak type) and equal params
    as an earlier one is dropped, and its results replaced by the earlier one's."""
    env: dict = {}
    seen: dict = {}
    eqns = []
    for e in jaxpr.eqns:
        e = _copy_eqn(e, env)
        if eqn_has_effects(e):  # two identical prints both print
            eqns.append(e)
            continue
        key = (e.primitive.name, id(e.primitive), tuple(_atom_key(x) for x in e.inputs),
               _params_key(e.params))
        prev = seen.get(key)
        if prev is not None and len(prev) == len(e.out_binders) and \
                all(_same_aval(p.aval, v.aval) for p, v in zip(prev, e.out_binders)):
            env.update((id(v), p) for v, p in zip(e.out_binders, prev))
            continue
        seen[key] = e.out_binders
        eqns.append(e)
    return _rebuild(jaxpr, eqns, env)


# ---------------------------------------------------------------------------------------------
# fold_constants
# ---------------------------------------------------------------------------------------------



def _const_values(jaxpr: Jaxpr, consts) -> list:
    """``consts`` (a {Var: value} mapping, or a sequence of values for the leading in_binders)
    as a list of (var, Array) pairs."""
    if consts is None:
        return []
    if isinstance(consts, Mapping):
        pairs = list(consts.items())
    else:
        consts = list(consts)
        if len(consts) > len(jaxpr.in_binders):
            raise ValueError(f"fold_constants: {len(consts)} constants for a jaxpr with "
                             f"{len(jaxpr.in_binders)} inputs")
        pairs = list(zip(jaxpr.in_binders, consts))
    out = []
    for var, val in pairs:
        if not isinstance(val, Array):
            val = Array(np.array(val, dtype=var.aval.dtype), var.aval.weak_type)
        if tuple(val.shape) != tuple(var.aval.shape) or val.dtype != var.aval.dtype:
            raise ValueError(f"fold_constants: constant of {val.aval.str_short()} given for a "
                             f"variable of {var.aval.str_short()}")
        out.append((var, val))
    return out


def _literal_array(lit: Literal) -> Array:
    if isinstance(lit.val, Array):
        return lit.val
    return Array(_literal_np(lit), lit.aval.weak_type)


def _scalar_literal(val: Array, aval) -> Literal:
    # The aval of the variable decides the weak type (kernels may not track it).
    return Literal(Array(np.array(np.asarray(val), dtype=aval.dtype), aval.weak_type))


def _foldable(e: Eqn) -> bool:
    """Never evaluated at compile time: calls (their bodies are compiled, not run), any
    primitive with a body, and custom_lin (its implementation only raises)."""
    if e.primitive.fusion == Fusion.CALL or e.primitive is custom_lin_p or e.primitive.effectful:
        return False
    if any(isinstance(p, (Jaxpr, ClosedJaxpr)) for p in e.params.values()):
        return False
    return sum(v.aval.size for v in e.out_binders) <= MAX_FOLD_ELEMENTS


def _evaluate(e: Eqn, vals: list) -> list | None:
    """Run ``e`` on concrete values; None if it fails or returns something unexpected (the
    equation then stays, and fails or not at run time exactly as it would have)."""
    try:
        outs = e.primitive.impl(*vals, **e.params)
    except Exception:  # noqa: BLE001 -- any failure just means "don't fold"
        return None
    if not e.primitive.multiple_results:
        outs = [outs]
    outs = list(outs)
    if len(outs) != len(e.out_binders):
        return None
    for o, v in zip(outs, e.out_binders):
        if not isinstance(o, Array) or tuple(o.shape) != tuple(v.aval.shape) \
                or o.dtype != v.aval.dtype:
            return None
    return outs


def fold_constants(jaxpr: Jaxpr, consts=None) -> Jaxpr:
    """Evaluate, at compile time, equations whose inputs are all known: Literals, the constant
    in_binders given in ``consts`` ({Var: Array}, or values for the leading in_binders), and
    results folded before.

    A known *scalar* result becomes a Literal and its equation disappears.  Larger known results
    (at most ``MAX_FOLD_ELEMENTS`` elements are computed) only feed further folding: their
    equations stay, so big constants (an ``iota``, a broadcast scalar) are never materialized
    into the program -- generated code computes them more cheaply than it loads them.  Scalar
    constant in_binders are replaced by Literals where they are used."""
    pairs = _const_values(jaxpr, consts)
    known = {id(var): val for var, val in pairs}
    env = {id(var): _scalar_literal(val, var.aval) for var, val in pairs if var.aval.shape == ()}
    eqns = []
    for e in jaxpr.eqns:
        e = _copy_eqn(e, env)
        vals = [_literal_array(x) if isinstance(x, Literal) else known.get(id(x))
                for x in e.inputs]
        outs = None
        if all(isinstance(v, Array) for v in vals) and _foldable(e):
            outs = _evaluate(e, vals)
        if outs is None:
            eqns.append(e)
            continue
        for v, o in zip(e.out_binders, outs):
            known[id(v)] = o
            if v.aval.shape == ():
                env[id(v)] = _scalar_literal(o, v.aval)
        if any(v.aval.shape != () for v in e.out_binders):
            eqns.append(e)
    return _rebuild(jaxpr, eqns, env)


# ---------------------------------------------------------------------------------------------
# simplify
# ---------------------------------------------------------------------------------------------
# A rule ``rule(eqn, producers)`` looks at one single-result equation (inputs already
# substituted) and at the equations that produced its inputs (``producers``: id(var) -> Eqn).
# It returns a list of candidate atoms (Var or Literal) equal to the result -- the first whose
# aval equals the result's exactly (shape, dtype AND weak type) replaces it, so the program stays
# well typed -- or a new equation with the same out_binders, or [] for "no change".

def _scalar_value(x):
    """The numpy scalar value of a rank-0 Literal, else None."""
    if isinstance(x, Literal) and x.aval.shape == ():
        return _literal_np(x)[()]
    return None


def _is_one(x) -> bool:
    v = _scalar_value(x)
    return v is not None and bool(v == 1)


def _is_zero(x, *, negative: bool) -> bool:
    """``x`` is a zero literal; for floats, one with the given sign bit (``x + -0.0`` and
    ``x - +0.0`` are ``x`` for every float x; ``-0.0 + +0.0`` is ``+0.0``, so ``x + 0.0`` is
    not ``x``)."""
    v = _scalar_value(x)
    if v is None or v != 0:
        return False
    if np.issubdtype(np.asarray(v).dtype, np.floating):
        return bool(np.signbit(v)) == negative
    return True


def _producer(x, producers: dict, prim) -> Eqn | None:
    """The equation of primitive ``prim`` that produced ``x``, else None."""
    e = producers.get(id(x)) if isinstance(x, Var) else None
    return e if e is not None and e.primitive is prim else None


def _mul_rule(e, producers):
    x, y = e.inputs
    return [a for a, other in ((x, y), (y, x)) if _is_one(other)]


def _add_rule(e, producers):
    x, y = e.inputs
    return [a for a, other in ((x, y), (y, x)) if _is_zero(other, negative=True)]


def _sub_rule(e, producers):
    x, y = e.inputs
    return [x] if _is_zero(y, negative=False) else []


def _div_rule(e, producers):
    x, y = e.inputs
    return [x] if _is_one(y) else []


def _involution_rule(e, producers):
    """``f(f(x)) -> x`` for ``neg`` and ``not`` (exact, integer wrap-around included)."""
    inner = _producer(e.inputs[0], producers, e.primitive)
    return [inner.inputs[0]] if inner else []


def _identity_rule(e, producers):
    return [e.inputs[0]]


def _no_dims_rule(e, producers):
    return [e.inputs[0]] if not tuple(e.params["dimensions"]) else []


def _convert_rule(e, producers):
    # Same dtype and weak type: checked by the aval comparison every atom goes through.
    return [e.inputs[0]]


def _select_n_rule(e, producers):
    which, *cases = e.inputs
    if len(cases) == 1:
        return cases
    w = _scalar_value(which)
    if w is None:
        return []
    return [cases[min(max(int(w), 0), len(cases) - 1)]]  # an int `which` is clamped


def _replace_operand(e: Eqn, x, **params) -> Eqn:
    return Eqn(e.primitive, [x], {**e.params, **params}, list(e.out_binders))


def _transpose_rule(e, producers):
    perm = tuple(e.params["permutation"])
    x = e.inputs[0]
    inner = _producer(x, producers, lax_shape.transpose_p)
    if inner is not None:
        # out axis i = mid axis perm[i] = x axis inner_perm[perm[i]]
        inner_perm = tuple(inner.params["permutation"])
        perm, x = tuple(inner_perm[p] for p in perm), inner.inputs[0]
    if perm == tuple(range(len(perm))):
        return [x]
    return _replace_operand(e, x, permutation=perm) if inner is not None else []


def _reshape_rule(e, producers):
    x = e.inputs[0]
    inner = _producer(x, producers, lax_shape.reshape_p)
    if inner is not None:
        x = inner.inputs[0]  # row-major reshapes compose: only the final shape matters
    if tuple(x.aval.shape) == tuple(e.params["new_sizes"]):
        return [x]
    return _replace_operand(e, x) if inner is not None else []


def _unit_insertion(src_shape, dst_shape):
    """Where ``src``'s axes land in ``dst`` when ``dst`` is ``src`` with size-1 axes inserted
    (what a reshape like ``x[None]`` or an expand_dims does), else None."""
    pos, j = [], 0
    for d in src_shape:
        while j < len(dst_shape) and dst_shape[j] != d:
            if dst_shape[j] != 1:
                return None
            j += 1
        if j == len(dst_shape):
            return None
        pos.append(j)
        j += 1
    return pos if all(d == 1 for d in dst_shape[j:]) else None


def _broadcast_source(x, dims, producers):
    """Look through the producer of a broadcast's operand ``x``: another broadcast_in_dim, or
    a reshape / expand_dims that only inserts size-1 axes.  Returns the operand and broadcast
    dimensions of one equivalent broadcast (``x, dims`` themselves when there is none)."""
    e = producers.get(id(x)) if isinstance(x, Var) else None
    if e is None or not e.inputs:   # (no operand: an iota, say)
        return x, dims
    src = e.inputs[0]
    if e.primitive is lax_shape.broadcast_in_dim_p:
        # src axis i -> x axis inner[i] -> out axis dims[inner[i]].  A src axis has size 1 or
        # the size of its x axis, which is 1 or the out axis's size: the composition is valid
        # (size-1 axes may be stretched twice).
        return src, tuple(dims[d] for d in e.params["broadcast_dimensions"])
    if e.primitive in (lax_shape.reshape_p, lax_shape.expand_dims_p):
        pos = _unit_insertion(tuple(src.aval.shape), tuple(x.aval.shape))
        if pos is not None:
            return src, tuple(dims[p] for p in pos)
    return x, dims


def _broadcast_in_dim_rule(e, producers):
    shape, dims = tuple(e.params["shape"]), tuple(e.params["broadcast_dimensions"])
    x, dims = _broadcast_source(e.inputs[0], dims, producers)
    if tuple(x.aval.shape) == shape and dims == tuple(range(len(shape))):
        return [x]
    return _replace_operand(e, x, broadcast_dimensions=dims) if x is not e.inputs[0] else []


def _rev_rule(e, producers):
    inner = _producer(e.inputs[0], producers, lax_shape.rev_p)
    if inner is not None and sorted(inner.params["dimensions"]) == \
            sorted(e.params["dimensions"]):
        return [inner.inputs[0]]
    return _no_dims_rule(e, producers)


_SIMPLIFY_RULES: dict = {
    ew.mul_p: _mul_rule,
    ew.add_p: _add_rule,
    ew.sub_p: _sub_rule,
    ew.div_p: _div_rule,
    ew.neg_p: _involution_rule,
    ew.not_p: _involution_rule,
    lax_shape.transpose_p: _transpose_rule,
    lax_shape.reshape_p: _reshape_rule,
    lax_shape.broadcast_in_dim_p: _broadcast_in_dim_rule,
    ew.convert_element_type_p: _convert_rule,
    lax_shape.squeeze_p: _no_dims_rule,
    lax_shape.expand_dims_p: _no_dims_rule,
    lax_shape.rev_p: _rev_rule,
    # Inside jit, after differentiation, stop_gradient is the identity.
    ew.stop_gradient_p: _identity_rule,
    # fnx.checkpoint_name only tags a value for remat policies.
    name_p: _identity_rule,
    ew.select_n_p: _select_n_rule,
}


def _simplify_eqn(e: Eqn, producers: dict):
    """What replaces ``e``: an atom equal to its (single) result, a new Eqn, or ``e``."""
    rule = _SIMPLIFY_RULES.get(e.primitive)
    if rule is None or len(e.out_binders) != 1:
        return e
    result = rule(e, producers)
    if isinstance(result, Eqn):
        return result
    out = e.out_binders[0]
    return next((a for a in result if _same_aval(a.aval, out.aval)), e)


def simplify(jaxpr: Jaxpr) -> Jaxpr:
    """Algebraic simplification, one equation at a time, in program order.

    * ``x*1, 1*x, x/1 -> x``; ``x + -0.0, -0.0 + x, x - 0.0 -> x`` (for integers any zero; for
      floats only the zero whose sign makes the identity exact); ``neg(neg(x))`` and
      ``not(not(x)) -> x``;
    * chains of transpose / reshape / broadcast_in_dim / rev collapse to one equation (or to
      ``x`` when the result is the identity); a reshape or expand_dims that only inserts size-1
      axes folds into the broadcast_in_dim that consumes it;
    * no-op reshape, transpose, broadcast_in_dim, convert_element_type, squeeze, expand_dims and
      rev, ``select_n`` with one case or a constant ``which``, and ``stop_gradient`` (inside jit,
      after differentiation, it is the identity) are replaced by their operand.

    ``x * 0`` is kept: it is NaN for x = NaN or inf.  A result is replaced only by an atom of
    exactly its aval (shape, dtype and weak type).  Equations left unused are removed later by
    ``dce``."""
    env: dict = {}
    producers: dict = {}
    eqns = []
    for e in jaxpr.eqns:
        e = _copy_eqn(e, env)
        new = _simplify_eqn(e, producers)
        if isinstance(new, Eqn):
            eqns.append(new)
            producers.update((id(v), new) for v in new.out_binders)
        else:
            env[id(e.out_binders[0])] = new
    return _rebuild(jaxpr, eqns, env)


def transpose_dot_outputs(jaxpr: Jaxpr) -> Jaxpr:
    """``transpose(dot_general(a, b))`` that swaps the lhs-free and rhs-free output blocks is
    ``dot_general(b, a)`` with the operand roles exchanged: no transpose pass over the result
    (reverse mode produces these for weight gradients, ``dW = (x^T g)^T``).  Only applied when
    the transpose is the product's sole use, so no matmul is duplicated."""
    uses: dict[int, int] = {}
    for e in jaxpr.eqns:
        for x in e.inputs:
            if isinstance(x, Var):
                uses[id(x)] = uses.get(id(x), 0) + 1
    for x in jaxpr.outs:
        if isinstance(x, Var):
            uses[id(x)] = uses.get(id(x), 0) + 1
    producers = {id(v): e for e in jaxpr.eqns for v in e.out_binders}
    replaced: dict[int, Eqn] = {}
    for e in jaxpr.eqns:
        if e.primitive is not lax_shape.transpose_p:
            continue
        dot = _producer(e.inputs[0], producers, dot_general_p)
        if dot is None or uses.get(id(e.inputs[0])) != 1:
            continue
        (lc, rc), (lb, rb) = dot.params["dimension_numbers"]
        lhs, rhs = dot.inputs
        nb = len(lb)
        nl = lhs.aval.ndim - len(lc) - nb
        nr = rhs.aval.ndim - len(rc) - nb
        swapped = (tuple(range(nb)) + tuple(nb + nl + i for i in range(nr))
                   + tuple(nb + i for i in range(nl)))
        if tuple(e.params["permutation"]) != swapped:
            continue
        params = {**dot.params, "dimension_numbers": ((tuple(rc), tuple(lc)),
                                                       (tuple(rb), tuple(lb)))}
        replaced[id(e)] = Eqn(dot.primitive, [rhs, lhs], params, list(e.out_binders))
    if not replaced:
        return jaxpr
    eqns = [replaced.get(id(e), e) for e in jaxpr.eqns]
    return Jaxpr(list(jaxpr.in_binders), eqns, list(jaxpr.outs))


# ---------------------------------------------------------------------------------------------
# The pipeline
# ---------------------------------------------------------------------------------------------

def optimize(jaxpr: Jaxpr, consts=None, max_rounds: int = 4) -> Jaxpr:
    """``inline_jit -> simplify -> pads_to_concatenate -> transpose_dot_outputs ->
    fold_constants -> cse -> dce``,
    repeated until the program
    stops changing (at most ``max_rounds`` times).  ``consts`` designates constant in_binders
    and their values, as in ``fold_constants``.

    >>> closed = fnx.make_jaxpr(lambda x: fnx.lax.neg(fnx.lax.neg(x)) * 1.0)(fnp.ones(3))
    >>> optimize(closed.jaxpr)          # { lambda ; a:f32[3]. let  in (a,) }
    """
    for _ in range(max_rounds):
        before = _fingerprint(jaxpr)
        jaxpr = inline_jit(jaxpr)
        jaxpr = simplify(jaxpr)
        jaxpr = pads_to_concatenate(jaxpr)
        jaxpr = transpose_dot_outputs(jaxpr)
        jaxpr = fold_constants(jaxpr, consts)
        jaxpr = cse(jaxpr)
        jaxpr = dce(jaxpr)
        if _fingerprint(jaxpr) == before:
            break
    # fnx.checkpoint: barriers go only after the last CSE round (see the function)
    return strip_optimization_barriers(jaxpr)


# ---------------------------------------------------------------------------------------------
# strip_optimization_barriers (fnx.checkpoint / remat)
# ---------------------------------------------------------------------------------------------

# Identity primitives that only matter before compilation: optimization barriers, and the
# tags of fnx.checkpoint_name (``simplify`` drops top-level tags; these also go from bodies).
_IDENTITY_MARKERS = frozenset({optimization_barrier_p, name_p})


def strip_optimization_barriers(jaxpr: Jaxpr) -> Jaxpr:
    """Replace every ``optimization_barrier`` (and ``checkpoint_name`` tag) equation by its
    operands, also inside the jaxprs of loop bodies and branches.

    The reverse pass of ``fnx.checkpoint`` recomputes forward values from barrier outputs, so
    ``cse`` cannot merge the recomputation with the original forward pass (which would undo the
    rematerialization and keep every intermediate alive).  Once no CSE runs any more the
    barrier is a plain identity, and removing it costs no copy."""
    if not _has_barrier(jaxpr):
        return jaxpr
    env: dict = {}
    eqns = []
    for e in jaxpr.eqns:
        if e.primitive in _IDENTITY_MARKERS:
            env.update((id(v), _read(x, env)) for v, x in zip(e.out_binders, e.inputs))
            continue
        e = _copy_eqn(e, env)
        if any(_has_barrier(p) for p in param_jaxprs(e.params)):
            e = Eqn(e.primitive, e.inputs, {k: _strip_param(v) for k, v in e.params.items()},
                    e.out_binders)
        eqns.append(e)
    return _rebuild(jaxpr, eqns, env)


def param_jaxprs(params: dict):
    """The jaxprs held in an equation's params (the bodies of a loop, a cond's branches)."""
    for v in params.values():
        if isinstance(v, Jaxpr):
            yield v
        elif isinstance(v, tuple):
            yield from (x for x in v if isinstance(x, Jaxpr))


def _strip_param(v):
    if isinstance(v, Jaxpr):
        return strip_optimization_barriers(v)
    if isinstance(v, tuple) and any(isinstance(x, Jaxpr) for x in v):
        return tuple(strip_optimization_barriers(x) if isinstance(x, Jaxpr) else x for x in v)
    return v


def _has_barrier(jaxpr: Jaxpr) -> bool:
    return any(e.primitive in _IDENTITY_MARKERS
               or any(_has_barrier(p) for p in param_jaxprs(e.params)) for e in jaxpr.eqns)


# ---------------------------------------------------------------------------------------------
# Lowering for code generation
# ---------------------------------------------------------------------------------------------

def lower_for_codegen(jaxpr: Jaxpr) -> Jaxpr:
    """The optimized ``jaxpr`` rewritten for the code generators (the stage between ``optimize``
    and ``schedule``): matmul + bias (+ relu) chains as one ``dot_general_epilogue`` kernel
    call (epilogue.py), concatenates of many operands as trees of narrower ones.

    Not part of ``optimize``: the epilogue primitive exists only for code generation (it has
    no eager implementation, so the reference backend, which interprets the optimized jaxpr,
    could not run it), and the optimized jaxpr is what ``lower().as_text()`` shows."""
    return split_wide_concatenates(fuse_matmul_epilogues(jaxpr))


# The most operands of one fused concatenate: each element of a concatenate selects among
# all its operands, so a stack of thousands of values (``stack([f(i) for i in range(n)])``)
# would be one loop body of n values and an n-deep conditional expression.
MAX_CONCAT_OPERANDS = 16


def split_wide_concatenates(jaxpr: Jaxpr) -> Jaxpr:
    """A concatenate of more than MAX_CONCAT_OPERANDS operands as a tree of concatenates of at
    most that many (the same values: concatenation is associative)."""
    if not any(_is_wide_concatenate(e) for e in jaxpr.eqns):
        return jaxpr
    eqns = []
    for e in jaxpr.eqns:
        if not _is_wide_concatenate(e):
            eqns.append(e)
            continue
        dim, out = e.params["dimension"], e.out_binders[0]
        parts = list(e.inputs)
        while len(parts) > MAX_CONCAT_OPERANDS:
            grouped = []
            for k in range(0, len(parts), MAX_CONCAT_OPERANDS):
                group = parts[k:k + MAX_CONCAT_OPERANDS]
                if len(group) == 1:
                    grouped.append(group[0])
                    continue
                sizes = list(out.aval.shape)
                sizes[dim] = sum(x.aval.shape[dim] for x in group)
                v = Var(out.aval.update(shape=tuple(sizes)))
                eqns.append(Eqn(e.primitive, group, dict(e.params), [v]))
                grouped.append(v)
            parts = grouped
        eqns.append(Eqn(e.primitive, parts, dict(e.params), list(e.out_binders)))
    return Jaxpr(list(jaxpr.in_binders), eqns, list(jaxpr.outs))


def _is_wide_concatenate(e: Eqn) -> bool:
    return e.primitive is lax_shape.concatenate_p and len(e.inputs) > MAX_CONCAT_OPERANDS
