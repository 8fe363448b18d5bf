"""Helpers shared by fnx.numpy: argument conversion, dtype promotion and broadcasting.

Everything here works on abstract metadata (shapes, dtypes); values are only ever computed
through ``fnx.lax`` so the same code runs eagerly and under tracing.
"""
from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from .. import dtypes, lax
from ..core import Array, ArrayBase, Tracer, asarray_concrete
from ..errors import AxisError, DTypeError, FnxIndexError, ShapeError

_PY_SCALARS = (bool, int, float, complex)
_SUPPORTED = frozenset(dtypes.SUPPORTED)


def is_array(x) -> bool:
    return isinstance(x, ArrayBase)


def is_python_scalar(x) -> bool:
    return isinstance(x, _PY_SCALARS) and not isinstance(x, np.generic)


def host_to_array(name: str, x, dtype=None) -> Array:
    """Host data (numpy arrays/scalars, nested lists) -> a new Array, with errors naming ``name``."""
    if isinstance(x, (str, bytes)):
        raise DTypeError(f"{name}: strings are not supported by fnx (got {x!r})")
    if isinstance(x, (np.ndarray, np.generic)) and x.dtype not in _SUPPORTED and dtype is None:
        raise DTypeError(f"{name}: dtype {x.dtype} is not supported by fnx; supported: "
                         + ", ".join(str(d) for d in dtypes.SUPPORTED))
    if isinstance(x, (list, tuple)) and _contains_array(x):
        from ._creation import array
        return array(x, dtype=dtype)
    try:
        return asarray_concrete(x, dtype)
    except DTypeError as e:
        msg = str(e)
        if not msg.startswith(name + ":"):
            msg = f"{name}: {msg}"
        raise DTypeError(msg) from None


def _contains_array(seq) -> bool:
    for s in seq:
        if isinstance(s, ArrayBase):
            return True
        if isinstance(s, (list, tuple)) and _contains_array(s):
            return True
    return False


def arg(name: str, x):
    """An Array/Tracer or a (weak) Python scalar; anything else is converted to an Array."""
    if isinstance(x, ArrayBase) or is_python_scalar(x):
        return x
    return host_to_array(name, x)


def asarray_arg(name: str, x):
    """Like ``arg`` but Python scalars become (weak) Arrays too."""
    if isinstance(x, ArrayBase):
        return x
    if is_python_scalar(x):
        return asarray_concrete(x)
    return host_to_array(name, x)


def check_supported(name: str, dtype) -> np.dtype:
    try:
        return dtypes.canonicalize(dtype, name)
    except DTypeError:
        raise
    except Exception as e:  # pragma: no cover - unexpected dtype objects
        raise DTypeError(f"{name}: {dtype!r} is not a dtype") from e


def shape_of(x) -> tuple:
    if isinstance(x, ArrayBase):
        return tuple(x.shape)
    return ()


def broadcast_shapes_named(name: str, *shapes) -> tuple:
    """numpy's broadcasting of shapes; ShapeError naming ``name`` on mismatch."""
    if len(shapes) == 1:
        return tuple(shapes[0])
    ndim = builtins.max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        off = ndim - len(s)
        for i, d in enumerate(s):
            o = out[off + i]
            if d == o or d == 1:
                continue
            if o == 1:
                out[off + i] = d
            else:
                desc = " ".join(str(tuple(sh)) for sh in shapes)
                raise ShapeError(f"{name}: operands could not be broadcast together with "
                                 f"shapes {desc}")
    return tuple(out)


def broadcast_to_shape(x, shape):
    """Broadcast an Array/Tracer to ``shape`` (numpy rules; assumes compatibility)."""
    shape = tuple(shape)
    if tuple(x.shape) == shape:
        return x
    n = len(shape)
    dims = tuple(range(n - x.ndim, n))
    return lax.broadcast_in_dim(x, shape, dims)


