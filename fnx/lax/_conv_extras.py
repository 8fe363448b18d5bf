"""jax.lax's convolution helpers: ``ConvDimensionNumbers`` and ``conv_dimension_numbers``,
``conv_general_permutations``, the output-shape calculators (``conv_shape_tuple``,
``conv_general_shape_tuple``, ``conv_transpose_shape_tuple``, ``reduce_window_shape_tuple``)
and ``conv_transpose`` (a fractionally strided convolution: ``conv_general_dilated`` with the
strides as lhs dilation and the transposed padding), all over ``fnx.lax.conv``.
"""
from __future__ import annotations

import operator
from typing import NamedTuple, Sequence

import numpy as np

from ..errors import InvalidArgumentError, ShapeError
from ._util import as_operand
from .conv import conv_general_dilated, padtype_to_pads
from .shape import rev, transpose

__all__ = ["ConvDimensionNumbers", "ConvGeneralDilatedDimensionNumbers",
           "conv_dimension_numbers", "conv_general_permutations", "conv_shape_tuple",
           "conv_general_shape_tuple", "conv_transpose_shape_tuple",
           "reduce_window_shape_tuple", "conv_transpose"]


class ConvDimensionNumbers(NamedTuple):
    """Axis positions of a convolution's operands: ``lhs_spec`` (batch, feature,
    spatial...), ``rhs_spec`` (out feature, in feature, spatial...), ``out_spec`` (batch,
    feature, spatial...); spatial axes in one common order.  ``conv_general_dilated``
    accepts it as ``dimension_numbers``."""
    lhs_spec: Sequence[int]
    rhs_spec: Sequence[int]
    out_spec: Sequence[int]


ConvGeneralDilatedDimensionNumbers = object  # None, three layout strings or ConvDimensionNumbers


def conv_general_permutations(dimension_numbers):
    """The (lhs, rhs, out) axis permutations of layout strings like ``("NHWC", "HWIO",
    "NHWC")``: (N, C, spatial...) / (O, I, spatial...), spatial in the rhs' order."""
    try:
        lhs_s, rhs_s, out_s = dimension_numbers
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"conv_general_permutations: dimension_numbers must be three "
                                   f"layout strings, got {dimension_numbers!r}") from None
    specs = ((lhs_s, "NC"), (rhs_s, "OI"), (out_s, "NC"))
    for i, (spec, pair) in enumerate(specs):
        if not isinstance(spec, str):
            raise InvalidArgumentError(f"conv_general_permutations: dimension_numbers[{i}] must "
                                       f"be a string, got {spec!r}")
        if any(spec.count(ch) != 1 for ch in pair) or len(set(spec)) != len(spec):
            raise InvalidArgumentError(
                f"conv_general_permutations: dimension_numbers[{i}] = {spec!r} must contain "
                f"{pair[0]!r} and {pair[1]!r} exactly once and no repeated character")
    spatial = [ch for ch in rhs_s if ch not in "OI"]
    if not set(spatial) == set(lhs_s) - set("NC") == set(out_s) - set("NC"):
        raise InvalidArgumentError(f"conv_general_permutations: {dimension_numbers} must name "
                                   "the same spatial dimensions in lhs, rhs and out")
    return tuple((spec.index(pair[0]), spec.index(pair[1])) + tuple(spec.index(ch)
                                                                   for ch in spatial)
                 for spec, pair in specs)


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers) -> ConvDimensionNumbers:
    """``dimension_numbers`` (None, layout strings, or already ``ConvDimensionNumbers``) in
    the canonical ``ConvDimensionNumbers`` form for operands of these shapes."""
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        return dimension_numbers
    if len(lhs_shape) != len(rhs_shape):
        raise ShapeError(f"conv_dimension_numbers: lhs and rhs must have the same rank, got "
                         f"shapes {tuple(lhs_shape)} and {tuple(rhs_shape)}")
    if dimension_numbers is None:
        iota = tuple(range(len(lhs_shape)))
        return ConvDimensionNumbers(iota, iota, iota)
    if not isinstance(dimension_numbers, (list, tuple)) or len(dimension_numbers) != 3:
        raise InvalidArgumentError(f"conv_dimension_numbers: expected None, three layout "
                                   f"strings or ConvDimensionNumbers, got {dimension_numbers!r}")
    for spec in dimension_numbers:
        if isinstance(spec, str) and len(spec) != len(lhs_shape):
            raise ShapeError(f"conv_dimension_numbers: layout {spec!r} does not fit operands of "
                             f"rank {len(lhs_shape)}")
    return ConvDimensionNumbers(*conv_general_permutations(dimension_numbers))


