"""Abstract values: what tracing knows about an array (its shape, dtype and weak type).

A base-layer module (numpy only), so that everything above can name avals; ``fnx.core``
re-exports ``ShapedArray`` and defines ``get_aval`` (which needs ``Array`` and ``Tracer``).
"""
from __future__ import annotations

import numpy as np

_SHORT_DTYPE = {"bool": "bool", "int8": "i8", "uint8": "u8", "int32": "i32", "int64": "i64", "uint32": "u32",
                "float32": "f32", "float64": "f64"}


class ShapedArray:
    """The abstract value of an array: ``shape``, ``dtype`` and ``weak_type``."""

    __slots__ = ("shape", "dtype", "weak_type")
    array_abstraction_level = 1

    def __init__(self, shape, dtype, weak_type: bool = False):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.weak_type = weak_type

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))

    def update(self, shape=None, dtype=None, weak_type=None) -> "ShapedArray":
        return ShapedArray(self.shape if shape is None else shape,
                           self.dtype if dtype is None else dtype,
                           self.weak_type if weak_type is None else weak_type)

    def strip_weak_type(self) -> "ShapedArray":
        return ShapedArray(self.shape, self.dtype, False) if self.weak_type else self

    def __eq__(self, other):
        return (type(other) is ShapedArray and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type))

    def str_short(self) -> str:
        name = _SHORT_DTYPE.get(self.dtype.name, self.dtype.name)
        return f"{name}[{','.join(str(d) for d in self.shape)}]"

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapedArray({self.dtype.name}{list(self.shape)}{weak})"
