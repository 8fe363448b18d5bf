"""``nn.Module``: layers as immutable pytrees of parameters (equinox style), plus the containers.

A module's fields are split once, when its ``__init__`` returns:

* **children** (pytree leaves / subtrees): fields holding Arrays, Modules, lists or dicts, and tuples
  that contain an Array or a Module. ``fnx.grad(loss)(model, x)`` returns a model-shaped gradient,
  ``fnx.tree.map`` / ``fnx.optim`` work on models directly.
* **static** fields (part of the treedef, hence of jit cache keys): everything else -- ints, floats,
  strings, tuples of ints, callables, None. They must be hashable.

The split is remembered in the instance (and carried through flatten/unflatten) so that
``fnx.tree.map(lambda p: None, model)`` keeps the model's structure instead of re-classifying fields.

Modules are frozen once ``__init__`` has returned; use :meth:`Module.replace` to get a modified copy.

Calling convention (every layer): ``layer(x, *, key=None, train=False) -> y`` on a *batch* (a leading
batch dimension, like PyTorch). Stateful layers (BatchNorm) take and return their state explicitly:
``y, state = layer(x, state, train=True)``; ``nn.init_state(model)`` builds a model's state pytree.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .. import tree as tree_util
from .. import random
from ..core import ArrayBase
from ..errors import InvalidArgumentError

__all__ = ["Module", "Sequential", "Residual", "Lambda", "init_state", "count_params", "summary",
           "is_stateful"]

_DYNAMIC = "_fnx_dynamic_fields"  # name of the hidden per-instance record of child field names
_INITIALIZING: set[int] = set()   # ids of modules whose __init__ is running (the only time to set)


def _is_dynamic(v) -> bool:
    """Whether a field value is a pytree child (True) or static aux data (False)."""
    if isinstance(v, (ArrayBase, Module, np.ndarray, list, dict)):
        return True
    if isinstance(v, tuple):
        return any(_is_dynamic(e) for e in v)
    return False


class _ModuleMeta(type):
    """Runs ``__init__`` with attribute setting allowed, then records the child/static split."""

    def __call__(cls, *args, **kwargs):
        obj = cls.__new__(cls)
        _INITIALIZING.add(id(obj))
        try:
            obj.__init__(*args, **kwargs)
        finally:
            _INITIALIZING.discard(id(obj))
        fields = _fields(obj)
        dynamic = tuple(k for k, v in fields.items() if _is_dynamic(v))
        for k, v in fields.items():
            if k not in dynamic:
                try:
                    hash(v)
                except TypeError:
                    raise TypeError(f"{cls.__name__}.{k}: static module fields must be hashable "
                                    f"(they become part of jit cache keys); got {type(v).__name__}"
                                    ) from None
        object.__setattr__(obj, _DYNAMIC, dynamic)
        return obj


def _fields(obj) -> dict:
    return {k: v for k, v in vars(obj).items() if k != _DYNAMIC}


def _flatten_with_keys(m):
    dynamic = getattr(m, _DYNAMIC)
    fields = _fields(m)
    statics = tuple((k, v) for k, v in fields.items() if k not in dynamic)
    children = tuple((tree_util.GetAttrKey(k), fields[k]) for k in dynamic)
    return children, (dynamic, statics)


def _flatten(m):
    dynamic = getattr(m, _DYNAMIC)
    fields = _fields(m)
    statics = tuple((k, v) for k, v in fields.items() if k not in dynamic)
    return [fields[k] for k in dynamic], (dynamic, statics)


def _make_unflatten(cls):
    def unflatten(aux, children):
        # bypass __init__ (as equinox does): leaves may be tracers or placeholders here
        dynamic, statics = aux
        obj = object.__new__(cls)
        for k, v in statics:
            object.__setattr__(obj, k, v)
        for k, v in zip(dynamic, children):
            object.__setattr__(obj, k, v)
        object.__setattr__(obj, _DYNAMIC, dynamic)
        return obj
    return unflatten


class Module(metaclass=_ModuleMeta):
    """Base class of every layer: an immutable pytree of parameters with a pure ``__call__``.

    >>> class Scale(nn.Module):
    ...     def __init__(self, n):
    ...         self.w = fnx.numpy.ones((n,))
    ...     def __call__(self, x, *, key=None, train=False):
    ...         return x * self.w
    >>> fnx.grad(lambda m, x: m(x).sum())(Scale(3), fnx.numpy.ones((2, 3))).w.shape
    (3,)
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        tree_util.register_pytree_with_keys(cls, _flatten_with_keys, _make_unflatten(cls), _flatten)

    def __setattr__(self, name, value):
        if id(self) not in _INITIALIZING:
            raise AttributeError(f"{type(self).__name__} is immutable after __init__ (setting "
                                 f"{name!r}); use .replace({name}=...) to get a modified copy")
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is immutable (deleting {name!r})")

    def replace(self, **changes) -> "Module":
        """A copy with some fields replaced (``dataclasses.replace`` for modules).

        >>> lin = lin.replace(weight=fnx.numpy.zeros_like(lin.weight))
        """
        fields = _fields(self)
        unknown = set(changes) - set(fields)
        if unknown:
            raise InvalidArgumentError(f"{type(self).__name__}.replace: unknown fields "
                                       f"{sorted(unknown)} (fields: {sorted(fields)})")
        obj = object.__new__(type(self))
        for k, v in {**fields, **changes}.items():
            object.__setattr__(obj, k, v)
        dynamic = tuple(k for k in fields if (k in getattr(self, _DYNAMIC) if k not in changes
                                              else _is_dynamic(changes[k])))
        object.__setattr__(obj, _DYNAMIC, dynamic)
        return obj

    def init_state(self):
        """This layer's initial mutable state (None: the layer has none)."""
        return None

    def has_state(self) -> bool:
        """Whether this layer is called as ``y, state = layer(x, state, ...)``."""
        return False

    def __repr__(self):
        parts = []
        for k, v in _fields(self).items():
            if isinstance(v, ArrayBase):
                parts.append(f"{k}={v.dtype}{list(v.shape)}")
            elif isinstance(v, Module):
                parts.append(f"{k}={v!r}")
            elif isinstance(v, (list, tuple)) and any(isinstance(e, Module) for e in v):
                parts.append(f"{k}=[{', '.join(repr(e) for e in v)}]")
            elif callable(v) and hasattr(v, "__name__"):
                parts.append(f"{k}={v.__name__}")
            else:
                parts.append(f"{k}={v!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


# ---------------------------------------------------------------------------------------------
# State helpers
# ---------------------------------------------------------------------------------------------

def init_state(model):
    """The state pytree of ``model`` (None where a layer has no state).

    >>> model = nn.Sequential(nn.Linear(3, 4, key=k), nn.BatchNorm1d(4))
    >>> state = nn.init_state(model)          # (None, {'running_mean': ..., 'running_var': ...})
    >>> y, state = model(x, state, train=True)
    """
    if isinstance(model, Module):
        return model.init_state()
    return None


def is_stateful(layer) -> bool:
    """Whether ``layer`` takes and returns state (``y, state = layer(x, state, ...)``)."""
    return isinstance(layer, Module) and layer.has_state()


def _missing_state_error(name: str) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"{name}: this model contains stateful layers (BatchNorm); call it as "
        f"`y, state = model(x, state, key=key, train=...)` with `state = nn.init_state(model)`")


