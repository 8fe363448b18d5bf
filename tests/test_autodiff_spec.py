"""Gradients of every differentiable row of the spec tables (``tests/spec_lax.py``,
``tests/spec_numpy.py``) under ``fnx.test_util.check_grads``:

* float64: forward and reverse mode to order 2 (JVP vs finite differences, VJP vs JVP, and the
  same for the JVP / VJP functions themselves);
* float32: a smoke test at order 1 with float32's looser tolerances.

The structure of each case (shapes, axes, params, index operands, broadcasting, Python scalars)
comes from the row's own hypothesis strategy; the *values* of the differentiated operands are
then redrawn in the function's smooth domain (``DOMAINS``): distinct values (no ties for
max/min/sort/median...), magnitudes kept away from 0 (abs, sign, division, cbrt), positive
inputs for log/sqrt/pow, |x| < 1 for arcsin/arctanh/erf_inv, rem/mod operands away from the
jumps.  Python scalars at differentiable positions are redrawn the same way (they stay static).
Cases the function rejects (e.g. the max of an empty array) or whose value is not finite are
skipped by hypothesis.  The decompositions (cholesky, triangular_solve, lu, qr, eigh, svd, eig) are
differentiated through a smooth map of those values into a well-conditioned domain (a positive
definite matrix, far-apart pivots, separated eigen / singular values: ``RowConfig.prepare``), and
eigen / singular vectors through sign-invariant functions of them (``RowConfig.finish``); qr and
svd draw only the cases their JVP supports (as in JAX: no wide qr, no full_matrices u / vt of a
non-square matrix).

A row whose differentiation rule is missing fails (NotImplementedError): a missing rule is a bug.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

import fnx.numpy as jnp  # (also installs the array methods)
from fnx import dtypes as fnx_dtypes
from fnx.core import Array, ArrayBase
from fnx.test_util import check_grads, to_numpy

import spec_lax
import spec_numpy

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)
C128 = np.dtype(np.complex128)

# examples per (row, dtype): default profile (25) -> 8 (float64, order 2) and 4 (float32, order 1);
# explore profile (100) -> 33 and 16
_N64 = max(3, settings.default.max_examples // 3)
_N32 = max(2, settings.default.max_examples // 6)


# ---------------------------------------------------------------------------------------------
# Smooth domains
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Domain:
    """Magnitudes in [lo, hi] (random signs when ``signed``); every value drawn for one
    domain in one case is distinct, at least ~0.8 (hi - lo) / n from the others."""
    lo: float
    hi: float
    signed: bool = True


DEFAULT = Domain(0.25, 3.0)
POSITIVE = Domain(0.25, 2.0, False)
OPEN_UNIT = Domain(0.05, 0.85)       # higher derivatives blow up near +-1
LOG1P = Domain(0.05, 0.7)
GE1 = Domain(1.2, 3.0, False)
NEAR_ONE = Domain(0.5, 1.5)          # products of up to 64 of them stay representable
TAN = Domain(0.05, 1.2)
WEIGHTS = Domain(0.5, 1.5, False)


def _rem_domains(rng):
    """rem / mod / fmod: |x / y| well inside (0, 1) or (2, 3), away from the jumps."""
    if rng.random() < 0.5:
        return [Domain(0.25, 2.0), Domain(2.5, 4.0)]
    return [Domain(4.5, 4.8), Domain(1.65, 1.75)]


# per row name (both tables): a Domain for every value operand, a list (one per value operand,
# the last one repeating), or a function rng -> list
DOMAINS: dict[str, object] = {}
for _n in ("log", "log2", "log10", "sqrt", "rsqrt", "lgamma", "digamma"):
    DOMAINS[_n] = POSITIVE
for _n in ("asin", "acos", "atanh", "arcsin", "arccos", "arctanh", "erf_inv"):
    DOMAINS[_n] = OPEN_UNIT
DOMAINS["log1p"] = LOG1P
for _n in ("acosh", "arccosh"):
    DOMAINS[_n] = GE1
for _n in ("reduce_prod", "cumprod", "prod", "nanprod", "scatter-mul"):
    DOMAINS[_n] = NEAR_ONE
for _n in ("rem", "remainder", "mod", "fmod"):
    DOMAINS[_n] = _rem_domains
DOMAINS["tan"] = TAN
DOMAINS["pow"] = DOMAINS["power"] = DOMAINS["float_power"] = [POSITIVE, Domain(0.25, 2.0)]
DOMAINS["integer_pow"] = NEAR_ONE
DOMAINS["average"] = [DEFAULT, WEIGHTS]
# igamma family, zeta: a / x (zeta's s) static (no second derivative in a; none at all in s);
# the differentiated x (zeta's q) positive
for _n in ("igamma", "igammac", "igamma_grad_a", "zeta"):
    DOMAINS[_n] = Domain(0.25, 4.0, False)


def _distinct(rng, n: int, d: Domain) -> np.ndarray:
    width = (d.hi - d.lo) / max(n, 1)
    cells = rng.permutation(n)
    mags = d.lo + width * (cells + 0.5 + rng.uniform(-0.1, 0.1, n))
    if d.signed:
        mags = mags * rng.choice([-1.0, 1.0], n)
    return mags


# ---------------------------------------------------------------------------------------------
# Per-row adjustments
# ---------------------------------------------------------------------------------------------

@dataclass
class RowConfig:
    static: tuple = ()                       # operand positions never differentiated
    params: Callable | None = None           # params/kwargs -> params/kwargs
    accept: Callable | None = None           # (case, outputs) -> bool: a smooth point?
    tol: Callable | None = None              # (case, dtype) -> check_grads atol/rtol/eps
    cases: Callable | None = None            # dtype -> strategy, instead of the row's own
    # (params, differentiated operands) -> operands: a differentiable map (fnx ops) into a
    # well-conditioned domain (a positive definite matrix from any values, ...)
    prepare: Callable | None = None
    # (params, outputs) -> what is differentiated: sign-invariant functions of eigen /
    # singular vectors, which are unique only up to sign
    finish: Callable | None = None


def _small_integer_pow(params):
    y = params["y"]
    return dict(params, y=y if -3 <= y <= 6 else y % 5)


def _convert_tol(case, dtype):
    """float64 -> float32 -> ...: the function is float32-accurate, it is also linear, so a
    large step costs no truncation error and drowns the float32 rounding."""
    new = np.dtype(case.params["new_dtype"])
    if new.kind == "f" and np.finfo(new).eps > np.finfo(dtype).eps:
        return {"eps": 1e-2, "atol": 1e-4, "rtol": 1e-4}
    return {}


def _convert_to_float_cases(dtype):
    """convert_element_type to a float dtype: the row's own strategy draws the target from every
    dtype, and a conversion to int or bool has no float output to differentiate (its cotangent
    is float0), so 7 in 9 of its cases were filtered out (hypothesis's filter_too_much health
    check failed on it). The non-float targets are covered by test_lax_backends."""
    floats = [d for d in fnx_dtypes.SUPPORTED if np.dtype(d).kind == "f"]

    @st.composite
    def case(draw):
        base = draw(spec_lax.convert_cases(dtype))
        return spec_lax.LaxCase(base.operands, dict(base.params,
                                                    new_dtype=draw(st.sampled_from(floats))))
    return case()


def _moderate_zeta_order(case, outs):
    """zeta(s, q) with a large static s is q^-s-steep: finite differences lose the digits."""
    return bool(np.all(to_numpy(case.operands[0]) <= 16.0))


def _std_positive(case, outs):
    return all(np.all(to_numpy(o) > 1e-3) for o in outs)


# -- decompositions: a smooth, well-conditioned map of arbitrary values (magnitudes 0.25..3,
# so a 4 x 4 block has a 2-norm below 12), sign-invariant outputs ---------------------------

def _fixed_orthogonal(n, dtype, seed):
    """A constant orthogonal n x n matrix (singular vectors in general position)."""
    return jnp.asarray(spec_lax.orthonormal(np.random.default_rng(seed), n, n).astype(dtype))


def _mT(x):
    return jnp.swapaxes(x, -1, -2)


def _positive_definite(params, x):
    """x x^T / n + I (eigenvalues in [1, 1 + 9 n]) in the lower triangle the primitive reads,
    x's own values in the strict upper one (their derivative must come out zero)."""
    n = x.shape[-1]
    spd = x @ _mT(x) * (1.0 / max(n, 1)) + jnp.eye(n, dtype=x.dtype)
    return (jnp.tril(spd) + jnp.triu(x, 1),)


