"""complex64 / complex128 in the eager C kernels (fnx._fnx_kernels) against numpy.

The kernels are called directly through cffi (the Python layers are wired separately), on
contiguous, strided and broadcast (stride 0) operands, with values whose parts include +-0,
+-inf, NaN, tiny and huge magnitudes, and points on the branch cuts.  numpy is the oracle;
where numpy 2.4 is inaccurate (log1p near 0) mpmath is.  The CUDA formulas of
kernels/common/fnx_complex_cuda.h are checked here too, compiled as C++ for the CPU (no GPU
on the machines that run the tests)."""
import ctypes
import os
import shutil
import subprocess
import warnings

import numpy as np
import pytest

from fnx.backends.cpu_ffi import ffi, lib
from spec_lax import expm1_array_api, tanh_array_api  # the array API's special values

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DTYPES = [np.bool_, np.int8, np.uint8, np.int32, np.int64, np.float32, np.float64, np.uint32,
          np.complex64, np.complex128]
CODE = {np.dtype(t): i for i, t in enumerate(DTYPES)}
COMPLEX = [np.complex64, np.complex128]
REAL_OF = {np.dtype(np.complex64): np.float32, np.dtype(np.complex128): np.float64}
# relative tolerance: float32 a few ulp, float64 ~1e-14 (numpy and glibc agree far closer)
RTOL = {np.dtype(np.complex64): 5e-7, np.dtype(np.complex128): 1e-14}

PARTS = [0.0, -0.0, 1.0, -1.0, 0.5, -2.0, 3.7, 1e-10, -1e-30, 1e30, -1e200, 2.0, 710.0, -745.0,
         np.inf, -np.inf, np.nan]
BRANCH_POINTS = [-4 + 0j, complex(-4, -0.0), -1 + 0j, complex(-1, -0.0), 2 + 0j, complex(2, -0.0),
                 -2 + 0j, complex(-2, -0.0), 2j, complex(-0.0, 2), -2j, complex(-0.0, -2),
                 0.5 + 0j, complex(0.5, -0.0), complex(-0.0, 0.0), complex(-0.0, -0.0)]

# where naive formulas cancel, overflow or underflow: |z| near 1, z near +-1 and +-i, huge and
# tiny (subnormal) parts
HARD_POINTS = [1 + 1e-8j, 1 - 1e-20j, -1 + 1e-20j, 0.6 + 0.8j, 0.8 - 0.6000001j, 1e-8 + 1j,
               -1e-20 - 1j, 1e-300 + 1e-300j, 1e300 + 1e300j, -1e300 + 1e-300j, 3e-320 - 5e-320j,
               1.7e308 + 1.7e308j, 0.99999 + 1e-5j, 1e-5 + 0.99999j, 1e19 + 1e19j, 3e38 - 3e38j,
               1e-40 + 1e-44j, 88.5 + 1e-3j, 720 + 3j, -88.5 - 3j]


