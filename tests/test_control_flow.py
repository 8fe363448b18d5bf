"""Structured control flow (``fnx.lax``): cond / switch, while_loop, fori_loop, scan and map.

Every value is compared with the construct it replaces -- a Python ``if``/``else``, a Python
``while`` / ``for`` loop run eagerly, numpy, a Python loop over the examples for vmap -- and every
derivative with finite differences (``fnx.test_util.check_grads``) or with the derivative of
the same program written with Python control flow (an unrolled loop), never with numbers
written down by hand.

Covered:
* cond / switch: both branches, pytree operands and outputs, closures over outer arrays,
  bool / integer predicates, clamping of switch's index, zero-operand branches, mixed weak
  types, the errors (branch outputs whose types or structures differ, non-scalar
  predicates, non-integer switch indices); check_grads fwd+rev to order 2; jit vs eager (traced predicate); vmap with a
  batched and an unbatched predicate; grad(vmap(cond)) and vmap(grad(cond)).
* while_loop: values vs a Python while (pytree carries, zero trips), the errors (cond_fun not a
  bool scalar, body changing a carry leaf's type or the structure), jvp / jacfwd vs finite
  differences, grad raising AutodiffError that points to scan / fori_loop, vmap with per-lane
  trip counts, jit vs eager.
* fori_loop: static bounds (a scan: grad vs the unrolled loop, empty range), traced bounds
  inside jit (a while_loop).
* scan: carry and stacked ys vs a Python loop, reverse=True, length= with xs=None, pytree
  carries / xs / ys, ys=None, unroll; grad w.r.t. init, xs and closed-over weights vs the
  unrolled loop; check_grads to order 2; jit(grad(scan)); vmap over xs at axes 0 and 1,
  vmap(grad(scan)) per example, grad(vmap(scan)); a tanh RNN and an LSTM vs their unrolled
  versions; map; the errors (leading axes that disagree, a carry that changes type); the jaxpr
  of a scan does not grow with the sequence length.
* compositions: grad w.r.t. each subset of a scan's inputs, jacrev / linearize, nested
  cond-in-scan / while-in-scan / scan-in-while under jvp and vmap.
* jit vs eager over a table of control-flow programs (jit lowers loops to native C), each
  called twice with different inputs.
* regressions for the bugs these tests found: reverse mode through nested control flow,
  batching rules that marked independent outputs as batched (jacfwd / hessian), weak-typed
  initial carries not promoted as in JAX.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.errors import AutodiffError, ShapeError
from fnx.test_util import check_grads, numerical_jvp

F64 = np.float64
F32 = np.float32


def rng(seed=0):
    return np.random.default_rng(seed)


def arr(x, dtype=F64):
    return fnp.asarray(np.asarray(x, dtype))


def randn(r, *shape, dtype=F64, scale=1.0):
    return fnp.asarray((r.standard_normal(shape) * scale).astype(dtype))


def to_np(tree):
    return fnx.tree.map(lambda x: np.asarray(x.to_numpy() if hasattr(x, "to_numpy") else x),
                        tree)


def assert_close(actual, expected, rtol=1e-10, atol=1e-12):
    a_leaves, a_tree = fnx.tree.flatten(to_np(actual))
    e_leaves, e_tree = fnx.tree.flatten(to_np(expected))
    assert a_tree == e_tree, f"structures differ: {a_tree} vs {e_tree}"
    for a, e in zip(a_leaves, e_leaves):
        assert a.shape == e.shape, (a.shape, e.shape)
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


def assert_same_types(actual, expected):
    a_leaves, a_tree = fnx.tree.flatten(actual)
    e_leaves, e_tree = fnx.tree.flatten(expected)
    assert a_tree == e_tree
    for a, e in zip(a_leaves, e_leaves):
        assert (tuple(a.shape), np.dtype(a.dtype)) == (tuple(e.shape), np.dtype(e.dtype))


def loop_vmap(f, args, in_axes):
    """vmap's reference: run ``f`` eagerly on each example (numpy slices) and stack at 0."""
    sizes = {np.shape(to_np(a))[ax] for a, ax in zip(args, in_axes) if ax is not None}
    (n,) = sizes
    outs = []
    for i in range(n):
        ex = [a if ax is None else fnp.asarray(np.take(to_np(a), i, axis=ax))
              for a, ax in zip(args, in_axes)]
        outs.append(to_np(f(*ex)))
    return fnx.tree.map(lambda *xs: np.stack(xs), *outs)


# =============================================================================================
# cond / switch
# =============================================================================================

def _true_fun(x, y):
    return fnp.sin(x) * y


def _false_fun(x, y):
    return fnp.cos(x) + 2.0 * y


def _py_cond(pred, x, y):
    return _true_fun(x, y) if pred else _false_fun(x, y)


@pytest.mark.parametrize("pred", [True, False, 1, 0, 7, -2, np.int32(0), np.bool_(True)])
def test_cond_values_match_python_if(pred):
    r = rng(1)
    x, y = randn(r, 4), randn(r, 4)
    out = lax.cond(pred, _true_fun, _false_fun, x, y)
    xn, yn = to_np(x), to_np(y)
    expected = np.sin(xn) * yn if pred else np.cos(xn) + 2.0 * yn
    assert_close(out, expected)
    assert out.dtype == np.float64


@pytest.mark.parametrize("pred", [arr(True, bool), arr(False, bool), arr(3, np.int32),
                                  arr(0, np.int64), arr(-1, np.int32)])
def test_cond_array_predicates(pred):
    x, y = randn(rng(2), 3), randn(rng(3), 3)
    out = lax.cond(pred, _true_fun, _false_fun, x, y)
    assert_close(out, _py_cond(bool(to_np(pred)), x, y))


def test_cond_pytree_operands_and_outputs():
    r = rng(4)
    params = {"w": randn(r, 3, 2), "b": randn(r, 2)}
    xs = (randn(r, 5, 3), [randn(r, 2)])

    def branch_a(p, xs):
        h = xs[0] @ p["w"] + p["b"]
        return {"h": h, "s": (fnp.sum(h), xs[1][0] * 2.0)}

    def branch_b(p, xs):
        h = fnp.tanh(xs[0]) @ p["w"] - p["b"]
        return {"h": h, "s": (fnp.max(h), xs[1][0] - p["b"])}

    for pred in (True, False):
        out = lax.cond(pred, branch_a, branch_b, params, xs)
        expected = branch_a(params, xs) if pred else branch_b(params, xs)
        assert_close(out, expected)
        assert_same_types(out, expected)


def test_cond_closure_over_outer_arrays():
    r = rng(5)
    w1, w2, x = randn(r, 3, 3), randn(r, 3), randn(r, 3)
    # each branch closes over different outer arrays (and one uses none of the operands)
    for pred in (True, False):
        out = lax.cond(pred, lambda x: w1 @ x, lambda x: w2 * 3.0, x)
        assert_close(out, (w1 @ x) if pred else w2 * 3.0)


def test_cond_without_operands_and_constant_branches():
    assert float(lax.cond(True, lambda: 1.5, lambda: 2.5)) == 1.5
    assert float(lax.cond(False, lambda: 1.5, lambda: 2.5)) == 2.5
    c = arr([1.0, 2.0])
    assert_close(lax.cond(False, lambda: c * 2, lambda: c - 1), to_np(c) - 1)


def test_cond_mixed_weak_types_promote_like_jax():
    x = arr([1.0, 2.0], F32)
    # a branch returning a Python scalar (weak) and one returning a strong f32 scalar
    out = lax.cond(True, lambda x: 1.0, lambda x: fnp.sum(x), x)
    assert float(out) == 1.0 and out.dtype == np.float32
    out = lax.cond(False, lambda x: 1.0, lambda x: fnp.sum(x), x)
    assert float(out) == 3.0


@pytest.mark.parametrize("index", list(range(-4, 7)))
def test_switch_values_and_clamping(index):
    r = rng(6)
    x = randn(r, 4)
    branches = [lambda x: x + 1.0, lambda x: fnp.sin(x), lambda x: x * x, lambda x: -x]
    out = lax.switch(index, branches, x)
    expected = branches[int(np.clip(index, 0, len(branches) - 1))](x)
    assert_close(out, expected)


def test_switch_traced_index_is_clamped_under_jit():
    x = randn(rng(7), 3)
    branches = [lambda x: x + 1.0, lambda x: x * 3.0, lambda x: fnp.exp(x)]
    f = fnx.jit(lambda i, x: lax.switch(i, branches, x))
    for i in range(-2, 5):
        assert_close(f(arr(i, np.int32), x), branches[int(np.clip(i, 0, 2))](x))


def test_switch_single_branch_and_multiple_operands():
    x, y = arr([1.0, 2.0]), arr(3.0)
    out = lax.switch(3, [lambda a, b: (a * b, b)], x, y)
    assert_close(out, (to_np(x) * 3.0, np.float64(3.0)))


def test_cond_mismatched_output_dtypes_name_the_output_and_both_types():
    x = arr([1.0, 2.0, 3.0], F32)
    with pytest.raises(TypeError) as e:
        lax.cond(True, lambda x: {"a": x, "b": x}, lambda x: {"a": x, "b": x.astype("int32")}, x)
    msg = str(e.value)
    assert "b" in msg and "f32[3]" in msg and "i32[3]" in msg, msg


def test_cond_mismatched_output_shapes_name_the_output_and_both_types():
    x = arr([1.0, 2.0, 3.0], F32)
    with pytest.raises(TypeError) as e:
        lax.cond(False, lambda x: (x, x), lambda x: (x, fnp.sum(x)), x)
    msg = str(e.value)
    assert "[1]" in msg and "f32[3]" in msg and "f32[]" in msg, msg


def test_switch_mismatched_types_in_a_later_branch():
    x = arr([1.0, 2.0], F32)
    with pytest.raises(TypeError, match=r"f64\[2\]"):
        lax.switch(0, [lambda x: x, lambda x: x * 2, lambda x: x.astype("float64")], x)


