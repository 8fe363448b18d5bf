"""Core: Array behaviour, abstract values, the interpreter stack, jaxprs and their printer."""
import pickle

import numpy as np
import pytest

import fnx
import fnx.lax as lax
import fnx.numpy as fnp
from fnx import core, dtypes
from fnx.errors import ConcretizationTypeError, DTypeError, FnxError, UnexpectedTracerError


# -- Array ------------------------------------------------------------------------------------

def test_asarray_roundtrip_and_immutability():
    src = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = fnx.asarray(src)
    src[0, 0] = 100.0  # the fnx array copied its input
    assert np.asarray(x)[0, 0] == 0.0
    assert x.shape == (2, 3) and x.dtype == np.float32 and x.ndim == 2 and x.size == 6
    with pytest.raises(ValueError):
        np.asarray(x)[0, 0] = 1.0  # the numpy view is read-only
    with pytest.raises(TypeError, match="immutable"):
        x[0, 0] = 1.0


def test_default_dtypes_follow_jax_except_explicit_64_bit():
    assert fnx.asarray([1.0, 2.0]).dtype == np.float32
    assert fnx.asarray([1, 2]).dtype == np.int32
    assert fnx.asarray(np.array([1.0])).dtype == np.float64  # explicit float64 stays
    assert fnx.asarray(np.array([1], np.int64)).dtype == np.int64
    assert fnx.asarray(True).dtype == np.bool_
    assert fnx.asarray(2.5).weak_type and not fnx.asarray(np.float32(2.5)).weak_type


def test_unsupported_dtypes_are_rejected():
    with pytest.raises(DTypeError, match="complex256"):
        fnx.asarray(np.array([1 + 2j], np.clongdouble))
    with pytest.raises(DTypeError, match="uint16"):
        fnx.asarray(np.array([1], np.uint16), dtype=np.uint16)
    with pytest.raises(OverflowError, match="int64"):
        fnx.asarray([2 ** 40])


def test_scalar_conversions_and_iteration():
    x = fnx.asarray([[1.5, 2.0], [3.0, 4.0]])
    assert float(x[0, 0]) == 1.5 and int(x[1, 1]) == 4 and bool(x[0, 1])
    assert x[0, 0].item() == 1.5
    assert x.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert len(x) == 2
    rows = list(x)
    assert len(rows) == 2 and np.array_equal(np.asarray(rows[1]), [3.0, 4.0])
    with pytest.raises(TypeError):
        float(x)
    with pytest.raises(TypeError):
        len(fnx.asarray(1.0))


def test_repr_is_numpy_like():
    assert repr(fnx.asarray([1.0, 2.0])) == "Array([1., 2.])"
    assert repr(fnx.asarray(np.array([1, 2], np.int64))) == "Array([1, 2], dtype=int64)"
    assert "weak_type=True" in repr(fnx.asarray(3.0))


def test_pickle_roundtrip():
    x = fnx.asarray(np.arange(5, dtype=np.int64))
    y = pickle.loads(pickle.dumps(x))
    assert y.dtype == x.dtype and np.array_equal(np.asarray(y), np.asarray(x))


# -- dtypes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("a,b,expected", [
    (np.float32, np.float64, np.float64), (np.int32, np.float32, np.float32),
    (np.int64, np.float32, np.float32), (np.int8, np.uint8, np.int32),
    (np.uint8, np.int32, np.int32), (np.bool_, np.int8, np.int8), (np.int32, np.int64, np.int64),
])
def test_promote_types_follows_the_jax_lattice(a, b, expected):
    assert dtypes.promote_types(a, b) == expected
    assert dtypes.promote_types(b, a) == expected


def test_weak_python_scalars_adopt_the_array_dtype():
    f32 = fnx.asarray(np.ones(2, np.float32))
    i32 = fnx.asarray(np.ones(2, np.int32))
    assert dtypes.result_type(f32, 2.0) == np.float32
    assert dtypes.result_type(i32, 2) == np.int32
    assert dtypes.result_type(i32, 2.0) == np.float32
    assert dtypes.result_type(fnx.asarray(np.ones(2, np.float64)), 2.0) == np.float64
    assert dtypes.result_type(1, 2.0, return_weak_type=True) == (np.float32, True)


# -- tracing ----------------------------------------------------------------------------------

def test_make_jaxpr_prints_equations_and_literals():
    jaxpr = fnx.make_jaxpr(lambda x, y: lax.mul(lax.add(x, y), 2.0))(
        fnx.asarray(np.ones(3, np.float32)), fnx.asarray(np.ones(3, np.float32)))
    text = str(jaxpr)
    assert text.splitlines()[0] == "{ lambda ; a:f32[3] b:f32[3]. let"
    assert "c:f32[3] = add a b" in text
    assert "d:f32[3] = mul c 2.0" in text
    assert text.rstrip().endswith("in (d,) }")


def test_make_jaxpr_stages_constants_and_params():
    const = fnx.asarray(np.arange(3, dtype=np.float32))
    jaxpr = fnx.make_jaxpr(lambda x: lax.reduce_sum(x * const, axes=(0,)))(np.ones(3, np.float32))
    text = str(jaxpr)
    assert text.startswith("{ lambda a:f32[3]; b:f32[3]. let")
    assert "reduce_sum[axes=(0,)]" in text
    assert len(jaxpr.consts) == 1


