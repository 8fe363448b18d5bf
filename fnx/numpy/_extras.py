"""The rest of jax.numpy's names fnx.numpy lacked: signal and product helpers, polynomial
division, and the host-side functions (construction from Python data, printing, files).

* ``unwrap`` (numpy's, integer periods included), ``matvec`` / ``vecmat`` (numpy 2.2's
  batched matrix-vector products; ``vecmat`` conjugates the vector), ``polydiv`` (remainder's
  leading zeros trimmed only with ``trim_leading_zeros=True``, as jax.numpy: numpy always
  trims, a shape that depends on values), ``einsum_path`` (numpy's optimizer run on the
  operands' shapes; jax's default ``optimize="auto"`` means numpy's ``"greedy"``);
* ``fromfunction`` (numpy's semantics: ``function`` is called once with the full index grids,
  so it sees arrays, not scalars), ``frombuffer``, ``fromstring``, ``fromiter``, ``fromfile``
  (numpy parses on the host; the result is an fnx array -- under jit that happens at trace
  time, so ``fromiter`` consumes its iterable then; jax.numpy refuses the last two as impure);
* printing: ``array_repr``, ``array_str`` (numpy's text of the values), ``printoptions``,
  ``get_printoptions``, ``set_printoptions`` (numpy's own: fnx prints through numpy);
* files: ``save`` / ``savez`` write host copies with numpy; ``load`` returns an fnx array for a
  ``.npy`` file of an fnx dtype (numpy's array otherwise, and numpy's ``NpzFile`` for ``.npz``).
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes, lax
from ..core import ArrayBase, Tracer
from ..errors import ConcretizationTypeError, DTypeError, ShapeError
from ._util import asarray_arg, canonical_axis, promote_no_broadcast, static_shape

__all__ = ["unwrap", "matvec", "vecmat", "polydiv", "einsum_path", "fromfunction",
           "frombuffer", "fromstring", "fromiter", "fromfile", "array_repr", "array_str", "printoptions",
           "get_printoptions", "set_printoptions", "save", "savez", "load"]


def _fnp():
    from .. import numpy as fnp
    return fnp


# -- signals and products --------------------------------------------------------------------

def unwrap(p, discont=None, axis=-1, period=2 * math.pi):
    """``p`` with every jump between neighbours larger than ``max(discont, period/2)`` along
    ``axis`` replaced by its complement modulo ``period`` (numpy's ``unwrap``)."""
    fnp = _fnp()
    p = asarray_arg("unwrap", p)
    p, period = promote_no_broadcast("unwrap", p, period)
    if p.dtype.kind in "cb":
        raise DTypeError(f"unwrap: real numeric inputs are required, got {p.dtype}")
    axis = canonical_axis("unwrap", axis, p.ndim)
    if p.shape[axis] < 2:
        return p
    integral = p.dtype.kind in "iu"
    high = period // 2 if integral else period / 2
    if discont is None:
        discont = period / 2
    dd = fnp.diff(p, axis=axis)
    ddmod = fnp.mod(dd + high, period) - high
    tie = (ddmod == -high) & (dd > 0)      # a jump of exactly half a period: taken as +half
    if integral:
        tie = tie & (period % 2 == 0)      # (an odd integer period has no such tie)
    ddmod = fnp.where(tie, high, ddmod)
    correction = fnp.where(fnp.abs(dd) < discont, fnp.zeros_like(dd), ddmod - dd)
    first = lax.slice_in_dim(p, 0, 1, 1, axis)
    rest = lax.slice_in_dim(p, 1, p.shape[axis], 1, axis)
    return fnp.concatenate([first, rest + fnp.cumsum(correction, axis=axis)], axis=axis)


def _product_operands(name, x1, x2):
    x1, x2 = asarray_arg(name, x1), asarray_arg(name, x2)
    if x1.dtype.kind == "b" or x2.dtype.kind == "b":
        x1, x2 = promote_no_broadcast(name, x1, x2)
    return x1, x2


def matvec(x1, x2, /):
    """The matrix-vector product over the last two axes of ``x1`` (m, n) and the last of
    ``x2`` (n,), batch axes broadcast: shape ``(..., m)``."""
    fnp = _fnp()
    x1, x2 = _product_operands("matvec", x1, x2)
    if x1.ndim < 2 or x2.ndim < 1:
        raise ShapeError(f"matvec: x1 must be at least 2-d and x2 at least 1-d, got shapes "
                         f"{tuple(x1.shape)} and {tuple(x2.shape)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise ShapeError(f"matvec: x1's last axis ({x1.shape[-1]}) must match x2's "
                         f"({x2.shape[-1]}), got shapes {tuple(x1.shape)} and "
                         f"{tuple(x2.shape)}")
    return fnp.matmul(x1, x2[..., None])[..., 0]


def vecmat(x1, x2, /):
    """The vector-matrix product ``conj(x1) @ x2`` over the last axis of ``x1`` (n,) and the
    last two of ``x2`` (n, m), batch axes broadcast: shape ``(..., m)``."""
    fnp = _fnp()
    x1, x2 = _product_operands("vecmat", x1, x2)
    if x1.ndim < 1 or x2.ndim < 2:
        raise ShapeError(f"vecmat: x1 must be at least 1-d and x2 at least 2-d, got shapes "
                         f"{tuple(x1.shape)} and {tuple(x2.shape)}")
    if x1.shape[-1] != x2.shape[-2]:
        raise ShapeError(f"vecmat: x1's last axis ({x1.shape[-1]}) must match x2's "
                         f"second-to-last ({x2.shape[-2]}), got shapes {tuple(x1.shape)} and "
                         f"{tuple(x2.shape)}")
    if x1.dtype.kind == "c":
        x1 = fnp.conj(x1)
    return fnp.matmul(x1[..., None, :], x2)[..., 0, :]


# -- polynomial division ---------------------------------------------------------------------

def _trim_remainder(r):
    """numpy's rule: drop leading entries with ``allclose(r[0], 0, rtol=1e-14)`` (so
    ``|r[0]| <= 1e-8``) while more than one is left; needs concrete values."""
    v = r.concrete_value() if isinstance(r, Tracer) else np.asarray(r)
    if v is None:
        raise ConcretizationTypeError(
            f"polydiv: trimming the remainder's leading zeros needs concrete values but it is "
            f"traced {r.aval.str_short()}; pass trim_leading_zeros=False")
    v = np.asarray(v)
    start = 0
    while start < v.shape[0] - 1 and np.allclose(v[start], 0, rtol=1e-14):
        start += 1
    return r[start:]


def polydiv(u, v, *, trim_leading_zeros=False):
    """``(quotient, remainder)`` of the polynomial division ``u / v`` (coefficients highest
    power first), by long division over the static coefficient counts."""
    fnp = _fnp()
    u, v = asarray_arg("polydiv", u), asarray_arg("polydiv", v)
    u, v = (fnp.atleast_1d(x) for x in (u, v))
    if u.ndim != 1 or v.ndim != 1:
        raise ShapeError(f"polydiv: u and v must be 1-d coefficient arrays, got shapes "
                         f"{tuple(u.shape)} and {tuple(v.shape)}")
    if u.shape[0] == 0 or v.shape[0] == 0:
        raise ValueError("polydiv: u and v must have at least one coefficient each")
    u, v = promote_no_broadcast("polydiv", u, v, inexact=True)
    m, n = u.shape[0] - 1, v.shape[0] - 1
    scale = 1.0 / v[0]
    quotient = []
    r = u
    for k in range(m - n + 1):
        d = scale * r[k]
        quotient.append(d)
        r = r.at[k:k + n + 1].add(-d * v)
    q = fnp.stack(quotient) if quotient else fnp.zeros((1,), u.dtype)
    if trim_leading_zeros:
        r = _trim_remainder(r)
    return q, r


def einsum_path(subscripts, /, *operands, optimize="auto"):
    """numpy's ``einsum_path`` on the operands' shapes and dtypes (no values are read, so
    traced operands are fine): ``(path, description)``."""
    if optimize == "auto":
        optimize = "greedy"
    stand_ins = []
    for x in operands:
        if isinstance(x, ArrayBase):
            stand_ins.append(np.broadcast_to(np.zeros((), x.dtype), tuple(x.shape)))
        else:
            stand_ins.append(np.asarray(x))
    return np.einsum_path(subscripts, *stand_ins, optimize=optimize)


# -- construction from host data -------------------------------------------------------------

def fromfunction(function, shape, *, dtype=float, **kwargs):
    """``function(*indices(shape, dtype), **kwargs)``: numpy's semantics (one call on the
    index grids); the dtype defaults to the default float."""
    shape = static_shape("fromfunction", shape)
    dt = dtypes.canonicalize(dtype, "fromfunction")
    return function(*_fnp().indices(shape, dtype=dt), **kwargs)


def _host_result(name, value):
    if value.dtype not in set(dtypes.SUPPORTED):
        raise DTypeError(f"{name}: dtype {value.dtype} is not supported by fnx; supported: "
                         + ", ".join(str(d) for d in dtypes.SUPPORTED))
    return _fnp().asarray(value)


def frombuffer(buffer, dtype=float, count=-1, offset=0):
    """A 1-d array read from the bytes of ``buffer`` (numpy's ``frombuffer``: ``dtype=float``
    is float64, the bytes are read as numpy reads them)."""
    return _host_result("frombuffer", np.frombuffer(buffer, dtype=dtype, count=count,
                                                    offset=offset))


def fromstring(string, dtype=float, count=-1, *, sep):
    """A 1-d array parsed from the text ``string`` of numbers separated by ``sep``."""
    return _host_result("fromstring", np.fromstring(string, dtype=dtype, count=count,
                                                    sep=sep))


def fromfile(file, dtype=float, count=-1, sep="", offset=0):
    """A 1-d array read from a file (numpy's ``fromfile``, read on the host; jax.numpy
    refuses it as impure, fnx reads it eagerly or at trace time)."""
    return _host_result("fromfile", np.fromfile(file, dtype=dtype, count=count, sep=sep,
                                                offset=offset))


def fromiter(iter, dtype, count=-1):  # noqa: A002  (numpy's parameter name)
    """A 1-d array of the values of the iterable (read on the host, at trace time under
    jit)."""
    return _host_result("fromiter", np.fromiter(iter, dtype=dtype, count=count))


# -- printing --------------------------------------------------------------------------------

def _host_value(name, arr):
    if isinstance(arr, Tracer):
        v = arr.concrete_value()
        if v is None:
            raise ConcretizationTypeError(
                f"{name}: cannot print the values of a traced array {arr.aval.str_short()}; "
                f"use fnx.debug.print inside jit / vmap")
        return np.asarray(v)
    return np.asarray(arr)


def array_repr(arr, max_line_width=None, precision=None, suppress_small=None):
    """numpy's ``array_repr`` of the values: ``"array([1, 2], dtype=int32)"``."""
    return np.array_repr(_host_value("array_repr", arr), max_line_width, precision,
                         suppress_small)


def array_str(a, max_line_width=None, precision=None, suppress_small=None):
    """numpy's ``array_str`` of the values: ``"[1 2]"``."""
    return np.array_str(_host_value("array_str", a), max_line_width, precision,
                        suppress_small)


printoptions = np.printoptions
get_printoptions = np.get_printoptions
set_printoptions = np.set_printoptions


# -- files -----------------------------------------------------------------------------------

def save(file, arr, allow_pickle=True):
    """numpy's ``save`` of a host copy of ``arr``."""
    np.save(file, _host_value("save", arr), allow_pickle=allow_pickle)


def savez(file, *args, **kwds):
    """numpy's ``savez`` of host copies of the arrays."""
    np.savez(file, *(_host_value("savez", a) for a in args),
             **{k: _host_value("savez", v) for k, v in kwds.items()})


def load(file, *args, **kwargs):
    """numpy's ``load``; a ``.npy`` array of an fnx dtype comes back as an fnx array."""
    out = np.load(file, *args, **kwargs)
    if isinstance(out, np.ndarray) and out.dtype in set(dtypes.SUPPORTED):
        return _fnp().asarray(out)
    return out
