"""Helpers the tests share, chiefly ``check_grads`` (JAX's ``jax.test_util.check_grads``).

``check_grads(f, args, order)`` checks the derivatives fnx computes for ``f`` at ``args``:

* mode ``"fwd"``: ``fnx.jvp(f, args, t)`` against a central finite difference
  ``(f(args + eps t) - f(args - eps t)) / 2 eps`` along a random direction ``t`` (computed in the
  arguments' own dtypes, as JAX does);
* mode ``"rev"``: the pullback of ``fnx.vjp`` against the forward derivative through the
  identity ``<ct, J t> == <J^T ct, t>`` for random ``ct`` and ``t``.  ``J t`` comes from
  ``fnx.jvp`` when ``"fwd"`` is also checked (so reverse mode is held to forward mode, which is
  itself held to finite differences), and from finite differences when only ``"rev"`` is asked
  for (e.g. a ``custom_vjp`` function, which has no forward mode);
* ``order=2`` checks the derivatives of the derivative functions themselves:
  ``(primals, tangents) -> fnx.jvp(f, primals, tangents)`` and
  ``primals -> vjp_fn(f(primals))`` (JAX's recursion), and so on for higher orders.

Complex arguments and outputs follow JAX's convention: tangents are complex, and the vjp is
the transpose of the (real-linear) JVP under the bilinear pairing ``<a, b> = Re(sum(a * b))``
(JAX's ``conj(vjp(conj(ct)))`` under the Hermitian one), so ``<vjp(ct), t> == <ct, J t>``
holds with that pairing.  Complex leaves perturb both parts (``t = n1 + i n2``).

Arguments may be pytrees of arrays (or Python scalars).  Integer and boolean leaves are not
differentiated: they get no perturbation and their (zero) derivatives are not compared.  Integer
and boolean outputs are skipped likewise.

Defaults (``eps``, tolerances) depend on the dtype.  ``eps``: 1e-4 for float64 (JAX's
``EPS``), 1e-3 for float32, where a smaller step would drown the difference in rounding (one
step for all arguments: that of the least precise float dtype among them).
Tolerances (``atol`` = ``rtol``): 1e-5 for float64 (JAX's), 1e-2 for float32 (JAX uses 2e-3 with
eps=1e-4, which float32 functions with values of size ~10 routinely fail).  A comparison uses
the loosest tolerance among the dtypes it involves.  To the finite-difference side we add its
own rounding noise, ``~ 4 u (|f(x+eps t)| + |f(x-eps t)|) / 2 eps`` (``u`` the unit roundoff),
so large function values with small derivatives do not fail spuriously; and the inner product
of the ``"rev"`` check is compared relative to the sum of the absolute values of its terms, so
cancellation in the sum does not fail it either.

``atol`` / ``rtol`` / ``eps`` may be given as one number or as a ``{dtype: value}`` dict.
"""
from __future__ import annotations

import functools

import numpy as np

from . import tree as tree_util
from .core import Array, ArrayBase

__all__ = ["check_grads", "check_jvp", "check_vjp", "numerical_jvp", "rand_like", "tolerance",
           "default_eps", "inner_product", "to_numpy", "is_float_leaf", "GradCheckError"]

DEFAULT_EPS = {np.dtype(np.float32): 1e-3, np.dtype(np.float64): 1e-4}
DEFAULT_GRAD_TOL = {np.dtype(np.float32): 1e-2, np.dtype(np.float64): 1e-5}


class GradCheckError(AssertionError):
    """A derivative computed by fnx disagrees with its reference."""


# ---------------------------------------------------------------------------------------------
# Leaves, dtypes, tolerances
# ---------------------------------------------------------------------------------------------

def _leaf_dtype(x) -> np.dtype:
    if isinstance(x, ArrayBase) or isinstance(x, np.ndarray):
        return np.dtype(x.dtype)
    if isinstance(x, bool):
        return np.dtype(np.bool_)
    if isinstance(x, int):
        return np.dtype(np.int32)
    if isinstance(x, float):
        return np.dtype(np.float32)  # fnx's default for Python floats
    return np.asarray(x).dtype


def is_float_leaf(x) -> bool:
    """A leaf that is differentiated: float or complex."""
    return _leaf_dtype(x).kind in "fc"


