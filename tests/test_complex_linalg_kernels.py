"""The complex decomposition kernels of kernels/cpu/lapack.c (complex64 / complex128) and the
general eigendecomposition fnx_eig (real and complex input), called directly through cffi and
checked against numpy (np.linalg, LAPACK underneath) and first principles: reconstruction,
unitarity, LAPACK's conventions (izamax pivots, R's real diagonal, ascending real eigh
eigenvalues, descending singular values, zgeev's eigenvector normalization), NaN for failures."""
import numpy as np
import pytest

from fnx.backends.cpu_ffi import ffi, lib

CDTYPES = (np.complex64, np.complex128)
CODE = {np.float32: lib.FNX_FLOAT32, np.float64: lib.FNX_FLOAT64,
        np.complex64: lib.FNX_COMPLEX64, np.complex128: lib.FNX_COMPLEX128}
REAL_OF = {np.complex64: np.float32, np.complex128: np.float64,
           np.float32: np.float32, np.float64: np.float64}
COMPLEX_OF = {np.float32: np.complex64, np.float64: np.complex128,
              np.complex64: np.complex64, np.complex128: np.complex128}
SIZES = (1, 2, 3, 8, 33, 100)
SHAPES = ((1, 1), (3, 3), (8, 3), (3, 8), (33, 17), (17, 33), (100, 40))
BATCH = 3
RNG = np.random.default_rng(20240519)


def p(x):
    return ffi.from_buffer(x)


def tol(dt, n=1):
    single = dt in (np.complex64, np.float32)
    return (5e-5 if single else 1e-12) * max(n, 1)


def close(got, want, dt, n=1, scale=1.0):
    np.testing.assert_allclose(np.asarray(got, np.complex128), np.asarray(want, np.complex128),
                               atol=tol(dt, n) * scale, rtol=tol(dt, n))


def crand(shape, dt):
    x = RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)
    return x.astype(dt)


def hermitian_pd(shape, dt):
    a = RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)
    n = shape[-1]
    return (a @ np.conj(np.swapaxes(a, -1, -2)) / n + np.eye(n)).astype(dt)


def eye_like(n, batch):
    return np.broadcast_to(np.eye(n), (batch, n, n))


def ctrans(x):
    return np.conj(np.swapaxes(x, -1, -2))


# ---- cholesky -------------------------------------------------------------------------------

def cholesky(a):
    l = np.empty_like(a)
    assert lib.fnx_cholesky(CODE[a.dtype.type], a.shape[0], a.shape[-1], p(a), p(l)) == 0
    return l


@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_cholesky_matches_numpy(n, dt):
    a = hermitian_pd((BATCH, n, n), dt)
    garbage = a + np.triu(crand((BATCH, n, n), dt), 1)    # only the lower triangle is read
    garbage += 1j * np.eye(n, dtype=dt) * 7                 # ... and the diagonal's real part
    got = cholesky(np.ascontiguousarray(garbage))
    close(got, np.linalg.cholesky(a.astype(np.complex128)), dt, n)


@pytest.mark.parametrize("dt", CDTYPES)
def test_cholesky_not_positive_definite_is_nan(dt):
    a = hermitian_pd((2, 4, 4), dt)
    a[1, 2, 2] = -5
    got = cholesky(a)
    assert np.all(np.isfinite(got[0])) and np.all(np.isnan(got[1]))


# ---- triangular_solve ----------------------------------------------------------------------

def op(a, trans):
    return a if trans == 0 else np.swapaxes(a, -1, -2) if trans == 1 else ctrans(a)


