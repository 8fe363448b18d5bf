"""Eager-mode speed of fnx against numpy (and JAX / PyTorch when installed).

* dispatch: time per eager op on tiny arrays (1000 adds of shape (4,), as in PEER_BASELINES.md)
* throughput: elementwise ops and reductions on 4M float32 (effective GB/s = bytes touched / t)

Prints one table of medians over repeats, with each library's ratio to numpy measured in the
same run.  Usage:  python benchmarks/bench_eager.py [--repeats 15] [--out benchmarks/results/eager.md]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

N_LARGE = 4 * 1024 * 1024


def median_time(fn, repeats: int, inner: int = 1) -> float:
    fn()  # warm up (first-call costs, page faults)
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    return statistics.median(samples)


def _workloads(lib, xp, a, b, small_a, small_b, sync):
    """name -> (callable, bytes touched per call)."""
    def dispatch():
        for _ in range(1000):
            small_a + small_b
    el = N_LARGE * 4
    return {
        "dispatch: 1000 adds of shape (4,)": (dispatch, None),
        "add 4M f32": (lambda: sync(a + b), 3 * el),
        "mul 4M f32": (lambda: sync(a * b), 3 * el),
        "exp 4M f32": (lambda: sync(xp.exp(a)), 2 * el),
        "tanh 4M f32": (lambda: sync(xp.tanh(a)), 2 * el),
        "sum 4M f32": (lambda: sync(xp.sum(a)), el),
        "max 4M f32": (lambda: sync(xp.max(a)), el),
        "sum axis=0 (2048,2048) f32": (lambda: sync(xp.sum(a.reshape(2048, 2048), axis=0)), el),
        "chain tanh(x*0.5+0.1)*sigmoid(x)+exp(-x*x)": (
            lambda: sync(xp.tanh(a * 0.5 + 0.1) * (1 / (1 + xp.exp(-a))) + xp.exp(-a * a)),
            2 * el),
    }


def _numpy_setup(a_np, b_np):
    return np, np.asarray(a_np), np.asarray(b_np), np.ones(4, np.float32), np.ones(4, np.float32), lambda r: r


def _fnx_setup(a_np, b_np):
    import fnx.numpy as fnp
    return fnp, fnp.asarray(a_np), fnp.asarray(b_np), fnp.ones(4), fnp.ones(4), lambda r: r


def _jax_setup(a_np, b_np):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_platforms", "cpu")
    return (jnp, jnp.asarray(a_np), jnp.asarray(b_np), jnp.ones(4), jnp.ones(4),
            lambda r: r.block_until_ready())


def _torch_setup(a_np, b_np):
    import torch

    class _TorchNP:
        exp, tanh, sum = torch.exp, torch.tanh, torch.sum

        @staticmethod
        def max(x):
            return torch.max(x)

    return (_TorchNP, torch.from_numpy(a_np.copy()), torch.from_numpy(b_np.copy()),
            torch.ones(4), torch.ones(4), lambda r: r)


def _version(name: str) -> str:
    import importlib
    try:
        return importlib.import_module(name).__version__
    except (ImportError, AttributeError):
        return "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--out", default=None, help="also write the table to this file")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    a_np = rng.standard_normal(N_LARGE).astype(np.float32)
    b_np = rng.standard_normal(N_LARGE).astype(np.float32)

    libs = {"numpy": _numpy_setup, "fnx": _fnx_setup, "jax": _jax_setup, "torch": _torch_setup}
    results: dict[str, dict[str, float]] = {}
    byte_counts: dict[str, int | None] = {}
    for name, setup in libs.items():
        try:
            xp, a, b, sa, sb, sync = setup(a_np, b_np)
        except ImportError:
            continue
        results[name] = {}
        for wname, (fn, nbytes) in _workloads(name, xp, a, b, sa, sb, sync).items():
            results[name][wname] = median_time(fn, args.repeats)
            byte_counts[wname] = nbytes

    names = list(results)
    header = f"{'workload':46s}" + "".join(f"{n:>12s}" for n in names) + \
        "".join(f"{n + '/np':>10s}" for n in names if n != "numpy")
    versions = ", ".join(f"{n} {_version(n)}" for n in names)
    lines = [f"{time.strftime('%Y-%m-%d %H:%M')}  {os.cpu_count()} cores  {versions}  "
             f"(python benchmarks/bench_eager.py --repeats {args.repeats})",
             "median time (ms; dispatch row: us per op) and ratio to numpy (<1 is faster)", header,
             "-" * len(header)]
    for wname in results["numpy"]:
        per_op = wname.startswith("dispatch")
        scale = 1e3 if per_op else 1e3  # dispatch: 1000 ops per call -> ms per call == us per op
        cells = "".join(f"{results[n][wname] * scale:12.3f}" for n in names)
        ratios = "".join(f"{results[n][wname] / results['numpy'][wname]:10.2f}"
                         for n in names if n != "numpy")
        lines.append(f"{wname:46s}{cells}{ratios}")
    lines.append("")
    lines.append("effective bandwidth (GB/s) of fnx: " + ", ".join(
        f"{w}: {byte_counts[w] / results['fnx'][w] / 1e9:.1f}"
        for w in results.get("fnx", {}) if byte_counts.get(w)))
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write("```\n" + table + "\n```\n")


if __name__ == "__main__":
    main()
