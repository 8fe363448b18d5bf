"""jit's handling of transposed layouts: loops that transpose are emitted as tiled nests
(fnx/compiler/tiles.py) and matmuls read an operand transposed in place (fnx_matmul_ex) when its
buffer already has the transposed layout.  Values against numpy and eager; the generated C is
checked for the path, so a silent fallback to the plain loops would show."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.compiler import tiles

RNG = np.random.default_rng(0)


def _c_source(f, *args):
    return fnx.jit(f).lower(*args).compile().as_c()


@pytest.mark.parametrize("shape,perm", [
    ((128, 3, 32, 32), (1, 2, 3, 0)),      # a conv weight gradient's batch <-> channels
    ((40, 33), (1, 0)),                     # not a multiple of the tile
    ((7, 17, 300), (2, 0, 1)),
    ((5, 64, 9, 24), (0, 3, 2, 1)),
    ((1000, 130), (1, 0)),                  # large enough to split over threads
])
def test_transposing_loops_are_tiled_and_exact(shape, perm):
    x = RNG.standard_normal(shape).astype(np.float32)
    f = lambda a: fnp.transpose(a * 2.0 + 1.0, perm)       # noqa: E731 (fused into the loop)
    got = fnx.jit(f)(fnp.asarray(x))
    np.testing.assert_array_equal(np.asarray(got), np.transpose(x * 2.0 + 1.0, perm))
    assert "tile_p" in _c_source(f, fnp.asarray(x))


def test_transpose_through_a_reshape_is_tiled():
    """(N, C, H, W) -> (C, H, W, N) written as a reshape of a transpose (the index chain the
    conv lowering produces)"""
    x = RNG.standard_normal((64, 3, 16, 16)).astype(np.float32)

    def f(a):
        t = fnp.transpose(fnp.reshape(a, (64, 3, 256)), (1, 2, 0))
        return fnp.reshape(t, (3, 16, 16, 64)) - 0.5
    got = fnx.jit(f)(fnp.asarray(x))
    np.testing.assert_array_equal(np.asarray(got), np.transpose(x, (1, 2, 3, 0)) - 0.5)
    assert "tile_p" in _c_source(f, fnp.asarray(x))


@pytest.mark.parametrize("shape,perm", [((6, 200), (1, 0)), ((300, 4), (1, 0)),
                                        ((64, 64), (0, 1))])
def test_loops_that_do_not_transpose_stay_plain(shape, perm):
    """a short innermost output axis, a short source axis, no transpose: no tiling"""
    x = RNG.standard_normal(shape).astype(np.float32)
    f = lambda a: fnp.transpose(fnp.sin(a), perm)            # noqa: E731
    np.testing.assert_allclose(np.asarray(fnx.jit(f)(fnp.asarray(x))),
                               np.transpose(np.sin(x), perm), rtol=1e-6, atol=1e-6)
    assert "tile_p" not in _c_source(f, fnp.asarray(x))


def test_contiguous_source_index_reads_the_load_strides():
    body = ["const int64_t t3 = (i1)*32 + i2;",
            "const float t4 = b1[(i3)*3072 + (i0)*1024 + t3];",
            "b0[(i0)*131072 + (i1)*4096 + (i2)*128 + i3] = t4;"]
    assert tiles.contiguous_source_index(body, "b0", (3, 32, 32, 128)) == 2
    contiguous = ["const float t4 = b1[(i0)*4096 + (i1)*128 + i2];",
                  "b0[(i0)*4096 + (i1)*128 + i2] = t4;"]
    assert tiles.contiguous_source_index(contiguous, "b0", (3, 32, 128)) is None
    clamped = ["const float t4 = b1[i1 < 3 ? i1 : 3];", "b0[(i0)*16 + i1] = t4;"]
    assert tiles.contiguous_source_index(clamped, "b0", (16, 16)) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_reads_a_transposed_weight_in_place(dtype):
    """x @ W^T and dY^T @ X read W / dY from their buffers through fnx_matmul_ex; the values
    equal numpy, and grad(jit) equals eager grad"""
    x = RNG.standard_normal((48, 40)).astype(dtype)
    w = RNG.standard_normal((30, 40)).astype(dtype)
    b = RNG.standard_normal(30).astype(dtype)

    def f(x, w, b):
        return fnp.tanh(x @ fnp.transpose(w) + b)

    def loss(w, b, x):
        return fnp.sum(f(x, w, b) ** 2)

    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    got = fnx.jit(f)(x, w, b)
    np.testing.assert_allclose(np.asarray(got), np.tanh(x @ w.T + b), **tol)
    assert "&fnx_matmul_ex)" in _c_source(f, x, w, b)
    g_jit = fnx.jit(fnx.grad(loss, argnums=(0, 1)))(w, b, x)
    g_eager = fnx.grad(loss, argnums=(0, 1))(w, b, x)
    for a, e in zip(g_jit, g_eager):
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), **tol)


def test_int_matmul_with_a_transposed_buffer_is_exact():
    """ints keep the pack (the kernel would only transpose into scratch): still exact"""
    x = RNG.integers(-5, 6, (20, 9)).astype(np.int32)
    w = RNG.integers(-5, 6, (7, 9)).astype(np.int32)
    f = lambda x, w: x @ fnp.transpose(w)                    # noqa: E731
    np.testing.assert_array_equal(np.asarray(fnx.jit(f)(x, w)), x @ w.T)
