"""numpy oracle of the counter-based random-bits primitive (fnx/lax/random_bits.py), for the
tests.  reference.py merges its table ``IMPLS`` into the backend's."""
from __future__ import annotations

import numpy as np

from .. import lax
from .reference_common import registrar

IMPLS: dict = {}
_register = registrar(IMPLS)


@_register(lax.threefry2x32_p)
def threefry2x32(k0, k1, x0, x1):
    """Threefry-2x32, 20 rounds (Salmon et al., SC11), in uint32 numpy arithmetic (wraps)."""
    k0, k1, x0, x1 = np.broadcast_arrays(*(np.asarray(v, np.uint32) for v in (k0, k1, x0, x1)))
    ks = (k0, k1, np.uint32(0x1BD11BDA) ^ k0 ^ k1)
    rot = (13, 15, 26, 6, 17, 29, 16, 24)
    x0, x1 = x0 + ks[0], x1 + ks[1]
    for i in range(20):
        r = rot[i % 8]
        x0 = x0 + x1
        x1 = ((x1 << np.uint32(r)) | (x1 >> np.uint32(32 - r))) ^ x0
        if i % 4 == 3:  # inject subkey s after every 4 rounds
            s = i // 4 + 1
            x0 = x0 + ks[s % 3]
            x1 = x1 + ks[(s + 1) % 3] + np.uint32(s)
    return [x0, x1]
