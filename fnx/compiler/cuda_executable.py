"""The executable of a jitted jaxpr whose arguments live on a CUDA device.

The same compiler as the CPU's up to the schedule: ``optimize`` (passes.py), ``schedule``
(fusion decisions, epilogues, row groups), then a *program*: a host-side list of

* ``CudaKernel`` launches: the fused Loop / Reduce / RowGroup steps rendered as CUDA by
  ``codegen_cuda`` (one module per program, compiled by NVRTC through CuPy);
* ``_HostCall``: a library step (dot_general, conv, scatter, sort-free library kernels...) run
  by the CUDA backend's hand-written kernels (``fnx.backends.cuda`` impls) on the operands the
  schedule packed for it -- the packed layout is expressed by adjusting the parameters (a
  matmul operand packed as batch, free, contracting axes -- or transposed, ``Call.trans`` --
  gets those dimension numbers);
* ``_Fallback``: a primitive without a native lowering (a PyStep, e.g. sort) and every nested
  scan / while_loop / cond: run through ``bind`` on the device, i.e. interpreted one CUDA
  kernel per primitive of its body (the CPU compiles loop bodies natively; the GPU does not
  yet).

Memory: a value written by a generated kernel and read only by generated kernels lives in one
arena allocated per call, at offsets planned by ``memory.plan_arena`` (the CPU's planner).
Outputs, and values that a host call or fallback reads, get buffers of their own (a library
impl may keep a view of its operand, which must not be recycled under it).

Not (yet) on the GPU: ``donate_argnums`` (outputs never reuse a donated input's buffer; the
call is still correct) and native loop bodies (above).

Nothing here imports cupy: planning and ``as_cuda()`` work without a GPU; running is given the
device runtime, ``fnx.backends.cuda_jit`` (which the backend registry binds for ``jit_p``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from ..core import Jaxpr, Literal, Var
from ..lax.linalg import dot_general_p
from ..lax.reduction import argmax_p, argmin_p, sort_p
from . import codegen_cuda, compile_lock, memory
from .codegen_cuda import CudaKernel
from .epilogue import dot_general_epilogue_p
from .rows import RowGroup
from .passes import lower_for_codegen, optimize
from .schedule import Call, Loop, Nested, PyStep, Reduce, schedule


@dataclass
class _HostCall:
    eqn: object
    operands: list          # Vars (packed buffers), in the impl's operand order
    params: dict            # the eqn's params adjusted to the packed layouts
    outputs: list | None = None   # the Vars written, when not the eqn's own out_binders


@dataclass
class _Fallback:
    eqn: object


def _reads(item) -> list:
    if isinstance(item, CudaKernel):
        return [v for _, v, written in item.params if not written]
    if isinstance(item, _HostCall):
        return list(item.operands)
    return [x for x in item.eqn.inputs if isinstance(x, Var)]


def _matmul_params(params: dict, step: Call) -> dict:
    """dot_general on operands packed as lhs (batch, free, contracting) and rhs (batch,
    contracting, free), or transposed -- lhs (batch, contracting, free), rhs (batch, free,
    contracting) -- where ``step.trans`` says so."""
    (lc, _), (lb, _) = params["dimension_numbers"]
    nb, nc = len(lb), len(lc)
    nd_l, nd_r = step.operands[0].aval.ndim, step.operands[1].aval.ndim
    ta, tb = step.trans
    batch = tuple(range(nb))
    lhs_c = tuple(range(nb, nb + nc)) if ta else tuple(range(nd_l - nc, nd_l))
    rhs_c = tuple(range(nd_r - nc, nd_r)) if tb else tuple(range(nb, nb + nc))
    params["dimension_numbers"] = ((lhs_c, rhs_c), (batch, batch))
    return params


def _arg_reduction_params(params: dict, step: Call) -> dict:
    """argmax / argmin on an operand packed as kept axes, then the reduced ones."""
    nd = step.operands[0].aval.ndim
    params["axes"] = tuple(range(nd - len(params["axes"]), nd))
    return params


def _sort_params(params: dict, step: Call) -> dict:
    """sort on operands packed with the sorted dimension last (results into step.outputs
    when those differ)."""
    params["dimension"] = step.operands[0].aval.ndim - 1
    return params


# The library primitives whose params change with the schedule's packing of their operands.
_PACKED_PARAMS = {dot_general_p: _matmul_params, dot_general_epilogue_p: _matmul_params,
                  argmax_p: _arg_reduction_params, argmin_p: _arg_reduction_params,
                  sort_p: _sort_params}


def _host_call(step: Call) -> _HostCall:
    """The CUDA impl's call for a library step, on the operands as packed by the schedule."""
    eqn = step.eqn
    params = dict(eqn.params)
    adjust = _PACKED_PARAMS.get(eqn.primitive)
    if adjust is not None:
        params = adjust(params, step)
    return _HostCall(eqn, list(step.operands), params, step.outputs)


