"""The house's layout, read from the code with ``ast``: every import of the project's own
modules (lazy ones in functions included) goes down the floors or stays in its package, no
two modules import each other round a circle, and no test file is imported."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

# Each package and what it may import of the project, besides itself. Top floor first.
MAY_IMPORT = {
    "app": set(),  # declares the pages by file; imports none of them
    "ui": {"service", "evaluation", "models", "photo", "blur"},
    "commands": {"service", "evaluation", "models", "photo", "blur"},
    "evaluation": {"service", "models", "photo", "blur"},
    "service": {"models", "photo", "blur"},
    "models": {"photo", "blur"},
    "photo": {"blur"},
    "blur": set(),
    # Beside the house: they may use any of it, tests' helper modules too, never a test file.
    "tools": {"models", "photo", "blur"},
    "bench": {"ui", "commands", "evaluation", "service", "models", "photo", "blur", "tests"},
    "tests": {"app", "ui", "commands", "evaluation", "service", "models", "photo", "blur",
              "bench", "tools", "tests"},
}  # fmt: skip
TOP_LEVEL = {"app.py"}  # the only module outside a package


def project_modules() -> dict[str, Path]:
    found = {"app": ROOT / "app.py"}
    for package in MAY_IMPORT:
        folder = ROOT / package
        for path in folder.rglob("*.py") if folder.is_dir() else ():
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """The project modules ``path`` imports (the module a name is imported from, or the
    name itself where it is a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    named = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:  # a submodule, else a name defined in ``base``
                submodule = f"{base}.{alias.name}"
                named.add(submodule if submodule in modules else base)
    return {n for n in named if n in modules and n != name}


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(path, name, modules) for name, path in modules.items()}


def floor(module: str) -> str:
    return module.split(".")[0]


def test_only_app_py_sits_at_the_top_level():
    loose = {p.name for p in ROOT.glob("*.py")} - TOP_LEVEL
    assert not loose, f"modules outside a package: {sorted(loose)}"


def arrows_up(edges: dict[str, set[str]]) -> list[str]:
    return [
        f"{module} imports {target}"
        for module, targets in edges.items()
        for target in targets
        if floor(target) != floor(module) and floor(target) not in MAY_IMPORT[floor(module)]
    ]


def circles(edges: dict[str, set[str]]) -> list[str]:
    found, done = [], set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            found.append(" -> ".join([*path[path.index(module) :], module]))
            return
        if module in done:
            return
        for target in sorted(edges.get(module, ())):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(edges):
        visit(module, [])
    return found


def test_every_import_goes_down_or_stays_in_its_package():
    wrong = arrows_up(graph())
    assert not wrong, "\n".join(wrong)


def test_no_test_file_is_imported():
    wrong = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in targets
        if target.rpartition(".")[2].startswith("test_")
    ]
    assert not wrong, "\n".join(wrong)


def test_no_import_circle():
    found = circles(graph())
    assert not found, "\n".join(found)


def test_the_checks_see_an_arrow_up_and_a_circle(tmp_path):
    """The reader above finds what it must: a planted arrow up and a circle."""
    modules = {"blur.a": tmp_path / "a.py", "ui.b": tmp_path / "b.py"}
    modules["blur.a"].write_text("def f():\n    from ui.b import g\n")
    modules["ui.b"].write_text("from blur import a\nfrom blur.a import f\n")
    edges = {name: imports_of(path, name, modules) for name, path in modules.items()}
    assert edges == {"blur.a": {"ui.b"}, "ui.b": {"blur.a"}}
    assert "blur.a imports ui.b" in arrows_up(edges)
    assert circles(edges) == ["blur.a -> ui.b -> blur.a"]
