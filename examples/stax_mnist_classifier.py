"""JAX's examples/mnist_classifier.py on fnx: a stax MLP trained with example_libraries' Adam.

    python examples/stax_mnist_classifier.py            # bundled 8x8 digits, no download

The program is written as JAX's example is; only the imports differ (``import fnx as jax``,
``import fnx.numpy as jnp``, ``from fnx.example_libraries import stax, optimizers``) and the
data: the bundled 8x8 digits (64 pixels) stand in for MNIST's 28x28.
"""
import itertools
import os
import sys
import time

import numpy as np
import numpy.random as npr

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import fnx as jax  # noqa: E402
import fnx.numpy as jnp  # noqa: E402
from fnx import grad, jit, random  # noqa: E402
from fnx.example_libraries import optimizers, stax  # noqa: E402
from fnx.example_libraries.stax import Dense, LogSoftmax, Relu  # noqa: E402


def digits():
    """Flattened images and one-hot labels as numpy arrays, the layout of JAX's
    examples/datasets.mnist()."""
    train, test = jax.data.load_digits()

    def arrays(dataset):
        images, labels = dataset.arrays
        images = np.asarray(images).reshape(len(images), -1)
        return images, np.eye(10, dtype=np.float32)[np.asarray(labels)]
    return (*arrays(train), *arrays(test))


def loss(params, batch):
    inputs, targets = batch
    preds = predict(params, inputs)
    return -jnp.mean(jnp.sum(preds * targets, axis=1))


def accuracy(params, batch):
    inputs, targets = batch
    target_class = jnp.argmax(targets, axis=1)
    predicted_class = jnp.argmax(predict(params, inputs), axis=1)
    return jnp.mean(predicted_class == target_class)


init_random_params, predict = stax.serial(
    Dense(1024), Relu,
    Dense(1024), Relu,
    Dense(10), LogSoftmax)


def main(num_epochs=10, step_size=0.001, batch_size=128, verbose=True):
    rng = random.PRNGKey(0)

    train_images, train_labels, test_images, test_labels = digits()
    num_train = train_images.shape[0]
    num_complete_batches, leftover = divmod(num_train, batch_size)
    num_batches = num_complete_batches + bool(leftover)

    def data_stream():
        rng = npr.RandomState(0)
        while True:
            perm = rng.permutation(num_train)
            for i in range(num_batches):
                batch_idx = perm[i * batch_size:(i + 1) * batch_size]
                yield train_images[batch_idx], train_labels[batch_idx]
    batches = data_stream()

    opt_init, opt_update, get_params = optimizers.adam(step_size)

    @jit
    def update(i, opt_state, batch):
        params = get_params(opt_state)
        return opt_update(i, grad(loss)(params, batch), opt_state)

    _, init_params = init_random_params(rng, (-1, train_images.shape[1]))
    opt_state = opt_init(init_params)
    itercount = itertools.count()

    if verbose:
        print("\nStarting training...")
    for epoch in range(num_epochs):
        start_time = time.time()
        for _ in range(num_batches):
            opt_state = update(next(itercount), opt_state, next(batches))
        epoch_time = time.time() - start_time

        params = get_params(opt_state)
        train_acc = accuracy(params, (train_images, train_labels))
        test_acc = accuracy(params, (test_images, test_labels))
        if verbose:
            print(f"Epoch {epoch} in {epoch_time:0.2f} sec")
            print(f"Training set accuracy {train_acc}")
            print(f"Test set accuracy {test_acc}")
    return float(test_acc)


if __name__ == "__main__":
    main()
