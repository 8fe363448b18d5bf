"""``Device``: where an array lives (``cpu:0``, ``cuda:0``, ``cuda:1``, ...).

Kept free of fnx imports so ``core`` can use it; placement logic lives in ``fnx.placement``."""
from __future__ import annotations


class Device:
    """A device arrays can live on: ``platform`` ("cpu" or "cuda") and ``id``.

    >>> import fnx
    >>> fnx.devices()[0]
    cpu:0
    """

    __slots__ = ("platform", "id")

    def __init__(self, platform: str, id: int = 0):  # noqa: A002 - JAX's attribute name
        self.platform = platform
        self.id = int(id)

    def __repr__(self):
        return f"{self.platform}:{self.id}"

    __str__ = __repr__

    def __eq__(self, other):
        if isinstance(other, str):  # "cpu" / "cuda" name device 0
            return str(self) == other or (other == self.platform and self.id == 0)
        return isinstance(other, Device) and (self.platform, self.id) == (other.platform, other.id)

    def __hash__(self):
        return hash((self.platform, self.id))


CPU = Device("cpu", 0)
