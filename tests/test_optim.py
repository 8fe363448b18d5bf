"""fnx.optim against independent numpy implementations of the published algorithms.

Each reference below is written from the paper / PyTorch documentation formulas (not from fnx.optim),
in float64, and driven with the same gradients: g(p) = A p - b (a quadratic's gradient), so every step's
gradient depends on the previous step's parameters and a wrong state update shows up by step 2 or 3."""
from __future__ import annotations

import math

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
import fnx.optim as optim
from fnx.errors import InvalidArgumentError
from fnx.test_util import check_grads

_RNG = np.random.default_rng(0)
_A = _RNG.normal(size=(6, 6)) * 0.5 + np.eye(6) * 2
_B = _RNG.normal(size=6)
_P0 = {"w": _RNG.normal(size=(2, 2)), "b": _RNG.normal(size=(2,))}


def _grad_np(p):
    flat = np.concatenate([p["b"].ravel(), p["w"].ravel()])
    g = _A @ flat - _B
    return {"b": g[:2], "w": g[2:].reshape(2, 2)}


def _to_fnx(tree):
    return fnx.tree.map(lambda x: fnp.asarray(x, dtype=fnp.float64), tree)


def _to_np(tree):
    return fnx.tree.map(lambda x: x.to_numpy(), tree)


def _run_fnx(opt, steps=3, jit=False):
    params = _to_fnx(_P0)
    state = opt.init(params)
    update = fnx.jit(opt.update) if jit else opt.update
    history = []
    for _ in range(steps):
        grads = _to_fnx(_grad_np(_to_np(params)))
        updates, state = update(grads, state, params)
        params = optim.apply_updates(params, updates)
        history.append(_to_np(params))
    return history, state


def _run_np(step_fn, steps=3):
    """``step_fn(p, g, state, t) -> (p, state)`` applied per leaf, t = 1, 2, 3, ..."""
    params = {k: v.copy() for k, v in _P0.items()}
    states = {k: None for k in params}
    history = []
    for t in range(1, steps + 1):
        grads = _grad_np(params)
        for k in params:
            params[k], states[k] = step_fn(params[k], grads[k], states[k], t)
        history.append({k: v.copy() for k, v in params.items()})
    return history


def _assert_same(hist_fnx, hist_np, rtol=1e-12, atol=1e-12):
    assert len(hist_fnx) == len(hist_np)
    for step, (a, b) in enumerate(zip(hist_fnx, hist_np)):
        for k in b:
            np.testing.assert_allclose(a[k], b[k], rtol=rtol, atol=atol, err_msg=f"step {step + 1}, {k}")
            assert a[k].dtype == np.float64


# --------------------------------------------------------------------------------------------------
# Reference algorithms (numpy, float64)
# --------------------------------------------------------------------------------------------------

def ref_sgd(lr, momentum=0.0, nesterov=False, weight_decay=0.0):
    # torch.optim.SGD with dampening = 0: g += wd p; buf = mu buf + g; g = g + mu buf (nesterov) or buf.
    def step(p, g, buf, t):
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + g
            g = g + momentum * buf if nesterov else buf
        return p - lr * g, buf
    return step


def ref_adam(lr, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0, eps_root=0.0):
    # Kingma & Ba, Algorithm 1; AdamW (Loshchilov & Hutter): the decay term lr * wd * p is added apart.
    # optax's eps_root sits inside the root: m_hat / (sqrt(v_hat + eps_root) + eps).
    def step(p, g, s, t):
        m, v = s if s is not None else (np.zeros_like(p), np.zeros_like(p))
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        return p - lr * (m_hat / (np.sqrt(v_hat + eps_root) + eps) + weight_decay * p), (m, v)
    return step


def ref_rmsprop(lr, decay=0.9, eps=1e-8, centered=False, momentum=None):
    # Tieleman & Hinton with eps inside the root (optax); momentum on the lr-scaled step (optax's order).
    def step(p, g, s, t):
        v, mg, buf = s if s is not None else (np.zeros_like(p), np.zeros_like(p), np.zeros_like(p))
        v = decay * v + (1 - decay) * g * g
        mg = decay * mg + (1 - decay) * g
        denom = v - mg * mg if centered else v
        u = -lr * g / np.sqrt(denom + eps)
        if momentum is not None:
            buf = u + momentum * buf
            u = buf
        return p + u, (v, mg, buf)
    return step


def ref_adagrad(lr, init=0.1, eps=1e-7):
    # Duchi et al.: accumulate squared gradients from `init`, divide by the root.
    def step(p, g, s, t):
        s = (np.full_like(p, init) if s is None else s) + g * g
        return p - lr * g / np.sqrt(s + eps), s
    return step


