"""Save and load pytrees of arrays (parameters, optimizer states): ``save(path, tree)``, ``load(path)``.

>>> fnx.io.save("ckpt.fnx", {"params": params, "opt_state": state, "step": 10})
>>> restored = fnx.io.load("ckpt.fnx")                         # same structure, fnx Arrays
>>> restored = fnx.io.load("ckpt.fnx", like=template)          # checked against a template pytree

File format (self-describing, no pickle: loading never runs code from the file)::

    b"FNXCKPT\\x01" | uint64 little-endian header length | UTF-8 JSON header | array bytes

The header holds ``{"format", "version", "tree", "arrays", "data_size"}``. ``tree`` encodes the structure:
``null`` for ``None``; ``{"dict": [[key, node], ...]}`` (str / int keys); ``{"list": [...]}``;
``{"tuple": [...]}``; ``{"namedtuple": "module.QualName", "fields": [...], "children": [...]}``;
``{"custom": "module.QualName", "children": [...]}`` for other registered pytree nodes;
``{"array": i}`` for the i-th array; ``{"scalar": v}`` for a Python bool/int/float/str leaf (kept as a
Python value). Each entry of ``arrays`` has the key path, dtype, shape, byte offset into the data section,
byte count and CRC-32 of the little-endian C-order bytes.

Rebuilding node types (decided here, since no code may run at load time): dict / list / tuple / None
come back as themselves. A NamedTuple comes back as its original class when that class's module is
already imported (looked up in ``sys.modules``, never imported), else as an equivalent ``namedtuple`` built
from the stored name and fields. Other custom nodes (registered classes) need ``like=``: a template
pytree whose structure is used instead of the stored one; with ``like=`` the file's key paths, shapes and
dtypes are checked leaf by leaf against the template and the first difference is reported.

Writes are atomic: the data goes to a temporary file in the same directory, is flushed and fsync'ed and
then renamed over ``path`` with ``os.replace``; a write that fails leaves the old file untouched and
removes the temporary one (a process killed mid-write may leave a ``.<name>.*.tmp`` file behind, but
the old checkpoint still loads).
"""
from __future__ import annotations

import json
import os
import struct
import sys
import tempfile
import zlib
from collections import namedtuple
from typing import Any

import numpy as np

from . import dtypes as _dtypes
from . import tree as _tree
from .core import Array, Tracer
from .errors import CheckpointError

__all__ = ["save", "load"]

MAGIC = b"FNXCKPT\x01"
FORMAT_VERSION = 1
_ALIGN = 64  # array data starts on 64-byte boundaries (friendly to memory-mapping and SIMD loads)
_ALLOWED_DTYPES = {np.dtype(d).name: np.dtype(d) for d in _dtypes.SUPPORTED}


# ---------------------------------------------------------------------------------------------------
# Encoding the tree
# ---------------------------------------------------------------------------------------------------

def _qualname(t: type) -> str:
    return f"{t.__module__}.{t.__qualname__}"


def _as_host_array(x, path: str) -> np.ndarray:
    if isinstance(x, Tracer):
        raise CheckpointError(f"fnx.io.save: the leaf at {path or 'the root'} is a traced value; "
                              f"save concrete arrays (outside jit/grad/vmap)")
    a = x.to_numpy() if isinstance(x, Array) else np.asarray(x)
    if a.dtype.name not in _ALLOWED_DTYPES:
        raise CheckpointError(f"fnx.io.save: the leaf at {path or 'the root'} has dtype {a.dtype}, which "
                              f"fnx does not support (supported: {', '.join(_ALLOWED_DTYPES)})")
    # np.asarray(order="C"), not ascontiguousarray: the latter turns 0-d arrays into 1-d ones.
    return np.asarray(a, dtype=a.dtype.newbyteorder("<"), order="C")


