"""fnx.numpy.linalg against numpy.linalg and first principles: values (batched, 0x0, 1x1, tall,
wide), identities of the decompositions, every order of norm, gradients against finite
differences (check_grads), vmap against a Python loop, jit against eager, and clear errors.

The derivatives of the decompositions themselves (cholesky, qr, eigh, svd, lu) come from
fnx.lax.linalg's JVP rules; solve / inv / det / slogdet need only the triangular solve's (their
rules reuse the primal's LU factors), pinv / lstsq only the primal SVD (Golub-Pereyra).
"""
import warnings

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.errors import FnxError, ShapeError
from fnx.test_util import check_grads

L = fnp.linalg
RNG = np.random.default_rng(0)
F64 = np.float64


def well_conditioned(*shape, dtype=F64, rng=RNG):
    """Random matrices (..., m, n) with singular values in about [1, 3 max(m, n)]: entries in
    [-1, 1] plus (max(m, n) + 1) on the main diagonal."""
    *batch, m, n = shape
    x = rng.uniform(-1, 1, shape) + (max(m, n) + 1) * np.eye(m, n)
    return x.astype(dtype)


def spd(*shape, dtype=F64, rng=RNG):
    """Symmetric positive definite (..., n, n), eigenvalues in about [n, 3n]."""
    x = rng.uniform(-1, 1, shape)
    return (x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def sym_separated(n, rng=RNG):
    """Symmetric with eigenvalues 1..n (well separated), a random orthogonal basis."""
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return (q * np.arange(1.0, n + 1)) @ q.T


def close(got, want, rtol=1e-10, atol=1e-12):
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------------------------
# Values against numpy
# ---------------------------------------------------------------------------------------------

SQUARE_SHAPES = [(1, 1), (3, 3), (2, 4, 4), (2, 1, 3, 3), (0, 0), (2, 0, 0)]


@pytest.mark.parametrize("shape", SQUARE_SHAPES, ids=str)
@pytest.mark.parametrize("name", ["inv", "det", "matrix_rank", "eigvalsh"])
def test_square_functions_match_numpy(name, shape):
    a = well_conditioned(*shape)
    if name == "eigvalsh":
        a = a + np.swapaxes(a, -1, -2)
    close(getattr(L, name)(a), getattr(np.linalg, name)(a))


@pytest.mark.parametrize("shape", SQUARE_SHAPES, ids=str)
def test_slogdet_and_cholesky_match_numpy(shape):
    a = well_conditioned(*shape)
    sign, logabs = L.slogdet(a)
    want = np.linalg.slogdet(a)
    close(sign, want.sign)
    close(logabs, want.logabsdet)
    s = spd(*shape) if shape[-1] else np.zeros(shape)
    close(L.cholesky(s), np.linalg.cholesky(s))
    close(L.cholesky(s, upper=True), np.linalg.cholesky(s, upper=True))


@pytest.mark.parametrize("a_shape, b_shape", [
    ((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (3, 4)),
    ((2, 3, 3), (2, 3, 1)), ((1, 3, 3), (4, 3, 2)), ((4, 1, 2, 2), (3, 2, 5)),
    ((1, 1), (1,)), ((0, 0), (0,)), ((0, 0), (0, 2))], ids=str)
def test_solve_matches_numpy_broadcasting(a_shape, b_shape):
    a = well_conditioned(*a_shape)
    b = RNG.normal(size=b_shape)
    close(L.solve(a, b), np.linalg.solve(a, b))


@pytest.mark.parametrize("shape", [(4, 2), (2, 4), (3, 3), (2, 5, 3), (1, 1), (0, 3), (3, 0)],
                         ids=str)
def test_rectangular_functions_match_numpy(shape):
    a = well_conditioned(*shape)
    close(L.svdvals(a), np.linalg.svdvals(a))
    close(L.pinv(a), np.linalg.pinv(a))
    close(L.matrix_rank(a), np.linalg.matrix_rank(a))
    close(L.qr(a, mode="r").__abs__(), np.abs(np.linalg.qr(a, mode="r")))
    for mode, full in (("reduced", False), ("complete", True)):
        q, r = L.qr(a, mode=mode)
        qn, rn = np.linalg.qr(a, mode=mode)
        assert q.shape == qn.shape and r.shape == rn.shape
        close(np.asarray(q) @ np.asarray(r), a)


def test_decompositions_reconstruct():
    a = well_conditioned(2, 5, 3)
    u, s, vh = L.svd(a, full_matrices=False)
    close(np.einsum("...ij,...j,...jk->...ik", u, s, vh), a)
    u, s, vh = L.svd(a)
    assert u.shape == (2, 5, 5) and vh.shape == (2, 3, 3)
    close(np.swapaxes(u, -1, -2) @ np.asarray(u), np.broadcast_to(np.eye(5), (2, 5, 5)))
    s_only = L.svd(a, compute_uv=False)
    close(s_only, np.linalg.svd(a, compute_uv=False))
    h = sym_separated(4)
    w, v = L.eigh(h)
    close(h @ np.asarray(v), np.asarray(v) * np.asarray(w))
    close(w, np.arange(1.0, 5.0))
    q, r = L.qr(a)
    close(np.swapaxes(q, -1, -2) @ np.asarray(q), np.broadcast_to(np.eye(3), (2, 3, 3)))
    close(np.triu(r), r)
    p = spd(2, 3, 3)
    c = np.asarray(L.cholesky(p))
    close(c @ np.swapaxes(c, -1, -2), p)
    close(c, np.tril(c))


def test_svd_hermitian_matches_numpy():
    h = sym_separated(4) - 2.5 * np.eye(4)   # eigenvalues -1.5 .. 1.5: signs to fold into U
    u, s, vh = L.svd(h, hermitian=True)
    close(s, np.linalg.svd(h, compute_uv=False))
    close(np.asarray(u) * np.asarray(s) @ np.asarray(vh), h)
    close(L.svd(h, compute_uv=False, hermitian=True), np.linalg.svd(h, compute_uv=False))
    close(L.pinv(h, hermitian=True), np.linalg.pinv(h))
    close(L.matrix_rank(h, hermitian=True), 4)


def test_result_types_are_named():
    a = well_conditioned(3, 3)
    assert L.slogdet(a)._fields == ("sign", "logabsdet")
    assert L.eigh(a + a.T)._fields == ("eigenvalues", "eigenvectors")
    assert L.svd(a)._fields == ("U", "S", "Vh")
    assert L.qr(a)._fields == ("Q", "R")
    assert isinstance(L.det(a), fnx.Array)


@pytest.mark.parametrize("b_shape", [(5,), (5, 2)], ids=str)
@pytest.mark.parametrize("a_shape", [(5, 3), (3, 3), (5, 5)], ids=str)
def test_lstsq_matches_numpy(a_shape, b_shape):
    a = well_conditioned(*a_shape)
    b = RNG.normal(size=(a_shape[0],) + b_shape[1:])
    got = L.lstsq(a, b)
    want = np.linalg.lstsq(a, b)
    for g, w in zip(got, want):
        close(g, w)
    # rank-deficient: numpy_resid=True empties the residuals as numpy does
    a[:, -1] = a[:, 0]
    x, resid, rank, s = L.lstsq(a, b, numpy_resid=True)
    want = np.linalg.lstsq(a, b)
    close(x, want[0], rtol=1e-8)
    assert int(rank) == want[2] and resid.shape == want[1].shape


def test_lstsq_wide_has_empty_residuals():
    a = well_conditioned(2, 4)
    b = RNG.normal(size=2)
    x, resid, rank, s = L.lstsq(a, b)
    close(x, np.linalg.lstsq(a, b)[0])
    assert resid.shape == (0,) and int(rank) == 2


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6, -1, -2, -5])
def test_matrix_power_matches_numpy(n):
    a = well_conditioned(2, 3, 3) / 4
    close(L.matrix_power(a, n), np.linalg.matrix_power(a, n), rtol=1e-9)


