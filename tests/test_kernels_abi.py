"""ABI tests of the C kernels (fnx._fnx_kernels) against numpy / pure-Python references.

Every entry point of kernels/cpu/fnx_kernels.h is called directly through cffi on small arrays,
with the edge cases the Python side relies on (NaN/inf, empty and 0-d arrays, strided, reversed
and broadcast operands, integer wraparound, C division semantics, ...).
"""
import math

import numpy as np
import pytest

from fnx._fnx_kernels import ffi, lib

ALL = [np.bool_, np.int8, np.uint8, np.int32, np.int64, np.float32, np.float64, np.uint32]
CODE = {np.dtype(t): i for i, t in enumerate(ALL)}
NUMERIC = ALL[1:]
INTS = [np.int8, np.uint8, np.int32, np.int64, np.uint32]
FLOATS = [np.float32, np.float64]
RNG = np.random.default_rng(0)


def ptr(a):
    """char * to the first element of any view (strided, reversed or broadcast included)."""
    if a.flags.c_contiguous:
        return ffi.from_buffer(a)
    return ffi.cast("char *", a.__array_interface__["data"][0])


def i64(seq):
    seq = [int(s) for s in seq]
    return ffi.new("int64_t[]", seq or [0])


def code(a):
    return CODE[np.dtype(a.dtype if hasattr(a, "dtype") else a)]


def wrap(v, dt):
    """Python int -> value of integer dtype dt with two's-complement wraparound."""
    bits = np.dtype(dt).itemsize * 8
    v &= (1 << bits) - 1
    if np.issubdtype(dt, np.signedinteger) and v >= 1 << (bits - 1):
        v -= 1 << bits
    return v


def int_data(dt, n=64):
    info = np.iinfo(dt)
    edge = [0, 1, 2, 3, 7, info.max, info.max - 1, info.min, info.min + 1]
    if info.min < 0:
        edge += [-1, -2, -3, -7]
    lo, hi = max(info.min, -100), min(info.max, 100)
    rest = RNG.integers(lo, hi + 1, max(0, n - len(edge)))
    return np.array(edge + list(rest), dtype=dt)[:n]


def float_data(dt, n=64, lo=-10, hi=10, specials=True):
    x = RNG.uniform(lo, hi, n).astype(dt)
    if specials:
        sp = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0][:n]
        x[:len(sp)] = sp
    return x


def data(dt, n=64):
    if dt is np.bool_:
        return RNG.integers(0, 2, n).astype(np.bool_)
    if np.issubdtype(dt, np.integer):
        return int_data(dt, n)
    return float_data(dt, n)


# ---- unary -------------------------------------------------------------------------------------


def unary(op, x, out_dtype=None, param=0, y=None, check=True):
    if y is None:
        y = np.zeros(x.shape, out_dtype or x.dtype)
    rc = lib.fnx_unary(op, code(x), x.ndim, i64(x.shape), ptr(x), i64(x.strides), ptr(y),
                       i64(y.strides), param)
    if check:
        assert rc == lib.FNX_OK
        return y
    return rc


def erfinv_ref(v):
    if math.isnan(v) or abs(v) > 1:
        return math.nan
    if abs(v) == 1:
        return math.copysign(math.inf, v)
    a, y = abs(v), 0.0
    # bisection then Newton on erf / erfc (erfc in the tail, where 1 - a is exact)
    lo, hi = 0.0, 7.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        f = math.erf(mid) - a if a <= 0.5 else (1 - a) - math.erfc(mid)
        lo, hi = (mid, hi) if f < 0 else (lo, mid)
    y = 0.5 * (lo + hi)
    for _ in range(3):
        f = math.erf(y) - a if a <= 0.5 else (1 - a) - math.erfc(y)
        y -= f / (2 / math.sqrt(math.pi) * math.exp(-y * y))
    return math.copysign(y, v)


def digamma_ref(x):
    if math.isnan(x) or x == math.inf:
        return x
    if x == -math.inf:
        return math.nan
    if x == 0:
        return math.copysign(math.inf, -x)
    if x < 0:
        if x == math.floor(x):
            return math.nan
        return digamma_ref(1 - x) - math.pi / math.tan(math.pi * (x - math.floor(x)))
    terms = []
    while x < 20:  # a different split point than the kernel (10), more series terms
        terms.append(-1 / x)
        x += 1
    z = 1 / (x * x)
    b = [1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12, -3617 / 8160]
    s = sum(c * z ** (i + 1) for i, c in enumerate(b))
    return math.fsum(terms + [math.log(x), -0.5 / x, -s])


def lgamma_ref(x):
    try:
        return math.lgamma(x)
    except ValueError:
        return math.inf


def round_away_ref(x):
    a = np.abs(x)
    r = np.floor(a)
    r = r + ((a - r) >= 0.5)
    return np.copysign(r, x)


def logistic_ref(x):
    with np.errstate(all="ignore"):
        return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))


vec = np.vectorize
# op -> (reference on float64, input low, input high, heavy (ulp tolerance) or exact)
FLOAT_UNARY = {
    "NEG": (np.negative, -10, 10, False), "EXP": (np.exp, -80, 80, True),
    "EXP2": (np.exp2, -100, 100, True), "LOG": (np.log, -1, 1e6, True),
    "LOG1P": (np.log1p, -1.5, 100, True), "EXPM1": (np.expm1, -30, 30, True),
    "SIN": (np.sin, -20, 20, True), "COS": (np.cos, -20, 20, True), "TAN": (np.tan, -1.5, 1.5, True),
    "ASIN": (np.arcsin, -1.1, 1.1, True), "ACOS": (np.arccos, -1.1, 1.1, True),
    "ATAN": (np.arctan, -50, 50, True), "SINH": (np.sinh, -20, 20, True),
    "COSH": (np.cosh, -20, 20, True), "TANH": (np.tanh, -10, 10, True),
    "ASINH": (np.arcsinh, -50, 50, True), "ACOSH": (np.arccosh, 0.5, 50, True),
    "ATANH": (np.arctanh, -1.1, 1.1, True), "LOGISTIC": (logistic_ref, -100, 100, True),
    "SQRT": (np.sqrt, -1, 100, False), "RSQRT": (lambda x: 1 / np.sqrt(x), -1, 100, False),
    "CBRT": (np.cbrt, -100, 100, True), "ABS": (np.abs, -10, 10, False),
    "SIGN": (np.sign, -3, 3, False), "FLOOR": (np.floor, -10, 10, False),
    "CEIL": (np.ceil, -10, 10, False), "ROUND_AWAY": (round_away_ref, -10, 10, False),
    "ROUND_EVEN": (np.rint, -10, 10, False), "ERF": (vec(math.erf), -6, 6, True),
}
SPECIAL_UNARY = {
    "ERF_INV": (vec(erfinv_ref), -1.05, 1.05), "LGAMMA": (vec(lgamma_ref), -20, 40),
    "DIGAMMA": (vec(digamma_ref), -20, 40), "ERFC": (vec(math.erfc), -6, 26),
}


