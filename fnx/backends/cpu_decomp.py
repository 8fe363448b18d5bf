"""CPU impls of the decompositions of fnx/lax/linalg.py (cholesky, triangular_solve, lu, qr,
eigh, svd, eig; float32 / float64 / complex64 / complex128, the dtype code passed on): each
operand made C-contiguous, the outputs allocated here, one call of the
batched kernel in kernels/cpu/lapack.c over the leading (batch) axes.

Its table ``IMPLS`` is merged into ``fnx.backends.cpu.IMPLS``; the cffi handles and buffer
helpers come from cpu_ffi.py."""
from __future__ import annotations

import math

from ..lax import linalg as la
from .cpu_ffi import _DTYPE_CODE, _check, _contiguous, _empty, _wrap, ffi, lib

IMPLS: dict = {}


def _outputs(avals):
    return [_empty(tuple(a.shape), a.dtype) for a in avals]


def _buf(v):
    return ffi.from_buffer(v) if v.size else ffi.cast("char *", 0)


def _batch(shape) -> int:
    return math.prod(shape[:-2])


def _cholesky_impl(x):
    aval = la.cholesky_p.abstract_eval(x)
    a = _contiguous(x._value)
    (out,) = _outputs([aval])
    if out.size:
        _check(lib.fnx_cholesky(_DTYPE_CODE[a.dtype], _batch(a.shape), a.shape[-1], _buf(a),
                                _buf(out)), "cholesky", x)
    return _wrap(out)


def _triangular_solve_impl(a, b, **params):
    aval = la.triangular_solve_p.abstract_eval(a, b, **params)
    av, bv = _contiguous(a._value), _contiguous(b._value)
    (out,) = _outputs([aval])
    if out.size:
        m, n = bv.shape[-2:]
        _check(lib.fnx_triangular_solve(_DTYPE_CODE[bv.dtype], _batch(bv.shape), m, n, _buf(av),
                                        _buf(bv), _buf(out), int(params["left_side"]),
                                        int(params["lower"]), la.triangular_solve_op(params),
                                        int(params["unit_diagonal"])),
               "triangular_solve", a, b)
    return _wrap(out)


def _lu_impl(x):
    avals = la.lu_p.abstract_eval(x)
    a = _contiguous(x._value)
    lu, piv, perm = _outputs(avals)
    m, n = a.shape[-2:]
    if lu.size or perm.size:
        _check(lib.fnx_lu(_DTYPE_CODE[a.dtype], _batch(a.shape), m, n, _buf(a), _buf(lu),
                          _buf(piv), _buf(perm)), "lu", x)
    return [_wrap(lu), _wrap(piv), _wrap(perm)]


def _qr_impl(x, *, full_matrices):
    avals = la.qr_p.abstract_eval(x, full_matrices=full_matrices)
    a = _contiguous(x._value)
    q, r = _outputs(avals)
    m, n = a.shape[-2:]
    if q.size or r.size:
        _check(lib.fnx_qr(_DTYPE_CODE[a.dtype], _batch(a.shape), m, n, int(full_matrices),
                          _buf(a), _buf(q), _buf(r)), "qr", x)
    return [_wrap(q), _wrap(r)]


def _eigh_impl(x, *, lower):
    avals = la.eigh_p.abstract_eval(x, lower=lower)
    a = _contiguous(x._value)
    v, w = _outputs(avals)
    if v.size:
        _check(lib.fnx_eigh(_DTYPE_CODE[a.dtype], _batch(a.shape), a.shape[-1], int(lower),
                            _buf(a), _buf(v), _buf(w)), "eigh", x)
    return [_wrap(v), _wrap(w)]


def _svd_impl(x, *, full_matrices, compute_uv):
    avals = la.svd_p.abstract_eval(x, full_matrices=full_matrices, compute_uv=compute_uv)
    a = _contiguous(x._value)
    outs = _outputs(avals)
    s, u, vt = outs if compute_uv else (outs[0], None, None)
    m, n = a.shape[-2:]
    if any(o.size for o in outs):
        null = ffi.cast("char *", 0)
        _check(lib.fnx_svd(_DTYPE_CODE[a.dtype], _batch(a.shape), m, n, int(full_matrices),
                           int(compute_uv), _buf(a), _buf(s), _buf(u) if compute_uv else null,
                           _buf(vt) if compute_uv else null), "svd", x)
    return [_wrap(o) for o in outs]


def _eig_impl(x, **params):
    avals = la.eig_p.abstract_eval(x, **params)
    a = _contiguous(x._value)
    outs = _outputs(avals)
    compute_v = params["compute_right_eigenvectors"]
    if outs[0].size:
        _check(lib.fnx_eig(_DTYPE_CODE[a.dtype], _batch(a.shape), a.shape[-1], int(compute_v),
                           _buf(a), _buf(outs[0]),
                           _buf(outs[1]) if compute_v else ffi.cast("char *", 0)), "eig", x)
    return [_wrap(o) for o in outs]


IMPLS.update({"cholesky": _cholesky_impl, "triangular_solve": _triangular_solve_impl,
              "lu": _lu_impl, "qr": _qr_impl, "eigh": _eigh_impl, "svd": _svd_impl,
              "eig": _eig_impl})
