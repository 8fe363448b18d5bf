"""The core of fnx: arrays, abstract values, primitives, traces and the jaxpr IR.

The design follows autodidax (JAX's "build JAX from scratch"):

* ``Array`` is an immutable, concrete n-d array (a read-only numpy buffer that the C kernels read).
* ``ShapedArray`` is the abstract value of an array: shape, dtype and whether the dtype is *weak*
  (it came from a Python scalar and yields to the other operand's dtype, see ``fnx.dtypes``).
* ``Primitive.bind`` is the single entry point of every operation.  It finds the innermost
  transformation (``Trace``) that any argument belongs to, lifts the other arguments into it and
  lets it process the primitive.  With no transformation active, the primitive runs eagerly on
  the backend (``EvalTrace``).
* ``Jaxpr`` / ``Var`` / ``Literal`` / ``Eqn`` are the IR that ``make_jaxpr`` and ``jit`` produce.

Operators and numpy-style methods of ``Array`` and ``Tracer`` live in ``fnx.numpy`` and are
installed onto the shared base class ``ArrayBase`` when that module is imported (core must not
import the layers above it).
"""
from __future__ import annotations

import operator
import threading
from contextlib import contextmanager
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from . import dtypes
from ._dlpack import dlpack_export
from ._jaxpr_printer import JaxprPrinter  # noqa: F401  (str(jaxpr); tests import it here)
from .avals import ShapedArray  # noqa: F401  (the abstract value; core re-exports it)
from .device import CPU
from .errors import (ConcretizationTypeError, DTypeError, FnxError, MissingKernelError,
                     UnexpectedTracerError)


# ---------------------------------------------------------------------------------------------
# Abstract values
# ---------------------------------------------------------------------------------------------

def get_aval(x) -> ShapedArray:
    """The abstract value of an Array, Tracer, numpy array or Python scalar."""
    if isinstance(x, Tracer):
        return x.aval
    if isinstance(x, Array):
        return x.aval
    dtype, weak = dtypes.dtype_and_weak(x)
    return ShapedArray(np.shape(x), dtype, weak)


def raise_to_shaped(aval) -> ShapedArray:
    return ShapedArray(aval.shape, aval.dtype, aval.weak_type)


# ---------------------------------------------------------------------------------------------
# Arrays
# ---------------------------------------------------------------------------------------------

class ArrayBase:
    """What ``Array`` and ``Tracer`` share: numpy-style operators and methods.

    They are installed by ``fnx.numpy`` (see ``install_array_methods``) so that ``x + y`` on
    concrete arrays and on tracers goes through the same code.
    """

    __slots__ = ()
    __array_priority__ = 100

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object (a 0-d array)")
        return self.shape[0]

    __hash__ = None  # arrays are unhashable, as in numpy and JAX


def install_array_methods(methods: dict[str, Any]) -> None:
    """Attach operators/methods (``__add__``, ``sum``, ``at``…) to every array type."""
    for name, fn in methods.items():
        setattr(ArrayBase, name, fn)


