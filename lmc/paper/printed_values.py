"""The numbers the paper prints, read from one data file (config/paper_values.csv).

Each row is one printed number: where it is (source table or text, section, row,
column, split), what it measures (metric, unit), how it is printed (`printed`
verbatim; `relation` "=" for a number, "≈" for an approximate one, "<" / ">" for a
bound, "*" for a cell printed as `*`, which has no value) and, for the rows that stand
for a cell the project trains or counts, the setting keys that identify that cell
(dataset, model, depth, ...; empty where the paper does not fix the key). The
comparison (`lmc.paper.comparison`) joins on those keys, never on labels.

No pandas, no torch: the file is small and a malformed one must fail with one line
naming the file and the row."""
from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Setting keys a row may fix, with the type each is compared as (lmc.config.grid's names).
KEY_TYPES: dict[str, type] = {
    "dataset": str, "model": str, "depth": int, "batch_size": int, "optimizer": str, "lr": float,
    "warmup_fraction": float, "slope": float, "channels": int, "kernel": int, "patch": int, "heads": int,
    "head_dim": int,
}
COLUMNS = ("id", "source", "section", "row", "column", "split", "metric", "relation", "printed", "value",
           "unit", "artefact", *KEY_TYPES, "note")
RELATIONS = ("=", "≈", "<", ">", "*")
# The printed number inside `printed` (e.g. "0.05", "approximately 1.08M", "<(0.02)", "above 90%").
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class PaperValuesError(ValueError):
    """A malformed paper-values file; the message names the file and the row."""


@dataclass(frozen=True)
class PaperValue:
    """One number the paper prints (or a `*` cell)."""
    id: str
    source: str             # "Table 1", "Table 1 caption", "§2 text", ...
    section: str            # where in the paper ("§4 Training strategy (Table 2)")
    row: str                # the paper's row label, as printed
    column: str             # the paper's column label, as printed
    split: str              # "train" | "test" | ""
    metric: str             # error_barrier, test_accuracy, train_loss, parameters, epochs, ...
    relation: str           # one of RELATIONS
    printed: str            # verbatim
    value: float            # NaN for "*"
    unit: str
    artefact: str           # the project artefact whose cells it stands for ("" for setup facts)
    keys: Mapping[str, Any] = field(default_factory=dict)   # setting keys the paper fixes
    note: str = ""

    @property
    def decimals(self) -> int:
        """Digits after the decimal point as printed (0.05 -> 2, 200 -> 0)."""
        m = _NUMBER.search(self.printed)
        return len(m.group().split(".")[1]) if m and "." in m.group() else 0

    @property
    def starred(self) -> bool:
        return self.relation == "*"


def _parse_key(name: str, text: str, where: str) -> Any:
    kind = KEY_TYPES[name]
    try:
        return kind(float(text)) if kind is int else kind(text)
    except ValueError:
        raise PaperValuesError(f"{where}: column {name} must be {kind.__name__}, got {text!r}") from None


def _row(raw: Mapping[str, str], where: str) -> PaperValue:
    relation = raw["relation"]
    if relation not in RELATIONS:
        raise PaperValuesError(f"{where}: relation {relation!r} is not one of {' '.join(RELATIONS)}")
    for col in ("id", "source", "metric", "printed", "unit"):
        if not raw[col]:
            raise PaperValuesError(f"{where}: column {col} is empty")
    if relation == "*":
        if raw["value"] or raw["printed"] != "*":
            raise PaperValuesError(f"{where}: a * cell has printed '*' and no value")
        value = math.nan
    else:
        try:
            value = float(raw["value"])
        except ValueError:
            raise PaperValuesError(f"{where}: value {raw['value']!r} is not a number") from None
        # The value must be the number printed: a typo in either shows up here.
        m = _NUMBER.search(raw["printed"])
        if m is None or float(m.group()) != value:
            raise PaperValuesError(f"{where}: value {raw['value']} is not the number printed "
                                   f"({raw['printed']!r})")
    keys = {k: _parse_key(k, raw[k], where) for k in KEY_TYPES if raw[k]}
    return PaperValue(raw["id"], raw["source"], raw["section"], raw["row"], raw["column"], raw["split"],
                      raw["metric"], relation, raw["printed"], value, raw["unit"], raw["artefact"], keys,
                      raw["note"])


def load(path: str | os.PathLike) -> list[PaperValue]:
    """Every row of the paper-values file, in file order; a malformed file raises
    PaperValuesError naming the file and the row (line number and id)."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = tuple(reader.fieldnames or ())
        if header != COLUMNS:
            missing = [c for c in COLUMNS if c not in header]
            extra = [c for c in header if c not in COLUMNS]
            raise PaperValuesError(f"{path}: header must be {','.join(COLUMNS)}"
                                   + (f" (missing: {', '.join(missing)})" if missing else "")
                                   + (f" (unknown: {', '.join(extra)})" if extra else ""))
        out, seen = [], set()
        for raw in reader:
            where = f"{path}:{reader.line_num} ({raw.get('id') or 'no id'})"
            if None in raw or any(v is None for v in raw.values()):
                raise PaperValuesError(f"{where}: {len(COLUMNS)} columns expected")
            value = _row(raw, where)
            if value.id in seen:
                raise PaperValuesError(f"{where}: id {value.id} appears twice")
            seen.add(value.id)
            out.append(value)
    return out


def one(values: Sequence[PaperValue], metric: str) -> PaperValue:
    """The single row of a setup `metric` (epochs, lmc_threshold, ...)."""
    rows = [v for v in values if v.metric == metric]
    if len(rows) != 1:
        raise PaperValuesError(f"paper values: expected one {metric} row, found {len(rows)}")
    return rows[0]


def lmc_threshold_percent(values: Sequence[PaperValue]) -> float:
    """The paper's LMC threshold (§2: barrier < 0.02) in %, as the tables print barriers."""
    row = one(values, "lmc_threshold")
    return row.value * 100 if row.unit == "fraction" else row.value


def paper_epochs(values: Sequence[PaperValue]) -> int:
    """The epochs every model of the paper is trained for (§2)."""
    return int(one(values, "epochs").value)
