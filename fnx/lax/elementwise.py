"""Elementwise primitives: unary math, binary arithmetic/comparison/logic, select_n, clamp,
integer_pow and convert_element_type.

fnx.lax operands must already agree: equal shapes and equal dtypes (Python scalars adopt the
array's dtype).  Broadcasting and promotion are fnx.numpy's job, as in JAX.
"""
from __future__ import annotations

import enum
import math
import operator

import numpy as np

from .. import dtypes
from ..core import Array, Fusion, Primitive, ShapedArray, bind
from ..interpreters import ad, batching
from ..errors import InvalidArgumentError, dtype_error, shape_error
from . import _special_values
from ._util import (ALL, BOOL_OR_INT, COMPLEX, FLOATING, INEXACT, INTEGER, NUMERIC,
                    NUMERIC_OR_COMPLEX, REAL, all_weak, as_operand, as_operands, check_dtype,
                    check_same_dtypes, check_same_shapes)

_KIND_NAMES = {FLOATING: "a real floating dtype", NUMERIC: "a real numeric dtype",
               INEXACT: "a floating or complex dtype", COMPLEX: "a complex dtype",
               NUMERIC_OR_COMPLEX: "a numeric dtype", REAL: "a non-complex dtype",
               INTEGER: "an integer dtype", BOOL_OR_INT: "a bool or integer dtype",
               ALL: "any dtype"}

# ---------------------------------------------------------------------------------------------
# Unary primitives.  Each row: name, the dtypes it accepts, and the output dtype if it is fixed.
# ---------------------------------------------------------------------------------------------

UNARY_PRIMITIVES: dict[str, Primitive] = {}
# primitive -> numpy's function of it: the reference backend's oracle (computed in float64 and
# rounded once to the input dtype), declared in the primitive's own block
NUMPY_ORACLE: dict[Primitive, object] = {}


def _define_unary(name: str, allowed, out_dtype=None, numpy=None) -> Primitive:
    """An elementwise unary primitive: abstract eval, batching, fusion kind, and, with
    ``numpy`` (numpy's function of it), its oracle (``NUMPY_ORACLE``).  ``out_dtype``: a fixed
    output dtype, or a function of the input dtype (abs of complex64 is float32)."""
    prim = Primitive(name, fusion=Fusion.ELEMENTWISE)
    if numpy is not None:
        NUMPY_ORACLE[prim] = numpy

    def abstract_eval(x, **params):
        check_dtype(name, x, allowed, _KIND_NAMES[allowed])
        if callable(out_dtype):
            return ShapedArray(x.shape, out_dtype(x.dtype), x.weak_type)
        if out_dtype is not None:
            return ShapedArray(x.shape, out_dtype, False)
        return ShapedArray(x.shape, x.dtype, x.weak_type)

    prim.def_abstract_eval(abstract_eval)
    batching.defvectorized(prim)
    UNARY_PRIMITIVES[name] = prim
    return prim


neg_p = _define_unary("neg", NUMERIC_OR_COMPLEX)
exp_p = _define_unary("exp", INEXACT, numpy=np.exp)
exp2_p = _define_unary("exp2", FLOATING, numpy=np.exp2)
log_p = _define_unary("log", INEXACT, numpy=np.log)
log1p_p = _define_unary("log1p", INEXACT, numpy=np.log1p)
expm1_p = _define_unary("expm1", INEXACT, numpy=_special_values.expm1)
sin_p = _define_unary("sin", INEXACT, numpy=np.sin)
cos_p = _define_unary("cos", INEXACT, numpy=np.cos)
tan_p = _define_unary("tan", INEXACT, numpy=np.tan)
asin_p = _define_unary("asin", INEXACT, numpy=np.arcsin)
acos_p = _define_unary("acos", INEXACT, numpy=np.arccos)
atan_p = _define_unary("atan", INEXACT, numpy=np.arctan)
sinh_p = _define_unary("sinh", INEXACT, numpy=np.sinh)
cosh_p = _define_unary("cosh", INEXACT, numpy=np.cosh)
tanh_p = _define_unary("tanh", INEXACT, numpy=_special_values.tanh)
asinh_p = _define_unary("asinh", INEXACT, numpy=np.arcsinh)
acosh_p = _define_unary("acosh", INEXACT, numpy=np.arccosh)
atanh_p = _define_unary("atanh", INEXACT, numpy=np.arctanh)
logistic_p = _define_unary("logistic", FLOATING)
sqrt_p = _define_unary("sqrt", INEXACT)
rsqrt_p = _define_unary("rsqrt", INEXACT)
cbrt_p = _define_unary("cbrt", FLOATING)
abs_p = _define_unary("abs", NUMERIC_OR_COMPLEX, out_dtype=dtypes.real_of)  # |complex| is real
sign_p = _define_unary("sign", NUMERIC_OR_COMPLEX)  # complex: x / |x|
floor_p = _define_unary("floor", FLOATING)
ceil_p = _define_unary("ceil", FLOATING)
erf_p = _define_unary("erf", FLOATING)
erf_inv_p = _define_unary("erf_inv", FLOATING)
lgamma_p = _define_unary("lgamma", FLOATING)
digamma_p = _define_unary("digamma", FLOATING)
is_finite_p = _define_unary("is_finite", INEXACT, out_dtype=dtypes.bool_)
not_p = _define_unary("not", BOOL_OR_INT)
real_p = _define_unary("real", COMPLEX, out_dtype=dtypes.real_of, numpy=np.real)
imag_p = _define_unary("imag", COMPLEX, out_dtype=dtypes.real_of, numpy=np.imag)
conj_p = _define_unary("conj", COMPLEX, numpy=np.conj)


