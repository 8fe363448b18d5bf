"""The C decomposition kernels (kernels/cpu/lapack.c) through fnx.lax.linalg on the CPU
backend and through jit, against numpy (np.linalg) and first principles: reconstruction,
orthogonality, and the conventions of fnx/lax/linalg.py (LAPACK's pivots, R's signs as numpy,
eigenvalues ascending, singular values descending, NaN for a non-positive-definite Cholesky,
NaN in -> NaN out)."""
import numpy as np
import pytest

import fnx
from fnx.backends import reference_linalg
from fnx.lax import linalg as la

SIZES = (0, 1, 2, 3, 17, 64, 130)     # 130 crosses the kernels' block sizes (32 .. 128)
DTYPES = (np.float32, np.float64)
RNG = np.random.default_rng(1234)


@pytest.fixture(autouse=True, scope="module")
def _cpu_backend():
    old = fnx.config.default_backend
    fnx.config.update("default_backend", "cpu")
    yield
    fnx.config.update("default_backend", old)


def tol(dt, n=1):
    return (2e-4 if dt == np.float32 else 1e-11) * max(n, 1)


def close(got, want, dt, n=1):
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(want, np.float64),
                               atol=tol(dt, n), rtol=tol(dt, n))


def rand(shape, dt):
    return RNG.standard_normal(shape).astype(dt)


def spd(shape, dt):
    a = RNG.standard_normal(shape)
    n = shape[-1]
    return (a @ np.swapaxes(a, -1, -2) / max(n, 1) + np.eye(n)).astype(dt)


def sym_separated(n, dt):
    """A symmetric matrix with eigenvalues 1, 2, ..., n (well separated)."""
    q, _ = np.linalg.qr(RNG.standard_normal((n, n)))
    return ((q * np.arange(1, n + 1)) @ q.T).astype(dt)


# ---- cholesky -------------------------------------------------------------------------------

@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_cholesky_matches_numpy(n, dt):
    a = spd((n, n), dt)
    upper_garbage = a + np.triu(rand((n, n), dt), 1)        # only the lower triangle is read
    got = la.cholesky(upper_garbage, symmetrize_input=False)
    close(got, np.linalg.cholesky(a.astype(np.float64)), dt, n)


@pytest.mark.parametrize("dt", DTYPES)
def test_cholesky_batched_and_not_positive_definite(dt):
    a = spd((4, 2, 9, 9), dt)
    a[1, 0, 4, 4] = -50.0                                   # this one matrix is not PD
    got = np.asarray(la.cholesky(a))
    assert np.isnan(got[1, 0]).all()
    mask = np.ones((4, 2), bool)
    mask[1, 0] = False
    close(got[mask], np.linalg.cholesky(a[mask].astype(np.float64)), dt, 9)
    big = spd((130, 130), dt)
    big[129, 129] = -1.0                                    # the failure in the last block
    assert np.isnan(np.asarray(la.cholesky(big))).all()


# ---- triangular_solve -----------------------------------------------------------------------

def _check_every_triangular_solve(a, b, left, dt):
    """Every lower / upper, transpose, unit-diagonal solve of a against b vs numpy's dense solve
    of the same triangle (in float64)."""
    n = a.shape[-1]
    for lower in (True, False):
        for trans in (False, True):
            for unit in (False, True):
                t = np.tril(a) if lower else np.triu(a)
                if unit:
                    np.fill_diagonal(t, 1)
                op = (t.T if trans else t).astype(np.float64)
                want = (np.linalg.solve(op, b.astype(np.float64)) if left
                        else np.linalg.solve(op.T, b.T.astype(np.float64)).T)
                got = la.triangular_solve(a, b, left_side=left, lower=lower,
                                          transpose_a=trans, unit_diagonal=unit)
                close(got, want, dt, 10 * n)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("n", (1, 3, 17, 130))
