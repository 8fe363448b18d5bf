"""Every fnx.lax primitive, driven by the spec table in ``tests/spec_lax.py``:

* the CPU backend agrees with the numpy reference backend (values, dtype, shape, weak type);
* the public ``fnx.lax`` function (eager, default backend) agrees with the reference;
* ``fnx.make_jaxpr`` traces the public function to a jaxpr that names the primitive;
* every primitive defined in fnx.lax has a spec row;
* each primitive's abstract evaluation rejects bad dtypes / shapes with a clear FnxError.

The CPU tests are never skipped: while ``fnx/backends/cpu.py`` or a kernel is missing they fail.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
from fnx.backends import get_impl
from fnx.core import Array
from fnx.errors import FnxError

from spec_lax import PRIMITIVES, SPECS, LaxCase, LaxSpec, lax_primitives

ROWS = [pytest.param(row, id=row.name) for row in SPECS]

# make_jaxpr only needs a few shapes per primitive
_JAXPR_EXAMPLES = max(1, settings.default.max_examples // 5)


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def assert_same_arrays(row: LaxSpec, actual, expected, what: str):
    actual, expected = _as_list(actual), _as_list(expected)
    assert len(actual) == len(expected), f"{row.name}: {what} returned {len(actual)} outputs"
    for i, (a, e) in enumerate(zip(actual, expected)):
        where = f"{row.name} output {i} ({what})"
        assert isinstance(a, Array), f"{where}: expected an fnx Array, got {type(a).__name__}"
        assert a.dtype == e.dtype, f"{where}: dtype {a.dtype} != reference {e.dtype}"
        assert a.shape == e.shape, f"{where}: shape {a.shape} != reference {e.shape}"
        assert a.weak_type == e.weak_type, f"{where}: weak_type {a.weak_type} != {e.weak_type}"
    assert_same_values(row, [np.asarray(a._value) for a in actual],
                       [np.asarray(e._value) for e in expected], what)


# products of many complex numbers: whether a non-finite result is an infinity or a NaN, and
# in which part, depends on the order of the multiplications (numpy's plain formula is not
# associative on infinities): there any non-finite value matches any other
_PRODUCTS = frozenset(("reduce_prod", "cumprod", "scatter-mul"))


def assert_complex_close(actual, expected, rtol, atol, where, infinities_alike=False):
    """Each part within ``atol + rtol |expected|`` (the magnitude: a part that cancels to
    near zero is only as accurate as the whole number), NaN and infinite parts in the same
    places (infinities with the same sign); exact when both tolerances are 0."""
    with np.errstate(all="ignore"):
        # a NaN in either part is numpy's complex NaN: where both sides are NaN so, the other
        # part is not compared (products of inf / NaN parts depend on their order)
        both_nan = np.isnan(actual) & np.isnan(expected)
        if infinities_alike:
            both_nan |= ~np.isfinite(actual) & ~np.isfinite(expected)
        actual, expected = np.where(both_nan, np.nan, actual), np.where(both_nan, np.nan, expected)
        magnitude = np.abs(expected.astype(np.complex128))
        for part in ("real", "imag"):
            a = getattr(actual, part).astype(np.float64)
            e = getattr(expected, part).astype(np.float64)
            # (the other part NaN / inf: the magnitude says nothing, use this part's own)
            scale = np.where(np.isfinite(magnitude), magnitude, np.abs(e))
            same_special = (np.isnan(a) & np.isnan(e)) | (np.isinf(a) & (a == e))
            finite_ok = np.isfinite(a) & np.isfinite(e) & (np.abs(a - e) <= atol + rtol * scale)
            if rtol == 0 and atol == 0:
                finite_ok &= (a == e)
            bad = ~(same_special | finite_ok)
            if np.any(bad):
                i = tuple(np.argwhere(bad)[0])
                raise AssertionError(f"{where}: {part} parts differ at {i}: got {actual[i]!r}, "
                                     f"expected {expected[i]!r} (rtol={rtol:g}, atol={atol:g}; "
                                     f"{int(np.sum(bad))} of {bad.size} elements)")


def assert_same_values(row: LaxSpec, actual: list, expected: list, what: str):
    """numpy output lists equal within the row's tolerance (NaNs in the same places), after
    the row's sign alignment (eigen / singular vectors, QR)."""
    if row.align is not None:
        actual = row.align(actual, expected)
    for i, (av, ev) in enumerate(zip(actual, expected)):
        where = f"{row.name} output {i} ({what})"
        if av.dtype.kind == "f":
            rtol, atol = row.tolerance(av.dtype)
            np.testing.assert_allclose(av, ev, rtol=rtol, atol=atol, equal_nan=True,
                                       err_msg=where)
        elif av.dtype.kind == "c":
            assert_complex_close(av, ev, *row.tolerance(av.dtype), where,
                                 infinities_alike=row.name in _PRODUCTS)
        else:
            np.testing.assert_array_equal(av, ev, err_msg=where)