def _unary_fn(prim: Primitive, doc: str):
    def fn(x):
        return bind(prim, as_operand(x))
    fn.__name__ = prim.name
    fn.__doc__ = doc
    return fn


neg = _unary_fn(neg_p, "Elementwise -x.")
exp = _unary_fn(exp_p, "Elementwise e**x.")
exp2 = _unary_fn(exp2_p, "Elementwise 2**x.")
log = _unary_fn(log_p, "Elementwise natural logarithm.")
log1p = _unary_fn(log1p_p, "Elementwise log(1 + x), accurate for small x.")
expm1 = _unary_fn(expm1_p, "Elementwise exp(x) - 1, accurate for small x.")
sin = _unary_fn(sin_p, "Elementwise sine.")
cos = _unary_fn(cos_p, "Elementwise cosine.")
tan = _unary_fn(tan_p, "Elementwise tangent.")
asin = _unary_fn(asin_p, "Elementwise arc sine.")
acos = _unary_fn(acos_p, "Elementwise arc cosine.")
atan = _unary_fn(atan_p, "Elementwise arc tangent.")
sinh = _unary_fn(sinh_p, "Elementwise hyperbolic sine.")
cosh = _unary_fn(cosh_p, "Elementwise hyperbolic cosine.")
tanh = _unary_fn(tanh_p, "Elementwise hyperbolic tangent.")
asinh = _unary_fn(asinh_p, "Elementwise inverse hyperbolic sine.")
acosh = _unary_fn(acosh_p, "Elementwise inverse hyperbolic cosine.")
atanh = _unary_fn(atanh_p, "Elementwise inverse hyperbolic tangent.")
logistic = _unary_fn(logistic_p, "Elementwise 1 / (1 + exp(-x)), computed stably.")
sqrt = _unary_fn(sqrt_p, "Elementwise square root.")
rsqrt = _unary_fn(rsqrt_p, "Elementwise 1 / sqrt(x).")
cbrt = _unary_fn(cbrt_p, "Elementwise cube root.")
abs = _unary_fn(abs_p, "Elementwise absolute value (abs of the most negative int wraps).")
sign = _unary_fn(sign_p, "Elementwise sign: -1, 0 or 1 (NaN stays NaN; -0.0 gives +0.0).")
floor = _unary_fn(floor_p, "Elementwise floor.")
ceil = _unary_fn(ceil_p, "Elementwise ceiling.")
erf = _unary_fn(erf_p, "Elementwise error function.")
erf_inv = _unary_fn(erf_inv_p, "Elementwise inverse error function.")
lgamma = _unary_fn(lgamma_p, "Elementwise log|Gamma(x)|.")
digamma = _unary_fn(digamma_p, "Elementwise digamma (d/dx lgamma); poles as scipy: -inf at +0, "
                                "+inf at -0, NaN at negative integers.")
is_finite = _unary_fn(is_finite_p, "Elementwise test for finite values (not inf, not NaN; "
                                    "complex: both parts).")
bitwise_not = _unary_fn(not_p, "Elementwise logical not (bool) or bitwise not (ints).")
real = _unary_fn(real_p, "The real part of a complex array (a float array of its precision).")
imag = _unary_fn(imag_p, "The imaginary part of a complex array (a float array).")


def conj(x):
    """The complex conjugate.  A real operand becomes complex first (as JAX's lax.conj)."""
    x = as_operand(x)
    if not dtypes.is_complex(x.dtype):
        check_dtype("conj", x, NUMERIC_OR_COMPLEX, "a numeric dtype")
        return convert_element_type(x, dtypes.complex_of(
            x.dtype if dtypes.is_floating(x.dtype) else dtypes.default_float), x.weak_type)
    return bind(conj_p, x)


# -- helpers for the autodiff rules -----------------------------------------------------------
# The rules are written with fnx.lax functions, so they are differentiable themselves and
# higher-order derivatives (grad(grad(f))) come for free.

def _full_like(x, value):
    """An array of ``x``'s shape and dtype (not weak) filled with ``value``."""
    from .shape import broadcast_in_dim
    return broadcast_in_dim(Array(np.array(value, x.dtype)), tuple(x.shape), ())