@pytest.mark.parametrize("left", (True, False))
def test_triangular_solve_all_cases(n, dt, left):
    # off-diagonal entries of size 1/n keep every triangle (also unit ones) well conditioned
    a = spd((n, n), dt) + (rand((n, n), dt) / n).astype(dt)
    b = rand((n, 5) if left else (5, n), dt)
    _check_every_triangular_solve(a, b, left, dt)


@pytest.mark.parametrize("dt", DTYPES)
def test_triangular_solve_batched_big_rhs_and_zero_diagonal(dt):
    a = spd((3, 70, 70), dt)
    b = rand((3, 70, 90), dt)
    got = la.triangular_solve(a, b, left_side=True, lower=True)
    close(got, np.linalg.solve(np.tril(a).astype(np.float64), b.astype(np.float64)), dt, 100)
    z = np.eye(4, dtype=dt)
    z[2, 2] = 0
    out = np.asarray(la.triangular_solve(z, np.ones((4, 1), dt), left_side=True, lower=True))
    assert not np.isfinite(out[2:]).any() and np.isfinite(out[:2]).all()
    assert la.triangular_solve(np.zeros((0, 0), dt), np.zeros((0, 3), dt),
                               left_side=True).shape == (0, 3)


# ---- lu -------------------------------------------------------------------------------------

def check_lu(x, dt):
    lu, piv, perm = (np.asarray(v) for v in la.lu(x))
    m, n = x.shape[-2:]
    k = min(m, n)
    assert piv.dtype == np.int32 and perm.dtype == np.int32
    assert piv.shape == x.shape[:-2] + (k,) and perm.shape == x.shape[:-2] + (m,)
    for idx in np.ndindex(*x.shape[:-2]):
        l_ = np.tril(lu[idx], -1)[:, :k] + np.eye(m, k)
        u = np.triu(lu[idx])[:k]
        close(l_ @ u, x[idx][perm[idx]], dt, 10 * max(m, n))
        order = np.arange(m)                    # the pivots replayed give the permutation
        for i, p in enumerate(piv[idx]):
            order[[i, p]] = order[[p, i]]
        np.testing.assert_array_equal(order, perm[idx])
        assert np.all(np.abs(l_) <= 1 + 1e-6)   # partial pivoting bounds L
    return lu, piv, perm


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_lu_square_matches_numpy_oracle(n, dt):
    x = rand((n, n), dt)
    lu, piv, perm = check_lu(x, dt)
    ref_lu, ref_piv, ref_perm = reference_linalg.lu(x.astype(np.float64))
    np.testing.assert_array_equal(piv, ref_piv)
    close(lu, ref_lu, dt, 10 * max(n, 1))


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape", [(140, 20), (20, 140), (2, 3, 7, 5), (3, 5, 7), (0, 4), (4, 0)])
def test_lu_tall_wide_batched(shape, dt):
    check_lu(rand(shape, dt), dt)


def test_lu_singular_leaves_zero_pivot():
    x = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]])
    lu, piv, perm = (np.asarray(v) for v in la.lu(x))
    assert np.isfinite(lu).all() and lu[2, 2] == 0.0
    np.testing.assert_allclose((np.tril(lu, -1) + np.eye(3)) @ np.triu(lu), x[perm])


# ---- qr -------------------------------------------------------------------------------------

@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (2, 2), (3, 3), (17, 17), (64, 64),
                                   (130, 130), (140, 40), (40, 140), (3, 7, 5), (2, 5, 7)])
def test_qr_matches_numpy(shape, dt):
    x = rand(shape, dt)
    m = max(shape[-2:])
    for full in (True, False):
        q, r = la.qr(x, full_matrices=full)
        mode = "complete" if full else "reduced"
        qn, rn = np.linalg.qr(x.astype(np.float64), mode=mode)
        close(r, rn, dt, 10 * m)                # same signs as numpy (LAPACK's reflectors)
        close(q, qn, dt, 10 * m)


