"""Default data that needs no download: handwritten digits and an English text corpus.

* ``load_digits``: the 1797 8x8 handwritten digits of the UCI "Optical Recognition of Handwritten
  Digits" test set, as bundled with scikit-learn (``sklearn/datasets/data/digits.csv.gz``, BSD
  licensed).  ``digits.npz`` next to this file is a uint8 copy of ``sklearn.datasets.load_digits()``
  (``images`` (1797, 8, 8) with values 0..16, ``labels`` (1797,)), written once with
  ``np.savez_compressed``; ``tests/test_data.py`` checks it still equals scikit-learn's when that
  is installed.  Shipping it means fnx does not need scikit-learn.
* ``load_text_corpus``: the Python language reference text that every CPython install ships for
  ``help()`` (``pydoc_data.topics``) followed by the docstrings of the builtins, tokenized in the
  Penn Treebank style.  Both survive ``python -OO`` (the first is plain data, the second is
  compiled into the interpreter).
"""
from __future__ import annotations

import os
import re
from collections import Counter

import numpy as np

from .dataset import ArrayDataset
from .text import Corpus

_DIGITS_FILE = os.path.join(os.path.dirname(__file__), "digits.npz")


def _digits_arrays(use_sklearn: bool):
    if use_sklearn:
        from sklearn.datasets import load_digits as sk_load_digits
        d = sk_load_digits()
        return d.images.astype(np.uint8), d.target.astype(np.uint8)
    with np.load(_DIGITS_FILE) as f:
        return f["images"], f["labels"]


def load_digits(test_fraction: float = 0.2, seed: int = 0, use_sklearn: bool = False):
    """The 8x8 handwritten digits as ``(train, test)`` ``ArrayDataset``s of ``(images, labels)``.

    Images are float32 ``(N, 1, 8, 8)`` scaled to [0, 1] (the raw values are 0..16), labels int32
    0..9.  The split is fixed: the examples are permuted with ``seed`` and the last
    ``test_fraction`` of them form the test set.  ``use_sklearn=True`` reads scikit-learn's copy
    instead of the identical one shipped with fnx.

    >>> train, test = load_digits()
    >>> len(train), len(test), train.arrays[0].shape[1:]
    (1438, 359, (1, 8, 8))
    """
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"load_digits: test_fraction must be in [0, 1), got {test_fraction}")
    images, labels = _digits_arrays(use_sklearn)
    perm = np.random.default_rng(seed).permutation(labels.shape[0])
    x = (images[perm, None].astype(np.float32) / 16.0)
    y = labels[perm].astype(np.int32)
    n_train = labels.shape[0] - int(round(test_fraction * labels.shape[0]))
    return ArrayDataset(x[:n_train], y[:n_train]), ArrayDataset(x[n_train:], y[n_train:])


# Words (with inner apostrophes/underscores, so identifiers stay whole), numbers and a few
# punctuation marks that carry sentence structure; other symbols (markup, operators) are dropped.
_TOKEN = re.compile(r"[a-z_][a-z0-9_]*(?:'[a-z]+)?|[0-9]+(?:\.[0-9]+)?|[.,;:?!()]")
UNK = "<unk>"


def _ptb_tokens(line: str) -> list[str]:
    # PTB conventions: lower case, every number becomes "N".
    return ["N" if t[0].isdigit() else t for t in _TOKEN.findall(line.lower())]


def _builtin_docstrings() -> list[str]:
    """The docstrings of the builtins and their methods, each once, in a fixed order.

    They are compiled into the interpreter (C types), so ``-OO`` does not strip them.
    """
    import builtins
    seen, docs = set(), []
    for name in sorted(dir(builtins)):
        obj = getattr(builtins, name)
        members = [obj] + ([vars(obj)[m] for m in sorted(vars(obj))] if isinstance(obj, type) else [])
        for member in members:
            doc = getattr(member, "__doc__", None)
            if isinstance(doc, str) and doc not in seen:
                seen.add(doc)
                docs.append(doc)
    return docs


def text_corpus_lines() -> list[str]:
    """The tokenized lines (space-separated) of the bundled text, before the train/valid/test split.

    The reference-manual topics come first (sorted by name), then the builtins' docstrings.
    """
    from pydoc_data.topics import topics
    texts = [topics[key] for key in sorted(topics)] + _builtin_docstrings()
    lines = []
    for text in texts:
        for line in text.splitlines():
            tokens = _ptb_tokens(line)
            if tokens:
                lines.append(" ".join(tokens))
    return lines


def load_text_corpus(min_count: int = 2, split=(0.9, 0.05, 0.05)) -> Corpus:
    """A PTB-style ``Corpus`` (train/valid/test) from the Python reference text in ``pydoc_data``.

    Words seen fewer than ``min_count`` times in the whole text become ``<unk>``, as in PTB.  The
    lines are split in order (not shuffled) into fractions ``split``.  About 100k tokens on
    CPython 3.11 (the exact text depends on the Python version, but not on the run).

    >>> corpus = load_text_corpus()
    >>> corpus.train.dtype, len(corpus.dictionary) > 1000
    (dtype('int32'), True)
    """
    if len(split) != 3 or abs(sum(split) - 1.0) > 1e-6 or min(split) < 0:
        raise ValueError(f"load_text_corpus: split must be 3 fractions summing to 1, got {split}")
    lines = text_corpus_lines()
    counts = Counter(w for line in lines for w in line.split())
    if min_count > 1:
        lines = [" ".join(w if counts[w] >= min_count else UNK for w in line.split())
                 for line in lines]
    n = len(lines)
    a = int(round(split[0] * n))
    b = a + int(round(split[1] * n))
    return Corpus.from_lines(lines[:a], lines[a:b], lines[b:])
