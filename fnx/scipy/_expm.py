"""The matrix exponential by scaling and squaring with the degree-13 Pade approximant
(N. J. Higham, "The scaling and squaring method for the matrix exponential revisited", SIAM J.
Matrix Anal. Appl. 26(4), 2005, Algorithm 2.3 with m = 13 throughout).

    s = max(0, ceil(log2(|A|_1 / theta_13)))      (so |A / 2^s|_1 <= theta_13)
    r_13(X) = (V - U)^-1 (V + U) with U the odd and V the even part of the Pade numerator
    exp(A) = r_13(A / 2^s) ^ (2^s)                  (s squarings)

The number of squarings depends on the data.  Eagerly it is exact (``max(s)`` over the batch);
traced (jit, grad, vmap) ``max_squarings`` squarings are staged, each applied only where
``i < s`` (a select), so eager and traced results are the same and derivatives flow through.
"""
from __future__ import annotations

import numpy as np

from .. import lax
from .. import numpy as fnp
from ..numpy._linalg_common import eye_like, float_matrix, is_concrete, solve_square

# the coefficients b_j = (26 - j)! / (j! (13 - j)!), j = 0..13, of the degree-13 Pade
# approximant of exp (Higham's c_j scaled by 26! / 13!)
_B13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
        129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
        40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152   # Higham's bound on |A|_1 for a degree-13 backward error < u


def _pade13(a):
    """``(U, V)``: the odd and even parts of the degree-13 Pade numerator at ``a``."""
    b = _B13
    eye = eye_like(a.shape[-1], a.dtype, a.shape[:-2])
    a2 = fnp.matmul(a, a)
    a4 = fnp.matmul(a2, a2)
    a6 = fnp.matmul(a4, a2)
    u_inner = fnp.matmul(a6, b[13] * a6 + b[11] * a4 + b[9] * a2)
    u = fnp.matmul(a, u_inner + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = fnp.matmul(a6, b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 \
        + b[2] * a2 + b[0] * eye
    return u, v


def _squarings(a, max_squarings: int):
    """``s`` per matrix (real float, 0..max_squarings), computed without a derivative."""
    norm1 = fnp.max(fnp.sum(fnp.abs(lax.stop_gradient(a)), axis=-2), axis=-1)
    s = fnp.ceil(fnp.log2(norm1 / _THETA13))
    s = fnp.where(fnp.isfinite(s), s, 0.0)   # |A| = 0 (log2 -> -inf) or non-finite entries
    return fnp.clip(s, 0.0, float(max_squarings)).astype(norm1.dtype)


def expm(A, *, upper_triangular=False, max_squarings=16):
    """The matrix exponential of each square matrix in the last two axes (Pade 13, scaling
    and squaring).  At most ``max_squarings`` squarings: a 1-norm above ``theta_13 *
    2**max_squarings`` (~3.5e5) is not scaled down enough and loses accuracy (its exponential
    overflows anyway unless its spectrum is far to the left).  ``upper_triangular`` is accepted
    for jax.scipy's signature."""
    a = float_matrix("expm", A, square=True)
    if a.shape[-1] == 0:
        return a
    s = _squarings(a, int(max_squarings))
    scaled = a * fnp.exp2(-s)[..., None, None]
    u, v = _pade13(scaled)
    r = solve_square(v - u, v + u)
    steps = int(np.max(np.asarray(s._value), initial=0)) if is_concrete(s) else \
        int(max_squarings)
    for i in range(steps):
        r = fnp.where((s > i)[..., None, None], fnp.matmul(r, r), r)
    return r
