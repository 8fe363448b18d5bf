"""Elementwise functions of fnx.numpy (numpy names, numpy broadcasting, JAX promotion).

Python scalars are *weak*: they take the dtype of the array they meet (see ``fnx.dtypes``).
Functions that numpy computes in floating point (sqrt, exp, sin, true_divide, ...) promote
integer and bool inputs to the default float (float32), as jax.numpy does.  Complex operands get
numpy's complex results; the functions numpy defines for real numbers only (floor, fmod,
arctan2, signbit, ...) raise a DTypeError naming themselves (see ``_complex``).
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from .. import dtypes, lax
from ..core import Array, ArrayBase, _eager, _trace_state
from ..core import bind as _core_bind
from ..errors import DTypeError
from . import _complex as cx
from ._complex import reject_complex
from ._logaddexp import logaddexp, logaddexp2  # noqa: F401  (public here: fnx.numpy's ufuncs)
from ._util import (arg, asarray_arg, check_kind, full_scalar, is_python_scalar, promote,
                    promote_dtypes, to_dtype, weak_scalar_like)


_FAST_DTYPES = frozenset((dtypes.int8, dtypes.uint8, dtypes.uint32, dtypes.int32, dtypes.int64,
                          dtypes.float32, dtypes.float64))


_const = weak_scalar_like


def _float_operand(name, x, complex_ok=True):
    """``x`` as an array, ints/bools promoted to the default float (weakness kept); a complex
    ``x`` stays complex, or is a DTypeError where numpy defines ``name`` for reals only."""
    x = asarray_arg(name, x)
    if not complex_ok:
        reject_complex(name, x)
    if not dtypes.is_inexact(x.dtype):
        return lax.convert_element_type(x, dtypes.default_float, weak_type=x.weak_type)
    return x


# ---------------------------------------------------------------------------------------------
# Binary arithmetic.  Each public function starts with a fast path for two concrete Arrays of
# one numeric dtype and shape: it goes straight to the primitive (no promotion, no broadcast).
# ---------------------------------------------------------------------------------------------

_weak_scalars: dict = {}


def _weak_scalar(name, value, dtype) -> Array:
    """A cached weak scalar Array (arrays are immutable, so ``x * 2.0`` can reuse its 2.0)."""
    key = (type(value), value, dtype)
    if not value and type(value) is float:   # `not value`: the cheapest zero test
        # 0.0 == -0.0 (one dict key), but the sign of zero is part of the value: -0.0 + -0.0
        # is -0.0, 1 / -0.0 is -inf
        key += (math.copysign(1.0, value),)
    a = _weak_scalars.get(key)
    if a is None:
        if len(_weak_scalars) > 512:  # bounded: NaN keys never hit, and values vary freely
            _weak_scalars.clear()
        a = _weak_scalars[key] = Array(dtypes.scalar_array(name, value, dtype), True)
    return a


def _scalar_fast_operands(name, x, y):
    """(x, y) as Arrays when one is a float Array and the other a Python float/int, else None.

    A weak Python scalar takes a float array's dtype, so no promotion logic is needed."""
    tx, ty = type(x), type(y)
    if tx is Array and (ty is float or ty is int):
        dt = x._value.dtype
        if dt.kind == "f":
            return x, _weak_scalar(name, y, dt)
    elif ty is Array and (tx is float or tx is int):
        dt = y._value.dtype
        if dt.kind == "f":
            return _weak_scalar(name, x, dt), y
    return None


def _fast_binary(prim, name, allow_bool=False, bool_prim=None):
    def fn(x, y, /):
        if type(x) is Array and type(y) is Array:
            xv, yv = x._value, y._value
            dt = xv.dtype
            if dt is yv.dtype and xv.shape == yv.shape and dt in _FAST_DTYPES:
                if _eager[0] or _trace_state.eager:
                    return prim.impl(x, y)
                return _core_bind(prim, x, y)
        elif _eager[0] or _trace_state.eager:
            pair = _scalar_fast_operands(name, x, y)
            if pair is not None:
                return prim.impl(*pair)
        x, y = promote(name, x, y, scalars_ok=True)
        if x.dtype == dtypes.bool_:
            if bool_prim is None:
                raise DTypeError(f"{name}: not supported for bool operands")
            return _core_bind(bool_prim, x, y)
        return _core_bind(prim, x, y)
    fn.__name__ = name
    fn.__qualname__ = name
    return fn


