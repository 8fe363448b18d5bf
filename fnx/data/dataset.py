"""Datasets: indexable collections of examples, held as host-side numpy arrays.

A dataset's ``__getitem__(i)`` returns one example: a tuple of numpy arrays (e.g. ``(image, label)``)
or a single array.  Datasets that can fetch many examples at once with one fancy-indexing call
implement ``get_batch(indices)``; the ``DataLoader`` uses it instead of one Python call per example.
"""
from __future__ import annotations

import numpy as np

from ..errors import FnxIndexError, InvalidArgumentError, ShapeError


class Dataset:
    """Base class of map-style datasets: subclasses define ``__len__`` and ``__getitem__``.

    >>> class Squares(Dataset):
    ...     def __len__(self): return 4
    ...     def __getitem__(self, i): return np.float32(i * i)
    >>> Squares().get_batch([1, 3])
    array([1., 9.], dtype=float32)
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def get_batch(self, indices):
        """The examples at ``indices`` stacked along a new leading axis (tuple-wise for tuples)."""
        items = [self[int(i)] for i in indices]
        if not items:
            raise InvalidArgumentError(f"{type(self).__name__}.get_batch: no indices given")
        if isinstance(items[0], tuple):
            return tuple(np.stack([np.asarray(it[k]) for it in items])
                         for k in range(len(items[0])))
        return np.stack([np.asarray(it) for it in items])


def _check_index(name: str, i, n: int) -> int:
    i = int(i)
    if not -n <= i < n:
        raise FnxIndexError(f"{name}: index {i} is out of range for a dataset of length {n}")
    return i % n


class ArrayDataset(Dataset):
    """A dataset over arrays that share their first dimension; example ``i`` is ``(a[i], b[i], ...)``.

    With a single array, examples are plain arrays rather than 1-tuples.

    >>> ds = ArrayDataset(np.zeros((5, 2)), np.arange(5))
    >>> len(ds), int(ds[1][1])
    (5, 1)
    """

    def __init__(self, *arrays):
        if not arrays:
            raise InvalidArgumentError("ArrayDataset: needs at least one array")
        arrays = tuple(np.asarray(a) for a in arrays)
        for a in arrays:
            if a.ndim == 0:
                raise ShapeError("ArrayDataset: arrays must have a leading (example) axis; "
                                 f"got a 0-d {a.dtype} array")
        lengths = [a.shape[0] for a in arrays]
        if len(set(lengths)) != 1:
            shapes = ", ".join(f"{a.dtype}{list(a.shape)}" for a in arrays)
            raise ShapeError(f"ArrayDataset: arrays must have equal first dimensions; got {shapes}")
        self.arrays = arrays

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index):
        i = _check_index("ArrayDataset", index, len(self))
        if len(self.arrays) == 1:
            return self.arrays[0][i]
        return tuple(a[i] for a in self.arrays)

    def get_batch(self, indices):
        indices = np.asarray(indices, dtype=np.int64)
        if len(self.arrays) == 1:
            return self.arrays[0][indices]
        return tuple(a[indices] for a in self.arrays)

    def __repr__(self):
        shapes = ", ".join(f"{a.dtype}{list(a.shape)}" for a in self.arrays)
        return f"ArrayDataset({shapes})"


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order.

    >>> int(Subset(ArrayDataset(np.arange(10)), [7, 2])[0])
    7
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if self.indices.size and (self.indices.min() < 0 or self.indices.max() >= n):
            raise FnxIndexError(f"Subset: indices must lie in [0, {n}) for a dataset of length {n}; "
                                f"got min {self.indices.min()}, max {self.indices.max()}")

    def __len__(self) -> int:
        return self.indices.shape[0]

    def __getitem__(self, index):
        return self.dataset[int(self.indices[_check_index("Subset", index, len(self))])]

    def get_batch(self, indices):
        return self.dataset.get_batch(self.indices[np.asarray(indices, dtype=np.int64)])


def random_split(dataset, lengths, seed: int = 0):
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given lengths.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1 (the remainder of
    the rounding goes to the first subsets, as in PyTorch).

    >>> a, b = random_split(ArrayDataset(np.arange(10)), [0.8, 0.2], seed=0)
    >>> len(a), len(b)
    (8, 2)
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(x, float) for x in lengths) and abs(sum(lengths) - 1.0) < 1e-6:
        counts = [int(np.floor(n * f)) for f in lengths]
        for k in range(n - sum(counts)):
            counts[k % len(counts)] += 1
        lengths = counts
    if any(int(x) != x or x < 0 for x in lengths) or sum(lengths) != n:
        raise InvalidArgumentError(f"random_split: lengths {lengths} must be non-negative counts "
                                   f"summing to the dataset length {n} (or fractions summing to 1)")
    perm = np.random.default_rng(seed).permutation(n)
    bounds = np.cumsum([0] + [int(x) for x in lengths])
    return [Subset(dataset, perm[bounds[k]:bounds[k + 1]]) for k in range(len(lengths))]
