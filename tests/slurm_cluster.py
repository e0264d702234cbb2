"""Session-scoped pytest fixture `slurm_cluster`: a real single-node SLURM cluster with two
fake GPUs, started by tools/slurm-cluster.sh in a temporary directory and always stopped.

Use it from a test module with

    from slurm_cluster import slurm_cluster  # noqa: F401  (pytest finds the fixture)

The fixture yields a dict: a copy of os.environ with SLURM_CONF pointing at the cluster's
slurm.conf and PATH starting with the cluster's wrapper directory (see the script's header
for why), plus LMC_SLURM_DIR, the cluster directory. Pass it as `env=` to subprocesses.

It skips when not running as root, or when SLURM/munge are not installed and apt-get is
unavailable or cannot install them. Set LMC_KEEP_SLURM_DIR=1 to keep the directory (logs)
after the session.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "tools" / "slurm-cluster.sh"
DAEMONS = ("slurmctld", "slurmd", "sbatch", "squeue", "munged")


def _installed() -> bool:
    return all(shutil.which(b) or os.path.exists(f"/usr/sbin/{b}") for b in DAEMONS)


@pytest.fixture(scope="session")
def slurm_cluster():
    if os.geteuid() != 0:
        pytest.skip("slurm_cluster needs root (installs SLURM/munge, starts slurmd and munged)")
    if not _installed() and shutil.which("apt-get") is None:
        pytest.skip("SLURM/munge are not installed and apt-get is unavailable")
    if os.path.exists("/etc/slurm/slurm.conf"):
        # Not ours; only a warning: SLURM_CONF below takes precedence.
        print("warning: /etc/slurm/slurm.conf exists; snakemake calls without SLURM_CONF will be slow")

    # Under /tmp (not pytest's 0700 basetemp): the munge user must be able to reach DIR.
    cluster_dir = tempfile.mkdtemp(prefix="lmc-slurm-")
    try:
        start = subprocess.run(["timeout", "-s", "KILL", "300", str(SCRIPT), "start", cluster_dir],
                               capture_output=True, text=True)
        if start.returncode != 0:
            if not _installed():
                pytest.skip(f"apt-get could not install SLURM/munge:\n{start.stderr[-2000:]}")
            pytest.fail(f"tools/slurm-cluster.sh start failed (rc {start.returncode}):\n"
                        f"{start.stderr[-4000:]}", pytrace=False)
        env = dict(os.environ)
        for line in start.stdout.splitlines():
            if line.startswith("export SLURM_CONF="):
                env["SLURM_CONF"] = line.split("=", 1)[1]
        assert env.get("SLURM_CONF") == os.path.join(cluster_dir, "slurm.conf"), start.stdout
        env["PATH"] = os.path.join(cluster_dir, "bin") + os.pathsep + env.get("PATH", "")
        env["LMC_SLURM_DIR"] = cluster_dir
        yield env
    finally:
        subprocess.run(["timeout", "-s", "KILL", "60", str(SCRIPT), "stop", cluster_dir],
                       capture_output=True, text=True)
        if os.environ.get("LMC_KEEP_SLURM_DIR", "") in ("", "0"):
            shutil.rmtree(cluster_dir, ignore_errors=True)
        else:
            print(f"SLURM test cluster directory kept: {cluster_dir}")
