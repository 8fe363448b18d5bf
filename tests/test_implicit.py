"""Implicit differentiation: lax.custom_root (implicit function theorem) and lax.fixed_point
(adjoint fixed point in a custom_vjp), against analytic derivatives and central finite
differences in float64."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.errors import InvalidArgumentError
from fnx.test_util import check_grads

F64 = "float64"


def _close(a, b, rtol=1e-10, atol=1e-12):
    for x, y in zip(fnx.tree.leaves(a), fnx.tree.leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


def _central_diff_grad(f, x: np.ndarray, eps=1e-6) -> np.ndarray:
    """Gradient of the scalar ``f`` (numpy array -> float) by central differences."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = eps
        g[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return g


# -- custom_root ----------------------------------------------------------------------------------

def _newton(f, x0, steps=40):
    """Newton's method for an elementwise system (the Jacobian is diagonal)."""
    def step(i, x):
        fx, df = fnx.jvp(f, (x,), (fnp.ones_like(x),))
        return x - fx / df
    return lax.fori_loop(0, steps, step, x0)


def _scalar_tangent_solve(g, y):
    return y / g(1.0)


def cbrt_root(a):
    """The root of x^3 - a (elementwise), found by Newton; derivative by the IFT."""
    return lax.custom_root(lambda x: x ** 3 - a, fnp.ones_like(a), _newton,
                           lambda g, y: y / g(fnp.ones_like(y)))


def test_custom_root_scalar_newton():
    def sqrt(a):
        return lax.custom_root(lambda x: x * x - a, a, _newton, _scalar_tangent_solve)
    a = fnp.asarray(4.0, F64)
    _close(sqrt(a), 2.0)
    _close(fnx.grad(sqrt)(a), 0.25)                     # d sqrt(a) = 1 / (2 sqrt(a))
    _close(fnx.grad(fnx.grad(sqrt))(a), -1 / 32)        # -a^(-3/2) / 4
    check_grads(sqrt, (a,), order=2)
    _close(fnx.jit(fnx.grad(sqrt))(a), 0.25)
    _close(fnx.grad(fnx.jit(sqrt))(a), 0.25)
    av = fnp.asarray([1.0, 4.0, 9.0], F64)
    _close(fnx.vmap(fnx.grad(sqrt))(av), 0.5 / np.sqrt([1.0, 4.0, 9.0]))


def test_custom_root_vector_newton():
    a = fnp.asarray([0.5, 2.0, 8.0, 27.0], F64)
    _close(cbrt_root(a), np.cbrt(np.asarray(a)))
    # d/da sum(cbrt(a) * w) = w / (3 a^(2/3))
    w = fnp.asarray([1.0, -2.0, 0.5, 3.0], F64)
    loss = lambda a: (cbrt_root(a) * w).sum()  # noqa: E731
    expected = np.asarray(w) / (3 * np.asarray(a) ** (2 / 3))
    _close(fnx.grad(loss)(a), expected)
    _close(fnx.jit(fnx.grad(loss))(a), expected)
    _close(fnx.jacfwd(cbrt_root)(a), np.diag(1 / (3 * np.asarray(a) ** (2 / 3))))
    check_grads(cbrt_root, (a,), order=2, atol=1e-6, rtol=1e-6)


def test_custom_root_coupled_system_with_jacobian_solve():
    """A 2x2 nonlinear system F(x; p) = 0 solved by fixed-point Newton steps; the tangent solve
    inverts the linearized system's Jacobian (built with jacfwd); compared with the implicit
    function theorem evaluated in numpy."""
    def F(p):
        def f(x):
            return fnp.stack([x[0] + 0.3 * fnp.sin(x[1]) - p[0],
                              x[1] + 0.2 * x[0] ** 2 - p[1] * p[0]])
        return f

    def inv2(m):
        det = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
        return fnp.stack([fnp.stack([m[1, 1], -m[0, 1]]),
                          fnp.stack([-m[1, 0], m[0, 0]])]) / det

    def solve(f, x0):
        def step(i, x):
            return x - inv2(fnx.jacfwd(f)(x)) @ f(x)
        return lax.fori_loop(0, 30, step, x0)

    def tangent_solve(g, y):
        return inv2(fnx.jacfwd(g)(y)) @ y

    def root(p):
        return lax.custom_root(F(p), fnp.zeros(2, F64), solve, tangent_solve)

    p = fnp.asarray([0.7, -0.4], F64)
    x = root(p)
    _close(F(p)(x), np.zeros(2), atol=1e-13)
    xn, pn = np.asarray(x), np.asarray(p)
    dfdx = np.array([[1.0, 0.3 * np.cos(xn[1])], [0.4 * xn[0], 1.0]])
    dfdp = np.array([[-1.0, 0.0], [-pn[1], -pn[0]]])
    expected = -np.linalg.solve(dfdx, dfdp)
    _close(fnx.jacfwd(root)(p), expected)
    _close(fnx.jacrev(root)(p), expected)
    _close(fnx.jit(fnx.jacrev(root))(p), expected)


def test_custom_root_has_aux_and_solver_not_differentiated():
    a = fnp.asarray(3.0, F64)

    def solve(f, x0):
        # a while_loop cannot be reverse-differentiated: only the implicit rule makes grad work
        def body(c):
            i, x = c
            return i + 1, x - f(x) / (2 * x)
        n, x = lax.while_loop(lambda c: c[0] < 50, body, (0, x0))
        return x, n

    def sqrt_with_count(a):
        return lax.custom_root(lambda x: x * x - a, a, solve, _scalar_tangent_solve,
                               has_aux=True)

    x, n = sqrt_with_count(a)
    _close(x, np.sqrt(3.0))
    assert int(n) == 50
    _close(fnx.grad(lambda a: sqrt_with_count(a)[0])(a), 0.5 / np.sqrt(3.0))
    out, aux_grad = fnx.jvp(lambda a: sqrt_with_count(a), (a,), (fnp.asarray(1.0, F64),))
    _close(aux_grad[0], 0.5 / np.sqrt(3.0))


def test_custom_root_errors():
    with pytest.raises(InvalidArgumentError, match="structure"):
        lax.custom_root(lambda x: (x, x), 1.0, _newton, _scalar_tangent_solve)
    with pytest.raises(InvalidArgumentError, match="shapes and dtypes"):
        lax.custom_root(lambda x: fnp.stack([x, x]), 1.0, _newton, _scalar_tangent_solve)


# -- fixed_point: a deep-equilibrium layer x = tanh(W x + U p) -------------------------------------

def _deq_problem(n=6, m=3, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(n, n))
    w = 0.7 * w / np.linalg.norm(w, 2)                 # spectral norm 0.7: a contraction
    u = rng.normal(size=(n, m))
    p = rng.normal(size=(m,))
    c = rng.normal(size=(n,))
    return w, u, p, c


def _deq_loss(w, u, p, c, **kw):
    kw = {"max_iter": 500, "tol": 1e-14, **kw}
    x = lax.fixed_point(lambda params, x: fnp.tanh(params[0] @ x + params[1] @ params[2]),
                        (w, u, p), fnp.zeros(w.shape[0], F64), **kw)
    return (fnp.sin(x) * c).sum()


def _np_deq_loss(w, u, p, c):
    x = np.zeros(w.shape[0])
    for _ in range(2000):
        x = np.tanh(w @ x + u @ p)
    return float((np.sin(x) * c).sum())


def test_fixed_point_solves_and_matches_finite_differences():
    w, u, p, c = _deq_problem()
    args = [fnp.asarray(v, F64) for v in (w, u, p, c)]
    _close(_deq_loss(*args), _np_deq_loss(w, u, p, c), rtol=1e-12)
    grads = fnx.grad(_deq_loss, argnums=(0, 1, 2))(*args)
    fd = [_central_diff_grad(lambda v: _np_deq_loss(v, u, p, c), w),
          _central_diff_grad(lambda v: _np_deq_loss(w, v, p, c), u),
          _central_diff_grad(lambda v: _np_deq_loss(w, u, v, c), p)]
    for g, e in zip(grads, fd):
        np.testing.assert_allclose(np.asarray(g), e, rtol=1e-7, atol=1e-9)
    check_grads(lambda p: _deq_loss(args[0], args[1], p, args[3]), (args[2],), order=2,
                modes="rev")


def test_fixed_point_jit_and_vmap():
    w, u, p, c = _deq_problem(seed=1)
    args = [fnp.asarray(v, F64) for v in (w, u, p, c)]
    g = fnx.grad(_deq_loss, argnums=2)
    expected = g(*args)
    _close(fnx.jit(g)(*args), expected)
    _close(fnx.jit(_deq_loss)(*args), _deq_loss(*args))
    ps = fnp.stack([args[2], 2 * args[2], -args[2]])
    batched = fnx.vmap(lambda p: _deq_loss(args[0], args[1], p, args[3]))(ps)
    _close(batched, np.array([_np_deq_loss(w, u, np.asarray(q), c) for q in ps]), rtol=1e-12)
    per_example = fnx.vmap(g, in_axes=(None, None, 0, None))(args[0], args[1], ps, args[3])
    _close(per_example, np.stack([np.asarray(g(args[0], args[1], q, args[3])) for q in ps]))
    _close(fnx.jit(fnx.vmap(g, in_axes=(None, None, 0, None)))(args[0], args[1], ps, args[3]),
           per_example)


def test_fixed_point_pytrees_closure_and_x0_gradient():
    w, u, p, c = _deq_problem(seed=2)
    W, U, P = (fnp.asarray(v, F64) for v in (w, u, p))

    def loss(params, scale):
        def f(prm, x):        # closes over `scale` (differentiated through the closure)
            h = fnp.tanh(prm["W"] @ x["h"] + prm["U"] @ prm["p"]) * scale
            return {"h": h, "s": fnp.tanh(x["h"]).sum() * 0.1 + x["s"] * 0.5}
        x0 = {"h": fnp.zeros(6, F64), "s": fnp.asarray(0.0, F64)}
        x = lax.fixed_point(f, params, x0, max_iter=500, tol=1e-14)
        return x["h"].sum() + x["s"]

    params = {"W": W, "U": U, "p": P}
    scale = fnp.asarray(0.9, F64)
    check_grads(loss, (params, scale), order=1, modes="rev")
    # x0 does not change the fixed point: zero gradient
    x0_grad = fnx.grad(lambda x0: lax.fixed_point(
        lambda prm, x: fnp.tanh(prm @ x + 1.0), W, x0, max_iter=500, tol=1e-14).sum())(
        fnp.ones(6, F64))
    _close(x0_grad, np.zeros(6))


def test_fixed_point_stopping_and_errors():
    # max_iter bounds the iteration: x <- x/2 + 1 from 0 after 3 steps is 1.75
    x = lax.fixed_point(lambda p, x: x * p + 1.0, fnp.asarray(0.5, F64),
                        fnp.asarray(0.0, F64), max_iter=3, tol=0.0)
    _close(x, 1.75)
    x = lax.fixed_point(lambda p, x: x * p + 1.0, fnp.asarray(0.5, F64),
                        fnp.asarray(0.0, F64))
    assert abs(float(x) - 2.0) < 1e-5
    with pytest.raises(InvalidArgumentError, match="max_iter"):
        lax.fixed_point(lambda p, x: x, 1.0, 1.0, max_iter=-1)
    with pytest.raises(InvalidArgumentError, match="shapes and dtypes"):
        lax.fixed_point(lambda p, x: fnp.stack([x, x]), 1.0, fnp.asarray(1.0, F64))
    with pytest.raises(fnx.errors.FnxError):
        fnx.jvp(lambda p: lax.fixed_point(lambda p, x: p * x, p, 1.0), (0.5,), (1.0,))


# -- fixed_point(..., return_iterations=True): the solver's iteration count ----------------------

def _iterations_oracle(p: float, x0: float, tol: float, max_iter: int, rate=0.5) -> int:
    """How many steps of x <- rate x + p the stopping rule |step| <= tol (1 + |x|) takes (a
    plain Python loop, the oracle for the count)."""
    x = x0
    for k in range(1, max_iter + 1):
        new = rate * x + p
        step, x = abs(new - x), new
        if step <= tol * (1 + abs(x)):
            return k
    return max_iter


@pytest.mark.parametrize("tol,max_iter", [(1e-6, 100), (1e-12, 100), (1e-12, 7), (0.0, 0)])
def test_fixed_point_reports_its_iteration_count(tol, max_iter):
    f = lambda p, x: 0.5 * x + p  # noqa: E731
    p = fnp.asarray(3.0, F64)
    x, n = lax.fixed_point(f, p, fnp.asarray(0.0, F64), tol=tol, max_iter=max_iter,
                           return_iterations=True)
    assert n.dtype == np.int32 and n.shape == ()
    assert int(n) == _iterations_oracle(3.0, 0.0, tol, max_iter)
    _close(x, lax.fixed_point(f, p, fnp.asarray(0.0, F64), tol=tol, max_iter=max_iter))


def test_fixed_point_iteration_count_under_grad_jit_and_vmap():
    def loss(p):
        x, n = lax.fixed_point(lambda p, x: 0.5 * x + p, p, fnp.zeros_like(p), tol=1e-13,
                               return_iterations=True)
        return (x ** 2).sum(), n
    p = fnp.asarray([1.0, -2.0], F64)
    (value, n), g = fnx.value_and_grad(loss, has_aux=True)(p)
    _close(g, 8 * np.asarray(p))                       # x* = 2p, d sum(4 p^2) = 8 p
    assert int(n) == _iterations_oracle(2.0, 0.0, 1e-13, 100)   # the largest |x| decides
    (value_j, n_j), g_j = fnx.jit(fnx.value_and_grad(loss, has_aux=True))(p)
    _close(g_j, g)
    assert int(n_j) == int(n)
    ps = fnp.asarray([[1.0], [1e-3]], F64)
    ns = fnx.vmap(lambda p: loss(p)[1])(ps)
    assert [int(k) for k in np.asarray(ns)] == [
        _iterations_oracle(float(q), 0.0, 1e-13, 100) for q in (1.0, 1e-3)]


@settings(max_examples=15, deadline=None)
@given(rate=st.floats(0.0, 0.95), p=st.floats(-10, 10), x0=st.floats(-10, 10),
       tol=st.sampled_from([0.0, 1e-12, 1e-8, 1e-3, 0.1]), max_iter=st.integers(0, 60))
def test_fixed_point_iteration_count_hypothesis(rate, p, x0, tol, max_iter):
    x, n = lax.fixed_point(lambda q, x: q[0] * x + q[1], (fnp.asarray(rate, F64),
                           fnp.asarray(p, F64)), fnp.asarray(x0, F64), tol=tol,
                           max_iter=max_iter, return_iterations=True)
    assert int(n) == _iterations_oracle(p, x0, tol, max_iter, rate)
