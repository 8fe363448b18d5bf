"""The spec table of the fnx.lax primitives: one ``LaxSpec`` row per primitive.

A row names the primitive, the public ``fnx.lax`` function that binds it, a hypothesis strategy
for primitive-level inputs (``LaxCase``: the positional operands as ``fnx.Array``s and the
primitive's static params), the dtypes it accepts, tolerances per dtype, whether it is
differentiable, and a few inputs its abstract evaluation must reject.

The strategies cover every accepted dtype, 0-d and empty arrays, ranks 0-4, NaN / +-inf / -0.0
and subnormals for floats, extreme integers, weak-typed operands, and non-contiguous inputs
(transposed, step-sliced and reversed numpy views wrapped with ``fnx.core.Array``, so the C
kernels see real strides).  Arrays stay at <= 64 elements so the suite is fast.

Tests built on the table: ``tests/test_lax_backends.py`` (CPU backend vs the numpy reference
backend, the public function, make_jaxpr, abstract-eval errors), ``test_autodiff_spec.py``
(gradients of the ``differentiable`` rows), ``test_vmap_spec.py``, ``test_jit_spec.py``,
``test_cuda_jit_emulated.py`` (generated CUDA run on the CPU) and the gpu-marked ``test_cuda.py`` /
``test_cuda_jit.py``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fnx
from fnx import dtypes, lax
from fnx.lax import linalg as la
from fnx.core import Array, Primitive, ShapedArray

MAX_SIZE = 64  # elements per array
MAX_SIDE = 4

BOOL = (dtypes.bool_,)
FLOATING = dtypes.FLOATING
INTEGER = dtypes.INTEGER
SIGNED_INTEGER = (dtypes.int8, dtypes.int32, dtypes.int64)
NUMERIC = dtypes.NUMERIC
BOOL_OR_INT = BOOL + INTEGER
COMPLEX = dtypes.COMPLEX
INEXACT = FLOATING + COMPLEX
NUMERIC_C = NUMERIC + COMPLEX  # numeric, complex included
REAL = dtypes.REAL  # every dtype but complex
ALL = dtypes.SUPPORTED
DOT_DTYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64)
WEAKABLE = (dtypes.bool_, dtypes.int32, dtypes.float32)  # dtypes a Python scalar can have


# ---------------------------------------------------------------------------------------------
# Tolerances
# ---------------------------------------------------------------------------------------------

def ulps(n: float, atol_ulps: float | None = None) -> dict:
    """rtol of ``n`` machine epsilons per float dtype (exact for ints/bool); atol of as many
    smallest normals, so results that underflow to subnormals compare sensibly."""
    out = {}
    for dt in INEXACT:  # complex: relative to |expected| (see test_lax_backends)
        fi = np.finfo(dt)
        out[dt] = (n * float(fi.eps), (atol_ulps if atol_ulps is not None else n)
                   * float(fi.smallest_normal))
    return out


EXACT: dict = {}
TRANSCENDENTAL = ulps(4)   # libm vs numpy-in-float64: a few ulp
SPECIAL = {dtypes.float32: (16 * float(np.finfo(np.float32).eps), 1e-6),
           dtypes.float64: (64 * float(np.finfo(np.float64).eps), 1e-14)}  # erf_inv, lgamma, ...


# ---------------------------------------------------------------------------------------------
# Cases and rows
# ---------------------------------------------------------------------------------------------

def _describe_operand(x) -> str:
    v = x._value
    layout = "C" if v.flags.c_contiguous else f"strides={v.strides}"
    weak = ", weak" if x.weak_type else ""
    body = np.array2string(v, separator=", ", threshold=100, floatmode="unique")
    return f"{v.dtype}{list(v.shape)}[{layout}{weak}] {body}"


@dataclass
class LaxCase:
    """Inputs of one primitive application: positional operands and static params."""
    operands: tuple
    params: dict

    def __repr__(self):
        ops = "\n    ".join(_describe_operand(o) for o in self.operands)
        return f"LaxCase(params={self.params},\n    {ops})"

    def _repr_pretty_(self, p, cycle):  # hypothesis' printer
        p.text(repr(self))


def _default_call(fn, case: LaxCase):
    return fn(*case.operands, **case.params)


@dataclass
class ErrorCase:
    """Avals (and params) that the abstract eval must reject; ``needles`` must all appear in
    the message (besides the primitive name)."""
    avals: tuple
    params: dict
    needles: tuple
    xfail: str | None = None  # a known lax gap: the rule does not validate this yet


@dataclass
class LaxSpec:
    name: str                                   # the primitive's name
    fn: Callable                                # the public fnx.lax function
    cases: Callable[[np.dtype], st.SearchStrategy]  # dtype -> strategy of LaxCase
    dtypes: tuple                               # the dtypes the primitive accepts
    differentiable: bool
    tol: dict = field(default_factory=dict)     # dtype -> (rtol, atol); missing: exact
    # how the public function is called for a case (default: fn(*operands, **params))
    call: Callable = _default_call
    # False for cases where the public function legitimately returns its input without
    # binding the primitive (an identity transpose, reduce over no axes, ...)
    binds: Callable[[LaxCase], bool] = lambda case: True
    errors: tuple = ()
    # decompositions unique only up to signs (eigen / singular vectors, Q and R): a function
    # (actual, expected) -> actual of numpy output lists that flips each actual vector to the
    # sign of the expected one (and rotates an arbitrary orthonormal completion onto the
    # expected one) before values are compared; None: outputs compare as they are
    align: Callable | None = None

    def __repr__(self):
        return f"LaxSpec({self.name!r})"

    def _repr_pretty_(self, p, cycle):
        p.text(repr(self))

    @property
    def prim(self) -> Primitive:
        return PRIMITIVES[self.name]

    def strategy(self) -> st.SearchStrategy:
        return st.sampled_from(self.dtypes).flatmap(self.cases)

    def tolerance(self, dtype) -> tuple:
        return self.tol.get(np.dtype(dtype), (0.0, 0.0))


# Higher-order primitives (they hold jaxprs: cond, while, scan) have no operand strategy of the
# table's kind; tests/test_control_flow.py covers them against Python loops and branches.
HIGHER_ORDER_MODULES = ("fnx.lax.control_flow",)


def lax_primitives() -> dict[str, Primitive]:
    """Every first-order primitive defined by an fnx.lax module (as registered in
    ALL_PRIMITIVES)."""
    import sys
    found = {}
    for modname, module in list(sys.modules.items()):
        if modname in HIGHER_ORDER_MODULES:
            continue
        if modname == "fnx.lax" or modname.startswith("fnx.lax."):
            for value in vars(module).values():
                if isinstance(value, Primitive):
                    found[value.name] = value
    return found


PRIMITIVES = lax_primitives()


# ---------------------------------------------------------------------------------------------
# Strategies: shapes, elements, layouts, arrays
# ---------------------------------------------------------------------------------------------

@st.composite
def shapes(draw, min_rank=0, max_rank=4, min_side=0, max_side=MAX_SIDE, max_size=MAX_SIZE):
    rank = draw(st.integers(min_rank, max_rank))
    shape, size = [], 1
    for _ in range(rank):
        hi = max_side if size == 0 else max(min_side, min(max_side, max_size // size))
        d = draw(st.integers(min_side, hi))
        shape.append(d)
        size *= d
    return tuple(shape)


_F32_HALF_BELOW = float(np.nextafter(np.float32(0.5), np.float32(0)))
_F64_HALF_BELOW = float(np.nextafter(0.5, 0.0))


def float_elements(dtype, kind: str = "general", specials: bool = True):
    """Element strategy for a float dtype.

    kind "general": anything (huge, tiny, subnormal), plus values in [-10, 10] and [-1, 1];
    kind "dyadic": multiples of 1/8 in [-8, 8], which sum and multiply exactly in any order
    (for reductions, scans, contractions, scatter-add); kind "unit": magnitudes in [1/2, 2]
    (products of <= 64 of them neither overflow nor underflow float32).
    ``specials`` adds NaN, +-inf, +-0.0 and rounding half-way points."""
    width = 32 if np.dtype(dtype) == np.float32 else 64
    half_below = _F32_HALF_BELOW if width == 32 else _F64_HALF_BELOW
    if kind == "general":
        base = st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=width),
                         st.floats(-10, 10, width=width), st.floats(-1, 1, width=width))
        extra = [0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 1.0, -1.0, half_below, -half_below]
    elif kind == "dyadic":
        base = st.integers(-64, 64).map(lambda k: k / 8)
        extra = [-0.0]
    elif kind == "unit":
        base = st.sampled_from([0.5, 0.625, 0.75, 1.0, 1.25, 1.5, 2.0, -0.5, -1.0, -1.5, -2.0])
        extra = [0.0, -0.0]
    else:
        raise ValueError(kind)
    if specials:
        extra = extra + [math.nan, math.inf, -math.inf]
    return st.one_of(base, st.sampled_from(extra))


def int_elements(dtype, small: tuple | None = None):
    info = np.iinfo(dtype)
    lo, hi = int(info.min), int(info.max)
    edges = sorted({lo, lo + 1, hi - 1, hi, 0, 1} | ({-1} if lo < 0 else set()))
    small_lo, small_hi = small if small is not None else (-8, 8)
    return st.one_of(st.sampled_from(edges), st.integers(lo, hi),
                     st.integers(max(lo, small_lo), min(hi, small_hi)))


def complex_elements(dtype, kind="general", specials=True):
    """Complex numbers whose parts are ``float_elements`` of the part's dtype, each drawn on
    its own (so inf / NaN / -0.0 parts meet finite ones, and points on the branch cuts --
    a real part beyond +-1 with a +-0.0 imaginary part -- occur)."""
    part = float_elements(dtypes.real_of(dtype), kind, specials)
    return st.builds(complex, part, part)


def elements_for(dtype, kind="general", specials=True):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return st.booleans()
    if dtype.kind == "f":
        return float_elements(dtype, kind, specials)
    if dtype.kind == "c":
        return complex_elements(dtype, kind, specials)
    return int_elements(dtype)


@st.composite
def strided_view(draw, value: np.ndarray) -> np.ndarray:
    """``value`` itself, or an equal-valued non-contiguous view (transposed / step-sliced /
    reversed) of a larger buffer."""
    layout = draw(st.sampled_from(["contiguous", "transposed", "strided", "reversed"]))
    nd = value.ndim
    if nd == 0 or value.size == 0 or layout == "contiguous":
        return value
    if layout == "transposed" and nd >= 2:
        perm = draw(st.permutations(range(nd)))
        base = np.ascontiguousarray(np.transpose(value, perm))
        return np.transpose(base, np.argsort(perm))
    if layout == "reversed":
        axis = draw(st.integers(0, nd - 1))
        base = np.ascontiguousarray(np.flip(value, axis))
        return np.flip(base, axis)
    step = draw(st.integers(2, 3))
    base = np.zeros(tuple(d * step for d in value.shape), value.dtype)
    window = tuple(slice(None, None, step) for _ in range(nd))
    base[window] = value
    return base[window]


@st.composite
def arrays(draw, dtype, shape, kind="general", elements=None, weak=None):
    """An fnx Array of ``dtype``/``shape`` (possibly a strided view, possibly weak)."""
    dtype = np.dtype(dtype)
    if elements is None:
        specials = draw(st.booleans()) if dtype.kind in "fc" else False
        elements = elements_for(dtype, kind, specials)
    # a private copy: Array() marks its buffer read-only, and hypothesis may reuse its own
    value = np.array(draw(hnp.arrays(dtype, shape, elements=elements, fill=st.nothing())))
    view = draw(strided_view(value))
    if weak is None:
        weak = dtype in WEAKABLE and draw(st.integers(0, 4)) == 0
    return Array(view, bool(weak))


def _scalar_index(dtype, lo, hi):
    """A 0-d integer Array (a start index) with values around [lo, hi] plus the dtype edges."""
    info = np.iinfo(dtype)
    return st.one_of(st.integers(max(lo, info.min), min(hi, info.max)),
                     st.sampled_from([int(info.min), int(info.max)])).map(
        lambda v: Array(np.array(v, dtype)))


def sub_axes(ndim, min_size=0):
    return st.lists(st.integers(0, max(ndim - 1, 0)), min_size=min_size, max_size=ndim,
                    unique=True).map(lambda a: tuple(sorted(a)) if ndim else ())


# ---------------------------------------------------------------------------------------------
# Case builders per family
# ---------------------------------------------------------------------------------------------

def unary_cases(kind="general", params=None):
    def build(dtype):
        @st.composite
        def case(draw):
            x = draw(arrays(dtype, draw(shapes()), kind))
            p = draw(params(dtype)) if params is not None else {}
            return LaxCase((x,), p)
        return case()
    return build


def binary_cases(kind="general", rhs_elements=None):
    def build(dtype):
        @st.composite
        def case(draw):
            shape = draw(shapes())
            x = draw(arrays(dtype, shape, kind))
            rhs_el = rhs_elements(dtype) if rhs_elements is not None else None
            y = draw(arrays(dtype, shape, kind, elements=rhs_el))
            return LaxCase((x, y), {})
        return case()
    return build


def shift_amounts(dtype):
    bits = np.dtype(dtype).itemsize * 8
    info = np.iinfo(dtype)
    return st.one_of(st.integers(max(-2, int(info.min)), min(bits + 2, int(info.max))),
                     int_elements(dtype))


def int_exponents(dtype):
    if np.dtype(dtype).kind in "fc":
        return None
    info = np.iinfo(dtype)
    return st.one_of(st.integers(max(-3, int(info.min)), 12),
                     st.sampled_from([v for v in (31, 32, 63, 64, 100) if v <= info.max]),
                     int_elements(dtype))


def convert_cases(dtype):
    @st.composite
    def case(draw):
        x = draw(arrays(dtype, draw(shapes())))
        new_dtype = draw(st.sampled_from(ALL))
        return LaxCase((x,), {"new_dtype": new_dtype, "weak_type": draw(st.booleans())})
    return case()


def bitcast_cases(dtype):
    same_width = [d for d in NUMERIC if d.itemsize == dtype.itemsize]

    @st.composite
    def case(draw):
        x = draw(arrays(dtype, draw(shapes())))
        return LaxCase((x,), {"new_dtype": draw(st.sampled_from(same_width))})
    return case()


def threefry_cases(dtype):
    """uint32 keys and counters, each rank 0 or of one shared shape."""
    @st.composite
    def case(draw):
        shape = draw(shapes())
        ops = [draw(arrays(dtype, draw(st.sampled_from([(), shape])))) for _ in range(4)]
        return LaxCase(tuple(ops), {})
    return case()


def select_n_cases(dtype):
    @st.composite
    def case(draw):
        shape = draw(shapes())
        which_dtype = draw(st.sampled_from([dtypes.bool_, dtypes.int32]))
        n = 2 if which_dtype == dtypes.bool_ else draw(st.integers(1, 4))
        if which_dtype == dtypes.bool_ and draw(st.booleans()):
            n = 1
        which_shape = draw(st.sampled_from([(), shape]))
        if which_dtype == dtypes.bool_:
            which = draw(arrays(which_dtype, which_shape))
        else:  # out-of-range selectors are clamped
            which = draw(arrays(which_dtype, which_shape,
                                elements=st.one_of(st.integers(-2, n + 1),
                                                   int_elements(dtypes.int32))))
        cases = [draw(arrays(dtype, shape)) for _ in range(n)]
        return LaxCase((which, *cases), {})
    return case()


def clamp_cases(dtype):
    @st.composite
    def case(draw):
        shape = draw(shapes())
        lo = draw(arrays(dtype, draw(st.sampled_from([(), shape]))))
        x = draw(arrays(dtype, shape))
        hi = draw(arrays(dtype, draw(st.sampled_from([(), shape]))))
        return LaxCase((lo, x, hi), {})
    return case()


@st.composite
def _indexing_layout(draw, need_nonempty_axis=True):
    """(batch shape, D, trailing shape R, index shape I) for gather/scatter."""
    batch_dims = draw(st.integers(0, 2))
    batch = draw(shapes(batch_dims, batch_dims, max_side=3))
    d = draw(st.integers(0, 5))
    rest = draw(shapes(0, 2, max_side=3))
    index_shape = draw(shapes(0, 2, max_side=4))
    if d == 0 and need_nonempty_axis and math.prod(batch + index_shape) > 0:
        d = 1  # gathering from an empty axis is an error
    return batch, d, rest, index_shape


def _indices(dtype_strategy, shape, d):
    @st.composite
    def build(draw):
        idt = draw(dtype_strategy)
        info = np.iinfo(idt)
        el = st.one_of(st.integers(max(-2, int(info.min)), min(d + 1, int(info.max))),
                       st.integers(0, max(d - 1, 0)),
                       st.sampled_from([int(info.min), int(info.max)]))
        return draw(arrays(idt, shape, elements=el))
    return build()


def gather_cases(dtype):
    @st.composite
    def case(draw):
        batch, d, rest, ishape = draw(_indexing_layout())
        operand = draw(arrays(dtype, batch + (d,) + rest))
        indices = draw(_indices(st.sampled_from(INTEGER), batch + ishape, d))
        return LaxCase((operand, indices), {"batch_dims": len(batch)})
    return case()


def scatter_cases(kind="general"):
    def build(dtype):
        @st.composite
        def case(draw):
            batch, d, rest, ishape = draw(_indexing_layout(need_nonempty_axis=False))
            operand = draw(arrays(dtype, batch + (d,) + rest, kind))
            indices = draw(_indices(st.sampled_from(INTEGER), batch + ishape, d))
            updates = draw(arrays(dtype, batch + ishape + rest, kind))
            return LaxCase((operand, indices, updates), {"batch_dims": len(batch)})
        return case()
    return build


def dot_general_cases(dtype):
    @st.composite
    def case(draw):
        nb, nc = draw(st.integers(0, 2)), draw(st.integers(0, 2))
        nlf, nrf = draw(st.integers(0, 2)), draw(st.integers(0, 2))
        side = st.integers(0, 3)
        batch = [draw(side) for _ in range(nb)]
        contract = [draw(side) for _ in range(nc)]
        lfree = [draw(side) for _ in range(nlf)]
        rfree = [draw(side) for _ in range(nrf)]
        # each operand: its axes (batch, contract, free) in a random order
        lperm = draw(st.permutations(range(nb + nc + nlf)))
        rperm = draw(st.permutations(range(nb + nc + nrf)))
        lsizes = batch + contract + lfree
        rsizes = batch + contract + rfree
        lshape = tuple(lsizes[p] for p in lperm)
        rshape = tuple(rsizes[p] for p in rperm)
        lpos = {p: i for i, p in enumerate(lperm)}
        rpos = {p: i for i, p in enumerate(rperm)}
        dn = ((tuple(lpos[nb + i] for i in range(nc)), tuple(rpos[nb + i] for i in range(nc))),
              (tuple(lpos[i] for i in range(nb)), tuple(rpos[i] for i in range(nb))))
        lhs = draw(arrays(dtype, lshape, "dyadic"))
        rhs = draw(arrays(dtype, rshape, "dyadic"))
        return LaxCase((lhs, rhs), {"dimension_numbers": dn, "preferred_element_type": None})
    return case()


def conv_cases(dtype):
    """Primitive-level conv cases: lhs NHWC, rhs HWIO, small odd sizes, strides 1-2, lhs and
    rhs dilation 1-2, padding 0-2 per side, 1-2 feature groups (sizes 0 included)."""
    @st.composite
    def case(draw):
        g = draw(st.integers(1, 2))
        n, cg, og = draw(st.integers(0, 2)), draw(st.integers(0, 2)), draw(st.integers(0, 2))
        h, w = draw(st.integers(0, 4)), draw(st.integers(0, 4))
        kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        assume(n * h * w * g * cg <= MAX_SIZE and kh * kw * cg * g * og <= MAX_SIZE)
        pair = st.tuples(st.integers(1, 2), st.integers(1, 2))
        padding = tuple(draw(st.tuples(st.integers(0, 2), st.integers(0, 2))) for _ in range(2))
        lhs = draw(arrays(dtype, (n, h, w, g * cg), "dyadic"))
        rhs = draw(arrays(dtype, (kh, kw, cg, g * og), "dyadic"))
        return LaxCase((lhs, rhs), {"window_strides": draw(pair), "padding": padding,
                                    "lhs_dilation": draw(pair), "rhs_dilation": draw(pair),
                                    "feature_group_count": g})
    return case()


def _conv_call(fn, case):
    p = case.params
    return fn(*case.operands, p["window_strides"], p["padding"], p["lhs_dilation"],
              p["rhs_dilation"], ("NHWC", "HWIO", "NHWC"), p["feature_group_count"])


def reduce_window_cases(kind):
    def build(dtype):
        @st.composite
        def case(draw):
            shape = draw(shapes(min_rank=1, max_rank=3))
            nd = len(shape)
            window = tuple(draw(st.integers(1, 3)) for _ in range(nd))
            strides = tuple(draw(st.integers(1, 2)) for _ in range(nd))
            padding = tuple(draw(st.tuples(st.integers(0, 2), st.integers(0, 2)))
                            for _ in range(nd))
            x = draw(arrays(dtype, shape, kind))
            return LaxCase((x,), {"window_dimensions": window, "window_strides": strides,
                                  "padding": padding})
        return case()
    return build


def _reduce_window_call(computation):
    def call(fn, case):
        x = case.operands[0]
        dt = np.dtype(x.dtype)
        init = 0 if computation == "add" else (-np.inf if dt.kind == "f" else
                                               int(np.iinfo(dt).min))
        p = case.params
        return fn(x, init, computation, p["window_dimensions"], p["window_strides"],
                  p["padding"])
    return call


def select_window_cases(scatter):
    """select_and_gather_add (source shaped like the operand) / select_and_scatter_add (source
    shaped like the pooled output): window geometry as reduce_window_cases."""
    def build(dtype):
        @st.composite
        def case(draw):
            shape = draw(shapes(min_rank=1, max_rank=3))
            window = tuple(draw(st.integers(1, 3)) for _ in shape)
            strides = tuple(draw(st.integers(1, 2)) for _ in shape)
            padding = tuple(draw(st.tuples(st.integers(0, 2), st.integers(0, 2)))
                            for _ in shape)
            pooled = tuple(max(0, (n + lo + hi - k) // s + 1) if n + lo + hi >= k else 0
                           for n, k, s, (lo, hi) in zip(shape, window, strides, padding))
            source = draw(arrays(dtype, pooled if scatter else shape, "general"))
            operand = draw(arrays(dtype, shape, "general"))
            return LaxCase((source, operand), {"window_dimensions": window,
                                               "window_strides": strides, "padding": padding})
        return case()
    return build


def _select_window_call(fn, case):
    p = case.params
    return fn(*case.operands, p["window_dimensions"], p["window_strides"], p["padding"])


def reduce_cases(kind="general"):
    def build(dtype):
        @st.composite
        def case(draw):
            x = draw(arrays(dtype, draw(shapes()), kind))
            return LaxCase((x,), {"axes": draw(sub_axes(x.ndim))})
        return case()
    return build


def argreduce_cases(dtype):
    @st.composite
    def case(draw):
        shape = list(draw(shapes(min_rank=1)))
        axis = draw(st.integers(0, len(shape) - 1))
        shape[axis] = max(shape[axis], 1)
        x = draw(arrays(dtype, tuple(shape)))
        return LaxCase((x,), {"axes": (axis,),
                              "index_dtype": draw(st.sampled_from([dtypes.int32,
                                                                   dtypes.int64]))})
    return case()


def cumulative_cases(kind="general"):
    def build(dtype):
        @st.composite
        def case(draw):
            x = draw(arrays(dtype, draw(shapes(min_rank=1)), kind))
            return LaxCase((x,), {"axis": draw(st.integers(0, x.ndim - 1)),
                                  "reverse": draw(st.booleans())})
        return case()
    return build


def sort_cases(dtype):
    @st.composite
    def case(draw):
        shape = draw(shapes(min_rank=1))
        n = draw(st.integers(1, 3))
        # the first operand has the row's dtype; the others any dtype
        ops = [draw(arrays(dtype, shape))]
        ops += [draw(arrays(draw(st.sampled_from(ALL)), shape)) for _ in range(n - 1)]
        return LaxCase(tuple(ops), {"dimension": draw(st.integers(0, len(shape) - 1)),
                                    "is_stable": True,
                                    "num_keys": draw(st.integers(1, n))})
    return case()


def _sort_call(fn, case):
    return list(fn(tuple(case.operands), **case.params))


def broadcast_in_dim_cases(dtype):
    @st.composite
    def case(draw):
        x_shape = draw(shapes(max_rank=3, max_side=3))
        out_rank = draw(st.integers(len(x_shape), min(len(x_shape) + 2, 4)))
        bdims = tuple(sorted(draw(st.permutations(range(out_rank)))[:len(x_shape)]))
        out = [draw(st.integers(0, 3)) for _ in range(out_rank)]
        for d, od in zip(x_shape, bdims):
            if d != 1 or draw(st.booleans()):
                out[od] = d
        if math.prod(out) > MAX_SIZE:
            out = [min(s, 2) if i not in bdims else s for i, s in enumerate(out)]
        x = draw(arrays(dtype, x_shape))
        return LaxCase((x,), {"shape": tuple(out), "broadcast_dimensions": bdims})
    return case()


@st.composite
def _reshape_target(draw, size):
    if size == 0:
        rank = draw(st.integers(1, 3))
        out = [draw(st.integers(0, 3)) for _ in range(rank)]
        out[draw(st.integers(0, rank - 1))] = 0
        return tuple(out)
    out = []
    rest = size
    while rest > 1:
        divisors = [k for k in range(2, rest + 1) if rest % k == 0]
        k = draw(st.sampled_from(divisors))
        out.append(k)
        rest //= k
    for _ in range(draw(st.integers(0, 2))):  # sprinkle size-1 axes
        out.insert(draw(st.integers(0, len(out))), 1)
    return tuple(draw(st.permutations(out)))


def reshape_cases(dtype):
    @st.composite
    def case(draw):
        x = draw(arrays(dtype, draw(shapes())))
        return LaxCase((x,), {"new_sizes": draw(_reshape_target(x.size))})
    return case()


def transpose_cases(dtype):
    @st.composite
    def case(draw):
        x = draw(arrays(dtype, draw(shapes())))
        return LaxCase((x,), {"permutation": tuple(draw(st.permutations(range(x.ndim))))})
    return case()


def squeeze_cases(dtype):
    @st.composite
    def case(draw):
        shape = list(draw(shapes(min_rank=1)))
        ones = draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True))
        for i in ones:
            shape[i] = 1
        x = draw(arrays(dtype, tuple(shape)))
        dims = draw(st.lists(st.sampled_from(sorted(ones)), min_size=1, unique=True))
        return LaxCase((x,), {"dimensions": tuple(sorted(dims))})
    return case()


def expand_dims_cases(dtype):
    @st.composite
    def case(draw):
        x = draw(arrays(dtype, draw(shapes(max_rank=3))))
        k = draw(st.integers(1, 2))
        dims = draw(st.lists(st.integers(0, x.ndim + k - 1), min_size=k, max_size=k,
                             unique=True))
        return LaxCase((x,), {"dimensions": tuple(sorted(dims))})
    return case()


def rev_cases(dtype):
    @st.composite
    def case(draw):
        x = draw(arrays(dtype, draw(shapes())))
        return LaxCase((x,), {"dimensions": draw(sub_axes(x.ndim))})
    return case()


def slice_cases(dtype):
    @st.composite
    def case(draw):
        x = draw(arrays(dtype, draw(shapes())))
        starts, limits, strides = [], [], []
        for d in x.shape:
            lo = draw(st.integers(0, d))
            starts.append(lo)
            limits.append(draw(st.integers(lo, d)))
            strides.append(draw(st.integers(1, 3)))
        return LaxCase((x,), {"start_indices": tuple(starts), "limit_indices": tuple(limits),
                              "strides": tuple(strides)})
    return case()


def dynamic_slice_cases(dtype):
    @st.composite
    def case(draw):
        x = draw(arrays(dtype, draw(shapes())))
        sizes = tuple(draw(st.integers(0, d)) for d in x.shape)
        idt = draw(st.sampled_from(INTEGER))
        starts = [draw(_scalar_index(idt, -3, d + 3)) for d in x.shape]
        return LaxCase((x, *starts), {"slice_sizes": sizes})
    return case()


def _dynamic_slice_call(fn, case):
    x, *starts = case.operands
    return fn(x, starts, **case.params)


def dynamic_update_slice_cases(dtype):
    @st.composite
    def case(draw):
        x = draw(arrays(dtype, draw(shapes())))
        update = draw(arrays(dtype, tuple(draw(st.integers(0, d)) for d in x.shape)))
        idt = draw(st.sampled_from(INTEGER))
        starts = [draw(_scalar_index(idt, -3, d + 3)) for d in x.shape]
        return LaxCase((x, update, *starts), {})
    return case()


def _dynamic_update_slice_call(fn, case):
    x, update, *starts = case.operands
    return fn(x, update, starts)


def concatenate_cases(dtype):
    @st.composite
    def case(draw):
        shape = list(draw(shapes(min_rank=1, max_size=16)))
        dim = draw(st.integers(0, len(shape) - 1))
        ops = []
        for _ in range(draw(st.integers(2, 3))):
            s = list(shape)
            s[dim] = draw(st.integers(0, 3))
            ops.append(draw(arrays(dtype, tuple(s))))
        return LaxCase(tuple(ops), {"dimension": dim})
    return case()


def _concatenate_call(fn, case):
    return fn(list(case.operands), **case.params)


def pad_cases(dtype):
    @st.composite
    def case(draw):
        x = draw(arrays(dtype, draw(shapes(max_size=24, max_side=3))))
        config = []
        for d in x.shape:
            interior = draw(st.integers(0, 2))
            core = d + max(d - 1, 0) * interior
            lo = draw(st.integers(-min(core, 2), 2))
            hi = draw(st.integers(-min(core + lo, 2), 2))
            config.append((lo, hi, interior))
        value = draw(arrays(dtype, ()))
        return LaxCase((x, value), {"padding_config": tuple(config)})
    return case()


def iota_cases(dtype):
    @st.composite
    def case(draw):
        shape = draw(shapes(min_rank=1, max_side=6))
        return LaxCase((), {"dtype": np.dtype(dtype), "shape": shape,
                            "dimension": draw(st.integers(0, len(shape) - 1))})
    return case()


# ---------------------------------------------------------------------------------------------
# Error cases (abstract-eval rejections)
# ---------------------------------------------------------------------------------------------

def A(dtype, *shape, weak=False):
    return ShapedArray(shape, np.dtype(dtype), weak)


def wrong_dtype_unary(accepted):
    if dtypes.float32 not in accepted:
        return (ErrorCase((A("float32", 2, 3),), {}, ("float32",)),)
    bad = "int32" if dtypes.int32 not in accepted else "bool"
    return (ErrorCase((A(bad, 2, 3),), {}, (bad,)),)


def binary_errors(accepted):
    good = "float32" if dtypes.float32 in accepted else "int32"
    other = "float64" if good == "float32" else "int64"
    errs = [ErrorCase((A(good, 2, 3), A(good, 3, 2)), {}, ("[2, 3]", "[3, 2]")),
            ErrorCase((A(good, 2), A(other, 2)), {}, (good, other))]
    bad = next((d for d in ("bool", "float32", "int32") if np.dtype(d) not in accepted), None)
    if bad is not None:
        errs.append(ErrorCase((A(bad, 2), A(bad, 2)), {}, (bad,)))
    return tuple(errs)


def reduce_errors(accepted):
    good = "float32" if dtypes.float32 in accepted else "int32"
    errs = [ErrorCase((A(good, 2, 3),), {"axes": (2,)}, ("(2,)", "[2, 3]"))]
    if dtypes.bool_ not in accepted:
        errs.append(ErrorCase((A("bool", 2, 3),), {"axes": (0,)}, ("bool",)))
    if dtypes.float32 not in accepted:
        errs.append(ErrorCase((A("float32", 2, 3),), {"axes": (0,)}, ("float32",)))
    return tuple(errs)




# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------

def expm1_array_api(z):
    """numpy's expm1, except for complex z where the array API standard lists other special
    values: exp(z) - 1 with exp's C99 values for a non-finite z (numpy's formula gives NaNs),
    a +0 real part for +-0 + 0j (numpy: -0 for -0 + 0j), and a real z's imaginary zero kept."""
    with np.errstate(all="ignore"):
        y = np.expm1(z)
        if np.asarray(z).dtype.kind == "c":
            y = np.where(np.isfinite(z), y, np.exp(z) - 1).astype(y.dtype)
            y.real += 0
            # a real z keeps its imaginary zero (numpy: e^x sin 0 = NaN once e^x overflows)
            y.imag = np.where(np.asarray(z).imag == 0, np.asarray(z).imag, y.imag)
    return y


