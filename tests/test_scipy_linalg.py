"""fnx.scipy.linalg with SciPy's conventions (SciPy is not installed: references are numpy and
first principles): triangular / Cholesky / LU solves against np.linalg.solve, factorizations by
reconstruction, expm against a float64 Taylor series and the eigendecomposition of a symmetric
matrix, block_diag by construction; gradients, vmap, jit and errors."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
import fnx.scipy.linalg as sl
from fnx.errors import FnxError
from fnx.test_util import check_grads

RNG = np.random.default_rng(0)


def well_conditioned(*shape, rng=RNG):
    *batch, m, n = shape
    return rng.uniform(-1, 1, shape) + (max(m, n) + 1) * np.eye(m, n)


def spd(*shape, rng=RNG):
    x = rng.uniform(-1, 1, shape)
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


def close(got, want, rtol=1e-10, atol=1e-12):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def mT(x):
    return np.swapaxes(x, -1, -2)


B_SHAPES = [(3, 4), (3, 4, 2), (1, 4, 2)]   # one vector per matrix; matrices; broadcast


@pytest.mark.parametrize("b_shape", B_SHAPES, ids=str)
@pytest.mark.parametrize("trans", [0, 1, 2, "N", "T"])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("unit", [False, True])
def test_solve_triangular(b_shape, trans, lower, unit):
    a = well_conditioned(3, 4, 4)
    tri = np.tril(a) if lower else np.triu(a)
    if unit:
        tri = tri * (1 - np.eye(4)) + np.eye(4)
    op = mT(tri) if trans in (1, 2, "T") else tri
    b = RNG.normal(size=b_shape)
    if len(b_shape) == 2:      # b has one axis fewer than a: vectors
        want = np.linalg.solve(op, b[..., None])[..., 0]
    else:
        want = np.linalg.solve(op, b)
    # the other triangle (and a unit diagonal) is never read
    other = np.triu(np.ones((4, 4)), 1) if lower else np.tril(np.ones((4, 4)), -1)
    garbage = tri + 100 * other + (7 * np.eye(4) if unit else 0)
    got = sl.solve_triangular(garbage, b, trans=trans, lower=lower, unit_diagonal=unit)
    close(got, want, rtol=1e-9)


def test_solve_triangular_vector_2d():
    a = np.tril(well_conditioned(4, 4))
    b = RNG.normal(size=4)
    close(sl.solve_triangular(a, b, lower=True), np.linalg.solve(a, b))


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("b_shape", [(4,), (4, 3)], ids=str)
def test_cho_factor_and_solve(lower, b_shape):
    a = spd(4, 4)
    c, low = sl.cho_factor(a, lower=lower)
    assert low is lower
    c = np.asarray(c)
    close(c @ c.T if lower else c.T @ c, a)
    close(c, np.tril(c) if lower else np.triu(c))
    b = RNG.normal(size=b_shape)
    close(sl.cho_solve((c, lower), b), np.linalg.solve(a, b))


@pytest.mark.parametrize("trans", [0, 1, 2])
@pytest.mark.parametrize("b_shape", [(4,), (4, 3)], ids=str)
def test_lu_factor_and_solve(trans, b_shape):
    a = RNG.normal(size=(4, 4))
    lu, piv = sl.lu_factor(a)
    assert piv.dtype == np.int32 and piv.shape == (4,)
    # reconstruction: apply the row swaps to a, compare with L U
    lu_np, p = np.asarray(lu), np.asarray(piv)
    swapped = a.copy()
    for i, j in enumerate(p):
        swapped[[i, j]] = swapped[[j, i]]
    low = np.tril(lu_np, -1) + np.eye(4)
    close(low @ np.triu(lu_np), swapped)
    b = RNG.normal(size=b_shape)
    want = np.linalg.solve(a if trans == 0 else a.T, b)
    close(sl.lu_solve((lu, piv), b, trans=trans), want, rtol=1e-9)
    close(fnx.jit(lambda l_, p_, b_: sl.lu_solve((l_, p_), b_, trans=trans))(lu, piv, b), want,
          rtol=1e-9)


def test_lu_solve_batched_under_vmap():
    a = RNG.normal(size=(3, 4, 4))
    b = RNG.normal(size=(3, 4))
    lu, piv = sl.lu_factor(a)
    got = fnx.vmap(lambda l_, p_, b_: sl.lu_solve((l_, p_), b_))(lu, piv, b)
    close(got, np.stack([np.linalg.solve(x, y) for x, y in zip(a, b)]), rtol=1e-9)
    close(sl.lu_solve((lu, piv), b[..., None])[..., 0], np.asarray(got), rtol=1e-9)


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 4, 3), (1, 1)], ids=str)
def test_lu_reconstructs(shape):
    a = RNG.normal(size=shape)
    p, low, up = sl.lu(a)
    m, n = shape[-2:]
    k = min(m, n)
    assert p.shape[-2:] == (m, m) and low.shape[-2:] == (m, k) and up.shape[-2:] == (k, n)
    close(np.asarray(p) @ np.asarray(low) @ np.asarray(up), a)
    close(np.asarray(low), np.tril(low))
    close(np.diagonal(low, axis1=-2, axis2=-1), np.ones(shape[:-2] + (k,)))
    close(np.asarray(up), np.triu(up))
    close(mT(np.asarray(p)) @ np.asarray(p), np.broadcast_to(np.eye(m), shape[:-2] + (m, m)))
    pl, up2 = sl.lu(a, permute_l=True)
    close(np.asarray(pl) @ np.asarray(up2), a)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4)], ids=str)
def test_qr_modes(shape):
    a = RNG.normal(size=shape)
    m, n = shape
    k = min(m, n)
    q, r = sl.qr(a)
    assert q.shape == (m, m) and r.shape == (m, n)
    close(np.asarray(q) @ np.asarray(r), a)
    q, r = sl.qr(a, mode="economic")
    assert q.shape == (m, k) and r.shape == (k, n)
    close(np.asarray(q) @ np.asarray(r), a)
    (r_only,) = sl.qr(a, mode="r")
    assert r_only.shape == (m, n)
    close(np.abs(r_only), np.abs(np.linalg.qr(a, mode="complete")[1]))


def test_eigh_svd_det_inv_solve():
    h = spd(4, 4)
    w, v = sl.eigh(h)
    close(h @ np.asarray(v), np.asarray(v) * np.asarray(w))
    close(sl.eigh(h, eigvals_only=True), np.linalg.eigvalsh(h))
    close(sl.eigh(np.tril(h), lower=True, eigvals_only=True), np.linalg.eigvalsh(h))
    close(sl.eigh(np.triu(h), lower=False, eigvals_only=True), np.linalg.eigvalsh(h))
    w2, v2 = sl.eigh(h, subset_by_index=(1, 2))
    close(w2, np.linalg.eigvalsh(h)[1:3])
    assert v2.shape == (4, 2)
    a = RNG.normal(size=(5, 3))
    u, s, vh = sl.svd(a)
    assert u.shape == (5, 5) and vh.shape == (3, 3)
    close(np.asarray(u)[:, :3] * np.asarray(s) @ np.asarray(vh), a)
    close(sl.svd(a, compute_uv=False), np.linalg.svd(a, compute_uv=False))
    sq = well_conditioned(3, 3)
    close(sl.det(sq), np.linalg.det(sq))
    close(sl.inv(sq), np.linalg.inv(sq))
    b = RNG.normal(size=3)
    close(sl.solve(sq, b), np.linalg.solve(sq, b))
    close(sl.solve(sq, b, transposed=True), np.linalg.solve(sq.T, b))
    p = spd(3, 3)
    close(sl.solve(np.tril(p), b, assume_a="pos", lower=True), np.linalg.solve(p, b))
    close(sl.solve(np.triu(p), b, assume_a="pos"), np.linalg.solve(p, b))
    close(sl.cho_factor(np.tril(p), lower=True)[0], np.linalg.cholesky(p))


# ---------------------------------------------------------------------------------------------
# expm
# ---------------------------------------------------------------------------------------------

def expm_taylor(a):
    """exp(a) in float64: Taylor series of a / 2^8 (converges fast), squared 8 times."""
    x = a / 256.0
    out = term = np.eye(a.shape[-1])
    for k in range(1, 30):
        term = term @ x / k
        out = out + term
    for _ in range(8):
        out = out @ out
    return out


@pytest.mark.parametrize("scale", [0.0, 1e-3, 0.3, 2.0, 10.0, 40.0])
def test_expm_matches_taylor_series(scale):
    a = scale * RNG.normal(size=(4, 4)) / 2
    want = expm_taylor(a)
    got = np.asarray(sl.expm(a))
    np.testing.assert_allclose(got, want, rtol=1e-11 * max(1.0, scale), atol=1e-12 *
                               np.abs(want).max())


def test_expm_of_symmetric_matches_eigendecomposition():
    h = spd(5, 5) / 3 - 2 * np.eye(5)
    w, v = np.linalg.eigh(h)
    close(sl.expm(h), (v * np.exp(w)) @ v.T, rtol=1e-11)
    close(sl.expm(h.astype(np.float32)), (v * np.exp(w)) @ v.T, rtol=2e-5, atol=1e-5)
    assert sl.expm(h.astype(np.float32)).dtype == np.float32


def test_expm_identities():
    a = RNG.normal(size=(3, 3))
    close(np.asarray(sl.expm(a)) @ np.asarray(sl.expm(-a)), np.eye(3), rtol=1e-12, atol=1e-12)
    d = np.diag([1.0, -2.0, 0.5])
    close(sl.expm(d), np.diag(np.exp([1.0, -2.0, 0.5])))
    nil = np.triu(RNG.normal(size=(3, 3)), 1)   # nilpotent: exp = I + N + N^2 / 2
    close(sl.expm(nil), np.eye(3) + nil + nil @ nil / 2)
    assert sl.expm(np.zeros((0, 0))).shape == (0, 0)
    close(sl.expm(np.array([[2]])), [[np.exp(2.0)]], rtol=1e-6)   # int -> float32


def test_expm_batched_vmap_jit_agree():
    a = RNG.normal(size=(3, 4, 4)) * np.array([0.01, 1.0, 20.0])[:, None, None]
    want = np.stack([expm_taylor(x) for x in a])
    rel = lambda g: np.abs(np.asarray(g) - want).max() / np.abs(want).max()  # noqa: E731
    assert rel(sl.expm(a)) < 1e-12
    assert rel(fnx.jit(sl.expm)(a)) < 1e-12
    assert rel(fnx.vmap(sl.expm)(a)) < 1e-12


def test_expm_grad_matches_finite_differences():
    a = fnp.asarray(RNG.normal(size=(3, 3)) * 0.7)
    check_grads(sl.expm, (a,), order=1)
    big = fnp.asarray(RNG.normal(size=(3, 3)) * 6.0)   # several squarings
    check_grads(sl.expm, (big,), order=1, modes=("rev",))


# ---------------------------------------------------------------------------------------------
# block_diag
# ---------------------------------------------------------------------------------------------

def test_block_diag_builds_the_block_matrix():
    a = RNG.normal(size=(2, 2))
    b = np.array([[1, 2, 3]], np.int32)
    # a (0, 2) block takes two columns and no row, a (2, 0) block two rows and no column
    got = sl.block_diag(a, 5, [6.0, 7.0], b, np.zeros((0, 2)), np.ones((2, 0)))
    want = np.zeros((7, 10))
    want[:2, :2] = a
    want[2, 2] = 5
    want[3, 3:5] = [6, 7]
    want[4, 5:8] = [1, 2, 3]
    close(got, want)
    assert got.dtype == np.float64
    assert sl.block_diag().shape == (1, 0)
    assert sl.block_diag(np.ones((2, 2), np.int32)).dtype == np.int32
    g = fnx.grad(lambda x, y: fnp.sum(sl.block_diag(x, y) ** 2))(fnp.asarray(a), fnp.ones((1, 2)))
    close(g, 2 * a)


# ---------------------------------------------------------------------------------------------
# Gradients, errors
# ---------------------------------------------------------------------------------------------

def test_solver_grads():
    a = fnp.asarray(well_conditioned(3, 3))
    b = fnp.asarray(RNG.normal(size=(3, 2)))
    check_grads(lambda x, y: sl.solve_triangular(x, y, lower=True), (a, b), order=1)
    check_grads(lambda x, y: sl.solve_triangular(x, y, trans=1), (a, b), order=1)
    c = sl.cho_factor(spd(3, 3))
    check_grads(lambda y: sl.cho_solve(c, y), (b,), order=1)
    lu_piv = sl.lu_factor(a)
    check_grads(lambda y: sl.lu_solve(lu_piv, y, trans=1), (b,), order=1)
    check_grads(lambda x, y: sl.solve(x, y), (a, b), order=1)


def test_factorization_grads():
    """Needs the JVP rules of fnx.lax.linalg's cholesky and lu."""
    p = fnp.asarray(spd(3, 3))
    check_grads(lambda x: sl.cho_factor(x @ x.T, lower=True)[0], (p,), order=1)
    check_grads(lambda x: sl.lu(x)[2], (fnp.asarray(well_conditioned(3, 3)),), order=1)