def grid(dt):
    """every pair of PARTS (overflowing parts become inf in complex64), random values over
    many magnitudes, and the branch-cut points"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pts = [complex(a, b) for a in PARTS for b in PARTS]
        rng = np.random.default_rng(0)
        mag = np.exp(rng.uniform(-12, 12, (2, 300)))
        rand = rng.standard_normal((2, 300)) * mag
        return np.concatenate([np.array(pts + BRANCH_POINTS + HARD_POINTS), rand[0] + 1j * rand[1],
                               rng.uniform(-3, 3, 200) + 1j * rng.uniform(-3, 3, 200)]).astype(dt)


# ---- calling the kernels -------------------------------------------------------------------------

def ptr(a):
    return ffi.cast("char *", a.__array_interface__["data"][0])


def i64(seq):
    return ffi.new("int64_t[]", [int(s) for s in seq] or [0])


def unary(op, x, out_dtype=None, layout="contig", param=0):
    """op(x) through fnx_unary_contig ("contig"), fnx_unary on every other element of a
    bigger buffer ("strided"), or with the one element x[0] broadcast ("broadcast")"""
    out_dtype = np.dtype(out_dtype or x.dtype)
    if layout == "contig":
        x = np.ascontiguousarray(x)
        y = np.empty(x.shape, out_dtype)
        rc = lib.fnx_unary_contig(op, CODE[x.dtype], x.size, ptr(x), ptr(y), param)
    else:
        if layout == "strided":
            xs = np.empty(2 * x.size, x.dtype)[::2]
            xs[...] = x
            x, xstride = xs, x.itemsize * 2
        else:
            x, xstride = x[:1].copy(), 0
        n = xs.size if layout == "strided" else 5
        y = np.empty(3 * n, out_dtype)[::3]
        rc = lib.fnx_unary(op, CODE[x.dtype], 1, i64([n]), ptr(x), i64([xstride]), ptr(y),
                           i64([y.strides[0]]), param)
        if layout == "broadcast":
            x = np.broadcast_to(x, (n,))
    assert rc == lib.FNX_OK, rc
    return x, y


def binary(op, a, b, out_dtype, layout="contig"):
    """a op b: contiguous, strided (fnx_binary on every other element), or one operand a
    broadcast scalar (fnx_binary_scalar: "scalar_a" / "scalar_b")"""
    out = np.empty(a.shape, out_dtype)
    code = CODE[a.dtype]
    if layout == "contig":
        rc = lib.fnx_binary_contig(op, code, a.size, ptr(a), ptr(b), ptr(out))
    elif layout == "strided":
        sa, sb = np.empty(2 * a.size, a.dtype)[::2], np.empty(3 * b.size, b.dtype)[::3]
        sa[...], sb[...] = a, b
        so = np.empty(2 * a.size, out_dtype)[::2]
        rc = lib.fnx_binary(op, code, 1, i64([a.size]), ptr(sa), i64(sa.strides), ptr(sb),
                            i64(sb.strides), ptr(so), i64(so.strides))
        out = so
    else:  # a broadcast view's data pointer is its one element
        which = 0 if layout == "scalar_a" else 1
        if which == 0:
            a = np.broadcast_to(a[:1], a.shape)
        else:
            b = np.broadcast_to(b[:1], b.shape)
        rc = lib.fnx_binary_scalar(op, code, a.size, ptr(a), ptr(b), ptr(out), which)
    assert rc == lib.FNX_OK, rc
    return a, b, out


# ---- comparing -------------------------------------------------------------------------------------

def assert_complex_close(got, want, rtol, what, *inputs, inf_sign_with_nan=True):
    """Each part equal, or both NaN, or (finite) within rtol of the part or of |want| (a part
    far smaller than the whole, e.g. Re exp(1000i), is only as accurate as the whole).
    inf_sign_with_nan=False: an infinite part next to a NaN part may have either sign (Annex G
    leaves it open: "+-inf + i NaN")."""
    got, want = np.asarray(got), np.asarray(want).astype(got.dtype)
    ok = np.ones(got.shape, bool)
    nan_part = np.isnan(want.real) | np.isnan(want.imag)
    for g, w in ((got.real, want.real), (got.imag, want.imag)):
        scale = np.maximum(np.abs(w), np.abs(want))
        with np.errstate(invalid="ignore", over="ignore"):
            close = np.isfinite(w) & (np.abs(g - w) <= rtol * scale)
        part_ok = (g == w) | (np.isnan(g) & np.isnan(w)) | close
        if not inf_sign_with_nan:
            part_ok |= nan_part & np.isinf(w) & (np.abs(g) == np.abs(w))
        ok &= part_ok
    if not ok.all():
        i = np.flatnonzero(~ok)[:6]
        shown = "; ".join(f"{[np.ravel(x)[j] for x in inputs]} -> {got.ravel()[j]!r}, numpy "
                          f"{want.ravel()[j]!r}" for j in i)
        pytest.fail(f"{what}: {(~ok).sum()} of {ok.size} differ: {shown}")


def assert_zero_signs(got, want, what, *inputs):
    """where numpy's part is a zero, ours is the same zero (Annex G pins these signs)"""
    for g, w in ((got.real, want.real), (got.imag, want.imag)):
        bad = (w == 0) & (np.signbit(g) != np.signbit(w))
        if bad.any():
            j = np.flatnonzero(bad)[0]
            pytest.fail(f"{what}: sign of zero at {[np.ravel(x)[j] for x in inputs]}: "
                        f"{got.ravel()[j]!r}, numpy {want.ravel()[j]!r}")


