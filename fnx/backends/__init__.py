"""The backend registry: how each platform runs a primitive, and a whole jaxpr.

A backend module (``cpu``, ``reference``, ``cuda``) fills a table ``{primitive name:
impl}``; ``impl(*arrays, **params)`` takes and returns ``fnx.Array``s.  ``Primitive.impl`` asks
``lookup_impl`` once and caches the answer (core reaches it through ``core.upper_layers``,
installed here); changing ``fnx.config`` flags ``default_backend`` or ``strict`` clears those
caches.  ``impl_for(platform, prim)`` answers for any platform (placement asks it for GPU
operands).

A whole jaxpr (a jitted call, ``jit_p``) runs through ``executable_for(platform, jaxpr,
donated)``: the platform's ``compile_jaxpr`` builds its executable once per jaxpr (generated
C on ``cpu``, generated CUDA on ``cuda``, the optimized jaxpr interpreted on ``reference``).
``platform_of(operands)`` says which platform a call's operands select: the one switch
between devices.

The CPU backend runs C for every primitive.  If it has no kernel for one, the reference (numpy)
implementation runs instead with a warning -- unless ``fnx.config.strict`` (``FNX_STRICT=1``,
on in the tests) is set, which makes that an error.
"""
from __future__ import annotations

import importlib
import warnings

import numpy as np

from ..compiler import compile_lock
from ..config import config
from ..core import ALL_PRIMITIVES, Jaxpr, Primitive, missing_kernel, upper_layers
from .device_arrays import CudaArray, devices  # noqa: F401 - fnx.backends.devices = fnx.devices

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


def impl_for(platform: str, prim: Primitive):
    """How ``platform`` runs ``prim``: its backend's kernel, else the primitive's own
    platform-independent impl (higher-order primitives such as ``jit_p``), else an error."""
    fn = impl_table(platform).get(prim.name)
    if fn is not None:
        return fn
    if prim._generic_impl is not None:
        return prim._generic_impl
    raise missing_kernel(prim.name, platform)


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
    fn = _lookup_kernel(prim)
    if config.debug_nans or config.debug_infs:
        return _checking_floats(prim, fn)
    return fn


def _lookup_kernel(prim: Primitive):
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


def bad_float_kind(outs) -> str | None:
    """"nan" / "inf" when a floating output has one that the debug flags ask to catch."""
    for o in outs:
        value = getattr(o, "_value", None)
        if value is None or value.dtype.kind not in "fc":
            continue
        host = value if isinstance(value, np.ndarray) else np.asarray(o)   # GPU: a copy
        if config.debug_nans and np.isnan(host).any():
            return "nan"
        if config.debug_infs and np.isinf(host).any():
            return "inf"
    return None


def _checking_floats(prim: Primitive, fn):
    """``fn`` raising FloatingPointError when an output has a NaN / inf (debug_nans / infs):
    installed only while a flag is on, so the normal path pays nothing."""
    def impl(*args, **params):
        outs = fn(*args, **params)
        kind = bad_float_kind(outs if prim.multiple_results else [outs])
        if kind is not None:
            raise FloatingPointError(f"invalid value ({kind}) encountered in {prim.name} "
                                     "(fnx.config debug_nans / debug_infs)")
        return outs
    return impl


def _reset_all(_value=None):
    for prim in ALL_PRIMITIVES:
        prim.reset_impl()


# ---------------------------------------------------------------------------------------------
# Whole jaxprs (jit)
# ---------------------------------------------------------------------------------------------

_JAXPR_COMPILERS = {"cpu": "fnx.backends.cpu_jit", "cuda": "fnx.backends.cuda_jit"}


def platform_of(operands) -> str:
    """The platform a call on ``operands`` runs on: ``cuda`` when an operand lives on a GPU
    (placement has already moved the others there), else the default CPU backend."""
    for x in operands:
        if type(x) is CudaArray:
            return "cuda"
    return config.default_backend


def executable_for(platform: str, jaxpr: Jaxpr, donated: tuple):
    """The executable of ``jaxpr`` on ``platform`` (``exe(args) -> outs``), built once per
    jaxpr and kept with it (``jaxpr.derived``)."""
    key = ("executable", platform, donated)
    exe = jaxpr.derived.get(key)
    if exe is None:
        with compile_lock:
            exe = jaxpr.derived.get(key)   # another thread may have built it while this waited
            if exe is None:
                exe = jaxpr.derived[key] = _compile(platform, jaxpr, donated)
    return exe


def _compile(platform: str, jaxpr: Jaxpr, donated: tuple):
    if platform in _JAXPR_COMPILERS:
        return importlib.import_module(_JAXPR_COMPILERS[platform]).compile_jaxpr(jaxpr, donated)
    from ..compiler.executable import Executable
    return Executable(jaxpr, donated)   # the reference backend: no code generator, interpreted


upper_layers.install(lookup_impl=lookup_impl)
config.on_change("default_backend", _reset_all)
config.on_change("strict", _reset_all)
config.on_change("debug_nans", _reset_all)
config.on_change("debug_infs", _reset_all)
