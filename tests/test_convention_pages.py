"""The examples of the convention pages (docs/conventions/*.rst) run as doctests.

The TensorFlow/JAX page calls JAX beside each builder call, so it needs JAX; the
page is plain code blocks (the docs build never needs JAX), checked here.
"""

import doctest
import importlib.util
from pathlib import Path

import pytest

PAGES = Path(__file__).resolve().parents[1] / "docs" / "conventions"


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_tensorflow_jax_page_examples_run():
    result = doctest.testfile(str(PAGES / "tensorflow_jax.rst"), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 20 and result.failed == 0, result
