"""The executable of a jitted jaxpr: optimize, schedule, plan memory, generate C, run it.

``Executable(jaxpr, donated, load)`` is the compiler's entry point for the CPU, made by the
backend registry the first time a jaxpr runs (``fnx.backends.executable_for``): ``load(units)``
is the backend's function that compiles and loads the rendered C (``backends/cpu_jit.py``);
without one (the reference backend) the optimized jaxpr is interpreted.

The steps of the schedule are grouped into *segments*: maximal runs of natively lowered steps,
each one C entry point.  A program whose every primitive has a native lowering (the usual
case) is a single segment, i.e. one native call per jitted call; a primitive without one (e.g.
a multi-key sort) runs through the backend between two segments.
"""
from __future__ import annotations

import logging
import os
import time

import numpy as np

from ..core import Array, Jaxpr, Literal, Var
from . import codegen_c, loops, memory
from .passes import lower_for_codegen, optimize
from .schedule import Loop, PyStep, schedule

log = logging.getLogger("fnx.jit")


class _Segment:
    def __init__(self, index):
        self.index = index
        self.steps: list = []          # (step, StepWriter)
        self.inputs: list[Var] = []
        self.outputs: list[Var] = []
        self.donations: dict[int, int] = {}   # output index -> donated jaxpr input index


