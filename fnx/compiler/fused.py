"""The fused primitives of generated code: one writer per primitive returns the C name of its
value at a multi-index (codegen_c.StepWriter.compute runs them).  A writer is a generator: it
asks for an operand at an index with ``name = yield operand, index`` instead of calling the
writer of the operand's producer, so the step writer evaluates an expression of any depth with
an explicit stack (a fused chain is as long as the program).  Elementwise primitives
become one ``const T tN = ...;`` statement each; movement primitives only rewrite the index
(a transpose permutes it, a broadcast drops dimensions, a slice offsets it, a gather loads it),
so they cost nothing.  Scalar semantics are ``fnx_scalar.h``'s ``fnx_s_<op>_<dtype>`` (the
same header as the eager kernels, so jitted and eager results agree bit for bit); the CUDA
code generator reuses these writers with fnx_cuda.cuh.

An elementwise primitive (``fusion = Fusion.ELEMENTWISE``) needs no writer of its own: by
default it is the call ``fnx_s_<name>_<sfx>(operands...)`` of its scalar function.  Writers
are registered, keyed by the ``Primitive``, only where the C differs; every movement primitive
has one.
"""
from __future__ import annotations

import math

from .. import dtypes
from ..core import ALL_PRIMITIVES, Fusion
from ..lax import elementwise as ew
from ..lax import shape as lax_shape
from ..lax.indexing import gather_p
from .cexpr import C_TYPE, SFX, Flat, c_literal, offset_expr, strides, tmp_type

_FUSED: dict = {}     # Primitive -> writer, where the generic scalar call does not fit


def _fused(*prims):
    def register(fn):
        for p in prims:
            _FUSED[p] = fn
        return fn
    return register


def fused_writer(prim):
    """The writer of a fused primitive: its registered one, else the generic scalar call."""
    writer = _FUSED.get(prim)
    if writer is not None:
        return writer
    if prim.fusion != Fusion.ELEMENTWISE:
        raise NotImplementedError(f"no fused writer for {prim.name} (fusion={prim.fusion})")
    return _scalar_call


def _out_type(eqn) -> str:
    return tmp_type(eqn.out_binders[0].aval.dtype)


def _scalar_call(w, eqn, idx):
    """``fnx_s_<name>_<sfx>(operands...)``, the suffix of the first operand's dtype (the
    operands of an elementwise primitive share it)."""
    args = []
    for x in eqn.inputs:
        args.append((yield x, idx))
    sfx = SFX[eqn.inputs[0].aval.dtype]
    return w.tmp(_out_type(eqn), f"fnx_s_{eqn.primitive.name}_{sfx}({', '.join(args)})")


# Comparisons and bool logic as plain C on int temporaries (the header's functions return
# uint8_t: same values, see tmp_type).
_C_COMPARE = {ew.eq_p: "==", ew.ne_p: "!=", ew.lt_p: "<", ew.le_p: "<=", ew.gt_p: ">",
              ew.ge_p: ">="}
_C_BOOL_BITS = {ew.and_p: "&", ew.or_p: "|", ew.xor_p: "^"}


@_fused(*_C_COMPARE)
def _compare(w, eqn, idx):
    x, y = eqn.inputs
    if x.aval.dtype.kind == "c":  # structs: the header's functions
        return (yield from _scalar_call(w, eqn, idx))
    a = yield x, idx
    b = yield y, idx
    return w.tmp("int", f"({a} {_C_COMPARE[eqn.primitive]} {b})")


@_fused(*_C_BOOL_BITS)
def _bool_bits(w, eqn, idx):
    x, y = eqn.inputs
    if x.aval.dtype != dtypes.bool_:
        return (yield from _scalar_call(w, eqn, idx))
    a = yield x, idx
    b = yield y, idx
    return w.tmp("int", f"({a} {_C_BOOL_BITS[eqn.primitive]} {b})")


@_fused(ew.not_p)
def _not(w, eqn, idx):
    (x,) = eqn.inputs
    if x.aval.dtype != dtypes.bool_:
        return (yield from _scalar_call(w, eqn, idx))
    a = yield x, idx
    return w.tmp("int", f"({a} == 0)")