add = _fast_binary(lax.add_p, "add", bool_prim=lax.or_p)
add.__doc__ = "x + y elementwise (bool: logical or).  ``fnp.add(fnp.ones(2), 1.0)``"
subtract = _fast_binary(lax.sub_p, "subtract")
subtract.__doc__ = "x - y elementwise."
multiply = _fast_binary(lax.mul_p, "multiply", bool_prim=lax.and_p)
multiply.__doc__ = "x * y elementwise (bool: logical and)."


def true_divide(x, y, /):
    """x / y; integer and bool inputs give float32 (as jax.numpy)."""
    if type(x) is Array and type(y) is Array:
        xv, yv = x._value, y._value
        dt = xv.dtype
        if dt is yv.dtype and xv.shape == yv.shape and dt.kind == "f":
            return _core_bind(lax.div_p, x, y)
    x, y = promote("true_divide", x, y, inexact=True, scalars_ok=True)
    return lax.div(x, y)


divide = true_divide


def _int_floor_divide(x, y):
    q = lax.div(x, y)
    if x.dtype.kind == "u":
        return q
    r = lax.rem(x, y)
    zero = _const(x, 0)
    fix = lax.bitwise_and(lax.ne(r, zero), lax.ne(lax.lt(r, zero), lax.lt(y, zero)))
    return lax.select(fix, lax.sub(q, _const(x, 1)), q)


def _signbit_float(x):
    """The IEEE sign bit: set for -0.0 and for NaNs with a negative sign, as numpy's (read off
    the bits: a comparison cannot see either)."""
    as_int = dtypes.int32 if x.dtype == dtypes.float32 else dtypes.int64
    bits = lax.bitcast_convert_type(x, as_int)
    return lax.lt(bits, full_scalar(0, as_int, x.shape))


def _copysign_zero(sign_src):
    """+0.0 or -0.0 with the sign of ``sign_src``."""
    zero = full_scalar(0.0, sign_src.dtype, sign_src.shape)
    return lax.select(_signbit_float(sign_src), lax.neg(zero), zero)


def _float_divmod(x, y):
    """numpy's npy_divmod for floats: (floor quotient, remainder with the sign of y)."""
    zero = _const(x, 0)
    mod = lax.rem(x, y)
    div = lax.div(lax.sub(x, mod), y)
    fix = lax.bitwise_and(lax.ne(mod, zero), lax.ne(lax.lt(y, zero), lax.lt(mod, zero)))
    mod = lax.select(fix, lax.add(mod, y), mod)
    div = lax.select(fix, lax.sub(div, _const(x, 1)), div)
    mod = lax.select(lax.eq(mod, zero), _copysign_zero(y), mod)
    floordiv = lax.floor(div)
    floordiv = lax.select(lax.gt(lax.sub(div, floordiv), _const(x, 0.5)),
                          lax.add(floordiv, _const(x, 1)), floordiv)
    quotient = lax.div(x, y)
    floordiv = lax.select(lax.eq(div, zero), _copysign_zero(quotient), floordiv)
    y_zero = lax.eq(y, zero)
    floordiv = lax.select(y_zero, quotient, floordiv)
    return floordiv, mod


def floor_divide(x, y, /):
    """x // y rounded toward -inf (integer x // 0 gives 0).

    Floats follow numpy except where exactly one operand is infinite: there the array API
    standard's ``floor(x / y)`` holds (``inf // 2 -> inf``, ``1 // -inf -> -0.0``), where numpy
    pairs ``//`` with ``%`` and gives NaN / -1.0."""
    x, y = promote("floor_divide", x, y)
    reject_complex("floor_divide", x)
    if x.dtype == dtypes.bool_:
        raise DTypeError("floor_divide: not supported for bool operands")
    if x.dtype.kind in "iu":
        return _int_floor_divide(x, y)
    one_infinite = lax.ne(_isinf(x), _isinf(y))  # NaNs: neither infinite, numpy's NaN stays
    return lax.select(one_infinite, lax.div(x, y), _float_divmod(x, y)[0])


