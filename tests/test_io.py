"""fnx.io.save / load: round trips (dtypes, 0-d and empty arrays, nested containers, optimizer states),
atomic writes (a failing and a SIGKILLed save leave the old checkpoint loadable), template checks and
corrupted files."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import namedtuple
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.io
import fnx.numpy as fnp
import fnx.optim as optim
from fnx.errors import CheckpointError, DataFormatError

DTYPES = [np.bool_, np.int8, np.uint8, np.int32, np.int64, np.float32, np.float64]


class Pair(NamedTuple):
    first: object
    second: object


def _assert_tree_equal(got, want):
    """Same structure, every array leaf an fnx.Array with want's dtype, shape and values."""
    g_leaves, g_def = fnx.tree.flatten(got)
    w_leaves, w_def = fnx.tree.flatten(want)
    assert g_def == w_def, (g_def, w_def)
    for g, w in zip(g_leaves, w_leaves):
        if isinstance(w, (fnx.Array, np.ndarray, np.generic)):
            w = np.asarray(w.to_numpy() if isinstance(w, fnx.Array) else w)
            assert isinstance(g, fnx.Array)
            assert g.dtype == w.dtype and g.shape == w.shape
            np.testing.assert_array_equal(g.to_numpy(), w)
        else:
            assert type(g) is type(w) and (g == w or (g != g and w != w))


def _sample_tree():
    rng = np.random.default_rng(0)
    arrays = {np.dtype(d).name: rng.normal(size=(2, 3)).astype(d) if d is not np.bool_
              else rng.normal(size=(2, 3)) > 0 for d in DTYPES}
    return {
        "arrays": arrays,
        "scalars0d": [fnp.asarray(np.float64(2.5)), fnp.asarray(np.int64(-3)), fnp.asarray(np.bool_(True)),
                      fnp.asarray(7, dtype=fnp.int32)],
        "empty": (fnp.zeros((0, 3)), np.zeros((2, 0), np.int64)),
        "nested": {"none": None, "list": [1, 2.5, True, "text", float("inf")], "tuple": (None, ()),
                   "int_keys": {1: fnp.ones(2), 2: fnp.zeros(1)}},
        "pair": Pair(fnp.arange(3), Pair(None, fnp.asarray(np.eye(2)))),
        "numpy_leaf": np.arange(4, dtype=np.float32),
    }


def test_round_trip_preserves_dtypes_shapes_and_structure(tmp_path):
    tree = _sample_tree()
    fnx.io.save(tmp_path / "ckpt.fnx", tree)
    _assert_tree_equal(fnx.io.load(tmp_path / "ckpt.fnx"), tree)
    _assert_tree_equal(fnx.io.load(tmp_path / "ckpt.fnx", like=tree), tree)


@given(hnp.arrays(st.sampled_from(DTYPES), hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)))
def test_round_trip_arrays(tmp_path_factory, a):
    path = tmp_path_factory.mktemp("io") / "a.fnx"
    fnx.io.save(path, {"a": a, "t": (fnp.asarray(a),)})
    back = fnx.io.load(path)
    for got in (back["a"], back["t"][0]):
        assert got.dtype == a.dtype and got.shape == a.shape
        np.testing.assert_array_equal(got.to_numpy(), a)


def test_optimizer_state_round_trip_continues_identically(tmp_path):
    params = {"w": fnp.asarray(np.linspace(-1, 1, 6).reshape(2, 3)), "b": fnp.zeros(3, dtype=fnp.float64)}
    opt = optim.chain(optim.clip_by_global_norm(1.0), optim.adamw(optim.cosine_decay_schedule(0.1, 10)))
    loss = lambda p: fnp.sum(p["w"] ** 2) + fnp.sum((p["b"] - 1) ** 2)  # noqa: E731

    def step(params, state):
        updates, state = opt.update(fnx.grad(loss)(params), state, params)
        return optim.apply_updates(params, updates), state

    state = opt.init(params)
    for _ in range(2):
        params, state = step(params, state)
    fnx.io.save(tmp_path / "s.fnx", {"params": params, "opt_state": state})
    restored = fnx.io.load(tmp_path / "s.fnx", like={"params": params, "opt_state": state})
    _assert_tree_equal(restored, {"params": params, "opt_state": state})
    # The NamedTuple states come back as their own classes even without a template.
    plain = fnx.io.load(tmp_path / "s.fnx")
    assert fnx.tree.structure(plain) == fnx.tree.structure(restored)
    a = step(params, state)
    b = step(restored["params"], restored["opt_state"])
    _assert_tree_equal(b, a)


