"""Native lowering of structured control flow: scan, while_loop and cond run inside the
generated C (a C ``for``/``while``/``switch``), not as Python unrolling or a Python loop.

Each body (a scan's step, a while's condition and body, each cond branch) is compiled as a
*sub-program*: optimized, scheduled and rendered like a top-level program, with its own step
functions and its own workspace.  Its inputs are pointers the enclosing loop supplies each
iteration -- the loop constants, the current carry, the iteration's slice of each ``xs`` --
and its outputs are copied out at the end of the iteration (ys into their slice of the stacked
output, carries into a staging area and then into the carry buffers, so a body that permutes
its carries reads only old values).
"""
from __future__ import annotations

import math

from ..core import Jaxpr, Literal, Var
from ..lax.control_flow import cond_p, scan_p, while_p
from . import codegen_c, memory
from .cexpr import C_TYPE, c_literal
from .codegen_calls import write_call
from .passes import lower_for_codegen, optimize
from .rows import RowGroup
from .schedule import schedule
from .steps import Call, Loop, Nested, PyStep, Reduce


class NotLowerable(Exception):
    """Raised if a loop reaches the writer without being lowerable (schedule checks first)."""


# ---------------------------------------------------------------------------------------------
# Sub-programs
# ---------------------------------------------------------------------------------------------

class SubProgram:
    """A jaxpr compiled as a sequence of step functions over external input pointers.

    ``invariant`` are the inputs that stay the same in every iteration (loop constants):
    steps that read only those (and other invariant steps' results) are *hoisted* -- run once
    before the loop (``hoisted_lines``) instead of once per iteration, e.g. the transposed copy
    of a weight matrix that a scan's backward pass multiplies by at every step."""

    def __init__(self, jaxpr: Jaxpr, prefix: str, invariant=()):
        self.jaxpr = lower_for_codegen(optimize(jaxpr))
        self.sched = schedule(self.jaxpr)
        if any(isinstance(s, PyStep) for s in self.sched.steps):
            raise NotLowerable
        self.writers = [write_any_step(f"{prefix}k{n}", self.sched, s)
                        for n, s in enumerate(self.sched.steps)]
        external = {id(v) for v in self.jaxpr.in_binders}
        inv = {id(self.jaxpr.in_binders[k]) for k in invariant}
        self.hoisted = []
        for w in self.writers:
            reads = [v for _, v, written in w.params if not written]
            if reads and all(id(v) in inv for v in reads):
                self.hoisted.append(w)
                inv.update(id(v) for _, v, written in w.params if written)
        hoisted_ids = {id(w) for w in self.hoisted}
        first, last, temps = {}, {}, []
        end = len(self.writers)
        for k, w in enumerate(self.writers):
            for _, v, written in w.params:
                if id(v) in external:
                    continue
                if written and id(v) not in first:
                    first[id(v)] = -1 if id(w) in hoisted_ids else k
                    temps.append(v)
                last[id(v)] = k
        for v in temps:       # results of hoisted steps live through the whole loop
            if first[id(v)] == -1:
                last[id(v)] = end
        for x in self.jaxpr.outs:          # outputs are copied out after the last step
            if isinstance(x, Var) and id(x) in first:
                last[id(x)] = end
        self.offsets, self.arena = memory.plan_arena(temps, first, last)

    def functions(self) -> list[str]:
        return [w.render() for w in self.writers]

    def _calls(self, writers, where) -> list[str]:
        lines = []
        for w in writers:
            args = [f"({'' if written else 'const '}{C_TYPE[v.aval.dtype]} *)"
                    f"{where[id(v)]}" for _, v, written in w.params]
            lines.append(f"if (!rc) rc = {w.name}({', '.join(args + ['fns', 'nt'])});")
        return lines

    def _bind(self, inputs: dict, ws: str) -> dict:
        where = dict(inputs)
        for vid, off in self.offsets.items():
            where[vid] = f"({ws} + {off})"
        self._where = where
        return where

    def hoisted_lines(self, inputs: dict, ws: str) -> list[str]:
        """C statements for the hoisted steps (before the loop); ``inputs`` maps the ids of
        the invariant in_binders to C pointers."""
        return self._calls(self.hoisted, self._bind(inputs, ws))

    def run_lines(self, inputs: dict, ws: str) -> list[str]:
        """C statements running the per-iteration steps; ``inputs`` maps id(in_binder) -> C
        pointer."""
        hoisted = {id(w) for w in self.hoisted}
        return self._calls([w for w in self.writers if id(w) not in hoisted],
                           self._bind(inputs, ws))

    def output_source(self, k: int):
        """(C pointer expression, None) of output k, or (None, C literal) for a Literal."""
        x = self.jaxpr.outs[k]
        if isinstance(x, Literal):
            return None, c_literal(x.val._value, x.aval.dtype)
        return self._where[id(x)], None


