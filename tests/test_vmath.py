"""Accuracy of the vectorized elementary functions (kernels/cpu/vmath.h), called through the cffi
kernels directly.

float32 results are compared with numpy's float64 function (rounded to float32 for the ulp
distance); float64 results with numpy's longdouble (x87 80-bit) function.  The bound is 2 ulp,
measured as the distance between bit patterns, so subnormals count in their own (fixed) ulp.
NaN must stay NaN, infinities and signed zeros must match exactly.

The strided sweep over (almost) all float32 bit patterns is marked slow; the always-on tests use
~1M sampled bit patterns plus a list of special values."""
import numpy as np
import pytest

from fnx._fnx_kernels import ffi, lib

MAX_ULP = 2


def _call(op, x):
    x = np.ascontiguousarray(x)
    y = np.empty_like(x)
    code = lib.FNX_FLOAT32 if x.dtype == np.float32 else lib.FNX_FLOAT64
    assert lib.fnx_unary_contig(op, code, x.size, ffi.from_buffer(x), ffi.from_buffer(y), 0) == 0
    return y


def _call_strided(op, x):
    """same op through fnx_unary with a non-unit input stride (the strided inner loop)"""
    xx = np.repeat(x, 2)  # every element twice; read every other one
    y = np.empty_like(x)
    code = lib.FNX_FLOAT32 if x.dtype == np.float32 else lib.FNX_FLOAT64
    isz = x.dtype.itemsize
    shape = ffi.new("int64_t[1]", [x.size])
    xs, ys = ffi.new("int64_t[1]", [2 * isz]), ffi.new("int64_t[1]", [isz])
    assert lib.fnx_unary(op, code, 1, shape, ffi.from_buffer(xx), xs, ffi.from_buffer(y), ys, 0) == 0
    return y