class Executable:
    """Runs a jaxpr compiled; ``as_text()`` is the optimized jaxpr, ``as_c()`` the C code,
    ``peak_bytes`` the planned peak of live buffer bytes during a call."""

    def __init__(self, jaxpr: Jaxpr, donated: tuple, load=None):
        t0 = time.perf_counter()
        self.source_jaxpr = jaxpr
        self.donated = donated
        self.jaxpr = optimize(jaxpr)
        self.native = load is not None
        self._load = load
        self.c_source = ""
        self.peak_bytes = None
        self.from_disk_cache = False
        self._single = None
        if self.native:
            self._build()
        self.compile_seconds = time.perf_counter() - t0

    # -- building ------------------------------------------------------------------------------

    def _build(self):
        self.sched = sched = schedule(lower_for_codegen(self.jaxpr))
        program = []        # segments and PySteps, in order
        seg = None
        n = 0
        for step in sched.steps:
            if isinstance(step, PyStep):
                program.append(step)
                seg = None
                continue
            if seg is None:
                seg = _Segment(sum(isinstance(p, _Segment) for p in program))
                program.append(seg)
            seg.steps.append((step, loops.write_any_step(f"k{n}", sched, step)))
            n += 1
        self.program = program
        segments = [p for p in program if isinstance(p, _Segment)]
        self._assign_buffers(segments)
        if segments:
            units = self._render(segments)
            self.c_source = "\n".join(units)
            self._profile_names = list(_profile_names)
            self.module, self.from_disk_cache = self._load(units)
        self._prepare_single_segment()

    def _assign_buffers(self, segments):
        """Decide which buffers each segment receives, returns, and keeps in its workspace."""
        jaxpr = self.jaxpr
        needed_after: dict[int, int] = {}      # id(var) -> last program position reading it
        for pos, item in enumerate(self.program):
            for v in _reads(item):
                needed_after[id(v)] = pos
        end = len(self.program)
        for x in jaxpr.outs:
            if isinstance(x, Var):
                needed_after[id(x)] = end
        inputs = {id(v) for v in jaxpr.in_binders}
        last_read, forever = self._last_reads()   # forever: inputs and the outputs
        for x in jaxpr.outs:
            if isinstance(x, Var):
                last_read[id(x)] = forever
        self.events = []    # (first, last, bytes) for the peak-memory estimate
        step_no = 0
        for v in jaxpr.in_binders:
            self.events.append((0, forever, memory.nbytes(v.aval)))
        for pos, item in enumerate(self.program):
            if not isinstance(item, _Segment):
                for v in item.eqn.out_binders:
                    self.events.append((step_no, last_read.get(id(v), step_no),
                                        memory.nbytes(v.aval)))
                step_no += 1
                continue
            defined, first, last, seen_in = [], {}, {}, set()
            for k, (step, writer) in enumerate(item.steps):
                for p, v, written in writer.params:
                    if written and id(v) not in first:
                        first[id(v)] = k
                        defined.append(v)
                    elif not written and id(v) not in first and id(v) not in seen_in:
                        seen_in.add(id(v))
                        item.inputs.append(v)
                    last[id(v)] = k
            temps = []
            for v in defined:
                if needed_after.get(id(v), -1) > pos or id(v) in inputs:
                    item.outputs.append(v)
                    self.events.append((step_no + first[id(v)],
                                        last_read.get(id(v), step_no + first[id(v)]),
                                        memory.nbytes(v.aval)))
                else:
                    temps.append(v)
                    self.events.append((step_no + first[id(v)], step_no + last[id(v)],
                                        memory.nbytes(v.aval)))
            item.offsets, item.arena = memory.plan_arena(temps, first, last)
            for k, (step, writer) in enumerate(item.steps):   # a loop's own workspace
                ws = getattr(writer, "workspace_bytes", 0)
                if ws:
                    self.events.append((step_no + k, step_no + k, ws))
            step_no += len(item.steps)
        self.peak_bytes = memory.peak_live_bytes(self.events)
        self._plan_donation(segments)

    def _last_reads(self):
        """The last step (numbered across the whole program) reading each value, and the
        number of steps."""
        last_read, g = {}, 0
        for item in self.program:
            for reads in _reads_per_step(item):
                for v in reads:
                    last_read[id(v)] = g
                g += 1
        return last_read, g

    def _plan_donation(self, segments):
        """Let an output be written into a donated input's buffer when that is safe: the
        output is written by a flat loop (each element read and written at the same index),
        and nothing reads the input after that loop."""
        donated = [v for v, d in zip(self.jaxpr.in_binders, self.donated) if d]
        outs = {id(x) for x in self.jaxpr.outs if isinstance(x, Var)}
        candidates = [v for v in donated if id(v) not in outs]
        if not candidates:
            return
        last_read, _ = self._last_reads()
        g = 0
        for item in self.program:
            if not isinstance(item, _Segment):
                g += 1
                continue
            for step, w in item.steps:
                out = step.out if isinstance(step, Loop) else None
                if (out is not None and w.flat and step.src is step.out
                        and out in item.outputs):
                    for u in candidates:
                        if (u.aval.shape == out.aval.shape and u.aval.dtype == out.aval.dtype
                                and last_read.get(id(u), -1) <= g):
                            item.donations[item.outputs.index(out)] = \
                                self.jaxpr.in_binders.index(u)
                            w.restrict = False
                            candidates.remove(u)
                            break
                g += 1

    def _render(self, segments) -> str:
        _profile_names.clear()
        writers, same_as = _distinct_steps([w for seg in segments for _, w in seg.steps])
        entries = [_render_entry(seg, same_as) for seg in segments]
        dispatch = ["int fnx_entry(int segment, char **in, char **out, void **fns, int nt) {",
                    "  switch (segment) {"]
        dispatch += [f"    case {s.index}: return fnx_seg{s.index}(in, out, fns, nt);"
                     for s in segments]
        dispatch += ["  }", "  return -1;", "}"]
        header = '#include "fnx_scalar.h"' + (_PROFILE_HEADER if PROFILE else "")
        return codegen_c.render_module(writers, entries + ["\n".join(dispatch)], header,
                                       _unit_count(len(writers)))

    # -- running -------------------------------------------------------------------------------

    def __call__(self, args) -> list:
        if not self.native:
            return _interpret(self.jaxpr, args)
        if self._single is not None:
            return self._run_single(args)
        env = {}
        for v, a in zip(self.jaxpr.in_binders, args):
            env[id(v)] = a
        for item in self.program:
            if isinstance(item, PyStep):
                e = item.eqn
                outs = e.primitive.impl(*[_read(env, x) for x in e.inputs], **e.params)
                for v, o in zip(e.out_binders, outs if e.primitive.multiple_results else [outs]):
                    env[id(v)] = o
                continue
            ins = [env[id(v)] for v in item.inputs]
            provided, donors = (self._donated_buffers(item, args) if item.donations
                                else (None, ()))
            outs = self.module.run(item.index, ins, [v.aval for v in item.outputs], provided)
            for x in donors:
                _invalidate(x)
            for v, o in zip(item.outputs, outs):
                env[id(v)] = o
        return [_read(env, x) for x in self.jaxpr.outs]

    def _prepare_single_segment(self):
        """The common case, one native segment and nothing else: precompute where each of its
        inputs comes from and where each jaxpr output comes from, so a call is a few list
        operations around one native call."""
        self._single = None
        if len(self.program) != 1 or not isinstance(self.program[0], _Segment):
            return
        seg = self.program[0]
        position = {id(v): i for i, v in enumerate(self.jaxpr.in_binders)}
        produced = {id(v): k for k, v in enumerate(seg.outputs)}
        if any(id(v) not in position for v in seg.inputs):
            return
        outs = []
        for x in self.jaxpr.outs:
            if isinstance(x, Literal):
                outs.append((2, x.val))
            elif id(x) in produced:
                outs.append((0, produced[id(x)]))
            else:
                outs.append((1, position[id(x)]))
        self._single = (seg, [position[id(v)] for v in seg.inputs],
                        [v.aval for v in seg.outputs], outs)

    def _run_single(self, args) -> list:
        seg, in_pos, out_avals, outs = self._single
        provided, donors = (self._donated_buffers(seg, args) if seg.donations else (None, ()))
        results = self.module.run(seg.index, [args[i] for i in in_pos], out_avals, provided)
        for x in donors:
            _invalidate(x)
        return [results[k] if kind == 0 else (args[k] if kind == 1 else k)
                for kind, k in outs]

    def _donated_buffers(self, seg, args):
        """For outputs planned to reuse a donated input: that input's buffer, when it can be
        written in place; and the donors (invalidated after the call: their Arrays may not be
        used again)."""
        provided, donors = [None] * len(seg.outputs), []
        for k, i in seg.donations.items():
            buf = _donatable_buffer(args[i])
            if buf is not None:
                provided[k] = buf
                donors.append(args[i])
        return provided, donors

    def as_text(self) -> str:
        return str(self.jaxpr)

    def as_c(self) -> str:
        return self.c_source


