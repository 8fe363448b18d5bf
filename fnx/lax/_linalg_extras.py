"""jax.lax.linalg's remaining names, composed from fnx.lax operations (exported by
``fnx.lax.linalg``): no new primitives, so each one traces, batches (leading axes, and
``vmap``) and differentiates through the operations it is made of.

* ``tridiagonal_solve`` (Thomas algorithm: one forward and one backward ``scan`` over the
  rows, no pivoting), ``lu_pivots_to_permutation``, ``householder_product`` (LAPACK's
  orgqr), ``ormqr`` (Q or Q^H times a matrix, reflector by reflector), ``hessenberg`` (gehrd's packed form), ``tridiagonal`` (hetrd's, ``lower=True``),
  ``symmetric_product``, ``cholesky_update``;
* ``schur``: the complex Schur form ``A = Q T Q^H`` by shifted QR iteration (Hessenberg
  reduction, then Wilkinson-shifted full QR steps on the leading unconverged block, each a
  ``qr`` primitive, in a ``while_loop``; the converged trailing row is zeroed and the block
  shrinks).  Real input gives the complex form too (no real quasi-triangular form);
* ``qdwh``: the polar decomposition by the QR-based dynamically weighted Halley iteration;
* ``EigImplementation`` / ``EighImplementation`` / ``SvdAlgorithm``: JAX's enums, accepted
  nowhere differently (fnx has one algorithm for each decomposition).

JAX's ``*_p`` primitives for these names do not exist here (they are compositions).
"""
from __future__ import annotations

import enum

import numpy as np

from .. import dtypes
from ..core import Array
from ..errors import dtype_error, shape_error
from ._linalg_helpers import _as, _conj, _eye_like, _full, _mh, _mt, _tril, _triu, _zeros
from ._util import as_operands
from ._loop_helpers import fori_loop
from .control_flow import scan, while_loop
from .elementwise import (abs as _abs, add, and_, cbrt, convert_element_type, div, eq, ge, gt,
                          imag, le, lt, mul, neg, not_, real, rem, select, sqrt, sub)
from .linalg import _check_matrix, _mm, qr
from .reduction import reduce_max, reduce_sum
from .shape import (broadcast_in_dim, broadcasted_iota, concatenate, reshape,
                    slice as _slice, transpose)
from ._linalg_helpers import _mask

__all__ = ["EigImplementation", "EighImplementation", "SvdAlgorithm", "cholesky_update",
           "hessenberg", "householder_product", "lu_pivots_to_permutation", "ormqr", "qdwh",
           "schur",
           "symmetric_product", "tridiagonal", "tridiagonal_solve"]


class EigImplementation(enum.Enum):
    """JAX's choice of eig algorithm: accepted for signatures, ignored (one CPU kernel)."""
    CUSOLVER = "cusolver"
    MAGMA = "magma"
    LAPACK = "lapack"


class EighImplementation(enum.Enum):
    """JAX's choice of eigh algorithm: accepted for signatures, ignored."""
    QR = "qr"
    JACOBI = "jacobi"
    QDWH = "qdwh"


class SvdAlgorithm(enum.Enum):
    """JAX's choice of SVD algorithm: accepted for signatures, ignored."""
    DEFAULT = "default"
    QR = "QR"
    JACOBI = "Jacobi"
    POLAR = "polar"
    DIVIDE_AND_CONQUER = "divide_and_conquer"


# ---------------------------------------------------------------------------------------------
# small helpers on stacks of vectors / matrices
# ---------------------------------------------------------------------------------------------

def _scalar(x, value):
    """``value`` as a 0-d array of ``x``'s dtype, broadcast to ``x``'s shape."""
    return _full(x, value)


def _index_mask(shape, axis, index):
    """bool of ``shape``: True where the position along ``axis`` equals ``index`` (a traced
    int32 scalar or (...,) array broadcast over the axes before ``axis``)."""
    iota = broadcasted_iota(dtypes.int32, tuple(shape), axis)
    index = convert_element_type(index, dtypes.int32) if hasattr(index, "dtype") else \
        np.array(index, np.int32)
    if getattr(index, "ndim", 0) == 0:
        return eq(iota, broadcast_in_dim(index, tuple(shape), ()))
    return eq(iota, broadcast_in_dim(index, tuple(shape), tuple(range(index.ndim))))


def _iota_cmp(shape, axis, op, index):
    iota = broadcasted_iota(dtypes.int32, tuple(shape), axis)
    return op(iota, broadcast_in_dim(np.array(index, np.int32) if isinstance(index, int)
                                     else index, tuple(shape), ()))


def _pick(x, axis, index):
    """``x`` at ``index`` along ``axis`` (that axis summed away), by a mask: differentiable and
    batch-friendly."""
    return reduce_sum(select(_index_mask(x.shape, axis, index), x, _zeros(x)), (axis,))


