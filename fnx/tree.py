"""Pytrees: nested containers of arrays, flattened to a list of leaves plus a structure.

Modelled on ``jax.tree_util`` / ``jax.tree`` (same names and semantics), so JAX code ports by changing
imports::

    >>> from fnx import tree
    >>> leaves, treedef = tree.flatten({"b": [1, None], "a": (2,)})
    >>> leaves
    [2, 1]
    >>> treedef
    PyTreeDef({'a': (*,), 'b': [*, None]})
    >>> tree.unflatten(treedef, [20, 10])
    {'a': (20,), 'b': [10, None]}

Node types built in: ``None`` (a node with no children, *not* a leaf), ``tuple``, ``list``, ``dict``
(children in sorted key order), namedtuples (any tuple subclass with ``_fields``),
``collections.OrderedDict`` (insertion order) and ``collections.defaultdict`` (sorted keys). Everything
else is a leaf unless registered with :func:`register_pytree_node` (or the class / dataclass helpers).

This module sits at the bottom of fnx's dependency order: it imports nothing from fnx.

Internal representation (why it looks the way it does): jit flattens its arguments on every call and uses
the treedef in its cache key, so flatten, ``==`` and ``hash`` must be cheap. A structure is therefore a
nested plain tuple, compared and hashed by C code:

* a leaf is ``None`` (the constant ``_LEAF``);
* a node is ``(registration, aux_data, children)`` where ``children`` is a tuple of structures.

Registrations are singletons per type, so comparing them is an identity check.
"""

from __future__ import annotations

import builtins
import collections
import dataclasses
import functools
import operator
from typing import Any, Callable, Hashable, Iterable

__all__ = [
    # jax.tree names
    "flatten", "unflatten", "leaves", "structure", "map", "all", "reduce", "transpose", "broadcast",
    "flatten_with_path", "leaves_with_path", "map_with_path",
    # jax.tree_util names
    "PyTreeDef", "tree_flatten", "tree_unflatten", "tree_leaves", "tree_structure", "tree_map",
    "tree_all", "tree_reduce", "tree_transpose", "tree_broadcast", "tree_flatten_with_path",
    "tree_leaves_with_path", "tree_map_with_path", "treedef_is_leaf", "treedef_is_strict_leaf",
    "treedef_children", "treedef_tuple", "all_leaves", "broadcast_prefix", "keystr",
    "register_pytree_node", "register_pytree_node_class", "register_pytree_with_keys",
    "register_pytree_with_keys_class", "register_dataclass", "register_static",
    "DictKey", "SequenceKey", "GetAttrKey", "FlattenedIndexKey", "KeyEntry", "KeyPath", "Partial",
]

PyTree = Any
KeyEntry = Any
KeyPath = tuple

_LEAF = None  # marker for a leaf position inside a structure (see module docstring)
_NO_INIT = object()  # sentinel: reduce() called without an initializer

# Node kinds. Built-in containers get their own kind so the hot loops can handle them inline instead of
# going through a flatten/unflatten callback.
_CUSTOM, _TUPLE, _LIST, _DICT, _NONE, _NAMEDTUPLE, _ORDEREDDICT, _DEFAULTDICT = range(8)


# --------------------------------------------------------------------------------------------------
# Key paths
# --------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class DictKey:
    """Key of a dict entry; ``str`` gives ``['a']``."""
    key: Hashable

    def __str__(self):
        return f"[{self.key!r}]"

    def _simple(self):
        return str(self.key)


@dataclasses.dataclass(frozen=True)
class SequenceKey:
    """Index of a tuple/list entry; ``str`` gives ``[0]``."""
    idx: int

    def __str__(self):
        return f"[{self.idx!r}]"

    def _simple(self):
        return str(self.idx)


@dataclasses.dataclass(frozen=True)
class GetAttrKey:
    """Attribute of a namedtuple / dataclass / object; ``str`` gives ``.name``."""
    name: str

    def __str__(self):
        return f".{self.name}"

    def _simple(self):
        return str(self.name)


