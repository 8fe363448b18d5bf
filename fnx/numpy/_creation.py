"""Array creation: array/asarray, constants, ranges, eye/tri and meshgrid.

Constants are a scalar broadcast with ``lax.broadcast_in_dim`` (a zero-copy view on the CPU
backend) and ranges are ``lax.iota``, so under tracing they appear as cheap equations instead
of large embedded constants.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import dtypes, lax, placement
from ..core import Array, ArrayBase, Tracer
from ..device import Device
from ..errors import DeviceError, DTypeError
from ._complex import reject_complex
from ._util import (check_supported, full_scalar, host_to_array, is_python_scalar,
                    static_int, static_shape, to_dtype)


def _dtype_or(name, dtype, default):
    return check_supported(name, dtype) if dtype is not None else default


# -- devices (the array API's ``device=`` keyword) ---------------------------------------------

def resolve_device(name, device):
    """``device`` as an fnx ``Device``: None stays None; a ``Device`` or a name ("cpu", "cuda",
    "cuda:1", "gpu") must be one of ``fnx.devices()``; anything else is a DeviceError (a
    ValueError) naming ``name``."""
    if device is None:
        return None
    if isinstance(device, Device):
        d = device
    elif isinstance(device, str):
        platform, _, index = device.partition(":")
        try:
            d = Device("cuda" if platform == "gpu" else platform, int(index or 0))
        except ValueError:
            raise DeviceError(f"{name}: cannot parse the device {device!r} (use 'cpu', 'cuda' "
                              "or 'cuda:<id>', or a device of fnx.devices())") from None
    else:
        raise DeviceError(f"{name}: device must be None, a device of fnx.devices() or a name "
                          f"such as 'cpu'; got {type(device).__name__} {device!r}")
    available = placement.devices()
    if d not in available:
        raise DeviceError(f"{name}: no device {d} (available: "
                          f"{', '.join(str(a) for a in available)})")
    return d


def place(name, out, device, like=None):
    """``out`` on ``device`` (committed to it, as ``fnx.device_put``; a tracer stays as it is:
    placement is a property of concrete values).  ``device=None`` leaves ``out`` uncommitted,
    unless ``like`` (the ``x`` of a ``*_like`` function) is a GPU or committed array: the array
    API infers the device from ``x`` then."""
    d = resolve_device(name, device)
    if d is None:
        if isinstance(like, Array) and type(like) is not Array:
            return placement.device_put(out, like.device)
        return out
    return placement.device_put(out, d)


# -- array / asarray --------------------------------------------------------------------------

def array(object, dtype=None, copy=True, order="K", ndmin=0, *, device=None):
    """Create an Array from host data, an Array or a (nested) sequence that may hold Arrays.

    Python floats become float32 and ints int32 (fnx/JAX defaults); numpy arrays keep their
    dtype.  ``fnp.array([1.0, 2.0]) -> Array([1., 2.])``
    """
    if order not in ("K", "C", "A", None):
        raise NotImplementedError("array: only order='C' is supported")
    if isinstance(object, ArrayBase):
        out = object if dtype is None else to_dtype(object, check_supported("array", dtype))
        if dtype is None and object.weak_type:
            out = lax.convert_element_type(object, object.dtype, weak_type=False)
    elif isinstance(object, (list, tuple)) and _has_traced_or_array(object):
        out = _stack_nested("array", object, dtype)
    else:
        out = host_to_array("array", object, None if dtype is None
                            else check_supported("array", dtype))
        if out.weak_type:  # fnp.array(3.0) is a strong float32, as in JAX
            out = Array(out._value, False)
    if ndmin and out.ndim < ndmin:
        out = lax.reshape(out, (1,) * (ndmin - out.ndim) + tuple(out.shape))
    return place("array", out, device)


def asarray(a, dtype=None, order=None, *, copy=None, device=None):
    """Convert ``a`` to an Array (no copy when it already is one of the right dtype).

    ``copy`` (the array API's): None copies host data (fnx arrays are immutable, the caller's
    numpy array is not) and reuses fnx arrays; True always gives a new buffer; False never
    copies -- a C-contiguous numpy array of the requested dtype is wrapped as it is (the caller
    must not write to it afterwards), and a conversion that needs a copy is a ValueError.
    ``device``: None, a device of ``fnx.devices()`` or a name such as "cpu"."""
    if copy is False:
        out = _asarray_no_copy(a, dtype, device)
    elif isinstance(a, ArrayBase):
        out = a if dtype is None else to_dtype(a, check_supported("asarray", dtype))
        if copy and out is a and type(a) is Array:
            out = Array(np.array(a._value), a.weak_type)
    elif isinstance(a, (list, tuple)) and _has_traced_or_array(a):
        out = _stack_nested("asarray", a, dtype)
    else:
        out = host_to_array("asarray", a, None if dtype is None
                            else check_supported("asarray", dtype))
    return out if device is None else place("asarray", out, device)  # (the hot path: no call)


def _asarray_no_copy(a, dtype, device):
    """asarray(copy=False): ``a`` itself, or a wrapper of its buffer; ValueError if a copy (a
    dtype conversion, a move to another device, a Python sequence or scalar) is needed."""
    def refuse(why):
        raise ValueError(f"asarray: copy=False, but {why} needs a copy")
    target = None if dtype is None else check_supported("asarray", dtype)
    if isinstance(a, ArrayBase):
        if target is not None and target != a.dtype:
            refuse(f"converting {a.dtype} to {target}")
        d = resolve_device("asarray", device)
        if d is not None and isinstance(a, Array) and a.device != d:
            refuse(f"moving the array from {a.device} to {d}")
        return a
    if not isinstance(a, np.ndarray):
        refuse(f"converting a {type(a).__name__} to an array")
    if target is not None and target != a.dtype:
        refuse(f"converting {a.dtype} to {target}")
    if not a.flags.c_contiguous:
        refuse("a non-contiguous numpy array")
    check_supported("asarray", a.dtype)
    return Array(a)


def _has_traced_or_array(seq) -> bool:
    for s in seq:
        if isinstance(s, ArrayBase):
            return True
        if isinstance(s, (list, tuple)) and _has_traced_or_array(s):
            return True
    return False


def _stack_nested(name, seq, dtype):
    """[[x, 1.0], [y, z]] with Arrays/tracers inside -> one Array (via lax concatenation)."""
    from ._manipulation import stack
    items = [
        _stack_nested(name, s, None) if isinstance(s, (list, tuple)) else
        (s if isinstance(s, ArrayBase) else host_to_array(name, s))
        for s in seq]
    if not items:
        return host_to_array(name, [], dtype)
    out = stack(items)
    if dtype is not None:
        out = to_dtype(out, check_supported(name, dtype))
    return out


# -- constants --------------------------------------------------------------------------------

def zeros(shape, dtype=None, *, device=None):
    """An array of zeros (float32 by default).  ``fnp.zeros((2, 3))``"""
    return place("zeros", full_scalar(0, _dtype_or("zeros", dtype, dtypes.default_float),
                                      static_shape("zeros", shape)), device)


def ones(shape, dtype=None, *, device=None):
    """An array of ones (float32 by default)."""
    return place("ones", full_scalar(1, _dtype_or("ones", dtype, dtypes.default_float),
                                     static_shape("ones", shape)), device)


def empty(shape, dtype=None, *, device=None):
    """Like zeros (fnx never exposes uninitialised memory)."""
    resolve_device("empty", device)
    return zeros(shape, dtype, device=device)


def full(shape, fill_value, dtype=None, *, device=None):
    """An array of ``shape`` filled with ``fill_value`` (a scalar or a broadcastable array)."""
    resolve_device("full", device)
    return place("full", _full(shape, fill_value, dtype), device)


def _full(shape, fill_value, dtype):
    shape = static_shape("full", shape)
    if isinstance(fill_value, ArrayBase) or not (is_python_scalar(fill_value)
                                                  or np.ndim(fill_value) == 0):
        from ._manipulation import broadcast_to
        v = asarray(fill_value, dtype)
        if v.weak_type:
            v = lax.convert_element_type(v, v.dtype, weak_type=False)
        return broadcast_to(v, shape)
    if dtype is None:
        if isinstance(fill_value, np.generic):
            dt = check_supported("full", fill_value.dtype)
        else:
            dt = dtypes.result_type(fill_value)
    else:
        dt = check_supported("full", dtype)
    if isinstance(fill_value, complex) and not dtypes.is_complex(dt):
        fill_value = fill_value.real  # numpy's cast (without its ComplexWarning)
    if is_python_scalar(fill_value):
        dtypes.scalar_array("full", fill_value, dt)  # OverflowError if dt cannot hold it
    return full_scalar(fill_value, dt, shape)


def _like(name, a, dtype, shape):
    dt = _dtype_or(name, dtype, None)
    if dt is None:
        dt = a.dtype if isinstance(a, ArrayBase) else np.asarray(a).dtype
        dt = check_supported(name, dt if not (is_python_scalar(a)) else dtypes.result_type(a))
    sh = static_shape(name, shape) if shape is not None else tuple(np.shape(a)) \
        if not isinstance(a, ArrayBase) else tuple(a.shape)
    return dt, sh


def zeros_like(a, dtype=None, shape=None, *, device=None):
    """Zeros of ``a``'s shape and dtype, on ``device`` (None: where ``a`` lives)."""
    dt, sh = _like("zeros_like", a, dtype, shape)
    return place("zeros_like", full_scalar(0, dt, sh), device, a)