CASES = [
    ("sgd", lambda: optim.sgd(0.1), ref_sgd(0.1)),
    ("sgd_momentum", lambda: optim.sgd(0.1, momentum=0.9), ref_sgd(0.1, 0.9)),
    ("sgd_nesterov", lambda: optim.sgd(0.1, momentum=0.9, nesterov=True), ref_sgd(0.1, 0.9, True)),
    ("sgd_weight_decay", lambda: optim.sgd(0.1, momentum=0.5, weight_decay=0.1), ref_sgd(0.1, 0.5, False, 0.1)),
    ("adam", lambda: optim.adam(0.05), ref_adam(0.05)),
    ("adam_betas", lambda: optim.adam(0.05, b1=0.5, b2=0.8, eps=1e-3), ref_adam(0.05, 0.5, 0.8, 1e-3)),
    ("adamw", lambda: optim.adamw(0.05, weight_decay=0.1), ref_adam(0.05, weight_decay=0.1)),
    # issue 16: no case had eps_root > 0, so sqrt(v) + eps_root passed for sqrt(v + eps_root)
    ("adam_eps_root", lambda: optim.adam(0.05, eps=1e-3, eps_root=0.3),
     ref_adam(0.05, eps=1e-3, eps_root=0.3)),
    ("adamw_eps_root", lambda: optim.adamw(0.05, eps_root=0.3, weight_decay=0.1),
     ref_adam(0.05, weight_decay=0.1, eps_root=0.3)),
    ("rmsprop", lambda: optim.rmsprop(0.01), ref_rmsprop(0.01)),
    ("rmsprop_centered_momentum", lambda: optim.rmsprop(0.01, decay=0.8, centered=True, momentum=0.9),
     ref_rmsprop(0.01, 0.8, centered=True, momentum=0.9)),
    ("adagrad", lambda: optim.adagrad(0.1), ref_adagrad(0.1)),
]


@pytest.mark.parametrize("name,make,ref", CASES, ids=[c[0] for c in CASES])
def test_first_three_updates_match_reference(name, make, ref):
    hist, _ = _run_fnx(make())
    _assert_same(hist, _run_np(ref), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,make,ref", CASES, ids=[c[0] for c in CASES])
def test_jit_equals_eager(name, make, ref):
    eager, s1 = _run_fnx(make())
    jitted, s2 = _run_fnx(make(), jit=True)
    _assert_same(jitted, eager, rtol=1e-12, atol=1e-14)
    assert fnx.tree.structure(s1) == fnx.tree.structure(s2)


@pytest.mark.parametrize("name,make,ref", CASES, ids=[c[0] for c in CASES])
def test_tiny_regression_loss_decreases(name, make, ref):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5], np.float32) + 0.3
    X, Y = fnp.asarray(x), fnp.asarray(y)

    def loss(p):
        return fnp.mean((X @ p["w"] + p["b"] - Y) ** 2)

    params = {"w": fnp.zeros(3), "b": fnp.zeros([])}
    opt = make()
    state = opt.init(params)

    @fnx.jit
    def train_step(params, state):
        value, grads = fnx.value_and_grad(loss)(params)
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state, value

    first = float(loss(params))
    for _ in range(60):
        params, state, _ = train_step(params, state)
    assert params["w"].dtype == np.float32
    assert float(loss(params)) < 0.5 * first


def test_float32_params_stay_float32_and_state_is_a_pytree_of_arrays():
    params = {"w": fnp.ones((2, 3)), "b": None, "n": [fnp.zeros(2, dtype=fnp.float64)]}
    for opt in [optim.adam(optim.cosine_decay_schedule(0.1, 10)), optim.sgd(0.1, 0.9), optim.adagrad(0.1),
                optim.rmsprop(0.1, centered=True, momentum=0.5), optim.adamw(0.1, mask={"w": True, "b": None,
                                                                                       "n": [False]})]:
        state = opt.init(params)
        for leaf in fnx.tree.leaves(state):
            assert isinstance(leaf, fnx.Array)
        grads = fnx.tree.map(fnp.ones_like, params)
        updates, state = opt.update(grads, state, params)
        new = optim.apply_updates(params, updates)
        assert new["b"] is None
        assert new["w"].dtype == np.float32 and new["n"][0].dtype == np.float64
        assert updates["w"].dtype == np.float32 and updates["n"][0].dtype == np.float64
        counts = [x for x in fnx.tree.leaves(state) if x.dtype == np.int32]
        assert all(int(c) == 1 for c in counts)


def test_empty_tree():
    for opt in [optim.adam(1e-3), optim.chain(optim.clip_by_global_norm(1.0), optim.sgd(0.1, 0.9))]:
        state = opt.init({})
        updates, state = opt.update({}, state, {})
        assert updates == {}
        assert optim.apply_updates({}, updates) == {}


