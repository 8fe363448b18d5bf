"""CPU-backend specifics: zero-copy views, the large-buffer cache, strict mode, threads."""
import gc

import numpy as np
import pytest

import fnx
import fnx.lax as lax
import fnx.numpy as fnp
from fnx.backends import cpu
from fnx.errors import MissingKernelError

BIG = (1024, 512)  # 2 MiB of float32: above the pooling threshold


def test_large_buffers_are_recycled_only_after_every_view_dies():
    gc.collect()
    cpu.clear_buffer_cache()
    a = fnp.asarray(np.random.default_rng(0).standard_normal(BIG).astype(np.float32))
    b = a * 2.0
    view = b.T  # a zero-copy view sharing b's buffer
    del b
    gc.collect()
    assert cpu.buffer_cache_bytes() == 0  # the view keeps the block alive
    expected = 2.0 * np.asarray(a).T
    c = a + 1.0  # must not reuse the block the view still reads
    np.testing.assert_array_equal(np.asarray(view), expected)
    del view
    gc.collect()
    assert cpu.buffer_cache_bytes() == a.size * 4
    d = a - 1.0  # reuses the cached block: values must be fresh
    np.testing.assert_array_equal(np.asarray(d), np.asarray(a) - 1.0)
    np.testing.assert_array_equal(np.asarray(c), np.asarray(a) + 1.0)
    assert cpu.buffer_cache_bytes() == 0


def test_layout_primitives_are_views_not_copies():
    x = fnp.asarray(np.arange(12, dtype=np.float32).reshape(3, 4))
    for y in (x.T, lax.rev(x, (1,)), lax.slice(x, (0, 1), (3, 4), (2, 2)), x[None]):
        assert np.shares_memory(np.asarray(y), np.asarray(x))


def test_strided_inputs_match_contiguous_ones():
    rng = np.random.default_rng(1)
    base = rng.standard_normal((6, 8)).astype(np.float32)
    x = fnp.asarray(base)
    for view, ref in ((x.T, base.T), (x[::2, ::-3], base[::2, ::-3])):
        np.testing.assert_allclose(np.asarray(fnp.exp(view) + view * 2.0),
                                   np.exp(ref) + ref * 2.0, rtol=1e-6)
        np.testing.assert_allclose(np.asarray(view.sum(axis=0)), ref.sum(axis=0), rtol=1e-5)


def test_strict_mode_turns_a_missing_kernel_into_an_error(monkeypatch):
    monkeypatch.delitem(cpu.IMPLS, "cbrt")
    lax.cbrt_p.reset_impl()
    try:
        with pytest.raises(MissingKernelError, match="cbrt"):
            lax.cbrt(fnp.ones(3))
    finally:
        monkeypatch.undo()
        lax.cbrt_p.reset_impl()
    np.testing.assert_allclose(np.asarray(lax.cbrt(fnp.full(3, 8.0))), 2.0)


def test_thread_count_flag_reaches_the_kernels():
    before = cpu.lib.fnx_get_num_threads()
    try:
        fnx.config.update("num_threads", 1)
        assert cpu.lib.fnx_get_num_threads() == 1
        x = fnp.asarray(np.arange(1 << 16, dtype=np.float32))
        assert float((x * 2.0).sum()) == float(np.arange(1 << 16, dtype=np.float64).sum() * 2)
    finally:
        fnx.config.update("num_threads", before)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("shape, axis", [((4096, 1024), 0), ((3, 2000, 700), 1),
                                         ((300, 40000), 0)])
def test_large_column_reductions_match_numpy(shape, axis, threads):
    """The reduce kernel's wide-column and row-split paths (chosen by size, beyond the
    hypothesis tests' small arrays), with a NaN and integer wrap-around."""
    from fnx._fnx_kernels import lib
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(np.float32)
    x.reshape(-1)[12345] = np.nan
    ints = rng.integers(-2**31, 2**31 - 1, shape, dtype=np.int64).astype(np.int32)
    fnx.config.update("num_threads", threads)
    try:
        got = {name: np.asarray(fn(fnp.asarray(x), axis=axis))
               for name, fn in (("sum", fnp.sum), ("max", fnp.max), ("min", fnp.min))}
        got_int = np.asarray(fnp.sum(fnp.asarray(ints), axis=axis, dtype=np.int32))
    finally:
        fnx.config.update("num_threads", None)
        lib.fnx_set_num_threads(0)
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(got["sum"], x.astype(np.float64).sum(axis), rtol=1e-5,
                                   atol=1e-3)
        np.testing.assert_array_equal(got["max"], x.max(axis))
        np.testing.assert_array_equal(got["min"], x.min(axis))
    np.testing.assert_array_equal(got_int, ints.sum(axis, dtype=np.int32))
