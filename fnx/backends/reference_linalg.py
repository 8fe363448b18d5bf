"""numpy oracles of the decompositions of fnx/lax/linalg.py (cholesky, triangular_solve, lu,
qr, eigh, svd, eig), for the tests.  Computed in float64 / complex128 (numpy's LAPACK) and rounded
once to the result dtype; reference.py merges the table ``IMPLS`` into the backend's.

Numerical failure is data, as in JAX: a matrix that is not positive definite gives a Cholesky
factor of NaNs, a singular triangular system inf / NaN.
"""
from __future__ import annotations

import numpy as np

from ..lax import linalg as la
from .reference_common import registrar

IMPLS: dict = {}
_register = registrar(IMPLS)


def _f64(x) -> np.ndarray:
    """``x`` in float64, or complex128 when complex."""
    return np.asarray(x, dtype=np.complex128 if np.iscomplexobj(x) else np.float64)


def _magnitude1(x):
    """|re| + |im| (LAPACK's cabs1, the magnitude LU's pivot search compares); |x| if real."""
    return np.abs(x.real) + np.abs(x.imag) if np.iscomplexobj(x) else np.abs(x)


def _mh(x):
    return np.conj(np.swapaxes(x, -1, -2))


def _each_matrix(x: np.ndarray, fn, out_shapes):
    """``fn(matrix) -> tuple of arrays`` over the leading axes of ``x``, stacked into arrays of
    ``batch + out_shape`` each."""
    batch = x.shape[:-2]
    outs = [np.empty(batch + tuple(s), dt) for s, dt in out_shapes]
    for idx in np.ndindex(*batch):
        for out, value in zip(outs, fn(x[idx])):
            out[idx] = value
    return outs


@_register(la.cholesky_p)
def cholesky(x):
    n = x.shape[-1]

    def one(a):
        strict = np.tril(a, -1)
        hermitian = strict + _mh(strict) + np.diag(np.diag(a).real)
        try:
            return (np.linalg.cholesky(hermitian),)
        except np.linalg.LinAlgError:  # all NaN (complex: both parts, as the kernel)
            return (np.full((n, n), complex(np.nan, np.nan) if np.iscomplexobj(a) else np.nan),)
    x = _f64(x)
    return _each_matrix(x, one, [((n, n), x.dtype)])[0]


@_register(la.triangular_solve_p)
def triangular_solve(a, b, *, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    a, b = _f64(a), _f64(b)
    tri = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        n = a.shape[-1]
        tri = tri * (1 - np.eye(n)) + np.eye(n)
    op = np.swapaxes(tri, -1, -2) if transpose_a else tri
    op = np.conj(op) if conjugate_a else op
    with np.errstate(all="ignore"):
        if left_side:
            return _solve_triangular_left(op, b)
        # X op = B  <=>  op^T X^T = B^T
        return np.swapaxes(_solve_triangular_left(np.swapaxes(op, -1, -2),
                                                  np.swapaxes(b, -1, -2)), -1, -2)


def _solve_triangular_left(t, b):
    """Substitution on a triangular ``t`` (either triangle; detected by which is zero), so a
    zero pivot gives inf / NaN as LAPACK's trsm would rather than a LinAlgError."""
    n = t.shape[-1]
    x = np.array(b, dtype=np.result_type(t, b), copy=True)
    is_lower = np.allclose(np.triu(t, 1), 0)
    order = range(n) if is_lower else range(n - 1, -1, -1)
    for i in order:
        done = slice(0, i) if is_lower else slice(i + 1, n)
        acc = x[..., i, :] - np.einsum("...k,...kn->...n", t[..., i, done], x[..., done, :])
        x[..., i, :] = acc / t[..., i, i][..., None]
    return x


@_register(la.lu_p)
def lu(x):
    m, n = x.shape[-2:]
    k = min(m, n)

    def one(a):
        a = a.copy()
        perm = np.arange(m)
        piv = np.zeros(k, np.int32)
        for j in range(k):
            p = j + int(np.argmax(_magnitude1(a[j:, j])))
            piv[j] = p
            if p != j:
                a[[j, p]] = a[[p, j]]
                perm[[j, p]] = perm[[p, j]]
            if a[j, j] != 0:
                a[j + 1:, j] /= a[j, j]
            a[j + 1:, j + 1:] -= np.outer(a[j + 1:, j], a[j, j + 1:])
        return a, piv, perm.astype(np.int32)
    x = _f64(x)
    with np.errstate(all="ignore"):
        return _each_matrix(x, one, [((m, n), x.dtype), ((k,), np.int32), ((m,), np.int32)])


@_register(la.qr_p)
def qr(x, *, full_matrices):
    return list(np.linalg.qr(_f64(x), mode="complete" if full_matrices else "reduced"))


@_register(la.eigh_p)
def eigh(x, *, lower):
    w, v = np.linalg.eigh(_f64(x), UPLO="L" if lower else "U")
    return [v, w]


@_register(la.svd_p)
def svd(x, *, full_matrices, compute_uv):
    x = _f64(x)
    if not compute_uv:
        return [np.linalg.svd(x, compute_uv=False)]
    u, s, vt = np.linalg.svd(x, full_matrices=full_matrices)
    return [s, u, vt]


def _normalized_eigenvectors(v):
    """Columns of unit norm with their largest component real positive (LAPACK zgeev's
    normalization, the CPU kernel's)."""
    if v.size == 0:
        return v
    v = v / np.linalg.norm(v, axis=-2, keepdims=True)
    k = np.argmax(np.abs(v), axis=-2)[..., None, :]
    top = np.take_along_axis(v, k, axis=-2)
    return v * (np.conj(top) / np.abs(top))


@_register(la.eig_p)
def eig(x, *, compute_left_eigenvectors, compute_right_eigenvectors):
    x = np.asarray(x, np.complex128)
    try:
        w, v = np.linalg.eig(x)
    except np.linalg.LinAlgError:  # no convergence: all NaN, as the kernel
        w, v = np.full(x.shape[:-1], np.nan + 0j), np.full(x.shape, np.nan + 0j)
    return [w, _normalized_eigenvectors(v)] if compute_right_eigenvectors else [w]