def test_matrix_power_of_integers_stays_integer():
    a = np.array([[1, 1], [1, 0]], np.int32)
    got = L.matrix_power(a, 10)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, np.linalg.matrix_power(a, 10))


@pytest.mark.parametrize("p", [None, "fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2])
def test_cond_matches_numpy(p):
    a = well_conditioned(2, 3, 3)
    close(L.cond(a, p), np.linalg.cond(a, p), rtol=1e-9)


def test_cond_of_singular_matrix_is_inf():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    for p in (None, 1, np.inf, "fro"):
        assert np.isinf(float(L.cond(a, p))) or float(L.cond(a, p)) > 1e15, p


@pytest.mark.parametrize("shapes", [[(3, 10), (10, 2), (2, 7), (7, 4)], [(5,), (5, 3), (3,)],
                                    [(4,), (4, 6), (6, 2)], [(2, 3), (3,)], [(6, 1), (1, 6)]],
                         ids=str)
def test_multi_dot_matches_numpy(shapes):
    arrays = [RNG.normal(size=s) for s in shapes]
    close(L.multi_dot(arrays), np.linalg.multi_dot(arrays))


def test_multi_dot_chooses_the_cheapest_order():
    from fnx.numpy.linalg import _chain_order
    # (10x100)(100x5)(5x50): ((AB)C) costs 7500, (A(BC)) 75000
    assert _chain_order([10, 100, 5, 50])[0][2] == 1
    assert _chain_order([50, 5, 100, 10])[0][2] == 0
    jaxpr = str(fnx.make_jaxpr(L.multi_dot)([fnp.ones((10, 100)), fnp.ones((100, 5)),
                                             fnp.ones((5, 50))]))
    assert "10,5" in jaxpr.replace(" ", "") or "[10, 5]" in jaxpr


def test_tensorsolve_and_tensorinv_match_numpy():
    a = well_conditioned(6, 6).reshape(2, 3, 6)
    b = RNG.normal(size=(2, 3))
    close(L.tensorsolve(a, b), np.linalg.tensorsolve(a, b))
    moved = np.moveaxis(a, 2, 0)
    close(L.tensorsolve(moved, b, axes=(0,)), np.linalg.tensorsolve(moved, b, axes=(0,)))
    t = well_conditioned(24, 24).reshape(4, 6, 8, 3)
    close(L.tensorinv(t), np.linalg.tensorinv(t), rtol=1e-9)
    close(L.tensorinv(t.reshape(24, 2, 12), ind=1), np.linalg.tensorinv(t.reshape(24, 2, 12),
                                                                          ind=1), rtol=1e-9)


def test_products_and_views_match_numpy():
    a = RNG.normal(size=(2, 4, 3))
    b = RNG.normal(size=(4, 3))
    close(L.cross(a, b), np.linalg.cross(a, b))
    close(L.cross(np.swapaxes(a, 1, 2), b.T, axis=-2),
          np.linalg.cross(np.swapaxes(a, 1, 2), b.T, axis=-2))
    close(L.outer(a[0, 0], b[0, :2]), np.linalg.outer(a[0, 0], b[0, :2]))
    close(L.vecdot(a, b), np.linalg.vecdot(a, b))
    close(L.matmul(a, b.T), np.linalg.matmul(a, b.T))
    close(L.tensordot(a, b, axes=2), np.linalg.tensordot(a, b, axes=2))
    for k in (-1, 0, 1, 5):
        close(L.trace(a, offset=k), np.linalg.trace(a, offset=k))
        close(L.diagonal(a, offset=k), np.linalg.diagonal(a, offset=k))
    close(L.matrix_transpose(a), np.linalg.matrix_transpose(a))


@pytest.mark.parametrize("sa, sb, kw", [((4, 3), (4, 3), {}), ((4, 2), (4, 2), {}),
                                        ((4, 2), (4, 3), {}), ((3, 4), (4, 3), {"axisa": 0}),
                                        ((3, 4), (3, 4), {"axis": 0}),
                                        ((2, 3, 4), (4, 3), {"axisa": 1, "axisc": 0}),
                                        ((3,), (2, 3), {})], ids=str)
def test_top_level_cross_matches_numpy(sa, sb, kw):
    a, b = RNG.normal(size=sa), RNG.normal(size=sb)
    with warnings.catch_warnings():     # numpy 2 deprecates 2-element vectors in cross
        warnings.simplefilter("ignore", DeprecationWarning)
        want = np.cross(a, b, **kw)
    close(fnp.cross(a, b, **kw), want)
    ai = RNG.integers(-5, 5, size=sa).astype(np.int32)
    bi = RNG.integers(-5, 5, size=sb).astype(np.int32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        want = np.cross(ai, bi, **kw)
    got = fnp.cross(ai, bi, **kw)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, want)


def test_integer_inputs_compute_in_float32():
    a = np.array([[2, 1], [1, 3]], np.int32)
    for fn in (L.inv, L.det, L.cholesky, L.pinv, L.eigvalsh, L.svdvals, L.norm):
        assert fn(a).dtype == np.float32, fn
    assert L.solve(a, np.array([1, 2])).dtype == np.float32
    close(L.det(a), 5.0, rtol=1e-6)
    assert L.det(a.astype(F64)).dtype == F64


# ---------------------------------------------------------------------------------------------
# Norms: every order against numpy
# ---------------------------------------------------------------------------------------------

VECTOR_ORDS = [None, np.inf, -np.inf, 0, 1, -1, 2, -2, 3, 0.5]
MATRIX_ORDS = [None, "fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=str)
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")   # numpy's own 0 ** -p
def test_vector_norms_match_numpy(ord, keepdims):
    x = RNG.normal(size=(3, 4, 5))
    x[0, 0, 0] = 0.0
    close(L.norm(x[0, 0], ord, keepdims=keepdims), np.linalg.norm(x[0, 0], ord,
                                                                  keepdims=keepdims))
    for axis in (0, 1, -1):
        close(L.norm(x, ord, axis, keepdims), np.linalg.norm(x, ord, axis, keepdims))
    close(L.vector_norm(x, ord=2 if ord is None else ord, axis=(0, 2), keepdims=keepdims),
          np.linalg.vector_norm(x, ord=2 if ord is None else ord, axis=(0, 2),
                                keepdims=keepdims))
    close(L.vector_norm(x, ord=2 if ord is None else ord, keepdims=keepdims),
          np.linalg.vector_norm(x, ord=2 if ord is None else ord, keepdims=keepdims))


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
def test_matrix_norms_match_numpy(ord, keepdims):
    x = RNG.normal(size=(3, 4, 5))
    close(L.norm(x[0], ord, keepdims=keepdims), np.linalg.norm(x[0], ord, keepdims=keepdims))
    for axis in ((1, 2), (2, 0), (-1, -3), (0, 1)):
        close(L.norm(x, ord, axis, keepdims), np.linalg.norm(x, ord, axis, keepdims))
    close(L.matrix_norm(x, ord="fro" if ord is None else ord, keepdims=keepdims),
          np.linalg.matrix_norm(x, ord="fro" if ord is None else ord, keepdims=keepdims))


def test_norm_of_any_rank_without_ord_is_the_flat_2_norm():
    x = RNG.normal(size=(2, 3, 4))
    close(L.norm(x), np.linalg.norm(x))
    close(L.norm(x, keepdims=True), np.linalg.norm(x, keepdims=True))
    assert L.norm(np.arange(4)).dtype == np.float32


# ---------------------------------------------------------------------------------------------
# Singular input: data, never an exception
# ---------------------------------------------------------------------------------------------

def test_singular_input_gives_inf_nan_not_errors():
    s = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert float(L.det(s)) == 0.0
    sign, logabs = L.slogdet(s)
    assert float(sign) == 0.0 and float(logabs) == -np.inf
    assert not np.isfinite(np.asarray(L.inv(s))).all()
    assert not np.isfinite(np.asarray(L.solve(s, np.ones(2)))).all()
    assert np.isnan(np.asarray(L.cholesky(-np.eye(2)))).all()
    close(L.pinv(s), np.linalg.pinv(s))
    assert int(L.matrix_rank(s)) == 1


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda: L.inv(np.ones((2, 3))), r"inv: .*square.*\(2, 3\)"),
    (lambda: L.det(np.ones(3)), r"det: 1-dimensional.*\(3,\)"),
    (lambda: L.solve(np.eye(3), np.ones(2)), r"solve: .*\(3, 3\).*\(2,\)"),
    (lambda: L.solve(np.ones((2, 3, 3)), np.ones((4, 3, 1))), r"solve: .*broadcast"),
    (lambda: L.cholesky(np.ones((3, 2))), r"cholesky: .*square"),
    (lambda: L.eigh(np.ones((3, 2))), r"eigh: .*square"),
    (lambda: L.eigh(np.eye(2), UPLO="X"), r"eigh: UPLO"),
    (lambda: L.qr(np.eye(2), mode="raw"), r"qr: unsupported mode"),
    (lambda: L.norm(np.ones(3), "fro"), r"norm: invalid norm order 'fro' for vectors"),
    (lambda: L.norm(np.ones((2, 2)), 3), r"norm: invalid norm order 3 for matrices"),
    (lambda: L.norm(np.ones((2, 2, 2)), 2), r"norm: improper number of dimensions"),
    (lambda: L.norm(np.ones((2, 2, 2)), axis=(0, 1, 2)), r"norm: improper number"),
    (lambda: L.norm(np.ones((2, 2)), axis=(0, 0)), r"norm: duplicate axes"),
    (lambda: L.matrix_norm(np.ones(3)), r"matrix_norm: .*two-dimensional"),
    (lambda: L.lstsq(np.ones((3, 2)), np.ones(4)), r"lstsq: incompatible.*\(3, 2\).*\(4,\)"),
    (lambda: L.multi_dot([np.ones((2, 3))]), r"multi_dot: expecting at least two"),
    (lambda: L.multi_dot([np.ones((2, 3)), np.ones((4, 2))]), r"multi_dot: .*not aligned"),
    (lambda: L.matrix_power(np.eye(2), 1.5), r"matrix_power: exponent must be an integer"),
    (lambda: L.matrix_power(np.ones((2, 3)), 2), r"matrix_power: .*square"),
    (lambda: L.cross(np.ones(2), np.ones(2)), r"cross: both inputs must have 3 elements"),
    (lambda: L.outer(np.ones((2, 2)), np.ones(2)), r"outer: .*one-dimensional"),
    (lambda: L.tensorinv(np.ones((2, 3)), ind=1), r"tensorinv: .*prod"),
    (lambda: L.pinv(np.eye(2), rcond=0.1, rtol=0.1), r"pinv: rcond and rtol"),
    (lambda: L.cond(np.ones((2, 3)), 1), r"cond: .*square"),
    (lambda: fnp.cross(np.ones(4), np.ones(3)), r"cross: incompatible dimensions"),
])
def test_bad_input_raises_clear_fnx_errors(call, match):
    with pytest.raises(FnxError, match=match) as info:
        call()
    assert isinstance(info.value, (ValueError, TypeError))


