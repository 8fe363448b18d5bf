"""The training loop the image-classification examples share (mlp_resnet.py, cnn.py,
resnet9.py).

``fit`` trains an ``fnx.nn`` model (BatchNorm state threaded explicitly) with an ``fnx.optim``
optimizer under ``jit(value_and_grad)``: a progress bar per epoch (tqdm, when installed), the
train loss / accuracy and test accuracy per epoch, a checkpoint each epoch (``out``/checkpoint.fnx,
written atomically: model, BatchNorm state, optimizer state, PRNG key, epoch), the metrics in
``out``/history.json, a PNG of the curves at the end (``out``/curves.png, when matplotlib is
installed), and ``resume=True`` to continue from the checkpoint.  The last line printed is
``final test_acc <accuracy> in <seconds> s``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optim as optim
from fnx import data


def add_training_args(p: argparse.ArgumentParser, *, epochs: int, lr: float, out: str):
    p.add_argument("--dataset", choices=("digits", "mnist"), default="digits")
    p.add_argument("--data-dir", default=None, help="folder with the MNIST IDX files")
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=out, help="checkpoint, history and plot folder")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.fnx")
    p.add_argument("--stop-after", type=int, default=None, metavar="N",
                   help="stop after N epochs of this run (continue later with --resume)")
    p.add_argument("--no-progress", action="store_true", help="no tqdm progress bars")
    p.add_argument("--device", default="cpu",
                   help="cpu, cuda or cuda:N (a GPU needs cupy: pip install -e '.[cuda]')")


def load_data(args):
    """(train, test) datasets: the bundled digits, or MNIST from --data-dir."""
    if args.dataset == "digits":
        return data.load_digits()
    if not args.data_dir:
        sys.exit("--dataset mnist needs --data-dir DIR holding the MNIST IDX files")
    return data.load_mnist(args.data_dir, "train"), data.load_mnist(args.data_dir, "test")


def make_steps(opt):
    """The jitted train and eval steps (the model and its BatchNorm state are pytrees)."""

    def loss_fn(model, state, x, y, key):
        logits, state = model(x, state, key=key, train=True)
        return nn.softmax_cross_entropy(logits, y), (logits, state)

    @fnx.jit
    def train_step(model, opt_state, state, x, y, key):
        (loss, (logits, state)), grads = fnx.value_and_grad(loss_fn, has_aux=True)(
            model, state, x, y, key)
        updates, opt_state = opt.update(grads, opt_state, model)
        model = optim.apply_updates(model, updates)
        correct = fnp.sum(fnp.argmax(logits, -1) == y)
        return model, opt_state, state, loss, correct

    @fnx.jit
    def eval_step(model, state, x, y):
        logits, _ = model(x, state, train=False)
        return fnp.sum(fnp.argmax(logits, -1) == y)

    return train_step, eval_step


def _progress(iterable, total, desc, enabled):
    if enabled:
        try:
            from tqdm import tqdm
            return tqdm(iterable, total=total, desc=desc, leave=False, ncols=80)
        except ImportError:
            pass
    return iterable


def evaluate(eval_step, model, state, loader, to_device=lambda tree: tree) -> float:
    correct = total = 0
    for x, y in loader:
        x, y = to_device((x, y))
        correct += int(eval_step(model, state, x, y))
        total += x.shape[0]
    return correct / total


def _read_history(out_dir):
    path = os.path.join(out_dir, "history.json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return json.load(f)


def _write_history(out_dir, history):
    """The per-epoch metrics (for the plot and --resume), replaced atomically."""
    path = os.path.join(out_dir, "history.json")
    with open(path + ".tmp", "w") as f:
        json.dump(history, f, indent=1)
    os.replace(path + ".tmp", path)


def save_panels(history, path, panels) -> bool:
    """Plot the per-epoch ``history`` into ``path`` (written atomically), one panel per entry of
    ``panels``: ``(title, ylabel, [(history key, label), ...])`` or with a fourth item, the
    y scale.  False (and a hint) when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed, so no plot: pip install -e '.[examples]')")
        return False
    epochs = [h["epoch"] for h in history]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.5), squeeze=False)
    for ax, (title, ylabel, lines, *scale) in zip(axes[0], panels):
        for key, label in lines:
            ax.plot(epochs, [h[key] for h in history], marker="o", label=label)
        ax.set(xlabel="epoch", ylabel=ylabel, title=title, yscale=scale[0] if scale else "linear")
        if len(lines) > 1:
            ax.legend()
    fig.tight_layout()
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=100)
    os.replace(tmp, path)
    plt.close(fig)
    return True