def _well_conditioned_triangle(params, a, b):
    return (a * 0.25 + 3.0 * jnp.eye(a.shape[-1], dtype=a.dtype), b)


def _pivoted(params, x):
    """Pivots far apart: 3 on a reversed identity, so the pivot order is fixed near x."""
    m, n = x.shape[-2:]
    return (x * 0.25 + jnp.asarray(3.0 * np.eye(m, n)[::-1].astype(x.dtype)),)


def _rotated_diagonal(params, x):
    """Q1 (0.05 x + D) Q2 with D's diagonal 10, 7, 4, 1.5: singular values >= 0.9, >= 1.3
    apart (0.05 x has a 2-norm below 0.6)."""
    m, n = x.shape[-2:]
    d = np.zeros((m, n))
    k = min(m, n)
    d[np.arange(k), np.arange(k)] = [10.0, 7.0, 4.0, 1.5][:k]
    core = x * 0.05 + jnp.asarray(d.astype(x.dtype))
    return (_fixed_orthogonal(m, x.dtype, 1) @ core @ _fixed_orthogonal(n, x.dtype, 2),)


def _separated_symmetric(params, x):
    """Q (0.05 (x + x^T) + diag(0, 3, 6, 9)) Q^T (eigenvalues >= 1.8 apart) in the triangle
    the primitive reads, x's values in the other one."""
    n = x.shape[-1]
    q = _fixed_orthogonal(n, x.dtype, 3)
    core = (x + _mT(x)) * 0.05 + jnp.asarray(np.diag(3.0 * np.arange(n)).astype(x.dtype))
    sym = q @ core @ q.T
    if params["lower"]:
        return (jnp.tril(sym) + jnp.triu(x, 1),)
    return (jnp.triu(sym) + jnp.tril(x, -1),)


