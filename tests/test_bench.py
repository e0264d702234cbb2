"""The training-speed benchmark script runs end to end in --smoke mode.

This checks that the script works and reports what it promises; it asserts nothing
about speed (timings on a shared 2-core machine are not a pass/fail criterion)."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path("/usr/share/datasets/fashion-mnist")
RATIOS = ("trainer_vs_textbook", "trainer_vs_ffcv", "flops_fraction", "pair_vs_one",
          "plain_vs_trainer_m1", "plain_vs_trainer_m2", "plain_vs_trainer_m6")


@pytest.mark.skipif(not (SOURCE / "train-images-idx3-ubyte.gz").exists(),
                    reason="needs Debian's dataset-fashion-mnist in /usr/share/datasets/fashion-mnist")
def test_smoke_benchmark_prints_ratios_and_writes_json(tmp_path):
    pytest.importorskip("ffcv")
    pytest.importorskip("torchvision")
    out = tmp_path / "bench.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, str(ROOT / "bench" / "train_speed.py"), "--smoke", "--device", "cpu",
           "--data-root", str(tmp_path / "datasets"), "--out-dir", str(tmp_path / "out"), "--json", str(out)]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    text = proc.stdout
    for label in ("(a) trainer / textbook", "(b) trainer resident / trainer ffcv",
                  "(c) trainer FLOP/s", "(d) pair time / one-member time",
                  "(e) plain loop time / trainer time, 1 member(s)"):
        assert label in text, f"{label!r} missing from the report:\n{text}"
    printed = json.loads(next(line for line in text.splitlines()
                              if line.startswith("RATIOS ")).split(" ", 1)[1])

    res = json.loads(out.read_text())
    for key in RATIOS:
        value = res["ratios"][key]
        assert isinstance(value, float) and math.isfinite(value) and value > 0, (key, value)
        assert printed[key] == pytest.approx(value, rel=1e-3, abs=1e-4)
    assert res["config"]["smoke"] is True and res["config"]["train_samples"] == 4096
    assert res["device"]["type"] == "cpu"
    assert set(res["targets"]) == {"trainer_vs_textbook", "flops_fraction", "plain_vs_trainer_m1",
                                   "plain_vs_trainer_m2", "plain_vs_trainer_m6"}     # the CPU targets
    for name in ("textbook", "plain_m1", "plain_m6", "resident_m1", "resident_m2", "ffcv_m1"):
        run = res["runs"][name]
        assert run["samples_per_s"] > 0 and len(run["train_s"]) == res["config"]["repeats"]
    assert res["flops"]["counted_per_sample"] == 6 * (784 * 512 + 512 * 10)
