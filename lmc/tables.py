"""Paper tables from aggregated barrier CSVs: Markdown, LaTeX, HTML and CSV.

Cells show mean ± std over pairs (sample std; just the mean when there is one pair)
and `*` where any pair of the setting diverged, as in the paper's Table 1. Every
artefact has a table, figures included (the numbers behind the figure), so each can be
read without the plot.

Rows and columns follow the paper's tables; their order is the order of the config's
grid (first appearance), so a preset that drops a value drops a row or column and
nothing else."""
from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class Table:
    """A rendered table: header row, body rows of strings, caption and notes.

    `groups` optionally spans the header: [(text, number of columns), ...] covering
    every column; LaTeX draws it as a \\multicolumn row above the header (Markdown has
    one header row, so there the group text is already part of each column name)."""
    title: str
    caption: str
    header: list[str]
    rows: list[list[str]]
    numbers: pd.DataFrame          # tidy numbers behind the cells (the .csv output)
    notes: list[str] = field(default_factory=list)
    groups: list[tuple[str, int]] | None = None
    subheader: list[str] | None = None   # the LaTeX header under `groups` (defaults to `header`)


def mean_std(values: Sequence[float], scale: float = 100.0, digits: int = 2, diverged: bool = False) -> str:
    if diverged:
        return "*"
    vals = [v * scale for v in values if not (isinstance(v, float) and math.isnan(v))]
    if not vals:
        return "n/a"
    mean = sum(vals) / len(vals)
    if len(vals) == 1:
        return f"{mean:.{digits}f}"
    std = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1))
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def cell_stats(group: pd.DataFrame, column: str, scale: float = 100.0) -> dict:
    vals = group[column].astype(float)
    return {"mean": float(vals.mean()) * scale, "std": float(vals.std(ddof=1)) * scale if len(vals) > 1 else float("nan"),
            "pairs": int(len(vals)), "diverged": bool(group["diverged"].any())}


def provenance(table: pd.DataFrame) -> str:
    """'Fashion-MNIST; 3 pairs per setting; 10 epochs; init torch_default' — what the
    numbers stand on (the initialisation too: it moves the barriers)."""
    datasets = ", ".join(dict.fromkeys(table["dataset_title"]))
    pairs = table.groupby("cell")["pair"].nunique()
    epochs = sorted(set(int(e) for e in table["epochs"]))
    p = f"{pairs.min()}" if pairs.min() == pairs.max() else f"{pairs.min()}-{pairs.max()}"
    e = ", ".join(str(x) for x in epochs)
    out = f"{datasets}; {p} pair(s) per setting; {e} epochs"
    if "init" in table.columns:
        scales = table["init_scale"] if "init_scale" in table.columns else pd.Series(1.0, index=table.index)
        inits = dict.fromkeys(str(i) + ("" if float(s) == 1.0 else f" ×{float(s):g}")
                              for i, s in zip(table["init"], scales))
        out += f"; init {', '.join(inits)}"
    return out


# --- names the paper uses ------------------------------------------------------------------

MODEL_TITLES = {"linear": "Linear", "mlp": "MLP", "lcn": "LC-CNN", "cnn": "CNN", "vit": "ViT-like"}
OPTIMIZER_TITLES = {"sgd": "SGD", "adam": "ADAM"}
# The paper's learning-rate names (§4 "Training strategy", Figure 2, Table 4).
LR_NAMES = {("sgd", 0.1): "High", ("sgd", 0.01): "Med", ("sgd", 0.001): "Low",
            ("adam", 0.005): "High", ("adam", 0.001): "Med"}
SPLIT_TITLES = {"train": "train", "test": "test"}

BARRIER_NOTE = ("Barrier B = max_α E(Θ(α)) − ½(E(A)+E(B)) over α ∈ {0, 0.1, …, 1} (Eq. 1); "
                "`*` marks a setting where a pair diverged.")
NORMALISED_NOTE = ("Normalised barrier B̄ = B / ½(Acc_test(A)+Acc_test(B)) (Eq. 2), in %: "
                   "the share of the endpoints' test performance lost on the path; `*` marks a setting where a pair diverged.")
