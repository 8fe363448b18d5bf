"""Fuzzing the kernels' entry points: no input from Python may crash the process.

Every lax function gets random arrays (any dtype, odd/zero/mismatched shapes, non-contiguous
views) and random static parameters (out-of-range axes, negative sizes, huge values).  Each call
must either succeed or raise a Python exception of an expected type; a segfault kills the test
process and fails the run.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.lax as lax
from fnx.core import Array

DTYPES = [np.bool_, np.int8, np.uint8, np.int32, np.int64, np.float32, np.float64]
EXPECTED = (fnx.errors.FnxError, TypeError, ValueError, IndexError, OverflowError)

shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)
small_ints = st.integers(-3, 5)
wild_ints = st.one_of(small_ints, st.sampled_from([2 ** 31, -2 ** 31, 2 ** 62, -(2 ** 62)]))


@st.composite
def arrays(draw):
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(shapes)
    value = (np.arange(int(np.prod(shape)), dtype=np.int64) % 7 - 3).astype(dtype)
    value = value.reshape(shape)
    if value.ndim >= 2 and draw(st.booleans()):
        value = value.T  # non-contiguous
    return Array(np.ascontiguousarray(value) if draw(st.booleans()) else value)


def _int_tuple(draw, n):
    return tuple(draw(wild_ints) for _ in range(n))


CALLS = {
    "unary": lambda d, x: getattr(lax, d(st.sampled_from(
        ["neg", "exp", "log", "sqrt", "abs", "sign", "floor", "erf_inv", "digamma", "is_finite",
         "bitwise_not", "lgamma"])))(x),
    "binary": lambda d, x: getattr(lax, d(st.sampled_from(
        ["add", "div", "rem", "pow", "max", "eq", "bitwise_and", "shift_left", "atan2"])))(
        x, d(arrays())),
    "integer_pow": lambda d, x: lax.integer_pow(x, d(st.integers(-5, 5))),
    "convert": lambda d, x: lax.convert_element_type(x, d(st.sampled_from(DTYPES))),
    "select_n": lambda d, x: lax.select_n(d(arrays()), x, d(arrays())),
    "clamp": lambda d, x: lax.clamp(d(arrays()), x, d(arrays())),
    "reduce": lambda d, x: getattr(lax, d(st.sampled_from(
        ["reduce_sum", "reduce_max", "reduce_and", "reduce_prod"])))(x, _int_tuple(d, d(st.integers(0, 3)))),
    "argmax": lambda d, x: lax.argmax(x, d(wild_ints)),
    "cumsum": lambda d, x: lax.cumsum(x, d(wild_ints), d(st.booleans())),
    "sort": lambda d, x: lax.sort((x, d(arrays())), d(wild_ints), True, d(st.integers(0, 3))),
    "broadcast_in_dim": lambda d, x: lax.broadcast_in_dim(
        x, d(shapes), _int_tuple(d, d(st.integers(0, 4)))),
    "reshape": lambda d, x: lax.reshape(x, d(st.lists(st.integers(-2, 6), max_size=4))),
    "transpose": lambda d, x: lax.transpose(x, _int_tuple(d, x.ndim)),
    "squeeze": lambda d, x: lax.squeeze(x, _int_tuple(d, 1)),
    "expand_dims": lambda d, x: lax.expand_dims(x, _int_tuple(d, 1)),
    "rev": lambda d, x: lax.rev(x, _int_tuple(d, 1)),
    "slice": lambda d, x: lax.slice(x, _int_tuple(d, x.ndim), _int_tuple(d, x.ndim),
                                    _int_tuple(d, x.ndim)),
    "dynamic_slice": lambda d, x: lax.dynamic_slice(x, _int_tuple(d, x.ndim),
                                                    _int_tuple(d, x.ndim)),
    "dynamic_update_slice": lambda d, x: lax.dynamic_update_slice(x, d(arrays()),
                                                                  _int_tuple(d, x.ndim)),
    "concatenate": lambda d, x: lax.concatenate([x, d(arrays())], d(wild_ints)),
    "pad": lambda d, x: lax.pad(x, Array(np.zeros((), x.dtype)),
                                [(d(small_ints), d(small_ints), d(st.integers(-1, 3)))
                                 for _ in range(x.ndim)]),
    "iota": lambda d, x: lax.broadcasted_iota(d(st.sampled_from(DTYPES)), d(shapes),
                                              d(wild_ints)),
    "gather": lambda d, x: lax.gather(x, d(arrays()), d(st.integers(-1, 3))),
    "scatter_add": lambda d, x: lax.scatter_add(x, d(arrays()), d(arrays()), d(st.integers(-1, 3))),
    "dot_general": lambda d, x: lax.dot_general(
        x, d(arrays()), ((_int_tuple(d, d(st.integers(0, 2))), _int_tuple(d, d(st.integers(0, 2)))),
                         (_int_tuple(d, d(st.integers(0, 1))), _int_tuple(d, d(st.integers(0, 1)))))),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@settings(max_examples=60)
@given(data=st.data())
def test_kernel_entry_points_never_crash(name, data):
    x = data.draw(arrays())
    try:
        out = CALLS[name](data.draw, x)
    except EXPECTED:
        return
    for leaf in fnx.tree.leaves(out):
        np.asarray(leaf)  # results are readable
