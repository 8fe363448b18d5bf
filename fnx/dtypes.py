"""dtypes of fnx and type promotion.

Supported: bool, int8, uint8, int32, int64, uint32, float32, float64, complex64, complex128.

Promotion follows JAX's lattice (NEP 50 in spirit): Python scalars are *weak* -- they adopt the
dtype of the array they meet (``x_f32 * 2.0`` stays float32, ``x_i32 + 1`` stays int32) unless they
are of a higher kind (``x_i32 * 0.5`` becomes float32, the default float).  Between two arrays,
the higher kind wins (bool < int < float < complex) and, within a kind, the wider type; integer
+ float takes the float operand's type (JAX, not numpy: ``int32 + float32 -> float32``).  A
float meeting a complex type gives the complex type of the wider precision (``float64 +
complex64 -> complex128``, as JAX); so does a weak Python complex meeting a float array
(``x_f64 * 1j -> complex128``), while a weak float adopts a complex array's type.  int8 + uint8
needs int16, which fnx does not have, so it becomes int32; uint32 + int8/int32 becomes int64 and
uint8 + uint32 uint32 (as JAX).

Defaults: float32 for Python floats and creation functions, complex64 for Python complex
numbers, int32 for Python ints and indices (as JAX).  An explicitly float64/int64/complex128
input stays float64/int64/complex128.
"""
from __future__ import annotations

import numpy as np

from .errors import DTypeError

bool_ = np.dtype(np.bool_)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint32 = np.dtype(np.uint32)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
complex64 = np.dtype(np.complex64)
complex128 = np.dtype(np.complex128)

# (order = the C enum fnx_dtype's codes; uint32 and the complex types came last)
SUPPORTED = (bool_, int8, uint8, int32, int64, float32, float64, uint32, complex64, complex128)
_SUPPORTED_SET = frozenset(SUPPORTED)
FLOATING = (float32, float64)
COMPLEX = (complex64, complex128)
INEXACT = FLOATING + COMPLEX
INTEGER = (int8, uint8, int32, int64, uint32)
NUMERIC = INTEGER + FLOATING
NUMERIC_OR_COMPLEX = NUMERIC + COMPLEX
# every dtype but the complex ones: the dtypes with an order (max, sort keys of lax ops that
# numpy leaves undefined on complex, comparisons in JAX)
REAL = tuple(d for d in SUPPORTED if d.kind != "c")

default_float = float32
default_int = int32
default_complex = complex64

# kind rank: bool < int < float < complex
_KIND_RANK = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}
_DEFAULT_OF_RANK = {0: bool_, 1: default_int, 2: default_float, 3: default_complex}
# the complex type of each float precision, and back
_COMPLEX_OF = {float32: complex64, float64: complex128, complex64: complex64,
               complex128: complex128}
_REAL_OF = {complex64: float32, complex128: float64}

_canonical_cache: dict = {}


def canonicalize(dtype, op: str = "dtype") -> np.dtype:
    """The fnx dtype for anything numpy accepts as a dtype; raises DTypeError if unsupported."""
    try:
        return _canonical_cache[dtype]
    except (KeyError, TypeError):
        pass
    if dtype is float:
        result = default_float
    elif dtype is int:
        result = default_int
    elif dtype is bool:
        result = bool_
    elif dtype is complex:
        result = default_complex
    else:
        try:
            result = np.dtype(dtype)
        except TypeError as e:
            raise DTypeError(f"{op}: {dtype!r} is not a dtype") from e
        if result not in _SUPPORTED_SET:
            raise DTypeError(
                f"{op}: dtype {result} is not supported by fnx; supported: "
                + ", ".join(str(d) for d in SUPPORTED))
    try:
        _canonical_cache[dtype] = result
    except TypeError:
        pass
    return result


def is_supported(dtype) -> bool:
    return np.dtype(dtype) in _SUPPORTED_SET


def is_floating(dtype) -> bool:
    """A real floating dtype (float32, float64): not complex, as ``np.floating``."""
    return np.dtype(dtype).kind == "f"


def is_complex(dtype) -> bool:
    return np.dtype(dtype).kind == "c"


def is_inexact(dtype) -> bool:
    """float or complex: the dtypes that have derivatives (``np.inexact``)."""
    return np.dtype(dtype).kind in "fc"


def complex_of(dtype) -> np.dtype:
    """The complex dtype of a float (or complex) dtype's precision: float32 -> complex64."""
    return _COMPLEX_OF[np.dtype(dtype)]


