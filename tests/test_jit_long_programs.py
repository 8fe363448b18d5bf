"""``fnx.jit`` on long programs (issue 16: "jit breaks on long programs").

A fused expression is as deep as the program is long (an unrolled loop, a Python ``sum()`` of
thousands of arrays, the backward pass of an unrolled RNN).  The compiler walks it with
explicit stacks (no Python recursion), cuts a fused chain into loops of a bounded number of
equations, emits one C function per distinct step (an unrolled loop's repeated steps compile
once), splits long entry points into chunk functions and long programs into several
translation units.  Values are checked against eager fnx, and eager fnx against numpy.
Compile times are recorded by benchmarks/bench_jit_long.py, never asserted here.
"""
from __future__ import annotations

import functools
import re
import sys

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.compiler import executable, memory, passes, schedule
from fnx.compiler.cuda_executable import cuda_executable_for


@pytest.fixture(autouse=True)
def default_recursion_limit():
    """Python's default limit (conftest.py raises it for hypothesis): the compiler must not
    need more, however long the program."""
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(saved)


def to_np(x):
    return np.asarray(x._value) if isinstance(x, fnx.Array) else np.asarray(x)


def _functions(c_source: str) -> dict:
    """name -> number of body lines of every C function in the generated source."""
    out, name, start = {}, None, 0
    lines = c_source.splitlines()
    for k, line in enumerate(lines):
        m = re.match(r"^(?:static |__attribute__\S* )*\w+ \*?(\w+)\(.*\) \{$", line)
        if m:
            name, start = m.group(1), k
        elif line == "}" and name is not None:
            out[name] = k - start - 1
            name = None
    return out


# ---- issue 16: the four reproducers --------------------------------------------------------

def test_issue16_tanh_chain_of_130_steps():
    """~390 fused equations in one loop (was a RecursionError in codegen_c._is_flat)."""
    def chain(x):
        return [x := fnp.tanh(x) * 0.9 + 0.1 for _ in range(130)][-1]

    x = fnp.asarray(np.linspace(-2, 2, 4, dtype=np.float32))
    eager = chain(x)
    expected = to_np(x).astype(np.float64)
    for _ in range(130):
        expected = np.tanh(expected) * 0.9 + 0.1
    np.testing.assert_allclose(to_np(eager), expected, rtol=1e-5)
    np.testing.assert_array_equal(to_np(fnx.jit(chain)(x)), to_np(eager))


def test_issue16_add_chain_of_400_ops():
    def chain(x):
        for _ in range(400):
            x = x + 1.0
        return x

    x = fnp.asarray(np.array([0.0, 1.5, -3.0, 1e3], np.float32))
    eager = chain(x)
    np.testing.assert_array_equal(to_np(eager), to_np(x) + 400)    # exact in float32
    np.testing.assert_array_equal(to_np(fnx.jit(chain)(x)), to_np(eager))


def test_issue16_python_sum_of_5000_arrays():
    def total(x):
        return sum(x * float(i % 7) for i in range(5000))

    xn = np.array([1.0, -2.0, 0.5, 3.0], np.float32)
    x = fnp.asarray(xn)
    eager = total(x)
    # small integers times 0.5-multiples: every partial sum is exact in float32
    np.testing.assert_array_equal(to_np(eager), xn * sum(float(i % 7) for i in range(5000)))
    np.testing.assert_array_equal(to_np(fnx.jit(total)(x)), to_np(eager))


def _rnn_loss(w, x, steps):
    h = fnp.zeros(x.shape[0])
    for _ in range(steps):
        h = fnp.tanh(w @ h + x)
    return h.sum()


def _rnn_grad_numpy(w, x, steps):
    """Backpropagation through time, float64."""
    hs = [np.zeros(x.shape[0])]
    for _ in range(steps):
        hs.append(np.tanh(w @ hs[-1] + x))
    g, dw, dx = np.ones(x.shape[0]), np.zeros_like(w), np.zeros_like(x)
    for t in range(steps, 0, -1):
        d = g * (1 - hs[t] ** 2)
        dw += np.outer(d, hs[t - 1])
        dx += d
        g = w.T @ d
    return dw, dx


