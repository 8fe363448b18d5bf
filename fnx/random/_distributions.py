"""jax.random's further samplers on fnx.random's threefry keys (re-exported by fnx.random,
whose __init__ holds the keys and the basic draws); the discrete ones are in ``_discrete.py``.

Every sampler here is a pure function of its key, built from ``fnx.random``'s uniform / normal
/ bernoulli draws and lax primitives, so it works under ``jit`` and ``vmap`` (over keys or
parameters).  Rejection samplers (gamma, poisson, binomial) draw a whole array per round inside
``lax.while_loop`` and loop until every element has been accepted, so one key gives one fixed
array of samples.

Signatures, defaults (``dtype=None``: float32, or int32 for the integer samplers) and shape
rules are jax.random's: ``shape=None`` means the broadcast shape of the parameters, and a given
``shape`` must be one the parameters broadcast to.  The transforms follow JAX's where it is safe;
``rayleigh`` uses log(1 - u) rather than log(u) (never infinite).  ``gamma`` (and what is built
on it: loggamma, beta, dirichlet, chisquare, t, f, generalized_normal, ball) is differentiable
with respect to its shape parameter by implicit reparameterization, as JAX's.
"""
from __future__ import annotations

import operator
from functools import partial

import numpy as np

from .. import dtypes, lax
from .. import numpy as fnp
from ..core import Array, ArrayBase
from ..errors import DTypeError, InvalidArgumentError, ShapeError
from ..interpreters.custom import custom_jvp
from . import _check_key, _check_shape, _check_size, _full, _uniform, bernoulli, normal, split

__all__ = ["exponential", "laplace", "logistic", "cauchy", "lognormal", "pareto", "rayleigh",
           "maxwell", "double_sided_maxwell", "weibull_min", "triangular", "wald", "rademacher",
           "generalized_normal", "t", "chisquare", "f", "gamma", "loggamma", "beta", "dirichlet",
           "multivariate_normal",
           "orthogonal", "ball", "clone", "key_data", "wrap_key_data", "key_impl", "key_dtype"]

_KEY_IMPL = "threefry2x32"


# ---------------------------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------------------------

def _float_dtype(fn: str, dtype):
    """The sampler's float dtype (None: JAX's default float, float32)."""
    dtype = dtypes.default_float if dtype is None else dtypes.canonicalize(dtype, f"random.{fn}")
    if not dtypes.is_floating(dtype):
        raise DTypeError(f"random.{fn}: dtype must be a floating dtype, got {dtype}")
    return dtype


def _int_dtype(fn: str, dtype):
    """The sampler's integer dtype (None: JAX's default int, int32)."""
    dtype = dtypes.default_int if dtype is None else dtypes.canonicalize(dtype, f"random.{fn}")
    if not dtypes.is_integer(dtype):
        raise DTypeError(f"random.{fn}: dtype must be an integer dtype, got {dtype}")
    return dtype


def _param(fn: str, name: str, x, dtype=None):
    """A parameter as an fnx array (of ``dtype`` if given); booleans and complex numbers are
    refused by name."""
    x = fnp.asarray(x)
    if x.dtype == dtypes.bool_ or dtypes.is_complex(x.dtype):
        raise DTypeError(f"random.{fn}: {name} must be real, got {x.dtype}")
    return x if dtype is None else lax.convert_element_type(x, dtype)


def _out_shape(fn: str, shape, *params) -> tuple:
    """``shape`` (None: the parameters' broadcast shape), checked to be one they broadcast to."""
    shapes = [tuple(p.shape) for p in params]
    try:
        broadcast = np.broadcast_shapes(*shapes)
    except ValueError:
        raise ShapeError(f"random.{fn}: parameter shapes {shapes} do not broadcast") from None
    if shape is None:
        return _check_shape(fn, broadcast)
    shape = _check_shape(fn, shape)
    try:
        ok = np.broadcast_shapes(shape, *shapes) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(f"random.{fn}: shape {shape} is incompatible with parameter shapes "
                         f"{shapes}: they must broadcast to it")
    return shape


def _concrete(x):
    """numpy value of a concrete array, None for a traced one."""
    return np.asarray(x._value) if type(x) is Array else None


