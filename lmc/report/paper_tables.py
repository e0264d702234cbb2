"""Paper tables from an artefact's aggregated barriers: the layout of each artefact's
table (rows, columns, caption, notes) and the tidy numbers behind its cells.

Cells show mean ± std over pairs (`lmc.report.summary`) and `*` where any pair of the setting
diverged, as in the paper's Table 1. Every artefact has a table, figures included (the
numbers behind the figure), so each can be read without the plot. Rows and columns
follow the paper's tables; their order is the order of the config's grid (first
appearance), so a preset that drops a value drops a row or column and nothing else.
Cells are laid out with `lmc.report.layout`, named through `lmc.report.names`, and written as
Markdown/LaTeX/HTML by `lmc.report.formats`."""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from lmc.report import dynamics_tables
from lmc.report.layout import Cells, Table, header_groups, layout
from lmc.report.names import (
    as_int,
    batch_title,
    config_label,
    depth_lr,
    lr_title,
    lrs_phrase,
    model_title,
    models_phrase,
    opt_lr,
    optimizer_title,
    setup_name,
)
from lmc.report.summary import basis, cells, endpoint_accuracies

BARRIER_NOTE = ("Barrier B = max_α E(Θ(α)) − ½(E(A)+E(B)) over α ∈ {0, 0.1, …, 1} (Eq. 1); "
                "`*` marks a setting where a pair diverged.")
NORMALISED_NOTE = ("Normalised barrier B̄ = B / ½(Acc_test(A)+Acc_test(B)) (Eq. 2), in %: "
                   "the share of the endpoints' test performance lost on the path; "
                   "`*` marks a setting where a pair diverged.")
PAIRS_NOTE = ("Mean ± std over pairs; each pair is two networks from one initialisation trained with "
              "different data orders.")


def _accuracy_note(agg: pd.DataFrame) -> list[str]:
    """How far the endpoints of the settings that did not diverge got (Table 1's note)."""
    ok = agg[~agg["diverged"].astype(bool)]
    if not len(ok):
        return []
    accs = pd.Series(endpoint_accuracies(ok)) * 100
    reach = f"test accuracy {accs.min():.1f}–{accs.max():.1f}%"
    if "final_train_loss_a" in ok:
        losses = pd.concat([ok["final_train_loss_a"], ok["final_train_loss_b"]])
        reach = f"final train cross-entropy {losses.min():.2f}–{losses.max():.2f} and " + reach
    return [f"Endpoints of settings that did not diverge reach {reach} "
            "(paper: train cross-entropy 0.2–0.3, test accuracy above 90%)."]


# --- Table 1 --------------------------------------------------------------------------------

def table1(agg: pd.DataFrame) -> Table:
    """Paper Table 1: test and train error barriers (%) of L-layer linear networks;
    rows (L, batch size), columns optimiser x learning rate x (Test, Train)."""
    out = Cells()
    for c, g in cells(agg):
        f = g.iloc[0]
        depth, bs, opt, lr = as_int(f["depth"]), as_int(f["batch_size"]), f["optimizer"], float(f["lr"])
        row = f"{depth}-Layer, BS={batch_title(bs)}"
        group = opt_lr(f)
        for split in ("test", "train"):            # the paper lists Test before Train
            out.add(c, g, row, f"{group}: {split.capitalize()}", "error_barrier", split,
                    g[f"{split}_error_barrier"], keys=((depth, -bs), (opt, lr, split)))
        out.add(c, g, row, group, "test_accuracy", "test", endpoint_accuracies(g))
    header, body, cols = layout(out.entries, corner="L-layer, batch size")
    groups = header_groups(cols, 2, lambda k: f"{optimizer_title(k[0])} {lr_title(k[0], k[1])}")
    sub = ["L-layer, batch size"] + [k[2].capitalize() for k in cols]
    caption = ("Test and train error barriers (Eq. 1, in %) of L-layer linear networks across optimisation "
               f"schemes (optimiser / learning rate / batch size BS) (paper Table 1). {basis(agg)}.")
    notes = [PAIRS_NOTE, BARRIER_NOTE, *_accuracy_note(agg)]
    return Table("Table 1", caption, header, body, out.frame(), notes, groups, sub)


# --- Table 2 --------------------------------------------------------------------------------

