"""numpy's functional programming tools and index-based edits, on fnx.vmap and fnx.lax.

* ``apply_along_axis`` / ``vectorize`` are written on ``fnx.vmap`` (as jax.numpy's): the Python
  function runs ONCE, on one slice's abstract shapes, and every primitive it uses is batched --
  no Python loop over the elements, and they work under jit / grad / an outer vmap;
* ``select`` / ``piecewise`` evaluate every branch on the whole input and pick per element with
  ``lax.select`` (jax.numpy's rule: numpy's piecewise calls each function only on the
  elements its condition selects, so a function that fails on other elements differs here);
* ``append`` / ``insert`` / ``delete`` move whole slices with static plans: the positions are
  computed on the host from a static ``obj`` and become one concatenate + one gather, which
  differentiate in both the array and the inserted values.  ``delete`` also takes traced
  indices when ``assume_unique_indices=True`` (the result's size is then known), as jax.numpy.
"""
from __future__ import annotations

import functools
import re

import numpy as np

from .. import dtypes, lax
from ..core import ArrayBase, Tracer, concrete_or_error
from ..errors import AxisError, ConcretizationTypeError, FnxIndexError, ShapeError
from ._util import (asarray_arg, broadcast_shapes_named, broadcast_to_shape, canonical_axis,
                    promote_dtypes, promote_no_broadcast, to_dtype)


def _fits(shape, target) -> bool:
    """Whether ``shape`` broadcasts to ``target`` (numpy's rules, without growing ``target``)."""
    shape, target = tuple(shape), tuple(target)
    return len(shape) <= len(target) and all(
        s in (1, t) for s, t in zip(shape[::-1], target[::-1]))


def _vmap(fun, in_axes=0, out_axes=0):
    from ..api import vmap
    return vmap(fun, in_axes=in_axes, out_axes=out_axes)


# -- append / insert / delete / rollaxis ------------------------------------------------------

def append(arr, values, axis=None):
    """``arr`` followed by ``values`` along ``axis`` (both flattened when axis is None);
    the result dtype is their promoted dtype."""
    from ._manipulation import concatenate, ravel
    # promoted before any reshape, so that a Python float converts exactly to a float64 arr
    a, v = promote_no_broadcast("append", asarray_arg("append", arr),
                                asarray_arg("append", values))
    if axis is None:
        return concatenate([ravel(a), ravel(v)], 0)
    ax = canonical_axis("append", axis, a.ndim)
    if v.ndim != a.ndim:
        raise ValueError(f"append: arr and values must have the same number of dimensions, "
                         f"got shapes {tuple(a.shape)} and {tuple(v.shape)}")
    if any(a.shape[i] != v.shape[i] for i in range(a.ndim) if i != ax):
        raise ShapeError(f"append: all dimensions except axis {ax} must match, got shapes "
                         f"{tuple(a.shape)} and {tuple(v.shape)}")
    return concatenate([a, v], ax)


def _static_obj(name, obj):
    """``obj`` (indices / mask) as a numpy array; static, since it decides the result's shape."""
    return np.asarray(concrete_or_error(
        obj, f"{name}: obj (its indices decide the result's shape, so they must be static)"))


def _insert_positions(name, obj, n, ax):
    """(positions in [0, n], one per inserted value or None, scalar?) of numpy's ``obj``."""
    if isinstance(obj, slice):
        return np.arange(*obj.indices(n)), False
    idx = _static_obj(name, obj)
    if idx.ndim > 1:
        raise ValueError(f"{name}: obj must be a slice, a scalar or a 1-d sequence of "
                         f"indices, got shape {idx.shape}")
    if idx.size == 0 and not isinstance(obj, (np.ndarray, ArrayBase)):
        idx = idx.astype(np.int64)
    if idx.dtype.kind not in "iu":
        raise ValueError(f"{name}: obj must hold integers, got dtype {idx.dtype}")
    bad = (idx < -n) | (idx > n)
    if bad.any():
        raise FnxIndexError(f"{name}: index {idx[bad].ravel()[0]} is out of bounds for axis "
                            f"{ax} with size {n}")
    idx = idx.astype(np.int64)
    return np.where(idx < 0, idx + n, idx), idx.ndim == 0