@pytest.mark.parametrize("other", [lambda x: (x, x), lambda x: [x], lambda x: {"a": x},
                                   lambda x: None])
def test_cond_mismatched_structures_raise_type_error(other):
    x = arr([1.0, 2.0])
    with pytest.raises(TypeError):
        lax.cond(True, lambda x: x, other, x)


@pytest.mark.parametrize("pred", [arr([True, False], bool), arr([1, 0], np.int32)])
def test_cond_non_scalar_predicates_raise_type_error(pred):
    with pytest.raises(TypeError):
        lax.cond(pred, lambda x: x, lambda x: -x, arr(1.0))


def test_switch_bad_index_raises_type_error():
    with pytest.raises(TypeError):
        lax.switch(arr(1.0), [lambda x: x, lambda x: -x], arr(1.0))
    with pytest.raises(TypeError):
        lax.switch(arr([0, 1], np.int32), [lambda x: x, lambda x: -x], arr(1.0))


@pytest.mark.parametrize("pred", [True, False])
def test_cond_check_grads(pred):
    r = rng(8)
    w = randn(r, 3)

    def f(x, y):
        return lax.cond(pred, lambda x, y: fnp.sin(x) * y + w, lambda x, y: fnp.exp(x) - y * y,
                        x, y)
    check_grads(f, (randn(r, 3), randn(r, 3)), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("pred", [True, False])
def test_cond_grad_and_jvp_match_python_if(pred):
    r = rng(9)
    x, y = randn(r, 3), randn(r, 3)

    def loss_cond(x, y):
        return fnp.sum(lax.cond(pred, _true_fun, _false_fun, x, y) ** 2)

    def loss_py(x, y):
        return fnp.sum(_py_cond(pred, x, y) ** 2)

    assert_close(fnx.grad(loss_cond, argnums=(0, 1))(x, y),
                 fnx.grad(loss_py, argnums=(0, 1))(x, y))
    tx, ty = randn(r, 3), randn(r, 3)
    assert_close(fnx.jvp(loss_cond, (x, y), (tx, ty)), fnx.jvp(loss_py, (x, y), (tx, ty)))


def test_cond_grad_with_traced_predicate_and_closure():
    # the predicate depends on the differentiated input; the derivative is the taken branch's
    r = rng(10)
    w = randn(r, 3)

    def f(x):
        return lax.cond(fnp.sum(x) > 0, lambda x: fnp.sum(w * x ** 2), lambda x: fnp.sum(x * 3.0),
                        x)

    for x in (arr([1.0, 2.0, 3.0]), arr([-1.0, -2.0, 0.5])):
        check_grads(f, (x,), order=2)
        branch = (lambda x: fnp.sum(w * x ** 2)) if float(fnp.sum(x)) > 0 else \
            (lambda x: fnp.sum(x * 3.0))
        assert_close(fnx.grad(f)(x), fnx.grad(branch)(x))


def test_cond_grad_of_branch_ignoring_operand_is_zero():
    x = arr([1.0, 2.0])

    def f(p, x):
        return fnp.sum(lax.cond(p, lambda x: x * x, lambda x: fnp.ones(2, dtype="float64"), x))
    assert_close(fnx.grad(f, argnums=1)(False, x), np.zeros(2))
    assert_close(fnx.grad(f, argnums=1)(True, x), 2 * to_np(x))


def test_jit_cond_matches_eager():
    r = rng(11)
    x, y = randn(r, 4), randn(r, 4)
    f = lambda p, x, y: lax.cond(p, _true_fun, _false_fun, x, y)  # noqa: E731
    jf = fnx.jit(f)
    for p in (True, False):
        pa = arr(p, bool)
        assert_close(jf(pa, x, y), f(pa, x, y))
        assert_close(jf(pa, x, y), _py_cond(p, x, y))


def test_jit_grad_cond_matches_eager():
    r = rng(12)
    x, y = randn(r, 4), randn(r, 4)
    loss = lambda p, x, y: fnp.sum(lax.cond(p, _true_fun, _false_fun, x, y) ** 2)  # noqa: E731
    g = fnx.jit(fnx.grad(loss, argnums=(1, 2)))
    for p in (True, False):
        assert_close(g(arr(p, bool), x, y), fnx.grad(loss, argnums=(1, 2))(arr(p, bool), x, y))


def test_vmap_cond_batched_predicate_matches_loop():
    r = rng(13)
    preds = arr([True, False, False, True, True], bool)
    x, y = randn(r, 5, 3), randn(r, 5, 3)
    f = lambda p, x, y: lax.cond(p, _true_fun, _false_fun, x, y)  # noqa: E731
    assert_close(fnx.vmap(f)(preds, x, y), loop_vmap(f, (preds, x, y), (0, 0, 0)))
    # integer predicates, batched; y unbatched
    ip = arr([0, 3, -1, 0], np.int32)
    x4 = randn(r, 4, 3)
    y1 = randn(r, 3)
    assert_close(fnx.vmap(f, in_axes=(0, 0, None))(ip, x4, y1),
                 loop_vmap(f, (ip, x4, y1), (0, 0, None)))


def test_vmap_cond_batched_predicate_from_data():
    # the predicate is computed from the batched operand inside the mapped function
    x = randn(rng(14), 6, 3)

    def f(x):
        return lax.cond(fnp.sum(x) > 0, lambda x: (x * 2.0, fnp.sum(x)),
                        lambda x: (fnp.sin(x), fnp.max(x)), x)
    assert_close(fnx.vmap(f)(x), loop_vmap(f, (x,), (0,)))


def test_vmap_cond_unbatched_predicate():
    r = rng(15)
    x, y = randn(r, 5, 3), randn(r, 3)
    for p in (True, False):
        f = lambda x, y: lax.cond(p, _true_fun, _false_fun, x, y)  # noqa: E731
        assert_close(fnx.vmap(f, in_axes=(0, None))(x, y), loop_vmap(f, (x, y), (0, None)))
        g = lambda p, x, y: lax.cond(p, _true_fun, _false_fun, x, y)  # noqa: E731
        pa = arr(p, bool)
        assert_close(fnx.vmap(g, in_axes=(None, 0, None))(pa, x, y),
                     loop_vmap(g, (pa, x, y), (None, 0, None)))


def test_vmap_switch_batched_index():
    x = randn(rng(16), 7, 2)
    idx = arr([0, 1, 2, 5, -3, 1, 2], np.int32)
    branches = [lambda x: x + 1.0, lambda x: fnp.sin(x), lambda x: x * x]
    f = lambda i, x: lax.switch(i, branches, x)  # noqa: E731
    assert_close(fnx.vmap(f)(idx, x), loop_vmap(f, (idx, x), (0, 0)))


def test_grad_of_vmap_cond():
    r = rng(17)
    preds = arr([True, False, True], bool)
    x, y = randn(r, 3, 4), randn(r, 4)
    f = lambda p, x, y: lax.cond(p, _true_fun, _false_fun, x, y)  # noqa: E731

    def loss(x, y):
        return fnp.sum(fnx.vmap(f, in_axes=(0, 0, None))(preds, x, y) ** 2)

    def loss_loop(x, y):
        return sum(fnp.sum(_py_cond(bool(to_np(preds)[i]), x[i], y) ** 2) for i in range(3))

    assert_close(fnx.grad(loss, argnums=(0, 1))(x, y), fnx.grad(loss_loop, argnums=(0, 1))(x, y))
    check_grads(loss, (x, y), order=1)


def test_vmap_of_grad_cond():
    r = rng(18)
    preds = arr([True, False, False, True], bool)
    x, y = randn(r, 4, 3), randn(r, 3)
    g = fnx.grad(lambda p, x, y: fnp.sum(lax.cond(p, _true_fun, _false_fun, x, y) ** 2),
                 argnums=(1, 2))
    gp = fnx.grad(lambda p, x, y: fnp.sum(_py_cond(p, x, y) ** 2), argnums=(1, 2))
    out = fnx.vmap(g, in_axes=(0, 0, None))(preds, x, y)
    expected = [gp(bool(to_np(preds)[i]), x[i], y) for i in range(4)]
    expected = fnx.tree.map(lambda *xs: np.stack([to_np(v) for v in xs]), *expected)
    assert_close(out, expected)


def test_cond_inside_jit_with_vmap_and_grad():
    r = rng(19)
    preds = arr([True, False], bool)
    x = randn(r, 2, 3)
    f = lambda p, x: fnp.sum(lax.cond(p, fnp.sin, fnp.cos, x))  # noqa: E731
    jg = fnx.jit(fnx.vmap(fnx.grad(f, argnums=1)))
    expected = np.stack([np.cos(to_np(x)[0]), -np.sin(to_np(x)[1])])
    assert_close(jg(preds, x), expected)


# =============================================================================================
# while_loop
# =============================================================================================

def _collatz_steps(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


@pytest.mark.parametrize("n", [1, 6, 7, 27])
def test_while_loop_integer_values_match_python(n):
    def body(c):
        n, steps = c
        n = lax.cond(n % 2 == 0, lambda n: n // 2, lambda n: 3 * n + 1, n)
        return n, steps + 1

    n_out, steps = lax.while_loop(lambda c: c[0] != 1, body, (arr(n, np.int32), arr(0, np.int32)))
    assert int(n_out) == 1 and int(steps) == _collatz_steps(n)


def test_while_loop_float_pytree_carry_matches_python():
    a = to_np(arr([2.0, 10.0, 0.5]))

    # Newton's iteration for sqrt(a), with a step counter and a history dict
    def body(c):
        x = c["x"]
        return {"i": c["i"] + 1, "x": 0.5 * (x + c["a"] / x), "a": c["a"]}

    def cond(c):
        return (c["i"] < 20) & (fnp.max(fnp.abs(c["x"] * c["x"] - c["a"])) > 1e-12)

    out = lax.while_loop(cond, body, {"i": arr(0, np.int32), "x": arr(a), "a": arr(a)})
    i, x = 0, a.copy()
    while i < 20 and np.max(np.abs(x * x - a)) > 1e-12:
        x, i = 0.5 * (x + a / x), i + 1
    assert int(out["i"]) == i
    assert_close(out["x"], x)
    assert_close(out["x"], np.sqrt(a), rtol=1e-12)


def test_while_loop_zero_iterations_returns_init():
    x = arr([1.0, 2.0])
    out = lax.while_loop(lambda c: c[0] > 5, lambda c: (c[0] + 1, c[1] * 2.0), (0, x))
    assert int(out[0]) == 0
    assert_close(out[1], to_np(x))


def test_while_loop_closure_over_outer_arrays():
    w, limit = arr([0.5, 1.5]), arr(10.0)

    out = lax.while_loop(lambda x: fnp.sum(x) < limit, lambda x: x + w, arr([0.0, 0.0]))
    x = np.zeros(2)
    while x.sum() < 10.0:
        x = x + to_np(w)
    assert_close(out, x)


@pytest.mark.parametrize("bad_cond", [
    lambda c: c * 1.0,                        # a float
    lambda c: c,                              # an int32 scalar (not a bool)
    lambda c: fnp.stack([c > 0, c > 1]),      # not a scalar
    lambda c: (c > 0, c > 1),                 # not a single value
])
def test_while_loop_cond_must_return_a_bool_scalar(bad_cond):
    with pytest.raises(TypeError, match="bool"):
        lax.while_loop(bad_cond, lambda c: c - 1, arr(3, np.int32))


def test_while_loop_body_changing_a_carry_type_names_the_leaf():
    init = {"n": arr(0, np.int32), "x": arr([1.0, 2.0], F32)}
    with pytest.raises(TypeError) as e:
        lax.while_loop(lambda c: c["n"] < 3,
                       lambda c: {"n": c["n"] + 1, "x": c["x"].astype("float64")}, init)
    msg = str(e.value)
    assert "x" in msg and "f32[2]" in msg and "f64[2]" in msg, msg
    with pytest.raises(TypeError) as e:
        lax.while_loop(lambda c: c["n"] < 3,
                       lambda c: {"n": c["n"] + 1, "x": fnp.sum(c["x"])}, init)
    msg = str(e.value)
    assert "x" in msg and "f32[2]" in msg and "f32[]" in msg, msg


def test_while_loop_body_changing_the_structure_raises_type_error():
    with pytest.raises(TypeError):
        lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1], c[1]), (0, arr(1.0)))
    with pytest.raises(TypeError):
        lax.while_loop(lambda c: c[0] < 3, lambda c: [c[0] + 1, c[1]], (0, arr(1.0)))


