"""The few array operations the interpreters build values with, which lax (the layer above)
defines: tangent sums and zeros (ad), batch-axis moves, broadcasts and sums (batching), dtype
conversion of a custom rule's result (custom).

The interpreters must not import lax; lax fills this table when it is imported
(``fnx/lax/__init__.py``), as JAX's ``ad`` asks avals for zeros and defines its own
``add_jaxvals`` instead of importing lax.
"""
from __future__ import annotations

_OPS = ("add", "broadcast_in_dim", "transpose", "reduce_sum", "convert_element_type")
_table: dict = {}


def install(**fns) -> None:
    """Called once by fnx.lax with every operation named in ``_OPS``."""
    unknown = set(fns) - set(_OPS)
    if unknown:
        raise TypeError(f"array_ops.install: unknown operations {sorted(unknown)}")
    _table.update(fns)


def _op(name: str):
    def call(*args, **kwargs):
        return _table[name](*args, **kwargs)
    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"fnx.lax.{name} (installed by fnx.lax at import)."
    return call


add = _op("add")
broadcast_in_dim = _op("broadcast_in_dim")
transpose = _op("transpose")
reduce_sum = _op("reduce_sum")
convert_element_type = _op("convert_element_type")
