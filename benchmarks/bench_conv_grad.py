"""Input gradients of strided convolutions: the polyphase rule against the zero-dilated one.

fnx/lax/conv.py computes the lhs cotangent of a strided convolution as ONE stride-1 convolution
of the output gradient with per-phase sub-kernels (``POLYPHASE_LHS_GRAD = True``) instead of a
convolution over the output gradient dilated with zeros (the old path, ``False``), which spent
3/4 (stride 2) or 15/16 (stride 4) of its multiply-adds on zeros.  Both paths are timed in the
same run, taking turns (bench_grad.median_times), each as a freshly traced fnx.jit:

* jit(grad wrt input) of a 3x3 stride-2 conv 16->32 (padding 1), batch 128, 32x32 input;
* jit(grad wrt input) of the 7x7 stride-4 conv 3->16 (padding 3), batch 128, 32x32 input;
* one SGD step of a ResNet9-shaped net (examples/resnet9.py's convolutions, with relu and no
  batch norm): batch 128 of 3x32x32.

    python benchmarks/bench_conv_grad.py [--repeats 10] [--out benchmarks/results/conv_grad.md]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_grad import median_times  # noqa: E402

import fnx  # noqa: E402
import fnx.lax.conv  # noqa: E402,F401
import fnx.numpy as fnp  # noqa: E402
from fnx import lax  # noqa: E402

conv_mod = sys.modules["fnx.lax.conv"]
DN = ("NHWC", "HWIO", "NHWC")
BATCH = 128
# (cin, cout, kernel, stride) of examples/resnet9.py; the residual pairs are stride 1
RESNET9 = [(3, 16, 7, 4), (16, 32, 3, 2), (32, 32, 3, 1), (32, 32, 3, 1), (32, 64, 3, 2),
           (64, 128, 3, 2), (128, 128, 3, 1), (128, 128, 3, 1)]


def _with_path(polyphase, make):
    """A jit-compiled function traced under the chosen input-gradient rule."""
    conv_mod.POLYPHASE_LHS_GRAD = polyphase
    try:
        fn = make()
        fn()  # trace and compile now, under this flag
        return fn
    finally:
        conv_mod.POLYPHASE_LHS_GRAD = True


def conv_input_grad(cin, cout, k, s):
    rng = np.random.default_rng(0)
    x = fnp.asarray(rng.standard_normal((BATCH, 32, 32, cin)).astype(np.float32))
    w = fnp.asarray(rng.standard_normal((k, k, cin, cout)).astype(np.float32))

    def make():
        g = fnx.jit(fnx.grad(lambda x, w: (lax.conv_general_dilated(
            x, w, (s, s), ((k // 2, k // 2),) * 2, dimension_numbers=DN) ** 2).sum()))
        return lambda: fnx.block_until_ready(g(x, w))
    return make


def resnet9_step():
    rng = np.random.default_rng(1)
    params = [(fnp.asarray((rng.standard_normal((k, k, a, b)) * np.sqrt(2 / (k * k * a)))
                           .astype(np.float32)), fnp.zeros(b, "float32"))
              for a, b, k, _ in RESNET9]
    head = fnp.asarray((rng.standard_normal((128, 10)) * 0.05).astype(np.float32))
    x = fnp.asarray(rng.standard_normal((BATCH, 32, 32, 3)).astype(np.float32))
    y = fnp.asarray(rng.integers(0, 10, BATCH).astype(np.int32))

    def block(h, p, k, s):
        h = lax.conv_general_dilated(h, p[0], (s, s), ((k // 2, k // 2),) * 2,
                                     dimension_numbers=DN)
        return fnp.maximum(h + p[1], 0.0)

    def loss(params, head, x, y):
        h = block(x, params[0], 7, 4)
        h = block(h, params[1], 3, 2)
        h = h + block(block(h, params[2], 3, 1), params[3], 3, 1)
        h = block(h, params[4], 3, 2)
        h = block(h, params[5], 3, 2)
        h = h + block(block(h, params[6], 3, 1), params[7], 3, 1)
        logits = fnp.mean(h, axis=(1, 2)) @ head
        logp = logits - fnp.max(logits, -1, keepdims=True)
        logp = logp - fnp.log(fnp.sum(fnp.exp(logp), -1, keepdims=True))
        return -fnp.mean(fnp.take_along_axis(logp, y[:, None], axis=1))

    def make():
        @fnx.jit
        def step(params, head, x, y):
            gp, gh = fnx.grad(loss, argnums=(0, 1))(params, head, x, y)
            new = fnx.tree_util.tree_map(lambda p, g: p - 0.01 * g, params, gp)
            return new, head - 0.01 * gh
        return lambda: fnx.block_until_ready(step(params, head, x, y))
    return make


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    cases = [("jit(grad) 3x3 stride-2 conv 16->32, 128x32x32", conv_input_grad(16, 32, 3, 2)),
             ("jit(grad) 7x7 stride-4 conv 3->16, 128x32x32", conv_input_grad(3, 16, 7, 4)),
             ("ResNet9-shaped SGD step (no BN), batch 128", resnet9_step())]
    load = os.getloadavg()
    lines = ["| case | dilated (old) ms | polyphase (new) ms | speed-up |", "|---|---|---|---|"]
    for name, make in cases:
        fns = {"old": _with_path(False, make), "new": _with_path(True, make)}
        t = median_times(fns, args.repeats)
        lines.append(f"| {name} | {t['old'] * 1e3:.1f} | {t['new'] * 1e3:.1f} | "
                     f"{t['old'] / t['new']:.2f}x |")
        print(lines[-1], flush=True)
    load_after = os.getloadavg()
    note = (f"\nMedians of {args.repeats} calls per path (turns in 5 blocks); "
            f"{os.cpu_count()} CPUs, load average {load[0]:.2f} before, "
            f"{load_after[0]:.2f} after.\n")
    print(note)
    if args.out:
        with open(args.out, "w") as f:
            f.write("# Input gradient of strided convolutions: polyphase vs zero-dilated\n\n"
                    "`python benchmarks/bench_conv_grad.py --out benchmarks/results/"
                    "conv_grad.md`\n\n" + "\n".join(lines) + "\n" + note)


if __name__ == "__main__":
    main()