def test_shape_errors_are_value_errors():
    with pytest.raises(ValueError):
        L.inv(np.ones((2, 3)))
    assert issubclass(ShapeError, ValueError)


# ---------------------------------------------------------------------------------------------
# vmap and jit
# ---------------------------------------------------------------------------------------------

def _loop(fn, *xs):
    outs = [fn(*(x[i] for x in xs)) for i in range(xs[0].shape[0])]
    return fnx.tree.map(lambda *o: np.stack([np.asarray(v) for v in o]), *outs)


VMAP_CASES = [
    ("solve", lambda a, b: L.solve(a, b), 2),
    ("inv", lambda a: L.inv(a), 1),
    ("det", lambda a: L.det(a), 1),
    ("slogdet", lambda a: L.slogdet(a), 1),
    ("pinv", lambda a: L.pinv(a), 1),
    ("norm-2", lambda a: L.norm(a, 2), 1),
    ("norm-1", lambda a: L.norm(a, 1), 1),
    ("matrix_power", lambda a: L.matrix_power(a, -3), 1),
    ("cond", lambda a: L.cond(a, 1), 1),
    ("multi_dot", lambda a, b: L.multi_dot([a, b, a]), 2),
    ("cholesky", lambda a: L.cholesky(a @ a.T), 1),
    ("lstsq", lambda a, b: L.lstsq(a, b[:, 0])[0], 2),
]


