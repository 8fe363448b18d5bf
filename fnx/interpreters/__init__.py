"""Interpreters: the transformations of fnx (tracing to jaxprs; autodiff and batching follow)."""
