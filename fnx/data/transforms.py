"""Batch transforms for image data: random flips, random crops with padding, normalization.

Transforms work on whole batches of host-side numpy images laid out ``(N, C, H, W)`` (any number of
leading channel axes works: the last two axes are height and width).  Called on a batch tuple such as
``(images, labels)`` a transform changes only element ``index`` (0, the images, by default).

Random transforms draw from the ``numpy.random.Generator`` passed as ``rng``.  The ``DataLoader``
passes one derived from ``(seed, epoch)``, so augmentation is reproducible run to run; called without
an ``rng`` they use a fixed seed (0), which keeps a standalone call deterministic too.
"""
from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError, ShapeError


class Transform:
    """Base class: subclasses implement ``apply(images, rng) -> images``."""

    index = 0

    def __call__(self, batch, rng=None):
        if rng is None:
            rng = np.random.default_rng(0)
        if isinstance(batch, tuple):
            out = list(batch)
            out[self.index] = self.apply(np.asarray(batch[self.index]), rng)
            return tuple(out)
        return self.apply(np.asarray(batch), rng)

    def apply(self, images, rng):
        raise NotImplementedError


def _check_images(name: str, images: np.ndarray, min_ndim: int = 3):
    if images.ndim < min_ndim:
        raise ShapeError(f"{name}: expects a batch of images shaped (N, C, H, W); "
                         f"got {images.dtype}{list(images.shape)}")


class RandomFlipHorizontal(Transform):
    """Mirror each image left-right (reverse the last axis) with probability ``p``.

    >>> x = np.arange(4.0).reshape(1, 1, 1, 4)
    >>> RandomFlipHorizontal(p=1.0)(x)[0, 0, 0]
    array([3., 2., 1., 0.])
    """

    def __init__(self, p: float = 0.5, index: int = 0):
        if not 0.0 <= p <= 1.0:
            raise InvalidArgumentError(f"RandomFlipHorizontal: p must be in [0, 1], got {p}")
        self.p, self.index = float(p), index

    def apply(self, images, rng):
        _check_images("RandomFlipHorizontal", images)
        flip = rng.random(images.shape[0]) < self.p
        out = images.copy()
        out[flip] = images[flip][..., ::-1]
        return out


class RandomCrop(Transform):
    """Zero-pad each image by ``padding`` on every side, then crop a random ``size`` window from it.

    ``size`` is an int (square) or ``(height, width)``.  Every image gets its own offset.

    >>> x = np.ones((2, 3, 8, 8), np.float32)
    >>> RandomCrop(8, padding=2)(x).shape
    (2, 3, 8, 8)
    """

    def __init__(self, size, padding: int = 0, index: int = 0):
        self.size = (int(size), int(size)) if np.isscalar(size) else tuple(int(s) for s in size)
        if len(self.size) != 2 or min(self.size) <= 0:
            raise InvalidArgumentError(f"RandomCrop: size must be a positive int or (h, w); got {size}")
        if padding < 0:
            raise InvalidArgumentError(f"RandomCrop: padding must be >= 0, got {padding}")
        self.padding, self.index = int(padding), index

    def apply(self, images, rng):
        _check_images("RandomCrop", images)
        p, (h, w) = self.padding, self.size
        pad = [(0, 0)] * (images.ndim - 2) + [(p, p), (p, p)]
        padded = np.pad(images, pad) if p else images
        ph, pw = padded.shape[-2:]
        if h > ph or w > pw:
            raise ShapeError(f"RandomCrop: crop {self.size} is larger than the padded images "
                             f"({ph}, {pw}) (images {images.dtype}{list(images.shape)}, padding {p})")
        n = images.shape[0]
        top = rng.integers(0, ph - h + 1, size=n)
        left = rng.integers(0, pw - w + 1, size=n)
        # One gather for the whole batch: rows[n, i] = top[n] + i, cols[n, j] = left[n] + j.
        rows = (top[:, None] + np.arange(h))[:, :, None]
        cols = (left[:, None] + np.arange(w))[:, None, :]
        flat = padded.reshape((n, -1, ph, pw))
        batch_idx = np.arange(n)[:, None, None]
        crops = flat[batch_idx, :, rows, cols]            # (n, h, w, channels)
        crops = np.moveaxis(crops, -1, 1)
        return np.ascontiguousarray(crops).reshape(images.shape[:-2] + (h, w))


class Normalize(Transform):
    """``(x - mean) / std`` per channel (axis 1), computed in float32.

    >>> float(Normalize([0.5], [0.5])(np.ones((1, 1, 2, 2), np.float32))[0, 0, 0, 0])
    1.0
    """

    def __init__(self, mean, std, index: int = 0):
        self.mean = np.asarray(mean, np.float32).reshape(-1)
        self.std = np.asarray(std, np.float32).reshape(-1)
        if self.mean.shape != self.std.shape:
            raise ShapeError(f"Normalize: mean {list(self.mean.shape)} and std "
                             f"{list(self.std.shape)} must have the same length")
        if np.any(self.std == 0):
            raise InvalidArgumentError(f"Normalize: std must be nonzero, got {self.std.tolist()}")
        self.index = index

    def apply(self, images, rng):
        _check_images("Normalize", images, min_ndim=2)
        c = images.shape[1]
        if self.mean.size not in (1, c):
            raise ShapeError(f"Normalize: {self.mean.size} channel statistics for images with {c} "
                             f"channels ({images.dtype}{list(images.shape)})")
        shape = (1, -1) + (1,) * (images.ndim - 2)
        return ((images.astype(np.float32) - self.mean.reshape(shape))
                / self.std.reshape(shape)).astype(np.float32)


class Compose(Transform):
    """Apply ``transforms`` in order, sharing one ``rng``.

    >>> t = Compose([RandomCrop(4, padding=1), RandomFlipHorizontal()])
    >>> t(np.zeros((3, 1, 4, 4))).shape
    (3, 1, 4, 4)
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, batch, rng=None):
        if rng is None:
            rng = np.random.default_rng(0)
        for t in self.transforms:
            batch = t(batch, rng)
        return batch
