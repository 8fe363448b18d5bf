"""numpy's legacy polynomial functions (coefficients highest power first).

``polyval``, ``polyfit`` (least squares through ``fnx.numpy.linalg.lstsq``), ``polyadd``,
``polysub``, ``polymul``, ``polyder``, ``polyint``, ``roots`` (eigenvalues of the companion
matrix), ``poly`` and ``vander``, on fnx.numpy so they trace: the coefficient count is a static
shape, so every loop below is over it and unrolls.

Deviations from numpy (jax.numpy's): ``roots`` and ``poly`` of a matrix return complex arrays
always (numpy returns real ones when every imaginary part is zero -- a check of values that
tracing cannot make); integer inputs of float functions give the default float (float32).
"""
from __future__ import annotations

import numpy as np

from .. import dtypes, lax
from ..core import Tracer
from ..errors import ConcretizationTypeError
from ._util import asarray_arg, promote_no_broadcast, static_int, to_dtype

__all__ = ["polyval", "polyfit", "polyadd", "polysub", "polymul", "polyder", "polyint",
           "roots", "poly", "vander"]


def _fnp():
    from .. import numpy as fnp
    return fnp


def _coeffs(name, p):
    """A 1-d coefficient array (scalars become length-1 arrays, as numpy's atleast_1d)."""
    p = asarray_arg(name, p)
    if p.ndim == 0:
        p = lax.reshape(p, (1,))
    if p.ndim != 1:
        raise ValueError(f"{name}: coefficients must be a 1-d array, got shape "
                         f"{tuple(p.shape)}")
    return p


def polyval(p, x, *, unroll=16):
    """``p[0] * x**(N-1) + ... + p[N-1]`` by Horner's rule (``p`` along its first axis, so a
    2-d ``p`` evaluates one polynomial per column, as numpy)."""
    fnp = _fnp()
    p = asarray_arg("polyval", p)
    x = asarray_arg("polyval", x)
    if p.ndim == 0:
        raise TypeError("polyval: p must be an array of coefficients (at least 1-d), got a "
                        "0-d array")
    p, x = promote_no_broadcast("polyval", p, x)
    y = fnp.zeros_like(x)
    for i in range(p.shape[0]):
        y = y * x + p[i]
    return y


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix ``[x**(N-1), ..., x, 1]`` per row (columns reversed with
    ``increasing``), built by repeated products (exact for integers)."""
    fnp = _fnp()
    x = asarray_arg("vander", x)
    if x.ndim != 1:
        raise ValueError(f"vander: x must be a one-dimensional array or sequence, got shape "
                         f"{tuple(x.shape)}")
    n = x.shape[0] if N is None else static_int("vander", N, "N")
    if n < 0:
        raise ValueError(f"vander: N must be non-negative, got {n}")
    if x.dtype == dtypes.bool_:
        x = to_dtype(x, dtypes.int32)
    if n == 0:
        return fnp.zeros((x.shape[0], 0), x.dtype)
    cols = [fnp.ones_like(x)]
    for _ in range(n - 1):
        cols.append(cols[-1] * x)
    if not increasing:
        cols = cols[::-1]
    return fnp.stack(cols, axis=1)


def _fit_inputs(x, y, deg, w):
    deg = static_int("polyfit", deg, "deg")
    if deg < 0:
        raise ValueError(f"polyfit: expected deg >= 0, got {deg}")
    x, y = asarray_arg("polyfit", x), asarray_arg("polyfit", y)
    if x.ndim != 1:
        raise TypeError(f"polyfit: expected 1D vector for x, got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise TypeError("polyfit: expected non-empty vector for x")
    if y.ndim < 1 or y.ndim > 2:
        raise TypeError(f"polyfit: expected 1D or 2D array for y, got shape {tuple(y.shape)}")
    if x.shape[0] != y.shape[0]:
        raise TypeError(f"polyfit: expected x and y to have same length, got {x.shape[0]} "
                        f"and {y.shape[0]}")
    args = (x, y) if w is None else (x, y, asarray_arg("polyfit", w))
    args = promote_no_broadcast("polyfit", *args, inexact=True)
    if w is not None:
        w = args[2]
        if w.ndim != 1:
            raise TypeError(f"polyfit: expected a 1-d array for weights, got shape "
                            f"{tuple(w.shape)}")
        if w.shape[0] != y.shape[0]:
            raise TypeError(f"polyfit: expected w and y to have the same length, got "
                            f"{w.shape[0]} and {y.shape[0]}")
    return deg, args[0], args[1], w


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least-squares polynomial fit of degree ``deg``: coefficients highest power first (one
    column per column of a 2-d ``y``).  The Vandermonde columns are scaled to unit norm before
    ``lstsq``, as numpy.  ``full``: also ``(residuals, rank, singular values, rcond)``;
    ``cov``: also the coefficients' covariance (``"unscaled"``: without the residual
    variance).  numpy's RankWarning is not issued (the rank may be traced)."""
    fnp = _fnp()
    deg, x, y, w = _fit_inputs(x, y, deg, w)
    order = deg + 1
    if rcond is None:
        rcond = x.shape[0] * float(np.finfo(x.dtype).eps)
    lhs = vander(x, order)
    rhs = y
    if w is not None:
        lhs = lhs * w[:, None]
        rhs = rhs * (w[:, None] if rhs.ndim == 2 else w)
    scale = fnp.sqrt(fnp.sum(lhs * lhs, axis=0))
    lhs = lhs / scale
    c, resids, rank, s = fnp.linalg.lstsq(lhs, rhs, rcond)
    c = (c.T / scale).T
    if full:
        return c, resids, rank, s, rcond
    if not cov:
        return c
    vbase = fnp.linalg.inv(fnp.matmul(lhs.T, lhs)) / fnp.outer(scale, scale)
    if cov == "unscaled":
        fac = 1.0
    else:
        if x.shape[0] <= order:
            raise ValueError(f"polyfit: the number of data points ({x.shape[0]}) must exceed "
                             f"order ({order}) to scale the covariance matrix")
        fac = resids / (x.shape[0] - order)
    if y.ndim == 1:
        return c, vbase * fac
    return c, vbase[:, :, None] * fac


