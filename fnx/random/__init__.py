"""fnx.random: explicit-key pseudo-random numbers (jax.random's API and semantics).

A key is a uint32 array of shape (2,), made by ``key(seed)`` / ``PRNGKey(seed)``.  Sampling is a
pure function of the key: the same key gives the same numbers, and fresh numbers come from new
keys made by ``split`` or ``fold_in``, never from hidden state::

    k = fnx.random.key(0)
    k, sub = fnx.random.split(k)
    x = fnx.random.normal(sub, (3,))

Every sampler is built from lax primitives on ``lax.threefry2x32`` (the Threefry-2x32-20 block
cipher applied to a key and an iota of counters), so it works under ``jit``, ``vmap`` and
``grad`` (samples have no gradient with respect to the key).  The constructions follow JAX's
"partitionable" threefry scheme (JAX's default since 0.5), so ``key``, ``split``, ``fold_in``,
``bits`` and ``uniform`` give JAX's bit streams; the transforms on top (``normal`` via erf_inv,
``gumbel``, ``randint``, ...) are JAX's too, up to the last bits of the special functions.

Shapes are static Python tuples.  float64 uniforms use 52 random mantissa bits made from two
32-bit words (fnx has no uint64), which is what JAX gives with x64 enabled.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import dtypes, lax
from .. import numpy as fnp
from ..core import Array, ArrayBase
from ..errors import DTypeError, InvalidArgumentError, ShapeError

__all__ = ["PRNGKey", "key", "split", "fold_in", "bits", "uniform", "normal", "truncated_normal",
           "bernoulli", "categorical", "randint", "permutation", "choice", "gumbel"]

_U32 = dtypes.uint32
_MASK32 = 0xFFFFFFFF


# ---------------------------------------------------------------------------------------------
# Keys and argument checks
# ---------------------------------------------------------------------------------------------

def key(seed) -> ArrayBase:
    """A PRNG key (uint32[2]) from an integer seed, as ``jax.random.PRNGKey``.

    >>> fnx.random.key(42)
    Array([ 0, 42], dtype=uint32)
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer, ArrayBase)):
        raise DTypeError(f"random.key: the seed must be an integer, got {seed!r}")
    if isinstance(seed, (int, np.integer)):
        seed = int(seed)
        if not -2 ** 63 <= seed < 2 ** 64:
            raise InvalidArgumentError(f"random.key: seed {seed} does not fit in 64 bits")
        # 32-bit seeds (JAX's default int) give [0, seed mod 2^32]; wider ones their high word
        hi = 0 if -2 ** 31 <= seed < 2 ** 32 else (seed >> 32) & _MASK32
        return fnp.asarray(np.array([hi, seed & _MASK32], np.uint32))
    if seed.ndim != 0 or not dtypes.is_integer(seed.dtype):
        raise DTypeError(f"random.key: the seed must be an integer scalar, got "
                         f"{seed.dtype}{list(seed.shape)}")
    lo = lax.convert_element_type(seed, _U32)
    if seed.dtype.itemsize == 8:
        hi = lax.convert_element_type(lax.shift_right_logical(seed, _full(32, seed.dtype)), _U32)
    else:
        hi = _full(0, _U32)
    return lax.concatenate([lax.reshape(hi, (1,)), lax.reshape(lo, (1,))], 0)


PRNGKey = key


def _full(value, dtype, shape=()):
    return fnp.full(shape, value, dtype)


def _check_key(fn: str, k):
    if not isinstance(k, ArrayBase):
        k = fnp.asarray(k)
    if k.dtype != _U32 or tuple(k.shape) != (2,):
        raise (DTypeError if k.dtype != _U32 else ShapeError)(
            f"random.{fn}: expected a key (uint32[2], from fnx.random.key), got "
            f"{k.dtype}{list(k.shape)}; to use a batch of keys, vmap over it")
    return k


