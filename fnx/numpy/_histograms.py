"""Counting and binning: ``bincount``, ``digitize``, ``histogram_bin_edges``, ``histogram``,
``histogram2d`` and ``histogramdd``.

Every count is one ``lax.scatter_add`` into a zero array of static length (scatters drop
out-of-range indices, which is how values outside the bins are left out), so these trace as
long as the number of bins is static: an integer ``bins`` (its edges may be traced, e.g. from
the data's min / max under jit) or an array of edges.  ``bincount``'s length depends on the
values unless ``length=`` gives it.

Deviations from numpy (jax.numpy's, for fnx's lattice): counts without weights are int32
(numpy: int64); weighted counts keep the weights' dtype, and ``bincount`` makes its weights
inexact (numpy: float64 always); edges of integer data and ``histogramdd`` / ``histogram2d``
counts are the default float (float32) unless an operand is float64; value checks (finite
range, monotonic bins, non-negative ``bincount`` input) are made on concrete values only --
under tracing ``bincount`` counts negative values in bin 0, as jax.numpy; string ``bins``
(numpy's estimators) need concrete data.
"""
from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from .. import dtypes, lax
from ..core import ArrayBase, Tracer
from ..errors import ConcretizationTypeError
from ._util import arg, asarray_arg, promote_no_broadcast, static_int, to_dtype

__all__ = ["bincount", "digitize", "histogram_bin_edges", "histogram", "histogram2d",
           "histogramdd"]


def _fnp():
    from .. import numpy as fnp
    return fnp


def _known(x):
    """The numpy value of ``x`` when it is not traced (concrete), else None."""
    if isinstance(x, Tracer):
        v = x.concrete_value()
        return None if v is None else np.asarray(v)
    return np.asarray(x)


def _scatter_count(index, updates, length):
    """``out[index[i]] += updates[i]`` into ``zeros(length)``; out-of-range indices are
    dropped (the scatter's rule)."""
    fnp = _fnp()
    zeros = fnp.zeros((length,), updates.dtype)
    if index.shape[0] == 0 or length == 0:
        return zeros
    return lax.scatter_add(zeros, index, updates)


# -- bincount / digitize ----------------------------------------------------------------------

def _int_operand(name, x):
    x = asarray_arg(name, x)
    if x.dtype.kind not in "biu":
        raise TypeError(f"{name}: x must be an array of non-negative integers, got {x.dtype} "
                        "(cannot cast safely to an integer index)")
    if x.ndim != 1:
        raise ValueError(f"{name}: x must be 1-dimensional, got shape {tuple(x.shape)}")
    want = dtypes.int64 if x.dtype in (dtypes.uint32, dtypes.int64) else dtypes.int32
    return to_dtype(x, want)


def bincount(x, weights=None, minlength=0, *, length=None):
    """Occurrences of each value ``0 .. n-1`` in the non-negative integers ``x`` (summed
    ``weights`` instead of ones when given).  ``n = max(max(x) + 1, minlength)`` needs concrete
    ``x``; ``length=`` fixes ``n`` instead (static: works under jit / vmap), and values
    ``>= length`` are dropped."""
    fnp = _fnp()
    x = _int_operand("bincount", x)
    minlength = static_int("bincount", minlength, "minlength")
    if minlength < 0:
        raise ValueError(f"bincount: 'minlength' must not be negative, got {minlength}")
    v = _known(x)
    if v is not None and v.size and v.min() < 0:
        raise ValueError(f"bincount: x must have no negative elements, got {v.min()}")
    if length is None:
        if v is None:
            raise ConcretizationTypeError(
                f"bincount: the length of the result depends on the values of the traced "
                f"array {x.aval.str_short()}; pass length= (a static int) under jit/vmap/grad")
        length = max(minlength, int(v.max()) + 1 if v.size else 0)
    else:
        length = static_int("bincount", length, "length")
        if length < 0:
            raise ValueError(f"bincount: length must be non-negative, got {length}")
    if weights is None:
        w = fnp.ones(x.shape, dtypes.int32)
    else:
        w = asarray_arg("bincount", weights)
        if tuple(w.shape) != tuple(x.shape):
            raise ValueError(f"bincount: the weights and list don't have the same length "
                             f"(shapes {tuple(w.shape)} and {tuple(x.shape)})")
        (w,) = promote_no_broadcast("bincount", w, inexact=True)
    idx = fnp.maximum(x, to_dtype(0, x.dtype))
    return _scatter_count(idx, w, length)


