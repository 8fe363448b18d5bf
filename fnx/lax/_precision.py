"""``lax.Precision`` and the ``precision=`` / ``preferred_element_type=`` keywords of the
contractions (``dot``, ``dot_general``, the convolutions, and fnx.numpy's products).

Why ``precision`` is validated and then ignored: on accelerators it trades float32 accuracy for
speed (bfloat16 passes, tensorfloat32).  fnx's kernels always compute a float32 contraction in
float32 (and float64 in float64), which is what ``Precision.HIGHEST`` asks for, so every
precision gives the same, most accurate, result.  It is still checked, so a typo fails here as
it would in JAX.

``preferred_element_type`` changes the result: the operands are converted to it (integer
operands accumulate in the wider integer, float32 operands with ``float64`` compute in float64)
before the contraction.  A dtype the kernels cannot contract in (int8, uint8, uint32) is
computed in int64 and wrapped back, which is the same modular result.
"""
from __future__ import annotations

import enum
from typing import Union

from .. import dtypes
from ..errors import DTypeError, InvalidArgumentError
from .elementwise import convert_element_type

__all__ = ["Precision", "PrecisionLike", "DotDimensionNumbers", "canonicalize_precision"]


class Precision(enum.Enum):
    """Precision of a float32 contraction (``jax.lax.Precision``): DEFAULT ('default',
    'fastest', 'bfloat16'), HIGH ('high', 'bfloat16_3x', 'tensorfloat32') or HIGHEST
    ('highest', 'float32').  fnx computes every one as HIGHEST (module docstring)."""

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    @classmethod
    def _missing_(cls, value):
        return _PRECISION_STRINGS.get(value)

    def __repr__(self) -> str:
        return f"Precision.{self.name}"

    def __str__(self) -> str:
        return self.name


_PRECISION_STRINGS = {
    "highest": Precision.HIGHEST, "float32": Precision.HIGHEST,
    "high": Precision.HIGH, "bfloat16_3x": Precision.HIGH, "tensorfloat32": Precision.HIGH,
    "default": Precision.DEFAULT, "bfloat16": Precision.DEFAULT, "fastest": Precision.DEFAULT,
}

PrecisionLike = Union[None, str, Precision, tuple]
DotDimensionNumbers = tuple  # ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch))


def _one_precision(p, op: str) -> Precision:
    if isinstance(p, Precision):
        return p
    if isinstance(p, str) and p in _PRECISION_STRINGS:
        return _PRECISION_STRINGS[p]
    raise InvalidArgumentError(
        f"{op}: precision must be None, a lax.Precision, one of the strings "
        f"{sorted(_PRECISION_STRINGS)} or a pair of those (lhs, rhs); got {p!r}")


def canonicalize_precision(precision, op: str = "dot_general"):
    """None, or the (lhs, rhs) pair of ``Precision`` values ``precision`` names (JAX's
    forms: one value for both operands or a pair); anything else is an InvalidArgumentError
    (a ValueError, as JAX raises)."""
    if precision is None:
        return None
    if isinstance(precision, (list, tuple)):
        if len(precision) != 2:
            raise InvalidArgumentError(f"{op}: a precision pair must have two entries (lhs, "
                                       f"rhs); got {precision!r}")
        return tuple(_one_precision(p, op) for p in precision)
    p = _one_precision(precision, op)
    return (p, p)


def _kind(dt) -> str:
    if dtypes.is_bool(dt):
        return "bool"
    if dtypes.is_integer(dt):
        return "signed integer" if dtypes.is_signed(dt) else "unsigned integer"
    return "complex" if dtypes.is_complex(dt) else "floating"


def check_preferred_element_type(op: str, input_dtype, preferred):
    """The canonical ``preferred`` dtype (None stays None), checked against the operands'
    dtype as JAX does: integer -> integer of the same signedness or any float, float ->
    float, complex -> complex, never narrower than the input."""
    if preferred is None:
        return None
    try:
        pref = dtypes.canonicalize(preferred)
    except (TypeError, ValueError, DTypeError) as e:
        raise DTypeError(f"{op}: preferred_element_type {preferred!r} is not a dtype fnx "
                         f"supports ({e})") from None
    src, dst = _kind(input_dtype), _kind(pref)
    ok = (src == dst or (src.endswith("integer") and dst == "floating")
          or (src == "unsigned integer" and dst == "signed integer"))
    if not ok or src == "bool":
        raise DTypeError(
            f"{op}: preferred_element_type {pref} is incompatible with {input_dtype} operands "
            "(the compatible kinds are integer -> integer of the same signedness or wider "
            "signed, integer -> floating, floating -> floating, complex -> complex)")
    if pref.itemsize < input_dtype.itemsize:
        raise DTypeError(f"{op}: preferred_element_type {pref} is narrower than the operands' "
                         f"dtype {input_dtype}")
    return pref


# the dtypes dot_general / conv compute in; any other integer result is computed in int64
_KERNEL_DTYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64,
                  dtypes.complex64, dtypes.complex128)


def contract_with(op: str, compute, operands, precision, preferred_element_type):
    """``compute(*operands)`` (a contraction) honouring JAX's two keywords: ``precision``
    checked (module docstring: it cannot change fnx's result), the operands converted to
    ``preferred_element_type`` first, so the products and their sum are formed in it."""
    canonicalize_precision(precision, op)
    dt = operands[0].dtype
    if preferred_element_type is None:
        if not dtypes.is_integer(dt) or dt in _KERNEL_DTYPES or any(x.dtype != dt for x in operands):
            return compute(*operands)   # the primitive's own dtype checks apply
        pref = dt   # int8 / uint8 / uint32: JAX contracts them too (modular, as int64 wrapped)
    else:
        pref = check_preferred_element_type(op, dt, preferred_element_type)
    if pref == dt and dt in _KERNEL_DTYPES:
        return compute(*operands)
    work = pref if pref in _KERNEL_DTYPES else dtypes.int64
    out = compute(*[convert_element_type(x, work) for x in operands])
    return out if work == pref else convert_element_type(out, pref)
