"""fnx.numpy.linalg: ``numpy.linalg`` (numpy 2's names, signatures and results) on the
decomposition primitives of ``fnx.lax.linalg``, like ``jax.numpy.linalg``.

* Every function takes stacks of matrices in the last two axes (``lstsq`` and ``multi_dot``
  excepted, as in numpy) and works under ``grad``, ``vmap`` and ``jit``.
* Integer and bool inputs compute in the default float (float32), as jax.numpy; complex64 /
  complex128 inputs compute in their own dtype (Hermitian / unitary meanings, numpy's);
  singular values, eigenvalues of ``eigh``, norms and ``slogdet``'s ``logabsdet`` are real.
* ``eig`` / ``eigvals`` return complex results for real input too, always (JAX's rule; numpy
  returns real arrays when every eigenvalue is real).
* Numerical failure is data, never an exception (JAX's convention): a singular matrix gives
  inf / NaN from ``solve`` / ``inv``, 0 from ``det``, ``(0, -inf)`` from ``slogdet``; a matrix
  that is not positive definite a ``cholesky`` of NaNs.  Bad shapes, dtypes or orders raise fnx
  errors (``ShapeError``, ``DTypeError``: also ``ValueError`` / ``TypeError``) naming the
  function and the shapes.
* ``solve`` / ``inv`` / ``det`` / ``slogdet`` are LU-based, with derivative rules that reuse the
  primal's factors (``_linalg_common``); ``det``'s derivative stays finite at singular matrices
  (adjugate).  ``pinv`` differentiates by the Golub-Pereyra formula, not through the SVD.
* Documented differences from numpy: ``pinv`` / ``matrix_rank``'s default cut-off is
  ``max(M, N) * eps`` (jax.numpy's), not 1e-15; ``lstsq``'s residuals have a static shape
  (``(K,)`` when M > N, else empty) unless ``numpy_resid=True``; ``cholesky`` and ``eigh``
  average the input with its transpose first (``symmetrize_input=True``, jax.numpy's); ``rank``
  results are int32 arrays.
"""
from __future__ import annotations

import math
import operator
from typing import Any, NamedTuple

import numpy as np

from .. import lax
from ..errors import DTypeError, InvalidArgumentError, ShapeError
from ..lax import linalg as lax_linalg
from . import _linalg_ops, _selection
from ._linalg_common import (as_float, check_matrix, det_square, eye_like, float_matrix, mH,
                             real_dtype, slogdet_square, solve_square)
from ._linalg_norm import matrix_norm, norm, vector_norm
from ._linalg_ops import matmul, tensordot, vecdot
from ._manipulation import matrix_transpose
from ._util import asarray_arg, broadcast_shapes_named, broadcast_to_shape

__all__ = ["EigResult", "EighResult", "QRResult", "SVDResult", "SlogdetResult", "cholesky", "cond",
           "cross", "det", "diagonal", "eig", "eigh", "eigvals", "eigvalsh", "inv", "lstsq",
           "matmul", "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose", "multi_dot",
           "norm", "outer", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "tensordot",
           "tensorinv", "tensorsolve", "trace", "vecdot", "vector_norm"]


class EigResult(NamedTuple):
    eigenvalues: Any
    eigenvectors: Any


class EighResult(NamedTuple):
    eigenvalues: Any
    eigenvectors: Any


class QRResult(NamedTuple):
    Q: Any
    R: Any


class SlogdetResult(NamedTuple):
    sign: Any
    logabsdet: Any


class SVDResult(NamedTuple):
    U: Any
    S: Any
    Vh: Any


def _fnp():
    from .. import numpy as fnp  # the package (imported before this module runs any function)
    return fnp


def _eps(dtype) -> float:
    return float(np.finfo(dtype).eps)


# ---------------------------------------------------------------------------------------------
# Solves, inverses, determinants
# ---------------------------------------------------------------------------------------------

