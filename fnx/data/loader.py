"""DataLoader: batches of a dataset, shuffled reproducibly, prefetched by a background thread."""
from __future__ import annotations

import queue
import threading

import numpy as np

from ..errors import InvalidArgumentError

_DONE = object()            # end-of-epoch marker the worker puts on the queue
_POLL_S = 0.05              # how often a blocked worker re-checks the stop flag


class _WorkerError:
    """Carries an exception (with its traceback) from the worker thread to the consumer."""

    def __init__(self, exc: BaseException):
        self.exc = exc


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Each ``for batch in loader`` is one epoch.  With ``shuffle=True`` the order is a permutation
    drawn from a numpy Generator seeded by ``(seed, epoch)``, and ``transforms`` get a Generator
    seeded the same way, so a run is reproducible.  The epoch counter advances by one per
    iteration; ``set_epoch(n)`` picks the epoch the next iteration uses.

    Batches are tuples of ``fnx.Array`` (or one Array, for datasets of single arrays); with
    ``as_numpy=True`` they stay numpy arrays.  A daemon thread prepares up to ``prefetch`` batches
    ahead (``prefetch=0`` fetches in the caller's thread); an exception in it is re-raised by the
    loop, and leaving the loop early stops the thread.

    >>> from fnx.data import ArrayDataset
    >>> loader = DataLoader(ArrayDataset(np.zeros((10, 3)), np.arange(10)), batch_size=4)
    >>> len(loader), [b[0].shape for b in loader]
    (3, [(4, 3), (4, 3), (2, 3)])
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, seed: int = 0,
                 drop_last: bool = False, transforms=None, prefetch: int = 2,
                 as_numpy: bool = False):
        if int(batch_size) != batch_size or batch_size < 1:
            raise InvalidArgumentError(f"DataLoader: batch_size must be a positive int, got {batch_size}")
        if int(prefetch) != prefetch or prefetch < 0:
            raise InvalidArgumentError(f"DataLoader: prefetch must be an int >= 0, got {prefetch}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.transforms = transforms
        self.prefetch = int(prefetch)
        self.as_numpy = bool(as_numpy)
        self.epoch = 0

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` for the next iteration (its shuffle order and transform randomness)."""
        self.epoch = int(epoch)

    def batch_indices(self, epoch: int) -> list[np.ndarray]:
        """The example indices of every batch of ``epoch``, in order."""
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng([self.seed, epoch]).permutation(n)
        else:
            order = np.arange(n)
        return [order[k * self.batch_size:(k + 1) * self.batch_size] for k in range(len(self))]

    def __iter__(self):
        epoch = self.epoch
        self.epoch += 1
        indices = self.batch_indices(epoch)
        # A separate stream (third seed word) so augmentation does not depend on `shuffle`.
        rng = np.random.default_rng([self.seed, epoch, 1])
        host = (self._make_batch(idx, rng) for idx in indices)
        if self.prefetch == 0:
            return (self._to_output(b) for b in host)
        return self._prefetched(host)

    def _make_batch(self, idx, rng):
        get_batch = getattr(self.dataset, "get_batch", None)
        if get_batch is not None:
            batch = get_batch(idx)
        else:                      # any object with __getitem__/__len__, not only a Dataset
            from .dataset import Dataset
            batch = Dataset.get_batch(self.dataset, idx)
        if self.transforms is not None:
            batch = self.transforms(batch, rng)
        return batch

    def _to_output(self, batch):
        if self.as_numpy:
            return batch
        from ..numpy import asarray
        if isinstance(batch, tuple):
            return tuple(asarray(b) for b in batch)
        return asarray(batch)

    def _prefetched(self, host_batches):
        q: queue.Queue = queue.Queue(maxsize=self.prefetch)
        stop = threading.Event()
        worker = threading.Thread(target=_produce, args=(host_batches, q, stop),
                                  name="fnx-DataLoader", daemon=True)
        worker.start()
        try:
            while True:
                item = q.get()
                if item is _DONE:
                    return
                if isinstance(item, _WorkerError):
                    raise item.exc
                # Host -> fnx.Array conversion happens here, in the consumer's thread, so the
                # worker never touches fnx's tracing state.
                yield self._to_output(item)
        finally:
            # Runs on normal exit, on error and when the loop is abandoned (generator closed).
            stop.set()


def _produce(host_batches, q: queue.Queue, stop: threading.Event) -> None:
    try:
        for batch in host_batches:
            if not _put(q, batch, stop):
                return
    except BaseException as e:  # noqa: BLE001 - everything is handed to the consumer
        _put(q, _WorkerError(e), stop)
        return
    _put(q, _DONE, stop)


def _put(q: queue.Queue, item, stop: threading.Event) -> bool:
    """Put ``item`` unless the consumer has gone; False when it has."""
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False
