"""fnx.scipy.linalg: ``scipy.linalg``'s solvers and decompositions with SciPy's conventions
(``jax.scipy.linalg``'s counterpart), on fnx.lax.linalg's primitives; they batch over leading
axes, trace, and differentiate (solves through the LU-factor rules of fnx.numpy.linalg).

* ``solve_triangular(a, b, trans, lower, unit_diagonal)``; ``b`` is a vector when it has one
  axis fewer than ``a`` (jax.scipy's rule), else (..., N, K) matrices;
* ``cho_factor`` -> ``(c, lower)`` (``c`` the full triangular factor, zeros elsewhere), and
  ``cho_solve((c, lower), b)``; ``lu_factor`` -> ``(lu, piv)`` (LAPACK's 0-based row swaps)
  and ``lu_solve((lu, piv), b, trans)``; ``lu`` -> ``(p, l, u)`` with ``a = p @ l @ u`` (or
  ``(p @ l, u)`` with ``permute_l``);
* ``qr`` (mode 'full' / 'economic' / 'r' -> ``(r,)``), ``eigh`` (``eigvals_only``, ``lower``,
  ``subset_by_index``), ``svd``, ``det``, ``inv``, ``solve`` (``assume_a`` 'gen' / 'sym' /
  'pos');
* complex64 / complex128 operands throughout (Hermitian meanings: ``cho_factor``'s upper
  factor is ``L^H``, ``trans`` 2 / 'C' the conjugate transpose);
* ``expm``: Pade approximant of degree 13 with scaling and squaring (Higham 2005);
* ``block_diag``;
* the special-matrix constructors (``toeplitz``, ``hankel``, ``circulant``, ``companion``,
  ``hilbert``, ``pascal``, ``dft`` ...: ``_matrix_constructors.py``) and the Schur-based
  functions and further decompositions (``schur``, ``sqrtm``, ``funm``, ``solve_sylvester``,
  ``polar``, ``cholesky``, ``hessenberg``, ``rsf2csf``, ``expm_frechet``,
  ``eigh_tridiagonal``, ``qr_multiply``: ``_matrix_functions.py``).

``overwrite_*`` / ``check_finite`` / ``lapack_driver`` arguments are accepted for SciPy's
signatures and ignored (fnx arrays are immutable; non-finite input gives non-finite output).
"""
from __future__ import annotations

import numpy as np

from .. import dtypes, lax
from .. import numpy as fnp
from ..errors import InvalidArgumentError, ShapeError
from ..lax import linalg as lax_linalg
from ..numpy import linalg as _nla
from ..numpy._linalg_common import (as_float, broadcast_batch, check_matrix, float_matrix,
                                    is_concrete, lu_solve_factors, mH, mT,
                                    permutation_matrix)
from ._expm import expm
from ._matrix_constructors import (circulant, companion, convolution_matrix, dft,  # noqa: F401
                                   fiedler, fiedler_companion, hadamard, hankel, helmert,
                                   hilbert, invhilbert, invpascal, leslie, pascal, toeplitz)
from ._matrix_functions import (cholesky, eigh_tridiagonal, expm_frechet, funm,  # noqa: F401
                                hessenberg, polar, qr_multiply, rsf2csf, schur,
                                solve_sylvester, sqrtm)
from . import _matrix_constructors, _matrix_functions

__all__ = ["block_diag", "cho_factor", "cho_solve", "det", "eigh", "expm", "inv", "lu",
           "lu_factor", "lu_solve", "qr", "solve", "solve_triangular", "svd"] \
    + _matrix_constructors.__all__ + _matrix_functions.__all__

det = _nla.det
inv = _nla.inv


def _trans_flag(name, trans) -> int:
    """SciPy's ``trans``: 0 / 'N' solves a x = b, 1 / 'T' a^T x = b, 2 / 'C' a^H x = b."""
    for code, spellings in enumerate(((0, "N", "n"), (1, "T", "t"), (2, "C", "c"))):
        if trans in spellings:
            return code
    raise InvalidArgumentError(f"{name}: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")


def _rhs(name, a, b):
    """``b`` as (..., N, K) matrices broadcast with ``a``'s batch, and whether it was a vector
    (one axis fewer than ``a``)."""
    if b.ndim == 0:
        raise ShapeError(f"{name}: b must be at least one-dimensional, got a 0-d array")
    vector = b.ndim == a.ndim - 1
    b2 = fnp.expand_dims(b, -1) if vector else b
    if b2.ndim < 2 or b2.shape[-2] != a.shape[-1]:
        raise ShapeError(f"{name}: a of shape {tuple(a.shape)} and b of shape "
                         f"{tuple(b.shape)} are incompatible: b must be (..., {a.shape[-1]}) "
                         f"or (..., {a.shape[-1]}, K)")
    a, b2 = broadcast_batch(name, a, b2)
    return a, b2, vector