def assert_bitwise(got, want, what):
    """equal bits, NaN parts matching any NaN"""
    got = np.ascontiguousarray(got)
    want = np.ascontiguousarray(np.asarray(want).astype(got.dtype))
    g, w = got.view(REAL_OF[got.dtype]), want.view(REAL_OF[got.dtype])
    bad = (g.view(f"u{g.itemsize}") != w.view(f"u{w.itemsize}")) & ~(np.isnan(g) & np.isnan(w))
    assert not bad.any(), f"{what}: {got.ravel()[np.flatnonzero(bad.reshape(-1, 2).any(1))[:5]]}"


def numpy_quietly(f, *args):
    with np.errstate(all="ignore"):
        return f(*args)


# ---- unary ops -------------------------------------------------------------------------------------

NUMPY_UNARY = {
    "NEG": np.negative, "CONJ": np.conjugate, "SIGN": np.sign, "SQRT": np.sqrt,
    "RSQRT": lambda z: 1 / np.sqrt(z), "EXP": np.exp, "LOG": np.log, "EXPM1": expm1_array_api,
    "SIN": np.sin, "COS": np.cos, "TAN": np.tan, "ASIN": np.arcsin, "ACOS": np.arccos,
    "ATAN": np.arctan, "SINH": np.sinh, "COSH": np.cosh, "TANH": tanh_array_api,
    "ASINH": np.arcsinh, "ACOSH": np.arccosh, "ATANH": np.arctanh}
LAYOUTS = ["contig", "strided", "broadcast"]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dt", COMPLEX)
@pytest.mark.parametrize("name", sorted(NUMPY_UNARY))
def test_unary_matches_numpy(name, dt, layout):
    x = grid(dt)
    if layout == "broadcast":
        x = x[np.flatnonzero(np.isfinite(x))[3:4]]
    x, y = unary(getattr(lib, "FNX_" + name), x, layout=layout)
    want = numpy_quietly(NUMPY_UNARY[name], np.asarray(x))
    assert_complex_close(y, want, RTOL[np.dtype(dt)], f"{name} {dt.__name__}", x)
    assert_zero_signs(y, want, f"{name} {dt.__name__}", x)


@pytest.mark.parametrize("dt", COMPLEX)
@pytest.mark.parametrize("name,f", [("SQRT", np.sqrt), ("LOG", np.log), ("ASIN", np.arcsin),
                                    ("ACOS", np.arccos), ("ATANH", np.arctanh),
                                    ("ACOSH", np.arccosh), ("ASINH", np.arcsinh),
                                    ("ATAN", np.arctan)])
def test_branch_cuts(name, f, dt):
    """on a cut the sign of the zero part picks the side: sqrt(-4 +- 0j) = +-2j & co."""
    x = np.array(BRANCH_POINTS, dt)
    _, y = unary(getattr(lib, "FNX_" + name), x)
    want = numpy_quietly(f, x)
    assert_complex_close(y, want, RTOL[np.dtype(dt)], name, x)
    assert_zero_signs(y, want, name, x)
    assert np.array_equal(np.signbit(y.imag), np.signbit(want.imag)), (x, y, want)


@pytest.mark.parametrize("dt", COMPLEX)
def test_log1p(dt):
    """numpy 2.4's log1p is log(hypot(1 + x, y)), which keeps only the digits of 1 + x that
    survive rounding (log1p(1e-10 + 1e-10j) is off by 8e-8 relative): mpmath is the oracle
    for finite values, numpy for infinities and NaNs.  On the cut x < -1 the sign of y picks
    the side, as for log (numpy's 1 + z loses a -0 there: it says +pi for -2 - 0j)."""
    mpmath = pytest.importorskip("mpmath")
    x = grid(dt)
    _, y = unary(lib.FNX_LOG1P, x)
    fin = np.isfinite(x)
    want = np.array([complex(mpmath.log1p(mpmath.mpc(complex(z)))) for z in x[fin]])
    zero_im = x[fin].imag == 0  # mpmath has no -0: Im is +-0, or +-pi on the cut
    want.imag[zero_im] = np.copysign(want.imag[zero_im], x[fin].imag[zero_im])
    assert np.array_equal(np.signbit(y[fin].imag), np.signbit(want.imag))
    assert_complex_close(y[fin], want, 4 * RTOL[np.dtype(dt)], "log1p", x[fin])
    assert_complex_close(y[~fin], numpy_quietly(np.log1p, x[~fin]), 0, "log1p", x[~fin])
    small = np.array([1e-10 + 1e-10j, 1e-5 - 3e-6j, complex(-1e-8, 0.0), 1e-20j], dt)
    _, y = unary(lib.FNX_LOG1P, small)
    series = small - small ** 2 / 2 + small ** 3 / 3  # exact to ~1e-20 relative here
    assert_complex_close(y, series, RTOL[np.dtype(dt)], "log1p near 0", small)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dt", COMPLEX)