# ---- eigh -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_eigh_matches_numpy(n, dt):
    a = sym_separated(n, dt)
    for lower in (True, False):
        garbage = np.triu(rand((n, n), dt), 1) if lower else np.tril(rand((n, n), dt), -1)
        v, w = (np.asarray(t) for t in la.eigh(a + garbage, lower=lower,
                                                 symmetrize_input=False))
        close(w, np.linalg.eigvalsh(a.astype(np.float64)), dt, 10 * n)
        assert np.all(np.diff(w) >= 0)
        close(v.T @ v, np.eye(n), dt, 10 * n)
        close((v * w) @ v.T, a, dt, 10 * n)
        if n:   # sign-normalised vectors match numpy's (the spectrum is separated)
            vn = np.linalg.eigh(a.astype(np.float64))[1]
            sgn = np.sign(np.sum(v * vn, axis=0))
            close(v * sgn, vn, dt, 100 * n)


@pytest.mark.parametrize("dt", DTYPES)
def test_eigh_degenerate_inputs(dt):
    for a in (np.zeros((5, 5), dt), np.diag(np.array([3, 1, 2, 1, 3], dt)), np.eye(7, dtype=dt),
              np.ones((6, 6), dt)):
        v, w = (np.asarray(t) for t in la.eigh(a))
        close(w, np.linalg.eigvalsh(a.astype(np.float64)), dt, 10)
        close((v * w) @ v.T, a, dt, 10)
        close(v.T @ v, np.eye(len(a)), dt, 10)
    batch = np.stack([sym_separated(6, dt) for _ in range(5)]).reshape(5, 1, 6, 6)
    close(la.eigh(batch)[1], np.linalg.eigvalsh(batch.astype(np.float64)), dt, 60)


# ---- svd ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (2, 2), (3, 3), (17, 17), (64, 64),
                                   (130, 130), (140, 40), (40, 140), (0, 3), (3, 0),
                                   (4, 3, 5), (2, 6, 4)])
def test_svd_matches_numpy(shape, dt):
    x = rand(shape, dt)
    m, n = shape[-2:]
    k = min(m, n)
    size = max(m, n, 1)
    s_ref = np.linalg.svd(x.astype(np.float64), compute_uv=False)
    s_only = la.svd(x, compute_uv=False)
    close(s_only, s_ref, dt, 10 * size)
    for full in (True, False):
        u, s, vt = (np.asarray(t) for t in la.svd(x, full_matrices=full))
        close(s, s_ref, dt, 10 * size)
        assert np.all(np.diff(s, axis=-1) <= 0) and np.all(s >= 0)
        assert u.shape == x.shape[:-2] + (m, m if full else k)
        assert vt.shape == x.shape[:-2] + (n if full else k, n)
        rec = (u[..., :, :k] * s[..., None, :]) @ vt[..., :k, :]
        close(rec, x, dt, 10 * size)
        close(np.swapaxes(u, -1, -2) @ u, np.broadcast_to(np.eye(u.shape[-1]), u.shape[:-2] +
                                                          (u.shape[-1],) * 2), dt, 10 * size)
        close(vt @ np.swapaxes(vt, -1, -2), np.broadcast_to(
            np.eye(vt.shape[-2]), vt.shape[:-2] + (vt.shape[-2],) * 2), dt, 10 * size)


@pytest.mark.parametrize("dt", DTYPES)
def test_svd_rank_deficient(dt):
    for x in (np.zeros((5, 4), dt), np.ones((4, 6), dt), np.diag(np.array([0, 3, 0, 1], dt))):
        u, s, vt = (np.asarray(t) for t in la.svd(x))
        close(s, np.linalg.svd(x.astype(np.float64), compute_uv=False), dt, 10)
        k = min(x.shape)
        close((u[:, :k] * s) @ vt[:k], x, dt, 10)
        close(u.T @ u, np.eye(u.shape[1]), dt, 10)
        close(vt @ vt.T, np.eye(vt.shape[0]), dt, 10)


