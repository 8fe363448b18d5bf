"""jax.lax's incomplete gamma / beta / zeta family.

Primitives with native kernels (one line each in kernels/common/fnx_ops.h, scalar code in
kernels/common/fnx_special.h): ``igamma`` (regularized lower incomplete gamma P(a, x)),
``igammac`` (Q = 1 - P, accurate where P ~ 1), ``igamma_grad_a`` (dP/da), ``random_gamma_grad``
(d sample / d a of a Gamma(a, 1) sample at a fixed CDF value) and ``zeta`` (Hurwitz).  Built on
them from lax operations: ``polygamma`` and ``betainc``.

Derivatives follow JAX: igamma / igammac in both operands (in a through ``igamma_grad_a``),
zeta in q only, polygamma in x only, betainc in x only; the other directions raise
``DerivativeNotImplementedError``, as JAX has no rule for them either.
"""
from __future__ import annotations

import math

from .. import dtypes
from ..errors import DerivativeNotImplementedError, dtype_error
from ..interpreters import ad
from ..interpreters.custom import custom_jvp
from ._util import FLOATING, as_operands
from .elementwise import (_TWO_OVER_SQRT_PI, _binary_fn, _define_binary, _define_unary,
                          _full_like, _unary_fn, abs, add, convert_element_type, digamma,
                          digamma_p, div, eq, exp, floor, ge, gt, le, lgamma, log, log1p, lt,
                          mul, ne, neg, select, sign, sub)
from .elementwise import bitwise_and as _and, bitwise_or as _or

__all__ = ["igamma", "igammac", "igamma_grad_a", "random_gamma_grad", "zeta", "polygamma",
           "betainc", "igamma_p", "igammac_p", "igamma_grad_a_p", "random_gamma_grad_p",
           "zeta_p", "erfc", "bessel_i0e", "bessel_i1e", "erfc_p", "bessel_i0e_p",
           "bessel_i1e_p"]


# -- unary kernels: erfc and the scaled Bessel functions ---------------------------------------
# (float32 computed in double and rounded, like erf_inv / lgamma / digamma)

erfc_p = _define_unary("erfc", FLOATING)
bessel_i0e_p = _define_unary("bessel_i0e", FLOATING)
bessel_i1e_p = _define_unary("bessel_i1e", FLOATING)
erfc = _unary_fn(erfc_p, "Elementwise complementary error function 1 - erf(x), accurate where "
                         "erf(x) is near 1.")
bessel_i0e = _unary_fn(bessel_i0e_p, "Elementwise exponentially scaled modified Bessel function "
                                     "of the first kind, order 0: exp(-|x|) I0(x).")
bessel_i1e = _unary_fn(bessel_i1e_p, "Elementwise exponentially scaled modified Bessel function "
                                     "of the first kind, order 1: exp(-|x|) I1(x).")

ad.defjvp(erfc_p, lambda g, x: mul(g, mul(-_TWO_OVER_SQRT_PI, exp(neg(mul(x, x))))))
# d/dx e^-|x| I0(x) = e^-|x| (I1(x) - sign(x) I0(x))  (I0' = I1)
ad.defjvp2(bessel_i0e_p, lambda g, ans, x: mul(g, sub(bessel_i1e(x), mul(sign(x), ans))))


def _bessel_i1e_jvp(g, ans, x):
    # I1' = I0 - I1 / x, so d/dx i1e = i0e - i1e (sign(x) + 1 / x); at x = 0 the limit 1/2
    # (a select with a safe x, so no 0 * inf = NaN flows into higher derivatives)
    at_zero = eq(x, 0)
    safe_x = select(at_zero, _full_like(x, 1), x)
    slope = sub(bessel_i0e(x), mul(ans, add(sign(x), div(1.0, safe_x))))
    return mul(g, select(at_zero, _full_like(x, 0.5), slope))


ad.defjvp2(bessel_i1e_p, _bessel_i1e_jvp)

