"""fnx.nn: neural-network layers as immutable pytrees (equinox style), activations, losses, initializers
(``nn.init``: PyTorch's conventions; ``nn.initializers``: jax.nn.initializers').

Conventions (used by every layer):

* A layer is an ``nn.Module``: a pytree whose array fields are its parameters, so
  ``fnx.grad(loss)(model, x, y)`` returns a model-shaped gradient and ``fnx.tree.map`` / ``fnx.optim``
  act on models directly. Modules are immutable; ``layer.replace(weight=w)`` returns a modified copy.
* Constructors take sizes and a PRNG ``key=``; default initializations are PyTorch's.
* Layers act on **batches** (a leading batch axis; PyTorch layouts, NCHW images, (seq, batch, feature)
  recurrent input), so no vmap is needed: ``y = layer(x, *, key=None, train=False)``.
* Randomness (Dropout) needs ``key`` in train mode; eval mode (``train=False``) is deterministic.
* Stateful layers (BatchNorm) take and return their state: ``state = nn.init_state(model)``;
  ``y, state = model(x, state, key=key, train=True)``.

>>> import fnx, fnx.nn as nn
>>> k1, k2 = fnx.random.split(fnx.random.PRNGKey(0))
>>> mlp = nn.Sequential(nn.Linear(4, 32, key=k1), nn.relu, nn.Linear(32, 3, key=k2))
>>> loss = lambda m, x, y: nn.softmax_cross_entropy(m(x), y)
>>> grads = fnx.grad(loss)(mlp, x, y)          # an nn.Sequential holding the gradients
"""
from . import functional, init, initializers
from .attention import (MultiHeadAttention, TransformerBlock, dot_product_attention,
                        scaled_dot_product_attention)
from .functional import (binary_cross_entropy_with_logits, gelu, leaky_relu, log_softmax, logsumexp,
                         mse_loss, nll_loss, one_hot, relu, sigmoid, sigmoid_binary_cross_entropy,
                         silu, softmax, softmax_cross_entropy,
                         softmax_cross_entropy_with_integer_labels, softplus, swish, tanh,
                         elu, celu, selu, glu, relu6, hard_tanh, hard_sigmoid, hard_silu,
                         hard_swish, log_sigmoid, soft_sign, standardize,
                         sparse_plus, sparse_sigmoid, squareplus, mish, identity, logmeanexp,
                         log1mexp)
from .layers import (AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d, Dropout, Embedding,
                     Flatten, Identity, LayerNorm, Linear, MaxPool2d)
from .module import (Lambda, Module, Residual, Sequential, count_params, init_state, is_stateful,
                     summary)
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

__all__ = [
    # modules and containers
    "Module", "Sequential", "Residual", "Lambda", "init_state", "is_stateful", "count_params",
    "summary",
    # layers
    "Linear", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d",
    "LayerNorm", "Dropout", "Embedding", "Flatten", "Identity",
    "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU",
    "MultiHeadAttention", "TransformerBlock", "dot_product_attention",
    "scaled_dot_product_attention",
    # functional
    "relu", "leaky_relu", "gelu", "silu", "swish", "softplus", "sigmoid", "tanh", "softmax",
    "log_softmax", "logsumexp", "one_hot", "softmax_cross_entropy",
    "softmax_cross_entropy_with_integer_labels", "mse_loss", "binary_cross_entropy_with_logits",
    "sigmoid_binary_cross_entropy", "nll_loss", "elu", "celu", "selu", "glu", "relu6",
    "hard_tanh", "hard_sigmoid", "hard_silu", "hard_swish", "log_sigmoid", "soft_sign",
    "standardize", "sparse_plus", "sparse_sigmoid", "squareplus", "mish", "identity",
    "logmeanexp", "log1mexp",
    # submodules
    "functional", "init", "initializers",
]
