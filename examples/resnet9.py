"""The course's ResNet9 (CMU 10-414/714 hw4) on CIFAR-10, trained under jit(value_and_grad).

    python examples/resnet9.py                                       # offline stand-in (digits)
    python examples/resnet9.py --data-dir ~/data/cifar-10-batches-bin    # real CIFAR-10

Model (NCHW, 3x32x32 in): ConvBN(3,16,7,4) -> ConvBN(16,32,3,2)
-> Residual(ConvBN(32,32,3,1) -> ConvBN(32,32,3,1)) -> ConvBN(32,64,3,2) -> ConvBN(64,128,3,2)
-> Residual(ConvBN(128,128,3,1) -> ConvBN(128,128,3,1)) -> Flatten -> Linear(128,128) -> ReLU
-> Linear(128,10), where ConvBN(a,b,k,s) = Conv2d(a,b,k, stride s, padding k//2, bias)
-> BatchNorm2d -> ReLU.
The spatial size goes 32 -> 8 -> 4 -> 2 -> 1, so Flatten hands 128 features to the head.

Training: SGD with momentum or Adam (both with L2 weight decay, as the course's optimizers do it:
``grad += wd * param`` before the update), a cosine learning-rate decay, and RandomCrop(32,
padding=4) + RandomFlipHorizontal augmentation of the training batches.

Without ``--data-dir`` there is no download: the 8x8 handwritten digits bundled with fnx stand in
for CIFAR-10, each pixel blown up to a 4x4 block (32x32) and repeated over 3 channels, so the very
same network trains on them.  The checkpoint, history.json and curves.png go to --out (see
common.py); the last line printed is ``final test_acc <accuracy> in <seconds> s``.
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
from common import fit  # noqa: E402
from fnx import data  # noqa: E402

IMAGE_SHAPE = (3, 32, 32)
NUM_CLASSES = 10
# Counted the usual way (torch's `sum(p.numel() for p in model.parameters())`): every conv's weight
# AND bias, BatchNorm's gamma and beta (its running mean / variance are buffers, not parameters),
# and both Linear layers' weights and biases.  The biases before BatchNorm are redundant (BN
# subtracts the mean) but the course's ConvBN keeps them, and 431,946 includes them.
EXPECTED_PARAMS = 431_946
EPOCHS = 15                  # the digits stand-in passes 0.95 test accuracy by then (seeds 0-2)


def conv_bn(cin, cout, kernel, stride, *, key):
    """Conv2d (with bias, 'same'-style padding kernel // 2) -> BatchNorm2d -> ReLU."""
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, key=key),
                         nn.BatchNorm2d(cout), nn.relu)


def resnet9(num_classes=NUM_CLASSES, *, key):
    k = fnx.random.split(key, 10)
    return nn.Sequential(
        conv_bn(3, 16, 7, 4, key=k[0]),
        conv_bn(16, 32, 3, 2, key=k[1]),
        nn.Residual(nn.Sequential(conv_bn(32, 32, 3, 1, key=k[2]),
                                  conv_bn(32, 32, 3, 1, key=k[3]))),
        conv_bn(32, 64, 3, 2, key=k[4]),
        conv_bn(64, 128, 3, 2, key=k[5]),
        nn.Residual(nn.Sequential(conv_bn(128, 128, 3, 1, key=k[6]),
                                  conv_bn(128, 128, 3, 1, key=k[7]))),
        nn.Flatten(),
        nn.Linear(128, 128, key=k[8]), nn.relu,
        nn.Linear(128, num_classes, key=k[9]))


def digits_as_cifar(dataset):
    """The bundled 8x8 digits shaped like CIFAR-10: (N, 1, 8, 8) -> (N, 3, 32, 32) by
    nearest-neighbour upsampling (each pixel becomes a 4x4 block), the gray channel repeated as
    R, G and B."""
    images, labels = dataset.arrays
    big = np.repeat(np.repeat(images, 4, axis=2), 4, axis=3)
    return data.ArrayDataset(np.ascontiguousarray(np.repeat(big, 3, axis=1)), labels)


def load_datasets(args):
    """(train, test, description): CIFAR-10 from --data-dir, else the digits stand-in."""
    if args.data_dir:
        train = data.load_cifar10(args.data_dir, train=True)
        test = data.load_cifar10(args.data_dir, train=False)
        name = f"CIFAR-10 ({args.data_dir})"
    else:
        train, test = (digits_as_cifar(d) for d in data.load_digits())
        name = ("no --data-dir: training offline on the stand-in for CIFAR-10, the bundled 8x8 "
                "digits upsampled to 3x32x32")
    if args.subset:                       # a quick run (tests, smoke checks) on the first N
        train = data.Subset(train, np.arange(min(args.subset, len(train))))
        test = data.Subset(test, np.arange(min(args.subset, len(test))))
    return train, test, name


def make_optimizer(args, steps_per_epoch):
    lr = optim.cosine_decay_schedule(args.lr, max(1, args.epochs * steps_per_epoch))
    if args.optimizer == "sgd":
        return optim.sgd(lr, momentum=args.momentum, weight_decay=args.weight_decay)
    # The course's Adam: the L2 term joins the gradient before the moment estimates (coupled
    # decay; optim.adamw would decouple it).
    return optim.chain(optim.add_decayed_weights(args.weight_decay), optim.scale_by_adam(),
                       optim.scale_by_learning_rate(lr))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=None,
                   help="folder with the CIFAR-10 binary batches (cifar-10-batches-bin); "
                        "without it the bundled digits stand in")
    p.add_argument("--epochs", type=int, default=EPOCHS)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    p.add_argument("--lr", type=float, default=None,
                   help="peak learning rate (default 3e-3 for adam, 0.05 for sgd)")
    p.add_argument("--momentum", type=float, default=0.9, help="sgd momentum")
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--no-augment", action="store_true", help="no random crops / flips")
    p.add_argument("--subset", type=int, default=None, metavar="N",
                   help="train and test on the first N examples only (quick checks)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/resnet9", help="checkpoint, history and plot folder")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.fnx")
    p.add_argument("--stop-after", type=int, default=None, metavar="N",
                   help="stop after N epochs of this run (continue later with --resume)")
    p.add_argument("--no-progress", action="store_true", help="no tqdm progress bars")
    p.add_argument("--device", default="cpu",
                   help="cpu, cuda or cuda:N (a GPU needs cupy: pip install -e '.[cuda]')")
    args = p.parse_args(argv)
    if args.lr is None:
        args.lr = 3e-3 if args.optimizer == "adam" else 0.05
    return args



def main(argv=None) -> float:
    args = parse_args(argv)
    train_set, test_set, name = load_datasets(args)
    print(name)
    key, init_key = fnx.random.split(fnx.random.PRNGKey(args.seed))
    model = resnet9(key=init_key)
    print(f"{len(train_set)} train / {len(test_set)} test examples; ResNet9 with "
          f"{nn.count_params(model):,} parameters; {args.optimizer}, lr {args.lr:g}, "
          f"weight decay {args.weight_decay:g}")
    augment = None if args.no_augment else data.Compose(
        [data.RandomCrop(32, padding=4), data.RandomFlipHorizontal()])
    opt = make_optimizer(args, len(train_set) // args.batch_size)
    return fit(model, train_set, test_set, opt, args, key, train_transforms=augment)


if __name__ == "__main__":
    main()
