"""jax.lax names added for issue 21 ("a JAX program ports by changing its imports"):
``Precision`` and the ``precision=`` / ``preferred_element_type=`` keywords of the contractions,
``reduce``, ``reduce_xor``, ``reduce_precision``, ``top_k`` / ``approx_max_k`` /
``approx_min_k``, ``population_count`` / ``clz``, and the convenience functions and conv
helpers.  Values against numpy / Python integers / functools.reduce, gradients with
check_grads, jit against eager, vmap against a Python loop, and the errors."""
from __future__ import annotations

import functools
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.lax as lax
import fnx.numpy as fnp
from fnx.errors import DTypeError, InvalidArgumentError, ShapeError
from fnx.test_util import check_grads

INT_DTYPES = ["int8", "uint8", "int32", "uint32", "int64"]
RNG = np.random.default_rng(0)


def _ints(dt, n, rng=RNG):
    info = np.iinfo(dt)
    x = rng.integers(info.min, info.max, n, dtype=dt, endpoint=True)
    x[:4] = [0, info.min, info.max, 1]
    return x


def _jit_eq(f, *args, rtol=0.0):
    """f eagerly and under jit agree (exactly, unless the jit may sum in another order)."""
    eager, jitted = f(*args), fnx.jit(f)(*args)
    for a, b in zip(fnx.tree.leaves(eager), fnx.tree.leaves(jitted)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol)
    return eager


def _vmap_eq(f, x, rtol=0.0):
    batched = fnx.vmap(f)(x)
    looped = [f(x[i]) for i in range(x.shape[0])]
    for j, leaf in enumerate(fnx.tree.leaves(batched)):
        expect = np.stack([np.asarray(fnx.tree.leaves(r)[j]) for r in looped])
        np.testing.assert_allclose(np.asarray(leaf), expect, rtol=rtol)


# =============================================================================================
# Precision, precision= and preferred_element_type=
# =============================================================================================

@pytest.mark.parametrize("text, member", [
    ("default", "DEFAULT"), ("fastest", "DEFAULT"), ("bfloat16", "DEFAULT"),
    ("high", "HIGH"), ("tensorfloat32", "HIGH"), ("bfloat16_3x", "HIGH"),
    ("highest", "HIGHEST"), ("float32", "HIGHEST")])
def test_precision_strings(text, member):
    assert lax.Precision(text) is getattr(lax.Precision, member)
    assert lax.canonicalize_precision(text) == (lax.Precision[member],) * 2


def test_precision_forms():
    P = lax.Precision
    assert lax.canonicalize_precision(None) is None
    assert lax.canonicalize_precision(P.HIGH) == (P.HIGH, P.HIGH)
    assert lax.canonicalize_precision(("high", P.DEFAULT)) == (P.HIGH, P.DEFAULT)
    assert lax.Precision(2) is P.HIGHEST and str(P.HIGH) == "HIGH"
    assert repr(P.DEFAULT) == "Precision.DEFAULT"


@pytest.mark.parametrize("bad", ["fast", 3, ("high",), ("high", "x"), ("a", "b", "c")])
def test_precision_rejects(bad):
    x = np.ones((2, 2), np.float32)
    with pytest.raises(InvalidArgumentError, match="precision"):
        lax.dot(x, x, precision=bad)
    with pytest.raises(ValueError):
        fnp.matmul(x, x, precision=bad)


def test_precision_does_not_change_results():
    a, b = RNG.standard_normal((4, 5)).astype(np.float32), RNG.standard_normal((5, 3)).astype(
        np.float32)
    plain = np.asarray(lax.dot(a, b))
    for p in (lax.Precision.DEFAULT, "highest", ("bfloat16", "float32")):
        np.testing.assert_array_equal(np.asarray(lax.dot(a, b, precision=p)), plain)
        np.testing.assert_array_equal(np.asarray(lax.dot_general(
            a, b, (((1,), (0,)), ((), ())), p)), plain)


@pytest.mark.parametrize("src, pref", [("int8", "int32"), ("uint8", "uint32"),
                                       ("uint8", "int32"), ("int8", "int64"),
                                       ("int32", "int64"), ("uint8", "int8"),
                                       ("int8", "float32"), ("uint32", "float64")])
def test_preferred_integer_accumulation(src, pref):
    a, b = _ints(src, 12).reshape(3, 4), _ints(src, 20, np.random.default_rng(1)).reshape(4, 5)
    with np.errstate(over="ignore"):
        expect = a.astype(np.int64) @ b.astype(np.int64)
        expect = (a.astype(pref) @ b.astype(pref)) if "float" in pref else expect.astype(pref)
    for out in (lax.dot(a, b, preferred_element_type=pref),
                lax.dot_general(a, b, (((1,), (0,)), ((), ())), preferred_element_type=pref),
                fnp.matmul(a, b, preferred_element_type=pref),
                fnp.dot(a, b, preferred_element_type=pref),
                fnp.einsum("ij,jk->ik", a, b, preferred_element_type=pref),
                fnp.tensordot(a, b, 1, preferred_element_type=pref)):
        assert out.dtype == np.dtype(pref)
        np.testing.assert_allclose(np.asarray(out), expect, rtol=1e-6)


