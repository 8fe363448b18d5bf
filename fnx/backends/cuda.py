"""The CUDA backend: every primitive runs a hand-written kernel of kernels/cuda through CuPy.

This module, cuda_ops.py and cuda_jit.py (jit's device side) are the only ones that import cupy
(fnx imports them only when a GPU array exists, so fnx works without cupy).  The ``.cu`` files
are compiled once per process and device by NVRTC (``cupy.RawModule``; CuPy also caches the
binaries on disk) and launched as raw kernels with launch configurations computed here.  CuPy owns the memory (``Array._value`` is a
``cupy.ndarray``) and computes *views* for layout-only primitives (transpose, broadcast, slice,
rev, squeeze, expand_dims); every primitive that computes values launches our own kernel.

Kernels validate nothing: each impl runs the primitive's abstract-eval rule first (which raises
fnx's clear shape / dtype errors), then launches.
"""
from __future__ import annotations

import math

import cupy as cp
import numpy as np

from .._cuda_source import read_source
from ..core import missing_kernel
from ..lax import elementwise as ew
from ..lax import shape as sh
from ..lax.shape import clamp_start_indices
from ..placement import CudaArray
from ._layout import pad_indices

IMPLS: dict = {}

_SFX = {np.dtype(np.bool_): "b", np.dtype(np.int8): "i8", np.dtype(np.uint8): "u8",
        np.dtype(np.int32): "i32", np.dtype(np.int64): "i64", np.dtype(np.uint32): "u32",
        np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}
_BOOL = np.dtype(np.bool_)
_I64 = np.dtype(np.int64)
_BLOCK = 256
_MAX_GRID = 1 << 20   # kernels loop grid-stride, so a capped grid still covers every element

# ---------------------------------------------------------------------------------------------
# Compiling and launching
# ---------------------------------------------------------------------------------------------


_modules: dict = {}
_functions: dict = {}


def _fn(file: str, name: str):
    """The kernel ``name`` of kernels/cuda/<file>.cu on the current device."""
    dev = cp.cuda.Device().id
    key = (dev, name)
    f = _functions.get(key)
    if f is None:
        mod = _modules.get((dev, file))
        if mod is None:
            mod = _modules[(dev, file)] = cp.RawModule(code=read_source(file + ".cu"),
                                                       options=("-std=c++17",))
        try:
            f = _functions[key] = mod.get_function(name)
        except Exception as e:  # noqa: BLE001 - cupy raises driver errors for unknown names
            raise missing_kernel(name, "cuda", f"no kernel {name} in {file}.cu: {e}") from None
    return f


