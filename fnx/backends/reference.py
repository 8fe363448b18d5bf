"""The reference backend: a plain numpy implementation of every primitive in ``fnx.lax``.

It is the *test oracle* the C (and later CUDA) kernels are checked against, so it is written
for clarity, not speed: one small function over numpy arrays per primitive, in the same family
order as ``fnx/lax``.  Its semantics are the ones documented for the C kernels
(``kernels/cpu/fnx_kernels.h`` / ``fnx_internal.h``):

* integer arithmetic wraps (two's complement), never traps: ``x // 0 == 0``, ``x % 0 == 0``,
  ``INT_MIN // -1 == INT_MIN``; division truncates toward zero and the remainder has the sign
  of the dividend (C ``/`` and ``%``); float remainder is C ``fmod``;
* ``max`` / ``min`` propagate NaN (numpy's ``maximum`` / ``minimum``);
* shifts by an amount outside ``[0, bits)`` give 0 (left, logical right) or the sign fill
  (arithmetic right);
* float -> int conversion truncates toward zero, NaN -> 0, saturating at the int32/int64
  range; int8/uint8/uint32 targets go through int64 and wrap;
* float32 reductions, scans and contractions are computed in float64 and rounded once, and
  float32 transcendental functions are evaluated in float64 and rounded, so the oracle is
  accurate to half an ulp wherever numpy's float64 functions are.

Every implementation is wrapped by ``reference_common.registrar``: it first runs the
primitive's abstract evaluation (which validates the inputs with fnx's errors and gives the
output aval), then casts the numpy result to the aval's dtype, asserts the shape, and returns a
fresh C-contiguous ``Array`` that never aliases an input.

The table ``IMPLS`` maps primitive names to ``impl(*arrays, **params)``.
"""
from __future__ import annotations

import math

import numpy as np

from .. import lax
from . import (reference_conv, reference_fft, reference_linalg, reference_random,
               reference_reduce, reference_special)
from .reference_common import _accumulator, registrar

# {primitive name: impl(*Arrays, **params)}: this module's oracles, then (at the bottom) those of
# reference_reduce, reference_conv and reference_random
IMPLS: dict[str, callable] = {}
_register = registrar(IMPLS)


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

def _is_float(x) -> bool:
    return x.dtype.kind == "f"


def _is_signed_int(x) -> bool:
    return x.dtype.kind == "i"


def _bits(dtype) -> int:
    return np.dtype(dtype).itemsize * 8


def _unsigned(dtype) -> np.dtype:
    return np.dtype(f"uint{_bits(dtype)}")


def _wide(dtype) -> np.dtype:
    """complex128 for complex dtypes, float64 for the rest: the precision the oracle computes in."""
    return np.dtype(np.complex128) if np.dtype(dtype).kind == "c" else np.dtype(np.float64)


def _in_f64(fn):
    """Evaluate a float (complex) function in float64 (complex128); the result is rounded to the
    output dtype later."""
    def wrapped(x, **params):
        return fn(x.astype(_wide(x.dtype)), **params)
    wrapped.__name__ = fn.__name__
    return wrapped


def _elementwise_python(fn, x):
    """Apply a Python float function elementwise (float64), e.g. ``math.erf``."""
    flat = [fn(float(v)) for v in np.asarray(x, dtype=np.float64).ravel()]
    return np.array(flat, dtype=np.float64).reshape(np.shape(x))


def _wrapping_neg(x):
    return (np.zeros((), _unsigned(x.dtype)) - x.astype(_unsigned(x.dtype))).astype(x.dtype)


def _int_power(base, exponent):
    """``base ** exponent`` for integer arrays of one dtype, wrapping like C unsigned math.

    A negative exponent gives 0, except base 1 (-> 1) and base -1 (-> +-1 by parity).
    """
    dtype = base.dtype
    result = np.ones(base.shape, np.uint64)
    b = base.astype(np.int64).astype(np.uint64)  # modulo 2**64, which reduces to 2**bits
    e = np.asarray(exponent).astype(np.int64)
    m = np.where(e < 0, 0, e).astype(np.uint64)
    while np.any(m):
        odd = (m & np.uint64(1)).astype(bool)
        result = np.where(odd, result * b, result)
        b = b * b
        m = m >> np.uint64(1)
    result = result.astype(dtype)
    if dtype.kind == "i":
        minus_one = np.where(e % 2 == 1, -1, 1).astype(dtype)
        negative_result = np.where(base == 1, 1, np.where(base == -1, minus_one, 0))
    else:
        negative_result = np.where(base == 1, 1, 0)
    return np.where(e < 0, negative_result.astype(dtype), result)


