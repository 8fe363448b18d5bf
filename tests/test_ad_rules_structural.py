"""JVP and transpose rules of the structural primitives (fnx.lax shape / indexing / linalg).

Each case checks, in float32 and float64:
* ``fnx.jvp`` against float64 central finite differences;
* ``fnx.vjp`` against ``fnx.jvp`` by the inner-product identity <vjp(ct), t> == <ct, jvp(t)>,
  for each differentiable argument alone and (where the transpose of ``add`` exists) all of
  them jointly; the cotangents must have their primal's exact shape and dtype.
The inner products are computed in numpy, so only the primitives under test are exercised.
"""

import numpy as np
import pytest

import fnx
from fnx import lax
from fnx.interpreters import ad

DTYPES = [np.float32, np.float64]
TOL = {np.float32: 2e-4, np.float64: 1e-8}


def _have_transposes(*prims):
    return all(p in ad.transpose_rules for p in prims)


def _have_jvps(*prims):
    return all(p in ad.jvp_rules for p in prims)


def arr(x, dtype=None):
    x = np.asarray(x) if dtype is None else np.asarray(x, dtype)
    return fnx.numpy.asarray(x)


def _np(x):
    return np.asarray(x, dtype=np.float64)


def _fd_jvp(f, primals, tangents, eps=1e-6):
    """Central differences of f at float64 primals along float64 tangents."""
    p64 = [_np(p) for p in primals]
    plus = f(*[arr(p + eps * t) for p, t in zip(p64, tangents)])
    minus = f(*[arr(p - eps * t) for p, t in zip(p64, tangents)])
    return (_np(plus) - _np(minus)) / (2 * eps)


def _close(a, b, dtype, what):
    a, b = _np(a), _np(b)
    assert a.shape == b.shape, (what, a.shape, b.shape)
    scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
    np.testing.assert_allclose(a, b, rtol=TOL[dtype], atol=TOL[dtype] * scale, err_msg=what)


def check_rules(f, primals, dtype, seed=0, fd=True, joint=True, second_order=True):
    """The JVP/FD and JVP/VJP checks for ``f`` over the float ``primals`` (numpy arrays)."""
    rng = np.random.default_rng(seed)
    primals = [np.asarray(p, dtype) for p in primals]
    tangents = [rng.standard_normal(p.shape) for p in primals]
    args = [arr(p) for p in primals]
    targs = [arr(t.astype(dtype)) for t in tangents]

    out, tout = fnx.jvp(f, tuple(args), tuple(targs))
    assert tout.shape == out.shape and tout.dtype == out.dtype == dtype
    if fd:
        _close(tout, _fd_jvp(f, primals, [t.astype(dtype).astype(np.float64)
                                          for t in tangents]), dtype, "jvp vs finite differences")
    ct = rng.standard_normal(out.shape).astype(dtype)

    subsets = [[i] for i in range(len(args))]
    if joint and len(args) > 1 and _have_transposes(lax.add_p):
        subsets.append(list(range(len(args))))
    for which in subsets:
        def f_sub(*xs, which=which):
            full = list(args)
            for i, x in zip(which, xs):
                full[i] = x
            return f(*full)
        sub_args = [args[i] for i in which]
        sub_t = [targs[i] for i in which]
        _, t_sub = fnx.jvp(f_sub, tuple(sub_args), tuple(sub_t))
        _, pullback = fnx.vjp(f_sub, *sub_args)
        cts = pullback(arr(ct))
        assert len(cts) == len(which)
        lhs = 0.0
        for c, a, t in zip(cts, sub_args, sub_t):
            assert c.shape == a.shape and c.dtype == a.dtype, (c.shape, c.dtype, a.shape)
            lhs += float(np.sum(_np(c) * _np(t)))
        rhs = float(np.sum(_np(ct) * _np(t_sub)))
        scale = max(1.0, float(np.sum(np.abs(_np(ct)) * np.abs(_np(t_sub)))))
        assert abs(lhs - rhs) <= 10 * TOL[dtype] * scale, (which, lhs, rhs)
    if second_order:
        _check_transpose_differentiable(f, args, targs, out, tout, rng, dtype)


