"""``fnx.jit``: the user-facing behaviour of a jitted function.

* the signature cache: pytrees, kwargs, static arguments, retracing only when the signature
  changes (counted with a side effect in the traced body), ``log_compiles`` messages;
* jit composed with every transformation (grad, vmap, jvp, jacfwd, jacrev, hessian, custom
  rules), each against the same composition run eagerly and against finite differences;
* an MLP training step, jitted vs eager;
* the generated code on NaN / inf / -0.0 and integer edge cases (bitwise against eager and
  numpy), fusion (one loop for an elementwise chain), buffer planning (peak bytes);
* the disk cache (a new process loads the library; two processes compiling at once);
* errors: concretization, leaked tracers, unhashable static arguments;
* donation (values only).

Every distinct program costs a gcc compile (~0.1 s), so the tests reuse programs where they can.
"""
from __future__ import annotations

import functools
import json
import logging
import os
import re
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.errors import ConcretizationTypeError, InvalidArgumentError, UnexpectedTracerError
from fnx.test_util import check_grads

FNX_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(fnx.__file__)))


def to_np(x):
    return np.asarray(x._value) if isinstance(x, fnx.Array) else np.asarray(x)


def close(actual, expected, rtol=1e-5, atol=1e-6):
    """Every leaf of two pytrees of arrays agrees (same structure)."""
    a_leaves, a_tree = fnx.tree.flatten(actual)
    e_leaves, e_tree = fnx.tree.flatten(expected)
    assert a_tree == e_tree, f"structure {a_tree} != {e_tree}"
    for a, e in zip(a_leaves, e_leaves):
        np.testing.assert_allclose(to_np(a), to_np(e), rtol=rtol, atol=atol)


def same_bits(actual, expected, what="", any_nan=False):
    """Bit-for-bit equality (so -0.0 != 0.0 and NaN signs count); ``any_nan``: NaNs of either
    sign / payload are equal (IEEE leaves the NaN an arithmetic op returns unspecified)."""
    a, e = to_np(actual), to_np(expected)
    assert a.dtype == e.dtype and a.shape == e.shape, (what, a.dtype, e.dtype, a.shape, e.shape)
    if any_nan and a.dtype.kind == "f":
        nan = np.isnan(e)
        assert np.array_equal(np.isnan(a), nan), f"{what}: NaNs at different places"
        a, e = a[~nan], e[~nan]
    if a.tobytes() != e.tobytes():
        a, e = a.ravel(), e.ravel()
        rows = (a.view(np.uint8).reshape(a.size, -1) != e.view(np.uint8).reshape(e.size, -1))
        bad = np.nonzero(rows.any(axis=1))[0]
        raise AssertionError(f"{what}: not bitwise equal at {bad[:8].tolist()}: "
                             f"{a[bad[:4]]} vs {e[bad[:4]]}")