def _reference(row: LaxSpec, case):
    return get_impl("reference", row.prim)(*case.operands, **case.params)


def _snapshot(case):
    return [np.array(o._value, copy=True) for o in case.operands]


def _numpy_bools_intact() -> bool:
    return np.True_.item() is True and np.False_.item() is False  # .item() reads the value


def _repair_numpy_bools():
    # np.True_/np.False_ are PyBoolScalarObjects {PyObject_HEAD; npy_bool obval}: put the
    # value bytes back so one broken kernel does not fail every later test in the session.
    import ctypes
    offset = object.__basicsize__  # PyObject_HEAD
    ctypes.c_uint8.from_address(id(np.True_) + offset).value = 1
    ctypes.c_uint8.from_address(id(np.False_) + offset).value = 0


def _assert_numpy_intact(row):
    # A kernel that writes through a pointer into a numpy scalar (e.g. ``out[()]`` of a 0-d
    # bool array is the global np.True_/np.False_) poisons every later test in the process:
    # name the culprit here, and undo the damage.
    if not _numpy_bools_intact():
        _repair_numpy_bools()
        assert _numpy_bools_intact()
        raise AssertionError(f"{row.name}: the backend overwrote numpy's global bool "
                             "scalars np.True_/np.False_ (a write into a 0-d bool result "
                             "indexed with ())")


@pytest.fixture(autouse=True)
def _numpy_bools_guard():
    """Safety net: repair np.True_/np.False_ after any test that corrupted them."""
    yield
    if not _numpy_bools_intact():
        _repair_numpy_bools()
        pytest.fail("this test overwrote numpy's global bool scalars np.True_/np.False_")


def _assert_inputs_untouched(case, before):
    for o, b in zip(case.operands, before):
        np.testing.assert_array_equal(o._value, b, err_msg="a backend wrote to its input")


# ---------------------------------------------------------------------------------------------
# (a) CPU backend == reference backend
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("row", ROWS)
@given(data=st.data())
def test_cpu_matches_reference(row: LaxSpec, data):
    cpu_impl = get_impl("cpu", row.prim)
    assert cpu_impl is not None, f"the cpu backend has no impl for {row.name}"
    case = data.draw(row.strategy(), label="case")
    before = _snapshot(case)
    expected = _reference(row, case)
    actual = cpu_impl(*case.operands, **case.params)
    _assert_numpy_intact(row)
    assert_same_arrays(row, actual, expected, "cpu backend")
    _assert_inputs_untouched(case, before)


# ---------------------------------------------------------------------------------------------
# (b) the public fnx.lax function (eager, default backend) == reference
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("row", ROWS)
@given(data=st.data())
def test_lax_function_matches_reference(row: LaxSpec, data):
    case = data.draw(row.strategy(), label="case")
    expected = _reference(row, case)
    actual = row.call(row.fn, case)
    _assert_numpy_intact(row)
    assert_same_arrays(row, actual, expected, f"fnx.lax.{row.fn.__name__}")


# ---------------------------------------------------------------------------------------------
# (c) make_jaxpr of the public function names the primitive
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("row", ROWS)
@settings(max_examples=_JAXPR_EXAMPLES)
@given(data=st.data())
def test_make_jaxpr(row: LaxSpec, data):
    case = data.draw(row.strategy(), label="case")

    def fun(*operands):
        return row.call(row.fn, LaxCase(operands, case.params))

    closed = fnx.make_jaxpr(fun)(*case.operands)
    text = str(closed)
    expected = _as_list(_reference(row, case))
    assert [tuple(a.shape) for a in closed.out_avals] == [e.shape for e in expected], text
    assert [a.dtype for a in closed.out_avals] == [e.dtype for e in expected], text
    if row.binds(case):
        assert f"= {row.name}" in text, f"{row.name} missing from the jaxpr:\n{text}"


