"""fnx.compiler: what ``jit`` runs on a jaxpr (optimization passes, fusion, code generation)."""