def _unrhs(x, vector):
    return x[..., 0] if vector else x


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     debug=None, check_finite=True):
    """``x`` with ``op(a) x = b`` for triangular ``a`` (only the ``lower`` / upper triangle is
    read; ``unit_diagonal`` takes its diagonal as ones); ``op`` per ``trans``."""
    a, b = as_float("solve_triangular", a, b)
    check_matrix("solve_triangular", a, square=True)
    a, b2, vector = _rhs("solve_triangular", a, b)
    code = _trans_flag("solve_triangular", trans)
    x = lax_linalg.triangular_solve(a, b2, left_side=True, lower=bool(lower),
                                    transpose_a=code > 0, conjugate_a=code == 2,
                                    unit_diagonal=bool(unit_diagonal))
    return _unrhs(x, vector)


def _from_triangle(a, lower):
    """The symmetric (complex: Hermitian) matrix whose ``lower`` (or upper) triangle is
    ``a``'s: what SciPy's symmetric routines read (the other triangle is ignored, derivatives
    included)."""
    tri = fnp.tril(a) if lower else fnp.triu(a)
    return tri + mH(fnp.tril(tri, -1) if lower else fnp.triu(tri, 1))


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``(c, lower)``: the Cholesky factor of ``a`` (lower ``L`` or upper ``L^H``; only that
    triangle of ``a`` is read), NaNs when ``a`` is not positive definite."""
    a = float_matrix("cho_factor", a, square=True)
    low = lax_linalg.cholesky(_from_triangle(a, lower), symmetrize_input=False)
    return (low if lower else mH(low)), bool(lower)


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """``x`` with ``a x = b`` from ``cho_factor(a)``'s ``(c, lower)``."""
    c, lower = c_and_lower
    c, b = as_float("cho_solve", c, b)
    check_matrix("cho_solve", c, square=True)
    c, b2, vector = _rhs("cho_solve", c, b)
    # lower: L (L^H x) = b; upper: U^H (U x) = b
    y = lax_linalg.triangular_solve(c, b2, left_side=True, lower=bool(lower),
                                    transpose_a=not lower, conjugate_a=not lower)
    x = lax_linalg.triangular_solve(c, y, left_side=True, lower=bool(lower),
                                    transpose_a=bool(lower), conjugate_a=bool(lower))
    return _unrhs(x, vector)


def lu_factor(a, overwrite_a=False, check_finite=True):
    """``(lu, piv)``: ``L`` (unit diagonal, not stored) and ``U`` packed in ``lu``; ``piv[i]``
    the row swapped with row ``i`` (0-based, int32)."""
    a = float_matrix("lu_factor", a)
    lu_, pivots, _ = lax_linalg.lu(a)
    return lu_, pivots


def _pivots_to_permutation(piv, m: int):
    """The row order ``perm`` (``a[perm] = L U``) made by applying the swaps ``piv`` in turn
    to ``0..m-1``: in numpy for concrete pivots, else unrolled ``where``s (one per pivot)."""
    if is_concrete(piv):
        p = np.asarray(piv._value)
        perm = np.broadcast_to(np.arange(m, dtype=np.int32), p.shape[:-1] + (m,)).copy()
        for idx in np.ndindex(*p.shape[:-1]):
            for i, j in enumerate(p[idx]):
                perm[idx + (i,)], perm[idx + (j,)] = perm[idx + (j,)], perm[idx + (i,)]
        return fnp.asarray(perm)
    rows = lax.broadcasted_iota(dtypes.int32, tuple(piv.shape[:-1]) + (m,), piv.ndim - 1)
    perm = rows
    for i in range(piv.shape[-1]):
        j = piv[..., i:i + 1]
        at_i = perm[..., i:i + 1]
        at_j = fnp.take_along_axis(perm, j, axis=-1)
        perm = fnp.where(rows == i, at_j, fnp.where(rows == j, at_i, perm))
    return perm


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """``x`` with ``a x = b`` (``a^T x = b`` for ``trans`` 1, ``a^H x = b`` for 2) from
    ``lu_factor(a)``."""
    lu_, piv = lu_and_piv
    lu_, b = as_float("lu_solve", lu_, b)
    check_matrix("lu_solve", lu_, square=True)
    piv = fnp.asarray(piv)
    if tuple(piv.shape) != tuple(lu_.shape[:-1]) or piv.dtype.kind not in "iu":
        raise ShapeError(f"lu_solve: piv must be integers of shape {tuple(lu_.shape[:-1])}, "
                         f"got {piv.dtype}{list(piv.shape)}")
    perm = _pivots_to_permutation(piv, lu_.shape[-1])
    lu_b, b2, vector = _rhs("lu_solve", lu_, b)
    perm = fnp.broadcast_to(perm, tuple(b2.shape[:-2]) + (lu_.shape[-1],))
    x = lu_solve_factors(lu_b, perm, b2, trans=_trans_flag("lu_solve", trans))
    return _unrhs(x, vector)