def _require(fn: str, name: str, x, ok, what: str):
    """Raise if a concrete parameter breaks ``ok`` (traced ones are not checked: their bad
    elements give NaN, as in JAX)."""
    v = _concrete(x)
    if v is not None and v.size and not np.all(ok(v)):
        raise InvalidArgumentError(f"random.{fn}: {name} must be {what}, got {v}")


def _positive(fn, name, x):
    _require(fn, name, x, lambda v: v > 0, "> 0")


def _c(value, like):
    """A scalar constant of ``like``'s dtype."""
    return _full(value, like.dtype)


def _select(pred, on_true, on_false):
    """lax.select with scalar cases broadcast to the predicate's shape."""
    shape = tuple(pred.shape)
    return lax.select(pred, fnp.broadcast_to(on_true, shape), fnp.broadcast_to(on_false, shape))


def _any(mask):
    return lax.reduce_or(mask, tuple(range(mask.ndim)))


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------

def _check_keys(fn: str, keys):
    """A key or an array of keys (uint32[..., 2])."""
    keys = fnp.asarray(keys) if not isinstance(keys, ArrayBase) else keys
    if keys.dtype != dtypes.uint32 or keys.ndim < 1 or keys.shape[-1] != 2:
        raise (DTypeError if keys.dtype != dtypes.uint32 else ShapeError)(
            f"random.{fn}: expected keys (uint32[..., 2], from fnx.random.key), got "
            f"{keys.dtype}{list(keys.shape)}")
    return keys


def key_data(keys):
    """The raw uint32 data of ``keys``: fnx keys are that data already (shape (..., 2))."""
    return _check_keys("key_data", keys)


def wrap_key_data(key_bits_array, *, impl=None):
    """Keys from their raw data (uint32[..., 2]); ``impl`` must be None or 'threefry2x32',
    the one implementation fnx has."""
    if impl is not None and str(impl) != _KEY_IMPL:
        raise InvalidArgumentError(f"random.wrap_key_data: fnx only has the {_KEY_IMPL!r} "
                                   f"PRNG implementation, got impl={impl!r}")
    return _check_keys("wrap_key_data", key_bits_array)


def key_impl(keys) -> str:
    """The name of the keys' PRNG implementation: always 'threefry2x32' in fnx."""
    _check_keys("key_impl", keys)
    return _KEY_IMPL


def key_dtype(impl=None):
    """The dtype of fnx's keys: uint32 (fnx keys are raw threefry key data, shape (..., 2))."""
    if impl is not None and str(impl) != _KEY_IMPL:
        raise InvalidArgumentError(f"random.key_dtype: fnx only has the {_KEY_IMPL!r} PRNG "
                                   f"implementation, got impl={impl!r}")
    return dtypes.uint32


def clone(key):
    """``key`` itself: fnx keys are immutable arrays, so a clone needs no copy (JAX's
    ``clone`` exists for its stateful-key checks)."""
    return _check_keys("clone", key)


# ---------------------------------------------------------------------------------------------
# Transforms of one uniform or normal draw
# ---------------------------------------------------------------------------------------------

def _unary_sampler(fn: str, key, shape, dtype):
    return _check_key(fn, key), _check_shape(fn, shape), _float_dtype(fn, dtype)


def _standard_exponential(fn, k, shape, dtype):
    # 1 - u lies in (0, 1], so the log is finite
    u = _uniform(fn, k, shape, dtype)
    return lax.neg(lax.log1p(lax.neg(u)))


def exponential(key, shape=(), dtype=None):
    """Standard exponential samples, -log(1 - u)."""
    k, shape, dtype = _unary_sampler("exponential", key, shape, dtype)
    return _standard_exponential("exponential", k, shape, dtype)


def laplace(key, shape=(), dtype=None):
    """Standard Laplace samples, sign(u) log(1 - |u|) with u uniform in (-1, 1)."""
    k, shape, dtype = _unary_sampler("laplace", key, shape, dtype)
    lo = -1.0 + float(np.finfo(dtype).epsneg)
    u = _uniform("laplace", k, shape, dtype, lo, 1.0)
    return lax.mul(lax.sign(u), lax.log1p(lax.neg(lax.abs(u))))


