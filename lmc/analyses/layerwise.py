"""Layer-wise barriers (layer-wise LMC, Adilova et al. 2024): which layers carry the
barrier. For each layer l (a module's weight and bias together) the network A with
layer l replaced by ½(A_l + B_l), and B with the same replacement; the *cumulative*
variant averages layers 1..l. Each is evaluated on train and test, and its barrier is
its error (loss) minus ½(E(A) + E(B)), the reference of Eq. 1. The cumulative variant at
the last layer is the midpoint Θ(½) of the linear path, for A and B alike."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import torch

from lmc.data import resident
from lmc.evaluate import points
from lmc.nn import stacked

COLUMNS = ("layer_index", "layer", "variant", "base", "split", "loss", "error")


def layer_groups(state: Mapping[str, torch.Tensor]) -> list[tuple[str, list[str]]]:
    """(layer name, its tensors) in the state dict's order: tensors of one module
    together ("layers.0" for layers.0.weight and .bias); top-level tensors are their own
    layer, except the LC-CNN's top-level weight and bias, which are one module ("local")."""
    groups: dict[str, list[str]] = {}
    for name in state:
        if "." in name:
            layer = name.rsplit(".", 1)[0]
        else:
            layer = "local" if name in ("weight", "bias") else name
        groups.setdefault(layer, []).append(name)
    return list(groups.items())


def members(a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor]
            ) -> tuple[list[dict[str, Any]], list[dict[str, torch.Tensor]]]:
    """The networks to evaluate and what each is: A and B themselves (variant "endpoint"),
    then per layer A and B with that layer averaged ("single") and with layers 1..l
    averaged ("cumulative"). Averages in float64, rounded once."""
    mean = {k: ((a[k].double() + b[k].double()) / 2).to(a[k].dtype) for k in a}
    labels: list[dict[str, Any]] = [{"layer_index": 0, "layer": "", "variant": "endpoint", "base": "a"},
                                    {"layer_index": 0, "layer": "", "variant": "endpoint", "base": "b"}]
    states = [dict(a), dict(b)]
    done: list[str] = []
    for i, (layer, names) in enumerate(layer_groups(a), start=1):
        done += names
        for variant, replaced in (("single", names), ("cumulative", list(done))):
            for base, net in (("a", a), ("b", b)):
                labels.append({"layer_index": i, "layer": layer, "variant": variant, "base": base})
                states.append({k: (mean[k] if k in replaced else net[k]) for k in a})
    return labels, states


def evaluate_layerwise(setting: Mapping[str, Any], a: Mapping[str, torch.Tensor],
                       b: Mapping[str, torch.Tensor], splits: Mapping[str, resident.Split],
                       device: torch.device | str, batch_size: int = 2048) -> pd.DataFrame:
    """Loss and error of every network of `members` on every split, tidy (COLUMNS)."""
    labels, states = members(a, b)
    frame = points.evaluate_members(setting, len(states), lambda i, j: stacked.stack_states(
        states[i:j], device), splits, device, batch_size)
    info = pd.DataFrame(labels)
    out = frame.join(info, on="member")
    return out[list(COLUMNS)].sort_values(["split", "variant", "layer_index", "base"],
                                          kind="stable").reset_index(drop=True)


def barriers(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (split, variant, layer, base): the error and loss barrier of that
    network against ½(E(A)+E(B)) of the same split."""
    rows = []
    for split, g in frame.groupby("split", sort=True):
        ends = g[g["variant"] == "endpoint"].set_index("base")
        ref_e = 0.5 * (ends.loc["a", "error"] + ends.loc["b", "error"])
        ref_l = 0.5 * (ends.loc["a", "loss"] + ends.loc["b", "loss"])
        for _, r in g[g["variant"] != "endpoint"].iterrows():
            rows.append({"split": split, "variant": r["variant"], "layer_index": int(r["layer_index"]),
                         "layer": r["layer"], "base": r["base"], "error_barrier": r["error"] - ref_e,
                         "loss_barrier": r["loss"] - ref_l})
    return pd.DataFrame(rows)


def aggregate(files: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """An artefact's layer-wise barriers: `files` are (cell, label, run_id, pair, layerwise
    csv) per pair; one row per pair, split, variant, layer and base, sorted."""
    from lmc.util import io

    frames = []
    for f in files:
        b = barriers(io.read_csv(f["layerwise_csv"], COLUMNS))
        for key in ("pair", "run_id", "label", "cell"):
            b.insert(0, key, f[key])
        frames.append(b)
    return (pd.concat(frames).sort_values(["cell", "pair", "split", "variant", "layer_index", "base"],
                                          kind="stable").reset_index(drop=True))