def tanh_array_api(z):
    """numpy's tanh, except complex tanh(+-inf + iy) for finite y: +-1 + i0 with the sign of y,
    as the array API standard lists it (numpy and C99: the sign of sin(2y))."""
    with np.errstate(all="ignore"):
        z = np.asarray(z)
        y = np.array(np.tanh(z))
        if z.dtype.kind == "c":
            at_inf = np.isinf(z.real) & np.isfinite(z.imag)
            y.imag = np.where(at_inf, np.copysign(0, z.imag), y.imag)
    return y


def _unary_row(name, fn, accepted, differentiable, tol=EXACT, kind="general", params=None):
    return LaxSpec(name, fn, unary_cases(kind, params), accepted, differentiable, tol,
                   errors=wrong_dtype_unary(accepted))


_T, _S = TRANSCENDENTAL, SPECIAL
# complex results are compared part by part relative to |expected| (test_lax_backends): a few
# ulps of the magnitude for the arithmetic (numpy's mul / Smith division, the same formulas),
# the elementary functions and |z| / sign
_CARITH = {**ulps(0), **{d: t for d, t in ulps(4).items() if d.kind == "c"}}
# (complex64 pow is cpowf in single precision: exp(b log a) amplifies log's rounding by |b|)
_CPOW = {**ulps(2), dtypes.complex64: ulps(512)[dtypes.complex64],
         dtypes.complex128: ulps(64)[dtypes.complex128]}
