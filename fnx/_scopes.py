"""Naming and evaluation contexts of traced code: ``fnx.named_scope`` / ``fnx.named_call`` (names
recorded on the equations a block stages, shown in printed jaxprs) and
``fnx.ensure_compile_time_eval`` (run operations on concrete values now, even while tracing)."""
from __future__ import annotations

import functools
from contextlib import contextmanager

from .core import eval_context, scope_context

__all__ = ["ensure_compile_time_eval", "named_call", "named_scope"]


def _check_name(op: str, name) -> str:
    if not isinstance(name, str) or not name:
        raise TypeError(f"{op}: the name must be a non-empty str, got {name!r}")
    return name


@contextmanager
def named_scope(name: str):
    """Equations staged inside the block (by jit, make_jaxpr, grad's backward pass) carry
    ``name``, nested scopes joined by ``/``: ``make_jaxpr`` prints it after each equation
    (``# block/dense``), transposed equations as ``transpose(block/dense)``.  As
    ``jax.named_scope``; also usable as a decorator."""
    with scope_context(_check_name("named_scope", name)):
        yield


def named_call(fun, *, name: str | None = None):
    """``fun`` whose staged equations carry ``name`` (default: ``fun.__name__``), as
    ``jax.named_call``."""
    if not callable(fun):
        raise TypeError(f"named_call: expected a function, got {type(fun).__name__}")
    scope = _check_name("named_call", name if name is not None
                        else getattr(fun, "__name__", type(fun).__name__))

    @functools.wraps(fun)
    def named(*args, **kwargs):
        with scope_context(scope):
            return fun(*args, **kwargs)
    return named


@contextmanager
def ensure_compile_time_eval():
    """Inside the block, operations whose operands are all concrete (not tracers) run now and
    give concrete arrays, even inside ``jit`` / ``make_jaxpr``, where they would otherwise be
    staged: e.g. a table computed from constants is available as a value (``int(...)``,
    Python control flow).  Operations on traced values are staged as always.  As
    ``jax.ensure_compile_time_eval``."""
    with eval_context():
        yield