class Array(ArrayBase):
    """An immutable n-d array living on the CPU (``fnx.placement.CudaArray``: on a GPU).

    Create arrays with ``fnx.numpy.asarray`` / ``fnx.numpy.array`` (or ``fnx.asarray``); update
    them functionally with ``x.at[idx].set(v)``.  ``np.asarray(x)`` gives a read-only view.
    """

    # _py (set only on arrays made from a Python float / complex, read with getattr): the exact
    # Python value behind a weak scalar, so converting it to float64 does not go through the
    # float32 it is stored as (fnx.numpy._util.to_dtype)
    __slots__ = ("_value", "weak_type", "_ptr", "_py", "__weakref__")

    def __init__(self, value: np.ndarray, weak_type: bool = False):
        # Trusting constructor: `value` is a numpy array of a supported dtype that nobody else
        # will write to.  (The buffer stays writable internally -- flipping the flag costs as
        # much as a small kernel -- and the outside world only ever sees read-only views.)
        self._value = value
        self.weak_type = weak_type
        self._ptr = None

    # -- shape and dtype ------------------------------------------------------------------
    shape = property(lambda self: self._value.shape)
    dtype = property(lambda self: self._value.dtype)

    @property
    def ndim(self):
        return self._value.ndim

    @property
    def size(self):
        return self._value.size

    @property
    def aval(self) -> ShapedArray:
        return ShapedArray(self._value.shape, self._value.dtype, self.weak_type)

    @property
    def device(self):
        """The ``Device`` this array lives on (``cpu:0`` for this class; see fnx.placement)."""
        return CPU

    def devices(self):
        return {CPU}

    # -- DLPack (zero-copy exchange with numpy / torch / cupy) ----------------------------------
    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """A DLPack capsule of this array (the array API's protocol; ``np.from_dlpack(x)``).

        Zero-copy unless ``copy=True``; a consumer that speaks DLPack >= 1.0 (``max_version``)
        gets the buffer flagged read-only (fnx arrays are immutable), an older one gets it
        unflagged and must not write to it.  ``dl_device``: None or this array's own
        ``__dlpack_device__()``, or ``(1, 0)`` (the host) for a GPU array, which copies it
        there (a BufferError with ``copy=False``).  ``stream`` must be None for host memory;
        for GPU memory it goes to CuPy.  Other devices: BufferError."""
        return dlpack_export(self, stream=stream, max_version=max_version, dl_device=dl_device,
                             copy=copy)

    def __dlpack_device__(self):
        """``(device type, device id)`` in DLPack's numbering: (1, 0) for the host, (2, id)
        for CUDA device ``id``."""
        kind, index = self._value.__dlpack_device__()
        return int(kind), int(index)

    def block_until_ready(self):
        return self

    # -- host conversion --------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        v = self._value
        if dtype is not None and np.dtype(dtype) != v.dtype:
            return v.astype(dtype)
        if copy:
            return v.copy()
        view = v.view()
        view.flags.writeable = False  # fnx arrays are immutable: no writes through numpy
        return view

    def to_numpy(self) -> np.ndarray:
        """A writable numpy copy."""
        return np.array(self._value)

    def __bool__(self):
        return bool(self._scalar("bool"))

    def __float__(self):
        return float(self._scalar("float"))

    def __int__(self):
        return int(self._scalar("int"))

    def __index__(self):
        # numpy's rule: only 0-d integer arrays are Python indices (not bool, not shape (1,))
        if self.ndim != 0 or not dtypes.is_integer(self.dtype):
            raise TypeError("only integer scalar arrays can be converted to a scalar index; "
                            f"got an array of dtype {self.dtype} and shape {self.shape}")
        return operator.index(self._value.item())

    def __complex__(self):
        return complex(self._scalar("complex"))

    def _scalar(self, what):
        if self._value.size != 1:
            raise TypeError(f"{what}() of an array needs exactly one element; "
                            f"got shape {self.shape}")
        return self._value.reshape(()).item()

    def item(self, *args):
        return self._value.item(*args)

    def tolist(self):
        return self._value.tolist()

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __repr__(self):
        body = np.array2string(self._value, separator=", ", prefix="Array(")
        dt = self.dtype
        default = dt in (dtypes.float32, dtypes.int32, dtypes.bool_) and self._value.size > 0
        suffix = "" if default else f", dtype={dt.name}"
        weak = ", weak_type=True" if self.weak_type else ""
        return f"Array({body}{suffix}{weak})"

    def __str__(self):
        return str(self._value)

    def __format__(self, spec):
        if self._value.ndim == 0:
            return format(self._value.item(), spec)
        return format(str(self), spec)

    def __reduce__(self):
        return (_rebuild_array, (np.array(self._value), self.weak_type))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __setitem__(self, key, value):
        raise TypeError("fnx arrays are immutable; use x = x.at[idx].set(value) "
                        "(see Array.at) instead of x[idx] = value")


def _rebuild_array(value, weak_type):
    return Array(value, weak_type)


def _python_scalar_array(x) -> Array:
    dtype, weak = dtypes.dtype_and_weak(x)
    if isinstance(x, int) and not isinstance(x, bool):
        info = np.iinfo(dtype)
        if not info.min <= x <= info.max:
            raise OverflowError(f"Python int {x} does not fit the default integer dtype {dtype}; "
                                "pass dtype=fnx.numpy.int64 explicitly")
    out = Array(np.array(x, dtype=dtype), weak)
    if isinstance(x, (float, complex)):
        out._py = x
    return out


