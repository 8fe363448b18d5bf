"""What every module of the reference (numpy oracle) backend shares: how a numpy function
becomes a primitive impl, and the accumulator dtypes of the oracle's arithmetic.

reference.py (elementwise, dot_general, layout), reference_reduce.py, reference_conv.py and
reference_random.py each fill their own table through ``registrar``; reference.py merges them.
"""
from __future__ import annotations

import numpy as np

from ..core import Array, Primitive


def _as_result(value, aval, prim_name: str) -> Array:
    out = np.array(value, copy=True, order="C")  # a fresh buffer: never an input's alias
    if out.dtype != aval.dtype:
        out = out.astype(aval.dtype)
    assert out.shape == tuple(aval.shape), (
        f"reference {prim_name}: computed shape {out.shape}, abstract eval says {aval.shape}")
    return Array(out, aval.weak_type)


def _primitive_impl(prim: Primitive, fn):
    def impl(*args, **params):
        avals = [a.aval for a in args]
        out_aval = prim.abstract_eval(*avals, **params)  # validates; gives dtype/shape/weak
        with np.errstate(all="ignore"):  # wrapping ints, inf/NaN results are the semantics
            values = fn(*[a._value for a in args], **params)
            if prim.multiple_results:
                return [_as_result(v, a, prim.name) for v, a in zip(values, out_aval)]
            return _as_result(values, out_aval, prim.name)
    impl.__name__ = f"reference_{prim.name.replace('-', '_')}"
    impl.__doc__ = fn.__doc__
    return impl


def registrar(table: dict):
    """The decorator ``register(prim)`` of one oracle module: ``fn(*numpy_values, **params) ->
    numpy value (or list)`` implements ``prim``; its impl goes into ``table``."""
    def register(prim: Primitive):
        def deco(fn):
            table[prim.name] = _primitive_impl(prim, fn)
            return fn
        return deco
    return register


def _wide_int(dtype) -> np.dtype:
    """The 64-bit integer type used to compute a wrapping integer result (cast back later)."""
    return np.dtype(np.int64) if np.dtype(dtype).kind == "i" else np.dtype(np.uint64)


def _accumulator(dtype) -> np.dtype:
    """float64 for floats (float32 reductions are computed in float64), complex128 for
    complex, 64-bit for ints."""
    kind = np.dtype(dtype).kind
    if kind == "c":
        return np.dtype(np.complex128)
    return np.dtype(np.float64) if kind == "f" else _wide_int(dtype)
