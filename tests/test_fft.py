"""fnx.numpy.fft and lax.fft against numpy.fft: every length 0..64, primes, powers of two,
2-D / N-D with s / axes / norm, hfft / ihfft, round trips, Parseval, frequencies and shifts;
derivatives (finite differences, the transpose identity <ct, f(t)> = <f^T(ct), t> with f from
numpy), vmap against a loop, jit against eager, and the errors."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.errors import DTypeError, ShapeError
from fnx.test_util import check_grads

RNG = np.random.default_rng(0)
NORMS = (None, "backward", "ortho", "forward")


def rand(shape, dtype=np.float64, rng=RNG):
    """Normal samples of ``shape``; complex dtypes get independent real and imaginary parts."""
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def close(got, want, dtype=np.complex128):
    """``got`` (fnx) equals ``want`` (numpy) up to the rounding of an FFT in ``dtype``'s
    precision: relative to the largest magnitude, as FFT errors spread over every entry."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    single = np.dtype(dtype) in (np.float32, np.complex64)
    scale = max(np.abs(want).max(initial=0.0), 1.0)
    np.testing.assert_allclose(got, want, rtol=0, atol=(2e-5 if single else 1e-12) * scale)


# -- values -------------------------------------------------------------------------------------

ONE_D = [("fft", np.complex128), ("ifft", np.complex128), ("rfft", np.float64),
         ("irfft", np.complex128), ("hfft", np.complex128), ("ihfft", np.float64)]


@pytest.mark.parametrize("name,dtype", ONE_D)
def test_every_length_up_to_64(name, dtype):
    for n in range(65):
        x = rand((3, n), dtype)
        if n == 0 or (name in ("irfft", "hfft") and n == 1):  # 0 output points
            with pytest.raises(ValueError):
                getattr(np.fft, name)(x)
            with pytest.raises(ValueError):
                getattr(fnp.fft, name)(x)
            continue
        close(getattr(fnp.fft, name)(x), getattr(np.fft, name)(x))


@pytest.mark.parametrize("n", [97, 101, 1009, 128, 1024, 4096, 3 * 5 * 7 * 4, 2 * 1009])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_primes_and_powers(n, dtype):
    x = rand((2, n), dtype)
    y = fnp.fft.fft(x)
    assert y.dtype == dtype
    close(y, np.fft.fft(x.astype(np.complex128)), dtype)
    close(fnp.fft.ifft(x), np.fft.ifft(x.astype(np.complex128)), dtype)
    real = x.real.copy()
    close(fnp.fft.rfft(real), np.fft.rfft(real.astype(np.float64)), dtype)
    close(fnp.fft.irfft(x, n), np.fft.irfft(x.astype(np.complex128), n), dtype)


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"])
@pytest.mark.parametrize("n", [None, 1, 5, 8, 13])
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("norm", NORMS)
def test_one_axis_n_axis_norm(name, n, axis, norm):
    x = rand((6, 7, 4), np.float64 if name in ("rfft", "ihfft") else np.complex128)
    close(getattr(fnp.fft, name)(x, n, axis, norm), getattr(np.fft, name)(x, n, axis, norm))


ND_CASES = [  # (s, axes)
    (None, None), ((4, 6), None), ((3, 9, 2), None), (None, (0, 2)), (None, (-1, 0)),
    ((8, 3), (1, -3)), ((5,), (1,)), (None, (2, 1, 0)), ((2, 2, 7), (0, 1, 2)),
]


@pytest.mark.parametrize("name", ["fftn", "ifftn", "rfftn", "irfftn"])
@pytest.mark.parametrize("s,axes", ND_CASES)
@pytest.mark.parametrize("norm", NORMS)
def test_n_dimensional(name, s, axes, norm):
    x = rand((4, 5, 6), np.float64 if name == "rfftn" else np.complex128)
    # s without axes: the last len(s) axes (numpy 2 warns unless they are spelled out)
    np_axes = axes if axes is not None or s is None else tuple(range(3 - len(s), 3))
    close(getattr(fnp.fft, name)(x, s, axes, norm), getattr(np.fft, name)(x, s, np_axes, norm))


