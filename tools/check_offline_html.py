"""Check a built documentation site loads nothing from the network.

``python tools/check_offline_html.py docs/_build/html`` (CI runs it after the
build): no ``<script src>``, ``<link href>``, ``<img src>`` or ``<iframe src>`` of
any HTML page points at ``http(s)://`` or ``//host`` -- a CDN or any other
server -- and no page or script names a CDN. Exit 1 listing every hit.

The vendored MathJax (``_static/mathjax``) is left out of the script search: its
bundle names a CDN only for the speech rules of its accessibility explorer,
which is off unless a reader turns it on in MathJax's menu.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

#: Attributes through which a page loads something (links to read are fine).
_LOADS = re.compile(r"<(script|link|img|iframe|source|embed)\b[^>]*?\b(src|href)\s*=\s*"
                    r"[\"']?((?:https?:)?//[^\"' >]+)", re.IGNORECASE)
_CDN = re.compile(r"\bcdn[\w.-]*\.(?:com|net|org|io)\b|\bjsdelivr\b|\bunpkg\b|\bcdnjs\b",
                  re.IGNORECASE)


def hits(root: Path) -> list[str]:
    """Every network load (HTML) and every CDN host named (HTML and JavaScript) under ``root``."""
    out = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".html", ".js") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(root)
        if path.suffix == ".js" and rel.parts[:2] == ("_static", "mathjax"):
            continue
        if path.suffix == ".html":
            out += [f"{rel}: <{m.group(1)} {m.group(2)}={m.group(3)}>"
                    for m in _LOADS.finditer(text)
                    # <link rel=canonical>-style pointers load nothing
                    if not (m.group(1).lower() == "link" and "stylesheet" not in
                            text[m.start():text.find(">", m.start())].lower()
                            and "preload" not in text[m.start():text.find(">", m.start())])]
        out += [f"{rel}: names {m.group(0)}" for m in _CDN.finditer(text)]
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: python tools/check_offline_html.py BUILT_HTML_DIR", file=sys.stderr)
        return 2
    found = hits(Path(argv[0]))
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} network reference(s): the site would not work offline",
              file=sys.stderr)
        return 1
    print(f"{argv[0]}: no network loads")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
