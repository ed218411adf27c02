"""Side-by-side benchmarks of toeplitz_conv against what a user would pick instead.

Run ``python -m benchmarks [--quick] [--only NAMES] [--out DIR] [--budget-gib G]``
from the repository root.  Every peer's result is compared with our matrix before
it is timed; peers that are not installed, that build a different matrix, or that
would need more memory than the budget are reported as such in the table.  Each
workload is a module with ``run(settings) -> list[Result]`` (see :mod:`.run`);
all of them measure through :func:`.measure.measure`.  Output goes to the
untracked ``benchmarks/results-local/`` unless ``--out`` names a directory; the
committed ``benchmarks/results/`` changes only with ``--out benchmarks/results``.
"""