# ---------------------------------------------------------------------------------------------
# Unary elementwise
# ---------------------------------------------------------------------------------------------

@_register(lax.neg_p)
def neg(x):
    return _wrapping_neg(x) if x.dtype.kind in "iu" else np.negative(x)


# Elementwise primitives declaring their numpy function (lax's NUMPY_ORACLE): that function in
# float64, rounded once to the input dtype.
for _prim, _ufunc in lax.elementwise.NUMPY_ORACLE.items():
    _register(_prim)(_in_f64(_ufunc))


def _complex_from_parts(re, im):
    """re + i im part by part (re + 1j * im would turn an infinite part's partner NaN)."""
    out = np.empty(np.shape(re), np.complex128)
    out.real, out.imag = re, im
    return out


@_register(lax.log1p_p)
@_in_f64
def log1p(x):
    if x.dtype.kind != "c":
        return np.log1p(x)
    # numpy's complex log1p is log(1 + z), which loses every digit of a tiny z's real part.
    # Near 0: Re = log1p(2x + x^2 + y^2) / 2, Im = atan2(y, 1 + x); elsewhere log of 1 + z
    # formed part by part, so a -0.0 imaginary part keeps its side of the branch cut.
    re, im = x.real, x.imag
    near_zero = (np.abs(re) < 0.5) & (np.abs(im) < 0.5)
    small = _complex_from_parts(0.5 * np.log1p(re * (2.0 + re) + im * im),
                                np.arctan2(im, 1.0 + re))
    return np.where(near_zero, small, np.log(_complex_from_parts(1.0 + re, im)))


@_register(lax.logistic_p)
@_in_f64
def logistic(x):
    # exp of a non-positive number only, so nothing overflows: 1/(1+e^-x) for x >= 0 and
    # e^x/(1+e^x) for x < 0.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@_register(lax.sqrt_p)
def sqrt(x):
    return np.sqrt(x)  # correctly rounded in every dtype


@_register(lax.rsqrt_p)
@_in_f64
def rsqrt(x):
    return 1.0 / np.sqrt(x)


@_register(lax.cbrt_p)
@_in_f64
def cbrt(x):
    return np.cbrt(x)


@_register(lax.abs_p)
def abs_(x):
    if _is_signed_int(x):
        return np.where(x < 0, _wrapping_neg(x), x)  # abs(INT_MIN) wraps to INT_MIN
    return np.abs(x)


@_register(lax.sign_p)
def sign(x):
    return np.sign(x)


@_register(lax.floor_p)
def floor(x):
    return np.floor(x)


@_register(lax.ceil_p)
def ceil(x):
    return np.ceil(x)


@_register(lax.erf_p)
@_in_f64
def erf(x):
    return _elementwise_python(math.erf, x)


def _erf_inv_scalar(x: float) -> float:
    """erf^-1(x): an initial guess refined by Newton's method on erf (erfc in the tails)."""
    if math.isnan(x) or abs(x) > 1.0:
        return math.nan
    if abs(x) == 1.0:
        return math.copysign(math.inf, x)
    if x == 0.0:
        return x  # keeps the sign of -0.0
    sign = math.copysign(1.0, x)
    a = abs(x)
    # initial guess: Giles' single-precision approximation (relative error ~1e-7)
    w = -math.log((1.0 - a) * (1.0 + a))
    if w < 5.0:
        w -= 2.5
        p = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            p = c + p * w
    else:
        w = math.sqrt(w) - 3.0
        p = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            p = c + p * w
    y = p * a
    # Newton on erf(y) = a near the centre; in the tail Newton on log(erfc(y)) = log(1 - a),
    # where 1 - a is exact (Sterbenz) and erfc keeps full relative precision (erf rounds to 1).
    for _ in range(50):
        if a > 0.5:
            tail = math.erfc(y)
            if tail == 0.0:
                break
            slope = -2.0 / math.sqrt(math.pi) * math.exp(-y * y) / tail
            step = (math.log(tail) - math.log(1.0 - a)) / slope
        else:
            step = (math.erf(y) - a) / (2.0 / math.sqrt(math.pi) * math.exp(-y * y))
        y -= step
        if abs(step) <= 1e-16 * abs(y):
            break
    return sign * y


