"""fnx.numpy's new everyday functions (issue 20) against numpy, eager and under jit.

Each library is timed in its own fresh process, as its users run it; medians of ``--repeats``
timings (each the mean of enough calls to take ~20 ms).  fnx's jit column times a jitted
function after its first (compiling) call.  Usage:

    python benchmarks/bench_numpy_surface.py [--n 100000] [--out FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# name -> (statement on the module `m` with inputs x, y (float32[n]), b (bool[n]), k (int32[n]),
#          e (sorted float32[65]), v (float32[31]); "numpy|fnx" where the two spell it
#          differently), whether fnx can jit it
CASES = {
    "histogram(x, 64)": ("m.histogram(x, 64)[0]", True),
    "bincount(k, length=1000)": ("m.bincount(k, minlength=1000)|m.bincount(k, length=1000)",
                                 True),
    "digitize(x, e)": ("m.digitize(x, e)", True),
    "interp(x, e, e)": ("m.interp(x, e, e)", True),
    "convolve(x, v)": ("m.convolve(x, v)", True),
    "diff(x)": ("m.diff(x)", True),
    "gradient(x)": ("m.gradient(x)", True),
    "trapezoid(x)": ("m.trapezoid(x)", True),
    "cov(x.reshape(8, -1))": ("m.cov(x.reshape(8, -1))", True),
    "isin(k, k[:64])": ("m.isin(k, k[:64])", True),
    "unique(k)": ("m.unique(k)", False),
    "nonzero(b)": ("m.nonzero(b)[0]", False),
    "nanquantile(x, 0.3)": ("m.nanquantile(x, 0.3)", True),
    "partition(x, 7)": ("m.partition(x, 7)", True),
    "packbits(b)": ("m.packbits(b)", True),
    "add.reduce(x)": ("m.add.reduce(x)", True),
    "maximum.accumulate(x)": ("m.maximum.accumulate(x)", True),
    "multiply.outer(v, v)": ("m.multiply.outer(v, v)", True),
}

CHILD = r"""
import json, statistics, sys, time
import numpy as np
lib, n, stmt, use_jit, repeats = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1", int(sys.argv[5])
rng = np.random.default_rng(0)
data = dict(x=rng.standard_normal(n).astype(np.float32), y=rng.standard_normal(n).astype(np.float32),
            b=rng.random(n) < 0.3, k=rng.integers(0, 1000, n).astype(np.int32),
            e=np.sort(rng.standard_normal(65)).astype(np.float32),
            v=rng.standard_normal(31).astype(np.float32))
if lib == "numpy":
    m = np
    f = eval("lambda x, y, b, k, e, v: " + stmt)
    args = [data[c] for c in "xybkev"]
    block = lambda r: r
else:
    import fnx, fnx.numpy as m
    f = eval("lambda x, y, b, k, e, v: " + stmt, {"m": m})
    if use_jit:
        f = fnx.jit(f)
    args = [m.asarray(data[c]) for c in "xybkev"]
    block = lambda r: np.asarray(r)
block(f(*args))
t0 = time.perf_counter(); block(f(*args)); once = time.perf_counter() - t0
inner = max(1, int(0.02 / max(once, 1e-7)))
samples = []
for _ in range(repeats):
    t0 = time.perf_counter()
    for _ in range(inner):
        block(f(*args))
    samples.append((time.perf_counter() - t0) / inner)
print(statistics.median(samples) * 1e6)
"""


def time_case(lib, n, stmt, use_jit, repeats):
    if "|" in stmt:
        stmt = stmt.split("|")[0 if lib == "numpy" else 1]
    out = subprocess.run([sys.executable, "-c", CHILD, lib, str(n), stmt, "1" if use_jit else "0",
                          str(repeats)], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": ROOT})
    if out.returncode != 0:
        return float("nan")
    return float(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", default=None)
    ap.add_argument("--only", default=None, help="run the cases whose name contains this")
    args = ap.parse_args()
    lines = [time.strftime("%Y-%m-%d %H:%M") + f"  n = {args.n}  nproc {os.cpu_count()}  "
             f"µs per call, medians of {args.repeats}; ratio = fnx / numpy (below 1: fnx faster)",
             "", "| function | numpy | fnx eager | ratio | fnx jit | ratio |", "|---|---:|---:|---:|---:|---:|"]
    results = {}
    for name, (stmt, jittable) in CASES.items():
        if args.only and args.only not in name:
            continue
        t_np = time_case("numpy", args.n, stmt, False, args.repeats)
        t_e = time_case("fnx", args.n, stmt, False, args.repeats)
        t_j = time_case("fnx", args.n, stmt, True, args.repeats) if jittable else float("nan")
        results[name] = (t_np, t_e, t_j)
        jit_cells = f"{t_j:.1f} | {t_j / t_np:.2f}" if t_j == t_j else "- | -"
        lines.append(f"| {name} | {t_np:.1f} | {t_e:.1f} | {t_e / t_np:.2f} | {jit_cells} |")
        print(lines[-1], flush=True)
    text = "\n".join(lines)
    print(text)
    print(json.dumps(results))
    if args.out:
        with open(args.out, "a") as f:
            f.write(text + "\n\n")


if __name__ == "__main__":
    main()