def asarray_concrete(x, dtype=None) -> Array:
    """Convert host data (Python scalars, nested lists, numpy arrays) into a new Array."""
    if isinstance(x, Array):
        if dtype is None or np.dtype(dtype) == x.dtype:
            return x
        if type(x._value) is not np.ndarray:  # device memory: convert there, not via numpy
            return upper_layers.convert_on_device(x, dtype)
        x = x._value
    if isinstance(x, Tracer):
        raise ConcretizationTypeError(
            f"asarray: cannot convert the traced value {x.aval.str_short()} into a concrete array")
    if isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic):
        if dtype is None:
            return _python_scalar_array(x)
        return Array(dtypes.scalar_array("asarray", x, dtypes.canonicalize(dtype, "asarray")))
    value = np.asarray(x)
    if value.dtype == object:
        raise DTypeError(f"asarray: cannot convert {type(x).__name__} to an array "
                         "(elements must be numbers, arrays or nested sequences of them)")
    target = dtypes.canonicalize(dtype, "asarray") if dtype is not None else \
        dtypes.host_data_dtype(value, x)
    if target.kind in "iu" and value.dtype.kind in "iu" and value.size \
            and not isinstance(x, (np.ndarray, np.generic)):
        # Python ints must fit (numpy-typed data is cast, wrapping, as numpy's astype does)
        info = np.iinfo(target)
        if value.min() < info.min or value.max() > info.max:
            hint = "" if dtype is not None else " inferred from the data; pass dtype=fnx.numpy.int64"
            raise OverflowError(f"asarray: integer values {value.min()}..{value.max()} out of "
                                f"range for the dtype {target}{hint}")
    # Always copy: the caller may mutate its numpy array later, and fnx arrays are immutable.
    return Array(np.array(value, dtype=target, copy=True, order="C"))


# ---------------------------------------------------------------------------------------------
# Primitives
# ---------------------------------------------------------------------------------------------

ALL_PRIMITIVES: list["Primitive"] = []


class _UpperLayers:
    """What core needs from the layers above it, installed by them when they are imported (core
    must not import upward; ``import fnx`` imports them all before any operation runs):

    * ``lookup_impl(prim)``: the backend registry's function for ``prim`` (``fnx.backends``);
    * ``dispatch(prim, args, params)``: run ``prim`` on operands that are not all plain CPU
      Arrays -- GPU or committed ones (``fnx.placement``);
    * ``convert_on_device(x, dtype)``: ``x`` converted where it lives (``fnx.placement``)."""

    def lookup_impl(self, prim):
        raise FnxError(f"{prim.name}: no backend is registered (import fnx, not fnx.core alone)")

    def dispatch(self, prim, args, params):
        raise FnxError(f"{prim.name}: an operand lives on a device but fnx.placement is not "
                       "imported (import fnx)")

    convert_on_device = dispatch

    def install(self, **hooks):
        for name, fn in hooks.items():
            if not hasattr(_UpperLayers, name) or name == "install":
                raise TypeError(f"core.upper_layers.install: unknown hook {name!r}")
            setattr(self, name, fn)


upper_layers = _UpperLayers()


class Fusion:
    """The kinds of ``Primitive.fusion``: how fnx.compiler lowers a primitive under jit."""
    ELEMENTWISE = "elementwise"   # computed per element inside the consumer's fused loop
    MOVEMENT = "movement"         # fused too: only rewrites the index it is read at
    REDUCTION = "reduction"       # a reduction loop with its input expression fused in
    LIBRARY = "library"           # a hand-written kernel call on packed operands
    CONTROL = "control"           # scan / while / cond: bodies compiled into native loops
    CALL = "call"                 # a call whose body (param ``call_jaxpr_param``) is inlined


