"""Every flag of fnx and every FNX_* environment variable, in one place.

Read a flag with ``fnx.config.<name>`` (or ``config.read(name)``); change it with
``fnx.config.update(name, value)``.  Environment variables give the initial values.
"""
from __future__ import annotations

import contextlib
import os


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() not in ("", "0", "false", "no", "off")


def _env_int(name: str, default: int | None) -> int | None:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    return int(raw)


class _Config:
    """Holds the flags.  Attribute access reads them; ``update`` validates and writes them."""

    _defaults = {
        # A primitive with no C kernel on the CPU backend raises MissingKernelError instead of
        # quietly running the numpy reference implementation.
        "strict": _env_bool("FNX_STRICT", False),
        # Threads used by the C kernels (None: OpenMP's default, usually one per core).
        "num_threads": _env_int("FNX_NUM_THREADS", None),
        # Where jit keeps the shared libraries it compiles: <cache_dir>/jit (compiler/toolchain.py).
        "cache_dir": os.environ.get("FNX_CACHE_DIR")
        or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "fnx"),
        # Log every jit compilation with the reason for the cache miss.
        "log_compiles": _env_bool("FNX_LOG_COMPILES", False),
        # Raise FloatingPointError naming the primitive whose result has a NaN (debug_nans) /
        # an infinity (debug_infs): every eager primitive's outputs are checked, and a jitted
        # function with such an output is re-run op by op to find the one that made it.
        "debug_nans": _env_bool("FNX_DEBUG_NANS", False),
        "debug_infs": _env_bool("FNX_DEBUG_INFS", False),
        # The backend that runs primitives on host arrays: "cpu" (the C kernels) or "reference"
        # (numpy, the tests' oracle).  GPU arrays always run on "cuda" (fnx.placement).
        "default_backend": os.environ.get("FNX_BACKEND", "cpu"),
    }

    def __init__(self):
        object.__setattr__(self, "_values", dict(self._defaults))
        object.__setattr__(self, "_listeners", {})

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"fnx.config has no flag {name!r}; flags: {sorted(self._values)}") from None

    def __setattr__(self, name, value):
        raise AttributeError("use fnx.config.update(name, value) to change a flag")

    def read(self, name):
        return getattr(self, name)

    def update(self, name, value):
        """Set flag ``name`` to ``value`` (e.g. ``fnx.config.update("strict", True)``)."""
        if name not in self._values:
            raise AttributeError(f"fnx.config has no flag {name!r}; flags: {sorted(self._values)}")
        self._values[name] = value
        for listener in self._listeners.get(name, ()):
            listener(value)

    def context(self, name):
        """A context manager factory setting flag ``name`` for a block: ``fnx.debug_nans`` is
        ``config.context("debug_nans")``, used as ``with fnx.debug_nans(True): ...`` (as
        jax.debug_nans); the previous value comes back at the end."""
        if name not in self._values:
            raise AttributeError(f"fnx.config has no flag {name!r}; flags: {sorted(self._values)}")

        @contextlib.contextmanager
        def block(value=True):
            previous = self._values[name]
            self.update(name, value)
            try:
                yield
            finally:
                self.update(name, previous)
        block.__name__ = name
        block.__doc__ = f"Set fnx.config.{name} for the block (default True)."
        return block

    def on_change(self, name, listener):
        """Call ``listener(value)`` whenever flag ``name`` changes (backends use it for threads)."""
        self._listeners.setdefault(name, []).append(listener)


config = _Config()
