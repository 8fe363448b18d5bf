"""``fnx.debug``: print and inspect values from inside transformed code (``jax.debug``).

``fnx.debug.print("x = {}", x)`` prints the runtime value of ``x`` wherever it is called --
eagerly, inside ``jit`` (every call of the compiled function prints), ``vmap`` (once per
example), ``grad`` (the primal values), ``scan`` / ``while_loop`` bodies (once per iteration) --
where a plain ``print`` would show a tracer once at trace time.  Both are
``fnx._callbacks.debug_callback`` underneath (an effectful primitive the compiler keeps)."""
from __future__ import annotations

import builtins
import logging

from ._callbacks import debug_callback as callback

__all__ = ["callback", "log", "print"]

logger = logging.getLogger("fnx.debug")


def print(fmt: str, *args, ordered: bool = False, **kwargs) -> None:  # noqa: A001
    """Print ``fmt.format(*args, **kwargs)`` with the arrays' values (numpy arrays), as
    ``jax.debug.print``."""
    if not isinstance(fmt, str):
        raise TypeError(f"debug.print: the format must be a str, got {type(fmt).__name__}")

    def format_and_print(*host_args, **host_kwargs):
        builtins.print(fmt.format(*host_args, **host_kwargs))
    callback(format_and_print, *args, ordered=ordered, **kwargs)


def log(fmt: str, *args, ordered: bool = False, **kwargs) -> None:
    """Like ``print``, but through the ``logging`` module: an INFO record of the logger
    ``"fnx.debug"`` (as ``jax.debug.log``), so handlers and levels decide where it goes."""
    if not isinstance(fmt, str):
        raise TypeError(f"debug.log: the format must be a str, got {type(fmt).__name__}")

    def format_and_log(*host_args, **host_kwargs):
        logger.info(fmt.format(*host_args, **host_kwargs))
    callback(format_and_log, *args, ordered=ordered, **kwargs)