def rand(*shape, seed=0, dtype=np.float32):
    return fnp.asarray(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


@pytest.fixture
def restore_config():
    saved = {k: fnx.config.read(k) for k in ("log_compiles", "cache_dir")}
    yield
    for k, v in saved.items():
        fnx.config.update(k, v)


@pytest.fixture
def cache_dir(tmp_path, restore_config):
    d = tmp_path / "fnx_cache"
    fnx.config.update("cache_dir", str(d))
    return d


# ---------------------------------------------------------------------------------------------
# Pytrees, kwargs, the signature cache
# ---------------------------------------------------------------------------------------------

def _tree_fun(params, x, extra=None):
    w, (b, none_leaf) = params["w"], params["b"]
    assert none_leaf is None
    h = fnp.tanh(x @ w + b)
    return {"h": h, "pair": (h.sum(), x * 2.0), "none": None, "echo": x,
            "nested": [{"e": extra}]}


def test_pytree_args_and_outputs():
    params = {"w": rand(3, 4, seed=1), "b": (rand(4, seed=2), None)}
    x = rand(2, 3, seed=3)
    extra = (rand(5, seed=4), {"k": fnp.arange(3)})
    f = fnx.jit(_tree_fun)
    out = f(params, x, extra)
    ref = _tree_fun(params, x, extra)
    close(out, ref)
    assert out["none"] is None
    # an input returned unchanged and an integer leaf keep their dtypes
    assert out["nested"][0]["e"][1]["k"].dtype == np.dtype("int32")
    np.testing.assert_array_equal(to_np(out["echo"]), to_np(x))
    # numpy values against an independent numpy computation
    w, b = to_np(params["w"]), to_np(params["b"][0])
    np.testing.assert_allclose(to_np(out["h"]), np.tanh(to_np(x) @ w + b), rtol=1e-5, atol=1e-6)


def test_outputs_of_every_kind():
    """Python scalars, constants, duplicated outputs, empty and 0-d arrays as outputs."""
    def f(x, s):
        return (3.0, fnp.ones(2) * 2, x, x, s * 2, fnp.zeros((0, 3)) + x[:0, None], x.sum())

    x, s = fnp.arange(3.0), fnp.asarray(1.5)
    out = fnx.jit(f)(x, s)
    ref = f(x, s)
    assert isinstance(out[0], fnx.Array) and out[0].weak_type and float(out[0]) == 3.0
    for o, r in zip(out[1:], ref[1:]):
        assert o.shape == r.shape and o.dtype == r.dtype and o.weak_type == r.weak_type
        np.testing.assert_array_equal(to_np(o), to_np(r))
    assert fnx.jit(lambda: None)() is None
    np.testing.assert_array_equal(to_np(fnx.jit(lambda: fnp.arange(4) * 3)()), np.arange(4) * 3)


def test_empty_and_scalar_inputs():
    f = fnx.jit(lambda x, y: (x.sum(), x * y, fnp.max(x, initial=-1.0)))
    x, y = fnp.zeros((0, 4)), fnp.asarray(2.0)
    s, p, m = f(x, y)
    assert float(s) == 0.0 and p.shape == (0, 4) and float(m) == -1.0
    np.testing.assert_allclose(to_np(f(fnp.ones((2, 4)), y)[1]), np.full((2, 4), 2.0))


def test_kwargs():
    def f(x, *, scale, shift=None):
        return x * scale + (0.0 if shift is None else shift["v"])

    jf = fnx.jit(f)
    x, scale, shift = rand(4), rand(4, seed=1), {"v": rand(4, seed=2)}
    close(jf(x, scale=scale, shift=shift), f(x, scale=scale, shift=shift))
    close(jf(x, scale=scale), f(x, scale=scale))
    assert jf.cache_size == 2
    # keyword order is not part of the signature
    def g(x, **kw):
        return x * kw["a"] - kw["b"]
    jg = fnx.jit(g)
    a, b = rand(4, seed=5), rand(4, seed=6)
    close(jg(x, a=a, b=b), g(x, a=a, b=b))
    close(jg(x, b=b, a=a), g(x, a=a, b=b))
    assert jg.cache_size == 1


def test_same_signature_reuses_the_trace():
    calls = []

    def f(x, y):
        calls.append(1)            # runs only while tracing
        return fnp.sin(x) * y

    jf = fnx.jit(f)
    for seed in range(3):          # new values, same shapes / dtypes: traced once
        x, y = rand(5, seed=10 + seed), rand(5, seed=20 + seed)
        close(jf(x, y), np.sin(to_np(x)) * to_np(y))
    assert len(calls) == 1 and jf.cache_size == 1
    # Python scalars are traced values (not baked into the program): a new value is a hit
    jg = fnx.jit(f)
    close(jg(x, 2.0), np.sin(to_np(x)) * 2.0)
    close(jg(x, 3.0), np.sin(to_np(x)) * 3.0)
    assert len(calls) == 2 and jg.cache_size == 1


def test_dtype_shape_and_weak_type_changes_retrace():
    calls = []

    def f(x):
        calls.append(1)
        return x * 2

    jf = fnx.jit(f)
    signatures = [fnp.ones(3), fnp.ones(4), fnp.ones(4, dtype="float64"),
                  fnp.ones(4, dtype="int32"), fnp.ones((2, 2)),
                  fnp.asarray(1.0, dtype="float32"),   # strong f32[]
                  1.0]                                  # weak f32[]
    for k, x in enumerate(signatures, 1):
        out = jf(x)
        ref = fnp.asarray(x) * 2
        assert (out.dtype, out.shape, out.weak_type) == (ref.dtype, ref.shape, ref.weak_type)
        np.testing.assert_array_equal(to_np(out), to_np(ref))
        assert jf.cache_size == k
    assert len(calls) == len(signatures)
    # every signature seen before is a hit
    for x in signatures:
        jf(x)
    assert len(calls) == len(signatures) and jf.cache_size == len(signatures)


def test_clear_cache():
    calls = []

    def f(x):
        calls.append(1)
        return x + 1

    jf = fnx.jit(f)
    jf(fnp.ones(2))
    jf.clear_cache()
    assert jf.cache_size == 0
    close(jf(fnp.ones(2)), np.full(2, 2.0))
    assert len(calls) == 2 and jf.cache_size == 1


# ---------------------------------------------------------------------------------------------
# Static arguments
# ---------------------------------------------------------------------------------------------

def _power_chain(x, n, mode="tanh"):
    _power_chain.calls += 1
    for _ in range(n):              # Python control flow on a static value
        x = fnp.tanh(x) if mode == "tanh" else fnp.sin(x)
    return x


_power_chain.calls = 0


def _eager_chain(x, n, mode="tanh"):
    for _ in range(n):
        x = fnp.tanh(x) if mode == "tanh" else fnp.sin(x)
    return x


def test_static_argnums():
    jf = fnx.jit(_power_chain, static_argnums=1)
    x = rand(4)
    _power_chain.calls = 0
    close(jf(x, 2), _eager_chain(x, 2))
    close(jf(rand(4, seed=1), 2), _eager_chain(rand(4, seed=1), 2))
    assert jf.cache_size == 1 and _power_chain.calls == 1
    close(jf(x, 3), _eager_chain(x, 3))
    assert jf.cache_size == 2 and _power_chain.calls == 2
    jf(x, 2)
    jf(x, 3)
    assert jf.cache_size == 2 and _power_chain.calls == 2
    # negative index, several statics, equal-but-distinct static objects hit
    jg = fnx.jit(_power_chain, static_argnums=(-2, -1))
    close(jg(x, 1, "sin"), _eager_chain(x, 1, "sin"))
    close(jg(x, 1, "".join(["s", "in"])), _eager_chain(x, 1, "sin"))
    assert jg.cache_size == 1
    close(jg(x, 1, "tanh"), _eager_chain(x, 1, "tanh"))
    assert jg.cache_size == 2


def test_static_argnames():
    jf = fnx.jit(_power_chain, static_argnames=("n", "mode"))
    x = rand(4)
    _power_chain.calls = 0
    close(jf(x, n=2), _eager_chain(x, 2))
    close(jf(x, n=2), _eager_chain(x, 2))
    assert jf.cache_size == 1 and _power_chain.calls == 1
    close(jf(x, n=2, mode="sin"), _eager_chain(x, 2, "sin"))
    close(jf(x, n=3, mode="sin"), _eager_chain(x, 3, "sin"))
    assert jf.cache_size == 3 and _power_chain.calls == 3


def test_static_args_follow_the_signature():
    """JAX: an argument named in static_argnames is static however it is passed (jit reads the
    signature and adds the matching static_argnums)."""
    jf = fnx.jit(_power_chain, static_argnames="n")
    x = rand(4)
    close(jf(x, 2), _eager_chain(x, 2))
    close(jf(x, n=2), _eager_chain(x, 2))
    # and the other way round: an index in static_argnums, the argument passed by keyword
    jg = fnx.jit(_power_chain, static_argnums=1)
    close(jg(x, n=3), _eager_chain(x, 3))


def test_decorator_forms():
    @fnx.jit
    def a(x):
        return x * 2

    @fnx.jit(static_argnums=1)
    def b(x, n):
        return x * n

    @functools.partial(fnx.jit, static_argnames="n")
    def c(x, n):
        return x ** n

    x = rand(3)
    close(a(x), to_np(x) * 2)
    close(b(x, 3), to_np(x) * 3)
    close(c(x, n=2), to_np(x) ** 2)
    assert a.__name__ == "a" and b.__wrapped__ is not None


def test_static_values_that_compare_equal_are_distinct_cache_entries():
    # issue 16: 0.0 == -0.0 and 1 == 1.0 hash alike, yet they trace to different programs
    add = fnx.jit(lambda x, c: x + c, static_argnums=1)
    x = fnp.asarray(np.float32(-0.0))
    assert not np.signbit(float(add(x, 0.0)))            # -0.0 + 0.0 == +0.0
    assert np.signbit(float(add(x, -0.0)))               # -0.0 + -0.0 == -0.0
    assert add(fnp.asarray(1), 1).dtype == np.int32      # int32 + weak int
    assert add(fnp.asarray(1), 1.0).dtype == np.float32  # int32 + weak float


def test_unhashable_static_argument():
    jf = fnx.jit(_power_chain, static_argnums=1)
    with pytest.raises(InvalidArgumentError, match=r"(?i)hashable") as e:
        jf(rand(3), [1, 2])
    assert "list" in str(e.value)
    jg = fnx.jit(_power_chain, static_argnames="mode")
    with pytest.raises(InvalidArgumentError, match=r"(?i)hashable"):
        jg(rand(3), 1, mode={"a": 1})


def test_static_argnums_out_of_range():
    with pytest.raises(InvalidArgumentError, match="static_argnums"):
        fnx.jit(lambda x: x, static_argnums=3)(rand(2))


# ---------------------------------------------------------------------------------------------
# log_compiles
# ---------------------------------------------------------------------------------------------

def _logged(caplog):
    msgs = [r.getMessage() for r in caplog.records if r.name == "fnx.jit"]
    caplog.clear()
    return msgs


def test_log_compiles_names_the_change(caplog, restore_config):
    def scaled_tanh(x, n):
        return fnp.tanh(x) * n

    jf = fnx.jit(scaled_tanh, static_argnums=1)
    caplog.set_level(logging.WARNING, logger="fnx.jit")
    fnx.config.update("log_compiles", True)
    jf(fnp.ones(3), 2)
    (msg,) = _logged(caplog)
    assert "scaled_tanh" in msg
    jf(fnp.ones(3), 2)
    assert _logged(caplog) == []     # a hit compiles nothing
    jf(fnp.ones(4), 2)
    (msg,) = _logged(caplog)
    assert "'x'" in msg and "f32[3]" in msg and "f32[4]" in msg, msg
    jf(fnp.ones(4), 5)
    (msg,) = _logged(caplog)
    assert "'n'" in msg and "2" in msg and "5" in msg, msg
    jf(fnp.ones(4, dtype="float64"), 5)
    (msg,) = _logged(caplog)
    assert "'x'" in msg and "f32[4]" in msg and "f64[4]" in msg, msg
    jf(1.0, 5)
    (msg,) = _logged(caplog)
    assert "'x'" in msg and "weak" in msg, msg
    # a leaf inside a pytree argument is named by its path
    jg = fnx.jit(lambda params, x: params["w"] * x)
    jg({"w": fnp.ones(3)}, fnp.ones(3))
    _logged(caplog)
    jg({"w": fnp.ones(2)}, fnp.ones(2))
    (msg,) = _logged(caplog)
    assert "params['w']" in msg and "f32[3]" in msg and "f32[2]" in msg, msg
    # off: silent
    fnx.config.update("log_compiles", False)
    jf(fnp.ones(7), 5)
    assert _logged(caplog) == []


# ---------------------------------------------------------------------------------------------
# Compositions with the other transformations
# ---------------------------------------------------------------------------------------------

def scalar_f(x):
    return fnp.sum(fnp.tanh(x) * fnp.sin(x) ** 2 + fnp.exp(-x * x))


def vector_g(x):
    return fnp.tanh(x) * x[::-1] + fnp.sin(x).sum()


def matrix_h(x, w):
    return fnp.tanh(x @ w)


X = rand(5, seed=7)
XS = rand(3, 5, seed=8)
W = rand(5, 2, seed=9)
T = rand(5, seed=10)

# name -> (jitted composition, eager composition, args)
COMPOSITIONS = {
    "grad(jit(f))": (lambda: fnx.grad(fnx.jit(scalar_f)), lambda: fnx.grad(scalar_f), (X,)),
    "jit(grad(f))": (lambda: fnx.jit(fnx.grad(scalar_f)), lambda: fnx.grad(scalar_f), (X,)),
    "jit(grad(jit(f)))": (lambda: fnx.jit(fnx.grad(fnx.jit(scalar_f))),
                          lambda: fnx.grad(scalar_f), (X,)),
    "vmap(jit(f))": (lambda: fnx.vmap(fnx.jit(scalar_f)), lambda: fnx.vmap(scalar_f), (XS,)),
    "jit(vmap(grad(jit(f))))": (lambda: fnx.jit(fnx.vmap(fnx.grad(fnx.jit(scalar_f)))),
                                lambda: fnx.vmap(fnx.grad(scalar_f)), (XS,)),
    "grad(grad(jit(f)))": (lambda: fnx.grad(fnx.grad(lambda s: fnx.jit(scalar_f)(s * X))),
                           lambda: fnx.grad(fnx.grad(lambda s: scalar_f(s * X))),
                           (fnp.asarray(0.7),)),
    "jacfwd(jit(g))": (lambda: fnx.jacfwd(fnx.jit(vector_g)), lambda: fnx.jacfwd(vector_g), (X,)),
    "jacrev(jit(g))": (lambda: fnx.jacrev(fnx.jit(vector_g)), lambda: fnx.jacrev(vector_g), (X,)),
    "hessian(jit(f))": (lambda: fnx.hessian(fnx.jit(scalar_f)), lambda: fnx.hessian(scalar_f),
                        (X,)),
    "jvp(jit(g))": (lambda: lambda x, t: fnx.jvp(fnx.jit(vector_g), (x,), (t,)),
                    lambda: lambda x, t: fnx.jvp(vector_g, (x,), (t,)), (X, T)),
    "linearize(jit(g))": (lambda: lambda x, t: fnx.linearize(fnx.jit(vector_g), x)[1](t),
                          lambda: lambda x, t: fnx.linearize(vector_g, x)[1](t), (X, T)),
    "vjp(jit(g))": (lambda: lambda x, t: fnx.vjp(fnx.jit(vector_g), x)[1](t),
                    lambda: lambda x, t: fnx.vjp(vector_g, x)[1](t), (X, T)),
    "vmap(jit(h), in_axes=(0, None))": (
        lambda: fnx.vmap(fnx.jit(matrix_h), in_axes=(0, None)),
        lambda: fnx.vmap(matrix_h, in_axes=(0, None)), (XS, W)),
    "vmap(jit(h), in_axes=(None, 1))": (
        lambda: fnx.vmap(fnx.jit(matrix_h), in_axes=(None, 1)),
        lambda: fnx.vmap(matrix_h, in_axes=(None, 1)), (XS, W)),
    "grad(jit(h), argnums=1)": (
        lambda: fnx.grad(lambda x, w: fnx.jit(matrix_h)(x, w).sum(), argnums=1),
        lambda: fnx.grad(lambda x, w: matrix_h(x, w).sum(), argnums=1), (XS, W)),
    "jit(jit(g))": (lambda: fnx.jit(lambda x: fnx.jit(vector_g)(x) * 2),
                    lambda: lambda x: vector_g(x) * 2, (X,)),
    "grad(jit(f, static_argnums))": (
        lambda: fnx.grad(lambda x: fnx.jit(_power_chain, static_argnums=1)(x, 3).sum()),
        lambda: fnx.grad(lambda x: _eager_chain(x, 3).sum()), (X,)),
    "vmap(grad(jit(f)))": (lambda: fnx.vmap(fnx.grad(fnx.jit(scalar_f))),
                           lambda: fnx.vmap(fnx.grad(scalar_f)), (XS,)),
}


@pytest.mark.parametrize("name", list(COMPOSITIONS))
def test_composition_matches_eager(name):
    make_jitted, make_eager, args = COMPOSITIONS[name]
    close(make_jitted()(*args), make_eager()(*args), rtol=2e-5, atol=2e-6)


CLOSURES = {
    "grad": (lambda: fnx.grad(lambda w: fnx.jit(lambda x: fnp.sum(fnp.sin(x * w)))(X))(W0),
             lambda: fnx.grad(lambda w: fnp.sum(fnp.sin(X * w)))(W0)),
    "vmap": (lambda: fnx.vmap(lambda w: fnx.jit(lambda x: x * w)(X))(XS[:, 0]),
             lambda: fnx.vmap(lambda w: X * w)(XS[:, 0])),
    "jit": (lambda: fnx.jit(lambda w: fnx.jit(lambda x: fnp.cos(x) * w)(X))(W0),
            lambda: fnp.cos(X) * W0),
}
W0 = fnp.asarray(0.7)


@pytest.mark.parametrize("outer", list(CLOSURES))
def test_jit_closing_over_an_outer_tracer(outer):
    """A function jitted inside another transformation may close over that transformation's
    traced values (JAX turns them into arguments of the jitted call)."""
    jitted, eager = CLOSURES[outer]
    close(jitted(), eager())


def test_check_grads_on_jitted_functions():
    """Derivatives of jitted functions against finite differences (fwd and rev, order 2)."""
    x64 = fnp.asarray(to_np(X).astype(np.float64))
    check_grads(fnx.jit(scalar_f), (x64,), order=2)
    check_grads(fnx.jit(vector_g), (x64,), order=2)
    check_grads(fnx.jit(matrix_h), (XS, W), order=1)


def test_jvp_of_jit_with_pytrees():
    def f(p):
        return {"y": p["a"] * fnp.sin(p["b"][0]), "z": p["b"][1] ** 2}

    p = {"a": rand(3), "b": (rand(3, seed=1), rand(2, seed=2))}
    t = {"a": rand(3, seed=3), "b": (rand(3, seed=4), rand(2, seed=5))}
    close(fnx.jvp(fnx.jit(f), (p,), (t,)), fnx.jvp(f, (p,), (t,)))
    g = fnx.grad(lambda p: sum(fnp.sum(v) for v in fnx.tree.leaves(fnx.jit(f)(p))))(p)
    ge = fnx.grad(lambda p: sum(fnp.sum(v) for v in fnx.tree.leaves(f(p))))(p)
    close(g, ge)


# custom rules inside a jitted function: the rule, not the body, must be differentiated

@fnx.custom_jvp
def softplus(x):
    return fnp.log1p(fnp.exp(x))


@softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return softplus(x), t * lax.logistic(x)


@fnx.custom_jvp
def loud_square(x):
    """x*x whose custom derivative is deliberately not the true one: 10 * t."""
    return x * x


@loud_square.defjvp
def _loud_square_jvp(primals, tangents):
    return loud_square(primals[0]), 10.0 * tangents[0]


@fnx.custom_vjp
def clip_gradient(x):
    return x


clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (fnp.clip(g, -0.5, 0.5),))