@_fused(ew.round_p)
def _round(w, eqn, idx):
    (x,) = eqn.inputs
    op = "round_even" if eqn.params["rounding_method"] == 1 else "round_away"
    a = yield x, idx
    return w.tmp(_out_type(eqn), f"fnx_s_{op}_{SFX[x.aval.dtype]}({a})")


@_fused(ew.integer_pow_p)
def _integer_pow(w, eqn, idx):
    """Floats: the repeated squaring of fnx_s_integer_pow unrolled for the constant exponent
    (the same multiplications in the same order, so the same bits), which gcc vectorizes;
    the library function's loop would not be.  Integers keep the function (it wraps)."""
    (x,) = eqn.inputs
    y = ew.kernel_exponent(eqn.params["y"], x.aval.dtype)  # fits a C int64 literal
    sfx, t = SFX[x.aval.dtype], _out_type(eqn)
    base = yield x, idx
    if x.aval.dtype.kind != "f":  # integers (wrap) and complex (numpy's own algorithm)
        return w.tmp(t, f"fnx_s_integer_pow_{sfx}({base}, {y}LL)")
    result, m = None, abs(y)
    while m:
        if m & 1:
            result = base if result is None else w.tmp(t, f"fnx_s_mul_{sfx}({result}, {base})")
        m >>= 1
        if m:
            base = w.tmp(t, f"fnx_s_mul_{sfx}({base}, {base})")
    if result is None:
        return c_literal(1, x.aval.dtype)
    return w.tmp(t, f"fnx_s_div_{sfx}(({t})1, {result})") if y < 0 else result


@_fused(ew.convert_element_type_p)
def _convert(w, eqn, idx):
    (x,) = eqn.inputs
    src, dst = x.aval.dtype, eqn.params["new_dtype"]
    a = yield x, idx
    if src == dst:
        return a
    if dst.kind == "c" or src.kind == "c":  # structs: the header's conversion
        return w.tmp(tmp_type(dst), f"fnx_s_convert_{SFX[src]}_{SFX[dst]}({a})")
    if src == dtypes.bool_:        # 0 / 1 in any dtype (the header's rule, on an int)
        return w.tmp(tmp_type(dst), f"({C_TYPE[dst]})({a})")
    if dst == dtypes.bool_:        # x != 0 (NaN is true), as the header
        return w.tmp("int", f"({a} != 0)")
    return w.tmp(C_TYPE[dst], f"fnx_s_convert_{SFX[src]}_{SFX[dst]}({a})")


@_fused(ew.bitcast_convert_type_p)
def _bitcast(w, eqn, idx):
    (x,) = eqn.inputs
    src, dst = x.aval.dtype, eqn.params["new_dtype"]
    a = yield x, idx
    if src == dst:
        return a
    return w.tmp(C_TYPE[dst], f"fnx_s_bitcast_{SFX[src]}_{SFX[dst]}({a})")


@_fused(ew.stop_gradient_p)
def _identity(w, eqn, idx):
    return (yield eqn.inputs[0], idx)


@_fused(ew.select_n_p)
def _select_n(w, eqn, idx):
    which, *cases = eqn.inputs
    vals = []
    for c in cases:
        vals.append((yield c, idx))
    p = yield which, idx
    t = _out_type(eqn)
    if which.aval.dtype == dtypes.bool_:   # an int predicate: a plain blend
        return w.tmp(t, f"({p} ? {vals[1]} : {vals[0]})")
    # an int32 `which` is clamped into [0, n) (select_n's rule)
    expr = vals[-1]
    for k in range(len(vals) - 2, -1, -1):
        expr = f"({p} <= {k} ? {vals[k]} : {expr})"
    return w.tmp(t, expr)


# -- movement: rewrite the index --------------------------------------------------------------

def _linear(shape, idx) -> str:
    return offset_expr(shape, idx)


@_fused(lax_shape.broadcast_in_dim_p)
def _broadcast_in_dim(w, eqn, idx):
    (x,) = eqn.inputs
    if x.aval.ndim == 0:
        return (yield x, ())
    dims = eqn.params["broadcast_dimensions"]
    return (yield x, tuple("0" if x.aval.shape[i] == 1 else idx[d] for i, d in enumerate(dims)))


