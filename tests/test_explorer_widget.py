"""The ipywidgets explorer: each control change re-runs the builder (no frontend needed)."""

import html

import numpy as np
import pytest
import scipy.signal as ss

from toeplitz_conv import explore

pytest.importorskip("ipywidgets", reason="the widgets extra (ipywidgets) is not installed")

from toeplitz_conv.explorer_widget import explore_widget


def test_controls_rebuild_the_page():
    w = explore_widget(3, 6)
    assert w.explorer.html == explore([1, 2, 3], 6, "full").html
    assert w.explorer.html in html.unescape(w._page.value)
    w.controls["n"].value = 5
    w.controls["mode"].value = "same"
    w.controls["stride"].value = 2
    w.controls["correlate"].value = True
    w.controls["boundary"].value = "wrap"
    assert w.explorer.html == explore([1, 2, 3], 5, "same", stride=2, correlate=True,
                                      boundary="wrap").html
    w.controls["convention"].value = "layer"
    assert w.controls["boundary"].disabled and not w.controls["dilation"].disabled
    w.controls["dilation"].value = 2
    w.controls["padding"].value = 1
    w.controls["padding_mode"].value = "circular"
    assert w.explorer.html == explore([1, 2, 3], 5, "same", stride=2, dilation=2, padding=1,
                                      padding_mode="circular").html
    w.controls["ndim"].value = 2
    w.controls["kernel_size"].value = 2
    assert w.explorer.html == explore(np.array([[1, 2], [3, 4]]), (5, 5), "same", stride=2,
                                      dilation=2, padding=1, padding_mode="circular").html


def test_invalid_settings_show_the_reason():
    w = explore_widget(3, 6, ndim=2)
    w.controls["n"].value = 24
    assert w.explorer is None and "smaller input" in w.error
    assert "smaller input" in w._message.value and w._page.value == ""
    w.controls["n"].value = 4
    assert w.explorer is not None and w.error == "" and w._message.value == ""
    w.controls["convention"].value = "layer"
    w.controls["padding"].value = 4
    w.controls["padding_mode"].value = "reflect"
    assert w.explorer is None and "reflect" in w.error


def test_displays_as_the_widget():
    w = explore_widget()
    bundle = w._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_numbers_give_the_same_page_as_explore_with_x():
    """The widget shows the very page explore(..., x=) makes (item 7 of issue 19)."""
    w = explore_widget(3, 4, numbers=True)
    ref = explore([1, 2, 3], 4, "full", x=[1, 2, 3, 4])
    assert w.explorer.html == ref.html
    assert w._page.value == ref._repr_html_()
    w.controls["ndim"].value = 2
    x = np.arange(1, 17).reshape(4, 4)
    ref = explore(np.arange(1, 10).reshape(3, 3), (4, 4), "full", x=x)
    assert w.explorer.html == ref.html
    y = ref.variants[ref.initial]["numbers"]["y"]
    ref_y = ss.convolve2d(x, np.arange(1, 10).reshape(3, 3)).ravel()
    assert [float(v) for v in y] == ref_y.tolist()


def test_gradient_and_play_give_the_pages_of_explore():
    """The widget's gradient view and Play are explore's (issue 26 item 7)."""
    w = explore_widget(3, 4, numbers=True, gradient=True)
    ref = explore([1, 2, 3], 4, "full", x=[1, 2, 3, 4], gradient=True)
    assert w.explorer.html == ref.html and w.explorer.data["start"]["gradient"]
    w.controls["play"].value = True
    assert w.explorer.html == explore([1, 2, 3], 4, "full", x=[1, 2, 3, 4], gradient=True,
                                      play=True).html
    w.controls["gradient"].value = False
    assert w.explorer.data["start"] == {"play": True, "gradient": False}
