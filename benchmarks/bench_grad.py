"""Eager reverse-mode speed: ``value_and_grad`` of an MLP loss, fnx against HIPS autograd, JAX
(eager: ``jax.value_and_grad`` called directly, no jit) and PyTorch (``loss.backward()``) when
they are installed.

The model: 784-512-512-10, tanh hidden layers (``--act relu`` for ReLU), softmax cross-entropy
(``logits - logsumexp(logits)``) averaged over a batch of 128, float32; every library gets the
same weights and data.  Prints one table of median times per call (and each library's ratio to
fnx measured in the same run), the losses (which must agree) and the largest gradient
difference from fnx.

``--threads N`` runs every library with N threads (FNX_NUM_THREADS, OMP/MKL/OpenBLAS thread
counts, XLA's intra-op parallelism, torch.set_num_threads); without it each library uses its
default.  On a shared machine (load above the core count) compare both: multi-threaded kernels
suffer most from oversubscription, and OpenMP's busy-waiting (fnx's and PyTorch's kernels) can
cost 10-30x there -- ``OMP_WAIT_POLICY=PASSIVE`` avoids it (the header records the setting).

Usage:  python benchmarks/bench_grad.py [--repeats 30] [--act tanh|relu] [--threads N]
        [--out benchmarks/results/grad.md [--append]]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

SIZES = (784, 512, 512, 10)
BATCH = 128


def median_times(fns: dict, repeats: int, rounds: int = 5) -> dict:
    """Median seconds per call of each function.  The libraries take turns in ``rounds``
    blocks of calls (the first two calls of a block, which pay for the previous library's
    threads still spinning, are not timed), so a machine that gets busier or quieter during the
    run affects them all alike."""
    per_block = max(1, -(-repeats // rounds))
    samples = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            fn()
            fn()
            for _ in range(per_block):
                t0 = time.perf_counter()
                fn()
                samples[name].append(time.perf_counter() - t0)
    return {name: statistics.median(v) for name, v in samples.items()}


def make_problem(seed: int = 0):
    """Weights (Glorot-ish), inputs and one-hot labels as float32 numpy arrays."""
    rng = np.random.default_rng(seed)
    params = []
    for m, n in zip(SIZES[:-1], SIZES[1:]):
        params.append((rng.standard_normal((m, n)).astype(np.float32) / np.float32(np.sqrt(m)),
                       (rng.standard_normal(n) * 0.01).astype(np.float32)))
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = np.eye(SIZES[-1], dtype=np.float32)[rng.integers(0, SIZES[-1], BATCH)]
    return params, x, y


# ---------------------------------------------------------------------------------------------
# One setup per library: returns (step, grads_as_numpy) where step() runs value_and_grad once
# and returns (loss, grads) in the library's own types.
# ---------------------------------------------------------------------------------------------

def _fnx_setup(params, x, y, act):
    import fnx
    import fnx.numpy as fnp
    nonlin = fnp.tanh if act == "tanh" else (lambda h: fnp.maximum(h, 0.0))

    def loss(params, x, y):
        h = x
        for w, b in params[:-1]:
            h = nonlin(h @ w + b)
        w, b = params[-1]
        logits = h @ w + b
        logp = logits - fnp.logsumexp(logits, axis=-1, keepdims=True)
        return -fnp.mean(fnp.sum(y * logp, axis=-1))

    p = [(fnp.asarray(w), fnp.asarray(b)) for w, b in params]
    xa, ya = fnp.asarray(x), fnp.asarray(y)
    vg = fnx.value_and_grad(loss)

    def step():
        return vg(p, xa, ya)

    def to_np(result):
        l, g = result
        return float(l), [np.asarray(a) for wb in g for a in wb]
    return step, to_np


def _autograd_setup(params, x, y, act):
    import autograd
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp
    nonlin = anp.tanh if act == "tanh" else (lambda h: anp.maximum(h, 0.0))

    def loss(params, x, y):
        h = x
        for w, b in params[:-1]:
            h = nonlin(anp.dot(h, w) + b)
        w, b = params[-1]
        logits = anp.dot(h, w) + b
        logp = logits - logsumexp(logits, axis=-1, keepdims=True)
        return -anp.mean(anp.sum(y * logp, axis=-1))

    p = [(w.copy(), b.copy()) for w, b in params]
    vg = autograd.value_and_grad(loss)

    def step():
        return vg(p, x, y)

    def to_np(result):
        l, g = result
        return float(l), [np.asarray(a) for wb in g for a in wb]
    return step, to_np


def _jax_setup(params, x, y, act):
    import jax
    jax.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp
    nonlin = jnp.tanh if act == "tanh" else jax.nn.relu

    def loss(params, x, y):
        h = x
        for w, b in params[:-1]:
            h = nonlin(h @ w + b)
        w, b = params[-1]
        logits = h @ w + b
        logp = logits - logsumexp(logits, axis=-1, keepdims=True)
        return -jnp.mean(jnp.sum(y * logp, axis=-1))

    p = [(jnp.asarray(w), jnp.asarray(b)) for w, b in params]
    xa, ya = jnp.asarray(x), jnp.asarray(y)
    vg = jax.value_and_grad(loss)  # eager: no jit

    def step():
        out = vg(p, xa, ya)
        jax.block_until_ready(out)
        return out

    def to_np(result):
        l, g = result
        return float(l), [np.asarray(a) for wb in g for a in wb]
    return step, to_np


def _torch_setup(params, x, y, act):
    import torch
    nonlin = torch.tanh if act == "tanh" else torch.relu
    p = [(torch.from_numpy(w.copy()).requires_grad_(), torch.from_numpy(b.copy())
          .requires_grad_()) for w, b in params]
    xt, yt = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
    flat = [a for wb in p for a in wb]

    def step():
        for a in flat:
            a.grad = None
        h = xt
        for w, b in p[:-1]:
            h = nonlin(h @ w + b)
        w, b = p[-1]
        logits = h @ w + b
        logp = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
        loss = -(yt * logp).sum(-1).mean()
        loss.backward()
        return loss.detach(), [a.grad for a in flat]

    def to_np(result):
        l, g = result
        return float(l), [a.numpy() for a in g]
    return step, to_np


LIBS = {"fnx": ("fnx", _fnx_setup), "autograd": ("autograd", _autograd_setup),
        "jax": ("jax", _jax_setup), "torch": ("torch", _torch_setup)}


def _version(name: str) -> str:
    import importlib
    try:
        return importlib.import_module(name).__version__
    except (ImportError, AttributeError):
        try:
            from importlib.metadata import version
            return version(name)
        except Exception:
            return "?"


_THREAD_ENV = ("FNX_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def _limit_threads(n: int) -> None:
    """Re-run this script with every library limited to ``n`` threads (thread pools read their
    environment when they load, so the variables must be set before numpy is imported)."""
    import sys
    want = str(n)
    if all(os.environ.get(k) == want for k in _THREAD_ENV):
        return
    env = dict(os.environ)
    env.update({k: want for k in _THREAD_ENV})
    flags = env.get("XLA_FLAGS", "")
    if n == 1:
        flags += " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    env["XLA_FLAGS"] = flags.strip()
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def limit_all_threads(n: int | None) -> None:
    """``--threads n``: every library (fnx, BLAS, XLA, torch) on ``n`` threads; None: defaults."""
    if n is None:
        return
    _limit_threads(n)
    try:
        import torch
        torch.set_num_threads(n)
    except ImportError:
        pass


def emit_table(table: str, out: str | None, append: bool = False) -> None:
    """Print a results table and, with ``out``, write (or append) it as a fenced block."""
    print(table)
    if out:
        os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
        with open(out, "a" if append else "w") as f:
            f.write("```\n" + table + "\n```\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--act", choices=("tanh", "relu"), default="tanh")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per library (default: each library's own default)")
    parser.add_argument("--out", default=None, help="also write the table to this file")
    parser.add_argument("--append", action="store_true", help="append to --out")
    args = parser.parse_args()
    limit_all_threads(args.threads)

    params, x, y = make_problem()
    steps, losses, grads = {}, {}, {}
    for label, (module, setup) in LIBS.items():
        try:
            step, to_np = setup(params, x, y, args.act)
        except ImportError:
            continue
        losses[label], grads[label] = to_np(step())
        steps[label] = step
    times = median_times(steps, args.repeats)

    names = list(times)
    versions = ", ".join(f"{n} {_version(n)}" for n in names)
    workload = (f"value_and_grad MLP {'-'.join(map(str, SIZES))} {args.act}, batch {BATCH}, "
                "softmax CE, f32")
    header = f"{'library':10s}{'median ms':>12s}{'vs fnx':>10s}{'loss':>14s}" \
        f"{'max |grad - fnx grad|':>24s}"
    lines = [f"{time.strftime('%Y-%m-%d %H:%M')}  {os.cpu_count()} cores  {versions}  "
             f"(python benchmarks/bench_grad.py --repeats {args.repeats} --act {args.act}"
             f"{'' if args.threads is None else f' --threads {args.threads}'})  "
             f"load average {os.getloadavg()[0]:.1f}"
             + (f", OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}"
                if "OMP_WAIT_POLICY" in os.environ else ""),
             workload,
             "median time per call (ms), libraries in turns of blocks of calls; "
             "'vs fnx' = library time / fnx time (>1: fnx is faster)",
             header, "-" * len(header)]
    ref = grads.get("fnx")
    for n in names:
        if ref is not None:
            gdiff = max(float(np.max(np.abs(a - b))) for a, b in zip(grads[n], ref))
        else:
            gdiff = float("nan")
        ratio = times[n] / times["fnx"] if "fnx" in times else float("nan")
        lines.append(f"{n:10s}{times[n] * 1e3:12.2f}{ratio:10.2f}{losses[n]:14.6f}{gdiff:24.2e}")
    spread = max(losses.values()) - min(losses.values())
    lines.append("")
    lines.append(f"losses agree to {spread:.2e} (max - min over libraries)")
    emit_table("\n".join(lines), args.out, args.append)


if __name__ == "__main__":
    main()
