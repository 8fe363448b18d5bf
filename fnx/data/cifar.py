"""Reader for the CIFAR-10 binary version (``cifar-10-batches-bin``).

Each batch file is a sequence of 3073-byte records: one label byte (0..9), then 3072 pixel bytes,
the 1024 red values, then green, then blue, each 32x32 in row-major order (so a record reshapes
directly to CHW).
"""
from __future__ import annotations

import os

import numpy as np

from ..errors import data_format_error
from .dataset import ArrayDataset

_PIXELS = 3 * 32 * 32
_RECORD = 1 + _PIXELS
TRAIN_FILES = tuple(f"data_batch_{k}.bin" for k in range(1, 6))
TEST_FILES = ("test_batch.bin",)


def load_cifar10_batch(path, num_classes: int = 10):
    """One binary batch file -> ``(images uint8 (N, 3, 32, 32), labels uint8 (N,))``."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    if len(data) == 0:
        raise data_format_error(path, "empty CIFAR-10 batch file")
    if len(data) % _RECORD:
        raise data_format_error(path, f"size {len(data)} bytes is not a whole number of "
                                      f"{_RECORD}-byte records (1 label + {_PIXELS} pixels): "
                                      f"the last record is truncated to {len(data) % _RECORD} bytes")
    records = np.frombuffer(data, np.uint8).reshape(-1, _RECORD)
    labels = records[:, 0].copy()
    bad = np.flatnonzero(labels >= num_classes)
    if bad.size:
        raise data_format_error(path, f"record {bad[0]} has label {labels[bad[0]]}, outside "
                                      f"0..{num_classes - 1}")
    return records[:, 1:].reshape(-1, 3, 32, 32).copy(), labels


def load_cifar10(data_dir, train: bool = True, normalize: bool = True) -> ArrayDataset:
    """CIFAR-10 from ``data_batch_1..5.bin`` (train) or ``test_batch.bin`` (test) in ``data_dir``.

    Returns ``ArrayDataset(images, labels)``: float32 ``(N, 3, 32, 32)`` in [0, 1] (0..255 when
    ``normalize`` is False) and int32 labels.

    >>> test = load_cifar10("~/data/cifar-10-batches-bin", train=False)   # doctest: +SKIP
    """
    data_dir = os.path.expanduser(os.fspath(data_dir))
    names = TRAIN_FILES if train else TEST_FILES
    paths = [os.path.join(data_dir, n) for n in names]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise FileNotFoundError(f"load_cifar10: missing {', '.join(missing)}")
    parts = [load_cifar10_batch(p) for p in paths]
    images = np.concatenate([p[0] for p in parts]).astype(np.float32)
    if normalize:
        images /= 255.0
    labels = np.concatenate([p[1] for p in parts]).astype(np.int32)
    return ArrayDataset(images, labels)