_CSQRT = {**ulps(0), **{d: t for d, t in ulps(2).items() if d.kind == "c"}}
_RSQRT = {**ulps(2), **{d: t for d, t in ulps(4).items() if d.kind == "c"}}
_CSIGN = _CSQRT
# |complex128| within 2 ulp, |complex64| within 1 (real abs is exact anyway)
_CABS = {dtypes.float64: ulps(2)[dtypes.float64], dtypes.float32: ulps(1)[dtypes.float32]}

UNARY_ROWS = [
    _unary_row("neg", lax.neg, NUMERIC_C, True),
    LaxSpec("stop_gradient", lax.stop_gradient, unary_cases("general", None), ALL, False, EXACT,
            errors=()),
    _unary_row("exp", lax.exp, INEXACT, True, _T),
    _unary_row("exp2", lax.exp2, FLOATING, True, _T),
    _unary_row("log", lax.log, INEXACT, True, _T),
    _unary_row("log1p", lax.log1p, INEXACT, True, _T),
    _unary_row("expm1", lax.expm1, INEXACT, True, _T),
    _unary_row("sin", lax.sin, INEXACT, True, _T),
    _unary_row("cos", lax.cos, INEXACT, True, _T),
    _unary_row("tan", lax.tan, INEXACT, True, _T),
    _unary_row("asin", lax.asin, INEXACT, True, _T),
    _unary_row("acos", lax.acos, INEXACT, True, _T),
    _unary_row("atan", lax.atan, INEXACT, True, _T),
    _unary_row("sinh", lax.sinh, INEXACT, True, _T),
    _unary_row("cosh", lax.cosh, INEXACT, True, _T),
    _unary_row("tanh", lax.tanh, INEXACT, True, _T),
    _unary_row("asinh", lax.asinh, INEXACT, True, _T),
    _unary_row("acosh", lax.acosh, INEXACT, True, _T),
    _unary_row("atanh", lax.atanh, INEXACT, True, _T),
    _unary_row("logistic", lax.logistic, FLOATING, True, _T),
    _unary_row("sqrt", lax.sqrt, INEXACT, True, _CSQRT),
    _unary_row("rsqrt", lax.rsqrt, INEXACT, True, _RSQRT),
    _unary_row("cbrt", lax.cbrt, FLOATING, True, _T),
    _unary_row("abs", lax.abs, NUMERIC_C, True, _CABS),
    _unary_row("sign", lax.sign, NUMERIC_C, False, _CSIGN),
    _unary_row("floor", lax.floor, FLOATING, False),
    _unary_row("ceil", lax.ceil, FLOATING, False),
    _unary_row("erf", lax.erf, FLOATING, True, _S),
    _unary_row("erf_inv", lax.erf_inv, FLOATING, True, _S),
    _unary_row("lgamma", lax.lgamma, FLOATING, True, _S),
    _unary_row("digamma", lax.digamma, FLOATING, True, _S),
    _unary_row("erfc", lax.erfc, FLOATING, True, _S),
    _unary_row("bessel_i0e", lax.bessel_i0e, FLOATING, True, _S),
    _unary_row("bessel_i1e", lax.bessel_i1e, FLOATING, True, _S),
    _unary_row("is_finite", lax.is_finite, INEXACT, False),
    _unary_row("real", lax.real, COMPLEX, True),
    _unary_row("imag", lax.imag, COMPLEX, True),
    _unary_row("conj", lax.conj, COMPLEX, True),
    _unary_row("not", lax.bitwise_not, BOOL_OR_INT, False),
    LaxSpec("round", lax.round,
            unary_cases(params=lambda dt: st.fixed_dictionaries(
                {"rounding_method": st.sampled_from([0, 1])})),
            FLOATING, False,
            errors=(ErrorCase((A("int32", 2),), {"rounding_method": 0}, ("int32",)),)),
    LaxSpec("integer_pow", lax.integer_pow,
            unary_cases(params=lambda dt: st.fixed_dictionaries(
                {"y": st.one_of(st.integers(-3, 6), st.sampled_from([7, 16, 31, 64, -8]))})),
            NUMERIC_C, True, ulps(16),
            errors=(ErrorCase((A("bool", 2),), {"y": 2}, ("bool",)),)),
    LaxSpec("convert_element_type", lax.convert_element_type, convert_cases, ALL, True,
            binds=lambda c: (c.operands[0].dtype != c.params["new_dtype"]
                             or c.operands[0].weak_type != c.params["weak_type"]),
            errors=(ErrorCase((A("float32", 2),), {"new_dtype": np.dtype("float16"),
                                                   "weak_type": False},
                              ("float16",)),)),
    LaxSpec("bitcast_convert_type", lax.bitcast_convert_type, bitcast_cases, NUMERIC, False,
            binds=lambda c: c.operands[0].dtype != c.params["new_dtype"]
            or c.operands[0].weak_type,
            errors=(ErrorCase((A("float32", 2),), {"new_dtype": dtypes.int64}, ("int64",)),
                    ErrorCase((A("bool", 2),), {"new_dtype": dtypes.int8}, ("bool",)))),
    LaxSpec("threefry2x32", lax.threefry2x32, threefry_cases, (dtypes.uint32,), False,
            errors=(ErrorCase((A("uint32"), A("uint32"), A("int32", 3), A("uint32", 3)), {},
                              ("int32",)),
                    ErrorCase((A("uint32"), A("uint32"), A("uint32", 3), A("uint32", 4)), {},
                              ("uint32[3]", "uint32[4]")))),
]


