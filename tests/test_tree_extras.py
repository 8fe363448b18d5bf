"""jax.tree / jax.tree_util names added for issue 21: flatten_one_level(_with_keys),
is_tree_node, reduce_associative / tree_reduce_associative, tree.static."""
import collections
import dataclasses
import functools
import operator

import pytest
from hypothesis import given, settings, strategies as st

import fnx.tree as tree
import fnx.tree_util as tree_util


def test_flatten_one_level_of_each_node_kind():
    Point = collections.namedtuple("Point", "x y")
    assert tree_util.flatten_one_level({"b": 1, "a": [2]}) == ([[2], 1], ("a", "b"))
    assert tree_util.flatten_one_level((1, (2, 3))) == ([1, (2, 3)], None)
    assert tree_util.flatten_one_level(Point(1, [2]))[0] == [1, [2]]
    assert tree_util.flatten_one_level(None) == ([], None)
    keyed, _ = tree_util.flatten_one_level_with_keys(Point(1, 2))
    assert [(tree_util.keystr((k,)), v) for k, v in keyed] == [(".x", 1), (".y", 2)]
    for leaf in (3, "s", 2.5):
        with pytest.raises(ValueError, match="flatten_one_level"):
            tree_util.flatten_one_level(leaf)


def test_is_tree_node_takes_types_and_values():
    Point = collections.namedtuple("Point", "x y")
    for node in (dict, list, tuple, type(None), Point, {}, [1], Point(1, 2)):
        assert tree_util.is_tree_node(node)
    for leaf in (int, float, str, 3, "x"):
        assert not tree_util.is_tree_node(leaf)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(max_size=2), min_size=1, max_size=17))
def test_reduce_associative_keeps_the_order_of_a_non_commutative_operation(words):
    # string concatenation is associative but not commutative
    assert tree.reduce_associative(operator.add, words) == functools.reduce(operator.add, words)
    assert tree_util.tree_reduce_associative(operator.add, {"k": words}) == "".join(words)


def test_reduce_associative_identity():
    assert tree.reduce_associative(operator.add, [], identity=0) == 0
    with pytest.raises(TypeError, match="identity"):
        tree.reduce_associative(operator.add, [])


def test_static_marks_a_dataclass_field_as_aux_data():
    @tree_util.register_dataclass
    @dataclasses.dataclass
    class Op:
        x: float
        y: float
        op: str = tree.static(default="add")
        tag: str = tree.static(default="t", metadata={"doc": "kept"})
    leaves, treedef = tree.flatten(Op(1.0, 2.0))
    assert leaves == [1.0, 2.0]
    assert tree.unflatten(treedef, [3.0, 4.0]) == Op(3.0, 4.0, "add", "t")
    assert dataclasses.fields(Op)[3].metadata == {"doc": "kept", "static": True}
