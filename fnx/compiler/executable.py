"""The executable of a jitted jaxpr: optimize, plan, generate code, and run it.

``compile_jaxpr(jaxpr, donated)`` is the compiler's one entry point (called by ``jit_p``'s
implementation the first time a jaxpr runs).
"""
from __future__ import annotations

from ..core import Jaxpr, Literal


def compile_jaxpr(jaxpr: Jaxpr, donated: tuple) -> "Executable":
    return Executable(jaxpr, donated)


class Executable:
    """Runs a jaxpr compiled; ``as_text()`` shows the optimized jaxpr, ``as_c()`` the code."""

    def __init__(self, jaxpr: Jaxpr, donated: tuple):
        self.source_jaxpr = jaxpr
        self.donated = donated
        try:
            from .passes import optimize
        except ImportError:   # TEMP until passes land
            optimize = lambda j: j  # noqa: E731
        self.jaxpr = optimize(jaxpr)
        self.c_source = None
        self.peak_bytes = None

    def __call__(self, args) -> list:
        return _interpret(self.jaxpr, args)

    def as_text(self) -> str:
        return str(self.jaxpr)

    def as_c(self) -> str:
        return self.c_source or ""


def _interpret(jaxpr: Jaxpr, args) -> list:
    """Run ``jaxpr`` on the backend, one primitive implementation at a time."""
    env = {}

    def read(x):
        return x.val if isinstance(x, Literal) else env[id(x)]

    for v, a in zip(jaxpr.in_binders, args):
        env[id(v)] = a
    for e in jaxpr.eqns:
        outs = e.primitive.impl(*[read(x) for x in e.inputs], **e.params)
        if not e.primitive.multiple_results:
            outs = [outs]
        for v, o in zip(e.out_binders, outs):
            env[id(v)] = o
    return [read(x) for x in jaxpr.outs]