def _split_keys(key, n: int) -> list:
    if key is None:
        return [None] * n
    return list(random.split(key, n)) if n > 1 else [key]


# ---------------------------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------------------------

class Lambda(Module):
    """Wrap a parameter-free function (e.g. ``nn.relu``) as a layer: ``nn.Lambda(fnx.numpy.tanh)``."""

    def __init__(self, fn: Callable):
        if not callable(fn):
            raise InvalidArgumentError(f"Lambda: expected a callable, got {type(fn).__name__}")
        self.fn = fn

    def __call__(self, x, *, key=None, train=False):
        return self.fn(x)


class Sequential(Module):
    """Layers applied in order; plain functions are wrapped in :class:`Lambda`.

    Keys are split across the layers; state (if any layer is stateful) is a tuple with one entry per
    layer and is threaded through.

    >>> mlp = nn.Sequential(nn.Linear(2, 8, key=k1), nn.relu, nn.Linear(8, 1, key=k2))
    >>> mlp(fnx.numpy.ones((5, 2))).shape
    (5, 1)
    """

    def __init__(self, *layers):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        self.layers = tuple(l if isinstance(l, Module) else Lambda(l) for l in layers)

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, i):
        return Sequential(*self.layers[i]) if isinstance(i, slice) else self.layers[i]

    def has_state(self) -> bool:
        return any(is_stateful(l) for l in self.layers)

    def init_state(self):
        return tuple(init_state(l) for l in self.layers) if self.has_state() else None

    def __call__(self, x, state=None, *, key=None, train=False):
        stateful = self.has_state()
        if stateful and state is None:
            raise _missing_state_error("Sequential")
        keys = _split_keys(key, len(self.layers))
        new_states = []
        for i, layer in enumerate(self.layers):
            if is_stateful(layer):
                x, s = layer(x, state[i], key=keys[i], train=train)
                new_states.append(s)
            else:
                x = layer(x, key=keys[i], train=train)
                new_states.append(None)
        return (x, tuple(new_states)) if stateful else x


