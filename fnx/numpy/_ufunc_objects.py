"""numpy's ufunc objects for fnx.numpy: ``fnp.add.reduce``, ``fnp.multiply.outer``, ...

Every public fnx.numpy function that is a ufunc in numpy (``add``, ``sin``, ``less``...) is an
instance of :class:`ufunc` (``isinstance(fnp.add, fnp.ufunc)``, ``repr(fnp.add) == "<ufunc
'add'>"``), as in jax.numpy.  Calling one forwards straight to the function it wraps (bound
once, in ``__init__``), so a call costs one extra Python frame.  The methods:

* ``reduce`` / ``accumulate`` use fnx.numpy's reductions and cumulative scans where one exists
  (``add.reduce`` is ``sum``, ``maximum.accumulate`` is ``lax.cummax``...); any other binary
  ufunc is reduced by a pairwise tree of elementwise calls (O(log n) levels) where numpy calls
  it *reorderable* (``fmax``, ``hypot``, ``logaddexp``...), or folded left to right with
  ``lax.scan`` where order matters (``subtract``, ``power``...); accumulations likewise with
  ``lax.associative_scan`` / ``lax.scan``.  All of it traces, so grad / jit / vmap work.
* ``outer(a, b)``: ``f(a[..., None, ...], b)``.
* ``at(a, indices, b, inplace=False)``: functional ``ufunc.at`` (returns the updated array);
  repeated indices apply the ufunc once per occurrence, as numpy.  ``inplace=True`` (numpy's
  only mode) is an error: fnx arrays are immutable (as jax.numpy).
* ``reduceat`` on concrete indices.

Deviations from numpy, shared with jax.numpy: ``add`` / ``multiply`` reductions and
accumulations of bool and narrow integers accumulate in int32 / uint32 (``fnp.sum``'s rule,
numpy uses int64); ``at`` casts every update to ``a``'s dtype; no ``out=``.
"""
from __future__ import annotations

import builtins

import numpy as np

from .. import dtypes, lax
from ..core import ArrayBase, Tracer, concrete_or_error
from ..errors import DTypeError
from ..interpreters.partial_eval import ShapeDtypeStruct, make_jaxpr
from ..lax.scan_util import associative_scan
from . import _complex
from ._util import (asarray_arg, canonical_axes, canonical_axis, check_supported, full_scalar,
                    is_python_scalar, keep_dims, to_dtype)

__all__ = ["ufunc", "frompyfunc", "conjugate", "conj"]


def _no_out(where, out):
    if out is not None:
        raise NotImplementedError(f"{where}: out= is not supported (fnx arrays are immutable)")


