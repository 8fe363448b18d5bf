"""fnx.numpy as an array API standard (2024.12) namespace (fnx/numpy/_array_api.py, the
``device=`` keyword of fnx/numpy/_creation.py, the array methods of _array_methods.py and
``Array.__dlpack__`` in fnx/core.py), against numpy 2, which implements the standard."""
import inspect
import os
import sys
import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx.errors import ConcretizationTypeError, DeviceError, DTypeError
from fnx.core import Array
from fnx.test_util import check_grads

# -- the standard's names and calling conventions -------------------------------------------------
# Every name of the 2024.12 namespace, its linalg and its fft extension, as
# "<number of positional-only parameters>[*]:<keyword parameters>" (None: a constant).  Written
# from array_api_stubs/_2024_12 (test_table_matches_stubs re-derives it when the stubs are on
# this machine).
STANDARD = {
    "e": None, "inf": None, "nan": None, "newaxis": None, "pi": None,
    "arange": '1:stop,step,dtype,device', "asarray": '1:dtype,device,copy',
    "empty": '0:shape,dtype,device', "empty_like": '1:dtype,device', "eye": '2:k,dtype,device',
    "from_dlpack": '1:device,copy', "full": '0:shape,fill_value,dtype,device',
    "full_like": '1:fill_value,dtype,device', "linspace": '2:num,dtype,device,endpoint',
    "meshgrid": '0*:indexing', "ones": '0:shape,dtype,device', "ones_like": '1:dtype,device',
    "tril": '1:k', "triu": '1:k', "zeros": '0:shape,dtype,device', "zeros_like": '1:dtype,device',
    "astype": '2:copy,device', "can_cast": '2:', "finfo": '1:', "iinfo": '1:',
    "isdtype": '0:dtype,kind', "result_type": '0*:', "abs": '1:', "acos": '1:', "acosh": '1:',
    "add": '2:', "asin": '1:', "asinh": '1:', "atan": '1:', "atan2": '2:', "atanh": '1:',
    "bitwise_and": '2:', "bitwise_left_shift": '2:', "bitwise_invert": '1:', "bitwise_or": '2:',
    "bitwise_right_shift": '2:', "bitwise_xor": '2:', "ceil": '1:', "clip": '1:min,max',
    "conj": '1:', "copysign": '2:', "cos": '1:', "cosh": '1:', "divide": '2:', "equal": '2:',
    "exp": '1:', "expm1": '1:', "floor": '1:', "floor_divide": '2:', "greater": '2:',
    "greater_equal": '2:', "hypot": '2:', "imag": '1:', "isfinite": '1:', "isinf": '1:',
    "isnan": '1:', "less": '2:', "less_equal": '2:', "log": '1:', "log1p": '1:', "log2": '1:',
    "log10": '1:', "logaddexp": '2:', "logical_and": '2:', "logical_not": '1:',
    "logical_or": '2:', "logical_xor": '2:', "maximum": '2:', "minimum": '2:', "multiply": '2:',
    "negative": '1:', "nextafter": '2:', "not_equal": '2:', "positive": '1:', "pow": '2:',
    "real": '1:', "reciprocal": '1:', "remainder": '2:', "round": '1:', "sign": '1:',
    "signbit": '1:', "sin": '1:', "sinh": '1:', "square": '1:', "sqrt": '1:', "subtract": '2:',
    "tan": '1:', "tanh": '1:', "trunc": '1:', "take": '2:axis', "take_along_axis": '2:axis',
    "matmul": '2:', "matrix_transpose": '1:', "tensordot": '2:axes', "vecdot": '2:axis',
    "broadcast_arrays": '0*:', "broadcast_to": '1:shape', "concat": '1:axis',
    "expand_dims": '1:axis', "flip": '1:axis', "moveaxis": '3:', "permute_dims": '1:axes',
    "repeat": '2:axis', "reshape": '1:shape,copy', "roll": '1:shift,axis', "squeeze": '1:axis',
    "stack": '1:axis', "tile": '2:', "unstack": '1:axis', "argmax": '1:axis,keepdims',
    "argmin": '1:axis,keepdims', "count_nonzero": '1:axis,keepdims', "nonzero": '1:',
    "searchsorted": '2:side,sorter', "where": '3:', "unique_all": '1:', "unique_counts": '1:',
    "unique_inverse": '1:', "unique_values": '1:', "argsort": '1:axis,descending,stable',
    "sort": '1:axis,descending,stable', "cumulative_sum": '1:axis,dtype,include_initial',
    "cumulative_prod": '1:axis,dtype,include_initial', "max": '1:axis,keepdims',
    "mean": '1:axis,keepdims', "min": '1:axis,keepdims', "prod": '1:axis,dtype,keepdims',
    "std": '1:axis,correction,keepdims', "sum": '1:axis,dtype,keepdims',
    "var": '1:axis,correction,keepdims', "all": '1:axis,keepdims', "any": '1:axis,keepdims',
    "diff": '1:axis,n,prepend,append', "linalg.cholesky": '1:upper', "linalg.cross": '2:axis',
    "linalg.det": '1:', "linalg.diagonal": '1:offset', "linalg.eigh": '1:',
    "linalg.eigvalsh": '1:', "linalg.inv": '1:', "linalg.matmul": '2:',
    "linalg.matrix_norm": '1:keepdims,ord', "linalg.matrix_power": '2:',
    "linalg.matrix_rank": '1:rtol', "linalg.matrix_transpose": '1:', "linalg.outer": '2:',
    "linalg.pinv": '1:rtol', "linalg.qr": '1:mode', "linalg.slogdet": '1:', "linalg.solve": '2:',
    "linalg.svd": '1:full_matrices', "linalg.svdvals": '1:', "linalg.tensordot": '2:axes',
    "linalg.trace": '1:offset,dtype', "linalg.vecdot": '2:axis',
    "linalg.vector_norm": '1:axis,keepdims,ord', "fft.fft": '1:n,axis,norm',
    "fft.ifft": '1:n,axis,norm', "fft.fftn": '1:s,axes,norm', "fft.ifftn": '1:s,axes,norm',
    "fft.rfft": '1:n,axis,norm', "fft.irfft": '1:n,axis,norm', "fft.rfftn": '1:s,axes,norm',
    "fft.irfftn": '1:s,axes,norm', "fft.hfft": '1:n,axis,norm', "fft.ihfft": '1:n,axis,norm',
    "fft.fftfreq": '1:d,dtype,device', "fft.rfftfreq": '1:d,dtype,device',
    "fft.fftshift": '1:axes', "fft.ifftshift": '1:axes',
}
STUBS = os.environ.get("ARRAY_API_STUBS", "/tmp/aat/suite/array-api/src")