def test_abs_real_imag_is_finite(dt, layout):
    x = grid(dt)
    rdt = REAL_OF[np.dtype(dt)]
    xs, y = unary(lib.FNX_ABS, x, rdt, layout)
    want = np.abs(np.asarray(xs))
    np.testing.assert_allclose(y, want, rtol=RTOL[np.dtype(dt)])
    assert np.isinf(y[np.isinf(xs.real) | np.isinf(xs.imag)]).all()  # inf beats NaN
    for op, part in ((lib.FNX_REAL, np.real), (lib.FNX_IMAG, np.imag)):
        xs, y = unary(op, x, rdt, layout)
        np.testing.assert_array_equal(y, part(np.asarray(xs)))
        assert np.array_equal(np.signbit(y), np.signbit(part(np.asarray(xs))))
    xs, y = unary(lib.FNX_IS_FINITE, x, np.bool_, layout)
    np.testing.assert_array_equal(y, np.isfinite(np.asarray(xs)))


@pytest.mark.parametrize("dt", COMPLEX)
def test_integer_pow(dt):
    """numpy's power with an integral exponent (|e| < 100: its repeated squaring); a zero base
    with a negative exponent is 1 / 0**|e| (numpy's power says NaN there, lax 1 / x**|e|).
    Where |x|**e overflows, the products' inf - inf becomes NaN in numpy's scalar power, while
    fnx's multiplication fuses each part (as numpy's own SIMD x * x does), so a part may be
    +-inf instead of NaN: inputs whose finite parts' power overflows (on the way) are left
    out."""
    grid_x = grid(dt)
    re, im = np.abs(grid_x.real).astype(np.float64), np.abs(grid_x.imag).astype(np.float64)
    finite_size = np.hypot(np.where(np.isfinite(re), re, 0), np.where(np.isfinite(im), im, 0))
    for e in (-64, -7, -3, -2, -1, 0, 1, 2, 3, 4, 5, 7, 64, 99):
        with np.errstate(over="ignore"):  # (x 4: the intermediate squarings)
            overflows = (finite_size * 4.0) ** abs(e) > float(np.finfo(dt).max)
        x = grid_x if e in (0, 1) else grid_x[~overflows]
        nonzero = x != 0
        _, y = unary(lib.FNX_INTEGER_POW, x, param=e)
        if e >= 0:
            want = numpy_quietly(np.power, x, np.array(e, dt))
        else:
            want = np.where(nonzero, numpy_quietly(np.power, x, np.array(e, dt)),
                            numpy_quietly(np.divide, np.array(1, dt), numpy_quietly(np.power, x, np.array(-e, dt))))
        assert_complex_close(y, want, 4 * abs(e) * RTOL[np.dtype(dt)] + RTOL[np.dtype(dt)],
                             f"integer_pow e={e}", x)


# ---- binary ops ------------------------------------------------------------------------------------

def pairs(dt):
    """every pair of the first values of the grid (all the specials), plus random pairs"""
    v = grid(dt)
    head = v[:120]
    rng = np.random.default_rng(1)
    a = np.concatenate([np.repeat(head, head.size), rng.choice(v, 1000)])
    b = np.concatenate([np.tile(head, head.size), rng.choice(v, 1000)])
    return a, b


ARITH = {"ADD": np.add, "SUB": np.subtract, "MUL": np.multiply, "DIV": np.divide,
         "POW": np.power}
BINARY_LAYOUTS = ["contig", "strided", "scalar_a", "scalar_b"]


