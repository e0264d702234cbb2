"""The convert job (rule convert): every raw file re-checked against the download rule's
manifest, then each split written as a `.beton` (the format of record, lmc.data.beton) and as
the memory-mappable arrays it decodes to (lmc.data.arrays)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from lmc.data import beton
from lmc.data.arrays import write_arrays
from lmc.data.datasets import SPLITS, DatasetError
from lmc.data.sources import content_sha256, file_sha256, load_split, raw_files
from lmc.util.logs import log


def convert(name: str, root: str | os.PathLike, manifest: str | os.PathLike,
            outputs: dict[str, str]) -> None:
    """The convert job: every raw file re-checked against the download rule's manifest
    (before anything is written), then each split's arrays, then each split written as
    `outputs[split]` (a `.beton` and its record)."""
    root, recorded = Path(root), json.loads(Path(manifest).read_text())
    fix = (f"re-import it (download and convert only, trained results stay): "
           f"snakemake --cores 1 --forceall {outputs['train']}")
    files = raw_files(name)
    for rel in (rel for split in SPLITS for rel in files[split]):
        expected = recorded.get("files", {}).get(rel)     # manifests written before this check lack "files"
        if expected is None:
            continue
        if not (root / rel).is_file():
            raise DatasetError(f"{root / rel}: missing, though the download rule recorded it in {manifest}; "
                               f"{fix}")
        if file_sha256(root / rel) != expected:
            raise DatasetError(f"{root / rel}: content differs from what the download rule recorded in "
                               f"{manifest}; {fix}")
    for split in SPLITS:
        images, labels = load_split(name, root, split)
        if content_sha256(images, labels) != recorded["sha256"][split]:
            raise DatasetError(f"{root}: the {split} split read from {', '.join(files[split])} differs from "
                               f"the hash recorded in {manifest}; {fix}")
        beton.write_beton(images, labels, outputs[split])
        # the arrays the .beton decodes to (write_beton checked they are these), for jobs
        # that read resident splits without FFCV
        write_arrays(images, labels, outputs[split])
        log.info("wrote %s and its arrays: %d samples", outputs[split], len(labels))