def ones_like(a, dtype=None, shape=None, *, device=None):
    """Ones of ``a``'s shape and dtype, on ``device`` (None: where ``a`` lives)."""
    dt, sh = _like("ones_like", a, dtype, shape)
    return place("ones_like", full_scalar(1, dt, sh), device, a)


def empty_like(a, dtype=None, shape=None, *, device=None):
    """Like zeros_like (fnx never exposes uninitialised memory)."""
    dt, sh = _like("empty_like", a, dtype, shape)
    return place("empty_like", full_scalar(0, dt, sh), device, a)


def full_like(a, fill_value, dtype=None, shape=None, *, device=None):
    """``fill_value`` in ``a``'s shape and dtype, on ``device`` (None: where ``a`` lives)."""
    dt, sh = _like("full_like", a, dtype, shape)
    resolve_device("full_like", device)
    return place("full_like", _full(sh, fill_value, dt), device, a)


# -- ranges -----------------------------------------------------------------------------------

def _static_number(name, x, what):
    if isinstance(x, Tracer):
        x._concretization_error(f"{name}: {what}")
    if isinstance(x, Array):
        return x.item()
    if isinstance(x, np.generic):
        return x.item()
    return x


def _arange_length(start, stop, step) -> int:
    """numpy's number of values: ceil((stop - start) / step); with a complex argument, the
    smaller of the ceilings of the quotient's real and imaginary parts."""
    q = (stop - start) / step
    if any(np.iscomplexobj(v) for v in (start, stop, step)):
        q = complex(q)
        return max(0, min(math.ceil(q.real), math.ceil(q.imag)))
    return max(0, math.ceil(q))