def real_of(dtype) -> np.dtype:
    """The real dtype of a complex dtype's precision (complex64 -> float32); other dtypes are
    their own."""
    dtype = np.dtype(dtype)
    return _REAL_OF.get(dtype, dtype)


def is_integer(dtype) -> bool:
    return np.dtype(dtype).kind in "iu"


def is_signed(dtype) -> bool:
    return np.dtype(dtype).kind in "ifc"


def is_bool(dtype) -> bool:
    return np.dtype(dtype).kind == "b"


def kind_rank(dtype) -> int:
    return _KIND_RANK[np.dtype(dtype).kind]


class finfo:
    """Machine limits of a floating dtype: numpy's ``finfo`` with the array API's types --
    ``bits`` an int, ``eps`` / ``max`` / ``min`` / ``smallest_normal`` (and the other limits)
    Python floats, ``dtype`` the real dtype (float32 for complex64).  Every other attribute of
    ``np.finfo`` is there too."""

    _FLOATS = ("eps", "epsneg", "max", "min", "tiny", "smallest_normal", "smallest_subnormal",
               "resolution")

    def __init__(self, dtype):
        self._np = np.finfo(canonicalize(dtype, "finfo"))
        self.bits = int(self._np.bits)
        self.dtype = self._np.dtype
        for name in self._FLOATS:
            setattr(self, name, float(getattr(self._np, name)))

    def __getattr__(self, name):  # precision, nmant, machep ... as numpy gives them
        return getattr(self._np, name)

    def __repr__(self):
        return repr(self._np)


def iinfo(dtype):
    return np.iinfo(canonicalize(dtype))


def issubdtype(a, b) -> bool:
    return np.issubdtype(a, b)


def _promote_ints(a: np.dtype, b: np.dtype) -> np.dtype:
    if a.kind == b.kind:  # both signed or both unsigned
        return a if a.itemsize >= b.itemsize else b
    signed, unsigned = (a, b) if a.kind == "i" else (b, a)
    if signed.itemsize > unsigned.itemsize:
        return signed
    # a signed type that holds every value of both; int16 does not exist in fnx
    return int32 if unsigned.itemsize < 4 else int64


def promote_types(a, b) -> np.dtype:
    """The dtype two strong (non-weak) dtypes promote to."""
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    ra, rb = _KIND_RANK[a.kind], _KIND_RANK[b.kind]
    if ra != rb:
        high, low = (a, b) if ra > rb else (b, a)
        if high.kind == "c" and low.kind == "f":  # float64 + complex64 -> complex128
            return complex_of(promote_types(real_of(high), low))
        return high
    if ra >= 2:
        return a if a.itemsize >= b.itemsize else b
    return _promote_ints(a, b)


# (min, max) per integer dtype: np.iinfo costs microseconds, and this check runs on every
# Python int that meets an array (``x + 1``)
_INT_BOUNDS: dict = {}


def _int_bounds(dtype):
    bounds = _INT_BOUNDS.get(dtype)
    if bounds is None:
        dtype = np.dtype(dtype)
        info = np.iinfo(dtype) if dtype.kind in "iu" else None
        bounds = _INT_BOUNDS[dtype] = (int(info.min), int(info.max)) if info else ()
    return bounds


def python_int_bounds_error(op: str, value: int, dtype):
    """The OverflowError for a Python int that ``dtype`` cannot hold (JAX's wording), or None."""
    if type(value) is not int and (isinstance(value, bool) or not isinstance(value, int)):
        return None
    bounds = _int_bounds(dtype)
    if not bounds or bounds[0] <= value <= bounds[1]:
        return None
    dtype = np.dtype(dtype)
    if value > bounds[1]:
        return OverflowError(f"{op}: Python int {value} too large to convert to {dtype} "
                             f"(largest {bounds[1]})")
    return OverflowError(f"{op}: Python int {value} too small to convert to {dtype} "
                         f"(smallest {bounds[0]})")


def scalar_array(op: str, value, dtype) -> np.ndarray:
    """``np.array(value, dtype)`` for a Python scalar, with an OverflowError naming ``op``, the
    value and the dtype when it does not fit (numpy would say "Python int too large to convert
    to C long", or wrap silently)."""
    error = python_int_bounds_error(op, value, dtype)
    if error is not None:
        raise error
    try:
        return np.array(value, dtype=dtype)
    except OverflowError:  # an int beyond the float range
        raise OverflowError(f"{op}: Python int {value} too large to convert to "
                            f"{np.dtype(dtype)}") from None


