"""Indexing (x[idx]) and functional updates (x.at[idx]) of fnx.numpy against numpy.

Out-of-range rule (documented in fnx/numpy/_indexing.py): negative indices wrap once; gathers
clamp, scatters drop.  The numpy models below implement exactly that rule.
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import fnx
import fnx.numpy as fnp
from fnx.errors import ConcretizationTypeError
from fnx.interpreters.partial_eval import make_jaxpr

RNG = np.random.default_rng(1)


def check(got, want):
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_array_equal(got, want)


@st.composite
def index_strategy(draw, shape, allow_oob=False, allow_mask=True):
    """A random numpy index for an array of ``shape`` (ints, slices, None, ..., int arrays,
    boolean masks)."""
    ndim = len(shape)
    k = draw(st.integers(0, ndim))
    use_ellipsis = draw(st.booleans())
    p = draw(st.integers(0, k)) if use_ellipsis else k
    dims = list(range(p)) + list(range(ndim - (k - p), ndim))
    bshape = draw(st.sampled_from([(), (2,), (3,), (2, 1), (1, 3), (2, 3), (0,)]))
    entries = []
    for d in dims:
        n = shape[d]
        kind = draw(st.sampled_from(["int", "slice", "slice", "array", "array", "mask"]))
        if kind == "int" and n > 0:
            entries.append(draw(st.integers(-n, n - 1)))
        elif kind == "array" and (n > 0 or bshape == (0,)):
            lo, hi = (-n - 3, n + 3) if allow_oob else (-n, max(n - 1, -n))
            vals = draw(st.lists(st.integers(lo, hi), min_size=int(np.prod(bshape)),
                                 max_size=int(np.prod(bshape))))
            entries.append(np.array(vals, dtype=np.int32).reshape(bshape))
        elif kind == "mask" and allow_mask:
            entries.append(np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)),
                                    dtype=bool))
        else:
            lo = draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
            hi = draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
            step = draw(st.one_of(st.none(), st.sampled_from([1, 2, 3, -1, -2])))
            entries.append(slice(lo, hi, step))
    if use_ellipsis:
        entries.insert(p, Ellipsis)
    for _ in range(draw(st.integers(0, 2))):
        entries.insert(draw(st.integers(0, len(entries))), None)
    if len(entries) == 1 and draw(st.booleans()):
        return entries[0]
    return tuple(entries)


SHAPES = [(5,), (3, 4), (2, 3, 4), (4, 1, 3), (2, 0, 3), (3, 2, 2, 2)]


def _fnx_index(idx, as_fnx_arrays):
    if not as_fnx_arrays:
        return idx
    conv = lambda e: fnp.asarray(e) if isinstance(e, np.ndarray) else e  # noqa: E731
    return tuple(conv(e) for e in idx) if isinstance(idx, tuple) else conv(idx)


@given(st.data())
def test_getitem_random_vs_numpy(data):
    shape = data.draw(st.sampled_from(SHAPES))
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    idx = data.draw(index_strategy(shape))
    try:
        want = x[idx]
    except IndexError:
        return
    as_arrays = data.draw(st.booleans())
    got = fnp.asarray(x)[_fnx_index(idx, as_arrays)]
    check(got, want)


def _clip_index(idx, shape):
    """numpy model of the gather rule: wrap negatives once, then clamp, per indexed dim."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    n_consumed = sum(1 for e in idx if e is not None and e is not Ellipsis)
    out, dim = [], 0
    for e in idx:
        if e is None:
            out.append(e)
            continue
        if e is Ellipsis:
            out.append(e)
            dim += len(shape) - n_consumed
            continue
        if isinstance(e, np.ndarray) and e.dtype != bool:
            n = shape[dim]
            e = np.clip(np.where(e < 0, e + n, e), 0, n - 1)
        out.append(e)
        dim += 1
    return tuple(out)


@given(st.data())
def test_getitem_out_of_range_clamps(data):
    shape = data.draw(st.sampled_from([(5,), (3, 4), (2, 3, 4)]))
    x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    idx = data.draw(index_strategy(shape, allow_oob=True, allow_mask=False))
    try:
        want = x[_clip_index(idx, shape)]
    except IndexError:
        return
    check(fnp.asarray(x)[_fnx_index(idx, True)], want)


