"""Figures: bad arguments refused at call time, huge sizes before building, and
display in a fresh Jupyter kernel."""

import os
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from toeplitz_conv import figures as F

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("call,exc,word", [
    (lambda: F.equivariance(shift=float("nan")), TypeError, "shift"),
    (lambda: F.equivariance(shift=True), TypeError, "shift"),
    (lambda: F.pooling(2, ("6",)), TypeError, "input_shape"),
    (lambda: F.matrix_equation([1, 2], 3, labels=["$x_$", "b"]), ValueError, "labels"),
    (lambda: F.matrix_equation([1, 2], 3, labels=["$x$$", "b"]), ValueError, "labels"),
    (lambda: F.sliding_window([1, 2], 3, labels=["a", r"$\frac{1$"]), ValueError, "labels"),
    (lambda: F.matrix_equation([1, 2], 3, labels=5), TypeError, "labels"),
    (lambda: F.receptive_field(layers=True), TypeError, "layers"),
    (lambda: F.receptive_field(layers=10 ** 4), ValueError, "layers"),
    (lambda: F.matrix_equation([[1, 2], [3, 4]], (3000, 3000)), ValueError, "input_shape"),
    (lambda: F.sliding_window([1, 2, 3], 10 ** 9), ValueError, "input_shape"),
    (lambda: F.equivariance([1, 2, 3], 10 ** 8), ValueError, "input_shape"),
    (lambda: F.locally_connected_vs_tiled(3, 5, tiles=0), ValueError, "tiles"),
    (lambda: F.kernel_feature_map(output=(5, 0)), ValueError, "output"),
    (lambda: F.sliding_window_frames(rows=(9,)), ValueError, "rows"),
    (lambda: F.valid_vs_same_depth(layers=100), ValueError, "layers"),
    # Issue 29 item 3: sizes refused before anything of that size is built.
    (lambda: F.receptive_field(np.ones(10 ** 6)), ValueError, "kernel"),
    (lambda: F.equivariance(np.ones(10 ** 6), 6), ValueError, "kernel"),
    (lambda: F.pooling_invariance(x=np.ones(10 ** 6)), ValueError, "x has"),
    (lambda: F.pooling_stride(x=np.ones(10 ** 6)), ValueError, "x has"),
    (lambda: F.pooling(2, 10 ** 9), ValueError, "input_shape"),
    (lambda: F.kernel_feature_map(input_shape=(1000, 1000)), ValueError, "input_shape"),
    (lambda: F.matrix_equation(np.ones(64), 64), ValueError, "127 x 64"),
    (lambda: F.channels(out_channels=10 ** 6), ValueError, "cells"),
    (lambda: F.locally_connected_vs_tiled(tiles=10 ** 6), ValueError, "tiles"),
    (lambda: F.padding_modes(input_shape=10 ** 6), ValueError, "input_shape"),
    (lambda: F.save_figure(F.FIGURES["matrix_1d"](), "x.png", dpi=2 ** 1024), ValueError,
     "dpi"),
])
def test_bad_arguments_are_clean_and_fast(call, exc, word):
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(exc, match=word):
            call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - t0 < 1.0
    assert peak < 50 * 2 ** 20          # nothing of the refused size was allocated


def test_valid_mathtext_labels_still_work():
    fig = F.matrix_equation([1, 2], 3, labels=[r"$\alpha$", "b"])
    assert F.figure_data(fig)["A"]["labels"][0, 0] == r"$\alpha$"


def test_every_figure_has_a_png_repr():
    fig = F.FIGURES["matrix_1d"]()
    assert isinstance(fig, Figure)
    assert fig._repr_png_().startswith(b"\x89PNG")


def test_figure_displays_as_image_in_a_fresh_kernel(tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    # No %matplotlib line and no backend chosen for the kernel.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from toeplitz_conv.figures import FIGURES\nFIGURES['sliding_window']()")]
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = nb.cells[0].outputs
    data = [o.get("data", {}) for o in outputs if o.output_type == "execute_result"]
    assert data and ({"image/png", "image/svg+xml"} & set(data[0])), outputs
    assert np.any([o.output_type == "error" for o in outputs]) == np.False_


@pytest.mark.parametrize("fig,path,word", [(None, "x.svg", "fig"), ("fig", "x.svg", "fig"),
                                           ("ok", None, "path")])
def test_save_figure_refuses_what_is_not_a_figure_or_a_path(fig, path, word, tmp_path):
    from toeplitz_conv.figures import FIGURES, save_figure

    real = FIGURES["matrix_1d"]() if fig == "ok" else fig
    with pytest.raises(TypeError, match=word):
        save_figure(real, path if path is None else tmp_path / path)
