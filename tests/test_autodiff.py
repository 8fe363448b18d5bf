"""The differentiation API against known answers: grad / value_and_grad / vjp / jvp / linearize /
jacfwd / jacrev / hessian, pytrees, argnums, has_aux, stop_gradient, eager control flow,
custom_jvp / custom_vjp, make_jaxpr of a gradient, numerically delicate gradients, error
messages, and an MLP loss against finite differences.

Everything runs in float64 unless it says otherwise, so known answers compare tightly.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.errors import AutodiffError, FnxError
from fnx.test_util import check_grads, numerical_jvp, rand_like, to_numpy

F64 = np.float64


def arr(x, dtype=F64):
    return fnp.asarray(np.asarray(x, dtype=dtype))


def close(a, b, rtol=1e-12, atol=1e-12):
    np.testing.assert_allclose(to_numpy(a), np.asarray(b, dtype=np.float64), rtol=rtol, atol=atol)


def tree_close(a, b, rtol=1e-12, atol=1e-12):
    la, ta = fnx.tree.flatten(a)
    lb, tb = fnx.tree.flatten(b)
    assert ta == tb, f"structures differ: {ta} vs {tb}"
    for x, y in zip(la, lb):
        close(x, to_numpy(y), rtol, atol)


# ---------------------------------------------------------------------------------------------
# Known answers
# ---------------------------------------------------------------------------------------------

def test_grad_tanh():
    x = arr([-2.0, -0.3, 0.0, 0.7, 3.0])
    g = fnx.grad(lambda x: fnp.sum(fnp.tanh(x)))(x)
    close(g, 1 - np.tanh(to_numpy(x)) ** 2)
    # a scalar, and a Python float argument (float32 as in JAX)
    close(fnx.grad(fnp.tanh)(arr(0.5)), 1 - np.tanh(0.5) ** 2)
    g32 = fnx.grad(fnp.tanh)(0.5)
    assert g32.dtype == np.float32 and g32.shape == ()
    close(g32, 1 - np.tanh(0.5) ** 2, rtol=1e-6)


def test_grad_returns_input_dtype_and_shape():
    for dt in (np.float32, np.float64):
        x = arr(np.arange(6).reshape(2, 3) / 7, dt)
        g = fnx.grad(lambda x: fnp.sum(fnp.sin(x)))(x)
        assert g.dtype == dt and g.shape == (2, 3)


def test_hessian_of_quadratic_form():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    x = arr(rng.standard_normal(4))
    f = lambda x: x @ arr(a) @ x  # noqa: E731
    h = fnx.hessian(f)(x)
    assert h.shape == (4, 4)
    close(h, a + a.T)
    close(fnx.grad(f)(x), (a + a.T) @ to_numpy(x))


@pytest.mark.parametrize("jac", [fnx.jacfwd, fnx.jacrev], ids=["jacfwd", "jacrev"])
def test_jacobian_of_linear_map(jac):
    rng = np.random.default_rng(1)
    m = rng.standard_normal((3, 5))
    x = arr(rng.standard_normal(5))
    j = jac(lambda x: arr(m) @ x)(x)
    assert j.shape == (3, 5)
    close(j, m)


@pytest.mark.parametrize("jac", [fnx.jacfwd, fnx.jacrev], ids=["jacfwd", "jacrev"])
def test_jacobian_layout_matrix_in_matrix_out(jac):
    """out.shape + in.shape (JAX's layout): d (x A)_ij / d x_kl = delta_ik A_lj."""
    rng = np.random.default_rng(2)
    a = rng.standard_normal((3, 4))
    x = arr(rng.standard_normal((2, 3)))
    j = jac(lambda x: x @ arr(a))(x)
    assert j.shape == (2, 4, 2, 3)
    expected = np.einsum("ik,lj->ijkl", np.eye(2), a)
    close(j, expected)


@pytest.mark.parametrize("jac", [fnx.jacfwd, fnx.jacrev], ids=["jacfwd", "jacrev"])
def test_jacobian_pytrees_and_argnums(jac):
    x, y = arr([1.0, 2.0]), arr([3.0, 4.0, 5.0])

    def f(x, y):
        return {"s": fnp.sum(x) * y, "p": x * 2.0}

    j = jac(f, argnums=(0, 1))(x, y)
    assert set(j) == {"s", "p"}
    close(j["s"][0], np.outer(to_numpy(y), np.ones(2)))
    close(j["s"][1], np.eye(3) * 3.0)
    close(j["p"][0], 2 * np.eye(2))
    close(j["p"][1], np.zeros((2, 3)))


def test_grad_of_grad_of_grad():
    f = lambda x: x ** 4  # noqa: E731
    x = arr(1.7)
    close(fnx.grad(f)(x), 4 * 1.7 ** 3)
    close(fnx.grad(fnx.grad(f))(x), 12 * 1.7 ** 2)
    close(fnx.grad(fnx.grad(fnx.grad(f)))(x), 24 * 1.7)
    close(fnx.grad(fnx.grad(fnx.grad(fnx.grad(f))))(x), 24.0)


def test_hessian_equals_jacfwd_of_jacrev_and_jacrev_of_jacfwd():
    rng = np.random.default_rng(3)
    x = arr(rng.standard_normal(3))
    f = lambda x: fnp.sum(fnp.sin(x) * x[::-1]) + fnp.prod(x) ** 2  # noqa: E731
    h = fnx.hessian(f)(x)
    close(fnx.jacfwd(fnx.jacrev(f))(x), to_numpy(h), 1e-12, 1e-12)
    close(fnx.jacrev(fnx.jacfwd(f))(x), to_numpy(h), 1e-12, 1e-12)
    close(fnx.jacfwd(fnx.jacfwd(f))(x), to_numpy(h), 1e-12, 1e-12)
    close(h, to_numpy(h).T, 1e-12, 1e-12)  # symmetric


def test_hessian_of_pytree_function():
    p = {"a": arr([0.5, -1.0]), "b": arr(2.0)}

    def f(p):
        return fnp.sum(p["a"] ** 2) * p["b"] + p["b"] ** 3

    h = fnx.hessian(f)(p)
    a, b = to_numpy(p["a"]), 2.0
    assert set(h) == {"a", "b"} and set(h["a"]) == {"a", "b"} and set(h["b"]) == {"a", "b"}
    close(h["a"]["a"], 2 * b * np.eye(2))
    close(h["a"]["b"], 2 * a)          # shape a.shape + b.shape = (2,)
    close(h["b"]["a"], 2 * a)
    close(h["b"]["b"], 6 * b)


# ---------------------------------------------------------------------------------------------
# grad / value_and_grad: argnums, has_aux, pytrees
# ---------------------------------------------------------------------------------------------

def _f3(x, y, z):
    return fnp.sum(x * y) + fnp.sum(fnp.sin(z))


def test_argnums_int_and_tuple():
    x, y, z = arr([1.0, 2.0]), arr([3.0, -1.0]), arr([0.2, 0.4])
    close(fnx.grad(_f3)(x, y, z), to_numpy(y))
    close(fnx.grad(_f3, argnums=1)(x, y, z), to_numpy(x))
    close(fnx.grad(_f3, argnums=-1)(x, y, z), np.cos(to_numpy(z)))
    g = fnx.grad(_f3, argnums=(0, 2))(x, y, z)
    assert isinstance(g, tuple) and len(g) == 2
    close(g[0], to_numpy(y))
    close(g[1], np.cos(to_numpy(z)))
    g1 = fnx.grad(_f3, argnums=(1,))(x, y, z)
    assert isinstance(g1, tuple) and len(g1) == 1
    close(g1[0], to_numpy(x))


def test_value_and_grad():
    x, y, z = arr([1.0, 2.0]), arr([3.0, -1.0]), arr([0.2, 0.4])
    v, g = fnx.value_and_grad(_f3, argnums=(0, 1))(x, y, z)
    close(v, 1.0 + np.sin(0.2) + np.sin(0.4))
    close(g[0], to_numpy(y))
    close(g[1], to_numpy(x))


def test_grad_kwargs_are_not_differentiated():
    f = lambda x, *, scale: fnp.sum(x * x) * scale  # noqa: E731
    close(fnx.grad(f)(arr([1.0, 2.0]), scale=3.0), [6.0, 12.0])


def test_has_aux():
    def loss(w, x):
        pred = fnp.tanh(w * x)
        return fnp.sum(pred ** 2), {"pred": pred, "n": 3}

    w, x = arr(0.3), arr([1.0, -2.0, 0.5])
    g, aux = fnx.grad(loss, has_aux=True)(w, x)
    t = np.tanh(0.3 * to_numpy(x))
    close(g, np.sum(2 * t * (1 - t ** 2) * to_numpy(x)))
    close(aux["pred"], t)
    assert aux["n"] == 3 and type(aux["n"]) is int  # non-array aux leaves pass through (JAX)
    (v, aux2), g2 = fnx.value_and_grad(loss, has_aux=True)(w, x)
    close(v, np.sum(t ** 2))
    close(g2, to_numpy(g))
    close(aux2["pred"], t)


def test_has_aux_requires_a_pair():
    with pytest.raises(FnxError, match="pair"):
        fnx.grad(lambda x: fnp.sin(x), has_aux=True)(arr(1.0))


@pytest.mark.parametrize("container", ["dict", "list", "tuple", "nested"])
def test_grad_pytree_args(container):
    a, b = arr([1.0, -2.0]), arr([[0.5, 1.5], [2.0, -1.0]])
    if container == "dict":
        params = {"a": a, "b": b}
        f = lambda p: fnp.sum(p["a"] ** 2) + fnp.sum(fnp.sin(p["b"]))  # noqa: E731
        expected = {"a": 2 * to_numpy(a), "b": np.cos(to_numpy(b))}
    elif container == "list":
        params = [a, b]
        f = lambda p: fnp.sum(p[0] ** 2) + fnp.sum(fnp.sin(p[1]))  # noqa: E731
        expected = [2 * to_numpy(a), np.cos(to_numpy(b))]
    elif container == "tuple":
        params = (a, b)
        f = lambda p: fnp.sum(p[0] ** 2) + fnp.sum(fnp.sin(p[1]))  # noqa: E731
        expected = (2 * to_numpy(a), np.cos(to_numpy(b)))
    else:
        params = {"layers": [(a, b)], "scale": arr(2.0)}
        f = lambda p: p["scale"] * (fnp.sum(p["layers"][0][0] ** 2)  # noqa: E731
                                    + fnp.sum(fnp.sin(p["layers"][0][1])))
        expected = {"layers": [(4 * to_numpy(a), 2 * np.cos(to_numpy(b)))],
                    "scale": np.sum(to_numpy(a) ** 2) + np.sum(np.sin(to_numpy(b)))}
    g = fnx.grad(f)(params)
    tree_close(g, expected)


def test_grad_pytree_with_none_and_int_leaves_in_other_args():
    """Only argnums are differentiated: other arguments may hold anything."""
    def f(x, cfg):
        return fnp.sum(x ** cfg["power"]) * (2.0 if cfg["double"] else 1.0)

    close(fnx.grad(f)(arr([1.0, 2.0]), {"power": 3, "double": True, "unused": None}),
          [6.0, 24.0])


def test_vjp_basic_and_pytree_output():
    x = arr([0.5, 1.0, 2.0])

    def f(x):
        return {"sin": fnp.sin(x), "sum": fnp.sum(x ** 2)}

    out, pullback = fnx.vjp(f, x)
    close(out["sin"], np.sin(to_numpy(x)))
    ct = {"sin": arr([1.0, 2.0, 3.0]), "sum": arr(0.5)}
    (g,) = pullback(ct)
    close(g, np.cos(to_numpy(x)) * [1, 2, 3] + 0.5 * 2 * to_numpy(x))


def test_vjp_has_aux():
    x = arr([0.5, 1.0])
    out, pullback, aux = fnx.vjp(lambda x: (fnp.exp(x), {"x2": x * 2}), x, has_aux=True)
    close(out, np.exp(to_numpy(x)))
    close(aux["x2"], 2 * to_numpy(x))
    (g,) = pullback(arr([1.0, -1.0]))
    close(g, np.exp(to_numpy(x)) * [1, -1])


def test_vjp_multiple_primals_and_pytree_primals():
    x, p = arr([1.0, 2.0]), {"w": arr(3.0)}
    out, pullback = fnx.vjp(lambda x, p: x * p["w"], x, p)
    gx, gp = pullback(arr([1.0, 1.0]))
    close(gx, [3.0, 3.0])
    assert set(gp) == {"w"}
    close(gp["w"], 3.0)


def test_jvp_and_linearize():
    rng = np.random.default_rng(4)
    x, t = arr(rng.standard_normal(4)), arr(rng.standard_normal(4))
    f = lambda x: fnp.sin(x) * fnp.exp(x) + fnp.sum(x ** 2)  # noqa: E731
    y, jt = fnx.jvp(f, (x,), (t,))
    xn, tn = to_numpy(x), to_numpy(t)
    close(y, np.sin(xn) * np.exp(xn) + np.sum(xn ** 2))
    close(jt, (np.cos(xn) * np.exp(xn) + np.sin(xn) * np.exp(xn)) * tn + 2 * np.dot(xn, tn))
    y2, f_jvp = fnx.linearize(f, x)
    close(y2, to_numpy(y))
    close(f_jvp(t), to_numpy(jt))
    t2 = arr(rng.standard_normal(4))
    _, jt2 = fnx.jvp(f, (x,), (t2,))
    close(f_jvp(t2), to_numpy(jt2))  # the linearized function is reusable


def test_jvp_pytrees_and_has_aux():
    p = {"a": arr([1.0, 2.0]), "b": arr(0.5)}
    t = {"a": arr([1.0, 0.0]), "b": arr(2.0)}
    out, tout, aux = fnx.jvp(lambda p: (p["a"] * p["b"], "aux"), (p,), (t,), has_aux=True)
    close(out, [0.5, 1.0])
    close(tout, [1.0 * 0.5 + 1.0 * 2.0, 0.0 + 2.0 * 2.0])
    assert aux == "aux"


def test_stop_gradient():
    x = arr(3.0)
    close(fnx.grad(lambda x: x * fnx.stop_gradient(x))(x), 3.0)
    close(fnx.grad(lambda x: fnx.stop_gradient(x ** 2) + x)(x), 1.0)
    # a stop_gradient'd subexpression is a constant for all orders
    close(fnx.grad(fnx.grad(lambda x: x ** 2 * fnx.stop_gradient(x)))(x), 6.0)
    _, t = fnx.jvp(lambda x: fnx.stop_gradient(fnp.sin(x)), (x,), (arr(1.0),))
    close(t, 0.0)


def test_eager_python_control_flow_inside_grad():
    def f(x):
        if x > 0:            # a traced value used as a Python bool: fine in eager mode
            return x ** 2
        return -x * 3.0

    close(fnx.grad(f)(arr(2.0)), 4.0)
    close(fnx.grad(f)(arr(-2.0)), -3.0)
    close(fnx.grad(fnx.grad(f))(arr(2.0)), 2.0)

    def loop(x):
        y = x
        while float(y) < 100:    # data-dependent loop
            y = y * x
        return y

    close(fnx.grad(loop)(arr(3.0)), 5 * 3.0 ** 4)  # 3**5 = 243 >= 100


def test_integer_argument_of_jvp_and_vjp_has_zero_derivative():
    f = lambda x, n: x ** 2 * n  # noqa: E731
    x, n = arr(3.0), fnp.asarray(np.int32(2))
    _, t = fnx.jvp(f, (x, n), (arr(1.0), fnp.asarray(np.int32(0))))
    close(t, 12.0)
    _, pullback = fnx.vjp(f, x, n)
    gx, gn = pullback(arr(1.0))
    close(gx, 12.0)
    assert np.all(to_numpy(gn) == 0)


# ---------------------------------------------------------------------------------------------
# custom_jvp / custom_vjp
# ---------------------------------------------------------------------------------------------

@fnx.custom_jvp
def _softplus(x):
    return fnp.log1p(fnp.exp(x))


@_softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return _softplus(x), t * lax.logistic(x)


def test_custom_jvp_is_used_and_differentiable_twice():
    x = arr([-1.0, 0.0, 2.0])
    xn = to_numpy(x)
    s = 1 / (1 + np.exp(-xn))
    close(_softplus(x), np.log1p(np.exp(xn)))
    close(fnx.grad(lambda x: fnp.sum(_softplus(x)))(x), s)
    close(fnx.grad(lambda x: fnp.sum(fnx.grad(lambda y: fnp.sum(_softplus(y)))(x)))(x),
          s * (1 - s))
    _, t = fnx.jvp(_softplus, (x,), (arr([1.0, 2.0, 3.0]),))
    close(t, s * [1, 2, 3])
    check_grads(_softplus, (x,), order=2)


def test_custom_jvp_rule_replaces_the_body():
    """The rule wins even when it is 'wrong' (here: a straight-through estimator)."""
    @fnx.custom_jvp
    def ste_round(x):
        return fnp.round(x)

    @ste_round.defjvp
    def _(primals, tangents):
        return ste_round(primals[0]), tangents[0]

    close(fnx.grad(lambda x: fnp.sum(ste_round(x) * x))(arr([0.4, 1.6])),
          [0.0 + 0.4, 2.0 + 1.6])


def test_custom_jvp_nondiff_argnums():
    @functools.partial(fnx.custom_jvp, nondiff_argnums=(0,))
    def scaled_sin(k, x):
        return fnp.sin(k * x)

    @scaled_sin.defjvp
    def _(k, primals, tangents):
        (x,), (t,) = primals, tangents
        return scaled_sin(k, x), k * fnp.cos(k * x) * t

    x = arr(0.3)
    close(scaled_sin(3.0, x), np.sin(0.9))
    close(fnx.grad(lambda x: scaled_sin(3.0, x))(x), 3 * np.cos(0.9))
    close(fnx.grad(fnx.grad(lambda x: scaled_sin(3.0, x)))(x), -9 * np.sin(0.9))


def _powered_by_a_key_loop(k, a):
    """a ** (k[0] % 3 + 2), by a while_loop whose trip count depends on the (integer) k."""
    def cond(c):
        return c[0] < (k[0] % 3 + 1)

    def body(c):
        return c[0] + 1, c[1] * a
    return lax.while_loop(cond, body, (fnp.uint32(0), a))[1]


@pytest.mark.parametrize("kind", ["custom_jvp", "custom_vjp"])
def test_traced_nondiff_argument_batched_through_a_while_loop(kind):
    # a nondiff argument batched by vmap was closed over: its BatchTracer leaked out of the
    # while_loop as the result (a helper's random.gamma with the key nondiff hit it)
    if kind == "custom_jvp":
        f = fnx.custom_jvp(_powered_by_a_key_loop, nondiff_argnums=(0,))
        f.defjvp(lambda k, p, t: (f(k, p[0]), t[0] * 2.0 * f(k, p[0])))
    else:
        f = fnx.custom_vjp(_powered_by_a_key_loop, nondiff_argnums=(0,))
        f.defvjp(lambda k, a: (f(k, a), f(k, a)), lambda k, y, g: (g * 2.0 * y,))
    keys = fnp.arange(6, dtype=fnp.uint32).reshape(3, 2)
    alphas = fnp.asarray([1.0, 2.0, 3.0])
    powers = np.array([0, 2, 4]) % 3 + 2
    want = np.array([1.0, 2.0, 3.0]) ** powers
    got = fnx.vmap(f)(keys, alphas)
    assert isinstance(got, fnx.Array)
    close(got, want)
    per_example_grad = fnx.vmap(lambda k, a: fnx.grad(lambda b: f(k, b))(a))
    close(per_example_grad(keys, alphas), 2.0 * want)      # the rule's (not the true) derivative
    close(fnx.jit(per_example_grad)(keys, alphas), 2.0 * want)
    close(fnx.jit(fnx.vmap(f))(keys, alphas), want)


def test_custom_jvp_defjvps():
    @fnx.custom_jvp
    def f(x, y):
        return fnp.sin(x) * y

    f.defjvps(lambda t, ans, x, y: fnp.cos(x) * t * y,
              lambda t, ans, x, y: fnp.sin(x) * t)
    x, y = arr(0.5), arr(2.0)
    gx, gy = fnx.grad(f, argnums=(0, 1))(x, y)
    close(gx, np.cos(0.5) * 2)
    close(gy, np.sin(0.5))
    close(fnx.grad(fnx.grad(f))(x, y), -np.sin(0.5) * 2)
    check_grads(f, (x, y), order=2)


@fnx.custom_vjp
def _clip_grad(x, bound):
    return x


def _clip_grad_fwd(x, bound):
    return x, bound


def _clip_grad_bwd(bound, g):
    return fnp.clip(g, -bound, bound), None


_clip_grad.defvjp(_clip_grad_fwd, _clip_grad_bwd)


def test_custom_vjp_is_used():
    x = arr([1.0, 2.0])
    g = fnx.grad(lambda x: fnp.sum(_clip_grad(x, arr(0.5)) * arr([10.0, 0.1])))(x)
    close(g, [0.5, 0.1])


@fnx.custom_vjp
def _cube(x):
    return x ** 3


def _cube_fwd(x):
    return x ** 3, x


def _cube_bwd(x, g):
    return (3.0 * x ** 2 * g,)


_cube.defvjp(_cube_fwd, _cube_bwd)


def test_custom_vjp_grad_of_grad():
    """The bwd rule is itself differentiated by the outer grad."""
    x = arr(1.5)
    close(fnx.grad(_cube)(x), 3 * 1.5 ** 2)
    close(fnx.grad(fnx.grad(_cube))(x), 6 * 1.5)
    close(fnx.grad(fnx.grad(fnx.grad(_cube)))(x), 6.0)
    check_grads(_cube, (arr([0.5, -1.2]),), order=2, modes=("rev",))


def test_custom_vjp_with_nondiff_argnums_and_pytrees():
    @fnx.custom_vjp
    def f(p):
        return p["a"] * p["b"]

    def fwd(p):
        return f(p), p

    def bwd(p, g):
        return ({"a": g * p["b"], "b": fnp.sum(g * p["a"])},)

    f.defvjp(fwd, bwd)
    p = {"a": arr([1.0, 2.0]), "b": arr(3.0)}
    g = fnx.grad(lambda p: fnp.sum(f(p)))(p)
    close(g["a"], [3.0, 3.0])
    close(g["b"], 3.0)

    def apply(fn, x):
        return fn(x)

    apply_v = fnx.custom_vjp(apply, nondiff_argnums=(0,))
    apply_v.defvjp(lambda fn, x: (fn(x), x), lambda fn, x, g: (g * 100.0,))
    close(fnx.grad(lambda x: apply_v(fnp.sin, x))(arr(0.2)), 100.0)


def test_jvp_of_custom_vjp_is_a_clear_error():
    with pytest.raises(FnxError, match="custom_vjp"):
        fnx.jvp(_cube, (arr(1.0),), (arr(1.0),))


# issue 16: a custom rule's wrongly shaped / typed output used to flow into the result (grad
# returned the bwd's shape) or was dropped (zero gradients); it must raise naming the rule.
def _bwd_returning(make_ct):
    @fnx.custom_vjp
    def scaled(x, y):
        return x * y
    scaled.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: make_ct(res, g))
    return scaled