def _isinf(x):
    return lax.eq(lax.abs(x), _const(x, float("inf")))


def remainder(x, y, /):
    """x % y with the sign of y (Python/numpy semantics; integer x % 0 gives 0)."""
    x, y = promote("remainder", x, y)
    reject_complex("remainder", x)
    if x.dtype == dtypes.bool_:
        raise DTypeError("remainder: not supported for bool operands")
    if x.dtype.kind in "iu":
        r = lax.rem(x, y)
        if x.dtype.kind == "u":
            return r
        zero = _const(x, 0)
        fix = lax.bitwise_and(lax.ne(r, zero), lax.ne(lax.lt(r, zero), lax.lt(y, zero)))
        return lax.select(fix, lax.add(r, y), r)
    return _float_divmod(x, y)[1]


mod = remainder


def divmod(x, y, /):
    """(floor_divide(x, y), remainder(x, y))."""
    return floor_divide(x, y), remainder(x, y)


def fmod(x, y, /):
    """C-style remainder with the sign of x."""
    x, y = promote("fmod", x, y)
    reject_complex("fmod", x)
    if x.dtype == dtypes.bool_:
        raise DTypeError("fmod: not supported for bool operands")
    return lax.rem(x, y)


def power(x, y, /):
    """x ** y.  A static Python int exponent uses repeated multiplication (lax.integer_pow)."""
    if isinstance(y, int) and not isinstance(y, bool) and not isinstance(y, np.generic):
        x = asarray_arg("power", x)
        if x.dtype == dtypes.bool_:
            x = lax.convert_element_type(x, dtypes.default_int, weak_type=x.weak_type)
        if y < 0 and x.dtype.kind in "iu":
            raise ValueError("power: integers to negative integer powers are not allowed")
        return lax.integer_pow(x, y)
    x, y = promote("power", x, y)
    if x.dtype == dtypes.bool_:
        raise DTypeError("power: not supported for bool operands")
    return lax.pow(x, y)


pow = power


def float_power(x, y, /):
    """x ** y computed in float64, or complex128 for complex operands (numpy's float_power)."""
    complex_result = dtypes.is_complex(dtypes.result_type(arg("float_power", x),
                                                          arg("float_power", y)))
    x, y = promote("float_power", x, y,
                   dtype=dtypes.complex128 if complex_result else dtypes.float64)
    return lax.pow(x, y)


# ---------------------------------------------------------------------------------------------
# Unary arithmetic
# ---------------------------------------------------------------------------------------------

def negative(x, /):
    x = asarray_arg("negative", x)
    if x.dtype == dtypes.bool_:
        raise DTypeError("negative: not supported for bool (use logical_not)")
    return lax.neg(x)


def positive(x, /):
    return asarray_arg("positive", x)


def absolute(x, /):
    x = asarray_arg("absolute", x)
    if x.dtype == dtypes.bool_ or x.dtype.kind == "u":
        return x
    return lax.abs(x)


abs = absolute


def fabs(x, /):
    return lax.abs(_float_operand("fabs", x, complex_ok=False))


def sign(x, /):
    """-1, 0 or 1 (NaN for NaN; z / |z| for complex); ``sign(-0.0)`` is +0.0 (numpy's and the
    array API's)."""
    x = asarray_arg("sign", x)
    if x.dtype == dtypes.bool_:
        raise DTypeError("sign: not supported for bool")
    return lax.sign(x)


def _unary_float(name, fn, doc, complex_ok=True):
    def f(x, /):
        return fn(_float_operand(name, x, complex_ok))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


