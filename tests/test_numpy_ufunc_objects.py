"""fnx.numpy's ufunc objects (``fnp.add.reduce``, ``fnp.multiply.outer``, ``fnp.add.at``...)
against numpy's ufunc methods, and fnx.numpy's callable scalar types (``fnp.float32(x)``).

For every binary ufunc, hypothesis draws a dtype, an array, an axis (None / int / tuple),
keepdims, initial and where; where numpy rejects the call fnx must reject it too, else fnx's
result has fnx's dtype (the elementwise function's, or ``fnp.sum``'s for add / multiply) and
numpy's values.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx.test_util import check_grads

DTYPES = [np.dtype(d) for d in
          ("bool", "int8", "int32", "int64", "uint8", "uint32", "float32", "float64",
           "complex64", "complex128")]
FLOATS = [np.dtype("float32"), np.dtype("float64")]

BINARY = ["add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "remainder",
          "fmod", "power", "float_power", "maximum", "minimum", "fmax", "fmin", "arctan2",
          "hypot", "logaddexp", "logaddexp2", "copysign", "nextafter", "heaviside",
          "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
          "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or",
          "bitwise_xor", "left_shift", "right_shift"]
UNARY = ["negative", "positive", "absolute", "fabs", "sign", "exp", "expm1", "exp2", "log",
         "log1p", "log2", "log10", "sqrt", "cbrt", "square", "reciprocal", "sin", "cos", "tan",
         "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
         "deg2rad", "rad2deg", "floor", "ceil", "trunc", "rint", "logical_not", "bitwise_not",
         "isnan", "isinf", "isfinite", "signbit", "conjugate"]
ALIASES = ["mod", "pow", "abs", "atan2", "bitwise_left_shift", "bitwise_right_shift", "invert",
           "bitwise_invert", "asin", "acos", "atan", "asinh", "acosh", "atanh", "radians",
           "degrees", "conj", "divmod"]
REORDERABLE = {"add", "multiply", "maximum", "minimum", "fmax", "fmin", "hypot", "logaddexp",
               "logaddexp2", "logical_and", "logical_or", "logical_xor", "bitwise_and",
               "bitwise_or", "bitwise_xor"}
NONZERO = {"divide", "true_divide", "floor_divide", "remainder", "fmod"}  # divisors
SMALL = {"power", "left_shift", "right_shift"}  # exponents / shift counts: 0..2
SPECIALS = {"add", "multiply", "maximum", "minimum", "fmax", "fmin", "logaddexp"}  # nan / inf
SUM_LIKE = {"add": "sum", "multiply": "prod"}  # accumulate in fnp.sum's dtype (int32...)

# examples per test: a share of the profile's (default 25, explore 100)
_N = settings.default.max_examples
N_REDUCE, N_ACCUMULATE, N_SMALL = max(4, _N * 2 // 5), max(3, _N // 3), max(3, _N // 4)


# ---------------------------------------------------------------------------------------------
# Strategies and the comparison
# ---------------------------------------------------------------------------------------------

def elements(name, dt):
    if dt.kind == "b":
        return st.booleans()
    if name in SMALL:
        lo, hi = 0, 2
    else:
        lo, hi = (0, 3) if dt.kind == "u" else (-3, 3)
    if dt.kind in "iu":
        ints = st.integers(lo, hi)
        return ints.filter(bool) if name in NONZERO else ints
    if dt.kind == "c":
        part = st.floats(-2, 2, width=dt.itemsize * 4)
        return st.builds(complex, part, part)
    if name in ("power", "float_power"):
        return st.floats(0.5, 2.0, width=dt.itemsize * 8)
    fl = st.floats(-4, 4, width=dt.itemsize * 8)
    if name in NONZERO:
        fl = fl.filter(lambda v: abs(v) > 0.25)
    if name in SPECIALS:
        fl = st.one_of(fl, st.sampled_from([np.nan, np.inf, -np.inf]))
    return fl


def arrays(name, dt, min_dims=0, max_dims=3, max_side=3):
    shapes = hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0,
                              max_side=max_side)
    return hnp.arrays(dt, shapes, elements=elements(name, dt))


def numpy_result(fn):
    """(numpy's result, None) or (None, the exception numpy raised)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return np.asarray(fn()), None
        except Exception as e:  # noqa: BLE001 - any rejection: fnx must reject too
            return None, e


def fnx_dtype(name, dt, method):
    """fnx's result dtype: fnp.sum / fnp.cumsum's for add and multiply, the elementwise
    function's otherwise (logical_* reduce to bool)."""
    z = fnp.zeros((), dt)
    if name in SUM_LIKE and method in ("reduce", "accumulate", "reduceat"):
        return fnp.sum(z).dtype
    return getattr(fnp, name)(z, z).dtype


def tolerance(dt):
    return (2e-5, 1e-5) if dt in (np.float32, np.complex64) else (1e-11, 1e-12)


def check(name, got, want, dt_expected):
    assert isinstance(got, fnx.Array), type(got)
    assert got.dtype == dt_expected, f"{name}: dtype {got.dtype} != {dt_expected}"
    assert tuple(got.shape) == want.shape, f"{name}: shape {got.shape} != {want.shape}"
    g = np.asarray(got)
    if g.dtype.kind in "fc":
        rtol, atol = tolerance(g.dtype)
        np.testing.assert_allclose(g, want.astype(g.dtype), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg=name)
    else:
        np.testing.assert_array_equal(g, want.astype(g.dtype), err_msg=name)


def elementwise_rejects(name, dt):
    """fnx's elementwise function rejects ``dt`` (``floor_divide`` of bools: numpy computes
    in int8): then every method must reject it too."""
    z = fnp.zeros((), dt)
    try:
        getattr(fnp, name)(z, z)
    except (TypeError, ValueError):
        return True
    return False


def loop_dtype(name, dt):
    """The dtype numpy is given, so it computes where fnx does: float32 for the float
    functions of ints / bools (numpy would pick float16 for int8)."""
    if elementwise_rejects(name, dt):
        return dt
    out = fnx_dtype(name, dt, "call")
    return out if out.kind in "fc" and out != dt and dt.kind != "c" else dt


def compare(name, method, dt, fnx_call, np_call):
    if elementwise_rejects(name, dt):
        with pytest.raises((TypeError, ValueError), match=name):
            fnx_call()
        return
    want, err = numpy_result(np_call)
    if err is not None:
        with pytest.raises(Exception):
            fnx_call()
        return
    check(f"{name}.{method}", fnx_call(), want, fnx_dtype(name, dt, method))


def draw_axis(data, ndim, reorderable):
    choices = [st.none(), st.integers(-ndim, ndim - 1)] if ndim else [st.none(), st.just(0)]
    if ndim:
        choices.append(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim)
                       .map(tuple))
    return data.draw(st.one_of(*choices), label="axis")