def insert(arr, obj, values, axis=None):
    """``arr`` with ``values`` inserted before the indices ``obj`` along ``axis`` (flattened
    when None).  ``obj``: an int (``values`` fill as many slices as their extent along the
    axis), a slice or a sequence of ints (one slice per index, ``values`` broadcast to them);
    indices are static.  The result keeps ``arr``'s dtype (numpy casts ``values``)."""
    from ._manipulation import moveaxis, ravel, _take_static
    a = asarray_arg("insert", arr)
    if axis is None:
        a, axis = ravel(a), 0
    ax = canonical_axis("insert", axis, a.ndim)
    n = a.shape[ax]
    pos, scalar = _insert_positions("insert", obj, n, ax)
    v = to_dtype(asarray_arg("insert", values), a.dtype)
    if v.ndim < a.ndim:
        v = lax.reshape(v, (1,) * (a.ndim - v.ndim) + tuple(v.shape))
    if pos.size == 1:
        if scalar:
            v = moveaxis(v, 0, ax)
        numnew = v.shape[ax] if v.ndim == a.ndim else 1
        pos = np.full((numnew,), int(pos.reshape(())), np.int64)
    target = tuple(a.shape[:ax]) + (pos.size,) + tuple(a.shape[ax + 1:])
    if v.ndim != a.ndim or not _fits(v.shape, target):
        raise ShapeError(f"insert: values of shape {tuple(v.shape)} cannot be broadcast to "
                         f"the inserted block's shape {target}")
    if pos.size == 0:
        return a
    v = broadcast_to_shape(v, target)
    dest = np.empty(pos.size, np.int64)
    order = np.argsort(pos, kind="stable")
    dest[order] = pos[order] + np.arange(pos.size)
    src = np.full(n + pos.size, -1, np.int64)
    src[dest] = n + np.arange(pos.size)
    src[src < 0] = np.arange(n)
    return _take_static(lax.concatenate([a, v], ax), src, ax)


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    """``arr`` without the entries ``obj`` (an int, a slice, a sequence of ints or a boolean
    mask of the axis's length) along ``axis`` (flattened when None).  ``obj`` must be static,
    except with ``assume_unique_indices=True``: then integer indices may be traced (jax.numpy;
    they must be unique and in range, which is not checked)."""
    from ._manipulation import ravel, _take_static
    a = asarray_arg("delete", arr)
    if axis is None:
        a, axis = ravel(a), 0
    ax = canonical_axis("delete", axis, a.ndim)
    n = a.shape[ax]
    if isinstance(obj, Tracer) and obj.concrete_value() is None:
        if not assume_unique_indices:
            raise ConcretizationTypeError(
                f"delete: obj is traced ({obj.aval.str_short()}), so the result's size is "
                "unknown; pass static indices, or assume_unique_indices=True for unique "
                "integer indices")
        return _delete_traced(a, obj, ax, n)
    keep = np.ones(n, bool)
    if isinstance(obj, slice):
        keep[obj] = False
    else:
        idx = _static_obj("delete", obj)
        if idx.dtype == bool:
            if idx.shape != (n,):
                raise ValueError(f"delete: a boolean obj must be 1-d and match the length "
                                 f"{n} of axis {ax}, got shape {idx.shape}")
            keep = ~idx
        else:
            if idx.size == 0 and not isinstance(obj, (np.ndarray, ArrayBase)):
                idx = idx.astype(np.int64)
            if idx.dtype.kind not in "iu":
                raise FnxIndexError(f"delete: indices must be integers or booleans, got dtype "
                                    f"{idx.dtype}")
            bad = (idx < -n) | (idx >= n)
            if bad.any():
                raise FnxIndexError(f"delete: index {idx[bad].ravel()[0]} is out of bounds "
                                    f"for axis {ax} with size {n}")
            keep[idx.ravel()] = False
    return _take_static(a, np.flatnonzero(keep), ax)


def _delete_traced(a, obj, ax, n):
    """Delete ``k`` unique traced indices: output position j reads the input at j plus the
    number of deleted indices at or before it (sorted indices minus their rank)."""
    from ._manipulation import ravel
    from ._selection import sort, take
    from ._ufuncs import where
    i = ravel(obj)
    if i.dtype.kind not in "iu":
        raise FnxIndexError(f"delete: indices must be integers, got {i.dtype}")
    k = i.shape[0]
    if k > n:
        raise ValueError(f"delete: {k} unique indices cannot be deleted from an axis of "
                         f"size {n}")
    i = to_dtype(i, dtypes.int32)
    i = sort(where(i < 0, i + n, i))
    shifted = lax.sub(i, lax.iota(dtypes.int32, k))
    j = lax.iota(dtypes.int32, n - k)
    hits = lax.ge(lax.broadcast_in_dim(j, (k, n - k), (1,)),
                  lax.broadcast_in_dim(shifted, (k, n - k), (0,)))
    src = lax.add(j, lax.reduce_sum(to_dtype(hits, dtypes.int32), (0,)))
    return take(a, src, axis=ax, mode="clip")