class Primitive:
    """A primitive operation: the unit that traces record and backends execute.

    Rules are attached with ``def_abstract_eval`` here and registered in the interpreters'
    tables (jvp, transpose, batching) by the block in ``fnx.lax`` that defines the primitive,
    which also declares its ``fusion`` kind (a ``Fusion`` constant; None: jit runs it through
    its impl between native segments).
    """

    multiple_results = False

    def __init__(self, name: str, *, multiple_results: bool = False, fusion: str | None = None,
                 call_jaxpr_param: str | None = None, effectful: bool = False):
        self.name = name
        self.multiple_results = multiple_results
        self.fusion = fusion
        self.call_jaxpr_param = call_jaxpr_param
        # An effectful primitive (fnx.debug.callback) is run for what it does, not for its
        # results: the compiler never drops (dce), merges (cse) or pre-computes (fold) it.
        self.effectful = effectful
        self._abstract_eval: Callable | None = None
        self._generic_impl: Callable | None = None
        self.impl = self._first_impl  # replaced by the backend's function on first use
        ALL_PRIMITIVES.append(self)

    def __repr__(self):
        return self.name

    def bind(self, *args, **params):
        return bind(self, *args, **params)

    def def_abstract_eval(self, rule: Callable):
        """``rule(*avals, **params)`` returns the output aval (or a list of them)."""
        self._abstract_eval = rule
        return rule

    def abstract_eval(self, *avals, **params):
        if self._abstract_eval is None:
            raise NotImplementedError(f"primitive {self.name} has no abstract evaluation rule")
        return self._abstract_eval(*avals, **params)

    def def_impl(self, impl: Callable):
        """A backend-independent implementation, for primitives that need no kernel (identity
        like ``stop_gradient``, or ones that only raise, like forward-mode ``custom_lin``)."""
        self._generic_impl = impl
        self.impl = impl
        return impl

    def reset_impl(self):
        """Forget the cached backend function (after the backend or strict flag changes)."""
        self.impl = self._generic_impl or self._first_impl

    def _first_impl(self, *args, **params):
        self.impl = upper_layers.lookup_impl(self)   # the backend registry's answer
        return self.impl(*args, **params)


# ---------------------------------------------------------------------------------------------
# Traces and the interpreter stack
# ---------------------------------------------------------------------------------------------

class MainTrace(NamedTuple):
    level: int
    trace_type: type
    global_data: Any


class Trace:
    """One transformation in progress; its tracers box the values it sees."""

    __slots__ = ("main",)

    def __init__(self, main: MainTrace):
        self.main = main

    def pure(self, val):
        raise NotImplementedError

    def lift(self, val):
        raise NotImplementedError

    def process_primitive(self, primitive, tracers, params):
        raise NotImplementedError


class Tracer(ArrayBase):
    """A value seen by a transformation.  Supports the same operators as ``Array``."""

    __slots__ = ("_trace",)
    __array_priority__ = 1000

    @property
    def aval(self) -> ShapedArray:
        raise NotImplementedError

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    weak_type = property(lambda self: self.aval.weak_type)

    @property
    def ndim(self):
        return len(self.aval.shape)

    def full_lower(self):
        return self

    @property
    def _value(self):
        # Reached when a tracer gets to a backend outside its transformation: it leaked.
        raise UnexpectedTracerError(
            f"leaked tracer: a traced value {self.aval.str_short()} escaped the transformation "
            "that created it (e.g. it was stored in a global or returned through a side "
            "channel) and was used after that transformation finished." + self._leak_origin())

    def _leak_origin(self) -> str:
        """Where the tracer came from, for the leaked-tracer message (traces that know say)."""
        return ""

    def _concretization_error(self, what: str):
        raise ConcretizationTypeError(
            f"{what} needs a concrete value, but got a traced array {self.aval.str_short()}. "
            "Under jit/vmap/grad, Python control flow and conversions cannot depend on array "
            "values: use fnx.numpy.where / fnx.lax.cond, or mark the argument static "
            "(static_argnums) so it stays a Python value.")

    def concrete_value(self):
        """The concrete Array behind this tracer, or None.

        Autodiff tracers wrap concrete primals in eager mode, so Python control flow on them
        works (``if x > 0`` inside ``grad``, as in HIPS autograd); staging tracers (jit,
        make_jaxpr) have none."""
        return None

    def _concrete(self, what: str):
        value = self.concrete_value()
        if value is None:
            self._concretization_error(what)
        return value

    def __bool__(self):
        return bool(self._concrete("bool()"))

    def __int__(self):
        return int(self._concrete("int()"))

    def __float__(self):
        return float(self._concrete("float()"))

    def __index__(self):
        return operator.index(self._concrete("using an array as a Python index"))

    def __complex__(self):
        return complex(self._concrete("complex()"))

    def item(self, *args):
        return self._concrete("item()").item(*args)

    def tolist(self):
        return self._concrete("tolist()").tolist()

    def __array__(self, dtype=None, copy=None):
        return self._concrete("np.asarray()").__array__(dtype, copy)

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    @property
    def device(self):
        """The device of the concrete value behind this tracer (autodiff of eager code); a
        staged value (jit, make_jaxpr, vmap) has none -- placement is a property of concrete
        arrays -- so it is an AttributeError there, as in JAX (``hasattr`` works)."""
        value = self.concrete_value()
        if value is None:
            raise AttributeError(
                f"device: the traced array {self.aval.str_short()} has no device (placement is "
                "a property of concrete arrays; under jit/vmap pass device=None)")
        return value.device

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        return self._concrete("__dlpack__").__dlpack__(
            stream=stream, max_version=max_version, dl_device=dl_device, copy=copy)

    def __dlpack_device__(self):
        return self._concrete("__dlpack_device__").__dlpack_device__()

    def __repr__(self):
        return f"Traced<{self.aval.str_short()}>with<{type(self._trace).__name__}>"

    def __setitem__(self, key, value):
        raise TypeError("fnx arrays are immutable; use x = x.at[idx].set(value) instead")