class _Encoder:
    def __init__(self):
        self.arrays: list[tuple[str, np.ndarray]] = []

    def encode(self, x, path: tuple) -> Any:
        if x is None:
            return None
        if isinstance(x, (bool, int, float, str)) and type(x) in (bool, int, float, str):
            return {"scalar": x}
        if isinstance(x, (Array, Tracer, np.ndarray, np.generic)):
            name = _tree.keystr(path)
            self.arrays.append((name, _as_host_array(x, name)))
            return {"array": len(self.arrays) - 1}
        t = type(x)
        if t is dict:
            keys = list(x)
            for k in keys:
                if type(k) not in (str, int):
                    raise CheckpointError(f"fnx.io.save: dict key {k!r} at {_tree.keystr(path) or 'the root'} "
                                          f"is a {type(k).__name__}; only str and int keys can be saved")
            try:
                keys = sorted(keys)
            except TypeError:
                pass
            return {"dict": [[k, self.encode(x[k], path + (_tree.DictKey(k),))] for k in keys]}
        if t is list or t is tuple:
            kids = [self.encode(c, path + (_tree.SequenceKey(i),)) for i, c in enumerate(x)]
            return {"list" if t is list else "tuple": kids}
        if isinstance(x, tuple) and hasattr(t, "_fields"):
            kids = [self.encode(getattr(x, f), path + (_tree.GetAttrKey(f),)) for f in t._fields]
            return {"namedtuple": _qualname(t), "fields": list(t._fields), "children": kids}
        if _tree.treedef_is_strict_leaf(_tree.structure(x)):
            raise CheckpointError(f"fnx.io.save: cannot save the leaf at {_tree.keystr(path) or 'the root'} "
                                  f"of type {t.__name__} (arrays, None and Python scalars/strings only)")
        # A registered custom node: keep its children by key path; rebuilding needs like=.
        children, _ = _tree.flatten(x, is_leaf=lambda c: c is not x)
        keyed = _tree.flatten_with_path(x, is_leaf=lambda c: c is not x)[0]
        return {"custom": _qualname(t),
                "children": [self.encode(c, path + tuple(kp)) for (kp, _), c in zip(keyed, children)]}


def _encode(tree) -> tuple[dict, list[tuple[str, np.ndarray]]]:
    enc = _Encoder()
    node = enc.encode(tree, ())
    return node, enc.arrays


# ---------------------------------------------------------------------------------------------------
# save
# ---------------------------------------------------------------------------------------------------

def _padding(offset: int) -> int:
    return (-offset) % _ALIGN


def _write_array(f, a: np.ndarray) -> None:
    """Write one array's bytes (a separate function so tests can make a write fail half-way)."""
    f.write(memoryview(a.reshape(-1)).cast("B") if a.size else b"")


def save(path, tree) -> None:
    """Write ``tree`` (a pytree of arrays, None and Python scalars) to ``path`` atomically.

    The previous file at ``path``, if any, stays intact until the new one is complete on disk.

    >>> fnx.io.save("model.fnx", {"w": fnp.ones((2, 3)), "step": 7})
    """
    path = os.fspath(path)
    node, arrays = _encode(tree)
    entries, offset = [], 0
    for name, a in arrays:
        offset += _padding(offset)
        entries.append({"path": name, "dtype": a.dtype.name, "shape": list(a.shape), "offset": offset,
                        "nbytes": a.nbytes, "crc32": zlib.crc32(memoryview(a.reshape(-1)).cast("B"))})
        offset += a.nbytes
    header = json.dumps({"format": "fnx-checkpoint", "version": FORMAT_VERSION, "tree": node,
                         "arrays": entries, "data_size": offset}).encode("utf-8")

    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + struct.pack("<Q", len(header)) + header)
            written = 0
            for (_, a), e in zip(arrays, entries):
                f.write(b"\0" * (e["offset"] - written))
                _write_array(f, a)
                written = e["offset"] + a.nbytes
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _default_file_mode())     # mkstemp makes 0600; a checkpoint is a normal file
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(directory)


