"""Sums of zero pads that tile one axis, rewritten as a concatenate.

The transpose of ``split`` / ``slice`` (an LSTM's gates, attention's q / k / v) pads each
piece's cotangent back to the full width and reverse mode adds them up:
``pad(d_i, (0, 3H)) + pad(d_f, (H, 2H)) + pad(d_g, (2H, H)) + pad(d_o, (3H, 0))``.  Fused into
a loop, every element then computes all four pieces and selects one with clamped indices --
four times the work of the concatenate it equals (JAX's ``split`` transposes to a concatenate
for the same reason).  ``pads_to_concatenate`` rewrites an ``add`` tree whose leaves are such
pads -- zero padding value, no interior padding, padded along one axis only, disjoint and
covering the axis together -- into one ``concatenate`` of the leaves' operands.  The results
are equal (x + 0 == x) except that a -0.0 piece stays -0.0, as a concatenate gives.
"""
from __future__ import annotations

from ..core import Eqn, Jaxpr, Literal, Var
from ..lax.elementwise import add_p
from ..lax.shape import concatenate_p, pad_p


def _zero_literal(x) -> bool:
    if not isinstance(x, Literal):
        return False
    try:
        return float(x.val) == 0.0
    except (TypeError, ValueError):
        return False


def _pad_piece(eqn):
    """(operand, axis, lo) when ``eqn`` pads with zeros along exactly one axis, else None."""
    if eqn is None or eqn.primitive is not pad_p or not _zero_literal(eqn.inputs[1]):
        return None
    config = eqn.params["padding_config"]
    if any(interior for _, _, interior in config):
        return None
    axes = [a for a, (lo, hi, _) in enumerate(config) if lo or hi]
    if len(axes) != 1 or not isinstance(eqn.inputs[0], Var):
        return None
    lo, hi, _ = config[axes[0]]
    if lo < 0 or hi < 0:
        return None
    return eqn.inputs[0], axes[0], lo


def _leaves(var, producers, limit=64):
    """The pad pieces of the add tree rooted at ``var`` (None if any leaf is not a pad)."""
    stack, pieces = [var], []
    while stack:
        v = stack.pop()
        eqn = producers.get(id(v)) if isinstance(v, Var) else None
        if eqn is not None and eqn.primitive is add_p and all(isinstance(x, Var)
                                                               for x in eqn.inputs):
            stack.extend(eqn.inputs)
            continue
        piece = _pad_piece(eqn)
        if piece is None or len(pieces) >= limit:
            return None
        pieces.append(piece)
    return pieces


def _as_concatenate(eqn, producers):
    """The concatenate equation equal to the add ``eqn``, or None."""
    out = eqn.out_binders[0]
    pieces = _leaves(out, producers)
    if not pieces or len(pieces) < 2 or len({axis for _, axis, _ in pieces}) != 1:
        return None
    axis = pieces[0][1]
    pieces.sort(key=lambda p: p[2])
    at = 0
    for operand, _, lo in pieces:          # disjoint, in order, covering the axis
        if lo != at or operand.aval.dtype != out.aval.dtype:
            return None
        at += operand.aval.shape[axis]
    if at != out.aval.shape[axis]:
        return None
    return Eqn(concatenate_p, [p[0] for p in pieces], {"dimension": axis}, [out], eqn.scope)


def pads_to_concatenate(jaxpr: Jaxpr) -> Jaxpr:
    """Rewrite every add tree of pads that tile an axis as a concatenate (top level; the
    pads and inner adds become dead unless used elsewhere, and dce removes them)."""
    producers = {id(v): e for e in jaxpr.eqns for v in e.out_binders}
    eqns, changed = [], False
    for e in jaxpr.eqns:
        new = _as_concatenate(e, producers) if e.primitive is add_p else None
        if new is not None:
            e, changed = new, True
        eqns.append(e)
    return Jaxpr(list(jaxpr.in_binders), eqns, list(jaxpr.outs)) if changed else jaxpr
