"""One training step of three models, fnx against PyTorch, each library in its own process.

A step is forward + backward + the optimizer update (SGD, lr 0.01, momentum 0.9: optax's ``trace``
equals ``torch.optim.SGD(momentum=0.9)``), the whole step under ``fnx.jit`` for fnx and eager
PyTorch (``torch.set_num_threads(<cores>)``).  Models (fnx ones written with ``fnx.nn`` here,
PyTorch ones with ``torch.nn``, same structure and parameter names):

* ``resnet9``: the course's ResNet9 on a batch of 128 NCHW 3x32x32 images, 10 classes:
  ConvBN(3,16,7,4) ConvBN(16,32,3,2) Residual(ConvBN(32,32,3,1) x2) ConvBN(32,64,3,2)
  ConvBN(64,128,3,2) Residual(ConvBN(128,128,3,1) x2) Flatten Linear(128,128) ReLU
  Linear(128,10), ConvBN = conv (padding k//2) + BatchNorm2d (train mode) + ReLU  -- images/s;
* ``lstm``: embedding (10000, 256) -> 2-layer LSTM, hidden 256 (``fnx.nn.LSTM``: ``lax.scan``
  over time; ``torch.nn.LSTM``) -> linear to the vocabulary; seq 35, batch 32  -- tokens/s;
* ``transformer``: vocabulary 10000, learned positions, 2 pre-norm blocks (d 256, 4 heads,
  MLP 4x with tanh-GELU, causal), final LayerNorm, linear head; seq 64, batch 16  -- tokens/s.

Loss: mean softmax cross-entropy (random labels / next tokens).  Same weights: the fnx worker
builds its model from a PRNG key and writes every parameter (under PyTorch's state_dict name)
and the batch to an .npz file; the PyTorch worker loads it.  The losses of the first two steps
(the forward pass at the shared weights, then after one update) of both libraries are printed
and must agree.

The parent process runs ``python bench_models.py --worker fnx|torch --model M`` subprocesses
one after the other, so the two libraries' thread pools never share the cores; fnx runs under
this interpreter, PyTorch under ``--torch-python`` (a separate virtualenv: torch is never a
dependency of fnx; without it the PyTorch column is skipped with a message).  Times are medians
of ``--repeats`` steps after ``--warmup`` steps (the first fnx step compiles).

    python benchmarks/bench_models.py --torch-python /work/peers/bin/python \\
        [--models resnet9,lstm,transformer] [--repeats 20] [--out benchmarks/results/models.md]
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LR, MOMENTUM = 0.01, 0.9
VOCAB = 10000
# (batch description, items per step, unit) of each model
SPECS = {
    "resnet9": {"batch": 128, "items": 128, "unit": "images/s",
                "shape": "batch 128, 3x32x32, 10 classes"},
    "lstm": {"seq": 35, "batch": 32, "hidden": 256, "layers": 2, "items": 35 * 32,
             "unit": "tokens/s", "shape": "vocab 10000, emb 256, 2x LSTM 256, seq 35, batch 32"},
    "transformer": {"seq": 64, "batch": 16, "d": 256, "heads": 4, "blocks": 2, "items": 64 * 16,
                    "unit": "tokens/s",
                    "shape": "vocab 10000, 2 pre-norm blocks, d 256, 4 heads, MLP 1024, seq 64, "
                             "batch 16"},
}
# first-step losses of the two libraries must agree to this relative tolerance (float32,
# different summation orders; the second step also carries one update's rounding)
LOSS_RTOL = 1e-3


# =============================================================================================
# batches (numpy, drawn once by the fnx worker and shipped to the PyTorch worker)
# =============================================================================================

def make_batch(model: str, seed: int = 0) -> dict:
    """The fixed training batch of ``model`` as numpy arrays ``x`` (inputs) and ``y`` (labels)."""
    rng = np.random.default_rng(seed)
    s = SPECS[model]
    if model == "resnet9":
        return {"x": rng.standard_normal((s["batch"], 3, 32, 32)).astype(np.float32),
                "y": rng.integers(0, 10, s["batch"]).astype(np.int32)}
    if model == "lstm":        # (seq, batch): nn.LSTM's default layout
        tokens = rng.integers(0, VOCAB, (s["seq"] + 1, s["batch"])).astype(np.int32)
        return {"x": tokens[:-1], "y": tokens[1:]}
    tokens = rng.integers(0, VOCAB, (s["batch"], s["seq"] + 1)).astype(np.int32)
    return {"x": tokens[:, :-1], "y": tokens[:, 1:]}


def torch_name(fnx_path: str) -> str:
    """A parameter's fnx key path (``.layers[2].fn.layers[0].layers[1].weight``) as the dotted
    name PyTorch's state_dict uses for the same module structure (``2.fn.0.1.weight``)."""
    name = fnx_path.replace(".layers[", "[")
    name = re.sub(r"\[(\d+)\]", r".\1", name)
    return name.lstrip(".")