def test_small_integer_dot_without_preferred_wraps_like_numpy():
    a, b = _ints("int8", 12).reshape(3, 4), _ints("int8", 20).reshape(4, 5)
    out = lax.dot(a, b)
    assert out.dtype == np.int8
    np.testing.assert_array_equal(np.asarray(out), a @ b)


def test_preferred_float64_computes_in_float64():
    a = (1 + RNG.random((3, 50)) * 1e-7).astype(np.float32)
    b = (1 + RNG.random((50, 2)) * 1e-7).astype(np.float32)
    expect = a.astype(np.float64) @ b.astype(np.float64)
    for out in (lax.dot(a, b, preferred_element_type=np.float64),
                fnp.matmul(a, b, preferred_element_type="float64")):
        assert out.dtype == np.float64
        np.testing.assert_allclose(np.asarray(out), expect, rtol=1e-14)
    v = fnp.vdot(a[0], b[:, 0], preferred_element_type="float64")
    assert v.dtype == np.float64
    np.testing.assert_allclose(float(v), a[0].astype(np.float64) @ b[:, 0].astype(np.float64),
                               rtol=1e-14)
    i = fnp.inner(a, b.T, preferred_element_type="float64")
    assert i.dtype == np.float64
    c = fnp.dot(np.float32(2), a, preferred_element_type="float64")
    assert c.dtype == np.float64


@pytest.mark.parametrize("src, pref, match", [
    ("float32", "int32", "incompatible"), ("float64", "float32", "narrower"),
    ("int32", "uint32", "incompatible"), ("int32", "int8", "narrower"),
    ("complex64", "float64", "incompatible"), ("float32", "complex64", "incompatible"),
    ("float32", "float16", "not a dtype fnx supports")])
def test_preferred_element_type_errors(src, pref, match):
    a = np.ones((2, 2), src)
    with pytest.raises(DTypeError, match=match):
        lax.dot(a, a, preferred_element_type=pref)
    with pytest.raises(DTypeError, match=match):
        fnp.matmul(a, a, preferred_element_type=pref)


def test_preferred_under_grad_jit_vmap():
    a = RNG.standard_normal((3, 4))
    b = RNG.standard_normal((4, 2))
    f = lambda a, b: lax.dot(a.astype(np.float32), b.astype(np.float32),  # noqa: E731
                             preferred_element_type=np.float64)
    assert f(a, b).dtype == np.float64
    check_grads(lambda a, b: lax.dot(a, b, precision="highest",
                                     preferred_element_type=np.float64), (a, b), order=2)
    g = fnx.grad(lambda a: f(a, b).sum())(a.astype(np.float32))
    assert g.dtype == np.float32
    np.testing.assert_allclose(np.asarray(g), np.broadcast_to(b.sum(1), (3, 4)), rtol=1e-6)
    _jit_eq(f, a, b)
    x8 = _ints("int8", 24).reshape(2, 3, 4)
    h = lambda x: lax.dot(x, x.T, preferred_element_type="int32")  # noqa: E731
    _vmap_eq(h, x8)
    _jit_eq(h, x8[0])


def test_conv_precision_and_preferred():
    x = RNG.standard_normal((1, 2, 6, 6)).astype(np.float32)
    w = RNG.standard_normal((3, 2, 3, 3)).astype(np.float32)
    base = lax.conv(x.astype(np.float64), w.astype(np.float64), (1, 1), "SAME")
    outs = [lax.conv(x, w, (1, 1), "SAME", "highest", np.float64),
            lax.conv_general_dilated(x, w, (1, 1), "SAME", precision=lax.Precision.HIGH,
                                     preferred_element_type=np.float64),
            lax.conv_with_general_padding(x, w, (1, 1), ((1, 1), (1, 1)), None, None,
                                          precision="default", preferred_element_type="float64")]
    for out in outs:
        assert out.dtype == np.float64
        np.testing.assert_allclose(np.asarray(out), np.asarray(base), rtol=1e-12)
    with pytest.raises(InvalidArgumentError, match="precision"):
        lax.conv(x, w, (1, 1), "SAME", precision="nope")
    with pytest.raises(DTypeError, match="conv"):
        lax.conv(x, w, (1, 1), "SAME", preferred_element_type="int32")
    check_grads(lambda x, w: lax.conv(x, w, (1, 1), "VALID", preferred_element_type="float64"),
                (x.astype(np.float64), w.astype(np.float64)), order=1)


# =============================================================================================
# reduce, reduce_xor
# =============================================================================================

def _prims(f, *args):
    return [e.primitive.name for e in fnx.make_jaxpr(f)(*args).jaxpr.eqns]