@dataclasses.dataclass(frozen=True)
class FlattenedIndexKey:
    """Position among the children of a custom node registered without key information."""
    key: int

    def __str__(self):
        return f"[<flat index {self.key}>]"

    def _simple(self):
        return str(self.key)


def keystr(keys: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """Render a key path as a string.

    >>> keystr((DictKey('a'), SequenceKey(0), GetAttrKey('w')))
    "['a'][0].w"
    >>> keystr((DictKey('a'), SequenceKey(0)), simple=True, separator='/')
    'a/0'
    """
    if simple:
        return separator.join(k._simple() if hasattr(k, "_simple") else str(k) for k in keys)
    return separator.join(str(k) for k in keys)


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

_NONE_NODE = (_registry[type(None)], None, ())  # every None shares this structure


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


# --------------------------------------------------------------------------------------------------
# Flatten / unflatten (the hot paths)
# --------------------------------------------------------------------------------------------------

def _sorted_keys(d: dict) -> tuple:
    try:
        return tuple(sorted(d))
    except TypeError:
        # Unorderable mixed keys: fall back to insertion order (what jaxlib does).
        return tuple(d)


def _flatten(x, leaves: list, is_leaf) -> tuple:
    """Structure of the node ``x`` (known not to be a leaf); its leaves are appended to ``leaves``."""
    t = type(x)
    reg = _registry_get(t)
    if reg is None:
        reg = _namedtuple_registration(t)  # callers only pass nodes, so this is a namedtuple
    kind = reg.kind
    if kind == _DICT:
        try:
            aux = tuple(sorted(x))
        except TypeError:  # unorderable mixed keys: insertion order (what jaxlib does)
            aux = tuple(x)
        vals = builtins.map(x.__getitem__, aux)
    elif kind == _TUPLE or kind == _LIST or kind == _NAMEDTUPLE:
        vals, aux = x, None
    elif kind == _NONE:
        return _NONE_NODE
    elif kind == _CUSTOM:
        vals, aux = reg.flatten(x)
    elif kind == _ORDEREDDICT:
        aux = tuple(x)
        vals = builtins.map(x.__getitem__, aux)
    else:  # _DEFAULTDICT
        keys = _sorted_keys(x)
        aux = (x.default_factory, keys)
        vals = builtins.map(x.__getitem__, keys)
    # Classify children inline: most children are leaves (arrays), and a Python call per leaf would
    # dominate the cost. `leaves.append(c)` returns None, which is exactly the _LEAF marker, so the
    # comprehension records the leaf and its place in the structure in one step.
    add_leaf = leaves.append
    if is_leaf is None:
        return (reg, aux, tuple([
            _flatten(c, leaves, None)
            if type(c) in _registry or (isinstance(c, tuple) and hasattr(type(c), "_fields"))
            else add_leaf(c)
            for c in vals]))
    return (reg, aux, tuple([
        add_leaf(c) if is_leaf(c) or not _is_node(c) else _flatten(c, leaves, is_leaf)
        for c in vals]))


def _is_node(x) -> bool:
    t = type(x)
    return t in _registry or (isinstance(x, tuple) and hasattr(t, "_fields"))


def _build(node: tuple, nxt: Callable[[], Any]):
    """Rebuild the node described by ``node``, pulling leaves from ``nxt``."""
    reg, aux, kids = node
    vals = [nxt() if k is None else _build(k, nxt) for k in kids]
    kind = reg.kind
    if kind == _DICT:
        return dict(zip(aux, vals))
    if kind == _TUPLE:
        return tuple(vals)
    if kind == _LIST:
        return vals
    if kind == _NONE:
        return None
    if kind == _CUSTOM:
        return reg.unflatten(aux, tuple(vals))
    if kind == _NAMEDTUPLE:
        return reg.type(*vals)
    if kind == _ORDEREDDICT:
        return collections.OrderedDict(zip(aux, vals))
    return collections.defaultdict(aux[0], zip(aux[1], vals))


def _node_children(reg: _Registration, x) -> tuple[list, Any]:
    """(children, aux) of node ``x`` — the same split as _flatten, for the slower generic walks."""
    kind = reg.kind
    if kind == _DICT:
        aux = _sorted_keys(x)
        return [x[k] for k in aux], aux
    if kind == _TUPLE or kind == _LIST or kind == _NAMEDTUPLE:
        return list(x), None
    if kind == _NONE:
        return [], None
    if kind == _CUSTOM:
        vals, aux = reg.flatten(x)
        return list(vals), aux
    if kind == _ORDEREDDICT:
        aux = tuple(x)
        return [x[k] for k in aux], aux
    keys = _sorted_keys(x)
    return [x[k] for k in keys], (x.default_factory, keys)


def _node_keyed_children(reg: _Registration, x) -> tuple[list, list, Any]:
    """(keys, children, aux) of node ``x``."""
    kind = reg.kind
    if kind == _CUSTOM and reg.flatten_with_keys is not None:
        key_children, aux = reg.flatten_with_keys(x)
        key_children = list(key_children)
        return [k for k, _ in key_children], [c for _, c in key_children], aux
    vals, aux = _node_children(reg, x)
    if kind == _DICT:
        keys = [DictKey(k) for k in aux]
    elif kind == _DEFAULTDICT:
        keys = [DictKey(k) for k in aux[1]]
    elif kind == _ORDEREDDICT:
        keys = [DictKey(k) for k in aux]
    elif kind == _TUPLE or kind == _LIST:
        keys = [SequenceKey(i) for i in range(len(vals))]
    elif kind == _NAMEDTUPLE:
        keys = [GetAttrKey(f) for f in reg.type._fields]
    else:
        keys = [FlattenedIndexKey(i) for i in range(len(vals))]
    return keys, vals, aux


def _node_registration(x) -> _Registration:
    t = type(x)
    reg = _registry_get(t)
    return reg if reg is not None else _namedtuple_registration(t)


# --------------------------------------------------------------------------------------------------
# PyTreeDef
# --------------------------------------------------------------------------------------------------

def _count_leaves(node) -> int:
    if node is _LEAF:
        return 1
    return builtins.sum(_count_leaves(k) for k in node[2])


def _count_nodes(node) -> int:
    if node is _LEAF:
        return 1
    return 1 + builtins.sum(_count_nodes(k) for k in node[2])


def _node_repr(node) -> str:
    if node is _LEAF:
        return "*"
    reg, aux, kids = node
    kind = reg.kind
    parts = [_node_repr(k) for k in kids]
    if kind == _NONE:
        return "None"
    if kind == _TUPLE:
        return "(" + parts[0] + ",)" if len(parts) == 1 else "(" + ", ".join(parts) + ")"
    if kind == _LIST:
        return "[" + ", ".join(parts) + "]"
    if kind in (_DICT, _ORDEREDDICT, _DEFAULTDICT):
        keys = aux[1] if kind == _DEFAULTDICT else aux
        body = "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(keys, parts)) + "}"
        if kind == _DICT:
            return body
        if kind == _ORDEREDDICT:
            return f"OrderedDict({body})"
        return f"defaultdict({aux[0]!r}, {body})"
    if kind == _NAMEDTUPLE:
        return f"CustomNode(namedtuple[{reg.type.__name__}], [{', '.join(parts)}])"
    return f"CustomNode({reg.type.__name__}[{aux!r}], [{', '.join(parts)}])"