FNX_DTYPES = [np.bool_, np.int8, np.int32, np.int64, np.uint8, np.uint32, np.float32,
              np.float64, np.complex64, np.complex128]
KINDS = ["bool", "signed integer", "unsigned integer", "integral", "real floating",
         "complex floating", "numeric"]


def _n(k):
    """``k`` examples under the default profile, four times as many under "explore"."""
    return k * max(1, settings.default.max_examples // 25)


def _target(name):
    mod, _, attr = name.rpartition(".")
    return (getattr(fnp, mod) if mod else fnp), attr


@pytest.mark.parametrize("name", sorted(STANDARD))
def test_standard_name_exists_with_its_signature(name):
    mod, attr = _target(name)
    assert hasattr(mod, attr), f"fnx.numpy lacks the array API name {name}"
    spec = STANDARD[name]
    if spec is None:
        return
    npos, _, kws = spec.partition(":")
    params = inspect.signature(getattr(mod, attr)).parameters.values()
    kinds = {p.kind for p in params}
    varpos = inspect.Parameter.VAR_POSITIONAL in kinds
    varkw = inspect.Parameter.VAR_KEYWORD in kinds
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if npos.endswith("*"):
        assert varpos, f"{name}: the standard passes its arrays as *args"
    else:
        assert varpos or len(positional) >= int(npos), f"{name}: needs {npos} positional"
    by_name = {p.name: p for p in params}
    for kw in filter(None, kws.split(",")):
        p = by_name.get(kw)
        ok = varkw if p is None else p.kind != p.POSITIONAL_ONLY
        assert ok, f"{name}: the standard calls it with the keyword {kw}="


def test_table_matches_stubs():
    """The table above is the 2024.12 stubs' namespace (run where the stubs are available)."""
    root = os.path.join(STUBS, "array_api_stubs", "_2024_12")
    if not os.path.isdir(root):
        pytest.skip("the array API stubs are not on this machine")
    sys.path.insert(0, STUBS)
    try:
        import importlib
        names = set()
        for sub in ("constants", "creation_functions", "data_type_functions",
                    "elementwise_functions", "indexing_functions", "linear_algebra_functions",
                    "manipulation_functions", "searching_functions", "set_functions",
                    "sorting_functions", "statistical_functions", "utility_functions"):
            names |= set(importlib.import_module(f"array_api_stubs._2024_12.{sub}").__all__)
        for ext in ("linalg", "fft"):
            mod = importlib.import_module(f"array_api_stubs._2024_12.{ext}")
            names |= {f"{ext}.{n}" for n in mod.__all__}
    finally:
        sys.path.remove(STUBS)
    assert names == set(STANDARD)


def test_version_and_namespace():
    assert fnp.__array_api_version__ == "2024.12"
    x = fnp.ones(3)
    assert x.__array_namespace__() is fnp
    for v in (None, "2021.12", "2022.12", "2023.12", "2024.12"):
        assert x.__array_namespace__(api_version=v) is fnp
    with pytest.raises(ValueError, match="__array_namespace__"):
        x.__array_namespace__(api_version="2099.12")
    # tracers answer too (array-API code inside jit)
    assert fnx.jit(lambda a: a * (a.__array_namespace__() is fnp))(x).sum() == 3


# -- __array_namespace_info__ ---------------------------------------------------------------------

def test_info_capabilities_and_devices():
    info = fnp.__array_namespace_info__()
    caps = info.capabilities()
    assert set(caps) == {"boolean indexing", "data-dependent shapes", "max dimensions"}
    assert caps["boolean indexing"] is True and caps["data-dependent shapes"] is True
    assert isinstance(caps["max dimensions"], int) and caps["max dimensions"] >= 8
    assert info.default_device() == fnx.devices()[0] == "cpu"
    assert info.devices() == fnx.devices()
    assert all(isinstance(d, fnx.device.Device) for d in info.devices())
    d = info.default_device()
    assert d in info.devices() and hash(d) == hash(fnx.devices()[0])


def test_info_default_dtypes():
    info = fnp.__array_namespace_info__()
    want = {"real floating": np.float32, "complex floating": np.complex64,
            "integral": np.int32, "indexing": np.int32}
    for device in (None, "cpu", fnx.devices()[0]):
        got = info.default_dtypes(device=device)
        assert set(got) == set(want)
        for k, v in want.items():
            assert got[k] == v and np.dtype(got[k]) == v
    # the defaults are what creation functions and index functions produce
    assert fnp.zeros(2).dtype == info.default_dtypes()["real floating"]
    assert fnp.argmax(fnp.ones(2)).dtype == info.default_dtypes()["indexing"]
    with pytest.raises(DeviceError, match="default_dtypes"):
        info.default_dtypes(device="cuda:9")


@pytest.mark.parametrize("kind", [None] + KINDS + [("bool", "real floating"),
                                                    ("signed integer", "complex floating")])
def test_info_dtypes_match_numpy(kind):
    got = fnp.__array_namespace_info__().dtypes(kind=kind)
    ref = np.__array_namespace_info__().dtypes(kind=kind)
    want = {n: d for n, d in ref.items() if d in [np.dtype(t) for t in FNX_DTYPES]}
    assert set(got) == set(want)
    for n, d in got.items():
        assert d == want[n] and getattr(fnp, n if n != "bool" else "bool_") == d
    with pytest.raises(DeviceError, match="dtypes"):
        fnp.__array_namespace_info__().dtypes(device="tpu")


def test_info_dtypes_unknown_kind():
    info = fnp.__array_namespace_info__()
    with pytest.raises(ValueError, match="dtypes: unknown dtype kind"):
        info.dtypes(kind="floating")
    with pytest.raises(ValueError, match="dtypes: kind must be a kind name"):
        info.dtypes(kind=("bool", np.uint8))


# -- isdtype --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FNX_DTYPES)
@pytest.mark.parametrize("kind", KINDS + [("bool", "complex floating"), np.float32,
                                          (np.int64, "unsigned integer")])
def test_isdtype_matches_numpy(dtype, kind):
    want = np.isdtype(np.dtype(dtype), kind)
    assert fnp.isdtype(np.dtype(dtype), kind) is want
    assert fnp.isdtype(getattr(fnp, np.dtype(dtype).name if dtype is not np.bool_ else "bool_"),
                       kind) is want
    assert fnp.isdtype(dtype, kind) is want


def test_isdtype_errors():
    with pytest.raises(TypeError, match="isdtype: dtype must be a dtype"):
        fnp.isdtype("float32", "real floating")
    with pytest.raises(TypeError, match="isdtype: dtype must be a dtype"):
        fnp.isdtype(fnp.ones(2), "real floating")
    with pytest.raises(ValueError, match="isdtype: unknown dtype kind 'float'"):
        fnp.isdtype(fnp.float32, "float")
    with pytest.raises(TypeError, match="isdtype: kind must be a dtype"):
        fnp.isdtype(fnp.float32, 3)


# -- the array object -----------------------------------------------------------------------------

ARRAY_DUNDERS = ["__abs__", "__add__", "__and__", "__array_namespace__", "__bool__",
                 "__complex__", "__dlpack__", "__dlpack_device__", "__eq__", "__float__",
                 "__floordiv__", "__ge__", "__getitem__", "__gt__", "__index__", "__int__",
                 "__invert__", "__le__", "__lshift__", "__lt__", "__matmul__", "__mod__",
                 "__mul__", "__ne__", "__neg__", "__or__", "__pos__", "__pow__", "__rshift__",
                 "__setitem__", "__sub__", "__truediv__", "__xor__", "to_device", "device", "mT",
                 "T", "dtype", "ndim", "shape", "size"]
BINARY = ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor",
          "lshift", "rshift"]


