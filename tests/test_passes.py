"""The jaxpr optimization passes of fnx.compiler.passes: structure and bitwise semantics."""
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.compiler import passes
from fnx.compiler.passes import (count_eqns, cse, dce, fold_constants, inline_jit, optimize,
                                 simplify)
from fnx.core import (Array, Eqn, Jaxpr, JaxprPrinter, Literal, Primitive, ShapedArray, Var,
                      bind, eval_jaxpr)
from fnx.staging import jit_p
from fnx.lax import elementwise as ew
from fnx.lax import shape as sh

F32, I32, BOOL = np.dtype("float32"), np.dtype("int32"), np.dtype("bool")
SPECIAL_F = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 2.5, -3.25, 1e30, -1e-30, 7.0]
SPECIAL_I = [0, 1, -1, 2, 7, -100, 2**31 - 1, -2**31]


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

def _random_value(aval, rng):
    n = int(np.prod(aval.shape, dtype=np.int64))
    if aval.dtype == BOOL:
        v = rng.integers(0, 2, n).astype(bool)
    elif aval.dtype.kind == "i":
        v = np.array(rng.choice(SPECIAL_I, n), dtype=aval.dtype)
    else:
        v = np.array(rng.choice(SPECIAL_F, n), dtype=aval.dtype)
    return Array(v.reshape(aval.shape), aval.weak_type)


def _args(closed, seed=0):
    rng = np.random.default_rng(seed)
    return list(closed.consts) + [_random_value(a, rng) for a in closed.in_avals]


def _assert_bitwise(a, b):
    """Equal dtype, shape, weak type and bits (NaNs compare equal to NaNs)."""
    assert isinstance(a, Array) and isinstance(b, Array)
    assert a.aval == b.aval, (a.aval, b.aval)
    x, y = np.asarray(a), np.asarray(b)
    if x.dtype.kind == "f":
        nx, ny = np.isnan(x), np.isnan(y)
        np.testing.assert_array_equal(nx, ny)
        x, y = np.where(nx, 0, x), np.where(ny, 0, y)
    assert x.tobytes() == y.tobytes(), (x, y)


def _eval(jaxpr, args):
    """``eval_jaxpr``, except that a ``jit`` equation runs its body equation by equation: the
    reference meaning of a call, independent of the jit compiler (which itself runs the
    passes under test)."""
    if count_eqns(jaxpr, "jit") == 0:
        return eval_jaxpr(jaxpr, args)
    env = {id(v): a for v, a in zip(jaxpr.in_binders, args)}

    def read(x):
        return x.val if isinstance(x, Literal) else env[id(x)]

    for e in jaxpr.eqns:
        ins = [read(x) for x in e.inputs]
        if e.primitive is jit_p:
            outs = _eval(e.params["jaxpr"], ins)
        else:
            outs = bind(e.primitive, *ins, **e.params)
            outs = outs if e.primitive.multiple_results else [outs]
        env.update((id(v), o) for v, o in zip(e.out_binders, outs))
    return [read(x) for x in jaxpr.outs]


def _check_same_values(jaxpr, optimized, args):
    want = _eval(jaxpr, args)
    got = _eval(optimized, args)
    assert len(want) == len(got)
    for w, g in zip(want, got):
        _assert_bitwise(w, g)


def _check_pass(p, closed, *, seeds=(0, 1, 2), **kw):
    """Run pass ``p`` on ``closed``; check invariants and values; return the new jaxpr."""
    jaxpr = closed.jaxpr
    before = str(jaxpr)
    out = p(jaxpr, **kw)
    assert str(jaxpr) == before, "the pass mutated its input"
    assert out is not jaxpr
    assert len(out.in_binders) == len(jaxpr.in_binders)
    assert all(a is b for a, b in zip(out.in_binders, jaxpr.in_binders))
    assert [x.aval for x in out.outs] == [x.aval for x in jaxpr.outs]
    str(out)  # prints
    for seed in seeds:
        _check_same_values(jaxpr, out, _args(closed, seed))
    return out


def _prims(jaxpr):
    return [e.primitive.name for e in jaxpr.eqns]


def _trace(f, *avals):
    return fnx.make_jaxpr(f)(*avals)


X23 = ShapedArray((2, 3), F32)


# ---------------------------------------------------------------------------------------------
# count_eqns
# ---------------------------------------------------------------------------------------------

def test_count_eqns():
    closed = _trace(lambda x: fnp.sin(x) + fnp.sin(x) * 2.0, X23)
    assert count_eqns(closed) == count_eqns(closed.jaxpr) == 4
    assert count_eqns(closed.jaxpr, "sin") == 2
    assert count_eqns(closed.jaxpr, "cos") == 0