def logistic(key, shape=(), dtype=None):
    """Standard logistic samples, log(u) - log(1 - u)."""
    k, shape, dtype = _unary_sampler("logistic", key, shape, dtype)
    u = _uniform("logistic", k, shape, dtype, float(np.finfo(dtype).tiny), 1.0)
    return lax.sub(lax.log(u), lax.log1p(lax.neg(u)))


def cauchy(key, shape=(), dtype=None):
    """Standard Cauchy samples, tan(pi (u - 1/2))."""
    k, shape, dtype = _unary_sampler("cauchy", key, shape, dtype)
    u = _uniform("cauchy", k, shape, dtype, float(np.finfo(dtype).eps), 1.0)
    return lax.tan(lax.mul(_full(np.pi, dtype), lax.sub(u, _full(0.5, dtype))))


def lognormal(key, sigma=np.float32(1), shape=None, dtype=None):
    """Samples of exp(sigma * z), z standard normal."""
    k = _check_key("lognormal", key)
    dtype = _float_dtype("lognormal", dtype)
    sigma = _param("lognormal", "sigma", sigma, dtype)
    shape = _out_shape("lognormal", shape, sigma)
    return lax.exp(lax.mul(normal(k, shape, dtype), fnp.broadcast_to(sigma, shape)))


def pareto(key, b, shape=None, dtype=None):
    """Pareto samples of shape ``b`` (support [1, inf)): exp(E / b), E standard exponential."""
    k = _check_key("pareto", key)
    dtype = _float_dtype("pareto", dtype)
    b = _param("pareto", "b", b, dtype)
    _positive("pareto", "b", b)
    shape = _out_shape("pareto", shape, b)
    e = _standard_exponential("pareto", k, shape, dtype)
    return lax.exp(lax.div(e, fnp.broadcast_to(b, shape)))


def rayleigh(key, scale, shape=None, dtype=None):
    """Rayleigh samples, scale * sqrt(-2 log(1 - u))."""
    k = _check_key("rayleigh", key)
    dtype = _float_dtype("rayleigh", dtype)
    scale = _param("rayleigh", "scale", scale, dtype)
    _positive("rayleigh", "scale", scale)
    shape = _out_shape("rayleigh", shape, scale)
    e = _standard_exponential("rayleigh", k, shape, dtype)
    return lax.mul(fnp.broadcast_to(scale, shape), lax.sqrt(lax.mul(_full(2.0, dtype), e)))


def maxwell(key, shape=(), dtype=None):
    """Maxwell samples: the length of a standard normal 3-vector."""
    k, shape, dtype = _unary_sampler("maxwell", key, shape, dtype)
    _check_size("maxwell", shape + (3,))
    z = normal(k, shape + (3,), dtype)
    return lax.sqrt(lax.reduce_sum(lax.mul(z, z), (len(shape),)))


def double_sided_maxwell(key, loc, scale, shape=(), dtype=None):
    """Samples of loc + scale * s * m, m Maxwell and s a random sign.

    The output shape is ``shape + broadcast(loc, scale)`` (JAX's rule; with the default
    ``shape=()`` it is the parameters' shape)."""
    k = _check_key("double_sided_maxwell", key)
    dtype = _float_dtype("double_sided_maxwell", dtype)
    loc = _param("double_sided_maxwell", "loc", loc, dtype)
    scale = _param("double_sided_maxwell", "scale", scale, dtype)
    params = _out_shape("double_sided_maxwell", None, loc, scale)
    shape = _check_shape("double_sided_maxwell", shape) + params
    k_m, k_s = split(k)
    m = maxwell(k_m, shape, dtype)
    sign = rademacher(k_s, shape, dtype)
    return lax.add(lax.mul(lax.mul(sign, m), fnp.broadcast_to(scale, shape)),
                   fnp.broadcast_to(loc, shape))