def test_array_has_every_standard_attribute():
    x = fnp.ones((2, 2))
    for name in ARRAY_DUNDERS:
        assert hasattr(x, name), name
    for op in BINARY + ["matmul"]:
        for form in (f"__r{op}__", f"__i{op}__"):
            assert hasattr(fnp.ndarray, form), form
    seen = []

    def f(a):
        seen.extend(n for n in ARRAY_DUNDERS if n != "device" and not hasattr(a, n))
        return a
    fnx.jit(f)(x)
    assert seen == []


def _int_operands(draw_shape):
    return hnp.arrays(np.int32, draw_shape, elements=st.integers(1, 5))


_NP_OPS = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
           "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power,
           "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor,
           "lshift": np.left_shift, "rshift": np.right_shift}


@settings(max_examples=_n(10))
@given(a=hnp.arrays(np.int32, hnp.array_shapes(max_dims=2, max_side=3),
                    elements=st.integers(1, 5)),
       s=st.integers(1, 4))
def test_reflected_and_inplace_operators_match_numpy(a, s):
    for op in BINARY:
        ref = _NP_OPS[op]
        x = fnp.asarray(a)
        # int32 / int32 is float32 in fnx (jax.numpy's default float), float64 in numpy
        np.testing.assert_allclose(getattr(x, f"__r{op}__")(s), ref(np.int32(s), a), rtol=1e-6)
        y = x
        got = getattr(y, f"__i{op}__")(s)
        assert got is not x  # a new array: x is unchanged
        np.testing.assert_allclose(got, ref(a, np.int32(s)), rtol=1e-6)
        np.testing.assert_array_equal(x, a)
    x = fnp.asarray(a)
    x += 1.5  # rebinding, as jax.numpy: the result may change dtype
    assert x.dtype == np.float32
    np.testing.assert_allclose(x, a + 1.5)