@pytest.mark.parametrize("name, fn, nargs", VMAP_CASES, ids=[c[0] for c in VMAP_CASES])
def test_vmap_matches_loop_and_jit_matches_eager(name, fn, nargs):
    args = [fnp.asarray(well_conditioned(3, 3, 3)) for _ in range(nargs)]
    want = _loop(fn, *args)
    got = fnx.vmap(fn)(*args)
    fnx.tree.map(lambda g, w: close(g, w, rtol=1e-9), got, want)
    eager = fn(*(x[0] for x in args))
    jitted = fnx.jit(fn)(*(x[0] for x in args))
    fnx.tree.map(lambda g, w: close(g, w, rtol=1e-9), jitted, eager)


# ---------------------------------------------------------------------------------------------
# Gradients against finite differences (and forward against reverse mode)
# ---------------------------------------------------------------------------------------------

def _a(n=3, seed=1):
    return fnp.asarray(well_conditioned(n, n, rng=np.random.default_rng(seed)))


GRAD_CASES = [
    ("solve", lambda a, b: L.solve(a, b), lambda: (_a(), fnp.asarray(RNG.normal(size=(3, 2))))),
    ("solve-vector", lambda a, b: L.solve(a, b), lambda: (_a(), fnp.asarray(RNG.normal(size=3)))),
    ("inv", L.inv, lambda: (_a(),)),
    ("det", L.det, lambda: (_a(),)),
    ("slogdet", lambda a: L.slogdet(a).logabsdet, lambda: (_a(),)),
    ("pinv-tall", L.pinv, lambda: (fnp.asarray(well_conditioned(4, 3)),)),
    ("pinv-wide", L.pinv, lambda: (fnp.asarray(well_conditioned(2, 4)),)),
    ("lstsq", lambda a, b: L.lstsq(a, b)[0],
     lambda: (fnp.asarray(well_conditioned(5, 3)), fnp.asarray(RNG.normal(size=5)))),
    ("matrix_power--2", lambda a: L.matrix_power(a, -2), lambda: (_a(),)),
    ("tensorinv", lambda a: L.tensorinv(a, ind=1),
     lambda: (fnp.asarray(well_conditioned(4, 4).reshape(4, 2, 2)),)),
]