def table2(agg: pd.DataFrame) -> Table:
    """Paper Table 2: train and test error barriers (%) of the minimal model under the
    configured optimisation setups (columns in config order)."""
    out = Cells()
    groups = cells(agg)
    labels = {c: config_label(g) or f"setting {c}" for c, g in groups}
    for split, row in (("train", "%B_train"), ("test", "%B_test")):
        for c, g in groups:
            out.add(c, g, row, labels[c], "error_barrier", split, g[f"{split}_error_barrier"],
                    keys=((row,), (c,)))
    for c, g in groups:
        out.add(c, g, "Acc_test (%)", labels[c], "test_accuracy", "test", endpoint_accuracies(g),
                keys=(("Acc_test (%)",), (c,)))
    header, body, _ = layout(out.entries)
    n = len(groups)
    caption = (f"Error barriers (Eq. 1, in %) of a 1-hidden-layer ReLU MLP under {n} optimisation "
               f"setup{'s' if n != 1 else ''} (paper Table 2: five). {basis(agg)}.")
    notes = [PAIRS_NOTE, BARRIER_NOTE, "Acc_test is the endpoints' test accuracy (A and B pooled)."]
    return Table("Table 2", caption, header, body, out.frame(), notes)


# --- Figure 1 -------------------------------------------------------------------------------

def figure1(agg: pd.DataFrame) -> Table:
    """Numbers of Figure 1: error barrier (%) against the Leaky-ReLU slope p; one row per
    (learning rate,) depth and split (a line of the figure), one column per p."""
    out = Cells()
    several_lr = agg[["optimizer", "lr"]].drop_duplicates().shape[0] > 1
    for c, g in cells(agg):
        f = g.iloc[0]
        p, depth = float(f["slope"]), as_int(f["depth"])
        for split in ("train", "test"):
            row = (f"{opt_lr(f)}, " if several_lr else "") + f"{depth}-Layer, {split}"
            out.add(c, g, row, f"p = {p:g}", "error_barrier", split, g[f"{split}_error_barrier"],
                    keys=((f["optimizer"], float(f["lr"]), depth, split), (p,)))
    header, body, _ = layout(out.entries, corner="depth, split")
    caption = ("Error barrier (Eq. 1, in %) against the negative slope p of the Leaky-ReLU (p = 0: ReLU, "
               f"p → 1: linear) for MLPs of several depths trained with {lrs_phrase(agg)} (paper Figure 1). "
               f"{basis(agg)}.")
    return Table("Figure 1", caption, header, body, out.frame(), [PAIRS_NOTE, BARRIER_NOTE])


# --- Figure 2 -------------------------------------------------------------------------------

def figure2(agg: pd.DataFrame) -> Table:
    """Numbers of Figure 2: error barrier (%) per hidden-layer type (MLP, LC-CNN, CNN,
    ViT-like); columns learning rate x split."""
    out = Cells()
    for c, g in cells(agg):
        f = g.iloc[0]
        row = model_title(f)
        for split in ("train", "test"):
            out.add(c, g, row, f"{opt_lr(f)} {split}", "error_barrier", split, g[f"{split}_error_barrier"],
                    keys=((f["model"],), (f["optimizer"], float(f["lr"]), split)))
        out.add(c, g, row, opt_lr(f), "test_accuracy", "test", endpoint_accuracies(g))
    header, body, _ = layout(out.entries, corner="hidden layer")
    notes = [PAIRS_NOTE, BARRIER_NOTE, _figure2_shapes(agg)]
    caption = ("Error barriers (Eq. 1, in %) when the hidden layer of the 1-hidden-layer model is "
               f"{models_phrase(agg)}, trained with {lrs_phrase(agg)} (paper Figure 2). {basis(agg)}.")
    return Table("Figure 2", caption, header, body, out.frame(), notes)


def _figure2_shapes(agg: pd.DataFrame) -> str:
    parts = []
    for _, g in cells(agg):
        f = g.iloc[0]
        m = f["model"]
        if m in ("mlp", "linear"):
            d = f"width {as_int(f['width'])}"
        elif m in ("cnn", "lcn"):
            d = f"{as_int(f['channels'])} channels, kernel = stride {as_int(f['kernel'])}"
        elif m == "vit":
            d = f"patch {as_int(f['patch'])}, {as_int(f['heads'])} heads of {as_int(f['head_dim'])}"
        else:
            continue
        e = as_int(f["epochs"])
        parts.append(f"{model_title(f)}: {d}, {e} epoch{'s' if e != 1 else ''}")
    return "Shapes: " + "; ".join(dict.fromkeys(parts)) + "."


# --- Figure 3, Table 4, Figure 5 ------------------------------------------------------------