@settings(max_examples=_n(15))
@given(a=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=4, max_side=3),
                    elements=st.floats(-5, 5)))
def test_pos_abs_neg_mT_matmul_match_numpy(a):
    x = fnp.asarray(a)
    np.testing.assert_array_equal(+x, +a)
    np.testing.assert_array_equal(abs(x), abs(a))
    np.testing.assert_array_equal(-x, -a)
    np.testing.assert_array_equal(x.mT, a.mT)
    np.testing.assert_allclose(x @ x.mT, a @ a.mT, rtol=1e-12, atol=1e-12)
    y = x
    y @= x.mT
    np.testing.assert_allclose(y, a @ a.mT, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(x, a)
    np.testing.assert_array_equal(fnx.jit(lambda t: t.mT)(x), a.mT)


def test_mT_error():
    with pytest.raises(ValueError, match="mT"):
        fnp.ones(3).mT


def test_device_attribute_and_to_device():
    x = fnp.arange(3.0)
    d = x.device
    assert isinstance(d, fnx.device.Device)
    assert d == fnx.devices()[0] and d == "cpu" and not (d != fnx.devices()[0])
    assert d != "cuda:3" and d != 0
    for target in ("cpu", fnx.devices()[0], d):
        y = x.to_device(target)
        assert y.device == d
        np.testing.assert_array_equal(y, x)
    with pytest.raises(DeviceError, match="to_device: no device cuda:7"):
        x.to_device("cuda:7")
    with pytest.raises(ValueError, match="to_device: stream must be None"):
        x.to_device(d, stream=1)
    with pytest.raises(ValueError, match="to_device: device must be"):
        x.to_device(None)
    np.testing.assert_array_equal(fnx.jit(lambda t: t.to_device("cpu") + 1)(x), [1, 2, 3])
    # autodiff of eager code keeps the device of the value; staged tracers have none
    fnx.grad(lambda t: (t.device == "cpu") * t.sum())(x)
    with pytest.raises(AttributeError, match="device"):
        fnx.jit(lambda t: t.device)(x)


# -- device= on creation functions ----------------------------------------------------------------

CREATORS = {
    "arange": lambda **k: fnp.arange(1, 7, 2, **k),
    "asarray": lambda **k: fnp.asarray([1.0, 2.0], **k),
    "array": lambda **k: fnp.array([1, 2], **k),
    "empty": lambda **k: fnp.empty((2, 3), **k),
    "empty_like": lambda **k: fnp.empty_like(fnp.ones(2), **k),
    "eye": lambda **k: fnp.eye(3, 2, k=-1, **k),
    "full": lambda **k: fnp.full((2,), 3.5, **k),
    "full_like": lambda **k: fnp.full_like(fnp.ones(2, fnp.int8), 3, **k),
    "linspace": lambda **k: fnp.linspace(0, 1, 5, **k),
    "ones": lambda **k: fnp.ones((1, 2), **k),
    "ones_like": lambda **k: fnp.ones_like(fnp.ones(2), **k),
    "zeros": lambda **k: fnp.zeros(3, **k),
    "zeros_like": lambda **k: fnp.zeros_like(fnp.ones((2, 1)), **k),
    "fftfreq": lambda **k: fnp.fft.fftfreq(5, 0.5, **k),
    "rfftfreq": lambda **k: fnp.fft.rfftfreq(5, **k),
    "from_dlpack": lambda **k: fnp.from_dlpack(np.arange(3.0), **k),
}


@pytest.mark.parametrize("name", sorted(CREATORS))
def test_creation_device_keyword(name):
    make = CREATORS[name]
    base = make()
    for device in ("cpu", fnx.devices()[0], fnp.ones(1).device):
        out = make(device=device)
        assert out.device == device and out.dtype == base.dtype
        np.testing.assert_array_equal(out, base)
        np.testing.assert_array_equal(out + 1, np.asarray(base) + 1)  # usable with others
    for bad, match in (("cuda:7", "no device cuda:7"), ("tpu", "no device tpu:0"),
                       (3, "device must be None"), ("cpu:x", "cannot parse")):
        with pytest.raises(DeviceError, match=f"{name}: {match}"):
            make(device=bad)


def test_creation_device_under_jit():
    f = fnx.jit(lambda x: fnp.zeros_like(x, device="cpu") + fnp.ones(3, device="cpu") + x)
    np.testing.assert_array_equal(f(fnp.arange(3.0)), [1, 2, 3])


def test_asarray_copy_keyword():
    a = np.arange(4.0)
    shared = fnp.asarray(a, copy=False)
    assert np.shares_memory(np.asarray(shared), a)
    copied = fnp.asarray(a, copy=True)
    default = fnp.asarray(a)
    a[0] = 9
    assert shared[0] == 9 and copied[0] == 0 and default[0] == 0
    x = fnp.ones(2)
    assert fnp.asarray(x, copy=False) is x and fnp.asarray(x) is x
    y = fnp.asarray(x, copy=True)
    assert y is not x and not np.shares_memory(np.asarray(y), np.asarray(x))
    for bad, match in (([1, 2], "list"), (np.arange(3.0)[::2], "non-contiguous"),
                       (np.arange(3), "converting int64 to float32")):
        with pytest.raises(ValueError, match=f"asarray: copy=False.*{match}"):
            fnp.asarray(bad, dtype=fnp.float32 if match.startswith("conv") else None,
                        copy=False)
    with pytest.raises(ValueError, match="asarray: copy=False, but converting float32"):
        fnp.asarray(x, dtype=fnp.float64, copy=False)


# -- astype ---------------------------------------------------------------------------------------

CAST_DTYPES = [np.bool_, np.int8, np.int32, np.int64, np.uint8, np.uint32, np.float32,
               np.float64, np.complex64, np.complex128]


@settings(max_examples=_n(10))
@given(a=hnp.arrays(np.int8, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
                    elements=st.integers(0, 100)),
       src=st.sampled_from(CAST_DTYPES), dst=st.sampled_from(CAST_DTYPES))
@example(a=np.array([0, 1, 100], np.int8), src=np.float64, dst=np.bool_)
@example(a=np.zeros((0, 2), np.int8), src=np.complex64, dst=np.uint8)
def test_astype_matches_numpy(a, src, dst):
    a = a.astype(src)
    x = fnp.asarray(a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        want = np.astype(a, dst)
    got = fnp.astype(x, dst)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(fnx.jit(lambda t: fnp.astype(t, dst))(x), want)
    if a.ndim:
        np.testing.assert_array_equal(fnx.vmap(lambda t: fnp.astype(t, dst))(x), want)


def test_astype_fractions_and_complex():
    a = np.array([-2.75, -0.5, 0.0, 0.5, 7.9])
    for dst in (np.int8, np.int32, np.int64, np.bool_, np.float32, np.complex64):
        np.testing.assert_array_equal(fnp.astype(fnp.asarray(a), dst), np.astype(a, dst))
    c = np.array([1.5 + 2j, -0.0 - 3j, 0j])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        np.testing.assert_array_equal(fnp.astype(fnp.asarray(c), np.float32),
                                      np.astype(c, np.float32))
    np.testing.assert_array_equal(fnp.astype(fnp.asarray(c), np.bool_), np.astype(c, np.bool_))


def test_astype_copy_device_and_errors():
    x = fnp.arange(3)
    assert fnp.astype(x, fnp.int32, copy=False) is x
    y = fnp.astype(x, fnp.int32)
    assert y is not x and not np.shares_memory(np.asarray(x), np.asarray(y))
    assert fnp.astype(x, fnp.float32, device="cpu").device == "cpu"
    np.testing.assert_array_equal(x.astype(fnp.float64, device="cpu"), [0, 1, 2])
    with pytest.raises(DeviceError, match="astype: no device cuda:5"):
        fnp.astype(x, fnp.float32, device="cuda:5")
    with pytest.raises(DTypeError, match="astype"):
        fnp.astype(x, np.float16)
    with pytest.raises(TypeError, match="astype: x must be an fnx array"):
        fnp.astype([1, 2], fnp.float32)
    check_grads(lambda t: fnp.astype(t, fnp.float64) * 2.0, (fnp.asarray([0.5, 1.5], "float64"),),
                order=1)


# -- unstack --------------------------------------------------------------------------------------

@settings(max_examples=_n(15))
@given(a=hnp.arrays(st.sampled_from([np.float32, np.int32, np.bool_, np.complex64]),
                    hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3)),
       data=st.data())
def test_unstack_matches_numpy(a, data):
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    want = np.unstack(a, axis=axis)
    got = fnp.unstack(fnp.asarray(a), axis=axis)
    assert isinstance(got, tuple) and len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)
    jitted = fnx.jit(lambda t: fnp.unstack(t, axis=axis))(fnp.asarray(a))
    for g, w in zip(jitted, want):
        np.testing.assert_array_equal(g, w)


