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

__all__ = ["MultiHeadAttention", "TransformerBlock", "dot_product_attention",
           "scaled_dot_product_attention"]


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


def scaled_dot_product_attention(q, k, v, mask=None, *, causal: bool = False, dropout=None,
                                 key=None, train: bool = False):
    """``softmax(q k^T / sqrt(d) + mask) v`` on heads-first (batch, heads, seq, head_dim) arrays,
    PyTorch's layout; ``mask`` as for :class:`MultiHeadAttention` (True = may attend).
    (``dot_product_attention`` is jax.nn's, on (batch, seq, heads, head_dim) arrays.)

    >>> out = scaled_dot_product_attention(q, k, v, causal=True)
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


# -- jax.nn.dot_product_attention ------------------------------------------------------------

def _with_batch(x, name):
    """A (seq, heads, head_dim) or (batch, seq, heads, head_dim) operand as the 4-d form."""
    x = fnp.asarray(x)
    if x.ndim == 3:
        return x[None]
    if x.ndim != 4:
        raise shape_error("dot_product_attention", f"{name} must have shape (batch, seq, heads, "
                          "head_dim) or (seq, heads, head_dim)", x)
    return x


def _window_mask(t: int, s: int, local_window_size):
    """Query i may see keys j with i - left <= j <= i + right."""
    if isinstance(local_window_size, int):
        left = right = local_window_size
    else:
        left, right = local_window_size
    offset = fnp.arange(s)[None, :] - fnp.arange(t)[:, None]
    return (offset >= -left) & (offset <= right)


def _length_mask(lengths, size: int, name: str):
    """(batch, size): position < the example's length."""
    lengths = fnp.asarray(lengths)
    if lengths.ndim != 1 or not fnp.issubdtype(lengths.dtype, fnp.integer):
        raise shape_error("dot_product_attention", f"{name} must be a 1-d integer array of "
                          "per-example lengths", lengths)
    return fnp.arange(size)[None, :] < lengths[:, None]


def dot_product_attention(query, key, value, bias=None, mask=None, *, scale=None,
                          is_causal: bool = False, query_seq_lengths=None,
                          key_value_seq_lengths=None, local_window_size=None,
                          implementation=None):
    """Scaled dot-product attention as ``jax.nn.dot_product_attention``: ``query`` (B, T, N, H),
    ``key`` / ``value`` (B, S, K, H) with N a multiple of K (grouped-query attention), or all
    without the batch axis.  ``bias`` is added to the logits and ``mask`` (True = may attend)
    selects them, both broadcastable to (B, N, T, S); ``scale`` defaults to 1/sqrt(H);
    ``is_causal``, the per-example ``query_seq_lengths`` / ``key_value_seq_lengths`` and
    ``local_window_size`` (an int or a (left, right) pair) mask further.  Logits and softmax in
    float32 at least.  Returns (B, T, N, H) (or (T, N, H)).  ``implementation``: None / "xla"
    (fnx has one implementation; "cudnn" is refused as JAX refuses it without cuDNN)."""
    op = "dot_product_attention"
    if implementation not in (None, "xla"):
        raise InvalidArgumentError(f"{op}: implementation {implementation!r} is not available "
                                   "(fnx has one implementation: None / 'xla')")
    unbatched = fnp.asarray(query).ndim == 3
    q, k, v = (_with_batch(x, n) for x, n in ((query, "query"), (key, "key"), (value, "value")))
    b, t, n, h = q.shape
    s, kv_heads = k.shape[1], k.shape[2]
    if k.shape != v.shape or k.shape[0] != b or k.shape[3] != h or n % kv_heads:
        raise shape_error(op, "key and value must both be (B, S, K, H) with the query's B and H "
                          "and its heads N a multiple of K", q, k, v)
    for x in (q, k, v):
        if not fnp.issubdtype(x.dtype, fnp.floating):
            raise dtype_error(op, "query, key and value must be floating point", q, k, v)
    group = n // kv_heads
    # (B, T, N, H) -> (B, K, G, T, H): query heads grouped by the key/value head they share
    qg = fnp.transpose(fnp.reshape(q, (b, t, kv_heads, group, h)), (0, 2, 3, 1, 4))
    compute = fnp.promote_types(q.dtype, fnp.float32)
    logits = fnp.einsum("bkgth,bskh->bkgts", qg.astype(compute), k.astype(compute))
    logits = logits * (1.0 / math.sqrt(h) if scale is None else scale)
    logits = fnp.reshape(logits, (b, n, t, s))
    if bias is not None:
        logits = logits + fnp.asarray(bias).astype(compute)
    allowed = None if mask is None else fnp.broadcast_to(fnp.asarray(mask, bool), (b, n, t, s))
    extra = []
    if is_causal:
        extra.append((fnp.arange(s)[None, :] <= fnp.arange(t)[:, None])[None, None])
    if local_window_size is not None:
        extra.append(_window_mask(t, s, local_window_size)[None, None])
    if query_seq_lengths is not None:
        extra.append(_length_mask(query_seq_lengths, t, "query_seq_lengths")[:, None, :, None])
    if key_value_seq_lengths is not None:
        extra.append(_length_mask(key_value_seq_lengths, s,
                                  "key_value_seq_lengths")[:, None, None, :])
    for m in extra:
        allowed = m if allowed is None else allowed & m
    if allowed is not None:
        # a large negative value, not -inf: a row with every key masked averages uniformly
        lowest = float(np.finfo(np.dtype(compute)).min) * 0.7
        logits = fnp.where(allowed, logits, fnp.full_like(logits, lowest))
    weights = softmax(logits, axis=-1)
    weights = fnp.reshape(weights, (b, kv_heads, group, t, s))
    out = fnp.einsum("bkgts,bskh->btkgh", weights, v.astype(compute))
    out = fnp.reshape(out, (b, t, n, h)).astype(q.dtype)
    return out[0] if unbatched else out


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
        heads = scaled_dot_product_attention(
            self._heads(self.q_proj(q)), self._heads(self.k_proj(k)), self._heads(self.v_proj(v)),
            mask, causal=causal, dropout=self.dropout, key=key, train=train)
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
