"""Resampling by separable weight matrices (jax.image's semantics).

Pixels are half-centred: input pixel ``j`` of a dimension sits at ``j + 0.5``.  Scaling a
dimension of size ``m`` to size ``n`` by ``scale`` and ``translation`` maps input location ``u``
to ``u * scale + translation``; each output pixel ``i`` is sampled at the inverse image of its
centre, ``s_i = (i + 0.5 - translation) / scale - 0.5`` in input-index units, as a weighted sum of
the input pixels ``j`` with weight ``kernel(|s_i - j| / kernel_scale)``.  With ``antialias`` and a
downscale (scale < 1) the kernel is widened by ``kernel_scale = 1 / scale``, a low-pass filter;
otherwise ``kernel_scale = 1`` (pure interpolation).  Each output column of weights is divided by
its sum (so a constant image stays constant, its mean conserved), and an output pixel whose
sample falls outside the input, ``s_i`` not in ``[-0.5, m - 0.5]``, gets zero.

A dimension's weights form an ``(m, n)`` matrix, applied by one contraction (``tensordot``) per
resampled dimension, so any number of spatial dimensions works and everything is differentiable
with respect to the image and to ``scale`` / ``translation`` (the weights are smooth functions of
them, except at the kernels' kinks).
"""
from __future__ import annotations

import enum
import math
import operator

import numpy as np

from .. import lax
from .. import numpy as fnp
from ..errors import DTypeError, InvalidArgumentError, ShapeError

_PI = math.pi
# below this total an output column is treated as empty (JAX's threshold, in float32 epsilons)
_EMPTY_COLUMN = 1000.0 * float(np.finfo(np.float32).eps)


class ResizeMethod(enum.Enum):
    """How ``resize`` / ``scale_and_translate`` resample (jax.image.ResizeMethod).

    NEAREST: the input pixel under each output pixel's centre (``resize`` only).
    LINEAR: the triangle kernel (bilinear / trilinear interpolation).
    LANCZOS3 / LANCZOS5: windowed sinc of radius 3 / 5.
    CUBIC: the Keys cubic kernel with a = -0.5.
    CUBIC_PYTORCH: as CUBIC with antialias; without it the a = -0.75 (OpenCV / PyTorch) kernel
    with the image's edge pixels repeated beyond the border.
    AREA: each output pixel averages the input area it covers (a box filter).
    """

    NEAREST = 0
    LINEAR = 1
    LANCZOS3 = 2
    LANCZOS5 = 3
    CUBIC = 4
    CUBIC_PYTORCH = 5
    AREA = 6

    @staticmethod
    def from_string(s: str) -> "ResizeMethod":
        try:
            return _METHOD_NAMES[s]
        except (KeyError, TypeError):
            raise InvalidArgumentError(
                f"Unknown resize method {s!r}: expected one of "
                f"{', '.join(repr(k) for k in _METHOD_NAMES)} or a ResizeMethod") from None


_METHOD_NAMES = {
    "nearest": ResizeMethod.NEAREST,
    "linear": ResizeMethod.LINEAR, "bilinear": ResizeMethod.LINEAR,
    "trilinear": ResizeMethod.LINEAR, "triangle": ResizeMethod.LINEAR,
    "lanczos3": ResizeMethod.LANCZOS3, "lanczos5": ResizeMethod.LANCZOS5,
    "cubic": ResizeMethod.CUBIC, "bicubic": ResizeMethod.CUBIC, "tricubic": ResizeMethod.CUBIC,
    "cubic-pytorch": ResizeMethod.CUBIC_PYTORCH, "bicubic-pytorch": ResizeMethod.CUBIC_PYTORCH,
    "area": ResizeMethod.AREA,
}


# -- the kernels, as functions of the distance x >= 0 -------------------------------------------

def _triangle(x):
    return fnp.maximum(0.0, 1.0 - fnp.abs(x))