def test_unstack_vmap_grad_errors():
    a = np.arange(24.0).reshape(2, 3, 4)
    got = fnx.vmap(lambda t: fnp.stack(fnp.unstack(t, axis=1)[::-1]))(fnp.asarray(a))
    want = np.stack([np.stack(np.unstack(r, axis=1)[::-1]) for r in a])
    np.testing.assert_array_equal(got, want)
    check_grads(lambda t: fnp.unstack(t, axis=-1)[1] * fnp.unstack(t)[0][0],
                (fnp.asarray(a[0] / 7.0, "float64"),), order=1)
    with pytest.raises(ValueError, match="unstack: x must have at least one dimension"):
        fnp.unstack(fnp.asarray(1.0))
    with pytest.raises(ValueError, match="unstack: axis 3 is out of bounds"):
        fnp.unstack(fnp.ones((2, 2)), axis=3)


# -- cumulative_sum / cumulative_prod -------------------------------------------------------------

SCAN_DTYPES = [np.bool_, np.int8, np.int32, np.int64, np.uint8, np.uint32, np.float32,
               np.float64, np.complex64]
# fnx's accumulator (jax.numpy's): the default int is int32, so narrow ints widen to 32 bits
FNX_ACC = {np.bool_: np.int32, np.int8: np.int32, np.uint8: np.uint32}


