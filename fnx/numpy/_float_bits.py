"""numpy's float decomposition and integer arithmetic ufuncs that fnx.numpy lacked.

``frexp``, ``ldexp``, ``modf``, ``spacing`` (floats), ``gcd``, ``lcm``, ``bitwise_count``
(integers), with numpy's values and jax.numpy's dtypes (integer inputs of the float functions
give the default float, float32; frexp's exponent is int32 as numpy's).

Exactness: ``frexp`` reads the exponent from the bits (``bitcast_convert_type``), subnormals
first scaled into the normal range by an exact power of two; the mantissa is ``x`` times
``2^-e`` built from bits as two normal factors, so every product is exact and the mantissa is
differentiable in ``x`` (``d m / d x = 2^-e``) with no custom rule.  ``ldexp`` splits
``2^(e + n)`` the same way, so its one inexact step is the last product: the correctly
rounded result numpy gives, overflow to inf and gradual underflow included.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes, lax
from ..errors import DTypeError
from ._util import asarray_arg, promote, promote_no_broadcast, to_dtype

__all__ = ["frexp", "ldexp", "modf", "spacing", "gcd", "lcm", "bitwise_count"]

# the same-width signed integer of each float dtype (what its bits are read as)
_BITS_INT = {np.dtype("float32"): dtypes.int32, np.dtype("float64"): dtypes.int64}


def _fnp():
    from .. import numpy as fnp
    return fnp


def _float_operand(name, x):
    x = asarray_arg(name, x)
    (x,) = promote_no_broadcast(name, x, inexact=True)
    if x.dtype.kind == "c":
        raise TypeError(f"{name}: complex inputs are not supported, got {x.dtype}")
    return x


def _pow2(k, dtype):
    """``2.0 ** k`` exactly for integer ``k`` (of ``dtype``'s bit-width int) in the normal
    exponent range of ``dtype``: the biased exponent placed in the exponent field."""
    info = np.finfo(dtype)
    biased = lax.add(k, _fnp().full_like(k, 1 - int(info.minexp)))
    return lax.bitcast_convert_type(lax.shift_left(biased, _fnp().full_like(k, info.nmant)), dtype)


def _exponent(x):
    """frexp's exponent of finite nonzero ``x`` (garbage elsewhere; the callers mask it)."""
    fnp = _fnp()
    info = np.finfo(x.dtype)
    itype = _BITS_INT[np.dtype(x.dtype)]
    subnormal = fnp.abs(x) < info.tiny
    boost = info.nmant + 1          # 2^boost lifts every subnormal into the normal range
    xn = fnp.where(subnormal, x * float(2.0 ** boost), x)   # exact
    bits = lax.bitcast_convert_type(xn, itype)
    field = lax.bitwise_and(lax.shift_right_logical(bits, _fnp().full_like(bits, info.nmant)),
                            _fnp().full_like(bits, (1 << info.nexp) - 1))
    e = field + int(info.minexp)     # field - bias + 1: 1.0 (field = bias) -> frexp(1) = (0.5, 1)
    return fnp.where(subnormal, e - boost, e)


def _times_pow2(m, k):
    """``m * 2^k`` for integer ``k`` already clamped so that each half of it is a normal
    power of two: two exact scalings, the second one rounding once."""
    half = lax.shift_right_arithmetic(k, _fnp().full_like(k, 1))
    return (m * _pow2(half, m.dtype)) * _pow2(k - half, m.dtype)


def frexp(x, /):
    """``(mantissa, exponent)`` with ``x = mantissa * 2**exponent``, ``0.5 <= |mantissa| < 1``
    (``(x, 0)`` for zeros, infinities and NaN); the exponent is int32."""
    fnp = _fnp()
    x = _float_operand("frexp", x)
    special = fnp.isinf(x) | fnp.isnan(x) | (x == 0)
    safe = fnp.where(special, fnp.ones_like(x), x)
    e = _exponent(lax.stop_gradient(safe))
    m = _times_pow2(safe, -e)
    return fnp.where(special, x, m), to_dtype(fnp.where(special, 0, e), dtypes.int32)


def ldexp(x1, x2, /):
    """``x1 * 2**x2`` for integer ``x2``, correctly rounded (numpy's ``ldexp``)."""
    fnp = _fnp()
    x1 = _float_operand("ldexp", x1)
    x2 = asarray_arg("ldexp", x2)
    if x2.dtype.kind not in "iub":
        raise DTypeError(f"ldexp: the exponent x2 must be an integer array, got {x2.dtype}")
    info = np.finfo(x1.dtype)
    itype = _BITS_INT[np.dtype(x1.dtype)]
    shape = tuple(np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape)))
    m, e = frexp(fnp.broadcast_to(x1, shape))
    # past these bounds the result is 0 or inf anyway; clamping keeps the sums in range and
    # each half of the exponent a normal power of two (see _times_pow2)
    lo, hi = int(info.minexp) - int(info.nmant) - 2, int(info.maxexp) + 1
    # x2 itself is clamped wider, by the span of frexp's exponents, before it meets e
    span = hi - lo
    n = to_dtype(fnp.clip(to_dtype(fnp.broadcast_to(x2, shape), dtypes.int64), lo - span,
                          hi + span), itype)
    k = fnp.clip(to_dtype(e, itype) + n, lo, hi)
    special = fnp.isinf(m) | fnp.isnan(m) | (m == 0)
    return fnp.where(special, m, _times_pow2(m, k))


