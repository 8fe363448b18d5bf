"""Shared pytest configuration: strict kernels, hypothesis profiles, the gpu marker."""
import os
import sys

# Strict mode before fnx is imported: a primitive without a C kernel is an error, never a
# silent fallback to the numpy reference implementation.
os.environ["FNX_STRICT"] = "1"

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

import fnx  # noqa: E402

fnx.config.update("strict", True)

# The default profile is derandomized: the same examples on every run and every machine, with no
# example database (a failure replayed from .hypothesis/ would make a run depend on the ones
# before it), so the README's command gives the same verdict for every new user and for CI.
# Random exploration is opt-in: HYPOTHESIS_PROFILE=explore draws new examples each run (four
# times as many); every failure it finds is fixed and pinned as an @example regression.
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("default", max_examples=25, deadline=None, derandomize=True,
                          database=None, suppress_health_check=_QUIET)
settings.register_profile("explore", max_examples=100, deadline=None, print_blob=True,
                          suppress_health_check=_QUIET)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "default")

# hypothesis (6.155) lengthens a parametrized @settings test's settings chain by one link per
# pytest item, and reading a setting walks the chain recursively: test_numpy_spec's
# test_matches_numpy has over 1000 items, past Python's default recursion limit of 1000.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))


def _have_gpu() -> bool:
    try:
        import cupy  # noqa: F401
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def pytest_collection_modifyitems(config, items):
    if _have_gpu():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU and cupy")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
