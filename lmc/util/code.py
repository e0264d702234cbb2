"""Digests of the library code a rule's results depend on, so that a code change re-runs
what it produced (a rule's params carry `digest(<root modules>)`; Snakemake re-runs a job
whose params changed).

The digest covers the root modules and every `lmc` module they import, transitively,
found statically in their syntax trees (`from . import x`, `from .x import y`,
`import lmc.x`, `from lmc.x import y`, also inside functions). Each module is hashed from
its syntax tree without docstrings and without positions, so editing a comment, a
docstring or blank lines changes nothing while any real code edit does. The sources are
read from the directory of the `lmc` package actually imported, so a workflow run with
PYTHONPATH at another checkout digests that checkout. No third-party imports: the
Snakefile calls this at parse time.
"""
from __future__ import annotations

import ast
import functools
import hashlib
import os

DIGEST_LENGTH = 12


def package_dir() -> str:
    """The directory of the `lmc` package this module was imported from."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def digest(*roots: str, package: str | os.PathLike | None = None) -> str:
    """A short hex hash of the code of `roots` (module names inside the package, e.g.
    "runs", "train") and of every package module they import, transitively. `package`:
    the package directory (default: the imported `lmc`)."""
    directory = os.path.abspath(package or package_dir())
    h = hashlib.sha256()
    for name in modules(*roots, package=directory):
        h.update(f"{name}\0{_analyse(_read(directory, name))[0]}\0".encode())
    return h.hexdigest()[:DIGEST_LENGTH]


def modules(*roots: str, package: str | os.PathLike | None = None) -> list[str]:
    """The sorted names of the package modules `roots` depend on, roots included
    ("__init__" for the package itself, only where a name is imported from it)."""
    directory = os.path.abspath(package or package_dir())
    if not roots:
        raise ValueError("digest of no modules: name the root modules of the rule")
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if _path(directory, name) is None:
            raise ValueError(f"no module {name!r} in {directory}")
        seen.add(name)
        todo.extend(_imports(directory, name))
    return sorted(seen)


def _path(directory: str, name: str) -> str | None:
    """The source file of package module `name` ("a.b" for a subpackage's module)."""
    base = os.path.join(directory, *name.split("."))
    for candidate in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(candidate):
            return candidate
    return None


def _read(directory: str, name: str) -> bytes:
    with open(_path(directory, name), "rb") as f:
        return f.read()


def _imports(directory: str, name: str) -> list[str]:
    """Package modules that module `name` imports, resolved against the files present."""
    package = os.path.basename(directory)
    is_package = name == "__init__" or _path(directory, name).endswith("__init__.py")
    # the module's own package, as parts below the top-level package
    parts = [] if name == "__init__" else name.split(".")
    here = parts if is_package else parts[:-1]
    found = []
    for level, module, names in _analyse(_read(directory, name))[1]:
        if level:
            if level - 1 > len(here):
                continue                                   # above the package
            target = here[: len(here) - (level - 1)] + (module.split(".") if module else [])
        elif module == package or module.startswith(package + "."):
            target = module.split(".")[1:]
        else:
            continue                                       # not the package's code
        if names is None:                                  # import lmc.x.y
            found += [".".join(target[:i]) for i in range(1, len(target) + 1)]
            continue
        for imported in names:                             # from <target> import imported
            sub = ".".join(target + [imported])
            if _path(directory, sub) is not None:
                found.append(sub)
            else:
                found.append(".".join(target) or "__init__")
    return found


@functools.lru_cache(maxsize=None)
def _analyse(source: bytes) -> tuple[str, tuple]:
    """(hash of the code without docstrings and positions, imports as (level, module,
    names or None)). Cached per process by content, so edits are always seen."""
    tree = ast.parse(source)
    imports = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports += [(0, alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imports.append((node.level, node.module or "", tuple(a.name for a in node.names)))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:]
    return hashlib.sha256(_canonical(tree).encode()).hexdigest(), tuple(imports)


def _canonical(node) -> str:
    """Like `ast.dump(node)` (no line/column attributes), but leaving out empty fields,
    so the text is the same on Python versions that add or drop empty fields."""
    if isinstance(node, ast.AST):
        fields = []
        for field in node._fields:
            value = getattr(node, field, None)
            if value is None or value == []:
                continue
            fields.append(f"{field}={_canonical(value)}")
        return f"{type(node).__name__}({', '.join(fields)})"
    if isinstance(node, list):
        return "[" + ", ".join(_canonical(v) for v in node) + "]"
    return repr(node)