# ---------------------------------------------------------------------------------------------
# inline_jit
# ---------------------------------------------------------------------------------------------

def _jit_eqn(inner, inputs, outs, name="g"):
    return Eqn(jit_p, list(inputs), dict(jaxpr=inner, name=name, donated=(False,) * len(inputs)),
               list(outs))


def test_inline_jit_hand_built_nested():
    # inner(p, q) = (q, 2.0, sin(p) * q): outputs that are an input and a Literal
    p, q = Var(ShapedArray((3,), F32)), Var(ShapedArray((3,), F32))
    s, r = Var(p.aval), Var(p.aval)
    two = Literal(Array(np.array(2.0, F32)))
    inner = Jaxpr([p, q], [Eqn(ew.sin_p, [p], {}, [s]), Eqn(ew.mul_p, [s, q], {}, [r])],
                  [q, two, r])
    # middle(u) = inner(u, u)[2] + inner(u, 1.0 broadcast)[0] -- inner inlined twice
    u = Var(p.aval)
    m1 = [Var(p.aval), Var(two.aval), Var(p.aval)]
    ones = Var(p.aval)
    m2 = [Var(p.aval), Var(two.aval), Var(p.aval)]
    mo = Var(p.aval)
    one = Literal(Array(np.array(1.0, F32)))
    middle = Jaxpr([u], [
        _jit_eqn(inner, [u, u], m1),
        Eqn(sh.broadcast_in_dim_p, [one], dict(shape=(3,), broadcast_dimensions=()), [ones]),
        _jit_eqn(inner, [u, ones], m2),
        Eqn(ew.add_p, [m1[2], m2[0]], {}, [mo])], [mo, m1[1]])
    # outer(x) = middle(x) ; outs (middle[0] * x, middle[1], x)
    x = Var(p.aval)
    o = [Var(p.aval), Var(two.aval)]
    y = Var(p.aval)
    outer = Jaxpr([x], [_jit_eqn(middle, [x], o, "middle"), Eqn(ew.mul_p, [o[0], x], {}, [y])],
                  [y, o[1], x])
    before = str(outer)

    flat = inline_jit(outer)
    assert str(outer) == before
    assert count_eqns(flat, "jit") == 0
    assert _prims(flat) == ["sin", "mul", "broadcast_in_dim", "sin", "mul", "add", "mul"]
    assert flat.in_binders == [x]
    assert isinstance(flat.outs[1], Literal) and flat.outs[2] is x
    # every inlined result is a fresh variable, defined exactly once
    defined = [v for e in flat.eqns for v in e.out_binders]
    assert len({id(v) for v in defined}) == len(defined)
    assert not {id(v) for v in defined} & {id(v) for v in (p, q, s, r, u, ones, mo, *m1, *m2)}
    str(flat)
    rng = np.random.default_rng(0)
    for _ in range(3):
        arg = _random_value(x.aval, rng)
        _check_same_values(outer, flat, [arg])


def test_inline_jit_literal_operand_and_input_output():
    # the call's operand is a Literal and the body returns its input unchanged
    p = Var(ShapedArray((), F32))
    inner = Jaxpr([p], [], [p])
    out = Var(p.aval)
    y = Var(p.aval)
    x = Var(p.aval)
    lit = Literal(Array(np.array(3.0, F32)))
    outer = Jaxpr([x], [_jit_eqn(inner, [lit], [out]), Eqn(ew.add_p, [x, out], {}, [y])], [y, out])
    flat = inline_jit(outer)
    assert _prims(flat) == ["add"]
    assert flat.eqns[0].inputs[1] is lit and flat.outs[1] is lit
    _assert_bitwise(eval_jaxpr(flat, [Array(np.array(1.5, F32))])[0], Array(np.array(4.5, F32)))


def test_inline_jit_from_fnx_jit():
    g = fnx.jit(lambda v: fnp.sin(v) * 1.0)
    closed = _trace(lambda x: g(x) + g(x) + 1.0, X23)
    assert count_eqns(closed.jaxpr, "jit") == 2
    flat = _check_pass(inline_jit, closed)
    assert count_eqns(flat, "jit") == 0
    assert count_eqns(flat, "sin") == 2
    opt = optimize(closed.jaxpr, closed.consts)
    assert _prims(opt) == ["sin", "add", "add"]
    _check_same_values(closed.jaxpr, opt, _args(closed))


# ---------------------------------------------------------------------------------------------
# dce
# ---------------------------------------------------------------------------------------------

def test_dce_removes_unused_keeps_binders():
    def f(x, unused):
        fnp.cos(x) * 3.0  # dead
        return fnp.sin(x)
    closed = _trace(f, X23, X23)
    assert count_eqns(closed.jaxpr) == 3
    out = _check_pass(dce, closed)
    assert _prims(out) == ["sin"]
    assert len(out.in_binders) == 2