def _power_loop(x, a):
    """x <- x * a + sin(x) while the counter < 5: a fixed trip count independent of x."""
    def body(c):
        i, x = c
        return i + 1, x * a + fnp.sin(x)
    return lax.while_loop(lambda c: c[0] < 5, body, (0, x))[1]


def _power_py(x, a):
    for _ in range(5):
        x = x * a + fnp.sin(x)
    return x


def test_while_loop_jvp_check_grads_forward():
    r = rng(20)
    check_grads(_power_loop, (randn(r, 3, scale=0.3), randn(r, 3, scale=0.5)), order=2,
                modes=("fwd",))


def test_while_loop_jvp_matches_python_loop():
    r = rng(21)
    x, a = randn(r, 3, scale=0.3), randn(r, 3, scale=0.5)
    tx, ta = randn(r, 3), randn(r, 3)
    assert_close(fnx.jvp(_power_loop, (x, a), (tx, ta)), fnx.jvp(_power_py, (x, a), (tx, ta)))


def test_while_loop_jacfwd_vs_finite_differences():
    r = rng(22)
    x, a = randn(r, 3, scale=0.3), randn(r, 3, scale=0.5)
    jac = to_np(fnx.jacfwd(_power_loop)(x, a))
    cols = [numerical_jvp(lambda x: _power_loop(x, a), (x,), (arr(np.eye(3)[j]),))
            for j in range(3)]
    np.testing.assert_allclose(jac, np.stack(cols, axis=-1), rtol=1e-6, atol=1e-8)


def test_while_loop_jvp_data_dependent_trip_count():
    # the number of iterations depends on x; the derivative is that of the iterations taken
    def f(x):
        return lax.while_loop(lambda v: fnp.sum(v) < 10.0, lambda v: v * 1.5 + 0.1, x)

    def f_py(x):
        while float(fnp.sum(x)) < 10.0:
            x = x * 1.5 + 0.1
        return x

    x = arr([0.3, 0.7])
    t = arr([1.0, -0.5])
    assert_close(fnx.jvp(f, (x,), (t,)), fnx.jvp(f_py, (x,), (t,)))


def test_while_loop_grad_raises_autodiff_error_pointing_to_scan():
    with pytest.raises(AutodiffError) as e:
        fnx.grad(lambda x: fnp.sum(_power_loop(x, arr([1.0, 2.0]))))(arr([0.1, 0.2]))
    msg = str(e.value)
    assert "scan" in msg and "fori_loop" in msg, msg
    with pytest.raises(AutodiffError):
        fnx.vjp(lambda x: _power_loop(x, arr([1.0])), arr([0.1]))


def test_grad_through_while_loop_on_non_differentiated_values():
    # a while_loop that only touches values which do not depend on the differentiated input
    # (here, a trip count computed from an integer) does not block reverse mode
    def f(x):
        n = lax.while_loop(lambda n: n * n < 50, lambda n: n + 1, arr(0, np.int32))
        return fnp.sum(x * x) * n.astype("float64")
    x = arr([1.0, -2.0])
    assert_close(fnx.grad(f)(x), 2 * to_np(x) * 8)


def test_vmap_while_loop_batched_predicate_per_lane_trip_counts():
    # each lane doubles its value until it exceeds its own limit: different trip counts
    def f(x, limit):
        def body(c):
            i, x = c
            return i + 1, x * 2.0
        return lax.while_loop(lambda c: c[1] < limit, body, (0, x))

    x = arr([1.0, 0.1, 3.0, 100.0, 0.01])
    lim = arr([10.0, 10.0, 5.0, 1.0, 1000.0])
    out = fnx.vmap(f)(x, lim)
    expected = loop_vmap(f, (x, lim), (0, 0))
    assert_close(out, expected)
    assert list(to_np(out[0])) == [4, 7, 1, 0, 17]
    # the limit unbatched, the carry batched
    assert_close(fnx.vmap(f, in_axes=(0, None))(x, arr(8.0)),
                 loop_vmap(f, (x, arr(8.0)), (0, None)))


def test_vmap_while_loop_unbatched_predicate_batched_carry():
    def f(x):
        return lax.while_loop(lambda c: c[0] < 4, lambda c: (c[0] + 1, fnp.sin(c[1]) + 1.0),
                              (0, x))
    x = randn(rng(23), 5, 2)
    assert_close(fnx.vmap(f)(x), loop_vmap(f, (x,), (0,)))


def test_vmap_of_jvp_of_while_loop():
    r = rng(24)
    x, a = randn(r, 4, 3, scale=0.3), randn(r, 3, scale=0.5)
    t = randn(r, 4, 3)
    f = lambda x, t: fnx.jvp(lambda x: _power_loop(x, a), (x,), (t,))  # noqa: E731
    assert_close(fnx.vmap(f)(x, t), loop_vmap(f, (x, t), (0, 0)))


def test_jit_while_loop_matches_eager():
    def f(x, limit):
        return lax.while_loop(lambda c: c[1] < limit, lambda c: (c[0] + 1, c[1] * 1.7 + 0.2),
                              (arr(0, np.int32), x))
    jf = fnx.jit(f)
    for x0, lim in ((0.5, 100.0), (3.0, 2.0), (0.01, 1e6)):
        x, l_ = arr(x0), arr(lim)
        assert_close(jf(x, l_), f(x, l_))
        i, v = 0, x0
        while v < lim:
            i, v = i + 1, v * 1.7 + 0.2
        assert int(jf(x, l_)[0]) == i


def test_jit_jacfwd_while_loop_matches_eager():
    r = rng(25)
    x, a = randn(r, 3, scale=0.3), randn(r, 3, scale=0.5)
    assert_close(fnx.jit(fnx.jacfwd(_power_loop))(x, a), fnx.jacfwd(_power_py)(x, a))


# =============================================================================================
# fori_loop
# =============================================================================================

def _fori_body(i, c):
    x, acc = c
    x = fnp.tanh(x * 1.3 + fnp.asarray(i).astype(x.dtype) * 0.1)   # i: an int32 or a Python int
    return x, acc + fnp.sum(x * x)


def _fori_py(lower, upper, x):
    acc = arr(0.0)
    for i in range(lower, upper):
        x, acc = _fori_body(i, (x, acc))
    return x, acc


@pytest.mark.parametrize("lower,upper", [(0, 5), (2, 6), (3, 3), (5, 2)])
def test_fori_loop_static_bounds_values(lower, upper):
    x = randn(rng(26), 3)
    out = lax.fori_loop(lower, upper, _fori_body, (x, arr(0.0)))
    assert_close(out, _fori_py(lower, upper, x))


def test_fori_loop_static_bounds_grad_matches_unrolled():
    x = randn(rng(27), 3)

    def loss(x):
        x_out, acc = lax.fori_loop(1, 6, _fori_body, (x, arr(0.0)))
        return fnp.sum(x_out) + acc

    def loss_py(x):
        x_out, acc = _fori_py(1, 6, x)
        return fnp.sum(x_out) + acc

    assert_close(fnx.grad(loss)(x), fnx.grad(loss_py)(x))
    check_grads(loss, (x,), order=1)


