"""Shared pieces of the fnx.scipy.stats distributions: argument promotion (JAX's
``promote_args_inexact``: one float dtype, integers computing in the default float, broadcast to
one shape) and scipy's conventions for values outside a distribution's domain."""
from __future__ import annotations

import math

from ... import lax
from ... import numpy as fnp
from ...numpy._util import promote

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def promote_args_inexact(name, *args):
    """``args`` as arrays of one inexact dtype and one broadcast shape (ShapeError naming
    ``name`` when they do not broadcast).

    A Python scalar promoted against a strong float64 array comes back from ``promote`` as a
    *weak* float64 array, and weak op Python scalar then falls to float32 (``1.0 / beta``
    would lose half the digits); when the result type is strong, every operand is made strong,
    as JAX's promote_args_inexact does."""
    promoted = promote(name, *args, inexact=True)
    if any(not getattr(a, "weak_type", False) for a in promoted):
        promoted = [lax.convert_element_type(a, a.dtype, weak_type=False)
                    if getattr(a, "weak_type", False) else a for a in promoted]
    return promoted


def nan_where(invalid, value):
    """``value`` with NaN where the parameters are invalid (scipy's answer there)."""
    return fnp.where(invalid, fnp.full_like(value, math.nan), value)


def outside(mask, value, fill):
    """``value`` with ``fill`` where ``mask`` (a value outside the support)."""
    return fnp.where(mask, fnp.full_like(value, fill), value)


def safe(mask, x, stand_in):
    """``x`` where ``mask`` holds, ``stand_in`` elsewhere: feeds a branch that ``where`` drops a
    harmless value, so neither its value nor its gradient can turn into NaN."""
    return fnp.where(mask, x, fnp.full_like(x, stand_in))


def bad_scale(scale):
    return scale <= 0
