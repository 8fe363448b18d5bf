"""Everyday workloads, fnx against numpy, JAX and PyTorch, each library in its own fresh process.

Workloads (float32; "best peer" is the fastest of numpy / JAX / PyTorch on the row):

* ``lstm``: one LSTM layer, T=32 steps, batch 16, input 64, hidden 128, zero initial state;
  ``loss = mean(h_t ** 2)`` over every output; forward + backward (gradients of all weights).
  fnx: ``fnx.nn.LSTM`` in ``fnx.jit(fnx.value_and_grad(loss))``; JAX: ``jax.jit`` of a hand-written
  ``lax.scan`` cell (PyTorch's gate order i, f, g, o; input projection hoisted out of the scan);
  PyTorch: the fused ``torch.nn.LSTM`` and ``loss.backward()``.
* ``conv``: one SGD step (lr 0.01) of batch 32 3x32x32 -> conv3x3 16 + relu -> conv3x3 32 + relu
  -> spatial mean -> linear 10 -> softmax cross-entropy.  fnx / JAX: NHWC / HWIO
  ``lax.conv_general_dilated``, the whole step jitted; PyTorch: eager ``nn.Conv2d`` on NCHW.
* ``mlp``: one SGD step (lr 0.01) of a 784-512-512-10 relu MLP, batch 128, softmax
  cross-entropy; fnx / JAX jitted, PyTorch eager (``nn.Linear``, ``torch.optim.SGD``).
* ``compile_mlp``: the cold jit compile of the ``mlp`` step (first call - steady call).
* ``compile_chain``: the cold compile of ``tanh(x*0.5+0.1) * sigmoid(x) + exp(-x*x)`` on 4M
  floats (fnx, JAX), and the steady time of the chain (fnx / JAX jitted, numpy / PyTorch eager).
* ``digits``: a 64-128-10 relu MLP, Adam lr 1e-3, batch 64 (the last partial batch of an epoch
  dropped), 20 epochs on the digits fnx ships (``fnx.data.load_digits``): total wall time of the
  training including the compile; fnx jitted step, PyTorch eager.
* ``dispatch``: 1000 eager adds of two shape-(4,) arrays in a Python loop, per add.
* ``sgemm``: 1024^3 and 2048^3 float32 matmul, GFLOP/s, with 1 and 2 threads.

Method.  The parent writes every input (data, initial weights, the digits' shuffling order)
once to an .npz from a seeded numpy RNG, then runs one worker process per (library, workload)
strictly one after another: ``python bench_peers.py --worker LIB WORKLOAD`` prints one JSON
line of timings and check values.  fnx workers run under the parent's interpreter, numpy /
JAX / PyTorch under ``--peers-python``.  A worker's environment is the parent's without any
``OMP_*`` / ``GOMP_*`` / ``KMP_*`` / ``FNX_*`` variable (importing fnx sets OMP_WAIT_POLICY),
plus only its own settings: every fnx worker gets a fresh empty ``FNX_CACHE_DIR`` (so its first
call runs the C compiler) and JAX workers ``JAX_PLATFORMS=cpu``.  Threads are each library's
default (one per core) except in the sgemm rows, pinned per library: fnx ``FNX_NUM_THREADS``,
numpy ``OPENBLAS_NUM_THREADS`` + ``OMP_NUM_THREADS``, PyTorch ``torch.set_num_threads``, JAX one
CPU of affinity (jax 0.10 ignores ``XLA_FLAGS=--xla_cpu_multi_thread_eigen=false``: its matmul
kept using two cores' CPU time; its thread pool is sized by the affinity mask).

Timing: two warm-up calls, then the median of ``--repeats`` timed calls (fewer when a call is
slow: about 5 s per row at most, never under 3).  JAX results are waited for with
``block_until_ready``; fnx and PyTorch (CPU) return finished results, the step's loss is
converted with ``float()`` / ``.item()``.  Compile time = first call - median steady call.  The
rows measured once per process (``compile_*``, ``digits``) are the median over 3 processes
(``--quick``: 1 process and 3 repeats).  Check rows compare what the libraries computed from the
same inputs (losses, a gradient norm, test accuracy, result means / norms); a row whose values
differ by more than its relative tolerance says MISMATCH.

    python benchmarks/bench_peers.py --peers-python /work/peers/bin/python \
        [--workloads lstm,conv,...] [--repeats 20] [--quick] [--out benchmarks/results/peers.md]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBS = ("numpy", "jax", "torch", "fnx")
PEERS = LIBS[:3]
WORKLOADS = {           # workload -> the libraries that run it
    "lstm": ("jax", "torch", "fnx"),
    "conv": ("jax", "torch", "fnx"),
    "mlp": ("jax", "torch", "fnx"),
    "compile_mlp": ("jax", "fnx"),
    "compile_chain": LIBS,
    "digits": ("torch", "fnx"),
    "dispatch": LIBS,
    "sgemm": LIBS,
}
COLD = {"compile_mlp", "compile_chain", "digits"}   # measured once per fresh process
COLD_PROCESSES = 3
SGEMM_THREADS = (1, 2)
CHECK_RTOL = 1e-5                            # relative agreement of check values, except:
CHECK_RTOL_OF = {"digits last batch loss": 1e-3}    # float32 rounding grows over 440 Adam steps
T, B, I, H = 32, 16, 64, 128                 # lstm
LSTM_PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")   # fnx's and PyTorch's layout
LR, EPOCHS, DIGITS_BATCH = 0.01, 20, 64
CHAIN_N = 4 << 20
DISPATCH_OPS = 1000
SGEMM_SIZES = (1024, 2048)


# ---------------------------------------------------------------------------------------------
# Inputs (written once by the parent)
# ---------------------------------------------------------------------------------------------

def _uniform(rng, shape, fan_in):
    """PyTorch's default initialization: uniform(+-1/sqrt(fan_in))."""
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, shape).astype(np.float32)