def _check_shape(fn: str, shape) -> tuple:
    if shape is None:
        return ()
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        shape = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise ShapeError(f"random.{fn}: shape must be a tuple of static ints, got {shape!r}") \
            from None
    if any(d < 0 for d in shape):
        raise ShapeError(f"random.{fn}: negative dimension in shape {shape}")
    _check_size(fn, shape)
    return shape


_MAX_DRAW = 2 ** 32  # one draw's elements are counted by a uint32 counter


def _check_size(fn: str, shape):
    n = math.prod(shape)
    if n >= _MAX_DRAW:
        raise ShapeError(f"random.{fn}: shape {tuple(shape)} has {n} elements, more than fnx "
                         f"draws at once (2^32 - 1)")


def _check_float(fn: str, dtype):
    dtype = dtypes.canonicalize(dtype, f"random.{fn}")
    if not dtypes.is_floating(dtype):
        raise DTypeError(f"random.{fn}: dtype must be a floating dtype, got {dtype}")
    return dtype


# ---------------------------------------------------------------------------------------------
# Raw bits
# ---------------------------------------------------------------------------------------------

def _counters(shape):
    """The 64-bit flat (row-major) index of every element, as (high, low) uint32 words."""
    n = math.prod(shape)
    if n >= 2 ** 32:
        raise ShapeError(f"random: {n} elements in one draw is more than fnx supports (2^32)")
    lo = lax.reshape(lax.iota(_U32, n), shape)
    return _full(0, _U32), lo


def _threefry_words(k, shape):
    """Both output words of threefry(k, counter) for every element of ``shape``."""
    hi, lo = _counters(shape)
    k0, k1 = lax.reshape(lax.slice(k, (0,), (1,)), ()), lax.reshape(lax.slice(k, (1,), (2,)), ())
    return lax.threefry2x32(k0, k1, hi, lo)


def split(key, num: int = 2):
    """``num`` new independent keys (shape (num, 2)) from ``key``.

    >>> k1, k2 = fnx.random.split(fnx.random.key(0))
    """
    k = _check_key("split", key)
    num = operator.index(num)
    if num < 0:
        raise InvalidArgumentError(f"random.split: num must be >= 0, got {num}")
    w0, w1 = _threefry_words(k, (num,))
    return lax.concatenate([lax.reshape(w0, (num, 1)), lax.reshape(w1, (num, 1))], 1)


def fold_in(key, data):
    """A new key made from ``key`` and an integer ``data`` (e.g. a step or layer index).

    >>> k = fnx.random.fold_in(fnx.random.key(0), 7)
    """
    k = _check_key("fold_in", key)
    if isinstance(data, (int, np.integer)) and not isinstance(data, (bool, np.bool_)):
        d = _full(int(data) & _MASK32, _U32)
    else:
        d = fnp.asarray(data)
        if d.ndim != 0 or not dtypes.is_integer(d.dtype):
            raise DTypeError(f"random.fold_in: data must be an integer scalar, got "
                             f"{d.dtype}{list(d.shape)}")
        d = lax.convert_element_type(d, _U32)  # keeps the low 32 bits, as JAX
    k0, k1 = lax.reshape(lax.slice(k, (0,), (1,)), ()), lax.reshape(lax.slice(k, (1,), (2,)), ())
    w0, w1 = lax.threefry2x32(k0, k1, _full(0, _U32), d)
    return lax.concatenate([lax.reshape(w0, (1,)), lax.reshape(w1, (1,))], 0)


def bits(key, shape=(), dtype=None):
    """Uniformly random uint32 bits of ``shape``.

    >>> fnx.random.bits(fnx.random.key(0), (2,))
    Array([4070199207, 4202968722], dtype=uint32)
    """
    k = _check_key("bits", key)
    shape = _check_shape("bits", shape)
    if dtype is not None and dtypes.canonicalize(dtype, "random.bits") != _U32:
        raise DTypeError(f"random.bits: only uint32 bits are supported, got {dtype}")
    w0, w1 = _threefry_words(k, shape)
    return lax.xor(w0, w1)


