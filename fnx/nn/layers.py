"""Feed-forward layers: Linear, Conv2d, ConvTranspose2d, pooling, normalization, Dropout, Embedding.

Every layer acts on a *batch* (a leading batch dimension, PyTorch layouts: NCHW for images) and is
called as ``layer(x, *, key=None, train=False)``; BatchNorm also takes and returns its state. Default
initializations are PyTorch's, so results are comparable with torch models.
"""
from __future__ import annotations

import math

import numpy as np

from .. import lax
from .. import numpy as fnp
from .. import random
from ..core import Tracer
from ..errors import InvalidArgumentError, dtype_error, shape_error
from . import init as initializers
from .module import Module

__all__ = ["Linear", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "BatchNorm1d",
           "BatchNorm2d", "LayerNorm", "Dropout", "Embedding", "Flatten", "Identity"]


def _pair(v, name: str, op: str) -> tuple[int, int]:
    if isinstance(v, int):
        return (v, v)
    v = tuple(v)
    if len(v) != 2 or not all(isinstance(e, int) for e in v):
        raise InvalidArgumentError(f"{op}: {name} must be an int or a pair of ints, got {v!r}")
    return v


def _split(key, n: int) -> list:
    if key is None:
        raise InvalidArgumentError("a PRNG key is required to initialize parameters (pass key=...)")
    return list(random.split(key, n))


def _torch_default_params(key, weight_shape, bias_shape, use_bias, dtype):
    """PyTorch's Linear/Conv init: weight kaiming_uniform(a=sqrt(5)) (bound 1/sqrt(fan_in)),
    bias uniform(+-1/sqrt(fan_in))."""
    wkey, bkey = _split(key, 2)
    weight = initializers.kaiming_uniform(wkey, weight_shape, dtype, a=math.sqrt(5.0))
    if not use_bias:
        return weight, None
    fan_in, _ = initializers.compute_fans(weight_shape)
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return weight, initializers.uniform(bkey, bias_shape, dtype, minval=-bound, maxval=bound)


def _check_nchw(op: str, x, channels: int):
    if x.ndim != 4:
        raise shape_error(op, f"expects a batch of images (N, C, H, W) of rank 4, got rank {x.ndim}",
                          x)
    if x.shape[1] != channels:
        raise shape_error(op, f"expects {channels} input channels on axis 1, got {x.shape[1]}", x)


# ---------------------------------------------------------------------------------------------
# Linear
# ---------------------------------------------------------------------------------------------

class Linear(Module):
    """``y = x @ weight.T + bias`` over the last axis (any leading dims); ``weight`` is
    ``(out_features, in_features)`` as in PyTorch.

    >>> lin = nn.Linear(3, 4, key=fnx.random.PRNGKey(0))
    >>> lin(fnx.numpy.ones((2, 3))).shape
    (2, 4)
    """

    def __init__(self, in_features: int, out_features: int, use_bias: bool = True, *, key,
                 dtype=fnp.float32):
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight, self.bias = _torch_default_params(key, (out_features, in_features),
                                                       (out_features,), use_bias, dtype)

    def __call__(self, x, *, key=None, train=False):
        x = fnp.asarray(x)
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise shape_error("Linear", f"expects inputs whose last axis has in_features="
                              f"{self.in_features}", x, self.weight)
        y = fnp.matmul(x, fnp.transpose(self.weight))
        return y if self.bias is None else y + self.bias


# ---------------------------------------------------------------------------------------------
# Convolutions
# ---------------------------------------------------------------------------------------------

def _conv_padding(padding, op: str):
    if isinstance(padding, str):
        if padding.upper() not in ("SAME", "VALID"):
            raise InvalidArgumentError(f"{op}: padding must be an int, a pair, 'SAME' or 'VALID', "
                                       f"got {padding!r}")
        return padding.upper()
    if isinstance(padding, int):
        return ((padding, padding), (padding, padding))
    padding = tuple(padding)
    if len(padding) == 2 and all(isinstance(p, int) for p in padding):
        return ((padding[0], padding[0]), (padding[1], padding[1]))
    if len(padding) == 2 and all(len(p) == 2 for p in padding):
        return tuple((int(lo), int(hi)) for lo, hi in padding)
    raise InvalidArgumentError(f"{op}: padding must be an int, a pair, ((lo, hi), (lo, hi)), 'SAME' "
                               f"or 'VALID', got {padding!r}")


def _check_groups(op, in_channels, out_channels, groups):
    if groups < 1 or in_channels % groups or out_channels % groups:
        raise InvalidArgumentError(f"{op}: in_channels={in_channels} and out_channels="
                                   f"{out_channels} must both be divisible by groups={groups}")


