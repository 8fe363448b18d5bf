"""examples/deq.py: the deep equilibrium model runs end to end on the bundled digits, resumes
exactly, reports its solver's iteration count, and its implicit gradient (lax.fixed_point's
adjoint fixed point) equals central finite differences and backpropagation through the cell
unrolled to convergence."""
import json
import os
import sys

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.errors import InvalidArgumentError

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
sys.path.insert(0, EXAMPLES)

import deq  # noqa: E402

TINY = ["--hidden", "16", "--train-subset", "128", "--batch-size", "32", "--no-progress"]


def test_smoke_run_reports_iterations_memory_and_final_line(tmp_path, capsys):
    acc = deq.main(TINY + ["--epochs", "1", "--out", str(tmp_path)])
    out = capsys.readouterr().out.strip().splitlines()
    assert 0.0 <= acc <= 1.0
    assert out[-1].startswith("final test_acc ") and out[-1].endswith(" s")
    assert float(out[-1].split()[2]) == pytest.approx(acc, abs=1e-4)
    assert any("fwd iters mean" in line for line in out)
    assert os.path.exists(tmp_path / "checkpoint.fnx")
    (record,) = json.loads((tmp_path / "history.json").read_text())
    assert set(record) >= {"epoch", "train_loss", "train_acc", "test_acc", "fwd_iters_mean",
                           "fwd_iters_max", "test_fwd_iters_max"}
    assert 1 <= record["fwd_iters_mean"] <= record["fwd_iters_max"] <= 50
    memory = json.loads((tmp_path / "memory.json").read_text())
    assert memory["depth"] == max(1, round(record["fwd_iters_mean"]))
    # backpropagating through depth unrolled layers keeps every layer's activations
    assert memory["explicit_bytes"] > memory["deq_bytes"] > 0
    assert any(line.startswith("memory of one training step") for line in out)


def test_resume_continues_exactly(tmp_path):
    args = TINY + ["--epochs", "2", "--no-memory"]
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    deq.main(args + ["--out", str(straight)])
    deq.main(args + ["--out", str(resumed), "--stop-after", "1"])
    assert len(json.loads((resumed / "history.json").read_text())) == 1
    deq.main(args + ["--out", str(resumed), "--resume"])
    a = json.loads((straight / "history.json").read_text())
    b = json.loads((resumed / "history.json").read_text())
    assert a == b
    _, template = deq.initial_state(deq.parse_args(args), 64, 128)
    ca = fnx.io.load(str(straight / "checkpoint.fnx"), like=template)
    cb = fnx.io.load(str(resumed / "checkpoint.fnx"), like=template)
    assert int(ca["epoch"]) == int(cb["epoch"]) == 2
    for x, y in zip(fnx.tree.leaves(ca), fnx.tree.leaves(cb)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


# -- the implicit gradient on a tiny float64 model ---------------------------------------------

def _tiny_model(tol=1e-13, max_iter=400):
    model = deq.DEQClassifier(6, 5, 3, gamma=0.7, max_iter=max_iter, tol=tol,
                              key=fnx.random.PRNGKey(3))
    model = fnx.tree.map(lambda a: fnp.asarray(a, "float64"), model)
    # a non-zero bias: otherwise some relu units sit exactly at 0 (a kink)
    rng = np.random.default_rng(0)
    model = model.replace(cell_bias=fnp.asarray(rng.normal(size=5) * 0.3, "float64"))
    x = fnp.asarray(rng.normal(size=(4, 1, 2, 3)), "float64")
    y = fnp.asarray([0, 2, 1, 2], "int32")
    return model, x, y


def _loss(model, x, y):
    return deq.deq_loss(model, x, y)[0]


def test_implicit_gradient_equals_unrolled_to_convergence():
    model, x, y = _tiny_model()
    g_implicit = fnx.grad(_loss)(model, x, y)
    # gamma^200 ~ 1e-31: 200 unrolled applications are the equilibrium to machine precision
    g_unrolled = fnx.grad(deq.unrolled_loss)(model, x, y, 200)
    g_jit = fnx.jit(fnx.grad(_loss))(model, x, y)
    for a, b, c in zip(fnx.tree.leaves(g_implicit), fnx.tree.leaves(g_unrolled),
                       fnx.tree.leaves(g_jit)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-8, atol=1e-11)
        np.testing.assert_allclose(np.asarray(c), np.asarray(a), rtol=1e-8, atol=1e-11)


def test_implicit_gradient_equals_central_finite_differences():
    model, x, y = _tiny_model()
    grads = fnx.grad(_loss)(model, x, y)
    leaves, tree = fnx.tree.flatten(model)
    g_leaves = fnx.tree.leaves(grads)
    rng = np.random.default_rng(1)
    eps = 1e-6
    for k, leaf in enumerate(leaves):
        base = np.asarray(leaf)
        for _ in range(2):                    # two random entries of every parameter
            i = tuple(int(rng.integers(s)) for s in base.shape)

            def loss_at(delta):
                moved = base.copy()
                moved[i] += delta
                new = list(leaves)
                new[k] = fnp.asarray(moved)
                return float(_loss(fnx.tree.unflatten(tree, new), x, y))
            fd = (loss_at(eps) - loss_at(-eps)) / (2 * eps)
            np.testing.assert_allclose(float(np.asarray(g_leaves[k])[i]), fd, rtol=1e-5,
                                       atol=1e-8)


def _numpy_equilibrium(model, x, tol, max_iter):
    """z <- relu(z W^T + u + b) in numpy with fixed_point's stopping rule: (z*, iterations)."""
    w = np.asarray(model.cell_weight())
    u = np.asarray(model.injection(x))
    b = np.asarray(model.cell_bias)
    z = np.zeros_like(u)
    for k in range(1, max_iter + 1):
        new = np.maximum(z @ w.T + u + b, 0.0)
        step, z = np.abs(new - z).max(), new
        if step <= tol * (1 + np.abs(z).max()):
            return z, k
    return z, max_iter


@pytest.mark.parametrize("tol,max_iter", [(1e-6, 400), (1e-13, 400), (1e-13, 5)])
def test_iteration_count_matches_a_numpy_solve(tol, max_iter):
    model, x, _ = _tiny_model(tol, max_iter)
    z, n = model.equilibrium(x)
    z_np, n_np = _numpy_equilibrium(model, x, tol, max_iter)
    assert int(n) == n_np
    np.testing.assert_allclose(np.asarray(z), z_np, rtol=1e-12, atol=1e-12)
    # ||W||_2 = gamma: the spectral normalization holds exactly
    assert np.linalg.norm(np.asarray(model.cell_weight()), 2) == pytest.approx(0.7, rel=1e-12)


def test_gamma_must_make_a_contraction():
    with pytest.raises(InvalidArgumentError, match="DEQClassifier: gamma"):
        deq.DEQClassifier(4, 3, gamma=1.0, key=fnx.random.PRNGKey(0))


@pytest.mark.slow
def test_deq_reaches_its_bar(tmp_path):
    acc = deq.main(["--out", str(tmp_path), "--no-progress"])
    assert acc >= 0.95
    history = json.loads((tmp_path / "history.json").read_text())
    assert [h["epoch"] for h in history] == list(range(1, 16))
    assert history[-1]["train_loss"] < history[0]["train_loss"]