def _bcast(x, shape):
    """Broadcast a rank-0 operand of a binary primitive to the output ``shape``."""
    if tuple(x.shape) == tuple(shape):
        return x
    from .shape import broadcast_in_dim
    return broadcast_in_dim(x, tuple(shape), ())


def _out_shape(*xs):
    """The output shape of a scalar-broadcasting elementwise primitive."""
    return next((tuple(x.shape) for x in xs if x.shape != ()), ())


def _ct_for(ct, operand):
    """``ct`` made into a cotangent for ``operand``: summed to shape () for a scalar operand that
    was broadcast, with the operand's dtype and never weak."""
    aval = operand.aval
    if tuple(ct.shape) != tuple(aval.shape):
        from .reduction import reduce_sum
        ct = reduce_sum(ct, tuple(range(len(ct.shape))))
    return convert_element_type(ct, aval.dtype, weak_type=False)


def _zero_cts(operands):
    return [ad.Zero(x.aval.strip_weak_type()) if ad.is_undefined(x) else None for x in operands]


def _replace_zero(x):
    """``x`` with its zeros replaced by ones (keeps log / division in unused branches finite)."""
    return select(eq(x, 0), _full_like(x, 1), x)


# -- unary JVP rules (d f = g * f'(x), with the primal output ``ans`` where it helps) ---------

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0
_LN2 = math.log(2.0)


def _neg_transpose_rule(ct, x):
    if isinstance(ct, ad.Zero):
        return _zero_cts([x])
    return [_ct_for(neg(ct), x)]


ad.deflinear(neg_p, _neg_transpose_rule)
ad.defjvp2(exp_p, lambda g, ans, x: mul(g, ans))
ad.defjvp2(exp2_p, lambda g, ans, x: mul(g, mul(ans, _LN2)))
ad.defjvp(log_p, lambda g, x: div(g, x))
ad.defjvp(log1p_p, lambda g, x: div(g, add(x, 1.0)))
ad.defjvp2(expm1_p, lambda g, ans, x: mul(g, add(ans, 1.0)))
ad.defjvp(sin_p, lambda g, x: mul(g, cos(x)))
ad.defjvp(cos_p, lambda g, x: neg(mul(g, sin(x))))
ad.defjvp2(tan_p, lambda g, ans, x: mul(g, add(1.0, mul(ans, ans))))
ad.defjvp(asin_p, lambda g, x: mul(g, rsqrt(sub(1.0, mul(x, x)))))
ad.defjvp(acos_p, lambda g, x: neg(mul(g, rsqrt(sub(1.0, mul(x, x))))))
ad.defjvp(atan_p, lambda g, x: div(g, add(1.0, mul(x, x))))
ad.defjvp(sinh_p, lambda g, x: mul(g, cosh(x)))
ad.defjvp(cosh_p, lambda g, x: mul(g, sinh(x)))
# 1 - tanh^2 as (1 + ans)(1 - ans): no cancellation when |ans| is near 1
ad.defjvp2(tanh_p, lambda g, ans, x: mul(mul(g, add(1.0, ans)), sub(1.0, ans)))
ad.defjvp(asinh_p, lambda g, x: mul(g, rsqrt(add(mul(x, x), 1.0))))
def _acosh_jvp(g, x):
    if dtypes.is_complex(x.dtype):  # 1 / sqrt(x^2 - 1) would take the wrong branch off the axis
        return div(g, mul(sqrt(sub(x, 1.0)), sqrt(add(x, 1.0))))
    return mul(g, rsqrt(mul(sub(x, 1.0), add(x, 1.0))))


ad.defjvp(acosh_p, _acosh_jvp)
ad.defjvp(atanh_p, lambda g, x: div(div(g, add(1.0, x)), sub(1.0, x)))
ad.defjvp2(logistic_p, lambda g, ans, x: mul(g, mul(ans, sub(1.0, ans))))
# at x = 0 this is g * inf = inf, as numpy's 0.5 / sqrt(0)
ad.defjvp2(sqrt_p, lambda g, ans, x: mul(g, div(0.5, ans)))
ad.defjvp2(rsqrt_p, lambda g, ans, x: mul(g, mul(-0.5, div(ans, x))))
ad.defjvp2(cbrt_p, lambda g, ans, x: mul(g, mul(1.0 / 3.0, integer_pow(ans, -2))))
def _abs_jvp(g, ans, x):
    if not dtypes.is_complex(x.dtype):
        return mul(g, sign(x))
    # d|x| = Re(conj(x) dx) / |x|, and 0 at x = 0 (as JAX)
    safe_ans = _replace_zero(ans)
    return select(eq(ans, 0), _full_like(ans, 0), div(real(mul(conj(x), g)), safe_ans))


ad.defjvp2(abs_p, _abs_jvp)
ad.defjvp(erf_p, lambda g, x: mul(g, mul(_TWO_OVER_SQRT_PI, exp(neg(mul(x, x))))))
ad.defjvp2(erf_inv_p, lambda g, ans, x: mul(g, mul(_SQRT_PI_OVER_TWO, exp(mul(ans, ans)))))
ad.defjvp(lgamma_p, lambda g, x: mul(g, digamma(x)))
for _p in (sign_p, floor_p, ceil_p, is_finite_p, not_p):
    ad.defjvp_zero(_p)