@_register(lax.erf_inv_p)
@_in_f64
def erf_inv(x):
    return _elementwise_python(_erf_inv_scalar, x)


def _lgamma_scalar(x: float) -> float:
    try:
        return math.lgamma(x)
    except (ValueError, OverflowError):  # a pole (0, a negative integer) or huge |x|: +inf
        return math.inf


@_register(lax.lgamma_p)
@_in_f64
def lgamma(x):
    return _elementwise_python(_lgamma_scalar, x)


# Bernoulli numbers B_2k / (2k) for the asymptotic series of digamma
_DIGAMMA_SERIES = (1.0 / 12, -1.0 / 120, 1.0 / 252, -1.0 / 240, 1.0 / 132, -691.0 / 32760,
                   1.0 / 12)


def _digamma_scalar(x: float) -> float:
    """psi(x): reflection for x < 0, recurrence up to x >= 10, then the asymptotic series.

    Poles follow scipy.special.digamma (and kernels/cpu/unary.c): NaN at the negative
    integers and at -inf, psi(+0) = -inf, psi(-0) = +inf.
    """
    if math.isnan(x) or x == -math.inf:
        return math.nan
    if x == math.inf:
        return math.inf
    if x == 0.0:
        return math.copysign(math.inf, -x)
    if x < 0.0:
        if x == math.floor(x):
            return math.nan
        # psi(x) = psi(1 - x) - pi / tan(pi x); reduce x mod 1 first so pi*x stays accurate
        r = x - round(x)
        return _digamma_scalar(1.0 - x) - math.pi / math.tan(math.pi * r)
    result = 0.0
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    inv2 = 1.0 / (x * x)
    series = 0.0
    for c in reversed(_DIGAMMA_SERIES):
        series = series * inv2 + c
    return result + math.log(x) - 0.5 / x - inv2 * series


@_register(lax.digamma_p)
@_in_f64
def digamma(x):
    return _elementwise_python(_digamma_scalar, x)


@_register(lax.erfc_p)
@_in_f64
def erfc(x):
    return _elementwise_python(math.erfc, x)


# e^-|x| I_nu(x), nu = 0, 1, computed independently of the kernels' Chebyshev tables: the power
# series I_nu(x) = sum (x/2)^(2k+nu) / (k! (k+nu)!) (positive terms, no cancellation) up to
# |x| = 30, above it the asymptotic series e^x / sqrt(2 pi x) sum (-1)^k a_k(nu) / x^k, whose
# terms still fall by 1e-20 at |x| = 30 before they start to grow (at k ~ 2|x|).
_BESSEL_SERIES_TERMS, _BESSEL_ASYMPTOTIC_TERMS, _BESSEL_SWITCH = 90, 40, 30.0


def _bessel_ie(nu: int, x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    small = np.where(a <= _BESSEL_SWITCH, a, 0.0)
    half_sq = (small / 2) ** 2
    term = (small / 2) ** nu / math.factorial(nu)
    total = term.copy()
    for k in range(1, _BESSEL_SERIES_TERMS):
        term = term * half_sq / (k * (k + nu))
        total = total + term
    power_series = total * np.exp(-small)
    large = np.where(a > _BESSEL_SWITCH, a, _BESSEL_SWITCH + 1.0)
    mu = 4.0 * nu * nu
    term = np.ones_like(large)
    total = term.copy()
    for k in range(1, _BESSEL_ASYMPTOTIC_TERMS):
        term = -term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * large)
        total = total + term
    asymptotic = total / np.sqrt(2 * math.pi * large)
    out = np.where(a <= _BESSEL_SWITCH, power_series, asymptotic)
    out = np.where(np.isnan(x), x, out)
    return np.copysign(out, x) if nu % 2 else out


@_register(lax.bessel_i0e_p)
@_in_f64
def bessel_i0e(x):
    return _bessel_ie(0, x)


@_register(lax.bessel_i1e_p)
@_in_f64
def bessel_i1e(x):
    return _bessel_ie(1, x)


@_register(lax.is_finite_p)
def is_finite(x):
    return np.isfinite(x)


