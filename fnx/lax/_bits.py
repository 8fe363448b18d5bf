"""Bit-level operations of jax.lax, composed from integer primitives (shifts, ands, adds,
selects, ``bitcast_convert_type``), so they run eagerly, under jit (fused like any integer
arithmetic) and under vmap with no kernel of their own.

* ``population_count`` / ``clz``: SWAR -- each step adds neighbouring bit fields of width
  ``s`` (``(x & m) + ((x >> s) & m)``, s = 1, 2, 4, ...), log2(width) steps; every mask has
  its top bit clear, so no step overflows a signed dtype.  ``clz`` smears the highest set bit
  right and counts the ones left: ``width - popcount(smeared)``.  Results in the input dtype.
* ``reduce_precision``: XLA's ReducePrecision on the float's bits: round the mantissa to
  ``mantissa_bits`` (to nearest, ties to even, by adding half an ulp minus one plus the last
  kept bit, then truncating), then an exponent out of the ``exponent_bits`` range overflows to
  a signed inf or flushes to a signed zero (everything below the format's smallest normal,
  subnormals included, as XLA).  NaN stays NaN.  Its JVP passes the tangent through
  unchanged (JAX declares the op linear and rounds the tangent too; the two differ only by
  that rounding of the tangent).
"""
from __future__ import annotations

import functools
import operator

import numpy as np

from .. import dtypes
from ..errors import DTypeError, InvalidArgumentError
from ..interpreters.custom import custom_jvp
from ._util import as_operand
from .elementwise import (add, bitcast_convert_type, bitwise_and, bitwise_or, gt, le, ne,
                          select, shift_right_logical, sub)
from .shape import broadcast_in_dim

__all__ = ["population_count", "clz", "reduce_precision"]

_WIDTHS = {dtypes.int8: 8, dtypes.uint8: 8, dtypes.int32: 32, dtypes.uint32: 32,
           dtypes.int64: 64}


def _integer_operand(op: str, x):
    x = as_operand(x, op=op)
    if x.dtype not in _WIDTHS:
        raise DTypeError(f"{op}: needs an integer operand (int8, uint8, int32, uint32, int64), "
                         f"got {x.dtype}")
    return x, _WIDTHS[x.dtype]


def _const(value: int, dt):
    """A Python int as a scalar of ``dt`` (two's complement for signed dtypes)."""
    return np.array(value & ((1 << (8 * dt.itemsize)) - 1), np.uint64).astype(dt)


def _field_mask(s: int, width: int) -> int:
    """The low ``s`` bits of every ``2 s``-bit block of a ``width``-bit word (0x55.. for 1)."""
    block = (1 << s) - 1
    return sum(block << i for i in range(0, width, 2 * s))


def _popcount(x, width: int):
    dt = x.dtype
    s = 1
    while s < width:
        m = _const(_field_mask(s, width), dt)
        x = add(bitwise_and(x, m), bitwise_and(shift_right_logical(x, _const(s, dt)), m))
        s *= 2
    return x


def population_count(x):
    """The number of set bits of each element (two's complement for signed dtypes), in the
    input's integer dtype (``jax.lax.population_count``)."""
    x, width = _integer_operand("population_count", x)
    return _popcount(x, width)


def clz(x):
    """The number of leading zero bits of each element (its width for 0, 0 for a negative
    signed value), in the input's integer dtype (``jax.lax.clz``)."""
    x, width = _integer_operand("clz", x)
    s = 1
    while s < width:
        x = bitwise_or(x, shift_right_logical(x, _const(s, x.dtype)))
        s *= 2
    return sub(_const(width, x.dtype), _popcount(x, width))


# ---------------------------------------------------------------------------------------------
# reduce_precision
# ---------------------------------------------------------------------------------------------

# float dtype -> (integer of its width, exponent bits, mantissa bits)
_FLOAT_LAYOUT = {dtypes.float32: (dtypes.int32, 8, 23), dtypes.float64: (dtypes.int64, 11, 52)}


def _round_bits(x, exponent_bits: int, mantissa_bits: int):
    """XLA's ReducePrecision of the float array ``x`` (module docstring)."""
    itype, src_exp, src_man = _FLOAT_LAYOUT[x.dtype]
    width = 8 * x.dtype.itemsize
    c = functools.partial(_const, dt=itype)
    is_nan = ne(x, x)
    bits = bitcast_convert_type(select(is_nan, broadcast_in_dim(
        np.zeros((), x.dtype), x.shape, ()), x), itype)
    sign = bitwise_and(bits, c(1 << (width - 1)))
    mag = bitwise_and(bits, c((1 << (width - 1)) - 1))   # <= inf's bits: no step overflows
    if mantissa_bits < src_man:
        drop = src_man - mantissa_bits
        last_kept = shift_right_logical(bitwise_and(mag, c(1 << drop)), c(drop))
        mag = add(mag, add(last_kept, c((1 << (drop - 1)) - 1)))
        mag = bitwise_and(mag, c(~((1 << drop) - 1)))
    if exponent_bits < src_exp:
        src_bias = (1 << (src_exp - 1)) - 1
        new_bias = (1 << (exponent_bits - 1)) - 1
        exponent = bitwise_and(mag, c(((1 << src_exp) - 1) << src_man))
        overflows = gt(exponent, c((src_bias + new_bias) << src_man))
        underflows = le(exponent, c((src_bias - new_bias) << src_man))
        inf = c(((1 << src_exp) - 1) << src_man)
        zeros = broadcast_in_dim(c(0), x.shape, ())
        mag = select(overflows, broadcast_in_dim(inf, x.shape, ()),
                     select(underflows, zeros, mag))
    out = bitcast_convert_type(bitwise_or(sign, mag), x.dtype)
    return select(is_nan, x, out)


@functools.lru_cache(maxsize=None)
def _reduce_precision_fn(exponent_bits: int, mantissa_bits: int):
    """One custom_jvp function per format: the rounding has no useful derivative of its own,
    so the tangent passes through (module docstring)."""
    fn = custom_jvp(lambda x: _round_bits(x, exponent_bits, mantissa_bits))

    @fn.defjvp
    def _jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return fn(x), t
    return fn


def reduce_precision(operand, exponent_bits: int, mantissa_bits: int):
    """Round ``operand`` (float32 / float64) to the float format with ``exponent_bits`` and
    ``mantissa_bits`` and back (``jax.lax.reduce_precision``, XLA's ReducePrecision):
    bfloat16 is (8, 7), float16 (5, 10).  Values too large become inf, values below the
    format's smallest normal become (signed) zero."""
    x = as_operand(operand, op="reduce_precision")
    try:
        e, m = operator.index(exponent_bits), operator.index(mantissa_bits)
    except TypeError:
        raise TypeError("reduce_precision: exponent_bits and mantissa_bits must be Python "
                        f"integers, got {exponent_bits!r} and {mantissa_bits!r}") from None
    if x.dtype not in _FLOAT_LAYOUT:
        raise DTypeError(f"reduce_precision: needs a float32 or float64 operand, got {x.dtype}")
    if e < 1 or m < 0:
        raise InvalidArgumentError(f"reduce_precision: needs exponent_bits >= 1 and "
                                   f"mantissa_bits >= 0, got ({e}, {m})")
    _, src_exp, src_man = _FLOAT_LAYOUT[x.dtype]
    if e >= src_exp and m >= src_man:
        return x
    return _reduce_precision_fn(min(e, src_exp), min(m, src_man))(x)
