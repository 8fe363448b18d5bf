"""JAX's everyday API in fnx (issue 21, first part): ``fnx.tree_util``, ``fnx.block_until_ready``,
``fnx.eval_shape`` and the ``fnx.lax`` one-axis slicing helpers, against numpy slicing and
against running the function, under jit / vmap / grad."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx.lax as lax
import fnx.numpy as fnp
from fnx.test_util import check_grads

JAX_TREE_UTIL = """DictKey FlattenedIndexKey GetAttrKey Partial PyTreeDef SequenceKey all_leaves
    keystr register_dataclass register_pytree_node register_pytree_node_class
    register_pytree_with_keys register_pytree_with_keys_class register_static tree_all
    tree_broadcast tree_flatten tree_flatten_with_path tree_leaves tree_leaves_with_path tree_map
    tree_map_with_path tree_reduce tree_structure tree_transpose tree_unflatten treedef_children
    treedef_is_leaf treedef_tuple""".split()


@pytest.mark.parametrize("name", JAX_TREE_UTIL)
def test_tree_util_has_jax_names(name):
    assert getattr(fnx.tree_util, name) is getattr(fnx.tree, name)


def test_tree_util_round_trip():
    tree = {"w": fnp.ones((2, 3)), "layers": [(1.0, None), {"b": fnp.zeros(3)}]}
    leaves, treedef = fnx.tree_util.tree_flatten(tree)
    again = fnx.tree_util.tree_unflatten(treedef, [2 * x for x in leaves])
    assert fnx.tree_util.tree_structure(again) == treedef
    np.testing.assert_array_equal(np.asarray(again["w"]), 2 * np.ones((2, 3)))
    assert again["layers"][0] == (2.0, None)


def test_block_until_ready_returns_its_argument():
    tree = {"x": fnp.ones(3), "n": 3, "s": "text", "y": [fnp.arange(2)]}
    assert fnx.block_until_ready(tree) is tree
    x = fnp.ones(2)
    assert fnx.block_until_ready(x) is x and x.block_until_ready() is x


def _loss(params, x, *, scale):
    h = fnp.tanh(x @ params["w"] + params["b"])
    return {"loss": scale * fnp.mean(h ** 2), "h": h}


@pytest.mark.parametrize("batch", [1, 5])
def test_eval_shape_matches_running_the_function(batch):
    params = {"w": fnp.ones((4, 3)), "b": fnp.zeros(3, fnp.float64)}
    x = fnp.ones((batch, 4))
    got = fnx.eval_shape(_loss, params, x, scale=2.0)
    want = _loss(params, x, scale=2.0)
    for g, w in zip(fnx.tree.leaves(got), fnx.tree.leaves(want)):
        assert isinstance(g, fnx.ShapeDtypeStruct)
        assert g.shape == tuple(w.shape) and g.dtype == w.dtype
    # abstract arguments: nothing to compute from
    spec = fnx.eval_shape(_loss, fnx.tree.map(lambda a: fnx.ShapeDtypeStruct(a.shape, a.dtype),
                                              params),
                          fnx.ShapeDtypeStruct((batch, 4), fnp.float32), scale=1.0)
    assert spec["h"].shape == (batch, 3) and spec["h"].dtype == np.float64


def test_eval_shape_reports_the_functions_error():
    with pytest.raises(ValueError):
        fnx.eval_shape(lambda a, b: a @ b, fnp.ones((2, 3)), fnp.ones((2, 3)))


# -- lax one-axis slicing helpers ---------------------------------------------------------------

@st.composite
def _array_axis_index(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    n = shape[axis]
    return x, axis, draw(st.integers(-n, n - 1))


@settings(max_examples=20)
@given(_array_axis_index(), st.booleans())
def test_index_in_dim_matches_numpy(case, keepdims):
    x, axis, i = case
    got = lax.index_in_dim(fnp.asarray(x), i, axis, keepdims)
    want = np.take(x, [i], axis=axis) if keepdims else np.take(x, i, axis=axis)
    np.testing.assert_array_equal(np.asarray(got), want)


@settings(max_examples=20)
@given(_array_axis_index(), st.integers(-3, 6), st.booleans())
def test_dynamic_in_dim_helpers_match_numpy(case, start, keepdims):
    x, axis, _ = case
    n = x.shape[axis]
    size = min(2, n)
    s = int(np.clip(start, 0, n - size))  # the clamp of dynamic_slice (JAX's)
    idx = [slice(None)] * x.ndim
    idx[axis] = slice(s, s + size)
    for f in (lambda a, t: lax.dynamic_slice_in_dim(a, t, size, axis),
              fnx.jit(lambda a, t: lax.dynamic_slice_in_dim(a, t, size, axis))):
        np.testing.assert_array_equal(np.asarray(f(fnp.asarray(x), start)), x[tuple(idx)])
    upd = -np.ones(x[tuple(idx)].shape)
    want = x.copy()
    want[tuple(idx)] = upd
    got = lax.dynamic_update_slice_in_dim(fnp.asarray(x), fnp.asarray(upd), start, axis)
    np.testing.assert_array_equal(np.asarray(got), want)
    k = int(np.clip(start, 0, n - 1))
    got = lax.dynamic_index_in_dim(fnp.asarray(x), start, axis, keepdims)
    want = np.take(x, [k], axis=axis) if keepdims else np.take(x, k, axis=axis)
    np.testing.assert_array_equal(np.asarray(got), want)
    row = -np.ones(np.take(x, k, axis=axis).shape)
    want = x.copy()
    want_idx = [slice(None)] * x.ndim
    want_idx[axis] = k
    want[tuple(want_idx)] = row
    got = lax.dynamic_update_index_in_dim(fnp.asarray(x), fnp.asarray(row), start, axis)
    np.testing.assert_array_equal(np.asarray(got), want)


def test_in_dim_helpers_grad_and_vmap():
    x = fnp.asarray(np.random.default_rng(0).standard_normal((3, 5)))
    check_grads(lambda a: lax.dynamic_slice_in_dim(a, 1, 3, 1), (x,), order=2)
    check_grads(lambda a: lax.index_in_dim(a, 2, 0, False), (x,), order=1)
    check_grads(lambda a, u: lax.dynamic_update_slice_in_dim(a, u, 2, 1),
                (x, fnp.ones((3, 2), fnp.float64)), order=1)
    starts = fnp.asarray(np.array([0, 2, 4], np.int32))
    got = fnx.vmap(lambda row, s: lax.dynamic_slice_in_dim(row, s, 2))(x, starts)
    want = np.stack([np.asarray(x)[i, min(s, 3):min(s, 3) + 2] for i, s in enumerate([0, 2, 4])])
    np.testing.assert_array_equal(np.asarray(got), want)


def test_in_dim_helpers_reject_bad_axes_and_indices():
    x = fnp.ones((2, 3))
    with pytest.raises(ValueError, match="index_in_dim: axis 2"):
        lax.index_in_dim(x, 0, 2)
    with pytest.raises(IndexError, match="index_in_dim: index 3"):
        lax.index_in_dim(x, 3, 1)
    with pytest.raises(ValueError, match="dynamic_slice_in_dim: axis -3"):
        lax.dynamic_slice_in_dim(x, 0, 1, -3)


def test_associative_scan_is_exported():
    x = np.arange(1.0, 6.0)
    np.testing.assert_allclose(np.asarray(lax.associative_scan(lax.mul, fnp.asarray(x))),
                               np.cumprod(x))


# -- jax.nn's activations -----------------------------------------------------------------------

def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
ACTIVATIONS = {  # name -> numpy reference (float64)
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "celu": lambda x: np.maximum(x, 0) + np.minimum(0, np.expm1(np.minimum(x, 0))),
    "selu": lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(np.minimum(x, 0))),
    "relu6": lambda x: np.clip(x, 0, 6),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "log_sigmoid": lambda x: -np.logaddexp(0, -x),
    "soft_sign": lambda x: x / (np.abs(x) + 1),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_numpy_jit_vmap_and_grads(name):
    f = getattr(fnx.nn, name)
    # away from the kinks (0, +-1, +-3, 6), where finite differences straddle two pieces
    x = np.array([-30.0, -7.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 4.5, 7.5, 30.0])
    want = ACTIVATIONS[name](x)
    np.testing.assert_allclose(np.asarray(f(fnp.asarray(x))), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.asarray(fnx.jit(f)(fnp.asarray(x))), want, rtol=1e-12,
                               atol=1e-12)
    batch = fnp.asarray(np.stack([x, -x]))
    np.testing.assert_allclose(np.asarray(fnx.vmap(f)(batch)),
                               np.stack([want, ACTIVATIONS[name](-x)]), rtol=1e-12, atol=1e-12)
    check_grads(f, (fnp.asarray(x),), order=2)
    g = fnx.grad(lambda v: fnp.sum(f(v)))(fnp.asarray(np.array([1e4, -1e4])))
    assert np.isfinite(np.asarray(g)).all(), name  # no inf from the unused branch


def test_glu_and_standardize():
    x = np.random.default_rng(1).standard_normal((3, 6))
    a, b = x[:, :3], x[:, 3:]
    np.testing.assert_allclose(np.asarray(fnx.nn.glu(fnp.asarray(x))), a * _np_sigmoid(b),
                               rtol=1e-12)
    with pytest.raises(ValueError, match="glu"):
        fnx.nn.glu(fnp.ones((2, 3)))
    want = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(np.asarray(fnx.nn.standardize(fnp.asarray(x))), want, rtol=1e-10)
    check_grads(fnx.nn.standardize, (fnp.asarray(x),), order=1)
    mask = np.array([[True] * 4 + [False] * 2] * 3)
    m = x[:, :4]
    want = (x - m.mean(-1, keepdims=True)) / np.sqrt(m.var(-1, keepdims=True) + 1e-5)
    got = fnx.nn.standardize(fnp.asarray(x), where=fnp.asarray(mask))
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-10)


# -- fnx.scipy.special ----------------------------------------------------------------------------

import math  # noqa: E402

import mpmath  # noqa: E402  (in the test extras)

import fnx.scipy.special as special  # noqa: E402

_X = np.array([-3.5, -1.2, -0.3, 0.0, 0.25, 0.9, 1.7, 4.0, 11.0])
_P = np.array([1e-6, 0.01, 0.2, 0.5, 0.75, 0.999])


def _ref(f, xs):
    return np.array([float(f(float(v))) for v in xs])


SPECIAL = {  # name -> (numpy reference, float64 inputs)
    "erf": (lambda x: _ref(math.erf, x), _X),
    "erfinv": (lambda x: _ref(mpmath.erfinv, x), 2 * _P - 1),
    "gammaln": (lambda x: _ref(math.lgamma, x), np.abs(_X) + 0.1),
    "digamma": (lambda x: _ref(mpmath.digamma, x), np.abs(_X) + 0.1),
    "expit": (lambda x: 1 / (1 + np.exp(-x)), _X),
    "logit": (lambda p: np.log(p / (1 - p)), _P),
    "entr": (lambda x: -x * np.log(x), _P),
}


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_special_matches_references(name):
    ref, x = SPECIAL[name]
    f = getattr(special, name)
    np.testing.assert_allclose(np.asarray(f(fnp.asarray(x))), ref(x), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(np.asarray(fnx.jit(f)(fnp.asarray(x))), ref(x), rtol=1e-12,
                               atol=1e-300)
    got32 = f(fnp.asarray(x.astype(np.float32)))
    assert got32.dtype == np.float32
    np.testing.assert_allclose(np.asarray(got32), ref(x.astype(np.float32).astype(np.float64)),
                               rtol=2e-6, atol=1e-7)
    # finite differences need room: keep away from the ends of (0, 1) / (-1, 1)
    interior = x[2:-1] if name in ("erfinv", "logit", "entr") else x
    check_grads(f, (fnp.asarray(interior),), order=1)


def test_special_two_argument_functions():
    x = np.array([0.0, 0.0, 1.5, 2.0, 3.0])
    y = np.array([0.0, -1.0, 0.5, 2.5, 1e-3])
    want = np.array([0.0, 0.0, 1.5 * np.log(0.5), 2.0 * np.log(2.5), 3.0 * np.log(1e-3)])
    np.testing.assert_allclose(np.asarray(special.xlogy(fnp.asarray(x), fnp.asarray(y))), want,
                               rtol=1e-14)
    want = np.array([0.0, 0.0, 1.5 * np.log1p(0.5), 2.0 * np.log1p(2.5), 3.0 * np.log1p(1e-3)])
    np.testing.assert_allclose(np.asarray(special.xlog1py(fnp.asarray(x), fnp.asarray(y))), want,
                               rtol=1e-14)
    g = fnx.grad(lambda v: special.xlogy(v, fnp.asarray(0.0)))(fnp.asarray(0.0))
    assert np.isfinite(float(g))  # the 0 * log(0) branch does not leak a NaN gradient
    a, b = np.array([0.5, 2.0, 7.5]), np.array([1.5, 3.0, 0.25])
    want = [math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v) for u, v in zip(a, b)]
    np.testing.assert_allclose(np.asarray(special.betaln(fnp.asarray(a), fnp.asarray(b))), want,
                               rtol=1e-13)
    check_grads(special.betaln, (fnp.asarray(a), fnp.asarray(b)), order=1)


def test_special_softmax_family_and_entr_edges():
    x = np.random.default_rng(2).standard_normal((2, 3))
    e = np.exp(x - x.max())
    np.testing.assert_allclose(np.asarray(special.softmax(fnp.asarray(x))), e / e.sum(),
                               rtol=1e-13)
    np.testing.assert_allclose(np.asarray(special.log_softmax(fnp.asarray(x), axis=1)),
                               x - np.log(np.exp(x).sum(1, keepdims=True)), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(special.logsumexp(fnp.asarray(x))),
                               np.log(np.exp(x).sum()), rtol=1e-13)
    got = np.asarray(special.entr(fnp.asarray([-1.0, 0.0, np.nan, np.inf])))
    np.testing.assert_array_equal(got[:2], [-np.inf, 0.0])
    assert np.isnan(got[2]) and got[3] == -np.inf
