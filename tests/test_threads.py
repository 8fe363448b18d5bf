"""Transformations from several threads at once (issue 17, item 6: trace state per thread).

The interpreter stack, the dynamic (staging) trace and the eager flag are per thread, as in JAX:
threads that run ``grad`` / ``vmap`` / ``jit`` / ``lax.scan`` concurrently must each get what a
serial run gets.  Before, they shared module globals: one thread's ``grad`` saw another's
tracers (UnexpectedTracerError) or another's staging trace (ConcretizationTypeError), and
results could silently mix.

Each test starts its threads on a barrier so their transformations really overlap, repeats a
few rounds, and compares every result with the same computation run serially beforehand.
"""
from __future__ import annotations

import threading

import numpy as np

import fnx
import fnx.numpy as fnp
from fnx import lax

N_THREADS = 8
ROUNDS = 4


def _mlp_loss(params, x, y):
    (w1, b1), (w2, b2) = params
    h = fnp.tanh(x @ w1 + b1)
    out = h @ w2 + b2
    return fnp.mean((out - y) ** 2)


def _per_example_loss(params, x, y):
    return _mlp_loss(params, x[None], y[None])


def _cumulative(c, x):
    c = c * 0.9 + fnp.sin(x)
    return c, c * c


def _scan_total(w, xs):
    final, ys = lax.scan(lambda c, x: _cumulative(c * w, x), fnp.zeros(3), xs)
    return fnp.sum(final) + fnp.sum(ys)


def _inputs(seed):
    rng = np.random.default_rng(seed)
    params = ((fnp.asarray(rng.normal(size=(4, 6)).astype(np.float32)),
               fnp.asarray(rng.normal(size=(6,)).astype(np.float32))),
              (fnp.asarray(rng.normal(size=(6, 2)).astype(np.float32)),
               fnp.asarray(rng.normal(size=(2,)).astype(np.float32))))
    x = fnp.asarray(rng.normal(size=(5, 4)).astype(np.float32))
    y = fnp.asarray(rng.normal(size=(5, 2)).astype(np.float32))
    xs = fnp.asarray(rng.normal(size=(7, 3)).astype(np.float32))
    w = fnp.asarray(rng.normal(size=(3,)).astype(np.float32))
    return params, x, y, xs, w


def _computations():
    """name -> function of (params, x, y, xs, w); the jitted ones are fresh objects, so the
    threads' first calls trace and fill one jit cache concurrently."""
    per_example_grads = fnx.vmap(fnx.grad(_per_example_loss), in_axes=(None, 0, 0))
    return {
        "grad": lambda p, x, y, xs, w: fnx.grad(_mlp_loss)(p, x, y),
        "vmap": lambda p, x, y, xs, w: fnx.vmap(_per_example_loss, in_axes=(None, 0, 0))(p, x, y),
        "jit(grad)": _bind_jitted(fnx.jit(fnx.grad(_mlp_loss))),
        "jit(vmap(grad))": _bind_jitted(fnx.jit(per_example_grads)),
        "scan": lambda p, x, y, xs, w: _scan_total(w, xs),
        "grad(scan)": lambda p, x, y, xs, w: fnx.grad(_scan_total)(w, xs),
        "jit(grad(scan))": _bind_scan_jitted(fnx.jit(fnx.grad(_scan_total))),
    }


def _bind_jitted(jitted):
    return lambda p, x, y, xs, w: jitted(p, x, y)


def _bind_scan_jitted(jitted):
    return lambda p, x, y, xs, w: jitted(w, xs)


def _as_numpy(tree):
    return [np.asarray(leaf) for leaf in fnx.tree.leaves(tree)]


def _run_concurrently(work, n_threads=N_THREADS):
    """Run ``work(thread_index)`` in ``n_threads`` threads started together; their results, and
    the exceptions any of them raised."""
    barrier = threading.Barrier(n_threads)
    results, errors = [None] * n_threads, []

    def body(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as e:  # reported by the test, with the thread that raised it
            errors.append((i, e))

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def _assert_all_match(results, expected):
    for i, per_thread in enumerate(results):
        for rnd, got in enumerate(per_thread):
            for name, leaves in got.items():
                for a, b in zip(leaves, expected[i % len(expected)][name]):
                    np.testing.assert_allclose(
                        a, b, rtol=1e-6, atol=1e-6,
                        err_msg=f"thread {i}, round {rnd}: {name} differs from the serial run")


def test_transformations_in_threads_match_serial_runs():
    inputs = [_inputs(seed) for seed in range(2)]   # threads alternate between two data sets
    serial = _computations()
    expected = [{name: _as_numpy(f(*args)) for name, f in serial.items()} for args in inputs]

    shared = _computations()     # fresh jitted functions: first called from all threads at once

    def work(i):
        args = inputs[i % len(inputs)]
        rounds = []
        for _ in range(ROUNDS):
            rounds.append({name: _as_numpy(f(*args)) for name, f in shared.items()})
        return rounds

    results, errors = _run_concurrently(work)
    assert not errors, f"{len(errors)} thread(s) raised; first: thread {errors[0][0]}: " \
                       f"{errors[0][1]!r}"
    _assert_all_match(results, expected)


def test_one_threads_jit_trace_leaves_another_thread_eager():
    """While one thread is tracing for jit, another thread's plain calls run eagerly (concrete
    values; before, they were staged into the other thread's program as tracers)."""
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def transformed(x):
        inside.set()
        release.wait(timeout=10)
        return x * 2.0

    def jit_thread():
        seen["jit"] = float(fnx.jit(transformed)(fnp.ones(())))

    t = threading.Thread(target=jit_thread)
    t.start()
    try:
        assert inside.wait(timeout=10)
        z = fnp.asarray(np.float32(3.0)) + 1.0
        assert type(z) is fnx.Array
        assert float(z) == 4.0              # concrete: would raise on a leaked tracer
        assert float(fnx.jit(lambda v: v * v)(z)) == 16.0
    finally:
        release.set()
        t.join()
    assert seen["jit"] == 2.0


def test_threads_compiling_one_program_share_one_executable():
    """Threads that reach one uncompiled program together compile it once: they all get the
    same executable (not one each, with the last one silently replacing the others)."""
    lowered = fnx.jit(lambda x: fnp.cos(x) * 3.0 + x).lower(fnp.ones((5,)))
    executables, errors = _run_concurrently(lambda i: lowered.compile())
    assert not errors, errors
    assert all(e is executables[0] for e in executables)
    x = fnp.asarray(np.linspace(-1, 1, 5, dtype=np.float32))
    np.testing.assert_allclose(np.asarray(executables[0]([x])[0]),
                               np.cos(np.asarray(x)) * 3.0 + np.asarray(x), rtol=1e-6)
