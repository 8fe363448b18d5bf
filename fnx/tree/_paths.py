"""Flattening with key paths: every leaf paired with the keys that lead to it."""

from __future__ import annotations

from typing import Any, Callable

from ._node_types import _NONE
from ._treedef import (_LEAF, _NONE_NODE, PyTree, PyTreeDef, _is_node,
                       _node_keyed_children, _node_registration, leaves_of_rest)


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
    all_leaves = [[x for _, x in pairs]] + leaves_of_rest(treedef, rest, "tree.map_with_path")
    paths = [p for p, _ in pairs]
    return treedef.unflatten([f(p, *xs) for p, *xs in zip(paths, *all_leaves)])