def _normalised_table(agg: pd.DataFrame, title: str, paper: str) -> Table:
    """Normalised barrier (Eq. 2, %) per dataset; columns depth x learning rate x split."""
    out = Cells()
    for c, g in cells(agg):
        f = g.iloc[0]
        row = str(f["dataset_title"])
        for split in ("train", "test"):
            out.add(c, g, row, f"{depth_lr(f)} {split}", "normalised_barrier", split,
                    g[f"{split}_normalised_barrier"],
                    keys=((f["dataset"],), (as_int(f["depth"]), f["optimizer"], float(f["lr"]), split)))
        out.add(c, g, row, depth_lr(f), "test_accuracy", "test", endpoint_accuracies(g))
    header, body, _ = layout(out.entries, corner="dataset")
    caption = ("Normalised performance-aware barrier (Eq. 2, in %) of L-layer ReLU MLPs "
               f"trained with {lrs_phrase(agg)}, per dataset (paper {paper}). {basis(agg)}.")
    return Table(title, caption, header, body, out.frame(), [PAIRS_NOTE, NORMALISED_NOTE])


def figure3(agg: pd.DataFrame) -> Table:
    """Numbers of Figure 3: normalised barrier (Eq. 2, %) of SGD-trained MLPs per dataset."""
    return _normalised_table(agg, "Figure 3", "Figure 3")


def figure5(agg: pd.DataFrame) -> Table:
    """Numbers of Figure 5: normalised barrier (Eq. 2, %) of Adam-trained MLPs per dataset."""
    return _normalised_table(agg, "Figure 5", "Figure 5, App. C.1")


def table4(agg: pd.DataFrame) -> Table:
    """Paper Table 4: test accuracy (%) of the Figure 3 runs; rows dataset, columns
    depth x learning rate."""
    out = Cells()
    for c, g in cells(agg):
        f = g.iloc[0]
        out.add(c, g, str(f["dataset_title"]), depth_lr(f), "test_accuracy", "test", endpoint_accuracies(g),
                keys=((f["dataset"],), (as_int(f["depth"]), f["optimizer"], float(f["lr"]))))
    header, body, _ = layout(out.entries, corner="dataset")
    caption = ("Test accuracies (%) reached on each dataset by L-layer ReLU MLPs trained with "
               f"{lrs_phrase(agg)}: the endpoints of the Figure 3 runs (paper Table 4). {basis(agg)}.")
    notes = ["Mean ± std over the endpoints A and B of every pair; "
             "`*` marks a setting where a pair diverged.",
             "No data augmentation (paper App. E)."]
    return Table("Table 4", caption, header, body, out.frame(), notes)


# --- Initialisation (beyond the paper) --------------------------------------------------------

def initialisation(agg: pd.DataFrame) -> Table:
    """Test and train error barriers (%) against the initialisation: rows (setup, scheme),
    columns init_scale x split."""
    out = Cells()
    for c, g in cells(agg):
        f = g.iloc[0]
        setup, scheme, scale = setup_name(g), str(f["init"]), float(f["init_scale"])
        row = f"{setup}, {scheme}"
        for split in ("test", "train"):
            out.add(c, g, row, f"×{scale:g} {split}", "error_barrier", split, g[f"{split}_error_barrier"],
                    keys=((setup, scheme), (scale, split)))
        out.add(c, g, row, f"×{scale:g}", "test_accuracy", "test", endpoint_accuracies(g))
    header, body, cols = layout(out.entries, corner="setup, init scheme")
    groups = header_groups(cols, 1, lambda k: f"init scale ×{k[0]:g}")
    sub = ["setup, init scheme"] + [k[1].capitalize() for k in cols]
    caption = ("Test and train error barriers (Eq. 1, in %) of the minimal model (1-hidden-layer ReLU MLP) "
               "against the initialisation: scheme (torch_default = each layer's reset_parameters(); "
               "Kaiming / Xavier with zero biases) and a scale on the initial weights (beyond the paper). "
               f"{basis(agg)}.")
    notes = [PAIRS_NOTE, BARRIER_NOTE,
             "init scale ×s multiplies every initial weight matrix (not the biases) by s; "
             "×1 is the scheme itself."]
    return Table("Initialisation", caption, header, body, out.frame(), notes, groups, sub)


# Table builders of the trained artefacts (lmc.config.artefacts); Table 3 is lmc.report.parameter_counts.
BUILDERS: dict[str, Callable[[pd.DataFrame], Table]] = {
    "table1": table1, "table2": table2, "table4": table4,
    "figure1": figure1, "figure2": figure2, "figure3": figure3, "figure5": figure5,
    "initialisation": initialisation,
    "instability": dynamics_tables.instability, "barrier_over_time": dynamics_tables.barrier_over_time}
