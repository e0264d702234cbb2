"""Finished pairs kept beside their run, so that adding pairs trains only the new ones.

A per-setting training job has every pair of its setting as outputs: raise `pairs` from 2
to 3 and Snakemake re-runs the job, deleting pairs 0 and 1 before it starts. So each
finished pair's files are also hard-linked (no second copy on disk) under
`results/runs/<run>/.kept/pair<k>/`, with a manifest of their sha256 and of what made them
(setting, seeds, code digest, data content). A job that has pairs to train that are not
kept restores every kept pair whose identity and bytes still hold and trains only the
others: a pair's bytes do not depend on the pairs trained beside it (tests/test_train.py),
so the files are those that training all of them gives. A job whose pairs are all kept
and intact (`--forcerun`, a re-run asked for) trains them all again, as asked; a damaged
file (its hash differs: a hard link shares the damage) is never restored.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lmc.data.sources import file_sha256
from lmc.util.io import write_json

KEPT_DIR = ".kept"


def identity(setting: Mapping[str, Any], seeds: Mapping[str, int], code: str | None,
             data: Mapping[str, str]) -> dict[str, Any]:
    """What a pair's files are a function of (on one device)."""
    return {"setting": dict(setting), "seeds": dict(seeds), "code": code, "data": dict(data)}


def kept_dir(files: Mapping[str, str]) -> Path:
    """results/runs/<run>/.kept/pair<k>/ for the files of results/runs/<run>/pair<k>/."""
    pair = Path(next(iter(files.values()))).parent
    return pair.parent / KEPT_DIR / pair.name


def keep(files: Mapping[str, str], made_by: Mapping[str, Any]) -> None:
    """Hard-link a finished pair's files (name -> path) into its kept folder (a copy where
    the filesystem has no hard links), the manifest last: a folder without one is ignored."""
    folder = kept_dir(files)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").unlink(missing_ok=True)
    hashes = {}
    for name, path in files.items():
        target = folder / name
        target.unlink(missing_ok=True)
        try:
            os.link(path, target)
        except OSError:
            target.write_bytes(Path(path).read_bytes())
        hashes[name] = file_sha256(Path(path))
    write_json({"made_by": dict(made_by), "sha256": hashes}, folder / "manifest.json")


def intact(files: Mapping[str, str], made_by: Mapping[str, Any]) -> bool:
    """Whether the kept folder of these files holds every one of them, made by `made_by`,
    each with the bytes it was kept with."""
    folder = kept_dir(files)
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    if manifest.get("made_by") != json.loads(json.dumps(dict(made_by))):
        return False
    hashes = manifest.get("sha256", {})
    return set(hashes) == set(files) and all(
        (folder / name).is_file() and file_sha256(folder / name) == hashes[name] for name in files)


def restore(files: Mapping[str, str]) -> None:
    """Put a kept pair's files back at their paths (linked, each replaced atomically)."""
    folder = kept_dir(files)
    for name, path in files.items():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=Path(path).parent, prefix=f".{Path(path).name}.", suffix=".tmp")
        os.close(fd)
        os.unlink(tmp)
        try:
            os.link(folder / name, tmp)
        except OSError:
            Path(tmp).write_bytes((folder / name).read_bytes())
        os.replace(tmp, path)