def test_dce_multiple_results_kept_whole():
    def f(k, v):
        ks, vs = lax.sort_key_val(k, v)
        return vs
    closed = _trace(f, ShapedArray((5,), F32), ShapedArray((5,), I32))
    out = _check_pass(dce, closed)
    assert count_eqns(out, "sort") == 1


def test_dce_everything_dead():
    closed = _trace(lambda x: (fnp.sin(x), x)[1], X23)
    out = _check_pass(dce, closed)
    assert out.eqns == [] and out.outs == [out.in_binders[0]]


# ---------------------------------------------------------------------------------------------
# cse
# ---------------------------------------------------------------------------------------------

def test_cse_merges_equal_equations():
    def f(x):
        a = fnp.sin(x) * 2.0
        b = fnp.sin(x) * 2.0
        return a + b, fnp.sum(x, axis=0), fnp.sum(x, axis=0), fnp.sum(x, axis=1)
    closed = _trace(f, X23)
    out = _check_pass(cse, closed)
    assert count_eqns(out, "sin") == 1 and count_eqns(out, "mul") == 1
    assert count_eqns(out, "reduce_sum") == 2  # different axes stay apart
    assert out.outs[1] is out.outs[2]


def test_cse_literals_compare_by_value_dtype_and_weak_type():
    def f(x):
        return (x * 2.0, x * 2.0,                      # same weak literal: merged
                x * _const(F32, 2.0),                   # strong literal: kept
                x + 0.0, x + fnp.asarray(-0.0, F32))    # 0.0 and -0.0 differ
    closed = _trace(f, X23)
    out = _check_pass(cse, closed)
    assert count_eqns(out, "mul") == 2 and count_eqns(out, "add") == 2


def test_cse_iota():
    def f(x):
        a = lax.broadcasted_iota(F32, (2, 3), 1)
        b = lax.broadcasted_iota(F32, (2, 3), 1)
        c = lax.broadcasted_iota(F32, (2, 3), 0)
        return x + a, x * b, x - c
    closed = _trace(f, X23)
    out = _check_pass(cse, closed)
    assert count_eqns(out, "iota") == 2


def test_cse_jit_calls_by_jaxpr_identity():
    g = fnx.jit(lambda v: fnp.exp(v))
    closed = _trace(lambda x: g(x) - g(x), X23)
    out = _check_pass(cse, closed)
    assert count_eqns(out, "jit") == 1


def test_params_keys_are_robust():
    key = passes._hashable
    # unhashable values, arrays, nested containers, jaxprs by identity, NaN, signed zero
    assert key([1, 2]) == key([1, 2]) and key([1, 2]) != key((1, 2))
    assert key({"a": [1]}) == key({"a": [1]})
    assert key(np.arange(3)) == key(np.arange(3)) and key(np.arange(3)) != key(np.arange(4))
    assert key(float("nan")) == key(float("nan"))
    assert key(0.0) != key(-0.0) and key(1) != key(1.0) and key(True) != key(1)
    j = Jaxpr([], [], [])
    assert key(j) == key(j) and key(j) != key(Jaxpr([], [], []))
    assert key(F32) == key(np.dtype("float32")) and key(F32) != key(I32)
    hash(passes._params_key(dict(a=[1, {2: [3]}], b=np.ones(2), c=lambda: 0, d=j)))


# ---------------------------------------------------------------------------------------------
# fold_constants
# ---------------------------------------------------------------------------------------------

def test_fold_scalar_literal_arithmetic():
    closed = _trace(lambda x: x + _const(F32, 2.0) * 3.0, X23)
    assert count_eqns(closed.jaxpr) == 2
    out = _check_pass(fold_constants, closed)
    assert _prims(out) == ["add"]
    lit = out.eqns[0].inputs[1]
    assert isinstance(lit, Literal) and float(lit.val) == 6.0
    assert lit.aval == ShapedArray((), F32, False)


def test_fold_keeps_weak_types():
    # 2.0 + 3.0 on Python floats is weak; with a strong operand it is strong
    closed = _trace(lambda x: (lax.add(2.0, 3.0), lax.add(_const(F32, 2.0), 3.0),
                               lax.convert_element_type(2, F32, True),
                               x * lax.add(2.0, 3.0)), ShapedArray((), F32, True))
    out = _check_pass(fold_constants, closed)
    assert _prims(out) == ["mul"]
    assert all(isinstance(o, Literal) for o in out.outs[:3])
    assert [o.aval.weak_type for o in out.outs] == [True, False, True, True]
    assert [o.val.weak_type for o in out.outs[:3]] == [True, False, True]