@_register(lax.not_p)
def not_(x):
    return np.logical_not(x) if x.dtype == np.bool_ else np.invert(x)


@_register(lax.round_p)
def round_(x, *, rounding_method):
    if rounding_method == 1:  # to nearest, ties to even
        return np.rint(x)
    # away from zero, without the x + 0.5 rounding trap (0.49999999999999994 + 0.5 == 1.0):
    # x - trunc(x) is exact, so compare the fractional part itself with one half
    t = np.trunc(x)
    frac = np.abs(x - t)
    return t + np.sign(x) * (frac >= 0.5)


def _float_int_power(x, e: int):
    """``x ** e`` by repeated squaring in x's dtype, as the C kernel (fnx_s_integer_pow):
    the same multiplications in the same order give the same bits.  Exponents 1, 2, 3 are
    unrolled (x, x*x, x*(x*x)) as numpy and the kernel do: a complex ``1 * x`` would turn an
    infinite part into NaN ((0 + 1e154j)**2 is -inf + 0j, not -inf + nanj)."""
    if e == 1:
        return x.copy()
    if e == 2:
        return x * x
    if e == 3:
        return x * (x * x)
    result, b, m = np.ones_like(x), x, abs(e)
    while m:
        if m & 1:
            result = result * b
        b = b * b
        m >>= 1
    return np.divide(x.dtype.type(1), result) if e < 0 else result


@_register(lax.integer_pow_p)
def integer_pow(x, *, y):
    e = lax.elementwise.kernel_exponent(y, x.dtype)
    if x.dtype.kind in "iu":
        return _int_power(x, np.full(x.shape, e, np.int64))
    with np.errstate(all="ignore"):
        return _float_int_power(x, e)


def _float_to_int(x, new_dtype):
    """Truncate toward zero; NaN -> 0; saturate at int32/int64; int8/uint8/uint32 wrap via int64."""
    t = np.trunc(np.where(np.isnan(x), 0.0, x).astype(np.float64))
    if new_dtype == np.int32:
        return np.clip(t, -2.0 ** 31, 2.0 ** 31 - 1).astype(np.int32)
    big = t >= 2.0 ** 63
    small = t <= -2.0 ** 63
    as64 = np.where(big | small, 0.0, t).astype(np.int64)
    as64 = np.where(big, np.iinfo(np.int64).max, np.where(small, np.iinfo(np.int64).min, as64))
    return as64.astype(new_dtype)  # int64 -> int8/uint8/uint32 keeps the low bits (wraps)


@_register(lax.stop_gradient_p)
def stop_gradient(x):
    return x.copy()


@_register(lax.bitcast_convert_type_p)
def bitcast_convert_type(x, *, new_dtype):
    return np.array(x, order="C").view(np.dtype(new_dtype))


@_register(lax.convert_element_type_p)
def convert_element_type(x, *, new_dtype, weak_type):
    new_dtype = np.dtype(new_dtype)
    if new_dtype == np.bool_:
        return x != 0  # complex: either part nonzero
    if x.dtype.kind == "c" and new_dtype.kind != "c":
        x = x.real  # complex -> real keeps the real part (numpy's astype, JAX)
    if x.dtype.kind == "f" and new_dtype.kind in "iu":
        return _float_to_int(x, new_dtype)
    return x.astype(new_dtype)  # int -> int wraps, -> float rounds, f64 -> f32 may give inf


# ---------------------------------------------------------------------------------------------
# Binary elementwise
# ---------------------------------------------------------------------------------------------

@_register(lax.add_p)
def add(x, y):
    return np.add(x, y)  # integer overflow wraps (warnings are silenced by the wrapper)


@_register(lax.sub_p)
def sub(x, y):
    return np.subtract(x, y)


@_register(lax.mul_p)
def mul(x, y):
    return np.multiply(x, y)


def _safe_divisor(x, y):
    """y with the special divisors (0, and -1 for signed types) replaced by 1."""
    special = (y == 0) | ((y == -1) if _is_signed_int(y) else False)
    return np.where(special, 1, y).astype(y.dtype)


@_register(lax.div_p)
def div(x, y):
    if x.dtype.kind in "fc":
        return np.divide(x, y)
    d = _safe_divisor(x, y)
    q = np.floor_divide(x, d)
    r = np.remainder(x, d)
    q = q + ((r != 0) & ((x < 0) != (d < 0))).astype(x.dtype)  # floor -> truncation
    if _is_signed_int(x):
        q = np.where(y == -1, _wrapping_neg(x), q)  # INT_MIN / -1 wraps to INT_MIN
    return np.where(y == 0, 0, q).astype(x.dtype)