@pytest.mark.parametrize("comp, init, prim, oracle", [
    (lax.add, 0.0, "reduce_sum", np.sum), (lambda a, b: a + b, 0.0, "reduce_sum", np.sum),
    (lax.mul, 1.0, "reduce_prod", np.prod), (lambda a, b: b * a, 1.0, "reduce_prod", np.prod),
    (lax.max, -np.inf, "reduce_max", np.max), (lax.min, np.inf, "reduce_min", np.min),
    (lambda a, b: lax.max(b, a), -np.inf, "reduce_max", np.max)])
def test_reduce_monoids_take_the_fast_path(comp, init, prim, oracle):
    x = RNG.standard_normal((3, 4, 5))
    f = lambda x: lax.reduce(x, init, comp, (0, 2))  # noqa: E731
    assert _prims(f, x) == [prim]
    np.testing.assert_allclose(np.asarray(_jit_eq(f, x, rtol=1e-13)), oracle(x, axis=(0, 2)),
                               rtol=1e-12)


@pytest.mark.parametrize("comp, init, prim, oracle", [
    (lax.bitwise_and, -1, "reduce_and", np.bitwise_and.reduce),
    (lax.bitwise_or, 0, "reduce_or", np.bitwise_or.reduce),
    (lax.max, np.iinfo(np.int32).min, "reduce_max", np.maximum.reduce)])
def test_reduce_integer_monoids(comp, init, prim, oracle):
    x = _ints("int32", 24).reshape(4, 6)
    f = lambda x: lax.reduce(x, np.int32(init), comp, (1,))  # noqa: E731
    assert _prims(f, x) == [prim]
    np.testing.assert_array_equal(np.asarray(f(x)), oracle(x, axis=1))


def test_reduce_non_identity_init_and_general_computation():
    x = RNG.random((3, 7)).astype(np.float64)
    # add with init 1 is not the sum monoid: the general path, init applied once
    f = lambda x: lax.reduce(x, 1.0, lax.add, (1,))  # noqa: E731
    assert "reduce_sum" not in _prims(f, x)
    np.testing.assert_allclose(np.asarray(f(x)), 1 + x.sum(1), rtol=1e-12)
    comb = lambda a, b: a + b + a * b  # noqa: E731   (1 + a)(1 + b) - 1: associative
    out = lax.reduce(x, 0.0, comb, (1,))
    expect = [functools.reduce(comb, row, 0.0) for row in x]
    np.testing.assert_allclose(np.asarray(out), expect, rtol=1e-12)


def test_reduce_keeps_order_for_noncommutative_computation():
    # 2x2 matrix products (associative, not commutative) as a pytree of four operands
    mats = RNG.standard_normal((9, 2, 2))
    ops = tuple(mats[:, i, j] for i in range(2) for j in range(2))

    def matmul(p, q):
        a, b, c, d = p
        e, f, g, h = q
        return (a * e + b * g, a * f + b * h, c * e + d * g, c * f + d * h)
    out = lax.reduce(ops, (1.0, 0.0, 0.0, 1.0), matmul, (0,))
    expect = functools.reduce(np.matmul, mats)
    np.testing.assert_allclose(np.array([float(v) for v in out]).reshape(2, 2), expect,
                               rtol=1e-10)


def _argmax_comb(a, b):
    (va, ia), (vb, ib) = a, b
    take_b = lax.bitwise_or(lax.gt(vb, va), lax.bitwise_and(lax.eq(vb, va), lax.lt(ib, ia)))
    return lax.select(take_b, vb, va), lax.select(take_b, ib, ia)


def test_reduce_variadic_argmax_jit_vmap():
    v = RNG.standard_normal((4, 5, 6)).astype(np.float32)
    idx = np.broadcast_to(np.arange(6, dtype=np.int32), v.shape)
    f = lambda v: lax.reduce((v, idx[0]), (np.float32(-np.inf), np.int32(0)),  # noqa: E731
                             _argmax_comb, (1,))
    vals, where = _jit_eq(f, v[0])
    np.testing.assert_array_equal(np.asarray(where), v[0].argmax(1))
    np.testing.assert_array_equal(np.asarray(vals), v[0].max(1))
    _vmap_eq(f, v)


def test_reduce_general_grad_and_vmap():
    x = RNG.random((4, 5)) + 0.5
    f = lambda x: lax.reduce(x, 0.0, lambda a, b: a + b + a * b, (1,))  # noqa: E731
    check_grads(f, (x,), order=2)
    _vmap_eq(f, RNG.random((3, 4, 5)), rtol=1e-12)
    _jit_eq(f, x)
    g = lambda x: lax.reduce(x, 1.0, lax.mul, (0,))  # noqa: E731   (the monoid path)
    check_grads(g, (x,), order=2)


