"""``jax.example_libraries``' small combinator libraries, with the same public API:
``stax`` (networks as ``(init_fun, apply_fun)`` pairs) and ``optimizers`` (``(init_fun,
update_fun, get_params)`` triples over pytrees), so a JAX program using them ports by changing
its imports:

>>> import fnx as jax
>>> import fnx.numpy as jnp
>>> from fnx.example_libraries import stax, optimizers
"""
from . import optimizers, stax

__all__ = ["optimizers", "stax"]
