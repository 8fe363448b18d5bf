"""The discrete Fourier transform: one primitive, ``fft_p``, as ``jax.lax.fft``.

``fft(x, fft_type, fft_lengths)`` transforms the trailing ``len(fft_lengths)`` axes of ``x``:

* ``FFT``   complex -> complex, ``y_k = sum_j x_j exp(-2 pi i jk / n)`` over every axis;
* ``IFFT``  complex -> complex, the inverse, *including* the ``1 / n`` of each axis (XLA's and
  numpy's convention), so ``IFFT(FFT(x)) == x``;
* ``RFFT``  float32 / float64 -> complex64 / complex128: the FFT of a real array, keeping the
  non-negative frequencies of the last axis (``n // 2 + 1`` of them);
* ``IRFFT`` complex -> real: the inverse of ``RFFT`` (the last axis of the operand holds
  ``fft_lengths[-1] // 2 + 1`` frequencies; the result has ``fft_lengths[-1]`` points).

No other normalization: ``fnx.numpy.fft`` multiplies for ``norm="ortho"`` / ``"forward"``
(the default ``"backward"`` needs no pass of its own).  Every type is linear over the reals, so
the JVP is the same transform of the tangent; the transposes follow JAX's convention for
complex cotangents (the plain transpose, no conjugation: ``<ct, f(x)> = Re sum(ct * f(x))``).
"""
from __future__ import annotations

import enum
import math
from typing import NamedTuple

import numpy as np

from .. import dtypes
from ..core import Array, Fusion, Primitive, ShapedArray, bind
from ..errors import dtype_error, shape_error
from ..interpreters import ad, batching
from ._util import FLOATING, as_int_tuple, as_operand
from .elementwise import conj, convert_element_type, mul, real
from .shape import _linear_transpose, broadcast_in_dim, pad

__all__ = ["FftType", "fft_p", "fft"]


class FftType(enum.IntEnum):
    """The kind of transform (``jax.lax.FftType``'s members and values)."""
    FFT = 0
    IFFT = 1
    RFFT = 2
    IRFFT = 3

    def __repr__(self):  # how jaxprs print the param
        return f"FftType.{self.name}"


fft_p = Primitive("fft", fusion=Fusion.LIBRARY)


