"""``fnx.vmap``: API, semantics, composition with the other transformations, and errors.

Every result is compared with a Python loop over the examples (``loop_vmap`` below: it slices
the inputs with numpy, runs the function eagerly once per example and stacks the outputs), or
with numpy / finite differences -- never with numbers written down by hand.

Covered: in_axes as an int / None / tuple / dict pytree (prefix broadcasting, negative axes),
out_axes (pytrees, negative, None for unmapped outputs), keyword arguments (mapped over axis
0), ``axis_size``, nested vmap (batch dims of dot_general arising from nesting, closures over
an outer batched value), fnx.numpy programs (broadcasting, reductions, batched indexing and
``.at[]`` updates, dynamic_slice / dynamic_update_slice, sort / argsort, cumsum, pad,
concatenate, where / select_n, clip), int and bool dtypes, empty batches; per-example
gradients of an MLP, grad of vmap, vmap of jvp, vmap(vmap(grad)), jacfwd / jacrev / hessian on
pytrees (jaxprs of constant size: no Python loop over basis vectors), custom_jvp / custom_vjp
under vmap; the errors (inconsistent sizes, axes out of range, out_axes=None for a mapped
output, Python control flow on a batched value).
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.core import Array, ArrayBase
from fnx.errors import ConcretizationTypeError

RNG = np.random.default_rng(0)


# ---------------------------------------------------------------------------------------------
# The reference: a Python loop with vmap's axis conventions
# ---------------------------------------------------------------------------------------------

def _is_node(x):
    return isinstance(x, (tuple, list, dict))


def _children(x):
    if isinstance(x, dict):
        return [x[k] for k in sorted(x)]
    return list(x)


def _rebuild(x, children):
    if isinstance(x, dict):
        return dict(zip(sorted(x), children))
    return type(x)(children)


def _leaves_with_axes(spec, tree):
    """[(leaf, axis)] in traversal order: ``spec`` is a prefix of ``tree`` (an int / None
    applies to a whole subtree).  None leaves of ``tree`` are empty subtrees."""
    if tree is None:
        return []
    if spec is None or isinstance(spec, int):
        if _is_node(tree):
            return [p for c in _children(tree) for p in _leaves_with_axes(spec, c)]
        return [(tree, spec)]
    assert _is_node(spec) and _is_node(tree), (spec, tree)
    if isinstance(spec, dict):
        assert isinstance(tree, dict) and sorted(spec) == sorted(tree), (spec, tree)
    else:
        assert len(spec) == len(tree), (spec, tree)
    return [p for s, c in zip(_children(spec), _children(tree))
            for p in _leaves_with_axes(s, c)]


def _replace_leaves(tree, it):
    if tree is None:
        return None
    if _is_node(tree):
        return _rebuild(tree, [_replace_leaves(c, it) for c in _children(tree)])
    return next(it)


def _np(x) -> np.ndarray:
    if isinstance(x, ArrayBase):
        return np.asarray(x._value)
    return np.asarray(x)


def _weak(x) -> bool:
    return bool(getattr(x, "weak_type", False)) or isinstance(x, (bool, int, float))


def loop_vmap(f, in_axes=0, out_axes=0, axis_size=None):
    """vmap by a Python loop: numpy slicing in, fnx eagerly per example, numpy stacking out."""
    def run(*args, **kwargs):
        spec = in_axes if not isinstance(in_axes, list) else tuple(in_axes)
        pairs = _leaves_with_axes(spec, args) + _leaves_with_axes(0, kwargs)
        sizes = {_np(x).shape[a] for x, a in pairs if a is not None}
        assert len(sizes) <= 1, sizes
        n = sizes.pop() if sizes else axis_size
        assert n is not None and n > 0, "the loop reference needs a non-empty batch"
        outs = []
        for i in range(n):
            def pick(x, a):
                if a is None:
                    return x
                return Array(np.take(_np(x), i, axis=a), _weak(x))
            sliced = iter([pick(x, a) for x, a in pairs])
            a_i = _replace_leaves(args, sliced)
            k_i = _replace_leaves(kwargs, sliced)
            outs.append(f(*a_i, **k_i))
        per_example = [[x for x, _ in _leaves_with_axes(out_axes, o)] for o in outs]
        axes = [a for _, a in _leaves_with_axes(out_axes, outs[0])]
        stacked = []
        for j, a in enumerate(axes):
            col = [_np(p[j]) for p in per_example]
            if a is None:
                for c in col[1:]:
                    np.testing.assert_array_equal(c, col[0])
                stacked.append(col[0])
            else:
                stacked.append(np.stack(col, axis=a))
        return _replace_leaves(outs[0], iter(stacked))
    return run


def _flat(tree):
    return [x for x, _ in _leaves_with_axes(None, tree)]


def assert_trees_close(actual, expected, rtol=1e-6, atol=1e-6, check_dtype=True):
    a_leaves, e_leaves = _flat(actual), _flat(expected)
    a_shape = _replace_leaves(actual, iter(["*"] * len(a_leaves)))
    e_shape = _replace_leaves(expected, iter(["*"] * len(e_leaves)))
    assert a_shape == e_shape, f"structure {a_shape!r} != expected {e_shape!r}"
    for i, (a, e) in enumerate(zip(a_leaves, e_leaves)):
        assert isinstance(a, ArrayBase), f"leaf {i}: expected an fnx Array, got {type(a)}"
        av, ev = _np(a), _np(e)
        assert av.shape == ev.shape, f"leaf {i}: shape {av.shape} != expected {ev.shape}"
        if check_dtype:
            assert av.dtype == ev.dtype, f"leaf {i}: dtype {av.dtype} != expected {ev.dtype}"
        if ev.dtype.kind == "f":
            np.testing.assert_allclose(av, ev, rtol=rtol, atol=atol, equal_nan=True,
                                       err_msg=f"leaf {i}")
        else:
            np.testing.assert_array_equal(av, ev, err_msg=f"leaf {i}")


def check_vmap(f, args, in_axes=0, out_axes=0, kwargs=None, axis_size=None, rtol=1e-6,
               atol=1e-6):
    kwargs = kwargs or {}
    got = fnx.vmap(f, in_axes=in_axes, out_axes=out_axes, axis_size=axis_size)(*args, **kwargs)
    want = loop_vmap(f, in_axes, out_axes, axis_size)(*args, **kwargs)
    assert_trees_close(got, want, rtol, atol)
    return got


def randn(*shape, dtype=np.float32):
    return fnp.asarray(RNG.standard_normal(shape).astype(dtype))


def randint(lo, hi, *shape, dtype=np.int32):
    return fnp.asarray(RNG.integers(lo, hi, shape).astype(dtype))


def n_eqns(closed) -> int:
    """Equations in a jaxpr, counting those of nested jaxprs in params."""
    total = 0
    for e in closed.eqns:
        total += 1
        for v in e.params.values():
            inner = getattr(v, "eqns", None)
            if inner is not None:
                total += n_eqns(v)
    return total


# ---------------------------------------------------------------------------------------------
# in_axes
# ---------------------------------------------------------------------------------------------

def test_default_in_axes_maps_the_leading_axis():
    x = randn(5, 3)
    got = check_vmap(lambda v: fnp.sin(v) * fnp.sum(v), (x,))
    assert got.shape == (5, 3)


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
def test_in_axes_int_including_negative(axis):
    x = randn(2, 3, 4)
    check_vmap(lambda v: fnp.cumsum(v, axis=0) - fnp.max(v), (x,), in_axes=axis)


def test_in_axes_none_leaves_an_argument_unmapped():
    x, w = randn(4, 3), randn(3, 2)
    got = check_vmap(lambda v, m: v @ m, (x, w), in_axes=(0, None))
    np.testing.assert_allclose(_np(got), _np(x) @ _np(w), rtol=1e-5, atol=1e-6)


def test_in_axes_top_level_list_is_one_entry_per_argument():
    # JAX canonicalizes a top-level list to a tuple (users treat them interchangeably)
    x, w = randn(4, 3), randn(3)
    got = fnx.vmap(lambda v, m: v * m, in_axes=[0, None])(x, w)
    np.testing.assert_allclose(_np(got), _np(x) * _np(w), rtol=1e-6)


def test_in_axes_tuple_per_argument_with_different_axes():
    x, y, z = randn(3, 4), randn(4, 3), randn(2)
    check_vmap(lambda a, b, c: a * b + fnp.sum(c), (x, y, z), in_axes=(1, 0, None))


def test_in_axes_dict_pytree():
    args = ({"a": randn(3, 4), "b": randn(4, 3)}, randn(2, 3))
    check_vmap(lambda d, c: d["a"] + d["b"] * fnp.sum(c), args, in_axes=({"a": 0, "b": 1}, 1))


def test_in_axes_prefix_broadcasts_over_subtrees():
    # in_axes (0, {"p": None, "q": 1}) : argument 1 is {"p": (w1, w2), "q": [u, v]}
    x = randn(4, 3)
    tree = {"p": (randn(3), randn(3)), "q": [randn(2, 4), randn(3, 4)]}

    def f(x, t):
        w1, w2 = t["p"]
        u, v = t["q"]
        return {"out": x * w1 + w2, "s": fnp.sum(u) + fnp.sum(v) * fnp.sum(x)}

    check_vmap(f, (x, tree), in_axes=(0, {"p": None, "q": 1}), rtol=1e-5)
    # an int for the whole tuple argument
    check_vmap(lambda x, t: x + t[0] * t[1], (x, (randn(4, 3), randn(4, 3))), in_axes=(0, 0))
    check_vmap(lambda x, t: x + t[0] * t[1], (x, (randn(3, 4), randn(3))),
               in_axes=(0, (1, None)))


def test_in_axes_none_leaves_in_the_argument_tree():
    x = randn(3, 2)
    check_vmap(lambda t: t[0] * 2.0, ((x, None),), in_axes=((0, None),))
    check_vmap(lambda t: t["a"] * 2.0, ({"a": x, "b": None},))


def test_python_scalars_and_non_mapped_leaves_pass_through():
    x = randn(3, 2)
    check_vmap(lambda v, s: v * s, (x, 2.5), in_axes=(0, None))


def test_kwargs_are_mapped_over_axis_0():
    x, s = randn(4, 3), randn(4)

    def f(x, *, scale, bias=None):
        return x * scale + (0.0 if bias is None else bias)

    got = check_vmap(f, (x,), kwargs={"scale": s})
    np.testing.assert_allclose(_np(got), _np(x) * _np(s)[:, None], rtol=1e-6)
    # in_axes only describes positional arguments: kwargs are still mapped over axis 0
    b = randn(4, 3)
    got = check_vmap(f, (fnp.transpose(x),), in_axes=1, kwargs={"scale": s, "bias": b})
    np.testing.assert_allclose(_np(got), _np(x) * _np(s)[:, None] + _np(b), rtol=1e-6)
    got = check_vmap(f, (x,), in_axes=None, kwargs={"scale": s})  # only the kwarg is mapped
    assert got.shape == (4, 4, 3)


# ---------------------------------------------------------------------------------------------
# out_axes
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("out_axes", [0, 1, 2, -1, -2, -3])
def test_out_axes_int_including_negative(out_axes):
    x = randn(5, 3, 4)
    got = check_vmap(lambda v: fnp.exp(v) * 0.5, (x,), out_axes=out_axes)
    assert got.shape == np.moveaxis(np.zeros((5, 3, 4)), 0, out_axes).shape


def test_out_axes_pytree():
    x = randn(3, 4, 2)

    def f(v):
        return {"sum": fnp.sum(v, axis=0), "both": (v * 2.0, fnp.max(v))}

    got = check_vmap(f, (x,), out_axes={"sum": 1, "both": (-1, 0)})
    assert got["sum"].shape == (2, 3)
    assert got["both"][0].shape == (4, 2, 3)
    assert got["both"][1].shape == (3,)
    # prefix: one int for a whole subtree
    check_vmap(f, (x,), out_axes={"sum": -1, "both": -1})


def test_out_axes_none_for_unmapped_outputs():
    x, c = randn(4, 3), randn(3)
    got = check_vmap(lambda v, k: (v * k, k * 2.0, fnp.sum(k)), (x, c), in_axes=(0, None),
                     out_axes=(0, None, None))
    assert got[1].shape == (3,) and got[2].shape == ()
    np.testing.assert_allclose(_np(got[1]), _np(c) * 2, rtol=1e-6)


def test_unmapped_outputs_are_broadcast_along_out_axis():
    x = randn(4, 3)
    got = fnx.vmap(lambda v: (fnp.ones((2,)), v), out_axes=(1, 0))(x)
    assert got[0].shape == (2, 4)
    np.testing.assert_array_equal(_np(got[0]), np.ones((2, 4), np.float32))
    got = fnx.vmap(lambda v: fnp.zeros_like(v) + 3.0)(x)
    np.testing.assert_array_equal(_np(got), np.full((4, 3), 3.0, np.float32))


def test_out_axes_none_for_a_mapped_output_raises():
    x = randn(4, 3)
    with pytest.raises(ValueError):
        fnx.vmap(lambda v: v * 2.0, out_axes=None)(x)
    with pytest.raises(ValueError):
        fnx.vmap(lambda v: (v, fnp.sum(v)), out_axes=(0, None))(x)


# ---------------------------------------------------------------------------------------------
# axis_size
# ---------------------------------------------------------------------------------------------

def test_axis_size_when_nothing_is_mapped():
    x = randn(3)
    got = fnx.vmap(lambda v: v * 2.0, in_axes=None, axis_size=4)(x)
    np.testing.assert_array_equal(_np(got), np.broadcast_to(_np(x) * 2, (4, 3)))
    got = fnx.vmap(lambda v: v * 2.0, in_axes=None, out_axes=1, axis_size=4)(x)
    np.testing.assert_array_equal(_np(got), np.broadcast_to(_np(x)[:, None] * 2, (3, 4)))
    got = fnx.vmap(lambda: fnp.arange(3), axis_size=2)()
    np.testing.assert_array_equal(_np(got), np.array([[0, 1, 2]] * 2, np.int32))


def test_axis_size_must_be_given_when_nothing_is_mapped():
    with pytest.raises(ValueError, match="axis_size"):
        fnx.vmap(lambda v: v * 2.0, in_axes=None)(randn(3))


def test_axis_size_agreeing_with_the_mapped_inputs():
    x = randn(4, 3)
    got = fnx.vmap(lambda v: v + 1.0, axis_size=4)(x)
    np.testing.assert_allclose(_np(got), _np(x) + 1, rtol=1e-6)
    with pytest.raises(ValueError):
        fnx.vmap(lambda v: v + 1.0, axis_size=5)(x)


# ---------------------------------------------------------------------------------------------
# Nested vmap
# ---------------------------------------------------------------------------------------------

def double_loop(f, outer_axes, inner_axes, args):
    """vmap(vmap(f, inner_axes), outer_axes) by two Python loops."""
    return loop_vmap(loop_vmap(f, inner_axes), outer_axes)(*args)


def test_nested_vmap_over_different_axes():
    x = randn(2, 3, 4)

    def f(v):
        return fnp.sin(v) * fnp.sum(v)

    got = fnx.vmap(fnx.vmap(f, in_axes=1), in_axes=0)(x)
    want = double_loop(f, 0, 1, (x,))
    assert_trees_close(got, want, rtol=1e-6)
    assert got.shape == (2, 4, 3)
    got = fnx.vmap(fnx.vmap(f, in_axes=0, out_axes=1), in_axes=2, out_axes=0)(x)
    want = loop_vmap(loop_vmap(f, 0, 1), 2, 0)(x)
    assert_trees_close(got, want, rtol=1e-6)


@pytest.mark.parametrize("case", ["dot", "matvec", "matmul", "outer", "einsum"])
def test_nested_vmap_of_contractions(case):
    # contractions whose batch dimensions only arise from the nesting
    if case == "dot":
        f = lambda a, b: fnp.dot(a, b)  # noqa: E731
        args, inner, outer = (randn(2, 3, 5), randn(3, 5, 2)), (0, 0), (0, 2)
    elif case == "matvec":
        f = lambda m, v: m @ v  # noqa: E731
        args, inner, outer = (randn(4, 3, 5), randn(2, 5)), (1, None), (None, 0)
    elif case == "matmul":
        f = lambda a, b: a @ b  # noqa: E731
        args, inner, outer = (randn(2, 3, 4, 5), randn(3, 2, 5, 6)), (0, 0), (1, 0)
    elif case == "outer":
        f = lambda a, b: a[:, None] * b[None, :]  # noqa: E731
        args, inner, outer = (randn(2, 3, 4), randn(5, 2)), (1, None), (0, 1)
    else:
        f = lambda a, b: fnp.einsum("ij,jk->ik", a, b)  # noqa: E731
        args, inner, outer = (randn(3, 2, 4, 5), randn(5, 3, 2, 6)), (0, 1), (0, 1)
    got = fnx.vmap(fnx.vmap(f, in_axes=inner), in_axes=outer)(*args)
    want = double_loop(f, outer, inner, args)
    assert_trees_close(got, want, rtol=1e-5, atol=1e-5)


def test_nested_vmap_with_a_closure_over_the_outer_batched_value():
    xs, ys = randn(3), randn(4, 2)

    def outer(x):
        return fnx.vmap(lambda y: x * y + fnp.sum(y))(ys)

    got = fnx.vmap(outer)(xs)
    want = np.stack([np.stack([_np(x) * _np(y) + np.sum(_np(y)) for y in ys]) for x in xs])
    np.testing.assert_allclose(_np(got), want, rtol=1e-6, atol=1e-6)


def test_triple_nesting():
    x = randn(2, 3, 4, 5)
    f = lambda v: v / (1.0 + fnp.sum(v * v))  # noqa: E731
    got = fnx.vmap(fnx.vmap(fnx.vmap(f), in_axes=1), in_axes=2)(x)
    want = loop_vmap(loop_vmap(loop_vmap(f), 1), 2)(x)
    assert_trees_close(got, want, rtol=1e-5)


# ---------------------------------------------------------------------------------------------
# fnx.numpy programs under vmap
# ---------------------------------------------------------------------------------------------

def test_broadcasting_against_unbatched_operands_of_higher_rank():
    x, m = randn(4, 3), randn(2, 3)
    check_vmap(lambda v, w: v + w, (x, m), in_axes=(0, None))      # (3,) + (2, 3)
    check_vmap(lambda v, w: w.T * v[:, None], (x, m), in_axes=(0, None))  # (3, 2) * (3, 1)
    check_vmap(lambda v, w: v[:, None] - w, (randn(3, 4), randn(4, 2)), in_axes=(1, 0))
    check_vmap(lambda s, w: s * w, (randn(4), m), in_axes=(0, None))  # 0-d * (2, 3)
    check_vmap(lambda s, w: fnp.maximum(s, w), (randn(4), randn(4, 2, 3)))


@pytest.mark.parametrize("red", ["sum0", "sum-1", "sumall", "mean_keep", "max", "argmax",
                                 "argmin_none", "logsumexp", "var", "prod", "any", "all"])
def test_reductions(red):
    x = randn(4, 3, 5)
    f = {
        "sum0": lambda v: fnp.sum(v, axis=0),
        "sum-1": lambda v: fnp.sum(v, axis=-1),
        "sumall": lambda v: fnp.sum(v),
        "mean_keep": lambda v: fnp.mean(v, axis=(0, 1), keepdims=True),
        "max": lambda v: fnp.max(v, axis=1),
        "argmax": lambda v: fnp.argmax(v, axis=0),
        "argmin_none": lambda v: fnp.argmin(v),
        "logsumexp": lambda v: fnp.logsumexp(v, axis=-1),
        "var": lambda v: fnp.var(v, axis=0),
        "prod": lambda v: fnp.prod(v, axis=1),
        "any": lambda v: fnp.any(v > 1.0, axis=0),
        "all": lambda v: fnp.all(v > -1.0),
    }[red]
    for axis in (0, 1, -1):
        check_vmap(f, (x,), in_axes=axis, rtol=1e-5, atol=1e-6)


def test_indexing_with_batched_array_and_batched_index():
    x, i = randn(4, 6), randint(-6, 6, 4)
    got = check_vmap(lambda v, k: v[k], (x, i))
    np.testing.assert_array_equal(_np(got), _np(x)[np.arange(4), _np(i)])
    check_vmap(lambda v, k: v[k], (x, i), in_axes=(None, 0))            # unbatched x
    check_vmap(lambda v, k: v[k], (x, randint(0, 6, 3)), in_axes=(0, None))  # unbatched i
    # an index array per example, and 2-d indexing mixing slices and batched ints
    check_vmap(lambda v, k: v[k], (x, randint(-6, 6, 4, 5)))
    y = randn(4, 3, 5)
    check_vmap(lambda v, a, b: v[a, :, b], (randn(3, 4, 2, 5), randint(0, 4, 3, 2),
                                            randint(0, 5, 3, 2)))
    check_vmap(lambda v, k: v[:, k], (y, randint(0, 5, 4)))
    check_vmap(lambda v, k: v[1:, k], (y, randint(0, 5, 4)), in_axes=(0, 0))


def test_at_set_and_add_with_batched_indices_and_updates():
    x, i, u = randn(4, 6), randint(0, 6, 4), randn(4)
    x0, i0, u0 = x[0], i[0], u[0]
    for args, in_axes in [((x, i, u), (0, 0, 0)), ((x0, i, u), (None, 0, 0)),
                          ((x, i0, u), (0, None, 0)), ((x, i, u0), (0, 0, None)),
                          ((x0, i, u0), (None, 0, None)), ((x.T, i, u), (1, 0, 0)),
                          ((x, randint(-7, 7, 3), u), (0, None, 0))]:
        check_vmap(lambda v, k, w: v.at[k].set(w), args, in_axes=in_axes)
        check_vmap(lambda v, k, w: v.at[k].add(w), args, in_axes=in_axes)
    # index arrays with duplicates: add accumulates, per example
    idx, upd = randint(0, 3, 4, 5), fnp.asarray(RNG.integers(-8, 8, (4, 5)).astype(np.float32))
    got = check_vmap(lambda v, k, w: v.at[k].add(w), (x, idx, upd))
    want = _np(x).copy()
    for b in range(4):
        np.add.at(want[b], _np(idx)[b], _np(upd)[b])
    np.testing.assert_array_equal(_np(got), want)
    check_vmap(lambda v, k, w: v.at[k, 1:].multiply(w), (randn(4, 3, 3), randint(0, 3, 4),
                                                          randn(4, 2)))
    check_vmap(lambda v, k, w: v.at[k].max(w), (x0, idx, upd), in_axes=(None, 0, 0))


def test_take_along_axis_and_take():
    x, idx = randn(3, 4, 5), randint(0, 5, 3, 4, 2)
    check_vmap(lambda v, k: fnp.take_along_axis(v, k, axis=-1), (x, idx))
    check_vmap(lambda v, k: fnp.take_along_axis(v, k, axis=1), (x, idx), in_axes=(1, 1))
    # out-of-range indices: the per-example loop raises for mode=None (numpy), so use "fill"
    check_vmap(lambda v, k: fnp.take(v, k, axis=0, mode="fill"), (x, randint(-6, 6, 3, 7)))
    check_vmap(lambda v, k: fnp.take(v, k, axis=0), (x, randint(-4, 4, 3, 7)))
    check_vmap(lambda v, k: fnp.take(v, k), (x, randint(0, 20, 6)), in_axes=(0, None))


def test_dynamic_slice_and_update_with_batched_starts():
    x = randn(4, 6, 5)
    i, j = randint(-2, 8, 4), randint(0, 5, 4)
    check_vmap(lambda v, a, b: lax.dynamic_slice(v, (a, b), (3, 2)), (x, i, j))
    check_vmap(lambda v, a, b: lax.dynamic_slice(v, (a, b), (3, 2)), (x[0], i, j[0]),
               in_axes=(None, 0, None))
    check_vmap(lambda v, a, b: lax.dynamic_slice(v, (a, b), (3, 2)), (x, i[0], j[0]),
               in_axes=(0, None, None))
    check_vmap(lambda v, a: lax.dynamic_slice(v, (a, 1), (2, 2)), (x, fnp.asarray(1)),
               in_axes=(2, None))
    upd = randn(4, 2, 3)
    check_vmap(lambda v, u, a, b: lax.dynamic_update_slice(v, u, (a, b)), (x, upd, i, j))
    check_vmap(lambda v, u, a, b: lax.dynamic_update_slice(v, u, (a, b)),
               (x[0], upd, i, j[0]), in_axes=(None, 0, 0, None))
    check_vmap(lambda v, u, a, b: lax.dynamic_update_slice(v, u, (a, b)), (x, upd[0], i, j),
               in_axes=(0, None, 0, 0))


@pytest.mark.parametrize("start", [2 ** 31 - 1, 2 ** 31, 2 ** 40, 2 ** 63 - 1, -2 ** 31 - 1,
                                   -2 ** 63])
def test_dynamic_slice_and_update_with_batched_int64_starts_beyond_int32(start):
    # starts are clamped into range (as JAX): an int64 start >= 2**31 means "as far as fits"
    x, u = fnp.arange(4.0), fnp.ones((1, 2))
    i = fnp.asarray(np.array([start], np.int64))
    got = fnx.vmap(lambda s: lax.dynamic_slice(x, (s,), (2,)))(i)
    np.testing.assert_array_equal(_np(got)[0], _np(lax.dynamic_slice(x, (i[0],), (2,))))
    got = fnx.vmap(lambda v, s: lax.dynamic_update_slice(x, v, (s,)))(u, i)
    np.testing.assert_array_equal(_np(got)[0],
                                  _np(lax.dynamic_update_slice(x, u[0], (i[0],))))


def test_dynamic_update_slice_with_batched_starts_keeps_the_operands_weak_type():
    x = Array(np.zeros(3, np.float32), True)   # weak, like a Python-scalar-derived array
    u = fnp.ones((1,), fnp.float32)
    i = fnp.asarray([0, 2], fnp.int32)
    want = lax.dynamic_update_slice(x, u, (i[0],))
    got = fnx.vmap(lambda s: lax.dynamic_update_slice(x, u, (s,)))(i)
    assert got.weak_type == want.weak_type, (got.weak_type, want.weak_type)
    assert got.dtype == want.dtype


def test_sort_and_argsort():
    x = fnp.asarray(RNG.integers(-3, 3, (4, 5, 6)).astype(np.float32))  # ties: stability
    for axis in (0, 1, -1):
        for in_axes in (0, 2):
            check_vmap(lambda v: fnp.sort(v, axis=axis), (x,), in_axes=in_axes)
            check_vmap(lambda v: fnp.argsort(v, axis=axis), (x,), in_axes=in_axes)
            check_vmap(lambda v: fnp.argsort(v, axis=axis, descending=True), (x,),
                       in_axes=in_axes)
    keys, vals = randint(0, 3, 4, 6), randn(6)
    check_vmap(lambda k, v: lax.sort((k, v), dimension=0, num_keys=1), (keys, vals),
               in_axes=(0, None))
    check_vmap(lambda v: fnp.sort(v, axis=None), (x,))


def test_cumulative():
    x = randn(3, 4, 5)
    for axis in (0, 1, -1, None):
        check_vmap(lambda v: fnp.cumsum(v, axis=axis), (x,), in_axes=1, rtol=1e-5)
    check_vmap(lambda v: lax.cumsum(v, axis=0, reverse=True), (x,), rtol=1e-5)
    check_vmap(lambda v: lax.cummax(v, axis=1), (x,), in_axes=2)


def test_pad_with_batched_padding_value():
    x, val = randn(4, 3, 2), randn(4)
    cfg = ((1, 2, 1), (-1, 1, 0))
    check_vmap(lambda v, p: lax.pad(v, p, cfg), (x, val))
    check_vmap(lambda v, p: lax.pad(v, p, cfg), (x[0], val), in_axes=(None, 0))
    check_vmap(lambda v, p: lax.pad(v, p, cfg), (x, val[0]), in_axes=(0, None))
    check_vmap(lambda v, p: fnp.pad(v, ((1, 0), (2, 1)), constant_values=p), (x, randn(3)),
               in_axes=(1, 0))


def test_pad_with_batched_padding_value_keeps_the_operands_weak_type():
    x = Array(np.zeros(2, np.float32), True)   # weak operand, non-weak padding values
    v = fnp.asarray([1.0, 2.0, 3.0], fnp.float32)
    want = lax.pad(x, v[0], ((1, 1, 0),))
    got = fnx.vmap(lambda p: lax.pad(x, p, ((1, 1, 0),)))(v)
    np.testing.assert_array_equal(_np(got)[0], _np(want))
    assert got.weak_type == want.weak_type, (got.weak_type, want.weak_type)


def test_concatenate_batched_with_unbatched():
    x, y = randn(4, 3, 2), randn(5, 2)
    check_vmap(lambda a, b: fnp.concatenate([a, b, a], axis=0), (x, y), in_axes=(0, None))
    check_vmap(lambda a, b: fnp.concatenate([b, a], axis=-1), (x, randn(4, 1)),
               in_axes=(1, None))
    check_vmap(lambda a, b: fnp.stack([a, b]), (x, randn(4, 3, 2)), in_axes=(0, 0))


def test_where_and_select_with_batched_predicate():
    p, x, y = randn(4, 3) > 0, randn(3), randn(3)
    check_vmap(lambda c, a, b: fnp.where(c, a, b), (p, x, y), in_axes=(0, None, None))
    check_vmap(lambda c, a, b: fnp.where(c, a, b), (p[:, 0], x, randn(4, 3)),
               in_axes=(0, None, 0))  # 0-d predicate per example
    check_vmap(lambda c, a, b: lax.select_n(c, a, b), (p, x, y), in_axes=(0, None, None))
    which = randint(0, 3, 4, 3)
    check_vmap(lambda w, a, b, c: lax.select_n(w, a, b, c), (which, x, y, randn(4, 3)),
               in_axes=(0, None, None, 0))
    check_vmap(lambda c, a, b: fnp.where(c, a, b), (p[0], randn(4, 3), y),
               in_axes=(None, 0, None))


def test_clip():
    x, lo, hi = randn(4, 5), randn(4) - 1.0, randn(4) + 1.0
    check_vmap(lambda v, a, b: fnp.clip(v, a, b), (x, lo, hi))
    check_vmap(lambda v, a, b: fnp.clip(v, a, b), (x, lo, hi[0]), in_axes=(0, 0, None))
    check_vmap(lambda v, a: fnp.clip(v, a, None), (x[0], lo), in_axes=(None, 0))
    check_vmap(lambda a, v, b: lax.clamp(a, v, b), (lo, x.T, hi[0]), in_axes=(0, 1, None))


def test_shape_ops():
    x = randn(4, 2, 3, 5)
    check_vmap(lambda v: fnp.reshape(v, (6, 5)), (x,))
    check_vmap(lambda v: fnp.reshape(v, (-1,)), (x,), in_axes=2)
    check_vmap(lambda v: fnp.transpose(v, (2, 0, 1)), (x,), in_axes=-1)
    check_vmap(lambda v: v[None, :, ::2, ::-1], (x,), in_axes=1)
    check_vmap(lambda v: fnp.squeeze(v[:, :1], axis=1), (x,))
    check_vmap(lambda v: fnp.broadcast_to(v[:, :, :1], (2, 3, 4)), (x,))
    check_vmap(lambda v: fnp.flip(fnp.roll(v, 2, axis=-1), axis=0), (x,), in_axes=1)
    check_vmap(lambda v: fnp.tile(v, (2, 1, 1)), (x,))
    check_vmap(lambda v: fnp.repeat(v, 2, axis=1), (x,))
    check_vmap(lambda v: fnp.diagonal(v, axis1=0, axis2=2), (randn(3, 4, 2, 4),), in_axes=1)
    check_vmap(lambda v: fnp.tril(v[0]), (x,))
    check_vmap(lambda v: fnp.expand_dims(v, (0, 2)), (x,), in_axes=2)


def test_dtype_conversion_and_weak_types():
    x = randint(-5, 5, 4, 3)
    got = check_vmap(lambda v: v * 2 + 1, (x,))
    assert got.dtype == np.int32 and not got.weak_type
    got = check_vmap(lambda v: v.astype(fnp.float64) / 3, (x,))
    assert got.dtype == np.float64
    got = fnx.vmap(lambda v: v * 2.0)(randn(4, 3))
    assert got.dtype == np.float32 and not got.weak_type
    # a weak input stays weak through vmap
    w = Array(np.arange(3, dtype=np.float32), True)
    got = fnx.vmap(lambda v: v + 1)(w)
    assert got.weak_type == (w + 1).weak_type


def test_int_and_bool_dtypes():
    a = randint(-50, 50, 5, 4)
    b = fnp.asarray(RNG.integers(1, 9, (5, 4)).astype(np.int64))
    check_vmap(lambda x, y: (x // 3 + x % 7) * y - (x >> 1), (a, b.astype(fnp.int32)))
    check_vmap(lambda x, y: fnp.maximum(x, y) - fnp.sum(y), (b, b.T), in_axes=(0, 1))
    check_vmap(lambda x: fnp.cumprod(x, axis=0), (fnp.asarray(RNG.integers(-3, 3, (5, 4))
                                                              .astype(np.int8)),))
    m, n = randn(5, 4) > 0, randn(5, 4) > 0.5
    check_vmap(lambda p, q: (p & ~q) | fnp.logical_xor(p, q), (m, n))
    check_vmap(lambda p: (fnp.any(p), fnp.all(p, axis=0), fnp.sum(p)), (m,), in_axes=1)
    check_vmap(lambda p, x: fnp.where(p, x, -x), (m, a))
    got = fnx.vmap(lambda p: ~p)(m)
    assert got.dtype == np.bool_


def test_empty_batch():
    x = fnp.zeros((0, 3), fnp.float32)
    got = fnx.vmap(lambda v: fnp.sin(v) * fnp.sum(v))(x)
    assert got.shape == (0, 3) and got.dtype == np.float32
    got = fnx.vmap(lambda v: fnp.sum(v))(x)
    assert got.shape == (0,)
    got = fnx.vmap(lambda v, w: v @ w, in_axes=(1, None))(fnp.zeros((3, 0)), randn(3, 2))
    assert got.shape == (0, 2)
    got = fnx.vmap(lambda v: (v[1], fnp.argmax(v)), out_axes=(0, 0))(x)
    assert got[0].shape == (0,) and got[1].shape == (0,) and got[1].dtype == np.int32
    got = fnx.vmap(lambda v: v * 2.0, in_axes=None, axis_size=0)(randn(3))
    assert got.shape == (0, 3)
    got = fnx.vmap(lambda v: v.T, out_axes=-1)(fnp.zeros((0, 2, 3)))
    assert got.shape == (3, 2, 0)
    g = fnx.vmap(fnx.grad(lambda v: fnp.sum(fnp.tanh(v))))(x)
    assert g.shape == (0, 3)


# ---------------------------------------------------------------------------------------------
# Transformations composed with vmap
# ---------------------------------------------------------------------------------------------

def _mlp_problem(n_in=6, n_hidden=8, n_out=4, batch=5, dtype=np.float64):
    rng = np.random.default_rng(1)
    params = {
        "w1": fnp.asarray((rng.standard_normal((n_in, n_hidden)) / np.sqrt(n_in)).astype(dtype)),
        "b1": fnp.asarray((rng.standard_normal(n_hidden) * 0.1).astype(dtype)),
        "w2": fnp.asarray((rng.standard_normal((n_hidden, n_out)) / np.sqrt(n_hidden))
                          .astype(dtype)),
        "b2": fnp.asarray((rng.standard_normal(n_out) * 0.1).astype(dtype)),
    }
    x = fnp.asarray(rng.standard_normal((batch, n_in)).astype(dtype))
    y = fnp.asarray(rng.integers(0, n_out, batch).astype(np.int32))
    return params, x, y


def mlp_loss(params, x, y):
    """Softmax cross-entropy of one example (x: (n_in,), y: an int label)."""
    h = fnp.tanh(x @ params["w1"] + params["b1"])
    logits = h @ params["w2"] + params["b2"]
    logp = logits - fnp.logsumexp(logits)
    return -logp[y]


def _numpy_mlp_grad(params, x, y):
    """The gradient of mlp_loss for one example, by hand in numpy (float64)."""
    p = {k: _np(v).astype(np.float64) for k, v in params.items()}
    x = _np(x).astype(np.float64)
    h = np.tanh(x @ p["w1"] + p["b1"])
    logits = h @ p["w2"] + p["b2"]
    prob = np.exp(logits - logits.max())
    prob /= prob.sum()
    d_logits = prob - np.eye(len(prob))[int(y)]
    d_h = (p["w2"] @ d_logits) * (1 - h ** 2)
    return {"w1": np.outer(x, d_h), "b1": d_h, "w2": np.outer(h, d_logits), "b2": d_logits}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_per_example_gradients_of_an_mlp(dtype):
    params, x, y = _mlp_problem(dtype=dtype)
    per_ex = fnx.vmap(fnx.grad(mlp_loss), in_axes=(None, 0, 0))(params, x, y)
    loop = [fnx.grad(mlp_loss)(params, x[i], y[i]) for i in range(x.shape[0])]
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for k in params:
        assert per_ex[k].shape == (x.shape[0],) + tuple(params[k].shape)
        assert per_ex[k].dtype == dtype
        np.testing.assert_allclose(_np(per_ex[k]), np.stack([_np(g[k]) for g in loop]),
                                   rtol=tol, atol=tol, err_msg=k)
        hand = np.stack([_numpy_mlp_grad(params, _np(x)[i], _np(y)[i])[k]
                         for i in range(x.shape[0])])
        np.testing.assert_allclose(_np(per_ex[k]), hand, rtol=10 * tol, atol=10 * tol,
                                   err_msg=k)
    # value_and_grad too, and the batch mean equals the gradient of the mean loss
    vals, grads = fnx.vmap(fnx.value_and_grad(mlp_loss), in_axes=(None, 0, 0))(params, x, y)
    assert vals.shape == (x.shape[0],)
    mean_grad = fnx.grad(lambda p: fnp.mean(fnx.vmap(mlp_loss, in_axes=(None, 0, 0))(p, x, y))
                         )(params)
    for k in params:
        np.testing.assert_allclose(_np(mean_grad[k]), _np(grads[k]).mean(0), rtol=10 * tol,
                                   atol=10 * tol)


def _finite_difference_grad(f, x, eps=1e-6):
    x = _np(x).astype(np.float64)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        g[idx] = (float(f(fnp.asarray(x + e))) - float(f(fnp.asarray(x - e)))) / (2 * eps)
    return g


def test_grad_of_a_function_that_calls_vmap():
    w = fnp.asarray(RNG.standard_normal((3, 2)))
    xs = fnp.asarray(RNG.standard_normal((5, 3)))

    def per_example(w, x):
        return fnp.sum(fnp.sin(x @ w) ** 2) + fnp.max(x) * fnp.sum(w)

    def total(w):
        return fnp.sum(fnx.vmap(per_example, in_axes=(None, 0))(w, xs))

    g = fnx.grad(total)(w)
    loop = sum(_np(fnx.grad(per_example)(w, xs[i])) for i in range(5))
    np.testing.assert_allclose(_np(g), loop, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_np(g), _finite_difference_grad(total, w), rtol=1e-6, atol=1e-7)
    # with respect to the mapped argument
    gx = fnx.grad(lambda xs: fnp.sum(fnx.vmap(per_example, in_axes=(None, 0))(w, xs)))(xs)
    loop = np.stack([_np(fnx.grad(per_example, argnums=1)(w, xs[i])) for i in range(5)])
    np.testing.assert_allclose(_np(gx), loop, rtol=1e-12, atol=1e-12)


def test_vmap_of_jvp():
    xs, ts = randn(5, 3, dtype=np.float64), randn(5, 3, dtype=np.float64)
    f = lambda x: fnp.sin(x) * fnp.sum(x ** 2)  # noqa: E731

    def jvp1(x, t):
        return fnx.jvp(f, (x,), (t,))

    got = check_vmap(jvp1, (xs, ts), rtol=1e-12, atol=1e-12)
    # batched primals with one shared tangent, and vice versa
    check_vmap(jvp1, (xs, ts[0]), in_axes=(0, None), rtol=1e-12, atol=1e-12)
    check_vmap(jvp1, (xs[0], ts), in_axes=(None, 0), rtol=1e-12, atol=1e-12)
    # jvp of vmap agrees
    _, tan = fnx.jvp(fnx.vmap(f), (xs,), (ts,))
    np.testing.assert_allclose(_np(tan), _np(got[1]), rtol=1e-12, atol=1e-12)


def test_vmap_of_vmap_of_grad():
    x = randn(3, 4, 2, dtype=np.float64)
    f = lambda v: fnp.sum(fnp.tanh(v) * v[::-1])  # noqa: E731
    got = fnx.vmap(fnx.vmap(fnx.grad(f)), in_axes=1)(x)
    want = loop_vmap(loop_vmap(fnx.grad(f)), 1)(x)
    assert_trees_close(got, want, rtol=1e-12, atol=1e-12)
    # vmap(grad(vmap)) too
    g = lambda v: fnp.sum(fnx.vmap(lambda r: fnp.sin(r) * fnp.sum(r))(v))  # noqa: E731
    got = fnx.vmap(fnx.grad(g), in_axes=2)(x)
    want = loop_vmap(fnx.grad(g), 2)(x)
    assert_trees_close(got, want, rtol=1e-12, atol=1e-12)


def _fd_jacobian(f, args, eps=1e-6):
    """d f(*args) / d args by central differences (float64): per output leaf, per input leaf
    (flattened pytrees), arrays of shape out.shape + in.shape."""
    flat_in = [(j, _np(x).astype(np.float64)) for j, x in enumerate(_flat(args))]
    out0 = f(*args)
    out_leaves = _flat(out0)
    jac = [[np.zeros(tuple(np.shape(_np(o))) + x.shape) for _, x in flat_in] for o in out_leaves]
    for j, (_, x) in enumerate(flat_in):
        for idx in np.ndindex(x.shape):
            def shifted(s):
                leaves = [fnp.asarray(v) for _, v in flat_in]
                v = x.copy()
                v[idx] += s
                leaves[j] = fnp.asarray(v)
                return _flat(f(*_replace_leaves(args, iter(leaves))))
            plus, minus = shifted(eps), shifted(-eps)
            for k in range(len(out_leaves)):
                d = (_np(plus[k]) - _np(minus[k])) / (2 * eps)
                jac[k][j][(Ellipsis,) + idx] = d
    return jac


def _jac_leaves(jac, out_tree, args):
    """fnx's Jacobian pytree (outer: output structure, inner: argument structure) -> the same
    nested lists as _fd_jacobian."""
    n_in = len(_flat(args))
    # walk the output structure: each output leaf holds an argument-structured subtree
    result = []

    def walk(o_struct, j_struct):
        if o_struct is None:
            return
        if _is_node(o_struct):
            for oc, jc in zip(_children(o_struct), _children(j_struct)):
                walk(oc, jc)
            return
        leaves = _flat(j_struct)
        assert len(leaves) == n_in, (len(leaves), n_in)
        result.append([_np(v) for v in leaves])

    walk(out_tree, jac)
    return result


def _pytree_fn(p, x):
    """A function of a pytree with a pytree output."""
    a, b = p["a"], p["b"]
    y = fnp.tanh(a @ x) * b[0] + fnp.sum(b ** 2)
    return {"y": y, "s": (fnp.sum(fnp.sin(x) * a[0]), x * fnp.exp(b[1]))}


def _pytree_args():
    rng = np.random.default_rng(3)
    p = {"a": fnp.asarray(rng.standard_normal((2, 3))), "b": fnp.asarray(rng.standard_normal(2))}
    return p, fnp.asarray(rng.standard_normal(3))


def test_vmap_of_vjp_and_linearize():
    xs, vs = randn(4, 3, dtype=np.float64), randn(4, 3, dtype=np.float64)
    f = lambda x: fnp.tanh(x) * fnp.cumsum(x)  # noqa: E731

    def pullback(x, ct):
        return fnx.vjp(f, x)[1](ct)[0]

    def push(x, t):
        return fnx.linearize(f, x)[1](t)

    check_vmap(pullback, (xs, vs), rtol=1e-12, atol=1e-12)
    check_vmap(pullback, (xs[0], vs), in_axes=(None, 0), rtol=1e-12, atol=1e-12)
    check_vmap(push, (xs, vs), rtol=1e-12, atol=1e-12)
    check_vmap(push, (xs, vs[0]), in_axes=(0, None), rtol=1e-12, atol=1e-12)
    # vmap of value_and_grad with has_aux
    g = lambda x: (fnp.sum(f(x)), {"m": fnp.max(x)})  # noqa: E731
    check_vmap(fnx.value_and_grad(g, has_aux=True), (xs,), in_axes=1, rtol=1e-12, atol=1e-12)


def test_per_example_hessians_and_jacobians():
    xs = randn(3, 4, dtype=np.float64)
    f = lambda x: fnp.sum(fnp.sin(x) * fnp.cumsum(x) ** 2)  # noqa: E731
    for transform in (fnx.hessian, lambda h: fnx.jacfwd(fnx.grad(h)),
                      lambda h: fnx.jacrev(fnx.jacrev(h))):
        check_vmap(transform(f), (xs,), rtol=1e-10, atol=1e-10)
    v = lambda x: fnp.tanh(x) * x[::-1]  # noqa: E731
    check_vmap(fnx.jacfwd(v), (xs,), in_axes=1, rtol=1e-12, atol=1e-12)
    check_vmap(fnx.jacrev(v), (xs,), out_axes=-1, rtol=1e-12, atol=1e-12)
    # the Jacobian of a vmapped function is block diagonal
    jac = fnx.jacrev(fnx.vmap(v))(xs)
    assert jac.shape == (3, 4, 3, 4)
    blocks = fnx.vmap(fnx.jacrev(v))(xs)
    for i in range(3):
        for k in range(3):
            want = _np(blocks[i]) if i == k else np.zeros((4, 4))
            np.testing.assert_allclose(_np(jac)[i, :, k, :], want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_np(fnx.jacfwd(fnx.vmap(v))(xs)), _np(jac), rtol=1e-12,
                               atol=1e-12)


def test_identity_constant_and_python_scalar_outputs():
    x, c = randn(4, 3), randn(2)
    check_vmap(lambda v: v, (x,), in_axes=1)
    check_vmap(lambda v: v, (x,), in_axes=1, out_axes=1)
    got = fnx.vmap(lambda v: c)(x)
    np.testing.assert_array_equal(_np(got), np.broadcast_to(_np(c), (4, 2)))
    got = fnx.vmap(lambda v: c, out_axes=-1)(x)
    np.testing.assert_array_equal(_np(got), np.broadcast_to(_np(c)[:, None], (2, 4)))
    got = fnx.vmap(lambda v: 1.5)(x)
    assert got.shape == (4,)
    np.testing.assert_array_equal(_np(got), np.full(4, 1.5))
    # the same array passed twice, mapped along different axes
    sq = randn(3, 3)
    check_vmap(lambda a, b: a - 2.0 * b, (sq, sq), in_axes=(0, 1))


def test_namedtuple_arguments_and_outputs():
    import collections
    Pair = collections.namedtuple("Pair", ["a", "b"])
    arg = Pair(randn(4, 3), randn(3, 4))

    def f(p):
        return Pair(p.a * fnp.sum(p.b), p.a - p.b)

    got = fnx.vmap(f, in_axes=(Pair(0, 1),), out_axes=Pair(0, -1))(arg)
    assert isinstance(got, Pair)
    for i in range(4):
        want = f(Pair(arg.a[i], arg.b[:, i]))
        np.testing.assert_allclose(_np(got.a)[i], _np(want.a), rtol=1e-6)
        np.testing.assert_allclose(_np(got.b)[:, i], _np(want.b), rtol=1e-6)


def test_grad_of_vmap_with_nonzero_in_and_out_axes():
    x = randn(3, 5, dtype=np.float64)
    w = randn(3, dtype=np.float64)

    def total(x, w):
        y = fnx.vmap(lambda col, w: fnp.tanh(col * w) * fnp.sum(col), in_axes=(1, None),
                     out_axes=1)(x, w)
        return fnp.sum(y * fnp.arange(15.0).reshape(3, 5))

    gx, gw = fnx.grad(total, argnums=(0, 1))(x, w)
    np.testing.assert_allclose(_np(gx), _finite_difference_grad(lambda v: total(v, w), x),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_np(gw), _finite_difference_grad(lambda v: total(x, v), w),
                               rtol=1e-6, atol=1e-6)
    # forward mode through the same program
    t = randn(3, 5, dtype=np.float64)
    _, tan = fnx.jvp(lambda v: total(v, w), (x,), (t,))
    np.testing.assert_allclose(float(tan), float(np.sum(_np(gx) * _np(t))), rtol=1e-10)


def test_nested_vmap_with_an_unmapped_inner_level():
    xs = randn(3, 2)
    got = fnx.vmap(lambda x: fnx.vmap(lambda y: y * 2.0, in_axes=None, axis_size=4)(x))(xs)
    np.testing.assert_array_equal(_np(got), np.broadcast_to((_np(xs) * 2)[:, None], (3, 4, 2)))
    got = fnx.vmap(lambda x: fnx.vmap(lambda y: x + y)(fnp.arange(4.0)))(xs[:, 0])
    np.testing.assert_allclose(_np(got), _np(xs[:, 0])[:, None] + np.arange(4.0)[None],
                               rtol=1e-6)


@pytest.mark.parametrize("which", ["jacfwd", "jacrev"])
def test_jacobians_on_pytrees_match_finite_differences(which):
    p, x = _pytree_args()
    jac_fn = getattr(fnx, which)
    jac = jac_fn(_pytree_fn, argnums=(0, 1))(p, x)
    out = _pytree_fn(p, x)
    fd = _fd_jacobian(_pytree_fn, (p, x))
    got = _jac_leaves(jac, out, (p, x))
    assert len(got) == len(fd)
    for k, (g_row, f_row) in enumerate(zip(got, fd)):
        for j, (g, f) in enumerate(zip(g_row, f_row)):
            assert g.shape == f.shape, (k, j, g.shape, f.shape)
            np.testing.assert_allclose(g, f, rtol=1e-6, atol=1e-7, err_msg=f"out {k} in {j}")
    # single argnums: argument structure without the outer tuple
    jx = jac_fn(_pytree_fn, argnums=1)(p, x)
    assert jx["y"].shape == (2, 3) and jx["s"][1].shape == (3, 3)
    np.testing.assert_allclose(_np(jx["s"][1]), fd[1][2], rtol=1e-6, atol=1e-7)


def test_jacfwd_and_jacrev_agree_and_hessian():
    p, x = _pytree_args()
    jf = fnx.jacfwd(_pytree_fn, argnums=(0, 1))(p, x)
    jr = fnx.jacrev(_pytree_fn, argnums=(0, 1))(p, x)
    assert_trees_close(jf, jr, rtol=1e-12, atol=1e-12)

    def scalar(p, x):
        o = _pytree_fn(p, x)
        return fnp.sum(o["y"] ** 2) + o["s"][0] * fnp.sum(o["s"][1])

    h = fnx.hessian(scalar, argnums=(0, 1))(p, x)
    # the hessian is the Jacobian of the gradient: check it against finite differences of grad
    grad_fn = fnx.grad(scalar, argnums=(0, 1))
    fd = _fd_jacobian(lambda p, x: grad_fn(p, x), (p, x))
    got = _jac_leaves(h, grad_fn(p, x), (p, x))
    for k, (g_row, f_row) in enumerate(zip(got, fd)):
        for j, (g, f) in enumerate(zip(g_row, f_row)):
            np.testing.assert_allclose(g, f, rtol=1e-5, atol=1e-6, err_msg=f"{k} {j}")
    # symmetric
    hxx = _np(h[1][1])
    np.testing.assert_allclose(hxx, hxx.T, rtol=1e-12, atol=1e-12)
    # hessian from the other compositions
    for other in (fnx.jacfwd(fnx.jacfwd(scalar, argnums=1), argnums=1),
                  fnx.jacrev(fnx.jacrev(scalar, argnums=1), argnums=1),
                  fnx.jacrev(fnx.jacfwd(scalar, argnums=1), argnums=1)):
        np.testing.assert_allclose(_np(other(p, x)), hxx, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("which", ["jacfwd", "jacrev", "hessian"])
def test_jacobians_with_has_aux(which):
    x = fnp.asarray(RNG.standard_normal(4))

    def f(x):
        val = fnp.sum(fnp.sin(x) * x) if which == "hessian" else fnp.sin(x) * fnp.sum(x)
        return val, {"aux": fnp.cos(x), "n": 3}

    jac, aux = getattr(fnx, which)(f, has_aux=True)(x)
    np.testing.assert_allclose(_np(aux["aux"]), np.cos(_np(x)), rtol=1e-15)
    assert aux["n"] == 3
    if which == "hessian":
        g = lambda v: fnx.grad(lambda u: f(u)[0])(v)  # noqa: E731
        fd = _fd_jacobian(g, (x,))[0][0]
    else:
        fd = _fd_jacobian(lambda v: f(v)[0], (x,))[0][0]
    np.testing.assert_allclose(_np(jac), fd, rtol=1e-6, atol=1e-7)


def test_jacobian_shapes_and_scalar_cases():
    x = fnp.asarray(RNG.standard_normal((2, 3)))
    f = lambda v: fnp.sum(v, axis=0) * v[0]  # noqa: E731
    for jac_fn in (fnx.jacfwd, fnx.jacrev):
        j = jac_fn(f)(x)
        assert j.shape == (3, 2, 3)
        np.testing.assert_allclose(_np(j), _fd_jacobian(f, (x,))[0][0], rtol=1e-6, atol=1e-7)
        # scalar in, scalar out
        s = jac_fn(lambda t: fnp.sin(t) * t)(fnp.asarray(0.7, fnp.float64))
        assert s.shape == ()
        np.testing.assert_allclose(float(s), np.cos(0.7) * 0.7 + np.sin(0.7), rtol=1e-12)


@pytest.mark.parametrize("which", ["jacrev", "jacfwd"])
def test_jacobian_jaxpr_does_not_grow_with_the_input_size(which):
    def f(x):
        return fnp.sin(x) * fnp.sum(x ** 2) + fnp.cumsum(x)

    jac_fn = getattr(fnx, which)
    small = fnx.make_jaxpr(jac_fn(f))(fnp.zeros(4))
    mid = fnx.make_jaxpr(jac_fn(f))(fnp.zeros(8))
    large = fnx.make_jaxpr(jac_fn(f))(fnp.zeros(32))
    assert n_eqns(small) == n_eqns(mid) == n_eqns(large), (
        f"{which}: {n_eqns(small)} / {n_eqns(mid)} / {n_eqns(large)} equations for inputs of "
        f"size 4 / 8 / 32: a Python loop over basis vectors?\n{large}")
    assert large.out_avals[0].shape == (32, 32)
    # and the values
    x = fnp.asarray(RNG.standard_normal(8))
    np.testing.assert_allclose(_np(jac_fn(f)(x)), _fd_jacobian(f, (x,))[0][0], rtol=1e-6,
                               atol=1e-6)


def test_vmap_jaxpr_does_not_grow_with_the_batch_size():
    w = randn(3, 4)

    def f(x, i):
        h = fnp.tanh(x @ w)
        return fnp.sum(h * x[i]) + fnp.max(fnp.cumsum(h)), fnp.sort(h)

    def count(b):
        closed = fnx.make_jaxpr(fnx.vmap(f))(fnp.zeros((b, 3)), fnp.zeros((b,), fnp.int32))
        assert [tuple(a.shape) for a in closed.out_avals] == [(b,), (b, 4)], closed
        return n_eqns(closed)

    assert count(2) == count(16), "vmap repeats the computation per example?"


def test_make_jaxpr_of_vmap_shows_batched_shapes():
    closed = fnx.make_jaxpr(fnx.vmap(lambda x, y: x @ y, in_axes=(0, None)))(
        fnp.zeros((7, 3)), fnp.zeros((3, 2)))
    assert [tuple(a.shape) for a in closed.out_avals] == [(7, 2)]
    assert "dot_general" in str(closed)


# ---------------------------------------------------------------------------------------------
# custom_jvp / custom_vjp under vmap
# ---------------------------------------------------------------------------------------------

@fnx.custom_jvp
def sin_with_tripled_tangent(x):
    return fnp.sin(x)


@sin_with_tripled_tangent.defjvp
def _sin_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    # deliberately not cos(x) * t: the rule must be observable
    return sin_with_tripled_tangent(x), 3.0 * fnp.cos(x) * t


@fnx.custom_vjp
def clip_gradient(x):
    return x


clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (fnp.clip(g, -1.0, 1.0),))


@fnx.custom_vjp
def square_with_custom_vjp(x):
    return x * x


def _square_fwd(x):
    return x * x, x


def _square_bwd(x, g):
    return (3.0 * x * g,)  # deliberately not 2 x g


square_with_custom_vjp.defvjp(_square_fwd, _square_bwd)


def test_custom_jvp_under_vmap():
    xs, ts = randn(5, 3, dtype=np.float64), randn(5, 3, dtype=np.float64)
    got = fnx.vmap(sin_with_tripled_tangent)(xs)
    np.testing.assert_allclose(_np(got), np.sin(_np(xs)), rtol=1e-15)
    _, tan = fnx.vmap(lambda x, t: fnx.jvp(sin_with_tripled_tangent, (x,), (t,)))(xs, ts)
    np.testing.assert_allclose(_np(tan), 3 * np.cos(_np(xs)) * _np(ts), rtol=1e-14)
    _, tan = fnx.jvp(fnx.vmap(sin_with_tripled_tangent), (xs,), (ts,))
    np.testing.assert_allclose(_np(tan), 3 * np.cos(_np(xs)) * _np(ts), rtol=1e-14)
    g = fnx.vmap(fnx.grad(lambda x: fnp.sum(sin_with_tripled_tangent(x))))(xs)
    np.testing.assert_allclose(_np(g), 3 * np.cos(_np(xs)), rtol=1e-14)
    g = fnx.grad(lambda x: fnp.sum(fnx.vmap(sin_with_tripled_tangent)(x)))(xs)
    np.testing.assert_allclose(_np(g), 3 * np.cos(_np(xs)), rtol=1e-14)
    # unbatched argument to the custom function inside vmap
    c = randn(3, dtype=np.float64)
    g = fnx.vmap(fnx.grad(lambda x, c: fnp.sum(sin_with_tripled_tangent(c * x))),
                 in_axes=(0, None))(xs, c)
    np.testing.assert_allclose(_np(g), 3 * np.cos(_np(c) * _np(xs)) * _np(c), rtol=1e-14)


def test_custom_vjp_under_vmap():
    xs = fnp.asarray(RNG.standard_normal(6) * 3)
    ss = fnp.asarray(RNG.standard_normal(6) * 3)
    loss = lambda x, s: s * clip_gradient(x)  # noqa: E731
    np.testing.assert_array_equal(_np(fnx.vmap(clip_gradient)(xs)), _np(xs))
    # vmap(grad): the custom rule's (clipped) gradient, per example
    g = fnx.vmap(fnx.grad(loss))(xs, ss)
    np.testing.assert_allclose(_np(g), np.clip(_np(ss), -1, 1), rtol=1e-15)
    g = fnx.vmap(fnx.grad(loss), in_axes=(0, None))(xs, ss[0])
    np.testing.assert_allclose(_np(g), np.full(6, np.clip(_np(ss)[0], -1, 1)), rtol=1e-15)
    # grad(vmap)
    g = fnx.grad(lambda x: fnp.sum(fnx.vmap(loss)(x, ss)))(xs)
    np.testing.assert_allclose(_np(g), np.clip(_np(ss), -1, 1), rtol=1e-15)
    # residuals: batched residual, unbatched cotangent path through a shared weight
    x2 = randn(5, 3, dtype=np.float64)
    g = fnx.vmap(fnx.grad(lambda x: fnp.sum(square_with_custom_vjp(x))))(x2)
    np.testing.assert_allclose(_np(g), 3 * _np(x2), rtol=1e-15)
    w = fnp.asarray(RNG.standard_normal(3))
    gw = fnx.grad(lambda w: fnp.sum(fnx.vmap(lambda x: square_with_custom_vjp(x * w))(x2)))(w)
    np.testing.assert_allclose(_np(gw), np.sum(3 * (_np(x2) * _np(w)) * _np(x2), axis=0),
                               rtol=1e-13)
    gw = fnx.vmap(fnx.grad(lambda w, x: fnp.sum(square_with_custom_vjp(x * w))),
                  in_axes=(None, 0))(w, x2)
    np.testing.assert_allclose(_np(gw), 3 * (_np(x2) * _np(w)) * _np(x2), rtol=1e-13)


def test_custom_rules_with_nondiff_argnums_and_pytrees_under_vmap():
    from functools import partial
    xs = randn(4, 3, dtype=np.float64)

    @partial(fnx.custom_jvp, nondiff_argnums=(0,))
    def apply(g, x):
        return g(x)

    @apply.defjvp
    def _apply_jvp(g, primals, tangents):
        (x,), (t,) = primals, tangents
        return apply(g, x), 5.0 * t

    g = fnx.vmap(fnx.grad(lambda x: fnp.sum(apply(fnp.sin, x))))(xs)
    np.testing.assert_array_equal(_np(g), np.full((4, 3), 5.0))

    @partial(fnx.custom_vjp, nondiff_argnums=(1,))
    def affine(p, k):
        return p["a"] * k + p["b"]

    affine.defvjp(lambda p, k: (affine(p, k), (p["a"],)),
                  lambda k, res, g: ({"a": g * k * 10.0, "b": None},))
    params = {"a": xs, "b": xs * 2.0}
    per_ex = fnx.vmap(fnx.grad(lambda p: fnp.sum(affine(p, 3.0))))(params)
    np.testing.assert_array_equal(_np(per_ex["a"]), np.full((4, 3), 30.0))
    np.testing.assert_array_equal(_np(per_ex["b"]), np.zeros((4, 3)))
    total = fnx.grad(lambda p: fnp.sum(fnx.vmap(lambda q: affine(q, 3.0))(p)))(params)
    np.testing.assert_array_equal(_np(total["a"]), np.full((4, 3), 30.0))
    np.testing.assert_array_equal(_np(total["b"]), np.zeros((4, 3)))
    ga, gb = fnx.vmap(fnx.grad(lambda a, b: fnp.sum(affine({"a": a, "b": b}, 3.0)),
                               argnums=(0, 1)), in_axes=(0, None))(xs, xs[0])
    assert ga.shape == gb.shape == (4, 3)
    np.testing.assert_array_equal(_np(ga), np.full((4, 3), 30.0))
    np.testing.assert_array_equal(_np(gb), np.zeros((4, 3)))


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

def test_inconsistent_sizes_name_the_arguments_and_sizes():
    with pytest.raises(ValueError) as info:
        fnx.vmap(lambda a, b: a + b)(randn(3, 2), randn(4, 2))
    msg = str(info.value)
    assert "argument 0" in msg and "argument 1" in msg, msg
    assert re.search(r"\b3\b", msg) and re.search(r"\b4\b", msg), msg
    # the axis is taken into account: sizes along in_axes, not the leading axis
    with pytest.raises(ValueError) as info:
        fnx.vmap(lambda a, b: a + b, in_axes=(0, 1))(randn(3, 5), randn(3, 5))
    msg = str(info.value)
    assert re.search(r"\b3\b", msg) and re.search(r"\b5\b", msg), msg
    fnx.vmap(lambda a, b: a + b.T[0], in_axes=(0, 1))(randn(3), randn(2, 3))  # consistent


def test_inconsistent_sizes_in_a_pytree_name_the_path():
    args = ({"alpha": randn(3, 2), "beta": randn(5, 2)},)
    with pytest.raises(ValueError) as info:
        fnx.vmap(lambda d: d["alpha"] + d["beta"])(*args)
    msg = str(info.value)
    assert "alpha" in msg and "beta" in msg, msg
    assert re.search(r"\b3\b", msg) and re.search(r"\b5\b", msg), msg
    with pytest.raises(ValueError) as info:
        fnx.vmap(lambda a, t: a + t[1])(randn(3), (randn(3), randn(6)))
    msg = str(info.value)
    assert "argument 1" in msg or "[1]" in msg, msg
    assert re.search(r"\b6\b", msg), msg


def test_inconsistent_sizes_of_kwargs():
    with pytest.raises(ValueError) as info:
        fnx.vmap(lambda a, *, b: a + b)(randn(3), b=randn(4))
    msg = str(info.value)
    assert re.search(r"\b3\b", msg) and re.search(r"\b4\b", msg), msg


@pytest.mark.parametrize("axis", [2, -3, 5])
def test_in_axes_out_of_range_names_the_argument(axis):
    with pytest.raises(ValueError) as info:
        fnx.vmap(lambda a, b: a + b, in_axes=(0, axis))(randn(3, 2), randn(2, 3))
    msg = str(info.value)
    assert "argument 1" in msg or "arg 1" in msg, msg
    assert str(axis) in msg, msg


def test_in_axes_on_a_0d_argument_raises():
    with pytest.raises(ValueError):
        fnx.vmap(lambda a, b: a + b)(randn(3), fnp.asarray(1.0))


def test_out_axes_out_of_range_raises():
    with pytest.raises(ValueError):
        fnx.vmap(lambda a: a * 2.0, out_axes=3)(randn(3, 2))
    with pytest.raises(ValueError):
        fnx.vmap(lambda a: a * 2.0, out_axes=-4)(randn(3, 2))


def test_in_axes_structure_must_match_the_arguments():
    with pytest.raises(ValueError):
        fnx.vmap(lambda a, b: a + b, in_axes=(0, 0, 0))(randn(3), randn(3))
    with pytest.raises(ValueError):
        fnx.vmap(lambda d: d["a"], in_axes=({"b": 0},))({"a": randn(3)})


def test_bad_axis_spec_types_raise():
    with pytest.raises((TypeError, ValueError)):
        fnx.vmap(lambda a: a, in_axes=0.5)(randn(3))
    with pytest.raises((TypeError, ValueError)):
        fnx.vmap(lambda a: a, in_axes="0")(randn(3))


def test_python_control_flow_on_a_batched_value_raises():
    xs = randn(4)

    def f(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(ConcretizationTypeError) as info:
        fnx.vmap(f)(xs)
    msg = str(info.value)
    assert "concrete" in msg and "bool[]" in msg and "where" in msg, msg
    with pytest.raises(ConcretizationTypeError):
        fnx.vmap(lambda x: fnp.zeros(int(x)))(fnp.asarray([1, 2]))
    with pytest.raises(ConcretizationTypeError):
        fnx.vmap(lambda x: float(x) * 2.0)(xs)
    with pytest.raises(ConcretizationTypeError):
        fnx.vmap(lambda x: np.asarray(x))(xs)
    # eager grad allows control flow on concrete values; under vmap it must not
    with pytest.raises(ConcretizationTypeError):
        fnx.vmap(fnx.grad(f))(xs)
    # an unbatched argument stays concrete: control flow on it is fine
    got = fnx.vmap(lambda x, c: x * 2.0 if c > 0 else x, in_axes=(0, None))(xs, 1.0)
    np.testing.assert_allclose(_np(got), 2 * _np(xs))


def test_vmap_preserves_function_metadata():
    def my_function(x):
        """Doc."""
        return x

    v = fnx.vmap(my_function)
    assert getattr(v, "__name__", None) == "my_function"
    assert getattr(v, "__doc__", None) is not None and "Doc." in v.__doc__


def test_vmap_rejects_non_callables():
    # JAX: TypeError at vmap(...) time, before any argument is seen
    with pytest.raises(TypeError):
        fnx.vmap(3)
    with pytest.raises(TypeError):
        fnx.vmap(None, in_axes=0)


def test_a_leaked_batch_tracer_is_reported():
    box = []

    def leak(x):
        box.append(x)
        return x * 2.0

    fnx.vmap(leak)(randn(4, 3))
    with pytest.raises(fnx.errors.UnexpectedTracerError):
        box[0] + 1.0


def test_non_array_outputs_raise_a_type_error():
    with pytest.raises(TypeError):
        fnx.vmap(lambda v: "not an array")(randn(4, 3))