def _wide(dtype) -> np.dtype:
    """The float64 / complex128 a comparison of ``dtype`` values is computed in."""
    return np.dtype(np.complex128) if np.dtype(dtype).kind == "c" else np.dtype(np.float64)


def to_numpy(x) -> np.ndarray:
    """A numpy copy of an fnx array (or anything array-like)."""
    if isinstance(x, Array):
        return x.to_numpy()
    return np.array(x)


def _as_array(x):
    """Leaves of the user's args as fnx Arrays (Python scalars take fnx's default dtypes)."""
    if isinstance(x, ArrayBase):
        return x
    from . import numpy as fnp
    return fnp.asarray(x)


def _lookup(value, dtype, defaults):
    dtype = np.dtype(dtype)
    if value is None:
        return defaults.get(dtype, max(defaults.values()))
    if isinstance(value, dict):
        table = {np.dtype(k): v for k, v in value.items()}
        return table.get(dtype, defaults.get(dtype, max(defaults.values())))
    return float(value)


def tolerance(dtype, atol=None, rtol=None) -> tuple[float, float]:
    """``(atol, rtol)`` for comparing derivatives of ``dtype``."""
    return _lookup(atol, dtype, DEFAULT_GRAD_TOL), _lookup(rtol, dtype, DEFAULT_GRAD_TOL)


def default_eps(dtype, eps=None) -> float:
    """The finite-difference step for arguments of ``dtype``."""
    return _lookup(eps, dtype, DEFAULT_EPS)


def _loosest(dtypes_) -> np.dtype:
    """The least precise float dtype among ``dtypes_`` (a complex dtype counts as its real
    one: complex64 is float32-accurate)."""
    floats = [np.dtype(d) if np.dtype(d).kind == "f" else np.finfo(d).dtype
              for d in dtypes_ if np.dtype(d).kind in "fc"]
    if not floats:
        return np.dtype(np.float64)
    return max(floats, key=lambda d: float(np.finfo(d).eps))


def _eps_for_args(leaves, eps) -> float:
    dts = [_leaf_dtype(x) for x in leaves if is_float_leaf(x)]
    return default_eps(_loosest(dts) if dts else np.float64, eps)


# ---------------------------------------------------------------------------------------------
# Random directions and finite differences
# ---------------------------------------------------------------------------------------------

def _rng(seed_or_rng):
    if isinstance(seed_or_rng, np.random.Generator):
        return seed_or_rng
    return np.random.default_rng(seed_or_rng)


def rand_like(rng, x):
    """A standard-normal array with ``x``'s shape and dtype (zeros for integer/bool ``x``).

    ``rng``: a ``numpy.random.Generator`` or a seed.  Returns an fnx Array."""
    rng = _rng(rng)
    dtype = _leaf_dtype(x)
    shape = tuple(np.shape(x)) if not isinstance(x, ArrayBase) else tuple(x.shape)
    if dtype.kind == "c":
        parts = rng.standard_normal((2,) + shape)
        return Array(np.asarray(parts[0] + 1j * parts[1]).astype(dtype))
    if dtype.kind != "f":
        return Array(np.zeros(shape, dtype))
    return Array(np.asarray(rng.standard_normal(shape)).astype(dtype))


def _tree_rand_like(rng, tree):
    return tree_util.map(lambda x: rand_like(rng, x), tree)


def _perturb(x, t, scale: float):
    """``x + scale * t`` in x's dtype (integer/bool leaves unchanged)."""
    if not is_float_leaf(x):
        return x
    xv = to_numpy(_as_array(x))
    return Array((xv + np.asarray(scale, xv.dtype) * to_numpy(t).astype(xv.dtype))
                 .astype(xv.dtype))


