"""The public transformations over pytrees: jvp, linearize, vjp, grad, value_and_grad, jacfwd,
jacrev, hessian (signatures and semantics of JAX).  The machinery is in fnx.interpreters."""
from __future__ import annotations

import functools
import operator

import numpy as np

from . import dtypes
from . import tree as tree_util
from .core import Array, Tracer, asarray_concrete, get_aval, raise_to_shaped
from .errors import InvalidArgumentError, ShapeError
from .interpreters.ad import (AutodiffError, Linearized, Zero, instantiate_zeros,
                              is_differentiable_dtype, jvp_flat)


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
    lin = Linearized(_flatten_fun(f, in_tree, out_tree), flat_p)
    primals_out = lin.primals_out
    tree_out = out_tree[0]
    if has_aux:
        tree_out, aux_tree = tree_out.children()
        n_main = tree_out.num_leaves
        aux = rebuild_aux(tree_util.unflatten(aux_tree, primals_out[n_main:]))
        primals_out = primals_out[:n_main]
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
        flat_cts = [_zero_cotangent_like(p) if isinstance(c, Zero) else c
                    for p, c in zip(flat_p, lin.vjp(cts))]
        return tree_util.unflatten(in_tree, flat_cts)

    out = tree_util.unflatten(tree_out, primals_out)
    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def _zero_cotangent_like(p):
    aval = raise_to_shaped(get_aval(p)).strip_weak_type()
    return instantiate_zeros(Zero(aval))


def linearize(fun, *primals):
    """``(fun(*primals), f_jvp)`` where ``f_jvp(*tangents)`` is the JVP at ``primals``, evaluated
    from a staged linear jaxpr (no re-running of ``fun``)."""
    flat_p, in_tree = tree_util.flatten(tuple(primals))
    flat_p = [_as_operand(p) for p in flat_p]
    out_tree = []
    lin = Linearized(_flatten_fun(fun, in_tree, out_tree), flat_p)

    def f_jvp(*tangents):
        flat_t, t_tree = tree_util.flatten(tuple(tangents))
        if t_tree != in_tree:
            raise AutodiffError(f"linearize: tangent structure {t_tree} does not match the "
                                f"primals' {in_tree}")
        flat_t = [_tangent_in(p, t, "linearize") for p, t in zip(flat_p, flat_t)]
        return tree_util.unflatten(out_tree[0], lin.jvp(flat_t))

    return tree_util.unflatten(out_tree[0], lin.primals_out), f_jvp


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


def _check_differentiable_args(name, dyn_args, argnums, holomorphic=False,
                               complex_ok=True):
    """JAX's input rules: floating or complex inputs; complex ones only where the mode
    allows them (``complex_ok``: not jacfwd, whose basis would be real) or ``holomorphic``,
    which needs every input complex."""
    for i, arg in zip(argnums, dyn_args):
        for leaf in tree_util.leaves(arg):
            dtype = get_aval(leaf).dtype
            if not is_differentiable_dtype(dtype):
                raise AutodiffError(
                    f"{name} requires floating-point or complex inputs, but argument {i} has "
                    f"dtype {dtype}; convert it with .astype(fnx.numpy.float32) or leave "
                    "it out of argnums")
            if holomorphic and not dtypes.is_complex(dtype):
                raise AutodiffError(
                    f"{name} with holomorphic=True requires complex inputs, but argument {i} "
                    f"has dtype {dtype}")
            if not holomorphic and not complex_ok and dtypes.is_complex(dtype):
                raise AutodiffError(
                    f"{name} requires real-valued inputs (a floating dtype), but argument {i} "
                    f"has dtype {dtype}; for holomorphic differentiation pass "
                    f"holomorphic=True, for a non-holomorphic function of complex inputs use "
                    "fnx.jvp directly")


def _check_output_dtype(name, dtype, holomorphic):
    """grad / jacrev need real outputs (a complex cotangent basis would be ambiguous) unless
    ``holomorphic``, which needs complex outputs (JAX's rules)."""
    if holomorphic:
        if not dtypes.is_complex(dtype):
            raise AutodiffError(f"{name} with holomorphic=True requires complex outputs, got "
                                f"{dtype}")
    elif not dtypes.is_floating(dtype):
        hint = ("; for holomorphic differentiation pass holomorphic=True, for a non-holomorphic "
                "function with complex outputs use fnx.vjp directly"
                if dtypes.is_complex(dtype) else "")
        raise AutodiffError(f"{name} requires real-valued floating-point outputs, got "
                            f"{dtype}{hint}")