@pytest.mark.parametrize("layout", BINARY_LAYOUTS)
@pytest.mark.parametrize("dt", COMPLEX)
@pytest.mark.parametrize("name", sorted(ARITH))
def test_arithmetic_matches_numpy(name, dt, layout):
    a, b = pairs(dt)
    if layout.startswith("scalar"):
        a, b = a[1000:], b[1000:]  # the random pairs: a finite scalar and a mix
        (a if layout == "scalar_a" else b)[0] = 1.5 - 2.25j
    a, b, out = binary(getattr(lib, "FNX_" + name), a, b, dt, layout)
    want = numpy_quietly(ARITH[name], np.asarray(a), np.asarray(b))
    if name == "POW" and np.dtype(dt) == np.complex64:
        # fnx's complex64 pow is the double-precision cpow rounded (cpowf loses |b log a|
        # ulps, and its overflowing results' signs are rounding noise of a huge angle); small
        # integral exponents stay numpy's complex64 repeated squaring
        bv = np.asarray(b)
        squaring = (bv.imag == 0) & (np.abs(bv.real) < 100) & (bv.real == np.floor(bv.real))
        wide = numpy_quietly(np.power, np.asarray(a).astype(np.complex128),
                             bv.astype(np.complex128)).astype(dt)
        want = np.where(squaring, want, wide)
    # numpy's SIMD mul / div may fuse a multiply-add: a few ulp; pow goes through exp and log
    rtol = RTOL[np.dtype(dt)] * (1 if name in ("ADD", "SUB") else 50 if name == "POW" else 4)
    assert_complex_close(out, want, rtol, f"{name} {dt.__name__}", a, b)


@pytest.mark.parametrize("dt", COMPLEX)
def test_pow_special_cases(dt):
    """numpy's rules: x**0 == 1 (NaN x too), 0**b is 0 for Re b > 0 and NaN else, integral
    exponents by repeated squaring, which keeps inf**1 and inf**2 finite-part-free"""
    inf, nan = np.inf, np.nan
    a = np.array([complex(nan, 0), 0j, complex(-0.0, 0.0), 0j, 0j, complex(inf, 0),
                  complex(inf, 0), complex(inf, 0), 2 + 3j, -8 + 0j, 1e-3 + 1e3j], dt)
    b = np.array([0j, 2 + 1j, 0.5 + 0j, 1j, -1 + 0j, 1 + 0j, 2 + 0j, 4 + 0j, 0.5 - 1.5j,
                  1 / 3 + 0j, 99 + 0j], dt)
    _, _, out = binary(lib.FNX_POW, a, b, dt)
    assert_complex_close(out, numpy_quietly(np.power, a, b), 50 * RTOL[np.dtype(dt)], "pow", a, b)


COMPARE = {"EQ": np.equal, "NE": np.not_equal, "LT": np.less, "LE": np.less_equal,
           "GT": np.greater, "GE": np.greater_equal}


@pytest.mark.parametrize("layout", BINARY_LAYOUTS)
@pytest.mark.parametrize("dt", COMPLEX)
def test_comparisons_max_min(dt, layout):
    """numpy's lexicographic order (any NaN part: every ordered comparison false) and its
    NaN-propagating maximum / minimum"""
    a, b = pairs(dt)
    a, b = a.copy(), b.copy()
    b[::7] = a[::7]  # ties
    b.real[1::7] = a.real[1::7]  # equal real parts
    for name, f in COMPARE.items():
        a_, b_, out = binary(getattr(lib, "FNX_" + name), a, b, np.bool_, layout)
        want = numpy_quietly(f, np.asarray(a_), np.asarray(b_))
        np.testing.assert_array_equal(out, want, err_msg=name)
    for name, f in (("MAX", np.maximum), ("MIN", np.minimum)):
        a_, b_, out = binary(getattr(lib, "FNX_" + name), a, b, dt, layout)
        assert_bitwise(out, numpy_quietly(f, np.asarray(a_), np.asarray(b_)), name)


@pytest.mark.parametrize("layout", BINARY_LAYOUTS)
@pytest.mark.parametrize("rdt", [np.float32, np.float64])
def test_complex_from_parts(rdt, layout):
    re = np.array([0.0, -0.0, 1.5, -np.inf, np.nan, 3e-39, 7.0], rdt)
    im = np.array([-0.0, 0.0, np.nan, 2.0, -np.inf, -1.0, 1e30], rdt)
    cdt = np.complex64 if rdt == np.float32 else np.complex128
    re_, im_, out = binary(lib.FNX_COMPLEX, re, im, cdt, layout)
    want = np.empty(re.shape, cdt)
    want.real, want.imag = re_, im_
    assert_bitwise(out, want, "complex")