def solve(a, b):
    """``x`` with ``a @ x == b``.  numpy 2's rule: ``b`` is a vector (..., M) only when it is
    1-d, otherwise a stack of (..., M, K) matrices; batch dimensions broadcast."""
    a, b = as_float("solve", a, b)
    check_matrix("solve", a, square=True)
    if b.ndim == 0:
        raise ShapeError("solve: b must be at least one-dimensional, got a 0-d array")
    vector = b.ndim == 1
    b2 = lax.reshape(b, (b.shape[0], 1)) if vector else b
    if b2.shape[-2] != a.shape[-1]:
        raise ShapeError(f"solve: a of shape {tuple(a.shape)} and b of shape {tuple(b.shape)} "
                         f"do not match: b's {'only' if vector else 'second-to-last'} "
                         f"dimension must be {a.shape[-1]}")
    batch = broadcast_shapes_named("solve", tuple(a.shape[:-2]), tuple(b2.shape[:-2]))
    a = broadcast_to_shape(a, batch + tuple(a.shape[-2:]))
    b2 = broadcast_to_shape(b2, batch + tuple(b2.shape[-2:]))
    x = solve_square(a, b2)
    return lax.reshape(x, tuple(x.shape[:-1])) if vector else x


def inv(a):
    """The inverse of each square matrix (inf / NaN for a singular one)."""
    a = float_matrix("inv", a, square=True)
    return solve_square(a, eye_like(a.shape[-1], a.dtype, a.shape[:-2]))


def det(a):
    """Determinant (LU); its gradient is the adjugate, finite at singular matrices too."""
    return det_square(float_matrix("det", a, square=True))


def slogdet(a):
    """``SlogdetResult(sign, logabsdet)`` with ``det = sign * exp(logabsdet)``; a singular
    matrix gives ``(0, -inf)``."""
    sign, logabs = slogdet_square(float_matrix("slogdet", a, square=True))
    return SlogdetResult(sign, logabs)


def tensorsolve(a, b, axes=None):
    """``x`` with ``tensordot(a, x, x.ndim) == b``; ``axes``: axes of ``a`` moved to the end
    first."""
    a, b = as_float("tensorsolve", a, b)
    if axes is not None:
        axes = [operator.index(ax) % a.ndim for ax in (axes if isinstance(axes, (tuple, list))
                                                         else (axes,))]
        rest = [i for i in range(a.ndim) if i not in axes]
        a = lax.transpose(a, tuple(rest + axes))
    x_shape = tuple(a.shape[b.ndim:])
    if a.ndim < b.ndim or a.size != math.prod(x_shape) ** 2 or b.size != math.prod(x_shape):
        raise ShapeError(f"tensorsolve: a of shape {tuple(a.shape)} and b of shape "
                         f"{tuple(b.shape)} must satisfy prod(a.shape[b.ndim:]) == "
                         "prod(a.shape[:b.ndim]) == prod(b.shape)")
    x = solve(lax.reshape(a, (b.size, b.size)), lax.reshape(b, (b.size,)))
    return lax.reshape(x, x_shape)


def tensorinv(a, ind=2):
    """The inverse of ``a`` under ``tensordot(..., ind)``: shape ``a.shape[ind:] +
    a.shape[:ind]``."""
    (a,) = as_float("tensorinv", a)
    ind = operator.index(ind)
    if ind <= 0:
        raise InvalidArgumentError(f"tensorinv: ind must be a positive integer, got {ind}")
    lead, tail = tuple(a.shape[:ind]), tuple(a.shape[ind:])
    if math.prod(lead) != math.prod(tail):
        raise ShapeError(f"tensorinv: a of shape {tuple(a.shape)} with ind={ind} must satisfy "
                         "prod(a.shape[:ind]) == prod(a.shape[ind:])")
    n = math.prod(lead)
    return lax.reshape(inv(lax.reshape(a, (n, n))), tail + lead)


def matrix_power(a, n):
    """``a`` to the integer power ``n`` by repeated squaring (``n < 0``: of ``inv(a)``;
    ``n == 0``: the identity).  Integer matrices stay integer for ``n >= 0``."""
    a = asarray_arg("matrix_power", a)
    check_matrix("matrix_power", a, square=True)
    try:
        n = operator.index(n)
    except TypeError:
        raise DTypeError(f"matrix_power: exponent must be an integer, got {n!r}") from None
    if n == 0:
        return eye_like(a.shape[-1], a.dtype, a.shape[:-2])
    if n < 0:
        a, n = inv(a), -n
    result, base = None, a
    while True:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if not n:
            return result
        base = matmul(base, base)


# ---------------------------------------------------------------------------------------------
# Decompositions
# ---------------------------------------------------------------------------------------------

def cholesky(a, /, *, upper=False, symmetrize_input=True):
    """The lower Cholesky factor ``L`` (``a = L @ L^H``), or ``U = L^H`` when ``upper``.  NaNs
    for a matrix that is not positive definite."""
    a = float_matrix("cholesky", a, square=True)
    low = lax_linalg.cholesky(a, symmetrize_input=symmetrize_input)
    return mH(low) if upper else low


