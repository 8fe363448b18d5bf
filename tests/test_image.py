"""fnx.image (jax.image's resize / scale_and_translate) vs numpy re-implementations written from
the formulas: explicit interpolation loops, index arithmetic, and the weight-matrix definition
with independently written kernels (np.sinc for Lanczos, Keys' piecewise cubic)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
from fnx import image
from fnx.errors import InvalidArgumentError, ShapeError
from fnx.test_util import check_grads

SMOOTH_METHODS = ["linear", "lanczos3", "lanczos5", "cubic", "cubic-pytorch", "area"]


# -- numpy oracles --------------------------------------------------------------------------------

def np_linear_loop(x, n, axis):
    """Linear interpolation without antialias along ``axis``: output pixel i samples input
    position s = (i + 0.5) m / n - 0.5, clamped to [0, m - 1] (the edge pixel beyond it)."""
    x = np.moveaxis(np.asarray(x, np.float64), axis, 0)
    m = x.shape[0]
    out = np.empty((n,) + x.shape[1:])
    for i in range(n):
        s = min(max((i + 0.5) * m / n - 0.5, 0.0), m - 1.0)
        lo = int(math.floor(s))
        hi = min(lo + 1, m - 1)
        frac = s - lo
        out[i] = (1 - frac) * x[lo] + frac * x[hi]
    return np.moveaxis(out, 0, axis)


def np_nearest(x, shape):
    x = np.asarray(x)
    for d, n in enumerate(shape):
        m = x.shape[d]
        if m != n:
            x = np.take(x, [(2 * i + 1) * m // (2 * n) for i in range(n)], axis=d)
    return x


def _np_kernel(method, x):
    if method == "linear":
        return np.maximum(0.0, 1.0 - x)
    if method in ("lanczos3", "lanczos5"):
        r = float(method[-1])
        return np.where(x < r, np.sinc(x) * np.sinc(x / r), 0.0)
    a = -0.75 if method == "cubic-pytorch-noaa" else -0.5
    return np.where(x < 1, (a + 2) * x**3 - (a + 3) * x**2 + 1,
                    np.where(x < 2, a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a, 0.0))


def np_weights(method, m, n, scale, translation, antialias):
    """The (m, n) weight matrix of one dimension, from the definition."""
    s = ((np.arange(n) + 0.5) - translation) / scale - 0.5
    if method == "cubic-pytorch" and not antialias:
        pos = np.arange(-2, m + 2)
        raw = _np_kernel("cubic-pytorch-noaa", np.abs(s[None, :] - pos[:, None]))
        w = np.zeros((m, n))
        for row, p in zip(raw, pos):
            w[min(max(p, 0), m - 1)] += row      # padded positions repeat the edge pixel
        return w / w.sum(axis=0, keepdims=True)
    if method == "area":
        lo = (np.arange(n) - translation) / scale
        hi = lo + 1 / scale
        j = np.arange(m)[:, None]
        w = np.maximum(0.0, np.minimum(hi[None, :], j + 1) - np.maximum(lo[None, :], j))
    else:
        widen = max(1 / scale, 1.0) if antialias else 1.0
        w = _np_kernel(method, np.abs(s[None, :] - np.arange(m)[:, None]) / widen)
    total = w.sum(axis=0, keepdims=True)
    nonempty = np.abs(total) > 1000 * np.finfo(np.float32).eps
    w = np.where(nonempty, w / np.where(total == 0, 1, total), 0)
    if not (method == "cubic-pytorch" and not antialias):
        w = np.where(((s >= -0.5) & (s <= m - 0.5))[None, :], w, 0.0)
    return w


def np_scale_and_translate(x, shape, dims, scale, translation, method, antialias=True):
    out = np.asarray(x, np.float64)
    for d, sc, tr in zip(dims, scale, translation):
        w = np_weights(method, out.shape[d], shape[d], sc, tr, antialias)
        out = np.moveaxis(np.tensordot(out, w, axes=([d], [0])), -1, d)
    return out


def np_resize(x, shape, method, antialias=True):
    dims = [d for d in range(x.ndim) if x.shape[d] != shape[d]]
    return np_scale_and_translate(x, shape, dims, [shape[d] / x.shape[d] for d in dims],
                                  [0.0] * len(dims), method, antialias)


def _rand(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


# -- values ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape_in,shape_out", [((5,), (9,)), ((8,), (3,)), ((4, 6), (7, 2)),
                                                ((3, 4, 2), (3, 7, 5))])
def test_linear_without_antialias_is_interpolation(shape_in, shape_out):
    x = _rand(shape_in)
    got = np.asarray(image.resize(x, shape_out, "bilinear", antialias=False))
    want = x
    for d, n in enumerate(shape_out):
        if n != want.shape[d]:
            want = np_linear_loop(want, n, d)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape_out", [(7, 3), (2, 10), (4, 5), (1, 1)])
def test_nearest_is_index_arithmetic(shape_out):
    x = np.arange(20, dtype=np.int32).reshape(4, 5)
    got = image.resize(x, shape_out, image.ResizeMethod.NEAREST)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(np.asarray(got), np_nearest(x, shape_out))


@pytest.mark.parametrize("method", SMOOTH_METHODS)
@pytest.mark.parametrize("antialias", [True, False])
def test_resize_matches_formula(method, antialias):
    x = _rand((6, 5, 2))
    for shape in [(11, 3, 2), (3, 9, 2), (6, 5, 2)]:
        got = np.asarray(image.resize(x, shape, method, antialias=antialias))
        np.testing.assert_allclose(got, np_resize(x, shape, method, antialias), rtol=1e-5,
                                   atol=1e-6)


@settings(max_examples=15, deadline=None)
@given(method=st.sampled_from(SMOOTH_METHODS), antialias=st.booleans(),
       m=st.integers(1, 7), n=st.integers(1, 9), scale=st.floats(0.3, 3.0),
       translation=st.floats(-2.0, 2.0), seed=st.integers(0, 1000))
def test_scale_and_translate_matches_formula(method, antialias, m, n, scale, translation, seed):
    x = _rand((3, m), seed)
    got = image.scale_and_translate(x, (3, n), (1,), [scale], [translation], method,
                                    antialias=antialias)
    want = np_scale_and_translate(x, (3, n), (1,), [scale], [translation], method, antialias)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", ["nearest"] + SMOOTH_METHODS)
def test_identity_resize_returns_input(method):
    x = _rand((3, 4, 2), dtype=np.float32)
    np.testing.assert_array_equal(np.asarray(image.resize(x, x.shape, method)), x)
    got = image.scale_and_translate(x, x.shape, (0, 1), [1.0, 1.0], [0.0, 0.0],
                                    "linear" if method == "nearest" else method)
    np.testing.assert_allclose(np.asarray(got), x, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("method", SMOOTH_METHODS)
def test_antialiased_downsampling_keeps_a_constant_image(method):
    x = np.full((12, 9), 2.5)
    got = np.asarray(image.resize(x, (5, 2), method))
    np.testing.assert_allclose(got, 2.5, rtol=1e-6)
    np.testing.assert_allclose(got.mean(), x.mean(), rtol=1e-6)


def test_antialias_averages_where_plain_interpolation_aliases():
    x = np.tile([0.0, 1.0], 8)                         # the highest frequency
    smooth = np.asarray(image.resize(x, (4,), "linear"))
    np.testing.assert_allclose(smooth, 0.5, atol=0.1)
    np.testing.assert_allclose(np.asarray(image.resize(x, (4,), "linear", antialias=False)),
                               np_linear_loop(x, 4, 0))


def test_out_of_range_samples_are_zero():
    x = np.ones((4,))
    got = np.asarray(image.scale_and_translate(x, (6,), (0,), [1.0], [3.0], "linear"))
    # output pixel i samples input i - 3: pixels 0..2 land left of the image
    np.testing.assert_allclose(got[:2], 0.0)
    np.testing.assert_allclose(got[3:], 1.0)


def test_integer_images_promote_and_complex_images_keep_their_dtype():
    assert image.resize(np.arange(4, dtype=np.int32), (6,), "linear").dtype == np.float32
    z = (_rand((4,)) + 1j * _rand((4,), 1)).astype(np.complex64)
    got = image.resize(z, (7,), "cubic")
    assert got.dtype == np.complex64
    np.testing.assert_allclose(np.asarray(got), np_resize(z.real, (7,), "cubic")
                               + 1j * np_resize(z.imag, (7,), "cubic"), rtol=1e-5, atol=1e-5)


# -- transformations ------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["linear", "cubic", "lanczos3"])
def test_grad_wrt_image(method):
    x = _rand((4, 3))
    check_grads(lambda im: image.resize(im, (7, 2), method), (x,), order=1)


@pytest.mark.parametrize("method", ["linear", "cubic", "lanczos3", "area"])
def test_grad_wrt_scale_and_translation(method):
    x = _rand((5, 4))
    check_grads(lambda s, t: image.scale_and_translate(x, (6, 3), (0, 1), s, t, method),
                (np.array([1.31, 0.83]), np.array([0.27, -0.19])), order=1,
                atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("method", ["nearest", "linear", "lanczos5", "cubic-pytorch"])
def test_jit_equals_eager(method):
    x = _rand((5, 6), dtype=np.float32)
    f = lambda im: image.resize(im, (3, 8), method, antialias=method != "cubic-pytorch")
    np.testing.assert_allclose(np.asarray(fnx.jit(f)(x)), np.asarray(f(x)), rtol=1e-6, atol=1e-6)
    g = lambda im, s, t: image.scale_and_translate(im, (4, 4), (0, 1), s, t, "linear")
    args = (x, np.array([0.9, 0.7], np.float32), np.array([0.1, 0.4], np.float32))
    np.testing.assert_allclose(np.asarray(fnx.jit(g)(*args)), np.asarray(g(*args)), rtol=1e-6,
                               atol=1e-6)


def test_vmap_equals_loop():
    xs = _rand((3, 5, 4))
    got = fnx.vmap(lambda im: image.resize(im, (2, 7), "cubic"))(xs)
    want = np.stack([np.asarray(image.resize(x, (2, 7), "cubic")) for x in xs])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12)
    scales = np.array([[1.2, 0.8], [0.6, 1.0], [2.0, 0.5]])
    f = lambda s: image.scale_and_translate(xs[0], (5, 4), (0, 1), s, [0.2, -0.1], "linear")
    got = fnx.vmap(f)(scales)
    want = np.stack([np_scale_and_translate(xs[0], (5, 4), (0, 1), s, [0.2, -0.1], "linear")
                     for s in scales])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-10, atol=1e-12)


# -- errors ---------------------------------------------------------------------------------------

def test_errors():
    x = np.ones((3, 4))
    with pytest.raises(ShapeError, match="resize: shape must have one entry per dimension"):
        image.resize(x, (3,), "linear")
    with pytest.raises(InvalidArgumentError, match="Unknown resize method 'bogus'"):
        image.resize(x, (3, 4), "bogus")
    with pytest.raises(InvalidArgumentError, match="scale_and_translate: nearest"):
        image.scale_and_translate(x, (3, 4), (0,), [1.0], [0.0], "nearest")
    with pytest.raises(ShapeError, match="scale has 1 entries but spatial_dims has 2"):
        image.scale_and_translate(x, (3, 4), (0, 1), [1.0], [0.0, 0.0], "linear")
    with pytest.raises(ShapeError, match="dimension 1 is not in spatial_dims"):
        image.scale_and_translate(x, (3, 5), (0,), [1.0], [0.0], "linear")
    with pytest.raises(InvalidArgumentError, match="names a dimension twice"):
        image.scale_and_translate(x, (3, 4), (1, -1), [1.0, 1.0], [0.0, 0.0], "linear")
    with pytest.raises(ShapeError, match="empty dimension"):
        image.resize(np.ones((0, 2)), (3, 2), "linear")