# real, imag, conj are real-linear; their transposes follow JAX's convention (no conjugation
# of cotangents), which makes grad of a real loss of complex parameters equal JAX's
def _real_transpose_rule(ct, x):
    if isinstance(ct, ad.Zero):
        return _zero_cts([x])
    return [complex(ct, _full_like(ct, 0))]


def _imag_transpose_rule(ct, x):
    if isinstance(ct, ad.Zero):
        return _zero_cts([x])
    return [complex(_full_like(ct, 0), neg(ct))]


def _conj_transpose_rule(ct, x):
    if isinstance(ct, ad.Zero):
        return _zero_cts([x])
    return [conj(ct)]


ad.deflinear(real_p, _real_transpose_rule)
ad.deflinear(imag_p, _imag_transpose_rule)
ad.deflinear(conj_p, _conj_transpose_rule)


# -- round ------------------------------------------------------------------------------------

class RoundingMethod(enum.IntEnum):
    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


round_p = Primitive("round", fusion=Fusion.ELEMENTWISE)


@round_p.def_abstract_eval
def _round_abstract_eval(x, *, rounding_method):
    check_dtype("round", x, FLOATING, "a floating dtype")
    return ShapedArray(x.shape, x.dtype, x.weak_type)


ad.defjvp_zero(round_p)
batching.defvectorized(round_p)


def round(x, rounding_method=RoundingMethod.AWAY_FROM_ZERO):
    """Round to integral values; halfway cases away from zero (default) or to even."""
    return bind(round_p, as_operand(x), rounding_method=int(RoundingMethod(rounding_method)))


# -- integer_pow ------------------------------------------------------------------------------

integer_pow_p = Primitive("integer_pow", fusion=Fusion.ELEMENTWISE)


@integer_pow_p.def_abstract_eval
def _integer_pow_abstract_eval(x, *, y):
    check_dtype("integer_pow", x, NUMERIC_OR_COMPLEX, "a numeric dtype")
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def _integer_pow_jvp(g, x, *, y):
    if y == 0:
        return ad.Zero.from_value(g)
    if y == 1:
        return g
    return mul(g, mul(float(y), integer_pow(x, y - 1)))


ad.defjvp(integer_pow_p, _integer_pow_jvp)
batching.defvectorized(integer_pow_p)


def integer_pow(x, y: int):
    """x ** y for a static Python integer exponent y (by repeated squaring); any Python int
    (as in JAX): integers wrap exactly (``3 ** 2**63`` in int32 is 1)."""
    return bind(integer_pow_p, as_operand(x), y=operator.index(y))


_INT64_MAX = 2 ** 63 - 1


def kernel_exponent(y: int, dtype) -> int:
    """The int64 exponent the kernels compute ``x ** y`` with: ``y`` itself when it fits, else
    one with the same result for every x of ``dtype`` (by repeated squaring):

    * integers wrap modulo 2**bits (bits <= 64): an even x ** e is 0 once e >= 64, and an odd
      x has x ** 2**62 == 1, so e and 2**62 + e % 2**62 give the same power;
    * floats: every |x| != 1 overflows or underflows for |e| >= 2**63 - 2, and +-1, NaN, +-inf
      and +-0 depend on the parity of e only, so 2**63 - 2 (even) or 2**63 - 1 (odd) serve.
    The sign is kept (negative exponents)."""
    y = operator.index(y)
    magnitude = -y if y < 0 else y  # (this module's abs is lax.abs)
    if magnitude <= _INT64_MAX:
        return y
    if np.dtype(dtype).kind == "f":
        reduced = _INT64_MAX - 1 + (magnitude & 1)
    else:
        reduced = 2 ** 62 + magnitude % 2 ** 62
    return reduced if y > 0 else -reduced


# -- convert_element_type ---------------------------------------------------------------------

convert_element_type_p = Primitive("convert_element_type", fusion=Fusion.ELEMENTWISE)


@convert_element_type_p.def_abstract_eval
def _convert_abstract_eval(x, *, new_dtype, weak_type):
    dtypes.canonicalize(new_dtype, "convert_element_type")  # rejects unsupported dtypes
    return ShapedArray(x.shape, new_dtype, weak_type)


def _convert_jvp_rule(primals, tangents, *, new_dtype, weak_type):
    (x,), (t,) = primals, tangents
    ans = bind(convert_element_type_p, x, new_dtype=new_dtype, weak_type=weak_type)
    # between floats and complex it is (real-)linear: complex -> float keeps the real part;
    # to or from a bool / integer there is nothing to differentiate
    if isinstance(t, ad.Zero) or not (dtypes.is_inexact(x.dtype)
                                      and dtypes.is_inexact(new_dtype)):
        return ans, ad.Zero.from_value(ans)
    return ans, convert_element_type(t, new_dtype)