_QR_MODES = ("reduced", "complete", "r")


def qr(a, mode="reduced"):
    """``QRResult(Q, R)`` (``mode`` "reduced": Q (..., M, K); "complete": Q (..., M, M)) or just
    ``R`` (``mode="r"``)."""
    a = float_matrix("qr", a)
    if mode not in _QR_MODES:
        raise InvalidArgumentError(f"qr: unsupported mode {mode!r}; use one of {_QR_MODES}")
    q, r = lax_linalg.qr(a, full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


def _uplo(name, UPLO) -> bool:
    if UPLO is None:
        return True
    if UPLO not in ("L", "U"):
        raise InvalidArgumentError(f"{name}: UPLO must be 'L' or 'U', got {UPLO!r}")
    return UPLO == "L"


def eigh(a, UPLO=None, symmetrize_input=True):
    """``EighResult(eigenvalues, eigenvectors)`` of symmetric (Hermitian) matrices, eigenvalues
    real and ascending (eigenvectors are the columns)."""
    a = float_matrix("eigh", a, square=True)
    v, w = lax_linalg.eigh(a, lower=_uplo("eigh", UPLO), symmetrize_input=symmetrize_input)
    return EighResult(w, v)


def eig(a):
    """``EigResult(eigenvalues, eigenvectors)`` of general square matrices: complex always,
    also for real input whose eigenvalues are all real (JAX's rule; numpy would return real
    arrays then); eigenvectors are the columns, of unit norm with their largest component real
    positive (LAPACK's normalization, as numpy's); eigenvalues are not sorted."""
    a = float_matrix("eig", a, square=True)
    w, v = lax_linalg.eig(a)
    return EigResult(w, v)


def eigvals(a):
    """The eigenvalues of general square matrices, complex always (see ``eig``)."""
    a = float_matrix("eigvals", a, square=True)
    return lax_linalg.eig(a, compute_right_eigenvectors=False)[0]


def eigvalsh(a, UPLO="L"):
    """The eigenvalues of symmetric matrices, ascending."""
    return eigh(a, UPLO).eigenvalues


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """``SVDResult(U, S, Vh)`` with ``a = U @ diag(S) @ Vh``, ``S`` real and descending, or just
    ``S`` without ``compute_uv``.  ``hermitian``: from ``eigh`` of the Hermitian ``a``."""
    a = float_matrix("svd", a, square=bool(hermitian))
    if hermitian:
        return _svd_hermitian(a, compute_uv)
    if not compute_uv:
        return lax_linalg.svd(a, full_matrices=False, compute_uv=False)
    u, s, vt = lax_linalg.svd(a, full_matrices=bool(full_matrices))
    return SVDResult(u, s, vt)


def _svd_hermitian(a, compute_uv):
    """For Hermitian ``a = V diag(w) V^H``: ``S = |w|`` sorted descending, ``U = V sign(w)``,
    ``Vh = V^H`` (columns in ``S``'s order)."""
    fnp = _fnp()
    w, v = eigh(a)
    order = fnp.argsort(fnp.abs(w), axis=-1, descending=True)
    w = fnp.take_along_axis(w, order, axis=-1)
    s = fnp.abs(w)
    if not compute_uv:
        return s
    v = fnp.take_along_axis(v, order[..., None, :], axis=-1)
    signs = fnp.where(w < 0, -1.0, 1.0).astype(a.dtype)
    return SVDResult(v * signs[..., None, :], s, mH(v))


def svdvals(x, /):
    """The singular values, descending."""
    return svd(x, compute_uv=False)


# ---------------------------------------------------------------------------------------------
# Pseudo-inverse, least squares, rank, condition number
# ---------------------------------------------------------------------------------------------

def _rtol(name, rcond, rtol, a):
    """The relative cut-off: ``rcond`` / ``rtol`` (at most one), default ``max(M, N) * eps``;
    an array broadcasts over the batch."""
    if rcond is not None and rtol is not None:
        raise InvalidArgumentError(f"{name}: rcond and rtol cannot both be set")
    value = rtol if rcond is None else rcond
    if value is None:
        value = max(a.shape[-2:]) * _eps(a.dtype)
    (value,) = as_float(name, value)
    dt = real_dtype(a)   # compared with singular values: real
    return lax.convert_element_type(value, dt) if value.dtype != dt else value


def pinv(a, rcond=None, hermitian=False, *, rtol=None):
    """The Moore-Penrose pseudo-inverse (SVD; singular values at most ``rtol * max(S)`` are
    dropped, default ``max(M, N) * eps``)."""
    from ._linalg_pinv import pinv_with_svdvals
    a = float_matrix("pinv", a, square=bool(hermitian))
    m, n = a.shape[-2:]
    if m == 0 or n == 0:
        return _fnp().zeros(tuple(a.shape[:-2]) + (n, m), a.dtype)
    cut = _rtol("pinv", rcond, rtol, a)
    cut = broadcast_to_shape(cut, broadcast_shapes_named("pinv", tuple(cut.shape),
                                                         tuple(a.shape[:-2])))
    if tuple(cut.shape) != tuple(a.shape[:-2]):
        a = broadcast_to_shape(a, tuple(cut.shape) + (m, n))
    return pinv_with_svdvals(a, cut, bool(hermitian))[0]


def lstsq(a, b, rcond=None, *, numpy_resid=False):
    """Least squares ``(x, residuals, rank, s)`` for a 2-d ``a`` (M, N) and ``b`` (M,) or
    (M, K): ``x`` minimises ``|b - a x|``; singular values at most ``rcond * max(s)`` (default
    ``max(M, N) * eps``) count as zero.  ``residuals``: squared residual norms (K,) (or (1,)
    for a 1-d ``b``) when M > N, else empty; with ``numpy_resid`` also empty when ``rank < N``
    as numpy (needs a concrete ``rank``)."""
    from ._linalg_pinv import pinv_with_svdvals
    fnp = _fnp()
    a, b = as_float("lstsq", a, b)
    if a.ndim != 2:
        raise ShapeError(f"lstsq: a must be 2-dimensional, got shape {tuple(a.shape)}")
    if b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ShapeError(f"lstsq: incompatible dimensions: a of shape {tuple(a.shape)}, b of "
                         f"shape {tuple(b.shape)} (b must be (M,) or (M, K) with M = "
                         f"{a.shape[0]})")
    m, n = a.shape
    vector = b.ndim == 1
    b2 = lax.reshape(b, (m, 1)) if vector else b
    if m == 0 or n == 0:
        x = fnp.zeros((n, b2.shape[1]), a.dtype)
        s = fnp.zeros((0,), real_dtype(a))
        rank = fnp.asarray(0, fnp.int32)
    else:
        p, s = pinv_with_svdvals(a, _rtol("lstsq", rcond, None, a), False)
        x = matmul(p, b2)
        rank = fnp.sum(s > (_rtol("lstsq", rcond, None, a) * s[0]), dtype=fnp.int32)
    resid = fnp.zeros((0,), real_dtype(a))
    if m > n:
        resid = fnp.sum(fnp.square(fnp.abs(b2 - matmul(a, x))), axis=0)
        if numpy_resid and int(rank) < n:
            resid = fnp.zeros((0,), real_dtype(a))
    if vector:
        x = lax.reshape(x, (n,))
    return x, resid, rank, s


def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """The number of singular values above ``tol`` (absolute) or ``rtol * max(S)`` (default
    ``max(M, N) * eps``), as an int32 array; a vector's rank is 0 or 1."""
    fnp = _fnp()
    (A,) = as_float("matrix_rank", A)
    if A.ndim < 2:
        return fnp.any(A != 0).astype(fnp.int32)
    if tol is not None and rtol is not None:
        raise InvalidArgumentError("matrix_rank: tol and rtol cannot both be set")
    s = fnp.abs(eigvalsh(A)) if hermitian else svdvals(A)
    if tol is None:
        if rtol is None:
            rtol = max(A.shape[-2:]) * _eps(A.dtype)
        tol = fnp.max(s, axis=-1, initial=0.0) * fnp.asarray(rtol, s.dtype)
    tol = fnp.asarray(tol, s.dtype)
    return fnp.sum(s > tol[..., None], axis=-1, dtype=fnp.int32)


def cond(x, p=None):
    """The condition number ``norm(x, p) * norm(inv(x), p)`` (``p`` None / 2 / -2 from the
    singular values, any matrix; the others need square matrices); inf for a singular one."""
    fnp = _fnp()
    x = float_matrix("cond", x)
    if x.shape[-1] == 0 or x.shape[-2] == 0:
        raise ShapeError(f"cond: not defined on empty matrices (shape {tuple(x.shape)})")
    if p is None or (not isinstance(p, str) and p in (2, -2)):
        s = svdvals(x)
        r = s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
    else:
        check_matrix("cond", x, square=True)
        r = norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))
    # a singular matrix: NaN from inf * 0 or 0 / 0 -> inf (not when x itself has NaNs)
    has_nan = fnp.any(fnp.isnan(x), axis=(-2, -1))
    return fnp.where(fnp.isnan(r) & ~has_nan, fnp.inf, r)