def _scan_ref(name, a, axis, dtype, include_initial):
    ref = np.cumulative_sum if name == "cumulative_sum" else np.cumulative_prod
    acc = dtype or FNX_ACC.get(a.dtype.type, a.dtype)
    return ref(a.astype(acc) if dtype is None else a, axis=axis, dtype=acc,
               include_initial=include_initial)


@settings(max_examples=_n(20))
@given(a=hnp.arrays(np.int8, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
                    elements=st.integers(-3, 3)),
       dt=st.sampled_from(SCAN_DTYPES), name=st.sampled_from(["cumulative_sum",
                                                                "cumulative_prod"]),
       include_initial=st.booleans(), data=st.data())
@example(a=np.array(2), dt=np.float64, name="cumulative_sum", include_initial=True, data=None)
@example(a=np.array([1, 0, 1]), dt=np.bool_, name="cumulative_prod", include_initial=False,
         data=None)
def test_cumulative_matches_numpy(a, dt, name, include_initial, data):
    a = (np.abs(a) if np.dtype(dt).kind == "u" else a).astype(dt)
    if data is None or a.ndim <= 1:
        axis = None
    else:
        axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    dtype = None if data is None else data.draw(st.sampled_from([None, a.dtype.type]))
    want = _scan_ref(name, a, axis, dtype, include_initial)
    fn = getattr(fnp, name)
    got = fn(fnp.asarray(a), axis=axis, dtype=dtype, include_initial=include_initial)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6)
    jitted = fnx.jit(lambda t: fn(t, axis=axis, dtype=dtype, include_initial=include_initial))
    np.testing.assert_allclose(jitted(fnp.asarray(a)), want, rtol=1e-6)


@pytest.mark.parametrize("name", ["cumulative_sum", "cumulative_prod"])
def test_cumulative_vmap_grads_errors(name):
    fn = getattr(fnp, name)
    a = np.linspace(0.5, 2.0, 12).reshape(3, 4)
    got = fnx.vmap(lambda r: fn(r, include_initial=True))(fnp.asarray(a))
    want = np.stack([_scan_ref(name, r, None, None, True) for r in a])
    np.testing.assert_allclose(got, want, rtol=1e-6)
    x = fnp.asarray(a, "float64")
    for kw in ({"axis": 0}, {"axis": -1, "include_initial": True}):
        check_grads(lambda t: fn(t, **kw), (x,), order=1)
    with pytest.raises(ValueError, match=f"{name}: axis is required"):
        fn(x)
    with pytest.raises(ValueError, match=f"{name}: axis 2 is out of bounds"):
        fn(x, axis=2)
    with pytest.raises(DTypeError, match=f"{name}: cannot accumulate complex64 in float32"):
        fn(fnp.ones(2, fnp.complex64), dtype=fnp.float32)


def test_cumulative_dtype_rules():
    """The standard's default accumulators at fnx's 32-bit default integer (jax.numpy's)."""
    for src, want in ((np.bool_, np.int32), (np.int8, np.int32), (np.uint8, np.uint32),
                      (np.int32, np.int32), (np.uint32, np.uint32), (np.int64, np.int64),
                      (np.float32, np.float32), (np.complex128, np.complex128)):
        x = fnp.ones(3, src)
        assert fnp.cumulative_sum(x).dtype == want
        assert fnp.cumulative_prod(x).dtype == want
    np.testing.assert_array_equal(
        fnp.cumulative_sum(fnp.asarray(np.array([100, 100], np.int8)), dtype=fnp.int8),
        np.cumulative_sum(np.array([100, 100], np.int8), dtype=np.int8))


# -- take_along_axis / searchsorted keyword forms -------------------------------------------------

@settings(max_examples=_n(15))
@given(a=hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
                    elements=st.floats(-10, 10, width=32)),
       data=st.data())
def test_take_along_axis_default_axis(a, data):
    n = a.shape[-1]
    idx = data.draw(hnp.arrays(np.int32, a.shape[:-1] + (data.draw(st.integers(0, 3)),),
                               elements=st.integers(-n, n - 1)))
    want = np.take_along_axis(a, idx)
    np.testing.assert_array_equal(fnp.take_along_axis(fnp.asarray(a), fnp.asarray(idx)), want)
    np.testing.assert_array_equal(fnp.take_along_axis(fnp.asarray(a), idx, axis=-1), want)
    np.testing.assert_array_equal(
        fnx.jit(lambda t, i: fnp.take_along_axis(t, i))(fnp.asarray(a), fnp.asarray(idx)), want)


@settings(max_examples=_n(15))
@given(a=hnp.arrays(np.float64, st.integers(0, 6), elements=st.floats(-5, 5)),
       v=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
                    elements=st.floats(-6, 6) | st.just(np.nan)),
       side=st.sampled_from(["left", "right"]), use_sorter=st.booleans())
def test_searchsorted_keyword_forms(a, v, side, use_sorter):
    sorter = np.argsort(a).astype(np.int32) if use_sorter else None
    base = a if use_sorter else np.sort(a)
    want = np.searchsorted(base, v, side=side, sorter=sorter)
    got = fnp.searchsorted(fnp.asarray(base), fnp.asarray(v), side=side,
                           sorter=None if sorter is None else fnp.asarray(sorter))
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.int32


