"""The layering of the package, read from its import statements (``ast``, nothing is imported).

* Every module sits in one layer of :data:`LAYERS` -- core (the geometry, the
  assembler, ``TiedMatrix`` and their helpers) <- builders <- upper (symbolic,
  check, figures, explorer, ...) <- top (the CLI) -- and imports only its own
  layer or below, by every import it has: at module level, inside a function
  (lazy imports run too, on first call) or under ``if TYPE_CHECKING:`` (a
  type-only dependency is still a dependency).  The package ``__init__``
  sits on top and imports only what it re-exports.
* ``symbolic/_reference.py``, the proofs' independent reference, imports
  nothing from the package.
* Nothing outside ``toeplitz_conv/cli/`` imports the command line, not even
  lazily inside a function: the CLI sits on top of the library.
* The module-level import graph of ``toeplitz_conv`` has no cycle. Imports
  inside functions run on first call, after every module has loaded, so they
  cannot see a half-initialised module and are allowed by this check (the
  layer check still forbids them upward); so are imports under
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


# ----------------------------------------------------------------- the layers
CORE, BUILDERS, UPPER, TOP = range(4)
LAYER_NAMES = ("core", "builders", "upper", "top")

#: Each module's layer, by the longest matching name: ``a.b`` covers ``a.b``
#: and everything under ``a/b/`` (so ``geometry`` stays core as a package).
#: A module may import only modules of its own layer or below.  ``models`` is
#: listed ahead of its arrival (reading PyTorch models: builders and core).
LAYERS: dict[str, int] = {
    **{f"{PACKAGE}.{m}": CORE for m in (
        "geometry", "_assemble", "tied", "_tied_checks", "_limits", "_validation", "_typing",
        "palette")},
    **{f"{PACKAGE}.{m}": BUILDERS for m in (
        "signal", "layers", "pooling", "ndimage", "local", "data", "spectrum", "interop")},
    **{f"{PACKAGE}.{m}": UPPER for m in (
        "symbolic", "check", "figures", "explorer", "explorer_widget", "testing", "models")},
    **{f"{PACKAGE}.{m}": TOP for m in ("cli", "__main__")},
    # The package face re-exports builders and the explorer (see
    # test_the_package_init_imports_only_what_it_re_exports).
    PACKAGE: TOP,
}

#: The proofs' independent reference: it must not share code with what it checks.
INDEPENDENT = f"{PACKAGE}.symbolic._reference"


def layer_of(name: str, layers: dict[str, int] = LAYERS) -> int | None:
    """The layer of module ``name`` (longest matching entry), or None if it has none."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        key = ".".join(parts[:i])
        if key in layers and (i > 1 or key == name):
            return layers[key]
    return None


def layer_violations(imports_of: dict[str, list[tuple[str, bool]]],
                     layers: dict[str, int] = LAYERS) -> list[str]:
    """Every import of a module from a higher layer, and every module with no layer."""
    found = []
    for importer, names in sorted(imports_of.items()):
        mine = layer_of(importer, layers)
        if mine is None:
            found.append(f"{importer} has no layer in LAYERS")
            continue
        for name, top in names:
            theirs = layer_of(name, layers)
            if theirs is None:
                found.append(f"{importer} imports {name}, which has no layer in LAYERS")
            elif theirs > mine:
                where = "at module level" if top else "inside a function"
                found.append(f"{importer} ({LAYER_NAMES[mine]}) imports {name} "
                             f"({LAYER_NAMES[theirs]}) {where}")
    return found


def test_every_module_has_a_layer_and_imports_only_downward():
    assert layer_violations(IMPORTS) == []


def test_the_layer_check_reports_upward_and_unknown_imports():
    # A synthetic package: the core lazily importing a builder (the cycle
    # tied -> interop that this test first found), a builder importing the
    # explorer at module level, and a module nobody placed.
    synthetic = {
        f"{PACKAGE}.tied": [(f"{PACKAGE}._limits", True), (f"{PACKAGE}.interop", False)],
        f"{PACKAGE}.signal": [(f"{PACKAGE}.geometry._sizes", True),
                              (f"{PACKAGE}.explorer._page", True)],
        f"{PACKAGE}.symbolic._general": [(f"{PACKAGE}.signal", False),
                                         (f"{PACKAGE}.figures", False)],
        f"{PACKAGE}.newthing": [],
        f"{PACKAGE}.cli._main": [(f"{PACKAGE}.nowhere", True)],
    }
    assert layer_violations(synthetic) == [
        f"{PACKAGE}.cli._main imports {PACKAGE}.nowhere, which has no layer in LAYERS",
        f"{PACKAGE}.newthing has no layer in LAYERS",
        f"{PACKAGE}.signal (builders) imports {PACKAGE}.explorer._page (upper) at module level",
        f"{PACKAGE}.tied (core) imports {PACKAGE}.interop (builders) inside a function",
    ]


def test_layer_of_matches_whole_names():
    assert layer_of(f"{PACKAGE}.geometry") == CORE
    assert layer_of(f"{PACKAGE}.geometry._padding") == CORE        # a package's modules
    assert layer_of(f"{PACKAGE}.check._layer") == UPPER
    assert layer_of(f"{PACKAGE}.signals") is None                  # not a prefix match
    assert layer_of(PACKAGE) == TOP
    assert layer_of(f"{PACKAGE}.unplaced") is None


def test_the_walk_sees_imports_inside_functions():
    # Imports run lazily are seen (they are what the layer check adds).
    tree = ast.parse("def f():\n    from .interop import to_torch\n")
    assert imports(f"{PACKAGE}.tied", tree) == [(f"{PACKAGE}.interop", False)]


def test_the_independent_reference_imports_nothing_from_the_package():
    assert INDEPENDENT in MODULES, f"{INDEPENDENT} moved: update INDEPENDENT"
    assert IMPORTS[INDEPENDENT] == []
    # and the check can fail: any import of ours would be listed
    tree = ast.parse("import numpy\nfrom ..geometry import map_boundary\n")
    assert imports(INDEPENDENT, tree) == [(f"{PACKAGE}.geometry", True)]


def reexport_gaps(tree: ast.Module) -> list[str]:
    """Names the package ``__init__`` imports from its own modules but does not re-export."""
    exported: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            exported = set(ast.literal_eval(node.value))
    return sorted(alias.asname or alias.name for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom) and node.level > 0
                  for alias in node.names if (alias.asname or alias.name) not in exported)


def test_the_package_init_imports_only_what_it_re_exports():
    tree = ast.parse(MODULES[PACKAGE].read_text(encoding="utf-8"))
    assert reexport_gaps(tree) == []
    assert reexport_gaps(ast.parse("from .signal import conv_matrix, _conv_axes\n"
                                   "__all__ = ['conv_matrix']\n")) == ["_conv_axes"]
