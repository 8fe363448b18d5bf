"""The example training scripts run end to end on the bundled data (no download): the README's
main job reaches its accuracy bar, and an interrupted run resumed from its checkpoint ends exactly
where an uninterrupted one does."""
import json
import os
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
sys.path.insert(0, EXAMPLES)

import mlp_resnet  # noqa: E402


def test_mlp_resnet_reaches_the_readme_bar(tmp_path):
    acc = mlp_resnet.main(["--out", str(tmp_path), "--no-progress"])
    assert acc >= 0.97
    assert os.path.exists(tmp_path / "checkpoint.fnx")
    history = json.loads((tmp_path / "history.json").read_text())
    assert [h["epoch"] for h in history] == list(range(1, 21))
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_resume_continues_exactly(tmp_path):
    args = ["--epochs", "3", "--hidden", "32", "--blocks", "1", "--no-progress"]
    straight = tmp_path / "straight"
    mlp_resnet.main(args + ["--out", str(straight)])
    resumed = tmp_path / "resumed"
    mlp_resnet.main(args + ["--out", str(resumed), "--stop-after", "1"])
    assert len(json.loads((resumed / "history.json").read_text())) == 1
    mlp_resnet.main(args + ["--out", str(resumed), "--resume"])
    a = json.loads((straight / "history.json").read_text())
    b = json.loads((resumed / "history.json").read_text())
    assert a == b


@pytest.mark.slow
def test_cnn_reaches_its_bar(tmp_path):
    import cnn
    assert cnn.main(["--out", str(tmp_path), "--no-progress"]) >= 0.98


@pytest.mark.gpu
def test_mlp_resnet_trains_on_a_gpu(tmp_path):
    pytest.importorskip("cupy")
    import fnx
    if not fnx.devices("cuda"):
        pytest.skip("no CUDA device")
    acc = mlp_resnet.main(["--out", str(tmp_path), "--no-progress", "--device", "cuda",
                           "--epochs", "5"])
    assert acc >= 0.9
    history = json.loads((tmp_path / "history.json").read_text())
    assert history[-1]["train_loss"] < history[0]["train_loss"]
