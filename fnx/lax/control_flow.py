"""Structured control flow as higher-order primitives: cond / switch, while_loop, fori_loop,
scan and map (the jax.lax API).

Each construct traces its Python functions once into jaxprs and binds one primitive holding
them, so every transformation sees the loop or branch as a whole:

* ``cond_p``      operands ``(index, *ops)``; ``branches``: one jaxpr per branch over ``ops``;
* ``while_p``     operands ``(*cond_consts, *body_consts, *carry)``; ``cond_jaxpr``, ``body_jaxpr``;
* ``scan_p``      operands ``(*consts, *carry, *xs)``; ``jaxpr``: ``consts + carry + x -> carry + y``.

Closed-over arrays become leading constant operands (``trace_open``).  Rules per primitive:
abstract eval; eager evaluation; JVP; partial evaluation and transposition (reverse mode: cond
and scan fully; while_loop is forward-mode only, as in JAX); batching (a batched predicate turns
a cond into a select of both branches, and a while_loop into one that runs until every lane is
done).
"""
from __future__ import annotations

import operator

import numpy as np

from .. import dtypes
from .. import tree as tree_util
from ..core import (Array, Fusion, Jaxpr, Primitive, Var, bind, eval_jaxpr, get_aval,
                    raise_to_shaped)
from ..errors import AutodiffError, InvalidArgumentError, ShapeError
from ..interpreters import ad, batching, partial_eval
from ..interpreters.partial_eval import partial_eval_jaxpr, split_by_tracing, trace_open
from ..interpreters.partial_eval import dce_jaxpr, stage_eqn
from ._scan_sums import finish_iteration_sum, plan_iteration_sums
from ._control_util import (WEAK_CARRY_NOTE, _avals, _batch_jaxpr, _batched_outputs,
                            _broadcast_lanes, _cast_like, _check_same_types, _jvp_jaxpr,
                            _leaf_names, _one_arg, _operand, _promote_weak_carry, _stage_whole,
                            _strong, _trace_fn, _trace_loop_body, _transpose_jaxpr, _type_str,
                            _with_inputs)


# =============================================================================================
# cond / switch
# =============================================================================================

cond_p = Primitive("cond", multiple_results=True, fusion=Fusion.CONTROL)


@cond_p.def_abstract_eval
def _cond_abstract_eval(index, *ops, branches):
    if index.shape != () or index.dtype != dtypes.int32:
        raise TypeError(f"cond: the branch index must be an int32 scalar, got {_type_str(index)}")
    return [v.aval for v in branches[0].outs]


def _cond_impl(index, *ops, branches):
    i = int(np.clip(int(index._value), 0, len(branches) - 1))
    return eval_jaxpr(branches[i], list(ops))


cond_p.def_impl(_cond_impl)
split_by_tracing.add(cond_p)   # partially evaluated by its own rule (see partial_eval_jaxpr)


def _join_branches(traced):
    """Branches traced separately each close over their own constants: give every branch the
    same operand list ``all consts + args`` (a branch ignores the others' constants)."""
    all_consts, n_before = [], []
    for jaxpr, consts in traced:
        n_before.append(len(all_consts))
        all_consts += consts
    branches = []
    for (jaxpr, consts), before in zip(traced, n_before):
        dummies_before = [Var(raise_to_shaped(get_aval(c))) for c in all_consts[:before]]
        dummies_after = [Var(raise_to_shaped(get_aval(c)))
                         for c in all_consts[before + len(consts):]]
        k = len(consts)
        branches.append(_with_inputs(jaxpr, dummies_before + jaxpr.in_binders[:k]
                                     + dummies_after + jaxpr.in_binders[k:]))
    return tuple(branches), all_consts


def switch(index, branches, *operands):
    """``branches[index](*operands)`` with ``index`` clamped into range (lax.switch).  Every
    branch must return the same types; all are traced, one runs."""
    return _switch(index, branches, operands, "switch", None)


def _switch(index, branches, operands, op: str, branch_names):
    """switch called as ``op`` (for errors), its branches named ``branch_names[i]`` (default:
    ``branch i``)."""
    branches = list(branches)
    if branch_names is None:
        branch_names = [f"branch {i}" for i in range(len(branches))]
    if not branches:
        raise InvalidArgumentError("switch: needs at least one branch")
    for b in branches:
        if not callable(b):
            raise TypeError(f"switch: branches must be callables, got {type(b).__name__}")
    index = _operand(index)
    if index.shape != ():
        raise TypeError(f"switch: the index must be a scalar, got shape {tuple(index.shape)}")
    if not dtypes.is_integer(index.dtype) and index.dtype != dtypes.bool_:
        raise TypeError(f"switch: the index must be an integer, got {index.dtype}")
    from .elementwise import clamp, convert_element_type
    index = clamp(0, convert_element_type(index, dtypes.int32), len(branches) - 1)
    leaves, in_tree = tree_util.flatten(tuple(operands))
    leaves = [_operand(x) for x in leaves]
    avals = _avals(leaves)
    traced = [_trace_fn(b, in_tree, avals, f"{op} {branch_names[i]}")
              for i, b in enumerate(branches)]
    out_trees = [t[2] for t in traced]
    for i, t in enumerate(out_trees[1:], 1):
        if t != out_trees[0]:
            raise TypeError(f"{op}: {branch_names[0]} returns {out_trees[0]} but "
                            f"{branch_names[i]} returns {t}; every branch must return the "
                            "same structure")
    names = _leaf_names(out_trees[0], "output")
    outs0 = [v.aval for v in traced[0][0].outs]
    for i, (jaxpr, _, _) in enumerate(traced[1:], 1):
        _check_same_types(f"{op}: the branches' outputs must have identical types", names,
                          outs0, [v.aval for v in jaxpr.outs], branch_names[0],
                          branch_names[i])
    if any(len({jx.outs[k].aval.weak_type for jx, _, _ in traced}) > 1
           for k in range(len(outs0))):
        # mixed weak types: every branch returns the strong type (as JAX does)
        def strong(f):
            return lambda *a: tree_util.map(
                lambda x: convert_element_type(x, _operand(x).dtype, weak_type=False), f(*a))
        traced = [_trace_fn(strong(b), in_tree, avals, f"{op} {branch_names[i]}")
                  for i, b in enumerate(branches)]
    jaxprs, consts = _join_branches([(j, c) for j, c, _ in traced])
    outs = cond_p.bind(index, *consts, *leaves, branches=jaxprs)
    return tree_util.unflatten(out_trees[0], outs)


