"""Flatten / unflatten (the hot paths) and ``PyTreeDef``, the structure of a pytree.

Internal representation (why it looks the way it does): jit flattens its arguments on every call and uses
the treedef in its cache key, so flatten, ``==`` and ``hash`` must be cheap. A structure is therefore a
nested plain tuple, compared and hashed by C code:

* a leaf is ``None`` (the constant ``_LEAF``);
* a node is ``(registration, aux_data, children)`` where ``children`` is a tuple of structures.

Registrations are singletons per type (``_node_types``), so comparing them is an identity check.
"""

from __future__ import annotations

import builtins
import collections
from typing import Any, Callable, Iterable

from ._keys import DictKey, FlattenedIndexKey, GetAttrKey, SequenceKey, keystr
from ._node_types import (_CUSTOM, _DEFAULTDICT, _DICT, _LIST, _NAMEDTUPLE, _NONE, _ORDEREDDICT,
                        _TUPLE, _namedtuple_registration, _registry, _registry_get, _Registration)

PyTree = Any

_LEAF = None  # marker for a leaf position inside a structure (see module docstring)
_NONE_NODE = (_registry[type(None)], None, ())  # every None shares this structure


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
            f"  got structure:               {flatten(xs)[1]!r}")


def leaves_of_rest(treedef: PyTreeDef, rest, what: str) -> list[list]:
    """The leaves of each tree in ``rest`` (the extra trees of a ``map``), each flattened up to
    ``treedef``; a tree of another structure raises naming ``what`` and where it differs."""
    all_leaves = []
    for i, r in enumerate(rest):
        out: list = []
        try:
            _flatten_up_to(treedef._node, r, out)
        except _StructureMismatch as e:
            raise ValueError(f"{what}: tree #{i + 1} of `rest` does not match the first tree. "
                             + _mismatch_message(treedef, r, e)) from None
        all_leaves.append(out)
    return all_leaves


# --------------------------------------------------------------------------------------------------
# flatten / unflatten
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
