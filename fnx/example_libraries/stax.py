"""``jax.example_libraries.stax``: neural networks as ``(init_fun, apply_fun)`` pairs.

* ``init_fun(rng, input_shape) -> (output_shape, params)``: ``input_shape`` may use -1 for the
  batch size; ``params`` is a pytree (a tuple per layer, a list for ``serial``).
* ``apply_fun(params, inputs, **kwargs) -> outputs``; ``rng=`` reaches the layers that need
  randomness (``Dropout``), split per layer by the combinators.

Layouts are JAX's: ``Dense`` weights ``(in, out)``, images ``NHWC`` with ``HWIO`` kernels.

>>> init_random_params, predict = stax.serial(Dense(512), Relu, Dense(10), LogSoftmax)
>>> out_shape, params = init_random_params(fnx.random.PRNGKey(0), (-1, 64))
>>> log_probs = predict(params, images)
"""
from __future__ import annotations

import functools
import math
import operator

from .. import lax
from .. import numpy as fnp
from .. import random
from ..errors import InvalidArgumentError
from ..nn.functional import (elu, gelu, leaky_relu, log_softmax, relu, selu, sigmoid, softmax,
                              softplus, standardize)
from ..nn.initializers import glorot_normal, normal, ones, zeros

# JAX's stax keeps these older names of the same functions
glorot = glorot_normal
randn = normal
logsoftmax = log_softmax

__all__ = ["Dense", "GeneralConv", "Conv", "Conv1D", "GeneralConvTranspose", "ConvTranspose",
           "Conv1DTranspose", "BatchNorm", "elementwise", "Tanh", "Relu", "Exp", "LogSoftmax",
           "Softmax", "Softplus", "Sigmoid", "Elu", "LeakyRelu", "Selu", "Gelu", "MaxPool",
           "SumPool", "AvgPool", "Flatten", "Identity", "FanOut", "FanInSum", "FanInConcat",
           "Dropout", "serial", "parallel", "shape_dependent",
           # jax's stax re-exports these from jax.nn / jax.nn.initializers
           "relu", "log_softmax", "softmax", "softplus", "sigmoid", "elu", "leaky_relu", "selu",
           "gelu", "standardize", "glorot_normal", "normal", "ones", "zeros"]


# ---------------------------------------------------------------------------------------------
# Layers with parameters
# ---------------------------------------------------------------------------------------------

def Dense(out_dim, W_init=glorot_normal(), b_init=normal()):
    """Fully connected: ``inputs @ W + b``, ``W`` of shape ``(in, out_dim)``."""
    def init_fun(rng, input_shape):
        output_shape = tuple(input_shape[:-1]) + (out_dim,)
        k1, k2 = random.split(rng)
        return output_shape, (W_init(k1, (input_shape[-1], out_dim)), b_init(k2, (out_dim,)))

    def apply_fun(params, inputs, **kwargs):
        W, b = params
        return fnp.dot(inputs, W) + b
    return init_fun, apply_fun


def _spec_index(spec: str, letter: str, layer: str) -> int:
    if letter not in spec:
        raise InvalidArgumentError(f"{layer}: dimension spec {spec!r} has no {letter!r} axis")
    return spec.index(letter)


def _kernel_shape(dimension_numbers, out_chan, filter_shape, input_shape, layer):
    """The kernel's shape in its spec's order: 'O' out_chan, 'I' the input's channels, each
    spatial letter the next filter size."""
    lhs_spec, rhs_spec, _ = dimension_numbers
    if len(filter_shape) != len(rhs_spec) - 2:
        raise InvalidArgumentError(
            f"{layer}: filter_shape {tuple(filter_shape)} needs {len(rhs_spec) - 2} entries for "
            f"the kernel spec {rhs_spec!r}")
    sizes = iter(filter_shape)
    in_chan = input_shape[_spec_index(lhs_spec, "C", layer)]
    return tuple(out_chan if c == "O" else in_chan if c == "I" else next(sizes) for c in rhs_spec)


