"""Convolution and windowed reductions (pooling).

``conv_general_dilated`` has JAX's signature and semantics (any ``dimension_numbers``, "SAME" /
"VALID" / explicit padding, lhs/rhs dilation, feature groups); the primitive ``conv_p`` itself
works in ONE canonical layout -- lhs NHWC, rhs HWIO, out NHWC, two spatial dimensions, explicit
padding -- and the public function transposes around it (1-D convolutions get a unit spatial
dimension).  Keeping one layout keeps the kernel, the autodiff rules and the batching rule
simple; the transposes are strided views on the CPU (the kernel packs its operands anyway).

``reduce_window`` (max / add) binds ``reduce_window_max_p`` / ``reduce_window_sum_p``: windows
over every dimension of the operand with explicit (lo, hi) padding that contributes the
reduction's identity.  ``max_pool`` / ``avg_pool`` are NHWC helpers on top.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import dtypes
from ..core import Array, Fusion, Primitive, ShapedArray, Tracer, bind
from ..errors import InvalidArgumentError, dtype_error, shape_error
from ..interpreters import ad, batching
from ._precision import contract_with
from ._util import as_operand, as_operands, check_same_dtypes
from .shape import _linear_transpose, broadcast_in_dim, expand_dims, pad, reshape, rev, transpose
from .shape import slice as slice_op

__all__ = ["conv_general_dilated", "conv", "conv_with_general_padding", "padtype_to_pads",
           "reduce_window", "max_pool", "avg_pool", "conv_p", "reduce_window_max_p",
           "reduce_window_sum_p", "select_and_gather_add", "select_and_scatter_add",
           "select_and_gather_add_p", "select_and_scatter_add_p"]

_CONV_DTYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64)
_WINDOW_DTYPES = dtypes.NUMERIC


def _dilate(d: int, k: int) -> int:
    """Size of a dimension of ``d`` elements with ``k - 1`` holes between neighbours."""
    return 0 if d == 0 else (d - 1) * k + 1


def _window_out(size: int, window: int, stride: int) -> int:
    """Number of windows of ``window`` elements at ``stride`` in ``size`` elements."""
    return max(0, (size - window) // stride + 1) if size >= window else 0


def padtype_to_pads(in_shape, window_shape, window_strides, padding):
    """Explicit (lo, hi) pairs for ``padding`` "SAME" / "VALID" (as jax.lax.padtype_to_pads)."""
    if not isinstance(padding, str):
        return tuple((operator.index(lo), operator.index(hi)) for lo, hi in padding)
    kind = padding.upper()
    if kind == "VALID":
        return ((0, 0),) * len(in_shape)
    if kind in ("SAME", "SAME_LOWER"):
        pads = []
        for d, k, s in zip(in_shape, window_shape, window_strides):
            out = -(-d // s)
            total = max(0, (out - 1) * s + k - d)
            lo = total // 2 if kind == "SAME" else total - total // 2
            pads.append((lo, total - lo))
        return tuple(pads)
    raise InvalidArgumentError(f"padding must be 'SAME', 'VALID' or (lo, hi) pairs, got "
                               f"{padding!r}")


def _ints(seq, n, op, what, minimum=None):
    try:
        out = tuple(operator.index(s) for s in seq)
    except TypeError:
        raise TypeError(f"{op}: {what} must be a sequence of integers, got {seq!r}") from None
    if len(out) != n:
        raise InvalidArgumentError(f"{op}: {what} {out} needs {n} entries")
    if minimum is not None and any(s < minimum for s in out):
        raise InvalidArgumentError(f"{op}: {what} {out} must be >= {minimum}")
    return out


# =============================================================================================
# conv_general_dilated: lhs NHWC, rhs HWIO, out NHWC
# =============================================================================================

conv_p = Primitive("conv_general_dilated", fusion=Fusion.LIBRARY)


def _conv_out_spatial(lhs_shape, rhs_shape, window_strides, padding, lhs_dilation,
                      rhs_dilation):
    out = []
    for i in range(2):
        size = _dilate(lhs_shape[1 + i], lhs_dilation[i]) + padding[i][0] + padding[i][1]
        if size < 0:
            return None
        out.append(_window_out(size, _dilate(rhs_shape[i], rhs_dilation[i]),
                               window_strides[i]))
    return out


@conv_p.def_abstract_eval
def _conv_abstract_eval(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
                        feature_group_count):
    op = "conv_general_dilated"
    check_same_dtypes(op, lhs, rhs)
    if lhs.dtype not in _CONV_DTYPES:
        raise dtype_error(op, "supports float32, float64, int32 and int64", lhs, rhs)
    if lhs.ndim != 4 or rhs.ndim != 4:
        raise shape_error(op, "the primitive takes lhs NHWC and rhs HWIO (rank 4)", lhs, rhs)
    if (len(window_strides) != 2 or len(padding) != 2 or len(lhs_dilation) != 2
            or len(rhs_dilation) != 2):
        raise shape_error(op, "window_strides, padding and dilations need 2 entries", lhs, rhs)
    if min(window_strides + lhs_dilation + rhs_dilation) < 1:
        raise shape_error(op, "strides and dilations must be >= 1", lhs, rhs)
    g = feature_group_count
    c, (cg, o) = lhs.shape[3], rhs.shape[2:]
    if g < 1 or c != cg * g:
        raise shape_error(op, f"lhs features ({c}) must equal rhs input features ({cg}) times "
                          f"feature_group_count ({g})", lhs, rhs)
    if o % g:
        raise shape_error(op, f"rhs output features ({o}) must be a multiple of "
                          f"feature_group_count ({g})", lhs, rhs)
    spatial = _conv_out_spatial(lhs.shape, rhs.shape, window_strides, padding, lhs_dilation,
                                rhs_dilation)
    if spatial is None:
        raise shape_error(op, f"padding {padding} makes a spatial size negative", lhs, rhs)
    return ShapedArray((lhs.shape[0], *spatial, o), lhs.dtype, lhs.weak_type and rhs.weak_type)


# Bilinear: d conv(lhs, rhs) = conv(t_lhs, rhs) + conv(lhs, t_rhs).
ad.defjvp(conv_p,
          lambda g, lhs, rhs, **params: bind(conv_p, g, rhs, **params),
          lambda g, lhs, rhs, **params: bind(conv_p, lhs, g, **params))


def _zeros(shape, dtype, weak_type=False):
    return broadcast_in_dim(Array(np.zeros((), dtype), weak_type=weak_type), tuple(shape), ())


# The input gradient of a strided convolution runs as one stride-1 "polyphase" convolution
# (below) instead of a convolution over the zero-dilated cotangent; False selects the dilated
# path everywhere (the benchmark and the tests compare the two).
POLYPHASE_LHS_GRAD = True


def _conv_lhs_cotangent(ct, rhs, lhs_shape, *, window_strides, padding, lhs_dilation,
                        rhs_dilation, feature_group_count):
    if (POLYPHASE_LHS_GRAD and max(window_strides) > 1 and lhs_dilation == (1, 1)
            and rhs_dilation == (1, 1)):
        return _conv_lhs_cotangent_polyphase(ct, rhs, lhs_shape, window_strides=window_strides,
                                             padding=padding,
                                             feature_group_count=feature_group_count)
    return _conv_lhs_cotangent_dilated(ct, rhs, lhs_shape, window_strides=window_strides,
                                       padding=padding, lhs_dilation=lhs_dilation,
                                       rhs_dilation=rhs_dilation,
                                       feature_group_count=feature_group_count)


def _conv_lhs_cotangent_dilated(ct, rhs, lhs_shape, *, window_strides, padding, lhs_dilation,
                                rhs_dilation, feature_group_count):
    """Input gradient: a convolution of the cotangent (dilated by the strides) with the
    spatially flipped kernel whose in/out features are swapped per group, stride = the
    forward lhs_dilation; the padding puts every input position under the window taps that
    read it (negative high padding drops what the forward pass never read)."""
    kh, kw, cg, o = rhs.shape
    g = feature_group_count
    og = o // g
    pads = []
    for i, k in enumerate((kh, kw)):
        kd = _dilate(k, rhs_dilation[i])
        ctd = _dilate(ct.shape[1 + i], window_strides[i])
        lo = kd - 1 - padding[i][0]
        hi = (lhs_shape[1 + i] - 1) * lhs_dilation[i] + kd - ctd - lo
        pads.append((lo, hi))
    w = rev(rhs, (0, 1))
    w = reshape(w, (kh, kw, cg, g, og))
    w = reshape(transpose(w, (0, 1, 4, 3, 2)), (kh, kw, og, g * cg))
    return bind(conv_p, ct, w, window_strides=lhs_dilation, padding=tuple(pads),
                lhs_dilation=window_strides, rhs_dilation=rhs_dilation,
                feature_group_count=g)


def _polyphase_geometry(k, s, pad_lo, out_size, in_size):
    """One spatial dimension of the polyphase input gradient.

    The forward reads x[s*o + t - pad_lo] with tap t, so input pixel i = s*a + p (phase p)
    receives ct[o] * w[t] for every o = a + u with s*u = p + pad_lo - t.  Over all phases and
    taps, u runs through [u_lo, u_hi]: a stride-1 window of U = u_hi - u_lo + 1 cotangent
    rows starting at row a + u_lo computes every phase's pixel a at once, each phase with its
    own U taps (w[p + pad_lo - s*u], zero where that tap does not exist).  Returns (U, the
    low padding of the flipped kernel that lines its taps up, the conv's (lo, hi) padding of
    the cotangent, the number of pixels per phase)."""
    u_lo = -((k - 1 - pad_lo) // s)           # ceil((pad_lo - k + 1) / s)
    u_hi = (s - 1 + pad_lo) // s
    taps = u_hi - u_lo + 1
    # flipped-kernel index of the tap for (window row j, phase p) is s*j + c0 - p, 0 <= c0 < s;
    # padding the flipped kernel low by s-1-c0 makes it s*j + (s-1-p): a (taps, s) reshape.
    c0 = k - 1 - pad_lo + s * u_lo
    per_phase = -(-in_size // s)
    lo = -u_lo
    return taps, s - 1 - c0, (lo, per_phase + taps - 1 - out_size - lo), per_phase


def _conv_lhs_cotangent_polyphase(ct, rhs, lhs_shape, *, window_strides, padding,
                                  feature_group_count):
    """Input gradient of a strided convolution without multiplying by the zeros of the dilated
    cotangent: ONE stride-1 convolution of the cotangent whose output features are
    (group, phase_h, phase_w, input feature), with per-phase sub-kernels of the flipped filter
    (about k/s taps per dimension instead of k), then a reshape/transpose interleaves the
    phases back into pixels.  Exactly the same sums as the dilated path (minus zero terms)."""
    kh, kw, cg, o = rhs.shape
    g = feature_group_count
    og = o // g
    n = ct.shape[0]
    geo = [_polyphase_geometry(k, s, pad[0], ct.shape[1 + i], lhs_shape[1 + i])
           for i, (k, s, pad) in enumerate(zip((kh, kw), window_strides, padding))]
    (uh, lh, pads_h, ah), (uw, lw, pads_w, aw) = geo
    sh, sw = window_strides
    w = rev(rhs, (0, 1))
    zero = Array(np.zeros((), rhs.dtype), weak_type=rhs.weak_type)
    w = pad(w, zero, ((lh, uh * sh - kh - lh, 0), (lw, uw * sw - kw - lw, 0), (0, 0, 0),
                      (0, 0, 0)))
    w = rev(reshape(w, (uh, sh, uw, sw, cg, g, og)), (1, 3))   # [j, s-1-p] -> [j, p]
    # kernel (U_h, U_w, Og, G * s_h * s_w * Cg): output features group-major, as conv_p groups
    w = reshape(transpose(w, (0, 2, 6, 5, 1, 3, 4)), (uh, uw, og, g * sh * sw * cg))
    out = bind(conv_p, ct, w, window_strides=(1, 1), padding=(pads_h, pads_w),
               lhs_dilation=(1, 1), rhs_dilation=(1, 1), feature_group_count=g)
    out = reshape(out, (n, ah, aw, g, sh, sw, cg))
    out = reshape(transpose(out, (0, 1, 4, 2, 5, 3, 6)), (n, ah * sh, aw * sw, g * cg))
    h, wd = lhs_shape[1], lhs_shape[2]
    if (ah * sh, aw * sw) != (h, wd):
        out = slice_op(out, (0, 0, 0, 0), (n, h, wd, g * cg))
    return out


def _conv_rhs_cotangent(ct, lhs, rhs_shape, *, window_strides, padding, lhs_dilation,
                        rhs_dilation, feature_group_count):
    """Filter gradient: a convolution of the input (as a batch of its Cg per-group channels,
    features = groups x images) with the cotangent (as a kernel: spatial = output positions,
    in = images, out = output features), window dilation = forward strides, stride = forward
    rhs_dilation."""
    n, h, w, c = lhs.shape
    kh, kw, cg, o = rhs_shape
    g = feature_group_count
    pads = []
    for i, k in enumerate((kh, kw)):
        ctd = _dilate(ct.shape[1 + i], window_strides[i])
        lo = padding[i][0]
        hi = (k - 1) * rhs_dilation[i] + ctd - _dilate(lhs.shape[1 + i], lhs_dilation[i]) - lo
        pads.append((lo, hi))
    x = reshape(lhs, (n, h, w, g, cg))
    x = reshape(transpose(x, (4, 1, 2, 3, 0)), (cg, h, w, g * n))
    kern = transpose(ct, (1, 2, 0, 3))  # (OH, OW, N, O)
    out = bind(conv_p, x, kern, window_strides=rhs_dilation, padding=tuple(pads),
               lhs_dilation=lhs_dilation, rhs_dilation=window_strides,
               feature_group_count=g)  # (Cg, KH, KW, O)
    return transpose(out, (1, 2, 0, 3))


@_linear_transpose
def _conv_transpose_rule(ct, lhs, rhs, **params):
    if ad.is_undefined(lhs) and ad.is_undefined(rhs):
        raise NotImplementedError("conv_general_dilated is bilinear, not linear: cannot "
                                  "transpose it with respect to both operands at once")
    if ad.is_undefined(lhs):
        shape, dtype = lhs.aval.shape, lhs.aval.dtype
        if 0 in shape or 0 in rhs.shape or 0 in ct.shape:
            return [_zeros(shape, dtype), None]
        return [_conv_lhs_cotangent(ct, rhs, shape, **params), None]
    shape, dtype = rhs.aval.shape, rhs.aval.dtype
    if 0 in shape or 0 in lhs.shape or 0 in ct.shape:
        return [None, _zeros(shape, dtype)]
    return [None, _conv_rhs_cotangent(ct, lhs, shape, **params)]


ad.deftranspose(conv_p, _conv_transpose_rule)


def _conv_batching_rule(axis_size, args, dims, *, feature_group_count, **params):
    """lhs batched: the batch folds into the images.  rhs batched: into the output features
    (group-major, so the groups stay contiguous).  Both: into the feature groups."""
    (lhs, rhs), (ld, rd) = args, dims
    B, g = axis_size, feature_group_count
    if ld is not None and rd is None:
        x = batching.moveaxis(lhs, ld, 0)
        n = x.shape[1]
        x = reshape(x, (B * n,) + tuple(x.shape[2:]))
        out = bind(conv_p, x, rhs, feature_group_count=g, **params)
        return reshape(out, (B, n) + tuple(out.shape[1:])), 0
    out_aval = _conv_abstract_eval(
        ShapedArray(_unbatched_shape(lhs, ld), lhs.dtype),
        ShapedArray(_unbatched_shape(rhs, rd), rhs.dtype), feature_group_count=g, **params)
    n, oh, ow, o = out_aval.shape
    if B == 0:
        return _zeros((n, oh, ow, 0, o), out_aval.dtype), 3
    og = o // g
    w = batching.moveaxis(rhs, rd, 0)
    kh, kw, cg = w.shape[1:4]
    if ld is None:  # output features ordered (group, batch, og)
        w = reshape(w, (B, kh, kw, cg, g, og))
        w = reshape(transpose(w, (1, 2, 3, 4, 0, 5)), (kh, kw, cg, g * B * og))
        out = bind(conv_p, lhs, w, feature_group_count=g, **params)
        out = reshape(out, (n, oh, ow, g, B, og))
        return reshape(transpose(out, (0, 1, 2, 4, 3, 5)), (n, oh, ow, B, o)), 3
    x = batching.moveaxis(lhs, ld, 3)  # (N, H, W, B, C): features ordered (batch, group, cg)
    x = reshape(x, tuple(x.shape[:3]) + (B * x.shape[4],))
    w = reshape(transpose(w, (1, 2, 3, 0, 4)), (kh, kw, cg, B * o))
    out = bind(conv_p, x, w, feature_group_count=B * g, **params)
    return reshape(out, (n, oh, ow, B, o)), 3


def _unbatched_shape(x, d):
    return tuple(s for i, s in enumerate(x.shape) if i != d)


batching.batching_rules[conv_p] = _conv_batching_rule


def _conv_specs(dimension_numbers, nd, op="conv_general_dilated"):
    """(lhs, rhs, out) axis positions as (batch/out-feature, feature/in-feature, spatial...)."""
    if dimension_numbers is None:
        names = {1: ("NCW", "OIW", "NCW"), 2: ("NCHW", "OIHW", "NCHW")}.get(nd)
        if names is None:
            return tuple(tuple(range(nd + 2)) for _ in range(3))
        dimension_numbers = names
    lhs_s, rhs_s, out_s = dimension_numbers
    if isinstance(lhs_s, str):
        for spec, letters in ((lhs_s, "NC"), (rhs_s, "OI"), (out_s, "NC")):
            if len(spec) != nd + 2 or any(ch not in spec for ch in letters):
                raise InvalidArgumentError(
                    f"{op}: dimension_numbers {dimension_numbers} do not fit "
                    f"operands of rank {nd + 2}")
        spatial = [ch for ch in rhs_s if ch not in "OI"]
        try:
            lhs = (lhs_s.index("N"), lhs_s.index("C")) + tuple(lhs_s.index(ch) for ch in spatial)
            rhs = (rhs_s.index("O"), rhs_s.index("I")) + tuple(rhs_s.index(ch) for ch in spatial)
            out = (out_s.index("N"), out_s.index("C")) + tuple(out_s.index(ch) for ch in spatial)
        except ValueError:
            raise InvalidArgumentError(
                f"{op}: dimension_numbers {dimension_numbers} must name the "
                "same spatial dimensions in lhs, rhs and out") from None
        return lhs, rhs, out
    return tuple(tuple(int(a) for a in spec) for spec in (lhs_s, rhs_s, out_s))


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None,
                         rhs_dilation=None, dimension_numbers=None, feature_group_count=1,
                         batch_group_count=1, precision=None, preferred_element_type=None):
    """General dilated convolution (as ``jax.lax.conv_general_dilated``), 1 or 2 spatial dims.

    ``padding``: "SAME", "VALID" or ``[(lo, hi), ...]``; ``dimension_numbers``: e.g.
    ``("NHWC", "HWIO", "NHWC")``, or None for ``("NCHW", "OIHW", "NCHW")``.

    >>> x = fnx.numpy.ones((1, 5, 5, 3)); w = fnx.numpy.ones((3, 3, 3, 8))
    >>> conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")).shape
    (1, 5, 5, 8)
    """
    return _conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                                 dimension_numbers, feature_group_count, batch_group_count,
                                 precision, preferred_element_type, "conv_general_dilated")


def _check_conv_operands(op, lhs, rhs, lspec, rspec, dimension_numbers, groups):
    """Feature counts checked in the user's layout: the primitive checks them too, but on the
    NHWC / HWIO operands it is given, shapes the user never wrote."""
    def where():
        if dimension_numbers is None:
            default = {3: ("NCW", "OIW", "NCW"), 4: ("NCHW", "OIHW", "NCHW")}[lhs.ndim]
            layout = f"dimension_numbers={default} (the default)"
        else:
            layout = f"dimension_numbers={dimension_numbers}"
        return (f" (lhs shape {tuple(lhs.shape)}, rhs shape {tuple(rhs.shape)}, {layout}, "
                f"feature_group_count={groups})")
    c, cg, o = lhs.shape[lspec[1]], rhs.shape[rspec[1]], rhs.shape[rspec[0]]
    if groups < 1:
        raise InvalidArgumentError(f"{op}: feature_group_count must be >= 1, got {groups}")
    if c != cg * groups:
        raise shape_error(op, f"the lhs has {c} input features (axis {lspec[1]}) but the rhs "
                              f"expects {cg * groups} (its {cg} input features, axis {rspec[1]}, "
                              f"times feature_group_count {groups}){where()}")
    if o % groups:
        raise shape_error(op, f"the rhs output features ({o}, axis {rspec[0]}) must be a "
                              f"multiple of feature_group_count ({groups}){where()}")


def _conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                          dimension_numbers, feature_group_count, batch_group_count,
                          precision, preferred_element_type, op):
    lhs, rhs = as_operands(lhs, rhs)
    if batch_group_count != 1:
        raise NotImplementedError(f"{op}: batch_group_count != 1 is not supported")
    return contract_with(op, lambda a, b: _conv_in_dtype(
        a, b, window_strides, padding, lhs_dilation, rhs_dilation, dimension_numbers,
        feature_group_count, op), (lhs, rhs), precision, preferred_element_type)


def _conv_in_dtype(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                   dimension_numbers, feature_group_count, op):
    nd = lhs.ndim - 2
    if nd not in (1, 2) or rhs.ndim != lhs.ndim:
        raise shape_error(op, "supports 1 or 2 spatial dimensions (lhs and rhs of rank 3 or 4)",
                          lhs, rhs)
    lspec, rspec, ospec = _conv_specs(dimension_numbers, nd, op)
    groups = operator.index(feature_group_count)
    strides = _ints(window_strides, nd, op, "window_strides", 1)
    ldil = _ints(lhs_dilation or (1,) * nd, nd, op, "lhs_dilation", 1)
    rdil = _ints(rhs_dilation or (1,) * nd, nd, op, "rhs_dilation", 1)
    in_sizes = [_dilate(lhs.shape[lspec[2 + i]], ldil[i]) for i in range(nd)]
    win_sizes = [_dilate(rhs.shape[rspec[2 + i]], rdil[i]) for i in range(nd)]
    pads = padtype_to_pads(in_sizes, win_sizes, strides, padding)
    if len(pads) != nd:
        raise InvalidArgumentError(f"{op}: padding {padding} needs {nd} (lo, hi) pairs")
    for size, (lo, hi) in zip(in_sizes, pads):
        if size + lo + hi < 0:
            raise shape_error(op, f"padding {padding} makes a spatial size negative (lhs shape "
                                  f"{tuple(lhs.shape)}, rhs shape {tuple(rhs.shape)})")
    _check_conv_operands(op, lhs, rhs, lspec, rspec, dimension_numbers, groups)
    x = transpose(lhs, (lspec[0],) + tuple(lspec[2:]) + (lspec[1],))       # N, spatial, C
    w = transpose(rhs, tuple(rspec[2:]) + (rspec[1], rspec[0]))            # spatial, I, O
    if nd == 1:  # a unit H dimension
        x, w = expand_dims(x, (1,)), expand_dims(w, (0,))
        strides, ldil, rdil, pads = (1,) + strides, (1,) + ldil, (1,) + rdil, ((0, 0),) + pads
    out = bind(conv_p, x, w, window_strides=strides, padding=pads, lhs_dilation=ldil,
               rhs_dilation=rdil, feature_group_count=groups)
    if nd == 1:
        out = reshape(out, (out.shape[0], out.shape[2], out.shape[3]))
    # out axes are (N, spatial..., C); result axis ospec[k] holds role k
    role_axis = (0, nd + 1) + tuple(range(1, nd + 1))
    perm = [0] * (nd + 2)
    for role, axis in enumerate(ospec):
        perm[axis] = role_axis[role]
    return transpose(out, tuple(perm))


def conv(lhs, rhs, window_strides, padding, precision=None, preferred_element_type=None):
    """``conv_general_dilated`` in NCHW / OIHW layout without dilation (as jax.lax.conv)."""
    return _conv_general_dilated(lhs, rhs, window_strides, padding, None, None, None, 1, 1,
                                 precision, preferred_element_type, "conv")


def conv_with_general_padding(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                              precision=None, preferred_element_type=None):
    return _conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                                 None, 1, 1, precision, preferred_element_type,
                                 "conv_with_general_padding")


# =============================================================================================
# reduce_window_sum / reduce_window_max: windows over every dimension, explicit padding
# =============================================================================================

def _window_abstract_eval(name):
    def rule(x, *, window_dimensions, window_strides, padding):
        if x.dtype not in _WINDOW_DTYPES:
            raise dtype_error(name, "supports numeric dtypes", x)
        nd = x.ndim
        if len(window_dimensions) != nd or len(window_strides) != nd or len(padding) != nd:
            raise shape_error(name, f"window_dimensions {window_dimensions}, window_strides "
                              f"{window_strides} and padding {padding} need one entry per "
                              "operand dimension", x)
        if min(window_dimensions + window_strides, default=1) < 1:
            raise shape_error(name, f"window_dimensions {window_dimensions} and window_strides "
                              f"{window_strides} must be >= 1", x)
        shape = []
        for d, k, s, (lo, hi) in zip(x.shape, window_dimensions, window_strides, padding):
            size = d + lo + hi
            if size < 0:
                raise shape_error(name, f"padding {padding} makes a size negative", x)
            shape.append(_window_out(size, k, s))
        return ShapedArray(shape, x.dtype, x.weak_type)
    return rule


def _window_batching_rule(prim):
    def rule(axis_size, args, dims, *, window_dimensions, window_strides, padding):
        (x,), (d,) = args, dims
        x = batching.moveaxis(x, d, 0)
        return bind(prim, x, window_dimensions=(1,) + window_dimensions,
                    window_strides=(1,) + window_strides, padding=((0, 0),) + padding), 0
    return rule


reduce_window_sum_p = Primitive("reduce_window_sum", fusion=Fusion.LIBRARY)
reduce_window_sum_p.def_abstract_eval(_window_abstract_eval("reduce_window_sum"))


@_linear_transpose
def _reduce_window_sum_transpose_rule(ct, x, *, window_dimensions, window_strides, padding):
    """Every input element receives the cotangents of the windows that contain it: the
    cotangent dilated by the strides and padded, then summed over windows at stride 1."""
    shape = x.aval.shape
    if 0 in shape or 0 in ct.shape:
        return [_zeros(shape, ct.dtype)]
    config = []
    for d, k, s, (lo, _), n in zip(shape, window_dimensions, window_strides, padding,
                                   ct.shape):
        lo2 = k - 1 - lo
        config.append((lo2, d + k - 1 - _dilate(n, s) - lo2, s - 1))
    padded = pad(ct, Array(np.zeros((), ct.dtype)), tuple(config))
    return [bind(reduce_window_sum_p, padded, window_dimensions=window_dimensions,
                 window_strides=(1,) * len(shape), padding=((0, 0),) * len(shape))]


ad.deflinear(reduce_window_sum_p, _reduce_window_sum_transpose_rule)
batching.batching_rules[reduce_window_sum_p] = _window_batching_rule(reduce_window_sum_p)


reduce_window_max_p = Primitive("reduce_window_max", fusion=Fusion.LIBRARY)
reduce_window_max_p.def_abstract_eval(_window_abstract_eval("reduce_window_max"))


def _lowest(dtype):
    dtype = np.dtype(dtype)
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _reduce_window_max_jvp(g, x, *, window_dimensions, window_strides, padding):
    """The tangent of each window's maximum is the tangent at its argmax (JAX's rule too)."""
    return select_and_gather_add(g, x, window_dimensions, window_strides, padding)


ad.defjvp(reduce_window_max_p, _reduce_window_max_jvp)
batching.batching_rules[reduce_window_max_p] = _window_batching_rule(reduce_window_max_p)


# =============================================================================================
# select_and_gather_add / select_and_scatter_add: the derivatives of max pooling
# =============================================================================================
# Every window of ``operand`` selects the position of its maximum (the first maximum, or the
# first NaN; never padding).  select_and_gather_add(t, operand) reads ``t`` at the selected
# positions (pooled shape) -- the JVP of reduce_window_max; select_and_scatter_add(s, operand)
# adds the pooled ``s`` into zeros of the operand's shape at those positions -- its transpose,
# i.e. the max-pool gradient.  Each is linear in its first operand and the transpose of the
# other; the selection is piecewise constant in ``operand`` (no tangent flows through it).
# One kernel (fnx_select_window) replaces the patch stacking + argmax + one-hot that a
# composition of primitives would need (a 4x copy of the activations for 2x2 pooling).

_SELECT_DTYPES = (dtypes.float32, dtypes.float64)


def _select_check(name, source, operand, window_dimensions, window_strides, padding,
                  source_shape):
    if operand.dtype not in _SELECT_DTYPES or source.dtype != operand.dtype:
        raise dtype_error(name, "needs float32 / float64 operands of one dtype", source, operand)
    if tuple(source.shape) != tuple(source_shape):
        raise shape_error(name, f"source shape {tuple(source.shape)} must be "
                          f"{tuple(source_shape)} for an operand of shape "
                          f"{tuple(operand.shape)}", source, operand)


def _pooled_shape(operand, window_dimensions, window_strides, padding):
    return _window_abstract_eval("reduce_window_max")(
        operand, window_dimensions=window_dimensions, window_strides=window_strides,
        padding=padding).shape


select_and_gather_add_p = Primitive("select_and_gather_add", fusion=Fusion.LIBRARY)


@select_and_gather_add_p.def_abstract_eval
def _select_and_gather_add_abstract_eval(tangent, operand, *, window_dimensions,
                                         window_strides, padding):
    out_shape = _pooled_shape(operand, window_dimensions, window_strides, padding)
    _select_check("select_and_gather_add", tangent, operand, window_dimensions,
                  window_strides, padding, operand.shape)
    return ShapedArray(out_shape, tangent.dtype, tangent.weak_type)


def _select_and_gather_add_transpose(ct, tangent, operand, **params):
    if ad.is_undefined(operand):
        raise NotImplementedError("select_and_gather_add is not linear in its operand")
    return [_select_and_scatter_add_or_zeros(ct, operand, tangent.aval.shape, **params), None]


ad.defjvp(select_and_gather_add_p,
          lambda g, tangent, operand, **params: bind(select_and_gather_add_p, g, operand,
                                                     **params),
          None)
ad.deftranspose(select_and_gather_add_p, _select_and_gather_add_transpose)


select_and_scatter_add_p = Primitive("select_and_scatter_add", fusion=Fusion.LIBRARY)


@select_and_scatter_add_p.def_abstract_eval
def _select_and_scatter_add_abstract_eval(source, operand, *, window_dimensions,
                                          window_strides, padding):
    out_shape = _pooled_shape(operand, window_dimensions, window_strides, padding)
    _select_check("select_and_scatter_add", source, operand, window_dimensions,
                  window_strides, padding, out_shape)
    return ShapedArray(operand.shape, source.dtype, source.weak_type)


def _select_and_scatter_add_transpose(ct, source, operand, **params):
    if ad.is_undefined(operand):
        raise NotImplementedError("select_and_scatter_add is not linear in its operand")
    return [bind(select_and_gather_add_p, ct, operand, **params), None]


ad.defjvp(select_and_scatter_add_p,
          lambda g, source, operand, **params: bind(select_and_scatter_add_p, g, operand,
                                                    **params),
          None)
ad.deftranspose(select_and_scatter_add_p, _select_and_scatter_add_transpose)


def _select_and_scatter_add_or_zeros(ct, operand, shape, **params):
    if 0 in shape or 0 in ct.shape:
        return _zeros(shape, ct.dtype, ct.weak_type)
    return bind(select_and_scatter_add_p, ct, operand, **params)


def _select_batching_rule(prim):
    """Batch both operands along a new leading window dimension of size 1."""
    def rule(axis_size, args, dims, *, window_dimensions, window_strides, padding):
        src, operand = (batching.move_to(x, d, axis_size, 0) for x, d in zip(args, dims))
        return bind(prim, src, operand, window_dimensions=(1,) + window_dimensions,
                    window_strides=(1,) + window_strides, padding=((0, 0),) + padding), 0
    return rule


batching.batching_rules[select_and_gather_add_p] = _select_batching_rule(select_and_gather_add_p)
batching.batching_rules[select_and_scatter_add_p] = _select_batching_rule(
    select_and_scatter_add_p)


def select_and_gather_add(tangent, operand, window_dimensions, window_strides, padding):
    """``tangent`` at the position of every window's maximum of ``operand`` (the JVP of
    ``reduce_window`` max); ``padding`` is explicit (lo, hi) pairs."""
    t, x = as_operands(tangent, operand)
    window_dimensions, window_strides, padding = _window_params(
        window_dimensions, window_strides, padding)
    if 0 in _pooled_shape(x, window_dimensions, window_strides, padding) or 0 in x.shape:
        return _zeros(_pooled_shape(x, window_dimensions, window_strides, padding), t.dtype,
                      t.weak_type)
    return bind(select_and_gather_add_p, t, x, window_dimensions=window_dimensions,
                window_strides=window_strides, padding=padding)


def select_and_scatter_add(source, operand, window_dimensions, window_strides, padding):
    """Zeros of ``operand``'s shape plus each element of ``source`` (one per window) added at
    the position of that window's maximum of ``operand``: the gradient of max pooling."""
    s, x = as_operands(source, operand)
    window_dimensions, window_strides, padding = _window_params(
        window_dimensions, window_strides, padding)
    return _select_and_scatter_add_or_zeros(s, x, tuple(x.shape),
                                            window_dimensions=window_dimensions,
                                            window_strides=window_strides, padding=padding)