def arange(start, stop=None, step=None, dtype=None, *, device=None):
    """Evenly spaced values in [start, stop) (static arguments).  Ints give int32, floats
    float32, complex numbers complex64, explicitly typed (numpy/fnx) values their promoted
    dtype.  ``fnp.arange(3) -> [0, 1, 2]``"""
    resolve_device("arange", device)
    return place("arange", _arange(start, stop, step, dtype), device)


def _arange(start, stop, step, dtype):
    if dtype is None:
        dt = dtypes.result_type(*(v for v in (start, stop, step) if v is not None))
        dt = dtypes.default_int if dt == dtypes.bool_ else dt
    else:
        dt = check_supported("arange", dtype)
    start = _static_number("arange", start, "start")
    stop = _static_number("arange", stop, "stop")
    step = _static_number("arange", step, "step")
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    if step == 0:
        raise ValueError("arange: step must not be zero")
    n = _arange_length(start, stop, step)
    if dt.kind in "iu" and all(isinstance(v, (int, np.integer)) for v in (start, stop, step)):
        idx = lax.iota(dt, n)
        if step != 1:
            idx = lax.mul(idx, full_scalar(step, dt, (n,)))
        if start != 0:
            idx = lax.add(idx, full_scalar(start, dt, (n,)))
        return idx
    complex_values = dt.kind == "c" or any(np.iscomplexobj(v) for v in (start, stop, step))
    work = dtypes.complex128 if complex_values else dtypes.float64 if dt.kind != "f" else dt
    idx = to_dtype(lax.iota(dtypes.real_of(work), n), work)
    vals = lax.add(lax.mul(idx, full_scalar(step, work, (n,))), full_scalar(start, work, (n,)))
    return to_dtype(vals, dt)