def _mlp_params(rng, sizes):
    """{"w1": (in, out), "b1": (out,), ...} for the layer sizes."""
    params = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), 1):
        params[f"w{i}"] = _uniform(rng, (n_in, n_out), n_in)
        params[f"b{i}"] = _uniform(rng, (n_out,), n_in)
    return params


def _inputs_lstm(rng):
    return {"weight_ih": _uniform(rng, (4 * H, I), H), "weight_hh": _uniform(rng, (4 * H, H), H),
            "bias_ih": _uniform(rng, (4 * H,), H), "bias_hh": _uniform(rng, (4 * H,), H),
            "xs": rng.standard_normal((T, B, I)).astype(np.float32)}


def _inputs_conv(rng):
    return {"w1": _uniform(rng, (3, 3, 3, 16), 27), "b1": _uniform(rng, (16,), 27),
            "w2": _uniform(rng, (3, 3, 16, 32), 144), "b2": _uniform(rng, (32,), 144),
            "w3": _uniform(rng, (32, 10), 32), "b3": _uniform(rng, (10,), 32),
            "x": rng.standard_normal((32, 32, 32, 3)).astype(np.float32),        # NHWC
            "y": rng.integers(0, 10, 32).astype(np.int32)}


def _inputs_mlp(rng):
    return {**_mlp_params(rng, (784, 512, 512, 10)),
            "x": rng.standard_normal((128, 784)).astype(np.float32),
            "y": rng.integers(0, 10, 128).astype(np.int32)}


def _inputs_chain(rng):
    return {"x": rng.standard_normal(CHAIN_N).astype(np.float32)}


def _inputs_digits(rng):
    sys.path.insert(0, ROOT)
    from fnx.data import load_digits
    train, test = load_digits()
    (x_train, y_train), (x_test, y_test) = train.arrays, test.arrays
    return {**_mlp_params(rng, (64, 128, 10)),
            "x_train": x_train.reshape(len(x_train), -1), "y_train": y_train,
            "x_test": x_test.reshape(len(x_test), -1), "y_test": y_test,
            "perms": np.stack([rng.permutation(len(y_train)) for _ in range(EPOCHS)])}


def _inputs_dispatch(rng):
    return {"a": rng.standard_normal(4).astype(np.float32),
            "b": rng.standard_normal(4).astype(np.float32)}