def test_unknown_namedtuple_becomes_an_equivalent_namedtuple(tmp_path):
    Local = namedtuple("Local", ["x", "y"])
    Local.__module__ = "a_module_that_is_not_imported"
    fnx.io.save(tmp_path / "n.fnx", Local(fnp.ones(2), None))
    back = fnx.io.load(tmp_path / "n.fnx")
    assert type(back).__name__ == "Local" and back._fields == ("x", "y") and back.y is None
    np.testing.assert_array_equal(back.x.to_numpy(), np.ones(2, np.float32))
    assert "a_module_that_is_not_imported" not in sys.modules


@fnx.tree.register_pytree_node_class
class Box:
    def __init__(self, value, tag):
        self.value, self.tag = value, tag

    def tree_flatten(self):
        return (self.value,), self.tag

    @classmethod
    def tree_unflatten(cls, tag, children):
        return cls(children[0], tag)


def test_custom_node_needs_a_template(tmp_path):
    tree = {"box": Box(fnp.arange(3.0), "hello")}
    fnx.io.save(tmp_path / "c.fnx", tree)
    with pytest.raises(CheckpointError, match="like="):
        fnx.io.load(tmp_path / "c.fnx")
    back = fnx.io.load(tmp_path / "c.fnx", like={"box": Box(fnx.ShapeDtypeStruct((3,), np.float32), "hello")})
    assert isinstance(back["box"], Box) and back["box"].tag == "hello"
    np.testing.assert_array_equal(back["box"].value.to_numpy(), np.arange(3.0, dtype=np.float32))


# --------------------------------------------------------------------------------------------------
# Atomic writes
# --------------------------------------------------------------------------------------------------

def _leftovers(directory, keep):
    return sorted(set(os.listdir(directory)) - set(keep))


@pytest.mark.parametrize("exc", [OSError("disk full"), KeyboardInterrupt()])
def test_failed_save_leaves_old_file_and_no_temp_file(tmp_path, monkeypatch, exc):
    path = tmp_path / "ckpt.fnx"
    old = {"w": fnp.arange(5.0), "step": 1}
    fnx.io.save(path, old)
    before = path.read_bytes()
    calls = []
    real = fnx.io._write_array

    def write_then_fail(f, a):
        if calls:
            raise exc  # the second array: the temp file already holds the header and one array
        calls.append(1)
        real(f, a)
    monkeypatch.setattr(fnx.io, "_write_array", write_then_fail)
    with pytest.raises(type(exc)):
        fnx.io.save(path, {"w": fnp.zeros(100), "v": fnp.ones(1000), "step": 2})
    assert calls, "the writer was not reached"
    assert path.read_bytes() == before
    _assert_tree_equal(fnx.io.load(path), old)
    assert _leftovers(tmp_path, ["ckpt.fnx"]) == []


_KILLED_WRITER = textwrap.dedent("""
    import sys, time
    import numpy as np
    import fnx.io
    path, marker = sys.argv[1], sys.argv[2]
    real = fnx.io._write_array
    def slow(f, a):
        real(f, a)
        f.flush()
        open(marker, "w").close()  # the new file is half written now
        time.sleep(60)
    fnx.io._write_array = slow
    fnx.io.save(path, {"w": np.zeros(1000), "v": np.ones(1000)})
""")