# ---------------------------------------------------------------------------------------------
# reduce / accumulate / outer / at / reduceat against numpy
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", BINARY)
@settings(max_examples=N_REDUCE)
@given(data=st.data())
def test_reduce_matches_numpy(name, data):
    dt = data.draw(st.sampled_from(DTYPES), label="dtype")
    x = data.draw(arrays(name, dt), label="x")
    axis = draw_axis(data, x.ndim, name in REORDERABLE)
    keepdims = data.draw(st.booleans(), label="keepdims")
    kw = {}
    if data.draw(st.booleans(), label="use initial"):
        kw["initial"] = data.draw(elements(name, dt), label="initial")
    if data.draw(st.booleans(), label="use where"):
        kw["where"] = data.draw(hnp.arrays(np.bool_, x.shape), label="where")
    u, ref = getattr(fnp, name), getattr(np, name)

    def np_reduce():
        xx = x.astype(loop_dtype(name, dt))
        r = ref.reduce(xx, axis=axis, keepdims=keepdims, **kw)
        if "initial" in kw and name not in REORDERABLE:
            return fold_from_initial(ref, xx, axis, keepdims, **kw)
        return r
    compare(name, "reduce", dt,
            lambda: u.reduce(fnp.asarray(x), axis=axis, keepdims=keepdims, **kw), np_reduce)


@pytest.mark.parametrize("name", BINARY)
@settings(max_examples=N_ACCUMULATE)
@given(data=st.data())
def test_accumulate_matches_numpy(name, data):
    dt = data.draw(st.sampled_from(DTYPES), label="dtype")
    x = data.draw(arrays(name, dt, min_dims=0), label="x")
    axis = data.draw(st.one_of(st.none(), st.integers(-max(x.ndim, 1), max(x.ndim - 1, 0))),
                     label="axis")
    u, ref = getattr(fnp, name), getattr(np, name)
    compare(name, "accumulate", dt, lambda: u.accumulate(fnp.asarray(x), axis=axis),
            lambda: ref.accumulate(x.astype(loop_dtype(name, dt)), axis=axis))