@_register(lax.rem_p)
def rem(x, y):
    if _is_float(x):
        return np.fmod(x, y)
    r = np.fmod(x, _safe_divisor(x, y))  # C %: the sign of the dividend
    special = (y == 0) | ((y == -1) if _is_signed_int(y) else False)
    return np.where(special, 0, r).astype(x.dtype)


@_register(lax.pow_p)
def pow_(x, y):
    if x.dtype.kind in "fc":
        return np.power(x.astype(_wide(x.dtype)), y.astype(_wide(x.dtype)))
    return _int_power(x, y)


@_register(lax.max_p)
def max_(x, y):
    return np.maximum(x, y)


@_register(lax.min_p)
def min_(x, y):
    return np.minimum(x, y)


@_register(lax.atan2_p)
def atan2(x, y):
    return np.arctan2(x.astype(np.float64), y.astype(np.float64))


@_register(lax.nextafter_p)
def nextafter(x, y):
    return np.nextafter(x, y)


# Comparisons: numpy's, which are IEEE (NaN compares unequal to everything).
for _prim, _ufunc in {lax.eq_p: np.equal, lax.ne_p: np.not_equal, lax.lt_p: np.less,
                      lax.le_p: np.less_equal, lax.gt_p: np.greater,
                      lax.ge_p: np.greater_equal}.items():
    _register(_prim)(_ufunc)


@_register(lax.and_p)
def and_(x, y):
    return np.bitwise_and(x, y)  # logical for bool


@_register(lax.or_p)
def or_(x, y):
    return np.bitwise_or(x, y)


@_register(lax.xor_p)
def xor(x, y):
    return np.bitwise_xor(x, y)


def _shift_amount(x, y):
    """(amount as the unsigned type with out-of-range amounts replaced by 0, in-range mask)."""
    amount = y.astype(np.int64)
    valid = (amount >= 0) & (amount < _bits(x.dtype))
    return np.where(valid, amount, 0).astype(_unsigned(x.dtype)), valid


@_register(lax.shift_left_p)
def shift_left(x, y):
    amount, valid = _shift_amount(x, y)
    shifted = np.left_shift(x.astype(_unsigned(x.dtype)), amount).astype(x.dtype)
    return np.where(valid, shifted, 0)


@_register(lax.shift_right_logical_p)
def shift_right_logical(x, y):
    amount, valid = _shift_amount(x, y)
    shifted = np.right_shift(x.astype(_unsigned(x.dtype)), amount).astype(x.dtype)
    return np.where(valid, shifted, 0)


@_register(lax.shift_right_arithmetic_p)
def shift_right_arithmetic(x, y):
    amount, valid = _shift_amount(x, y)
    shifted = np.right_shift(x, amount.astype(x.dtype))  # numpy's >> on signed ints is arithmetic
    fill = np.where(x < 0, -1, 0).astype(x.dtype)
    return np.where(valid, shifted, fill)


# ---------------------------------------------------------------------------------------------
# select_n, clamp
# ---------------------------------------------------------------------------------------------

@_register(lax.select_n_p)
def select_n(which, *cases):
    # bool `which` picks cases[1] where True (cases[0] where False); an int32 `which` is
    # clamped into [0, len(cases) - 1].  A single case is returned whatever `which` says.
    index = np.clip(np.broadcast_to(which, cases[0].shape).astype(np.int64), 0, len(cases) - 1)
    out = np.array(cases[0])
    for i, case in enumerate(cases[1:], start=1):
        out = np.where(index == i, case, out)
    return out


@_register(lax.complex_p)
def complex_(x, y):
    return _complex_from_parts(*np.broadcast_arrays(x, y))


@_register(lax.clamp_p)
def clamp(lo, x, hi):
    return np.minimum(np.maximum(x, lo), hi)  # NaN in x (or a bound) propagates


# ---------------------------------------------------------------------------------------------
# gather / scatter (the normalised form of fnx/lax/indexing.py)
# ---------------------------------------------------------------------------------------------