def _numerical_jvp_with_noise(f, primals, tangents, eps):
    """(finite-difference JVP leaves, rounding-noise leaves, output tree)."""
    plus = tree_util.map(lambda x, t: _perturb(x, t, eps), primals, tangents)
    minus = tree_util.map(lambda x, t: _perturb(x, t, -eps), primals, tangents)
    f_pos, tree_pos = tree_util.flatten(f(*plus))
    f_neg, tree_neg = tree_util.flatten(f(*minus))
    if tree_pos != tree_neg:
        raise GradCheckError(f"numerical_jvp: f returned different structures at x + eps t and "
                             f"x - eps t: {tree_pos} vs {tree_neg}")
    jvps, noise = [], []
    for a, b in zip(f_pos, f_neg):
        a, b = to_numpy(a), to_numpy(b)
        if a.dtype.kind not in "fc":
            jvps.append(np.zeros(a.shape, a.dtype))
            noise.append(np.zeros(a.shape))
            continue
        with np.errstate(all="ignore"):
            # the difference in the output dtype (JAX's safe_sub), the scaling in float64
            d = (a - b).astype(_wide(a.dtype)) * (0.5 / eps)
            u = float(np.finfo(a.dtype).eps) / 2
            noise.append(4 * u * (np.abs(a.astype(_wide(a.dtype)))
                                  + np.abs(b.astype(_wide(b.dtype)))) / (2 * eps))
        jvps.append(d.astype(a.dtype))
    return jvps, noise, tree_pos


def numerical_jvp(f, primals, tangents, eps=None):
    """Central finite-difference JVP of ``f`` at ``primals`` along ``tangents`` (pytrees; the
    step is taken in each argument's dtype).  Returns numpy arrays in ``f``'s output tree."""
    primals, tangents = tuple(primals), tuple(tangents)
    eps = _eps_for_args(tree_util.leaves(primals), eps)
    jvps, _, tree = _numerical_jvp_with_noise(f, primals, tangents, eps)
    return tree_util.unflatten(tree, jvps)


def inner_product(xs, ys) -> tuple[float, float]:
    """(sum over float / complex leaves of Re <x, y> (bilinear: no conjugation, the pairing
    under which fnx's and JAX's vjp is the JVP's transpose), sum of |x_i y_i|) in float64."""
    total, magnitude = 0.0, 0.0
    for x, y in zip(tree_util.leaves(xs), tree_util.leaves(ys)):
        if not is_float_leaf(x) or not is_float_leaf(y):
            continue
        x64 = to_numpy(x).astype(np.complex128)
        y64 = np.broadcast_to(to_numpy(y).astype(np.complex128), x64.shape)
        with np.errstate(all="ignore"):
            prod = x64 * y64
        total += float(np.sum(prod.real))
        magnitude += float(np.sum(np.abs(prod)))
    return total, magnitude


# ---------------------------------------------------------------------------------------------
# Comparisons
# ---------------------------------------------------------------------------------------------

def _paths(tree) -> list[str]:
    """A readable path per leaf ('[0]', '[1]["w"]', ...), best effort."""
    out = []

    def walk(node, prefix):
        if isinstance(node, (tuple, list)):
            for i, c in enumerate(node):
                walk(c, f"{prefix}[{i}]")
        elif isinstance(node, dict):
            for k in sorted(node, key=repr):
                walk(node[k], f"{prefix}[{k!r}]")
        elif node is None:
            return
        else:
            out.append(prefix or "out")
    walk(tree, "")
    return out


