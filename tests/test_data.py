"""fnx.data: datasets, the DataLoader, transforms, file readers and the bundled data."""
import gc
import gzip
import struct
import threading
import time

import numpy as np
import pytest

import fnx
from fnx import data
from fnx.errors import DataFormatError, FnxIndexError, ShapeError


# ----------------------------------------------------------------------------- datasets

def test_array_dataset_items_and_errors():
    x, y = np.arange(12.0).reshape(6, 2), np.arange(6) * 10
    ds = data.ArrayDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi, x[4])
    assert yi == 40
    bx, by = ds.get_batch([5, 0, 3])
    np.testing.assert_array_equal(bx, x[[5, 0, 3]])
    np.testing.assert_array_equal(by, y[[5, 0, 3]])
    np.testing.assert_array_equal(data.ArrayDataset(x)[1], x[1])   # one array: no 1-tuple
    with pytest.raises(ShapeError, match=r"equal first dimensions.*\[6, 2\].*\[5\]"):
        data.ArrayDataset(x, np.arange(5))
    with pytest.raises(FnxIndexError, match="out of range"):
        ds[6]


def test_subset_and_random_split_partition():
    ds = data.ArrayDataset(np.arange(23))
    parts = data.random_split(ds, [0.6, 0.2, 0.2], seed=3)
    assert sum(len(p) for p in parts) == 23
    seen = np.concatenate([p.get_batch(np.arange(len(p))) for p in parts])
    np.testing.assert_array_equal(np.sort(seen), np.arange(23))
    again = data.random_split(ds, [0.6, 0.2, 0.2], seed=3)
    np.testing.assert_array_equal(parts[1].indices, again[1].indices)
    assert parts[0][2] == parts[0].indices[2]
    with pytest.raises(ValueError, match="summing"):
        data.random_split(ds, [10, 10])