class Residual(Module):
    """``x + fn(x)`` (state threaded through if ``fn`` is stateful).

    >>> block = nn.Residual(nn.Sequential(nn.Linear(4, 4, key=k), nn.relu))
    """

    def __init__(self, fn):
        self.fn = fn if isinstance(fn, Module) else Lambda(fn)

    def has_state(self) -> bool:
        return is_stateful(self.fn)

    def init_state(self):
        return init_state(self.fn)

    def __call__(self, x, state=None, *, key=None, train=False):
        if is_stateful(self.fn):
            if state is None:
                raise _missing_state_error("Residual")
            y, state = self.fn(x, state, key=key, train=train)
            return x + y, state
        return x + self.fn(x, key=key, train=train)


# ---------------------------------------------------------------------------------------------
# Introspection
# ---------------------------------------------------------------------------------------------

def _is_param(x) -> bool:
    return isinstance(x, (ArrayBase, np.ndarray))


def count_params(model) -> int:
    """Number of scalar parameters (array elements) in ``model``.

    >>> nn.count_params(nn.Linear(3, 4, key=k))
    16
    """
    return sum(int(math.prod(x.shape)) for x in tree_util.leaves(model) if _is_param(x))


def _module_rows(m, path: str, rows: list):
    own = []
    for k, v in _fields(m).items():
        if k not in getattr(m, _DYNAMIC):
            continue
        if _is_param(v):
            own.append((k, tuple(v.shape)))
        elif isinstance(v, Module):
            _module_rows(v, f"{path}.{k}" if path else k, rows)
        else:
            for kp, leaf in tree_util.leaves_with_path(v, is_leaf=lambda x: isinstance(x, Module)):
                sub = f"{path}.{k}{tree_util.keystr(kp)}" if path else f"{k}{tree_util.keystr(kp)}"
                if isinstance(leaf, Module):
                    _module_rows(leaf, sub, rows)
                elif _is_param(leaf):
                    own.append((f"{k}{tree_util.keystr(kp)}", tuple(leaf.shape)))
    if own:
        rows.append((path or "(root)", type(m).__name__, own))


def summary(model, *, print_fn: Callable | None = print) -> str:
    """A table of layer path, type, parameter shapes and counts, with the total; printed with
    ``print_fn`` (pass None to only return the string).

    >>> nn.summary(nn.Sequential(nn.Linear(3, 4, key=k), nn.relu))
    """
    rows: list = []
    _module_rows(model, "", rows)
    table = [("path", "type", "parameters", "count")]
    for path, typ, own in rows:
        shapes = ", ".join(f"{name}{list(shape)}" for name, shape in own)
        table.append((path, typ, shapes, f"{sum(math.prod(s) for _, s in own):,}"))
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    fmt = lambda r: "  ".join(c.ljust(w) if i < 3 else c.rjust(w)
                              for i, (c, w) in enumerate(zip(r, widths)))
    rule = "-" * (sum(widths) + 6)
    lines = [fmt(table[0]), rule] + [fmt(r) for r in table[1:]] + [rule]
    lines.append(f"Total parameters: {count_params(model):,}")
    text = "\n".join(lines)
    if print_fn is not None:
        print_fn(text)
    return text
