"""fnx.numpy's data-dependent-size functions (nonzero family, unique, set operations) with and
without size=, isin, partition, the NaN statistics and packbits/unpackbits, against numpy."""
import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx.errors import ConcretizationTypeError
from fnx.test_util import check_grads

DTYPES = [np.bool_, np.int8, np.int32, np.int64, np.uint8, np.uint32, np.float32, np.float64]
FLOATS = [np.float32, np.float64]
_FLOAT_VALUES = [-2.0, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, np.inf, -np.inf, np.nan]
_COMPLEX_VALUES = [0j, 1 + 0j, 1 - 1j, -2 + 1j, 1j, 3 + 3j]


def _elements(dtype, nan=True):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind == "f":
        return st.sampled_from(_FLOAT_VALUES if nan else _FLOAT_VALUES[:-1])
    if dtype.kind == "c":
        return st.sampled_from(_COMPLEX_VALUES)
    lo = 0 if dtype.kind == "u" else -3
    return st.integers(lo, 4)


def _arrays(dtype, min_dims=0, max_dims=3, max_side=5, nan=True):
    shape = hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0,
                             max_side=max_side)
    return hnp.arrays(dtype, shape, elements=_elements(dtype, nan))


@st.composite
def _array(draw, dtypes=DTYPES + [np.complex64], **kw):
    return draw(_arrays(draw(st.sampled_from(dtypes)), **kw))


def _eq(got, want, dtype=None):
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    if dtype is not None:
        assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
    np.testing.assert_array_equal(got, want)


def _pad(values, size, fill):
    values = np.asarray(values)[:size]
    rest = np.full((size - values.shape[0],) + values.shape[1:], fill, values.dtype)
    return np.concatenate([values, rest])


# -- nonzero family -----------------------------------------------------------------------------

@settings(max_examples=25)
@given(_array(min_dims=1))
def test_nonzero_argwhere_flatnonzero_match_numpy(x):
    for g, w in zip(fnp.nonzero(x), np.nonzero(x)):
        _eq(g, w, np.int32)
    _eq(fnp.where(x)[0], np.nonzero(x)[0], np.int32)
    _eq(fnp.argwhere(x), np.argwhere(x), np.int32)
    _eq(fnp.flatnonzero(x), np.flatnonzero(x), np.int32)


def test_argwhere_of_0d_is_numpys():
    _eq(fnp.argwhere(fnp.asarray(3)), np.argwhere(np.array(3)))
    _eq(fnp.argwhere(fnp.asarray(0)), np.argwhere(np.array(0)))
    assert fnp.argwhere(fnp.asarray(3), size=2).shape == (2, 0)


@settings(max_examples=15)
@given(_array(min_dims=1, max_dims=2), st.integers(0, 7), st.sampled_from([None, -1, 9]))
def test_nonzero_with_size_under_jit_pads_like_jax(x, size, fill):
    fv = 0 if fill is None else fill
    want = [_pad(w, size, fv) for w in np.nonzero(x)]
    got = fnx.jit(lambda a: fnp.nonzero(a, size=size, fill_value=fill))(x)
    for g, w in zip(got, want):
        _eq(g, w, np.int32)
    _eq(fnp.nonzero(x, size=size, fill_value=fill)[0], want[0])
    _eq(fnx.jit(lambda a: fnp.argwhere(a, size=size, fill_value=fill))(x),
        _pad(np.argwhere(x), size, fv).reshape(size, x.ndim))
    _eq(fnx.jit(lambda a: fnp.flatnonzero(a, size=size, fill_value=fill))(x),
        _pad(np.flatnonzero(x), size, fv))
    _eq(fnx.jit(lambda a: fnp.where(a, size=size, fill_value=fill))(x)[0], want[0])


def test_nonzero_fill_per_axis_and_vmap():
    x = np.array([[0, 1, 0], [2, 0, 3], [0, 0, 0]], np.int32)
    r, c = fnp.nonzero(x, size=5, fill_value=(-1, -2))
    _eq(r, [0, 1, 1, -1, -1]), _eq(c, [1, 0, 2, -2, -2])
    got = fnx.vmap(lambda row: fnp.flatnonzero(row, size=2, fill_value=7))(x)
    _eq(got, np.array([[1, 7], [0, 2], [7, 7]], np.int32))
    got = fnx.vmap(lambda row: fnp.nonzero(row, size=4)[0])(x)
    _eq(got, np.stack([_pad(np.flatnonzero(r), 4, 0) for r in x]))


