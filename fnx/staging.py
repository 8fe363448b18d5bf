"""``fnx.jit``: trace a function once per input signature, compile it, call it natively.

A jitted function keeps a cache keyed on everything that changes the traced program: the
pytree structure of the arguments, each leaf's shape / dtype / weak type, and the values of the
static arguments.  A hit skips Python tracing entirely: the arguments are flattened and handed
to the compiled executable (or, under another transformation, bound as a ``jit_p`` equation so
that transformation's rule applies).
"""
from __future__ import annotations

import functools
import inspect
import logging
import math
import operator
import threading
import weakref
from contextlib import contextmanager

from . import backends
from . import tree as tree_util
from .compiler.cuda_executable import cuda_executable_for
from .config import config
from .core import (Array, Eqn, Fusion, Jaxpr, Primitive, Tracer, Var, _eager, _trace_state,
                   asarray_concrete, eval_jaxpr, get_aval, raise_to_shaped)
from .errors import InvalidArgumentError
from .interpreters import ad, batching, partial_eval
from .interpreters.ad import (UndefinedPrimal, Zero, backward_pass, instantiate_zeros, is_undefined,
                              jvp_flat)
from .interpreters.batching import batch_flat_keep_unbatched
from .interpreters.partial_eval import partial_eval_jaxpr, stage_eqn, trace_open

log = logging.getLogger("fnx.jit")


class _CacheEntry:
    __slots__ = ("jaxpr", "consts", "out_tree", "donated", "executable", "cacheable")

    def __init__(self, jaxpr, consts, out_tree, donated):
        self.jaxpr = jaxpr
        self.consts = consts
        self.out_tree = out_tree
        self.donated = donated
        self.executable = None
        self.cacheable = True


# Every Jitted alive, for clear_caches.  The hot path reads one list: _checked_calls[0] is True
# while a disable_jit block is active or the debug_nans / debug_infs flags are on (a
# thread-local attribute would cost ~30 ns more per call); those calls take _checked_call.
_all_jitted: "weakref.WeakSet[Jitted]" = weakref.WeakSet()
_jit_disabled = [0]                 # how many disable_jit blocks are active
_jit_disabled_lock = threading.Lock()
_checked_calls = [False]


def _update_checked_calls(_value=None):
    _checked_calls[0] = bool(_jit_disabled[0] or config.debug_nans or config.debug_infs)


config.on_change("debug_nans", _update_checked_calls)
config.on_change("debug_infs", _update_checked_calls)


@contextmanager
def disable_jit(disable: bool = True):
    """Inside the block, jitted functions run their Python code op by op instead of compiling
    (``print`` shows values, a debugger can step through them), as ``jax.disable_jit``.
    Process-wide: every thread's jitted calls are affected while a block is active."""
    step = 1 if disable else 0
    with _jit_disabled_lock:
        _jit_disabled[0] += step
        _update_checked_calls()
    try:
        yield
    finally:
        with _jit_disabled_lock:
            _jit_disabled[0] -= step
            _update_checked_calls()


def _checked_call(jitted: "Jitted", args, kwargs):
    """A jitted call while disable_jit or a debug flag is active: the Python function op by op
    (disable_jit), or the compiled call with its outputs checked; a NaN / inf output re-runs the
    function op by op, where the checking kernels name the primitive that made it (as JAX)."""
    if _jit_disabled[0]:
        return jitted.fun(*args, **kwargs)
    out = jitted._call(args, kwargs)
    if not (_eager[0] or _trace_state.eager):
        return out      # traced values: checked where they are computed
    kind = backends.bad_float_kind(tree_util.leaves(out))
    if kind is None:
        return out
    with disable_jit():
        jitted.fun(*args, **kwargs)     # raises FloatingPointError at the primitive
    raise FloatingPointError(f"invalid value ({kind}) in the output of jit({jitted.name}); "
                             "running it op by op did not reproduce it")


def clear_caches() -> None:
    """Forget every jitted function's traced jaxprs and compiled executables (memory; the next
    call traces and compiles again -- the compiled C libraries stay in the disk cache)."""
    for jitted in list(_all_jitted):
        jitted._cache.clear()
        jitted._by_signature.clear()
        jitted._last_signature = None


