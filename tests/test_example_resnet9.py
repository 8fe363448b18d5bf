"""examples/resnet9.py: the course's ResNet9 has the stated parameter count, trains end to end on
the offline stand-in (the bundled digits as 3x32x32), resumes exactly, and (slow) reaches 0.95
test accuracy on the stand-in at its default settings."""
import json
import math
import os
import sys

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
sys.path.insert(0, EXAMPLES)

import fnx  # noqa: E402
import fnx.nn as nn  # noqa: E402
import resnet9  # noqa: E402
from fnx import tree_util  # noqa: E402

# A run small enough for the default suite: 128 training examples, 2 batches of 64 per epoch.
# Every run below trains the same program (the epoch count sets the learning-rate schedule, a
# constant of the compiled step, so the 1-epoch runs are 2-epoch runs stopped after one): a cold
# compile cache compiles the train step once.
TINY = ["--subset", "128", "--batch-size", "64", "--no-progress", "--epochs", "2"]
ONE_EPOCH = TINY + ["--stop-after", "1"]


def _expected_param_count():
    """431,946 counted from the architecture by hand (weights, biases, BN gamma and beta)."""
    def conv_bn(a, b, k):
        return a * b * k * k + b + 2 * b
    convs = (conv_bn(3, 16, 7) + conv_bn(16, 32, 3) + 2 * conv_bn(32, 32, 3) + conv_bn(32, 64, 3)
             + conv_bn(64, 128, 3) + 2 * conv_bn(128, 128, 3))
    return convs + (128 * 128 + 128) + (128 * 10 + 10)


def test_parameter_count_is_the_course_value():
    model = resnet9.resnet9(key=fnx.random.PRNGKey(0))
    assert _expected_param_count() == 431_946 == resnet9.EXPECTED_PARAMS
    assert nn.count_params(model) == 431_946
    # BatchNorm's running statistics are state, not parameters: 2 * (16+32+32+32+64+128+128+128)
    state_leaves = [x for x in tree_util.tree_leaves(nn.init_state(model)) if hasattr(x, "shape")]
    assert sum(math.prod(x.shape) for x in state_leaves) == 2 * 560


def test_forward_shapes_on_cifar_sized_input():
    model = resnet9.resnet9(key=fnx.random.PRNGKey(0))
    x = fnx.numpy.ones((2, 3, 32, 32))
    logits, _ = model(x, nn.init_state(model), train=False)
    assert logits.shape == (2, 10)


def test_digits_stand_in_is_cifar_shaped():
    train, _ = fnx.data.load_digits()
    big = resnet9.digits_as_cifar(train)
    images, labels = big.arrays
    small = train.arrays[0]
    assert images.shape == (len(train), 3, 32, 32) and images.dtype == np.float32
    # each 8x8 pixel is a 4x4 block, the same in all three channels
    np.testing.assert_array_equal(images[:, :, ::4, ::4], np.repeat(small, 3, axis=1))
    np.testing.assert_array_equal(images[:, :, 3::4, 3::4], np.repeat(small, 3, axis=1))
    np.testing.assert_array_equal(labels, train.arrays[1])


def test_smoke_run_prints_the_final_line(tmp_path, capsys):
    acc = resnet9.main(ONE_EPOCH + ["--out", str(tmp_path)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert "stand-in" in lines[0]                       # says it trains on the offline data
    words = lines[-1].split()
    assert words[:2] == ["final", "test_acc"] and words[3] == "in" and words[-1] == "s"
    assert float(words[2]) == pytest.approx(acc, abs=1e-4) and 0.0 <= acc <= 1.0
    assert os.path.exists(tmp_path / "checkpoint.fnx")
    assert [h["epoch"] for h in json.loads((tmp_path / "history.json").read_text())] == [1]


def test_resume_continues_exactly(tmp_path):
    args = TINY
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    acc = resnet9.main(args + ["--out", str(straight)])
    resnet9.main(ONE_EPOCH + ["--out", str(resumed)])
    assert len(json.loads((resumed / "history.json").read_text())) == 1
    assert resnet9.main(args + ["--out", str(resumed), "--resume"]) == acc
    assert (json.loads((straight / "history.json").read_text())
            == json.loads((resumed / "history.json").read_text()))
    # the same model, BatchNorm statistics, optimizer state, key and epoch, bit for bit
    assert (straight / "checkpoint.fnx").read_bytes() == (resumed / "checkpoint.fnx").read_bytes()


def _write_fake_cifar(folder, n_train_per_file, n_test):
    """CIFAR-10's binary layout (1 label byte + 3072 pixel bytes per record) with random content."""
    rng = np.random.default_rng(0)
    sizes = {f"data_batch_{k}.bin": n_train_per_file for k in range(1, 6)}
    sizes["test_batch.bin"] = n_test
    for name, n in sizes.items():
        records = rng.integers(0, 256, (n, 1 + 3 * 32 * 32), dtype=np.uint8)
        records[:, 0] %= 10
        (folder / name).write_bytes(records.tobytes())


def test_trains_on_cifar10_binary_batches_from_data_dir(tmp_path, capsys):
    # 5 x 26 train records cut to TINY's 128, 128 test ones: the smoke run's shapes (no new compile)
    _write_fake_cifar(tmp_path, 26, 128)
    acc = resnet9.main(ONE_EPOCH + ["--data-dir", str(tmp_path), "--out", str(tmp_path / "run")])
    out = capsys.readouterr().out
    assert "CIFAR-10" in out and "128 train / 128 test" in out and "stand-in" not in out
    assert out.strip().splitlines()[-1].startswith("final test_acc ") and 0.0 <= acc <= 1.0


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_optimizers_decay_weights_the_course_way(name):
    """Both add ``weight_decay * param`` to the gradient before their update (coupled L2)."""
    args = resnet9.parse_args(["--optimizer", name, "--lr", "0.1", "--weight-decay", "0.5"])
    opt = resnet9.make_optimizer(args, steps_per_epoch=10)
    params = {"w": fnx.numpy.asarray([1.0, -2.0, 3.0])}
    grads = {"w": fnx.numpy.asarray([0.5, 0.25, -4.0])}
    updates, _ = opt.update(grads, opt.init(params), params)
    g = np.array([0.5, 0.25, -4.0]) + 0.5 * np.array([1.0, -2.0, 3.0])
    # first step: momentum's trace is g itself; Adam's bias-corrected m / sqrt(v) is sign(g)
    want = -0.1 * (g if name == "sgd" else g / (np.abs(g) + 1e-8))
    np.testing.assert_allclose(np.asarray(updates["w"]), want, rtol=1e-5)   # float32


def test_bad_data_dir_names_the_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="data_batch_1.bin"):
        resnet9.main(["--data-dir", str(tmp_path), "--out", str(tmp_path / "run")])


@pytest.mark.slow
def test_reaches_095_on_the_digits_stand_in(tmp_path):
    assert resnet9.main(["--out", str(tmp_path), "--no-progress"]) >= 0.95
    history = json.loads((tmp_path / "history.json").read_text())
    assert len(history) == resnet9.EPOCHS
    assert history[-1]["train_loss"] < history[0]["train_loss"]