def _padded_pair(name, a1, a2):
    """The two coefficient arrays in one dtype, the shorter one padded with leading zeros."""
    a1, a2 = _coeffs(name, a1), _coeffs(name, a2)
    a1, a2 = promote_no_broadcast(name, a1, a2)
    n = max(a1.shape[0], a2.shape[0])
    zero = to_dtype(0, a1.dtype)
    a1 = lax.pad(a1, zero, ((n - a1.shape[0], 0, 0),))
    a2 = lax.pad(a2, zero, ((n - a2.shape[0], 0, 0),))
    return a1, a2


def polyadd(a1, a2):
    """Sum of two polynomials (aligned on the constant term)."""
    a1, a2 = _padded_pair("polyadd", a1, a2)
    return _fnp().add(a1, a2)


def polysub(a1, a2):
    """Difference of two polynomials (aligned on the constant term)."""
    a1, a2 = _padded_pair("polysub", a1, a2)
    return _fnp().subtract(a1, a2)


def polymul(a1, a2, *, trim_leading_zeros=False):
    """Product of two polynomials: the full convolution of their coefficients.  numpy trims
    the operands' leading zeros first (through poly1d), a shape that depends on values: here
    only with ``trim_leading_zeros=True`` (concrete operands), as jax.numpy."""
    fnp = _fnp()
    a1, a2 = _coeffs("polymul", a1), _coeffs("polymul", a2)
    if trim_leading_zeros:
        a1, a2 = _trim_leading("polymul", a1), _trim_leading("polymul", a2)
    if a1.shape[0] == 0 or a2.shape[0] == 0:
        a1, a2 = promote_no_broadcast("polymul", a1, a2)
        return fnp.zeros((0,), a1.dtype)
    return fnp.convolve(a1, a2, mode="full")


def polyder(p, m=1):
    """The ``m``-th derivative.  The coefficients are multiplied by default-int (int32)
    powers, so the dtype is ``p``'s promoted with int32 (numpy: with int64)."""
    fnp = _fnp()
    m = static_int("polyder", m, "m")
    if m < 0:
        raise ValueError(f"polyder: order of derivative must be positive (see polyint), got "
                         f"{m}")
    p = _coeffs("polyder", p)
    if m == 0:
        return p
    p = to_dtype(p, dtypes.result_type(p, dtypes.int32))
    for _ in range(m):
        n = p.shape[0] - 1
        if n <= 0:
            return fnp.zeros((0,), p.dtype)
        p = p[:-1] * to_dtype(fnp.arange(n, 0, -1), p.dtype)
    return p


