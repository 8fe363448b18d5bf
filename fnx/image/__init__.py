"""``fnx.image``: jax.image's resampling -- ``resize``, ``scale_and_translate`` and
``ResizeMethod`` (separable per-dimension weight matrices; see ``_scale.py``)."""
from ._scale import ResizeMethod, resize, scale_and_translate

__all__ = ["ResizeMethod", "resize", "scale_and_translate"]
