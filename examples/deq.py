"""A deep equilibrium model (DEQ) on the bundled 8x8 digits, trained by implicit differentiation.

    python examples/deq.py          # bundled digits: ~0.99 test accuracy in ~10 s (CPU)

Model: the image x is injected once, u = LayerNorm(W_in x); the hidden state is the equilibrium
z* = f(z*, u) of the cell

    f(z, u) = relu(W z + u + b),   W = gamma * V / sigma_max(V)     (spectral normalization)

found by ``fnx.lax.fixed_point`` (plain iteration from z = 0 until a step changes z by at most
``tol * (1 + max|z|)``, or ``--max-iter`` steps), then a linear classifier on z*.  The gradient
comes from the implicit function theorem: ``fixed_point``'s custom VJP solves the adjoint
equation g = z_bar + (d_z f)^T g at z* (one more fixed point) -- no iteration of the forward
solve is stored or backpropagated through, so a training step's memory does not grow with the
number of solver iterations.

Why this cell: relu is 1-Lipschitz and ||W||_2 = gamma < 1, so f is a contraction in z with
rate gamma for every input: the equilibrium exists and is unique (Banach), plain iteration
converges geometrically, and so does the adjoint iteration (||(d_z f)^T|| <= gamma).  A
LayerNorm *after* the relu (the "norm(relu(...))" of the original DEQ cells) would void this
bound -- it divides by the activations' standard deviation, so its Lipschitz constant is not
bounded -- hence the normalization sits on W (and a LayerNorm on the injection u, which does
not touch the z-dependence).  sigma_max(V) is exact (an SVD of the H x H matrix each step) and
differentiated through, so W's spectral norm is gamma at every step, not an estimate.
The forward solver is plain iteration (``fixed_point``'s; no Anderson acceleration): with
gamma = 0.8 it meets tol = 1e-4 in ~25 iterations on trained weights, reported per epoch through
``fixed_point(..., return_iterations=True)``.

Prints per epoch the mean / max forward solver iterations, train loss / accuracy and test
accuracy; OUT/history.json, OUT/curves.png (matplotlib), an atomic OUT/checkpoint.fnx each epoch
and ``--resume``.  At the end of a run it prints (and writes to OUT/memory.json) the planned peak
memory of one jitted training step (``fnx.jit(step).lower(...).compile().peak_bytes``: the
compiler's plan of live buffer bytes, loop workspaces included) for the DEQ against an
explicit network of equal depth: f unrolled for the DEQ's mean forward iteration count in the
last epoch, trained by backpropagating through the unrolled applications.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fnx  # noqa: E402
import fnx.nn as nn  # noqa: E402
import fnx.numpy as fnp  # noqa: E402
import fnx.optim as optim  # noqa: E402
from common import (LOSS_AND_ACCURACY, _progress, _read_history,  # noqa: E402
                    _write_history, save_panels)
from fnx import data  # noqa: E402
from fnx.errors import InvalidArgumentError  # noqa: E402


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------

class DEQClassifier(nn.Module):
    """Input injection -> equilibrium of the spectrally normalized relu cell -> linear head.

    Solver settings (``gamma``, ``max_iter``, ``tol``) are static fields: part of the jit key.
    """

    def __init__(self, in_dim: int, hidden: int, num_classes: int = 10, *, gamma: float = 0.8,
                 max_iter: int = 50, tol: float = 1e-4, key):
        if not 0.0 < gamma < 1.0:
            raise InvalidArgumentError(f"DEQClassifier: gamma must be in (0, 1) for a contraction, "
                             f"got {gamma}")
        k_in, k_cell, k_head = fnx.random.split(key, 3)
        self.inject = nn.Linear(in_dim, hidden, key=k_in)
        self.inject_norm = nn.LayerNorm(hidden)
        self.cell_v = nn.init.normal(k_cell, (hidden, hidden), std=1.0 / math.sqrt(hidden))
        self.cell_bias = fnp.zeros((hidden,))
        self.head = nn.Linear(hidden, num_classes, key=k_head)
        self.gamma, self.max_iter, self.tol = float(gamma), int(max_iter), float(tol)

    def cell_weight(self):
        """W = gamma V / sigma_max(V): spectral norm exactly gamma, so f contracts in z."""
        return self.gamma * self.cell_v / fnp.linalg.norm(self.cell_v, 2)

    def injection(self, x):
        return self.inject_norm(self.inject(x.reshape(x.shape[0], -1)))

    def equilibrium(self, x):
        """(z*, forward iterations): z* = f(z*, u) by fnx.lax.fixed_point."""
        u = self.injection(x)
        z0 = fnp.zeros(u.shape, u.dtype)
        return fnx.lax.fixed_point(cell, (self.cell_weight(), self.cell_bias, u), z0,
                                   max_iter=self.max_iter, tol=self.tol,
                                   return_iterations=True)

    def __call__(self, x, *, key=None, train=False):
        """(logits, forward solver iterations)."""
        z, iterations = self.equilibrium(x)
        return self.head(z), iterations

    def unrolled(self, x, depth: int):
        """The explicit network of the same cell: f applied ``depth`` times from z = 0, every
        application an ordinary layer (backpropagated through)."""
        params = (self.cell_weight(), self.cell_bias, self.injection(x))
        z = fnp.zeros(params[2].shape, params[2].dtype)
        for _ in range(depth):
            z = cell(params, z)
        return self.head(z)


def cell(params, z):
    """f(z, u) = relu(z W^T + u + b) on a batch of hidden states z (B, H)."""
    w, b, u = params
    return nn.relu(z @ w.T + u + b)


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

def deq_loss(model, x, y):
    logits, iterations = model(x)
    return nn.softmax_cross_entropy(logits, y), (logits, iterations)


def unrolled_loss(model, x, y, depth):
    return nn.softmax_cross_entropy(model.unrolled(x, depth), y)


def make_steps(opt):
    @fnx.jit
    def train_step(model, opt_state, x, y):
        (loss, (logits, iterations)), grads = fnx.value_and_grad(deq_loss, has_aux=True)(
            model, x, y)
        updates, opt_state = opt.update(grads, opt_state, model)
        model = optim.apply_updates(model, updates)
        return model, opt_state, loss, fnp.sum(fnp.argmax(logits, -1) == y), iterations

    @fnx.jit
    def eval_step(model, x, y):
        logits, iterations = model(x)
        return fnp.sum(fnp.argmax(logits, -1) == y), iterations

    return train_step, eval_step


def training_step_peak_bytes(model, x, y, depth=None) -> int:
    """Planned peak of live buffer bytes of one jitted value_and_grad of the loss: the DEQ's
    (``depth=None``) or the depth-``depth`` unrolled network's."""
    if depth is None:
        step = fnx.jit(fnx.value_and_grad(deq_loss, has_aux=True))
        return step.lower(model, x, y).compile().peak_bytes
    step = fnx.jit(fnx.value_and_grad(unrolled_loss), static_argnums=3)
    return step.lower(model, x, y, depth).compile().peak_bytes


