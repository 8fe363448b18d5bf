"""The FFT kernels (kernels/cpu/fft*.c) called directly through cffi, against numpy.fft computed
in complex128: every length 1..64, primes (Bluestein), smooth powers (the radix passes and the
four-step of large lengths), batches along the last and a middle axis, both precisions."""
import numpy as np
import pytest

from fnx.backends.cpu_ffi import ffi, lib

# (real dtype, complex dtype, tolerance on max |y - ref| / max |ref|)
PRECISIONS = {
    "single": (np.float32, np.complex64, 2e-6),
    "double": (np.float64, np.complex128, 1e-14),
}
CODES = {np.float32: lib.FNX_FLOAT32, np.float64: lib.FNX_FLOAT64,
         np.complex64: lib.FNX_COMPLEX64, np.complex128: lib.FNX_COMPLEX128}
SMOOTH = [2 ** k for k in (7, 8, 11, 14, 16)] + [3 ** k for k in (5, 7, 10)] + [5 ** k for k in (3, 6)]
LENGTHS = list(range(1, 65)) + [97, 101, 127, 1009, 10007, 2 * 3 * 5 * 7 * 11, 1000] + SMOOTH
# (outer, inner) batch layouts, inner > 1 being a transform along a middle axis
LAYOUTS = [(1, 1), (5, 1), (1, 3), (5, 3), (1, 16), (5, 16)]
LAYOUT_LENGTHS = [1, 2, 7, 12, 17, 64, 97, 1000, 4096]

rng = np.random.default_rng(1)


def _complex(shape, dtype):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def _relerr(y, ref):
    return np.abs(y - ref).max() / max(np.abs(ref).max(), 1e-300)


def c2c(x, inverse, scale):
    """fnx_fft_c2c along axis 1 of the 3-d x"""
    outer, n, inner = x.shape
    y = np.empty_like(x)
    rc = lib.fnx_fft_c2c(CODES[x.dtype.type], int(inverse), outer, n, inner, scale,
                         ffi.from_buffer(x), ffi.from_buffer(y))
    assert rc == lib.FNX_OK
    return y


