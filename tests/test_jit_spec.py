"""jit vs eager for every row of the fnx.lax spec table (tests/spec_lax.py).

Each primitive is run eagerly and through ``fnx.jit`` (traced, optimized, fused into generated
C and compiled) on the same hypothesis-drawn inputs -- NaN/inf, empty and 0-d arrays,
non-contiguous operands included -- and the results must agree: values within the row's
tolerance (reductions may sum in another order), and exactly the same dtype, shape and weak
type.  A second test fuses the primitive with elementwise neighbours (an op before and after),
so the primitive is exercised *inside* a fused loop, not only as a materialized output.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
from fnx import lax

from spec_lax import SPECS, LaxCase
from test_lax_backends import assert_same_arrays

ROWS = [pytest.param(row, id=row.name) for row in SPECS]

# every distinct program is compiled by gcc (~0.1 s): fewer examples than the eager tests
_EXAMPLES = max(2, settings.default.max_examples // 4)


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _apply(row, params):
    def fun(*operands):
        return row.call(row.fn, LaxCase(operands, params))
    return fun


@pytest.mark.parametrize("row", ROWS)
@settings(max_examples=_EXAMPLES)
@given(data=st.data())
def test_jit_matches_eager(row, data):
    case = data.draw(row.strategy(), label="case")
    fun = _apply(row, case.params)
    expected = fun(*case.operands)
    actual = fnx.jit(fun)(*case.operands)
    assert_same_arrays(row, actual, expected, "jit")


def _wiggle(x):
    """An elementwise op that keeps the dtype and is exact (so fusion changes nothing)."""
    if x.dtype == np.bool_:
        return lax.not_(lax.not_(x))
    return lax.max(x, x)


@pytest.mark.parametrize("row", ROWS)
@settings(max_examples=_EXAMPLES)
@given(data=st.data())
def test_jit_fused_with_neighbours(row, data):
    case = data.draw(row.strategy(), label="case")
    inner = _apply(row, case.params)

    def fun(*operands):
        outs = inner(*[_wiggle(o) for o in operands])
        if isinstance(outs, (list, tuple)):
            return [_wiggle(o) for o in outs]
        return _wiggle(outs)

    expected = fun(*case.operands)
    actual = fnx.jit(fun)(*case.operands)
    assert_same_arrays(row, actual, expected, "jit, fused")
