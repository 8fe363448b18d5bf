"""The matmul kernel (kernels/cpu/linalg.c, ``fnx_matmul``) against numpy, called directly.

float32 and float64 run the register-tile paths (kernels/cpu/gemm_tiles.h: packed / in-place A
and B, masked edge tiles, dynamically shared work items), instantiated for the build machine's
ISA: AVX-512 (gemm_isa_avx512.h: 8 x 32 floats, 8 x 24 doubles, 16-row one-vector tiles for
narrow n, dot products along k for n <= 4) or AVX2 (gemm_isa_avx2.h: 6 x 16 floats, 6 x 8
doubles, 12-row one-vector tiles for narrow n, dot products for n <= 2); int32 /
int64 (and m == 1) run the generic blocked path.  Shapes are drawn around the tile sizes, degenerate (1, K = 0) and large
enough to go parallel.  fnx_matmul_epilogue (bias + relu fused into the tile store) must equal
the plain product followed by the same add and max, bit for bit.
Floats are compared with a float64 product; the bound scales with sum_k |a||b| (each output is a
sum of k rounded products).  Integers use small values, so the result is exact."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import fnx
import fnx.numpy as fnp
from fnx._fnx_kernels import ffi, lib

DTYPES = {np.float32: lib.FNX_FLOAT32, np.float64: lib.FNX_FLOAT64,
          np.int32: lib.FNX_INT32, np.int64: lib.FNX_INT64}
# sizes around the register tiles (AVX-512: 8 rows x 32 columns; AVX2: 6 x 16, 12 x 8) and the
# KC slice (256)
DIMS = st.sampled_from([1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 23, 24, 25, 31, 32, 33,
                        47, 48, 49, 63, 64, 65, 100, 129, 193, 255, 257, 300])


# the `threads` fixture only resets the team size at the end; every example sets its own
_FIXTURE_OK = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def _matmul(a, b):
    """fnx_matmul on (batch, m, k) @ (batch, k, n) arrays"""
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    batch, m, k = a.shape
    n = b.shape[2]
    c = np.full((batch, m, n), 12345, a.dtype)  # garbage: K = 0 must still write zeros
    err = lib.fnx_matmul(DTYPES[a.dtype.type], batch, m, n, k, ffi.from_buffer(a),
                         ffi.from_buffer(b), ffi.from_buffer(c))
    assert err == 0
    return c


def _operands(rng, dtype, batch, m, k, n):
    if np.issubdtype(dtype, np.integer):
        return (rng.integers(-8, 9, (batch, m, k)).astype(dtype),
                rng.integers(-8, 9, (batch, k, n)).astype(dtype))
    return (rng.standard_normal((batch, m, k)).astype(dtype),
            rng.standard_normal((batch, k, n)).astype(dtype))


def _check(a, b, c):
    ref = np.matmul(a.astype(np.float64), b.astype(np.float64))
    if np.issubdtype(a.dtype, np.integer):
        np.testing.assert_array_equal(c, ref.astype(a.dtype))
        return
    scale = np.matmul(np.abs(a).astype(np.float64), np.abs(b).astype(np.float64))
    eps = np.finfo(a.dtype).eps
    k = a.shape[2]
    bound = 2 * eps * (k + 2) * scale + np.finfo(a.dtype).tiny
    bad = np.abs(c.astype(np.float64) - ref) > bound
    assert not bad.any(), f"{bad.sum()} elements off, first at {np.argwhere(bad)[0]}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n", [(200, 9000, 70), (37, 20000, 19), (1100, 4100, 40)])
def test_long_k_products_block_rows_by_the_k_slice(dtype, m, k, n):
    """Long K: the row blocks are bounded by one K slice (and the per-thread packed A by
    G_ABUF_MAX elements), not by rows x K -- every branch of that sizing, checked against
    float64 numpy, with the products split into parallel work items."""
    a, b = _operands(np.random.default_rng(m + k + n), dtype, 1, m, k, n)
    _check(a, b, _matmul(a, b))


@pytest.fixture
def threads():
    """set the kernel team size; restores the default afterwards"""
    def set_n(n):
        fnx.config.update("num_threads", n)
    yield set_n
    fnx.config.update("num_threads", None)
    lib.fnx_set_num_threads(0)


@given(dtype=st.sampled_from(list(DTYPES)), batch=st.sampled_from([1, 1, 2, 3]), m=DIMS, k=DIMS,
       n=DIMS, seed=st.integers(0, 2**31 - 1))
def test_matmul_matches_numpy(dtype, batch, m, k, n, seed):
    a, b = _operands(np.random.default_rng(seed), dtype, batch, m, k, n)
    _check(a, b, _matmul(a, b))


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("shape", [(1, 1, 1), (1, 5, 1), (1, 64, 100), (100, 64, 1), (5, 0, 7),
                                   (0, 3, 4), (3, 4, 0), (8, 1, 32), (9, 1, 33), (33, 2, 1000),
                                   (1000, 3, 33), (7, 1000, 5)])
def test_matmul_degenerate(dtype, shape):
    m, k, n = shape
    a, b = _operands(np.random.default_rng(0), dtype, 2, m, k, n)
    c = _matmul(a, b)
    assert c.shape == (2, m, n)
    _check(a, b, c)


# the shapes fnx trains on (MLP batch 128 and its backward products, LSTM B16), plus a few that
# split unevenly over two threads
TRAIN_SHAPES = [(128, 784, 512), (128, 512, 512), (128, 512, 10), (784, 128, 512),
                (128, 512, 784), (512, 128, 10), (128, 10, 512), (16, 64, 512), (16, 128, 512),
                (128, 16, 512), (257, 300, 129), (1, 2048, 1024), (1030, 17, 2000), (40, 3000, 70)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", TRAIN_SHAPES)
def test_matmul_threads_agree(threads, dtype, shape):
    m, k, n = shape
    a, b = _operands(np.random.default_rng(1), dtype, 1, m, k, n)
    threads(1)
    c1 = _matmul(a, b)
    threads(2)
    c2 = _matmul(a, b)
    _check(a, b, c1)
    _check(a, b, c2)
    np.testing.assert_allclose(c1, c2, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-4)


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_matmul_batched_parallel(threads, dtype):
    """many small products share out over the team, one per thread"""
    threads(2)
    a, b = _operands(np.random.default_rng(2), dtype, 64, 40, 33, 70)
    _check(a, b, _matmul(a, b))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_nonfinite_stays_in_its_row_and_column(dtype):
    """NaN / inf in A's row i or B's column j reach exactly the outputs numpy says they do:
    zero padding of partial tiles must never meet a real inf (inf * 0 would leak NaN)"""
    rng = np.random.default_rng(3)
    for m, k, n in [(9, 5, 33), (13, 300, 40), (128, 20, 70)]:
        a, b = _operands(rng, dtype, 1, m, k, n)
        a[0, m - 1, 0], a[0, 0, k - 1], b[0, 1, n - 1] = np.inf, np.nan, -np.inf
        c = _matmul(a, b)
        with np.errstate(invalid="ignore"):
            ref = np.matmul(a, b)
        np.testing.assert_array_equal(np.isnan(c), np.isnan(ref))
        np.testing.assert_array_equal(np.isinf(c), np.isinf(ref))


def test_matmul_through_fnx_with_transposed_operands():
    """x^T @ g and g @ W^T, the backward-pass products, through fnx.numpy"""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((128, 784)).astype(np.float32)
    g = rng.standard_normal((128, 512)).astype(np.float32)
    w = rng.standard_normal((784, 512)).astype(np.float32)
    got = np.asarray(fnp.asarray(x).T @ fnp.asarray(g))
    np.testing.assert_allclose(got, x.T.astype(np.float64) @ g, rtol=1e-4, atol=1e-3)
    got = np.asarray(fnp.asarray(g) @ fnp.asarray(w).T)
    np.testing.assert_allclose(got, g.astype(np.float64) @ w.T, rtol=1e-4, atol=1e-3)


@given(batch=st.sampled_from([1, 2]), m=DIMS, k=DIMS, n=DIMS, nt=st.sampled_from([1, 2]),
       seed=st.integers(0, 2**31 - 1))
@_FIXTURE_OK
def test_matmul_float64_both_thread_counts(threads, batch, m, k, n, nt, seed):
    threads(nt)
    a, b = _operands(np.random.default_rng(seed), np.float64, batch, m, k, n)
    _check(a, b, _matmul(a, b))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 10, 15, 16, 17])
@pytest.mark.parametrize("mk", [(2, 5), (16, 64), (17, 512), (128, 512), (130, 300), (600, 600)])
def test_matmul_narrow_n(threads, dtype, n, mk):
    """n below one or two vectors (the narrow-N tiles), both thread counts agree with numpy"""
    m, k = mk
    a, b = _operands(np.random.default_rng(n * 1000 + m), dtype, 1, m, k, n)
    for nt in (1, 2):
        threads(nt)
        _check(a, b, _matmul(a, b))


def _matmul_epilogue(a, b, bias, act):
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    batch, m, k = a.shape
    n = b.shape[2]
    c = np.full((batch, m, n), 12345, a.dtype)
    bptr = ffi.NULL if bias is None else ffi.from_buffer(np.ascontiguousarray(bias))
    err = lib.fnx_matmul_epilogue(DTYPES[a.dtype.type], batch, m, n, k, ffi.from_buffer(a),
                                  ffi.from_buffer(b), bptr, act, ffi.from_buffer(c))
    assert err == 0
    return c


def _epilogue_ref(c, bias, act):
    """the unfused add and relu, as fnx's eager add / max do them (NaN-propagating max)"""
    if bias is not None:
        c = (c.view(_unsigned(c.dtype)) + bias.view(_unsigned(c.dtype))).view(c.dtype) \
            if c.dtype.kind == "i" else c + bias
    if act == lib.FNX_ACT_RELU:
        c = np.where(np.isnan(c) | (c > 0), c, np.zeros((), c.dtype))
    return c


