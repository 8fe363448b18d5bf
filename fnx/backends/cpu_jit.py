"""The CPU side of ``fnx.jit``: generated libraries loaded and called through cffi.

``fnx.compiler`` renders a jaxpr as C and its toolchain (``compiler/toolchain.py``) compiles
that into a shared library in the disk cache; this module loads the library and calls its
entry point with the kernels' own cffi module (``cpu_ffi.ffi`` / ``cpu_ffi.lib``), so the CPU
backend stays the one place that talks to native code.  ``compile_jaxpr`` is what the backend registry
(``fnx.backends.executable_for``) calls for platform ``cpu``.
"""
from __future__ import annotations

import cffi

from ..compiler import executable as _executable
from ..compiler import toolchain
from ..compiler.codegen_c import KERNEL_TABLE
from ..core import Array, Jaxpr
from ..errors import FnxError
from .cpu_ffi import _contig_ptr, _contiguous, _empty, ffi, lib

# The two symbols every generated library exports, as seen from an ABI-mode loader (the
# library is not known when the kernels' API-mode module is built).
_loader = cffi.FFI()
_loader.cdef("int fnx_entry(int, char **, char **, void **, int);\n"
             "extern double fnx_prof[4096];")    # only with FNX_JIT_PROFILE=1
_kernel_table = None


def compile_jaxpr(jaxpr: Jaxpr, donated: tuple) -> _executable.Executable:
    """The executable of ``jaxpr`` running generated C on the CPU."""
    return _executable.Executable(jaxpr, donated, load=load_library)


def load_library(units: list[str]) -> tuple["NativeModule", bool]:
    """Compile the C translation units (or find them in the disk cache) and load the library;
    also says whether it came from the cache."""
    path, cached = toolchain.shared_library(units)
    return NativeModule(path), cached


def _kernels_for_generated_code():
    """The table of kernel entry points every generated library receives (codegen_c's order)."""
    global _kernel_table
    if _kernel_table is None:
        _kernel_table = ffi.new("void *[]", [ffi.cast("void *", ffi.addressof(lib, n))
                                             for n in KERNEL_TABLE])
    return _kernel_table


class NativeModule:
    """A loaded generated library.  ``run(segment, inputs, outputs)`` calls its entry point on
    C-contiguous Arrays (inputs) and numpy buffers (outputs, which it returns wrapped)."""

    def __init__(self, path: str):
        self._library = _loader.dlopen(path)      # kept: the library stays loaded while used
        address = int(_loader.cast("uintptr_t", self._library.fnx_entry))
        self._entry = ffi.cast("fnx_entry_fn", address)
        self._table = _kernels_for_generated_code()

    def run(self, segment: int, inputs, out_avals, provided=None) -> list:
        ins = ffi.new("char *[]", len(inputs) or 1)
        for k, x in enumerate(inputs):
            p = x._ptr if x._ptr else _contig_ptr(x)
            if p is False:                     # a strided view: pass a contiguous copy
                p = ffi.from_buffer(_contiguous(x._value))
                ins[k] = p
                inputs[k] = p                  # keep the copy alive for the call
            else:
                ins[k] = p
        outs_np = [_empty(a.shape, a.dtype) for a in out_avals] if provided is None else \
            [_empty(a.shape, a.dtype) if b is None else b for a, b in zip(out_avals, provided)]
        outs = ffi.new("char *[]", len(outs_np) or 1)
        ptrs = []
        for k, v in enumerate(outs_np):
            p = ffi.from_buffer(v)
            outs[k] = p
            ptrs.append(p)
        rc = lib.fnx_call_entry(self._entry, segment, ins, outs, self._table, 0)
        if rc != 0:
            raise FnxError(f"jit: generated code failed with status {rc}"
                           + (" (out of memory)" if rc == lib.FNX_ERR_ALLOC else ""))
        results = []
        for v, p, a in zip(outs_np, ptrs, out_avals):
            r = Array(v, a.weak_type)
            r._ptr = p
            results.append(r)
        return results

    def profile_seconds(self, n: int) -> list[float]:
        """The first ``n`` per-step timers of a library built with FNX_JIT_PROFILE=1."""
        return [self._library.fnx_prof[i] for i in range(n)]
