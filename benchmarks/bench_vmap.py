"""Per-example gradients: ``vmap(grad(loss))`` of an MLP, fnx against a Python loop of
``fnx.grad``, JAX (``jax.vmap(jax.grad(loss))`` eager, and under ``jax.jit`` as an extra row)
and PyTorch (``torch.func.vmap(torch.func.grad(loss))``) when they are installed.

The model: 784-256-10, tanh hidden layer, softmax cross-entropy of ONE example with an integer
label (``-(logits - logsumexp(logits))[y]``), float32; batches of 64 and 256 examples; every
library gets the same weights and data.  ``vmap(grad(loss), in_axes=(None, 0, 0))(params, x,
y)`` returns one gradient per example (leaves of shape ``(batch,) + param.shape``).  Prints one
table of median times per call (and each row's ratio to fnx's vmap measured in the same run)
and the largest difference of each row's per-example gradients from fnx's vmap.

Timing follows ``bench_grad.py``: the rows take turns in blocks of calls (two untimed warm-up
calls per block), medians over ``--repeats`` timed calls.  ``--threads N`` limits every library
to N threads (FNX_NUM_THREADS, OMP/MKL/OpenBLAS, XLA, torch.set_num_threads); without it each
library uses its default.  The header records the cores, versions, threads, load and
OMP_WAIT_POLICY (see bench_grad.py on oversubscription).

Usage:  python benchmarks/bench_vmap.py [--repeats 7] [--batches 64 256] [--threads N]
        [--out benchmarks/results/vmap.md [--append]] [--no-loop]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_grad import _limit_threads, _version, emit_table, median_times  # noqa: E402

SIZES = (784, 256, 10)
BATCHES = (64, 256)
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "vmap.md")


def make_problem(batch: int, seed: int = 0):
    """Weights (Glorot-ish), inputs and integer labels as numpy arrays (float32 / int32)."""
    rng = np.random.default_rng(seed)
    (n_in, n_hidden, n_out) = SIZES
    params = {
        "w1": (rng.standard_normal((n_in, n_hidden)) / np.sqrt(n_in)).astype(np.float32),
        "b1": (rng.standard_normal(n_hidden) * 0.01).astype(np.float32),
        "w2": (rng.standard_normal((n_hidden, n_out)) / np.sqrt(n_hidden)).astype(np.float32),
        "b2": (rng.standard_normal(n_out) * 0.01).astype(np.float32),
    }
    x = rng.standard_normal((batch, n_in)).astype(np.float32)
    y = rng.integers(0, n_out, batch).astype(np.int32)
    return params, x, y


KEYS = ("w1", "b1", "w2", "b2")


# ---------------------------------------------------------------------------------------------
# One setup per row: returns (step, to_numpy) where step() computes the per-example gradients
# once and to_numpy(result) gives them as {name: numpy array of shape (batch,) + param shape}.
# ---------------------------------------------------------------------------------------------

def _fnx_loss():
    import fnx.numpy as fnp

    def loss(p, x, y):
        h = fnp.tanh(x @ p["w1"] + p["b1"])
        logits = h @ p["w2"] + p["b2"]
        return -(logits - fnp.logsumexp(logits))[y]
    return loss


def _fnx_arrays(params, x, y):
    import fnx.numpy as fnp
    return {k: fnp.asarray(v) for k, v in params.items()}, fnp.asarray(x), fnp.asarray(y)


def _fnx_to_np(g):
    return {k: np.asarray(g[k]) for k in KEYS}


def fnx_vmap_setup(params, x, y):
    import fnx
    p, xa, ya = _fnx_arrays(params, x, y)
    per_example = fnx.vmap(fnx.grad(_fnx_loss()), in_axes=(None, 0, 0))

    def step():
        return per_example(p, xa, ya)
    return step, _fnx_to_np


def fnx_loop_setup(params, x, y):
    import fnx
    import fnx.numpy as fnp
    p, _, _ = _fnx_arrays(params, x, y)
    g = fnx.grad(_fnx_loss())
    rows = [(fnp.asarray(x[i]), fnp.asarray(y[i])) for i in range(x.shape[0])]

    def step():
        # the slicing is done once outside: only the gradients are timed
        return [g(p, xi, yi) for xi, yi in rows]

    def to_np(gs):
        return {k: np.stack([np.asarray(gi[k]) for gi in gs]) for k in KEYS}
    return step, to_np


def _jax_fn(jit: bool):
    def setup(params, x, y):
        import jax
        jax.config.update("jax_platforms", "cpu")
        import jax.numpy as jnp
        from jax.scipy.special import logsumexp

        def loss(p, x, y):
            h = jnp.tanh(x @ p["w1"] + p["b1"])
            logits = h @ p["w2"] + p["b2"]
            return -(logits - logsumexp(logits))[y]

        p = {k: jnp.asarray(v) for k, v in params.items()}
        xa, ya = jnp.asarray(x), jnp.asarray(y)
        per_example = jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))
        if jit:
            per_example = jax.jit(per_example)

        def step():
            out = per_example(p, xa, ya)
            jax.block_until_ready(out)
            return out

        return step, lambda g: {k: np.asarray(g[k]) for k in KEYS}
    return setup


def torch_setup(params, x, y):
    import torch
    from torch.func import grad, vmap

    def loss(p, x, y):
        h = torch.tanh(x @ p["w1"] + p["b1"])
        logits = h @ p["w2"] + p["b2"]
        logp = logits - torch.logsumexp(logits, dim=-1)
        return -torch.gather(logp, 0, y.reshape(1).long()).squeeze(0)

    p = {k: torch.from_numpy(v.copy()) for k, v in params.items()}
    xt, yt = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
    per_example = vmap(grad(loss), in_dims=(None, 0, 0))

    def step():
        with torch.no_grad():
            return per_example(p, xt, yt)
    return step, lambda g: {k: g[k].numpy() for k in KEYS}


ROWS = {
    "fnx vmap(grad)": ("fnx", fnx_vmap_setup),
    "fnx loop of grad": ("fnx", fnx_loop_setup),
    "jax vmap(grad)": ("jax", _jax_fn(False)),
    "jax jit(vmap(grad))": ("jax", _jax_fn(True)),
    "torch vmap(grad)": ("torch", torch_setup),
}
REF = "fnx vmap(grad)"


def _threads_info() -> str:
    parts = [f"FNX_NUM_THREADS={os.environ.get('FNX_NUM_THREADS', 'default')}",
             f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'default')}"]
    if "torch" in sys.modules:
        parts.append(f"torch threads={sys.modules['torch'].get_num_threads()}")
    if "OMP_WAIT_POLICY" in os.environ:
        parts.append(f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    return ", ".join(parts)


def run_batch(batch: int, repeats: int, rows: dict):
    """({row: median seconds}, {row: max |grad - fnx vmap grad|}) for one batch size."""
    params, x, y = make_problem(batch)
    steps, grads = {}, {}
    for label, (_, setup) in rows.items():
        try:
            step, to_np = setup(params, x, y)
        except ImportError:
            continue
        grads[label] = to_np(step())
        steps[label] = step
    times = median_times(steps, repeats)
    ref = grads.get(REF)
    diffs = {}
    for label, g in grads.items():
        for k in KEYS:
            assert g[k].shape == (batch,) + params[k].shape, (label, k, g[k].shape)
        diffs[label] = (max(float(np.max(np.abs(g[k] - ref[k]))) for k in KEYS)
                        if ref is not None else float("nan"))
    return times, diffs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batches", type=int, nargs="+", default=list(BATCHES))
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per library (default: each library's own default)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="write the table to this file "
                        "('' for none)")
    parser.add_argument("--append", action="store_true", help="append to --out")
    parser.add_argument("--no-loop", action="store_true", help="skip the (slow) fnx loop row")
    args = parser.parse_args()
    if args.threads is not None:
        _limit_threads(args.threads)
        try:
            import torch
            torch.set_num_threads(args.threads)
        except ImportError:
            pass

    rows = {k: v for k, v in ROWS.items() if not (args.no_loop and k == "fnx loop of grad")}
    results = {b: run_batch(b, args.repeats, rows) for b in args.batches}
    present = [r for r in rows if any(r in results[b][0] for b in args.batches)]
    libs = sorted({rows[r][0] for r in present}, key=["fnx", "jax", "torch"].index)

    command = " ".join(["python benchmarks/bench_vmap.py"] + sys.argv[1:])
    header = f"{'method':22s}" + "".join(f"{f'batch {b} ms':>15s}{'vs fnx vmap':>13s}"
                                          for b in args.batches) + \
        f"{'max |g - fnx vmap g|':>23s}"
    lines = [f"{time.strftime('%Y-%m-%d %H:%M')}  {os.cpu_count()} cores  "
             f"{', '.join(f'{n} {_version(n)}' for n in libs)}  ({command})  "
             f"load average {os.getloadavg()[0]:.1f}  threads: {_threads_info()}",
             f"per-example gradients, MLP {'-'.join(map(str, SIZES))} tanh, softmax CE with an "
             "integer label per example, f32: vmap(grad(loss), in_axes=(None, 0, 0))",
             f"median time per call (ms) over {args.repeats} calls, rows in turns of blocks of "
             "calls; 'vs fnx vmap' = row time / fnx vmap time (>1: fnx vmap is faster)",
             header, "-" * len(header)]
    for r in present:
        cells = ""
        for b in args.batches:
            times = results[b][0]
            if r in times:
                ratio = times[r] / times[REF] if REF in times else float("nan")
                cells += f"{times[r] * 1e3:15.2f}{ratio:13.2f}"
            else:
                cells += f"{'-':>15s}{'-':>13s}"
        diff = max(results[b][1].get(r, 0.0) for b in args.batches)
        lines.append(f"{r:22s}{cells}{diff:23.2e}")
    emit_table("\n".join(lines), args.out, args.append)


if __name__ == "__main__":
    main()