def test_make_jaxpr_accepts_pytrees_and_shape_structs():
    spec = fnx.ShapeDtypeStruct((2, 3), np.float32)
    jaxpr = fnx.make_jaxpr(lambda d: d["a"] + d["b"])({"a": spec, "b": spec})
    assert [a.shape for a in jaxpr.in_avals] == [(2, 3), (2, 3)]
    assert jaxpr.out_avals[0].dtype == np.float32


def test_eval_jaxpr_matches_eager():
    def f(x):
        return fnp.tanh(x) * fnp.sum(x) + 1.0
    x = fnp.asarray(np.linspace(-1, 1, 5, dtype=np.float32))
    closed = fnx.make_jaxpr(f)(x)
    out, = core.eval_jaxpr(closed.jaxpr, closed.consts + [x])
    np.testing.assert_allclose(np.asarray(out), np.asarray(f(x)), rtol=1e-6)


def test_python_control_flow_on_tracers_is_a_clear_error():
    def f(x):
        if x.sum() > 0:
            return x
        return -x
    with pytest.raises(ConcretizationTypeError, match="static"):
        fnx.make_jaxpr(f)(np.ones(3, np.float32))
    with pytest.raises(ConcretizationTypeError):
        fnx.make_jaxpr(lambda x: float(x))(np.float32(1.0))


def test_leaked_tracer_is_detected():
    leaked = []

    def f(x):
        leaked.append(x)
        return x
    fnx.make_jaxpr(f)(np.ones(2, np.float32))
    with pytest.raises(UnexpectedTracerError, match="escaped"):
        leaked[0] + fnp.ones(2)


def test_errors_are_typed_and_name_the_operation():
    a = fnx.asarray(np.ones(3, np.float32))
    b = fnx.asarray(np.ones(4, np.float32))
    with pytest.raises(ValueError, match=r"add.*float32\[3\].*float32\[4\]") as e:
        lax.add(a, b)
    assert isinstance(e.value, FnxError)
    with pytest.raises(TypeError, match="exp.*floating.*int32"):
        lax.exp(fnx.asarray([1, 2]))
    with pytest.raises(ValueError, match="reshape"):
        lax.reshape(a, (2, 2))


def test_abstract_values():
    aval = core.ShapedArray((2, 3), np.dtype(np.float32))
    assert aval.str_short() == "f32[2,3]" and aval.ndim == 2 and aval.size == 6
    assert aval == core.ShapedArray((2, 3), np.dtype(np.float32))
    assert aval != aval.update(weak_type=True)
    assert hash(aval) == hash(core.ShapedArray((2, 3), np.dtype(np.float32)))


# -- issue 16: conversions and dtypes -----------------------------------------------------------

def test_index_of_a_0d_integer_array_is_a_python_int():
    import operator
    assert operator.index(fnp.asarray(3)) == 3
    assert [1, 2, 3][fnp.asarray(1)] == 2
    assert operator.index(fnp.asarray(np.uint8(7))) == 7
    # numpy's rule: only 0-d integer arrays (not bool, float or shape (1,)) are indices
    for bad in (fnp.asarray([3]), fnp.asarray(True), fnp.asarray(3.0)):
        with pytest.raises(TypeError, match="integer scalar arrays"):
            operator.index(bad)
    with pytest.raises(ConcretizationTypeError, match="index"):
        fnx.jit(lambda i: [1, 2, 3][i])(fnp.asarray(1))


def test_numpy_typed_data_inside_lists_keeps_its_dtype():
    # JAX's rule (x64 enabled): leaves typed by numpy keep their dtype; Python scalars are weak
    assert fnp.array([np.float64(1.0)]).dtype == np.float64
    assert fnp.array([np.ones(2), np.zeros(2)]).dtype == np.float64
    assert fnp.asarray(([np.float64(1.0), 2.0], [3.0, 4.0])).dtype == np.float64
    assert fnp.array([1.0, 2]).dtype == np.float32  # only Python scalars: the defaults
    assert fnp.array([np.int8(1), 2]).dtype == np.int8  # the weak int adopts int8
    assert fnp.array([np.int8(1), 2.5]).dtype == np.float32  # a weak float over an int
    assert fnp.array([np.float32(1), np.float64(2)]).dtype == np.float64
    assert fnp.array([np.arange(2, dtype=np.uint8), np.int8([1, 2])]).dtype == np.int32
    np.testing.assert_array_equal(fnp.array([np.float64(1.0), 2]), [1.0, 2.0])
    with pytest.raises(OverflowError, match="int8"):
        fnp.array([np.int8(1), 300])


def test_numpy_scalars_are_strong_in_result_type():
    # np.float64 subclasses float, but a numpy scalar has an explicit dtype (not weak)
    assert dtypes.dtype_and_weak(np.float64(1.0)) == (np.float64, False)
    assert fnp.result_type(np.float64(2.0), fnp.ones(2)) == np.float64
    assert fnp.result_type(2.0, fnp.ones(2)) == np.float32