# ---------------------------------------------------------------------------------------------
# Coverage of the table
# ---------------------------------------------------------------------------------------------

def test_every_lax_primitive_has_a_spec_row():
    import fnx.lax  # noqa: F401  (defines the primitives)
    in_lax = lax_primitives()
    registered = {p.name for p in fnx.core.ALL_PRIMITIVES}
    assert set(in_lax) <= registered
    missing = sorted(set(in_lax) - {row.name for row in SPECS})
    assert not missing, f"primitives without a row in tests/spec_lax.py: {missing}"
    assert set(PRIMITIVES) == set(in_lax)


def test_reference_backend_covers_every_primitive():
    from fnx.backends.reference import IMPLS
    missing = sorted(p.name for p in fnx.core.ALL_PRIMITIVES
                     if p.name in lax_primitives() and p.name not in IMPLS)
    assert not missing, f"fnx/backends/reference.py has no impl for {missing}"


# ---------------------------------------------------------------------------------------------
# Abstract-eval errors
# ---------------------------------------------------------------------------------------------

ERROR_CASES = [
    pytest.param(row, err, id=f"{row.name}-{i}",
                 marks=[pytest.mark.xfail(reason=err.xfail, strict=True)] if err.xfail else [])
    for row in SPECS for i, err in enumerate(row.errors)
]


@pytest.mark.parametrize("row, err", ERROR_CASES)
def test_abstract_eval_rejects_bad_input(row, err):
    with pytest.raises(FnxError) as info:
        row.prim.abstract_eval(*err.avals, **err.params)
    assert isinstance(info.value, (TypeError, ValueError)), repr(info.value)
    message = str(info.value)
    assert row.name in message, message
    for needle in err.needles:
        assert needle in message, f"{needle!r} not in {message!r}"


def test_every_row_has_an_error_case():
    accepts_everything = {"stop_gradient"}  # any array is a valid operand
    assert [row.name for row in SPECS if not row.errors and row.name not in accepts_everything] == []


# -- issue 16: the public lax functions validate their static arguments --------------------------

@pytest.mark.parametrize("start", [2.7, 2.0, True, np.float32(2.0)])
def test_dynamic_slice_rejects_non_integer_starts(start):
    # a Python float used to be truncated to int32 silently (2.7 -> 2)
    x = fnx.numpy.arange(10.0)
    kind = type(start).__name__
    with pytest.raises(TypeError, match=rf"dynamic_slice: start indices must be integer.*{kind}"):
        fnx.lax.dynamic_slice(x, (start,), (3,))
    with pytest.raises(TypeError, match=rf"dynamic_update_slice: start indices must be .*{kind}"):
        fnx.lax.dynamic_update_slice(x, fnx.numpy.zeros(2), (start,))
    with pytest.raises(TypeError, match=r"dynamic_slice: start indices must be integer.*float32"):
        fnx.lax.dynamic_slice(x, (fnx.numpy.asarray(2.0),), (3,))
    # integer starts of any integer type still work
    for ok in (2, np.int64(2), np.uint8(2), fnx.numpy.asarray(np.int8(2))):
        np.testing.assert_array_equal(np.asarray(fnx.lax.dynamic_slice(x, (ok,), (3,))),
                                      [2.0, 3.0, 4.0])


@pytest.mark.parametrize("dn", [([1], [0]), (([1], [0]),), (1, 0), None, "ij"])
def test_dot_general_malformed_dimension_numbers_show_the_expected_form(dn):
    # ([1], [0]) without the batch part used to fail with "not enough values to unpack"
    a, b = fnx.numpy.ones((2, 3)), fnx.numpy.ones((3, 4))
    with pytest.raises(TypeError, match=r"dot_general: dimension_numbers must have the form "
                                        r"\(\(lhs_contract, rhs_contract\), \(lhs_batch, "
                                        r"rhs_batch\)\)"):
        fnx.lax.dot_general(a, b, dn)


