"""The backward pass of a scan sums per-iteration weight gradients after the loop
(fnx/lax/_scan_sums.py): the values must equal the step-by-step accumulation (an unrolled Python
loop, finite differences, forward mode), for every pattern the planner accepts and the ones it
must refuse, and the loop must stop carrying the accumulators it hoisted."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.lax import _scan_sums
from fnx.test_util import check_grads

RNG = np.random.default_rng(0)


def _arr(*shape):
    return fnp.asarray(RNG.standard_normal(shape).astype(np.float32))


def _unrolled(step, carry, xs, reverse=False):
    """The scan as a Python loop: the reference that never goes through scan's transpose."""
    n = xs.shape[0]
    ys = [None] * n
    for t in (range(n - 1, -1, -1) if reverse else range(n)):
        carry, ys[t] = step(carry, xs[t])
    return carry, fnp.stack(ys)


def _rnn_step(w, u, b):
    def step(h, x):
        h = fnp.tanh(x @ w + h @ u + b)
        return h, h
    return step


def _loss_scan(params, h0, xs, reverse=False):
    h, ys = lax.scan(_rnn_step(*params), h0, xs, reverse=reverse)
    return fnp.sum(ys ** 2) + fnp.sum(h)


def _loss_loop(params, h0, xs, reverse=False):
    h, ys = _unrolled(_rnn_step(*params), h0, xs, reverse)
    return fnp.sum(ys ** 2) + fnp.sum(h)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("length", [1, 2, 7])
def test_rnn_weight_gradients_equal_the_unrolled_loop(reverse, length):
    params = (_arr(3, 5) * 0.5, _arr(5, 5) * 0.5, _arr(5))
    h0, xs = _arr(4, 5), _arr(length, 4, 3)
    got = fnx.grad(_loss_scan)(params, h0, xs, reverse)
    want = fnx.grad(_loss_loop)(params, h0, xs, reverse)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-5, atol=2e-5)
    jitted = fnx.jit(fnx.grad(_loss_scan), static_argnums=3)(params, h0, xs, reverse)
    for g, w in zip(jitted, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-5, atol=2e-5)


def test_rnn_gradients_against_finite_differences_and_forward_mode():
    params = (_arr(3, 4) * 0.5, _arr(4, 4) * 0.5, _arr(4))
    h0, xs = _arr(2, 4), _arr(5, 2, 3)
    x64 = lambda t: fnp.asarray(np.asarray(t, np.float64))   # noqa: E731
    # second derivatives reach ~500 here: finite differences are good to ~1e-6 of that
    check_grads(lambda w, u, b: _loss_scan((w, u, b), x64(h0), x64(xs)),
                tuple(x64(p) for p in params), order=2, modes=("fwd", "rev"), atol=1e-3,
                rtol=1e-5)


def _scans_in(jaxpr):
    return [e for e in jaxpr.eqns if e.primitive.name == "scan"]


def test_the_backward_loop_carries_no_weight_accumulators():
    params = (_arr(3, 5), _arr(5, 5), _arr(5))
    h0, xs = _arr(4, 5), _arr(6, 4, 3)
    jaxpr = fnx.make_jaxpr(fnx.grad(_loss_scan))(params, h0, xs).jaxpr
    forward, backward = _scans_in(jaxpr)
    # the backward scan carries only h's cotangent: U's (5, 5) and b's (5,) are summed after
    assert backward.params["num_carry"] == 1
    post = [e.primitive.name for e in jaxpr.eqns[jaxpr.eqns.index(backward):]]
    assert "dot_general" in post and "reduce_sum" in post


def test_a_loop_constant_operand_keeps_the_accumulation():
    """sum_t dot(c, y_t) with c a loop constant is not a product of stacked operands: the
    planner must leave it as an accumulator (and the value must still be right)."""
    c = _arr(4, 4)

    def loss(w, xs):
        def step(h, x):
            h = fnp.tanh(h @ w + x)
            return h, fnp.sum(c @ h)      # the cotangent of w passes through c
        _, ys = lax.scan(step, fnp.zeros((4, 4)), xs)
        return fnp.sum(ys)

    def loss_loop(w, xs):
        h, total = fnp.zeros((4, 4)), 0.0
        for t in range(xs.shape[0]):
            h = fnp.tanh(h @ w + xs[t])
            total = total + fnp.sum(c @ h)
        return total

    w, xs = _arr(4, 4) * 0.5, _arr(5, 4, 4)
    np.testing.assert_allclose(np.asarray(fnx.grad(loss)(w, xs)),
                               np.asarray(fnx.grad(loss_loop)(w, xs)), rtol=2e-5, atol=2e-5)


def test_new_stacked_operands_respect_the_memory_bound(monkeypatch):
    """Operands that are neither xs nor ys of the loop become new stacked outputs, up to
    MAX_NEW_STACKED_BYTES; past it the step-by-step accumulation stays (same values)."""
    w, xs = _arr(3, 6) * 0.5, _arr(8, 2, 3)

    def loss(w, xs):
        def step(h, x):
            h = fnp.sin(x @ w) * h         # x @ w's weight gradient contracts x with a
            return h, None                 # value computed in the body (not an xs / ys)
        h, _ = lax.scan(step, fnp.ones((2, 6)), xs)
        return fnp.sum(h)

    want = fnx.grad(lambda w, xs: fnp.sum(
        _unrolled(lambda h, x: (fnp.sin(x @ w) * h, 0.0), fnp.ones((2, 6)), xs)[0]))(w, xs)
    hoisted = fnx.make_jaxpr(fnx.grad(loss))(w, xs).jaxpr
    assert _scans_in(hoisted)[-1].params["num_carry"] == 1
    np.testing.assert_allclose(np.asarray(fnx.grad(loss)(w, xs)), np.asarray(want), rtol=2e-5)
    monkeypatch.setattr(_scan_sums, "MAX_NEW_STACKED_BYTES", 0)
    kept = fnx.make_jaxpr(fnx.grad(loss))(w, xs).jaxpr
    assert _scans_in(kept)[-1].params["num_carry"] == 2
    np.testing.assert_allclose(np.asarray(fnx.grad(loss)(w, xs)), np.asarray(want), rtol=2e-5)


def test_lstm_gradients_equal_the_cell_unrolled_and_vmap_equals_a_loop():
    lstm = fnx.nn.LSTM(3, 4, num_layers=2, key=fnx.random.PRNGKey(1))
    xs = _arr(6, 2, 3)

    def loss(m, xs):
        ys, _ = m(xs)
        return fnp.mean(ys ** 2)

    def loss_unrolled(m, xs):
        h = xs
        for cell in m.cells:
            carry = cell.initial_carry(xs.shape[1])
            outs = []
            for t in range(xs.shape[0]):
                carry = cell(h[t], carry)
                outs.append(carry[0])
            h = fnp.stack(outs)
        return fnp.mean(h ** 2)

    got = fnx.tree_util.tree_leaves(fnx.jit(fnx.grad(loss))(lstm, xs))
    want = fnx.tree_util.tree_leaves(fnx.grad(loss_unrolled)(lstm, xs))
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-4, atol=1e-6)
    batch = fnp.stack([xs, xs * 0.5])
    vm = fnx.tree_util.tree_leaves(fnx.vmap(fnx.grad(loss), in_axes=(None, 0))(lstm, batch))
    for i in range(2):
        one = fnx.tree_util.tree_leaves(fnx.grad(loss)(lstm, batch[i]))
        for g, w in zip(vm, one):
            np.testing.assert_allclose(np.asarray(g)[i], np.asarray(w), rtol=1e-4, atol=1e-6)
