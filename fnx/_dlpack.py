"""DLPack export of host arrays (``Array.__dlpack__``): the array API's keywords, the read-only
flag for DLPack >= 1.0 consumers, and an unflagged alias for 0.x ones (numpy refuses to export
read-only memory without the flag)."""
from __future__ import annotations

import numpy as np

_KDL_CPU = 1  # DLPack's device type of host memory


def dlpack_export(array, *, stream=None, max_version=None, dl_device=None, copy=None):
    """The DLPack capsule of ``array`` (an ``fnx.core.Array``); see ``Array.__dlpack__``."""
    value, owned = array._value, False
    here = tuple(int(v) for v in value.__dlpack_device__())
    if dl_device is not None:
        want = tuple(int(v) for v in dl_device)
        if want != here:
            if want != (_KDL_CPU, 0):
                raise BufferError(f"__dlpack__: cannot export an array on {array.device} to "
                                  f"the DLPack device {want} (fnx exports to its own "
                                  f"device or to the host, {(_KDL_CPU, 0)})")
            if copy is False:
                raise BufferError(f"__dlpack__: exporting an array on {array.device} to the "
                                  "host needs a copy, but copy=False")
            value = np.asarray(array.__array__())  # a host copy the consumer owns
            if not value.flags.writeable:
                value = value.copy()
            here, copy, owned = (_KDL_CPU, 0), None, True
    if here[0] != _KDL_CPU:  # GPU memory: CuPy handles streams and versions
        kwargs = {k: v for k, v in (("stream", stream), ("max_version", max_version),
                                    ("copy", copy)) if v is not None}
        return value.__dlpack__(**kwargs)
    if stream is not None:
        raise BufferError(f"__dlpack__: stream must be None for an array in host memory "
                          f"(got stream={stream!r})")
    if max_version is None or tuple(max_version)[0] < 1:
        # DLPack 0.x: no read-only (nor is-copied) flag; numpy refuses to export a read-only
        # buffer (a broadcast view...) unflagged, so it goes out through a writable alias
        if copy:
            return np.array(value).__dlpack__()
        return (value if value.flags.writeable else _unflagged_alias(value)).__dlpack__()
    if copy:  # the consumer owns the copy: writable, flagged as copied by numpy
        return value.__dlpack__(max_version=tuple(max_version), copy=True)
    if owned:
        return value.__dlpack__(max_version=tuple(max_version))
    view = value.view()
    view.flags.writeable = False
    return view.__dlpack__(max_version=tuple(max_version))


class _Alias:
    """Holds a numpy array interface (and the array it describes, alive)."""

    def __init__(self, interface, owner):
        self.__array_interface__ = interface
        self.owner = owner


def _unflagged_alias(value: np.ndarray) -> np.ndarray:
    """A writable numpy view of ``value``'s read-only memory, for a DLPack 0.x export (which
    cannot say "read-only"; as with JAX's exports, the consumer must not write to it)."""
    interface = dict(value.__array_interface__)
    interface["data"] = (interface["data"][0], False)  # (pointer, read-only?)
    return np.asarray(_Alias(interface, value))
