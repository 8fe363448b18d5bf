"""CPU impl of dot_general (fnx/lax/linalg.py): the operands transposed to (batch, m, k) and
(batch, k, n) and one fnx_matmul call; plain 2-d products take a shorter path.

Its table ``IMPLS`` is merged into ``fnx.backends.cpu.IMPLS``; the cffi handles and buffer
helpers come from cpu_ffi.py."""
from __future__ import annotations

from .. import dtypes
from ..lax import linalg as la
from ._layout import matmul_operands
from .cpu_ffi import _DTYPE_CODE, _check, _contiguous, _empty, _wrap, ffi, lib

IMPLS: dict = {}

_MATMUL_2D = (((1,), (0,)), ((), ()))
_MATMUL_DTYPES = frozenset((dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64))


def _matmul_2d(lhs, rhs):
    """(m, k) @ (k, n) of one dtype: the common case without the general path's transposes and
    shape bookkeeping (small products are dispatch-bound); None when it does not apply."""
    lv, rv = lhs._value, rhs._value
    if (lv.ndim != 2 or rv.ndim != 2 or lv.dtype != rv.dtype or lv.dtype not in _MATMUL_DTYPES
            or lv.shape[1] != rv.shape[0]):
        return None
    (m, k), n = lv.shape, rv.shape[1]
    out = _empty((m, n), lv.dtype)
    if out.size:
        a, b = _contiguous(lv), _contiguous(rv)
        status = lib.fnx_matmul(_DTYPE_CODE[lv.dtype], 1, m, n, k, ffi.from_buffer(a),
                                ffi.from_buffer(b), ffi.from_buffer(out))
        _check(status, "dot_general", lhs, rhs)
    return _wrap(out, lhs.weak_type and rhs.weak_type)


def _dot_general_impl(lhs, rhs, *, dimension_numbers, preferred_element_type):
    if dimension_numbers == _MATMUL_2D and preferred_element_type is None:
        out = _matmul_2d(lhs, rhs)
        if out is not None:
            return out
    aval = la.dot_general_p.abstract_eval(lhs, rhs, dimension_numbers=dimension_numbers,
                                          preferred_element_type=preferred_element_type)
    a, b, (batch, m, k, n) = matmul_operands(lhs._value, rhs._value, dimension_numbers,
                                             _contiguous)
    out = _empty((batch, m, n), aval.dtype)
    if out.size:
        status = lib.fnx_matmul(_DTYPE_CODE[aval.dtype], batch, m, n, k, ffi.from_buffer(a),
                                ffi.from_buffer(b), ffi.from_buffer(out))
        _check(status, "dot_general", lhs, rhs)
    return _wrap(out.reshape(aval.shape), aval.weak_type)


IMPLS["dot_general"] = _dot_general_impl