def _trash_model(x, idx, v, op):
    """numpy model of the scatter rule: out-of-range updates go to an extra 'trash' slot
    appended to each array-indexed dim, which is removed afterwards."""
    shape = x.shape
    if not isinstance(idx, tuple):
        idx = (idx,)
    n_consumed = sum(1 for e in idx if e is not None and e is not Ellipsis)
    out, dim, padded = [], 0, []
    for e in idx:
        if e is None:
            out.append(e)
            continue
        if e is Ellipsis:
            out.append(e)
            dim += len(shape) - n_consumed
            continue
        if isinstance(e, (int, np.integer)):
            e = np.asarray(e)
        if isinstance(e, np.ndarray) and e.dtype != bool:
            n = shape[dim]
            w = np.where(e < 0, e + n, e)
            e = np.where((w < 0) | (w >= n), n, w)
            padded.append(dim)
        out.append(e)
        dim += 1
    pad = [(0, 1) if d in padded else (0, 0) for d in range(len(shape))]
    xp = np.pad(x, pad)
    out = tuple(out)
    vb = np.broadcast_to(v, xp[out].shape) if np.ndim(v) <= xp[out].ndim else v
    if op == "set":
        xp[out] = vb
    else:
        getattr(np, op).at(xp, out, vb)
    return xp[tuple(slice(0, n) for n in shape)]


@pytest.mark.parametrize("op", ["set", "add", "multiply", "minimum", "maximum"])
@given(data=st.data())
def test_at_updates_random_vs_numpy(op, data):
    shape = data.draw(st.sampled_from([(5,), (3, 4), (2, 3, 4), (3, 1, 2)]))
    x = RNG.integers(-5, 5, size=shape).astype(np.int32)
    allow_oob = data.draw(st.booleans())
    idx = data.draw(index_strategy(shape, allow_oob=allow_oob))
    try:
        view = x[_clip_index(idx, shape)]
    except IndexError:
        return
    if op == "set":
        # duplicates with different values make "which write wins" backend-defined; use a
        # scalar-per-position update that is the same for all duplicates
        v = np.int32(7)
    else:
        v = RNG.integers(-3, 4, size=view.shape[data.draw(st.integers(0, view.ndim)):]
                         ).astype(np.int32)
    want = _trash_model(x, idx, v, op)
    ref = fnp.asarray(x).at[_fnx_index(idx, data.draw(st.booleans()))]
    method = {"set": "set", "add": "add", "multiply": "multiply", "minimum": "min",
              "maximum": "max"}[op]
    got = getattr(ref, method)(fnp.asarray(v))
    check(got, want)


def test_at_basic_cases():
    x = np.zeros((3, 4), np.float32)
    fx = fnp.asarray(x)
    check(fx.at[1].set(5.0), _set(x, 1, 5.0))
    check(fx.at[:, 1:3].add(np.ones((3, 2), np.float32)), _add(x, (slice(None), slice(1, 3)), 1))
    check(fx.at[::-1, 0].set(fnp.arange(3.0)), _set(x, (slice(None, None, -1), 0),
                                                    np.arange(3.0)))
    check(fx.at[fnp.array([0, 0, 2]), 1].add(1.0), _addat(x, ([0, 0, 2], 1), 1.0))
    check(fx.at[fnp.array([0, 0, 2]), 1].mul(3.0), np.asarray(fx.at[fnp.array([0, 2]), 1]
                                                               .set(0.0)))
    check(fx.at[...].set(2.0), np.full((3, 4), 2.0, np.float32))
    check(fx.at[:].add(1.0), x + 1)
    check(fx.at[-1, -1].set(9.0), _set(x, (-1, -1), 9.0))
    check(fx.at[5].set(9.0), x)  # out of range: dropped
    check(fx.at[fnp.array([5, -9])].set(9.0), x)
    check(fx.at[1].get(), x[1])
    y = np.arange(12, dtype=np.float32).reshape(3, 4)
    check(fnp.asarray(y).at[1].divide(2.0), _div(y, 1, 2.0))
    check(fnp.asarray(y).at[0, 1:].power(2), _pow(y, (0, slice(1, None)), 2))
    check(fnp.asarray(y).at[0].apply(lambda v: v * 10), _set(y, 0, y[0] * 10))
    mask = y > 5
    check(fnp.asarray(y).at[mask].set(0.0), _set(y, mask, 0.0))
    check(fnp.asarray(y).at[fnp.asarray(mask)].add(1.0), _add(y, mask, 1.0))
    b = np.zeros(4, bool)
    check(fnp.asarray(b).at[1].set(True), _set(b, 1, True))
    check(fnp.asarray(b).at[fnp.array([1, 1])].add(True), _set(b, 1, True))
    # the update is cast to x's dtype
    xi = np.zeros(3, np.int32)
    check(fnp.asarray(xi).at[0].set(2.7), _set(xi, 0, 2))
    check(fnp.asarray(xi).at[None, 0].set(fnp.asarray([4])), _set(xi, 0, 4))