def _vdot_cols(v, x):
    """``v^H x`` for a stack of vectors v (..., m) and matrices x (..., m, n): (..., n)."""
    return reduce_sum(mul(_expand_last(_conj(v), x.shape), x), (x.ndim - 2,))


def _expand_last(v, shape):
    """(..., m) -> (..., m, n): v[..., i] along row i."""
    return broadcast_in_dim(v, tuple(shape), tuple(range(v.ndim)))


def _expand_rows(v, shape):
    """(..., n) -> (..., m, n): v[..., j] along column j."""
    return broadcast_in_dim(v, tuple(shape), tuple(range(v.ndim - 1)) + (v.ndim,))


def _outer(u, w):
    """u w^T for stacks of vectors (..., m), (..., n)."""
    shape = tuple(u.shape) + (w.shape[-1],)
    return mul(_expand_last(u, shape), _expand_rows(w, shape))


def _abs2(x):
    return mul(real(x), real(x)) + mul(imag(x), imag(x)) if dtypes.is_complex(x.dtype) \
        else mul(x, x)


# ---------------------------------------------------------------------------------------------
# lu_pivots_to_permutation
# ---------------------------------------------------------------------------------------------

def lu_pivots_to_permutation(pivots, permutation_size: int):
    """The row order (int32, (..., permutation_size)) made by applying LAPACK's row swaps
    ``pivots`` (..., k) in turn to ``0 .. permutation_size - 1``: step ``i`` swaps entries
    ``i`` and ``pivots[..., i]`` (0-based), as ``jax.lax.linalg.lu_pivots_to_permutation``."""
    (pivots,) = as_operands(pivots, op="lu_pivots_to_permutation")
    size = int(permutation_size)
    if pivots.dtype.kind not in "iu":
        raise dtype_error("lu_pivots_to_permutation", "needs integer pivots", pivots)
    if pivots.ndim < 1:
        raise shape_error("lu_pivots_to_permutation", "needs pivots of shape (..., k)", pivots)
    k = pivots.shape[-1]
    if size < k:
        raise shape_error("lu_pivots_to_permutation", f"permutation_size {size} must be at "
                          f"least the number of pivots {k}", pivots)
    pivots = convert_element_type(pivots, dtypes.int32)
    shape = tuple(pivots.shape[:-1]) + (size,)
    rows = broadcasted_iota(dtypes.int32, shape, len(shape) - 1)

    def swap(i, perm):
        j = _pick(pivots, pivots.ndim - 1, i)
        at_i, at_j = _pick(perm, perm.ndim - 1, i), _pick(perm, perm.ndim - 1, j)
        spread = lambda v: broadcast_in_dim(v, shape, tuple(range(len(shape) - 1)))  # noqa
        last = len(shape) - 1
        return select(_index_mask(shape, last, i), spread(at_j),
                      select(_index_mask(shape, last, j), spread(at_i), perm))
    return fori_loop(0, k, swap, rows) if k else rows


# ---------------------------------------------------------------------------------------------
# Householder reflectors: householder_product, hessenberg, tridiagonal
# ---------------------------------------------------------------------------------------------

def _reflector_column(a, i, offset):
    """v of the i-th reflector stored in column i of ``a`` (..., m, n), LAPACK's layout: 1 at
    row i + offset, a[r, i] below it, 0 above."""
    col = _pick(a, a.ndim - 1, i)                               # (..., m)
    shape = tuple(col.shape)
    below = _iota_cmp(shape, len(shape) - 1, gt, add(i, np.array(offset, np.int32)))
    at = _index_mask(shape, len(shape) - 1, add(i, np.array(offset, np.int32)))
    return select(below, col, select(at, _scalar(col, 1), _zeros(col)))


def _reflect_left(x, v, tau):
    """(I - tau v v^H) x for stacks x (..., m, n), v (..., m), tau (...)."""
    w = _vdot_cols(v, x)                                        # (..., n)
    tv = mul(v, broadcast_in_dim(tau, tuple(v.shape), tuple(range(tau.ndim))))
    return sub(x, _outer(tv, w))


def _reflect_right(x, v, tau):
    """x (I - tau v v^H) for stacks x (..., m, n), v (..., n), tau (...)."""
    xv = reduce_sum(mul(x, _expand_rows(v, x.shape)), (x.ndim - 1,))   # (..., m)
    tv = mul(_conj(v), broadcast_in_dim(tau, tuple(v.shape), tuple(range(tau.ndim))))
    return sub(x, _outer(xv, tv))