@settings(max_examples=20)
@given(_array(max_dims=2), st.data())
def test_extract_and_compress_match_numpy(x, data):
    cond = data.draw(hnp.arrays(np.bool_, x.shape))
    _eq(fnp.extract(cond, x), np.extract(cond, x), x.dtype)
    size = data.draw(st.integers(0, 6))
    _eq(fnx.jit(lambda c, a: fnp.extract(c, a, size=size, fill_value=1))(cond, x),
        _pad(np.extract(cond, x), size, 1))
    if x.ndim >= 1:
        ax = data.draw(st.integers(-x.ndim, x.ndim - 1))
        n = x.shape[ax]
        c = data.draw(hnp.arrays(np.bool_, data.draw(st.integers(0, n))))
        _eq(fnp.compress(c, x, axis=ax), np.compress(c, x, axis=ax))
        got = fnx.jit(lambda c, a: fnp.compress(c, a, axis=ax, size=size))(c, x)
        want = np.moveaxis(_pad(np.moveaxis(np.compress(c, x, axis=ax), ax, 0), size, 0), 0,
                           ax)
        _eq(got, want)
    _eq(fnp.compress(cond.ravel(), x), np.compress(cond.ravel(), x))


def test_compress_longer_condition_and_vmap():
    x = np.arange(6.0).reshape(2, 3)
    _eq(fnp.compress([True, False, True, False], x, axis=1), x[:, [0, 2]])
    with pytest.raises(IndexError, match="compress: index 3"):
        fnp.compress([True, False, True, True], x, axis=1)
    with pytest.raises(ValueError, match="compress: condition must be 1-d"):
        fnp.compress([[True]], x)
    cond = np.array([[True, False, True], [False, False, True]])
    got = fnx.vmap(lambda c, a: fnp.extract(c, a, size=2, fill_value=-1.0))(cond, x)
    _eq(got, np.array([[0.0, 2.0], [5.0, -1.0]]))


# -- unique -------------------------------------------------------------------------------------

def _np_unique(x, equal_nan=True):
    return np.unique(x, return_index=True, return_inverse=True, return_counts=True,
                     equal_nan=equal_nan)


@settings(max_examples=30)
@given(_array(), st.booleans())
@example(np.array([np.nan, 1.0, np.nan, -0.0, 0.0]), True)
@example(np.array([np.nan, 1.0, np.nan]), False)
def test_unique_matches_numpy(x, equal_nan):
    got = fnp.unique(x, True, True, True, equal_nan=equal_nan)
    want = _np_unique(x, equal_nan)
    _eq(got[0], want[0], x.dtype)
    for g, w in zip(got[1:], want[1:]):
        _eq(g, w, np.int32)
    _eq(fnp.unique(x, equal_nan=equal_nan), want[0])
    _eq(fnp.unique(x, return_counts=True)[1], np.unique(x, return_counts=True)[1])


def _padded_unique(x, size, fill, equal_nan=True):
    v, i, inv, c = _np_unique(x, equal_nan)
    fv = fill if fill is not None else (v[0] if v.size else 0)
    first = i[0] if i.size else 0
    return _pad(v, size, fv), _pad(i, size, first), inv, _pad(c, size, 0)


@settings(max_examples=15)
@given(_array(max_dims=2), st.integers(0, 8), st.sampled_from([None, 2]))
@example(np.zeros((0,), np.float32), 3, None)
def test_unique_with_size_under_jit(x, size, fill):
    f = fnx.jit(lambda a: fnp.unique(a, True, True, True, size=size, fill_value=fill))
    for g, w in zip(f(x), _padded_unique(x, size, fill)):
        _eq(g, w.astype(g.dtype) if w.dtype.kind in "iu" else w)
    _eq(fnp.unique(x, size=size, fill_value=fill), _padded_unique(x, size, fill)[0])


def test_unique_with_size_under_vmap():
    x = np.array([[3, 1, 3, 2], [5, 5, 5, 5], [0, 9, 8, 7]], np.int32)
    vals, idx, inv, cnt = fnx.vmap(lambda r: fnp.unique(r, True, True, True, size=3))(x)
    for k, row in enumerate(x):
        for g, w in zip((vals[k], idx[k], inv[k], cnt[k]), _padded_unique(row, 3, None)):
            _eq(g, w)