class CudaExecutable:
    """Runs a jaxpr on the GPU compiled; ``as_cuda()`` is the generated CUDA source,
    ``as_text()`` the optimized jaxpr, ``peak_bytes`` the planned arena size."""

    def __init__(self, jaxpr: Jaxpr):
        t0 = time.perf_counter()
        self.source_jaxpr = jaxpr
        self.jaxpr = optimize(jaxpr)
        self.sched = sched = schedule(lower_for_codegen(self.jaxpr))
        program, kernels = [], []
        fused = []
        for step in sched.steps:
            if isinstance(step, RowGroup) and not codegen_cuda.row_fusion_pays(step):
                fused += step.steps
            else:
                fused.append(step)
        for step in fused:
            if isinstance(step, (Loop, Reduce, RowGroup)):
                ks = codegen_cuda.write_step(f"fnx_k{len(kernels)}", sched, step)
                kernels += ks
                program += ks
            elif isinstance(step, Call):
                program.append(_host_call(step))
            elif isinstance(step, (PyStep, Nested)):
                program.append(_Fallback(step.eqn))
            else:
                raise AssertionError(step)
        self.program = program
        self.kernels = kernels
        self.source = codegen_cuda.render_source(kernels)
        self._plan_memory()
        self._functions: dict = {}      # device id -> {kernel name: compiled function}
        self.compile_seconds = time.perf_counter() - t0

    # -- planning ------------------------------------------------------------------------------

    def _plan_memory(self):
        outs = {id(x) for x in self.jaxpr.outs if isinstance(x, Var)}
        first, last, written = {}, {}, []
        escapes = set(outs)     # values that need a buffer of their own
        for k, item in enumerate(self.program):
            for v in _reads(item):
                last[id(v)] = k
                if not isinstance(item, CudaKernel):
                    escapes.add(id(v))
            if isinstance(item, CudaKernel):
                for _, v, w in item.params:
                    if w and id(v) not in first:
                        first[id(v)] = k
                        written.append(v)
        temps = [v for v in written if id(v) not in escapes and memory.nbytes(v.aval) > 0]
        self.offsets, self.arena_bytes = memory.plan_arena(temps, first, last)
        self.peak_bytes = self.arena_bytes

    # -- running -------------------------------------------------------------------------------

    def __call__(self, args, rt) -> list:
        """Run on the current device.  ``rt``: the device runtime (``fnx.backends.cuda_jit``;
        the tests substitute a serial CPU emulation of the generated kernels)."""
        functions = self._functions.get(rt.current_device())
        if functions is None:       # compiled once per device (and cached on disk by CuPy)
            mod = rt.module(codegen_cuda.self_contained(self.source)) if self.kernels else None
            functions = self._functions[rt.current_device()] = {
                k.name: rt.function(mod, k.name) for k in self.kernels}
        env = {}
        for v, a in zip(self.jaxpr.in_binders, args):
            env[id(v)] = rt.contiguous(rt.device_value(a))
        arena = rt.empty((self.arena_bytes,), "uint8") if self.arena_bytes else None
        for item in self.program:
            if isinstance(item, CudaKernel):
                ptrs = []
                for _, v, written in item.params:
                    buf = env.get(id(v))
                    if buf is None:
                        off = self.offsets.get(id(v))
                        buf = (rt.view(arena, off, v.aval) if off is not None
                               else rt.empty(v.aval.shape, v.aval.dtype))
                        env[id(v)] = buf
                    ptrs.append(buf)
                rt.launch(functions[item.name], item.grid, item.block, ptrs)
            elif isinstance(item, _HostCall):
                self._run_impl(rt, env, item.eqn, [rt.wrap(_get(rt, env, v))
                                                   for v in item.operands], item.params,
                               item.outputs)
            else:
                e = item.eqn
                ins = [x.val if isinstance(x, Literal) else rt.wrap(_get(rt, env, x))
                       for x in e.inputs]
                outs = e.primitive.bind(*ins, **e.params)
                self._store(rt, env, e, outs)
        return [self._output(rt, env, args, x) for x in self.jaxpr.outs]

    def _run_impl(self, rt, env, eqn, operands, params, outputs=None):
        outs = rt.impl(eqn.primitive)(*operands, **params)
        self._store(rt, env, eqn, outs, outputs)

    @staticmethod
    def _store(rt, env, eqn, outs, outputs=None):
        if not eqn.primitive.multiple_results:
            outs = [outs]
        for v, o in zip(outputs or eqn.out_binders, outs):
            env[id(v)] = rt.contiguous(rt.device_value(o))

    def _output(self, rt, env, args, x):
        if isinstance(x, Literal):
            return rt.wrap(rt.device_value(x.val), x.aval.weak_type)
        for v, a in zip(self.jaxpr.in_binders, args):
            if v is x:
                return a
        return rt.wrap(_get(rt, env, x), x.aval.weak_type)

    # -- inspection ----------------------------------------------------------------------------

    def as_text(self) -> str:
        return str(self.jaxpr)

    def as_cuda(self) -> str:
        return self.source


def _get(rt, env, v):
    """The buffer of ``v``; an empty array was written by no kernel (none is launched)."""
    buf = env.get(id(v))
    if buf is None:
        buf = env[id(v)] = rt.empty(v.aval.shape, v.aval.dtype)
    return buf


def cuda_executable_for(jaxpr: Jaxpr) -> CudaExecutable:
    """The CUDA executable of ``jaxpr`` (made once and kept with the jaxpr, like the CPU's)."""
    cache = jaxpr.derived
    exe = cache.get("cuda_executable")
    if exe is None:
        with compile_lock:      # one compilation per jaxpr, however many threads call it
            exe = cache.get("cuda_executable")
            if exe is None:
                exe = cache["cuda_executable"] = CudaExecutable(jaxpr)
    return exe
