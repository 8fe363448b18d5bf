"""Finite differences, integration, interpolation, 1-d convolution and covariance.

``diff``, ``ediff1d``, ``gradient``, ``trapezoid``, ``interp``, ``convolve``, ``correlate``,
``cov`` and ``corrcoef`` with numpy's signatures and values, written on fnx.lax / fnx.numpy so
they trace (jit, vmap, grad): every output shape depends on shapes and static arguments only.

Deviations from numpy (jax.numpy's choices, for fnx's promotion lattice):

* integer inputs of float functions (``gradient``, ``trapezoid``, ``interp``, ``cov``,
  ``corrcoef``) give the default float (float32), not float64;
* ``interp`` computes in the inexact promotion of ``x``, ``xp`` and ``fp`` (numpy: float64);
* value checks that need concrete data (``cov``'s non-negative integral ``fweights``,
  ``interp``'s non-zero ``period``) are skipped under tracing, as jax.numpy does.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes, lax
from ..core import ArrayBase, Tracer
from ..errors import ShapeError
from ._util import asarray_arg, canonical_axis, promote_no_broadcast, static_int, to_dtype

__all__ = ["diff", "ediff1d", "gradient", "trapezoid", "interp", "convolve", "correlate",
           "cov", "corrcoef"]


def _fnp():
    from .. import numpy as fnp
    return fnp


def _along(x, start, stop, axis):
    """``x[..., start:stop, ...]`` on ``axis`` (static bounds; negative ones count from the
    end as in Python slicing)."""
    n = x.shape[axis]
    start, stop, _ = slice(start, stop).indices(n)
    return lax.slice_in_dim(x, start, max(start, stop), 1, axis)


def _concrete_or_none(x):
    """The numpy value of ``x`` when it is known (not traced), else None: for the checks
    numpy makes on values, which tracing cannot make."""
    if isinstance(x, Tracer):
        v = x.concrete_value()
        return None if v is None else np.asarray(v)
    if isinstance(x, ArrayBase):
        return np.asarray(x)
    return np.asarray(x)


# -- differences ------------------------------------------------------------------------------

def _edge_operand(name, a, value, axis, what):
    """numpy's ``prepend`` / ``append``: a scalar becomes a size-1 slab along ``axis``,
    anything else is broadcast to ``a``'s shape except along ``axis``."""
    fnp = _fnp()
    # promoted with ``a`` before the broadcast: a Python float converts exactly to float64
    _, v = promote_no_broadcast(name, a, asarray_arg(name, value))
    if v.ndim == 0:
        shape = list(a.shape)
        shape[axis] = 1
        return fnp.broadcast_to(v, tuple(shape))
    if v.ndim != a.ndim:
        raise ShapeError(f"{name}: {what} of shape {tuple(v.shape)} must have the input's "
                         f"{a.ndim} dimensions (input shape {tuple(a.shape)})")
    return v


def diff(a, n=1, axis=-1, prepend=None, append=None):
    """The ``n``-th discrete difference ``a[i+1] - a[i]`` along ``axis``; booleans use
    ``not_equal`` (numpy).  Integer differences wrap in the input dtype, as numpy's."""
    fnp = _fnp()
    a = asarray_arg("diff", a)
    n = static_int("diff", n, "n")
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    if n == 0:
        return a
    if a.ndim == 0:
        raise ValueError("diff: diff requires input that is at least one dimensional")
    ax = canonical_axis("diff", axis, a.ndim)
    parts = []
    if prepend is not None:
        parts.append(_edge_operand("diff", a, prepend, ax, "prepend"))
    parts.append(a)
    if append is not None:
        parts.append(_edge_operand("diff", a, append, ax, "append"))
    if len(parts) > 1:
        a = fnp.concatenate(parts, axis=ax)
    op = lax.ne if a.dtype == dtypes.bool_ else lax.sub
    for _ in range(n):
        if a.shape[ax] == 0:
            break
        a = op(_along(a, 1, None, ax), _along(a, 0, -1, ax))
    return a


