"""``fnx.jit`` speed against numpy, JAX (``jax.jit``) and PyTorch (eager, ``torch.compile``).

Workloads (one table, medians of repeats after warm-up calls):

1. elementwise chain ``y = tanh(x*0.5+0.1) * sigmoid(x) + exp(-x*x)`` on 4M float32: fnx eager,
   fnx.jit, numpy, jax.jit, torch eager, torch.compile (``--no-torch-compile`` skips it: its
   first compile can take ~25 s with a cold inductor cache) -- ms and effective GB/s
   (8 bytes per element: one read, one write);
2. an SGD step of an MLP 784-512-512-10 (tanh), batch 128, softmax cross-entropy, the whole step
   jitted (``value_and_grad`` inside the jitted function, then ``p - lr * g`` over the tree);
   fnx.jit (and fnx eager for reference) vs jax.jit vs torch eager, same weights and data
   (``bench_grad.make_problem``); the losses of 3 steps are printed and must agree;
3. compile time = first call - a steady call: fnx with a cold disk cache (a fresh temporary
   FNX_CACHE_DIR), with the warm disk cache (a new ``Jitted`` in this process, and a new
   process), and JAX (a new ``jax.jit`` of a new function object);
4. Python overhead of calling a jitted ``x + 1`` on shape (4,): fnx.jit vs jax.jit vs a plain
   numpy function call (us per call, 1000 calls per sample; JAX's calls are asynchronous, the
   last result is waited for); and of a call with a pytree argument and a keyword argument
   (``f({"a": x, "b": (x, x)}, s=x)``), which takes the general path of the signature cache.

The libraries take turns in blocks of calls (``bench_grad.median_times``), so a machine that
gets busier during the run affects them all alike; the header records the load average.

Usage:  /tmp/peers/bin/python benchmarks/bench_jit.py [--repeats 20] [--no-torch-compile]
        [--out benchmarks/results/jit.md]
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

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))       # fnx from this checkout

from bench_grad import BATCH, SIZES, _version, make_problem, median_times  # noqa: E402

N_CHAIN = 4 * 1024 * 1024
LR = 0.01
CHECK_STEPS = 3


def _now():
    return time.perf_counter()


def _steady(fn, n=7) -> float:
    samples = []
    for _ in range(n):
        t0 = _now()
        fn()
        samples.append(_now() - t0)
    return statistics.median(samples)


def _first_minus_steady(fn) -> float:
    t0 = _now()
    fn()
    first = _now() - t0
    return first - _steady(fn)


# ---------------------------------------------------------------------------------------------
# fnx
# ---------------------------------------------------------------------------------------------

def _fnx_chain():
    import fnx.numpy as fnp
    from fnx import lax

    def chain(x):
        return fnp.tanh(x * 0.5 + 0.1) * lax.logistic(x) + fnp.exp(-x * x)
    return chain


def _fnx_step_fn():
    """A new function object each call (so a new jit traces and compiles it)."""
    import fnx
    import fnx.numpy as fnp

    def loss(params, x, y):
        h = x
        for w, b in params[:-1]:
            h = fnp.tanh(h @ w + b)
        w, b = params[-1]
        logits = h @ w + b
        logp = logits - fnp.logsumexp(logits, axis=-1, keepdims=True)
        return -fnp.mean(fnp.sum(y * logp, axis=-1))

    def step(params, x, y):
        value, grads = fnx.value_and_grad(loss)(params, x, y)
        return fnx.tree.map(lambda p, g: p - LR * g, params, grads), value
    return step


def _fnx_problem(params, x, y):
    import fnx.numpy as fnp
    return ([(fnp.asarray(w), fnp.asarray(b)) for w, b in params], fnp.asarray(x),
            fnp.asarray(y))


def _child_warm_compile(cache_dir: str) -> None:
    """Run in a new process: compile time of the MLP step with an already populated cache."""
    os.environ["FNX_CACHE_DIR"] = cache_dir
    import fnx
    fnx.config.update("cache_dir", cache_dir)
    p, x, y = _fnx_problem(*make_problem())
    step = fnx.jit(_fnx_step_fn())
    t = _first_minus_steady(lambda: step(p, x, y))
    exe = step.lower(p, x, y).compile()
    print(json.dumps({"compile": t, "from_disk_cache": exe.from_disk_cache}))


def fnx_results(params, x_np, y_np, chain_np, repeats):
    import fnx
    import fnx.numpy as fnp
    res = {"version": _version("fnx")}
    saved_cache = fnx.config.cache_dir
    with tempfile.TemporaryDirectory(prefix="fnx_bench_cache_") as cache:
        fnx.config.update("cache_dir", cache)
        # compile times (cold disk cache)
        xc = fnp.asarray(chain_np)
        chain_jit = fnx.jit(_fnx_chain())
        res["compile_chain"] = _first_minus_steady(lambda: chain_jit(xc))
        p, x, y = _fnx_problem(params, x_np, y_np)
        step = fnx.jit(_fnx_step_fn())
        res["compile_step_cold"] = _first_minus_steady(lambda: step(p, x, y))
        exe = step.lower(p, x, y).compile()
        res["compile_step_backend"] = exe.compile_seconds
        res["peak_mb_step"] = exe.peak_bytes / 2 ** 20
        # warm disk cache: a new Jitted here, and a new process
        step2 = fnx.jit(_fnx_step_fn())
        res["compile_step_warm"] = _first_minus_steady(lambda: step2(p, x, y))
        assert step2.lower(p, x, y).compile().from_disk_cache
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child-warm", cache],
                             capture_output=True, text=True)
        if out.returncode == 0:
            child = json.loads(out.stdout.strip().splitlines()[-1])
            assert child["from_disk_cache"], child
            res["compile_step_warm_process"] = child["compile"]
        else:
            print("fnx warm-cache child failed:\n" + out.stderr[-2000:], file=sys.stderr)
        fnx.config.update("cache_dir", saved_cache)

    chain_eager = _fnx_chain()
    res["chain_eager_fn"] = lambda: chain_eager(xc)
    res["chain_jit_fn"] = lambda: chain_jit(xc)
    res["chain_mean"] = float(fnp.mean(chain_jit(xc)))
    res["chain_eager_mean"] = float(fnp.mean(chain_eager(xc)))
    res["step_jit_fn"] = lambda: step(p, x, y)
    eager_step = _fnx_step_fn()
    res["step_eager_fn"] = lambda: eager_step(p, x, y)
    losses, q = [], p
    for _ in range(CHECK_STEPS):
        q, value = step(q, x, y)
        losses.append(float(value))
    losses.append(float(step(q, x, y)[1]))
    res["losses"] = losses

    small = fnp.ones(4)
    add1 = fnx.jit(lambda a: a + 1)
    add1(small)

    def overhead():
        for _ in range(1000):
            add1(small)
    res["overhead_fn"] = overhead
    tree = {"a": small, "b": (small, small)}
    tree_add = fnx.jit(lambda t, s: t["a"] + t["b"][0] * s)
    tree_add(tree, s=small)

    def overhead_tree():
        for _ in range(1000):
            tree_add(tree, s=small)
    res["overhead_tree_fn"] = overhead_tree
    res["threads"] = fnx.config.num_threads
    return res


# ---------------------------------------------------------------------------------------------
# JAX
# ---------------------------------------------------------------------------------------------

def jax_results(params, x_np, y_np, chain_np):
    import jax
    jax.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp
    res = {"version": _version("jax")}

    def chain(x):
        return jnp.tanh(x * 0.5 + 0.1) * jax.nn.sigmoid(x) + jnp.exp(-x * x)

    def make_step():
        def loss(params, x, y):
            h = x
            for w, b in params[:-1]:
                h = jnp.tanh(h @ w + b)
            w, b = params[-1]
            logits = h @ w + b
            logp = logits - logsumexp(logits, axis=-1, keepdims=True)
            return -jnp.mean(jnp.sum(y * logp, axis=-1))

        def step(params, x, y):
            value, grads = jax.value_and_grad(loss)(params, x, y)
            return jax.tree_util.tree_map(lambda p, g: p - LR * g, params, grads), value
        return step

    xc = jnp.asarray(chain_np)
    chain_jit = jax.jit(chain)
    res["compile_chain"] = _first_minus_steady(lambda: chain_jit(xc).block_until_ready())
    p = [(jnp.asarray(w), jnp.asarray(b)) for w, b in params]
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)
    step = jax.jit(make_step())
    res["compile_step_cold"] = _first_minus_steady(
        lambda: jax.block_until_ready(step(p, x, y)))
    res["chain_jit_fn"] = lambda: chain_jit(xc).block_until_ready()
    res["chain_mean"] = float(jnp.mean(chain_jit(xc)))
    res["step_jit_fn"] = lambda: jax.block_until_ready(step(p, x, y))
    losses, q = [], p
    for _ in range(CHECK_STEPS):
        q, value = step(q, x, y)
        losses.append(float(value))
    losses.append(float(step(q, x, y)[1]))
    res["losses"] = losses

    small = jnp.ones(4)
    add1 = jax.jit(lambda a: a + 1)
    add1(small).block_until_ready()

    def overhead():
        r = None
        for _ in range(1000):
            r = add1(small)
        r.block_until_ready()
    res["overhead_fn"] = overhead
    tree = {"a": small, "b": (small, small)}
    tree_add = jax.jit(lambda t, s: t["a"] + t["b"][0] * s)
    tree_add(tree, s=small).block_until_ready()

    def overhead_tree():
        r = None
        for _ in range(1000):
            r = tree_add(tree, s=small)
        r.block_until_ready()
    res["overhead_tree_fn"] = overhead_tree
    return res


# ---------------------------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------------------------

def torch_results(params, x_np, y_np, chain_np, use_compile):
    import torch
    res = {"version": _version("torch")}

    def chain(x):
        return torch.tanh(x * 0.5 + 0.1) * torch.sigmoid(x) + torch.exp(-x * x)

    xc = torch.from_numpy(chain_np.copy())
    res["chain_eager_fn"] = lambda: chain(xc)
    res["chain_eager_mean"] = float(chain(xc).mean())
    if use_compile:
        try:
            compiled = torch.compile(chain)
            res["compile_chain"] = _first_minus_steady(lambda: compiled(xc))
            res["chain_compile_fn"] = lambda: compiled(xc)
            res["chain_compile_mean"] = float(compiled(xc).mean())
        except Exception as e:      # no C++ compiler, unsupported platform...
            print(f"torch.compile skipped: {type(e).__name__}: {e}", file=sys.stderr)

    p = [(torch.from_numpy(w.copy()).requires_grad_(), torch.from_numpy(b.copy())
          .requires_grad_()) for w, b in params]
    xt, yt = torch.from_numpy(x_np.copy()), torch.from_numpy(y_np.copy())

    def step(p):
        for w, b in p:
            w.grad = b.grad = None
        h = xt
        for w, b in p[:-1]:
            h = torch.tanh(h @ w + b)
        w, b = p[-1]
        logits = h @ w + b
        logp = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
        loss = -(yt * logp).sum(-1).mean()
        loss.backward()
        with torch.no_grad():
            new = [((w - LR * w.grad).requires_grad_(), (b - LR * b.grad).requires_grad_())
                   for w, b in p]
        return new, loss.detach()

    res["step_eager_fn"] = lambda: step(p)
    losses, q = [], p
    for _ in range(CHECK_STEPS):
        q, value = step(q)
        losses.append(float(value))
    losses.append(float(step(q)[1]))
    res["losses"] = losses
    return res


# ---------------------------------------------------------------------------------------------
# numpy
# ---------------------------------------------------------------------------------------------

def numpy_results(chain_np):
    def chain(x):
        return np.tanh(x * np.float32(0.5) + np.float32(0.1)) * (1 / (1 + np.exp(-x))) \
            + np.exp(-x * x)

    small = np.ones(4, np.float32)

    def add1(a):
        return a + 1

    def overhead():
        for _ in range(1000):
            add1(small)
    return {"version": np.__version__, "chain_eager_fn": lambda: chain(chain_np),
            "chain_eager_mean": float(chain(chain_np).mean()), "overhead_fn": overhead}


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------

COLUMNS = ("numpy", "fnx eager", "fnx.jit", "jax.jit", "torch", "torch.compile")


def _fmt(v, spec):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return format(v, spec)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--no-torch-compile", action="store_true")
    parser.add_argument("--out", default=None, help="also write the table to this file")
    parser.add_argument("--child-warm", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_warm:
        _child_warm_compile(args.child_warm)
        return

    load_before = os.getloadavg()[0]
    params, x_np, y_np = make_problem()
    chain_np = np.random.default_rng(0).standard_normal(N_CHAIN).astype(np.float32)
    libs = {"numpy": numpy_results(chain_np),
            "fnx": fnx_results(params, x_np, y_np, chain_np, args.repeats)}
    try:
        libs["jax"] = jax_results(params, x_np, y_np, chain_np)
    except ImportError:
        pass
    try:
        libs["torch"] = torch_results(params, x_np, y_np, chain_np, not args.no_torch_compile)
    except ImportError:
        pass

    # (library, key) -> column
    where = {("numpy", "chain_eager_fn"): "numpy", ("fnx", "chain_eager_fn"): "fnx eager",
             ("fnx", "chain_jit_fn"): "fnx.jit", ("jax", "chain_jit_fn"): "jax.jit",
             ("torch", "chain_eager_fn"): "torch", ("torch", "chain_compile_fn"): "torch.compile"}
    chain_fns = {col: libs[lib][key] for (lib, key), col in where.items()
                 if lib in libs and key in libs[lib]}
    step_where = {("fnx", "step_eager_fn"): "fnx eager", ("fnx", "step_jit_fn"): "fnx.jit",
                  ("jax", "step_jit_fn"): "jax.jit", ("torch", "step_eager_fn"): "torch"}
    step_fns = {col: libs[lib][key] for (lib, key), col in step_where.items()
                if lib in libs and key in libs[lib]}
    over_where = {("numpy", "overhead_fn"): "numpy", ("fnx", "overhead_fn"): "fnx.jit",
                  ("jax", "overhead_fn"): "jax.jit"}
    over_fns = {col: libs[lib][key] for (lib, key), col in over_where.items()
                if lib in libs and key in libs[lib]}
    tree_fns = {col: libs[lib]["overhead_tree_fn"] for lib, col in
                (("fnx", "fnx.jit"), ("jax", "jax.jit")) if lib in libs}

    t_chain = median_times(chain_fns, args.repeats)
    t_step = median_times(step_fns, args.repeats)
    t_over = median_times(over_fns, max(5, args.repeats // 2))
    t_tree = median_times(tree_fns, max(5, args.repeats // 2))
    load_after = os.getloadavg()[0]

    rows = []

    def row(label, cells, spec, ratio=None):
        rows.append((label, {c: _fmt(cells.get(c), spec) for c in COLUMNS},
                     "-" if ratio is None else f"{ratio:.2f}"))

    def ratio(d):
        a, b = d.get("fnx.jit"), d.get("jax.jit")
        return a / b if a is not None and b else None

    ms = {c: t * 1e3 for c, t in t_chain.items()}
    row("elementwise chain 4M f32 [ms]", ms, ".2f", ratio(ms))
    gbs = {c: 8 * N_CHAIN / t / 1e9 for c, t in t_chain.items()}
    row("elementwise chain [effective GB/s, 8 B/elem]", gbs, ".1f")
    ms = {c: t * 1e3 for c, t in t_step.items()}
    row(f"MLP {'-'.join(map(str, SIZES))} b{BATCH} SGD step [ms]", ms, ".2f", ratio(ms))
    f, j, t = libs["fnx"], libs.get("jax", {}), libs.get("torch", {})
    comp = {"fnx.jit": f["compile_chain"], "jax.jit": j.get("compile_chain"),
            "torch.compile": t.get("compile_chain")}
    row("compile [s] (first - steady): elementwise, cold", comp, ".3f", ratio(comp))
    comp = {"fnx.jit": f["compile_step_cold"], "jax.jit": j.get("compile_step_cold")}
    row("compile [s]: MLP step, cold disk cache", comp, ".3f", ratio(comp))
    row("compile [s]: MLP step, warm disk cache, new Jitted",
        {"fnx.jit": f["compile_step_warm"]}, ".3f")
    if "compile_step_warm_process" in f:
        row("compile [s]: MLP step, warm disk cache, new process",
            {"fnx.jit": f["compile_step_warm_process"]}, ".3f")
    row("fnx MLP step: backend build (optimize+gcc) [s]",
        {"fnx.jit": f["compile_step_backend"]}, ".3f")
    row("fnx MLP step: planned peak buffer bytes [MiB]", {"fnx.jit": f["peak_mb_step"]}, ".1f")
    us = {c: t * 1e3 for c, t in t_over.items()}   # 1000 calls: ms per sample == us per call
    row("call overhead: jitted x + 1, shape (4,) [us/call]", us, ".2f", ratio(us))
    us = {c: t * 1e3 for c, t in t_tree.items()}
    row("call overhead: f({'a': x, 'b': (x, x)}, s=x) [us]", us, ".2f", ratio(us))
    means = {"numpy": libs["numpy"]["chain_eager_mean"], "fnx eager": f["chain_eager_mean"],
             "fnx.jit": f["chain_mean"], "jax.jit": j.get("chain_mean"),
             "torch": t.get("chain_eager_mean"), "torch.compile": t.get("chain_compile_mean")}
    row("check: elementwise mean(y)", means, ".6f")
    loss_str = {}
    for col, lib in (("fnx.jit", "fnx"), ("jax.jit", "jax"), ("torch", "torch")):
        if lib in libs:
            first, last = libs[lib]["losses"][0], libs[lib]["losses"][-1]
            loss_str[col] = f"{first:.4f}/{last:.4f}"
    row(f"check: MLP loss before / after {CHECK_STEPS} steps", loss_str, "s")
    all_losses = [libs[lib]["losses"] for lib in ("fnx", "jax", "torch") if lib in libs]
    spread = float(np.max(np.ptp(np.array(all_losses), axis=0)))

    width = 52
    cw = max(14, max(len(c) for cells in rows for c in cells[1].values()) + 2)
    header = f"{'':{width}s}" + "".join(f"{c:>{cw}s}" for c in COLUMNS) + f"{'jit/jax':>9s}"
    versions = ", ".join(f"{n} {libs[n]['version']}" for n in libs)
    threads = f["threads"]
    cmd = " ".join([sys.executable, os.path.relpath(os.path.abspath(__file__))] + sys.argv[1:])
    lines = [f"{time.strftime('%Y-%m-%d %H:%M')}  nproc {os.cpu_count()}  "
             f"fnx.config.num_threads={threads!r}"
             f"{' (OpenMP default: one per core)' if threads is None else ''}  {versions}",
             f"command: {cmd}",
             f"load average {load_before:.1f} before, {load_after:.1f} after"
             + (f"; OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}"
                " (fnx sets PASSIVE on import unless set; torch, loaded later in this process, "
                "sees it too)" if "OMP_WAIT_POLICY" in os.environ else ""),
             f"medians of {args.repeats} timed calls after warm-up, libraries in turns of "
             "blocks; jit/jax = fnx.jit / jax.jit (<1: fnx is faster)",
             header, "-" * len(header)]
    for label, cells, r in rows:
        lines.append(f"{label:{width}s}" + "".join(f"{cells[c]:>{cw}s}" for c in COLUMNS)
                     + f"{r:>9s}")
    lines.append("")
    for lib in ("fnx", "jax", "torch"):
        if lib in libs:
            lines.append(f"MLP losses of steps 0..{CHECK_STEPS}, {lib}: "
                         + ", ".join(f"{v:.6f}" for v in libs[lib]["losses"]))
    lines.append(f"MLP losses agree across libraries to {spread:.2e} (max - min, any step)")
    if "compile_chain" in t:
        lines.append("torch.compile's compile time depends on inductor's own disk cache (~25 s "
                     "when it is cold, ~2 s warm); JAX's persistent cache is off (its default)")
    table = "\n".join(lines)
    print(table)
    if args.out:
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        with open(args.out, "w") as fh:
            fh.write("```\n" + table + "\n```\n")


if __name__ == "__main__":
    main()
