"""fnx.data: datasets, a prefetching DataLoader, batch transforms, dataset readers, bundled data.

Data pipelines run on the host with numpy arrays; the ``DataLoader`` hands out ``fnx.Array``
batches (or numpy ones with ``as_numpy=True``).

>>> from fnx import data
>>> train, test = data.load_digits()
>>> loader = data.DataLoader(train, batch_size=64, shuffle=True, seed=0)
>>> images, labels = next(iter(loader))
>>> images.shape, labels.shape
((64, 1, 8, 8), (64,))
"""
from . import bundled, cifar, mnist, text, transforms
from .bundled import load_digits, load_text_corpus
from .cifar import load_cifar10
from .dataset import ArrayDataset, Dataset, Subset, random_split
from .loader import DataLoader
from .mnist import load_idx, load_mnist
from .text import Corpus, Dictionary, batchify, get_batch
from .transforms import Compose, Normalize, RandomCrop, RandomFlipHorizontal

__all__ = ["ArrayDataset", "Compose", "Corpus", "DataLoader", "Dataset", "Dictionary", "Normalize",
           "RandomCrop", "RandomFlipHorizontal", "Subset", "batchify", "bundled", "cifar",
           "get_batch", "load_cifar10", "load_digits", "load_idx", "load_mnist",
           "load_text_corpus", "mnist", "random_split", "text", "transforms"]
