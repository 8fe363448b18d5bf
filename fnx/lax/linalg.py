"""Linear algebra primitives (``fnx.lax.linalg``, JAX's ``jax.lax.linalg`` names).

* ``dot_general``: contraction with batch dimensions (matmul, einsum, tensordot lower to it);
  ``fnx.lax`` re-exports it and ``dot``.
* Decompositions of the last two axes, batched over any leading ones, float32 / float64 /
  complex64 / complex128 (complex: the Hermitian / unitary meaning, as LAPACK and JAX):
  ``cholesky``, ``triangular_solve``, ``lu``, ``qr``, ``eigh``, ``svd`` (``eig`` in
  linalg_eig.py).  One block each: the
  primitive, its abstract eval (clear errors naming the operation and shapes), its batching,
  JVP (and transpose) rules, and the wrapper.  Numerical failure is data, never an error, as in
  JAX: a matrix that is not positive definite gives a ``cholesky`` of NaNs, a singular one
  inf / NaN solutions.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..core import Fusion, Primitive, ShapedArray, bind
from ..interpreters import ad, batching
from ..errors import DerivativeNotImplementedError, dtype_error, shape_error
from ._util import as_int_tuple, as_operands, check_same_dtypes
from ._precision import contract_with
from ._linalg_helpers import (_along_cols, _along_rows, _as, _column_minus_row, _const,
                              _diag, _diagonal_matrix, _eye_like, _full, _inverse_gaps,
                              _is_complex, _mh, _mt, _real_diagonal_matrix, _scale_cols,
                              _scale_rows, _tril, _triu, _zeros)
from .elementwise import (add, conj, convert_element_type, div, eq, mul, neg, real, select,
                          sub)
from .shape import (_linear_transpose, broadcasted_iota, pad, reshape, slice as _slice,
                    transpose)

dot_general_p = Primitive("dot_general", fusion=Fusion.LIBRARY)

_DOT_DTYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64, dtypes.complex64,
               dtypes.complex128)

# what ``from .linalg import *`` gives fnx.lax (the decompositions stay in fnx.lax.linalg)
__all__ = ["dot_general_p", "dot_general", "dot"]


_DN_FORM = "((lhs_contract, rhs_contract), (lhs_batch, rhs_batch))"


def _check_dims(lhs, rhs, dimension_numbers):
    (lc, rc), (lb, rb) = dimension_numbers
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise shape_error("dot_general", f"dimension_numbers {dimension_numbers}: contracting "
                          "and batch dimension lists must pair up", lhs, rhs)
    for side, (contract, batch), x in (("lhs", (lc, lb), lhs), ("rhs", (rc, rb), rhs)):
        for kind, dims in (("contracting", contract), ("batch", batch)):
            for d in dims:
                if not 0 <= d < x.ndim:
                    raise shape_error("dot_general", f"{side} {kind} dimension {d} is out of "
                                      f"range for the {side} of rank {x.ndim} (dimension_numbers "
                                      f"{dimension_numbers})", lhs, rhs)
        if len(set(contract + batch)) != len(contract + batch):
            raise shape_error("dot_general", f"dimension_numbers {dimension_numbers} repeat a "
                              f"dimension of the {side}", lhs, rhs)
    for kind, pairs in (("contracting", zip(lc, rc)), ("batch", zip(lb, rb))):
        for a, b in pairs:
            if lhs.shape[a] != rhs.shape[b]:
                raise shape_error("dot_general", f"{kind} dimension {a} of lhs (size "
                                  f"{lhs.shape[a]}) does not match dimension {b} of rhs (size "
                                  f"{rhs.shape[b]}) in dimension_numbers {dimension_numbers}",
                                  lhs, rhs)


def _dimension_numbers(dimension_numbers):
    """``dimension_numbers`` as tuples of ints, or a TypeError showing the expected form (a
    bare ``(lhs_contract, rhs_contract)`` pair, without the batch part, is a common slip)."""
    def pair(x):
        return isinstance(x, (tuple, list)) and len(x) == 2

    def axes(x):
        return isinstance(x, (tuple, list, np.ndarray))
    if not (pair(dimension_numbers) and all(pair(p) for p in dimension_numbers) and all(
            axes(d) for p in dimension_numbers for d in p)):
        raise TypeError(f"dot_general: dimension_numbers must have the form {_DN_FORM} (each a "
                        f"sequence of axes), got {dimension_numbers!r}")
    (lc, rc), (lb, rb) = dimension_numbers
    return ((as_int_tuple(lc, "dot_general", "contracting dims"),
             as_int_tuple(rc, "dot_general", "contracting dims")),
            (as_int_tuple(lb, "dot_general", "batch dims"),
             as_int_tuple(rb, "dot_general", "batch dims")))


@dot_general_p.def_abstract_eval
def _dot_general_abstract_eval(lhs, rhs, *, dimension_numbers, preferred_element_type):
    check_same_dtypes("dot_general", lhs, rhs)
    if lhs.dtype not in _DOT_DTYPES:
        raise dtype_error("dot_general", "supports float32, float64, int32, int64, complex64 and "
                          "complex128", lhs, rhs)
    _check_dims(lhs, rhs, dimension_numbers)
    (lc, rc), (lb, rb) = dimension_numbers
    batch = [lhs.shape[d] for d in lb]
    lfree = [d for i, d in enumerate(lhs.shape) if i not in lc and i not in lb]
    rfree = [d for i, d in enumerate(rhs.shape) if i not in rc and i not in rb]
    out_dtype = preferred_element_type or lhs.dtype
    return ShapedArray(batch + lfree + rfree, out_dtype, lhs.weak_type and rhs.weak_type)


# Bilinear: d(lhs . rhs) = t_lhs . rhs + lhs . t_rhs.
ad.defjvp(dot_general_p,
          lambda g, lhs, rhs, **params: bind(dot_general_p, g, rhs, **params),
          lambda g, lhs, rhs, **params: bind(dot_general_p, lhs, g, **params))


def _free_dims(ndim, contract, batch):
    return [i for i in range(ndim) if i not in contract and i not in batch]


def _dot_transpose_operand(ct, x_aval, y, x_contract, y_contract, x_batch, y_batch, x_first,
                           preferred_element_type):
    """Cotangent of operand x of ``out = dot_general(x, y)`` (or ``(y, x)`` if not x_first).

    ``ct`` has axes batch + (x free) + (y free), with x's free axes first iff x_first.
    Contracting ct's y-free axes with y's free axes (batching over the batch axes) gives
    batch + (x free) + (y contract axes in increasing order) = x's axes in the order
    x_batch + x_free + x_contract[argsort(y_contract)]; a transpose restores x's order."""
    y_ndim = len(y.aval.shape) if ad.is_undefined(y) else y.ndim
    x_free = _free_dims(len(x_aval.shape), x_contract, x_batch)
    y_free = _free_dims(y_ndim, y_contract, y_batch)
    nb = len(x_batch)
    if x_first:
        ct_y_free = list(range(nb + len(x_free), nb + len(x_free) + len(y_free)))
    else:
        ct_y_free = list(range(nb, nb + len(y_free)))
    dims = ((tuple(ct_y_free), tuple(y_free)), (tuple(range(nb)), tuple(y_batch)))
    out = bind(dot_general_p, ct, y, dimension_numbers=dims,
               preferred_element_type=preferred_element_type)
    x_contract_by_y = [x_contract[i] for i in np.argsort(y_contract, kind="stable")]
    order = list(x_batch) + x_free + x_contract_by_y
    return transpose(out, tuple(int(i) for i in np.argsort(order)))


