"""Training throughput (tokens/s) of one jitted step of examples/language_model.py's models.

Two workloads (issue 22): an LSTM LM with 2 layers, embedding = hidden = 256, bptt 35, batch 32,
and a causal Transformer LM with 2 pre-norm blocks, d_model 256, 4 heads, seq 64, batch 16; both
over the bundled corpus's vocabulary (2754 words), dropout 0.2, the example's optimizers
(LSTM: SGD + global-norm clipping 0.25, carried state under stop_gradient; Transformer: Adam +
clipping 1.0).  One step = forward, backward and the update.  Times are medians of ``--repeats``
steps after two warm-up calls; tokens/s = seq * batch / median; also the median CPU time
(all threads) per step, which other processes on the machine disturb less than wall time.

    python benchmarks/bench_lm_step.py [--repeats 20] [--only lstm|transformer]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))
sys.path.insert(0, ROOT)
import fnx  # noqa: E402
import fnx.numpy as fnp  # noqa: E402
import language_model as lm  # noqa: E402

VOCAB = 2754
WORKLOADS = {
    "lstm": ["--model", "lstm", "--layers", "2", "--hidden", "256", "--embed", "256",
             "--bptt", "35", "--batch-size", "32"],
    "transformer": ["--model", "transformer", "--layers", "2", "--hidden", "256", "--heads", "4",
                    "--seq-len", "64", "--batch-size", "16"],
}


def time_step(argv, repeats):
    args = lm.parse_args(argv + ["--out", "/tmp/unused"])
    length = args.seq_len if args.model == "transformer" else args.bptt
    model = lm.build_model(args, VOCAB, fnx.random.PRNGKey(0))
    opt = lm.make_optimizer(args, 1000)
    train_step, _ = lm.make_steps(opt)
    rng = np.random.default_rng(0)
    x = fnp.asarray(rng.integers(0, VOCAB, (length, args.batch_size), dtype=np.int32))
    y = fnp.asarray(rng.integers(0, VOCAB, (length * args.batch_size,), dtype=np.int32))
    state = [model, opt.init(model), model.initial_carry(args.batch_size)]
    key = fnx.random.PRNGKey(1)

    def step():
        state[0], state[1], state[2], loss = train_step(*state, x, y, key)
        return float(loss)           # blocks until the step is done

    t0 = time.perf_counter()
    step()
    first = time.perf_counter() - t0
    step()
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    med = statistics.median(times)
    return med, length * args.batch_size / med, first - med, statistics.median(cpu)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--only", choices=tuple(WORKLOADS), default=None)
    args = p.parse_args(argv)
    print(f"nproc {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")
    for name, argv_ in WORKLOADS.items():
        if args.only and name != args.only:
            continue
        med, tps, compile_s, cpu = time_step(argv_, args.repeats)
        # CPU seconds (all threads) per step: less sensitive than wall time to other processes
        print(f"{name:12s} median {med * 1e3:8.1f} ms/step  {tps:9.0f} tokens/s  "
              f"cpu {cpu * 1e3:8.1f} ms/step  (first call +{compile_s:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