# -- DLPack ---------------------------------------------------------------------------------------

@settings(max_examples=_n(15))
@given(a=hnp.arrays(st.sampled_from(FNX_DTYPES),
                    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)))
def test_dlpack_round_trips(a):
    x = fnp.asarray(a)
    out = np.from_dlpack(x)  # numpy consumes fnx (DLPack 1.x: read-only, zero-copy)
    assert out.dtype == a.dtype and out.shape == a.shape and not out.flags.writeable
    np.testing.assert_array_equal(out, a)
    owned = np.from_dlpack(x, copy=True)
    assert owned.flags.writeable and not np.shares_memory(owned, np.asarray(x))
    back = fnp.from_dlpack(a)  # fnx consumes numpy
    assert back.dtype == a.dtype and back.shape == a.shape and back.device == "cpu"
    np.testing.assert_array_equal(back, a)
    for copy in (None, True, False):
        y = fnp.from_dlpack(x, copy=copy, device="cpu")
        np.testing.assert_array_equal(y, a)
        if a.size:
            assert np.shares_memory(np.asarray(y), np.asarray(x)) == (copy is not True)


def test_dlpack_protocol_arguments():
    x = fnp.arange(4.0)
    assert x.__dlpack_device__() == (1, 0)
    assert fnx.jit(lambda t: t)(x).__dlpack_device__() == (1, 0)
    for kw in ({}, {"max_version": (1, 0)}, {"max_version": (0, 8)}, {"dl_device": (1, 0)},
               {"dl_device": (1, 0), "copy": False}, {"copy": True, "max_version": (1, 2)}):
        cap = x.__dlpack__(**kw)
        assert type(cap).__name__ == "PyCapsule"
    with pytest.raises(BufferError, match="__dlpack__: stream must be None"):
        x.__dlpack__(stream=1)
    with pytest.raises(BufferError, match=r"__dlpack__: cannot export an array on cpu:0 to the "
                                          r"DLPack device \(2, 0\)"):
        x.__dlpack__(dl_device=(2, 0))
    with pytest.raises(ConcretizationTypeError, match="__dlpack__"):
        fnx.jit(lambda t: np.from_dlpack(t))(x)


class _Producer:
    """A DLPack producer on a device fnx does not hold (OpenCL, device type 4)."""

    def __dlpack__(self, **kw):
        raise AssertionError("not reached")

    def __dlpack_device__(self):
        return (4, 0)


def test_from_dlpack_errors():
    with pytest.raises(AttributeError, match="from_dlpack: list does not implement"):
        fnp.from_dlpack([1, 2])
    with pytest.raises(BufferError, match="from_dlpack: unsupported DLPack device type 4"):
        fnp.from_dlpack(_Producer())
    with pytest.raises(DeviceError, match="from_dlpack: no device cuda:2"):
        fnp.from_dlpack(np.ones(2), device="cuda:2")
    with pytest.raises(DTypeError, match="from_dlpack: dtype float16"):
        fnp.from_dlpack(np.ones(2, np.float16))
    strided = np.arange(6.0)[::2]
    np.testing.assert_array_equal(fnp.from_dlpack(strided), strided)
    with pytest.raises(ValueError, match="from_dlpack: the producer's buffer is not C-contig"):
        fnp.from_dlpack(strided, copy=False)


class _GpuProducer:
    """A DLPack producer of CUDA memory that can export to the host when asked (dl_device)."""

    def __init__(self, host):
        self.host, self.asked = host, []

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        self.asked.append(dl_device)
        if dl_device != (1, 0):
            raise BufferError("only host exports in this stand-in")
        return self.host.__dlpack__(max_version=max_version, copy=copy)

    def __dlpack_device__(self):
        return (2, 0)


class _GpuBuffer(np.ndarray):
    """A host buffer that claims to be CUDA memory and records what __dlpack__ is asked."""

    def __dlpack_device__(self):
        return (2, 0)

    def __dlpack__(self, **kw):
        type(self).asked = kw
        return "capsule"


def test_from_dlpack_of_gpu_memory_to_the_host():
    producer = _GpuProducer(np.arange(3.0))
    got = fnp.from_dlpack(producer, device="cpu")
    assert producer.asked == [(1, 0)] and got.device == "cpu"
    np.testing.assert_array_equal(got, [0, 1, 2])
    with pytest.raises(ValueError, match="from_dlpack: moving the data from cuda:0 to cpu:0 "
                                         "needs a copy, but copy=False"):
        fnp.from_dlpack(producer, device="cpu", copy=False)
    if fnx.device.Device("cuda", 0) not in fnx.devices():
        with pytest.raises(BufferError, match="from_dlpack: the data is on cuda:0, which fnx "
                                              "cannot see"):
            fnp.from_dlpack(producer)


def test_dlpack_export_of_gpu_memory():
    """The producer side for device memory: stream/version/copy go to the device library;
    dl_device=(1, 0) exports a host copy."""
    x = fnx.core.Array(np.arange(4.0).view(_GpuBuffer))
    assert x.__dlpack_device__() == (2, 0)
    assert x.__dlpack__(stream=7, max_version=(1, 0)) == "capsule"
    assert _GpuBuffer.asked == {"stream": 7, "max_version": (1, 0)}
    host = np.from_dlpack(x, device="cpu")
    assert type(host) is np.ndarray and host.flags.writeable
    np.testing.assert_array_equal(host, [0, 1, 2, 3])
    with pytest.raises(BufferError, match="__dlpack__: exporting an array on .* to the host "
                                          "needs a copy, but copy=False"):
        x.__dlpack__(dl_device=(1, 0), copy=False)