def test_unique_axis_stays_concrete():
    x = np.array([[1, 2], [1, 2], [0, 5]])
    u, inv = fnp.unique(x, axis=0, return_inverse=True)
    wu, winv = np.unique(x, axis=0, return_inverse=True)
    _eq(u, wu), _eq(inv, winv)
    with pytest.raises(NotImplementedError, match="unique: size="):
        fnp.unique(x, axis=0, size=2)
    with pytest.raises(ConcretizationTypeError):
        fnx.jit(lambda a: fnp.unique(a, axis=0))(x)


@settings(max_examples=25)
@given(_array(dtypes=DTYPES))
@example(np.array([np.nan, 2.0, np.nan, 2.0]))
def test_array_api_unique_functions(x):
    want = np.unique_all(x)
    got = fnp.unique_all(x)
    assert type(got).__name__ == "UniqueAllResult"
    for field in ("values", "indices", "inverse_indices", "counts"):
        _eq(getattr(got, field), getattr(want, field))
    assert got.inverse_indices.shape == x.shape
    # numpy >= 2.3 may return unique_values/_counts unsorted (the standard leaves the order
    # open); fnx sorts, as jax.numpy: compare with unique_all's sorted answer
    c = fnp.unique_counts(x)
    _eq(c.values, want.values), _eq(c.counts, want.counts)
    i = fnp.unique_inverse(x)
    _eq(i.values, want.values), _eq(i.inverse_indices, want.inverse_indices)
    _eq(fnp.unique_values(x), want.values)
    assert sorted(map(repr, np.asarray(fnp.unique_values(x)).tolist())) == \
        sorted(map(repr, np.unique_values(x).tolist()))


def test_array_api_unique_with_size_under_jit():
    x = np.array([2.0, np.nan, 1.0, np.nan, 2.0], np.float32)
    got = fnx.jit(lambda a: fnp.unique_all(a, size=6, fill_value=-5.0))(x)
    _eq(got.values, np.float32([1, 2, np.nan, np.nan, -5, -5]))
    _eq(got.indices, [2, 0, 1, 3, 2, 2])
    _eq(got.counts, [1, 2, 1, 1, 0, 0])
    _eq(got.inverse_indices, [1, 2, 0, 3, 1])
    _eq(fnx.jit(lambda a: fnp.unique_values(a, size=2))(x), np.float32([1, 2]))
    _eq(fnx.vmap(lambda a: fnp.unique_counts(a, size=3).counts)(x.reshape(1, 5)), [[1, 2, 1]])


# -- isin and the set operations ----------------------------------------------------------------

def _promoted(a, b):
    dt = fnp.result_type(fnp.asarray(a), fnp.asarray(b))
    return np.asarray(a).astype(dt), np.asarray(b).astype(dt), dt


@settings(max_examples=25)
@given(_array(), _array(max_dims=2), st.sampled_from(["auto", "compare_all",
                                                      "binary_search", "sort"]),
       st.booleans())
def test_isin_matches_numpy(e, t, method, invert):
    pe, pt, _ = _promoted(e, t)
    want = np.isin(pe, pt, invert=invert)
    _eq(fnp.isin(e, t, invert=invert, method=method), want, np.bool_)
    _eq(fnx.jit(lambda a, b: fnp.isin(a, b, invert=invert, method=method))(e, t), want)


def test_isin_vmap_and_large_inputs():
    rng = np.random.default_rng(0)
    e = rng.integers(0, 500, (3, 200)).astype(np.int32)
    t = rng.integers(0, 500, 300).astype(np.int32)     # auto picks binary search here
    got = fnx.vmap(lambda a: fnp.isin(a, t))(e)
    _eq(got, np.isin(e, t))
    with pytest.raises(ValueError, match="isin: method"):
        fnp.isin(e, t, method="bogus")


_SETOPS = {
    "union1d": lambda a, b, **k: np.union1d(a, b),
    "intersect1d": lambda a, b, **k: np.intersect1d(a, b, **k),
    "setdiff1d": lambda a, b, **k: np.setdiff1d(a, b, **k),
    "setxor1d": lambda a, b, **k: np.setxor1d(a, b, **k),
}