def _logistic(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


# name -> (op, reference taking the wider type)
FUNCS32 = {
    "exp": (lib.FNX_EXP, np.exp),
    "expm1": (lib.FNX_EXPM1, np.expm1),
    "log": (lib.FNX_LOG, np.log),
    "log1p": (lib.FNX_LOG1P, np.log1p),
    "tanh": (lib.FNX_TANH, np.tanh),
    "logistic": (lib.FNX_LOGISTIC, _logistic),
}
FUNCS64 = {
    "exp": (lib.FNX_EXP, np.exp),
    "log": (lib.FNX_LOG, np.log),
    "tanh": (lib.FNX_TANH, np.tanh),
    "logistic": (lib.FNX_LOGISTIC, _logistic),
}


def _ordered(a):
    """bit patterns mapped to integers that are monotonic in the float value (-0 == +0)"""
    itype = np.int32 if a.dtype == np.float32 else np.int64
    i = a.view(itype).astype(np.int64)
    lo = np.int64(np.iinfo(itype).min)
    return np.where(i < 0, lo - i, i)


def _check(y, ref, x, name):
    """max ulp distance of y from ref (ref already rounded to y's dtype); asserts the specials"""
    ny, nr = np.isnan(y), np.isnan(ref)
    assert np.array_equal(ny, nr), f"{name}: NaN mismatch at x={x[ny != nr][:5]}"
    ok = ~nr
    y, ref, x = y[ok], ref[ok], x[ok]
    inf = np.isinf(ref) | np.isinf(y)
    bad = inf & (y != ref)
    assert not bad.any(), f"{name}: inf mismatch at x={x[bad][:5]} got {y[bad][:5]} want {ref[bad][:5]}"
    zero = (ref == 0) & (y == 0)
    bad = zero & (np.signbit(y) != np.signbit(ref))
    assert not bad.any(), f"{name}: sign of zero at x={x[bad][:5]}"
    d = np.abs(_ordered(y[~inf]) - _ordered(ref[~inf]))
    if d.size == 0:
        return 0
    worst = int(d.max())
    i = int(np.argmax(d))
    assert worst <= MAX_ULP, f"{name}: {worst} ulp at x={x[~inf][i]!r}: got {y[~inf][i]!r} want {ref[~inf][i]!r}"
    return worst


def _ref32(ref, x):
    with np.errstate(all="ignore"):
        return ref(x.astype(np.float64)).astype(np.float32)


def _ref64(ref, x):
    with np.errstate(all="ignore"):
        return ref(x.astype(np.longdouble)).astype(np.float64)


def _sweep32(name, stride, offset=0, chunk=1 << 24):
    op, ref = FUNCS32[name]
    worst = 0
    for start in range(offset, 1 << 32, chunk * stride):
        bits = np.arange(start, min(start + chunk * stride, 1 << 32), stride, dtype=np.uint64)
        x = bits.astype(np.uint32).view(np.float32)
        worst = max(worst, _check(_call(op, x), _ref32(ref, x), x, name))
    return worst


SPECIAL32 = np.array(
    [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1.0, -1.0, 0.5, -0.5, 2.0, 1e-45, -1e-45, 1e-40,
     -1e-40, 1.1754942e-38, 1.17549435e-38, -1.17549435e-38, 3.4028235e38, -3.4028235e38, 1e-7, -1e-7,
     88.72283, 88.72284, 88.7229, 88.73, 89.0, 100.0, -87.0, -87.3, -88.0, -100.0, -103.0, -103.97,
     -103.98, -104.0, -104.5, -110.0, -150.0, 0.34657359, -0.34657359, 0.625, 0.9999999, 1.0000001,
     9.0, 9.02, 10.0, 20.0, -9.02, -20.0, -80.0, -30.0, -16.0, -17.0, -17.4, -17.5, 16.0, 17.0, 1e10,
     -1e10, -0.9999999, -0.99999994, 0.70710677, 0.70710678, 1.4142135, 1.4142137],
    dtype=np.float32)


@pytest.mark.parametrize("name", sorted(FUNCS32))
def test_float32_specials(name):
    op, ref = FUNCS32[name]
    xs = np.concatenate([SPECIAL32, -SPECIAL32])
    _check(_call(op, xs), _ref32(ref, xs), xs, name)
    _check(_call_strided(op, xs), _ref32(ref, xs), xs, name + " (strided)")


@pytest.mark.parametrize("name", sorted(FUNCS32))
def test_float32_subnormals(name):
    """every 7th subnormal bit pattern, both signs"""
    op, ref = FUNCS32[name]
    bits = np.arange(1, 1 << 23, 7, dtype=np.uint32)
    x = np.concatenate([bits, bits | np.uint32(1 << 31)]).view(np.float32)
    _check(_call(op, x), _ref32(ref, x), x, name)


@pytest.mark.parametrize("name", sorted(FUNCS32))
def test_float32_sampled(name):
    """~1M bit patterns spread over the whole range (stride 4099 over 2^32)"""
    _sweep32(name, 4099, offset=12345)


@pytest.mark.parametrize("name", sorted(FUNCS32))
def test_float32_dense_interesting_range(name):
    """every float in the region where the functions do real work (|x| in [2^-12, 128), plus
    the log1p/log range near 1), strided by 13"""
    op, ref = FUNCS32[name]
    lo, hi = np.float32(2.0**-12).view(np.uint32), np.float32(128.0).view(np.uint32)
    bits = np.arange(lo, hi, 13, dtype=np.uint32)
    x = np.concatenate([bits, bits | np.uint32(1 << 31)]).view(np.float32)
    _check(_call(op, x), _ref32(ref, x), x, name)


def test_float32_special_semantics():
    f = lambda op, v: float(_call(op, np.array([v], np.float32))[0])
    assert f(lib.FNX_EXP, 88.72) < np.inf and f(lib.FNX_EXP, 88.73) == np.inf
    assert f(lib.FNX_EXP, -np.inf) == 0 and f(lib.FNX_EXP, np.inf) == np.inf
    assert f(lib.FNX_EXP, -104.0) == 0 and 0 < f(lib.FNX_EXP, -103.0) < 1.2e-38
    assert np.isnan(f(lib.FNX_LOG, -1.0)) and f(lib.FNX_LOG, 0.0) == -np.inf and f(lib.FNX_LOG, -0.0) == -np.inf
    assert np.isnan(f(lib.FNX_LOG, -np.inf)) and f(lib.FNX_LOG, np.inf) == np.inf
    assert f(lib.FNX_TANH, 10.0) == 1.0 and f(lib.FNX_TANH, -10.0) == -1.0 and f(lib.FNX_TANH, np.inf) == 1.0
    assert f(lib.FNX_TANH, 1e-40) == np.float32(1e-40)
    assert np.signbit(f(lib.FNX_TANH, -0.0)) and np.signbit(f(lib.FNX_EXPM1, -0.0)) and np.signbit(f(lib.FNX_LOG1P, -0.0))
    assert f(lib.FNX_LOGISTIC, -np.inf) == 0 and f(lib.FNX_LOGISTIC, np.inf) == 1
    want = np.float32(1 / (1 + np.exp(80.0)))
    got = _call(lib.FNX_LOGISTIC, np.array([-80.0], np.float32))
    assert abs(int(got.view(np.int32)[0]) - int(want.view(np.int32))) <= 2
    assert f(lib.FNX_LOG1P, -1.0) == -np.inf and np.isnan(f(lib.FNX_LOG1P, -2.0))
    for op in (lib.FNX_EXP, lib.FNX_EXPM1, lib.FNX_LOG, lib.FNX_LOG1P, lib.FNX_TANH, lib.FNX_LOGISTIC):
        assert np.isnan(f(op, np.nan))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FUNCS32))
