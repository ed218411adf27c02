"""This test process's process tree, read from /proc (Linux): what hostile-code tests check."""

from __future__ import annotations

import os


def children() -> list[int]:
    """The pids of this process's children (from every thread's ``children`` list)."""
    out = []
    for t in os.listdir(f"/proc/{os.getpid()}/task"):
        with open(f"/proc/{os.getpid()}/task/{t}/children") as fh:
            out += [int(k) for k in fh.read().split()]
    return out


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, or no such process, is not alive)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
