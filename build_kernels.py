"""Build the fnx CPU kernels (cffi, API mode) into ``fnx/_fnx_kernels*.so``.

Usage (from anywhere):
    python build_kernels.py               # compile and place fnx/_fnx_kernels.<abi>.so
    python build_kernels.py --check-cuda  # nvcc-compile kernels/cuda/*.cu (no CPU build)

setuptools imports ``ffibuilder`` from this module (``cffi_modules=["build_kernels.py:ffibuilder"]``),
so every path handed to cffi is relative to the repository root, which is where setuptools runs.

Both routes also copy the headers that the jit's generated C includes (kernels/common/*.h,
the scalar semantics; kernels/cpu/fnx_kernels.h, the kernels' ABI, and vmath.h) into
``fnx/_include/``, and the CUDA sources (kernels/cuda/*.cu, *.cuh and kernels/common/*.h,
compiled at run time through NVRTC) into ``fnx/_cuda/``, so an installed fnx has them as
package data.

cffi's declarations (the cdef) are kernels/cpu/fnx_kernels.h run through the C preprocessor:
its op enums are expanded from the op lists of kernels/common/fnx_ops.h, so that one list line
per op numbers it for C and Python alike.
"""
import glob
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

import cffi

ROOT = os.path.dirname(os.path.abspath(__file__))
HEADER = os.path.join("kernels", "cpu", "fnx_kernels.h")
# kernels/common: what the C and the CUDA kernels share (the scalar semantics, the op lists)
COMMON_DIR = os.path.join("kernels", "common")
# What the jit's generated C includes besides kernels/common/*.h (fnx_kernels.h for the kernel
# calls and op codes, vmath.h under fnx_scalar.h); copied into the package so the jit finds
# them at run time.
JIT_CPU_HEADERS = ("fnx_kernels.h", "vmath.h")
INCLUDE_DIR = os.path.join("fnx", "_include")
CUDA_DIR = os.path.join("fnx", "_cuda")
# nvcc flags of the compile check: the GPUs fnx targets first (Hopper), C++17 like the NVRTC
# run-time compile in fnx/backends/cuda.py
NVCC_FLAGS = ["-arch=sm_90", "-std=c++17", "-c"]

# -std=gnu99: C99 plus lgamma_r / posix_memalign.  No -ffast-math: NaN/inf semantics must match
# numpy.  -fno-math-errno only stops libm calls from setting errno (lets sqrt/floor/rint inline
# and vectorize); -ffp-contract=off stops gcc from fusing a*b+c behind our back (gnu99 would
# allow it), so results do not depend on the compiler's whim; matmul calls fma() explicitly.
EXTRA_COMPILE_ARGS = ["-O3", "-march=native", "-mprefer-vector-width=512", "-fopenmp", "-std=gnu99",
                      "-fno-math-errno",
                      "-ffp-contract=off"]


