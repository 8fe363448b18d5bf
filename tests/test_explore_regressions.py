"""Failures that the random ``HYPOTHESIS_PROFILE=explore`` runs of the spec tests found, pinned
as deterministic cases (issue 16).  Each runs through the same checker as its spec test, so it
fails exactly where the exploring run did.  (The spec tests draw through ``st.data()``, which
``@example`` cannot supply, hence this file.)"""
from __future__ import annotations

import numpy as np

import fnx.numpy as fnp
from fnx.core import Array

from spec_numpy import SPEC_BY_NAME, NumpyCase
from test_numpy_spec import check_case


def _weak_f32(v):
    return Array(np.array(v, np.float32), True)


def test_add_of_signed_zero_python_scalars():
    # explore seed 11, test_matches_numpy_on_0d_and_empty[add-scalar]: fnx.numpy cached weak
    # scalar Arrays by value, and 0.0 == -0.0 share a dict key, so after any `x + 0.0` the
    # call `-0.0 + x` added +0.0 (and -0.0 + -0.0 came out +0.0)
    row = SPEC_BY_NAME["add"]
    for first, second in ((0.0, -0.0), (-0.0, 0.0)):
        for scalar in (first, second):
            check_case(row, NumpyCase((scalar, _weak_f32(-0.0)), {}))
            check_case(row, NumpyCase((_weak_f32(-0.0), scalar), {}))
    assert np.signbit(float(fnp.multiply(fnp.asarray(np.float32(1.0)), -0.0)))