def _inputs_sgemm(rng):
    return {f"{ab}{n}": rng.standard_normal((n, n)).astype(np.float32)
            for n in SGEMM_SIZES for ab in "ab"}


INPUTS = {"lstm": _inputs_lstm, "conv": _inputs_conv, "mlp": _inputs_mlp, "compile_mlp": None,
          "compile_chain": _inputs_chain, "digits": _inputs_digits,
          "dispatch": _inputs_dispatch, "sgemm": _inputs_sgemm}
SHARED_INPUTS = {"compile_mlp": "mlp"}


def write_inputs(path, workloads):
    """One .npz with every selected workload's arrays as "<workload>.<name>" (each workload
    from its own seeded RNG, so the values do not depend on the selection)."""
    arrays = {}
    for w in {SHARED_INPUTS.get(w, w) for w in workloads}:
        arrays.update({f"{w}.{k}": v for k, v in INPUTS[w](np.random.default_rng(0)).items()})
    np.savez(path, **arrays)


def read_inputs(path, workload):
    prefix = SHARED_INPUTS.get(workload, workload) + "."
    with np.load(path) as f:
        return {k[len(prefix):]: f[k] for k in f.files if k.startswith(prefix)}


# ---------------------------------------------------------------------------------------------
# Worker helpers
# ---------------------------------------------------------------------------------------------

def median_seconds(fn, repeats, budget=5.0):
    """Median wall time of ``fn()`` after two warm-up calls, over ``repeats`` calls or as many
    as fit in about ``budget`` seconds (at least 3)."""
    fn()
    t = time.perf_counter()
    fn()
    once = time.perf_counter() - t
    times = []
    for _ in range(max(3, min(repeats, int(budget / max(once, 1e-9))))):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def compile_seconds(fn, repeats):
    """First call (tracing + compiling) minus the median steady call."""
    t = time.perf_counter()
    fn()
    first = time.perf_counter() - t
    return first - median_seconds(fn, repeats)


def jaxlike(lib):
    """fnx or JAX behind one namespace, so one model definition serves both."""
    if lib == "fnx":
        import fnx
        return SimpleNamespace(np=fnx.numpy, nn=fnx.nn, lax=fnx.lax, jit=fnx.jit,
                               value_and_grad=fnx.value_and_grad, tree_map=fnx.tree.map,
                               ready=lambda out: out)   # fnx returns computed arrays
    import jax
    return SimpleNamespace(np=jax.numpy, nn=jax.nn, lax=jax.lax, jit=jax.jit,
                           value_and_grad=jax.value_and_grad, tree_map=jax.tree.map,
                           ready=jax.block_until_ready)


def to_device(api, arrays):
    return {k: api.np.asarray(v) for k, v in arrays.items()}


def norm(a):
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64)))


def xent(api, logits, y):
    """Mean softmax cross-entropy with integer labels."""
    logp = api.nn.log_softmax(logits)
    return -api.np.mean(api.np.take_along_axis(logp, y[:, None], axis=1))


def mlp_forward(api, p, x):
    """relu MLP over the layers w1, b1, w2, b2, ... of ``p`` (no relu after the last)."""
    n = len(p) // 2
    for i in range(1, n + 1):
        x = x @ p[f"w{i}"] + p[f"b{i}"]
        if i < n:
            x = api.nn.relu(x)
    return x


def conv_forward(api, p, x):
    for w, b in ((p["w1"], p["b1"]), (p["w2"], p["b2"])):
        x = api.nn.relu(api.lax.conv_general_dilated(
            x, w, (1, 1), ((1, 1), (1, 1)), dimension_numbers=("NHWC", "HWIO", "NHWC")) + b)
    return api.np.mean(x, axis=(1, 2)) @ p["w3"] + p["b3"]


def sgd_step(api, forward):
    """The jitted SGD step ``(params, x, y) -> (params, loss before the update)``."""
    def loss(p, x, y):
        return xent(api, forward(api, p, x), y)

    def step(p, x, y):
        value, grads = api.value_and_grad(loss)(p, x, y)
        return api.tree_map(lambda w, g: w - LR * g, p, grads), value
    return api.jit(step)


