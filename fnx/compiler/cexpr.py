"""The vocabulary of generated C shared by every writer (codegen_c, fused, loops, the CUDA
generator): the C type and ``fnx_s_`` suffix of each dtype, literals, and index expressions
over C-contiguous buffers.  It imports nothing from the compiler, so the writers that use it
form no import cycle."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes

# complex numbers are fnx_scalar.h's two-float structs (the same type in C and CUDA): the
# generated code never uses C operators on them, only the header's fnx_s_<op>_c64 functions
C_TYPE = {dtypes.bool_: "uint8_t", dtypes.int8: "int8_t", dtypes.uint8: "uint8_t",
          dtypes.int32: "int32_t", dtypes.int64: "int64_t", dtypes.float32: "float",
          dtypes.float64: "double", dtypes.uint32: "uint32_t",
          dtypes.complex64: "fnx_complex64", dtypes.complex128: "fnx_complex128"}
SFX = {dtypes.bool_: "b", dtypes.int8: "i8", dtypes.uint8: "u8", dtypes.int32: "i32",
       dtypes.int64: "i64", dtypes.float32: "f32", dtypes.float64: "f64", dtypes.uint32: "u32",
       dtypes.complex64: "c64", dtypes.complex128: "c128"}


def tmp_type(dtype) -> str:
    """C type of a fused temporary: bools are ``int`` 0/1 in registers (as wide as a float
    lane, so a float loop with comparisons in it vectorizes; uint8 temporaries stop gcc's
    `omp simd` vectorizer) and uint8_t only in memory."""
    return "int" if dtype == dtypes.bool_ else C_TYPE[dtype]


class Flat:
    """The index of a flat loop: the linear position ``i`` in every same-shape operand."""

    def __init__(self, name="i"):
        self.name = name

    def __eq__(self, other):
        return isinstance(other, Flat)

    def __hash__(self):
        return hash("flat")


def c_literal(value, dtype) -> str:
    dtype = np.dtype(dtype)
    if dtype.kind == "c":  # fnx_<sfx>(re, im) (fnx_complex.h): a call, valid in C and CUDA alike
        v = np.asarray(value).astype(dtype)
        part = dtypes.real_of(dtype)
        return (f"fnx_{SFX[dtype]}({c_literal(v.real, part)}, "
                f"{c_literal(v.imag, part)})")
    v = np.asarray(value).astype(dtype).item()
    if dtype.kind == "f":
        t = C_TYPE[dtype]
        if math.isnan(v):
            return f"(({t})NAN)"
        if math.isinf(v):
            return f"(({t}){'-' if v < 0 else ''}INFINITY)"
        return f"(({t}){float(v).hex()})"
    if dtype == dtypes.bool_:
        return "((uint8_t)1)" if v else "((uint8_t)0)"
    if dtype == dtypes.int64:
        return f"((int64_t){v}LL)" if v != -2 ** 63 else "((int64_t)INT64_MIN)"
    return f"(({C_TYPE[dtype]}){v})"


def strides(shape) -> list[int]:
    """Row-major element strides of ``shape``."""
    out, acc = [], 1
    for d in reversed(shape):
        out.append(acc)
        acc *= d
    return list(reversed(out))


def offset_expr(shape, idx) -> str:
    """C expression of the linear offset of the multi-index ``idx`` in a buffer of ``shape``."""
    terms = []
    for s, d, i in zip(strides(shape), shape, idx):
        if d == 1 or i == "0":
            continue
        terms.append(i if s == 1 else f"({i})*{s}")
    return " + ".join(terms) or "0"