@settings(max_examples=25)
@given(_array(max_dims=2), _array(max_dims=2), st.sampled_from(sorted(_SETOPS)))
@example(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), "setxor1d")
@example(np.array([np.nan, np.nan, 2.0]), np.array([3.0]), "setdiff1d")
def test_set_operations_match_numpy(a, b, name):
    pa, pb, dt = _promoted(a, b)
    want = _SETOPS[name](pa, pb)
    got = getattr(fnp, name)(a, b)
    _eq(got, want, dt)
    size = 4
    fv = want[0] if want.size else 0
    _eq(fnx.jit(lambda x, y: getattr(fnp, name)(x, y, size=size))(a, b), _pad(want, size, fv))


@settings(max_examples=20)
@given(st.sampled_from(DTYPES), st.data())
def test_set_operations_assume_unique_and_indices(dt, data):
    a = np.unique(data.draw(_arrays(dt, min_dims=1, max_dims=1, nan=False)))
    b = np.unique(data.draw(_arrays(dt, min_dims=1, max_dims=1, nan=False)))
    a = data.draw(st.permutations(a)) if a.size else a
    a = np.asarray(a, dt)
    for name in ("intersect1d", "setdiff1d", "setxor1d"):
        _eq(getattr(fnp, name)(a, b, assume_unique=True),
            _SETOPS[name](a, b, assume_unique=True))
    x = data.draw(_arrays(dt, min_dims=1, max_dims=2))
    y = data.draw(_arrays(dt, min_dims=1, max_dims=2))
    got = fnp.intersect1d(x, y, return_indices=True)
    for g, w in zip(got, np.intersect1d(x, y, return_indices=True)):
        _eq(g, w)
    v, i1, i2 = fnx.jit(lambda p, q: fnp.intersect1d(p, q, return_indices=True, size=3))(x, y)
    wv, wi1, wi2 = np.intersect1d(x, y, return_indices=True)
    _eq(v, _pad(wv, 3, wv[0] if wv.size else 0))
    _eq(i1, _pad(wi1, 3, wi1[0] if wi1.size else 0))
    _eq(i2, _pad(wi2, 3, wi2[0] if wi2.size else 0))


def test_set_operations_under_vmap_and_errors():
    a = np.array([[1, 2, 3], [4, 4, 1]], np.int32)
    b = np.array([2, 4], np.int32)
    got = fnx.vmap(lambda r: fnp.setdiff1d(r, b, size=3, fill_value=-1))(a)
    _eq(got, np.array([[1, 3, -1], [1, -1, -1]], np.int32))
    got = fnx.vmap(lambda r: fnp.union1d(r, b, size=5))(a)
    _eq(got, np.array([[1, 2, 3, 4, 1], [1, 2, 4, 1, 1]], np.int32))
    got = fnx.vmap(lambda r: fnp.intersect1d(r, b, size=2, return_indices=True))(a)
    for k, row in enumerate(a):
        wv, wi1, wi2 = np.intersect1d(row, b, return_indices=True)
        for g, w in zip(got, (wv, wi1, wi2)):
            _eq(g[k], _pad(w, 2, w[0]))
    got = fnx.vmap(lambda r: fnp.setxor1d(r, b, size=4))(a)
    for k, row in enumerate(a):
        w = np.setxor1d(row, b)
        _eq(got[k], _pad(w, 4, w[0]))
    got = fnx.vmap(lambda r: fnp.argwhere(r > 1, size=3, fill_value=-1))(a)
    for k, row in enumerate(a):
        _eq(got[k], _pad(np.argwhere(row > 1), 3, -1))
    for name in _SETOPS:
        with pytest.raises(ConcretizationTypeError, match=f"{name}: .*size="):
            fnx.jit(getattr(fnp, name))(a, b)
    with pytest.raises(ValueError, match="union1d: size must be non-negative"):
        fnp.union1d(a, b, size=-1)


# -- concretization errors ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["nonzero", "argwhere", "flatnonzero", "unique",
                                  "unique_all", "unique_counts", "unique_inverse",
                                  "unique_values"])
def test_traced_without_size_raises(name):
    x = fnp.asarray([1, 0, 2])
    with pytest.raises(ConcretizationTypeError, match=f"{name}: .*size="):
        fnx.jit(getattr(fnp, name))(x)
    with pytest.raises(ConcretizationTypeError, match="size="):
        fnx.vmap(getattr(fnp, name))(fnp.ones((2, 3)))
    with pytest.raises(ConcretizationTypeError, match="extract: .*size="):
        fnx.jit(fnp.extract)(x > 0, x)