def _set(x, idx, v):
    y = x.copy()
    y[idx] = v
    return y


def _add(x, idx, v):
    y = x.copy()
    y[idx] += v
    return y


def _addat(x, idx, v):
    y = x.copy()
    np.add.at(y, idx, v)
    return y


def _div(x, idx, v):
    y = x.copy()
    y[idx] /= v
    return y


def _pow(x, idx, v):
    y = x.copy()
    y[idx] **= v
    return y


def test_getitem_special_cases():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    fx = fnp.asarray(x)
    cases = [0, -1, (1, 2), (slice(None), 1), (Ellipsis, 1), (None, 0, None), (0, Ellipsis, None),
             (slice(None, None, -1),), (slice(None, None, -2), slice(1, None, 2)),
             ([0, 1], [2, 0]), (0, slice(None), [1, 3]), ([[0], [1]], slice(None), [1, 3]),
             (slice(None), [0, 2], [1, 3]), (slice(None), [0, 2], None, [1, 3]),
             (np.array([True, False]),), (x > 10,), (slice(None), x[0] > 3),
             (True,), (False,), (0, np.array([True, False, True])),
             (np.int32(1), np.int64(2)), (Ellipsis,), (), (slice(5, 1),), (slice(-100, 100),),
             ([],), (np.array([], np.int64), 0)]
    for idx in cases:
        check(fx[idx], x[idx])
    check(fx[fnp.asarray(1)], x[1])  # concrete 0-d Array acts as an int
    check(fx[fnp.asarray([1, 0])], x[[1, 0]])
    check(fx[[fnp.asarray(1), 0]], x[[1, 0]])
    with pytest.raises(IndexError):
        fx[2]
    with pytest.raises(IndexError):
        fx[0, 0, 0, 0]
    with pytest.raises(IndexError):
        fx[..., ...]
    with pytest.raises(IndexError):
        fx[np.array([True, False, True])]
    with pytest.raises(IndexError):
        fx[np.array([0.5])]


def test_getitem_traced():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)

    def f(a, i, j):
        return a[i], a[:, j], a[i, 1:], a[fnp.array([0, 2]), j]

    jaxpr = make_jaxpr(f)(fnp.asarray(x), fnp.asarray(1), fnp.asarray(-1))
    text = str(jaxpr)
    assert "dynamic_slice" in text and "gather" in text
    from fnx.core import eval_jaxpr
    for i, j in [(1, -1), (7, 9), (-5, 0)]:
        outs = eval_jaxpr(jaxpr.jaxpr, list(jaxpr.consts) + [fnp.asarray(x), fnp.asarray(i),
                                                             fnp.asarray(j)])
        ic = min(max(i + 3 if i < 0 else i, 0), 2)
        jc = min(max(j + 4 if j < 0 else j, 0), 3)
        check(outs[0], x[ic])
        check(outs[1], x[:, jc])
        check(outs[2], x[ic, 1:])
        check(outs[3], x[[0, 2], jc])
    with pytest.raises(ConcretizationTypeError, match="boolean"):
        make_jaxpr(lambda a: a[a > 2])(fnp.asarray(x))
    with pytest.raises(ConcretizationTypeError):
        make_jaxpr(lambda a: a.at[a > 2].set(0.0))(fnp.asarray(x))
    jaxpr = make_jaxpr(lambda a, i: a.at[i].set(0.0))(fnp.asarray(x), fnp.asarray(1))
    assert "scatter" in str(jaxpr)