def _separated_general(params, x):
    """Q (0.05 x + diag(0, 3, 6, 9)) Q^T: a non-symmetric matrix with real eigenvalues about
    3 apart (well-conditioned eigenvectors)."""
    n = x.shape[-1]
    q = _fixed_orthogonal(n, x.dtype, 4)
    core = x * 0.05 + jnp.asarray(np.diag(3.0 * np.arange(n)).astype(x.dtype))
    return (q @ core @ q.T,)


def _eig_real_parts(params, out):
    """eig's complex outputs as real ones: w's parts and |v|^2 (phase-invariant)."""
    parts = [jnp.real(out[0]), jnp.imag(out[0])]
    if params["compute_right_eigenvectors"]:
        parts.append(jnp.abs(out[1]) ** 2)
    return parts


def _squared_eigenvectors(params, out):
    v, w = out
    return v * v, w


def _squared_singular_vectors(params, out):
    if not params["compute_uv"]:
        return out
    s, u, vt = out
    return s, u * u, vt * vt


CONFIG = {
    ("lax", "cholesky"): RowConfig(prepare=_positive_definite),
    ("lax", "triangular_solve"): RowConfig(prepare=_well_conditioned_triangle),
    ("lax", "lu"): RowConfig(prepare=_pivoted),
    ("lax", "qr"): RowConfig(prepare=_rotated_diagonal, cases=spec_lax.qr_jvp_cases),
    ("lax", "eigh"): RowConfig(prepare=_separated_symmetric, finish=_squared_eigenvectors),
    ("lax", "svd"): RowConfig(prepare=_rotated_diagonal, finish=_squared_singular_vectors,
                              cases=spec_lax.svd_jvp_cases),
    ("lax", "eig"): RowConfig(prepare=_separated_general, finish=_eig_real_parts),
    ("lax", "integer_pow"): RowConfig(params=_small_integer_pow),
    ("lax", "convert_element_type"): RowConfig(tol=_convert_tol, cases=_convert_to_float_cases),
    ("lax", "igamma"): RowConfig(static=(0,)),
    ("lax", "igammac"): RowConfig(static=(0,)),
    ("lax", "igamma_grad_a"): RowConfig(static=(0,)),
    ("lax", "zeta"): RowConfig(static=(0,), accept=_moderate_zeta_order),
    ("numpy", "where"): RowConfig(static=(0,)),
    ("numpy", "take"): RowConfig(static=(1,)),
    ("numpy", "take_along_axis"): RowConfig(static=(1,)),
    ("numpy", "quantile"): RowConfig(static=(1,)),
    ("numpy", "percentile"): RowConfig(static=(1,)),
    ("numpy", "std"): RowConfig(accept=_std_positive),
}