def test_reduce_empty_axes_give_init():
    out = lax.reduce(np.zeros((0, 3)), 2.0, lambda a, b: a * b, (0,))
    np.testing.assert_array_equal(np.asarray(out), [2.0, 2.0, 2.0])
    assert lax.reduce(np.zeros((3, 0)), 2.0, lambda a, b: a * b, (0,)).shape == (0,)


@settings(max_examples=15, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                  elements=st.floats(-2, 2)), st.data())
def test_reduce_matches_functools(x, data):
    dims = tuple(sorted(data.draw(st.sets(st.integers(0, x.ndim - 1), min_size=1))))
    comb = lambda a, b: a + b + a * b  # noqa: E731
    out = np.asarray(lax.reduce(x, 0.0, comb, dims))
    kept = [d for d in range(x.ndim) if d not in dims]
    rows = np.transpose(x, kept + list(dims)).reshape(
        [x.shape[d] for d in kept] + [-1])
    expect = np.apply_along_axis(lambda r: functools.reduce(comb, r, 0.0), -1, rows)
    np.testing.assert_allclose(out, expect, rtol=1e-9, atol=1e-12)


def test_reduce_xor():
    for dt in INT_DTYPES:
        x = _ints(dt, 21).reshape(3, 7)
        np.testing.assert_array_equal(np.asarray(_jit_eq(lambda x: lax.reduce_xor(x, (1,)), x)),
                                      np.bitwise_xor.reduce(x, axis=1))
    b = RNG.random((4, 5)) > 0.5
    np.testing.assert_array_equal(np.asarray(lax.reduce_xor(b, (0,))),
                                  np.logical_xor.reduce(b, axis=0))
    np.testing.assert_array_equal(np.asarray(lax.reduce(b, False, lax.bitwise_xor, (0,))),
                                  np.logical_xor.reduce(b, axis=0))
    with pytest.raises(DTypeError, match="reduce_xor"):
        lax.reduce_xor(np.ones(3), (0,))


def test_reduce_errors():
    x = np.ones((2, 3))
    with pytest.raises(InvalidArgumentError, match="tree structure"):
        lax.reduce((x, x), 0.0, lax.add, (0,))
    with pytest.raises(ShapeError, match="same shape"):
        lax.reduce((x, np.ones(3)), (0.0, 0.0), lambda a, b: a, (0,))
    with pytest.raises(DTypeError, match="init value"):
        lax.reduce(x, np.int32(0), lambda a, b: a + b, (0,))
    with pytest.raises(ShapeError, match="scalars"):
        lax.reduce(x, np.zeros(2), lax.add, (0,))
    with pytest.raises(IndexError):
        lax.reduce(x, 0.0, lax.add, (2,))
    with pytest.raises(InvalidArgumentError, match="structure"):
        lax.reduce(x, 0.0, lambda a, b: (a, b), (0,))


# =============================================================================================
# reduce_precision
# =============================================================================================

def _bf16_round(x):
    """float32 -> bfloat16 -> float32 in numpy: round to nearest even on the top 16 bits."""
    b = x.view(np.uint32).astype(np.uint64)
    r = (b + 0x7FFF + ((b >> 16) & 1)) & 0xFFFF0000
    out = r.astype(np.uint32).view(np.float32)
    return np.where(np.isnan(x), x, out)


_NORMAL_F16 = st.floats(2.0 ** -14, 7e4, width=32) | st.floats(-7e4, -2.0 ** -14, width=32)


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.float32, st.integers(1, 20), elements=_NORMAL_F16))
def test_reduce_precision_float16(x):
    with np.errstate(over="ignore"):
        expect = x.astype(np.float16).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(lax.reduce_precision(x, 5, 10)), expect)


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.float32, st.integers(1, 20), elements=st.floats(width=32)))
def test_reduce_precision_bfloat16(x):
    np.testing.assert_array_equal(np.asarray(lax.reduce_precision(x, 8, 7)), _bf16_round(x))


def test_reduce_precision_edges():
    x = np.array([1e-6, -1e-6, 2.0 ** -15, 65504, 65519, 65520, -1e6, np.inf, -np.inf, np.nan,
                  -0.0, 0.0], np.float32)
    out = np.asarray(_jit_eq(lambda x: lax.reduce_precision(x, 5, 10), x))
    expect = np.array([0.0, -0.0, 0.0, 65504, 65504, np.inf, -np.inf, np.inf, -np.inf, np.nan,
                       -0.0, 0.0], np.float32)
    np.testing.assert_array_equal(out, expect)
    assert np.array_equal(np.signbit(out[[0, 1, 10]]), [False, True, True])
    x64 = RNG.standard_normal(50) * 1e3
    np.testing.assert_array_equal(np.asarray(lax.reduce_precision(x64, 8, 23)),
                                  x64.astype(np.float32).astype(np.float64))
    np.testing.assert_array_equal(np.asarray(lax.reduce_precision(x64, 11, 52)), x64)
    assert np.asarray(lax.reduce_precision(np.float32(1.75), 8, 0)) == 2.0   # ties to even
    assert np.asarray(lax.reduce_precision(np.float32(1.25), 8, 1)) == 1.0