@pytest.mark.parametrize("make_ct, expected", [
    (lambda r, g: (fnp.ones(3) * fnp.sum(g), g * r[0]),
     r"'scaled'.*same shape/dtypes.*output\[0\].*float64\[3\].*input of shape/dtype float64\[2\]"),
    (lambda r, g: (g * r[1], fnp.asarray(np.ones(2, np.int32))),
     r"'scaled'.*output\[1\].*int32\[2\].*float64\[2\]"),
    (lambda r, g: (g * r[1],), r"'scaled'.*one cotangent per differentiable argument \(2\).*length 1"),
    (lambda r, g: g * r[1],
     r"'scaled'.*one cotangent per differentiable argument \(2\).*single array float64\[2\]"),
])
def test_custom_vjp_bwd_output_is_checked(make_ct, expected):
    f = _bwd_returning(make_ct)
    x = arr([1.0, 2.0])
    for transform in (lambda g: g, fnx.jit):
        with pytest.raises(AutodiffError, match=expected):
            transform(fnx.grad(lambda x: fnp.sum(f(x, x))))(x)
    with pytest.raises(AutodiffError, match=expected):
        fnx.vmap(fnx.grad(lambda x: fnp.sum(f(x, x))))(arr([[1.0, 2.0]]))


def test_custom_vjp_bwd_pytree_cotangent_is_checked():
    @fnx.custom_vjp
    def f(p):
        return p["w"] * p["b"]
    f.defvjp(lambda p: (f(p), p), lambda p, g: ({"w": g * p["b"], "b": fnp.sum(g)},))
    with pytest.raises(AutodiffError, match=r"output\[0\]\['b'\].*float64\[\].*float64\[2\]"):
        fnx.grad(lambda p: fnp.sum(f(p)))({"w": arr([1.0, 2.0]), "b": arr([3.0, 4.0])})
    # a Python scalar cotangent of a scalar input takes the input's dtype (it is not an error)
    f.defvjp(lambda p: (f(p), p), lambda p, g: ({"w": g * p["b"], "b": 0.0},))
    g = fnx.grad(lambda p: f(p))({"w": arr(2.0), "b": arr(3.0)})
    assert to_numpy(g["b"]).dtype == np.float64 and float(to_numpy(g["w"])) == 3.0