def test_nonzero_errors():
    with pytest.raises(ValueError, match="nonzero: calling nonzero on 0-d"):
        fnp.nonzero(fnp.asarray(1))
    with pytest.raises(ValueError, match="nonzero: fill_value must be a scalar or a tuple"):
        fnp.nonzero(fnp.ones((2, 2)), size=3, fill_value=(1, 2, 3))


# -- grads --------------------------------------------------------------------------------------

def test_grads_of_unique_values_extract_partition():
    # differentiable where no two values tie (finite differences would split a tie); the
    # padding repeats the smallest value, so its gradient adds up
    x = np.array([0.3, -1.2, 2.5, 0.7])
    check_grads(lambda a: fnp.unique(a, size=6) * fnp.arange(1.0, 7.0), (x,), order=1)
    check_grads(lambda a: fnp.unique_all(a, size=3).values, (x,), order=1)
    check_grads(lambda a: fnp.extract(a > 0, a * a, size=4), (x,), order=1)
    x = np.array([0.3, -1.2, 0.3, 2.5, 0.7, -1.2])
    y = np.array([[0.5, -2.0, 1.5, 3.0], [4.0, 0.1, -0.7, 2.2]])
    check_grads(lambda a: fnp.partition(a, 2, axis=1), (y,), order=1)
    check_grads(lambda a: fnp.partition(a, 0, axis=0), (y,), order=1)
    g = fnx.grad(lambda a: fnp.unique(a).sum())(fnp.asarray(x))   # eager: concrete values
    _eq(g, np.ones_like(x) * np.isin(np.arange(6), [0, 1, 3, 4]))


def test_grads_of_nan_quantiles():
    x = np.array([[0.5, np.nan, 1.5, 3.0, -1.0], [4.0, 0.1, np.nan, np.nan, 2.2]])
    for method in ("linear", "midpoint", "lower", "nearest"):
        check_grads(lambda a: fnp.nanquantile(a, np.array([0.1, 0.5, 0.9]), axis=1,
                                              method=method), (x,), order=1)
    check_grads(lambda a: fnp.nanmedian(a, axis=0), (x[:, [0, 2, 4]],), order=1)
    check_grads(lambda a: fnp.nanvar(a, axis=1), (x,), order=1)


# -- partition ----------------------------------------------------------------------------------

@settings(max_examples=25)
@given(st.sampled_from(DTYPES), st.data())
def test_partition_property_and_multiset(dt, data):
    x = data.draw(_arrays(dt, min_dims=1, max_dims=3))
    ax = data.draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[ax]
    if n == 0:
        return
    kth = data.draw(st.integers(-n, n - 1))
    p = np.asarray(fnp.partition(x, kth, axis=ax))
    ip = np.asarray(fnp.argpartition(x, kth, axis=ax))
    assert ip.dtype == np.int32
    want = np.partition(x, kth, axis=ax)
    _eq(np.sort(p, axis=ax), np.sort(want, axis=ax))
    _eq(np.take_along_axis(x, ip, axis=ax), p)
    pm, wm = np.moveaxis(p, ax, -1), np.moveaxis(want, ax, -1)
    k = kth % n
    _eq(pm[..., k], wm[..., k])            # the kth element is in its sorted place
    pivot = pm[..., k:k + 1]
    if x.dtype.kind == "f":
        pm, pivot = np.where(np.isnan(pm), np.inf, pm), np.where(np.isnan(pivot), np.inf, pivot)
    assert (pm[..., :k] <= pivot).all() and (pm[..., k + 1:] >= pivot).all()
    _eq(fnx.jit(lambda a: fnp.partition(a, kth, axis=ax))(x), p)


def test_partition_vmap_and_errors():
    x = np.array([[3.0, 1.0, 2.0], [0.0, -1.0, 5.0]])
    _eq(fnx.vmap(lambda r: fnp.partition(r, 1))(x), np.sort(x, axis=1))
    _eq(fnp.partition(x, (0, 2)), np.sort(x, axis=1))
    _eq(fnp.partition(x, 1, axis=None), np.sort(x.ravel()))
    with pytest.raises(ValueError, match=r"partition: kth\(=3\) out of bounds \(3\)"):
        fnp.partition(x, 3)
    with pytest.raises(ValueError, match=r"argpartition: kth\(=-4\) out of bounds"):
        fnp.argpartition(x, -4)
    with pytest.raises(TypeError, match="partition: kth must be an integer"):
        fnp.partition(x, 1.5)
    with pytest.raises(ConcretizationTypeError):
        fnx.jit(fnp.partition)(x, 1)