def train_rows(name, step, params, x, y, repeats):
    """Check rows (losses of the first step and after 3 steps) and the median step time;
    ``step(params, x, y) -> (params, loss)``, the loss a float."""
    losses, p = [], params
    for _ in range(4):
        p, loss = step(p, x, y)
        losses.append(loss)
    state = [p]

    def one_step():
        state[0], _ = step(state[0], x, y)
    rows = [(f"{name} SGD step", "ms", median_seconds(one_step, repeats) * 1e3)]
    checks = [(f"{name} loss, step 1", losses[0]), (f"{name} loss after 3 steps", losses[3])]
    return rows, checks


def jaxlike_step(api, step):
    """Wraps a jitted step so that it returns a finished result and a float loss."""
    def run(p, x, y):
        p, loss = api.ready(step(p, x, y))
        return p, float(loss)
    return run


def jaxlike_sgd(lib, a, forward):
    """(jitted SGD step, params, x, y) of ``forward`` for fnx or JAX, on the device arrays."""
    api = jaxlike(lib)
    d = to_device(api, a)
    params = {k: v for k, v in d.items() if k not in ("x", "y")}
    return jaxlike_step(api, sgd_step(api, forward)), params, d["x"], d["y"]


def torch_step(model, opt):
    import torch.nn.functional as F

    def run(_, x, y):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return None, loss.item()
    return run


def torch_load(model, arrays):
    """Copies numpy arrays into ``model.parameters()``, in order."""
    import torch
    with torch.no_grad():
        for param, a in zip(model.parameters(), arrays, strict=True):
            param.copy_(torch.from_numpy(np.ascontiguousarray(a)))
    return model


def torch_mlp(a, sizes):
    from torch import nn
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    return torch_load(model, [a[f"{wb}{i}"].T for i in range(1, len(sizes))
                              for wb in ("w", "b")])


# ---------------------------------------------------------------------------------------------
# Workloads: each returns (rows [(label, unit, value)], checks [(label, value)])
# ---------------------------------------------------------------------------------------------

def run_lstm(lib, a, repeats, threads):
    if lib == "torch":
        import torch
        lstm = torch_load(torch.nn.LSTM(I, H), [a[k] for k in LSTM_PARAMS])
        xs = torch.from_numpy(a["xs"])

        def fwd_bwd():
            lstm.zero_grad(set_to_none=True)
            hs, _ = lstm(xs)
            loss = (hs * hs).mean()
            loss.backward()
            return loss.item(), lstm.weight_ih_l0.grad
    elif lib == "fnx":
        import fnx
        import fnx.numpy as fnp
        model = fnx.nn.LSTM(I, H, key=fnx.random.PRNGKey(0))
        cell = model.cells[0].replace(**{k: fnp.asarray(a[k]) for k in LSTM_PARAMS})
        model, xs = model.replace(cells=[cell]), fnp.asarray(a["xs"])

        def loss(model, xs):
            hs, _ = model(xs)
            return fnp.mean(hs * hs)
        vg = fnx.jit(fnx.value_and_grad(loss))

        def fwd_bwd():
            value, grads = vg(model, xs)
            return float(value), grads.cells[0].weight_ih
    else:
        fwd_bwd = jax_lstm(a)
    value, grad_ih = fwd_bwd()
    return ([("lstm fwd+bwd", "ms", median_seconds(fwd_bwd, repeats) * 1e3)],
            [("lstm loss", value), ("lstm norm of dL/dW_ih", norm(grad_ih))])


