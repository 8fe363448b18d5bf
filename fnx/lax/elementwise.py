"""Elementwise primitives: unary math, binary arithmetic/comparison/logic, select_n, clamp,
integer_pow and convert_element_type.

fnx.lax operands must already agree: equal shapes and equal dtypes (Python scalars adopt the
array's dtype).  Broadcasting and promotion are fnx.numpy's job, as in JAX.
"""
from __future__ import annotations

import enum
import operator

from .. import dtypes
from ..core import Primitive, ShapedArray, bind
from ..interpreters import ad
from ..errors import InvalidArgumentError, dtype_error, shape_error
from ._util import (ALL, BOOL_OR_INT, FLOATING, INTEGER, NUMERIC, all_weak, as_operand,
                    as_operands, check_dtype, check_same_dtypes, check_same_shapes)

_KIND_NAMES = {FLOATING: "a floating dtype", NUMERIC: "a numeric dtype",
               INTEGER: "an integer dtype", BOOL_OR_INT: "a bool or integer dtype",
               ALL: "any dtype"}

# ---------------------------------------------------------------------------------------------
# Unary primitives.  Each row: name, the dtypes it accepts, and the output dtype if it is fixed.
# ---------------------------------------------------------------------------------------------

UNARY_PRIMITIVES: dict[str, Primitive] = {}


def _define_unary(name: str, allowed, out_dtype=None) -> Primitive:
    prim = Primitive(name)

    def abstract_eval(x, **params):
        check_dtype(name, x, allowed, _KIND_NAMES[allowed])
        if out_dtype is not None:
            return ShapedArray(x.shape, out_dtype, False)
        return ShapedArray(x.shape, x.dtype, x.weak_type)

    prim.def_abstract_eval(abstract_eval)
    UNARY_PRIMITIVES[name] = prim
    return prim


neg_p = _define_unary("neg", NUMERIC)
exp_p = _define_unary("exp", FLOATING)
exp2_p = _define_unary("exp2", FLOATING)
log_p = _define_unary("log", FLOATING)
log1p_p = _define_unary("log1p", FLOATING)
expm1_p = _define_unary("expm1", FLOATING)
sin_p = _define_unary("sin", FLOATING)
cos_p = _define_unary("cos", FLOATING)
tan_p = _define_unary("tan", FLOATING)
asin_p = _define_unary("asin", FLOATING)
acos_p = _define_unary("acos", FLOATING)
atan_p = _define_unary("atan", FLOATING)
sinh_p = _define_unary("sinh", FLOATING)
cosh_p = _define_unary("cosh", FLOATING)
tanh_p = _define_unary("tanh", FLOATING)
asinh_p = _define_unary("asinh", FLOATING)
acosh_p = _define_unary("acosh", FLOATING)
atanh_p = _define_unary("atanh", FLOATING)
logistic_p = _define_unary("logistic", FLOATING)
sqrt_p = _define_unary("sqrt", FLOATING)
rsqrt_p = _define_unary("rsqrt", FLOATING)
cbrt_p = _define_unary("cbrt", FLOATING)
abs_p = _define_unary("abs", NUMERIC)
sign_p = _define_unary("sign", NUMERIC)
floor_p = _define_unary("floor", FLOATING)
ceil_p = _define_unary("ceil", FLOATING)
erf_p = _define_unary("erf", FLOATING)
erf_inv_p = _define_unary("erf_inv", FLOATING)
lgamma_p = _define_unary("lgamma", FLOATING)
digamma_p = _define_unary("digamma", FLOATING)
is_finite_p = _define_unary("is_finite", FLOATING, out_dtype=dtypes.bool_)
not_p = _define_unary("not", BOOL_OR_INT)


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
sign = _unary_fn(sign_p, "Elementwise sign: -1, 0 or 1 (NaN stays NaN).")
floor = _unary_fn(floor_p, "Elementwise floor.")
ceil = _unary_fn(ceil_p, "Elementwise ceiling.")
erf = _unary_fn(erf_p, "Elementwise error function.")
erf_inv = _unary_fn(erf_inv_p, "Elementwise inverse error function.")
lgamma = _unary_fn(lgamma_p, "Elementwise log|Gamma(x)|.")
digamma = _unary_fn(digamma_p, "Elementwise digamma (d/dx lgamma); poles as scipy: -inf at +0, "
                                "+inf at -0, NaN at negative integers.")
is_finite = _unary_fn(is_finite_p, "Elementwise test for finite values (not inf, not NaN).")
bitwise_not = _unary_fn(not_p, "Elementwise logical not (bool) or bitwise not (ints).")


