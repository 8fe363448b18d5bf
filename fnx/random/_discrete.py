"""jax.random's discrete samplers (geometric, poisson, binomial, multinomial) on fnx.random's
threefry keys, re-exported by fnx.random; the argument checks and the rejection-loop round
limit are shared with ``_distributions.py`` (the continuous samplers).  Poisson and binomial
reject in float64: in float32 the density comparison was off by up to ~1 for large
parameters."""
from __future__ import annotations

import math
from functools import partial

import numpy as np

from .. import dtypes, lax
from .. import numpy as fnp
from ..errors import InvalidArgumentError, ShapeError
from . import _check_key, _check_shape, _full, _uniform, split
from ._distributions import (_MAX_ROUNDS, _any, _c, _float_dtype, _int_dtype, _out_shape,
                             _param, _require, _select)

__all__ = ["geometric", "poisson", "binomial", "multinomial"]


# ---------------------------------------------------------------------------------------------
# Discrete distributions
# ---------------------------------------------------------------------------------------------

def geometric(key, p, shape=None, dtype=None):
    """Geometric samples (trials up to the first success, support 1, 2, ...):
    floor(log u / log(1 - p)) + 1."""
    fn = "geometric"
    k = _check_key(fn, key)
    dtype = _int_dtype(fn, dtype)
    p = _param(fn, "p", p)
    if not dtypes.is_floating(p.dtype):
        p = lax.convert_element_type(p, dtypes.default_float)
    _require(fn, "p", p, lambda v: (v > 0) & (v <= 1), "in (0, 1]")
    shape = _out_shape(fn, shape, p)
    u = _uniform(fn, k, shape, p.dtype)
    u = _select(lax.eq(u, _c(0.0, u)), fnp.ones_like(u), u)  # log stays finite
    ratio = lax.div(lax.log(u), fnp.broadcast_to(lax.log1p(lax.neg(p)), shape))
    return lax.convert_element_type(lax.add(lax.floor(ratio), _c(1.0, u)), dtype)


def _knuth_poisson(k, lam):
    """Poisson(lam) by counting uniforms until their product drops below exp(-lam); for small
    lam (the expected number of rounds is lam + 1).  All elements share the rounds."""
    shape, dtype = tuple(lam.shape), lam.dtype
    neg_lam = lax.neg(lam)

    def going(state):
        return _any(lax.gt(state[2], neg_lam))

    def one_round(state):
        k, count, log_prod = state
        k, sub = split(k)
        count = _select(lax.gt(log_prod, neg_lam), lax.add(count, _c(1.0, count)), count)
        log_u = lax.log(_uniform("poisson", sub, shape, dtype))
        return k, count, lax.add(log_prod, log_u)

    init = (k, fnp.zeros(shape, dtype), fnp.zeros(shape, dtype))
    _, count, _ = lax.while_loop(going, one_round, init)
    return lax.sub(count, _c(1.0, count))


def _ptrs_poisson(k, lam):
    """Poisson(lam) for lam >= 10 by Hormann's transformed rejection with squeeze (PTRS,
    1993): a candidate floor((2a / us + b) u + lam + 0.43) from two uniforms, accepted by a
    cheap box test or by comparing log-densities; rounds go on until every element has one."""
    shape, dtype = tuple(lam.shape), lam.dtype
    c = partial(_full, dtype=dtype)
    log_lam = lax.log(lam)
    b = lax.add(c(0.931), lax.mul(c(2.53), lax.sqrt(lam)))
    a = lax.add(c(-0.059), lax.mul(c(0.02483), b))
    inv_alpha = lax.add(c(1.1239), lax.div(c(1.1328), lax.sub(b, c(3.4))))
    v_r = lax.sub(c(0.9277), lax.div(c(3.6224), lax.sub(b, c(2.0))))

    def waiting(state):
        rounds, _, done, _ = state
        return lax.bitwise_and(lax.lt(rounds, _full(_MAX_ROUNDS, dtypes.int32)),
                               _any(lax.not_(done)))

    def one_round(state):
        rounds, k, done, out = state
        k, k_u, k_v = split(k, 3)
        u = lax.sub(_uniform("poisson", k_u, shape, dtype), c(0.5))
        v = _uniform("poisson", k_v, shape, dtype)
        us = lax.sub(c(0.5), lax.abs(u))
        cand = lax.floor(lax.add(lax.mul(lax.add(lax.div(lax.mul(c(2.0), a), us), b), u),
                                 lax.add(lam, c(0.43))))
        box = lax.bitwise_and(lax.ge(us, c(0.07)), lax.le(v, v_r))
        reject = lax.bitwise_or(lax.lt(cand, c(0.0)),
                                lax.bitwise_and(lax.lt(us, c(0.013)), lax.gt(v, us)))
        lhs = lax.log(lax.div(lax.mul(v, inv_alpha), lax.add(lax.div(a, lax.mul(us, us)), b)))
        safe_cand = lax.max(cand, c(0.0))
        rhs = lax.sub(lax.sub(lax.mul(safe_cand, log_lam), lam),
                      lax.lgamma(lax.add(safe_cand, c(1.0))))
        accept = lax.bitwise_or(box, lax.bitwise_and(lax.not_(reject), lax.le(lhs, rhs)))
        out = _select(lax.bitwise_and(accept, lax.not_(done)), cand, out)
        return (lax.add(rounds, _full(1, dtypes.int32)), k, lax.bitwise_or(done, accept), out)

    init = (_full(0, dtypes.int32), k, fnp.zeros(shape, dtypes.bool_),
            fnp.full(shape, -1.0, dtype))
    return lax.while_loop(waiting, one_round, init)[3]