def test_float32_sweep_all_bit_patterns(name):
    """every 97th float32 bit pattern (~44M values)"""
    _sweep32(name, 97)


SPECIAL64 = np.array(
    [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, 5e-324, 1e-310, 2.2250738585072014e-308,
     1.7976931348623157e308, 1e-20, 709.78, 709.782712893384, 709.7827128933841, 709.79, 710.0,
     -708.0, -708.4, -720.0, -745.0, -745.1332, -745.14, -746.0, -800.0, 0.625, 0.62499999999999,
     19.0, 19.1, 20.0, -40.0, 0.34657359027997264, 1e100, 0.7071067811865476, 1.4142135623730951],
    dtype=np.float64)


@pytest.mark.parametrize("name", sorted(FUNCS64))
def test_float64(name):
    op, ref = FUNCS64[name]
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 1 << 63, 1 << 19, dtype=np.uint64, endpoint=False)
    bits[::2] |= np.uint64(1 << 63)
    dense = np.concatenate([rng.uniform(-30, 30, 1 << 19), rng.uniform(0, 4, 1 << 18),
                            rng.uniform(-746, 710, 1 << 18)])
    x = np.concatenate([SPECIAL64, -SPECIAL64, bits.view(np.float64), dense])
    _check(_call(op, x), _ref64(ref, x), x, name)
    _check(_call_strided(op, x), _ref64(ref, x), x, name + " (strided)")


def test_float64_special_semantics():
    f = lambda op, v: float(_call(op, np.array([v], np.float64))[0])
    assert f(lib.FNX_EXP, 709.78) < np.inf and f(lib.FNX_EXP, 709.79) == np.inf
    assert f(lib.FNX_EXP, -746.0) == 0 and f(lib.FNX_EXP, -745.1) == 5e-324
    assert np.isnan(f(lib.FNX_LOG, -1.0)) and f(lib.FNX_LOG, 0.0) == -np.inf and f(lib.FNX_LOG, 5e-324) == np.log(5e-324)
    assert f(lib.FNX_TANH, 20.0) == 1.0 and f(lib.FNX_TANH, 1e-310) == 1e-310 and np.signbit(f(lib.FNX_TANH, -0.0))
    assert f(lib.FNX_LOGISTIC, -np.inf) == 0 and f(lib.FNX_LOGISTIC, np.inf) == 1