# FNX_JIT_PROFILE=1: generated entry points time each step; fnx.compiler.executable.
# profile_report() lists the totals (a tool for working on the compiler, off by default).
PROFILE = os.environ.get("FNX_JIT_PROFILE") == "1"
_PROFILE_HEADER = """
#include <time.h>
double fnx_prof[4096];
static double fnx_now(void) {
  struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec;
}
"""
_profile_names: list = []


def _profile_slot(name: str) -> int:
    _profile_names.append(name)
    return len(_profile_names) - 1


def profile_report(executable: "Executable", top: int = 15) -> str:
    """Seconds spent in each step of ``executable`` since it was loaded (FNX_JIT_PROFILE=1)."""
    names = executable._profile_names
    seconds = executable.module.profile_seconds(len(names))
    rows = sorted(zip(seconds, names), reverse=True)[:top]
    return "\n".join(f"{n:>8s} {t * 1e3:10.3f} ms" for t, n in rows)


# Step calls per C function of an entry point: a segment of thousands of steps becomes a chain
# of functions of this many calls each (gcc's time on one function grows faster than its size).
CALLS_PER_FUNCTION = 64


# Step functions per translation unit: a long program compiles as several units (in parallel,
# as many at a time as there are cores), so the memory of each gcc process stays bounded.
STEPS_PER_UNIT = 400


