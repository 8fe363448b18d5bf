"""fnx.random and the threefry2x32 primitive under it.

* the primitive against Random123's published known answers (threefry2x32, 20 rounds) on the
  CPU kernel (eager and jit) and the numpy reference, and kernel == reference on large inputs
  (the threaded path);
* keys: determinism, split / fold_in give distinct streams;
* distributions: moments and a Kolmogorov-Smirnov statistic against the exact CDF, rates and
  chi-square bounds for the discrete samplers.  Fixed keys and modest sizes make every check
  deterministic; the bounds sit at p ~ 1e-4 or beyond, so a correct sampler passes with margin
  and a wrong transform (a shift, a scale, a lost bit) fails;
* jit == eager, vmap == a loop over keys, clear errors for bad input.
"""
import math

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import dtypes, lax
from fnx import random as R
from fnx.backends import get_impl
from fnx.errors import DTypeError, InvalidArgumentError, ShapeError

# Random123 kat_vectors, threefry2x32 20 rounds: (counter, key) -> output
KAT = [
    ((0x00000000, 0x00000000), (0x00000000, 0x00000000), (0x6B200159, 0x99BA4EFE)),
    ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
    ((0x243F6A88, 0x85A308D3), (0x13198A2E, 0x03707344), (0xC4923A9C, 0x483DF7A0)),
]


def _u32(v):
    return fnp.asarray(np.asarray(v, np.uint32))


def _np(x):
    return np.asarray(x.to_numpy())


# ---------------------------------------------------------------------------------------------
# The primitive
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["eager", "reference", "jit"])
def test_threefry_known_answers(how):
    ctr = np.array([c for c, _, _ in KAT], np.uint32)
    key = np.array([k for _, k, _ in KAT], np.uint32)
    want = np.array([o for _, _, o in KAT], np.uint32)
    ops = [_u32(key[:, 0]), _u32(key[:, 1]), _u32(ctr[:, 0]), _u32(ctr[:, 1])]
    if how == "reference":
        y0, y1 = get_impl("reference", lax.threefry2x32_p)(*ops)
    elif how == "jit":
        y0, y1 = fnx.jit(lax.threefry2x32)(*ops)
    else:
        y0, y1 = lax.threefry2x32(*ops)
    np.testing.assert_array_equal(_np(y0), want[:, 0])
    np.testing.assert_array_equal(_np(y1), want[:, 1])


def test_threefry_kernel_matches_reference_threaded_and_broadcast():
    rng = np.random.default_rng(1)
    n = 300_000   # above the kernel's parallel threshold
    ctr = rng.integers(0, 2 ** 32, (2, n), dtype=np.uint64).astype(np.uint32)
    k = np.uint32([0x9E3779B9, 0x7F4A7C15])
    ref = get_impl("reference", lax.threefry2x32_p)
    for ops in ([_u32(k[0]), _u32(k[1]), _u32(ctr[0]), _u32(ctr[1])],          # keys scalar
                [_u32(ctr[1]), _u32(k[1]), _u32(ctr[0]), _u32(k[0])]):         # mixed
        got, want = lax.threefry2x32(*ops), ref(*ops)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(_np(g), _np(w))
    jitted = fnx.jit(lambda c0, c1: lax.threefry2x32(_u32(k[0]), _u32(k[1]), c0, c1))
    for g, w in zip(jitted(_u32(ctr[0]), _u32(ctr[1])),
                    ref(_u32(k[0]), _u32(k[1]), _u32(ctr[0]), _u32(ctr[1]))):
        np.testing.assert_array_equal(_np(g), _np(w))


def test_threefry_rejects_bad_operands():
    with pytest.raises(DTypeError, match="threefry2x32.*uint32"):
        lax.threefry2x32(_u32(0), _u32(0), fnp.zeros(3, fnp.int32), _u32([1, 2, 3]))
    with pytest.raises(ShapeError, match="threefry2x32"):
        lax.threefry2x32(_u32(0), _u32(0), _u32([1, 2, 3]), _u32([1, 2]))


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------

