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
