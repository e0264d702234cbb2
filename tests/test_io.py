"""Atomic writes keep the user's umask (results readable by colleagues on a cluster)."""
from __future__ import annotations

import os

import pandas as pd

from lmc import io


def test_results_are_written_with_the_users_umask(tmp_path):
    old = os.umask(0o022)
    try:
        io.write_text("x\n", tmp_path / "a.txt")
        assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
        os.umask(0o077)
        io.write_csv(pd.DataFrame({"a": [1]}), tmp_path / "b.csv")
        assert (tmp_path / "b.csv").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


def test_log_history_keeps_every_attempt(tmp_path):
    """Snakemake deletes a job's log before re-running it; the attempts file keeps both."""
    import subprocess
    import sys

    log, history = tmp_path / "train.log", tmp_path / "train.attempts.log"
    code = ("import sys; from lmc import logs; logs.to_file(sys.argv[1], history=sys.argv[2]); "
            "logs.log.info('epoch %s', sys.argv[3]); print('printed', sys.argv[3])")
    for attempt in ("one", "two"):
        log.unlink(missing_ok=True)                     # what Snakemake does before a re-run
        subprocess.run([sys.executable, "-c", code, str(log), str(history), attempt], check=True)
    assert "epoch two" in log.read_text() and "epoch one" not in log.read_text()
    text = history.read_text()
    assert text.count("=== attempt started") == 2
    assert text.index("epoch one") < text.index("printed one") < text.index("epoch two")