def weibull_min(key, scale, concentration, shape=(), dtype=None):
    """Weibull samples, scale * (-log(1 - u)) ** (1 / concentration); the output shape is
    ``shape`` broadcast with the parameters' shapes."""
    k = _check_key("weibull_min", key)
    dtype = _float_dtype("weibull_min", dtype)
    scale = _param("weibull_min", "scale", scale, dtype)
    conc = _param("weibull_min", "concentration", concentration, dtype)
    _positive("weibull_min", "scale", scale)
    _positive("weibull_min", "concentration", conc)
    shape = _check_shape("weibull_min", shape)
    try:
        shape = tuple(np.broadcast_shapes(shape, tuple(scale.shape), tuple(conc.shape)))
    except ValueError:
        raise ShapeError(f"random.weibull_min: shape {shape} and parameter shapes "
                         f"{tuple(scale.shape)}, {tuple(conc.shape)} do not broadcast") from None
    e = _standard_exponential("weibull_min", k, _check_shape("weibull_min", shape), dtype)
    inv_c = lax.div(_full(1.0, dtype), fnp.broadcast_to(conc, shape))
    return lax.mul(lax.pow(e, inv_c), fnp.broadcast_to(scale, shape))


def triangular(key, left, mode, right, shape=None, dtype=None):
    """Triangular samples on [left, right] peaking at ``mode`` (inverse CDF)."""
    fn = "triangular"
    k = _check_key(fn, key)
    dtype = _float_dtype(fn, dtype)
    left, mode, right = (_param(fn, n, v, dtype)
                         for n, v in (("left", left), ("mode", mode), ("right", right)))
    vl, vm, vr = _concrete(left), _concrete(mode), _concrete(right)
    if vl is not None and vm is not None and vr is not None and vl.size and vm.size and vr.size:
        if not (np.all(vl <= vm) and np.all(vm <= vr) and np.all(vl < vr)):
            raise InvalidArgumentError(f"random.triangular: need left <= mode <= right and "
                                       f"left < right, got {vl}, {vm}, {vr}")
    shape = _out_shape(fn, shape, left, mode, right)
    left, mode, right = (fnp.broadcast_to(v, shape) for v in (left, mode, right))
    width = lax.sub(right, left)
    u = _uniform(fn, k, shape, dtype)
    below = lax.add(left, lax.sqrt(lax.mul(lax.mul(u, width), lax.sub(mode, left))))
    above = lax.sub(right, lax.sqrt(lax.mul(lax.mul(lax.sub(_full(1.0, dtype), u), width),
                                            lax.sub(right, mode))))
    return _select(lax.lt(u, lax.div(lax.sub(mode, left), width)), below, above)


def wald(key, mean, shape=None, dtype=None):
    """Wald (inverse Gaussian, unit shape) samples of mean ``mean`` (Michael, Schucany and
    Haas: a root of the chi-square(1) equation, picked with the right probability)."""
    k = _check_key("wald", key)
    dtype = _float_dtype("wald", dtype)
    mean = _param("wald", "mean", mean, dtype)
    _positive("wald", "mean", mean)
    shape = _out_shape("wald", shape, mean)
    mu = fnp.broadcast_to(mean, shape)
    k_n, k_u = split(k)
    v = normal(k_n, shape, dtype)
    y = lax.mul(v, v)
    mu_y = lax.mul(mu, y)
    # the smaller root mu + mu^2 y / 2 - mu / 2 sqrt(4 mu y + mu^2 y^2)
    root = lax.sqrt(lax.add(lax.mul(_full(4.0, dtype), mu_y), lax.mul(mu_y, mu_y)))
    x = lax.sub(lax.add(mu, lax.mul(_full(0.5, dtype), lax.mul(mu, mu_y))),
                lax.mul(lax.mul(_full(0.5, dtype), mu), root))
    z = _uniform("wald", k_u, shape, dtype)
    take_x = lax.le(z, lax.div(mu, lax.add(mu, x)))
    return _select(take_x, x, lax.div(lax.mul(mu, mu), x))


def rademacher(key, shape=(), dtype=None):
    """Random signs, -1 or +1 with equal probability (default dtype int32)."""
    k = _check_key("rademacher", key)
    shape = _check_shape("rademacher", shape)
    dtype = dtypes.default_int if dtype is None else dtypes.canonicalize(dtype,
                                                                         "random.rademacher")
    if dtype == dtypes.bool_ or dtypes.is_complex(dtype) or not (dtypes.is_floating(dtype) or dtypes.is_signed(dtype)):
        raise DTypeError(f"random.rademacher: dtype must be a signed integer or float dtype, "
                         f"got {dtype}")
    b = lax.convert_element_type(bernoulli(k, 0.5, shape), dtype)
    return lax.sub(lax.mul(_full(2, dtype), b), _full(1, dtype))


