"""Tests for fnx.tree (pytrees), checked against jax.tree_util's documented semantics."""
import collections
import dataclasses
import doctest
import pickle
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fnx import tree


class Point(NamedTuple):
    x: Any
    y: Any


@tree.register_dataclass
@dataclasses.dataclass
class Linear:
    w: Any
    b: Any


@tree.register_dataclass
@dataclasses.dataclass(frozen=True)
class Conv:
    kernel: Any
    stride: int = dataclasses.field(default=1, metadata={"static": True})

    def __post_init__(self):
        # unflatten must not re-run this (leaves may be placeholders during tracing)
        if self.kernel == "forbidden":
            raise AssertionError("__post_init__ ran")


@dataclasses.dataclass
class Norm:
    scale: Any
    eps: float


tree.register_dataclass(Norm, data_fields=["scale"], meta_fields=["eps"])


@tree.register_pytree_node_class
class Scaled:
    def __init__(self, value, factor):
        self.value, self.factor = value, factor

    def tree_flatten(self):
        return (self.value,), self.factor

    @classmethod
    def tree_unflatten(cls, factor, children):
        return cls(children[0], factor)

    def __eq__(self, other):
        return type(other) is Scaled and (self.value, self.factor) == (other.value, other.factor)


class Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def __eq__(self, other):
        return type(other) is Pair and (self.a, self.b) == (other.a, other.b)


tree.register_pytree_node(Pair, lambda p: ((p.a, p.b), None), lambda _, c: Pair(*c))


# ------------------------------------------------------------------------------------------------
# Round trips
# ------------------------------------------------------------------------------------------------

ROUND_TRIP_CASES = [
    1,
    "leaf",
    None,
    (),
    [],
    {},
    (1, 2),
    (1,),
    [1, [2, [3]]],
    {"b": 1, "a": 2},
    {"a": None, "b": (None, 1)},
    Point(1, (2, 3)),
    collections.OrderedDict([("z", 1), ("a", 2)]),
    collections.defaultdict(list, {"b": 1, "a": [2]}),
    Linear(w=1, b=[2, 3]),
    Conv(kernel=4, stride=2),
    Norm(scale=(1, 2), eps=1e-5),
    Scaled([1, 2], factor=3),
    Pair(1, {"x": 2}),
    tree.Partial(max, 1, key=abs),
]


@pytest.mark.parametrize("x", ROUND_TRIP_CASES, ids=lambda x: type(x).__name__)
def test_round_trip_every_node_kind(x):
    leaves, treedef = tree.flatten(x)
    y = tree.unflatten(treedef, leaves)
    assert type(y) is type(x)
    assert tree.structure(y) == treedef
    assert tree.leaves(y) == leaves
    if not isinstance(x, (Linear, Norm, tree.Partial)):  # no __eq__ / identity-based __eq__
        assert y == x


def test_leaf_and_node_counts():
    leaves, treedef = tree.flatten((1, {"a": 2, "b": [3, None]}))
    assert leaves == [1, 2, 3]
    assert treedef.num_leaves == 3
    assert treedef.num_nodes == 7  # tuple, leaf, dict, leaf, list, leaf, None
    assert repr(treedef) == "PyTreeDef((*, {'a': *, 'b': [*, None]}))"
    assert [repr(c) for c in treedef.children()] == ["PyTreeDef(*)", "PyTreeDef({'a': *, 'b': [*, None]})"]


def test_dict_children_in_sorted_key_order_and_unflatten_restores_dict():
    leaves, treedef = tree.flatten({"c": 3, "a": 1, "b": 2})
    assert leaves == [1, 2, 3]
    out = tree.unflatten(treedef, ["A", "B", "C"])
    assert type(out) is dict and out == {"a": "A", "b": "B", "c": "C"}
    # insertion order does not matter for the structure
    assert tree.structure({"a": 1, "b": 2}) == tree.structure({"b": 2, "a": 1})


def test_unsortable_keys_fall_back_to_insertion_order():
    d = {1: "int", "a": "str"}
    leaves, treedef = tree.flatten(d)
    assert leaves == ["int", "str"]
    assert tree.unflatten(treedef, leaves) == d