def _nbytes(aval) -> int:
    return memory.nbytes(aval)


def _copy_out(dst: str, src, lit, aval) -> str:
    """Copy one output (a buffer, or a literal scalar broadcast) to ``dst``."""
    n = math.prod(aval.shape)
    if n == 0:
        return ""
    t = C_TYPE[aval.dtype]
    if lit is not None:
        return f"for (int64_t q = 0; q < {n}; q++) (({t} *)({dst}))[q] = {lit};"
    return f"memcpy({dst}, {src}, {_nbytes(aval)});"


# ---------------------------------------------------------------------------------------------
# The step writers of the three loop kinds
# ---------------------------------------------------------------------------------------------

class LoopWriter:
    """Quacks like codegen_c.StepWriter for the executable: ``name``, ``params``, ``flat``,
    ``restrict``, ``render()``."""

    flat = False
    restrict = True
    parallel = None

    def __init__(self, name: str, eqn):
        self.name = name
        self.eqn = eqn
        self.params: list = []
        self._param_of: dict = {}
        self.body_lines: list[str] = []
        self.subprograms: list[SubProgram] = []
        self.own_workspace = 0    # bytes of the "ws" buffer this loop allocates per call

    @property
    def workspace_bytes(self) -> int:
        """Bytes this step allocates while it runs (its workspace, plus the largest workspace
        of a loop nested in its body): for the executable's ``peak_bytes``."""
        nested = [getattr(w, "workspace_bytes", 0) for sp in self.subprograms
                  for w in sp.writers]
        return self.own_workspace + max(nested, default=0)

    def buffer(self, v, written=False) -> str:
        p = self._param_of.get(id(v))
        if p is None:
            p = self._param_of[id(v)] = f"b{len(self.params)}"
            self.params.append((p, v, written))
        return p

    def render(self) -> str:
        decls = []
        for p, v, written in self.params:
            t = C_TYPE[v.aval.dtype]
            decls.append(f"{'' if written else 'const '}{t} *restrict {p}")
        sig = f"static int {self.name}({', '.join(decls + ['void *const *fns', 'int nt'])})"
        funcs = [f for sp in self.subprograms for f in sp.functions()]
        body = "\n".join("  " + line for line in self.body_lines)
        return "\n".join(funcs) + f"\n{sig} {{\n  int rc = 0;\n{body}\n  return rc;\n}}\n"

    def signature(self) -> str:
        decls = [f"{'' if w else 'const '}{C_TYPE[v.aval.dtype]} *restrict {p}"
                 for p, v, w in self.params]
        return f"static int {self.name}({', '.join(decls + ['void *const *fns', 'int nt'])})"


def _alloc(lines, name: str, nbytes: int):
    lines.append(f"char *{name} = {nbytes} ? {codegen_c.kernel('fnx_buffer_alloc')}({nbytes}) : 0;")
    lines.append(f"if ({nbytes} && !{name}) return -3;")


def _free(lines, name: str, nbytes: int):
    if nbytes:
        lines.append(f"{codegen_c.kernel('fnx_buffer_free')}({name});")


def _carry_layout(avals, start: int = 0):
    offs, top = [], start
    for a in avals:
        offs.append(top)
        top += memory._round_up(max(_nbytes(a), 1))
    return offs, top