@pytest.mark.parametrize("name, fn, args", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_grads_of_lu_and_pinv_based_functions(name, fn, args):
    check_grads(fn, args(), order=1)


NO_DECOMPOSITION_GRADS = [
    ("norm-fro", lambda x: L.norm(x, "fro")),
    ("norm-inf", lambda x: L.norm(x, np.inf)),
    ("norm-1", lambda x: L.norm(x, 1)),
    ("norm-vec-3", lambda x: L.norm(x, 3, axis=0)),
    ("norm-vec-0.5", lambda x: L.vector_norm(x + 2.0, ord=0.5, axis=1)),  # away from 0
    ("norm-flat", lambda x: L.norm(x)),
    ("multi_dot", lambda x: L.multi_dot([x, x.T, x])),
    ("matrix_power", lambda x: L.matrix_power(x, 5)),
    ("cross", lambda x: L.cross(x[:, :3], x[:, 1:])),
    ("trace", lambda x: L.trace(x @ x)),
]


@pytest.mark.parametrize("name, fn", NO_DECOMPOSITION_GRADS,
                         ids=[c[0] for c in NO_DECOMPOSITION_GRADS])
def test_grads_without_decompositions_to_order_2(name, fn):
    check_grads(fn, (fnp.asarray(well_conditioned(4, 4) / 3),), order=2)


def test_det_grad_is_the_adjugate_even_when_singular():
    a = _a()
    close(fnx.grad(L.det)(a), np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-9)
    s = np.array([[1.0, 2.0, 3.0], [2.0, 1.0, 0.5], [3.0, 3.0, 3.5]])   # rank 2
    adj = np.array([[np.linalg.det(np.delete(np.delete(s, i, 0), j, 1)) * (-1) ** (i + j)
                     for j in range(3)] for i in range(3)])      # cofactor matrix
    close(fnx.grad(L.det)(fnp.asarray(s)), adj, rtol=1e-9, atol=1e-9)
    rank1 = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])
    close(fnx.grad(L.det)(fnp.asarray(rank1)), np.zeros((3, 3)))