def test_ordered_dict_keeps_insertion_order_defaultdict_sorts_and_keeps_factory():
    od = collections.OrderedDict([("z", 1), ("a", 2)])
    assert tree.leaves(od) == [1, 2]
    assert tree.structure(od) != tree.structure(collections.OrderedDict([("a", 2), ("z", 1)]))
    dd = collections.defaultdict(list, {"z": 1, "a": 2})
    assert tree.leaves(dd) == [2, 1]
    out = tree.map(lambda v: v * 10, dd)
    assert type(out) is collections.defaultdict and out.default_factory is list
    assert out == {"a": 20, "z": 10}
    assert tree.structure(dd) != tree.structure(collections.defaultdict(int, {"z": 1, "a": 2}))


def test_namedtuple_restores_class():
    p = Point(1, [2, 3])
    leaves, treedef = tree.flatten(p)
    assert leaves == [1, 2, 3]
    assert "namedtuple[Point]" in repr(treedef)
    out = tree.unflatten(treedef, [4, 5, 6])
    assert type(out) is Point and out == Point(4, [5, 6])
    assert tree.structure(p) != tree.structure((1, [2, 3]))


def test_dataclass_data_and_meta_fields():
    conv = Conv(kernel=[1, 2], stride=3)
    leaves, treedef = tree.flatten(conv)
    assert leaves == [1, 2]
    out = tree.unflatten(treedef, ["forbidden", 2])  # __post_init__ would raise; it is not re-run
    assert isinstance(out, Conv) and out.kernel == ["forbidden", 2] and out.stride == 3
    assert tree.structure(Conv(kernel=[0, 0], stride=3)) == treedef
    assert tree.structure(Conv(kernel=[0, 0], stride=4)) != treedef
    assert tree.leaves(Norm(scale=5, eps=0.1)) == [5]
    assert tree.map(lambda v: v + 1, Linear(w=1, b=2)) == Linear(w=2, b=3)


def test_dataclass_meta_fields_must_be_hashable():
    with pytest.raises(TypeError, match="eps"):
        tree.flatten(Norm(scale=1, eps=[1.0]))


def test_register_dataclass_validates_field_names():
    @dataclasses.dataclass
    class Two:
        a: int
        b: int

    with pytest.raises(ValueError, match="missing"):
        tree.register_dataclass(Two, data_fields=["a"], meta_fields=[])
    with pytest.raises(ValueError, match="unknown"):
        tree.register_dataclass(Two, data_fields=["a", "b", "c"], meta_fields=[])
    with pytest.raises(TypeError):
        tree.register_dataclass(type("NotADataclass", (), {}))


def test_register_dataclass_keyword_decorator():
    @tree.register_dataclass(data_fields=["a"], meta_fields=["name"])
    @dataclasses.dataclass
    class Named:
        a: Any
        name: str

    assert tree.leaves(Named(a=1, name="n")) == [1]
    assert tree.unflatten(tree.structure(Named(0, "n")), [7]).name == "n"


def test_custom_registered_classes():
    assert tree.leaves(Scaled({"a": 1, "b": 2}, factor=2)) == [1, 2]
    assert repr(tree.structure(Scaled(1, 2))) == "PyTreeDef(CustomNode(Scaled[2], [*]))"
    assert tree.map(lambda v: v * 2, Pair(1, [2])) == Pair(2, [4])


def test_duplicate_registration_raises_naming_type():
    with pytest.raises(ValueError, match="Pair"):
        tree.register_pytree_node(Pair, lambda p: ((), None), lambda _, c: Pair(0, 0))
    with pytest.raises(ValueError, match="dict"):
        tree.register_pytree_node(dict, lambda d: ((), None), lambda _, c: {})


def test_register_static():
    @tree.register_static
    @dataclasses.dataclass(frozen=True)
    class Config:
        depth: int

    leaves, treedef = tree.flatten([Config(2), 1])
    assert leaves == [1]
    assert tree.unflatten(treedef, [5]) == [Config(2), 5]
    assert treedef != tree.structure([Config(3), 1])


def test_unregistered_subclasses_are_leaves():
    class MyDict(dict):
        pass

    class MyList(list):
        pass

    assert tree.leaves([MyDict(a=1), MyList([1])]) == [MyDict(a=1), MyList([1])]


# ------------------------------------------------------------------------------------------------
# None, is_leaf
# ------------------------------------------------------------------------------------------------

