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

from . import tree as tree_util
from .config import config
from .core import (Array, Tracer, _eager, _trace_state, asarray_concrete, get_aval,
                   raise_to_shaped)
from .errors import InvalidArgumentError
from .interpreters.jit import executable_for, jit_p, trace_open

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

    def __get__(self, obj, objtype=None):
        # decorating a method: bind like a function would
        return self if obj is None else functools.partial(self, obj)

    # -- calling --------------------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        if not kwargs and (_eager[0] or _trace_state.eager):
            # the hot path: positional Array arguments, no transformation active
            key = _array_signature(args)
            entry = self._by_signature.get(key) if key is not None else None
            if entry is not None:
                exe = entry.executable
                if exe is None:
                    exe = entry.executable = executable_for(entry.jaxpr, entry.donated)
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
                exe = entry.executable = executable_for(entry.jaxpr, entry.donated)
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
            e.executable = executable_for(e.jaxpr, e.donated)
        return e.executable

    def as_text(self) -> str:
        return self.compile().as_text()

    def as_c(self) -> str:
        return self.compile().as_c()

    def as_cuda(self) -> str:
        """The CUDA source ``fnx.jit`` generates for these arguments on a GPU (the fused
        kernels; library steps run the CUDA backend's own kernels).  Needs no GPU."""
        from .compiler.cuda_executable import cuda_executable_for
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
