"""The jit's matmul epilogue fusion (fnx/compiler/epilogue.py): ``act(x @ w + b)`` becomes one
``fnx_matmul_epilogue`` call when the product, the broadcast bias and the sum have no other use;
every other arrangement keeps the plain matmul + fused loop.  Each case runs jitted against
eager (bit for bit: the kernel adds the bias to the finished sum, as the eager add does) and
looks at the generated C for which kernel was called."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.compiler.codegen_c import kernel

RNG = np.random.default_rng(0)


def _rand(*shape, dtype=np.float32):
    return fnp.asarray(RNG.standard_normal(shape).astype(dtype))


def _calls(f, *args):
    """(epilogue calls, plain matmul calls) in the generated C, the epilogue ones as their act"""
    src = fnx.jit(f).lower(*args).as_c()
    epi = [line.split(", ")[-2] for line in src.splitlines()
           if kernel("fnx_matmul_epilogue") in line]
    plain = [line for line in src.splitlines() if kernel("fnx_matmul") + "(" in line]
    return epi, plain


def _same(f, *args):
    """jit(f) == f bit for bit, output by output"""
    got, want = fnx.jit(f)(*args), f(*args)
    for g, w in zip(fnx.tree.tree_leaves(got), fnx.tree.tree_leaves(want)):
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


def _relu(h):
    return fnp.maximum(h, 0.0)


X, W, B = _rand(128, 64), _rand(64, 10), _rand(10)


@pytest.mark.parametrize("f, act", [
    (lambda x, w, b: _relu(x @ w + b), "1"),
    (lambda x, w, b: x @ w + b, "0"),
    (lambda x, w, b: fnp.maximum(0.0, b + fnp.dot(x, w)), "1"),   # operands swapped
    (lambda x, w, b: _relu(x @ w + b.reshape(1, -1)), "1"),       # a (1, N) bias
])
def test_mlp_layer_fuses(f, act):
    assert _calls(f, X, W, B) == ([act], [])
    _same(f, X, W, B)


def test_float64_and_batched_rows_fuse():
    """x (batch, seq, features) @ w: the bias broadcasts over both leading axes"""
    x, w, b = _rand(4, 9, 33, dtype=np.float64), _rand(33, 40, dtype=np.float64), \
        _rand(40, dtype=np.float64)
    f = lambda x, w, b: _relu(x @ w + b)  # noqa: E731
    assert _calls(f, x, w, b) == (["1"], [])
    _same(f, x, w, b)


def test_nonfinite_values_flow_through_the_fused_epilogue():
    x = np.asarray(X).copy()
    x[3, 5], x[7, 0] = np.nan, np.inf
    b = np.asarray(B).copy()
    b[2] = -np.inf
    f = lambda x, w, b: _relu(x @ w + b)  # noqa: E731
    _same(f, fnp.asarray(x), W, fnp.asarray(b))


def test_preactivation_used_elsewhere_fuses_the_bias_only():
    f = lambda x, w, b: (lambda h: (_relu(h), h))(x @ w + b)  # noqa: E731
    assert _calls(f, X, W, B) == (["0"], [])
    _same(f, X, W, B)


@pytest.mark.parametrize("f", [
    # the product itself is also returned
    lambda x, w, b: (lambda c: (_relu(c + b), c))(x @ w),
    # the broadcast bias is used elsewhere
    lambda x, w, b: (lambda bb: (_relu(x @ w + bb), bb * 2.0))(fnp.broadcast_to(b, (128, 10))),
    # a bias per row (the wrong axis), and a scalar
    lambda x, w, b: _relu(x @ w + x[:, 0:1]),
    lambda x, w, b: _relu(x @ w + x[:, 0][:, None]),
    lambda x, w, b: _relu(x @ w + 1.0),
    # a full (M, N) addend is not a bias
    lambda x, w, b: x @ w + x[:, :10],
])
def test_no_match_keeps_the_plain_matmul(f):
    epi, plain = _calls(f, X, W, B)
    assert epi == [] and len(plain) == 1
    _same(f, X, W, B)


def test_relu_of_something_else_is_not_folded():
    """max(d, 0.5) is not a relu: the bias is fused, the max stays a loop"""
    f = lambda x, w, b: fnp.maximum(x @ w + b, 0.5)  # noqa: E731
    assert _calls(f, X, W, B) == (["0"], [])
    _same(f, X, W, B)


def test_mlp_gradient_under_jit():
    """the backward pass runs through the rewritten schedule too"""
    w2, b2 = _rand(10, 3), _rand(3)

    def loss(params, x):
        (w1, b1), (w2, b2) = params
        return fnp.sum(_relu(_relu(x @ w1 + b1) @ w2 + b2) ** 2)

    params = ((W, B), (w2, b2))
    got = fnx.jit(fnx.grad(loss))(params, X)
    want = fnx.grad(loss)(params, X)
    for g, w in zip(fnx.tree.tree_leaves(got), fnx.tree.tree_leaves(want)):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-4)


def test_bias_along_rows_of_a_square_product_is_not_fused():
    """a length-N bias laid along the M axis (M == N) must not be mistaken for a column bias"""
    x, w, b = _rand(10, 64), _rand(64, 10), _rand(10)
    f = lambda x, w, b: _relu(x @ w + b[:, None])  # noqa: E731
    assert _calls(f, x, w, b)[0] == []
    _same(f, x, w, b)
