"""The course's MLP-ResNet (CMU 10-414/714 hw2), trained with Adam under jit(value_and_grad).

    python examples/mlp_resnet.py                                   # bundled 8x8 digits
    python examples/mlp_resnet.py --dataset mnist --data-dir DIR    # real MNIST IDX files

Model: Flatten -> Linear(dim, hidden) -> ReLU -> num_blocks x ResidualBlock -> Linear(hidden, 10),
a ResidualBlock being ReLU(x + norm(Linear(Dropout(ReLU(norm(Linear(x))))))) as in the course,
with BatchNorm1d (running statistics threaded explicitly) or LayerNorm.  Prints the loss and
accuracies per epoch; the checkpoint, history.json and curves.png go to --out (see common.py).
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fnx  # noqa: E402
import fnx.nn as nn  # noqa: E402
import fnx.optim as optim  # noqa: E402
from common import add_training_args, fit, load_data  # noqa: E402


def residual_block(dim, hidden_dim, norm, drop_prob, *, key):
    k1, k2 = fnx.random.split(key)
    inner = nn.Sequential(nn.Linear(dim, hidden_dim, key=k1), norm(hidden_dim), nn.relu,
                          nn.Dropout(drop_prob), nn.Linear(hidden_dim, dim, key=k2), norm(dim))
    return nn.Sequential(nn.Residual(inner), nn.relu)


def mlp_resnet(dim, hidden_dim=100, num_blocks=3, num_classes=10, norm="batch",
               drop_prob=0.1, *, key):
    norm_layer = nn.BatchNorm1d if norm == "batch" else nn.LayerNorm
    keys = fnx.random.split(key, num_blocks + 2)
    blocks = [residual_block(hidden_dim, hidden_dim // 2, norm_layer, drop_prob, key=keys[i + 1])
              for i in range(num_blocks)]
    return nn.Sequential(nn.Flatten(), nn.Linear(dim, hidden_dim, key=keys[0]), nn.relu,
                         *blocks, nn.Linear(hidden_dim, num_classes, key=keys[-1]))


def main(argv=None) -> float:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_training_args(p, epochs=20, lr=3e-3, out="runs/mlp_resnet")
    p.add_argument("--hidden", type=int, default=100)
    p.add_argument("--blocks", type=int, default=3)
    p.add_argument("--norm", choices=("batch", "layer"), default="batch")
    p.add_argument("--dropout", type=float, default=0.1)
    args = p.parse_args(argv)
    train_set, test_set = load_data(args)
    dim = int(np.prod(train_set.arrays[0].shape[1:]))
    key, init_key = fnx.random.split(fnx.random.PRNGKey(args.seed))
    model = mlp_resnet(dim, args.hidden, args.blocks, 10, args.norm, args.dropout, key=init_key)
    print(f"{args.dataset}: {len(train_set)} train / {len(test_set)} test examples; MLP-ResNet "
          f"with {nn.count_params(model):,} parameters ({args.norm} norm)")
    steps = args.epochs * (len(train_set) // args.batch_size)
    opt = optim.adamw(optim.cosine_decay_schedule(args.lr, steps), weight_decay=args.weight_decay)
    return fit(model, train_set, test_set, opt, args, key)


if __name__ == "__main__":
    main()