def test_issue16_jit_grad_of_a_400_step_rnn():
    rng = np.random.default_rng(0)
    wn = (rng.standard_normal((4, 4)) * 0.3).astype(np.float32)
    xn = rng.standard_normal(4).astype(np.float32)
    grad = fnx.grad(functools.partial(_rnn_loss, steps=400), argnums=(0, 1))
    eager = grad(fnp.asarray(wn), fnp.asarray(xn))
    for got, want in zip(eager, _rnn_grad_numpy(wn.astype(np.float64), xn.astype(np.float64),
                                                400)):
        np.testing.assert_allclose(to_np(got), want, rtol=1e-4, atol=1e-5)
    jitted = fnx.jit(grad)(fnp.asarray(wn), fnp.asarray(xn))
    for got, want in zip(jitted, eager):
        np.testing.assert_allclose(to_np(got), to_np(want), rtol=1e-5, atol=1e-6)


# ---- deep programs through every kind of fused writer --------------------------------------

def _deep(x, steps):
    """6 fused equations a step, one chain: transpose, reshape, rev, sin, mul, add."""
    for _ in range(steps):
        x = fnp.sin(fnp.transpose(x).reshape(x.shape)[:, ::-1]) * 0.9 + 0.05
    return x


def test_issue16_deeply_nested_3000_ops_compile():
    xn = np.linspace(-1, 1, 16, dtype=np.float32).reshape(4, 4)
    jf = fnx.jit(functools.partial(_deep, steps=500))
    got = jf(fnp.asarray(xn))
    expected = xn.astype(np.float64)
    for _ in range(500):
        expected = np.sin(expected.T.reshape(expected.shape)[:, ::-1]) * 0.9 + 0.05
    np.testing.assert_allclose(to_np(got), expected, rtol=1e-5, atol=1e-6)
    eager = _deep(fnp.asarray(xn), 500)
    np.testing.assert_array_equal(to_np(got), to_np(eager))
    # the chain was cut: no generated function computes more than a bounded expression
    c = jf.lower(fnp.asarray(xn)).as_c()
    assert max(_functions(c).values()) <= 2 * schedule.MAX_FUSED_EQNS + 20