def value_and_grad(fun, argnums=0, has_aux: bool = False, holomorphic: bool = False):
    """``(fun(*args), gradient)`` of a scalar-valued ``fun`` w.r.t. ``argnums``.

    >>> fnx.value_and_grad(lambda x: (x ** 2).sum())(fnp.arange(3.0))   # (5.0, [0, 2, 4])

    Complex numbers follow JAX: a real-valued ``fun`` of complex inputs z = x + iy gets
    ``df/dx - i df/dy`` (the conjugate of the steepest-ascent direction: descend along
    ``conj(grad)``); a complex-valued ``fun`` needs ``holomorphic=True`` and complex inputs,
    and gets the complex derivative ``f'(z)``.
    """
    @functools.wraps(fun)
    def vg(*args, **kwargs):
        single, nums = _normalize_argnums(argnums, len(args), "grad")
        dyn = [args[i] for i in nums]
        _check_differentiable_args("grad", dyn, nums, holomorphic)

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
        _check_output_dtype("grad", dtype, holomorphic)
        g = pullback(tree_util.unflatten(tree_util.structure(out),
                                         [Array(np.ones((), dtype))]))
        g = g[0] if single else tuple(g)
        if has_aux:
            return (out, result[2]), g
        return out, g

    return vg


def grad(fun, argnums=0, has_aux: bool = False, holomorphic: bool = False):
    """The gradient of a scalar-valued ``fun`` w.r.t. argument(s) ``argnums`` (pytrees ok);
    complex inputs and ``holomorphic`` as in ``value_and_grad``.

    >>> fnx.grad(lambda x: fnp.tanh(x))(0.5)    # 1 - tanh(0.5)**2
    """
    vg = value_and_grad(fun, argnums, has_aux, holomorphic)

    @functools.wraps(fun)
    def g(*args, **kwargs):
        if has_aux:
            (_, aux), grads = vg(*args, **kwargs)
            return grads, aux
        return vg(*args, **kwargs)[1]

    return g


def _std_basis(flat_avals):
    """The identity over the concatenated flat inputs, as one batch per input leaf:
    leaf j gets shape ``(total,) + shape_j`` and row k is the k-th unit vector's piece."""
    sizes = [int(np.prod(a.shape, dtype=np.int64)) for a in flat_avals]
    total = sum(sizes)
    basis, start = [], 0
    for aval, size in zip(flat_avals, sizes):
        block = np.zeros((total, size), aval.dtype)
        block[np.arange(start, start + size), np.arange(size)] = 1
        basis.append(Array(block.reshape((total,) + tuple(aval.shape))))
        start += size
    return basis


def _split_basis_axis(jac_leaf, axis: int, in_avals):
    """Split the basis axis ``axis`` of ``jac_leaf`` into one array per input leaf, each with
    that axis reshaped to the input's shape (placed where the axis was)."""
    from .lax.shape import reshape, slice_in_dim
    pieces, start = [], 0
    shape = tuple(jac_leaf.shape)
    for aval in in_avals:
        size = int(np.prod(aval.shape, dtype=np.int64))
        piece = slice_in_dim(jac_leaf, start, start + size, axis=axis)
        start += size
        new_shape = shape[:axis] + tuple(aval.shape) + shape[axis + 1:]
        pieces.append(reshape(piece, new_shape))
    return pieces


def _differentiated_inputs(name, fun, args, argnums, holomorphic, complex_ok):
    """(single, dyn args, flat dyn leaves, their tree, their avals, fun of the flat leaves)."""
    single, nums = _normalize_argnums(argnums, len(args), name)
    dyn = [args[i] for i in nums]
    _check_differentiable_args(name, dyn, nums, holomorphic, complex_ok)
    flat_in, in_tree = tree_util.flatten(tuple(dyn))
    flat_in = [_as_operand(x) for x in flat_in]
    avals = [raise_to_shaped(get_aval(x)).strip_weak_type() for x in flat_in]
    f_partial = _with_args_replaced(fun, args, nums)

    def f_flat(*leaves):
        return f_partial(*tree_util.unflatten(in_tree, list(leaves)))
    return single, dyn, flat_in, in_tree, avals, f_flat


def _per_input(in_tree, single, pieces):
    struct = tree_util.unflatten(in_tree, pieces)
    return struct[0] if single else tuple(struct)