# -- round ------------------------------------------------------------------------------------

class RoundingMethod(enum.IntEnum):
    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


round_p = Primitive("round")


@round_p.def_abstract_eval
def _round_abstract_eval(x, *, rounding_method):
    check_dtype("round", x, FLOATING, "a floating dtype")
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def round(x, rounding_method=RoundingMethod.AWAY_FROM_ZERO):
    """Round to integral values; halfway cases away from zero (default) or to even."""
    return bind(round_p, as_operand(x), rounding_method=int(RoundingMethod(rounding_method)))


# -- integer_pow ------------------------------------------------------------------------------

integer_pow_p = Primitive("integer_pow")


@integer_pow_p.def_abstract_eval
def _integer_pow_abstract_eval(x, *, y):
    check_dtype("integer_pow", x, NUMERIC, "a numeric dtype")
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def integer_pow(x, y: int):
    """x ** y for a static Python integer exponent y (by repeated squaring)."""
    return bind(integer_pow_p, as_operand(x), y=operator.index(y))


# -- convert_element_type ---------------------------------------------------------------------

convert_element_type_p = Primitive("convert_element_type")


@convert_element_type_p.def_abstract_eval
def _convert_abstract_eval(x, *, new_dtype, weak_type):
    dtypes.canonicalize(new_dtype, "convert_element_type")  # rejects unsupported dtypes
    return ShapedArray(x.shape, new_dtype, weak_type)


def convert_element_type(x, new_dtype, weak_type: bool = False):
    """Cast ``x`` to ``new_dtype`` (float->int truncates toward zero; NaN -> 0)."""
    x = as_operand(x)
    new_dtype = dtypes.canonicalize(new_dtype, "convert_element_type")
    if x.dtype == new_dtype and x.weak_type == weak_type:
        return x
    return bind(convert_element_type_p, x, new_dtype=new_dtype, weak_type=weak_type)


# ---------------------------------------------------------------------------------------------
# Binary primitives.  Operands: equal dtypes, and equal shapes -- or one of them a scalar
# (rank 0), which broadcasts (as in JAX, so ``x * 2.0`` needs no broadcast_in_dim).
# ---------------------------------------------------------------------------------------------

BINARY_PRIMITIVES: dict[str, Primitive] = {}


def _define_binary(name: str, allowed, out_dtype=None) -> Primitive:
    prim = Primitive(name)

    def abstract_eval(x, y):
        check_same_dtypes(name, x, y)
        if x.shape != y.shape and x.shape != () and y.shape != ():
            check_same_shapes(name, x, y)
        check_dtype(name, x, allowed, _KIND_NAMES[allowed])
        shape = x.shape if x.shape != () else y.shape
        if out_dtype is not None:
            return ShapedArray(shape, out_dtype, False)
        return ShapedArray(shape, x.dtype, x.weak_type and y.weak_type)

    prim.def_abstract_eval(abstract_eval)
    BINARY_PRIMITIVES[name] = prim
    return prim


add_p = _define_binary("add", NUMERIC)
sub_p = _define_binary("sub", NUMERIC)
mul_p = _define_binary("mul", NUMERIC)
div_p = _define_binary("div", NUMERIC)
rem_p = _define_binary("rem", NUMERIC)
pow_p = _define_binary("pow", NUMERIC)
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


def _binary_fn(prim: Primitive, doc: str):
    def fn(x, y):
        x, y = as_operands(x, y)
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


# -- select_n ---------------------------------------------------------------------------------

select_n_p = Primitive("select_n")


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

clamp_p = Primitive("clamp")


@clamp_p.def_abstract_eval
def _clamp_abstract_eval(lo, x, hi):
    check_same_dtypes("clamp", lo, x, hi)
    check_dtype("clamp", x, ALL, "any dtype")
    for bound in (lo, hi):
        if bound.shape not in ((), x.shape):
            raise shape_error("clamp", "bounds must be scalars or have the operand's shape",
                              lo, x, hi)
    return ShapedArray(x.shape, x.dtype, x.weak_type)


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

stop_gradient_p = Primitive("stop_gradient")
stop_gradient_p.def_abstract_eval(lambda x: ShapedArray(x.shape, x.dtype, x.weak_type))
ad.defjvp_zero(stop_gradient_p)


def stop_gradient(x):
    """``x``, with zero derivative (applies to every array leaf of a pytree)."""
    from .. import tree as tree_util
    return tree_util.map(lambda leaf: bind(stop_gradient_p, as_operand(leaf)), x)
