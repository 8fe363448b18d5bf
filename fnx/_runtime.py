"""jax's runtime-information functions for fnx's single-process world: device and process
counts, the default backend, ``effects_barrier``, ``typeof``, ``print_environment_info``.

fnx runs one process; arrays are created on the CPU and go to a GPU only through
``device_put``, so the *default* backend -- the one ``device_count()`` / ``local_devices()``
describe without an argument -- is always ``"cpu"``; ask for ``backend="cuda"`` (or "gpu")
to count GPUs."""
from __future__ import annotations

import platform
import sys

import numpy as np

from ._version import __version__
from .core import get_aval, raise_to_shaped
from .placement import devices

__all__ = ["default_backend", "device_count", "effects_barrier", "host_count", "host_id",
           "host_ids", "local_device_count", "local_devices", "print_environment_info",
           "process_count", "process_index", "process_indices", "typeof"]


def default_backend() -> str:
    """The platform new arrays live on: ``"cpu"`` (see the module docstring)."""
    return "cpu"


def local_devices(process_index: int | None = None, backend: str | None = None) -> list:
    if process_index not in (None, 0):
        raise ValueError(f"local_devices: fnx runs one process; process_index {process_index} "
                         "does not exist")
    return devices(backend or default_backend())


def device_count(backend: str | None = None) -> int:
    return len(devices(backend or default_backend()))


def local_device_count(backend: str | None = None) -> int:
    return device_count(backend)


def process_index(backend: str | None = None) -> int:
    return 0


def process_count(backend: str | None = None) -> int:
    return 1


def process_indices(backend: str | None = None) -> list[int]:
    return [0]


host_id, host_count, host_ids = process_index, process_count, process_indices


def effects_barrier() -> None:
    """Wait for every pending callback: fnx runs them synchronously, so there is none."""


def typeof(x):
    """The abstract value (``ShapedArray``: shape, dtype, weak type) of an array, tracer or
    scalar, as ``jax.typeof``."""
    return raise_to_shaped(get_aval(x))


def print_environment_info(return_string: bool = False):
    """The versions that matter for a bug report (fnx, numpy, cffi, cupy, Python, the OS, the
    C compiler jit uses, GPUs)."""
    from .compiler import toolchain
    lines = [f"fnx: {__version__}", f"numpy: {np.__version__}"]
    for name in ("cffi", "cupy"):
        try:
            lines.append(f"{name}: {getattr(__import__(name), '__version__', '?')}")
        except ImportError:
            lines.append(f"{name}: not installed")
    lines.append(f"python: {sys.version.split()[0]}")
    lines.append(f"platform: {platform.platform()}")
    try:
        lines.append(f"jit C compiler: {toolchain.compiler_version()}")
    except Exception as err:  # noqa: BLE001 -- informational only
        lines.append(f"jit C compiler: unavailable ({err})")
    lines.append(f"devices: {devices()}")
    text = "\n".join(lines)
    if return_string:
        return text
    print(text)