class ufunc:
    """A numpy-style universal function wrapping the elementwise function ``func``.

    ``ufunc(func, nin, nout, *, name=None, nargs=None, identity=None, reorderable=False)``
    (jax.numpy.ufunc's signature; ``reorderable``, fnx's, says the operation is associative and
    commutative, so ``reduce`` may take several axes and combine in any order).
    """

    def __init__(self, func, /, nin, nout, *, name=None, nargs=None, identity=None,
                 reorderable=False, _fast=None):
        self._func = func
        self.nin = int(nin)
        self.nout = int(nout)
        self.nargs = int(nargs) if nargs is not None else self.nin + self.nout
        self.identity = identity
        self.reorderable = bool(reorderable)
        self.__name__ = name if name is not None else getattr(func, "__name__", "ufunc")
        self.__qualname__ = self.__name__
        self.__doc__ = getattr(func, "__doc__", None)
        self.__wrapped__ = func
        self._fast = _fast or {}          # method name -> fnx implementation
        self._result_dtypes: dict = {}   # input dtype -> dtype of func(x, x) (or an error)

    def __call__(self, *args, **kwargs):
        if kwargs:
            return self._call_with_keywords(args, kwargs)
        return self._func(*args)

    def _call_with_keywords(self, args, kwargs):
        out = kwargs.pop("out", None)
        where = kwargs.pop("where", None)
        if kwargs:
            raise TypeError(f"{self.__name__}: unexpected keyword arguments {sorted(kwargs)}")
        _no_out(self.__name__, out)
        if where is not None:
            raise NotImplementedError(f"{self.__name__}: where= is not supported in calls "
                                      "(use fnp.where on the result)")
        return self._func(*args)

    def __repr__(self):
        return f"<ufunc '{self.__name__}'>"

    # -- helpers ---------------------------------------------------------------------------

    def _binary_only(self, method):
        if self.nin != 2 or self.nout != 1:
            raise ValueError(f"{self.__name__}.{method}: only supported for binary functions "
                             f"with one output (this ufunc has nin={self.nin}, "
                             f"nout={self.nout})")

    def _result_dtype(self, dt):
        """The dtype of ``func(x, x)`` (``func(x)`` if unary) for ``x`` of dtype ``dt``, found
        by tracing (no data); the function's own error (naming it) where it rejects ``dt``."""
        got = self._result_dtypes.get(dt)
        if got is None:
            arg = ShapeDtypeStruct((), dt)
            _, shape = make_jaxpr(self._func, return_shape=True)(*(arg,) * self.nin)
            got = self._result_dtypes[dt] = shape.dtype
        return got

    def _loop_operand(self, method, a, dtype):
        """``a`` (array-like) converted to the dtype the reduction loop runs in: ``dtype`` if
        given, else ``func``'s result dtype when ``func`` keeps it (``divide`` of ints loops in
        float32); a TypeError naming the method where the result cannot feed back in
        (``less.reduce`` of ints: the bool result is no int)."""
        name = f"{self.__name__}.{method}"
        a = asarray_arg(name, a)
        if dtype is not None:
            a = to_dtype(a, check_supported(name, dtype))
        out = self._result_dtype(a.dtype)
        if out != a.dtype:
            if self._result_dtype(out) != out or not dtypes.is_inexact(out):
                raise DTypeError(f"{name}: the result dtype {out} of {self.__name__} on "
                                 f"{a.dtype} operands cannot be reduced (no {a.dtype} loop)")
            a = to_dtype(a, out)
        return a

    def _step(self, like):
        """``func`` with its result cast back to ``like``'s dtype (weak types in particular:
        a loop carry must keep its type)."""
        func, dt = self._func, like.dtype

        def step(x, y):
            r = func(x, y)
            if r.dtype != dt or r.weak_type:
                r = lax.convert_element_type(r, dt, weak_type=False)
            return r
        return step

    # -- reduce ----------------------------------------------------------------------------

    def reduce(self, a, axis=0, dtype=None, out=None, keepdims=False, initial=None,
               where=None):
        """Reduce ``a`` over ``axis`` (int, tuple or None: all axes) with this binary ufunc,
        as numpy's ``ufunc.reduce``.  An empty reduction gives ``initial`` or the identity (a
        ValueError where there is neither)."""
        name = f"{self.__name__}.reduce"
        self._binary_only("reduce")
        _no_out(name, out)
        fast = self._fast.get("reduce")
        a = asarray_arg(name, a)
        if a.ndim == 0 and not isinstance(axis, (tuple, list)) and axis in (0, -1):
            axes = ()  # numpy's legacy: a 0-d array reduces over axis 0 (to itself)
        else:
            axes = canonical_axes(name, axis, a.ndim)
        if len(axes) > 1 and not self.reorderable:
            raise ValueError(f"{name}: reduction operation '{self.__name__}' is not "
                             "reorderable, so at most one axis may be specified "
                             f"(got axis={axis})")
        if initial is None and self.identity is None:
            if where is not None:
                raise ValueError(f"{name}: reduction operation '{self.__name__}' does not have "
                                 "an identity, so to use a where mask one has to specify "
                                 "'initial'")
            if builtins.any(a.shape[i] == 0 for i in axes):
                raise ValueError(f"{name}: zero-size array (shape {tuple(a.shape)}) to "
                                 f"reduction operation {self.__name__} which has no identity")
        if fast is not None:
            self._result_dtype(a.dtype if dtype is None else check_supported(name, dtype))
            return fast(self, a, axes, dtype, keepdims, initial, where)
        a = self._loop_operand("reduce", a, dtype)
        if initial is None:
            initial = self.identity
        r = self._reduce_generic(a, axes, initial, where)
        return keep_dims(r, axes, a.ndim) if keepdims else r

    def _reduce_generic(self, a, axes, initial, where):
        ndim = a.ndim
        if not axes:  # numpy: f(initial, a) elementwise (masked: initial), or ``a`` itself
            if initial is None:
                return a
            start = full_scalar(initial, a.dtype, a.shape)
            r = self._step(a)(start, a)
            return r if where is None else _select(where, r, start)
        kept = [i for i in range(ndim) if i not in axes]
        rest = tuple(a.shape[i] for i in kept)
        n = int(np.prod([a.shape[i] for i in axes], dtype=np.int64))
        # the reduced axes, in order, flattened into one leading axis
        x = lax.reshape(lax.transpose(a, tuple(axes) + tuple(kept)), (n,) + rest)
        mask = None
        if where is not None:
            m = to_dtype(asarray_arg(f"{self.__name__}.reduce", where), dtypes.bool_)
            m = lax.broadcast_in_dim(m, a.shape, tuple(range(ndim - m.ndim, ndim))) \
                if tuple(m.shape) != tuple(a.shape) else m
            mask = lax.reshape(lax.transpose(m, tuple(axes) + tuple(kept)), (n,) + rest)
        start = None if initial is None else full_scalar(initial, a.dtype, rest)
        if self.reorderable and (mask is None or self.identity is not None):
            if mask is not None:
                x = lax.select(mask, x, full_scalar(self.identity, a.dtype, x.shape))
            if n == 0:
                return start
            r = _tree_reduce(self._step(a), x)
            return r if start is None else self._step(a)(start, r)
        return _fold(self._step(a), x, start, mask)

    # -- accumulate ------------------------------------------------------------------------

    def accumulate(self, a, axis=0, dtype=None, out=None):
        """Running ``reduce`` along one ``axis`` (``axis=None`` only for 1-d ``a``), as numpy's
        ``ufunc.accumulate``: ``add.accumulate`` is ``cumsum``."""
        name = f"{self.__name__}.accumulate"
        self._binary_only("accumulate")
        _no_out(name, out)
        a = asarray_arg(name, a)
        if a.ndim == 0:
            raise TypeError(f"{name}: cannot accumulate on a scalar (0-d array)")
        if axis is None or isinstance(axis, (tuple, list)):
            if a.ndim != 1 or (axis is not None and len(axis) != 1):
                raise ValueError(f"{name}: accumulate does not allow multiple axes "
                                 f"(got axis={axis} for shape {tuple(a.shape)})")
            axis = 0 if axis is None else axis[0]
        ax = canonical_axis(name, axis, a.ndim)
        fast = self._fast.get("accumulate")
        if fast is not None:
            self._result_dtype(a.dtype if dtype is None else check_supported(name, dtype))
            r = fast(self, a, ax, dtype)
            if r is not None:
                return r
        a = self._loop_operand("accumulate", a, dtype)
        if a.shape[ax] < 2:
            return a
        step = self._step(a)
        if self.reorderable:
            return associative_scan(step, a, axis=ax)
        x = _move_to_front(a, ax)

        def body(carry, xi):
            c = step(carry, xi)
            return c, c
        first = lax.squeeze(lax.slice_in_dim(x, 0, 1, 1, 0), (0,))
        _, ys = lax.scan(body, first, lax.slice_in_dim(x, 1, x.shape[0], 1, 0))
        ys = lax.concatenate([lax.expand_dims(first, (0,)), ys], 0)
        return _move_from_front(ys, ax)

    # -- outer -----------------------------------------------------------------------------

    def outer(self, a, b, /, **kwargs):
        """``r[i..., j...] = f(a[i...], b[j...])`` (numpy's ``ufunc.outer``)."""
        if self.nin != 2:
            raise ValueError(f"{self.__name__}.outer: outer product only supported for binary "
                             f"functions (this ufunc has nin={self.nin})")
        name = f"{self.__name__}.outer"
        if not is_python_scalar(a):
            a = asarray_arg(name, a)
        if not is_python_scalar(b):
            b = asarray_arg(name, b)
        nb = b.ndim if isinstance(b, ArrayBase) else 0
        if isinstance(a, ArrayBase) and nb:
            a = lax.reshape(a, tuple(a.shape) + (1,) * nb)
        return self(a, b, **kwargs)

    # -- at --------------------------------------------------------------------------------

    def at(self, a, indices, b=None, /, *, inplace=True):
        """``a`` with ``f`` applied at ``a[indices]`` (with ``b``'s values for a binary ufunc),
        once per occurrence of an index, as numpy's unbuffered ``ufunc.at``; functional: pass
        ``inplace=False`` and use the returned array.  Updates are cast to ``a``'s dtype (as
        ``a.at[...]``)."""
        name = f"{self.__name__}.at"
        if inplace:
            raise NotImplementedError(
                f"{name}: fnx arrays are immutable, so inplace=True (numpy's in-place update) "
                f"is not supported; use `a = fnp.{self.__name__}.at(a, indices"
                f"{', b' if self.nin == 2 else ''}, inplace=False)`")
        if self.nout != 1 or self.nin not in (1, 2):
            raise ValueError(f"{name}: only supported for unary and binary functions with one "
                             f"output (this ufunc has nin={self.nin}, nout={self.nout})")
        if (b is None) != (self.nin == 1):
            raise ValueError(f"{name}: {self.__name__} takes {self.nin} operand(s): "
                             + ("b is required" if self.nin == 2 else "b must be None"))
        a = asarray_arg(name, a)
        self._result_dtype(a.dtype)  # the function's own error where it rejects a's dtype
        _check_concrete_indices(name, tuple(a.shape), indices)
        fast = self._fast.get("at")
        if fast is not None and a.dtype != dtypes.bool_:
            return fast(self, a, indices, b)
        return _at_scan(self._func, name, a, indices, b)

    # -- reduceat --------------------------------------------------------------------------

    def reduceat(self, a, indices, axis=0, dtype=None, out=None):
        """numpy's ``ufunc.reduceat``: ``reduce(a[indices[i]:indices[i+1]])`` along ``axis``
        (``a[indices[i]]`` where ``indices[i] + 1 >= indices[i+1]``; the last one reduces to the
        end).  ``indices`` must be concrete (the slices' sizes depend on them)."""
        from ._manipulation import stack
        name = f"{self.__name__}.reduceat"
        self._binary_only("reduceat")
        _no_out(name, out)
        a = asarray_arg(name, a)
        ax = canonical_axis(name, axis, a.ndim)
        idx = np.asarray(concrete_or_error(
            indices, f"{name}: indices set the sizes of the reduced slices, so they must be concrete"))
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise TypeError(f"{name}: indices must be a 1-d sequence of integers, got "
                            f"{idx.dtype} of shape {idx.shape}")
        n = a.shape[ax]
        for i in idx:
            if not 0 <= i < n:
                raise IndexError(f"{name}: index {int(i)} out-of-bounds [0, {n})")
        parts = []
        for k, s in enumerate(idx.tolist()):
            e = idx[k + 1].item() if k + 1 < len(idx) else n
            if e - s > 1:  # numpy copies a one-element slice (hypot: no |x| from identity 0)
                parts.append(self.reduce(lax.slice_in_dim(a, s, e, 1, ax), ax, dtype))
            else:
                one = lax.squeeze(lax.slice_in_dim(a, s, s + 1, 1, ax), (ax,))
                parts.append(one)
        # the dtype of reduce on a slice (a single-element part is cast to it)
        one = ShapeDtypeStruct(tuple(a.shape[:ax]) + (1,) + tuple(a.shape[ax + 1:]), a.dtype)
        _, like = make_jaxpr(lambda t: self.reduce(t, ax, dtype), return_shape=True)(one)
        if not parts:
            return full_scalar(0, like.dtype, a.shape[:ax] + (0,) + a.shape[ax + 1:])
        return stack([to_dtype(p, like.dtype) for p in parts], axis=ax)