# =============================================================================================
# fnx models
# =============================================================================================

def fnx_models():
    """The three fnx model classes / builders (imported lazily: the PyTorch worker has no fnx)."""
    import fnx
    import fnx.nn as nn
    import fnx.numpy as fnp

    def resnet9(key):
        keys = iter(fnx.random.split(key, 12))

        def conv_bn(cin, cout, k, stride):
            return nn.Sequential(nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2,
                                           key=next(keys)),
                                 nn.BatchNorm2d(cout), nn.relu)
        return nn.Sequential(
            conv_bn(3, 16, 7, 4), conv_bn(16, 32, 3, 2),
            nn.Residual(nn.Sequential(conv_bn(32, 32, 3, 1), conv_bn(32, 32, 3, 1))),
            conv_bn(32, 64, 3, 2), conv_bn(64, 128, 3, 2),
            nn.Residual(nn.Sequential(conv_bn(128, 128, 3, 1), conv_bn(128, 128, 3, 1))),
            nn.Flatten(), nn.Linear(128, 128, key=next(keys)), nn.relu,
            nn.Linear(128, 10, key=next(keys)))

    class LSTMLM(nn.Module):
        """tokens (seq, batch) -> logits (seq, batch, vocab)."""

        def __init__(self, key, hidden=256, layers=2):
            k1, k2, k3 = fnx.random.split(key, 3)
            self.emb = nn.Embedding(VOCAB, hidden, key=k1)
            self.rnn = nn.LSTM(hidden, hidden, num_layers=layers, key=k2)
            self.head = nn.Linear(hidden, VOCAB, key=k3)

        def __call__(self, tokens, *, key=None, train=False):
            hs, _ = self.rnn(self.emb(tokens))
            return self.head(hs)

    class TransformerLM(nn.Module):
        """tokens (batch, seq) -> logits (batch, seq, vocab); causal pre-norm blocks."""

        def __init__(self, key, seq=64, d=256, heads=4, blocks=2):
            keys = fnx.random.split(key, blocks + 3)
            self.tok_emb = nn.Embedding(VOCAB, d, key=keys[0])
            self.pos_emb = 0.02 * fnx.random.normal(keys[1], (seq, d))
            self.blocks = [nn.TransformerBlock(d, heads, 4 * d, key=keys[3 + i])
                           for i in range(blocks)]
            self.ln_f = nn.LayerNorm(d)
            self.head = nn.Linear(d, VOCAB, key=keys[2])

        def __call__(self, tokens, *, key=None, train=False):
            h = self.tok_emb(tokens) + self.pos_emb[None, : tokens.shape[1]]
            for block in self.blocks:
                h = block(h, causal=True)
            return self.head(self.ln_f(h))

    del fnp
    return {"resnet9": resnet9, "lstm": lambda key: LSTMLM(key),
            "transformer": lambda key: TransformerLM(key)}


def fnx_training_step(model_name: str, seed: int = 0):
    """``(run, arrays)``: ``run()`` does one jitted training step of ``model_name`` (updating
    the model, the optimizer state and BatchNorm's running statistics) and returns the loss
    before the update; ``arrays`` maps PyTorch parameter names to the initial weights and
    ``__x`` / ``__y`` to the batch."""
    import fnx
    import fnx.nn as nn
    import fnx.numpy as fnp
    import fnx.optim as optim

    model = fnx_models()[model_name](fnx.random.PRNGKey(seed))
    batch = make_batch(model_name, seed)
    arrays = {torch_name(fnx.tree_util.keystr(path)): np.asarray(leaf)
              for path, leaf in fnx.tree.flatten_with_path(model)[0]}
    arrays.update({"__x": batch["x"], "__y": batch["y"]})
    opt = optim.sgd(LR, momentum=MOMENTUM)
    bn_state = nn.init_state(model)         # None for the models without BatchNorm

    def loss_fn(m, bn, x, y):
        if bn is None:
            logits, bn = m(x, train=True), None
        else:
            logits, bn = m(x, bn, train=True)
        return nn.softmax_cross_entropy(logits, y), bn

    @fnx.jit
    def step(m, opt_state, bn, x, y):
        (loss, bn), grads = fnx.value_and_grad(loss_fn, has_aux=True)(m, bn, x, y)
        updates, opt_state = opt.update(grads, opt_state, m)
        return optim.apply_updates(m, updates), opt_state, bn, loss

    state = {"m": model, "opt": opt.init(model), "bn": bn_state}
    x, y = fnp.asarray(batch["x"]), fnp.asarray(batch["y"])

    def run():
        state["m"], state["opt"], state["bn"], loss = step(state["m"], state["opt"],
                                                          state["bn"], x, y)
        return float(np.asarray(loss))       # fnx is synchronous: the step is done here
    run.step, run.state, run.x, run.y = step, state, x, y
    return run, arrays