# --------------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------------

def _np_global_norm(tree):
    return math.sqrt(sum(float(np.sum(np.asarray(x, np.float64) ** 2)) for x in tree.values()))


@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_by_global_norm(max_norm):
    g = {"a": np.array([3.0, -4.0]), "b": np.array([[1.0, 2.0], [0.5, -1.0]])}
    out, _ = optim.clip_by_global_norm(max_norm).update(_to_fnx(g), optim.EmptyState())
    norm = _np_global_norm(g)
    factor = 1.0 if norm < max_norm else max_norm / norm
    for k in g:
        np.testing.assert_allclose(out[k].to_numpy(), g[k] * factor, rtol=1e-12)
    assert _np_global_norm(_to_np(out)) <= max_norm * (1 + 1e-12)


def test_clip_by_global_norm_zero_gradients_stay_finite():
    out, _ = optim.clip_by_global_norm(1.0).update({"a": fnp.zeros(3)}, optim.EmptyState())
    np.testing.assert_array_equal(out["a"].to_numpy(), np.zeros(3))


def test_clip_elementwise():
    g = np.array([-3.0, 0.2, 5.0])
    out, _ = optim.clip(1.0).update(fnp.asarray(g), optim.EmptyState())
    np.testing.assert_array_equal(out.to_numpy(), np.clip(g, -1.0, 1.0))


def test_chain_applies_transforms_in_order():
    g = {"a": np.array([3.0, 4.0])}  # norm 5
    clip_then_scale = optim.chain(optim.clip_by_global_norm(1.0), optim.scale(2.0))
    scale_then_clip = optim.chain(optim.scale(2.0), optim.clip_by_global_norm(1.0))
    a, _ = clip_then_scale.update(_to_fnx(g), clip_then_scale.init(_to_fnx(g)))
    b, _ = scale_then_clip.update(_to_fnx(g), scale_then_clip.init(_to_fnx(g)))
    np.testing.assert_allclose(a["a"].to_numpy(), 2 * g["a"] / 5, rtol=1e-12)
    np.testing.assert_allclose(b["a"].to_numpy(), g["a"] / 5, rtol=1e-12)