def _gather_scatter_dims(operand, indices, batch_dims):
    """nb (batch size), d (indexed axis), nr (trailing size), ni (indices per batch)."""
    nb = math.prod(operand.shape[:batch_dims])
    d = operand.shape[batch_dims]
    nr = math.prod(operand.shape[batch_dims + 1:])
    ni = math.prod(indices.shape[batch_dims:])
    return nb, d, nr, ni


@_register(lax.gather_p)
def gather(operand, indices, *, batch_dims):
    nb, d, nr, ni = _gather_scatter_dims(operand, indices, batch_dims)
    out_shape = (operand.shape[:batch_dims] + indices.shape[batch_dims:]
                 + operand.shape[batch_dims + 1:])
    if nb * ni * nr == 0:
        return np.zeros(out_shape, operand.dtype)
    x = operand.reshape(nb, d, nr)
    idx = np.clip(indices.reshape(nb, ni).astype(np.int64), 0, d - 1)  # gather clamps
    out = x[np.arange(nb)[:, None], idx, :]  # (nb, ni, nr)
    return out.reshape(out_shape)


def _scatter_common(operand, indices, updates, batch_dims, combine):
    """Apply ``combine(out, (b, i), values)`` for the in-range indices; OOB ones are dropped."""
    nb, d, nr, ni = _gather_scatter_dims(operand, indices, batch_dims)
    out = np.array(operand).reshape(nb, d, nr)
    idx = indices.reshape(nb, ni).astype(np.int64)
    upd = updates.reshape(nb, ni, nr)
    b = np.broadcast_to(np.arange(nb)[:, None], (nb, ni))
    valid = (idx >= 0) & (idx < d)
    combine(out, (b[valid], idx[valid]), upd[valid])
    return out.reshape(operand.shape)


def _scatter_set(out, where, values):
    # An explicit loop in update order makes "the last write wins" unambiguous.
    for b, i, v in zip(where[0], where[1], values):
        out[b, i] = v


@_register(lax.scatter_p)
def scatter(operand, indices, updates, *, batch_dims):
    return _scatter_common(operand, indices, updates, batch_dims, _scatter_set)


@_register(lax.scatter_add_p)
def scatter_add(operand, indices, updates, *, batch_dims):
    return _scatter_common(operand, indices, updates, batch_dims, np.add.at)


@_register(lax.scatter_mul_p)
def scatter_mul(operand, indices, updates, *, batch_dims):
    return _scatter_common(operand, indices, updates, batch_dims, np.multiply.at)


@_register(lax.scatter_min_p)
def scatter_min(operand, indices, updates, *, batch_dims):
    return _scatter_common(operand, indices, updates, batch_dims, np.minimum.at)


@_register(lax.scatter_max_p)
def scatter_max(operand, indices, updates, *, batch_dims):
    return _scatter_common(operand, indices, updates, batch_dims, np.maximum.at)


# ---------------------------------------------------------------------------------------------
# dot_general
# ---------------------------------------------------------------------------------------------

def _complex_matmul(a, b):
    """a @ b as sums of numpy's plain products (ar br - ai bi, ar bi + ai br), by real
    matmuls in float64: an inf or NaN part spreads as in the kernel, where BLAS's zgemm
    (numpy's own complex @) turns some exact infinities into NaN."""
    ar, ai, br, bi = a.real, a.imag, b.real, b.imag
    return _complex_from_parts(np.matmul(ar, br) + np.matmul(ai, -bi),
                               np.matmul(ar, bi) + np.matmul(ai, br))


