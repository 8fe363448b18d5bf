"""jax.numpy's remaining names in fnx.numpy, against numpy (and mpmath for i0 where numpy's
own i0 overflows): window functions and i0 (``_windows``), index helpers, choose / block /
lexsort / top_k / resize / trim_zeros and the functional place / put / put_along_axis
(``_index_helpers``), frexp / ldexp / modf / spacing / gcd / lcm / bitwise_count
(``_float_bits``), and unwrap, matvec / vecmat, polydiv, einsum_path, the from* constructors,
printing and files (``_extras``), plus the dtype aliases.

Values on spec rows and hypothesis inputs (fnx's documented dtypes: the default float is
float32, the default int int32), derivatives by finite differences (check_grads), jit against
eager and vmap against a Python loop for every array function whose output shape is static,
and the errors.
"""
import io
import math

import mpmath
import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx.errors import ConcretizationTypeError, DTypeError, ShapeError
from fnx.test_util import check_grads

RNG = np.random.default_rng(0)
INTS = ["int8", "uint8", "int32", "uint32", "int64"]
FLOATS = ["float32", "float64"]


def same(got, want, dtype=None):
    """Exact equality (NaN where numpy has NaN, zeros' signs included), shape and dtype."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == (np.dtype(dtype) if dtype else want.dtype), (got.dtype, want.dtype)
    if got.dtype.kind == "f":       # zeros' signs (a NaN's sign means nothing)
        np.testing.assert_array_equal(np.signbit(got) & ~np.isnan(got),
                                      np.signbit(want) & ~np.isnan(want))
    np.testing.assert_array_equal(got, want)


def close(got, want, rtol, dtype=None):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    if dtype is not None:
        assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
    np.testing.assert_allclose(got.astype(np.float64) if got.dtype.kind != "c" else got, want,
                               rtol=rtol, atol=rtol * (1 + np.max(np.abs(want), initial=0)))


def floats(dtype, **kw):
    return st.floats(width=np.dtype(dtype).itemsize * 8, **kw)


# ---------------------------------------------------------------------------------------------
# Windows and i0
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["bartlett", "blackman", "hamming", "hanning"])
@pytest.mark.parametrize("M", [-2, 0, 1, 2, 3, 8, 33])
def test_windows_match_numpy(name, M):
    got = getattr(fnp, name)(M)
    assert got.dtype == np.float32          # the default float, as jax.numpy
    close(got, getattr(np, name)(M), 1e-6)
    close(fnx.jit(lambda: getattr(fnp, name)(M))(), np.asarray(got), 0)


@pytest.mark.parametrize("M", [-1, 0, 1, 2, 5, 16])
@pytest.mark.parametrize("beta", [0.0, 1.5, 8.6, 20.0, 40.0])
def test_kaiser_matches_numpy(M, beta):
    got = fnp.kaiser(M, beta)
    assert got.dtype == np.float32
    close(got, np.kaiser(M, beta), 2e-6)


def test_kaiser_is_differentiable_in_beta_and_jits():
    check_grads(lambda b: fnp.kaiser(7, b), (np.float32(3.0),), order=1, rtol=2e-2)
    f = fnx.jit(lambda b: fnp.kaiser(9, b))
    close(f(5.0), np.asarray(fnp.kaiser(9, 5.0)), 1e-7)
    betas = np.array([1.0, 4.0, 9.0], np.float32)
    batched = fnx.vmap(lambda b: fnp.kaiser(6, b))(betas)
    for i, b in enumerate(betas):
        close(batched[i], np.asarray(fnp.kaiser(6, b)), 1e-7)


I0_ROWS = [0.0, -0.0, 1e-300, 0.5, -1.0, 3.0, 7.25, 14.99, 15.0, 15.01, -15.5, 20.0, 50.0,
           99.5, 300.0, -650.0, 700.0]


@pytest.mark.parametrize("dtype", FLOATS)
def test_i0_matches_numpy_on_spec_rows(dtype):
    x = np.array(I0_ROWS, dtype)
    want = np.i0(x.astype(np.float64))
    got = fnp.i0(x)
    assert got.dtype == np.dtype(dtype)
    finite = want < np.finfo(dtype).max
    rtol = 1e-12 if dtype == "float64" else 2e-6
    np.testing.assert_allclose(np.asarray(got, np.float64)[finite], want[finite], rtol=rtol)
    assert np.all(np.isinf(np.asarray(got)[~finite]))          # float32 overflows as numpy


def test_i0_against_mpmath_where_numpy_overflows():
    """numpy's i0 overflows early (it forms e^x first); fnx stays finite up to I0's own
    overflow, accurate to float64 rounding."""
    x = np.array([705.0, 711.0, 713.5])
    got = np.asarray(fnp.i0(x))
    want = np.array([float(mpmath.besseli(0, v)) for v in x])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert np.isinf(np.asarray(fnp.i0(np.array([720.0])))[0])


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(FLOATS), st.data())
def test_i0_matches_numpy_on_random_inputs(dtype, data):
    x = data.draw(hnp.arrays(dtype, data.draw(st.integers(0, 6)),
                             elements=floats(dtype, min_value=-80, max_value=80)))
    rtol = 1e-12 if dtype == "float64" else 2e-6
    close(fnp.i0(x), np.i0(x.astype(np.float64)), rtol, dtype)


def test_i0_integer_input_gives_the_default_float():
    got = fnp.i0(np.array([0, 2, 4], np.int32))
    assert got.dtype == np.float32
    close(got, np.i0(np.array([0.0, 2.0, 4.0])), 2e-6)


def test_i0_gradient():
    # I0' = I1 (mpmath), and both modes against finite differences to second order, on both
    # sides of the series / asymptotic switch at |x| = 15
    x = np.array([0.0, 0.7, -2.5, 14.0, 16.0, -30.0])
    check_grads(fnp.i0, (x,), order=2)
    g = np.asarray(fnx.vmap(fnx.grad(fnp.i0))(x))
    want = np.array([float(mpmath.besseli(1, v)) for v in x])
    np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-300)


def test_i0_jit_and_vmap():
    x = RNG.normal(size=(3, 4)) * 10
    close(fnx.jit(fnp.i0)(x), np.asarray(fnp.i0(x)), 1e-15)
    close(fnx.vmap(fnp.i0)(x), np.stack([np.asarray(fnp.i0(r)) for r in x]), 1e-15)


# ---------------------------------------------------------------------------------------------
# frexp, ldexp, modf, spacing
# ---------------------------------------------------------------------------------------------

def special_floats(dtype):
    info = np.finfo(dtype)
    return np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.75, 3.0, -5.5,
                     info.tiny, -info.tiny, info.smallest_subnormal, info.smallest_subnormal * 3,
                     -info.smallest_subnormal, info.max, -info.max, info.eps, 1 / 3], dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_frexp_modf_spacing_exact_on_special_values(dtype):
    x = special_floats(dtype)
    m, e = fnp.frexp(x)
    nm, ne = np.frexp(x)
    same(m, nm)
    same(e, ne, "int32")
    fr, wh = fnp.modf(x)
    nfr, nwh = np.modf(x)
    same(fr, nfr)
    same(wh, nwh)
    with np.errstate(over="ignore", invalid="ignore"):
        same(fnp.spacing(x), np.spacing(x))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(FLOATS), st.data())
def test_frexp_modf_spacing_match_numpy(dtype, data):
    x = data.draw(hnp.arrays(dtype, data.draw(st.integers(0, 8)), elements=floats(dtype)))
    m, e = fnp.frexp(x)
    nm, ne = np.frexp(x)
    same(m, nm)
    same(e, ne, "int32")
    for g, w in zip(fnp.modf(x), np.modf(x)):
        same(g, w)
    with np.errstate(over="ignore", invalid="ignore"):
        same(fnp.spacing(x), np.spacing(x))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(FLOATS), st.sampled_from(["int8", "int32", "int64", "uint8"]),
       st.data())
@example("float32", "int32", None)
def test_ldexp_is_numpys_correctly_rounded_result(dtype, etype, data):
    if data is None:        # the subnormal / overflow boundaries, pinned
        x = np.array([7.0, 1.5, np.finfo(dtype).smallest_subnormal, np.finfo(dtype).max, 0.5],
                     dtype)
        n = np.array([-150, -149, 200, 1, 129], etype)
    else:
        size = data.draw(st.integers(0, 8))
        x = data.draw(hnp.arrays(dtype, size, elements=floats(dtype)))
        info = np.iinfo(etype)
        n = data.draw(hnp.arrays(etype, size, elements=st.integers(
            max(int(info.min), -1200), min(int(info.max), 1200))))
    with np.errstate(over="ignore", under="ignore"):
        want = np.ldexp(x, n.astype(np.int32))
    same(fnp.ldexp(x, n), want)


def test_frexp_ldexp_modf_defaults_and_gradients():
    assert fnp.ldexp(np.int32(3), 2).dtype == np.float32          # integer x1: default float
    assert float(fnp.ldexp(np.int32(3), 2)) == 12.0
    x = np.array([0.3, -1.7, 2.5, 40.3])        # off the integers, where modf jumps
    check_grads(lambda v: fnp.ldexp(v, np.array([2, -1, 3, 0])), (x,), order=2)
    check_grads(lambda v: fnp.frexp(v)[0], (x,), order=2)
    check_grads(lambda v: fnp.modf(v)[0], (x,), order=2)
    np.testing.assert_array_equal(fnx.grad(lambda v: fnp.ldexp(v, 5).sum())(x), 32.0)


def test_float_bits_jit_and_vmap():
    x = RNG.normal(size=(3, 5)) * np.exp(RNG.uniform(-30, 30, (3, 5)))
    n = RNG.integers(-40, 40, (3, 5)).astype(np.int32)
    fns = {"frexp": lambda v, k: fnp.frexp(v), "ldexp": fnp.ldexp,
           "modf": lambda v, k: fnp.modf(v), "spacing": lambda v, k: fnp.spacing(v)}
    for name, f in fns.items():
        eager = f(x[0], n[0])
        jitted = fnx.jit(f)(x[0], n[0])
        batched = fnx.vmap(f)(x, n)
        for g, e in zip(np.atleast_1d(jitted) if name in ("ldexp", "spacing") else jitted,
                        np.atleast_1d(eager) if name in ("ldexp", "spacing") else eager):
            same(g, e)
        loop = [f(x[i], n[i]) for i in range(3)]
        if name in ("ldexp", "spacing"):
            same(batched, np.stack([np.asarray(v) for v in loop]))
        else:
            for j in range(2):
                same(batched[j], np.stack([np.asarray(v[j]) for v in loop]))


# ---------------------------------------------------------------------------------------------
# gcd, lcm, bitwise_count
# ---------------------------------------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(st.sampled_from(INTS), st.data())
@example("int32", None)
def test_gcd_lcm_match_numpy(dtype, data):
    if data is None:
        a = np.array([0, 0, 12, -18, 7, 1, 2 ** 20], dtype)
        b = np.array([0, 5, 8, 12, 0, -1, 2 ** 12 * 3], dtype)
    else:
        info = np.iinfo(dtype)
        lo, hi = max(int(info.min) + 1, -10 ** 6), min(int(info.max), 10 ** 6)
        size = data.draw(st.integers(0, 8))
        a = data.draw(hnp.arrays(dtype, size, elements=st.integers(lo, hi)))
        b = data.draw(hnp.arrays(dtype, size, elements=st.integers(lo, hi)))
    same(fnp.gcd(a, b), np.gcd(a, b))
    with np.errstate(over="ignore"):
        want = np.lcm(a, b)
    same(fnp.lcm(a, b), want)


def test_gcd_broadcasts_jits_and_vmaps():
    a = RNG.integers(-500, 500, (3, 6)).astype(np.int32)
    b = RNG.integers(-500, 500, (6,)).astype(np.int32)
    same(fnp.gcd(a, b), np.gcd(a, b))
    same(fnp.gcd(a, 12), np.gcd(a, 12))
    same(fnx.jit(fnp.gcd)(a, b), np.gcd(a, b))
    same(fnx.jit(fnp.lcm)(a, b), np.lcm(a, b))
    same(fnx.vmap(fnp.gcd)(a, a[::-1]), np.gcd(a, a[::-1]))
    same(fnx.vmap(fnp.lcm, in_axes=(0, None))(a, b), np.lcm(a, b))


@pytest.mark.parametrize("dtype", INTS + ["bool"])
def test_bitwise_count_matches_numpy(dtype):
    if dtype == "bool":
        x = np.array([True, False])
    else:
        info = np.iinfo(dtype)
        x = np.concatenate([np.array([info.min, info.max, 0, 1, info.max // 3], dtype),
                            RNG.integers(info.min, info.max, 50, dtype=dtype, endpoint=True)])
    same(fnp.bitwise_count(x), np.bitwise_count(x))
    same(fnx.jit(fnp.bitwise_count)(x), np.bitwise_count(x))
    same(fnx.vmap(fnp.bitwise_count)(x), np.bitwise_count(x))


# ---------------------------------------------------------------------------------------------
# Index helpers
# ---------------------------------------------------------------------------------------------

def same_tuple(got, want):
    assert isinstance(got, tuple) and len(got) == len(want)
    for g, w in zip(got, want):
        same(g, np.asarray(w).astype(np.int32))


@pytest.mark.parametrize("n,k,m", [(0, 0, None), (1, 0, None), (4, 0, None), (4, 1, None),
                                   (4, -2, None), (3, 0, 5), (5, 2, 3), (3, -7, 2), (3, 9, 4)])
def test_triangle_indices_match_numpy(n, k, m):
    same_tuple(fnp.tril_indices(n, k, m), np.tril_indices(n, k, m))
    same_tuple(fnp.triu_indices(n, k, m), np.triu_indices(n, k, m))
    a = np.ones((n, n if m is None else m))
    same_tuple(fnp.tril_indices_from(a, k), np.tril_indices_from(a, k))
    same_tuple(fnp.triu_indices_from(fnp.asarray(a), k), np.triu_indices_from(a, k))
    same_tuple(fnp.mask_indices(n, fnp.triu, k), np.mask_indices(n, np.triu, k))
    same_tuple(fnp.mask_indices(n, fnp.tril, k), np.mask_indices(n, np.tril, k))


def test_mask_indices_with_size_under_jit():
    f = fnx.jit(lambda: fnp.mask_indices(3, fnp.triu, 1, size=4))
    i, j = f()
    same(i, np.array([0, 0, 1, 0], np.int32))
    same(j, np.array([1, 2, 2, 0], np.int32))


@pytest.mark.parametrize("n,ndim", [(0, 2), (3, 1), (3, 2), (4, 3), (2, 0)])
def test_diag_indices_match_numpy(n, ndim):
    same_tuple(fnp.diag_indices(n, ndim), np.diag_indices(n, ndim))
    if ndim >= 2:
        a = np.zeros((n,) * ndim)
        same_tuple(fnp.diag_indices_from(a), np.diag_indices_from(a))


@pytest.mark.parametrize("dims", [(), (0,), (3,), (2, 3), (2, 1, 4)])
@pytest.mark.parametrize("dtype", [None, "int64", "float32"])
def test_indices_match_numpy(dims, dtype):
    want_dtype = np.dtype(dtype or "int32")
    same(fnp.indices(dims, dtype), np.indices(dims, dtype or int).astype(want_dtype))
    got = fnp.indices(dims, dtype, sparse=True)
    for g, w in zip(got, np.indices(dims, dtype or int, sparse=True)):
        same(g, w.astype(want_dtype))
    assert len(got) == len(dims)


# ---------------------------------------------------------------------------------------------
# choose, block, lexsort, top_k, resize, trim_zeros
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
def test_choose_matches_numpy(mode):
    choices = [RNG.normal(size=(2, 4)), RNG.normal(size=(4,)), np.float64(7.0)]
    a = RNG.integers(0, 3, (3, 2, 4)) if mode == "raise" else RNG.integers(-5, 8, (3, 2, 4))
    same(fnp.choose(a, choices, mode=mode), np.choose(a, choices, mode=mode))
    stacked = RNG.integers(0, 100, (3, 5)).astype(np.int32)
    idx = np.array([0, 2, 1, 1, 0]) if mode == "raise" else np.array([0, 5, -1, 1, 9])
    same(fnp.choose(idx, stacked, mode=mode), np.choose(idx, stacked, mode=mode))


def test_choose_raise_checks_concrete_and_clips_traced():
    with pytest.raises(ValueError, match="choose: invalid entry"):
        fnp.choose(np.array([0, 3]), [[1, 2], [3, 4]])
    got = fnx.jit(lambda a: fnp.choose(a, [np.array([1, 2]), np.array([3, 4])]))(
        np.array([5, -2]))
    same(got, np.array([3, 2]))


def test_choose_grad_jit_vmap():
    c0, c1 = RNG.normal(size=4), RNG.normal(size=4)
    a = np.array([1, 0, 0, 1])
    check_grads(lambda x, y: fnp.choose(a, [x, y]), (c0, c1), order=2)
    f = lambda i, x, y: fnp.choose(i, [x, y], mode="clip")  # noqa: E731
    A = RNG.integers(0, 2, (3, 4))
    X, Y = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    same(fnx.jit(f)(A[0], X[0], Y[0]), np.asarray(f(A[0], X[0], Y[0])))
    same(fnx.vmap(f)(A, X, Y), np.stack([np.asarray(f(A[i], X[i], Y[i])) for i in range(3)]))


BLOCK_CASES = [
    lambda m: [[1, 2], [3, 4]],
    lambda m: [m.ones((2, 2)), m.zeros((2, 3))],
    lambda m: [[m.ones((2, 2)), m.zeros((2, 1))], [m.full((1, 3), 2.0)]],
    lambda m: [[[m.arange(2)]], [[m.arange(2) + 5]]],
    lambda m: m.arange(3),
    lambda m: [m.arange(3), 7],
    lambda m: [[m.ones((1, 2, 2))], [m.zeros((1, 2, 2))]],
]


@pytest.mark.parametrize("case", range(len(BLOCK_CASES)))
def test_block_matches_numpy(case):
    got = fnp.block(BLOCK_CASES[case](fnp))
    want = np.block(BLOCK_CASES[case](np))
    same(got, want.astype(np.asarray(got).dtype))     # (Python ints: fnx's int32)


def test_block_grad_and_jit():
    a, b = RNG.normal(size=(2, 2)), RNG.normal(size=(2, 1))
    check_grads(lambda x, y: fnp.block([[x, y], [y.T, y.T[:, :1]]]), (a, b), order=1)
    same(fnx.jit(lambda x, y: fnp.block([x, y]))(a, b), np.block([a, b]))


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_lexsort_matches_numpy(data):
    shape = tuple(data.draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=6)))
    nkeys = data.draw(st.integers(1, 3))
    # few distinct values per key, so ties decide the order
    keys = [data.draw(hnp.arrays(data.draw(st.sampled_from(["int8", "float64", "uint32"])),
                                 shape, elements=st.integers(0, 2)))
            for _ in range(nkeys)]
    if data.draw(st.booleans()):
        keys.append(data.draw(hnp.arrays(bool, shape)))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    same(fnp.lexsort(keys, axis=axis), np.lexsort(keys, axis=axis).astype(np.int32))


def test_lexsort_jit_vmap_and_2d_keys():
    k = RNG.integers(0, 3, (2, 3, 7))
    same(fnx.jit(lambda a, b: fnp.lexsort([a, b]))(k[0, 0], k[1, 0]),
         np.lexsort([k[0, 0], k[1, 0]]).astype(np.int32))
    same(fnx.vmap(lambda a, b: fnp.lexsort((a, b)))(k[0], k[1]),
         np.stack([np.lexsort((k[0, i], k[1, i])) for i in range(3)]).astype(np.int32))
    same(fnp.lexsort(k[:, 0]), np.lexsort(k[:, 0]).astype(np.int32))
    same(fnp.lexsort([np.int32(3)]), np.lexsort([np.int32(3)]).astype(np.int32))


def top_k_oracle(a, k, axis, mode):
    order = np.argsort(-a if mode == "largest" else a, axis=axis, kind="stable")
    idx = np.take(order, np.arange(k), axis=axis)
    return np.take_along_axis(a, idx, axis=axis), idx.astype(np.int32)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["int32", "float32", "float64", "uint8"]), st.data())
def test_top_k_matches_a_stable_sort(dtype, data):
    shape = tuple(data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6)))
    a = data.draw(hnp.arrays(dtype, shape, elements=st.integers(0, 5)))   # ties
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    k = data.draw(st.integers(0, shape[axis]))
    mode = data.draw(st.sampled_from(["largest", "smallest"]))
    vals, idx = fnp.top_k(a, k, axis=axis, mode=mode)
    wv, wi = top_k_oracle(a.astype(np.float64), k, axis, mode)
    same(vals, wv.astype(dtype))
    same(idx, wi)


def test_top_k_nan_counts_as_largest_and_bools():
    v, i = fnp.top_k(np.array([1.0, np.nan, 3.0]), 2)
    same(v, np.array([np.nan, 3.0]))
    same(i, np.array([1, 2], np.int32))
    v, i = fnp.top_k(np.array([1.0, np.nan, 3.0]), 2, mode="smallest")
    same(v, np.array([1.0, 3.0]))
    same(i, np.array([0, 2], np.int32))
    v, i = fnp.top_k(np.array([True, False, True]), 3, mode="smallest")
    same(v, np.array([False, True, True]))
    same(i, np.array([1, 0, 2], np.int32))


def test_top_k_grad_jit_vmap():
    x = RNG.normal(size=(3, 6))
    check_grads(lambda v: fnp.top_k(v, 3)[0], (x[0],), order=2)
    f = lambda v: fnp.top_k(v, 2, mode="smallest")  # noqa: E731
    for g, e in zip(fnx.jit(f)(x[0]), f(x[0])):
        same(g, np.asarray(e))
    bv, bi = fnx.vmap(f)(x)
    for i in range(3):
        v, j = f(x[i])
        same(bv[i], np.asarray(v))
        same(bi[i], np.asarray(j))


@pytest.mark.parametrize("shape,new", [((3,), (2, 4)), ((2, 3), 7), ((4,), (0,)),
                                       ((0,), (2, 2)), ((2, 2), (2, 2)), ((5,), (1, 2, 1))])
def test_resize_matches_numpy(shape, new):
    a = np.arange(1, 1 + math.prod(shape), dtype=np.float32).reshape(shape)
    same(fnp.resize(a, new), np.resize(a, new))
    same(fnx.jit(lambda x: fnp.resize(x, new))(a), np.resize(a, new))


def test_resize_grad():
    check_grads(lambda v: fnp.resize(v, (2, 5)), (RNG.normal(size=3),), order=1)


@pytest.mark.parametrize("trim", ["fb", "f", "b", "BF"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
def test_trim_zeros_matches_numpy(trim, axis):
    x = np.zeros((5, 6), np.int32)
    x[1:3, 2:5] = [[1, 0, 2], [0, 0, 3]]
    same(fnp.trim_zeros(x, trim, axis), np.trim_zeros(x, trim, axis))
    v = np.array([0, 0, 1.5, 0, 2.0, 0])
    if axis in (None, 0, -1):
        same(fnp.trim_zeros(v, trim, axis), np.trim_zeros(v, trim, axis))
    same(fnp.trim_zeros(np.zeros(4), trim), np.trim_zeros(np.zeros(4), trim))


# ---------------------------------------------------------------------------------------------
# place, put, put_along_axis
# ---------------------------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(st.data())
def test_place_matches_numpy(data):
    shape = tuple(data.draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=5)))
    arr = data.draw(hnp.arrays("int32", shape, elements=st.integers(-9, 9)))
    mask = data.draw(hnp.arrays(bool, shape))
    vals = data.draw(hnp.arrays("int32", data.draw(st.integers(1, 4)),
                                elements=st.integers(100, 200)))
    want = arr.copy()
    np.place(want, mask, vals)
    same(fnp.place(arr, mask, vals, inplace=False), want)
    same(fnx.jit(lambda a, m: fnp.place(a, m, vals, inplace=False))(arr, mask), want)


@pytest.mark.parametrize("mode", [None, "raise", "wrap", "clip"])
def test_put_matches_numpy(mode):
    a = np.arange(12.0).reshape(3, 4)
    ind = np.array([0, -1, 5, 3]) if mode in (None, "raise") else np.array([0, -1, 15, -20, 3])
    v = np.array([10.0, 20.0])
    want = a.copy()
    np.put(want, ind, v, mode=mode or "raise")
    same(fnp.put(a, ind, v, mode=mode, inplace=False), want)
    same(fnx.jit(lambda x, i: fnp.put(x, i, v, mode=mode, inplace=False))(a, ind), want)


def test_put_default_mode_drops_out_of_range_and_raise_checks():
    got = fnp.put(np.arange(4, dtype=np.int32), np.array([1, 9]), 7, inplace=False)
    same(got, np.array([0, 7, 2, 3], np.int32))
    with pytest.raises(IndexError, match="put: index 9 is out of bounds for size 4"):
        fnp.put(np.arange(4), np.array([1, 9]), 7, mode="raise", inplace=False)


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_put_along_axis_matches_numpy(axis):
    a = RNG.normal(size=(3, 4))
    if axis is None:
        idx = np.array([0, 7, 11])
    else:
        idx = np.argsort(a, axis=axis)[:2] if axis == 0 else np.argsort(a, axis=axis)[:, :2]
    vals = np.float64(-1.0) if axis is None else RNG.normal(size=idx.shape)
    want = a.copy()
    np.put_along_axis(want, idx, vals, axis)
    same(fnp.put_along_axis(a, idx, vals, axis, inplace=False), want)
    f = fnx.jit(lambda x, v: fnp.put_along_axis(x, idx, v, axis, inplace=False))
    same(f(a, vals), want)


def test_writers_grad_and_vmap():
    a = RNG.normal(size=(3, 4))
    idx = np.array([[0], [3], [1]])
    check_grads(lambda x, v: fnp.put_along_axis(x, idx, v, 1, inplace=False),
                (a, RNG.normal(size=(3, 1))), order=1)
    check_grads(lambda x, v: fnp.put(x, np.array([1, 5]), v, inplace=False),
                (a, RNG.normal(size=2)), order=1)
    masks = RNG.random((3, 4)) < 0.5
    batched = fnx.vmap(lambda x, m: fnp.place(x, m, np.array([9.0, 8.0]), inplace=False))(
        a, masks)
    for i in range(3):
        want = a[i].copy()
        np.place(want, masks[i], [9.0, 8.0])
        same(batched[i], want)


# ---------------------------------------------------------------------------------------------
# unwrap, matvec / vecmat, polydiv, einsum_path
# ---------------------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.data())
def test_unwrap_matches_numpy(data):
    shape = tuple(data.draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=6)))
    p = data.draw(hnp.arrays("float64", shape, elements=st.floats(-20, 20)))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    kw = data.draw(st.sampled_from([{}, {"discont": 4.0}, {"period": 5.0},
                                    {"period": 360.0, "discont": 100.0}]))
    close(fnp.unwrap(p, axis=axis, **kw), np.unwrap(p, axis=axis, **kw), 1e-12, "float64")


@pytest.mark.parametrize("period", [4, 5, 360])
def test_unwrap_integer_period_matches_numpy(period):
    p = np.array([0, 2, 3, -2, 7, 1, 9, 100, -50], np.int32)
    same(fnp.unwrap(p, period=period), np.unwrap(p, period=period).astype(np.int32))


def test_unwrap_grad_jit_vmap():
    p = np.array([[0.0, 3.0, 6.5, 0.5, -2.0], [1.0, 7.5, 0.0, 3.1, 9.0], [0, 1, 2, 3, 4.0]])
    check_grads(fnp.unwrap, (p[0],), order=1)
    same(fnx.jit(fnp.unwrap)(p[0]), np.asarray(fnp.unwrap(p[0])))
    same(fnx.vmap(fnp.unwrap)(p), np.stack([np.asarray(fnp.unwrap(r)) for r in p]))


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["float64", "complex128", "int32"]), st.data())
def test_matvec_vecmat_match_numpy(dtype, data):
    batch = tuple(data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3)))
    m, n = data.draw(st.integers(0, 4)), data.draw(st.integers(0, 4))
    elems = st.integers(-5, 5)
    A = data.draw(hnp.arrays(dtype, batch + (m, n), elements=elems))
    x = data.draw(hnp.arrays(dtype, (n,), elements=elems))
    y = data.draw(hnp.arrays(dtype, batch[-1:] + (m,), elements=elems))
    if dtype == "complex128":
        A = A + 1j * A[..., ::-1, :]
        y = y - 2j * y
    close(fnp.matvec(A, x), np.matvec(A, x), 1e-12, dtype)
    close(fnp.vecmat(y, A), np.vecmat(y, A), 1e-12, dtype)


def test_matvec_vecmat_grad_jit_vmap():
    A, x = RNG.normal(size=(3, 4)), RNG.normal(size=4)
    check_grads(fnp.matvec, (A, x), order=2)
    check_grads(fnp.vecmat, (RNG.normal(size=3) + 1j, A + 0j), order=1)
    same(fnx.jit(fnp.matvec)(A, x), np.asarray(fnp.matvec(A, x)))
    As = RNG.normal(size=(2, 3, 4))
    same(fnx.vmap(fnp.vecmat, in_axes=(None, 0))(x[:3], As),
         np.stack([np.asarray(fnp.vecmat(x[:3], a)) for a in As]))


POLYDIV_ROWS = [([1.0, 2, 3, 4], [1.0, 1]), ([3.0, 5, 2], [2.0, 1, 0.5, 7]),
                ([1.0, -3, 2], [1.0, -1]), ([2.0], [4.0]), ([1.0, 0, 0, -1], [1.0, 0, 1]),
                ([4, 0, -2, 6], [2, 1])]


@pytest.mark.parametrize("u,v", POLYDIV_ROWS)
def test_polydiv_matches_numpy(u, v):
    q, r = fnp.polydiv(u, v, trim_leading_zeros=True)
    wq, wr = np.polydiv(u, v)
    close(q, wq, 1e-6)
    close(r, wr, 1e-6)
    q, r = fnp.polydiv(np.array(u, float), np.array(v, float))   # untrimmed: leading ~zeros
    close(q, wq, 1e-12)
    close(np.asarray(r)[len(r) - len(wr):], wr, 1e-12)
    np.testing.assert_allclose(np.asarray(r)[:len(r) - len(wr)], 0, atol=1e-12)


def test_polydiv_grad_and_jit():
    u, v = RNG.normal(size=5), RNG.normal(size=3) + np.array([3.0, 0, 0])
    check_grads(fnp.polydiv, (u, v), order=1)
    for g, e in zip(fnx.jit(fnp.polydiv)(u, v), fnp.polydiv(u, v)):
        close(g, np.asarray(e), 1e-14)


@pytest.mark.parametrize("optimize", ["greedy", "optimal", True, False])
def test_einsum_path_matches_numpy(optimize):
    ops = [RNG.normal(size=s) for s in [(2, 3), (3, 40), (40, 5), (5, 2)]]
    want = np.einsum_path("ij,jk,kl,lm->im", *ops, optimize=optimize)
    got = fnp.einsum_path("ij,jk,kl,lm->im", *[fnp.asarray(o) for o in ops], optimize=optimize)
    assert got == want
    assert fnp.einsum_path("ij,jk->ik", *ops[:2])[0] == np.einsum_path(
        "ij,jk->ik", *ops[:2], optimize="greedy")[0]


# ---------------------------------------------------------------------------------------------
# Host-side helpers: construction, printing, files, dtype aliases
# ---------------------------------------------------------------------------------------------

def test_fromfunction_matches_numpy():
    f = lambda i, j: i * 10 + j  # noqa: E731
    same(fnp.fromfunction(f, (3, 4)), np.fromfunction(f, (3, 4)).astype(np.float32))
    same(fnp.fromfunction(f, (2, 3), dtype=int), np.fromfunction(f, (2, 3), dtype=int)
         .astype(np.int32))
    g = lambda i, scale: fnp.sin(i) * scale  # noqa: E731
    close(fnp.fromfunction(g, (5,), dtype=np.float64, scale=2.0),
          np.fromfunction(lambda i, scale: np.sin(i) * scale, (5,), scale=2.0), 1e-15)


def test_frombuffer_fromstring_fromiter_match_numpy():
    buf = np.arange(6, dtype=np.float64).tobytes()
    same(fnp.frombuffer(buf), np.frombuffer(buf))
    same(fnp.frombuffer(buf, dtype=np.int32, count=3, offset=8),
         np.frombuffer(buf, dtype=np.int32, count=3, offset=8))
    same(fnp.fromstring("1, 2, 3.5", sep=","), np.fromstring("1, 2, 3.5", sep=","))
    same(fnp.fromstring("1 2 3", dtype=np.int32, sep=" "), np.array([1, 2, 3], np.int32))
    same(fnp.fromiter((i * i for i in range(5)), np.int32), np.arange(5, dtype=np.int32) ** 2)
    same(fnp.fromiter(iter([1.5, 2.5, 3.5]), float, count=2), np.array([1.5, 2.5]))
    assert isinstance(fnp.fromiter(range(3), np.int32), fnp.ndarray)


def test_fromfile_matches_numpy(tmp_path):
    path = tmp_path / "raw.bin"
    np.arange(5, dtype=np.int32).tofile(path)
    same(fnp.fromfile(path, dtype=np.int32), np.fromfile(path, dtype=np.int32))
    same(fnp.fromfile(path, dtype=np.int32, count=2, offset=4), np.array([1, 2], np.int32))
    text = tmp_path / "text.txt"
    text.write_text("1.5 2.5 -3")
    same(fnp.fromfile(text, sep=" "), np.fromfile(text, sep=" "))


def test_printing_follows_numpy():
    x = fnp.asarray(np.array([1 / 3, 2.0]))
    assert fnp.array_repr(x) == np.array_repr(np.array([1 / 3, 2.0]))
    assert fnp.array_str(x, precision=2) == np.array_str(np.array([1 / 3, 2.0]), precision=2)
    assert fnp.array_repr(fnp.arange(3)) == "array([0, 1, 2], dtype=int32)"
    with fnp.printoptions(precision=3):
        assert fnp.get_printoptions()["precision"] == 3
        assert "0.333" in repr(x) and "0.3333" not in repr(x)
    old = fnp.get_printoptions()
    try:
        fnp.set_printoptions(precision=2)
        assert np.get_printoptions()["precision"] == 2
    finally:
        np.set_printoptions(**old)


def test_save_load_savez_roundtrip(tmp_path):
    x = fnp.asarray(RNG.normal(size=(2, 3)).astype(np.float32))
    path = tmp_path / "x.npy"
    fnp.save(path, x)
    back = fnp.load(path)
    assert isinstance(back, fnp.ndarray)
    same(back, np.asarray(x))
    buf = io.BytesIO()
    fnp.savez(buf, x, y=fnp.arange(3))
    buf.seek(0)
    with fnp.load(buf) as z:
        same(z["arr_0"], np.asarray(x))
        same(z["y"], np.arange(3, dtype=np.int32))
    np.save(tmp_path / "h.npy", np.ones(2, np.float16))        # no fnx dtype: numpy's array
    assert isinstance(fnp.load(tmp_path / "h.npy"), np.ndarray)


def test_dtype_aliases():
    assert fnp.double == np.float64 and fnp.double is fnp.float64
    assert fnp.single is fnp.float32 and fnp.csingle is fnp.complex64
    assert fnp.cdouble is fnp.complex128
    assert fnp.uint is fnp.uint32        # jax's uint64, which fnx lacks (jax without x64)
    assert fnp.bool is fnp.bool_
    assert fnp.zeros(2, fnp.bool).dtype == np.bool_
    assert fnp.single(1.5).dtype == np.float32
    assert fnp.issubdtype(np.dtype("S2"), fnp.character)
    assert fnp.issubdtype(np.dtype("U2"), fnp.flexible)
    assert not fnp.issubdtype(fnp.float32, fnp.flexible)
    assert fnp.object_ is np.object_
    assert issubclass(fnp.ComplexWarning, Warning)
    assert isinstance(True, bool)        # the builtin is untouched outside fnx.numpy


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

ERROR_CASES = [
    ("hanning", lambda: fnp.hanning(2.5), TypeError, "hanning"),
    ("kaiser", lambda: fnp.kaiser(4, [1.0, 2.0]), ValueError, "beta must be a scalar"),
    ("kaiser", lambda: fnp.kaiser(4, 1j), TypeError, "real"),
    ("i0", lambda: fnp.i0(np.array([1j])), TypeError, "i0: complex"),
    ("frexp", lambda: fnp.frexp(np.array([1j])), TypeError, "frexp: complex"),
    ("ldexp", lambda: fnp.ldexp(1.0, 2.5), DTypeError, "ldexp: the exponent"),
    ("ldexp", lambda: fnp.ldexp(np.array([1j]), 2), TypeError, "ldexp: complex"),
    ("modf", lambda: fnp.modf(1.0, out=np.zeros(1)), NotImplementedError, "out"),
    ("spacing", lambda: fnp.spacing(np.array([1j])), TypeError, "spacing"),
    ("gcd", lambda: fnp.gcd(1.5, 2), DTypeError, "gcd: integer"),
    ("lcm", lambda: fnp.lcm(np.array([True]), np.array([True])), DTypeError, "lcm: integer"),
    ("bitwise_count", lambda: fnp.bitwise_count(1.5), DTypeError, "bitwise_count"),
    ("diag_indices", lambda: fnp.diag_indices(-1), ValueError, "non-negative"),
    ("diag_indices_from", lambda: fnp.diag_indices_from(np.ones((2, 3))), ValueError,
     "equal length"),
    ("diag_indices_from", lambda: fnp.diag_indices_from(np.ones(3)), ValueError, "2-d"),
    ("tril_indices", lambda: fnp.tril_indices(-2), ValueError, "non-negative"),
    ("tril_indices", lambda: fnp.tril_indices(2.5), TypeError, "tril_indices"),
    ("triu_indices_from", lambda: fnp.triu_indices_from(np.ones(3)), ValueError, "2-d"),
    ("mask_indices", lambda: fnp.mask_indices(3, lambda m, k: m[0]), ShapeError, "(3, 3)"),
    ("choose", lambda: fnp.choose(np.array([0.5]), [[1]]), DTypeError, "integer"),
    ("choose", lambda: fnp.choose(np.array([0]), [[1]], mode="nope"), ValueError, "mode"),
    ("choose", lambda: fnp.choose(np.array([0]), []), ValueError, "empty"),
    ("block", lambda: fnp.block(([1], [2])), TypeError, "tuple"),
    ("block", lambda: fnp.block([[1], 2]), ValueError, "depths"),
    ("block", lambda: fnp.block([]), ValueError, "empty"),
    ("lexsort", lambda: fnp.lexsort([]), TypeError, "len > 0"),
    ("lexsort", lambda: fnp.lexsort([np.ones(2), np.ones(3)]), ShapeError, "same shape"),
    ("lexsort", lambda: fnp.lexsort([np.ones(2) * 1j]), DTypeError, "complex"),
    ("top_k", lambda: fnp.top_k(np.ones(3), 4), ValueError, "k must lie"),
    ("top_k", lambda: fnp.top_k(np.ones(3), 1, mode="biggest"), ValueError, "mode"),
    ("top_k", lambda: fnp.top_k(np.ones(3) * 1j, 1), DTypeError, "complex"),
    ("top_k", lambda: fnp.top_k(np.float64(1), 1), ShapeError, "0-d"),
    ("resize", lambda: fnp.resize(np.ones(3), (-1, 2)), ValueError, "non-negative"),
    ("resize", lambda: fnp.resize(np.ones(3), 2.5), TypeError, "new_shape"),
    ("trim_zeros", lambda: fnp.trim_zeros(np.ones(3), "x"), ValueError, "unexpected"),
    ("trim_zeros", lambda: fnp.trim_zeros(np.ones(3), ""), ValueError, "unexpected"),
    ("trim_zeros", lambda: fnx.jit(fnp.trim_zeros)(np.ones(3)), ConcretizationTypeError,
     "depends on the values"),
    ("place", lambda: fnp.place(np.ones(3), np.ones(3, bool), [1.0]), ValueError,
     "inplace=False"),
    ("place", lambda: fnp.place(np.ones(3), np.ones(2, bool), [1.0], inplace=False),
     ShapeError, "same size"),
    ("place", lambda: fnp.place(np.ones(3), np.ones(3, bool), [], inplace=False),
     ValueError, "empty"),
    ("put", lambda: fnp.put(np.ones(3), [0], 1.0), ValueError, "inplace=False"),
    ("put", lambda: fnp.put(np.ones(3), [0], 1.0, mode="x", inplace=False), ValueError, "mode"),
    ("put", lambda: fnp.put(np.ones(3), [0.5], 1.0, inplace=False), DTypeError, "integers"),
    ("put_along_axis", lambda: fnp.put_along_axis(np.ones((2, 2)), np.zeros((2, 1), int), 1.0,
                                                  1), ValueError, "inplace=False"),
    ("put_along_axis", lambda: fnp.put_along_axis(np.ones((2, 2)), np.zeros(2, int), 1.0, 1,
                                                  inplace=False), ShapeError, "same number"),
    ("put_along_axis", lambda: fnp.put_along_axis(np.ones((2, 2)), np.zeros((2, 1), int),
                                                  np.ones((3, 1)), 1, inplace=False),
     ShapeError, "broadcastable"),
    ("unwrap", lambda: fnp.unwrap(np.array([1j])), DTypeError, "unwrap"),
    ("matvec", lambda: fnp.matvec(np.ones((2, 3)), np.ones(2)), ShapeError, "must match"),
    ("matvec", lambda: fnp.matvec(np.ones(3), np.ones(3)), ShapeError, "at least 2-d"),
    ("vecmat", lambda: fnp.vecmat(np.ones(2), np.ones((3, 2))), ShapeError, "must match"),
    ("polydiv", lambda: fnp.polydiv(np.ones((2, 2)), [1.0]), ShapeError, "1-d"),
    ("polydiv", lambda: fnx.jit(lambda u: fnp.polydiv(u, np.ones(2),
                                                      trim_leading_zeros=True))(np.ones(3)),
     ConcretizationTypeError, "trim_leading_zeros=False"),
    ("frombuffer", lambda: fnp.frombuffer(b"\x00\x00", dtype=np.float16), DTypeError,
     "not supported"),
    ("array_repr", lambda: fnx.jit(lambda x: fnp.array_repr(x))(np.ones(2)),
     ConcretizationTypeError, "fnx.debug.print"),
]


@pytest.mark.parametrize("name,fn,exc,match", ERROR_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(ERROR_CASES)])
def test_errors(name, fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()
