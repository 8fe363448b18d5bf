"""fnx: numpy-style programs over immutable arrays, with composable transformations.

>>> import fnx, fnx.numpy as fnp
>>> x = fnp.arange(3.0)
>>> fnp.sin(x) * 2 + 1
>>> print(fnx.make_jaxpr(lambda x: fnp.tanh(x).sum())(x))

The transformations compose in any order: ``grad`` / ``value_and_grad`` / ``vjp`` / ``jvp`` /
``linearize`` / ``jacfwd`` / ``jacrev`` / ``hessian``, ``vmap``, ``jit`` (compiles to C, or CUDA for
GPU arrays), ``checkpoint`` (remat), ``custom_jvp`` / ``custom_vjp``; ``device_put`` moves data
to a GPU.  ``fnx.numpy``, ``fnx.lax``, ``fnx.random``, ``fnx.tree``, ``fnx.nn``, ``fnx.optim``,
``fnx.data`` and ``fnx.io`` are the libraries.  docs/architecture.md maps the modules.
"""
from . import dtypes, errors, tree, tree_util
from .config import config
from .core import Array, ShapedArray
from .interpreters.partial_eval import ShapeDtypeStruct, make_jaxpr
from . import lax
from . import backends  # installs the backend registry into core (core.upper_layers)
from . import numpy
from . import random
from .api import grad, hessian, jacfwd, jacrev, jvp, linearize, value_and_grad, vjp, vmap
from .api import jacrev as jacobian  # jax.jacobian is jacrev
from .placement import device_put, devices, from_dlpack
from .interpreters.custom import custom_jvp, custom_vjp
from .interpreters.remat import checkpoint, checkpoint_name, checkpoint_policies, remat
from .staging import clear_caches, disable_jit, jit
from .lax import stop_gradient
from ._callbacks import pure_callback
from ._scopes import ensure_compile_time_eval, named_call, named_scope
from . import debug
from ._runtime import (default_backend, device_count, effects_barrier, host_count, host_id,
                       host_ids, local_device_count, local_devices, print_environment_info,
                       process_count, process_index, process_indices, typeof)
from ._transform_extras import closure_convert, custom_gradient, linear_transpose
from . import optim
from . import io

from ._version import __version__  # noqa: F401

# jax's flag context managers: ``with fnx.debug_nans(True): ...``
debug_nans = config.context("debug_nans")
debug_infs = config.context("debug_infs")
log_compiles = config.context("log_compiles")


def __getattr__(name):
    """``fnx.nn``, ``fnx.data``, ``fnx.scipy``, ``fnx.example_libraries``, ``fnx.image``,
    ``fnx.ops`` and ``fnx.custom_batching`` load on first use (``import fnx`` stays light)."""
    if name in ("nn", "data", "scipy", "example_libraries", "image", "ops", "custom_batching"):
        import importlib
        return importlib.import_module(f"fnx.{name}")
    raise AttributeError(f"module 'fnx' has no attribute {name!r}")


def asarray(x, dtype=None) -> Array:
    """Convert host data (numpy arrays, Python scalars, nested lists) into an fnx Array."""
    return numpy.asarray(x, dtype=dtype)


def device_get(x):
    """A numpy copy of every array leaf of a pytree."""
    return tree.map(lambda leaf: leaf.to_numpy() if isinstance(leaf, Array) else leaf, x)


def block_until_ready(x):
    """``x`` (any pytree) once every array leaf's computation has finished (as
    ``jax.block_until_ready``): CPU work is synchronous; GPU arrays wait for their stream."""
    for leaf in tree.leaves(x):
        wait = getattr(leaf, "block_until_ready", None)
        if wait is not None:
            wait()
    return x


def eval_shape(fun, *args, **kwargs):
    """The shapes and dtypes ``fun(*args, **kwargs)`` would return, as a pytree of
    ``ShapeDtypeStruct``, found by tracing (nothing is computed); ``args`` / ``kwargs`` may be
    arrays, Python scalars, ``ShapeDtypeStruct``s or pytrees of them (as ``jax.eval_shape``)."""
    def call(a, kw):
        return fun(*a, **kw)
    return make_jaxpr(call, return_shape=True)(args, kwargs)[1]


__all__ = ["Array", "ShapedArray", "ShapeDtypeStruct", "asarray", "checkpoint", "checkpoint_name",
           "block_until_ready", "checkpoint_policies", "config", "custom_jvp", "custom_vjp", "data",
           "custom_batching", "device_get", "eval_shape", "example_libraries", "image", "ops",
           "device_put", "devices", "dtypes", "errors", "from_dlpack", "grad", "hessian", "io",
           "jacfwd", "jacrev", "jit", "jvp", "lax", "linearize", "make_jaxpr", "nn", "numpy",
           "optim", "random", "remat", "stop_gradient", "tree", "tree_util",
           "value_and_grad", "vjp", "vmap"]
