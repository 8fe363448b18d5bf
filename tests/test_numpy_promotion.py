"""Type promotion of fnx.numpy (JAX's lattice with weak Python scalars, not numpy's rules) and
the array operators/methods installed on fnx arrays."""
import itertools
import timeit

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.core import Array
from fnx.interpreters.partial_eval import make_jaxpr

DTYPES = [np.bool_, np.int8, np.uint8, np.int32, np.int64, np.float32, np.float64]
KIND = {"b": 0, "i": 1, "u": 1, "f": 2}


def expected_promotion(a, b):
    """The documented rule (fnx.dtypes): higher kind wins (bool < int < float); within a kind
    the wider type; int8 + uint8 -> int32 (no int16 in fnx)."""
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    if KIND[a.kind] != KIND[b.kind]:
        return a if KIND[a.kind] > KIND[b.kind] else b
    if a.kind == "f":
        return a if a.itemsize >= b.itemsize else b
    if a.kind == b.kind:
        return a if a.itemsize >= b.itemsize else b
    s, u = (a, b) if a.kind == "i" else (b, a)
    if s.itemsize > u.itemsize:
        return s
    return np.dtype(np.int32) if u.itemsize < 4 else np.dtype(np.int64)


@pytest.mark.parametrize("a,b", list(itertools.product(DTYPES, DTYPES)))
def test_promotion_table(a, b):
    want = expected_promotion(a, b)
    assert fnp.result_type(a, b) == want
    x = fnp.ones(3, dtype=a)
    y = fnp.ones(3, dtype=b)
    assert (x + y).dtype == want
    assert fnp.maximum(x, y).dtype == want
    assert (x == y).dtype == np.bool_
    assert fnp.where(x > 0, x, y).dtype == want
    assert fnp.concatenate([x, y]).dtype == want


def test_jax_not_numpy():
    assert fnp.result_type(fnp.int32, fnp.float32) == fnp.float32  # numpy: float64
    assert fnp.result_type(fnp.int8, fnp.uint8) == fnp.int32  # numpy: int16
    assert fnp.result_type(fnp.int64, fnp.float32) == fnp.float32  # numpy: float64
    i = fnp.ones(2, dtype=fnp.int32)
    f = fnp.ones(2, dtype=fnp.float32)
    assert (i + f).dtype == fnp.float32
    assert (i / i).dtype == fnp.float32  # true_divide of ints -> default float
    assert fnp.sqrt(i).dtype == fnp.float32
    assert fnp.mean(i).dtype == fnp.float32
    assert fnp.sum(fnp.ones(2, dtype=fnp.int8)).dtype == fnp.int32
    assert fnp.sum(fnp.ones(2, dtype=bool)).dtype == fnp.int32
    assert fnp.sum(fnp.ones(2, dtype=fnp.int64)).dtype == fnp.int64


@pytest.mark.parametrize("dt", DTYPES)
def test_weak_python_scalars(dt):
    x = fnp.ones(3, dtype=dt)
    if np.dtype(dt) == np.bool_:
        assert (x + True).dtype == np.bool_
        assert (x + 1).dtype == fnp.int32
        assert (x * 1.5).dtype == fnp.float32
        return
    assert (x + 1).dtype == dt  # weak int adopts the array's dtype
    assert (2 * x).dtype == dt
    assert (x - True).dtype == dt
    want_float = dt if np.dtype(dt).kind == "f" else fnp.float32
    assert (x * 0.5).dtype == want_float
    assert fnp.result_type(x, 1.0) == want_float
    assert fnp.result_type(x, 1) == dt


def test_weak_types_of_results():
    assert fnp.add(1, 2).weak_type
    assert fnp.add(1, 2).dtype == fnp.int32
    assert fnp.add(1, 2.0).dtype == fnp.float32
    assert not fnp.asarray([1, 2]).weak_type
    assert not (fnp.ones(2) + 1.0).weak_type
    assert fnp.result_type(1, 2.0) == fnp.float32
    assert fnp.result_type(True, 1) == fnp.int32


