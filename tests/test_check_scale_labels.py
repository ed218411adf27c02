"""A result off by a whole factor N is labelled with what N is, in each kind's own weight
layout: kernel taps and fan-in of a locally connected ``(*out, C_out, C_in, *k)``, a tiled
``(*tiles, C_out, C_in, *k)`` and a transposed ``(C_in, C_out // groups, *k)`` weight.

Every size below is chosen so that the quantities differ from each other and from what the
conv layout would have read from the same weight (``prod(w.shape[2:])``, ``w.shape[1]``), so
each test fails with labels read as for a conv weight.
"""

from __future__ import annotations

import numpy as np

from toeplitz_conv.check import check_layer

from .test_check_identify_kinds import conv_transpose
from .test_check_sweep_local import keras_local_factory, tiled_factory

RNG = np.random.default_rng(7)


def _scaled(backward, factor):
    def bwd(x, g):
        gx, gw, gb = backward(x, g)
        return gx, gw * factor, gb
    return bwd


def test_local_layer_scale_names_its_kernel_taps_and_fan_in():
    # (out 3 x 3, C_out 2, C_in 3, 2 x 2): taps 4, fan-in 12, 9 positions; a conv reading
    # would call 2 * 3 * 2 * 2 = 24 the taps and 3 * 24 = 72 the fan-in.
    w, b = RNG.standard_normal((3, 3, 2, 3, 2, 2)), RNG.standard_normal(2)
    fwd, bwd = keras_local_factory()(w, b)
    kw = dict(kind="local", bias=b, data_format="HWC")
    r = check_layer(lambda x: 4 * fwd(x), w, (4, 4, 3), **kw)
    assert r["forward"].diagnosis == "output scaled by N = 4 (the number of kernel taps)", r
    r = check_layer(fwd, w, (4, 4, 3), backward=_scaled(bwd, 1 / 12), **kw)
    assert r["input_grad"].ok and not r["weight_grad"].ok
    assert r["weight_grad"].diagnosis == ("weight gradient divided by N = 12 (the fan-in: "
                                          "input channels x kernel taps)"), r


def test_tiled_layer_scale_names_its_taps_and_its_tiles():
    # (tiles 2 x 2, C_out 2, C_in 3, 3 x 3) on 5 x 6: taps 9, 4 tiles, 12 positions, fan-in 27.
    w, b = RNG.standard_normal((2, 2, 2, 3, 3, 3)), RNG.standard_normal(2)
    fwd, bwd = tiled_factory()(w, b, tiles=(2, 2))
    kw = dict(kind="tiled", bias=b, backward=None)
    for factor, label in ((9, "the number of kernel taps"),
                          (1 / 4, "the number of tiles (kernels in the stack)"),
                          (27, "the fan-in: input channels x kernel taps")):
        kw["backward"] = _scaled(bwd, factor)
        r = check_layer(fwd, w, (3, 5, 6), **kw)
        n = round(max(factor, 1 / factor))
        verb = "scaled by" if factor > 1 else "divided by"
        assert r["weight_grad"].diagnosis == f"weight gradient {verb} N = {n} ({label})", r


def test_transposed_layer_scale_tells_its_fan_in_from_the_convolutions():
    # (C_in 3, C_out 2, 3 x 3): the fan-in of its outputs is 3 x 9 = 27; 2 x 9 = 18, what a
    # conv reading of the weight (w.shape[1] x taps) calls the fan-in, is the fan-in of the
    # convolution it transposes.
    w = RNG.standard_normal((3, 2, 3, 3))
    for factor, text in ((27, "(the fan-in: input channels x kernel taps)"),
                         (18, "(output channels x kernel taps: the fan-in of the convolution "
                              "this layer transposes")):
        r = check_layer(lambda x, f=factor: f * conv_transpose(x, w, 2, 1, 0), w, (3, 3, 4),
                        kind="transposed", stride=2, padding=1)
        assert r["forward"].diagnosis.startswith(f"output scaled by N = {factor} {text}"), r


def test_a_bias_added_n_times_is_named_in_the_kinds_weight_layout():
    # Transposed (C_in 3, C_out 4, 3 x 3): once per input channel is 3 times (a conv reading
    # of the weight would say 4), once per tap and input channel 27 (it would say 36).
    w, b = RNG.standard_normal((3, 4, 3, 3)), RNG.standard_normal(4)
    for n, why in ((3, "once per input channel"), (27, "once per kernel tap and input channel")):
        r = check_layer(lambda x, n=n: conv_transpose(x, w, 1, 0, 0) + n * b[:, None, None],
                        w, (3, 3, 3), bias=b, kind="transposed")
        assert r["forward"].diagnosis.startswith(f"bias added {n} times: {why}"), r
    # Locally connected (3 x 3 positions, C_out 2, C_in 3, 2 x 2): once per tap is 4 times.
    w, b = RNG.standard_normal((3, 3, 2, 3, 2, 2)), RNG.standard_normal(2)
    fwd, _ = keras_local_factory()(w, b)
    r = check_layer(lambda x: fwd(x) + 3 * b, w, (4, 4, 3), bias=b, kind="local",
                    data_format="HWC")
    assert r["forward"].diagnosis == "bias added 4 times: once per kernel tap", r
