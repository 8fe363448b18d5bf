"""fnx/_include/fnx_scalar.h, the scalar semantics shared by the eager kernels and the jit's
generated C, compiled standalone exactly as the jit will compile it.

A C file is generated with one loop per (op, dtype) - `y[i] = fnx_s_<op>_<sfx>(x[i])` - built
with gcc into a shared library (loaded with ctypes), and its results must equal the eager fnx
kernels' bit for bit on inputs full of edge cases: NaN, +-inf, -0.0, subnormals, INT_MIN / -1,
division by zero, out-of-range shifts, out-of-range float -> int conversions.  The table below
is also the list of (op, dtype) pairs the header must define.  Skipped without gcc.

"Bit for bit" with one exception: where the result is NaN, any NaN matches.  When both operands
of a commutative operation are NaNs with different payloads or signs (NaN + -NaN), x86 returns
the first operand's, and gcc may commute the operands differently in two compilations of the
same source (it does, between the eager kernel and the loop here), so the NaN's sign / payload
is not a property of the source.  numpy makes no promise about it either."""
import ctypes
import importlib.util
import os
import shutil
import subprocess

import numpy as np
import pytest

import fnx
from fnx import lax
from fnx.core import bind
from fnx.lax import elementwise as ew

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INCLUDE = os.path.join(os.path.dirname(os.path.abspath(fnx.__file__)), "_include")

SFX = {np.dtype(np.bool_): "b", np.dtype(np.int8): "i8", np.dtype(np.uint8): "u8",
       np.dtype(np.int32): "i32", np.dtype(np.int64): "i64", np.dtype(np.float32): "f32",
       np.dtype(np.float64): "f64", np.dtype(np.uint32): "u32"}
CTYPE = {"b": "uint8_t", "i8": "int8_t", "u8": "uint8_t", "i32": "int32_t", "i64": "int64_t",
         "f32": "float", "f64": "double", "u32": "uint32_t"}
DTYPE = {s: d for d, s in SFX.items()}
BOOL, INTS, FLOATS = ["b"], ["i8", "u8", "i32", "i64", "u32"], ["f32", "f64"]
ALL = BOOL + INTS + FLOATS

FLOAT_UNARY = ["neg", "exp", "exp2", "log", "log1p", "expm1", "sin", "cos", "tan", "asin", "acos",
               "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "logistic", "sqrt",
               "rsqrt", "cbrt", "abs", "sign", "floor", "ceil", "round_away", "round_even", "erf",
               "erf_inv", "lgamma", "digamma", "erfc", "bessel_i0e", "bessel_i1e", "is_finite"]
UNARY = ([(op, s) for op in FLOAT_UNARY for s in FLOATS]
         + [(op, s) for op in ("neg", "abs", "sign") for s in INTS]
         + [("not", s) for s in BOOL + INTS])
POW_EXPONENTS = (-3, -1, 0, 1, 2, 3, 7, 64)
INTEGER_POW = INTS + FLOATS
BINARY = ([(op, s) for op in ("eq", "ne", "lt", "le", "gt", "ge", "max", "min") for s in ALL]
          + [(op, s) for op in ("add", "sub", "mul", "div", "rem", "pow") for s in INTS + FLOATS]
          + [(op, s) for op in ("atan2", "nextafter") for s in FLOATS]
          + [(op, s) for op in ("and", "or", "xor") for s in BOOL + INTS]
          + [(op, s) for op in ("shift_left", "shift_right_logical", "shift_right_arithmetic")
             for s in INTS])
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")

# complex64 / complex128 (fnx_complex.h): compared with the eager kernels called through cffi
# directly (the Python layers reach them separately)
COMPLEX = ["c64", "c128"]
CTYPE.update({"c64": "fnx_complex64", "c128": "fnx_complex128"})
REAL_OF = {"c64": "f32", "c128": "f64"}
COMPLEX_UNARY = ["neg", "conj", "sign", "sqrt", "rsqrt", "exp", "log", "log1p", "expm1", "sin",
                 "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
                 "atanh", "abs", "real", "imag", "is_finite"]