def _operand_trailing_shape(fft_type: FftType, fft_lengths: tuple) -> tuple:
    """The trailing dimensions the operand of ``fft_type`` must have."""
    if fft_type == FftType.IRFFT:
        return fft_lengths[:-1] + (fft_lengths[-1] // 2 + 1,)
    return fft_lengths


def _result_trailing_shape(fft_type: FftType, fft_lengths: tuple) -> tuple:
    if fft_type == FftType.RFFT:
        return fft_lengths[:-1] + (fft_lengths[-1] // 2 + 1,)
    return fft_lengths


def _result_dtype(op: str, x, fft_type: FftType):
    if fft_type == FftType.RFFT:
        if x.dtype not in FLOATING:
            raise dtype_error(op, "RFFT needs a float32 or float64 operand", x)
        return dtypes.complex_of(x.dtype)
    if not dtypes.is_complex(x.dtype):
        raise dtype_error(op, f"{fft_type.name} needs a complex64 or complex128 operand", x)
    return dtypes.real_of(x.dtype) if fft_type == FftType.IRFFT else x.dtype


@fft_p.def_abstract_eval
def _fft_abstract_eval(x, *, fft_type, fft_lengths):
    op = f"fft ({fft_type.name}, fft_lengths={fft_lengths})"
    out_dtype = _result_dtype(op, x, fft_type)
    k = len(fft_lengths)
    if not 1 <= k <= x.ndim or any(n < 0 for n in fft_lengths):
        raise shape_error(op, "needs 1 to rank-of-operand non-negative transform lengths", x)
    want = _operand_trailing_shape(fft_type, fft_lengths)
    if tuple(x.shape[-k:]) != want:
        raise shape_error(op, f"the operand's trailing dimensions must be {want}", x)
    return ShapedArray(tuple(x.shape[:-k]) + _result_trailing_shape(fft_type, fft_lengths),
                       out_dtype, False)


def _rfft_transpose(ct, fft_lengths):
    """RFFT keeps the first m = n // 2 + 1 rows of the (symmetric) DFT matrix F of the last
    axis, applied to a real x: Re sum_k ct_k (F x)_k = sum_j x_j Re (F^T ct0)_j with ct0 = ct
    zero-padded to n, so the transpose is Re(FFT(ct0)) (an FFT over every transform axis)."""
    n = fft_lengths[-1]
    widths = ((0, 0, 0),) * (ct.ndim - 1) + ((0, n - ct.shape[-1], 0),)
    padded = pad(ct, np.array(0, ct.dtype), widths)
    return real(bind(fft_p, padded, fft_type=FftType.FFT, fft_lengths=fft_lengths))


def _irfft_weights(n: int) -> np.ndarray:
    """How often each of the m = n // 2 + 1 stored frequencies occurs in the full Hermitian
    spectrum IRFFT inverts: once for 0 and (n even) n / 2, twice (itself and its mirror) for
    the others."""
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return w


def _irfft_transpose(ct, fft_lengths, x_aval):
    """IRFFT: y_j = 1/N sum_k w_k Re(x_k e^{+2 pi i jk/n}) along the last axis (w the
    weights above; a plain IFFT along the others).  Then sum_j ct_j y_j =
    Re sum_k x_k (w_k / N) conj(RFFT(ct))_k for a real ct, so the transpose is
    conj(w / N * RFFT(ct)) (JAX's ``_irfft_transpose``)."""
    total = math.prod(fft_lengths)
    if total == 0:
        return broadcast_in_dim(Array(np.zeros((), x_aval.dtype)), tuple(x_aval.shape), ())
    spectrum = bind(fft_p, ct, fft_type=FftType.RFFT, fft_lengths=fft_lengths)
    weights = Array((_irfft_weights(fft_lengths[-1]) / total).astype(spectrum.dtype))
    weights = broadcast_in_dim(weights, tuple(spectrum.shape), (spectrum.ndim - 1,))
    return conj(mul(spectrum, weights))


@_linear_transpose
def _fft_transpose_rule(ct, x, *, fft_type, fft_lengths):
    """The DFT matrix is symmetric: FFT and IFFT are their own transposes."""
    if fft_type == FftType.RFFT:
        return [_rfft_transpose(ct, fft_lengths)]
    if fft_type == FftType.IRFFT:
        return [_irfft_transpose(ct, fft_lengths, x.aval)]
    return [bind(fft_p, ct, fft_type=fft_type, fft_lengths=fft_lengths)]


ad.deflinear(fft_p, _fft_transpose_rule)


class AxisPass(NamedTuple):
    """One call of a kernel of kernels/cpu/fft.c: ``fnx_fft_<kind>`` over the contiguous
    (outer, n, inner) view of its input (n: the transform length), giving ``shape``."""
    kind: str           # "c2c", "r2c" or "c2r"
    inverse: bool       # c2c only
    outer: int
    n: int
    inner: int
    shape: tuple        # the result's shape

    @property
    def scale(self) -> float:
        """The 1/n an inverse pass includes (IFFT / IRFFT are normalized per axis)."""
        return 1.0 / self.n if self.inverse or self.kind == "c2r" else 1.0


def axis_passes(shape, fft_type: FftType, fft_lengths: tuple) -> list:
    """``fft_p`` as one-axis transforms, in order (the CPU backend and the jit's library
    call both compute it so): RFFT its real-to-complex last axis first, IRFFT its
    complex-to-real last axis last (numpy's order), the other axes complex-to-complex."""
    shape, passes = tuple(shape), []
    last = len(shape) - 1
    lead = range(len(shape) - len(fft_lengths), last)

    def add(kind, axis, n, inverse, new_length):
        nonlocal shape
        outer, inner = math.prod(shape[:axis]), math.prod(shape[axis + 1:])
        shape = shape[:axis] + (new_length,) + shape[axis + 1:]
        passes.append(AxisPass(kind, inverse, outer, n, inner, shape))

    if fft_type == FftType.RFFT:
        add("r2c", last, shape[last], False, shape[last] // 2 + 1)
    inverse = fft_type in (FftType.IFFT, FftType.IRFFT)
    for axis in (lead if fft_type in (FftType.RFFT, FftType.IRFFT) else (*lead, last)):
        add("c2c", axis, shape[axis], inverse, shape[axis])
    if fft_type == FftType.IRFFT:
        add("c2r", last, fft_lengths[-1], False, fft_lengths[-1])
    return passes


def _fft_batching_rule(axis_size, args, dims, *, fft_type, fft_lengths):
    """The transform axes are the trailing ones: the batch axis goes in front of them."""
    (x,), (d,) = args, dims
    x = batching.moveaxis(x, d, 0)
    return bind(fft_p, x, fft_type=fft_type, fft_lengths=fft_lengths), 0


batching.batching_rules[fft_p] = _fft_batching_rule


def _as_fft_type(fft_type) -> FftType:
    """An FftType from a member, its value or its (case-insensitive) name, as JAX accepts."""
    if isinstance(fft_type, str):
        try:
            return FftType[fft_type.upper()]
        except KeyError:
            pass
    else:
        try:
            return FftType(fft_type)
        except ValueError:
            pass
    raise ValueError(f"fft: unknown fft_type {fft_type!r}; expected one of "
                     f"{[t.name for t in FftType]}")


def fft(x, fft_type, fft_lengths):
    """The ``fft_type`` transform of the trailing ``len(fft_lengths)`` axes of ``x`` (see the
    module docstring), as ``jax.lax.fft``.  Like JAX's wrapper, an operand of the wrong kind is
    converted first: a real one becomes complex for FFT / IFFT / IRFFT (integers:
    complex64), an integer one float32 for RFFT; a complex operand of RFFT is an error."""
    fft_type = _as_fft_type(fft_type)
    fft_lengths = as_int_tuple(fft_lengths, "fft", "fft_lengths")
    x = as_operand(x)
    if fft_type == FftType.RFFT:
        if dtypes.is_complex(x.dtype):
            raise dtype_error("fft", "RFFT needs a real operand (take the real part or use "
                              "FFT)", x)
        if not dtypes.is_floating(x.dtype):
            x = convert_element_type(x, dtypes.default_float)
    elif not dtypes.is_complex(x.dtype):
        real_dtype = x.dtype if dtypes.is_floating(x.dtype) else dtypes.default_float
        x = convert_element_type(x, dtypes.complex_of(real_dtype))
    return bind(fft_p, x, fft_type=fft_type, fft_lengths=fft_lengths)
