"""The public transformations over pytrees: jvp, linearize, vjp, grad, value_and_grad, jacfwd,
jacrev, hessian (signatures and semantics of JAX).  The machinery is in fnx.interpreters."""
from __future__ import annotations

import functools
import operator

import numpy as np

from . import dtypes
from . import tree as tree_util
from .core import Array, Tracer, asarray_concrete, get_aval, raise_to_shaped
from .interpreters.ad import (AutodiffError, UndefinedPrimal, Zero, backward_pass,
                              instantiate_zeros, is_differentiable_dtype, jvp_flat)
from .interpreters.partial_eval import PartialVal, partial_eval_flat


def _as_operand(x):
    return x if isinstance(x, (Array, Tracer)) else asarray_concrete(x)


def _flatten_fun(fun, in_tree, out_tree_box):
    """``fun`` over pytrees -> a function over flat leaf lists (records the output tree)."""
    def flat_fun(*leaves):
        out = fun(*tree_util.unflatten(in_tree, list(leaves)))
        out_leaves, out_tree = tree_util.flatten(out)
        out_tree_box.append(out_tree)
        return out_leaves
    return flat_fun


def _tangent_in(primal, tangent, what: str):
    """A user tangent checked against its primal (shape and dtype), or Zero for ints."""
    aval = get_aval(primal)
    if not is_differentiable_dtype(aval.dtype):
        return Zero(raise_to_shaped(aval))
    t = _as_operand(tangent)
    if tuple(t.shape) != tuple(aval.shape) or t.dtype != aval.dtype:
        raise AutodiffError(f"{what}: tangent {t.dtype}{list(t.shape)} does not match its "
                            f"primal {aval.dtype}{list(aval.shape)}")
    return t


# ---------------------------------------------------------------------------------------------
# Forward mode
# ---------------------------------------------------------------------------------------------

