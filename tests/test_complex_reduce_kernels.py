"""complex64 / complex128 in the non-elementwise CPU kernels, called directly through cffi and
compared with numpy: fnx_reduce (sum, prod, max, min, argmax, argmin over (outer, n, inner)
views), fnx_cumulative (sum, prod, forward and reversed), fnx_matmul / fnx_matmul_epilogue
(the 1m method on the real GEMM), fnx_scatter (set, add, mul), fnx_argsort (numpy's order with
NaN parts) and fnx_gather of 16-byte items.  Orders follow numpy: lexicographic (real part,
then imaginary part), a value with a NaN part is the extreme of max / min (the first one wins)
and sorts last as [R + Rj, R + NaNj, NaN + Rj, NaN + NaNj]."""
import numpy as np
import pytest

from fnx.backends.cpu_ffi import ffi, lib

COMPLEX = [np.complex64, np.complex128]
CODE = {np.complex64: lib.FNX_COMPLEX64, np.complex128: lib.FNX_COMPLEX128}
REAL = {np.complex64: np.float32, np.complex128: np.float64}
RNG = np.random.default_rng(0)
NAN, INF = np.nan, np.inf


def _ptr(a):
    return ffi.from_buffer(a)


def _random(dt, shape, rng=RNG):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dt)


def _parts(z):
    """the (re, im) parts as a real array: comparing them checks where each NaN is"""
    z = np.ascontiguousarray(z)
    return z.view(REAL[z.dtype.type]).reshape(z.shape + (2,))


def _sprinkle(x, rng, frac=0.05):
    """x with a few real or imaginary parts replaced by NaN / +-inf"""
    p = _parts(x).copy()
    flat = p.reshape(-1)
    hit = rng.random(flat.size) < frac
    flat[hit] = rng.choice([NAN, INF, -INF], hit.sum())
    return p.view(x.dtype).reshape(x.shape)


# ---- reductions ---------------------------------------------------------------------------
RED_SHAPES = [(1, 0, 1), (2, 0, 3), (3, 1, 1), (2, 7, 1), (4, 100, 1), (2, 9000, 1), (3, 5, 4),
              (2, 33, 300), (1, 200_000, 1), (1, 200, 1000), (5, 3, 2)]


def _reduce(op, x, idt=np.int64):
    outer, n, inner = x.shape
    arg = op in ("ARGMAX", "ARGMIN")
    y = np.full((outer, inner), 7, idt if arg else x.dtype)
    rc = lib.fnx_reduce(getattr(lib, "FNX_RED_" + op), CODE[x.dtype.type],
                        lib.FNX_INT32 if idt == np.int32 else lib.FNX_INT64, outer, n, inner,
                        _ptr(x), _ptr(y))
    assert rc == 0
    return y


@pytest.mark.parametrize("dt", COMPLEX)
@pytest.mark.parametrize("shape", RED_SHAPES)
def test_sum(dt, shape):
    x = _random(dt, shape)
    ref = x.astype(np.complex128).sum(axis=1)
    scale = np.abs(_parts(x)).astype(np.float64).sum(axis=1)  # (outer, inner, 2)
    bound = 8 * np.finfo(dt).eps * scale + 1e-300
    assert (np.abs(_parts(_reduce("SUM", x)) - _parts(ref)) <= bound).all()


@pytest.mark.parametrize("dt", COMPLEX)
@pytest.mark.parametrize("shape", RED_SHAPES)
def test_prod(dt, shape):
    # unit-magnitude factors keep long products finite
    theta = RNG.uniform(-np.pi, np.pi, shape)
    x = (np.exp(1j * theta) * (1 + 1e-3 * RNG.standard_normal(shape))).astype(dt)
    ref = np.prod(x.astype(np.complex128), axis=1)
    got = _reduce("PROD", x)
    bound = 4 * np.finfo(dt).eps * (shape[1] + 2) * np.maximum(np.abs(ref), 1)
    assert (np.abs(got - ref) <= bound).all()


def _ties_and_nans(dt, shape, rng):
    """small integer parts (many exact ties, in both parts) with a few NaN / inf parts"""
    p = rng.integers(-2, 3, shape + (2,)).astype(REAL[dt])
    x = p.view(dt).reshape(shape)
    return _sprinkle(x, rng, 0.02)


NUMPY_EXTREMES = {"MAX": np.max, "MIN": np.min, "ARGMAX": np.argmax, "ARGMIN": np.argmin}