def householder_product(a, taus):
    """Q (the shape of ``a``, (..., m, n), m >= n) = H_0 H_1 ... H_{k-1} applied to the first
    n columns of the identity, H_i = I - taus[i] v_i v_i^H with v_i stored below the diagonal
    of column i of ``a`` (unit entry implied): LAPACK's orgqr, as
    ``jax.lax.linalg.householder_product``."""
    a, taus = as_operands(a, taus, op="householder_product")
    _check_matrix("householder_product", a)
    m, n = a.shape[-2:]
    k = taus.shape[-1] if taus.ndim else -1
    if taus.ndim != a.ndim - 1 or tuple(taus.shape[:-1]) != tuple(a.shape[:-2]) or k > n \
            or m < n:
        raise shape_error("householder_product", "needs a (..., m, n) with m >= n and taus "
                          "(..., k) with k <= n and the same leading axes", a, taus)
    if taus.dtype != a.dtype:
        raise dtype_error("householder_product", "needs taus of a's dtype", a, taus)
    q = _eye_like(a)

    def apply(t, q):
        i = sub(np.array(k - 1, np.int32), t)
        return _reflect_left(q, _reflector_column(a, i, 0), _pick(taus, taus.ndim - 1, i))
    return fori_loop(0, k, apply, q) if k else q


def ormqr(a, taus, c, *, left: bool = True, transpose: bool = False):
    """``Q c`` / ``Q^H c`` (``left``, c (..., m, p)) or ``c Q`` / ``c Q^H`` (c (..., p, m))
    with Q (m, m) = H_0 ... H_{k-1} from the reflectors in ``a`` (..., m, n) and ``taus``
    (..., k), without forming Q (each reflector applied in turn), as
    ``jax.lax.linalg.ormqr`` (``transpose``: the conjugate transpose for complex)."""
    a, taus, c = as_operands(a, taus, c, op="ormqr")
    _check_matrix("ormqr", a)
    _check_matrix("ormqr", c)
    m = a.shape[-2]
    k = taus.shape[-1] if taus.ndim else -1
    if taus.ndim != a.ndim - 1 or k > min(a.shape[-2:]) or \
            (c.shape[-2] if left else c.shape[-1]) != m or \
            len({a.dtype, taus.dtype, c.dtype}) != 1:
        raise shape_error("ormqr", f"needs reflectors a (..., m, n), taus (..., k) with k <= "
                          f"min(m, n) and c with {'rows' if left else 'columns'} m, one dtype",
                          a, taus, c)
    # Q c = H_0 (H_1 (... c)): the last reflector first; Q^H c = H_{k-1}^H (...) H_0^H c: the
    # first first; c Q = ((c H_0) H_1) ...: the first first; c Q^H: the last first
    last_first = left != transpose

    def apply(t, x):
        i = sub(np.array(k - 1, np.int32), t) if last_first else t
        v = _reflector_column(a, i, 0)
        tau = _pick(taus, taus.ndim - 1, i)
        tau = _conj(tau) if transpose else tau
        return _reflect_left(x, v, tau) if left else _reflect_right(x, v, tau)
    return fori_loop(0, k, apply, c) if k > 0 else c


def _householder(x, alpha):
    """LAPACK's larfg on the vector [alpha, x] (x: (..., r), zero where not part of it):
    ``(beta, tau, v_tail)`` with (I - tau [1, v]^H...) mapping it to [beta, 0] (beta real)."""
    xnorm2 = reduce_sum(_abs2(x), (x.ndim - 1,))
    ar, ai = (real(alpha), imag(alpha)) if dtypes.is_complex(alpha.dtype) else \
        (alpha, _zeros(alpha))
    norm = sqrt(add(add(mul(ar, ar), mul(ai, ai)), xnorm2))
    trivial = eq(add(xnorm2, mul(ai, ai)), _zeros(xnorm2))
    beta = select(ge(ar, _zeros(ar)), neg(norm), norm)
    safe_beta = select(trivial, _scalar(beta, 1), beta)
    beta_c = _as(safe_beta, alpha.dtype)
    tau = select(trivial, _zeros(alpha), div(sub(beta_c, alpha), beta_c))
    denom = select(trivial, _scalar(alpha, 1), sub(alpha, beta_c))
    v = div(x, broadcast_in_dim(denom, tuple(x.shape), tuple(range(denom.ndim))))
    return select(trivial, ar, beta), tau, v