def cond(pred, true_fun, false_fun, *operands):
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)`` (lax.cond).  Both
    branches are traced and must return the same types; under vmap with a batched ``pred``
    both run and the results are selected."""
    pred = _operand(pred)
    if pred.shape != ():
        raise TypeError(f"cond: the predicate must be a scalar, got shape {tuple(pred.shape)} "
                        "(use fnx.numpy.where for elementwise selection)")
    if pred.dtype != dtypes.bool_ and not dtypes.is_integer(pred.dtype):
        raise TypeError(f"cond: the predicate must be a bool (or integer) scalar, got "
                        f"{pred.dtype}")
    from .elementwise import convert_element_type, ne
    index = convert_element_type(ne(pred, 0) if pred.dtype != dtypes.bool_ else pred,
                                 dtypes.int32)
    return _switch(index, [false_fun, true_fun], operands, "cond", ["false_fun", "true_fun"])


# -- cond: JVP ----------------------------------------------------------------------------------

def _cond_jvp_rule(primals, tangents, *, branches):
    index, *ops = primals
    nonzero = [not isinstance(t, ad.Zero) for t in tangents[1:]]
    traced = [_jvp_jaxpr(b, nonzero) for b in branches]
    jaxprs, consts = _join_branches(traced)
    nz_t = [t for t in tangents[1:] if not isinstance(t, ad.Zero)]
    outs = cond_p.bind(index, *consts, *ops, *nz_t, branches=jaxprs)
    n = len(branches[0].outs)
    return outs[:n], outs[n:]


# -- cond: partial evaluation and transposition ---------------------------------------------

def _cond_partial_eval_rule(trace, tracers, *, branches):
    index, *ops = tracers
    if not index.pval.is_known:
        # a branch index that is not known yet: the whole cond is staged
        return _stage_whole(trace, cond_p, tracers, dict(branches=branches))
    unknowns = [not t.pval.is_known for t in ops]
    splits = [partial_eval_jaxpr(b, unknowns) for b in branches]
    out_uk = [any(s[2][k] for s in splits) for k in range(len(branches[0].outs))]
    splits = [partial_eval_jaxpr(b, unknowns, instantiate=out_uk) for b in branches]
    # residuals differ per branch: every known branch returns all of them (zeros for others')
    res_avals = [v.aval for s in splits for v in s[0].outs[len(s[0].outs) - s[3]:]]
    known_branches, unknown_branches, start = [], [], 0
    for known, unknown, _, n_res in splits:
        n_known_out = len(known.outs) - n_res
        known_branches.append(_pad_residuals(known, n_known_out, n_res, start, res_avals))
        unknown_branches.append(_widen_residuals(unknown, n_res, start, res_avals))
        start += n_res
    known_vals = [t.pval.const for t, u in zip(ops, unknowns) if not u]
    idx = index.pval.const
    k_outs = cond_p.bind(idx, *known_vals, branches=tuple(known_branches))
    n_known_out = len(k_outs) - len(res_avals)
    known_outs, residuals = k_outs[:n_known_out], k_outs[n_known_out:]
    staged_in = ([trace.instantiate_const(trace.lift(idx))]
                 + [trace.instantiate_const(trace.lift(r)) for r in residuals]
                 + [t for t, u in zip(ops, unknowns) if u])
    outs_u = stage_eqn(trace, cond_p, staged_in, dict(branches=tuple(unknown_branches)),
                        [v.aval for v, u in zip(branches[0].outs, out_uk) if u])
    k_it, u_it = iter(known_outs), iter(outs_u)
    return [next(u_it) if u else trace.lift(next(k_it)) for u in out_uk]


def _pad_residuals(known: Jaxpr, n_out: int, n_res: int, start: int, res_avals) -> Jaxpr:
    """``known`` returning the full residual list: its own at ``start``, zeros elsewhere."""
    own = known.outs[n_out:]
    zeros = [_zeros_var_eqn(a) for a in res_avals]
    eqns = list(known.eqns)
    outs = list(known.outs[:n_out])
    for k, a in enumerate(res_avals):
        if start <= k < start + n_res:
            outs.append(own[k - start])
        else:
            var, eqn = zeros[k]
            eqns.append(eqn)
            outs.append(var)
    return Jaxpr(known.in_binders, eqns, outs)


def _zeros_var_eqn(aval):
    from ..core import Eqn, Literal
    from .shape import broadcast_in_dim_p
    var = Var(aval.strip_weak_type())
    zero = Literal(Array(np.zeros((), aval.dtype)))
    return var, Eqn(broadcast_in_dim_p, [zero],
                    dict(shape=tuple(aval.shape), broadcast_dimensions=()), [var])


def _widen_residuals(unknown: Jaxpr, n_res: int, start: int, res_avals) -> Jaxpr:
    """``unknown`` taking the full residual list (using only its own, at ``start``)."""
    own, rest = unknown.in_binders[:n_res], unknown.in_binders[n_res:]
    binders = [own[k - start] if start <= k < start + n_res else Var(a.strip_weak_type())
               for k, a in enumerate(res_avals)]
    return _with_inputs(unknown, binders + rest)


def _cond_transpose_rule(cts, index, *ops, branches):
    if ad.is_undefined(index):
        raise AutodiffError("cond: cannot transpose with respect to the branch index")
    linear = [ad.is_undefined(x) for x in ops]
    ct_avals = [_strong(v.aval) for v in branches[0].outs]
    cts = [ad.instantiate_zeros(c) if isinstance(c, ad.Zero) else c for c in cts]
    traced = [_transpose_jaxpr(b, linear, ct_avals) for b in branches]
    jaxprs, consts = _join_branches(traced)
    defined = [x for x, lin in zip(ops, linear) if not lin]
    outs = iter(cond_p.bind(index, *consts, *defined, *cts, branches=jaxprs))
    return [None] + [next(outs) if lin else None for lin in linear]


# -- cond: batching -------------------------------------------------------------------------

def _cond_batching_rule(axis_size, args, dims, *, branches):
    index, *ops = args
    idx_dim, *op_dims = dims
    if idx_dim is None:
        # an output is batched if it is in any branch; the others stay unbatched
        out_b = [any(flags) for flags in zip(*[_batched_outputs(b, op_dims, axis_size)
                                               for b in branches])]
        out_dims = [0 if b else None for b in out_b]
        traced = [_batch_jaxpr(b, op_dims, axis_size, lambda n: out_dims) for b in branches]
        jaxprs, consts = _join_branches(traced)
        outs = cond_p.bind(index, *consts, *ops, branches=jaxprs)
        return outs, out_dims
    # a batched predicate: run every branch on the whole batch, select per example
    from .elementwise import select_n
    results = [batching.batch_flat(lambda *xs, b=b: eval_jaxpr(b, list(xs)), list(ops),
                                   list(op_dims), axis_size, lambda n: [0] * n)
               for b in branches]
    index = batching.moveaxis(index, idx_dim, 0)
    outs = []
    for k in range(len(branches[0].outs)):
        cases = [r[k] for r in results]
        which = _broadcast_lanes(index, cases[0])
        outs.append(select_n(which, *cases))
    return outs, [0] * len(outs)


ad.jvp_rules[cond_p] = _cond_jvp_rule
ad.transpose_rules[cond_p] = _cond_transpose_rule
partial_eval.partial_eval_rules[cond_p] = _cond_partial_eval_rule
batching.batching_rules[cond_p] = _cond_batching_rule


# =============================================================================================
# while_loop
# =============================================================================================

while_p = Primitive("while", multiple_results=True, fusion=Fusion.CONTROL)


@while_p.def_abstract_eval
def _while_abstract_eval(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    return [v.aval for v in body_jaxpr.outs]


def _while_impl(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cconsts = list(args[:cond_nconsts])
    bconsts = list(args[cond_nconsts:cond_nconsts + body_nconsts])
    carry = list(args[cond_nconsts + body_nconsts:])
    while bool(eval_jaxpr(cond_jaxpr, cconsts + carry)[0]._value):
        carry = eval_jaxpr(body_jaxpr, bconsts + carry)
    return carry


while_p.def_impl(_while_impl)
split_by_tracing.add(while_p)


def while_loop(cond_fun, body_fun, init_val):
    """``while cond_fun(val): val = body_fun(val)`` as one primitive (lax.while_loop).
    Forward-mode differentiable; for reverse mode use ``scan`` or ``fori_loop`` with a static
    trip count.  ``body_fun`` must return the carry's types (a weak-typed Python scalar in
    ``init_val`` is first promoted with what the body returns for it, as in JAX)."""
    return _while_loop(cond_fun, body_fun, init_val, "while_loop", None)


def _while_loop(cond_fun, body_fun, init_val, op: str, carry_names):
    """while_loop called as ``op`` (the function the user called, for errors), with the carry's
    leaves named by ``carry_names(tree)`` (default: ``carry[path]``)."""
    leaves, tree = tree_util.flatten(init_val)
    leaves = [_operand(x) for x in leaves]
    names = (carry_names or (lambda t: _leaf_names(t, "carry")))(tree)
    body_jaxpr, body_consts, avals = _trace_loop_body(lambda c: body_fun(c), tree,
                                                      _avals(leaves), "body_fun", op, names)
    leaves = [_cast_like(x, a) for x, a in zip(leaves, avals)]
    cond_jaxpr, cond_consts, cond_tree = _trace_fn(lambda c: cond_fun(c), _one_arg(tree),
                                                   avals, "while_loop cond_fun")
    outs = cond_jaxpr.outs
    if cond_tree.num_leaves != 1 or outs[0].aval.shape != () or \
            outs[0].aval.dtype != dtypes.bool_:
        got = ", ".join(_type_str(v.aval) for v in outs)
        raise TypeError(f"{op}: cond_fun must return a bool scalar, got {got}")
    result = while_p.bind(*cond_consts, *body_consts, *leaves, cond_jaxpr=cond_jaxpr,
                          body_jaxpr=body_jaxpr, cond_nconsts=len(cond_consts),
                          body_nconsts=len(body_consts))
    return tree_util.unflatten(tree, result)


def _while_jvp_rule(primals, tangents, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    nc, nb = cond_nconsts, body_nconsts
    carry_p = primals[nc + nb:]
    bconst_t = tangents[nc:nc + nb]
    carry_t = tangents[nc + nb:]
    # carry tangents: every float carry gets one (its tangent may become non-zero later)
    carry_nz = [dtypes.is_inexact(get_aval(c).dtype) for c in carry_p]
    bconst_nz = [not isinstance(t, ad.Zero) for t in bconst_t]
    body_jvp, body_consts = _jvp_jaxpr(body_jaxpr, bconst_nz + carry_nz, carry_nz)
    n_carry = len(carry_p)
    # reorder the traced jvp body to (consts, bconsts, bconst tangents, carry, carry tangents)
    b_in = body_jvp.in_binders
    k = len(body_consts)
    n_bt = sum(bconst_nz)
    bc = b_in[k:k + nb]
    cr = b_in[k + nb:k + nb + n_carry]
    bt = b_in[k + nb + n_carry:k + nb + n_carry + n_bt]
    ct = b_in[k + nb + n_carry + n_bt:]
    body_new = Jaxpr(b_in[:k] + bc + bt + cr + ct, body_jvp.eqns, body_jvp.outs)
    # the cond ignores the tangents
    c_in = list(cond_jaxpr.in_binders) + [Var(_strong(get_aval(c)))
                                          for c, nz in zip(carry_p, carry_nz) if nz]
    cond_new = Jaxpr(c_in, cond_jaxpr.eqns, cond_jaxpr.outs)
    t_init = [ad.instantiate_zeros(t) if isinstance(t, ad.Zero) else t
              for t, nz in zip(carry_t, carry_nz) if nz]
    nz_bt = [t for t, nz in zip(bconst_t, bconst_nz) if nz]
    outs = while_p.bind(*primals[:nc], *body_consts, *primals[nc:nc + nb], *nz_bt, *carry_p,
                        *t_init, cond_jaxpr=cond_new, body_jaxpr=body_new, cond_nconsts=nc,
                        body_nconsts=k + nb + n_bt)
    p_out = outs[:n_carry]
    t_it = iter(outs[n_carry:])
    t_out = [next(t_it) if nz else ad.Zero.from_value(p) for p, nz in zip(p_out, carry_nz)]
    return p_out, t_out


def _while_partial_eval_rule(trace, tracers, **params):
    if all(t.pval.is_known for t in tracers):
        return while_p.bind(*[t.pval.const for t in tracers], **params)
    raise AutodiffError(
        "Reverse-mode differentiation does not work for lax.while_loop (its trip count is only "
        "known at run time, so the residuals cannot be stored). Use lax.scan, or lax.fori_loop "
        "with a trip count that is a Python int, which lowers to scan. Forward mode "
        "(fnx.jvp, fnx.jacfwd) works.")


def _while_batching_rule(axis_size, args, dims, *, cond_jaxpr, body_jaxpr, cond_nconsts,
                         body_nconsts):
    nc, nb = cond_nconsts, body_nconsts
    cc_dims, bc_dims = list(dims[:nc]), list(dims[nc:nc + nb])
    carry_dims = list(dims[nc + nb:])
    carry_b = [d is not None for d in carry_dims]
    # which carries end up batched: iterate the body's batching to a fixed point
    while True:
        out_b = _batched_outputs(body_jaxpr, bc_dims + [0 if b else None for b in carry_b],
                                 axis_size)
        new = [a or b for a, b in zip(carry_b, out_b)]
        if new == carry_b:
            break
        carry_b = new
    pred_b = _batched_outputs(cond_jaxpr, cc_dims + [0 if b else None for b in carry_b],
                              axis_size)[0]
    if pred_b:
        carry_b = [True] * len(carry_b)   # lanes finish at different times: all carries batch
    cdims = [0 if b else None for b in carry_b]
    carry = [batching.move_to(x, d, axis_size, 0) if b else x
             for x, d, b in zip(args[nc + nb:], carry_dims, carry_b)]
    if not pred_b:
        body_b, body_consts = _batch_jaxpr(body_jaxpr, bc_dims + cdims, axis_size,
                                           lambda n: cdims)
        cond_b, cond_consts = _batch_jaxpr(cond_jaxpr, cc_dims + cdims, axis_size,
                                           lambda n: [None])
        outs = while_p.bind(*cond_consts, *args[:nc], *body_consts, *args[nc:nc + nb], *carry,
                            cond_jaxpr=cond_b, body_jaxpr=body_b,
                            cond_nconsts=len(cond_consts) + nc,
                            body_nconsts=len(body_consts) + nb)
        return outs, cdims
    return _while_batched_predicate(axis_size, args, dims, carry, cond_jaxpr, body_jaxpr, nc,
                                    nb), [0] * len(carry)


def _while_batched_predicate(axis_size, args, dims, carry, cond_jaxpr, body_jaxpr, nc, nb):
    """Run while any lane's predicate holds; lanes that are done keep their carry."""
    cc = list(args[:nc])
    bc = list(args[nc:nc + nb])
    cc_dims, bc_dims = list(dims[:nc]), list(dims[nc:nc + nb])
    n = len(carry)

    def lanes(cconsts, c):
        return batching.batch_flat(lambda *xs: eval_jaxpr(cond_jaxpr, list(xs)),
                                   list(cconsts) + list(c), cc_dims + [0] * n, axis_size,
                                   lambda k: [0])[0]

    def cond_fun(state):
        from .reduction import reduce_or
        return reduce_or(lanes(cc, state), (0,))

    def body_fun(state):
        from .elementwise import select
        go = lanes(cc, state)
        new = batching.batch_flat(lambda *xs: eval_jaxpr(body_jaxpr, list(xs)),
                                  bc + list(state), bc_dims + [0] * n, axis_size,
                                  lambda k: [0] * k)
        return [select(_broadcast_lanes(go, x), y, x) for x, y in zip(state, new)]

    return while_loop(cond_fun, body_fun, list(carry))


