"""fnx.numpy's numeric helpers against numpy: differences (diff, ediff1d, gradient),
integration (trapezoid), interpolation (interp), 1-d convolution (convolve, correlate),
covariance (cov, corrcoef), polynomials (polyval, polyfit, polyadd/sub/mul, polyder, polyint,
roots, poly, vander) and binning (bincount, digitize, histogram, histogram_bin_edges,
histogram2d, histogramdd).

Values on hypothesis-drawn inputs over fnx's dtypes (fnx's documented result dtypes: integer
inputs of float functions give float32 where numpy gives float64), derivatives by finite
differences (check_grads), jit against eager and vmap against a Python loop for every function
whose output shape is static, and the errors (each naming the function).
"""
import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx.errors import ConcretizationTypeError
from fnx.test_util import check_grads

RNG = np.random.default_rng(0)
INTS = ["int8", "int32", "int64", "uint8", "uint32"]
FLOATS = ["float32", "float64"]
COMPLEX = ["complex64", "complex128"]
ALL = ["bool"] + INTS + FLOATS + COMPLEX


def elements(dtype, nan=False, bound=100):
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return st.booleans()
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return st.integers(max(int(info.min), -bound), min(int(info.max), bound))
    if dt.kind == "f":
        finite = st.floats(-bound, bound, width=dt.itemsize * 8)
        return finite | st.just(np.nan) if nan else finite
    return st.complex_numbers(max_magnitude=bound, allow_nan=False, allow_infinity=False,
                              width=dt.itemsize * 8)


def arrays(dtype, shape, nan=False, bound=100):
    return hnp.arrays(np.dtype(dtype), shape, elements=elements(dtype, nan, bound))


def inexact(dtype):
    """fnx's inexact result dtype of a float function on ``dtype``."""
    dt = np.dtype(dtype)
    return dt if dt.kind in "fc" else np.dtype("float32")


def tol(dtype):
    return 2e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-9