def _lanczos(radius: float):
    def kernel(x):
        # sinc(x) sinc(x / r) = r sin(pi x) sin(pi x / r) / (pi x)^2, and 1 near x = 0 (where the
        # quotient is 0/0); the safe denominator keeps the unused branch's gradient finite
        y = radius * fnp.sin(_PI * x) * fnp.sin(_PI * x / radius)
        denom = fnp.where(x != 0, _PI ** 2 * x * x, 1.0)
        out = fnp.where(x > 1e-3, y / denom, 1.0)
        return fnp.where(x > radius, 0.0, out)
    return kernel


def _keys_cubic(a: float):
    """Keys' cubic convolution kernel with parameter ``a`` (-0.5: Keys', -0.75: OpenCV's)."""
    def kernel(x):
        near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0          # |x| < 1
        far = ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a        # 1 <= |x| < 2
        out = fnp.where(x >= 1.0, far, near)
        return fnp.where(x >= 2.0, 0.0, out)
    return kernel


_AREA = "area"
# method -> (support radius, kernel)
_KERNELS = {
    ResizeMethod.LINEAR: (1, _triangle),
    ResizeMethod.LANCZOS3: (3, _lanczos(3.0)),
    ResizeMethod.LANCZOS5: (5, _lanczos(5.0)),
    ResizeMethod.CUBIC: (2, _keys_cubic(-0.5)),
    ResizeMethod.CUBIC_PYTORCH: (2, _keys_cubic(-0.75)),
    ResizeMethod.AREA: (1, _AREA),
}


# -- one dimension's weight matrix ----------------------------------------------------------------

def _normalized_columns(weights):
    """Each output column divided by its total; a column whose total is ~0 becomes zeros."""
    total = fnp.sum(weights, axis=0, keepdims=True)
    safe = fnp.where(total != 0, total, 1.0)
    return fnp.where(fnp.abs(total) > _EMPTY_COLUMN, weights / safe, 0.0)


def _area_weights(in_size, out_size, inv_scale, translation, dtype):
    """The overlap of input pixel j's interval [j, j+1) with output pixel i's preimage."""
    left_out = (fnp.arange(out_size, dtype=dtype) - translation) * inv_scale
    right_out = left_out + inv_scale
    left_in = fnp.arange(in_size, dtype=dtype)[:, None]
    overlap = (fnp.minimum(right_out[None, :], left_in + 1.0)
               - fnp.maximum(left_out[None, :], left_in))
    return fnp.maximum(0.0, overlap)


def _edge_fold_matrix(in_size: int, pad: int, dtype):
    """A constant (in_size + 2 pad, in_size) 0/1 matrix moving the weight of each padded
    position onto the edge pixel it repeats (clamped index)."""
    clamped = np.clip(np.arange(-pad, in_size + pad), 0, in_size - 1)
    fold = np.zeros((in_size + 2 * pad, in_size), dtype=np.dtype(dtype))
    fold[np.arange(in_size + 2 * pad), clamped] = 1
    return fnp.asarray(fold)


def weight_matrix(in_size: int, out_size: int, scale, translation, method: ResizeMethod,
                  antialias: bool, dtype):
    """The (in_size, out_size) matrix taking one dimension of the input to the output."""
    radius, kernel = _KERNELS[method]
    edge_padding = method == ResizeMethod.CUBIC_PYTORCH and not antialias
    inv_scale = 1.0 / scale
    # sample_f[i]: output pixel i's centre in input-index coordinates
    sample_f = (fnp.arange(out_size, dtype=dtype) + 0.5 - translation) * inv_scale - 0.5
    pad = radius if edge_padding else 0
    if kernel is _AREA:
        weights = _area_weights(in_size, out_size, inv_scale, translation, dtype)
    else:
        # downsampling with antialias widens the kernel into a low-pass filter
        kernel_scale = fnp.maximum(inv_scale, 1.0) if antialias else 1.0
        positions = fnp.arange(-pad, in_size + pad, dtype=dtype)
        weights = kernel(fnp.abs(sample_f[None, :] - positions[:, None]) / kernel_scale)
    if edge_padding:
        weights = fnp.matmul(_edge_fold_matrix(in_size, pad, dtype).T, weights)
        return _normalized_columns(weights)
    weights = _normalized_columns(weights)
    inside = (sample_f >= -0.5) & (sample_f <= in_size - 0.5)
    return fnp.where(inside[None, :], weights, 0.0)