@pytest.mark.parametrize("call, match", [
    (lambda: sl.solve_triangular(np.eye(3), np.ones(2)), r"solve_triangular: .*\(3, 3\).*\(2,\)"),
    (lambda: sl.solve_triangular(np.ones((2, 3)), np.ones(2)), r"solve_triangular: .*square"),
    (lambda: sl.solve_triangular(np.eye(2), np.ones(2), trans=3), r"solve_triangular: trans"),
    (lambda: sl.cho_solve((np.eye(2), True), np.ones(3)), r"cho_solve: .*\(2, 2\).*\(3,\)"),
    (lambda: sl.lu_solve((np.eye(2), np.zeros(3, np.int32)), np.ones(2)), r"lu_solve: piv"),
    (lambda: sl.qr(np.eye(2), mode="raw"), r"qr: unsupported mode"),
    (lambda: sl.eigh(np.eye(2), subset_by_index=(1, 5)), r"eigh: subset_by_index"),
    (lambda: sl.expm(np.ones((2, 3))), r"expm: .*square.*\(2, 3\)"),
    (lambda: sl.block_diag(np.ones((2, 2, 2))), r"block_diag: .*\(2, 2, 2\)"),
    (lambda: sl.solve(np.eye(2), np.ones(2), assume_a="banded"), r"solve: assume_a"),
])
def test_bad_input_raises_clear_fnx_errors(call, match):
    with pytest.raises(FnxError, match=match):
        call()
