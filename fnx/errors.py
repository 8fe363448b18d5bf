"""The exception types of fnx.

Every error raised for bad user input is an ``FnxError``; the shape and dtype errors are also
``ValueError`` / ``TypeError`` so code written against numpy's exceptions keeps working.
Messages name the operation and the offending shapes/dtypes.
"""
from __future__ import annotations


class FnxError(Exception):
    """Base class of all fnx errors."""


class ShapeError(FnxError, ValueError):
    """Operand shapes are incompatible with an operation."""


class DTypeError(FnxError, TypeError):
    """Operand dtypes are incompatible with an operation (or unsupported by fnx)."""


class InvalidArgumentError(FnxError, ValueError):
    """A static parameter of an operation is invalid (e.g. a negative interior padding)."""


class FnxIndexError(FnxError, IndexError):
    """A static index is out of range."""


class AxisError(FnxIndexError, ValueError):
    """An axis argument is out of range for the array's rank (numpy's AxisError is also both an
    IndexError and a ValueError)."""


class ConcretizationTypeError(FnxError, TypeError):
    """A traced (abstract) value was used where a concrete Python value is needed."""


class UnexpectedTracerError(FnxError):
    """A tracer escaped the transformation that created it."""


class AutodiffError(FnxError, TypeError):
    """Misuse of a differentiation API (non-scalar grad, integer inputs, bad cotangents)."""


class DataFormatError(FnxError, ValueError):
    """A data file (MNIST IDX, CIFAR-10 binary, text corpus) is malformed or truncated.

    The message names the file and what is wrong with it.
    """


class CheckpointError(DataFormatError):
    """A checkpoint file is unreadable (truncated, corrupted, not a checkpoint, a malformed header
    field) or does not match the structure it is loaded into.  A checkpoint is a data file, so
    ``except DataFormatError`` catches these too."""


class MissingKernelError(FnxError, NotImplementedError):
    """A backend has no kernel for a primitive/dtype (raised when fnx.config.strict is on)."""


def _fmt(v) -> str:
    shape = getattr(v, "shape", None)
    dtype = getattr(v, "dtype", None)
    if shape is not None and dtype is not None:
        return f"{dtype}{list(shape)}"
    return repr(v)


def describe(*operands) -> str:
    """A compact 'float32[3, 4], int32[]' description of operands for error messages."""
    return ", ".join(_fmt(o) for o in operands)


def shape_error(op: str, message: str, *operands) -> ShapeError:
    detail = f" (operands: {describe(*operands)})" if operands else ""
    return ShapeError(f"{op}: {message}{detail}")


def dtype_error(op: str, message: str, *operands) -> DTypeError:
    detail = f" (operands: {describe(*operands)})" if operands else ""
    return DTypeError(f"{op}: {message}{detail}")


def data_format_error(path, message: str) -> DataFormatError:
    return DataFormatError(f"{path}: {message}")


class DeviceError(FnxError, ValueError):
    """Operands of one operation live on different devices (move them with fnx.device_put),
    or a device that does not exist was asked for."""


class DerivativeNotImplementedError(FnxError, NotImplementedError):
    """A primitive has a derivative rule, but not for this case (e.g. the JVP of a wide QR
    decomposition, which JAX does not implement either); the message names the case."""