@_linear_transpose
def _dot_general_transpose_rule(ct, lhs, rhs, *, dimension_numbers, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    ct_lhs = ct_rhs = None
    if ad.is_undefined(lhs) and ad.is_undefined(rhs):
        raise NotImplementedError("dot_general is bilinear, not linear: cannot transpose it "
                                  "with respect to both operands at once")
    if ad.is_undefined(lhs):
        ct_lhs = _dot_transpose_operand(ct, lhs.aval, rhs, lc, rc, lb, rb, True,
                                        preferred_element_type)
    if ad.is_undefined(rhs):
        ct_rhs = _dot_transpose_operand(ct, rhs.aval, lhs, rc, lc, rb, lb, False,
                                        preferred_element_type)
    return [ct_lhs, ct_rhs]


ad.deftranspose(dot_general_p, _dot_general_transpose_rule)


def _dot_general_batching_rule(axis_size, args, dims, *, dimension_numbers,
                               preferred_element_type):
    """Both operands batched: a new leading batch dimension.  One batched: its batch axis is a
    free dimension, which the output keeps (output order: batch, lhs free, rhs free)."""
    (lhs, rhs), (ld, rd) = args, dims
    (lc, rc), (lb, rb) = dimension_numbers
    if ld is not None and rd is not None:
        lhs, rhs = batching.moveaxis(lhs, ld, 0), batching.moveaxis(rhs, rd, 0)
        up = lambda axes: tuple(a + 1 for a in axes)  # noqa: E731
        dn = ((up(lc), up(rc)), ((0,) + up(lb), (0,) + up(rb)))
        out_dim = 0
    elif ld is not None:
        dn = ((batching.shift_axes(lc, ld), rc), (batching.shift_axes(lb, ld), rb))
        lfree = _free_dims(lhs.ndim, dn[0][0], dn[1][0])
        out_dim = len(lb) + lfree.index(ld)
    else:
        dn = ((lc, batching.shift_axes(rc, rd)), (lb, batching.shift_axes(rb, rd)))
        n_lfree = lhs.ndim - len(lc) - len(lb)
        rfree = _free_dims(rhs.ndim, dn[0][1], dn[1][1])
        out_dim = len(lb) + n_lfree + rfree.index(rd)
    return bind(dot_general_p, lhs, rhs, dimension_numbers=dn,
                preferred_element_type=preferred_element_type), out_dim


batching.batching_rules[dot_general_p] = _dot_general_batching_rule


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    """General tensor contraction.  ``dimension_numbers = ((lhs_contract, rhs_contract),
    (lhs_batch, rhs_batch))``; the output is batch dims, then lhs free dims, then rhs free dims.
    ``precision`` / ``preferred_element_type`` as JAX's (see ``fnx.lax._precision``)."""
    lhs, rhs = as_operands(lhs, rhs)
    dn = _dimension_numbers(dimension_numbers)
    return contract_with("dot_general", lambda a, b: bind(
        dot_general_p, a, b, dimension_numbers=dn, preferred_element_type=None),
        (lhs, rhs), precision, preferred_element_type)


def dot(lhs, rhs, precision=None, preferred_element_type=None, *, dimension_numbers=None):
    """Vector/matrix dot product (lax.dot): contracts the last axis of lhs with the first of
    rhs; with ``dimension_numbers``, ``dot_general`` (JAX's newer signature)."""
    lhs, rhs = as_operands(lhs, rhs)
    if dimension_numbers is None:
        if lhs.ndim not in (1, 2) or rhs.ndim not in (1, 2):
            raise shape_error("dot", "operands must be vectors or matrices", lhs, rhs)
        dimension_numbers = (((lhs.ndim - 1,), (0,)), ((), ()))
    return dot_general(lhs, rhs, dimension_numbers, precision, preferred_element_type)


# =============================================================================================
# Decompositions
# =============================================================================================

def _mm(a, b):
    """The matrix product of the last two axes, batched over the (equal) leading ones."""
    batch = tuple(range(a.ndim - 2))
    return dot_general(a, b, (((a.ndim - 1,), (b.ndim - 2,)), (batch, batch)))


def _check_matrix(op: str, x, square: bool = False) -> None:
    """A float32/64 or complex64/128 operand with at least two axes (square when ``square``)."""
    if x.dtype not in dtypes.INEXACT:
        raise dtype_error(op, "needs a float32, float64, complex64 or complex128 operand", x)
    if x.ndim < 2:
        raise shape_error(op, "needs an operand of at least two dimensions (..., m, n)", x)
    if square and x.shape[-1] != x.shape[-2]:
        raise shape_error(op, "needs square matrices in the last two axes (..., n, n)", x)


def _batched_at_front(prim, n_results: int | None = None):
    """A batching rule for a primitive over (..., matrix axes): the batch axis of every
    batched operand moved to the front (it is one more leading dimension), unbatched operands
    broadcast to it; every output batched at 0."""
    def rule(axis_size, args, dims, **params):
        args = [batching.move_to(x, d, axis_size, 0) for x, d in zip(args, dims)]
        out = bind(prim, *args, **params)
        return out, ([0] * len(out) if prim.multiple_results else 0)
    batching.batching_rules[prim] = rule
    return rule


def _solve(a, b, *, left_side, lower, transpose_a=False, conjugate_a=False,
           unit_diagonal=False):
    """Binds triangular_solve_p with its params normalized: ``conjugate_a`` only for complex
    matrices and only with ``transpose_a`` (the kernel's ops are a, a^T and a^H), so a solve
    with conj(a) itself is one with the conjugated matrix."""
    conjugate_a = bool(conjugate_a) and dtypes.is_complex(a.dtype)
    if conjugate_a and not transpose_a:
        a, conjugate_a = conj(a), False
    return bind(triangular_solve_p, a, b, left_side=bool(left_side), lower=bool(lower),
                transpose_a=bool(transpose_a), conjugate_a=conjugate_a,
                unit_diagonal=bool(unit_diagonal))


def _from_triangle(x, lower: bool):
    """The symmetric (complex: Hermitian) matrix a decomposition reading only the ``lower``
    (or upper) triangle of ``x`` sees: that triangle mirrored (conjugated) across the
    diagonal, whose imaginary part is ignored."""
    strict = _tril(x, -1) if lower else _triu(x, 1)
    return add(add(strict, _mh(strict)), _real_diagonal_matrix(x))


def _hermitian_part(x):
    """(x + x^H) / 2: the symmetric (Hermitian) matrix ``symmetrize_input`` decomposes."""
    return mul(add(x, _mh(x)), np.array(0.5, x.dtype))


# ---------------------------------------------------------------------------------------------
# cholesky: A = L L^H, L lower triangular
# ---------------------------------------------------------------------------------------------

cholesky_p = Primitive("cholesky", fusion=Fusion.LIBRARY)


@cholesky_p.def_abstract_eval
def _cholesky_abstract_eval(x):
    _check_matrix("cholesky", x, square=True)
    return ShapedArray(x.shape, x.dtype, False)


_batched_at_front(cholesky_p)


def _cholesky_jvp_rule(primals, tangents):
    """A = L L^H gives L^-1 A' L^-H = X + X^H with X = L^-1 L' lower triangular, so
    L' = L Phi(L^-1 A' L^-H), Phi taking the strict lower triangle and half the (real)
    diagonal.  A' is the tangent of the matrix the primitive reads: its lower triangle,
    mirrored (Hermitian)."""
    (x,), (g,) = primals, tangents
    chol = bind(cholesky_p, x)
    g = _from_triangle(g, lower=True)
    inner = _solve(chol, _solve(chol, g, left_side=True, lower=True), left_side=False,
                   lower=True, transpose_a=True, conjugate_a=True)
    phi = add(_tril(inner, -1), mul(_real_diagonal_matrix(inner), np.array(0.5, x.dtype)))
    return chol, _mm(chol, phi)


ad.jvp_rules[cholesky_p] = _cholesky_jvp_rule


def cholesky(x, *, symmetrize_input: bool = True):
    """The lower Cholesky factor ``L`` of each symmetric (complex: Hermitian) positive
    definite matrix in the last two axes of ``x`` (``A = L @ L^H``).  Only the lower triangle
    is read (after averaging ``x`` with its conjugate transpose when ``symmetrize_input``).
    A matrix that is not positive definite gives a factor of NaNs (JAX's convention)."""
    (x,) = as_operands(x, op="cholesky")
    if symmetrize_input and x.ndim >= 2:
        _check_matrix("cholesky", x.aval, square=True)
        x = _hermitian_part(x)
    return bind(cholesky_p, x)


# ---------------------------------------------------------------------------------------------
# triangular_solve: op(A) X = B (left_side) or X op(A) = B, A triangular
# ---------------------------------------------------------------------------------------------

triangular_solve_p = Primitive("triangular_solve", fusion=Fusion.LIBRARY)


def triangular_solve_op(params) -> int:
    """The kernel's ``transpose_a`` code of a solve's params: 0 a, 1 a^T, 2 a^H."""
    return 2 if params["conjugate_a"] else int(params["transpose_a"])


@triangular_solve_p.def_abstract_eval
def _triangular_solve_abstract_eval(a, b, *, left_side, lower, transpose_a, conjugate_a,
                                    unit_diagonal):
    _check_matrix("triangular_solve", a, square=True)
    _check_matrix("triangular_solve", b)
    check_same_dtypes("triangular_solve", a, b)
    if conjugate_a and not (transpose_a and dtypes.is_complex(a.dtype)):
        raise dtype_error("triangular_solve", "binds conjugate_a=True only with transpose_a "
                          "and a complex matrix (fnx.lax.linalg.triangular_solve conjugates "
                          "a itself otherwise)", a, b)
    m = a.shape[-1]
    if a.shape[:-2] != b.shape[:-2] or b.shape[-2 if left_side else -1] != m:
        side = "b's rows (left_side=True)" if left_side else "b's columns (left_side=False)"
        raise shape_error("triangular_solve", f"a (..., {m}, {m}) must match {side} and b's "
                          "leading (batch) dimensions", a, b)
    return ShapedArray(b.shape, b.dtype, False)


def _triangle_of(g, *, lower, unit_diagonal):
    """The part of ``g`` that triangular_solve reads (the diagonal is not read when unit)."""
    if lower:
        return _tril(g, -1 if unit_diagonal else 0)
    return _triu(g, 1 if unit_diagonal else 0)


def _triangular_solve_jvp_a(g, ans, a, b, **params):
    """op(A) X = B gives op(A) X' = -op(A') X (left side); X op(A) = B gives X' op(A) =
    -X op(A'); op is linear (complex: the conjugation is R-linear), so op(A') is op of A's
    tangent."""
    g = _triangle_of(g, lower=params["lower"], unit_diagonal=params["unit_diagonal"])
    op_g = _mt(g) if params["transpose_a"] else g
    op_g = conj(op_g) if params["conjugate_a"] else op_g
    rhs = _mm(op_g, ans) if params["left_side"] else _mm(ans, op_g)
    return neg(_solve(a, rhs, **params))


def _triangular_solve_jvp_b(g, ans, a, b, **params):
    return bind(triangular_solve_p, a, g, **params)  # linear in b


ad.defjvp2(triangular_solve_p, _triangular_solve_jvp_a, _triangular_solve_jvp_b)


@_linear_transpose
def _triangular_solve_transpose_rule(ct, a, b, *, transpose_a, **params):
    """X = op(A)^-1 B (left side) transposes to op(A)^-T ct; X = B op(A)^-1 to ct op(A)^-T:
    the same solve with ``transpose_a`` flipped (and the conjugation kept: (A^H)^-T is
    conj(A)^-1), with no conjugation of the cotangent (JAX's convention)."""
    if ad.is_undefined(a):
        raise NotImplementedError("triangular_solve is linear in b only: it cannot be "
                                  "transposed with respect to the matrix a")
    return [None, _solve(a, ct, transpose_a=not transpose_a, **params)]


ad.deftranspose(triangular_solve_p, _triangular_solve_transpose_rule)


def _triangular_solve_batching_rule(axis_size, args, dims, **params):
    """One matrix ``a`` for a batch of right-hand sides: the examples become more columns
    (left side: columns are solved independently) or rows (right side) of one ``b``, so
    ``a`` is not copied per example.  Otherwise both batch axes move to the front."""
    (a, b), (a_dim, b_dim) = args, dims
    if a_dim is not None or b_dim is None:
        a, b = (batching.move_to(x, d, axis_size, 0) for x, d in zip(args, dims))
        return bind(triangular_solve_p, a, b, **params), 0
    nd = b.ndim  # one more than an example's rank
    if params["left_side"]:  # (..., m, k, B) -> (..., m, k B)
        b = batching.moveaxis(b, b_dim, nd - 1)
        folded = reshape(b, tuple(b.shape[:-2]) + (b.shape[-2] * b.shape[-1],))
        out_dim = nd - 1
    else:  # (..., B, r, m) -> (..., B r, m)
        b = batching.moveaxis(b, b_dim, nd - 3)
        folded = reshape(b, tuple(b.shape[:-3]) + (b.shape[-3] * b.shape[-2], b.shape[-1]))
        out_dim = nd - 3
    out = bind(triangular_solve_p, a, folded, **params)
    return reshape(out, tuple(b.shape)), out_dim


batching.batching_rules[triangular_solve_p] = _triangular_solve_batching_rule


def triangular_solve(a, b, *, left_side: bool = False, lower: bool = False,
                     transpose_a: bool = False, conjugate_a: bool = False,
                     unit_diagonal: bool = False):
    """``X`` with ``op(a) @ X = b`` (``left_side``) or ``X @ op(a) = b``, where ``op(a)`` is
    ``a``, its transpose (``transpose_a``), its conjugate (``conjugate_a``) or its conjugate
    transpose (both), and ``a`` is lower or upper triangular (only that triangle is read;
    ``unit_diagonal`` takes its diagonal as ones).  JAX's signature; ``conjugate_a`` changes
    nothing for real matrices.  A zero on the diagonal gives inf/NaN."""
    a, b = as_operands(a, b, op="triangular_solve")
    return _solve(a, b, left_side=left_side, lower=lower, transpose_a=transpose_a,
                  conjugate_a=conjugate_a, unit_diagonal=unit_diagonal)


# ---------------------------------------------------------------------------------------------
# lu: P A = L U with partial pivoting
# ---------------------------------------------------------------------------------------------

lu_p = Primitive("lu", multiple_results=True, fusion=Fusion.LIBRARY)


@lu_p.def_abstract_eval
def _lu_abstract_eval(x):
    _check_matrix("lu", x)
    *batch, m, n = x.shape
    return [ShapedArray(x.shape, x.dtype, False),
            ShapedArray((*batch, min(m, n)), dtypes.int32, False),
            ShapedArray((*batch, m), dtypes.int32, False)]


_batched_at_front(lu_p)


def _unit_lower_square(lu_):
    """L (m, k) completed to a unit lower triangular (m, m) by the last columns of I."""
    m, n = lu_.shape[-2:]
    k = min(m, n)
    cols = _slice(lu_, (0,) * lu_.ndim, tuple(lu_.shape[:-1]) + (k,))
    cols = pad(cols, np.array(0, lu_.dtype), ((0, 0, 0),) * (lu_.ndim - 1) + ((0, m - k, 0),))
    return select(_const(lu_, np.tri(m, m, -1, dtype=bool), np.bool_), cols, _eye_like(cols))


def _upper_square(lu_):
    """U (k, n) completed to an upper triangular (n, n) by the last rows of I."""
    m, n = lu_.shape[-2:]
    k = min(m, n)
    rows = _slice(lu_, (0,) * lu_.ndim, tuple(lu_.shape[:-2]) + (k, n))
    rows = pad(rows, np.array(0, lu_.dtype),
               ((0, 0, 0),) * (lu_.ndim - 2) + ((0, n - k, 0), (0, 0, 0)))
    keep = ~np.tri(n, n, -1, dtype=bool) & (np.arange(n) < k)[:, None]
    return select(_const(rows, keep, np.bool_), rows,
                  _const(rows, np.diag((np.arange(n) >= k).astype(float))))


def _permutation_matrix(permutation, like):
    """P (..., m, m) with ``P @ x == x[..., permutation, :]``."""
    m = permutation.shape[-1]
    shape = tuple(permutation.shape) + (m,)
    cols = broadcasted_iota(permutation.dtype, shape, len(shape) - 1)
    return convert_element_type(eq(_along_rows(permutation, shape), cols), like.dtype)


def _lu_jvp_rule(primals, tangents):
    """P A = L U with L (m, k) unit lower and U (k, n) upper.  Completed to squares L_ (m, m)
    and U_ (n, n) (identity blocks), F = L_^-1 P A' U_^-1 splits into L_^-1 L' (strictly
    lower) and U' U_^-1 (upper), so L' = L_ tril(F, -1) and U' = triu(F) U_, which share the
    packed (m, n) layout of ``lu``.  Holomorphic: the same formula for complex matrices.
    Pivots and permutation are integers: zero tangents."""
    (x,), (g,) = primals, tangents
    lu_, pivots, permutation = outs = bind(lu_p, x)
    lower, upper = _unit_lower_square(lu_), _upper_square(lu_)
    pg = _mm(_permutation_matrix(permutation, x), g)
    f = _solve(upper, _solve(lower, pg, left_side=True, lower=True, unit_diagonal=True),
               left_side=False, lower=False)
    lu_dot = add(_mm(lower, _tril(f, -1)), _mm(_triu(f), upper))
    return outs, [lu_dot, ad.Zero.from_value(pivots), ad.Zero.from_value(permutation)]


ad.jvp_rules[lu_p] = _lu_jvp_rule


def lu(x):
    """LU decomposition with partial pivoting of the last two axes, as ``jax.lax.linalg.lu``:
    ``(lu, pivots, permutation)``.  ``lu`` holds ``L`` (unit lower, diagonal not stored) below
    the diagonal and ``U`` on and above it; ``pivots[i]`` is the row swapped with row ``i`` at
    step ``i`` (LAPACK's ipiv, 0-based); ``permutation`` is the resulting row order, so
    ``x[..., permutation, :] == L @ U``.  A singular matrix gives a zero on ``U``'s diagonal."""
    (x,) = as_operands(x, op="lu")
    lu_, pivots, permutation = bind(lu_p, x)
    return lu_, pivots, permutation


# ---------------------------------------------------------------------------------------------
# qr: A = Q R (Householder)
# ---------------------------------------------------------------------------------------------

qr_p = Primitive("qr", multiple_results=True, fusion=Fusion.LIBRARY)


@qr_p.def_abstract_eval
def _qr_abstract_eval(x, *, full_matrices):
    _check_matrix("qr", x)
    *batch, m, n = x.shape
    k = m if full_matrices else min(m, n)
    return [ShapedArray((*batch, m, k), x.dtype, False),
            ShapedArray((*batch, k, n), x.dtype, False)]


_batched_at_front(qr_p)


def _qr_jvp_rule(primals, tangents, *, full_matrices):
    """A = Q R (m >= n, Q with orthonormal columns): C = Q^H A' R^-1 = Q^H Q' + R' R^-1 with
    Q^H Q' skew-Hermitian and R' R^-1 upper, so off the diagonal Q^H Q' = Omega =
    tril(C, -1) - tril(C, -1)^H; its diagonal is imaginary, and R's real diagonal (LAPACK's
    convention) fixes it to i Im(diag(C)) (JAX's choice).  R' = (C - Omega) R and
    Q' = A' R^-1 - Q (C - Omega)."""
    (x,), (g,) = primals, tangents
    m, n = x.shape[-2:]
    if m < n or (full_matrices and m != n):
        raise DerivativeNotImplementedError(
            f"qr: the derivative is implemented for m >= n with full_matrices=False (or square "
            f"matrices), as in JAX; got a matrix of shape {tuple(x.shape)} (m={m}, n={n}) with "
            f"full_matrices={full_matrices}")
    q, r = outs = bind(qr_p, x, full_matrices=full_matrices)
    g_rinv = _solve(r, g, left_side=False, lower=False)
    c = _mm(_mh(q), g_rinv)
    lower = _tril(c, -1)
    omega = sub(lower, _mh(lower))
    if _is_complex(c):
        omega = add(omega, sub(_diagonal_matrix(c), _real_diagonal_matrix(c)))
    return outs, [add(_mm(q, sub(omega, c)), g_rinv), _mm(sub(c, omega), r)]


ad.jvp_rules[qr_p] = _qr_jvp_rule


def qr(x, *, full_matrices: bool = True):
    """``(q, r)`` with ``x = q @ r``, ``q`` orthonormal (unitary) columns, ``r`` upper
    triangular, by Householder reflections (LAPACK's sign convention, as numpy).
    ``full_matrices``: ``q`` is (m, m) and ``r`` (m, n); else (m, k) and (k, n) with
    k = min(m, n)."""
    (x,) = as_operands(x, op="qr")
    q, r = bind(qr_p, x, full_matrices=bool(full_matrices))
    return q, r


# ---------------------------------------------------------------------------------------------
# eigh: A = V diag(w) V^H for symmetric (Hermitian) A
# ---------------------------------------------------------------------------------------------

eigh_p = Primitive("eigh", multiple_results=True, fusion=Fusion.LIBRARY)


@eigh_p.def_abstract_eval
def _eigh_abstract_eval(x, *, lower):
    _check_matrix("eigh", x, square=True)
    return [ShapedArray(x.shape, x.dtype, False),
            ShapedArray(x.shape[:-1], dtypes.real_of(x.dtype), False)]


_batched_at_front(eigh_p)


def _eigh_jvp_rule(primals, tangents, *, lower):
    """A = V diag(w) V^H: with S = V^H A' V, w' = Re(diag(S)) and V' = V (F o S), F[i, j] =
    1 / (w[j] - w[i]) off the diagonal, 0 on it (inf / NaN for repeated eigenvalues, as in
    JAX; complex: the diagonal's imaginary part, a phase change of each eigenvector, is
    dropped as JAX does).  A' is the tangent of the Hermitian matrix the primitive reads
    (one triangle)."""
    (x,), (g,) = primals, tangents
    v, w = outs = bind(eigh_p, x, lower=lower)
    s = _mm(_mh(v), _mm(_from_triangle(g, lower), v))
    f = _as(_inverse_gaps(_column_minus_row(w)), x.dtype)
    dw = _diag(s)
    return outs, [_mm(v, mul(f, s)), real(dw) if _is_complex(dw) else dw]


ad.jvp_rules[eigh_p] = _eigh_jvp_rule


def eigh(x, *, lower: bool = True, symmetrize_input: bool = True, sort_eigenvalues: bool = True):
    """``(v, w)`` as ``jax.lax.linalg.eigh``: eigenvectors (columns of ``v``) and eigenvalues
    ``w`` (real, also for complex Hermitian input) in ascending order of each matrix in the
    last two axes.  Only the ``lower`` (or upper) triangle is read, after averaging ``x``
    with its conjugate transpose when ``symmetrize_input``.  Eigenvalues always come sorted
    (``sort_eigenvalues`` is accepted for JAX's signature)."""
    (x,) = as_operands(x, op="eigh")
    if symmetrize_input and x.ndim >= 2:
        _check_matrix("eigh", x.aval, square=True)
        x = _hermitian_part(x)
    v, w = bind(eigh_p, x, lower=bool(lower))
    return v, w


# ---------------------------------------------------------------------------------------------
# svd: A = U diag(s) V^H
# ---------------------------------------------------------------------------------------------

svd_p = Primitive("svd", multiple_results=True, fusion=Fusion.LIBRARY)


@svd_p.def_abstract_eval
def _svd_abstract_eval(x, *, full_matrices, compute_uv):
    _check_matrix("svd", x)
    *batch, m, n = x.shape
    k = min(m, n)
    s = ShapedArray((*batch, k), dtypes.real_of(x.dtype), False)
    if not compute_uv:
        return [s]
    mu, nv = (m, n) if full_matrices else (k, k)
    return [s, ShapedArray((*batch, m, mu), x.dtype, False),
            ShapedArray((*batch, nv, n), x.dtype, False)]


_batched_at_front(svd_p)


def _reciprocal_or_zero(s):
    """1 / s, and 0 where s is 0."""
    zero = eq(s, _zeros(s))
    return select(zero, _zeros(s), div(_full(s, 1), select(zero, _full(s, 1), s)))


def _svd_jvp_rule(primals, tangents, *, full_matrices, compute_uv):
    """A = U S V^H (reduced: k = min(m, n) columns).  P = U^H A' V = U^H U' S + S' + S V'^H V
    with U^H U', V^H V' skew-Hermitian: s' = Re(diag(P)); off the diagonal U^H U' = F o (P S
    + S P^H) and V^H V' = F o (S P + P^H S), F[i, j] = 1 / (s[j]^2 - s[i]^2); complex: the
    imaginary diagonal of P (a joint phase of u_i and v_i) goes to U' as i Im(P_ii) / s_i
    (JAX's choice); a tall A adds (I - U U^H) A' V S^-1 to U', a wide one
    (I - V V^H) A'^H U S^-1 to V'."""
    (x,), (g,) = primals, tangents
    m, n = x.shape[-2:]
    if compute_uv and full_matrices and m != n:
        raise DerivativeNotImplementedError(
            f"svd: the derivative of u and vt with full_matrices=True is implemented for square "
            f"matrices only, as in JAX; got a matrix of shape {tuple(x.shape)} (use "
            "full_matrices=False)")
    s, u, vt = bind(svd_p, x, full_matrices=False, compute_uv=True)
    v = _mh(vt)
    p = _mm(_mh(u), _mm(g, v))
    ds = _diag(p)
    ds = real(ds) if _is_complex(ds) else ds
    if not compute_uv:
        return [s], [ds]
    sc, s_inv = _as(s, x.dtype), _as(_reciprocal_or_zero(s), x.dtype)
    f = _as(_inverse_gaps(mul(_column_minus_row(s), add(_along_cols(s, p.shape),
                                                        _along_rows(s, p.shape)))), x.dtype)
    ps, sp = _scale_cols(p, sc), _scale_rows(p, sc)
    inner_u = mul(f, add(ps, _mh(ps)))
    if _is_complex(p):
        phase = sub(_diagonal_matrix(p), _real_diagonal_matrix(p))
        inner_u = add(inner_u, _scale_cols(phase, s_inv))
    du = _mm(u, inner_u)
    dv = _mm(v, mul(f, add(sp, _mh(sp))))
    if m > n:
        gv = _mm(g, v)
        du = add(du, _scale_cols(sub(gv, _mm(u, _mm(_mh(u), gv))), s_inv))
    if n > m:
        ghu = _mm(_mh(g), u)
        dv = add(dv, _scale_cols(sub(ghu, _mm(v, _mm(vt, ghu))), s_inv))
    return [s, u, vt], [ds, du, _mh(dv)]


ad.jvp_rules[svd_p] = _svd_jvp_rule


def svd(x, *, full_matrices: bool = True, compute_uv: bool = True):
    """``(u, s, vt)`` with ``x = u @ diag(s) @ vt`` and ``s`` descending (non-negative, real
    also for complex ``x``; ``vt`` is V^H), or just ``s`` without ``compute_uv`` --
    ``jax.lax.linalg.svd``'s results."""
    (x,) = as_operands(x, op="svd")
    outs = bind(svd_p, x, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))
    if not compute_uv:
        return outs[0]
    s, u, vt = outs
    return u, s, vt


# the general eigendecomposition lives in its own module (it builds on the blocks above)
from .linalg_eig import eig, eig_p  # noqa: E402,F401
# jax.lax.linalg's remaining names, compositions of the primitives above
from ._linalg_extras import (  # noqa: E402,F401
    EigImplementation, EighImplementation, SvdAlgorithm, cholesky_update, hessenberg,
    householder_product, lu_pivots_to_permutation, ormqr, qdwh, schur, symmetric_product,
    tridiagonal, tridiagonal_solve)
