"""fnx.ops segment reductions vs numpy loops (np.add.at / np.multiply.at / np.maximum.at ...)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx.numpy as fnp
from fnx import ops
from fnx.errors import ConcretizationTypeError, DTypeError, InvalidArgumentError, ShapeError
from fnx.test_util import check_grads

NP_AT = {"sum": np.add.at, "prod": np.multiply.at, "max": np.maximum.at, "min": np.minimum.at}
FNS = {"sum": ops.segment_sum, "prod": ops.segment_prod, "max": ops.segment_max,
       "min": ops.segment_min}


def _empty_value(kind, dtype):
    dtype = np.dtype(dtype)
    if kind == "sum":
        return 0
    if kind == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if kind == "max" else np.inf
    info = np.iinfo(dtype)
    return info.min if kind == "max" else info.max


def numpy_segment(kind, data, ids, num_segments, clip=False):
    """The oracle: a loop over rows through numpy's unbuffered ``ufunc.at``, in-range ids only."""
    data = np.asarray(data)
    out = np.full((num_segments,) + data.shape[1:], _empty_value(kind, data.dtype), data.dtype)
    ids = np.asarray(ids)
    if clip:
        ids = np.clip(ids, 0, num_segments - 1)
    keep = (ids >= 0) & (ids < num_segments)
    NP_AT[kind](out, ids[keep], data[keep])
    return out


