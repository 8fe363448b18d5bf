"""The backend registry: which function executes each primitive.

A backend module (``cpu``, ``reference``, ``cuda``) fills a table ``{primitive name:
impl}``; ``impl(*arrays, **params)`` takes and returns ``fnx.Array``s.  ``Primitive.impl`` asks
``lookup_impl`` once and caches the answer; changing ``fnx.config`` flags ``default_backend`` or
``strict`` clears those caches.

The CPU backend runs C for every primitive.  If it has no kernel for one, the reference (numpy)
implementation runs instead with a warning -- unless ``fnx.config.strict`` (``FNX_STRICT=1``,
on in the tests) is set, which makes that an error.
"""
from __future__ import annotations

import importlib
import warnings

from ..config import config
from ..core import ALL_PRIMITIVES, Primitive, missing_kernel
from .device_arrays import devices  # noqa: F401 - fnx.backends.devices (fnx.devices is the same)

_BACKEND_MODULES = {"cpu": "fnx.backends.cpu", "reference": "fnx.backends.reference",
                    "cuda": "fnx.backends.cuda"}
_tables: dict[str, dict] = {}


def impl_table(backend: str) -> dict:
    """The ``{primitive name: impl}`` table of ``backend`` (imports the backend on first use)."""
    table = _tables.get(backend)
    if table is None:
        if backend not in _BACKEND_MODULES:
            raise ValueError(f"unknown backend {backend!r}; known: {sorted(_BACKEND_MODULES)}")
        module = importlib.import_module(_BACKEND_MODULES[backend])
        table = _tables[backend] = module.IMPLS
    return table


def get_impl(backend: str, prim: Primitive):
    """The impl of ``prim`` on ``backend``, or None."""
    return impl_table(backend).get(prim.name)


def _missing(prim: Primitive, backend: str):
    def raise_missing(*args, **params):
        raise missing_kernel(prim.name, backend, "fnx.config.strict is on")
    return raise_missing


def _with_fallback_warning(prim: Primitive, backend: str, fallback):
    warned = []

    def impl(*args, **params):
        if not warned:
            warned.append(True)
            warnings.warn(f"{prim.name}: no {backend} kernel; running the numpy reference "
                          "implementation (set FNX_STRICT=1 to make this an error)",
                          RuntimeWarning, stacklevel=3)
        return fallback(*args, **params)
    return impl


def lookup_impl(prim: Primitive):
    backend = config.default_backend
    fn = get_impl(backend, prim)
    if fn is not None:
        return fn
    if config.strict:
        return _missing(prim, backend)
    fallback = get_impl("reference", prim)
    if fallback is None:
        return _missing(prim, backend)
    return _with_fallback_warning(prim, backend, fallback)


def _reset_all(_value=None):
    for prim in ALL_PRIMITIVES:
        prim.reset_impl()


config.on_change("default_backend", _reset_all)
config.on_change("strict", _reset_all)
