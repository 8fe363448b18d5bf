"""Eager dispatch of the everyday small calls whose Python front end issue 16 changed: binary
ops with a Python scalar (the weak-scalar cache, the int overflow check), take / indexing with
concrete indices (numpy's bounds check), logaddexp (its custom JVP), reductions (the axis
check), ``__index__``.

Each case is timed in its own fresh process per checkout (``--fnx DIR`` for each tree to
compare, e.g. a worktree of the code before a change), medians of ``--repeats`` runs of
``--inner`` calls.  Usage:

    python benchmarks/bench_dispatch.py --fnx . --fnx /path/to/old/checkout [--out FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

CASES = {
    "x + y, f32[4]": "x + y",
    "x + 1.0, f32[4]": "x + 1.0",
    "x * -0.0, f32[4]": "x * -0.0",
    "i + 1, i32[4]": "i + 1",
    "fnp.add(x, y), f32[4]": "fnp.add(x, y)",
    "fnp.take(x, [0, 2, -1])": "fnp.take(x, idx)",
    "x[idx] (int32[3] index)": "x[idx]",
    "x[1]": "x[1]",
    "fnp.logaddexp(x, y)": "fnp.logaddexp(x, y)",
    "fnp.sum(x)": "fnp.sum(x)",
    "fnp.sum(m, axis=1)": "fnp.sum(m, axis=1)",
    "operator.index(fnp.asarray(3))": "operator.index(k)",
    # issue 20: numpy's ufunc names became fnx.numpy.ufunc objects; sign / signbit /
    # floor_divide gained the array API's special cases
    "fnp.sin(x)": "fnp.sin(x)",
    "fnp.maximum(x, y)": "fnp.maximum(x, y)",
    "-x": "-x",
    "fnp.sign(x)": "fnp.sign(x)",
    "fnp.signbit(x)": "fnp.signbit(x)",
    "fnp.floor_divide(x, y)": "fnp.floor_divide(x, y)",
}

# run in a child process: argv = [fnx dir, statement, repeats, inner]
CHILD = r"""
import operator, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
import fnx, fnx.numpy as fnp
x = fnp.asarray(np.arange(4, dtype=np.float32)); y = x + 0.5
i = fnp.asarray(np.arange(4, dtype=np.int32)); idx = fnp.asarray(np.array([0, 2, -1], np.int32))
m = fnp.ones((8, 8)); k = fnp.asarray(3)
code = compile(sys.argv[2], "<case>", "eval")
repeats, inner = int(sys.argv[3]), int(sys.argv[4])
env = dict(globals())
for _ in range(inner):
    eval(code, env)
samples = []
for _ in range(repeats):
    t0 = time.perf_counter()
    for _ in range(inner):
        eval(code, env)
    samples.append((time.perf_counter() - t0) / inner)
print(statistics.median(samples) * 1e6)
"""


def time_case(fnx_dir: str, statement: str, repeats: int, inner: int) -> float:
    """µs per call, or NaN where the statement raises in that checkout (a bug it has)."""
    out = subprocess.run([sys.executable, "-c", CHILD, fnx_dir, statement, str(repeats),
                          str(inner)], capture_output=True, text=True, cwd=fnx_dir)
    if out.returncode != 0:
        return float("nan")
    return float(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fnx", action="append", help="an fnx checkout to time (repeatable)")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--inner", type=int, default=2000)
    ap.add_argument("--out", default=None, help="append the table to this markdown file")
    args = ap.parse_args()
    trees = [os.path.abspath(d) for d in (args.fnx or [os.path.dirname(HERE)])]
    results = {name: [time_case(t, stmt, args.repeats, args.inner) for t in trees]
               for name, stmt in CASES.items()}
    head = "| case | " + " | ".join(trees) + (" | ratio |" if len(trees) == 2 else " |")
    lines = [time.strftime("%Y-%m-%d %H:%M") + f"  nproc {os.cpu_count()}  load average "
             f"{os.getloadavg()[0]:.1f}  µs per call, medians of {args.repeats} x {args.inner}",
             "", head, "|---" * (len(trees) + 1 + (len(trees) == 2)) + "|"]
    for name, ts in results.items():
        cells = " | ".join("raises" if t != t else f"{t:.2f}" for t in ts)
        ratio = f" | {ts[0] / ts[1]:.2f} |" if len(ts) == 2 else " |"
        lines.append(f"| {name} | {cells}{ratio}")
    text = "\n".join(lines)
    print(text)
    print(json.dumps(results))
    if args.out:
        with open(args.out, "a") as f:
            f.write(text + "\n\n")


if __name__ == "__main__":
    main()