def _unary_input(dt, lo, hi):
    x = float_data(dt, 200, lo, hi)
    if lo < 0 < hi:  # exact half-integers for the rounding ops
        x[6:14] = [0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999997, -3.5]
    return x


@pytest.mark.parametrize("dt", FLOATS)
@pytest.mark.parametrize("name", sorted(FLOAT_UNARY))
def test_unary_float(name, dt):
    ref, lo, hi, heavy = FLOAT_UNARY[name]
    x = _unary_input(dt, lo, hi)
    y = unary(getattr(lib, "FNX_" + name), x)
    with np.errstate(all="ignore"):
        # exact ops are checked bit for bit in their own dtype, the others against float64
        want = ref(x.astype(np.float64) if heavy else x).astype(dt)
    if heavy:  # libm is within an ulp or so; the float64 reference rounds once more
        rtol = 4e-7 if dt is np.float32 else 4e-15
    else:
        rtol = 0
    np.testing.assert_allclose(y, want, rtol=rtol, atol=1e-37 if heavy else 0)


@pytest.mark.parametrize("dt", FLOATS)
@pytest.mark.parametrize("name", sorted(SPECIAL_UNARY))
def test_unary_special(name, dt):
    ref, lo, hi = SPECIAL_UNARY[name]
    x = float_data(dt, 300, lo, hi)
    x[6:20] = [-1, -2, -7, 1, 2, 0.5, -0.5, 1e-30, 3.7, -2.5, 0.999999, -0.99999999, 1e-8, 25]
    x = x.astype(dt)
    y = unary(getattr(lib, "FNX_" + name), x)
    want = ref(x.astype(np.float64)).astype(dt)
    if name != "ERF_INV":  # stay away from the zeros of lgamma / digamma (relative error)
        keep = ~(np.abs(want.astype(np.float64)) < 1e-3)
        y, want = y[keep], want[keep]
    rtol = 1e-5 if dt is np.float32 else 1e-12
    np.testing.assert_allclose(y, want, rtol=rtol)