def dtype_and_weak(x):
    """(dtype, weak_type) of an fnx array, tracer, numpy value or Python scalar."""
    if isinstance(x, np.generic):  # np.float64 subclasses float, but numpy scalars are strong
        return canonicalize(x.dtype), False
    if isinstance(x, bool):
        return bool_, True
    if isinstance(x, int):
        return default_int, True
    if isinstance(x, float):
        return default_float, True
    if isinstance(x, complex):
        return default_complex, True
    aval = getattr(x, "aval", None)
    if aval is not None:
        return aval.dtype, aval.weak_type
    dt = getattr(x, "dtype", None)
    if dt is not None:
        return canonicalize(dt), False
    arr = np.asarray(x)
    return canonicalize(arr.dtype), False


def result_type(*args, return_weak_type: bool = False):
    """Promoted dtype of ``args`` (arrays, tracers, dtypes or Python scalars).

    Returns the dtype, or ``(dtype, weak_type)`` when ``return_weak_type``.
    """
    strong = None
    weak_rank = -1
    weak_dtype = None
    for a in args:
        if isinstance(a, (np.dtype, type)) or (isinstance(a, str)):
            dt, weak = canonicalize(a), False
        else:
            dt, weak = dtype_and_weak(a)
        if weak:
            r = _KIND_RANK[dt.kind]
            if r > weak_rank:
                weak_rank, weak_dtype = r, dt
        else:
            strong = dt if strong is None else promote_types(strong, dt)
    if strong is None:
        if weak_dtype is None:
            raise DTypeError("result_type: at least one argument is required")
        result, weak = weak_dtype, True
    elif weak_rank > _KIND_RANK[strong.kind]:
        result, weak = _DEFAULT_OF_RANK[weak_rank], False
        if weak_rank == 3 and strong.kind == "f":  # x_f64 * 1j: the float's precision
            result = complex_of(strong)
    else:
        result, weak = strong, False
    return (result, weak) if return_weak_type else result


# -- the dtype of host data (fnx.numpy.asarray / array of lists, numpy values) ----------------

_PY_SCALAR_TYPES = (bool, int, float, complex)


def _typed_leaf_dtype(leaf) -> np.dtype:
    """The dtype a numpy-typed leaf of a nested sequence keeps (as a top-level value would)."""
    value = np.asarray(leaf)
    return host_data_dtype(value, value)


def _collect_leaf_types(seq, strong: set, weak: set) -> None:
    """Sort the leaves of a nested list/tuple: numpy-typed leaves (arrays, numpy scalars) by
    their dtype into ``strong``; Python scalars by their type into ``weak``."""
    types = set(map(type, seq))  # one pass in C: most sequences hold a single leaf type
    for t in types:
        if t in _PY_SCALAR_TYPES:
            weak.add(t)
        elif issubclass(t, (list, tuple)):
            for s in seq:
                if type(s) is t:
                    _collect_leaf_types(s, strong, weak)
        elif issubclass(t, (np.ndarray, np.generic)):
            strong.update(_typed_leaf_dtype(s) for s in seq if type(s) is t)
        elif issubclass(t, _PY_SCALAR_TYPES):  # e.g. a bool/int/float subclass
            weak.add(next(b for b in _PY_SCALAR_TYPES if issubclass(t, b)))


def _sequence_dtype(seq):
    """JAX's rule for a nested list/tuple: the promotion (fnx's lattice) of its leaves' dtypes,
    Python scalars weak.  None when every leaf is a Python scalar (fnx's defaults apply)."""
    strong, weak = set(), set()
    _collect_leaf_types(seq, strong, weak)
    if not strong:
        return None
    representatives = {bool: False, int: 0, float: 0.0, complex: 0j}
    return result_type(*strong, *(representatives[t] for t in weak))


def host_data_dtype(value: np.ndarray, source) -> np.dtype:
    """Dtype of a new array built from host data: ``value`` is ``np.asarray(source)``."""
    kind = value.dtype.kind
    if isinstance(source, (list, tuple)):
        typed = _sequence_dtype(source)
        if typed is not None:
            return typed
    # Data typed by the user (a numpy array or numpy scalar) keeps its dtype; data that came
    # from Python lists/scalars gets fnx's defaults (float32, int32).
    explicit = isinstance(source, (np.ndarray, np.generic))
    if kind == "f" and not explicit:
        return default_float
    if kind in "iu" and not explicit:
        return default_int
    if kind == "c" and not explicit:
        return default_complex
    if kind == "f" and value.dtype == np.float16:
        return float32
    return canonicalize(value.dtype, "asarray")
