"""scipy.linalg's special-matrix constructors (``jax.scipy.linalg``'s counterparts).

Two kinds:

* from arrays -- ``toeplitz``, ``hankel``, ``circulant``, ``leslie``, ``companion``,
  ``fiedler``, ``fiedler_companion``, ``convolution_matrix``: an index pattern gathers (or a
  mask selects) entries of the input, so they trace, batch over leading axes (``c`` (..., n)
  -> (..., n, n), as JAX) and differentiate;
* from a static size -- ``hilbert``, ``invhilbert``, ``pascal``, ``invpascal``, ``helmert``,
  ``hadamard``, ``dft``: computed in numpy with exact integer arithmetic (Python ints), then
  rounded once to the default float dtype (JAX goes through lgamma; these are exact up to that
  rounding).
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import dtypes
from .. import numpy as fnp
from ..errors import InvalidArgumentError, ShapeError

__all__ = ["circulant", "companion", "convolution_matrix", "dft", "fiedler",
           "fiedler_companion", "hadamard", "hankel", "helmert", "hilbert", "invhilbert",
           "invpascal", "leslie", "pascal", "toeplitz"]


def _vector(name, x, inexact=False):
    """``x`` as an array of at least one axis (its last the vector's), inexact if asked."""
    x = fnp.asarray(x)
    if inexact and not dtypes.is_inexact(x.dtype):
        x = x.astype(dtypes.default_float)
    return fnp.atleast_1d(x)


def _gather_last(values, index: np.ndarray):
    """``values[..., index]`` for a static (r, c) index matrix: (..., r, c)."""
    return fnp.take(values, fnp.asarray(index.astype(np.int32)), axis=-1)


def _batch_pair(c, r):
    shape = np.broadcast_shapes(tuple(c.shape[:-1]), tuple(r.shape[:-1]))
    dt = fnp.result_type(c, r)
    return (fnp.broadcast_to(c, shape + (c.shape[-1],)).astype(dt),
            fnp.broadcast_to(r, shape + (r.shape[-1],)).astype(dt))


def toeplitz(c, r=None):
    """The Toeplitz matrix with first column ``c`` (..., m) and first row ``r`` (..., n)
    (``r[0]`` ignored; ``r`` defaults to ``conj(c)``, a Hermitian Toeplitz matrix):
    ``T[i, j] = c[i - j]`` for i >= j, else ``r[j - i]``."""
    c = _vector("toeplitz", c)
    r = fnp.conj(c) if r is None else _vector("toeplitz", r)
    c, r = _batch_pair(c, r)
    m, n = c.shape[-1], r.shape[-1]
    if n == 0 or m == 0:
        return fnp.zeros(tuple(c.shape[:-1]) + (m, n), c.dtype)
    # values = r[n-1], ..., r[1], c[0], ..., c[m-1]; T[i, j] = values[i - j + n - 1]
    values = fnp.concatenate([fnp.flip(r[..., 1:], axis=-1), c], axis=-1)
    return _gather_last(values, np.arange(m)[:, None] - np.arange(n)[None, :] + n - 1)


def hankel(c, r=None):
    """The Hankel matrix with first column ``c`` (..., m) and last row ``r`` (..., n)
    (``r[0]`` ignored; zeros by default): ``H[i, j] = c[i + j]`` for i + j < m, else
    ``r[i + j - m + 1]``."""
    c = _vector("hankel", c)
    r = fnp.zeros_like(c) if r is None else _vector("hankel", r)
    c, r = _batch_pair(c, r)
    m, n = c.shape[-1], r.shape[-1]
    if n == 0 or m == 0:
        return fnp.zeros(tuple(c.shape[:-1]) + (m, n), c.dtype)
    values = fnp.concatenate([c, r[..., 1:]], axis=-1)
    return _gather_last(values, np.arange(m)[:, None] + np.arange(n)[None, :])


def circulant(c):
    """The circulant matrix with first column ``c`` (..., n): ``C[i, j] = c[(i - j) % n]``."""
    c = _vector("circulant", c)
    n = c.shape[-1]
    if n == 0:
        return fnp.zeros(tuple(c.shape[:-1]) + (0, 0), c.dtype)
    return _gather_last(c, (np.arange(n)[:, None] - np.arange(n)[None, :]) % n)


def leslie(f, s):
    """The Leslie matrix: fecundities ``f`` (..., n) in the first row, survival rates ``s``
    (..., n - 1) on the first subdiagonal, zeros elsewhere."""
    f, s = _vector("leslie", f), _vector("leslie", s)
    n = f.shape[-1]
    if n < 1 or s.shape[-1] != n - 1:
        raise ShapeError(f"leslie: f of shape {tuple(f.shape)} and s of shape "
                         f"{tuple(s.shape)} are incompatible: f needs n >= 1 entries and s "
                         f"n - 1")
    f, s = _batch_pair(f, s)
    # values = 0, f[0..n-1], s[0..n-2]; row 0 takes f, row i >= 1 takes s[i - 1] at column
    # i - 1, everything else the 0
    values = fnp.concatenate([fnp.zeros_like(f[..., :1]), f, s], axis=-1)
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    index = np.where(i == 0, 1 + j, np.where(j == i - 1, n + i, 0))
    return _gather_last(values, index)


def companion(a):
    """The companion matrix of the polynomial with coefficients ``a`` (..., n), highest power
    first: (..., n - 1, n - 1) with first row ``-a[1:] / a[0]`` and ones on the first
    subdiagonal (a zero ``a[0]`` gives inf / NaN, not an error, so it traces)."""
    a = _vector("companion", a, inexact=True)
    n = a.shape[-1]
    if n < 2:
        raise ShapeError(f"companion: a needs at least two coefficients, got shape "
                         f"{tuple(a.shape)}")
    row = -a[..., 1:] / a[..., :1]
    values = fnp.concatenate([fnp.zeros_like(row[..., :1]), row,
                              fnp.ones_like(row[..., :1])], axis=-1)
    i, j = np.arange(n - 1)[:, None], np.arange(n - 1)[None, :]
    index = np.where(i == 0, 1 + j, np.where(j == i - 1, n, 0))
    return _gather_last(values, index)


def fiedler(a):
    """The symmetric Fiedler matrix ``F[i, j] = |a[i] - a[j]|`` of ``a`` (..., n)."""
    a = _vector("fiedler", a)
    return fnp.abs(a[..., :, None] - a[..., None, :])


def fiedler_companion(a):
    """The pentadiagonal Fiedler companion matrix of the polynomial with coefficients ``a``
    (..., N), highest power first (nonzero ``a[0]``): (..., N - 1, N - 1), with the
    polynomial's roots as eigenvalues.  With b = a / a[0] and n = N - 1: C[0, 0] = -b[1],
    C[1, 0] = 1, and for even i: C[i, i + 1] = -b[i + 2], C[i, i + 2] = 1,
    C[i, i - 1] = -b[i + 1] (i >= 2); for odd i >= 3: C[i, i - 2] = 1."""
    a = _vector("fiedler_companion", a, inexact=True)
    size = a.shape[-1]
    if size == 0:
        raise ShapeError("fiedler_companion: a needs at least one coefficient, got shape "
                         f"{tuple(a.shape)}")
    n = size - 1
    b = a / a[..., :1]
    # values: 0, 1, then -b[0..N-1] at offset 2
    values = fnp.concatenate([fnp.zeros_like(b[..., :1]), fnp.ones_like(b[..., :1]), -b],
                             axis=-1)
    neg_b = lambda k: 2 + k  # noqa: E731  (index of -b[k] in values)
    index = np.zeros((n, n), np.int64)
    for i in range(n):
        for j in range(n):
            if i % 2 == 0 and j == i + 1:
                index[i, j] = neg_b(i + 2)
            elif i % 2 == 0 and j == i + 2:
                index[i, j] = 1
            elif i % 2 == 0 and i >= 2 and j == i - 1:
                index[i, j] = neg_b(i + 1)
            elif i % 2 == 1 and i >= 3 and j == i - 2:
                index[i, j] = 1
    if n >= 1:
        index[0, 0] = neg_b(1)
    if n >= 2:
        index[1, 0] = 1
    return _gather_last(values, index)


def convolution_matrix(a, n: int, mode: str = "full"):
    """The Toeplitz matrix A (..., k, n) with ``A @ v == numpy.convolve(a, v, mode)`` for
    ``v`` of length ``n``: k = m + n - 1 ('full'), max(m, n) ('same') or
    max(m, n) - min(m, n) + 1 ('valid'), m = a's length."""
    n = operator.index(n)
    if n <= 0:
        raise InvalidArgumentError(f"convolution_matrix: n must be a positive integer, got {n}")
    if mode not in ("full", "same", "valid"):
        raise InvalidArgumentError(f"convolution_matrix: mode must be 'full', 'same' or "
                                   f"'valid', got {mode!r}")
    a = fnp.asarray(a)
    if a.ndim == 0 or a.shape[-1] < 1:
        raise ShapeError(f"convolution_matrix: a must have at least one entry along its last "
                         f"axis, got shape {tuple(a.shape)}")
    m = a.shape[-1]
    # the full matrix: F[i, j] = a[i - j] for 0 <= i - j < m (else 0), i < m + n - 1
    if mode == "full":
        first = 0
        rows = m + n - 1
    elif mode == "same":
        rows = max(m, n)
        first = (min(m, n) - 1) // 2
    else:
        rows = max(m, n) - min(m, n) + 1
        first = min(m, n) - 1
    i = np.arange(first, first + rows)[:, None]
    lag = i - np.arange(n)[None, :]
    values = fnp.concatenate([fnp.zeros_like(a[..., :1]), a], axis=-1)
    return _gather_last(values, np.where((lag >= 0) & (lag < m), lag + 1, 0))


# --- the static-size constructors -----------------------------------------------------------

def _size(name, n) -> int:
    n = operator.index(n)
    if n < 0:
        raise InvalidArgumentError(f"{name}: n must be non-negative, got {n}")
    return n


def _exact(rows, dtype=None):
    """A nested list of Python ints as an fnx array of the default float dtype (rounded
    once)."""
    return fnp.asarray(np.array(rows, dtype=np.float64).reshape(len(rows), -1)
                       .astype(dtype or dtypes.default_float))


def hilbert(n: int):
    """The Hilbert matrix ``H[i, j] = 1 / (i + j + 1)`` (0-based), (n, n)."""
    n = _size("hilbert", n)
    i = np.arange(n, dtype=np.float64)
    return fnp.asarray((1.0 / (i[:, None] + i[None, :] + 1)).astype(dtypes.default_float))


def invhilbert(n: int):
    """The exact inverse of ``hilbert(n)``: (-1)^(i+j) (i + j + 1) C(n+i, n-j-1)
    C(n+j, n-i-1) C(i+j, i)^2, in integers, rounded once (large n overflows float32)."""
    n = _size("invhilbert", n)
    rows = [[(-1) ** (i + j) * (i + j + 1) * math.comb(n + i, n - j - 1)
             * math.comb(n + j, n - i - 1) * math.comb(i + j, i) ** 2 for j in range(n)]
            for i in range(n)]
    return _exact(rows) if n else fnp.zeros((0, 0), dtypes.default_float)


_PASCAL_KINDS = ("symmetric", "lower", "upper")


def _pascal_kind(name, kind):
    kind = "symmetric" if kind is None else kind
    if kind not in _PASCAL_KINDS:
        raise InvalidArgumentError(f"{name}: kind must be one of {_PASCAL_KINDS}, got {kind!r}")
    return kind


def pascal(n: int, kind: str | None = None, exact: bool = True):
    """The Pascal matrix: 'symmetric' (default) C(i + j, i), 'lower' C(i, j), 'upper'
    C(j, i).  Always exact (``exact`` is accepted for SciPy's signature)."""
    n = _size("pascal", n)
    kind = _pascal_kind("pascal", kind)
    entry = {"symmetric": lambda i, j: math.comb(i + j, i), "lower": lambda i, j: math.comb(i, j),
             "upper": lambda i, j: math.comb(j, i)}[kind]
    rows = [[entry(i, j) for j in range(n)] for i in range(n)]
    return _exact(rows) if n else fnp.zeros((0, 0), dtypes.default_float)


def invpascal(n: int, kind: str | None = None, exact: bool = True):
    """The exact inverse of ``pascal(n, kind)``: 'lower' (-1)^(i-j) C(i, j), 'upper' its
    transpose, 'symmetric' (L L^T)^-1 = L^-T L^-1 (computed in integers)."""
    n = _size("invpascal", n)
    kind = _pascal_kind("invpascal", kind)
    low = [[(-1) ** (i - j) * math.comb(i, j) if j <= i else 0 for j in range(n)]
           for i in range(n)]
    if kind == "lower":
        rows = low
    elif kind == "upper":
        rows = [list(col) for col in zip(*low)]
    else:   # P = L L^T  =>  P^-1 = L^-T L^-1
        rows = [[sum(low[k][i] * low[k][j] for k in range(n)) for j in range(n)]
                for i in range(n)]
    return _exact(rows) if n else fnp.zeros((0, 0), dtypes.default_float)


def helmert(n: int, full: bool = False):
    """The Helmert matrix: row k - 1 (k = 1 .. n - 1) is (1, ..., 1, -k, 0, ..., 0) (k ones)
    / sqrt(k (k + 1)); ``full`` prepends the row 1 / sqrt(n).  (n - 1, n), or (n, n)."""
    n = operator.index(n)
    if n < 1:
        raise InvalidArgumentError(f"helmert: n must be a positive integer, got {n}")
    h = np.zeros((n - 1, n))
    for k in range(1, n):
        h[k - 1, :k] = 1.0
        h[k - 1, k] = -k
        h[k - 1] /= math.sqrt(k * (k + 1))
    if full:
        h = np.concatenate([np.full((1, n), 1.0 / math.sqrt(n)), h])
    return fnp.asarray(h.astype(dtypes.default_float))


def hadamard(n: int, dtype=int):
    """The Sylvester Hadamard matrix of order ``n`` (a power of two): H_1 = [[1]],
    H_2m = [[H_m, H_m], [H_m, -H_m]]."""
    n = operator.index(n)
    if n < 1 or n & (n - 1):
        raise InvalidArgumentError(f"hadamard: n must be a positive power of 2, got {n}")
    h = np.ones((1, 1), np.int64)
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return fnp.asarray(h).astype(dtype)


def dft(n: int, scale: str | None = None, *, dtype=None):
    """The discrete Fourier transform matrix ``W[i, j] = exp(-2 pi i j k / n)``, scaled by
    1 / sqrt(n) (``scale='sqrtn'``) or 1 / n (``'n'``); complex (default complex dtype)."""
    n = _size("dft", n)
    if scale not in (None, "sqrtn", "n"):
        raise InvalidArgumentError(f"dft: scale must be None, 'sqrtn' or 'n', got {scale!r}")
    dt = np.dtype(dtypes.default_complex if dtype is None else dtype)
    if not dtypes.is_complex(dt):
        raise InvalidArgumentError(f"dft: dtype must be complex, got {dt}")
    k = (np.arange(n)[:, None] * np.arange(n)[None, :]) % max(n, 1)   # exact phases
    w = np.exp(-2j * np.pi * k / max(n, 1))
    if scale == "sqrtn":
        w = w / math.sqrt(n)
    elif scale == "n":
        w = w / n
    return fnp.asarray(w.astype(dt))
