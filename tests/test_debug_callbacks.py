"""fnx.debug.print / debug.callback, fnx.pure_callback, named_scope / named_call and
ensure_compile_time_eval, under every transformation (issue 21).

Expected outputs are computed independently: printed values are formatted from numpy
computations of the same expressions, pure_callback results compared with numpy / a Python
loop over the batch."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.errors import AutodiffError, FnxError


def printed_lines(capsys):
    return capsys.readouterr().out.splitlines()


def fmt(x):
    return str(np.asarray(x, np.float32))


# ---------------------------------------------------------------------------------------------
# debug.print / debug.callback
# ---------------------------------------------------------------------------------------------

def f_print(x):
    y = x * x + 1   # exact in float32 for these inputs: the printed text is comparable
    fnx.debug.print("y={} x={x}", y, x=x)
    return y.sum()


def expected_f_print(x):
    x = np.asarray(x, np.float32)
    return f"y={fmt(x * x + 1)} x={fmt(x)}"


X = np.array([0.0, 1.0, 2.0], np.float32)


@pytest.mark.parametrize("transform", ["eager", "jit", "grad", "jit_grad", "grad_jit",
                                       "value_and_grad", "vjp", "jvp", "checkpoint_grad"])
def test_print_sees_the_primal_values_once(capsys, transform):
    f = {
        "eager": f_print,
        "jit": fnx.jit(f_print),
        "grad": fnx.grad(f_print),
        "jit_grad": fnx.jit(fnx.grad(f_print)),
        "grad_jit": fnx.grad(fnx.jit(f_print)),
        "value_and_grad": fnx.value_and_grad(f_print),
        "vjp": lambda x: fnx.vjp(f_print, x)[1](fnp.float32(1.0)),
        "jvp": lambda x: fnx.jvp(f_print, (x,), (fnp.ones_like(x),)),
        "checkpoint_grad": fnx.grad(fnx.checkpoint(f_print)),
    }[transform]
    f(fnp.asarray(X))
    assert printed_lines(capsys) == [expected_f_print(X)]


def test_jitted_print_prints_on_every_call_with_that_calls_values(capsys):
    f = fnx.jit(f_print)
    for shift in range(3):
        f(fnp.asarray(X + shift))
    assert printed_lines(capsys) == [expected_f_print(X + s) for s in range(3)]


def test_vmap_prints_once_per_example_in_order(capsys):
    xs = np.arange(6, dtype=np.float32).reshape(2, 3)
    fnx.vmap(f_print)(fnp.asarray(xs))
    fnx.jit(fnx.vmap(f_print))(fnp.asarray(xs))
    expected = [expected_f_print(r) for r in xs]
    assert printed_lines(capsys) == expected + expected


def scan_body(c, x):
    fnx.debug.print("c={} x={}", c, x)
    return c * x, c


def scan_f(c0, xs):
    return lax.scan(scan_body, c0, xs)[0]


@pytest.mark.parametrize("transform", ["eager", "jit", "grad", "jit_grad"])
def test_scan_body_prints_once_per_iteration(capsys, transform):
    f = {"eager": scan_f, "jit": fnx.jit(scan_f), "grad": fnx.grad(scan_f),
         "jit_grad": fnx.jit(fnx.grad(scan_f))}[transform]
    xs = np.array([1.5, 2.0, 3.0], np.float32)
    f(fnp.float32(1.0), fnp.asarray(xs))
    carries = np.cumprod(np.concatenate([[1.0], xs[:-1]])).astype(np.float32)
    assert printed_lines(capsys) == [f"c={fmt(c)} x={fmt(x)}" for c, x in zip(carries, xs)]


def test_while_and_cond_bodies_print_under_jit(capsys):
    def count(n):
        def body(i):
            fnx.debug.print("i={}", i)
            return i + 1
        return lax.while_loop(lambda i: i < n, body, 0)

    def branch(p, x):
        return lax.cond(p, lambda v: (fnx.debug.print("yes {}", v), v)[1],
                        lambda v: (fnx.debug.print("no {}", v), v)[1], x)
    assert int(fnx.jit(count)(3)) == 3
    fnx.jit(branch)(True, 1)
    fnx.jit(branch)(False, 2)
    assert printed_lines(capsys) == ["i=0", "i=1", "i=2", "yes 1", "no 2"]


def test_jit_keeps_identical_and_unused_callbacks(capsys):
    # cse must not merge the two prints, dce must not drop a print whose function returns
    # nothing, and fold_constants must not run it at compile time
    def twice(x):
        fnx.debug.print("v={}", x * 2)
        fnx.debug.print("v={}", x * 2)

    def constant_only():
        fnx.debug.print("const={}", fnp.arange(3) + 1)
    fnx.jit(twice)(fnp.asarray([1.0, 2.0]))
    fnx.jit(constant_only)()
    fnx.jit(constant_only)()
    assert printed_lines(capsys) == ["v=[2. 4.]"] * 2 + ["const=[1 2 3]"] * 2


def test_debug_log_goes_through_logging_under_jit(caplog):
    import logging
    with caplog.at_level(logging.INFO, logger="fnx.debug"):
        fnx.jit(lambda x: fnx.debug.log("sum={s}", s=x.sum()))(fnp.asarray([1, 2, 3]))
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("fnx.debug", logging.INFO, "sum=6")]


def test_debug_callback_gets_numpy_values_and_static_arguments():
    seen = []

    def record(a, tag, *, b):
        seen.append((type(a), a.copy(), tag, b.copy()))

    def f(x):
        fnx.debug.callback(record, x + 1, "tag", b={"k": x * 3}["k"])
        return x
    x = np.array([[1.0, 2.0]], np.float32)
    fnx.jit(f)(fnp.asarray(x))
    f(fnp.asarray(x))
    assert len(seen) == 2
    for kind, a, tag, b in seen:
        assert kind is np.ndarray and tag == "tag"
        np.testing.assert_array_equal(a, x + 1)
        np.testing.assert_array_equal(b, x * 3)


def test_print_format_specs_and_errors(capsys):
    fnx.debug.print("{:.2f} {n}", fnp.float32(1.0 / 3.0), n=fnp.int32(7))
    assert printed_lines(capsys) == ["0.33 7"]
    with pytest.raises(TypeError, match="debug.print"):
        fnx.debug.print(3, fnp.ones(2))
    with pytest.raises(TypeError, match="debug.callback"):
        fnx.debug.callback("not callable", fnp.ones(2))


def test_print_leaves_gradients_and_values_unchanged():
    def plain(x):
        return (x * x + 1).sum()
    x = fnp.asarray(X)
    np.testing.assert_allclose(fnx.grad(f_print)(x), fnx.grad(plain)(x), rtol=1e-6)
    np.testing.assert_allclose(fnx.jit(f_print)(x), plain(x), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# pure_callback
# ---------------------------------------------------------------------------------------------

def np_cumsum_call(x):
    return fnx.pure_callback(lambda a: np.cumsum(a, axis=-1).astype(a.dtype),
                             fnx.ShapeDtypeStruct(x.shape, x.dtype), x)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(-10, 10, width=32), min_size=1, max_size=6))
def test_pure_callback_matches_numpy_eager_and_jit(values):
    x = np.array(values, np.float32)
    want = np.cumsum(x)
    np.testing.assert_allclose(np_cumsum_call(fnp.asarray(x)), want, rtol=1e-6)
    np.testing.assert_allclose(fnx.jit(np_cumsum_call)(fnp.asarray(x)), want, rtol=1e-6)


@pytest.mark.parametrize("vmap_method", ["sequential", "sequential_unrolled", "expand_dims",
                                         "broadcast_all", "vectorized"])
@pytest.mark.parametrize("jit", [False, True])
def test_pure_callback_vmap_methods_equal_a_loop(vmap_method, jit):
    calls = []

    def host(a, b):
        calls.append(a.shape)
        return (a * b + 1).astype(np.float32)

    kwargs = ({"vectorized": True} if vmap_method == "vectorized"
              else {"vmap_method": vmap_method})

    def f(x, y):
        return fnx.pure_callback(host, fnx.ShapeDtypeStruct(x.shape, x.dtype), x, y, **kwargs)
    xs = np.arange(12, dtype=np.float32).reshape(3, 4)
    y = np.linspace(-1, 1, 4).astype(np.float32)
    g = fnx.vmap(f, in_axes=(0, None))
    got = (fnx.jit(g) if jit else g)(fnp.asarray(xs), fnp.asarray(y))
    np.testing.assert_allclose(got, np.stack([r * y + 1 for r in xs]), rtol=1e-6)
    one_call = vmap_method in ("expand_dims", "broadcast_all", "vectorized")
    assert calls == ([(3, 4)] if one_call else [(4,)] * 3)


def test_pure_callback_pytrees_and_static_arguments():
    def host(d, scale):
        return {"sum": np.float32(d["a"].sum() * scale), "neg": -d["b"]}

    def f(a, b):
        shapes = {"sum": fnx.ShapeDtypeStruct((), fnp.float32),
                  "neg": fnx.ShapeDtypeStruct(b.shape, b.dtype)}
        return fnx.pure_callback(host, shapes, {"a": a, "b": b}, scale=2.0)
    a = np.array([1.0, 2.0], np.float32)
    b = np.array([3, 4], np.int32)
    for g in (f, fnx.jit(f)):
        out = g(fnp.asarray(a), fnp.asarray(b))
        assert float(out["sum"]) == pytest.approx(6.0)
        np.testing.assert_array_equal(out["neg"], -b)
        assert out["neg"].dtype == np.int32


def test_pure_callback_is_not_differentiable_but_custom_jvp_makes_it():
    x = fnp.asarray([0.5, 1.0])
    with pytest.raises(AutodiffError, match="pure_callback.*custom_jvp"):
        fnx.grad(lambda v: np_cumsum_call(v).sum())(x)

    @fnx.custom_jvp
    def host_sin(v):
        return fnx.pure_callback(np.sin, fnx.ShapeDtypeStruct(v.shape, v.dtype), v)

    host_sin.defjvp(lambda primals, tangents: (host_sin(primals[0]),
                                               fnp.cos(primals[0]) * tangents[0]))
    np.testing.assert_allclose(fnx.grad(lambda v: host_sin(v).sum())(x), np.cos([0.5, 1.0]),
                               rtol=1e-6)
    np.testing.assert_allclose(fnx.jit(fnx.grad(lambda v: host_sin(v).sum()))(x),
                               np.cos([0.5, 1.0]), rtol=1e-6)


def test_pure_callback_wrong_results_raise_clear_errors():
    x = fnp.ones(3)
    spec = fnx.ShapeDtypeStruct((3,), fnp.float32)
    with pytest.raises(FnxError, match=r"pure_callback.*float32\[4\].*f32\[3\]"):
        fnx.pure_callback(lambda a: np.ones(4, np.float32), spec, x)
    with pytest.raises(FnxError, match=r"pure_callback.*float64\[3\].*f32\[3\]"):
        fnx.pure_callback(lambda a: np.ones(3, np.float64), spec, x)
    with pytest.raises(FnxError, match="structure"):
        fnx.pure_callback(lambda a: (a, a), spec, x)
    with pytest.raises(FnxError, match=r"pure_callback.*float32\[4\]"):
        fnx.jit(lambda v: fnx.pure_callback(lambda a: np.ones(4, np.float32), spec, v))(x)
    with pytest.raises(ValueError, match="vmap_method"):
        fnx.pure_callback(np.sin, spec, x, vmap_method="parallel")
    with pytest.raises(FnxError, match="shape and .dtype"):
        fnx.pure_callback(np.sin, 3, x)
    with pytest.raises(TypeError, match="callable"):
        fnx.pure_callback(None, spec, x)


def test_pure_callback_inside_scan_under_jit():
    def body(c, x):
        y = fnx.pure_callback(lambda a, b: (a * b).astype(np.float32),
                              fnx.ShapeDtypeStruct((), fnp.float32), c, x)
        return y + 1, y
    xs = np.array([2.0, 3.0, 0.5], np.float32)
    carry, ys = fnx.jit(lambda xs: lax.scan(body, fnp.float32(1.0), xs))(fnp.asarray(xs))
    c, want = 1.0, []
    for x in xs:
        want.append(c * x)
        c = c * x + 1
    np.testing.assert_allclose(ys, want, rtol=1e-6)
    assert float(carry) == pytest.approx(c)


# ---------------------------------------------------------------------------------------------
# named_scope / named_call
# ---------------------------------------------------------------------------------------------

def eqn_scopes(closed):
    return [(e.primitive.name, e.scope) for e in closed.jaxpr.eqns]


def test_named_scopes_are_recorded_and_printed():
    def f(x):
        with fnx.named_scope("block"):
            y = fnp.sin(x)
            with fnx.named_scope("inner"):
                y = y * 2
        return y.sum()
    closed = fnx.make_jaxpr(f)(fnp.ones(3))
    assert eqn_scopes(closed) == [("sin", "block"), ("mul", "block/inner"), ("reduce_sum", "")]
    text = str(closed)
    assert "sin a  # block" in text and "# block/inner" in text


def test_named_call_and_decorator_forms():
    def dense(x):
        return x * 3 + 1
    closed = fnx.make_jaxpr(lambda x: fnx.named_call(dense)(x) - fnx.named_call(
        dense, name="second")(x))(fnp.ones(2))
    assert [s for _, s in eqn_scopes(closed)] == ["dense", "dense", "second", "second", ""]

    @fnx.named_scope("decorated")
    def g(x):
        return fnp.exp(x)
    assert eqn_scopes(fnx.make_jaxpr(g)(fnp.ones(2))) == [("exp", "decorated")]
    np.testing.assert_allclose(fnx.named_call(dense)(fnp.ones(2)), [4.0, 4.0])


def test_scopes_under_grad_jit_and_in_sub_jaxprs():
    def f(x):
        with fnx.named_scope("layer"):
            return (fnp.sin(x) * x).sum()
    closed = fnx.make_jaxpr(fnx.grad(f))(fnp.ones(3))
    scopes = {s for _, s in eqn_scopes(closed)}
    assert "layer" in scopes and "transpose(layer)" in scopes

    def outer(x):
        with fnx.named_scope("outer"):
            return fnx.jit(fnx.named_call(lambda v: fnp.tanh(v), name="tanh_layer"))(x)
    (jit_eqn,) = fnx.make_jaxpr(outer)(fnp.ones(2)).jaxpr.eqns
    assert jit_eqn.scope == "outer"
    # names inside a sub-jaxpr are relative to the equation holding it
    assert [e.scope for e in jit_eqn.params["jaxpr"].eqns] == ["tanh_layer"]
    np.testing.assert_allclose(fnx.grad(f)(fnp.ones(3)), np.sin(1.0) + np.cos(1.0), rtol=1e-6)


def test_named_scopes_under_vmap_and_inside_scan_bodies():
    def f(x):
        with fnx.named_scope("per_example"):
            return fnp.tanh(x) * 2
    assert {s for _, s in eqn_scopes(fnx.make_jaxpr(fnx.vmap(f))(fnp.ones((3, 2))))} == {
        "per_example"}

    def body(c, x):
        with fnx.named_scope("step"):
            return c + fnp.sin(x), c

    def g(xs):
        with fnx.named_scope("loop"):
            return lax.scan(body, 0.0, xs)
    eqns = fnx.make_jaxpr(g)(fnp.ones(4)).jaxpr.eqns
    assert {e.scope for e in eqns} == {"loop"}
    (scan_eqn,) = [e for e in eqns if e.primitive.name == "scan"]
    assert {e.scope for e in scan_eqn.params["jaxpr"].eqns} == {"step"}
    np.testing.assert_allclose(fnx.jit(g)(fnp.ones(4))[0], 4 * np.sin(1.0), rtol=1e-6)


def test_named_scope_rejects_bad_names():
    with pytest.raises(TypeError, match="named_scope"):
        with fnx.named_scope(""):
            pass
    with pytest.raises(TypeError, match="named_call"):
        fnx.named_call(3)


# ---------------------------------------------------------------------------------------------
# ensure_compile_time_eval
# ---------------------------------------------------------------------------------------------

def test_ensure_compile_time_eval_gives_concrete_values_inside_jit():
    def f(x):
        with fnx.ensure_compile_time_eval():
            table = fnp.arange(4.0) ** 2
            n = int(table.sum())          # concrete: no ConcretizationTypeError
            assert isinstance(table, fnx.Array)
            y = x * 2                     # a traced operand is still staged
        return y + n
    closed = fnx.make_jaxpr(f)(fnp.float32(1.0))
    assert [e.primitive.name for e in closed.jaxpr.eqns] == ["mul", "add"]
    assert float(fnx.jit(f)(fnp.float32(1.5))) == pytest.approx(1.5 * 2 + 14)


def test_without_compile_time_eval_the_same_code_is_staged():
    def f(x):
        table = fnp.arange(4.0) ** 2
        return x + table.sum()
    closed = fnx.make_jaxpr(f)(fnp.float32(1.0))
    assert "integer_pow" in str(closed) or "pow" in str(closed) or "mul" in str(closed)