def test_reduce_precision_derivative_and_vmap():
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    f = lambda x: lax.reduce_precision(x, 5, 10)  # noqa: E731
    y, t = fnx.jvp(f, (x,), (np.full_like(x, 0.5),))
    np.testing.assert_array_equal(np.asarray(t), np.full_like(x, 0.5))
    g = fnx.grad(lambda x: (f(x) * 2.0).sum())(x)
    np.testing.assert_array_equal(np.asarray(g), np.full_like(x, 2.0))
    _vmap_eq(f, x)


def test_reduce_precision_errors():
    with pytest.raises(DTypeError, match="reduce_precision"):
        lax.reduce_precision(np.ones(3, np.int32), 5, 10)
    with pytest.raises(InvalidArgumentError, match="exponent_bits"):
        lax.reduce_precision(np.ones(3, np.float32), 0, 10)
    with pytest.raises(InvalidArgumentError, match="mantissa_bits"):
        lax.reduce_precision(np.ones(3, np.float32), 5, -1)
    with pytest.raises(TypeError, match="integers"):
        lax.reduce_precision(np.ones(3, np.float32), 5.5, 10)


# =============================================================================================
# top_k, approx_max_k, approx_min_k
# =============================================================================================

def _np_top_k(x, k, largest=True):
    order = np.argsort(-x if largest else x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, -1), order


@settings(max_examples=20, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
                  elements=st.sampled_from([-2.0, -1.0, 0.5, 0.5, 1.0, 3.0]) | st.floats(-5, 5)),
       st.data())
def test_top_k_matches_numpy(x, data):
    k = data.draw(st.integers(0, x.shape[-1]))
    values, idx = lax.top_k(x, k)
    ev, ei = _np_top_k(x, k)
    np.testing.assert_array_equal(np.asarray(values), ev)
    np.testing.assert_array_equal(np.asarray(idx), ei)
    mv, mi = lax.approx_min_k(x, k)
    ev, ei = _np_top_k(x, k, largest=False)
    np.testing.assert_array_equal(np.asarray(mv), ev)
    np.testing.assert_array_equal(np.asarray(mi), ei)


@pytest.mark.parametrize("dt", INT_DTYPES + ["bool"])
def test_top_k_integer_dtypes(dt):
    x = (RNG.random(16) > 0.5) if dt == "bool" else _ints(dt, 16)
    values, idx = lax.top_k(x, 5)
    order = np.argsort(-x.astype(np.float64) if dt != "bool" else -x.astype(int), kind="stable")
    np.testing.assert_array_equal(np.asarray(idx), order[:5])
    np.testing.assert_array_equal(np.asarray(values), x[order[:5]])
    assert values.dtype == x.dtype and idx.dtype == np.int32


def test_top_k_nan_and_signed_zero_order():
    x = np.array([3.0, np.nan, -np.inf, 0.0, -0.0, 3.0], np.float32)
    values, idx = lax.top_k(x, 6)
    np.testing.assert_array_equal(np.asarray(idx), [1, 0, 5, 3, 4, 2])
    mv, mi = lax.approx_min_k(x, 3)
    np.testing.assert_array_equal(np.asarray(mi), [2, 4, 3])


def test_top_k_axis_and_approx_reduction_dimension():
    x = RNG.standard_normal((5, 4, 3))
    v, i = lax.top_k(x, 2, axis=0)
    ev, ei = _np_top_k(np.moveaxis(x, 0, -1), 2)
    np.testing.assert_array_equal(np.asarray(v), np.moveaxis(ev, -1, 0))
    np.testing.assert_array_equal(np.asarray(i), np.moveaxis(ei, -1, 0))
    v2, i2 = lax.approx_max_k(x, 2, reduction_dimension=0, recall_target=0.9,
                              aggregate_to_topk=False)
    np.testing.assert_array_equal(np.asarray(v2), np.asarray(v))
    np.testing.assert_array_equal(np.asarray(i2), np.asarray(i))


def test_top_k_grads_jit_vmap():
    x = RNG.standard_normal((3, 6))
    check_grads(lambda x: lax.top_k(x, 3)[0], (x,), order=2)
    check_grads(lambda x: lax.approx_min_k(x, 2, reduction_dimension=0)[0], (x,), order=1)
    f = lambda r: lax.top_k(r, 4)  # noqa: E731
    _jit_eq(f, x)
    _vmap_eq(f, x)
    g = fnx.grad(lambda x: lax.top_k(x, 2)[0].sum())(np.array([1.0, 5.0, 5.0, 2.0]))
    np.testing.assert_array_equal(np.asarray(g), [0.0, 1.0, 1.0, 0.0])


