"""Failures that the random ``HYPOTHESIS_PROFILE=explore`` runs of the spec tests found, pinned
as deterministic cases (issue 16).  Each runs through the same checker as its spec test, so it
fails exactly where the exploring run did.  (The spec tests draw through ``st.data()``, which
``@example`` cannot supply, hence this file.)"""
from __future__ import annotations

import numpy as np

import fnx.numpy as fnp
from fnx.core import Array

from spec_numpy import SPEC_BY_NAME, NumpyCase
from test_numpy_spec import check_case


def _weak_f32(v):
    return Array(np.array(v, np.float32), True)


def test_add_of_signed_zero_python_scalars():
    # explore seed 11, test_matches_numpy_on_0d_and_empty[add-scalar]: fnx.numpy cached weak
    # scalar Arrays by value, and 0.0 == -0.0 share a dict key, so after any `x + 0.0` the
    # call `-0.0 + x` added +0.0 (and -0.0 + -0.0 came out +0.0)
    row = SPEC_BY_NAME["add"]
    for first, second in ((0.0, -0.0), (-0.0, 0.0)):
        for scalar in (first, second):
            check_case(row, NumpyCase((scalar, _weak_f32(-0.0)), {}))
            check_case(row, NumpyCase((_weak_f32(-0.0), scalar), {}))
    assert np.signbit(float(fnp.multiply(fnp.asarray(np.float32(1.0)), -0.0)))


# -- issue 19 (complex numbers): found by HYPOTHESIS_PROFILE=explore, seed 1907, and by the
# vmap spec ----------------------------------------------------------------------------------

def test_complex_mul_rounds_alike_in_vector_loops_and_their_remainders():
    """gcc vectorized the plain formula into fmaddsub: element 0 of a long array and the same
    product alone rounded differently (vmap vs per-example)."""
    from fnx import lax
    from fnx.core import Array
    rng = np.random.default_rng(0)
    for dt in (np.complex64, np.complex128):
        a = (rng.standard_normal(64) + 1j * rng.standard_normal(64)).astype(dt)
        b = (rng.standard_normal(64) + 1j * rng.standard_normal(64)).astype(dt)
        whole = np.asarray(lax.mul(Array(a), Array(b)))
        alone = np.array([np.asarray(lax.mul(Array(a[i:i + 1]), Array(b[i:i + 1])))[0]
                          for i in range(64)])
        np.testing.assert_array_equal(whole, alone)


def test_complex64_abs_and_pow_are_accurate():
    from fnx import lax
    from fnx.core import Array
    z = np.array([3 + 0.5j, 1e-20 + 3e-20j, 7e37 + 7e37j], np.complex64)
    want = np.abs(z.astype(np.complex128)).astype(np.float32)
    got = np.asarray(lax.abs(Array(z)))
    np.testing.assert_allclose(got, want, rtol=1.2e-7)
    a = np.array([0.5 + 2j, -3 + 0.25j], np.complex64)
    b = np.array([3.7 - 8.2j, 11.5 + 6j], np.complex64)
    want = (a.astype(np.complex128) ** b.astype(np.complex128)).astype(np.complex64)
    got = np.asarray(lax.pow(Array(a), Array(b)))
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_empty_complex_max_min_agree_between_backends_and_jit():
    import fnx
    from fnx import lax
    from fnx.backends import get_impl
    from fnx.core import Array
    x = Array(np.zeros((0, 3), np.complex64))
    for prim, fn in ((lax.reduce_max_p, lax.reduce_max), (lax.reduce_min_p, lax.reduce_min)):
        cpu = np.asarray(fn(x, (0,)))
        ref = np.asarray(get_impl("reference", prim)(x, axes=(0,)))
        jitted = np.asarray(fnx.jit(lambda v, fn=fn: fn(v, (0,)))(x))
        np.testing.assert_array_equal(cpu, ref)
        np.testing.assert_array_equal(jitted, cpu)


def test_complex_expm1_on_the_real_axis_past_exp_overflow():
    # test_lax_backends drew expm1(89 + 0j) in complex64: e^89 overflows float32, and the
    # imaginary part e^x sin(0) was inf * 0 = NaN; a real z keeps its imaginary zero (numpy's
    # and the reference backend's inf + 0j)
    import fnx
    from fnx import lax
    for dtype in (np.complex64, np.complex128):
        x = 89.0 if dtype == np.complex64 else 710.0
        z = np.array([complex(x, 0.0), complex(x, -0.0), complex(-x, 0.0), 2.0 + 0j], dtype)
        want = np.array([complex(np.inf, 0.0), complex(np.inf, -0.0), -1 + 0j,
                         np.expm1(2.0) + 0j], dtype)
        for got in (lax.expm1(Array(z)), fnx.jit(lax.expm1)(Array(z))):
            got = np.asarray(got)
            np.testing.assert_array_equal(got, want)
            np.testing.assert_array_equal(np.signbit(got.imag), np.signbit(want.imag))


def test_complex_integer_pow_of_a_huge_imaginary_number_keeps_its_zero():
    # test_lax_backends (explore) drew integer_pow(1.34e154j, 2) in complex128: the kernel's
    # unrolled x * x is -inf + 0j (numpy's answer too); the reference backend multiplied by an
    # initial 1 and got -inf + nan j.  The backends and jit agree (bit for bit) for y = 1..3,
    # and with numpy on the drawn value
    import fnx
    from fnx import lax
    from fnx.backends import get_impl
    for dtype, big in ((np.complex128, 1.3407807929942597e154), (np.complex64, 1.9e19)):
        z = np.array([complex(0.0, big), complex(big, 0.0), 1 + 2j], dtype)
        for y in (1, 2, 3):
            got = [np.asarray(g) for g in (
                lax.integer_pow(Array(z), y),
                get_impl("reference", lax.integer_pow_p)(Array(z), y=y),
                fnx.jit(lambda v, y=y: lax.integer_pow(v, y))(Array(z)))]
            for g in got[1:]:
                np.testing.assert_array_equal(g.view(g.real.dtype), got[0].view(g.real.dtype))
        with np.errstate(all="ignore"):
            want = z[:1] * z[:1]
        np.testing.assert_array_equal(np.asarray(lax.integer_pow(Array(z[:1]), 2)), want)