@pytest.mark.parametrize("name", BINARY)
@settings(max_examples=N_SMALL)
@given(data=st.data())
def test_outer_matches_numpy(name, data):
    dt = data.draw(st.sampled_from(DTYPES), label="dtype")
    a = data.draw(arrays(name, dt, max_dims=2), label="a")
    b = data.draw(arrays(name, dt, max_dims=2), label="b")
    u, ref = getattr(fnp, name), getattr(np, name)
    compare(name, "outer", dt, lambda: u.outer(fnp.asarray(a), fnp.asarray(b)),
            lambda: ref.outer(a.astype(loop_dtype(name, dt)), b.astype(loop_dtype(name, dt))))


@pytest.mark.parametrize("name", BINARY)
@settings(max_examples=N_SMALL)
@given(data=st.data())
def test_at_matches_numpy(name, data):
    dt = data.draw(st.sampled_from(DTYPES), label="dtype")
    a = data.draw(arrays(name, dt, min_dims=1, max_dims=2, max_side=4), label="a")
    idx = data.draw(st.lists(st.integers(-a.shape[0], a.shape[0] - 1), max_size=5)
                    if a.shape[0] else st.just([]), label="indices")
    idx = np.asarray(idx, dtype=np.int64)
    b = data.draw(hnp.arrays(dt, (len(idx),) + a.shape[1:], elements=elements(name, dt)),
                  label="b")
    u, ref = getattr(fnp, name), getattr(np, name)
    if elementwise_rejects(name, dt):
        with pytest.raises((TypeError, ValueError), match=name):
            u.at(fnp.asarray(a), idx, fnp.asarray(b), inplace=False)
        return

    def np_at():
        r = a.copy()
        ref.at(r, idx, b)
        return r

    if dt.kind in "biu" and loop_dtype(name, dt).kind == "f":
        # numpy casts each float result back to a's integer dtype: inf / nan (0 ** -1) have
        # no defined integer value (numpy gives 0 here, fnx -1), nor have values out of range
        r, info = a.astype(np.float64), np.iinfo(dt) if dt.kind != "b" else None
        with np.errstate(all="ignore"):
            for k, i in enumerate(idx):
                v = ref(r[i], b[k].astype(np.float64))
                assume(np.isfinite(v).all())
                assume(info is None or ((v > info.min - 1) & (v < info.max + 1)).all())
                r[i] = np.trunc(v) if info is not None else v != 0

    want, err = numpy_result(np_at)
    if err is not None:
        with pytest.raises(Exception):
            u.at(fnp.asarray(a), idx, fnp.asarray(b), inplace=False)
        return
    check(f"{name}.at", u.at(fnp.asarray(a), idx, fnp.asarray(b), inplace=False), want,
          np.dtype(dt))


@pytest.mark.parametrize("name", ["add", "subtract", "maximum", "multiply"])
def test_at_with_tuples_slices_and_broadcast_b(name):
    a = np.arange(12.0).reshape(3, 4) - 5.0
    for idx, b in [((slice(None), [0, 0, 3]), np.array([1.5, -2.0, 0.5])),
                   (([2, 0, 2], [1, 1, 1]), 2.0), ((Ellipsis, 1), np.array([3.0])),
                   ((np.array([[0, 1], [1, 1]]),), np.arange(4.0).reshape(2, 2, 1))]:
        want = a.copy()
        getattr(np, name).at(want, idx, b)
        got = getattr(fnp, name).at(fnp.asarray(a), idx, fnp.asarray(b), inplace=False)
        np.testing.assert_allclose(np.asarray(got), want, err_msg=f"{name}.at {idx}")


def test_at_casts_float_results_to_integer_a_as_numpy():
    a = np.array([7, -7, 3], np.int8)
    for name in ("divide", "float_power", "arctan2"):
        want = a.copy()
        getattr(np, name).at(want, [0, 1, 1], np.int8(2))
        got = getattr(fnp, name).at(fnp.asarray(a), [0, 1, 1], fnp.int8(2), inplace=False)
        assert got.dtype == np.int8
        np.testing.assert_array_equal(np.asarray(got), want, err_msg=name)