def write_scan(name: str, eqn) -> LoopWriter:
    p = eqn.params
    jaxpr, length, reverse = p["jaxpr"], p["length"], p["reverse"]
    nc, ncar = p["num_consts"], p["num_carry"]
    w = LoopWriter(name, eqn)
    body = SubProgram(jaxpr, f"{name}_", invariant=range(nc))
    w.subprograms.append(body)
    consts, init, xs = eqn.inputs[:nc], eqn.inputs[nc:nc + ncar], eqn.inputs[nc + ncar:]
    carry_out, ys = eqn.out_binders[:ncar], eqn.out_binders[ncar:]
    carry_avals = [v.aval for v in carry_out]
    # workspace: [body arena | carry | next carry]
    c_offs, top = _carry_layout(carry_avals, memory._round_up(body.arena))
    n_offs, top = _carry_layout(carry_avals, top)
    L = w.body_lines
    _alloc(L, "ws", top)
    w.own_workspace = top
    for k, (x, a) in enumerate(zip(init, carry_avals)):
        L.append(_copy_in(f"ws + {c_offs[k]}", w, x, a))
    inputs = {}
    b_in = body.jaxpr.in_binders
    for v, x in zip(b_in[:nc], consts):
        inputs[id(v)] = _pointer(w, x)
    for k, v in enumerate(b_in[nc:nc + ncar]):
        inputs[id(v)] = f"(ws + {c_offs[k]})"
    x_ptrs = []
    for v, x in zip(b_in[nc + ncar:], xs):
        per = math.prod(v.aval.shape)
        t = C_TYPE[v.aval.dtype]
        inputs[id(v)] = f"(({t} *){w.buffer(x)} + t * {per})"
        x_ptrs.append(v)
    L += body.hoisted_lines(inputs, "ws")
    L.append(f"for (int64_t it = 0; it < {length} && !rc; it++) {{")
    L.append(f"  const int64_t t = {'%d - 1 - it' % length if reverse else 'it'};")
    L += ["  " + s for s in body.run_lines(inputs, "ws")]
    L.append("  if (rc) break;")
    for k, y in enumerate(ys):
        a = jaxpr.outs[ncar + k].aval
        per = math.prod(a.shape)
        src, lit = body.output_source(ncar + k)
        dst = f"({C_TYPE[a.dtype]} *){w.buffer(y, written=True)} + t * {per}"
        L.append("  " + _copy_out(dst, src, lit, a))
    for k, a in enumerate(carry_avals):
        src, lit = body.output_source(k)
        L.append("  " + _copy_out(f"ws + {n_offs[k]}", src, lit, a))
    for k, a in enumerate(carry_avals):
        L.append("  " + _copy_out(f"ws + {c_offs[k]}", f"ws + {n_offs[k]}", None, a))
    L.append("}")
    for k, (v, a) in enumerate(zip(carry_out, carry_avals)):
        L.append(_copy_out(w.buffer(v, written=True), f"ws + {c_offs[k]}", None, a))
    _free(L, "ws", top)
    return w


