"""Side-by-side benchmarks of toeplitz_conv against what a user would pick instead.

Run ``python -m benchmarks [--quick] [--out DIR] [--budget-gib G]`` from the
repository root.  Every peer's result is compared with our matrix before it is
timed; peers that are not installed, that build a different matrix, or that
would need more memory than the budget are reported as such in the table.
"""
