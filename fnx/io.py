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
byte count and CRC-32 of the little-endian C-order bytes. A tree nests at most ``MAX_TREE_DEPTH`` levels.

``load`` checks every header field (types, ranges, array entries inside the data section, each array
used once by the tree) before building anything; a malformed file raises ``CheckpointError`` naming the
file and the field.

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
import math
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
# How deeply a saved tree may nest (save refuses deeper trees, load rejects deeper headers): far
# beyond real pytrees, and shallow enough for the recursive JSON codec and tree rebuilding.
MAX_TREE_DEPTH = 200


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
        if len(path) > MAX_TREE_DEPTH:
            raise CheckpointError(f"fnx.io.save: the tree nests deeper than {MAX_TREE_DEPTH} "
                                  f"levels (at {_tree.keystr(path[:8])}...)")
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
    except ValueError as e:
        raise bad(f"the header is corrupted ({e})") from None
    except RecursionError:
        raise bad(f"the header nests deeper than a checkpoint can (at most {MAX_TREE_DEPTH} "
                  "levels of tree)") from None
    data = memoryview(blob)[start + hlen:]
    _HeaderCheck(bad, len(data)).check(header)
    return header, data


# ---------------------------------------------------------------------------------------------------
# Validating the header: every field's type and range, before anything is built from it
# ---------------------------------------------------------------------------------------------------

def _is_int(x) -> bool:
    return type(x) is int  # not bool, not float: JSON integers only


