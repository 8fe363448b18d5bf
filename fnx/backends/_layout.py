"""Index arithmetic the backends share: where padded elements land, how dot_general's operands
are laid out for a (batch, m, k) @ (batch, k, n) kernel, how a sort runs on rows.  Pure
Python over shapes plus calls into whatever array type and kernels the caller passes, so the
CPU backend (numpy buffers, C kernels) and the CUDA backend (cupy buffers, CUDA kernels) agree
by construction."""
from __future__ import annotations

import math


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