@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("left", (1, 0))
@pytest.mark.parametrize("lower", (1, 0))
@pytest.mark.parametrize("trans", (0, 1, 2))
@pytest.mark.parametrize("unit", (0, 1))
@pytest.mark.parametrize("m,n", ((1, 1), (5, 3), (33, 8)))
def test_triangular_solve_every_variant(m, n, unit, trans, lower, left, dt):
    k = m if left else n
    # well conditioned (also with a unit diagonal); garbage in the other triangle
    a = (crand((BATCH, k, k), dt) / k + 4 * np.eye(k)).astype(dt)
    tri = np.tril(a) if lower else np.triu(a)
    if unit:
        tri = tri - np.eye(k) * np.diagonal(tri, axis1=1, axis2=2)[:, None, :] + np.eye(k)
    b = crand((BATCH, m, n), dt)
    x = np.empty_like(b)
    assert lib.fnx_triangular_solve(CODE[dt], BATCH, m, n, p(a), p(b), p(x), left, lower, trans,
                                    unit) == 0
    o = op(tri.astype(np.complex128), trans)
    want = np.linalg.solve(o, b) if left else ctrans(np.linalg.solve(ctrans(o), ctrans(b)))
    close(x, want, dt, k)


@pytest.mark.parametrize("dt", (np.float32, np.float64))
def test_real_triangular_solve_conjugate_transpose_is_transpose(dt):
    a = np.tril(RNG.standard_normal((2, 6, 6))).astype(dt) + 3 * np.eye(6, dtype=dt)
    b = RNG.standard_normal((2, 6, 4)).astype(dt)
    x1, x2 = np.empty_like(b), np.empty_like(b)
    for trans, x in ((1, x1), (2, x2)):
        assert lib.fnx_triangular_solve(CODE[dt], 2, 6, 4, p(a), p(b), p(x), 1, 1, trans, 0) == 0
    np.testing.assert_array_equal(x1, x2)
    close(x1, np.linalg.solve(np.swapaxes(a, -1, -2).astype(np.float64), b), dt, 6)


# ---- lu -------------------------------------------------------------------------------------

def lu(a):
    b, m, n = a.shape
    k = min(m, n)
    out = np.empty_like(a)
    piv, perm = np.empty((b, k), np.int32), np.empty((b, m), np.int32)
    assert lib.fnx_lu(CODE[a.dtype.type], b, m, n, p(a), p(out), p(piv), p(perm)) == 0
    return out, piv, perm


def lapack_pivots(a):
    """izamax's choice (first largest |re| + |im|) by a straightforward Gaussian elimination in
    complex128: the reference pivots (scipy is not a dependency)."""
    a = a.astype(np.complex128).copy()
    m, n = a.shape
    piv = []
    for j in range(min(m, n)):
        r = j + int(np.argmax(np.abs(a[j:, j].real) + np.abs(a[j:, j].imag)))
        piv.append(r)
        a[[j, r]] = a[[r, j]]
        if a[j, j] != 0:
            a[j + 1:, j] /= a[j, j]
            a[j + 1:, j + 1:] -= np.outer(a[j + 1:, j], a[j, j + 1:])
    return np.array(piv)


@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("shape", SHAPES + ((100, 100),))
def test_lu_reconstructs_with_lapack_pivots(shape, dt):
    m, n = shape
    a = crand((BATCH, m, n), dt)
    out, piv, perm = lu(a)
    k = min(m, n)
    for t in range(BATCH):
        l = np.tril(out[t][:, :k], -1) + np.eye(m, k)
        u = np.triu(out[t][:k])
        close(l @ u, a[t][perm[t]], dt, max(m, n))
        np.testing.assert_array_equal(piv[t], lapack_pivots(a[t]))
        assert np.all(np.abs(l) <= np.sqrt(2) + 1e-6)     # |re| + |im| pivots: |l| <= sqrt(2)


@pytest.mark.parametrize("dt", CDTYPES)
def test_lu_singular_is_finite(dt):
    a = np.zeros((2, 4, 4), dt)
    a[1] = crand((4, 1), dt) @ crand((1, 4), dt)          # rank 1
    out, piv, perm = lu(a)
    assert np.all(np.isfinite(out[0])) and np.all(out[0] == 0)
    np.testing.assert_array_equal(perm[0], np.arange(4))
    l = np.tril(out[1], -1) + np.eye(4)
    close(l @ np.triu(out[1]), a[1][perm[1]], dt, 4)


