"""Check a built wheel holds the package alone: ``python tools/check_wheel.py dist/*.whl``.

CI runs it after ``python -m build``: every file is under ``toeplitz_conv/`` or the
wheel's ``.dist-info``, ``py.typed`` and the explorer's assets are there, and no
tests, benchmarks, docs or notebooks came along. Exit 1 with the offending names.
"""

from __future__ import annotations

import sys
import zipfile

REQUIRED = ("toeplitz_conv/__init__.py", "toeplitz_conv/py.typed")
FORBIDDEN_TOP = ("tests", "benchmarks", "docs", "notebooks", "figures", "tools", "examples")


def problems(path: str) -> list[str]:
    """What is wrong with the wheel at ``path`` (an empty list when nothing is)."""
    names = zipfile.ZipFile(path).namelist()
    out = [f"missing {r}" for r in REQUIRED if r not in names]
    out += [f"stray {n}" for n in names
            if not (n.startswith("toeplitz_conv/") or ".dist-info/" in n)
            or n.split("/", 1)[0] in FORBIDDEN_TOP]
    if not any(n.startswith("toeplitz_conv/_explorer_assets/") for n in names):
        out.append("missing toeplitz_conv/_explorer_assets/")
    return out


def main(paths: list[str]) -> int:
    if not paths:
        print("usage: python tools/check_wheel.py WHEEL...", file=sys.stderr)
        return 2
    bad = {p: problems(p) for p in paths}
    for path, found in bad.items():
        print(f"{path}: " + ("ok" if not found else "; ".join(found)))
    return 1 if any(bad.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