def test_top_k_errors():
    with pytest.raises(InvalidArgumentError, match="out of range"):
        lax.top_k(np.ones(3), 4)
    with pytest.raises(InvalidArgumentError, match="out of range"):
        lax.top_k(np.ones(3), -1)
    with pytest.raises(DTypeError, match="real"):
        lax.top_k(np.ones(3, np.complex64), 1)
    with pytest.raises(InvalidArgumentError, match="dimension"):
        lax.top_k(np.float32(1), 1)
    with pytest.raises(InvalidArgumentError, match="recall_target"):
        lax.approx_max_k(np.ones(3), 1, recall_target=0.0)
    with pytest.raises(TypeError, match="k must"):
        lax.top_k(np.ones(3), 1.5)


# =============================================================================================
# population_count, clz
# =============================================================================================

@pytest.mark.parametrize("dt", INT_DTYPES)
def test_population_count_and_clz(dt):
    x = _ints(dt, 200)
    width = 8 * np.dtype(dt).itemsize
    bits = [int(v) & ((1 << width) - 1) for v in x]
    pc = _jit_eq(lax.population_count, x)
    cl = _jit_eq(lax.clz, x)
    assert pc.dtype == np.dtype(dt) and cl.dtype == np.dtype(dt)
    np.testing.assert_array_equal(np.asarray(pc), [bin(b).count("1") for b in bits])
    np.testing.assert_array_equal(np.asarray(cl), [width - b.bit_length() for b in bits])
    _vmap_eq(lax.population_count, x.reshape(20, 10))


@pytest.mark.parametrize("op", [lax.population_count, lax.clz])
@pytest.mark.parametrize("dt", ["float32", "bool", "complex64"])
def test_bit_counts_reject_non_integers(op, dt):
    with pytest.raises(DTypeError, match="integer"):
        op(np.ones(3, dt))


# =============================================================================================
# convenience functions
# =============================================================================================

def test_builders_and_reshapers():
    x = np.arange(24.0).reshape(2, 3, 4)
    f = lax.full((2, 3), 1.5)
    assert f.dtype == np.float32 and np.all(np.asarray(f) == 1.5)
    np.testing.assert_array_equal(np.asarray(lax.full((2,), 300, "int32")), [300, 300])
    assert lax.full_like(x, 2).shape == x.shape and lax.full_like(x, 2).dtype == np.float64
    assert lax.full_like(x, 1, "int8", (5,)).dtype == np.int8
    assert lax.empty((2, 2), "int32").shape == (2, 2)
    np.testing.assert_array_equal(np.asarray(lax.collapse(x, 0, 2)), x.reshape(6, 4))
    np.testing.assert_array_equal(np.asarray(lax.collapse(x, 1)), x.reshape(2, 12))
    for got, want in zip(lax.split(x, [1, 0, 3], axis=2), np.split(x, [1, 1], axis=2)):
        np.testing.assert_array_equal(np.asarray(got), want)
    np.testing.assert_array_equal(np.asarray(lax.stack([x, 2 * x], axis=-1)),
                                  np.stack([x, 2 * x], -1))
    for got, want in zip(lax.unstack(x, 1), np.moveaxis(x, 1, 0)):
        np.testing.assert_array_equal(np.asarray(got), want)
    np.testing.assert_array_equal(np.asarray(lax.tile(x, (2, 1, 3))), np.tile(x, (2, 1, 3)))
    assert lax.broadcast_to_rank(x, 5).shape == (1, 1, 2, 3, 4)
    assert lax.broadcast_shapes((3, 1), (2, 1, 4), ()) == np.broadcast_shapes((3, 1), (2, 1, 4))
    np.testing.assert_array_equal(np.asarray(lax.broadcast_like(np.arange(3.0)[:, None],
                                                                np.zeros((2, 3, 4)))),
                                  np.broadcast_to(np.arange(3.0)[:, None], (2, 3, 4)))
    assert lax.dtype(1.0) == np.float32 and lax.dtype(np.int8) == np.int8
    assert lax.dtype(x) == np.float64 and lax.dtype(True) == np.bool_


def test_builders_errors():
    x = np.ones((2, 3))
    with pytest.raises(ShapeError, match="split"):
        lax.split(x, [1, 1], axis=1)
    with pytest.raises(ShapeError, match="stack"):
        lax.stack([x, np.ones(3)])
    with pytest.raises(ShapeError, match="tile"):
        lax.tile(x, (2,))
    with pytest.raises(ShapeError, match="broadcast_shapes"):
        lax.broadcast_shapes((2,), (3,))
    with pytest.raises(ShapeError, match="broadcast_to_rank"):
        lax.broadcast_to_rank(x, 1)
    with pytest.raises(ShapeError, match="full"):
        lax.full((2,), np.ones(2))
    with pytest.raises(ShapeError, match="batch_matmul"):
        lax.batch_matmul(np.ones((2, 3, 4)), np.ones((4, 5)))


