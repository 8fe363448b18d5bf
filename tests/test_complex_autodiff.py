"""Autodiff, vmap and jit on complex numbers, with JAX's conventions.

* A real-valued function of complex z = x + iy: ``grad`` gives df/dx - i df/dy (JAX's
  autodiff cookbook: grad of x^2 + y^2 at 3 + 4j is 6 - 8j).
* A complex-valued function: ``grad`` refuses it unless ``holomorphic=True``, which needs complex
  inputs and gives f'(z) (grad(sin, holomorphic=True)(3 + 4j) == cos(3 + 4j)).
* ``check_grads`` holds jvp to finite differences and vjp to jvp (bilinear pairing) on complex
  functions, to order 2.
"""
from __future__ import annotations

import cmath

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.errors import AutodiffError
from fnx.test_util import check_grads

Z = complex(3.0, 4.0)


def _c128(values):
    return fnp.asarray(np.asarray(values, np.complex128))


# -- JAX's documented examples ------------------------------------------------------------------

def test_grad_of_real_function_of_complex_is_the_conjugate_convention():
    def f(z):
        x, y = fnp.real(z), fnp.imag(z)
        return x ** 2 + y ** 2
    g = fnx.grad(f)(_c128(Z))
    assert complex(g) == pytest.approx(6 - 8j)


def test_grad_of_abs_of_complex():
    g = fnx.grad(lambda z: fnp.abs(z))(_c128(Z))
    assert complex(g) == pytest.approx(0.6 - 0.8j)


@pytest.mark.parametrize("fn, deriv", [(fnp.sin, cmath.cos), (fnp.exp, cmath.exp),
                                       (fnp.log, lambda z: 1 / z),
                                       (lambda z: z * z, lambda z: 2 * z),
                                       (fnp.sqrt, lambda z: 0.5 / cmath.sqrt(z))])
def test_holomorphic_grad_is_the_complex_derivative(fn, deriv):
    g = fnx.grad(fn, holomorphic=True)(_c128(Z))
    assert complex(g) == pytest.approx(deriv(Z), rel=1e-12)


def test_holomorphic_jacobians_agree():
    z = _c128([1 + 2j, -0.5 + 0.25j, 2 - 1j])
    fwd = fnx.jacfwd(lambda z: fnp.exp(z) * z, holomorphic=True)(z)
    rev = fnx.jacrev(lambda z: fnp.exp(z) * z, holomorphic=True)(z)
    zz = np.asarray(z)
    expected = np.diag(np.exp(zz) * (zz + 1))
    np.testing.assert_allclose(np.asarray(fwd), expected, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(rev), expected, rtol=1e-12)


def test_complex_output_needs_holomorphic():
    with pytest.raises(AutodiffError, match="holomorphic=True"):
        fnx.grad(fnp.sin)(_c128(Z))
    with pytest.raises(AutodiffError, match="holomorphic=True requires complex inputs"):
        fnx.grad(lambda x: x * 1j, holomorphic=True)(fnp.asarray(1.0))
    with pytest.raises(AutodiffError, match="holomorphic=True"):
        fnx.jacrev(fnp.sin)(_c128([Z]))
    with pytest.raises(AutodiffError, match="real-valued inputs"):
        fnx.jacfwd(fnp.abs)(_c128([Z]))


def test_jacfwd_of_real_input_complex_output():
    x = fnp.asarray(np.array([0.5, 1.5]))
    jac = fnx.jacfwd(lambda t: fnp.exp(1j * t))(x)
    expected = np.diag(1j * np.exp(1j * np.asarray(x)))
    np.testing.assert_allclose(np.asarray(jac), expected, rtol=1e-12)


# -- check_grads over complex functions -----------------------------------------------------------

_FUNCTIONS = {
    "exp_sin": lambda z: fnp.exp(fnp.sin(z)),
    "log_sqrt": lambda z: fnp.log(fnp.sqrt(z)),
    "tan_cosh": lambda z: fnp.tan(z) * fnp.cosh(z),
    "div_pow": lambda z: (z ** 3) / (z + 2.0),
    "abs": fnp.abs,
    "conj_mul": lambda z: fnp.conj(z) * z,
    "real_imag": lambda z: fnp.real(z) * fnp.imag(z),
    "inverse_trig": lambda z: fnp.arcsin(z) + fnp.arctanh(z) + fnp.arccosh(z + 2.0),
    "sum_prod": lambda z: fnp.sum(z * z) + fnp.prod(z),
    "matmul": lambda z: fnp.reshape(z, (2, 2)) @ fnp.reshape(z, (2, 2)),
    "cumsum": lambda z: fnp.cumsum(z * 1j),
}


@pytest.mark.parametrize("name", sorted(_FUNCTIONS))
def test_check_grads_on_complex_functions(name):
    z = _c128([0.3 + 0.4j, -0.2 + 0.7j, 0.5 - 0.1j, 0.25 + 0.2j])
    check_grads(_FUNCTIONS[name], (z,), order=2)


def test_check_grads_complex_from_two_reals():
    x = fnp.asarray(np.array([0.5, -1.0]))
    y = fnp.asarray(np.array([2.0, 0.25]))
    check_grads(lambda a, b: fnp.exp(lax.complex(a, b)), (x, y), order=2)


def test_real_loss_of_complex_parameters_descends():
    """Gradient descent on a real loss of complex parameters with JAX's convention: the step
    is -lr * conj(grad)."""
    target = _c128([1 + 1j, -2 + 0.5j])

    def loss(z):
        return fnp.sum(fnp.abs(z - target) ** 2)

    z = _c128([0j, 0j])
    for _ in range(50):
        z = z - 0.1 * fnp.conj(fnx.grad(loss)(z))
    np.testing.assert_allclose(np.asarray(z), np.asarray(target), atol=1e-4)


# -- vmap and jit -------------------------------------------------------------------------------

def test_vmap_and_jit_of_complex_match_eager():
    rng = np.random.default_rng(0)
    zs = rng.standard_normal((5, 3)) + 1j * rng.standard_normal((5, 3))
    zs = fnp.asarray(zs.astype(np.complex64))

    def f(z):
        return fnp.sum(fnp.exp(z) * fnp.conj(z) + fnp.abs(z) / (z + 1j))

    eager = np.array([complex(f(zs[i])) for i in range(5)])
    np.testing.assert_allclose(np.asarray(fnx.vmap(f)(zs)), eager, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(fnx.jit(fnx.vmap(f))(zs)), eager, rtol=1e-5)
    grads = fnx.jit(fnx.vmap(fnx.grad(lambda z: fnp.real(f(z)))))(zs)
    loop = [np.asarray(fnx.grad(lambda z: fnp.real(f(z)))(zs[i])) for i in range(5)]
    np.testing.assert_allclose(np.asarray(grads), np.stack(loop), rtol=1e-4, atol=1e-5)
