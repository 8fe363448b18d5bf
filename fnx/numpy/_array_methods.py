"""Operators and numpy-style methods of fnx arrays, installed on ``fnx.core.ArrayBase`` (so
concrete ``Array``s and tracers share them) when fnx.numpy is imported.

Binary operators accept fnx arrays, numpy arrays/scalars and Python bool/int/float/complex; any
other operand (a list, a string, ...) gives ``NotImplemented`` so Python raises its TypeError.
``x + y`` on two concrete Arrays of one dtype and shape goes straight to the primitive.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes, lax
from ..core import Array, ArrayBase, _eager, _trace_state, install_array_methods
from ..core import bind as _bind
from . import (_complex, _creation, _indexing, _linalg_ops, _manipulation, _reductions,
               _selection)
from . import _ufuncs as uf
from ._util import check_supported, to_dtype

_OPERAND_TYPES = (ArrayBase, bool, int, float, complex, np.ndarray, np.generic)
_FAST = frozenset((dtypes.int8, dtypes.uint8, dtypes.uint32, dtypes.int32, dtypes.int64, dtypes.float32,
                   dtypes.float64))


def _binop(fn, name, prim=None):
    """``self <op> other`` -> fn(self, other); NotImplemented for foreign operand types."""
    if prim is not None:
        impl_holder = prim

        def op(self, other):
            # fast path: two concrete arrays of one numeric dtype and one shape
            if type(other) is Array and type(self) is Array:
                sv, ov = self._value, other._value
                dt = sv.dtype
                if dt is ov.dtype and sv.shape == ov.shape and dt in _FAST:
                    if _eager[0] or _trace_state.eager:
                        return impl_holder.impl(self, other)
                    return _bind(impl_holder, self, other)
            if not isinstance(other, _OPERAND_TYPES):
                return NotImplemented
            return fn(self, other)
    else:
        def op(self, other):
            if not isinstance(other, _OPERAND_TYPES):
                return NotImplemented
            return fn(self, other)
    op.__name__ = op.__qualname__ = name
    return op


def _rbinop(fn, name):
    def op(self, other):
        if not isinstance(other, _OPERAND_TYPES):
            return NotImplemented
        return fn(other, self)
    op.__name__ = op.__qualname__ = name
    return op


def _compare_op(fn, name):
    def op(self, other):
        if not isinstance(other, _OPERAND_TYPES):
            return NotImplemented
        return fn(self, other)
    op.__name__ = op.__qualname__ = name
    return op


def _astype(self, dtype, copy=False, device=None):
    """A copy cast to ``dtype`` (float -> bool is ``x != 0``; float -> int truncates), on
    ``device`` (None: where ``self`` lives)."""
    out = to_dtype(self, check_supported("astype", dtype))
    return _creation.place("astype", out, device)


# the array API versions fnx.numpy answers for (its own, 2024.12, and the earlier ones it
# also conforms to, as numpy 2 does)
API_VERSIONS = ("2021.12", "2022.12", "2023.12", "2024.12")


def _array_namespace(self, /, *, api_version=None):
    """The array API namespace of fnx arrays: ``fnx.numpy`` (``api_version``: None or one of
    API_VERSIONS; any other is a ValueError)."""
    if api_version is not None and api_version not in API_VERSIONS:
        raise ValueError(f"__array_namespace__: unsupported array API version {api_version!r}; "
                         f"fnx.numpy implements {', '.join(API_VERSIONS)}")
    from .. import numpy as fnp
    return fnp


def _to_device(self, device, /, *, stream=None):
    """This array on ``device`` (a device of ``fnx.devices()`` or a name such as "cpu"),
    committed to it as by ``fnx.device_put``; a traced value stays as it is.  ``stream``:
    only None (fnx copies on the device's default stream)."""
    if stream is not None:
        raise ValueError(f"to_device: stream must be None (fnx copies on the default stream), "
                         f"got {stream!r}")
    if device is None:
        raise ValueError("to_device: device must be a device of fnx.devices() or a name such "
                         "as 'cpu', got None")
    return _creation.place("to_device", self, device)


def _reshape(self, *shape, order="C"):
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = shape[0]
    return _manipulation.reshape(self, shape, order)


def _transpose(self, *axes):
    if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], (int, np.integer))):
        axes = axes[0]
    return _manipulation.transpose(self, axes or None)


def _flatten(self, order="C"):
    return _manipulation.ravel(self, order)


def _mT(self):
    if self.ndim < 2:
        raise ValueError("mT: array must be at least 2-d")
    return _manipulation.swapaxes(self, -1, -2)


def _nonzero(self, *, size=None, fill_value=None):
    return _selection.nonzero(self, size=size, fill_value=fill_value)


def _view_dtype(self, dtype=None):
    if dtype is not None and check_supported("view", dtype) != self.dtype:
        raise NotImplementedError("view: reinterpreting bits as another dtype is not supported")
    return self


def _divmod(self, other):
    if not isinstance(other, _OPERAND_TYPES):
        return NotImplemented
    return uf.divmod(self, other)


def _rdivmod(self, other):
    if not isinstance(other, _OPERAND_TYPES):
        return NotImplemented
    return uf.divmod(other, self)


def _at(self):
    return _indexing._IndexUpdateHelper(self)


def _copy(self):
    return self


def _fill_like(self, value):
    raise TypeError("fnx arrays are immutable; use fnp.full_like(x, value)")