igamma_p = _define_binary("igamma", FLOATING)
igammac_p = _define_binary("igammac", FLOATING)
igamma_grad_a_p = _define_binary("igamma_grad_a", FLOATING)
random_gamma_grad_p = _define_binary("random_gamma_grad", FLOATING)
zeta_p = _define_binary("zeta", FLOATING)

igamma = _binary_fn(igamma_p, "Regularized lower incomplete gamma P(a, x) (scipy's gammainc); "
                    "NaN for a <= 0 or x < 0.")
igammac = _binary_fn(igammac_p, "Regularized upper incomplete gamma Q(a, x) = 1 - P(a, x), "
                     "accurate where P is near 1 (scipy's gammaincc).")
igamma_grad_a = _binary_fn(igamma_grad_a_p, "d igamma(a, x) / da.")
random_gamma_grad = _binary_fn(random_gamma_grad_p,
                               "d x / d a of a Gamma(a, 1) sample x at a fixed CDF value: "
                               "-(dP/da) / (dP/dx) (implicit reparameterization).")
zeta = _binary_fn(zeta_p, "Hurwitz zeta(x, q) = sum_k (q + k)^-x (scipy's semantics: NaN for "
                  "x < 1, inf at x == 1 and at q = 0, -1, -2, ...).")


def _no_derivative(fn: str, operand: str):
    def rule(g, *primals):
        raise DerivativeNotImplementedError(
            f"{fn}: not differentiable with respect to {operand} (JAX defines no derivative "
            f"there either)")
    return rule


def _gamma_density(a, x):
    """dP/dx = x^(a-1) e^-x / Gamma(a), in log space."""
    return exp(sub(sub(mul(sub(a, 1.0), log(x)), x), lgamma(a)))


ad.defjvp(igamma_p, lambda g, a, x: mul(g, igamma_grad_a(a, x)),
          lambda g, a, x: mul(g, _gamma_density(a, x)))
ad.defjvp(igammac_p, lambda g, a, x: neg(mul(g, igamma_grad_a(a, x))),
          lambda g, a, x: neg(mul(g, _gamma_density(a, x))))
# d/dx (dP/da) = d/da (dP/dx) = density * (log x - digamma(a)); the second derivative in a has
# no rule (nor in JAX)
ad.defjvp(igamma_grad_a_p, _no_derivative("igamma_grad_a", "a"),
          lambda g, a, x: mul(g, mul(_gamma_density(a, x), sub(log(x), digamma(a)))))
ad.defjvp(random_gamma_grad_p, _no_derivative("random_gamma_grad", "a"),
          _no_derivative("random_gamma_grad", "x"))
ad.defjvp(zeta_p, _no_derivative("zeta", "x"),
          lambda g, x, q: mul(g, mul(neg(x), zeta(add(x, 1.0), q))))


# -- polygamma --------------------------------------------------------------------------------

def _check_float(fn: str, *xs):
    for x in xs:
        if x.dtype not in FLOATING:
            raise dtype_error(fn, "needs a real floating dtype", *xs)


def polygamma(m, x):
    """The m-th derivative of digamma: ``digamma(x)`` for m = 0, else
    ``(-1)^(m+1) m! zeta(m + 1, x)``; NaN where m is not a non-negative integer.  ``m`` is an
    array of x's dtype (as in JAX) or a Python int.  Differentiable in x (d/dx = polygamma(m +
    1, x), which this composition gives through zeta's derivative in q), not in m."""
    if isinstance(m, int) and not isinstance(m, bool) and 0 <= m <= 170:  # m! a float
        (x,) = as_operands(x, op="polygamma")
        _check_float("polygamma", x)
        if m == 0:
            return digamma(x)
        scale = (1.0 if m % 2 else -1.0) * float(math.factorial(m))
        return mul(scale, zeta(_full_like(x, m + 1.0), x))
    m, x = as_operands(m, x, op="polygamma")
    _check_float("polygamma", m, x)
    m = _no_derivative_through(m, "polygamma", "m")
    valid = _and(eq(m, floor(m)), ge(m, 0.0))
    # the zeta branch sees m >= 1 only, so its value (and its derivative, which reverse mode
    # multiplies by the 0 cotangent of the unselected branch) stays finite where m == 0
    positive = select(gt(m, 0.0), m, _full_like(m, 1.0))
    odd = eq(sub(positive, mul(2.0, floor(mul(positive, 0.5)))), 1.0)
    sign = select(odd, _full_like(positive, 1.0), _full_like(positive, -1.0))
    higher = mul(mul(sign, exp(lgamma(add(positive, 1.0)))), zeta(add(positive, 1.0), x))
    out = select(eq(m, 0.0), digamma(x), higher)
    return select(valid, out, _full_like(out, math.nan))