# ---------------------------------------------------------------------------------------------
# Continuous distributions
# ---------------------------------------------------------------------------------------------

def _unit_floats(k, shape, dtype):
    """Uniform floats in [0, 1): random mantissa bits under the exponent of 1.0, minus 1.0."""
    w0, w1 = _threefry_words(k, shape)
    if dtype == dtypes.float32:
        one = _full(np.float32(1.0).view(np.uint32), _U32)
        mant = lax.shift_right_logical(lax.xor(w0, w1), _full(32 - 23, _U32))
        return lax.sub(lax.bitcast_convert_type(lax.or_(mant, one), dtype), _full(1.0, dtype))
    # float64: 52 mantissa bits = all 32 of the first word and the top 20 of the second (what
    # JAX's 64-bit bits give: (w0 << 32 | w1) >> 12), exact in float64 arithmetic
    f64 = dtypes.float64
    hi = lax.convert_element_type(w0, f64)
    lo = lax.convert_element_type(lax.shift_right_logical(w1, _full(12, _U32)), f64)
    return lax.mul(lax.add(lax.mul(hi, _full(2.0 ** 20, f64)), lo), _full(2.0 ** -52, f64))


def _as_float(fn, x, dtype, shape):
    """A float parameter as an array of ``dtype`` broadcast to ``shape``."""
    x = lax.convert_element_type(fnp.asarray(x), dtype)
    try:
        return fnp.broadcast_to(x, shape)
    except Exception as e:
        raise ShapeError(f"random.{fn}: a parameter of shape {tuple(x.shape)} does not "
                         f"broadcast to shape {shape}") from e


def uniform(key, shape=(), dtype=dtypes.float32, minval=0.0, maxval=1.0):
    """Uniform samples in [minval, maxval).

    >>> fnx.random.uniform(fnx.random.key(0), (3,))
    Array([0.947667  , 0.9785799 , 0.33229148], dtype=float32)
    """
    k = _check_key("uniform", key)
    shape = _check_shape("uniform", shape)
    dtype = _check_float("uniform", dtype)
    return _uniform("uniform", k, shape, dtype, minval, maxval)


def _uniform(fn: str, k, shape, dtype, minval=0.0, maxval=1.0):
    """``uniform`` for the sampler ``fn`` (named in errors), its arguments already checked."""
    lo, hi = _as_float(fn, minval, dtype, shape), _as_float(fn, maxval, dtype, shape)
    u = _unit_floats(k, shape, dtype)
    # max with minval: rounding of u * (hi - lo) + lo must not step below minval
    return lax.max(lo, lax.add(lax.mul(u, lax.sub(hi, lo)), lo))


def normal(key, shape=(), dtype=dtypes.float32):
    """Standard normal samples.

    Made as sqrt(2) * erf_inv(u) with u uniform in (-1, 1): one uniform per sample and no
    rejection (unlike Box-Muller's pairs and trig functions), the inverse-CDF method JAX uses,
    on fnx's erf_inv (double precision, rounded once).

    >>> x = fnx.random.normal(fnx.random.key(0), (1000,))
    """
    k = _check_key("normal", key)
    shape = _check_shape("normal", shape)
    dtype = _check_float("normal", dtype)
    lo = np.nextafter(np.array(-1.0, dtype), np.array(0.0, dtype))  # keeps erf_inv finite
    u = _uniform("normal", k, shape, dtype, float(lo), 1.0)
    return lax.mul(_full(np.sqrt(2.0), dtype), lax.erf_inv(u))