def test_none_is_a_node_not_a_leaf():
    assert tree.leaves(None) == []
    assert tree.leaves([None, 1, (None,)]) == [1]
    leaves, treedef = tree.flatten(None)
    assert leaves == [] and treedef.num_leaves == 0 and treedef.num_nodes == 1
    assert tree.unflatten(treedef, []) is None
    assert tree.map(lambda x: 1 / 0, {"a": None}) == {"a": None}  # f never sees None
    assert tree.treedef_is_leaf(treedef) and not tree.treedef_is_strict_leaf(treedef)  # JAX quirk


def test_is_leaf():
    t = {"a": [1, 2], "b": (3, [4])}
    leaves, treedef = tree.flatten(t, is_leaf=lambda x: isinstance(x, list))
    assert leaves == [[1, 2], 3, [4]]
    assert tree.unflatten(treedef, leaves) == t
    assert tree.leaves([None, 1], is_leaf=lambda x: x is None) == [None, 1]
    assert tree.leaves(t, is_leaf=lambda x: x is t) == [t]  # applies to the root too
    assert tree.map(lambda x: len(x) if isinstance(x, list) else x, t,
                    is_leaf=lambda x: isinstance(x, list)) == {"a": 2, "b": (3, 1)}


# ------------------------------------------------------------------------------------------------
# map over several trees
# ------------------------------------------------------------------------------------------------

def test_map_several_trees():
    a = {"w": [1, 2], "b": 3}
    b = {"w": [10, 20], "b": 30}
    assert tree.map(lambda x, y: x + y, a, b) == {"w": [11, 22], "b": 33}
    assert tree.map(lambda x, y, z: x + y + z, a, b, b) == {"w": [21, 42], "b": 63}


def test_map_leaf_of_first_tree_may_be_subtree_of_others():
    out = tree.map(lambda x, y: (x, y), {"a": 1, "b": 2}, {"a": [5, 6], "b": {"c": None}})
    assert out == {"a": (1, [5, 6]), "b": (2, {"c": None})}


def test_map_structure_mismatch_names_both_structures():
    with pytest.raises(ValueError) as info:
        tree.map(lambda x, y: x, {"a": 1, "b": 2}, {"a": 1, "c": 2})
    msg = str(info.value)
    assert "PyTreeDef({'a': *, 'b': *})" in msg and "PyTreeDef({'a': *, 'c': *})" in msg
    with pytest.raises(ValueError, match=r"\['a'\]\[1\]"):  # points at the offending place
        tree.map(lambda x, y: x, {"a": [1, (2,)]}, {"a": [1, [2]]})
    with pytest.raises(ValueError, match="arity"):
        tree.map(lambda x, y: x, (1, 2), (1, 2, 3))
    with pytest.raises(ValueError, match="None"):
        tree.map(lambda x, y: x, [None], [1])
    with pytest.raises(ValueError):  # a subtree of the first tree cannot meet a leaf
        tree.map(lambda x, y: x, [1, 2], 3)


def test_flatten_up_to():
    treedef = tree.structure((1, {"a": 2}))
    assert treedef.flatten_up_to(([1], {"a": (2, 3)})) == [[1], (2, 3)]
    with pytest.raises(ValueError, match="expected"):
        treedef.flatten_up_to([1, {"a": 2}])


# ------------------------------------------------------------------------------------------------
# treedef
# ------------------------------------------------------------------------------------------------

def test_treedef_equality_and_hash():
    s1 = tree.structure({"a": [1, 2], "b": None})
    s2 = tree.structure({"b": None, "a": ["x", "y"]})
    assert s1 == s2 and hash(s1) == hash(s2)
    assert len({s1, s2}) == 1
    assert s1 != tree.structure({"a": [1, 2], "b": 3})  # None vs leaf
    assert s1 != tree.structure({"a": (1, 2), "b": None})  # list vs tuple
    assert s1 != tree.structure({"a": [1, 2], "c": None})  # different aux (keys)
    assert tree.structure(Scaled(1, 2)) == tree.structure(Scaled(5, 2))
    assert tree.structure(Scaled(1, 2)) != tree.structure(Scaled(1, 3))  # different aux
    assert s1 != "not a treedef"
    cache = {s1: "hit"}
    assert cache[tree.structure({"a": [0, 0], "b": None})] == "hit"