METHODS = {
    "__add__": _binop(uf.add, "__add__", lax.add_p),
    "__radd__": _rbinop(uf.add, "__radd__"),
    "__sub__": _binop(uf.subtract, "__sub__", lax.sub_p),
    "__rsub__": _rbinop(uf.subtract, "__rsub__"),
    "__mul__": _binop(uf.multiply, "__mul__", lax.mul_p),
    "__rmul__": _rbinop(uf.multiply, "__rmul__"),
    "__truediv__": _binop(uf.true_divide, "__truediv__"),
    "__rtruediv__": _rbinop(uf.true_divide, "__rtruediv__"),
    "__floordiv__": _binop(uf.floor_divide, "__floordiv__"),
    "__rfloordiv__": _rbinop(uf.floor_divide, "__rfloordiv__"),
    "__mod__": _binop(uf.remainder, "__mod__"),
    "__rmod__": _rbinop(uf.remainder, "__rmod__"),
    "__divmod__": _divmod,
    "__rdivmod__": _rdivmod,
    "__pow__": _binop(uf.power, "__pow__"),
    "__rpow__": _rbinop(uf.power, "__rpow__"),
    "__matmul__": _binop(_linalg_ops.matmul, "__matmul__"),
    "__rmatmul__": _rbinop(_linalg_ops.matmul, "__rmatmul__"),
    "__and__": _binop(uf.bitwise_and, "__and__"),
    "__rand__": _rbinop(uf.bitwise_and, "__rand__"),
    "__or__": _binop(uf.bitwise_or, "__or__"),
    "__ror__": _rbinop(uf.bitwise_or, "__ror__"),
    "__xor__": _binop(uf.bitwise_xor, "__xor__"),
    "__rxor__": _rbinop(uf.bitwise_xor, "__rxor__"),
    "__lshift__": _binop(uf.left_shift, "__lshift__"),
    "__rlshift__": _rbinop(uf.left_shift, "__rlshift__"),
    "__rshift__": _binop(uf.right_shift, "__rshift__"),
    "__rrshift__": _rbinop(uf.right_shift, "__rrshift__"),
    "__eq__": _compare_op(uf.equal, "__eq__"),
    "__ne__": _compare_op(uf.not_equal, "__ne__"),
    "__lt__": _compare_op(uf.less, "__lt__"),
    "__le__": _compare_op(uf.less_equal, "__le__"),
    "__gt__": _compare_op(uf.greater, "__gt__"),
    "__ge__": _compare_op(uf.greater_equal, "__ge__"),
    "__neg__": uf.negative,
    "__pos__": uf.positive,
    "__abs__": uf.absolute,
    "__invert__": uf.bitwise_not,
    # in-place forms (x += y): fnx arrays are immutable, so they rebind x to a new array, as
    # in jax.numpy (the result may have another dtype, e.g. int32 += float -> float32)
    "__iadd__": _binop(uf.add, "__iadd__"),
    "__isub__": _binop(uf.subtract, "__isub__"),
    "__imul__": _binop(uf.multiply, "__imul__"),
    "__itruediv__": _binop(uf.true_divide, "__itruediv__"),
    "__ifloordiv__": _binop(uf.floor_divide, "__ifloordiv__"),
    "__imod__": _binop(uf.remainder, "__imod__"),
    "__ipow__": _binop(uf.power, "__ipow__"),
    "__imatmul__": _binop(_linalg_ops.matmul, "__imatmul__"),
    "__iand__": _binop(uf.bitwise_and, "__iand__"),
    "__ior__": _binop(uf.bitwise_or, "__ior__"),
    "__ixor__": _binop(uf.bitwise_xor, "__ixor__"),
    "__ilshift__": _binop(uf.left_shift, "__ilshift__"),
    "__irshift__": _binop(uf.right_shift, "__irshift__"),
    "__array_namespace__": _array_namespace,
    "to_device": _to_device,
    "__getitem__": _indexing.getitem,
    "T": property(lambda self: _manipulation.transpose(self)),
    "mT": property(_mT),
    "at": property(_at),
    "real": property(_complex.real),
    "imag": property(_complex.imag),
    "astype": _astype,
    "reshape": _reshape,
    "ravel": _manipulation.ravel,
    "flatten": _flatten,
    "transpose": _transpose,
    "swapaxes": _manipulation.swapaxes,
    "squeeze": _manipulation.squeeze,
    "sum": _reductions.sum,
    "prod": _reductions.prod,
    "mean": _reductions.mean,
    "var": _reductions.var,
    "std": _reductions.std,
    "max": _reductions.max,
    "min": _reductions.min,
    "argmax": _reductions.argmax,
    "argmin": _reductions.argmin,
    "all": _reductions.all,
    "any": _reductions.any,
    "ptp": _reductions.ptp,
    "cumsum": _reductions.cumsum,
    "cumprod": _reductions.cumprod,
    "clip": uf.clip,
    "round": uf.round,
    "dot": _linalg_ops.dot,
    "sort": _selection.sort,
    "argsort": _selection.argsort,
    "take": _selection.take,
    "diagonal": _selection.diagonal,
    "trace": _selection.trace,
    "nonzero": _nonzero,
    "repeat": _manipulation.repeat,
    "conj": _complex.conjugate,
    "conjugate": _complex.conjugate,
    "copy": _copy,
    "view": _view_dtype,
    "fill": _fill_like,
}


def install():
    install_array_methods(METHODS)
    _ = _creation  # creation functions are not methods