def _unsigned(dtype):
    return np.dtype(f"u{dtype.itemsize}")


@given(dtype=st.sampled_from(list(DTYPES)), batch=st.sampled_from([1, 2]), m=DIMS, k=DIMS,
       n=DIMS, with_bias=st.booleans(), act=st.sampled_from([0, 1]), nt=st.sampled_from([1, 2]),
       seed=st.integers(0, 2**31 - 1))
@_FIXTURE_OK
def test_matmul_epilogue_matches_unfused(threads, dtype, batch, m, k, n, with_bias, act, nt,
                                         seed):
    """bias + relu applied in the tile store == the same ops after the plain product"""
    threads(nt)
    rng = np.random.default_rng(seed)
    a, b = _operands(rng, dtype, batch, m, k, n)
    bias = _operands(rng, dtype, 1, 1, 1, n)[1].reshape(n) if with_bias else None
    got = _matmul_epilogue(a, b, bias, act)
    np.testing.assert_array_equal(got, _epilogue_ref(_matmul(a, b), bias, act))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 0, 7), (9, 1, 33), (1, 64, 100), (100, 64, 1),
                                   (128, 512, 10), (300, 600, 520)])
def test_matmul_epilogue_degenerate_and_nonfinite(dtype, shape):
    """K = 0 gives act(bias); NaN / inf flow through the bias add and the relu (relu(NaN) is
    NaN, relu(-inf) is 0), and relu(-0.0) is +0.0 like fnx's max(x, 0)"""
    m, k, n = shape
    rng = np.random.default_rng(5)
    a, b = _operands(rng, dtype, 1, m, k, n)
    bias = rng.standard_normal(n).astype(dtype)
    if k:
        a[0, m - 1, 0] = np.nan
        b[0, 0, n - 1] = -np.inf
    bias[0] = np.inf
    if n > 2:
        bias[1] = -np.inf
    for act in (0, 1):
        got = _matmul_epilogue(a, b, bias, act)
        with np.errstate(invalid="ignore"):
            want = _epilogue_ref(np.matmul(a, b), bias, act)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
        ok = np.isfinite(want)
        np.testing.assert_allclose(got[ok], want[ok], rtol=1e-4, atol=1e-3)
    if k:
        return
    z = np.full((1, m, n), -0.0, dtype)   # K = 0: act(-0.0 + -0.0) through the relu
    got = _matmul_epilogue(a, b, np.full(n, -0.0, dtype), 1)
    np.testing.assert_array_equal(np.signbit(got), np.zeros_like(z, bool))


