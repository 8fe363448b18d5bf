"""The polyphase input gradient of strided convolutions (fnx/lax/conv.py,
``_conv_lhs_cotangent_polyphase``): against a numpy scatter oracle, against the dilated path it
replaces (``POLYPHASE_LHS_GRAD = False``), check_grads (also second order), jit, vmap, groups,
1-D, and the fallback for dilated convolutions."""
from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.lax.conv  # noqa: F401  (the module; ``fnx.lax.conv`` the attribute is the function)
from fnx import lax
from fnx.test_util import check_grads

conv_mod = sys.modules["fnx.lax.conv"]
DN = ("NHWC", "HWIO", "NHWC")


def numpy_lhs_grad(ct, w, in_hw, strides, pads, groups):
    """dx of out = conv(x, w) against cotangent ct, by scattering every tap: the forward reads
    x[s*o + t - pad_lo], so dx[s*o + t - pad_lo] += ct[o] * w[t] (positions outside x drop)."""
    n, oh, ow, o = ct.shape
    kh, kw, cg, _ = w.shape
    og = o // groups
    (sh, sw), (ph, pw) = strides, (pads[0][0], pads[1][0])
    h, wd = in_hw
    # a buffer wide enough for every (possibly padded) read position
    lo_h, lo_w = max(ph, 0), max(pw, 0)
    big = np.zeros((n, lo_h + max(h, (oh - 1) * sh + kh) + 1,
                    lo_w + max(wd, (ow - 1) * sw + kw) + 1, groups * cg))
    for a in range(kh):
        for b in range(kw):
            for gi in range(groups):
                contrib = np.einsum("nijo,co->nijc", ct[..., gi * og:(gi + 1) * og],
                                    w[a, b, :, gi * og:(gi + 1) * og])
                r0, c0 = a - ph + lo_h, b - pw + lo_w
                big[:, r0:r0 + (oh - 1) * sh + 1:sh, c0:c0 + (ow - 1) * sw + 1:sw,
                    gi * cg:(gi + 1) * cg] += contrib
    return big[:, lo_h:lo_h + h, lo_w:lo_w + wd]


def lhs_grad(x, w, ct, strides, padding, groups=1, dn=DN):
    f = lambda x: (lax.conv_general_dilated(x, w, strides, padding, dimension_numbers=dn,
                                            feature_group_count=groups) * ct).sum()
    return fnx.grad(f)(x)


def dilated_path(fn):
    """Run ``fn`` with the old (zero-dilated cotangent) input gradient."""
    conv_mod.POLYPHASE_LHS_GRAD = False
    try:
        return fn()
    finally:
        conv_mod.POLYPHASE_LHS_GRAD = True