# ---------------------------------------------------------------------------------------------
# Building a smooth case from a row's case
# ---------------------------------------------------------------------------------------------

def _operands(case):
    return list(case.operands) if isinstance(case, spec_lax.LaxCase) else list(case.args)


def _with_operands(case, ops, params):
    if isinstance(case, spec_lax.LaxCase):
        return spec_lax.LaxCase(tuple(ops), params)
    return spec_numpy.NumpyCase(tuple(ops), params)


def _params(case):
    return case.params if isinstance(case, spec_lax.LaxCase) else case.kwargs


def _value_positions(table, case, cfg):
    """Operands whose values are redrawn: float arrays (lax), or any array / Python scalar
    (numpy: int and bool arrays become ``dtype`` arrays), minus the row's static ones."""
    out = []
    for i, a in enumerate(_operands(case)):
        if i in cfg.static or a is None:
            continue
        if isinstance(a, ArrayBase):
            if table == "lax" and a.dtype.kind not in "fc":
                continue
            out.append(i)
        elif table == "numpy" and isinstance(a, (bool, int, float)):
            out.append(i)
    return out


# -- fnx.numpy.linalg rows: the same well-conditioned maps ------------------------------------

def _np_well_conditioned(params, a, *rest):
    """0.25 a + 3 I: a matrix whose LU pivots and inverse stay far from singular."""
    return (a * 0.25 + 3.0 * jnp.eye(a.shape[-1], dtype=a.dtype), *rest)


def _np_positive_definite(params, x):
    """x x^T / n + I (numpy.linalg.cholesky reads the whole, symmetric, matrix)."""
    n = x.shape[-1]
    return (x @ _mT(x) * (1.0 / max(n, 1)) + jnp.eye(n, dtype=x.dtype),)


def _np_separated_symmetric(params, x):
    n = x.shape[-1]
    q = _fixed_orthogonal(n, x.dtype, 3)
    core = (x + _mT(x)) * 0.05 + jnp.asarray(np.diag(3.0 * np.arange(n)).astype(x.dtype))
    return (q @ core @ q.T,)


def _np_rotated_diagonal(params, a, *rest):
    return (*_rotated_diagonal(params, a), *rest)


def _positive_output(case, outs):
    """A norm is not differentiable at 0 (an empty or zero operand): skip those points."""
    return all(np.all(to_numpy(o) > 1e-3) for o in outs)


def _smooth_norm(case, outs):
    """A positive norm, and not the spectral / nuclear matrix norm: those need separated
    singular values, which a drawn matrix does not have (their derivatives are checked on
    prepared matrices in tests/test_numpy_linalg.py)."""
    kw = case.kwargs
    axis = kw.get("axis")
    matrix = (np.ndim(axis) == 1 and len(axis) == 2) or (axis is None and case.args[0].ndim == 2)
    return _positive_output(case, outs) and not (matrix and kw.get("ord") in (2, -2, "nuc"))


def _smooth_matrix_norm(case, outs):
    return _positive_output(case, outs) and case.kwargs.get("ord") not in (2, -2, "nuc")


def _tall_matrix_cases(dtype):
    """qr's derivative exists for m >= n (JAX's too): tall or square matrices, batched or not."""
    @st.composite
    def case(draw):
        m = draw(st.integers(1, 4))
        n = draw(st.integers(1, m))
        batch = draw(st.sampled_from([(), (2,)]))
        values = np.asarray(draw(st.lists(st.floats(-3, 3), min_size=int(np.prod(batch + (m, n))),
                                          max_size=int(np.prod(batch + (m, n))))))
        x = Array(values.reshape(batch + (m, n)).astype(dtype))
        return spec_numpy.NumpyCase((x,), {})
    return case()