def _convert_transpose_rule(ct, x, *, new_dtype, weak_type):
    if isinstance(ct, ad.Zero):
        return _zero_cts([x])
    return [convert_element_type(ct, x.aval.dtype)]


ad.jvp_rules[convert_element_type_p] = _convert_jvp_rule
ad.deftranspose(convert_element_type_p, _convert_transpose_rule)
batching.defvectorized(convert_element_type_p)


def convert_element_type(x, new_dtype, weak_type: bool = False):
    """Cast ``x`` to ``new_dtype`` (float->int truncates toward zero; NaN -> 0)."""
    x = as_operand(x)
    new_dtype = dtypes.canonicalize(new_dtype, "convert_element_type")
    if x.dtype == new_dtype and x.weak_type == weak_type:
        return x
    return bind(convert_element_type_p, x, new_dtype=new_dtype, weak_type=weak_type)


# -- bitcast_convert_type ---------------------------------------------------------------------

bitcast_convert_type_p = Primitive("bitcast_convert_type", fusion=Fusion.ELEMENTWISE)


def _check_bitcast(dtype, new_dtype):
    new_dtype = dtypes.canonicalize(new_dtype, "bitcast_convert_type")
    if dtypes.is_bool(dtype) or dtypes.is_bool(new_dtype) or dtype.itemsize != new_dtype.itemsize \
            or dtypes.is_complex(dtype) or dtypes.is_complex(new_dtype):
        raise dtype_error(
            "bitcast_convert_type", f"cannot reinterpret {dtype} as {new_dtype}; fnx bitcasts "
            "only between non-bool, non-complex dtypes of the same width (float32 <-> int32 / "
            "uint32, float64 <-> int64, int8 <-> uint8)")
    return new_dtype


@bitcast_convert_type_p.def_abstract_eval
def _bitcast_abstract_eval(x, *, new_dtype):
    return ShapedArray(x.shape, _check_bitcast(x.dtype, new_dtype), False)


# The result is the operand's bits, not a smooth function of its value (as in JAX, whose
# integer-valued results have no tangent): the derivative is zero.
ad.defjvp_zero(bitcast_convert_type_p)
batching.defvectorized(bitcast_convert_type_p)


def bitcast_convert_type(x, new_dtype):
    """The bits of ``x`` read as ``new_dtype`` (same item width, same shape).

    >>> bitcast_convert_type(fnx.numpy.array(1.0), fnx.numpy.uint32)  # 0x3f800000
    Array(1065353216, dtype=uint32)
    """
    x = as_operand(x)
    new_dtype = _check_bitcast(x.dtype, new_dtype)  # eager binds skip the abstract eval
    if x.dtype == new_dtype and not x.weak_type:
        return x
    return bind(bitcast_convert_type_p, x, new_dtype=new_dtype)


# ---------------------------------------------------------------------------------------------
# Binary primitives.  Operands: equal dtypes, and equal shapes -- or one of them a scalar
# (rank 0), which broadcasts (as in JAX, so ``x * 2.0`` needs no broadcast_in_dim).
# ---------------------------------------------------------------------------------------------

BINARY_PRIMITIVES: dict[str, Primitive] = {}


def _define_binary(name: str, allowed, out_dtype=None) -> Primitive:
    prim = Primitive(name, fusion=Fusion.ELEMENTWISE)

    def abstract_eval(x, y):
        check_same_dtypes(name, x, y)
        if x.shape != y.shape and x.shape != () and y.shape != ():
            check_same_shapes(name, x, y)
        check_dtype(name, x, allowed, _KIND_NAMES[allowed])
        shape = x.shape if x.shape != () else y.shape
        if callable(out_dtype):
            return ShapedArray(shape, out_dtype(x.dtype), x.weak_type and y.weak_type)
        if out_dtype is not None:
            return ShapedArray(shape, out_dtype, False)
        return ShapedArray(shape, x.dtype, x.weak_type and y.weak_type)

    prim.def_abstract_eval(abstract_eval)
    batching.defbroadcasting(prim)
    BINARY_PRIMITIVES[name] = prim
    return prim