def generalized_normal(key, p, shape=(), dtype=None):
    """Generalized normal samples, density proportional to exp(-|x|^p):
    s * G ** (1 / p) with G ~ Gamma(1 / p) and s a random sign."""
    k = _check_key("generalized_normal", key)
    shape = _check_shape("generalized_normal", shape)
    dtype = _float_dtype("generalized_normal", dtype)
    return _generalized_normal(k, p, shape, dtype)


def _generalized_normal(k, p, shape, dtype):
    p = _param("generalized_normal", "p", p, dtype)
    _positive("generalized_normal", "p", p)
    k_g, k_s = split(k)
    inv_p = lax.div(_full(1.0, dtype), fnp.broadcast_to(p, shape))
    g = _gamma_sample(k_g, inv_p, False)
    sign = rademacher(k_s, shape, dtype)
    return lax.mul(sign, lax.pow(g, inv_p))


def ball(key, d: int, p=2, shape=(), dtype=None):
    """Samples uniform in the unit p-norm ball of dimension ``d``, shape ``shape + (d,)``
    (Barthe, Guedon, Mendelson and Naor: g / (||g||_p^p + E) ** (1 / p), g generalized
    normal, E exponential)."""
    k = _check_key("ball", key)
    shape = _check_shape("ball", shape)
    dtype = _float_dtype("ball", dtype)
    try:
        d = operator.index(d)
    except TypeError:
        raise InvalidArgumentError(f"random.ball: d must be a static int, got {d!r}") from None
    if d < 0:
        raise InvalidArgumentError(f"random.ball: d must be >= 0, got {d}")
    full = _check_shape("ball", shape + (d,))
    k_g, k_e = split(k)
    g = _generalized_normal(k_g, p, full, dtype)
    e = _standard_exponential("ball", k_e, shape, dtype)
    p_ = fnp.broadcast_to(_param("ball", "p", p, dtype), shape)
    norm_p = lax.add(lax.reduce_sum(lax.pow(lax.abs(g), fnp.broadcast_to(p_[..., None], full)),
                                    (len(shape),)), e)
    scale = lax.pow(norm_p, lax.div(_full(1.0, dtype), p_))
    return g / scale[..., None]


# ---------------------------------------------------------------------------------------------
# Gamma and the samplers built on it
# ---------------------------------------------------------------------------------------------

_MAX_ROUNDS = 10_000  # rejection rounds: accepting is ~96% likely per round, so never reached


def _marsaglia_tsang(k, alpha):
    """log of Gamma(alpha) samples for alpha >= 1 (Marsaglia and Tsang 2000), each element
    drawing a normal x and a uniform u per round until v = (1 + c x)^3 > 0 is accepted by
    log u < x^2 / 2 + d (1 - v + log v) (or its cheap squeeze u < 1 - 0.0331 x^4); rounds go
    on while any element is still waiting.  The sample is d v."""
    dtype, shape = alpha.dtype, tuple(alpha.shape)
    d = lax.sub(alpha, _full(1.0 / 3.0, dtype))
    c = lax.div(_full(1.0 / 3.0, dtype), lax.sqrt(d))
    one = _full(1.0, dtype)

    def waiting(state):
        rounds, _, done, _ = state
        return lax.bitwise_and(lax.lt(rounds, _full(_MAX_ROUNDS, dtypes.int32)),
                               _any(lax.not_(done)))

    def one_round(state):
        rounds, k, done, log_v = state
        k, k_x, k_u = split(k, 3)
        x = normal(k_x, shape, dtype)
        u = _uniform("gamma", k_u, shape, dtype)
        v = lax.add(one, lax.mul(c, x))
        positive = lax.gt(v, _full(0.0, dtype))
        v3 = _select(positive, lax.mul(lax.mul(v, v), v), one)
        x2 = lax.mul(x, x)
        squeeze = lax.lt(u, lax.sub(one, lax.mul(_full(0.0331, dtype), lax.mul(x2, x2))))
        bound = lax.add(lax.mul(_full(0.5, dtype), x2),
                        lax.mul(d, lax.add(lax.sub(one, v3), lax.log(v3))))
        accept = lax.bitwise_and(positive, lax.bitwise_or(squeeze, lax.lt(lax.log(u), bound)))
        fresh = lax.bitwise_and(accept, lax.not_(done))
        log_v = _select(fresh, lax.log(v3), log_v)
        return lax.add(rounds, _full(1, dtypes.int32)), k, lax.bitwise_or(done, accept), log_v

    init = (_full(0, dtypes.int32), k, fnp.zeros(shape, dtypes.bool_),
            fnp.zeros(shape, dtype))
    _, _, _, log_v = lax.while_loop(waiting, one_round, init)
    return lax.add(lax.log(d), log_v)