@pytest.mark.parametrize("dt", COMPLEX)
@pytest.mark.parametrize("shape", RED_SHAPES)
@pytest.mark.parametrize("op", list(NUMPY_EXTREMES))
def test_extremes(dt, shape, op):
    rng = np.random.default_rng(sum(shape))
    # clean data (lexicographic ties) and data with NaN / inf parts (first NaN wins)
    clean = rng.integers(-2, 3, shape + (2,)).astype(REAL[dt]).view(dt).reshape(shape)
    for x in (clean, _ties_and_nans(dt, shape, rng)):
        got = _reduce(op, x)
        if shape[1] == 0:  # numpy raises; fnx gives JAX's identity / index 0
            ident = {"MAX": -INF, "MIN": INF}.get(op, 0)
            np.testing.assert_array_equal(got, np.full(got.shape, ident, got.dtype))
            continue
        ref = NUMPY_EXTREMES[op](x, axis=1)
        if op.startswith("ARG"):
            np.testing.assert_array_equal(got, ref)
        else:
            np.testing.assert_array_equal(_parts(got), _parts(ref))


@pytest.mark.parametrize("dt", COMPLEX)
def test_argmax_int32_index(dt):
    x = _random(dt, (3, 50, 2))
    np.testing.assert_array_equal(_reduce("ARGMAX", x, np.int32), np.argmax(x, axis=1))


@pytest.mark.parametrize("dt", COMPLEX)
def test_sum_nonfinite(dt):
    x = _sprinkle(_random(dt, (4, 300, 3)), np.random.default_rng(1), 0.002)
    ref = x.astype(np.complex128).sum(axis=1).astype(dt)
    np.testing.assert_allclose(_parts(_reduce("SUM", x)), _parts(ref), rtol=1e-5, atol=1e-4,
                               equal_nan=True)


@pytest.mark.parametrize("dt", COMPLEX)
@pytest.mark.parametrize("op", ["AND", "OR"])
def test_reduce_unsupported(dt, op):
    x = _random(dt, (1, 4, 1))
    y = np.zeros(1, dt)
    assert lib.fnx_reduce(getattr(lib, "FNX_RED_" + op), CODE[dt], lib.FNX_INT64, 1, 4, 1,
                          _ptr(x), _ptr(y)) == lib.FNX_ERR_UNSUPPORTED


# ---- cumulative ---------------------------------------------------------------------------
@pytest.mark.parametrize("dt", COMPLEX)
@pytest.mark.parametrize("shape", [(1, 0, 1), (2, 1, 3), (3, 50, 1), (2, 40, 300), (1, 70_000, 2)])
@pytest.mark.parametrize("op", ["SUM", "PROD"])
@pytest.mark.parametrize("reverse", [0, 1])
def test_cumulative(dt, shape, op, reverse):
    if op == "SUM":
        x = _random(dt, shape)
    else:
        theta = RNG.uniform(-np.pi, np.pi, shape)
        x = np.exp(1j * theta).astype(dt)
    y = np.full(shape, 9, dt)
    assert lib.fnx_cumulative(getattr(lib, "FNX_CUM_" + op), CODE[dt], reverse, *shape,
                              _ptr(x), _ptr(y)) == 0
    f = np.cumsum if op == "SUM" else np.cumprod
    src = x[:, ::-1] if reverse else x
    ref = f(src.astype(np.complex128), axis=1)
    ref = ref[:, ::-1] if reverse else ref
    if op == "SUM":  # sequential in the dtype: error grows with the running sum of |x|
        scale = f(np.abs(src).astype(np.float64), axis=1)
        scale = scale[:, ::-1] if reverse else scale
    else:
        scale = np.arange(1, shape[1] + 1)[None, :, None] if shape[1] else np.ones(shape)
        scale = scale[:, ::-1] if reverse else scale
    bound = 4 * np.finfo(dt).eps * scale + 1e-300
    assert (np.abs(y - ref) <= bound).all()


@pytest.mark.parametrize("dt", COMPLEX)
def test_cumulative_nonfinite_and_in_place(dt):
    x = _sprinkle(_random(dt, (2, 30, 3)), np.random.default_rng(2), 0.03)
    with np.errstate(invalid="ignore"):
        ref = np.cumprod(x, axis=1)  # numpy multiplies in the dtype with the same plain formula
    y = x.copy()
    assert lib.fnx_cumulative(lib.FNX_CUM_PROD, CODE[dt], 0, 2, 30, 3, _ptr(y), _ptr(y)) == 0
    np.testing.assert_allclose(_parts(y), _parts(ref), rtol=1e-4, equal_nan=True)