def truncated_normal(key, lower, upper, shape=None, dtype=dtypes.float32):
    """Standard normal samples conditioned on lower < x < upper (inverse-CDF method).

    Accurate deep in the tails: the CDF is inverted in float64, through ``erf`` where the
    interval reaches into the body of the distribution, and in log space through the upper
    tail probability where it lies beyond ``_TAIL_START`` standard deviations (an interval in
    the lower tail is sampled mirrored).  ``erf`` alone rounds to +-1 there, which put every
    sample of e.g. ``[10, 11]`` on the upper bound.

    >>> x = fnx.random.truncated_normal(fnx.random.key(0), -1.0, 2.0, (100,))
    """
    k = _check_key("truncated_normal", key)
    dtype = _check_float("truncated_normal", dtype)
    lower = lax.convert_element_type(fnp.asarray(lower), dtype)
    upper = lax.convert_element_type(fnp.asarray(upper), dtype)
    if shape is None:
        shape = np.broadcast_shapes(tuple(lower.shape), tuple(upper.shape))
    shape = _check_shape("truncated_normal", shape)
    lower, upper = (_as_float("truncated_normal", v, dtype, shape) for v in (lower, upper))
    u = lax.convert_element_type(_uniform("truncated_normal", k, shape, dtype),
                                 dtypes.float64)
    f64 = dtypes.float64
    out = _truncated_normal_f64(lax.convert_element_type(lower, f64),
                                lax.convert_element_type(upper, f64), u)
    out = lax.convert_element_type(out, dtype)
    # rounding may land exactly on a bound: keep the samples strictly inside
    inf = _full(np.inf, dtype, shape)
    return lax.clamp(lax.nextafter(lower, inf), out, lax.nextafter(upper, lax.neg(inf)))


# Where the upper tail probability Q(x) = erfc(x / sqrt 2) / 2 is taken from its continued
# fraction rather than from 1 - erf (whose relative error eps / Q grows as Q shrinks: at 5,
# ~2e-10), and the number of terms that makes the fraction exact to float64 there.
_TAIL_START = 5.0
_TAIL_TERMS = 20
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _truncated_normal_f64(lower, upper, u):
    """Inverse-CDF samples of the normal truncated to (lower, upper), from uniforms ``u`` in
    [0, 1), all float64.  An interval mostly below 0 is sampled mirrored, so the far tail of
    every interval is the upper one.  Concrete bounds skip the method no element needs."""
    f64 = dtypes.float64
    mirror = lax.lt(lax.add(lower, upper), _full(0.0, f64))
    a = lax.select(mirror, lax.neg(upper), lower)
    b = lax.select(mirror, lax.neg(lower), upper)
    in_tail = lax.ge(a, _full(_TAIL_START, f64))
    needs = _concrete_any(in_tail)
    x = None
    if needs != (True, False):          # some interval reaches into the body
        x = _inverse_cdf_by_erf(a, b, u)
    if needs != (False, True):          # some interval lies in the upper tail
        t = _inverse_cdf_in_tail(a, b, u)
        x = t if x is None else lax.select(in_tail, t, x)
    return lax.select(mirror, lax.neg(x), x)


def _concrete_any(mask):
    """(all, none) of a concrete boolean mask; (None, None) for a traced one."""
    if type(mask) is not Array:
        return None, None
    v = np.asarray(mask._value)
    return bool(v.all()), not bool(v.any())


def _inverse_cdf_by_erf(a, b, u):
    """sqrt(2) erf_inv(p), p uniform between erf(a / sqrt 2) and erf(b / sqrt 2): accurate in
    float64 while the interval starts below _TAIL_START (its mass is then not a vanishing
    difference of two numbers near 1)."""
    f64 = dtypes.float64
    sqrt2 = _full(math.sqrt(2.0), f64)
    pa, pb = lax.erf(lax.div(a, sqrt2)), lax.erf(lax.div(b, sqrt2))
    p = lax.add(pa, lax.mul(u, lax.sub(pb, pa)))
    return lax.mul(sqrt2, lax.erf_inv(p))


def _mills_ratio(x):
    """Q(x) / phi(x) for x >= _TAIL_START, by Laplace's continued fraction
    1 / (x + 1 / (x + 2 / (x + 3 / ...))) evaluated from the innermost term."""
    r = x
    for n in range(_TAIL_TERMS, 0, -1):
        r = lax.add(x, lax.div(_full(float(n), dtypes.float64), r))
    return lax.div(_full(1.0, dtypes.float64), r)


