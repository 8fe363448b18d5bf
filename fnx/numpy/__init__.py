"""fnx.numpy: numpy's API on fnx arrays, written on fnx.lax (so it works under tracing).

Same names, signatures and semantics as ``jax.numpy``: a JAX program ports by changing
``import jax.numpy as jnp`` to ``import fnx.numpy as jnp``.

>>> import fnx.numpy as fnp
>>> x = fnp.arange(6.0).reshape(2, 3)
>>> (x @ x.T).sum(), x.at[0, 1].set(10.0)[0]

It is also an array API standard (2024.12) namespace, as numpy 2's and jax.numpy's are:
``x.__array_namespace__()`` is ``fnx.numpy``, ``__array_namespace_info__()`` describes it, and
the standard's names and calling conventions hold (``_array_api`` adds what numpy-style fnx.numpy
lacked: ``isdtype``, ``astype``, ``unstack``, ``cumulative_*``, ``from_dlpack``; ``_setops`` has
the ``unique_*`` family; creation functions take ``device=``).  numpy's ufunc names are
``fnx.numpy.ufunc`` objects with ``reduce`` / ``accumulate`` / ``outer`` / ``at``
(``_ufunc_objects``).

Rules worth knowing (documented deviations from numpy, shared with jax.numpy):

* promotion follows fnx's lattice (``fnx.dtypes``): Python scalars are weak, ``int32 + float32
  -> float32``, ``int8 + uint8 -> int32``; defaults are float32/int32;
* integer inputs of float functions (``sqrt``, ``sin``, ``true_divide``...) give float32;
* arrays are immutable: ``x.at[idx].set(v)`` instead of ``x[idx] = v``;
* out-of-range indices: gathers clamp, scatters drop, negatives wrap once (see ``_indexing``);
* ``take`` defaults to ``mode="clip"`` (jax.numpy's default is "fill"); ``float_power``
  computes in float64 (numpy's rule); ``isclose`` on integers compares in floating point
  (numpy's rule); ``floor_divide`` with exactly one infinite operand is the array API
  standard's ``floor(x / y)`` (``inf // 2 -> inf``; numpy: NaN);
* functions whose output shape depends on values (``nonzero``, ``unique``, the set
  operations...) need concrete inputs, or a static ``size=`` (with ``fill_value=``) under
  jit/vmap; boolean masks need concrete inputs.
"""
from __future__ import annotations

import math as _math

import numpy as _np

from .. import dtypes as _dtypes
from ..core import Array as _Array
from ..core import ArrayBase as _ArrayBase
from . import _array_methods
from ._complex import *  # noqa: F401,F403
from ._creation import *  # noqa: F401,F403
from ._equality import *  # noqa: F401,F403
from ._functional import *  # noqa: F401,F403
from ._index_tricks import *  # noqa: F401,F403
from ._indexing import _IndexUpdateHelper, _IndexUpdateRef  # noqa: F401
from ._linalg_ops import *  # noqa: F401,F403
from ._manipulation import *  # noqa: F401,F403
from ._reductions import *  # noqa: F401,F403
from ._selection import *  # noqa: F401,F403
from ._setops import *  # noqa: F401,F403
from ._partition import *  # noqa: F401,F403
from ._bits import *  # noqa: F401,F403
from ._numeric import *  # noqa: F401,F403
from ._polynomial import *  # noqa: F401,F403
from ._histograms import *  # noqa: F401,F403
# jax.numpy's remaining names: windows and i0, index helpers, float bits, host-side helpers
from ._windows import *  # noqa: F401,F403
from ._index_helpers import *  # noqa: F401,F403
from ._float_bits import *  # noqa: F401,F403
from ._extras import *  # noqa: F401,F403
from ._ufuncs import *  # noqa: F401,F403
from ._ufunc_objects import *  # noqa: F401,F403
from ._ufuncs import (abs, divmod, pow, round, round_)  # noqa: F401
from ._reductions import all, any, max, min, sum  # noqa: F401
# last: its cumulative_* / take_along_axis replace the numpy-style ones above
from ._array_api import *  # noqa: F401,F403,E402
from ._array_api import __array_api_version__, __array_namespace_info__  # noqa: F401,E402

# -- dtypes and constants -----------------------------------------------------------------------
# callable scalar types that double as dtypes (fnp.float32(1.5), fnp.zeros(3, fnp.float32))
from ._scalar_types import (bool_, complex64, complex128, float32, float64,  # noqa: E402
                            int8, int32, int64, uint8, uint32)

float_ = float64
int_ = int64
complex_ = complex128

# abstract scalar types for issubdtype (numpy's)
generic = _np.generic
number = _np.number
integer = _np.integer
signedinteger = _np.signedinteger
unsignedinteger = _np.unsignedinteger
inexact = _np.inexact
floating = _np.floating
complexfloating = _np.complexfloating

ndarray = _ArrayBase  # isinstance(x, fnp.ndarray) holds for Arrays and tracers
Array = _Array

pi = _math.pi
e = _math.e
inf = float("inf")
nan = float("nan")
euler_gamma = 0.5772156649015329
newaxis = None


def dtype(x):
    """The fnx dtype of a dtype-like or of an array/scalar."""
    if hasattr(x, "dtype") and not isinstance(x, type):
        return x.dtype
    return _dtypes.canonicalize(x, "dtype")


def result_type(*args):
    """The dtype fnx.numpy gives an operation on ``args`` (weak Python scalars, JAX lattice):
    ``result_type(int32, float32) -> float32``; ``result_type(int8, uint8) -> int32``."""
    return _dtypes.result_type(*args)


def promote_types(a, b):
    return _dtypes.promote_types(_dtypes.canonicalize(a), _dtypes.canonicalize(b))


def can_cast(from_, to, casting="safe"):
    return _np.can_cast(_dtypes.canonicalize(from_), _dtypes.canonicalize(to), casting)


finfo = _dtypes.finfo
iinfo = _dtypes.iinfo


def issubdtype(arg1, arg2):
    return _np.issubdtype(arg1, arg2)


def isscalar(element):
    if isinstance(element, _ArrayBase):
        return element.ndim == 0
    return _np.isscalar(element)


def iterable(y):
    try:
        iter(y)
    except TypeError:
        return False
    return True


def copy(a, order=None):
    return asarray(a)  # noqa: F405  (immutable: no copy needed)


# jax.numpy's dtype aliases, mapped onto fnx's dtypes: ``uint`` is jax's uint64, which fnx
# lacks (as jax without x64, it becomes uint32); ``bool`` is the array API's name of bool_
double = float64
single = float32
csingle = complex64
cdouble = complex128
uint = uint32
bool = bool_  # noqa: A001
character = _np.character
flexible = _np.flexible
object_ = _np.object_
ComplexWarning = _np.exceptions.ComplexWarning

from ._ufunc_objects import unwrap_methods as _unwrap_methods  # noqa: E402

_unwrap_methods(_array_methods.METHODS)  # -x, abs(x), ~x: the functions fnp.negative... wrap
_array_methods.install()

from . import linalg  # noqa: E402  (numpy.linalg; after everything it uses is defined)
from . import fft  # noqa: E402  (numpy.fft, likewise)

__all__ = [n for n in dir() if not n.startswith("_")]
