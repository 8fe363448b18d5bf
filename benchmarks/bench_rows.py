"""Reductions and softmax-style row operations against memory bandwidth.

On a 4096 x 1024 float32 array (16 MiB, far larger than the caches): sums over all / the last /
the first axis, a row max, and the three row-wise chains of a transformer -- softmax,
log_softmax and layer norm -- for numpy, fnx eager, fnx.jit and, when importable, jax.jit and
torch (eager; torch's softmax / layer_norm are fused kernels).  Each time is the median over
rounds in which the libraries take turns (bench_grad.median_times).  "GB/s" is the minimum
traffic of the operation (the input read once, the output written once) over fnx.jit's time;
the copy row is the machine's bandwidth for that traffic pattern (numpy copyto, 16 MiB read and
16 MiB written).

    python benchmarks/bench_rows.py [--threads N] [--out benchmarks/results/rows.md]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_grad import limit_all_threads, emit_table, median_times  # noqa: E402

ROWS, COLS = 4096, 1024


def _workloads(np_like, softmax=None, log_softmax=None, layer_norm=None):
    """name -> function of (x, g, b) for one array library with numpy's API."""
    m = np_like

    def np_softmax(x, g, b):
        e = m.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    def np_log_softmax(x, g, b):
        s = x - x.max(-1, keepdims=True)
        return s - m.log(m.exp(s).sum(-1, keepdims=True))

    def np_layer_norm(x, g, b):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / m.sqrt(var + 1e-5) * g + b

    return {
        "sum all": lambda x, g, b: x.sum(),
        "sum rows (axis -1)": lambda x, g, b: x.sum(-1),
        "sum cols (axis 0)": lambda x, g, b: x.sum(0),
        "max rows": lambda x, g, b: x.max(-1),
        "softmax": softmax or np_softmax,
        "log_softmax": log_softmax or np_log_softmax,
        "layer_norm": layer_norm or np_layer_norm,
    }


def _traffic(name: str) -> int:
    """Bytes an ideal implementation moves: the input once, plus the output when it is full."""
    full = ROWS * COLS * 4
    return 2 * full if name in ("softmax", "log_softmax", "layer_norm") else full


def _libraries(x, g, b):
    import fnx
    import fnx.numpy as fnp
    libs = {}
    libs["numpy"] = {k: (f, (x, g, b)) for k, f in _workloads(np).items()}
    fx = tuple(fnp.asarray(a) for a in (x, g, b))
    libs["fnx eager"] = {k: (f, fx) for k, f in _workloads(fnp).items()}
    libs["fnx.jit"] = {k: (fnx.jit(f), fx) for k, f in _workloads(fnp).items()}
    try:
        import jax
        import jax.numpy as jnp
        jx = tuple(jnp.asarray(a) for a in (x, g, b))
        libs["jax.jit"] = {k: (_blocking(jax.jit(f)), jx) for k, f in _workloads(jnp).items()}
    except ImportError:
        pass
    try:
        import torch
        tx = tuple(torch.from_numpy(a) for a in (x, g, b))
        fused = dict(softmax=lambda x, g, b: torch.softmax(x, -1),
                     log_softmax=lambda x, g, b: torch.log_softmax(x, -1),
                     layer_norm=lambda x, g, b: torch.nn.functional.layer_norm(
                         x, (COLS,), g, b, 1e-5))
        torch_ops = {
            "sum all": lambda x, g, b: x.sum(),
            "sum rows (axis -1)": lambda x, g, b: x.sum(-1),
            "sum cols (axis 0)": lambda x, g, b: x.sum(0),
            "max rows": lambda x, g, b: x.amax(-1),
            **fused,
        }
        libs["torch"] = {k: (f, tx) for k, f in torch_ops.items()}
    except ImportError:
        pass
    return libs


def _blocking(f):
    return lambda *a: f(*a).block_until_ready()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    limit_all_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((ROWS, COLS)).astype(np.float32)
    g = rng.standard_normal(COLS).astype(np.float32)
    b = rng.standard_normal(COLS).astype(np.float32)
    libs = _libraries(x, g, b)
    for lib in libs.values():            # compile / warm up
        for f, a in lib.values():
            f(*a)
    dst = np.empty_like(x)
    copy_t = median_times({"copy": lambda: np.copyto(dst, x)}, args.repeats)["copy"]
    names = list(libs)
    lines = [f"{ROWS}x{COLS} float32, threads: {args.threads or 'default'}; ms (median), "
             f"fnx.jit GB/s = ideal traffic / time; numpy copy: {copy_t * 1e3:.3f} ms = "
             f"{2 * x.nbytes / copy_t / 1e9:.1f} GB/s",
             "",
             "| workload | " + " | ".join(names) + " | fnx.jit GB/s |",
             "|---|" + "---|" * (len(names) + 1)]
    for work in _workloads(np):
        fns = {lib: (lambda f=libs[lib][work][0], a=libs[lib][work][1]: f(*a)) for lib in names}
        t = median_times(fns, args.repeats)
        gbs = _traffic(work) / t["fnx.jit"] / 1e9
        lines.append(f"| {work} | " + " | ".join(f"{t[n] * 1e3:.3f}" for n in names)
                     + f" | {gbs:.1f} |")
    emit_table("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
