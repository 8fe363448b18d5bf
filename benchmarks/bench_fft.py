"""fnx.numpy.fft (the CPU backend: kernels/cpu/fft.c) against numpy.fft (pocketfft), in one
process: a complex64 fft of 2**20 points, an rfft of 1024 float32 rows of 1024, a complex64 fft
of prime length 10007 (Bluestein) and an fft2 of 2048 x 2048 complex64.
Medians of >= 7 repeats after a warm-up; ratio = numpy time / fnx time (> 1: fnx is faster).
A case whose kernel fails (fft.c not merged yet) is reported, not timed.

    python benchmarks/bench_fft.py [--write] [--repeats N]
"""
import argparse
import datetime
import os
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import fnx  # noqa: E402
import fnx.numpy as fnp  # noqa: E402
from fnx.errors import FnxError  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "fft.md")


def _complex64(rng, shape):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)


def cases():
    """(name, dtype, shape, fnx call, numpy call) of each measurement."""
    rng = np.random.default_rng(0)
    big = _complex64(rng, (2 ** 20,))
    rows = rng.standard_normal((1024, 1024)).astype(np.float32)
    prime = _complex64(rng, (10007,))
    image = _complex64(rng, (2048, 2048))
    out = []
    for name, fn, x in (("fft", "fft", big), ("rfft", "rfft", rows), ("fft (prime)", "fft", prime),
                        ("fft2", "fft2", image)):
        fx = fnp.asarray(x)
        out.append((name, x.dtype.name, " x ".join(map(str, x.shape)),
                    lambda fn=fn, fx=fx: getattr(fnp.fft, fn)(fx),
                    lambda fn=fn, x=x: getattr(np.fft, fn)(x)))
    return out


def median_ms(fn, repeats: int) -> float:
    """The median wall time of ``repeats`` calls after one warm-up call; an fnx result is
    brought to the host so the time includes the whole computation."""
    np.asarray(fn())
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.asarray(fn())
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def measure(repeats: int):
    rows = []
    for name, dtype, shape, f, g in cases():
        tn = median_ms(g, repeats)
        try:
            tf = median_ms(f, repeats)
        except FnxError as e:  # the kernel is still a stub
            rows.append((name, dtype, shape, None, tn, str(e).splitlines()[0]))
        else:
            rows.append((name, dtype, shape, tf, tn, None))
        print(table_row(rows[-1]), flush=True)
    return rows


def table_row(row) -> str:
    name, dtype, shape, tf, tn, error = row
    if tf is None:
        return f"| {name} | {dtype} | {shape} | n/a | {tn:.3f} | n/a ({error}) |"
    return f"| {name} | {dtype} | {shape} | {tf:.3f} | {tn:.3f} | {tn / tf:.2f} |"


HEADER = "| op | dtype | shape | fnx ms | numpy ms | numpy / fnx |\n|---|---|---|---|---|---|"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--write", action="store_true", help=f"write the table to {RESULTS}")
    p.add_argument("--repeats", type=int, default=7, help="timed calls per case (>= 7)")
    args = p.parse_args()
    repeats = max(args.repeats, 7)
    print(HEADER)
    rows = measure(repeats)
    if args.write:
        cmd = "python benchmarks/bench_fft.py " + " ".join(sys.argv[1:])
        with open(RESULTS, "w") as fh:
            fh.write("# FFT: fnx CPU kernels vs numpy.fft (pocketfft)\n\n")
            fh.write(f"`{cmd}` on {datetime.date.today()}, {platform.processor() or 'cpu'}, "
                     f"{os.cpu_count()} cores, fnx threads {fnx.config.num_threads or 'default'}"
                     f", numpy {np.__version__}.  Medians of {repeats} calls after a warm-up; "
                     "ratio = numpy / fnx time (> 1: fnx is faster).\n\n")
            fh.write(HEADER + "\n")
            for row in rows:
                fh.write(table_row(row) + "\n")


if __name__ == "__main__":
    main()