def test_save_killed_mid_write_leaves_old_file_intact(tmp_path):
    path, marker = tmp_path / "ckpt.fnx", tmp_path / "marker"
    old = {"w": fnp.arange(4.0), "v": fnp.ones(2, dtype=fnp.int64)}
    fnx.io.save(path, old)
    before = path.read_bytes()
    root = os.path.dirname(os.path.dirname(os.path.abspath(fnx.__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(path), str(marker)], env=env)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, "the writer exited before writing"
            assert time.monotonic() < deadline, "the writer never reached the middle of the file"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    _assert_tree_equal(fnx.io.load(path), old)
    # the killed process had no chance to clean up: its half-written temp file is a separate file
    for name in _leftovers(tmp_path, ["ckpt.fnx", "marker"]):
        assert name.startswith(".ckpt.fnx.") and name.endswith(".tmp")


# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------

def test_template_mismatch_names_the_key_path_and_shapes(tmp_path):
    path = tmp_path / "m.fnx"
    fnx.io.save(path, {"layer": {"w": fnp.zeros((2, 3)), "b": fnp.zeros(3)}})
    with pytest.raises(CheckpointError, match=r"\['layer'\]\['w'\].*float32\[3, 2\].*float32\[2, 3\]"):
        fnx.io.load(path, like={"layer": {"w": fnp.zeros((3, 2)), "b": fnp.zeros(3)}})
    with pytest.raises(CheckpointError, match=r"\['layer'\]\['b'\].*float64\[3\].*float32\[3\]"):
        fnx.io.load(path, like={"layer": {"w": fnp.zeros((2, 3)), "b": fnp.zeros(3, dtype=fnp.float64)}})
    with pytest.raises(CheckpointError, match=r"\['layer'\]\['a'\]"):
        fnx.io.load(path, like={"layer": {"w": fnp.zeros((2, 3)), "a": fnp.zeros(3)}})
    with pytest.raises(CheckpointError, match=r"template has 3 leaves, the file 2.*\['layer'\]\['x'\]"):
        fnx.io.load(path, like={"layer": {"w": fnp.zeros((2, 3)), "b": fnp.zeros(3), "x": fnp.zeros(1)}})
    with pytest.raises(CheckpointError, match=r"the file has 2 leaves, the template 1.*\['layer'\]\['w'\]"):
        fnx.io.load(path, like={"layer": {"b": fnp.zeros(3)}})


def test_corrupted_and_truncated_files_raise_naming_the_file(tmp_path):
    path = tmp_path / "ckpt.fnx"
    fnx.io.save(path, {"w": fnp.arange(16.0)})
    blob = path.read_bytes()
    bad = tmp_path / "bad.fnx"
    cases = {
        "truncated": blob[:-10],
        "flipped": blob[:-5] + bytes([blob[-5] ^ 0xFF]) + blob[-4:],
        "not a checkpoint": b"PK\x03\x04 hello",
        "empty": b"",
        "header cut": blob[:20],
    }
    for what, data in cases.items():
        bad.write_bytes(data)
        with pytest.raises(CheckpointError, match="bad.fnx") as info:
            fnx.io.load(bad)
        assert "fnx.io.load" in str(info.value), what
    # a readable header that describes something else (here: an unsupported dtype) is rejected too
    hlen = int.from_bytes(blob[8:16], "little")
    header = json.loads(blob[16:16 + hlen])
    header["arrays"][0]["dtype"] = "object"
    new = json.dumps(header).encode()
    bad.write_bytes(blob[:8] + len(new).to_bytes(8, "little") + new + blob[16 + hlen:])
    with pytest.raises(CheckpointError, match=r"bad.fnx.*header field arrays\[0\]\.dtype"):
        fnx.io.load(bad)


def test_save_rejects_what_it_cannot_store(tmp_path):
    with pytest.raises(CheckpointError, match=r"\['f'\].*object"):
        fnx.io.save(tmp_path / "x.fnx", {"f": object()})
    with pytest.raises(CheckpointError, match="float16"):
        fnx.io.save(tmp_path / "x.fnx", {"h": np.zeros(2, np.float16)})

    @fnx.jit
    def inside(x):
        fnx.io.save(tmp_path / "x.fnx", {"x": x})
        return x
    with pytest.raises(CheckpointError, match="traced"):
        inside(fnp.ones(2))
    assert _leftovers(tmp_path, []) == []


def test_corrupted_tree_description_raises_naming_the_file(tmp_path):
    path = tmp_path / "t.fnx"
    fnx.io.save(path, {"w": fnp.ones(2)})
    blob = path.read_bytes()
    hlen = int.from_bytes(blob[8:16], "little")
    header = json.loads(blob[16:16 + hlen])
    for tree in [{"dict": [["w", {"array": 5}]]}, {"namedtuple": "x.Y", "fields": ["not valid"], "children": []},
                 {"list": 3}, [1, 2]]:
        header["tree"] = tree
        new = json.dumps(header).encode()
        path.write_bytes(blob[:8] + len(new).to_bytes(8, "little") + new + blob[16 + hlen:])
        with pytest.raises(CheckpointError, match="t.fnx"):
            fnx.io.load(path)


# issue 16: a header field of the wrong type raised AttributeError / TypeError (or loaded
# garbage: a negative array index, a dict as a "scalar"), a deeply nested tree RecursionError.
def _rewrite_header(path, change, data_section=None):
    blob = path.read_bytes()
    hlen = int.from_bytes(blob[8:16], "little")
    header = json.loads(blob[16:16 + hlen])
    new = change(header)
    raw = new if isinstance(new, bytes) else json.dumps(header).encode()
    data = blob[16 + hlen:] if data_section is None else data_section
    path.write_bytes(blob[:8] + len(raw).to_bytes(8, "little") + raw + data)


def _entry(h, i=0):
    return h["arrays"][i]


HEADER_CORRUPTIONS = [
    ("the header is a list", lambda h: b"[1, 2]", r"a JSON list, not an object"),
    ("data_size a string", lambda h: h.update(data_size="80"), r"header field data_size"),
    ("data_size a bool", lambda h: h.update(data_size=True), r"header field data_size"),
    ("arrays an object", lambda h: h.update(arrays={"a": 1}), r"header field arrays: must be a list"),
    ("arrays an int", lambda h: h.update(arrays=3), r"header field arrays: must be a list"),
    ("an entry a list", lambda h: h["arrays"].__setitem__(0, [1]), r"header field arrays\[0\]: must"),
    ("an entry a string", lambda h: h["arrays"].__setitem__(0, "x"), r"arrays\[0\]: must be an object"),
    ("path an int", lambda h: _entry(h).update(path=5), r"arrays\[0\]\.path"),
    ("dtype unknown", lambda h: _entry(h).update(dtype="float16"), r"arrays\[0\]\.dtype"),
    ("dtype a list", lambda h: _entry(h).update(dtype=["f4"]), r"arrays\[0\]\.dtype"),
    ("shape a string", lambda h: _entry(h).update(shape="2"), r"arrays\[0\]\.shape"),
    ("shape negative", lambda h: _entry(h).update(shape=[-2]), r"arrays\[0\]\.shape"),
    ("shape nested", lambda h: _entry(h).update(shape=[[2]]), r"arrays\[0\]\.shape"),
    ("offset a float", lambda h: _entry(h).update(offset=0.5), r"arrays\[0\]\.offset"),
    ("offset a string", lambda h: _entry(h).update(offset="0"), r"arrays\[0\]\.offset"),
    ("offset past the end", lambda h: _entry(h).update(offset=10 ** 6), r"arrays\[0\]\.offset.*run past"),
    ("nbytes wrong", lambda h: _entry(h).update(nbytes=4), r"arrays\[0\]\.nbytes.*float32\[2\]"),
    ("crc32 missing", lambda h: _entry(h).pop("crc32"), r"arrays\[0\]\.crc32: missing"),
    ("crc32 a string", lambda h: _entry(h).update(crc32="x"), r"arrays\[0\]\.crc32"),
    ("tree a string", lambda h: h.update(tree="x"), r"header field tree: is not a tree node"),
    ("two node kinds", lambda h: h["tree"].update(list=[]), r"header field tree: is not a tree node"),
    ("dict not pairs", lambda h: h["tree"].update(dict=[["s"]]), r"tree\.dict\[0\]: must be a \[key, node\]"),
    ("dict an object", lambda h: h["tree"].update(dict={"w": 1}), r"tree\.dict: must be a list"),
    ("dict key a list", lambda h: h["tree"]["dict"][0].__setitem__(0, [1]), r"tree\.dict\[0\]"),
    ("array index -1", lambda h: h["tree"]["dict"][1][1]["tuple"].__setitem__(0, {"array": -1}),
     r"tree\.dict\[1\]\[1\]\.tuple\[0\]\.array"),
    ("array index a string", lambda h: h["tree"]["dict"][2].__setitem__(1, {"array": "1"}),
     r"tree\.dict\[2\]\[1\]\.array"),
    ("array used twice", lambda h: h["tree"]["dict"][2].__setitem__(1, {"array": 0}),
     r"tree\.dict\[2\]\[1\]\.array.*unused"),
    ("scalar a dict", lambda h: h["tree"]["dict"][0].__setitem__(1, {"scalar": {"a": 1}}),
     r"tree\.dict\[0\]\[1\]\.scalar"),
    ("tuple a string", lambda h: h["tree"]["dict"][1].__setitem__(1, {"tuple": "ab"}),
     r"tree\.dict\[1\]\[1\]\.tuple: must be a list"),
    ("namedtuple name an int", lambda h: h.update(
        tree={"namedtuple": 5, "fields": [], "children": []}), r"tree\.namedtuple"),
    ("namedtuple fields bad", lambda h: h.update(
        tree={"namedtuple": "m.T", "fields": ["not valid"], "children": [None]}), r"tree\.fields"),
    ("namedtuple children short", lambda h: h.update(
        tree={"namedtuple": "m.T", "fields": ["a"], "children": []}), r"tree\.children"),
]


@pytest.mark.parametrize("what, change, field", HEADER_CORRUPTIONS,
                         ids=[c[0] for c in HEADER_CORRUPTIONS])
def test_malformed_header_fields_raise_naming_the_file_and_field(tmp_path, what, change, field):
    path = tmp_path / "ckpt.fnx"
    fnx.io.save(path, {"s": 3, "t": (fnp.ones(2), None), "w": fnp.arange(4.0)})
    _rewrite_header(path, change)
    # a CheckpointError is a DataFormatError (a malformed data file), as issue 16 asks
    with pytest.raises(DataFormatError, match=r"fnx\.io\.load: .*ckpt\.fnx.* is not a valid fnx "
                                              r"checkpoint: .*" + field) as info:
        fnx.io.load(path)
    assert isinstance(info.value, CheckpointError)


@pytest.mark.parametrize("depth", [250, 100_000])
def test_deeply_nested_header_raises_instead_of_recursing(tmp_path, depth):
    path = tmp_path / "deep.fnx"
    fnx.io.save(path, {"w": fnp.ones(2)})
    tree = '{"list": [' * depth + '{"array": 0}' + "]}" * depth

    def change(h):
        h["tree"] = "@@"
        return json.dumps(h).replace('"@@"', tree).encode()
    _rewrite_header(path, change)
    with pytest.raises(CheckpointError, match=r"deep\.fnx.*deeper than"):
        fnx.io.load(path)


def test_save_bounds_the_tree_depth_that_load_accepts(tmp_path):
    tree = fnp.ones(2)
    for _ in range(fnx.io.MAX_TREE_DEPTH):
        tree = [tree]
    fnx.io.save(tmp_path / "ok.fnx", tree)
    got = fnx.io.load(tmp_path / "ok.fnx")
    for _ in range(fnx.io.MAX_TREE_DEPTH):
        got = got[0]
    np.testing.assert_array_equal(np.asarray(got), np.ones(2))
    with pytest.raises(CheckpointError, match=r"fnx\.io\.save: the tree nests deeper than"):
        fnx.io.save(tmp_path / "deep.fnx", [tree])


def test_models_with_parameterless_layers_round_trip(tmp_path):
    """A custom node with no children (nn.Flatten, a wrapped activation) is a node, not a leaf."""
    import fnx.nn as nn
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3, key=fnx.random.PRNGKey(0)), nn.relu)
    path = tmp_path / "model.fnx"
    fnx.io.save(path, {"model": model})
    back = fnx.io.load(path, like={"model": model})["model"]
    np.testing.assert_array_equal(np.asarray(back.layers[1].weight),
                                  np.asarray(model.layers[1].weight))
    assert fnx.tree.structure(back) == fnx.tree.structure(model)