def jax_lstm(a):
    import jax
    import jax.numpy as jnp

    def loss(p, xs):
        w_ih, w_hh, b_ih, b_hh = p
        w_hh_t = w_hh.T
        gi = xs @ w_ih.T + (b_ih + b_hh)        # every step's input projection, before the scan

        def step(carry, gi_t):
            h, c = carry
            i, f, g, o = jnp.split(gi_t + h @ w_hh_t, 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), h
        h0 = jnp.zeros((B, H), jnp.float32)
        _, hs = jax.lax.scan(step, (h0, h0), gi)
        return jnp.mean(hs * hs)
    vg = jax.jit(jax.value_and_grad(loss))
    p = tuple(jnp.asarray(a[k]) for k in LSTM_PARAMS)
    xs = jnp.asarray(a["xs"])

    def fwd_bwd():
        value, grads = jax.block_until_ready(vg(p, xs))
        return float(value), grads[0]
    return fwd_bwd


def run_conv(lib, a, repeats, threads):
    if lib == "torch":
        import torch
        from torch import nn
        model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(),
                              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                              nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
        hwio_to_oihw = (3, 2, 0, 1)
        torch_load(model, [a["w1"].transpose(hwio_to_oihw), a["b1"],
                           a["w2"].transpose(hwio_to_oihw), a["b2"], a["w3"].T, a["b3"]])
        x = torch.from_numpy(np.ascontiguousarray(a["x"].transpose(0, 3, 1, 2)))   # NCHW
        step = torch_step(model, torch.optim.SGD(model.parameters(), lr=LR))
        return train_rows("conv", step, None, x, torch.from_numpy(a["y"]).long(), repeats)
    return train_rows("conv", *jaxlike_sgd(lib, a, conv_forward), repeats)


def run_mlp(lib, a, repeats, threads):
    if lib == "torch":
        import torch
        model = torch_mlp(a, (784, 512, 512, 10))
        x, y = torch.from_numpy(a["x"]), torch.from_numpy(a["y"]).long()
        step = torch_step(model, torch.optim.SGD(model.parameters(), lr=LR))
        return train_rows("mlp", step, None, x, y, repeats)
    return train_rows("mlp", *jaxlike_sgd(lib, a, mlp_forward), repeats)


def run_compile_mlp(lib, a, repeats, threads):
    step, params, x, y = jaxlike_sgd(lib, a, mlp_forward)
    seconds = compile_seconds(lambda: step(params, x, y), repeats)
    return ([("compile_mlp cold jit", "s", seconds)],
            [("compile_mlp loss, step 1", step(params, x, y)[1])])


def chain(np_, sigmoid, x):
    return np_.tanh(x * 0.5 + 0.1) * sigmoid(x) + np_.exp(-x * x)


def run_compile_chain(lib, a, repeats, threads):
    rows = []
    if lib == "numpy":
        x = a["x"]
        fn = lambda: chain(np, lambda v: 1.0 / (1.0 + np.exp(-v)), x)  # noqa: E731
    elif lib == "torch":
        import torch
        x = torch.from_numpy(a["x"])
        fn = lambda: chain(torch, torch.sigmoid, x)  # noqa: E731
    else:
        api = jaxlike(lib)
        x, f = api.np.asarray(a["x"]), api.jit(lambda v: chain(api.np, api.nn.sigmoid, v))
        fn = lambda: api.ready(f(x))  # noqa: E731
        rows.append(("compile_chain cold jit", "s", compile_seconds(fn, repeats)))
    rows.append(("chain 4M f32 steady", "ms", median_seconds(fn, repeats) * 1e3))
    return rows, [("chain mean", float(np.mean(np.asarray(fn()), dtype=np.float64)))]


def run_digits(lib, a, repeats, threads):
    n_batches = len(a["y_train"]) // DIGITS_BATCH
    t0 = time.perf_counter()
    step, predict = (torch_digits if lib == "torch" else fnx_digits)(a)
    for perm in a["perms"]:
        for i in range(n_batches):
            idx = perm[i * DIGITS_BATCH:(i + 1) * DIGITS_BATCH]
            loss = step(a["x_train"][idx], a["y_train"][idx])
    seconds = time.perf_counter() - t0
    accuracy = float(np.mean(predict(a["x_test"]) == a["y_test"]))
    return ([("digits 20 epochs", "s", seconds)],
            [("digits test accuracy", accuracy), ("digits last batch loss", loss)])


