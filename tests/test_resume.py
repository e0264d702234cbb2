"""Pre-emption safety: a real training process killed mid-run (SIGKILL, SIGTERM) and
started again finishes byte-identical to an uninterrupted run."""
from __future__ import annotations

import filecmp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import job_outputs

from lmc.train import settings as train_settings

SETTING = train_settings.canonical(
    dict(dataset="mnist", model="mlp", depth=3, width=256, slope=0.0, optimizer="adam",
         lr=0.001, momentum=0.9, adam_betas=[0.9, 0.999], batch_size=32, epochs=8,
         warmup_fraction=0.1, schedule="cosine", weight_decay=0.0, augment="none",
         seed=0, init="torch_default", init_scale=1.0))
# a packed job: both pairs of the setting as one computation (4 members)
PAIRS = [0, 1]
OUTPUTS = [f"pair{k}/{name}" for k in PAIRS
           for name in ("init.pt", "a.pt", "b.pt", "metrics.csv", "seeds.json")]


def job_command(folder: Path, betons: dict[str, str]) -> list[str]:
    seeds = [[train_settings.pair_seeds(SETTING, k) for k in PAIRS]]
    code = (
        "from lmc.jobs import train\n"
        f"train.train_job([{SETTING!r}], {seeds!r}, {dict(betons)!r}, {PAIRS!r}, "
        f"{job_outputs(folder, PAIRS)!r}, state_path={str(folder / 'state.pt')!r}, device='cpu', "
        "threads=1, checkpoint_every=1)\n"
    )
    return [sys.executable, "-c", code]


def run_to_end(folder: Path, betons) -> None:
    subprocess.run(job_command(folder, betons), check=True, timeout=300, capture_output=True)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_training_resumes_byte_identical(tmp_path, betons, sig):
    reference = tmp_path / "reference"
    reference.mkdir()
    run_to_end(reference, betons)

    killed = tmp_path / "killed"
    killed.mkdir()
    proc = subprocess.Popen(job_command(killed, betons), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = killed / "state.pt"
    deadline = time.time() + 240
    # wait until at least two epochs are checkpointed, then kill without warning
    while time.time() < deadline and proc.poll() is None:
        if state.exists() and os.path.getsize(state) > 0:
            import torch
            try:
                if torch.load(state, weights_only=True)["epoch"] >= 2:
                    break
            except Exception:        # noqa: BLE001 - a concurrent atomic replace; retry
                pass
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed; make it longer"
    proc.send_signal(sig)
    proc.wait(timeout=30)
    assert not (killed / "pair0" / "a.pt").exists(), "killed before the end: no final outputs"
    assert state.exists()

    run_to_end(killed, betons)
    for name in OUTPUTS + ["setting.json"]:
        assert filecmp.cmp(reference / name, killed / name, shallow=False), name
    assert not state.exists()


def test_a_state_left_by_other_code_is_moved_aside(tmp_path):
    """A job re-run because its code changed must not resume the old trainer's epochs."""
    from lmc.jobs.train import resume_only_with_this_code

    state = tmp_path / "train_state.pt"
    state.write_bytes(b"epochs of the old trainer")
    resume_only_with_this_code(str(state), "new-digest")             # no tag: from before tags existed
    assert not state.exists() and (tmp_path / "train_state.pt.stale").exists()
    state.write_bytes(b"epochs of this trainer")
    resume_only_with_this_code(str(state), "new-digest")             # same code: resumed
    assert state.read_bytes() == b"epochs of this trainer"
    resume_only_with_this_code(str(state), "newer-digest")
    assert not state.exists()
