"""Run the ``toeplitz-conv`` command in this process (a subprocess costs seconds each)."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

from toeplitz_conv.cli import main


@dataclass
class Result:
    """What a shell would see: the exit status and both streams."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: str | Path | None = None) -> Result:
    """``toeplitz-conv ARGS...`` through :func:`toeplitz_conv.cli.main`, streams captured."""
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in args])
    finally:
        os.chdir(old)
    return Result(code, out.getvalue(), err.getvalue())
