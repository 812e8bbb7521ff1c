"""The package's imports run one way: no cycle among reportgen's modules, counting the
imports inside function bodies as well as the top-level ones (an import moved into a
function must not hide a cycle). Imports under ``if TYPE_CHECKING:`` are for type
checkers only and are left out."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "reportgen"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """The ids of import nodes under ``if TYPE_CHECKING:``."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                for sub in ast.walk(inner):
                    skipped.add(id(sub))
    return skipped


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The reportgen modules ``path`` imports, at any depth (a ``from X import y`` where
    ``X.y`` is a module counts as importing ``X.y``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    # ``import importlib; importlib.import_module("reportgen.x")`` with a literal name
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("import_module") and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            found.add(node.args[0].value)
    return {m for m in found if m in modules and m != me}


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(p) for p in paths}
    return {_module_name(p): _imports(p, modules) for p in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as the list of its modules (the first repeated at the end), or None.
    A package's ``__init__`` importing its own submodules does not count: Python loads the
    package first either way."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt.startswith(node + "."):
                continue  # a package importing its own submodule
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_the_graph_sees_function_level_imports():
    graph = import_graph()
    assert "reportgen.api" in graph and "reportgen.pipeline" in graph["reportgen.api"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_report_never_imports_evaluation():
    graph = import_graph()
    back = sorted(m for m, deps in graph.items() if m.startswith("reportgen.report") and "reportgen.evaluation" in deps)
    assert back == []


def test_report_names_no_evaluation_even_for_type_checkers():
    """``report/`` reads plain data: not even an import under ``if TYPE_CHECKING:`` names
    ``reportgen.evaluation`` (what it needs of one is a Protocol of its own)."""
    named = []
    for path in sorted((PACKAGE / "report").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            named += [f"{path.name}: {m}" for m in modules if m == "reportgen.evaluation" or m.endswith(".evaluation")
                      or (isinstance(node, ast.ImportFrom) and m == "reportgen"
                          and any(a.name in ("evaluation", "Evaluation") for a in node.names))]
    assert named == []


LAYERS = ("io", "rows", "binning", "matrices", "hashing", "validate", "chunks", "stats", "accumulate", "engines",
          "metrics", "analysis", "pipeline", "api", "cli")  # the order the README's architecture gives


def test_layers_import_downward():
    """No module of a layer imports a module of a later layer (a package may import its own modules)."""

    def layer(module: str) -> int | None:
        name = module.removeprefix("reportgen.")
        return next((i for i, top in enumerate(LAYERS) if name == top or name.startswith(top + ".")), None)

    upward = sorted(f"{m} -> {d}" for m, deps in import_graph().items() for d in deps
                    if layer(m) is not None and layer(d) is not None and layer(d) > layer(m)
                    and not d.startswith(m + "."))
    assert upward == []
