"""The array types of the device backends and the devices fnx can see.

``CudaArray`` (an ``Array`` whose ``_value`` is a ``cupy.ndarray``) and ``CommittedArray`` (a CPU
array pinned to ``cpu:0`` by ``device_put``) live here, in the backends layer, because the CUDA
backend creates them; ``fnx.placement`` builds the placement rules on top of them and re-exports
them.  No cupy import at module level: cupy is reached (through ``cuda_transfer``) only once a
GPU is asked for.
"""
from __future__ import annotations

import importlib.util

import numpy as np

from ..core import Array
from ..device import CPU, Device
from ..errors import DeviceError


class CudaArray(Array):
    """An immutable array in the memory of a CUDA device (``_value`` is a ``cupy.ndarray``).

    ``np.asarray(x)`` copies it to the host; ``fnx.device_put(x, "cpu")`` makes a CPU array."""

    __slots__ = ()

    @property
    def device(self) -> Device:
        return Device("cuda", self._value.device.id)

    def devices(self):
        return {self.device}

    def block_until_ready(self):
        self._value.device.synchronize()
        return self

    def __array__(self, dtype=None, copy=None):
        host = self._value.get()
        return host if dtype is None else host.astype(dtype, copy=False)

    def to_numpy(self) -> np.ndarray:
        return self._value.get()

    def __repr__(self):
        text = Array(self._value.get(), self.weak_type).__repr__()
        return f"{text[:-1]}, device={self.device})"

    def __str__(self):
        return str(self._value.get())

    def tolist(self):
        return self._value.get().tolist()

    def __reduce__(self):
        return (_rebuild_cuda_array, (self._value.get(), self.weak_type, self._value.device.id))


class CommittedArray(Array):
    """A CPU array committed to ``cpu:0`` by ``device_put``: it never moves implicitly."""

    __slots__ = ()


def _rebuild_cuda_array(value, weak_type, device_id):
    """Unpickle a ``CudaArray``: the host copy goes back to GPU ``device_id``."""
    from .cuda_transfer import to_device
    return CudaArray(to_device(value, device_id), weak_type)


# ---------------------------------------------------------------------------------------------
# Devices
# ---------------------------------------------------------------------------------------------

_cuda_count: list = []


def _cuda_device_count() -> int:
    """How many GPUs CuPy sees (0 without cupy or without a driver)."""
    if not _cuda_count:
        n = 0
        if importlib.util.find_spec("cupy") is not None:
            try:
                from .cuda_transfer import device_count
                n = device_count()
            except Exception:  # noqa: BLE001 - no driver / no device: simply no GPUs
                n = 0
        _cuda_count.append(n)
    return _cuda_count[0]


def devices(backend: str | None = None) -> list[Device]:
    """The devices fnx can place arrays on: ``cpu:0``, then ``cuda:0``, ``cuda:1``, ... when
    CuPy sees GPUs.  ``backend`` ("cpu" or "cuda") keeps only that platform's devices.

    >>> fnx.devices("cpu")
    [cpu:0]
    """
    found = [CPU] + [Device("cuda", i) for i in range(_cuda_device_count())]
    if backend is None:
        return found
    if backend not in ("cpu", "cuda", "gpu"):
        raise DeviceError(f"devices: unknown backend {backend!r}; known: 'cpu', 'cuda'")
    platform = "cuda" if backend == "gpu" else backend
    return [d for d in found if d.platform == platform]
