"""What fnx.numpy.linalg, its norms and fnx.scipy.linalg share: float / complex operands,
matrix shape checks, and the LU-factor solves (with their JVP rules) that solve / inv / det /
slogdet and scipy's lu_solve are built on.

Every function here is written on ``fnx.lax`` and ``fnx.numpy``, so it traces, batches and
differentiates.  The derivative rules are ``custom_jvp``s that reuse the LU factors of the
primal (as JAX's ``custom_linear_solve`` does): a first derivative needs only the primal LU and
the (linear) triangular solves, never the derivative of the factorisation itself.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes, lax
from ..core import ArrayBase
from ..errors import ShapeError
from ..interpreters.custom import custom_jvp
from ..lax import linalg as lax_linalg
from ._linalg_ops import matmul
from ._selection import argsort, take_along_axis
from ._ufuncs import multiply, sign as _sign, subtract, where
from ._util import asarray_arg


# ---------------------------------------------------------------------------------------------
# Operands
# ---------------------------------------------------------------------------------------------

def float_dtype(*xs) -> np.dtype:
    """The dtype a linear-algebra function computes in: the promotion of ``xs`` (float or
    complex), integers and bools promoted to the default float (as jax.numpy does)."""
    dt = dtypes.result_type(*xs)
    return np.dtype(dt) if np.dtype(dt).kind in "fc" else np.dtype(dtypes.default_float)


def as_float(name: str, *xs):
    """``xs`` as (strong) arrays of one float or complex dtype."""
    xs = [asarray_arg(name, x) for x in xs]
    dt = float_dtype(*xs)
    out = []
    for x in xs:
        if x.dtype != dt or x.weak_type:
            x = lax.convert_element_type(x, dt, weak_type=False)
        out.append(x)
    return out


def check_matrix(name: str, x, square: bool = False) -> None:
    """At least two axes, square in the last two when ``square`` (numpy's LinAlgError cases,
    raised as fnx ShapeErrors naming the function and the shape)."""
    if x.ndim < 2:
        raise ShapeError(f"{name}: {x.ndim}-dimensional array given (shape {tuple(x.shape)}); "
                         "the array must be at least two-dimensional (..., M, N)")
    if square and x.shape[-1] != x.shape[-2]:
        raise ShapeError(f"{name}: last 2 dimensions of the array must be square, got shape "
                         f"{tuple(x.shape)}")


def float_matrix(name: str, x, square: bool = False):
    (x,) = as_float(name, x)
    check_matrix(name, x, square)
    return x


def mT(x):
    """Transpose of the last two axes."""
    n = x.ndim
    return lax.transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))


def mH(x):
    """Conjugate transpose of the last two axes (the transpose of a real matrix)."""
    return lax.conj(mT(x)) if dtypes.is_complex(x.dtype) else mT(x)


def real_dtype(x) -> np.dtype:
    """The real dtype of ``x``'s precision (complex64 -> float32; a float is its own)."""
    return dtypes.real_of(x.dtype)


def diag_part(x):
    """The main diagonal of the last two axes (..., min(m, n))."""
    from ._selection import diagonal
    return diagonal(x, 0, -2, -1)


def eye_like(n: int, dtype, batch=()):
    from ._creation import eye
    e = eye(n, dtype=dtype)
    return lax.broadcast_in_dim(e, tuple(batch) + (n, n), (len(batch), len(batch) + 1))