class _StructureMismatch(ValueError):
    """Raised inside flatten_up_to; collects the key path to the mismatch on its way out."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail
        self.path: list = []


def _flatten_up_to(node, x, out: list) -> None:
    if node is _LEAF:
        out.append(x)
        return
    reg, aux, kids = node
    kind = reg.kind
    if kind == _NONE:
        if x is not None:
            raise _StructureMismatch(f"expected None, got {_short(x)}")
        return
    if type(x) is not reg.type:
        raise _StructureMismatch(f"expected a {reg.type.__name__} node, got {type(x).__name__}: "
                                 f"{_short(x)}")
    vals, x_aux = _node_children(reg, x)
    if len(vals) != len(kids):
        raise _StructureMismatch(f"{reg.type.__name__} node arity mismatch: expected {len(kids)} "
                                 f"children, got {len(vals)}")
    try:
        same_aux = x_aux == aux
        same_aux = bool(same_aux)
    except Exception:  # aux data whose == is not boolean (e.g. arrays) — treat as different
        same_aux = False
    if not same_aux:
        what = "keys" if kind in (_DICT, _ORDEREDDICT) else "auxiliary data"
        raise _StructureMismatch(f"{reg.type.__name__} node {what} mismatch: expected {aux!r}, "
                                 f"got {x_aux!r}")
    for i, (k, v) in enumerate(zip(kids, vals)):
        if k is _LEAF:
            out.append(v)
            continue
        try:
            _flatten_up_to(k, v, out)
        except _StructureMismatch as e:
            keys, _, _ = _node_keyed_children(reg, x)
            e.path.insert(0, keys[i])
            raise


def _short(x, limit: int = 80) -> str:
    s = repr(x)
    return s if len(s) <= limit else s[:limit - 3] + "..."


class PyTreeDef:
    """The structure of a pytree: everything except the leaves.

    Hashable and comparable (aux data compared with ``==``), so it can be part of a jit cache key.

    >>> treedef = structure((1, {'a': 2, 'b': [3, None]}))
    >>> treedef
    PyTreeDef((*, {'a': *, 'b': [*, None]}))
    >>> treedef.num_leaves, treedef.num_nodes
    (3, 7)
    >>> treedef.unflatten(['x', 'y', 'z'])
    ('x', {'a': 'y', 'b': ['z', None]})
    """
    __slots__ = ("_node", "_num_leaves", "_hash")

    def __init__(self, node, num_leaves: int | None = None):
        self._node = node
        self._num_leaves = _count_leaves(node) if num_leaves is None else num_leaves
        self._hash = None

    @property
    def num_leaves(self) -> int:
        return self._num_leaves

    @property
    def num_nodes(self) -> int:
        """Number of nodes including leaves and ``None`` (as in JAX)."""
        return _count_nodes(self._node)

    def children(self) -> list[PyTreeDef]:
        """Treedefs of the root's children (empty for a leaf)."""
        if self._node is _LEAF:
            return []
        return [PyTreeDef(k) for k in self._node[2]]

    def node_data(self):
        """``(node_type, aux_data)`` of the root, or ``None`` for a leaf."""
        if self._node is _LEAF:
            return None
        reg, aux, _ = self._node
        return reg.type, aux

    def unflatten(self, leaves: Iterable) -> PyTree:
        """Build a pytree with this structure from an iterable of leaves."""
        if type(leaves) is not list and type(leaves) is not tuple:
            leaves = list(leaves)
        n = len(leaves)
        if n != self._num_leaves:
            few = "few" if n < self._num_leaves else "many"
            raise ValueError(f"Too {few} leaves for {self!r}; expected {self._num_leaves}, got {n}")
        node = self._node
        if node is _LEAF:
            return leaves[0]
        return _build(node, iter(leaves).__next__)

    def flatten_up_to(self, xs: PyTree) -> list:
        """Leaves of ``xs`` taken at this treedef's leaf positions (a leaf here may be a subtree there).

        >>> structure((1, 2)).flatten_up_to(([1, 2], {'a': 3}))
        [[1, 2], {'a': 3}]
        """
        out: list = []
        try:
            _flatten_up_to(self._node, xs, out)
        except _StructureMismatch as e:
            raise ValueError(_mismatch_message(self, xs, e)) from None
        return out

    def compose(self, inner: PyTreeDef) -> PyTreeDef:
        """The treedef obtained by replacing every leaf of ``self`` with ``inner``."""
        def sub(node):
            if node is _LEAF:
                return inner._node
            reg, aux, kids = node
            return (reg, aux, tuple(sub(k) for k in kids))
        return PyTreeDef(sub(self._node), self._num_leaves * inner._num_leaves)

    def __eq__(self, other):
        if not isinstance(other, PyTreeDef):
            return NotImplemented
        return self is other or self._node == other._node

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self):
        h = self._hash
        if h is None:
            h = self._hash = hash(self._node)
        return h

    def __repr__(self):
        return f"PyTreeDef({_node_repr(self._node)})"

    def __reduce__(self):
        return (PyTreeDef, (self._node, self._num_leaves))