def test_fold_output_becomes_literal():
    closed = _trace(lambda x: (x, lax.neg(fnp.asarray(2, I32))), X23)
    out = _check_pass(fold_constants, closed)
    assert out.eqns == [] and isinstance(out.outs[1], Literal) and int(out.outs[1].val) == -2


def test_fold_with_constant_inputs():
    w = fnp.asarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    closed = _trace(lambda x: x * fnp.sum(w * 2.0) + w, X23)
    assert len(closed.consts) == 1
    before = count_eqns(closed.jaxpr)
    # without the constant's value nothing is known
    assert count_eqns(fold_constants(closed.jaxpr)) == before
    cvar = closed.jaxpr.in_binders[0]
    for consts in ({cvar: w}, closed.consts):
        out = _check_pass(fold_constants, closed, consts=consts)
        # sum(w * 2) became the literal 30.0; the [2,3] product stays (now dead), the add stays
        mul = [e for e in out.eqns if e.primitive.name == "mul" and e.inputs[0] is not cvar]
        assert any(isinstance(x, Literal) and float(x.val) == 30.0
                   for e in mul for x in e.inputs)
        assert count_eqns(dce(out), "reduce_sum") == 0


def test_fold_scalar_constant_binder_becomes_literal():
    c = Var(ShapedArray((), F32))
    x = Var(ShapedArray((3,), F32))
    y = Var(x.aval)
    jaxpr = Jaxpr([c, x], [Eqn(ew.mul_p, [x, c], {}, [y])], [y, c])
    out = fold_constants(jaxpr, {c: Array(np.array(4.0, F32))})
    assert isinstance(out.eqns[0].inputs[1], Literal) and isinstance(out.outs[1], Literal)
    assert out.in_binders == [c, x]


def test_fold_does_not_materialize_big_constants():
    def f(x):
        big = lax.broadcasted_iota(F32, (64, 64), 1) + 1.0
        fill = lax.broadcast_in_dim(_const(F32, 3.0), (64, 64), ())
        return x + big + fill, fnp.sum(lax.broadcasted_iota(I32, (10,), 0))
    closed = _trace(f, ShapedArray((64, 64), F32))
    out = _check_pass(fold_constants, closed)
    assert count_eqns(out, "iota") == 2 and count_eqns(out, "broadcast_in_dim") == 1
    # ...but a small one still folds through to its scalar consumer
    assert isinstance(out.outs[1], Literal) and int(out.outs[1].val) == 45
    assert count_eqns(dce(out), "iota") == 1
    assert not any(isinstance(x, Literal) and x.aval.shape for e in out.eqns for x in e.inputs)


def test_fold_skips_failing_equations():
    boom_p = Primitive("test_boom")
    boom_p.def_abstract_eval(lambda x: ShapedArray(x.shape, x.dtype, x.weak_type))

    @boom_p.def_impl
    def _boom(x):
        raise RuntimeError("boom")

    x = Var(ShapedArray((), F32))
    y = Var(x.aval)
    jaxpr = Jaxpr([x], [Eqn(boom_p, [Literal(Array(np.array(1.0, F32)))], {}, [y])], [y])
    out = fold_constants(jaxpr)
    assert _prims(out) == ["test_boom"]


# ---------------------------------------------------------------------------------------------
# simplify
# ---------------------------------------------------------------------------------------------

def test_simplify_arithmetic_identities():
    def f(x, i):
        a = lax.div(lax.sub(lax.mul(1.0, lax.mul(x, 1.0)), 0.0), 1.0)   # -> x
        b = lax.add(lax.add(-0.0, a), -0.0)                             # -> x
        c = lax.add(lax.sub(lax.mul(i, 1), 0), 0)                       # ints: -> i
        return (b, c, lax.neg(lax.neg(x)), lax.neg(lax.neg(i)),
                lax.bitwise_not(lax.bitwise_not(i)))
    closed = _trace(f, X23, ShapedArray((2, 3), I32))
    out = _check_pass(simplify, closed)
    x, i = out.in_binders
    assert out.outs == [x, i, x, i, i]
    assert dce(out).eqns == []


def test_simplify_keeps_inexact_identities():
    # x*0 is NaN for NaN/inf; x + 0.0 is +0.0 for x = -0.0; x - (-0.0) likewise
    closed = _trace(lambda x: (x * 0.0, x + 0.0, 0.0 + x, x - fnp.asarray(-0.0, F32),
                               lax.mul(fnp.asarray(3, I32), 0)), X23)
    out = _check_pass(simplify, closed)
    assert _prims(out) == _prims(closed.jaxpr)
    nan = Array(np.full((2, 3), np.nan, F32))
    assert np.isnan(np.asarray(eval_jaxpr(optimize(closed.jaxpr), [nan])[0])).all()
    negz = Array(np.full((2, 3), -0.0, F32))
    got = np.asarray(eval_jaxpr(optimize(closed.jaxpr), [negz])[1])
    assert not np.signbit(got).any()