def test_issue16_stack_of_many_values():
    """A concatenate of 300 fused operands becomes a tree of concatenates of at most
    MAX_CONCAT_OPERANDS: no loop body selects among hundreds of values in one nested
    conditional expression."""
    def stacked(x):
        return fnp.stack([fnp.sin(x * float(i)) for i in range(300)])

    xn = np.linspace(-1, 1, 5, dtype=np.float32)
    got = fnx.jit(stacked)(fnp.asarray(xn))
    np.testing.assert_allclose(to_np(got), np.sin(np.arange(300.0)[:, None] * xn), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_array_equal(to_np(got), to_np(stacked(fnp.asarray(xn))))
    c = fnx.jit(stacked).lower(fnp.asarray(xn)).as_c()
    assert max(line.count("?") for line in c.splitlines()) <= passes.MAX_CONCAT_OPERANDS
    assert max(_functions(c).values()) <= 2 * schedule.MAX_FUSED_EQNS + 20


def _rotations(x, steps):
    """Index rewriting only (concatenate, slices, rev), fused: each step's index expression
    is built from the previous one's."""
    for _ in range(steps):
        x = fnp.concatenate([x[1:], x[:1]])[::-1]
    return x * 2.0


def test_issue16_index_arithmetic_does_not_nest():
    xn = np.arange(8, dtype=np.float32)
    # a clamp repeats its operand three times: nested, 8 steps were 3**8 copies of the index
    c = fnx.jit(functools.partial(_rotations, steps=8)).lower(fnp.asarray(xn)).as_c()
    assert max(len(line) for line in c.splitlines()) < 300
    for steps in (8, 150):
        expected = xn
        for _ in range(steps):
            expected = np.concatenate([expected[1:], expected[:1]])[::-1]
        jf = fnx.jit(functools.partial(_rotations, steps=steps))
        np.testing.assert_array_equal(to_np(jf(fnp.asarray(xn))), expected * 2)


def test_issue16_cuda_codegen_of_a_long_chain():
    """The CUDA generator shares the fused writers (no GPU needed to generate)."""
    def chain(x):
        for k in range(600):
            x = fnp.sin(x) * 0.5 + 0.25
        return x

    exe = cuda_executable_for(fnx.jit(chain).lower(np.ones(64, np.float32)).jaxpr)
    src = exe.as_cuda()
    assert "__global__" in src and src.count("fnx_s_sin_f32") >= 600


# ---- bounded C functions and units ---------------------------------------------------------

def test_issue16_repeated_steps_are_emitted_once():
    """An unrolled loop's steps have the same C text: one function each, called many times."""
    grad = fnx.grad(functools.partial(_rnn_loss, steps=60))
    w, x = fnp.ones((3, 3)) * 0.1, fnp.ones(3)
    c = fnx.jit(grad).lower(w, x).as_c()
    defined = [n for n in _functions(c) if re.fullmatch(r"k\d+", n)]
    calls = re.findall(r"rc = (k\d+)\(", c)
    assert len(calls) > 300 and len(defined) < 40, (len(calls), len(defined))
    assert set(calls) == set(defined)
    got = fnx.jit(grad)(w, x)
    np.testing.assert_allclose(to_np(got), to_np(grad(w, x)), rtol=1e-5, atol=1e-7)


def test_issue16_long_segments_split_into_chunks_and_units(monkeypatch):
    """Distinct steps: the entry point calls them from chunk functions, and they are spread
    over several translation units (limits made small to see it on a small program)."""
    monkeypatch.setattr(executable, "CALLS_PER_FUNCTION", 3)
    monkeypatch.setattr(executable, "STEPS_PER_UNIT", 4)

    def scans(x):
        for k in range(10):
            x = fnp.cumsum(x * (k + 1.0)) / 64.0
        return x

    xn = np.linspace(0, 1, 8, dtype=np.float32)
    c = fnx.jit(scans).lower(fnp.asarray(xn)).as_c()
    assert c.count("/* generated by fnx.jit */") >= 3          # translation units
    assert "fnx_seg0_part2(" in c
    expected = xn.astype(np.float64)
    for k in range(10):
        expected = np.cumsum(expected * (k + 1.0)) / 64.0
    got = fnx.jit(scans)(fnp.asarray(xn))
    np.testing.assert_allclose(to_np(got), expected, rtol=1e-5)


def test_issue16_arena_plan_of_many_live_buffers():
    """Buffers alive at the same step never share bytes; dead ones are reused (a long
    backward pass keeps thousands of forward values alive)."""
    avals = [fnx.core.ShapedArray((16,), np.dtype(np.float32)) for _ in range(2000)]
    temps = [fnx.core.Var(a) for a in avals]
    first = {id(v): k for k, v in enumerate(temps)}
    # the first half lives to the end (forward values), the second half one step each
    last = {id(v): (4000 if k < 1000 else k + 1) for k, v in enumerate(temps)}
    offsets, size = memory.plan_arena(temps, first, last)
    spans = sorted((first[id(v)], last[id(v)], offsets[id(v)]) for v in temps)
    live = []
    for start, end, off in spans:
        live = [(e, o) for e, o in live if e >= start]
        assert all(o != off for _, o in live)
        live.append((end, off))
    assert size <= (1000 + 2) * 64


# ---- the compile-time benchmark's program (slow) -------------------------------------------

@pytest.mark.slow
def test_issue16_5000_primitive_jit_grad_chain():
    steps = 833      # 6 primitives a step after differentiation

    def f(x):
        return functools.reduce(lambda a, _: fnp.sin(a) * 1.01 + 0.01, range(steps), x).sum()

    x = fnp.asarray(np.linspace(0.1, 0.9, 16, dtype=np.float32))
    assert len(fnx.make_jaxpr(fnx.grad(f))(x).eqns) >= 5000
    eager = fnx.grad(f)(x)
    a, d = to_np(x).astype(np.float64), np.ones(16)
    for _ in range(steps):
        d = d * np.cos(a) * 1.01
        a = np.sin(a) * 1.01 + 0.01
    np.testing.assert_allclose(to_np(eager), d, rtol=2e-3)
    np.testing.assert_array_equal(to_np(fnx.jit(fnx.grad(f))(x)), to_np(eager))