@_register(lax.dot_general_p)
def dot_general(lhs, rhs, *, dimension_numbers, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    lfree = [i for i in range(lhs.ndim) if i not in lc and i not in lb]
    rfree = [i for i in range(rhs.ndim) if i not in rc and i not in rb]
    # lhs -> (batch, lfree, contract), rhs -> (batch, contract, rfree), then one batched matmul
    a = np.transpose(lhs, list(lb) + lfree + list(lc))
    b = np.transpose(rhs, list(rb) + list(rc) + rfree)
    batch = [lhs.shape[i] for i in lb]
    m = math.prod(lhs.shape[i] for i in lfree)
    k = math.prod(lhs.shape[i] for i in lc)
    n = math.prod(rhs.shape[i] for i in rfree)
    acc = _accumulator(lhs.dtype)  # float32 in float64; ints in int64, wrapping
    a = a.astype(acc).reshape(math.prod(batch), m, k)
    b = b.astype(acc).reshape(math.prod(batch), k, n)
    out = _complex_matmul(a, b) if acc.kind == "c" else np.matmul(a, b)
    return out.reshape(batch + [lhs.shape[i] for i in lfree] + [rhs.shape[i] for i in rfree])


# ---------------------------------------------------------------------------------------------
# Shape primitives
# ---------------------------------------------------------------------------------------------

@_register(lax.broadcast_in_dim_p)
def broadcast_in_dim(x, *, shape, broadcast_dimensions):
    expanded = [1] * len(shape)
    for d, od in zip(x.shape, broadcast_dimensions):
        expanded[od] = d
    return np.broadcast_to(x.reshape(expanded), shape)


@_register(lax.reshape_p)
def reshape(x, *, new_sizes):
    return np.reshape(x, new_sizes)  # row-major


@_register(lax.transpose_p)
def transpose(x, *, permutation):
    return np.transpose(x, permutation)


@_register(lax.squeeze_p)
def squeeze(x, *, dimensions):
    return np.squeeze(x, axis=tuple(dimensions))


@_register(lax.expand_dims_p)
def expand_dims(x, *, dimensions):
    out = x
    for d in sorted(dimensions):  # positions in the output, so insert in increasing order
        out = np.expand_dims(out, d)
    return out


@_register(lax.rev_p)
def rev(x, *, dimensions):
    return np.flip(x, axis=tuple(dimensions)) if dimensions else x


@_register(lax.slice_p)
def slice_(x, *, start_indices, limit_indices, strides):
    return x[tuple(slice(lo, hi, st) for lo, hi, st in zip(start_indices, limit_indices, strides))]


def _clamped_starts(starts, operand_shape, sizes):
    """JAX's rule: each start index is clamped into [0, dim - size]."""
    return [min(max(int(s), 0), d - n) for s, d, n in zip(starts, operand_shape, sizes)]


@_register(lax.dynamic_slice_p)
def dynamic_slice(x, *starts, slice_sizes):
    begin = _clamped_starts(starts, x.shape, slice_sizes)
    return x[tuple(slice(b, b + n) for b, n in zip(begin, slice_sizes))]


@_register(lax.dynamic_update_slice_p)
def dynamic_update_slice(x, update, *starts):
    begin = _clamped_starts(starts, x.shape, update.shape)
    out = np.array(x)
    out[tuple(slice(b, b + n) for b, n in zip(begin, update.shape))] = update
    return out


@_register(lax.concatenate_p)
def concatenate(*xs, dimension):
    return np.concatenate(xs, axis=dimension)


@_register(lax.pad_p)
def pad(x, padding_value, *, padding_config):
    # JAX semantics: interior padding first, then low/high edges; negative edges crop.
    value = padding_value.reshape(())
    interior_shape = [d + max(d - 1, 0) * interior
                      for d, (_, _, interior) in zip(x.shape, padding_config)]
    core = np.full(interior_shape, value, x.dtype)
    core[tuple(slice(None, None, interior + 1) for _, _, interior in padding_config)] = x
    if x.ndim == 0:
        return core
    grown = np.pad(core, [(max(lo, 0), max(hi, 0)) for lo, hi, _ in padding_config],
                   mode="constant", constant_values=value)
    return grown[tuple(slice(max(-lo, 0), n - max(-hi, 0))
                       for n, (lo, hi, _) in zip(grown.shape, padding_config))]


@_register(lax.iota_p)
def iota(*, dtype, shape, dimension):
    counts = np.arange(shape[dimension], dtype=np.int64).astype(dtype)  # ints wrap
    expanded = [1] * len(shape)
    expanded[dimension] = shape[dimension]
    return np.broadcast_to(counts.reshape(expanded), shape)


# Reductions / scans / sort live in reference_reduce.py, convolution and windowed reductions
# in reference_conv.py, threefry in reference_random.py, the decompositions in
# reference_linalg.py, the FFT in reference_fft.py.
IMPLS.update(reference_reduce.IMPLS)
IMPLS.update(reference_conv.IMPLS)
IMPLS.update(reference_random.IMPLS)
IMPLS.update(reference_linalg.IMPLS)
IMPLS.update(reference_fft.IMPLS)
IMPLS.update(reference_special.IMPLS)  # igamma, zeta ...: mpmath
