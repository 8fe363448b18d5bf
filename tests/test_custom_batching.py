"""fnx.custom_batching: custom_vmap's rule runs under vmap (with the right in_batched flags) and
only there; nested vmap, jit, jvp (JAX's jvp-of-the-rule semantics), errors; sequential_vmap."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import custom_batching
from fnx.custom_batching import custom_vmap, sequential_vmap
from fnx.errors import AutodiffError, InvalidArgumentError, ShapeError


def _logged_add_mul():
    """f(x, y) = x + y, whose vmap rule computes x * y instead (so which one ran is visible)."""
    log = []

    @custom_vmap
    def f(x, y):
        return x + y

    @f.def_vmap
    def rule(axis_size, in_batched, xs, ys):
        log.append((axis_size, list(in_batched), tuple(xs.shape), tuple(ys.shape)))
        return xs * ys, True

    return f, log


def test_module_names():
    assert fnx.custom_batching.custom_vmap is custom_vmap
    assert custom_batching.sequential_vmap is sequential_vmap


def test_outside_vmap_the_function_runs():
    f, log = _logged_add_mul()
    np.testing.assert_allclose(np.asarray(f(np.arange(3.0), np.ones(3))), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(np.asarray(fnx.jit(f)(np.arange(3.0), np.ones(3))),
                               [1.0, 2.0, 3.0])
    assert log == []


@pytest.mark.parametrize("in_axes,flags", [((0, 0), [True, True]), ((0, None), [True, False]),
                                           ((None, 1), [False, True])])
def test_the_rule_runs_under_vmap_with_in_batched(in_axes, flags):
    f, log = _logged_add_mul()
    x = np.arange(1.0, 5.0).reshape(4, 1) * np.ones((4, 2))   # batch of 4 along axis 0
    y = np.arange(2.0, 10.0).reshape(2, 4)                    # batch of 4 along axis 1
    xa = x if in_axes[0] == 0 else x[0]
    ya = y if in_axes[1] == 1 else (y.T if in_axes[1] == 0 else y[:, 0])
    got = fnx.vmap(f, in_axes=in_axes)(xa, ya)
    xs = x if flags[0] else np.broadcast_to(x[0], (4, 2))
    ys = y.T if flags[1] else np.broadcast_to(y[:, 0], (4, 2))
    np.testing.assert_allclose(np.asarray(got), xs * ys)
    assert log == [(4, flags, (4, 2) if flags[0] else (2,), (4, 2) if flags[1] else (2,))]


def test_rule_with_unbatched_output_and_pytrees():
    @custom_vmap
    def f(pair, scale):
        a, b = pair
        return {"sum": a + b, "scale": scale}

    @f.def_vmap
    def rule(axis_size, in_batched, pair, scale):
        assert in_batched == [(True, False), False]
        a, b = pair
        return {"sum": a - b, "scale": scale * 10}, {"sum": True, "scale": False}

    out = fnx.vmap(f, in_axes=((0, None), None), out_axes={"sum": 0, "scale": None})(
        (np.arange(3.0), np.float32(1.0)), np.float32(2.0))
    np.testing.assert_allclose(np.asarray(out["sum"]), np.arange(3.0) - 1)
    assert float(out["scale"]) == 20.0


def test_nested_vmap_runs_the_rule_at_each_level():
    f, log = _logged_add_mul()
    x = np.arange(6.0).reshape(2, 3)
    y = np.full((2, 3), 3.0)
    np.testing.assert_allclose(np.asarray(fnx.vmap(fnx.vmap(f))(x, y)), x * y)
    # the inner vmap's rule runs (its multiply is batched by the outer vmap, per example)
    assert [entry[:2] for entry in log] == [(3, [True, True])]
    log.clear()
    np.testing.assert_allclose(np.asarray(fnx.vmap(fnx.vmap(f), in_axes=(0, None))(x, y[0])),
                               x * y[0])
    assert [entry[:2] for entry in log] == [(3, [True, True])]


def test_rule_that_calls_the_function_again_nests():
    calls = []

    @custom_vmap
    def f(x):
        return fnp.sin(x)

    @f.def_vmap
    def rule(axis_size, in_batched, xs):
        calls.append(axis_size)
        return fnp.cos(xs), True

    @custom_vmap
    def g(x):
        return f(x)

    @g.def_vmap
    def g_rule(axis_size, in_batched, xs):
        calls.append(("g", axis_size))
        return fnx.vmap(f)(xs), True     # batched f again: f's rule

    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(np.asarray(fnx.vmap(g)(x)), np.cos(x), rtol=1e-6)
    assert calls == [("g", 2), 2]


def test_jit_and_vmap_compose_both_ways():
    f, log = _logged_add_mul()
    x, y = np.arange(3.0), np.arange(1.0, 4.0)
    for fn in (fnx.jit(fnx.vmap(f)), fnx.vmap(fnx.jit(f)), fnx.jit(fnx.vmap(fnx.jit(f)))):
        np.testing.assert_allclose(np.asarray(fn(x, y)), x * y)
    assert len(log) == 3
    jaxpr = str(fnx.make_jaxpr(f)(x, y))
    assert "custom_vmap_call" in jaxpr and "rule=rule" in jaxpr


def test_closure_over_a_constant_and_over_a_batched_value():
    c = np.float32(5.0)

    @custom_vmap
    def f(x):
        return x + c

    @f.def_vmap
    def rule(axis_size, in_batched, xs):
        return xs * c, True

    np.testing.assert_allclose(np.asarray(fnx.vmap(f)(np.arange(3.0))), np.arange(3.0) * 5)

    def outer(z):
        @custom_vmap
        def h(x):
            return x + z

        h.def_vmap(lambda n, b, xs: (xs, True))
        return h(np.float32(1.0))

    with pytest.raises(InvalidArgumentError, match="closes over a value that an enclosing vmap"):
        fnx.vmap(outer)(np.arange(3.0))


# -- differentiation ------------------------------------------------------------------------------

def _sin_with_cos_rule():
    log = []

    @custom_vmap
    def f(x):
        return fnp.sin(x)

    @f.def_vmap
    def rule(axis_size, in_batched, xs):
        log.append(list(in_batched))
        return fnp.cos(xs), in_batched[0]

    return f, log


def test_jvp_outside_vmap_differentiates_the_function():
    f, log = _sin_with_cos_rule()
    y, t = fnx.jvp(f, (0.7,), (2.0,))
    np.testing.assert_allclose([float(y), float(t)], [np.sin(0.7), 2 * np.cos(0.7)], rtol=1e-6)
    assert log == []


def test_vmap_of_jvp_uses_the_jvp_of_the_rule():
    f, log = _sin_with_cos_rule()
    xs, ts = np.arange(3.0), np.arange(2.0, 5.0)
    ys, tys = fnx.vmap(lambda x, t: fnx.jvp(f, (x,), (t,)))(xs, ts)
    np.testing.assert_allclose(np.asarray(ys), np.cos(xs), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(tys), -np.sin(xs) * ts, rtol=1e-6, atol=1e-7)
    assert log == [[True]]


def test_extra_batched_tangents_and_primals_see_unbatched_rule_inputs():
    f, log = _sin_with_cos_rule()
    txs = 2.0 + np.arange(3.0)
    y, tys = fnx.vmap(lambda x, t: fnx.jvp(f, (x,), (t,)), in_axes=(None, 0),
                      out_axes=(None, 0))(np.float64(1.0), txs)
    np.testing.assert_allclose(float(y), np.cos(1.0), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(tys), -np.sin(1.0) * txs, rtol=1e-6)
    xs = np.arange(3.0)
    ys, tys = fnx.vmap(lambda x, t: fnx.jvp(f, (x,), (t,)), in_axes=(0, None))(xs,
                                                                              np.float64(4.0))
    np.testing.assert_allclose(np.asarray(tys), -np.sin(xs) * 4, rtol=1e-6, atol=1e-7)
    assert log == [[False], [False]]


def test_jacfwd_batches_tangents_through_the_rule():
    f, log = _sin_with_cos_rule()
    x = np.arange(3.0) + 0.72
    np.testing.assert_allclose(np.asarray(fnx.jacfwd(f)(x)), -np.diag(np.sin(x)), rtol=1e-6,
                               atol=1e-7)


def test_mixed_mutual_and_extra_batching_broadcasts():
    log = []

    @custom_vmap
    def f(x, y):
        return x * y

    @f.def_vmap
    def rule(axis_size, in_batched, xs, ys):
        log.append(list(in_batched))
        xs = xs if in_batched[0] else fnp.broadcast_to(xs, (axis_size,) + xs.shape)
        ys = ys if in_batched[1] else fnp.broadcast_to(ys, (axis_size,) + ys.shape)
        return xs * ys + 1, True

    xs, ys, tx = np.arange(3.0), np.arange(2.0, 5.0), np.arange(5.0, 8.0)
    out, tan = fnx.vmap(lambda x, y, t: fnx.jvp(f, (x, y), (t, np.float64(1.0))),
                        in_axes=(0, 0, 0))(xs, ys, tx)
    np.testing.assert_allclose(np.asarray(out), xs * ys + 1)
    np.testing.assert_allclose(np.asarray(tan), tx * ys + xs)
    assert log == [[True, True]]


def test_reverse_mode_is_an_error_as_in_jax():
    f, _ = _sin_with_cos_rule()
    with pytest.raises(AutodiffError, match="Linearization failed to produce known values"):
        fnx.grad(f)(0.5)


def test_custom_vjp_outside_custom_vmap_gives_both():
    @fnx.custom_vjp
    @custom_vmap
    def f(x, y):
        return fnp.sin(x) * y

    @f.fun.def_vmap
    def rule(axis_size, in_batched, xs, ys):
        return fnp.cos(xs) * ys, True

    f.defvjp(lambda x, y: (f(x, y), (fnp.cos(x), fnp.sin(x), y)),
             lambda res, g: (res[0] * g * res[2], res[1] * g))
    xs, ys = np.linspace(0, 1, 5), np.linspace(-0.1, 0.1, 5)
    np.testing.assert_allclose(np.asarray(fnx.vmap(f)(xs, ys)), np.cos(xs) * ys, rtol=1e-6)
    g = fnx.grad(f, argnums=(0, 1))(0.3, 2.0)
    np.testing.assert_allclose([float(g[0]), float(g[1])], [np.cos(0.3) * 2, np.sin(0.3)],
                               rtol=1e-6)


# -- sequential_vmap ------------------------------------------------------------------------------

def test_sequential_vmap_loops_and_matches():
    seen = []

    @sequential_vmap
    def f(x, y):
        seen.append(tuple(x.shape))
        return {"out": fnp.sum(x) * y}

    xs = np.arange(12.0).reshape(4, 3)
    got = fnx.vmap(f, in_axes=(0, None))(xs, 2.0)
    np.testing.assert_allclose(np.asarray(got["out"]), xs.sum(1) * 2)
    assert (3,) in seen                            # f ran on one example at a time
    got = fnx.vmap(f)(xs, np.arange(4.0))
    np.testing.assert_allclose(np.asarray(got["out"]), xs.sum(1) * np.arange(4.0))
    jaxpr = str(fnx.make_jaxpr(fnx.vmap(f))(xs, np.arange(4.0)))
    assert "scan" in jaxpr
    np.testing.assert_allclose(np.asarray(fnx.jit(fnx.vmap(f))(xs, np.arange(4.0))["out"]),
                               xs.sum(1) * np.arange(4.0))
    nested = fnx.vmap(fnx.vmap(f, in_axes=(0, None)), in_axes=(0, None))(xs.reshape(2, 2, 3),
                                                                          3.0)
    np.testing.assert_allclose(np.asarray(nested["out"]), xs.reshape(2, 2, 3).sum(-1) * 3)


def test_sequential_vmap_equals_plain_vmap_loop():
    f = sequential_vmap(lambda x: fnp.linalg.norm(x) * x)
    xs = np.random.default_rng(0).normal(size=(5, 3))
    want = np.stack([np.linalg.norm(x) * x for x in xs])
    np.testing.assert_allclose(np.asarray(fnx.vmap(f)(xs)), want, rtol=1e-6)


# -- errors ---------------------------------------------------------------------------------------

def test_errors():
    @custom_vmap
    def f(x):
        return fnp.sin(x)

    with pytest.raises(AttributeError, match="No batching rule defined for custom_vmap "
                                             "function f"):
        f(0.5)

    f.def_vmap(lambda n, b, xs: ([fnp.sin(xs), fnp.cos(xs)], b))
    with pytest.raises(ValueError, match="output value and output batching specification"):
        fnx.vmap(f)(np.arange(3.0))
    f.def_vmap(lambda n, b, xs: ([fnp.sin(xs)], [True]))
    with pytest.raises(ValueError, match="does not match that of original custom-vmapped"):
        fnx.vmap(f)(np.arange(3.0))
    f.def_vmap(lambda n, b, xs: (fnp.sin(xs[0]), True))
    with pytest.raises(ShapeError, match=r"output 0 is float32\[\].*marked batched"):
        fnx.vmap(f)(np.arange(3.0, dtype=np.float32))
    f.def_vmap(lambda n, b, xs: fnp.sin(xs))
    with pytest.raises(InvalidArgumentError, match="must return a pair"):
        fnx.vmap(f)(np.arange(3.0))


def test_keyword_arguments_resolve_to_positions():
    log = []

    @custom_vmap
    def f(x, y=1.0):
        return x * y

    @f.def_vmap
    def rule(axis_size, in_batched, xs, ys):
        log.append(list(in_batched))
        return xs * ys + 100, in_batched[0] or in_batched[1]

    assert float(f(x=2.0, y=3.0)) == 6.0
    np.testing.assert_allclose(np.asarray(fnx.vmap(lambda x: f(x=x, y=2.0))(np.arange(3.0))),
                               np.arange(3.0) * 2 + 100)
    assert log == [[True, False]]
    with pytest.raises(TypeError, match="could not be resolved to positional"):
        f(1.0, z=2.0)
