"""The layering of the package, read from its import statements (``ast``, nothing is imported).

* Nothing outside ``toeplitz_conv/cli/`` imports the command line, not even
  lazily inside a function: the CLI sits on top of the library.
* The module-level import graph of ``toeplitz_conv`` has no cycle. Imports
  inside functions run on first call, after every module has loaded, so they
  cannot see a half-initialised module and are allowed; so are imports under
  ``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "toeplitz_conv"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE
CLI = f"{PACKAGE}.cli"

# Module-level cycles tolerated for now (each entry: the set of modules of one
# cycle), so that the test still stops new ones while an old one is untangled.
# Empty when this test was written; keep it empty.
KNOWN_CYCLES: list[frozenset[str]] = []


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def resolve(importer: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` names (relative levels resolved)."""
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not is_package(importer):
        base.pop()  # a module's level-1 parent is its package
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def ours(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(importer: str, tree: ast.Module) -> list[tuple[str, bool]]:
    """Every ``(module imported, at module level?)`` of our package in one file.

    ``from X import n`` counts as importing ``X.n`` when that is a module,
    else ``X`` (``n`` is then a name defined in ``X``).
    """
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            top = False
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for child in node.body:
                visit(child, False)
            for child in node.orelse:
                visit(child, top)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, top) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = resolve(importer, node)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((sub if sub in MODULES else base, top))
        for child in ast.iter_child_nodes(node):
            visit(child, top)

    visit(tree, True)
    return [(name, top) for name, top in found if ours(name)]


IMPORTS = {name: imports(name, ast.parse(path.read_text(encoding="utf-8"), str(path)))
           for name, path in MODULES.items()}


def in_cli(name: str) -> bool:
    return name == CLI or name.startswith(CLI + ".")


def find_cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module, or a self-import (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[frozenset[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                cycles.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return cycles


def test_the_walk_sees_the_package():
    assert {PACKAGE, CLI, f"{CLI}._main", f"{PACKAGE}.signal"} <= set(MODULES)
    # the CLI's own imports are found, relative and absolute alike
    assert (f"{CLI}._errors", True) in IMPORTS[f"{CLI}._parse"]
    assert any(name == f"{PACKAGE}.check" and not top for name, top in IMPORTS[f"{CLI}._check"])
    assert (f"{CLI}._main", True) in IMPORTS[CLI]


def test_nothing_outside_the_cli_imports_it():
    offenders = sorted(f"{importer} imports {name}"
                       for importer, found in IMPORTS.items() if not in_cli(importer)
                       for name, _ in found if in_cli(name))
    assert offenders == []


def runs(importer: str, name: str) -> set[str]:
    """The modules an import of ``name`` by ``importer`` may run.

    Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first; the
    packages that contain the importer are already running (the import
    system entered them to reach it), so they are left out, else every
    package would be a trivial cycle with its own modules.
    """
    parts = name.split(".")
    prefixes = {".".join(parts[:i]) for i in range(1, len(parts))}
    ancestors = {importer.rsplit(".", i)[0] for i in range(1, importer.count(".") + 1)}
    return ({name} | (prefixes - ancestors)) - {importer}


def test_runs():
    assert runs(f"{PACKAGE}.cli._show", f"{PACKAGE}.check._layer") == {
        f"{PACKAGE}.check._layer", f"{PACKAGE}.check"}
    assert runs(f"{PACKAGE}.check._layer", f"{PACKAGE}.check._report") == {
        f"{PACKAGE}.check._report"}
    # an explicit import from an ancestor package is an edge: it needs a name
    # that package defines
    assert runs(f"{PACKAGE}.cli._show", PACKAGE) == {PACKAGE}


def test_module_level_imports_have_no_cycle():
    graph = {importer: set().union(*(runs(importer, name) for name, top in found if top))
             for importer, found in IMPORTS.items()}
    cycles = [c for c in find_cycles(graph) if c not in KNOWN_CYCLES]
    assert cycles == [], "import cycles (module-level imports): " + "; ".join(
        " <-> ".join(sorted(c)) for c in cycles)


def test_cycle_finder_finds_a_cycle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        frozenset("abc")]
    assert find_cycles({"a": {"b"}, "b": set()}) == []
