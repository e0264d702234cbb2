"""Paper tables from aggregated barrier CSVs: Markdown, LaTeX and CSV.

Cells show mean ± std over pairs (sample std; just the mean when there is one pair)
and `*` where any pair of the setting diverged, as in the paper's Table 1."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Table:
    """A rendered table: header row, body rows of strings, caption and notes."""
    title: str
    caption: str
    header: list[str]
    rows: list[list[str]]
    numbers: pd.DataFrame          # tidy numbers behind the cells (the .csv output)
    notes: list[str] = field(default_factory=list)


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
    """'Fashion-MNIST; 3 pairs per setting; 10 epochs' — what the numbers stand on."""
    datasets = ", ".join(dict.fromkeys(table["dataset_title"]))
    pairs = table.groupby("cell")["pair"].nunique()
    epochs = sorted(set(table["epochs"]))
    p = f"{pairs.min()}" if pairs.min() == pairs.max() else f"{pairs.min()}-{pairs.max()}"
    e = ", ".join(str(x) for x in epochs)
    return f"{datasets}; {p} pair(s) per setting; {e} epochs"


def table2(agg: pd.DataFrame) -> Table:
    """Paper Table 2: train and test error barriers (%) of the minimal model under
    five optimisation setups (columns in config order)."""
    cells = agg.sort_values("cell").groupby("cell", sort=True)
    header = ["", *[g["label"].iloc[0] or f"setting {c}" for c, g in cells]]
    body, numbers = [], []
    for split, name in (("train", "%B_train"), ("test", "%B_test")):
        row = [name]
        for c, g in cells:
            row.append(mean_std(g[f"{split}_error_barrier"], diverged=bool(g["diverged"].any())))
            numbers.append({"cell": c, "label": header[c + 1] if c + 1 < len(header) else "", "split": split,
                            **cell_stats(g, f"{split}_error_barrier")})
        body.append(row)
    for split, name in (("test", "Acc_test (%)"),):
        row = [name]
        for c, g in cells:
            accs = pd.concat([g[f"{split}_acc_a"], g[f"{split}_acc_b"]])
            row.append(mean_std(list(accs), diverged=bool(g["diverged"].any())))
        body.append(row)
    caption = ("Error barriers (Eq. 1, in %) of a 1-hidden-layer ReLU MLP under five optimisation setups "
               f"(paper Table 2). {provenance(agg)}.")
    notes = ["Mean ± std over pairs; each pair is two networks from one initialisation trained with different data orders.",
             "Barrier B = max_α E(Θ(α)) − ½(E(A)+E(B)) over α ∈ {0, 0.1, …, 1}; `*` marks a diverged setting.",
             "Acc_test is the endpoints' test accuracy (A and B pooled)."]
    return Table("Table 2", caption, header, body, pd.DataFrame(numbers), notes)


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
                 ("−", "-"), ("…", r"\dots{}"), ("∈", r"$\in$"), ("*", r"$\ast$")):
        s = s.replace(a, b)
    return s


def to_latex(t: Table) -> str:
    cols = "l" + "c" * (len(t.header) - 1)
    lines = [r"\begin{table}[t]", r"\centering", f"\\caption{{{_tex_escape(t.caption)}}}",
             f"\\begin{{tabular}}{{{cols}}}", r"\toprule",
             " & ".join(_tex_escape(h) for h in t.header) + r" \\", r"\midrule"]
    lines += [" & ".join(_tex_escape(c) for c in r) + r" \\" for r in t.rows]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


RENDERERS = {"table2": table2}