# -- NaN statistics -----------------------------------------------------------------------------

_METHODS = ["linear", "lower", "higher", "midpoint", "nearest"]


def _axis_strategy(ndim):
    axes = st.lists(st.integers(0, ndim - 1), unique=True, min_size=1, max_size=ndim) \
        if ndim else st.nothing()
    return st.one_of(st.none(), st.integers(-ndim, ndim - 1) if ndim else st.none(),
                     axes.map(tuple))


@settings(max_examples=30)
@given(st.sampled_from(FLOATS + [np.int32]), st.data())
def test_nanquantile_matches_numpy(dt, data):
    x = data.draw(_arrays(dt, max_dims=3, max_side=4))
    axis = data.draw(_axis_strategy(x.ndim))
    method = data.draw(st.sampled_from(_METHODS))
    q = data.draw(st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1.0, 1 / 3]),
                            st.lists(st.sampled_from([0.0, 0.1, 0.5, 0.75, 1.0]),
                                     min_size=1, max_size=3).map(np.array)))
    keepdims = data.draw(st.booleans())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = np.nanquantile(x, q, axis=axis, method=method, keepdims=keepdims)
        wantp = np.nanpercentile(x, np.asarray(q) * 100, axis=axis, method=method,
                                 keepdims=keepdims)
        wantm = np.nanmedian(x, axis=axis, keepdims=keepdims)
    got = fnp.nanquantile(x, q, axis=axis, method=method, keepdims=keepdims)
    rtol = 1e-5 if dt == np.float32 else 1e-12
    np.testing.assert_allclose(np.asarray(got), want.astype(got.dtype), rtol=rtol, atol=1e-6)
    assert got.shape == want.shape
    np.testing.assert_allclose(np.asarray(fnp.nanpercentile(x, np.asarray(q) * 100, axis=axis,
                                                            method=method, keepdims=keepdims)),
                               wantp, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(fnp.nanmedian(x, axis=axis, keepdims=keepdims)),
                               wantm, rtol=1e-5, atol=1e-6)