def test_fori_loop_traced_bounds_under_jit():
    x = randn(rng(28), 3)

    @fnx.jit
    def f(lo, hi, x):
        return lax.fori_loop(lo, hi, _fori_body, (x, arr(0.0)))

    for lo, hi in ((0, 4), (2, 7), (3, 3), (6, 1)):
        assert_close(f(arr(lo, np.int32), arr(hi, np.int32), x), _fori_py(lo, hi, x))


def test_fori_loop_traced_bounds_jvp():
    x, t = randn(rng(29), 3), randn(rng(30), 3)

    def f(x):
        return lax.fori_loop(arr(1, np.int32), arr(4, np.int32), _fori_body, (x, arr(0.0)))
    assert_close(fnx.jvp(f, (x,), (t,)), fnx.jvp(lambda x: _fori_py(1, 4, x), (x,), (t,)))


def test_fori_loop_numpy_int_bounds_are_static():
    # numpy integers count as static: reverse mode works
    x = randn(rng(31), 3)
    g = fnx.grad(lambda x: lax.fori_loop(np.int64(0), np.int32(3), _fori_body,
                                         (x, arr(0.0)))[1])(x)
    assert_close(g, fnx.grad(lambda x: _fori_py(0, 3, x)[1])(x))


# =============================================================================================
# scan
# =============================================================================================

def _step(c, x):
    """A carry of two leaves, a y of two leaves."""
    h, s = c
    h = fnp.tanh(h * 0.9 + x)
    return (h, s + fnp.sum(h)), (h * 2.0, fnp.sum(h * x))


def _scan_py(f, init, xs, reverse=False):
    """The reference: a Python loop over the leading axis, ys stacked (in order of t)."""
    leaves, tree = fnx.tree.flatten(xs)
    n = leaves[0].shape[0] if leaves else 0
    order = range(n - 1, -1, -1) if reverse else range(n)
    carry, ys = init, [None] * n
    for t in order:
        carry, ys[t] = f(carry, fnx.tree.unflatten(tree, [x[t] for x in leaves]))
    if n and fnx.tree.leaves(ys[0]):
        ys = fnx.tree.map(lambda *v: fnp.stack(list(v)), *ys)
    else:
        ys = ys[0] if n else None
    return carry, ys


def test_scan_matches_python_loop():
    r = rng(32)
    xs = randn(r, 7, 3)
    init = (randn(r, 3), arr(0.0))
    out = lax.scan(_step, init, xs)
    assert_close(out, _scan_py(_step, init, xs))
    # against numpy as well
    h, s, hs, dots = to_np(init[0]), 0.0, [], []
    for x in to_np(xs):
        h = np.tanh(h * 0.9 + x)
        s += h.sum()
        hs.append(h * 2.0)
        dots.append(np.sum(h * x))
    assert_close(out, ((h, np.float64(s)), (np.stack(hs), np.array(dots))))


def test_scan_reverse_matches_python_loop():
    r = rng(33)
    xs = randn(r, 6, 2)
    init = (randn(r, 2), arr(0.0))
    out = lax.scan(_step, init, xs, reverse=True)
    assert_close(out, _scan_py(_step, init, xs, reverse=True))
    # reverse=True is the forward scan of the reversed xs with the ys reversed back
    fwd = lax.scan(_step, init, xs[::-1])
    assert_close(out, (fwd[0], fnx.tree.map(lambda y: y[::-1], fwd[1])))


def test_scan_length_without_xs():
    def f(c, _):
        a, b = c
        return (b, a + b), a
    (a, b), ys = lax.scan(f, (arr(0, np.int64), arr(1, np.int64)), None, length=10)
    fib = [0, 1]
    for _ in range(10):
        fib.append(fib[-1] + fib[-2])
    assert list(to_np(ys)) == fib[:10] and int(a) == fib[10]


def test_scan_length_agrees_with_xs():
    xs = arr(np.arange(4.0))
    out = lax.scan(lambda c, x: (c + x, c), arr(0.0), xs, length=4)
    assert_close(out, _scan_py(lambda c, x: (c + x, c), arr(0.0), xs))


def test_scan_pytree_carry_and_xs():
    r = rng(34)
    xs = {"u": randn(r, 5, 2), "v": (randn(r, 5), randn(r, 5, 2, 2))}
    init = {"a": randn(r, 2), "n": arr(0, np.int32), "m": [randn(r, 2, 2)]}

    def f(c, x):
        a = c["a"] * x["v"][0] + x["u"]
        m = c["m"][0] @ x["v"][1]
        return {"a": a, "n": c["n"] + 1, "m": [m / fnp.max(fnp.abs(m))]}, {"s": fnp.sum(a),
                                                                           "m": m}
    out = lax.scan(f, init, xs)
    expected = _scan_py(f, init, xs)
    assert_close(out, expected)
    assert_same_types(out, expected)


def test_scan_ys_none_and_empty_carry():
    xs = randn(rng(35), 4, 3)
    carry, ys = lax.scan(lambda c, x: (c + fnp.sum(x), None), arr(0.0), xs)
    assert ys is None
    assert_close(carry, np.sum(to_np(xs)))
    carry, ys = lax.scan(lambda c, x: (c, x * 2.0), (), xs)
    assert carry == ()
    assert_close(ys, 2 * to_np(xs))


def test_scan_zero_length():
    init = arr([1.0, 2.0])
    carry, ys = lax.scan(lambda c, x: (c * x, c + x), init, fnp.zeros((0, 2)))
    assert_close(carry, to_np(init))
    assert tuple(ys.shape) == (0, 2)


@pytest.mark.parametrize("unroll", [1, 2, 3, 7, 10])
def test_scan_unroll_is_accepted(unroll):
    r = rng(36)
    xs = randn(r, 7, 3)
    init = (randn(r, 3), arr(0.0))
    assert_close(lax.scan(_step, init, xs, unroll=unroll), _scan_py(_step, init, xs))
    g = fnx.grad(lambda i: lax.scan(_step, (i, arr(0.0)), xs, unroll=unroll)[0][1])(init[0])
    assert_close(g, fnx.grad(lambda i: _scan_py(_step, (i, arr(0.0)), xs)[0][1])(init[0]))


def test_scan_weak_python_scalar_carry():
    xs = arr([1.0, 2.0, 3.0], F32)
    carry, ys = lax.scan(lambda c, x: (c + x, c * x), 0.0, xs)
    assert carry.dtype == np.float32
    assert_close(carry, np.float32(6.0))
    assert_close(ys, np.array([0.0, 2.0, 9.0], F32))


def _cell_loss_setup(seed):
    r = rng(seed)
    return randn(r, 3, 3, scale=0.5), randn(r, 3), randn(r, 6, 3)


def _cell(w, b):
    def f(h, x):
        h = fnp.tanh(h @ w + x * b)
        return h, fnp.sum(h * x)
    return f


def test_scan_grad_wrt_init_xs_and_closed_over_weights_matches_unrolled():
    w, h0, xs = _cell_loss_setup(37)
    b = randn(rng(38), 3)

    def loss(w, b, h0, xs):
        h, ys = lax.scan(_cell(w, b), h0, xs)
        return fnp.sum(h ** 2) + fnp.sum(ys)

    def loss_py(w, b, h0, xs):
        h, ys = _scan_py(_cell(w, b), h0, xs)
        return fnp.sum(h ** 2) + fnp.sum(ys)

    args = (w, b, h0, xs)
    assert_close(fnx.value_and_grad(loss, argnums=(0, 1, 2, 3))(*args),
                 fnx.value_and_grad(loss_py, argnums=(0, 1, 2, 3))(*args))


def test_scan_reverse_grad_matches_unrolled():
    w, h0, xs = _cell_loss_setup(39)
    b = randn(rng(40), 3)

    def loss(w, h0, xs, scan):
        h, ys = scan(_cell(w, b), h0, xs)
        return fnp.sum(h ** 2) + fnp.sum(ys * fnp.arange(6.0, dtype="float64"))

    g = fnx.grad(loss, argnums=(0, 1, 2))(w, h0, xs,
                                          lambda f, i, x: lax.scan(f, i, x, reverse=True))
    g_py = fnx.grad(loss, argnums=(0, 1, 2))(w, h0, xs,
                                             lambda f, i, x: _scan_py(f, i, x, reverse=True))
    assert_close(g, g_py)


def test_scan_check_grads_order_2():
    r = rng(41)

    def f(h0, xs, w):
        def step(h, x):
            h = fnp.sin(h * w + x)
            return h, h * x
        return lax.scan(step, h0, xs)
    check_grads(f, (randn(r, 2), randn(r, 3, 2), randn(r, 2)), order=2, modes=("fwd", "rev"))


def test_scan_check_grads_reverse_and_pytree():
    r = rng(42)

    def f(init, xs):
        def step(c, x):
            a, b = c
            return (a * fnp.cos(x["p"]) + b, b * 0.5 + x["q"] ** 2), {"y": a * b}
        return lax.scan(step, init, xs, reverse=True)
    check_grads(f, ((randn(r, 2), randn(r, 2)), {"p": randn(r, 4, 2), "q": randn(r, 4, 2)}),
                order=1)


def test_scan_grad_with_integer_carry_and_float_xs():
    xs = randn(rng(43), 5)

    def f(xs):
        def step(c, x):
            i, s = c
            return (i + 1, s + x * i.astype("float64")), x * s
        (n, s), ys = lax.scan(step, (arr(0, np.int32), arr(0.0)), xs)
        return s + fnp.sum(ys)

    def f_py(xs):
        i, s, tot = 0, arr(0.0), arr(0.0)
        for t in range(5):
            tot = tot + xs[t] * s
            s, i = s + xs[t] * float(i), i + 1
        return s + tot
    assert_close(fnx.grad(f)(xs), fnx.grad(f_py)(xs))
    check_grads(f, (xs,), order=1)