class EvalTrace(Trace):
    """The bottom of the stack: primitives run on the backend."""

    __slots__ = ()

    def pure(self, val):
        return asarray_concrete(val)

    lift = pure

    def process_primitive(self, primitive, tracers, params):
        for t in tracers:
            if type(t) is not Array:  # a GPU (or committed) array: placement decides
                return upper_layers.dispatch(primitive, tracers, params)
        return primitive.impl(*tracers, **params)


class _ThreadTraceState(threading.local):
    """One thread's interpreter state, as in JAX: each thread transforms independently, so a
    ``grad`` in one thread never sees (or pops) another thread's transformations."""

    def __init__(self):
        # runs once per thread, on that thread's first access
        self.stack: list[MainTrace] = [MainTrace(0, EvalTrace, None)]
        self.dynamic: MainTrace | None = None
        self.eager = True   # no transformation active in this thread
        self.scope = ""     # the fnx.named_scope names, "outer/inner", that new eqns record


_trace_state = _ThreadTraceState()

# _eager[0]: True while no thread has a transformation active.  The hot eager paths (bind, the
# array operators, jit's call) test ``_eager[0] or _trace_state.eager``: the shared list costs a
# few ns to read, a thread-local attribute ~30 ns more, so the common single-threaded case reads
# only the list.  It is sound on its own too: while it is True this thread transforms nothing,
# because its own transformations are counted in _n_active.
_eager = [True]
_n_active = 0   # new_main / new_dynamic blocks active, in all threads together
_n_active_lock = threading.Lock()


def _count_active(delta: int):
    global _n_active
    with _n_active_lock:    # the count and the flag change together, so the flag is never stale
        _n_active += delta
        _eager[0] = _n_active == 0


def _update_eager_flag(state: _ThreadTraceState):
    state.eager = len(state.stack) == 1 and state.dynamic is None


@contextmanager
def new_main(trace_type: type, global_data=None):
    """Push a new transformation onto this thread's interpreter stack for the block."""
    state = _trace_state
    main = MainTrace(len(state.stack), trace_type, global_data)
    _count_active(1)    # first: _eager[0] must be False whenever this thread transforms
    state.stack.append(main)
    _update_eager_flag(state)
    try:
        yield main
    finally:
        state.stack.pop()
        _update_eager_flag(state)
        _count_active(-1)


@contextmanager
def new_dynamic(main: MainTrace):
    """Make ``main`` process every primitive, even those whose operands it never saw
    (used by make_jaxpr/jit so constants are staged out instead of run eagerly)."""
    state = _trace_state
    _count_active(1)
    prev, state.dynamic = state.dynamic, main
    _update_eager_flag(state)
    try:
        yield
    finally:
        state.dynamic = prev
        _update_eager_flag(state)
        _count_active(-1)