def _gamma_log_sample(k, alpha):
    """log of Gamma(alpha) samples for any alpha > 0 (alpha broadcast to the output shape).
    alpha < 1 is boosted: Gamma(alpha) = Gamma(alpha + 1) * U ** (1 / alpha), in log space
    so that tiny alphas do not underflow.  Invalid alphas (<= 0, inf, NaN) give NaN."""
    dtype = alpha.dtype
    valid = lax.bitwise_and(lax.gt(alpha, _full(0.0, dtype)), lax.is_finite(alpha))
    safe = _select(valid, alpha, fnp.ones_like(alpha))  # keeps the loop finite
    boosted = lax.lt(safe, _full(1.0, dtype))
    k_mt, k_boost = split(k)
    log_g = _marsaglia_tsang(k_mt, _select(boosted, lax.add(safe, _full(1.0, dtype)), safe))
    log_u = lax.neg(_standard_exponential("gamma", k_boost, tuple(alpha.shape), dtype))
    log_g = _select(boosted, lax.add(log_g, lax.div(log_u, safe)), log_g)
    return _select(valid, log_g, fnp.full_like(log_g, np.nan))


# the key is an ordinary (integer, so tangent-free) argument rather than a nondiff one: a
# nondiff argument is closed over by the rule, and a batched key closed over under
# vmap(grad(...)) leaked its batch tracer
@partial(custom_jvp, nondiff_argnums=(2,))
def _gamma_sample(k, alpha, log_space):
    """Gamma(alpha) samples (their logs if ``log_space``), differentiable in alpha."""
    log_g = _gamma_log_sample(k, alpha)
    return log_g if log_space else lax.exp(log_g)


@_gamma_sample.defjvp
def _gamma_sample_jvp(log_space, primals, tangents):
    # implicit reparameterization: a sample x = F^-1(u; alpha) moves with alpha as
    # dx/dalpha = -(dF/dalpha) / pdf(x), the derivative _gamma_sample_grad computes
    (k, alpha), (_, t) = primals, tangents
    out = _gamma_sample(k, alpha, log_space)
    x = lax.exp(out) if log_space else out
    dx = _gamma_sample_grad(lax.stop_gradient(alpha), lax.stop_gradient(x))
    if log_space:
        dx = lax.div(dx, x)
    return out, lax.mul(t, dx)


def _gamma_sample_grad(alpha, sample):
    """d sample / d alpha of Gamma(alpha) samples, -(dP(alpha, x)/dalpha) / pdf(x), by
    lax.random_gamma_grad (JAX's name for it)."""
    grad = getattr(lax, "random_gamma_grad", None)
    if grad is None:
        raise NotImplementedError("random.gamma: differentiating samples needs "
                                  "fnx.lax.random_gamma_grad, which this build lacks")
    return grad(alpha, sample)


def _gamma_args(fn, key, a, shape, dtype, method):
    k = _check_key(fn, key)
    if method not in ("exact", "approximate"):
        raise InvalidArgumentError(f"random.{fn}: method must be 'exact' or 'approximate', "
                                   f"got {method!r}")
    dtype = _float_dtype(fn, dtype)
    a = _param(fn, "a", a, dtype)
    _positive(fn, "a", a)
    shape = _out_shape(fn, shape, a)
    return k, fnp.broadcast_to(a, shape)


