"""``fnx.jit`` compile time and gcc memory on long programs (issue 16).

Cases (each run in a fresh process with an empty disk cache, a new temporary FNX_CACHE_DIR, so
every compile is cold):

* ``sin-grad N``: ``jit(grad(f))`` of ``f(x) = reduce(lambda a, _: sin(a) * 1.01 + 0.01,
  range(N), x).sum()`` on 16 float32 -- 6 primitives per step after differentiation, so
  N = 833 is a ~5,000-primitive program and N = 2500 a ~15,000-primitive one;
* ``sin-grad-distinct N``: the same with a different constant in every step (``* (1.01 +
  i * 1e-6)``), so that no two generated step functions are alike (an unrolled loop's repeated
  steps are otherwise emitted once);
* ``tanh-fwd N``: ``jit`` of N steps ``x = tanh(x) * 0.9 + 0.1`` (3 primitives a step, one
  fused chain);
* ``rnn-grad N``: ``jit(grad)`` of an N-step unrolled RNN ``h = tanh(w @ h + x)``, 4 units.

Reported (medians over ``--repeats`` processes): the primitives of the traced program, the
first call's time (trace + optimize + code generation + gcc), the wall time spent in gcc, the
CPU time of the gcc processes (user + system: less sensitive to a busy machine than wall time),
the peak resident memory of one gcc process, and the number of translation units.

``--fnx DIR`` measures another checkout (e.g. the code before a change); ``--recursion-limit``
raises Python's recursion limit (in a thread with a large stack) for code that recursed over
the program -- only for measuring such old code.

Usage:  python benchmarks/bench_jit_long.py [--repeats 3] [--cases sin-grad:833,rnn-grad:400]
        [--fnx DIR] [--recursion-limit 0] [--out benchmarks/results/jit_long.md]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CASES = ("sin-grad:833,sin-grad:2500,sin-grad-distinct:833,sin-grad-distinct:2500,"
                 "tanh-fwd:5000,rnn-grad:400")

# One measurement, run as `python -c CHILD <fnx dir> <case> <n> <recursion limit>`.
CHILD = r"""
import functools, json, resource, sys, threading, time
sys.path.insert(0, sys.argv[1])
case, n, limit = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
import fnx, fnx.numpy as fnp
from fnx.compiler import toolchain

def program():
    if case == "sin-grad":
        f = lambda x: functools.reduce(lambda a, _: fnp.sin(a) * 1.01 + 0.01, range(n), x).sum()
        return fnx.grad(f), (fnp.ones(16),)
    if case == "sin-grad-distinct":     # no two steps alike: nothing to deduplicate
        f = lambda x: functools.reduce(lambda a, i: fnp.sin(a) * (1.01 + i * 1e-6) + 0.01,
                                       range(n), x).sum()
        return fnx.grad(f), (fnp.ones(16),)
    if case == "tanh-fwd":
        def f(x):
            for _ in range(n):
                x = fnp.tanh(x) * 0.9 + 0.1
            return x
        return f, (fnp.zeros(16),)
    if case == "rnn-grad":
        def f(w, x):
            h = fnp.zeros(4)
            for _ in range(n):
                h = fnp.tanh(w @ h + x)
            return h.sum()
        return fnx.grad(f), (fnp.ones((4, 4)) * 0.1, fnp.ones(4))
    raise SystemExit(f"unknown case {case}")

result = {}
def measure():
    fun, args = program()
    result["eqns"] = len(fnx.make_jaxpr(fun)(*args).eqns)
    gcc = {"wall": 0.0, "units": 0}
    compile_units = toolchain._compile
    def timed(sources, directory, path):
        t0 = time.perf_counter()
        compile_units(sources, directory, path)
        gcc["wall"] += time.perf_counter() - t0
        gcc["units"] += len(sources)
    toolchain._compile = timed
    t0 = time.perf_counter()
    out = fnx.jit(fun)(*args)
    result["first_call_s"] = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    result.update(gcc_wall_s=gcc["wall"], units=gcc["units"], gcc_cpu_s=ru.ru_utime + ru.ru_stime,
                  gcc_peak_mb=ru.ru_maxrss / 1024)
    leaves = out if isinstance(out, tuple) else (out,)
    result["checksum"] = float(sum(float(fnp.sum(l)) for l in leaves))

if limit:
    sys.setrecursionlimit(limit)
    threading.stack_size(1 << 29)
    t = threading.Thread(target=measure)
    t.start()
    t.join()
else:
    measure()
print(json.dumps(result))
"""


def run_case(fnx_dir: str, case: str, n: int, limit: int) -> dict:
    env = dict(os.environ, FNX_CACHE_DIR=tempfile.mkdtemp(prefix="fnx_bench_long_"))
    proc = subprocess.run([sys.executable, "-c", CHILD, fnx_dir, case, str(n), str(limit)],
                          capture_output=True, text=True, env=env)
    if proc.returncode:
        return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1][:100]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cases", default=DEFAULT_CASES)
    ap.add_argument("--fnx", default=os.path.dirname(HERE))
    ap.add_argument("--recursion-limit", type=int, default=0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    head = [time.strftime("%Y-%m-%d %H:%M"), f"nproc {os.cpu_count()}",
            f"fnx from {os.path.abspath(args.fnx)}",
            f"load average {os.getloadavg()[0]:.1f} before"]
    rows = []
    for spec in args.cases.split(","):
        case, n = spec.split(":")
        runs = [run_case(args.fnx, case, int(n), args.recursion_limit)
                for _ in range(args.repeats)]
        ok = [r for r in runs if "error" not in r]
        if not ok:
            rows.append(f"{case + ' ' + n:<16} failed: {runs[0]['error']}")
            continue
        med = {k: statistics.median(r[k] for r in ok)
               for k in ("first_call_s", "gcc_wall_s", "gcc_cpu_s", "gcc_peak_mb")}
        rows.append(f"{case + ' ' + n:<16} {ok[0]['eqns']:>8} {med['first_call_s']:>11.2f} "
                    f"{med['gcc_wall_s']:>10.2f} {med['gcc_cpu_s']:>9.2f} "
                    f"{med['gcc_peak_mb']:>9.0f} {ok[0]['units']:>6}   {ok[0]['checksum']:.6g}")
        print(rows[-1], flush=True)
    head.append(f"load average {os.getloadavg()[0]:.1f} after")
    title = (f"{'case':<16} {'prims':>8} {'first call':>11} {'gcc wall':>10} {'gcc CPU':>9} "
             f"{'gcc MiB':>9} {'units':>6}   checksum")
    text = "\n".join(["  ".join(head),
                      f"command: python benchmarks/bench_jit_long.py {' '.join(sys.argv[1:])}",
                      f"medians of {args.repeats} cold compiles (fresh process and cache dir); "
                      "times in s, gcc MiB = peak RSS of one gcc process",
                      title, "-" * len(title)] + rows)
    print(text)
    if args.out:
        with open(args.out, "a") as f:
            f.write("```\n" + text + "\n```\n\n")


if __name__ == "__main__":
    main()