def _check_rank(layer, input_shape, spec):
    if len(input_shape) != len(spec):
        raise InvalidArgumentError(
            f"{layer}: input shape {tuple(input_shape)} does not fit the layout {spec!r}")


def _conv_output_shape(input_shape, kernel_shape, strides, padding, dimension_numbers,
                       lhs_dilation=None):
    """The output shape of ``conv_general_dilated`` (in the out spec's order), computed on the
    shapes only; -1 (an unknown batch size) passes through."""
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    spatial = [c for c in rhs_spec if c not in "OI"]
    in_sizes = [input_shape[lhs_spec.index(c)] for c in spatial]
    k_sizes = [kernel_shape[rhs_spec.index(c)] for c in spatial]
    lhs_dilation = lhs_dilation or (1,) * len(spatial)
    dilated = [(n - 1) * d + 1 if n > 0 else 0 for n, d in zip(in_sizes, lhs_dilation)]
    pads = lax.padtype_to_pads(dilated, k_sizes, strides, padding)
    out_sizes = [max(0, (n + lo + hi - k) // s + 1)
                 for n, k, s, (lo, hi) in zip(dilated, k_sizes, strides, pads)]
    sizes = dict(zip(spatial, out_sizes))
    sizes["N"] = input_shape[lhs_spec.index("N")]
    sizes["C"] = kernel_shape[rhs_spec.index("O")]
    return tuple(sizes[c] for c in out_spec)


def GeneralConv(dimension_numbers, out_chan, filter_shape, strides=None, padding="VALID",
                W_init=None, b_init=normal(1e-6)):
    """A convolution in any layout, e.g. ``dimension_numbers=('NHWC', 'HWIO', 'NHWC')``;
    ``padding`` 'VALID', 'SAME' or ``(lo, hi)`` pairs; ``W_init`` defaults to glorot_normal with
    the kernel's I / O axes as the fans' axes."""
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    one = (1,) * len(filter_shape)
    strides = tuple(strides or one)
    W_init = W_init or glorot_normal(rhs_spec.index("I"), rhs_spec.index("O"))

    def init_fun(rng, input_shape):
        _check_rank("GeneralConv", input_shape, lhs_spec)
        kernel_shape = _kernel_shape(dimension_numbers, out_chan, filter_shape, input_shape,
                                     "GeneralConv")
        output_shape = _conv_output_shape(input_shape, kernel_shape, strides, padding,
                                          dimension_numbers)
        bias_shape = tuple(out_chan if c == "C" else 1 for c in out_spec)
        k1, k2 = random.split(rng)
        return output_shape, (W_init(k1, kernel_shape), b_init(k2, bias_shape))

    def apply_fun(params, inputs, **kwargs):
        W, b = params
        return lax.conv_general_dilated(inputs, W, strides, padding, one, one,
                                        dimension_numbers=dimension_numbers) + b
    return init_fun, apply_fun


Conv = functools.partial(GeneralConv, ("NHWC", "HWIO", "NHWC"))
Conv1D = functools.partial(GeneralConv, ("NHC", "HIO", "NHC"))


def _conv_transpose_pads(k: int, s: int, padding: str):
    """(lo, hi) padding of the stride-dilated input that makes a convolution the transpose of a
    strided one, as ``jax.lax.conv_transpose`` (without kernel transposition) pads it: 'SAME'
    gives ``in * s`` outputs, 'VALID' ``in * s + max(k - s, 0)``."""
    if padding == "SAME":
        total = k + s - 2
        lo = k - 1 if s > k - 1 else -(-total // 2)
    elif padding == "VALID":
        total = k + s - 2 + max(k - s, 0)
        lo = k - 1
    else:
        raise InvalidArgumentError(
            f"GeneralConvTranspose: padding must be 'SAME' or 'VALID', got {padding!r}")
    return lo, total - lo


def _conv_transpose_padding(dimension_numbers, kernel_shape, strides, padding):
    if not isinstance(padding, str):
        return tuple(tuple(p) for p in padding)
    rhs_spec = dimension_numbers[1]
    spatial = [c for c in rhs_spec if c not in "OI"]
    return tuple(_conv_transpose_pads(kernel_shape[rhs_spec.index(c)], s, padding.upper())
                 for c, s in zip(spatial, strides))


def GeneralConvTranspose(dimension_numbers, out_chan, filter_shape, strides=None,
                         padding="VALID", W_init=None, b_init=normal(1e-6)):
    """A transposed (fractionally strided) convolution: the input dilated by ``strides``, then
    a stride-1 convolution, padded as ``jax.lax.conv_transpose`` pads 'SAME' / 'VALID'."""
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    one = (1,) * len(filter_shape)
    strides = tuple(strides or one)
    W_init = W_init or glorot_normal(rhs_spec.index("I"), rhs_spec.index("O"))

    def init_fun(rng, input_shape):
        _check_rank("GeneralConvTranspose", input_shape, lhs_spec)
        kernel_shape = _kernel_shape(dimension_numbers, out_chan, filter_shape, input_shape,
                                     "GeneralConvTranspose")
        pads = _conv_transpose_padding(dimension_numbers, kernel_shape, strides, padding)
        output_shape = _conv_output_shape(input_shape, kernel_shape, one, pads,
                                          dimension_numbers, lhs_dilation=strides)
        bias_shape = tuple(out_chan if c == "C" else 1 for c in out_spec)
        k1, k2 = random.split(rng)
        return output_shape, (W_init(k1, kernel_shape), b_init(k2, bias_shape))

    def apply_fun(params, inputs, **kwargs):
        W, b = params
        pads = _conv_transpose_padding(dimension_numbers, W.shape, strides, padding)
        return lax.conv_general_dilated(inputs, W, one, pads, lhs_dilation=strides,
                                        rhs_dilation=one,
                                        dimension_numbers=dimension_numbers) + b
    return init_fun, apply_fun


ConvTranspose = functools.partial(GeneralConvTranspose, ("NHWC", "HWIO", "NHWC"))
Conv1DTranspose = functools.partial(GeneralConvTranspose, ("NHC", "HIO", "NHC"))


def BatchNorm(axis=(0, 1, 2), epsilon=1e-5, center=True, scale=True, beta_init=zeros,
              gamma_init=ones):
    """Normalizes over ``axis`` with the batch's own statistics (no running averages, as in
    JAX's stax), then ``gamma * z + beta`` with per-feature ``beta`` / ``gamma`` (each
    optional: ``center`` / ``scale``) of the shape of the axes not normalized."""
    axis = (axis,) if isinstance(axis, int) else tuple(axis)

    def init_fun(rng, input_shape):
        shape = tuple(d for i, d in enumerate(input_shape) if i not in axis)
        k1, k2 = random.split(rng)
        beta = beta_init(k1, shape) if center else ()
        gamma = gamma_init(k2, shape) if scale else ()
        return input_shape, (beta, gamma)

    def apply_fun(params, x, **kwargs):
        beta, gamma = params
        z = standardize(x, axis, epsilon=epsilon)
        # the per-feature parameters, with size-1 axes where x was normalized
        kept = tuple(1 if i in axis else d for i, d in enumerate(x.shape))
        if center:
            beta = fnp.reshape(beta, kept)
        if scale:
            gamma = fnp.reshape(gamma, kept)
        if center and scale:
            return gamma * z + beta
        if center:
            return z + beta
        if scale:
            return gamma * z
        return z
    return init_fun, apply_fun


# ---------------------------------------------------------------------------------------------
# Parameter-free layers
# ---------------------------------------------------------------------------------------------

def elementwise(fun, **fun_kwargs):
    """A parameter-free layer applying ``fun(inputs, **fun_kwargs)``."""
    def init_fun(rng, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        return fun(inputs, **fun_kwargs)
    return init_fun, apply_fun


Tanh = elementwise(fnp.tanh)
Relu = elementwise(relu)
Exp = elementwise(fnp.exp)
LogSoftmax = elementwise(log_softmax, axis=-1)
Softmax = elementwise(softmax, axis=-1)
Softplus = elementwise(softplus)
Sigmoid = elementwise(sigmoid)
Elu = elementwise(elu)
LeakyRelu = elementwise(leaky_relu)
Selu = elementwise(selu)
Gelu = elementwise(gelu)


def _pool_window(window_shape, strides, spec, layer):
    """Window and strides over every axis: 1 on the batch and channel axes (NHWC unless
    ``spec`` names them)."""
    window_shape = tuple(window_shape)
    strides = tuple(strides or (1,) * len(window_shape))
    if len(strides) != len(window_shape):
        raise InvalidArgumentError(
            f"{layer}: strides {strides} and window_shape {window_shape} differ in length")
    if spec is None:
        non_spatial = (0, len(window_shape) + 1)
    else:
        non_spatial = (_spec_index(spec, "N", layer), _spec_index(spec, "C", layer))
    for i in sorted(non_spatial):
        window_shape = window_shape[:i] + (1,) + window_shape[i:]
        strides = strides[:i] + (1,) + strides[i:]
    return window_shape, strides, non_spatial


def _pool_output_shape(input_shape, window, strides, padding, layer):
    if len(input_shape) != len(window):
        raise InvalidArgumentError(
            f"{layer}: input shape {tuple(input_shape)} needs rank {len(window)} for a window "
            f"of {len(window) - 2} spatial axes")
    pads = lax.padtype_to_pads(input_shape, window, strides, padding)
    return tuple(d if d < 0 else max(0, (d + lo + hi - k) // s + 1)
                 for d, k, s, (lo, hi) in zip(input_shape, window, strides, pads))


def _pooling_layer(name, computation, init_val, average=False):
    def PoolingLayer(window_shape, strides=None, padding="VALID", spec=None):
        window, full_strides, non_spatial = _pool_window(window_shape, strides, spec, name)

        def init_fun(rng, input_shape):
            return _pool_output_shape(input_shape, window, full_strides, padding, name), ()

        def apply_fun(params, inputs, **kwargs):
            out = lax.reduce_window(inputs, init_val, computation, window, full_strides, padding)
            if average:
                out = out / _window_sizes(inputs, window, full_strides, padding, non_spatial)
            return out
        return init_fun, apply_fun
    PoolingLayer.__name__ = PoolingLayer.__qualname__ = name
    return PoolingLayer


def _window_sizes(inputs, window, strides, padding, non_spatial):
    """How many input elements each output window covers (fewer at padded edges): AvgPool
    divides by it, so padding does not count (as JAX's stax). Counted on the spatial axes only
    (size 1 on the batch and channel axes, which broadcast)."""
    shape = tuple(1 if i in non_spatial else d for i, d in enumerate(inputs.shape))
    return lax.reduce_window(fnp.ones(shape, inputs.dtype), 0.0, lax.add, window, strides,
                             padding)


MaxPool = _pooling_layer("MaxPool", lax.max, -math.inf)
SumPool = _pooling_layer("SumPool", lax.add, 0.0)
AvgPool = _pooling_layer("AvgPool", lax.add, 0.0, average=True)


def _flatten():
    def init_fun(rng, input_shape):
        return (input_shape[0], functools.reduce(operator.mul, input_shape[1:], 1)), ()

    def apply_fun(params, inputs, **kwargs):
        return fnp.reshape(inputs, (inputs.shape[0], -1))
    return init_fun, apply_fun


Flatten = _flatten()  # flattens every axis but the first; a layer, used without calling it


def _identity():
    def init_fun(rng, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        return inputs
    return init_fun, apply_fun


Identity = _identity()


def FanOut(num):
    """``num`` copies of the input, as a list (for ``parallel``)."""
    def init_fun(rng, input_shape):
        return [input_shape] * num, ()

    def apply_fun(params, inputs, **kwargs):
        return [inputs] * num
    return init_fun, apply_fun


def _fan_in_sum():
    def init_fun(rng, input_shape):
        return input_shape[0], ()

    def apply_fun(params, inputs, **kwargs):
        return sum(inputs[1:], inputs[0])
    return init_fun, apply_fun


FanInSum = _fan_in_sum()


def FanInConcat(axis=-1):
    """Concatenates a list of inputs along ``axis``."""
    def init_fun(rng, input_shape):
        ax = axis % len(input_shape[0])
        size = sum(shape[ax] for shape in input_shape)
        return tuple(input_shape[0][:ax]) + (size,) + tuple(input_shape[0][ax + 1:]), ()

    def apply_fun(params, inputs, **kwargs):
        return fnp.concatenate(inputs, axis)
    return init_fun, apply_fun


def Dropout(rate, mode="train"):
    """In ``mode='train'``: keeps each element with probability ``rate`` and divides the kept
    ones by ``rate``. Note: as in JAX's stax, ``rate`` is the *keep* probability. Needs
    ``apply_fun(params, inputs, rng=key)``; any other mode passes the inputs through."""
    def init_fun(rng, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        rng = kwargs.get("rng", None)
        if rng is None:
            raise InvalidArgumentError(
                "Dropout layer requires apply_fun to be called with a PRNG key argument. That "
                "is, instead of `apply_fun(params, inputs)`, call it like "
                "`apply_fun(params, inputs, rng=key)` where `key` is a PRNG key (e.g. from "
                "`fnx.random.PRNGKey`).")
        if mode == "train":
            keep = random.bernoulli(rng, rate, tuple(inputs.shape))
            return fnp.where(keep, inputs / rate, fnp.zeros_like(inputs))
        return inputs
    return init_fun, apply_fun


# ---------------------------------------------------------------------------------------------
# Combinators
# ---------------------------------------------------------------------------------------------

def _layer_rngs(rng, n):
    return random.split(rng, n) if rng is not None else (None,) * n


def serial(*layers):
    """Layers one after another; params a list with one entry per layer."""
    init_funs, apply_funs = zip(*layers) if layers else ((), ())

    def init_fun(rng, input_shape):
        params = []
        for init in init_funs:
            rng, layer_rng = random.split(rng)
            input_shape, param = init(layer_rng, input_shape)
            params.append(param)
        return input_shape, params

    def apply_fun(params, inputs, **kwargs):
        rngs = _layer_rngs(kwargs.pop("rng", None), len(apply_funs))
        for fun, param, rng in zip(apply_funs, params, rngs):
            inputs = fun(param, inputs, rng=rng, **kwargs)
        return inputs
    return init_fun, apply_fun


def parallel(*layers):
    """Layers side by side: the i-th applies to the i-th of a sequence of inputs (e.g. from
    ``FanOut``); output shapes and params are tuples with one entry per layer."""
    init_funs, apply_funs = zip(*layers) if layers else ((), ())

    def init_fun(rng, input_shape):
        if len(input_shape) != len(init_funs):
            raise InvalidArgumentError(
                f"parallel: {len(init_funs)} layers need {len(init_funs)} input shapes, got "
                f"{len(input_shape)}")
        rngs = random.split(rng, len(init_funs))
        outs = [init(r, shape) for init, r, shape in zip(init_funs, rngs, input_shape)]
        return tuple(o[0] for o in outs), tuple(o[1] for o in outs)

    def apply_fun(params, inputs, **kwargs):
        rngs = _layer_rngs(kwargs.pop("rng", None), len(apply_funs))
        return [f(p, x, rng=r, **kwargs) for f, p, x, r in zip(apply_funs, params, inputs, rngs)]
    return init_fun, apply_fun


def shape_dependent(make_layer):
    """A layer built by ``make_layer(input_shape) -> (init_fun, apply_fun)`` once the input's
    shape is known."""
    def init_fun(rng, input_shape):
        return make_layer(input_shape)[0](rng, input_shape)

    def apply_fun(params, inputs, **kwargs):
        return make_layer(inputs.shape)[1](params, inputs, **kwargs)
    return init_fun, apply_fun