def gamma(key, a, shape=None, dtype=None, *, method="exact"):
    """Gamma(a) samples (unit scale), differentiable in ``a``.  ``method='approximate'`` is
    accepted and gives the same exact samples."""
    k, a = _gamma_args("gamma", key, a, shape, dtype, method)
    return _gamma_sample(k, a, False)


def loggamma(key, a, shape=None, dtype=None, *, method="exact"):
    """log of Gamma(a) samples, accurate where the samples themselves underflow (small a)."""
    k, a = _gamma_args("loggamma", key, a, shape, dtype, method)
    return _gamma_sample(k, a, True)


def beta(key, a, b, shape=None, dtype=None, *, method="exact"):
    """Beta(a, b) samples, G_a / (G_a + G_b) from two log-gamma draws (scaled by their max so
    that small a, b do not underflow)."""
    fn = "beta"
    k = _check_key(fn, key)
    dtype = _float_dtype(fn, dtype)
    a, b = _param(fn, "a", a, dtype), _param(fn, "b", b, dtype)
    _positive(fn, "a", a)
    _positive(fn, "b", b)
    shape = _out_shape(fn, shape, a, b)
    k_a, k_b = split(k)
    log_a = loggamma(k_a, fnp.broadcast_to(a, shape), shape, dtype, method=method)
    log_b = loggamma(k_b, fnp.broadcast_to(b, shape), shape, dtype, method=method)
    top = lax.max(log_a, log_b)
    ga, gb = lax.exp(lax.sub(log_a, top)), lax.exp(lax.sub(log_b, top))
    return lax.div(ga, lax.add(ga, gb))


def dirichlet(key, alpha, shape=None, dtype=None):
    """Dirichlet(alpha) samples along alpha's last axis (a softmax of log-gamma draws); the
    output shape is ``shape + alpha.shape[-1:]``, ``shape`` defaulting to alpha's batch
    shape."""
    fn = "dirichlet"
    k = _check_key(fn, key)
    dtype = _float_dtype(fn, dtype)
    alpha = _param(fn, "alpha", alpha, dtype)
    if alpha.ndim < 1:
        raise ShapeError("random.dirichlet: alpha must have at least one dimension, got a "
                         "scalar")
    _positive(fn, "alpha", alpha)
    batch = _out_shape(fn, shape, fnp.zeros(tuple(alpha.shape[:-1])))
    full = batch + tuple(alpha.shape[-1:])
    log_g = loggamma(k, fnp.broadcast_to(alpha, full), full, dtype)
    top = lax.stop_gradient(fnp.max(log_g, axis=-1, keepdims=True))
    e = lax.exp(lax.sub(log_g, fnp.broadcast_to(top, full)))
    return e / fnp.sum(e, axis=-1, keepdims=True)


def chisquare(key, df, shape=None, dtype=None, *, method="exact"):
    """Chi-square samples with ``df`` degrees of freedom: 2 Gamma(df / 2)."""
    fn = "chisquare"
    k = _check_key(fn, key)
    dtype = _float_dtype(fn, dtype)
    df = _param(fn, "df", df, dtype)
    _positive(fn, "df", df)
    shape = _out_shape(fn, shape, df)
    half = lax.mul(fnp.broadcast_to(df, shape), _full(0.5, dtype))
    return lax.mul(_full(2.0, dtype), lax.exp(loggamma(k, half, shape, dtype, method=method)))


def t(key, df, shape=None, dtype=None):
    """Student's t samples with ``df`` degrees of freedom: z sqrt((df / 2) / G(df / 2))."""
    fn = "t"
    k = _check_key(fn, key)
    dtype = _float_dtype(fn, dtype)
    df = _param(fn, "df", df, dtype)
    _positive(fn, "df", df)
    shape = _out_shape(fn, shape, df)
    k_n, k_g = split(k)
    z = normal(k_n, shape, dtype)
    half = lax.mul(fnp.broadcast_to(df, shape), _full(0.5, dtype))
    g = _gamma_sample(k_g, half, False)
    return lax.mul(z, lax.sqrt(lax.div(half, g)))


