"""The pytree node-type registry: which types are nodes and how each is taken apart.

Registrations are singletons per type (comparing them is an identity check), so a structure can
hold them and still be compared and hashed by C code (see ``_treedef``).  Namedtuples are
recognised structurally and get one cached registration per class.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import operator
from typing import Any, Callable, Hashable, Iterable

from ._keys import GetAttrKey

# Node kinds. Built-in containers get their own kind so the hot loops can handle them inline instead of
# going through a flatten/unflatten callback.
_CUSTOM, _TUPLE, _LIST, _DICT, _NONE, _NAMEDTUPLE, _ORDEREDDICT, _DEFAULTDICT = range(8)


# --------------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------------

class _Registration:
    """How to take one node type apart and put it back together. One instance per type."""
    __slots__ = ("type", "kind", "flatten", "unflatten", "flatten_with_keys")

    def __init__(self, type_, kind, flatten=None, unflatten=None, flatten_with_keys=None):
        self.type = type_
        self.kind = kind
        self.flatten = flatten
        self.unflatten = unflatten
        self.flatten_with_keys = flatten_with_keys

    def __repr__(self):
        return f"<pytree node {self.type.__qualname__}>"

    def __reduce__(self):
        # Pickle by type so an unpickled treedef points at this process's registration singleton.
        return (_registration_for, (self.type,))


_registry: dict[type, _Registration] = {}
_registry_get = _registry.get
_namedtuple_registrations: dict[type, _Registration] = {}


def _registration_for(t: type) -> _Registration:
    reg = _registry_get(t)
    if reg is None and issubclass(t, tuple) and hasattr(t, "_fields"):
        reg = _namedtuple_registration(t)
    if reg is None:
        raise ValueError(f"{t} is not a registered pytree node type")
    return reg


def _namedtuple_registration(t: type) -> _Registration:
    # Namedtuples are recognised structurally, not registered, so cache one registration per class.
    reg = _namedtuple_registrations.get(t)
    if reg is None:
        reg = _namedtuple_registrations.setdefault(t, _Registration(t, _NAMEDTUPLE))
    return reg


def _add_registration(reg: _Registration) -> None:
    if not isinstance(reg.type, type):
        raise TypeError(f"pytree node type must be a class, got {reg.type!r}")
    if reg.type in _registry:
        raise ValueError(f"Duplicate custom PyTreeDef type registration for {reg.type}.")
    _registry[reg.type] = reg


for _t, _k in ((tuple, _TUPLE), (list, _LIST), (dict, _DICT), (type(None), _NONE),
               (collections.OrderedDict, _ORDEREDDICT), (collections.defaultdict, _DEFAULTDICT)):
    _add_registration(_Registration(_t, _k))
del _t, _k


def register_pytree_node(nodetype: type, flatten_func: Callable, unflatten_func: Callable,
                         flatten_with_keys_func: Callable | None = None) -> None:
    """Register ``nodetype`` as a pytree node (JAX's signature).

    ``flatten_func(x) -> (children, aux_data)`` with ``aux_data`` hashable and comparable (it becomes part
    of the treedef, hence of jit cache keys); ``unflatten_func(aux_data, children) -> x``. The optional
    ``flatten_with_keys_func(x) -> (((key, child), ...), aux_data)`` supplies key paths.

    >>> class Pair:
    ...     def __init__(self, a, b): self.a, self.b = a, b
    >>> register_pytree_node(Pair, lambda p: ((p.a, p.b), None), lambda _, c: Pair(*c))
    >>> leaves(Pair(1, [2, 3]))
    [1, 2, 3]
    """
    _add_registration(_Registration(nodetype, _CUSTOM, flatten_func, unflatten_func,
                                    flatten_with_keys_func))


def register_pytree_with_keys(nodetype: type, flatten_with_keys: Callable, unflatten_func: Callable,
                              flatten_func: Callable | None = None) -> None:
    """Register a node whose flatten function returns ``((key, child), ...), aux_data``.

    >>> class Box:
    ...     def __init__(self, v): self.v = v
    >>> register_pytree_with_keys(Box, lambda b: (((GetAttrKey('v'), b.v),), None),
    ...                           lambda _, c: Box(*c))
    >>> keystr(leaves_with_path(Box(1))[0][0])
    '.v'
    """
    if flatten_func is None:
        def flatten_func(x):
            key_children, aux = flatten_with_keys(x)
            return [c for _, c in key_children], aux
    register_pytree_node(nodetype, flatten_func, unflatten_func, flatten_with_keys)


def register_pytree_node_class(cls: type) -> type:
    """Class decorator: register ``cls`` using its ``tree_flatten`` method and ``tree_unflatten`` classmethod.

    >>> @register_pytree_node_class
    ... class Scaled:
    ...     def __init__(self, x, scale): self.x, self.scale = x, scale
    ...     def tree_flatten(self): return (self.x,), self.scale
    ...     @classmethod
    ...     def tree_unflatten(cls, scale, children): return cls(children[0], scale)
    >>> structure(Scaled(1.0, 2))
    PyTreeDef(CustomNode(Scaled[2], [*]))
    """
    register_pytree_node(cls, operator.methodcaller("tree_flatten"), cls.tree_unflatten)
    return cls


def register_pytree_with_keys_class(cls: type) -> type:
    """Class decorator: like :func:`register_pytree_node_class` using ``tree_flatten_with_keys``."""
    flatten = operator.methodcaller("tree_flatten") if hasattr(cls, "tree_flatten") else None
    register_pytree_with_keys(cls, operator.methodcaller("tree_flatten_with_keys"), cls.tree_unflatten,
                              flatten)
    return cls


def _tuple_getter(names: tuple) -> Callable[[Any], tuple]:
    # attrgetter returns a bare value for one name and a tuple for several; always return a tuple.
    if not names:
        return lambda x: ()
    if len(names) == 1:
        name = names[0]
        return lambda x: (getattr(x, name),)
    return operator.attrgetter(*names)


def register_dataclass(nodetype: type | None = None, data_fields: Iterable[str] | None = None,
                       meta_fields: Iterable[str] | None = None):
    """Register a dataclass: ``data_fields`` are children, ``meta_fields`` are static (hashable) aux data.

    When both are omitted, fields declared with ``dataclasses.field(metadata={"static": True})`` are meta
    fields and all the others are data fields. Usable as a decorator (also with only keyword arguments).

    >>> @register_dataclass
    ... @dataclasses.dataclass
    ... class Linear:
    ...     w: Any
    ...     b: Any
    >>> leaves(Linear(w=1, b=2))
    [1, 2]
    """
    if nodetype is None:
        return functools.partial(register_dataclass, data_fields=data_fields, meta_fields=meta_fields)
    if data_fields is None and meta_fields is None:
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError(f"register_dataclass: {nodetype} is not a dataclass; pass data_fields and "
                            "meta_fields explicitly")
        fields = dataclasses.fields(nodetype)
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
    data_fields = tuple(data_fields or ())
    meta_fields = tuple(meta_fields or ())
    if set(data_fields) & set(meta_fields):
        raise ValueError(f"register_dataclass({nodetype.__name__}): fields "
                         f"{sorted(set(data_fields) & set(meta_fields))} are both data and meta fields")
    if dataclasses.is_dataclass(nodetype):
        declared = {f.name for f in dataclasses.fields(nodetype)}
        given = set(data_fields) | set(meta_fields)
        if given != declared:
            raise ValueError(
                f"register_dataclass({nodetype.__name__}): data_fields + meta_fields must name every "
                f"dataclass field exactly once; missing {sorted(declared - given)}, "
                f"unknown {sorted(given - declared)}")

    get_data, get_meta = _tuple_getter(data_fields), _tuple_getter(meta_fields)
    data_keys = tuple(GetAttrKey(n) for n in data_fields)

    def flatten(x):
        meta = get_meta(x)
        if meta_fields:
            try:
                hash(meta)
            except TypeError:
                bad = [n for n, v in zip(meta_fields, meta) if not isinstance(v, Hashable)]
                raise TypeError(f"{nodetype.__name__}: meta fields must be hashable (they are static "
                                f"aux data of the treedef); unhashable: {bad}") from None
        return get_data(x), meta

    def flatten_with_keys(x):
        children, meta = flatten(x)
        return tuple(zip(data_keys, children)), meta

    setattr_ = object.__setattr__

    def unflatten(meta, children):
        # Bypass __init__/__post_init__ (like equinox): during tracing leaves may be placeholders, and
        # re-running validation or conversions on every unflatten would be wrong and slow. object.__setattr__
        # also works for frozen dataclasses.
        obj = object.__new__(nodetype)
        for name, value in zip(meta_fields, meta):
            setattr_(obj, name, value)
        for name, value in zip(data_fields, children):
            setattr_(obj, name, value)
        return obj

    register_pytree_node(nodetype, flatten, unflatten, flatten_with_keys)
    return nodetype


def register_static(cls: type) -> type:
    """Register ``cls`` as a node with no children: instances live in the treedef (must be hashable).

    >>> @register_static
    ... class Cfg:
    ...     pass
    >>> leaves([Cfg(), 1])
    [1]
    """
    register_pytree_node(cls, lambda x: ((), x), lambda x, _: x)
    return cls
