"""Recurrent layers: RNN / LSTM / GRU cells and multi-layer sequence layers built on ``lax.scan``.

Cells act on one time step of a batch: ``h = cell(x_t, h)`` with ``x_t`` of shape (batch, input_size)
(an LSTM's carry is ``(h, c)``). Sequence layers take (seq_len, batch, features) input (PyTorch's
default layout; ``batch_first=True`` for (batch, seq_len, features)) and return ``(outputs,
final_carry)`` with the final carry stacked over layers: ``h_n`` of shape (num_layers, batch, hidden),
an LSTM's ``(h_n, c_n)``. Gate order and initialization (uniform(+-1/sqrt(hidden))) are PyTorch's.
"""
from __future__ import annotations

import math

from .. import lax
from .. import numpy as fnp
from .. import random
from ..errors import InvalidArgumentError, shape_error
from . import init as initializers
from .functional import sigmoid
from .module import Module

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU"]


class _Cell(Module):
    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, use_bias: bool = True, *, key,
                 dtype=fnp.float32):
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        g = self._gates * hidden_size
        bound = 1.0 / math.sqrt(hidden_size)
        k1, k2, k3, k4 = random.split(key, 4)
        u = lambda k, shape: initializers.uniform(k, shape, dtype, minval=-bound, maxval=bound)
        self.weight_ih = u(k1, (g, input_size))
        self.weight_hh = u(k2, (g, hidden_size))
        self.bias_ih = u(k3, (g,)) if use_bias else None
        self.bias_hh = u(k4, (g,)) if use_bias else None

    def _check(self, x, carry):
        name = type(self).__name__
        if x.ndim != 2 or x.shape[1] != self.input_size:
            raise shape_error(name, f"expects x_t of shape (batch, {self.input_size})", x)
        self._check_carry(name, x.shape[0], carry, x)

    def _check_carry(self, name, batch, carry, x):
        parts = carry if isinstance(carry, tuple) else (carry,)
        for h in parts:
            if tuple(fnp.shape(h)) != (batch, self.hidden_size):
                raise shape_error(name, f"expects a hidden state of shape ({batch}, "
                                  f"{self.hidden_size})", x, *parts)

    def _input_projection(self, x):
        """``x W_ih^T + b_ih`` for all gates, over any leading axes: a sequence layer projects
        every time step at once (one large matmul, and one in the backward pass, instead of one
        small one per step inside the scan)."""
        gi = fnp.matmul(x, fnp.transpose(self.weight_ih))
        return gi if self.bias_ih is None else gi + self.bias_ih

    def _hidden_projection(self, h, weight_hh_t):
        """``h W_hh^T + b_hh`` given ``weight_hh_t = W_hh^T``, which a sequence layer transposes
        once before its scan: transposed inside the loop body, the transpose is redone every step
        and saved for the backward pass once per step (fnx's scan does not hoist loop-invariant
        residuals), which made an LSTM's gradient about 1.6x slower."""
        gh = fnp.matmul(h, weight_hh_t)
        return gh if self.bias_hh is None else gh + self.bias_hh

    def __call__(self, x, carry, *, key=None, train=False):
        x = fnp.asarray(x)
        carry = tuple(map(fnp.asarray, carry)) if isinstance(carry, tuple) else fnp.asarray(carry)
        self._check(x, carry)
        return self._step(self._input_projection(x), carry, fnp.transpose(self.weight_hh))

    def initial_carry(self, batch: int):
        """Zeros of the carry's shape for a batch of ``batch``."""
        return fnp.zeros((batch, self.hidden_size), self.weight_ih.dtype)


class RNNCell(_Cell):
    """Elman cell: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).

    >>> cell = nn.RNNCell(3, 5, key=k)
    >>> cell(fnx.numpy.ones((2, 3)), fnx.numpy.zeros((2, 5))).shape
    (2, 5)
    """

    def __init__(self, input_size: int, hidden_size: int, use_bias: bool = True,
                 nonlinearity: str = "tanh", *, key, dtype=fnp.float32):
        if nonlinearity not in ("tanh", "relu"):
            raise InvalidArgumentError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got "
                                       f"{nonlinearity!r}")
        super().__init__(input_size, hidden_size, use_bias, key=key, dtype=dtype)
        self.nonlinearity = nonlinearity

    def _step(self, gi, h, weight_hh_t):
        """One step from the input projection ``gi`` of x_t (and ``W_hh^T``)."""
        pre = gi + self._hidden_projection(h, weight_hh_t)
        return fnp.tanh(pre) if self.nonlinearity == "tanh" else fnp.maximum(pre, 0.0)