@pytest.mark.parametrize("bad_tangent, expected", [
    (lambda x, t: fnp.ones(3) * fnp.sum(t),
     r"'twice'.*tangent is float64\[3\] and the primal output float64\[2\]"),
    (lambda x, t: fnp.asarray(np.ones(2, np.int32)), r"'twice'.*tangent is int32\[2\]"),
    (lambda x, t: (t, t), r"'twice'.*same pytree structure"),
])
def test_custom_jvp_tangent_output_is_checked(bad_tangent, expected):
    @fnx.custom_jvp
    def twice(x):
        return 2.0 * x

    @twice.defjvp
    def _(primals, tangents):
        return twice(primals[0]), bad_tangent(primals[0], tangents[0])

    x = arr([1.0, 2.0])
    with pytest.raises(AutodiffError, match=expected):
        fnx.jvp(twice, (x,), (x,))
    for transform in (lambda g: g, fnx.jit):
        with pytest.raises(AutodiffError, match=expected):
            transform(fnx.grad(lambda x: fnp.sum(twice(x))))(x)
    with pytest.raises(AutodiffError, match=expected):
        fnx.vmap(fnx.grad(lambda x: fnp.sum(twice(x))))(arr([[1.0, 2.0]]))


# ---------------------------------------------------------------------------------------------
# make_jaxpr of a gradient
# ---------------------------------------------------------------------------------------------