# -- the public functions -------------------------------------------------------------------------

def _as_method(name: str, method) -> ResizeMethod:
    if isinstance(method, ResizeMethod):
        return method
    if isinstance(method, str):
        return ResizeMethod.from_string(method)
    raise InvalidArgumentError(f"{name}: method must be a string or a ResizeMethod, got "
                               f"{method!r}")


def _output_shape(name: str, image, shape) -> tuple:
    try:
        shape = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise InvalidArgumentError(f"{name}: shape must be a sequence of integers, got "
                                   f"{shape!r}") from None
    if len(shape) != image.ndim:
        raise ShapeError(f"{name}: shape must have one entry per dimension of the image: shape "
                         f"{shape} vs image {image.dtype}{list(image.shape)}")
    if any(d < 0 for d in shape):
        raise ShapeError(f"{name}: shape must be non-negative, got {shape}")
    return shape


def _inexact(name: str, image):
    image = fnp.asarray(image)
    if image.dtype == np.bool_ or image.dtype.kind in "iu":
        return image.astype(fnp.result_type(image.dtype, 1.0))
    if image.dtype.kind not in "fc":
        raise DTypeError(f"{name}: image must be numeric, got {image.dtype}")
    return image


def _real_dtype(dtype):
    """The weights' dtype for an image of ``dtype``: complex images get real weights."""
    return np.zeros((), np.dtype(dtype)).real.dtype


def _apply_weights(image, weights, dims, precision):
    """Contract each listed dimension with its (in, out) weight matrix, keeping axis order."""
    for d, w in zip(dims, weights):
        moved = fnp.tensordot(image, w.astype(image.dtype), axes=([d], [0]), precision=precision)
        image = fnp.moveaxis(moved, -1, d)
    return image


def scale_and_translate(image, shape, spatial_dims, scale, translation, method,
                        antialias: bool = True, precision=lax.Precision.HIGHEST):
    """Resample ``image`` to ``shape`` under ``u -> u * scale + translation`` along each of
    ``spatial_dims`` (jax.image.scale_and_translate): the inverse warp gives each output pixel's
    sample location, and output pixels that map outside the input are zero.  ``scale`` /
    ``translation`` hold one (possibly traced) value per spatial dimension; the result is
    differentiable in them and in the image.  ``method``: a ResizeMethod or its name (not
    NEAREST)."""
    name = "scale_and_translate"
    image = _inexact(name, image)
    shape = _output_shape(name, image, shape)
    method = _as_method(name, method)
    if method == ResizeMethod.NEAREST:
        raise InvalidArgumentError("scale_and_translate: nearest-neighbour resampling is not "
                                   "supported (as in JAX); use resize(..., 'nearest')")
    if method == ResizeMethod.CUBIC_PYTORCH and antialias:
        method = ResizeMethod.CUBIC
    dims = [_axis(name, d, image.ndim) for d in spatial_dims]
    if len(set(dims)) != len(dims):
        raise InvalidArgumentError(f"{name}: spatial_dims {tuple(spatial_dims)} names a "
                                   "dimension twice")
    scale, translation = _per_dim(name, "scale", scale, dims), _per_dim(name, "translation",
                                                                      translation, dims)
    for d in range(image.ndim):
        if d not in dims and shape[d] != image.shape[d]:
            raise ShapeError(f"{name}: dimension {d} is not in spatial_dims, so its size must "
                             f"stay {image.shape[d]}, but shape asks for {shape[d]}")
    dtype = fnp.result_type(_real_dtype(image.dtype), *scale, *translation)
    scale = [fnp.asarray(s).astype(dtype) for s in scale]
    translation = [fnp.asarray(t).astype(dtype) for t in translation]
    weights = [weight_matrix(image.shape[d], shape[d], s, t, method, antialias, dtype)
               for d, s, t in zip(dims, scale, translation)]
    return _apply_weights(image, weights, dims, precision)


