"""Helpers of fnx.lax.control_flow: tracing the user's functions into jaxprs, checking the
types they return, and the jaxpr-to-jaxpr transformations (JVP, batching, transposition) that
the rules of cond / while / scan apply to their bodies."""
from __future__ import annotations

from types import SimpleNamespace

from .. import dtypes
from .. import tree as tree_util
from ..core import Array, Jaxpr, ShapedArray, Tracer, asarray_concrete, eval_jaxpr, get_aval, \
    raise_to_shaped
from ..interpreters import ad, batching
from ..interpreters.partial_eval import trace_open
from ..interpreters.partial_eval import stage_eqn


def _operand(x):
    return x if isinstance(x, (Array, Tracer)) else asarray_concrete(x)


def _avals(leaves):
    return [raise_to_shaped(get_aval(x)) for x in leaves]


def _trace_fn(fun, in_tree, in_avals, name: str):
    """Trace ``fun`` (pytrees of ``in_tree``) at ``in_avals``: (jaxpr, consts, out_tree)."""
    out_tree_box = []

    def flat(*leaves):
        out = fun(*tree_util.unflatten(in_tree, list(leaves)))
        out_leaves, out_tree = tree_util.flatten(out)
        out_tree_box.append(out_tree)
        return [_operand(x) for x in out_leaves]

    jaxpr, consts = trace_open(flat, in_avals, name=name)
    return jaxpr, consts, out_tree_box[0]


def _one_arg(tree):
    """The tree of the argument tuple of a function of one pytree argument of ``tree``."""
    return tree_util.treedef_tuple([tree])


def _with_inputs(jaxpr: Jaxpr, in_binders) -> Jaxpr:
    return Jaxpr(list(in_binders), jaxpr.eqns, jaxpr.outs)


def _type_str(aval) -> str:
    return aval.str_short() + (" (weak)" if aval.weak_type else "")


# Appended to a carry-type error: JAX's weak-type rule, which decides which mismatches are errors.
WEAK_CARRY_NOTE = ("(a weak-typed initial value, e.g. a Python scalar, is first promoted with the "
                   "output's type as JAX does; a strongly typed one must match exactly)")


def _check_same_types(what: str, names, avals_a, avals_b, label_a: str, label_b: str,
                      note: str = ""):
    """``what`` is the error's opening (the op and its rule, e.g. "while_loop: body_fun output
    and input must have identical types"); ``names`` name each leaf in the user's pytree;
    ``note`` is added to a dtype mismatch."""
    for name, a, b in zip(names, avals_a, avals_b):
        if tuple(a.shape) != tuple(b.shape) or a.dtype != b.dtype:
            note = f" {note}" if note and a.dtype != b.dtype else ""
            raise TypeError(f"{what}: {name} has type {_type_str(a)} in {label_a} but "
                            f"{_type_str(b)} in {label_b}; they must agree (shape and dtype)"
                            + note)


def _leaf_names(tree, prefix: str):
    placeholder = tree_util.unflatten(tree, list(range(tree.num_leaves)))
    names = [""] * tree.num_leaves
    for path, k in tree_util.flatten_with_path(placeholder)[0]:
        names[k] = prefix + tree_util.keystr(path)
    return names


def _strong(aval: ShapedArray) -> ShapedArray:
    return aval.strip_weak_type()


def _jvp_jaxpr(jaxpr: Jaxpr, nonzero, out_tangents=None):
    """Trace the JVP of ``jaxpr``: inputs ``primals + tangents[nonzero]``, outputs
    ``primals_out + tangents_out[out_tangents]`` (instantiated; default: every output's).
    Returns (jaxpr, consts)."""
    avals = [v.aval for v in jaxpr.in_binders]
    t_avals = [_strong(a) for a, nz in zip(avals, nonzero) if nz]
    keep = out_tangents if out_tangents is not None else [True] * len(jaxpr.outs)

    def f(*args):
        n = len(avals)
        it = iter(args[n:])
        ts = [next(it) if nz else ad.Zero(_strong(a)) for a, nz in zip(avals, nonzero)]
        p_out, t_out = ad.jvp_flat(lambda *xs: eval_jaxpr(jaxpr, list(xs)), list(args[:n]), ts)
        return list(p_out) + [ad.instantiate_zeros(t) for t, k in zip(t_out, keep) if k]
    return trace_open(f, avals + t_avals)


def _batch_jaxpr(jaxpr: Jaxpr, dims, axis_size, out_dims_fn=None):
    """Trace ``jaxpr`` batched along ``dims``; every output batched at 0 (or per
    ``out_dims_fn``).  Returns (jaxpr, consts)."""
    avals = []
    for v, d in zip(jaxpr.in_binders, dims):
        shape = list(v.aval.shape)
        if d is not None:
            shape.insert(d, axis_size)
        avals.append(v.aval.update(shape=tuple(shape)))

    def f(*xs):
        return batching.batch_flat(lambda *ys: eval_jaxpr(jaxpr, list(ys)), list(xs), list(dims),
                                   axis_size, out_dims_fn or (lambda n: [0] * n))
    return trace_open(f, avals)