_PTRS_FROM = 10.0


def poisson(key, lam, shape=None, dtype=None, *, method="exact"):
    """Poisson(lam) samples (default dtype int32): Knuth's product of uniforms for lam < 10,
    Hormann's transformed rejection (PTRS) from 10 on, both computed in float64."""
    fn = "poisson"
    k = _check_key(fn, key)
    if method != "exact":
        raise InvalidArgumentError(f"random.poisson: method must be 'exact', got {method!r}")
    dtype = _int_dtype(fn, dtype)
    lam = _param(fn, "lam", lam)
    # float64 inside: PTRS compares log-densities k log lam - lam - lgamma(k + 1), sums of
    # terms ~lam log lam that cancel, which float32 leaves ~1 off (biased) for lam ~ 1e6
    lam = lax.convert_element_type(lam, dtypes.float64)
    _require(fn, "lam", lam, lambda v: v >= 0, ">= 0")
    shape = _out_shape(fn, shape, lam)
    lam = fnp.broadcast_to(lam, shape)
    small = lax.lt(lam, _c(_PTRS_FROM, lam))
    # each method runs on every element; the others get a parameter it handles quickly
    knuth = _knuth_poisson(k, _select(small, lam, fnp.zeros_like(lam)))
    ptrs = _ptrs_poisson(k, _select(small, fnp.full_like(lam, 1e5), lam))
    out = _select(small, knuth, ptrs)
    out = _select(lax.eq(lam, _c(0.0, lam)), fnp.zeros_like(out), out)
    return lax.convert_element_type(out, dtype)


def _stirling_tail(x):
    """log(x!) - [(x + 1/2) log(x + 1) - (x + 1) + log(2 pi) / 2] for integer-valued x >= 0:
    a table for x <= 9 and the series 1/12 - 1/(360 y^2) + 1/(1260 y^4) over y = x + 1."""
    table = np.array([math.lgamma(j + 1) - ((j + 0.5) * math.log(j + 1) - (j + 1)
                                            + 0.5 * math.log(2 * math.pi)) for j in range(10)])
    dtype = x.dtype
    idx = lax.convert_element_type(lax.clamp(_c(0.0, x), x, _c(9.0, x)), dtypes.int32)
    from_table = fnp.take(fnp.asarray(table.astype(dtype)), idx)
    y = lax.add(x, _c(1.0, x))
    y2 = lax.mul(y, y)
    inner = lax.sub(_c(1.0 / 360.0, x), lax.div(_c(1.0 / 1260.0, x), y2))
    series = lax.div(lax.sub(_c(1.0 / 12.0, x), lax.div(inner, y2)), y)
    return _select(lax.le(x, _c(9.0, x)), from_table, series)


