"""TEMPORARY stand-in for ``fnx.random`` used only by the nn tests until the real module lands.

It installs a numpy-backed module as ``fnx.random`` (same API subset: PRNGKey/key, split, uniform,
normal, bernoulli) *only if* ``import fnx.random`` fails. Delete this file once fnx.random exists.
"""
import importlib
import sys
import types

import numpy as np

import fnx


def install():
    try:
        importlib.import_module("fnx.random")
        return
    except ImportError:
        pass
    mod = types.ModuleType("fnx.random")

    def _rng(key):
        k = np.asarray(fnx.device_get(key), np.int64).reshape(-1)
        return np.random.default_rng([int(v) for v in k])

    def PRNGKey(seed):
        return fnx.asarray(np.array([0, seed & 0xFFFFFFFF], np.int64))

    def split(key, num=2):
        return fnx.asarray(_rng(key).integers(0, 2**32, size=(num, 2), dtype=np.int64))

    def uniform(key, shape=(), dtype=np.float32, minval=0.0, maxval=1.0):
        return fnx.asarray(_rng(key).uniform(minval, maxval, size=shape).astype(dtype))

    def normal(key, shape=(), dtype=np.float32):
        return fnx.asarray(_rng(key).standard_normal(size=shape).astype(dtype))

    def bernoulli(key, p=0.5, shape=None):
        return fnx.asarray(_rng(key).uniform(size=shape) < p)

    mod._STANDIN = True
    mod.PRNGKey = mod.key = PRNGKey
    mod.split, mod.uniform, mod.normal, mod.bernoulli = split, uniform, normal, bernoulli
    sys.modules["fnx.random"] = mod
    fnx.random = mod