def _case(rng, n, h, w, c, o, kh, kw, strides, padding, groups=1, dtype=np.float32):
    x = rng.normal(size=(n, h, w, c)).astype(dtype)
    k = rng.normal(size=(kh, kw, c // groups, o)).astype(dtype)
    out = lax.conv_general_dilated(x, k, strides, padding, dimension_numbers=DN,
                                   feature_group_count=groups)
    ct = rng.normal(size=out.shape).astype(dtype)
    return x, k, ct


PADDINGS = ["SAME", "VALID", ((1, 2), (0, 3)), ((2, 0), (3, 1)), ((0, 0), (4, 4)),
            ((-1, 1), (1, -1)), ((5, 0), (0, 5))]


@settings(deadline=None, max_examples=max(40, settings.default.max_examples))
@given(st.integers(1, 2), st.integers(1, 9), st.integers(1, 9), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 5), st.integers(1, 7), st.integers(1, 4),
       st.integers(1, 4), st.sampled_from(PADDINGS), st.sampled_from([1, 2]),
       st.integers(0, 2**31 - 1))
def test_matches_oracle_and_dilated_path(n, h, w, c, o, kh, kw, sh, sw, padding, groups, seed):
    c, o = c * groups, o * groups
    pads = lax.padtype_to_pads((h, w), (kh, kw), (sh, sw), padding)
    if h + sum(pads[0]) < kh or w + sum(pads[1]) < kw:
        return  # empty output: the transpose rule's zero shortcut, not the polyphase path
    rng = np.random.default_rng(seed)
    x, k, ct = _case(rng, n, h, w, c, o, kh, kw, (sh, sw), padding, groups)
    new = np.asarray(lhs_grad(x, k, ct, (sh, sw), padding, groups))
    old = np.asarray(dilated_path(lambda: lhs_grad(x, k, ct, (sh, sw), padding, groups)))
    want = numpy_lhs_grad(ct.astype(np.float64), k.astype(np.float64), (h, w), (sh, sw), pads,
                          groups)
    assert new.shape == x.shape
    np.testing.assert_allclose(new, old, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(new, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integer_exact(dtype):
    rng = np.random.default_rng(1)
    x_shape = (2, 7, 6, 3)
    k = rng.integers(-3, 4, size=(3, 3, 3, 4)).astype(dtype)
    ct = rng.integers(-3, 4, size=(2, 4, 3, 4)).astype(dtype)
    # integers are not differentiable: call the transpose rule's helper directly
    rule = conv_mod._conv_lhs_cotangent_polyphase
    got = np.asarray(rule(fnx.numpy.asarray(ct), fnx.numpy.asarray(k), x_shape,
                          window_strides=(2, 2), padding=((1, 1), (1, 1)),
                          feature_group_count=1))
    want = numpy_lhs_grad(ct.astype(np.int64), k.astype(np.int64), (7, 6), (2, 2),
                          ((1, 1), (1, 1)), 1)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("strides,padding,kshape", [((2, 2), "SAME", (3, 3)),
                                                    ((3, 2), ((2, 1), (0, 2)), (3, 2)),
                                                    ((4, 4), ((3, 3), (3, 3)), (7, 7))])
def test_check_grads_float64_second_order(strides, padding, kshape):
    rng = np.random.default_rng(2)
    x = fnx.numpy.asarray(rng.normal(size=(1, 9, 8, 2)))
    k = fnx.numpy.asarray(rng.normal(size=kshape + (2, 3)))
    f = lambda x, k: fnx.numpy.tanh(lax.conv_general_dilated(x, k, strides, padding,
                                                             dimension_numbers=DN))
    check_grads(f, (x, k), order=2, modes=("rev",))


def test_grad_of_grad_matches_dilated_path():
    rng = np.random.default_rng(3)
    x, k, _ = _case(rng, 2, 8, 7, 3, 4, 3, 3, (2, 2), "SAME", dtype=np.float64)

    def hvp_like(x, k):
        inner = lambda x, k: (lax.conv_general_dilated(x, k, (2, 2), "SAME",
                                                       dimension_numbers=DN) ** 2).sum()
        gx = fnx.grad(inner)(x, k)
        return (gx ** 2).sum()

    new = fnx.grad(hvp_like, argnums=(0, 1))(x, k)
    old = dilated_path(lambda: fnx.grad(hvp_like, argnums=(0, 1))(x, k))
    for a, b in zip(new, old):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-10)


def test_jit_equals_eager():
    rng = np.random.default_rng(4)
    x, k, ct = _case(rng, 3, 11, 10, 4, 5, 3, 3, (2, 2), ((1, 0), (1, 1)))
    f = lambda x, k, ct: lhs_grad(x, k, ct, (2, 2), ((1, 0), (1, 1)))
    np.testing.assert_allclose(np.asarray(fnx.jit(f)(x, k, ct)), np.asarray(f(x, k, ct)),
                               rtol=1e-6, atol=1e-6)


def test_vmap_equals_loop():
    rng = np.random.default_rng(5)
    xs = rng.normal(size=(3, 2, 9, 9, 2)).astype(np.float32)
    k = rng.normal(size=(3, 3, 2, 4)).astype(np.float32)
    g = fnx.grad(lambda x: (lax.conv_general_dilated(x, k, (2, 2), "SAME",
                                                     dimension_numbers=DN) ** 2).sum())
    got = np.asarray(fnx.vmap(g)(xs))
    want = np.stack([np.asarray(g(x)) for x in xs])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_one_dimensional_nch():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 3, 13)).astype(np.float32)
    k = rng.normal(size=(4, 3, 5)).astype(np.float32)
    dn = ("NCH", "OIH", "NCH")
    ct = rng.normal(size=lax.conv_general_dilated(x, k, (3,), "SAME", dimension_numbers=dn)
                    .shape).astype(np.float32)
    new = np.asarray(lhs_grad(x, k, ct, (3,), "SAME", dn=dn))
    old = np.asarray(dilated_path(lambda: lhs_grad(x, k, ct, (3,), "SAME", dn=dn)))
    np.testing.assert_allclose(new, old, rtol=1e-5, atol=1e-5)


def test_dilated_convolutions_fall_back(monkeypatch):
    """rhs/lhs dilation keep the dilated path (the polyphase split assumes plain taps)."""
    calls = []
    real = conv_mod._conv_lhs_cotangent_polyphase
    monkeypatch.setattr(conv_mod, "_conv_lhs_cotangent_polyphase",
                        lambda *a, **kw: calls.append(1) or real(*a, **kw))
    rng = np.random.default_rng(7)
    x = rng.normal(size=(1, 9, 9, 2)).astype(np.float32)
    k = rng.normal(size=(3, 3, 2, 2)).astype(np.float32)
    f = lambda x, **kw: (lax.conv_general_dilated(x, k, (2, 2), "SAME", dimension_numbers=DN,
                                                  **kw) ** 2).sum()
    fnx.grad(lambda x: f(x, rhs_dilation=(2, 1)))(x)
    fnx.grad(lambda x: f(x, lhs_dilation=(1, 2)))(x)
    assert calls == []
    fnx.grad(f)(x)
    assert calls == [1]