# ---- select, copy, fill, convert ------------------------------------------------------------------

@pytest.mark.parametrize("dt", COMPLEX)
def test_select_copy_fill(dt):
    rng = np.random.default_rng(2)
    f, t = grid(dt)[:300], grid(dt)[300:600]
    pred = rng.integers(0, 2, 300).astype(np.bool_)
    out = np.empty_like(f)
    st = i64([f.itemsize])
    rc = lib.fnx_select(f.itemsize, 1, i64([300]), ptr(pred), i64([1]), ptr(f), st, ptr(t), st,
                        ptr(out), st)
    assert rc == lib.FNX_OK
    assert_bitwise(out, np.where(pred, t, f), "select")
    src = grid(dt)[:400].reshape(20, 20)[:, ::-3]  # reversed and strided
    dst = np.empty(src.shape, dt)
    rc = lib.fnx_copy(f.itemsize, 2, i64(src.shape), ptr(src), i64(src.strides), ptr(dst),
                      i64(dst.strides))
    assert rc == lib.FNX_OK
    assert_bitwise(dst, src, "copy")
    value = np.array([complex(-0.0, np.inf)], dt)
    out = np.empty(33, dt)
    assert lib.fnx_fill(f.itemsize, 33, ptr(value), ptr(out)) == lib.FNX_OK
    assert_bitwise(out, np.broadcast_to(value, out.shape), "fill")


def convert(x, dst):
    y = np.empty(x.shape, dst)
    rc = lib.fnx_convert(CODE[x.dtype], CODE[np.dtype(dst)], 1, i64(x.shape), ptr(x),
                         i64(x.strides), ptr(y), i64(y.strides))
    assert rc == lib.FNX_OK, rc
    return y