def _binary_row(name, fn, accepted, differentiable, tol=EXACT, kind="general",
                rhs_elements=None):
    return LaxSpec(name, fn, binary_cases(kind, rhs_elements), accepted, differentiable, tol,
                   errors=binary_errors(accepted))


BINARY_ROWS = [
    _binary_row("add", lax.add, NUMERIC_C, True, _CARITH),
    _binary_row("sub", lax.sub, NUMERIC_C, True, _CARITH),
    _binary_row("mul", lax.mul, NUMERIC_C, True, _CARITH),
    _binary_row("div", lax.div, NUMERIC_C, True, _CARITH),
    _binary_row("rem", lax.rem, NUMERIC, True),
    _binary_row("pow", lax.pow, NUMERIC_C, True, _CPOW, rhs_elements=int_exponents),
    _binary_row("max", lax.max, ALL, True),
    _binary_row("min", lax.min, ALL, True),
    _binary_row("atan2", lax.atan2, FLOATING, True, _T),
    _binary_row("nextafter", lax.nextafter, FLOATING, False),
    _binary_row("eq", lax.eq, ALL, False),
    _binary_row("ne", lax.ne, ALL, False),
    _binary_row("lt", lax.lt, ALL, False),
    _binary_row("le", lax.le, ALL, False),
    _binary_row("gt", lax.gt, ALL, False),
    _binary_row("ge", lax.ge, ALL, False),
    _binary_row("and", lax.bitwise_and, BOOL_OR_INT, False),
    _binary_row("or", lax.bitwise_or, BOOL_OR_INT, False),
    _binary_row("xor", lax.bitwise_xor, BOOL_OR_INT, False),
    _binary_row("shift_left", lax.shift_left, INTEGER, False, rhs_elements=shift_amounts),
    _binary_row("shift_right_logical", lax.shift_right_logical, INTEGER, False,
                rhs_elements=shift_amounts),
    _binary_row("shift_right_arithmetic", lax.shift_right_arithmetic, INTEGER, False,
                rhs_elements=shift_amounts),
    _binary_row("complex", lax.complex, FLOATING, True),
]