# ---- qr -------------------------------------------------------------------------------------

def qr(a, full):
    b, m, n = a.shape
    mq = m if full else min(m, n)
    q, r = np.empty((b, m, mq), a.dtype), np.empty((b, mq, n), a.dtype)
    assert lib.fnx_qr(CODE[a.dtype.type], b, m, n, full, p(a), p(q), p(r)) == 0
    return q, r


@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("full", (0, 1))
@pytest.mark.parametrize("shape", SHAPES + ((100, 100),))
def test_qr_matches_numpy(shape, full, dt):
    m, n = shape
    a = crand((BATCH, m, n), dt)
    q, r = qr(a, full)
    mode = "complete" if full else "reduced"
    qn, rn = np.linalg.qr(a.astype(np.complex128), mode=mode)
    k = min(m, n)
    close(q[..., :k], qn[..., :k], dt, max(m, n))           # same reflectors as zgeqrf / zungqr
    close(r, rn, dt, max(m, n))
    assert np.all(np.diagonal(r, axis1=1, axis2=2).imag == 0)  # LAPACK's real diagonal
    close(q @ r, a, dt, max(m, n))
    close(ctrans(q) @ q, eye_like(q.shape[-1], BATCH), dt, m)


# ---- eigh -----------------------------------------------------------------------------------

def eigh(a, lower=1):
    b, n, _ = a.shape
    v, w = np.empty_like(a), np.empty((b, n), REAL_OF[a.dtype.type])
    assert lib.fnx_eigh(CODE[a.dtype.type], b, n, lower, p(a), p(v), p(w)) == 0
    return w, v


@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("lower", (1, 0))
@pytest.mark.parametrize("n", SIZES)
def test_eigh_matches_numpy(n, lower, dt):
    h = crand((BATCH, n, n), dt)
    h = (h + ctrans(h)) / 2
    garbage = np.tril(h) if lower else np.triu(h)           # the other triangle is not read
    garbage = garbage + (np.triu(crand((BATCH, n, n), dt), 1) if lower
                         else np.tril(crand((BATCH, n, n), dt), -1))
    garbage = garbage + 1j * np.eye(n, dtype=dt)            # nor the diagonal's imaginary part
    w, v = eigh(np.ascontiguousarray(garbage.astype(dt)), lower)
    assert w.dtype == REAL_OF[dt]
    hd = h.astype(np.complex128)
    close(w, np.linalg.eigvalsh(hd), dt, n, scale=np.sqrt(n))
    close(ctrans(v) @ v, eye_like(n, BATCH), dt, n)
    close(hd @ v, v * w[:, None, :], dt, n, scale=np.sqrt(n))


@pytest.mark.parametrize("dt", CDTYPES)
def test_eigh_nan_in_nan_out(dt):
    a = hermitian_pd((2, 3, 3), dt)
    a[1, 1, 0] = np.nan
    w, v = eigh(a)
    assert np.all(np.isfinite(w[0])) and np.all(np.isnan(w[1])) and np.all(np.isnan(v[1]))


# ---- svd ------------------------------------------------------------------------------------

def svd(a, full, uv=1):
    b, m, n = a.shape
    k = min(m, n)
    mu, nv = (m, n) if full else (k, k)
    s = np.empty((b, k), REAL_OF[a.dtype.type])
    u, vt = np.empty((b, m, mu), a.dtype), np.empty((b, nv, n), a.dtype)
    assert lib.fnx_svd(CODE[a.dtype.type], b, m, n, full, uv, p(a), p(s), p(u), p(vt)) == 0
    return s, u, vt