def test_key_layout_and_determinism():
    np.testing.assert_array_equal(_np(R.key(42)), [0, 42])
    np.testing.assert_array_equal(_np(R.PRNGKey(-1)), [0, 2 ** 32 - 1])
    np.testing.assert_array_equal(_np(R.key(2 ** 40 + 5)), [2 ** 8, 5])
    np.testing.assert_array_equal(_np(R.key(fnp.asarray(np.int32(7)))), [0, 7])
    k = R.key(0)
    # split's first key is threefry of counter (0, 0), i.e. the first known answer
    np.testing.assert_array_equal(_np(R.split(k))[0], KAT[0][2])
    np.testing.assert_array_equal(_np(R.uniform(k, (5,))), _np(R.uniform(R.key(0), (5,))))
    assert not np.array_equal(_np(R.uniform(k, (5,))), _np(R.uniform(R.key(1), (5,))))


def test_split_and_fold_in_give_distinct_streams():
    k = R.key(3)
    keys = _np(R.split(k, 64))
    assert keys.shape == (64, 2) and keys.dtype == np.uint32
    assert len({tuple(r) for r in keys}) == 64
    folded = [tuple(_np(R.fold_in(k, i))) for i in range(1000, 1064)]
    assert len(set(folded) | {tuple(r) for r in keys}) == 128
    # (as in JAX, fold_in(k, i) is split(k, n)[i]: both encrypt the counter (0, i))
    assert tuple(_np(R.fold_in(k, 5))) == tuple(keys[5])
    streams = np.stack([_np(R.bits(fnp.asarray(kk), (256,))) for kk in keys[:8]])
    # independent streams: no shared words, and pairwise ~half the bits differ
    assert len(np.unique(streams)) == streams.size
    for a in range(8):
        for b in range(a):
            diff = np.unpackbits((streams[a] ^ streams[b]).view(np.uint8)).mean()
            assert 0.45 < diff < 0.55
    assert tuple(_np(R.fold_in(k, 5))) == tuple(_np(R.fold_in(k, fnp.asarray(np.int32(5)))))


def test_bits_are_balanced():
    b = _np(R.bits(R.key(11), (4096,)))
    per_bit = np.unpackbits(b.view(np.uint8)).reshape(-1, 32).mean(axis=0)
    assert np.all(np.abs(per_bit - 0.5) < 0.035)   # 4.5 sigma at n = 4096


# ---------------------------------------------------------------------------------------------
# Continuous distributions: moments and KS
# ---------------------------------------------------------------------------------------------

N = 8192
KS_BOUND = 1.95 / math.sqrt(N)   # the KS test's critical value at alpha = 0.001
_erf = np.vectorize(math.erf)


def _ks(samples, cdf):
    x = np.sort(np.asarray(samples, np.float64))
    c = cdf(x)
    n = x.size
    return max(np.max(np.arange(1, n + 1) / n - c), np.max(c - np.arange(n) / n))


