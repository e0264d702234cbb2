"""Atomic writes keep the user's umask (results readable by colleagues on a cluster)."""
from __future__ import annotations

import errno
import os

import pandas as pd
import pytest

from lmc.util import io


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
    code = ("import sys; from lmc.util import logs; logs.to_file(sys.argv[1], history=sys.argv[2]); "
            "logs.log.info('epoch %s', sys.argv[3]); print('printed', sys.argv[3])")
    for attempt in ("one", "two"):
        log.unlink(missing_ok=True)                     # what Snakemake does before a re-run
        subprocess.run([sys.executable, "-c", code, str(log), str(history), attempt], check=True)
    assert "epoch two" in log.read_text() and "epoch one" not in log.read_text()
    text = history.read_text()
    assert text.count("=== attempt started") == 2
    assert text.index("epoch one") < text.index("printed one") < text.index("epoch two")


def _full(error):
    def write(tmp):
        with open(tmp, "wb") as f:
            f.write(b"x" * 1000)                         # part of it made it to disk
        raise error
    return write


@pytest.mark.parametrize("error, needs", [
    (OSError(errno.ENOSPC, "No space left on device"), "it needs more than the 1000 bytes written"),
    (OSError("Not enough free space to write 47040000 bytes"), "it needs 47040000 bytes"),
    (RuntimeError("[enforce fail at inline_container.cc:858] . PytorchStreamWriter failed writing file "
                  "data/0: file write failed"), "it needs more than the 1000 bytes written"),
])
def test_a_full_disk_is_one_line_naming_the_file_and_the_space(tmp_path, error, needs):
    """Before: numpy's or torch's traceback with no path (`OSError: Not enough free space to write
    47040000 bytes`); now the file, what it needed, what is free, and that nothing was lost."""
    out = tmp_path / "a.pt"
    out.write_bytes(b"finished result")
    with pytest.raises(io.DiskFullError) as e:
        io.atomic_write(out, _full(error))
    message = str(e.value)
    assert message.startswith(f"{out}: the disk is full (") and needs in message
    assert "bytes are free on its filesystem" in message
    assert message.endswith("resumes from its last checkpoint)")
    assert "\n" not in message
    assert out.read_bytes() == b"finished result"                    # the old file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["a.pt"]          # no temp file left


def test_other_write_errors_pass_unchanged(tmp_path):
    with pytest.raises(ValueError, match="^not a disk problem$"):
        io.atomic_write(tmp_path / "x", _full(ValueError("not a disk problem")))
    assert list(tmp_path.iterdir()) == []