# =============================================================================================
# PyTorch models
# =============================================================================================

def torch_training_step(model_name: str, arrays: dict, threads: int):
    """``run()``: one eager PyTorch training step of ``model_name`` from the fnx worker's
    weights and batch (``arrays``), returning the loss before the update."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.set_num_threads(threads)

    class Residual(nn.Module):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

        def forward(self, x):
            return x + self.fn(x)

    def resnet9():
        def conv_bn(cin, cout, k, stride):
            return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2), nn.BatchNorm2d(cout),
                                 nn.ReLU())
        return nn.Sequential(
            conv_bn(3, 16, 7, 4), conv_bn(16, 32, 3, 2),
            Residual(nn.Sequential(conv_bn(32, 32, 3, 1), conv_bn(32, 32, 3, 1))),
            conv_bn(32, 64, 3, 2), conv_bn(64, 128, 3, 2),
            Residual(nn.Sequential(conv_bn(128, 128, 3, 1), conv_bn(128, 128, 3, 1))),
            nn.Flatten(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))

    class LSTMLM(nn.Module):
        def __init__(self, hidden=256, layers=2):
            super().__init__()
            self.emb = nn.Embedding(VOCAB, hidden)
            self.rnn = nn.LSTM(hidden, hidden, layers)
            self.head = nn.Linear(hidden, VOCAB)

        def forward(self, tokens):
            hs, _ = self.rnn(self.emb(tokens))
            return self.head(hs)

    class Attention(nn.Module):           # fnx.nn.MultiHeadAttention's parameter names
        def __init__(self, d, heads):
            super().__init__()
            self.heads = heads
            self.q_proj, self.k_proj = nn.Linear(d, d), nn.Linear(d, d)
            self.v_proj, self.out_proj = nn.Linear(d, d), nn.Linear(d, d)

        def forward(self, x):
            b, t, d = x.shape
            split = lambda z: z.view(b, t, self.heads, d // self.heads).transpose(1, 2)
            out = F.scaled_dot_product_attention(split(self.q_proj(x)), split(self.k_proj(x)),
                                                 split(self.v_proj(x)), is_causal=True)
            return self.out_proj(out.transpose(1, 2).reshape(b, t, d))

    class Block(nn.Module):               # fnx.nn.TransformerBlock (pre-norm, tanh GELU)
        def __init__(self, d, heads):
            super().__init__()
            self.ln1, self.attn = nn.LayerNorm(d), Attention(d, heads)
            self.ln2 = nn.LayerNorm(d)
            self.mlp_in, self.mlp_out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp_out(F.gelu(self.mlp_in(self.ln2(x)), approximate="tanh"))

    class TransformerLM(nn.Module):
        def __init__(self, seq=64, d=256, heads=4, blocks=2):
            super().__init__()
            self.tok_emb = nn.Embedding(VOCAB, d)
            self.pos_emb = nn.Parameter(torch.zeros(seq, d))
            self.blocks = nn.ModuleList([Block(d, heads) for _ in range(blocks)])
            self.ln_f, self.head = nn.LayerNorm(d), nn.Linear(d, VOCAB)

        def forward(self, tokens):
            h = self.tok_emb(tokens) + self.pos_emb[None, : tokens.shape[1]]
            for block in self.blocks:
                h = block(h)
            return self.head(self.ln_f(h))

    model = {"resnet9": resnet9, "lstm": LSTMLM, "transformer": TransformerLM}[model_name]()
    params = {k: v for k, v in arrays.items() if not k.startswith("__")}
    if model_name == "lstm":    # fnx's rnn.cells.<i>.weight_ih is torch's rnn.weight_ih_l<i>
        params = {re.sub(r"^rnn\.cells\.(\d+)\.(\w+)$", r"rnn.\2_l\1", k): v
                  for k, v in params.items()}
    expected = {n for n, _ in model.named_parameters()}
    if set(params) != expected:
        raise SystemExit(f"bench_models: parameter names differ between fnx and torch "
                         f"({model_name}): only fnx {sorted(set(params) - expected)}, only "
                         f"torch {sorted(expected - set(params))}")
    with torch.no_grad():
        for name, p in model.named_parameters():
            if tuple(p.shape) != params[name].shape:
                raise SystemExit(f"bench_models: {name} has shape {tuple(p.shape)} in torch, "
                                 f"{params[name].shape} in fnx")
            p.copy_(torch.from_numpy(params[name]))
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x = torch.from_numpy(arrays["__x"].astype(np.int64 if model_name != "resnet9" else np.float32))
    y = torch.from_numpy(arrays["__y"].astype(np.int64))

    def run():
        opt.zero_grad(set_to_none=True)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        opt.step()
        return float(loss.detach())
    return run


# =============================================================================================
# workers
# =============================================================================================

def time_steps(run, warmup: int, repeats: int) -> dict:
    """Losses of the first two steps, the first step's time (fnx: compile included), and
    the median / min of ``repeats`` timed steps after ``warmup`` more."""
    t0 = time.perf_counter()
    losses = [run()]
    first = time.perf_counter() - t0
    losses.append(run())
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return {"losses": losses, "first_s": first, "median_s": statistics.median(times),
            "min_s": min(times), "repeats": repeats}


def worker(args) -> dict:
    if args.worker == "fnx":
        if args.profile:       # read when fnx.compiler.executable is imported: set it first
            os.environ["FNX_JIT_PROFILE"] = "1"
        sys.path.insert(0, ROOT)                     # fnx from this checkout
        import fnx
        from fnx.backends.cpu_ffi import lib      # the thread count fnx's kernels resolved
        run, arrays = fnx_training_step(args.model)
        np.savez(args.exchange, **arrays)
        res = time_steps(run, args.warmup, args.repeats)
        res.update(version=_fnx_version(), threads=fnx.config.num_threads or
                   lib.fnx_get_num_threads())
        if args.profile:
            res["profile"] = fnx_profile(run, args.warmup + args.repeats + 2)
    else:
        import torch
        threads = args.threads or os.cpu_count()
        with np.load(args.exchange) as f:
            arrays = {k: f[k] for k in f.files}
        res = time_steps(torch_training_step(args.model, arrays, threads), args.warmup,
                         args.repeats)
        res.update(version=torch.__version__, threads=torch.get_num_threads())
    return res


def fnx_profile(run, steps: int, top: int = 12) -> str:
    """The top steps of the compiled training step by time (FNX_JIT_PROFILE=1 timers in the
    generated C, summed over ``steps`` calls, shown per call), each with the kernels it calls
    (a step whose functions call none is a fused loop written by the compiler)."""
    from fnx.compiler.executable import profile_report
    st = run.state
    exe = run.step.lower(st["m"], st["opt"], st["bn"], run.x, run.y).compile()
    source = exe.as_c()
    # identical steps share one C function (the compiler deduplicates them): describe a step by
    # the function its timer wraps, not by its own name
    called = {int(slot): fn for fn, slot in
              re.findall(r"rc = (k\d+)\([^;]*;\s*fnx_prof\[(\d+)\]", source)}
    slots = {name: i for i, name in enumerate(exe._profile_names)}
    lines = [f"{'step':>6s} {'ms/call':>9s}  what"]
    for row in profile_report(exe, top=top).splitlines():
        name, ms = row.split()[0], float(row.split()[1])
        fn = called.get(slots.get(name, -1), name)
        what = _describe_step(source, fn) + (f" (= {fn})" if fn != name else "")
        lines.append(f"{name:>6s} {ms / steps:9.2f}  {what}")
    return "\n".join(lines)


def _describe_step(source: str, name: str) -> str:
    """The kernel calls (with their size arguments) of step ``name`` and of its loop body's
    steps ``name_k*`` in the generated C; a nested body marks a scan / while loop."""
    bodies = re.findall(r"^static int (" + name + r"(?:_k\d+)*)\((.*?)^}", source, re.M | re.S)
    calls = []
    for _, body in bodies:
        for kernel, cargs in re.findall(r"&fnx_(\w+)\)\)fns\[\d+\]\)\(([^;]*)\)", body):
            if kernel in ("buffer_alloc", "buffer_free"):
                continue
            sizes = [a.strip() for a in cargs.split(",") if a.strip().lstrip("-").isdigit()]
            calls.append(f"{kernel}({'x'.join(sizes[:5])})")
    loop = " loop body:" if any("_k" in n for n, _ in bodies) else ""
    counted = {c: calls.count(c) for c in calls}
    what = ", ".join(f"{c}{f' x{k}' if k > 1 else ''}" for c, k in counted.items())
    return (loop + " " + (what or "fused elementwise / reduction loop")).strip()


def _fnx_version() -> str:
    from fnx import _version
    return getattr(_version, "__version__", "?")


# =============================================================================================
# the parent: spawn the workers, compare, write the table
# =============================================================================================

def _spawn(python: str, library: str, model: str, exchange: str, args) -> dict:
    cmd = [python, os.path.abspath(__file__), "--worker", library, "--model", model,
           "--exchange", exchange, "--repeats", str(args.repeats), "--warmup", str(args.warmup)]
    if args.profile:
        cmd.append("--profile")
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"bench_models: the {library} worker for {model} failed:\n"
                         f"{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _torch_available(python: str | None) -> str | None:
    """The interpreter to run PyTorch with, or None (with a message) when it has no torch."""
    python = python or sys.executable
    ok = subprocess.run([python, "-c", "import torch"], capture_output=True).returncode == 0
    if not ok:
        print(f"bench_models: no torch under {python}; skipping the PyTorch column (pass "
              f"--torch-python /path/to/venv/bin/python)", file=sys.stderr)
        return None
    return python


def _losses_agree(a: float, b: float) -> bool:
    return abs(a - b) <= LOSS_RTOL * max(1.0, abs(a))


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def _git_commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                         cwd=ROOT)
    return out.stdout.strip() or "?"


def _best(runs: list) -> dict:
    """The run with the fastest median (the losses of every run are the same steps)."""
    return min(runs, key=lambda r: r["median_s"])


def profile(args, models) -> None:
    """``--profile``: the fnx step of each model, its compiled parts by time (markdown)."""
    parts = [f"# Where fnx's training step spends its time\n\n{datetime.date.today().isoformat()}"
             f"; {_machine()}; load average (1 min) {os.getloadavg()[0]:.2f} at the start; "
             f"fnx commit {_git_commit()}. The top-level steps of the compiled program "
             f"(FNX_JIT_PROFILE=1 timers), ms per training step; a scan is one step "
             f"(its loop body's kernels listed).\n\nCommand: `python benchmarks/bench_models.py "
             f"{' '.join(args.argv)}`\n"]
    with tempfile.TemporaryDirectory(prefix="bench_models_") as tmp:
        for m in models:
            fx = _spawn(sys.executable, "fnx", m, os.path.join(tmp, f"{m}.npz"), args)
            parts.append(f"## {m}: fnx {fx['median_s'] * 1e3:.1f} ms/step (median; the "
                         f"timers add a little)\n\n```\n{fx['profile']}\n```\n")
            print(parts[-1], flush=True)
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(parts))


def parent(args) -> None:
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in SPECS]
    if unknown:
        raise SystemExit(f"bench_models: unknown model(s) {unknown}; choose from {list(SPECS)}")
    if args.profile:
        return profile(args, models)
    torch_python = _torch_available(args.torch_python)
    load_before = os.getloadavg()
    runs = {m: {"fnx": [], "torch": []} for m in models}
    with tempfile.TemporaryDirectory(prefix="bench_models_") as tmp:
        for r in range(args.rounds):
            for m in models:
                exchange = os.path.join(tmp, f"{m}.npz")
                libs = [("fnx", sys.executable)] + ([("torch", torch_python)] if torch_python
                                                    else [])
                for lib, python in (libs if r % 2 == 0 else libs[::-1]):
                    if lib == "torch" and not os.path.exists(exchange):
                        continue            # round 1 runs fnx first: it writes the weights
                    res = _spawn(python, lib, m, exchange, args)
                    runs[m][lib].append(res)
                    print(f"round {r + 1} {m} {lib}: losses {res['losses'][0]:.6f} "
                          f"{res['losses'][1]:.6f}, median {res['median_s'] * 1e3:.2f} ms/step, "
                          f"load {os.getloadavg()[0]:.2f}", flush=True)
    load_after = os.getloadavg()
    results = {m: (_best(v["fnx"]), _best(v["torch"]) if v["torch"] else None)
               for m, v in runs.items()}
    rows = []
    for m in models:
        fx, tc = results[m]
        spec = SPECS[m]
        rate = lambda r: spec["items"] / r["median_s"]
        row = (f"| {m} | {spec['unit']} | {fx['median_s'] * 1e3:.1f} ({fx['min_s'] * 1e3:.1f}) "
               f"| {rate(fx):,.0f} | {fx['first_s']:.1f} | ")
        if tc:
            row += (f"{tc['median_s'] * 1e3:.1f} ({tc['min_s'] * 1e3:.1f}) | {rate(tc):,.0f} | "
                    f"**{tc['median_s'] / fx['median_s']:.2f}x** "
                    f"({tc['min_s'] / fx['min_s']:.2f}x) | ")
        else:
            row += "- | - | - | "
        row += " / ".join(f"{v:.5f}" for v in fx["losses"]) + " | "
        row += (" / ".join(f"{v:.5f}" for v in tc["losses"]) if tc else "-") + " |"
        rows.append(row)
    fx_any = next(iter(results.values()))[0]
    tc_any = next((r[1] for r in results.values() if r[1]), None)
    command = "python benchmarks/bench_models.py " + " ".join(args.argv)
    lines = [
        "# One training step per model: fnx against PyTorch",
        "",
        f"{datetime.date.today().isoformat()}; {_machine()}; load average (1 min) "
        f"{load_before[0]:.2f} before, {load_after[0]:.2f} after; Python "
        f"{platform.python_version()}; fnx {fx_any['version']} (commit {_git_commit()}, "
        f"{fx_any['threads']} threads, fnx.jit of the whole step); "
        + (f"torch {tc_any['version']} ({tc_any['threads']} threads, eager)" if tc_any
           else "torch not run") + ".",
        "",
        "Step = forward + backward + SGD(lr 0.01, momentum 0.9) update, the same initial "
        "weights and batch in both libraries, each library in its own process (never at the "
        f"same time); per run the median of {args.repeats} steps after {args.warmup + 2} "
        f"warm-up steps, the fastest of {args.rounds} runs (the libraries alternating). "
        "Rates from the medians; the minimum step of the chosen run in parentheses (less "
        "sensitive to other processes on the cores). "
        "`torch / fnx` > 1 means fnx is faster. Losses: step 1 (the shared weights) / step 2 "
        "(after one update). fnx's first step includes tracing and the C compiler (or its disk "
        "cache).",
        "",
        "| model | unit | fnx ms/step (min) | fnx rate | fnx first step s | torch ms/step (min) "
        "| torch rate | torch / fnx (of mins) | fnx losses | torch losses |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Models: " + "; ".join(f"{m}: {SPECS[m]['shape']}" for m in models) + ".",
        "",
        f"Command: `{command}`",
    ]
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table)
    bad = [m for m, (fx, tc) in results.items() if tc and not all(
        _losses_agree(a, b) for a, b in zip(fx["losses"], tc["losses"]))]
    if bad:
        raise SystemExit(f"bench_models: fnx and torch losses disagree for {bad} "
                         f"(relative tolerance {LOSS_RTOL})")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default=",".join(SPECS))
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=None,
                   help="PyTorch's thread count (default: the core count); fnx keeps its default")
    p.add_argument("--torch-python", default=None,
                   help="a Python with torch installed (default: this one, if it has torch)")
    p.add_argument("--rounds", type=int, default=2,
                   help="run each (model, library) worker this many times, alternating the "
                        "libraries, and keep the fastest median (a shared machine's noise)")
    p.add_argument("--profile", action="store_true",
                   help="only fnx: time the compiled step's parts (FNX_JIT_PROFILE=1)")
    p.add_argument("--out", default=None)
    p.add_argument("--worker", choices=("fnx", "torch"), help=argparse.SUPPRESS)
    p.add_argument("--model", choices=tuple(SPECS), help=argparse.SUPPRESS)
    p.add_argument("--exchange", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.argv = argv
    if args.worker:
        print(json.dumps(worker(args)))
    else:
        parent(args)


if __name__ == "__main__":
    main()
