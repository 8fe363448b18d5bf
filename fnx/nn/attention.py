"""Multi-head attention and a pre-norm Transformer block, on (batch, seq, embed) input.

Masks are boolean with **True = may attend** (the JAX/flax/equinox convention; note PyTorch's
``key_padding_mask`` is the opposite): a (batch, seq_k) key-padding mask, or a (batch, seq_q, seq_k)
/ (batch, heads, seq_q, seq_k) attention mask; ``causal=True`` adds "query i sees keys j <= i".
Masked scores are set to the dtype's most negative finite value rather than -inf, so a query whose
keys are all masked gets a uniform average instead of NaN.
"""
from __future__ import annotations

import math

import numpy as np

from .. import numpy as fnp
from .. import random
from ..errors import InvalidArgumentError, dtype_error, shape_error
from . import init as initializers
from .functional import gelu, softmax
from .layers import Dropout, LayerNorm, Linear
from .module import Module

__all__ = ["MultiHeadAttention", "TransformerBlock", "dot_product_attention"]


def _split_key(key, n):
    if key is None:
        return [None] * n
    return list(random.split(key, n))


def _broadcast_mask(mask, b, tq, tk):
    """A user mask as (batch or 1, heads or 1, seq_q, seq_k) booleans."""
    op = "MultiHeadAttention"
    mask = fnp.asarray(mask)
    if mask.dtype != np.bool_:
        raise dtype_error(op, "mask must be boolean (True = may attend)", mask)
    if mask.ndim == 2:
        if tuple(mask.shape) != (b, tk):
            raise shape_error(op, f"a 2-d mask is a key-padding mask of shape (batch, seq_k) = "
                              f"({b}, {tk})", mask)
        return mask[:, None, None, :]
    if mask.ndim == 3:
        if tuple(mask.shape[1:]) != (tq, tk):
            raise shape_error(op, f"a 3-d mask has shape (batch, seq_q, seq_k) = ({b}, {tq}, {tk})",
                              mask)
        return mask[:, None, :, :]
    if mask.ndim == 4:
        return mask
    raise shape_error(op, "mask must have rank 2 (key padding), 3 or 4", mask)


def dot_product_attention(q, k, v, mask=None, *, causal: bool = False, dropout=None, key=None,
                          train: bool = False):
    """``softmax(q k^T / sqrt(d) + mask) v`` on (batch, heads, seq, head_dim) arrays; ``mask`` as
    for :class:`MultiHeadAttention` (True = may attend).

    >>> out = dot_product_attention(q, k, v, causal=True)
    """
    d = q.shape[-1]
    scores = fnp.matmul(q, fnp.swapaxes(k, -1, -2)) * (1.0 / math.sqrt(d))
    tq, tk = scores.shape[-2], scores.shape[-1]
    allowed = None
    if mask is not None:
        allowed = _broadcast_mask(mask, q.shape[0], tq, tk)
    if causal:
        tri = fnp.arange(tk)[None, :] <= fnp.arange(tq)[:, None]
        allowed = tri if allowed is None else fnp.logical_and(allowed, tri)
    if allowed is not None:
        lowest = float(np.finfo(np.dtype(scores.dtype)).min)
        scores = fnp.where(allowed, scores, fnp.full_like(scores, lowest))
    weights = softmax(scores, axis=-1)
    if dropout is not None:
        weights = dropout(weights, key=key, train=train)
    return fnp.matmul(weights, v)


