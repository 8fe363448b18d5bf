"""LSTM forward+backward with ``lax.scan``: fnx against JAX and PyTorch.

The workload (the LSTM row of /work/shared/PEER_BASELINES.md): one LSTM layer, sequence 32,
batch 16, input 64, hidden 128, float32, zero initial state, gates in PyTorch's order
(input, forget, cell, output); ``loss = mean(h_t ** 2)`` over every step, batch element and
unit; the value and the gradient w.r.t. the weights ``(W_ih [I, 4H], W_hh [H, 4H], b [4H])``.
Every library gets the same weights and inputs.

Rows (medians of ``--repeats`` timed calls after warm-up, the libraries taking turns in blocks
of calls, ``bench_grad.median_times``):

* ``fnx.jit(fnx.value_and_grad(loss))`` with the time loop a ``lax.scan`` (the loop body runs
  through the interpreter until scan has a native lowering);
* fnx eager: ``fnx.value_and_grad(loss)`` of the same scan, no jit;
* fnx.jit of the Python-unrolled loop (32 copies of the cell, compiled to C as one program:
  what a native loop lowering should at least match);
* ``jax.jit(jax.value_and_grad(loss))`` with ``jax.lax.scan``;
* PyTorch eager: an explicit Python loop over time, ``loss.backward()``;
* ``torch.nn.LSTM`` (the same weights: ``weight_ih_l0 = W_ih.T``, ``bias_hh_l0 = 0``).

Compile time = first call - a steady call (fnx with a fresh temporary FNX_CACHE_DIR, so the
C compiler runs).  Checks: the losses, the gradient norms and the largest difference from
fnx's gradient must agree across libraries.

Usage:  /tmp/peers/bin/python benchmarks/bench_lstm.py [--repeats 20] [--threads N]
        [--no-unrolled] [--out benchmarks/results/lstm.md]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))       # fnx from this checkout

from bench_grad import _limit_threads, _version, emit_table, median_times  # noqa: E402
from bench_jit import _first_minus_steady  # noqa: E402

T, B, I, H = 32, 16, 64, 128


def make_problem(seed: int = 0):
    """(W_ih [I, 4H], W_hh [H, 4H], b [4H]) and xs [T, B, I] as float32 numpy arrays
    (uniform(-1/sqrt(H), 1/sqrt(H)) weights, PyTorch's LSTM initialisation)."""
    rng = np.random.default_rng(seed)
    k = 1.0 / np.sqrt(H)
    w_ih = rng.uniform(-k, k, (I, 4 * H)).astype(np.float32)
    w_hh = rng.uniform(-k, k, (H, 4 * H)).astype(np.float32)
    b = rng.uniform(-k, k, (4 * H,)).astype(np.float32)
    xs = rng.standard_normal((T, B, I)).astype(np.float32)
    return (w_ih, w_hh, b), xs


# ---------------------------------------------------------------------------------------------
# fnx
# ---------------------------------------------------------------------------------------------

def _fnx_loss(unrolled: bool):
    import fnx.numpy as fnp
    from fnx import lax

    def cell(params, carry, x):
        w_ih, w_hh, b = params
        h, c = carry
        z = x @ w_ih + h @ w_hh + b
        i = lax.logistic(z[:, :H])
        f = lax.logistic(z[:, H:2 * H])
        g = fnp.tanh(z[:, 2 * H:3 * H])
        o = lax.logistic(z[:, 3 * H:])
        c = f * c + i * g
        h = o * fnp.tanh(c)
        return h, c

    def loss(params, xs):
        h0 = fnp.zeros((B, H), dtype="float32")
        if unrolled:
            carry, hs = (h0, h0), []
            for t in range(T):
                carry = cell(params, carry, xs[t])
                hs.append(carry[0])
            hs = fnp.stack(hs)
        else:
            def step(carry, x):
                carry = cell(params, carry, x)
                return carry, carry[0]
            _, hs = lax.scan(step, (h0, h0), xs)
        return fnp.mean(hs * hs)
    return loss


def fnx_results(params, xs_np, unrolled: bool):
    import fnx
    import fnx.numpy as fnp
    res = {"version": _version("fnx"), "threads": fnx.config.num_threads}
    p = tuple(fnp.asarray(a) for a in params)
    xs = fnp.asarray(xs_np)

    def timed(fn):      # fnx calls are synchronous: the result is ready on return
        return lambda: fn(p, xs)

    saved_cache = fnx.config.cache_dir
    with tempfile.TemporaryDirectory(prefix="fnx_bench_cache_") as cache:
        fnx.config.update("cache_dir", cache)
        jitted = fnx.jit(fnx.value_and_grad(_fnx_loss(False)))
        res["compile"] = {"fnx.jit (scan)": _first_minus_steady(timed(jitted))}
        res["fns"] = {"fnx.jit (scan)": timed(jitted)}
        res["out"] = {"fnx.jit (scan)": _np_out(jitted(p, xs))}
        if unrolled:
            jit_unrolled = fnx.jit(fnx.value_and_grad(_fnx_loss(True)))
            res["compile"]["fnx.jit (unrolled loop)"] = _first_minus_steady(
                timed(jit_unrolled))
            res["fns"]["fnx.jit (unrolled loop)"] = timed(jit_unrolled)
            res["out"]["fnx.jit (unrolled loop)"] = _np_out(jit_unrolled(p, xs))
        fnx.config.update("cache_dir", saved_cache)
    eager = fnx.value_and_grad(_fnx_loss(False))
    res["fns"]["fnx eager (scan)"] = timed(eager)
    res["out"]["fnx eager (scan)"] = _np_out(eager(p, xs))
    return res


def _np_out(result):
    loss, grads = result
    return float(np.asarray(loss)), [np.asarray(g) for g in grads]


# ---------------------------------------------------------------------------------------------
# JAX
# ---------------------------------------------------------------------------------------------

def jax_results(params, xs_np):
    import jax
    jax.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp

    def cell(params, carry, x):
        w_ih, w_hh, b = params
        h, c = carry
        z = x @ w_ih + h @ w_hh + b
        i = jax.nn.sigmoid(z[:, :H])
        f = jax.nn.sigmoid(z[:, H:2 * H])
        g = jnp.tanh(z[:, 2 * H:3 * H])
        o = jax.nn.sigmoid(z[:, 3 * H:])
        c = f * c + i * g
        h = o * jnp.tanh(c)
        return h, c

    def loss(params, xs):
        h0 = jnp.zeros((B, H), jnp.float32)

        def step(carry, x):
            carry = cell(params, carry, x)
            return carry, carry[0]
        _, hs = jax.lax.scan(step, (h0, h0), xs)
        return jnp.mean(hs * hs)

    p = tuple(jnp.asarray(a) for a in params)
    xs = jnp.asarray(xs_np)
    vg = jax.jit(jax.value_and_grad(loss))
    fn = lambda: jax.block_until_ready(vg(p, xs))  # noqa: E731
    res = {"version": _version("jax"), "compile": {"jax.jit (lax.scan)": _first_minus_steady(fn)},
           "fns": {"jax.jit (lax.scan)": fn}, "out": {"jax.jit (lax.scan)": _np_out(fn())}}
    return res


# ---------------------------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------------------------

def torch_results(params, xs_np):
    import torch
    w_ih, w_hh, b = (torch.from_numpy(a.copy()).requires_grad_() for a in params)
    xs = torch.from_numpy(xs_np.copy())

    def loop_step():
        for a in (w_ih, w_hh, b):
            a.grad = None
        h = c = torch.zeros(B, H)
        total = 0.0
        for t in range(T):
            z = xs[t] @ w_ih + h @ w_hh + b
            i, f, g, o = z.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            total = total + (h * h).sum()
        loss = total / (T * B * H)
        loss.backward()
        return loss.detach(), [w_ih.grad, w_hh.grad, b.grad]

    lstm = torch.nn.LSTM(I, H)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(params[0].T.copy()))
        lstm.weight_hh_l0.copy_(torch.from_numpy(params[1].T.copy()))
        lstm.bias_ih_l0.copy_(torch.from_numpy(params[2].copy()))
        lstm.bias_hh_l0.zero_()

    def module_step():
        lstm.zero_grad(set_to_none=True)
        hs, _ = lstm(xs)
        loss = (hs * hs).mean()
        loss.backward()
        # the same layout as the other libraries: [I, 4H], [H, 4H], [4H]
        return loss.detach(), [lstm.weight_ih_l0.grad.T, lstm.weight_hh_l0.grad.T,
                               lstm.bias_ih_l0.grad]

    def to_np(result):
        loss, grads = result
        return float(loss), [g.detach().numpy() for g in grads]

    return {"version": _version("torch"),
            "fns": {"torch eager (Python loop)": loop_step, "torch.nn.LSTM": module_step},
            "out": {"torch eager (Python loop)": to_np(loop_step()),
                    "torch.nn.LSTM": to_np(module_step())},
            "threads": torch.get_num_threads()}


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------