def _hessenberg_step(k, h, taus):
    """Reduce column k of h (..., n, n): the reflector from rows k + 1 .., applied as a
    similarity; the reflector is stored below h[k + 1, k], its tau in taus[k]."""
    col = _pick(h, h.ndim - 1, k)                               # (..., n)
    shape = tuple(col.shape)
    last = len(shape) - 1
    k1 = add(k, np.array(1, np.int32))
    alpha = _pick(col, last, k1)
    tail_mask = _iota_cmp(shape, last, gt, k1)
    beta, tau, v = _householder(select(tail_mask, col, _zeros(col)), alpha)
    v = select(tail_mask, v, select(_index_mask(shape, last, k1), _scalar(v, 1), _zeros(v)))
    # H^H h on the columns after k only: the columns before hold earlier reflectors
    later = _iota_cmp(tuple(h.shape), h.ndim - 1, gt, k)
    h = select(later, _reflect_left(h, v, _conj(tau)), h)
    h = _reflect_right(h, v, tau)                               # (H^H h) H
    mat = tuple(h.shape)
    in_col = _index_mask(mat, h.ndim - 1, k)
    beta = broadcast_in_dim(_as(beta, h.dtype), shape, tuple(range(beta.ndim)))
    packed = select(tail_mask, v, select(_index_mask(shape, last, k1), beta, col))
    h = select(in_col, _expand_last(packed, mat), h)
    taus = select(_index_mask(tuple(taus.shape), taus.ndim - 1, k),
                  broadcast_in_dim(tau, tuple(taus.shape), tuple(range(tau.ndim))), taus)
    return h, taus


def hessenberg(a):
    """``(a, taus)``: the upper Hessenberg form of each square matrix (upper triangle and first
    subdiagonal) with the Householder reflectors below it and their scalar factors ``taus``
    (..., n - 1) -- LAPACK's gehrd layout, as ``jax.lax.linalg.hessenberg``.  The
    orthogonal (unitary) Q with a = Q H Q^H is ``householder_product`` of the reflectors
    shifted one row down."""
    (a,) = as_operands(a, op="hessenberg")
    _check_matrix("hessenberg", a, square=True)
    return _reduce_by_reflectors(a, max(a.shape[-1] - 2, 0))


def _reduce_by_reflectors(a, steps: int):
    """``steps`` Householder similarities on columns 0 .. steps - 1 (gehrd: n - 2; hetrd:
    n - 1, the last making the final subdiagonal entry real)."""
    n = a.shape[-1]
    taus = broadcast_in_dim(np.array(0, a.dtype), tuple(a.shape[:-2]) + (max(n - 1, 0),), ())
    if steps == 0:
        return a, taus
    return fori_loop(0, steps, lambda k, c: _hessenberg_step(k, *c), (a, taus))


def hessenberg_q(packed, taus):
    """The Q of ``hessenberg``'s ``(packed, taus)`` (a = Q H Q^H): reflector i is column i of
    ``packed`` from row i + 1 on."""
    n = packed.shape[-1]
    q = _eye_like(packed)
    k = max(n - 2, 0)

    def apply(t, q):
        i = sub(np.array(k - 1, np.int32), t)
        return _reflect_left(q, _reflector_column(packed, i, 1), _pick(taus, taus.ndim - 1, i))
    return fori_loop(0, k, apply, q) if k else q


def tridiagonal(a, *, lower: bool = True):
    """``(a, d, e, taus)``: a symmetric (Hermitian) matrix reduced to tridiagonal form by
    Householder similarities (LAPACK's hetrd, ``lower=True`` layout: the reflectors below the
    first subdiagonal, ``d`` the (real) diagonal, ``e`` the (real) subdiagonal, ``taus`` the
    reflectors' factors).  Only the lower triangle is read.  ``lower=False`` raises
    NotImplementedError."""
    (a,) = as_operands(a, op="tridiagonal")
    _check_matrix("tridiagonal", a, square=True)
    if not lower:
        raise NotImplementedError("tridiagonal: lower=False (the upper layout) is not "
                                  "implemented; pass the conjugate transpose with lower=True")
    from .linalg import _from_triangle
    packed, taus = _reduce_by_reflectors(_from_triangle(a, lower=True), max(a.shape[-1] - 1, 0))
    n = a.shape[-1]
    d = real(_diag_of(packed, 0)) if dtypes.is_complex(a.dtype) else _diag_of(packed, 0)
    e = _diag_of(packed, -1) if n > 1 else broadcast_in_dim(
        np.array(0, a.dtype), tuple(a.shape[:-2]) + (0,), ())
    e = real(e) if dtypes.is_complex(a.dtype) else e
    return packed, d, e, taus


def _diag_of(x, k):
    """The k-th diagonal (k <= 0: below) of square matrices, (..., n - |k|)."""
    n = x.shape[-1]
    mask = np.eye(n, n, k, dtype=bool)
    summed = reduce_sum(_mask(x, mask), (x.ndim - 1,))          # row i holds x[i, i + k]
    lo = -k if k < 0 else 0
    hi = n if k < 0 else n - k
    return _slice(summed, (0,) * (summed.ndim - 1) + (lo,), tuple(summed.shape[:-1]) + (hi,))


