"""fnx.jit's fused reshape maps its index group by group (fnx/compiler/fused.py,
``_reshape_groups``): reshapes that split, merge, regroup or add unit dimensions, alone and
around transposes (the polyphase interleave of conv's input gradient), against numpy."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
from fnx import lax
from fnx.compiler.fused import _reshape_groups


@pytest.mark.parametrize("src,out,want", [
    ((128, 16, 16, 64), (128, 16, 16, 2, 2, 16),
     [(0, 1, 0, 1), (1, 2, 1, 2), (2, 3, 2, 3), (3, 4, 3, 6)]),
    ((2, 3, 4), (4, 3, 2), [(0, 3, 0, 3)]),
    ((6, 4), (2, 3, 2, 2), [(0, 1, 0, 2), (1, 2, 2, 4)]),
    ((2, 0), (0, 5), None),
])
def test_groups(src, out, want):
    assert _reshape_groups(src, out) == want


def _factorizations(n):
    """Some ways of writing n as an ordered product (unit dimensions included)."""
    outs = {(n,), (1, n), (n, 1)}
    for a in range(2, n):
        if n % a == 0:
            outs.add((a, n // a))
            for b in range(2, n // a):
                if (n // a) % b == 0:
                    outs.add((a, b, n // a // b))
    return sorted(outs)


@st.composite
def reshape_chain(draw):
    dims = draw(st.lists(st.sampled_from([1, 2, 3, 4, 6]), min_size=1, max_size=4))
    # a new shape: each dimension refactored on its own, then possibly two neighbours merged
    new = []
    for d in dims:
        new.extend(draw(st.sampled_from(_factorizations(d))))
    if len(new) > 1 and draw(st.booleans()):
        k = draw(st.integers(0, len(new) - 2))
        new[k:k + 2] = [new[k] * new[k + 1]]
    perm = draw(st.permutations(range(len(new))))
    return tuple(dims), tuple(new), tuple(perm)


@settings(deadline=None, max_examples=max(30, settings.default.max_examples))
@given(reshape_chain(), st.integers(0, 2**31 - 1))
def test_jit_reshape_transpose_reshape_matches_numpy(chain, seed):
    shape, new, perm = chain
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    back = tuple(new[p] for p in perm)
    choices = _factorizations(math.prod(back))
    final = choices[np.random.default_rng(seed + 1).integers(len(choices))]

    def f(x):
        y = lax.transpose(lax.reshape(x + 1.0, new), perm)
        return lax.reshape(y, final) * 2.0

    want = (np.transpose((x + 1.0).reshape(new), perm).reshape(final)) * 2.0
    np.testing.assert_array_equal(np.asarray(fnx.jit(f)(x)), want)


def test_phase_interleave():
    """The shape of conv's polyphase interleave: (N, A, B, sh*sw*C) -> (N, A*sh, B*sw, C)."""
    x = np.arange(2 * 3 * 4 * 2 * 2 * 5, dtype=np.float32).reshape(2, 3, 4, 20)

    def f(x):
        y = lax.transpose(lax.reshape(x, (2, 3, 4, 2, 2, 5)), (0, 1, 3, 2, 4, 5))
        return lax.reshape(y, (2, 6, 8, 5))

    want = x.reshape(2, 3, 4, 2, 2, 5).transpose(0, 1, 3, 2, 4, 5).reshape(2, 6, 8, 5)
    np.testing.assert_array_equal(np.asarray(fnx.jit(f)(x)), want)
