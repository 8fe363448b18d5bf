"""CUDA devices and transfers between host and device memory (used by fnx.placement and the
device array types of device_arrays.py); the lowest of the CUDA backend's modules."""
from __future__ import annotations

import cupy as cp
import numpy as np


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