def _log_tail_and_mills(x):
    """(log Q(x), Q(x) / phi(x)) for x >= _TAIL_START (log Q(inf) = -inf)."""
    f64 = dtypes.float64
    m = _mills_ratio(x)
    log_phi = lax.sub(lax.mul(_full(-0.5, f64), lax.mul(x, x)), _full(_LOG_SQRT_2PI, f64))
    return lax.add(log_phi, lax.log(m)), m


def _inverse_cdf_in_tail(a, b, u):
    """Samples of (a, b) with a >= _TAIL_START, in log space: the target log Q is
    log Q(a) + log1p(-u (1 - Q(b) / Q(a))), inverted by Newton's method on log Q, whose
    slope is -1 / mills_ratio.  Exact to float64 in 3 steps from the asymptotic guess
    x^2 = -2 log Q - log(2 pi) - 2 log x."""
    f64 = dtypes.float64
    safe_a = lax.max(a, _full(_TAIL_START, f64))  # the body's elements: any finite tail value
    log_qa, _ = _log_tail_and_mills(safe_a)
    log_qb, _ = _log_tail_and_mills(lax.max(b, safe_a))
    kept = lax.neg(lax.expm1(lax.sub(log_qb, log_qa)))  # 1 - Q(b) / Q(a)
    target = lax.add(log_qa, lax.log1p(lax.neg(lax.mul(u, kept))))
    x = safe_a
    for _ in range(2):
        x2 = lax.sub(lax.mul(_full(-2.0, f64), lax.add(target, _full(_LOG_SQRT_2PI, f64))),
                     lax.mul(_full(2.0, f64), lax.log(x)))
        x = lax.sqrt(lax.max(x2, lax.mul(safe_a, safe_a)))
    for _ in range(3):
        log_q, m = _log_tail_and_mills(x)
        x = lax.max(safe_a, lax.add(x, lax.mul(lax.sub(log_q, target), m)))
    return x


def gumbel(key, shape=(), dtype=dtypes.float32):
    """Standard Gumbel samples, -log(-log(u)) with u uniform in [tiny, 1).

    >>> g = fnx.random.gumbel(fnx.random.key(0), (5,))
    """
    k = _check_key("gumbel", key)
    shape = _check_shape("gumbel", shape)
    dtype = _check_float("gumbel", dtype)
    return _gumbel("gumbel", k, shape, dtype)


def _gumbel(fn: str, k, shape, dtype):
    u = _uniform(fn, k, shape, dtype, float(np.finfo(dtype).tiny), 1.0)
    return lax.neg(lax.log(lax.neg(lax.log(u))))


# ---------------------------------------------------------------------------------------------
# Discrete distributions
# ---------------------------------------------------------------------------------------------

def bernoulli(key, p=0.5, shape=None):
    """Boolean samples that are True with probability ``p``.

    >>> fnx.random.bernoulli(fnx.random.key(0), 0.3, (4,)).dtype
    dtype('bool')
    """
    k = _check_key("bernoulli", key)
    p = fnp.asarray(p)
    if not dtypes.is_floating(p.dtype):
        p = lax.convert_element_type(p, dtypes.float32)
    if type(p) is Array:  # concrete: checking costs nothing (a traced p is not checked)
        v = p._value
        if v.size and (np.any(v < 0) or np.any(v > 1)):
            raise InvalidArgumentError(f"random.bernoulli: p must be in [0, 1], got {v}")
    shape = tuple(p.shape) if shape is None else _check_shape("bernoulli", shape)
    p = _as_float("bernoulli", p, p.dtype, shape)
    return lax.lt(_uniform("bernoulli", k, shape, p.dtype), p)