def test_jit_grad_scan_matches_eager():
    w, h0, xs = _cell_loss_setup(44)
    b = randn(rng(45), 3)

    def loss(w, b, h0, xs):
        h, ys = lax.scan(_cell(w, b), h0, xs)
        return fnp.sum(h ** 2) + fnp.mean(ys)

    g = fnx.grad(loss, argnums=(0, 1, 2, 3))
    assert_close(fnx.jit(g)(w, b, h0, xs), g(w, b, h0, xs))
    vg = fnx.value_and_grad(loss)
    assert_close(fnx.jit(vg)(w, b, h0, xs), vg(w, b, h0, xs))


def test_jit_scan_matches_eager():
    r = rng(46)
    xs = randn(r, 7, 3)
    init = (randn(r, 3), arr(0.0))
    f = lambda init, xs: lax.scan(_step, init, xs)  # noqa: E731
    assert_close(fnx.jit(f)(init, xs), f(init, xs))
    assert_close(fnx.jit(lambda i, x: lax.scan(_step, i, x, reverse=True))(init, xs),
                 _scan_py(_step, init, xs, reverse=True))


@pytest.mark.parametrize("axis", [0, 1])
def test_vmap_scan_over_xs(axis):
    r = rng(47)
    w, h0, _ = _cell_loss_setup(48)
    b = randn(r, 3)
    xs = randn(r, 4, 6, 3) if axis == 0 else randn(r, 6, 4, 3)   # batch 4, time 6
    f = lambda h0, xs: lax.scan(_cell(w, b), h0, xs)  # noqa: E731
    out = fnx.vmap(f, in_axes=(None, axis))(h0, xs)
    assert_close(out, loop_vmap(f, (h0, xs), (None, axis)))
    # batched init as well
    h0s = randn(r, 4, 3)
    out = fnx.vmap(f, in_axes=(0, axis))(h0s, xs)
    assert_close(out, loop_vmap(f, (h0s, xs), (0, axis)))


def test_vmap_scan_batched_init_only_and_batched_closure():
    r = rng(49)
    w, _, xs = _cell_loss_setup(50)
    h0s = randn(r, 5, 3)
    bs = randn(r, 5, 3)
    f = lambda h0, b: lax.scan(_cell(w, b), h0, xs)  # noqa: E731
    assert_close(fnx.vmap(f)(h0s, bs), loop_vmap(f, (h0s, bs), (0, 0)))
    assert_close(fnx.vmap(f, in_axes=(0, None))(h0s, bs[0]),
                 loop_vmap(f, (h0s, bs[0]), (0, None)))


def test_vmap_of_grad_scan_per_example_matches_loop():
    r = rng(51)
    w, h0, _ = _cell_loss_setup(52)
    b = randn(r, 3)
    xs = randn(r, 4, 6, 3)

    def loss(w, b, xs):
        h, ys = lax.scan(_cell(w, b), h0, xs)
        return fnp.sum(h ** 2) + fnp.sum(ys)

    def loss_py(w, b, xs):
        h, ys = _scan_py(_cell(w, b), h0, xs)
        return fnp.sum(h ** 2) + fnp.sum(ys)

    per_ex = fnx.vmap(fnx.grad(loss, argnums=(0, 1)), in_axes=(None, None, 0))(w, b, xs)
    expected = [to_np(fnx.grad(loss_py, argnums=(0, 1))(w, b, xs[i])) for i in range(4)]
    assert_close(per_ex, fnx.tree.map(lambda *v: np.stack(v), *expected))
    # the same under jit
    jit_per_ex = fnx.jit(fnx.vmap(fnx.grad(loss, argnums=(0, 1)), in_axes=(None, None, 0)))
    assert_close(jit_per_ex(w, b, xs), per_ex)


def test_grad_of_vmap_scan_matches_loop():
    r = rng(53)
    w, h0, _ = _cell_loss_setup(54)
    b = randn(r, 3)
    xs = randn(r, 6, 4, 3)     # time 6, batch 4 (mapped at axis 1)

    def loss(w, b):
        h, ys = fnx.vmap(lambda x: lax.scan(_cell(w, b), h0, x), in_axes=1)(xs)
        return fnp.sum(h ** 2) + fnp.sum(ys)

    def loss_py(w, b):
        tot = 0.0
        for i in range(4):
            h, ys = _scan_py(_cell(w, b), h0, xs[:, i])
            tot = tot + fnp.sum(h ** 2) + fnp.sum(ys)
        return tot

    assert_close(fnx.value_and_grad(loss, argnums=(0, 1))(w, b),
                 fnx.value_and_grad(loss_py, argnums=(0, 1))(w, b))


# -- models ------------------------------------------------------------------------------------

def _rnn_params(r, n_in, n_h, dtype):
    return {"wx": randn(r, n_in, n_h, dtype=dtype, scale=0.4),
            "wh": randn(r, n_h, n_h, dtype=dtype, scale=0.3),
            "b": randn(r, n_h, dtype=dtype, scale=0.1)}


def _rnn_cell(p, h, x):
    return fnp.tanh(x @ p["wx"] + h @ p["wh"] + p["b"])


@pytest.mark.parametrize("dtype", [F32, F64])
def test_rnn_scan_loss_gradient_matches_unrolled(dtype):
    seq, batch, n_in, n_h = 6, 3, 5, 8
    r = rng(55)
    p = _rnn_params(r, n_in, n_h, dtype)
    xs = randn(r, seq, batch, n_in, dtype=dtype)
    target = randn(r, seq, batch, n_h, dtype=dtype)
    h0 = fnp.zeros((batch, n_h), dtype=dtype)

    def loss(p, xs):
        def step(h, x):
            h = _rnn_cell(p, h, x)
            return h, h
        _, hs = lax.scan(step, h0, xs)
        return fnp.mean((hs - target) ** 2)

    def loss_py(p, xs):
        h, tot = h0, 0.0
        for t in range(seq):
            h = _rnn_cell(p, h, xs[t])
            tot = tot + fnp.sum((h - target[t]) ** 2)
        return tot / (seq * batch * n_h)

    tol = dict(rtol=2e-5, atol=1e-6) if dtype == F32 else dict(rtol=1e-10, atol=1e-12)
    v, g = fnx.value_and_grad(loss, argnums=(0, 1))(p, xs)
    v_py, g_py = fnx.value_and_grad(loss_py, argnums=(0, 1))(p, xs)
    assert_close(v, v_py, **tol)
    assert_close(g, g_py, **tol)
    assert g[0]["wh"].dtype == dtype
    if dtype == F64:
        check_grads(loss, (p, xs), order=1)
    # jitted
    assert_close(fnx.jit(fnx.grad(loss))(p, xs), g[0], **tol)


def _lstm_params(r, n_in, n_h, dtype=F64):
    return {"wi": randn(r, n_in, 4 * n_h, dtype=dtype, scale=1 / np.sqrt(n_in)),
            "wh": randn(r, n_h, 4 * n_h, dtype=dtype, scale=1 / np.sqrt(n_h)),
            "b": randn(r, 4 * n_h, dtype=dtype, scale=0.1)}


def _lstm_cell(p, carry, x):
    h, c = carry
    n = h.shape[-1]
    z = x @ p["wi"] + h @ p["wh"] + p["b"]
    i = lax.logistic(z[..., :n])
    f = lax.logistic(z[..., n:2 * n])
    g = fnp.tanh(z[..., 2 * n:3 * n])
    o = lax.logistic(z[..., 3 * n:])
    c = f * c + i * g
    h = o * fnp.tanh(c)
    return h, c


def test_lstm_scan_gradient_matches_unrolled():
    seq, batch, n_in, n_h = 5, 2, 4, 6
    r = rng(56)
    p = _lstm_params(r, n_in, n_h)
    xs = randn(r, seq, batch, n_in)
    h0, c0 = randn(r, batch, n_h, scale=0.1), randn(r, batch, n_h, scale=0.1)

    def loss(p, xs, carry0):
        def step(carry, x):
            h, c = _lstm_cell(p, carry, x)
            return (h, c), h
        (h, c), hs = lax.scan(step, carry0, xs)
        return fnp.mean(hs ** 2) + fnp.sum(c * 0.1)

    def loss_py(p, xs, carry0):
        carry, hs = carry0, []
        for t in range(seq):
            carry = _lstm_cell(p, carry, xs[t])
            hs.append(carry[0])
        return fnp.mean(fnp.stack(hs) ** 2) + fnp.sum(carry[1] * 0.1)

    args = (p, xs, (h0, c0))
    assert_close(fnx.value_and_grad(loss, argnums=(0, 1, 2))(*args),
                 fnx.value_and_grad(loss_py, argnums=(0, 1, 2))(*args))
    assert_close(fnx.jit(fnx.grad(loss))(*args), fnx.grad(loss_py)(*args))


def test_lstm_logistic_matches_numpy():
    # the reference cell itself, against numpy (so the scan tests above compare like with like)
    r = rng(57)
    p = _lstm_params(r, 3, 2)
    x, h, c = randn(r, 1, 3), randn(r, 1, 2), randn(r, 1, 2)
    hn, cn = _lstm_cell(p, (h, c), x)
    pn = to_np(p)
    z = to_np(x) @ pn["wi"] + to_np(h) @ pn["wh"] + pn["b"]
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    c_ref = sig(z[:, 2:4]) * to_np(c) + sig(z[:, :2]) * np.tanh(z[:, 4:6])
    assert_close((hn, cn), (sig(z[:, 6:]) * np.tanh(c_ref), c_ref))


# -- map -------------------------------------------------------------------------------------