def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per library (default: each library's own default)")
    parser.add_argument("--no-unrolled", action="store_true",
                        help="skip the fnx.jit row of the Python-unrolled loop")
    parser.add_argument("--out", default=None, help="also write the table to this file")
    parser.add_argument("--append", action="store_true", help="append to --out")
    args = parser.parse_args()
    if args.threads is not None:
        _limit_threads(args.threads)

    load_before = os.getloadavg()[0]
    params, xs = make_problem()
    libs = {"fnx": fnx_results(params, xs, not args.no_unrolled)}
    for name, fn in (("jax", lambda: jax_results(params, xs)),
                     ("torch", lambda: torch_results(params, xs))):
        try:
            libs[name] = fn()
        except ImportError:
            pass
    if args.threads is not None and "torch" in libs:
        import torch
        torch.set_num_threads(args.threads)

    fns, outs, compile_s = {}, {}, {}
    for lib in libs.values():
        fns.update(lib["fns"])
        outs.update(lib["out"])
        compile_s.update(lib.get("compile", {}))
    order = ["fnx.jit (scan)", "fnx eager (scan)", "fnx.jit (unrolled loop)",
             "jax.jit (lax.scan)", "torch eager (Python loop)", "torch.nn.LSTM"]
    fns = {k: fns[k] for k in order if k in fns}
    times = median_times(fns, args.repeats)
    load_after = os.getloadavg()[0]

    ref = outs["fnx.jit (scan)"][1]
    ref_t = times["fnx.jit (scan)"]
    jax_t = times.get("jax.jit (lax.scan)")
    header = (f"{'':28s}{'median ms':>11s}{'vs fnx.jit':>12s}{'vs jax.jit':>12s}"
              f"{'compile s':>11s}{'loss':>12s}{'|grad|':>12s}{'max|g - g_fnx|':>16s}")
    rows = []
    for name in fns:
        loss, grads = outs[name]
        gnorm = float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads)))
        gdiff = max(float(np.max(np.abs(g - r))) for g, r in zip(grads, ref))
        t = times[name]
        comp = compile_s.get(name)
        rows.append(f"{name:28s}{t * 1e3:11.2f}{t / ref_t:12.2f}"
                    f"{(t / jax_t) if jax_t else float('nan'):12.2f}"
                    f"{'-' if comp is None else f'{comp:.3f}':>11s}"
                    f"{loss:12.6f}{gnorm:12.6f}{gdiff:16.2e}")
    losses = [o[0] for o in outs.values()]
    norms = [float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in o[1])))
             for o in outs.values()]
    versions = ", ".join(f"{n} {libs[n]['version']}" for n in libs)
    cmd = " ".join([os.path.relpath(sys.executable) if sys.executable.startswith("/work")
                    else sys.executable, os.path.relpath(os.path.abspath(__file__))]
                   + sys.argv[1:])
    lines = [f"{time.strftime('%Y-%m-%d %H:%M')}  {_cpu_model()}, nproc {os.cpu_count()}  "
             f"fnx.config.num_threads={libs['fnx']['threads']!r}"
             + (f", torch threads {libs['torch']['threads']}" if "torch" in libs else "")
             + f"  {versions}",
             f"command: {cmd}",
             f"load average {load_before:.1f} before, {load_after:.1f} after"
             + (f"; OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}"
                if "OMP_WAIT_POLICY" in os.environ else ""),
             f"LSTM T{T} B{B} I{I} H{H} f32, loss = mean(h_t^2) over all steps, value and grad "
             "w.r.t. (W_ih, W_hh, b)",
             f"medians of {args.repeats} timed calls after warm-up, libraries in turns of blocks; "
             "'vs X' = time / X's time (>1: slower than X); compile = first call - steady call",
             header, "-" * len(header)] + rows + [
             "",
             f"losses agree to {max(losses) - min(losses):.2e}, gradient norms to "
             f"{max(norms) - min(norms):.2e} (max - min over rows)"]
    emit_table("\n".join(lines), args.out, args.append)


if __name__ == "__main__":
    main()
