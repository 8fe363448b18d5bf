"""Matrix helpers of the decompositions' JVP rules (fnx/lax/linalg.py, linalg_eig.py).

They work on stacks of matrices (..., m, n) and are written with fnx.lax operations that have
JVP and transpose rules themselves, so the rules linearize, transpose (reverse mode) and
differentiate again (higher orders) like any fnx function.  Complex matrices: ``_mh`` is the
conjugate (Hermitian) transpose, the adjoint the real rules' transposes become.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..core import Array
from .elementwise import add, conj, convert_element_type, div, mul, real, select, sub
from .reduction import reduce_sum
from .shape import broadcast_in_dim, transpose


def _is_complex(x) -> bool:
    return dtypes.is_complex(x.dtype)


def _mt(x):
    """The matrix transpose of the last two axes."""
    perm = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return transpose(x, perm)


def _const(x, value: np.ndarray, dtype=None):
    """The numpy matrix ``value`` broadcast over the leading axes of ``x``."""
    c = Array(np.asarray(value, dtype if dtype is not None else x.dtype))
    lead = tuple(x.shape[:-2])
    return broadcast_in_dim(c, lead + c.shape, tuple(range(len(lead), len(lead) + c.ndim)))


def _full(x, value):
    """An array of ``x``'s shape and dtype filled with ``value``."""
    return broadcast_in_dim(Array(np.array(value, x.dtype)), tuple(x.shape), ())


def _zeros(x):
    return _full(x, 0)


def _mask(x, keep: np.ndarray):
    """``x`` where the (m, n) bool matrix ``keep`` is set, else 0 (a select, so NaN / inf in
    the dropped entries do not leak into the kept ones or into cotangents)."""
    return select(_const(x, keep, np.bool_), x, _zeros(x))


def _tril(x, k: int = 0):
    m, n = x.shape[-2:]
    return _mask(x, np.tri(m, n, k, dtype=bool))


def _triu(x, k: int = 0):
    m, n = x.shape[-2:]
    return _mask(x, ~np.tri(m, n, k - 1, dtype=bool))


def _eye_like(x):
    return _const(x, np.eye(x.shape[-2], x.shape[-1]))


def _diag(x):
    """The diagonals (..., n) of square matrices (..., n, n)."""
    return reduce_sum(_mask(x, np.eye(x.shape[-1], dtype=bool)), (x.ndim - 1,))


def _along_rows(v, shape):
    """(..., k) -> (..., k, n): ``v[..., i]`` in every entry of row i."""
    return broadcast_in_dim(v, tuple(shape), tuple(range(v.ndim - 1)) + (v.ndim - 1,))


def _along_cols(v, shape):
    """(..., k) -> (..., m, k): ``v[..., j]`` in every entry of column j."""
    return broadcast_in_dim(v, tuple(shape), tuple(range(v.ndim - 1)) + (v.ndim,))


def _scale_cols(x, v):
    """``x @ diag(v)``."""
    return mul(x, _along_cols(v, x.shape))


def _scale_rows(x, v):
    """``diag(v) @ x``."""
    return mul(x, _along_rows(v, x.shape))


def _inverse_gaps(d):
    """``F[..., i, j] = 1 / (d[j] - d[i])`` off the diagonal and 0 on it, for the (k, k)
    matrices ``d`` of differences (inf where two eigen / singular values coincide)."""
    eye = _eye_like(d)
    return sub(div(_full(d, 1), add(eye, d)), eye)


def _column_minus_row(v):
    """``D[..., i, j] = v[j] - v[i]``."""
    shape = tuple(v.shape) + (v.shape[-1],)
    return sub(_along_cols(v, shape), _along_rows(v, shape))


def _mh(x):
    """The conjugate transpose of the last two axes (the transpose for real matrices)."""
    return conj(_mt(x)) if _is_complex(x) else _mt(x)


def _conj(x):
    return conj(x) if _is_complex(x) else x


def _as(x, dtype):
    """``x`` converted to ``dtype`` (a real array made complex, say) unless it already is."""
    return x if x.dtype == dtype else convert_element_type(x, dtype)


def _diagonal_matrix(x):
    """``x``'s diagonal as a matrix (zeros elsewhere)."""
    return _mask(x, np.eye(x.shape[-2], x.shape[-1], dtype=bool))


def _real_diagonal_matrix(x):
    """The real part of ``x``'s diagonal as a matrix of ``x``'s dtype (zeros elsewhere)."""
    d = _diagonal_matrix(x)
    return _as(real(d), x.dtype) if _is_complex(x) else d