class Conv2d(Module):
    """2-D convolution on NCHW input (PyTorch semantics; cross-correlation). ``weight`` is
    ``(out_channels, in_channels // groups, kh, kw)``; ``padding``: int, pair, ``((lo, hi), (lo, hi))``,
    "SAME" or "VALID".

    >>> conv = nn.Conv2d(3, 8, 3, padding=1, key=k)
    >>> conv(fnx.numpy.ones((2, 3, 16, 16))).shape
    (2, 8, 16, 16)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, use_bias: bool = True, *, key, dtype=fnp.float32):
        op = "Conv2d"
        _check_groups(op, in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _pair(kernel_size, "kernel_size", op)
        self.stride = _pair(stride, "stride", op)
        self.dilation = _pair(dilation, "dilation", op)
        self.padding = _conv_padding(padding, op)
        self.weight, self.bias = _torch_default_params(
            key, (out_channels, in_channels // groups) + self.kernel_size, (out_channels,),
            use_bias, dtype)

    def __call__(self, x, *, key=None, train=False):
        x = fnp.asarray(x)
        _check_nchw("Conv2d", x, self.in_channels)
        y = lax.conv_general_dilated(x, self.weight, self.stride, self.padding,
                                     rhs_dilation=self.dilation,
                                     dimension_numbers=("NCHW", "OIHW", "NCHW"),
                                     feature_group_count=self.groups)
        return y if self.bias is None else y + self.bias[None, :, None, None]


class ConvTranspose2d(Module):
    """Transposed 2-D convolution (the gradient of Conv2d w.r.t. its input), PyTorch semantics
    including ``output_padding``; ``weight`` is ``(in_channels, out_channels // groups, kh, kw)``.
    Output size: ``(H - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.

    >>> up = nn.ConvTranspose2d(8, 4, 2, stride=2, key=k)
    >>> up(fnx.numpy.ones((1, 8, 5, 5))).shape
    (1, 4, 10, 10)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, use_bias: bool = True, dilation=1, *, key,
                 dtype=fnp.float32):
        op = "ConvTranspose2d"
        _check_groups(op, in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _pair(kernel_size, "kernel_size", op)
        self.stride = _pair(stride, "stride", op)
        self.padding = _pair(padding, "padding", op)
        self.output_padding = _pair(output_padding, "output_padding", op)
        self.dilation = _pair(dilation, "dilation", op)
        for o, s, d in zip(self.output_padding, self.stride, self.dilation):
            if not 0 <= o < max(s, d):
                raise InvalidArgumentError(f"{op}: output_padding {self.output_padding} must be "
                                           f"smaller than stride {self.stride} or dilation "
                                           f"{self.dilation}")
        self.weight, self.bias = _torch_default_params(
            key, (in_channels, out_channels // groups) + self.kernel_size, (out_channels,),
            use_bias, dtype)

    def _forward_kernel(self):
        # (in, out/g, kh, kw) -> per group swap in/out -> (out, in/g, kh, kw), spatially flipped
        g = self.groups
        cin, cout_g, kh, kw = self.weight.shape
        w = fnp.reshape(self.weight, (g, cin // g, cout_g, kh, kw))
        w = fnp.reshape(fnp.transpose(w, (0, 2, 1, 3, 4)), (g * cout_g, cin // g, kh, kw))
        return fnp.flip(w, axis=(2, 3))

    def __call__(self, x, *, key=None, train=False):
        x = fnp.asarray(x)
        _check_nchw("ConvTranspose2d", x, self.in_channels)
        pads = tuple((d * (k - 1) - p, d * (k - 1) - p + o) for k, p, o, d in
                     zip(self.kernel_size, self.padding, self.output_padding, self.dilation))
        y = lax.conv_general_dilated(x, self._forward_kernel(), (1, 1), pads,
                                     lhs_dilation=self.stride, rhs_dilation=self.dilation,
                                     dimension_numbers=("NCHW", "OIHW", "NCHW"),
                                     feature_group_count=self.groups)
        return y if self.bias is None else y + self.bias[None, :, None, None]


# ---------------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------------

class _Pool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        op = type(self).__name__
        self.kernel_size = _pair(kernel_size, "kernel_size", op)
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride", op)
        self.padding = _pair(padding, "padding", op)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise InvalidArgumentError(f"{op}: padding {self.padding} must be at most half the "
                                       f"kernel size {self.kernel_size}")

    def _window(self, x):
        if x.ndim != 4:
            raise shape_error(type(self).__name__, f"expects (N, C, H, W) input of rank 4, got "
                              f"rank {x.ndim}", x)
        pads = ((0, 0), (0, 0)) + tuple((p, p) for p in self.padding)
        return (1, 1) + self.kernel_size, (1, 1) + self.stride, pads


class MaxPool2d(_Pool2d):
    """Max pooling on NCHW input; ``stride`` defaults to ``kernel_size``; padding counts as -inf.

    >>> nn.MaxPool2d(2)(fnx.numpy.ones((1, 3, 8, 8))).shape
    (1, 3, 4, 4)
    """

    def __call__(self, x, *, key=None, train=False):
        x = fnp.asarray(x)
        win, strides, pads = self._window(x)
        return lax.reduce_window(x, -np.inf, lax.max, win, strides, pads)


class AvgPool2d(_Pool2d):
    """Average pooling on NCHW input; with ``count_include_pad=True`` (PyTorch's default) padded
    zeros count in the average.

    >>> nn.AvgPool2d(2)(fnx.numpy.ones((1, 3, 8, 8))).shape
    (1, 3, 4, 4)
    """

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad: bool = True):
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = count_include_pad

    def __call__(self, x, *, key=None, train=False):
        x = fnp.asarray(x)
        win, strides, pads = self._window(x)
        total = lax.reduce_window(x, 0.0, lax.add, win, strides, pads)
        if self.count_include_pad:
            return total / float(math.prod(self.kernel_size))
        counts = lax.reduce_window(fnp.ones(x.shape, x.dtype), 0.0, lax.add, win, strides, pads)
        return total / counts


# ---------------------------------------------------------------------------------------------
# Normalization
# ---------------------------------------------------------------------------------------------

class _BatchNorm(Module):
    _ranks: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, *, dtype=fnp.float32):
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), float(momentum)
        self.dtype = np.dtype(dtype).name
        self.weight = fnp.ones((num_features,), dtype) if affine else None
        self.bias = fnp.zeros((num_features,), dtype) if affine else None

    def has_state(self) -> bool:
        return True

    def init_state(self):
        """``{"running_mean": zeros(C), "running_var": ones(C)}``."""
        return {"running_mean": fnp.zeros((self.num_features,), self.dtype),
                "running_var": fnp.ones((self.num_features,), self.dtype)}

    def __call__(self, x, state=None, *, key=None, train=False):
        op = type(self).__name__
        x = fnp.asarray(x)
        if x.ndim not in self._ranks:
            raise shape_error(op, f"expects input of rank {' or '.join(map(str, self._ranks))} "
                              f"(N, C, ...), got rank {x.ndim}", x)
        if x.shape[1] != self.num_features:
            raise shape_error(op, f"expects {self.num_features} features on axis 1, got "
                              f"{x.shape[1]}", x)
        if not isinstance(state, dict) or set(state) != {"running_mean", "running_var"}:
            raise InvalidArgumentError(
                f"{op}: needs its state, called as `y, state = bn(x, state, train=...)` with "
                f"`state = bn.init_state()` (got {type(state).__name__})")
        axes = (0,) + tuple(range(2, x.ndim))
        bshape = (1, -1) + (1,) * (x.ndim - 2)
        if train:
            mean = fnp.mean(x, axis=axes)
            var = fnp.mean(fnp.square(x - fnp.reshape(mean, bshape)), axis=axes)
            n = x.size // x.shape[1]
            if n < 2:
                raise shape_error(op, "needs more than one value per channel in train mode", x)
            m = self.momentum
            # PyTorch: the running variance is updated with the unbiased batch variance
            new_state = {"running_mean": (1 - m) * state["running_mean"] + m * mean,
                         "running_var": (1 - m) * state["running_var"] + m * var * (n / (n - 1))}
        else:
            mean, var, new_state = state["running_mean"], state["running_var"], state
        y = (x - fnp.reshape(mean, bshape)) * fnp.reshape(lax.rsqrt(var + self.eps), bshape)
        if self.weight is not None:
            y = y * fnp.reshape(self.weight, bshape) + fnp.reshape(self.bias, bshape)
        return y, new_state


class BatchNorm1d(_BatchNorm):
    """Batch normalization over (N, C) or (N, C, L) input. Train mode normalizes with the batch
    statistics and returns updated running statistics (``new = (1 - momentum) * old + momentum *
    batch``, unbiased batch variance); eval mode uses the running statistics.

    >>> bn = nn.BatchNorm1d(4); state = bn.init_state()
    >>> y, state = bn(x, state, train=True)
    """
    _ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization over (N, C, H, W) input; see :class:`BatchNorm1d`.

    >>> bn = nn.BatchNorm2d(8); y, state = bn(x, bn.init_state(), train=True)
    """
    _ranks = (4,)


class LayerNorm(Module):
    """Normalize over the trailing ``normalized_shape`` axes (biased variance), then scale and shift.

    >>> nn.LayerNorm(16)(fnx.numpy.ones((2, 5, 16))).shape
    (2, 5, 16)
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, *,
                 dtype=fnp.float32):
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps = shape, float(eps)
        self.weight = fnp.ones(shape, dtype) if elementwise_affine else None
        self.bias = fnp.zeros(shape, dtype) if elementwise_affine else None

    def __call__(self, x, *, key=None, train=False):
        x = fnp.asarray(x)
        k = len(self.normalized_shape)
        if tuple(x.shape[x.ndim - k:]) != self.normalized_shape or x.ndim < k:
            raise shape_error("LayerNorm", f"expects trailing axes {self.normalized_shape}", x)
        axes = tuple(range(x.ndim - k, x.ndim))
        mean = fnp.mean(x, axis=axes, keepdims=True)
        centered = x - mean
        var = fnp.mean(fnp.square(centered), axis=axes, keepdims=True)
        y = centered * lax.rsqrt(var + self.eps)
        return y if self.weight is None else y * self.weight + self.bias


# ---------------------------------------------------------------------------------------------
# Dropout, Embedding, reshaping
# ---------------------------------------------------------------------------------------------

class Dropout(Module):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` in train mode
    (needs ``key``); the identity in eval mode.

    >>> drop = nn.Dropout(0.1)
    >>> y = drop(x, key=fnx.random.PRNGKey(0), train=True)
    """

    def __init__(self, p: float = 0.5):
        if not 0.0 <= p <= 1.0:
            raise InvalidArgumentError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = float(p)

    def __call__(self, x, *, key=None, train=False):
        x = fnp.asarray(x)
        if not train or self.p == 0.0:
            return x
        if key is None:
            raise InvalidArgumentError("Dropout: train=True needs a PRNG key (key=...) to draw the "
                                       "mask; pass train=False for evaluation")
        if self.p == 1.0:
            return fnp.zeros_like(x)
        keep = random.bernoulli(key, 1.0 - self.p, tuple(x.shape))
        return fnp.where(keep, x / (1.0 - self.p), fnp.zeros_like(x))


class Embedding(Module):
    """A lookup table: integer ids of any shape -> ``ids.shape + (embedding_dim,)``; ``weight`` is
    initialized N(0, 1) as in PyTorch.

    >>> emb = nn.Embedding(100, 16, key=k)
    >>> emb(fnx.numpy.asarray([[1, 2, 3]])).shape
    (1, 3, 16)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, *, key, dtype=fnp.float32):
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.weight = initializers.normal(key, (num_embeddings, embedding_dim), dtype)

    def __call__(self, ids, *, key=None, train=False):
        ids = fnp.asarray(ids)
        if not np.issubdtype(np.dtype(ids.dtype), np.integer):
            raise dtype_error("Embedding", "ids must be integers", ids)
        if not isinstance(ids, Tracer) and ids.size:
            # on the host: fnp.min of concrete ids closed over by a jitted function is traced
            host = np.asarray(ids)
            lo, hi = int(host.min()), int(host.max())
            if lo < 0 or hi >= self.num_embeddings:
                raise InvalidArgumentError(f"Embedding: ids must be in [0, {self.num_embeddings}), "
                                           f"got values in [{lo}, {hi}]")
        return fnp.take(self.weight, ids, axis=0)


def _canonical_dim(name, dim, ndim):
    from ..numpy._util import canonical_axis
    return canonical_axis(name, dim, ndim)


class Flatten(Module):
    """Flatten axes ``start_dim..end_dim`` into one (PyTorch default: all but the batch axis).

    >>> nn.Flatten()(fnx.numpy.ones((2, 3, 4, 4))).shape
    (2, 48)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        self.start_dim, self.end_dim = start_dim, end_dim

    def __call__(self, x, *, key=None, train=False):
        x = fnp.asarray(x)
        s, e = (_canonical_dim("Flatten", d, x.ndim) for d in (self.start_dim, self.end_dim))
        shape = tuple(x.shape[:s]) + (math.prod(x.shape[s:e + 1]),) + tuple(x.shape[e + 1:])
        return fnp.reshape(x, shape)


class Identity(Module):
    """Returns its input. ``nn.Identity()(x) is x``"""

    def __call__(self, x, *, key=None, train=False):
        return x