def r2c(x, scale):
    outer, n, inner = x.shape
    cdt = np.complex64 if x.dtype == np.float32 else np.complex128
    y = np.empty((outer, n // 2 + 1, inner), cdt)
    rc = lib.fnx_fft_r2c(CODES[x.dtype.type], outer, n, inner, scale, ffi.from_buffer(x),
                         ffi.from_buffer(y))
    assert rc == lib.FNX_OK
    return y


def c2r(x, n, scale):
    outer, _, inner = x.shape
    rdt = np.float32 if x.dtype == np.complex64 else np.float64
    y = np.empty((outer, n, inner), rdt)
    rc = lib.fnx_fft_c2r(CODES[x.dtype.type], outer, n, inner, scale, ffi.from_buffer(x),
                         ffi.from_buffer(y))
    assert rc == lib.FNX_OK
    return y


def check_all_ops(n, outer, inner, prec):
    """c2c both ways, r2c and c2r on one (outer, n, inner) layout, scale != 1"""
    rdt, cdt, tol = PRECISIONS[prec]
    x = _complex((outer, n, inner), cdt)
    x128 = x.astype(np.complex128)
    assert _relerr(c2c(x, False, 0.5), 0.5 * np.fft.fft(x128, axis=1)) < tol
    assert _relerr(c2c(x, True, 1 / n), np.fft.ifft(x128, axis=1)) < tol
    xr = x.real.astype(rdt)
    assert _relerr(r2c(xr, 2.0), 2.0 * np.fft.rfft(xr.astype(np.float64), axis=1)) < tol
    spec = x[:, : n // 2 + 1]
    ref = 3.0 * n * np.fft.irfft(spec.astype(np.complex128), n=n, axis=1)
    assert _relerr(c2r(np.ascontiguousarray(spec), n, 3.0), ref) < tol


@pytest.mark.parametrize("prec", PRECISIONS)
@pytest.mark.parametrize("n", LENGTHS)
def test_lengths(n, prec):
    check_all_ops(n, 2, 1, prec)


@pytest.mark.parametrize("prec", PRECISIONS)
@pytest.mark.parametrize("outer,inner", LAYOUTS)
@pytest.mark.parametrize("n", LAYOUT_LENGTHS)
def test_layouts(n, outer, inner, prec):
    check_all_ops(n, outer, inner, prec)


@pytest.mark.parametrize("prec", PRECISIONS)
def test_four_step_columns(prec):
    """a four-step length (2^16) along a middle axis, and a Bluestein one whose convolution
    length is four-step"""
    check_all_ops(2 ** 16, 1, 3, prec)
    check_all_ops(40009, 1, 1, prec)


def test_large_single_precision():
    """2^20 complex64: four-step of radix passes, float32 accuracy near 1e-6"""
    n = 2 ** 20
    x = _complex((1, n, 1), np.complex64)
    ref = np.fft.fft(x.astype(np.complex128), axis=1)
    assert _relerr(c2c(x, False, 1.0), ref) < 2e-6
    xr = np.ascontiguousarray(x.real)
    assert _relerr(r2c(xr, 1.0), np.fft.rfft(xr.astype(np.float64), axis=1)) < 2e-6


@pytest.mark.parametrize("prec", PRECISIONS)
@pytest.mark.parametrize("n", [1, 2, 5, 6, 64, 101])
def test_c2r_ignores_imaginary_edges(n, prec):
    """the imaginary parts of X_0 and (even n) X_{n/2} do not change the output, as numpy"""
    _, cdt, tol = PRECISIONS[prec]
    spec = _complex((3, n // 2 + 1, 2), cdt)
    clean = spec.copy()
    clean[:, 0].imag = 0
    if n % 2 == 0:
        clean[:, -1].imag = 0
    y = c2r(spec, n, 1.0)
    assert np.array_equal(y, c2r(clean, n, 1.0))
    assert _relerr(y, n * np.fft.irfft(spec.astype(np.complex128), n=n, axis=1)) < tol


@pytest.mark.parametrize("prec", PRECISIONS)
@pytest.mark.parametrize("n", [1, 16, 45, 127, 4096, 10007])
def test_round_trips(n, prec):
    rdt, cdt, tol = PRECISIONS[prec]
    x = _complex((2, n, 3), cdt)
    assert _relerr(c2c(c2c(x, False, 1.0), True, 1.0 / n), x) < 4 * tol
    xr = np.ascontiguousarray(x.real)
    assert _relerr(c2r(r2c(xr, 1.0 / np.sqrt(n)), n, 1.0 / np.sqrt(n)), xr) < 4 * tol


def test_unsupported_dtypes():
    x = np.zeros(16, np.float64)
    y = np.zeros(32, np.float64)
    px, py = ffi.from_buffer(x), ffi.from_buffer(y)
    for bad in (lib.FNX_FLOAT32, lib.FNX_FLOAT64, lib.FNX_INT32):
        assert lib.fnx_fft_c2c(bad, 0, 1, 8, 1, 1.0, px, py) == lib.FNX_ERR_UNSUPPORTED
        assert lib.fnx_fft_c2r(bad, 1, 8, 1, 1.0, px, py) == lib.FNX_ERR_UNSUPPORTED
    for bad in (lib.FNX_COMPLEX64, lib.FNX_COMPLEX128, lib.FNX_INT64):
        assert lib.fnx_fft_r2c(bad, 1, 8, 1, 1.0, px, py) == lib.FNX_ERR_UNSUPPORTED


def test_threads_agree():
    """a batch split over the threads gives the single-threaded result bit for bit"""
    x = _complex((64, 256, 1), np.complex64)
    prev = lib.fnx_get_num_threads()
    try:
        lib.fnx_set_num_threads(1)
        one = c2c(x, False, 1.0)
        lib.fnx_set_num_threads(2)
        assert np.array_equal(c2c(x, False, 1.0), one)
    finally:
        lib.fnx_set_num_threads(prev)


def test_plan_cache_from_threads():
    """more lengths than the plan cache holds, from several threads at once (cffi releases the
    GIL): plans are evicted only when unused, every result still matches numpy"""
    from concurrent.futures import ThreadPoolExecutor

    def one(n):
        x = _complex((3, n, 1), np.complex128)
        return _relerr(c2c(x, False, 1.0), np.fft.fft(x, axis=1))

    with ThreadPoolExecutor(4) as pool:
        errs = list(pool.map(one, [100 + (i % 48) for i in range(192)]))
    assert max(errs) < 1e-14