# ---------------------------------------------------------------------------------------------
# tridiagonal_solve
# ---------------------------------------------------------------------------------------------

def _move_last_to_front(x, axis):
    perm = (axis,) + tuple(i for i in range(x.ndim) if i != axis)
    return transpose(x, perm)


def _move_front_to(x, axis):
    perm = list(range(1, x.ndim))
    perm.insert(axis, 0)
    return transpose(x, tuple(int(i) for i in np.argsort(perm)))


def tridiagonal_solve(dl, d, du, b, *, perturb_singular: bool = False):
    """``X`` with ``A X = b`` for tridiagonal A (``dl[i] = A[i, i-1]``, ``d[i] = A[i, i]``,
    ``du[i] = A[i, i+1]``; ``dl[0]`` and ``du[m-1]`` are ignored), batched over leading axes:
    dl / d / du (..., m), b (..., m, k).  The Thomas algorithm (no pivoting: stable for
    diagonally dominant or positive definite A; a zero pivot gives inf / NaN);
    ``perturb_singular`` is accepted and ignored.  Differentiable in all four operands."""
    dl, d, du, b = as_operands(dl, d, du, b, op="tridiagonal_solve")
    del perturb_singular
    for x in (dl, d, du, b):
        if x.dtype != b.dtype or x.dtype not in dtypes.INEXACT:
            raise dtype_error("tridiagonal_solve", "needs four operands of one float or "
                              "complex dtype", dl, d, du, b)
    if b.ndim < 2 or any(x.ndim != b.ndim - 1 or tuple(x.shape) != tuple(b.shape[:-1])
                         for x in (dl, d, du)):
        raise shape_error("tridiagonal_solve", "needs dl, d, du of shape (..., m) and b of "
                          "shape (..., m, k) with the same leading axes", dl, d, du, b)
    m = b.shape[-2]
    if m == 0:
        return b
    ax = dl.ndim - 1
    lower, diag, upper = (_move_last_to_front(x, ax) for x in (dl, d, du))   # (m, ...)
    rhs = _move_last_to_front(b, b.ndim - 2)                                # (m, ..., k)

    def forward(carry, row):
        c_prev, y_prev = carry
        l_i, d_i, u_i, b_i = row
        denom = sub(d_i, mul(l_i, c_prev))
        c_i = div(u_i, denom)
        y_i = div(sub(b_i, mul(_expand_last(l_i, b_i.shape), y_prev)),
                  _expand_last(denom, b_i.shape))
        return (c_i, y_i), (c_i, y_i)
    zero_c = _zeros(diag[0] if m else diag)
    zero_y = _zeros(rhs[0])
    lower = select(_index_mask(lower.shape, 0, 0), _zeros(lower), lower)
    _, (c, y) = scan(forward, (zero_c, zero_y), (lower, diag, upper, rhs))

    def backward(x_next, row):
        c_i, y_i = row
        x_i = sub(y_i, mul(_expand_last(c_i, y_i.shape), x_next))
        return x_i, x_i
    _, x = scan(backward, zero_y, (c, y), reverse=True)
    return _move_front_to(x, b.ndim - 2)


# ---------------------------------------------------------------------------------------------
# symmetric_product, cholesky_update
# ---------------------------------------------------------------------------------------------

def symmetric_product(a_matrix, c_matrix, *, alpha: float = 1., beta: float = 0.,
                      symmetrize_output: bool = False):
    """``alpha a a^T + beta c`` (a (..., m, n), c (..., m, m) symmetric), as
    ``jax.lax.linalg.symmetric_product``: the whole matrix is computed, so
    ``symmetrize_output`` (copy the lower triangle up) changes nothing but is honoured."""
    a, c = as_operands(a_matrix, c_matrix, op="symmetric_product")
    _check_matrix("symmetric_product", a)
    _check_matrix("symmetric_product", c, square=True)
    if a.dtype != c.dtype or c.shape[-1] != a.shape[-2] or \
            tuple(c.shape[:-2]) != tuple(a.shape[:-2]):
        raise shape_error("symmetric_product", "needs a (..., m, n) and c (..., m, m) of one "
                          "dtype", a, c)
    out = add(mul(_mm(a, _mt(a)), _scalar(c, alpha)), mul(c, _scalar(c, beta)))
    if symmetrize_output:
        out = add(_tril(out), _mt(_tril(out, -1)))
    return out