PAIRS_NOTE = "Mean ± std over pairs; each pair is two networks from one initialisation trained with different data orders."


def lr_title(optimizer: str, lr: float) -> str:
    """'High Lr (0.1)' for the paper's named rates, else 'Lr 0.03'."""
    name = LR_NAMES.get((optimizer, round(float(lr), 12)))
    return f"{name} Lr ({float(lr):g})" if name else f"Lr {float(lr):g}"


def batch_title(bs: float) -> str:
    bs = int(bs)
    return f"{bs // 1000}K" if bs >= 10000 and bs % 1000 == 0 else str(bs)


def _int(v: Any) -> int:
    return int(float(v))


def cells(agg: pd.DataFrame) -> list[tuple[int, pd.DataFrame]]:
    """(cell, its pairs) in grid order."""
    return [(int(c), g) for c, g in agg.sort_values(["cell", "pair"], kind="stable").groupby("cell", sort=True)]


def _diverged(g: pd.DataFrame) -> bool:
    return bool(g["diverged"].astype(bool).any())


SETTING_COLUMNS = ("dataset", "dataset_title", "model", "depth", "width", "slope", "channels", "kernel", "patch",
                   "heads", "head_dim", "init", "init_scale", "optimizer", "lr", "batch_size", "epochs",
                   "warmup_fraction")


def _record(c: int, g: pd.DataFrame, row: str, column: str, metric: str, split: str, vals: Sequence[float],
            scale: float = 100.0) -> dict[str, Any]:
    """One tidy line of an artefact's .csv: where it sits, its setting, its statistics (in %)."""
    first = g.iloc[0]
    rec: dict[str, Any] = {"cell": c, "row": row, "column": column, "metric": metric, "split": split}
    for k in SETTING_COLUMNS:
        if k in g.columns and not (isinstance(first[k], float) and math.isnan(first[k])):
            rec[k] = first[k]
    v = pd.Series([float(x) for x in vals], dtype=float) * scale
    rec.update({"mean": float(v.mean()) if v.notna().any() else float("nan"),
                "std": float(v.std(ddof=1)) if v.notna().sum() > 1 else float("nan"),
                "pairs": int(g["pair"].nunique()), "diverged": _diverged(g)})
    return rec


