"""The command line's one error class."""

from __future__ import annotations

__all__ = ["CLIError"]


class CLIError(Exception):
    """A user error: ``toeplitz-conv`` prints it as one line on stderr and exits 2.

    Raise it with a message that names the flag (``--n``, ``--out``, ...) and
    says what is allowed; the library's own ``ValueError``/``TypeError`` are
    reported the same way, so subcommands need not re-wrap them.
    """