def test_gather_lowering_is_one_gather():
    x = fnp.ones((3, 4, 5))
    jaxpr = make_jaxpr(lambda x: x[fnp.array([0, 1]), :, fnp.array([[1], [2]])])(x)
    assert [e.primitive.name for e in jaxpr.eqns].count("gather") == 1
    jaxpr = make_jaxpr(lambda x: x.at[1:, fnp.array([0, 3])].add(1.0))(x)
    assert [e.primitive.name for e in jaxpr.eqns].count("scatter-add") == 1


def test_iteration_and_len():
    x = np.arange(6, dtype=np.int32).reshape(3, 2)
    rows = list(fnp.asarray(x))
    assert len(rows) == 3 and len(fnp.asarray(x)) == 3
    for r, w in zip(rows, x):
        check(r, w)


# ---------------------------------------------------------------------------------------------
# issue 16: the mode / fill_value of x.at[idx] (jax's semantics), empty axes, uint32 indices
# ---------------------------------------------------------------------------------------------

def _clamped(i, n):
    """jax's "clip": a negative index wraps once, then the index clamps into [0, n)."""
    return min(max(i + n if i < 0 else i, 0), n - 1)


def test_at_get_fill_mode_uses_fill_value():
    y = np.arange(6, dtype=np.float32).reshape(2, 3)
    fy = fnp.asarray(y)
    rows = [0, 5, -1, -3]
    want = np.stack([y[r] if -2 <= r < 2 else np.full(3, -1.0, np.float32) for r in rows])
    check(fy.at[fnp.asarray(rows)].get(mode="fill", fill_value=-1.0), want)
    check(fy.at[fnp.asarray(rows)].get(mode="drop", fill_value=-1.0), want)
    check(fy.at[1, fnp.asarray([0, 5, -1, -4])].get(mode="fill"),
          np.array([3.0, np.nan, 5.0, np.nan], np.float32))
    check(fy.at[1, 7].get(mode="fill"), np.float32(np.nan))   # a static int too
    check(fy.at[fnp.asarray([1, 2]), 2].get(mode="fill"), np.array([5.0, np.nan], np.float32))
    xi = fnp.asarray(np.array([1, 2], np.int8))
    check(xi.at[fnp.asarray([1, 2])].get(mode="fill"), np.array([2, -128], np.int8))
    xu = fnp.asarray(np.array([1, 2], np.uint8))
    check(xu.at[fnp.asarray([3])].get(mode="fill"), np.array([255], np.uint8))
    got = fnx.jit(lambda a, i: a.at[i, 1].get(mode="fill", fill_value=7.0))(fy, fnp.asarray(3))
    check(got, np.float32(7.0))


def test_at_get_clip_mode_clamps_every_index():
    y = np.arange(6, dtype=np.float32).reshape(2, 3)
    fy = fnp.asarray(y)
    check(fy.at[1, 7].get(mode="clip"), y[1, _clamped(7, 3)])
    check(fy.at[-9].get(mode="clip"), y[_clamped(-9, 2)])
    check(fy.at[fnp.asarray([5, -1, -7])].get(mode="clip"),
          y[[_clamped(i, 2) for i in (5, -1, -7)]])
    with pytest.raises(IndexError, match="index 7 is out of bounds for axis 1 with size 3"):
        fy.at[1, 7].get()   # the default keeps numpy's error for a static int


_NP_UPDATES = {"set": lambda old, v: v, "add": lambda old, v: old + v,
               "mul": lambda old, v: old * v, "multiply": lambda old, v: old * v,
               "min": lambda old, v: min(old, v), "max": lambda old, v: max(old, v),
               "divide": lambda old, v: old / v, "power": lambda old, v: old ** v}


@pytest.mark.parametrize("method", sorted(_NP_UPDATES))
def test_at_update_modes(method):
    np_update = _NP_UPDATES[method]
    y = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    fy = fnp.asarray(y)
    upd = getattr(fy.at[1, 7], method)
    want = y.copy()
    want[1, 2] = np_update(y[1, 2], np.float32(3.0))
    check(upd(3.0, mode="clip"), want)            # the index clamps to (1, 2)
    for mode in (None, "drop", "fill", "promise_in_bounds"):
        check(upd(3.0, mode=mode), y)             # the update is dropped
    for rows in ([5], [-7]):                      # 5 clamps to row 1, -7 (+2) to row 0
        arr_idx = getattr(fy.at[fnp.asarray(rows), 0], method)
        want = y.copy()
        r = _clamped(rows[0], 2)
        want[r, 0] = np_update(y[r, 0], np.float32(2.0))
        check(arr_idx(2.0, mode="clip"), want)
        check(arr_idx(2.0), y)                    # dropped by default
    with pytest.raises(ValueError, match=r"at\.\w+: mode must be one of"):
        upd(3.0, mode="bogus")


