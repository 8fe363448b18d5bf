"""The decomposition primitives of fnx.lax.linalg (cholesky, triangular_solve, lu, qr, eigh, svd)
from first principles, on whichever backend runs the suite:

* identities: L L^T = A, op(a) x = b, P A = L U, Q^T Q = I and Q R = A, A V = V diag(w),
  U diag(s) V^T = A (and the values numpy's LAPACK gives where they are unique);
* derivatives: ``check_grads`` to order 2 in both modes for every primitive and param set (sign-
  invariant functions of eigen / singular vectors), jacfwd against jacrev, closed forms (the
  gradient of log det A is A^-1, of trace A = sum(eigh w) the identity, of the nuclear norm
  U V^T); the cases without a derivative rule raise a clear error, as in JAX;
* vmap against a Python loop (triangular_solve with one unbatched operand too), jit against eager;
* clear errors for bad shapes and dtypes, NaN (not an error) for a matrix that is not positive
  definite;
* the spec table's sign alignment (spec_lax.align_*) repairs sign flips, not wrong vectors.

Inputs are well conditioned (spectra with gaps >= 1), drawn from fixed seeds other than
check_grads' own (a tangent equal to the input would hide a scale-invariant output's error).
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import fnx
import fnx.numpy as jnp
from fnx.errors import DerivativeNotImplementedError, FnxError
from fnx.lax import linalg as la
from fnx.test_util import check_grads

from spec_lax import (align_eigh, align_qr, align_svd, conditioned_matrix, orthonormal,
                      separated, spd_matrix)

F64 = np.float64
TOL = {np.float32: 2e-5, np.float64: 1e-12}  # identities, relative to the matrix's size


def _rng(seed):
    return np.random.default_rng(1000 + seed)


def _np(x):
    return np.asarray(x)


def _close(actual, expected, dtype=F64, scale=1.0):
    tol = TOL[dtype] * 10 * max(scale, 1.0)
    np.testing.assert_allclose(_np(actual), expected, rtol=tol, atol=tol)


def _mT(x):
    return np.swapaxes(x, -1, -2)


def _symmetric_separated(rng, n, batch=()):
    out = np.empty(batch + (n, n))
    for idx in np.ndindex(*batch):
        q = orthonormal(rng, n, n)
        a = (q * separated(rng, n, -5.0, 3.0)) @ q.T
        out[idx] = (a + a.T) / 2
    return out


def _stack(batch, make):
    first = make()
    out = np.empty(batch + first.shape)
    for i, idx in enumerate(np.ndindex(*batch)):
        out[idx] = first if i == 0 else make()
    return out


# ---------------------------------------------------------------------------------------------
# Identities
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cholesky_reconstructs_and_reads_the_lower_triangle(dtype):
    rng = _rng(1)
    a = _stack((2, 3), lambda: spd_matrix(rng, 4)).astype(dtype)
    chol = _np(la.cholesky(a))
    assert chol.dtype == dtype and chol.shape == a.shape
    np.testing.assert_array_equal(np.triu(chol, 1), 0)
    _close(chol @ _mT(chol), a, dtype, scale=10)
    junk = a + np.triu(rng.uniform(-50, 50, a.shape), 1).astype(dtype)
    np.testing.assert_array_equal(_np(la.cholesky(junk, symmetrize_input=False)), chol)


def test_cholesky_of_a_matrix_that_is_not_positive_definite_is_nan():
    a = np.array([[[4.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]])  # PD, indefinite
    chol = _np(la.cholesky(a))
    np.testing.assert_allclose(chol[0], [[2.0, 0.0], [0.0, 1.0]])
    assert np.all(np.isnan(chol[1]))
    assert np.all(np.isnan(_np(la.cholesky(-np.eye(3)))))


@pytest.mark.parametrize("left_side, lower, transpose_a, unit_diagonal",
                         list(itertools.product([True, False], repeat=4)))
def test_triangular_solve_solves_every_variant(left_side, lower, transpose_a, unit_diagonal):
    rng = _rng(2)
    n, k = 4, 3
    tri = np.tril if lower else np.triu
    a = rng.uniform(-0.5, 0.5, (2, n, n)) + np.eye(n) * 2.0
    stored = a + (np.triu if lower else np.tril)(rng.uniform(-9, 9, a.shape), 1 if lower else -1)
    if unit_diagonal:
        stored = stored + np.eye(n) * 7.0  # the diagonal is not read
    b = rng.standard_normal((2, n, k) if left_side else (2, k, n))
    x = _np(la.triangular_solve(stored, b, left_side=left_side, lower=lower,
                                transpose_a=transpose_a, unit_diagonal=unit_diagonal))
    t = tri(a)
    if unit_diagonal:
        t = t - np.eye(n) * np.diagonal(t, axis1=-2, axis2=-1)[..., None] + np.eye(n)
    op = _mT(t) if transpose_a else t
    _close(op @ x if left_side else x @ op, b, scale=10)


def test_triangular_solve_with_a_zero_pivot_gives_inf_not_an_error():
    x = _np(la.triangular_solve(np.array([[0.0, 0.0], [1.0, 1.0]]), np.ones((2, 1)),
                                left_side=True, lower=True))
    assert not np.all(np.isfinite(x))


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 3), (1, 1), (0, 0), (3, 0)])
def test_lu_factors_the_row_permuted_matrix(shape):
    rng = _rng(3)
    x = rng.standard_normal(shape)
    lu, pivots, perm = (_np(o) for o in la.lu(x))
    m, n = shape[-2:]
    k = min(m, n)
    assert pivots.dtype == np.int32 and perm.dtype == np.int32
    assert pivots.shape == shape[:-2] + (k,) and perm.shape == shape[:-2] + (m,)
    lower = np.tril(lu[..., :, :k], -1) + np.eye(m, k)
    upper = np.triu(lu[..., :k, :])
    assert np.all(np.abs(lower) <= 1 + 1e-12)  # partial pivoting
    permuted = np.take_along_axis(x, perm[..., :, None].astype(np.int64), axis=-2)
    _close(lower @ upper, permuted, scale=10)
    for idx in np.ndindex(*shape[:-2]):  # the swaps of ``pivots`` give ``permutation``
        order = np.arange(m)
        for i, p in enumerate(pivots[idx]):
            order[[i, p]] = order[[p, i]]
        np.testing.assert_array_equal(order, perm[idx])


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 4, 2), (1, 1), (0, 0), (0, 3)])
@pytest.mark.parametrize("full_matrices", [True, False])
def test_qr_is_orthonormal_times_upper(shape, full_matrices):
    x = _rng(4).standard_normal(shape)
    q, r = (_np(o) for o in la.qr(x, full_matrices=full_matrices))
    m, n = shape[-2:]
    k = m if full_matrices else min(m, n)
    assert q.shape == shape[:-2] + (m, k) and r.shape == shape[:-2] + (k, n)
    _close(_mT(q) @ q, np.broadcast_to(np.eye(k), shape[:-2] + (k, k)))
    _close(q @ r, x, scale=10)
    np.testing.assert_array_equal(np.tril(r, -1), 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lower", [True, False])
def test_eigh_diagonalises_the_triangle_it_reads(dtype, lower):
    rng = _rng(5)
    a = _symmetric_separated(rng, 4, (3,))
    junk = (np.triu if lower else np.tril)(rng.uniform(-50, 50, a.shape), 1 if lower else -1)
    stored = (((np.tril if lower else np.triu)(a)) + junk).astype(dtype)
    v, w = (_np(o) for o in la.eigh(stored, lower=lower, symmetrize_input=False))
    assert v.dtype == dtype and w.dtype == dtype
    assert np.all(np.diff(w, axis=-1) > 0)  # ascending
    a = a.astype(dtype)
    _close(a @ v, v * w[..., None, :], dtype, scale=10)
    _close(_mT(v) @ v, np.broadcast_to(np.eye(4), (3, 4, 4)), dtype)
    _close(w, np.linalg.eigvalsh(a.astype(F64)), dtype, scale=10)


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 2), (1, 1), (0, 0), (0, 2)])
@pytest.mark.parametrize("full_matrices", [True, False])
def test_svd_reconstructs(shape, full_matrices):
    x = _rng(6).standard_normal(shape)
    u, s, vt = (_np(o) for o in la.svd(x, full_matrices=full_matrices))
    m, n = shape[-2:]
    k = min(m, n)
    assert np.all(s >= 0) and np.all(np.diff(s, axis=-1) <= 0)
    _close(s, np.linalg.svd(x, compute_uv=False), scale=10)
    _close((u[..., :, :k] * s[..., None, :]) @ vt[..., :k, :], x, scale=10)
    for q in (u, _mT(vt)):
        _close(_mT(q) @ q, np.broadcast_to(np.eye(q.shape[-1]), q.shape[:-2] + (q.shape[-1],) * 2))
    only_s = _np(la.svd(x, compute_uv=False))
    _close(only_s, s, scale=10)


# ---------------------------------------------------------------------------------------------
# Derivatives: check_grads (order 2, forward and reverse), jacfwd vs jacrev, closed forms
# ---------------------------------------------------------------------------------------------

def _grads(f, *args):
    check_grads(f, args, order=2, modes=("fwd", "rev"))


def test_cholesky_grads():
    a = spd_matrix(_rng(10), 4)
    # the primitive itself: a tangent in the upper triangle has no effect (it is not read)
    _grads(lambda x: la.cholesky(x, symmetrize_input=False), a)
    _grads(lambda x: la.cholesky(x), _stack((2,), lambda: spd_matrix(_rng(11), 3)))


@pytest.mark.parametrize("left_side, lower, transpose_a, unit_diagonal",
                         list(itertools.product([True, False], repeat=4)))
def test_triangular_solve_grads(left_side, lower, transpose_a, unit_diagonal):
    rng = _rng(12)
    a = rng.uniform(-0.5, 0.5, (3, 3)) + 2.0 * np.eye(3)
    b = rng.standard_normal((3, 2) if left_side else (2, 3))
    _grads(lambda a, b: la.triangular_solve(a, b, left_side=left_side, lower=lower,
                                            transpose_a=transpose_a,
                                            unit_diagonal=unit_diagonal), a, b)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 3)])
def test_lu_grads(shape):
    x = _rng(13).standard_normal(shape) + 2.0 * np.eye(*shape[-2:])[::-1]
    _grads(lambda x: la.lu(x)[0], x)


@pytest.mark.parametrize("shape, full_matrices", [((3, 3), True), ((3, 3), False),
                                                  ((4, 2), False), ((2, 4, 3), False)])
def test_qr_grads(shape, full_matrices):
    x = _stack(shape[:-2], lambda: conditioned_matrix(_rng(14), *shape[-2:]))
    _grads(lambda x: la.qr(x, full_matrices=full_matrices), x)


def test_eigh_grads():
    a = _symmetric_separated(_rng(15), 4, (2,))
    _grads(lambda x: (lambda v, w: (v * v, w))(*la.eigh(x)), a)
    for lower in (True, False):  # the primitive on the triangle it reads
        _grads(lambda x: la.eigh(x, lower=lower, symmetrize_input=False)[1], a[0])


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 2)])
def test_svd_grads(shape):
    x = _stack(shape[:-2], lambda: conditioned_matrix(_rng(16), *shape[-2:]))
    _grads(lambda x: la.svd(x, compute_uv=False), x)

    def invariants(x):
        u, s, vt = la.svd(x, full_matrices=False)
        return s, u * u, vt * vt, (u * s[..., None, :]) @ vt
    _grads(invariants, x)
    if shape[-1] == shape[-2]:
        _grads(lambda x: (lambda u, s, vt: (u * u, vt * vt))(*la.svd(x)), x)


@pytest.mark.parametrize("name, f, make", [
    ("cholesky", lambda x: la.cholesky(x), lambda r: spd_matrix(r, 3)),
    ("triangular_solve", lambda x: la.triangular_solve(x, x[:, :2] * 1.0, left_side=True,
                                                       lower=True), lambda r: 3 * np.eye(3)
     + r.uniform(-1, 1, (3, 3))),
    ("lu", lambda x: la.lu(x)[0], lambda r: r.standard_normal((3, 3)) + 3 * np.eye(3)[::-1]),
    ("qr", lambda x: la.qr(x, full_matrices=False)[1], lambda r: conditioned_matrix(r, 4, 3)),
    ("eigh", lambda x: la.eigh(x)[1], lambda r: _symmetric_separated(r, 3)),
    ("svd", lambda x: la.svd(x, compute_uv=False), lambda r: conditioned_matrix(r, 3, 4)),
])
def test_jacfwd_equals_jacrev(name, f, make):
    x = make(_rng(17))
    np.testing.assert_allclose(_np(fnx.jacfwd(f)(x)), _np(fnx.jacrev(f)(x)), rtol=1e-10,
                               atol=1e-10, err_msg=name)


def test_closed_form_gradients():
    rng = _rng(18)
    a = spd_matrix(rng, 4)
    logdet = fnx.grad(lambda x: 2.0 * jnp.sum(jnp.log(jnp.diagonal(la.cholesky(x)))))
    _close(logdet(a), np.linalg.inv(a), scale=10)  # d log det A = A^-T
    trace = fnx.grad(lambda x: jnp.sum(la.eigh(x)[1]))
    _close(trace(_symmetric_separated(rng, 4)), np.eye(4))
    x = conditioned_matrix(rng, 4, 3)
    u, _, vt = np.linalg.svd(x, full_matrices=False)
    nuclear = fnx.grad(lambda x: jnp.sum(la.svd(x, compute_uv=False)))
    _close(nuclear(x), u @ vt)
    hess = fnx.hessian(lambda x: jnp.sum(la.triangular_solve(x, np.ones((2, 1)), left_side=True,
                                                             lower=True)))(np.diag([2.0, 4.0]))
    # f = 1/x00 + (1 - x10/x00)/x11: d2f/dx00^2 = 2/x00^3 - 2 x10/(x00^3 x11) = 1/4 here
    assert abs(float(_np(hess)[0, 0, 0, 0]) - 2.0 / 8.0) < 1e-12


def test_repeated_eigenvalues_give_a_nonfinite_eigenvector_derivative():
    # JAX's documented behaviour: 1 / (w_j - w_i) is inf for a repeated eigenvalue
    _, (dv, dw) = fnx.jvp(la.eigh, (np.eye(3),), (np.ones((3, 3)),))
    assert np.all(np.isfinite(_np(dw))) and not np.all(np.isfinite(_np(dv)))


@pytest.mark.parametrize("f, shape, needle", [
    (lambda x: la.qr(x, full_matrices=False), (2, 4), "m >= n"),
    (lambda x: la.qr(x, full_matrices=True), (4, 2), "full_matrices=True"),
    (lambda x: la.svd(x, full_matrices=True), (4, 2), "full_matrices=True"),
])
def test_unsupported_derivatives_raise_a_clear_error(f, shape, needle):
    x = conditioned_matrix(_rng(19), *shape)
    with pytest.raises(DerivativeNotImplementedError, match=needle) as info:
        fnx.jvp(f, (x,), (np.ones(shape),))
    assert isinstance(info.value, NotImplementedError) and str(shape) in str(info.value)
    f(x)  # the decomposition itself is fine


# ---------------------------------------------------------------------------------------------
# vmap against a loop, jit against eager
# ---------------------------------------------------------------------------------------------

def _loop(f, args, in_axes):
    size = next(np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None)
    outs = [f(*[a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, in_axes)])
            for i in range(size)]
    return [np.stack([_np(o[j]) for o in outs]) for j in range(len(outs[0]))]


@pytest.mark.parametrize("left_side", [True, False])
@pytest.mark.parametrize("in_axes", [(None, 0), (None, 1), (None, 2), (0, None), (2, 1)])
def test_vmap_triangular_solve_with_the_batch_axis_anywhere(left_side, in_axes):
    rng = _rng(20)
    a = np.tril(rng.uniform(-0.5, 0.5, (3, 3))) + 2 * np.eye(3)
    b = rng.standard_normal((3, 2) if left_side else (2, 3))
    a_batched = np.stack([a + 0.1 * i for i in range(4)], axis=in_axes[0] or 0)
    b_batched = np.stack([b * (i + 1) for i in range(4)], axis=in_axes[1] or 0)
    args = [a if in_axes[0] is None else a_batched, b if in_axes[1] is None else b_batched]

    def f(a, b):
        return [la.triangular_solve(a, b, left_side=left_side, lower=True, transpose_a=True)]
    got = fnx.vmap(lambda a, b: f(a, b)[0], in_axes=in_axes)(*args)
    _close(got, _loop(f, args, in_axes)[0])


@pytest.mark.parametrize("name, f, make", [
    ("cholesky", lambda x: [la.cholesky(x)], lambda r: spd_matrix(r, 3)),
    ("lu", lambda x: list(la.lu(x)), lambda r: r.standard_normal((3, 4))),
    ("qr", lambda x: list(la.qr(x)), lambda r: conditioned_matrix(r, 4, 3)),
    ("eigh", lambda x: list(la.eigh(x)), lambda r: _symmetric_separated(r, 3)),
    ("svd", lambda x: list(la.svd(x, full_matrices=False)), lambda r: conditioned_matrix(r, 2, 3)),
])
def test_vmap_and_jit_match_a_loop_and_eager(name, f, make):
    rng = _rng(21)
    x = np.stack([make(rng) for _ in range(3)], axis=1)  # batch axis 1
    got = fnx.vmap(f, in_axes=1)(x)
    want = _loop(f, [x], [1])
    for g, w in zip(got, want):
        np.testing.assert_allclose(_np(g), w, rtol=1e-12, atol=1e-12, err_msg=name)
    jitted, eager = fnx.jit(f)(x[:, 0]), f(x[:, 0])
    for g, w in zip(jitted, eager):
        np.testing.assert_allclose(_np(g), _np(w), rtol=1e-12, atol=1e-12, err_msg=name)


def test_jit_of_grad_matches_eager_grad():
    a = spd_matrix(_rng(22), 3)

    def loss(x):
        chol = la.cholesky(x)
        v, w = la.eigh(x)
        return jnp.sum(chol * chol) + jnp.sum(w * w) + jnp.sum(la.svd(x, compute_uv=False))
    np.testing.assert_allclose(_np(fnx.jit(fnx.grad(loss))(a)), _np(fnx.grad(loss)(a)),
                               rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, needles", [
    (lambda: la.cholesky(np.ones((2, 3))), ("cholesky", "square", "float64[2, 3]")),
    (lambda: la.cholesky(np.ones((3, 3), np.int32)), ("cholesky", "int32[3, 3]")),
    (lambda: la.triangular_solve(np.eye(3), np.ones((2, 2)), left_side=True),
     ("triangular_solve", "float64[3, 3]", "float64[2, 2]")),
    (lambda: la.triangular_solve(np.eye(3, dtype=np.float32), np.ones((3, 1))),
     ("triangular_solve", "float32", "float64")),
    (lambda: la.lu(np.ones(3)), ("lu", "float64[3]")),
    (lambda: la.qr(np.ones((2, 2), np.int32)), ("qr", "int32[2, 2]")),
    (lambda: la.eigh(np.ones((2, 3))), ("eigh", "square", "float64[2, 3]")),
    (lambda: la.svd(np.ones(4, np.float32)), ("svd", "float32[4]")),
])
def test_bad_input_is_a_clear_error(call, needles):
    with pytest.raises(FnxError) as info:
        call()
    assert isinstance(info.value, (TypeError, ValueError))
    for needle in needles:
        assert needle in str(info.value), str(info.value)


# ---------------------------------------------------------------------------------------------
# The spec table's sign alignment
# ---------------------------------------------------------------------------------------------

def test_alignment_repairs_signs_and_completions_only():
    rng = _rng(23)
    x = conditioned_matrix(rng, 5, 3)
    q, r = np.linalg.qr(x, mode="complete")
    flip = np.diag([1.0, -1.0, -1.0, 1.0, 1.0])
    turn = np.eye(5)
    turn[3:, 3:] = [[0.6, -0.8], [0.8, 0.6]]  # another basis of the completion
    aligned = align_qr([q @ flip @ turn, flip @ r], [q, r])
    np.testing.assert_allclose(aligned[0], q, atol=1e-12)
    np.testing.assert_allclose(aligned[1], r, atol=1e-12)
    wrong = align_qr([q @ np.diag([1.0, 1.0, 1.0, 1.0, 1.0])[:, [1, 0, 2, 3, 4]], r], [q, r])
    assert not np.allclose(wrong[0], q, atol=1e-3)

    u, s, vt = np.linalg.svd(x)
    signs = np.array([-1.0, 1.0, -1.0])
    got = align_svd([s, u * np.r_[signs, 1.0, 1.0], vt * signs[:, None]], [s, u, vt])
    np.testing.assert_allclose(got[1], u, atol=1e-12)
    np.testing.assert_allclose(got[2], vt, atol=1e-12)
    # u flipped without v is a different (wrong) decomposition: it stays different
    bad = align_svd([s, u * np.r_[signs, 1.0, 1.0], vt], [s, u, vt])
    assert not np.allclose(bad[2], vt, atol=1e-3)

    w, v = np.linalg.eigh(_symmetric_separated(rng, 3))
    np.testing.assert_allclose(align_eigh([-v, w], [v, w])[0], v, atol=1e-12)
    assert not np.allclose(align_eigh([v[:, ::-1], w], [v, w])[0], v, atol=1e-3)