def torch_digits(a):
    import torch
    import torch.nn.functional as F
    model = torch_mlp(a, (64, 128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(x, y):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y).long())
        loss.backward()
        opt.step()
        return loss.item()

    def predict(x):
        with torch.no_grad():
            return model(torch.from_numpy(x)).argmax(1).numpy()
    return step, predict


def fnx_digits(a):
    import fnx
    api = jaxlike("fnx")
    opt = fnx.optim.adam(1e-3)
    params = to_device(api, {k: a[k] for k in ("w1", "b1", "w2", "b2")})
    state = [params, opt.init(params)]

    @fnx.jit
    def train_step(p, s, x, y):
        value, grads = fnx.value_and_grad(lambda p: xent(api, mlp_forward(api, p, x), y))(p)
        updates, s = opt.update(grads, s, p)
        return fnx.optim.apply_updates(p, updates), s, value

    def step(x, y):
        state[0], state[1], value = train_step(state[0], state[1], x, y)
        return float(value)

    def predict(x):
        return np.asarray(api.np.argmax(mlp_forward(api, state[0], api.np.asarray(x)), axis=1))
    return step, predict


def run_dispatch(lib, a, repeats, threads):
    ready = lambda c: c  # noqa: E731  (numpy, torch and fnx run eagerly and synchronously)
    if lib == "numpy":
        x, y = a["a"], a["b"]
    elif lib == "torch":
        import torch
        x, y = torch.from_numpy(a["a"]), torch.from_numpy(a["b"])
    else:
        api = jaxlike(lib)
        x, y, ready = api.np.asarray(a["a"]), api.np.asarray(a["b"]), api.ready

    def adds():
        for _ in range(DISPATCH_OPS):
            c = x + y
        return ready(c)
    seconds = median_seconds(adds, repeats)
    return ([("dispatch: eager add of (4,)", "us/op", seconds / DISPATCH_OPS * 1e6)],
            [("dispatch sum(a + b)", float(np.sum(np.asarray(adds()), dtype=np.float64)))])


def run_sgemm(lib, a, repeats, threads):
    if lib == "numpy":
        convert, matmul = np.asarray, np.matmul
    elif lib == "torch":
        import torch
        convert, matmul = torch.from_numpy, torch.matmul
    else:
        api = jaxlike(lib)
        mm = api.jit(api.np.matmul) if lib == "jax" else api.np.matmul
        convert, matmul = api.np.asarray, lambda x, y: api.ready(mm(x, y))
    rows, checks = [], []
    threads_label = f"{threads} thread{'s' if threads > 1 else ''}"
    for n in SGEMM_SIZES:
        x, y = convert(a[f"a{n}"]), convert(a[f"b{n}"])
        seconds = median_seconds(lambda: matmul(x, y), repeats)
        rows.append((f"sgemm {n}^3, {threads_label}", "GFLOP/s", 2 * n ** 3 / seconds / 1e9))
    checks.append((f"sgemm {n}^3 Frobenius norm of A@B, {threads_label}", norm(matmul(x, y))))
    return rows, checks


RUNNERS = {"lstm": run_lstm, "conv": run_conv, "mlp": run_mlp, "compile_mlp": run_compile_mlp,
           "compile_chain": run_compile_chain, "digits": run_digits,
           "dispatch": run_dispatch, "sgemm": run_sgemm}


def worker(lib, workload, inputs, repeats, threads):
    """Runs in a fresh process: prints one JSON line {version, rows, checks} (or {missing})."""
    if lib == "jax" and threads == 1:       # before jax sizes its thread pool
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    try:
        module = __import__(lib)
    except ImportError as e:
        print(json.dumps({"missing": str(e)}))
        return
    if lib == "torch" and threads:
        module.set_num_threads(threads)
    rows, checks = RUNNERS[workload](lib, read_inputs(inputs, workload), repeats, threads)
    print(json.dumps({"version": module.__version__, "rows": rows, "checks": checks}))


# ---------------------------------------------------------------------------------------------
# Parent: run the workers one after another
# ---------------------------------------------------------------------------------------------

