"""What the array backends share: the layout primitives and the index arithmetic around them.

Where padded elements land, how dot_general's operands are laid out for a (batch, m, k) @
(batch, k, n) kernel, how a reduction or a sort sees its operand as rows, and the impls of the
layout / data-movement primitives (transpose, reshape, broadcast_in_dim, slice, pad,
concatenate, ...).  Written once over whatever array type and copy kernels the caller passes,
so the CPU backend (numpy buffers, C kernels) and the CUDA backend (cupy buffers, CUDA kernels)
agree by construction: layout-only results are views of the operand's buffer, everything else
is one of the backend's copies.
"""
from __future__ import annotations

import math

import numpy as np

from ..lax import reduction as rd
from ..lax import shape as sh
from ..lax.shape import clamp_start_indices


def pad_placement(n: int, lo: int, interior: int, out_len: int):
    """Which input elements survive padding, and where they land.

    Input element j sits at ``lo + j*(interior+1)`` of the output; negative low/high padding
    crops.  Returns (first_j, stop_j, first_out, step)."""
    step = interior + 1
    first = 0 if lo >= 0 else min(n, (-lo + step - 1) // step)
    stop = max(first, min(n, (out_len - 1 - lo) // step + 1))
    return first, stop, lo + first * step, step


def pad_indices(in_shape, padding_config, out_shape):
    """(source index, destination index) tuples of slices: ``out[dst] = x[src]`` places the
    surviving input elements (the rest of ``out`` holds the padding value)."""
    src, dst = [], []
    for d, (lo, _, interior), out_len in zip(in_shape, padding_config, out_shape):
        first, stop, out_start, step = pad_placement(d, lo, interior, out_len)
        src.append(slice(first, stop))
        dst.append(slice(out_start, out_start + (stop - first - 1) * step + 1, step)
                   if stop > first else slice(0, 0))
    return tuple(src) + (Ellipsis,), tuple(dst) + (Ellipsis,)


def matmul_operands(lv, rv, dimension_numbers, contiguous):
    """dot_general's operands as contiguous (batch, m, k) and (batch, k, n) arrays, and
    (batch, m, k, n)."""
    (lc, rc), (lb, rb) = dimension_numbers
    lfree = [i for i in range(lv.ndim) if i not in lc and i not in lb]
    rfree = [i for i in range(rv.ndim) if i not in rc and i not in rb]
    batch = math.prod(lv.shape[i] for i in lb)
    m = math.prod(lv.shape[i] for i in lfree)
    k = math.prod(lv.shape[i] for i in lc)
    n = math.prod(rv.shape[i] for i in rfree)
    a = contiguous(lv.transpose(list(lb) + lfree + list(lc))).reshape(batch, m, k)
    b = contiguous(rv.transpose(list(rb) + list(rc) + rfree)).reshape(batch, k, n)
    return a, b, (batch, m, k, n)


def sort_on_rows(values, dimension: int, num_keys: int, contiguous, argsort_rows, take_rows):
    """Sort the arrays ``values`` together along ``dimension``, lexicographically by the first
    ``num_keys`` of them: each moved to (rows, n), a stable argsort by the last key, stable
    re-sorts by each earlier key, every array gathered by the final permutation and moved
    back.  ``argsort_rows(keys)`` / ``take_rows(v, perm)`` are the backend's row kernels."""
    ndim = values[0].ndim
    order = [i for i in range(ndim) if i != dimension] + [dimension]
    inverse = [order.index(i) for i in range(ndim)]
    moved_shape = [values[0].shape[i] for i in order]
    n = moved_shape[-1]
    rows = [contiguous(v.transpose(order)).reshape(-1, n) for v in values]
    perm = argsort_rows(rows[num_keys - 1])
    for k in range(num_keys - 2, -1, -1):
        perm = take_rows(perm, argsort_rows(take_rows(rows[k], perm)))
    return [take_rows(row, perm).reshape(moved_shape).transpose(inverse) for row in rows]


def outer_n_inner(v, axes: tuple, contiguous):
    """A C-contiguous array and (outer, n, inner) such that reducing ``axes`` of ``v`` is
    reducing the middle axis.  Copies (``contiguous``) only when the reduced axes are not one
    block, or ``v`` is strided."""
    shape = v.shape
    if axes == tuple(range(axes[0], axes[-1] + 1)):
        return (contiguous(v), math.prod(shape[:axes[0]]),
                math.prod(shape[axes[0]:axes[-1] + 1]), math.prod(shape[axes[-1] + 1:]))
    kept = [i for i in range(v.ndim) if i not in axes]
    moved = contiguous(v.transpose(kept + list(axes)))
    return moved, math.prod(shape[i] for i in kept), math.prod(shape[i] for i in axes), 1


_INDEX_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))


def index_rows(v, nb: int, convert, contiguous):
    """gather / scatter indices as a C-contiguous (nb, ni) int32 or int64 array (narrower
    integers converted to int64 by the backend's ``convert``)."""
    if v.dtype not in _INDEX_DTYPES:
        v = convert(v, np.int64)
    v = contiguous(v)
    return v.reshape(nb, -1) if nb else v.reshape(0, 0)


def sort_impl(*, wrap, contiguous, contiguous_copy, argsort_rows, take_rows):
    """The ``sort`` impl over a backend's row kernels (see ``sort_on_rows``)."""
    def impl(*operands, dimension, is_stable, num_keys):
        avals = rd.sort_p.abstract_eval(*operands, dimension=dimension, is_stable=is_stable,
                                        num_keys=num_keys)
        if operands[0].size == 0:
            return [wrap(contiguous_copy(o._value), a.weak_type) for o, a in zip(operands, avals)]
        outs = sort_on_rows([o._value for o in operands], dimension, num_keys, contiguous,
                            argsort_rows, take_rows)
        return [wrap(v, a.weak_type) for v, a in zip(outs, avals)]
    return impl


# ---------------------------------------------------------------------------------------------
# The layout primitives
# ---------------------------------------------------------------------------------------------


def layout_impls(*, wrap, empty, contiguous, contiguous_copy, copy_into, fill, broadcast):
    """``{primitive name: impl}`` of the layout primitives for one backend, given its array
    constructor and copies: ``wrap(value, weak_type)`` makes the backend's Array;
    ``empty(shape, dtype)``; ``contiguous(v)`` (``v`` itself when already C-contiguous) and
    ``contiguous_copy(v)`` (always a fresh buffer); ``copy_into(dst, src)`` for a strided
    ``dst`` view; ``fill(out, value)`` with a 0-d value; ``broadcast(v, expanded, shape)`` of
    ``v`` reshaped to ``expanded`` (1 where broadcast_in_dim adds a dimension) to ``shape``.

    Each impl runs the primitive's abstract eval first (fnx's shape errors), then returns a
    view of its operand where the layout allows one."""

    def broadcast_in_dim(x, *, shape, broadcast_dimensions):
        sh.broadcast_in_dim_p.abstract_eval(x, shape=shape,
                                            broadcast_dimensions=broadcast_dimensions)
        expanded = [1] * len(shape)
        for d, od in zip(x.shape, broadcast_dimensions):
            expanded[od] = d
        return wrap(broadcast(x._value, expanded, shape), x.weak_type)

    def reshape(x, *, new_sizes):
        sh.reshape_p.abstract_eval(x, new_sizes=new_sizes)
        return wrap(contiguous(x._value).reshape(new_sizes), x.weak_type)

    def transpose(x, *, permutation):
        sh.transpose_p.abstract_eval(x, permutation=permutation)
        return wrap(x._value.transpose(permutation), x.weak_type)

    def squeeze(x, *, dimensions):
        aval = sh.squeeze_p.abstract_eval(x, dimensions=dimensions)
        return wrap(x._value.reshape(aval.shape), x.weak_type)  # dropping 1-dims: a view

    def expand_dims(x, *, dimensions):
        aval = sh.expand_dims_p.abstract_eval(x, dimensions=dimensions)
        return wrap(x._value.reshape(aval.shape), x.weak_type)  # adding 1-dims: a view

    def rev(x, *, dimensions):
        index = tuple(slice(None, None, -1) if i in dimensions else slice(None)
                      for i in range(x.ndim))
        return wrap(x._value[index + (Ellipsis,)], x.weak_type)  # `...` keeps 0-d an array

    def slice_(x, *, start_indices, limit_indices, strides):
        sh.slice_p.abstract_eval(x, start_indices=start_indices, limit_indices=limit_indices,
                                 strides=strides)
        index = tuple(slice(a, b, s) for a, b, s in zip(start_indices, limit_indices, strides))
        return wrap(x._value[index + (Ellipsis,)], x.weak_type)

    def dynamic_slice(x, *starts, slice_sizes):
        sh.dynamic_slice_p.abstract_eval(x, *starts, slice_sizes=slice_sizes)
        begin = clamp_start_indices(_start_values(starts), x.shape, slice_sizes)
        index = tuple(slice(b, b + n) for b, n in zip(begin, slice_sizes))
        return wrap(x._value[index + (Ellipsis,)], x.weak_type)

    def dynamic_update_slice(x, update, *starts):
        aval = sh.dynamic_update_slice_p.abstract_eval(x, update, *starts)
        out = contiguous_copy(x._value)
        begin = clamp_start_indices(_start_values(starts), x.shape, update.shape)
        index = tuple(slice(b, b + n) for b, n in zip(begin, update.shape))
        copy_into(out[index + (Ellipsis,)], update._value)
        return wrap(out, aval.weak_type)

    def concatenate(*xs, dimension):
        aval = sh.concatenate_p.abstract_eval(*xs, dimension=dimension)
        out = empty(aval.shape, aval.dtype)
        offset = 0
        lead = (slice(None),) * dimension
        for x in xs:
            n = x.shape[dimension]
            copy_into(out[lead + (slice(offset, offset + n),)], x._value)
            offset += n
        return wrap(out, aval.weak_type)

    def pad(x, padding_value, *, padding_config):
        aval = sh.pad_p.abstract_eval(x, padding_value, padding_config=padding_config)
        out = empty(aval.shape, aval.dtype)
        fill(out, padding_value._value)
        src_index, dst_index = pad_indices(x.shape, padding_config, aval.shape)
        src = x._value[src_index]
        if src.size:
            copy_into(out[dst_index], src)
        return wrap(out, aval.weak_type)

    return {"broadcast_in_dim": broadcast_in_dim, "reshape": reshape, "transpose": transpose,
            "squeeze": squeeze, "expand_dims": expand_dims, "rev": rev, "slice": slice_,
            "dynamic_slice": dynamic_slice, "dynamic_update_slice": dynamic_update_slice,
            "concatenate": concatenate, "pad": pad}


def _start_values(starts) -> list[int]:
    """dynamic_slice's start operands (0-d arrays) as Python ints."""
    return [int(s._value) for s in starts]