def _window_params(window_dimensions, window_strides, padding):
    return (tuple(operator.index(k) for k in window_dimensions),
            tuple(operator.index(k) for k in window_strides),
            tuple((operator.index(lo), operator.index(hi)) for lo, hi in padding))


def _computation_kind(computation):
    from . import elementwise as ew
    if computation in ("max", ew.max, ew.max_p) or getattr(computation, "__name__", "") in (
            "max", "maximum"):
        return "max"
    if computation in ("add", "sum", ew.add, ew.add_p) or getattr(
            computation, "__name__", "") in ("add",):
        return "add"
    raise NotImplementedError(f"reduce_window: computation {computation!r} is not supported "
                              "(use fnx.lax.max or fnx.lax.add)")


def _is_identity(init_value, kind, dtype) -> bool:
    if isinstance(init_value, Tracer):
        return False
    v = np.asarray(init_value._value if isinstance(init_value, Array) else init_value)
    if v.shape != ():
        return False
    return bool(v == (_lowest(dtype) if kind == "max" else 0))


def reduce_window(operand, init_value, computation, window_dimensions, window_strides,
                  padding, base_dilation=None, window_dilation=None):
    """Reduce every window of ``operand`` with ``computation`` (``fnx.lax.max`` or
    ``fnx.lax.add``), as ``jax.lax.reduce_window``; ``padding`` "SAME" / "VALID" / pairs.

    >>> reduce_window(x, -np.inf, fnx.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")  # max pool
    """
    op = "reduce_window"
    x = as_operand(operand)
    kind = _computation_kind(computation)
    nd = x.ndim
    if any(d != 1 for d in (base_dilation or ())) or any(d != 1 for d in (window_dilation or ())):
        raise NotImplementedError(f"{op}: base_dilation / window_dilation are not supported")
    window = _ints(window_dimensions, nd, op, "window_dimensions", 1)
    strides = _ints(window_strides, nd, op, "window_strides", 1)
    pads = padtype_to_pads(x.shape, window, strides, padding)
    if len(pads) != nd:
        raise InvalidArgumentError(f"{op}: padding {padding} needs {nd} (lo, hi) pairs")
    prim = reduce_window_max_p if kind == "max" else reduce_window_sum_p
    if _is_identity(init_value, kind, x.dtype):
        return bind(prim, x, window_dimensions=window, window_strides=strides, padding=pads)
    # a non-identity init value: pad with it explicitly, and fold it in once
    from . import elementwise as ew
    init = as_operand(init_value, x.dtype)
    if init.dtype != x.dtype:
        init = ew.convert_element_type(init, x.dtype)
    xp = pad(x, init, tuple((lo, hi, 0) for lo, hi in pads))
    out = bind(prim, xp, window_dimensions=window, window_strides=strides,
               padding=((0, 0),) * nd)
    combine = ew.max if kind == "max" else ew.add
    return combine(out, broadcast_in_dim(init, tuple(out.shape), ()))