def worker_env(lib, threads, cache_dir):
    """The parent's environment without OpenMP / fnx settings, plus this worker's own."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OMP_", "GOMP_", "KMP_", "FNX_"))}
    if lib == "fnx":
        env.update(PYTHONPATH=ROOT, FNX_CACHE_DIR=cache_dir)
        if threads:
            env["FNX_NUM_THREADS"] = str(threads)
    elif lib == "numpy" and threads:
        env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    elif lib == "jax":
        env["JAX_PLATFORMS"] = "cpu"
    return env


def run_worker(python, lib, workload, inputs, repeats, threads):
    """One worker process: its parsed JSON, {"missing": ...} or {"error": ...}."""
    cmd = [python, os.path.abspath(__file__), "--worker", lib, workload, "--inputs", inputs,
           "--repeats", str(repeats)] + (["--threads", str(threads)] if threads else [])
    with tempfile.TemporaryDirectory(prefix="fnx_peers_cache_") as cache_dir:
        try:
            r = subprocess.run(cmd, env=worker_env(lib, threads, cache_dir), cwd=ROOT,
                               capture_output=True, text=True, timeout=1800)
        except FileNotFoundError as e:       # no such interpreter
            return {"missing": str(e)}
    if r.returncode != 0:
        sys.stderr.write(f"{lib} {workload} failed:\n{r.stderr[-3000:]}\n")
        return {"error": (r.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def median_of_runs(runs):
    """Per-row medians over several processes' results (checks from the first)."""
    first = runs[0]
    values = [[row[2] for row in run["rows"]] for run in runs]
    rows = [[label, unit, statistics.median(v)] for (label, unit, _), v
            in zip(first["rows"], zip(*values))]
    return {**first, "rows": rows}


class Results:
    """Rows and checks as {label: {lib: value}} plus each library's status per workload."""

    def __init__(self):
        self.rows, self.units, self.checks, self.versions = {}, {}, {}, {}
        self.status = {}          # (workload, lib) -> "ok" / "missing" / "error"
        self.row_workload, self.check_workload = {}, {}

    def add(self, workload, lib, out):
        if "missing" in out or "error" in out:
            self.status[(workload, lib)] = "missing" if "missing" in out else "error"
            return
        self.status.setdefault((workload, lib), "ok")
        self.versions[lib] = out["version"]
        for label, unit, value in out["rows"]:
            self.rows.setdefault(label, {})[lib] = value
            self.units[label], self.row_workload[label] = unit, workload
        for label, value in out["checks"]:
            self.checks.setdefault(label, {})[lib] = value
            self.check_workload[label] = workload

    def cell(self, table, label, workload, lib, fmt):
        if lib in table[label]:
            return fmt(table[label][lib])
        status = self.status.get((workload, lib))
        return {"missing": "-", "error": "error"}.get(status, "n/a")


def fmt_value(v):
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.1f}" if abs(v) >= 10 else f"{v:.3g}"


def row_line(results, label):
    """``| workload | unit | numpy | jax | torch | fnx | best peer | fnx / best |``."""
    values, unit = results.rows[label], results.units[label]
    workload = results.row_workload[label]
    cells = [results.cell(results.rows, label, workload, lib, fmt_value) for lib in LIBS]
    higher_is_better = unit == "GFLOP/s"
    peers = {lib: v for lib, v in values.items() if lib in PEERS}
    best, ratio = "-", "-"
    if peers:
        best = (max if higher_is_better else min)(peers, key=peers.get)
        if "fnx" in values:
            r = peers[best] / values["fnx"] if higher_is_better else values["fnx"] / peers[best]
            ratio = f"{r:.2f}"
    return f"| {label} | {unit} | " + " | ".join(cells) + f" | {best} | {ratio} |"


def check_line(results, label):
    values = results.checks[label]
    workload = results.check_workload[label]
    cells = [results.cell(results.checks, label, workload, lib, lambda v: f"{v:.7g}")
             for lib in LIBS]
    v = list(values.values())
    spread = (max(v) - min(v)) / max(max(abs(x) for x in v), 1e-30)
    rtol = CHECK_RTOL_OF.get(label, CHECK_RTOL)
    if len(v) < 2:
        verdict = "one library"
    else:
        verdict = f"{'agree' if spread <= rtol else 'MISMATCH'} ({spread:.1e} vs {rtol:g})"
    return f"| {label} | " + " | ".join(cells) + f" | {verdict} |"


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def git_commit():
    r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                       text=True)
    return r.stdout.strip() or "?"