# -- the incomplete gamma family and Hurwitz zeta (fnx/lax/special.py): operands drawn from a
# range where the mpmath oracle is fast and the kernels converge (a <= 64), half the arrays with
# the domain's edge values; iterative double-precision kernels: a few 1e-13 relative in float64


def _range_elements(lo, hi, extra):
    def elements(dtype, specials):
        values = st.floats(lo, hi, width=np.dtype(dtype).itemsize * 8)
        return st.one_of(values, st.sampled_from(extra)) if specials else values
    return elements


def _ranged_binary_cases(lhs, rhs):
    def build(dtype):
        @st.composite
        def case(draw):
            shape = draw(shapes())
            x = draw(arrays(dtype, shape, elements=lhs(dtype, draw(st.booleans()))))
            y = draw(arrays(dtype, shape, elements=rhs(dtype, draw(st.booleans()))))
            return LaxCase((x, y), {})
        return case()
    return build


_ITERATIVE = {dtypes.float32: (8 * float(np.finfo(np.float32).eps), 1e-35),
              dtypes.float64: (1e-11, 1e-300)}
_GAMMA_A = _range_elements(0.0625, 64.0, [0.0, -1.0, 0.5, 1.0, math.nan, math.inf])
_GAMMA_X = _range_elements(0.0, 64.0, [0.0, -0.5, 1.0, 2.0, math.nan, math.inf])
_ZETA_S = _range_elements(1.0, 64.0, [0.5, 1.0, 2.0, 3.0, math.nan, math.inf])
_ZETA_Q = _range_elements(0.0, 64.0, [0.0, -0.5, -3.0, 1.0, math.nan, math.inf])
_GAMMA_CASES = _ranged_binary_cases(_GAMMA_A, _GAMMA_X)


def _special_binary_row(name, fn, differentiable, cases):
    return LaxSpec(name, fn, cases, FLOATING, differentiable, _ITERATIVE,
                   errors=binary_errors(FLOATING))


BINARY_ROWS += [
    _special_binary_row("igamma", lax.igamma, True, _GAMMA_CASES),
    _special_binary_row("igammac", lax.igammac, True, _GAMMA_CASES),
    _special_binary_row("igamma_grad_a", lax.igamma_grad_a, True, _GAMMA_CASES),
    _special_binary_row("random_gamma_grad", lax.random_gamma_grad, False, _GAMMA_CASES),
    _special_binary_row("zeta", lax.zeta, True, _ranged_binary_cases(_ZETA_S, _ZETA_Q)),
]

OTHER_ELEMENTWISE_ROWS = [
    LaxSpec("select_n", lax.select_n, select_n_cases, ALL, True,
            binds=lambda c: len(c.operands) > 2,
            errors=(ErrorCase((A("float32", 2), A("int32", 2), A("int32", 2)), {},
                              ("float32[2]",)),
                    ErrorCase((A("bool", 3), A("int32", 2), A("int32", 2)), {},
                              ("bool[3]", "int32[2]")))),
    LaxSpec("clamp", lax.clamp, clamp_cases, REAL, True,
            errors=(ErrorCase((A("float32"), A("float64", 2), A("float32")), {},
                              ("float32[]", "float64[2]")),
                    ErrorCase((A("float32", 3), A("float32", 2), A("float32")), {},
                              ("float32[3]", "float32[2]")))),
]

_GATHER_ERRORS = (ErrorCase((A("float32", 4, 2), A("float32", 3)), {"batch_dims": 0},
                            ("float32[3]",)),
                  ErrorCase((A("float32", 4, 2), A("int32", 3, 5)), {"batch_dims": 1},
                            ("float32[4, 2]", "int32[3, 5]")))


def _scatter_errors():
    return (ErrorCase((A("float32", 4, 2), A("int32", 3), A("float32", 3)), {"batch_dims": 0},
                      ("(3, 2)", "float32[3]")),
            ErrorCase((A("float32", 4), A("int32", 3), A("float64", 3)), {"batch_dims": 0},
                      ("float32", "float64")),
            ErrorCase((A("float32", 4), A("float32", 3), A("float32", 3)), {"batch_dims": 0},
                      ("float32[3]",)))


INDEXING_ROWS = [
    LaxSpec("gather", lax.gather, gather_cases, ALL, True, errors=_GATHER_ERRORS),
    LaxSpec("scatter", lax.scatter, scatter_cases(), ALL, True, errors=_scatter_errors()),
    LaxSpec("scatter-add", lax.scatter_add, scatter_cases("dyadic"), NUMERIC_C, True,
            errors=_scatter_errors()),
    LaxSpec("scatter-mul", lax.scatter_mul, scatter_cases("unit"), NUMERIC_C, True, ulps(64),
            errors=_scatter_errors()),
    LaxSpec("scatter-min", lax.scatter_min, scatter_cases(), REAL, True,
            errors=_scatter_errors()),
    LaxSpec("scatter-max", lax.scatter_max, scatter_cases(), REAL, True,
            errors=_scatter_errors()),
]

# ---------------------------------------------------------------------------------------------
# Decompositions (fnx.lax.linalg): well-conditioned inputs, sign alignment
# ---------------------------------------------------------------------------------------------
# The values come from numpy's generator seeded by hypothesis (a matrix with a prescribed
# spectrum is not a sum of independently drawn elements): symmetric positive definite
# Q diag(d) Q^T with d in [1, 10], spectra with gaps >= 1 (eigen / singular vectors are then
# well defined, to ~eps |A| / gap), triangular matrices with diagonals of magnitude in [1, 2].
# Shapes: matrices up to 4 x 4 (0 x 0, 1 x 1, tall and wide included) under 0-2 batch axes.

# matrix sides: 0 and 1 sometimes, mostly 2..4
_SIDE = st.sampled_from([2, 3, 4, 0, 1, 2, 3, 4])
LINALG_TOL = {dtypes.float32: (2e-4, 2e-4), dtypes.float64: (1e-10, 1e-10),
              dtypes.complex64: (2e-4, 2e-4), dtypes.complex128: (1e-10, 1e-10)}
# eig of a non-normal matrix (eigenvector basis of condition number up to ~6): looser
EIG_TOL = {dtypes.complex64: (2e-3, 2e-3), dtypes.complex128: (1e-9, 1e-9)}


def _is_complex(dtype) -> bool:
    return np.dtype(dtype).kind == "c"


def _gaussian(rng, shape, cplx: bool):
    """Standard normal values, complex (both parts) when ``cplx``."""
    x = rng.standard_normal(shape)
    return x + 1j * rng.standard_normal(shape) if cplx else x


def _mh(x):
    return np.conj(np.swapaxes(x, -1, -2))


@st.composite
def _matrix_layout(draw, rows, cols):
    """(batch shape, numpy Generator): ``rows`` x ``cols`` matrices under 0-2 batch axes, at
    most MAX_SIZE elements in all (an empty batch included)."""
    batch = draw(shapes(0, 2, min_side=1, max_side=3))
    while batch and math.prod(batch) * max(rows * cols, 1) > MAX_SIZE:
        batch = batch[1:]
    if draw(st.integers(0, 9), label="empty batch") == 9:  # (0: the simplest example)
        batch = (0,) + batch
    return batch, np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1), label="seed"))


def _stack(batch, make, shape, cplx: bool = False):
    """``make()`` for every batch index, stacked: float64 (complex128 when ``cplx``) of
    ``batch + shape``."""
    out = np.empty(tuple(batch) + tuple(shape), np.complex128 if cplx else np.float64)
    for idx in np.ndindex(*batch):
        out[idx] = make()
    return out