@pytest.mark.parametrize("dt", CDTYPES)
@pytest.mark.parametrize("full", (0, 1))
@pytest.mark.parametrize("shape", SHAPES + ((100, 100),))
def test_svd_matches_numpy(shape, full, dt):
    m, n = shape
    a = crand((BATCH, m, n), dt)
    s, u, vt = svd(a, full)
    assert s.dtype == REAL_OF[dt]
    k = min(m, n)
    close(s, np.linalg.svd(a.astype(np.complex128), compute_uv=False), dt, max(m, n),
          scale=np.sqrt(max(m, n)))
    assert np.all(np.diff(s, axis=-1) <= 0)
    close((u[..., :k] * s[:, None, :]) @ vt[:, :k], a, dt, max(m, n), scale=np.sqrt(max(m, n)))
    close(ctrans(u) @ u, eye_like(u.shape[-1], BATCH), dt, m)
    close(vt @ ctrans(vt), eye_like(vt.shape[-2], BATCH), dt, n)
    s2, _, _ = svd(a, full, uv=0)
    close(s2, s, dt, max(m, n))


@pytest.mark.parametrize("dt", CDTYPES)
def test_svd_rank_deficient_and_nan(dt):
    a = np.stack([crand((6, 1), dt) @ crand((1, 4), dt), np.full((6, 4), np.nan, dt)])
    s, u, vt = svd(np.ascontiguousarray(a.astype(dt)), 0)
    assert np.all(np.isfinite(s[0])) and np.all(np.abs(s[0][1:]) < tol(dt, 6) * s[0][0])
    close((u[0] * s[0]) @ vt[0], a[0], dt, 6, scale=s[0][0])
    assert np.all(np.isnan(s[1])) and np.all(np.isnan(u[1]))


# ---- eig ------------------------------------------------------------------------------------

def eig(a, compute_v=1):
    b, n, _ = a.shape
    cdt = COMPLEX_OF[a.dtype.type]
    w, v = np.empty((b, n), cdt), np.empty((b, n, n), cdt)
    assert lib.fnx_eig(CODE[a.dtype.type], b, n, compute_v, p(a), p(w), p(v)) == 0
    return w, v


def assert_same_multiset(got, want, dt, n, scale):
    """Eigenvalues as multisets: a greedy nearest match (numpy's order is LAPACK's, not ours)."""
    want = list(np.asarray(want, np.complex128))
    for g in np.asarray(got, np.complex128):
        j = int(np.argmin([abs(g - x) for x in want]))
        assert abs(g - want[j]) <= tol(dt, n) * 20 * scale, (g, want[j])
        want.pop(j)


def check_eig(a, dt, rtol_scale=1.0):
    w, v = eig(a)
    n = a.shape[-1]
    assert w.dtype == COMPLEX_OF[dt] and v.dtype == COMPLEX_OF[dt]
    ad = a.astype(np.complex128)
    norm = max(np.abs(ad).max(), 1e-300)
    for t in range(a.shape[0]):
        assert_same_multiset(w[t], np.linalg.eigvals(ad[t]), dt, n, norm * rtol_scale)
        close(np.linalg.norm(v[t], axis=0), np.ones(n), dt, n)
        close(ad[t] @ v[t], v[t] * w[t], dt, n, scale=norm * rtol_scale)
        big = np.argmax(np.abs(v[t]), axis=0)                # zgeev: largest component real
        assert np.all(v[t][big, np.arange(n)].imag == 0)
        assert np.all(v[t][big, np.arange(n)].real > 0)
    w2, _ = eig(a, compute_v=0)
    for t in range(a.shape[0]):
        assert_same_multiset(w2[t], w[t], dt, n, norm * rtol_scale)
    return w, v


@pytest.mark.parametrize("dt", CDTYPES + (np.float32, np.float64))
@pytest.mark.parametrize("n", SIZES)
def test_eig_random(n, dt):
    a = (crand((BATCH, n, n), dt) if dt in CDTYPES
         else RNG.standard_normal((BATCH, n, n)).astype(dt))
    check_eig(a, dt, rtol_scale=10 if n == 100 else 1)


@pytest.mark.parametrize("dt", (np.float32, np.float64, np.complex128))
def test_eig_rotation_has_complex_pair(dt):
    th = 0.7
    a = np.array([[[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]]], dt)
    w, v = check_eig(a, dt)
    close(np.sort_complex(w[0]), [np.exp(-1j * th), np.exp(1j * th)], dt)


