#!/usr/bin/env bash
# Install everything lmc-pipeline needs on a fresh Debian 12 machine, idempotently:
# Debian packages (ffcv's build deps, the offline Fashion-MNIST), a venv with the pinned
# Python packages, and the `lmc` library itself (editable).
#   bash tools/install.sh [VENV]        (default VENV: .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv}
APT_PACKAGES=(pkg-config libturbojpeg0-dev libopencv-dev dataset-fashion-mnist)

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "install: Debian packages ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "install: creating $VENV"
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
# torch first, pinned to the build torchvision 0.29.2 requires (ffcv imports torch at build time).
"$VENV/bin/python" -m pip install -q torch==2.15.0 torchvision==0.29.2
"$VENV/bin/python" -m pip install -q -r requirements.txt
"$VENV/bin/python" -m pip install -q --no-deps -e .
"$VENV/bin/python" -c "import torch, torchvision, ffcv, snakemake, lmc; print('install: ok, torch', torch.__version__, 'torchvision', torchvision.__version__)"
