"""Every file a pair of networks leaves in results/runs/<run>/pair<k>/, and the output keys
the rules give them: each name is spelt here once. Rules build their `output:` from this
(rules/common.smk) and jobs receive those keys, so a rule and its job cannot disagree.
No imports beyond the standard library: the Snakefile reads it at parse time."""
from __future__ import annotations

import re
from collections.abc import Mapping

# A pair's files: output key -> file name in results/runs/<run>/pair<k>/ (rules/common.smk
# builds the rule's outputs from this).
PAIR_FILES = {"init": "init.pt", "a": "a.pt", "b": "b.pt", "metrics": "metrics.csv", "seeds": "seeds.json",
              "provenance": "provenance.json"}


def output_key(name: str, setting: int, pair: int) -> str:
    """The rule's output key of one pair's file: `a_0_1` for pair 1's A of the job's
    first setting."""
    return f"{name}_{setting}_{pair}"


def setting_key(setting: int) -> str:
    """The rule's output key of a setting's setting.json."""
    return f"setting_{setting}"


def snapshot_key(member: str, epoch: int, setting: int, pair: int) -> str:
    """The rule's output key of a member's snapshot after `epoch` (barrier along training):
    `a_e5_0_1` for pair 1's A of the job's first setting."""
    return f"{member}_e{epoch}_{setting}_{pair}"


# The pair's linear path (lmc.jobs.interpolate), its derivatives (the `derivatives`
# analysis), and the same along training: under snapshots/ and, per spawn point, under
# results/runs/<run>/spawn/<point>/pair<k>/.
INTERPOLATION = "interpolation.csv"
DERIVATIVES = "derivatives.json"
SNAPSHOTS = "snapshots"


SNAPSHOT_INTERPOLATION = f"{SNAPSHOTS}/{INTERPOLATION}"     # every snapshot epoch's path


def snapshot_file(member: str, epoch: int) -> str:
    """A member's weights after `epoch` (barrier along training), inside the pair's folder."""
    return f"{SNAPSHOTS}/{member}_e{epoch}.pt"


def snapshot_derivatives(epoch: int) -> str:
    """The derivatives record of the path between A and B after `epoch`."""
    return f"{SNAPSHOTS}/derivatives_e{epoch}.json"


def pair_outputs(outputs: Mapping[str, str], setting: int, pair: int) -> dict[str, str]:
    """One pair's files among a job's outputs: name (PAIR_FILES, and `a_e5`, ... for the
    snapshots a job of barrier_over_time saves) -> path."""
    files = {name: outputs[output_key(name, setting, pair)] for name in PAIR_FILES}
    for key, path in outputs.items():
        shot = re.fullmatch(r"([ab])_e(\d+)_(\d+)_(\d+)", key)        # snapshot_key's form
        if shot and (int(shot[3]), int(shot[4])) == (setting, pair):
            files[f"{shot[1]}_e{shot[2]}"] = path
    return files