add_p = _define_binary("add", NUMERIC_OR_COMPLEX)
sub_p = _define_binary("sub", NUMERIC_OR_COMPLEX)
mul_p = _define_binary("mul", NUMERIC_OR_COMPLEX)
div_p = _define_binary("div", NUMERIC_OR_COMPLEX)
rem_p = _define_binary("rem", NUMERIC)
pow_p = _define_binary("pow", NUMERIC_OR_COMPLEX)
# max, min and the order comparisons are lexicographic on complex (real part first), as numpy
max_p = _define_binary("max", ALL)
min_p = _define_binary("min", ALL)
atan2_p = _define_binary("atan2", FLOATING)
nextafter_p = _define_binary("nextafter", FLOATING)
eq_p = _define_binary("eq", ALL, dtypes.bool_)
ne_p = _define_binary("ne", ALL, dtypes.bool_)
lt_p = _define_binary("lt", ALL, dtypes.bool_)
le_p = _define_binary("le", ALL, dtypes.bool_)
gt_p = _define_binary("gt", ALL, dtypes.bool_)
ge_p = _define_binary("ge", ALL, dtypes.bool_)
and_p = _define_binary("and", BOOL_OR_INT)
or_p = _define_binary("or", BOOL_OR_INT)
xor_p = _define_binary("xor", BOOL_OR_INT)
shift_left_p = _define_binary("shift_left", INTEGER)
shift_right_logical_p = _define_binary("shift_right_logical", INTEGER)
shift_right_arithmetic_p = _define_binary("shift_right_arithmetic", INTEGER)
complex_p = _define_binary("complex", FLOATING, dtypes.complex_of)  # re + i im


def _binary_fn(prim: Primitive, doc: str):
    def fn(x, y):
        x, y = as_operands(x, y, op=prim.name)
        return bind(prim, x, y)
    fn.__name__ = prim.name
    fn.__doc__ = doc
    return fn


add = _binary_fn(add_p, "Elementwise x + y (integers wrap around).")
sub = _binary_fn(sub_p, "Elementwise x - y.")
mul = _binary_fn(mul_p, "Elementwise x * y.")
div = _binary_fn(div_p, "Elementwise x / y; integer division truncates toward zero, x // 0 = 0.")
rem = _binary_fn(rem_p, "Elementwise remainder with the sign of x (C fmod / %); x % 0 = 0.")
pow = _binary_fn(pow_p, "Elementwise x ** y.")
max = _binary_fn(max_p, "Elementwise maximum; NaN propagates.")
min = _binary_fn(min_p, "Elementwise minimum; NaN propagates.")
atan2 = _binary_fn(atan2_p, "Elementwise arc tangent of x / y using the signs of both.")
nextafter = _binary_fn(nextafter_p, "Next representable value after x towards y.")
eq = _binary_fn(eq_p, "Elementwise x == y.")
ne = _binary_fn(ne_p, "Elementwise x != y.")
lt = _binary_fn(lt_p, "Elementwise x < y.")
le = _binary_fn(le_p, "Elementwise x <= y.")
gt = _binary_fn(gt_p, "Elementwise x > y.")
ge = _binary_fn(ge_p, "Elementwise x >= y.")
bitwise_and = _binary_fn(and_p, "Elementwise logical (bool) or bitwise (int) and.")
bitwise_or = _binary_fn(or_p, "Elementwise logical (bool) or bitwise (int) or.")
bitwise_xor = _binary_fn(xor_p, "Elementwise logical (bool) or bitwise (int) xor.")
shift_left = _binary_fn(shift_left_p, "x << y; shifts >= the bit width give 0.")
shift_right_logical = _binary_fn(shift_right_logical_p, "Logical x >> y (zeros shifted in).")
shift_right_arithmetic = _binary_fn(shift_right_arithmetic_p, "Arithmetic x >> y (sign bits in).")
complex = _binary_fn(complex_p, "x + i y from two float arrays of one dtype (float32 -> "
                                "complex64).")


# -- binary JVP / transpose rules -------------------------------------------------------------
# One operand may be rank 0 and broadcast against the other: a scalar operand's tangent is
# broadcast to the output shape, and its cotangent is summed back to shape ().

def _add_jvp_lhs(g, x, y):
    return _bcast(g, _out_shape(x, y))


def _sub_jvp_rhs(g, x, y):
    return neg(_bcast(g, _out_shape(x, y)))


def _add_transpose_rule(ct, x, y):
    if isinstance(ct, ad.Zero):
        return _zero_cts([x, y])
    return [_ct_for(ct, x) if ad.is_undefined(x) else None,
            _ct_for(ct, y) if ad.is_undefined(y) else None]


def _sub_transpose_rule(ct, x, y):
    if isinstance(ct, ad.Zero):
        return _zero_cts([x, y])
    return [_ct_for(ct, x) if ad.is_undefined(x) else None,
            _ct_for(neg(ct), y) if ad.is_undefined(y) else None]


def _mul_transpose_rule(ct, x, y):
    # linear in each operand separately: exactly one of them is the linear input
    if ad.is_undefined(x) and ad.is_undefined(y):
        raise NotImplementedError("transpose of mul: both operands are linear inputs (the "
                                  "product of two tangents is not linear)")
    if isinstance(ct, ad.Zero):
        return _zero_cts([x, y])
    if ad.is_undefined(x):
        return [_ct_for(mul(ct, y), x), None]
    return [None, _ct_for(mul(x, ct), y)]


def _div_transpose_rule(ct, x, y):
    # linear in the numerator only
    if ad.is_undefined(y):
        raise NotImplementedError("transpose of div with respect to the denominator: div is "
                                  "linear only in its numerator")
    if isinstance(ct, ad.Zero):
        return _zero_cts([x, y])
    return [_ct_for(div(ct, y), x), None]