def _check_close(actual_leaves, expected_leaves, noise_leaves, atol, rtol, what, paths,
                 input_dtypes=()):
    """Leafwise ``|actual - expected| <= atol + rtol |expected| + noise``; the tolerance is the
    loosest of the leaf's dtype and ``input_dtypes`` (a float64 function of float32 inputs is
    only float32-accurate along a float32 perturbation)."""
    for i, (a, e) in enumerate(zip(actual_leaves, expected_leaves)):
        a = to_numpy(a)
        e = to_numpy(e)
        if a.dtype.kind not in "fc" or e.dtype.kind not in "fc":
            continue  # integer/bool outputs have no derivative to compare
        where = paths[i] if i < len(paths) else f"leaf {i}"
        if a.shape != e.shape:
            raise GradCheckError(f"{what}: output {where} has shape {a.shape}, expected "
                                 f"{e.shape}")
        dt = _loosest([a.dtype, e.dtype, *input_dtypes])
        at, rt = tolerance(dt, atol, rtol)
        wide = np.result_type(_wide(a.dtype), _wide(e.dtype))
        a64, e64 = a.astype(wide), e.astype(wide)
        noise = 0.0 if noise_leaves is None else noise_leaves[i]
        with np.errstate(all="ignore"):
            err = np.abs(a64 - e64)
            bound = at + rt * np.abs(e64) + noise
            same_nonfinite = (np.isnan(a64) & np.isnan(e64)) | \
                (np.isinf(a64) & (a64 == e64))  # (complex: any NaN part / an inf part)
            bad = ~((err <= bound) | same_nonfinite)
        if np.any(bad):
            idx = np.argwhere(bad)
            first = tuple(int(j) for j in idx[0]) if idx.size else ()
            finite = np.isfinite(err)
            max_err = float(np.max(err[finite])) if np.any(finite) else float("nan")
            rel = np.where(np.abs(e64) > 0, err / np.abs(e64), err)
            max_rel = float(np.max(rel[finite])) if np.any(finite) else float("nan")
            raise GradCheckError(
                f"{what}: output {where} ({dt.name}{list(a.shape)}) differs in "
                f"{int(np.sum(bad))} of {a.size} element(s); max abs error {max_err:.3g}, "
                f"max rel error {max_rel:.3g} (atol={at:g}, rtol={rt:g}); first at index "
                f"{first}: got {a64[first]!r}, expected {e64[first]!r}\n"
                f"  got:      {np.array2string(a64, threshold=20, precision=8)}\n"
                f"  expected: {np.array2string(e64, threshold=20, precision=8)}")


def _check_values(out, expected, atol, rtol, what):
    """The primal output of jvp / vjp must equal f's."""
    a_leaves, a_tree = tree_util.flatten(out)
    e_leaves, e_tree = tree_util.flatten(expected)
    if a_tree != e_tree:
        raise GradCheckError(f"{what}: primal output structure {a_tree} differs from f's "
                             f"{e_tree}")
    _check_close(a_leaves, e_leaves, None, atol, rtol, what + " primal output", _paths(out))


# ---------------------------------------------------------------------------------------------
# JVP and VJP checks
# ---------------------------------------------------------------------------------------------

def check_jvp(f, f_jvp, args, atol=None, rtol=None, eps=None, err_msg="JVP", rng=0):
    """``f_jvp(primals, tangents) -> (out, tangent_out)`` against central differences of ``f``."""
    rng = _rng(rng)
    args = tuple(args)
    eps = _eps_for_args(tree_util.leaves(args), eps)
    tangent = _tree_rand_like(rng, args)
    out, t_out = f_jvp(args, tangent)
    _check_values(out, f(*args), atol, rtol, err_msg)
    expected, noise, e_tree = _numerical_jvp_with_noise(f, args, tangent, eps)
    t_leaves, t_tree = tree_util.flatten(t_out)
    if t_tree != e_tree:
        raise GradCheckError(f"{err_msg}: tangent output structure {t_tree} differs from the "
                             f"output's {e_tree}")
    in_dtypes = [_leaf_dtype(x) for x in tree_util.leaves(args) if is_float_leaf(x)]
    _check_close(t_leaves, expected, noise, atol, rtol,
                 f"{err_msg} vs finite differences (eps={eps:g})", _paths(t_out), in_dtypes)