def test_treedef_pickles():
    for x in ROUND_TRIP_CASES[:-1]:
        treedef = tree.structure(x)
        assert pickle.loads(pickle.dumps(treedef)) == treedef


def test_unflatten_wrong_leaf_count():
    treedef = tree.structure([1, (2, 3)])
    with pytest.raises(ValueError, match="expected 3, got 2"):
        treedef.unflatten([1, 2])
    with pytest.raises(ValueError, match="expected 3, got 4"):
        tree.unflatten(treedef, [1, 2, 3, 4])
    with pytest.raises(ValueError, match="expected 1, got 0"):
        tree.structure(1).unflatten([])


def test_treedef_helpers():
    assert tree.treedef_is_leaf(tree.structure(1))
    assert not tree.treedef_is_leaf(tree.structure([1]))
    td = tree.treedef_tuple([tree.structure(1), tree.structure([1, 2])])
    assert td == tree.structure((0, [0, 0])) and td.num_leaves == 3
    assert tree.treedef_children(td) == td.children()
    assert tree.structure([1, 2]).compose(tree.structure((1, 1))) == tree.structure([(1, 1), (1, 1)])
    assert tree.structure({"a": 1}).node_data() == (dict, ("a",))
    assert tree.structure(1).node_data() is None


# ------------------------------------------------------------------------------------------------
# all, reduce, transpose, broadcast, all_leaves
# ------------------------------------------------------------------------------------------------

def test_all_reduce():
    assert tree.all({"a": True, "b": [1, None]})
    assert not tree.all([True, (0,)])
    assert tree.all(None)
    assert tree.reduce(lambda a, b: a + b, {"a": 1, "b": [2, 3]}) == 6
    assert tree.reduce(lambda a, b: a + b, [], initializer=10) == 10
    assert tree.reduce(lambda a, b: a + b, [[1], [2]], [], is_leaf=lambda x: x in ([1], [2])) == [1, 2]
    assert tree.tree_reduce(max, [3, (1, 7)]) == 7
    with pytest.raises(TypeError):
        tree.reduce(lambda a, b: a + b, [])


def test_transpose():
    outer = tree.structure([0, 0, 0])
    inner = tree.structure({"a": 0, "b": 0})
    x = [{"a": 1, "b": 2}, {"a": 3, "b": 4}, {"a": 5, "b": 6}]
    out = tree.transpose(outer, inner, x)
    assert out == {"a": [1, 3, 5], "b": [2, 4, 6]}
    assert tree.transpose(outer, None, x) == out
    assert tree.transpose(inner, outer, out) == x
    with pytest.raises(TypeError):
        tree.transpose(outer, inner, x[:2])


def test_broadcast_prefix_and_broadcast():
    assert tree.broadcast_prefix((0, None), ([1, 2], {"a": 3}), is_leaf=lambda x: x is None) == [0, 0, None]
    assert tree.broadcast({"a": 0, "b": 1}, {"a": (5, 6), "b": 7}) == {"a": (0, 0), "b": 1}
    with pytest.raises(ValueError, match="prefix"):
        tree.broadcast_prefix((0, 1), [1, 2])


def test_all_leaves():
    assert tree.all_leaves([1, "a", 2.0])
    assert not tree.all_leaves([1, (2,)])
    assert not tree.all_leaves([None])
    assert tree.all_leaves([None, [1]], is_leaf=lambda x: x is None or isinstance(x, list))


# ------------------------------------------------------------------------------------------------
# key paths
# ------------------------------------------------------------------------------------------------

def test_key_paths():
    t = {"layers": [Linear(w=1, b=2)], "p": Point(3, 4), "c": Pair(5, 6), "n": None}
    pairs, treedef = tree.flatten_with_path(t)
    assert treedef == tree.structure(t)
    assert [(tree.keystr(p), x) for p, x in pairs] == [
        ("['c'][<flat index 0>]", 5), ("['c'][<flat index 1>]", 6),
        ("['layers'][0].w", 1), ("['layers'][0].b", 2),
        ("['p'].x", 3), ("['p'].y", 4),
    ]
    path = pairs[2][0]
    assert path == (tree.DictKey("layers"), tree.SequenceKey(0), tree.GetAttrKey("w"))
    assert tree.keystr(path, simple=True, separator="/") == "layers/0/w"
    assert tree.leaves_with_path(7) == [((), 7)]