def test_make_jaxpr_of_grad_contains_the_backward_pass():
    text = str(fnx.make_jaxpr(fnx.grad(fnp.sin))(arr(1.0)))
    assert "cos" in text and "mul" in text, text
    text2 = str(fnx.make_jaxpr(fnx.grad(lambda x: fnp.sum(fnp.exp(x) * x)))(arr([1.0, 2.0])))
    assert "exp" in text2 and "mul" in text2, text2


def test_make_jaxpr_of_grad_evaluates_like_grad():
    from fnx.core import eval_jaxpr
    f = lambda x: fnp.sum(fnp.tanh(x) ** 2)  # noqa: E731
    x = arr([0.1, -0.7, 1.3])
    closed = fnx.make_jaxpr(fnx.grad(f))(x)
    jaxpr = getattr(closed, "jaxpr", closed)
    consts = list(getattr(closed, "consts", []))
    out = eval_jaxpr(jaxpr, consts + [x])
    close(out[0], to_numpy(fnx.grad(f)(x)))


# ---------------------------------------------------------------------------------------------
# Numerically delicate gradients
# ---------------------------------------------------------------------------------------------

def _softmax_np(x):
    e = np.exp(x - np.max(x))
    return e / e.sum()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logsumexp_gradient_at_large_inputs(dtype):
    xn = np.array([1000.0, 1000.5, 999.0, -1000.0])
    x = arr(xn, dtype)
    g = fnx.grad(lambda x: fnp.logsumexp(x))(x)
    assert np.all(np.isfinite(to_numpy(g)))
    close(g, _softmax_np(xn), rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-7)
    # along an axis
    xm = arr(np.stack([xn, -xn]), dtype)
    gm = fnx.grad(lambda x: fnp.sum(fnp.logsumexp(x, axis=1)))(xm)
    close(gm, np.stack([_softmax_np(xn), _softmax_np(-xn)]),
          rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softplus_via_logaddexp(dtype):
    softplus = lambda x: fnp.logaddexp(x, 0.0)  # noqa: E731
    xn = np.array([-1000.0, -100.0, -3.0, 0.5, 3.0, 100.0, 1000.0])
    g = fnx.grad(lambda x: fnp.sum(softplus(x)))(arr(xn, dtype))
    with np.errstate(over="ignore"):
        expected = 1 / (1 + np.exp(-xn))
    assert np.all(np.isfinite(to_numpy(g)))
    close(g, expected, rtol=1e-6, atol=1e-30)
    gg = fnx.grad(lambda x: fnp.sum(fnx.grad(lambda y: fnp.sum(softplus(y)))(x)))(arr(xn, dtype))
    assert np.all(np.isfinite(to_numpy(gg)))
    close(gg, expected * (1 - expected), rtol=1e-5, atol=1e-7)


def test_softplus_via_logaddexp_at_zero():
    """logaddexp(x, 0) at x = 0 is smooth (slope 1/2) although it is built on max/abs."""
    close(fnx.grad(lambda x: fnp.logaddexp(x, 0.0))(arr(0.0)), 0.5)
    close(fnx.grad(lambda x: fnp.logaddexp(x, x))(arr(1.0)), 1.0)


# issue 16: logaddexp / logaddexp2 were built on max / abs, whose derivatives ignore the tie, so
# every derivative past the first was 0 where x1 == x2.
@pytest.mark.parametrize("fn, log_base", [(fnp.logaddexp, 1.0), (fnp.logaddexp2, math.log(2))])
def test_logaddexp_higher_derivatives_at_a_tie(fn, log_base):
    # f = log_b(b**x + b**y): f_x = s, s = logistic((x - y) ln b); f_xx = ln b * s (1 - s);
    # f_xxx = ln(b)^2 * s (1 - s) (1 - 2 s); at x == y: s = 1/2, f_xx = ln(b) / 4, f_xxx = 0.
    y = 0.3
    d1 = fnx.grad(lambda x: fn(x, y))
    d2 = fnx.grad(d1)
    d3 = fnx.grad(d2)
    close(d1(arr(y)), 0.5)
    close(d2(arr(y)), log_base / 4)
    close(d3(arr(y)), 0.0)
    close(fnx.grad(fnx.grad(lambda x: fn(y, x)))(arr(y)), log_base / 4)
    # the mixed partial f_xy = -ln b * s (1 - s)
    close(fnx.grad(fnx.grad(fn, argnums=0), argnums=1)(arr(y), arr(y)), -log_base / 4)
    # and the same against central differences of the first derivative
    h = 1e-5
    fd = (float(to_numpy(d1(arr(y + h)))) - float(to_numpy(d1(arr(y - h))))) / (2 * h)
    close(d2(arr(y)), fd, rtol=1e-8, atol=0)
    # under jit and vmap too (the rule survives staging and batching)
    close(fnx.jit(d2)(arr(y)), log_base / 4)
    close(fnx.vmap(d2)(arr([y, y])), [log_base / 4] * 2)
    check_grads(lambda x: fn(x, arr([y, -1.0, 2.0])), (arr([y, -1.0, 1.5]),), order=3)


def test_log1p_expm1_near_zero():
    for x in (1e-12, -1e-9, 1e-5, 0.0):
        close(fnx.grad(fnp.log1p)(arr(x)), 1 / (1 + x), rtol=1e-15)
        close(fnx.grad(fnp.expm1)(arr(x)), math.exp(x), rtol=1e-15)
        close(fnx.grad(fnx.grad(fnp.log1p))(arr(x)), -1 / (1 + x) ** 2, rtol=1e-15)
        close(fnx.grad(fnx.grad(fnp.expm1))(arr(x)), math.exp(x), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logistic_gradient_in_the_tails(dtype):
    g = fnx.grad(lambda x: fnp.sum(lax.logistic(x)))(arr([-50.0, 50.0, 0.0], dtype))
    g = to_numpy(g)
    assert np.all(np.isfinite(g)) and np.all(g >= 0), g
    if dtype == np.float64:
        close(g[0], math.exp(-50), rtol=1e-10, atol=0)  # s (1 - s) with s = e^-50
    assert g[1] <= 1e-20
    close(g[2], 0.25)


def test_sqrt_gradient_at_zero_is_inf():
    g = fnx.grad(fnp.sqrt)(arr(0.0))
    assert np.isposinf(to_numpy(g)), g  # as numpy: 0.5 / sqrt(0)
    close(fnx.grad(fnp.sqrt)(arr(4.0)), 0.25)


def test_double_where_trick_has_finite_gradients():
    def f(x):
        safe = fnp.where(x > 0, x, 1.0)
        return fnp.where(x > 0, fnp.sqrt(safe), 0.0)

    x = arr([-1.0, 0.0, 4.0])
    g = fnx.grad(lambda x: fnp.sum(f(x)))(x)
    assert np.all(np.isfinite(to_numpy(g))), g
    close(g, [0.0, 0.0, 0.25])
    gg = fnx.grad(lambda x: fnp.sum(fnx.grad(lambda y: fnp.sum(f(y)))(x)))(x)
    assert np.all(np.isfinite(to_numpy(gg))), gg
    close(gg, [0.0, 0.0, -0.25 / 2 / 4])  # d2 sqrt = -1/4 x^-3/2


def test_abs_and_maximum_gradients_away_from_kinks():
    x = arr([-2.0, 3.0])
    close(fnx.grad(lambda x: fnp.sum(fnp.abs(x)))(x), [-1.0, 1.0])
    close(fnx.grad(lambda x: fnp.sum(fnp.maximum(x, 0.0)))(x), [0.0, 1.0])


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

def _is_type_or_value_error(e):
    return isinstance(e, FnxError) and isinstance(e, (TypeError, ValueError))


def test_grad_of_non_scalar_output_error():
    with pytest.raises(FnxError) as info:
        fnx.grad(lambda x: fnp.sin(x))(arr([1.0, 2.0, 3.0]))
    e = info.value
    assert _is_type_or_value_error(e)
    msg = str(e)
    assert "(3,)" in msg and "jacrev" in msg and "vjp" in msg, msg


def test_grad_of_pytree_output_error():
    with pytest.raises(FnxError) as info:
        fnx.grad(lambda x: (fnp.sum(x), fnp.sum(x)))(arr([1.0, 2.0]))
    assert _is_type_or_value_error(info.value)
    assert "scalar" in str(info.value)


def test_grad_of_integer_argument_error():
    with pytest.raises(FnxError) as info:
        fnx.grad(lambda x: fnp.sum(x * 1.0))(fnp.asarray(np.array([1, 2], np.int32)))
    assert _is_type_or_value_error(info.value)
    assert "int32" in str(info.value), str(info.value)
    with pytest.raises(FnxError):
        fnx.grad(lambda x: x * 1.0)(3)  # a Python int


def test_grad_of_integer_output_error():
    with pytest.raises(FnxError) as info:
        fnx.grad(lambda x: fnp.argmax(x))(arr([1.0, 2.0]))
    assert _is_type_or_value_error(info.value)


def test_vjp_cotangent_shape_mismatch_error():
    _, pullback = fnx.vjp(fnp.sin, arr([1.0, 2.0, 3.0]))
    with pytest.raises(FnxError) as info:
        pullback(arr([1.0, 2.0]))
    assert _is_type_or_value_error(info.value)
    msg = str(info.value)
    assert "(2,)" in msg and "(3,)" in msg, msg


def test_vjp_cotangent_structure_mismatch_error():
    _, pullback = fnx.vjp(lambda x: (x, x), arr([1.0]))
    with pytest.raises(FnxError) as info:
        pullback(arr([1.0]))
    assert _is_type_or_value_error(info.value)


def test_argnums_out_of_range_error():
    f = lambda x, y: fnp.sum(x * y)  # noqa: E731
    for argnums in (2, (0, 5), -3):
        with pytest.raises(FnxError) as info:
            fnx.grad(f, argnums=argnums)(arr(1.0), arr(2.0))
        assert _is_type_or_value_error(info.value)
        assert "argnums" in str(info.value)
    with pytest.raises(FnxError):
        fnx.jacrev(f, argnums=4)(arr(1.0), arr(2.0))
    with pytest.raises(FnxError):
        fnx.jacfwd(f, argnums=4)(arr(1.0), arr(2.0))


def test_jvp_tangent_mismatch_errors():
    with pytest.raises(FnxError) as info:
        fnx.jvp(fnp.sin, (arr([1.0, 2.0]),), (arr([1.0, 2.0, 3.0]),))
    assert _is_type_or_value_error(info.value)
    with pytest.raises(FnxError) as info:
        fnx.jvp(fnp.sin, (arr([1.0, 2.0]),), (arr([1.0, 2.0], np.float32),))
    assert "float32" in str(info.value)
    with pytest.raises(FnxError):
        fnx.jvp(fnp.sin, arr(1.0), arr(1.0))  # not tuples


# ---------------------------------------------------------------------------------------------
# An MLP loss against finite differences
# ---------------------------------------------------------------------------------------------

def _mlp_params(rng, sizes):
    params = []
    for m, n in zip(sizes[:-1], sizes[1:]):
        params.append({"w": arr(rng.standard_normal((m, n)) / np.sqrt(m)),
                       "b": arr(rng.standard_normal(n) * 0.1)})
    return params


def _mlp_loss(params, x, labels):
    h = x
    for layer in params[:-1]:
        h = fnp.tanh(h @ layer["w"] + layer["b"])
    logits = h @ params[-1]["w"] + params[-1]["b"]
    log_probs = logits - fnp.logsumexp(logits, axis=-1, keepdims=True)
    return -fnp.mean(fnp.sum(labels * log_probs, axis=-1))


def _mlp_loss_np(params, x, labels):
    h = x
    for layer in params[:-1]:
        h = np.tanh(h @ layer["w"] + layer["b"])
    logits = h @ params[-1]["w"] + params[-1]["b"]
    m = logits.max(-1, keepdims=True)
    lp = logits - (m + np.log(np.exp(logits - m).sum(-1, keepdims=True)))
    return -np.mean(np.sum(labels * lp, -1))


def test_mlp_loss_gradient_against_finite_differences():
    rng = np.random.default_rng(5)
    params = _mlp_params(rng, [5, 4, 3])
    x = arr(rng.standard_normal((6, 5)))
    labels = arr(np.eye(3)[rng.integers(0, 3, 6)])
    loss, g = fnx.value_and_grad(_mlp_loss)(params, x, labels)
    np_params = fnx.tree.map(to_numpy, params)
    close(loss, _mlp_loss_np(np_params, to_numpy(x), to_numpy(labels)), rtol=1e-12)
    # every parameter element by central differences on the numpy loss
    eps = 1e-6
    for i, layer in enumerate(np_params):
        for name, value in layer.items():
            fd = np.zeros_like(value)
            for idx in np.ndindex(value.shape):
                plus = fnx.tree.map(np.copy, np_params)
                minus = fnx.tree.map(np.copy, np_params)
                plus[i][name][idx] += eps
                minus[i][name][idx] -= eps
                fd[idx] = (_mlp_loss_np(plus, to_numpy(x), to_numpy(labels))
                           - _mlp_loss_np(minus, to_numpy(x), to_numpy(labels))) / (2 * eps)
            close(g[i][name], fd, rtol=1e-7, atol=1e-9)
    # and the whole thing through check_grads, second order included
    check_grads(lambda p: _mlp_loss(p, x, labels), (params,), order=2)


def test_mlp_loss_gradient_float32_close_to_float64():
    rng = np.random.default_rng(6)
    params = _mlp_params(rng, [8, 6, 4])
    x = rng.standard_normal((5, 8))
    labels = np.eye(4)[rng.integers(0, 4, 5)]
    g64 = fnx.grad(_mlp_loss)(params, arr(x), arr(labels))
    p32 = fnx.tree.map(lambda a: fnp.asarray(to_numpy(a).astype(np.float32)), params)
    g32 = fnx.grad(_mlp_loss)(p32, arr(x, np.float32), arr(labels, np.float32))
    for a, b in zip(fnx.tree.leaves(g32), fnx.tree.leaves(g64)):
        assert a.dtype == np.float32
        close(a, to_numpy(b), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# check_grads itself
# ---------------------------------------------------------------------------------------------

def test_check_grads_accepts_correct_derivatives():
    x = arr([0.3, -1.2, 2.0])
    check_grads(lambda x: fnp.sin(x) * fnp.exp(x), (x,), order=2)
    check_grads(lambda p: fnp.sum(p["a"] * p["b"]), ({"a": x, "b": x[::-1]},), order=2)
    check_grads(lambda x: fnp.sin(x), (arr([0.3, 1.0], np.float32),), order=1)


def test_check_grads_catches_a_wrong_jvp_rule():
    @fnx.custom_jvp
    def wrong(x):
        return fnp.sin(x)

    @wrong.defjvp
    def _(primals, tangents):
        return fnp.sin(primals[0]), 1.01 * fnp.cos(primals[0]) * tangents[0]

    with pytest.raises(AssertionError, match="JVP.*finite differences"):
        check_grads(wrong, (arr([0.3, 1.0]),), order=1, modes=("fwd",))


def test_check_grads_catches_a_wrong_vjp_rule():
    @fnx.custom_vjp
    def wrong(x):
        return fnp.sin(x)

    wrong.defvjp(lambda x: (fnp.sin(x), x), lambda x, g: (fnp.cos(x) * g * 1.01,))
    with pytest.raises(AssertionError, match="VJP"):
        check_grads(wrong, (arr([0.3, 1.0]),), order=1, modes=("rev",))


def test_check_grads_catches_a_wrong_second_derivative():
    @fnx.custom_jvp
    def f(x):
        return x ** 3

    @f.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        # right first derivative, whose own derivative is wrong (stop_gradient hides 3x^2's)
        return x ** 3, 3.0 * fnx.stop_gradient(x ** 2) * t

    check_grads(f, (arr([0.5, 1.5]),), order=1)
    with pytest.raises(AssertionError, match="order 2"):
        check_grads(f, (arr([0.5, 1.5]),), order=2)


def test_numerical_jvp_and_rand_like():
    x = arr([0.1, 0.2])
    t = rand_like(np.random.default_rng(0), x)
    assert t.dtype == np.float64 and t.shape == (2,)
    fd = numerical_jvp(fnp.sin, (x,), (t,))
    np.testing.assert_allclose(fd, np.cos(to_numpy(x)) * to_numpy(t), rtol=1e-7)
    ti = rand_like(0, fnp.asarray(np.array([1, 2], np.int32)))
    assert ti.dtype == np.int32 and np.all(to_numpy(ti) == 0)