@_fused(lax_shape.reshape_p)
def _reshape(w, eqn, idx):
    (x,) = eqn.inputs
    if isinstance(idx, Flat):
        return (yield x, idx)
    src = tuple(x.aval.shape)
    kept = [d for d in src if d != 1]
    out_shape = tuple(eqn.out_binders[0].aval.shape)
    if kept == [d for d in out_shape if d != 1]:
        # only unit dims inserted/removed: map the non-unit dims one to one
        it = iter(i for i, d in zip(idx, out_shape) if d != 1)
        return (yield x, tuple("0" if d == 1 else next(it) for d in src))
    groups = _reshape_groups(src, out_shape)
    if groups is None:
        groups = [(0, len(src), 0, len(out_shape))]
    sub = []
    for s0, s1, o0, o1 in groups:
        sub.extend(_split_index(w, src[s0:s1], out_shape[o0:o1], idx[o0:o1]))
    return (yield x, tuple(sub))


def _reshape_groups(src, out):
    """The smallest runs of adjacent dimensions that a reshape merges or splits as a whole:
    [(src_lo, src_hi, out_lo, out_hi)] with equal products, or None for a reshape with a
    zero-size dimension.  Each run's index maps on its own, so a reshape that only splits one
    dimension costs one division by a constant instead of a division/modulo per dimension of
    the whole linear offset (a phase interleave of 2M elements ran 8x slower that way)."""
    if 0 in src or 0 in out:
        return None
    groups, i, j = [], 0, 0
    while i < len(src) or j < len(out):
        i0, j0 = i, j
        ps = src[i] if i < len(src) else 1
        po = out[j] if j < len(out) else 1
        i, j = min(i + 1, len(src)), min(j + 1, len(out))
        while ps != po:
            if ps < po:
                ps, i = ps * src[i], i + 1
            else:
                po, j = po * out[j], j + 1
        groups.append((i0, i, j0, j))
    return groups


def _split_index(w, src, out, idx):
    """Source indices of one reshape group: the group's linear offset cut into ``src``'s
    dimensions (no modulo on the first, no division on the last)."""
    if len(src) == 1 and len(out) == 1:
        return [idx[0]]
    lin = w.tmp("int64_t", _linear(out, idx))
    sub = []
    for k, (s, d) in enumerate(zip(strides(src), src)):
        if d == 1:
            sub.append("0")
            continue
        e = lin if s == 1 else f"({lin}) / {s}"
        sub.append(e if all(x == 1 for x in src[:k]) else f"({e}) % {d}")
    return sub


@_fused(lax_shape.squeeze_p)
def _squeeze(w, eqn, idx):
    (x,) = eqn.inputs
    if isinstance(idx, Flat):
        return (yield x, idx)
    dims = set(eqn.params["dimensions"])
    it = iter(idx)
    return (yield x, tuple("0" if k in dims else next(it) for k in range(x.aval.ndim)))


@_fused(lax_shape.expand_dims_p)
def _expand_dims(w, eqn, idx):
    (x,) = eqn.inputs
    if isinstance(idx, Flat):
        return (yield x, idx)
    dims = set(eqn.params["dimensions"])
    return (yield x, tuple(i for k, i in enumerate(idx) if k not in dims))


@_fused(lax_shape.transpose_p)
def _transpose(w, eqn, idx):
    (x,) = eqn.inputs
    perm = eqn.params["permutation"]
    src = [None] * len(perm)
    for k, p in enumerate(perm):
        src[p] = idx[k]
    return (yield x, tuple(src))


@_fused(lax_shape.rev_p)
def _rev(w, eqn, idx):
    (x,) = eqn.inputs
    dims = set(eqn.params["dimensions"])
    return (yield x, tuple(f"({d - 1} - {w.index(i)})" if k in dims else i
                            for k, (i, d) in enumerate(zip(idx, x.aval.shape))))


@_fused(lax_shape.slice_p)
def _slice(w, eqn, idx):
    (x,) = eqn.inputs
    p = eqn.params
    strides = p["strides"] or (1,) * x.aval.ndim
    return (yield x, tuple(i if (lo == 0 and st == 1) else f"({lo} + ({w.index(i)})*{st})"
                            for i, lo, st in zip(idx, p["start_indices"], strides)))


