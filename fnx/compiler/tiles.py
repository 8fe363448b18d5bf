"""Cache-blocked loop nests for loops that transpose.

A loop writes its output contiguously along its innermost index.  When the values it reads are
contiguous along a *different* index -- a transpose, or a reshape of one, fused into the loop
(NCHW <-> NHWC, batch <-> channels for a convolution's weight gradient, W -> W^T) -- every
innermost iteration reads a new cache line of each source, and a line is used once before it
is evicted: 4 ns per element on the 2-core EPYC for a (128, 3, 32, 32) -> (3, 32, 32, 128)
pack, ten times a copy.  Blocking both indices into TILE x TILE tiles keeps the TILE source
lines and the TILE destination lines of a tile in L1 while it is written.

``contiguous_source_index`` finds the case from the loop body already emitted: it evaluates
the offsets of the body's loads (C index expressions of the loop indices) at unit steps of each
index.  ``open_tiled_loops`` then emits the blocked nest, split over threads across its outer
indices and the tile rows (a leading dimension of 3 channels alone would leave a core idle).
"""
from __future__ import annotations

import math
import re

TILE = 16          # 16 floats: one 64-byte line per tile row
MIN_TILED_DIM = 8  # both blocked extents at least this

_DECL = re.compile(r"const int64_t (t\d+) = (.+);$")
_LOAD = re.compile(r"\b(b\d+)\[([^\[\]]+)\]")
_SAFE = re.compile(r"[0-9a-z_ +*()/%-]+")


def _offset_fn(expr: str, decls: dict):
    """A Python function of the loop indices computing the C offset ``expr`` (temporaries
    expanded), or None when it uses anything but + - * / % on non-negative integers."""
    seen = 0
    while True:
        new = re.sub(r"\bt\d+\b", lambda m: f"({decls[m.group(0)]})" if m.group(0) in decls
                     else m.group(0), expr)
        if new == expr:
            break
        expr, seen = new, seen + 1
        if seen > 32 or len(expr) > 4000:
            return None
    if not _SAFE.fullmatch(expr) or re.search(r"\bt\d+\b", expr):
        return None
    code = compile(expr.replace("/", "//"), "<offset>", "eval")
    return lambda env: eval(code, {"__builtins__": {}}, env)   # noqa: S307 (our own C text)


def _strides(fn, names) -> dict | None:
    """Offset change per unit step of each index (from the zero index), None if not linear."""
    zero = {n: 0 for n in names}
    try:
        base = fn(zero)
        out = {}
        for n in names:
            one, two = fn({**zero, n: 1}), fn({**zero, n: 2})
            if two - one != one - base:
                return None
            out[n] = one - base
    except (ZeroDivisionError, NameError, TypeError):
        return None
    return out


def contiguous_source_index(lines: list, out_name: str, shape) -> int | None:
    """The loop index (< ndim - 1) along which the loads of an emitted loop body are
    contiguous, when they are not contiguous along the innermost index: the dimension to block
    with the innermost one.  None when the loop does not transpose (or cannot be analysed)."""
    n = len(shape)
    if n < 2 or shape[-1] < MIN_TILED_DIM:
        return None
    names = [f"i{k}" for k in range(n)]
    decls = {}
    votes: dict[int, int] = {}
    for raw in lines:
        line = raw.strip()
        m = _DECL.match(line)
        if m:
            decls[m.group(1)] = m.group(2)
        for buf, expr in _LOAD.findall(line):
            if buf == out_name and line.startswith(f"{out_name}["):
                continue            # the store
            fn = _offset_fn(expr, decls)
            st = _strides(fn, names) if fn is not None else None
            if st is None:
                return None
            inner = abs(st[names[-1]])
            if inner == 1:
                return None         # some source is read contiguously already
            if inner == 0:
                continue            # broadcast along the innermost index
            unit = [k for k in range(n - 1) if abs(st[names[k]]) == 1]
            if not unit:
                return None
            votes[unit[0]] = votes.get(unit[0], 0) + 1
    if len(votes) != 1:
        return None
    (k,) = votes
    return k if shape[k] >= MIN_TILED_DIM else None


def open_tiled_loops(w, shape, kt: int, work: int) -> tuple:
    """Open the blocked nest over ``shape`` with index ``kt`` and the innermost one in
    TILE x TILE tiles; returns (the index names, the number of loops to close)."""
    n, last = len(shape), len(shape) - 1
    outer = [d for d in range(n) if d not in (kt, last)]
    nblocks = -(-shape[kt] // TILE)
    w.open_outer_loop("tile_p", math.prod(shape[d] for d in outer) * nblocks, work)
    w.emit(f"const int64_t tile_j = (tile_p % {nblocks}) * {TILE}, "
           f"tile_o = tile_p / {nblocks};")
    stride = 1
    for d in reversed(outer):
        w.emit(f"const int64_t i{d} = (tile_o / {stride}) % {shape[d]};")
        stride *= shape[d]
    w.emit(f"const int64_t tile_je = tile_j + {TILE} < {shape[kt]} ? tile_j + {TILE} : "
           f"{shape[kt]};")
    w.emit(f"for (int64_t tile_i = 0; tile_i < {shape[last]}; tile_i += {TILE}) {{")
    w.indent += 1
    w.emit(f"const int64_t tile_ie = tile_i + {TILE} < {shape[last]} ? tile_i + {TILE} : "
           f"{shape[last]};")
    w.emit(f"for (int64_t i{kt} = tile_j; i{kt} < tile_je; i{kt}++) {{")
    w.indent += 1
    w.emit("#pragma omp simd")
    w.emit(f"for (int64_t i{last} = tile_i; i{last} < tile_ie; i{last}++) {{")
    w.indent += 1
    return tuple(f"i{d}" for d in range(n)), 4