def compare_memory(model, x, y, depth: int, out_dir: str) -> dict:
    deq = training_step_peak_bytes(model, x, y)
    explicit = training_step_peak_bytes(model, x, y, depth)
    record = {"method": "planned peak live bytes of the jitted training step "
                        "(fnx.jit(...).lower(...).compile().peak_bytes)",
              "batch": int(x.shape[0]), "hidden": int(model.cell_bias.shape[0]),
              "depth": depth, "deq_bytes": int(deq), "explicit_bytes": int(explicit)}
    print(f"memory of one training step (jit planned peak, batch {x.shape[0]}): DEQ "
          f"{deq / 1024:.1f} KiB vs explicit depth-{depth} unrolled network "
          f"{explicit / 1024:.1f} KiB ({explicit / deq:.1f}x)", flush=True)
    path = os.path.join(out_dir, "memory.json")
    with open(path + ".tmp", "w") as f:
        json.dump(record, f, indent=1)
    os.replace(path + ".tmp", path)
    return record


def evaluate(eval_step, model, loader, to_device):
    correct = total = 0
    iterations = []
    for x, y in loader:
        x, y = to_device((x, y))
        c, n = eval_step(model, x, y)
        correct += int(c)
        total += x.shape[0]
        iterations.append(int(n))
    return correct / total, iterations


def save_curves(history, path) -> bool:
    """Loss, accuracy and the forward solver's iteration counts per epoch."""
    return save_panels(history, path, LOSS_AND_ACCURACY + [
        ("forward solver iterations", "iterations",
         [("fwd_iters_mean", "mean"), ("fwd_iters_max", "max")])])


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--gamma", type=float, default=0.8,
                   help="spectral norm of the cell's W (< 1: a contraction)")
    p.add_argument("--max-iter", type=int, default=50, help="forward / adjoint solver cap")
    p.add_argument("--tol", type=float, default=1e-4, help="solver tolerance (relative)")
    p.add_argument("--train-subset", type=int, default=None, metavar="N",
                   help="train on the first N examples only (quick runs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/deq", help="checkpoint, history and plot folder")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.fnx")
    p.add_argument("--stop-after", type=int, default=None, metavar="N",
                   help="stop after N epochs of this run (continue later with --resume)")
    p.add_argument("--no-memory", action="store_true",
                   help="skip the DEQ vs explicit network memory comparison")
    p.add_argument("--no-progress", action="store_true", help="no tqdm progress bars")
    p.add_argument("--device", default="cpu",
                   help="cpu, cuda or cuda:N (a GPU needs cupy: pip install -e '.[cuda]')")
    return p.parse_args(argv)