COMPLEX_BINARY = ["add", "sub", "mul", "div", "pow", "max", "min", *COMPARISONS]


# ---- inputs -------------------------------------------------------------------------------------

def _float_values(dt):
    """specials, a spread of magnitudes, and random bit patterns"""
    f = np.finfo(dt)
    tiny_sub = np.array(f.smallest_subnormal, dt)
    specials = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.0, -7.0, 0.625, 0.999,
                -0.999, 1e-3, 10.0, 100.0, -100.0, 88.7, 89.0, -104.0, 709.0, 710.0, -746.0,
                2.0 ** 31, -2.0 ** 31, 2.0 ** 31 + 4096, -2.0 ** 31 - 4096, 2.0 ** 63, -2.0 ** 63,
                300.7, -129.5, 255.9, 1e30, -1e30, np.pi, f.max, -f.max, f.tiny, -f.tiny,
                tiny_sub, -tiny_sub, f.tiny / 2, -f.tiny / 3, np.inf, -np.inf, np.nan, -np.nan]
    rng = np.random.default_rng(0)
    spread = rng.standard_normal(400) * np.exp(rng.uniform(-20, 20, 400))
    bits = rng.integers(0, 2 ** (8 * np.dtype(dt).itemsize), 600, dtype=np.uint64)
    bits = bits.astype(np.uint32 if dt == np.float32 else np.uint64).view(dt)
    with np.errstate(over="ignore"):
        return np.concatenate([np.array(specials, np.float64).astype(dt), spread.astype(dt), bits])