# ---------------------------------------------------------------------------------------------
# The loops
# ---------------------------------------------------------------------------------------------

def _select(mask, x, y):
    m = to_dtype(asarray_arg("where", mask), dtypes.bool_)
    if tuple(m.shape) != tuple(x.shape):
        m = lax.broadcast_in_dim(m, tuple(x.shape), tuple(range(x.ndim - m.ndim, x.ndim)))
    return lax.select(m, x, y)


def _tree_reduce(step, x):
    """Combine ``x``'s leading axis pairwise (n -> ceil(n/2) -> ... -> 1); ``x`` non-empty."""
    n = x.shape[0]
    while n > 1:
        h = n // 2
        y = step(lax.slice_in_dim(x, 0, h, 1, 0), lax.slice_in_dim(x, h, 2 * h, 1, 0))
        if n % 2:
            y = lax.concatenate([y, lax.slice_in_dim(x, 2 * h, n, 1, 0)], 0)
        x, n = y, h + n % 2
    return lax.squeeze(x, (0,))


def _fold(step, x, start, mask):
    """Left fold of ``x``'s leading axis: ``step(...step(step(start, x0), x1)..., x_{n-1})``
    (``start`` None: from ``x0``); entries whose ``mask`` is False are skipped."""
    n = x.shape[0]
    if start is None:
        start = lax.squeeze(lax.slice_in_dim(x, 0, 1, 1, 0), (0,))
        x = lax.slice_in_dim(x, 1, n, 1, 0)
        mask = None if mask is None else lax.slice_in_dim(mask, 1, n, 1, 0)
        n -= 1
    if n == 0:
        return start
    if mask is None:
        return lax.scan(lambda c, xi: (step(c, xi), None), start, x)[0]

    def body(c, xm):
        xi, mi = xm
        return lax.select(mi, step(c, xi), c), None
    return lax.scan(body, start, (x, mask))[0]