def _pool_args(x, window, strides, what):
    nsp = x.ndim - 2
    if isinstance(window, int):
        window = (window,) * nsp
    strides = window if strides is None else strides
    if isinstance(strides, int):
        strides = (strides,) * nsp
    if len(window) != nsp or len(strides) != nsp:
        raise shape_error(what, f"window {window} / strides {strides} need {nsp} entries "
                          "(operand NHWC)", x)
    return (1,) + tuple(window) + (1,), (1,) + tuple(strides) + (1,)


def _pool_pads(padding, nsp):
    if isinstance(padding, str):
        return padding
    pads = tuple(tuple(p) for p in padding)
    return ((0, 0),) + pads + ((0, 0),) if len(pads) == nsp else pads


def max_pool(x, window, strides=None, padding="VALID"):
    """Max pooling of an NHWC (or N, spatial..., C) array: ``max_pool(x, (2, 2), (2, 2))``."""
    x = as_operand(x)
    win, st = _pool_args(x, window, strides, "max_pool")
    return reduce_window(x, _lowest(x.dtype), "max", win, st, _pool_pads(padding, x.ndim - 2))


def avg_pool(x, window, strides=None, padding="VALID", count_include_pad=True):
    """Average pooling of an NHWC (or N, spatial..., C) float array.  With
    ``count_include_pad=False`` padded positions do not count in the average."""
    from . import elementwise as ew
    x = as_operand(x)
    win, st = _pool_args(x, window, strides, "avg_pool")
    pads = _pool_pads(padding, x.ndim - 2)
    total = reduce_window(x, 0, "add", win, st, pads)
    if count_include_pad:
        return ew.div(total, broadcast_in_dim(Array(np.array(math.prod(win), x.dtype)),
                                              tuple(total.shape), ()))
    ones = broadcast_in_dim(Array(np.ones((), x.dtype)), tuple(x.shape), ())
    counts = reduce_window(ones, 0, "add", win, st, pads)
    return ew.div(total, counts)