def f(key, dfnum, dfden, shape=None, dtype=None):
    """F-distribution samples: (X1 / dfnum) / (X2 / dfden), X chi-square."""
    fn = "f"
    k = _check_key(fn, key)
    dtype = _float_dtype(fn, dtype)
    dfnum, dfden = _param(fn, "dfnum", dfnum, dtype), _param(fn, "dfden", dfden, dtype)
    _positive(fn, "dfnum", dfnum)
    _positive(fn, "dfden", dfden)
    shape = _out_shape(fn, shape, dfnum, dfden)
    k_den, k_num = split(k)
    x_num = chisquare(k_num, dfnum, shape, dtype)
    x_den = chisquare(k_den, dfden, shape, dtype)
    return lax.div(lax.div(x_num, fnp.broadcast_to(dfnum, shape)),
                   lax.div(x_den, fnp.broadcast_to(dfden, shape)))


# ---------------------------------------------------------------------------------------------
# Multivariate
# ---------------------------------------------------------------------------------------------

def multivariate_normal(key, mean, cov, shape=None, dtype=None, method="cholesky"):
    """Samples of N(mean, cov) over mean's last axis: mean + A z with A A^T = cov from a
    Cholesky factor ('cholesky', cov positive definite) or from eigh / svd ('eigh', 'svd':
    A = U sqrt(S), for a singular cov).  The output shape is ``shape + mean.shape[-1:]``,
    ``shape`` defaulting to the broadcast batch shape of mean and cov."""
    fn = "multivariate_normal"
    k = _check_key(fn, key)
    if method not in ("cholesky", "eigh", "svd"):
        raise InvalidArgumentError(f"random.multivariate_normal: method must be 'cholesky', "
                                   f"'eigh' or 'svd', got {method!r}")
    dtype = _float_dtype(fn, dtype)
    mean, cov = _param(fn, "mean", mean, dtype), _param(fn, "cov", cov, dtype)
    if mean.ndim < 1 or cov.ndim < 2:
        raise ShapeError(f"random.multivariate_normal: need mean.ndim >= 1 and cov.ndim >= 2, "
                         f"got mean {tuple(mean.shape)} and cov {tuple(cov.shape)}")
    d = mean.shape[-1]
    if tuple(cov.shape[-2:]) != (d, d):
        raise ShapeError(f"random.multivariate_normal: cov must have shape (..., {d}, {d}) for "
                         f"mean {tuple(mean.shape)}, got {tuple(cov.shape)}")
    batch = _out_shape(fn, shape, fnp.zeros(tuple(mean.shape[:-1])),
                       fnp.zeros(tuple(cov.shape[:-2])))
    if method == "cholesky":
        factor = fnp.linalg.cholesky(cov)
    elif method == "eigh":
        w, v = fnp.linalg.eigh(cov)
        factor = v * fnp.sqrt(fnp.maximum(w, 0))[..., None, :]
    else:
        u, s, _ = fnp.linalg.svd(cov)
        factor = u * fnp.sqrt(s)[..., None, :]
    z = normal(k, _check_shape(fn, batch + (d,)), dtype)
    return mean + fnp.einsum("...ij,...j->...i", factor, z)


def orthogonal(key, n: int, shape=(), dtype=None, m=None):
    """Samples of Haar-random matrices with orthonormal columns (or rows), shape
    ``shape + (n, m)`` (m defaults to n): Q of a normal matrix's QR with R's diagonal signs
    folded in (Mezzadri 2007)."""
    fn = "orthogonal"
    k = _check_key(fn, key)
    shape = _check_shape(fn, shape)
    dtype = _float_dtype(fn, dtype)
    try:
        n = operator.index(n)
        m = n if m is None else operator.index(m)
    except TypeError:
        raise InvalidArgumentError(f"random.orthogonal: n and m must be static ints, got "
                                   f"n={n!r}, m={m!r}") from None
    if n < 0 or m < 0:
        raise InvalidArgumentError(f"random.orthogonal: n and m must be >= 0, got {n}, {m}")
    z = normal(k, _check_shape(fn, shape + (max(n, m), min(n, m))), dtype)
    q, r = fnp.linalg.qr(z)
    diag = fnp.diagonal(r, axis1=-2, axis2=-1)
    sign = _select(lax.lt(diag, _c(0.0, diag)), fnp.full_like(diag, -1.0),
                      fnp.ones_like(diag))
    x = q * sign[..., None, :]
    return fnp.swapaxes(x, -1, -2) if n < m else x