def broadcast_batch(name: str, a, b):
    """``a`` (..., n, n) and ``b`` (..., n, k) broadcast to one batch shape."""
    from ._util import broadcast_shapes_named, broadcast_to_shape
    batch = broadcast_shapes_named(name, tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    return (broadcast_to_shape(a, batch + tuple(a.shape[-2:])),
            broadcast_to_shape(b, batch + tuple(b.shape[-2:])))


def is_concrete(*xs) -> bool:
    """Whether every array is a concrete (eager, untraced) value."""
    from ..core import Array
    return all(type(x) is Array for x in xs if isinstance(x, ArrayBase))


# ---------------------------------------------------------------------------------------------
# Solves from LU factors
# ---------------------------------------------------------------------------------------------

def permutation_matrix(perm, dtype):
    """``P`` (..., n, n) with ``P @ b == b[..., perm, :]`` -- a one-hot matrix, so applying a
    permutation is a matmul (linear, batched and transposable like any product)."""
    n = perm.shape[-1]
    cols = lax.broadcasted_iota(dtypes.int32, tuple(perm.shape) + (n,), perm.ndim)
    rows = lax.broadcast_in_dim(perm, tuple(perm.shape) + (n,), tuple(range(perm.ndim)))
    return lax.convert_element_type(lax.eq(rows, cols), dtype)


def permute_rows(b, perm):
    """``b[..., perm, :]`` for ``b`` (..., n, k) and ``perm`` (..., n): a gather, linear, so it
    differentiates and batches, and costs n k (a permutation matrix product would cost n^2 k)."""
    index = lax.broadcast_in_dim(perm, tuple(perm.shape) + (b.shape[-1],),
                                 tuple(range(perm.ndim)))
    return take_along_axis(b, index, axis=-2)


def lu_solve_factors(lu, perm, b, trans: int = 0):
    """``x`` with ``A x = b`` (``trans`` 0), ``A^T x = b`` (1) or ``A^H x = b`` (2),
    ``A[perm] = L U`` packed in ``lu``; ``lu`` (..., n, n) and ``b`` (..., n, k) with the same
    batch shape."""
    if not trans:   # L U x = P b
        y = lax_linalg.triangular_solve(lu, permute_rows(b, perm), left_side=True, lower=True,
                                        unit_diagonal=True)
        return lax_linalg.triangular_solve(lu, y, left_side=True, lower=False)
    # A^T = U^T L^T P: U^T y = b, L^T z = y, x = P^T z, i.e. x[perm] = z (A^H: conjugated)
    conjugate = trans == 2
    y = lax_linalg.triangular_solve(lu, b, left_side=True, lower=False, transpose_a=True,
                                    conjugate_a=conjugate)
    z = lax_linalg.triangular_solve(lu, y, left_side=True, lower=True, transpose_a=True,
                                    conjugate_a=conjugate, unit_diagonal=True)
    return permute_rows(z, argsort(perm, axis=-1))


@custom_jvp
def solve_square(a, b):
    """``a^-1 b`` for ``a`` (..., n, n), ``b`` (..., n, k) of one batch shape and dtype."""
    lu, _, perm = lax_linalg.lu(a)
    return lu_solve_factors(lu, perm, b)


@solve_square.defjvp
def _solve_square_jvp(primals, tangents):
    # x = A^-1 b  =>  dx = A^-1 (db - dA x), with the primal's LU factors
    (a, b), (da, db) = primals, tangents
    lu, _, perm = lax_linalg.lu(a)
    x = lu_solve_factors(lu, perm, b)
    return x, lu_solve_factors(lu, perm, subtract(db, matmul(da, x)))


def pivot_sign(pivots, dtype):
    """(-1) ** (number of row swaps) of LU's ``pivots`` (..., k)."""
    k = pivots.shape[-1]
    swapped = lax.ne(pivots, lax.broadcasted_iota(dtypes.int32, tuple(pivots.shape),
                                                  pivots.ndim - 1))
    count = lax.reduce_sum(lax.convert_element_type(swapped, dtypes.int32), (pivots.ndim - 1,)) \
        if k else lax.broadcast_in_dim(np.array(0, np.int32), tuple(pivots.shape[:-1]), ())
    odd = lax.convert_element_type(lax.rem(count, np.array(2, np.int32)), dtype)
    return lax.sub(np.array(1, dtype), lax.mul(np.array(2, dtype), odd))


def _prod_last(x):
    return lax.reduce_prod(x, (x.ndim - 1,))


def _trace_last2(x):
    return lax.reduce_sum(diag_part(x), (x.ndim - 2,))


@custom_jvp
def det_square(a):
    lu, pivots, _ = lax_linalg.lu(a)
    return lax.mul(pivot_sign(pivots, a.dtype), _prod_last(diag_part(lu)))


@det_square.defjvp
def _det_square_jvp(primals, tangents):
    """d det(A) = tr(adj(A) dA) (det is holomorphic: the same formula for complex A).  With
    A = P^T L U, adj(A) = s adj(U) L^-1 P (s = det P), and for U = [[U1, c], [0, u]]:
    adj(U) = det(U1) Ũ^-1 D, where Ũ is U with u replaced by 1 and D = diag(u, ..., u, 1) --
    a polynomial in u, so the derivative stays finite and exact at a
    singular A whose zero pivot is the last one.  When U1 itself is singular (rank <= n - 2
    or an earlier zero pivot) the tangent is taken as 0, as JAX does."""
    (a,), (da,) = primals, tangents
    n = a.shape[-1]
    lu, pivots, perm = lax_linalg.lu(a)
    sign = pivot_sign(pivots, a.dtype)
    if n == 0:
        return sign, lax.mul(sign, np.array(0, a.dtype))
    d = diag_part(lu)
    head = _prod_last(d[..., :-1])     # det(U1)
    last = d[..., -1]
    det = lax.mul(sign, lax.mul(head, last))
    z = lax_linalg.triangular_solve(lu, permute_rows(da, perm),
                                    left_side=True, lower=True, unit_diagonal=True)
    is_last_row = lax.eq(lax.broadcasted_iota(dtypes.int32, (n, 1), 0), np.array(n - 1, np.int32))
    scale = where(is_last_row, np.array(1, a.dtype), last[..., None, None])   # D
    z = multiply(z, scale)
    last_entry = lax.eq(eye_like(n, dtypes.int32), np.array(1, np.int32)) & is_last_row
    usable = lax.ne(head, np.array(0, a.dtype))                 # U1 nonsingular
    u_tilde = where(last_entry, np.array(1, a.dtype), lu)
    u_tilde = where(usable[..., None, None], u_tilde, eye_like(n, a.dtype))
    z = lax_linalg.triangular_solve(u_tilde, z, left_side=True, lower=False)
    coeff = where(usable, lax.mul(sign, head), np.array(0, a.dtype))
    return det, multiply(coeff, _trace_last2(z))


@custom_jvp
def slogdet_square(a):
    lu, pivots, _ = lax_linalg.lu(a)
    d = diag_part(lu)
    sign = lax.mul(pivot_sign(pivots, a.dtype), _prod_last(_sign(d)))  # complex: det / |det|
    return sign, lax.reduce_sum(lax.log(lax.abs(d)), (d.ndim - 1,))


@slogdet_square.defjvp
def _slogdet_square_jvp(primals, tangents):
    """d log det A = t = tr(A^-1 dA): d log|det A| = Re(t), and the sign det / |det| turns by
    i Im(t) (a real sign is piecewise constant: zero tangent)."""
    (a,), (da,) = primals, tangents
    sign, logabs = slogdet_square(a)
    lu, _, perm = lax_linalg.lu(a)
    t = _trace_last2(lu_solve_factors(lu, perm, da))
    if not dtypes.is_complex(a.dtype):
        return (sign, logabs), (lax.mul(sign, np.array(0, a.dtype)), t)
    turn = lax.complex(lax.mul(lax.real(t), np.array(0, logabs.dtype)), lax.imag(t))
    return (sign, logabs), (lax.mul(sign, turn), lax.real(t))
