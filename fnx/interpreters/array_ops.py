"""The few array operations the interpreters build values with, which lax (the layer above)
defines: tangent sums and zeros (ad), batch-axis moves, broadcasts and sums (batching), dtype
conversion of a custom rule's result (custom).

The interpreters must not import lax; lax installs its functions here when it is imported
(``fnx/lax/__init__.py``), as JAX's ``ad`` asks avals for zeros and defines its own
``add_jaxvals`` instead of importing lax.  Callers read ``array_ops.<name>`` at call time, so
they get lax's function itself (no wrapper on the autodiff / vmap hot paths).
"""
from __future__ import annotations

_OPS = ("add", "broadcast_in_dim", "transpose", "reduce_sum", "convert_element_type")


def _not_installed(name: str):
    def missing(*args, **kwargs):
        raise RuntimeError(f"array_ops.{name}: fnx.lax is not imported (import fnx)")
    missing.__name__ = name
    return missing


add = _not_installed("add")
broadcast_in_dim = _not_installed("broadcast_in_dim")
transpose = _not_installed("transpose")
reduce_sum = _not_installed("reduce_sum")
convert_element_type = _not_installed("convert_element_type")


def install(**fns) -> None:
    """Called once by fnx.lax with every operation named in ``_OPS``."""
    unknown = set(fns) - set(_OPS)
    if unknown:
        raise TypeError(f"array_ops.install: unknown operations {sorted(unknown)}")
    globals().update(fns)
