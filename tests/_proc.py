"""This test process's process tree, read from /proc (Linux): what hostile-code tests check.

And the hostile code that forks, for the checker's worker process to catch.
"""

from __future__ import annotations

import os
import time


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


def fork_a_sleeper(pid_file: str, settle: float) -> None:
    """Fork a grandchild that writes its pid to ``pid_file`` and sleeps a minute.

    The caller (the user's code under test) goes on after ``settle`` seconds;
    the checker must find the grandchild and kill it.
    """
    if os.fork() == 0:
        with open(pid_file, "w") as fh:
            fh.write(str(os.getpid()))
        time.sleep(60)
        os._exit(0)
    time.sleep(settle)
