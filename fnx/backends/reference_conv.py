"""numpy oracles of the convolution / windowed-reduction primitives (fnx/lax/conv.py), for
the tests.  reference.py merges its table ``IMPLS`` into the backend's."""
from __future__ import annotations

import numpy as np

from .. import lax
from .reference_common import _accumulator, registrar
from .reference_reduce import _max_identity

IMPLS: dict = {}
_register = registrar(IMPLS)


def _dilate_pad(x, dilation, padding, fill):
    """``x`` with ``dilation - 1`` holes between elements and (lo, hi) edges (negative crops),
    holes and edges filled with ``fill``."""
    dilated = np.full([0 if d == 0 else (d - 1) * k + 1 for d, k in zip(x.shape, dilation)],
                      fill, x.dtype)
    dilated[tuple(np.s_[::k] for k in dilation)] = x
    grown = np.pad(dilated, [(max(lo, 0), max(hi, 0)) for lo, hi in padding],
                   constant_values=fill)
    return grown[tuple(np.s_[max(-lo, 0):n - max(-hi, 0)]
                       for n, (lo, hi) in zip(grown.shape, padding))]


@_register(lax.conv_p)
def conv_general_dilated(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
                         feature_group_count):
    """lhs NHWC, rhs HWIO: one matmul per (filter tap, group), summed."""
    acc = _accumulator(lhs.dtype)
    x = _dilate_pad(lhs.astype(acc), (1,) + tuple(lhs_dilation) + (1,),
                    ((0, 0),) + tuple(padding) + ((0, 0),), 0)
    w = rhs.astype(acc)
    kh, kw, cg, o = w.shape
    g = feature_group_count
    og = o // g
    kd = [0 if k == 0 else (k - 1) * d + 1 for k, d in zip((kh, kw), rhs_dilation)]
    oh, ow = [(n - k) // s + 1 if n >= k else 0
              for n, k, s in zip(x.shape[1:3], kd, window_strides)]
    out = np.zeros((lhs.shape[0], oh, ow, o), acc)
    if out.size == 0:
        return out
    sh, sw = window_strides
    for i in range(kh):
        for j in range(kw):
            y0, x0 = i * rhs_dilation[0], j * rhs_dilation[1]
            patch = x[:, y0:y0 + (oh - 1) * sh + 1:sh, x0:x0 + (ow - 1) * sw + 1:sw, :]
            for gi in range(g):
                out[..., gi * og:(gi + 1) * og] += (patch[..., gi * cg:(gi + 1) * cg]
                                                    @ w[i, j, :, gi * og:(gi + 1) * og])
    return out


def _reduce_window(x, window_dimensions, window_strides, padding, init, combine):
    xp = _dilate_pad(x, (1,) * x.ndim, padding, init)
    out_shape = [max(0, (n - k) // s + 1) if n >= k else 0
                 for n, k, s in zip(xp.shape, window_dimensions, window_strides)]
    out = np.full(out_shape, init, x.dtype)
    if out.size == 0:
        return out
    for off in np.ndindex(*window_dimensions):
        part = xp[tuple(np.s_[o:o + (n - 1) * s + 1:s]
                        for o, n, s in zip(off, out_shape, window_strides))]
        out = combine(out, part)
    return out


@_register(lax.reduce_window_sum_p)
def reduce_window_sum(x, *, window_dimensions, window_strides, padding):
    acc = _accumulator(x.dtype)
    return _reduce_window(x.astype(acc), window_dimensions, window_strides, padding, 0, np.add)


@_register(lax.reduce_window_max_p)
def reduce_window_max(x, *, window_dimensions, window_strides, padding):
    return _reduce_window(x, window_dimensions, window_strides, padding, _max_identity(x.dtype),
                          np.maximum)


def _selected_positions(x, window_dimensions, window_strides, padding):
    """Per window (pooled index): the flat index into ``x`` of its first maximum or first NaN,
    -1 for a window of padding only.  Plain loops: an oracle, not a fast path."""
    out_shape = [max(0, (n + lo + hi - k) // s + 1) if n + lo + hi >= k else 0
                 for n, k, s, (lo, hi) in zip(x.shape, window_dimensions, window_strides,
                                             padding)]
    sel = np.full(out_shape, -1, np.int64)
    for o in np.ndindex(*out_shape):
        best, best_v = -1, None
        for k in np.ndindex(*window_dimensions):
            q = tuple(oi * s + ki - lo for oi, ki, s, (lo, _) in
                      zip(o, k, window_strides, padding))
            if any(qi < 0 or qi >= n for qi, n in zip(q, x.shape)):
                continue
            v = x[q]
            if best < 0 or (not np.isnan(best_v) and (v > best_v or np.isnan(v))):
                best, best_v = int(np.ravel_multi_index(q, x.shape)), v
        sel[o] = best
    return sel


@_register(lax.select_and_gather_add_p)
def select_and_gather_add(tangent, operand, *, window_dimensions, window_strides, padding):
    sel = _selected_positions(operand, window_dimensions, window_strides, padding)
    flat = tangent.reshape(-1)
    return np.where(sel >= 0, flat[np.maximum(sel, 0)] if flat.size else 0,
                    0).astype(tangent.dtype)


@_register(lax.select_and_scatter_add_p)
def select_and_scatter_add(source, operand, *, window_dimensions, window_strides, padding):
    sel = _selected_positions(operand, window_dimensions, window_strides, padding)
    out = np.zeros(operand.size, source.dtype)
    keep = sel >= 0
    np.add.at(out, sel[keep], source[keep])
    return out.reshape(operand.shape)
