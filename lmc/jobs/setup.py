"""What every job shares (thread and determinism set-up, reading a run's setting) and the
run index. The training and interpolation jobs live in
`lmc.jobs.train` and `lmc.jobs.interpolate`, each importing only what it uses, so that the
code digest of one (lmc.util.code) does not change when the other's code does."""
from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pandas as pd
import torch

from lmc.data import arrays
from lmc.data.resident import Split
from lmc.util import devices
from lmc.util.logs import log


def setup(threads: int) -> None:
    """Torch threads and determinism for a job."""
    torch.set_num_threads(max(1, int(threads)))
    # Byte-identical reruns on CPU; on GPU, deterministic kernels where torch has them.
    torch.use_deterministic_algorithms(True, warn_only=True)
    log.info("%d CPU threads, torch %s", torch.get_num_threads(), torch.__version__)


@contextlib.contextmanager
def on_device(threads: int, device: str, betons: Mapping[str, str]
              ) -> Iterator[tuple[torch.device, dict[str, Split]]]:
    """A job's start: threads and determinism (`setup`), its device (a distinct GPU for
    concurrent jobs on one workstation, lmc.util.devices) and its splits (name -> .beton)
    read onto it once, from convert's arrays."""
    setup(threads)
    with devices.claim_gpu(prefer=device) as dev:
        yield dev, {name: arrays.read_split(path, dev) for name, path in betons.items()}


def read_setting(path: str | os.PathLike) -> dict[str, Any]:
    with open(path) as f:
        return json.load(f)


def index_table(run_ids: Sequence[str], setting_jsons: Sequence[str]) -> pd.DataFrame:
    """One row per run: id, readable setting columns, where its files are (the folder of
    its setting.json); `run_ids[i]` is the id of `setting_jsons[i]`."""
    if len(run_ids) != len(setting_jsons):
        raise ValueError(f"{len(run_ids)} run ids for {len(setting_jsons)} setting files")
    rows = []
    for run, path in zip(run_ids, setting_jsons):
        setting = read_setting(path)
        rows.append({"run_id": run,
                     **{k: json.dumps(v) if isinstance(v, list) else v for k, v in setting.items()},
                     "path": os.path.dirname(path)})
    return pd.DataFrame(rows).sort_values("run_id").reset_index(drop=True)