class LSTMCell(_Cell):
    """LSTM cell with carry ``(h, c)``; gates in PyTorch's order (input, forget, cell, output):
    ``c' = f * c + i * g``, ``h' = o * tanh(c')``.

    >>> h, c = nn.LSTMCell(3, 5, key=k)(x_t, (h, c))
    """
    _gates = 4

    def initial_carry(self, batch: int):
        z = super().initial_carry(batch)
        return (z, z)

    def __call__(self, x, carry, *, key=None, train=False):
        if not isinstance(carry, tuple) or len(carry) != 2:
            raise InvalidArgumentError("LSTMCell: the carry must be a tuple (h, c)")
        return super().__call__(x, carry, key=key, train=train)

    def _step(self, gi, carry, weight_hh_t):
        h, c = carry
        i, f, g, o = fnp.split(gi + self._hidden_projection(h, weight_hh_t), 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * fnp.tanh(g)
        return sigmoid(o) * fnp.tanh(c), c


class GRUCell(_Cell):
    """GRU cell (PyTorch's gates: reset, update, new):
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``.

    >>> h = nn.GRUCell(3, 5, key=k)(x_t, h)
    """
    _gates = 3

    def _step(self, gi, h, weight_hh_t):
        gh = self._hidden_projection(h, weight_hh_t)
        ir, iz, in_ = fnp.split(gi, 3, axis=-1)
        hr, hz, hn = fnp.split(gh, 3, axis=-1)
        r, z = sigmoid(ir + hr), sigmoid(iz + hz)
        n = fnp.tanh(in_ + r * hn)
        return (1.0 - z) * n + z * h


class _Sequence(Module):
    _cell = None

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 use_bias: bool = True, batch_first: bool = False, *, key, dtype=fnp.float32,
                 **cell_kwargs):
        if num_layers < 1:
            raise InvalidArgumentError(f"{type(self).__name__}: num_layers must be >= 1, got "
                                       f"{num_layers}")
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.num_layers, self.batch_first = int(num_layers), bool(batch_first)
        keys = random.split(key, num_layers)
        self.cells = [type(self)._cell(input_size if i == 0 else hidden_size, hidden_size,
                                       use_bias, key=keys[i], dtype=dtype, **cell_kwargs)
                      for i in range(num_layers)]

    def _initial(self, batch):
        return [c.initial_carry(batch) for c in self.cells]

    def _unstack(self, carry0):
        """Per-layer carries from the user's stacked (num_layers, batch, hidden) initial state."""
        return [carry0[i] for i in range(self.num_layers)]

    def _stack(self, carries):
        return fnp.stack(carries)

    def __call__(self, xs, carry0=None, *, key=None, train=False):
        name = type(self).__name__
        xs = fnp.asarray(xs)
        if xs.ndim != 3 or xs.shape[-1] != self.input_size:
            layout = "(batch, seq_len, " if self.batch_first else "(seq_len, batch, "
            raise shape_error(name, f"expects input of shape {layout}{self.input_size})", xs)
        if self.batch_first:
            xs = fnp.swapaxes(xs, 0, 1)
        carries = self._initial(xs.shape[1]) if carry0 is None else self._unstack(carry0)
        finals = []
        for cell, carry in zip(self.cells, carries):
            carry = tuple(map(fnp.asarray, carry)) if isinstance(carry, tuple) else \
                fnp.asarray(carry)
            cell._check_carry(name, xs.shape[1], carry, xs)

            weight_hh_t = fnp.transpose(cell.weight_hh)      # once, outside the loop

            def step(c, gi_t, cell=cell, weight_hh_t=weight_hh_t):
                c = cell._step(gi_t, c, weight_hh_t)
                return c, (c[0] if isinstance(c, tuple) else c)
            # the input projections of all steps at once, outside the sequential loop
            carry, xs = lax.scan(step, carry, cell._input_projection(xs))
            finals.append(carry)
        if self.batch_first:
            xs = fnp.swapaxes(xs, 0, 1)
        return xs, self._stack(finals)


class RNN(_Sequence):
    """Multi-layer Elman RNN over (seq_len, batch, input_size): ``outputs, h_n = rnn(xs, h0=None)``
    with ``h_n`` of shape (num_layers, batch, hidden_size).

    >>> rnn = nn.RNN(3, 8, num_layers=2, key=k)
    >>> ys, h_n = rnn(fnx.numpy.ones((10, 4, 3)))
    """
    _cell = RNNCell

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 use_bias: bool = True, batch_first: bool = False, nonlinearity: str = "tanh", *,
                 key, dtype=fnp.float32):
        super().__init__(input_size, hidden_size, num_layers, use_bias, batch_first, key=key,
                         dtype=dtype, nonlinearity=nonlinearity)


class GRU(_Sequence):
    """Multi-layer GRU: ``outputs, h_n = gru(xs, h0=None)``. ``nn.GRU(3, 8, 2, key=k)``"""
    _cell = GRUCell


class LSTM(_Sequence):
    """Multi-layer LSTM: ``outputs, (h_n, c_n) = lstm(xs, (h0, c0))`` with h_n, c_n of shape
    (num_layers, batch, hidden_size).

    >>> ys, (h_n, c_n) = nn.LSTM(3, 8, key=k)(fnx.numpy.ones((10, 4, 3)))
    """
    _cell = LSTMCell

    def _unstack(self, carry0):
        h0, c0 = carry0
        return [(h0[i], c0[i]) for i in range(self.num_layers)]

    def _stack(self, carries):
        return fnp.stack([h for h, _ in carries]), fnp.stack([c for _, c in carries])