def _binomial_inversion(k, n, q):
    """Binomial(n, q) by summing geometric waiting times until they pass n (for n q <= 10:
    about n q + 1 rounds)."""
    shape, dtype = tuple(q.shape), q.dtype
    log1m_q = lax.log1p(lax.neg(q))

    def going(state):
        return _any(lax.le(state[2], n))

    def one_round(state):
        k, count, total = state
        k, sub = split(k)
        count = _select(lax.le(total, n), lax.add(count, _c(1.0, count)), count)
        u = _uniform("binomial", sub, shape, dtype)
        return k, count, lax.add(total, lax.ceil(lax.div(lax.log(u), log1m_q)))

    init = (k, fnp.zeros(shape, dtype), fnp.zeros(shape, dtype))
    return lax.sub(lax.while_loop(going, one_round, init)[1], _c(1.0, q))


def _btrs_binomial(k, n, q):
    """Binomial(n, q), q <= 1/2 and n q > 10, by Hormann's transformed rejection with squeeze
    (BTRS, 1993), the log-density ratio written with Stirling tails."""
    shape, dtype = tuple(q.shape), q.dtype
    c = partial(_full, dtype=dtype)
    one = c(1.0)
    spread = lax.sqrt(lax.mul(lax.mul(n, q), lax.sub(one, q)))
    b = lax.add(c(1.15), lax.mul(c(2.53), spread))
    a = lax.add(lax.add(c(-0.0873), lax.mul(c(0.0248), b)), lax.mul(c(0.01), q))
    center = lax.add(lax.mul(n, q), c(0.5))
    v_r = lax.sub(c(0.92), lax.div(c(4.2), b))
    r = lax.div(q, lax.sub(one, q))
    alpha = lax.mul(lax.add(c(2.83), lax.div(c(5.1), b)), spread)
    m = lax.floor(lax.mul(lax.add(n, one), q))
    log = lax.log
    # the k-independent part of the log-density bound
    base = lax.add(lax.mul(lax.add(m, c(0.5)),
                           log(lax.div(lax.add(m, one), lax.mul(r, lax.add(lax.sub(n, m), one))))),
                   lax.add(_stirling_tail(m), _stirling_tail(lax.sub(n, m))))

    def waiting(state):
        rounds, _, done, _ = state
        return lax.bitwise_and(lax.lt(rounds, _full(_MAX_ROUNDS, dtypes.int32)),
                               _any(lax.not_(done)))

    def one_round(state):
        rounds, key, done, out = state
        key, k_u, k_v = split(key, 3)
        u = lax.sub(_uniform("binomial", k_u, shape, dtype), c(0.5))
        v = _uniform("binomial", k_v, shape, dtype)
        us = lax.sub(c(0.5), lax.abs(u))
        cand = lax.floor(lax.add(lax.mul(lax.add(lax.div(lax.mul(c(2.0), a), us), b), u),
                                 center))
        box = lax.bitwise_and(lax.ge(us, c(0.07)), lax.le(v, v_r))
        outside = lax.bitwise_or(lax.lt(cand, c(0.0)), lax.gt(cand, n))
        kk = lax.clamp(c(0.0), cand, n)
        lhs = log(lax.div(lax.mul(v, alpha), lax.add(lax.div(a, lax.mul(us, us)), b)))
        n_k1 = lax.add(lax.sub(n, kk), one)
        rhs = lax.add(base, lax.add(
            lax.mul(lax.add(n, one), lax.log1p(lax.div(lax.sub(kk, m), n_k1))),
            lax.mul(lax.add(kk, c(0.5)), log(lax.div(lax.mul(r, n_k1), lax.add(kk, one))))))
        rhs = lax.sub(rhs, lax.add(_stirling_tail(kk), _stirling_tail(lax.sub(n, kk))))
        accept = lax.bitwise_or(box, lax.bitwise_and(lax.not_(outside), lax.le(lhs, rhs)))
        out = _select(lax.bitwise_and(accept, lax.not_(done)), cand, out)
        return lax.add(rounds, _full(1, dtypes.int32)), key, lax.bitwise_or(done, accept), out

    init = (_full(0, dtypes.int32), k, fnp.zeros(shape, dtypes.bool_), fnp.full(shape, -1.0,
                                                                                 dtype))
    return lax.while_loop(waiting, one_round, init)[3]