@pytest.mark.parametrize("dt", COMPLEX)
@pytest.mark.parametrize("op", ["MAX", "MIN"])
def test_cumulative_unsupported(dt, op):
    x = _random(dt, (1, 4, 1))
    y = np.zeros_like(x)
    assert lib.fnx_cumulative(getattr(lib, "FNX_CUM_" + op), CODE[dt], 0, 1, 4, 1, _ptr(x),
                              _ptr(y)) == lib.FNX_ERR_UNSUPPORTED


# ---- matmul -------------------------------------------------------------------------------
MM_SHAPES = [(1, 1, 1, 1), (2, 3, 17, 5), (1, 65, 130, 3), (3, 17, 1, 65), (1, 130, 65, 130),
             (2, 5, 7, 0), (1, 1, 130, 17), (1, 3, 3, 200), (1, 200, 150, 100), (8, 9, 33, 20),
             (1, 130, 4, 65), (2, 64, 10, 64)]


def _matmul(a, b, bias=None, act=None):
    batch, m, k = a.shape
    n = b.shape[2]
    c = np.full((batch, m, n), 12345, a.dtype)  # garbage: k == 0 must still write zeros
    if bias is None and act is None:
        rc = lib.fnx_matmul(CODE[a.dtype.type], batch, m, n, k, _ptr(a), _ptr(b), _ptr(c))
    else:
        rc = lib.fnx_matmul_epilogue(CODE[a.dtype.type], batch, m, n, k, _ptr(a), _ptr(b),
                                     ffi.NULL if bias is None else _ptr(bias),
                                     lib.FNX_ACT_NONE if act is None else act, _ptr(c))
    return rc, c


def _check_product(a, b, c, bias=None):
    ref = np.matmul(a.astype(np.complex128), b.astype(np.complex128))
    if bias is not None:
        ref = ref + bias
    scale = np.matmul(np.abs(a).astype(np.float64), np.abs(b).astype(np.float64))
    if bias is not None:
        scale = scale + np.abs(bias)
    bound = 4 * np.finfo(a.dtype).eps * (a.shape[2] + 2) * scale + 1e-300
    assert (np.abs(c - ref) <= bound).all()


@pytest.mark.parametrize("dt", COMPLEX)
@pytest.mark.parametrize("shape", MM_SHAPES)
def test_matmul(dt, shape):
    batch, m, n, k = shape
    a, b = _random(dt, (batch, m, k)), _random(dt, (batch, k, n))
    rc, c = _matmul(a, b)
    assert rc == 0
    _check_product(a, b, c)


@pytest.mark.parametrize("dt", COMPLEX)
@pytest.mark.parametrize("shape", [(1, 3, 17, 5), (2, 65, 130, 3), (1, 4, 6, 0), (2, 40, 33, 70)])
def test_matmul_epilogue_bias(dt, shape):
    batch, m, n, k = shape
    a, b, bias = _random(dt, (batch, m, k)), _random(dt, (batch, k, n)), _random(dt, (n,))
    rc, c = _matmul(a, b, bias)
    assert rc == 0
    _check_product(a, b, c, bias)
    rc, _ = _matmul(a, b, bias, lib.FNX_ACT_RELU)  # no order on complex numbers: no relu
    assert rc == lib.FNX_ERR_UNSUPPORTED


@pytest.mark.parametrize("dt", COMPLEX)
@pytest.mark.parametrize("shape", [(1, 4, 5, 3), (1, 40, 70, 50)])
def test_matmul_nonfinite(dt, shape):
    batch, m, n, k = shape
    rng = np.random.default_rng(3)
    a = _sprinkle(_random(dt, (batch, m, k), rng), rng, 0.02)
    b = _sprinkle(_random(dt, (batch, k, n), rng), rng, 0.02)
    rc, c = _matmul(a, b)
    assert rc == 0
    # the reference sums numpy's plain products: OpenBLAS's zgemm (numpy's `@`) turns some
    # exact infinities into NaN (its kernels mix the parts' products in their own order)
    with np.errstate(invalid="ignore"):
        ref = (a.astype(np.complex128)[:, :, :, None] * b.astype(np.complex128)[:, None]).sum(2)
    got, want = _parts(c).astype(np.float64), _parts(ref)
    assert np.isfinite(got).sum() < got.size  # the case is exercised
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    fin = np.isfinite(want)
    np.testing.assert_allclose(got[fin], want[fin], rtol=1e-3, atol=1e-3)


