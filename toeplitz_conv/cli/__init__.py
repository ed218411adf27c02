"""The ``toeplitz-conv`` command line (also ``python -m toeplitz_conv``).

One module per subcommand (``_show``, ``_prove``, ``_check``, ``_figures``,
``_explore``), one error class (:class:`CLIError`), one parser for numbers
and shapes (``_parse``) and the entry point (``_main``). This package sits on
top of the library: it imports the library, and no library module imports it.

Examples
--------
>>> from toeplitz_conv.cli import main
>>> main(["show", "--kernel", "1,2", "--n", "1"])
convolution, mode=full, boundary=fill: A is 2 x 1, 2 stored entries, 2 distinct weights
1
2
0
"""

from ._errors import CLIError
from ._main import COMMANDS, build_parser, main
from ._parse import parse_numbers, parse_shape
from ._show import format_matrix

__all__ = ["COMMANDS", "CLIError", "build_parser", "format_matrix", "main", "parse_numbers",
           "parse_shape"]