def to_dtype(x, dtype, weak: bool = False, name: str = "asarray"):
    """Array/Tracer/Python scalar -> operand of ``dtype`` (Python scalars become weak Arrays;
    OverflowError naming ``name`` for a Python int that ``dtype`` cannot hold)."""
    if isinstance(x, ArrayBase):
        if x.dtype == dtype:
            return x
        py = getattr(x, "_py", None) if type(x) is Array else None
        if py is not None and (dtype.kind == "c" or (dtype.kind == "f" and type(py) is float)):
            # a weak Python float / complex: converted from its exact value
            return Array(dtypes.scalar_array(name, py, dtype), weak)
        if dtype == dtypes.bool_ and x.dtype != dtypes.bool_:
            return lax.ne(x, lax.convert_element_type(0, x.dtype))
        return lax.convert_element_type(x, dtype, weak_type=weak)
    # Python scalar: weak when the result is weak or when it meets arrays -- but only at the
    # default dtypes, the ones a weak value stands for: a weak float64 would drop back to
    # float32 at its next meeting with a Python scalar (1.0 / promote(x_f64, 2.0)[1])
    if dtype.kind in "iu" and isinstance(x, float):
        x = int(x)
    return Array(dtypes.scalar_array(name, x, dtype), weak or dtype in _WEAK_DTYPES)


_WEAK_DTYPES = frozenset({dtypes.default_int, dtypes.default_float, dtypes.default_complex,
                          dtypes.bool_})


def promote_dtypes(name: str, *args):
    """(converted args, dtype, weak) following fnx's promotion lattice."""
    args = [arg(name, a) for a in args]
    dtype, weak = dtypes.result_type(*args, return_weak_type=True)
    return args, dtype, weak


def promote(name: str, *args, inexact: bool = False, dtype=None, scalars_ok: bool = False):
    """Promote ``args`` to one dtype and broadcast them to one shape.

    ``inexact``: integer/bool results are promoted to the default float (as jnp.sin(int));
    float and complex results stay.
    ``scalars_ok``: leave rank-0 operands unbroadcast -- for results fed straight to a binary
    primitive, which broadcasts scalars itself (so ``x * 2.0`` stages no broadcast_in_dim).
    """
    args, dt, weak = promote_dtypes(name, *args)
    if dtype is not None:
        dt = check_supported(name, dtype)
        weak = False
    elif inexact and not dtypes.is_inexact(dt):
        dt = dtypes.default_float
    shape = broadcast_shapes_named(name, *(shape_of(a) for a in args))
    if scalars_ok:
        return [to_dtype(a, dt, weak, name) if not shape_of(a) else
                broadcast_to_shape(to_dtype(a, dt, weak, name), shape) for a in args]
    return [broadcast_to_shape(to_dtype(a, dt, weak, name), shape) for a in args]


def promote_no_broadcast(name: str, *args, inexact: bool = False):
    args, dt, weak = promote_dtypes(name, *args)
    if inexact and not dtypes.is_inexact(dt):
        dt = dtypes.default_float
    return [to_dtype(a, dt, weak, name) for a in args]


def check_kind(name: str, x, kinds: str, what: str):
    if x.dtype.kind not in kinds:
        raise DTypeError(f"{name}: expected {what}, got {x.dtype}")


def _axis_index(name: str, axis) -> int:
    try:
        return operator.index(axis)
    except TypeError:
        raise TypeError(f"{name}: axis must be an integer, got {axis!r}: "
                        f"'{type(axis).__name__}' object cannot be interpreted as an integer"
                        ) from None


def check_axis_types(name: str, axis) -> None:
    """TypeError naming ``name`` unless ``axis`` is None, an int or a tuple/list of ints (for
    functions that hand ``axis`` on to another reduction, which would name itself)."""
    if axis is not None:
        for a in axis if isinstance(axis, (tuple, list)) else (axis,):
            _axis_index(name, a)