def _pow_jvp_lhs(g, ans, x, y):
    # y * x^(y-1), and exactly 0 where y == 0 (no 0 * inf = NaN at x == 0); where y == 0 the
    # unused branch sees x = y = 1, so its own derivatives (higher orders) stay finite too
    shape = tuple(ans.shape)
    xb, yb = _bcast(x, shape), _bcast(y, shape)
    y_is_0 = eq(yb, 0)
    ones = _full_like(yb, 1)
    jac = select(y_is_0, _full_like(yb, 0),
                 mul(select(y_is_0, ones, yb), pow(select(y_is_0, ones, xb), sub(yb, 1))))
    return mul(g, jac)


def _pow_jvp_rhs(g, ans, x, y):
    # log(x) * x^y, taken as 0 at x == 0 (where x^y is 0 or 1 for y >= 0)
    return mul(g, mul(log(_replace_zero(x)), ans))


def _balanced_eq(x, ans, y):
    """1 where x attains ``ans``, halved where y attains it too (ties split evenly, as JAX)."""
    x_wins = convert_element_type(eq(x, ans), ans.dtype)
    y_ties = convert_element_type(eq(y, ans), ans.dtype)
    return div(x_wins, add(y_ties, 1.0))


def _rem_jvp_rhs(g, x, y):
    q = div(x, y)
    return mul(neg(g), mul(sign(q), floor(abs(q))))  # -g * trunc(x / y)


def _atan2_jvp_lhs(g, x, y):
    return mul(g, div(y, add(mul(x, x), mul(y, y))))


def _atan2_jvp_rhs(g, x, y):
    return mul(g, div(neg(x), add(mul(x, x), mul(y, y))))


ad.defjvp(add_p, _add_jvp_lhs, lambda g, x, y: _add_jvp_lhs(g, y, x))
ad.deftranspose(add_p, _add_transpose_rule)
ad.defjvp(sub_p, _add_jvp_lhs, _sub_jvp_rhs)
ad.deftranspose(sub_p, _sub_transpose_rule)
ad.defjvp(mul_p, lambda g, x, y: mul(g, y), lambda g, x, y: mul(x, g))
ad.deftranspose(mul_p, _mul_transpose_rule)
ad.defjvp(div_p, lambda g, x, y: div(g, y),
          lambda g, x, y: mul(mul(neg(g), x), integer_pow(y, -2)))
ad.deftranspose(div_p, _div_transpose_rule)
ad.defjvp(rem_p, _add_jvp_lhs, _rem_jvp_rhs)
ad.defjvp2(pow_p, _pow_jvp_lhs, _pow_jvp_rhs)
ad.defjvp2(max_p, lambda g, ans, x, y: mul(g, _balanced_eq(x, ans, y)),
           lambda g, ans, x, y: mul(g, _balanced_eq(y, ans, x)))
ad.defjvp2(min_p, lambda g, ans, x, y: mul(g, _balanced_eq(x, ans, y)),
           lambda g, ans, x, y: mul(g, _balanced_eq(y, ans, x)))
ad.defjvp(atan2_p, _atan2_jvp_lhs, _atan2_jvp_rhs)


def _complex_transpose_rule(ct, x, y):
    if isinstance(ct, ad.Zero):
        return _zero_cts([x, y])
    return [_ct_for(real(ct), x) if ad.is_undefined(x) else None,
            _ct_for(neg(imag(ct)), y) if ad.is_undefined(y) else None]


ad.deflinear(complex_p, _complex_transpose_rule)
for _p in (nextafter_p, eq_p, ne_p, lt_p, le_p, gt_p, ge_p, and_p, or_p, xor_p, shift_left_p,
           shift_right_logical_p, shift_right_arithmetic_p):
    ad.defjvp_zero(_p)


# -- select_n ---------------------------------------------------------------------------------

select_n_p = Primitive("select_n", fusion=Fusion.ELEMENTWISE)


@select_n_p.def_abstract_eval
def _select_n_abstract_eval(which, *cases):
    if not cases:
        raise InvalidArgumentError("select_n: needs at least one case")
    check_same_dtypes("select_n", *cases)
    check_same_shapes("select_n", *cases)
    if which.shape not in ((), cases[0].shape):
        raise shape_error("select_n", "`which` must be a scalar or have the shape of the cases",
                          which, *cases)
    if which.dtype == dtypes.bool_:
        if len(cases) > 2:
            raise dtype_error("select_n", "a bool `which` selects between at most 2 cases",
                              which)
    elif which.dtype != dtypes.int32:
        raise dtype_error("select_n", "`which` must be bool or int32", which)
    return ShapedArray(cases[0].shape, cases[0].dtype, all_weak(*cases))


