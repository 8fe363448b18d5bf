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

This package sits at the bottom of fnx's dependency order: it imports nothing from fnx.  Its
modules, lowest first: ``_keys`` (key-path entries, ``keystr``), ``_node_types`` (node types and the
``register_*`` functions), ``_treedef`` (flatten / unflatten and ``PyTreeDef``, where the
structure's representation is explained), ``_paths`` (flattening with key paths); this module holds
the rest of the public API and re-exports theirs.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
from typing import Any, Callable, Iterable

from ._keys import (DictKey, FlattenedIndexKey, GetAttrKey, KeyEntry, KeyPath,  # noqa: F401
                    SequenceKey, keystr)
from ._paths import flatten_with_path, leaves_with_path, map_with_path
from ._node_types import (register_dataclass, register_pytree_node,  # noqa: F401
                        register_pytree_node_class, register_pytree_with_keys,
                        register_pytree_with_keys_class, register_static)
from ._node_types import _registry
from ._treedef import (_LEAF, PyTree, PyTreeDef, _flatten, _is_node, _node_keyed_children,
                       _node_registration, flatten, leaves_of_rest,
                       unflatten)

__all__ = [
    # jax.tree names
    "flatten", "unflatten", "leaves", "structure", "map", "all", "reduce", "transpose", "broadcast",
    "flatten_with_path", "leaves_with_path", "map_with_path", "reduce_associative", "static",
    # jax.tree_util names
    "PyTreeDef", "tree_flatten", "tree_unflatten", "tree_leaves", "tree_structure", "tree_map",
    "tree_all", "tree_reduce", "tree_transpose", "tree_broadcast", "tree_flatten_with_path",
    "tree_leaves_with_path", "tree_map_with_path", "treedef_is_leaf", "treedef_is_strict_leaf",
    "treedef_children", "treedef_tuple", "all_leaves", "broadcast_prefix", "keystr",
    "register_pytree_node", "register_pytree_node_class", "register_pytree_with_keys",
    "register_pytree_with_keys_class", "register_dataclass", "register_static",
    "DictKey", "SequenceKey", "GetAttrKey", "FlattenedIndexKey", "KeyEntry", "KeyPath", "Partial",
    "flatten_one_level", "flatten_one_level_with_keys", "is_tree_node", "tree_reduce_associative",
]

_NO_INIT = object()  # sentinel: reduce() called without an initializer


# --------------------------------------------------------------------------------------------------
# Public functions (jax.tree names)
# --------------------------------------------------------------------------------------------------

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
    all_leaves = [leaves_] + leaves_of_rest(treedef, rest, "tree.map")
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


def reduce_associative(operation: Callable, tree: PyTree, *, identity: Any = _NO_INIT,
                       is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Combine the leaves with the associative ``operation`` as a balanced tree of pairs (depth
    log2(n), e.g. for large sums of arrays), as ``jax.tree.reduce_associative``; ``identity``
    is returned for a tree without leaves.

    >>> reduce_associative(lambda a, b: a + b, [1, 2, 3, 4, 5])
    15
    """
    values = leaves(tree, is_leaf)
    if not values:
        if identity is _NO_INIT:
            raise TypeError("tree.reduce_associative: the tree has no leaves and no identity "
                            "was given")
        return identity
    while len(values) > 1:
        paired = [operation(values[i], values[i + 1]) for i in range(0, len(values) - 1, 2)]
        values = paired + values[len(values) - len(values) % 2:]
    return values[0]


def static(**kwargs):
    """``dataclasses.field(**kwargs)`` marked static (``metadata={"static": True}``): the field
    is aux data, not a child, when the dataclass is registered with ``register_dataclass``.  As
    ``jax.tree.static``."""
    metadata = {**(kwargs.pop("metadata", None) or {}), "static": True}
    return dataclasses.field(metadata=metadata, **kwargs)


def is_tree_node(x) -> bool:
    """Whether ``x`` (a type, or a value's type) is a pytree node type: the built-in containers,
    None, namedtuples and registered types (as ``jax.tree_util.is_tree_node``)."""
    typ = x if isinstance(x, type) else type(x)
    return typ in _registry or (issubclass(typ, tuple) and hasattr(typ, "_fields"))


def flatten_one_level(tree: PyTree) -> tuple[list, Any]:
    """``(children, aux_data)`` of the pytree node ``tree`` (one level down), as
    ``jax.tree_util.flatten_one_level``; a leaf raises ValueError.

    >>> flatten_one_level({'a': [1, 2], 'b': {'c': 3}})
    ([[1, 2], {'c': 3}], ('a', 'b'))
    """
    keys, children, aux = _one_level("flatten_one_level", tree)
    return children, aux


def flatten_one_level_with_keys(tree: PyTree) -> tuple[list, Any]:
    """``([(key, child), ...], aux_data)`` of the pytree node ``tree``."""
    keys, children, aux = _one_level("flatten_one_level_with_keys", tree)
    return list(zip(keys, children)), aux


def _one_level(op: str, tree):
    if tree is not None and not _is_node(tree):
        raise ValueError(f"{op}: can't tree-flatten type {type(tree).__name__} (a leaf)")
    if tree is None:
        return [], [], None
    return _node_keyed_children(_node_registration(tree), tree)


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
tree_reduce_associative = reduce_associative
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

    >>> leaves(Partial(max, 1))
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
