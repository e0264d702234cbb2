"""Job logging: everything a Snakemake job prints goes to the rule's log file."""
from __future__ import annotations

import logging
import os
import socket
import sys
import time

log = logging.getLogger("lmc")


class _Tee:
    """A text stream that writes to several (the rule's log and the attempts history)."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text: str) -> int:
        for s in self.streams:
            s.write(text)
        return len(text)

    def flush(self) -> None:
        for s in self.streams:
            s.flush()


def to_file(path: str | os.PathLike, history: str | os.PathLike | None = None) -> None:
    """Send stdout, stderr and the `lmc` logger to `path` (line-buffered). Snakemake
    deletes a job's log before it re-runs the job, so with `history` every line also goes
    to that file, which Snakemake does not know and never deletes: it keeps every
    attempt of a resumed job, each under a header line."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    stream = open(path, "a", buffering=1)
    if history is not None:
        attempts = open(history, "a", buffering=1)
        attempts.write(f"=== attempt started {time.strftime('%Y-%m-%d %H:%M:%S')} on {socket.gethostname()}, "
                       f"pid {os.getpid()} ===\n")
        stream = _Tee(stream, attempts)
    sys.stdout = stream
    sys.stderr = stream
    to_stream(stream)


def to_stream(stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False


class Progress:
    """Rate-limited progress lines ("epoch 12/200 ... 3.1 s")."""

    def __init__(self, total: int, what: str = "epoch", every_s: float = 10.0):
        self.total, self.what, self.every_s = total, what, every_s
        self.start = self.last = time.perf_counter()

    def update(self, done: int, message: str = "") -> None:
        now = time.perf_counter()
        if now - self.last >= self.every_s or done == self.total or done == 1:
            self.last = now
            log.info("%s %d/%d %s (%.1f s)", self.what, done, self.total, message, now - self.start)