def test_unary_special_values():
    x = np.array([0.0, -0.0, -1.0, -3.0, np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(unary(lib.FNX_DIGAMMA, x),
                                  [-np.inf, np.inf, np.nan, np.nan, np.inf, np.nan, np.nan])
    x = np.array([1.0, -1.0, 1.5, -2.0, 0.0, -0.0, np.nan])
    y = unary(lib.FNX_ERF_INV, x)
    np.testing.assert_array_equal(y, [np.inf, -np.inf, np.nan, np.nan, 0.0, -0.0, np.nan])
    assert np.signbit(y[5])
    # logistic does not overflow for large |x|
    x = np.array([-1000.0, 1000.0, -745.0, 0.0])
    np.testing.assert_array_equal(unary(lib.FNX_LOGISTIC, x)[[0, 1, 3]], [0.0, 1.0, 0.5])
    assert unary(lib.FNX_LOGISTIC, x.astype(np.float32))[2] == 0


@pytest.mark.parametrize("dt", FLOATS)
def test_is_finite(dt):
    x = float_data(dt)
    np.testing.assert_array_equal(unary(lib.FNX_IS_FINITE, x, np.bool_), np.isfinite(x))


@pytest.mark.parametrize("dt", FLOATS)
@pytest.mark.parametrize("p", [0, 1, 2, 3, 5, 8, 13, -1, -2, -5])
def test_integer_pow_float(dt, p):
    x = float_data(dt, 64, -3, 3)
    y = unary(lib.FNX_INTEGER_POW, x, param=p)
    with np.errstate(all="ignore"):
        want = x.astype(np.float64) ** p
    np.testing.assert_allclose(y, want.astype(dt), rtol=1e-6 if dt is np.float32 else 1e-14)


def ipow_ref(a, e, dt):
    if e < 0:
        return 1 if a == 1 else ((-1 if e % 2 else 1) if a == -1 else 0)
    return wrap(pow(int(a), int(e), 1 << 64), dt)


@pytest.mark.parametrize("dt", INTS)
def test_unary_int(dt):
    x = int_data(dt)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(unary(lib.FNX_NEG, x), np.negative(x))
        np.testing.assert_array_equal(unary(lib.FNX_ABS, x), np.abs(x))  # abs(INT_MIN) wraps
    np.testing.assert_array_equal(unary(lib.FNX_SIGN, x), np.sign(x))
    np.testing.assert_array_equal(unary(lib.FNX_NOT, x), np.invert(x))
    for p in [0, 1, 2, 3, 7, 31, -1, -2, -3]:
        y = unary(lib.FNX_INTEGER_POW, x, param=p)
        np.testing.assert_array_equal(y, np.array([ipow_ref(a, p, dt) for a in x], dt))


def test_unary_bool_and_unsupported():
    x = np.array([True, False, True])
    np.testing.assert_array_equal(unary(lib.FNX_NOT, x), [False, True, False])
    U = lib.FNX_ERR_UNSUPPORTED
    assert unary(lib.FNX_NEG, x, check=False) == U
    assert unary(lib.FNX_ABS, x, check=False) == U
    assert unary(lib.FNX_EXP, np.zeros(3, np.int32), check=False) == U
    assert unary(lib.FNX_IS_FINITE, np.zeros(3, np.int32), np.bool_, check=False) == U
    assert unary(lib.FNX_NOT, np.zeros(3, np.float32), check=False) == U
    assert unary(99, np.zeros(3, np.float32), check=False) == U
    assert lib.fnx_unary_contig(lib.FNX_EXP, 42, 3, ffi.NULL, ffi.NULL, 0) == U


def test_unary_layouts():
    base = np.arange(-12, 12, dtype=np.float64).reshape(4, 6) / 4
    for x in [base[:, ::2], base[::-1], base[::-2, ::-3], base.T, base[1:3, 2:5],
              np.broadcast_to(np.float64(2.5), (3, 4)), np.broadcast_to(base[0], (5, 6)),
              np.array(1.25), np.zeros((0, 3)), np.zeros((3, 0, 2))]:
        y = unary(lib.FNX_EXP, x)
        np.testing.assert_allclose(y, np.exp(x), rtol=1e-15)
    # strided / reversed output
    out = np.zeros((4, 12))
    unary(lib.FNX_NEG, base, y=out[:, ::-2])
    np.testing.assert_array_equal(out[:, ::-2], -base)
    assert np.all(out[:, -2::-2] == 0)
    # size-1 dims everywhere, many dims (collapsed), and the ndim limit
    x = np.arange(2 ** 10, dtype=np.float32).reshape((2,) * 10)
    np.testing.assert_array_equal(unary(lib.FNX_ABS, -x), x)
    x = np.ones((1,) * 32, np.float32)
    np.testing.assert_array_equal(unary(lib.FNX_NEG, x), -x)
    x = np.ones((1,) * 33, np.float32)
    assert unary(lib.FNX_NEG, x, check=False) == lib.FNX_ERR_NDIM


def test_unary_contig_and_parallel():
    for n in [0, 1, 17, 100_003]:
        x = RNG.standard_normal(n).astype(np.float32)
        y = np.empty_like(x)
        assert lib.fnx_unary_contig(lib.FNX_SIN, lib.FNX_FLOAT32, n, ffi.from_buffer(x),
                                    ffi.from_buffer(y), 0) == 0
        np.testing.assert_allclose(y, np.sin(x.astype(np.float64)).astype(np.float32),
                                   rtol=4e-7, atol=1e-37)
    x = RNG.standard_normal(70_001)
    b = np.empty(x.shape, np.bool_)
    assert lib.fnx_unary_contig(lib.FNX_IS_FINITE, lib.FNX_FLOAT64, x.size, ffi.from_buffer(x),
                                ffi.from_buffer(b), 0) == 0
    assert b.all()
    # a large strided 2-d case exercises the chunked parallel iterator
    x = RNG.standard_normal((3, 60_000))[:, ::-3]
    np.testing.assert_array_equal(unary(lib.FNX_NEG, x), -x)
    x = RNG.standard_normal((20_000, 3)).T
    np.testing.assert_array_equal(unary(lib.FNX_ABS, x), np.abs(x))


# ---- binary ------------------------------------------------------------------------------------
CMP = {"EQ": np.equal, "NE": np.not_equal, "LT": np.less, "LE": np.less_equal,
       "GT": np.greater, "GE": np.greater_equal}


def binary(op, a, b, out_dtype=None, out=None, check=True):
    a, b = np.asarray(a), np.asarray(b)
    shape = np.broadcast_shapes(a.shape, b.shape)
    ab, bb = np.broadcast_to(a, shape), np.broadcast_to(b, shape)
    if out is None:
        out = np.zeros(shape, out_dtype or a.dtype)
    rc = lib.fnx_binary(op, code(a), len(shape), i64(shape), ptr(ab), i64(ab.strides), ptr(bb),
                        i64(bb.strides), ptr(out), i64(out.strides))
    if check:
        assert rc == lib.FNX_OK
        return out
    return rc


def int_div_ref(a, b, dt):
    if b == 0:
        return 0
    q = abs(a) // abs(b)
    return wrap(q if (a < 0) == (b < 0) else -q, dt)


def int_rem_ref(a, b, dt):
    if b == 0:
        return 0
    r = abs(a) % abs(b)
    return wrap(-r if a < 0 else r, dt)


def shift_ref(kind, a, s, dt):
    bits = np.dtype(dt).itemsize * 8
    if s < 0 or s >= bits:
        return (-1 if a < 0 else 0) if kind == "A" else 0
    if kind == "L":
        return wrap(int(a) << int(s), dt)
    if kind == "R":
        return wrap((int(a) & ((1 << bits) - 1)) >> int(s), dt)
    return int(a) >> int(s)


def pairs(dt, n=81):
    if dt is np.bool_:
        a, b = np.meshgrid([False, True], [False, True])
        return a.ravel(), b.ravel()
    x = data(dt, 16)
    a, b = np.meshgrid(x, x)
    return a.ravel(), b.ravel()


@pytest.mark.parametrize("dt", INTS)
def test_binary_int(dt):
    a, b = pairs(dt)
    with np.errstate(all="ignore"):
        for name, f in [("ADD", np.add), ("SUB", np.subtract), ("MUL", np.multiply),
                        ("AND", np.bitwise_and), ("OR", np.bitwise_or), ("XOR", np.bitwise_xor),
                        ("MAX", np.maximum), ("MIN", np.minimum)]:
            np.testing.assert_array_equal(binary(getattr(lib, "FNX_" + name), a, b), f(a, b), name)
    ai, bi = [int(v) for v in a], [int(v) for v in b]
    np.testing.assert_array_equal(binary(lib.FNX_DIV, a, b),
                                  [int_div_ref(x, y, dt) for x, y in zip(ai, bi)])
    np.testing.assert_array_equal(binary(lib.FNX_REM, a, b),
                                  [int_rem_ref(x, y, dt) for x, y in zip(ai, bi)])
    e = np.array(RNG.integers(-3, 40, a.size), dt) if np.dtype(dt).kind != "u" else \
        np.array(RNG.integers(0, 40, a.size), dt)
    np.testing.assert_array_equal(binary(lib.FNX_POW, a, e),
                                  [ipow_ref(x, int(y), dt) for x, y in zip(ai, e)])
    bits = np.dtype(dt).itemsize * 8
    s = np.array([v % (bits + 8) - (4 if np.dtype(dt).kind != "u" else 0) for v in range(a.size)], dt)
    for name, kind in [("SHIFT_LEFT", "L"), ("SHIFT_RIGHT_LOGICAL", "R"),
                       ("SHIFT_RIGHT_ARITHMETIC", "A")]:
        got = binary(getattr(lib, "FNX_" + name), a, s)
        want = [shift_ref(kind, x, int(y), dt) for x, y in zip(ai, s)]
        np.testing.assert_array_equal(got, np.array(want).astype(dt), name)
    for name, f in CMP.items():
        np.testing.assert_array_equal(binary(getattr(lib, "FNX_" + name), a, b, np.bool_), f(a, b))
    for name in ["ATAN2", "NEXTAFTER"]:
        assert binary(getattr(lib, "FNX_" + name), a, b, check=False) == lib.FNX_ERR_UNSUPPORTED


@pytest.mark.parametrize("dt", FLOATS)
def test_binary_float(dt):
    a, b = pairs(dt)
    a = np.concatenate([a, float_data(dt, 64, -5, 5, False)])
    b = np.concatenate([b, float_data(dt, 64, -5, 5, False)])
    with np.errstate(all="ignore"):
        for name, f in [("ADD", np.add), ("SUB", np.subtract), ("MUL", np.multiply),
                        ("DIV", np.divide), ("REM", np.fmod), ("MAX", np.maximum),
                        ("MIN", np.minimum), ("NEXTAFTER", np.nextafter)]:
            np.testing.assert_array_equal(binary(getattr(lib, "FNX_" + name), a, b), f(a, b), name)
        for name, f in [("POW", np.power), ("ATAN2", np.arctan2)]:
            want = f(a.astype(np.float64), b.astype(np.float64)).astype(dt)
            np.testing.assert_allclose(binary(getattr(lib, "FNX_" + name), a, b), want,
                                       rtol=4e-7 if dt is np.float32 else 4e-15, err_msg=name)
    for name, f in CMP.items():
        np.testing.assert_array_equal(binary(getattr(lib, "FNX_" + name), a, b, np.bool_), f(a, b))
    for name in ["AND", "OR", "XOR", "SHIFT_LEFT", "SHIFT_RIGHT_LOGICAL"]:
        assert binary(getattr(lib, "FNX_" + name), a, b, check=False) == lib.FNX_ERR_UNSUPPORTED


def test_binary_bool():
    a, b = pairs(np.bool_)
    for name, f in [("AND", np.logical_and), ("OR", np.logical_or), ("XOR", np.logical_xor),
                    ("MAX", np.maximum), ("MIN", np.minimum)] + list(CMP.items()):
        np.testing.assert_array_equal(binary(getattr(lib, "FNX_" + name), a, b, np.bool_), f(a, b))
    for name in ["ADD", "SUB", "MUL", "DIV", "REM", "POW", "ATAN2", "SHIFT_LEFT"]:
        assert binary(getattr(lib, "FNX_" + name), a, b, check=False) == lib.FNX_ERR_UNSUPPORTED


def test_binary_broadcast_and_layouts():
    a = RNG.standard_normal((3, 1, 4)).astype(np.float32)
    b = RNG.standard_normal((1, 5, 4)).astype(np.float32)
    np.testing.assert_array_equal(binary(lib.FNX_SUB, a, b), a - b)
    np.testing.assert_array_equal(binary(lib.FNX_SUB, a, np.float32(2)), a - 2)
    np.testing.assert_array_equal(binary(lib.FNX_SUB, np.float32(2), b), 2 - b)
    np.testing.assert_array_equal(binary(lib.FNX_MUL, np.float32(2), np.float32(3)), 6)
    x = RNG.standard_normal((6, 8))
    np.testing.assert_array_equal(binary(lib.FNX_ADD, x[::-1, ::2], x.T[::-2].T),
                                  x[::-1, ::2] + x.T[::-2].T)
    np.testing.assert_array_equal(binary(lib.FNX_LT, x[::-1], x[:, ::-1], np.bool_),
                                  x[::-1] < x[:, ::-1])
    assert binary(lib.FNX_ADD, np.zeros((0, 4)), np.zeros((1, 4))).shape == (0, 4)
    out = np.zeros((6, 16))
    binary(lib.FNX_ADD, x, 1.0, out=out[:, 1::2])
    np.testing.assert_array_equal(out[:, 1::2], x + 1)
    # large: parallel paths (contiguous, broadcast row, chunked rows)
    a = RNG.standard_normal(200_001).astype(np.float32)
    b = RNG.standard_normal(200_001).astype(np.float32)
    np.testing.assert_array_equal(binary(lib.FNX_ADD, a, b), a + b)
    a2 = a[:200_000].reshape(400, 500)
    np.testing.assert_array_equal(binary(lib.FNX_MAX, a2, b[:500]), np.maximum(a2, b[:500]))
    c = np.empty(a.shape, np.float32)
    assert lib.fnx_binary_contig(lib.FNX_MUL, lib.FNX_FLOAT32, a.size, ffi.from_buffer(a),
                                 ffi.from_buffer(b), ffi.from_buffer(c)) == 0
    np.testing.assert_array_equal(c, a * b)
    m = np.empty(a.shape, np.bool_)
    assert lib.fnx_binary_contig(lib.FNX_GE, lib.FNX_FLOAT32, a.size, ffi.from_buffer(a),
                                 ffi.from_buffer(b), ffi.from_buffer(m)) == 0
    np.testing.assert_array_equal(m, a >= b)


# ---- select / clamp / convert / copy / fill / iota ---------------------------------------------


@pytest.mark.parametrize("dt", [np.uint8, np.int16, np.float32, np.float64, np.complex128, "V3"])
def test_select(dt):
    n = 3 * 7
    raw = RNG.integers(0, 256, (2, n * np.dtype(dt).itemsize), dtype=np.uint8)
    f, t = (raw[i].view(dt).reshape(3, 7) for i in range(2))
    pred = RNG.integers(0, 2, (3, 7)).astype(np.bool_)
    for p, ff, tt in [(pred, f, t), (pred[:, :1], f, t[:1]), (pred[::-1], f[:, ::-1], t),
                      (pred, f[0, 0], t)]:
        shape = np.broadcast_shapes(np.shape(p), np.shape(ff), np.shape(tt))
        pb, fb, tb = (np.broadcast_to(v, shape) for v in (p, ff, tt))
        out = np.zeros(shape, dt)
        rc = lib.fnx_select(np.dtype(dt).itemsize, len(shape), i64(shape), ptr(pb), i64(pb.strides),
                            ptr(fb), i64(fb.strides), ptr(tb), i64(tb.strides), ptr(out),
                            i64(out.strides))
        assert rc == 0
        np.testing.assert_array_equal(out.view(np.uint8), np.where(pb, tb, fb).view(np.uint8))


def clamp(lo, x, hi):
    shape = np.broadcast_shapes(np.shape(lo), np.shape(x), np.shape(hi))
    lb, xb, hb = (np.broadcast_to(v, shape) for v in (lo, x, hi))
    out = np.zeros(shape, np.asarray(x).dtype)
    rc = lib.fnx_clamp(code(np.asarray(x)), len(shape), i64(shape), ptr(lb), i64(lb.strides),
                       ptr(xb), i64(xb.strides), ptr(hb), i64(hb.strides), ptr(out),
                       i64(out.strides))
    assert rc == 0
    return out


@pytest.mark.parametrize("dt", ALL)
def test_clamp(dt):
    x = data(dt, 40)
    lo, hi = (np.array(False), np.array(True)) if dt is np.bool_ else \
        (np.array(0, dt), np.array(50 if dt is not np.bool_ else 1, dt))
    np.testing.assert_array_equal(clamp(lo, x, hi), np.minimum(np.maximum(x, lo), hi))
    los, his = np.minimum(data(dt, 40), x), np.maximum(data(dt, 40), x)
    np.testing.assert_array_equal(clamp(los, x, his), np.minimum(np.maximum(x, los), his))
    np.testing.assert_array_equal(clamp(lo, x[::-2], hi), np.minimum(np.maximum(x[::-2], lo), hi))


def convert(x, dst):
    y = np.zeros(x.shape, dst)
    rc = lib.fnx_convert(code(x), code(y), x.ndim, i64(x.shape), ptr(x), i64(x.strides), ptr(y),
                         i64(y.strides))
    assert rc == 0
    return y


@pytest.mark.parametrize("src", ALL)
@pytest.mark.parametrize("dst", ALL)
def test_convert(src, dst):
    x = data(src, 48)
    if np.issubdtype(src, np.floating) and np.issubdtype(dst, np.integer):
        info = np.iinfo(dst)  # NaN / out-of-range float -> int is implementation defined
        x = np.where(np.isfinite(x), x, 0).astype(src)
        x = np.clip(x * 13.3, max(info.min, -2 ** 31), min(info.max, 2 ** 31 - 1000)).astype(src)
    with np.errstate(all="ignore"):
        want = x.astype(dst)
    np.testing.assert_array_equal(convert(x, dst), want)
    np.testing.assert_array_equal(convert(x[::-3], dst), want[::-3])


def test_convert_float_to_int_saturates():
    x = np.array([np.nan, np.inf, -np.inf, 1e30, -1e30, 3e9, -3e9, 2.0 ** 63, 300.7, -1.5])
    np.testing.assert_array_equal(
        convert(x, np.int64),
        [0, 2 ** 63 - 1, -2 ** 63, 2 ** 63 - 1, -2 ** 63, 3 * 10 ** 9, -3 * 10 ** 9, 2 ** 63 - 1, 300, -1])
    np.testing.assert_array_equal(
        convert(x, np.int32),
        [0, 2 ** 31 - 1, -2 ** 31, 2 ** 31 - 1, -2 ** 31, 2 ** 31 - 1, -2 ** 31, 2 ** 31 - 1, 300, -1])
    np.testing.assert_array_equal(convert(x.astype(np.float32), np.uint8)[-2:], [44, 255])
    np.testing.assert_array_equal(convert(x, np.bool_), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1])


@pytest.mark.parametrize("dt", [np.uint8, np.int16, np.float32, np.float64, np.complex128, "V3"])
def test_copy(dt):
    isz = np.dtype(dt).itemsize
    x = RNG.integers(0, 256, 4 * 6 * isz, dtype=np.uint8).view(dt).reshape(4, 6)
    for v in [x, x.T, x[::-1, ::2], np.broadcast_to(x[1], (3, 6)), x[:0], np.array(x[0, 0])]:
        y = np.zeros(v.shape, dt)
        assert lib.fnx_copy(isz, v.ndim, i64(v.shape), ptr(v), i64(v.strides), ptr(y),
                            i64(y.strides)) == 0
        assert y.tobytes() == np.ascontiguousarray(v).tobytes()


@pytest.mark.parametrize("dt", [np.bool_, np.int16, np.int32, np.float64, np.complex128])
def test_fill(dt):
    for n in [0, 1, 33, 300_000]:
        v = np.array([3], dt)
        y = np.zeros(n + 1, dt)
        assert lib.fnx_fill(np.dtype(dt).itemsize, n, ffi.from_buffer(v), ffi.from_buffer(y)) == 0
        assert (y[:n] == v[0]).all() and (n == 0 or y[n] == 0)


@pytest.mark.parametrize("dt", ALL)
def test_iota(dt):
    for n in ([0, 1, 2] if dt is np.bool_ else [0, 1, 100, 70_000]):
        y = np.zeros(n, dt)
        assert lib.fnx_iota(code(y), n, ffi.from_buffer(y)) == 0
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(y, np.arange(n).astype(dt))


# ---- reductions ----------------------------------------------------------------------------------
RED_OPS = ["SUM", "PROD", "MAX", "MIN", "AND", "OR", "ARGMAX", "ARGMIN"]


def red_supported(op, dt):
    if op in ("SUM", "PROD"):
        return dt is not np.bool_
    if op in ("AND", "OR"):
        return dt is np.bool_ or dt in INTS
    return True


def red_identity(op, dt):
    if op == "SUM":
        return 0
    if op == "PROD":
        return 1
    if dt is np.bool_:
        return {"MAX": 0, "MIN": 1, "AND": 1, "OR": 0}[op]
    if np.issubdtype(dt, np.floating):
        return {"MAX": -np.inf, "MIN": np.inf}[op]
    info = np.iinfo(dt)
    return {"MAX": info.min, "MIN": info.max, "AND": wrap(-1, dt), "OR": 0}[op]


def red_ref(op, x, axis, dt):
    with np.errstate(all="ignore"):
        if op == "SUM":
            if np.issubdtype(dt, np.floating):
                return np.sum(x.astype(np.float64), axis=axis).astype(dt)
            return np.sum(x, axis=axis, dtype=dt)
        if op == "PROD":
            if np.issubdtype(dt, np.floating):
                return np.prod(x.astype(np.float64), axis=axis).astype(dt)
            return np.prod(x, axis=axis, dtype=dt)
        if op == "MAX":
            return np.max(x, axis=axis)
        if op == "MIN":
            return np.min(x, axis=axis)
        if op == "AND":
            return np.all(x, axis=axis) if dt is np.bool_ else np.bitwise_and.reduce(x, axis=axis)
        if op == "OR":
            return np.any(x, axis=axis) if dt is np.bool_ else np.bitwise_or.reduce(x, axis=axis)
        if op == "ARGMAX":
            return np.argmax(x, axis=axis)
        return np.argmin(x, axis=axis)


def reduce(op, x, idt=np.int64):
    """x: (outer, n, inner) contiguous"""
    outer, n, inner = x.shape
    arg = op.startswith("ARG")
    y = np.full((outer, inner), 77, idt if arg else x.dtype)
    rc = lib.fnx_reduce(getattr(lib, "FNX_RED_" + op), code(x), code(np.dtype(idt)), outer, n,
                        inner, ffi.from_buffer(x), ffi.from_buffer(y))
    return rc, y


def red_data(dt, shape):
    x = data(dt, int(np.prod(shape))).reshape(shape)
    if np.issubdtype(dt, np.floating):  # NaN only in some rows; prod-friendly magnitudes
        x = RNG.uniform(-2, 2, shape).astype(dt)
        if x.size > 5:
            x.flat[5] = np.nan
            x.flat[-3] = np.nan
    elif dt is not np.bool_:
        x = RNG.integers(np.iinfo(dt).min // 2 if np.iinfo(dt).min else 0, np.iinfo(dt).max // 2,
                         shape, endpoint=True).astype(dt)
    return np.ascontiguousarray(x)


@pytest.mark.parametrize("dt", ALL)
@pytest.mark.parametrize("op", RED_OPS)
def test_reduce(op, dt):
    if not red_supported(op, dt):
        assert reduce(op, np.zeros((1, 2, 1), dt))[0] == lib.FNX_ERR_UNSUPPORTED
        return
    for shape in [(3, 37, 1), (2, 100, 5), (1, 300, 1), (4, 1, 3), (2, 33, 300)]:
        x = red_data(dt, shape)
        for idt in ([np.int32, np.int64] if op.startswith("ARG") else [None]):
            rc, y = reduce(op, x, idt or np.int64)
            assert rc == 0
            want = red_ref(op, x, 1, dt)
            if dt is np.float32 and op in ("SUM", "PROD"):
                np.testing.assert_allclose(y, want, rtol=1e-6)
            elif dt is np.float64 and op in ("SUM", "PROD"):
                np.testing.assert_allclose(y, want, rtol=1e-13)
            else:
                np.testing.assert_array_equal(y, want)
    # empty reductions
    for shape in [(2, 0, 1), (2, 0, 3)]:
        rc, y = reduce(op, np.zeros(shape, dt))
        assert rc == 0
        want = 0 if op.startswith("ARG") else red_identity(op, dt)
        np.testing.assert_array_equal(y, np.full(y.shape, want, y.dtype))
    assert reduce(op, np.zeros((0, 5, 2), dt))[0] == 0


def test_reduce_large_and_parallel():
    x = RNG.standard_normal(4 * 1024 * 1024).astype(np.float32) + 0.25
    rc, y = reduce("SUM", x.reshape(1, -1, 1))
    assert rc == 0
    np.testing.assert_allclose(y[0, 0], np.sum(x), rtol=1e-6)
    np.testing.assert_allclose(y[0, 0], np.sum(x.astype(np.float64)), rtol=1e-7)
    # few long rows: split rows; the arg index must be global
    x = RNG.standard_normal((3, 200_000)).astype(np.float64)
    x[1, 150_000] = 50.0
    x[2, 123_456] = np.nan
    x[2, 190_000] = np.nan
    for op in ["ARGMAX", "ARGMIN", "MAX", "MIN", "SUM"]:
        rc, y = reduce(op, x.reshape(3, -1, 1))
        assert rc == 0
        want = red_ref(op, x, 1, np.float64)
        np.testing.assert_allclose(y[:, 0], want, rtol=1e-12)
    xi = RNG.integers(-(2 ** 31), 2 ** 31, (2, 300_000)).astype(np.int32)
    rc, y = reduce("SUM", xi.reshape(2, -1, 1))
    np.testing.assert_array_equal(y[:, 0], np.sum(xi, axis=1, dtype=np.int32))
    # inner > 1, large
    x = RNG.standard_normal((2, 500, 3000)).astype(np.float32)
    rc, y = reduce("SUM", x)
    np.testing.assert_allclose(y, np.sum(x.astype(np.float64), axis=1), rtol=1e-5, atol=1e-5)
    rc, y = reduce("ARGMAX", x)
    np.testing.assert_array_equal(y, np.argmax(x, axis=1))


@pytest.mark.parametrize("dt", NUMERIC)
@pytest.mark.parametrize("op", ["SUM", "PROD", "MAX", "MIN"])
def test_cumulative(op, dt):
    ref = {"SUM": np.cumsum, "PROD": np.cumprod, "MAX": np.maximum.accumulate,
           "MIN": np.minimum.accumulate}[op]
    for shape in [(2, 9, 1), (3, 7, 5), (1, 0, 3), (2, 5, 300), (1, 1, 1)]:
        x = red_data(dt, shape)
        if op == "PROD" and np.issubdtype(dt, np.floating):
            x = np.where(np.isnan(x), x, 1 + x / 4).astype(dt)
        for rev in [0, 1]:
            y = np.zeros_like(x)
            rc = lib.fnx_cumulative(getattr(lib, "FNX_CUM_" + op), code(x), rev, *shape,
                                    ffi.from_buffer(x), ffi.from_buffer(y))
            assert rc == 0
            xs = x[:, ::-1] if rev else x
            with np.errstate(all="ignore"):
                want = ref(xs, axis=1, dtype=dt) if op in ("SUM", "PROD") else ref(xs, axis=1)
            if rev:
                want = want[:, ::-1]
            if np.issubdtype(dt, np.floating):
                np.testing.assert_allclose(y, want, rtol=1e-6 if dt is np.float32 else 1e-14)
            else:
                np.testing.assert_array_equal(y, want)
    x = np.zeros((1, 2, 1), np.bool_)
    assert lib.fnx_cumulative(lib.FNX_CUM_SUM, 0, 0, 1, 2, 1, ffi.from_buffer(x),
                              ffi.from_buffer(x.copy())) == lib.FNX_ERR_UNSUPPORTED


def test_cumulative_in_place_and_large():
    x = RNG.standard_normal((4, 50_000)).astype(np.float64)
    want = np.cumsum(x, axis=1)
    assert lib.fnx_cumulative(lib.FNX_CUM_SUM, lib.FNX_FLOAT64, 0, 4, 50_000, 1,
                              ffi.from_buffer(x), ffi.from_buffer(x)) == 0
    np.testing.assert_allclose(x, want, rtol=1e-12, atol=1e-12)


# ---- matmul --------------------------------------------------------------------------------------


def matmul(a, b):
    batch, m, k = a.shape
    n = b.shape[2]
    c = np.full((batch, m, n), 7, a.dtype)
    rc = lib.fnx_matmul(code(a), batch, m, n, k, ffi.from_buffer(a), ffi.from_buffer(b),
                        ffi.from_buffer(c))
    return rc, c


@pytest.mark.parametrize("dt", [np.float32, np.float64, np.int32, np.int64])
def test_matmul(dt):
    shapes = [(1, 1, 1, 1), (1, 0, 3, 2), (1, 3, 0, 2), (2, 3, 4, 0), (1, 1, 7, 300),
              (2, 5, 1, 33), (1, 1, 300, 1), (3, 17, 19, 23), (1, 100, 70, 130),
              (1, 97, 300, 33), (1, 129, 67, 513), (5, 31, 33, 35), (1, 200, 3, 7)]
    for batch, m, n, k in shapes:
        if np.issubdtype(dt, np.integer):
            a = RNG.integers(-50, 50, (batch, m, k)).astype(dt)
            b = RNG.integers(-50, 50, (batch, k, n)).astype(dt)
        else:
            a = RNG.standard_normal((batch, m, k)).astype(dt)
            b = RNG.standard_normal((batch, k, n)).astype(dt)
        rc, c = matmul(a, b)
        assert rc == 0
        want = np.matmul(a.astype(np.float64), b.astype(np.float64))
        if np.issubdtype(dt, np.integer):
            np.testing.assert_array_equal(c, want.astype(dt))
        else:
            tol = 1e-5 if dt is np.float32 else 1e-12
            np.testing.assert_allclose(c, want, rtol=tol, atol=tol * np.sqrt(max(k, 1)))
    a = np.zeros((1, 2, 2), np.uint8)
    assert matmul(a, a)[0] == lib.FNX_ERR_UNSUPPORTED


def test_matmul_int_wraps_and_large():
    a = np.full((1, 3, 4), 2 ** 30, np.int32)
    rc, c = matmul(a, np.ones((1, 4, 2), np.int32) * 3)
    np.testing.assert_array_equal(c, np.full((1, 3, 2), wrap(12 * 2 ** 30, np.int32)))
    a = RNG.standard_normal((1, 300, 260)).astype(np.float32)
    b = RNG.standard_normal((1, 260, 3100)).astype(np.float32)  # > KC, > NC
    rc, c = matmul(a, b)
    assert rc == 0
    np.testing.assert_allclose(c, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)


# ---- gather / scatter / argsort / nonzero --------------------------------------------------------


@pytest.mark.parametrize("idt", [np.int32, np.int64])
@pytest.mark.parametrize("dt,nr", [(np.uint8, 1), (np.float32, 1), (np.int64, 1), (np.float32, 5),
                                   (np.int16, 3), (np.float64, 300)])
def test_gather(dt, nr, idt):
    nb, d, ni = 3, 7, 11
    x = RNG.integers(0, 100, (nb, d, nr)).astype(dt)
    idx = RNG.integers(-3, d + 3, (nb, ni)).astype(idt)
    out = np.zeros((nb, ni, nr), dt)
    assert lib.fnx_gather(x.itemsize, code(idx), nb, d, nr, ffi.from_buffer(x), ni,
                          ffi.from_buffer(idx), ffi.from_buffer(out)) == 0
    want = np.take_along_axis(x, np.clip(idx, 0, d - 1)[:, :, None].astype(np.int64), axis=1)
    np.testing.assert_array_equal(out, want)
    # d == 0 must not touch out; bad index dtype is unsupported
    assert lib.fnx_gather(x.itemsize, code(idx), nb, 0, nr, ffi.from_buffer(x), ni,
                          ffi.from_buffer(idx), ffi.from_buffer(out)) == 0
    np.testing.assert_array_equal(out, want)
    assert lib.fnx_gather(x.itemsize, lib.FNX_FLOAT32, nb, d, nr, ffi.from_buffer(x), ni,
                          ffi.from_buffer(idx), ffi.from_buffer(out)) == lib.FNX_ERR_UNSUPPORTED


def test_gather_large():
    x = RNG.standard_normal((2, 1000, 40)).astype(np.float32)
    idx = RNG.integers(0, 1000, (2, 3000)).astype(np.int64)
    out = np.zeros((2, 3000, 40), np.float32)
    assert lib.fnx_gather(4, lib.FNX_INT64, 2, 1000, 40, ffi.from_buffer(x), 3000,
                          ffi.from_buffer(idx), ffi.from_buffer(out)) == 0
    np.testing.assert_array_equal(out, np.take_along_axis(x, idx[:, :, None], axis=1))


SC_OPS = ["SET", "ADD", "MUL", "MIN", "MAX"]


def scatter_ref(op, out, idx, upd):
    out = out.copy()
    nb, d, nr = out.shape
    for b in range(nb):
        for i in range(idx.shape[1]):
            j = int(idx[b, i])
            if not 0 <= j < d:
                continue
            o, u = out[b, j], upd[b, i]
            with np.errstate(all="ignore"):
                out[b, j] = {"SET": u, "ADD": o + u, "MUL": o * u, "MIN": np.minimum(o, u),
                             "MAX": np.maximum(o, u)}[op]
    return out


@pytest.mark.parametrize("dt", ALL)
@pytest.mark.parametrize("op", SC_OPS)
def test_scatter(op, dt):
    nb, d, nr, ni = 2, 5, 3, 9
    out0 = red_data(dt, (nb, d, nr))
    upd = red_data(dt, (nb, ni, nr))
    idx = np.array([[0, 2, 2, -1, 5, 4, 2, 0, 7], [1, 1, 1, 3, -6, 4, 4, 0, 2]])
    supported = op in ("SET", "MIN", "MAX") or dt is not np.bool_
    for idt in [np.int32, np.int64]:
        out = out0.copy()
        ix = idx.astype(idt)
        rc = lib.fnx_scatter(getattr(lib, "FNX_SCATTER_" + op), code(out), code(ix), nb, d, nr,
                             ffi.from_buffer(out), ni, ffi.from_buffer(ix), ffi.from_buffer(upd))
        if not supported:
            assert rc == lib.FNX_ERR_UNSUPPORTED
            return
        assert rc == 0
        np.testing.assert_array_equal(out, scatter_ref(op, out0, idx, upd))


def test_scatter_large_parallel():
    nb, d, nr, ni = 1, 50, 4000, 40
    out0 = RNG.standard_normal((nb, d, nr))
    upd = RNG.standard_normal((nb, ni, nr))
    idx = RNG.integers(-2, d + 2, (nb, ni))
    for op in ["ADD", "SET"]:
        out = out0.copy()
        assert lib.fnx_scatter(getattr(lib, "FNX_SCATTER_" + op), lib.FNX_FLOAT64, lib.FNX_INT64,
                               nb, d, nr, ffi.from_buffer(out), ni, ffi.from_buffer(idx),
                               ffi.from_buffer(upd)) == 0
        np.testing.assert_allclose(out, scatter_ref(op, out0, idx, upd), rtol=1e-15)


@pytest.mark.parametrize("dt", ALL)
def test_argsort(dt):
    for outer, n in [(3, 50), (2, 1), (1, 0), (2, 1000), (0, 5)]:
        if dt is np.bool_:
            x = RNG.integers(0, 2, (outer, n)).astype(dt)
        elif np.issubdtype(dt, np.integer):
            x = RNG.integers(0, 10, (outer, n)).astype(dt)  # many ties: stability matters
        else:
            x = RNG.integers(-5, 5, (outer, n)).astype(dt)
            if x.size:
                x.flat[::7] = np.nan
                x.flat[1::5] = -0.0
                x.flat[2::11] = np.inf
                x.flat[3::13] = -np.inf
        perm = np.full((outer, n), -1, np.int64)
        assert lib.fnx_argsort(code(x), outer, n, ffi.from_buffer(x),
                               ffi.cast("int64_t *", ffi.from_buffer(perm))) == 0
        np.testing.assert_array_equal(perm, np.argsort(x, axis=1, kind="stable"))


def test_argsort_large_rows_parallel():
    x = RNG.standard_normal((8, 5000)).astype(np.float32)
    perm = np.zeros(x.shape, np.int64)
    assert lib.fnx_argsort(lib.FNX_FLOAT32, 8, 5000, ffi.from_buffer(x),
                           ffi.cast("int64_t *", ffi.from_buffer(perm))) == 0
    np.testing.assert_array_equal(perm, np.argsort(x, axis=1, kind="stable"))


def test_nonzero():
    for n in [0, 1, 100, 1_000_003]:
        m = (RNG.random(n) < 0.3).astype(np.bool_)
        assert lib.fnx_count_nonzero(n, ffi.from_buffer(m)) == np.count_nonzero(m)
        out = np.full(np.count_nonzero(m) + 1, -7, np.int64)
        assert lib.fnx_flatnonzero(n, ffi.from_buffer(m),
                                   ffi.cast("int64_t *", ffi.from_buffer(out))) == 0
        np.testing.assert_array_equal(out[:-1], np.flatnonzero(m))
        assert out[-1] == -7


def test_threads():
    n0 = lib.fnx_get_num_threads()
    assert n0 >= 1
    try:
        lib.fnx_set_num_threads(1)
        assert lib.fnx_get_num_threads() == 1
        x = RNG.standard_normal(100_000)
        np.testing.assert_array_equal(unary(lib.FNX_NEG, x), -x)
        lib.fnx_set_num_threads(3)
        assert lib.fnx_get_num_threads() == 3
        np.testing.assert_array_equal(unary(lib.FNX_NEG, x), -x)
        rc, y = reduce("SUM", x.reshape(1, -1, 1))
        np.testing.assert_allclose(y[0, 0], x.sum(), rtol=1e-12)
    finally:
        lib.fnx_set_num_threads(n0)
    assert lib.fnx_get_num_threads() == n0
