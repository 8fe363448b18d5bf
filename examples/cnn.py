"""A small CNN (conv-BatchNorm-ReLU-pool blocks) on the bundled digits (or MNIST).

    python examples/cnn.py                                   # bundled 8x8 digits
    python examples/cnn.py --dataset mnist --data-dir DIR    # real MNIST IDX files

Model (NCHW): [Conv3x3 -> BatchNorm2d -> ReLU] x2 -> MaxPool2 -> Conv3x3 -> BatchNorm2d -> ReLU
-> MaxPool2 -> Flatten -> Dropout -> Linear(., 10); Adam under jit(value_and_grad).  The
checkpoint, history.json and curves.png go to --out (see common.py).
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fnx  # noqa: E402
import fnx.nn as nn  # noqa: E402
import fnx.optim as optim  # noqa: E402
from common import add_training_args, fit, load_data  # noqa: E402


def conv_bn_relu(cin, cout, *, key):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, use_bias=False, key=key),
                         nn.BatchNorm2d(cout), nn.relu)


def cnn(in_channels, side, width=32, num_classes=10, dropout=0.25, *, key):
    k = fnx.random.split(key, 4)
    final_side = side // 4
    return nn.Sequential(
        conv_bn_relu(in_channels, width, key=k[0]), conv_bn_relu(width, width, key=k[1]),
        nn.MaxPool2d(2),
        conv_bn_relu(width, 2 * width, key=k[2]), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(dropout),
        nn.Linear(2 * width * final_side * final_side, num_classes, key=k[3]))


def main(argv=None) -> float:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_training_args(p, epochs=15, lr=2e-3, out="runs/cnn")
    p.add_argument("--width", type=int, default=32)
    args = p.parse_args(argv)
    train_set, test_set = load_data(args)
    _, channels, side, _ = train_set.arrays[0].shape
    key, init_key = fnx.random.split(fnx.random.PRNGKey(args.seed))
    model = cnn(channels, side, args.width, key=init_key)
    print(f"{args.dataset}: {len(train_set)} train / {len(test_set)} test examples; CNN with "
          f"{nn.count_params(model):,} parameters")
    steps = args.epochs * (len(train_set) // args.batch_size)
    opt = optim.adamw(optim.cosine_decay_schedule(args.lr, steps), weight_decay=args.weight_decay)
    return fit(model, train_set, test_set, opt, args, key)


if __name__ == "__main__":
    main()