def check_vjp(f, f_vjp, args, atol=None, rtol=None, eps=None, err_msg="VJP", rng=0,
              f_jvp=None):
    """``f_vjp(*args) -> (out, vjp_fn)`` through ``<ct, J t> == <vjp_fn(ct), t>``; ``J t`` from
    ``f_jvp(primals, tangents)`` when given, else from central differences."""
    rng = _rng(rng)
    args = tuple(args)
    eps = _eps_for_args(tree_util.leaves(args), eps)
    out, vjp_fn = f_vjp(*args)
    _check_values(out, f(*args), atol, rtol, err_msg)
    tangent = _tree_rand_like(rng, args)
    if f_jvp is not None:
        _, t_out = f_jvp(args, tangent)
        t_out_leaves = tree_util.leaves(t_out)
        noise = 0.0
        source = "jvp"
    else:
        t_out_leaves, noise_leaves, _ = _numerical_jvp_with_noise(f, args, tangent, eps)
        noise = None
        source = f"finite differences (eps={eps:g})"
    cotangent = _tree_rand_like(rng, out)
    ct_in = vjp_fn(cotangent)
    ct_in_leaves, ct_tree = tree_util.flatten(tuple(ct_in))
    arg_leaves, arg_tree = tree_util.flatten(args)
    if ct_tree != arg_tree:
        raise GradCheckError(f"{err_msg}: the vjp function returned structure {ct_tree}, "
                             f"expected the arguments' {arg_tree}")
    for c, a, p in zip(ct_in_leaves, arg_leaves, _paths(args)):
        if is_float_leaf(a) and tuple(np.shape(c)) != tuple(np.shape(a)):
            raise GradCheckError(f"{err_msg}: cotangent of argument {p} has shape "
                                 f"{tuple(np.shape(c))}, expected {tuple(np.shape(a))}")
        if is_float_leaf(a) and _leaf_dtype(c) != _leaf_dtype(a):
            raise GradCheckError(f"{err_msg}: cotangent of argument {p} has dtype "
                                 f"{_leaf_dtype(c)}, expected {_leaf_dtype(a)}")
    ip, mag = inner_product(tangent, ct_in)
    ip_expected, mag_expected = inner_product(t_out_leaves, tree_util.leaves(cotangent))
    if noise is None:  # the finite differences' rounding noise, weighted by |ct|
        noise = float(sum(np.sum(np.abs(n * to_numpy(c).astype(np.complex128)))
                          for n, c in zip(noise_leaves, tree_util.leaves(cotangent))
                          if is_float_leaf(c)))
    dts = [_leaf_dtype(x) for x in arg_leaves + tree_util.leaves(out)]
    dt = _loosest(dts)
    at, rt = tolerance(dt, atol, rtol)
    err = abs(ip - ip_expected)
    bound = at + rt * max(mag, mag_expected, abs(ip_expected)) + noise
    if not (err <= bound) and not (np.isnan(ip) and np.isnan(ip_expected)):
        raise GradCheckError(
            f"{err_msg} vs {source}: <vjp(ct), t> = {ip!r} but <ct, J t> = {ip_expected!r}; "
            f"abs error {err:.3g} > {bound:.3g} (atol={at:g}, rtol={rt:g} x magnitude "
            f"{max(mag, mag_expected):.3g}, dtype {dt.name})")


def check_grads(f, args, order: int, modes=("fwd", "rev"), atol=None, rtol=None, eps=None,
                seed: int = 0):
    """Check fnx's forward- and/or reverse-mode derivatives of ``f`` at ``args`` up to ``order``
    (see the module docstring).  Raises ``GradCheckError`` (an AssertionError) naming the mode,
    the order and the largest error.

    >>> check_grads(fnx.numpy.sin, (fnx.numpy.asarray([0.5, 1.0], "float64"),), order=2)
    """
    from . import api
    if isinstance(modes, str):
        modes = (modes,)
    unknown = set(modes) - {"fwd", "rev"}
    if unknown:
        raise ValueError(f"check_grads: unknown modes {sorted(unknown)} (use 'fwd' and/or 'rev')")
    args = tuple(tree_util.map(_as_array, tuple(args)))
    rng = np.random.default_rng(seed)
    check_fwd = "fwd" in modes

    def _check(f, args, order, err_msg):
        if check_fwd:
            msg = f"JVP of {err_msg}" if err_msg else "JVP"
            check_jvp(f, functools.partial(api.jvp, f), args, atol, rtol, eps,
                      f"check_grads order {order_total - order + 1}, {msg}", rng)
            if order > 1:
                _check(functools.partial(api.jvp, f), (args, args), order - 1, msg)
        if "rev" in modes:
            msg = f"VJP of {err_msg}" if err_msg else "VJP"
            check_vjp(f, functools.partial(api.vjp, f), args, atol, rtol, eps,
                      f"check_grads order {order_total - order + 1}, {msg}", rng,
                      f_jvp=functools.partial(api.jvp, f) if check_fwd else None)
            if order > 1:
                def f_vjp(*primals):
                    out, pullback = api.vjp(f, *primals)
                    return pullback(out)
                _check(f_vjp, args, order - 1, msg)

    order_total = order
    _check(f, args, order, "")
