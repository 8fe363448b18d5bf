"""Complex linear algebra (issue 19): fnx.lax.linalg's decompositions and eig, fnx.numpy.linalg
and fnx.scipy.linalg on complex64 / complex128 operands, against numpy / scipy and first
principles (reconstructions, unitarity); derivatives by check_grads (finite differences, and
reverse mode against forward mode) on functions that do not depend on the arbitrary phases of
eigen / singular vectors, complex-linearity of the derivatives of the holomorphic functions
(det, solve, inv, lu); eig / eigvals on real and complex input; vmap against a loop and jit
against eager.  Runs on whatever backend FNX_BACKEND selects.
"""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
import fnx.scipy.linalg
from fnx.lax import linalg as la
from fnx.test_util import check_grads

L = fnp.linalg
CDTYPES = [np.complex64, np.complex128]
C128 = np.complex128


def tol(dtype):
    return 2e-4 if np.dtype(dtype) in (np.complex64, np.float32) else 1e-10


def close(got, want, dtype=C128, scale=1.0):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=tol(dtype), atol=tol(dtype) * scale)


def crandn(rng, *shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def mh(x):
    return np.conj(np.swapaxes(x, -1, -2))


def well_conditioned(rng, *shape, dtype=C128):
    """Complex (..., m, n) with a dominant diagonal: singular values about max(m, n) + 1."""
    *_, m, n = shape
    return (crandn(rng, *shape) * 0.5 + (max(m, n) + 1) * np.eye(m, n)).astype(dtype)


def hpd(rng, *shape, dtype=C128):
    """Hermitian positive definite (..., n, n)."""
    x = crandn(rng, *shape)
    return (x @ mh(x) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def hermitian_separated(rng, n, dtype=C128):
    """Hermitian with eigenvalues 1..n in a random unitary basis."""
    q, _ = np.linalg.qr(crandn(rng, n, n))
    return ((q * np.arange(1.0, n + 1)) @ mh(q)).astype(dtype)


# ---------------------------------------------------------------------------------------------
# fnx.lax.linalg values
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", CDTYPES)
def test_lax_decompositions_match_numpy(dtype):
    rng = np.random.default_rng(0)
    real = np.float32 if dtype == np.complex64 else np.float64
    a = hpd(rng, 2, 4, 4, dtype=dtype)
    chol = la.cholesky(fnp.asarray(a))
    assert chol.dtype == dtype
    close(chol, np.linalg.cholesky(a.astype(C128)), dtype, 10)

    v, w = la.eigh(fnp.asarray(a))
    assert w.dtype == real and v.dtype == dtype
    close(w, np.linalg.eigvalsh(a.astype(C128)), dtype, 10)
    v = np.asarray(v, C128)
    close(mh(v) @ a @ v, np.apply_along_axis(np.diag, -1, np.asarray(w, C128)), dtype, 10)

    x = well_conditioned(rng, 2, 5, 3, dtype=dtype)
    u, s, vt = la.svd(fnp.asarray(x), full_matrices=False)
    assert s.dtype == real
    close(s, np.linalg.svd(x.astype(C128), compute_uv=False), dtype, 10)
    close((np.asarray(u) * np.asarray(s)[..., None, :]) @ np.asarray(vt), x, dtype, 10)

    q, r = la.qr(fnp.asarray(x), full_matrices=True)
    q, r = np.asarray(q, C128), np.asarray(r, C128)
    close(q @ r, x, dtype, 10)
    close(mh(q) @ q, np.broadcast_to(np.eye(5), q.shape), dtype)
    close(np.abs(r), np.abs(np.linalg.qr(x.astype(C128), mode="complete")[1]), dtype, 10)
    assert np.all(np.tril(r, -1) == 0)

    lu_, piv, perm = la.lu(fnp.asarray(x))
    lu_ = np.asarray(lu_, C128)
    low, up = np.tril(lu_, -1)[..., :, :3] + np.eye(5, 3), np.triu(lu_)[..., :3, :]
    close(low @ up, np.take_along_axis(x, np.asarray(perm)[..., None], axis=-2), dtype, 10)
    assert np.all(np.abs(low.real) + np.abs(low.imag) <= 1 + 1e-6)  # |re| + |im| pivoting


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("left_side", [True, False])
@pytest.mark.parametrize("transpose_a, conjugate_a", [(False, False), (True, False),
                                                      (False, True), (True, True)])
def test_triangular_solve_every_op(dtype, left_side, transpose_a, conjugate_a):
    rng = np.random.default_rng(1)
    a = (np.tril(crandn(rng, 2, 4, 4)) * 0.3 + 2 * np.eye(4)).astype(dtype)
    b = crandn(rng, *((2, 4, 3) if left_side else (2, 3, 4))).astype(dtype)
    x = la.triangular_solve(fnp.asarray(a), fnp.asarray(b), left_side=left_side, lower=True,
                            transpose_a=transpose_a, conjugate_a=conjugate_a)
    op = np.swapaxes(a, -1, -2) if transpose_a else a
    op = np.conj(op) if conjugate_a else op
    x = np.asarray(x, C128)
    close(op @ x if left_side else x @ op, b, dtype, 10)


def test_conjugate_a_is_ignored_for_real_matrices():
    a = np.tril(np.random.default_rng(2).uniform(-1, 1, (3, 3))) + 2 * np.eye(3)
    b = np.ones((3, 2))
    x = la.triangular_solve(fnp.asarray(a), fnp.asarray(b), left_side=True, lower=True,
                            transpose_a=True, conjugate_a=True)
    close(x, np.linalg.solve(a.T, b))
    jaxpr = str(fnx.make_jaxpr(lambda a: la.triangular_solve(
        a, fnp.asarray(b), left_side=True, lower=True, transpose_a=True,
        conjugate_a=True))(fnp.asarray(a)))
    assert "conjugate_a=False" in jaxpr


# ---------------------------------------------------------------------------------------------
# eig
# ---------------------------------------------------------------------------------------------

def matched(got, want):
    """``got`` (n,) reordered to ``want``'s order, each entry the nearest unused one
    (eigenvalues come in no particular order; conjugate pairs differ only in rounding)."""
    got, order = list(np.asarray(got, C128)), []
    for w in np.asarray(want):
        i = int(np.argmin([abs(g - w) for g in got]))
        order.append(got.pop(i))
    return np.array(order)


@pytest.mark.parametrize("dtype", [np.float32, np.float64] + CDTYPES)
def test_eig_matches_numpy(dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 5))
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal((2, 5, 5))
    x = x.astype(dtype)
    w, v = la.eig(fnp.asarray(x))
    out = np.result_type(dtype, np.complex64)
    assert w.dtype == out and v.dtype == out
    want = np.linalg.eigvals(x.astype(C128))
    for i in range(2):
        close(matched(w[i], want[i]), want[i], dtype, 10)
    v, w = np.asarray(v, C128), np.asarray(w, C128)
    close(x @ v, v * w[..., None, :], dtype, 10)
    close(np.linalg.norm(v, axis=-2), np.ones((2, 5)), dtype)
    top = np.take_along_axis(v, np.argmax(np.abs(v), axis=-2)[..., None, :], axis=-2)
    assert np.all(np.abs(top.imag) <= 10 * tol(dtype)) and np.all(top.real > 0)


def test_eig_of_a_rotation_is_complex_and_numpy_eig_eigvals_agree():
    rot = [[0.0, -1.0], [1.0, 0.0]]
    w = L.eigvals(rot)
    assert w.dtype == np.complex64       # float32 default: complex64, as JAX
    close(matched(w, [-1j, 1j]), np.array([-1j, 1j]), np.complex64)
    diag = np.diag([1.0, 2.0])           # real eigenvalues: still complex (JAX's rule)
    res = L.eig(fnp.asarray(diag))
    assert res.eigenvalues.dtype == np.complex128
    close(matched(res.eigenvalues, [1.0, 2.0]), np.array([1.0, 2.0]))
    close(np.abs(np.asarray(res.eigenvectors)), np.eye(2))


def test_eig_left_eigenvectors_are_not_implemented():
    with pytest.raises(NotImplementedError, match="left eigenvectors"):
        la.eig(fnp.eye(2), compute_left_eigenvectors=True)


def test_eig_vmap_and_jit_match_a_loop():
    rng = np.random.default_rng(4)
    xs = crandn(rng, 3, 4, 4)
    fn = lambda a: la.eig(a)  # noqa: E731
    w_b, v_b = fnx.vmap(fn)(fnp.asarray(xs))
    w_j, v_j = fnx.jit(fn)(fnp.asarray(xs))
    for i in range(3):
        w_i, v_i = fn(fnp.asarray(xs[i]))
        close(w_b[i], w_i)
        close(v_b[i], v_i)
        close(w_j[i], w_i)
        close(v_j[i], v_i)


# ---------------------------------------------------------------------------------------------
# fnx.numpy.linalg and fnx.scipy.linalg values
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", CDTYPES)
def test_numpy_linalg_matches_numpy(dtype):
    rng = np.random.default_rng(5)
    a = well_conditioned(rng, 2, 4, 4, dtype=dtype)
    b = crandn(rng, 2, 4, 2).astype(dtype)
    a128 = a.astype(C128)
    for got, want in [(L.solve(a, b), np.linalg.solve(a128, b.astype(C128))),
                      (L.inv(a), np.linalg.inv(a128)),
                      (L.det(a), np.linalg.det(a128)),
                      (L.matrix_power(a, 3), np.linalg.matrix_power(a128, 3)),
                      (L.matrix_power(a, -2), np.linalg.matrix_power(a128, -2))]:
        assert got.dtype == dtype
        close(got, want, dtype, np.abs(want).max())
    sign, logabs = L.slogdet(a)
    want_sign, want_logabs = np.linalg.slogdet(a128)
    assert sign.dtype == dtype and logabs.dtype == np.finfo(dtype).dtype
    close(sign, want_sign, dtype)
    close(logabs, want_logabs, dtype, 10)

    h = hpd(rng, 2, 4, 4, dtype=dtype)
    close(L.cholesky(h, upper=True), mh(np.linalg.cholesky(h.astype(C128))), dtype, 10)
    for uplo in ("L", "U"):   # the other triangle is junk, not read without symmetrize_input
        junk = h + (np.triu(crandn(rng, 4, 4), 1) if uplo == "L" else
                    np.tril(crandn(rng, 4, 4), -1)).astype(dtype)
        close(L.eigh(junk, UPLO=uplo, symmetrize_input=False).eigenvalues,
              np.linalg.eigvalsh(junk.astype(C128), UPLO=uplo), dtype, 10)
        close(L.eigvalsh(h, UPLO=uplo), np.linalg.eigvalsh(h.astype(C128), UPLO=uplo), dtype,
              10)
    x = well_conditioned(rng, 5, 3, dtype=dtype)
    x128 = x.astype(C128)
    s = L.svdvals(x)
    assert s.dtype == np.finfo(dtype).dtype
    close(s, np.linalg.svd(x128, compute_uv=False), dtype, 10)
    close(L.pinv(x), np.linalg.pinv(x128), dtype)
    assert int(L.matrix_rank(x)) == 3
    assert int(L.matrix_rank(x128 @ mh(x128))) == 3
    for ord_ in (None, "fro", "nuc", 2, -2, 1, -1, np.inf):
        n = L.norm(x, ord_)
        assert n.dtype == np.finfo(dtype).dtype, ord_
        close(n, np.linalg.norm(x128, ord_), dtype, 10)
    for ord_ in (None, 1, np.inf, 0, 3):
        close(L.norm(x[:, 0], ord_), np.linalg.norm(x128[:, 0], ord_), dtype, 10)
    bb = crandn(rng, 5, 2).astype(dtype)
    sol, resid, rank, sv = L.lstsq(x, bb)
    want = np.linalg.lstsq(x128, bb.astype(C128), rcond=None)
    close(sol, want[0], dtype, 10)
    close(resid, want[1], dtype, 10)
    assert resid.dtype == np.finfo(dtype).dtype and int(rank) == 3


@pytest.mark.parametrize("dtype", CDTYPES)
def test_numpy_qr_eigh_svd_reconstruct(dtype):
    rng = np.random.default_rng(6)
    x = well_conditioned(rng, 3, 5, 4, dtype=dtype)
    q, r = L.qr(x)
    close(np.asarray(q) @ np.asarray(r), x, dtype, 10)
    h = hermitian_separated(rng, 4, dtype)
    w, v = L.eigh(h)
    v = np.asarray(v, C128)
    close((v * np.asarray(w)) @ mh(v), h, dtype, 10)
    u, s, vh = L.svd(x, full_matrices=False)
    close((np.asarray(u) * np.asarray(s)[..., None, :]) @ np.asarray(vh), x, dtype, 10)
    u, s, vh = L.svd(h, hermitian=True)
    close(s, np.linalg.svd(h.astype(C128), compute_uv=False), dtype, 10)
    close((np.asarray(u) * np.asarray(s)) @ np.asarray(vh), h, dtype, 10)


def _op(a, trans):
    """scipy's trans: 0 a, 1 a^T, 2 / "C" a^H."""
    return a if trans == 0 else a.T if trans == 1 else a.conj().T


def _expm_series(a, terms=40):
    out, term = np.eye(a.shape[0], dtype=np.complex128), np.eye(a.shape[0], dtype=np.complex128)
    for k in range(1, terms):
        term = term @ a / k
        out = out + term
    return out


def test_scipy_linalg_complex_matches_numpy():
    """fnx.scipy.linalg on complex input against numpy (scipy is not a dependency): the
    solves against numpy.linalg.solve of op(a), Cholesky factors against numpy's, expm of a
    small matrix against its Taylor series."""
    rng = np.random.default_rng(7)
    a = well_conditioned(rng, 4, 4)
    t = np.triu(a)
    b = crandn(rng, 4, 2)
    for trans in (0, 1, 2, "C"):
        close(fnx.scipy.linalg.solve_triangular(t, b, trans=trans),
              np.linalg.solve(_op(t, 2 if trans == "C" else trans), b))
    h = hpd(rng, 4, 4)
    low = np.linalg.cholesky(h)
    for lower in (True, False):
        c = fnx.scipy.linalg.cho_factor(h, lower=lower)
        close(np.triu(c[0]) if not lower else np.tril(c[0]), low if lower else low.conj().T)
        close(fnx.scipy.linalg.cho_solve(c, b), np.linalg.solve(h, b))
    factors = fnx.scipy.linalg.lu_factor(a)
    for trans in (0, 1, 2):
        close(fnx.scipy.linalg.lu_solve(factors, b, trans=trans),
              np.linalg.solve(_op(a, trans), b))
    close(fnx.scipy.linalg.expm(0.3 * a), _expm_series(0.3 * a.astype(np.complex128)), scale=10)


# ---------------------------------------------------------------------------------------------
# Derivatives
# ---------------------------------------------------------------------------------------------

def _projector(v, k):
    """v[:, :k] v[:, :k]^H: independent of each eigen / singular vector's phase."""
    return v[..., :, :k] @ fnp.conj(fnp.swapaxes(v[..., :, :k], -1, -2))


RNG_GRAD = np.random.default_rng(8)
_SQ = well_conditioned(RNG_GRAD, 3, 3)
_TALL = well_conditioned(RNG_GRAD, 4, 3)
_WIDE = well_conditioned(RNG_GRAD, 3, 4)
_GENERAL = crandn(RNG_GRAD, 3, 3)
_B = crandn(RNG_GRAD, 3, 2)

GRAD_CASES = {
    "cholesky": (lambda x: la.cholesky(x @ fnp.conj(x.T) + 3 * fnp.eye(3)), _SQ),
    "cholesky_lower_triangle": (lambda x: la.cholesky(x, symmetrize_input=False),
                                hpd(RNG_GRAD, 3, 3)),
    "triangular_solve_h": (lambda x: la.triangular_solve(x, fnp.asarray(_B), left_side=True,
                                                         lower=True, transpose_a=True,
                                                         conjugate_a=True), _SQ),
    "triangular_solve_conj_right": (lambda x: la.triangular_solve(
        x, fnp.asarray(_B.T), left_side=False, lower=False, conjugate_a=True), _SQ),
    "lu": (lambda x: la.lu(x)[0], _SQ),
    "qr": (lambda x: la.qr(x, full_matrices=False), _TALL),
    "eigh": (lambda x: (lambda v, w: (w, _projector(v, 2), fnp.abs(v) ** 2))(
        *la.eigh(x + fnp.conj(x.T))), _GENERAL),
    "svd_square": (lambda x: (lambda u, s, vt: (s, _projector(u, 2), u[:, :1] @ vt[:1]))(
        *la.svd(x)), _GENERAL),
    "svd_tall": (lambda x: (lambda u, s, vt: (s, u @ vt, u[:, :1] @ vt[:1]))(
        *la.svd(x, full_matrices=False)), _TALL),
    "svd_wide": (lambda x: (lambda u, s, vt: (s, u @ vt, u[:, :1] @ vt[:1]))(
        *la.svd(x, full_matrices=False)), _WIDE),
    "eig_values": (lambda x: la.eig(x, compute_right_eigenvectors=False)[0], _GENERAL),
    "eig_vectors": (lambda x: la.eig(x), _GENERAL),
    "eig_real_input": (lambda x: la.eig(x), RNG_GRAD.standard_normal((3, 3))),
    "eigvals_projector": (lambda x: _projector(L.eig(x).eigenvectors, 1), _GENERAL),
    "slogdet": (lambda x: tuple(L.slogdet(x)), _GENERAL),
    "norms": (lambda x: (L.norm(x), L.norm(x, "nuc"), L.norm(x, 2)), _TALL),
    "pinv": (lambda x: L.pinv(x), _TALL),
    "det": (L.det, _GENERAL),
    "solve": (lambda x: L.solve(x, _B), _SQ),
    "inv": (L.inv, _SQ),
}


@pytest.mark.parametrize("name", list(GRAD_CASES))
def test_complex_derivatives_match_finite_differences(name):
    f, x = GRAD_CASES[name]
    check_grads(f, (fnp.asarray(x),), order=1, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", ["det", "solve", "inv", "lu"])
def test_holomorphic_derivatives_are_complex_linear(name):
    """f holomorphic: its JVP is C-linear, jvp(f, x, i t) = i jvp(f, x, t)."""
    f, x = GRAD_CASES[name]
    x = fnp.asarray(x)
    t = fnp.asarray(crandn(np.random.default_rng(9), *x.shape))
    _, d1 = fnx.jvp(f, (x,), (t,))
    _, d2 = fnx.jvp(f, (x,), (t * 1j,))
    close(d2, np.asarray(d1) * 1j, C128, 10)


def test_grad_of_a_real_loss_matches_finite_differences():
    """A real scalar loss of a complex input through several decompositions at once."""
    def loss(x):
        w = L.eigvalsh(x @ fnp.conj(x.T))
        s = L.svdvals(x)
        return fnp.sum(w) + fnp.sum(s ** 3) + fnp.real(L.det(x)) + L.slogdet(x)[1]
    check_grads(loss, (fnp.asarray(_GENERAL),), order=1, modes=("fwd", "rev"))


# ---------------------------------------------------------------------------------------------
# vmap and jit
# ---------------------------------------------------------------------------------------------

VMAP_CASES = {
    "cholesky": lambda x: L.cholesky(x @ fnp.conj(x.T) + 3 * fnp.eye(3)),
    "solve": lambda x: L.solve(x, _B),
    "eigvalsh": lambda x: L.eigvalsh(x + fnp.conj(x.T)),
    "svdvals": L.svdvals,
    "slogdet": lambda x: tuple(L.slogdet(x)),
    "trsolve_h": lambda x: la.triangular_solve(x, fnp.asarray(_B), left_side=True, lower=True,
                                               transpose_a=True, conjugate_a=True),
}


@pytest.mark.parametrize("name", list(VMAP_CASES))
def test_vmap_and_jit_match_eager_loop(name):
    f = VMAP_CASES[name]
    xs = np.stack([well_conditioned(np.random.default_rng(i), 3, 3) for i in range(3)])
    batched = fnx.vmap(f)(fnp.asarray(xs))
    jitted = fnx.jit(fnx.vmap(f))(fnp.asarray(xs))
    for i in range(3):
        want = f(fnp.asarray(xs[i]))
        for got_b, got_j, w in zip(*(fnx.tree.leaves(o) for o in (batched, jitted, want))):
            close(np.asarray(got_b)[i], w)
            close(np.asarray(got_j)[i], w)