def test_det_jit_vmap_grad_compose():
    a = fnp.asarray(well_conditioned(4, 3, 3))
    got = fnx.jit(fnx.vmap(fnx.grad(L.det)))(a)
    want = [np.linalg.det(x) * np.linalg.inv(x).T for x in np.asarray(a)]
    close(got, np.stack(want), rtol=1e-9)


DECOMPOSITION_GRADS = [
    ("cholesky", lambda x: L.cholesky(x @ x.T)),
    ("eigvalsh", lambda x: L.eigvalsh(x + x.T)),
    ("qr", lambda x: L.qr(x)[1]),
    ("svdvals", L.svdvals),
    ("norm-2", lambda x: L.norm(x, 2)),
    ("norm-nuc", lambda x: L.norm(x, "nuc")),
    ("cond", L.cond),
    ("det", L.det),
    ("inv", L.inv),
]


@pytest.mark.parametrize("name, fn", DECOMPOSITION_GRADS, ids=[c[0] for c in DECOMPOSITION_GRADS])
def test_grads_through_decompositions_to_order_2(name, fn):
    """Needs the JVP rules of fnx.lax.linalg's decompositions (their second derivatives too)."""
    x = sym_separated(3) + np.diag([0.3, -0.2, 0.1]) + np.triu(np.ones((3, 3)), 1) * 0.2
    check_grads(fn, (fnp.asarray(x),), order=2)
