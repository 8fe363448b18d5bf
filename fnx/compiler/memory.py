"""Memory planning: buffer lifetimes inside a jitted call, and offsets in one workspace.

Temporaries of a native segment live in a single arena allocated once per call.  Each
temporary is live from the step that writes it to the last step that reads it; a greedy
best-fit allocator (in order of definition) reuses the space of dead buffers.  A step's output
never shares memory with that step's inputs (they are all live during the step), which is what
lets the generated functions declare their pointers ``restrict``.
"""
from __future__ import annotations

import heapq
import math

ALIGN = 64


def nbytes(aval) -> int:
    return math.prod(aval.shape) * aval.dtype.itemsize


def _round_up(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def plan_arena(temps: list, first_step: dict, last_step: dict) -> tuple[dict, int]:
    """Offsets for ``temps`` (Vars) given ``first_step[id]`` / ``last_step[id]`` (step numbers,
    inclusive).  Returns (offset by id, arena size in bytes)."""
    order = sorted(temps, key=lambda v: first_step[id(v)])
    free: list[tuple[int, int]] = []        # (offset, size) blocks, sorted by offset
    # (last step, offset, size), a heap: a long program keeps thousands of buffers live (the
    # forward values an unrolled backward pass reads), which a scan per buffer made quadratic
    live: list[tuple[int, int, int]] = []
    offsets, top = {}, 0
    for v in order:
        start = first_step[id(v)]
        # release everything whose last use came strictly before this step (the free list
        # is the sorted, merged union of the released blocks, whatever the release order)
        while live and live[0][0] < start:
            _, off, size = heapq.heappop(live)
            free = _release(free, off, size)
        size = _round_up(max(nbytes(v.aval), 1))
        off = _best_fit(free, size)
        if off is None:
            off, top = top, top + size
        else:
            free = _take(free, off, size)
        offsets[id(v)] = off
        heapq.heappush(live, (last_step.get(id(v), start), off, size))
    return offsets, top


def _best_fit(free, size):
    best = None
    for off, sz in free:
        if sz >= size and (best is None or sz < best[1]):
            best = (off, sz)
    return None if best is None else best[0]


def _take(free, off, size):
    out = []
    for o, s in free:
        if o == off:
            if s > size:
                out.append((o + size, s - size))
        else:
            out.append((o, s))
    return out


def _release(free, off, size):
    """Return a block to the free list, merging with its neighbours."""
    blocks = sorted(free + [(off, size)])
    merged = []
    for o, s in blocks:
        if merged and merged[-1][0] + merged[-1][1] == o:
            merged[-1] = (merged[-1][0], merged[-1][1] + s)
        else:
            merged.append((o, s))
    return merged


def peak_live_bytes(events: list[tuple[int, int, int]]) -> int:
    """Peak of the sum of live buffer sizes, given (first step, last step, bytes) per buffer."""
    deltas: dict[int, int] = {}
    for first, last, size in events:
        deltas[first] = deltas.get(first, 0) + size
        deltas[last + 1] = deltas.get(last + 1, 0) - size
    peak = cur = 0
    for step in sorted(deltas):
        cur += deltas[step]
        peak = max(peak, cur)
    return peak