def _custom_fun(x):
    return fnp.sum(softplus(x) + loud_square(x) + clip_gradient(x) * 3.0)


def test_jit_of_custom_rules_values():
    x = rand(6, seed=11)
    close(fnx.jit(_custom_fun)(x), _custom_fun(x))
    # jit outside the derivative: the rules apply while tracing the gradient
    expected = 1 / (1 + np.exp(-to_np(x))) + 10.0 + 0.5
    close(fnx.grad(_custom_fun)(x), expected)
    close(fnx.jit(fnx.grad(_custom_fun))(x), expected)


@pytest.mark.parametrize("which", ["custom_jvp", "custom_vjp"])
def test_grad_of_jit_uses_custom_rules(which):
    """grad(jit(f)) must use the custom rule too (the traced jaxpr must keep it)."""
    if which == "custom_jvp":
        f = lambda x: fnp.sum(loud_square(x))              # noqa: E731
        expected = np.full(3, 10.0)
    else:
        f = lambda x: fnp.sum(clip_gradient(x) * 3.0)       # noqa: E731
        expected = np.full(3, 0.5)
    x = fnp.asarray([1.0, 2.0, 3.0])
    close(fnx.grad(f)(x), expected)
    close(fnx.grad(fnx.jit(f))(x), expected)


