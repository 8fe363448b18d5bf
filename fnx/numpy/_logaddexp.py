"""``logaddexp`` / ``logaddexp2``: stable values, and a custom JVP whose derivatives are smooth
where ``x1 == x2`` (the stable formula's max / abs have kinks there that the function has not)."""
from __future__ import annotations

import math

from .. import lax
from ..core import _eager, _trace_state
from ._complex import reject_complex
from ._util import promote, weak_scalar_like as _const


def _log_add_exp_body(x1, x2, exp_fn, log_base):
    """``max + log1p(base**-|x1 - x2|) / log(base)``: no overflow for any finite inputs.

    Its max / abs are kinks the value does not have, so it must not be differentiated
    directly: the derivative rules below give the smooth ones."""
    amax = lax.max(x1, x2)
    delta = lax.sub(x1, x2)
    tail = lax.log1p(exp_fn(lax.neg(lax.abs(delta))))
    if log_base != 1.0:
        tail = lax.div(tail, _const(x1, log_base))
    r = lax.add(amax, tail)
    return lax.select(lax.ne(delta, delta), lax.add(x1, x2), r)


def _log_add_exp_jvp(fn, log_base, primals, tangents):
    """d logaddexp_b(x1, x2) = t1 * w + t2 * (1 - w), w = logistic((x1 - x2) * ln b).

    The weight is the logistic function of the difference (not a select on x1 > x2 as the
    body's max would give), so every derivative order is smooth where x1 == x2: the second
    derivative there is ln(b) / 4, not 0."""
    x1, x2 = primals
    t1, t2 = tangents
    scale = _const(x1, log_base)
    w1 = lax.logistic(lax.mul(lax.sub(x1, x2), scale))
    w2 = lax.logistic(lax.mul(lax.sub(x2, x1), scale))
    return fn(x1, x2), lax.add(lax.mul(t1, w1), lax.mul(t2, w2))


def _make_log_add_exp(exp_fn, log_base):
    from ..interpreters.custom import custom_jvp

    @custom_jvp
    def log_add_exp(x1, x2):
        return _log_add_exp_body(x1, x2, exp_fn, log_base)

    log_add_exp.defjvp(lambda primals, tangents:
                       _log_add_exp_jvp(log_add_exp, log_base, primals, tangents))
    return log_add_exp


_logaddexp_e = _make_log_add_exp(lax.exp, 1.0)
_LN2 = math.log(2)
_logaddexp_2 = _make_log_add_exp(lax.exp2, _LN2)


def logaddexp(x1, x2, /):
    """log(exp(x1) + exp(x2)) computed stably (derivatives smooth where x1 == x2)."""
    x1, x2 = promote("logaddexp", x1, x2, inexact=True)
    reject_complex("logaddexp", x1)
    # no transformation active: the JVP rule is moot, skip custom_jvp's wrapping
    if _eager[0] or _trace_state.eager:
        return _log_add_exp_body(x1, x2, lax.exp, 1.0)
    return _logaddexp_e(x1, x2)


def logaddexp2(x1, x2, /):
    """log2(2**x1 + 2**x2) computed stably (derivatives smooth where x1 == x2)."""
    x1, x2 = promote("logaddexp2", x1, x2, inexact=True)
    reject_complex("logaddexp2", x1)
    if _eager[0] or _trace_state.eager:
        return _log_add_exp_body(x1, x2, lax.exp2, _LN2)
    return _logaddexp_2(x1, x2)