@pytest.mark.parametrize("name", ["fft2", "ifft2", "rfft2", "irfft2"])
@pytest.mark.parametrize("s,axes", [(None, (-2, -1)), ((3, 10), (-2, -1)), (None, (0, 2)),
                                    ((4, 4), (2, 0))])
@pytest.mark.parametrize("norm", NORMS)
def test_two_dimensional(name, s, axes, norm):
    x = rand((3, 5, 8), np.float64 if name == "rfft2" else np.complex128)
    close(getattr(fnp.fft, name)(x, s, axes, norm), getattr(np.fft, name)(x, s, axes, norm))


@pytest.mark.parametrize("dtype,want", [(np.float32, np.complex64), (np.float64, np.complex128),
                                        (np.int32, np.complex64), (np.bool_, np.complex64),
                                        (np.complex64, np.complex64),
                                        (np.complex128, np.complex128)])
def test_result_dtypes(dtype, want):
    x = fnp.asarray(rand((4, 6)).astype(dtype))
    for name in ("fft", "ifft", "fft2", "fftn", "ifftn"):
        assert getattr(fnp.fft, name)(x).dtype == want, name
    real = {np.complex64: np.float32, np.complex128: np.float64}[want]
    assert fnp.fft.irfft(x).dtype == real
    assert fnp.fft.hfft(x).dtype == real
    if np.dtype(dtype).kind != "c":
        assert fnp.fft.rfft(x).dtype == want
        assert fnp.fft.ihfft(x).dtype == want
        close(fnp.fft.rfftn(x), np.fft.rfftn(np.asarray(x).astype(np.float64)), want)


def test_round_trips_and_parseval():
    for dtype in (np.complex64, np.complex128):
        x = rand((5, 33), dtype)
        close(fnp.fft.ifft(fnp.fft.fft(x)), x, dtype)
        close(fnp.fft.ifftn(fnp.fft.fftn(x, norm="ortho"), norm="ortho"), x, dtype)
        energy = np.sum(np.abs(np.asarray(fnp.fft.fft(x, norm="ortho"))) ** 2)
        np.testing.assert_allclose(energy, np.sum(np.abs(x) ** 2), rtol=1e-5)
    for n in (16, 17):
        x = rand((3, n))
        close(fnp.fft.irfft(fnp.fft.rfft(x), n), x)
        close(fnp.fft.irfftn(fnp.fft.rfftn(x), x.shape), x)
        close(fnp.fft.hfft(fnp.fft.ihfft(x), n), x)


def test_frequencies_and_shifts():
    for n in (1, 2, 7, 8):
        for d in (1.0, 0.1, 3):
            close(fnp.fft.fftfreq(n, d), np.fft.fftfreq(n, d), np.float32)
            close(fnp.fft.rfftfreq(n, d), np.fft.rfftfreq(n, d), np.float32)
        assert fnp.fft.fftfreq(n).dtype == np.float32
        close(fnp.fft.fftfreq(n, 0.5, dtype=np.float64), np.fft.fftfreq(n, 0.5))
        assert fnp.fft.rfftfreq(n, dtype=np.float64).dtype == np.float64
    close(fnp.fft.fftfreq(6, fnp.asarray(0.25)), np.fft.fftfreq(6, 0.25), np.float32)
    x = np.arange(5 * 6 * 7).reshape(5, 6, 7)
    for axes in (None, 0, -1, (0, 2), (1,)):
        np.testing.assert_array_equal(fnp.fft.fftshift(x, axes), np.fft.fftshift(x, axes))
        np.testing.assert_array_equal(fnp.fft.ifftshift(x, axes), np.fft.ifftshift(x, axes))
    np.testing.assert_array_equal(fnp.fft.ifftshift(fnp.fft.fftshift(x)), x)


# -- derivatives -------------------------------------------------------------------------------

def _pair(a, b) -> float:
    """JAX's pairing of cotangents with values: Re sum(a * b), no conjugation."""
    return float(np.real(np.sum(np.asarray(a, np.complex128) * np.asarray(b, np.complex128))))