def modf(x, /, out=None):
    """``(fractional part, integral part)``, both with the sign of ``x``; ``modf(±inf) =
    (±0, ±inf)`` (numpy's)."""
    fnp = _fnp()
    if out is not None:
        raise NotImplementedError("modf: the 'out' argument is not supported (fnx arrays are "
                                  "immutable)")
    x = _float_operand("modf", x)
    whole = fnp.trunc(x)
    frac = fnp.where(fnp.isinf(x), fnp.zeros_like(x), x - whole)
    return fnp.copysign(frac, x), whole


def spacing(x, /):
    """The distance from ``x`` to the next float away from zero (numpy's ``spacing``; the
    smallest subnormal for ±0, NaN for infinities and NaN)."""
    fnp = _fnp()
    x = _float_operand("spacing", x)
    inf = fnp.full_like(x, np.inf)
    step = lax.nextafter(x, fnp.copysign(inf, x)) - x
    return fnp.where(x == 0, fnp.full_like(x, np.finfo(x.dtype).smallest_subnormal), step)


def _integer_pair(name, x1, x2):
    x1, x2 = promote(name, asarray_arg(name, x1), asarray_arg(name, x2))
    if x1.dtype.kind not in "iu":
        raise DTypeError(f"{name}: integer arguments are required, got {x1.dtype}")
    return x1, x2


def _gcd_of_abs(a, b):
    """Euclid's algorithm, elementwise, until every remainder is zero (a while loop: jittable
    and vmappable; the count of steps is logarithmic in the operands)."""
    fnp = _fnp()

    def cond(state):
        return fnp.any(state[1] != 0)

    def body(state):
        a, b = state
        nonzero = b != 0
        safe_b = fnp.where(nonzero, b, fnp.ones_like(b))
        return fnp.where(nonzero, b, a), fnp.where(nonzero, lax.rem(a, safe_b), b)

    return lax.while_loop(cond, body, (a, b))[0]


def gcd(x1, x2, /):
    """The greatest common divisor of ``|x1|`` and ``|x2|`` (``gcd(0, 0) = 0``)."""
    fnp = _fnp()
    x1, x2 = _integer_pair("gcd", x1, x2)
    return _gcd_of_abs(fnp.abs(x1), fnp.abs(x2))


def lcm(x1, x2, /):
    """The least common multiple of ``|x1|`` and ``|x2|`` (0 when either is 0)."""
    fnp = _fnp()
    x1, x2 = _integer_pair("lcm", x1, x2)
    a, b = fnp.abs(x1), fnp.abs(x2)
    g = _gcd_of_abs(a, b)
    zero = g == 0
    return fnp.where(zero, fnp.zeros_like(a), (a // fnp.where(zero, fnp.ones_like(g), g)) * b)


def _popcount_unsigned(v):
    """One-bit counts of a uint8 / uint32 array by the parallel bit count: pairs, nibbles,
    bytes, then the bytes summed by shifts (unsigned, so no step can overflow)."""
    nbytes = v.dtype.itemsize

    def mask(byte):                      # the byte pattern repeated over the width
        return _fnp().full_like(v, int.from_bytes(bytes([byte]) * nbytes, "little"))

    def shr(a, s):
        return lax.shift_right_logical(a, _fnp().full_like(a, s))

    v = v - lax.bitwise_and(shr(v, 1), mask(0x55))
    v = lax.bitwise_and(v, mask(0x33)) + lax.bitwise_and(shr(v, 2), mask(0x33))
    v = lax.bitwise_and(v + shr(v, 4), mask(0x0F))
    shift = 8
    while shift < 8 * nbytes:
        v = v + shr(v, shift)
        shift *= 2
    return lax.convert_element_type(lax.bitwise_and(v, _fnp().full_like(v, 0xFF)), dtypes.uint8)


def bitwise_count(x, /):
    """The number of one bits of ``|x|``, as uint8 (numpy's ``bitwise_count``)."""
    fnp = _fnp()
    x = asarray_arg("bitwise_count", x)
    if x.dtype.kind == "b":
        return to_dtype(x, dtypes.uint8)
    if x.dtype.kind not in "iu":
        raise DTypeError(f"bitwise_count: integer or bool arguments are required, got "
                         f"{x.dtype}")
    v = fnp.abs(x)
    if v.dtype == dtypes.int8:
        return _popcount_unsigned(lax.bitcast_convert_type(v, dtypes.uint8))
    if v.dtype == dtypes.int32:
        return _popcount_unsigned(lax.bitcast_convert_type(v, dtypes.uint32))
    if v.dtype == dtypes.int64:        # no uint64: the two 32-bit halves
        low = lax.bitwise_and(v, _fnp().full_like(v, 0xFFFFFFFF))
        high = lax.shift_right_logical(v, _fnp().full_like(v, 32))
        return (_popcount_unsigned(lax.convert_element_type(low, dtypes.uint32))
                + _popcount_unsigned(lax.convert_element_type(high, dtypes.uint32)))
    return _popcount_unsigned(v)