def _spectrum_cases(n):
    """Eigen / singular value sets that stress the iterations: clusters, repeats, grading."""
    k = np.arange(n)
    return {
        "clustered": 1 + 1e-7 * RNG.standard_normal(n) * (k % 3 == 0) + (k >= n // 2),
        "repeated": np.repeat([-2.0, 0.5, 3.0], -(-n // 3))[:n],
        "graded": 10.0 ** (-12 * k / max(n - 1, 1)),
    }


def _rel_close(got, want, dt, n):
    scale = max(np.abs(want).max(), 1e-300)
    close(np.asarray(got, np.float64) / scale, np.asarray(want, np.float64) / scale, dt, n)


# 300 / 400: several column blocks (64) of the rotation kernel, flushes of its buffer (16384
# rotations), the threaded tridiagonalisation pass (rows >= 362) and a padded row stride
@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("n", (70, 300, 400))
@pytest.mark.parametrize("case", ("clustered", "repeated", "graded"))
def test_eigh_hard_spectra(case, n, dt):
    w0 = _spectrum_cases(n)[case]
    q, _ = np.linalg.qr(RNG.standard_normal((n, n)))
    a = ((q * w0) @ q.T).astype(dt)
    v, w = (np.asarray(t, np.float64) for t in la.eigh(a))
    _rel_close(w, np.linalg.eigvalsh(a.astype(np.float64)), dt, 10 * n)
    close(v.T @ v, np.eye(n), dt, 10 * n)
    _rel_close((v * w) @ v.T, a, dt, 10 * n)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape", ((300, 300), (310, 290), (290, 310)))
@pytest.mark.parametrize("case", ("clustered", "repeated", "graded"))
def test_svd_hard_spectra(case, shape, dt):
    m, n = shape
    k = min(m, n)
    s0 = np.abs(_spectrum_cases(k)[case])
    u0, _ = np.linalg.qr(RNG.standard_normal((m, k)))
    v0, _ = np.linalg.qr(RNG.standard_normal((n, k)))
    x = ((u0 * s0) @ v0.T).astype(dt)
    u, s, vt = (np.asarray(t, np.float64) for t in la.svd(x, full_matrices=False))
    _rel_close(s, np.linalg.svd(x.astype(np.float64), compute_uv=False), dt, 10 * k)
    close(u.T @ u, np.eye(k), dt, 10 * k)
    close(vt @ vt.T, np.eye(k), dt, 10 * k)
    _rel_close((u * s) @ vt, x, dt, 10 * k)


@pytest.mark.parametrize("dt", DTYPES)
def test_eigh_svd_batched_one_thread_per_matrix(dt):
    """A batch of mid-sized matrices runs one per thread (nt = 1 inside the kernels)."""
    a = np.stack([sym_separated(40, dt) for _ in range(6)])
    v, w = (np.asarray(t, np.float64) for t in la.eigh(a))
    close(w, np.linalg.eigvalsh(a.astype(np.float64)), dt, 400)
    close((v * w[:, None, :]) @ np.swapaxes(v, -1, -2), a, dt, 400)
    x = rand((6, 45, 40), dt)
    u, s, vt = (np.asarray(t, np.float64) for t in la.svd(x, full_matrices=False))
    close(s, np.linalg.svd(x.astype(np.float64), compute_uv=False), dt, 450)
    close((u * s[:, None, :]) @ vt, x, dt, 450)


# ---- non-finite input: NaN out, never a hang ---------------------------------------------------

@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("bad", (np.nan, np.inf))
def test_non_finite_input_gives_nan(dt, bad):
    for n in (3, 70):
        x = spd((n, n), dt)
        x[1, 0] = x[0, 1] = bad
        assert np.isnan(np.asarray(la.eigh(x)[1])).all()
        assert np.isnan(np.asarray(la.svd(x, compute_uv=False))).all()
        u, s, vt = la.svd(x)
        assert np.isnan(np.asarray(u)).all() and np.isnan(np.asarray(vt)).all()
        if bad != bad:   # NaN propagates through the factorizations
            assert np.isnan(np.asarray(la.cholesky(x))).all()
            assert np.isnan(np.asarray(la.qr(x)[1])).any()
            assert np.isnan(np.asarray(la.lu(x)[0])).any()


# ---- jit: one kernel call each, same values as eager ------------------------------------------

JIT_CASES = {
    "cholesky": (lambda x: la.cholesky(x), lambda: (spd((3, 6, 6), np.float64),)),
    "triangular_solve": (lambda a, b: la.triangular_solve(a, b, left_side=False, lower=False,
                                                          transpose_a=True),
                         lambda: (spd((2, 5, 5), np.float32), rand((2, 4, 5), np.float32))),
    "lu": (lambda x: la.lu(x), lambda: (rand((2, 7, 5), np.float64),)),
    "qr": (lambda x: la.qr(x, full_matrices=False), lambda: (rand((3, 4, 6), np.float32),)),
    "eigh": (lambda x: la.eigh(x), lambda: (sym_separated(6, np.float64),)),
    "svd": (lambda x: la.svd(x, full_matrices=True), lambda: (rand((2, 6, 4), np.float64),)),
    "svd_values": (lambda x: la.svd(x + 1.0, compute_uv=False),
                   lambda: (rand((5, 3), np.float64),)),
}


@pytest.mark.parametrize("name", sorted(JIT_CASES))
def test_jit_library_call_matches_eager(name):
    f, make = JIT_CASES[name]
    args = make()
    kernel = "fnx_svd" if name.startswith("svd") else f"fnx_{name}"
    assert f"&{kernel})" in fnx.jit(f).lower(*args).as_c()
    eager, jitted = fnx.tree.leaves(f(*args)), fnx.tree.leaves(fnx.jit(f)(*args))
    assert len(eager) == len(jitted)
    for e, j in zip(eager, jitted):
        assert e.dtype == j.dtype and e.shape == j.shape
        np.testing.assert_array_equal(np.asarray(e), np.asarray(j))


# ---- the small-matrix paths (kernels/cpu/lapack_small_tmpl.h: n <= 64) and their boundary ----

@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("n", (31, 32, 33, 63, 64, 65))
def test_small_path_boundary_cholesky_lu(n, dt):
    a = spd((2, n, n), dt)
    close(la.cholesky(a, symmetrize_input=False), np.linalg.cholesky(a.astype(np.float64)),
          dt, n)
    bad = a.copy()
    bad[1, n // 2, n // 2] = -1e3                     # not positive definite: all NaN
    got = np.asarray(la.cholesky(bad, symmetrize_input=False))
    assert np.isfinite(got[0]).all() and np.isnan(got[1]).all()
    check_lu(rand((2, n, n), dt), dt)
    check_lu(rand((n, n - 7), dt), dt)                # tall and wide at the boundary
    check_lu(rand((n - 7, n), dt), dt)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("n", (63, 64, 65))
@pytest.mark.parametrize("left", (True, False))
@pytest.mark.parametrize("ncols", (1, 9, 257))   # 64 x 257 > L_SMALL_RHS: the blocked path
def test_small_path_boundary_triangular_solve(n, dt, left, ncols):
    a = spd((n, n), dt) + (rand((n, n), dt) / n).astype(dt)
    b = rand((n, ncols) if left else (ncols, n), dt)
    _check_every_triangular_solve(a, b, left, dt)


def test_small_path_lu_zero_pivot_and_lapack_pivots():
    a = np.array([[0., 2., 1.], [0., 1., 3.], [0., 4., 5.]])   # column 0 all zero
    lu, piv, perm = (np.asarray(v) for v in la.lu(a))
    assert piv.tolist() == [0, 2, 2] and perm.tolist() == [0, 2, 1]
    assert np.isfinite(lu).all()
    np.testing.assert_allclose((np.tril(lu, -1) + np.eye(3)) @ np.triu(lu), a[perm])
