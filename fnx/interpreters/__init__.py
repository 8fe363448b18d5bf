"""Interpreters: the transformations of fnx -- tracing to jaxprs (partial_eval), autodiff (ad),
batching (batching), custom derivatives (custom), jit as a primitive (jit), remat (remat)."""