def test_convenience_under_jit_vmap_grad():
    x = RNG.standard_normal((3, 4, 2))
    f = lambda x: lax.tile(lax.stack(lax.split(x, [1, 1, 1], 0)[::-1], 1),  # noqa: E731
                           (1, 1, 2, 1))
    _jit_eq(f, x)
    _vmap_eq(lambda x: lax.collapse(lax.tile(x, (2, 1)), 0), x)
    check_grads(lambda x: lax.tile(lax.broadcast_to_rank(x, 4), (2, 1, 1, 2)), (x,), order=1)


def test_batch_matmul_and_ragged_dot():
    a, b = RNG.standard_normal((5, 2, 3)), RNG.standard_normal((5, 3, 4))
    np.testing.assert_allclose(np.asarray(lax.batch_matmul(a, b, "highest")), a @ b, rtol=1e-12)
    lhs, rhs = RNG.standard_normal((7, 3)), RNG.standard_normal((3, 3, 2))
    sizes = np.array([2, 0, 4], np.int32)
    expect = np.concatenate([lhs[:2] @ rhs[0], lhs[2:6] @ rhs[2], np.zeros((1, 2))])
    out = _jit_eq(lambda l, r: lax.ragged_dot(l, r, sizes), lhs, rhs)
    np.testing.assert_allclose(np.asarray(out), expect, rtol=1e-12)
    check_grads(lambda l, r: lax.ragged_dot(l, r, sizes), (lhs, rhs), order=1)
    with pytest.raises(ShapeError, match="ragged_dot"):
        lax.ragged_dot(lhs, rhs[:, :2], sizes)


@pytest.mark.parametrize("dt", INT_DTYPES)
def test_mulhi(dt):
    x, y = _ints(dt, 300), _ints(dt, 300, np.random.default_rng(5))
    y[:4] = [np.iinfo(dt).min, np.iinfo(dt).max, np.iinfo(dt).max, 1]
    width, signed = 8 * np.dtype(dt).itemsize, np.iinfo(dt).min < 0
    hi = [((int(a) * int(b)) >> width) % (1 << width) for a, b in zip(x, y)]
    hi = [h - (1 << width) if signed and h >= 1 << (width - 1) else h for h in hi]
    out = _jit_eq(lax.mulhi, x, y)
    assert out.dtype == np.dtype(dt)
    np.testing.assert_array_equal(np.asarray(out), np.array(hi, dt))
    with pytest.raises(DTypeError, match="mulhi"):
        lax.mulhi(np.ones(2), np.ones(2))


def test_cumlogsumexp():
    x = RNG.standard_normal((3, 6))
    np.testing.assert_allclose(np.asarray(lax.cumlogsumexp(x, 1)),
                               np.logaddexp.accumulate(x, 1), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(lax.cumlogsumexp(x, 0, reverse=True)),
                               np.logaddexp.accumulate(x[::-1], 0)[::-1], rtol=1e-12)
    np.testing.assert_array_equal(
        np.asarray(lax.cumlogsumexp(np.array([-np.inf, -np.inf, 0.0]))), [-np.inf, -np.inf, 0])
    big = np.array([1000.0, 1000.0], np.float32)
    np.testing.assert_allclose(np.asarray(lax.cumlogsumexp(big)), [1000, 1000 + np.log(2)])
    check_grads(lambda x: lax.cumlogsumexp(x, 1), (x,), order=2)
    _vmap_eq(lambda r: lax.cumlogsumexp(r, 0), x, rtol=1e-12)
    with pytest.raises(DTypeError, match="cumlogsumexp"):
        lax.cumlogsumexp(np.arange(3))


def test_index_take():
    src = np.arange(60.0).reshape(3, 4, 5)
    i0, i1 = np.array([0, 2, -1, 4]), np.array([1, 3, 5, -6])
    out = _jit_eq(lambda s: lax.index_take(s, (i0, i1), (0, 2)), src)
    np.testing.assert_array_equal(np.asarray(out), src[i0 % 3, :, i1 % 5])
    check_grads(lambda s: lax.index_take(s, (i0,), (1,)), (src,), order=1)


def test_composite_and_platform_dependent():
    @functools.partial(lax.composite, name="my.tanh")
    def my_tanh(x):
        return lax.tanh(x)
    x = RNG.standard_normal(4)
    np.testing.assert_allclose(np.asarray(fnx.jit(my_tanh)(x)), np.tanh(x), rtol=1e-12)
    out = lax.platform_dependent(x, cpu=lambda x: x * 2, cuda=lambda x: x * 3)
    np.testing.assert_array_equal(np.asarray(out), 2 * x)
    assert lax.platform_dependent(x, default=lambda x: x + 1, tpu=lambda x: x)[0] == x[0] + 1
    with pytest.raises(InvalidArgumentError, match="unknown platforms"):
        lax.platform_dependent(x, gpu=lambda x: x)