def _select_n_jvp_rule(primals, tangents, **params):
    which, *cases = primals
    ans = bind(select_n_p, which, *cases)
    case_tangents = tangents[1:]
    if all(isinstance(t, ad.Zero) for t in case_tangents):
        return ans, ad.Zero.from_value(ans)
    return ans, bind(select_n_p, which, *[ad.instantiate_zeros(t) for t in case_tangents])


def _select_n_transpose_rule(ct, which, *cases):
    if ad.is_undefined(which):
        raise NotImplementedError("transpose of select_n with respect to `which`")
    if isinstance(ct, ad.Zero):
        return [None] + _zero_cts(cases)
    zeros = _full_like(ct, 0)
    if which.dtype == dtypes.bool_:  # case 0 where `which` is False, case 1 where True
        picks = [lambda c: select(which, zeros, c), lambda c: select(which, c, zeros)]
    else:
        n = len(cases)
        idx = clamp(0, which, n - 1)  # select_n clamps an int `which` into [0, n)
        picks = [lambda c, i=i: select(eq(idx, i), c, zeros) for i in range(n)]
    return [None] + [_ct_for(pick(ct), c) if ad.is_undefined(c) else None
                     for pick, c in zip(picks, cases)]


def _select_n_batching_rule(axis_size, args, dims):
    # `which` may stay a scalar; the cases all need the full batched shape
    ok = [True] + [False] * (len(args) - 1)
    ops, out_dim = batching.broadcast_operands(axis_size, args, dims, ok)
    return bind(select_n_p, *ops), out_dim


ad.jvp_rules[select_n_p] = _select_n_jvp_rule
ad.deftranspose(select_n_p, _select_n_transpose_rule)
batching.batching_rules[select_n_p] = _select_n_batching_rule


def select_n(which, *cases):
    """``cases[which]`` elementwise: ``which`` is bool (2 cases) or int32 (n cases, clamped)."""
    cases = as_operands(*cases)
    which = as_operand(which)
    if len(cases) == 1:
        return cases[0]
    return bind(select_n_p, which, *cases)


def select(pred, on_true, on_false):
    """``on_true`` where ``pred`` else ``on_false`` (JAX's lax.select)."""
    return select_n(pred, on_false, on_true)


# -- clamp ------------------------------------------------------------------------------------

clamp_p = Primitive("clamp", fusion=Fusion.ELEMENTWISE)


@clamp_p.def_abstract_eval
def _clamp_abstract_eval(lo, x, hi):
    check_same_dtypes("clamp", lo, x, hi)
    check_dtype("clamp", x, REAL, "a non-complex dtype")
    for bound in (lo, hi):
        if bound.shape not in ((), x.shape):
            raise shape_error("clamp", "bounds must be scalars or have the operand's shape",
                              lo, x, hi)
    return ShapedArray(x.shape, x.dtype, x.weak_type)


# JAX's convention: x gets the tangent strictly inside (lo, hi); lo where it clamps from below
# (lo > x, lo < hi), hi where it clamps from above (hi < x); nobody at the ties.  One extension:
# with lo > hi the result is hi (min(max(x, lo), hi)), so hi also gets it where hi < lo -- JAX
# leaves that case undefined and gives no tangent to anyone.
def _clamp_jvp_lo(g, lo, x, hi):
    return select(bitwise_and(gt(lo, x), lt(lo, hi)), _bcast(g, x.shape), _full_like(x, 0))


def _clamp_jvp_x(g, lo, x, hi):
    return select(bitwise_and(gt(x, lo), lt(x, hi)), g, _full_like(x, 0))


def _clamp_jvp_hi(g, lo, x, hi):
    return select(bitwise_or(lt(hi, x), lt(hi, lo)), _bcast(g, x.shape), _full_like(x, 0))


ad.defjvp(clamp_p, _clamp_jvp_lo, _clamp_jvp_x, _clamp_jvp_hi)
batching.defbroadcasting(clamp_p, scalar_operands=(True, False, True))


def clamp(min, x, max):
    """``min(max(x, lo), hi)`` with scalar or same-shape bounds (lax argument order)."""
    lo, x, hi = as_operands(min, x, max)
    return bind(clamp_p, lo, x, hi)


# Python-keyword-shaped aliases, as in jax.lax
not_ = bitwise_not
and_ = bitwise_and
or_ = bitwise_or
xor = bitwise_xor


def square(x):
    return integer_pow(x, 2)


def reciprocal(x):
    return integer_pow(x, -1)


# -- stop_gradient ----------------------------------------------------------------------------

stop_gradient_p = Primitive("stop_gradient", fusion=Fusion.ELEMENTWISE)
stop_gradient_p.def_abstract_eval(lambda x: ShapedArray(x.shape, x.dtype, x.weak_type))
ad.defjvp_zero(stop_gradient_p)
batching.defvectorized(stop_gradient_p)


def stop_gradient(x):
    """``x``, with zero derivative (applies to every array leaf of a pytree)."""
    from .. import tree as tree_util
    return tree_util.map(lambda leaf: bind(stop_gradient_p, as_operand(leaf)), x)
