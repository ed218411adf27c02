"""The assembler's plan objects refuse malformed plans, each with one clear error.

Builders construct the plan (Channels, Ties, Offset); a wrong one is a
programming error that must surface at construction, naming the field, not
as a wrong matrix or a numpy traceback deep in the assembler.
"""

import numpy as np
import pytest

from toeplitz_conv._assemble import Channels, Offset, Ties, assemble, forced_write_path
from toeplitz_conv.geometry import Geometry, signal_axis

IDX = np.zeros(4, dtype=np.int64)


@pytest.mark.parametrize("make,exc,words", [
    (lambda: Channels(-1), TypeError, "c_in must be an int >= 0"),
    (lambda: Channels(2.0), TypeError, "c_in"),
    (lambda: Channels(True), TypeError, "c_in"),
    (lambda: Channels(2, groups=0), TypeError, "groups must be an int >= 1"),
    (lambda: Channels(0, out_channels=-2), TypeError, "out_channels"),
    (lambda: Ties(conjugate=1), TypeError, "conjugate must be a bool"),
    (lambda: Ties(tile=[0, 1]), TypeError, "tile must be a 1-D integer ndarray"),
    (lambda: Ties(tile=np.zeros(3)), TypeError, "tile must be a 1-D integer ndarray"),
    (lambda: Ties(tile=np.zeros((2, 2), dtype=int)), TypeError, "tile"),
    (lambda: Ties(weight_map=IDX), ValueError, "need a tile per output"),
    (lambda: Ties(per_window=True), ValueError, "need a tile per output"),
    (lambda: Ties(tile=IDX, per_window=True, weight_map=IDX), ValueError, "no weight_map"),
    (lambda: Ties(tile=IDX, select=IDX), ValueError, "select needs per_window"),
    (lambda: Ties(data_of=[1.0]), TypeError, "data_of must be an ndarray"),
    (lambda: Ties(data_of=np.ones(3), tile=IDX), ValueError, "no tile"),
    (lambda: Ties(data_of=np.ones(3), conjugate=True), ValueError, "no conjugate"),
    (lambda: Offset(fill_value="1"), TypeError, "fill_value must be a finite number"),
    (lambda: Offset(fill_value=np.inf), TypeError, "fill_value"),
    (lambda: Offset(fill_value=True), TypeError, "fill_value"),
    (lambda: Offset(constant=np.zeros(3, dtype=int)), TypeError, "constant must be a 1-D float"),
])
def test_malformed_plans_are_refused_at_construction(make, exc, words):
    with pytest.raises(exc, match=words):
        make()


def test_plans_are_frozen():
    with pytest.raises(AttributeError):
        Channels(2).groups = 2                                  # type: ignore[misc]
    with pytest.raises(AttributeError):
        Ties().conjugate = True                                 # type: ignore[misc]


GEOM = Geometry((signal_axis(6, 3, "full"),))                  # 8 outputs, 6 inputs


@pytest.mark.parametrize("kwargs,exc,words", [
    (dict(channels=3), TypeError, "channels must be Channels" r"\(\.\.\.\)"),
    (dict(ties={"conjugate": True}), TypeError, "ties must be Ties" r"\(\.\.\.\), got dict"),
    (dict(ties=None), TypeError, "ties must be Ties" r"\(\.\.\.\), got NoneType"),
    (dict(offset=0.5), TypeError, "offset must be Offset" r"\(\.\.\.\)"),
    (dict(channels=Channels(1)), ValueError, r"\(C_out, C_in // groups\)"),
    (dict(ties=Ties(tile=np.zeros(7, dtype=int))), ValueError, r"one entry per flat output \(8\)"),
    (dict(offset=Offset(constant=np.zeros(3))), ValueError, r"one value per flat output \(8\)"),
])
def test_plans_that_do_not_fit_the_geometry_are_refused(kwargs, exc, words):
    with pytest.raises(exc, match=words):
        assemble(GEOM, np.ones(3), **kwargs)


def test_channel_plans_must_match_the_weight():
    w = np.ones((2, 3, 3))                                      # C_out 2, 3 inputs per group
    assert assemble(GEOM, w, channels=Channels(6, groups=2)).shape == (16, 36)
    with pytest.raises(ValueError, match="c_in = 5 must be the weight's 3 input channels"):
        assemble(GEOM, w, channels=Channels(5))
    with pytest.raises(ValueError, match="one channel only"):
        assemble(GEOM, w, channels=Channels(3), offset=Offset(fill_value=1.0))


def test_forced_write_path_is_scoped_and_checked():
    from toeplitz_conv import _assemble
    with forced_write_path("chunks"):
        assert _assemble._WRITE_PATH.get() == "chunks"
        with forced_write_path(None):
            assert _assemble._WRITE_PATH.get() is None
        assert _assemble._WRITE_PATH.get() == "chunks"
    assert _assemble._WRITE_PATH.get() is None
    with pytest.raises(ValueError, match="path must be one of"):
        with forced_write_path("rows"):                        # type: ignore[arg-type]
            pass


def test_no_public_builder_takes_a_write_path():
    import inspect

    import toeplitz_conv as tc
    for name in tc.__all__:
        obj = getattr(tc, name)
        if callable(obj) and not isinstance(obj, type):
            params = inspect.signature(obj).parameters
            assert not any("write_path" in p for p in params), name


def test_the_builder_path_fixture_forces_its_path(builder_path, monkeypatch):
    # Geometry.row_base is read only when full rows are written region by
    # region: an off-by-one there shows on the forced region paths alone.
    from toeplitz_conv import conv_matrix
    expected = conv_matrix(np.arange(1.0, 4.0), 9).toarray()
    real = Geometry.row_base
    monkeypatch.setattr(Geometry, "row_base", lambda g, rows: real(g, rows) + 1)
    changed = bool((conv_matrix(np.arange(1.0, 4.0), 9).toarray() != expected).any())
    assert changed == (builder_path != "table")