def test_simplify_respects_weak_types():
    weak = ShapedArray((3,), F32, True)
    # weak x times a strong 1.0 is strong: replacing it by x would change the output's aval
    closed = _trace(lambda x: (x * _const(F32, 1.0), x * 1.0), weak)
    out = _check_pass(simplify, closed)
    assert _prims(out) == ["mul"]
    assert out.outs[1] is out.in_binders[0]
    assert out.outs[0].aval == ShapedArray((3,), F32, False)
    # convert_element_type to the same dtype but another weak type stays
    closed = _trace(lambda x: (bind(ew.convert_element_type_p, x, new_dtype=F32, weak_type=False),
                               bind(ew.convert_element_type_p, x, new_dtype=F32, weak_type=True)),
                    weak)
    out = _check_pass(simplify, closed)
    assert _prims(out) == ["convert_element_type"] and out.outs[1] is out.in_binders[0]


def test_simplify_never_changes_a_shape():
    # a scalar x times a [3] Literal of ones has shape [3]: it is not x
    x = Var(ShapedArray((), F32))
    y, z = Var(ShapedArray((3,), F32)), Var(ShapedArray((3,), F32))
    ones = Literal(Array(np.ones(3, F32)))
    one = Literal(Array(np.array(1.0, F32)))
    jaxpr = Jaxpr([x], [Eqn(ew.mul_p, [x, ones], {}, [y]), Eqn(ew.mul_p, [one, y], {}, [z])], [z])
    out = simplify(jaxpr)
    assert _prims(out) == ["mul"] and out.outs == [y]
    _check_same_values(jaxpr, out, [Array(np.array(np.nan, F32))])


def test_simplify_transpose_chains():
    x3 = ShapedArray((2, 3, 4), F32)
    closed = _trace(lambda x: (lax.transpose(lax.transpose(x, (1, 2, 0)), (2, 0, 1)),
                               lax.transpose(lax.transpose(x, (1, 0, 2)), (0, 2, 1)),
                               bind(sh.transpose_p, x, permutation=(0, 1, 2))), x3)
    out = _check_pass(simplify, closed)
    x = out.in_binders[0]
    assert out.outs[0] is x and out.outs[2] is x
    e = [e for e in out.eqns if e.out_binders[0] is out.outs[1]][0]
    assert e.inputs[0] is x and e.params["permutation"] == (1, 2, 0)
    assert count_eqns(dce(out), "transpose") == 1


def test_simplify_reshape_chains():
    closed = _trace(lambda x: (lax.reshape(lax.reshape(x, (6,)), (3, 2)),
                               lax.reshape(lax.reshape(x, (3, 2)), (2, 3)),
                               bind(sh.reshape_p, x, new_sizes=(2, 3))), X23)
    out = dce(_check_pass(simplify, closed))
    x = out.in_binders[0]
    assert out.outs[1] is x and out.outs[2] is x
    assert _prims(out) == ["reshape"] and out.eqns[0].inputs[0] is x


@pytest.mark.parametrize("xshape,shape1,dims1,shape2,dims2", [
    ((3,), (4, 3), (1,), (2, 4, 3), (1, 2)),
    ((1, 1), (1, 3), (0, 1), (5, 4, 3), (1, 2)),     # stretched inside, then outside
    ((1,), (1, 1, 3), (2,), (2, 4, 3), (0, 1, 2)),   # inner size-1 axes stretched by the outer
    ((2, 1), (2, 1, 3), (0, 1), (2, 6, 3), (0, 1, 2)),
    ((3,), (3, 1), (0,), (3, 7), (0, 1)),
])
def test_simplify_broadcast_chains(xshape, shape1, dims1, shape2, dims2):
    closed = _trace(lambda x: bind(sh.broadcast_in_dim_p,
                                   bind(sh.broadcast_in_dim_p, x, shape=shape1,
                                        broadcast_dimensions=dims1),
                                   shape=shape2, broadcast_dimensions=dims2),
                    ShapedArray(xshape, F32))
    out = dce(_check_pass(simplify, closed))
    assert _prims(out) == ["broadcast_in_dim"] and out.eqns[0].inputs[0] is out.in_binders[0]