def digitize(x, bins, right=False, *, method=None):
    """Index of the bin of each ``x``: ``bins[i-1] <= x < bins[i]`` for increasing ``bins``
    (``<`` / ``<=`` swapped with ``right``), mirrored for decreasing ones (int32).  The
    monotonicity check needs concrete ``bins``; traced bins are taken as increasing when
    ``bins[-1] >= bins[0]``."""
    fnp = _fnp()
    x = asarray_arg("digitize", x)
    b = asarray_arg("digitize", bins)
    if x.dtype.kind == "c" or b.dtype.kind == "c":
        raise TypeError(f"digitize: x and bins may not be complex, got {x.dtype} and "
                        f"{b.dtype}")
    if b.ndim != 1:
        raise ValueError(f"digitize: bins must be 1-dimensional, got shape {tuple(b.shape)}")
    side = "left" if right else "right"
    if b.shape[0] == 0:
        return fnp.zeros(x.shape, dtypes.int32)
    bv = _known(b)
    if bv is not None:
        # compared, not subtracted: np.diff of unsigned bins wraps ([1, 1, 0] -> [0, 255])
        inc, dec = bool(np.all(bv[1:] >= bv[:-1])), bool(np.all(bv[1:] <= bv[:-1]))
        if not (inc or dec):
            raise ValueError("digitize: bins must be monotonically increasing or decreasing")
        if inc:
            return fnp.searchsorted(b, x, side=side)
        return b.shape[0] - fnp.searchsorted(b[::-1], x, side=side)
    up = fnp.searchsorted(b, x, side=side)
    down = b.shape[0] - fnp.searchsorted(b[::-1], x, side=side)
    return fnp.where(b[-1] >= b[0], up, down)


# -- bin edges --------------------------------------------------------------------------------

def _bin_count(name, bins):
    """The number of bins when ``bins`` is an integer; None when it is an array of edges."""
    if isinstance(bins, str):
        return None
    if np.ndim(bins) != 0:
        return None
    if isinstance(bins, Tracer):
        bins._concretization_error(f"{name}: bins (the number of bins is a shape)")
    try:
        n = operator.index(bins.item() if isinstance(bins, (ArrayBase, np.ndarray)) else bins)
    except TypeError:
        raise TypeError(f"{name}: `bins` must be an integer, a string, or an array, got "
                        f"{bins!r}") from None
    if n < 1:
        raise ValueError(f"{name}: `bins` must be positive, when an integer (got {n})")
    return n


def _outer_edges(name, a, rng):
    """``(first, last, dtype)``: ``range`` (checked) or the data's min / max, in the dtype the
    edges are computed in; equal ends are widened by 0.5 each way.  Python bounds convert
    straight to that dtype (a weak float32 array of 1.2127388809 would round it first)."""
    fnp = _fnp()
    if rng is not None:
        if len(rng) != 2:
            raise ValueError(f"{name}: range must be a (min, max) pair, got {rng!r}")
        first, last = (arg(name, r) for r in rng)
        f, l_ = _known(first), _known(last)
        if f is not None and l_ is not None:
            if f > l_:
                raise ValueError(f"{name}: max must be larger than min in range parameter "
                                 f"(got {rng!r})")
            if not (np.isfinite(f) and np.isfinite(l_)):
                raise ValueError(f"{name}: supplied range of [{f}, {l_}] is not finite")
    elif a.size == 0:
        first, last = 0.0, 1.0
    else:
        first, last = fnp.min(a), fnp.max(a)
        f, l_ = _known(first), _known(last)
        if f is not None and not (np.isfinite(f) and np.isfinite(l_)):
            raise ValueError(f"{name}: autodetected range of [{f}, {l_}] is not finite")
    dt = dtypes.result_type(a, first, last)
    if not dtypes.is_inexact(dt):
        dt = dtypes.default_float
    first, last = to_dtype(first, dt), to_dtype(last, dt)
    same = first == last
    return fnp.where(same, first - 0.5, first), fnp.where(same, last + 0.5, last), dt