@pytest.mark.parametrize("name", ["negative", "sin", "square", "logical_not", "absolute"])
def test_unary_at_matches_numpy(name):
    x = np.array([0.5, -1.25, 2.0, 3.0], np.float32)
    idx = np.array([0, 2, 2, -1])
    want = x.copy()
    getattr(np, name).at(want, idx)
    got = getattr(fnp, name).at(fnp.asarray(x), idx, inplace=False)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)


@pytest.mark.parametrize("name", ["add", "subtract", "maximum", "multiply", "hypot",
                                  "logical_or"])
@settings(max_examples=N_SMALL)
@given(data=st.data())
def test_reduceat_matches_numpy(name, data):
    dt = data.draw(st.sampled_from([np.dtype("int32"), np.dtype("float64"),
                                    np.dtype("bool")]), label="dtype")
    x = data.draw(arrays(name, dt, min_dims=1, max_dims=2, max_side=5), label="x")
    axis = data.draw(st.integers(0, x.ndim - 1), label="axis")
    n = x.shape[axis]
    idx = data.draw(st.lists(st.integers(0, max(n - 1, 0)), min_size=1, max_size=4)
                    if n else st.just([]), label="indices")
    u, ref = getattr(fnp, name), getattr(np, name)
    compare(name, "reduceat", dt, lambda: u.reduceat(fnp.asarray(x), idx, axis=axis),
            lambda: ref.reduceat(x.astype(loop_dtype(name, dt)), idx, axis=axis))


def fold_from_initial(ref, x, axis, keepdims, initial, where=None):
    """numpy's documented reduce with ``initial`` (a left fold from it), on one axis.  numpy
    itself gets it wrong for some loops (arctan2, copysign, power: f(initial, x[-1]))."""
    if x.ndim == 0 or axis == ():
        kw = {} if where is None else {"where": where}  # where=None would mask everything
        return ref.reduce(x, axis=axis, keepdims=keepdims, initial=initial, **kw)
    ax = axis if isinstance(axis, int) else 0 if axis is None else axis[0]
    ax %= x.ndim
    xs = np.moveaxis(x, ax, 0)
    ws = np.moveaxis(np.broadcast_to(True if where is None else where, x.shape), ax, 0)
    acc = np.full(xs.shape[1:], initial, dtype=ref(x.flat[:1], x.flat[:1]).dtype
                  if x.size else x.dtype)
    for xi, wi in zip(xs, ws):
        acc = np.where(wi, ref(acc, xi), acc).astype(acc.dtype)
    return np.expand_dims(acc, ax) if keepdims else acc


def test_reduce_folds_from_initial_where_numpy_does_not():
    x = np.array([2.0, 3.0])
    np.testing.assert_allclose(np.asarray(fnp.power.reduce(fnp.asarray(x), initial=2.0)), 64.0)
    np.testing.assert_allclose(np.asarray(fnp.arctan2.reduce(fnp.asarray(x), initial=1.0)),
                               np.arctan2(np.arctan2(1.0, 2.0), 3.0))
    np.testing.assert_allclose(np.asarray(fnp.subtract.reduce(fnp.asarray(x), initial=10.0)),
                               np.subtract.reduce(x, initial=10.0))  # numpy right here: 5