def _out_size(padded: int, window: int, stride: int) -> int:
    return 0 if padded < window else (padded - window) // stride + 1


def conv_shape_tuple(lhs_shape, rhs_shape, strides, pads, batch_group_count=1):
    """The output shape of a convolution of operands in canonical order (N, C, spatial) /
    (O, I, spatial); ``pads`` "SAME" / "VALID" or (lo, hi) pairs."""
    lhs_shape, rhs_shape = tuple(lhs_shape), tuple(rhs_shape)
    if isinstance(pads, str):
        pads = padtype_to_pads(lhs_shape[2:], rhs_shape[2:], strides, pads)
    if len(pads) != len(lhs_shape) - 2:
        raise ShapeError(f"conv_shape_tuple: expected {len(lhs_shape) - 2} (lo, hi) pads, got "
                         f"{len(pads)}")
    padded = [d + lo + hi for d, (lo, hi) in zip(lhs_shape[2:], pads)]
    if any(p < 0 for p in padded):
        raise ShapeError(f"conv_shape_tuple: padding {pads} makes a dimension of "
                         f"{lhs_shape[2:]} negative")
    batch = lhs_shape[0] // batch_group_count if batch_group_count > 1 else lhs_shape[0]
    return (batch, rhs_shape[0]) + tuple(
        _out_size(p, k, s) for p, k, s in zip(padded, rhs_shape[2:], strides))


def _perms(dimension_numbers):
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        return tuple(tuple(s) for s in dimension_numbers)
    return conv_general_permutations(dimension_numbers)


def conv_general_shape_tuple(lhs_shape, rhs_shape, window_strides, padding, dimension_numbers):
    """The output shape of ``conv_general_dilated`` (no dilation) in the ``out`` layout."""
    lhs_perm, rhs_perm, out_perm = _perms(dimension_numbers)
    out = conv_shape_tuple(np.take(lhs_shape, lhs_perm), np.take(rhs_shape, rhs_perm),
                           window_strides, padding)
    return tuple(int(d) for d in np.take(out, np.argsort(out_perm)))


