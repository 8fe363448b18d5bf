"""Host callbacks: Python functions called from inside transformed and compiled fnx code.

* ``pure_callback(callback, result_shape_dtypes, *args, vmap_method=...)`` (``jax.pure_callback``)
  calls a numpy function whose results the program uses.  It is pure: jit may drop it when its
  results are unused, merge two identical calls, and vmap calls it as ``vmap_method`` says.
  It is not differentiable (as in JAX): give it a ``custom_jvp`` / ``custom_vjp``.
* ``debug_callback(callback, *args)`` (``fnx.debug.callback``) calls a function for its effect
  (printing, logging) and returns nothing.  Its primitive is *effectful*, so the compiler keeps
  it although nothing uses it, keeps each occurrence, and never runs it at compile time; under
  grad it sees the primal values, under vmap it is called once per example.

Both are primitives without a fusion kind, so under ``jit`` they become a ``PyStep``: the
generated C stops, Python calls the function on numpy copies of the operands, and the next
native segment goes on.  Inside ``scan`` / ``while_loop`` bodies they run once per iteration.
"""
from __future__ import annotations

import numpy as np

from . import dtypes, numpy as fnp, placement, tree
from .core import Array, ArrayBase, Primitive, ShapedArray, bind
from .errors import AutodiffError, FnxError
from .interpreters import ad, batching
from .lax import shape as lax_shape
from .lax._loop_helpers import map as lax_map
from .lax._in_dim import index_in_dim


class _HostFunction:
    """A Python callable as a primitive param: hashed and compared by identity (functions may
    be unhashable closures; two separate callbacks are never the same equation)."""

    __slots__ = ("fn", "name")

    def __init__(self, fn, name: str):
        self.fn = fn
        self.name = name

    def __call__(self, *args):
        return self.fn(*args)

    def __repr__(self):
        return self.name

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other


def _callable_name(fn) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


def _host_value(x):
    """The numpy value a callback receives for an operand (a copy for device arrays)."""
    return np.asarray(x)


def _is_dynamic(x) -> bool:
    """Whether a callback argument travels as an operand (arrays and numbers) rather than
    staying a static Python value closed over by the host function (strings, None, objects)."""
    return isinstance(x, (ArrayBase, np.ndarray, np.generic, bool, int, float, complex))


def _split_arguments(op: str, args, kwargs):
    """The operands (fnx values) of a callback call, and a function rebuilding ``(args,
    kwargs)`` from their host values."""
    leaves, in_tree = tree.flatten((args, kwargs))
    dynamic = [i for i, x in enumerate(leaves) if _is_dynamic(x)]
    operands = [_operand(op, leaves[i]) for i in dynamic]

    def rebuild(host_values):
        full = list(leaves)
        for i, v in zip(dynamic, host_values):
            full[i] = v
        return tree.unflatten(in_tree, full)
    return operands, rebuild


def _operand(op: str, x):
    if isinstance(x, ArrayBase):
        return x
    try:
        return fnp.asarray(x)
    except Exception as err:  # noqa: BLE001 -- re-raised with the operation's name
        raise TypeError(f"{op}: cannot pass {type(x).__name__} to the callback as an "
                        "array") from err


def _flat_host_function(op: str, callback, rebuild, out_tree=None) -> _HostFunction:
    """``callback(*args, **kwargs)`` as a function of the flat operand list that returns the
    flat list of results (checked against ``out_tree`` when given)."""
    def flat(*operands):
        args, kwargs = rebuild([_host_value(x) for x in operands])
        result = callback(*args, **kwargs)
        if out_tree is None:
            return []
        leaves_out, tree_out = tree.flatten(result)
        if tree_out != out_tree:
            raise FnxError(f"{op}: the callback {_callable_name(callback)} returned a result "
                           f"of structure {tree_out}, but result_shape_dtypes has {out_tree}")
        return leaves_out
    return _HostFunction(flat, _callable_name(callback))


# ---------------------------------------------------------------------------------------------
# pure_callback
# ---------------------------------------------------------------------------------------------

VMAP_METHODS = ("sequential", "sequential_unrolled", "expand_dims", "broadcast_all")

pure_callback_p = Primitive("pure_callback", multiple_results=True)


@pure_callback_p.def_abstract_eval
def _pure_callback_abstract_eval(*avals, callback, result_avals, vmap_method):
    return list(result_avals)