def close(got, want, dtype=None, rtol=None, atol=None):
    """fnx ``got`` against numpy ``want``: shape, dtype (``dtype``, default numpy's) and
    values (NaN where numpy has NaN)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    dt = np.dtype(dtype) if dtype is not None else want.dtype
    assert got.dtype == dt, (got.dtype, dt)
    if dt.kind in "biu":
        np.testing.assert_array_equal(got, want)
        return
    r = tol(dt) if rtol is None else rtol
    a = r * (1 + np.nanmax(np.abs(want), initial=0.0)) if atol is None else atol
    np.testing.assert_allclose(got.astype(want.dtype), want, rtol=r, atol=a)


def leaves(x):
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in leaves(item)]
    return [x]


# ---------------------------------------------------------------------------------------------
# Differences and integration
# ---------------------------------------------------------------------------------------------

@st.composite
def diff_case(draw):
    dtype = draw(st.sampled_from(ALL))
    shape = tuple(draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5)))
    x = draw(arrays(dtype, shape, nan=True, bound=10 ** 6))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    n = draw(st.integers(0, 3))
    extra = {}
    for key in ("prepend", "append"):
        kind = draw(st.sampled_from([None, "scalar", "slab"]))
        if kind == "scalar":
            extra[key] = np.array(draw(elements(dtype)), dtype)
        elif kind == "slab":
            s = list(shape)
            s[axis] = draw(st.integers(0, 2))
            extra[key] = draw(arrays(dtype, tuple(s)))
    return x, n, axis, extra


@settings(max_examples=40)
@given(diff_case())
@example((np.array([100, -100, 5], np.int8), 1, 0, {}))           # wraps in int8, as numpy
@example((np.array([True, False, False]), 2, -1, {"append": np.array(True)}))
def test_diff_matches_numpy(case):
    x, n, axis, extra = case
    close(fnp.diff(x, n, axis, **extra), np.diff(x, n, axis, **extra))


@settings(max_examples=20)
@given(st.sampled_from(INTS + FLOATS + COMPLEX), st.data())
def test_ediff1d_matches_numpy(dtype, data):
    x = data.draw(arrays(dtype, tuple(data.draw(hnp.array_shapes(min_dims=0, max_dims=2,
                                                                 min_side=0, max_side=4)))))
    begin = data.draw(st.sampled_from([None, np.array([1, 2], dtype), np.array(3, dtype)]))
    end = data.draw(st.sampled_from([None, np.array(7, dtype)]))
    close(fnp.ediff1d(x, to_end=end, to_begin=begin), np.ediff1d(x, to_end=end, to_begin=begin))


@st.composite
def gradient_case(draw):
    dtype = draw(st.sampled_from(INTS + FLOATS + COMPLEX))
    edge = draw(st.sampled_from([1, 2]))
    shape = tuple(draw(st.lists(st.integers(edge + 1, 5), min_size=1, max_size=3)))
    f = draw(arrays(dtype, shape))
    axis = draw(st.sampled_from([None] + list(range(-len(shape), len(shape)))))
    axes = list(range(len(shape))) if axis is None else [axis % len(shape)]
    kind = draw(st.sampled_from(["none", "scalar", "each"]))
    if kind == "none":
        spacing = ()
    elif kind == "scalar":
        spacing = (draw(st.floats(0.25, 4)),)
    else:
        spacing = []
        for ax in axes:
            if draw(st.booleans()):
                spacing.append(draw(st.floats(0.25, 4)))
            else:
                steps = draw(hnp.arrays(np.float64, shape[ax] - 1, elements=st.floats(0.5, 2)))
                spacing.append(np.concatenate([[draw(st.floats(-3, 3))], steps]).cumsum())
        spacing = tuple(spacing)
    return f, spacing, axis, edge


@settings(max_examples=40)
@given(gradient_case())
def test_gradient_matches_numpy(case):
    f, spacing, axis, edge = case
    got = fnp.gradient(f, *spacing, axis=axis, edge_order=edge)
    want = np.gradient(f, *spacing, axis=axis, edge_order=edge)
    assert isinstance(got, tuple) == isinstance(want, tuple)
    for g, w in zip(leaves(got), leaves(want)):
        close(g, w, inexact(f.dtype), rtol=tol(inexact(f.dtype)) * 10)


@settings(max_examples=30)
@given(st.sampled_from(INTS + FLOATS + COMPLEX), st.data())
def test_trapezoid_matches_numpy(dtype, data):
    shape = tuple(data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5)))
    y = data.draw(arrays(dtype, shape))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    kind = data.draw(st.sampled_from(["dx", "x1", "xfull"]))
    if kind == "dx":
        kw = {"dx": data.draw(st.floats(0.1, 3))}
    elif kind == "x1":
        kw = {"x": data.draw(arrays("float64", (shape[axis],)))}
    else:
        kw = {"x": data.draw(arrays("float64", shape))}
    # numpy adds integer samples in their dtype (int8 wraps); fnx promotes first (jax.numpy)
    want = np.trapezoid(y.astype(np.float64) if dtype in INTS else y, axis=axis, **kw)
    dt = inexact(dtype) if kind == "dx" else np.promote_types(inexact(dtype), np.float64)
    close(fnp.trapezoid(y, axis=axis, **kw), want, dt, rtol=tol(inexact(dtype)))


# ---------------------------------------------------------------------------------------------
# interp, convolve, correlate
# ---------------------------------------------------------------------------------------------

@st.composite
def interp_case(draw):
    dtype = draw(st.sampled_from(FLOATS))
    n = draw(st.integers(1, 7))
    xp = np.sort(np.unique(draw(hnp.arrays(dtype, n, elements=elements(dtype, bound=10)))))
    fdt = draw(st.sampled_from([dtype, "complex128" if dtype == "float64" else "complex64"]))
    fp = draw(arrays(fdt, xp.shape))
    x = draw(arrays(dtype, tuple(draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=6))),
                    nan=True, bound=12))
    x = np.where(draw(hnp.arrays(bool, x.shape)), xp[draw(st.integers(0, xp.size - 1))], x)
    kw = {}
    if draw(st.booleans()):
        kw["left"] = draw(st.floats(-5, 5))
        kw["right"] = draw(st.floats(-5, 5))
    return x.astype(dtype), xp, fp, kw


@settings(max_examples=40)
@given(interp_case())
def test_interp_matches_numpy(case):
    x, xp, fp, kw = case
    want = np.interp(x, xp, fp, **kw)
    dt = np.result_type(x.dtype, xp.dtype, fp.dtype)
    close(fnp.interp(x, xp, fp, **kw), want, dt, rtol=tol(dt) * 10)


@pytest.mark.parametrize("period", [360.0, -2.5])
def test_interp_periodic_matches_numpy(period):
    xp = RNG.uniform(-400, 400, 7)
    fp = RNG.normal(size=7)
    x = RNG.uniform(-800, 800, (3, 4))
    close(fnp.interp(x, xp, fp, period=period), np.interp(x, xp, fp, period=period))


@st.composite
def conv_case(draw):
    dtype = draw(st.sampled_from(["bool", "int8", "uint8", "int32", "int64", "uint32"]
                                 + FLOATS + COMPLEX))
    a = draw(arrays(dtype, draw(st.integers(1, 9)), bound=1000))
    v = draw(arrays(dtype, draw(st.integers(1, 9)), bound=1000))
    return a, v, draw(st.sampled_from(["full", "same", "valid"]))


@settings(max_examples=60)
@given(conv_case())
def test_convolve_correlate_match_numpy(case):
    a, v, mode = case
    close(fnp.convolve(a, v, mode), np.convolve(a, v, mode))
    close(fnp.correlate(a, v, mode), np.correlate(a, v, mode))


def test_convolve_long_inputs():
    a, v = RNG.normal(size=3000), RNG.normal(size=257)
    for mode in ("full", "same", "valid"):
        close(fnp.convolve(a, v, mode), np.convolve(a, v, mode), rtol=1e-10)
        close(fnp.correlate(v, a, mode), np.correlate(v, a, mode), rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# cov, corrcoef
# ---------------------------------------------------------------------------------------------

@st.composite
def cov_case(draw):
    dtype = draw(st.sampled_from(["int32", "uint8"] + FLOATS + COMPLEX))
    nvar, nobs = draw(st.integers(1, 4)), draw(st.integers(2, 6))
    rowvar = draw(st.booleans())
    shape = (nvar, nobs) if rowvar else (nobs, nvar)
    m = draw(arrays(dtype, shape if draw(st.booleans()) or nvar > 1 else (nobs,), bound=10))
    y = draw(st.none() | arrays(dtype, shape, bound=10))
    kw = {"rowvar": rowvar}
    choice = draw(st.sampled_from(["plain", "bias", "ddof", "weights"]))
    if choice == "bias":
        kw["bias"] = True
    elif choice == "ddof":
        kw["ddof"] = draw(st.integers(0, min(2, nobs - 1)))   # fact <= 0: test_cov_degenerate
    elif choice == "weights":
        kw["fweights"] = draw(hnp.arrays(np.int64, nobs, elements=st.integers(1, 3)))
        kw["aweights"] = draw(hnp.arrays(np.float64, nobs, elements=st.floats(0.5, 2)))
    return m, y, kw


@settings(max_examples=40)
@given(cov_case())
def test_cov_corrcoef_match_numpy(case):
    m, y, kw = case
    if m.ndim == 1 and y is not None and not kw["rowvar"]:
        y = y.T
    want = np.cov(m, y, **kw)
    dt = inexact(m.dtype)              # weights are cast to the data's real dtype
    close(fnp.cov(m, y, **kw), want, dt, rtol=tol(dt) * 10)
    if np.min(np.abs(np.diagonal(np.atleast_2d(want)))) < 1e-3:
        return      # (nearly) constant variables: numpy's correlation is rounding noise
    with np.errstate(all="ignore"):
        want = np.corrcoef(m, y, rowvar=kw["rowvar"])
    close(fnp.corrcoef(m, y, rowvar=kw["rowvar"]), want, inexact(m.dtype),
          rtol=tol(dt) * 100, atol=tol(dt) * 100)


def test_cov_degenerate_cases():
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        want = np.cov(np.ones((2, 1)))
    close(fnp.cov(np.ones((2, 1))), want)                       # ddof >= nobs: inf / NaN
    assert fnp.cov(np.zeros((0, 3))).shape == (0, 0)
    close(fnp.corrcoef(np.array([1.0, 2.0, 4.0])), np.corrcoef(np.array([1.0, 2.0, 4.0])))


# ---------------------------------------------------------------------------------------------
# Polynomials
# ---------------------------------------------------------------------------------------------

@settings(max_examples=30)
@given(st.sampled_from(INTS + FLOATS + COMPLEX), st.data())
def test_polyval_and_arithmetic_match_numpy(dtype, data):
    p = data.draw(arrays(dtype, data.draw(st.integers(1, 5)), bound=5))
    q = data.draw(arrays(dtype, data.draw(st.integers(1, 5)), bound=5))
    x = data.draw(arrays(dtype, tuple(data.draw(hnp.array_shapes(min_dims=0, max_dims=2,
                                                                 max_side=4))), bound=3))
    close(fnp.polyval(p, x), np.polyval(p, x))
    close(fnp.polyadd(p, q), np.polyadd(p, q))
    close(fnp.polysub(p, q), np.polysub(p, q))
    # numpy's polymul trims leading zeros (poly1d): fnx only with trim_leading_zeros
    close(fnp.polymul(p, q, trim_leading_zeros=True), np.polymul(p, q))
    close(fnp.polymul(p, q), np.convolve(p, q))
    m = data.draw(st.integers(0, 5))
    # derivative: p times default-int powers (numpy's int64, fnx's int32)
    close(fnp.polyder(p, m), np.polyder(p, m),
          p.dtype if m == 0 else fnp.result_type(p.dtype, fnp.int32))
    k = data.draw(st.sampled_from([None, 2.0, list(range(1, m + 1))]))
    if k != [] and dtype not in INTS:
        close(fnp.polyint(p, m, k), np.polyint(p, m, k), inexact(dtype))
    n, inc = data.draw(st.integers(0, 4)), data.draw(st.booleans())
    close(fnp.vander(x.ravel(), n, inc), np.vander(x.ravel(), n, inc),
          "int32" if dtype == "bool" else dtype)


@pytest.mark.parametrize("dtype", ["int32", "float32", "float64", "complex128"])
@pytest.mark.parametrize("n", [0, 1, 4])
@pytest.mark.parametrize("increasing", [False, True])
def test_vander_matches_numpy(dtype, n, increasing):
    x = (RNG.integers(-3, 4, 5)).astype(dtype)
    # the result keeps x's dtype (jax.numpy; numpy widens to int64 / float64)
    close(fnp.vander(x, n, increasing), np.vander(x, n, increasing), x.dtype)
    if n == 4:
        close(fnp.vander(x, increasing=increasing), np.vander(x, increasing=increasing),
              x.dtype)


@settings(max_examples=25)
@given(st.data())
def test_polyfit_matches_numpy(data):
    n = data.draw(st.integers(2, 9))
    x = np.linspace(-1, 1, n) + data.draw(hnp.arrays(np.float64, n, elements=st.floats(0, .05)))
    deg = data.draw(st.integers(0, n - 1))
    y = data.draw(hnp.arrays(np.float64, data.draw(st.sampled_from([(n,), (n, 3)])),
                             elements=st.floats(-10, 10)))
    w = data.draw(st.none() | hnp.arrays(np.float64, n, elements=st.floats(0.5, 2)))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = np.polyfit(x, y, deg, w=w, full=True)
    got = fnp.polyfit(x, y, deg, w=w, full=True)
    close(got[0], want[0], rtol=1e-6, atol=1e-6 * (1 + np.abs(want[0]).max()))
    close(got[3], want[3], rtol=1e-8)
    assert int(got[2]) == want[2]
    if n > deg + 1:
        close(got[1], want[1], rtol=1e-6, atol=1e-6 * (1 + np.abs(y).max() ** 2))
        for mode in (True, "unscaled"):
            gc, wc = fnp.polyfit(x, y, deg, w=w, cov=mode), np.polyfit(x, y, deg, w=w, cov=mode)
            close(gc[1], wc[1], rtol=1e-6, atol=1e-6 * (1 + np.abs(wc[1]).max()))


@pytest.mark.parametrize("p", [[1.0, -6.0, 11.0, -6.0], [0.0, 0.0, 1.0, 0.0, 1.0],
                               [2.0, -4.0], [3.0], [0.0, 0.0], [1.0, 0.0, 0.0], [1, 2, 5],
                               [1.0, 0.0, 0.0, 0.0, -1.0]])
def test_roots_and_poly_match_numpy(p):
    got = np.sort_complex(np.asarray(fnp.roots(p)))
    want = np.sort_complex(np.roots(p).astype(complex))
    assert np.asarray(fnp.roots(p)).dtype.kind == "c"        # complex always (jax.numpy)
    close(got, want, got.dtype, rtol=1e-6, atol=1e-6)
    if want.size:
        close(np.real(fnp.poly(want)), np.real(np.poly(want)), rtol=1e-9)
    m = RNG.normal(size=(3, 3))
    close(np.real(fnp.poly(m)), np.poly(m), rtol=1e-9)
    close(fnp.poly([1, 2, 3]), np.poly([1, 2, 3]), "float32")


def test_roots_traced_needs_strip_zeros_false():
    p = np.array([1.0, -3.0, 2.0])
    with pytest.raises(ConcretizationTypeError, match="roots"):
        fnx.jit(fnp.roots)(p)
    got = fnx.jit(lambda q: fnp.roots(q, strip_zeros=False))(p)
    close(np.sort_complex(np.asarray(got)), np.array([1.0, 2.0], complex), rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# bincount, digitize, histograms
# ---------------------------------------------------------------------------------------------

@settings(max_examples=30)
@given(st.sampled_from(["bool", "int8", "uint8", "int32", "int64", "uint32"]), st.data())
def test_bincount_matches_numpy(dtype, data):
    x = data.draw(hnp.arrays(dtype, data.draw(st.integers(0, 12)),
                             elements=st.integers(0, 9) if dtype != "bool" else st.booleans()))
    minlength = data.draw(st.integers(0, 12))
    w = data.draw(st.none() | arrays(data.draw(st.sampled_from(FLOATS + ["int32"])), x.shape))
    want = np.bincount(x, w, minlength)
    got = fnp.bincount(x, w, minlength)
    close(got, want, "int32" if w is None else inexact(w.dtype))
    length = data.draw(st.integers(0, 12))
    got = fnx.jit(lambda a, b: fnp.bincount(a, b, length=length))(x, w)
    want = np.bincount(x, w, length)[:length]
    close(got, want, "int32" if w is None else inexact(w.dtype))


@settings(max_examples=30)
@given(st.sampled_from(INTS + FLOATS), st.data())
def test_digitize_matches_numpy(dtype, data):
    bins = np.sort(data.draw(arrays(dtype, data.draw(st.integers(0, 6)), bound=20)))
    if data.draw(st.booleans()):
        bins = bins[::-1]
    x = data.draw(arrays(dtype, tuple(data.draw(hnp.array_shapes(min_dims=0, max_dims=2,
                                                                 max_side=5))),
                         nan=True, bound=25))
    right = data.draw(st.booleans())
    want = np.digitize(x, bins, right)
    close(fnp.digitize(x, bins, right), want, "int32")
    if bins.size:
        close(fnx.jit(lambda u, b: fnp.digitize(u, b, right))(x, bins), want, "int32")


@st.composite
def hist_case(draw):
    dtype = draw(st.sampled_from(["int8", "int32", "uint8"] + FLOATS))
    a = draw(arrays(dtype, tuple(draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0,
                                                       max_side=8))), bound=20))
    kind = draw(st.sampled_from(["int", "edges"]))
    if kind == "int":
        bins = draw(st.integers(1, 6))
    else:
        bins = np.unique(draw(hnp.arrays(np.float64, draw(st.integers(2, 5)),
                                         elements=st.floats(-25, 25))))
        if bins.size < 2:
            bins = np.array([-1.0, 1.0])
    rng = None
    if draw(st.booleans()):
        lo = draw(st.floats(-25, 25))
        rng = (lo, lo + draw(st.floats(0, 20)))
    w = draw(st.none() | arrays(draw(st.sampled_from(["float64", "int32"])), a.shape))
    return a, bins, rng, w, draw(st.booleans())


@settings(max_examples=50)
@given(hist_case())
@example((np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]), 10, None, None,
          False))                                      # values on edges (rounding near them)
def test_histogram_matches_numpy(case):
    a, bins, rng, w, density = case
    with np.errstate(all="ignore"):
        want_h, want_e = np.histogram(a, bins, rng, weights=w, density=density)
    got_h, got_e = fnp.histogram(a, bins, rng, weights=w, density=density)
    edt = want_e.dtype if np.ndim(bins) else (inexact(a.dtype) if rng is None or
                                              a.dtype == np.float64 else
                                              np.result_type(inexact(a.dtype), 1.0))
    close(got_e, want_e, edt)
    if density:
        close(got_h, want_h, np.result_type(got_h.dtype), rtol=1e-5)
    else:
        close(got_h, want_h, "int32" if w is None else w.dtype)
    close(fnp.histogram_bin_edges(a, bins, rng), want_e, edt)


def test_histogram_string_bins_and_jit():
    a = RNG.normal(size=100)
    close(fnp.histogram_bin_edges(a, "auto"), np.histogram_bin_edges(a, "auto"))
    b = a > 0.3
    with pytest.warns(RuntimeWarning):
        want = np.histogram(b, 3)                    # numpy counts booleans as uint8
    for g, w in zip(fnp.histogram(b, 3), want):
        close(g, w, "int32" if w.dtype.kind == "i" else "float32")
    h, e = fnx.jit(lambda x: fnp.histogram(x, 7))(a)
    wh, we = np.histogram(a, 7)
    close(h, wh, "int32")
    close(e, we)
    with pytest.raises(ConcretizationTypeError, match="histogram"):
        fnx.jit(lambda x: fnp.histogram(x, "auto"))(a)


@settings(max_examples=25)
@given(st.data())
def test_histogram2d_dd_match_numpy(data):
    n = data.draw(st.integers(0, 12))
    d = data.draw(st.integers(1, 3))
    s = data.draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-5, 5)))
    bins = [data.draw(st.integers(1, 4) | st.just(np.array([-4.0, -1.0, 0.0, 3.0])))
            for _ in range(d)]
    rng = [data.draw(st.none() | st.just((-2.0, 2.0))) for _ in range(d)]
    w = data.draw(st.none() | hnp.arrays(np.float64, n, elements=st.floats(0, 3)))
    density = data.draw(st.booleans()) and n > 0
    with np.errstate(all="ignore"):
        wh, we = np.histogramdd(s, bins, rng, density=density, weights=w)
    gh, ge = fnp.histogramdd(s, bins, rng, density=density, weights=w)
    close(gh, wh, rtol=1e-9)
    for g, e in zip(ge, we):
        close(g, e)
    if d == 2:
        with np.errstate(all="ignore"):
            want = np.histogram2d(s[:, 0], s[:, 1], bins, rng, density, w)
        got = fnp.histogram2d(s[:, 0], s[:, 1], bins, rng, density, w)
        for g, e in zip(got, want):
            close(g, e, rtol=1e-9)


# ---------------------------------------------------------------------------------------------
# Derivatives (finite differences, both modes)
# ---------------------------------------------------------------------------------------------

X = RNG.normal(size=(4, 5))
COORDS = np.cumsum(RNG.uniform(0.5, 1.5, 5))
XP = np.sort(RNG.uniform(-2, 2, 6))
FP = RNG.normal(size=6)
XQ = RNG.uniform(-1.8, 1.8, 7)

GRAD_CASES = {
    "diff": (lambda a: fnp.diff(a, 2, axis=0, append=a[:1]), (X,)),
    "gradient": (lambda a, c: fnp.gradient(a, c, axis=1, edge_order=2), (X, COORDS)),
    "gradient_uniform": (lambda a: fnp.gradient(a, 0.5)[0], (X,)),
    "trapezoid": (lambda a, c: fnp.trapezoid(a, c), (X, COORDS)),
    "interp_fp": (lambda f: fnp.interp(XQ, XP, f), (FP,)),
    "interp_x": (lambda x: fnp.interp(x, XP, FP), (XQ,)),
    "interp_xp": (lambda xp: fnp.interp(XQ, xp, FP), (XP,)),
    "convolve": (lambda a, v: fnp.convolve(a, v, "same"), (X[0], X[1, :3])),
    "correlate": (lambda a, v: fnp.correlate(a, v, "full"), (X[0, :2], X[1])),
    "correlate_complex": (lambda a, v: fnp.real(fnp.correlate(a * (1 + 2j), v * 1j, "valid")),
                          (X[0], X[1, :3])),
    "polyval": (lambda p, x: fnp.polyval(p, x), (X[0], X[1])),
    "polyfit": (lambda x, y: fnp.polyfit(x, y, 2), (X[0], X[1])),
    "cov": (lambda m, w: fnp.cov(m, aweights=w), (X, np.abs(X[0]) + 1)),
    "corrcoef": (lambda m: fnp.corrcoef(m), (X,)),
    "histogram_weights": (lambda w: fnp.histogram(X, 5, weights=w, density=True)[0], (X + 2,)),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_grads(name):
    f, args = GRAD_CASES[name]
    check_grads(f, tuple(np.asarray(a, np.float64) for a in args), order=1)


# ---------------------------------------------------------------------------------------------
# jit == eager, vmap == Python loop
# ---------------------------------------------------------------------------------------------

B = 3
XB = RNG.normal(size=(B, 4, 5))
STATIC_CASES = {
    "diff": (lambda a: fnp.diff(a, 2, prepend=0.0), (XB,)),
    "ediff1d": (lambda a: fnp.ediff1d(a, to_begin=1.0), (XB,)),
    "gradient": (lambda a: fnp.gradient(a, 2.0, COORDS, edge_order=2), (XB,)),
    "trapezoid": (lambda a, c: fnp.trapezoid(a, c, axis=-1), (XB, XB[:, 0])),
    "interp": (lambda x, f: fnp.interp(x, XP, f, left=0.0), (XB[:, 0], RNG.normal(size=(B, 6)))),
    "convolve": (lambda a, v: fnp.convolve(a, v), (XB[:, 0], XB[:, 1, :3])),
    "correlate": (lambda a, v: fnp.correlate(a, v, "same"), (XB[:, 0, :2], XB[:, 1])),
    "cov": (lambda m: fnp.cov(m), (XB,)),
    "corrcoef": (lambda m: fnp.corrcoef(m, rowvar=False), (XB,)),
    "polyval": (lambda p, x: fnp.polyval(p, x), (XB[:, 0], XB[:, 1])),
    "polyfit": (lambda x, y: fnp.polyfit(x, y, 2), (XB[:, 0], XB[:, 1])),
    "polyadd": (lambda a, b: fnp.polyadd(a, b[:3]), (XB[:, 0], XB[:, 1])),
    "polysub": (lambda a, b: fnp.polysub(a[:2], b), (XB[:, 0], XB[:, 1])),
    "polymul": (lambda a, b: fnp.polymul(a, b[:3]), (XB[:, 0], XB[:, 1])),
    "polyder": (lambda p: fnp.polyder(p, 2), (XB[:, 0],)),
    "polyint": (lambda p: fnp.polyint(p, 2, k=[1.0, 2.0]), (XB[:, 0],)),
    "roots": (lambda p: fnp.sort_complex(fnp.roots(p, strip_zeros=False)), (XB[:, 0],)),
    "poly": (lambda r: fnp.poly(r), (XB[:, 0],)),
    "vander": (lambda x: fnp.vander(x, 4), (XB[:, 0],)),
    "bincount": (lambda x, w: fnp.bincount(x, w, length=6),
                 (RNG.integers(0, 8, (B, 10)), RNG.normal(size=(B, 10)))),
    "digitize": (lambda x, b: fnp.digitize(x, b), (XB, np.sort(XB[:, 0], axis=-1))),
    "histogram": (lambda a, w: fnp.histogram(a, 4, weights=w), (XB, XB ** 2)),
    "histogram_edges": (lambda a: fnp.histogram(a, np.array([-1.0, 0.0, 0.5, 2.0])), (XB,)),
    "histogram_bin_edges": (lambda a: fnp.histogram_bin_edges(a, 5, (-1.0, 1.0)), (XB,)),
    "histogram2d": (lambda x, y: fnp.histogram2d(x, y, 3), (XB[:, 0], XB[:, 1])),
    "histogramdd": (lambda s: fnp.histogramdd(s, (2, 3), density=True), (XB[:, :, :2],)),
}


@pytest.mark.parametrize("name", sorted(STATIC_CASES))
def test_jit_and_vmap(name):
    f, args = STATIC_CASES[name]
    first = tuple(a[0] for a in args)
    eager = leaves(f(*first))
    for g, e in zip(leaves(fnx.jit(f)(*first)), eager):
        close(g, np.asarray(e), rtol=1e-12)
    batched = leaves(fnx.vmap(f)(*args))
    for i in range(B):
        loop = leaves(f(*(a[i] for a in args)))
        for g, e in zip(batched, loop):
            close(np.asarray(g)[i], np.asarray(e), rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

ERROR_CASES = [
    ("diff", lambda: fnp.diff(np.ones(3), -1), ValueError, "non-negative"),
    ("diff", lambda: fnp.diff(np.float64(1.0)), ValueError, "at least one dimensional"),
    ("diff", lambda: fnp.diff(np.ones(3), axis=1), Exception, "axis 1"),
    ("ediff1d", lambda: fnp.ediff1d(np.ones(3, np.int32), to_end=0.5), TypeError, "same_kind"),
    ("gradient", lambda: fnp.gradient(np.ones(2), edge_order=2), ValueError, "too small"),
    ("gradient", lambda: fnp.gradient(np.ones(4), edge_order=3), ValueError, "edge_order"),
    ("gradient", lambda: fnp.gradient(np.ones((3, 3)), 1.0, 2.0, 3.0), TypeError, "arguments"),
    ("gradient", lambda: fnp.gradient(np.ones(3), np.ones(4)), ValueError, "match the length"),
    ("gradient", lambda: fnp.gradient(np.ones(3), np.ones((3, 1))), ValueError, "scalars or 1d"),
    ("trapezoid", lambda: fnp.trapezoid(np.ones(3), np.ones(4)), ValueError, "length 4"),
    ("interp", lambda: fnp.interp(1.0, [], []), ValueError, "empty"),
    ("interp", lambda: fnp.interp(1.0, [1, 2], [1, 2, 3]), ValueError, "same length"),
    ("interp", lambda: fnp.interp(1.0, [[1, 2]], [[1, 2]]), ValueError, "1-d"),
    ("interp", lambda: fnp.interp(1.0, [1, 2], [1, 2], period=0), ValueError, "period"),
    ("interp", lambda: fnp.interp(1j, [1, 2], [1, 2]), TypeError, "real"),
    ("convolve", lambda: fnp.convolve(np.ones(3), np.ones(0)), ValueError, "v cannot be empty"),
    ("convolve", lambda: fnp.convolve(np.ones((2, 2)), np.ones(2)), ValueError, "1-dim"),
    ("correlate", lambda: fnp.correlate(np.ones(3), np.ones(2), "middle"), ValueError, "mode"),
    ("cov", lambda: fnp.cov(np.ones((2, 2, 2))), ValueError, "more than 2"),
    ("cov", lambda: fnp.cov(np.ones((2, 3)), fweights=[1, 2]), ValueError, "incompatible"),
    ("cov", lambda: fnp.cov(np.ones((2, 3)), fweights=[1, 1.5, 2]), TypeError, "integer"),
    ("cov", lambda: fnp.cov(np.ones((2, 3)), aweights=[1, -1, 2]), ValueError, "negative"),
    ("cov", lambda: fnp.cov(np.ones((2, 3)), np.ones((2, 4))), ValueError, "observations"),
    ("polyval", lambda: fnp.polyval(np.float64(1.0), 2.0), TypeError, "coefficients"),
    ("polyfit", lambda: fnp.polyfit([1.0, 2.0], [1.0, 2.0], -1), ValueError, "deg"),
    ("polyfit", lambda: fnp.polyfit([[1.0]], [1.0], 1), TypeError, "1D vector"),
    ("polyfit", lambda: fnp.polyfit([1.0, 2.0], [1.0], 1), TypeError, "same length"),
    ("polyfit", lambda: fnp.polyfit([1.0, 2.0], [1.0, 2.0], 1, w=[1.0]), TypeError, "w and y"),
    ("polyfit", lambda: fnp.polyfit([1.0, 2.0], [1.0, 2.0], 1, cov=True), ValueError, "exceed"),
    ("polyder", lambda: fnp.polyder([1, 2], -1), ValueError, "positive"),
    ("polyint", lambda: fnp.polyint([1, 2], 3, k=[1, 2]), ValueError, "length 1 or >m"),
    ("roots", lambda: fnp.roots(np.ones((2, 2))), ValueError, "rank-1"),
    ("poly", lambda: fnp.poly(np.ones((2, 3))), ValueError, "square"),
    ("vander", lambda: fnp.vander(np.ones((2, 2))), ValueError, "one-dimensional"),
    ("vander", lambda: fnp.vander(np.ones(2), -1), ValueError, "non-negative"),
    ("bincount", lambda: fnp.bincount([0, -1]), ValueError, "negative"),
    ("bincount", lambda: fnp.bincount([0.5]), TypeError, "integers"),
    ("bincount", lambda: fnp.bincount([[0]]), ValueError, "1-dimensional"),
    ("bincount", lambda: fnp.bincount([0, 1], minlength=-1), ValueError, "minlength"),
    ("bincount", lambda: fnp.bincount([0, 1], [1.0]), ValueError, "same length"),
    ("bincount", lambda: fnx.jit(fnp.bincount)(np.array([0, 1])), ConcretizationTypeError,
     "length="),
    ("digitize", lambda: fnp.digitize([1.0], [1.0, 3.0, 2.0]), ValueError, "monotonically"),
    ("digitize", lambda: fnp.digitize([1j], [1.0, 2.0]), TypeError, "complex"),
    ("histogram", lambda: fnp.histogram([1.0, 2.0], 0), ValueError, "positive"),
    ("histogram", lambda: fnp.histogram([1.0, 2.0], 2.5), TypeError, "integer"),
    ("histogram", lambda: fnp.histogram([1.0, 2.0], [2.0, 1.0]), ValueError, "monotonically"),
    ("histogram", lambda: fnp.histogram([1.0, 2.0], [[1.0, 2.0]]), ValueError, "1d"),
    ("histogram", lambda: fnp.histogram([1.0, 2.0], range=(2, 1)), ValueError, "larger"),
    ("histogram", lambda: fnp.histogram([1.0, np.nan]), ValueError, "not finite"),
    ("histogram", lambda: fnp.histogram([1.0, 2.0], weights=[1.0]), ValueError, "same shape"),
    ("histogram", lambda: fnp.histogram([1.0, 2.0], "auto", weights=[1.0, 1.0]), TypeError,
     "weighted"),
    ("histogram", lambda: fnp.histogram(np.array([1j])), TypeError, "complex"),
    ("histogramdd", lambda: fnp.histogramdd(np.ones((3, 2)), (2, 2, 2)), ValueError,
     "dimension of bins"),
    ("histogram2d", lambda: fnp.histogram2d([1.0], [1.0, 2.0]), ValueError, "one length"),
]


@pytest.mark.parametrize("name,call,exc,match", ERROR_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(ERROR_CASES)])
def test_errors_name_the_function(name, call, exc, match):
    with pytest.raises(exc, match=match) as info:
        call()
    assert name in str(info.value)


def test_gradient_python_spacing_keeps_float64_precision():
    # found merging: a Python spacing became a weak float32 array before the cast to float64,
    # so 1 / 1.4102105412574013 was off in the 8th digit
    for dt in (np.float64, np.complex128):
        a = np.array([0, 1], dt)
        got = np.asarray(fnp.gradient(fnp.asarray(a), 1.4102105412574013))
        np.testing.assert_array_equal(got, np.gradient(a, 1.4102105412574013))


def test_digitize_and_histogram_unsigned_decreasing_bins():
    # found by the fresh-clone run (a newer hypothesis drew it): np.diff of uint8 bins [1, 1, 0]
    # wraps to [0, 255], so decreasing unsigned bins were taken as increasing
    x = np.array([0, 1, 2], np.uint8)
    for bins in (np.array([1, 1, 0], np.uint8), np.array([2, 0], np.uint32)):
        for right in (False, True):
            close(fnp.digitize(x, bins, right), np.digitize(x, bins, right), "int32")
        with pytest.raises(ValueError, match="monotonically"):
            fnp.histogram(x, bins)