# digamma (an elementwise kernel) is differentiated here, where its derivative lives:
# trigamma = polygamma(1, x) = zeta(2, x), the zeta kernel (itself differentiable in x)
ad.defjvp(digamma_p, lambda g, x: mul(g, polygamma(1, x)))


def _no_derivative_through(v, fn: str, operand: str):
    """``v`` itself, whose derivative raises (the composition around it would otherwise
    differentiate its way to a meaningless number)."""
    return _GUARDS[(fn, operand)](v)


def _guard(fn: str, operand: str):
    """An identity ``custom_jvp`` whose JVP raises: only called when ``v``'s tangent is
    nonzero, so differentiating the other operands is unaffected."""
    def identity(v):
        return v
    identity.__name__ = f"{fn}_{operand}"
    guarded = custom_jvp(identity)

    @guarded.defjvp
    def _raise(primals, tangents):
        _no_derivative(fn, operand)(None)
    return guarded


_GUARDS = {key: _guard(*key) for key in
           (("polygamma", "m"), ("betainc", "a"), ("betainc", "b"))}


# -- betainc ----------------------------------------------------------------------------------
#
# A composition, not a kernel: the elementwise kernel families are unary and binary (one
# X-macro list each), and a ternary family would add enum, loops, cffi and CUDA plumbing for one
# function.  The continued fraction runs in a lax.while_loop that stops once every element has
# converged (at most _BETAINC_MAXIT steps), so it jits to one native loop, vmaps (the loop's
# batched predicate) and costs a few dozen cheap steps eagerly.  float32 computes in float64
# and rounds.  Its derivative is a custom_jvp: the closed form in x; none in a, b (as JAX).

_BETAINC_MAXIT = 1000
_BETAINC_EPS = 2.0 ** -53
_TINY = 1e-300


def _betainc_cf(a, b, x):
    """The continued fraction of I_x(a, b) (modified Lentz), elementwise; converges quickly
    for x < (a + 1) / (a + b + 2)."""
    from .control_flow import while_loop  # (imported by fnx.lax after this module)
    from .reduction import reduce_or

    def clamp_tiny(v):
        return select(lt(abs(v), _TINY), _full_like(v, _TINY), v)

    def lentz_step(c, d, coef):
        d = div(1.0, clamp_tiny(add(1.0, mul(coef, d))))
        c = clamp_tiny(add(1.0, div(coef, c)))
        return c, d, mul(d, c)

    def body(carry):
        m, c, d, h, done = carry
        m2 = mul(2.0, m)
        even = div(mul(mul(m, sub(b, m)), x), mul(add(sub(a, 1.0), m2), add(a, m2)))
        c, d, ratio = lentz_step(c, d, even)
        h1 = mul(h, ratio)
        odd = neg(div(mul(mul(add(a, m), add(add(a, b), m)), x),
                      mul(add(a, m2), add(add(a, 1.0), m2))))
        c, d, ratio = lentz_step(c, d, odd)
        converged = le(abs(sub(ratio, 1.0)), _BETAINC_EPS)
        h = select(done, h, mul(h1, ratio))
        return add(m, 1.0), c, d, h, _or(done, converged)

    def cond(carry):
        m, *_, done = carry
        not_done = reduce_or(eq(done, False), tuple(range(len(done.shape))))
        return _and(lt(m, float(_BETAINC_MAXIT)), not_done)

    one = _full_like(x, 1.0)
    d0 = div(1.0, clamp_tiny(sub(1.0, div(mul(add(a, b), x), add(a, 1.0)))))
    not_finite = ne(x, x)  # NaN elements: never converge, so count them done
    m0 = convert_element_type(1.0, x.dtype)
    _, _, _, h, _ = while_loop(cond, body, (m0, one, d0, d0, not_finite))
    return h


