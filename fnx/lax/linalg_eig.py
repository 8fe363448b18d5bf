"""``eig``: the eigendecomposition of general (non-symmetric) square matrices, as
``jax.lax.linalg.eig`` (exported as ``fnx.lax.linalg.eig``).

``a v = v diag(w)`` over the last two axes, batched over any leading ones; float32 / float64 /
complex64 / complex128 input, eigenvalues ``w`` and right eigenvectors ``v`` (columns) always
complex of the input's precision (JAX's rule).  Each eigenvector has unit 2-norm and its largest
component real positive (LAPACK zgeev's normalization, the CPU kernel's and the numpy oracle's),
which fixes the phase the derivative of ``v`` must respect.  No convergence: all NaN.

The primitive has no fusion kind: under jit it runs its impl between native segments.
"""
from __future__ import annotations

from .. import dtypes
from ..core import Primitive, ShapedArray, bind
from ..interpreters import ad
from ..errors import shape_error
from ._linalg_helpers import (_along_cols, _as, _column_minus_row, _diag, _inverse_gaps,
                              _scale_cols, _zeros)
from ._util import as_operands
from .elementwise import complex as make_complex, add, conj, div, eq, imag, mul, neg, real, select
from .linalg import _batched_at_front, _check_matrix, _mm, _permutation_matrix, _solve, lu_p
from .reduction import argmax, reduce_sum
from .shape import broadcasted_iota

eig_p = Primitive("eig", multiple_results=True)


@eig_p.def_abstract_eval
def _eig_abstract_eval(x, *, compute_left_eigenvectors, compute_right_eigenvectors):
    _check_matrix("eig", x, square=True)
    if compute_left_eigenvectors:
        raise NotImplementedError("eig: left eigenvectors are not implemented "
                                  "(compute_left_eigenvectors=True); transpose the matrix and "
                                  "take the conjugate of its right eigenvectors instead")
    out = dtypes.complex_of(x.dtype)
    w = ShapedArray(x.shape[:-1], out, False)
    return [w, ShapedArray(x.shape, out, False)] if compute_right_eigenvectors else [w]


_batched_at_front(eig_p)


def _general_solve(a, b):
    """``a^-1 b`` for square ``a`` (..., n, n), by LU with partial pivoting."""
    lu_, _, permutation = bind(lu_p, a)
    pb = _mm(_permutation_matrix(permutation, a), b)
    y = _solve(lu_, pb, left_side=True, lower=True, unit_diagonal=True)
    return _solve(lu_, y, left_side=True, lower=False)


def _column_sums(x):
    """The sum of each column of (..., n, n): (..., n)."""
    return reduce_sum(x, (x.ndim - 2,))


def _largest_entry_mask(v):
    """(..., n, n) bool: the entry of largest magnitude of each column of ``v`` (the one the
    normalization made real positive)."""
    rows = argmax(real(mul(v, conj(v))), v.ndim - 2, dtypes.int32)
    shape = tuple(v.shape)
    return eq(broadcasted_iota(dtypes.int32, shape, v.ndim - 2), _along_cols(rows, shape))


def _fix_gauge(v, dv):
    """The tangent ``dv + v diag(c)`` that keeps each column's normalization: unit norm
    (Re(v_i^H dv_i) = 0 fixes Re(c_i)) and its largest component v[k, i] real (Im(dv[k, i]) = 0
    fixes Im(c_i); v[k, i] > 0 is real, so the two conditions are independent)."""
    if v.shape[-2] == 0:   # no components: nothing to fix (and no largest one)
        return dv
    re_c = neg(real(_column_sums(mul(conj(v), dv))))
    largest = _largest_entry_mask(v)
    dv_k, v_k = (_column_sums(select(largest, z, _zeros(z))) for z in (dv, v))
    im_c = neg(div(imag(dv_k), real(v_k)))
    return add(dv, _scale_cols(v, make_complex(re_c, im_c)))


def _eig_jvp_rule(primals, tangents, *, compute_left_eigenvectors,
                  compute_right_eigenvectors):
    """A V = V diag(w): with S = V^-1 A' V, w' = diag(S) and V' = V (F o S) + V diag(c),
    F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it (inf / NaN for repeated
    eigenvalues); c (any multiple of each eigenvector is one) is fixed by the normalization."""
    (x,), (g,) = primals, tangents
    w, v = bind(eig_p, x, compute_left_eigenvectors=False, compute_right_eigenvectors=True)
    s = _general_solve(v, _mm(_as(g, v.dtype), v))
    dw = _diag(s)
    if not compute_right_eigenvectors:
        return [w], [dw]
    dv = _mm(v, mul(_inverse_gaps(_column_minus_row(w)), s))
    return [w, v], [dw, _fix_gauge(v, dv)]


ad.jvp_rules[eig_p] = _eig_jvp_rule


def eig(x, *, compute_left_eigenvectors: bool = False, compute_right_eigenvectors: bool = True):
    """``[w, v]`` (or ``[w]`` without ``compute_right_eigenvectors``): eigenvalues and right
    eigenvectors (columns, unit norm, largest component real positive) of each square matrix
    in the last two axes, complex also for real ``x`` -- ``jax.lax.linalg.eig``'s signature.
    Left eigenvectors raise NotImplementedError.  Eigenvalues are not sorted."""
    (x,) = as_operands(x, op="eig")
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise shape_error("eig", "needs square matrices in the last two axes (..., n, n)", x)
    return bind(eig_p, x, compute_left_eigenvectors=bool(compute_left_eigenvectors),
                compute_right_eigenvectors=bool(compute_right_eigenvectors))
