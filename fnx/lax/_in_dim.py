"""jax.lax's one-axis slicing helpers (``slice_in_dim`` lives in ``shape``): each is the
multi-axis primitive with the other axes taken whole, so they trace, differentiate and batch
as ``slice`` / ``dynamic_slice`` / ``dynamic_update_slice`` do."""
from __future__ import annotations

import operator

from ..errors import AxisError
from ._util import as_operand
from .shape import dynamic_slice, dynamic_update_slice, expand_dims, slice_in_dim, squeeze

__all__ = ["index_in_dim", "dynamic_slice_in_dim", "dynamic_index_in_dim",
           "dynamic_update_slice_in_dim", "dynamic_update_index_in_dim"]


def _axis(name, axis, ndim):
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise AxisError(f"{name}: axis {axis} is out of bounds for an operand of rank {ndim}")
    return axis % ndim


def index_in_dim(operand, index, axis=0, keepdims=True):
    """``operand[..., index, ...]`` along ``axis`` (a static index; negative counts from the
    end), keeping the axis as size 1 unless ``keepdims=False``."""
    x = as_operand(operand)
    axis = _axis("index_in_dim", axis, x.ndim)
    n = x.shape[axis]
    index = operator.index(index)
    if not -n <= index < n:
        raise IndexError(f"index_in_dim: index {index} is out of bounds for axis {axis} of "
                         f"size {n}")
    index %= n
    out = slice_in_dim(x, index, index + 1, 1, axis)
    return out if keepdims else squeeze(out, (axis,))


def dynamic_slice_in_dim(operand, start_index, slice_size, axis=0):
    """``slice_size`` elements from a (possibly traced) ``start_index`` along ``axis``, clamped
    to fit as ``dynamic_slice`` is."""
    x = as_operand(operand)
    axis = _axis("dynamic_slice_in_dim", axis, x.ndim)
    starts = [0] * x.ndim
    starts[axis] = start_index
    sizes = list(x.shape)
    sizes[axis] = operator.index(slice_size)
    return dynamic_slice(x, starts, sizes)


def dynamic_index_in_dim(operand, index, axis=0, keepdims=True):
    """The element at a (possibly traced) ``index`` along ``axis`` (clamped into range)."""
    x = as_operand(operand)
    axis = _axis("dynamic_index_in_dim", axis, x.ndim)
    out = dynamic_slice_in_dim(x, index, 1, axis)
    return out if keepdims else squeeze(out, (axis,))


def dynamic_update_slice_in_dim(operand, update, start_index, axis):
    """``operand`` with ``update`` written from a (possibly traced) ``start_index`` along
    ``axis`` (clamped to fit); ``update`` has ``operand``'s rank."""
    x = as_operand(operand)
    axis = _axis("dynamic_update_slice_in_dim", axis, x.ndim)
    starts = [0] * x.ndim
    starts[axis] = start_index
    return dynamic_update_slice(x, update, starts)


def dynamic_update_index_in_dim(operand, update, index, axis):
    """``operand`` with the slice at ``index`` along ``axis`` replaced by ``update`` (of
    ``operand``'s rank with a size-1 ``axis``, or of rank one less)."""
    x = as_operand(operand)
    axis = _axis("dynamic_update_index_in_dim", axis, x.ndim)
    u = as_operand(update)
    if u.ndim == x.ndim - 1:
        u = expand_dims(u, (axis,))
    return dynamic_update_slice_in_dim(x, u, index, axis)