# =============================================================================================
# conv helpers, conv_transpose
# =============================================================================================

def _np_conv_transpose_valid(x, w, s):
    """NHWC x HWIO fractionally strided convolution as a scatter of the flipped kernel."""
    n, h, wd, _ = x.shape
    k1, k2, _, co = w.shape
    out = np.zeros((n, (h - 1) * s + k1, (wd - 1) * s + k2, co))
    for y in range(h):
        for z in range(wd):
            out[:, y * s:y * s + k1, z * s:z * s + k2] += np.einsum(
                "ni,abio->nabo", x[:, y, z], w[::-1, ::-1])
    return out


@pytest.mark.parametrize("s", [1, 2, 3])
def test_conv_transpose_valid_matches_numpy(s):
    x, w = RNG.standard_normal((2, 4, 5, 3)), RNG.standard_normal((3, 3, 3, 2))
    out = lax.conv_transpose(x, w, (s, s), "VALID")
    np.testing.assert_allclose(np.asarray(out), _np_conv_transpose_valid(x, w, s), rtol=1e-12,
                               atol=1e-12)
    assert out.shape == lax.conv_transpose_shape_tuple(x.shape, w.shape, (s, s), "VALID",
                                                       ("NHWC", "HWIO", "NHWC"))


def test_conv_transpose_kernel_is_the_forward_gradient():
    x = RNG.standard_normal((1, 8, 8, 2))        # forward conv input
    w = RNG.standard_normal((3, 3, 2, 4))        # HWIO: 2 -> 4 features
    fwd = lambda x: lax.conv_general_dilated(x, w, (2, 2), "SAME",  # noqa: E731
                                             dimension_numbers=("NHWC", "HWIO", "NHWC"))
    y, vjp = fnx.vjp(fwd, x)
    ct = RNG.standard_normal(y.shape)
    (expect,) = vjp(ct)
    out = lax.conv_transpose(ct, w, (2, 2), "SAME", transpose_kernel=True)
    np.testing.assert_allclose(np.asarray(out), np.asarray(expect), rtol=1e-10, atol=1e-12)
    shape1d = lax.conv_transpose(RNG.standard_normal((2, 5, 3)), RNG.standard_normal((3, 3, 4)),
                                 (2,), "SAME").shape
    assert shape1d == (2, 10, 4)
    check_grads(lambda a, b: lax.conv_transpose(a, b, (2,), "VALID"),
                (RNG.standard_normal((1, 4, 2)), RNG.standard_normal((3, 2, 2))), order=1)


def test_conv_shape_helpers_match_real_shapes():
    dn = ("NHWC", "HWIO", "NHWC")
    cdn = lax.conv_dimension_numbers((2, 5, 7, 3), (3, 3, 3, 8), dn)
    assert cdn == lax.ConvDimensionNumbers((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))
    assert lax.conv_general_permutations(dn) == tuple(cdn)
    assert lax.conv_dimension_numbers((1, 2, 3), (1, 2, 3), None) == ((0, 1, 2),) * 3
    x, w = np.ones((2, 5, 7, 3)), np.ones((3, 3, 3, 8))
    for strides, pad in [((2, 1), "SAME"), ((1, 3), "VALID"), ((2, 2), ((1, 0), (2, 2)))]:
        real = lax.conv_general_dilated(x, w, strides, pad, dimension_numbers=cdn).shape
        assert lax.conv_general_shape_tuple(x.shape, w.shape, strides, pad, dn) == real
    assert lax.conv_shape_tuple((2, 3, 9), (4, 3, 3), (2,), "VALID") == (2, 4, 4)
    op = np.ones((4, 6))
    real = lax.reduce_window(op, 0.0, lax.add, (2, 3), (2, 2), ((0, 1), (1, 1))).shape
    assert lax.reduce_window_shape_tuple((4, 6), (2, 3), (2, 2), ((0, 1), (1, 1))) == real
    with pytest.raises(InvalidArgumentError, match="exactly once"):
        lax.conv_general_permutations(("NHWN", "HWIO", "NHWC"))
    with pytest.raises(InvalidArgumentError, match="spatial"):
        lax.conv_general_permutations(("NHWC", "HDIO", "NHWC"))
    with pytest.raises(ShapeError, match="conv_transpose"):
        lax.conv_transpose(np.ones((1, 2, 2, 2, 2)), np.ones((1, 1, 1, 2, 2)), (1, 1, 1), "SAME")


# =============================================================================================
# the list of what is still missing stays honest
# =============================================================================================

def test_missing_list_names_only_absent_names():
    path = pathlib.Path(__file__).resolve().parents[1] / "tools" / "jax_lax_missing.txt"
    names = [line.split(":")[0] for line in path.read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert names and len(names) == len(set(names))
    present = [n for n in names if hasattr(lax, n)]
    assert not present, f"tools/jax_lax_missing.txt lists names fnx.lax has: {present}"