def _edges(name, a, bins, rng):
    """``(edges, n)``: the bin edges of the flat ``a`` and, for an integer ``bins`` (uniform
    bins), their count (None for given edges)."""
    fnp = _fnp()
    if isinstance(bins, str):
        v = _known(a)
        if v is None:
            raise ConcretizationTypeError(
                f"{name}: bins={bins!r} chooses the number of bins from the values of the "
                f"traced array {a.aval.str_short()}; pass an integer or an array of edges")
        (a,) = promote_no_broadcast(name, a, inexact=True)
        return to_dtype(asarray_arg(name, np.histogram_bin_edges(v, bins, rng)), a.dtype), None
    n = _bin_count(name, bins)
    if n is None:
        e = asarray_arg(name, bins)
        if e.ndim != 1:
            raise ValueError(f"{name}: `bins` must be 1d, when an array (got shape "
                             f"{tuple(e.shape)})")
        ev = _known(e)
        if ev is not None and np.any(ev[1:] < ev[:-1]):  # (np.diff of unsigned ints wraps)
            raise ValueError(f"{name}: `bins` must increase monotonically, when an array")
        return e, None
    first, last, dt = _outer_edges(name, a, rng)
    return fnp.linspace(first, last, n + 1, dtype=dt), n


def histogram_bin_edges(a, bins=10, range=None, weights=None):
    """The edges ``histogram`` uses: ``bins + 1`` uniform edges over ``range`` (default the
    data's min..max), the given array of edges, or numpy's estimator for a string (concrete
    data only)."""
    a = _fnp().ravel(asarray_arg("histogram_bin_edges", a))
    return _edges("histogram_bin_edges", a, bins, range)[0]


def _bin_index(a, edges, n_uniform):
    """Bin of each value, ``nbins`` (dropped by the scatter) outside ``[edges[0],
    edges[-1]]`` and for NaN; the last bin is closed on the right (numpy)."""
    fnp = _fnp()
    nb = edges.shape[0] - 1
    a, edges = promote_no_broadcast("histogram", a, edges)
    if n_uniform is not None:
        # numpy's fast path: the index from the value, corrected by one against the edges
        lo, hi = edges[0], edges[-1]
        scaled = (a - lo) * (nb / (hi - lo))
        i = fnp.clip(to_dtype(fnp.floor(fnp.where(fnp.isfinite(scaled), scaled, 0.0)),
                              dtypes.int32), 0, nb - 1)
        i = fnp.where(a < fnp.take(edges, i, mode="clip"), i - 1, i)
        i = fnp.where((a >= fnp.take(edges, i + 1, mode="clip")) & (i != nb - 1), i + 1, i)
    else:
        i = fnp.searchsorted(edges, a, side="right") - 1
        i = fnp.where(a == edges[-1], nb - 1, i)
    keep = (a >= edges[0]) & (a <= edges[-1])
    return fnp.where(keep, i, nb)


def histogram(a, bins=10, range=None, weights=None, density=None):
    """``(hist, bin_edges)`` of the flattened ``a``: every bin half-open ``[e_i, e_i+1)``
    except the last, closed ``[e_n-1, e_n]``; values outside the edges (and NaN) are not
    counted.  ``weights`` (a's shape) are summed instead of ones; ``density`` divides by the
    total and the bin widths."""
    fnp = _fnp()
    a = asarray_arg("histogram", a)
    if isinstance(bins, str) and weights is not None:
        raise TypeError(f"histogram: automated estimation of the number of bins (bins={bins!r})"
                        " is not supported for weighted data")
    if weights is not None:
        w = asarray_arg("histogram", weights)
        if tuple(w.shape) != tuple(a.shape):
            raise ValueError(f"histogram: weights should have the same shape as a (got "
                             f"{tuple(w.shape)} and {tuple(a.shape)})")
        w = fnp.ravel(to_dtype(w, dtypes.int32) if w.dtype == dtypes.bool_ else w)
    else:
        w = fnp.ones((a.size,), dtypes.int32)
    a = fnp.ravel(a)
    if a.dtype.kind == "c":
        raise TypeError(f"histogram: complex data is not supported, got {a.dtype}")
    if a.dtype == dtypes.bool_:
        a = to_dtype(a, dtypes.uint8)     # numpy's conversion (it also warns)
    edges, n = _edges("histogram", a, bins, range)
    if edges.shape[0] < 2:
        raise ValueError(f"histogram: `bins` needs at least 2 edges, got {edges.shape[0]}")
    counts = _scatter_count(_bin_index(a, edges, n), w, edges.shape[0] - 1)
    if density:
        widths = fnp.diff(edges)
        total = fnp.sum(counts)
        counts = counts / widths / total
    return counts, edges