class Jitted:
    """The callable returned by ``fnx.jit``; also offers ``lower(*args)``."""

    def __init__(self, fun, static_argnums=(), static_argnames=(), donate_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.name = getattr(fun, "__name__", "function")
        self._param_names = _positional_names(fun)
        nums = _as_tuple(static_argnums, "static_argnums")
        names = _as_names(static_argnames)
        # as in JAX, a static argument is static however it is passed: by position or name
        self.static_argnums = tuple(sorted(set(nums) | {
            self._param_names.index(n) for n in names if n in self._param_names}))
        self.static_argnames = tuple(sorted(set(names) | {
            self._param_names[i] for i in nums if 0 <= i < len(self._param_names)}))
        self.donate_argnums = _as_tuple(donate_argnums, "donate_argnums")
        self._cache: dict = {}
        self._by_signature: dict = {}   # shapes/dtypes/weak types of all-Array calls -> entry
        self._last_signature = None
        _all_jitted.add(self)

    def __get__(self, obj, objtype=None):
        # decorating a method: bind like a function would
        return self if obj is None else functools.partial(self, obj)

    # -- calling --------------------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        if _checked_calls[0]:
            return _checked_call(self, args, kwargs)
        return self._call(args, kwargs)

    def _call(self, args, kwargs):
        if not kwargs and (_eager[0] or _trace_state.eager):
            # the hot path: positional Array arguments, no transformation active
            key = _array_signature(args)
            entry = self._by_signature.get(key) if key is not None else None
            if entry is not None:
                exe = entry.executable
                if exe is None:
                    exe = entry.executable = executable_for(entry.jaxpr, entry.donated, args)
                return tree_util.unflatten(entry.out_tree, exe(entry.consts + list(args)))
        entry, leaves = self._lookup(args, kwargs)
        if not kwargs and not self.static_argnums and entry.cacheable:
            key = _array_signature(args)
            if key is not None:
                self._by_signature[key] = entry
        operands = entry.consts + leaves
        if (_eager[0] or _trace_state.eager) and all(type(x) is Array for x in leaves):
            exe = entry.executable
            if exe is None:
                exe = entry.executable = executable_for(entry.jaxpr, entry.donated, leaves)
            outs = exe(operands)
        else:
            outs = jit_p.bind(*operands, jaxpr=entry.jaxpr, name=self.name,
                              donated=entry.donated)
        return tree_util.unflatten(entry.out_tree, outs)

    def _lookup(self, args, kwargs):
        statics, dyn_args, dyn_kwargs = self._split_static(args, kwargs)
        leaves, in_tree = tree_util.flatten((dyn_args, dyn_kwargs))
        leaves = [x if isinstance(x, (Array, Tracer)) else asarray_concrete(x) for x in leaves]
        key = (in_tree, _leaf_signature(leaves), statics, _static_tags(statics))
        entry = self._cache.get(key)
        if entry is None:
            avals = tuple(raise_to_shaped(get_aval(x)) for x in leaves)
            entry = self._trace(args, kwargs, statics, in_tree, avals, key)
            # closing over an enclosing transformation's tracer ties the trace to this one call
            entry.cacheable = not any(isinstance(c, Tracer) for c in entry.consts)
            if entry.cacheable:
                self._cache[key] = entry
        return entry, leaves

    def _split_static(self, args, kwargs):
        nargs = len(args)
        nums = set()
        for i in self.static_argnums:
            if nargs <= i < len(self._param_names):
                continue    # that parameter was passed by keyword (or left at its default)
            if not -nargs <= i < nargs:
                raise InvalidArgumentError(
                    f"jit({self.name}): static_argnums {self.static_argnums} is out of range for "
                    f"a call with {nargs} positional argument(s)")
            nums.add(i % nargs)
        statics = []
        for i in sorted(nums):
            statics.append((i, _hashable_static(self.name, f"argument {i}", args[i])))
        for k in sorted(self.static_argnames):
            if k in kwargs:
                statics.append((k, _hashable_static(self.name, f"argument {k!r}", kwargs[k])))
        dyn_args = tuple(a for i, a in enumerate(args) if i not in nums)
        dyn_kwargs = {k: v for k, v in kwargs.items() if k not in self.static_argnames}
        return tuple(statics), dyn_args, dyn_kwargs

    # -- tracing --------------------------------------------------------------------------------

    def _trace(self, args, kwargs, statics, in_tree, avals, key):
        static_pos = dict((i, v) for i, v in statics if isinstance(i, int))
        static_kw = dict((k, v) for k, v in statics if isinstance(k, str))
        out_tree_box = []
        nargs = len(args)

        def flat_fun(*leaves):
            dyn_args, dyn_kwargs = tree_util.unflatten(in_tree, list(leaves))
            it = iter(dyn_args)
            full = [static_pos[i] if i in static_pos else next(it) for i in range(nargs)]
            out = self.fun(*full, **dyn_kwargs, **static_kw)
            out_leaves, out_tree = tree_util.flatten(out)
            out_tree_box.append(out_tree)
            return [x if isinstance(x, (Array, Tracer)) else asarray_concrete(x)
                    for x in out_leaves]

        names = self._leaf_names(in_tree, statics, nargs)
        self._log_compile(key, names)
        jaxpr, consts = trace_open(flat_fun, avals, arg_names=names, name=f"jit({self.name})")
        donated = (False,) * len(consts) + self._donated_leaves(in_tree, statics, nargs)
        return _CacheEntry(jaxpr, consts, out_tree_box[0], donated)

    def _leaf_names(self, in_tree, statics, nargs):
        """A readable name for each flat argument leaf (for error messages)."""
        static_idx = {i for i, _ in statics if isinstance(i, int)}
        dyn_positions = [i for i in range(nargs) if i not in static_idx]
        placeholder = tree_util.unflatten(in_tree, list(range(in_tree.num_leaves)))
        names = [""] * in_tree.num_leaves
        for path, leaf in tree_util.flatten_with_path(placeholder)[0]:
            kind, rest = path[0].idx, path[1:]
            if kind == 0:
                pos = dyn_positions[rest[0].idx]
                base = self._param_names[pos] if pos < len(self._param_names) else f"args[{pos}]"
                names[leaf] = base + tree_util.keystr(tuple(rest[1:]))
            else:
                names[leaf] = rest[0].key + tree_util.keystr(tuple(rest[1:]))
        return names

    def _donated_leaves(self, in_tree, statics, nargs) -> tuple:
        if not self.donate_argnums:
            return (False,) * in_tree.num_leaves
        static_idx = {i for i, _ in statics if isinstance(i, int)}
        donate = {i % nargs for i in self.donate_argnums if -nargs <= i < nargs}
        flags = []
        dyn_positions = [i for i in range(nargs) if i not in static_idx]
        args_tree, kwargs_tree = in_tree.children()
        for pos, sub in zip(dyn_positions, args_tree.children()):
            flags += [pos in donate] * sub.num_leaves
        flags += [False] * kwargs_tree.num_leaves
        return tuple(flags)

    def _log_compile(self, key, leaf_names):
        if not config.log_compiles:
            self._last_signature = key
            return
        reason = _miss_reason(self._last_signature, key, self._param_names, leaf_names)
        log.warning("fnx.jit: compiling %s (%s)", self.name, reason)
        self._last_signature = key

    # -- inspection -----------------------------------------------------------------------------

    def lower(self, *args, **kwargs) -> "Lowered":
        """The traced and optimized program for these arguments: ``.as_text()`` (the jaxpr),
        ``.as_c()`` (the generated C), ``.as_cuda()`` (the CUDA kernels for GPU arguments),
        ``.compile()`` (the executable)."""
        entry, _ = self._lookup(args, kwargs)
        return Lowered(entry)

    def clear_cache(self):
        self._cache.clear()
        self._by_signature.clear()

    @property
    def cache_size(self) -> int:
        return len(self._cache)


class Lowered:
    def __init__(self, entry: _CacheEntry):
        self._entry = entry

    def compile(self):
        e = self._entry
        if e.executable is None:
            e.executable = executable_for(e.jaxpr, e.donated, ())   # the default CPU backend
        return e.executable

    def as_text(self) -> str:
        return self.compile().as_text()

    def as_c(self) -> str:
        return self.compile().as_c()

    def as_cuda(self) -> str:
        """The CUDA source ``fnx.jit`` generates for these arguments on a GPU (the fused
        kernels; library steps run the CUDA backend's own kernels).  Needs no GPU."""
        return cuda_executable_for(self._entry.jaxpr).as_cuda()

    @property
    def jaxpr(self):
        return self._entry.jaxpr


def jit(fun=None, *, static_argnums=(), static_argnames=(), donate_argnums=()):
    """Compile ``fun``: traced once per argument signature, optimized, fused into generated C.

    >>> @fnx.jit
    ... def f(x, y):
    ...     return fnp.tanh(x * y).sum()
    >>> fnx.jit(g, static_argnums=1)(x, 3)      # 3 is a Python value at trace time

    Works under and around every transformation: ``grad(jit(f))``, ``jit(grad(f))``,
    ``vmap(jit(f))``...  ``fnx.config.update("log_compiles", True)`` logs each compilation and
    why the cache missed.
    """
    if fun is None:
        return lambda f: jit(f, static_argnums=static_argnums, static_argnames=static_argnames,
                             donate_argnums=donate_argnums)
    return Jitted(fun, static_argnums, static_argnames, donate_argnums)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

def _leaf_signature(leaves) -> tuple:
    """What the traced program depends on, per leaf: shape, dtype, weak type (cheap to build:
    the cache key of every call)."""
    sig = []
    for x in leaves:
        if type(x) is Array:
            v = x._value
            sig.append((v.shape, v.dtype, x.weak_type))
        else:
            a = x.aval
            sig.append((tuple(a.shape), a.dtype, a.weak_type))
    return tuple(sig)


def _array_signature(args):
    """(shape, dtype, weak type) of each argument when all are concrete Arrays, else None."""
    sig = []
    for a in args:
        if type(a) is not Array:
            return None
        v = a._value
        sig.append((v.shape, v.dtype, a.weak_type))
    return tuple(sig)


def _as_tuple(nums, what) -> tuple:
    if nums is None:
        return ()
    if isinstance(nums, int):
        return (nums,)
    try:
        return tuple(operator.index(n) for n in nums)
    except TypeError:
        raise InvalidArgumentError(f"jit: {what} must be an int or a sequence of ints, "
                                   f"got {nums!r}") from None


def _as_names(names) -> tuple:
    if names is None:
        return ()
    if isinstance(names, str):
        return (names,)
    return tuple(names)


def _positional_names(fun) -> list:
    try:
        params = inspect.signature(fun).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _hashable_static(name, what, value):
    try:
        hash(value)
    except TypeError:
        raise InvalidArgumentError(
            f"jit({name}): static {what} of type {type(value).__name__} is not hashable; static "
            "arguments are part of the compilation cache key (use a tuple instead of a list, "
            "or make the argument non-static)") from None
    return value


def _static_tags(statics) -> tuple:
    """What equality of static values misses: 1 == 1.0 == True and 0.0 == -0.0 hash alike, but
    a function may trace differently for each (int vs float arithmetic, 1 / -0.0 = -inf)."""
    return tuple((type(v), type(v) is float and v == 0.0 and math.copysign(1.0, v) < 0)
                 for _, v in statics)


def _describe(sig) -> str:
    from .core import ShapedArray
    shape, dtype, weak = sig
    return ShapedArray(shape, dtype, weak).str_short() + (" (weak)" if weak else "")


def _miss_reason(prev, key, param_names, leaf_names) -> str:
    if prev is None:
        return "first call"
    p_tree, p_avals, p_statics, p_tags = prev
    tree, avals, statics, tags = key
    if p_tree != tree:
        return f"the argument structure changed from {p_tree} to {tree}"
    for i, (a, b) in enumerate(zip(p_avals, avals)):
        if a != b:
            return (f"argument {leaf_names[i]!r} changed from {_describe(a)} to {_describe(b)}")
    for (i, a), (_, b) in zip(p_statics, statics):
        if a != b:
            label = param_names[i] if isinstance(i, int) and i < len(param_names) else i
            return f"static argument {label!r} changed from {a!r} to {b!r}"
    for (i, a), (_, b), ta, tb in zip(p_statics, statics, p_tags, tags):
        if ta != tb:
            label = param_names[i] if isinstance(i, int) and i < len(param_names) else i
            return (f"static argument {label!r} changed from {a!r} ({ta[0].__name__}) to "
                    f"{b!r} ({tb[0].__name__})")
    return "a signature seen before was evicted or the cache was cleared"


# ---------------------------------------------------------------------------------------------
# jit_p: a jitted call as a higher-order primitive
# ---------------------------------------------------------------------------------------------
#
#     outs = jit_p.bind(*operands, jaxpr=<Jaxpr>, name="f", donated=(False, ...))
#
# ``jaxpr`` is an *open* jaxpr whose inputs are exactly the operands (a traced function's
# closed-over constants are passed as leading operands), so every transformation treats a jit
# call like any other primitive with a rule:
#
# * eval (the bottom of the stack): the backend registry compiles the jaxpr once for the
#   platform the operands live on (``backends.executable_for``) and runs it;
# * JVP: the JVP of the jaxpr, traced into a new jaxpr, called through ``jit_p`` again;
# * batching: likewise with the batched jaxpr;
# * partial evaluation (linearize / grad): the jaxpr is split into a known part, which runs
#   compiled now, and an unknown part, staged as a ``jit_p`` equation taking the residuals;
# * transpose: the transposed jaxpr (``backward_pass`` traced), called through ``jit_p``;
# * staging (jit of jit, make_jaxpr): the equation is recorded; the compiler inlines it
#   (``fusion=Fusion.CALL``).
# Everything derived from a jaxpr is cached on it (``Jaxpr.derive``), so repeated
# transformations of one jitted function trace and compile once.

jit_p = Primitive("jit", multiple_results=True, fusion=Fusion.CALL, call_jaxpr_param="jaxpr")


@jit_p.def_abstract_eval
def _jit_abstract_eval(*avals, jaxpr: Jaxpr, name: str, donated: tuple):
    return [v.aval for v in jaxpr.outs]


def executable_for(jaxpr: Jaxpr, donated: tuple, operands):
    """The compiled form of ``jaxpr`` for the platform ``operands`` live on."""
    return backends.executable_for(backends.platform_of(operands), jaxpr, donated)


@jit_p.def_impl
def _jit_impl(*args, jaxpr, name, donated):
    outs = executable_for(jaxpr, donated, args)(args)
    if _checked_calls[0] and backends.bad_float_kind(outs) is not None:
        # a jitted call inside a transformation (grad(jit(f))): find the primitive by
        # interpreting the same jaxpr op by op with the checking kernels
        eval_jaxpr(jaxpr, list(args))
        raise FloatingPointError(f"invalid value ({backends.bad_float_kind(outs)}) in the "
                                 f"output of jit({name})")
    return outs


def _call(jaxpr: Jaxpr, consts: list, args: list, name: str) -> list:
    n = len(consts) + len(args)
    return jit_p.bind(*consts, *args, jaxpr=jaxpr, name=name, donated=(False,) * n)


# ---------------------------------------------------------------------------------------------
# JVP
# ---------------------------------------------------------------------------------------------

def _jit_jvp_rule(primals, tangents, *, jaxpr, name, donated):
    t_avals = tuple(None if isinstance(t, Zero) else raise_to_shaped(get_aval(t))
                    for t in tangents)
    in_avals = [v.aval for v in jaxpr.in_binders]

    def make():
        def jvp_of_jaxpr(*args):
            n = len(in_avals)
            given = iter(args[n:])
            ts = [Zero(a.strip_weak_type()) if ta is None else next(given)
                  for a, ta in zip(in_avals, t_avals)]
            p_out, t_out = jvp_flat(lambda *xs: eval_jaxpr(jaxpr, list(xs)), list(args[:n]), ts)
            return list(p_out) + [instantiate_zeros(t) for t in t_out]
        return trace_open(jvp_of_jaxpr, in_avals + [a for a in t_avals if a is not None])

    jvp_jaxpr, consts = jaxpr.derive(("jvp", t_avals), make)
    nonzero = [t for t in tangents if not isinstance(t, Zero)]
    outs = _call(jvp_jaxpr, consts, list(primals) + nonzero, f"jvp({name})")
    n_out = len(jaxpr.outs)
    return outs[:n_out], outs[n_out:]


# ---------------------------------------------------------------------------------------------
# Batching
# ---------------------------------------------------------------------------------------------

def _jit_batching_rule(axis_size, args, dims, *, jaxpr, name, donated):
    avals = tuple(raise_to_shaped(get_aval(a)) for a in args)
    dims = tuple(dims)

    def make():
        out_dims = []

        def batched_jaxpr(*xs):
            vals, ds = batch_flat_keep_unbatched(lambda *ys: eval_jaxpr(jaxpr, list(ys)),
                                                 list(xs), list(dims), axis_size)
            out_dims[:] = ds
            return vals
        b_jaxpr, consts = trace_open(batched_jaxpr, avals)
        return b_jaxpr, consts, list(out_dims)

    b_jaxpr, consts, out_dims = jaxpr.derive(("batch", axis_size, dims, avals), make)
    outs = _call(b_jaxpr, consts, list(args), f"vmap({name})")
    return outs, out_dims


# ---------------------------------------------------------------------------------------------
# Partial evaluation: run the known part compiled now, stage the unknown part
# ---------------------------------------------------------------------------------------------

def _split_nested_jit(eqn, flags, unknown_ids):
    """``partial_eval_jaxpr``'s rule for a nested jit equation with some unknown operands: a
    known jit call computing the known outputs and the residuals, and an unknown one."""
    inner = eqn.params["jaxpr"]
    k, u, out_unknowns, n_res = inner.derive(("partial_eval", tuple(flags)),
                                             lambda: partial_eval_jaxpr(inner, flags))
    res_vars = [Var(v.aval) for v in k.outs[len(k.outs) - n_res:]]
    known_outs = [v for v, uo in zip(eqn.out_binders, out_unknowns) if not uo]
    unknown_outs = [v for v, uo in zip(eqn.out_binders, out_unknowns) if uo]
    unknown_ids.update(id(v) for v in unknown_outs)
    k_ins = [x for x, f in zip(eqn.inputs, flags) if not f]
    u_ins = res_vars + [x for x, f in zip(eqn.inputs, flags) if f]
    name = eqn.params["name"]
    k_eqn = Eqn(jit_p, k_ins, dict(jaxpr=k, name=name, donated=(False,) * len(k_ins)),
                known_outs + res_vars)
    u_eqn = Eqn(jit_p, u_ins, dict(jaxpr=u, name=name, donated=(False,) * len(u_ins)),
                unknown_outs)
    return [k_eqn], [u_eqn]


def _jit_partial_eval_rule(trace, tracers, *, jaxpr, name, donated):
    unknowns = tuple(not t.pval.is_known for t in tracers)
    known, unknown, out_unknowns, n_res = jaxpr.derive(
        ("partial_eval", unknowns), lambda: partial_eval_jaxpr(jaxpr, unknowns))
    known_vals = [t.pval.const for t, u in zip(tracers, unknowns) if not u]
    known_results = _call(known, [], known_vals, name)
    n_known_out = len(known_results) - n_res
    known_outs, residuals = known_results[:n_known_out], known_results[n_known_out:]

    res_tracers = [trace.instantiate_const(trace.lift(r)) for r in residuals]
    ins = res_tracers + [t for t, u in zip(tracers, unknowns) if u]
    outs_unknown = stage_eqn(trace, jit_p, ins, dict(jaxpr=unknown, name=name,
                                                     donated=(False,) * len(ins)),
                             [v.aval for v in unknown.outs])
    k_it, u_it = iter(known_outs), iter(outs_unknown)
    return [next(u_it) if u else trace.lift(next(k_it)) for u in out_unknowns]


# ---------------------------------------------------------------------------------------------
# Transpose
# ---------------------------------------------------------------------------------------------

def _jit_transpose_rule(cts, *args, jaxpr, name, donated):
    undefined = tuple(is_undefined(a) for a in args)
    defined = [a for a in args if not is_undefined(a)]
    nonzero_cts = [c for c in cts if not isinstance(c, Zero)]
    ct_avals = tuple(None if isinstance(c, Zero) else raise_to_shaped(get_aval(c)) for c in cts)
    def_avals = tuple(raise_to_shaped(get_aval(a)) for a in defined)

    def make():
        def transposed(*xs):
            d_it, c_it = iter(xs[:len(def_avals)]), iter(xs[len(def_avals):])
            full = [UndefinedPrimal(v.aval) if u else next(d_it)
                    for v, u in zip(jaxpr.in_binders, undefined)]
            cts_full = [Zero(v.aval) if a is None else next(c_it)
                        for v, a in zip(jaxpr.outs, ct_avals)]
            return [instantiate_zeros(c) for c in backward_pass(jaxpr, full, cts_full)]
        return trace_open(transposed, list(def_avals) + [a for a in ct_avals if a is not None])

    t_jaxpr, consts = jaxpr.derive(("transpose", undefined, ct_avals, def_avals), make)
    results = iter(_call(t_jaxpr, consts, defined + nonzero_cts, f"transpose({name})"))
    return [next(results) if u else None for u in undefined]


ad.jvp_rules[jit_p] = _jit_jvp_rule
ad.transpose_rules[jit_p] = _jit_transpose_rule
batching.batching_rules[jit_p] = _jit_batching_rule
partial_eval.partial_eval_rules[jit_p] = _jit_partial_eval_rule
partial_eval.partial_eval_jaxpr_rules[jit_p] = _split_nested_jit