def rollaxis(a, axis, start=0):
    """Move ``axis`` to sit before position ``start`` (numpy's older form of ``moveaxis``)."""
    a = asarray_arg("rollaxis", a)
    n = a.ndim
    ax = canonical_axis("rollaxis", axis, n)
    if not isinstance(start, (int, np.integer)) or isinstance(start, bool):
        raise TypeError(f"rollaxis: start must be an integer, got {start!r}")
    start = int(start)
    if not -n <= start < n + 1:
        raise AxisError(f"rollaxis: 'start' arg requires {-n} <= start < {n + 1}, but "
                        f"start={start}")
    if start < 0:
        start += n
    if ax < start:
        start -= 1
    if ax == start:
        return a
    order = [i for i in range(n) if i != ax]
    order.insert(start, ax)
    return lax.transpose(a, tuple(order))


# -- apply_along_axis / apply_over_axes -------------------------------------------------------

def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """``func1d`` applied to every 1-d slice along ``axis``; its output's dims replace that
    axis (numpy's layout).  One traced call of ``func1d``, batched by nested ``fnx.vmap``."""
    a = asarray_arg("apply_along_axis", arr)
    ax = canonical_axis("apply_along_axis", axis, a.ndim)

    def fn(x):
        return func1d(x, *args, **kwargs)
    for i in range(1, a.ndim - ax):      # the axes after ``axis``: mapped, put back last
        fn = _vmap(fn, in_axes=i, out_axes=-1)
    for _ in range(ax):                  # the axes before it: mapped, kept first
        fn = _vmap(fn, in_axes=0, out_axes=0)
    return fn(a)


def apply_over_axes(func, a, axes):
    """``func(a, axis)`` repeatedly, for each axis in ``axes``; a result that lost the axis
    gets it back as size 1, so the rank never changes (numpy)."""
    from ._manipulation import expand_dims
    val = asarray_arg("apply_over_axes", a)
    nd = val.ndim
    for axis in (axes if isinstance(axes, (tuple, list)) else (axes,)):
        ax = canonical_axis("apply_over_axes", axis, nd)
        res = asarray_arg("apply_over_axes", func(val, ax))
        if res.ndim == nd - 1:
            res = expand_dims(res, ax)
        if res.ndim != nd:
            raise ValueError(f"apply_over_axes: function is not returning an array of the "
                             f"correct shape (got shape {tuple(res.shape)} from an input of "
                             f"dimension {nd})")
        val = res
    return val


# -- vectorize --------------------------------------------------------------------------------

_DIM = r"\w+"
_ARG = rf"\((?:{_DIM}(?:,{_DIM})*)?\)"
_ARGS = rf"{_ARG}(?:,{_ARG})*"
_SIGNATURE = re.compile(rf"^{_ARGS}->{_ARGS}$")


def _parse_signature(signature):
    """'(m,n),(n)->(m)' -> ([('m','n'), ('n',)], [('m',)]) (numpy's gufunc grammar)."""
    if not isinstance(signature, str):
        raise TypeError(f"vectorize: signature must be a string, got {signature!r}")
    text = re.sub(r"\s+", "", signature)
    if not _SIGNATURE.match(text):
        raise ValueError(f"vectorize: not a valid gufunc signature: {signature!r} (expected "
                         "e.g. '(n),(n)->()')")
    ins, outs = text.split("->")

    def groups(side):
        return [tuple(g.split(",")) if g else () for g in re.findall(r"\(([^()]*)\)", side)]
    return groups(ins), groups(outs)


def _core_sizes(args, core_dims):
    """Sizes of the named core dims (consistent across arguments) and the loop shape."""
    sizes, loops = {}, []
    for k, (x, dims) in enumerate(zip(args, core_dims)):
        if x.ndim < len(dims):
            raise ValueError(f"vectorize: argument {k} of shape {tuple(x.shape)} has fewer "
                             f"dimensions than its core dimensions {dims} in the signature")
        core = x.shape[x.ndim - len(dims):]
        for name, size in zip(dims, core):
            if sizes.setdefault(name, size) != size:
                raise ValueError(f"vectorize: inconsistent size for core dimension {name!r}: "
                                 f"{sizes[name]} vs {size} (argument {k})")
        loops.append(tuple(x.shape[:x.ndim - len(dims)]))
    return sizes, broadcast_shapes_named("vectorize", *loops) if loops else ()