def test_nanquantile_jit_vmap_and_errors():
    x = np.array([[1.0, np.nan, 3.0, 4.0], [np.nan] * 4, [2.0, 2.0, -1.0, 7.0]])
    f = lambda a: fnp.nanquantile(a, np.array([0.2, 0.5]), axis=1)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = np.nanquantile(x, [0.2, 0.5], axis=1)
    np.testing.assert_allclose(np.asarray(fnx.jit(f)(x)), want)
    got = fnx.vmap(lambda r: fnp.nanmedian(r))(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(np.asarray(got), np.nanmedian(x, axis=1))
    assert np.isnan(np.asarray(fnp.nanquantile(np.zeros((0,)), 0.5)))
    with pytest.raises(ValueError, match="nanquantile: Quantiles must be in the range"):
        fnp.nanquantile(x, 1.5)
    with pytest.raises(ValueError, match="nanpercentile: Percentiles must be in the range"):
        fnp.nanpercentile(x, -1)
    with pytest.raises(ValueError, match="nanquantile: method must be one of"):
        fnp.nanquantile(x, 0.5, method="bogus")
    with pytest.raises(TypeError, match="nanmedian: .*complex"):
        fnp.nanmedian(np.array([1j]))


@settings(max_examples=30)
@given(st.sampled_from(FLOATS + [np.int32, np.complex64]), st.data())
def test_nan_reductions_match_numpy(dt, data):
    x = data.draw(_arrays(dt, max_dims=3, max_side=4))
    if np.dtype(dt).kind == "c" and x.size:
        x = x.copy()
        x.flat[0] = complex(np.nan, 1)
    axis = data.draw(_axis_strategy(x.ndim))
    ddof = data.draw(st.integers(0, 2))
    keepdims = data.draw(st.booleans())
    finite = np.where(np.isinf(x), 1, x) if x.dtype.kind in "fc" else x   # inf - inf noise
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("nanvar", "nanstd"):
            got = getattr(fnp, name)(finite, axis=axis, ddof=ddof, keepdims=keepdims)
            want = getattr(np, name)(finite, axis=axis, ddof=ddof, keepdims=keepdims)
            assert got.shape == want.shape
            np.testing.assert_allclose(np.asarray(got), want, rtol=2e-5, atol=1e-5)
        single = None if not isinstance(axis, tuple) else axis[0]
        if x.size and x.dtype.kind != "c":
            for name in ("nanargmax", "nanargmin"):
                try:
                    want = getattr(np, name)(x, axis=single)
                except ValueError:      # an all-NaN or empty slice: numpy raises
                    continue
                _eq(getattr(fnp, name)(x, axis=single), want)
        if x.dtype.kind != "c":
            cax = None if not isinstance(axis, int) else axis
            _eq(fnp.nancumsum(x, axis=cax), np.nancumsum(x, axis=cax).astype(
                fnp.cumsum(x, axis=cax).dtype))
            np.testing.assert_allclose(np.asarray(fnp.nancumprod(x, axis=cax)),
                                       np.nancumprod(x, axis=cax), rtol=1e-5)


def test_nanargmax_all_nan_and_errors():
    x = np.array([[np.nan, -np.inf, 2.0], [np.nan, np.nan, np.nan]])
    _eq(fnp.nanargmin(x, axis=1), [1, -1])
    _eq(fnp.nanargmax(x, axis=1), [2, -1])
    _eq(fnx.jit(lambda a: fnp.nanargmax(a, axis=1, keepdims=True))(x), [[2], [-1]])
    _eq(fnp.nanargmin(np.array([np.nan, -np.inf])), 1)
    with pytest.raises(ValueError, match="nanargmax: attempt to get nanargmax of an empty"):
        fnp.nanargmax(np.zeros((0,)))
    w = np.array([True, False, True])
    y = np.array([[1.0, 5.0, 2.0], [np.nan, 1.0, 4.0]])
    np.testing.assert_allclose(np.asarray(fnp.nanvar(y, axis=1, where=w)),
                               np.nanvar(y, axis=1, where=w))
    np.testing.assert_allclose(np.asarray(fnp.nanstd(y, where=w, ddof=1)),
                               np.nanstd(y, where=w, ddof=1))
    v = fnx.vmap(lambda r: fnp.nanvar(r, ddof=1))(x)
    np.testing.assert_allclose(np.asarray(v), [np.nan, np.nan])


# -- packbits / unpackbits ----------------------------------------------------------------------

@settings(max_examples=25)
@given(st.sampled_from([np.bool_, np.int8, np.int32, np.uint8, np.uint32, np.int64]),
       st.data())
def test_packbits_unpackbits_match_numpy(dt, data):
    x = data.draw(_arrays(dt, max_dims=3, max_side=11))
    axis = data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1))
                     if x.ndim else st.none())
    order = data.draw(st.sampled_from(["big", "little"]))
    want = np.packbits(x, axis=axis, bitorder=order)
    got = fnp.packbits(x, axis=axis, bitorder=order)
    _eq(got, want, np.uint8)
    count = data.draw(st.one_of(st.none(), st.integers(-12, 30)))
    _eq(fnp.unpackbits(want, axis=axis, count=count, bitorder=order),
        np.unpackbits(want, axis=axis, count=count, bitorder=order), np.uint8)


def test_bits_jit_vmap_and_errors():
    x = np.array([[1, 0, 1, 1, 0, 0, 0, 1, 1], [0] * 9], np.int32)
    f = fnx.jit(lambda a: fnp.unpackbits(fnp.packbits(a, axis=1), axis=1, count=9))
    _eq(f(x), x.astype(np.uint8))
    _eq(fnx.vmap(fnp.packbits)(x), np.stack([np.packbits(r) for r in x]))
    with pytest.raises(TypeError, match="packbits: expected an input array of integer"):
        fnp.packbits(np.ones(3, np.float32))
    with pytest.raises(TypeError, match="unpackbits: expected .*uint8"):
        fnp.unpackbits(np.ones(3, np.int32))
    with pytest.raises(ValueError, match="packbits: bitorder must be"):
        fnp.packbits(x, bitorder="middle")
    with pytest.raises(TypeError, match="unpackbits: count must be an integer"):
        fnp.unpackbits(np.ones(3, np.uint8), count=1.5)