_EX_DTYPES = {**DTYPES, np.complex64: lib.FNX_COMPLEX64, np.complex128: lib.FNX_COMPLEX128}


def _matmul_ex(a, ta, b, tb, bias, act):
    """fnx_matmul_ex with a given as (batch, k, m) when ta, b as (batch, n, k) when tb"""
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    batch = a.shape[0]
    m = a.shape[2] if ta else a.shape[1]
    k = a.shape[1] if ta else a.shape[2]
    n = b.shape[1] if tb else b.shape[2]
    c = np.full((batch, m, n), 12345, a.dtype)
    err = lib.fnx_matmul_ex(_EX_DTYPES[a.dtype.type], batch, m, n, k, ffi.from_buffer(a), ta,
                            ffi.from_buffer(b), tb,
                            ffi.NULL if bias is None else ffi.from_buffer(bias), act,
                            ffi.from_buffer(c))
    assert err == 0
    return c


@given(dtype=st.sampled_from(list(_EX_DTYPES)), batch=st.sampled_from([1, 2]), m=DIMS, k=DIMS,
       n=DIMS, ta=st.booleans(), tb=st.booleans(), with_bias=st.booleans(),
       nt=st.sampled_from([1, 2]), seed=st.integers(0, 2**31 - 1))
@_FIXTURE_OK
def test_matmul_with_transposed_operands(threads, dtype, batch, m, k, n, ta, tb, with_bias, nt,
                                         seed):
    """fnx_matmul_ex reading A as (k, m) rows / B as (n, k) rows equals the product of the
    transposed copies, bias and relu included (complex: no relu; the 1m path)"""
    threads(nt)
    rng = np.random.default_rng(seed)
    cplx = np.issubdtype(dtype, np.complexfloating)
    real = np.float32 if dtype == np.complex64 else np.float64
    a, b = _operands(rng, real if cplx else dtype, batch, m, k, n)
    if cplx:
        a2, b2 = _operands(rng, real, batch, m, k, n)
        a, b = (a + 1j * a2).astype(dtype), (b + 1j * b2).astype(dtype)
    act = 0 if cplx else int(rng.integers(0, 2))
    bias = None
    if with_bias and not cplx:
        bias = _operands(rng, dtype, 1, 1, 1, n)[1].reshape(n)
    got = _matmul_ex(np.swapaxes(a, 1, 2) if ta else a, int(ta),
                     np.swapaxes(b, 1, 2) if tb else b, int(tb), bias, act)
    if cplx:
        np.testing.assert_allclose(got, np.matmul(a.astype(np.complex128), b), rtol=1e-4,
                                   atol=1e-4 * k)
        return
    if not np.issubdtype(dtype, np.integer) and bias is None and act == 0:
        _check(a, b, got)
        return
    want = _matmul_ex(a, 0, b, 0, bias, act)
    if n > 4 or np.issubdtype(dtype, np.integer):
        # the same tiles and summation order as the untransposed call: equal bit for bit
        np.testing.assert_array_equal(got, want)
    else:   # n <= 4 untransposed runs as dot products along k: another summation order
        eps = np.finfo(dtype).eps
        np.testing.assert_allclose(got, want, rtol=4 * eps * k, atol=4 * eps * k)
