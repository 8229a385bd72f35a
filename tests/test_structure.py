"""The house rules that keep crossin easy to change (issue 15), checked on the source itself."""

import ast
import graphlib
from pathlib import Path

import crossin

ROOT = Path(crossin.__file__).parent
MAX_LINES = 450
MAX_FUNCTION_LINES = 80

# The allowed-dependency table. Each unit of crossin (a package, or a top-level module) sits in one layer, top layer
# first; a unit imports units of lower layers only, at module level or inside functions. Units of one layer do not
# import each other (a layer is a set of peers: interop and serving use evaluation, evaluation does not import them),
# except the pairs in SIBLINGS. Every top-level module not named here is a core module (letters, dtypes, extract,
# metrics, io, config, results, ...): the bottom layer, whose modules may import each other (no circles: see below).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("__main__",),  # `python -m crossin`: the entry point, above the CLI it starts
    ("cli",),
    ("experiment",),
    ("serve", "lmeval", "report"),
    ("evaluate", "train", "data", "score"),
    ("publish",),  # files other tools read (model cards, Hub and Every Eval Ever results): train writes a card
    ("extraction",),  # --extractor: eval and score read answers with it; its judge is a client of an OpenAI server
    ("models", "benchmarks"),
)
SIBLINGS: dict[tuple[str, str], str] = {  # (importer, imported) in one layer -> why it may
    ("data", "evaluate"): "`crossin data pairs` asks the model through evaluation's engine (evaluate imports no data)",
}
# Upward imports still to be removed, each with the change that removes it (a stale entry fails the test below).
KNOWN_UPWARD: dict[tuple[str, str], str] = {}
# The order among the core modules, top first: a core module imports only core modules after it, type-only imports
# (`if TYPE_CHECKING:`) included, so the bottom layer reads in one direction too. A new core module takes a place here.
CORE_ORDER: tuple[str, ...] = (
    "score",  # `crossin score`: predictions files in, results.json out
    "results", "predictions", "metrics",  # results.json's body, the prediction matrix, the metrics themselves
    "request_cache", "schemas", "config", "io", "registry", "langs", "lang_table", "errors",  # files, configs, names
    "prompts", "prompt_texts",  # the prompt a model reads
    "extract_paper", "extract_seaeval", "extract", "extract_patterns", "answer_lang", "thinking", "letters",  # answers
    "threads", "progress", "recipe_names", "dtypes", "paper_table3",  # leaves
)
# Pairs of modules that import each other through a type-only import, each with the change that removes it (a stale
# entry fails the test below). None now: experiment/config.py <-> steps.py ended when the section check moved to
# experiment/load.py.
KNOWN_TYPE_CIRCLES: dict[tuple[str, str], str] = {}
# Functions over MAX_FUNCTION_LINES still to be split, each by the change that splits it (stale entries fail too).
KNOWN_LONG_FUNCTIONS: dict[str, str] = {}