# pinned regressions / edge cases of the comparisons above
def test_reduce_edge_cases():
    x = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
    f = fnp.asarray(x)
    np.testing.assert_allclose(np.asarray(fnp.hypot.reduce(fnp.asarray([-3.0]))),
                               np.hypot.reduce(np.array([-3.0])))  # starts from identity 0
    np.testing.assert_allclose(np.asarray(fnp.subtract.reduce(f, axis=())),
                               np.subtract.reduce(x, axis=()))
    np.testing.assert_allclose(np.asarray(fnp.subtract.reduce(f, axis=1, initial=10.0)),
                               np.subtract.reduce(x, axis=1, initial=10.0))
    np.testing.assert_allclose(np.asarray(fnp.add.reduce(fnp.zeros((0, 3)))), np.zeros(3))
    assert fnp.logaddexp.reduce(fnp.zeros((0,))).item() == -np.inf
    assert fnp.logical_and.reduce(fnp.zeros((0,), "int32")).item() is True
    assert fnp.logical_and.reduce(fnp.asarray([1, 2, 3])).dtype == np.bool_
    assert fnp.divide.reduce(fnp.asarray([8, 2])).dtype == np.float32  # int loops in float32
    np.testing.assert_allclose(np.asarray(fnp.maximum.reduce(f, axis=None, initial=7.0,
                                                             where=x > 0)), 7.0)
    # numpy's legacy: a 0-d array reduces over axis 0 to itself; axis=() is f(initial, a)
    assert fnp.subtract.reduce(fnp.asarray(np.int8(5)), axis=0).item() == 5
    np.testing.assert_allclose(
        np.asarray(fnp.subtract.reduce(f, axis=(), initial=10.0, where=x > 0)),
        np.subtract.reduce(x, axis=(), initial=10.0, where=x > 0))
    assert fnp.equal.reduce(fnp.asarray([True, False, False])).item() == \
        np.equal.reduce(np.array([True, False, False]))


# ---------------------------------------------------------------------------------------------
# Objects, metadata and errors
# ---------------------------------------------------------------------------------------------

# numpy has two ufuncs where fnx.numpy has one function under two names
SAME_AS = {"radians": "deg2rad", "degrees": "rad2deg"}


@pytest.mark.parametrize("name", BINARY + UNARY + ALIASES)
def test_is_a_ufunc_with_numpys_metadata(name):
    u, ref = getattr(fnp, name), getattr(np, name)
    assert isinstance(u, fnp.ufunc)
    np_name = SAME_AS.get(name, ref.__name__)
    assert u.__name__ == np_name
    assert repr(u) == f"<ufunc '{np_name}'>"
    assert (u.nin, u.nout, u.nargs) == (ref.nin, ref.nout, ref.nargs)
    if ref.identity is None:
        assert u.identity is None
    else:
        assert u.identity == ref.identity and type(u.identity) is type(ref.identity)


