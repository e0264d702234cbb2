"""The plane through Θ₀, A and B (Garipov et al. 2018): an orthonormal basis from
Gram–Schmidt on A − Θ₀ and B − Θ₀, a grid covering the three points with margins, and
train and test error and loss at every grid point, batched like the interpolation
(`lmc.evaluate.points`). Coordinates: Θ₀ = (0, 0), A = (|A − Θ₀|, 0), B above the x axis; a
grid point (x, y) is the network Θ₀ + x·u + y·v. The segment from A to B is the
paper's linear path."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from lmc.data import resident
from lmc.evaluate import points


class PlaneError(ValueError):
    """Θ₀, A and B do not span a plane."""


def basis(init: Mapping[str, torch.Tensor], a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor]
          ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict[str, tuple[float, float]]]:
    """(origin Θ₀, u, v) as flat float64 vectors, and the plane coordinates of Θ₀, A, B."""
    o, da, db = points.flatten(init), points.flatten(a), points.flatten(b)
    da, db = da - o, db - o
    na = float(da.norm())
    if na == 0:
        raise PlaneError("A equals Θ₀: no plane (did training run?)")
    u = da / na
    xb = float(u @ db)
    w = db - xb * u
    nw = float(w.norm())
    if nw <= 1e-6 * max(na, float(db.norm())):
        raise PlaneError("A − Θ₀ and B − Θ₀ are parallel: no plane")
    return o, u, w / nw, {"init": (0.0, 0.0), "a": (na, 0.0), "b": (xb, nw)}


def grid(anchors: Mapping[str, tuple[float, float]], shape: Sequence[int], margin: float
         ) -> tuple[np.ndarray, np.ndarray]:
    """`shape` = (nx, ny) evenly spaced coordinates covering every anchor, with `margin`
    times the extent added on each side."""
    xs = np.array([p[0] for p in anchors.values()])
    ys = np.array([p[1] for p in anchors.values()])
    out = []
    for values, n in ((xs, shape[0]), (ys, shape[1])):
        lo, hi = float(values.min()), float(values.max())
        pad = margin * (hi - lo)
        out.append(np.linspace(lo - pad, hi + pad, int(n)))
    return out[0], out[1]


def evaluate_plane(setting: Mapping[str, Any], init: Mapping[str, torch.Tensor],
                   a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor],
                   splits: Mapping[str, resident.Split], device: torch.device | str, shape: Sequence[int],
                   margin: float, batch_size: int = 2048
                   ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Tidy frame (x, y, split, loss, error, accuracy; sorted by split, y, x) and the
    anchors (plane coordinates of init, a, b; the basis norms)."""
    o, u, v, anchors = basis(init, a, b)
    xs, ys = grid(anchors, shape, margin)
    coords = [(x, y) for y in ys for x in xs]
    o, u, v = o.to(device), u.to(device), v.to(device)

    def build(i: int, j: int) -> dict[str, torch.Tensor]:
        c = torch.tensor(coords[i:j], dtype=torch.float64, device=device)
        flat = o + c[:, :1] * u + c[:, 1:] * v                          # [j-i, P]
        return {k: t.contiguous() for k, t in points.unflatten(flat, a).items()}

    frame = points.evaluate_members(setting, len(coords), build, splits, device, batch_size)
    frame.insert(0, "y", [coords[m][1] for m in frame["member"]])
    frame.insert(0, "x", [coords[m][0] for m in frame["member"]])
    frame = frame.drop(columns="member").sort_values(["split", "y", "x"], kind="stable")
    frame = frame.reset_index(drop=True)
    meta = {"anchors": {k: list(p) for k, p in anchors.items()}, "shape": [int(s) for s in shape],
            "margin": float(margin)}
    return frame, meta