def test_simplify_broadcast_identity_and_unit_reshape():
    closed = _trace(lambda x: (bind(sh.broadcast_in_dim_p, x, shape=(2, 3),
                                    broadcast_dimensions=(0, 1)),
                               fnp.broadcast_to(x[None], (4, 2, 3)),
                               fnp.broadcast_to(fnp.expand_dims(x, 1), (2, 5, 3))), X23)
    out = dce(_check_pass(simplify, closed))
    assert out.outs[0] is out.in_binders[0]
    assert _prims(out) == ["broadcast_in_dim", "broadcast_in_dim"]
    assert [e.params["broadcast_dimensions"] for e in out.eqns] == [(1, 2), (0, 2)]


def test_simplify_noop_ops():
    def f(x, b):
        return (bind(ew.convert_element_type_p, x, new_dtype=F32, weak_type=False),
                bind(sh.squeeze_p, x, dimensions=()),
                bind(sh.expand_dims_p, x, dimensions=()),
                lax.stop_gradient(x),
                bind(ew.select_n_p, b, x),
                lax.rev(lax.rev(x, (0, 1)), (1, 0)),
                bind(sh.rev_p, x, dimensions=()))
    closed = _trace(f, X23, ShapedArray((2, 3), BOOL))
    out = dce(_check_pass(simplify, closed))
    assert out.eqns == [] and all(o is out.in_binders[0] for o in out.outs)


def test_simplify_output_becomes_literal():
    # select_n with one Literal case: the output is the Literal itself
    closed = _trace(lambda b: bind(ew.select_n_p, b, _const(F32, 2.0)), ShapedArray((), BOOL))
    out = _check_pass(simplify, closed)
    assert out.eqns == [] and isinstance(out.outs[0], Literal)
    assert "2.0" in JaxprPrinter().jaxpr(out)


# ---------------------------------------------------------------------------------------------
# optimize
# ---------------------------------------------------------------------------------------------

def test_optimize_pipeline():
    w = fnp.asarray(np.ones((2, 3), np.float32))

    def f(x):
        y = fnp.sin(x * 1.0) + fnp.sin(x) * (_const(F32, 2.0) + 1.0)
        z = lax.transpose(lax.transpose(y, (1, 0)), (1, 0))
        return z + fnp.sum(w), lax.stop_gradient(z)
    closed = _trace(f, X23)
    out = _check_pass(optimize, closed, consts=closed.consts)
    assert _prims(out) == ["sin", "mul", "add", "add"]
    assert out.outs[1] is out.eqns[2].out_binders[0]
    # a fixed point: optimizing again changes nothing
    again = optimize(out, closed.consts)
    assert passes._fingerprint(again) == passes._fingerprint(out)


def test_optimize_works_with_grad_jaxprs():
    def loss(w, x):
        return fnp.sum(fnp.tanh(x @ w) ** 2)
    w = ShapedArray((3, 2), F32)
    x = ShapedArray((4, 3), F32)
    closed = _trace(fnx.grad(loss), w, x)
    out = _check_pass(optimize, closed, consts=closed.consts)
    assert count_eqns(out) <= count_eqns(closed.jaxpr)


# ---------------------------------------------------------------------------------------------
# random programs: optimize() never changes a bit
# ---------------------------------------------------------------------------------------------

def _perm(ndim, k):
    perms = list(itertools.permutations(range(ndim)))
    return perms[k % len(perms)]


def _same_kind(x, pool):
    return [v for v in pool if v.shape == x.shape and v.dtype == x.dtype]


def _const(dtype, value):
    return fnp.asarray(np.array(value, dtype=dtype))


# Each op: (name, applies(x) -> bool, fn(x, k, pool) -> new value).
def _num(x):
    return x.dtype != BOOL


def _flt(x):
    return x.dtype.kind == "f"


def _partner(x, k, pool):
    same = _same_kind(x, pool)
    return same[k % len(same)]


def _to_dtype(x, k):
    target = [F32, I32, BOOL][k % 3]
    if x.dtype.kind == "f" and target == I32:
        x = lax.clamp(_const(x.dtype, -100.0), x, _const(x.dtype, 100.0))  # no UB casts
    return lax.convert_element_type(x, target)


def _insert_unit_axis(x, k):
    i = k % (x.ndim + 1)
    return lax.reshape(x, x.shape[:i] + (1,) + x.shape[i:])


def _jit_body(x, k):
    def body(v):
        if v.dtype == BOOL:
            return lax.bitwise_not(lax.bitwise_not(v)), v
        return lax.neg(lax.neg(lax.mul(v, 1))), v
    return fnx.jit(body)(x)[k % 2]


