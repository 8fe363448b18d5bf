"""fnx.numpy.fft: ``numpy.fft`` on the ``fft`` primitive of ``fnx.lax`` (as ``jax.numpy.fft``).

* Signatures and semantics are numpy's: ``n`` / ``s`` crop or zero-pad the input along each
  transformed axis, ``axis`` / ``axes`` may be negative, ``norm`` is one of None /
  ``"backward"`` (the default: the inverse transforms carry the 1/n), ``"ortho"`` (1/sqrt(n)
  both ways) or ``"forward"`` (1/n on the forward transform).
* Result dtypes are jax.numpy's: float32 -> complex64, float64 -> complex128, integers and
  bools -> complex64 (the default complex type); the real-output transforms (``irfft*``,
  ``hfft``) give the real type of that precision.
* Differences from numpy (shared with jax.numpy): repeated axes are an error (numpy applies
  the transform twice); a complex input of ``rfft*`` / ``ihfft`` is an error (numpy drops the
  imaginary part with a warning); ``fftfreq`` / ``rfftfreq`` return float32 unless ``dtype``
  says otherwise.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import dtypes, lax
from ..core import ArrayBase
from ..errors import DTypeError
from ..lax._util import canonical_axis
from ..lax.fft import FftType
from ._creation import asarray, place, resolve_device
from ._manipulation import roll
from ._ufuncs import true_divide
from ._util import asarray_arg

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
           "fftn", "ifftn", "rfftn", "irfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

_NORMS = (None, "backward", "ortho", "forward")
_INVERSE = (FftType.IFFT, FftType.IRFFT)


# -- operands, axes, lengths ------------------------------------------------------------------

def _check_norm(norm) -> None:
    if norm not in _NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or '
                         '"forward".')


def _operand(name: str, a, fft_type: FftType):
    """``a`` in the dtype the transform takes: real for RFFT (integers: float32), complex
    otherwise (float32 -> complex64, float64 -> complex128, integers -> complex64)."""
    a = asarray_arg(name, a)
    if fft_type == FftType.RFFT:
        if dtypes.is_complex(a.dtype):
            raise DTypeError(f"{name}: needs a real input, got {a.dtype} (use fft for complex "
                             "inputs)")
        return a if dtypes.is_floating(a.dtype) else lax.convert_element_type(
            a, dtypes.default_float)
    if dtypes.is_complex(a.dtype):
        return a
    real = a.dtype if dtypes.is_floating(a.dtype) else dtypes.default_float
    return lax.convert_element_type(a, dtypes.complex_of(real))


def _axes_and_lengths(name: str, a, s, axes, fft_type: FftType):
    """numpy's ``_cook_nd_args``: the (non-negative) axes and the transform lengths.  Without
    ``s`` the lengths are the input's (IRFFT: ``2 * (m - 1)`` points on the last axis)."""
    if axes is None:
        axes = range(a.ndim) if s is None else range(-len(s), 0)
    axes = tuple(canonical_axis(ax, a.ndim, name) for ax in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: repeated axes are not supported, got axes {axes}")
    if s is None:
        lengths = [a.shape[ax] for ax in axes]
        if fft_type == FftType.IRFFT and lengths:
            lengths[-1] = 2 * (lengths[-1] - 1)
    else:
        try:
            lengths = [operator.index(n) for n in s]
        except TypeError:
            raise TypeError(f"{name}: s must be a sequence of integers, got {s!r}") from None
        if len(lengths) != len(axes):
            raise ValueError("Shape and axes have different lengths.")
    for n in lengths:
        if n < 1:
            raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    return axes, tuple(lengths)


def _resize(a, axis: int, length: int):
    """``a`` cropped or zero-padded at the end of ``axis`` to ``length``."""
    have = a.shape[axis]
    if have == length:
        return a
    if have > length:
        return lax.slice_in_dim(a, 0, length, axis=axis)
    widths = [(0, 0, 0)] * a.ndim
    widths[axis] = (0, length - have, 0)
    return lax.pad(a, np.array(0, a.dtype), widths)


def _scale(y, fft_type: FftType, norm, count: int):
    """numpy's ``norm`` on top of the primitive's own scaling (1 forward, 1/n inverse)."""
    if norm in (None, "backward"):
        return y
    inverse = fft_type in _INVERSE
    if norm == "ortho":
        factor = math.sqrt(count) if inverse else 1 / math.sqrt(count)
    else:  # "forward"
        factor = count if inverse else 1 / count
    return lax.mul(y, np.array(factor, y.dtype))


# -- the n-dimensional transform every function reduces to ------------------------------------

def _fftn(name: str, a, s, axes, norm, fft_type: FftType):
    _check_norm(norm)
    a = _operand(name, a, fft_type)
    axes, lengths = _axes_and_lengths(name, a, s, axes, fft_type)
    if not axes:
        return a
    stored = list(lengths)
    if fft_type == FftType.IRFFT:  # the input holds n // 2 + 1 frequencies of the last axis
        stored[-1] = lengths[-1] // 2 + 1
    for ax, n in zip(axes, stored):
        a = _resize(a, ax, n)
    # the transformed axes become the trailing ones, in the order given
    perm = tuple(i for i in range(a.ndim) if i not in axes) + axes
    y = lax.fft(lax.transpose(a, perm), fft_type, lengths)
    y = lax.transpose(y, tuple(int(i) for i in np.argsort(perm)))
    return _scale(y, fft_type, norm, math.prod(lengths))


def _one_axis(name: str, a, n, axis, norm, fft_type: FftType):
    return _fftn(name, a, None if n is None else (n,), (axis,), norm, fft_type)


def fft(a, n=None, axis=-1, norm=None):
    """The one-dimensional discrete Fourier transform along ``axis``."""
    return _one_axis("fft", a, n, axis, norm, FftType.FFT)


def ifft(a, n=None, axis=-1, norm=None):
    """The inverse of ``fft``."""
    return _one_axis("ifft", a, n, axis, norm, FftType.IFFT)


def rfft(a, n=None, axis=-1, norm=None):
    """The FFT of a real input: the ``n // 2 + 1`` non-negative frequencies."""
    return _one_axis("rfft", a, n, axis, norm, FftType.RFFT)


def irfft(a, n=None, axis=-1, norm=None):
    """The inverse of ``rfft``: ``n`` (default ``2 * (m - 1)``) real points."""
    return _one_axis("irfft", a, n, axis, norm, FftType.IRFFT)


_SWAPPED = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def hfft(a, n=None, axis=-1, norm=None):
    """The FFT of a Hermitian-symmetric signal given by its first half: a real spectrum of
    ``n`` (default ``2 * (m - 1)``) points (numpy's: ``irfft`` of the conjugate with the
    opposite normalization)."""
    _check_norm(norm)
    return irfft(lax.conj(_operand("hfft", a, FftType.IRFFT)), n, axis, _SWAPPED[norm])


def ihfft(a, n=None, axis=-1, norm=None):
    """The inverse of ``hfft``: the conjugate of ``rfft`` with the opposite normalization."""
    _check_norm(norm)
    return lax.conj(rfft(a, n, axis, _SWAPPED[norm]))


def fft2(a, s=None, axes=(-2, -1), norm=None):
    """The two-dimensional FFT (over the last two axes by default)."""
    return _fftn("fft2", a, s, axes, norm, FftType.FFT)


def ifft2(a, s=None, axes=(-2, -1), norm=None):
    return _fftn("ifft2", a, s, axes, norm, FftType.IFFT)


def rfft2(a, s=None, axes=(-2, -1), norm=None):
    return _fftn("rfft2", a, s, axes, norm, FftType.RFFT)


def irfft2(a, s=None, axes=(-2, -1), norm=None):
    return _fftn("irfft2", a, s, axes, norm, FftType.IRFFT)


def fftn(a, s=None, axes=None, norm=None):
    """The N-dimensional FFT over ``axes`` (default: the last ``len(s)`` axes, or all)."""
    return _fftn("fftn", a, s, axes, norm, FftType.FFT)


def ifftn(a, s=None, axes=None, norm=None):
    return _fftn("ifftn", a, s, axes, norm, FftType.IFFT)


def rfftn(a, s=None, axes=None, norm=None):
    """The N-dimensional FFT of a real input; the last of ``axes`` keeps half the spectrum."""
    return _fftn("rfftn", a, s, axes, norm, FftType.RFFT)


def irfftn(a, s=None, axes=None, norm=None):
    return _fftn("irfftn", a, s, axes, norm, FftType.IRFFT)


# -- frequencies and shifts --------------------------------------------------------------------

def _frequencies(name: str, counts: np.ndarray, n, d, dtype):
    """``counts / (n * d)`` in ``dtype`` (default float32): computed in float64 for a number
    ``d``, with fnx's division for an array ``d`` (which may be traced)."""
    dtype = dtypes.default_float if dtype is None else dtypes.canonicalize(dtype, name)
    if isinstance(d, ArrayBase):
        return true_divide(asarray(counts / n, dtype), d)
    return asarray(counts / (n * d), dtype)


def _length(name: str, n) -> int:
    try:
        return operator.index(n)
    except TypeError:
        raise ValueError(f"{name}: n should be an integer, got {n!r}") from None


def fftfreq(n, d=1.0, *, dtype=None, device=None):
    """The sample frequencies of an ``n``-point ``fft`` with sample spacing ``d``:
    ``[0, 1, ..., (n - 1) // 2, -(n // 2), ..., -1] / (n d)``, on ``device`` (the array
    API's keyword: None, a device of ``fnx.devices()`` or a name such as "cpu")."""
    resolve_device("fftfreq", device)
    n = _length("fftfreq", n)
    counts = np.concatenate([np.arange((n - 1) // 2 + 1), np.arange(-(n // 2), 0)])
    return place("fftfreq", _frequencies("fftfreq", counts.astype(np.float64), n, d, dtype),
                 device)


def rfftfreq(n, d=1.0, *, dtype=None, device=None):
    """The sample frequencies of an ``n``-point ``rfft``: ``[0, 1, ..., n // 2] / (n d)``, on
    ``device`` (as ``fftfreq``)."""
    resolve_device("rfftfreq", device)
    n = _length("rfftfreq", n)
    return place("rfftfreq", _frequencies("rfftfreq", np.arange(n // 2 + 1, dtype=np.float64),
                                          n, d, dtype), device)


def _shift(name: str, x, axes, sign: int):
    x = asarray_arg(name, x)
    if axes is None:
        axes = tuple(range(x.ndim))
    elif isinstance(axes, (int, np.integer)):
        axes = (axes,)
    axes = tuple(canonical_axis(ax, x.ndim, name) for ax in axes)
    if not axes:
        return x
    return roll(x, tuple(sign * (x.shape[ax] // 2) for ax in axes), axes)


def fftshift(x, axes=None):
    """The zero frequency moved to the middle of each of ``axes`` (default: all)."""
    return _shift("fftshift", x, axes, 1)


def ifftshift(x, axes=None):
    """The inverse of ``fftshift`` (they differ for odd lengths)."""
    return _shift("ifftshift", x, axes, -1)