ad.jvp_rules[while_p] = _while_jvp_rule
partial_eval.partial_eval_rules[while_p] = _while_partial_eval_rule
batching.batching_rules[while_p] = _while_batching_rule


# =============================================================================================
# scan
# =============================================================================================

scan_p = Primitive("scan", multiple_results=True, fusion=Fusion.CONTROL)


@scan_p.def_abstract_eval
def _scan_abstract_eval(*args, jaxpr, length, reverse, num_consts, num_carry, unroll):
    outs = [v.aval for v in jaxpr.outs]
    carry, ys = outs[:num_carry], outs[num_carry:]
    return carry + [a.update(shape=(length,) + tuple(a.shape)) for a in ys]


def _scan_impl(*args, jaxpr, length, reverse, num_consts, num_carry, unroll):
    consts = list(args[:num_consts])
    carry = list(args[num_consts:num_consts + num_carry])
    xs = args[num_consts + num_carry:]
    y_avals = [v.aval for v in jaxpr.outs[num_carry:]]
    ys = [np.empty((length,) + tuple(a.shape), a.dtype) for a in y_avals]
    xs_np = [x._value for x in xs]
    for i in range(length):
        t = length - 1 - i if reverse else i
        outs = eval_jaxpr(jaxpr, consts + carry + [Array(x[t, ...]) for x in xs_np])
        carry = outs[:num_carry]
        for buf, y in zip(ys, outs[num_carry:]):
            buf[t] = y._value
    return carry + [Array(y, a.weak_type) for y, a in zip(ys, y_avals)]


