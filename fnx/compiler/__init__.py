"""fnx.compiler: what ``jit`` runs on a jaxpr (optimization passes, fusion, code generation)."""
import threading

# Held while compiling a jaxpr: threads calling one jitted function for the first time compile
# it once (the others wait and take that executable), and the compiler's module-level scratch
# state (profile slots) is used by one compilation at a time.  Re-entrant in case compiling a
# jaxpr ever compiles another.
compile_lock = threading.RLock()
