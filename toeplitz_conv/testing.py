"""Assertions for the user's own test suite.

:func:`assert_layer_ok` runs :func:`~toeplitz_conv.check.check_layer` and
raises ``AssertionError`` carrying the report when a check fails, so a layer's
correctness becomes one line of a pytest suite::

    from toeplitz_conv.testing import assert_layer_ok

    def test_my_conv():
        assert_layer_ok(my_forward, w, (3, 32, 32), backward=my_backward, batch=4,
                        stride=2, padding=1)
"""

from __future__ import annotations

from typing import Any

from .check import Report, check_layer

__all__ = ["LayerCheckError", "assert_layer_ok"]


class LayerCheckError(AssertionError):
    """A failed layer check; ``.report`` is the full :class:`~toeplitz_conv.check.Report`."""

    def __init__(self, report: Report) -> None:
        super().__init__(str(report))
        self.report = report


def assert_layer_ok(forward: Any, weight: Any, input_shape: tuple[int, ...],
                    **kwargs: Any) -> Report:
    """Check a layer with :func:`~toeplitz_conv.check.check_layer`; raise if any check fails.

    Takes exactly ``check_layer``'s arguments.  Returns the report when every
    check passes; otherwise raises :class:`LayerCheckError` (an
    ``AssertionError``) whose message is the report's text (the table, the
    failed checks' messages and likely causes) and whose ``.report`` is the
    report itself.  Checks that could not be made (listed as "not checked")
    do not fail the assertion; pass ``require_all=True`` to make them fail.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.signal import convolve, correlate
    >>> w = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    >>> assert_layer_ok(lambda x: correlate(x[0], w[0, 0], "valid")[None], w, (1, 5, 5)).ok
    True
    >>> assert_layer_ok(lambda x: convolve(x[0], w[0, 0], "valid")[None], w, (1, 5, 5))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    toeplitz_conv.testing.LayerCheckError: layer check: ... FAIL (forward, input_grad)...
    """
    require_all = bool(kwargs.pop("require_all", False))
    report = check_layer(forward, weight, input_shape, **kwargs)
    if not report.ok or (require_all and report.not_checked):
        raise LayerCheckError(report)
    return report