@st.composite
def _linalg_operand(draw, value: np.ndarray, dtype):
    """A float64 value as an fnx operand of ``dtype`` (maybe a strided view, maybe weak)."""
    value = np.array(value.astype(dtype))
    weak = np.dtype(dtype) == np.float32 and draw(st.integers(0, 4)) == 0
    return Array(draw(strided_view(value)), bool(weak))


def orthonormal(rng, m, k, cplx: bool = False):
    """An m x k matrix with orthonormal (``cplx``: unitary) columns (k <= m), Haar-like."""
    q, r = np.linalg.qr(_gaussian(rng, (m, m), cplx))
    d = np.diag(r)
    return (q * np.where(d == 0, 1.0, d / np.where(d == 0, 1.0, np.abs(d))))[:, :k]


def separated(rng, k, lo, gap):
    """k values >= lo, shuffled, consecutive ones ``gap`` +- 20% apart."""
    return rng.permutation(lo + gap * np.arange(k) + rng.uniform(-0.2, 0.2, k) * gap)


def spd_matrix(rng, n, lo=1.0, hi=10.0, cplx: bool = False):
    """Symmetric (``cplx``: Hermitian) positive definite, eigenvalues in [lo, hi]."""
    q = orthonormal(rng, n, n, cplx)
    a = (q * rng.uniform(lo, hi, n)) @ _mh(q)
    return (a + _mh(a)) / 2


def conditioned_matrix(rng, m, n, cplx: bool = False):
    """U diag(s) V^H with singular values s ~ 1, 2.2, 3.4, 4.6 (condition number <= ~6, gaps
    >= ~1): well-posed LU, QR and SVD."""
    k = min(m, n)
    return (orthonormal(rng, m, k, cplx) * separated(rng, k, 1.0, 1.2)) \
        @ _mh(orthonormal(rng, n, k, cplx))


def _with_junk(rng, a, keep_lower: bool, strict: bool = True):
    """``a`` with the triangle a decomposition does not read replaced by junk (half the
    time), so an implementation that reads it differs from the reference (complex ``a``:
    junk imaginary parts on the diagonal too, which a Hermitian decomposition ignores)."""
    n = a.shape[-1]
    if n == 0 or rng.random() < 0.5:
        return a
    junk = rng.uniform(-100, 100, a.shape)
    if np.iscomplexobj(a):
        a = a + 1j * np.diag(rng.uniform(-100, 100, n))
        junk = junk + 1j * rng.uniform(-100, 100, a.shape)
    unread = np.triu(np.ones((n, n), bool), 1 if strict else 0)
    if not keep_lower:
        unread = unread.T
    return np.where(unread, junk, a)


def cholesky_cases(dtype):
    """Positive definite matrices (the upper triangle junk half the time); one case in eight
    has a negative eigenvalue, whose factor is all NaN.  Complex: Hermitian."""
    cplx = _is_complex(dtype)

    @st.composite
    def case(draw):
        n = draw(_SIDE)
        batch, rng = draw(_matrix_layout(n, n))
        indefinite = draw(st.integers(0, 7), label="indefinite") == 7

        def make():
            a = spd_matrix(rng, n, cplx=cplx)
            if indefinite and n:
                q = orthonormal(rng, n, n, cplx)
                d = rng.uniform(1, 10, n)
                d[rng.integers(n)] *= -1
                a = (q * d) @ _mh(q)
                a = (a + _mh(a)) / 2
            return _with_junk(rng, a, keep_lower=True)
        x = draw(_linalg_operand(_stack(batch, make, (n, n), cplx), dtype))
        return LaxCase((x,), {})
    return case()


def triangular_solve_cases(dtype):
    """Every side / triangle / transpose / unit-diagonal combination; the triangle's diagonal
    has magnitudes in [1, 2] and off-diagonal entries in [-0.5, 0.5] (a well-conditioned
    system); the unread part (and the diagonal when unit) is junk.  Complex: random phases
    on the diagonal, complex entries elsewhere, and op(a) = a^H drawn too."""
    cplx = _is_complex(dtype)

    @st.composite
    def case(draw):
        params = {k: draw(st.booleans(), label=k)
                  for k in ("left_side", "lower", "transpose_a", "unit_diagonal")}
        # a^H (the primitive conjugates only with a transpose, and only complex matrices)
        params["conjugate_a"] = bool(np.dtype(dtype).kind == "c" and params["transpose_a"]
                                     and draw(st.booleans(), label="conjugate_a"))
        n, k = draw(_SIDE), draw(st.sampled_from([1, 2, 3, 0]))
        batch, rng = draw(_matrix_layout(n, n + k))

        def uniform(lo, hi, shape):
            x = rng.uniform(lo, hi, shape)
            return x + 1j * rng.uniform(lo, hi, shape) if cplx else x

        def make_a():
            a = uniform(-0.5, 0.5, (n, n))
            phases = np.exp(2j * np.pi * rng.random(n)) if cplx else rng.choice([-1.0, 1.0], n)
            a[np.diag_indices(n)] = rng.uniform(1, 2, n) * phases
            read = np.tri(n, dtype=bool) if params["lower"] else np.tri(n, dtype=bool).T
            if params["unit_diagonal"]:
                read &= ~np.eye(n, dtype=bool)
            return np.where(read, a, uniform(-100, 100, (n, n)))
        b_shape = (n, k) if params["left_side"] else (k, n)
        a = draw(_linalg_operand(_stack(batch, make_a, (n, n), cplx), dtype))
        b = draw(_linalg_operand(uniform(-2, 2, tuple(batch) + b_shape), dtype))
        return LaxCase((a, b), params)
    return case()


def _general_cases(param_names, jvp_only=None):
    """Well-conditioned m x n matrices (m, n in 0..4) with boolean params; ``jvp_only``:
    (m, n, params) -> bool keeps only the cases a derivative rule supports (for the gradient
    tests)."""
    def build(dtype):
        @st.composite
        def case(draw):
            m, n = draw(_SIDE), draw(_SIDE)
            params = {k: draw(st.booleans(), label=k) for k in param_names}
            if jvp_only is not None and not jvp_only(m, n, params):
                m, n = max(m, n), min(m, n)  # tall (and square when full matrices)
                if not jvp_only(m, n, params):
                    n = m
            batch, rng = draw(_matrix_layout(m, n))
            cplx = _is_complex(dtype)
            x = _stack(batch, lambda: conditioned_matrix(rng, m, n, cplx), (m, n), cplx)
            return LaxCase((draw(_linalg_operand(x, dtype)),), params)
        return case()
    return build


def qr_jvp_supported(m, n, params):
    return m >= n and (m == n or not params["full_matrices"])


def svd_jvp_supported(m, n, params):
    return m == n or not (params["full_matrices"] and params["compute_uv"])


lu_cases = _general_cases(())
qr_cases = _general_cases(("full_matrices",))
svd_cases = _general_cases(("full_matrices", "compute_uv"))
qr_jvp_cases = _general_cases(("full_matrices",), qr_jvp_supported)
svd_jvp_cases = _general_cases(("full_matrices", "compute_uv"), svd_jvp_supported)


def eigh_cases(dtype):
    """Q diag(w) Q^H with eigenvalues in [-7, 7] at least ~1.6 apart (the unread triangle
    junk half the time)."""
    cplx = _is_complex(dtype)

    @st.composite
    def case(draw):
        n = draw(_SIDE)
        lower = draw(st.booleans(), label="lower")
        batch, rng = draw(_matrix_layout(n, n))

        def make():
            q = orthonormal(rng, n, n, cplx)
            a = (q * separated(rng, n, -7.0, 4.0)) @ _mh(q)
            return _with_junk(rng, (a + _mh(a)) / 2, keep_lower=lower)
        x = draw(_linalg_operand(_stack(batch, make, (n, n), cplx), dtype))
        return LaxCase((x,), {"lower": lower})
    return case()


def _flip_signs(x, signs, axis):
    """``x`` with its vectors along ``axis`` (-1: columns, -2: rows) multiplied by ``signs``
    (..., k) (complex: unit phases), for the first k of them."""
    k = signs.shape[-1]
    x = np.array(x, copy=True)
    if axis == -1:
        x[..., :k] *= signs[..., None, :]
    else:
        x[..., :k, :] *= signs[..., :, None]
    return x


def _column_signs(actual, expected, k):
    """Per column j < k the factor that best matches actual's column j to expected's: +-1,
    or for complex vectors (unique only up to a phase) the unit phase conj(a) . e / |...|."""
    with np.errstate(invalid="ignore", divide="ignore"):
        dots = np.sum(np.conj(actual[..., :, :k]) * expected[..., :, :k], axis=-2)
        if not np.iscomplexobj(actual):
            return np.where(dots < 0, -1.0, 1.0).astype(actual.dtype)
        phases = dots / np.abs(dots)
    return np.where(np.isfinite(phases), phases, 1.0).astype(actual.dtype)


def _rotate_completion(actual, expected, k):
    """Columns k.. of ``actual`` (an orthonormal completion, unique only up to a rotation when
    there are several) rotated onto expected's by orthogonal (unitary) Procrustes: the
    rotation R minimising |A R - E| is W Z^H for A^H E = W S Z^H.  Only columns that span the
    same space as expected's become equal to them."""
    a, e = actual[..., :, k:], expected[..., :, k:]
    if a.shape[-1] == 0 or a.size == 0 or not (np.all(np.isfinite(a)) and
                                               np.all(np.isfinite(e))):
        return actual
    w, _, zt = np.linalg.svd(_mh(a).astype(np.complex128 if np.iscomplexobj(a) else np.float64)
                             @ e)
    out = np.array(actual, copy=True)
    out[..., :, k:] = (a @ (w @ zt)).astype(actual.dtype)
    return out


def align_eigh(actual, expected):
    v, w = actual
    return [_flip_signs(v, _column_signs(v, expected[0], v.shape[-1]), -1), w]