def _move_to_front(x, ax):
    if ax == 0:
        return x
    perm = (ax,) + tuple(i for i in range(x.ndim) if i != ax)
    return lax.transpose(x, perm)


def _move_from_front(x, ax):
    if ax == 0:
        return x
    perm = tuple(range(1, ax + 1)) + (0,) + tuple(range(ax + 1, x.ndim))
    return lax.transpose(x, perm)


def _check_concrete_indices(name, shape, indices):
    """numpy's IndexError for concrete out-of-range indices (``a.at[...]`` would drop or clamp
    them silently); traced indices are left to the update's own rules."""
    parts = indices if isinstance(indices, tuple) else (indices,)
    host = []
    for p in parts:
        if isinstance(p, Tracer):
            return
        if isinstance(p, ArrayBase):
            p = np.asarray(p._value)
        host.append(p)
    probe = np.broadcast_to(np.zeros((), np.int8), shape)  # no memory of a's size
    try:
        probe[tuple(host) if isinstance(indices, tuple) else host[0]]
    except IndexError as e:
        raise IndexError(f"{name}: {e}") from None


def _at_scan(func, name, a, indices, b):
    """numpy's unbuffered ``at``: the positions ``a[indices]`` names (flat, in order) updated
    one at a time with ``lax.scan``, so repeated indices see earlier updates."""
    from ._creation import arange
    positions = arange(a.size, dtype=dtypes.int32 if a.size < 2**31 else dtypes.int64)
    positions = lax.reshape(positions, tuple(a.shape))[indices]
    pos = lax.reshape(positions, (positions.size,))
    flat = lax.reshape(a, (a.size,))
    if pos.shape[0] == 0:
        return a
    dt = a.dtype

    def update(c, p, *v):
        old = lax.dynamic_slice(c, (p,), (1,))
        new = func(old, *v)
        new = lax.convert_element_type(new, dt, weak_type=False) \
            if new.dtype != dt or new.weak_type else new
        return lax.dynamic_update_slice(c, new, (p,))

    if b is None:
        out = lax.scan(lambda c, p: (update(c, p), None), flat, pos)[0]
    else:
        b = asarray_arg(name, b)
        from ._util import broadcast_shapes_named, broadcast_to_shape
        shape = tuple(positions.shape)
        if broadcast_shapes_named(name, tuple(b.shape), shape) != shape:
            raise ValueError(f"{name}: b of shape {tuple(b.shape)} does not broadcast to the "
                             f"indexed shape {shape}")
        bv = lax.reshape(broadcast_to_shape(b, shape), (pos.shape[0], 1))
        out = lax.scan(lambda c, pv: (update(c, pv[0], pv[1]), None), flat, (pos, bv))[0]
    return lax.reshape(out, tuple(a.shape))