def categorical(key, logits, axis: int = -1, shape=None):
    """Samples of category indices with probabilities softmax(logits) along ``axis`` (the
    Gumbel-max trick).  ``shape`` (default: logits' shape without ``axis``) must end with
    that batch shape.

    >>> i = fnx.random.categorical(fnx.random.key(0), fnx.numpy.log(fnx.numpy.array([.2, .8])))
    """
    k = _check_key("categorical", key)
    logits = fnp.asarray(logits)
    if not dtypes.is_floating(logits.dtype):
        logits = lax.convert_element_type(logits, dtypes.float32)
    if logits.ndim == 0:
        raise ShapeError("random.categorical: logits must have at least one dimension")
    axis = axis + logits.ndim if axis < 0 else axis
    if not 0 <= axis < logits.ndim:
        raise ShapeError(f"random.categorical: axis {axis} out of range for logits of shape "
                         f"{tuple(logits.shape)}")
    batch = tuple(d for i, d in enumerate(logits.shape) if i != axis)
    shape = batch if shape is None else _check_shape("categorical", shape)
    if shape[len(shape) - len(batch):] != batch:
        raise ShapeError(f"random.categorical: shape {shape} must end with the batch shape "
                         f"{batch} of logits {tuple(logits.shape)} (axis {axis} removed)")
    prefix = shape[:len(shape) - len(batch)]
    full = prefix + tuple(logits.shape)
    _check_size("categorical", full)
    g = _gumbel("categorical", k, full, logits.dtype)
    return fnp.argmax(lax.add(g, fnp.broadcast_to(logits, full)), axis=len(prefix) + axis)


def randint(key, shape, minval, maxval, dtype=dtypes.int32):
    """Integers uniform in [minval, maxval) (bounds clipped to ``dtype``'s range).

    Two 32-bit draws make a 64-bit number reduced mod the span (JAX's construction, in uint32
    arithmetic), so the bias is ~span / 2^32.  Spans above 2^32 - 1 (int64 only) are cut to it.

    >>> fnx.random.randint(fnx.random.key(0), (3,), 0, 10)
    """
    k = _check_key("randint", key)
    shape = _check_shape("randint", shape)
    dtype = dtypes.canonicalize(dtype, "random.randint")
    if not dtypes.is_integer(dtype):
        raise DTypeError(f"random.randint: dtype must be an integer dtype, got {dtype}")
    info = np.iinfo(dtype)
    i64 = dtypes.int64

    def bound(v, hi_extra):  # as int64, clipped to the dtype's range (maxval: one past it)
        if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
            v = np.int64(min(max(int(v), -2 ** 63), 2 ** 63 - 1))
        v = fnp.asarray(v)
        if dtypes.is_floating(v.dtype):
            v = lax.round(v)
        v = lax.convert_element_type(v, i64)
        lo_, hi_ = max(int(info.min), -2 ** 63), min(int(info.max) + hi_extra, 2 ** 63 - 1)
        return fnp.broadcast_to(lax.clamp(_full(lo_, i64), v, _full(hi_, i64)), shape)

    lo, hi = bound(minval, 0), bound(maxval, 1)
    span = lax.clamp(_full(1, i64), lax.sub(hi, lo), _full(_MASK32, i64))
    span = lax.convert_element_type(span, _U32)
    k1, k2 = split(k)
    upper, lower = bits(k1, shape), bits(k2, shape)
    # (upper * 2^32 + lower) mod span, with 2^32 mod span = (2^16 mod span)^2 mod span
    mult = lax.rem(_full(2 ** 16, _U32, shape), span)
    mult = lax.rem(lax.mul(mult, mult), span)
    off = lax.add(lax.mul(lax.rem(upper, span), mult), lax.rem(lower, span))
    off = lax.rem(off, span)
    return lax.convert_element_type(lax.add(lo, lax.convert_element_type(off, i64)), dtype)


def _shuffle_indices(k, n: int):
    """A uniformly random permutation of arange(n): sort by random keys, in enough rounds
    that ties (equal 32-bit keys) are negligible (JAX's rule: 3 log(n) / log(2^32))."""
    x = lax.iota(dtypes.int32, n)
    rounds = int(np.ceil(3 * np.log(max(1, n)) / np.log(2.0 ** 32 - 1)))
    for _ in range(rounds):
        k, sub = split(k)
        _, x = lax.sort_key_val(bits(sub, (n,)), x, 0)
    return x


