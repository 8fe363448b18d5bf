"""Complex numbers in fnx.numpy: the complex-only functions (real, imag, conj, angle,
iscomplex..., real_if_close, sort_complex) and the helpers the other modules use to give
complex operands numpy's semantics.

numpy's rules kept here: ``real`` / ``conj`` of a real array is that array and ``imag`` its
zeros (same dtype); a complex value is NaN when either part is NaN, infinite when either part
is infinite (and not NaN-free is not required: numpy's ``isinf(inf + nanj)`` is True), finite
when both parts are; order comparisons, max and min are lexicographic (real part first).
"""
from __future__ import annotations

import numpy as np

from .. import dtypes, lax
from ..core import Array, ArrayBase, Tracer
from ..errors import DTypeError
from ._util import asarray_arg, full_scalar


def is_complex(x) -> bool:
    return x.dtype.kind == "c"


def reject_complex(name: str, *xs) -> None:
    """DTypeError naming ``name`` and the dtype when an operand is complex: numpy defines
    ``name`` for real numbers only (it raises TypeError there too)."""
    for x in xs:
        dt = x if isinstance(x, np.dtype) else getattr(x, "dtype", None)
        if dt is None and isinstance(x, complex):
            dt = dtypes.default_complex
        if dt is not None and np.dtype(dt).kind == "c":
            raise DTypeError(f"{name}: not supported for complex input (got {np.dtype(dt)}); "
                             "numpy defines it for real numbers only")


def map_parts(fn, x):
    """``fn`` applied to the real and the imaginary part of complex ``x`` separately."""
    return lax.complex(fn(lax.real(x)), fn(lax.imag(x)))


def isnan(x):
    """Either part NaN (complex ``x``)."""
    re, im = lax.real(x), lax.imag(x)
    return lax.bitwise_or(lax.ne(re, re), lax.ne(im, im))


def isinf(x):
    """Either part infinite (complex ``x``), as numpy's ``isinf``."""
    re, im = lax.real(x), lax.imag(x)
    inf = Array(np.array(np.inf, re.dtype), True)
    return lax.bitwise_or(lax.eq(lax.abs(re), inf), lax.eq(lax.abs(im), inf))


def square(x):
    """x * x by numpy's formula, (re^2 - im^2) + (2 re im) i: the parts of an infinite x are
    numpy's (-inf where only the imaginary part is infinite, not the NaN of a complex product)."""
    re, im = lax.real(x), lax.imag(x)
    return lax.complex(lax.sub(lax.mul(re, re), lax.mul(im, im)),
                       lax.add(lax.mul(re, im), lax.mul(im, re)))


def reciprocal(x):
    """1 / x by numpy's formula: the larger part divides the smaller (no overflow for large
    |x|), so 1 / 0 is NaN + NaN i as in numpy."""
    re, im = lax.real(x), lax.imag(x)
    one = Array(np.array(1, re.dtype), True)
    real_larger = lax.le(lax.abs(im), lax.abs(re))
    r = lax.select(real_larger, lax.div(im, re), lax.div(re, im))
    d = lax.select(real_larger, lax.add(re, lax.mul(im, r)), lax.add(lax.mul(re, r), im))
    return lax.complex(lax.select(real_larger, lax.div(one, d), lax.div(r, d)),
                       lax.neg(lax.select(real_larger, lax.div(r, d), lax.div(one, d))))


def abs_squared(x):
    """|x|^2 = re^2 + im^2 (real), without the square root of ``abs``."""
    return lax.add(lax.integer_pow(lax.real(x), 2), lax.integer_pow(lax.imag(x), 2))


# -- public functions -------------------------------------------------------------------------

def real(val, /):
    """The real part (a float array of the complex precision); a real array itself."""
    val = asarray_arg("real", val)
    return lax.real(val) if is_complex(val) else val


def imag(val, /):
    """The imaginary part; zeros of a real array's dtype."""
    val = asarray_arg("imag", val)
    return lax.imag(val) if is_complex(val) else full_scalar(0, val.dtype, val.shape)


def conjugate(x, /):
    """The complex conjugate; a real array itself (numpy: not made complex)."""
    x = asarray_arg("conjugate", x)
    return lax.conj(x) if is_complex(x) else x


conj = conjugate


def angle(z, deg=False):
    """The argument of ``z`` in (-pi, pi] (degrees with ``deg``): ``arctan2(imag, real)``; a
    real ``z`` gives 0 or pi (pi for negatives and -0.0).  Integers give float32 (as
    jax.numpy)."""
    z = asarray_arg("angle", z)
    if is_complex(z):
        re, im = lax.real(z), lax.imag(z)
    else:
        re = z if dtypes.is_floating(z.dtype) else lax.convert_element_type(
            z, dtypes.default_float)
        im = full_scalar(0, re.dtype, re.shape)
    a = lax.atan2(im, re)
    if deg:
        a = lax.mul(a, Array(np.array(180 / np.pi, a.dtype), True))
    return a


def iscomplexobj(x) -> bool:
    """True when ``x``'s dtype is complex (whatever its values)."""
    if isinstance(x, ArrayBase):
        return is_complex(x)
    dt = getattr(x, "dtype", None)
    return np.dtype(dt).kind == "c" if dt is not None else np.iscomplexobj(x)


def isrealobj(x) -> bool:
    """True when ``x``'s dtype is not complex."""
    return not iscomplexobj(x)


def iscomplex(x, /):
    """True where the imaginary part is nonzero (a bool array)."""
    return lax.ne(imag(x), 0)


def isreal(x, /):
    """True where the imaginary part is zero (a bool array)."""
    return lax.eq(imag(x), 0)


def real_if_close(a, tol=100):
    """The real part of complex ``a`` when every imaginary part is below ``tol`` (in machine
    epsilons of its precision when ``tol > 1``), else ``a``.  The result's dtype depends on the
    values, so ``a`` must be concrete."""
    a = asarray_arg("real_if_close", a)
    if not is_complex(a):
        return a
    if isinstance(a, Tracer):
        a._concretization_error("real_if_close: whether the result is real")
    if tol > 1:
        tol = tol * np.finfo(dtypes.real_of(a.dtype)).eps
    if np.all(np.abs(np.asarray(a).imag) < tol):
        return lax.real(a)
    return a


def _as_int32(mask):
    return lax.convert_element_type(mask, dtypes.int32)


def sort_complex(a, /):
    """``a`` sorted along its last axis lexicographically (real part first), NaNs last in
    numpy's order: ``R + Rj < R + nanj < nan + Rj < nan + nanj``.  A float array becomes the
    complex type of its precision (as jax.numpy; numpy gives complex128), an integer one
    complex64."""
    a = asarray_arg("sort_complex", a)
    if not is_complex(a):
        real_dt = a.dtype if dtypes.is_floating(a.dtype) else dtypes.default_float
        a = lax.convert_element_type(a, dtypes.complex_of(real_dt))
    if a.ndim == 0:
        return a
    re, im = lax.real(a), lax.imag(a)
    nan_class = lax.add(lax.mul(_as_int32(lax.ne(re, re)), 2), _as_int32(lax.ne(im, im)))
    _, re, im = lax.sort((nan_class, re, im), dimension=a.ndim - 1, num_keys=3)
    return lax.complex(re, im)


__all__ = ["real", "imag", "conjugate", "conj", "angle", "iscomplexobj", "isrealobj",
           "iscomplex", "isreal", "real_if_close", "sort_complex"]
