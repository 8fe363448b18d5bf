"""The steps a schedule is made of (fnx.compiler.schedule builds them, rows.fuse_rows groups
them, the code generators render them).  A module of its own so that the scheduler and the
row fusion it runs both read these classes without importing each other.

* ``Loop(out, src, perm)``: a fused loop nest writing ``out``.
* ``Reduce(out, eqn)``: a reduction with its input expression fused into the loop (prologue).
* ``Call(eqn, ...)``: a hand-written kernel (kernels/cpu) on packed operands.
* ``Nested(eqn)``: a scan / while_loop / cond whose bodies are compiled too (loops.py).
* ``PyStep(eqn)``: a primitive without native lowering, run by the backend between native
  segments (the executable splits around it).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core import Var


@dataclass
class Loop:
    out: Var                  # the buffer written
    src: Var                  # the value computed per element
    perm: tuple | None = None  # out index k is src index perm[k] (a transposing pack)


@dataclass
class Reduce:
    out: Var
    eqn: object


@dataclass
class Call:
    eqn: object
    operands: list            # packed operand buffers (Vars), in the kernel's order
    outputs: list | None = None   # the buffers written, when not the eqn's own out_binders
    # matmul: operands packed transposed, (batch, k, m) / (batch, n, k) (schedule._matmul_call)
    trans: tuple = (False, False)


@dataclass
class PyStep:
    eqn: object


@dataclass
class Nested:
    """A scan / while_loop / cond whose bodies are compiled too (fnx.compiler.loops)."""
    eqn: object


@dataclass
class Schedule:
    steps: list = field(default_factory=list)
    materialized: set = field(default_factory=set)    # ids of Vars that own buffers
    producers: dict = field(default_factory=dict)     # id(Var) -> eqn