exp = _unary_float("exp", lax.exp, "e**x elementwise.")
expm1 = _unary_float("expm1", lax.expm1, "exp(x) - 1, accurate near 0.")
log = _unary_float("log", lax.log, "Natural logarithm.")
log1p = _unary_float("log1p", lax.log1p, "log(1 + x), accurate near 0.")
sqrt = _unary_float("sqrt", lax.sqrt, "Square root.")
cbrt = _unary_float("cbrt", lax.cbrt, "Cube root (real numbers).", complex_ok=False)
sin = _unary_float("sin", lax.sin, "Sine.")
cos = _unary_float("cos", lax.cos, "Cosine.")
tan = _unary_float("tan", lax.tan, "Tangent.")
arcsin = _unary_float("arcsin", lax.asin, "Inverse sine.")
arccos = _unary_float("arccos", lax.acos, "Inverse cosine.")
arctan = _unary_float("arctan", lax.atan, "Inverse tangent.")
sinh = _unary_float("sinh", lax.sinh, "Hyperbolic sine.")
cosh = _unary_float("cosh", lax.cosh, "Hyperbolic cosine.")
tanh = _unary_float("tanh", lax.tanh, "Hyperbolic tangent.")
arcsinh = _unary_float("arcsinh", lax.asinh, "Inverse hyperbolic sine.")
arccosh = _unary_float("arccosh", lax.acosh, "Inverse hyperbolic cosine.")
arctanh = _unary_float("arctanh", lax.atanh, "Inverse hyperbolic tangent.")
asin, acos, atan = arcsin, arccos, arctan
asinh, acosh, atanh = arcsinh, arccosh, arctanh


def _by_real_constant(op, x, value):
    """``op(x, value)`` for a real constant: a complex ``x`` part by part, as numpy (a complex
    product with ``value + 0j`` would turn the partner of an infinite part into NaN)."""
    if cx.is_complex(x):
        return cx.map_parts(lambda part: op(part, _const(part, value)), x)
    return op(x, _const(x, value))


def exp2(x, /):
    """2**x elementwise (complex: exp(x ln 2))."""
    x = _float_operand("exp2", x)
    if cx.is_complex(x):
        return lax.exp(_by_real_constant(lax.mul, x, math.log(2)))
    return lax.exp2(x)


def log2(x, /):
    return _by_real_constant(lax.div, lax.log(_float_operand("log2", x)), math.log(2))


def log10(x, /):
    return _by_real_constant(lax.div, lax.log(_float_operand("log10", x)), math.log(10))


def square(x, /):
    x = asarray_arg("square", x)
    if cx.is_complex(x):
        return cx.square(x)
    if x.dtype == dtypes.bool_:
        x = lax.convert_element_type(x, dtypes.default_int, weak_type=x.weak_type)
    return lax.integer_pow(x, 2)


def reciprocal(x, /):
    """1 / x; integer inputs give float32 (as jax.numpy)."""
    x = _float_operand("reciprocal", x)
    return cx.reciprocal(x) if cx.is_complex(x) else lax.integer_pow(x, -1)


def deg2rad(x, /):
    x = _float_operand("deg2rad", x, complex_ok=False)
    return lax.mul(x, _const(x, math.pi / 180))


def rad2deg(x, /):
    x = _float_operand("rad2deg", x, complex_ok=False)
    return lax.mul(x, _const(x, 180 / math.pi))


radians, degrees = deg2rad, rad2deg


def arctan2(x1, x2, /):
    x1, x2 = promote("arctan2", x1, x2, inexact=True, scalars_ok=True)
    reject_complex("arctan2", x1)
    return lax.atan2(x1, x2)


atan2 = arctan2


def hypot(x1, x2, /):
    """sqrt(x1**2 + x2**2) without intermediate overflow."""
    x1, x2 = promote("hypot", x1, x2, inexact=True)
    reject_complex("hypot", x1)
    a, b = lax.abs(x1), lax.abs(x2)
    hi, lo = lax.max(a, b), lax.min(a, b)
    zero, one = _const(hi, 0), _const(hi, 1)
    safe = lax.select(lax.eq(hi, zero), lax.broadcast_in_dim(one, hi.shape, ()), hi)
    r = lax.mul(hi, lax.sqrt(lax.add(one, lax.integer_pow(lax.div(lo, safe), 2))))
    r = lax.select(lax.eq(hi, zero), hi, r)
    inf = lax.bitwise_or(isinf(x1), isinf(x2))
    return lax.select(inf, full_scalar(np.inf, hi.dtype, hi.shape), r)