def _sample_columns(sample):
    """numpy's readings of ``sample``: an (N, D) array, a 1-d array (D = 1), or a sequence of
    D 1-d arrays of one length."""
    fnp = _fnp()
    if isinstance(sample, (list, tuple)):
        cols = [asarray_arg("histogramdd", s) for s in sample]
        for c in cols:
            if c.ndim != 1 or c.shape[0] != cols[0].shape[0]:
                raise ValueError(f"histogramdd: the sample's coordinate arrays must be 1-d of "
                                 f"one length, got shapes {[tuple(c.shape) for c in cols]}")
        return promote_no_broadcast("histogramdd", *cols, inexact=True)
    s = asarray_arg("histogramdd", sample)
    if s.ndim == 1:
        s = s[:, None]
    if s.ndim != 2:
        raise ValueError(f"histogramdd: sample must be (N, D), got shape {tuple(s.shape)}")
    (s,) = promote_no_broadcast("histogramdd", s, inexact=True)
    return [s[:, i] for i in builtins.range(s.shape[1])]


def histogramdd(sample, bins=10, range=None, density=None, weights=None):
    """``(hist, edges)`` of D-dimensional data: ``bins`` an int, or one int / array of edges
    per dimension; ``range`` None or one (min, max) / None per dimension.  Bins as
    ``histogram`` in each dimension (the last closed on the right)."""
    fnp = _fnp()
    cols = _sample_columns(sample)
    d = len(cols)
    nobs = cols[0].shape[0] if cols else 0
    if isinstance(bins, (list, tuple)) or (np.ndim(bins) == 1 and not isinstance(bins, str)):
        if len(bins) != d:
            raise ValueError(f"histogramdd: the dimension of bins ({len(bins)}) must be equal "
                             f"to the dimension of the sample x ({d})")
        per_dim = list(bins)
    else:
        per_dim = [bins] * d
    rngs = [None] * d if range is None else list(range)
    if len(rngs) != d:
        raise ValueError(f"histogramdd: range needs one (min, max) or None per dimension "
                         f"({d}), got {range!r}")
    edges, flat, sizes = [], None, []
    for i, (c, b, r) in enumerate(zip(cols, per_dim, rngs)):
        if isinstance(b, str):
            raise TypeError(f"histogramdd: `bins[{i}]` must be an integer or an array of "
                            f"edges, got {b!r}")
        e, _ = _edges("histogramdd", c, b, r)
        nb = e.shape[0] - 1
        if nb < 1:
            raise ValueError(f"histogramdd: `bins[{i}]` needs at least 2 edges")
        c2, e2 = promote_no_broadcast("histogramdd", c, e)
        j = fnp.searchsorted(e2, c2, side="right")          # 0 below .. nb + 1 above
        j = fnp.where(c2 == e2[-1], j - 1, j)
        flat = j if flat is None else flat * (nb + 2) + j
        edges.append(e)
        sizes.append(nb + 2)
    if weights is None:
        w = fnp.ones((nobs,), dtypes.int32)
    else:
        w = asarray_arg("histogramdd", weights)
        if tuple(w.shape) != (nobs,):
            raise ValueError(f"histogramdd: weights must have shape ({nobs},), got "
                             f"{tuple(w.shape)}")
    dt = dtypes.result_type(*edges, *([] if weights is None else [w]))
    if not dtypes.is_inexact(dt):
        dt = dtypes.default_float
    total = math.prod(sizes)
    hist = _scatter_count(flat if flat is not None else fnp.zeros((0,), dtypes.int32),
                          to_dtype(w, dt), total)
    hist = lax.reshape(hist, tuple(sizes))
    hist = lax.slice(hist, (1,) * d, tuple(s - 1 for s in sizes))
    if density:
        s = fnp.sum(hist)
        for i, e in enumerate(edges):
            shape = [1] * d
            shape[i] = sizes[i] - 2
            hist = hist / lax.reshape(to_dtype(fnp.diff(e), dt), tuple(shape))
        hist = hist / s
    return hist, edges


def histogram2d(x, y, bins=10, range=None, density=None, weights=None):
    """``(hist, xedges, yedges)``: ``histogramdd`` of the points (``x[i]``, ``y[i]``); one
    array of ``bins`` (not of length 1 or 2) gives the edges of both dimensions."""
    x, y = asarray_arg("histogram2d", x), asarray_arg("histogram2d", y)
    if x.ndim != 1 or y.ndim != 1 or x.shape[0] != y.shape[0]:
        raise ValueError(f"histogram2d: x and y must be 1-d of one length, got shapes "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")
    try:
        n = len(bins)
    except TypeError:
        n = 1
    if n not in (1, 2):
        bins = [bins, bins]
    hist, edges = histogramdd([x, y], bins, range, density, weights)
    return hist, edges[0], edges[1]