CONFIG.update({
    ("numpy", "linalg.solve"): RowConfig(prepare=_np_well_conditioned),
    ("numpy", "linalg.inv"): RowConfig(prepare=_np_well_conditioned),
    ("numpy", "linalg.det"): RowConfig(prepare=_np_well_conditioned),
    ("numpy", "linalg.slogdet"): RowConfig(prepare=_np_well_conditioned),
    ("numpy", "linalg.matrix_power"): RowConfig(prepare=_np_well_conditioned),
    ("numpy", "linalg.cond"): RowConfig(prepare=_np_rotated_diagonal),
    ("numpy", "linalg.cholesky"): RowConfig(prepare=_np_positive_definite),
    ("numpy", "linalg.eigvalsh"): RowConfig(prepare=_np_separated_symmetric),
    ("numpy", "linalg.svdvals"): RowConfig(prepare=_np_rotated_diagonal),
    ("numpy", "linalg.pinv"): RowConfig(prepare=_np_rotated_diagonal),
    ("numpy", "linalg.lstsq"): RowConfig(prepare=_np_rotated_diagonal),
    ("numpy", "linalg.qr"): RowConfig(prepare=_np_rotated_diagonal, cases=_tall_matrix_cases),
    ("numpy", "linalg.norm"): RowConfig(accept=_smooth_norm),
    ("numpy", "linalg.vector_norm"): RowConfig(accept=_positive_output),
    ("numpy", "linalg.matrix_norm"): RowConfig(accept=_smooth_matrix_norm),
})


def _domains_for(name, rng, n):
    spec = DOMAINS.get(name, DEFAULT)
    if callable(spec):
        spec = spec(rng)
    if isinstance(spec, Domain):
        return [spec] * n
    return [spec[min(i, len(spec) - 1)] for i in range(n)]


def smooth_case(table, row, case, dtype, seed):
    """(function of the differentiated operands, their values, the rebuilt case)."""
    cfg = CONFIG.get((table, row.name), RowConfig())
    rng = np.random.default_rng(seed)
    params = _params(case)
    if cfg.params is not None:
        params = cfg.params(params)
    ops = _operands(case)
    positions = _value_positions(table, case, cfg)
    domains = _domains_for(row.name, rng, len(positions))
    # one pool of distinct values per domain, shared by all operands of that domain
    sizes = {}
    for p, d in zip(positions, domains):
        sizes[d] = sizes.get(d, 0) + (int(np.prod(np.shape(ops[p]))) if
                                      isinstance(ops[p], ArrayBase) else 1)
    pools = {d: iter(_distinct(rng, n, d)) for d, n in sizes.items()}
    diff_positions = []
    for p, d in zip(positions, domains):
        a = ops[p]
        if isinstance(a, ArrayBase):
            shape = tuple(a.shape)
            values = np.array([next(pools[d]) for _ in range(int(np.prod(shape)))],
                              dtype=np.float64).reshape(shape)
            if dtype.kind == "c":  # the domain's real parts, and imaginary parts half as big
                imag = rng.uniform(-0.5, 0.5, shape) * np.abs(values)
                values = values + 1j * imag
            values = values.astype(dtype)
            weak = bool(a.weak_type) and a.dtype == dtype
            ops[p] = Array(values, weak)
            diff_positions.append(p)
        else:  # a Python scalar: redrawn, still a static (weak) Python float
            ops[p] = float(next(pools[d]))
    new_case = _with_operands(case, ops, params)

    def f(*xs):
        if cfg.prepare is not None:
            xs = cfg.prepare(params, *xs)
        full = list(ops)
        for p, x in zip(diff_positions, xs):
            full[p] = x
        out = row.call(row.fn, _with_operands(case, full, params))
        return out if cfg.finish is None else cfg.finish(params, out)

    return f, tuple(ops[p] for p in diff_positions), new_case, cfg


def _float_leaves(out):
    from fnx import tree
    return [x for x in tree.leaves(out) if isinstance(x, ArrayBase) and x.dtype.kind in "fc"]


def check_row(table, row, case, dtype, seed, order):
    f, args, new_case, cfg = smooth_case(table, row, case, dtype, seed)
    note(f"smooth case: {new_case!r}")
    assume(args)  # nothing to differentiate (e.g. only static float operands)
    try:
        out = f(*args)
    except (ValueError, TypeError, IndexError):
        # the function rejects this input (as numpy does, e.g. the max of an empty array):
        # not a gradient case (test_numpy_spec / test_lax_backends check the rejection)
        assume(False)
    outs = _float_leaves(out)
    assume(outs)  # no float output: nothing to compare
    assume(all(np.all(np.isfinite(to_numpy(o))) for o in outs))
    if cfg.accept is not None:
        assume(cfg.accept(new_case, outs))
    tol = cfg.tol(new_case, dtype) if cfg.tol is not None else {}
    check_grads(f, args, order=order, modes=("fwd", "rev"), **tol)