class _HeaderCheck:
    """Checks a parsed header against the format (module docstring), raising
    ``bad("header field <name>: <why>")``: the structure of every field, array entries that fit
    the data section, and a tree that uses each array exactly once and nests at most
    MAX_TREE_DEPTH levels (walked with an explicit stack, so a hostile file cannot exhaust
    the Python stack)."""

    def __init__(self, bad, data_len: int):
        self.bad, self.data_len = bad, data_len

    def fail(self, field: str, why: str):
        if len(field) > 100:  # a deep tree's field: its start and its end
            field = f"{field[:40]}...{field[-40:]}"
        raise self.bad(f"header field {field}: {why}")

    def check(self, header) -> None:
        if not isinstance(header, dict):
            raise self.bad(f"the header is corrupted (a JSON {type(header).__name__}, not an "
                           "object)")
        missing = [k for k in ("format", "version", "tree", "arrays", "data_size")
                   if k not in header]
        if missing:
            raise self.bad(f"the header is corrupted (missing {', '.join(missing)})")
        if header["format"] != "fnx-checkpoint" or header["version"] != FORMAT_VERSION:
            raise self.bad(f"unsupported format {header['format']!r} version "
                           f"{header['version']!r}")
        size = header["data_size"]
        if not _is_int(size) or size < 0:
            self.fail("data_size", f"must be a byte count, got {size!r}")
        if size != self.data_len:
            raise self.bad(f"the file is truncated or has trailing bytes (data section of "
                           f"{self.data_len} bytes, expected {size})")
        arrays = header["arrays"]
        if not isinstance(arrays, list):
            self.fail("arrays", f"must be a list, got {type(arrays).__name__}")
        for i, entry in enumerate(arrays):
            self.check_array_entry(f"arrays[{i}]", entry)
        self.check_tree(header["tree"], len(arrays))

    def check_array_entry(self, field: str, e) -> None:
        if not isinstance(e, dict):
            self.fail(field, f"must be an object, got {type(e).__name__}")
        for key, ok, what in (("path", lambda v: isinstance(v, str), "a string"),
                              ("dtype", lambda v: isinstance(v, str) and v in _ALLOWED_DTYPES,
                               f"one of {', '.join(_ALLOWED_DTYPES)}"),
                              ("shape", lambda v: isinstance(v, list) and all(
                                  _is_int(d) and d >= 0 for d in v), "a list of sizes"),
                              ("offset", lambda v: _is_int(v) and v >= 0, "a byte offset"),
                              ("nbytes", lambda v: _is_int(v) and v >= 0, "a byte count"),
                              ("crc32", lambda v: _is_int(v) and 0 <= v < 2 ** 32,
                               "a CRC-32")):
            if key not in e:
                self.fail(f"{field}.{key}", "missing")
            if not ok(e[key]):
                self.fail(f"{field}.{key}", f"must be {what}, got {e[key]!r}")
        expected = _ALLOWED_DTYPES[e["dtype"]].itemsize * math.prod(e["shape"])
        if e["nbytes"] != expected:
            self.fail(f"{field}.nbytes", f"{e['nbytes']} bytes do not hold {e['dtype']}"
                                         f"{e['shape']} ({expected} bytes)")
        if e["offset"] + e["nbytes"] > self.data_len:
            self.fail(f"{field}.offset", f"{e['nbytes']} bytes at offset {e['offset']} run past "
                                         f"the data section ({self.data_len} bytes)")

    def check_tree(self, tree, n_arrays: int) -> None:
        used = [False] * n_arrays
        stack = [(tree, "tree", 0)]
        while stack:
            node, field, depth = stack.pop()
            if depth > MAX_TREE_DEPTH:
                self.fail(field, f"the tree nests deeper than {MAX_TREE_DEPTH} levels")
            # reversed: popped in document order, so an index used twice is reported where
            # it is used the second time
            for child, child_field in reversed(self.children(node, field, used)):
                stack.append((child, child_field, depth + 1))
        if not all(used):
            self.fail("arrays", f"entry {used.index(False)} is not used by the tree")

    def children(self, node, field: str, used: list) -> list:
        """The (child, field name) pairs of one checked tree node."""
        if node is None:
            return []
        if not isinstance(node, dict) or not node:
            self.fail(field, f"is not a tree node: {_short(node)}")
        kinds = [k for k in _NODE_KINDS if k in node]
        if len(kinds) != 1 or set(node) != set(_NODE_KINDS[kinds[0]]):
            self.fail(field, f"is not a tree node (keys {sorted(node)})")
        kind = kinds[0]
        value = node[kind]
        if kind == "array":
            if not _is_int(value) or not 0 <= value < len(used) or used[value]:
                self.fail(f"{field}.array", f"must be the index of an unused array entry "
                                            f"(0 to {len(used) - 1}), got {value!r}")
            used[value] = True
            return []
        if kind == "scalar":
            if not isinstance(value, (bool, int, float, str)):
                self.fail(f"{field}.scalar", f"must be a bool, int, float or string, got "
                                             f"{_short(value)}")
            return []
        if kind == "dict":
            return self.dict_children(value, f"{field}.dict")
        if kind in ("namedtuple", "custom"):
            if not isinstance(value, str):
                self.fail(f"{field}.{kind}", f"must be a class name, got {_short(value)}")
        if kind == "namedtuple":
            fields = node["fields"]
            if not isinstance(fields, list) or not all(
                    isinstance(f, str) and f.isidentifier() for f in fields) or \
                    len(set(fields)) != len(fields):
                self.fail(f"{field}.fields", f"must be distinct field names, got {_short(fields)}")
        kids_key = kind if kind in ("list", "tuple") else "children"
        kids = node[kids_key]
        if not isinstance(kids, list):
            self.fail(f"{field}.{kids_key}", f"must be a list, got {_short(kids)}")
        if kind == "namedtuple" and len(kids) != len(node["fields"]):
            self.fail(f"{field}.children", f"{len(kids)} children for the "
                                           f"{len(node['fields'])} fields")
        return [(c, f"{field}.{kids_key}[{i}]") for i, c in enumerate(kids)]

    def dict_children(self, entries, field: str) -> list:
        if not isinstance(entries, list):
            self.fail(field, f"must be a list of [key, node] pairs, got {_short(entries)}")
        keys, out = set(), []
        for i, pair in enumerate(entries):
            if not isinstance(pair, list) or len(pair) != 2 or not (
                    isinstance(pair[0], str) or _is_int(pair[0])) or pair[0] in keys:
                self.fail(f"{field}[{i}]", f"must be a [key, node] pair with a new str or int "
                                           f"key, got {_short(pair)}")
            keys.add(pair[0])
            out.append((pair[1], f"{field}[{i}][1]"))
        return out


# The keys of each kind of tree node (the first one names the kind)
_NODE_KINDS = {"array": ("array",), "scalar": ("scalar",), "dict": ("dict",), "list": ("list",),
               "tuple": ("tuple",), "namedtuple": ("namedtuple", "fields", "children"),
               "custom": ("custom", "children")}


def _short(x, limit: int = 60) -> str:
    r = repr(x)
    return r if len(r) <= limit else r[:limit] + "..."


def _decode_array(path: str, e: dict, data: memoryview) -> np.ndarray:
    """One array of a checked header (_HeaderCheck: the entry fits the data section)."""
    dtype = _ALLOWED_DTYPES[e["dtype"]].newbyteorder("<")
    off, n = e["offset"], e["nbytes"]
    raw = data[off:off + n]
    if zlib.crc32(raw) != e["crc32"]:
        where = f"fnx.io.load: {path!r}, array at {e['path'] or 'the root'}"
        raise CheckpointError(f"{where}: checksum mismatch, the file is corrupted")
    return np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="), copy=True) \
        .reshape(tuple(e["shape"]))


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