# ---------------------------------------------------------------------------------------------
# Rounding
# ---------------------------------------------------------------------------------------------

def _round_like(name, fn):
    def f(x, /):
        x = asarray_arg(name, x)
        reject_complex(name, x)
        if x.dtype.kind != "f":
            return x
        return fn(x)
    f.__name__ = f.__qualname__ = name
    return f


floor = _round_like("floor", lax.floor)
ceil = _round_like("ceil", lax.ceil)


def _trunc(x):
    return lax.select(lax.lt(x, _const(x, 0)), lax.ceil(x), lax.floor(x))


trunc = _round_like("trunc", _trunc)
fix = _round_like("fix", _trunc)


def rint(x, /):
    """Round to the nearest integer, halfway cases to even; integers give float32 (as jnp);
    complex: each part."""
    x = _float_operand("rint", x)
    even = lax.RoundingMethod.TO_NEAREST_EVEN
    if cx.is_complex(x):
        return cx.map_parts(lambda part: lax.round(part, even), x)
    return lax.round(x, even)


def round(a, decimals=0, out=None):
    """Round to ``decimals`` places, halfway cases to even (numpy's around; complex: each
    part)."""
    if out is not None:
        raise NotImplementedError("round: out= is not supported (fnx arrays are immutable)")
    a = asarray_arg("round", a)
    decimals = int(decimals)
    if cx.is_complex(a):
        return cx.map_parts(lambda part: round(part, decimals), a)
    if a.dtype.kind in "iub":
        if decimals >= 0 or a.dtype == dtypes.bool_:
            return a
        f = lax.convert_element_type(a, dtypes.float64)
        return lax.convert_element_type(round(f, decimals), a.dtype, weak_type=a.weak_type)
    even = lax.RoundingMethod.TO_NEAREST_EVEN
    if decimals == 0:
        return lax.round(a, even)
    factor = _const(a, 10.0 ** builtins.abs(decimals))
    if decimals > 0:
        return lax.div(lax.round(lax.mul(a, factor), even), factor)
    return lax.mul(lax.round(lax.div(a, factor), even), factor)


around = round
round_ = round


# ---------------------------------------------------------------------------------------------
# Maximum / minimum / clip / where
# ---------------------------------------------------------------------------------------------

def maximum(x, y, /):
    """Elementwise maximum; NaN propagates."""
    x, y = promote("maximum", x, y, scalars_ok=True)
    return lax.max(x, y)


def minimum(x, y, /):
    """Elementwise minimum; NaN propagates."""
    x, y = promote("minimum", x, y, scalars_ok=True)
    return lax.min(x, y)


def _ordered_zeros(x, y, r, is_max: bool):
    """``r`` (max/min of x, y) with -0 < +0 where both are zeros: IEEE 754-2019's
    maximumNumber / minimumNumber.  (numpy's fmax/fmin give either zero depending on the array
    length and the argument order -- SIMD body vs libm tail -- so there is no numpy rule to
    follow; this one is symmetric.)  It picks an operand (1 / -0 < 0 tells -0 from +0), so the
    derivative still flows to exactly one of them."""
    zero = _const(x, 0)
    both_zero = lax.bitwise_and(lax.eq(x, zero), lax.eq(y, zero))
    y_negative_zero = lax.lt(lax.div(_const(y, 1), y), zero)
    ordered = lax.select(y_negative_zero, x, y) if is_max else lax.select(y_negative_zero, y, x)
    return lax.select(both_zero, ordered, r)


def _nan_ignoring(x, y, r):
    """``r`` where neither is NaN, else the operand that is not NaN (``x`` if both are, as
    numpy: a complex NaN has parts to keep)."""
    return lax.select(isnan(y), x, lax.select(isnan(x), y, r))