def _mismatch_message(treedef: PyTreeDef, xs, e: _StructureMismatch) -> str:
    where = keystr(tuple(e.path)) or "the root"
    return (f"pytree structure mismatch at {where}: {e.detail}.\n"
            f"  expected structure (prefix): {treedef!r}\n"
            f"  got structure:               {structure(xs)!r}")


# --------------------------------------------------------------------------------------------------
# Public functions (jax.tree names)
# --------------------------------------------------------------------------------------------------

def flatten(tree: PyTree, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list, PyTreeDef]:
    """Flatten a pytree into ``(leaves, treedef)``; dict children come in sorted key order.

    ``is_leaf(x) -> True`` makes the subtree ``x`` a leaf.

    >>> flatten({'b': 1, 'a': (2, None)})
    ([2, 1], PyTreeDef({'a': (*, None), 'b': *}))
    >>> flatten([[1, 2], [3]], is_leaf=lambda x: isinstance(x, list) and len(x) == 1)[0]
    [1, 2, [3]]
    """
    leaves: list = []
    if (is_leaf is not None and is_leaf(tree)) or not _is_node(tree):
        return [tree], PyTreeDef(_LEAF, 1)
    node = _flatten(tree, leaves, is_leaf)
    return leaves, PyTreeDef(node, len(leaves))