def test_dot_general_bad_dimensions_name_the_side_the_dimension_and_both_shapes():
    a, b = fnx.numpy.ones((2, 3)), fnx.numpy.ones((3, 4))
    shapes = r"float32\[2, 3\], float32\[3, 4\]"
    with pytest.raises(ValueError, match=r"dot_general: lhs contracting dimension 2 is out of "
                                         rf"range for the lhs of rank 2.*{shapes}"):
        fnx.lax.dot_general(a, b, (([2], [0]), ([], [])))
    with pytest.raises(ValueError, match=r"dot_general: rhs batch dimension 5 is out of range"):
        fnx.lax.dot_general(a, b, (([1], [0]), ([0], [5])))
    with pytest.raises(ValueError, match=r"dot_general: contracting dimension 0 of lhs \(size 2\)"
                                         rf" does not match dimension 0 of rhs \(size 3\).*{shapes}"):
        fnx.lax.dot_general(a, b, (([0], [0]), ([], [])))
    np.testing.assert_allclose(
        np.asarray(fnx.lax.dot_general(a, b, ((np.array([1]), np.array([0])), ([], [])))),
        np.full((2, 4), 3.0))


# -- issue 16: integer_pow with exponents beyond int64 / 2**53 ---------------------------------

def _wrapped_power(x: int, e: int, dtype) -> int:
    bits = 8 * np.dtype(dtype).itemsize
    v = pow(x, e, 1 << bits)
    return v - (1 << bits) if np.dtype(dtype).kind == "i" and v >= 1 << (bits - 1) else v


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.uint32, np.int64])
def test_integer_pow_is_exact_for_any_python_int_exponent(dtype):
    # the exponent used to travel to the kernels as a double (2**53 + 1 lost its parity,
    # 2**63 saturated) and as an overflowing C literal under jit
    import fnx.lax as lax
    from fnx.backends import reference
    info = np.iinfo(dtype)
    xs = [v for v in (-3, -2, -1, 0, 1, 2, 3, 7, int(info.max)) if info.min <= v]
    x = fnx.asarray(np.array(xs, dtype))
    exponents = (200, 2**53 + 1, 2**63, 2**63 + 1, 2**64 + 1, 3 * 2**62, 2**100 + 7)
    jitted = fnx.jit(lambda v: [lax.integer_pow(v, e) for e in exponents])(x)
    for e, from_jit in zip(exponents, jitted):
        want = np.array([_wrapped_power(v, e, dtype) for v in xs], dtype)
        np.testing.assert_array_equal(lax.integer_pow(x, e), want, err_msg=f"eager {e}")
        np.testing.assert_array_equal(from_jit, want, err_msg=f"jit {e}")
        np.testing.assert_array_equal(reference.IMPLS["integer_pow"](x, y=e), want,
                                      err_msg=f"reference {e}")
    three = fnx.asarray(np.array([3], np.int32))
    assert int(lax.integer_pow(three, 2**63)[0]) == 1
    assert int((three ** (2**64 + 1))[0]) == _wrapped_power(3, 2**64 + 1, np.int32)  # not 3**1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_integer_pow_of_floats_with_huge_exponents(dtype):
    import fnx.lax as lax
    eps = np.finfo(dtype).eps
    xs = np.array([1 - eps / 2, 1 + eps, -(1 - eps / 2), -(1 + eps), -1, 1, -0.0, np.inf,
                   -np.inf], dtype)
    for e in (2**63, 2**63 + 1, 2**64 + 1, -(2**63 + 1)):
        # |x| > 1 overflows, |x| < 1 underflows, the sign follows the parity of e
        magnitude = np.where(np.abs(xs) > 1, np.inf, np.where(np.abs(xs) < 1, 0.0, 1.0))
        want = np.where(np.signbit(xs) & (e % 2 == 1), -magnitude, magnitude).astype(dtype)
        if e < 0:
            with np.errstate(divide="ignore"):
                want = dtype(1) / want
        for got in (lax.integer_pow(fnx.asarray(xs), e),
                    fnx.jit(lambda v, e=e: lax.integer_pow(v, e))(fnx.asarray(xs))):
            np.testing.assert_array_equal(np.asarray(got), want, err_msg=str(e))
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want), err_msg=str(e))
