"""Concatenates in jit: sums of zero pads that tile an axis (the transpose of split / slice) are
rewritten as a concatenate (fnx/compiler/pad_sums.py), and a loop that computes a concatenate
writes each piece in its own nest (codegen_c._write_concatenate_pieces).  Values against numpy
and eager; the jaxpr / C are checked for the rewrite, so a silent fallback would show."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.compiler.pad_sums import pads_to_concatenate
from fnx.compiler.passes import optimize

RNG = np.random.default_rng(0)


def _prims(jaxpr):
    return [e.primitive.name for e in jaxpr.eqns]


def test_the_gradient_of_split_becomes_one_concatenate():
    x = fnp.asarray(RNG.standard_normal((6, 20)).astype(np.float32))

    def f(x):
        a, b, c, d = fnp.split(x, 4, axis=1)
        return fnp.sum(fnp.sin(a) * fnp.cos(b) + c * d)

    jaxpr = optimize(fnx.make_jaxpr(fnx.grad(f))(x).jaxpr)
    assert "concatenate" in _prims(jaxpr) and "pad" not in _prims(jaxpr)
    got = fnx.jit(fnx.grad(f))(x)
    want = fnx.grad(f)(x)        # eager: the pads and adds, no rewrite
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("pieces, total, expect", [
    ([(0, 3), (3, 5)], 5, True),            # tiles the axis
    ([(0, 2), (3, 5)], 5, False),           # a gap
    ([(0, 3), (2, 5)], 5, False),           # overlap
    ([(2, 5), (0, 2)], 5, True),            # any order
])
def test_only_disjoint_covering_pads_are_rewritten(pieces, total, expect):
    parts = [RNG.standard_normal((3, hi - lo)).astype(np.float32) for lo, hi in pieces]

    def f(*xs):
        out = None
        for x, (lo, hi) in zip(xs, pieces):
            p = lax.pad(x, 0.0, ((0, 0, 0), (lo, total - hi, 0)))
            out = p if out is None else out + p
        return out

    jaxpr = fnx.make_jaxpr(f)(*parts).jaxpr
    rewritten = pads_to_concatenate(jaxpr)
    assert ("concatenate" in _prims(rewritten)) == expect
    want = sum(np.pad(x, ((0, 0), (lo, total - hi))) for x, (lo, hi) in zip(parts, pieces))
    np.testing.assert_allclose(np.asarray(fnx.jit(f)(*parts)), want, rtol=1e-6)


def test_a_concatenate_loop_writes_each_piece_in_its_own_nest():
    xs = [RNG.standard_normal((16, 128)).astype(np.float32) for _ in range(4)]
    f = lambda a, b, c, d: fnp.concatenate([a * b, fnp.exp(c), d - a, b], axis=1)  # noqa: E731
    got = fnx.jit(f)(*xs)
    a, b, c, d = xs
    np.testing.assert_allclose(np.asarray(got), np.concatenate([a * b, np.exp(c), d - a, b], 1),
                               rtol=1e-6)
    src = fnx.jit(f).lower(*xs).compile().as_c()
    assert "> 127 ? 127" not in src           # no clamped index: no piece read out of range
    assert src.count("for (int64_t i1 = 0; i1 < 128; i1++)") >= 4


def test_concatenate_pieces_along_a_leading_axis_and_of_mixed_sizes():
    a = RNG.standard_normal((2, 3, 5)).astype(np.float64)
    b = RNG.standard_normal((4, 3, 5)).astype(np.float64)
    f = lambda a, b: fnp.concatenate([fnp.tanh(a), b * 2.0, a[:1]], axis=0)  # noqa: E731
    np.testing.assert_allclose(np.asarray(fnx.jit(f)(a, b)),
                               np.concatenate([np.tanh(a), b * 2.0, a[:1]], 0), rtol=1e-12)