def _check_outputs(out, out_dims, sizes):
    """Per-slice outputs against the signature's output core dims."""
    multi = len(out_dims) > 1
    outs = out if multi else (out,)
    if multi and (not isinstance(out, (tuple, list)) or len(out) != len(out_dims)):
        raise ValueError(f"vectorize: the function must return a tuple of {len(out_dims)} "
                         f"outputs to match the signature, got {type(out).__name__}")
    sizes = dict(sizes)
    checked = []
    for k, (o, dims) in enumerate(zip(outs, out_dims)):
        o = asarray_arg("vectorize", o)
        if o.ndim != len(dims):
            raise ValueError(f"vectorize: output {k} has shape {tuple(o.shape)}, but the "
                             f"signature gives it the core dimensions {dims}")
        for name, size in zip(dims, o.shape):
            if sizes.setdefault(name, size) != size:
                raise ValueError(f"vectorize: output {k}: core dimension {name!r} has size "
                                 f"{size}, expected {sizes[name]}")
        checked.append(o)
    return tuple(checked) if multi else checked[0]


def vectorize(pyfunc, *, excluded=frozenset(), signature=None):
    """A function like ``pyfunc`` that broadcasts over leading (loop) dimensions.

    ``signature`` (a gufunc signature such as ``'(n),(n)->()'``) names each argument's trailing
    core dims; without one every argument is a scalar slice.  ``excluded``: positions (ints) or
    keyword names (strs) passed through unvectorized; other keyword arguments are vectorized
    after the positional ones (numpy); ``None`` arguments pass through (jax.numpy).  Written on
    ``fnx.vmap`` (``pyfunc`` is traced once per call, not called per element), so ``pyfunc``
    must be written on fnx operations; loop dims of size 1 are not mapped but broadcast."""
    if not callable(pyfunc):
        raise TypeError(f"vectorize: expected a callable, got {type(pyfunc).__name__}")
    excluded = frozenset(excluded)
    for e in excluded:
        if not isinstance(e, (int, str)) or isinstance(e, bool):
            raise TypeError(f"vectorize: excluded entries must be ints or strs, got {e!r}")
    parsed = _parse_signature(signature) if signature is not None else None

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        static = {i: x for i, x in enumerate(args) if i in excluded or x is None}
        dyn_pos = [i for i in range(len(args)) if i not in static]
        dyn_kw = [k for k in kwargs if k not in excluded]
        static_kw = {k: v for k, v in kwargs.items() if k in excluded}
        dyn = [asarray_arg("vectorize", args[i]) for i in dyn_pos] + \
              [asarray_arg("vectorize", kwargs[k]) for k in dyn_kw]

        def call(*xs):
            full = list(args)
            for i, x in zip(dyn_pos, xs):
                full[i] = x
            kw = dict(static_kw, **dict(zip(dyn_kw, xs[len(dyn_pos):])))
            return pyfunc(*full, **kw)

        if parsed is None:
            core_in, core_out = [()] * len(dyn), None
        else:
            core_in, core_out = parsed
            if len(core_in) != len(dyn):
                raise TypeError(f"vectorize: wrong number of vectorized arguments: the "
                                f"signature {signature!r} takes {len(core_in)}, got {len(dyn)}")
        sizes, loop = _core_sizes(dyn, core_in)
        fn = call if core_out is None else \
            (lambda *xs: _check_outputs(call(*xs), core_out, sizes))
        return _map_loops(fn, dyn, core_in, loop)

    return wrapped


def _map_loops(fn, xs, core_in, loop):
    """``fn`` over the loop dims of ``xs``: one vmap per loop dim that some argument really
    has; a dim every argument has as 1 (or lacks) is added to the result afterwards."""
    from ._manipulation import expand_dims
    nl = len(loop)
    squeezed, padded = [], []
    for x, dims in zip(xs, core_in):
        own = tuple(x.shape[:x.ndim - len(dims)])
        pad = (1,) * (nl - len(own)) + own
        ones = tuple(i for i, d in enumerate(own) if d == 1)
        squeezed.append(lax.squeeze(x, ones) if ones else x)
        padded.append(pad)
    mapped, expand = fn, []
    for d in range(nl - 1, -1, -1):
        in_axes = tuple(None if p[d] == 1 else 0 for p in padded)
        if all(a is None for a in in_axes):
            expand.append(d)
        else:
            mapped = _vmap(mapped, in_axes=in_axes)
    out = mapped(*squeezed)
    if not expand:
        return out
    axes = tuple(sorted(expand))
    if isinstance(out, (tuple, list)):
        return type(out)(expand_dims(o, axes) for o in out)
    return expand_dims(out, axes)


