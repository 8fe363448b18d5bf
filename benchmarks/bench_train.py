"""End-to-end training: digits MLP 64-128-10, Adam 1e-3, batch 64, 20 epochs.

fnx (fnx.nn + fnx.optim + fnx.data, one jitted step), JAX (jax.jit step, optax when installed,
else the same Adam written out) and PyTorch (eager, torch.optim.Adam) train the same network from
the same initial weights on the same batches in the same order (the fnx DataLoader's
``batch_indices``), and each reports its wall time for the whole run -- including compilation,
data loading and the per-epoch test evaluation -- and its final test accuracy.  Each library runs
in its own fresh process (so none pays for another's threads or caches), ``--runs`` times; the
table shows the median time.  fnx's jit disk cache is pointed at an empty folder per run, so its
times include the C compiler.

    python benchmarks/bench_train.py [--runs 3] [--threads N] [--out benchmarks/results/train.md]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_grad import emit_table  # noqa: E402

EPOCHS, BATCH, LR, HIDDEN, SEED = 20, 64, 1e-3, 128, 0


def _problem():
    """Initial weights (PyTorch's default Linear init, drawn with numpy), the data and the
    batch order shared by all libraries."""
    sys.path.insert(0, ROOT)
    from fnx import data
    train, test = data.load_digits()
    xtr, ytr = train.arrays[0].reshape(len(train), -1), train.arrays[1]
    xte, yte = test.arrays[0].reshape(len(test), -1), test.arrays[1]
    loader = data.DataLoader(train, BATCH, shuffle=True, seed=SEED, drop_last=True)
    order = [loader.batch_indices(e) for e in range(EPOCHS)]
    rng = np.random.default_rng(SEED)

    def linear(fan_in, fan_out):
        bound = 1.0 / np.sqrt(fan_in)
        return (rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32),
                rng.uniform(-bound, bound, fan_out).astype(np.float32))
    w1, b1 = linear(64, HIDDEN)
    w2, b2 = linear(HIDDEN, 10)
    return dict(w1=w1, b1=b1, w2=w2, b2=b2), (xtr, ytr, xte, yte), order, (train, test, loader)


def run_fnx():
    t0 = time.perf_counter()
    import fnx
    import fnx.nn as nn
    import fnx.numpy as fnp
    import fnx.optim as optim
    init, (_, _, xte, yte), _, (train, test, loader) = _problem()
    k1, k2 = fnx.random.split(fnx.random.PRNGKey(SEED))
    l1 = nn.Linear(64, HIDDEN, key=k1).replace(weight=fnp.asarray(init["w1"].T),
                                               bias=fnp.asarray(init["b1"]))
    l2 = nn.Linear(HIDDEN, 10, key=k2).replace(weight=fnp.asarray(init["w2"].T),
                                               bias=fnp.asarray(init["b2"]))
    model = nn.Sequential(nn.Flatten(), l1, nn.relu, l2)
    opt = optim.adam(LR)
    opt_state = opt.init(model)

    @fnx.jit
    def step(model, opt_state, x, y):
        loss, grads = fnx.value_and_grad(lambda m: nn.softmax_cross_entropy(m(x), y))(model)
        updates, opt_state = opt.update(grads, opt_state, model)
        return optim.apply_updates(model, updates), opt_state, loss

    @fnx.jit
    def accuracy(model, x, y):
        return fnp.mean(fnp.argmax(model(x), -1) == y)

    xt, yt = fnp.asarray(test.arrays[0]), fnp.asarray(yte)
    for _ in range(EPOCHS):
        for x, y in loader:
            model, opt_state, loss = step(model, opt_state, x, y)
        acc = float(accuracy(model, xt, yt))
    return time.perf_counter() - t0, acc


def run_jax():
    t0 = time.perf_counter()
    import jax
    import jax.numpy as jnp
    init, (xtr, ytr, xte, yte), order, _ = _problem()
    params = {k: jnp.asarray(v) for k, v in init.items()}

    def forward(p, x):
        return jnp.maximum(x @ p["w1"] + p["b1"], 0) @ p["w2"] + p["b2"]

    def loss_fn(p, x, y):
        logp = jax.nn.log_softmax(forward(p, x))
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], 1))

    try:
        import optax
        opt = optax.adam(LR)
        opt_state = opt.init(params)

        def update(grads, state, p):
            updates, state = opt.update(grads, state, p)
            return optax.apply_updates(p, updates), state
    except ImportError:
        opt_state = (jnp.zeros((), jnp.int32), jax.tree_util.tree_map(jnp.zeros_like, params),
                     jax.tree_util.tree_map(jnp.zeros_like, params))

        def update(grads, state, p):
            t, m, v = state
            t = t + 1
            m = jax.tree_util.tree_map(lambda m, g: 0.9 * m + 0.1 * g, m, grads)
            v = jax.tree_util.tree_map(lambda v, g: 0.999 * v + 0.001 * g * g, v, grads)
            c1, c2 = 1 - 0.9 ** t, 1 - 0.999 ** t
            p = jax.tree_util.tree_map(
                lambda p, m, v: p - LR * (m / c1) / (jnp.sqrt(v / c2) + 1e-8), p, m, v)
            return p, (t, m, v)

    @jax.jit
    def step(p, state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(p, x, y)
        p, state = update(grads, state, p)
        return p, state, loss

    @jax.jit
    def accuracy(p, x, y):
        return jnp.mean(jnp.argmax(forward(p, x), -1) == y)

    for epoch in range(EPOCHS):
        for idx in order[epoch]:
            params, opt_state, loss = step(params, opt_state, xtr[idx], ytr[idx])
        acc = float(accuracy(params, xte, yte))
    return time.perf_counter() - t0, acc


def run_torch():
    t0 = time.perf_counter()
    import torch
    init, (xtr, ytr, xte, yte), order, _ = _problem()
    model = torch.nn.Sequential(torch.nn.Linear(64, HIDDEN), torch.nn.ReLU(),
                                torch.nn.Linear(HIDDEN, 10))
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(init["w1"].T))
        model[0].bias.copy_(torch.from_numpy(init["b1"]))
        model[2].weight.copy_(torch.from_numpy(init["w2"].T))
        model[2].bias.copy_(torch.from_numpy(init["b2"]))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    xtr_t, ytr_t = torch.from_numpy(xtr), torch.from_numpy(ytr.astype(np.int64))
    xte_t, yte_t = torch.from_numpy(xte), torch.from_numpy(yte.astype(np.int64))
    for epoch in range(EPOCHS):
        for idx in order[epoch]:
            i = torch.from_numpy(idx)
            loss = torch.nn.functional.cross_entropy(model(xtr_t[i]), ytr_t[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            acc = float((model(xte_t).argmax(-1) == yte_t).float().mean())
    return time.perf_counter() - t0, acc


RUNNERS = {"fnx": run_fnx, "jax": run_jax, "torch": run_torch}


def _child(lib):
    seconds, acc = RUNNERS[lib]()
    print(json.dumps({"seconds": seconds, "acc": acc}))


def _spawn(lib, python, threads):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if threads:
        env.update({k: str(threads) for k in ("FNX_NUM_THREADS", "OMP_NUM_THREADS",
                                              "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")})
    with tempfile.TemporaryDirectory() as cache:
        env["FNX_CACHE_DIR"] = cache      # a cold jit cache: compile time counts
        t0 = time.perf_counter()
        res = subprocess.run([python, __file__, "--child", lib], capture_output=True, text=True,
                             env=env)
        wall = time.perf_counter() - t0
    if res.returncode != 0:
        if "ModuleNotFoundError" in res.stderr or "ImportError" in res.stderr:
            return None
        raise RuntimeError(f"{lib} failed:\n{res.stderr[-3000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["process"] = wall
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--python", default=sys.executable,
                   help="interpreter for the peers (needs jax / torch to include them)")
    p.add_argument("--out", default=None)
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return _child(args.child)
    results = {}
    for _ in range(args.runs):          # libraries take turns, so drift affects all alike
        for lib in RUNNERS:
            r = _spawn(lib, args.python, args.threads)
            if r is not None:
                results.setdefault(lib, []).append(r)
    base = results.get("fnx")
    lines = [f"digits MLP 64-{HIDDEN}-10, Adam {LR}, batch {BATCH}, {EPOCHS} epochs; median of "
             f"{args.runs} fresh processes; threads: {args.threads or 'default'}", "",
             "| library | train+eval s (incl. compile) | process s (incl. imports) | "
             "vs fnx | final test acc |", "|---|---|---|---|---|"]
    for lib, rs in results.items():
        t = float(np.median([r["seconds"] for r in rs]))
        proc = float(np.median([r["process"] for r in rs]))
        ratio = t / float(np.median([r["seconds"] for r in base])) if base else float("nan")
        accs = ", ".join(f"{r['acc']:.4f}" for r in rs)
        lines.append(f"| {lib} | {t:.2f} | {proc:.2f} | {ratio:.2f}x | {accs} |")
    emit_table("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