def binomial(key, n, p, shape=None, dtype=None):
    """Binomial(n, p) samples, as floats (default float32) like JAX: inversion by geometric
    waiting times for n min(p, 1 - p) <= 10, BTRS above; p > 1/2 is sampled as n - B(n, 1 - p).
    n is floored; invalid parameters (traced) give NaN, n = inf gives inf."""
    fn = "binomial"
    k = _check_key(fn, key)
    dtype = _float_dtype(fn, dtype)
    p = _param(fn, "p", p)
    if not dtypes.is_floating(p.dtype):
        p = lax.convert_element_type(p, dtypes.default_float)
    n = _param(fn, "n", n, p.dtype)
    _require(fn, "n", n, lambda v: v >= 0, ">= 0")
    _require(fn, "p", p, lambda v: (v >= 0) & (v <= 1), "in [0, 1]")
    shape = _out_shape(fn, shape, n, p)
    # float64 inside: BTRS's log-density bound has terms ~n log(1 + small) that float32
    # rounds ~0.1 off (biased samples) once n ~ 1e6
    p, n = (lax.convert_element_type(v, dtypes.float64) for v in (p, n))
    n, p = fnp.broadcast_to(n, shape), fnp.broadcast_to(p, shape)
    c = partial(_full, dtype=p.dtype)
    low = lax.lt(p, c(0.5))
    q = _select(low, p, lax.sub(c(1.0), p))
    bad = lax.bitwise_or(lax.ne(q, q), lax.bitwise_or(lax.lt(q, c(0.0)),
                                                      lax.bitwise_or(lax.ne(n, n),
                                                                     lax.lt(n, c(0.0)))))
    infinite = lax.bitwise_and(lax.not_(bad), lax.eq(n, c(np.inf)))
    q = _select(bad, fnp.full_like(q, 0.01), q)
    n = _select(bad | infinite, fnp.zeros_like(n), lax.floor(n))
    inversion = lax.le(lax.mul(n, q), c(10.0))
    small = _binomial_inversion(k, _select(inversion, n, fnp.zeros_like(n)), q)
    large = _btrs_binomial(k, _select(inversion, fnp.full_like(n, 1e4), n),
                           _select(inversion, fnp.full_like(q, 0.5), q))
    out = _select(inversion, small, large)
    out = _select(low, out, lax.sub(n, out))
    out = _select(infinite, fnp.full_like(out, np.inf), out)
    out = _select(bad, fnp.full_like(out, np.nan), out)
    return lax.convert_element_type(out, dtype)


def multinomial(key, n, p, *, shape=None, dtype=None, unroll=1):
    """Multinomial counts of ``n`` trials over the categories of p's last axis (float
    counts, as JAX), shape ``shape`` (default p's shape; its last axis is the categories):
    one binomial per category for the trials left, with the conditional probability
    p_i / (p_i + ... + p_K), in a scan over categories."""
    fn = "multinomial"
    k = _check_key(fn, key)
    p = _param(fn, "p", p)
    if not dtypes.is_floating(p.dtype):
        p = lax.convert_element_type(p, dtypes.default_float)
    n = _param(fn, "n", n, p.dtype)
    if p.ndim < 1:
        raise ShapeError("random.multinomial: p must have at least one dimension (the "
                         "categories), got a scalar")
    _require(fn, "p", p, lambda v: v >= 0, ">= 0")
    _require(fn, "n", n, lambda v: v >= 0, ">= 0")
    shape = tuple(p.shape) if shape is None else _check_shape(fn, shape)
    if not shape:
        raise ShapeError("random.multinomial: shape must have at least one dimension")
    try:
        n = fnp.broadcast_to(n, shape[:-1])
        p = fnp.broadcast_to(p, shape)
    except Exception:
        raise ShapeError(f"random.multinomial: n {tuple(n.shape)} and p {tuple(p.shape)} do "
                         f"not broadcast to shape {shape} (n to {shape[:-1]})") from None
    out_dtype = p.dtype if dtype is None else dtypes.canonicalize(dtype, "random.multinomial")
    p = fnp.moveaxis(p, -1, 0)
    left = lax.cumsum(p, 0, reverse=True)
    ratios = lax.div(p, _select(lax.eq(left, _c(0.0, left)), fnp.ones_like(left), left))
    ratios = lax.clamp(_c(0.0, ratios), ratios, _c(1.0, ratios))
    keys = split(k, shape[-1])

    def one_category(remaining, ratio_key):
        ratio, sub = ratio_key
        count = binomial(sub, remaining, ratio, dtype=remaining.dtype)
        return lax.sub(remaining, count), count

    _, counts = lax.scan(one_category, n, (ratios, keys), unroll=unroll)
    return lax.convert_element_type(fnp.moveaxis(counts, 0, -1), out_dtype)