def _transpose_jaxpr(jaxpr: Jaxpr, linear, ct_avals):
    """Trace the transpose of ``jaxpr`` w.r.t. the inputs marked ``linear``: inputs
    ``non-linear inputs + output cotangents``, outputs the cotangents of the linear inputs
    (instantiated).  Returns (jaxpr, consts)."""
    nonlin_avals = [v.aval for v, lin in zip(jaxpr.in_binders, linear) if not lin]

    def f(*xs):
        it = iter(xs[:len(nonlin_avals)])
        args = [ad.UndefinedPrimal(v.aval) if lin else next(it)
                for v, lin in zip(jaxpr.in_binders, linear)]
        cts = list(xs[len(nonlin_avals):])
        outs = ad.backward_pass(jaxpr, args, cts)
        return [ad.instantiate_zeros(c) for c in outs]
    return trace_open(f, nonlin_avals + list(ct_avals))


def _stage_whole(trace, prim, tracers, params):
    tracers_in = [trace.instantiate_const(t) for t in tracers]
    out_avals = prim.abstract_eval(*[t.aval for t in tracers_in], **params)
    return stage_eqn(trace, prim, tracers_in, params, out_avals)


def _broadcast_lanes(lanes, like):
    """A per-example scalar ``(B,)`` broadcast over ``like`` (batched at 0)."""
    from .shape import broadcast_in_dim
    return broadcast_in_dim(lanes, tuple(like.shape), (0,))


def _trace_loop_body(body_fun, tree, init_avals, what: str, op: str, names):
    """Trace a loop body ``carry -> carry`` (``what`` names it in errors; ``op`` is the function
    the user called) and check it returns the carry's types (``names``: the carry's leaves as
    the user knows them).  A weak initial carry that the body changes is retraced at the
    promoted type (as JAX does)."""
    jaxpr, consts, out_tree = _trace_fn(body_fun, _one_arg(tree), init_avals, what)
    if out_tree != tree:
        raise TypeError(f"{op}: {what} must return the same structure as its input carry: got "
                        f"{out_tree}, expected {tree}")
    out_avals = [v.aval for v in jaxpr.outs]
    promoted = _promote_weak_carry(init_avals, out_avals)
    if promoted != init_avals:
        return _trace_loop_body(body_fun, tree, promoted, what, op, names)
    _check_same_types(f"{op}: {what} output and input must have identical types", names,
                      init_avals, out_avals, "the initial value", f"{what}'s output",
                      WEAK_CARRY_NOTE)
    return jaxpr, consts, init_avals


def _promote_weak_carry(init_avals, out_avals):
    """JAX's rule for a weak-typed initial carry (from a Python scalar) whose type the body
    changes: it takes ``result_type(init, output)``, e.g. ``fori_loop(0, n, lambda i, s: s +
    0.5, 0)`` carries a float32.  The promotion never narrows: a weak float init whose body
    returns an int32 stays a float32 (and the type check then fails) -- taking the body's
    int32 would silently truncate the initial value."""
    out = []
    for a, b in zip(init_avals, out_avals):
        if a.weak_type and tuple(a.shape) == tuple(b.shape) and (
                a.dtype != b.dtype or not b.weak_type):
            dtype, weak = dtypes.result_type(SimpleNamespace(aval=a), SimpleNamespace(aval=b),
                                             return_weak_type=True)
            out.append(a.update(dtype=dtype, weak_type=weak))
        else:
            out.append(a)
    return out


def _cast_like(x, aval):
    if x.weak_type != aval.weak_type or x.dtype != aval.dtype:
        from .elementwise import convert_element_type
        return convert_element_type(x, aval.dtype, weak_type=aval.weak_type)
    return x


def _batched_outputs(jaxpr, dims, axis_size) -> list[bool]:
    """Which outputs of ``jaxpr`` depend on the batch, given the inputs' batch dims."""
    avals = []
    for v, d in zip(jaxpr.in_binders, dims):
        shape = list(v.aval.shape)
        if d is not None:
            shape.insert(d, axis_size)
        avals.append(v.aval.update(shape=tuple(shape)))
    box = []

    def f(*xs):
        vals, ds = batching.batch_flat_keep_unbatched(
            lambda *ys: eval_jaxpr(jaxpr, list(ys)), list(xs), list(dims), axis_size)
        box.append(ds)
        return vals
    trace_open(f, avals)
    return [d is not None for d in box[0]]