def test_key_paths_custom_keys_and_is_leaf():
    class Box:
        def __init__(self, v):
            self.v = v

    tree.register_pytree_with_keys(Box, lambda b: (((tree.GetAttrKey("v"), b.v),), None),
                                   lambda _, c: Box(*c))
    assert [tree.keystr(p) for p, _ in tree.leaves_with_path({"k": Box([1])})] == ["['k'].v[0]"]
    assert tree.leaves(Box(3)) == [3]
    pairs, _ = tree.flatten_with_path({"a": [1, 2]}, is_leaf=lambda x: isinstance(x, list))
    assert pairs == [((tree.DictKey("a"),), [1, 2])]


def test_map_with_path():
    out = tree.map_with_path(lambda p, x, y: f"{tree.keystr(p)}={x + y}",
                             {"a": [1], "b": 2}, {"a": [10], "b": 20})
    assert out == {"a": ["['a'][0]=11"], "b": "['b']=22"}
    with pytest.raises(ValueError, match="does not match"):
        tree.map_with_path(lambda p, x, y: x, [1], [1, 2])


def test_tree_util_aliases():
    assert tree.tree_flatten is tree.flatten and tree.tree_unflatten is tree.unflatten
    assert tree.tree_map is tree.map and tree.tree_leaves is tree.leaves
    assert tree.tree_structure is tree.structure and tree.tree_all is tree.all


def test_partial_is_a_pytree():
    p = tree.Partial(lambda a, b, c=0: a + b + c, 1, c=3)
    leaves, treedef = tree.flatten(p)
    assert leaves == [1, 3]
    q = tree.unflatten(treedef, [10, 30])
    assert isinstance(q, tree.Partial) and q(2) == 42
    assert tree.Partial(tree.Partial(max, 1), 2).func is max


def test_docstring_examples():
    # fnx.tree is a package: the examples live in its modules and use the public names
    for module in (tree, tree._keys, tree._node_types, tree._treedef, tree._paths):
        failures, _ = doctest.testmod(module, extraglobs=vars(tree))
        assert failures == 0, module.__name__


# ------------------------------------------------------------------------------------------------
# property tests
# ------------------------------------------------------------------------------------------------

leaf_values = st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=3))
dict_keys = st.text(max_size=4)


def pytrees(leaf=leaf_values):
    return st.recursive(
        st.one_of(st.none(), leaf),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.lists(children, max_size=4).map(tuple),
            st.dictionaries(dict_keys, children, max_size=4),
            st.tuples(children, children).map(lambda xy: Point(*xy)),
        ),
        max_leaves=20,
    )


@given(pytrees())
def test_property_round_trip(t):
    leaves, treedef = tree.flatten(t)
    rebuilt = tree.unflatten(treedef, leaves)
    assert rebuilt == t
    assert tree.structure(rebuilt) == treedef and hash(tree.structure(rebuilt)) == hash(treedef)
    assert treedef.num_leaves == len(leaves)
    assert tree.leaves(t) == leaves
    assert None not in leaves  # None is a node
    pairs, path_treedef = tree.flatten_with_path(t)
    assert path_treedef == treedef and [x for _, x in pairs] == leaves
    assert pickle.loads(pickle.dumps(treedef)) == treedef


@given(pytrees())
def test_property_map_identity_and_positions(t):
    assert tree.map(lambda x: x, t) == t
    leaves, treedef = tree.flatten(t)
    numbered = tree.unflatten(treedef, range(len(leaves)))
    assert tree.leaves(numbered) == list(range(len(leaves)))
    assert tree.map(lambda a, b: (a, b), numbered, t) == tree.unflatten(
        treedef, list(zip(range(len(leaves)), leaves)))


@given(pytrees(), pytrees())
def test_property_structure_equality_matches_structural_equality(a, b):
    def skeleton(t):  # same containers, every leaf replaced by 0; repr tells a Point from a tuple
        s = tree.structure(t)
        return repr(tree.unflatten(s, [0] * s.num_leaves))

    sa, sb = tree.structure(a), tree.structure(b)
    assert (sa == sb) == (skeleton(a) == skeleton(b))
    if sa == sb:
        assert hash(sa) == hash(sb)