@contextmanager
def eval_context():
    """Run operations on concrete values eagerly even while a jit / make_jaxpr trace is active
    (``fnx.ensure_compile_time_eval``): the dynamic trace is set aside, so only operations on
    tracers are staged."""
    state = _trace_state
    prev, state.dynamic = state.dynamic, None
    _update_eager_flag(state)
    try:
        yield
    finally:
        state.dynamic = prev
        _update_eager_flag(state)


@contextmanager
def scope_context(name: str, *, replace: bool = False):
    """Equations staged inside the block record ``name`` appended to the enclosing scope
    (``fnx.named_scope``); ``replace``: record ``name`` alone (a sub-jaxpr's names are relative
    to the equation that holds it)."""
    state = _trace_state
    prev = state.scope
    state.scope = name if (replace or not prev) else (f"{prev}/{name}" if name else prev)
    try:
        yield
    finally:
        state.scope = prev


def current_scope() -> str:
    return _trace_state.scope


def _is_live(main: MainTrace, stack: list | None = None) -> bool:
    if stack is None:
        stack = _trace_state.stack
    return main.level < len(stack) and stack[main.level] is main


def find_top_trace(xs, state: _ThreadTraceState | None = None) -> Trace:
    if state is None:
        state = _trace_state
    top = state.stack[0]
    for x in xs:
        if isinstance(x, Tracer):
            m = x._trace.main
            if m.level > top.level:
                top = m
    dynamic = state.dynamic
    if dynamic is not None and dynamic.level > top.level:
        top = dynamic
    return top.trace_type(top)


def full_raise(trace: Trace, val, stack: list | None = None):
    """``val`` as a tracer of ``trace``; ``stack``: this thread's interpreter stack, where the
    caller has it at hand (reading the thread-local state costs more than passing it)."""
    if not isinstance(val, Tracer):
        return trace.pure(val)
    main = val._trace.main
    if not _is_live(main, stack):
        val._value  # raises UnexpectedTracerError with the explanation
    if main is trace.main:
        return val
    if main.level < trace.main.level:
        return trace.lift(val)
    if main.level > trace.main.level:
        raise UnexpectedTracerError(
            f"cannot lift a tracer of level {main.level} into trace level {trace.main.level}")
    raise UnexpectedTracerError("two different transformations share one interpreter level")


def full_lower(val):
    return val.full_lower() if isinstance(val, Tracer) else val


def bind(prim: Primitive, *args, **params):
    """Apply ``prim`` to ``args`` under whatever transformations are active."""
    state = None
    if _eager[0] or (state := _trace_state).eager:
        for a in args:
            if type(a) is not Array:
                break
        else:
            return prim.impl(*args, **params)
    if state is None:
        state = _trace_state
    trace = find_top_trace(args, state)
    stack = state.stack
    tracers = [full_raise(trace, a, stack) for a in args]
    outs = trace.process_primitive(prim, tracers, params)
    if prim.multiple_results:
        return [full_lower(o) for o in outs]
    return full_lower(outs)


def bind_custom(method: str, args, fun, *rules):
    """Dispatch a custom-derivative call (custom_jvp / custom_vjp) to the innermost trace.

    ``method`` names the Trace hook (``process_custom_jvp_call``...), called as
    ``hook(fun, *rules, tracers)``; traces without one (eval, staging, partial eval) just run
    ``fun`` on their tracers, inlining it."""
    state = _trace_state
    trace = find_top_trace(args, state)
    stack = state.stack
    tracers = [full_raise(trace, a, stack) for a in args]
    process = getattr(trace, method, None)
    outs = fun(*tracers) if process is None else process(fun, *rules, tracers)
    return [full_lower(o) for o in outs]


def is_concrete(x) -> bool:
    return not isinstance(x, Tracer)


def concrete_or_error(x, what: str):
    """A concrete numpy value of ``x``, or a ConcretizationTypeError explaining ``what``."""
    if isinstance(x, Tracer):
        x = x._concrete(what)
    if isinstance(x, Array):
        return x._value
    return np.asarray(x)


# ---------------------------------------------------------------------------------------------
# The jaxpr IR
# ---------------------------------------------------------------------------------------------