def test_jvp_of_jit_uses_custom_jvp_rule():
    x, t = fnp.asarray([1.0, 2.0]), fnp.asarray([1.0, 2.0])
    _, tan = fnx.jvp(fnx.jit(loud_square), (x,), (t,))
    close(tan, 10.0 * to_np(t))


def test_check_grads_through_jitted_custom_jvp():
    check_grads(fnx.jit(lambda x: fnp.sum(softplus(x) ** 2)), (rand(4, seed=12),), order=2)


# ---------------------------------------------------------------------------------------------
# An MLP training step
# ---------------------------------------------------------------------------------------------

def _mlp_problem(seed=0, batch=32):
    rng = np.random.default_rng(seed)
    params = {
        "l1": {"w": (rng.standard_normal((784, 64)) / 28).astype(np.float32),
               "b": np.zeros(64, np.float32)},
        "l2": {"w": (rng.standard_normal((64, 10)) / 8).astype(np.float32),
               "b": np.zeros(10, np.float32)},
    }
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]
    return params, x, y


def _mlp_loss(params, x, y):
    h = fnp.maximum(x @ params["l1"]["w"] + params["l1"]["b"], 0.0)
    logits = h @ params["l2"]["w"] + params["l2"]["b"]
    logp = logits - fnp.logsumexp(logits, axis=-1, keepdims=True)
    return -fnp.mean(fnp.sum(y * logp, axis=-1))