def render(results, args, command, loads):
    versions = ", ".join(f"{lib} {results.versions[lib]}" for lib in LIBS
                         if lib in results.versions)
    kind = ("Quick run (`--quick`): 3 timed calls per row, one process per cold row."
            if args.quick else f"Up to {args.repeats} timed calls per row; the cold rows "
            f"(compile_*, digits) are medians over {COLD_PROCESSES} processes.")
    lines = [
        "# fnx against numpy, JAX and PyTorch: everyday workloads",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')}; {cpu_model()}, {os.cpu_count()} cores; "
        f"{platform.platform()}; Python {platform.python_version()}; {versions} "
        f"(fnx commit {git_commit()}); load average {loads[0]:.2f} before, {loads[1]:.2f} after.",
        "",
        f"Command: `{command}`. {kind}",
        "",
        "Each library in its own fresh process, one after another; medians of timed calls after "
        "warm-up (method: the docstring of `benchmarks/bench_peers.py`). Threads: each library's "
        "default except the sgemm rows. `best peer` = the fastest of numpy / JAX / PyTorch. "
        "`fnx / best`: for times fnx's time / the best peer's, for GFLOP/s the best peer's rate "
        "/ fnx's, so in both **< 1 means fnx is faster**. `n/a`: the library does not run "
        "that row (numpy has no autodiff; digits trains fnx and PyTorch only); `-`: not "
        "installed.",
        "",
        "| workload | unit | numpy | jax | torch | fnx | best peer | fnx / best |",
        "|---|---|---|---|---|---|---|---|",
    ] + [row_line(results, label) for label in results.rows] + [
        "",
        "Checks: the same quantity from each library from the same inputs; agreement: the "
        "relative spread (max - min) / max|v| against its tolerance.",
        "",
        "| check | numpy | jax | torch | fnx | agreement |",
        "|---|---|---|---|---|---|",
    ] + [check_line(results, label) for label in results.checks]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peers-python", default="/work/peers/bin/python",
                    help="interpreter with numpy, jax and torch")
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="3 repeats, one process per cold row")
    ap.add_argument("--out", help="also write the table to this file")
    ap.add_argument("--worker", nargs=2, metavar=("LIB", "WORKLOAD"), help=argparse.SUPPRESS)
    ap.add_argument("--inputs", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker, args.inputs, args.repeats, args.threads)
        return
    workloads = args.workloads.split(",")
    unknown = set(workloads) - set(WORKLOADS)
    if unknown:
        ap.error(f"unknown workloads {sorted(unknown)}; choose from {list(WORKLOADS)}")
    repeats = 3 if args.quick else args.repeats
    command = " ".join(["python", os.path.relpath(os.path.abspath(__file__), ROOT)]
                       + sys.argv[1:])
    load_before = os.getloadavg()[0]
    results = Results()
    with tempfile.TemporaryDirectory(prefix="bench_peers_") as tmp:
        inputs = os.path.join(tmp, "inputs.npz")
        write_inputs(inputs, workloads)
        for workload in workloads:
            processes = 1 if args.quick or workload not in COLD else COLD_PROCESSES
            for threads in SGEMM_THREADS if workload == "sgemm" else (None,):
                for lib in WORKLOADS[workload]:
                    python = sys.executable if lib == "fnx" else args.peers_python
                    t = time.perf_counter()
                    runs = [run_worker(python, lib, workload, inputs, repeats, threads)
                            for _ in range(processes)]
                    print(f"# {workload} {lib}{f' {threads}t' if threads else ''}: "
                          f"{time.perf_counter() - t:.1f} s", file=sys.stderr)
                    ok = [r for r in runs if "rows" in r]
                    results.add(workload, lib, median_of_runs(ok) if ok else runs[0])
    text = render(results, args, command, (load_before, os.getloadavg()[0]))
    print(text)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