def test_map_matches_list_comprehension():
    r = rng(58)
    xs = randn(r, 5, 3)
    f = lambda x: (fnp.sum(fnp.sin(x)), x * 2.0)  # noqa: E731
    out = lax.map(f, xs)
    expected = [to_np(f(xs[i])) for i in range(5)]
    assert_close(out, fnx.tree.map(lambda *v: np.stack(v), *expected))
    # pytree xs
    ys = {"a": randn(r, 4, 2), "b": randn(r, 4)}
    out = lax.map(lambda d: d["a"] * d["b"], ys)
    assert_close(out, np.stack([to_np(ys["a"])[i] * to_np(ys["b"])[i] for i in range(4)]))


def test_map_grad_and_vmap():
    xs = randn(rng(59), 4, 3)
    g = fnx.grad(lambda xs: fnp.sum(lax.map(lambda x: fnp.sin(x) * fnp.sum(x), xs)))(xs)
    g_ref = fnx.grad(lambda xs: sum(fnp.sum(fnp.sin(xs[i]) * fnp.sum(xs[i]))
                                    for i in range(4)))(xs)
    assert_close(g, g_ref)
    out = fnx.vmap(lambda x: lax.map(fnp.cumsum, x), in_axes=1)(xs)   # (3, 4)
    assert_close(out, loop_vmap(lambda x: lax.map(fnp.cumsum, x), (xs,), (1,)))


# -- errors ------------------------------------------------------------------------------------

def test_scan_xs_with_mismatched_leading_axes():
    with pytest.raises((ShapeError, ValueError)) as e:
        lax.scan(lambda c, x: (c, x), arr(0.0), (fnp.zeros((3, 2)), fnp.zeros((4, 2))))
    assert "(3, 2)" in str(e.value) and "(4, 2)" in str(e.value)
    with pytest.raises((ShapeError, ValueError)):
        lax.scan(lambda c, x: (c, x), arr(0.0), fnp.zeros((3, 2)), length=5)
    with pytest.raises((ShapeError, ValueError)):
        lax.scan(lambda c, x: (c, x), arr(0.0), arr(1.0))      # a scalar has no axis to scan
    with pytest.raises((ShapeError, ValueError, TypeError)):
        lax.scan(lambda c, x: (c, x), arr(0.0), None)          # neither xs nor length


def test_scan_carry_type_change_raises_type_error():
    xs = fnp.zeros((3, 2), dtype="float32")
    with pytest.raises(TypeError) as e:
        lax.scan(lambda c, x: (c.astype("float64"), x), fnp.zeros(2, dtype="float32"), xs)
    assert "f32[2]" in str(e.value) and "f64[2]" in str(e.value)
    with pytest.raises(TypeError) as e:
        lax.scan(lambda c, x: ({"a": fnp.sum(c["a"])}, x), {"a": fnp.zeros(2)}, xs)
    assert "a" in str(e.value) and "f32[2]" in str(e.value) and "f32[]" in str(e.value)
    with pytest.raises(TypeError):
        lax.scan(lambda c, x: ((c, c), x), fnp.zeros(2), xs)       # structure change
    with pytest.raises(TypeError):
        lax.scan(lambda c, x: c, fnp.zeros(2), xs)                 # not a pair


# -- the jaxpr -----------------------------------------------------------------------------------

def _scan_eqns(jaxpr):
    return [e for e in jaxpr.eqns if e.primitive.name == "scan"]


def _count_eqns(jaxpr):
    """Equations of a jaxpr including those of nested jaxprs in parameters."""
    from fnx.core import Jaxpr
    n = 0
    for e in jaxpr.eqns:
        n += 1
        for v in e.params.values():
            for sub in (v if isinstance(v, tuple) else (v,)):
                if isinstance(sub, Jaxpr):
                    n += _count_eqns(sub)
    return n


@pytest.mark.parametrize("transform", ["none", "grad", "vmap"])
def test_make_jaxpr_scan_does_not_grow_with_length(transform):
    w, h0, _ = _cell_loss_setup(60)
    b = randn(rng(61), 3)

    def loss(w, xs):
        h, ys = lax.scan(_cell(w, b), h0, xs)
        return fnp.sum(h) + fnp.sum(ys)
    fn = {"none": loss, "grad": fnx.grad(loss),
          "vmap": fnx.vmap(loss, in_axes=(None, 1))}[transform]
    counts = []
    for length in (4, 32):
        shape = (length, 3) if transform != "vmap" else (length, 2, 3)
        closed = fnx.make_jaxpr(fn)(w, fnp.zeros(shape, dtype="float64"))
        scans = _scan_eqns(closed.jaxpr)
        if transform == "none":
            assert len(scans) == 1
            assert scans[0].params["length"] == length
        else:
            assert 1 <= len(scans) <= 2       # grad: a forward and a backward scan
        counts.append((len(closed.jaxpr.eqns), _count_eqns(closed.jaxpr)))
    assert counts[0] == counts[1], counts


def test_make_jaxpr_scan_text_shows_one_scan():
    xs = fnp.zeros((16, 3))
    text = str(fnx.make_jaxpr(lambda xs: lax.scan(lambda c, x: (c + x, c * x), fnp.zeros(3),
                                                  xs))(xs))
    assert len(re.findall(r"= scan\[", text)) == 1
    assert "length=16" in text


# =============================================================================================
# More compositions
# =============================================================================================

@pytest.mark.parametrize("argnums", [(0,), (1,), (2,), (3,), (0, 2), (1, 3)])
def test_scan_grad_argnum_subsets_match_unrolled(argnums):
    # which inputs are known / unknown changes how the scan is split for reverse mode
    w, h0, xs = _cell_loss_setup(62)
    b = randn(rng(63), 3)

    def loss(w, b, h0, xs, scan=lax.scan):
        h, ys = scan(_cell(w, b), h0, xs)
        return fnp.sum(h ** 2) + fnp.sum(ys * ys)

    args = (w, b, h0, xs)
    assert_close(fnx.grad(loss, argnums=argnums)(*args),
                 fnx.grad(lambda *a: loss(*a, scan=_scan_py), argnums=argnums)(*args))


def test_scan_grad_identity_carry_and_const_only_in_ys():
    xs = arr([1.0, 2.0, 3.0])
    # the carry passes through unchanged; the loss reads it only through the ys
    g = fnx.grad(lambda c: fnp.sum(lax.scan(lambda c, x: (c, c * x), c, xs)[1]))(arr(2.0))
    assert_close(g, np.sum(to_np(xs)))
    # a closed-over weight that reaches only the ys
    g = fnx.grad(lambda w: fnp.sum(lax.scan(lambda c, x: (c + 1.0, x * w), arr(1.0), xs)[1]))(
        arr(0.5))
    assert_close(g, np.sum(to_np(xs)))
    # an integer y next to a float y
    g = fnx.grad(lambda xs: fnp.sum(lax.scan(
        lambda c, x: (c + x, (c * x, (x > 1).astype("int32"))), arr(0.0), xs)[1][0]))(xs)
    assert_close(g, fnx.grad(lambda xs: fnp.sum(_scan_py(
        lambda c, x: (c + x, c * x), arr(0.0), xs)[1]))(xs))


def test_scan_grad_zero_and_one_step():
    f = lambda c, xs: lax.scan(lambda c, x: (c * x, c * x), c, xs)[0]  # noqa: E731
    assert_close(fnx.grad(f)(arr(2.0), fnp.zeros((0,), dtype="float64")), 1.0)
    assert_close(fnx.grad(f, argnums=(0, 1))(arr(2.0), arr([3.0])), (3.0, np.array([2.0])))


def test_jacrev_and_linearize_of_scan_match_unrolled():
    xs = arr([1.0, 2.0, 3.0])
    f = lambda w: lax.scan(lambda c, x: (fnp.sin(c * w + x), c), arr(1.0), xs)[1]  # noqa: E731
    f_py = lambda w: _scan_py(lambda c, x: (fnp.sin(c * w + x), c), arr(1.0), xs)[1]  # noqa
    assert_close(fnx.jacrev(f)(arr(0.3)), fnx.jacrev(f_py)(arr(0.3)))
    assert_close(fnx.linearize(f, arr(0.3))[1](arr(1.5)), fnx.jvp(f_py, (arr(0.3),),
                                                                   (arr(1.5),))[1])


def test_cond_grad_branch_forwarding_an_input():
    # a branch that returns an input unchanged (its residual is an input of the cond)
    f = lambda p, x, y: lax.cond(p, lambda x, y: x * y, lambda x, y: y, x, y)  # noqa: E731
    for p in (True, False):
        py = lambda x, y: x * y if p else y  # noqa: E731
        assert_close(fnx.grad(f, argnums=(1, 2))(p, arr(2.0), arr(3.0)),
                     fnx.grad(py, argnums=(0, 1))(arr(2.0), arr(3.0)))


def test_cond_check_grads_with_closure_over_differentiated_value():
    def f(x, w):
        return lax.cond(fnp.sum(x) > 0, lambda x: x * w + w * w, lambda x: fnp.sin(x + w), x)
    r = rng(64)
    check_grads(f, (randn(r, 3), randn(r, 3)), order=2)


def test_while_loop_jacfwd_of_jacfwd_matches_python():
    def f(x):
        return lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, fnp.sin(c[1]) * c[1]),
                              (0, x))[1]

    def f_py(x):
        for _ in range(3):
            x = fnp.sin(x) * x
        return x
    x = arr([0.5, 1.0])
    assert_close(fnx.jacfwd(fnx.jacfwd(f))(x), fnx.jacfwd(fnx.jacfwd(f_py))(x))


def test_while_loop_jvp_wrt_value_in_cond_fun_and_body():
    f = lambda lim: lax.while_loop(lambda c: c < lim, lambda c: c * lim + 1.0, arr(0.0))  # noqa

    def f_py(lim):
        c = arr(0.0)
        while float(c) < float(lim):
            c = c * lim + 1.0
        return c
    assert_close(fnx.jvp(f, (arr(5.0),), (arr(1.0),)), fnx.jvp(f_py, (arr(5.0),), (arr(1.0),)))


