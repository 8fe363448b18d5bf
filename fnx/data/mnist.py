"""Reader for MNIST-style IDX files (plain or gzipped).

An IDX file is a 4-byte big-endian magic number ``0x0000TTNN`` (``TT`` the element type, ``NN`` the
number of dimensions), then ``NN`` big-endian uint32 dimension sizes, then the elements in C order.
MNIST uses type 0x08 (unsigned byte): ``0x00000803`` for images (N, 28, 28) and ``0x00000801`` for
labels (N,).
"""
from __future__ import annotations

import gzip
import os

import numpy as np

from ..errors import data_format_error
from .dataset import ArrayDataset

# IDX element-type codes -> big-endian numpy dtypes.
_IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}

_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def _read_bytes(path) -> bytes:
    path = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(2)
        f.seek(0)
        if head == b"\x1f\x8b":                     # gzip magic: decompress whatever the name says
            try:
                return gzip.GzipFile(fileobj=f).read()
            except (OSError, EOFError) as e:
                raise data_format_error(path, f"corrupt or truncated gzip data ({e})") from None
        return f.read()


def load_idx(path) -> np.ndarray:
    """Read an IDX file (``.gz`` or not) into a numpy array with the file's dtype and shape.

    >>> images = load_idx("train-images-idx3-ubyte.gz")   # doctest: +SKIP
    >>> images.shape, images.dtype                         # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
    """
    data = _read_bytes(path)
    if len(data) < 4:
        raise data_format_error(path, f"file too short for an IDX header ({len(data)} bytes)")
    zero, type_code, ndim = int.from_bytes(data[:2], "big"), data[2], data[3]
    if zero != 0 or type_code not in _IDX_TYPES:
        raise data_format_error(path, f"bad IDX magic number 0x{int.from_bytes(data[:4], 'big'):08x} "
                                      "(expected 0x0000TTNN with TT one of 08 09 0b 0c 0d 0e)")
    if ndim == 0:
        raise data_format_error(path, "IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise data_format_error(path, f"truncated IDX header: {ndim} dimensions need {header} "
                                      f"bytes, file has {len(data)}")
    dims = tuple(int.from_bytes(data[4 + 4 * k:8 + 4 * k], "big") for k in range(ndim))
    dtype = _IDX_TYPES[type_code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header
    if actual != expected:
        what = "truncated" if actual < expected else "has trailing bytes"
        raise data_format_error(path, f"data {what}: header dims {list(dims)} of {dtype.str} need "
                                      f"{expected} bytes after the header, found {actual}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def _find(data_dir, name) -> str:
    for candidate in (name, name + ".gz"):
        p = os.path.join(os.fspath(data_dir), candidate)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"load_mnist: neither {name} nor {name}.gz found in {data_dir}")


def load_mnist(data_dir, split: str = "train", normalize: bool = True) -> ArrayDataset:
    """MNIST from the standard IDX files in ``data_dir`` as ``ArrayDataset(images, labels)``.

    Images are float32 ``(N, 1, 28, 28)``, scaled to [0, 1] when ``normalize`` (else 0..255);
    labels are int32.  File names are the standard ones (``train-images-idx3-ubyte[.gz]``,
    ``t10k-labels-idx1-ubyte[.gz]``, ...).

    >>> train = load_mnist("~/data/mnist", split="train")   # doctest: +SKIP
    """
    if split not in _FILES:
        raise ValueError(f"load_mnist: split must be 'train' or 'test', got {split!r}")
    data_dir = os.path.expanduser(os.fspath(data_dir))
    image_path, label_path = (_find(data_dir, name) for name in _FILES[split])
    images, labels = load_idx(image_path), load_idx(label_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise data_format_error(image_path, f"expected uint8 images shaped (N, rows, cols), got "
                                            f"{images.dtype}{list(images.shape)}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise data_format_error(label_path, f"expected uint8 labels shaped (N,), got "
                                            f"{labels.dtype}{list(labels.shape)}")
    if images.shape[0] != labels.shape[0]:
        raise data_format_error(label_path, f"{labels.shape[0]} labels for {images.shape[0]} "
                                            f"images in {image_path}")
    x = images[:, None].astype(np.float32)
    if normalize:
        x /= 255.0
    return ArrayDataset(x, labels.astype(np.int32))