def jacfwd(fun, argnums=0, has_aux: bool = False, holomorphic: bool = False):
    """Jacobian by forward mode: the JVP ``vmap``-ed over the standard basis of the inputs (one
    batched pass, no loop).  Output leaves have shape ``out.shape + in.shape`` (JAX's layout).
    Complex inputs need ``holomorphic=True`` (then the outputs must be complex too)."""
    def jac(*args):
        single, _, flat_in, in_tree, avals, f_flat = _differentiated_inputs(
            "jacfwd", fun, args, argnums, holomorphic, complex_ok=False)

        def pushforward(*tangents):
            res = jvp(f_flat, tuple(flat_in), tuple(tangents), has_aux=has_aux)
            return res if has_aux else res[:2]

        out_axes = (None, -1, None) if has_aux else (None, -1)
        res = vmap(pushforward, out_axes=out_axes)(*_std_basis(avals))
        out, tangents = res[0], res[1]
        if holomorphic:
            for leaf in tree_util.leaves(out):
                _check_output_dtype("jacfwd", get_aval(leaf).dtype, True)
        jacobian = tree_util.map(
            lambda t: _per_input(in_tree, single, _split_basis_axis(t, t.ndim - 1, avals)),
            tangents)
        return (jacobian, res[2]) if has_aux else jacobian

    return jac


def jacrev(fun, argnums=0, has_aux: bool = False, holomorphic: bool = False):
    """Jacobian by reverse mode: the VJP ``vmap``-ed over the standard basis of the outputs
    (one batched backward pass, no loop).  Output leaves have shape ``out.shape + in.shape``.
    Outputs must be real unless ``holomorphic=True`` (complex inputs and outputs)."""
    def jac(*args):
        single, _, flat_in, in_tree, _, f_flat = _differentiated_inputs(
            "jacrev", fun, args, argnums, holomorphic, complex_ok=True)
        result = vjp(f_flat, *flat_in, has_aux=has_aux)
        out, pullback = result[0], result[1]
        out_leaves, out_tree = tree_util.flatten(out)
        for leaf in out_leaves:
            _check_output_dtype("jacrev", get_aval(leaf).dtype, holomorphic)
        out_avals = [raise_to_shaped(get_aval(o)).strip_weak_type() for o in out_leaves]

        def pull(*basis_leaves):
            return pullback(tree_util.unflatten(out_tree, list(basis_leaves)))

        # cts[i]: (total_out,) + in_i.shape ; rows split per output leaf
        cts = vmap(pull)(*_std_basis(out_avals))
        per_in = [_split_basis_axis(ct, 0, out_avals) for ct in cts]
        per_out = [_per_input(in_tree, single, [pieces[j] for pieces in per_in])
                   for j in range(len(out_avals))]
        jacobian = tree_util.unflatten(out_tree, per_out)
        return (jacobian, result[2]) if has_aux else jacobian

    return jac


def hessian(fun, argnums=0, has_aux: bool = False, holomorphic: bool = False):
    """Second derivatives: ``jacfwd(jacrev(fun))``."""
    return jacfwd(jacrev(fun, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)


# ---------------------------------------------------------------------------------------------
# vmap
# ---------------------------------------------------------------------------------------------

def vmap(fun, in_axes=0, out_axes=0, axis_size=None):
    """Vectorize ``fun`` over a mapped axis of its arguments (JAX's ``vmap``).

    ``in_axes``: an int, None (not mapped) or a tuple with one entry per positional argument,
    each entry itself a pytree prefix of that argument.  ``out_axes``: the same for the output.
    Keyword arguments are mapped over axis 0.  ``axis_size`` is needed only when no argument is
    mapped.  Each primitive runs once on the whole batch (batching rules, no Python loop).

    >>> fnx.vmap(fnp.dot, in_axes=(0, None))(xs, w)       # one dot per row of xs
    >>> fnx.vmap(fnx.grad(loss), in_axes=(None, 0, 0))(params, xs, ys)   # per-example grads
    """
    from .interpreters.batching import batch_flat
    if not callable(fun):
        raise TypeError(f"vmap: expected a function to vectorize, got {type(fun).__name__}")
    _check_axes_spec(in_axes, "in_axes")
    _check_axes_spec(out_axes, "out_axes")
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)   # a top-level list means one entry per argument, like a tuple
    name = getattr(fun, "__name__", "function")

    @functools.wraps(fun)
    def batched(*args, **kwargs):
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise InvalidArgumentError(
                f"vmap({name}): in_axes is a tuple of length {len(in_axes)} but the function was "
                f"called with {len(args)} positional argument(s); give one entry per argument")
        leaves, in_tree, paths, dims = _flat_mapped_args(name, args, kwargs, in_axes)
        size = _mapped_axis_size(name, leaves, paths, dims, axis_size)
        out_tree = []
        flat_fun = _flatten_fun(lambda a, k: fun(*a, **k), in_tree, out_tree)

        def flat_fun_arrays(*xs):
            return [_as_operand(o) for o in flat_fun(*xs)]

        def out_dims(n):
            return _flat_out_axes(name, out_axes, out_tree[0])

        outs = batch_flat(flat_fun_arrays, leaves, dims, size, out_dims)
        return tree_util.unflatten(out_tree[0], outs)

    return batched