def _float_result_dtype(name, dtype, *values):
    """``dtype`` if given, else the floating dtype of ``values`` (Python scalars weak: float32
    unless a value is explicitly float64)."""
    if dtype is not None:
        return check_supported(name, dtype)
    values = [v if is_python_scalar(v) or isinstance(v, ArrayBase) else asarray(v)
              for v in values]
    dt = dtypes.result_type(*values, float)
    return dt if dtypes.is_inexact(dt) else dtypes.default_float


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    """``num`` evenly spaced samples from start to stop (stop included when ``endpoint``)."""
    resolve_device("linspace", device)
    out = _linspace(start, stop, num, endpoint, retstep, dtype, axis)
    if retstep:
        return place("linspace", out[0], device), out[1]
    return place("linspace", out, device)


def _linspace(start, stop, num, endpoint, retstep, dtype, axis):
    from ._manipulation import moveaxis
    num = static_int("linspace", num, "num")
    if num < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative")
    # Python scalars go straight to the float64 working dtype: through a weak float32 Array
    # they would lose precision or range (16777217.0, 1e-283) before the computation starts.
    start_a = start if is_python_scalar(start) else asarray(start)
    stop_a = stop if is_python_scalar(stop) else asarray(stop)
    out_dt = _float_result_dtype("linspace", dtype, start_a, stop_a)
    complex_values = dtypes.is_complex(dtypes.result_type(start_a, stop_a, out_dt))
    work = dtypes.complex128 if complex_values else dtypes.float64
    s = to_dtype(start_a, work)
    e = to_dtype(stop_a, work)
    from ._util import broadcast_shapes_named, broadcast_to_shape
    bshape = broadcast_shapes_named("linspace", s.shape, e.shape)
    s, e = broadcast_to_shape(s, bshape), broadcast_to_shape(e, bshape)
    div = (num - 1) if endpoint else num
    shape = (num,) + bshape
    dims = tuple(range(1, len(shape)))
    sb = lax.broadcast_in_dim(s, shape, dims)
    eb = lax.broadcast_in_dim(e, shape, dims)
    delta = lax.sub(e, s)
    if div > 0:
        step = lax.div(delta, full_scalar(div, work, bshape))
        iota = to_dtype(lax.broadcasted_iota(dtypes.float64, shape, 0), work) if num \
            else full_scalar(0, work, shape)
        y = lax.add(lax.mul(iota, lax.broadcast_in_dim(step, shape, dims)), sb)
        if endpoint and num > 1:
            last = lax.eq(lax.broadcasted_iota(dtypes.int32, shape, 0),
                          full_scalar(num - 1, dtypes.int32, shape))
            y = lax.select(last, eb, y)
    else:
        step = full_scalar(np.nan, work, bshape)
        y = sb
    if out_dt.kind in "iu":
        y = lax.floor(y)
    y = to_dtype(y, out_dt)
    if axis != 0 and y.ndim:
        y = moveaxis(y, 0, axis)
    if retstep:
        return y, to_dtype(step, out_dt if dtypes.is_inexact(out_dt) else dtypes.default_float)
    return y


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """``base ** linspace(start, stop, num)``."""
    from ._ufuncs import power
    dt = _float_result_dtype("logspace", dtype, start, stop)
    reject_complex("logspace", dt)
    lin = linspace(start, stop, num, endpoint, dtype=dtypes.float64, axis=axis)
    y = power(full_scalar(base, dtypes.float64), lin)
    return to_dtype(y, dt)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Geometric progression from start to stop (positive endpoints)."""
    from ._ufuncs import power
    dt = _float_result_dtype("geomspace", dtype, start, stop)
    reject_complex("geomspace", dt)
    lin = linspace(math.log10(start), math.log10(stop), num, endpoint, dtype=dtypes.float64,
                   axis=axis)
    y = power(full_scalar(10.0, dtypes.float64), lin)
    return to_dtype(y, dt)


# -- eye / tri --------------------------------------------------------------------------------

def _clamp_diagonal(k, n, m):
    """``k`` clamped into [-n, m]: every diagonal outside lies off the (n, m) matrix, so they all
    select the same elements -- and the offset fits int32 (numpy accepts any Python int)."""
    return min(max(k, -n), m)


def _tri_mask(n, m, k):
    """Boolean (n, m) with True where j - i <= k (on and below the k-th diagonal)."""
    k = _clamp_diagonal(k, n, m)
    i = lax.broadcasted_iota(dtypes.int32, (n, m), 0)
    j = lax.broadcasted_iota(dtypes.int32, (n, m), 1)
    return lax.ge(lax.add(i, full_scalar(k, dtypes.int32, (n, m))), j)


def eye(N, M=None, k=0, dtype=None, *, device=None):
    """A 2-d array with ones on the k-th diagonal."""
    resolve_device("eye", device)
    return place("eye", _eye(N, M, k, dtype), device)


def _eye(N, M, k, dtype):
    n = static_int("eye", N, "N")
    m = n if M is None else static_int("eye", M, "M")
    k = static_int("eye", k, "k")
    dt = _dtype_or("eye", dtype, dtypes.default_float)
    if n == 0 or m == 0:
        return full_scalar(0, dt, (n, m))
    k = _clamp_diagonal(k, n, m)
    i = lax.broadcasted_iota(dtypes.int32, (n, m), 0)
    j = lax.broadcasted_iota(dtypes.int32, (n, m), 1)
    on = lax.eq(lax.add(i, full_scalar(k, dtypes.int32, (n, m))), j)
    return to_dtype(on, dt)


def identity(n, dtype=None):
    """The n x n identity matrix."""
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the k-th diagonal, zeros above."""
    n = static_int("tri", N, "N")
    m = n if M is None else static_int("tri", M, "M")
    k = static_int("tri", k, "k")
    dt = _dtype_or("tri", dtype, dtypes.default_float)
    if n == 0 or m == 0:
        return full_scalar(0, dt, (n, m))
    return to_dtype(_tri_mask(n, m, k), dt)