class MultiHeadAttention(Module):
    """Multi-head attention: ``mha(q, k, v, mask=None, *, causal=False, key=None, train=False)`` on
    (batch, seq, embed_dim) arrays; ``dropout`` applies to the attention weights in train mode.
    Projections are ``nn.Linear`` layers (q_proj, k_proj, v_proj, out_proj) initialized as PyTorch's
    ``nn.MultiheadAttention`` (xavier-uniform input projections, zero biases).

    >>> mha = nn.MultiHeadAttention(16, 4, key=k)
    >>> mha(x, x, x, causal=True).shape      # x: (2, 10, 16)
    (2, 10, 16)
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0,
                 use_bias: bool = True, *, key, dtype=fnp.float32):
        if embed_dim % num_heads:
            raise InvalidArgumentError(f"MultiHeadAttention: embed_dim={embed_dim} must be "
                                       f"divisible by num_heads={num_heads}")
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        kq, kk, kv, ko = _split_key(key, 4)
        # PyTorch draws the packed (3E, E) in-projection with xavier_uniform: fans (E, 3E)
        bound = math.sqrt(6.0 / (4 * embed_dim))

        def proj(k):
            lin = Linear(embed_dim, embed_dim, use_bias, key=k, dtype=dtype)
            w = initializers.uniform(k, (embed_dim, embed_dim), dtype, minval=-bound, maxval=bound)
            return lin.replace(weight=w, bias=None if lin.bias is None else fnp.zeros_like(lin.bias))

        self.q_proj, self.k_proj, self.v_proj = proj(kq), proj(kk), proj(kv)
        out = Linear(embed_dim, embed_dim, use_bias, key=ko, dtype=dtype)
        self.out_proj = out.replace(bias=None if out.bias is None else fnp.zeros_like(out.bias))
        self.dropout = Dropout(dropout)

    def _heads(self, x):
        b, t, _ = x.shape
        return fnp.transpose(fnp.reshape(x, (b, t, self.num_heads, -1)), (0, 2, 1, 3))

    def __call__(self, q, k, v, mask=None, *, causal: bool = False, key=None, train: bool = False):
        q, k, v = fnp.asarray(q), fnp.asarray(k), fnp.asarray(v)
        e = self.embed_dim
        for name, a in (("query", q), ("key", k), ("value", v)):
            if a.ndim != 3 or a.shape[-1] != e:
                raise shape_error("MultiHeadAttention", f"expects {name} of shape (batch, seq, {e})",
                                  q, k, v)
        if k.shape[:2] != v.shape[:2] or k.shape[0] != q.shape[0]:
            raise shape_error("MultiHeadAttention", "query/key/value batch sizes and key/value "
                              "lengths must agree", q, k, v)
        heads = dot_product_attention(self._heads(self.q_proj(q)), self._heads(self.k_proj(k)),
                                      self._heads(self.v_proj(v)), mask, causal=causal,
                                      dropout=self.dropout, key=key, train=train)
        b, _, t, _ = heads.shape
        return self.out_proj(fnp.reshape(fnp.transpose(heads, (0, 2, 1, 3)), (b, t, e)))


class TransformerBlock(Module):
    """Pre-norm Transformer encoder block::

        h = x + dropout(attn(ln1(x)))
        y = h + dropout(mlp(ln2(h)))        # mlp: Linear -> gelu -> dropout -> Linear

    >>> block = nn.TransformerBlock(16, 4, 64, dropout=0.1, key=k)
    >>> y = block(x, mask, causal=True, key=k2, train=True)
    """

    def __init__(self, embed_dim: int, num_heads: int, mlp_dim: int, dropout: float = 0.0, *,
                 key, dtype=fnp.float32):
        ka, k1, k2 = _split_key(key, 3)
        self.ln1 = LayerNorm(embed_dim, dtype=dtype)
        self.attn = MultiHeadAttention(embed_dim, num_heads, dropout, key=ka, dtype=dtype)
        self.ln2 = LayerNorm(embed_dim, dtype=dtype)
        self.mlp_in = Linear(embed_dim, mlp_dim, key=k1, dtype=dtype)
        self.mlp_out = Linear(mlp_dim, embed_dim, key=k2, dtype=dtype)
        self.dropout = Dropout(dropout)

    def __call__(self, x, mask=None, *, causal: bool = False, key=None, train: bool = False):
        ka, kd1, kd2, kd3 = _split_key(key, 4)
        h = self.ln1(x)
        x = x + self.dropout(self.attn(h, h, h, mask, causal=causal, key=ka, train=train),
                             key=kd1, train=train)
        h = self.dropout(gelu(self.mlp_in(self.ln2(x))), key=kd2, train=train)
        return x + self.dropout(self.mlp_out(h), key=kd3, train=train)