def _cond_in_scan(w, xs):
    return lax.scan(lambda c, x: (lax.cond(x > 1.5, lambda c: c * w, lambda c: c + w, c), c),
                    arr(1.0), xs)


def _cond_in_scan_py(w, xs):
    c, ys = arr(1.0), []
    for x in to_np(xs):
        ys.append(c)
        c = c * w if x > 1.5 else c + w
    return c, fnp.stack(ys)


def test_cond_inside_scan_values_jvp_vmap():
    xs = arr([1.0, 2.0, 3.0, 0.5])
    w = arr(0.7)
    assert_close(_cond_in_scan(w, xs), _cond_in_scan_py(w, xs))
    assert_close(fnx.jvp(lambda w: _cond_in_scan(w, xs), (w,), (arr(1.0),)),
                 fnx.jvp(lambda w: _cond_in_scan_py(w, xs), (w,), (arr(1.0),)))
    ws = arr([0.5, 0.7, -1.0])
    f = lambda w: _cond_in_scan(w, xs)  # noqa: E731
    assert_close(fnx.vmap(f)(ws), loop_vmap(f, (ws,), (0,)))


def test_vmap_cond_with_batched_predicate_inside_scan():
    xs = arr([1.0, 2.0, 3.0])

    def f(x0):
        return lax.scan(lambda c, x: (lax.cond(c > 1.0, lambda c: c * 0.5, lambda c: c + x, c),
                                      c), x0, xs)
    x0 = arr([0.1, 2.0, 5.0])
    assert_close(fnx.vmap(f)(x0), loop_vmap(f, (x0,), (0,)))


def test_vmap_while_with_scan_body_and_scan_with_while_body():
    xs = arr([1.0, 2.0, 3.0])

    def scan_in_while(x):
        return lax.while_loop(lambda c: fnp.sum(c) < 20.0,
                              lambda c: lax.scan(lambda d, y: (d + y * c, None), c, xs)[0], x)

    def while_in_scan(x):
        return lax.scan(lambda c, y: (lax.while_loop(lambda d: d < 10 * y, lambda d: d * 2.0, c),
                                      c), x, xs)
    x = arr([0.1, 2.0, 50.0])
    for f in (scan_in_while, while_in_scan):
        assert_close(fnx.vmap(f)(x), loop_vmap(f, (x,), (0,)))
        t = arr(1.0)
        jv = fnx.jvp(f, (x[0],), (t,))
        assert_close(jv[1], numerical_jvp(f, (x[0],), (t,)), rtol=1e-5)


# =============================================================================================
# jit vs eager over a table of control-flow programs (jit lowers loops to native C: these are
# the cases a native lowering can get wrong -- permuted / forwarded carries, empty and one-step
# loops, int and bool carries, nested loops, library calls and parallel kernels in a body,
# non-contiguous xs, state left over between calls)
# =============================================================================================

def _r(seed, *shape, dtype=F32, scale=1.0):
    return randn(rng(seed), *shape, dtype=dtype, scale=scale)


def _fib_counter(n0, xs):
    def f(c, x):
        i, a, b = c
        return (i + 1, b, a + b * x), (a, i)
    return lax.scan(f, (n0, arr(0.0, F32), arr(1.0, F32)), xs)


def _toggle(xs):
    return lax.scan(lambda c, x: (~c, fnp.where(c, x, -x)), arr(True, bool), xs)


def _permute_carry(a, b, xs):
    # the body swaps its carries: a native loop must not read a carry it already overwrote
    return lax.scan(lambda c, x: ((c[1], c[0] + x), c[0] * c[1]), (a, b), xs)


def _forwarding(c0, w, xs):
    # a carry returned unchanged, a constant and an x returned as ys
    return lax.scan(lambda c, x: (c, (w, x, c + x)), c0, xs)


def _matmul_body(w, h0, xs):
    return lax.scan(lambda h, x: (fnp.tanh(h @ w + x), fnp.sum(h, axis=1)), h0, xs)


def _big_carry(c0, xs):
    # 512 x 512 carries: elementwise kernels big enough to run in parallel inside the loop
    return lax.scan(lambda c, x: (fnp.sin(c) * x + 0.5, None), c0, xs)[0]


def _transposed_xs(h0, xs_t):
    return lax.scan(lambda h, x: (h * 0.5 + x, fnp.max(x)), h0, fnp.transpose(xs_t, (1, 0, 2)))


def _nested_scan(c0, xs):
    return lax.scan(lambda c, x: (lax.scan(lambda d, y: (d * 0.5 + y * x, d), c, xs)[0], c),
                    c0, xs)


def _cond_in_scan_jit(c0, xs):
    return lax.scan(lambda c, x: lax.cond(fnp.sum(x) > 0, lambda c: (c * 2.0, c),
                                          lambda c: (c - x, -c), c), c0, xs)


def _while_in_scan(c0, xs):
    return lax.scan(lambda c, y: (lax.while_loop(lambda d: d < 10.0 * y, lambda d: d * 2.0, c),
                                  c), c0, xs)


def _scan_in_while(x, xs):
    return lax.while_loop(lambda c: fnp.sum(c) < 50.0,
                          lambda c: lax.scan(lambda d, y: (d + y * c + 0.1, None), c, xs)[0], x)


def _while_pytree(x, limit):
    def body(c):
        return {"i": c["i"] + 1, "x": c["x"] * 1.5 + 0.25, "k": c["k"],
                "hist": c["hist"].at[c["i"] % 4].set(fnp.sum(c["x"]))}
    return lax.while_loop(lambda c: (fnp.sum(c["x"]) < limit) & (c["i"] < 100), body,
                          {"i": arr(0, np.int32), "x": x, "k": arr(7, np.int32),
                           "hist": fnp.zeros(4, dtype="float32")})


def _cond_multi(p, x, n):
    return lax.cond(p, lambda x, n: (x * 2.0, n + 1, x), lambda x, n: (fnp.cos(x), n * 3, x + 1.0),
                    x, n)


def _switch3(i, x, w):
    return lax.switch(i, [lambda x: x @ w, lambda x: x * 3.0, lambda x: fnp.ones_like(x)], x)


def _lstm_grad(p, xs):
    def loss(p):
        h0 = fnp.zeros((xs.shape[1], p["wh"].shape[0]), dtype="float32")
        (h, c), hs = lax.scan(lambda carry, x: (_lstm_cell(p, carry, x),
                                                _lstm_cell(p, carry, x)[0]), (h0, h0), xs)
        return fnp.mean(hs ** 2)
    return fnx.value_and_grad(loss)(p)


def _vmap_while(x, lim):
    return fnx.vmap(lambda x, l_: lax.while_loop(lambda c: c[1] < l_,
                                                  lambda c: (c[0] + 1, c[1] * 2.0), (0, x)))(x, lim)


def _vmap_cond(p, x):
    return fnx.vmap(lambda p, x: lax.cond(p, fnp.sin, lambda x: x * x, x))(p, x)


def _fori_traced(lo, hi, x):
    return lax.fori_loop(lo, hi, lambda i, v: v * 0.9 + i.astype("float32"), x)


JIT_CASES = {
    "scan_basic": (lambda c, xs: lax.scan(_step, c, xs), lambda: ((_r(1, 3), arr(0.0, F32)),
                                                                   _r(2, 5, 3))),
    "scan_reverse": (lambda c, xs: lax.scan(_step, c, xs, reverse=True),
                     lambda: ((_r(3, 3), arr(0.0, F32)), _r(4, 5, 3))),
    "scan_len0": (lambda c, xs: lax.scan(_step, c, xs), lambda: ((_r(5, 3), arr(0.0, F32)),
                                                                  fnp.zeros((0, 3)))),
    "scan_len1": (lambda c, xs: lax.scan(_step, c, xs), lambda: ((_r(6, 3), arr(0.0, F32)),
                                                                  _r(7, 1, 3))),
    "scan_ys_none": (lambda c, xs: lax.scan(lambda c, x: (c * x + 1.0, None), c, xs),
                     lambda: (_r(8, 3), _r(9, 4, 3))),
    "scan_int_carry": (_fib_counter, lambda: (arr(0, np.int32), _r(10, 6, scale=0.1))),
    "scan_bool_carry": (_toggle, lambda: (_r(11, 5, 2),)),
    "scan_permuted_carry": (_permute_carry, lambda: (_r(12, 3), _r(13, 3), _r(14, 4, 3))),
    "scan_forwarding": (_forwarding, lambda: (_r(15, 2), _r(16, 3), _r(17, 4, 2))),
    "scan_matmul_body": (_matmul_body, lambda: (_r(18, 8, 8, scale=0.3), _r(19, 4, 8),
                                                _r(20, 5, 4, 8))),
    "scan_big_carry": (_big_carry, lambda: (_r(21, 512, 512), _r(22, 3, 512, 512))),
    "scan_transposed_xs": (_transposed_xs, lambda: (_r(23, 2, 3), _r(24, 2, 5, 3))),
    "scan_unroll3": (lambda c, xs: lax.scan(_step, c, xs, unroll=3),
                     lambda: ((_r(25, 3), arr(0.0, F32)), _r(26, 7, 3))),
    "scan_f64": (lambda c, xs: lax.scan(_step, c, xs), lambda: ((_r(27, 3, dtype=F64), arr(0.0)),
                                                                 _r(28, 5, 3, dtype=F64))),
    "scan_nested": (_nested_scan, lambda: (_r(29, 2), _r(30, 3, 2, scale=0.5))),
    "cond_in_scan": (_cond_in_scan_jit, lambda: (_r(31, 3), _r(32, 6, 3))),
    "while_in_scan": (_while_in_scan, lambda: (arr(0.3, F32), arr([1.0, 2.0, 5.0], F32))),
    "scan_in_while": (_scan_in_while, lambda: (arr([0.1, 0.2], F32), arr([1.0, 0.5], F32))),
    "while_pytree": (_while_pytree, lambda: (_r(33, 3, scale=0.1) + 1.0, arr(40.0, F32))),
    "while_zero_trips": (_while_pytree, lambda: (_r(34, 3) + 100.0, arr(1.0, F32))),
    "cond_true": (_cond_multi, lambda: (arr(True, bool), _r(35, 3), arr(2, np.int32))),
    "cond_false": (_cond_multi, lambda: (arr(False, bool), _r(36, 3), arr(2, np.int32))),
    "switch_0": (_switch3, lambda: (arr(0, np.int32), _r(37, 3), _r(38, 3, 3))),
    "switch_1": (_switch3, lambda: (arr(1, np.int32), _r(39, 3), _r(40, 3, 3))),
    "switch_clamped": (_switch3, lambda: (arr(9, np.int32), _r(41, 3), _r(42, 3, 3))),
    "fori_traced": (_fori_traced, lambda: (arr(2, np.int32), arr(9, np.int32), _r(43, 3))),
    "fori_traced_empty": (_fori_traced, lambda: (arr(5, np.int32), arr(1, np.int32), _r(44, 3))),
    "map": (lambda xs: lax.map(lambda x: (fnp.sum(x * x), fnp.cumsum(x)), xs),
            lambda: (_r(45, 4, 5),)),
    "lstm_value_and_grad": (_lstm_grad, lambda: (_lstm_params(rng(46), 4, 6, F32),
                                                 _r(47, 5, 2, 4))),
    "vmap_while_batched_pred": (_vmap_while, lambda: (arr([1.0, 0.1, 3.0, 100.0], F32),
                                                      arr([10.0, 10.0, 5.0, 1.0], F32))),
    "vmap_cond_batched_pred": (_vmap_cond, lambda: (arr([True, False, True], bool),
                                                    _r(48, 3, 2))),
    "jvp_while": (lambda x, t: fnx.jvp(lambda x: _power_loop(x, arr([0.5, 1.5, -0.5], F32)),
                                       (x,), (t,)), lambda: (_r(49, 3, scale=0.3), _r(50, 3))),
}