_KIND_RANK = {bool: 0, int: 1, float: 2, complex: 3, "b": 0, "i": 1, "u": 1, "f": 2, "c": 3}


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of the flattened ``ary``, with ``to_begin`` / ``to_end`` (cast to ``ary``'s
    dtype) around them."""
    fnp = _fnp()
    a = fnp.ravel(asarray_arg("ediff1d", ary))
    if a.dtype == dtypes.bool_:
        raise TypeError("ediff1d: boolean subtract is not supported; use diff (not_equal)")
    parts = []
    for what, extra in (("to_begin", to_begin), (None, None), ("to_end", to_end)):
        if what is None:
            parts.append(lax.sub(_along(a, 1, None, 0), _along(a, 0, -1, 0)))
        elif extra is not None:
            e = fnp.ravel(asarray_arg("ediff1d", extra))
            if isinstance(extra, (bool, int, float, complex)):   # weak: its kind only
                ok = _KIND_RANK[type(extra)] <= _KIND_RANK[a.dtype.kind]
            else:
                ok = np.can_cast(e.dtype, a.dtype, "same_kind")
            if not ok:
                raise TypeError(f"ediff1d: dtype of `{what}` ({e.dtype}) must be compatible "
                                f"with input `ary` ({a.dtype}) under the `same_kind` rule")
            parts.append(to_dtype(e, a.dtype))
    return parts[0] if len(parts) == 1 else fnp.concatenate(parts)


# -- gradient ---------------------------------------------------------------------------------

def _spacings(f, axes, varargs):
    """One spacing per axis: a Python/0-d scalar, or a 1-d coordinate array of the axis'
    length (numpy's rules and messages)."""
    if not varargs:
        return [1.0] * len(axes)
    if len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        return [varargs[0]] * len(axes)
    if len(varargs) != len(axes):
        raise TypeError(f"gradient: invalid number of arguments: {len(varargs)} spacings for "
                        f"{len(axes)} axes")
    out = []
    for ax, d in zip(axes, varargs):
        if np.ndim(d) == 0:
            out.append(d)
            continue
        d = asarray_arg("gradient", d)
        if d.ndim != 1:
            raise ValueError(f"gradient: distances must be either scalars or 1d, got shape "
                             f"{tuple(d.shape)}")
        if d.shape[0] != f.shape[ax]:
            raise ValueError(f"gradient: when 1d, distances must match the length of the "
                             f"corresponding dimension ({d.shape[0]} != {f.shape[ax]} on "
                             f"axis {ax})")
        out.append(d)
    return out


def _gradient_uniform(f, h, edge_order):
    """Derivative along the last axis at spacing ``h``: central differences inside,
    one-sided of first or second order at the two ends."""
    fnp = _fnp()
    two_h = fnp.multiply(h, 2.0)
    inner = fnp.divide(lax.sub(_along(f, 2, None, -1), _along(f, 0, -2, -1)), two_h)
    f0, f1 = _along(f, 0, 1, -1), _along(f, 1, 2, -1)
    g0, g1 = _along(f, -1, None, -1), _along(f, -2, -1, -1)
    if edge_order == 1:
        first = fnp.divide(lax.sub(f1, f0), h)
        last = fnp.divide(lax.sub(g0, g1), h)
    else:
        f2, g2 = _along(f, 2, 3, -1), _along(f, -3, -2, -1)
        first = fnp.divide(-1.5 * f0 + 2.0 * f1 - 0.5 * f2, h)
        last = fnp.divide(0.5 * g2 - 2.0 * g1 + 1.5 * g0, h)
    return fnp.concatenate([first, inner, last], axis=-1)


def _gradient_coords(f, x, edge_order):
    """Derivative along the last axis at the 1-d coordinates ``x``: the second-order
    (non-uniform) three-point formulas inside and, for ``edge_order=2``, at the ends."""
    fnp = _fnp()
    dx = lax.sub(x[1:], x[:-1])
    d1, d2 = dx[:-1], dx[1:]
    a = -d2 / (d1 * (d1 + d2))
    b = (d2 - d1) / (d1 * d2)
    c = d1 / (d2 * (d1 + d2))
    inner = a * _along(f, 0, -2, -1) + b * _along(f, 1, -1, -1) + c * _along(f, 2, None, -1)
    f0, f1 = _along(f, 0, 1, -1), _along(f, 1, 2, -1)
    g0, g1 = _along(f, -1, None, -1), _along(f, -2, -1, -1)
    if edge_order == 1:
        first = (f1 - f0) / dx[0]
        last = (g0 - g1) / dx[-1]
    else:
        f2, g2 = _along(f, 2, 3, -1), _along(f, -3, -2, -1)
        e1, e2 = dx[0], dx[1]
        first = (-(2.0 * e1 + e2) / (e1 * (e1 + e2)) * f0 + (e1 + e2) / (e1 * e2) * f1
                 - e1 / (e2 * (e1 + e2)) * f2)
        e1, e2 = dx[-2], dx[-1]
        last = (e2 / (e1 * (e1 + e2)) * g2 - (e2 + e1) / (e1 * e2) * g1
                + (2.0 * e2 + e1) / (e2 * (e1 + e2)) * g0)
    return fnp.concatenate([first, inner, last], axis=-1)


def gradient(f, *varargs, axis=None, edge_order=1):
    """Gradient of ``f`` by second-order central differences inside and first- or
    second-order (``edge_order``) one-sided differences at the boundaries.  ``varargs``: one
    scalar spacing for all axes, or one scalar or 1-d coordinate array per axis.  One axis
    gives an array, several a tuple of arrays (numpy 2).  Integer ``f`` gives the default
    float dtype (numpy: float64); the result has ``f``'s inexact dtype whatever the spacings'."""
    fnp = _fnp()
    f = asarray_arg("gradient", f)
    if f.ndim == 0:
        raise ValueError("gradient: the input must be at least one dimensional (got a 0-d "
                         "array)")
    axes = tuple(range(f.ndim)) if axis is None else \
        tuple(canonical_axis("gradient", a, f.ndim)
              for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    if len(set(axes)) != len(axes):
        raise ValueError(f"gradient: repeated axis in {axis}")
    edge_order = static_int("gradient", edge_order, "edge_order")
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: 'edge_order' must be 1 or 2, got {edge_order}")
    (f,) = promote_no_broadcast("gradient", f, inexact=True)
    real = dtypes.real_of(f.dtype)
    outs = []
    for ax, d in zip(axes, _spacings(f, axes, varargs)):
        if f.shape[ax] < edge_order + 1:
            raise ValueError(f"gradient: shape of array too small to calculate a numerical "
                             f"gradient, at least (edge_order + 1) = {edge_order + 1} elements "
                             f"are required along axis {ax} (shape {tuple(f.shape)})")
        moved = fnp.moveaxis(f, ax, -1)
        if isinstance(d, ArrayBase) and d.ndim == 1:
            g = _gradient_coords(moved, to_dtype(_real_float(d), real), edge_order)
        else:
            # a Python spacing converts straight to f's precision (a weak float32 array of it
            # would round 1.41021054... to float32 first)
            h = (_fnp().asarray(d, dtype=real) if isinstance(d, (int, float))
                 else to_dtype(_real_float(asarray_arg("gradient", d)), real))
            g = _gradient_uniform(moved, h, edge_order)
        outs.append(to_dtype(fnp.moveaxis(g, -1, ax), f.dtype))
    return outs[0] if len(outs) == 1 else tuple(outs)


def _real_float(x):
    if x.dtype.kind == "c":
        raise TypeError(f"gradient: spacings must be real, got {x.dtype}")
    return x


# -- integration ------------------------------------------------------------------------------

def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` along ``axis`` by the trapezoidal rule, at sample points ``x`` (1-d
    along ``axis``, or broadcastable to ``y``) or spacing ``dx``."""
    fnp = _fnp()
    y = asarray_arg("trapezoid", y)
    if y.ndim == 0:
        raise ValueError("trapezoid: y must be at least 1-dimensional")
    ax = canonical_axis("trapezoid", axis, y.ndim)
    if x is None:
        (y,) = promote_no_broadcast("trapezoid", y, inexact=True)
        d = asarray_arg("trapezoid", dx) if not isinstance(dx, (int, float)) else dx
    else:
        y, xa = promote_no_broadcast("trapezoid", y, asarray_arg("trapezoid", x), inexact=True)
        if xa.ndim == 1:
            if xa.shape[0] != y.shape[ax]:
                raise ShapeError(f"trapezoid: x of length {xa.shape[0]} does not match y's "
                                 f"axis {ax} of length {y.shape[ax]} (y shape "
                                 f"{tuple(y.shape)})")
            shape = [1] * y.ndim
            shape[ax] = max(xa.shape[0] - 1, 0)
            d = lax.reshape(diff(xa), tuple(shape))
        else:
            d = diff(xa, axis=ax)
    pairs = fnp.add(_along(y, 1, None, ax), _along(y, 0, -1, ax))
    return fnp.sum(fnp.multiply(d, pairs) / 2.0, axis=ax)


# -- interpolation ----------------------------------------------------------------------------

def _periodic(x, xp, fp, period):
    """numpy's ``period``: everything modulo the period, ``xp`` sorted, one point wrapped on
    each side."""
    fnp = _fnp()
    pv = _concrete_or_none(asarray_arg("interp", period))
    if pv is not None and np.any(pv == 0):
        raise ValueError("interp: period must be a non-zero value")
    period = fnp.abs(to_dtype(asarray_arg("interp", period), x.dtype))
    x = fnp.remainder(x, period)
    xp = fnp.remainder(xp, period)
    order = fnp.argsort(xp)
    xp = fnp.take(xp, order)
    fp = fnp.take(fp, order)
    xp = fnp.concatenate([xp[-1:] - period, xp, xp[:1] + period])
    fp = fnp.concatenate([fp[-1:], fp, fp[:1]])
    return x, xp, fp


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolant of the points (``xp``, ``fp``) at ``x`` (``xp``
    increasing, not checked, as numpy).  Below ``xp[0]``: ``left`` (default ``fp[0]``); above
    ``xp[-1]``: ``right`` (default ``fp[-1]``); ``period`` makes it periodic.  ``fp`` may be
    complex.  The result dtype is the inexact promotion of the three (numpy: float64 /
    complex128)."""
    fnp = _fnp()
    x, xp, fp = (asarray_arg("interp", v) for v in (x, xp, fp))
    if xp.ndim != 1 or fp.ndim != 1:
        raise ValueError(f"interp: xp and fp must be 1-d, got shapes {tuple(xp.shape)} and "
                         f"{tuple(fp.shape)}")
    if xp.shape[0] != fp.shape[0]:
        raise ValueError(f"interp: fp and xp are not of the same length ({fp.shape[0]} and "
                         f"{xp.shape[0]})")
    if xp.shape[0] == 0:
        raise ValueError("interp: array of sample points is empty")
    if x.dtype.kind == "c" or xp.dtype.kind == "c":
        raise TypeError(f"interp: x and xp must be real, got {x.dtype} and {xp.dtype}")
    x, xp, fp = promote_no_broadcast("interp", x, xp, fp, inexact=True)
    if fp.dtype.kind == "c":
        rd = dtypes.real_of(fp.dtype)
        x, xp = to_dtype(x, rd), to_dtype(xp, rd)
    if period is not None:
        x, xp, fp = _periodic(x, xp, fp, period)
        left = right = None
    n = xp.shape[0]
    lo = fp[0] if left is None else to_dtype(asarray_arg("interp", left), fp.dtype)
    hi = fp[-1] if right is None else to_dtype(asarray_arg("interp", right), fp.dtype)
    if n == 1:
        inside = fnp.broadcast_to(fp[0], x.shape)
    else:
        j = fnp.clip(fnp.searchsorted(xp, x, side="right") - 1, 0, n - 2)
        x0, x1 = fnp.take(xp, j, mode="clip"), fnp.take(xp, j + 1, mode="clip")
        f0, f1 = fnp.take(fp, j, mode="clip"), fnp.take(fp, j + 1, mode="clip")
        dx = x1 - x0
        safe = fnp.where(dx == 0, fnp.ones_like(dx), dx)
        slope = (f1 - f0) / to_dtype(safe, fp.dtype)
        inside = f0 + slope * to_dtype(x - x0, fp.dtype)
        inside = fnp.where(x == xp[-1], fp[-1], inside)
    out = fnp.where(x < xp[0], lo, fnp.where(x > xp[-1], hi, inside))
    return to_dtype(out, fp.dtype)


# -- convolution ------------------------------------------------------------------------------

_CONV_MODES = ("full", "same", "valid")


def _raw_correlate(x, y, mode):
    """``out[k] = sum_n x[n + k] * y[n]`` for ``len(x) >= len(y)`` (no conjugation), with
    numpy's lags per mode: one ``lax.conv_general_dilated`` (a cross-correlation), or two
    real ones stacked for complex operands."""
    n2 = y.shape[0]
    if mode == "valid":
        pad = (0, 0)
    elif mode == "full":
        pad = (n2 - 1, n2 - 1)
    else:
        pad = (n2 // 2, n2 - n2 // 2 - 1)
    dn = ("NWC", "WIO", "NWC")
    if x.dtype.kind != "c":
        out = lax.conv_general_dilated(lax.reshape(x, (1, x.shape[0], 1)),
                                       lax.reshape(y, (n2, 1, 1)), (1,), [pad],
                                       dimension_numbers=dn)
        return lax.reshape(out, (out.shape[1],))
    fnp = _fnp()
    xs = fnp.stack([fnp.real(x), fnp.imag(x)])[:, :, None]            # N=2 (re, im)
    ys = fnp.stack([fnp.real(y), fnp.imag(y)], axis=-1)[:, None, :]   # O=2 (re, im)
    out = lax.conv_general_dilated(xs, ys, (1,), [pad], dimension_numbers=dn)  # (2, L, 2)
    re = out[0, :, 0] - out[1, :, 1]
    im = out[0, :, 1] + out[1, :, 0]
    return lax.complex(re, im)


def _conv_operands(name, a, v, mode):
    if mode not in _CONV_MODES:
        raise ValueError(f"{name}: mode must be one of {_CONV_MODES}, got {mode!r}")
    a, v = asarray_arg(name, a), asarray_arg(name, v)
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(f"{name}: only 1-dimensional inputs are supported, got shapes "
                         f"{tuple(a.shape)} and {tuple(v.shape)}")
    if a.shape[0] == 0:
        raise ValueError(f"{name}: a cannot be empty")
    if v.shape[0] == 0:
        raise ValueError(f"{name}: v cannot be empty")
    a, v = promote_no_broadcast(name, a, v)
    return a, v


def _compute_dtype(dt):
    """The dtype the convolution runs in: the conv kernel has float32/64 and int32/64;
    narrower integers and bool wrap / reduce identically in a wider one."""
    if dt.kind in "fc" or dt in (dtypes.int32, dtypes.int64):
        return dt
    return dtypes.int64 if dt == dtypes.uint32 else dtypes.int32


def convolve(a, v, mode="full", *, precision=None, preferred_element_type=None):
    """Discrete linear convolution of two 1-d sequences, ``mode`` "full" / "same" / "valid"
    (numpy's lags: the longer operand sets "same"'s length).  The result keeps numpy's dtype
    (integers stay integers; jax.numpy gives floats)."""
    a, v = _conv_operands("convolve", a, v, mode)
    dt = a.dtype
    if a.shape[0] < v.shape[0]:
        a, v = v, a
    ct = _compute_dtype(dt)
    out = _raw_correlate(to_dtype(a, ct), lax.rev(to_dtype(v, ct), (0,)), mode)
    return to_dtype(out, dt)   # back to a narrow int / bool (wraps as numpy's)


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
    """Cross-correlation ``c[k] = sum_n a[n + k] * conj(v[n])`` of two 1-d sequences, modes as
    ``convolve`` (default "valid").  A longer ``v`` swaps the operands and reverses the
    output, as numpy."""
    fnp = _fnp()
    a, v = _conv_operands("correlate", a, v, mode)
    dt = a.dtype
    ct = _compute_dtype(dt)
    a, v = to_dtype(a, ct), to_dtype(v, ct)
    if ct.kind == "c":
        v = fnp.conj(v)
    if a.shape[0] < v.shape[0]:
        out = lax.rev(_raw_correlate(v, a, mode), (0,))
    else:
        out = _raw_correlate(a, v, mode)
    return to_dtype(out, dt)   # back to a narrow int / bool (wraps as numpy's)


# -- covariance -------------------------------------------------------------------------------

def _observations(name, m, rowvar):
    fnp = _fnp()
    m = asarray_arg(name, m)
    if m.ndim > 2:
        raise ValueError(f"{name}: m has more than 2 dimensions (shape {tuple(m.shape)})")
    x = fnp.atleast_2d(m)
    if not rowvar and x.shape[0] != 1:
        x = x.T
    return x


def _check_weights(name, w, n, what):
    """numpy's checks of ``fweights`` / ``aweights``: 1-d of the observation count;
    on concrete values, non-negative (and integral for fweights)."""
    w = asarray_arg(name, w)
    if w.ndim > 1:
        raise ValueError(f"{name}: cannot handle multidimensional {what} (shape "
                         f"{tuple(w.shape)})")
    if w.ndim == 0 or w.shape[0] != n:
        raise ValueError(f"{name}: incompatible numbers of samples ({n}) and {what} (shape "
                         f"{tuple(w.shape)})")
    v = _concrete_or_none(w)
    if v is not None:
        if what == "fweights" and not np.all(v == np.around(v)):
            raise TypeError(f"{name}: fweights must be integer")
        if np.any(v < 0):
            raise ValueError(f"{name}: {what} cannot be negative")
    return w


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """Covariance matrix of the variables in the rows (``rowvar``) or columns of ``m`` (and
    ``y``), with frequency / analytic weights; numpy's normalisation (``ddof`` default
    ``0 if bias else 1``).  A non-positive normalisation gives inf / NaN (numpy also warns)."""
    fnp = _fnp()
    if ddof is not None:
        ddof = static_int("cov", ddof, "ddof")
    x = _observations("cov", m, rowvar)
    parts = [x]
    if y is not None:
        yy = _observations("cov", y, rowvar)
        if yy.shape[1] != x.shape[1]:
            raise ValueError(f"cov: m and y must have the same number of observations, got "
                             f"{x.shape[1]} and {yy.shape[1]}")
        parts.append(yy)
    x = fnp.concatenate(parts, axis=0) if len(parts) > 1 else x
    (x,) = promote_no_broadcast("cov", x, inexact=True)
    if x.shape[0] == 0:
        return fnp.zeros((0, 0), x.dtype)
    if ddof is None:
        ddof = 0 if bias else 1
    nobs = x.shape[1]
    w = aw = None
    if fweights is not None:
        w = _check_weights("cov", fweights, nobs, "fweights")
    if aweights is not None:
        aw = _check_weights("cov", aweights, nobs, "aweights")
        w = aw if w is None else w * aw
    rd = dtypes.real_of(x.dtype)
    if w is None:
        avg = fnp.mean(x, axis=1)
        fact = max(nobs - ddof, 0.0)
    else:
        w = to_dtype(w, rd)
        aw = None if aw is None else to_dtype(aw, rd)
        avg, wsum = fnp.average(x, axis=1, weights=w, returned=True)
        wsum = fnp.real(wsum[0])
        if ddof == 0:
            fact = wsum
        elif aw is None:
            fact = wsum - ddof
        else:
            fact = wsum - ddof * fnp.sum(w * aw) / wsum
        fact = fnp.maximum(fact, 0.0)
    xc = x - avg[:, None]
    xw = xc if w is None else xc * w
    c = fnp.matmul(xc, fnp.conj(xw.T))
    scale = to_dtype(fnp.true_divide(1.0, to_dtype(asarray_arg("cov", fact), rd)), rd)
    if c.dtype.kind == "c":   # a real factor scales each part (numpy), not a complex product
        c = lax.complex(fnp.real(c) * scale, fnp.imag(c) * scale)
    else:
        c = c * scale
    return fnp.squeeze(to_dtype(c, x.dtype))


def corrcoef(x, y=None, rowvar=True):
    """Pearson correlation coefficients ``cov / (std_i std_j)``, clipped to [-1, 1] (real
    and imaginary parts, as numpy)."""
    fnp = _fnp()
    c = cov(x, y, rowvar)
    if c.ndim == 0:
        return c / c
    d = fnp.diagonal(c)
    std = fnp.sqrt(fnp.real(d))
    c = c / std[:, None]
    c = c / std[None, :]
    if c.dtype.kind == "c":
        return lax.complex(fnp.clip(fnp.real(c), -1, 1), fnp.clip(fnp.imag(c), -1, 1))
    return fnp.clip(c, -1, 1)

