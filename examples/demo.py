"""A first tour of fnx: numpy-style code on immutable arrays, C kernels underneath, and the IR.

Fits a linear model y = X w + b to synthetic data by gradient descent.  Gradients are written
by hand here (fnx.grad arrives with the autodiff issue); every array operation runs in fnx's
C kernels.  Run:  python examples/demo.py
"""
import time

import numpy as np

import fnx
import fnx.numpy as fnp


def predict(params, x):
    w, b = params
    return x @ w + b


def loss_and_grads(params, x, y):
    """Mean squared error and its gradient, derived by hand."""
    w, b = params
    err = predict(params, x) - y
    n = x.shape[0]
    loss = fnp.mean(err ** 2)
    grad_w = 2.0 / n * (x.T @ err)
    grad_b = 2.0 / n * fnp.sum(err, axis=0)
    return loss, (grad_w, grad_b)


def main():
    rng = np.random.default_rng(0)
    true_w = rng.normal(size=(8, 1)).astype(np.float32)
    x_np = rng.normal(size=(512, 8)).astype(np.float32)
    y_np = x_np @ true_w + 0.5 + 0.01 * rng.normal(size=(512, 1)).astype(np.float32)
    x, y = fnp.asarray(x_np), fnp.asarray(y_np)

    params = (fnp.zeros((8, 1)), fnp.zeros((1,)))
    start = time.perf_counter()
    for step in range(201):
        loss, (gw, gb) = loss_and_grads(params, x, y)
        params = (params[0] - 0.1 * gw, params[1] - 0.1 * gb)
        if step % 50 == 0:
            print(f"step {step:3d}  loss {float(loss):.6f}")
    elapsed = time.perf_counter() - start
    err = float(fnp.max(fnp.abs(params[0] - fnp.asarray(true_w))))
    print(f"trained in {elapsed * 1e3:.1f} ms; max |w - w_true| = {err:.4f}, b = {float(params[1][0]):.4f}")

    print("\nThe traced program of one loss evaluation (fnx.make_jaxpr):")
    print(fnx.make_jaxpr(lambda w, b: loss_and_grads((w, b), x, y)[0])(*params))


if __name__ == "__main__":
    main()