def align_qr(actual, expected):
    """q's column j times a phase, r's row j times its conjugate (q_j r_j is unique)."""
    q, r = actual
    k = min(r.shape[-2], r.shape[-1])
    signs = _column_signs(q, expected[0], k)
    q = _rotate_completion(_flip_signs(q, signs, -1), expected[0], k)
    return [q, _flip_signs(r, np.conj(signs), -2)]


def align_svd(actual, expected):
    """u's column j and vt's row j flip (turn by conjugate phases) together (u_j s_j v_j^H is
    unique)."""
    if len(actual) == 1:
        return actual
    s, u, vt = actual
    k = s.shape[-1]
    signs = _column_signs(u, expected[1], k)
    u = _rotate_completion(_flip_signs(u, signs, -1), expected[1], k)
    v = _rotate_completion(_mh(_flip_signs(vt, np.conj(signs), -2)), _mh(expected[2]), k)
    return [s, u, _mh(v)]


def eig_cases(dtype):
    """X D X^-1 with X well conditioned (condition number <= ~6) and eigenvalues at least ~1
    apart: real dtypes mix real eigenvalues and conjugate pairs a +- ib (2 x 2 blocks
    [[a, b], [-b, a]], b in [1, 2]); complex ones draw complex eigenvalues."""
    cplx = _is_complex(dtype)

    @st.composite
    def case(draw):
        n = draw(_SIDE)
        vectors = draw(st.booleans(), label="compute_right_eigenvectors")
        batch, rng = draw(_matrix_layout(n, n))

        def make():
            d = np.diag(separated(rng, n, -7.0, 4.0)).astype(np.complex128 if cplx else float)
            if cplx:
                d += 1j * np.diag(rng.uniform(-2, 2, n))
            else:   # a conjugate pair in every other 2 x 2 block
                for i in range(0, n - 1, 4):
                    b = rng.uniform(1, 2)
                    d[i, i + 1], d[i + 1, i], d[i + 1, i + 1] = b, -b, d[i, i]
            x = conditioned_matrix(rng, n, n, cplx)
            return x @ d @ np.linalg.inv(x) if n else d
        x = draw(_linalg_operand(_stack(batch, make, (n, n), cplx), dtype))
        return LaxCase((x,), {"compute_left_eigenvectors": False,
                              "compute_right_eigenvectors": vectors})
    return case()


def align_eig(actual, expected):
    """Eigenvalues in no particular order: actual's reordered to expected's (each the nearest
    unused one), eigenvectors with them; a vector's phase is fixed by its normalization, but
    a near tie between its largest components may pick another: phases aligned too."""
    w = actual[0]
    order = np.zeros(w.shape, np.int64)
    for idx in np.ndindex(*w.shape[:-1]):
        free = list(range(w.shape[-1]))
        for j, e in enumerate(expected[0][idx]):
            dist = [abs(complex(w[idx + (i,)]) - complex(e)) for i in free]
            order[idx + (j,)] = free.pop(int(np.nanargmin(dist)) if np.any(np.isfinite(dist))
                                         else 0)
    out = [np.take_along_axis(w, order, axis=-1)]
    if len(actual) == 2:
        v = np.take_along_axis(actual[1], order[..., None, :], axis=-1)
        out.append(_flip_signs(v, _column_signs(v, expected[1], v.shape[-1]), -1))
    return out


def _svd_call(fn, case):
    """fnx.lax.linalg.svd returns (u, s, vt); the primitive [s, u, vt]."""
    out = fn(*case.operands, **case.params)
    if not case.params["compute_uv"]:
        return [out]
    u, s, vt = out
    return [s, u, vt]


_TRI = {"left_side": True, "lower": True, "transpose_a": False, "conjugate_a": False,
        "unit_diagonal": False}


def _matrix_errors(params, square):
    """A non-inexact operand and a vector; a non-square matrix where squares are needed."""
    errors = [ErrorCase((A("int32", 3, 3),), params, ("int32[3, 3]",)),
              ErrorCase((A("float32", 3),), params, ("float32[3]",))]
    if square:
        errors.append(ErrorCase((A("float32", 2, 3),), params, ("float32[2, 3]", "square")))
    return tuple(errors)


LINALG_ROWS = [
    LaxSpec("dot_general", lax.dot_general, dot_general_cases, DOT_DTYPES + COMPLEX, True,
            errors=(ErrorCase((A("float32", 2, 3), A("float32", 4, 5)),
                              {"dimension_numbers": (((1,), (0,)), ((), ())),
                               "preferred_element_type": None},
                              ("float32[2, 3]", "float32[4, 5]")),
                    ErrorCase((A("bool", 2, 3), A("bool", 3, 5)),
                              {"dimension_numbers": (((1,), (0,)), ((), ())),
                               "preferred_element_type": None}, ("bool[2, 3]",)))),
    LaxSpec("cholesky", la.cholesky, cholesky_cases, INEXACT, True, LINALG_TOL,
            call=lambda f, c: f(*c.operands, symmetrize_input=False),
            errors=_matrix_errors({}, square=True)),
    LaxSpec("triangular_solve", la.triangular_solve, triangular_solve_cases, INEXACT, True,
            LINALG_TOL,
            errors=(ErrorCase((A("float32", 3, 3), A("float32", 2, 2)), _TRI,
                              ("float32[3, 3]", "float32[2, 2]")),
                    ErrorCase((A("float32", 2, 2), A("float64", 2, 2)), _TRI,
                              ("float32", "float64")),
                    ErrorCase((A("int32", 2, 2), A("int32", 2, 2)), _TRI, ("int32",)))),
    LaxSpec("lu", la.lu, lu_cases, INEXACT, True, LINALG_TOL,
            errors=_matrix_errors({}, square=False)),
    LaxSpec("qr", la.qr, qr_cases, INEXACT, True, LINALG_TOL, align=align_qr,
            errors=_matrix_errors({"full_matrices": True}, square=False)),
    LaxSpec("eigh", la.eigh, eigh_cases, INEXACT, True, LINALG_TOL, align=align_eigh,
            call=lambda f, c: f(*c.operands, lower=c.params["lower"], symmetrize_input=False),
            errors=_matrix_errors({"lower": True}, square=True)),
    LaxSpec("svd", la.svd, svd_cases, INEXACT, True, LINALG_TOL, call=_svd_call,
            align=align_svd,
            errors=_matrix_errors({"full_matrices": True, "compute_uv": True},
                                  square=False)),
    LaxSpec("eig", la.eig, eig_cases, INEXACT, True, EIG_TOL, align=align_eig,
            errors=_matrix_errors({"compute_left_eigenvectors": False,
                                   "compute_right_eigenvectors": True}, square=True)),
]

# Primitives the CUDA backend has no kernels for (issue 18 adds the decompositions on the CPU
# only): the CUDA tests skip or leave out their rows, naming this table, and
# tests/test_cuda_launch_plan.py checks the kernels are still missing (remove a name here when
# its kernel lands).
NO_CUDA_KERNELS = {name: f"the CUDA backend has no {name} kernel yet (issue 18: CPU only)"
                   for name in ("cholesky", "triangular_solve", "lu", "qr", "eigh", "svd",
                                "eig")}
NO_CUDA_KERNELS["fft"] = "the CUDA backend has no fft kernel yet (issue 19: CPU only)"


_CONV_PARAMS = {"window_strides": (1, 1), "padding": ((0, 0), (0, 0)),
                "lhs_dilation": (1, 1), "rhs_dilation": (1, 1), "feature_group_count": 1}
_WINDOW_PARAMS = {"window_dimensions": (2,), "window_strides": (1,), "padding": ((0, 0),)}

CONV_ROWS = [
    LaxSpec("conv_general_dilated", lax.conv_general_dilated, conv_cases, DOT_DTYPES, True,
            call=_conv_call,
            errors=(ErrorCase((A("float32", 1, 5, 5, 3), A("float32", 3, 3, 2, 4)), _CONV_PARAMS,
                              ("float32[1, 5, 5, 3]", "float32[3, 3, 2, 4]")),
                    ErrorCase((A("float32", 1, 5, 5, 3), A("float64", 3, 3, 3, 4)), _CONV_PARAMS,
                              ("float32", "float64")),
                    ErrorCase((A("float32", 5, 5, 3), A("float32", 3, 3, 3, 4)), _CONV_PARAMS,
                              ("float32[5, 5, 3]",)))),
    LaxSpec("reduce_window_sum", lax.reduce_window, reduce_window_cases("dyadic"), NUMERIC, True,
            call=_reduce_window_call("add"),
            errors=(ErrorCase((A("float32", 3, 3),), _WINDOW_PARAMS, ("float32[3, 3]",)),
                    ErrorCase((A("bool", 3),), _WINDOW_PARAMS, ("bool",)))),
    LaxSpec("reduce_window_max", lax.reduce_window, reduce_window_cases("general"), NUMERIC,
            True, call=_reduce_window_call("max"),
            errors=(ErrorCase((A("float32", 3, 3),), _WINDOW_PARAMS, ("float32[3, 3]",)),
                    ErrorCase((A("bool", 3),), _WINDOW_PARAMS, ("bool",)))),
    LaxSpec("select_and_gather_add", lax.select_and_gather_add, select_window_cases(False),
            FLOATING, True, call=_select_window_call,
            binds=lambda c: all(np.size(x) for x in c.operands),
            errors=(ErrorCase((A("float32", 4), A("float32", 3)), _WINDOW_PARAMS,
                              ("(4,)", "(3,)")),
                    ErrorCase((A("int32", 3), A("int32", 3)), _WINDOW_PARAMS, ("int32",)))),
    LaxSpec("select_and_scatter_add", lax.select_and_scatter_add, select_window_cases(True),
            FLOATING, True, call=_select_window_call,
            binds=lambda c: all(np.size(x) for x in c.operands),
            errors=(ErrorCase((A("float32", 3), A("float32", 3)), _WINDOW_PARAMS,
                              ("(3,)", "(2,)")),
                    ErrorCase((A("float32", 2), A("float64", 3)), _WINDOW_PARAMS,
                              ("float32", "float64")))),
]


