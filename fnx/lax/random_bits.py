"""Counter-based random bits: the Threefry-2x32 block cipher (20 rounds) as a primitive.

``threefry2x32(k0, k1, x0, x1)`` encrypts the counter words ``(x0, x1)`` under the key
``(k0, k1)``, elementwise; all four operands are uint32 and each is either rank 0 or of the
common shape.  ``fnx.random`` builds every sampler on it (as JAX does): the bits of a key are a
pure function of the key and the counters, so sampling is deterministic, splittable and needs
no state.  The spec (rotations, key schedule) is in ``kernels/cpu/random.c``.
"""
from __future__ import annotations

from .. import dtypes
from ..core import Fusion, Primitive, ShapedArray, bind
from ..errors import dtype_error, shape_error
from ..interpreters import ad, batching
from ._util import as_operand

__all__ = ["threefry2x32", "threefry2x32_p"]

_NAMES = ("k0", "k1", "x0", "x1")

threefry2x32_p = Primitive("threefry2x32", multiple_results=True, fusion=Fusion.LIBRARY)


def _common_shape(*operands):
    """The shape of the non-scalar operands, which must agree (rank-0 operands broadcast)."""
    shapes = {tuple(x.shape) for x in operands if x.ndim}
    if len(shapes) > 1:
        raise shape_error("threefry2x32", "operands must be rank 0 or share one shape",
                          *operands)
    return shapes.pop() if shapes else ()


@threefry2x32_p.def_abstract_eval
def _threefry_abstract_eval(k0, k1, x0, x1):
    for name, x in zip(_NAMES, (k0, k1, x0, x1)):
        if x.dtype != dtypes.uint32:
            raise dtype_error("threefry2x32", f"operand {name} must be uint32, got {x.dtype}",
                              k0, k1, x0, x1)
    shape = _common_shape(k0, k1, x0, x1)
    return [ShapedArray(shape, dtypes.uint32, False)] * 2


# Integer outputs: nothing to differentiate (JAX gives integer results zero tangents too).
ad.defjvp_zero(threefry2x32_p)


def _threefry_batching_rule(axis_size, args, dims):
    # elementwise over operands that are rank 0 or of one shape, like a binary primitive
    ops, out_dim = batching.broadcast_operands(axis_size, args, dims, [True] * 4)
    return bind(threefry2x32_p, *ops), [out_dim, out_dim]


batching.batching_rules[threefry2x32_p] = _threefry_batching_rule


def threefry2x32(k0, k1, x0, x1):
    """Threefry-2x32-20 of the counters ``(x0, x1)`` under the key ``(k0, k1)``: two uint32
    arrays.  Operands are uint32, each rank 0 or of one common shape.

    >>> u32 = fnx.numpy.uint32
    >>> threefry2x32(*(fnx.numpy.zeros((), u32),) * 4)   # Random123's first known answer
    [Array(1797259609, dtype=uint32), Array(2579123966, dtype=uint32)]
    """
    ops = [as_operand(x) for x in (k0, k1, x0, x1)]
    _threefry_abstract_eval(*[x.aval for x in ops])  # eager binds skip the abstract eval
    return bind(threefry2x32_p, *ops)
