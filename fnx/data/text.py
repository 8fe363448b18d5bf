"""Word-level text corpora in the Penn Treebank style, for language models.

A corpus directory holds ``train.txt``, ``valid.txt`` and ``test.txt``: one sentence per line,
words separated by whitespace.  Every line becomes its words followed by ``<eos>``; word ids are
given in order of first appearance.  ``batchify`` and ``get_batch`` cut the id stream into the
(time, batch) blocks that truncated back-propagation through time trains on.
"""
from __future__ import annotations

import os

import numpy as np

from ..errors import InvalidArgumentError, ShapeError, data_format_error

EOS = "<eos>"
SPLITS = ("train", "valid", "test")


class Dictionary:
    """A two-way map between words and consecutive integer ids.

    >>> d = Dictionary()
    >>> d.add_word("cat"), d.add_word("dog"), d.add_word("cat")
    (0, 1, 0)
    >>> d.idx2word[1], len(d)
    ('dog', 2)
    """

    def __init__(self):
        self.word2idx: dict[str, int] = {}
        self.idx2word: list[str] = []

    def add_word(self, word: str) -> int:
        """The id of ``word``, adding it at the end if it is new."""
        idx = self.word2idx.get(word)
        if idx is None:
            idx = self.word2idx[word] = len(self.idx2word)
            self.idx2word.append(word)
        return idx

    def __len__(self) -> int:
        return len(self.idx2word)

    def __contains__(self, word) -> bool:
        return word in self.word2idx


def _read_lines(path) -> list[str]:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except IsADirectoryError:
        raise data_format_error(path, "is a directory, expected a text file") from None
    try:
        return raw.decode("utf-8").splitlines()
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise data_format_error(path, f"not UTF-8 text: {e.reason} at byte {e.start} "
                                      f"(line {line})") from None


class Corpus:
    """The three splits of a PTB-style corpus as int32 id arrays sharing one ``Dictionary``.

    ``path_or_dir`` is a directory with ``train.txt`` (required), ``valid.txt`` and ``test.txt``
    (each optional: a missing split is empty), or a single text file, read as the train split.
    Attributes: ``dictionary``, ``train``, ``valid``, ``test``.

    >>> corpus = Corpus("data/ptb")                     # doctest: +SKIP
    >>> train = batchify(corpus.train, batch_size=20)   # doctest: +SKIP
    """

    def __init__(self, path_or_dir=None, *, dictionary: Dictionary | None = None):
        self.dictionary = dictionary if dictionary is not None else Dictionary()
        self.train = self.valid = self.test = np.zeros((0,), np.int32)
        if path_or_dir is None:
            return
        path = os.path.expanduser(os.fspath(path_or_dir))
        if os.path.isdir(path):
            train = os.path.join(path, "train.txt")
            if not os.path.exists(train):
                raise FileNotFoundError(f"Corpus: {path} has no train.txt")
            for split in SPLITS:
                p = os.path.join(path, f"{split}.txt")
                if os.path.exists(p):
                    setattr(self, split, self.tokenize(_read_lines(p)))
        elif os.path.exists(path):
            self.train = self.tokenize(_read_lines(path))
        else:
            raise FileNotFoundError(f"Corpus: no such file or directory: {path}")

    @classmethod
    def from_lines(cls, train, valid=(), test=()) -> "Corpus":
        """A corpus from in-memory lists of lines (one sentence per line)."""
        corpus = cls()
        corpus.train, corpus.valid, corpus.test = (corpus.tokenize(x) for x in (train, valid, test))
        return corpus

    def tokenize(self, lines) -> np.ndarray:
        """Add the words of ``lines`` to the dictionary; their ids (with ``<eos>``s) as int32."""
        ids = []
        for line in lines:
            words = line.split()
            if not words:           # blank lines carry no sentence (PTB has none)
                continue
            ids.extend(self.dictionary.add_word(w) for w in words)
            ids.append(self.dictionary.add_word(EOS))
        return np.asarray(ids, dtype=np.int32)


def batchify(data, batch_size: int) -> np.ndarray:
    """Cut a 1-D id stream into ``batch_size`` contiguous columns: shape ``(nbatch, batch_size)``.

    Column ``j`` is ``data[j * nbatch:(j + 1) * nbatch]``; the tail that does not fill a whole row
    is dropped.

    >>> batchify(np.arange(10), 3)
    array([[0, 3, 6],
           [1, 4, 7],
           [2, 5, 8]])
    """
    data = np.asarray(data)
    if data.ndim != 1:
        raise ShapeError(f"batchify: data must be 1-D, got {data.dtype}{list(data.shape)}")
    if int(batch_size) != batch_size or batch_size < 1:
        raise InvalidArgumentError(f"batchify: batch_size must be a positive int, got {batch_size}")
    nbatch = data.shape[0] // batch_size
    if nbatch == 0:
        raise InvalidArgumentError(f"batchify: {data.shape[0]} tokens are too few for "
                                   f"batch_size {batch_size}")
    return np.ascontiguousarray(data[:nbatch * batch_size].reshape(batch_size, nbatch).T)


def get_batch(source, i: int, bptt: int):
    """Rows ``i .. i+bptt`` of a batchified ``source`` and the next-token targets.

    Returns ``(data, target)``: ``data`` has shape ``(seq_len, batch)`` and ``target`` is the
    rows one step later, flattened to ``(seq_len * batch,)``; ``seq_len = min(bptt,
    len(source) - 1 - i)``.  Works on numpy arrays and on ``fnx.Array``.

    >>> src = batchify(np.arange(12), 2)
    >>> x, y = get_batch(src, 0, 3)
    >>> x.tolist(), y.tolist()
    ([[0, 6], [1, 7], [2, 8]], [1, 7, 2, 8, 3, 9])
    """
    n = source.shape[0]
    if not 0 <= i < n - 1:
        raise InvalidArgumentError(f"get_batch: i = {i} must be in [0, {n - 1}) for a source "
                                   f"of {n} rows")
    if bptt < 1:
        raise InvalidArgumentError(f"get_batch: bptt must be >= 1, got {bptt}")
    seq_len = min(bptt, n - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)