def module_name(path: Path, root: Path) -> str:
    return ".".join((root.name, *path.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")


def runtime_imports(path: Path, root: Path, types: bool = False) -> set[str]:
    """Every module a file imports, at module level or inside functions; `if TYPE_CHECKING:` blocks hold types for
    annotations only and never run, so they are left out unless `types` (a reader still follows them)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node):
        if not types and isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
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


def import_circles(root: Path, types: bool = False) -> list[tuple[str, str]]:
    """Pairs of modules under `root` that import each other (a package and its own modules excepted); with `types`,
    type-only imports count too."""
    paths = sorted(root.rglob("*.py"))
    known = {module_name(p, root) for p in paths}
    imports = {module_name(p, root): (runtime_imports(p, root, types) & known) - {module_name(p, root)}
               for p in paths}
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


def test_no_two_modules_import_each_other_even_for_types():
    """A type-only circle runs fine but still sends a reader back and forth between two files."""
    circles = import_circles(ROOT, types=True)
    assert [c for c in circles if c not in KNOWN_TYPE_CIRCLES] == []
    assert [c for c in KNOWN_TYPE_CIRCLES if c not in circles] == []  # resolved: remove it from the list


def test_the_type_circle_check_finds_a_type_only_circle(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import T\n",
                              encoding="utf-8")
    (pkg / "c.py").write_text("from .b import g\n", encoding="utf-8")
    assert import_circles(pkg) == []
    assert import_circles(pkg, types=True) == [("pkg.b", "pkg.c")]


def core_order_violations(root: Path, order=CORE_ORDER) -> list[str]:
    """Every import between two core modules (the top-level modules of `root`) that does not point down `order`, type
    imports included, and every core module the order does not place."""
    core = {p.stem: p for p in root.glob("*.py") if p.stem not in ("__init__", "__main__")}
    found = [f"{name} has no place in the core order" for name in sorted(core) if name not in order]
    rank = {name: i for i, name in enumerate(order)}
    for name, path in sorted(core.items()):
        for imported in sorted(runtime_imports(path, root, types=True)):
            other = imported.removeprefix(root.name + ".")
            if other in core and other != name and name in rank and rank[other] <= rank[name]:
                found.append(f"{root.name}.{name} -> {imported} ({other} is not below {name})")
    return found


def test_core_modules_import_only_down_their_order():
    assert core_order_violations(ROOT) == []


def test_the_core_order_check_finds_an_upward_and_an_unplaced_module(tmp_path):
    pkg = _plant(tmp_path, {"top.py": "from . import low\n", "low.py": "from typing import TYPE_CHECKING\n"
                            "if TYPE_CHECKING:\n    from .top import T\n", "new.py": ""})
    assert core_order_violations(pkg, ("top", "low")) == [
        "new has no place in the core order", "pkg.low -> pkg.top (top is not below low)"]
    assert core_order_violations(pkg, ("low", "top", "new")) == ["pkg.top -> pkg.low (low is not below top)"]


def test_every_module_is_small_enough_to_read_in_one_sitting():
    long = {str(p.relative_to(ROOT)): n for p in ROOT.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) >= MAX_LINES}
    assert long == {}, long


def unit(module: str) -> str:
    """The unit a module belongs to: `crossin.evaluate.runner` -> evaluate, `crossin.io` -> io, `crossin` -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def unit_imports(root: Path) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """{(importer unit, imported unit): [(module, imported module), ...]} over every module under `root`."""
    paths = sorted(root.rglob("*.py"))
    known = {module_name(p, root) for p in paths}
    edges: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for path in paths:
        name = module_name(path, root)
        for imported in sorted(runtime_imports(path, root) & known):
            if unit(imported) != unit(name):
                edges.setdefault((unit(name), unit(imported)), []).append((name, imported))
    return edges


def layer_violations(root: Path, layers=LAYERS, siblings=SIBLINGS, known=KNOWN_UPWARD) -> list[str]:
    """Every import that goes up the table or sideways within a layer (listed siblings and known ones excepted)."""
    level = {u: i for i, layer in enumerate(layers) for u in layer}
    core = len(layers)
    found = []
    for (a, b), pairs in sorted(unit_imports(root).items()):
        la, lb = level.get(a, core), level.get(b, core)
        if la < lb or (la == lb == core) or (a, b) in siblings or (a, b) in known:
            continue
        found += [f"{m} -> {i} ({a} may not import {b})" for m, i in pairs]
    return found


def unit_circle(root: Path, known=KNOWN_UPWARD) -> list[str]:
    """A circle of units importing each other through any of their modules ([] when there is none); the known
    upward imports (listed above, to be removed) are left out."""
    graph: dict[str, set[str]] = {}
    for a, b in unit_imports(root):
        if (a, b) not in known:
            graph.setdefault(a, set()).add(b)
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as e:
        return e.args[1]
    return []


def test_every_import_follows_the_layer_table():
    assert layer_violations(ROOT) == []


def test_every_package_has_a_place_in_the_layer_table():
    placed = {u for layer in LAYERS for u in layer}
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages - placed == set()


def test_listed_exceptions_are_still_needed():
    """An exception that no import uses any more is removed from the table (it would hide a new one)."""
    edges = unit_imports(ROOT)
    assert [pair for pair in (*SIBLINGS, *KNOWN_UPWARD) if pair not in edges] == []


def test_no_circle_between_units():
    """Beyond two modules importing each other: no circle through several modules of several units."""
    assert unit_circle(ROOT) == []


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    pkg = tmp_path / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(text, encoding="utf-8")
    return pkg


def test_the_layer_check_finds_an_upward_import_inside_a_function(tmp_path):
    pkg = _plant(tmp_path, {"top/__init__.py": "", "top/run.py": "from ..low import helper\n",
                            "low/__init__.py": "", "low/helper.py": "def f():\n    from ..top import run\n",
                            "util.py": "from .low import helper\n"})
    layers = (("top",), ("low",))
    assert layer_violations(pkg, layers, {}, {}) == [
        "pkg.low.helper -> pkg.top (low may not import top)", "pkg.low.helper -> pkg.top.run (low may not import top)",
        "pkg.util -> pkg.low (util may not import low)", "pkg.util -> pkg.low.helper (util may not import low)"]
    assert layer_violations(pkg, (("low",), ("top",)), {}, {})[0].startswith("pkg.top.run -> pkg.low")


def test_the_layer_check_refuses_peers_unless_listed(tmp_path):
    pkg = _plant(tmp_path, {"a/__init__.py": "", "a/x.py": "from ..b import y\n", "b/__init__.py": "", "b/y.py": ""})
    assert layer_violations(pkg, (("a", "b"),), {}, {}) == ["pkg.a.x -> pkg.b (a may not import b)",
                                                           "pkg.a.x -> pkg.b.y (a may not import b)"]
    assert layer_violations(pkg, (("a", "b"),), {("a", "b"): "why"}, {}) == []


def test_the_circle_check_finds_a_circle_across_packages(tmp_path):
    """a.x -> b.y, b.z -> c.w, c.v -> a.u: no two modules import each other, yet the packages go round."""
    pkg = _plant(tmp_path, {"a/__init__.py": "", "a/x.py": "from ..b import y\n", "a/u.py": "",
                            "b/__init__.py": "", "b/y.py": "", "b/z.py": "def f():\n    from ..c import w\n",
                            "c/__init__.py": "", "c/w.py": "", "c/v.py": "from ..a import u\n"})
    assert import_circles(pkg) == []
    circle = unit_circle(pkg, {})
    assert set(circle) == {"a", "b", "c"} and circle[0] == circle[-1]


def long_functions(root: Path, limit: int = MAX_FUNCTION_LINES) -> dict[str, int]:
    """{"path:function": lines} for every function (nested ones too) longer than `limit` lines, def to last line."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= limit:
                found[f"{path.relative_to(root).as_posix()}:{node.name}"] = node.end_lineno - node.lineno + 1
    return found


def test_no_function_is_longer_than_80_lines():
    long = long_functions(ROOT)
    assert {k: n for k, n in long.items() if k not in KNOWN_LONG_FUNCTIONS} == {}
    assert [k for k in KNOWN_LONG_FUNCTIONS if k not in long] == []  # split: remove it from the list


def test_the_length_check_counts_a_nested_function(tmp_path):
    body = "".join(f"        x{i} = {i}\n" for i in range(80))
    (tmp_path / "m.py").write_text(f"def outer():\n    def inner():\n{body}    return inner\n", encoding="utf-8")
    assert long_functions(tmp_path) == {"m.py:outer": 83, "m.py:inner": 81}