def _unit_count(n_steps: int) -> int:
    """Big programs compile as at least two units in parallel (gcc time grows with the code)."""
    if PROFILE:
        return 1
    parts = -(-n_steps // STEPS_PER_UNIT)
    if n_steps >= 12 and (os.cpu_count() or 1) > 1:
        parts = max(parts, 2)
    return max(parts, 1)


def _distinct_steps(writers) -> tuple[list, dict]:
    """The step functions to emit, one per distinct C text, and the name of the emitted
    function that each other step calls instead of its own (an unrolled loop repeats the same
    steps on other buffers thousands of times: gcc compiles each of them once)."""
    first_of: dict = {}
    distinct, same_as = [], {}
    for w in writers:
        name = w.name
        w.name = "fnx_step"          # the text without the name
        text = w.render()
        w.name = name
        first = first_of.setdefault(text, w)
        if first is w:
            distinct.append(w)
        else:
            same_as[name] = first.name
    return distinct, same_as


def _render_entry(seg: _Segment, same_as: dict) -> str:
    where = {}
    for k, v in enumerate(seg.inputs):
        where[id(v)] = f"in[{k}]"
    for k, v in enumerate(seg.outputs):
        where[id(v)] = f"out[{k}]"
    for vid, off in seg.offsets.items():
        where[vid] = f"(ws + {off})"
    calls = [_render_call(w, where, same_as.get(w.name, w.name)) for _, w in seg.steps]
    name = f"fnx_seg{seg.index}"
    parts = []
    if len(calls) > CALLS_PER_FUNCTION:
        parts, calls = _call_chunks(name, calls)
    lines = parts + [f"static int {name}(char **in, char **out, void **fns, int nt) {{",
                     "  char *ws = 0;"]
    if seg.arena:
        lines += [f"  ws = {codegen_c.kernel('fnx_buffer_alloc')}({seg.arena});", "  if (!ws) return -3;"]
    lines.append("  int rc = 0;")
    lines += calls
    if seg.arena:
        lines.append(f"  {codegen_c.kernel('fnx_buffer_free')}(ws);")
    lines += ["  return rc;", "}"]
    return "\n".join(lines)


def _call_chunks(name: str, calls: list) -> tuple[list, list]:
    """The step calls as functions of CALLS_PER_FUNCTION calls each (kept out of line: gcc
    would inline a static function called once), and the calls of those functions."""
    parts, chunk_calls = [], []
    for k in range(0, len(calls), CALLS_PER_FUNCTION):
        part = f"{name}_part{len(parts)}"
        parts.append("\n".join(
            [f"__attribute__((noinline)) static int {part}(char **in, char **out, char *ws, "
             "void **fns, int nt) {", "  int rc = 0;"]
            + calls[k:k + CALLS_PER_FUNCTION] + ["  return rc;", "}"]))
        chunk_calls.append(f"  if (!rc) rc = {part}(in, out, ws, fns, nt);")
    return parts, chunk_calls


def _render_call(w, where: dict, function: str) -> str:
    """The line of an entry point that runs step ``w`` (if no earlier step failed) by calling
    ``function`` (w's own or one with the same text)."""
    args = []
    for p, v, written in w.params:
        t = codegen_c.C_TYPE[v.aval.dtype]
        args.append(f"({'' if written else 'const '}{t} *){where[id(v)]}")
    args += ["fns", "nt"]
    call = f"{function}({', '.join(args)})"
    if PROFILE:
        return (f"  {{ double t0 = fnx_now(); if (!rc) rc = {call}; "
                f"fnx_prof[{_profile_slot(w.name)}] += fnx_now() - t0; }}")
    return f"  if (!rc) rc = {call};"


class _DonatedBuffer:
    """Stands in for the buffer of an Array donated to a jitted call: any use is an error."""

    def _gone(self, *args, **kwargs):
        from ..errors import FnxError
        raise FnxError("this Array was donated to a jitted function (donate_argnums) and its "
                       "buffer now holds that function's output; it can no longer be used")

    def __getattr__(self, name):
        self._gone()

    __array__ = __len__ = __getitem__ = __iter__ = __bool__ = __float__ = __int__ = _gone
    __format__ = __index__ = _gone

    def __repr__(self):
        return "<donated>"

    __str__ = __repr__


def _donatable_buffer(x):
    """The writable, contiguous, exclusively owned numpy buffer of ``x``, or None."""
    v = getattr(x, "_value", None)
    if type(x) is not Array or not isinstance(v, np.ndarray):
        return None
    if not (v.flags.c_contiguous and v.flags.writeable and v.flags.owndata):
        return None
    return v


def _invalidate(x):
    x._value = _DonatedBuffer()
    x._ptr = None


def _reads_per_step(item):
    if isinstance(item, PyStep):
        return [[x for x in item.eqn.inputs if isinstance(x, Var)]]
    return [[v for _, v, written in w.params if not written] for _, w in item.steps]


def _reads(item):
    if isinstance(item, PyStep):
        return [x for x in item.eqn.inputs if isinstance(x, Var)]
    return [v for _, w in item.steps for _, v, written in w.params if not written]


def _read(env, x):
    if isinstance(x, Literal):
        return x.val
    return env[id(x)]


def _interpret(jaxpr: Jaxpr, args) -> list:
    """Run ``jaxpr`` on the backend, one primitive implementation at a time (the reference
    backend has no code generator)."""
    env = {}
    for v, a in zip(jaxpr.in_binders, args):
        env[id(v)] = a
    for e in jaxpr.eqns:
        outs = e.primitive.impl(*[_read(env, x) for x in e.inputs], **e.params)
        if not e.primitive.multiple_results:
            outs = [outs]
        for v, o in zip(e.out_binders, outs):
            env[id(v)] = o
    return [_read(env, x) for x in jaxpr.outs]