def _sgd_step(params, x, y, lr):
    loss, grads = fnx.value_and_grad(_mlp_loss)(params, x, y)
    return fnx.tree.map(lambda p, g: p - lr * g, params, grads), loss


def _numpy_loss(params, x, y):
    h = np.maximum(x @ params["l1"]["w"] + params["l1"]["b"], 0.0)
    logits = (h @ params["l2"]["w"] + params["l2"]["b"]).astype(np.float64)
    logp = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True)) \
        - logits.max(-1, keepdims=True)
    return -np.mean(np.sum(y * logp, axis=-1))


def test_mlp_training_step_jit_vs_eager():
    params_np, x_np, y_np = _mlp_problem()
    x, y = fnp.asarray(x_np), fnp.asarray(y_np)
    p_eager = p_jit = fnx.tree.map(fnp.asarray, params_np)
    step = fnx.jit(_sgd_step, static_argnums=3)
    losses_eager, losses_jit = [], []
    for _ in range(5):
        p_eager, l_e = _sgd_step(p_eager, x, y, 0.1)
        p_jit, l_j = step(p_jit, x, y, 0.1)
        losses_eager.append(float(l_e))
        losses_jit.append(float(l_j))
    assert step.cache_size == 1
    np.testing.assert_allclose(losses_jit, losses_eager, rtol=1e-5)
    np.testing.assert_allclose(losses_jit[0], _numpy_loss(params_np, x_np, y_np), rtol=1e-5)
    assert losses_jit[-1] < losses_jit[0]          # it trains
    close(p_jit, p_eager, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# Generated code on special values: jit vs eager bitwise (and numpy where it defines them)
# ---------------------------------------------------------------------------------------------

def _float_specials(dtype):
    v = np.array([np.nan, -np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0, -1.0, 0.5, -2.5,
                  np.finfo(dtype).max, -np.finfo(dtype).tiny, np.finfo(dtype).smallest_subnormal],
                 dtype)
    # every pair (a_i, b_j), repeated so loops are long enough to be vectorized
    return np.tile(np.tile(v, len(v)), 3), np.tile(np.repeat(v, len(v)), 3)


def _float_ops(x, y):
    return {
        "max": lax.max(x, y), "min": lax.min(x, y), "maximum": fnp.maximum(x, y),
        "minimum": fnp.minimum(x, y), "abs": fnp.abs(x), "neg": -x, "sign": fnp.sign(x),
        "lt": x < y, "le": x <= y, "eq": x == y, "ne": x != y, "gt": x > y, "ge": x >= y,
        "where": fnp.where(x > y, x, y), "select": lax.select(x < y, y, x),
        "clip": fnp.clip(x, -1.0, 1.0), "clip_arr": fnp.clip(x, y, 2.0),
        "isnan": fnp.isnan(x), "isfinite": fnp.isfinite(x), "floor": fnp.floor(x),
        "relu": fnp.maximum(x, 0.0), "fused": fnp.abs(lax.max(-x, fnp.minimum(y, 1.0))),
        # arithmetic (NaN signs unspecified): algebraic 'simplifications' that are wrong in
        # IEEE arithmetic must not happen
        "x+0": x + 0.0, "x*0": x * 0.0, "x-x": x - x, "x/x": x / x, "x*1": x * 1.0,
        "x-0": x - 0.0, "0-x": 0.0 - x, "x==x": x == x, "x!=x": x != x,
        "max(x,x)": lax.max(x, x), "--x": -(-x), "0*x+0": 0.0 * x + 0.0,
    }


_NUMPY_FLOAT = {
    "maximum": lambda a, b: np.maximum(a, b), "minimum": lambda a, b: np.minimum(a, b),
    "abs": lambda a, b: np.abs(a), "neg": lambda a, b: -a, "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
    "where": lambda a, b: np.where(a > b, a, b), "clip": lambda a, b: np.clip(a, -1.0, 1.0),
    "isnan": lambda a, b: np.isnan(a), "x+0": lambda a, b: a + a.dtype.type(0),
    "x*0": lambda a, b: a * a.dtype.type(0), "x-x": lambda a, b: a - a,
    "x==x": lambda a, b: a == a, "x!=x": lambda a, b: a != a,
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_special_float_values_bitwise(dtype):
    a, b = _float_specials(dtype)
    x, y = fnp.asarray(a), fnp.asarray(b)
    eager = _float_ops(x, y)
    jitted = fnx.jit(_float_ops)(x, y)
    arithmetic = list(eager)[list(eager).index("x+0"):]
    for k in eager:
        same_bits(jitted[k], eager[k], f"{k} ({np.dtype(dtype).name}) jit vs eager",
                  any_nan=k in arithmetic)
    with np.errstate(all="ignore"):
        for k, ref in _NUMPY_FLOAT.items():   # numpy's NaN signs may differ: not compared
            same_bits(jitted[k], ref(a, b), f"{k} ({np.dtype(dtype).name}) jit vs numpy",
                      any_nan=True)


def _int_ops(x, y):
    return {
        "div": lax.div(x, y), "rem": lax.rem(x, y), "floordiv": x // y, "mod": x % y,
        "neg": -x, "abs": fnp.abs(x), "max": fnp.maximum(x, y), "min": fnp.minimum(x, y),
        "add": x + y, "sub": x - y, "mul": x * y, "sign": fnp.sign(x),
        "shl": lax.shift_left(x, y), "sar": lax.shift_right_arithmetic(x, y),
        "shr": lax.shift_right_logical(x, y), "lt": x < y, "eq": x == y,
        "clip": fnp.clip(x, 2, 9), "where": fnp.where(x < y, x // y, y % x),
        "cube": lax.integer_pow(x, 3), "to_float": x.astype(np.float32),
        "roundtrip": (x.astype(np.float32) * 1e10).astype(x.dtype),
        "x*0": x * 0, "x//1": x // 1, "x%1": x % 1, "x//x": x // x, "x-x": x - x,
    }


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.int8, np.uint8])
def test_integer_edge_cases_bitwise(dtype):
    """Division by zero, INT_MIN / -1, overflow, out-of-range shifts: jit agrees with eager
    bit for bit (and with numpy's // and % where numpy defines them)."""
    info = np.iinfo(dtype)
    vals = np.array(sorted(v for v in {info.min, info.min + 1, -7, -1, 0, 1, 2, 7, 9, 70,
                                       info.max - 1, info.max}
                           if info.min <= v <= info.max), dtype)
    a, b = np.tile(vals, len(vals)), np.repeat(vals, len(vals))
    x, y = fnp.asarray(a), fnp.asarray(b)
    eager = _int_ops(x, y)
    jitted = fnx.jit(_int_ops)(x, y)
    for k in eager:
        same_bits(jitted[k], eager[k], f"{k} ({np.dtype(dtype).name}) jit vs eager")
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(to_np(jitted["floordiv"]), a // b)
        np.testing.assert_array_equal(to_np(jitted["mod"]), a % b)
        np.testing.assert_array_equal(to_np(jitted["max"]), np.maximum(a, b))
        np.testing.assert_array_equal(to_np(jitted["add"]), a + b)
        np.testing.assert_array_equal(to_np(jitted["mul"]), a * b)


def test_reductions_with_nan_on_parallel_loops():
    """Large enough for the OpenMP paths; a NaN must propagate through max / min / sum and
    argmax must point at it (numpy's and eager fnx's semantics)."""
    a = np.random.default_rng(0).standard_normal((300, 400)).astype(np.float32)
    a[17, 33] = np.nan

    def f(x):
        return (fnp.max(x), fnp.min(x, axis=0), fnp.max(x, axis=1), fnp.sum(x),
                fnp.argmax(x, axis=1), fnp.argmin(x), fnp.max(fnp.abs(x) * 2.0, axis=0))

    x = fnp.asarray(a)
    eager, jitted = f(x), fnx.jit(f)(x)
    for k, (e, j) in enumerate(zip(eager, jitted)):
        same_bits(j, e, f"output {k}", any_nan=True)
    assert np.isnan(float(jitted[0])) and np.isnan(to_np(jitted[1])[33])
    np.testing.assert_array_equal(to_np(jitted[4]), np.argmax(a, axis=1))
    np.testing.assert_array_equal(to_np(jitted[5]), np.argmin(a))


def test_strided_and_large_inputs():
    a = np.random.default_rng(1).standard_normal((300, 400)).astype(np.float32)
    xt = fnp.asarray(a).T                   # a transposed view

    def g(x):
        return fnp.tanh(x) * 2.0 + x[0]

    jg = fnx.jit(g)
    close(jg(xt), g(xt))
    # the second call takes the cached path; a contiguous array of the same shape hits too
    close(jg(xt), np.tanh(a.T) * 2 + a.T[0], rtol=1e-5, atol=1e-5)
    contiguous = fnp.asarray(np.ascontiguousarray(a.T) + 1)
    close(jg(contiguous), np.tanh(a.T + 1) * 2 + a.T[0] + 1, rtol=1e-5, atol=1e-5)
    assert jg.cache_size == 1


def test_calls_from_several_threads():
    import threading
    a = np.random.default_rng(2).standard_normal((200, 300)).astype(np.float32)
    jf = fnx.jit(lambda x: fnp.cos(x) * 3.5 + 1.0)
    results = [None] * 4

    def run(i):
        results[i] = jf(fnp.asarray(a))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        close(r, np.cos(a) * 3.5 + 1, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# What the compiler produces: fusion, the optimized jaxpr, buffer planning
# ---------------------------------------------------------------------------------------------

def _chain(x, a, b):
    return fnp.tanh(x * a + b) * lax.logistic(x) + fnp.exp(-x * x)


def test_elementwise_chain_is_one_fused_loop():
    x, a, b = rand(1000), fnp.asarray(0.5), fnp.asarray(0.1)
    jf = fnx.jit(_chain)
    lowered = jf.lower(x, a, b)
    c = lowered.as_c()
    assert c.count("static int k") == 1, c
    assert c.count("for (") == 1, c
    # the optimized jaxpr is shown
    text = lowered.as_text()
    assert "lambda" in text and "tanh" in text and "logistic" in text and "exp" in text
    # and the fused loop computes the right thing
    xn = to_np(x)
    close(jf(x, a, b), np.tanh(xn * 0.5 + 0.1) / (1 + np.exp(-xn)) + np.exp(-xn * xn))
    assert jf.cache_size == 1
    big = rand(1 << 17, seed=3)             # a parallel loop
    xn = to_np(big)
    close(jf(big, a, b), np.tanh(xn * 0.5 + 0.1) / (1 + np.exp(-xn)) + np.exp(-xn * xn),
          atol=2e-6)


def test_reduction_fuses_its_elementwise_prologue():
    lowered = fnx.jit(lambda x: fnp.sum(fnp.exp(x) * 2.0 + 1.0, axis=1)).lower(rand(4, 5))
    assert lowered.as_c().count("static int k") == 1, lowered.as_c()


def test_as_text_is_the_optimized_jaxpr():
    def f(x):
        unused = fnp.sin(x) * 5.0              # dead code
        a, b = fnp.exp(x), fnp.exp(x)          # a common subexpression
        return a + b * 2.0

    x = rand(3)
    raw = str(fnx.make_jaxpr(f)(x))
    assert "sin" in raw and raw.count("exp") == 2
    text = fnx.jit(f).lower(x).as_text()
    assert "sin" not in text, text
    assert text.count("exp") == 1, text
    close(fnx.jit(f)(x), np.exp(to_np(x)) * 3)


def test_peak_bytes_of_a_long_elementwise_chain():
    n_ops = 24

    def chain(x):
        for k in range(n_ops // 2):
            x = fnp.sin(x) * (1.0 + k / 100)
        return x

    x = fnp.asarray(np.linspace(-1, 1, 1 << 16, dtype=np.float32))
    exe = fnx.jit(chain).lower(x).compile()
    nbytes = x.size * 4
    assert isinstance(exe.peak_bytes, int) and exe.peak_bytes > 0
    assert exe.peak_bytes >= 2 * nbytes      # the input and the output are live together
    assert exe.peak_bytes <= 3 * nbytes, (exe.peak_bytes, nbytes)   # << n_ops * nbytes
    assert exe.compile_seconds >= 0


def test_peak_bytes_with_unfusable_steps_reuses_buffers():
    """Between library calls (cumsum) the temporaries are reused, not all live at once."""
    def f(x):
        for _ in range(6):
            x = fnp.cumsum(fnp.sin(x)) * 0.5
        return x

    x = fnp.asarray(np.linspace(-1, 1, 1 << 14, dtype=np.float32))
    exe = fnx.jit(f).lower(x).compile()
    nbytes = x.size * 4
    assert 2 * nbytes <= exe.peak_bytes <= 4 * nbytes, (exe.peak_bytes, nbytes)
    close(fnx.jit(f)(x), f(x))


def test_peak_bytes_counts_a_loops_workspace():
    """A while loop allocates its body's temporaries (here two n x n matrices) in its own
    workspace while it runs: the planned peak includes it (it used to count only the inputs
    and the carries)."""
    n = 128

    def f(b, c, s):
        def body(carry):
            i, s = carry
            return i + 1, s + fnp.tanh((b * s) @ c).sum() * 1e-6
        return lax.while_loop(lambda carry: carry[0] < 3, body, (0, s))[1]

    b, c = fnp.ones((n, n), "float32"), fnp.ones((n, n), "float32")
    s = fnp.asarray(0.5, "float32")
    exe = fnx.jit(f).lower(b, c, s).compile()
    matrix = n * n * 4
    assert exe.peak_bytes >= 4 * matrix, (exe.peak_bytes, matrix)   # b, c + 2 body temps
    assert exe.peak_bytes <= 5 * matrix, (exe.peak_bytes, matrix)
    close(fnx.jit(f)(b, c, s), f(b, c, s))


# ---------------------------------------------------------------------------------------------
# The disk cache
# ---------------------------------------------------------------------------------------------

_CACHED_FUN_SRC = """
import fnx, fnx.numpy as fnp, numpy as np
def cached_fun(x, y):
    return fnp.tanh(x * 1.25 - y) * fnp.cos(y) + fnp.sum(x)
X = fnp.asarray(np.linspace(-2, 2, 9, dtype=np.float32))
Y = fnp.asarray(np.linspace(0, 1, 9, dtype=np.float32))
"""


def _child_env(cache):
    env = dict(os.environ)
    env["FNX_CACHE_DIR"] = str(cache)
    env["PYTHONPATH"] = FNX_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _cache_files(cache):
    return sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file())


def test_disk_cache_is_used_by_a_new_jitted_and_a_new_process(cache_dir):
    ns = {}
    exec(_CACHED_FUN_SRC, ns)
    jf = fnx.jit(ns["cached_fun"])
    exe = jf.lower(ns["X"], ns["Y"]).compile()
    assert exe.from_disk_cache is False
    expected = to_np(jf(ns["X"], ns["Y"]))
    files = _cache_files(cache_dir)
    assert len(files) == 1 and files[0].endswith(".so"), files
    # a new Jitted of the same function in this process: loaded from disk
    exe2 = fnx.jit(ns["cached_fun"]).lower(ns["X"], ns["Y"]).compile()
    assert exe2.from_disk_cache is True
    # a new process
    code = _CACHED_FUN_SRC + textwrap.dedent("""
        import json
        jf = fnx.jit(cached_fun)
        exe = jf.lower(X, Y).compile()
        print(json.dumps({"cached": exe.from_disk_cache,
                          "y": np.asarray(jf(X, Y)).astype(float).tolist()}))
    """)
    res = subprocess.run([sys.executable, "-c", code], env=_child_env(cache_dir),
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["cached"] is True
    np.testing.assert_array_equal(np.asarray(out["y"], np.float32), expected)
    assert _cache_files(cache_dir) == files
    # and the values are right
    xn, yn = to_np(ns["X"]), to_np(ns["Y"])
    np.testing.assert_allclose(expected, np.tanh(xn * 1.25 - yn) * np.cos(yn) + xn.sum(),
                               rtol=1e-5, atol=1e-5)


def test_two_processes_compiling_at_once(tmp_path):
    cache = tmp_path / "cache"
    sync = tmp_path / "sync"
    sync.mkdir()
    code = _CACHED_FUN_SRC + textwrap.dedent("""
        import json, os, sys, time
        sync, me = sys.argv[1], sys.argv[2]
        jf = fnx.jit(cached_fun)
        open(os.path.join(sync, "ready" + me), "w").close()
        deadline = time.time() + 60
        while not os.path.exists(os.path.join(sync, "go")) and time.time() < deadline:
            time.sleep(0.0005)
        exe = jf.lower(X, Y).compile()
        print(json.dumps({"cached": exe.from_disk_cache,
                          "y": np.asarray(jf(X, Y)).astype(float).tolist()}))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code, str(sync), str(i)],
                              env=_child_env(cache), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(2)]
    deadline = time.time() + 60
    while not all((sync / f"ready{i}").exists() for i in range(2)):
        assert time.time() < deadline and all(p.poll() is None for p in procs), \
            [p.communicate() for p in procs if p.poll() is not None]
        time.sleep(0.005)
    (sync / "go").touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert results[0]["y"] == results[1]["y"]
    ns = {}
    exec(_CACHED_FUN_SRC, ns)
    xn, yn = to_np(ns["X"]), to_np(ns["Y"])
    np.testing.assert_allclose(results[0]["y"], np.tanh(xn * 1.25 - yn) * np.cos(yn) + xn.sum(),
                               rtol=1e-5, atol=1e-5)
    files = _cache_files(cache)
    assert len(files) == 1 and files[0].endswith(".so"), files


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

def test_concretization_error_names_the_argument():
    def branchy(x, y):
        if x > 0:
            return y
        return -y

    with pytest.raises(ConcretizationTypeError) as e:
        fnx.jit(branchy)(fnp.asarray(1.0), fnp.ones(3))
    msg = str(e.value)
    assert "'x'" in msg and "'y'" not in msg and "static_argnums" in msg, msg
    # the fix the message suggests works
    close(fnx.jit(branchy, static_argnums=0)(1.0, fnp.ones(3)), np.ones(3))

    def by_second(x, threshold):
        return x * 2 if float(threshold) > 0 else x

    with pytest.raises(ConcretizationTypeError) as e:
        fnx.jit(by_second)(fnp.ones(3), fnp.asarray(1.0))
    msg = str(e.value)
    assert "'threshold'" in msg and "'x'" not in msg, msg

    def by_both(a, b):
        return a if (a + b).sum() > 0 else b

    with pytest.raises(ConcretizationTypeError) as e:
        fnx.jit(by_both)(fnp.ones(2), fnp.ones(2))
    assert "'a'" in str(e.value) and "'b'" in str(e.value)


def test_leaked_tracer_is_reported():
    stash = []

    def stash_intermediate(x):
        y = fnp.sin(x) * 2
        stash.append(y)
        return y + 1

    out = fnx.jit(stash_intermediate)(fnp.ones(3))
    close(out, np.sin(np.ones(3)) * 2 + 1)
    with pytest.raises(UnexpectedTracerError) as e:
        stash[0] + 1
    assert "leaked" in str(e.value) and "stash_intermediate" in str(e.value)


# ---------------------------------------------------------------------------------------------
# Donation (values only: the donated buffers may or may not be reused)
# ---------------------------------------------------------------------------------------------

def test_donated_arguments_give_correct_results():
    def f(x, y):
        return x * 2.0 + y, x - y[::-1]

    xn, yn = np.linspace(-1, 1, 64, dtype=np.float32), np.linspace(2, 3, 64, dtype=np.float32)
    jf = fnx.jit(f, donate_argnums=0)
    for _ in range(2):
        a, b = jf(fnp.asarray(xn), fnp.asarray(yn))
        np.testing.assert_allclose(to_np(a), xn * 2 + yn, rtol=1e-6)
        np.testing.assert_allclose(to_np(b), xn - yn[::-1], rtol=1e-6)
    # the same array passed twice, one of them donated
    z = fnp.asarray(xn)
    a, b = jf(z, z)
    np.testing.assert_allclose(to_np(a), xn * 3, rtol=1e-6)
    np.testing.assert_allclose(to_np(b), xn - xn[::-1], rtol=1e-6)
    # a donated pytree with a static argument
    jg = fnx.jit(lambda p, n: {k: v * n for k, v in p.items()}, static_argnums=1,
                 donate_argnums=0)
    out = jg({"a": fnp.asarray(xn), "b": fnp.asarray(yn)}, 3)
    np.testing.assert_allclose(to_np(out["a"]), xn * 3, rtol=1e-6)
    np.testing.assert_allclose(to_np(out["b"]), yn * 3, rtol=1e-6)


# -- issue 16: an unusable FNX_CACHE_DIR warns once, naming it and why, and jit still works ------

def _jit_something_new(offset):
    """A jitted function whose generated code no earlier test compiled (forces a compile)."""
    return to_np(fnx.jit(lambda x: fnp.tanh(x) * offset + 0.25)(fnp.ones(3)))


def _a_file(root):
    (root / "a_file").write_text("not a directory")
    return root / "a_file"


def _jit_subdir_is_a_file(root):
    (root / "d").mkdir()
    (root / "d" / "jit").write_text("not a directory")
    return root / "d"


@pytest.mark.parametrize("make_unusable", [_a_file, _jit_subdir_is_a_file])
def test_unusable_cache_dir_warns_once_and_falls_back(tmp_path, restore_config, make_unusable):
    bad = make_unusable(tmp_path)
    fnx.config.update("cache_dir", str(bad))
    with pytest.warns(RuntimeWarning, match=rf"FNX_CACHE_DIR\) = '{re.escape(str(bad))}' is "
                                            r"unusable \(.*\).*temporary directory"):
        np.testing.assert_allclose(_jit_something_new(1.7), np.tanh(1.0) * 1.7 + 0.25,
                                   rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # once: the fallback is remembered
        np.testing.assert_allclose(_jit_something_new(2.9), np.tanh(1.0) * 2.9 + 0.25,
                                   rtol=1e-6)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes to read-only directories")
def test_read_only_cache_dir_warns_and_falls_back(tmp_path, restore_config):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        fnx.config.update("cache_dir", str(ro))
        with pytest.warns(RuntimeWarning, match=r"is unusable \(Permission denied"):
            _jit_something_new(3.3)
    finally:
        ro.chmod(0o755)
