"""A table before it is formatted: its header, body and notes (`Table`), and the
machinery the artefact builders (`lmc.report.paper_tables`) lay cells out with: each body cell and
the tidy numbers behind it come from one summary (`Cells`), rows and columns take the
config grid's first-appearance order (`layout`), and header spans group columns."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lmc.report.names import is_missing
from lmc.report.summary import Summary, cell_text, is_diverged, summarise


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


SETTING_COLUMNS = ("dataset", "dataset_title", "model", "depth", "width", "slope", "channels", "kernel",
                   "patch", "heads", "head_dim", "init", "init_scale", "optimizer", "lr", "batch_size",
                   "epochs", "warmup_fraction")


# --- cells and their numbers -----------------------------------------------------------------

@dataclass
class Entry:
    """One body cell before layout: its row and column keys (tuples of components),
    their labels, and the text."""
    row: tuple
    column: tuple
    row_label: str
    column_label: str
    text: str


class Cells:
    """A table's body cells and the tidy numbers behind them, added together from one
    summary so the text and the .csv cannot disagree."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.records: list[dict[str, Any]] = []

    def add(self, cell: int, g: pd.DataFrame, row: str, column: str, metric: str, split: str,
            values: Iterable[float], keys: tuple[tuple, tuple] | None = None) -> None:
        """Summarise `values` of setting `cell` (its pairs `g`); record the numbers and,
        given `keys` (row key, column key), a visible cell at that place."""
        s = summarise(values)
        if keys is not None:
            self.entries.append(Entry(keys[0], keys[1], row, column, cell_text(s, is_diverged(g))))
        self.records.append(record(cell, g, row, column, metric, split, s))

    def frame(self) -> pd.DataFrame:
        """The tidy .csv of an artefact: position, metric, setting columns, statistics."""
        frame = pd.DataFrame(self.records)
        front = ["cell", "row", "column", "metric", "split"]
        back = ["mean", "std", "pairs", "diverged"]
        middle = [c for c in SETTING_COLUMNS if c in frame.columns]
        return frame[front + middle + [c for c in frame.columns if c not in front + middle + back] + back]


def record(cell: int, g: pd.DataFrame, row: str, column: str, metric: str, split: str,
           s: Summary) -> dict[str, Any]:
    """One tidy line of an artefact's .csv: where it sits, its setting, its statistics (in %)."""
    first = g.iloc[0]
    rec: dict[str, Any] = {"cell": cell, "row": row, "column": column, "metric": metric, "split": split}
    rec.update({k: first[k] for k in SETTING_COLUMNS if k in g.columns and not is_missing(first[k])})
    rec.update({"mean": s.mean, "std": s.std, "pairs": int(g["pair"].nunique()), "diverged": is_diverged(g)})
    return rec


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


def layout(entries: Sequence[Entry], corner: str = "", missing: str = "–"
           ) -> tuple[list[str], list[list[str]], list[tuple]]:
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


def header_groups(cols: Sequence[tuple], n_group: int,
                  title: Callable[[tuple], str]) -> list[tuple[str, int]]:
    """Header spans over the leading `n_group` components of each column key."""
    groups: list[tuple[str, int]] = [("", 1)]
    for c in cols:
        name = title(c[:n_group])
        if len(groups) > 1 and groups[-1][0] == name:
            groups[-1] = (name, groups[-1][1] + 1)
        else:
            groups.append((name, 1))
    return groups