@pytest.mark.parametrize("dt", (np.float64, np.complex64, np.complex128))
def test_eig_diagonal_and_jordan_block(dt):
    d = np.diag(np.arange(1, 6)).astype(dt)[None]
    w, v = check_eig(d, dt)
    order = np.argsort(w[0].real)
    close(w[0][order], np.arange(1, 6), dt)
    close(np.abs(v[0][:, order]), np.eye(5), dt)             # unit vectors e_i
    jordan = (2 * np.eye(4) + np.eye(4, k=1)).astype(dt)[None]
    w, v = eig(jordan)
    assert np.all(np.isfinite(w)) and np.all(np.isfinite(v))
    close(w[0], np.full(4, 2), dt)
    close(np.abs(v[0]), np.outer(np.eye(4)[0], np.ones(4)), dt, 1, scale=1e2)  # all near e_0
    nilpotent = np.eye(6, k=1).astype(dt)[None]
    w, v = eig(nilpotent)
    assert np.all(w == 0) and np.all(np.isfinite(v))


@pytest.mark.parametrize("dt", (np.float64, np.complex128))
def test_eig_matches_numpy_vectors_for_distinct_eigenvalues(dt):
    a = crand((1, 8, 8), dt) if dt == np.complex128 else RNG.standard_normal((1, 8, 8))
    w, v = eig(np.ascontiguousarray(a.astype(dt)))
    wn, vn = np.linalg.eig(a[0].astype(np.complex128))      # zgeev normalizes the same way
    for j in range(8):
        k = int(np.argmin(np.abs(wn - w[0][j])))
        close(v[0][:, j], vn[:, k], dt, 8, scale=10)


@pytest.mark.parametrize("dt", CDTYPES)
def test_eig_non_finite_is_nan(dt):
    a = crand((2, 3, 3), dt)
    a[1, 0, 2] = np.inf
    w, v = eig(a)
    assert np.all(np.isfinite(w[0])) and np.all(np.isnan(w[1])) and np.all(np.isnan(v[1]))


def test_eig_zero_and_empty():
    w, v = eig(np.zeros((2, 3, 3), np.complex128))
    assert np.all(w == 0)
    close(np.abs(v[0]), np.eye(3), np.complex128)
    z = np.zeros((2, 0, 0), np.float64)
    assert lib.fnx_eig(lib.FNX_FLOAT64, 2, 0, 1, p(z), p(z), p(z)) == 0


def test_unsupported_dtype():
    a = np.zeros((1, 2, 2), np.int32)
    assert lib.fnx_eig(lib.FNX_INT32, 1, 2, 1, p(a), p(a), p(a)) != 0


@pytest.mark.parametrize("dt", CDTYPES)
def test_badly_scaled_and_near_singular_inputs_stay_finite(dt):
    n = 12
    big = 1e15 if dt == np.complex128 else 1e6
    d = np.logspace(-np.log10(big), np.log10(big), n)
    a = (crand((1, n, n), dt) * d[:, None] * d[None, ::-1]).astype(dt)   # graded
    near = (crand((1, n, 1), dt) @ crand((1, 1, n), dt) + 1e-30 * np.eye(n)).astype(dt)
    for x in (a, near):
        x = np.ascontiguousarray(x)
        w, v = eig(x)
        s, u, vt = svd(x, 0)
        h = np.ascontiguousarray((x + ctrans(x)) / 2)
        we, ve = eigh(h)
        q, r = qr(x, 0)
        for out in (w, v, s, u, vt, we, ve, q, r):
            assert np.all(np.isfinite(out))
        close(q @ r, x, dt, n, scale=np.abs(x).max())
        close((u * s[:, None, :]) @ vt, x, dt, n, scale=np.abs(x).max())
        close(h @ ve, ve * we[:, None, :], dt, n, scale=np.abs(h).max())