def _betainc_value(a, b, x):
    """I_x(a, b) for a, b > 0 and 0 <= x <= 1, NaN outside (float64 in, float64 out)."""
    swap = gt(x, div(add(a, 1.0), add(add(a, b), 2.0)))
    # I_x(a, b) = 1 - I_{1-x}(b, a): the continued fraction converges fast on its side
    aa, bb = select(swap, b, a), select(swap, a, b)
    xx = select(swap, sub(1.0, x), x)
    bad = _or(_or(le(a, 0.0), le(b, 0.0)), _or(lt(x, 0.0), gt(x, 1.0)))
    bad = _or(bad, _or(ne(a, a), ne(b, b)))
    interior = _and(gt(xx, 0.0), eq(bad, False))
    # safe operands where the result is fixed anyway (no log(0), no NaN in the loop)
    half = _full_like(xx, 0.5)
    xs = select(interior, xx, half)
    a_s = select(interior, aa, _full_like(aa, 1.0))
    b_s = select(interior, bb, _full_like(bb, 1.0))
    log_front = sub(add(mul(a_s, log(xs)), mul(b_s, log1p(neg(xs)))),
                    add(log(a_s), _betaln(a_s, b_s)))
    part = mul(exp(log_front), _betainc_cf(a_s, b_s, xs))
    part = select(interior, part, _full_like(part, 0.0))  # x on its side's end: 0
    out = select(swap, sub(1.0, part), part)
    return select(bad, _full_like(out, math.nan), out)


def _betaln(a, b):
    return sub(add(lgamma(a), lgamma(b)), lgamma(add(a, b)))


def _betainc_density(a, b, x):
    """dI/dx = x^(a-1) (1-x)^(b-1) / B(a, b)."""
    return exp(sub(add(mul(sub(a, 1.0), log(x)), mul(sub(b, 1.0), log1p(neg(x)))),
                   _betaln(a, b)))


@custom_jvp
def _betainc_x(a, b, x):
    """betainc with its derivative in x (a, b arrive guarded: their tangents are zero)."""
    wide = dtypes.float64
    out = _betainc_value(convert_element_type(a, wide), convert_element_type(b, wide),
                         convert_element_type(x, wide))
    return convert_element_type(out, x.dtype)


@_betainc_x.defjvp
def _betainc_x_jvp(primals, tangents):
    a, b, x = primals
    return _betainc_x(a, b, x), mul(tangents[2], _betainc_density(a, b, x))


def betainc(a, b, x):
    """Regularized incomplete beta I_x(a, b) (scipy's betainc): NaN for a <= 0, b <= 0 or x
    outside [0, 1].  Operands of one float dtype, equal shapes (or scalars).  Differentiable in
    x only, as in JAX."""
    a, b, x = as_operands(a, b, x, op="betainc")
    _check_float("betainc", a, b, x)
    if len({a.dtype, b.dtype, x.dtype}) != 1:
        raise dtype_error("betainc", "needs operands of one dtype", a, b, x)
    shapes = {tuple(v.shape) for v in (a, b, x) if tuple(v.shape) != ()}
    if len(shapes) > 1:
        from ..errors import shape_error
        raise shape_error("betainc", "needs equal shapes (or scalars)", a, b, x)
    shape = shapes.pop() if shapes else ()
    a, b, x = (_broadcast_to(v, shape) for v in (a, b, x))
    return _betainc_x(_no_derivative_through(a, "betainc", "a"),
                      _no_derivative_through(b, "betainc", "b"), x)


def _broadcast_to(v, shape):
    if tuple(v.shape) == tuple(shape):
        return v
    from .shape import broadcast_in_dim
    return broadcast_in_dim(v, shape, ())
