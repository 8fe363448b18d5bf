"""numpy oracle of ``fft_p`` (fnx/lax/fft.py), for the tests: numpy.fft computed in
complex128 / float64 and rounded once to the result dtype; reference.py merges the table
``IMPLS`` into the backend's."""
from __future__ import annotations

import math

import numpy as np

from ..lax.fft import FftType, fft_p
from .reference_common import registrar

IMPLS: dict = {}
_register = registrar(IMPLS)

# numpy's n-dimensional transform of each type over the given axes (s: the transform lengths)
_NUMPY_FFTN = {FftType.FFT: np.fft.fftn, FftType.IFFT: np.fft.ifftn,
               FftType.RFFT: np.fft.rfftn, FftType.IRFFT: np.fft.irfftn}


def _result_shape(x, fft_type, fft_lengths) -> tuple:
    n = fft_lengths[-1]
    last = {FftType.RFFT: n // 2 + 1, FftType.IRFFT: n}.get(fft_type, x.shape[-1])
    return x.shape[:-1] + (last,)


@_register(fft_p)
def fft(x, *, fft_type, fft_lengths):
    shape = _result_shape(x, fft_type, fft_lengths)
    if math.prod(shape) == 0 or 0 in fft_lengths:
        return np.zeros(shape, np.complex128)  # empty, or a sum over no points
    wide = np.float64 if fft_type == FftType.RFFT else np.complex128
    axes = tuple(range(x.ndim - len(fft_lengths), x.ndim))
    return _NUMPY_FFTN[fft_type](x.astype(wide), s=fft_lengths, axes=axes)
