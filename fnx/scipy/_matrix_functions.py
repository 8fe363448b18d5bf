"""scipy.linalg's Schur-based matrix functions and the remaining decompositions
(``jax.scipy.linalg``'s counterparts), on fnx.lax.linalg.

* ``schur`` (``output='complex'``; real quasi-triangular output is not implemented),
  ``rsf2csf``, ``hessenberg``;
* ``sqrtm`` and ``funm``: the complex Schur form A = Z T Z^H, then the triangular function by
  superdiagonals (sqrtm: R_ij = (T - R R)_ij / (R_ii + R_jj); funm: Parlett's recurrence
  F_ij = (T F - F T)_ij / (T_jj - T_ii), each over the entries computed so far), Z F Z^H --
  complex results, as JAX's.  ``sqrtm``'s derivative solves the Sylvester equation
  X dX + dX X = dA on the same Schur form (a custom JVP, linear in dA, so reverse mode works);
* ``solve_sylvester`` (Bartels-Stewart: complex Schur forms of A and B, a triangular
  Sylvester solve by anti-diagonals, back-transform);
* ``polar`` (via the SVD, or ``method='qdwh'`` via fnx.lax.linalg.qdwh), ``cholesky``,
  ``expm_frechet`` (the block matrix [[A, E], [0, A]]'s exponential), ``eigh_tridiagonal``
  (the dense tridiagonal matrix's eigh), ``qr_multiply``.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes, lax
from .. import numpy as fnp
from ..errors import InvalidArgumentError, ShapeError
from ..interpreters.custom import custom_jvp
from ..lax import linalg as lax_linalg
from ..numpy._linalg_common import as_float, float_matrix, mH
from ._expm import expm

__all__ = ["cholesky", "eigh_tridiagonal", "expm_frechet", "funm", "hessenberg", "polar",
           "qr_multiply", "rsf2csf", "schur", "solve_sylvester", "sqrtm"]


def _complex(x):
    return x if dtypes.is_complex(x.dtype) else x.astype(dtypes.complex_of(x.dtype))


def _mm(a, b):
    return fnp.matmul(a, b)


# --- Schur and Hessenberg -------------------------------------------------------------------

def schur(a, output: str = "real"):
    """``(T, Z)`` with ``a = Z T Z^H``, ``Z`` unitary and ``T`` upper triangular (the complex
    Schur form).  ``output='complex'`` for any input, and ``'real'`` for complex input
    (SciPy gives the complex form there too); ``'real'`` for real input -- the real
    quasi-triangular form -- raises NotImplementedError."""
    if output not in ("real", "complex", "r", "c"):
        raise InvalidArgumentError(f"schur: output must be 'real' or 'complex', got "
                                   f"{output!r}")
    a = float_matrix("schur", a, square=True)
    if output in ("real", "r") and not dtypes.is_complex(a.dtype):
        raise NotImplementedError(
            "schur: the real Schur form (output='real' for a real matrix) is not implemented "
            "in fnx; use output='complex' (rsf2csf's result), which fnx computes")
    return lax_linalg.schur(a)


def hessenberg(a, *, calc_q: bool = False, overwrite_a: bool = False,
               check_finite: bool = True):
    """The upper Hessenberg form ``H`` of ``a`` (zeros below the first subdiagonal), and
    ``(H, Q)`` with ``a = Q H Q^H`` when ``calc_q``."""
    a = float_matrix("hessenberg", a, square=True)
    packed, taus = lax_linalg.hessenberg(a)
    h = fnp.triu(packed, -1)
    if not calc_q:
        return h
    from ..lax._linalg_extras import hessenberg_q
    return h, hessenberg_q(packed, taus)


def rsf2csf(T, Z, check_finite: bool = True):
    """The complex Schur form ``(T', Z')`` of a real Schur form ``(T, Z)`` (``T`` upper
    quasi-triangular with 2 x 2 blocks for complex eigenvalue pairs): each block's
    subdiagonal entry is rotated away by a unitary Givens rotation G (from the block's
    eigenvalue mu: (c, s) = (mu - T[m, m], T[m, m-1]) / r), T' = G T G^H, Z' = Z G^H.  A
    subdiagonal entry below eps (|T[m-1, m-1]| + |T[m, m]|) is left as a 1 x 1 boundary."""
    t, z = as_float("rsf2csf", T, Z)
    for name, x in (("T", t), ("Z", z)):
        if x.ndim != 2 or x.shape[0] != x.shape[1]:
            raise ShapeError(f"rsf2csf: {name} must be a square matrix, got shape "
                             f"{tuple(x.shape)}")
    if t.shape != z.shape:
        raise ShapeError(f"rsf2csf: T of shape {tuple(t.shape)} and Z of shape "
                         f"{tuple(z.shape)} must have one shape")
    t, z = _complex(t), _complex(z)
    n = t.shape[-1]
    eps = float(np.finfo(np.dtype(dtypes.real_of(t.dtype))).eps)
    for m in range(n - 1, 0, -1):
        t, z = _rsf2csf_block(t, z, m, eps)
    return fnp.triu(t), z


def _rsf2csf_block(t, z, m, eps):
    """The rotation of rows / columns m - 1, m (identity when T[m, m-1] is negligible)."""
    n = t.shape[-1]
    a, b, c, d = t[m - 1, m - 1], t[m - 1, m], t[m, m - 1], t[m, m]
    small = fnp.abs(c) <= eps * (fnp.abs(a) + fnp.abs(d))
    # the eigenvalue of [[a, b], [c, d]]: mu = (a + d)/2 + sqrt(((a - d)/2)^2 + bc)
    half = (a - d) / 2
    mu = (a + d) / 2 + fnp.sqrt(half * half + b * c)
    p = mu - d
    r = fnp.sqrt(fnp.abs(p) ** 2 + fnp.abs(c) ** 2)
    r = fnp.where(small | (r == 0), 1.0, r)
    cs, sn = fnp.where(small, 1.0, p / r), fnp.where(small, 0.0, c / r)
    eye = fnp.eye(n, dtype=t.dtype)
    # G = [[conj(cs), conj(sn)], [-sn, cs]] in rows / columns m-1, m: (G (p, c)^T)_2 = 0
    g = eye.at[m - 1, m - 1].set(fnp.conj(cs)).at[m - 1, m].set(fnp.conj(sn))
    g = g.at[m, m - 1].set(-sn).at[m, m].set(cs)
    t = _mm(_mm(g, t), mH(g))
    t = t.at[m, m - 1].set(0)
    return t, _mm(z, mH(g))


# --- triangular Sylvester solve and the Schur-Parlett functions -----------------------------

def _triangular_sylvester(r, s, c):
    """``Y`` with ``R Y + Y S = C`` for upper triangular R (m, m), S (n, n): entry (i, j)
    needs Y below it in its column and left of it in its row, so the anti-diagonals
    level(i, j) = (m - 1 - i) + j are solved in turn, each at once from the levels before
    (the entries of later levels still zero).  Linear in C; a loop of m + n - 1 steps."""
    m, n = r.shape[-1], s.shape[-1]
    if m == 0 or n == 0:
        return c
    level = (m - 1 - np.arange(m))[:, None] + np.arange(n)[None, :]
    level = fnp.asarray(level.astype(np.int32))
    r_strict, s_strict = fnp.triu(r, 1), fnp.triu(s, 1)
    denom = fnp.diagonal(r, axis1=-2, axis2=-1)[..., :, None] + \
        fnp.diagonal(s, axis1=-2, axis2=-1)[..., None, :]

    def solve_level(k, y):
        residual = c - _mm(r_strict, y) - _mm(y, s_strict)
        return fnp.where(level == k, residual / denom, y)
    return lax.fori_loop(0, m + n - 1, solve_level, fnp.zeros_like(c))


def _by_superdiagonals(t, f0, update):
    """The upper triangular ``F`` from its diagonal ``f0`` (a matrix) by superdiagonals
    d = 1 .. n - 1: F = F + [j - i == d] update(F)."""
    n = t.shape[-1]
    offset = fnp.asarray((np.arange(n)[None, :] - np.arange(n)[:, None]).astype(np.int32))

    def step(d, f):
        return fnp.where(offset == d, update(f), f)
    return lax.fori_loop(1, n, step, f0) if n > 1 else f0


def _sqrtm_triangular(t):
    diag = fnp.sqrt(fnp.diagonal(t, axis1=-2, axis2=-1))
    r0 = fnp.eye(t.shape[-1], dtype=t.dtype) * diag[..., None, :]
    denom = diag[..., :, None] + diag[..., None, :]
    return _by_superdiagonals(t, r0, lambda r: (t - _mm(r, r)) / denom)


@custom_jvp
def _sqrtm_complex(a):
    t, z = lax_linalg.schur(a)
    return _mm(_mm(z, _sqrtm_triangular(t)), mH(z))


@_sqrtm_complex.defjvp
def _sqrtm_jvp(primals, tangents):
    """X = Z R Z^H with R = sqrt(T): X dX + dX X = dA, i.e. R Y + Y R = Z^H dA Z with
    dX = Z Y Z^H."""
    (a,), (da,) = primals, tangents
    t, z = lax_linalg.schur(a)
    r = _sqrtm_triangular(t)
    x = _mm(_mm(z, r), mH(z))
    y = _triangular_sylvester(r, r, _mm(_mm(mH(z), _complex(da)), z))
    return x, _mm(_mm(z, y), mH(z))


def sqrtm(A, blocksize: int = 1):
    """The principal square root X (X @ X = A) of each square matrix, complex, by the Schur
    method (Higham 1987; ``blocksize`` is accepted and ignored).  A singular matrix with a
    zero eigenvalue of multiplicity > 1 may give inf / NaN, as JAX; a negative real eigenvalue
    gets the root with positive imaginary part.  Differentiable where the square root is
    (no eigenvalue pair with lambda_i^(1/2) + lambda_j^(1/2) = 0)."""
    a = _complex(float_matrix("sqrtm", A, square=True))
    if a.shape[-1] == 0:
        return a
    return _sqrtm_complex(a)


def funm(A, func, disp: bool = True):
    """``func`` of the square matrix ``A`` by the Schur-Parlett method: ``func`` maps the
    vector of eigenvalues (T's diagonal) to its values elementwise, Parlett's recurrence
    fills the rest of F(T).  Complex result.  Distinct eigenvalues are required (equal ones
    divide by zero: inf / NaN, as JAX).  ``disp=False`` returns ``(F, errest)`` with SciPy's
    error estimate min(1, max(eps, eps / min|T_jj - T_ii| * ||triu(T, 1)||_1))."""
    a = _complex(float_matrix("funm", A, square=True))
    if a.ndim != 2:
        raise ShapeError(f"funm: A must be a square matrix, got shape {tuple(a.shape)}")
    t, z = lax_linalg.schur(a)
    n = t.shape[-1]
    diag = fnp.diagonal(t)
    fdiag = fnp.asarray(func(diag)).astype(t.dtype)
    gaps = diag[None, :] - diag[:, None]               # T_jj - T_ii
    safe = fnp.where(gaps == 0, 1.0, gaps)
    f = _by_superdiagonals(t, fnp.eye(n, dtype=t.dtype) * fdiag[None, :],
                           lambda f: fnp.where(gaps == 0, np.nan,
                                               (_mm(t, f) - _mm(f, t)) / safe))
    out = _mm(_mm(z, f), mH(z))
    if disp:
        return out
    eps = float(np.finfo(np.dtype(dtypes.real_of(t.dtype))).eps)
    upper = fnp.triu(np.ones((n, n), bool), 1)
    minden = fnp.min(fnp.where(upper, fnp.abs(gaps), np.inf)) if n > 1 else fnp.asarray(1.0)
    off = fnp.max(fnp.sum(fnp.abs(fnp.triu(t, 1)), axis=0)) if n else fnp.asarray(0.0)
    err = fnp.minimum(1.0, fnp.maximum(eps, eps / minden * off))
    return out, err


# --- Sylvester ----------------------------------------------------------------------------

def solve_sylvester(A, B, C, *, method: str = "schur", tol: float = 1e-8):
    """``X`` with ``A X + X B = C`` (A (m, m), B (n, n), C (m, n)), by Bartels-Stewart on
    the complex Schur forms A = U R U^H, B = V S V^H: R Y + Y S = U^H C V, X = U Y V^H.  Real
    operands give the real part (the solution is real).  ``tol`` is accepted and ignored;
    A and -B sharing an eigenvalue leave it singular (inf / NaN)."""
    if method != "schur":
        raise InvalidArgumentError(f"solve_sylvester: method must be 'schur', got {method!r}")
    a, b, c = as_float("solve_sylvester", A, B, C)
    if a.ndim != 2 or b.ndim != 2 or c.ndim != 2 or a.shape[0] != a.shape[1] or \
            b.shape[0] != b.shape[1] or c.shape != (a.shape[0], b.shape[0]):
        raise ShapeError(f"solve_sylvester: A {tuple(a.shape)}, B {tuple(b.shape)}, C "
                         f"{tuple(c.shape)}: need A (m, m), B (n, n) and C (m, n)")
    real_input = not dtypes.is_complex(c.dtype)
    r, u = lax_linalg.schur(_complex(a))
    s, v = lax_linalg.schur(_complex(b))
    y = _triangular_sylvester(r, s, _mm(_mm(mH(u), _complex(c)), v))
    x = _mm(_mm(u, y), mH(v))
    return fnp.real(x) if real_input else x


# --- polar, cholesky, expm_frechet, eigh_tridiagonal, qr_multiply ---------------------------

def polar(a, side: str = "right", *, method: str = "qdwh", eps: float | None = None,
          max_iterations: int | None = None):
    """``(u, p)`` with ``a = u p`` (``side='right'``, p (n, n)) or ``a = p u`` (``'left'``,
    p (m, m)): ``u`` with orthonormal rows or columns, ``p`` Hermitian positive
    semidefinite.  ``method='svd'``: a = W S V^H gives u = W V^H, p = V S V^H (right) or
    W S W^H (left); ``'qdwh'`` (JAX's default) runs fnx.lax.linalg.qdwh for tall matrices
    with side='right' (wide with side='left'), else the SVD."""
    if side not in ("right", "left"):
        raise InvalidArgumentError(f"polar: side must be 'right' or 'left', got {side!r}")
    if method not in ("qdwh", "svd"):
        raise InvalidArgumentError(f"polar: method must be 'qdwh' or 'svd', got {method!r}")
    x = float_matrix("polar", a)
    m, n = x.shape[-2:]
    if method == "qdwh" and (m >= n) == (side == "right") and min(m, n) > 0:
        flip = side == "left"
        u, h, _, _ = lax_linalg.qdwh(mH(x) if flip else x, max_iterations=max_iterations,
                                     eps=eps)
        return (mH(u), mH(h)) if flip else (u, h)
    w, s, vh = lax_linalg.svd(x, full_matrices=False)
    s = s.astype(x.dtype)
    u = _mm(w, vh)
    if side == "right":
        return u, _mm(mH(vh) * s[..., None, :], vh)
    return u, _mm(w * s[..., None, :], mH(w))


def cholesky(a, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True):
    """The Cholesky factor of the symmetric (Hermitian) positive definite ``a``: upper ``U``
    with a = U^H U (SciPy's default), or lower ``L`` with a = L L^H (``lower=True``); only
    that triangle of ``a`` is read.  NaNs when ``a`` is not positive definite."""
    from .linalg import cho_factor
    return cho_factor(a, lower=lower)[0]


def expm_frechet(A, E, *, method: str | None = None, compute_expm: bool = True):
    """The Frechet derivative L(A, E) of the matrix exponential at ``A`` in direction ``E``,
    from exp([[A, E], [0, A]]) = [[exp(A), L(A, E)], [0, exp(A)]] (Van Loan / Mathias):
    ``(expm(A), L)``, or ``L`` alone without ``compute_expm``.  ``method`` is accepted."""
    a, e = as_float("expm_frechet", A, E)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2] or tuple(a.shape) != tuple(e.shape):
        raise ShapeError(f"expm_frechet: A {tuple(a.shape)} and E {tuple(e.shape)} must be "
                         f"square matrices of one shape")
    n = a.shape[-1]
    zero = fnp.zeros_like(a)
    big = fnp.concatenate([fnp.concatenate([a, e], axis=-1),
                           fnp.concatenate([zero, a], axis=-1)], axis=-2)
    full = expm(big)
    exp_a, frechet = full[..., :n, :n], full[..., :n, n:]
    return (exp_a, frechet) if compute_expm else frechet


def eigh_tridiagonal(d, e, *, eigvals_only: bool = False, select: str = "a",
                     select_range=None, tol: float | None = None):
    """Eigenvalues (ascending; and eigenvectors unless ``eigvals_only``) of the real
    symmetric (complex: Hermitian) tridiagonal matrix with diagonal ``d`` (n,) and
    off-diagonal ``e`` (n - 1,), from fnx.lax.linalg.eigh of the dense matrix.  ``select``:
    'a' all, 'i' the indices ``select_range = (lo, hi)`` (inclusive); 'v' (by value) raises
    NotImplementedError.  ``tol`` is accepted."""
    if select not in ("a", "i", "v"):
        raise InvalidArgumentError(f"eigh_tridiagonal: select must be 'a', 'i' or 'v', got "
                                   f"{select!r}")
    if select == "v":
        raise NotImplementedError("eigh_tridiagonal: select='v' (eigenvalues in a range of "
                                  "values: a data-dependent count) is not supported")
    d, e = as_float("eigh_tridiagonal", d, e)
    if d.ndim != 1 or e.ndim != 1 or e.shape[0] != max(d.shape[0] - 1, 0):
        raise ShapeError(f"eigh_tridiagonal: d {tuple(d.shape)} and e {tuple(e.shape)}: need "
                         f"d (n,) and e (n - 1,)")
    n = d.shape[0]
    mat = fnp.diag(d) + fnp.diag(e, -1) + fnp.diag(fnp.conj(e), 1)
    v, w = lax_linalg.eigh(mat, symmetrize_input=False)
    if select == "i":
        lo, hi = (int(i) for i in select_range)
        if not 0 <= lo <= hi < n:
            raise InvalidArgumentError(f"eigh_tridiagonal: select_range {select_range} is "
                                       f"out of range for {n} eigenvalues")
        w, v = w[lo:hi + 1], v[:, lo:hi + 1]
    return w if eigvals_only else (w, v)


def qr_multiply(a, c, mode: str = "right", pivoting: bool = False, conjugate: bool = False,
                overwrite_a: bool = False, overwrite_c: bool = False):
    """``(Q @ c, R)`` (``mode='left'``, c (..., K, P)) or ``(c @ Q, R)`` (``'right'``, c
    (..., P, M)), with the economic ``a = Q R`` (Q (M, K), R (K, N), K = min(M, N)); a 1-D
    ``c`` is a column (left) or row (right) and the product comes back 1-D.  ``conjugate``:
    conj(Q) in place of Q.  ``pivoting=True`` raises NotImplementedError."""
    if pivoting:
        raise NotImplementedError("qr_multiply: pivoting=True is not supported")
    if mode not in ("left", "right"):
        raise InvalidArgumentError(f"qr_multiply: mode must be 'right' or 'left', got "
                                   f"{mode!r}")
    a, c = as_float("qr_multiply", a, c)
    if a.ndim < 2:
        raise ShapeError(f"qr_multiply: a must be (..., M, N), got shape {tuple(a.shape)}")
    m, n = a.shape[-2:]
    k = min(m, n)
    vector = c.ndim == 1
    if vector:
        c = c[:, None] if mode == "left" else c[None, :]
    if c.ndim < 2 or (mode == "left" and c.shape[-2] != k) or \
            (mode == "right" and c.shape[-1] != m):
        need = f"(..., {k}, P)" if mode == "left" else f"(..., P, {m})"
        raise ShapeError(f"qr_multiply: a of shape {tuple(a.shape)} and c of shape "
                         f"{tuple(c.shape)} are incompatible: mode={mode!r} needs c {need}")
    q, r = lax_linalg.qr(a, full_matrices=False)
    q = fnp.conj(q) if conjugate else q
    out = _mm(q, c) if mode == "left" else _mm(c, q)
    return (out.reshape(-1) if vector else out), r
