"""fnx.scipy.linalg's constructors and Schur-based functions, and fnx.lax.linalg's remaining
names (tests for fnx/scipy/_matrix_constructors.py, fnx/scipy/_matrix_functions.py,
fnx/lax/_linalg_extras.py).

Oracles from definitions in numpy (scipy is not available): constructors entry by entry from
their formulas, decompositions by their identities (Z T Z^H == A with T upper triangular and
Z unitary, X @ X == A, A X + X B == C, u p == a ...), numpy.linalg for inverses, eigenvalues
and solves.  Gradients by finite differences (check_grads), jit against eager, vmap against a
Python loop, and the errors.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx.numpy as fnp
import fnx.scipy.linalg as sl
from fnx.errors import FnxError
from fnx.lax import linalg as la
from fnx.test_util import check_grads

RNG = np.random.default_rng(7)


def close(got, want, tol=1e-10):
    np.testing.assert_allclose(np.asarray(got), want, rtol=tol, atol=tol)


def unitary_err(z):
    z = np.asarray(z)
    return np.abs(z.conj().swapaxes(-1, -2) @ z - np.eye(z.shape[-1])).max()


def rand(*shape, cplx=False):
    x = RNG.normal(size=shape)
    return x + 1j * RNG.normal(size=shape) if cplx else x


# ---------------------------------------------------------------------------------------------
# constructors: entry by entry from their definitions
# ---------------------------------------------------------------------------------------------

def test_toeplitz_hankel_circulant_definitions():
    c, r = rand(4), rand(3)
    t = np.asarray(sl.toeplitz(c, r))
    want = np.array([[c[i - j] if i >= j else r[j - i] for j in range(3)] for i in range(4)])
    close(t, want)
    c3 = rand(3, cplx=True)   # r defaults to conj(c) (its first entry ignored)
    close(sl.toeplitz(c3), [[c3[i - j] if i >= j else np.conj(c3[j - i]) for j in range(3)]
                            for i in range(3)])
    h = np.asarray(sl.hankel(c, r))
    close(h, [[c[i + j] if i + j < 4 else r[i + j - 3] for j in range(3)] for i in range(4)])
    close(sl.hankel(c), [[c[i + j] if i + j < 4 else 0 for j in range(4)] for i in range(4)])
    close(sl.circulant(c), [[c[(i - j) % 4] for j in range(4)] for i in range(4)])


def test_constructors_batch_over_leading_axes():
    c = rand(2, 3)
    got = np.asarray(sl.circulant(c))
    for b in range(2):
        close(got[b], np.asarray(sl.circulant(c[b])))
    got = np.asarray(sl.toeplitz(c, rand(4)))
    assert got.shape == (2, 3, 4)


def test_leslie_companion_fiedler():
    f, s = rand(4), rand(3)
    want = np.zeros((4, 4))
    want[0], want[np.arange(1, 4), np.arange(3)] = f, s
    close(sl.leslie(f, s), want)
    a = np.array([2.0, -3.0, 5.0, 7.0])
    comp = np.asarray(sl.companion(a))
    close(np.sort_complex(np.linalg.eigvals(comp)), np.sort_complex(np.roots(a)))
    close(comp[0], -a[1:] / a[0])
    x = rand(5)
    close(sl.fiedler(x), np.abs(x[:, None] - x[None, :]))
    poly = np.array([1.0, -16.0, 86.0, -176.0, 105.0])   # roots 1, 3, 5, 7
    fc = np.asarray(sl.fiedler_companion(poly))
    close(np.sort(np.linalg.eigvals(fc).real), [1.0, 3.0, 5.0, 7.0], 1e-8)
    assert np.count_nonzero(np.triu(fc, 3)) == 0 and np.count_nonzero(np.tril(fc, -3)) == 0
    close(sl.fiedler_companion([2.0, 4.0]), [[-2.0]])


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("m, n", [(3, 5), (5, 3), (4, 4), (1, 2)])
def test_convolution_matrix_is_numpy_convolve(mode, m, n):
    a, v = rand(m), rand(n)
    got = np.asarray(sl.convolution_matrix(a, n, mode)) @ v
    close(got, np.convolve(a, v, mode))


def test_static_size_constructors():
    n = 5
    h = np.asarray(sl.hilbert(n), np.float64)
    close(h, 1.0 / (np.arange(n)[:, None] + np.arange(n)[None, :] + 1), 1e-6)
    inv = np.asarray(sl.invhilbert(n), np.float64)
    exact_h = 1.0 / (np.arange(n)[:, None] + np.arange(n)[None, :] + 1)
    close(inv @ exact_h, np.eye(n), 1e-6)
    for kind in ("symmetric", "lower", "upper", None):
        p = np.asarray(sl.pascal(n, kind), np.float64)
        low = np.array([[math.comb(i, j) for j in range(n)] for i in range(n)], float)
        want = {"lower": low, "upper": low.T}.get(kind, low @ low.T)
        close(p, want)
        close(np.asarray(sl.invpascal(n, kind), np.float64) @ want, np.eye(n))
    hm = np.asarray(sl.helmert(n, full=True), np.float64)
    close(hm @ hm.T, np.eye(n), 1e-6)
    close(hm[0], np.full(n, 1 / math.sqrt(n)), 1e-6)
    assert sl.helmert(n).shape == (n - 1, n)
    had = np.asarray(sl.hadamard(8))
    assert had.dtype.kind == "i"
    close(had @ had.T, 8 * np.eye(8))
    w = np.asarray(sl.dft(6, scale="sqrtn"))
    x = rand(6)
    close(np.asarray(sl.dft(6)) @ x, np.fft.fft(x), 1e-5)
    close(unitary_err(w), 0.0, 1e-6)


def test_constructor_gradients_and_jit():
    c, r = fnp.asarray(rand(4)), fnp.asarray(rand(3))
    check_grads(lambda c, r: sl.toeplitz(c, r), (c, r), order=1)
    check_grads(lambda c: sl.circulant(c), (c,), order=1)
    check_grads(lambda f, s: sl.leslie(f, s), (c, r), order=1)
    check_grads(lambda a: sl.convolution_matrix(a, 3, "same"), (c,), order=1)
    check_grads(lambda a: sl.companion(a), (c + 3.0,), order=1)
    for fn in (sl.toeplitz, sl.hankel, sl.circulant, sl.fiedler, sl.companion,
               sl.fiedler_companion):
        close(fnx.jit(fn)(c), np.asarray(fn(c)))


def test_constructor_errors():
    with pytest.raises(FnxError, match="power of 2"):
        sl.hadamard(6)
    with pytest.raises(FnxError, match="mode"):
        sl.convolution_matrix([1.0, 2.0], 3, "bad")
    with pytest.raises(FnxError, match="positive"):
        sl.convolution_matrix([1.0, 2.0], 0)
    with pytest.raises(FnxError, match="leslie"):
        sl.leslie([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(FnxError, match="kind"):
        sl.pascal(3, "diagonal")
    with pytest.raises(FnxError, match="complex"):
        sl.dft(3, dtype="float32")
    with pytest.raises(FnxError, match="companion"):
        sl.companion([1.0])


# ---------------------------------------------------------------------------------------------
# cholesky, polar, qr_multiply, expm_frechet, eigh_tridiagonal
# ---------------------------------------------------------------------------------------------

def spd(n, cplx=False):
    x = rand(n, n, cplx=cplx)
    return x @ x.conj().T + n * np.eye(n)


@pytest.mark.parametrize("cplx", [False, True])
def test_cholesky_upper_by_default(cplx):
    a = spd(4, cplx)
    u = np.asarray(sl.cholesky(a))
    close(np.tril(u, -1), np.zeros((4, 4)))
    close(u.conj().T @ u, a)
    low = np.asarray(sl.cholesky(a, lower=True))
    close(low, np.linalg.cholesky(a))


def test_cholesky_gradient():
    a = fnp.asarray(spd(3))
    check_grads(lambda a: sl.cholesky(a + a.T), (a,), order=1)


@pytest.mark.parametrize("method", ["qdwh", "svd"])
@pytest.mark.parametrize("shape, side", [((4, 4), "right"), ((5, 3), "right"),
                                         ((3, 5), "left"), ((4, 4), "left")])
def test_polar(method, shape, side):
    a = rand(*shape)
    u, p = (np.asarray(x) for x in sl.polar(a, side, method=method))
    close(u @ p if side == "right" else p @ u, a, 1e-9)
    close(p, p.T, 1e-9)
    assert np.linalg.eigvalsh(p).min() > -1e-9
    small = min(shape)
    uu = u.T @ u if shape[0] >= shape[1] else u @ u.T
    close(uu, np.eye(small), 1e-9)


def test_polar_complex_and_gradient():
    a = rand(3, 3, cplx=True)
    u, p = (np.asarray(x) for x in sl.polar(a))
    close(u @ p, a, 1e-9)
    close(unitary_err(u), 0.0, 1e-9)
    check_grads(lambda a: sl.polar(a, method="svd")[1], (fnp.asarray(spd(3) + rand(3, 3)),),
                order=1)


def test_qdwh_matches_polar_and_converges():
    a = rand(6, 4)
    u, h, iters, ok = la.qdwh(a)
    assert bool(ok) and int(iters) > 0
    close(np.asarray(u) @ np.asarray(h), a, 1e-9)
    with pytest.raises(FnxError, match="m >= n"):
        la.qdwh(rand(2, 3))


@pytest.mark.parametrize("mode", ["left", "right"])
def test_qr_multiply(mode):
    a = rand(5, 3)
    q, r = np.linalg.qr(a)
    c = rand(3, 2) if mode == "left" else rand(2, 5)
    out, r_got = sl.qr_multiply(a, c, mode)
    want = q @ c if mode == "left" else c @ q
    signs = np.sign(np.diag(r)) * np.sign(np.diag(np.asarray(r_got)))
    close(np.asarray(r_got), signs[:, None] * r)
    close(out, want * (signs[None, :] if mode == "right" else 1) if mode == "right"
          else (q * signs[None, :]) @ c)
    vec = rand(5)
    out1, _ = sl.qr_multiply(a, vec)
    assert out1.shape == (3,)
    with pytest.raises(FnxError, match="incompatible"):
        sl.qr_multiply(a, rand(4, 4), "left")


def test_expm_frechet_is_the_directional_derivative():
    a, e = rand(4, 4) * 0.5, rand(4, 4)
    ea, frechet = sl.expm_frechet(a, e)
    close(ea, np.asarray(sl.expm(a)))
    _, tangent = fnx.jvp(sl.expm, (fnp.asarray(a),), (fnp.asarray(e),))
    close(frechet, np.asarray(tangent), 1e-9)
    close(sl.expm_frechet(a, e, compute_expm=False), np.asarray(frechet))


def test_eigh_tridiagonal():
    d, e = rand(6), rand(5)
    mat = np.diag(d) + np.diag(e, 1) + np.diag(e, -1)
    w, v = sl.eigh_tridiagonal(d, e)
    close(w, np.linalg.eigvalsh(mat))
    close(mat @ np.asarray(v), np.asarray(v) * np.asarray(w)[None, :])
    close(sl.eigh_tridiagonal(d, e, eigvals_only=True, select="i", select_range=(1, 3)),
          np.linalg.eigvalsh(mat)[1:4])
    with pytest.raises(NotImplementedError):
        sl.eigh_tridiagonal(d, e, select="v", select_range=(0.0, 1.0))


# ---------------------------------------------------------------------------------------------
# Schur, Hessenberg, rsf2csf
# ---------------------------------------------------------------------------------------------

def check_schur(a, t, z, tol=1e-10):
    a, t, z = np.asarray(a), np.asarray(t), np.asarray(z)
    assert np.abs(np.tril(t, -1)).max(initial=0) == 0.0
    close(unitary_err(z), 0.0, tol)
    close(z @ t @ z.conj().swapaxes(-1, -2), a, tol * max(1.0, np.abs(a).max()))


SCHUR_CASES = {
    "random real": lambda: rand(6, 6),
    "random complex": lambda: rand(5, 5, cplx=True),
    "jordan block": lambda: np.eye(4) * 2.0 + np.eye(4, k=1),
    "identity": lambda: np.eye(3),
    "rotation": lambda: np.array([[0.0, -1.0], [1.0, 0.0]]),
    "permutation": lambda: np.eye(5)[[1, 2, 3, 4, 0]],
    "zeros": lambda: np.zeros((3, 3)),
    "1x1": lambda: np.array([[3.0]]),
    "upper triangular": lambda: np.triu(rand(4, 4)),
}


@pytest.mark.parametrize("name", sorted(SCHUR_CASES))
def test_schur_identity(name):
    a = SCHUR_CASES[name]()
    t, z = sl.schur(a, output="complex")
    check_schur(a, t, z)
    same_spectrum(np.diag(np.asarray(t)), np.linalg.eigvals(a),
                  1e-6 if name == "jordan block" else 1e-9)


def same_spectrum(got, want, tol):
    """Each expected eigenvalue has an unused computed one within tol (no order assumed)."""
    free = list(np.asarray(got))
    for w in want:
        dist = [abs(g - w) for g in free]
        i = int(np.argmin(dist))
        assert dist[i] <= tol * max(1.0, abs(w)), (got, want)
        free.pop(i)


def test_schur_batched_vmap_jit_float32():
    a = rand(3, 4, 4)
    t, z = la.schur(fnp.asarray(a))
    for b in range(3):
        check_schur(a[b], np.asarray(t)[b], np.asarray(z)[b])
    tv, zv = fnx.vmap(la.schur)(fnp.asarray(a))
    check_schur(a, tv, zv)
    tj, zj = fnx.jit(la.schur)(fnp.asarray(a))
    check_schur(a, tj, zj)
    a32 = a[0].astype(np.float32)
    t32, z32 = la.schur(fnp.asarray(a32))
    assert np.asarray(t32).dtype == np.complex64
    check_schur(a32, t32, z32, 1e-5)


def test_schur_real_output_and_errors():
    with pytest.raises(NotImplementedError, match="output='complex'"):
        sl.schur(rand(3, 3))
    t, z = sl.schur(rand(3, 3, cplx=True))   # complex input: the complex form
    with pytest.raises(FnxError, match="output"):
        sl.schur(rand(3, 3), output="quasi")
    with pytest.raises(FnxError, match="square"):
        la.schur(rand(3, 4))
    assert la.schur(rand(3, 3), compute_schur_vectors=False).shape == (3, 3)


@pytest.mark.parametrize("cplx", [False, True])
def test_hessenberg(cplx):
    a = rand(6, 6, cplx=cplx)
    h, q = (np.asarray(x) for x in sl.hessenberg(a, calc_q=True))
    assert np.abs(np.tril(h, -2)).max() == 0.0
    close(unitary_err(q), 0.0)
    close(q @ h @ q.conj().T, a)
    close(np.asarray(sl.hessenberg(a)), h)
    packed, taus = la.hessenberg(a)
    assert taus.shape == (5,)
    # the packed reflectors rebuild Q through householder_product (rows 1.., columns 1..)
    q_hp = np.asarray(la.householder_product(np.asarray(packed)[1:, :-1], taus[:-1]))
    close(q_hp, q[1:, 1:])


def test_householder_product_is_qr_q():
    a = rand(5, 3)
    q, _ = np.linalg.qr(a)
    # reflectors by hand (LAPACK's convention: v_i = [0.., 1, x], H_i = I - tau v v^T)
    work, vs, taus = a.copy(), np.zeros((5, 3)), np.zeros(3)
    for i in range(3):
        x = work[i:, i]
        beta = -np.sign(x[0]) * np.linalg.norm(x)
        v = x / (x[0] - beta)
        v[0] = 1.0
        taus[i] = (beta - x[0]) / beta
        vs[i:, i] = v
        work[i:] -= taus[i] * np.outer(v, v @ work[i:])
    got = np.asarray(la.householder_product(vs, taus))
    close(np.abs(got), np.abs(q))
    close(got.T @ got, np.eye(3))
    close(got @ work[:3], a)
    with pytest.raises(FnxError, match="householder_product"):
        la.householder_product(rand(3, 5), rand(3))


def test_rsf2csf_from_a_real_schur_form():
    q, _ = np.linalg.qr(rand(4, 4))
    t = np.triu(rand(4, 4))
    t[1, 0], t[0, 0], t[1, 1] = -2.0, 0.5, 0.5     # a complex pair 0.5 +- i sqrt(2 t01)
    t[0, 1] = abs(t[0, 1]) + 1.0
    a = q @ t @ q.T
    tc, zc = sl.rsf2csf(t, q)
    check_schur(a, tc, zc)
    with pytest.raises(FnxError, match="square"):
        sl.rsf2csf(rand(3, 4), rand(3, 4))


# ---------------------------------------------------------------------------------------------
# sqrtm, funm, solve_sylvester
# ---------------------------------------------------------------------------------------------

SQRTM_CASES = {
    "random": lambda: rand(5, 5),
    "spd": lambda: spd(4),
    "complex": lambda: rand(4, 4, cplx=True),
    "jordan": lambda: np.array([[4.0, 1.0], [0.0, 4.0]]),
    "negative eigenvalue": lambda: np.diag([-4.0, 9.0]),
}


@pytest.mark.parametrize("name", sorted(SQRTM_CASES))
def test_sqrtm_squares_back(name):
    a = SQRTM_CASES[name]()
    x = np.asarray(sl.sqrtm(a))
    assert np.iscomplexobj(x)
    close(x @ x, a, 1e-9)
    # principal: eigenvalues with nonnegative real part
    assert np.linalg.eigvals(x).real.min() >= -1e-9


def test_sqrtm_spd_is_the_eigh_root_and_differentiable():
    a = spd(3)
    w, v = np.linalg.eigh(a)
    close(np.asarray(sl.sqrtm(a)).real, (v * np.sqrt(w)) @ v.T)
    check_grads(lambda a: fnp.real(sl.sqrtm(a)), (fnp.asarray(a),), order=1)
    close(fnx.jit(sl.sqrtm)(a), np.asarray(sl.sqrtm(a)))
    batch = np.stack([spd(3), spd(3)])
    got = np.asarray(fnx.vmap(sl.sqrtm)(batch))
    for b in range(2):
        close(got[b], np.asarray(sl.sqrtm(batch[b])))


def test_funm_exp_sin():
    a = rand(4, 4)
    close(sl.funm(a, fnp.exp), np.asarray(sl.expm(a)), 1e-9)
    w, v = np.linalg.eig(a)
    close(sl.funm(a, fnp.sin), (v * np.sin(w)) @ np.linalg.inv(v), 1e-9)
    f, err = sl.funm(a, fnp.exp, disp=False)
    assert 0 < float(err) <= 1


@pytest.mark.parametrize("cplx", [False, True])
@pytest.mark.parametrize("m, n", [(4, 3), (1, 5), (3, 3)])
def test_solve_sylvester(cplx, m, n):
    a, b, c = rand(m, m, cplx=cplx), rand(n, n, cplx=cplx), rand(m, n, cplx=cplx)
    x = np.asarray(sl.solve_sylvester(a, b, c))
    assert np.iscomplexobj(x) == cplx
    close(a @ x + x @ b, c, 1e-9)
    kron = np.kron(np.eye(n), a) + np.kron(b.T, np.eye(m))   # vec(AX + XB), column-major
    close(x.reshape(-1, order="F"), np.linalg.solve(kron, c.reshape(-1, order="F")), 1e-9)


def test_solve_sylvester_gradient_and_errors():
    a, b, c = (fnp.asarray(x) for x in (rand(3, 3) + 4 * np.eye(3), rand(2, 2), rand(3, 2)))
    check_grads(lambda c: sl.solve_sylvester(a, b, c), (c,), order=1)
    with pytest.raises(FnxError, match="solve_sylvester"):
        sl.solve_sylvester(rand(3, 3), rand(2, 2), rand(2, 3))


# ---------------------------------------------------------------------------------------------
# fnx.lax.linalg: tridiagonal_solve, lu_pivots_to_permutation, symmetric_product, ...
# ---------------------------------------------------------------------------------------------

def dense_tridiagonal(dl, d, du):
    return np.diag(d) + np.diag(dl[1:], -1) + np.diag(du[:-1], 1)


@settings(max_examples=15, deadline=None)
@given(m=st.integers(1, 7), k=st.integers(1, 3), cplx=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_tridiagonal_solve_matches_numpy(m, k, cplx, seed):
    rng = np.random.default_rng(seed)
    mk = lambda *s: rng.normal(size=s) + (1j * rng.normal(size=s) if cplx else 0)  # noqa
    dl, du, b = mk(m), mk(m), mk(m, k)
    d = mk(m) + 4.0 * np.sign(rng.normal(size=m) + 0.1)   # diagonally dominant
    x = np.asarray(la.tridiagonal_solve(dl, d, du, b))
    close(x, np.linalg.solve(dense_tridiagonal(dl, d, du), b), 1e-9)


def test_tridiagonal_solve_batched_vmap_jit_grad():
    dl, du, b = rand(3, 5), rand(3, 5), rand(3, 5, 2)
    d = rand(3, 5) + 4.0
    x = np.asarray(la.tridiagonal_solve(dl, d, du, b))
    for i in range(3):
        close(x[i], np.linalg.solve(dense_tridiagonal(dl[i], d[i], du[i]), b[i]))
    close(fnx.vmap(la.tridiagonal_solve)(dl, d, du, b), x)
    close(fnx.jit(la.tridiagonal_solve)(dl, d, du, b), x)
    args = tuple(fnp.asarray(v[0]) for v in (dl, d, du, b))
    check_grads(la.tridiagonal_solve, args, order=1)
    with pytest.raises(FnxError, match="tridiagonal_solve"):
        la.tridiagonal_solve(dl, d, du[:, :4], b)
    with pytest.raises(FnxError, match="tridiagonal_solve"):
        la.tridiagonal_solve(dl.astype(np.float32), d, du, b)


def test_lu_pivots_to_permutation():
    a = rand(2, 5, 5)
    _, piv, perm = la.lu(a)
    close(la.lu_pivots_to_permutation(piv, 5), np.asarray(perm))
    pivots = np.array([2, 2, 3], np.int32)
    want = np.arange(6)
    for i, j in enumerate(pivots):
        want[[i, j]] = want[[j, i]]
    got = la.lu_pivots_to_permutation(pivots, 6)
    assert np.asarray(got).dtype == np.int32
    np.testing.assert_array_equal(np.asarray(got), want)
    np.testing.assert_array_equal(np.asarray(fnx.jit(la.lu_pivots_to_permutation,
                                                     static_argnums=1)(pivots, 6)), want)
    with pytest.raises(FnxError, match="permutation_size"):
        la.lu_pivots_to_permutation(pivots, 2)
    with pytest.raises(FnxError, match="integer"):
        la.lu_pivots_to_permutation(pivots.astype(np.float32), 6)


def test_symmetric_product_and_cholesky_update():
    a, c = rand(2, 4, 3), spd(4)
    got = la.symmetric_product(a, np.broadcast_to(c, (2, 4, 4)), alpha=2.0, beta=0.5,
                               symmetrize_output=True)
    close(got, 2.0 * a @ a.swapaxes(-1, -2) + 0.5 * c)
    r = np.linalg.cholesky(c).T
    w = rand(4)
    r2 = np.asarray(la.cholesky_update(r, w))
    close(np.tril(r2, -1), np.zeros((4, 4)))
    close(r2.T @ r2, c + np.outer(w, w))
    close(np.abs(r2), np.abs(np.linalg.cholesky(c + np.outer(w, w)).T))


def test_tridiagonal_reduction():
    a = spd(5, cplx=True)
    packed, d, e, taus = la.tridiagonal(a)
    tri = np.diag(np.asarray(d)) + np.diag(np.asarray(e), -1) + np.diag(np.asarray(e), 1)
    close(np.sort(np.linalg.eigvalsh(tri)), np.linalg.eigvalsh(a), 1e-9)
    with pytest.raises(NotImplementedError):
        la.tridiagonal(a, lower=False)


def test_enums_exist():
    assert la.SvdAlgorithm.QR.value == "QR"
    assert la.EigImplementation.LAPACK.value == "lapack"
    assert {e.name for e in la.EighImplementation} >= {"QR", "JACOBI"}


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
def test_ormqr_applies_the_householder_q(left, transpose):
    a = rand(5, 5, cplx=True)
    packed, taus = la.hessenberg(a)        # reflectors from row i + 1: shift them up a row
    refl, tau = np.asarray(packed)[1:, :-1], np.asarray(taus)[:-1]
    q = np.asarray(la.householder_product(refl, tau))
    c = rand(4, 3, cplx=True) if left else rand(3, 4, cplx=True)
    op = q.conj().T if transpose else q
    got = la.ormqr(refl, tau, c, left=left, transpose=transpose)
    close(got, op @ c if left else c @ op)
    with pytest.raises(FnxError, match="ormqr"):
        la.ormqr(refl, tau, rand(3, 3, cplx=True), left=True)