def jvp(fun, primals, tangents, has_aux: bool = False):
    """Forward-mode derivative: ``(fun(*primals), d fun(primals) . tangents)``.

    >>> fnx.jvp(fnp.sin, (0.5,), (1.0,))   # (sin(0.5), cos(0.5))
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise AutodiffError("jvp: primals and tangents must be tuples (one entry per argument)")
    if len(primals) != len(tangents):
        raise AutodiffError(f"jvp: got {len(primals)} primals but {len(tangents)} tangents")
    flat_p, in_tree = tree_util.flatten(tuple(primals))
    flat_t, t_tree = tree_util.flatten(tuple(tangents))
    if in_tree != t_tree:
        raise AutodiffError(f"jvp: primal and tangent structures differ: {in_tree} vs {t_tree}")
    flat_p = [_as_operand(p) for p in flat_p]
    flat_t = [_tangent_in(p, t, "jvp") for p, t in zip(flat_p, flat_t)]
    out_tree = []
    f, rebuild_aux = _aux_split(fun, has_aux)
    primals_out, tangents_out = jvp_flat(_flatten_fun(f, in_tree, out_tree), flat_p, flat_t)
    tangents_out = [instantiate_zeros(t) for t in tangents_out]
    out = tree_util.unflatten(out_tree[0], primals_out)
    tout = tree_util.unflatten(out_tree[0], tangents_out)
    if has_aux:
        (out, aux), (tout, _) = out, tout
        return out, tout, rebuild_aux(aux)
    return out, tout


def _aux_split(fun, has_aux):
    """With ``has_aux``: ``fun`` returning ``(out, aux)`` -> a function returning
    ``(out, array leaves of aux)`` and ``rebuild(array leaves) -> aux``.  Leaves of ``aux``
    that are not arrays (strings, Python numbers, None...) bypass the transformation and come
    back as they are (JAX's behaviour)."""
    if not has_aux:
        return fun, None
    box = {}

    def f(*args):
        out = fun(*args)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise AutodiffError("has_aux=True needs the function to return a pair (out, aux)")
        main, aux = out
        leaves, box["tree"] = tree_util.flatten(aux)
        box["mask"] = [isinstance(x, (Array, Tracer)) for x in leaves]
        box["static"] = [None if m else x for x, m in zip(leaves, box["mask"])]
        return main, [x for x, m in zip(leaves, box["mask"]) if m]

    def rebuild(array_leaves):
        it = iter(array_leaves)
        leaves = [next(it) if m else x for x, m in zip(box["static"], box["mask"])]
        return tree_util.unflatten(box["tree"], leaves)
    return f, rebuild


# ---------------------------------------------------------------------------------------------
# Reverse mode
# ---------------------------------------------------------------------------------------------

def _linearize_flat(flat_fun, flat_primals):
    """(primals_out, linear jaxpr, consts, which outputs are known-zero tangents)."""
    n = len(flat_primals)
    tangent_pvals = []
    for p in flat_primals:
        aval = raise_to_shaped(get_aval(p))
        aval = aval.strip_weak_type()
        # integer inputs get a known-zero tangent: nothing to stage for them
        tangent_pvals.append(PartialVal.unknown(aval) if is_differentiable_dtype(aval.dtype)
                             else PartialVal(aval, Zero(aval)))
    pvals_in = [PartialVal.known(p) for p in flat_primals] + tangent_pvals

    def fun_jvp(*args):
        primals, tangents = args[:n], args[n:]
        tangents = [t.pval.const if isinstance(t.pval.const, Zero) else t for t in tangents]
        p_out, t_out = jvp_flat(flat_fun, list(primals), list(tangents))
        return list(p_out) + [instantiate_zeros(t) for t in t_out]

    jaxpr, pvals_out, consts = partial_eval_flat(fun_jvp, pvals_in)
    m = len(pvals_out) // 2
    primals_out = [pv.const for pv in pvals_out[:m]]
    return primals_out, jaxpr, consts, pvals_out[m:], tangent_pvals


def vjp(fun, *primals, has_aux: bool = False):
    """Reverse-mode derivative: ``(fun(*primals), vjp_fn)`` with ``vjp_fn(ct)`` returning one
    cotangent per primal (pytrees as the inputs).

    >>> y, pullback = fnx.vjp(lambda x: x * x, 3.0)
    >>> pullback(1.0)   # (6.0,)
    """
    flat_p, in_tree = tree_util.flatten(tuple(primals))
    flat_p = [_as_operand(p) for p in flat_p]
    out_tree = []
    f, rebuild_aux = _aux_split(fun, has_aux)
    primals_out, jaxpr, consts, tangent_pvals_out, tangent_pvals_in = _linearize_flat(
        _flatten_fun(f, in_tree, out_tree), flat_p)
    tree_out = out_tree[0]
    if has_aux:
        tree_out, aux_tree = tree_out.children()
        n_main = tree_out.num_leaves
        aux = rebuild_aux(tree_util.unflatten(aux_tree, primals_out[n_main:]))
        primals_out = primals_out[:n_main]
        tangent_pvals_out = tangent_pvals_out[:n_main]
    out_avals = [raise_to_shaped(get_aval(p)).strip_weak_type() for p in primals_out]

    def vjp_fn(ct):
        ct_leaves, ct_tree = tree_util.flatten(ct)
        if ct_tree != tree_out:
            raise AutodiffError(f"vjp function: the cotangent's structure {ct_tree} does not "
                                f"match the output's {tree_out}")
        cts = []
        for c, aval in zip(ct_leaves, out_avals):
            c = _as_operand(c)
            if tuple(c.shape) != aval.shape:
                raise AutodiffError(
                    f"vjp function: cotangent of shape {tuple(c.shape)} given for an output of "
                    f"shape {aval.shape} ({aval.str_short()})")
            if c.dtype != aval.dtype or get_aval(c).weak_type:  # cotangents are never weak
                from .lax import convert_element_type
                c = convert_element_type(c, aval.dtype)
            cts.append(c)
        unknown_cts = [c for c, pv in zip(cts, tangent_pvals_out) if not pv.is_known]
        args = list(consts) + [UndefinedPrimal(pv.aval) for pv in tangent_pvals_in
                               if not pv.is_known]
        cts_in = iter(backward_pass(jaxpr, args, unknown_cts))
        flat_cts = []
        for p, pv in zip(flat_p, tangent_pvals_in):
            c = Zero(pv.aval) if pv.is_known else next(cts_in)
            flat_cts.append(_zero_cotangent_like(p) if isinstance(c, Zero) else c)
        return tree_util.unflatten(in_tree, flat_cts)

    out = tree_util.unflatten(tree_out, primals_out)
    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def _zero_cotangent_like(p):
    aval = raise_to_shaped(get_aval(p)).strip_weak_type()
    return instantiate_zeros(Zero(aval))


def linearize(fun, *primals):
    """``(fun(*primals), f_jvp)`` where ``f_jvp(*tangents)`` is the JVP at ``primals``, evaluated
    from a staged linear jaxpr (no re-running of ``fun``)."""
    from .core import eval_jaxpr
    flat_p, in_tree = tree_util.flatten(tuple(primals))
    flat_p = [_as_operand(p) for p in flat_p]
    out_tree = []
    primals_out, jaxpr, consts, tangent_pvals_out, tangent_pvals_in = _linearize_flat(
        _flatten_fun(fun, in_tree, out_tree), flat_p)

    def f_jvp(*tangents):
        flat_t, t_tree = tree_util.flatten(tuple(tangents))
        if t_tree != in_tree:
            raise AutodiffError(f"linearize: tangent structure {t_tree} does not match the "
                                f"primals' {in_tree}")
        flat_t = [_tangent_in(p, t, "linearize") for p, t in zip(flat_p, flat_t)]
        unknown = [t for t, pv in zip(flat_t, tangent_pvals_in) if not pv.is_known]
        outs = iter(eval_jaxpr(jaxpr, list(consts) + unknown))
        result = [pv.const if pv.is_known else next(outs) for pv in tangent_pvals_out]
        return tree_util.unflatten(out_tree[0], result)

    return tree_util.unflatten(out_tree[0], primals_out), f_jvp


# ---------------------------------------------------------------------------------------------
# grad and friends
# ---------------------------------------------------------------------------------------------

def _normalize_argnums(argnums, nargs: int, name: str):
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for a in nums:
        try:
            operator.index(a)
        except TypeError:
            raise AutodiffError(f"{name}: argnums must be ints, got {argnums!r}") from None
        if not -nargs <= a < nargs:
            raise AutodiffError(f"{name}: argnums {argnums!r} is out of range for a function "
                                f"called with {nargs} positional argument(s)")
    return single, tuple(a % nargs for a in nums)


def _with_args_replaced(fun, args, argnums, kwargs=None):
    """``fun`` as a function of the arguments at ``argnums`` only (the others fixed)."""
    kwargs = kwargs or {}

    def partial(*dyn_args):
        full = list(args)
        for i, a in zip(argnums, dyn_args):
            full[i] = a
        return fun(*full, **kwargs)
    return partial


def _check_differentiable_args(name, dyn_args, argnums):
    for i, arg in zip(argnums, dyn_args):
        for leaf in tree_util.leaves(arg):
            aval = get_aval(leaf)
            if not is_differentiable_dtype(aval.dtype):
                raise AutodiffError(
                    f"{name} requires real-valued floating-point inputs, but argument {i} has "
                    f"dtype {aval.dtype}; convert it with .astype(fnx.numpy.float32) or leave "
                    "it out of argnums")


def value_and_grad(fun, argnums=0, has_aux: bool = False):
    """``(fun(*args), gradient)`` of a scalar-valued ``fun`` w.r.t. ``argnums``.

    >>> fnx.value_and_grad(lambda x: (x ** 2).sum())(fnp.arange(3.0))   # (5.0, [0, 2, 4])
    """
    @functools.wraps(fun)
    def vg(*args, **kwargs):
        single, nums = _normalize_argnums(argnums, len(args), "grad")
        dyn = [args[i] for i in nums]
        _check_differentiable_args("grad", dyn, nums)

        f_partial = _with_args_replaced(fun, args, nums, kwargs)
        result = vjp(f_partial, *dyn, has_aux=has_aux)
        out, pullback = result[0], result[1]
        out_leaves = tree_util.leaves(out)
        if len(out_leaves) != 1 or tuple(get_aval(out_leaves[0]).shape) != ():
            shapes = [tuple(get_aval(o).shape) for o in out_leaves]
            raise AutodiffError(
                f"grad requires a scalar (shape ()) output, got {'shapes ' + str(shapes) if len(shapes) != 1 else 'shape ' + str(shapes[0])}; "
                "use fnx.jacrev for the Jacobian or fnx.vjp for vector-Jacobian products")
        dtype = get_aval(out_leaves[0]).dtype
        if not dtypes.is_floating(dtype):
            raise AutodiffError(f"grad requires a floating-point output, got {dtype}")
        g = pullback(tree_util.unflatten(tree_util.structure(out),
                                         [Array(np.ones((), dtype))]))
        g = g[0] if single else tuple(g)
        if has_aux:
            return (out, result[2]), g
        return out, g

    return vg


def grad(fun, argnums=0, has_aux: bool = False):
    """The gradient of a scalar-valued ``fun`` w.r.t. argument(s) ``argnums`` (pytrees ok).

    >>> fnx.grad(lambda x: fnp.tanh(x))(0.5)    # 1 - tanh(0.5)**2
    """
    vg = value_and_grad(fun, argnums, has_aux)

    @functools.wraps(fun)
    def g(*args, **kwargs):
        if has_aux:
            (_, aux), grads = vg(*args, **kwargs)
            return grads, aux
        return vg(*args, **kwargs)[1]

    return g


def _std_basis(flat_avals):
    """Rows of the identity over the concatenated flat inputs, one per scalar."""
    from . import numpy as fnp
    sizes = [int(np.prod(a.shape, dtype=np.int64)) for a in flat_avals]
    total = sum(sizes)
    for k in range(total):
        vecs, start = [], 0
        for aval, size in zip(flat_avals, sizes):
            onehot = np.zeros(size, aval.dtype)
            if start <= k < start + size:
                onehot[k - start] = 1
            vecs.append(fnp.asarray(onehot.reshape(aval.shape)))
            start += size
        yield vecs


def _stack_leaves(rows, shape_out_tree, prefix_shape):
    """Stack a list of flat result rows into arrays with leading ``prefix_shape``."""
    from . import numpy as fnp
    cols = list(zip(*rows))
    return [fnp.reshape(fnp.stack(col), tuple(prefix_shape) + tuple(col[0].shape))
            for col in cols]


def jacfwd(fun, argnums=0, has_aux: bool = False):
    """Jacobian by forward mode: one JVP per input element.  Output leaves have shape
    ``out.shape + in.shape`` (JAX's layout)."""
    def jac(*args):
        single, nums = _normalize_argnums(argnums, len(args), "jacfwd")
        dyn = [args[i] for i in nums]
        _check_differentiable_args("jacfwd", dyn, nums)
        flat_in, in_tree = tree_util.flatten(tuple(dyn))
        flat_in = [_as_operand(x) for x in flat_in]
        avals = [raise_to_shaped(get_aval(x)).strip_weak_type() for x in flat_in]

        f_partial = _with_args_replaced(fun, args, nums)

        def f_flat(*leaves):
            return f_partial(*tree_util.unflatten(in_tree, list(leaves)))

        cols, out = [], None
        for basis in _std_basis(avals):
            res = jvp(f_flat, tuple(flat_in), tuple(basis), has_aux=has_aux)
            out, t = res[0], res[1]
            cols.append(tree_util.leaves(t))
        return _assemble_jacobian(out, cols, flat_in, in_tree, single, has_aux, res)

    return jac


def _assemble_jacobian(out, cols, flat_in, in_tree, single, has_aux, res):
    """cols[k][j] = d out_leaf_j / d (flat input scalar k)  ->  pytree of out.shape + in.shape."""
    from . import numpy as fnp
    out_leaves, out_tree = tree_util.flatten(out)
    per_out = []
    for j, o in enumerate(out_leaves):
        per_in, start = [], 0
        for x in flat_in:
            size = int(np.prod(x.shape, dtype=np.int64))
            block = [cols[k][j] for k in range(start, start + size)]
            start += size
            stacked = fnp.stack(block, axis=-1) if block else \
                fnp.zeros(tuple(o.shape) + (0,), o.dtype)
            per_in.append(fnp.reshape(stacked, tuple(o.shape) + tuple(x.shape)))
        in_struct = tree_util.unflatten(in_tree, per_in)
        per_out.append(in_struct[0] if single else tuple(in_struct))
    jac = tree_util.unflatten(out_tree, per_out)
    return (jac, res[2]) if has_aux else jac


def jacrev(fun, argnums=0, has_aux: bool = False):
    """Jacobian by reverse mode: one VJP per output element (``out.shape + in.shape``)."""
    def jac(*args):
        from . import numpy as fnp
        single, nums = _normalize_argnums(argnums, len(args), "jacrev")
        dyn = [args[i] for i in nums]
        _check_differentiable_args("jacrev", dyn, nums)

        f_partial = _with_args_replaced(fun, args, nums)
        result = vjp(f_partial, *dyn, has_aux=has_aux)
        out, pullback = result[0], result[1]
        out_leaves, out_tree = tree_util.flatten(out)
        out_avals = [raise_to_shaped(get_aval(o)).strip_weak_type() for o in out_leaves]
        rows = []  # rows[k] = pullback of the k-th output scalar basis vector
        for basis in _std_basis(out_avals):
            g = pullback(tree_util.unflatten(out_tree, basis))
            rows.append(g)
        per_out, start = [], 0
        for o in out_avals:
            size = int(np.prod(o.shape, dtype=np.int64))
            block = rows[start:start + size]
            start += size

            def stack_leaf(*leaves, o=o):
                if not leaves:
                    return None
                return fnp.reshape(fnp.stack(leaves), tuple(o.shape) + tuple(leaves[0].shape))

            if block:
                stacked = tree_util.map(stack_leaf, *block)
            else:
                stacked = tree_util.map(lambda x, o=o: fnp.zeros(tuple(o.shape) + tuple(x.shape)),
                                        tuple(dyn))
            per_out.append(stacked[0] if single else tuple(stacked))
        jacobian = tree_util.unflatten(out_tree, per_out)
        return (jacobian, result[2]) if has_aux else jacobian

    return jac


def hessian(fun, argnums=0, has_aux: bool = False):
    """Second derivatives: ``jacfwd(jacrev(fun))``."""
    return jacfwd(jacrev(fun, argnums, has_aux), argnums, has_aux)
