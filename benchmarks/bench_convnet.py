"""A small conv-net SGD training step, fnx.jit against jax.jit and PyTorch (when installed).

The network (issue 8's benchmark): batch 32 of 3x32x32 images ->
conv 3x3 3->16 (pad 1) -> relu -> max-pool 2 -> conv 3x3 16->32 (pad 1) -> relu -> max-pool 2
-> flatten (2048) -> linear 2048->10 -> softmax cross-entropy; one step = forward, backward and
the SGD update of all parameters.  fnx and JAX run NHWC / HWIO (their native CPU layout; JAX
and fnx accept NCHW through dimension_numbers too), PyTorch its native NCHW (and, second row,
channels_last).  Every library starts from the same parameters and batch, and the first step's
losses are printed so a reader can see they compute the same thing.  Times are medians of
repeated steps, the libraries taking turns (bench_grad.median_times).

    python benchmarks/bench_convnet.py [--threads N] [--out benchmarks/results/convnet.md]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_grad import limit_all_threads, _version, emit_table, median_times  # noqa: E402

BATCH, LR = 32, 0.01


def _init(seed=0):
    rng = np.random.default_rng(seed)

    def he(shape, fan_in):
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    params = {"w1": he((3, 3, 3, 16), 27), "b1": np.zeros(16, np.float32),
              "w2": he((3, 3, 16, 32), 144), "b2": np.zeros(32, np.float32),
              "w3": he((2048, 10), 2048), "b3": np.zeros(10, np.float32)}
    x = rng.standard_normal((BATCH, 32, 32, 3)).astype(np.float32)       # NHWC
    y = rng.integers(0, 10, BATCH).astype(np.int32)
    return params, x, y


def _fnx_step(params, x, y):
    import fnx
    import fnx.numpy as fnp
    from fnx import lax

    def conv_block(h, w, b):
        h = lax.conv_general_dilated(h, w, (1, 1), "SAME",
                                     dimension_numbers=("NHWC", "HWIO", "NHWC"))
        return lax.max_pool(fnp.maximum(h + b, 0.0), (2, 2), (2, 2))

    def loss(p, x, y):
        h = conv_block(x, p["w1"], p["b1"])
        h = conv_block(h, p["w2"], p["b2"])
        logits = h.reshape(x.shape[0], -1) @ p["w3"] + p["b3"]
        logp = logits - fnp.max(logits, -1, keepdims=True)
        logp = logp - fnp.log(fnp.sum(fnp.exp(logp), -1, keepdims=True))
        return -fnp.mean(fnp.take_along_axis(logp, y[:, None], axis=1))

    @fnx.jit
    def step(p, x, y):
        value, grads = fnx.value_and_grad(loss)(p, x, y)
        return fnx.tree.map(lambda a, g: a - LR * g, p, grads), value

    state = {"p": {k: fnp.asarray(v) for k, v in params.items()}}
    xs, ys = fnp.asarray(x), fnp.asarray(y)

    def run():
        state["p"], value = step(state["p"], xs, ys)
        return value
    return run


def _jax_step(params, x, y):
    import jax
    import jax.numpy as jnp

    def conv_block(h, w, b):
        h = jax.lax.conv_general_dilated(h, w, (1, 1), "SAME",
                                         dimension_numbers=("NHWC", "HWIO", "NHWC"))
        h = jnp.maximum(h + b, 0.0)
        return jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1),
                                     "VALID")

    def loss(p, x, y):
        h = conv_block(x, p["w1"], p["b1"])
        h = conv_block(h, p["w2"], p["b2"])
        logits = h.reshape(x.shape[0], -1) @ p["w3"] + p["b3"]
        logp = jax.nn.log_softmax(logits)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    @jax.jit
    def step(p, x, y):
        value, grads = jax.value_and_grad(loss)(p, x, y)
        return jax.tree_util.tree_map(lambda a, g: a - LR * g, p, grads), value

    state = {"p": {k: jnp.asarray(v) for k, v in params.items()}}
    xs, ys = jnp.asarray(x), jnp.asarray(y)

    def run():
        state["p"], value = step(state["p"], xs, ys)
        return value.block_until_ready()
    return run


def _torch_step(params, x, y, channels_last=False):
    import torch
    import torch.nn.functional as F
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    # HWIO -> OIHW; the linear layer sees the NHWC flattening order of fnx / JAX
    p = {"w1": torch.tensor(params["w1"].transpose(3, 2, 0, 1)).contiguous(memory_format=fmt),
         "w2": torch.tensor(params["w2"].transpose(3, 2, 0, 1)).contiguous(memory_format=fmt),
         "w3": torch.tensor(params["w3"]), "b1": torch.tensor(params["b1"]),
         "b2": torch.tensor(params["b2"]), "b3": torch.tensor(params["b3"])}
    for v in p.values():
        v.requires_grad_(True)
    xs = torch.tensor(x.transpose(0, 3, 1, 2)).contiguous(memory_format=fmt)
    ys = torch.tensor(y.astype(np.int64))

    def run():
        h = F.max_pool2d(F.relu(F.conv2d(xs, p["w1"], p["b1"], padding=1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, p["w2"], p["b2"], padding=1)), 2)
        logits = h.permute(0, 2, 3, 1).reshape(BATCH, -1) @ p["w3"] + p["b3"]
        loss = F.cross_entropy(logits, ys)
        for v in p.values():
            v.grad = None
        loss.backward()
        with torch.no_grad():
            for v in p.values():
                v -= LR * v.grad
        return loss.detach()
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=60)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    limit_all_threads(args.threads)
    params, x, y = _init()
    steps = {"fnx.jit": _fnx_step(params, x, y)}
    try:
        steps["jax.jit"] = _jax_step(params, x, y)
    except ImportError:
        pass
    try:
        steps["torch"] = _torch_step(params, x, y)
        steps["torch channels_last"] = _torch_step(params, x, y, channels_last=True)
    except ImportError:
        pass
    first = {k: float(np.asarray(f())) for k, f in steps.items()}   # also compiles
    t = median_times(steps, args.repeats)
    base = t.get("torch")
    lines = [f"conv-net SGD step, batch {BATCH}, 3x32x32, threads: {args.threads or 'default'}"
             f" (fnx {_version('fnx')}, jax {_version('jax')}, torch {_version('torch')})",
             "", "| library | ms / step (median) | vs torch | first-step loss |",
             "|---|---|---|---|"]
    for k in steps:
        ratio = f"{t[k] / base:.2f}x" if base else "-"
        lines.append(f"| {k} | {t[k] * 1e3:.3f} | {ratio} | {first[k]:.5f} |")
    emit_table("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