TRANSPOSE_CASES = [  # (fft_type, operand shape, fft_lengths, numpy's transform)
    ("fft", (3, 8), (8,), lambda t: np.fft.fft(t)),
    ("ifft", (2, 5, 7), (5, 7), lambda t: np.fft.ifftn(t, axes=(1, 2))),
    ("rfft", (3, 8), (8,), lambda t: np.fft.rfft(t)),
    ("rfft", (3, 9), (9,), lambda t: np.fft.rfft(t)),
    ("rfft", (2, 4, 6), (4, 6), lambda t: np.fft.rfftn(t, axes=(1, 2))),
    ("irfft", (3, 5), (8,), lambda t: np.fft.irfft(t, 8)),
    ("irfft", (3, 5), (9,), lambda t: np.fft.irfft(t, 9)),
    ("irfft", (2, 5, 4), (5, 6), lambda t: np.fft.irfftn(t, (5, 6), axes=(1, 2))),
    ("irfft", (2, 3, 1), (3, 1), lambda t: np.fft.irfftn(t, (3, 1), axes=(1, 2))),
]


def _transform_of_parts(fft_type, lengths):
    """``lax.fft`` as a function of real arrays: the operand itself (RFFT) or its real and
    imaginary parts (fnx differentiates with respect to real inputs only)."""
    if fft_type == "rfft":
        return lambda x: lax.fft(x, fft_type, lengths)
    return lambda re, im: lax.fft(lax.complex(re, im), fft_type, lengths)


def _parts(z):
    return (z,) if np.isrealobj(z) else (z.real.copy(), z.imag.copy())


@pytest.mark.parametrize("fft_type,shape,lengths,numpy_f", TRANSPOSE_CASES)
def test_transpose_identity(fft_type, shape, lengths, numpy_f):
    """<ct, f(t)> == <f^T(ct), t> with f(t) from numpy and f^T from fnx.vjp (for a complex
    operand z = re + i im, lax.complex's transpose gives ct_re = Re f^T(ct), ct_im =
    -Im f^T(ct)); the JVP of the (linear) f is f of the tangent."""
    in_dtype = np.float64 if fft_type == "rfft" else np.complex128
    f = _transform_of_parts(fft_type, lengths)
    x, t = rand(shape, in_dtype), rand(shape, in_dtype)
    out, vjp_fn = fnx.vjp(f, *map(fnp.asarray, _parts(x)))
    ct = rand(out.shape, out.dtype)
    cts = [np.asarray(c) for c in vjp_fn(fnp.asarray(ct))]
    ct_x = cts[0] if len(cts) == 1 else cts[0] - 1j * cts[1]
    np.testing.assert_allclose(_pair(ct_x, t), _pair(ct, numpy_f(t)), rtol=1e-10, atol=1e-10)
    _, tangent = fnx.jvp(f, tuple(map(fnp.asarray, _parts(x))),
                         tuple(map(fnp.asarray, _parts(t))))
    close(tangent, numpy_f(t))


def _power(x):
    return fnp.sum(fnp.abs(x) ** 2)


_TWIST = fnp.asarray(np.exp(1j * np.arange(4.0)))
REAL_LOSSES = {
    "fft": lambda x: _power(fnp.fft.fft(x)),
    "rfft": lambda x: _power(fnp.fft.rfft(x, norm="ortho")),
    "ihfft": lambda x: fnp.sum(lax.real(fnp.fft.ihfft(x)) * fnp.arange(4.0)),
    "irfft_of_rfft": lambda x: fnp.sum(fnp.fft.irfft(fnp.fft.rfft(x) * _TWIST) ** 3),
    "rfft2": lambda x: _power(fnp.fft.rfft2(x, s=(3, 7), norm="forward")),
    "fftn": lambda x: fnp.sum(lax.imag(fnp.fft.fftn(fnp.sin(x), axes=(0, 1))) ** 2),
}


@pytest.mark.parametrize("name", list(REAL_LOSSES))
def test_grads_of_real_losses_of_real_inputs(name):
    x = fnp.asarray(rand((4, 6)))
    check_grads(REAL_LOSSES[name], (x,), order=2)


COMPLEX_LOSSES = {
    "fft": lambda z: _power(fnp.fft.fft(z)),
    "ifft2": lambda z: fnp.sum(lax.real(fnp.fft.ifft2(z * z)) * fnp.arange(6.0)),
    "irfft": lambda z: fnp.sum(fnp.fft.irfft(z, 9) ** 2),
    "hfft": lambda z: fnp.sum(fnp.sin(fnp.fft.hfft(z, norm="ortho"))),
    "irfft2": lambda z: fnp.sum(fnp.cos(fnp.fft.irfft2(z, norm="ortho"))),
}