def cholesky_update(r_matrix, w_vector):
    """The upper Cholesky factor R' of R^T R + w w^T from the upper factor R (..., n, n) and
    w (..., n), in O(n^2) Givens-like steps (real matrices), as
    ``jax.lax.linalg.cholesky_update``."""
    r, w = as_operands(r_matrix, w_vector, op="cholesky_update")
    _check_matrix("cholesky_update", r, square=True)
    if dtypes.is_complex(r.dtype) or r.dtype != w.dtype or w.ndim != r.ndim - 1 or \
            tuple(w.shape) != tuple(r.shape[:-1]):
        raise shape_error("cholesky_update", "needs a real upper triangular r (..., n, n) and "
                          "w (..., n) of its dtype", r, w)
    n = r.shape[-1]
    r = _triu(r)

    def step(k, carry):
        r, w = carry
        row = _pick(r, r.ndim - 2, k)                               # (..., n)
        rkk, wk = _pick(row, row.ndim - 1, k), _pick(w, w.ndim - 1, k)
        rad = sqrt(add(mul(rkk, rkk), mul(wk, wk)))
        c, s = div(rad, rkk), div(wk, rkk)
        vec = lambda z: broadcast_in_dim(z, tuple(row.shape), tuple(range(z.ndim)))  # noqa
        after = _iota_cmp(tuple(row.shape), row.ndim - 1, gt, k)
        new_row = div(add(row, mul(vec(s), w)), vec(c))
        new_row = select(after, new_row, select(_index_mask(row.shape, row.ndim - 1, k),
                                                vec(rad), row))
        new_w = select(after, sub(mul(vec(c), w), mul(vec(s), new_row)), _zeros(w))
        in_row = _index_mask(tuple(r.shape), r.ndim - 2, k)
        r = select(in_row, _expand_rows(new_row, r.shape), r)
        return r, new_w
    r, _ = fori_loop(0, n, step, (r, w)) if n else (r, w)
    return r


# ---------------------------------------------------------------------------------------------
# schur: complex Schur form by shifted QR iteration
# ---------------------------------------------------------------------------------------------

def _entry(h, i, j):
    """h[..., i, j] for traced (...,) int32 indices i, j."""
    return _pick(_pick(h, h.ndim - 1, j), h.ndim - 2, i)


def _wilkinson_shift(h, end):
    """The eigenvalue of the trailing 2 x 2 block [[a, b], [c, d]] at rows end - 1, end that
    is nearer d (in the cancellation-free form d - bc / (x + s), x = (a - d) / 2,
    s = sqrt(x^2 + bc) with Re(conj(x) s) >= 0)."""
    prev = sub(end, np.array(1, np.int32))
    a, b = _entry(h, prev, prev), _entry(h, prev, end)
    c, d = _entry(h, end, prev), _entry(h, end, end)
    x = mul(sub(a, d), _scalar(a, 0.5))
    bc = mul(b, c)
    s = sqrt(add(mul(x, x), bc))
    s = select(lt(add(mul(real(x), real(s)), mul(imag(x), imag(s))), _zeros(real(s))), neg(s), s)
    den = add(x, s)
    zero = eq(den, _zeros(den))
    return select(zero, d, sub(d, div(bc, select(zero, _scalar(den, 1), den))))


def _active_qr_step(h, q, end, shift, done):
    """One shifted QR similarity on the leading block 0..end of h: the block minus
    ``shift`` I (identity outside it) = Q R; h <- Q^H h Q, q <- q Q (matrices where
    ``done`` keep their values)."""
    shape = tuple(h.shape)
    rows = broadcasted_iota(dtypes.int32, shape, h.ndim - 2)
    cols = broadcasted_iota(dtypes.int32, shape, h.ndim - 1)
    e = broadcast_in_dim(end, shape, tuple(range(end.ndim)))
    inside = and_(le(rows, e), le(cols, e))
    eye = _eye_like(h)
    shifted = sub(h, mul(eye, broadcast_in_dim(shift, shape, tuple(range(shift.ndim)))))
    block = select(inside, shifted, eye)
    qq, _ = qr(block)
    keep = broadcast_in_dim(done, shape, tuple(range(done.ndim)))
    qq = select(keep, eye, qq)
    return _mm(_mh(qq), _mm(h, qq)), _mm(q, qq)


def _row_converged(h, end, eps):
    """Is row ``end``'s part left of the diagonal negligible next to its diagonal
    neighbours (relative to eps, or below the smallest normal)?"""
    row = _pick(h, h.ndim - 2, end)                             # (..., n)
    left = lt(broadcasted_iota(dtypes.int32, tuple(row.shape), row.ndim - 1),
              broadcast_in_dim(end, tuple(row.shape), tuple(range(end.ndim))))
    off = reduce_sum(select(left, _abs(row), _zeros(real(row) if dtypes.is_complex(row.dtype)
                                                      else row)), (row.ndim - 1,))
    prev = sub(end, np.array(1, np.int32))
    near = add(_abs(_entry(h, end, end)), _abs(_entry(h, prev, prev)))
    tiny = _scalar(off, np.finfo(np.dtype(off.dtype)).tiny)
    return le(off, add(mul(near, _scalar(near, eps)), tiny))