def _clamped(i: str, hi: int) -> str:
    return f"({i} < 0 ? 0 : ({i} > {hi} ? {hi} : {i}))"


@_fused(lax_shape.pad_p)
def _pad(w, eqn, idx):
    x, pv = eqn.inputs
    fill = yield pv, ()
    if math.prod(x.aval.shape) == 0:
        return fill
    conds, src = [], []
    for i, d, (lo, _, interior) in zip(idx, x.aval.shape, eqn.params["padding_config"]):
        t = w.tmp("int64_t", f"({i}) - ({lo})")
        step = interior + 1
        q = t if step == 1 else w.tmp("int64_t", f"{t} >= 0 ? {t} / {step} : -1")
        ok = f"{t} >= 0 && {q} < {d}" + (f" && {t} % {step} == 0" if step > 1 else "")
        conds.append(f"({ok})")
        src.append(_clamped(q, d - 1))     # in bounds even where the pad value is taken
    inside = w.tmp("int", " && ".join(conds) or "1")
    val = yield x, tuple(src)
    return w.tmp(_out_type(eqn), f"{inside} ? {val} : {fill}")


@_fused(lax_shape.concatenate_p)
def _concatenate(w, eqn, idx):
    dim = eqn.params["dimension"]
    parts, start = [], 0
    for x in eqn.inputs:
        n = x.aval.shape[dim]
        if n:
            parts.append((start, n, x))
        start += n
    pos = w.index(idx[dim])
    expr = None
    for start, n, x in reversed(parts):
        local = _clamped(f"({pos}) - {start}", n - 1)
        v = yield x, tuple(local if k == dim else i for k, i in enumerate(idx))
        expr = v if expr is None else f"(({pos}) < {start + n} ? {v} : {expr})"
    return w.tmp(_out_type(eqn), expr)


@_fused(lax_shape.iota_p)
def _iota(w, eqn, idx):
    i = idx.name if isinstance(idx, Flat) else idx[eqn.params["dimension"]]
    return w.tmp(_out_type(eqn), f"({_out_type(eqn)})({i})")


def _start(w, s, dim: int, size: int) -> str:
    """A dynamic start index, clamped so the window [s, s + size) fits in [0, dim)."""
    v = yield s, ()
    return w.tmp("int64_t", _clamped(f"(int64_t){v}", dim - size))


@_fused(lax_shape.dynamic_slice_p)
def _dynamic_slice(w, eqn, idx):
    x, *starts = eqn.inputs
    sizes = eqn.params["slice_sizes"]
    offs = []
    for s, d, n in zip(starts, x.aval.shape, sizes):
        offs.append((yield from _start(w, s, d, n)))
    return (yield x, tuple(f"({o} + {w.index(i)})" for o, i in zip(offs, idx)))


@_fused(lax_shape.dynamic_update_slice_p)
def _dynamic_update_slice(w, eqn, idx):
    x, upd, *starts = eqn.inputs
    base = yield x, idx
    if math.prod(upd.aval.shape) == 0:
        return base
    conds, src = [], []
    for s, i, d, u in zip(starts, idx, x.aval.shape, upd.aval.shape):
        o = yield from _start(w, s, d, u)
        rel = w.tmp("int64_t", f"({i}) - {o}")
        conds.append(f"({rel} >= 0 && {rel} < {u})")
        src.append(_clamped(rel, u - 1))
    inside = w.tmp("int", " && ".join(conds) or "1")
    new = yield upd, tuple(src)
    return w.tmp(_out_type(eqn), f"{inside} ? {new} : {base}")


@_fused(gather_p)
def _gather(w, eqn, idx):
    operand, indices = eqn.inputs
    bd = eqn.params["batch_dims"]
    ni = indices.aval.ndim - bd
    d = operand.aval.shape[bd]
    k = yield indices, tuple(idx[:bd + ni])
    kc = w.tmp("int64_t", _clamped(f"(int64_t){k}", d - 1))
    return (yield operand, tuple(idx[:bd]) + (kc,) + tuple(idx[bd + ni:]))


# a movement primitive rewrites the index in its own way: each must have a writer above
assert all(p in _FUSED for p in ALL_PRIMITIVES if p.fusion == Fusion.MOVEMENT)