LOSS_AND_ACCURACY = [("loss", "train loss", [("train_loss", "train")]),
                     ("accuracy", "accuracy", [("train_acc", "train"), ("test_acc", "test")])]


def save_curves(history, path) -> bool:
    """The image classifiers' curves: train loss, train / test accuracy."""
    return save_panels(history, path, LOSS_AND_ACCURACY)


def fit(model, train_set, test_set, opt, args, key, train_transforms=None) -> float:
    """Train ``model`` for ``args.epochs``; returns the final test accuracy.

    ``train_transforms`` (e.g. ``data.RandomCrop``) augment the training batches; the loader
    seeds them with ``(seed, epoch)``, so a resumed run sees the same augmentation."""
    t_start = time.perf_counter()
    state = nn.init_state(model)
    opt_state = opt.init(model)
    history, start_epoch = [], 0
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "checkpoint.fnx")
    if args.resume and os.path.exists(ckpt_path):
        template = {"model": model, "state": state, "opt_state": opt_state, "key": key,
                    "epoch": 0}
        ckpt = fnx.io.load(ckpt_path, like=template)
        model, state, opt_state, key = (ckpt[k] for k in ("model", "state", "opt_state", "key"))
        start_epoch = int(ckpt["epoch"])
        history = [h for h in _read_history(args.out) if h["epoch"] <= start_epoch]
        print(f"resumed from {ckpt_path} after epoch {start_epoch}")
    # on a GPU: the model, its state and the optimizer state live there; batches are copied
    # there as they come (the loader works on the host)
    device = None if args.device == "cpu" else args.device
    to_device = (lambda tree: tree) if device is None else (
        lambda tree: fnx.device_put(tree, device))
    model, state, opt_state = to_device((model, state, opt_state))
    train_loader = data.DataLoader(train_set, args.batch_size, shuffle=True, seed=args.seed,
                                   drop_last=True, transforms=train_transforms)
    test_loader = data.DataLoader(test_set, 512)
    train_step, eval_step = make_steps(opt)

    last = args.epochs if args.stop_after is None else min(args.epochs,
                                                            start_epoch + args.stop_after)
    for epoch in range(start_epoch, last):
        train_loader.set_epoch(epoch)
        t0 = time.perf_counter()
        loss_sum, correct, seen = 0.0, 0, 0
        for x, y in _progress(train_loader, len(train_loader), f"epoch {epoch + 1}",
                              not args.no_progress):
            key, step_key = fnx.random.split(key)
            x, y = to_device((x, y))
            model, opt_state, state, loss, c = train_step(model, opt_state, state, x, y,
                                                          step_key)
            loss_sum += float(loss) * x.shape[0]
            correct += int(c)
            seen += x.shape[0]
        test_acc = evaluate(eval_step, model, state, test_loader, to_device)
        record = {"epoch": epoch + 1, "train_loss": loss_sum / seen, "train_acc": correct / seen,
                  "test_acc": test_acc}
        history.append(record)
        print(f"epoch {epoch + 1:2d}  train loss {record['train_loss']:.4f}  "
              f"train acc {record['train_acc']:.4f}  test acc {test_acc:.4f}  "
              f"({time.perf_counter() - t0:.2f} s)", flush=True)
        fnx.io.save(ckpt_path, fnx.device_put({"model": model, "state": state,   # to the host
                                               "opt_state": opt_state, "key": key,
                                               "epoch": epoch + 1}))
        _write_history(args.out, history)
    curves = os.path.join(args.out, "curves.png")
    plotted = bool(history) and save_curves(history, curves)
    final = history[-1]["test_acc"] if history else float("nan")
    print(f"checkpoint {ckpt_path}" + (f"; curves {curves}" if plotted else ""))
    # the last line, in the format every example ends with: final <metric> <value> in <s> s
    print(f"final test_acc {final:.4f} in {time.perf_counter() - t_start:.1f} s", flush=True)
    return final