scan_p.def_impl(_scan_impl)
split_by_tracing.add(scan_p)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns the final carry and
    the stacked ys (lax.scan).  ``xs`` may be None with ``length`` given.  ``f`` must return
    the carry's types (a weak-typed Python scalar in ``init`` is first promoted with what
    ``f`` returns for it, as in JAX)."""
    return _scan(f, init, xs, length, reverse, unroll, "scan", None)


def _scan(f, init, xs, length, reverse, unroll, op: str, carry_names):
    """scan called as ``op`` (for errors), with the carry's leaves named by
    ``carry_names(tree)`` (default: ``carry[path]``)."""
    init_leaves, carry_tree = tree_util.flatten(init)
    init_leaves = [_operand(x) for x in init_leaves]
    xs_leaves, xs_tree = tree_util.flatten(xs)
    xs_leaves = [_operand(x) for x in xs_leaves]
    lengths = {int(x.shape[0]) if x.ndim else None for x in xs_leaves}
    if None in lengths:
        raise ShapeError("scan: every leaf of xs needs a leading axis to scan over (got a "
                         "scalar)")
    if length is not None:
        length = operator.index(length)
        lengths.add(length)
    if len(lengths) != 1:
        sizes = ", ".join(f"{tuple(x.shape)}" for x in xs_leaves)
        raise ShapeError(f"scan: the leading axes of xs ({sizes}) and length={length} must "
                         "all agree" if xs_leaves else "scan: pass xs or length")
    length = lengths.pop()
    x_avals = [a.update(shape=tuple(a.shape[1:])) for a in _avals(xs_leaves)]
    carry_avals = _avals(init_leaves)
    in_tree = tree_util.treedef_tuple([carry_tree, xs_tree])

    def traced(carry_avals):
        jaxpr, consts, out_tree = _trace_fn(f, in_tree, carry_avals + x_avals, "scan body f")
        if tree_util.treedef_is_leaf(out_tree) or len(out_tree.children()) != 2:
            raise TypeError(f"scan: f must return a pair (carry, y), got {out_tree}")
        return jaxpr, consts, out_tree

    jaxpr, consts, out_tree = traced(carry_avals)
    c_tree, y_tree = out_tree.children()
    if c_tree != carry_tree:
        raise TypeError(f"scan: f must return the carry with the structure of init: got "
                        f"{c_tree}, expected {carry_tree}")
    out_avals = [v.aval for v in jaxpr.outs[:len(init_leaves)]]
    promoted = _promote_weak_carry(carry_avals, out_avals)
    if promoted != carry_avals:
        carry_avals = promoted
        init_leaves = [_cast_like(x, a) for x, a in zip(init_leaves, carry_avals)]
        jaxpr, consts, out_tree = traced(carry_avals)
        c_tree, y_tree = out_tree.children()
        out_avals = [v.aval for v in jaxpr.outs[:len(init_leaves)]]
    names = (carry_names or (lambda t: _leaf_names(t, "carry")))(carry_tree)
    _check_same_types(f"{op}: the body's carry output and input must have identical types",
                      names, carry_avals, out_avals, "the initial value",
                      "the carry the body returns", WEAK_CARRY_NOTE)
    outs = scan_p.bind(*consts, *init_leaves, *xs_leaves, jaxpr=jaxpr, length=length,
                       reverse=bool(reverse), num_consts=len(consts),
                       num_carry=len(init_leaves), unroll=int(unroll))
    n = len(init_leaves)
    return tree_util.unflatten(carry_tree, outs[:n]), tree_util.unflatten(y_tree, outs[n:])


def _scan_groups(args, num_consts, num_carry):
    return (list(args[:num_consts]), list(args[num_consts:num_consts + num_carry]),
            list(args[num_consts + num_carry:]))


# -- scan: JVP ------------------------------------------------------------------------------

def _scan_jvp_rule(primals, tangents, *, jaxpr, length, reverse, num_consts, num_carry,
                   unroll):
    consts, carry, xs = _scan_groups(primals, num_consts, num_carry)
    ct, cat, xt = _scan_groups(tangents, num_consts, num_carry)
    const_nz = [not isinstance(t, ad.Zero) for t in ct]
    # every float carry gets a tangent (a zero one may become non-zero in later iterations)
    carry_nz = [dtypes.is_inexact(get_aval(c).dtype) for c in carry]
    x_nz = [not isinstance(t, ad.Zero) for t in xt]
    y_nz = [dtypes.is_inexact(v.aval.dtype) for v in jaxpr.outs[num_carry:]]
    jvp, jconsts = _jvp_jaxpr(jaxpr, const_nz + carry_nz + x_nz, carry_nz + y_nz)
    # traced inputs: jconsts, consts, carry, xs, const tangents, carry tangents, x tangents;
    # scan wants: consts group, carry group, xs group
    b = jvp.in_binders
    k, nc, ncar, nx = len(jconsts), num_consts, num_carry, len(xs)
    n_ct, n_cat, n_xt = sum(const_nz), sum(carry_nz), sum(x_nz)
    pos = k
    c_b, pos = b[pos:pos + nc], pos + nc
    car_b, pos = b[pos:pos + ncar], pos + ncar
    x_b, pos = b[pos:pos + nx], pos + nx
    ct_b, pos = b[pos:pos + n_ct], pos + n_ct
    cat_b, pos = b[pos:pos + n_cat], pos + n_cat
    xt_b = b[pos:]
    # outputs: carry, ys, carry tangents, y tangents -> carry + carry tangents, ys + y tangents
    o = jvp.outs
    n_y = len(jaxpr.outs) - num_carry
    n_yt = sum(y_nz)
    outs = (o[:ncar] + o[ncar + n_y:ncar + n_y + n_cat] + o[ncar:ncar + n_y]
            + o[ncar + n_y + n_cat:])
    body = Jaxpr(b[:k] + c_b + ct_b + car_b + cat_b + x_b + xt_b, jvp.eqns, outs)
    t_carry = [ad.instantiate_zeros(t) if isinstance(t, ad.Zero) else t
               for t, nz in zip(cat, carry_nz) if nz]
    res = scan_p.bind(*jconsts, *consts, *[t for t in ct if not isinstance(t, ad.Zero)],
                      *carry, *t_carry, *xs, *[t for t in xt if not isinstance(t, ad.Zero)],
                      jaxpr=body, length=length, reverse=reverse,
                      num_consts=k + nc + n_ct, num_carry=ncar + n_cat, unroll=unroll)
    carry_out = res[:ncar]
    carry_t_it = iter(res[ncar:ncar + n_cat])
    ys = res[ncar + n_cat:ncar + n_cat + n_y]
    y_t_it = iter(res[ncar + n_cat + n_y:])
    p_out = carry_out + ys
    t_out = ([next(carry_t_it) if nz else ad.Zero.from_value(p)
              for p, nz in zip(carry_out, carry_nz)]
             + [next(y_t_it) if nz else ad.Zero.from_value(p) for p, nz in zip(ys, y_nz)])
    return p_out, t_out


ad.jvp_rules[scan_p] = _scan_jvp_rule


# -- scan: partial evaluation (reverse mode's forward pass) -------------------------------------

def _scan_partial_eval_rule(trace, tracers, *, jaxpr, length, reverse, num_consts, num_carry,
                            unroll):
    """The known part runs now as a scan that also stacks the residuals its iterations
    produce; the unknown part is staged as a scan over those stacked residuals.  Residuals
    that are loop constants are passed as constants instead of being stacked."""
    n_y = len(jaxpr.outs) - num_carry
    known_in = [t.pval.is_known for t in tracers]
    const_uk = [not k for k in known_in[:num_consts]]
    carry_uk = [not k for k in known_in[num_consts:num_consts + num_carry]]
    xs_uk = [not k for k in known_in[num_consts + num_carry:]]
    while True:      # a carry that becomes unknown in the body is unknown from the start
        known, unknown, out_uk, n_res = partial_eval_jaxpr(
            jaxpr, const_uk + carry_uk + xs_uk, instantiate=carry_uk + [False] * n_y)
        new = [a or b for a, b in zip(carry_uk, out_uk[:num_carry])]
        if new == carry_uk:
            break
        carry_uk = new
    unknowns = const_uk + carry_uk + xs_uk
    residuals = known.outs[len(known.outs) - n_res:]
    const_pos = {id(v): j for j, v in enumerate(jaxpr.in_binders[:num_consts])}
    const_res = [r for r in residuals if id(r) in const_pos]
    stacked_res = [r for r in residuals if id(r) not in const_pos]

    # the known scan: known carries and ys, plus the stacked residuals as extra ys
    n_known_out = len(known.outs) - n_res
    known_body = Jaxpr(known.in_binders, known.eqns, known.outs[:n_known_out] + stacked_res)
    k_vals = [t.pval.const for t, u in zip(tracers, unknowns) if not u]
    n_kc = num_consts - sum(const_uk)
    n_kcar = num_carry - sum(carry_uk)
    k_outs = scan_p.bind(*k_vals, jaxpr=known_body, length=length, reverse=reverse,
                         num_consts=n_kc, num_carry=n_kcar, unroll=unroll)
    k_carry, rest = k_outs[:n_kcar], k_outs[n_kcar:]
    n_ky = n_known_out - n_kcar
    k_ys, res_vals = rest[:n_ky], rest[n_ky:]

    # the unknown scan: (const residuals, unknown consts | unknown carries | unknown xs, stacked)
    res_binders = unknown.in_binders[:n_res]
    by_id = {id(r): b for r, b in zip(residuals, res_binders)}
    u_ins = unknown.in_binders[n_res:]
    n_uc, n_ucar = sum(const_uk), sum(carry_uk)
    body = Jaxpr([by_id[id(r)] for r in const_res] + u_ins[:n_uc] + u_ins[n_uc:n_uc + n_ucar]
                 + u_ins[n_uc + n_ucar:] + [by_id[id(r)] for r in stacked_res],
                 unknown.eqns, unknown.outs)
    lift = lambda v: trace.instantiate_const(trace.lift(v))    # noqa: E731
    uk_tracers = [trace.instantiate_const(t) for t, u in zip(tracers, unknowns) if u]
    staged_in = ([lift(tracers[const_pos[id(r)]].pval.const) for r in const_res]
                 + uk_tracers + [lift(v) for v in res_vals])
    params = dict(jaxpr=body, length=length, reverse=reverse, num_consts=len(const_res) + n_uc,
                  num_carry=n_ucar, unroll=unroll)
    out_avals = scan_p.abstract_eval(*[t.aval for t in staged_in], **params)
    u_outs = stage_eqn(trace, scan_p, staged_in, params, out_avals)
    u_carry, u_ys = iter(u_outs[:n_ucar]), iter(u_outs[n_ucar:])
    kc_it, ky_it = iter(k_carry), iter(k_ys)
    carry_out = [next(u_carry) if u else trace.lift(next(kc_it)) for u in carry_uk]
    ys_out = [next(u_ys) if u else trace.lift(next(ky_it)) for u in out_uk[num_carry:]]
    return carry_out + ys_out


# -- scan: transposition (the backward pass: a scan in the other direction) --------------------

def _scan_transpose_rule(cts, *args, jaxpr, length, reverse, num_consts, num_carry, unroll):
    # The carries of a linear scan are linear (tangents); one may arrive as a known value
    # (a zero tangent instantiated by the JVP): it is still treated as linear, and its
    # cotangent is simply not returned.
    consts, carry, xs = _scan_groups(args, num_consts, num_carry)
    carry_defined = [not ad.is_undefined(c) for c in carry]
    lin_c = [ad.is_undefined(c) for c in consts]
    lin_x = [ad.is_undefined(x) for x in xs]
    n_y = len(jaxpr.outs) - num_carry
    ct_carry = [ad.instantiate_zeros(c) for c in cts[:num_carry]]
    ct_ys = [ad.instantiate_zeros(c) for c in cts[num_carry:]]
    out_avals = [_strong(v.aval) for v in jaxpr.outs]
    body_t, body_t_consts = _transpose_jaxpr(jaxpr, lin_c + [True] * num_carry + lin_x,
                                             out_avals)
    res_c = [c for c, lin in zip(consts, lin_c) if not lin]
    res_x = [x for x, lin in zip(xs, lin_x) if not lin]
    lin_c_avals = [_strong(c.aval) for c, lin in zip(consts, lin_c) if lin]
    n_rc, n_rx, n_lc = len(res_c), len(res_x), len(lin_c_avals)

    # cotangents of linear consts that are per-iteration products (weight gradients): summed
    # once after the loop over stacked operands instead of accumulated step by step
    n_bc = len(body_t_consts)
    ys_pos = {id(v): j for j, v in enumerate(body_t.outs[n_lc + num_carry:])}
    rx_pos = {id(v): j for j, v in enumerate(body_t.in_binders[n_bc + n_rc:n_bc + n_rc + n_rx])}
    plans = plan_iteration_sums(body_t, n_bc + n_rc, n_lc, length, set(ys_pos) | set(rx_pos))
    extra = list({id(v): v for p in plans if p for v in p.operands
                  if id(v) not in ys_pos and id(v) not in rx_pos}.values())
    kept = [j for j, p in enumerate(plans) if p is None]
    body_run = dce_jaxpr(Jaxpr(body_t.in_binders, body_t.eqns, body_t.outs + extra))
    n_ct_x = len(body_t.outs) - n_lc - num_carry

    def backward_step(*a):
        rc = list(a[:n_rc])
        ct_car = list(a[n_rc:n_rc + num_carry])
        acc = list(a[n_rc + num_carry:n_rc + num_carry + len(kept)])
        rest = a[n_rc + num_carry + len(kept):]
        rx, ct_y = list(rest[:n_rx]), list(rest[n_rx:])
        outs = eval_jaxpr(body_run, list(body_t_consts) + rc + rx + ct_car + ct_y)
        ct_lc, ct_carry_in = outs[:n_lc], outs[n_lc:n_lc + num_carry]
        ct_lx_extra = outs[n_lc + num_carry:]
        from .elementwise import add
        return ct_carry_in + [add(a_, ct_lc[j]) for a_, j in zip(acc, kept)] + ct_lx_extra

    step_avals = (_avals(res_c) + [_strong(a) for a in out_avals[:num_carry]]
                  + [lin_c_avals[j] for j in kept]
                  + [a.update(shape=tuple(a.shape[1:])) for a in _avals(res_x)]
                  + [a for a in out_avals[num_carry:]])
    step, step_consts = trace_open(backward_step, step_avals)
    acc0 = [ad.zeros_like_aval(lin_c_avals[j]) for j in kept]
    outs = scan_p.bind(*step_consts, *res_c, *ct_carry, *acc0, *res_x, *ct_ys, jaxpr=step,
                       length=length, reverse=not reverse,
                       num_consts=len(step_consts) + n_rc, num_carry=num_carry + len(kept),
                       unroll=unroll)
    n_k = len(kept)
    ct_init, ct_kept = outs[:num_carry], outs[num_carry:num_carry + n_k]
    ct_xs = outs[num_carry + n_k:num_carry + n_k + n_ct_x]
    stacked = {id(v): outs[num_carry + n_k + n_ct_x + j] for j, v in enumerate(extra)}

    def stacked_of(v):
        if id(v) in stacked:
            return stacked[id(v)]
        if id(v) in ys_pos:
            return ct_xs[ys_pos[id(v)]]
        return res_x[rx_pos[id(v)]]
    kept_it = iter(ct_kept)
    ct_consts = [next(kept_it) if p is None else
                 finish_iteration_sum(p, [stacked_of(v) for v in p.operands], lin_c_avals[j])
                 for j, p in enumerate(plans)]
    c_it, x_it = iter(ct_consts), iter(ct_xs)
    return ([next(c_it) if lin else None for lin in lin_c]
            + [None if known else ct for ct, known in zip(ct_init, carry_defined)]
            + [next(x_it) if lin else None for lin in lin_x])


# -- scan: batching -----------------------------------------------------------------------------

def _scan_batching_rule(axis_size, args, dims, *, jaxpr, length, reverse, num_consts,
                        num_carry, unroll):
    c_dims, car_dims, x_dims = _scan_groups(dims, num_consts, num_carry)
    carry_b = [d is not None for d in car_dims]
    # per-step inputs: an xs leaf batched at d (d != 0, time is axis 0) is batched at d - 1
    x_step_dims = [None if d is None else (d - 1 if d > 0 else 0) for d in x_dims]
    while True:
        out_b = _batched_outputs(jaxpr, c_dims + [0 if b else None for b in carry_b]
                                 + x_step_dims, axis_size)
        new = [a or b for a, b in zip(carry_b, out_b[:num_carry])]
        if new == carry_b:
            break
        carry_b = new
    consts, carry, xs = _scan_groups(args, num_consts, num_carry)
    carry = [batching.move_to(c, d, axis_size, 0) if b else c
             for c, d, b in zip(carry, car_dims, carry_b)]
    # xs: the batch axis goes right after time (axis 1), so x_t is batched at 0
    xs = [x if d is None else batching.moveaxis(x, d, 1) for x, d in zip(xs, x_dims)]
    step_dims = [0 if d is not None else None for d in x_dims]
    cdims = [0 if b else None for b in carry_b]
    y_dims = [0 if b else None for b in out_b[num_carry:]]
    body, bconsts = _batch_jaxpr(jaxpr, c_dims + cdims + step_dims, axis_size,
                                 lambda n: cdims + y_dims)
    outs = scan_p.bind(*bconsts, *consts, *carry, *xs, jaxpr=body, length=length,
                       reverse=reverse, num_consts=len(bconsts) + num_consts,
                       num_carry=num_carry, unroll=unroll)
    # a batched y_t is batched at 0, so the stacked ys are batched at 1 (time is axis 0)
    return outs, cdims + [None if d is None else 1 for d in y_dims]


partial_eval.partial_eval_rules[scan_p] = _scan_partial_eval_rule
ad.transpose_rules[scan_p] = _scan_transpose_rule
batching.batching_rules[scan_p] = _scan_batching_rule
