"""jax's top-level helpers in fnx (issue 21): linear_transpose, closure_convert, custom_gradient,
jacobian, disable_jit, clear_caches, typeof, device / process queries, print_environment_info.

Oracles: numpy matrices (transposes), finite differences and fnx.grad of the plain function
(custom gradients), counting traces (caches)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx.numpy as fnp
from fnx.test_util import check_grads


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_linear_transpose_of_a_matrix_product_is_the_transposed_matrix(m, n, seed):
    a = np.random.default_rng(seed).standard_normal((m, n)).astype(np.float32)
    ct = np.random.default_rng(seed + 1).standard_normal(m).astype(np.float32)
    f_t = fnx.linear_transpose(lambda v: fnp.asarray(a) @ v,
                               fnx.ShapeDtypeStruct((n,), fnp.float32))
    (got,) = f_t(fnp.asarray(ct))
    np.testing.assert_allclose(got, a.T @ ct, rtol=1e-5, atol=1e-6)
    (got_jit,) = fnx.jit(f_t)(fnp.asarray(ct))
    np.testing.assert_allclose(got_jit, a.T @ ct, rtol=1e-5, atol=1e-6)


def test_linear_transpose_several_primals_keeps_their_dtypes():
    f = lambda x, y: 0.5 * x - 0.5 * y  # noqa: E731
    scalar = fnx.ShapeDtypeStruct((), fnp.float32)
    gx, gy = fnx.linear_transpose(f, scalar, scalar)(fnp.float32(1.0))
    assert (float(gx), float(gy)) == (0.5, -0.5)
    assert gx.dtype == np.float32
    tree_f = lambda d: {"s": d["a"] * 2.0 + d["b"].sum()}  # noqa: E731
    (g,) = fnx.linear_transpose(tree_f, {"a": fnp.zeros(2), "b": fnp.zeros(3, fnp.float64)})(
        {"s": fnp.asarray([1.0, 2.0])})
    np.testing.assert_allclose(g["a"], [2.0, 4.0])
    np.testing.assert_allclose(g["b"], [3.0, 3.0, 3.0])
    assert g["b"].dtype == np.float64
    with pytest.raises(TypeError, match="linear_transpose.*floating"):
        fnx.linear_transpose(lambda i: i, fnp.zeros(2, fnp.int32))


def test_closure_convert_hoists_closed_over_arrays():
    table = fnp.asarray([1.0, 2.0, 3.0])
    converted, consts = fnx.closure_convert(lambda x: x * table, fnp.ones(3))
    assert len(consts) == 1 and np.array_equal(consts[0], table)
    np.testing.assert_allclose(converted(fnp.asarray([2.0, 2.0, 2.0]), *consts), [2, 4, 6])
    # the hoisted constant is an explicit argument now: a different one changes the result
    np.testing.assert_allclose(converted(fnp.ones(3), fnp.zeros(3)), [0, 0, 0])
    with pytest.raises(TypeError, match="closure_convert"):
        converted(fnp.ones(3))


def test_closure_convert_of_a_tracer_closure_in_custom_vjp():
    def outer(w):
        f = lambda x: fnp.sin(w * x)  # noqa: E731  closes over the traced w
        converted, consts = fnx.closure_convert(f, fnp.ones(2))
        return converted(fnp.asarray([0.5, 1.0]), *consts).sum()
    w = 1.3
    want = 0.5 * np.cos(w * 0.5) + 1.0 * np.cos(w * 1.0)
    assert float(fnx.grad(outer)(w)) == pytest.approx(want, rel=1e-5)


@fnx.custom_gradient
def clipped_sin(x):
    y = fnp.sin(x)
    return y, lambda ct: (fnp.clip(ct * fnp.cos(x), -0.5, 0.5),)


def test_custom_gradient_uses_the_given_rule():
    x = fnp.asarray([0.0, 1.0, 2.0, 3.0])
    np.testing.assert_allclose(clipped_sin(x), np.sin([0.0, 1.0, 2.0, 3.0]), rtol=1e-6)
    want = np.clip(np.cos([0.0, 1.0, 2.0, 3.0]), -0.5, 0.5)
    for g in (fnx.grad(lambda v: clipped_sin(v).sum()),
              fnx.jit(fnx.grad(lambda v: clipped_sin(v).sum()))):
        np.testing.assert_allclose(g(x), want, rtol=1e-6)
    per_example = fnx.vmap(fnx.grad(clipped_sin))(x)
    np.testing.assert_allclose(per_example, want, rtol=1e-6)


def test_custom_gradient_with_a_true_rule_matches_finite_differences():
    @fnx.custom_gradient
    def log1pexp(x):
        e = fnp.exp(x)
        return fnp.log1p(e), lambda ct: (ct * e / (1 + e),)
    check_grads(log1pexp, (fnp.asarray([-2.0, 0.5, 3.0], fnp.float64),), order=1,
                modes=("rev",))


def test_jacobian_is_jacrev():
    f = lambda x: fnp.stack([x[0] * x[1], fnp.sin(x[1])])  # noqa: E731
    x = fnp.asarray([2.0, 0.5])
    np.testing.assert_allclose(fnx.jacobian(f)(x), [[0.5, 2.0], [0.0, np.cos(0.5)]],
                               rtol=1e-6)


def test_disable_jit_runs_the_python_code_and_clear_caches_retraces():
    traced = []

    @fnx.jit
    def f(x):
        traced.append(type(x).__name__)
        return x * 2
    with fnx.disable_jit():
        np.testing.assert_allclose(f(fnp.ones(2)), [2.0, 2.0])
        np.testing.assert_allclose(f(fnp.ones(2)), [2.0, 2.0])
    assert traced == ["Array", "Array"]       # ran eagerly, twice
    f(fnp.ones(2))
    f(fnp.ones(2))
    assert len(traced) == 3                   # traced once, then cached
    fnx.clear_caches()
    np.testing.assert_allclose(f(fnp.ones(2)), [2.0, 2.0])
    assert len(traced) == 4
    with fnx.disable_jit(False):
        f(fnp.ones(2))
    assert len(traced) == 4


def test_typeof_and_single_process_device_queries():
    aval = fnx.typeof(fnp.ones((2, 3), fnp.int32))
    assert aval.shape == (2, 3) and aval.dtype == np.int32
    assert fnx.typeof(1.0).weak_type
    assert fnx.default_backend() == "cpu"
    assert fnx.device_count() == fnx.local_device_count() == len(fnx.local_devices()) == 1
    assert fnx.device_count("cuda") == len(fnx.devices("cuda"))
    assert (fnx.process_index(), fnx.process_count(), fnx.process_indices()) == (0, 1, [0])
    assert (fnx.host_id(), fnx.host_count()) == (0, 1)
    with pytest.raises(ValueError, match="local_devices"):
        fnx.local_devices(process_index=1)
    fnx.effects_barrier()


def test_print_environment_info_names_the_versions(capsys):
    text = fnx.print_environment_info(return_string=True)
    assert f"numpy: {np.__version__}" in text and "fnx:" in text and "python:" in text
    fnx.print_environment_info()
    assert capsys.readouterr().out.strip() == text