def schur(x, *, compute_schur_vectors: bool = True, sort_eig_vals: bool = False,
          select_callable=None):
    """``(T, Q)`` with ``x = Q T Q^H``, ``T`` upper triangular and ``Q`` unitary (complex
    Schur form), or ``T`` alone without ``compute_schur_vectors``; batched over leading axes.
    Real input gives the complex form (complex dtype) -- JAX returns the real
    quasi-triangular form there, fnx has no real Schur iteration.  ``sort_eig_vals`` and
    ``select_callable`` are accepted and ignored, as in JAX.  No convergence within
    30 max(10, n) steps: all NaN.  Not differentiable (no derivative rule for T and Q)."""
    (x,) = as_operands(x, op="schur")
    _check_matrix("schur", x, square=True)
    del sort_eig_vals, select_callable
    t, q = _complex_schur(x)
    return (t, q) if compute_schur_vectors else t


def _complex_schur(x):
    cdt = dtypes.complex_of(x.dtype) if not dtypes.is_complex(x.dtype) else x.dtype
    x = _as(x, cdt)
    n = x.shape[-1]
    batch = tuple(x.shape[:-2])
    if n <= 1:
        return x, _eye_like(x)
    packed, taus = hessenberg(x)
    q = hessenberg_q(packed, taus)
    h = _triu(packed, -1)
    eps = float(np.finfo(np.dtype(dtypes.real_of(cdt))).eps)
    max_steps = 30 * max(10, n)
    end0 = broadcast_in_dim(np.array(n - 1, np.int32), batch, ())
    steps0 = broadcast_in_dim(np.array(0, np.int32), batch, ())

    def cond(carry):
        _, _, end, _, total = carry
        return _any_active(end, total, max_steps)

    def body(carry):
        h, q, end, since, total = carry
        done = le(end, broadcast_in_dim(np.array(0, np.int32), batch, ()))
        converged = _row_converged(h, end, eps)
        # deflate: zero the row's left part, shrink the block
        deflate = select(done, _false(batch), converged)
        shape = tuple(h.shape)
        e = broadcast_in_dim(end, shape, tuple(range(end.ndim)))
        row_left = and_(eq(broadcasted_iota(dtypes.int32, shape, h.ndim - 2), e),
                        lt(broadcasted_iota(dtypes.int32, shape, h.ndim - 1), e))
        h = select(and_(row_left, broadcast_in_dim(deflate, shape, tuple(range(len(batch))))),
                   _zeros(h), h)
        one = broadcast_in_dim(np.array(1, np.int32), batch, ())
        # iterate: a QR step where neither done nor deflating
        step = and_(not_(done), not_(deflate))
        shift = _wilkinson_shift(h, select(done, one, end))
        exceptional = eq(rem(add(since, one), broadcast_in_dim(np.array(11, np.int32), batch,
                                                              ())), _zeros(since))
        d = _entry(h, select(done, one, end), select(done, one, end))
        sub_ = _entry(h, select(done, one, end), sub(select(done, one, end), one))
        shift = select(exceptional, add(d, _as(mul(_abs(sub_), _scalar(real(sub_), 0.75)),
                                               cdt)), shift)
        h, q = _active_qr_step(h, q, select(done, one, end), shift, not_(step))
        end = select(deflate, sub(end, one), end)
        since = select(deflate, _zeros(since), select(step, add(since, one), since))
        return h, q, end, since, add(total, select(step, one, _zeros(total)))
    h, q, end, _, total = while_loop(cond, body, (h, q, end0, steps0, steps0))
    failed = ge(total, broadcast_in_dim(np.array(max_steps, np.int32), batch, ()))
    nan = _scalar(h, np.nan)
    fail = broadcast_in_dim(failed, tuple(h.shape), tuple(range(len(batch))))
    return select(fail, nan, _triu(h)), select(fail, nan, q)


def _false(batch):
    return broadcast_in_dim(np.array(False), batch, ())


def _any_active(end, total, max_steps):
    """Does any matrix still have an unconverged block (within the step budget)?"""
    active = and_(gt(end, _zeros(end)), lt(total, _scalar(total, max_steps)))
    flat = reshape(convert_element_type(active, dtypes.int32), (int(np.prod(end.shape)),))
    return gt(reduce_max(flat, (0,)), np.array(0, np.int32))


# ---------------------------------------------------------------------------------------------
# qdwh: polar decomposition by the QR-based dynamically weighted Halley iteration
# ---------------------------------------------------------------------------------------------