def unflatten(treedef: PyTreeDef, leaves: Iterable) -> PyTree:
    """Inverse of :func:`flatten`.

    >>> leaves_, treedef = flatten((1, [2]))
    >>> unflatten(treedef, [10, 20])
    (10, [20])
    """
    return treedef.unflatten(leaves)


def leaves(tree: PyTree, is_leaf: Callable[[Any], bool] | None = None) -> list:
    """The leaves of ``tree`` in flattening order (``None`` is a node, so it contributes none).

    >>> leaves({'b': [1, None], 'a': 2})
    [2, 1]
    """
    if (is_leaf is not None and is_leaf(tree)) or not _is_node(tree):
        return [tree]
    out: list = []
    _flatten(tree, out, is_leaf)
    return out


def structure(tree: PyTree, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    """The treedef of ``tree``.

    >>> structure([1, (2, 3)])
    PyTreeDef([*, (*, *)])
    """
    return flatten(tree, is_leaf)[1]


def map(f: Callable, tree: PyTree, *rest: PyTree, is_leaf: Callable[[Any], bool] | None = None) -> PyTree:
    """Apply ``f`` to corresponding leaves of one or more trees; the result has ``tree``'s structure.

    Each tree in ``rest`` must have ``tree``'s structure up to ``tree``'s leaves: where ``tree`` has a leaf,
    the others may hold a whole subtree, which is passed to ``f`` as is.

    >>> map(lambda x, y: x + y, {'a': 1, 'b': 2}, {'a': 10, 'b': 20})
    {'a': 11, 'b': 22}
    >>> map(lambda x, y: (x, y), (1, 2), ([3, 4], 5))
    ((1, [3, 4]), (2, 5))
    """
    leaves_, treedef = flatten(tree, is_leaf)
    if not rest:
        return treedef.unflatten([f(x) for x in leaves_])
    all_leaves = [leaves_]
    for i, r in enumerate(rest):
        out: list = []
        try:
            _flatten_up_to(treedef._node, r, out)
        except _StructureMismatch as e:
            raise ValueError(f"tree.map: tree #{i + 1} of `rest` does not match the first tree. "
                             + _mismatch_message(treedef, r, e)) from None
        all_leaves.append(out)
    return treedef.unflatten([f(*xs) for xs in zip(*all_leaves)])


def all(tree: PyTree, *, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """True iff every leaf is truthy.

    >>> all([True, {'a': 1}]), all([True, (0,)])
    (True, False)
    """
    return builtins.all(leaves(tree, is_leaf))


def reduce(function: Callable, tree: PyTree, initializer: Any = _NO_INIT,
           is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """``functools.reduce`` over the leaves.

    >>> reduce(lambda a, b: a + b, {'a': 1, 'b': [2, 3]})
    6
    >>> reduce(max, [], initializer=0)
    0
    """
    if initializer is _NO_INIT:
        return functools.reduce(function, leaves(tree, is_leaf))
    return functools.reduce(function, leaves(tree, is_leaf), initializer)


def transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None,
              pytree_to_transpose: PyTree) -> PyTree:
    """Turn an outer tree of inner trees into an inner tree of outer trees.

    ``inner_treedef=None`` infers it from the first outer leaf.

    >>> transpose(structure([0, 0]), structure((0, 0)), [(1, 2), (3, 4)])
    ([1, 3], [2, 4])
    """
    if inner_treedef is None:
        inner_treedef = structure(outer_treedef.flatten_up_to(pytree_to_transpose)[0])
    flat, treedef = flatten(pytree_to_transpose)
    inner_size, outer_size = inner_treedef.num_leaves, outer_treedef.num_leaves
    if treedef.num_leaves != inner_size * outer_size:
        raise TypeError(f"tree.transpose: mismatch: {treedef!r} has {treedef.num_leaves} leaves, expected "
                        f"{outer_size} (outer) x {inner_size} (inner)")
    expected = outer_treedef.compose(inner_treedef)
    if treedef != expected:
        raise TypeError(f"tree.transpose: mismatch\n  {treedef!r}\n  != {expected!r}")
    rows = [flat[i * inner_size:(i + 1) * inner_size] for i in range(outer_size)]
    return inner_treedef.unflatten([outer_treedef.unflatten(col) for col in zip(*rows)])


def broadcast_prefix(prefix_tree: PyTree, full_tree: PyTree,
                     is_leaf: Callable[[Any], bool] | None = None) -> list:
    """One prefix leaf per leaf of ``full_tree`` (each prefix leaf repeated over its subtree).

    Used e.g. to expand vmap's ``in_axes`` (pass ``is_leaf=lambda x: x is None`` to treat None as a leaf).

    >>> broadcast_prefix((0, 1), ([1, 2], 3))
    [0, 0, 1]
    """
    treedef = structure(prefix_tree, is_leaf)
    result: list = []
    prefix_leaves = leaves(prefix_tree, is_leaf)
    try:
        subtrees = treedef.flatten_up_to(full_tree)
    except ValueError as e:
        raise ValueError(f"broadcast_prefix: {prefix_tree!r} is not a tree prefix of the full tree. {e}") \
            from None
    for p, sub in zip(prefix_leaves, subtrees):
        result.extend([p] * len(leaves(sub)))
    return result


def broadcast(prefix_tree: PyTree, full_tree: PyTree, is_leaf: Callable[[Any], bool] | None = None) -> PyTree:
    """Broadcast a tree prefix over the full structure of ``full_tree``.

    >>> broadcast({'a': 0, 'b': 1}, {'a': (5, 6), 'b': 7})
    {'a': (0, 0), 'b': 1}
    """
    return structure(full_tree).unflatten(broadcast_prefix(prefix_tree, full_tree, is_leaf))


def _flatten_with_path(x, path: tuple, out: list, is_leaf):
    if (is_leaf is not None and is_leaf(x)) or not _is_node(x):
        out.append((path, x))
        return _LEAF
    reg = _node_registration(x)
    keys, vals, aux = _node_keyed_children(reg, x)
    if reg.kind == _NONE:
        return _NONE_NODE
    return (reg, aux, tuple(_flatten_with_path(v, path + (k,), out, is_leaf) for k, v in zip(keys, vals)))


def flatten_with_path(tree: PyTree, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list, PyTreeDef]:
    """Like :func:`flatten` but each leaf comes with its key path: ``([(path, leaf), ...], treedef)``.

    >>> pairs, _ = flatten_with_path({'a': [1, 2]})
    >>> [(keystr(p), x) for p, x in pairs]
    [("['a'][0]", 1), ("['a'][1]", 2)]
    """
    out: list = []
    node = _flatten_with_path(tree, (), out, is_leaf)
    return out, PyTreeDef(node, len(out))


def leaves_with_path(tree: PyTree, is_leaf: Callable[[Any], bool] | None = None) -> list:
    """``[(path, leaf), ...]``.

    >>> [keystr(p) for p, _ in leaves_with_path((1, {'w': 2}))]
    ['[0]', "[1]['w']"]
    """
    return flatten_with_path(tree, is_leaf)[0]


def map_with_path(f: Callable, tree: PyTree, *rest: PyTree,
                  is_leaf: Callable[[Any], bool] | None = None) -> PyTree:
    """Like :func:`map` but ``f`` gets the key path first: ``f(path, x, *xs)``.

    >>> map_with_path(lambda p, x: keystr(p), {'a': 1, 'b': (2,)})
    {'a': "['a']", 'b': ("['b'][0]",)}
    """
    pairs, treedef = flatten_with_path(tree, is_leaf)
    all_leaves = [[x for _, x in pairs]]
    for i, r in enumerate(rest):
        out: list = []
        try:
            _flatten_up_to(treedef._node, r, out)
        except _StructureMismatch as e:
            raise ValueError(f"tree.map_with_path: tree #{i + 1} of `rest` does not match the first tree. "
                             + _mismatch_message(treedef, r, e)) from None
        all_leaves.append(out)
    paths = [p for p, _ in pairs]
    return treedef.unflatten([f(p, *xs) for p, *xs in zip(paths, *all_leaves)])


# --------------------------------------------------------------------------------------------------
# jax.tree_util names
# --------------------------------------------------------------------------------------------------

tree_flatten = flatten
tree_unflatten = unflatten
tree_leaves = leaves
tree_structure = structure
tree_map = map
tree_all = all
tree_reduce = reduce
tree_transpose = transpose
tree_broadcast = broadcast
tree_flatten_with_path = flatten_with_path
tree_leaves_with_path = leaves_with_path
tree_map_with_path = map_with_path


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    """``treedef.num_nodes == 1`` — as in JAX this is also True for ``None`` and empty containers.

    >>> treedef_is_leaf(structure(1)), treedef_is_leaf(structure([1]))
    (True, False)
    """
    return treedef.num_nodes == 1


def treedef_is_strict_leaf(treedef: PyTreeDef) -> bool:
    """True only for the treedef of a single leaf (not for ``None`` or ``()``).

    >>> treedef_is_strict_leaf(structure(1)), treedef_is_strict_leaf(structure(None))
    (True, False)
    """
    return treedef._node is _LEAF


def treedef_children(treedef: PyTreeDef) -> list[PyTreeDef]:
    """Same as ``treedef.children()``."""
    return treedef.children()


def treedef_tuple(treedefs: Iterable[PyTreeDef]) -> PyTreeDef:
    """The treedef of a tuple whose children have the given treedefs.

    >>> treedef_tuple([structure(1), structure([1, 2])])
    PyTreeDef((*, [*, *]))
    """
    treedefs = list(treedefs)
    node = (_registry[tuple], None, tuple(t._node for t in treedefs))
    return PyTreeDef(node, builtins.sum(t.num_leaves for t in treedefs))


def all_leaves(iterable: Iterable, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """True iff every element of ``iterable`` is a leaf.

    >>> all_leaves([1, 'a']), all_leaves([1, (2,)]), all_leaves([None])
    (True, False, False)
    """
    for x in iterable:
        if is_leaf is not None and is_leaf(x):
            continue
        if _is_node(x):
            return False
    return True


class Partial(functools.partial):
    """A ``functools.partial`` that is a pytree: the bound arguments are children, the function is aux data.

    Lets partially applied functions pass through transformations such as jit.

    >>> leaves(Partial(operator.add, 1))
    [1]
    """

    def __new__(cls, func, *args, **kw):
        # Flatten nested partials so `func` (the aux data) is a plain, hashable function, as JAX does.
        if isinstance(func, functools.partial):
            args = func.args + args
            kw = {**func.keywords, **kw}
            func = func.func
        return super().__new__(cls, func, *args, **kw)


register_pytree_node(
    Partial,
    lambda p: ((p.args, p.keywords), p.func),
    lambda func, children: Partial(func, *children[0], **children[1]),
)
