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
from fnx.errors import CheckpointError

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
    with pytest.raises(CheckpointError, match="bad.fnx.*corrupted array entry"):
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
