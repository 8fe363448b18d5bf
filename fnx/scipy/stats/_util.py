"""Shared pieces of the fnx.scipy.stats distributions: argument promotion (JAX's
``promote_args_inexact``: one float dtype, integers computing in the default float, broadcast to
one shape) and scipy's conventions for values outside a distribution's domain."""
from __future__ import annotations

import math

from ... import numpy as fnp
from ...numpy._util import promote

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def promote_args_inexact(name, *args):
    """``args`` as arrays of one inexact dtype and one broadcast shape (ShapeError naming
    ``name`` when they do not broadcast)."""
    return promote(name, *args, inexact=True)


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