def frompyfunc(func, /, nin, nout, *, identity=None):
    """A :class:`ufunc` from an elementwise Python function written with fnx.numpy / fnx.lax
    (as ``jax.numpy.frompyfunc``): its ``reduce`` / ``accumulate`` fold left to right."""
    return ufunc(func, nin, nout, identity=identity)


conjugate = ufunc(_complex.conjugate, 1, 1, name="conjugate")
conj = conjugate


# ---------------------------------------------------------------------------------------------
# Fast paths: fnx.numpy's reductions / scans / scatters where one computes the method
# ---------------------------------------------------------------------------------------------

def _reduce_sum(u, a, axes, dtype, keepdims, initial, where):
    from ._reductions import sum
    return sum(a, axes, dtype=dtype, keepdims=keepdims, initial=initial, where=where)


def _reduce_prod(u, a, axes, dtype, keepdims, initial, where):
    from ._reductions import prod
    return prod(a, axes, dtype=dtype, keepdims=keepdims, initial=initial, where=where)


def _reduce_minmax(which):
    def fast(u, a, axes, dtype, keepdims, initial, where):
        from . import _reductions
        if dtype is not None:
            a = to_dtype(a, check_supported(f"{u.__name__}.reduce", dtype))
        return getattr(_reductions, which)(a, axes, keepdims=keepdims, initial=initial,
                                           where=where)
    return fast