def write_while(name: str, eqn) -> LoopWriter:
    p = eqn.params
    cj, bj = p["cond_jaxpr"], p["body_jaxpr"]
    ncc, nbc = p["cond_nconsts"], p["body_nconsts"]
    w = LoopWriter(name, eqn)
    cond = SubProgram(cj, f"{name}_c")
    body = SubProgram(bj, f"{name}_b")
    w.subprograms += [cond, body]
    cconsts, bconsts = eqn.inputs[:ncc], eqn.inputs[ncc:ncc + nbc]
    init = eqn.inputs[ncc + nbc:]
    carry_avals = [v.aval for v in eqn.out_binders]
    arena = memory._round_up(max(cond.arena, body.arena))
    c_offs, top = _carry_layout(carry_avals, arena)
    n_offs, top = _carry_layout(carry_avals, top)
    L = w.body_lines
    _alloc(L, "ws", top)
    w.own_workspace = top
    for k, (x, a) in enumerate(zip(init, carry_avals)):
        L.append(_copy_in(f"ws + {c_offs[k]}", w, x, a))
    c_in = {id(v): _pointer(w, x) for v, x in zip(cond.jaxpr.in_binders[:ncc], cconsts)}
    b_in = {id(v): _pointer(w, x) for v, x in zip(body.jaxpr.in_binders[:nbc], bconsts)}
    for k, v in enumerate(cond.jaxpr.in_binders[ncc:]):
        c_in[id(v)] = f"(ws + {c_offs[k]})"
    for k, v in enumerate(body.jaxpr.in_binders[nbc:]):
        b_in[id(v)] = f"(ws + {c_offs[k]})"
    L.append("for (;;) {")
    L += ["  " + s for s in cond.run_lines(c_in, "ws")]
    src, lit = cond.output_source(0)
    pred = lit if lit is not None else f"*(const uint8_t *){src}"
    L.append(f"  if (rc || !({pred})) break;")
    L += ["  " + s for s in body.run_lines(b_in, "ws")]
    L.append("  if (rc) break;")
    for k, a in enumerate(carry_avals):
        s_, l_ = body.output_source(k)
        L.append("  " + _copy_out(f"ws + {n_offs[k]}", s_, l_, a))
    for k, a in enumerate(carry_avals):
        L.append("  " + _copy_out(f"ws + {c_offs[k]}", f"ws + {n_offs[k]}", None, a))
    L.append("}")
    for k, (v, a) in enumerate(zip(eqn.out_binders, carry_avals)):
        L.append(_copy_out(w.buffer(v, written=True), f"ws + {c_offs[k]}", None, a))
    _free(L, "ws", top)
    return w


def write_cond(name: str, eqn) -> LoopWriter:
    index, *ops = eqn.inputs
    w = LoopWriter(name, eqn)
    branches = [SubProgram(b, f"{name}_{i}") for i, b in enumerate(eqn.params["branches"])]
    w.subprograms += branches
    arena = max(b.arena for b in branches)
    L = w.body_lines
    _alloc(L, "ws", arena)
    w.own_workspace = arena
    idx = (c_literal(index.val._value, index.aval.dtype) if isinstance(index, Literal)
           else f"(int64_t)*{w.buffer(index)}")
    n = len(branches)
    L.append(f"int64_t which = {idx};")
    L.append(f"which = which < 0 ? 0 : (which > {n - 1} ? {n - 1} : which);")
    L.append("switch (which) {")
    for i, b in enumerate(branches):
        ins = {id(v): _pointer(w, x) for v, x in zip(b.jaxpr.in_binders, ops)}
        L.append(f"case {i}: {{")
        L += ["  " + s for s in b.run_lines(ins, "ws")]
        for k, v in enumerate(eqn.out_binders):
            src, lit = b.output_source(k)
            L.append("  " + _copy_out(w.buffer(v, written=True), src, lit, v.aval))
        L.append("  break;")
        L.append("}")
    L.append("}")
    _free(L, "ws", arena)
    return w


def _pointer(w: LoopWriter, x) -> str:
    if isinstance(x, Literal):
        raise NotLowerable     # a literal operand of a loop: rare, leave it to the interpreter
    return w.buffer(x)


def _copy_in(dst: str, w: LoopWriter, x, aval) -> str:
    if isinstance(x, Literal):
        return _copy_out(dst, None, c_literal(x.val._value, aval.dtype), aval)
    return _copy_out(dst, w.buffer(x), None, aval)


_LOOP_WRITERS = {scan_p: write_scan, while_p: write_while, cond_p: write_cond}
# The C writer of each kind of step (a Nested loop is written by _LOOP_WRITERS).
_STEP_WRITERS = {Loop: codegen_c.write_loop, Reduce: codegen_c.write_reduce, Call: write_call,
                 RowGroup: codegen_c.write_row_group}


def write_any_step(name: str, sched, step):
    """The writer of one step's C function(s), named ``name``."""
    if isinstance(step, Nested):
        return _LOOP_WRITERS[step.eqn.primitive](name, step.eqn)
    w = codegen_c.StepWriter(name, sched)
    _STEP_WRITERS[type(step)](w, step)
    return w