def _frame(records: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The tidy .csv of an artefact: position, metric, setting columns, statistics."""
    frame = pd.DataFrame(list(records))
    front = ["cell", "row", "column", "metric", "split"]
    back = ["mean", "std", "pairs", "diverged"]
    middle = [c for c in SETTING_COLUMNS if c in frame.columns]
    return frame[front + middle + [c for c in frame.columns if c not in front + middle + back] + back]


@dataclass
class Entry:
    """One body cell before layout: its row and column keys (tuples of components),
    their labels, and the text."""
    row: tuple
    column: tuple
    row_label: str
    column_label: str
    text: str


def _order(keys: Iterable[tuple]) -> list[tuple]:
    """Distinct key tuples, sorted component by component by first appearance."""
    keys = list(keys)
    ranks: list[dict[Any, int]] = []
    for key in keys:
        for i, v in enumerate(key):
            if len(ranks) <= i:
                ranks.append({})
            ranks[i].setdefault(v, len(ranks[i]))
    return sorted(dict.fromkeys(keys), key=lambda t: tuple(ranks[i][v] for i, v in enumerate(t)))


def layout(entries: Sequence[Entry], corner: str = "", missing: str = "–") -> tuple[list[str], list[list[str]], list[tuple]]:
    """Header and body from entries; rows and columns in first-appearance order of each
    key component. Returns (header, body, column keys)."""
    rows = _order(e.row for e in entries)
    cols = _order(e.column for e in entries)
    row_label = {e.row: e.row_label for e in entries}
    col_label = {e.column: e.column_label for e in entries}
    text = {(e.row, e.column): e.text for e in entries}
    header = [corner] + [col_label[c] for c in cols]
    body = [[row_label[r]] + [text.get((r, c), missing) for c in cols] for r in rows]
    return header, body, cols


def _groups(cols: Sequence[tuple], n_group: int, title: Callable[[tuple], str]) -> list[tuple[str, int]]:
    """Header spans over the leading `n_group` components of each column key."""
    groups: list[tuple[str, int]] = [("", 1)]
    for c in cols:
        name = title(c[:n_group])
        if len(groups) > 1 and groups[-1][0] == name:
            groups[-1] = (name, groups[-1][1] + 1)
        else:
            groups.append((name, 1))
    return groups


def _label(g: pd.DataFrame) -> str:
    v = g["label"].iloc[0] if "label" in g.columns else ""
    return v if isinstance(v, str) else ""


def cell_titles(agg: pd.DataFrame) -> dict[int, str]:
    """A short name per setting for panels: the config's label where there is one, else
    what varies between the artefact's settings ('MLP, SGD 0.1', '4-Layer, p=0.5')."""
    firsts = {c: g.iloc[0] for c, g in cells(agg)}
    frame = pd.DataFrame(firsts.values())

    def varies(col: str) -> bool:
        return col in frame.columns and frame[col].astype(str).nunique() > 1

    out = {}
    for c, f in firsts.items():
        label = _label(agg[agg["cell"] == c])
        if label:
            out[c] = label
            continue
        parts = []
        if varies("dataset"):
            parts.append(str(f["dataset_title"]))
        if varies("model"):
            parts.append(model_title(f))
        if varies("depth") and not (isinstance(f["depth"], float) and math.isnan(f["depth"])):
            parts.append(f"{_int(f['depth'])}-Layer")
        if varies("batch_size"):
            parts.append(f"BS={batch_title(f['batch_size'])}")
        if varies("slope") and not (isinstance(f["slope"], float) and math.isnan(f["slope"])):
            parts.append(f"p={float(f['slope']):g}")
        if varies("optimizer") or varies("lr"):
            parts.append(f"{OPTIMIZER_TITLES.get(f['optimizer'], f['optimizer'])} {float(f['lr']):g}")
        if varies("warmup_fraction") and float(f["warmup_fraction"]) > 0:
            parts.append("W-up")
        if varies("init"):
            parts.append(f"init {f['init']}")
        if varies("init_scale"):
            parts.append(f"init ×{float(f['init_scale']):g}")
        out[c] = ", ".join(parts) or f"setting {c}"
    return out


# --- Table 1 --------------------------------------------------------------------------------

def table1(agg: pd.DataFrame) -> Table:
    """Paper Table 1: test and train error barriers (%) of L-layer linear networks;
    rows (L, batch size), columns optimiser x learning rate x (Test, Train)."""
    entries, numbers = [], []
    for c, g in cells(agg):
        f = g.iloc[0]
        depth, bs, opt, lr = _int(f["depth"]), _int(f["batch_size"]), f["optimizer"], float(f["lr"])
        row_label = f"{depth}-Layer, BS={batch_title(bs)}"
        group = f"{OPTIMIZER_TITLES.get(opt, opt)} {lr_title(opt, lr)}"
        for split in ("test", "train"):            # the paper lists Test before Train
            col = f"{group}: {split.capitalize()}"
            entries.append(Entry((depth, -bs), (opt, lr, split), row_label, col,
                                 mean_std(g[f"{split}_error_barrier"], diverged=_diverged(g))))
            numbers.append(_record(c, g, row_label, col, "error_barrier", split, g[f"{split}_error_barrier"]))
        numbers.append(_record(c, g, row_label, group, "test_accuracy", "test", list(g["test_acc_a"]) + list(g["test_acc_b"])))
    header, body, cols = layout(entries, corner="L-layer, batch size")
    groups = _groups(cols, 2, lambda k: f"{OPTIMIZER_TITLES.get(k[0], k[0])} {lr_title(k[0], k[1])}")
    sub = ["L-layer, batch size"] + [k[2].capitalize() for k in cols]
    ok = agg[~agg["diverged"].astype(bool)]
    notes = [PAIRS_NOTE, BARRIER_NOTE]
    if len(ok):
        losses = pd.concat([ok["final_train_loss_a"], ok["final_train_loss_b"]]) if "final_train_loss_a" in ok else None
        accs = pd.concat([ok["test_acc_a"], ok["test_acc_b"]]) * 100
        reach = f"test accuracy {accs.min():.1f}–{accs.max():.1f}%"
        if losses is not None:
            reach = f"final train cross-entropy {losses.min():.2f}–{losses.max():.2f} and " + reach
        notes.append(f"Endpoints of settings that did not diverge reach {reach} "
                     "(paper: train cross-entropy 0.2–0.3, test accuracy above 90%).")
    caption = ("Test and train error barriers (Eq. 1, in %) of L-layer linear networks across optimisation "
               f"schemes (optimiser / learning rate / batch size BS) (paper Table 1). {provenance(agg)}.")
    return Table("Table 1", caption, header, body, _frame(numbers), notes, groups, sub)


# --- Table 2 --------------------------------------------------------------------------------

def table2(agg: pd.DataFrame) -> Table:
    """Paper Table 2: train and test error barriers (%) of the minimal model under
    five optimisation setups (columns in config order)."""
    cs = cells(agg)
    labels = {c: _label(g) or f"setting {c}" for c, g in cs}
    header = ["", *labels.values()]
    body, numbers = [], []
    for split, name in (("train", "%B_train"), ("test", "%B_test")):
        row = [name]
        for c, g in cs:
            row.append(mean_std(g[f"{split}_error_barrier"], diverged=_diverged(g)))
            numbers.append(_record(c, g, name, labels[c], "error_barrier", split, g[f"{split}_error_barrier"]))
        body.append(row)
    row = ["Acc_test (%)"]
    for c, g in cs:
        accs = list(g["test_acc_a"]) + list(g["test_acc_b"])
        row.append(mean_std(accs, diverged=_diverged(g)))
        numbers.append(_record(c, g, "Acc_test (%)", labels[c], "test_accuracy", "test", accs))
    body.append(row)
    caption = ("Error barriers (Eq. 1, in %) of a 1-hidden-layer ReLU MLP under five optimisation setups "
               f"(paper Table 2). {provenance(agg)}.")
    notes = [PAIRS_NOTE, BARRIER_NOTE, "Acc_test is the endpoints' test accuracy (A and B pooled)."]
    return Table("Table 2", caption, header, body, _frame(numbers), notes)


# --- Figure 1 -------------------------------------------------------------------------------

def _opt_lr(f: pd.Series) -> str:
    return f"{OPTIMIZER_TITLES.get(f['optimizer'], f['optimizer'])} {lr_title(f['optimizer'], f['lr'])}"


def figure1(agg: pd.DataFrame) -> Table:
    """Numbers of Figure 1: error barrier (%) against the Leaky-ReLU slope p; one row per
    (learning rate,) depth and split (a line of the figure), one column per p."""
    entries, numbers = [], []
    several_lr = agg[["optimizer", "lr"]].drop_duplicates().shape[0] > 1
    for c, g in cells(agg):
        f = g.iloc[0]
        p, depth = float(f["slope"]), _int(f["depth"])
        col = f"p = {p:g}"
        for split in ("train", "test"):
            row_label = (f"{_opt_lr(f)}, " if several_lr else "") + f"{depth}-Layer, {split}"
            entries.append(Entry((f["optimizer"], float(f["lr"]), depth, split), (p,), row_label, col,
                                 mean_std(g[f"{split}_error_barrier"], diverged=_diverged(g))))
            numbers.append(_record(c, g, row_label, col, "error_barrier", split, g[f"{split}_error_barrier"]))
    header, body, _ = layout(entries, corner="depth, split")
    caption = ("Error barrier (Eq. 1, in %) against the negative slope p of the Leaky-ReLU (p = 0: ReLU, "
               f"p → 1: linear) for MLPs of several depths trained with {_lrs_phrase(agg)} (paper Figure 1). "
               f"{provenance(agg)}.")
    return Table("Figure 1", caption, header, body, _frame(numbers), [PAIRS_NOTE, BARRIER_NOTE])


# --- Figure 2 -------------------------------------------------------------------------------

def model_title(f: pd.Series) -> str:
    return MODEL_TITLES.get(f["model"], str(f["model"]))


def figure2(agg: pd.DataFrame) -> Table:
    """Numbers of Figure 2: error barrier (%) per hidden-layer type (MLP, LC-CNN, CNN,
    ViT-like); columns learning rate x split."""
    entries, numbers = [], []
    for c, g in cells(agg):
        f = g.iloc[0]
        row_label = model_title(f)
        for split in ("train", "test"):
            col = f"{_opt_lr(f)} {split}"
            entries.append(Entry((f["model"],), (f["optimizer"], float(f["lr"]), split), row_label, col,
                                 mean_std(g[f"{split}_error_barrier"], diverged=_diverged(g))))
            numbers.append(_record(c, g, row_label, col, "error_barrier", split, g[f"{split}_error_barrier"]))
        numbers.append(_record(c, g, row_label, _opt_lr(f), "test_accuracy", "test",
                               list(g["test_acc_a"]) + list(g["test_acc_b"])))
    header, body, _ = layout(entries, corner="hidden layer")
    notes = [PAIRS_NOTE, BARRIER_NOTE, _figure2_shapes(agg)]
    caption = ("Error barriers (Eq. 1, in %) when the hidden layer of the 1-hidden-layer model is "
               f"{_models_phrase(agg)}, trained with {_lrs_phrase(agg)} (paper Figure 2). {provenance(agg)}.")
    return Table("Figure 2", caption, header, body, _frame(numbers), notes)


MODEL_PHRASES = {"mlp": "a dense layer (MLP)", "lcn": "a locally connected layer (LC-CNN)",
                 "cnn": "a convolution (CNN)", "vit": "a single attention layer (ViT-like)", "linear": "linear"}


def _join(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _models_phrase(agg: pd.DataFrame) -> str:
    return _join([MODEL_PHRASES.get(m, str(m)) for m in dict.fromkeys(agg.sort_values("cell")["model"])])


def _lrs_phrase(agg: pd.DataFrame) -> str:
    """'SGD at High Lr (0.1) and Low Lr (0.001)': the rates present, in grid order."""
    by_opt: dict[str, list[str]] = {}
    for _, g in cells(agg):
        f = g.iloc[0]
        by_opt.setdefault(f["optimizer"], [])
        t = lr_title(f["optimizer"], f["lr"])
        if t not in by_opt[f["optimizer"]]:
            by_opt[f["optimizer"]].append(t)
    return "; ".join(f"{OPTIMIZER_TITLES.get(o, o)} at {_join(ts).replace(' or ', ' and ')}" for o, ts in by_opt.items())


def _figure2_shapes(agg: pd.DataFrame) -> str:
    parts = []
    for _, g in cells(agg):
        f = g.iloc[0]
        m = f["model"]
        if m in ("mlp", "linear"):
            d = f"width {_int(f['width'])}"
        elif m in ("cnn", "lcn"):
            d = f"{_int(f['channels'])} channels, kernel = stride {_int(f['kernel'])}"
        elif m == "vit":
            d = f"patch {_int(f['patch'])}, {_int(f['heads'])} heads of {_int(f['head_dim'])}"
        else:
            continue
        e = _int(f["epochs"])
        parts.append(f"{model_title(f)}: {d}, {e} epoch{'s' if e != 1 else ''}")
    return "Shapes: " + "; ".join(dict.fromkeys(parts)) + "."


# --- Figure 3, Table 4, Figure 5 ------------------------------------------------------------

def _depth_lr(f: pd.Series, with_optimizer: bool = False) -> str:
    name = LR_NAMES.get((f["optimizer"], round(float(f["lr"]), 12)))
    lr = f"{name} ({float(f['lr']):g})" if name else f"Lr {float(f['lr']):g}"
    opt = f"{OPTIMIZER_TITLES.get(f['optimizer'], f['optimizer'])} " if with_optimizer else ""
    return f"{_int(f['depth'])}-Layer {opt}{lr}"


def _normalised_table(agg: pd.DataFrame, title: str, caption: str) -> Table:
    entries, numbers = [], []
    for c, g in cells(agg):
        f = g.iloc[0]
        row_label = str(f["dataset_title"])
        for split in ("train", "test"):
            col = f"{_depth_lr(f)} {split}"
            entries.append(Entry((f["dataset"],), (_int(f["depth"]), f["optimizer"], float(f["lr"]), split), row_label, col,
                                 mean_std(g[f"{split}_normalised_barrier"], diverged=_diverged(g))))
            numbers.append(_record(c, g, row_label, col, "normalised_barrier", split, g[f"{split}_normalised_barrier"]))
        numbers.append(_record(c, g, row_label, _depth_lr(f), "test_accuracy", "test",
                               list(g["test_acc_a"]) + list(g["test_acc_b"])))
    header, body, _ = layout(entries, corner="dataset")
    notes = [PAIRS_NOTE, NORMALISED_NOTE]
    return Table(title, f"{caption} {provenance(agg)}.", header, body, _frame(numbers), notes)


def figure3(agg: pd.DataFrame) -> Table:
    """Numbers of Figure 3: normalised barrier (Eq. 2, %) per dataset; columns depth x
    SGD learning rate x split."""
    return _normalised_table(agg, "Figure 3", "Normalised performance-aware barrier (Eq. 2, in %) of L-layer ReLU MLPs "
                             f"trained with {_lrs_phrase(agg)}, per dataset (paper Figure 3).")


def figure5(agg: pd.DataFrame) -> Table:
    """Numbers of Figure 5: normalised barrier (Eq. 2, %) of Adam-trained MLPs per dataset."""
    return _normalised_table(agg, "Figure 5", "Normalised performance-aware barrier (Eq. 2, in %) of L-layer ReLU MLPs "
                             f"trained with {_lrs_phrase(agg)}, per dataset (paper Figure 5, App. C.1).")


def table4(agg: pd.DataFrame) -> Table:
    """Paper Table 4: test accuracy (%) of the Figure 3 runs; rows dataset, columns
    depth x learning rate."""
    entries, numbers = [], []
    for c, g in cells(agg):
        f = g.iloc[0]
        row_label = str(f["dataset_title"])
        col = _depth_lr(f)
        accs = list(g["test_acc_a"]) + list(g["test_acc_b"])
        entries.append(Entry((f["dataset"],), (_int(f["depth"]), f["optimizer"], float(f["lr"])), row_label, col,
                             mean_std(accs, diverged=_diverged(g))))
        numbers.append(_record(c, g, row_label, col, "test_accuracy", "test", accs))
    header, body, _ = layout(entries, corner="dataset")
    caption = (f"Test accuracies (%) reached on each dataset by L-layer ReLU MLPs trained with {_lrs_phrase(agg)}: "
               f"the endpoints of the Figure 3 runs (paper Table 4). {provenance(agg)}.")
    notes = ["Mean ± std over the endpoints A and B of every pair; `*` marks a setting where a pair diverged.",
             "No data augmentation (paper App. E)."]
    return Table("Table 4", caption, header, body, _frame(numbers), notes)


# --- Table 3 (no training) ------------------------------------------------------------------

# The paper's Table 3 (CIFAR-10, 128 channels, kernel 4) and App. D's ViT-like count, in M.
PAPER_TABLE3 = {"cnn": 0.09, "lcn": 0.48, "mlp": 25.26, "vit": 1.08}
TABLE3_ROWS = ("cnn", "lcn", "mlp", "vit")


def table3_counts(points: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Parameter counts of the Table 3 models for each grid point (a merged config
    setting with dataset, channels, kernel, patch, heads, head_dim), built on the meta
    device from lmc.models: one tidy row per point and model."""
    from . import data
    from .models import table3_counts as counts_of, toeplitz_width

    rows = []
    for p in points:
        meta = data.info(p["dataset"])
        counts = counts_of(meta.shape, meta.classes, int(p["channels"]), int(p["kernel"]),
                           {"patch": int(p["patch"]), "heads": int(p["heads"]), "head_dim": int(p["head_dim"])})
        width = toeplitz_width(meta.shape, int(p["channels"]), int(p["kernel"]))
        for model in TABLE3_ROWS:
            rows.append({"dataset": p["dataset"], "dataset_title": meta.title, "shape": "×".join(map(str, meta.shape)),
                         "classes": meta.classes, "model": model, "channels": int(p["channels"]),
                         "kernel": int(p["kernel"]), "mlp_width": width, "patch": int(p["patch"]),
                         "heads": int(p["heads"]), "head_dim": int(p["head_dim"]), "parameters": counts[model],
                         "paper_millions": PAPER_TABLE3[model] if p["dataset"] == "cifar10" else float("nan")})
    return pd.DataFrame(rows)


def table3(counts: pd.DataFrame) -> Table:
    """Paper Table 3 (and App. D's ViT-like count): parameter count (M) of the 2-layer
    network whose first layer is a convolution, its locally connected twin, or the
    dense layer with the same Toeplitz matrix; one column per input shape, and the
    paper's CIFAR-10 numbers beside them."""
    datasets = list(dict.fromkeys(counts["dataset"]))
    titles = {d: counts.loc[counts["dataset"] == d, "dataset_title"].iloc[0] for d in datasets}
    header = ["first layer"] + [f"{titles[d]} (M)" for d in datasets] + ["paper, CIFAR-10 (M)"]
    body = []
    for model in TABLE3_ROWS:
        row = [MODEL_TITLES[model] if model != "mlp" else "MLP (Linear)"]
        for d in datasets:
            n = int(counts[(counts["dataset"] == d) & (counts["model"] == model)]["parameters"].iloc[0])
            row.append(f"{n / 1e6:.2f} ({n:,})")
        row.append(f"≈{PAPER_TABLE3[model]:.2f}" if model == "vit" else f"{PAPER_TABLE3[model]:.2f}")
        body.append(row)
    first = counts.iloc[0]
    shapes = "; ".join(f"{titles[d]}: input {counts.loc[counts['dataset'] == d, 'shape'].iloc[0]}, "
                       f"{int(counts.loc[counts['dataset'] == d, 'classes'].iloc[0])} classes, MLP width "
                       f"{int(counts.loc[counts['dataset'] == d, 'mlp_width'].iloc[0]):,}" for d in datasets)
    caption = (f"Parameter count (M) of a 2-layer network whose first layer is a convolution (CNN), its locally "
               f"connected twin (LC-CNN) or the dense layer with the same Toeplitz matrix (MLP), kernel = stride "
               f"{int(first['kernel'])}, padding 0, {int(first['channels'])} channels (paper Table 3), and of the "
               f"ViT-like single-attention model (patch {int(first['patch'])}, {int(first['heads'])} heads of "
               f"{int(first['head_dim'])}; paper App. D). Counted from the model classes; no training. {shapes}.")
    vit = counts[counts["model"] == "vit"]
    vit_cifar = vit[vit["dataset"] == "cifar10"]
    vit_n = int(vit_cifar["parameters"].iloc[0]) if len(vit_cifar) else int(vit["parameters"].iloc[0])
    cifar = counts[counts["dataset"] == "cifar10"].set_index("model")["parameters"]
    same = [MODEL_TITLES[m] if m != "mlp" else "MLP" for m in ("cnn", "lcn", "mlp")
            if m in cifar and round(cifar[m] / 1e6, 2) == PAPER_TABLE3[m]]
    if len(cifar) and int(first["channels"]) == 128 and int(first["kernel"]) == 4:
        differ = [m for m in ("CNN", "LC-CNN", "MLP") if m not in same]
        agree = f"On CIFAR-10, {', '.join(same) or 'none'} match{'es' if len(same) == 1 else ''} the paper to its two decimals"
        notes = [agree + (f"; {', '.join(differ)} differ{'s' if len(differ) == 1 else ''}." if differ else ".")]
    else:
        notes = ["The paper's column is CIFAR-10 with 128 channels and kernel 4; this config counts other shapes."]
    notes += [
        f"ViT-like: {vit_n:,} parameters against the paper's ≈1.08M. We follow App. D's text: patch embedding, "
        "class token, position embedding, LayerNorm, one multi-head self-attention (qkv and output projection, "
        "with biases), LayerNorm, classifier; no skip connections and no MLP part. Every optional piece is "
        "already included, so no reading of the text reaches 1.08M; the ≈0.44M gap is about the size of the "
        "MLP part the text says was removed (2·384·576 = 442,368), which the paper's count probably still "
        "contains (see AttentionViT in lmc/models.py).",
    ]
    return Table("Table 3", caption, header, body, counts, notes)


# --- output formats -------------------------------------------------------------------------

def to_markdown(t: Table) -> str:
    lines = [f"**{t.title}.** {t.caption}", "", "| " + " | ".join(t.header) + " |",
             "|" + "|".join(["---"] + [":---:"] * (len(t.header) - 1)) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in t.rows]
    lines += [""] + [f"- {n}" for n in t.notes]
    return "\n".join(lines) + "\n"


def _tex_escape(s: str) -> str:
    s = s.replace("\\", r"\textbackslash{}")
    for a, b in (("%", r"\%"), ("&", r"\&"), ("_", r"\_"), ("#", r"\#"), ("±", r"$\pm$"), ("↑", r"$\uparrow$"),
                 ("↓", r"$\downarrow$"), ("α", r"$\alpha$"), ("Θ", r"$\Theta$"), ("½", r"$\frac{1}{2}$"),
                 ("−", "-"), ("…", r"\dots{}"), ("∈", r"$\in$"), ("*", r"$\ast$"), ("→", r"$\to$"),
                 ("≈", r"$\approx$"), ("·", r"$\cdot$"), ("B̄", r"$\bar{B}$"), ("–", "--"), ("`", ""), ("×", r"$\times$")):
        s = s.replace(a, b)
    return s


def to_latex(t: Table) -> str:
    cols = "l" + "c" * (len(t.header) - 1)
    lines = [r"\begin{table}[t]", r"\centering", f"\\caption{{{_tex_escape(t.caption)}}}",
             f"\\begin{{tabular}}{{{cols}}}", r"\toprule"]
    if t.groups:
        lines.append(" & ".join(f"\\multicolumn{{{n}}}{{c}}{{{_tex_escape(g)}}}" if n > 1 else _tex_escape(g)
                                for g, n in t.groups) + r" \\")
        start = 2
        for g, n in t.groups[1:]:
            lines.append(f"\\cmidrule(lr){{{start}-{start + n - 1}}}")
            start += n
        lines.append(" & ".join(_tex_escape(h) for h in (t.subheader or t.header)) + r" \\")
    else:
        lines.append(" & ".join(_tex_escape(h) for h in t.header) + r" \\")
    lines.append(r"\midrule")
    lines += [" & ".join(_tex_escape(c) for c in r) + r" \\" for r in t.rows]
    lines += [r"\bottomrule", r"\end{tabular}"]
    if t.notes:
        lines.append(r"\par\smallskip{\footnotesize " + " ".join(_tex_escape(n) for n in t.notes) + "}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def to_html(t: Table) -> str:
    """A standalone HTML page of the table (what the Snakemake report shows inline)."""
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in t.header)
    body = "".join("<tr>" + f"<th>{e(r[0])}</th>" + "".join(f"<td>{e(c)}</td>" for c in r[1:]) + "</tr>" for r in t.rows)
    notes = "".join(f"<li>{e(n)}</li>" for n in t.notes)
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + e(t.title) + "</title><style>"
            "body{font-family:sans-serif;font-size:14px}table{border-collapse:collapse}"
            "th,td{border:1px solid #bbb;padding:3px 8px;text-align:center}th:first-child{text-align:left}"
            "</style></head><body>"
            f"<p><b>{e(t.title)}.</b> {e(t.caption)}</p><table><thead><tr>{head}</tr></thead><tbody>{body}"
            f"</tbody></table><ul>{notes}</ul></body></html>\n")


RENDERERS = {"table1": table1, "table2": table2, "table4": table4,
             "figure1": figure1, "figure2": figure2, "figure3": figure3, "figure5": figure5}