def _int_values(dt):
    i = np.iinfo(dt)
    specials = [0, 1, -1, 2, -2, 3, 7, 8, 31, 32, 33, 63, 64, 65, 100, -100, i.min, i.min + 1,
                i.max, i.max - 1, i.max // 2]
    rng = np.random.default_rng(1)
    rand = rng.integers(i.min, i.max, 300, dtype=dt, endpoint=True)
    return np.concatenate([np.array(specials).astype(dt), rand])  # wraps like C for -1 in u8


def values(sfx):
    dt = DTYPE[sfx]
    if sfx == "b":
        return np.array([0, 1], np.uint8).view(np.bool_)
    return _float_values(dt) if sfx in FLOATS else _int_values(dt)


def pairs(sfx):
    """every pair of the first 60 values (all the specials), plus random pairs"""
    v = values(sfx)
    head = v[:60]
    a, b = np.repeat(head, head.size), np.tile(head, head.size)
    rng = np.random.default_rng(2)
    ra, rb = rng.choice(v, 1000), rng.choice(v, 1000)
    return np.concatenate([a, ra]), np.concatenate([b, rb])


# ---- the generated C ----------------------------------------------------------------------------

def _c_source():
    fns = []
    for op, s in UNARY:
        t = CTYPE[s]
        to = "uint8_t" if op == "is_finite" else t
        fns.append(f"void u_{op}_{s}(int64_t n, const {t} *x, {to} *y) "
                   f"{{ for (int64_t i = 0; i < n; i++) y[i] = fnx_s_{op}_{s}(x[i]); }}")
    for s in INTEGER_POW:
        t = CTYPE[s]
        fns.append(f"void u_integer_pow_{s}(int64_t n, const {t} *x, {t} *y, int64_t e) "
                   f"{{ for (int64_t i = 0; i < n; i++) y[i] = fnx_s_integer_pow_{s}(x[i], e); }}")
    for op, s in BINARY:
        t = CTYPE[s]
        to = "uint8_t" if op in COMPARISONS else t
        fns.append(f"void b_{op}_{s}(int64_t n, const {t} *a, const {t} *b, {to} *o) "
                   f"{{ for (int64_t i = 0; i < n; i++) o[i] = fnx_s_{op}_{s}(a[i], b[i]); }}")
    for s in ALL:
        t = CTYPE[s]
        fns.append(f"void clamp_{s}(int64_t n, const {t} *lo, const {t} *x, const {t} *hi, {t} *o) "
                   f"{{ for (int64_t i = 0; i < n; i++) o[i] = fnx_s_clamp_{s}(lo[i], x[i], hi[i]); }}")
        fns.append(f"void select_{s}(int64_t n, const uint8_t *c, const {t} *f, const {t} *t, {t} *o) "
                   f"{{ for (int64_t i = 0; i < n; i++) o[i] = fnx_s_select_{s}(c[i], f[i], t[i]); }}")
        for d in ALL:
            fns.append(f"void convert_{s}_{d}(int64_t n, const {t} *x, {CTYPE[d]} *y) "
                       f"{{ for (int64_t i = 0; i < n; i++) y[i] = fnx_s_convert_{s}_{d}(x[i]); }}")
    return '#include "fnx_scalar.h"\n\n' + "\n".join(fns + _complex_c_source()) + "\n"


def _complex_out_type(op, s):
    if op == "is_finite" or op in COMPARISONS:
        return "uint8_t"
    return CTYPE[REAL_OF[s]] if op in ("abs", "real", "imag") else CTYPE[s]


def _complex_c_source():
    fns = []
    for s in COMPLEX:
        t = CTYPE[s]
        for op in COMPLEX_UNARY:
            fns.append(f"void u_{op}_{s}(int64_t n, const {t} *x, {_complex_out_type(op, s)} *y) "
                       f"{{ for (int64_t i = 0; i < n; i++) y[i] = fnx_s_{op}_{s}(x[i]); }}")
        fns.append(f"void u_integer_pow_{s}(int64_t n, const {t} *x, {t} *y, int64_t e) "
                   f"{{ for (int64_t i = 0; i < n; i++) y[i] = fnx_s_integer_pow_{s}(x[i], e); }}")
        for op in COMPLEX_BINARY:
            fns.append(f"void b_{op}_{s}(int64_t n, const {t} *a, const {t} *b, "
                       f"{_complex_out_type(op, s)} *o) "
                       f"{{ for (int64_t i = 0; i < n; i++) o[i] = fnx_s_{op}_{s}(a[i], b[i]); }}")
        r = REAL_OF[s]
        fns.append(f"void b_complex_{r}(int64_t n, const {CTYPE[r]} *a, const {CTYPE[r]} *b, {t} *o) "
                   f"{{ for (int64_t i = 0; i < n; i++) o[i] = fnx_s_complex_{r}(a[i], b[i]); }}")
        fns.append(f"void select_{s}(int64_t n, const uint8_t *c, const {t} *f, const {t} *t, {t} *o) "
                   f"{{ for (int64_t i = 0; i < n; i++) o[i] = fnx_s_select_{s}(c[i], f[i], t[i]); }}")
        for d in ALL + COMPLEX:
            for a, b in ((s, d), (d, s)):
                fns.append(f"void convert_{a}_{b}(int64_t n, const {CTYPE[a]} *x, {CTYPE[b]} *y) "
                           f"{{ for (int64_t i = 0; i < n; i++) y[i] = fnx_s_convert_{a}_{b}(x[i]); }}")
    return list(dict.fromkeys(fns))  # c64 <-> c128 comes from both rows


def _compile_args():
    """the kernels' own flags (build_kernels.EXTRA_COMPILE_ARGS), as the jit must use"""
    path = os.path.join(ROOT, "build_kernels.py")
    if os.path.exists(path):
        spec = importlib.util.spec_from_file_location("_fnx_build_kernels", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return list(mod.EXTRA_COMPILE_ARGS)
    return ["-O3", "-march=native", "-fopenmp", "-std=gnu99", "-fno-math-errno",
            "-ffp-contract=off"]


@pytest.fixture(scope="module")
def clib(tmp_path_factory):
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc not found")
    header = os.path.join(INCLUDE, "fnx_scalar.h")
    assert os.path.exists(header), f"{header} is missing: run `python build_kernels.py`"
    src_header = os.path.join(ROOT, "kernels", "common", "fnx_scalar.h")
    if os.path.exists(src_header):  # a source checkout: the packaged copy must be current
        for src in ("common/fnx_scalar.h", "common/fnx_ops.h", "cpu/vmath.h"):
            name = os.path.basename(src)
            with open(os.path.join(ROOT, "kernels", src), "rb") as a, \
                    open(os.path.join(INCLUDE, name), "rb") as b:
                assert a.read() == b.read(), f"fnx/_include/{name} is stale: run build_kernels.py"
    tmp = tmp_path_factory.mktemp("scalar_header")
    main_c, other_c, so = tmp / "main.c", tmp / "other.c", tmp / "libscalar.so"
    main_c.write_text(_c_source())
    # a second translation unit including the header: linking both into one library fails if
    # the header defines any non-static symbol
    other_c.write_text('#include "fnx_scalar.h"\n'
                       "int other_tu(void) { return (int)fnx_s_add_i32(1, 2); }\n")
    # the header is self-contained ISO C11 and warning-free
    res = subprocess.run([gcc, "-fsyntax-only", "-std=c11", "-Wall", "-Wextra", "-Werror",
                          "-I", INCLUDE, str(main_c)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-4000:]
    cmd = [gcc, *_compile_args(), "-fPIC", "-shared", "-I", INCLUDE, str(main_c), str(other_c),
           "-o", str(so), "-lm"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-4000:]
    return ctypes.CDLL(str(so))


def _ptr(a):
    return ctypes.c_void_p(a.ctypes.data)


def _call(lib, name, n, *arrays, extra=()):
    fn = getattr(lib, name)
    fn.restype = None
    fn(ctypes.c_int64(n), *[_ptr(a) for a in arrays], *[ctypes.c_int64(e) for e in extra])


def _as_fnx(a):
    return fnx.numpy.asarray(a)


def _assert_bitwise(got, want, what, *inputs):
    got, want = np.ascontiguousarray(got), np.ascontiguousarray(np.asarray(want))
    assert got.dtype == want.dtype, (what, got.dtype, want.dtype)
    ui = {1: np.uint8, 4: np.uint32, 8: np.uint64}[got.dtype.itemsize]
    bad = got.view(ui) != want.view(ui)
    if got.dtype.kind == "f":
        bad &= ~(np.isnan(got) & np.isnan(want))
    if bad.any():
        i = np.flatnonzero(bad)[:5]
        shown = ", ".join(f"{[x[j] for x in inputs]} -> header {got[j]!r} eager {want[j]!r}"
                          for j in i)
        pytest.fail(f"{what}: {bad.sum()} of {bad.size} differ, e.g. {shown}")


# ---- the checks ---------------------------------------------------------------------------------

def _eager_unary(op, x):
    if op in ("round_away", "round_even"):
        method = lax.RoundingMethod.AWAY_FROM_ZERO if op == "round_away" else lax.RoundingMethod.TO_NEAREST_EVEN
        return bind(ew.round_p, x, rounding_method=int(method))
    return bind(ew.UNARY_PRIMITIVES[op], x)


@pytest.mark.parametrize("op,sfx", UNARY, ids=[f"{o}-{s}" for o, s in UNARY])
def test_unary(clib, op, sfx):
    x = values(sfx)
    y = np.empty(x.size, np.bool_ if op == "is_finite" else x.dtype)
    _call(clib, f"u_{op}_{sfx}", x.size, x, y)
    _assert_bitwise(y, _eager_unary(op, _as_fnx(x)), f"{op}_{sfx}", x)


@pytest.mark.parametrize("sfx", INTEGER_POW)
def test_integer_pow(clib, sfx):
    x = values(sfx)
    for e in POW_EXPONENTS:
        y = np.empty_like(x)
        _call(clib, f"u_integer_pow_{sfx}", x.size, x, y, extra=(e,))
        _assert_bitwise(y, lax.integer_pow(_as_fnx(x), e), f"integer_pow_{sfx}(e={e})", x)


@pytest.mark.parametrize("op,sfx", BINARY, ids=[f"{o}-{s}" for o, s in BINARY])
def test_binary(clib, op, sfx):
    a, b = pairs(sfx)
    if op.startswith("shift"):  # shift amounts around and beyond the bit width, and negative
        b = np.resize(np.arange(-3, 8 * a.dtype.itemsize + 4).astype(a.dtype), a.size)
    o = np.empty(a.size, np.bool_ if op in COMPARISONS else a.dtype)
    _call(clib, f"b_{op}_{sfx}", a.size, a, b, o)
    want = bind(ew.BINARY_PRIMITIVES[op], _as_fnx(a), _as_fnx(b))
    _assert_bitwise(o, want, f"{op}_{sfx}", a, b)


@pytest.mark.parametrize("sfx", ALL)
def test_clamp(clib, sfx):
    a, b = pairs(sfx)
    x = np.resize(values(sfx), a.size)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    for lo_, hi_ in ((lo, hi), (hi, lo), (a, b)):  # also lo > hi and NaN bounds
        o = np.empty_like(x)
        _call(clib, f"clamp_{sfx}", x.size, lo_, x, hi_, o)
        want = lax.clamp(_as_fnx(lo_), _as_fnx(x), _as_fnx(hi_))
        _assert_bitwise(o, want, f"clamp_{sfx}", lo_, x, hi_)


@pytest.mark.parametrize("sfx", ALL)
def test_select(clib, sfx):
    f, t = pairs(sfx)
    c = np.random.default_rng(3).integers(0, 2, f.size).astype(np.bool_)
    o = np.empty_like(f)
    _call(clib, f"select_{sfx}", f.size, c, f, t, o)
    want = bind(ew.select_n_p, _as_fnx(c), _as_fnx(f), _as_fnx(t))
    _assert_bitwise(o, want, f"select_{sfx}", c, f, t)


@pytest.mark.parametrize("src", ALL)
def test_convert(clib, src):
    x = values(src)
    for dst in ALL:
        y = np.empty(x.size, DTYPE[dst])
        _call(clib, f"convert_{src}_{dst}", x.size, x, y)
        want = lax.convert_element_type(_as_fnx(x), DTYPE[dst])
        _assert_bitwise(y, want, f"convert_{src}_{dst}", x)


# ---- complex: the header against the eager kernels ---------------------------------------------

def _kernels():
    from fnx.backends.cpu_ffi import ffi, lib
    return ffi, lib


CODE = {"b": 0, "i8": 1, "u8": 2, "i32": 3, "i64": 4, "f32": 5, "f64": 6, "u32": 7, "c64": 8,
        "c128": 9}
DTYPE.update({"c64": np.dtype(np.complex64), "c128": np.dtype(np.complex128)})


def complex_values(sfx):
    """every pair of the float specials as parts, and random parts"""
    r = _float_values(DTYPE[REAL_OF[sfx]])
    head = r[:49]
    rng = np.random.default_rng(4)
    re = np.concatenate([np.repeat(head, head.size), rng.choice(r, 1000)])
    im = np.concatenate([np.tile(head, head.size), rng.choice(r, 1000)])
    z = np.empty(re.size, DTYPE[sfx])
    z.real, z.imag = re, im
    return z


def _out_dtype(op, sfx):
    t = _complex_out_type(op, sfx)
    return {"uint8_t": np.dtype(np.bool_), "float": np.dtype(np.float32),
            "double": np.dtype(np.float64)}.get(t, DTYPE[sfx])


def _cptr(ffi, a):
    return ffi.cast("char *", a.ctypes.data)


def _assert_same_bits(got, want, what):
    """bitwise, any NaN (part) matching any NaN"""
    g, w = np.ascontiguousarray(got), np.ascontiguousarray(want)
    if g.dtype.kind == "c":
        g, w = g.view(g.real.dtype), w.view(w.real.dtype)
    ui = {1: np.uint8, 4: np.uint32, 8: np.uint64}[g.dtype.itemsize]
    bad = g.view(ui) != w.view(ui)
    if g.dtype.kind == "f":
        bad &= ~(np.isnan(g) & np.isnan(w))
    assert not bad.any(), f"{what}: {bad.sum()} of {bad.size} differ"


@pytest.mark.parametrize("sfx", COMPLEX)
def test_complex_unary(clib, sfx):
    ffi, lib = _kernels()
    x = complex_values(sfx)
    for op in COMPLEX_UNARY:
        od = _out_dtype(op, sfx)
        y, want = np.empty(x.size, od), np.empty(x.size, od)
        _call(clib, f"u_{op}_{sfx}", x.size, x, y)
        rc = lib.fnx_unary_contig(getattr(lib, "FNX_" + op.upper()), CODE[sfx], x.size,
                                  _cptr(ffi, x), _cptr(ffi, want), 0)
        assert rc == 0, op
        _assert_same_bits(y, want, f"{op}_{sfx}")
    for e in POW_EXPONENTS:
        y, want = np.empty_like(x), np.empty_like(x)
        _call(clib, f"u_integer_pow_{sfx}", x.size, x, y, extra=(e,))
        assert lib.fnx_unary_contig(lib.FNX_INTEGER_POW, CODE[sfx], x.size, _cptr(ffi, x),
                                    _cptr(ffi, want), e) == 0
        _assert_same_bits(y, want, f"integer_pow_{sfx}(e={e})")


@pytest.mark.parametrize("sfx", COMPLEX)
def test_complex_binary(clib, sfx):
    ffi, lib = _kernels()
    a = complex_values(sfx)
    b = np.random.default_rng(5).permutation(a)
    for op in COMPLEX_BINARY:
        od = _out_dtype(op, sfx)
        o, want = np.empty(a.size, od), np.empty(a.size, od)
        _call(clib, f"b_{op}_{sfx}", a.size, a, b, o)
        assert lib.fnx_binary_contig(getattr(lib, "FNX_" + op.upper()), CODE[sfx], a.size,
                                     _cptr(ffi, a), _cptr(ffi, b), _cptr(ffi, want)) == 0, op
        _assert_same_bits(o, want, f"{op}_{sfx}")
    r = REAL_OF[sfx]
    o, want = np.empty_like(a), np.empty_like(a)
    re, im = np.ascontiguousarray(a.real), np.ascontiguousarray(b.imag)
    _call(clib, f"b_complex_{r}", a.size, re, im, o)
    assert lib.fnx_binary_contig(lib.FNX_COMPLEX, CODE[r], a.size, _cptr(ffi, re), _cptr(ffi, im),
                                 _cptr(ffi, want)) == 0
    _assert_same_bits(o, want, f"complex_{r}")
    c = np.random.default_rng(6).integers(0, 2, a.size).astype(np.bool_)
    o, want = np.empty_like(a), np.where(c, b, a)
    _call(clib, f"select_{sfx}", a.size, c, a, b, o)
    _assert_same_bits(o, want, f"select_{sfx}")


@pytest.mark.parametrize("sfx", COMPLEX)
def test_complex_convert(clib, sfx):
    ffi, lib = _kernels()
    for src, dst in [(sfx, d) for d in ALL + COMPLEX] + [(d, sfx) for d in ALL + COMPLEX]:
        x = complex_values(src) if src in COMPLEX else values(src)
        y, want = np.empty(x.size, DTYPE[dst]), np.empty(x.size, DTYPE[dst])
        _call(clib, f"convert_{src}_{dst}", x.size, x, y)
        st = ffi.new("int64_t[]", [x.itemsize])
        assert lib.fnx_convert(CODE[src], CODE[dst], 1, ffi.new("int64_t[]", [x.size]),
                               _cptr(ffi, x), st, _cptr(ffi, want),
                               ffi.new("int64_t[]", [want.itemsize])) == 0
        _assert_same_bits(y, want, f"convert_{src}_{dst}")
