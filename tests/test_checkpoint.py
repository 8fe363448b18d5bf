"""fnx.checkpoint (remat): same values and derivatives as the plain function, but reverse mode
saves only the checkpoint's inputs (or what a policy allows) and recomputes the rest; under
jit the recomputation survives CSE, and the planned peak memory of a deep MLP's gradient
drops from O(N) to O(sqrt(N))."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.compiler.passes import count_eqns
from fnx.errors import InvalidArgumentError
from fnx.test_util import check_grads

policies = fnx.checkpoint_policies


def _params(seed=0, width=4, depth=2, dtype="float64"):
    rng = np.random.default_rng(seed)
    ws = [fnp.asarray(rng.normal(size=(width, width)) / np.sqrt(width), dtype)
          for _ in range(depth)]
    x = fnp.asarray(rng.normal(size=(3, width)), dtype)
    return ws, x


def mlp(ws, x):
    h = x
    for w in ws:
        h = fnp.tanh(h @ w)
    return fnp.sin(h).sum()


def _close(a, b, rtol=1e-12, atol=1e-12):
    for x, y in zip(fnx.tree.leaves(a), fnx.tree.leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


# -- values and derivatives ---------------------------------------------------------------------

def test_value_and_jaxpr():
    ws, x = _params()
    cf = fnx.checkpoint(mlp)
    _close(cf(ws, x), mlp(ws, x), rtol=0, atol=0)
    jaxpr = fnx.make_jaxpr(cf)(ws, x)
    assert count_eqns(jaxpr, "remat") == 1
    assert "prevent_cse=True" in str(jaxpr)
    assert fnx.remat is fnx.checkpoint


def test_grad_matches_and_check_grads():
    ws, x = _params()
    cf = fnx.checkpoint(mlp)
    _close(fnx.grad(cf)(ws, x), fnx.grad(mlp)(ws, x))
    check_grads(cf, (ws, x), order=2)


@pytest.mark.parametrize("policy", [
    None, policies.nothing_saveable, policies.dots_saveable, policies.checkpoint_dots,
    policies.everything_saveable, policies.dots_with_no_batch_dims_saveable,
    lambda prim, *avals, **params: prim.name == "tanh"])
def test_policies_same_gradient(policy):
    ws, x = _params(1)
    cf = fnx.checkpoint(mlp, policy=policy)
    expected = fnx.grad(mlp)(ws, x)
    _close(fnx.grad(cf)(ws, x), expected)
    _close(fnx.jit(fnx.grad(cf))(ws, x), expected)
    _close(fnx.grad(fnx.jit(cf))(ws, x), expected)
    check_grads(cf, (ws, x), order=1, modes="rev")


def _dots_in_compiled_grad(f, *args):
    # value_and_grad: the forward pass is needed for the value (with grad alone, the forward
    # pass of a function that is one big checkpoint is dead code, and only the recomputation
    # is left)
    exe = fnx.jit(fnx.value_and_grad(f)).lower(*args).compile()
    return count_eqns(exe.jaxpr, "dot_general"), exe


def test_recomputation_survives_cse_under_jit():
    ws, x = _params(2, depth=3)
    plain, _ = _dots_in_compiled_grad(mlp, ws, x)
    remat, exe = _dots_in_compiled_grad(fnx.checkpoint(mlp), ws, x)
    # three forward matmuls are recomputed in the backward pass (the last one too: its
    # output's derivative needs tanh of it, which was not saved)
    assert remat == plain + 3
    assert "optimization_barrier" not in exe.as_text()      # stripped after the last CSE
    # without the barrier, CSE merges the recomputation back into the forward pass
    merged, _ = _dots_in_compiled_grad(fnx.checkpoint(mlp, prevent_cse=False), ws, x)
    assert merged == plain
    # a policy that saves the matmuls: nothing of them to recompute
    saved, _ = _dots_in_compiled_grad(fnx.checkpoint(mlp, policy=policies.dots_saveable), ws, x)
    assert saved == plain


def test_policy_decides_what_is_recomputed():
    """Count the forward matmuls the backward pass recomputes (in the traced, unoptimized
    gradient: the forward pass computes 2, the transposition 3)."""
    ws, x = _params(3)

    def dots(policy):
        return count_eqns(fnx.make_jaxpr(fnx.grad(fnx.checkpoint(mlp, policy=policy)))(ws, x),
                          "dot_general")
    base = count_eqns(fnx.make_jaxpr(fnx.grad(mlp))(ws, x), "dot_general")
    assert dots(None) == base + 2
    assert dots(policies.dots_saveable) == base
    assert dots(policies.everything_saveable) == base


def test_checkpoint_name_policies():
    ws, x = _params(4)

    def f(ws, x):
        h = fnx.checkpoint_name(x @ ws[0], "first")
        h = fnx.checkpoint_name(fnp.tanh(h) @ ws[1], "second")
        return fnp.sin(fnp.tanh(h)).sum()

    base = fnx.grad(f)(ws, x)
    for pol in [policies.save_only_these_names("first"),
                policies.save_any_names_but_these("first"),
                policies.save_from_both_policies(policies.dots_saveable,
                                                 policies.save_only_these_names("x"))]:
        cf = fnx.checkpoint(f, policy=pol)
        _close(fnx.grad(cf)(ws, x), base)
        _close(fnx.jit(fnx.grad(cf))(ws, x), base)
    # saving "first" leaves one matmul to recompute, "second" the other one's operand chain
    dots = lambda pol: count_eqns(  # noqa: E731
        fnx.make_jaxpr(fnx.grad(fnx.checkpoint(f, policy=pol)))(ws, x), "dot_general")
    assert dots(policies.save_only_these_names("first", "second")) == \
        dots(policies.save_only_these_names("first")) - 1
    # outside a checkpoint the name is the identity, also compiled
    _close(fnx.jit(f)(ws, x), f(ws, x), rtol=1e-12)


def test_pytrees_kwargs_and_static_argnums():
    ws, x = _params(5)
    params = {"w": ws, "scale": fnp.asarray(0.5, "float64")}

    def f(p, x, depth, *, shift):
        h = x
        for w in p["w"][:depth]:
            h = fnp.tanh(h @ w) * p["scale"] + shift
        return {"out": (h * h).sum(), "h": h}

    cf = fnx.checkpoint(f, static_argnums=(2,))
    for depth in (1, 2):
        loss = lambda p, x, s: cf(p, x, depth, shift=s)["out"]  # noqa: E731
        ref = lambda p, x, s: f(p, x, depth, shift=s)["out"]    # noqa: E731
        shift = fnp.asarray(0.1, "float64")
        _close(fnx.grad(loss, argnums=(0, 1, 2))(params, x, shift),
               fnx.grad(ref, argnums=(0, 1, 2))(params, x, shift))
        check_grads(loss, (params, x, shift), order=1)
    # negative static index; Python scalars as dynamic arguments are converted to arrays
    g = fnx.checkpoint(lambda x, n: x ** n, static_argnums=-1)
    _close(fnx.grad(g)(2.0, 3), 12.0)


def test_jit_vmap_and_composition():
    ws, x = _params(6)
    cf = fnx.checkpoint(mlp)
    _close(fnx.jit(cf)(ws, x), mlp(ws, x))
    xs = fnp.stack([x, 2 * x, -x])
    _close(fnx.vmap(cf, in_axes=(None, 0))(ws, xs), fnx.vmap(mlp, in_axes=(None, 0))(ws, xs))
    per_example = fnx.vmap(fnx.grad(cf), in_axes=(None, 0))(ws, xs)
    _close(per_example, fnx.vmap(fnx.grad(mlp), in_axes=(None, 0))(ws, xs))
    batched_loss = lambda ws, xs: fnx.vmap(cf, in_axes=(None, 0))(ws, xs).sum()  # noqa: E731
    _close(fnx.grad(batched_loss)(ws, xs), fnx.grad(
        lambda ws, xs: fnx.vmap(mlp, in_axes=(None, 0))(ws, xs).sum())(ws, xs))
    _close(fnx.jit(fnx.vmap(fnx.grad(cf), in_axes=(None, 0)))(ws, xs), per_example)
    # forward mode and forward-over-reverse
    t = [fnp.ones_like(w) for w in ws]
    _close(fnx.jvp(lambda ws: cf(ws, x), (ws,), (t,)),
           fnx.jvp(lambda ws: mlp(ws, x), (ws,), (t,)))
    _close(fnx.hessian(cf, argnums=1)(ws, x), fnx.hessian(mlp, argnums=1)(ws, x), rtol=1e-10)


def test_nested_checkpoints():
    ws, x = _params(7, depth=4)
    layer = fnx.checkpoint(lambda w, h: fnp.tanh(h @ w))

    def f(ws, x):
        two = fnx.checkpoint(lambda ws, h: layer(ws[1], layer(ws[0], h)) * 1.5)
        h = two(ws[:2], x)
        h = two(ws[2:], h)
        return fnp.sin(h).sum()

    def ref(ws, x):
        h = x
        for i, w in enumerate(ws):
            h = fnp.tanh(h @ w) * (1.5 if i % 2 else 1.0)
        return fnp.sin(h).sum()

    expected = fnx.grad(ref)(ws, x)
    _close(fnx.grad(f)(ws, x), expected)
    _close(fnx.jit(fnx.grad(f))(ws, x), expected)
    _close(fnx.grad(fnx.jit(f))(ws, x), expected)
    check_grads(f, (ws, x), order=2, modes="rev")


def test_checkpointed_scan_body():
    ws, x = _params(8)
    w = ws[0]

    def run(body_fn):
        def f(w, x):
            c, ys = lax.scan(body_fn(w), x, None, length=4)
            return fnp.sin(c).sum() + ys.sum()
        return f

    plain = lambda w: lambda c, _: (fnp.tanh(c @ w), (c * c).sum())  # noqa: E731
    ckpt = lambda w: fnx.checkpoint(plain(w), prevent_cse=False)   # noqa: E731
    expected = fnx.grad(run(plain))(w, x)
    _close(fnx.grad(run(ckpt))(w, x), expected)
    _close(fnx.jit(fnx.grad(run(ckpt)))(w, x), expected)
    check_grads(run(ckpt), (w, x), order=1, modes="rev")


@fnx.custom_vjp
def _custom_sin(x):
    return fnp.sin(x)


_custom_sin.defvjp(lambda x: (fnp.sin(x), fnp.cos(x)), lambda cos_x, g: (g * cos_x,))
_jitted_layer = fnx.jit(lambda w, h: fnp.tanh(h @ w))


def _with_scan(w, x):
    c, _ = lax.scan(lambda c, _: (fnp.tanh(c @ w), None), fnp.tanh(x @ w), None, length=3)
    return fnp.sin(c).sum()


@pytest.mark.parametrize("body", [
    _with_scan,
    lambda w, x: _custom_sin(fnp.tanh(x @ w)).sum(),
    lambda w, x: fnp.sin(_jitted_layer(w, _jitted_layer(w, x))).sum(),
    lambda w, x: (fnp.tanh(x @ w) * fnp.arange(4)).sum(),        # an integer constant
], ids=["scan", "custom_vjp", "jit", "int_const"])
@pytest.mark.parametrize("policy", [None, policies.dots_saveable], ids=["nothing", "dots"])
def test_checkpoint_around_higher_order_primitives(body, policy):
    ws, x = _params(11)
    cf = fnx.checkpoint(body, policy=policy)
    expected = fnx.grad(body, argnums=(0, 1))(ws[0], x)
    _close(fnx.grad(cf, argnums=(0, 1))(ws[0], x), expected)
    _close(fnx.jit(fnx.grad(cf, argnums=(0, 1)))(ws[0], x), expected)
    _close(fnx.grad(fnx.jit(cf), argnums=(0, 1))(ws[0], x), expected)


def test_optimization_barrier():
    x = fnp.asarray([1.0, 2.0], "float64")
    y, z = lax.optimization_barrier((x, x * 2))
    _close((y, z), (x, x * 2), rtol=0, atol=0)
    f = lambda x: fnp.sin(lax.optimization_barrier(x * 3)).sum()  # noqa: E731
    check_grads(f, (x,), order=2)
    _close(fnx.jit(f)(x), f(x))
    _close(fnx.vmap(f)(fnp.stack([x, x])), fnp.stack([f(x), f(x)]))


def test_errors():
    with pytest.raises(InvalidArgumentError, match="policy"):
        fnx.checkpoint(mlp, policy="dots")
    with pytest.raises(InvalidArgumentError, match="static_argnums"):
        fnx.checkpoint(lambda x: x, static_argnums=3)(1.0)
    with pytest.raises(InvalidArgumentError, match="name"):
        fnx.checkpoint_name(1.0, 3)


# -- the measured claim: O(N) -> O(sqrt(N)) planned peak memory ----------------------------------

def _deep_mlp_loss(depth, every):
    def block(ws, h):
        for w in ws:
            h = fnp.tanh(h @ w)
        return h
    run = fnx.checkpoint(block) if every else block
    step = every or depth

    def loss(ws, x):
        h = x
        for i in range(0, depth, step):
            h = run(ws[i:i + step], h)
        return (h * h).mean()
    return loss


def _peak_and_grads(depth, every, width, batch):
    ws, x = _params(9, width=width, depth=depth, dtype="float32")
    x = fnp.asarray(np.random.default_rng(10).normal(size=(batch, width)), "float32")
    g = fnx.jit(fnx.grad(_deep_mlp_loss(depth, every)))
    return g.lower(ws, x).compile().peak_bytes, g(ws, x)


def test_sqrt_n_memory_for_a_deep_mlp():
    """64 tanh layers, every 8 wrapped in a checkpoint: the forward pass keeps 8 block inputs
    and the backward pass recomputes one block at a time, so about 2*sqrt(N) activations are
    live instead of N.  Activations must dominate the planned peak for this to show: weights
    and their gradients are O(N) whatever is checkpointed, so the layers are narrow (64) and
    the batch is large (2048)."""
    depth, width, batch = 64, 64, 2048
    peak_plain, g_plain = _peak_and_grads(depth, 0, width, batch)
    peak_ckpt, g_ckpt = _peak_and_grads(depth, 8, width, batch)
    activation = batch * width * 4
    assert peak_plain >= depth * activation          # O(N): every layer's activation saved
    assert peak_ckpt <= 24 * activation              # ~ 8 saved + 8 recomputed (+ a few)
    assert peak_plain >= 3 * peak_ckpt, (peak_plain, peak_ckpt)
    _close(g_ckpt, g_plain, rtol=1e-5, atol=1e-7)
