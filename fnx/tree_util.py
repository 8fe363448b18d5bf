"""``jax.tree_util``'s names over fnx's pytrees (``fnx.tree``), so that ``from jax import
tree_util`` ports as ``from fnx import tree_util``.  Every name is ``fnx.tree``'s own object."""
from __future__ import annotations

from .tree import (DictKey, FlattenedIndexKey, GetAttrKey, KeyEntry, KeyPath,  # noqa: F401
                   Partial, PyTreeDef, SequenceKey, all_leaves, flatten_one_level,
                   flatten_one_level_with_keys, is_tree_node, keystr, register_dataclass, register_pytree_node,
                   register_pytree_node_class, register_pytree_with_keys,
                   register_pytree_with_keys_class, register_static, tree_all, tree_broadcast,
                   tree_flatten, tree_flatten_with_path, tree_leaves, tree_leaves_with_path,
                   tree_map, tree_map_with_path, tree_reduce, tree_reduce_associative,
                   tree_structure, tree_transpose,
                   tree_unflatten, treedef_children, treedef_is_leaf, treedef_tuple)

__all__ = ["DictKey", "FlattenedIndexKey", "GetAttrKey", "KeyEntry", "KeyPath", "Partial",
           "PyTreeDef", "SequenceKey", "all_leaves", "flatten_one_level",
           "flatten_one_level_with_keys", "is_tree_node", "keystr", "register_dataclass", "register_pytree_node",
           "register_pytree_node_class", "register_pytree_with_keys",
           "register_pytree_with_keys_class", "register_static", "tree_all", "tree_broadcast",
           "tree_flatten", "tree_flatten_with_path", "tree_leaves", "tree_leaves_with_path",
           "tree_map", "tree_map_with_path", "tree_reduce", "tree_reduce_associative",
           "tree_structure", "tree_transpose",
           "tree_unflatten", "treedef_children", "treedef_is_leaf", "treedef_tuple"]