def _to_result(op: str, value, aval: ShapedArray, index: int) -> Array:
    """A callback's result as an Array of exactly ``aval`` (a clear error otherwise: a wrong
    shape or dtype would silently corrupt the compiled program that trusted the declaration)."""
    if isinstance(value, (bool, int, float, complex)):
        value = np.asarray(value, aval.dtype)   # a Python scalar takes the declared dtype
    host = np.asarray(value)
    if host.shape != tuple(aval.shape) or dtypes.canonicalize(host.dtype) != aval.dtype:
        raise FnxError(
            f"{op}: result {index} of the callback is {host.dtype}{list(host.shape)}, but "
            f"result_shape_dtypes declares {aval.str_short()}")
    # a copy: the callback may keep and later write to the array it returned
    return Array(np.array(host, dtype=aval.dtype, order="C"))


@pure_callback_p.def_impl
def _pure_callback_impl(*args, callback, result_avals, vmap_method):
    results = callback(*args)
    if len(results) != len(result_avals):
        raise FnxError(f"pure_callback: the callback {callback} returned {len(results)} "
                       f"arrays, result_shape_dtypes declares {len(result_avals)}")
    outs = [_to_result("pure_callback", r, a, i)
            for i, (r, a) in enumerate(zip(results, result_avals))]
    return _on_device_of(args, outs)


def _on_device_of(args, outs):
    """``outs`` moved to the device of the first device-array operand (the callback's results
    belong where its operands were: a GPU program goes on on the GPU)."""
    for a in args:
        if type(a) is not Array and isinstance(a, Array):
            return [placement.device_put(o, a.device) for o in outs]
    return outs


def _pure_callback_jvp(primals, tangents, *, callback, **params):
    if any(not isinstance(t, ad.Zero) for t in tangents):
        raise AutodiffError(
            f"pure_callback: the callback {callback} cannot be differentiated (fnx cannot see "
            "inside Python code); wrap the function that calls it in fnx.custom_jvp or "
            "fnx.custom_vjp")
    outs = pure_callback_p.bind(*primals, callback=callback, **params)
    return outs, [ad.Zero.from_value(o) for o in outs]


ad.jvp_rules[pure_callback_p] = _pure_callback_jvp


def _batched_avals(result_avals, axis_size):
    return tuple(ShapedArray((axis_size, *a.shape), a.dtype) for a in result_avals)


def _pure_callback_batch(axis_size, args, dims, *, callback, result_avals, vmap_method):
    params = dict(callback=callback, result_avals=result_avals, vmap_method=vmap_method)
    if vmap_method in ("expand_dims", "broadcast_all"):
        # one call on the whole batch, batch axis first; unbatched operands get a size-1
        # axis (expand_dims) or the full batch (broadcast_all), as numpy broadcasting expects
        ops = []
        for x, d in zip(args, dims):
            if d is not None:
                ops.append(batching.move_to(x, d, axis_size, 0))
            elif vmap_method == "expand_dims":
                ops.append(lax_shape.expand_dims(x, (0,)))
            else:
                ops.append(batching.move_to(x, None, axis_size, 0))
        outs = pure_callback_p.bind(*ops, callback=callback, vmap_method=vmap_method,
                                    result_avals=_batched_avals(result_avals, axis_size))
        return outs, [0] * len(outs)
    batched = [i for i, d in enumerate(dims) if d is not None]

    def one_example(slices):
        ops = list(args)
        for i, s in zip(batched, slices):
            ops[i] = s
        return pure_callback_p.bind(*ops, **params)

    slices = [batching.move_to(args[i], dims[i], axis_size, 0) for i in batched]
    if vmap_method == "sequential_unrolled":
        per_example = [one_example([s[k] for s in slices]) for k in range(axis_size)]
        outs = [lax_shape.concatenate([lax_shape.expand_dims(ex[j], (0,))
                                       for ex in per_example], 0)
                for j in range(len(result_avals))]
    else:   # "sequential": one call per example inside a loop (lax.map)
        outs = lax_map(one_example, slices)
    return list(outs), [0] * len(result_avals)


batching.batching_rules[pure_callback_p] = _pure_callback_batch


