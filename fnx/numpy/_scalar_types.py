"""fnx.numpy's scalar-type names (``float32``, ``int32``, ``bool_``...): dtypes you can call.

As in jax.numpy, ``fnp.float32`` is a class, not an ``np.dtype``: calling it converts its
argument to an fnx Array of that dtype (``fnp.float32(1.5)`` is a 0-d Array, ``fnp.int32([1, 2])``
an array), and it stays usable everywhere a dtype is accepted.  That works because

* numpy turns any class with a ``dtype`` attribute into that dtype (``np.dtype(fnp.float32)``),
  so fnx's dtype canonicalizer, ``np.zeros(3, fnp.float32)`` and ``np.issubdtype`` accept it;
* the metaclass makes it compare and hash like its ``np.dtype`` (``x.dtype == fnp.float32``,
  ``fnp.float32 in fnx.dtypes.SUPPORTED``, dict/set keys), and equal to numpy's scalar type;
* ``isinstance(v, fnp.float32)`` holds for numpy scalars of that type (as in jax.numpy).
"""
from __future__ import annotations

import numpy as np

from .. import dtypes, lax


class _ScalarMeta(type):
    """Metaclass of the scalar types: a class that behaves like its ``dtype``."""

    dtype: np.dtype

    def __call__(cls, x):
        """``asarray(x, dtype)``, never weak: jax.numpy's rule (``fnp.float32(w)`` of a weak
        ``w`` is a strong float32, so it promotes as a float32 array does)."""
        from ._creation import asarray
        r = asarray(x, dtype=cls.dtype)
        if r.weak_type:
            r = lax.convert_element_type(r, cls.dtype, weak_type=False)
        return r

    def __eq__(cls, other):
        if other is cls:
            return True
        if isinstance(other, _ScalarMeta):
            return other.dtype == cls.dtype
        if isinstance(other, np.dtype):
            return other == cls.dtype
        if isinstance(other, type) and issubclass(other, np.generic):
            return other is cls.dtype.type
        if isinstance(other, str):
            try:
                return np.dtype(other) == cls.dtype
            except (TypeError, ValueError):  # not a dtype name ("f4,i4" style strings: ValueError)
                return False
        return NotImplemented

    def __ne__(cls, other):
        eq = _ScalarMeta.__eq__(cls, other)
        return eq if eq is NotImplemented else not eq

    def __hash__(cls):
        # the hash of the np.dtype it equals, so dicts/sets keyed by dtypes find it
        return hash(cls.dtype)

    def __instancecheck__(cls, instance):
        return isinstance(instance, cls.dtype.type)

    # the np.dtype attributes code reads off a dtype-like
    kind = property(lambda cls: cls.dtype.kind)
    itemsize = property(lambda cls: cls.dtype.itemsize)
    name = property(lambda cls: cls.dtype.name)
    char = property(lambda cls: cls.dtype.char)
    str = property(lambda cls: cls.dtype.str)


def _scalar_type(name: str, dtype: np.dtype) -> _ScalarMeta:
    doc = (f"The {dtype.name} scalar type: ``{name}(x)`` is ``asarray(x, dtype={dtype.name})``; "
           "usable wherever a dtype is.")
    return _ScalarMeta(name, (), {"dtype": dtype, "__module__": "fnx.numpy",
                                  "__qualname__": name, "__doc__": doc})


bool_ = _scalar_type("bool_", dtypes.bool_)
int8 = _scalar_type("int8", dtypes.int8)
uint8 = _scalar_type("uint8", dtypes.uint8)
int32 = _scalar_type("int32", dtypes.int32)
uint32 = _scalar_type("uint32", dtypes.uint32)
int64 = _scalar_type("int64", dtypes.int64)
float32 = _scalar_type("float32", dtypes.float32)
float64 = _scalar_type("float64", dtypes.float64)
complex64 = _scalar_type("complex64", dtypes.complex64)
complex128 = _scalar_type("complex128", dtypes.complex128)

SCALAR_TYPES = (bool_, int8, uint8, int32, uint32, int64, float32, float64, complex64,
                complex128)
