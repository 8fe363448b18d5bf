"""CPU kernel speed: GEMM (square and the MLP / LSTM training shapes) and exp / tanh, fnx against
numpy and, when importable (``--peers-python``, default /tmp/peers/bin/python), JAX and PyTorch.

Every library runs in its own fresh process per thread count, with its thread pool pinned by its
own knob (FNX_NUM_THREADS, OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, torch.set_num_threads, XLA's
eigen threading flag).  Each number is the median over 7 timed batches of repetitions sized to
~40 ms.  GEMM shapes are written m x k x n (A is m x k); "x^T g" and "g W^T" are the products the
backward pass of a 784-512 layer at batch 128 runs (operands made contiguous first).  "kernel"
rows skip the array API: fnx calls fnx_matmul on numpy buffers, numpy / torch write into a
preallocated output (JAX has no such call: its rows are its jitted matmul as elsewhere).

    python benchmarks/bench_kernels.py [--out benchmarks/results/kernels.md]
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEMMS = [  # (label, m, k, n, dtype)
    ("sgemm 256^3", 256, 256, 256, "float32"),
    ("sgemm 1024^3", 1024, 1024, 1024, "float32"),
    ("sgemm 2048^3", 2048, 2048, 2048, "float32"),
    ("dgemm 1024^3", 1024, 1024, 1024, "float64"),
    ("MLP x W1 128x784x512", 128, 784, 512, "float32"),
    ("MLP h W2 128x512x512", 128, 512, 512, "float32"),
    ("MLP h W3 128x512x10", 128, 512, 10, "float32"),
    ("MLP x^T g 784x128x512", 784, 128, 512, "float32"),
    ("MLP g W^T 128x512x784", 128, 512, 784, "float32"),
    ("LSTM 16x64x512", 16, 64, 512, "float32"),
    ("LSTM 16x128x512", 16, 128, 512, "float32"),
    ("LSTM^T 128x16x512", 128, 16, 512, "float32"),
    ("dgemm 256^3", 256, 256, 256, "float64"),
    ("dgemm MLP 128x784x512", 128, 784, 512, "float64"),
    ("narrow f64 128x512x10", 128, 512, 10, "float64"),
    ("narrow 1024x256x16", 1024, 256, 16, "float32"),
    ("narrow 128x512x3", 128, 512, 3, "float32"),
    # a language model's vocabulary head (35 x 32 tokens, d 256, 10000 words): logits, and the
    # input and weight gradients
    ("LM head 1120x256x10000", 1120, 256, 10000, "float32"),
    ("LM dX 1120x10000x256", 1120, 10000, 256, "float32"),
    ("LM dW 10000x1120x256", 10000, 1120, 256, "float32"),
    ("LSTM LM step 32x256x1024", 32, 256, 1024, "float32"),
    # the kernel alone: fnx_matmul / np.matmul(out=) / torch.matmul(out=) into a ready buffer
    ("kernel 128x512x10", 128, 512, 10, "float32", "direct"),
    ("kernel 16x64x512", 16, 64, 512, "float32", "direct"),
    ("kernel dgemm 1024^3", 1024, 1024, 1024, "float64", "direct"),
]
UNARY = [("exp 4M f32", "exp"), ("tanh 4M f32", "tanh")]
LIBS = ["fnx", "numpy", "jax", "torch"]


def _median_time(fn, target=0.04):
    fn()
    t = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t, 1e-7)
    reps = max(1, int(target / once))
    ts = []
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        ts.append((time.perf_counter() - t) / reps)
    ts.sort()
    return ts[len(ts) // 2]


def _worker(lib, nt):
    """runs in a fresh process; prints {label: value} as JSON"""
    import numpy as np
    rng = np.random.default_rng(0)
    if lib == "fnx":
        sys.path.insert(0, ROOT)
        import fnx.numpy as fnp
        conv, mm = fnp.asarray, lambda a, b: fnp.matmul(a, b)
        ops = {"exp": fnp.exp, "tanh": fnp.tanh}
        sync = lambda y: y  # noqa: E731  (eager fnx computes before returning)
    elif lib == "numpy":
        conv, mm, sync = (lambda x: x), np.matmul, (lambda y: y)
        ops = {"exp": np.exp, "tanh": np.tanh}
    elif lib == "jax":
        if nt == 1:   # jax 0.10 ignores the XLA_FLAGS below: size its pool by the affinity
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        conv, mm = jnp.asarray, jax.jit(jnp.matmul)
        ops = {"exp": jax.jit(jnp.exp), "tanh": jax.jit(jnp.tanh)}
        sync = lambda y: y.block_until_ready()  # noqa: E731
    else:
        import torch
        torch.set_num_threads(nt)
        conv, mm, sync = torch.from_numpy, torch.matmul, (lambda y: y)
        ops = {"exp": torch.exp, "tanh": torch.tanh}
    out = {}
    for label, m, k, n, dt, *direct in GEMMS:
        a0 = rng.standard_normal((m, k)).astype(dt)
        b0 = rng.standard_normal((k, n)).astype(dt)
        a, b = conv(a0), conv(b0)
        fn = lambda: sync(mm(a, b))  # noqa: E731
        if direct:
            fn = _direct_matmul(lib, a0, b0, conv) or fn
        out[label] = 2.0 * m * n * k / _median_time(fn) / 1e9
    x = rng.standard_normal(4 << 20).astype("float32")
    x = conv(x)
    for label, op in UNARY:
        out[label] = _median_time(lambda: sync(ops[op](x))) * 1e3
    print(json.dumps(out))


def _direct_matmul(lib, a, b, conv):
    """a call that writes a @ b into a ready buffer (None: the library has none)"""
    import numpy as np
    c = np.empty((a.shape[0], b.shape[1]), a.dtype)
    if lib == "fnx":
        from fnx._fnx_kernels import ffi, lib as k
        code = k.FNX_FLOAT32 if a.dtype == np.float32 else k.FNX_FLOAT64
        pa, pb, pc = ffi.from_buffer(a), ffi.from_buffer(b), ffi.from_buffer(c)
        m, kk, n = a.shape[0], a.shape[1], b.shape[1]
        return lambda: k.fnx_matmul(code, 1, m, n, kk, pa, pb, pc)
    if lib == "numpy":
        return lambda: np.matmul(a, b, out=c)
    if lib == "torch":
        import torch
        ta, tb, tc = conv(a), conv(b), conv(c)
        return lambda: torch.matmul(ta, tb, out=tc)
    return None


def _run(python, lib, nt):
    env = dict(os.environ, FNX_NUM_THREADS=str(nt), OPENBLAS_NUM_THREADS=str(nt),
               OMP_NUM_THREADS=str(nt), MKL_NUM_THREADS=str(nt))
    if lib == "jax":
        env["XLA_FLAGS"] = ("--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
                            if nt == 1 else "")
        env["JAX_PLATFORMS"] = "cpu"
    r = subprocess.run([python, os.path.abspath(__file__), "--worker", lib, str(nt)], env=env,
                       capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", nargs=2)
    ap.add_argument("--peers-python", default="/tmp/peers/bin/python")
    ap.add_argument("--out")
    ap.add_argument("--threads", default="1,2")
    args = ap.parse_args()
    if args.worker:
        _worker(args.worker[0], int(args.worker[1]))
        return
    peers = args.peers_python if os.path.exists(args.peers_python) else None
    threads = [int(t) for t in args.threads.split(",")]
    cols, res = [], {}
    for nt in threads:
        for lib in LIBS:
            python = sys.executable if lib in ("fnx", "numpy") else peers
            if python is None:
                continue
            r = _run(python, lib, nt)
            if r is not None:
                cols.append((lib, nt))
                res[(lib, nt)] = r
    head = "| workload | unit | " + " | ".join(f"{lib} {nt}t" for lib, nt in cols) + " |"
    lines = [head, "|" + "---|" * (len(cols) + 2)]
    for label in [g[0] for g in GEMMS] + [u[0] for u in UNARY]:
        unit = "ms" if label in dict(UNARY) else "GFLOP/s"
        cells = []
        for c in cols:
            v = res[c].get(label)
            cells.append("-" if v is None else (f"{v:.3f}" if unit == "ms" else f"{v:.1f}"))
        lines.append(f"| {label} | {unit} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write("# CPU kernels: GEMM and vector math\n\n"
                    f"`python benchmarks/bench_kernels.py` ({time.strftime('%Y-%m-%d')}, "
                    f"{os.cpu_count()} cores). Medians; each library in its own process per "
                    "thread count. GEMM in GFLOP/s (higher is better), exp/tanh in ms "
                    "(lower is better).\n\n" + table + "\n")


if __name__ == "__main__":
    main()