# -- unique_* -------------------------------------------------------------------------------------

@settings(max_examples=_n(15))
@given(a=hnp.arrays(np.int8, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
                    elements=st.integers(0, 3)),
       dt=st.sampled_from([np.float32, np.float64, np.int32, np.uint8, np.bool_]),
       nans=st.booleans())
@example(a=np.array([[3, 1], [3, 0]]), dt=np.float64, nans=True)
@example(a=np.array([0, 1], np.int8), dt=np.int32, nans=False)  # numpy's unique_values: [1 0]
def test_unique_family_matches_numpy(a, dt, nans):
    a = a.astype(dt)
    if nans and a.dtype.kind == "f" and a.size:
        a = a.copy()
        a.flat[::2] = np.nan
    x = fnp.asarray(a)
    for name in ("unique_all", "unique_counts", "unique_inverse", "unique_values"):
        want = getattr(np, name)(a)
        got = getattr(fnp, name)(x)
        if name == "unique_values":
            # the standard leaves the order unspecified: numpy 2.4 hashes integers (unsorted),
            # fnx sorts (as its other unique_* and numpy's unique do)
            want, got = (np.sort(want),), (got,)
        else:
            assert got._fields == want._fields
        for g, w in zip(got, want):
            w = np.asarray(w)
            assert g.shape == w.shape
            assert g.dtype == (w.dtype if w.dtype.kind != "i" or name == "unique_values"
                               or g is got[0] else np.int32)
            np.testing.assert_array_equal(g, w)


def test_unique_family_under_jit():
    for name in ("unique_all", "unique_counts", "unique_inverse", "unique_values"):
        with pytest.raises(ConcretizationTypeError, match=name):
            fnx.jit(getattr(fnp, name))(fnp.ones(3))


class _Capsule:
    """A producer that hands numpy one given capsule (to test each export path)."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)


def test_legacy_dlpack_of_a_read_only_buffer():
    # array-api-tests test_dunder_dlpack: an array whose buffer numpy holds read-only raised
    # BufferError for a consumer without max_version (DLPack 0.x has no read-only flag)
    v = np.arange(6.0).reshape(2, 3)
    v.flags.writeable = False
    x = Array(v)
    for kw in ({}, {"max_version": (0, 8)}, {"max_version": (1, 0)}, {"copy": True},
               {"copy": False}):
        got = np.from_dlpack(_Capsule(x.__dlpack__(**kw)))
        np.testing.assert_array_equal(got, v)
        if not kw.get("copy"):  # zero-copy: the consumer sees fnx's own memory
            assert np.shares_memory(got, v), kw
    b = fnp.broadcast_to(fnp.arange(3.0), (2, 3))  # a read-only, strided view
    np.testing.assert_array_equal(np.from_dlpack(_Capsule(b.__dlpack__())),
                                  np.broadcast_to(np.arange(3.0), (2, 3)))


def test_boolean_mask_with_an_empty_axis_selects_nothing():
    # array-api-tests test_getitem_masking: a size-0 mask axis matches any axis size (numpy's)
    for xs, ks in (((0, 1), (0, 0)), ((2, 3), (2, 0)), ((2, 3), (0, 3)), ((4,), (0,))):
        x = np.zeros(xs, np.float32)
        k = np.zeros(ks, bool)
        assert fnp.asarray(x)[fnp.asarray(k)].shape == x[k].shape
    with pytest.raises(IndexError, match="boolean index did not match"):
        fnp.zeros((2, 3))[fnp.zeros((2, 2), bool)]


@pytest.mark.parametrize("dt", [fnp.float32, fnp.float64, fnp.complex64, fnp.complex128])
def test_finfo_fields_are_python_numbers(dt):
    # array-api-tests test_finfo: eps / max / min / smallest_normal must be Python floats
    for arg in (dt, fnp.asarray(1, dtype=dt), fnp.asarray(1, dtype=dt).dtype):
        got, want = fnp.finfo(arg), np.finfo(np.dtype(dt))
        assert isinstance(got.bits, int) and got.bits == want.bits
        for name in ("eps", "max", "min", "smallest_normal", "tiny", "resolution"):
            value = getattr(got, name)
            assert type(value) is float and value == float(getattr(want, name)), name
        assert got.dtype == want.dtype and got.nmant == want.nmant


def test_clip_has_the_standard_signature_and_numpy_keywords():
    x = np.arange(-3.0, 4.0)
    for got in (fnp.clip(fnp.asarray(x), -1, 2), fnp.clip(fnp.asarray(x), min=-1, max=2),
                fnp.clip(fnp.asarray(x), a_min=-1, a_max=2), fnp.clip(a=fnp.asarray(x), min=-1,
                                                                      a_max=2)):
        np.testing.assert_array_equal(np.asarray(got), np.clip(x, -1, 2))
    params = inspect.signature(fnp.clip).parameters
    assert list(params)[1:3] == ["min", "max"]
    with pytest.raises(TypeError, match="clip"):
        fnp.clip(fnp.asarray(x), min=0, a_min=1)