def _reduce_logical(which):
    """all / any of the truth values (numpy's logical_and / logical_or reduce any dtype to
    bool); ``initial`` combined last."""
    def fast(u, a, axes, dtype, keepdims, initial, where):
        from . import _reductions
        r = getattr(_reductions, which)(a, axes, keepdims=keepdims, where=where)
        return r if initial is None else u._func(r, bool(initial))
    return fast


def _reduce_logical_xor(u, a, axes, dtype, keepdims, initial, where):
    a = to_dtype(a, dtypes.bool_)
    r = u._reduce_generic(a, axes, False if initial is None else bool(initial), where)
    return keep_dims(r, axes, a.ndim) if keepdims else r


def _all_ones(dt):
    return True if dt.kind == "b" else (np.iinfo(dt).max if dt.kind == "u" else -1)


def _reduce_bitwise(prim_fn, ident_fn):
    def fast(u, a, axes, dtype, keepdims, initial, where):
        if dtype is not None:
            a = to_dtype(a, check_supported(f"{u.__name__}.reduce", dtype))
        if where is not None:
            a = _select(where, a, full_scalar(ident_fn(a.dtype), a.dtype, a.shape))
        r = prim_fn(a, axes) if axes else a
        if initial is not None:
            r = u._func(r, full_scalar(initial, a.dtype))
        return keep_dims(r, axes, a.ndim) if keepdims else r
    return fast


def _accumulate_cumulative(fn_name):
    def fast(u, a, ax, dtype):
        from . import _reductions
        return getattr(_reductions, fn_name)(a, ax, dtype)
    return fast


def _accumulate_lax(lax_fn):
    """lax.cummax / cummin on real numbers (bool and complex: the generic scan)."""
    def fast(u, a, ax, dtype):
        if dtype is not None:
            a = to_dtype(a, check_supported(f"{u.__name__}.accumulate", dtype))
        if a.dtype.kind not in "iuf":
            return None
        return lax_fn(a, ax)
    return fast


def _accumulate_bool(u, a, ax, dtype):
    a = to_dtype(a, dtypes.bool_)
    return a if a.shape[ax] < 2 else associative_scan(u._step(a), a, axis=ax)


def _at_indexed(method):
    """``a.at[indices].<method>(b)`` where ``b`` already has ``a``'s dtype (else the generic
    scan, which casts each result as numpy does)."""
    def fast(u, a, indices, b):
        name = f"{u.__name__}.at"
        b = asarray_arg(name, b)
        if dtypes.result_type(a, b) != a.dtype:
            return _at_scan(u._func, name, a, indices, b)
        return getattr(a.at[indices], method)(b)
    return fast