def test_aliases_are_one_object_and_calls_forward():
    assert fnp.mod is fnp.remainder and fnp.divide is fnp.true_divide and fnp.abs is \
        fnp.absolute and fnp.conj is fnp.conjugate
    from fnx.numpy import _ufuncs
    assert _ufuncs.add is fnp.add  # one object everywhere (the spec's coverage compares ids)
    x = fnp.arange(3.0)
    np.testing.assert_array_equal(np.asarray(fnp.add(x, x, out=None)), [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(np.asarray(-x), [0.0, -1.0, -2.0])  # operators unchanged
    assert fnp.divmod.nout == 2 and len(fnp.divmod(x, 2.0)) == 2


def test_errors_name_the_method():
    x = fnp.ones((2, 3))
    with pytest.raises(ValueError, match=r"maximum\.reduce.*no identity"):
        fnp.maximum.reduce(fnp.zeros((0, 2)))
    with pytest.raises(ValueError, match=r"fmax\.reduce.*initial"):
        fnp.fmax.reduce(x, where=fnp.ones((2, 3), bool))
    with pytest.raises(ValueError, match=r"subtract\.reduce.*not reorderable"):
        fnp.subtract.reduce(x, axis=(0, 1))
    with pytest.raises(ValueError, match=r"subtract\.reduce.*not reorderable"):
        fnp.subtract.reduce(x, axis=None)
    with pytest.raises(ValueError, match=r"negative\.outer.*binary"):
        fnp.negative.outer(x, x)
    with pytest.raises(ValueError, match=r"negative\.reduce.*binary"):
        fnp.negative.reduce(x)
    with pytest.raises(ValueError, match=r"divmod\.accumulate"):
        fnp.divmod.accumulate(x)
    with pytest.raises(NotImplementedError, match=r"add\.at.*inplace=False"):
        fnp.add.at(x, 0, 1.0)
    with pytest.raises(IndexError, match=r"add\.at: index 5 is out of bounds"):
        fnp.add.at(x, [5], 1.0, inplace=False)  # a.at[] would drop it silently
    with pytest.raises(IndexError, match=r"subtract\.at"):
        fnp.subtract.at(x, (0, [0, -4]), 1.0, inplace=False)
    with pytest.raises(ValueError, match=r"add\.at.*b is required"):
        fnp.add.at(x, 0, inplace=False)
    with pytest.raises(TypeError, match=r"less\.reduce"):
        fnp.less.reduce(fnp.arange(3))
    with pytest.raises(TypeError, match="bitwise_and"):
        fnp.bitwise_and.reduce(x)
    with pytest.raises(TypeError, match=r"add\.accumulate.*scalar"):
        fnp.add.accumulate(fnp.asarray(1.0))
    with pytest.raises(ValueError, match=r"add\.accumulate.*multiple axes"):
        fnp.add.accumulate(x, axis=None)
    with pytest.raises(NotImplementedError, match=r"add\.reduce.*out="):
        fnp.add.reduce(x, out=x)
    with pytest.raises(NotImplementedError, match=r"add.*where="):
        fnp.add(x, x, where=True)
    with pytest.raises(IndexError, match=r"add\.reduceat"):
        fnp.add.reduceat(fnp.arange(4), [0, 9])
    with pytest.raises(fnx.errors.ConcretizationTypeError):
        fnx.jit(lambda i: fnp.add.reduceat(fnp.arange(4), i))(fnp.asarray([0, 2]))


def test_frompyfunc_folds_left_to_right():
    f = fnp.frompyfunc(lambda a, b: 2 * a - b, 2, 1)
    assert isinstance(f, fnp.ufunc) and f.identity is None
    x = np.array([1.0, 2.0, 3.0, 4.0])
    want = np.frompyfunc(lambda a, b: 2 * a - b, 2, 1)
    np.testing.assert_allclose(np.asarray(f.reduce(fnp.asarray(x))),
                               np.asarray(want.reduce(x), float))
    np.testing.assert_allclose(np.asarray(f.accumulate(fnp.asarray(x))),
                               np.asarray(want.accumulate(x), float))
    with pytest.raises(ValueError, match="not reorderable"):
        f.reduce(fnp.ones((2, 2)), axis=(0, 1))


# ---------------------------------------------------------------------------------------------
# Transformations
# ---------------------------------------------------------------------------------------------

R = np.random.default_rng(0)
X64 = fnp.asarray(R.normal(size=(3, 4)))
Y64 = fnp.asarray(R.normal(size=(5,)))


def test_grads():
    check_grads(lambda x: fnp.add.reduce(x, axis=0), (X64,), order=1)
    check_grads(lambda x: fnp.add.reduce(x, axis=None, where=x > 0), (X64,), order=1)
    check_grads(lambda x, y: fnp.multiply.outer(x, y), (X64, Y64), order=1)
    check_grads(lambda x: fnp.maximum.accumulate(x, axis=1), (X64,), order=1)
    check_grads(lambda x: fnp.subtract.reduce(x, axis=1), (X64,), order=1)   # scan fold
    check_grads(lambda x: fnp.hypot.reduce(x, axis=(0, 1)), (X64,), order=1)  # tree
    check_grads(lambda x: fnp.logaddexp.accumulate(x, axis=0), (X64,), order=1)
    check_grads(lambda x, y: fnp.multiply.at(x, (1, [0, 0, 2]), y[:3], inplace=False),
                (X64, Y64), order=1)
    check_grads(lambda x: fnp.arctan2.at(x, ([0, 0], [1, 1]), 0.5, inplace=False), (X64,),
                order=1)


CASES = [
    ("add.reduce", lambda x: fnp.add.reduce(x, axis=1)),
    ("maximum.reduce", lambda x: fnp.maximum.reduce(x, axis=None, keepdims=True)),
    ("hypot.reduce", lambda x: fnp.hypot.reduce(x, axis=0)),
    ("subtract.reduce", lambda x: fnp.subtract.reduce(x, axis=1, initial=1.0)),
    ("fmax.reduce.where", lambda x: fnp.fmax.reduce(x, axis=1, initial=0.0, where=x > 0)),
    ("minimum.accumulate", lambda x: fnp.minimum.accumulate(x, axis=1)),
    ("subtract.accumulate", lambda x: fnp.subtract.accumulate(x, axis=0)),
    ("logaddexp.accumulate", lambda x: fnp.logaddexp.accumulate(x, axis=1)),
    ("multiply.outer", lambda x: fnp.multiply.outer(x, x[0])),
    ("add.at", lambda x: fnp.add.at(x, ([0, 0], [1, 1]), 2.0, inplace=False)),
    ("power.at", lambda x: fnp.power.at(x, ([0, 0], [1, 1]), 2.0, inplace=False)),
]


@pytest.mark.parametrize("label, f", CASES, ids=[c[0] for c in CASES])
def test_jit_matches_eager(label, f):
    np.testing.assert_allclose(np.asarray(fnx.jit(f)(X64)), np.asarray(f(X64)), rtol=1e-12)


@pytest.mark.parametrize("label, f", CASES, ids=[c[0] for c in CASES])
def test_vmap_matches_loop(label, f):
    xs = fnp.asarray(R.normal(size=(3, 3, 4)))
    got = fnx.vmap(f)(xs)
    want = np.stack([np.asarray(f(xs[i])) for i in range(3)])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Scalar types as callables (jax.numpy's: an fnx Array of that dtype, not weak)
# ---------------------------------------------------------------------------------------------

SCALAR_TYPES = ["bool_", "int8", "int32", "int64", "uint8", "uint32", "float32", "float64",
                "complex64", "complex128"]


def _source_values(kind):
    """Inputs every scalar type converts (as numpy's astype), whatever the target."""
    return {"b": [True, [True, False], np.array([0, 1], np.uint8)],
            "u": [3, [1, 2, 3], np.array([1, 2], np.int8), np.float32(2.0)],
            "i": [3, -2, [1, -2], np.array([1.5, -2.5]), 2.75],
            "f": [1.5, [1, 2.5], np.array([1, 2], np.int32), np.float64(0.1), True],
            "c": [1 + 2j, [1, 2.5j], np.array([0.5, 2.0]), 3]}[kind]


@pytest.mark.parametrize("name", SCALAR_TYPES)
def test_scalar_types_convert_like_numpy(name):
    st_ = getattr(fnp, name)
    dt = np.dtype(name)
    for v in _source_values(dt.kind):
        want = np.asarray(v).astype(dt)
        for src in (v, fnp.asarray(np.asarray(v)) if not isinstance(v, list) else v):
            got = st_(src)
            assert isinstance(got, fnx.Array) and got.dtype == dt and not got.weak_type, \
                (name, v, got)
            np.testing.assert_array_equal(np.asarray(got), want, err_msg=f"{name}({v!r})")
        jitted = fnx.jit(lambda x: st_(x))(fnp.asarray(np.asarray(v)))
        assert jitted.dtype == dt and not jitted.weak_type
        np.testing.assert_array_equal(np.asarray(jitted), want)
    assert st_ == dt and isinstance(np.zeros(1, dt)[0], st_)


def test_scalar_types_reject_out_of_range_python_ints():
    # (the message names asarray: tests/test_numpy_promotion.py pins it)
    with pytest.raises(OverflowError, match="Python int 300 too large .* int8"):
        fnp.int8(300)
    with pytest.raises(OverflowError, match="uint8"):
        fnp.uint8(-1)
    with pytest.raises(TypeError, match="strings"):
        fnp.float32("1.5")


def test_scalar_types_make_weak_values_strong():
    weak = fnp.asarray(1.5)
    assert weak.weak_type and not fnp.float32(weak).weak_type
    assert not fnx.jit(lambda x: fnp.float32(x * 2.0))(1.0).weak_type
    # a strong int8 meets a uint8 array: int32 on fnx's lattice (a weak 1 would stay uint8)
    assert (fnp.int8(1) + fnp.ones(2, "uint8")).dtype == np.int32
    assert (fnp.float64(1) * fnp.ones(2, "float32")).dtype == np.float64


def test_scalar_types_under_vmap_and_grad():
    xs = fnp.asarray([[1.5, -2.5], [0.0, 3.25]])
    np.testing.assert_array_equal(np.asarray(fnx.vmap(fnp.int32)(xs)),
                                  np.asarray(xs).astype(np.int32))
    g = fnx.grad(lambda x: fnp.float32(x * x))(fnp.asarray(3.0, "float32"))
    assert float(g) == 6.0


@example(v=0.1)
@given(v=st.floats(allow_nan=False, allow_infinity=False, width=32))
@settings(max_examples=10)
def test_float32_of_python_float_rounds_like_numpy(v):
    assert fnp.float32(v).item() == np.float32(v).item()