# -- select / piecewise -----------------------------------------------------------------------

def select(condlist, choicelist, default=0):
    """Per element, the entry of the first ``choicelist`` array whose condition holds, else
    ``default`` (everything broadcast together; the result dtype is the choices' and
    default's promoted dtype)."""
    condlist, choicelist = list(condlist), list(choicelist)
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: condlist and choicelist must have the same length, got "
                         f"{len(condlist)} and {len(choicelist)}")
    if not condlist:
        raise ValueError("select: condlist must not be empty")
    conds = [asarray_arg("select", c) for c in condlist]
    for k, c in enumerate(conds):
        if c.dtype != dtypes.bool_:
            raise TypeError(f"select: condlist entry {k} must be a boolean array, got "
                            f"{c.dtype}")
    vals, dt, weak = promote_dtypes("select", *choicelist, default)
    vals = [to_dtype(asarray_arg("select", v), dt, weak) for v in vals]
    shape = broadcast_shapes_named("select", *(tuple(x.shape) for x in conds + vals))
    out = broadcast_to_shape(vals[-1], shape)
    for c, v in zip(reversed(conds), reversed(vals[:-1])):
        out = lax.select(broadcast_to_shape(c, shape), broadcast_to_shape(v, shape), out)
    return out


def _as_condlist(condlist, x):
    """numpy's reading of piecewise's condlist: a scalar, or a sequence whose first entry is
    not itself an array / list (for non-scalar ``x``), is ONE condition.  An array of at most
    ``x``'s rank is one condition too (numpy reads a 2-d one as a list of its rows, which
    fails or misleads; a stack of conditions has one more dim than ``x``)."""
    if isinstance(condlist, (ArrayBase, np.ndarray)):
        if condlist.ndim <= x.ndim:
            return [condlist]
        return [condlist[i] for i in range(condlist.shape[0])]
    if np.isscalar(condlist) or isinstance(condlist, bool):
        return [condlist]
    condlist = list(condlist)
    if condlist and not isinstance(condlist[0], (list, np.ndarray, ArrayBase)) and x.ndim:
        return [condlist]
    return condlist


def piecewise(x, condlist, funclist, *args, **kw):
    """Per element, ``funclist[i](x, *args, **kw)`` (or the constant ``funclist[i]``) where
    ``condlist[i]`` holds -- the last true condition wins, as numpy's assignment order; one
    extra function is the value where no condition holds (else 0).  Every function runs on the
    whole ``x`` and the results are selected (jax.numpy), then cast to ``x``'s dtype."""
    x = asarray_arg("piecewise", x)
    conds = [to_dtype(asarray_arg("piecewise", c), dtypes.bool_)
             for c in _as_condlist(condlist, x)]
    funcs = list(funclist)
    n = len(conds)
    if len(funcs) not in (n, n + 1):
        raise ValueError(f"piecewise: with {n} condition(s), either {n} or {n + 1} functions "
                         f"are expected, got {len(funcs)}")
    shape = tuple(x.shape)

    def value(f):
        v = f(x, *args, **kw) if callable(f) else f
        v = to_dtype(asarray_arg("piecewise", v), x.dtype)
        if not _fits(v.shape, shape):
            raise ShapeError(f"piecewise: a function's value of shape {tuple(v.shape)} does "
                             f"not broadcast to x's shape {shape}")
        return broadcast_to_shape(v, shape)

    out = value(funcs[n]) if len(funcs) == n + 1 else value(0)
    for c, f in zip(conds, funcs):
        if not _fits(c.shape, shape):
            raise ShapeError(f"piecewise: a condition of shape {tuple(c.shape)} does not "
                             f"match x's shape {shape}")
        out = lax.select(broadcast_to_shape(c, shape), value(f), out)
    return out


__all__ = ["append", "insert", "delete", "rollaxis", "apply_along_axis", "apply_over_axes",
           "vectorize", "select", "piecewise"]