def test_adamw_decay_is_decoupled_and_masked():
    params = _to_fnx(_P0)
    grads = _to_fnx(_grad_np(_P0))
    lr, wd = 0.05, 0.3
    u_adam, _ = optim.adam(lr).update(grads, optim.adam(lr).init(params), params)
    opt = optim.adamw(lr, weight_decay=wd)
    u_w, _ = opt.update(grads, opt.init(params), params)
    for k in _P0:
        # decoupled: the decay term does not pass through Adam's rescaling
        np.testing.assert_allclose(u_w[k].to_numpy() - u_adam[k].to_numpy(), -lr * wd * _P0[k], rtol=1e-10)
    masked = optim.adamw(lr, weight_decay=wd, mask=lambda p: {"w": True, "b": False})
    u_m, _ = masked.update(grads, masked.init(params), params)
    np.testing.assert_allclose(u_m["b"].to_numpy(), u_adam["b"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(u_m["w"].to_numpy() - u_adam["w"].to_numpy(), -lr * wd * _P0["w"], rtol=1e-10)


def test_nadam_matches_reference():
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.05

    def step(p, g, s, t):  # Dozat's NAdam in optax's form: b1 m_hat(t+1) + (1 - b1) g / (1 - b1^t)
        m, v = s if s is not None else (np.zeros_like(p), np.zeros_like(p))
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = b1 * m / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1 ** t)
        return p - lr * m_hat / (np.sqrt(v / (1 - b2 ** t)) + eps), (m, v)
    hist, _ = _run_fnx(optim.adam(lr, nesterov=True))
    _assert_same(hist, _run_np(step), rtol=1e-10)


@pytest.mark.parametrize("jit", [False, True])
def test_learning_rate_schedule_in_optimizer(jit):
    sched = optim.exponential_decay(0.1, transition_steps=1, decay_rate=0.5)

    def step(p, g, s, t):
        return p - 0.1 * 0.5 ** (t - 1) * g, None
    hist, state = _run_fnx(optim.sgd(sched), jit=jit)
    _assert_same(hist, _run_np(step), rtol=1e-6, atol=1e-7)  # the schedule value is float32
    assert int(state[-1].count) == 3


def test_grad_through_an_update_step():
    opt = optim.adam(0.1)
    params0 = _to_fnx(_P0)
    state0 = opt.update(_to_fnx(_grad_np(_P0)), opt.init(params0), params0)[1]

    def after_step(w):
        params = {"w": w, "b": params0["b"]}
        grads = fnx.grad(lambda p: fnp.sum(p["w"] ** 3) + fnp.sum(p["b"] * p["w"][0]))(params)
        updates, _ = opt.update(grads, state0, params)
        return fnp.sum(optim.apply_updates(params, updates)["w"] ** 2)
    check_grads(after_step, (params0["w"],), order=1, modes="rev")


def test_errors():
    with pytest.raises(InvalidArgumentError, match="add_decayed_weights"):
        opt = optim.adamw(0.1)
        opt.update({"a": fnp.ones(2)}, opt.init({"a": fnp.ones(2)}))
    with pytest.raises(InvalidArgumentError, match="chain: argument 1"):
        optim.chain(optim.scale(1.0), "adam")
    with pytest.raises(InvalidArgumentError, match="apply_updates"):
        optim.apply_updates({"a": fnp.ones(2)}, {"b": fnp.ones(2)})
    with pytest.raises(InvalidArgumentError, match="cosine_decay_schedule"):
        optim.cosine_decay_schedule(1.0, 0)


def test_step_count_saturates():
    c = fnp.asarray(np.iinfo(np.int32).max, dtype=fnp.int32)
    assert int(optim.safe_increment(c)) == np.iinfo(np.int32).max
    assert int(optim.safe_increment(fnp.asarray(5, dtype=fnp.int32))) == 6


# --------------------------------------------------------------------------------------------------
# Schedules: each against its formula at several steps, eagerly and with a traced step under jit
# --------------------------------------------------------------------------------------------------

def _cos_ref(init, decay_steps, alpha, exponent, t):
    t = min(t, decay_steps)
    return init * ((1 - alpha) * (0.5 * (1 + math.cos(math.pi * t / decay_steps))) ** exponent + alpha)


def _linear_ref(a, b, n, begin, t):
    k = min(max(t - begin, 0), n)
    return a + (b - a) * k / n


SCHEDULES = [
    ("constant", optim.constant_schedule(0.3), lambda t: 0.3),
    ("linear", optim.linear_schedule(1.0, 0.1, 10, 5), lambda t: _linear_ref(1.0, 0.1, 10, 5, t)),
    ("polynomial", optim.polynomial_schedule(1.0, 0.0, 2.0, 20),
     lambda t: (1 - min(t, 20) / 20) ** 2),
    ("piecewise_step", optim.piecewise_constant_schedule(0.1, {10: 0.5, 20: 0.1}),
     lambda t: 0.1 * (0.5 if t >= 10 else 1) * (0.1 if t >= 20 else 1)),
    ("exponential", optim.exponential_decay(2.0, 10, 0.9), lambda t: 2.0 * 0.9 ** (t / 10)),
    ("exponential_staircase", optim.exponential_decay(2.0, 10, 0.5, transition_begin=3, staircase=True),
     lambda t: 2.0 * 0.5 ** (max(t - 3, 0) // 10)),
    ("exponential_end_value", optim.exponential_decay(1.0, 1, 0.5, end_value=0.1),
     lambda t: max(0.5 ** t, 0.1)),
    ("cosine", optim.cosine_decay_schedule(0.5, 30), lambda t: _cos_ref(0.5, 30, 0.0, 1.0, t)),
    ("cosine_alpha_exponent", optim.cosine_decay_schedule(0.5, 30, alpha=0.1, exponent=2.0),
     lambda t: _cos_ref(0.5, 30, 0.1, 2.0, t)),
    ("warmup_cosine", optim.warmup_cosine_decay_schedule(0.0, 1.0, 10, 50, end_value=0.05),
     lambda t: _linear_ref(0.0, 1.0, 10, 0, t) if t < 10 else _cos_ref(1.0, 40, 0.05, 1.0, t - 10)),
    ("join", optim.join_schedules([optim.constant_schedule(1.0), optim.linear_schedule(1.0, 0.0, 10)], [5]),
     lambda t: 1.0 if t < 5 else _linear_ref(1.0, 0.0, 10, 0, t - 5)),
]
STEPS = [0, 1, 3, 5, 9, 10, 11, 15, 20, 29, 30, 49, 50, 100]


@pytest.mark.parametrize("name,sched,ref", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedule_matches_formula(name, sched, ref):
    jitted = fnx.jit(lambda c: fnp.asarray(sched(c), dtype=fnp.float32))
    for t in STEPS:
        want = ref(t)
        np.testing.assert_allclose(float(sched(t)), want, rtol=2e-6, atol=1e-7, err_msg=f"step {t}")
        got_jit = float(jitted(fnp.asarray(t, dtype=fnp.int32)))
        np.testing.assert_allclose(got_jit, want, rtol=2e-6, atol=1e-7, err_msg=f"jit, step {t}")
