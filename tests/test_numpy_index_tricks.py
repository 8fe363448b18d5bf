"""fnx.numpy's index tricks and functional tools against numpy: r_ / c_ / s_ / index_exp /
mgrid / ogrid / ix_, append / insert / delete / rollaxis, unravel_index / ravel_multi_index,
fill_diagonal, apply_along_axis / apply_over_axes / vectorize, select / piecewise.

Values are compared with numpy on hypothesis-drawn inputs; dtypes with fnx's lattice (int32 /
float32 defaults: where numpy says int64 / float64 for Python inputs, fnx says int32 / float32).
"""
import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx.errors import ConcretizationTypeError
from fnx.test_util import check_grads

DTYPES = [np.bool_, np.int8, np.int32, np.int64, np.uint8, np.uint32, np.float32, np.float64,
          np.complex64]
NUMERIC = [np.int8, np.int32, np.int64, np.uint8, np.uint32, np.float32, np.float64]
RNG = np.random.default_rng(7)


def check(got, want, dtype=None):
    """Same shape and values (NaN == NaN); dtype ``dtype`` (default: ``want``'s)."""
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == np.dtype(dtype if dtype is not None else want.dtype), \
        (got.dtype, dtype, want.dtype)
    if want.dtype.kind in "fc" or got.dtype.kind in "fc":
        np.testing.assert_allclose(got, want.astype(got.dtype), rtol=1e-6, atol=1e-6,
                                   equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


SPECIALS = [np.nan, np.inf, -np.inf, -0.0]


def elements(dtype, specials=True):
    """Bounded values of ``dtype``; floats also NaN / +-inf / -0.0 unless ``specials`` is
    False (for functions that compute on the values, where numpy's order of operations would
    matter)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return st.integers(max(info.min, -100), min(info.max, 100))
    if dtype.kind == "c":
        part = st.floats(-10, 10, width=32)
        if specials:
            part = st.one_of(part, st.sampled_from(SPECIALS))
        return st.builds(complex, part, part)
    finite = st.floats(-10, 10, width=32 if dtype == np.float32 else 64, allow_nan=False)
    return st.one_of(finite, st.sampled_from(SPECIALS)) if specials else finite


def arrays(dtype, shape, specials=True):
    return hnp.arrays(dtype, shape, elements=elements(dtype, specials))


small_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4)


def vmap_vs_loop(f, xs):
    got = fnx.vmap(f)(fnp.asarray(xs))
    want = np.stack([np.asarray(f(fnp.asarray(x))) for x in xs])
    check(got, want)


def jit_vs_eager(f, *args):
    check(fnx.jit(f)(*args), f(*args))


# ---------------------------------------------------------------------------------------------
# s_ / index_exp / r_ / c_ / mgrid / ogrid / ix_
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", [np.s_[1:3], np.s_[::2, None, ...], np.s_[3], np.s_[()]])
def test_s_and_index_exp(key):
    assert fnp.s_[key] == np.s_[key]
    assert fnp.index_exp[key] == np.index_exp[key]
    x = np.arange(24, dtype=np.int32).reshape(4, 6)
    check(fnp.asarray(x)[fnp.s_[key]], x[np.s_[key]])
    check(fnp.asarray(x)[fnp.index_exp[key]], x[np.index_exp[key]])


R_CASES = [
    lambda m: m.r_[1:4, 7, [8, 9]],
    lambda m: m.r_[0:1:5j],
    lambda m: m.r_[-1:1:4j, 3.5],
    lambda m: m.r_[10:0:-3],
    lambda m: m.r_[0.0:1.0:0.25],
    lambda m: m.r_["0,2,0", [1, 2], [3, 4]],
    lambda m: m.r_["0,2", [1, 2], [3, 4]],
    lambda m: m.r_["1", [[1, 2]], [[3]]],
    lambda m: m.r_["-1,3,0", [1, 2], [3, 4]],
    lambda m: m.r_["0,3,-2", [1, 2]],
    lambda m: m.r_["0,3,1", [[1, 2]]],
    lambda m: m.r_["1,2,0", 0:3, [4, 5, 6]],
    lambda m: m.r_[1, 2, 3],
    lambda m: m.r_[m.array([[1, 2], [3, 4]]), [[5, 6]]],
    lambda m: m.c_[0:3, [1, 2, 3]],
    lambda m: m.c_[m.array([1, 2, 3]), m.array([4, 5, 6])],
    lambda m: m.c_[[1, 2, 3]],
    lambda m: m.c_[1, 2],
    lambda m: m.c_[m.ones((2, 2)), 0:2, [[7], [8]]],
]


@pytest.mark.parametrize("case", range(len(R_CASES)))
def test_r_c_vs_numpy(case):
    want = R_CASES[case](np)
    got = R_CASES[case](fnp)
    # fnx's defaults: Python ints int32, floats float32 (numpy: int64 / float64)
    dt = {np.dtype(np.int64): np.int32, np.dtype(np.float64): np.float32}[want.dtype]
    check(got, want, dt)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")   # numpy's np.matrix
def test_r_matrix_directives_give_2d_arrays():
    # numpy returns np.matrix; fnx (as jax.numpy) a plain 2-d array of the same shape
    check(fnp.r_["r", 1, 2, 3], np.asarray(np.r_["r", 1, 2, 3]), np.int32)
    check(fnp.r_["c", [1, 2], 3], np.asarray(np.r_["c", [1, 2], 3]), np.int32)
    check(fnp.r_["r", [[1, 2]], [[3, 4]]], np.asarray(np.r_["r", [[1, 2]], [[3, 4]]]), np.int32)


@settings(max_examples=15)
@given(st.sampled_from(DTYPES), st.integers(0, 4), st.integers(0, 4), st.data())
def test_r_c_arrays_keep_dtype(dtype, n, m, data):
    a = data.draw(arrays(dtype, (n,)))
    b = data.draw(arrays(dtype, (m,)))
    check(fnp.r_[fnp.asarray(a), fnp.asarray(b)], np.r_[a, b])
    b2 = data.draw(arrays(dtype, (n,)))
    check(fnp.c_[fnp.asarray(a), fnp.asarray(b2)], np.c_[a, b2])
    # a weak Python scalar does not widen the arrays' dtype (numpy 2's rule too)
    if np.dtype(dtype).kind in "iu":
        check(fnp.r_[fnp.asarray(a), 3], np.r_[a, 3])


def test_r_errors():
    with pytest.raises(ValueError, match="r_: unknown special directive"):
        fnp.r_["x", [1]]
    with pytest.raises(ValueError, match="r_: special directives"):
        fnp.r_[[1], "0"]
    with pytest.raises(ValueError, match="r_: need at least one"):
        fnp.r_[()]
    with pytest.raises(ValueError, match="c_: .*trans1d"):
        fnp.c_["0,2,5", [1, 2]]


def test_r_under_jit_and_grad():
    f = lambda x: fnp.r_[x, 0:2, x * 2.0]  # noqa: E731
    x = fnp.asarray(np.array([1.0, 2.0]))
    jit_vs_eager(f, x)
    check_grads(lambda x: fnp.r_[x, 1.0, x ** 2], (np.array([0.5, -1.5]),), order=1)


MGRID_CASES = [
    lambda m: m.mgrid[0:5],
    lambda m: m.mgrid[0:3, 0:4],
    lambda m: m.mgrid[-1:1:5j],
    lambda m: m.mgrid[0:1:3j, 0:2],
    lambda m: m.mgrid[0:2:0.5, 1:3],
    lambda m: m.mgrid[5:0:-2, 0:1:1j, 0:3],
    lambda m: m.ogrid[0:5],
    lambda m: m.ogrid[0:3, 0:4],
    lambda m: m.ogrid[0:1:4j, 2:5],
]


@pytest.mark.parametrize("case", range(len(MGRID_CASES)))
def test_mgrid_ogrid_vs_numpy(case):
    want = MGRID_CASES[case](np)
    got = MGRID_CASES[case](fnp)
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
    else:
        got, want = (got,), (want,)
    for g, w in zip(got, want):
        check(g, w, {"i": np.int32, "f": np.float32}[w.dtype.kind])


def test_mgrid_errors():
    with pytest.raises(TypeError, match="mgrid: expected slices"):
        fnp.mgrid[0:3, 2]
    with pytest.raises(ValueError, match="ogrid: a slice needs a stop"):
        fnp.ogrid[0:]


@settings(max_examples=20)
@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), st.data())
def test_ix_vs_numpy(shape, data):
    x = np.arange(int(np.prod(shape))).reshape(shape).astype(np.float32)
    args = []
    for n in shape:
        if data.draw(st.booleans()):
            args.append(np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n))))
        else:
            args.append(np.array(data.draw(st.lists(st.integers(-n, n - 1), max_size=4)),
                                 dtype=np.int32))
    got = fnp.ix_(*[fnp.asarray(a) for a in args])
    want = np.ix_(*args)
    for g, w in zip(got, want):
        check(g, w, np.int32)
    check(fnp.asarray(x)[got], x[want])


def test_ix_lists_and_errors():
    got = fnp.ix_([0, 2], [], [True, False])
    want = np.ix_([0, 2], [], [True, False])
    for g, w in zip(got, want):
        check(g, w, np.int32)
    with pytest.raises(ValueError, match="ix_: cross index must be 1 dimensional"):
        fnp.ix_(fnp.ones((2, 2), "int32"))
    with pytest.raises(ValueError, match="ix_: cross index must be 1 dimensional"):
        fnp.ix_(3)
    with pytest.raises(TypeError, match="ix_: arguments must be integer or boolean"):
        fnp.ix_(fnp.array([0.5]))
    with pytest.raises(ConcretizationTypeError, match="ix_: boolean argument"):
        fnx.jit(lambda m: fnp.ix_(m)[0])(fnp.array([True, False]))
    # integer arguments are fine under jit
    check(fnx.jit(lambda i, j: fnp.ix_(i, j)[1])(fnp.array([0, 1]), fnp.array([2, 0, 1])),
          np.ix_([0, 1], [2, 0, 1])[1], np.int32)


# ---------------------------------------------------------------------------------------------
# append / insert / delete / rollaxis
# ---------------------------------------------------------------------------------------------

@settings(max_examples=20)
@given(st.sampled_from(DTYPES), st.sampled_from(DTYPES), small_shapes, st.data())
def test_append_vs_numpy(dt1, dt2, shape, data):
    a = data.draw(arrays(dt1, shape))
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    vshape = list(shape)
    if axis is not None:
        vshape[axis] = data.draw(st.integers(0, 3))
    v = data.draw(arrays(dt2, tuple(vshape) if axis is not None else (2,)))
    got = fnp.append(fnp.asarray(a), fnp.asarray(v), axis=axis)
    check(got, np.append(a, v, axis=axis), fnp.result_type(fnp.asarray(a), fnp.asarray(v)))


def test_append_scalars_and_errors():
    check(fnp.append(fnp.arange(3), 7), np.append(np.arange(3), 7), np.int32)
    check(fnp.append([[1, 2]], [[3, 4]], axis=0), np.append([[1, 2]], [[3, 4]], axis=0),
          np.int32)
    with pytest.raises(ValueError, match="append: axis 2 is out of bounds"):
        fnp.append(fnp.ones((2, 2)), fnp.ones((2, 2)), axis=2)
    with pytest.raises(ValueError, match="append: arr and values must have the same number"):
        fnp.append(fnp.ones((2, 2)), fnp.ones(2), axis=0)
    with pytest.raises(ValueError, match="append: all dimensions except axis 0"):
        fnp.append(fnp.ones((2, 2)), fnp.ones((1, 3)), axis=0)


@st.composite
def insert_args(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
    axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    n = int(np.prod(shape)) if axis is None else shape[axis]
    kind = draw(st.sampled_from(["int", "list", "list1", "slice"]))
    if kind == "int":
        obj = draw(st.integers(-n, n))
    elif kind == "slice":
        obj = slice(draw(st.one_of(st.none(), st.integers(-n - 1, n + 1))),
                    draw(st.one_of(st.none(), st.integers(-n - 1, n + 1))),
                    draw(st.sampled_from([None, 1, 2, -1])))
    else:
        size = 1 if kind == "list1" else draw(st.integers(0, 4))
        obj = draw(st.lists(st.integers(-n, n), min_size=size, max_size=size))
    return shape, axis, obj


def _np_insert_block(shape, axis, obj):
    """The shape numpy broadcasts ``values`` to (to draw values that fit)."""
    probe = np.insert(np.zeros(shape), obj, 0, axis=axis)
    ax = 0 if axis is None else axis % len(shape)
    full = (int(np.prod(shape)),) if axis is None else shape
    k = probe.shape[ax] - full[ax]
    out = list(full)
    out[ax] = k
    return tuple(out), ax


@settings(max_examples=30)
@given(st.sampled_from(DTYPES), insert_args(), st.data())
@example(np.float32, ((3, 4), 1, 1), None)
@example(np.int32, ((3, 4), 1, [1, 3, 1]), None)
def test_insert_vs_numpy(dtype, args, data):
    shape, axis, obj = args
    a = RNG.integers(-5, 5, size=shape).astype(dtype) if data is None else \
        data.draw(arrays(dtype, shape))
    block, ax = _np_insert_block(shape, axis, obj)
    if isinstance(obj, int) and (axis is not None or len(shape) == 1):
        # an int obj: values of any extent along the axis (numpy moves their first axis there)
        k = 2 if data is None else data.draw(st.integers(1, 3))
        vshape = (k,) + tuple(d for i, d in enumerate(block) if i != ax)
    else:
        vshape = block
    v = RNG.integers(-5, 5, size=vshape).astype(np.float64)
    got = fnp.insert(fnp.asarray(a), obj, fnp.asarray(v), axis=axis)
    check(got, np.insert(a, obj, v.astype(a.dtype), axis=axis))
    # a scalar value broadcasts to the block
    check(fnp.insert(fnp.asarray(a), obj, 1, axis=axis), np.insert(a, obj, 1, axis=axis))


def test_insert_errors():
    x = fnp.arange(6).reshape(2, 3)
    with pytest.raises(IndexError, match="insert: index 4 is out of bounds for axis 1"):
        fnp.insert(x, 4, 0, axis=1)
    with pytest.raises(IndexError, match="insert: index -7 is out of bounds"):
        fnp.insert(x, [0, -7], 0)
    with pytest.raises(ValueError, match="insert: axis 2 is out of bounds"):
        fnp.insert(x, 0, 0, axis=2)
    with pytest.raises(ValueError, match="insert: obj must be a slice, a scalar or a 1-d"):
        fnp.insert(x, [[0, 1]], 0)
    with pytest.raises(ValueError, match="insert: obj must hold integers"):
        fnp.insert(x, [0.5], 0)
    with pytest.raises(ValueError, match=r"insert: values of shape \(1, 4\) cannot be"):
        fnp.insert(x, [1, 2], fnp.ones(4), axis=1)
    with pytest.raises(ConcretizationTypeError, match="insert: obj"):
        fnx.jit(lambda x, i: fnp.insert(x, i, 0))(x, fnp.array(1))


def test_insert_grad_jit_vmap():
    a = RNG.normal(size=(3, 4))
    v = RNG.normal(size=(3, 2))
    check_grads(lambda a, v: fnp.insert(a, [1, 4], v, axis=1), (a, v), order=1)
    check_grads(lambda a, v: fnp.insert(a, 2, v[0, 0]), (a, v), order=1)
    jit_vs_eager(lambda a, v: fnp.insert(a, slice(0, 4, 2), v, axis=1),
                 fnp.asarray(a), fnp.asarray(v))
    vmap_vs_loop(lambda a: fnp.insert(a, [0, 2], a[:2] * 2.0), RNG.normal(size=(3, 4)))


@settings(max_examples=30)
@given(st.sampled_from(DTYPES), small_shapes, st.data())
def test_delete_vs_numpy(dtype, shape, data):
    a = data.draw(arrays(dtype, shape))
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    n = a.size if axis is None else shape[axis]
    kind = data.draw(st.sampled_from(["int", "list", "slice", "mask"]))
    if kind == "int" and n > 0:
        obj = data.draw(st.integers(-n, n - 1))
    elif kind == "mask":
        obj = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    elif kind == "slice" or n == 0:
        obj = slice(data.draw(st.one_of(st.none(), st.integers(-n - 1, n + 1))),
                    data.draw(st.one_of(st.none(), st.integers(-n - 1, n + 1))),
                    data.draw(st.sampled_from([None, 1, 2, -1])))
    else:
        obj = data.draw(st.lists(st.integers(-n, n - 1), max_size=5))
    want = np.delete(a, obj, axis=axis)
    check(fnp.delete(fnp.asarray(a), obj, axis=axis), want)
    if isinstance(obj, np.ndarray):
        check(fnp.delete(fnp.asarray(a), fnp.asarray(obj), axis=axis), want)


def test_delete_traced_unique_indices():
    a = RNG.normal(size=(3, 6))
    for idx in ([4, 0, 2], [-1], [], [5, 4, 3, 2, 1, 0]):
        want = np.delete(a, idx, axis=1)
        f = fnx.jit(lambda a, i: fnp.delete(a, i, axis=1, assume_unique_indices=True))
        check(f(fnp.asarray(a), fnp.asarray(np.array(idx, np.int32))), want)
    # vmap over the indices: each row loses its own entries
    rows = np.array([[0, 3], [5, 1]], np.int32)
    got = fnx.vmap(lambda i: fnp.delete(fnp.asarray(a[0]), i, assume_unique_indices=True))(
        fnp.asarray(rows))
    check(got, np.stack([np.delete(a[0], r) for r in rows]))
    with pytest.raises(ConcretizationTypeError, match="delete: obj is traced"):
        fnx.jit(lambda a, i: fnp.delete(a, i))(fnp.asarray(a), fnp.array([1]))


def test_delete_errors():
    x = fnp.arange(6).reshape(2, 3)
    with pytest.raises(IndexError, match="delete: index 3 is out of bounds for axis 1"):
        fnp.delete(x, 3, axis=1)
    with pytest.raises(IndexError, match="delete: index -7 is out of bounds for axis 0"):
        fnp.delete(x, [0, -7])
    with pytest.raises(ValueError, match="delete: a boolean obj must be 1-d"):
        fnp.delete(x, np.array([True, False]), axis=1)
    with pytest.raises(IndexError, match="delete: indices must be integers or booleans"):
        fnp.delete(x, [0.5])
    with pytest.raises(ValueError, match="delete: axis -3 is out of bounds"):
        fnp.delete(x, 0, axis=-3)


def test_delete_grad_jit_vmap():
    a = RNG.normal(size=(4, 5))
    check_grads(lambda a: fnp.delete(a, [0, 3], axis=1), (a,), order=1)
    check_grads(lambda a: fnp.delete(a, slice(1, None, 2)), (a,), order=1)
    jit_vs_eager(lambda a: fnp.delete(a, np.array([True, False, False, True]), axis=0),
                 fnp.asarray(a))
    vmap_vs_loop(lambda r: fnp.delete(r, [1, -1]), a)


@settings(max_examples=25)
@given(hnp.array_shapes(min_dims=1, max_dims=4, max_side=3), st.data())
def test_rollaxis_vs_numpy(shape, data):
    n = len(shape)
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    axis = data.draw(st.integers(-n, n - 1))
    start = data.draw(st.integers(-n, n))
    check(fnp.rollaxis(fnp.asarray(a), axis, start), np.rollaxis(a, axis, start))


def test_rollaxis_errors():
    x = fnp.ones((2, 3, 4))
    with pytest.raises(ValueError, match="rollaxis: axis 3 is out of bounds"):
        fnp.rollaxis(x, 3)
    with pytest.raises(ValueError, match="rollaxis: 'start' arg requires -3 <= start < 4"):
        fnp.rollaxis(x, 0, 4)
    with pytest.raises(TypeError, match="rollaxis: start must be an integer"):
        fnp.rollaxis(x, 0, 1.5)


# ---------------------------------------------------------------------------------------------
# unravel_index / ravel_multi_index
# ---------------------------------------------------------------------------------------------

dims_strategy = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5)


@settings(max_examples=25)
@given(dims_strategy, st.sampled_from([np.int8, np.int32, np.int64, np.uint8, np.uint32]),
       st.data())
def test_unravel_index_vs_numpy(dims, dtype, data):
    size = int(np.prod(dims))
    hi = min(size - 1, np.iinfo(dtype).max)
    idx = np.array(data.draw(st.lists(st.integers(0, hi), max_size=6)), dtype=dtype)
    got = fnp.unravel_index(fnp.asarray(idx), dims)
    want = np.unravel_index(idx, dims)
    out_dt = np.int32 if np.dtype(dtype).itemsize < 4 else dtype
    assert len(got) == len(want)
    for g, w in zip(got, want):
        check(g, w, out_dt)
    # a scalar index gives 0-d coordinates; ravel_multi_index inverts unravel_index
    check(fnp.unravel_index(size - 1, dims)[0], np.unravel_index(size - 1, dims)[0], np.int32)
    check(fnp.ravel_multi_index(got, dims), idx, out_dt)


def test_unravel_index_out_of_range():
    with pytest.raises(ValueError, match="unravel_index: index 12 is out of bounds"):
        fnp.unravel_index(fnp.array([0, 12]), (3, 4))
    with pytest.raises(ValueError, match="unravel_index: index -1 is out of bounds"):
        fnp.unravel_index(-1, (3, 4))
    with pytest.raises(TypeError, match="unravel_index: only integer indices"):
        fnp.unravel_index(fnp.array([1.0]), (3, 4))
    # traced: jax.numpy's rule -- [-size, 0) wraps once, the rest clips
    f = fnx.jit(lambda i: fnp.stack(fnp.unravel_index(i, (3, 4))))
    got = f(fnp.array([-1, -12, -13, 12, 100, 5], "int32"))
    want = np.stack(np.unravel_index(np.array([11, 0, 0, 11, 11, 5]), (3, 4)))
    check(got, want, np.int32)


def test_unravel_index_jit_vmap():
    idx = fnp.array([0, 7, 23, 11], "int32")
    jit_vs_eager(lambda i: fnp.stack(fnp.unravel_index(i, (2, 3, 4))), idx)
    vmap_vs_loop(lambda i: fnp.stack(fnp.unravel_index(i, (2, 3, 4))),
                 np.array([[0, 5], [23, 17]], np.int32))


@settings(max_examples=25)
@given(dims_strategy, st.sampled_from(["raise", "wrap", "clip"]),
       st.sampled_from(["C", "F"]), st.sampled_from([np.int32, np.int64, np.uint8]),
       st.data())
def test_ravel_multi_index_vs_numpy(dims, mode, order, dtype, data):
    n = data.draw(st.integers(0, 5))
    coords = []
    for d in dims:
        lo, hi = (0, d - 1) if mode == "raise" else (-2 * d, 2 * d)
        if np.dtype(dtype).kind == "u":
            lo = 0
        coords.append(np.array(data.draw(st.lists(st.integers(lo, hi), min_size=n,
                                                  max_size=n)), dtype=dtype))
    got = fnp.ravel_multi_index(tuple(fnp.asarray(c) for c in coords), dims, mode=mode,
                                order=order)
    want = np.ravel_multi_index(tuple(coords), dims, mode=mode, order=order)
    check(got, want, np.int32 if np.dtype(dtype).itemsize < 4 else dtype)


def test_ravel_multi_index_modes_per_dim_and_errors():
    coords = (np.array([3, -1, 1]), np.array([0, 5, -7]))
    got = fnp.ravel_multi_index(tuple(fnp.asarray(c) for c in coords), (3, 4),
                                mode=("clip", "wrap"))
    check(got, np.ravel_multi_index(coords, (3, 4), mode=("clip", "wrap")))
    with pytest.raises(ValueError, match="ravel_multi_index: invalid entry in coordinates"):
        fnp.ravel_multi_index((fnp.array([3]), fnp.array([0])), (3, 4))
    with pytest.raises(ValueError, match="ravel_multi_index: invalid mode 'fill'"):
        fnp.ravel_multi_index((fnp.array([0]), fnp.array([0])), (3, 4), mode="fill")
    with pytest.raises(ValueError, match="ravel_multi_index: order must be 'C' or 'F'"):
        fnp.ravel_multi_index((fnp.array([0]), fnp.array([0])), (3, 4), order="K")
    with pytest.raises(ValueError, match="ravel_multi_index: parameter multi_index must be"):
        fnp.ravel_multi_index((fnp.array([0]),), (3, 4))
    with pytest.raises(TypeError, match="ravel_multi_index: only integer indices"):
        fnp.ravel_multi_index((fnp.array([0.0]), fnp.array([0])), (3, 4))
    with pytest.raises(ValueError, match="ravel_multi_index: operands could not be broadcast"):
        fnp.ravel_multi_index((fnp.array([0, 1]), fnp.array([0, 1, 2])), (3, 4))
    # mode='raise' under jit: jax.numpy's ConcretizationTypeError
    with pytest.raises(ConcretizationTypeError, match="ravel_multi_index: mode='raise'"):
        fnx.jit(lambda i, j: fnp.ravel_multi_index((i, j), (3, 4)))(fnp.array([0]),
                                                                    fnp.array([1]))


def test_ravel_multi_index_jit_vmap():
    i, j = fnp.array([0, 5, -1], "int32"), fnp.array([2, 3, 9], "int32")
    for mode in ("wrap", "clip"):
        jit_vs_eager(lambda i, j: fnp.ravel_multi_index((i, j), (3, 4), mode=mode), i, j)
    vmap_vs_loop(lambda ij: fnp.ravel_multi_index((ij[0], ij[1]), (3, 4), mode="clip"),
                 np.array([[[0, 5], [1, 2]], [[2, 2], [-1, 7]]], np.int32))


# ---------------------------------------------------------------------------------------------
# fill_diagonal
# ---------------------------------------------------------------------------------------------

@settings(max_examples=30)
@given(st.sampled_from(DTYPES), st.one_of(
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=7),
    st.builds(lambda n, k: (n,) * k, st.integers(0, 3), st.integers(3, 4))),
    st.booleans(), st.integers(0, 4), st.data())
def test_fill_diagonal_vs_numpy(dtype, shape, wrap, nval, data):
    a = data.draw(arrays(dtype, shape))
    val = data.draw(arrays(dtype, (nval,))) if nval else data.draw(arrays(dtype, ()))
    want = a.copy()
    np.fill_diagonal(want, val, wrap=wrap)
    got = fnp.fill_diagonal(fnp.asarray(a), fnp.asarray(val), wrap=wrap, inplace=False)
    check(got, want)


def test_fill_diagonal_casts_and_errors():
    a = np.zeros((3, 3), np.int32)
    want = a.copy()
    np.fill_diagonal(want, 2.7)
    check(fnp.fill_diagonal(fnp.asarray(a), 2.7, inplace=False), want)
    with pytest.raises(NotImplementedError, match="fill_diagonal: .*inplace=False"):
        fnp.fill_diagonal(fnp.asarray(a), 1)
    with pytest.raises(ValueError, match="fill_diagonal: array must be at least 2-d"):
        fnp.fill_diagonal(fnp.ones(3), 1, inplace=False)
    with pytest.raises(ValueError, match="fill_diagonal: all dimensions of input must be"):
        fnp.fill_diagonal(fnp.ones((2, 2, 3)), 1, inplace=False)


def test_fill_diagonal_grad_jit_vmap():
    a = RNG.normal(size=(5, 3))
    v = RNG.normal(size=(2,))
    check_grads(lambda a, v: fnp.fill_diagonal(a, v, wrap=True, inplace=False), (a, v),
                order=1)
    jit_vs_eager(lambda a, v: fnp.fill_diagonal(a, v, inplace=False), fnp.asarray(a),
                 fnp.asarray(v))
    vmap_vs_loop(lambda m: fnp.fill_diagonal(m, m[0, 1] * 2.0, inplace=False),
                 RNG.normal(size=(3, 4, 4)))


# ---------------------------------------------------------------------------------------------
# apply_along_axis / apply_over_axes
# ---------------------------------------------------------------------------------------------

ALONG = {   # name: (fnx function of a 1-d slice, numpy twin)
    "sum": (lambda v: fnp.sum(v), lambda v: np.sum(v)),
    "cumsum_rev": (lambda v: fnp.cumsum(v)[::-1] * 2, lambda v: np.cumsum(v)[::-1] * 2),
    "outer": (lambda v: fnp.outer(v, v[:2]), lambda v: np.outer(v, v[:2])),
    "extra": (lambda v, k=1.0: v * k + v[0], lambda v, k=1.0: v * k + v[0]),
}


@settings(max_examples=20)
@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4),
       st.sampled_from(sorted(ALONG)), st.data())
def test_apply_along_axis_vs_numpy(shape, name, data):
    a = data.draw(arrays(np.float64, shape, specials=False))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    f, g = ALONG[name]
    kwargs = {"k": 3.0} if name == "extra" else {}
    got = fnp.apply_along_axis(f, axis, fnp.asarray(a), **kwargs)
    check(got, np.apply_along_axis(g, axis, a, **kwargs))


def test_apply_along_axis_grad_jit_vmap_errors():
    a = RNG.normal(size=(3, 4, 2))
    f = lambda a: fnp.apply_along_axis(lambda v: fnp.sin(v) * v[0], 1, a)  # noqa: E731
    check_grads(f, (a,), order=1)
    jit_vs_eager(f, fnp.asarray(a))
    vmap_vs_loop(f, RNG.normal(size=(2, 3, 4, 2)))
    with pytest.raises(ValueError, match="apply_along_axis: axis 3 is out of bounds"):
        fnp.apply_along_axis(fnp.sum, 3, fnp.asarray(a))


@pytest.mark.parametrize("axes", [0, [0, 2], (1,), [-1, 0]])
def test_apply_over_axes_vs_numpy(axes):
    a = RNG.normal(size=(2, 3, 4))
    check(fnp.apply_over_axes(fnp.sum, fnp.asarray(a), axes), np.apply_over_axes(np.sum, a, axes))
    keep = lambda x, axis: fnp.max(x, axis=axis, keepdims=True)  # noqa: E731
    check(fnp.apply_over_axes(keep, fnp.asarray(a), axes), np.apply_over_axes(np.max, a, axes))


def test_apply_over_axes_errors():
    with pytest.raises(ValueError, match="apply_over_axes: function is not returning"):
        fnp.apply_over_axes(lambda x, axis: fnp.sum(x), fnp.ones((2, 3, 4)), [0])
    with pytest.raises(ValueError, match="apply_over_axes: axis 3 is out of bounds"):
        fnp.apply_over_axes(fnp.sum, fnp.ones((2, 3, 4)), [3])


# ---------------------------------------------------------------------------------------------
# vectorize
# ---------------------------------------------------------------------------------------------

VECTORIZE = {   # name: (signature, fnx function, numpy function, core shapes of the inputs)
    "dot": ("(n),(n)->()", lambda a, b: fnp.dot(a, b), np.dot, [(3,), (3,)]),
    "matvec": ("(m,n),(n)->(m)", lambda a, b: fnp.matmul(a, b), np.matmul, [(2, 3), (3,)]),
    "two_out": ("(n)->(),(n)", lambda a: (fnp.sum(a), fnp.cumsum(a)),
                lambda a: (np.sum(a), np.cumsum(a)), [(4,)]),
    "outer": ("(n),(m)->(n,m)", lambda a, b: fnp.outer(a, b), np.outer, [(2,), (3,)]),
    "scalar": (None, lambda a, b: a * b + fnp.sin(a), lambda a, b: a * b + np.sin(a), [(), ()]),
}


@settings(max_examples=25)
@given(st.sampled_from(sorted(VECTORIZE)),
       st.lists(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3), min_size=2,
                max_size=2),
       st.data())
def test_vectorize_vs_numpy(name, loops, data):
    sig, f, g, cores = VECTORIZE[name]
    # loop shapes that broadcast: drop to 1 wherever they disagree
    loops = [list(s) for s in loops]
    for k in range(1, min(len(loops[0]), len(loops[1])) + 1):
        if loops[0][-k] != loops[1][-k]:
            loops[1][-k] = 1
    args = [data.draw(arrays(np.float64, tuple(loop) + core, specials=False))
            for loop, core in zip(loops, cores)]
    got = fnp.vectorize(f, signature=sig)(*[fnp.asarray(x) for x in args])
    want = np.vectorize(g, signature=sig)(*args)
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for gg, ww in zip(got, want):
            check(gg, ww)
    else:
        check(got, want)


def test_vectorize_excluded_kwargs_and_none():
    def f(x, scale, *, offset=0.0, mode="add"):
        return x * scale + offset if mode == "add" else x * scale - offset
    vf = fnp.vectorize(f, excluded={1, "mode"})
    x = RNG.normal(size=(2, 3))
    off = RNG.normal(size=(3,))
    got = vf(fnp.asarray(x), 2.0, offset=fnp.asarray(off), mode="sub")
    want = np.vectorize(f, excluded={1, "mode"})(x, 2.0, offset=off, mode="sub")
    check(got, want)
    # None passes through untouched (jax.numpy's rule)
    g = fnp.vectorize(lambda a, b: a if b is None else a + b)
    check(g(fnp.asarray(x), None), x)
    # jit of a vectorized function, and the excluded argument may be any Python object
    h = fnp.vectorize(lambda a, table: a * table["k"], excluded={1})
    jit_vs_eager(lambda a: h(a, {"k": 3.0}), fnp.asarray(x))


def test_vectorize_grad_jit_vmap():
    vdot = fnp.vectorize(lambda a, b: fnp.dot(a, b) ** 2, signature="(n),(n)->()")
    a, b = RNG.normal(size=(2, 1, 3)), RNG.normal(size=(4, 3))
    check_grads(vdot, (a, b), order=1)
    jit_vs_eager(vdot, fnp.asarray(a), fnp.asarray(b))
    vmap_vs_loop(lambda x: vdot(x, x[::-1]), RNG.normal(size=(3, 2, 4)))
    vf = fnp.vectorize(lambda x, y: fnp.where(x > y, x - y, x * y))
    check_grads(vf, (RNG.normal(size=(3, 1)), RNG.normal(size=(4,))), order=1)


def test_vectorize_errors():
    with pytest.raises(ValueError, match="vectorize: not a valid gufunc signature"):
        fnp.vectorize(fnp.sum, signature="(n)->")
    with pytest.raises(ValueError, match="vectorize: not a valid gufunc signature"):
        fnp.vectorize(fnp.sum, signature="(n,)->()")
    with pytest.raises(TypeError, match="vectorize: expected a callable"):
        fnp.vectorize(3)
    with pytest.raises(TypeError, match="vectorize: excluded entries"):
        fnp.vectorize(fnp.sum, excluded={1.5})
    vdot = fnp.vectorize(fnp.dot, signature="(n),(n)->()")
    with pytest.raises(ValueError, match="vectorize: inconsistent size for core dimension 'n'"):
        vdot(fnp.ones(3), fnp.ones(4))
    with pytest.raises(TypeError, match="vectorize: wrong number of vectorized arguments"):
        vdot(fnp.ones(3))
    with pytest.raises(ValueError, match="vectorize: argument 1 of shape"):
        vdot(fnp.ones(3), fnp.asarray(1.0))
    with pytest.raises(ValueError, match="vectorize: output 0 has shape"):
        fnp.vectorize(lambda a: a, signature="(n)->()")(fnp.ones((2, 3)))
    with pytest.raises(ValueError, match="vectorize: the function must return a tuple of 2"):
        fnp.vectorize(lambda a: a, signature="(n)->(n),()")(fnp.ones((2, 3)))
    with pytest.raises(ValueError, match="vectorize: operands could not be broadcast"):
        fnp.vectorize(lambda a, b: a + b)(fnp.ones(2), fnp.ones(3))


# ---------------------------------------------------------------------------------------------
# select / piecewise
# ---------------------------------------------------------------------------------------------

@settings(max_examples=25)
@given(st.sampled_from(DTYPES), st.integers(1, 3), small_shapes, st.data())
def test_select_vs_numpy(dtype, k, shape, data):
    conds = [data.draw(arrays(np.bool_, shape)) for _ in range(k)]
    choices = [data.draw(arrays(dtype, shape[data.draw(st.integers(0, len(shape))):]))
               for _ in range(k)]
    default = data.draw(st.one_of(st.just(0), arrays(dtype, ())))
    got = fnp.select([fnp.asarray(c) for c in conds], [fnp.asarray(c) for c in choices],
                     default if isinstance(default, int) else fnp.asarray(default))
    want = np.select(conds, choices, default)
    fdefault = default if isinstance(default, int) else fnp.asarray(default)
    check(got, want, fnp.result_type(*[fnp.asarray(c) for c in choices], fdefault))


def test_select_grad_jit_vmap_errors():
    x = RNG.normal(size=(3, 4))
    f = lambda x: fnp.select([x < -0.5, x > 0.5], [x ** 2, fnp.sin(x)], x * 3.0)  # noqa: E731
    check_grads(f, (x,), order=1)
    jit_vs_eager(f, fnp.asarray(x))
    vmap_vs_loop(f, x)
    with pytest.raises(ValueError, match="select: condlist and choicelist must have the same"):
        fnp.select([x > 0], [x, x])
    with pytest.raises(ValueError, match="select: condlist must not be empty"):
        fnp.select([], [])
    with pytest.raises(TypeError, match="select: condlist entry 0 must be a boolean array"):
        fnp.select([fnp.asarray(x)], [fnp.asarray(x)])
    with pytest.raises(ValueError, match="select: operands could not be broadcast"):
        fnp.select([fnp.ones(3) > 0], [fnp.ones(4)])


PIECES = {   # name: (condition builders, fnx funclist, numpy funclist)
    "two": (lambda x: [x < 0, x >= 0], [lambda v: -v, lambda v: v ** 2],
            [lambda v: -v, lambda v: v ** 2]),
    "otherwise": (lambda x: [x < -1, x > 1], [lambda v: v * 2, 5.0, lambda v: fnp.cos(v)],
                  [lambda v: v * 2, 5.0, lambda v: np.cos(v)]),
    "overlap": (lambda x: [x < 1, x < 0], [1.0, -1.0], [1.0, -1.0]),
    "single": (lambda x: x > 0, [lambda v: v + 1], [lambda v: v + 1]),
}


@settings(max_examples=20)
@given(st.sampled_from(sorted(PIECES)), st.sampled_from([np.float32, np.float64, np.int32]),
       hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4), st.data())
def test_piecewise_vs_numpy(name, dtype, shape, data):
    x = data.draw(arrays(dtype, shape, specials=False))
    conds, ffs, nfs = PIECES[name]
    got = fnp.piecewise(fnp.asarray(x), conds(fnp.asarray(x)), ffs)
    # numpy reads one 2-d condition array as a list of rows (and fails on an empty one):
    # fnx reads it as one condition, which numpy spells [cond]
    want = np.piecewise(x, [conds(x)] if name == "single" else conds(x), nfs)
    check(got, want)


def test_piecewise_args_grad_jit_vmap_errors():
    x = RNG.normal(size=(5,))
    funcs = [lambda v, a: a * v, lambda v, a: v ** 3]
    f = lambda x: fnp.piecewise(x, [x < 0], funcs, 2.0)  # noqa: E731
    check(f(fnp.asarray(x)), np.piecewise(x, [x < 0], funcs, 2.0))
    check_grads(f, (x,), order=1)
    jit_vs_eager(f, fnp.asarray(x))
    vmap_vs_loop(f, RNG.normal(size=(3, 5)))
    with pytest.raises(ValueError, match="piecewise: with 2 condition"):
        fnp.piecewise(fnp.asarray(x), [x < 0, x > 0], [1.0])
    with pytest.raises(ValueError, match="piecewise: a condition of shape"):
        fnp.piecewise(fnp.asarray(x), [fnp.ones(3) > 0], [1.0])
    with pytest.raises(ValueError, match="piecewise: a function's value of shape"):
        fnp.piecewise(fnp.asarray(x), [x < 0], [lambda v: fnp.ones(3)])


# ---------------------------------------------------------------------------------------------
# jit == eager and vmap == a loop for the remaining static-shape functions
# ---------------------------------------------------------------------------------------------

STATIC_SHAPE = {
    "append": lambda x: fnp.append(x, x[:1] * 2.0, axis=0),
    "append_flat": lambda x: fnp.append(x, 1.5),
    "rollaxis": lambda x: fnp.rollaxis(x[None, :, None], 1, 3),
    "r_": lambda x: fnp.r_[x, 0:3, x[::-1]],
    "c_": lambda x: fnp.c_[x, x * 2.0, 0:1:complex(0, x.shape[0])],
    "ix_": lambda x: fnp.outer(x, x)[fnp.ix_(fnp.array([2, 0]), fnp.array([1, 1, 3]))],
    "mgrid": lambda x: fnp.mgrid[0:2, 0:x.shape[0]] * x,
    "ogrid": lambda x: fnp.ogrid[0:2, 0:x.shape[0]][1] + x,
}


@pytest.mark.parametrize("name", sorted(STATIC_SHAPE))
def test_static_shape_functions_jit_and_vmap(name):
    f = STATIC_SHAPE[name]
    xs = RNG.normal(size=(3, 4))
    jit_vs_eager(f, fnp.asarray(xs[0]))
    vmap_vs_loop(f, xs)
    check_grads(f, (xs[0],), order=1)
