"""The decompositions on the CPU backend (kernels/cpu/lapack.c) against numpy (its LAPACK,
OpenBLAS), in one process: float32 / float64, one n x n matrix at n = 256 and 1024 and a batch
of 64 matrices of n = 32.  cholesky, qr, eigh and svd are the fnx.lax.linalg primitives;
solve / inv / det are fnx.numpy.linalg's (one LU, a row gather, two triangular solves / the
diagonal's product), as a user calls them.
Medians of repeats; ratio = fnx time / numpy time (< 1: fnx is faster).

    python benchmarks/bench_linalg.py [--out benchmarks/results/linalg.md] [--quick]
"""
import argparse
import datetime
import os
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import fnx  # noqa: E402
import fnx.numpy as fnp  # noqa: E402
from fnx.lax import linalg as la  # noqa: E402


def ops(n, dt, batch):
    shape = (batch, n, n) if batch else (n, n)
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape).astype(dt)
    spd = (a @ np.swapaxes(a, -1, -2) / n + np.eye(n)).astype(dt)
    b = rng.standard_normal(shape[:-1] + (1,)).astype(dt)
    fa, fspd, fb = (fnp.asarray(x) for x in (a, spd, b))
    return [
        ("cholesky", lambda: la.cholesky(fspd, symmetrize_input=False),
         lambda: np.linalg.cholesky(spd)),
        ("solve", lambda: fnp.linalg.solve(fa, fb), lambda: np.linalg.solve(a, b)),
        ("inv", lambda: fnp.linalg.inv(fa), lambda: np.linalg.inv(a)),
        ("det", lambda: fnp.linalg.det(fa), lambda: np.linalg.det(a)),
        ("qr", lambda: la.qr(fa, full_matrices=False), lambda: np.linalg.qr(a)),
        ("eigh", lambda: la.eigh(fspd, symmetrize_input=False), lambda: np.linalg.eigh(spd)),
        ("svd", lambda: la.svd(fa, full_matrices=False), lambda: np.linalg.svd(
            a, full_matrices=False)),
        ("svd (values)", lambda: la.svd(fa, compute_uv=False), lambda: np.linalg.svd(
            a, compute_uv=False)),
    ]


def median_time(fn, budget):
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < budget and len(times) < 50):
        t0 = time.perf_counter()
        out = fn()
        for leaf in fnx.tree.leaves(out):
            np.asarray(leaf)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=None)
    p.add_argument("--quick", action="store_true", help="short time budget per measurement")
    p.add_argument("--only", default=None, help="comma-separated op names")
    args = p.parse_args()
    budget = 0.3 if args.quick else 1.0
    only = set(args.only.split(",")) if args.only else None
    rows = []
    for dt in (np.float32, np.float64):
        for n, batch in ((256, 0), (1024, 0), (32, 64)):
            for name, f, g in ops(n, dt, batch):
                if only and name not in only:
                    continue
                tf, tn = median_time(f, budget), median_time(g, budget)
                shape = f"{batch} x {n}x{n}" if batch else f"{n}x{n}"
                rows.append((name, np.dtype(dt).name, shape, tf * 1e3, tn * 1e3, tf / tn))
                print(f"{name:14s} {np.dtype(dt).name:8s} {shape:12s} fnx {tf * 1e3:9.3f} ms  "
                      f"numpy {tn * 1e3:9.3f} ms  ratio {tf / tn:6.2f}", flush=True)
    if args.out:
        cmd = "python benchmarks/bench_linalg.py " + " ".join(sys.argv[1:])
        with open(args.out, "w") as fh:
            fh.write("# Decompositions: fnx CPU kernels vs numpy (OpenBLAS LAPACK)\n\n")
            fh.write(f"`{cmd}` on {datetime.date.today()}, {platform.processor() or 'cpu'}, "
                     f"{os.cpu_count()} cores, fnx threads {fnx.config.num_threads or 'default'}"
                     f", numpy {np.__version__}.  Medians; ratio = fnx / numpy time (<= 1.25 "
                     "is 0.8x numpy's speed).\n\n")
            fh.write("| op | dtype | shape | fnx ms | numpy ms | ratio |\n|---|---|---|---|---|---|\n")
            for name, dt, shape, tf, tn, r in rows:
                fh.write(f"| {name} | {dt} | {shape} | {tf:.3f} | {tn:.3f} | {r:.2f} |\n")


if __name__ == "__main__":
    main()
