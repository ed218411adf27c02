"""``python -m toeplitz_conv.cli``: the ``toeplitz-conv`` command."""

import sys

from toeplitz_conv.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