def _launch(kern, n: int, args, block: int = _BLOCK) -> None:
    if n <= 0:
        return
    grid = min((n + block - 1) // block, _MAX_GRID)
    kern((grid,), (block,), args)


def _sfx(dtype) -> str:
    return _SFX[np.dtype(dtype)]


_geoms: dict = {}


def _geom(out, *ins):
    """(nd, g) for the strided kernels: nd == 0 when every operand is C-contiguous with the
    output's shape (the kernels then index linearly), else the device array of shape + element
    strides of each input and of the output (see kernels/cuda/fnx_cuda.cuh)."""
    views = ins + (out,)
    if all(v.flags.c_contiguous and v.shape == out.shape for v in views):
        return np.int32(0), _geom_array((0,))
    key = (out.shape,) + tuple(tuple(s // v.itemsize for s in v.strides) for v in views)
    flat = list(out.shape)
    for strides in key[1:]:
        flat.extend(strides)
    return np.int32(out.ndim), _geom_array(tuple(flat))


def _geom_array(values: tuple):
    """A cached device copy of an int64 tuple (geometry never changes once made)."""
    key = (cp.cuda.Device().id, values)
    g = _geoms.get(key)
    if g is None:
        if len(_geoms) > 4096:
            _geoms.clear()
        g = _geoms[key] = cp.asarray(np.array(values or (0,), dtype=np.int64))
    return g


def _wrap(v, weak: bool = False) -> CudaArray:
    return CudaArray(v, weak)


def _i64(x) -> np.int64:
    return np.int64(x)


# ---------------------------------------------------------------------------------------------
# Devices and transfers (used by fnx.placement)
# ---------------------------------------------------------------------------------------------


def device_count() -> int:
    return cp.cuda.runtime.getDeviceCount()


def on_device(device_id: int):
    """A context in which launches and allocations go to GPU ``device_id``."""
    return cp.cuda.Device(device_id)


def to_device(value, device_id: int):
    """A copy of a numpy or cupy array on GPU ``device_id``.  A copy between two GPUs goes
    through the host (simple and always available; peer copies are an optimisation)."""
    if isinstance(value, cp.ndarray):
        if value.device.id == device_id:
            return value
        value = value.get()
    if not value.flags.c_contiguous:  # (np.ascontiguousarray would also make 0-d arrays 1-d)
        value = np.ascontiguousarray(value)
    with cp.cuda.Device(device_id):
        return cp.asarray(value)


def from_dlpack(x):
    """A cupy array sharing the CUDA memory of the DLPack producer ``x`` (cupy, torch, ...)."""
    return cp.from_dlpack(x)


# ---------------------------------------------------------------------------------------------
# Copies
# ---------------------------------------------------------------------------------------------


def _copy_into(dst, src) -> None:
    """dst[...] = src (same shape and dtype, any strides; dst may be a strided view)."""
    if dst.size == 0:
        return
    nd, g = _geom(dst, src)
    _launch(_fn("elementwise", f"fnx_copy_{src.itemsize}"), dst.size,
            (nd, _i64(dst.size), g, src, dst))


def _contiguous(v):
    if v.flags.c_contiguous:
        return v
    out = cp.empty(v.shape, v.dtype)
    _copy_into(out, v)
    return out


def _contiguous_copy(v):
    out = cp.empty(v.shape, v.dtype)
    _copy_into(out, v)
    return out


# ---------------------------------------------------------------------------------------------
# Elementwise
# ---------------------------------------------------------------------------------------------


def _run_unary(kname: str, v, out_dtype, param: int = 0):
    out = cp.empty(v.shape, out_dtype)
    nd, g = _geom(out, v)
    _launch(_fn("elementwise", kname), out.size, (nd, _i64(out.size), g, v, out, _i64(param)))
    return out


def _unary_impl(prim):
    def impl(x):
        aval = prim.abstract_eval(x)
        v = x._value
        return _wrap(_run_unary(f"fnx_unary_{prim.name}_{_sfx(v.dtype)}", v, aval.dtype),
                     aval.weak_type)
    return impl


for _name, _prim in ew.UNARY_PRIMITIVES.items():
    if _name not in ("round", "integer_pow"):
        IMPLS[_name] = _unary_impl(_prim)


def _round_impl(x, *, rounding_method):
    aval = ew.round_p.abstract_eval(x, rounding_method=rounding_method)
    op = "round_even" if rounding_method == 1 else "round_away"
    return _wrap(_run_unary(f"fnx_unary_{op}_{_sfx(x.dtype)}", x._value, aval.dtype),
                 aval.weak_type)


def _integer_pow_impl(x, *, y):
    aval = ew.integer_pow_p.abstract_eval(x, y=y)
    return _wrap(_run_unary(f"fnx_unary_integer_pow_{_sfx(x.dtype)}", x._value, aval.dtype,
                            ew.kernel_exponent(y, x.dtype)), aval.weak_type)


IMPLS["round"] = _round_impl
IMPLS["integer_pow"] = _integer_pow_impl


def _binary(op: str, xv, yv, shape, out_dtype):
    xv, yv = cp.broadcast_to(xv, shape), cp.broadcast_to(yv, shape)
    out = cp.empty(shape, out_dtype)
    nd, g = _geom(out, xv, yv)
    _launch(_fn("elementwise", f"fnx_binary_{op}_{_sfx(xv.dtype)}"), out.size,
            (nd, _i64(out.size), g, xv, yv, out))
    return out


def _binary_impl(prim):
    def impl(x, y):
        aval = prim.abstract_eval(x, y)
        return _wrap(_binary(prim.name, x._value, y._value, aval.shape, aval.dtype),
                     aval.weak_type)
    return impl


for _name, _prim in ew.BINARY_PRIMITIVES.items():
    IMPLS[_name] = _binary_impl(_prim)


def _select_bool(pred, on_false, on_true):
    shape = on_true.shape
    pred, on_false = cp.broadcast_to(pred, shape), cp.broadcast_to(on_false, shape)
    out = cp.empty(shape, on_true.dtype)
    nd, g = _geom(out, pred, on_false, on_true)
    _launch(_fn("elementwise", f"fnx_select_{out.itemsize}"), out.size,
            (nd, _i64(out.size), g, pred, on_false, on_true, out))
    return out


def _select_n_impl(which, *cases):
    aval = ew.select_n_p.abstract_eval(which, *cases)
    vals = [c._value for c in cases]
    if len(vals) == 1:
        return _wrap(_contiguous_copy(vals[0]), aval.weak_type)
    w = which._value
    if w.dtype == _BOOL:
        return _wrap(_select_bool(w, vals[0], vals[1]), aval.weak_type)
    # int32 `which`: out-of-range values are clamped (case 0 below, the last case above)
    result = vals[0]
    for k in range(1, len(vals)):
        ge = _binary("ge", w, cp.asarray(np.array(k, dtype=w.dtype)), result.shape, _BOOL)
        result = _select_bool(ge, result, vals[k])
    return _wrap(result, aval.weak_type)


def _clamp_impl(lo, x, hi):
    aval = ew.clamp_p.abstract_eval(lo, x, hi)
    xv = x._value
    lv, hv = cp.broadcast_to(lo._value, xv.shape), cp.broadcast_to(hi._value, xv.shape)
    out = cp.empty(xv.shape, xv.dtype)
    nd, g = _geom(out, lv, xv, hv)
    _launch(_fn("elementwise", f"fnx_clamp_{_sfx(xv.dtype)}"), out.size,
            (nd, _i64(out.size), g, lv, xv, hv, out))
    return _wrap(out, aval.weak_type)


def _convert(v, new_dtype):
    out = cp.empty(v.shape, new_dtype)
    nd, g = _geom(out, v)
    _launch(_fn("elementwise", f"fnx_convert_{_sfx(v.dtype)}_{_sfx(new_dtype)}"), out.size,
            (nd, _i64(out.size), g, v, out, _i64(0)))
    return out


def _convert_element_type_impl(x, *, new_dtype, weak_type):
    ew.convert_element_type_p.abstract_eval(x, new_dtype=new_dtype, weak_type=weak_type)
    return _wrap(_convert(x._value, new_dtype), weak_type)


IMPLS.update({"select_n": _select_n_impl, "clamp": _clamp_impl,
              "convert_element_type": _convert_element_type_impl,
              "stop_gradient": lambda x: x})

# ---------------------------------------------------------------------------------------------
# Shape primitives: CuPy views where possible, our copy kernel otherwise
# ---------------------------------------------------------------------------------------------


def _broadcast_in_dim_impl(x, *, shape, broadcast_dimensions):
    sh.broadcast_in_dim_p.abstract_eval(x, shape=shape, broadcast_dimensions=broadcast_dimensions)
    expanded = [1] * len(shape)
    for d, od in zip(x.shape, broadcast_dimensions):
        expanded[od] = d
    return _wrap(cp.broadcast_to(_contiguous(x._value).reshape(expanded), shape), x.weak_type)


def _reshape_impl(x, *, new_sizes):
    sh.reshape_p.abstract_eval(x, new_sizes=new_sizes)
    return _wrap(_contiguous(x._value).reshape(new_sizes), x.weak_type)


def _transpose_impl(x, *, permutation):
    sh.transpose_p.abstract_eval(x, permutation=permutation)
    return _wrap(x._value.transpose(permutation), x.weak_type)


def _squeeze_impl(x, *, dimensions):
    sh.squeeze_p.abstract_eval(x, dimensions=dimensions)
    return _wrap(cp.squeeze(x._value, axis=tuple(dimensions)) if dimensions else x._value,
                 x.weak_type)


def _expand_dims_impl(x, *, dimensions):
    aval = sh.expand_dims_p.abstract_eval(x, dimensions=dimensions)
    v = x._value
    for d in sorted(dimensions):
        v = cp.expand_dims(v, d)
    assert v.shape == tuple(aval.shape)
    return _wrap(v, x.weak_type)


def _rev_impl(x, *, dimensions):
    index = tuple(slice(None, None, -1) if i in dimensions else slice(None)
                  for i in range(x.ndim))
    return _wrap(x._value[index + (Ellipsis,)], x.weak_type)


def _slice_impl(x, *, start_indices, limit_indices, strides):
    sh.slice_p.abstract_eval(x, start_indices=start_indices, limit_indices=limit_indices,
                             strides=strides)
    index = tuple(slice(a, b, s) for a, b, s in zip(start_indices, limit_indices, strides))
    return _wrap(x._value[index + (Ellipsis,)], x.weak_type)


def _start_values(starts) -> list[int]:
    return [int(s._value) for s in starts]


def _dynamic_slice_impl(x, *starts, slice_sizes):
    sh.dynamic_slice_p.abstract_eval(x, *starts, slice_sizes=slice_sizes)
    begin = clamp_start_indices(_start_values(starts), x.shape, slice_sizes)
    index = tuple(slice(b, b + n) for b, n in zip(begin, slice_sizes))
    return _wrap(x._value[index + (Ellipsis,)], x.weak_type)


def _dynamic_update_slice_impl(x, update, *starts):
    aval = sh.dynamic_update_slice_p.abstract_eval(x, update, *starts)
    out = _contiguous_copy(x._value)
    begin = clamp_start_indices(_start_values(starts), x.shape, update.shape)
    index = tuple(slice(b, b + n) for b, n in zip(begin, update.shape))
    _copy_into(out[index + (Ellipsis,)], update._value)
    return _wrap(out, aval.weak_type)


def _concatenate_impl(*xs, dimension):
    aval = sh.concatenate_p.abstract_eval(*xs, dimension=dimension)
    out = cp.empty(aval.shape, aval.dtype)
    offset = 0
    lead = (slice(None),) * dimension
    for x in xs:
        n = x.shape[dimension]
        _copy_into(out[lead + (slice(offset, offset + n),)], x._value)
        offset += n
    return _wrap(out, aval.weak_type)


def _pad_impl(x, padding_value, *, padding_config):
    aval = sh.pad_p.abstract_eval(x, padding_value, padding_config=padding_config)
    out = cp.empty(aval.shape, aval.dtype)
    _copy_into(out, cp.broadcast_to(padding_value._value, out.shape))
    src_index, dst_index = pad_indices(x.shape, padding_config, aval.shape)
    src = x._value[src_index]
    if src.size:
        _copy_into(out[dst_index], src)
    return _wrap(out, aval.weak_type)


def _iota_impl(*, dtype, shape, dimension):
    sh.iota_p.abstract_eval(dtype=dtype, shape=shape, dimension=dimension)
    out = cp.empty(shape, dtype)
    inner = math.prod(shape[dimension + 1:])
    _launch(_fn("elementwise", f"fnx_iota_{_sfx(dtype)}"), out.size,
            (_i64(out.size), _i64(shape[dimension]), _i64(inner), out))
    return _wrap(out)


IMPLS.update({
    "broadcast_in_dim": _broadcast_in_dim_impl, "reshape": _reshape_impl,
    "transpose": _transpose_impl, "squeeze": _squeeze_impl, "expand_dims": _expand_dims_impl,
    "rev": _rev_impl, "slice": _slice_impl, "dynamic_slice": _dynamic_slice_impl,
    "dynamic_update_slice": _dynamic_update_slice_impl, "concatenate": _concatenate_impl,
    "pad": _pad_impl, "iota": _iota_impl,
})

del _name, _prim

# reductions, scans, sort, dot_general, gather/scatter, conv: their own module (registers here)
from . import cuda_ops  # noqa: E402,F401