def fmax(x, y, /):
    """Elementwise maximum ignoring NaN (NaN only if both are NaN); fmax(-0, +0) is +0."""
    x, y = promote("fmax", x, y)
    if cx.is_complex(x):  # lexicographic: numpy orders no complex zeros
        return _nan_ignoring(x, y, lax.max(x, y))
    if x.dtype.kind != "f":
        return lax.max(x, y)
    return _nan_ignoring(x, y, _ordered_zeros(x, y, lax.max(x, y), is_max=True))


def fmin(x, y, /):
    """Elementwise minimum ignoring NaN (NaN only if both are NaN); fmin(-0, +0) is -0."""
    x, y = promote("fmin", x, y)
    if cx.is_complex(x):
        return _nan_ignoring(x, y, lax.min(x, y))
    if x.dtype.kind != "f":
        return lax.min(x, y)
    return _nan_ignoring(x, y, _ordered_zeros(x, y, lax.min(x, y), is_max=False))


_NO_VALUE = object()


def clip(x=_NO_VALUE, /, min=None, max=None, *, a=_NO_VALUE, a_min=None, a_max=None,
         arr=_NO_VALUE):
    """Limit values to [min, max] (either bound may be None).  The array API's signature
    (``clip(x, /, min, max)``, as jax.numpy's); numpy's spellings ``a=``, ``a_min=``,
    ``a_max=`` (and jax's ``arr=``) are accepted as keywords."""
    given = [v for v in (x, a, arr) if v is not _NO_VALUE]
    if len(given) != 1:
        raise TypeError("clip: pass the array once (positionally, or as a= / arr=)")
    if (min is not None and a_min is not None) or (max is not None and a_max is not None):
        raise TypeError("clip: give each bound once (min= or a_min=, max= or a_max=)")
    lo = min if min is not None else a_min
    hi = max if max is not None else a_max
    x = asarray_arg("clip", given[0])
    if lo is not None:
        x = maximum(lo, x)
    if hi is not None:
        x = minimum(hi, x)
    return x


def where(condition, x=None, y=None, /, *, size=None, fill_value=None):
    """``x`` where ``condition`` else ``y`` (broadcast).  With one argument: ``nonzero``."""
    if x is None and y is None:
        from ._selection import nonzero
        return nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise ValueError("where: either both or neither of x and y must be given")
    c = asarray_arg("where", condition)
    (xx, yy), dt, weak = promote_dtypes("where", x, y)
    from ._util import broadcast_shapes_named, broadcast_to_shape, shape_of
    shape = broadcast_shapes_named("where", c.shape, shape_of(xx), shape_of(yy))
    c = broadcast_to_shape(to_dtype(c, dtypes.bool_), shape)
    xx = broadcast_to_shape(to_dtype(xx, dt, weak, "where"), shape)
    yy = broadcast_to_shape(to_dtype(yy, dt, weak, "where"), shape)
    return lax.select_n(c, yy, xx)


# ---------------------------------------------------------------------------------------------
# Comparisons and logic
# ---------------------------------------------------------------------------------------------

# What comparing an integer array with a Python int beyond its dtype gives, for every element:
# (when the int is above the dtype's range, when below).  numpy 2's rule (NEP 50): comparisons
# are exact.  (JAX raises OverflowError instead; arithmetic raises in both.)
_OUT_OF_RANGE_COMPARISON = {"equal": (False, False), "not_equal": (True, True),
                            "less": (True, False), "less_equal": (True, False),
                            "greater": (False, True), "greater_equal": (False, True)}
_MIRRORED = {"less": "greater", "less_equal": "greater_equal", "greater": "less",
             "greater_equal": "less_equal", "equal": "equal", "not_equal": "not_equal"}


def _compare_out_of_range_int(name, x, y):
    """The constant result of ``x <op> y`` where one side is a Python int that the other
    (integer) array's dtype cannot hold, else None."""
    if is_python_scalar(y) and isinstance(x, ArrayBase):
        array, value, op = x, y, name
    elif is_python_scalar(x) and isinstance(y, ArrayBase):
        array, value, op = y, x, _MIRRORED[name]
    else:
        return None
    if array.dtype.kind not in "iu" or dtypes.python_int_bounds_error(name, value,
                                                                     array.dtype) is None:
        return None
    above, below = _OUT_OF_RANGE_COMPARISON[op]
    return full_scalar(above if value > 0 else below, dtypes.bool_, array.shape)