def lu(a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False):
    """``(p, l, u)`` with ``a = p @ l @ u``: ``p`` (M, M) a permutation matrix, ``l`` (M, K)
    unit lower triangular, ``u`` (K, N) upper triangular, K = min(M, N); ``permute_l``:
    ``(p @ l, u)``."""
    if p_indices:
        raise NotImplementedError("lu: p_indices=True is not supported")
    a = float_matrix("lu", a)
    m, n = a.shape[-2:]
    k = min(m, n)
    packed, _, perm = lax_linalg.lu(a)
    batch = tuple(a.shape[:-2])
    low = fnp.tril(packed[..., :, :k], -1) + fnp.broadcast_to(fnp.eye(m, k, dtype=a.dtype),
                                                               batch + (m, k))
    up = fnp.triu(packed[..., :k, :])
    p = mT(permutation_matrix(perm, a.dtype))   # a[perm] = l u  =>  a = P^T l u
    if permute_l:
        return fnp.matmul(p, low), up
    return p, low, up


_QR_MODES = ("full", "economic", "r")


def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    """``(q, r)`` (mode 'full': q (M, M), r (M, N); 'economic': q (M, K), r (K, N)), or
    ``(r,)`` (mode 'r', r (M, N)) -- SciPy's conventions."""
    if pivoting:
        raise NotImplementedError("qr: pivoting=True is not supported")
    if mode not in _QR_MODES:
        raise InvalidArgumentError(f"qr: unsupported mode {mode!r}; use one of {_QR_MODES}")
    a = float_matrix("qr", a)
    q, r = lax_linalg.qr(a, full_matrices=mode != "economic")
    return (r,) if mode == "r" else (q, r)


def eigh(a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False,
         type=1, check_finite=True, subset_by_index=None, subset_by_value=None, driver=None):
    """Eigenvalues ``w`` (ascending) and eigenvectors ``v`` (columns) of symmetric matrices:
    ``(w, v)``, or ``w`` with ``eigvals_only``.  Only the ``lower`` (or upper) triangle is
    read.  ``subset_by_index=(lo, hi)``: eigenpairs lo..hi (inclusive)."""
    if b is not None:
        raise NotImplementedError("eigh: the generalized problem (b given) is not supported")
    if subset_by_value is not None:
        raise NotImplementedError("eigh: subset_by_value is not supported")
    a = float_matrix("eigh", a, square=True)
    v, w = lax_linalg.eigh(_from_triangle(a, lower), lower=bool(lower), symmetrize_input=False)
    if subset_by_index is not None:
        lo, hi = (int(i) for i in subset_by_index)
        n = a.shape[-1]
        if not 0 <= lo <= hi < n:
            raise InvalidArgumentError(f"eigh: subset_by_index {subset_by_index} is out of "
                                       f"range for {n} eigenvalues")
        w, v = w[..., lo:hi + 1], v[..., :, lo:hi + 1]
    return w if eigvals_only else (w, v)


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True,
        lapack_driver="gesdd"):
    """``(U, s, Vh)`` with ``a = U @ diag(s) @ Vh``, ``s`` descending; ``s`` alone without
    ``compute_uv``."""
    a = float_matrix("svd", a)
    if not compute_uv:
        return lax_linalg.svd(a, full_matrices=False, compute_uv=False)
    return lax_linalg.svd(a, full_matrices=bool(full_matrices))


_ASSUME = ("gen", "sym", "her", "pos")


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a="gen", transposed=False):
    """``x`` with ``a x = b`` (``a^T x = b`` when ``transposed``): LU for 'gen' / 'sym' /
    'her', Cholesky for 'pos' (the ``lower`` triangle read).  ``b`` (N,) or (N, K)."""
    if assume_a not in _ASSUME:
        raise InvalidArgumentError(f"solve: assume_a must be one of {_ASSUME}, got "
                                   f"{assume_a!r}")
    a, b = as_float("solve", a, b)
    check_matrix("solve", a, square=True)
    if assume_a == "pos":
        return cho_solve(cho_factor(a, lower=lower), b)
    if transposed:
        a = mT(a)
    a, b2, vector = _rhs("solve", a, b)
    return _unrhs(_nla.solve(a, b2), vector)


def block_diag(*arrs):
    """The block-diagonal matrix of ``arrs`` (0-d: 1x1 blocks; 1-d: 1xN rows), zeros
    elsewhere, in their promoted dtype."""
    if not arrs:
        return fnp.zeros((1, 0), dtypes.default_float)
    blocks = [fnp.atleast_2d(fnp.asarray(x)) for x in arrs]
    for i, x in enumerate(blocks):
        if x.ndim != 2:
            raise ShapeError(f"block_diag: arguments must have at most 2 dimensions, argument "
                             f"{i} has shape {tuple(x.shape)}")
    dt = fnp.result_type(*blocks)
    total = sum(x.shape[1] for x in blocks)
    rows, offset = [], 0
    for x in blocks:
        cols = x.shape[1]
        rows.append(fnp.pad(x.astype(dt), ((0, 0), (offset, total - offset - cols))))
        offset += cols
    return fnp.concatenate(rows, axis=0)