def _check_axes_spec(spec, what):
    for leaf in tree_util.leaves(spec, is_leaf=lambda x: x is None):
        if leaf is not None and not isinstance(leaf, (int, np.integer)):
            raise InvalidArgumentError(f"vmap: {what} must be ints or None (pytrees of them), "
                                       f"got {leaf!r} in {spec!r}")


def _flat_mapped_args(name, args, kwargs, in_axes):
    """Flat operand leaves of (args, kwargs), their argument paths, and their mapped axes
    (normalised to non-negative, or None)."""
    try:
        arg_dims = tree_util.broadcast_prefix(in_axes, tuple(args), is_leaf=lambda x: x is None)
    except ValueError as e:
        raise InvalidArgumentError(f"vmap({name}): in_axes {in_axes!r} does not match the "
                                   f"structure of the arguments: {e}") from None
    kw_dims = [0] * len(tree_util.leaves(kwargs))
    path_leaves, in_tree = tree_util.flatten_with_path((tuple(args), kwargs))
    leaves, paths, dims = [], [], []
    for (path, leaf), d in zip(path_leaves, arg_dims + kw_dims):
        x = _as_operand(leaf)
        where = _describe_arg_path(path)
        if d is not None:
            d = operator.index(d)
            if not -x.ndim <= d < x.ndim:
                raise ShapeError(f"vmap({name}): in_axes {d} is out of range for {where} of "
                                 f"shape {tuple(x.shape)} (rank {x.ndim})")
            d %= x.ndim
        leaves.append(x)
        paths.append(where)
        dims.append(d)
    return leaves, in_tree, paths, dims


def _describe_arg_path(path) -> str:
    """('args', 0, ['w']) -> "argument 0['w']" ; kwargs -> "keyword argument 'lr'"."""
    kind, rest = path[0].idx, path[1:]
    if kind == 0:
        head, rest = f"argument {rest[0].idx}", rest[1:]
    else:
        head, rest = f"keyword argument {rest[0].key!r}", rest[1:]
    return head + tree_util.keystr(tuple(rest))


def _mapped_axis_size(name, leaves, paths, dims, axis_size):
    sizes = [(p, x.shape[d], d) for x, p, d in zip(leaves, paths, dims) if d is not None]
    if not sizes:
        if axis_size is None:
            raise InvalidArgumentError(
                f"vmap({name}): no argument is mapped (every in_axes entry is None, or the "
                "function has no array arguments); pass axis_size to say how large the batch is")
        return operator.index(axis_size)
    distinct = {s for _, s, _ in sizes}
    if axis_size is not None:
        distinct.add(operator.index(axis_size))
    if len(distinct) > 1:
        detail = "; ".join(f"{p} has size {s} along axis {d}" for p, s, d in sizes)
        extra = f"; axis_size={axis_size}" if axis_size is not None else ""
        raise ShapeError(f"vmap({name}): the mapped axes have inconsistent sizes: {detail}"
                         f"{extra}")
    return sizes[0][1]


def _flat_out_axes(name, out_axes, out_tree):
    placeholder = tree_util.unflatten(out_tree, [_Leaf()] * out_tree.num_leaves)
    try:
        return tree_util.broadcast_prefix(out_axes, placeholder, is_leaf=lambda x: x is None)
    except ValueError as e:
        raise InvalidArgumentError(f"vmap({name}): out_axes {out_axes!r} does not match the "
                                   f"structure of the output {out_tree}: {e}") from None


class _Leaf:
    """A stand-in output leaf (pytree leaf) used to expand out_axes over the output tree."""