def _compare(prim, name):
    def fn(x, y, /):
        if type(x) is Array and type(y) is Array:
            xv, yv = x._value, y._value
            if xv.dtype is yv.dtype and xv.shape == yv.shape:
                return _core_bind(prim, x, y)
        x, y = arg(name, x), arg(name, y)
        constant = _compare_out_of_range_int(name, x, y)
        if constant is not None:
            return constant
        x, y = promote(name, x, y, scalars_ok=True)
        return _core_bind(prim, x, y)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise {name} comparison (bool result)."
    return fn


equal = _compare(lax.eq_p, "equal")
not_equal = _compare(lax.ne_p, "not_equal")
less = _compare(lax.lt_p, "less")
less_equal = _compare(lax.le_p, "less_equal")
greater = _compare(lax.gt_p, "greater")
greater_equal = _compare(lax.ge_p, "greater_equal")


def _as_bool(name, x):
    return to_dtype(asarray_arg(name, x), dtypes.bool_)


def logical_not(x, /):
    return lax.bitwise_not(_as_bool("logical_not", x))


def _logical(prim, name):
    def fn(x, y, /):
        x, y = promote(name, _as_bool(name, x), _as_bool(name, y))
        return _core_bind(prim, x, y)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise {name} of the truth values."
    return fn


logical_and = _logical(lax.and_p, "logical_and")
logical_or = _logical(lax.or_p, "logical_or")
logical_xor = _logical(lax.xor_p, "logical_xor")


def _bitwise(prim, name):
    def fn(x, y, /):
        x, y = promote(name, x, y, scalars_ok=True)
        check_kind(name, x, "biu", "bool or integer operands")
        return _core_bind(prim, x, y)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise {name} (bool or integer operands)."
    return fn


bitwise_and = _bitwise(lax.and_p, "bitwise_and")
bitwise_or = _bitwise(lax.or_p, "bitwise_or")
bitwise_xor = _bitwise(lax.xor_p, "bitwise_xor")


def bitwise_not(x, /):
    x = asarray_arg("bitwise_not", x)
    check_kind("bitwise_not", x, "biu", "a bool or integer operand")
    return lax.bitwise_not(x)


invert = bitwise_not
bitwise_invert = bitwise_not


def left_shift(x, y, /):
    x, y = promote("left_shift", x, y, scalars_ok=True)
    check_kind("left_shift", x, "iu", "integer operands")
    return lax.shift_left(x, y)


def right_shift(x, y, /):
    x, y = promote("right_shift", x, y, scalars_ok=True)
    check_kind("right_shift", x, "iu", "integer operands")
    if x.dtype.kind == "u":
        return lax.shift_right_logical(x, y)
    return lax.shift_right_arithmetic(x, y)


bitwise_left_shift, bitwise_right_shift = left_shift, right_shift


# ---------------------------------------------------------------------------------------------
# Floating-point classification and friends
# ---------------------------------------------------------------------------------------------

def isnan(x, /):
    """True where x is NaN (complex: either part)."""
    x = asarray_arg("isnan", x)
    if cx.is_complex(x):
        return cx.isnan(x)
    if x.dtype.kind != "f":
        return full_scalar(False, dtypes.bool_, x.shape)
    return lax.ne(x, x)


def isinf(x, /):
    """True where x is +-inf (complex: either part)."""
    x = asarray_arg("isinf", x)
    if cx.is_complex(x):
        return cx.isinf(x)
    if x.dtype.kind != "f":
        return full_scalar(False, dtypes.bool_, x.shape)
    return lax.eq(lax.abs(x), _const(x, np.inf))


def isfinite(x, /):
    """True where x is neither inf nor NaN (complex: both parts)."""
    x = asarray_arg("isfinite", x)
    if not dtypes.is_inexact(x.dtype):
        return full_scalar(True, dtypes.bool_, x.shape)
    return lax.is_finite(x)


