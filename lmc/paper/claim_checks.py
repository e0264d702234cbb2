"""What every claim check shares: a claim's text, section and quote, and how a check
runs over the groups of an artefact's settings (lmc.paper.claim_cells). The checks themselves
are in lmc.paper.claims_linear (§3: Table 1, Figure 1) and lmc.paper.claims_interventions (§4 and
the appendices: Table 2, Figures 2, 3, 5)."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from lmc.paper.claim_cells import Frame, ambiguity, groups, make_cell, suffixed
from lmc.paper.verdicts import Cell, Verdict, not_testable
from lmc.report.names import lr_name

TEST = "test_error_barrier"


@dataclass(frozen=True)
class Claim:
    text: str            # what is checked, in the table's words
    section: str         # where the paper makes it
    quote: str           # the paper's sentence
    source: str          # the artefact(s) it reads


def about(claim: Claim, verdicts: Sequence[Verdict]) -> list[Verdict]:
    """The verdicts with the claim's section and quote."""
    return [dataclasses.replace(v, section=claim.section, quote=claim.quote) for v in verdicts]


def missing(claim: Claim, what: str) -> Verdict:
    return not_testable(claim.text, claim.source, f"the config has no {what}")


def per_group(claim: Claim, agg: pd.DataFrame | None, own: set[str],
              check: Callable[[str, pd.DataFrame], Verdict | list[Verdict] | None],
              what: str) -> list[Verdict]:
    """`check(text, rows)` on each group of `agg`'s settings split by the keys not in
    `own` (None or []: the group lacks the claim's cells); 'not testable' naming `what`
    when no group has them or `agg` is None (artefact not configured)."""
    if agg is None:
        return about(claim, [missing(claim, claim.source)])
    out: list[Verdict] = []
    for label, rows in groups(agg, own):
        v = check(suffixed(claim.text, label), rows)
        out += [] if v is None else [v] if isinstance(v, Verdict) else v
    return about(claim, out or [missing(claim, what)])


def one(claim_text: str, source: str, found: Sequence[Frame], what: str,
        name: Callable[[pd.Series], str], metric: str = TEST) -> Cell | Verdict:
    """The cell of the single setting in `found`, or a 'not testable' verdict: none found,
    or several (the choice would be a guess)."""
    if not found:
        return not_testable(claim_text, source, f"the config has no {what}")
    why = ambiguity(found, what)
    if why:
        return not_testable(claim_text, source, why)
    f, g = found[0]
    return make_cell(name(f), g, metric)


def unfound(*found: Cell | Verdict) -> Verdict | None:
    """The first 'not testable' verdict among the results of `one`, or None when every one
    found its cell."""
    return next((x for x in found if isinstance(x, Verdict)), None)


def warm(f: pd.Series) -> bool:
    return float(f["warmup_fraction"]) > 0


def level(f: pd.Series) -> str | None:
    """The paper's name of a setting's rate: 'High', 'Med', 'Low' or None."""
    return lr_name(f["optimizer"], f["lr"])
