"""``python -m toeplitz_conv``: the ``toeplitz-conv`` command.

It runs ``toeplitz_conv.cli`` as a script (its own ``__main__``), so that the
package's top level imports nothing of the command line.
"""

import runpy

__all__: list[str] = []

if __name__ == "__main__":
    runpy.run_module("toeplitz_conv.cli", run_name="__main__", alter_sys=True)