def _tri_select(name, m, k, lower):
    from ._util import asarray_arg
    m = asarray_arg(name, m)
    if m.ndim < 2:
        raise ValueError(f"{name}: input must be at least 2-d, got shape {tuple(m.shape)}")
    n_, m_ = m.shape[-2:]
    if n_ == 0 or m_ == 0:
        return m
    mask = _tri_mask(n_, m_, k if lower else k - 1)
    if not lower:
        mask = lax.bitwise_not(mask)
    mask = lax.broadcast_in_dim(mask, m.shape, (m.ndim - 2, m.ndim - 1))
    return lax.select(mask, m, full_scalar(0, m.dtype, m.shape))


def tril(m, k=0):
    """Lower triangle of the last two axes (zeros above the k-th diagonal)."""
    return _tri_select("tril", m, static_int("tril", k, "k"), True)


def triu(m, k=0):
    """Upper triangle of the last two axes (zeros below the k-th diagonal)."""
    return _tri_select("triu", m, static_int("triu", k, "k"), False)


# -- meshgrid ---------------------------------------------------------------------------------

def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Coordinate arrays from 1-d coordinate vectors (``indexing`` 'xy' or 'ij')."""
    from ._util import asarray_arg
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [asarray_arg("meshgrid", x) for x in xi]
    xs = [lax.reshape(x, (x.size,)) if x.ndim != 1 else x for x in xs]
    n = len(xs)
    shape = [x.shape[0] for x in xs]
    if indexing == "xy" and n >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, x in enumerate(xs):
        dim = i
        if indexing == "xy" and n >= 2 and i < 2:
            dim = 1 - i
        if sparse:
            s = [1] * n
            s[dim] = x.shape[0]
            out.append(lax.reshape(x, tuple(s)))
        else:
            out.append(lax.broadcast_in_dim(x, tuple(shape), (dim,)))
    return out


__all__ = ["array", "asarray", "zeros", "ones", "empty", "full", "zeros_like", "ones_like",
           "empty_like", "full_like", "arange", "linspace", "logspace", "geomspace", "eye",
           "identity", "tri", "tril", "triu", "meshgrid"]
_ = operator
