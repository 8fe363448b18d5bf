"""GPU speed of fnx's CUDA kernels (runs only where cupy sees a GPU).

* sgemm: C = A @ B for 4096^3 float32, fnx's tiled kernel vs cupy.matmul (cuBLAS); TFLOP/s
* elementwise: a chain of 4 elementwise ops on 64M float32, eager (4 kernels; GB/s counted as
  bytes each op reads and writes) and jitted (one generated kernel; GB/s of its input + output),
  vs a plain device-to-device copy (the bandwidth ceiling); softmax over 8192 rows of 8192,
  jitted (one row-fused kernel), likewise
* mlp: one jitted value_and_grad step of a 3-layer MLP (batch 1024, width 2048): generated
  kernels between the GEMMs; vs eager, and vs JAX / PyTorch on the same GPU when installed

Usage:  python benchmarks/bench_cuda.py [--repeats 10]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np


def _gpu_time(fn, sync, repeats: int) -> float:
    """Median seconds of ``fn`` (synchronized before and after each run)."""
    fn()
    sync()
    samples = []
    for _ in range(repeats):
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def bench_sgemm(fnx, cp, sync, repeats):
    n = 4096
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((n, n), dtype=np.float32)
    b_np = rng.standard_normal((n, n), dtype=np.float32)
    dev = fnx.devices("cuda")[0]
    a, b = fnx.device_put(a_np, dev), fnx.device_put(b_np, dev)
    ca, cb = cp.asarray(a_np), cp.asarray(b_np)
    flops = 2 * n ** 3
    t_fnx = _gpu_time(lambda: a @ b, sync, repeats)
    t_cublas = _gpu_time(lambda: ca @ cb, sync, repeats)
    err = float(abs((a @ b)._value - ca @ cb).max())
    print(f"sgemm 4096^3      fnx {flops / t_fnx / 1e12:7.2f} TFLOP/s   "
          f"cupy.matmul {flops / t_cublas / 1e12:7.2f} TFLOP/s   ratio {t_cublas / t_fnx:5.2f}"
          f"   max|diff| {err:.2e}")


def bench_elementwise(fnx, cp, sync, repeats):
    import fnx.numpy as jnp
    n = 64 * 1024 * 1024
    dev = fnx.devices("cuda")[0]
    x = fnx.device_put(np.linspace(-1, 1, n, dtype=np.float32), dev)

    def chain(x):
        return jnp.tanh(x * 2.0 + 1.0) * x   # eager: 4 kernels (mul, add, tanh, mul)

    def softmax(x):
        m = jnp.max(x, axis=-1, keepdims=True)
        e = jnp.exp(x - m)
        return e / jnp.sum(e, axis=-1, keepdims=True)

    fused = fnx.jit(chain)                   # jit: one generated kernel, x read once
    src = cp.asarray(np.ones(n, np.float32))
    dst = cp.empty_like(src)
    t_copy = _gpu_time(lambda: dst.__setitem__(Ellipsis, src), sync, repeats)
    t_chain = _gpu_time(lambda: chain(x), sync, repeats)
    t_jit = _gpu_time(lambda: fused(x), sync, repeats)
    copy_bw = 2 * 4 * n / t_copy / 1e9
    bytes_chain = 4 * n * (2 + 2 + 2 + 3)   # read/write per op (the last one reads two inputs)
    print(f"elementwise 64M   copy {copy_bw:7.1f} GB/s   "
          f"eager chain {bytes_chain / t_chain / 1e9:7.1f} GB/s (op bytes)")
    # fused, the bytes that must move: x in, the result out
    bw = 2 * 4 * n / t_jit / 1e9
    print(f"                  jit chain {bw:7.1f} GB/s (in + out) = {bw / copy_bw:5.2f} of copy;"
          f" {t_chain / t_jit:5.2f}x eager")
    rows = fnx.device_put(np.random.default_rng(0).standard_normal((8192, 8192), np.float32), dev)
    fsm = fnx.jit(softmax)
    t_sm = _gpu_time(lambda: fsm(rows), sync, repeats)
    t_sm_eager = _gpu_time(lambda: softmax(rows), sync, repeats)
    bw = 2 * 4 * rows.size / t_sm / 1e9
    print(f"softmax 8192^2    jit {bw:7.1f} GB/s (in + out) = {bw / copy_bw:5.2f} of copy;"
          f" {t_sm_eager / t_sm:5.2f}x eager")


def _mlp_params(rng, width, depth=3):
    sizes = [width] * depth + [10]
    return [(rng.standard_normal((i, o), dtype=np.float32) / np.sqrt(i),
             np.zeros(o, np.float32)) for i, o in zip(sizes[:-1], sizes[1:])]


def bench_mlp(fnx, cp, sync, repeats):
    import fnx.numpy as jnp
    batch, width = 1024, 2048
    rng = np.random.default_rng(1)
    params = _mlp_params(rng, width)
    x = rng.standard_normal((batch, width), dtype=np.float32)
    y = rng.standard_normal((batch, 10), dtype=np.float32)

    def loss(ps, x, y):
        h = x
        for w, b in ps[:-1]:
            h = jnp.tanh(h @ w + b)
        w, b = ps[-1]
        return jnp.mean((h @ w + b - y) ** 2)

    dev = fnx.devices("cuda")[0]
    gp, gx, gy = fnx.device_put(params, dev), fnx.device_put(x, dev), fnx.device_put(y, dev)
    step = fnx.jit(fnx.value_and_grad(loss))
    eager = fnx.value_and_grad(loss)
    t = _gpu_time(lambda: step(gp, gx, gy), sync, repeats)
    t_eager = _gpu_time(lambda: eager(gp, gx, gy), sync, repeats)
    print(f"mlp step          fnx jit {t * 1e3:8.2f} ms   eager {t_eager * 1e3:8.2f} ms")
    try:
        import jax
        import jax.numpy as jjnp

        def jloss(ps, x, y):
            h = x
            for w, b in ps[:-1]:
                h = jjnp.tanh(h @ w + b)
            w, b = ps[-1]
            return jjnp.mean((h @ w + b - y) ** 2)
        jstep = jax.jit(jax.value_and_grad(jloss))
        jp = jax.device_put(params)
        jx, jy = jax.device_put(x), jax.device_put(y)
        tj = _gpu_time(lambda: jax.block_until_ready(jstep(jp, jx, jy)), sync, repeats)
        print(f"                  jax {tj * 1e3:8.2f} ms   (fnx / jax {t / tj:5.2f})")
    except ImportError:
        print("                  jax not installed")
    try:
        import torch
        tp = [(torch.tensor(w, device="cuda", requires_grad=True),
               torch.tensor(b, device="cuda", requires_grad=True)) for w, b in params]
        tx, ty = torch.tensor(x, device="cuda"), torch.tensor(y, device="cuda")

        def tstep():
            h = tx
            for w, b in tp[:-1]:
                h = torch.tanh(h @ w + b)
            w, b = tp[-1]
            out = ((h @ w + b - ty) ** 2).mean()
            return out, torch.autograd.grad(out, [p for pair in tp for p in pair])
        tt = _gpu_time(tstep, torch.cuda.synchronize, repeats)
        print(f"                  torch {tt * 1e3:8.2f} ms   (fnx / torch {t / tt:5.2f})")
    except ImportError:
        print("                  torch not installed")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    try:
        import cupy as cp
        if cp.cuda.runtime.getDeviceCount() == 0:
            raise RuntimeError("no GPU")
    except Exception as e:  # noqa: BLE001
        print(f"bench_cuda: needs cupy and a CUDA GPU ({e}); nothing to measure")
        return 0
    import fnx

    def sync():
        cp.cuda.get_current_stream().synchronize()
    print(f"device: {cp.cuda.runtime.getDeviceProperties(0)['name'].decode()}")
    bench_sgemm(fnx, cp, sync, args.repeats)
    bench_elementwise(fnx, cp, sync, args.repeats)
    bench_mlp(fnx, cp, sync, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
