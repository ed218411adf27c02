"""Shared test helpers: reference implementations come from scipy, numpy and torch."""

import importlib.util

import numpy as np
import pytest

HAS_TORCH = importlib.util.find_spec("torch") is not None

# CI installs torch; a developer machine without it skips only these tests.
requires_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