class _Squares(data.Dataset):
    """A dataset without a fast get_batch path: one Python call per example."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.float32(i) * np.ones(2, np.float32), np.int32(i * i)


# ----------------------------------------------------------------------------- DataLoader

def _epoch_indices(loader):
    """Run one epoch over an ArrayDataset of arange ids; the ids of every batch."""
    return [np.asarray(b) for b in loader]


@pytest.mark.parametrize("n,bs,drop_last", [(10, 3, False), (10, 3, True), (9, 3, False), (2, 5, False)])
def test_loader_batching_len_and_coverage(n, bs, drop_last):
    loader = data.DataLoader(data.ArrayDataset(np.arange(n)), batch_size=bs, shuffle=True,
                             seed=1, drop_last=drop_last, as_numpy=True)
    batches = _epoch_indices(loader)
    expected_len = n // bs if drop_last else -(-n // bs)
    assert len(loader) == len(batches) == expected_len
    assert all(len(b) == bs for b in batches[:-1] if len(batches) > 1)
    ids = np.concatenate(batches) if batches else np.zeros(0, int)
    assert len(set(ids.tolist())) == len(ids)                  # no index twice in an epoch
    if not drop_last:
        np.testing.assert_array_equal(np.sort(ids), np.arange(n))  # every index once
    else:
        assert len(ids) == (n // bs) * bs


def test_loader_no_shuffle_is_in_order_and_outputs_fnx_arrays():
    x, y = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32), np.arange(10)
    loader = data.DataLoader(data.ArrayDataset(x, y), batch_size=4)
    batches = list(loader)
    assert isinstance(batches[0][0], fnx.Array) and isinstance(batches[0][1], fnx.Array)
    np.testing.assert_array_equal(np.concatenate([np.asarray(b[0]) for b in batches]), x)
    np.testing.assert_array_equal(np.concatenate([np.asarray(b[1]) for b in batches]), y)


def test_loader_shuffle_reproducible_per_seed_and_epoch():
    ds = data.ArrayDataset(np.arange(50))
    mk = lambda seed: data.DataLoader(ds, batch_size=7, shuffle=True, seed=seed, as_numpy=True)
    a, b = mk(0), mk(0)
    a0, a1 = np.concatenate(list(a)), np.concatenate(list(a))
    b0, b1 = np.concatenate(list(b)), np.concatenate(list(b))
    np.testing.assert_array_equal(a0, b0)
    np.testing.assert_array_equal(a1, b1)
    assert not np.array_equal(a0, a1)                              # reshuffled each epoch
    assert not np.array_equal(a0, np.concatenate(list(mk(1))))     # seed matters
    np.testing.assert_array_equal(a0, np.random.default_rng([0, 0]).permutation(50))
    b.set_epoch(1)
    np.testing.assert_array_equal(np.concatenate(list(b)), a1)     # set_epoch replays epoch 1


def test_loader_without_get_batch_and_without_prefetch():
    ds = _Squares()
    for prefetch in (0, 2):
        batches = list(data.DataLoader(ds, batch_size=3, prefetch=prefetch, as_numpy=True))
        xs = np.concatenate([b[0] for b in batches])
        ys = np.concatenate([b[1] for b in batches])
        np.testing.assert_array_equal(ys, np.arange(7) ** 2)
        np.testing.assert_array_equal(xs[:, 1], np.arange(7, dtype=np.float32))


class _Boom(data.Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == 5:
            raise KeyError("broken example 5")
        return np.float32(i)


def _wait_for_no_workers(deadline_s=10.0):
    stop_at = time.monotonic() + deadline_s
    while time.monotonic() < stop_at:
        if not any(t.name == "fnx-DataLoader" and t.is_alive() for t in threading.enumerate()):
            return True
        time.sleep(0.01)
    return False


def test_loader_worker_exception_propagates_with_traceback():
    loader = data.DataLoader(_Boom(), batch_size=2, prefetch=2, as_numpy=True)
    got = []
    with pytest.raises(KeyError, match="broken example 5") as info:
        for b in loader:
            got.append(b)
    assert len(got) == 2                                    # batches before the failing one arrive
    assert any(entry.name == "__getitem__" for entry in info.traceback)   # worker frames kept
    assert _wait_for_no_workers()


def test_loader_abandoned_iteration_stops_worker():
    ds = data.ArrayDataset(np.arange(1000))
    loader = data.DataLoader(ds, batch_size=1, prefetch=2, as_numpy=True)
    for k, _ in enumerate(loader):
        if k == 3:
            break
    gc.collect()
    assert _wait_for_no_workers()
    it = iter(loader)
    next(it)
    it.close()
    assert _wait_for_no_workers()
    assert len(list(loader)) == 1000                        # the loader is still usable


def test_loader_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        data.DataLoader(data.ArrayDataset(np.arange(3)), batch_size=0)


# ----------------------------------------------------------------------------- transforms

def test_flip_matches_reference():
    x = np.random.default_rng(0).normal(size=(16, 3, 5, 6)).astype(np.float32)
    out = data.RandomFlipHorizontal(p=0.5)(x, np.random.default_rng(7))
    flip = np.random.default_rng(7).random(16) < 0.5          # the same draws, by hand
    ref = np.where(flip[:, None, None, None], x[..., ::-1], x)
    np.testing.assert_array_equal(out, ref)
    assert 0 < flip.sum() < 16
    np.testing.assert_array_equal(data.RandomFlipHorizontal(p=0.0)(x), x)


def test_crop_matches_reference_loop():
    x = np.random.default_rng(1).normal(size=(9, 2, 6, 7)).astype(np.float32)
    size, pad = (5, 6), 2
    out = data.RandomCrop(size, padding=pad)(x, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    top = rng.integers(0, 6 + 2 * pad - size[0] + 1, size=9)
    left = rng.integers(0, 7 + 2 * pad - size[1] + 1, size=9)
    padded = np.zeros((9, 2, 6 + 2 * pad, 7 + 2 * pad), np.float32)
    padded[:, :, pad:pad + 6, pad:pad + 7] = x
    for n in range(9):
        ref = padded[n, :, top[n]:top[n] + size[0], left[n]:left[n] + size[1]]
        np.testing.assert_array_equal(out[n], ref)
    assert out.shape == (9, 2) + size
    # no padding and full size is the identity
    np.testing.assert_array_equal(data.RandomCrop((6, 7))(x), x)
    with pytest.raises(ShapeError, match="larger than the padded"):
        data.RandomCrop(10, padding=1)(x)


def test_normalize_and_compose_on_batch_tuples():
    x = np.random.default_rng(2).uniform(size=(4, 3, 2, 2)).astype(np.float32)
    y = np.arange(4)
    mean, std = [0.1, 0.2, 0.3], [0.5, 2.0, 4.0]
    xn, yn = data.Normalize(mean, std)((x, y))
    ref = (x - np.array(mean, np.float32)[None, :, None, None]) / np.array(std, np.float32)[None, :, None, None]
    np.testing.assert_allclose(xn, ref, rtol=1e-6)
    assert xn.dtype == np.float32 and yn is y               # labels untouched
    with pytest.raises(ShapeError, match="channel"):
        data.Normalize([0.0, 0.0], [1.0, 1.0])(x)
    t = data.Compose([data.RandomCrop(2, padding=1), data.RandomFlipHorizontal(), data.Normalize(mean, std)])
    a, b = t((x, y), np.random.default_rng(5)), t((x, y), np.random.default_rng(5))
    np.testing.assert_array_equal(a[0], b[0])
    assert a[0].shape == x.shape


def test_loader_transforms_reproducible_per_epoch():
    x = np.random.default_rng(0).normal(size=(20, 1, 4, 4)).astype(np.float32)
    ds = data.ArrayDataset(x, np.arange(20))
    mk = lambda: data.DataLoader(ds, batch_size=20, seed=4, as_numpy=True,
                                 transforms=data.Compose([data.RandomCrop(4, padding=1),
                                                          data.RandomFlipHorizontal()]))
    l1, l2 = mk(), mk()
    e0, e1 = next(iter(l1))[0], next(iter(l1))[0]
    np.testing.assert_array_equal(e0, next(iter(l2))[0])
    assert not np.array_equal(e0, e1)                       # fresh augmentation each epoch


# ----------------------------------------------------------------------------- MNIST IDX

def _idx_bytes(arr, type_code=0x08):
    header = struct.pack(">HBB", 0, type_code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(">u1" if type_code == 0x08 else arr.dtype.newbyteorder(">")).tobytes()


def _write(path, payload, gz=False):
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reader_roundtrip(tmp_path, gz):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, size=5).astype(np.uint8)
    sfx = ".gz" if gz else ""
    _write(tmp_path / f"t10k-images-idx3-ubyte{sfx}", _idx_bytes(images), gz)
    _write(tmp_path / f"t10k-labels-idx1-ubyte{sfx}", _idx_bytes(labels), gz)
    np.testing.assert_array_equal(data.load_idx(tmp_path / f"t10k-images-idx3-ubyte{sfx}"), images)
    ds = data.load_mnist(tmp_path, split="test")
    x, y = ds.arrays
    assert x.shape == (5, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int32
    np.testing.assert_allclose(x[:, 0], images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)
    with pytest.raises(FileNotFoundError, match="train-images"):
        data.load_mnist(tmp_path, split="train")


def test_idx_other_dtypes(tmp_path):
    a = np.arange(6, dtype=np.int32).reshape(2, 3) - 3
    np.testing.assert_array_equal(data.load_idx(_write(tmp_path / "a.idx", _idx_bytes(a, 0x0C))), a)


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_malformed_files(tmp_path, gz):
    images = np.zeros((3, 4, 4), np.uint8)
    good = _idx_bytes(images)
    bad_magic = _write(tmp_path / "magic", b"\x12\x34\x08\x03" + good[4:], gz)
    with pytest.raises(DataFormatError, match=r"magic.*0x12340803") as info:
        data.load_idx(bad_magic)
    assert str(bad_magic) in str(info.value)
    truncated = _write(tmp_path / "trunc", good[:-5], gz)
    with pytest.raises(DataFormatError, match=r"trunc.*truncated.*\[3, 4, 4\].*48.*43"):
        data.load_idx(truncated)
    short_header = _write(tmp_path / "hdr", good[:9], gz)
    with pytest.raises(DataFormatError, match=r"hdr.*truncated IDX header"):
        data.load_idx(short_header)
    trailing = _write(tmp_path / "trail", good + b"\x00", gz)
    with pytest.raises(DataFormatError, match="trailing"):
        data.load_idx(trailing)


def test_truncated_gzip_stream(tmp_path):
    p = tmp_path / "cut.gz"
    p.write_bytes(gzip.compress(_idx_bytes(np.zeros((50, 4, 4), np.uint8)))[:-12])
    with pytest.raises(DataFormatError, match=r"cut\.gz.*gzip"):
        data.load_idx(p)


def test_mnist_label_count_mismatch(tmp_path):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(_idx_bytes(np.zeros((3, 2, 2), np.uint8)))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(_idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(DataFormatError, match="4 labels for 3 images"):
        data.load_mnist(tmp_path)


# ----------------------------------------------------------------------------- CIFAR-10

def _cifar_records(images, labels):
    return b"".join(bytes([int(l)]) + im.tobytes() for im, l in zip(images, labels))


def test_cifar_reader_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    all_images, all_labels = [], []
    for k in range(1, 6):
        images = rng.integers(0, 256, size=(k, 3, 32, 32)).astype(np.uint8)
        labels = rng.integers(0, 10, size=k).astype(np.uint8)
        (tmp_path / f"data_batch_{k}.bin").write_bytes(_cifar_records(images, labels))
        all_images.append(images)
        all_labels.append(labels)
    x, y = data.load_cifar10(tmp_path, train=True).arrays
    assert x.shape == (15, 3, 32, 32) and x.dtype == np.float32 and y.dtype == np.int32
    np.testing.assert_allclose(x, np.concatenate(all_images) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, np.concatenate(all_labels))
    # the red plane of a record is its first 1024 pixel bytes
    raw = (tmp_path / "data_batch_2.bin").read_bytes()
    np.testing.assert_array_equal(np.frombuffer(raw[1:1025], np.uint8).reshape(32, 32), all_images[1][0, 0])
    with pytest.raises(FileNotFoundError, match="test_batch.bin"):
        data.load_cifar10(tmp_path, train=False)


def test_cifar_malformed(tmp_path):
    images, labels = np.zeros((2, 3, 32, 32), np.uint8), np.array([1, 2])
    p = tmp_path / "test_batch.bin"
    p.write_bytes(_cifar_records(images, labels)[:-100])
    with pytest.raises(DataFormatError, match=r"test_batch\.bin.*truncated to 2973 bytes"):
        data.load_cifar10(tmp_path, train=False)
    p.write_bytes(_cifar_records(images, np.array([1, 200])))
    with pytest.raises(DataFormatError, match=r"test_batch\.bin.*record 1 has label 200"):
        data.load_cifar10(tmp_path, train=False)
    p.write_bytes(b"")
    with pytest.raises(DataFormatError, match="empty"):
        data.load_cifar10(tmp_path, train=False)


# ----------------------------------------------------------------------------- text

def _reference_ids(lines, vocab):
    out = []
    for line in lines:
        for w in line.split() + ["<eos>"]:
            vocab.setdefault(w, len(vocab))
            out.append(vocab[w])
    return out


def test_corpus_reads_ptb_directory(tmp_path):
    splits = {"train": [" the cat sat ", "on the mat"], "valid": ["the dog"], "test": ["a cat sat on a dog"]}
    for name, lines in splits.items():
        (tmp_path / f"{name}.txt").write_text("\n".join(lines) + "\n")
    corpus = data.Corpus(tmp_path)
    vocab = {}
    for name in ("train", "valid", "test"):
        ids = getattr(corpus, name)
        assert ids.dtype == np.int32
        assert ids.tolist() == _reference_ids(splits[name], vocab)
    assert corpus.dictionary.word2idx == vocab
    assert [corpus.dictionary.idx2word[i] for i in corpus.valid] == ["the", "dog", "<eos>"]
    single = data.Corpus(tmp_path / "train.txt")
    assert single.train.tolist() == corpus.train.tolist() and single.valid.size == 0


def test_corpus_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="train.txt"):
        data.Corpus(tmp_path)
    (tmp_path / "train.txt").write_bytes(b"fine line\nbad \xff byte\n")
    with pytest.raises(DataFormatError, match=r"train\.txt.*UTF-8.*line 2"):
        data.Corpus(tmp_path)


def test_batchify_and_get_batch_match_reference():
    stream = np.arange(23, dtype=np.int32)
    b = data.batchify(stream, 4)
    nb = 23 // 4
    assert b.shape == (nb, 4)
    for j in range(4):
        np.testing.assert_array_equal(b[:, j], stream[j * nb:(j + 1) * nb])
    x, y = data.get_batch(b, 1, 3)
    np.testing.assert_array_equal(x, b[1:4])
    np.testing.assert_array_equal(y, b[2:5].reshape(-1))
    x, y = data.get_batch(b, 3, 10)                        # clipped at the end
    assert x.shape == (nb - 1 - 3, 4) and y.shape == ((nb - 4) * 4,)
    xf, yf = data.get_batch(fnx.asarray(b), 1, 3)          # works on fnx arrays too
    np.testing.assert_array_equal(np.asarray(xf), b[1:4])
    np.testing.assert_array_equal(np.asarray(yf), b[2:5].reshape(-1))
    with pytest.raises(ValueError, match="too few"):
        data.batchify(stream[:3], 4)
    with pytest.raises(ValueError, match="must be in"):
        data.get_batch(b, nb - 1, 3)


# ----------------------------------------------------------------------------- bundled data

def test_bundled_digits():
    train, test = data.load_digits()
    (xtr, ytr), (xte, yte) = train.arrays, test.arrays
    assert len(train) + len(test) == 1797 and len(test) == round(0.2 * 1797)
    assert xtr.shape[1:] == (1, 8, 8) and xtr.dtype == np.float32 and ytr.dtype == np.int32
    assert 0.0 <= xtr.min() and xtr.max() <= 1.0 and xtr.max() == 1.0
    assert set(np.unique(np.concatenate([ytr, yte])).tolist()) == set(range(10))
    np.testing.assert_array_equal(xtr * 16, np.round(xtr * 16))  # 17 grey levels
    again = data.load_digits()[1].arrays[0]
    np.testing.assert_array_equal(xte, again)                  # fixed split


def test_bundled_digits_equal_sklearn():
    sk = pytest.importorskip("sklearn.datasets")
    d = sk.load_digits()
    with np.load(data.bundled._DIGITS_FILE) as f:
        np.testing.assert_array_equal(f["images"], d.images)
        np.testing.assert_array_equal(f["labels"], d.target)
    for ours, theirs in zip(data.load_digits(), data.load_digits(use_sklearn=True)):
        for a, b in zip(ours.arrays, theirs.arrays):
            np.testing.assert_array_equal(a, b)


def test_bundled_text_corpus():
    corpus = data.load_text_corpus()
    n = len(corpus.train) + len(corpus.valid) + len(corpus.test)
    assert n > 80_000                                   # ~100k on CPython 3.11
    assert len(corpus.valid) > 0.03 * n and len(corpus.test) > 0.03 * n
    d = corpus.dictionary
    assert 500 < len(d) < 20_000 and "<eos>" in d and "<unk>" in d
    words = [d.idx2word[i] for i in corpus.train[:200]]
    assert "the" in words and all(w == w.lower() for w in words)
    np.testing.assert_array_equal(corpus.train, data.load_text_corpus().train)   # deterministic
    batches = data.batchify(corpus.train, 20)
    x, y = data.get_batch(batches, 0, 35)
    assert x.shape == (35, 20) and y.shape == (700,)