_FAST = {
    "add": {"reduce": _reduce_sum, "accumulate": _accumulate_cumulative("cumsum"),
            "at": _at_indexed("add")},
    "multiply": {"reduce": _reduce_prod, "accumulate": _accumulate_cumulative("cumprod"),
                 "at": _at_indexed("multiply")},
    "maximum": {"reduce": _reduce_minmax("max"), "accumulate": _accumulate_lax(lax.cummax)},
    "minimum": {"reduce": _reduce_minmax("min"), "accumulate": _accumulate_lax(lax.cummin)},
    "logical_and": {"reduce": _reduce_logical("all"), "accumulate": _accumulate_bool},
    "logical_or": {"reduce": _reduce_logical("any"), "accumulate": _accumulate_bool},
    "logical_xor": {"reduce": _reduce_logical_xor, "accumulate": _accumulate_bool},
    "bitwise_and": {"reduce": _reduce_bitwise(lax.reduce_and, _all_ones)},
    "bitwise_or": {"reduce": _reduce_bitwise(lax.reduce_or, lambda dt: 0)},
}

# binary ufuncs: name -> (identity, reorderable), numpy's values
_BINARY = {
    "add": (0, True), "multiply": (1, True), "maximum": (None, True),
    "minimum": (None, True), "fmax": (None, True), "fmin": (None, True), "hypot": (0, True),
    "logaddexp": (-np.inf, True), "logaddexp2": (-np.inf, True),
    "logical_and": (True, True), "logical_or": (False, True), "logical_xor": (False, True),
    "bitwise_and": (-1, True), "bitwise_or": (0, True), "bitwise_xor": (0, True),
    "subtract": (None, False), "true_divide": (None, False), "floor_divide": (None, False),
    "remainder": (None, False), "fmod": (None, False), "power": (None, False),
    "float_power": (None, False), "arctan2": (None, False), "copysign": (None, False),
    "nextafter": (None, False), "heaviside": (None, False), "left_shift": (None, False),
    "right_shift": (None, False), "equal": (None, False), "not_equal": (None, False),
    "less": (None, False), "less_equal": (None, False), "greater": (None, False),
    "greater_equal": (None, False),
}
# fnx.numpy's other names of the functions above (one object each: fnp.mod is fnp.remainder)
_ALIASES = ("divide", "mod", "pow", "abs", "atan2", "bitwise_left_shift", "bitwise_right_shift",
            "invert", "bitwise_invert", "asin", "acos", "atan", "asinh", "acosh", "atanh",
            "radians", "degrees")
_UNARY = (
    "negative", "positive", "absolute", "fabs", "sign", "exp", "expm1", "exp2", "log", "log1p",
    "log2", "log10", "sqrt", "cbrt", "square", "reciprocal", "sin", "cos", "tan", "arcsin",
    "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "deg2rad",
    "rad2deg", "floor", "ceil", "trunc", "rint", "logical_not", "bitwise_not", "isnan",
    "isinf", "isfinite", "signbit",
)


def _numpy_name(name):
    """numpy's ``__name__`` for the function fnx.numpy calls ``name`` (``np.mod.__name__`` is
    "remainder", ``np.true_divide.__name__`` "divide")."""
    return getattr(getattr(np, name, None), "__name__", name)


def _make(key, func):
    name = _numpy_name(key)
    if key in _BINARY:
        identity, reorderable = _BINARY[key]
        identity, reorderable = _BINARY[key]
        return ufunc(func, 2, 1, name=name, identity=identity, reorderable=reorderable,
                     _fast=_FAST.get(key))
    if key == "divmod":
        return ufunc(func, 2, 2, name=name)
    return ufunc(func, 1, 1, name=name)


def install(namespace: dict) -> None:
    """Replace the functions in ``namespace`` (fnx.numpy._ufuncs' globals) that are ufuncs in
    numpy by :class:`ufunc` objects wrapping them, in place: aliases stay one object
    (``fnp.mod is fnp.remainder``), and every user of ``_ufuncs.<name>`` sees the object."""
    made: dict = {}
    names = list(_BINARY) + list(_UNARY) + ["divmod"] + list(_ALIASES)
    for name in names:
        func = namespace.get(name)
        if func is None or isinstance(func, ufunc):
            continue
        obj = made.get(id(func))
        if obj is None:
            obj = made[id(func)] = _make(name, func)
        namespace[name] = obj


def unwrap_methods(methods: dict) -> None:
    """Array methods given as ufunc objects (``__neg__``: ``negative``) -> the functions they
    wrap, in place: a ufunc, like numpy's, is no descriptor, so it would not bind ``self``."""
    for key, fn in methods.items():
        if isinstance(fn, ufunc):
            methods[key] = fn._func