@pytest.mark.parametrize("kind", sorted(FNS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_spec_rows_match_numpy(kind, dtype):
    data = (np.arange(12).reshape(6, 2) % 5 + 1).astype(dtype)
    ids = np.array([0, 3, 0, -1, 3, 9])         # segment 1 and 2 empty, -1 and 9 dropped
    got = FNS[kind](data, ids, num_segments=5)
    np.testing.assert_array_equal(np.asarray(got), numpy_segment(kind, data, ids, 5))
    assert got.dtype == dtype


@pytest.mark.parametrize("kind", sorted(FNS))
def test_default_num_segments_is_max_id_plus_one(kind):
    data = np.array([1.0, 2.0, 3.0, 4.0])
    ids = np.array([2, 0, 2, 1])
    got = FNS[kind](data, ids)
    np.testing.assert_array_equal(np.asarray(got), numpy_segment(kind, data, ids, 3))


@settings(max_examples=20, deadline=None)
@given(kind=st.sampled_from(sorted(FNS)), n=st.integers(0, 12), num_segments=st.integers(0, 6),
       seed=st.integers(0, 2**31 - 1), bucket=st.none() | st.integers(1, 5),
       clip=st.booleans())
def test_hypothesis_matches_numpy(kind, n, num_segments, seed, bucket, clip):
    rng = np.random.default_rng(seed)
    data = rng.uniform(0.5, 2.0, size=(n, 3))
    ids = rng.integers(-2, num_segments + 2, size=n)
    if clip and num_segments == 0:
        clip = False
    got = FNS[kind](data, ids, num_segments, bucket_size=bucket,
                    mode="clip" if clip else None)
    np.testing.assert_allclose(np.asarray(got), numpy_segment(kind, data, ids, num_segments, clip),
                               rtol=1e-12)


def test_bool_max_min_are_or_and():
    data = np.array([True, False, False, False, True, True])
    ids = np.array([0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(np.asarray(ops.segment_max(data, ids, 4)),
                                  [True, False, True, False])
    np.testing.assert_array_equal(np.asarray(ops.segment_min(data, ids, 4)),
                                  [False, False, True, True])


@pytest.mark.parametrize("kind", sorted(FNS))
def test_grads(kind):
    data = np.array([[0.3, -1.2], [1.5, 0.7], [-0.4, 2.2], [0.9, -0.6], [1.1, 0.1]])
    ids = np.array([1, 0, 1, 7, 1])   # 7 is dropped (zero gradient); no segment empty (-inf)
    check_grads(lambda d: FNS[kind](d, ids, 2), (data,), order=2 if kind != "sum" else 1)


def test_max_grad_goes_to_argmax_shared_on_ties():
    data = np.array([1.0, 3.0, 3.0, 2.0, 5.0])
    ids = np.array([0, 0, 0, 1, 1])
    g = fnx.grad(lambda d: ops.segment_max(d, ids, 2).sum())(data)
    np.testing.assert_allclose(np.asarray(g), [0.0, 0.5, 0.5, 0.0, 1.0])
    g = fnx.grad(lambda d: ops.segment_min(d, ids, 2).sum())(data)
    np.testing.assert_allclose(np.asarray(g), [1.0, 0.0, 0.0, 1.0, 0.0])


def test_sum_grad_is_gather_of_cotangent():
    ids = np.array([2, 0, 2, -1])
    w = np.array([10.0, 20.0, 30.0])
    g = fnx.grad(lambda d: (ops.segment_sum(d, ids, 3) * w).sum())(np.ones(4))
    np.testing.assert_allclose(np.asarray(g), [30.0, 10.0, 30.0, 0.0])


@pytest.mark.parametrize("kind", sorted(FNS))
def test_jit_equals_eager(kind):
    data = np.random.default_rng(0).normal(size=(7, 2))
    ids = np.array([0, 1, 1, 4, 2, 0, 3])
    f = lambda d, i: FNS[kind](d, i, num_segments=5)
    np.testing.assert_array_equal(np.asarray(fnx.jit(f)(data, ids)), np.asarray(f(data, ids)))


@pytest.mark.parametrize("kind", sorted(FNS))
def test_vmap_equals_loop(kind):
    rng = np.random.default_rng(1)
    data = rng.normal(size=(3, 6, 2))
    ids = rng.integers(-1, 5, size=(3, 6))
    f = lambda d, i: FNS[kind](d, i, num_segments=4)
    got = fnx.vmap(f)(data, ids)
    want = np.stack([numpy_segment(kind, d, i, 4) for d, i in zip(data, ids)])
    np.testing.assert_allclose(np.asarray(got), want)
    got = fnx.vmap(f, in_axes=(0, None))(data, ids[0])
    want = np.stack([numpy_segment(kind, d, ids[0], 4) for d in data])
    np.testing.assert_allclose(np.asarray(got), want)


def test_errors():
    with pytest.raises(ConcretizationTypeError, match="segment_sum.*num_segments"):
        fnx.jit(lambda d, i: ops.segment_sum(d, i))(np.ones(3), np.array([0, 1, 1]))
    with pytest.raises(ShapeError, match="segment_max.*one id per row"):
        ops.segment_max(np.ones((3, 2)), np.array([0, 1]))
    with pytest.raises(DTypeError, match="segment_min.*integer"):
        ops.segment_min(np.ones(3), np.array([0.0, 1.0, 1.0]))
    with pytest.raises(InvalidArgumentError, match="non-negative"):
        ops.segment_sum(np.ones(3), np.array([0, 1, 1]), num_segments=-1)
    with pytest.raises(InvalidArgumentError, match="mode"):
        ops.segment_sum(np.ones(3), np.array([0, 1, 1]), mode="wrap")
    with pytest.raises(DTypeError, match="complex"):
        ops.segment_max(np.ones(3, np.complex64), np.array([0, 1, 1]))


def test_wide_ids_are_not_wrapped_into_range():
    ids = np.array([2**32 + 1, 1, -(2**32) + 1], dtype=np.int64)
    got = ops.segment_sum(np.array([10.0, 1.0, 100.0]), ids, num_segments=3)
    np.testing.assert_array_equal(np.asarray(got), [0.0, 1.0, 0.0])


def test_num_segments_may_be_a_concrete_array():
    got = ops.segment_sum(np.ones(3), np.array([0, 1, 1]), num_segments=fnp.asarray(2))
    np.testing.assert_array_equal(np.asarray(got), [1.0, 2.0])
