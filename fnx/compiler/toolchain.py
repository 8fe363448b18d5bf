"""The C toolchain of jit: generated C (rendered by fnx.compiler) compiled by gcc into shared
libraries cached on disk.  Loading and calling them is the CPU backend's
(``fnx.backends.cpu.load_library``).

The cache key is a hash of the source, the compiler command line and the compiler's version,
so a changed compiler or flag never loads a stale library.  Libraries are written atomically
(compiled to a unique temporary name in the cache directory, then ``os.replace``d into place),
so several processes compiling the same function at once each end with a complete file, and a
killed compile leaves no partial library behind.
"""
from __future__ import annotations

import atexit
import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import warnings

from ..config import config
from ..errors import FnxError

CC = os.environ.get("CC", "gcc")
# The kernels' flags (build_kernels.py): no -ffast-math, NaN/inf semantics must hold.
# Only OpenMP's simd pragmas: threads come from the kernels' team (fnx_parallel_for), which
# keeps gcc from outlining parallel regions (a large part of compile time).
CFLAGS = ("-O2", "-march=native", "-mprefer-vector-width=512", "-fopenmp-simd", "-std=gnu99",
          "-fno-math-errno", "-ffp-contract=off", "-fPIC", "-w",
          "-Werror=implicit-function-declaration")
_lock = threading.Lock()


@functools.lru_cache(maxsize=None)
def compiler_version() -> str:
    try:
        out = subprocess.run([CC, "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise FnxError(f"fnx.jit needs a C compiler: running {CC!r} failed ({e}); install gcc "
                       "or set CC") from None
    return out.stdout.splitlines()[0] if out.stdout else CC


@functools.lru_cache(maxsize=None)
def include_dir() -> str:
    """Where the headers the generated C includes are (fnx_scalar.h, fnx_kernels.h, ...): the
    copy build_kernels.py puts into the package with the kernels (the source tree has them in
    two directories, kernels/common and kernels/cpu)."""
    d = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "_include")
    if os.path.exists(os.path.join(d, "fnx_scalar.h")):
        return d
    raise FnxError("fnx.jit: fnx_scalar.h not found (rebuild with `python build_kernels.py`)")


def cache_key(sources: list[str]) -> str:
    h = hashlib.sha256()
    for part in (*sources, " ".join(CFLAGS), compiler_version(), _header_digest()):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:32]


@functools.lru_cache(maxsize=None)
def _header_digest() -> str:
    d = include_dir()
    h = hashlib.sha256()
    for name in sorted(os.listdir(d)):
        if name.endswith(".h"):
            with open(os.path.join(d, name), "rb") as f:
                h.update(f.read())
    return h.hexdigest()


# config.cache_dir values found unusable -> the temporary directory used instead (one per
# value, so the warning is given once)
_fallback_dirs: dict[str, str] = {}
_usable_dirs: set[str] = set()


def jit_cache_dir() -> str:
    """The directory of compiled libraries: ``<config.cache_dir>/jit``, created if needed.  An
    unusable one (a file, no write permission, ...) gives one warning naming it and why, and a
    temporary directory (removed at exit) is used for the rest of the process."""
    configured = config.cache_dir
    if configured in _fallback_dirs:
        return _fallback_dirs[configured]
    directory = os.path.join(configured, "jit")
    if configured in _usable_dirs:
        return directory
    with _lock:
        try:
            os.makedirs(directory, exist_ok=True)
            os.rmdir(tempfile.mkdtemp(prefix="fnx_probe_", dir=directory))  # writable?
        except OSError as e:
            fallback = tempfile.mkdtemp(prefix="fnx_cache_")
            atexit.register(shutil.rmtree, fallback, ignore_errors=True)
            _fallback_dirs[configured] = fallback
            warnings.warn(
                f"fnx.jit: the cache directory fnx.config.cache_dir (FNX_CACHE_DIR) = "
                f"{configured!r} is unusable ({e.strerror or e}: {e.filename or directory}); "
                f"compiled code goes to the temporary directory {fallback} for this process",
                RuntimeWarning, stacklevel=2)
            return fallback
        _usable_dirs.add(configured)
    return directory


def shared_library(sources: list[str]) -> tuple[str, bool]:
    """The path of a shared library built from the C translation units ``sources`` (compiled
    unless cached; several units compile in parallel), and whether it came from the cache."""
    directory = jit_cache_dir()
    path = os.path.join(directory, f"fnx_{cache_key(sources)}.so")
    if os.path.exists(path):
        return path, True
    with _lock:
        if os.path.exists(path):
            return path, True
        _compile(sources, directory, path)
    return path, False


def _compile(sources: list[str], directory: str, path: str) -> None:
    stem = tempfile.mkdtemp(prefix="fnx_build_", dir=directory)
    tmp_so = os.path.join(stem, "out.so")
    try:
        objects = []
        commands = []
        for k, src in enumerate(sources):
            c_path, o_path = os.path.join(stem, f"u{k}.c"), os.path.join(stem, f"u{k}.o")
            with open(c_path, "w") as f:
                f.write(src)
            objects.append(o_path)
            commands.append([CC, *CFLAGS, "-c", "-I", include_dir(), c_path, "-o", o_path])
        errors = _run_parallel(commands, os.cpu_count() or 1)
        if errors:
            raise FnxError("fnx.jit: the C compiler rejected the generated code (a bug in fnx; "
                           "please report it):\n" + "".join(errors)[-4000:])
        res = subprocess.run([CC, "-shared", *objects, "-o", tmp_so, "-lm"], capture_output=True,
                             text=True)
        if res.returncode != 0:
            raise FnxError(f"fnx.jit: linking the generated code failed:\n{res.stderr[-4000:]}")
        os.replace(tmp_so, path)     # atomic: readers see no file or the whole library
    finally:
        shutil.rmtree(stem, ignore_errors=True)


def _run_parallel(commands: list, jobs: int) -> list[str]:
    """Run the compiler commands, at most ``jobs`` at a time; the stderr of those that failed."""
    pending, running, errors = list(reversed(commands)), [], []
    while pending or running:
        while pending and len(running) < jobs:
            running.append(subprocess.Popen(pending.pop(), stderr=subprocess.PIPE, text=True))
        proc = running.pop(0)
        err = proc.communicate()[1]
        if proc.returncode:
            errors.append(err)
    return errors


def clear_cache() -> None:
    configured = config.cache_dir
    shutil.rmtree(_fallback_dirs.get(configured, os.path.join(configured, "jit")),
                  ignore_errors=True)
    _usable_dirs.discard(configured)  # recreated on the next compile