def polyint(p, m=1, k=None):
    """The ``m``-th antiderivative; ``k``: the integration constants (a scalar for all, or
    ``m`` of them, the first one applying to the first integration)."""
    fnp = _fnp()
    m = static_int("polyint", m, "m")
    if m < 0:
        raise ValueError(f"polyint: order of integral must be positive (see polyder), got {m}")
    p = _coeffs("polyint", p)
    (p,) = promote_no_broadcast("polyint", p, inexact=True)
    k = fnp.zeros((m,), p.dtype) if k is None else fnp.atleast_1d(asarray_arg("polyint", k))
    if k.ndim != 1:
        raise ValueError(f"polyint: k must be a scalar or a rank-1 array, got shape "
                         f"{tuple(k.shape)}")
    if k.shape[0] == 1 and m > 1:
        k = fnp.broadcast_to(k, (m,))
    if k.shape[0] < m:
        raise ValueError(f"polyint: k must be a scalar or a rank-1 array of length 1 or >m "
                         f"(got length {k.shape[0]} for m={m})")
    p, k = promote_no_broadcast("polyint", p, k)
    for i in range(m):
        n = p.shape[0]
        powers = to_dtype(fnp.arange(n, 0, -1), p.dtype)
        p = fnp.concatenate([p / powers, k[i:i + 1]])
    return p


def _trim_leading(name, p):
    """``p`` without its leading zeros: a shape that depends on values, so ``p`` must be
    concrete."""
    if isinstance(p, Tracer) and p.concrete_value() is None:
        raise ConcretizationTypeError(
            f"{name}: trimming leading zero coefficients needs concrete values but p is traced "
            f"{p.aval.str_short()}; pass strip_zeros=False (the caller promises p[0] != 0)")
    v = np.asarray(p.concrete_value() if isinstance(p, Tracer) else p)
    nz = np.flatnonzero(v)
    start = int(nz[0]) if nz.size else max(v.shape[0] - 1, 0)   # all zeros: keep one
    return p[start:]


def roots(p, *, strip_zeros=True):
    """The roots of the polynomial ``p``, as the eigenvalues of its companion matrix
    (complex always, in the order eigvals gives them).  ``strip_zeros`` (default, numpy's
    behaviour) drops leading zero coefficients, which needs concrete ``p``; with
    ``strip_zeros=False`` it traces, and the caller promises ``p[0] != 0`` (a zero leading
    coefficient gives non-finite roots)."""
    fnp = _fnp()
    p = asarray_arg("roots", p)
    if p.ndim == 0:
        p = lax.reshape(p, (1,))
    if p.ndim != 1:
        raise ValueError(f"roots: input must be a rank-1 array, got shape {tuple(p.shape)}")
    (p,) = promote_no_broadcast("roots", p, inexact=True)
    if strip_zeros:
        p = _trim_leading("roots", p)
    cdt = dtypes.complex128 if dtypes.real_of(p.dtype) == dtypes.float64 else dtypes.complex64
    n = p.shape[0]
    if n <= 1:
        return fnp.zeros((0,), cdt)
    top = -p[1:] / p[0]
    if n == 2:
        return to_dtype(top, cdt)
    sub = fnp.eye(n - 2, n - 1, dtype=p.dtype)
    companion = fnp.concatenate([top[None, :], sub], axis=0)
    return to_dtype(fnp.linalg.eigvals(companion), cdt)


def poly(seq_of_zeros):
    """Coefficients of the monic polynomial with the given roots (1-d), or of the
    characteristic polynomial of a square matrix (complex: from ``eigvals``).  Integer roots
    give the default float dtype (numpy: float64)."""
    fnp = _fnp()
    seq = fnp.atleast_1d(asarray_arg("poly", seq_of_zeros))
    sh = tuple(seq.shape)
    if len(sh) == 2 and sh[0] == sh[1] and sh[0] != 0:
        seq = fnp.linalg.eigvals(seq)
    elif len(sh) == 1:
        (seq,) = promote_no_broadcast("poly", seq, inexact=True)
    else:
        raise ValueError(f"poly: input must be 1d or non-empty square 2d array, got shape {sh}")
    a = fnp.ones((1,), seq.dtype)
    zero = to_dtype(0, seq.dtype)
    for i in range(seq.shape[0]):
        # a(x) * (x - r): shift left (times x) minus r times a
        a = lax.pad(a, zero, ((0, 1, 0),)) - seq[i] * lax.pad(a, zero, ((1, 0, 0),))
    return a
