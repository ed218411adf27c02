"""The explorer with ipywidgets controls: every change re-runs the Python builder.

The static page (:func:`~toeplitz_conv.explore`) switches between variants
built in advance; here the sliders change the kernel size, the input size,
mode, stride, dilation, padding and padding mode freely, and each change
builds a new page with :func:`~toeplitz_conv.explore`.  Needs the
``widgets`` extra (``pip install "toeplitz_conv[widgets]"``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .explorer import Explorer, explore
from .layers import PADDING_MODES
from .signal import MODES, SIGNAL_BOUNDARIES

__all__ = ["ExplorerWidget", "explore_widget"]

#: Choices of the padding drop-down in the layer convention.
_PADDINGS = [("from mode", "mode"), ("0", 0), ("1", 1), ("2", 2), ("3", 3), ("4", 4)]


class ExplorerWidget:
    """Controls plus the explorer page they build; displays as the widget.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The controls above the page.
    controls : dict
        Name -> control (``ndim``, ``kernel_size``, ``n``, ``convention``, ``mode``,
        ``correlate``, ``boundary``, ``stride``, ``dilation``, ``padding``,
        ``padding_mode``, ``numbers``, ``gradient``, ``play``); set ``.value``
        to drive it from code.
    explorer : Explorer or None
        The page of the current settings (``None`` when they are invalid).
    error : str
        Why the current settings draw nothing ('' when they draw).
    """

    def __init__(self, controls: dict[str, Any], page: Any, message: Any, box: Any) -> None:
        self.controls = controls
        self._page = page
        self._message = message
        self.widget = box
        self.explorer: Explorer | None = None
        self.error = ""
        for c in controls.values():
            c.observe(self._update, names="value")
        self._update()

    def arguments(self) -> tuple[np.ndarray, Any, dict[str, Any]]:
        """``(kernel, input_shape, keyword arguments)`` of :func:`explore` for the controls."""
        c = {k: v.value for k, v in self.controls.items()}
        k, n, nd = c["kernel_size"], c["n"], c["ndim"]
        kernel = np.arange(1, k**nd + 1).reshape((k,) * nd)
        shape = n if nd == 1 else (n, n)
        kw: dict[str, Any] = {"mode": c["mode"], "stride": c["stride"]}
        # the page's own Gradient and Play, switched on from the start
        if c["gradient"]:
            kw["gradient"] = True
        if c["play"]:
            kw["play"] = True
        if c["numbers"]:
            # the input 1, 2, 3, ... so every output's sum can be followed by hand
            kw["x"] = np.arange(1, n**nd + 1).reshape((n,) * nd)
        if c["convention"] == "signal":
            kw.update(correlate=c["correlate"], boundary=c["boundary"])
        else:
            kw.update(dilation=c["dilation"], padding_mode=c["padding_mode"],
                      padding=None if c["padding"] == "mode" else c["padding"])
        return kernel, shape, kw

    def _update(self, change: Any = None) -> None:
        signal = self.controls["convention"].value == "signal"
        for name in ("correlate", "boundary"):
            self.controls[name].disabled = not signal
        for name in ("dilation", "padding", "padding_mode"):
            self.controls[name].disabled = signal
        kernel, shape, kw = self.arguments()
        try:
            self.explorer = explore(kernel, shape, **kw)
        except (ValueError, TypeError) as exc:
            self.explorer, self.error = None, str(exc)
            self._message.value = f"<b>Nothing to draw:</b> {_escape(self.error)}"
            self._page.value = ""
            return
        self.error = ""
        self._message.value = ""
        self._page.value = self.explorer._repr_html_()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def explore_widget(kernel_size: int = 3, n: int = 6, *, ndim: int = 1, mode: str = "full",
                   stride: int = 1, convention: str = "signal",
                   numbers: bool = False, gradient: bool = False,
                   play: bool = False) -> ExplorerWidget:
    """Interactive explorer in Jupyter: sliders re-run the builder on every change.

    Parameters
    ----------
    kernel_size, n : int
        Initial kernel size and input size (per dimension); the kernel is
        ``1, 2, ..., kernel_size ** ndim``.
    ndim : {1, 2}
    mode : {'full', 'valid', 'same'}
    stride : int
    convention : {'signal', 'layer'}
    numbers : bool
        Show the input ``x = 1, 2, 3, ...``, the outputs and their sums (the
        page of :func:`~toeplitz_conv.explore` with ``x=``).

    Returns
    -------
    ExplorerWidget
        Displays as the controls above the page; ``.explorer`` is the current
        :class:`~toeplitz_conv.explorer.Explorer`.

    Raises
    ------
    ImportError
        Without ipywidgets (install the ``widgets`` extra).

    Examples
    --------
    >>> w = explore_widget(3, 5)
    >>> w.controls["mode"].value = "valid"          # rebuilds the page
    >>> w.explorer.variants[w.explorer.initial]["title"]
    "convolution, mode='valid', boundary='fill', stride 1: A is 3 x 5"
    >>> w.controls["n"].value = 2                   # longer kernel: scipy swaps them
    >>> w.explorer.variants[w.explorer.initial]["title"]
    "convolution, mode='valid', boundary='fill', stride 1: A is 2 x 2"
    """
    try:
        import ipywidgets as wd
    except ImportError:
        raise ImportError('explore_widget needs ipywidgets: pip install '
                          '"toeplitz_conv[widgets]"') from None
    style = {"description_width": "initial"}
    controls = {
        "ndim": wd.ToggleButtons(options=[("1-D", 1), ("2-D", 2)], value=ndim,
                                 description="input"),
        "kernel_size": wd.IntSlider(value=kernel_size, min=1, max=5, description="kernel size",
                                    style=style),
        "n": wd.IntSlider(value=n, min=1, max=24, description="n", style=style),
        "convention": wd.ToggleButtons(options=["signal", "layer"], value=convention,
                                       description="convention"),
        "mode": wd.Dropdown(options=list(MODES), value=mode, description="mode"),
        "correlate": wd.Checkbox(value=False, description="cross-correlation"),
        "boundary": wd.Dropdown(options=list(SIGNAL_BOUNDARIES), value="fill",
                                description="boundary"),
        "stride": wd.IntSlider(value=stride, min=1, max=3, description="stride"),
        "dilation": wd.IntSlider(value=1, min=1, max=3, description="dilation"),
        "padding": wd.Dropdown(options=_PADDINGS, value="mode", description="padding"),
        "padding_mode": wd.Dropdown(options=list(PADDING_MODES), value="zeros",
                                    description="padding_mode", style=style),
        "numbers": wd.Checkbox(value=numbers, description="numbers (x = 1, 2, 3, ...)",
                               style=style),
        "gradient": wd.Checkbox(value=gradient, description="gradient view", style=style),
        "play": wd.Checkbox(value=play, description="play", style=style),
    }
    page = wd.HTML()
    message = wd.HTML()
    c = controls
    box = wd.VBox([
        wd.HBox([c["ndim"], c["convention"]]),
        wd.HBox([c["kernel_size"], c["n"], c["stride"]]),
        wd.HBox([c["mode"], c["correlate"], c["boundary"]]),
        wd.HBox([c["dilation"], c["padding"], c["padding_mode"]]),
        wd.HBox([c["numbers"], c["gradient"], c["play"]]),
        message, page])
    return ExplorerWidget(controls, page, message, box)