@pytest.mark.parametrize("name", list(JIT_CASES))
def test_jit_matches_eager_table(name):
    fn, make_args = JIT_CASES[name]
    args = make_args()
    expected = fn(*args)
    jitted = fnx.jit(fn)
    out = jitted(*args)
    assert_same_types(out, expected)
    tol = dict(rtol=1e-5, atol=1e-5)
    assert_close(out, expected, **tol)
    # a second call with other inputs of the same types reuses the compiled program
    args2 = fnx.tree.map(lambda a: a if np.dtype(a.dtype).kind != "f" else a * 0.75, args)
    assert_close(jitted(*args2), fn(*args2), **tol)
    assert_close(jitted(*args), expected, **tol)


# =============================================================================================
# Regressions: bugs these tests found (reverse mode through nested control flow, batching
# rules marking independent outputs batched, weak-typed initial carries)
# =============================================================================================

def test_grad_of_cond_inside_scan():
    # reverse mode through a cond nested in a scan body
    xs = arr([1.0, 2.0, 3.0, 0.5])
    g = fnx.grad(lambda w: _cond_in_scan(w, xs)[0])(arr(0.7))
    assert_close(g, fnx.grad(lambda w: _cond_in_scan_py(w, xs)[0])(arr(0.7)))


def test_grad_of_scan_inside_scan():
    xs = arr([1.0, 2.0, 3.0])

    def f(w, scan):
        return scan(lambda c, x: (scan(lambda d, y: (d * w + y * x, None), c, xs)[0], None),
                    arr(1.0), xs)[0]
    assert_close(fnx.grad(f)(arr(0.3), lax.scan), fnx.grad(f)(arr(0.3), _scan_py))


def test_grad_of_scan_inside_cond():
    xs = arr([1.0, 2.0, 3.0])

    def f(w):
        return lax.cond(w > 0, lambda w: lax.scan(lambda c, x: (c * w + x, None), arr(1.0),
                                                  xs)[0], lambda w: w, w)

    def f_py(w):
        return _scan_py(lambda c, x: (c * w + x, None), arr(1.0), xs)[0]
    assert_close(fnx.grad(f)(arr(0.7)), fnx.grad(f_py)(arr(0.7)))


def test_grad_of_jitted_function_containing_scan():
    # a jitted model called inside a loss that is differentiated (grad outside jit)
    xs = arr([1.0, 2.0, 3.0])
    model = fnx.jit(lambda w: lax.scan(lambda c, x: (c * w + x, None), arr(1.0), xs)[0])
    g = fnx.grad(lambda w: model(w) ** 2)(arr(0.5))
    assert_close(g, fnx.grad(lambda w: _scan_py(lambda c, x: (c * w + x, None), arr(1.0),
                                                xs)[0] ** 2)(arr(0.5)))


def test_jacfwd_of_cond():
    # jacfwd vmaps the JVP with out_axes=None for the primal output: cond's batching rule
    # must not report an unbatched output as batched
    x = arr([0.3, 1.0])
    jac = fnx.jacfwd(lambda w: lax.cond(True, lambda w: w * 2.0, lambda w: w, w))(x)
    assert_close(jac, 2.0 * np.eye(2))


def test_jacfwd_of_scan_ys_and_hessian_of_scan():
    xs = arr([1.0, 2.0, 3.0])
    f = lambda w: lax.scan(lambda c, x: (fnp.sin(c * w + x), c), arr(1.0), xs)  # noqa: E731
    f_py = lambda w: _scan_py(lambda c, x: (fnp.sin(c * w + x), c), arr(1.0), xs)  # noqa: E731
    assert_close(fnx.jacfwd(lambda w: f(w)[1])(arr(0.3)), fnx.jacfwd(lambda w: f_py(w)[1])(
        arr(0.3)))
    assert_close(fnx.hessian(lambda w: f(w)[0])(arr(0.3)), fnx.hessian(lambda w: f_py(w)[0])(
        arr(0.3)))


def test_vmap_of_cond_keeps_unbatched_outputs_unbatched():
    # an output of the branches that does not depend on the mapped value, returned with
    # out_axes=None
    x = arr([1.0, 2.0])
    c = arr([3.0, 4.0])
    out = fnx.vmap(lambda x: lax.cond(True, lambda x: (c * 2.0, x + 1.0), lambda x: (c, x), x),
                   out_axes=(None, 0))(x)
    assert_close(out, (2.0 * to_np(c), to_np(x) + 1.0))


@pytest.mark.parametrize("loop", ["scan", "fori_loop", "while_loop"])
def test_weak_typed_initial_carry_is_promoted_like_jax(loop):
    # JAX promotes a weak-typed initial carry (a Python scalar) to the dtype the body returns:
    # lax.fori_loop(0, 3, lambda i, s: s + 0.5, 0) == 1.5
    if loop == "scan":
        carry, _ = lax.scan(lambda c, x: (c + x, c), 0, fnp.arange(3.0))
        assert carry.dtype == np.float32 and float(carry) == 3.0
    elif loop == "fori_loop":
        out = lax.fori_loop(0, 3, lambda i, s: s + 0.5, 0)
        assert float(out) == 1.5
    else:
        out = lax.while_loop(lambda s: s < 2, lambda s: s + 0.5, 0)
        assert float(out) == 2.0


# -- issue 16: a loop carry / branch output whose type changes is an error naming the function the
# user called, the carry's path in their pytree and both types ---------------------------------

def _loop_over(loop, body, init):
    """Run ``body(carry) -> carry`` once through ``loop`` (the user-facing function)."""
    if loop == "while_loop":
        return lax.while_loop(lambda c: fnp.asarray(False), body, init)
    if loop == "scan":
        return lax.scan(lambda c, x: (body(c), None), init, None, length=1)
    if loop == "fori_loop":
        return lax.fori_loop(0, 1, lambda i, c: body(c), init)
    return fnx.jit(lambda n: lax.fori_loop(0, n, lambda i, c: body(c), init))(1)  # traced bound


LOOPS = ["while_loop", "scan", "fori_loop", "fori_loop-traced"]


@pytest.mark.parametrize("loop", LOOPS)
def test_loop_carry_int_to_float_names_the_loop_path_and_types(loop):
    init = {"n": arr(0, np.int32), "x": arr([1.0], F32)}
    with pytest.raises(TypeError) as e:
        _loop_over(loop, lambda c: {"n": c["n"] + 0.5, "x": c["x"]}, init)
    msg = str(e.value)
    op = loop.split("-")[0]
    assert msg.startswith(f"{op}:") and "must have identical types" in msg, msg
    prefix = "init_val" if op == "fori_loop" else "carry"
    assert f"{prefix}['n'] has type i32[] in the initial value but f32[]" in msg, msg
    assert "weak-typed initial value" in msg, msg  # says which mismatches are errors


@pytest.mark.parametrize("loop", LOOPS)
def test_weak_float_initial_carry_is_not_narrowed_to_the_bodys_int(loop):
    # result_type(weak float, int32) is float32 (as JAX): the body's int32 carry is then an
    # error; it used to become the carry's type, truncating the initial 0.5 to 0
    with pytest.raises(TypeError, match=r"has type f32\[\] in the initial value but i32\[\]"):
        _loop_over(loop, lambda c: (c * 2).astype(np.int32), 0.5)


def test_cond_and_switch_name_themselves_and_their_branches():
    x = arr(1, np.int32)
    with pytest.raises(TypeError, match=r"^cond: .*output has type f32\[\] in false_fun but "
                                        r"i32\[\] in true_fun"):
        lax.cond(True, lambda x: x + 1, lambda x: x + 1.5, x)
    with pytest.raises(TypeError, match=r"^switch: .*i32\[\] in branch 0 but f32\[\] in branch 1"):
        lax.switch(1, [lambda x: x + 1, lambda x: x + 1.5], x)