# ---------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------

LAX_ROWS = [r for r in spec_lax.SPECS if r.differentiable]
NUMPY_ROWS = [r for r in spec_numpy.SPECS if r.differentiable]
ROWS = ([pytest.param("lax", r, id=f"lax-{r.name}") for r in LAX_ROWS]
        + [pytest.param("numpy", r, id=f"numpy-{r.name}") for r in NUMPY_ROWS])


def _strategy(table, row, dtype):
    cfg = CONFIG.get((table, row.name))
    if cfg is not None and cfg.cases is not None:
        return cfg.cases(dtype)
    if table == "lax":
        return row.cases(dtype)
    return row.strategy(dtype, "any")


def _accepts(row, dtype):
    return any(np.dtype(d) == dtype for d in row.dtypes)


@pytest.mark.parametrize("table, row", ROWS)
@settings(max_examples=_N64)
@given(data=st.data())
def test_grads_float64_order2(table, row, data):
    if not (_accepts(row, F64) or _accepts(row, F32)):
        pytest.skip(f"{row.name} has no float dtype (test_grads_complex128_order1 covers it)")
    dtype = F64 if _accepts(row, F64) else F32
    case = data.draw(_strategy(table, row, dtype), label="case")
    seed = data.draw(st.integers(0, 2 ** 32 - 1), label="value seed")
    check_row(table, row, case, dtype, seed, order=2)


@pytest.mark.parametrize("table, row", ROWS)
@settings(max_examples=_N32)
@given(data=st.data())
def test_grads_float32_order1(table, row, data):
    if not _accepts(row, F32):
        pytest.skip(f"{row.name} does not accept float32")
    case = data.draw(_strategy(table, row, F32), label="case")
    seed = data.draw(st.integers(0, 2 ** 32 - 1), label="value seed")
    check_row(table, row, case, F32, seed, order=1)


# eigh / svd: their vectors' phases are fixed by the kernel's convention, which the rows'
# sign-invariant finishing maps do not remove; tests/test_linalg_complex.py checks their
# complex derivatives through phase-invariant functions instead
COMPLEX_ROWS = [pytest.param("lax", r, id=f"lax-{r.name}") for r in LAX_ROWS
                if _accepts(r, C128) and r.name not in ("eigh", "svd")]


@pytest.mark.parametrize("table, row", COMPLEX_ROWS)
@settings(max_examples=_N32)
@given(data=st.data())
def test_grads_complex128_order1(table, row, data):
    """Complex operands (real parts from the row's smooth domain, imaginary parts up to half
    their size): forward and reverse mode against finite differences, JAX's convention."""
    case = data.draw(_strategy(table, row, C128), label="case")
    seed = data.draw(st.integers(0, 2 ** 32 - 1), label="value seed")
    check_row(table, row, case, C128, seed, order=1)


def test_every_differentiable_row_is_covered():
    names = {("lax", r.name) for r in LAX_ROWS} | {("numpy", r.name) for r in NUMPY_ROWS}
    assert len(names) == len(ROWS)
    assert all(k in names for k in CONFIG), sorted(set(CONFIG) - names)
    known = {r.name for r in LAX_ROWS} | {r.name for r in NUMPY_ROWS}
    assert set(DOMAINS) <= known, sorted(set(DOMAINS) - known)


def test_smooth_values_are_distinct_and_in_domain():
    rng = np.random.default_rng(0)
    for d in (DEFAULT, POSITIVE, OPEN_UNIT, GE1):
        v = _distinct(rng, 500, d)
        assert np.all(np.abs(v) >= d.lo) and np.all(np.abs(v) <= d.hi)
        s = np.sort(v)
        assert np.min(np.diff(s)) > 0.7 * (d.hi - d.lo) / 500 or d.signed
        assert len(np.unique(np.abs(v))) == 500
    assert math.isfinite(float(np.sum(_distinct(rng, 64, NEAR_ONE))))
