"""fnx.debug_nans / debug_infs (jax_debug_nans / jax_debug_infs): FloatingPointError naming the
primitive that produced a NaN / inf, eagerly, in jitted code and under transformations; nothing
is checked when the flags are off (issue 21)."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp


def sqrt_times_two(x):
    return fnp.sqrt(x) * 2


@pytest.mark.parametrize("wrap", [lambda f: f, fnx.jit, fnx.grad, lambda f: fnx.jit(fnx.grad(f)),
                                  lambda f: fnx.grad(fnx.jit(f)), fnx.vmap],
                         ids=["eager", "jit", "grad", "jit_grad", "grad_jit", "vmap"])
def test_debug_nans_names_the_primitive(wrap):
    f = wrap(sqrt_times_two)
    x = fnp.asarray([-1.0, 4.0]) if wrap is fnx.vmap else fnp.float32(-1.0)
    with fnx.debug_nans(True):
        with pytest.raises(FloatingPointError, match=r"invalid value \(nan\).*sqrt"):
            f(x)
    # the flag is off again: the same call gives the NaN quietly
    assert np.isnan(np.asarray(f(x))).any()
    assert fnx.config.debug_nans is False


def test_debug_infs_and_nans_are_separate_flags():
    x = fnp.asarray([0.0, 1.0])
    with fnx.debug_nans(True):
        assert np.isinf(np.asarray(fnp.log(x))).any()     # an inf is not a NaN
    with fnx.debug_infs(True):
        with pytest.raises(FloatingPointError, match=r"invalid value \(inf\).*log"):
            fnp.log(x)
        with pytest.raises(FloatingPointError, match=r"\(inf\).*log"):
            fnx.jit(lambda v: fnp.log(v) + 1)(x)


def test_debug_nans_passes_finite_and_integer_results_and_config_update():
    fnx.config.update("debug_nans", True)
    try:
        np.testing.assert_allclose(fnx.jit(sqrt_times_two)(fnp.asarray([4.0, 9.0])), [4.0, 6.0])
        assert int(fnp.sum(fnp.arange(5))) == 10
        with pytest.raises(FloatingPointError):
            fnp.asarray([0.0]) / 0.0
    finally:
        fnx.config.update("debug_nans", False)
    assert np.isnan(np.asarray(fnp.asarray([0.0]) / 0.0)).all()


def test_disable_jit_and_debug_nans_together():
    f = fnx.jit(sqrt_times_two)
    with fnx.disable_jit(), fnx.debug_nans(True):
        with pytest.raises(FloatingPointError, match="sqrt"):
            f(fnp.float32(-4.0))
    np.testing.assert_allclose(f(fnp.float32(4.0)), 4.0)