def _cdef_source():
    """fnx_kernels.h as cffi's cdef: preprocessed (macros expanded, comments and directives
    gone) with FNX_CDEF defined, which leaves out <stdint.h> (cffi knows int64_t & co.)."""
    cc = shlex.split(os.environ.get("CC") or "cc")
    cmd = [*cc, "-E", "-P", "-x", "c", "-DFNX_CDEF", "-I", os.path.join(ROOT, COMMON_DIR),
           os.path.join(ROOT, HEADER)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise RuntimeError(f"building fnx's kernels needs a C compiler: running {cc[0]!r} "
                           f"failed ({e}); install gcc or set CC") from None
    if res.returncode != 0:
        raise RuntimeError(f"preprocessing {HEADER} failed:\n{res.stderr}")
    return res.stdout


def _sources():
    return sorted(os.path.relpath(p, ROOT).replace(os.sep, "/")
                  for p in glob.glob(os.path.join(ROOT, "kernels", "cpu", "*.c")))


def make_ffibuilder(absolute=False):
    """The cffi builder.  setuptools needs paths relative to the repository root; ffi.compile()
    runs the compiler inside its tmpdir, so the in-place build uses absolute paths instead."""
    fix = (lambda p: os.path.join(ROOT, p)) if absolute else (lambda p: p)
    ffi = cffi.FFI()
    ffi.cdef(_cdef_source())
    ffi.set_source(
        "fnx._fnx_kernels",
        '#include "fnx_kernels.h"',
        sources=[fix(p) for p in _sources()],
        include_dirs=[fix("kernels/cpu"), fix("kernels/common")],
        extra_compile_args=EXTRA_COMPILE_ARGS,
        extra_link_args=["-fopenmp"],
        libraries=["m"],
        # One file name for both build routes (pip's setuptools and `python build_kernels.py`):
        # the version-tagged one, so a rebuild replaces rather than shadows the other.
        py_limited_api=False,
    )
    return ffi


ffibuilder = make_ffibuilder()


def _copy_if_changed(src: str, dest_dir: str) -> None:
    """Copy ``src`` into ``dest_dir``.  A file whose content is unchanged is left alone (keeps
    its mtime); a changed one is replaced atomically (temp file + rename)."""
    name = os.path.basename(src)
    with open(src, "rb") as f:
        data = f.read()
    dest = os.path.join(dest_dir, name)
    if os.path.exists(dest):
        with open(dest, "rb") as f:
            if f.read() == data:
                return
    fd, tmp = tempfile.mkstemp(prefix=".tmp_" + name, dir=dest_dir)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _cuda_sources():
    return sorted(glob.glob(os.path.join(ROOT, "kernels", "cuda", "*.cu")))


def _common_headers():
    return sorted(glob.glob(os.path.join(ROOT, COMMON_DIR, "*.h")))


def jit_headers():
    """The headers the jit's generated C includes (and those they include)."""
    return _common_headers() + [os.path.join(ROOT, "kernels", "cpu", name)
                                for name in JIT_CPU_HEADERS]


def copy_headers():
    """Copy jit_headers() into fnx/_include/, and kernels/cuda/*.cu(h) with the common headers
    they include into fnx/_cuda/ (one flat directory each: fnx/_cuda_source.py finds an
    included header by its file name)."""
    dest_dir = os.path.join(ROOT, INCLUDE_DIR)
    os.makedirs(dest_dir, exist_ok=True)
    for path in jit_headers():
        _copy_if_changed(path, dest_dir)
    cuda_files = _cuda_sources() + sorted(glob.glob(os.path.join(ROOT, "kernels", "cuda", "*.cuh")))
    if cuda_files:
        cuda_dir = os.path.join(ROOT, CUDA_DIR)
        os.makedirs(cuda_dir, exist_ok=True)
        for path in cuda_files + _common_headers():
            _copy_if_changed(path, cuda_dir)


def build():
    os.chdir(ROOT)
    tmpdir = os.path.join("build", "cffi")
    so_path = make_ffibuilder(absolute=True).compile(tmpdir=tmpdir, verbose=False)
    dest_dir = os.path.join(ROOT, "fnx")
    dest = os.path.join(dest_dir, os.path.basename(so_path))
    # copy under a temporary name, then rename: a process importing fnx meanwhile sees either
    # the old or the new library, never a half-written one
    fd, tmp = tempfile.mkstemp(prefix=".tmp_fnx_kernels", suffix=".so", dir=dest_dir)
    os.close(fd)
    try:
        shutil.copyfile(so_path, tmp)
        os.chmod(tmp, 0o755)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    # An older build under another ABI tag (pip's setuptools build names it .abi3.so) would
    # shadow or be shadowed by this one depending on import order: keep exactly one.
    for other in glob.glob(os.path.join(dest_dir, "_fnx_kernels*.so")):
        if os.path.abspath(other) != os.path.abspath(dest):
            os.unlink(other)
    copy_headers()
    print(f"built {os.path.relpath(dest, ROOT)} from {len(_sources())} C files; copied "
          f"{', '.join(os.path.basename(p) for p in jit_headers())} to {INCLUDE_DIR}/")


def check_cuda():
    """nvcc-compile every kernels/cuda/*.cu on its own; non-zero if any fails (all are tried,
    so one run reports every broken file)."""
    os.chdir(ROOT)
    sources = _cuda_sources()
    if not sources:
        print("no CUDA kernels to check")
        return 0
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        print("nvcc not found; skipping CUDA compile check")
        return 0
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        for src in sources:
            rel = os.path.relpath(src, ROOT)
            out = os.path.join(tmp, os.path.basename(src) + ".o")
            res = subprocess.run([nvcc, *NVCC_FLAGS, "-o", out, src], capture_output=True,
                                 text=True)
            if res.returncode != 0:
                print(f"nvcc failed on {rel}:\n{res.stdout}{res.stderr}", file=sys.stderr)
                failed.append(rel)
            else:
                print(f"  ok  {rel}")
    if failed:
        print(f"CUDA compile check FAILED: {len(failed)} of {len(sources)} file(s): "
              f"{', '.join(failed)}", file=sys.stderr)
        return 1
    copy_headers()
    print(f"checked {len(sources)} CUDA file(s) with nvcc {' '.join(NVCC_FLAGS)}")
    return 0


# setuptools (cffi_modules) executes this file under the name "__cffi__" while it reads the
# setup() arguments, i.e. before build_py collects package data: copy the jit headers now so
# that wheels include fnx/_include/*.h.
if __name__ == "__cffi__":
    copy_headers()

if __name__ == "__main__":
    if "--check-cuda" in sys.argv[1:]:
        sys.exit(check_cuda())
    build()
