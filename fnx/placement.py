"""Devices, placement and DLPack: ``fnx.devices()``, ``fnx.device_put``, ``fnx.from_dlpack``.

An ``Array`` holds a numpy array and lives on ``cpu:0``; a ``CudaArray`` (an ``Array``
subclass, defined with ``CommittedArray`` and ``devices`` in ``fnx.backends.device_arrays``)
holds a ``cupy.ndarray`` and lives on ``cuda:<id>``.  Operations run where their operands live
and their results stay there.  Placement rules (JAX's, committed vs not):

* arrays put on a device by ``device_put(x, device)`` are *committed* to it, and so are GPU
  results; an operation whose committed operands live on different devices raises
  ``DeviceError`` naming the operation and the devices -- moves are always explicit;
* every other CPU array (creation functions, Python scalars, constants a transformation makes,
  e.g. the zeros and ones of ``grad``) is *uncommitted*: it follows its GPU operands.

The CPU eager path never comes here: ``core.bind`` sends all-``Array`` operands straight to the
CPU kernels, and only an operand of another type (a GPU or a committed array) reaches
``dispatch``.  cupy is imported (through ``fnx.backends.cuda_transfer`` and ``cuda``) only when
a GPU is asked for.
"""
from __future__ import annotations

import numpy as np

from . import dtypes, tree
from .backends import impl_for
from .backends.device_arrays import CommittedArray, CudaArray, devices
from .backends.device_arrays import _rebuild_cuda_array  # noqa: F401  (older GPU pickles)
from .core import Array, Primitive, asarray_concrete, is_concrete, upper_layers
from .device import Device
from .errors import DeviceError, DTypeError

_KDL_CPU, _KDL_CUDA = 1, 2


# ---------------------------------------------------------------------------------------------
# Devices
# ---------------------------------------------------------------------------------------------


def _as_device(device) -> Device:
    if isinstance(device, Device):
        d = device
    elif isinstance(device, str):
        platform, _, index = device.partition(":")
        platform = "cuda" if platform == "gpu" else platform
        try:
            d = Device(platform, int(index or 0))
        except ValueError:
            raise DeviceError(f"device_put: cannot parse the device {device!r} "
                              "(use 'cpu', 'cuda' or 'cuda:<id>')") from None
    else:
        raise DeviceError(f"device_put: expected a Device or a device name, got "
                          f"{type(device).__name__}")
    if d not in devices():
        raise DeviceError(f"device_put: no device {d}; available: {devices()}")
    return d


# ---------------------------------------------------------------------------------------------
# device_put
# ---------------------------------------------------------------------------------------------


def _put_leaf(x, device: Device | None):
    if not is_concrete(x):
        return x  # a tracer: placement is a property of concrete values
    if not isinstance(x, Array):
        x = asarray_concrete(x)
    if device is None or device.platform == "cpu":
        host = x._value if type(x._value) is np.ndarray else x._value.get()
        return Array(host, x.weak_type) if device is None else CommittedArray(host, x.weak_type)
    from .backends.cuda_transfer import to_device
    if type(x) is CudaArray and x._value.device.id == device.id:
        return x
    return CudaArray(to_device(x._value, device.id), x.weak_type)


def device_put(x, device=None):
    """Copy every array leaf of the pytree ``x`` to ``device`` (a ``Device`` or a name such as
    ``"cpu"``, ``"cuda"``, ``"cuda:1"``); the results are committed to it.  Without a device,
    leaves come back to the host as ordinary (uncommitted) CPU arrays.

    >>> x = fnx.device_put(fnx.numpy.ones(3), fnx.devices()[-1])
    >>> x.device                                   # cuda:0 on a GPU machine
    """
    target = None if device is None else _as_device(device)
    return tree.map(lambda leaf: _put_leaf(leaf, target), x)


# ---------------------------------------------------------------------------------------------
# Dispatch of operations with GPU or committed operands
# ---------------------------------------------------------------------------------------------


def _mixed_error(prim: Primitive, args) -> DeviceError:
    found = []
    for a in args:
        if isinstance(a, (CudaArray, CommittedArray)):
            d = str(a.device)
            if d not in found:
                found.append(d)
    return DeviceError(f"{prim.name}: operands are committed to different devices "
                       f"({', '.join(found)}); move them to one device explicitly with "
                       "fnx.device_put(x, device)")


def dispatch(prim: Primitive, args, params):
    """Run ``prim`` where its committed operands live (called by the eval trace when an operand
    is not a plain CPU ``Array``)."""
    dev = None
    committed_cpu = False
    for a in args:
        t = type(a)
        if t is CudaArray:
            d = a._value.device.id
            if dev is None:
                dev = d
            elif d != dev:
                raise _mixed_error(prim, args)
        elif t is CommittedArray:
            committed_cpu = True
    if dev is None:
        return prim.impl(*args, **params)
    if committed_cpu:
        raise _mixed_error(prim, args)
    from .backends.cuda_transfer import on_device, to_device
    moved = [a if type(a) is CudaArray else CudaArray(to_device(a._value, dev), a.weak_type)
             for a in args]
    with on_device(dev):
        return impl_for("cuda", prim)(*moved, **params)


def convert_on_device(x: Array, dtype) -> Array:
    """``x`` converted to ``dtype`` on the device it lives on (asarray of a GPU array)."""
    from .lax.elementwise import convert_element_type
    return convert_element_type(x, dtypes.canonicalize(dtype, "asarray"))


upper_layers.install(dispatch=dispatch, convert_on_device=convert_on_device)


# ---------------------------------------------------------------------------------------------
# DLPack
# ---------------------------------------------------------------------------------------------


def from_dlpack(x) -> Array:
    """An fnx array sharing the memory of ``x``, any object with ``__dlpack__`` (numpy, torch,
    cupy arrays): a CPU array for host memory, a GPU array for CUDA memory.  Zero-copy, like
    ``jax.dlpack.from_dlpack``: the producer must not write to the buffer afterwards.

    >>> fnx.from_dlpack(np.arange(3.0))
    Array([0., 1., 2.], dtype=float64)
    """
    if not hasattr(x, "__dlpack_device__"):
        raise DTypeError(f"from_dlpack: {type(x).__name__} does not implement the DLPack "
                         "protocol (__dlpack__ / __dlpack_device__)")
    kind, device_id = x.__dlpack_device__()
    if kind == _KDL_CPU:
        value = np.from_dlpack(x)
    elif kind == _KDL_CUDA:
        from .backends.cuda_transfer import from_dlpack as cuda_from_dlpack
        value = cuda_from_dlpack(x)
    else:
        raise DeviceError(f"from_dlpack: unsupported DLPack device type {int(kind)} "
                          "(fnx supports CPU and CUDA memory)")
    try:
        dtypes.canonicalize(value.dtype, "from_dlpack")
    except Exception:
        raise DTypeError(f"from_dlpack: dtype {value.dtype} is not supported by fnx") from None
    if dtypes.canonicalize(value.dtype, "from_dlpack") != value.dtype:
        raise DTypeError(f"from_dlpack: dtype {value.dtype} is not supported by fnx")
    return Array(value) if kind == _KDL_CPU else CudaArray(value)
