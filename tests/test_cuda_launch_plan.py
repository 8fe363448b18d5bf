"""The CUDA backend's launch plans, checked without a GPU (needs nvcc, not cupy).

A subprocess replaces cupy by tests/fake_cupy.py -- numpy-backed arrays, and kernels that check
each launch against the kernel's real parameter list (read from the nvcc-preprocessed source)
instead of running.  Every spec-table row then runs through fnx/backends/cuda.py and through
the public function on "GPU" arrays, plus grad / vmap / jit of a small model: every kernel name
the backend asks for must exist, with the right argument count and types and a legal launch
shape, and results must be GPU arrays of the reference's shape and dtype.  Values are the GPU
tests' job (tests/test_cuda.py, marked gpu)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs nvcc")
def test_every_row_launches_existing_kernels_correctly():
    root = os.path.dirname(HERE)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, HERE, os.environ.get("PYTHONPATH", "")]))
    res = subprocess.run([sys.executable, os.path.abspath(__file__)], cwd=os.path.dirname(HERE),
                         env=env, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-8000:]
    assert "launch plans ok" in res.stdout


def _main():
    import fake_cupy
    fake_cupy.install()
    import numpy as np
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    import fnx
    import fnx.numpy as jnp
    from fnx.backends import get_impl
    from fnx.placement import CudaArray
    from fnx.errors import MissingKernelError
    from spec_lax import NO_CUDA_KERNELS, SPECS, LaxCase

    fnx.config.update("strict", True)
    dev = fnx.devices("cuda")[0]

    def check(row, outs, expected, what, on_gpu=True):
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        expected = list(expected) if isinstance(expected, (list, tuple)) else [expected]
        for o, e in zip(outs, expected):
            if on_gpu:
                assert type(o) is CudaArray, f"{row.name} ({what}): got {type(o).__name__}"
            assert o.shape == e.shape and o.dtype == e.dtype, \
                f"{row.name} ({what}): {o.dtype}{o.shape} != {e.dtype}{e.shape}"

    failures = []
    def runner(row):
        @settings(max_examples=int(os.environ.get("FNX_PLAN_EXAMPLES", "12")), deadline=None,
                  derandomize=True, suppress_health_check=list(HealthCheck))
        @given(data=st.data())
        def run(data):
            case = data.draw(row.strategy())
            expected = get_impl("reference", row.prim)(*case.operands, **case.params)
            g = LaxCase(tuple(fnx.device_put(o, dev) for o in case.operands), case.params)
            check(row, get_impl("cuda", row.prim)(*g.operands, **g.params), expected, "impl")
            # a public function may build an empty result (or iota's) without a GPU operand
            outs = expected if isinstance(expected, (list, tuple)) else [expected]
            on_gpu = bool(case.operands) and all(o.size for o in list(outs) + list(case.operands))
            check(row, row.call(row.fn, g), expected, "public function", on_gpu)
        return run

    def check_kernel_missing(row):
        """A row left out of the CUDA tests (spec_lax.NO_CUDA_KERNELS): the backend must still
        lack the kernel, and say so (naming the primitive) on GPU operands -- once the kernel
        lands, this fails until the row is taken off that table and tested like the others."""
        assert get_impl("cuda", row.prim) is None, \
            f"{row.name} has a CUDA kernel now: remove it from spec_lax.NO_CUDA_KERNELS"

        @settings(max_examples=1, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(data=st.data())
        def run(data):
            case = data.draw(row.strategy())
            g = LaxCase(tuple(fnx.device_put(o, dev) for o in case.operands), case.params)
            try:
                row.call(row.fn, g)
            except MissingKernelError as e:
                assert row.name in str(e) and "cuda" in str(e), str(e)
            else:
                raise AssertionError(f"{row.name} on GPU operands ran without a CUDA kernel")
        run()

    for row in SPECS:
        try:
            if row.name in NO_CUDA_KERNELS:
                check_kernel_missing(row)
            else:
                runner(row)()
        except Exception as e:  # noqa: BLE001 - collect every row's failure
            failures.append(f"{row.name}: {type(e).__name__}: {e}"[:1500])

    # jit on "GPU" arrays: the generated CUDA kernels (fnx.compiler.codegen_cuda) and the
    # backend calls between them, for every row and dtype (packed operands, adjusted params)
    def jit_runner(row, dtype):
        @settings(max_examples=1, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(data=st.data())
        def run(data):
            case = data.draw(row.cases(dtype))

            def fun(*ops):
                return row.call(row.fn, LaxCase(ops, case.params))
            expected = fun(*case.operands)
            g = [fnx.device_put(o, dev) for o in case.operands]
            check(row, fnx.jit(fun)(*g), expected, f"jit, {dtype}", on_gpu=bool(g))
        return run

    for row in SPECS:
        if row.name in NO_CUDA_KERNELS:
            continue  # checked above: the backend has no kernel for it
        for dtype in row.dtypes:
            try:
                jit_runner(row, dtype)()
            except Exception as e:  # noqa: BLE001
                failures.append(f"jit {row.name} {dtype}: {type(e).__name__}: {e}"[:1500])

    # transformations on "GPU" arrays: grad (+ jit), vmap
    def loss(p, x):
        return jnp.mean(jnp.tanh(x @ p["w"] + p["b"]) ** 2)
    p = fnx.device_put({"w": np.ones((4, 3), np.float32), "b": np.zeros(3, np.float32)}, dev)
    x = fnx.device_put(np.ones((5, 4), np.float32), dev)
    for f in (fnx.value_and_grad(loss), fnx.jit(fnx.value_and_grad(loss))):
        try:
            val, grads = f(p, x)
            assert type(val) is CudaArray and type(grads["w"]) is CudaArray
            assert grads["w"].shape == (4, 3)
        except Exception as e:  # noqa: BLE001
            failures.append(f"grad: {type(e).__name__}: {e}"[:1500])
    try:
        out = fnx.vmap(lambda m: jnp.sum(m @ m.T))(fnx.device_put(np.ones((3, 2, 2)), dev))
        assert type(out) is CudaArray and out.shape == (3,)
    except Exception as e:  # noqa: BLE001
        failures.append(f"vmap: {type(e).__name__}: {e}"[:1500])

    # fnx.numpy on "GPU" arrays: nothing may hand device memory to numpy
    a = fnx.device_put(np.arange(12.0, dtype=np.float32).reshape(3, 4), dev)
    i = fnx.device_put(np.array([2, 0], np.int32), dev)
    exprs = {
        "asarray f64": lambda: jnp.asarray(a, dtype=jnp.float64),
        "astype": lambda: a.astype(jnp.int32),
        "index": lambda: a[1:, ::-1],
        "int index": lambda: a[1],
        "array index": lambda: a[i],
        "at add": lambda: a.at[i].add(1.0),
        "where": lambda: jnp.where(a > 3.0, a, 0.0),
        "mean axis": lambda: jnp.mean(a, axis=0),
        "concatenate": lambda: jnp.concatenate([a, a], axis=1),
        "transpose": lambda: a.T @ a,
        "reshape": lambda: a.reshape(4, 3),
        "sort": lambda: jnp.sort(a, axis=1),
        "argmax": lambda: jnp.argmax(a),
        "cumsum": lambda: jnp.cumsum(a, axis=1),
        "clip": lambda: jnp.clip(a, 1.0, 5.0),
        "softmax-like": lambda: jnp.exp(a - jnp.max(a, axis=1, keepdims=True)),
        # the special paths: atomic scatter-add, two-pass reduction, global sort, big GEMM
        "atomic scatter-add": lambda: fnx.device_put(np.zeros((50, 8)), dev).at[
            fnx.device_put(np.arange(10_000, dtype=np.int32) % 50, dev)].add(
            fnx.device_put(np.ones((10_000, 8)), dev)),
        "two-pass sum": lambda: jnp.sum(fnx.device_put(np.ones((2, 100_000), np.float32), dev),
                                        axis=1),
        "narrow-inner max": lambda: jnp.max(fnx.device_put(np.ones((4096, 4)), dev), axis=0),
        "long sort": lambda: jnp.sort(fnx.device_put(np.ones((2, 5000), np.float32), dev)),
        "gemm": lambda: fnx.device_put(np.ones((300, 200)), dev) @ fnx.device_put(
            np.ones((200, 100)), dev),
        "conv": lambda: fnx.lax.conv_general_dilated(
            fnx.device_put(np.ones((2, 9, 9, 4), np.float32), dev),
            fnx.device_put(np.ones((3, 3, 2, 6), np.float32), dev), (2, 1), "SAME",
            dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=2),
    }
    for name, f in exprs.items():
        try:
            out = f()
            assert type(out) is CudaArray, f"got {type(out).__name__}"
        except Exception as e:  # noqa: BLE001
            failures.append(f"fnx.numpy {name}: {type(e).__name__}: {e}"[:1500])
    try:
        assert float(jnp.sum(a)) == 0.0  # the fake kernels compute nothing: zeros
        assert bool(jnp.all(a == a)) in (True, False)
    except Exception as e:  # noqa: BLE001
        failures.append(f"scalar conversion: {type(e).__name__}: {e}"[:1500])

    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"launch plans ok: {len(fake_cupy.LAUNCHES)} launches of "
          f"{len({name for name, _, _ in fake_cupy.LAUNCHES})} kernels")


if __name__ == "__main__":
    _main()
