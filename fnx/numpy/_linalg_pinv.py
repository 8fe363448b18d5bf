"""The pseudo-inverse with its singular values, and their derivative rule.

``pinv`` is differentiated by the Golub-Pereyra formula (valid where the rank is locally
constant), written in products of the primal pseudo-inverse only, so its derivative does not
go through the SVD's (which is undefined at repeated singular values)::

    dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P

and the singular values by ``ds_i = Re(u_i^H dA v_i)`` (^H: the conjugate transpose, the
transpose of a real matrix).
"""
from __future__ import annotations

from ..interpreters.custom import custom_jvp
from ..lax import linalg as lax_linalg
from .. import lax
from ._linalg_common import eye_like, mH
from ._linalg_ops import matmul
from ._reductions import max as _max
from ._reductions import sum as _sum
from ._ufuncs import abs as _abs
from ._ufuncs import divide, multiply, subtract, where


def _conj(x):
    return lax.conj(x) if x.dtype.kind == "c" else x


def _svd_parts(a, hermitian):
    """``(u, s, vt)`` (reduced), from ``eigh`` for a Hermitian ``a`` when ``hermitian``:
    ``a = V diag(w) V^H = (V sign(w)) diag(|w|) V^H`` (order does not matter to pinv)."""
    if hermitian:
        v, w = lax_linalg.eigh(a)
        signs = where(w < 0, -1.0, 1.0).astype(a.dtype)
        return multiply(v, signs[..., None, :]), _abs(w), mH(v)
    return lax_linalg.svd(a, full_matrices=False)


def _sorted_desc(s, hermitian):
    if not hermitian:
        return s
    from ._selection import sort
    return sort(s, axis=-1, descending=True)


def _pinv_parts(a, rtol, hermitian):
    """``(u, s, vt, pinv)``: singular values at most ``rtol * max(s)`` are dropped."""
    u, s, vt = _svd_parts(a, hermitian)
    cutoff = multiply(rtol[..., None], _max(s, axis=-1, keepdims=True))
    keep = s > cutoff
    s_inv = where(keep, divide(1.0, where(keep, s, 1.0)), 0.0).astype(a.dtype)
    return u, s, vt, matmul(mH(vt), multiply(s_inv[..., :, None], mH(u)))


def _pinv_with_svdvals(a, rtol, hermitian):
    """``(pinv(a), singular values descending)``; singular values at most ``rtol * max(s)``
    (``rtol`` of shape a.shape[:-2]) are dropped."""
    u, s, vt, p = _pinv_parts(a, rtol, hermitian)
    return p, _sorted_desc(s, hermitian)


pinv_with_svdvals = custom_jvp(_pinv_with_svdvals, nondiff_argnums=(2,))


@pinv_with_svdvals.defjvp
def _pinv_jvp(hermitian, primals, tangents):
    (a, rtol), da = primals, tangents[0]
    u, s, vt, p = _pinv_parts(a, rtol, hermitian)
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    pt, dat = mH(p), mH(da)
    left = subtract(eye_like(m, a.dtype, batch), matmul(a, p))    # I - A P  (m, m)
    right = subtract(eye_like(n, a.dtype, batch), matmul(p, a))   # I - P A  (n, n)
    dp = (-matmul(matmul(p, da), p)
          + matmul(matmul(p, pt), matmul(dat, left))
          + matmul(right, matmul(dat, matmul(pt, p))))
    ds = _sum(multiply(_conj(u), matmul(da, mH(vt))), axis=-2)    # u_i^H dA v_i
    ds = lax.real(ds) if ds.dtype != s.dtype else ds
    if hermitian:
        from ._selection import argsort, take_along_axis
        order = argsort(s, axis=-1, descending=True)
        s, ds = take_along_axis(s, order, axis=-1), take_along_axis(ds, order, axis=-1)
    return (p, s), (dp, ds)