@pytest.mark.parametrize("src", DTYPES)
def test_convert_to_complex(src):
    """real -> complex is (x, 0); complex -> complex part by part (as numpy's astype)"""
    x = grid(np.complex128) if np.dtype(src).kind == "c" else np.arange(-50, 50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = x.astype(src)
        for dst in COMPLEX:
            assert_bitwise(convert(x, dst), x.astype(dst), f"{np.dtype(src)} -> {np.dtype(dst)}")
    if np.dtype(src).kind == "f":
        x = np.array([np.nan, -np.inf, -0.0, 1e-40, 3.25], src)
        for dst in COMPLEX:
            assert_bitwise(convert(x, dst), x.astype(dst), f"{np.dtype(src)} -> {np.dtype(dst)}")


@pytest.mark.parametrize("src", COMPLEX)
def test_convert_from_complex(src):
    """complex -> real: the real part (numpy's astype, which warns); -> bool: either part
    nonzero; -> int: the real part converted like a float (saturating, NaN -> 0)"""
    x = grid(src)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dst in (np.float32, np.float64):
            np.testing.assert_array_equal(convert(x, dst), x.astype(dst))
        np.testing.assert_array_equal(convert(x, np.bool_), x.astype(np.bool_))
        in_range = x[np.isfinite(x.real) & (np.abs(x.real) < 100)]
        for dst in (np.int8, np.uint8, np.int32, np.int64, np.uint32):
            np.testing.assert_array_equal(convert(in_range, dst), in_range.real.astype(dst),
                                          err_msg=str(np.dtype(dst)))
            re = np.ascontiguousarray(x.real)
            np.testing.assert_array_equal(convert(x, dst), convert(re, dst))


# ---- unsupported pairs ----------------------------------------------------------------------------

UNSUPPORTED_UNARY = ["EXP2", "CBRT", "LOGISTIC", "FLOOR", "CEIL", "ROUND_AWAY", "ROUND_EVEN",
                     "ERF", "ERF_INV", "LGAMMA", "DIGAMMA", "NOT"]
UNSUPPORTED_BINARY = ["REM", "AND", "OR", "XOR", "SHIFT_LEFT", "SHIFT_RIGHT_LOGICAL",
                      "SHIFT_RIGHT_ARITHMETIC", "ATAN2", "NEXTAFTER", "COMPLEX"]


@pytest.mark.parametrize("dt", COMPLEX)
def test_unsupported_pairs(dt):
    x = np.ones(4, dt)
    y = np.empty(4, dt)
    U = lib.FNX_ERR_UNSUPPORTED
    for name in UNSUPPORTED_UNARY:
        assert lib.fnx_unary_contig(getattr(lib, "FNX_" + name), CODE[x.dtype], 4, ptr(x), ptr(y), 0) == U, name
    for name in UNSUPPORTED_BINARY:
        assert lib.fnx_binary_contig(getattr(lib, "FNX_" + name), CODE[x.dtype], 4, ptr(x), ptr(x), ptr(y)) == U, name
    st = i64([x.itemsize])
    assert lib.fnx_clamp(CODE[x.dtype], 1, i64([4]), ptr(x), st, ptr(x), st, ptr(x), st, ptr(y), st) == U
    for real in (np.float32, np.int32):  # the complex-only ops on real dtypes
        r = np.ones(4, real)
        for name in ("REAL", "IMAG", "CONJ"):
            assert lib.fnx_unary_contig(getattr(lib, "FNX_" + name), CODE[r.dtype], 4, ptr(r), ptr(y), 0) == U
    r = np.ones(4, np.int32)
    assert lib.fnx_binary_contig(lib.FNX_COMPLEX, CODE[r.dtype], 4, ptr(r), ptr(r), ptr(y)) == U


# ---- the CUDA formulas, compiled for the CPU ------------------------------------------------------

CUDA_FNS = ["exp", "log", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
            "tanh", "asinh", "acosh", "atanh"]
NUMPY_OF = {"asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "asinh": np.arcsinh,
            "acosh": np.arccosh, "atanh": np.arctanh}


@pytest.fixture(scope="module")
def cuda_formulas(tmp_path_factory):
    """kernels/common/fnx_complex_cuda.h as C++ on the host: CUDA's real functions are C's,
    FNX_DEV plain inline; one extern "C" loop per (function, precision)"""
    gxx = shutil.which("g++")
    if gxx is None:
        pytest.skip("g++ not found")
    loops = "\n".join(
        f'extern "C" void ct_{fn}_{sfx}(long n, const {T} *x, {T} *y) '
        f"{{ for (long i = 0; i < n; i++) y[i] = fnx_ct_{fn}<{T}, {R}>(x[i]); }}"
        for fn in CUDA_FNS for T, R, sfx in (("fnx_complex64", "float", "c64"),
                                              ("fnx_complex128", "double", "c128")))
    src = ("#include <math.h>\n#define FNX_DEV static inline\n"
           "typedef struct { float re, im; } fnx_complex64;\n"
           "typedef struct { double re, im; } fnx_complex128;\n"
           '#include "fnx_complex_cuda.h"\n' + loops + "\n")
    tmp = tmp_path_factory.mktemp("cuda_formulas")
    (tmp / "ct.cpp").write_text(src)
    so = tmp / "libct.so"
    res = subprocess.run([gxx, "-O2", "-std=c++17", "-ffp-contract=off", "-Wall", "-Werror",
                          "-fPIC", "-shared", "-I", os.path.join(ROOT, "kernels", "common"),
                          str(tmp / "ct.cpp"), "-o", str(so)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-4000:]
    return ctypes.CDLL(str(so))


@pytest.mark.parametrize("dt", COMPLEX)
@pytest.mark.parametrize("fn", CUDA_FNS)
def test_cuda_formulas(cuda_formulas, fn, dt):
    """the GPU's own formulas: accurate to a few ulp more than glibc's (normwise), Annex G's
    infinities and NaNs, and the sides of the branch cuts"""
    x = grid(dt)
    y = np.empty_like(x)
    f = getattr(cuda_formulas, f"ct_{fn}_{'c64' if dt == np.complex64 else 'c128'}")
    f.restype = None
    f(ctypes.c_long(x.size), ctypes.c_void_p(x.ctypes.data), ctypes.c_void_p(y.ctypes.data))
    want = numpy_quietly(NUMPY_OF.get(fn, getattr(np, fn)), x)
    assert_complex_close(y, want, 16 * RTOL[np.dtype(dt)], f"cuda {fn}", x,
                         inf_sign_with_nan=False)
    cut = np.isin(x, np.array(BRANCH_POINTS, dt)) & (x.imag == 0)
    assert_zero_signs(y[cut], want[cut], f"cuda {fn} on its cut", x[cut])
    assert np.array_equal(np.signbit(y[cut].imag), np.signbit(want[cut].imag))