OPS = [
    ("mul1", _num, lambda x, k, p: lax.mul(x, 1)),
    ("one_mul", _num, lambda x, k, p: lax.mul(1, x)),
    ("add0", _num, lambda x, k, p: lax.add(x, 0)),
    ("add_negzero", _flt, lambda x, k, p: lax.add(-0.0, x)),
    ("sub0", _num, lambda x, k, p: lax.sub(x, 0)),
    ("sub_negzero", _flt, lambda x, k, p: lax.sub(x, -0.0)),
    ("div1", _num, lambda x, k, p: lax.div(x, 1)),
    ("mul0", _num, lambda x, k, p: lax.mul(x, 0)),
    ("mul_strong1", _num, lambda x, k, p: lax.mul(x, _const(x.dtype, 1))),
    ("neg", _num, lambda x, k, p: lax.neg(x)),
    ("negneg", _num, lambda x, k, p: lax.neg(lax.neg(x))),
    ("abs", _num, lambda x, k, p: lax.abs(x)),
    ("sin", _flt, lambda x, k, p: lax.sin(x)),
    ("exp_dup", _flt, lambda x, k, p: lax.add(lax.exp(x), lax.exp(x))),
    ("add_p", _num, lambda x, k, p: lax.add(x, _partner(x, k, p))),
    ("max_p", lambda x: True, lambda x, k, p: lax.max(x, _partner(x, k, p))),
    ("and_p", lambda x: not _flt(x), lambda x, k, p: lax.bitwise_and(x, _partner(x, k, p))),
    ("not", lambda x: not _flt(x), lambda x, k, p: lax.bitwise_not(x)),
    ("gt", lambda x: True, lambda x, k, p: lax.gt(x, _partner(x, k, p))),
    ("select", lambda x: True,
     lambda x, k, p: lax.select(lax.ne(x, _partner(x, k, p)), x, _partner(x, k + 1, p))),
    ("select_const", lambda x: True,
     lambda x, k, p: lax.select(bool(k % 2), x, _partner(x, k // 2, p))),
    ("select1", lambda x: True, lambda x, k, p: bind(ew.select_n_p, lax.eq(x, x), x)),
    ("convert_same", lambda x: True,
     lambda x, k, p: bind(ew.convert_element_type_p, x, new_dtype=x.dtype,
                          weak_type=x.weak_type)),
    ("convert", lambda x: True, lambda x, k, p: _to_dtype(x, k)),
    ("stop_gradient", lambda x: True, lambda x, k, p: lax.stop_gradient(x)),
    ("const_expr", _num,
     lambda x, k, p: lax.add(x, lax.mul(_const(x.dtype, 2), _const(x.dtype, k % 5)))),
    ("const_expr_bool", lambda x: x.dtype == BOOL,
     lambda x, k, p: lax.bitwise_or(x, lax.bitwise_and(_const(BOOL, True), _const(BOOL, k % 2)))),
    ("closed_const", _num,
     lambda x, k, p: lax.add(x, _const(x.dtype, np.arange(x.size).reshape(x.shape) % 3 + k % 2))),
    ("closed_const_sum", _num,
     lambda x, k, p: lax.mul(x, lax.reduce_sum(_const(x.dtype, np.full((3,), k % 4)), (0,)))),
    ("iota", lambda x: _num(x) and x.ndim >= 1,
     lambda x, k, p: lax.add(x, lax.broadcasted_iota(x.dtype, x.shape, k % x.ndim))),
    ("transpose", lambda x: x.ndim >= 1,
     lambda x, k, p: bind(sh.transpose_p, x, permutation=_perm(x.ndim, k))),
    ("transpose2", lambda x: x.ndim >= 2,
     lambda x, k, p: lax.transpose(lax.transpose(x, _perm(x.ndim, k)), _perm(x.ndim, k // 7))),
    ("reshape_flat", lambda x: True, lambda x, k, p: bind(sh.reshape_p, x, new_sizes=(x.size,))),
    ("reshape_same", lambda x: True, lambda x, k, p: bind(sh.reshape_p, x, new_sizes=x.shape)),
    ("reshape_unit", lambda x: x.ndim < 4, lambda x, k, p: _insert_unit_axis(x, k)),
    ("reshape2", lambda x: x.ndim >= 1,
     lambda x, k, p: lax.reshape(lax.reshape(x, (x.size,)), tuple(reversed(x.shape)))),
    ("expand", lambda x: x.ndim < 4, lambda x, k, p: lax.expand_dims(x, (k % (x.ndim + 1),))),
    ("squeeze", lambda x: 1 in x.shape,
     lambda x, k, p: lax.squeeze(x, tuple(i for i, d in enumerate(x.shape) if d == 1))),
    ("noop_dims", lambda x: True,
     lambda x, k, p: bind([sh.squeeze_p, sh.expand_dims_p, sh.rev_p][k % 3], x, dimensions=())),
    ("bid_lead", lambda x: x.ndim < 4 and x.size <= 32,
     lambda x, k, p: lax.broadcast_in_dim(x, (2,) + x.shape, tuple(range(1, x.ndim + 1)))),
    ("bid_same", lambda x: True,
     lambda x, k, p: bind(sh.broadcast_in_dim_p, x, shape=x.shape,
                          broadcast_dimensions=tuple(range(x.ndim)))),
    ("bid_stretch", lambda x: 1 in x.shape and x.size <= 32,
     lambda x, k, p: lax.broadcast_in_dim(x, tuple(3 if d == 1 else d for d in x.shape),
                                          tuple(range(x.ndim)))),
    ("bid_scalar", lambda x: True,
     lambda x, k, p: lax.max(x, lax.broadcast_in_dim(_const(x.dtype, k % 2), x.shape, ()))),
    ("rev", lambda x: x.ndim >= 1, lambda x, k, p: lax.rev(x, (k % x.ndim,))),
    ("revrev", lambda x: x.ndim >= 1,
     lambda x, k, p: lax.rev(lax.rev(x, (k % x.ndim,)), (k % x.ndim,))),
    ("sum", lambda x: _num(x) and x.ndim >= 1, lambda x, k, p: lax.reduce_sum(x, (k % x.ndim,))),
    ("max_red", lambda x: x.ndim >= 1, lambda x, k, p: lax.reduce_max(x, (k % x.ndim,))),
    ("or_red", lambda x: x.dtype == BOOL and x.ndim >= 1,
     lambda x, k, p: lax.reduce_or(x, tuple(range(x.ndim)))),
    ("jit", lambda x: True, lambda x, k, p: _jit_body(x, k)),
]

SHAPES = [(), (3,), (2, 3), (1, 3), (2, 1, 2)]


def _run_program(program, outs_pick):
    def f(x, y):
        pool = [x, y]
        for op_idx, k, src in program:
            v = pool[src % len(pool)]
            usable = [op for op in OPS if op[1](v)]
            _, _, fn = usable[op_idx % len(usable)]
            pool.append(fn(v, k, pool))
        return [pool[-1]] + [pool[i % len(pool)] for i in outs_pick]
    return f


@given(dtype=st.sampled_from([F32, I32, BOOL]), shape=st.sampled_from(SHAPES),
       weak=st.booleans(),
       program=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 50), st.integers(0, 50)),
                        min_size=1, max_size=12),
       outs_pick=st.lists(st.integers(0, 20), max_size=3), seed=st.integers(0, 2**16))
def test_optimize_random_programs_bitwise(dtype, shape, weak, program, outs_pick, seed):
    weak = weak and dtype != BOOL
    avals = [ShapedArray(shape, dtype, weak), ShapedArray(shape, dtype)]
    closed = _trace(_run_program(program, outs_pick), *avals)
    before = str(closed)
    out = optimize(closed.jaxpr, closed.consts)
    assert str(closed) == before
    assert all(a is b for a, b in zip(out.in_binders, closed.jaxpr.in_binders))
    assert [o.aval for o in out.outs] == [o.aval for o in closed.jaxpr.outs]
    assert count_eqns(out) <= count_eqns(inline_jit(closed.jaxpr))
    assert count_eqns(out, "jit") == 0
    str(out)
    _check_same_values(closed.jaxpr, out, _args(closed, seed))
    # each pass on its own preserves values too
    for p in (inline_jit, simplify, cse, dce):
        _check_same_values(closed.jaxpr, p(closed.jaxpr), _args(closed, seed + 1))
    _check_same_values(closed.jaxpr, fold_constants(closed.jaxpr, closed.consts),
                       _args(closed, seed + 2))


def test_simplify_select_n_constant_which():
    def f(x, y):
        return (lax.select(True, x, y), lax.select(False, x, y),
                bind(ew.select_n_p, _const(I32, 7), x, y, x * 2.0),   # int which is clamped
                bind(ew.select_n_p, _const(I32, -3), y, x))
    closed = _trace(f, X23, X23)
    out = dce(_check_pass(simplify, closed))
    x, y = out.in_binders
    assert out.outs[:2] == [x, y] and out.outs[3] is y
    assert _prims(out) == ["mul"]


def test_simplify_broadcast_of_an_operandless_producer():
    # a broadcast whose operand comes from iota (no inputs) used to crash the simplifier
    f = fnx.jit(lambda x: fnp.where(fnp.arange(3)[None, :] <= fnp.arange(3)[:, None], x, 0.0))
    np.testing.assert_array_equal(np.asarray(f(fnp.ones((3, 3)))), np.tril(np.ones((3, 3))))