# ---------------------------------------------------------------------------------------------
# Products and views
# ---------------------------------------------------------------------------------------------

def multi_dot(arrays, *, out=None):
    """The product of a chain of matrices in the cheapest order (the matrix-chain dynamic
    program over the shapes); the first may be a row vector, the last a column vector."""
    if out is not None:
        raise NotImplementedError("multi_dot: out= is not supported (fnx arrays are immutable)")
    arrays = [asarray_arg("multi_dot", x) for x in arrays]
    if len(arrays) < 2:
        raise InvalidArgumentError(f"multi_dot: expecting at least two arrays, got "
                                   f"{len(arrays)}")
    first_vec, last_vec = arrays[0].ndim == 1, arrays[-1].ndim == 1
    if first_vec:
        arrays[0] = lax.reshape(arrays[0], (1, arrays[0].shape[0]))
    if last_vec:
        arrays[-1] = lax.reshape(arrays[-1], (arrays[-1].shape[0], 1))
    for i, x in enumerate(arrays):
        if x.ndim != 2:
            raise ShapeError(f"multi_dot: array {i} has shape {tuple(x.shape)}; all must be "
                             "2-dimensional (the first and last may be 1-dimensional)")
    for i in range(len(arrays) - 1):
        if arrays[i].shape[1] != arrays[i + 1].shape[0]:
            shapes = [tuple(x.shape) for x in arrays]
            raise ShapeError(f"multi_dot: shapes {shapes} are not aligned at {i} and {i + 1}")
    split = _chain_order([x.shape[0] for x in arrays] + [arrays[-1].shape[1]])
    result = _chain_product(arrays, split, 0, len(arrays) - 1)
    if first_vec:
        result = lax.reshape(result, tuple(result.shape[1:]))
    if last_vec:
        result = lax.reshape(result, tuple(result.shape[:-1]))
    return result


