"""uint32 end to end: wrapping arithmetic, bitwise ops, logical shifts, conversions, reductions
and promotion, against numpy, eagerly and under jit (the spec tables draw uint32 too; these are
the edge values they rarely hit)."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import dtypes, lax

U32 = np.uint32
EDGE = np.array([0, 1, 2, 3, 7, 255, 65535, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32 - 2,
                 2 ** 32 - 1, 123456789, 3735928559], U32)
RNG = np.random.default_rng(0)


def _pairs():
    a = np.concatenate([EDGE, RNG.integers(0, 2 ** 32, 50, dtype=np.uint64).astype(U32)])
    b = np.concatenate([EDGE[::-1], RNG.integers(0, 2 ** 32, 50, dtype=np.uint64).astype(U32)])
    return a, b


def _np_div(a, b):  # lax semantics: x / 0 == 0, x % 0 == 0
    with np.errstate(all="ignore"):
        q = np.where(b == 0, 0, a // np.where(b == 0, 1, b)).astype(U32)
        r = np.where(b == 0, 0, a % np.where(b == 0, 1, b)).astype(U32)
    return q, r


BINARY = {
    "add": (lax.add, lambda a, b: a + b),
    "sub": (lax.sub, lambda a, b: a - b),
    "mul": (lax.mul, lambda a, b: a * b),
    "div": (lax.div, lambda a, b: _np_div(a, b)[0]),
    "rem": (lax.rem, lambda a, b: _np_div(a, b)[1]),
    "max": (lax.max, np.maximum),
    "min": (lax.min, np.minimum),
    "and": (lax.bitwise_and, np.bitwise_and),
    "or": (lax.bitwise_or, np.bitwise_or),
    "xor": (lax.bitwise_xor, np.bitwise_xor),
    "lt": (lax.lt, np.less),
    "ge": (lax.ge, np.greater_equal),
}


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_matches_numpy(name, jit):
    fn, ref = BINARY[name]
    a, b = _pairs()
    f = fnx.jit(fn) if jit else fn
    with np.errstate(all="ignore"):
        want = ref(a, b)
    got = f(fnp.asarray(a), fnp.asarray(b))
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.to_numpy(), want)


@pytest.mark.parametrize("jit", [False, True])
def test_shifts_are_logical_and_defined_past_the_width(jit):
    a = np.repeat(EDGE, 5)
    s = np.tile(np.array([0, 1, 13, 31, 32], U32), EDGE.size)
    ok = s < 32
    shift = np.where(ok, s, 0)
    want_l = np.where(ok, a << shift, 0).astype(U32)
    want_r = np.where(ok, a >> shift, 0).astype(U32)
    fl = fnx.jit(lax.shift_left) if jit else lax.shift_left
    fr = fnx.jit(lax.shift_right_logical) if jit else lax.shift_right_logical
    fa = fnx.jit(lax.shift_right_arithmetic) if jit else lax.shift_right_arithmetic
    np.testing.assert_array_equal(fl(fnp.asarray(a), fnp.asarray(s)).to_numpy(), want_l)
    np.testing.assert_array_equal(fr(fnp.asarray(a), fnp.asarray(s)).to_numpy(), want_r)
    # for an unsigned type the arithmetic shift fills with zeros too
    np.testing.assert_array_equal(fa(fnp.asarray(a), fnp.asarray(s)).to_numpy(), want_r)


@pytest.mark.parametrize("jit", [False, True])
def test_unary_and_integer_pow(jit):
    x = fnp.asarray(EDGE)
    run = fnx.jit if jit else (lambda f: f)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(run(lax.neg)(x).to_numpy(), (0 - EDGE).astype(U32))
        np.testing.assert_array_equal(run(lax.bitwise_not)(x).to_numpy(), ~EDGE)
        np.testing.assert_array_equal(run(lambda v: lax.integer_pow(v, 3))(x).to_numpy(),
                                      EDGE * EDGE * EDGE)
    np.testing.assert_array_equal(run(lax.sign)(x).to_numpy(), np.sign(EDGE))


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("to", ["float32", "float64", "int32", "int64", "uint8", "int8", "bool"])
def test_convert_from_uint32(to, jit):
    f = (lambda v: lax.convert_element_type(v, to))
    got = (fnx.jit(f) if jit else f)(fnp.asarray(EDGE))
    np.testing.assert_array_equal(got.to_numpy(), EDGE.astype(to))


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("src", ["float32", "float64", "int32", "int64", "uint8", "int8", "bool"])
def test_convert_to_uint32(src, jit):
    if src.startswith("float"):  # in range (C leaves out-of-range float -> uint casts open)
        x = np.array([0.0, 0.5, 1.7, 255.9, 65536.25, 2.0 ** 31, 4294967040.0], src)
    elif src == "bool":
        x = np.array([True, False])
    else:
        info = np.iinfo(src)
        x = np.array([0, 1, 7, info.max, -1 if info.min < 0 else 2, info.min], src)
    f = (lambda v: lax.convert_element_type(v, dtypes.uint32))
    got = (fnx.jit(f) if jit else f)(fnp.asarray(x))
    np.testing.assert_array_equal(got.to_numpy(), x.astype(U32))


@pytest.mark.parametrize("jit", [False, True])
def test_reductions(jit):
    x = np.stack([EDGE, EDGE[::-1]])
    run = fnx.jit if jit else (lambda f: f)
    a = fnp.asarray(x)
    # sums of uint32 stay uint32 and wrap (jax.numpy's accumulator rule)
    np.testing.assert_array_equal(run(lambda v: fnp.sum(v, axis=1))(a).to_numpy(),
                                  x.sum(axis=1, dtype=U32))
    np.testing.assert_array_equal(run(lambda v: fnp.max(v, axis=0))(a).to_numpy(), x.max(0))
    np.testing.assert_array_equal(run(lambda v: fnp.min(v))(a).to_numpy(), x.min())
    np.testing.assert_array_equal(run(lambda v: fnp.argmax(v, axis=1))(a).to_numpy(),
                                  x.argmax(1))
    np.testing.assert_array_equal(run(lambda v: fnp.cumsum(v, axis=1))(a).to_numpy(),
                                  np.cumsum(x, axis=1, dtype=U32))
    np.testing.assert_array_equal(run(fnp.sort)(a).to_numpy(), np.sort(x))


def test_promotion_follows_jax():
    u = fnp.asarray(EDGE)
    assert fnp.result_type(dtypes.uint32, dtypes.int32) == dtypes.int64
    assert fnp.result_type(dtypes.uint32, dtypes.int8) == dtypes.int64
    assert fnp.result_type(dtypes.uint32, dtypes.uint8) == dtypes.uint32
    assert fnp.result_type(dtypes.uint32, dtypes.int64) == dtypes.int64
    assert fnp.result_type(dtypes.uint32, dtypes.float32) == dtypes.float32
    assert (u + 1).dtype == dtypes.uint32                     # weak Python ints adopt uint32
    np.testing.assert_array_equal((u + fnp.asarray(np.int32([-1]))).to_numpy(),
                                  EDGE.astype(np.int64) - 1)
    np.testing.assert_array_equal(fnp.matmul(u[None, :4], u[:4, None]).to_numpy(),
                                  EDGE[None, :4] @ EDGE[:4, None])


def test_bitcast_convert_type_round_trips():
    f = np.array([0.0, -0.0, 1.0, -2.5, np.inf, np.nan, 1e-45], np.float32)
    d = np.array([0.0, -1.0, np.pi, np.inf], np.float64)
    for x, to in [(f, np.uint32), (f, np.int32), (d, np.int64)]:
        for jit in (False, True):
            fwd = (lambda v, to=to: lax.bitcast_convert_type(v, to))
            got = (fnx.jit(fwd) if jit else fwd)(fnp.asarray(x))
            np.testing.assert_array_equal(got.to_numpy(), x.view(to))
            back = lax.bitcast_convert_type(got, x.dtype).to_numpy()
            np.testing.assert_array_equal(back.view(to), x.view(to))   # bit for bit
    # batched, and transposed (non-contiguous) input
    m = RNG.standard_normal((3, 4)).astype(np.float32)
    got = fnx.vmap(lambda r: lax.bitcast_convert_type(r, np.uint32), in_axes=1)(fnp.asarray(m))
    np.testing.assert_array_equal(got.to_numpy(), m.T.view(np.uint32))
    # no gradient flows through reinterpreted bits
    g = fnx.grad(lambda v: lax.bitcast_convert_type(
        lax.bitcast_convert_type(v, np.int32), np.float32) * v)(fnp.asarray(np.float32(3.0)))
    assert float(g) == 3.0