def _default_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_dir(directory: str) -> None:
    """Make the rename durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------------
# load
# ---------------------------------------------------------------------------------------------------

def _read_file(path: str) -> tuple[dict, memoryview]:
    def bad(why):
        return CheckpointError(f"fnx.io.load: {path!r} is not a valid fnx checkpoint: {why}")
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < len(MAGIC) + 8 or blob[:len(MAGIC)] != MAGIC:
        raise bad("missing the fnx checkpoint signature (not a checkpoint, or truncated)")
    (hlen,) = struct.unpack("<Q", blob[len(MAGIC):len(MAGIC) + 8])
    start = len(MAGIC) + 8
    if start + hlen > len(blob):
        raise bad(f"the file is truncated (header of {hlen} bytes, file of {len(blob)} bytes)")
    try:
        header = json.loads(blob[start:start + hlen].decode("utf-8"))
        data_size = int(header["data_size"])
        _ = header["tree"], header["arrays"]
    except (ValueError, KeyError, TypeError) as e:
        raise bad(f"the header is corrupted ({e})") from None
    if header.get("format") != "fnx-checkpoint" or header.get("version") != FORMAT_VERSION:
        raise bad(f"unsupported format {header.get('format')!r} version {header.get('version')!r}")
    data = memoryview(blob)[start + hlen:]
    if len(data) != data_size:
        raise bad(f"the file is truncated or has trailing bytes (data section of {len(data)} bytes, "
                  f"expected {data_size})")
    return header, data


def _decode_array(path: str, e: dict, data: memoryview) -> np.ndarray:
    where = f"fnx.io.load: {path!r}, array at {e.get('path') or 'the root'}"
    try:
        dtype = _ALLOWED_DTYPES[e["dtype"]].newbyteorder("<")
        shape = tuple(int(d) for d in e["shape"])
        off, n = int(e["offset"]), int(e["nbytes"])
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"{where}: corrupted array entry {e!r}") from None
    if n != dtype.itemsize * int(np.prod(shape, dtype=np.int64)) or off < 0 or off + n > len(data):
        raise CheckpointError(f"{where}: corrupted array entry (dtype {dtype.name}, shape {list(shape)}, "
                              f"{n} bytes at offset {off})")
    raw = data[off:off + n]
    if zlib.crc32(raw) != e.get("crc32"):
        raise CheckpointError(f"{where}: checksum mismatch, the file is corrupted")
    return np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def _to_fnx(a: np.ndarray) -> Array:
    return Array(a, weak_type=False)


def _resolve_namedtuple(name: str, fields: list):
    module, _, qual = name.rpartition(".")
    obj = sys.modules.get(module)  # only already-imported modules: loading must not run code
    for part in qual.split(".") if obj is not None else ():
        obj = getattr(obj, part, None)
    if isinstance(obj, type) and issubclass(obj, tuple) and list(getattr(obj, "_fields", ())) == fields:
        return obj
    short = qual.rsplit(".", 1)[-1]
    return namedtuple(short if short.isidentifier() else "Restored", fields)


def _build(path: str, node, arrays: list):
    if node is None:
        return None
    if not isinstance(node, dict) or len(node) == 0:
        raise CheckpointError(f"fnx.io.load: {path!r}: corrupted tree node {node!r}")
    if "array" in node:
        return _to_fnx(arrays[node["array"]])
    if "scalar" in node:
        return node["scalar"]
    if "dict" in node:
        return {k: _build(path, v, arrays) for k, v in node["dict"]}
    if "list" in node:
        return [_build(path, v, arrays) for v in node["list"]]
    if "tuple" in node:
        return tuple(_build(path, v, arrays) for v in node["tuple"])
    if "namedtuple" in node:
        cls = _resolve_namedtuple(node["namedtuple"], node["fields"])
        return cls(*[_build(path, v, arrays) for v in node["children"]])
    if "custom" in node:
        raise CheckpointError(f"fnx.io.load: {path!r} contains a custom pytree node of type "
                              f"{node['custom']}; pass like=<a template pytree> to rebuild it")
    raise CheckpointError(f"fnx.io.load: {path!r}: unknown tree node {sorted(node)}")


def _leaf_order(node, out: list) -> None:
    """The leaves (array entries / scalars) of an encoded tree, in flatten order."""
    if node is None:
        return
    if "array" in node or "scalar" in node:
        out.append(node)
    elif "dict" in node:
        for _, v in node["dict"]:
            _leaf_order(v, out)
    else:
        for v in node.get("list") or node.get("tuple") or node.get("children") or ():
            _leaf_order(v, out)


def _describe(x) -> str:
    shape, dtype = getattr(x, "shape", None), getattr(x, "dtype", None)
    if shape is not None and dtype is not None:
        return f"{np.dtype(dtype).name}{list(shape)}"
    return f"{type(x).__name__} {x!r}"


def _load_like(path: str, header: dict, arrays: list, like):
    file_leaves: list = []
    _leaf_order(header["tree"], file_leaves)
    tmpl, treedef = _tree.flatten_with_path(like)
    values = []
    for i, (kp, t) in enumerate(tmpl):
        want = _tree.keystr(tuple(kp)) or "the root"
        if i >= len(file_leaves):
            raise CheckpointError(f"fnx.io.load: {path!r} does not match the template: the template has "
                                  f"{len(tmpl)} leaves, the file {len(file_leaves)}; the first leaf missing "
                                  f"from the file is at {want} ({_describe(t)})")
        node = file_leaves[i]
        if "array" in node:
            entry = header["arrays"][node["array"]]
            got, value = entry["path"] or "the root", arrays[node["array"]]
        else:
            got, value = "a scalar", node["scalar"]
        t_shape, t_dtype = getattr(t, "shape", None), getattr(t, "dtype", None)
        mismatch = got != want and "array" in node
        if t_shape is not None and t_dtype is not None:
            v_shape, v_dtype = np.shape(value), np.asarray(value).dtype
            mismatch = mismatch or tuple(t_shape) != v_shape or np.dtype(t_dtype) != v_dtype
        if mismatch:
            raise CheckpointError(f"fnx.io.load: {path!r} does not match the template at leaf {i}: the "
                                  f"template has {want}: {_describe(t)}, the file has {got}: {_describe(value)}")
        values.append(_to_fnx(value) if isinstance(value, np.ndarray) else value)
    if len(file_leaves) > len(tmpl):
        extra = file_leaves[len(tmpl)]
        name = header["arrays"][extra["array"]]["path"] if "array" in extra else "a scalar"
        raise CheckpointError(f"fnx.io.load: {path!r} does not match the template: the file has "
                              f"{len(file_leaves)} leaves, the template {len(tmpl)}; the first extra leaf "
                              f"in the file is at {name}")
    return _tree.unflatten(treedef, values)


def load(path, like=None):
    """Read a pytree written by :func:`save`; arrays come back as fnx Arrays with their saved dtypes.

    With ``like`` (a template pytree: arrays, ``ShapeDtypeStruct``s or anything with shape/dtype), the
    result has ``like``'s structure (so custom node types are rebuilt) and every leaf's key path, shape and
    dtype must match, else a ``CheckpointError`` names the first difference.

    >>> state = fnx.io.load("ckpt.fnx", like={"params": params, "opt_state": opt_state})
    """
    path = os.fspath(path)
    header, data = _read_file(path)
    arrays = [_decode_array(path, e, data) for e in header["arrays"]]
    try:
        if like is not None:
            return _load_like(path, header, arrays, like)
        return _build(path, header["tree"], arrays)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
        if isinstance(e, CheckpointError):
            raise
        raise CheckpointError(f"fnx.io.load: {path!r}: the tree description in the header is corrupted "
                              f"({type(e).__name__}: {e})") from None