def initial_state(args, in_dim: int, train_size: int):
    """(optimizer, the training state before epoch 1): also the checkpoint's template."""
    key, init_key = fnx.random.split(fnx.random.PRNGKey(args.seed))
    model = DEQClassifier(in_dim, args.hidden, 10, gamma=args.gamma, max_iter=args.max_iter,
                          tol=args.tol, key=init_key)
    steps = args.epochs * (train_size // args.batch_size)
    opt = optim.adamw(optim.cosine_decay_schedule(args.lr, max(steps, 1)),
                      weight_decay=args.weight_decay)
    return opt, {"model": model, "opt_state": opt.init(model), "key": key, "epoch": 0}


def load_data(args):
    train_set, test_set = data.load_digits()
    if args.train_subset is not None:
        train_set = data.ArrayDataset(*(a[:args.train_subset] for a in train_set.arrays))
    return train_set, test_set


def main(argv=None) -> float:
    t_start = time.perf_counter()
    args = parse_args(argv)
    train_set, test_set = load_data(args)
    in_dim = int(np.prod(train_set.arrays[0].shape[1:]))
    opt, template = initial_state(args, in_dim, len(train_set))
    model, opt_state, key = template["model"], template["opt_state"], template["key"]
    print(f"digits: {len(train_set)} train / {len(test_set)} test examples; DEQ with "
          f"{nn.count_params(model):,} parameters (hidden {args.hidden}, gamma {args.gamma}, "
          f"tol {args.tol}, max_iter {args.max_iter})")

    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "checkpoint.fnx")
    history, start_epoch = [], 0
    if args.resume and os.path.exists(ckpt_path):
        ckpt = fnx.io.load(ckpt_path, like=template)
        model, opt_state, key = ckpt["model"], ckpt["opt_state"], ckpt["key"]
        start_epoch = int(ckpt["epoch"])
        history = [h for h in _read_history(args.out) if h["epoch"] <= start_epoch]
        print(f"resumed from {ckpt_path} after epoch {start_epoch}")
    device = None if args.device == "cpu" else args.device
    to_device = (lambda tree: tree) if device is None else (
        lambda tree: fnx.device_put(tree, device))
    model, opt_state = to_device((model, opt_state))
    train_loader = data.DataLoader(train_set, args.batch_size, shuffle=True, seed=args.seed,
                                   drop_last=True)
    test_loader = data.DataLoader(test_set, 512)
    train_step, eval_step = make_steps(opt)
    measure_memory = not args.no_memory and not os.path.exists(
        os.path.join(args.out, "memory.json"))

    last = args.epochs if args.stop_after is None else min(args.epochs,
                                                            start_epoch + args.stop_after)
    for epoch in range(start_epoch, last):
        train_loader.set_epoch(epoch)
        t0 = time.perf_counter()
        loss_sum, correct, seen, iterations = 0.0, 0, 0, []
        for x, y in _progress(train_loader, len(train_loader), f"epoch {epoch + 1}",
                              not args.no_progress):
            x, y = to_device((x, y))
            model, opt_state, loss, c, n = train_step(model, opt_state, x, y)
            loss_sum += float(loss) * x.shape[0]
            correct += int(c)
            seen += x.shape[0]
            iterations.append(int(n))
        test_acc, test_iterations = evaluate(eval_step, model, test_loader, to_device)
        record = {"epoch": epoch + 1, "train_loss": loss_sum / seen, "train_acc": correct / seen,
                  "test_acc": test_acc, "fwd_iters_mean": float(np.mean(iterations)),
                  "fwd_iters_max": int(np.max(iterations)),
                  "test_fwd_iters_max": int(np.max(test_iterations))}
        history.append(record)
        print(f"epoch {epoch + 1:2d}  fwd iters mean {record['fwd_iters_mean']:.1f} max "
              f"{record['fwd_iters_max']}  train loss {record['train_loss']:.4f}  "
              f"train acc {record['train_acc']:.4f}  test acc {test_acc:.4f}  "
              f"({time.perf_counter() - t0:.2f} s)", flush=True)
        fnx.io.save(ckpt_path, fnx.device_put({"model": model, "opt_state": opt_state,
                                               "key": key, "epoch": epoch + 1}))
        _write_history(args.out, history)
        if measure_memory and epoch == last - 1:   # once, at the depth the solver ran last
            x, y = (fnp.asarray(a[:args.batch_size]) for a in train_set.arrays)
            compare_memory(fnx.device_put(model), x, y,
                           max(1, round(record["fwd_iters_mean"])), args.out)
            measure_memory = False
    curves = os.path.join(args.out, "curves.png")
    if history:
        save_curves(history, curves)
    final = history[-1]["test_acc"] if history else float("nan")
    print(f"final test_acc {final:.4f} in {time.perf_counter() - t_start:.1f} s")
    return final


if __name__ == "__main__":
    main()
