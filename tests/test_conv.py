"""conv_general_dilated, reduce_window and the pooling helpers (fnx/lax/conv.py) against
direct numpy loops, plus gradients (check_grads) and vmap.

The spec rows in tests/spec_lax.py cover the primitives themselves (CPU vs reference, jit,
vmap, autodiff); this file covers the public functions: layouts (NCHW / NHWC / 1-D),
"SAME" / "VALID" / explicit (also negative) padding, strides 1-3, dilation and groups."""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import fnx
from fnx import lax
from fnx.core import Array
from fnx.errors import FnxError
from fnx.test_util import check_grads

_N = max(5, settings.default.max_examples // 2)


def naive_conv(x, w, strides, pads, lhs_dil, rhs_dil, groups):
    """Direct definition, NHWC / HWIO, float64: out[n, i, j, o] = sum over taps and channels
    of the (dilated, padded) input times the filter."""
    n, h, wd, c = x.shape
    kh, kw, cg, o = w.shape
    og = o // groups
    hd, wdd = (h - 1) * lhs_dil[0] + 1, (wd - 1) * lhs_dil[1] + 1
    oh = max(0, (hd + sum(pads[0]) - ((kh - 1) * rhs_dil[0] + 1)) // strides[0] + 1)
    ow = max(0, (wdd + sum(pads[1]) - ((kw - 1) * rhs_dil[1] + 1)) // strides[1] + 1)
    out = np.zeros((n, oh, ow, o))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    py = i * strides[0] + a * rhs_dil[0] - pads[0][0]
                    px = j * strides[1] + b * rhs_dil[1] - pads[1][0]
                    if py < 0 or px < 0 or py % lhs_dil[0] or px % lhs_dil[1]:
                        continue
                    y, xx = py // lhs_dil[0], px // lhs_dil[1]
                    if y >= h or xx >= wd:
                        continue
                    for g in range(groups):
                        out[:, i, j, g * og:(g + 1) * og] += (
                            x[:, y, xx, g * cg:(g + 1) * cg] @ w[a, b, :, g * og:(g + 1) * og])
    return out


def same_pads(in_sizes, win_sizes, strides):
    pads = []
    for d, k, s in zip(in_sizes, win_sizes, strides):
        out = -(-d // s)
        total = max(0, (out - 1) * s + k - d)
        pads.append((total // 2, total - total // 2))
    return pads


@st.composite
def conv_problems(draw):
    g = draw(st.integers(1, 3))
    n, cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    lhs_dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    rhs_dil = (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["SAME", "VALID", "explicit"]))
    if padding == "explicit":
        padding = [(draw(st.integers(-1, 3)), draw(st.integers(-1, 3))) for _ in range(2)]
    layout = draw(st.sampled_from(["NHWC", "NCHW"]))
    seed = draw(st.integers(0, 2 ** 31))
    return dict(shape=(n, h, w, g * cg), kshape=(kh, kw, cg, g * og), strides=strides,
                lhs_dil=lhs_dil, rhs_dil=rhs_dil, padding=padding, layout=layout,
                groups=g, seed=seed)


def _run_conv(p, dtype=np.float64):
    rng = np.random.default_rng(p["seed"])
    x = rng.standard_normal(p["shape"]).astype(dtype)
    w = rng.standard_normal(p["kshape"]).astype(dtype)
    pads = p["padding"]
    if isinstance(pads, str):
        hd = [(d - 1) * k + 1 for d, k in zip(p["shape"][1:3], p["lhs_dil"])]
        kd = [(k - 1) * r + 1 for k, r in zip(p["kshape"][:2], p["rhs_dil"])]
        explicit = same_pads(hd, kd, p["strides"]) if pads == "SAME" else [(0, 0), (0, 0)]
    else:
        explicit = pads
    hd = [(d - 1) * k + 1 for d, k in zip(p["shape"][1:3], p["lhs_dil"])]
    assume(all(h + lo + hi >= 0 for h, (lo, hi) in zip(hd, explicit)))
    want = naive_conv(x.astype(np.float64), w.astype(np.float64), p["strides"], explicit,
                      p["lhs_dil"], p["rhs_dil"], p["groups"])
    if p["layout"] == "NHWC":
        dn = ("NHWC", "HWIO", "NHWC")
        xs, ws = x, w
    else:
        dn = None  # JAX's default: NCHW / OIHW / NCHW
        xs, ws = x.transpose(0, 3, 1, 2), w.transpose(3, 2, 0, 1)
        want = want.transpose(0, 3, 1, 2)
    got = lax.conv_general_dilated(Array(xs), Array(ws), p["strides"], pads, p["lhs_dil"],
                                   p["rhs_dil"], dn, p["groups"])
    return got, want


@settings(max_examples=_N)
@given(conv_problems())
def test_conv_matches_direct_loops(p):
    got, want = _run_conv(p)
    assert got.dtype == np.float64 and got.shape == want.shape
    np.testing.assert_allclose(np.asarray(got._value), want, rtol=1e-12, atol=1e-12)


@settings(max_examples=max(3, _N // 3))
@given(conv_problems())
def test_conv_float32(p):
    got, want = _run_conv(p, np.float32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(np.asarray(got._value), want, rtol=1e-4, atol=1e-4)


def test_conv_1d_and_layouts():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 11))            # NCW
    w = rng.standard_normal((4, 3, 3))             # OIW
    got = np.asarray(lax.conv_general_dilated(Array(x), Array(w), (2,), "SAME")._value)
    want = naive_conv(x.transpose(0, 2, 1)[:, None], w.transpose(2, 1, 0)[None], (1, 2),
                      [(0, 0), (1, 1)], (1, 1), (1, 1), 1)[:, 0].transpose(0, 2, 1)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # NHWC input, OIHW kernel, NCHW output
    x = rng.standard_normal((2, 5, 6, 3))
    w = rng.standard_normal((4, 3, 2, 2))
    got = lax.conv_general_dilated(Array(x), Array(w), (1, 1), "VALID",
                                   dimension_numbers=("NHWC", "OIHW", "NCHW"))
    want = naive_conv(x, w.transpose(2, 3, 1, 0), (1, 1), [(0, 0), (0, 0)], (1, 1), (1, 1), 1)
    np.testing.assert_allclose(np.asarray(got._value), want.transpose(0, 3, 1, 2), rtol=1e-12)


def test_conv_errors():
    x, w = Array(np.ones((1, 5, 5, 3), np.float32)), Array(np.ones((3, 3, 2, 4), np.float32))
    with pytest.raises(FnxError, match="conv_general_dilated"):
        lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    with pytest.raises(FnxError, match="spatial"):
        lax.conv_general_dilated(Array(np.ones((1, 1, 2, 2, 2))), Array(np.ones((1, 1, 1, 1, 1))),
                                 (1, 1, 1), "SAME")
    with pytest.raises(ValueError, match="padding"):
        lax.conv_general_dilated(x, w, (1, 1), "FULL", dimension_numbers=("NHWC", "HWIO", "NHWC"))


@pytest.mark.parametrize("strides, padding, lhs_dil, rhs_dil, groups", [
    ((1, 1), "SAME", (1, 1), (1, 1), 1),
    ((2, 3), "VALID", (1, 1), (1, 1), 2),
    ((2, 1), ((1, 2), (0, -1)), (1, 2), (2, 1), 1),
    ((3, 2), "SAME", (2, 1), (1, 2), 3),
])
def test_conv_grads(strides, padding, lhs_dil, rhs_dil, groups):
    rng = np.random.default_rng(1)
    x = Array(rng.standard_normal((2, 7, 6, 2 * groups)))
    w = Array(rng.standard_normal((3, 2, 2, 2 * groups)))

    def f(x, w):
        return lax.conv_general_dilated(x, w, strides, padding, lhs_dil, rhs_dil,
                                        ("NHWC", "HWIO", "NHWC"), groups)
    check_grads(f, (x, w), order=2, modes=("fwd", "rev"))


def test_conv_grads_nchw():
    rng = np.random.default_rng(2)
    x = Array(rng.standard_normal((2, 3, 6, 5)))
    w = Array(rng.standard_normal((4, 3, 3, 3)))
    check_grads(lambda x, w: lax.conv_general_dilated(x, w, (2, 2), "SAME"), (x, w), order=1)


@pytest.mark.parametrize("in_axes", [(0, None), (None, 0), (0, 0), (2, 3)])
def test_conv_vmap_matches_loop(in_axes):
    rng = np.random.default_rng(3)
    B = 3
    xs = rng.standard_normal((B, 2, 6, 5, 4))
    ws = rng.standard_normal((B, 3, 3, 2, 6))
    xb = np.moveaxis(xs, 0, in_axes[0]) if in_axes[0] is not None else xs[0]
    wb = np.moveaxis(ws, 0, in_axes[1]) if in_axes[1] is not None else ws[0]

    def f(x, w):
        return lax.conv_general_dilated(x, w, (2, 1), "SAME", None, (1, 2),
                                        ("NHWC", "HWIO", "NHWC"), 2)
    got = fnx.vmap(f, in_axes=in_axes)(Array(xb), Array(wb))
    want = np.stack([np.asarray(f(Array(xs[i] if in_axes[0] is not None else xs[0]),
                                  Array(ws[i] if in_axes[1] is not None else ws[0]))._value)
                     for i in range(B)])
    np.testing.assert_allclose(np.asarray(got._value), want, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------------

def naive_pool(x, window, strides, pads, kind):
    """NHWC pooling over H, W by loops; padding ignored (max) / counted as 0 (sum)."""
    n, h, w, c = x.shape
    oh = (h + sum(pads[0]) - window[0]) // strides[0] + 1
    ow = (w + sum(pads[1]) - window[1]) // strides[1] + 1
    out = np.full((n, oh, ow, c), -np.inf if kind == "max" else 0.0)
    for i in range(oh):
        for j in range(ow):
            for a in range(window[0]):
                for b in range(window[1]):
                    y, xx = i * strides[0] + a - pads[0][0], j * strides[1] + b - pads[1][0]
                    if 0 <= y < h and 0 <= xx < w:
                        v = x[:, y, xx]
                        out[:, i, j] = np.maximum(out[:, i, j], v) if kind == "max" \
                            else out[:, i, j] + v
    return out


@settings(max_examples=_N)
@given(st.integers(1, 7), st.integers(1, 7), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 3), st.sampled_from(["SAME", "VALID"]),
       st.integers(0, 2 ** 31))
def test_pools_match_loops(h, w, kh, kw, sh, sw, padding, seed):
    assume(padding == "SAME" or (kh <= h and kw <= w))
    x = np.random.default_rng(seed).standard_normal((2, h, w, 3))
    pads = same_pads((h, w), (kh, kw), (sh, sw)) if padding == "SAME" else [(0, 0), (0, 0)]
    got = lax.max_pool(Array(x), (kh, kw), (sh, sw), padding)
    np.testing.assert_array_equal(np.asarray(got._value), naive_pool(x, (kh, kw), (sh, sw), pads,
                                                                      "max"))
    got = lax.avg_pool(Array(x), (kh, kw), (sh, sw), padding)
    np.testing.assert_allclose(np.asarray(got._value),
                               naive_pool(x, (kh, kw), (sh, sw), pads, "sum") / (kh * kw),
                               rtol=1e-12, atol=1e-12)
    counts = naive_pool(np.ones_like(x), (kh, kw), (sh, sw), pads, "sum")
    got = lax.avg_pool(Array(x), (kh, kw), (sh, sw), padding, count_include_pad=False)
    np.testing.assert_allclose(np.asarray(got._value),
                               naive_pool(x, (kh, kw), (sh, sw), pads, "sum") / counts,
                               rtol=1e-12, atol=1e-12)


def test_reduce_window_init_values_and_computations():
    x = Array(np.arange(12.0).reshape(3, 4))
    # a non-identity init value pads with it and is folded in once (JAX semantics)
    got = lax.reduce_window(x, 1.0, lax.add, (2, 2), (1, 1), ((0, 1), (0, 0)))
    v = np.pad(np.arange(12.0).reshape(3, 4), ((0, 1), (0, 0)), constant_values=1.0)
    want = v[:-1, :-1] + v[1:, :-1] + v[:-1, 1:] + v[1:, 1:] + 1.0
    np.testing.assert_array_equal(np.asarray(got._value), want)
    got = lax.reduce_window(x, 100.0, "max", (2, 2), (2, 2), "VALID")
    np.testing.assert_array_equal(np.asarray(got._value), np.full((1, 2), 100.0))
    with pytest.raises(NotImplementedError, match="computation"):
        lax.reduce_window(x, 1.0, lax.mul, (2, 2), (1, 1), "VALID")


def test_max_pool_gradient_goes_to_the_argmax():
    x = np.array([[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 7.0, 6.0]]).reshape(1, 2, 4, 1)
    g = fnx.grad(lambda x: fnx.numpy.sum(lax.max_pool(x, (2, 2), (2, 2))))(Array(x))
    want = np.array([[0, 1, 0, 0], [0, 0, 1, 0]], np.float64).reshape(1, 2, 4, 1)
    np.testing.assert_array_equal(np.asarray(g._value), want)


@pytest.mark.parametrize("pool", ["max", "avg"])
def test_pool_grads(pool):
    rng = np.random.default_rng(4)
    x = Array(rng.permutation(2 * 5 * 6 * 2).reshape(2, 5, 6, 2) / 7.0)  # distinct values
    fn = lax.max_pool if pool == "max" else lax.avg_pool
    check_grads(lambda x: fn(x, (3, 2), (2, 1), "SAME"), (x,), order=2, modes=("fwd", "rev"))


def test_pool_vmap_and_jit():
    rng = np.random.default_rng(5)
    xs = rng.standard_normal((3, 2, 5, 5, 2))
    f = lambda x: lax.max_pool(x, (2, 2), (1, 2), "SAME")  # noqa: E731
    got = fnx.vmap(f, in_axes=1)(Array(xs.transpose(1, 0, 2, 3, 4)))
    want = np.stack([np.asarray(f(Array(x))._value) for x in xs])
    np.testing.assert_array_equal(np.asarray(got._value), want)
    np.testing.assert_array_equal(np.asarray(fnx.jit(f)(Array(xs[0]))._value), want[0])


def test_conv_jit_and_grad_under_jit():
    rng = np.random.default_rng(6)
    x = Array(rng.standard_normal((2, 6, 6, 3)).astype(np.float32))
    w = Array(rng.standard_normal((3, 3, 3, 4)).astype(np.float32))

    def loss(x, w):
        y = lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO",
                                                                            "NHWC"))
        return fnx.numpy.sum(lax.max_pool(fnx.numpy.tanh(y), (2, 2)) ** 2)

    eager = fnx.grad(loss, argnums=(0, 1))(x, w)
    jitted = fnx.jit(fnx.grad(loss, argnums=(0, 1)))(x, w)
    for a, b in zip(eager, jitted):
        np.testing.assert_allclose(np.asarray(a._value), np.asarray(b._value), rtol=1e-5,
                                   atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("lhs_shape, rhs_shape", [
    ((32, 32, 32, 3), (3, 3, 3, 16)),     # many output rows: per-thread row chunks
    ((3, 32, 32, 32), (32, 32, 32, 16)),  # 27 output rows, long reduction: filter-row split
    ((2, 9, 9, 8), (5, 5, 8, 64)),        # few rows, few filter rows: the whole-batch path
])
def test_large_convolutions_match_the_reference(lhs_shape, rhs_shape, dtype, threads):
    """The kernel's parallel paths (chosen by size, so the hypothesis tests' small cases
    never reach them) against the numpy reference backend."""
    from fnx.backends import reference_conv
    from fnx._fnx_kernels import lib
    rng = np.random.default_rng(9)
    if np.dtype(dtype).kind == "f":
        x = rng.standard_normal(lhs_shape).astype(dtype)
        w = rng.standard_normal(rhs_shape).astype(dtype)
    else:
        x = rng.integers(-3, 4, lhs_shape).astype(dtype)
        w = rng.integers(-3, 4, rhs_shape).astype(dtype)
    params = dict(window_strides=(1, 1), padding=((1, 1), (1, 1)), lhs_dilation=(1, 1),
                  rhs_dilation=(1, 1), feature_group_count=1)
    fnx.config.update("num_threads", threads)
    try:
        got = np.asarray(lax.conv_p.bind(Array(x), Array(w), **params))
    finally:
        fnx.config.update("num_threads", None)
        lib.fnx_set_num_threads(0)
    want = reference_conv.conv_general_dilated(x, w, **params)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(got, want.astype(dtype), rtol=tol, atol=tol * 100)


# -- issue 16: a channel mismatch is reported in the user's layout, not fnx's internal NHWC ------

@pytest.mark.parametrize("call, op, shapes", [
    (lambda x, w: lax.conv(x, w, (1, 1), "SAME"), "conv",
     r"lhs shape \(1, 3, 8, 8\), rhs shape \(4, 2, 3, 3\), dimension_numbers=\('NCHW', 'OIHW', "
     r"'NCHW'\) \(the default\)"),
    (lambda x, w: lax.conv_general_dilated(x, w, (1, 1), "SAME"), "conv_general_dilated",
     r"lhs shape \(1, 3, 8, 8\), rhs shape \(4, 2, 3, 3\)"),
    (lambda x, w: lax.conv_general_dilated(np.transpose(x, (0, 2, 3, 1)),
                                           np.transpose(w, (2, 3, 1, 0)), (1, 1), "SAME",
                                           dimension_numbers=("NHWC", "HWIO", "NHWC")),
     "conv_general_dilated",
     r"lhs shape \(1, 8, 8, 3\), rhs shape \(3, 3, 2, 4\), dimension_numbers=\('NHWC', 'HWIO', "
     r"'NHWC'\)"),
    (lambda x, w: lax.conv_with_general_padding(x, w, (1, 1), [(1, 1), (1, 1)], None, None),
     "conv_with_general_padding", r"lhs shape \(1, 3, 8, 8\)"),
])
def test_conv_channel_mismatch_names_the_op_and_the_users_shapes(call, op, shapes):
    x, w = np.ones((1, 3, 8, 8), np.float32), np.ones((4, 2, 3, 3), np.float32)
    with pytest.raises(ValueError) as e:
        call(x, w)
    msg = str(e.value)
    assert msg.startswith(f"{op}: the lhs has 3 input features"), msg
    assert "expects 2" in msg and re.search(shapes, msg), msg
    assert "float32[1, 8, 8, 3], float32[3, 3, 2, 4]" not in msg or "NHWC" in msg, msg
    # the layer reports its own shapes too
    with pytest.raises(ValueError, match=r"Conv2d: expects 2 input channels on axis 1, got 3"):
        fnx.nn.Conv2d(2, 4, 3, key=fnx.random.PRNGKey(0))(x)


def test_conv_group_mismatch_and_1d_name_the_users_shapes():
    x, w = np.ones((1, 3, 8, 8), np.float32), np.ones((4, 2, 3, 3), np.float32)
    with pytest.raises(ValueError, match=r"expects 4 \(its 2 input features, axis 1, times "
                                         r"feature_group_count 2\).*lhs shape \(1, 3, 8, 8\)"):
        lax.conv_general_dilated(x, w, (1, 1), "SAME", feature_group_count=2)
    with pytest.raises(ValueError, match=r"lhs shape \(1, 3, 8\), rhs shape \(4, 2, 3\), "
                                         r"dimension_numbers=\('NCW', 'OIW', 'NCW'\)"):
        lax.conv_general_dilated(x[..., 0], w[..., 0], (1,), "SAME")


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
@pytest.mark.parametrize("shape, kshape, strides, pads, lhs_dil, rhs_dil, groups", [
    ((4, 1, 1, 8), (3, 3, 8, 5), (1, 1), [(1, 1), (1, 1)], (1, 1), (1, 1), 1),   # 1x1 map
    ((4, 2, 2, 6), (3, 3, 6, 4), (2, 2), [(1, 1), (1, 1)], (1, 1), (1, 1), 1),   # 2x2, stride 2
    ((3, 1, 1, 7), (1, 1, 7, 5), (1, 1), [(1, 1), (1, 1)], (1, 1), (1, 1), 1),   # wgrad: 3x3 out
    ((2, 2, 2, 4), (1, 1, 4, 3), (1, 1), [(1, 1), (1, 1)], (1, 1), (2, 2), 1),   # rhs dilation
    ((2, 1, 3, 4), (1, 1, 4, 3), (1, 1), [(3, 3), (0, 2)], (1, 1), (1, 1), 1),   # mostly padding
    ((2, 2, 2, 4), (3, 3, 2, 6), (1, 1), [(2, 2), (2, 2)], (2, 2), (1, 1), 2),   # lhs dil, groups
    ((1, 1, 1, 3), (3, 3, 3, 2), (1, 1), [(2, 2), (2, 2)], (1, 1), (2, 2), 1),   # taps skip input
])
def test_taps_and_outputs_that_meet_only_padding_are_trimmed_exactly(
        dtype, shape, kshape, strides, pads, lhs_dil, rhs_dil, groups):
    """the conv kernel cuts filter taps that read only padding and outputs that see only
    padding (kernels/cpu/conv.c): results equal the direct definition, zeros included"""
    rng = np.random.default_rng(7)
    x = rng.integers(-3, 4, shape).astype(dtype)
    w = rng.integers(-3, 4, kshape).astype(dtype)
    want = naive_conv(x.astype(np.float64), w.astype(np.float64), strides, pads, lhs_dil,
                      rhs_dil, groups)
    got = lax.conv_general_dilated(Array(x), Array(w), strides, pads, lhs_dil, rhs_dil,
                                   ("NHWC", "HWIO", "NHWC"), groups)
    np.testing.assert_array_equal(np.asarray(got), want.astype(dtype))


def _padded_conv(x, w, pads):
    """stride-1 NHWC / HWIO convolution of the explicitly zero-padded input: padding elements
    are multiplied like any other (0 * NaN = NaN), the definition jax and the reference
    backend use"""
    xp = np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)])
    kh, kw = w.shape[:2]
    oh, ow = xp.shape[1] - kh + 1, xp.shape[2] - kw + 1
    out = np.zeros((x.shape[0], oh, ow, w.shape[3]))
    with np.errstate(invalid="ignore"):
        for a in range(kh):
            for b in range(kw):
                out += xp[:, a:a + oh, b:b + ow, :] @ w[a, b]
    return out


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_trimming_keeps_nan_and_inf_filters_exact(bad):
    """explore found it: a NaN in a tap that reads only padding must still give NaN (0 * NaN),
    so a filter with NaN / inf is never trimmed"""
    x = np.zeros((1, 2, 2, 1))                              # NHWC: a 2x2 map
    w = np.array([0.0, bad]).reshape(2, 1, 1, 1)           # HWIO: a 2x1 filter
    pads = [(0, 0), (0, 1)]
    with np.errstate(invalid="ignore"):
        got = lax.conv_general_dilated(Array(x), Array(w), (1, 1), pads, (1, 1), (1, 1),
                                       ("NHWC", "HWIO", "NHWC"))
    np.testing.assert_array_equal(np.asarray(got), _padded_conv(x, w, pads))
    big = np.zeros((2, 1, 1, 3))
    wb = np.ones((3, 3, 3, 2))
    wb[0, 0, 0, 0] = bad                                    # a corner tap: only padding
    pads = [(1, 1), (1, 1)]
    with np.errstate(invalid="ignore"):
        got = lax.conv_general_dilated(Array(big), Array(wb), (1, 1), pads, (1, 1), (1, 1),
                                       ("NHWC", "HWIO", "NHWC"))
    np.testing.assert_array_equal(np.asarray(got), _padded_conv(big, wb, pads))