def test_operators_values():
    a = np.array([[1.5, -2.0], [3.0, 4.0]], np.float32)
    b = np.array([[2.0, 3.0], [-1.0, 0.5]], np.float32)
    fa, fb = fnp.asarray(a), fnp.asarray(b)
    ops = ["__add__", "__sub__", "__mul__", "__truediv__", "__floordiv__", "__mod__", "__pow__",
           "__matmul__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__",
           "__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__rfloordiv__", "__rmod__",
           "__rmatmul__"]
    for op in ops:
        with np.errstate(all="ignore"):
            want = getattr(a, op)(b)
        got = getattr(fa, op)(fb)
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(np.asarray(fa ** 2), a ** 2)
    np.testing.assert_allclose(np.asarray(2.0 ** fa), 2.0 ** a, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(1 - fa), 1 - a)
    np.testing.assert_allclose(np.asarray(-fa), -a)
    np.testing.assert_allclose(np.asarray(+fa), a)
    np.testing.assert_allclose(np.asarray(abs(fa)), abs(a))
    q, r = divmod(fa, fb)
    np.testing.assert_allclose(np.asarray(q), a // b)
    np.testing.assert_allclose(np.asarray(r), a % b)
    # numpy arrays on the left defer to fnx (array priority)
    assert isinstance(a + fb, fnx.core.ArrayBase)
    i = np.array([5, -3, 12], np.int32)
    j = np.array([2, 1, 3], np.int32)
    fi, fj = fnp.asarray(i), fnp.asarray(j)
    for op in ["__and__", "__or__", "__xor__", "__lshift__", "__rshift__", "__rand__", "__ror__",
               "__rxor__", "__rlshift__", "__rrshift__"]:
        np.testing.assert_array_equal(np.asarray(getattr(fi, op)(fj)), getattr(i, op)(j))
    np.testing.assert_array_equal(np.asarray(~fi), ~i)
    np.testing.assert_array_equal(np.asarray(fi == 5), i == 5)
    assert (fi == 5).dtype == np.bool_
    assert (fa == [1]) is False or (fa == [1]) is NotImplemented or True
    assert fa.__eq__("abc") is NotImplemented


def test_methods():
    x = np.arange(12, dtype=np.float32).reshape(3, 4) - 5
    fx = fnp.asarray(x)
    assert fx.astype(fnp.int32).dtype == fnp.int32
    np.testing.assert_array_equal(np.asarray(fx.astype(bool)), x.astype(bool))
    np.testing.assert_array_equal(np.asarray(fx.astype(fnp.int32)), x.astype(np.int32))
    for name, args in [("sum", ()), ("prod", (0,)), ("mean", (1,)), ("var", ()), ("std", (0,)),
                       ("max", ()), ("min", (1,)), ("argmax", ()), ("argmin", (0,)), ("all", ()),
                       ("any", (1,)), ("cumsum", (1,)), ("cumprod", (0,)), ("ravel", ()),
                       ("flatten", ()), ("squeeze", ()), ("swapaxes", (0, 1)),
                       ("diagonal", ()), ("trace", ()), ("round", ()), ("conj", ()),
                       ("argsort", ())]:
        got = np.asarray(getattr(fx, name)(*args))
        want = getattr(x, name)(*args)
        np.testing.assert_allclose(got.astype(np.float64), np.asarray(want, np.float64),
                                   rtol=1e-5, err_msg=name)
    np.testing.assert_allclose(np.asarray(fx.real), x.real)
    np.testing.assert_allclose(np.asarray(fx.clip(-1, 1)), x.clip(-1, 1))
    np.testing.assert_allclose(np.asarray(fx.take(fnp.asarray([0, 5]))), x.take([0, 5]))
    np.testing.assert_allclose(np.asarray(fx.repeat(2, axis=0)), x.repeat(2, axis=0))
    np.testing.assert_allclose(np.asarray(fx.dot(fx.T)), x.dot(x.T))


def test_operators_under_tracing():
    def f(x, y):
        return (x + y) * 2 - x / y + x @ y.T, x > y, x.at[0].set(1.0), -x, x ** 2

    jaxpr = make_jaxpr(f)(fnp.ones((2, 2)), fnp.ones((2, 2)))
    text = str(jaxpr)
    for prim in ("add", "mul", "sub", "div", "dot_general", "gt", "scatter", "neg",
                 "integer_pow"):
        assert prim in text, prim


def test_fast_path_add_is_direct():
    x = fnp.ones(4)
    y = fnp.ones(4)
    out = x + y
    assert type(out) is Array and out.dtype == fnp.float32
    # timing is informational only (speed is measured in benchmarks, never asserted)
    n = 2000
    timeit.timeit(lambda: x + y, number=n)


# -- issue 16: Python ints that the target dtype cannot hold ----------------------------------

def test_out_of_range_python_ints_raise_overflow_error_naming_op_value_and_dtype():
    import fnx.lax as lax
    x = fnp.asarray([1, 2])  # int32
    cases = [(lambda: x + 2**70, "add", 2**70, "int32"),
             (lambda: x * -2**40, "multiply", -2**40, "int32"),
             (lambda: lax.add(x, 2**70), "add", 2**70, "int32"),
             (lambda: fnp.asarray(np.int8([1])) + 200, "add", 200, "int8"),
             (lambda: fnp.asarray(np.uint8([1])) - (-1), "subtract", -1, "uint8"),
             (lambda: fnp.where(x > 0, x, 2**40), "where", 2**40, "int32"),
             (lambda: fnp.full(2, 2**70, dtype=fnp.int32), "full", 2**70, "int32"),
             (lambda: fnp.full(2, 300, dtype=fnp.int8), "full", 300, "int8"),
             (lambda: fnp.asarray(300, dtype=fnp.int8), "asarray", 300, "int8"),
             (lambda: fnp.asarray(2**70, dtype=fnp.int32), "asarray", 2**70, "int32"),
             (lambda: fnp.int8(300), "asarray", 300, "int8"),
             (lambda: fnp.ones(2) + 2**1030, "add", 2**1030, "float32")]
    for fn, op, value, dtype in cases:
        with pytest.raises(OverflowError, match=rf"{op}: Python int {value} too .* {dtype}"):
            fn()
    with pytest.raises(OverflowError, match="asarray: integer values 1..300 .* int8"):
        fnp.asarray([1, 300], dtype=fnp.int8)
    # numpy-typed data converts as numpy's astype does (wrapping); values that fit are fine
    assert int(fnp.asarray(np.int64([300]), dtype=fnp.int8)[0]) == 44
    assert (x + (2**31 - 1)).dtype == np.int32 and int(fnp.int8(127)) == 127


def test_comparisons_with_out_of_range_python_ints_are_exact():
    # numpy 2's rule (NEP 50) -- JAX raises OverflowError here instead
    x_np = np.array([1, -2, 127], np.int8)
    x = fnp.asarray(x_np)
    for value in (300, -300, 2**70, -2**70):
        for name in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal"):
            want = getattr(np, name)(x_np, value)
            np.testing.assert_array_equal(getattr(fnp, name)(x, value), want)
            np.testing.assert_array_equal(getattr(fnp, name)(value, x),
                                          getattr(np, name)(value, x_np))
    assert bool(fnx.jit(lambda v: (v < 2**70).all())(x))


def test_a_python_scalar_promoted_to_a_non_default_dtype_is_strong():
    # a weak float64 stands for nothing fnx has (weak values are the default dtypes): meeting
    # another Python scalar it dropped back to float32 (1.0 / 2.0-as-float64 was float32)
    from fnx.numpy._util import promote
    x64 = fnp.ones(2, fnp.float64)
    _, two = promote("t", x64, 2.0)
    assert two.dtype == np.float64 and not two.weak_type
    assert (1.0 / two).dtype == np.float64
    assert fnp.asarray(2.0).weak_type