def _chain_order(dims):
    """``split[i][j]``: where the cheapest product of matrices i..j splits (matrix i is
    dims[i] x dims[i + 1]); cost[i][j] = min over k of cost[i][k] + cost[k+1][j] +
    dims[i] dims[k+1] dims[j+1]."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            best = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if best is None or c < best:
                    best, split[i][j] = c, k
            cost[i][j] = best
    return split


def _chain_product(arrays, split, i, j):
    if i == j:
        return arrays[i]
    k = split[i][j]
    return matmul(_chain_product(arrays, split, i, k), _chain_product(arrays, split, k + 1, j))


def outer(x1, x2, /):
    """Outer product of two vectors (numpy.linalg's: both must be 1-d)."""
    x1, x2 = asarray_arg("outer", x1), asarray_arg("outer", x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ShapeError(f"outer: input arrays must be one-dimensional, got shapes "
                         f"{tuple(x1.shape)} and {tuple(x2.shape)}")
    return _linalg_ops.outer(x1, x2)


def cross(x1, x2, /, *, axis=-1):
    """Cross product of 3-element vectors along ``axis`` (batch dimensions broadcast)."""
    x1, x2 = asarray_arg("cross", x1), asarray_arg("cross", x2)
    for x in (x1, x2):
        if x.ndim == 0 or not -x.ndim <= axis < x.ndim or x.shape[axis] != 3:
            raise ShapeError(f"cross: both inputs must have 3 elements along axis {axis}, got "
                             f"shapes {tuple(x1.shape)} and {tuple(x2.shape)}")
    return _linalg_ops.cross(x1, x2, axis=axis)


def trace(x, /, *, offset=0, dtype=None):
    """Sum of the ``offset`` diagonal of the last two axes."""
    x = asarray_arg("trace", x)
    check_matrix("trace", x)
    return _selection.trace(x, offset, -2, -1, dtype)


def diagonal(x, /, *, offset=0):
    """The ``offset`` diagonal of the last two axes."""
    x = asarray_arg("diagonal", x)
    check_matrix("diagonal", x)
    return _selection.diagonal(x, offset, -2, -1)

