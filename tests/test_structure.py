"""The house rules that keep crossin easy to change (issue 15), checked on the source itself."""

import ast
from pathlib import Path

import crossin

ROOT = Path(crossin.__file__).parent
MAX_LINES = 450


def module_name(path: Path, root: Path) -> str:
    return ".".join((root.name, *path.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")


def runtime_imports(path: Path, root: Path) -> set[str]:
    """Every module a file imports, at module level or inside functions; `if TYPE_CHECKING:` blocks hold types for
    annotations only and never run, so they are left out."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            return
        if isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = ".".join(parts[:len(parts) - node.level + 1]) if node.level else ""
            module = ".".join(x for x in (base, node.module) if x)
            found.update({module, *(f"{module}.{a.name}" for a in node.names)})
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def import_circles(root: Path) -> list[tuple[str, str]]:
    """Pairs of modules under `root` that import each other (a package and its own modules excepted)."""
    paths = sorted(root.rglob("*.py"))
    known = {module_name(p, root) for p in paths}
    imports = {module_name(p, root): (runtime_imports(p, root) & known) - {module_name(p, root)} for p in paths}
    return sorted({tuple(sorted((a, b))) for a in imports for b in imports[a]
                   if a in imports.get(b, ()) and not (b.startswith(a + ".") or a.startswith(b + "."))})


def test_no_two_modules_import_each_other():
    """No import circle anywhere in crossin, imports inside functions included: registries reach implementations by
    "module:object" strings (the benchmark registry -> xquad, make_backend -> the backends)."""
    assert import_circles(ROOT) == []


def test_the_circle_check_finds_a_circle_inside_functions(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "a.py").write_text("def f():\n    from .b import g\n", encoding="utf-8")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import T\n"
                              "def g():\n    from . import a\n", encoding="utf-8")
    (pkg / "c.py").write_text("from .b import g\n", encoding="utf-8")
    assert import_circles(pkg) == [("pkg.a", "pkg.b")]  # b <-> c is types only


def test_every_module_is_small_enough_to_read_in_one_sitting():
    long = {str(p.relative_to(ROOT)): n for p in ROOT.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) >= MAX_LINES}
    assert long == {}, long