def canonical_axis(name: str, axis, ndim: int) -> int:
    a = _axis_index(name, axis)
    if not -ndim <= a < ndim:
        raise AxisError(f"{name}: axis {a} is out of bounds for array of dimension {ndim}")
    return a + ndim if a < 0 else a


def canonical_axes(name: str, axis, ndim: int) -> tuple:
    """None -> all axes; int or tuple -> sorted tuple of non-negative axes (no repeats)."""
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, (tuple, list)):
        axis = (axis,)  # one axis: canonical_axis rejects non-integers (1.0, "0", arrays)
    out = tuple(canonical_axis(name, a, ndim) for a in axis)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: repeated axis in {tuple(axis)}")
    return tuple(sorted(out))


def static_int(name: str, x, what: str) -> int:
    """A Python int from an int-like (a concrete Array works; a traced one is an error)."""
    if isinstance(x, Tracer):
        x._concretization_error(f"{name}: {what}")
    try:
        return operator.index(x)
    except TypeError:
        raise TypeError(f"{name}: {what} must be an integer, got {x!r}") from None


def static_shape(name: str, shape) -> tuple:
    if isinstance(shape, (int, np.integer)) or (isinstance(shape, ArrayBase) and shape.ndim == 0):
        return (static_int(name, shape, "shape"),)
    shape = tuple(static_int(name, d, "shape") for d in shape)
    if any(d < 0 for d in shape):
        raise ValueError(f"{name}: negative dimensions are not allowed, got {shape}")
    return shape


def weak_scalar_like(x, value):
    """A scalar of ``x``'s dtype (weak, so it never changes the result type)."""
    return Array(np.array(value, dtype=x.dtype), True)


def full_scalar(value, dtype, shape=()):
    """A constant of ``shape``: a scalar broadcast with lax.broadcast_in_dim (zero-copy on CPU)."""
    scalar = Array(np.array(value, dtype=dtype))
    shape = tuple(shape)
    if not shape:
        return scalar
    return lax.broadcast_in_dim(scalar, shape, ())


def prod(shape) -> int:
    return math.prod(shape)


def zeros_like_operand(x, dtype=None):
    return full_scalar(0, dtype or x.dtype, x.shape)


def keep_dims(x, axes, ndim: int):
    """Re-insert reduced ``axes`` as size-1 dims (keepdims=True)."""
    if not axes:
        return x
    shape = list(x.shape)
    for a in sorted(axes):
        shape.insert(a, 1)
    return lax.reshape(x, tuple(shape))


def default_fill_value(dtype):
    """jax.numpy's value for out-of-range reads in "fill" mode: NaN for floats (complex:
    NaN + 0j), the most negative value of signed ints, the largest of unsigned ints, True for
    bool."""
    if dtype.kind in "fc":
        return np.nan
    if dtype.kind == "b":
        return True
    if dtype.kind == "u":
        return np.iinfo(dtype).max
    return np.iinfo(dtype).min


def fill_scalar(name: str, fill_value, dtype):
    """``fill_value`` (None: ``default_fill_value(dtype)``) as a static scalar."""
    if fill_value is None:
        return default_fill_value(dtype)
    if isinstance(fill_value, Tracer):
        fill_value._concretization_error(f"{name}: fill_value")
    if np.ndim(fill_value) != 0:
        raise ValueError(f"{name}: fill_value must be a scalar, got shape "
                         f"{np.shape(fill_value)}")
    return fill_value.item() if isinstance(fill_value, (ArrayBase, np.ndarray)) else fill_value


def full_like_weak(x, value, shape=None):
    """``value`` in ``x``'s dtype and weak type, of ``shape`` (default ``x``'s): the fill of a
    gather keeps a weak result weak, as the gather does."""
    scalar = Array(np.array(value, x.dtype), bool(x.weak_type))
    return lax.broadcast_in_dim(scalar, tuple(x.shape if shape is None else shape), ())