def _reduce_row(name, fn, accepted, differentiable, kind="general", tol=EXACT):
    return LaxSpec(name, fn, reduce_cases(kind), accepted, differentiable, tol,
                   binds=lambda c: len(c.params["axes"]) > 0,
                   errors=reduce_errors(accepted))


def _cumulative_row(name, fn, differentiable, kind="general", tol=EXACT, accepted=NUMERIC):
    return LaxSpec(name, fn, cumulative_cases(kind), accepted, differentiable, tol,
                   errors=(ErrorCase((A("bool", 3),), {"axis": 0, "reverse": False}, ("bool",)),
                           ErrorCase((A("float32", 3),), {"axis": 1, "reverse": False},
                                     ("float32[3]",))))


def _argreduce_row(name, fn):
    return LaxSpec(name, fn, argreduce_cases, ALL, False,
                   call=lambda f, c: f(c.operands[0], c.params["axes"][0],
                                       c.params["index_dtype"]),
                   errors=(ErrorCase((A("float32", 0, 3),), {"axes": (0,),
                                                            "index_dtype": dtypes.int32},
                                     ("float32[0, 3]",)),
                           ErrorCase((A("float32", 2, 3),), {"axes": (0,),
                                                            "index_dtype": dtypes.int8},
                                     ("int8",))))


REDUCTION_ROWS = [
    _reduce_row("reduce_sum", lax.reduce_sum, NUMERIC_C, True, "dyadic"),
    _reduce_row("reduce_prod", lax.reduce_prod, NUMERIC_C, True, "unit", ulps(64)),
    _reduce_row("reduce_max", lax.reduce_max, ALL, True),
    _reduce_row("reduce_min", lax.reduce_min, ALL, True),
    _reduce_row("reduce_and", lax.reduce_and, BOOL_OR_INT, False),
    _reduce_row("reduce_or", lax.reduce_or, BOOL_OR_INT, False),
    _argreduce_row("argmax", lax.argmax),
    _argreduce_row("argmin", lax.argmin),
    _cumulative_row("cumsum", lax.cumsum, True, "dyadic", accepted=NUMERIC_C),
    _cumulative_row("cumprod", lax.cumprod, True, "unit", ulps(64), accepted=NUMERIC_C),
    _cumulative_row("cummax", lax.cummax, True),
    _cumulative_row("cummin", lax.cummin, True),
    LaxSpec("sort", lax.sort, sort_cases, ALL, True, call=_sort_call,
            errors=(ErrorCase((A("float32", 2), A("int32", 3)),
                              {"dimension": 0, "is_stable": True, "num_keys": 1},
                              ("float32[2]", "int32[3]")),
                    ErrorCase((A("float32"),), {"dimension": 0, "is_stable": True,
                                                "num_keys": 1}, ("float32[]",)))),
]

SHAPE_ROWS = [
    LaxSpec("broadcast_in_dim", lax.broadcast_in_dim, broadcast_in_dim_cases, ALL, True,
            binds=lambda c: not (c.operands[0].shape == c.params["shape"] and
                                 c.params["broadcast_dimensions"]
                                 == tuple(range(len(c.params["shape"])))),
            errors=(ErrorCase((A("float32", 2),), {"shape": (3,), "broadcast_dimensions": (0,)},
                              ("float32[2]", "(3,)")),)),
    LaxSpec("reshape", lax.reshape, reshape_cases, ALL, True,
            binds=lambda c: c.operands[0].shape != c.params["new_sizes"],
            errors=(ErrorCase((A("float32", 2, 3),), {"new_sizes": (4,)},
                              ("(2, 3)", "(4,)")),)),
    LaxSpec("transpose", lax.transpose, transpose_cases, ALL, True,
            binds=lambda c: c.params["permutation"] != tuple(range(c.operands[0].ndim)),
            errors=(ErrorCase((A("float32", 2, 3),), {"permutation": (0, 0)},
                              ("(0, 0)", "float32[2, 3]")),)),
    LaxSpec("squeeze", lax.squeeze, squeeze_cases, ALL, True,
            errors=(ErrorCase((A("float32", 2, 1),), {"dimensions": (0,)},
                              ("float32[2, 1]",)),
                    ErrorCase((A("float32", 1),), {"dimensions": (3,)},
                              ("float32[1]",)))),
    LaxSpec("expand_dims", lax.expand_dims, expand_dims_cases, ALL, True,
            errors=(ErrorCase((A("float32", 2),), {"dimensions": (5,)},
                              ("float32[2]", "(5,)")),)),
    LaxSpec("rev", lax.rev, rev_cases, ALL, True,
            binds=lambda c: len(c.params["dimensions"]) > 0,
            errors=(ErrorCase((A("float32", 2),), {"dimensions": (3,)},
                              ("float32[2]", "(3,)")),)),
    LaxSpec("slice", lax.slice, slice_cases, ALL, True,
            binds=lambda c: not (c.params["start_indices"] == (0,) * c.operands[0].ndim and
                                 c.params["limit_indices"] == c.operands[0].shape and
                                 c.params["strides"] == (1,) * c.operands[0].ndim),
            errors=(ErrorCase((A("float32", 2, 3),), {"start_indices": (0,),
                                                      "limit_indices": (1,), "strides": (1,)},
                              ("float32[2, 3]",)),)),
    LaxSpec("dynamic_slice", lax.dynamic_slice, dynamic_slice_cases, ALL, True,
            call=_dynamic_slice_call,
            errors=(ErrorCase((A("float32", 4), A("float32")), {"slice_sizes": (2,)},
                              ("float32[]",)),
                    ErrorCase((A("float32", 4), A("int32")), {"slice_sizes": (5,)},
                              ("(5,)", "float32[4]")))),
    LaxSpec("dynamic_update_slice", lax.dynamic_update_slice, dynamic_update_slice_cases, ALL,
            True, call=_dynamic_update_slice_call,
            errors=(ErrorCase((A("float32", 4), A("float32", 5), A("int32")), {},
                              ("float32[4]", "float32[5]")),
                    ErrorCase((A("float32", 4), A("float64", 2), A("int32")), {},
                              ("float64",)))),
    LaxSpec("concatenate", lax.concatenate, concatenate_cases, ALL, True,
            call=_concatenate_call,
            errors=(ErrorCase((A("float32", 2, 3), A("float32", 2, 4)), {"dimension": 0},
                              ("float32[2, 3]", "float32[2, 4]")),
                    ErrorCase((A("float32", 2), A("int32", 2)), {"dimension": 0},
                              ("float32[2]", "int32[2]")))),
    LaxSpec("pad", lax.pad, pad_cases, ALL, True,
            errors=(ErrorCase((A("float32", 2), A("float32", 2)),
                              {"padding_config": ((0, 0, 0),)}, ("float32[2]",)),
                    ErrorCase((A("float32", 2), A("float32")),
                              {"padding_config": ((-3, 0, 0),)}, ("float32[2]",)))),
    LaxSpec("iota", lax.broadcasted_iota, iota_cases, NUMERIC, False,
            call=lambda f, c: f(c.params["dtype"], c.params["shape"], c.params["dimension"]),
            errors=(ErrorCase((), {"dtype": dtypes.bool_, "shape": (3,), "dimension": 0},
                              ("bool",)),
                    ErrorCase((), {"dtype": dtypes.int32, "shape": (3,), "dimension": 1},
                              ("(3,)",)))),
]

def fft_cases(dtype):
    """A real dtype draws RFFT; a complex one FFT, IFFT or IRFFT, over 1-3 trailing axes of
    length 1..6 (any radix path and the generic one).  Finite values of moderate size only:
    where an inf or NaN spreads, and whether sums near the largest float overflow, depends on
    a transform's butterfly order, not on a specification."""
    FftType = lax.FftType
    width = 32 if dtypes.real_of(dtype) == dtypes.float32 else 64
    part = st.floats(-100, 100, width=width)
    elements = part if np.dtype(dtype).kind == "f" else st.builds(complex, part, part)

    @st.composite
    def case(draw):
        real = np.dtype(dtype).kind == "f"
        fft_type = FftType.RFFT if real else draw(st.sampled_from(
            [FftType.FFT, FftType.IFFT, FftType.IRFFT]))
        lengths = tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=3)))
        batch = draw(shapes(max_rank=2, max_side=3))
        trailing = lengths
        if fft_type == FftType.IRFFT:
            trailing = lengths[:-1] + (lengths[-1] // 2 + 1,)
        x = draw(arrays(dtype, batch + trailing, elements=elements))
        return LaxCase((x,), {"fft_type": fft_type, "fft_lengths": lengths})
    return case()


# FFTs are accurate to a few ulps of the transform's magnitude, not of each element: with
# |x| <= 100 and <= 216 points per transform, an absolute tolerance of that sum's size
_FFT_TOL = {dt: (64 * float(np.finfo(dt).eps), 2 ** 16 * float(np.finfo(dt).eps))
            for dt in INEXACT}

FFT_ROWS = [
    LaxSpec("fft", lax.fft, fft_cases, INEXACT, True, _FFT_TOL,
            errors=(ErrorCase((A("complex64", 4),), {"fft_type": lax.FftType.RFFT,
                                                     "fft_lengths": (4,)}, ("complex64",)),
                    ErrorCase((A("complex64", 4),), {"fft_type": lax.FftType.FFT,
                                                     "fft_lengths": (5,)}, ("complex64[4]",)))),
]

SPECS: list[LaxSpec] = (UNARY_ROWS + BINARY_ROWS + OTHER_ELEMENTWISE_ROWS + INDEXING_ROWS
                        + LINALG_ROWS + CONV_ROWS + REDUCTION_ROWS + SHAPE_ROWS + FFT_ROWS)
SPEC_BY_NAME: dict[str, LaxSpec] = {row.name: row for row in SPECS}
assert len(SPEC_BY_NAME) == len(SPECS), "duplicate spec rows"
