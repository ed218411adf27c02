"""The sliding window as an animation: one frame per output, for GIF or MP4.

Each frame is the figure itself drawn for that output (``row=i``), so a frame
shows exactly what the still figure shows for that row — the window over the
input, the matching matrix row framed, the output's expression — and its
record (:func:`~._data.figure_data`) stays readable frame by frame.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import animation
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from .._validation import as_finite_real
from ._canvas import figure_style
from ._data import _RECORD, figure_data

__all__ = ["ANIMATION_DPI", "ANIMATION_FORMATS", "FigureAnimation", "animate", "animated_figures",
           "save_animation"]

#: Animation formats by file extension (``mp4`` needs ffmpeg on the PATH).
ANIMATION_FORMATS = ("gif", "mp4")
#: Default resolution of the frames: sharp when projected, like :data:`~._save.PNG_DPI`.
ANIMATION_DPI = 200.0


class FigureAnimation(animation.FuncAnimation):
    """A :class:`~matplotlib.animation.FuncAnimation` of pre-drawn figure frames.

    ``figure_data(anim.figure)`` is the record of the frame shown last;
    :meth:`show_frame` shows frame ``i`` and returns it, :attr:`records` holds
    them all and :attr:`frame_figures` the figures the frames were drawn from (their
    texts are what each frame shows).
    """

    def __init__(self, images: list[np.ndarray], records: list[dict[str, Any]], *,
                 dpi: float, interval: float, frames: list[Figure] | None = None) -> None:
        h, w = images[0].shape[:2]
        self.figure = Figure(figsize=(w / dpi, h / dpi), dpi=dpi)
        FigureCanvasAgg(self.figure)
        ax = self.figure.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        self.images = images
        self.records = records
        self.frame_figures = list(frames) if frames is not None else []
        self.dpi = dpi
        self._image = ax.imshow(images[0], interpolation="none")
        self.show_frame(0)
        self.interval = interval
        super().__init__(self.figure, self._update, frames=len(images), interval=interval,
                         repeat=True)
        # matplotlib warns when an animation is dropped before it ran, to catch a
        # pyplot window that never showed; these frames are drawn already.
        self._draw_was_started = True

    def _update(self, i: int) -> list[Artist]:
        self.show_frame(i)
        return [self._image]

    def show_frame(self, i: int) -> dict[str, Any]:
        """Show frame ``i``; return its record (also ``figure_data(anim.figure)``)."""
        self._image.set_data(self.images[i])
        setattr(self.figure, _RECORD, self.records[i])
        return self.records[i]


def _resolve(figure: str | Callable[..., Figure]) -> Callable[..., Figure]:
    if callable(figure):
        return figure
    if not isinstance(figure, str):
        raise TypeError(f"figure must be a figure name or a function, got "
                        f"{type(figure).__name__}")
    from ._registry import FIGURE_FUNCTIONS, FIGURES

    funcs = {f.__name__: f for f in FIGURE_FUNCTIONS}
    draw = FIGURES.get(figure) or funcs.get(figure)
    if draw is None:
        raise ValueError(f"unknown figure {figure!r}; animated: "
                         f"{', '.join(animated_figures())}")
    return draw


def animated_figures() -> list[str]:
    """Names of :data:`FIGURES` that can be animated (they take ``row=``)."""
    from ._registry import FIGURES

    return [name for name, f in FIGURES.items() if _takes_row(f)]


def _takes_row(draw: Callable[..., Figure]) -> bool:
    try:
        return "row" in inspect.signature(draw).parameters
    except (TypeError, ValueError):
        return False


def _union_box(figs: list[Figure], pad: float = 0.1) -> Bbox:
    """The union of the frames' tight boxes (inches), padded: every frame shows all of it.

    A frame drawn on its own figure box clips a title wider than the figure;
    frames cut to their own tight boxes would jump in size.
    """
    boxes = []
    with figure_style():
        for fig in figs:
            renderer = FigureCanvasAgg(fig).get_renderer()
            boxes.append(fig.get_tightbbox(renderer))
    return Bbox.union(boxes).padded(pad)


def _render(fig: Figure, dpi: float, box: Bbox) -> np.ndarray:
    buf = io.BytesIO()
    with figure_style():
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches=box, facecolor="white")
    buf.seek(0)
    from PIL import Image

    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB")).copy()


def animate(figure: str | Callable[..., Figure] = "sliding_window", *, dpi: float = ANIMATION_DPI,
            interval: float = 900, **kwargs: Any) -> FigureAnimation:
    """Animate a figure over its outputs: frame ``i`` is the figure drawn with ``row=i``.

    For :func:`sliding_window` (and ``"sliding_window_2d"``): the window moves
    over the padded input (its padding drawn) while the matching matrix row
    lights up and the output fills with the values ``A @ x`` gives, one
    frame per output.  For :func:`spatial` (conv_arithmetic's pictures):
    ``animate("spatial", kernel_size=3, input_shape=(5, 5), padding=1,
    stride=2, dilation=1, transposed=False)`` moves the window over the
    padded input while the output fills.  Every frame is cut to the union
    of the frames' bounding boxes, so nothing is clipped and the frames
    keep one size.

    Parameters
    ----------
    figure : str or callable
        A name of :data:`FIGURES` or of a figure function, or a function
        returning a figure; it must take ``row=``.
    dpi : float
        Resolution of the frames (default :data:`ANIMATION_DPI`, 200).
    interval : float
        Milliseconds between frames.
    **kwargs
        Passed to the figure function (``kernel``, ``input_shape``, ``mode``, ...).

    Returns
    -------
    FigureAnimation
        A :class:`matplotlib.animation.FuncAnimation`; save it with
        :func:`save_animation`.

    Examples
    --------
    >>> anim = animate("sliding_window")
    >>> len(anim.records), anim.records[2]["expression"]
    (4, 'xc + yd + ze')
    >>> figure_data(anim.figure) is anim.records[0]
    True
    """
    draw = _resolve(figure)
    if not _takes_row(draw):
        raise ValueError(f"figure {getattr(figure, '__name__', figure)!r} cannot be animated "
                         f"(it takes no row=); animated: {', '.join(animated_figures())}")
    if "row" in kwargs:
        raise TypeError("animate draws every row; do not pass row=")
    dpi = as_finite_real(dpi, "dpi", positive=True)
    interval = as_finite_real(interval, "interval", positive=True)
    first = draw(row=0, **kwargs)
    record = figure_data(first)
    outputs = int(record.get("A", record)["matrix"].shape[0])
    figs = [first] + [draw(row=i, **kwargs) for i in range(1, outputs)]
    records = [figure_data(f) for f in figs]
    box = _union_box(figs)
    images = [_render(f, dpi, box) for f in figs]
    if len({im.shape for im in images}) != 1:       # rounding of the box at this dpi
        h = min(im.shape[0] for im in images)
        w = min(im.shape[1] for im in images)
        images = [im[:h, :w] for im in images]
    return FigureAnimation(images, records, dpi=dpi, interval=interval, frames=figs)


def save_animation(anim: FigureAnimation, path: str | Path, *, fps: float | None = None
                   ) -> Path:
    """Write ``anim`` as ``.gif`` (Pillow) or ``.mp4`` (ffmpeg, when installed).

    Parameters
    ----------
    anim : FigureAnimation
        From :func:`animate`.
    path : str or Path
        Ends in ``.gif`` or ``.mp4``.
    fps : float, optional
        Frames per second; default from the animation's interval.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> p = save_animation(animate("sliding_window"), pathlib.Path(tempfile.mkdtemp()) / "s.gif")
    >>> Image.open(p).n_frames
    4
    """
    path = Path(path)
    ext = path.suffix.lower().lstrip(".")
    if ext not in ANIMATION_FORMATS:
        raise ValueError(f"an animation is written as .gif or .mp4, got {str(path)!r}")
    if not isinstance(anim, FigureAnimation):
        raise TypeError(f"anim must come from animate(), got {type(anim).__name__}")
    if fps is None:
        fps = 1000.0 / anim.interval
    fps = as_finite_real(fps, "fps", positive=True)
    writer: animation.AbstractMovieWriter
    if ext == "gif":
        # The stubs say int; matplotlib divides by it, so a slow 0.5 fps works.
        writer = animation.PillowWriter(fps=fps)  # type: ignore[arg-type]
    else:
        if not animation.writers.is_available("ffmpeg"):
            raise ValueError("writing .mp4 needs ffmpeg on the PATH; write a .gif instead")
        writer = animation.FFMpegWriter(fps=fps)  # type: ignore[arg-type]
    anim.save(str(path), writer=writer, dpi=anim.dpi)
    return path

