"""The package's shape: no import cycles inside vidgen (function-level imports counted too), files
of at most ~400 lines, vidgen-internal imports at module top."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "vidgen"
MAX_LINES = 420  # "~400": a little slack for a docstring, never a second responsibility
HEAVY = ("torch", "diffusers", "transformers", "gradio", "cv2")  # these stay lazy, and so may the modules importing them


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _package(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _imports(module: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int, bool]]:
    """(imported vidgen module, line, at module top) for every import statement, anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    for node in tree.body:  # `if TYPE_CHECKING:` blocks only name types
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in ast.walk(node):
                top.add(id(sub))
                sub.type_checking = True  # type: ignore[attr-defined]
    out = []
    for node in ast.walk(tree):
        if getattr(node, "type_checking", False):
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = _package(module, path).split(".")
                pkg = pkg[: len(pkg) - node.level + 1]
                base = ".".join(pkg + ([node.module] if node.module else []))
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name.startswith("vidgen") and name != module:
                out.append((name, node.lineno, id(node) in top))
    return out


def _graph() -> dict[str, set[str]]:
    """Module -> the modules importing it runs: each import's target and, for a module in another
    package, that package's __init__ (which Python runs first)."""
    known = _modules()
    graph: dict[str, set[str]] = {m: set() for m in known}
    for module, path in known.items():
        own = _package(module, path)
        for target, _, _ in _imports(module, path, known):
            graph[module].add(target)
            parent = target.rpartition(".")[0]
            while parent and parent != "vidgen" and not (own + ".").startswith(parent + "."):
                graph[module].add(parent)
                parent = parent.rpartition(".")[0]
    return graph


def test_no_import_cycle_inside_vidgen():
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycle = stack[stack.index(n):] + [n]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_files_stay_focused():
    long = {str(p.relative_to(ROOT)): n for p in ROOT.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"files over {MAX_LINES} lines: {long}"


def _heavy_modules(known: dict[str, Path]) -> set[str]:
    """vidgen modules that import a heavy library at their top, directly or through another one."""
    heavy = set()
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            if any(n.split(".")[0] in HEAVY for n in names):
                heavy.add(module)
    top = {m: {t for t, _, at_top in _imports(m, p, known) if at_top} for m, p in known.items()}
    grew = True
    while grew:
        grew = False
        for m, targets in top.items():
            if m not in heavy and targets & heavy:
                heavy.add(m)
                grew = True
    return heavy


def test_vidgen_imports_are_at_module_top():
    known = _modules()
    heavy = _heavy_modules(known)
    inside = [f"{path.relative_to(ROOT.parent)}:{line} imports {target}"
              for module, path in known.items() for target, line, top in _imports(module, path, known)
              if not top and target not in heavy]
    assert not inside, "imports inside functions (move them to the top):\n" + "\n".join(inside)