def _transpose_padding(k: int, s: int, padding):
    """(before, after) padding of the transposed convolution for one spatial dimension of
    kernel size ``k`` and stride ``s``, given the forward convolution's ``padding``."""
    if padding == "SAME":
        total = k + s - 2
        before = k - 1 if s > k - 1 else -(-total // 2)
    elif padding == "VALID":
        total = k + s - 2 + max(k - s, 0)
        before = k - 1
    elif isinstance(padding, (tuple, list)) and len(padding) == 2:
        before, after = (k - operator.index(p) - 1 for p in padding)
        total = before + after
    else:
        raise InvalidArgumentError(f"conv_transpose: invalid padding {padding!r} (expected "
                                   "'SAME', 'VALID' or (lo, hi) pairs)")
    return before, total - before


def conv_transpose_shape_tuple(lhs_shape, rhs_shape, window_strides, padding,
                               dimension_numbers):
    """The output shape of ``conv_transpose`` in the ``out`` layout."""
    lhs_perm, rhs_perm, out_perm = _perms(dimension_numbers)
    lhs_t, rhs_t = np.take(lhs_shape, lhs_perm), np.take(rhs_shape, rhs_perm)
    if isinstance(padding, str):
        padding = [_transpose_padding(int(k), s, padding)
                   for k, s in zip(rhs_t[2:], window_strides)]
    space = [(int(i) - 1) * s - int(k) + 2 + sum(p)
             for i, k, s, p in zip(lhs_t[2:], rhs_t[2:], window_strides, padding)]
    out = (int(lhs_t[0]), int(rhs_t[0])) + tuple(space)
    return tuple(int(d) for d in np.take(out, np.argsort(out_perm)))


def reduce_window_shape_tuple(operand_shape, window_dimensions, window_strides, padding,
                              base_dilation=None, window_dilation=None):
    """The output shape of ``reduce_window`` with explicit (lo, hi) ``padding``."""
    dilate = lambda d, r: 0 if d == 0 else (d - 1) * r + 1  # noqa: E731
    if base_dilation is not None:
        operand_shape = [dilate(d, r) for d, r in zip(operand_shape, base_dilation)]
    if window_dilation is not None:
        window_dimensions = [dilate(d, r) for d, r in zip(window_dimensions, window_dilation)]
    padded = [d + lo + hi for d, (lo, hi) in zip(operand_shape, padding)]
    return tuple(_out_size(p, w, s) for p, w, s in zip(padded, window_dimensions,
                                                       window_strides))


_DEFAULT_TRANSPOSE_LAYOUTS = {3: ("NHC", "HIO", "NHC"), 4: ("NHWC", "HWIO", "NHWC")}


def conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None,
                   transpose_kernel=False, precision=None, preferred_element_type=None,
                   use_consistent_padding=False):
    """``jax.lax.conv_transpose``: the fractionally strided convolution (layouts default to
    NHC / NHWC with HIO / HWIO kernels, as JAX).  "SAME" / "VALID" (and, with
    ``use_consistent_padding``, explicit pairs) name the forward convolution's padding;
    otherwise explicit pairs pad the transposed one.  ``transpose_kernel`` flips the kernel's
    spatial axes and swaps its feature axes (the gradient of a forward convolution)."""
    lhs, rhs = as_operand(lhs, op="conv_transpose"), as_operand(rhs, op="conv_transpose")
    if lhs.ndim != rhs.ndim or lhs.ndim not in _DEFAULT_TRANSPOSE_LAYOUTS:
        raise ShapeError(f"conv_transpose: supports lhs and rhs of equal rank 3 or 4 (1 or 2 "
                         f"spatial dimensions), got shapes {tuple(lhs.shape)} and "
                         f"{tuple(rhs.shape)}")
    if dimension_numbers is None:
        dimension_numbers = _DEFAULT_TRANSPOSE_LAYOUTS[lhs.ndim]
    dn = conv_dimension_numbers(lhs.shape, rhs.shape, dimension_numbers)
    nd = lhs.ndim - 2
    strides = tuple(operator.index(s) for s in strides)
    rhs_dilation = (1,) * nd if rhs_dilation is None else tuple(rhs_dilation)
    kernel = [int(rhs.shape[a]) for a in dn.rhs_spec[2:]]
    if use_consistent_padding or (isinstance(padding, str) and padding in ("SAME", "VALID")):
        forward = [padding] * nd if isinstance(padding, str) else list(padding)
        pads = tuple(_transpose_padding((k - 1) * r + 1, s, p)
                     for k, r, s, p in zip(kernel, rhs_dilation, strides, forward))
    else:
        pads = padding
    if transpose_kernel:
        rhs = rev(rhs, tuple(dn.rhs_spec[2:]))
        perm = list(range(rhs.ndim))
        o, i = dn.rhs_spec[0], dn.rhs_spec[1]
        perm[o], perm[i] = i, o
        rhs = transpose(rhs, tuple(perm))
    return conv_general_dilated(lhs, rhs, (1,) * nd, pads, lhs_dilation=strides,
                               rhs_dilation=rhs_dilation, dimension_numbers=dn,
                               precision=precision,
                               preferred_element_type=preferred_element_type)
