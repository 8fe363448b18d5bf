"""The textual form of a jaxpr, in JAX's style (``str(jaxpr)``, ``make_jaxpr``'s output).

It reads the IR of ``fnx/core.py`` by its attributes (a Jaxpr has ``in_binders`` / ``eqns`` /
``outs``, a Literal a ``val``, a closed jaxpr ``jaxpr`` and ``consts``) and imports nothing from
fnx, so core can import it without a cycle.
"""
from __future__ import annotations

import itertools

import numpy as np


def _is_jaxpr(value) -> bool:
    return hasattr(value, "eqns") and hasattr(value, "in_binders")


def _var_names():
    letters = "abcdefghijklmnopqrstuvwxyz"
    for size in itertools.count(1):
        for combo in itertools.product(letters, repeat=size):
            yield "".join(combo)


class JaxprPrinter:
    """Renders a jaxpr in JAX's textual style::

        { lambda a:f32[3]; b:f32[3]. let
            c:f32[3] = add a b
            d:f32[] = reduce_sum[axes=(0,)] c
          in (d,) }
    """

    def __init__(self):
        self.names: dict[int, str] = {}
        self._fresh = _var_names()

    def name(self, v) -> str:
        if hasattr(v, "val"):         # a Literal (a Var has only its aval)
            return repr(v)
        key = id(v)
        if key not in self.names:
            self.names[key] = next(self._fresh)
        return self.names[key]

    def binder(self, v) -> str:
        return f"{self.name(v)}:{v.aval.str_short()}"

    def param(self, value, indent: int) -> str:
        if _is_jaxpr(value):
            return "\n" + self.jaxpr(value, indent=indent + 4)
        if _is_jaxpr(getattr(value, "jaxpr", None)) and hasattr(value, "consts"):  # closed
            return "\n" + self.jaxpr(value.jaxpr, indent=indent + 4, num_consts=len(value.consts))
        if isinstance(value, np.dtype):
            return value.name
        if isinstance(value, tuple) and value and all(_is_jaxpr(v) for v in value):
            return "(" + ",".join("\n" + self.jaxpr(v, indent=indent + 4) for v in value) + ")"
        return repr(value)

    def eqn(self, e, indent: int) -> str:
        outs = " ".join(self.binder(v) for v in e.out_binders) or "_"
        params = ""
        if e.params:
            params = "[" + " ".join(f"{k}={self.param(v, indent)}"
                                    for k, v in e.params.items()) + "]"
        ins = " ".join(self.name(x) for x in e.inputs)
        line = f"{' ' * indent}{outs} = {e.primitive.name}{params} {ins}".rstrip()
        scope = getattr(e, "scope", "")
        return f"{line}  # {scope}" if scope else line

    def jaxpr(self, jaxpr, indent: int = 0, num_consts: int = 0) -> str:
        consts = [self.binder(v) for v in jaxpr.in_binders[:num_consts]]
        args = [self.binder(v) for v in jaxpr.in_binders[num_consts:]]
        head = f"{' ' * indent}{{ lambda {' '.join(consts)}; {' '.join(args)}. let"
        body = [self.eqn(e, indent + 4) for e in jaxpr.eqns]
        outs = ", ".join(self.name(v) for v in jaxpr.outs)
        if len(jaxpr.outs) == 1:
            outs += ","
        tail = f"{' ' * (indent + 2)}in ({outs}) }}"
        return "\n".join([head, *body, tail])