# ---- scatter and gather -------------------------------------------------------------------
def _scatter_ref(op, out, idx, upd):
    out = out.copy()
    nb, d, _ = out.shape
    for bi in range(nb):
        for i, j in enumerate(idx[bi]):
            if 0 <= j < d:
                if op == "SET":
                    out[bi, j] = upd[bi, i]
                elif op == "ADD":
                    out[bi, j] = out[bi, j] + upd[bi, i]
                else:
                    out[bi, j] = out[bi, j] * upd[bi, i]
    return out


@pytest.mark.parametrize("dt", COMPLEX)
@pytest.mark.parametrize("op", ["SET", "ADD", "MUL"])
@pytest.mark.parametrize("idt", [np.int32, np.int64])
@pytest.mark.parametrize("geom", [(2, 5, 3, 9), (1, 4, 300, 12), (3, 6, 1, 20)])
def test_scatter(dt, op, idt, geom):
    nb, d, nr, ni = geom
    rng = np.random.default_rng(nr)
    out0 = _random(dt, (nb, d, nr), rng)
    idx = rng.integers(-2, d + 3, (nb, ni)).astype(idt)  # duplicates and out-of-range indices
    idx[:, 0] = idx[:, 1] = 1  # a sure duplicate
    upd = _random(dt, (nb, ni, nr), rng)
    out = out0.copy()
    assert lib.fnx_scatter(getattr(lib, "FNX_SCATTER_" + op), CODE[dt],
                           lib.FNX_INT32 if idt == np.int32 else lib.FNX_INT64, nb, d, nr,
                           _ptr(out), ni, _ptr(idx), _ptr(upd)) == 0
    ref = _scatter_ref(op, out0, idx, upd)
    np.testing.assert_allclose(out, ref, rtol=4 * np.finfo(dt).eps, atol=0)


@pytest.mark.parametrize("dt", COMPLEX)
@pytest.mark.parametrize("op", ["MIN", "MAX"])
def test_scatter_unsupported(dt, op):
    out, upd = np.zeros((1, 2, 1), dt), np.ones((1, 1, 1), dt)
    idx = np.zeros((1, 1), np.int64)
    assert lib.fnx_scatter(getattr(lib, "FNX_SCATTER_" + op), CODE[dt], lib.FNX_INT64, 1, 2, 1,
                           _ptr(out), 1, _ptr(idx), _ptr(upd)) == lib.FNX_ERR_UNSUPPORTED


@pytest.mark.parametrize("dt", COMPLEX)
@pytest.mark.parametrize("nr", [1, 3])
def test_gather(dt, nr):
    nb, d, ni = 2, 7, 11
    x = _random(dt, (nb, d, nr))
    idx = RNG.integers(-3, d + 3, (nb, ni)).astype(np.int64)
    out = np.zeros((nb, ni, nr), dt)
    assert lib.fnx_gather(x.itemsize, lib.FNX_INT64, nb, d, nr, _ptr(x), ni, _ptr(idx),
                          _ptr(out)) == 0
    ref = np.stack([x[bi, np.clip(idx[bi], 0, d - 1)] for bi in range(nb)])
    np.testing.assert_array_equal(_parts(out), _parts(ref))


# ---- argsort ------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", COMPLEX)
@pytest.mark.parametrize("n", [0, 1, 5, 16, 17, 100, 1000])
def test_argsort(dt, n):
    rng = np.random.default_rng(n)
    outer = 3
    # parts from a small set: many ties (stability) and every NaN / inf / signed-zero mix
    parts = rng.choice(np.array([0.0, -0.0, 1.0, -1.0, 2.5, NAN, INF, -INF]), (outer, n, 2))
    x = parts.astype(REAL[dt]).view(dt).reshape(outer, n)
    perm = np.full((outer, n), -1, np.int64)
    assert lib.fnx_argsort(CODE[dt], outer, n, _ptr(x),
                           ffi.cast("int64_t *", ffi.from_buffer(perm))) == 0
    np.testing.assert_array_equal(perm, np.argsort(x, axis=1, kind="stable"))


def test_argsort_nan_groups():
    """numpy's order of the NaN-holding values, spelled out"""
    x = np.array([complex(NAN, NAN), complex(1, NAN), complex(NAN, 1), 2 + 2j, complex(NAN, 0),
                  complex(1, NAN), 1 + 1j, complex(NAN, -5), complex(0, NAN)], np.complex128)
    perm = np.empty(x.size, np.int64)
    assert lib.fnx_argsort(lib.FNX_COMPLEX128, 1, x.size, _ptr(x),
                           ffi.cast("int64_t *", ffi.from_buffer(perm))) == 0
    np.testing.assert_array_equal(perm, [6, 3, 8, 1, 5, 7, 4, 2, 0])
    np.testing.assert_array_equal(perm, np.argsort(x, kind="stable"))
