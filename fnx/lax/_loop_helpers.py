"""``fori_loop`` and ``map``: jax.lax's loop conveniences, built on ``scan`` / ``while_loop``
(``fnx/lax/control_flow.py``)."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..core import Array
from ._control_util import _leaf_names, _operand
from .control_flow import _scan, _while_loop, scan


def fori_loop(lower, upper, body_fun, init_val):
    """``for i in range(lower, upper): val = body_fun(i, val)`` (lax.fori_loop).  With Python
    int bounds it is a ``scan`` (reverse-mode differentiable); with traced bounds a
    ``while_loop``."""
    static = isinstance(lower, (int, np.integer)) and isinstance(upper, (int, np.integer))
    if static:
        lower, upper = int(lower), int(upper)

        def step(carry, _):
            i, val = carry
            return (i + 1, body_fun(i, val)), None

        i0 = Array(np.array(lower, np.int32))
        (_, val), _ = _scan(step, (i0, init_val), None, max(upper - lower, 0), False, 1,
                            "fori_loop", _fori_carry_names)
        return val
    from .elementwise import convert_element_type
    lo = convert_element_type(_operand(lower), dtypes.int32)
    hi = convert_element_type(_operand(upper), dtypes.int32)
    _, val = _while_loop(lambda c: c[0] < hi, lambda c: (c[0] + 1, body_fun(c[0], c[1])),
                         (lo, init_val), "fori_loop", _fori_carry_names)
    return val


def _fori_carry_names(tree):
    """The leaves of fori_loop's internal carry ``(i, val)`` named as the user knows them."""
    index_tree, val_tree = tree.children()
    return ["the loop index"] + _leaf_names(val_tree, "init_val")


def map(f, xs):  # noqa: A001 (lax.map)
    """``stack([f(x) for x in xs])`` as a scan (lax.map): one traced body, a loop at run time."""
    _, ys = scan(lambda _, x: (None, f(x)), None, xs)
    return ys