def _axis(name: str, d, ndim: int) -> int:
    d = operator.index(d)
    if not -ndim <= d < ndim:
        raise InvalidArgumentError(f"{name}: spatial dimension {d} is out of range for an image "
                                   f"of rank {ndim}")
    return d % ndim


def _per_dim(name: str, what: str, values, dims) -> list:
    """``values`` (a sequence or a 1-D array, possibly traced) as one scalar per spatial dim."""
    if isinstance(values, (list, tuple)):
        items = list(values)
    else:
        arr = fnp.asarray(values)
        if arr.ndim != 1:
            raise ShapeError(f"{name}: {what} must hold one value per spatial dimension, got "
                             f"shape {tuple(arr.shape)}")
        items = [arr[i] for i in range(arr.shape[0])]
    if len(items) != len(dims):
        raise ShapeError(f"{name}: {what} has {len(items)} entries but spatial_dims has "
                         f"{len(dims)}")
    return items


def _resize_nearest(image, shape):
    """Output pixel i of a resized dimension (m -> n) reads input pixel floor((i + 0.5) m / n),
    computed in float32 as JAX does."""
    for d, (m, n) in enumerate(zip(image.shape, shape)):
        if m == n:
            continue
        if m == 0:
            raise ShapeError(f"resize: cannot resample an empty dimension {d} (size 0) to {n}")
        centres = (np.arange(n, dtype=np.float32) + np.float32(0.5)) * np.float32(m)
        offsets = np.floor(centres / np.float32(n)).astype(np.int32)
        image = fnp.take(image, fnp.asarray(offsets), axis=d)
    return image


def resize(image, shape, method, antialias: bool = True, precision=lax.Precision.HIGHEST):
    """``image`` resampled to ``shape`` (one entry per dimension: a batch or channel dimension
    keeps its size), as jax.image.resize.  ``method``: a ResizeMethod or its name ("nearest",
    "linear" / "bilinear" / "trilinear" / "triangle", "lanczos3", "lanczos5", "cubic" /
    "bicubic" / "tricubic", "cubic-pytorch", "area").  With ``antialias`` a downscale low-pass
    filters first.  NEAREST keeps the dtype; the others return a float (ints are promoted)."""
    name = "resize"
    image = fnp.asarray(image)
    shape = _output_shape(name, image, shape)
    method = _as_method(name, method)
    if method == ResizeMethod.NEAREST:
        return _resize_nearest(image, shape)
    image = _inexact(name, image)
    if method == ResizeMethod.CUBIC_PYTORCH and antialias:
        method = ResizeMethod.CUBIC
    # the kernels interpolate, so a dimension that keeps its size is left as it is
    dims = [d for d in range(image.ndim) if image.shape[d] != shape[d]]
    dtype = _real_dtype(image.dtype)
    weights = []
    for d in dims:
        m, n = image.shape[d], shape[d]
        if m == 0:
            raise ShapeError(f"resize: cannot resample an empty dimension {d} (size 0) to {n}")
        scale = 1.0 if n == 0 else n / m
        weights.append(weight_matrix(m, n, fnp.asarray(scale, dtype=dtype),
                                     fnp.asarray(0.0, dtype=dtype), method, antialias, dtype))
    return _apply_weights(image, weights, dims, precision)


__all__ = ["ResizeMethod", "resize", "scale_and_translate"]