def permutation(key, x, axis: int = 0):
    """A random permutation of ``arange(x)`` (int ``x``) or of ``x``'s slices along ``axis``.

    >>> fnx.random.permutation(fnx.random.key(0), 5).shape
    (5,)
    """
    k = _check_key("permutation", key)
    if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
        if x < 0:
            raise InvalidArgumentError(f"random.permutation: n must be >= 0, got {x}")
        return _shuffle_indices(k, int(x))
    x = fnp.asarray(x)
    if x.ndim == 0:
        raise ShapeError("random.permutation: x must be an int or an array of rank >= 1")
    axis = axis + x.ndim if axis < 0 else axis
    if not 0 <= axis < x.ndim:
        raise ShapeError(f"random.permutation: axis {axis} out of range for shape "
                         f"{tuple(x.shape)}")
    return fnp.take(x, _shuffle_indices(k, x.shape[axis]), axis=axis)


def choice(key, a, shape=(), replace: bool = True, p=None, axis: int = 0):
    """Random samples from ``arange(a)`` (int ``a``) or from ``a``'s slices along ``axis``,
    with or without replacement, uniform or with probabilities ``p``.

    >>> fnx.random.choice(fnx.random.key(0), 5, (3,), replace=False).shape
    (3,)
    """
    k = _check_key("choice", key)
    shape = _check_shape("choice", shape)
    if isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)):
        arr, n = None, int(a)
    else:
        arr = fnp.asarray(a)
        if arr.ndim == 0:
            raise ShapeError("random.choice: a must be an int or an array of rank >= 1")
        axis = axis + arr.ndim if axis < 0 else axis
        n = arr.shape[axis]
    draws = math.prod(shape)
    if n <= 0 and draws:
        raise InvalidArgumentError("random.choice: cannot take a sample from an empty population")
    if not replace and draws > n:
        raise InvalidArgumentError(f"random.choice: cannot take {draws} samples from {n} "
                                   "without replacement")
    if p is not None:
        p = fnp.asarray(p)
        if not dtypes.is_floating(p.dtype):
            p = lax.convert_element_type(p, dtypes.float32)
        if tuple(p.shape) != (n,):
            raise ShapeError(f"random.choice: p must have shape ({n},), got {tuple(p.shape)}")
    if replace and p is None:
        ind = randint(k, shape, 0, n)
    elif replace:
        # inverse CDF: the first index whose cumulative probability exceeds u * total
        cdf = fnp.cumsum(p)
        u = lax.sub(_full(1.0, p.dtype), _uniform("choice", k, shape, p.dtype))
        ind = fnp.searchsorted(cdf, lax.mul(cdf[-1], u)).astype(dtypes.int32)
        ind = fnp.minimum(ind, n - 1)  # guards u * total rounding above cdf[-1]
    elif p is None:
        ind = lax.reshape(lax.slice(_shuffle_indices(k, n), (0,), (draws,)), shape)
    else:
        # Gumbel-top-k: the k largest of log p + Gumbel noise are a weighted sample without
        # replacement (a stable argsort of the negated keys gives them in order)
        g = lax.add(_gumbel("choice", k, (n,), p.dtype), fnp.log(p))
        order = fnp.argsort(lax.neg(g)).astype(dtypes.int32)
        ind = lax.reshape(lax.slice(order, (0,), (draws,)), shape)
    return ind if arr is None else fnp.take(arr, ind, axis=axis)



# jax.random's further samplers live in _distributions.py (imported last: it builds on the
# functions above)
from ._distributions import *  # noqa: E402,F401,F403
from ._distributions import __all__ as _distributions_all  # noqa: E402
from ._discrete import *  # noqa: E402,F401,F403
from ._discrete import __all__ as _discrete_all  # noqa: E402

__all__ += _distributions_all + _discrete_all