@pytest.mark.parametrize("name", list(COMPLEX_LOSSES))
def test_grads_of_real_losses_of_complex_inputs(name):
    """A real loss of z = re + i im, differentiated with respect to re and im (fnx.grad takes
    real inputs), against finite differences, to second order."""
    loss = COMPLEX_LOSSES[name]
    z = rand((4, 6), np.complex128)
    check_grads(lambda re, im: loss(lax.complex(re, im)),
                tuple(map(fnp.asarray, _parts(z))), order=2)


# -- transformations ---------------------------------------------------------------------------

def test_vmap_matches_a_loop():
    x = rand((5, 4, 6), np.complex128)
    for in_axis in (0, 1, 2):
        got = fnx.vmap(lambda v: fnp.fft.fft2(v, s=(3, 8)), in_axes=in_axis)(fnp.asarray(x))
        want = np.stack([np.fft.fft2(np.take(x, i, in_axis), s=(3, 8))
                         for i in range(x.shape[in_axis])])
        close(got, want)
    r = rand((4, 6, 3))
    got = fnx.vmap(fnp.fft.rfft, in_axes=2, out_axes=1)(fnp.asarray(r))
    close(got, np.stack([np.fft.rfft(r[:, :, i]) for i in range(3)], axis=1))
    got = fnx.vmap(lambda v: lax.fft(v, "irfft", (6, 10)), in_axes=1)(
        fnp.asarray(rand((6, 2, 6), np.complex128)))
    assert got.shape == (2, 6, 10)


def test_vmap_of_grad():
    x = rand((3, 8))
    got = fnx.vmap(fnx.grad(REAL_LOSSES["rfft"]))(fnp.asarray(x))
    want = np.stack([np.asarray(fnx.grad(REAL_LOSSES["rfft"])(fnp.asarray(row))) for row in x])
    close(got, want)


def test_jit_matches_eager():
    x = rand((4, 8, 6), np.complex64)
    for fn in (lambda v: fnp.fft.fftn(v, axes=(0, 2), norm="ortho"),
               lambda v: fnp.fft.irfft2(v, s=(8, 10)),
               lambda v: fnp.fft.rfft(lax.real(v), 5, axis=1),
               lambda v: fnp.fft.ifft(fnp.fft.fft(v) * 2)):
        close(fnx.jit(fn)(fnp.asarray(x)), fn(fnp.asarray(x)), np.complex64)
    jaxpr = str(fnx.make_jaxpr(lambda v: fnp.fft.fft2(v))(fnp.asarray(x)))
    assert jaxpr.count("fft[") == 1, jaxpr  # one primitive for both axes


# -- the CPU impl's plan -----------------------------------------------------------------------