def _result_avals(op: str, result_shape_dtypes):
    leaves, out_tree = tree.flatten(result_shape_dtypes)
    avals = []
    for leaf in leaves:
        shape, dtype = getattr(leaf, "shape", None), getattr(leaf, "dtype", None)
        if shape is None or dtype is None:
            raise FnxError(f"{op}: result_shape_dtypes leaves must have .shape and .dtype "
                           f"(fnx.ShapeDtypeStruct, an array), got {type(leaf).__name__}")
        avals.append(ShapedArray(tuple(int(n) for n in shape), dtypes.canonicalize(dtype)))
    return tuple(avals), out_tree


def pure_callback(callback, result_shape_dtypes, *args, sharding=None, vmap_method=None,
                  vectorized=None, **kwargs):
    """Call the Python function ``callback(*args, **kwargs)`` (it gets numpy arrays and returns
    numpy arrays or scalars) from inside fnx code, as ``jax.pure_callback``.

    ``result_shape_dtypes``: a pytree of ``fnx.ShapeDtypeStruct`` (or arrays) with the shapes
    and dtypes the callback returns; a result that differs raises.  Under ``vmap``,
    ``vmap_method`` says how the callback sees a batch: ``"sequential"`` (the default: one call
    per example in a loop), ``"sequential_unrolled"`` (the same, unrolled), ``"expand_dims"``
    (one call, batch axis first, unbatched operands with a size-1 axis; also
    ``vectorized=True``), ``"broadcast_all"`` (one call, every operand broadcast to the batch).
    Not differentiable: use ``fnx.custom_jvp`` / ``custom_vjp`` around it."""
    if not callable(callback):
        raise TypeError(f"pure_callback: callback must be callable, got {type(callback).__name__}")
    if vmap_method is None:
        vmap_method = "expand_dims" if vectorized else "sequential"
    elif vectorized is not None:
        raise ValueError("pure_callback: give vmap_method or the older vectorized, not both")
    if vmap_method not in VMAP_METHODS:
        raise ValueError(f"pure_callback: vmap_method must be one of {VMAP_METHODS}, "
                         f"got {vmap_method!r}")
    del sharding  # one device per computation: nothing to place
    result_avals, out_tree = _result_avals("pure_callback", result_shape_dtypes)
    operands, rebuild = _split_arguments("pure_callback", args, kwargs)
    host = _flat_host_function("pure_callback", callback, rebuild, out_tree)
    outs = bind(pure_callback_p, *operands, callback=host, result_avals=result_avals,
                vmap_method=vmap_method)
    return tree.unflatten(out_tree, outs)


# ---------------------------------------------------------------------------------------------
# debug_callback (fnx.debug.callback / fnx.debug.print)
# ---------------------------------------------------------------------------------------------

debug_callback_p = Primitive("debug_callback", multiple_results=True, effectful=True)


@debug_callback_p.def_abstract_eval
def _debug_callback_abstract_eval(*avals, callback, ordered):
    return []


@debug_callback_p.def_impl
def _debug_callback_impl(*args, callback, ordered):
    callback(*args)
    return []


def _debug_callback_jvp(primals, tangents, **params):
    # the callback sees the primal values; it has no results, so no tangents
    return debug_callback_p.bind(*primals, **params), []


ad.jvp_rules[debug_callback_p] = _debug_callback_jvp


def _debug_callback_batch(axis_size, args, dims, **params):
    # one call per example, in order, as jax.debug.callback does under vmap
    for k in range(axis_size):
        example = [x if d is None else index_in_dim(x, k, d, keepdims=False)
                   for x, d in zip(args, dims)]
        debug_callback_p.bind(*example, **params)
    return [], []


batching.batching_rules[debug_callback_p] = _debug_callback_batch


def debug_callback(callback, *args, ordered: bool = False, **kwargs) -> None:
    """Call ``callback(*args, **kwargs)`` (numpy values) for its effect, from anywhere: eager,
    jit, vmap (once per example), grad (on the primal values), scan / while bodies (once per
    iteration).  fnx runs a program's callbacks in program order, so ``ordered`` holds always."""
    if not callable(callback):
        raise TypeError(f"debug.callback: callback must be callable, got "
                        f"{type(callback).__name__}")
    operands, rebuild = _split_arguments("debug.callback", args, kwargs)
    host = _flat_host_function("debug.callback", callback, rebuild)
    bind(debug_callback_p, *operands, callback=host, ordered=bool(ordered))