class Var:
    """A variable of a jaxpr (binds the output of one equation, or an input)."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval


class Literal:
    """A constant scalar written inline in a jaxpr."""

    __slots__ = ("val", "aval")

    def __init__(self, val):
        self.val = val
        self.aval = get_aval(val)

    def __repr__(self):
        v = self.val._value if isinstance(self.val, Array) else self.val
        v = np.asarray(v).item()
        return repr(v)


class Eqn(NamedTuple):
    primitive: Primitive
    inputs: list  # Var | Literal
    params: dict
    out_binders: list  # Var
    scope: str = ""   # the fnx.named_scope it was staged in (printed; replayed by eval_jaxpr)


def jaxpr_has_effects(jaxpr) -> bool:
    """Whether running ``jaxpr`` (or any jaxpr nested in its params) binds an effectful
    primitive, so that passes must keep its equation even when no result is used."""
    jaxpr = getattr(jaxpr, "jaxpr", jaxpr)  # ClosedJaxpr -> Jaxpr
    return jaxpr.derive("has_effects", lambda: any(eqn_has_effects(e) for e in jaxpr.eqns))


def eqn_has_effects(e: Eqn) -> bool:
    if e.primitive.effectful:
        return True
    for value in e.params.values():
        for v in (value if isinstance(value, (tuple, list)) else (value,)):
            if isinstance(v, (Jaxpr, ClosedJaxpr)) and jaxpr_has_effects(v):
                return True
    return False


class Jaxpr:
    """A typed, first-order program: ``in_binders -> eqns -> outs``.

    ``derived`` caches what the transformations and backends derive from this jaxpr (its
    executables, its JVP / batched / transposed / partially evaluated jaxprs), so repeated
    transformations of one jitted function trace and compile once: see ``derive``."""

    __slots__ = ("in_binders", "eqns", "outs", "derived", "__weakref__")

    def __init__(self, in_binders: list[Var], eqns: list[Eqn], outs: list):
        self.in_binders = in_binders
        self.eqns = eqns
        self.outs = outs
        self.derived: dict = {}

    def derive(self, key, make: Callable):
        """``derived[key]``, made by ``make()`` on the first request.  No lock: ``make`` may
        trace and run user code (custom rules); threads racing here each make a correct result
        and ``setdefault`` has them all use the first one stored."""
        hit = self.derived.get(key)
        if hit is None:
            hit = self.derived.setdefault(key, make())
        return hit

    def __str__(self):
        return JaxprPrinter().jaxpr(self)

    __repr__ = __str__

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other


class ClosedJaxpr:
    """A jaxpr plus the values of its constant inputs (``constvars`` come first)."""

    def __init__(self, jaxpr: Jaxpr, consts: list):
        self.jaxpr = jaxpr
        self.consts = list(consts)

    @property
    def in_avals(self):
        return [v.aval for v in self.jaxpr.in_binders[len(self.consts):]]

    @property
    def out_avals(self):
        return [v.aval for v in self.jaxpr.outs]

    @property
    def eqns(self):
        return self.jaxpr.eqns

    def __str__(self):
        return JaxprPrinter().jaxpr(self.jaxpr, num_consts=len(self.consts))

    __repr__ = __str__

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))


def eval_jaxpr(jaxpr: Jaxpr, args: Sequence) -> list:
    """Run a jaxpr by binding each equation (so it works under any transformation)."""
    env: dict[int, Any] = {}

    def read(x):
        return x.val if isinstance(x, Literal) else env[id(x)]

    if len(args) != len(jaxpr.in_binders):
        raise FnxError(f"eval_jaxpr: expected {len(jaxpr.in_binders)} arguments, got {len(args)}")
    for v, a in zip(jaxpr.in_binders, args):
        env[id(v)] = a
    for e in jaxpr.eqns:
        if e.scope:
            with scope_context(e.scope):
                outs = bind(e.primitive, *[read(x) for x in e.inputs], **e.params)
        else:
            outs = bind(e.primitive, *[read(x) for x in e.inputs], **e.params)
        if not e.primitive.multiple_results:
            outs = [outs]
        for v, o in zip(e.out_binders, outs):
            env[id(v)] = o
    return [read(x) for x in jaxpr.outs]


def missing_kernel(op: str, backend: str, detail: str = "") -> MissingKernelError:
    extra = f" ({detail})" if detail else ""
    return MissingKernelError(f"{op}: the {backend} backend has no kernel for this input{extra}")