def _check_transpose_differentiable(f, args, targs, out, tout, rng, dtype):
    """The transpose rules are written with fnx.lax, so the pullback (a linear function of
    the cotangent) can itself be differentiated: its JVP is itself (linearity), and its
    transpose is the original JVP."""
    _, pullback = fnx.vjp(f, *args)
    ct1 = arr(rng.standard_normal(out.shape).astype(dtype))
    ct2 = arr(rng.standard_normal(out.shape).astype(dtype))
    try:
        _, d = fnx.jvp(lambda c: pullback(c), (ct1,), (ct2,))
        for a, b in zip(d, pullback(ct2)):
            _close(a, b, dtype, "jvp of the pullback")
        _, pb2 = fnx.vjp(lambda c: pullback(c), ct1)
        (back,) = pb2(tuple(targs))
    except NotImplementedError as e:   # a rule of another family (reduce_sum) is missing
        if "reduce_sum" in str(e):
            pytest.skip(f"second-order part needs reduce_sum's rules: {e}")
        raise
    _close(back, tout, dtype, "transpose of the pullback vs jvp")


def randn(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


# ---------------------------------------------------------------------------------------------
# shape.py
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("in_shape,shape,bdims", [
    ((3,), (2, 3), (1,)), ((1, 3), (4, 2, 3), (1, 2)), ((), (2, 3), ()),
    ((3, 1), (3, 5), (0, 1)), ((1, 1), (1, 1), (0, 1)), ((1, 2), (5, 2, 4), (0, 1)),
    ((2, 0), (3, 2, 0), (1, 2))])
def test_broadcast_in_dim(dtype, in_shape, shape, bdims):
    check_rules(lambda x: lax.broadcast_in_dim(x, shape, bdims), [randn(*in_shape)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("in_shape,new", [((2, 3, 4), (6, 4)), ((), (1, 1)), ((6,), (2, 1, 3)),
                                          ((0, 3), (3, 0))])
def test_reshape(dtype, in_shape, new):
    check_rules(lambda x: lax.reshape(x, new), [randn(*in_shape)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("perm", [(1, 0, 2), (2, 0, 1), (1, 2, 0), (2, 1, 0)])
def test_transpose(dtype, perm):
    check_rules(lambda x: lax.transpose(x, perm), [randn(2, 3, 4)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dims", [((1, 3, 1), (0, 2)), ((2, 1), (1,)), ((1,), (0,))])
def test_squeeze_expand_dims(dtype, shape, dims):
    check_rules(lambda x: lax.squeeze(x, dims), [randn(*shape)], dtype)
    squeezed = tuple(s for i, s in enumerate(shape) if i not in dims)
    check_rules(lambda x: lax.expand_dims(x, dims), [randn(*squeezed)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dims", [(0,), (1,), (0, 2)])
def test_rev(dtype, dims):
    check_rules(lambda x: lax.rev(x, dims), [randn(3, 2, 4)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("start,limit,strides", [
    ((1, 2), (6, 8), (2, 3)), ((0, 0), (7, 8), (1, 1)), ((2, 3), (2, 7), (1, 2)),
    ((6, 0), (7, 8), (3, 5)), ((0, 1), (7, 8), (4, 7)), ((3, 3), (5, 4), None)])
def test_slice(dtype, start, limit, strides):
    check_rules(lambda x: lax.slice(x, start, limit, strides), [randn(7, 8)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", [
    ((1, 2, 0), (0, 1, 0)), ((1, -1, 2), (0, 2, 0)), ((-2, 1, 1), (-1, -1, 3)),
    ((0, 0, 1), (2, 0, 0)), ((-3, -1, 0), (0, 0, 0)), ((-5, 0, 2), (1, -3, 1))])
def test_pad(dtype, config):
    f = lambda x, v: lax.pad(x, v, config)  # noqa: E731
    check_rules(f, [randn(4, 3), randn()], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pad_empty_operand(dtype):
    check_rules(lambda x, v: lax.pad(x, v, ((1, 2, 3), (0, 1, 0))), [randn(0, 2), randn()],
                dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1])
def test_concatenate(dtype, dim):
    shapes = [(2, 3), (4, 3), (1, 3)] if dim == 0 else [(2, 1), (2, 4), (2, 2)]
    check_rules(lambda *xs: lax.concatenate(xs, dim), [randn(*s, seed=i)
                                                        for i, s in enumerate(shapes)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("starts", [(1, 2), (0, 0), (10, -3), (-1, 5)])
def test_dynamic_slice(dtype, starts):
    s = [arr(np.int32(v)) for v in starts]
    check_rules(lambda x: lax.dynamic_slice(x, s, (3, 2)), [randn(5, 6)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("starts", [(1, 2), (0, 0), (10, -3), (-1, 5)])
def test_dynamic_update_slice(dtype, starts):
    s = [arr(np.int64(v)) for v in starts]
    check_rules(lambda x, u: lax.dynamic_update_slice(x, u, s), [randn(5, 6), randn(3, 2)],
                dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_iota_has_zero_tangent(dtype):
    f = lambda x: lax.concatenate([x, lax.iota(x.dtype, 3)], 0)  # noqa: E731
    check_rules(f, [randn(2)], dtype)


# ---------------------------------------------------------------------------------------------
# indexing.py
# ---------------------------------------------------------------------------------------------

GATHER_CASES = [
    # operand shape, indices, batch_dims
    ((5, 3), [0, 4, 2], 0),
    ((5, 3), [[1, 1], [4, 0]], 0),               # duplicates, 2-d index shape
    ((5,), [7, -2, 1, 1, 5], 0),                 # out of range (clamped) + duplicates
    ((2, 4, 3), [[0, 3, 3], [9, -1, 2]], 1),     # batch_dims = 1 with OOB and duplicates
    ((2, 3, 4, 2), [[[0], [2], [5]], [[1], [1], [-4]]], 2),   # batch_dims = 2
    ((4, 2), np.zeros((0,), int), 0),            # empty index set
]
# Scatters may also write into an empty axis (every update is dropped); gathers may not.
SCATTER_CASES = GATHER_CASES + [((0,), [0, 2], 0), ((2, 0, 3), [[1], [0]], 1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,idx,bd", GATHER_CASES)
@pytest.mark.parametrize("idx_dtype", [np.int32, np.int64])
def test_gather(dtype, shape, idx, bd, idx_dtype):
    indices = arr(np.asarray(idx, idx_dtype))
    check_rules(lambda x: lax.gather(x, indices, bd), [randn(*shape)], dtype)


def _updates_shape(shape, idx, bd):
    idx = np.asarray(idx)
    return tuple(shape[:bd]) + idx.shape[bd:] + tuple(shape[bd + 1:])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,idx,bd", SCATTER_CASES)
@pytest.mark.parametrize("name", ["scatter", "scatter_add"])
def test_scatter_linear(dtype, shape, idx, bd, name):
    fn = getattr(lax, name)
    indices = arr(np.asarray(idx, np.int32))
    f = lambda x, u: fn(x, indices, u, bd)  # noqa: E731
    check_rules(f, [randn(*shape), randn(*_updates_shape(shape, idx, bd), seed=2)], dtype)


def test_scatter_transpose_duplicates_exact():
    # Duplicates: the losing update gets zero cotangent, the winner the full one.
    x = arr(np.zeros(4, np.float64))
    idx = arr(np.array([1, 1, 3, 9], np.int32))
    u = arr(np.array([1., 2., 3., 4.]))
    _, pullback = fnx.vjp(lambda x, u: lax.scatter(x, idx, u), x, u)
    ct_x, ct_u = pullback(arr(np.array([10., 20., 30., 40.])))
    np.testing.assert_array_equal(np.asarray(ct_x), [10., 0., 30., 0.])
    np.testing.assert_array_equal(np.asarray(ct_u), [0., 20., 40., 0.])


def test_scatter_add_transpose_oob_dropped():
    x = arr(np.zeros(3, np.float32))
    idx = arr(np.array([0, 3, -1, 0], np.int32))
    _, pullback = fnx.vjp(lambda u: lax.scatter_add(x, idx, u), arr(np.ones(4, np.float32)))
    (ct_u,) = pullback(arr(np.array([1., 2., 3.], np.float32)))
    np.testing.assert_array_equal(np.asarray(ct_u), [1., 0., 0., 1.])


def test_gather_transpose_clamps():
    _, pullback = fnx.vjp(lambda x: lax.gather(x, arr(np.array([5, -3, 1], np.int32))),
                          arr(np.zeros(3, np.float32)))
    (ct,) = pullback(arr(np.array([1., 2., 4.], np.float32)))
    np.testing.assert_array_equal(np.asarray(ct), [2., 4., 1.])


needs_elementwise = pytest.mark.skipif(
    not _have_transposes(lax.mul_p, lax.add_p, lax.select_n_p, lax.div_p),
    reason="the elementwise transpose rules (mul/add/select_n/div) are not registered yet")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,idx,bd", SCATTER_CASES)
def test_scatter_mul_jvp(dtype, shape, idx, bd):
    indices = arr(np.asarray(idx, np.int32))
    f = lambda x, u: lax.scatter_mul(x, indices, u, bd)  # noqa: E731
    u = randn(*_updates_shape(shape, idx, bd), seed=2)
    if u.size:
        u.flat[0] = 0.0      # a zero update: the product rule must not divide by it
    rng = np.random.default_rng(0)
    primals = [np.asarray(p, dtype) for p in (randn(*shape), u)]
    tangents = [rng.standard_normal(p.shape) for p in primals]
    _, tout = fnx.jvp(f, tuple(arr(p) for p in primals),
                      tuple(arr(t.astype(dtype)) for t in tangents))
    _close(tout, _fd_jvp(f, primals, [t.astype(dtype).astype(np.float64) for t in tangents]),
           dtype, "scatter-mul jvp")


@needs_elementwise
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,idx,bd", GATHER_CASES[:4] + SCATTER_CASES[-2:])
def test_scatter_mul_vjp(dtype, shape, idx, bd):
    indices = arr(np.asarray(idx, np.int32))
    f = lambda x, u: lax.scatter_mul(x, indices, u, bd)  # noqa: E731
    check_rules(f, [randn(*shape), randn(*_updates_shape(shape, idx, bd), seed=2)], dtype)


def test_scatter_mul_zero_updates():
    # x * u0 * u1 at one position with u0 == 0: d/du0 = x * u1, d/du1 = 0.
    x = arr(np.array([3.0]))
    idx = arr(np.array([0, 0], np.int32))
    u = arr(np.array([0.0, 5.0]))
    _, t = fnx.jvp(lambda u: lax.scatter_mul(x, idx, u), (u,), (arr(np.array([1.0, 0.0])),))
    np.testing.assert_allclose(np.asarray(t), [15.0])
    _, t = fnx.jvp(lambda u: lax.scatter_mul(x, idx, u), (u,), (arr(np.array([0.0, 1.0])),))
    np.testing.assert_allclose(np.asarray(t), [0.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,idx,bd", SCATTER_CASES)
@pytest.mark.parametrize("name", ["scatter_min", "scatter_max"])
def test_scatter_extremum(dtype, shape, idx, bd, name):
    fn = getattr(lax, name)
    indices = arr(np.asarray(idx, np.int32))
    f = lambda x, u: fn(x, indices, u, bd)  # noqa: E731
    primals = [randn(*shape), randn(*_updates_shape(shape, idx, bd), seed=2)]
    if _have_transposes(lax.mul_p, lax.add_p, lax.select_n_p, lax.div_p):
        check_rules(f, primals, dtype)
    else:
        rng = np.random.default_rng(0)
        primals = [np.asarray(p, dtype) for p in primals]
        tangents = [rng.standard_normal(p.shape) for p in primals]
        _, tout = fnx.jvp(f, tuple(arr(p) for p in primals),
                          tuple(arr(t.astype(dtype)) for t in tangents))
        _close(tout, _fd_jvp(f, primals, [t.astype(dtype).astype(np.float64)
                                          for t in tangents]), dtype, name)


def test_scatter_max_ties_average():
    x = arr(np.array([1.0, 2.0]))
    idx = arr(np.array([0, 0, 1], np.int32))
    u = arr(np.array([1.0, 0.5, 2.0]))   # position 0: operand ties with u0; position 1: tie
    _, t = fnx.jvp(lambda x, u: lax.scatter_max(x, idx, u), (x, u),
                   (arr(np.array([1.0, 10.0])), arr(np.array([3.0, 100.0, 20.0]))))
    np.testing.assert_allclose(np.asarray(t), [2.0, 15.0])


# ---------------------------------------------------------------------------------------------
# linalg.py: dot_general
# ---------------------------------------------------------------------------------------------

DOT_CASES = [
    # lhs shape, rhs shape, dimension_numbers
    ((3, 4), (4, 5), (((1,), (0,)), ((), ()))),
    ((4, 3), (4, 5), (((0,), (0,)), ((), ()))),
    ((3, 4), (5, 4), (((1,), (1,)), ((), ()))),
    ((4,), (4,), (((0,), (0,)), ((), ()))),
    ((3,), (5,), (((), ()), ((), ()))),                        # outer product
    ((2, 3, 4), (2, 4, 5), (((2,), (1,)), ((0,), (0,)))),      # batched matmul
    ((3, 2, 4), (4, 5, 2), (((2,), (0,)), ((1,), (2,)))),      # batch dims in odd places
    ((2, 3, 4, 5), (5, 4, 6), (((2, 3), (1, 0)), ((), ()))),   # two contractions, crossed
    ((2, 3, 4, 5), (4, 2, 6, 3), (((2,), (0,)), ((0, 1), (1, 3)))),  # two batch dims
    ((6, 2, 3, 7), (3, 7, 2, 4), (((3, 2), (1, 0)), ((1,), (2,)))),
    ((2, 5), (5, 2), (((1, 0), (0, 1)), ((), ()))),            # full contraction -> scalar
    ((3, 2), (2, 3), (((), ()), ((0, 1), (1, 0)))),            # batch only (elementwise)
    ((3, 0), (0, 2), (((1,), (0,)), ((), ()))),                # empty contraction
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lshape,rshape,dn", DOT_CASES)
def test_dot_general(dtype, lshape, rshape, dn):
    f = lambda a, b: lax.dot_general(a, b, dn)  # noqa: E731
    check_rules(f, [randn(*lshape), randn(*rshape, seed=2)], dtype)


@pytest.mark.parametrize("perm_seed", range(6))
def test_dot_general_random_dimension_numbers(perm_seed):
    """Random rank-4 x rank-4 contractions: 1 batch + 1-2 contracting dims, random axes."""
    rng = np.random.default_rng(100 + perm_seed)
    nb, nc = 1, int(rng.integers(1, 3))
    sizes = [2, 3, 4, 5]
    lperm, rperm = rng.permutation(4), rng.permutation(4)
    lb, lc = tuple(int(i) for i in lperm[:nb]), tuple(int(i) for i in lperm[nb:nb + nc])
    rb, rc = tuple(int(i) for i in rperm[:nb]), tuple(int(i) for i in rperm[nb:nb + nc])
    lshape, rshape = [0] * 4, [0] * 4
    shared = iter(sizes)
    for a, b in zip(lb + lc, rb + rc):
        lshape[a] = rshape[b] = next(shared)
    for i in range(4):
        lshape[i] = lshape[i] or 2
        rshape[i] = rshape[i] or 3
    dn = ((lc, rc), (lb, rb))
    check_rules(lambda a, b: lax.dot_general(a, b, dn),
                [randn(*lshape), randn(*rshape, seed=2)], np.float64)


def test_zero_cotangent_and_integer_operands():
    # A transpose rule given a symbolic Zero returns Zero for its undefined operands.
    u = ad.UndefinedPrimal(fnx.core.ShapedArray((2, 3), np.dtype(np.float32), False))
    rule = ad.transpose_rules[lax.dot_general_p]
    zero_ct = ad.Zero(fnx.core.ShapedArray((2, 4), np.dtype(np.float32), False))
    cts = rule(zero_ct, u, arr(np.ones((3, 4), np.float32)),
               dimension_numbers=(((1,), (0,)), ((), ())), preferred_element_type=None)
    assert isinstance(cts[0], ad.Zero) and cts[1] is None
    # Integer dot_general / gather inside a differentiated function: no tangent flows.
    i = arr(np.arange(6, dtype=np.int32).reshape(2, 3))
    g = fnx.grad(lambda x: lax.dot_general(
        x, lax.convert_element_type(lax.gather(i, arr(np.array([1, 0], np.int32))), x.dtype),
        (((0, 1), (0, 1)), ((), ()))))(arr(np.ones((2, 3), np.float32)))
    np.testing.assert_array_equal(np.asarray(g), np.arange(6).reshape(2, 3)[[1, 0]])


# ---------------------------------------------------------------------------------------------
# Higher order
# ---------------------------------------------------------------------------------------------

def _full_dot(a, b):
    """sum(a * b) as one dot_general (keeps this test independent of reduce_sum's rules)."""
    axes = tuple(range(a.ndim))
    return lax.dot_general(a, b, ((axes, axes), ((), ())))


@pytest.mark.parametrize("dtype", DTYPES)
def test_grad_of_grad_dot_gather(dtype):
    idx = arr(np.array([2, 0, 2, 7, -1], np.int32))     # duplicates and OOB (clamped)
    w = randn(4, 3, seed=3)

    def f(x):
        g = lax.gather(x, idx)                                                   # (5, 3)
        h = lax.dot_general(g, arr(w.astype(x.dtype)), (((1,), (1,)), ((), ())))  # (5, 4)
        k = lax.dot_general(h, g, (((0,), (0,)), ((), ())))                      # (4, 3)
        return _full_dot(k, k)             # degree 4 in x: a non-constant Hessian

    x0 = randn(3, 3).astype(dtype)
    v = randn(3, 3, seed=5).astype(dtype)

    def grad_dir(x):                       # <grad f(x), v>
        return _full_dot(fnx.grad(f)(x), arr(v.astype(x.dtype)))

    hv = fnx.grad(grad_dir)(arr(x0))
    assert hv.dtype == dtype and hv.shape == (3, 3)
    # Hessian-vector product by central differences of the gradient, in float64.
    eps = 1e-5
    x64, v64 = x0.astype(np.float64), v.astype(np.float64)
    gp = _np(fnx.grad(f)(arr(x64 + eps * v64)))
    gm = _np(fnx.grad(f)(arr(x64 - eps * v64)))
    _close(hv, (gp - gm) / (2 * eps), np.float32, "hvp vs finite differences")
    # forward-over-reverse and reverse-over-forward agree with reverse-over-reverse
    _, hv_fwd = fnx.jvp(fnx.grad(f), (arr(x0),), (arr(v),))
    _close(hv_fwd, hv, dtype, "jvp of grad")
    hv_rev_fwd = fnx.grad(lambda x: fnx.jvp(f, (x,), (arr(v),))[1])(arr(x0))
    _close(hv_rev_fwd, hv, dtype, "grad of jvp")