def qdwh(x, *, is_hermitian: bool = False, max_iterations: int | None = None,
         eps: float | None = None, dynamic_shape=None):
    """``(u, h, num_iters, is_converged)`` with ``x = u h``: ``u`` with orthonormal columns,
    ``h`` Hermitian positive semidefinite (x (..., m, n), m >= n), by the QR-based dynamically
    weighted Halley iteration (Nakatsukasa, Bai & Gygi 2010): x / ||x||_2 estimate, then
    u <- b/c u + (a - b/c)/sqrt(c) Q1 Q2^H with [sqrt(c) u; I] = [Q1; Q2] R, the weights
    (a, b, c) from the lower bound l of the smallest singular value.  A fixed number of
    steps (``max_iterations``, default 10) is run; ``is_converged`` reports
    ||u_k - u_{k-1}||_F <= eps^(1/3) at the end.  ``is_hermitian`` / ``dynamic_shape`` are
    accepted for JAX's signature."""
    (x,) = as_operands(x, op="qdwh")
    _check_matrix("qdwh", x)
    del is_hermitian, dynamic_shape
    m, n = x.shape[-2:]
    if m < n:
        raise shape_error("qdwh", "needs m >= n (tall or square matrices)", x)
    rdt = dtypes.real_of(x.dtype)
    eps = float(np.finfo(np.dtype(rdt)).eps) if eps is None else float(eps)
    iters = 10 if max_iterations is None else int(max_iterations)
    # ||x||_2 <= ||x||_F: u0 = x / ||x||_F has singular values <= 1; l0 a safe lower bound
    fro = sqrt(reduce_sum(_abs2(x), (x.ndim - 2, x.ndim - 1)))
    fro_safe = select(eq(fro, _zeros(fro)), _scalar(fro, 1), fro)
    u = div(x, broadcast_in_dim(_as(fro_safe, x.dtype), tuple(x.shape),
                                tuple(range(fro.ndim))))
    l0 = _scalar(fro, eps)
    eye_n = broadcast_in_dim(np.eye(n, dtype=x.dtype), tuple(x.shape[:-2]) + (n, n),
                             (x.ndim - 2, x.ndim - 1))

    def step(_, carry):
        u, l_k, diff = carry
        l2 = mul(l_k, l_k)
        a = _qdwh_a(l2)
        b = div(mul(sub(a, _scalar(a, 1.0)), sub(a, _scalar(a, 1.0))), _scalar(a, 4.0))
        c = sub(add(a, b), _scalar(a, 1.0))
        sc = sqrt(c)
        bc = lambda z: broadcast_in_dim(_as(z, x.dtype), tuple(u.shape),  # noqa: E731
                                        tuple(range(z.ndim)))
        stacked = concatenate([mul(u, bc(sc)), eye_n], u.ndim - 2)
        qq, _ = qr(stacked, full_matrices=False)
        q1 = _slice(qq, (0,) * qq.ndim, tuple(qq.shape[:-2]) + (m, n))
        q2 = _slice(qq, (0,) * (qq.ndim - 2) + (m, 0), tuple(qq.shape))
        new_u = add(mul(u, bc(div(b, c))), mul(_mm(q1, _mh(q2)), bc(div(sub(a, div(b, c)),
                                                                          sc))))
        new_l = div(mul(l_k, add(a, mul(b, l2))), add(_scalar(l2, 1.0), mul(c, l2)))
        new_l = select(gt(new_l, _scalar(new_l, 1.0)), _scalar(new_l, 1.0), new_l)
        d = sqrt(reduce_sum(_abs2(sub(new_u, u)), (u.ndim - 2, u.ndim - 1)))
        return new_u, new_l, d
    u, _, diff = fori_loop(0, iters, step, (u, l0, fro)) if iters else (u, l0, fro)
    h = _mm(_mh(u), x)
    h = mul(add(h, _mh(h)), _scalar(h, 0.5))
    converged = le(diff, _scalar(diff, eps ** (1.0 / 3.0)))
    return u, h, Array(np.array(iters, np.int32)), converged


def _qdwh_a(l2):
    """The Halley weight a(l) = h(l) of Nakatsukasa-Bai-Gygi:
    d = (4 (1 - l^2) / l^4)^(1/3), a = sqrt(1 + d) + sqrt(8 - 4 d + 8 (2 - l^2) /
    (l^2 sqrt(1 + d))) / 2."""
    one = _scalar(l2, 1.0)
    d = cbrt(div(mul(_scalar(l2, 4.0), sub(one, l2)), mul(l2, l2)))
    sqd = sqrt(add(one, d))
    inner = add(sub(_scalar(d, 8.0), mul(_scalar(d, 4.0), d)),
                div(mul(_scalar(l2, 8.0), sub(_scalar(l2, 2.0), l2)), mul(l2, sqd)))
    return add(sqd, mul(_scalar(sqd, 0.5), sqrt(inner)))
