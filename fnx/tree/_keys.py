"""Key paths: the entries that name a child inside its node, and their string form."""

from __future__ import annotations

import dataclasses
from typing import Any, Hashable

KeyEntry = Any
KeyPath = tuple


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
