"""Which device a job uses."""
from __future__ import annotations

import torch


def select_device(prefer: str = "auto") -> torch.device:
    """`auto`: the first visible GPU if there is one, else the CPU."""
    if prefer == "cpu" or (prefer == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise RuntimeError("config device: cuda, but no CUDA device is visible; set device: auto or cpu")
    return torch.device("cuda", 0)