def test_at_apply_and_get_reject_unknown_modes_and_follow_mode():
    y = np.arange(6, dtype=np.float32).reshape(2, 3)
    fy = fnp.asarray(y)
    check(fy.at[1, 7].apply(lambda v: -v, mode="clip"), _set(y, (1, 2), -y[1, 2]))
    check(fy.at[1, fnp.asarray([7, 1])].apply(lambda v: -v, mode="drop"),
          _set(y, (1, 1), -y[1, 1]))
    check(fy.at[1, 7].apply(lambda v: -v), y)   # dropped by default, as every update
    for call in (lambda: fy.at[0].get(mode="bogus"),
                 lambda: fy.at[0].apply(lambda v: v, mode="bogus")):
        with pytest.raises(ValueError, match="mode must be one of"):
            call()


def test_at_on_an_empty_axis():
    # was ZeroDivisionError; jax raises IndexError for an integer index into a size-0 axis
    for mode in (None, "drop", "clip"):
        with pytest.raises(IndexError, match="at.set: index 0 is out of bounds for axis 0 "
                                             "with size 0"):
            fnp.zeros(0).at[0].set(1.0, mode=mode)
    with pytest.raises(IndexError, match=r"at.add: index \(traced .*\) is out of bounds for "
                                         r"axis 0 with size 0"):
        fnx.jit(lambda i: fnp.zeros((0, 2)).at[i].add(1.0))(fnp.asarray(0))
    with pytest.raises(IndexError, match="out of bounds for axis 0 with size 0"):
        fnx.jit(lambda i: fnp.zeros(0)[i])(fnp.asarray(0))
    # index arrays only drop their updates (nothing is addressable)
    check(fnp.zeros(0).at[fnp.asarray([0])].set(1.0), np.zeros(0, np.float32))
    check(fnp.zeros((0, 2)).at[fnp.asarray([0]), 1].add(1.0, mode="clip"),
          np.zeros((0, 2), np.float32))


def test_uint32_index_beyond_int32_is_out_of_range():
    # 2**32 - 1 was narrowed to int32 -1 and wrote to the last element
    x = np.arange(3, dtype=np.float32)
    big = np.array([2 ** 32 - 1], np.uint32)
    check(fnp.asarray(x).at[big].set(9.0), x)
    check(fnp.asarray(x).at[fnp.asarray(big)].add(9.0), x)
    check(fnp.asarray(x).at[big].get(mode="fill"), np.array([np.nan], np.float32))


def test_concrete_index_arrays_normalised_on_the_host_match_the_traced_path():
    # eager x[idx] / x.at[idx] wrap and clamp (or mask) concrete index arrays in numpy; under
    # jit the same normalisation is staged as primitives: both must give jax's answers
    x = np.arange(5, dtype=np.float32)
    indices = [np.array([0, 2, -1, 7, -9], np.int32), np.array(-2, np.int32),
               np.array([[4, -5], [5, 1]], np.int64), np.array([2 ** 32 - 1, 3], np.uint32),
               np.array([1, 250], np.uint8), np.zeros((0,), np.int32)]
    for idx in indices:
        wrapped = np.where(idx.astype(np.int64) < 0, idx.astype(np.int64) + 5, idx)
        gathered = x[np.clip(wrapped, 0, 4)]
        added = x.copy()
        np.add.at(added, wrapped[(wrapped >= 0) & (wrapped < 5)], 1.0)
        fx, fi = fnp.asarray(x), fnp.asarray(idx)
        for get, add in ((lambda a, i: a[i], lambda a, i: a.at[i].add(1.0)),
                         (fnx.jit(lambda a, i: a[i]), fnx.jit(lambda a, i: a.at[i].add(1.0)))):
            check(get(fx, fi), gathered)
            check(add(fx, fi), added)