def _normal_cdf(x):
    return 0.5 * (1 + _erf(x / math.sqrt(2)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform(dtype):
    u = _np(R.uniform(R.key(5), (N,), dtype, -2.0, 3.0))
    assert u.dtype == dtype
    assert u.min() >= -2.0 and u.max() < 3.0
    assert abs(u.mean() - 0.5) < 4 * 5 / math.sqrt(12 * N)
    assert abs(u.var() - 25 / 12) < 0.1
    assert _ks(u, lambda x: (x + 2) / 5) < KS_BOUND
    # low bits are random too: the float64 path uses 52 random mantissa bits
    unit = _np(R.uniform(R.key(5), (N,), dtype))
    frac = (unit.astype(np.float64) * 2.0 ** (12 if dtype == np.float32 else 40)) % 1.0
    assert _ks(frac, lambda x: x) < KS_BOUND


def test_uniform_array_bounds_broadcast():
    lo = fnp.asarray(np.float32([0.0, 10.0, -5.0]))
    u = _np(R.uniform(R.key(0), (1000, 3), minval=lo, maxval=lo + 1))
    assert np.all(u >= _np(lo)) and np.all(u < _np(lo) + 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal(dtype):
    x = _np(R.normal(R.key(7), (N,), dtype))
    assert x.dtype == dtype and np.all(np.isfinite(x))
    assert abs(x.mean()) < 4 / math.sqrt(N)
    assert abs(x.std() - 1) < 0.035
    assert abs(np.mean(x ** 3)) < 0.15 and abs(np.mean(x ** 4) - 3) < 0.3
    assert _ks(x, _normal_cdf) < KS_BOUND


def test_truncated_normal():
    lo, hi = -0.5, 1.5
    x = _np(R.truncated_normal(R.key(8), lo, hi, (N,)))
    assert x.min() > lo and x.max() < hi
    a, b = _normal_cdf(np.array(lo)), _normal_cdf(np.array(hi))
    assert _ks(x, lambda v: (_normal_cdf(v) - a) / (b - a)) < KS_BOUND
    # far in a tail the samples still respect the bounds
    t = _np(R.truncated_normal(R.key(9), 3.0, 4.0, (2000,)))
    assert t.min() > 3.0 and t.max() < 4.0


def test_gumbel():
    g = _np(R.gumbel(R.key(10), (N,)))
    assert np.all(np.isfinite(g))
    assert abs(g.mean() - 0.5772156649) < 4 * (math.pi / math.sqrt(6)) / math.sqrt(N)
    assert abs(g.var() - math.pi ** 2 / 6) < 0.15
    assert _ks(g, lambda v: np.exp(-np.exp(-v))) < KS_BOUND


# ---------------------------------------------------------------------------------------------
# Discrete distributions
# ---------------------------------------------------------------------------------------------

def _chi2(counts, expected):
    return float(np.sum((counts - expected) ** 2 / expected))


# chi-square upper quantiles at p = 1e-4 (k degrees of freedom)
_CHI2_1E4 = {3: 21.1, 4: 23.5, 9: 33.7}


def test_bernoulli_rate():
    for p in (0.1, 0.5, 0.83):
        b = _np(R.bernoulli(R.key(12), p, (20000,)))
        assert b.dtype == np.bool_
        assert abs(b.mean() - p) < 4.5 * math.sqrt(p * (1 - p) / 20000)
    # per-element p broadcasts; p = 0 and 1 are exact
    b = _np(R.bernoulli(R.key(13), fnp.asarray(np.float32([0.0, 1.0, 0.5])), (500, 3)))
    assert not b[:, 0].any() and b[:, 1].all()


def test_categorical_frequencies_follow_softmax():
    logits = np.array([0.5, -1.0, 2.0, 0.0, 1.0], np.float32)
    p = np.exp(logits) / np.exp(logits).sum()
    n = 20000
    s = _np(R.categorical(R.key(14), fnp.asarray(logits), shape=(n,)))
    counts = np.bincount(s, minlength=5)
    assert _chi2(counts, n * p) < _CHI2_1E4[4]
    # batched logits along axis 0: each column its own distribution
    two = np.stack([logits, logits[::-1]], axis=1)     # (5, 2)
    s2 = _np(R.categorical(R.key(15), fnp.asarray(two), axis=0, shape=(4000, 2)))
    assert s2.shape == (4000, 2)
    assert _chi2(np.bincount(s2[:, 1], minlength=5), 4000 * p[::-1]) < _CHI2_1E4[4]


@pytest.mark.parametrize("dtype,lo,hi", [(np.int32, 0, 10), (np.int32, -7, 3),
                                         (np.uint8, 0, 256), (np.int64, -(2 ** 40), -(2 ** 40) + 10),
                                         (np.uint32, 2 ** 32 - 10, 2 ** 32)])
def test_randint_range_and_uniformity(dtype, lo, hi):
    n = 20000
    x = _np(R.randint(R.key(16), (n,), lo, hi, dtype))
    assert x.dtype == dtype
    assert x.min() >= lo and x.max() < hi
    span = hi - lo
    if span <= 10:
        counts = np.bincount((x.astype(np.int64) - lo), minlength=span)
        assert _chi2(counts, n / span) < _CHI2_1E4[span - 1]
    else:   # coarse bins
        counts = np.bincount((x.astype(np.int64) - lo) * 10 // span, minlength=10)
        assert _chi2(counts, n / 10) < _CHI2_1E4[9]


def test_randint_empty_range_gives_minval():
    np.testing.assert_array_equal(_np(R.randint(R.key(0), (4,), 5, 5)), [5] * 4)


def test_permutation():
    p = _np(R.permutation(R.key(17), 50))
    np.testing.assert_array_equal(np.sort(p), np.arange(50))
    assert not np.array_equal(p, np.arange(50))
    x = np.arange(12).reshape(3, 4)
    px = _np(R.permutation(R.key(18), fnp.asarray(x), axis=1))
    np.testing.assert_array_equal(px, x[:, px[0]])          # whole columns move together
    np.testing.assert_array_equal(np.sort(px[0]), np.arange(4))
    # every position is uniform over the items (chi-square over many small permutations)
    firsts = [_np(R.permutation(k, 4))[0] for k in R.split(R.key(19), 800)]
    assert _chi2(np.bincount(firsts, minlength=4), 200.0) < _CHI2_1E4[3]


def test_choice():
    k = R.key(20)
    w = _np(R.choice(k, 10, (5000,)))
    assert w.min() >= 0 and w.max() < 10
    no = _np(R.choice(k, 10, (2, 5), replace=False))
    assert no.shape == (2, 5) and len(set(no.ravel())) == 10
    p = np.array([0.1, 0.0, 0.6, 0.3], np.float32)
    wp = _np(R.choice(R.key(21), 4, (20000,), p=fnp.asarray(p)))
    counts = np.bincount(wp, minlength=4)
    assert counts[1] == 0
    keep = p > 0
    assert _chi2(counts[keep], 20000 * p[keep]) < _CHI2_1E4[3]
    nop = _np(R.choice(R.key(22), 4, (3,), replace=False, p=fnp.asarray(p)))
    assert len(set(nop)) == 3 and 1 not in nop
    # from an array's rows
    a = np.arange(20).reshape(10, 2)
    rows = _np(R.choice(R.key(23), fnp.asarray(a), (4,), replace=False))
    assert rows.shape == (4, 2) and np.all(rows[:, 1] == rows[:, 0] + 1)


# ---------------------------------------------------------------------------------------------
# Transformations and errors
# ---------------------------------------------------------------------------------------------

def _sample_all(k):
    ks = R.split(k, 8)
    logits = fnp.asarray(np.float32([0.0, 1.0, -1.0]))
    return (R.uniform(ks[0], (3,)), R.normal(ks[1], (2, 2), fnp.float64),
            R.truncated_normal(ks[2], -1.0, 1.0, (3,)), R.bernoulli(ks[3], 0.3, (4,)),
            R.categorical(ks[4], logits, shape=(5,)), R.randint(ks[5], (3,), -5, 5),
            R.permutation(ks[6], 6), R.choice(ks[7], 5, (2,), replace=False),
            R.gumbel(ks[0], (2,)), R.fold_in(k, 3), R.bits(k, (2,)))


def test_jit_matches_eager():
    k = R.key(24)
    eager = _sample_all(k)
    jitted = fnx.jit(_sample_all)(k)
    for e, j in zip(eager, jitted):
        np.testing.assert_array_equal(_np(j), _np(e))


def test_vmap_matches_loop_over_keys():
    keys = R.split(R.key(25), 6)
    batched = fnx.vmap(_sample_all)(keys)
    for i in range(6):
        for b, e in zip(batched, _sample_all(keys[i])):
            np.testing.assert_array_equal(_np(b)[i], _np(e))
    # the brief's example, and vmap inside jit
    u = fnx.jit(fnx.vmap(lambda k: R.uniform(k, (3,))))(R.split(R.key(0), 8))
    assert u.shape == (8, 3)
    np.testing.assert_array_equal(_np(u)[5], _np(R.uniform(R.split(R.key(0), 8)[5], (3,))))


def test_samples_have_no_gradient_wrt_parameters_of_bits():
    # reparameterized sampling: d/dm of (m + normal) is 1 and flows; the key gets nothing
    g = fnx.grad(lambda m: fnp.sum(m + R.normal(R.key(0), (4,))))(fnp.asarray(np.float32(1.0)))
    assert float(g) == 4.0


def test_bad_input_errors():
    with pytest.raises(ShapeError, match="random.uniform.*uint32\\[2\\]"):
        R.uniform(fnp.zeros((3,), fnp.uint32), (2,))
    with pytest.raises(DTypeError, match="random.normal"):
        R.normal(fnp.zeros((2,), fnp.int32), (2,))
    with pytest.raises(ShapeError, match="random.uniform"):
        R.uniform(R.key(0), (-1, 2))
    with pytest.raises(DTypeError, match="random.uniform.*floating"):
        R.uniform(R.key(0), (2,), fnp.int32)
    with pytest.raises(InvalidArgumentError, match="random.bernoulli"):
        R.bernoulli(R.key(0), 1.5, (2,))
    with pytest.raises(InvalidArgumentError, match="random.choice"):
        R.choice(R.key(0), 3, (4,), replace=False)
    with pytest.raises(ShapeError, match="random.categorical"):
        R.categorical(R.key(0), fnp.zeros((2, 3)), shape=(4,))
    with pytest.raises(DTypeError, match="random.key"):
        R.key(1.5)


def test_jitted_sampling_is_one_native_segment():
    """threefry is a library call of the generated C, so a sampler (bits -> floats -> a
    transform) compiles to one native segment with no Python step in between."""
    from fnx.backends import executable_for
    from fnx.compiler.schedule import PyStep
    if fnx.config.default_backend != "cpu":
        pytest.skip("native segments are the CPU backend's")

    def f(k):
        k1, k2 = R.split(k)
        return R.normal(k1, (64,)) * R.uniform(k2, (64,)) + R.gumbel(k2, (64,))

    exe = executable_for("cpu", fnx.make_jaxpr(f)(R.key(0)).jaxpr, (False,))
    assert len(exe.program) == 1 and not isinstance(exe.program[0], PyStep)
    np.testing.assert_allclose(_np(fnx.jit(f)(R.key(0))), _np(f(R.key(0))), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# issue 16: the uniform bit layout pinned bit-exactly; truncated_normal accurate in the tails;
# errors name the sampler called
# ---------------------------------------------------------------------------------------------

def _threefry_words_np(k, n):
    """Both threefry words of counters (0, i), i < n, as numpy uint32 (the primitive is pinned
    by the known answers above; this fixes the counter layout of a draw of shape (n,))."""
    k = _np(k)
    w0, w1 = lax.threefry2x32(_u32(k[0]), _u32(k[1]), _u32(np.zeros(n)), _u32(np.arange(n)))
    return _np(w0), _np(w1)


def _unit_floats_np(k, n, dtype):
    """JAX's uniform in [0, 1): random mantissa bits under the exponent of 1.0, minus 1.0.
    float32: the top 23 of bits = w0 ^ w1; float64: the top 52 of the 64-bit w0 << 32 | w1."""
    w0, w1 = _threefry_words_np(k, n)
    if dtype == np.float32:
        mant = (w0 ^ w1) >> np.uint32(9)
        return (mant | np.float32(1.0).view(np.uint32)).view(np.float32) - np.float32(1.0)
    word = (w0.astype(np.uint64) << np.uint64(32)) | w1.astype(np.uint64)
    mant = word >> np.uint64(12)
    return (mant | np.float64(1.0).view(np.uint64)).view(np.float64) - 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform_bits_are_jax_layout_bit_exactly(dtype):
    n, k = 4099, R.key(17)
    want = _unit_floats_np(k, n, dtype)
    got = _np(R.uniform(k, (n,), dtype))
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.view(np.uint64 if dtype == np.float64 else np.uint32),
                                  want.view(np.uint64 if dtype == np.float64 else np.uint32))
    # bits is the float32 path's source word
    w0, w1 = _threefry_words_np(k, n)
    np.testing.assert_array_equal(_np(R.bits(k, (n,))), w0 ^ w1)
    # a shape's elements are drawn in row-major order of the same counters
    np.testing.assert_array_equal(_np(R.uniform(k, (3, 5), dtype)).ravel(), want[:15])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_is_the_inverse_cdf_of_the_pinned_uniform(dtype):
    n, k = 2048, R.key(18)
    lo = np.nextafter(np.array(-1.0, dtype), np.array(0.0, dtype))
    u = np.maximum(lo, _unit_floats_np(k, n, dtype) * (dtype(1.0) - lo) + lo).astype(np.float64)
    x = _np(R.normal(k, (n,), dtype)).astype(np.float64)
    # erf(x / sqrt 2) recovers the uniform the sample was made from (to the sample's rounding)
    slope = np.exp(-x ** 2 / 2) * math.sqrt(2 / math.pi)
    err = np.abs(_erf(x / math.sqrt(2)) - u)
    tol = slope * np.abs(x) * np.finfo(dtype).eps * 4 + np.finfo(dtype).eps * 2
    assert np.all(err <= tol), np.max(err / tol)


def _log_q(x):
    """log of the upper tail probability Q(x) = erfc(x / sqrt 2) / 2 (math.erfc is accurate in
    the tail)."""
    return math.log(0.5 * math.erfc(x / math.sqrt(2)))


def _truncated_moments(a, b):
    """Exact mean and variance of the standard normal truncated to (a, b), by
    mean = (phi(a) - phi(b)) / Z, var = 1 + (a phi(a) - b phi(b)) / Z - mean^2, every ratio
    to Z taken in log space (mirrored so that the interval's far tail is the upper one)."""
    if a + b < 0:
        m, v = _truncated_moments(-b, -a)
        return -m, v
    log_z = _log_q(a) + math.log(-math.expm1(_log_q(b) - _log_q(a))) if b < math.inf \
        else _log_q(a)

    def ratio(x, weight):  # weight(x) * phi(x) / Z
        if math.isinf(x):
            return 0.0
        return weight(x) * math.exp(-x * x / 2 - 0.5 * math.log(2 * math.pi) - log_z)
    mean = ratio(a, lambda x: 1.0) - ratio(b, lambda x: 1.0)
    var = 1 + ratio(a, lambda x: x) - ratio(b, lambda x: x) - mean ** 2
    return mean, var


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lower, upper", [(10.0, 11.0), (-11.0, -10.0), (-1.0, 1.0),
                                          (5.0, math.inf), (-math.inf, -30.0), (4.0, 6.0)])
def test_truncated_normal_moments_in_the_body_and_the_tails(lower, upper, dtype):
    # [10, 11] used to give 10.999999 for every sample (erf rounds to 1 there)
    n = 20000
    x = _np(R.truncated_normal(R.key(19), lower, upper, (n,), dtype))
    assert x.dtype == dtype and np.all((x > lower) & (x < upper))
    mean, var = _truncated_moments(lower, upper)
    x = x.astype(np.float64)
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / n), (x.mean(), mean)
    # the sample variance's standard error is var * sqrt((kurtosis - 1) / n); a truncated
    # normal's kurtosis is at most an exponential's (9)
    assert abs(x.var() / var - 1) < 5 * math.sqrt(8 / n), (x.var(), var)


def test_truncated_normal_matches_the_exact_cdf_deep_in_a_tail():
    a, b = 10.0, 11.0
    x = _np(R.truncated_normal(R.key(20), a, b, (N,), np.float64))
    log_qa = _log_q(a)
    span = -math.expm1(_log_q(b) - log_qa)
    cdf = np.vectorize(lambda v: -math.expm1(_log_q(v) - log_qa) / span)
    assert _ks(x, cdf) < KS_BOUND
    # per-element bounds (body, both tails) under jit and vmap as eagerly
    lo, hi = fnp.asarray([-1.0, 10.0, -11.0, 5.0]), fnp.asarray([1.0, 11.0, -10.0, np.inf])
    eager = _np(R.truncated_normal(R.key(21), lo, hi))
    np.testing.assert_array_equal(_np(fnx.jit(R.truncated_normal)(R.key(21), lo, hi)), eager)
    assert np.all((eager > _np(lo)) & (eager < _np(hi)))
    batched = _np(fnx.vmap(lambda k: R.truncated_normal(k, lo, hi))(R.split(R.key(22), 3)))
    assert np.all((batched > _np(lo)) & (batched < _np(hi)))


@pytest.mark.parametrize("name, call", [
    ("normal", lambda k, s: R.normal(k, s)),
    ("uniform", lambda k, s: R.uniform(k, s)),
    ("gumbel", lambda k, s: R.gumbel(k, s)),
    ("bits", lambda k, s: R.bits(k, s)),
    ("truncated_normal", lambda k, s: R.truncated_normal(k, -1.0, 1.0, s)),
    ("bernoulli", lambda k, s: R.bernoulli(k, 0.5, s)),
    ("randint", lambda k, s: R.randint(k, s, 0, 5)),
    ("choice", lambda k, s: R.choice(k, 5, s)),
    ("categorical", lambda k, s: R.categorical(k, fnp.zeros(3), shape=s)),
])
def test_too_large_draws_name_the_sampler_called(name, call):
    # normal used to blame random.uniform ("a parameter ... does not broadcast")
    with pytest.raises(ShapeError, match=rf"^random\.{name}: shape \(2147483648, 2147483648\) "
                                         r"has 4611686018427387904 elements"):
        call(R.key(0), (2 ** 31, 2 ** 31))
