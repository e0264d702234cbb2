"""The library's layout: each subpackage imports only the layers below it (lmc/__init__.py
lists them), and README's layout section names every subpackage."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LMC = ROOT / "lmc"
# bottom to top: a module may import its own package and any package before it
LAYERS = ["util", "data", "nn", "train", "evaluate", "analyses", "config", "aggregate", "report",
          "paper", "jobs"]


def _packages() -> list[str]:
    return sorted(p.name for p in LMC.iterdir() if (p / "__init__.py").is_file())


def _lmc_imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported subpackage) of every `lmc` import in a module, lazy ones included."""
    tree = ast.parse(path.read_text())
    own = path.parent.name
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = ([own] if node.level == 1 else []) + (node.module or "").split(".")
            elif node.module and node.module.split(".")[0] == "lmc":
                parts = node.module.split(".")[1:]
            else:
                continue
            found += [(node.lineno, parts[0])] if parts and parts[0] else []
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name.split(".")[1]) for a in node.names
                      if a.name.startswith("lmc.")]
    return found


def test_every_subpackage_is_a_layer():
    assert _packages() == sorted(LAYERS)
    assert not [p.name for p in LMC.glob("*.py") if p.name != "__init__.py"], \
        "a module at lmc/'s top level: give it a subpackage"


@pytest.mark.parametrize("package", LAYERS)
def test_imports_point_down_the_pipeline(package):
    allowed = set(LAYERS[: LAYERS.index(package) + 1])
    wrong = [f"{path.relative_to(ROOT)}:{line} imports lmc.{target}"
             for path in sorted((LMC / package).glob("*.py"))
             for line, target in _lmc_imports(path) if target not in allowed]
    assert not wrong, f"lmc.{package} may import only {sorted(allowed)}:\n" + "\n".join(wrong)


def test_the_checker_sees_a_wrong_direction(tmp_path):
    bad = tmp_path / "train" / "bad.py"
    bad.parent.mkdir()
    bad.write_text("from lmc.config import grid\n\ndef f():\n    from ..report import plots\n")
    assert [t for _, t in _lmc_imports(bad)] == ["config", "report"]


def test_readme_layout_names_every_subpackage():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Layout"):]
    section = section[: section.find("\n## ", 1)]
    missing = [p for p in _packages() if not re.search(rf"\blmc/{p}/", section)]
    assert not missing, f"README.md's Layout section does not name lmc/{missing[0]}/"


def test_modules_are_small():
    big = [f"{p.relative_to(ROOT)}: {n} lines" for p in sorted(LMC.rglob("*.py"))
           if (n := len(p.read_text().splitlines())) > 300]
    assert not big, "modules over 300 lines:\n" + "\n".join(big)


def test_functions_are_short():
    long = []
    for folder in ("lmc", "scripts", "bench", "tools", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                        and node.end_lineno - node.lineno + 1 > 60:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: "
                                f"{node.end_lineno - node.lineno + 1} lines")
    assert not long, "functions over 60 lines:\n" + "\n".join(long)