class _NumpyKernels:
    """fnx_fft_c2c / r2c / c2r as documented in fnx_kernels.h, written with numpy's 1-D
    transforms of the (outer, n, inner) views: checks how the CPU impl splits a transform
    into kernel calls and lays out their buffers, whatever fft.c computes."""

    def __init__(self, lib, ffi):
        self.ffi = ffi
        self.types = {lib.FNX_FLOAT32: np.float32, lib.FNX_FLOAT64: np.float64,
                      lib.FNX_COMPLEX64: np.complex64, lib.FNX_COMPLEX128: np.complex128}

    def _view(self, ptr, dtype, shape):
        nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
        return np.frombuffer(self.ffi.buffer(ptr, nbytes), dtype).reshape(shape)

    def fnx_fft_c2c(self, code, inverse, outer, n, inner, scale, x, y):
        t = self.types[code]
        x = self._view(x, t, (outer, n, inner))
        spectrum = np.fft.ifft(x, axis=1) * n if inverse else np.fft.fft(x, axis=1)
        self._view(y, t, (outer, n, inner))[...] = scale * spectrum
        return 0

    def fnx_fft_r2c(self, code, outer, n, inner, scale, x, y):
        t = self.types[code]
        spectrum = np.fft.rfft(self._view(x, t, (outer, n, inner)), axis=1)
        self._view(y, np.result_type(t, np.complex64), spectrum.shape)[...] = scale * spectrum
        return 0

    def fnx_fft_c2r(self, code, outer, n, inner, scale, x, y):
        t = self.types[code]
        signal = np.fft.irfft(self._view(x, t, (outer, n // 2 + 1, inner)), n, axis=1) * n
        self._view(y, np.finfo(t).dtype, signal.shape)[...] = scale * signal
        return 0


@pytest.mark.parametrize("shape,k", [((3, 5, 8), 1), ((3, 5, 8), 2), ((2, 3, 4, 7), 3),
                                     ((0, 4), 1), ((4, 0), 1)])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_cpu_impl_plan(monkeypatch, shape, k, dtype):
    from fnx.backends import cpu_fft
    monkeypatch.setattr(cpu_fft, "lib", _NumpyKernels(cpu_fft.lib, cpu_fft.ffi))
    impl, lengths = cpu_fft.IMPLS["fft"], shape[-k:]
    axes = tuple(range(len(shape) - k, len(shape)))
    z = rand(shape, dtype)
    for fft_type, numpy_f, x in (("fft", np.fft.fftn, z), ("ifft", np.fft.ifftn, z),
                                 ("rfft", np.fft.rfftn, z.real.copy())):
        got = impl(fnp.asarray(x), fft_type=lax.FftType[fft_type.upper()], fft_lengths=lengths)
        want = numpy_f(x, axes=axes) if x.size else np.zeros(got.shape)
        assert got.dtype == np.result_type(x.dtype, np.complex64)
        close(got, want, dtype)
    if z.size:
        spectrum = np.fft.rfftn(z.real, axes=axes).astype(dtype)
        got = impl(fnp.asarray(spectrum), fft_type=lax.FftType.IRFFT, fft_lengths=lengths)
        close(got, np.fft.irfftn(spectrum, lengths, axes=axes), dtype)


# -- errors ------------------------------------------------------------------------------------

def test_numpy_errors():
    x = rand((4, 6))
    with pytest.raises(ValueError, match="Invalid norm value"):
        fnp.fft.fft(x, norm="bad")
    with pytest.raises(ValueError, match="Invalid norm value"):
        fnp.fft.hfft(x, norm="bad")
    with pytest.raises(ValueError, match="Invalid number of FFT data points"):
        fnp.fft.fft(x, 0)
    with pytest.raises(ValueError, match="Invalid number of FFT data points"):
        fnp.fft.rfft2(x, s=(3, -1))
    with pytest.raises(ValueError, match="different lengths"):
        fnp.fft.fftn(x, s=(3, 3), axes=(0,))
    with pytest.raises(ValueError, match="repeated axes"):
        fnp.fft.fftn(x, axes=(0, 0))
    with pytest.raises(IndexError):
        fnp.fft.fft(x, axis=2)
    with pytest.raises(TypeError, match="rfft"):
        fnp.fft.rfft(rand((4,), np.complex64))
    with pytest.raises(ValueError, match="integer"):
        fnp.fft.fftfreq(2.5)


def test_lax_errors():
    z = fnp.asarray(rand((4, 6), np.complex64))
    with pytest.raises(ShapeError, match=r"fft \(FFT.*\(5,\)"):
        lax.fft(z, "fft", (5,))
    with pytest.raises(ShapeError, match=r"IRFFT.*must be \(6, 4\)"):
        lax.fft(z, lax.FftType.IRFFT, (6, 6))   # needs trailing (6, 4)
    with pytest.raises(ShapeError, match="transform lengths"):
        lax.fft(z, "fft", (1, 4, 6))
    with pytest.raises(ValueError, match="fft_type"):
        lax.fft(z, "dct", (6,))
    with pytest.raises(DTypeError, match="RFFT needs a real"):
        lax.fft(z, "rfft", (6,))
    with pytest.raises(DTypeError, match="complex64 or complex128"):
        lax.fft_p.bind(fnp.ones((6,)), fft_type=lax.FftType.FFT, fft_lengths=(6,))
    assert lax.fft(fnp.ones((2, 4), np.int32), "fft", (4,)).dtype == np.complex64