def isposinf(x, /):
    x = asarray_arg("isposinf", x)
    reject_complex("isposinf", x)  # numpy: ambiguous for complex values
    if x.dtype.kind != "f":
        return full_scalar(False, dtypes.bool_, x.shape)
    return lax.eq(x, _const(x, np.inf))


def isneginf(x, /):
    x = asarray_arg("isneginf", x)
    reject_complex("isneginf", x)
    if x.dtype.kind != "f":
        return full_scalar(False, dtypes.bool_, x.shape)
    return lax.eq(x, _const(x, -np.inf))


def signbit(x, /):
    """True where the sign bit is set (-0.0 and negative NaNs included)."""
    x = asarray_arg("signbit", x)
    reject_complex("signbit", x)
    if x.dtype.kind == "f":
        return _signbit_float(x)
    if x.dtype.kind == "i":
        return lax.lt(x, _const(x, 0))
    return full_scalar(False, dtypes.bool_, x.shape)


def copysign(x1, x2, /):
    x1, x2 = promote("copysign", x1, x2, inexact=True)
    reject_complex("copysign", x1)
    a = lax.abs(x1)
    return lax.select(_signbit_float(x2), lax.neg(a), a)


def nextafter(x1, x2, /):
    x1, x2 = promote("nextafter", x1, x2, inexact=True, scalars_ok=True)
    reject_complex("nextafter", x1)
    return lax.nextafter(x1, x2)


def heaviside(x1, x2, /):
    """0 where x1 < 0, x2 where x1 == 0, 1 where x1 > 0 (NaN stays NaN)."""
    x1, x2 = promote("heaviside", x1, x2, inexact=True)
    reject_complex("heaviside", x1)
    zero = _const(x1, 0)
    shape = x1.shape
    r = lax.select(lax.gt(x1, zero), full_scalar(1, x1.dtype, shape), x2)
    r = lax.select(lax.lt(x1, zero), full_scalar(0, x1.dtype, shape), r)
    return lax.select(lax.ne(x1, x1), x1, r)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """Replace NaN by ``nan``, +inf by ``posinf`` (default: the dtype's max), -inf by ``neginf``
    (complex: in each part)."""
    x = asarray_arg("nan_to_num", x)
    if cx.is_complex(x):
        return cx.map_parts(lambda part: nan_to_num(part, nan=nan, posinf=posinf,
                                                    neginf=neginf), x)
    if x.dtype.kind != "f":
        return x
    info = np.finfo(x.dtype)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    shape = x.shape
    x = lax.select(lax.ne(x, x), full_scalar(nan, x.dtype, shape), x)
    x = lax.select(lax.eq(x, _const(x, np.inf)), full_scalar(posinf, x.dtype, shape), x)
    return lax.select(lax.eq(x, _const(x, -np.inf)), full_scalar(neginf, x.dtype, shape), x)


def sinc(x, /):
    """sin(pi x) / (pi x), with sinc(0) = 1."""
    x = _float_operand("sinc", x)
    zero = lax.eq(x, _const(x, 0))
    safe = lax.select(zero, full_scalar(1, x.dtype, x.shape), x)
    px = lax.mul(safe, _const(x, math.pi))
    return lax.select(zero, full_scalar(1, x.dtype, x.shape), lax.div(lax.sin(px), px))


# numpy's ufunc objects (fnp.add.reduce, fnp.multiply.outer...): the functions above that are
# ufuncs in numpy are replaced here by fnx.numpy.ufunc instances wrapping them
from ._ufunc_objects import install as _install_ufuncs  # noqa: E402

_install_ufuncs(globals())

__all__ = [n for n in dir() if not n.startswith("_") and n not in (
    "annotations", "builtins", "math", "np", "dtypes", "lax", "Array", "DTypeError", "arg",
    "asarray_arg", "check_kind", "full_scalar", "promote", "promote_dtypes", "to_dtype",
    "ArrayBase", "is_python_scalar", "weak_scalar_like", "cx", "reject_complex")]
