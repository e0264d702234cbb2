"""The paper's qualitative claims, checked against the configured artefacts' results.

Each claim quotes the paper's sentence and section and gets one verdict per group of
settings it applies to: *supported*, *not supported*, or *not testable at this scale*;
the reason names the cells and the rule. The rules (lmc.paper.verdicts, lmc.paper.claim_cells):
- a claim of linear connectivity is judged **per pair**, as the paper defines LMC (§2):
  every pair's test barrier below 2 % beyond its measurement error; one pair above it
  refutes the claim ("breaks connectivity": the mirror image);
- a comparison "X > Y" is decided on the 95 % confidence interval of the difference of
  the means (Welch's t over pairs), with each cell's standard error floored at the
  test set's resolution (√(B/N), at least one image), so tied or zero-spread pairs
  never give a zero-width interval;
- a pair whose endpoints stay below the dataset's test accuracy floor (MNIST 90 %,
  Table 1's caption) is *not trained*, like a diverged pair (`*`): its cell enters no
  claim;
- a claim compares cells only within a group that agrees on every other setting key
  (init, width, epochs, ...); where a role still fits several settings it refuses
  ("ambiguous", naming the keys) instead of choosing;
- fewer than two pairs, or cells the config lacks: not testable.
The claims: lmc.paper.claims_linear (§3) and lmc.paper.claims_interventions (§4, appendices)."""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from lmc.paper.claims_interventions import adam_mlp_claims, figure2_claims, figure3_claims, table2_claims
from lmc.paper.claims_linear import figure1_claims, table1_claims
from lmc.paper.verdicts import NOT_SUPPORTED, NOT_TESTABLE, SUPPORTED, THRESHOLD, Cell, Verdict
from lmc.report.layout import Table
from lmc.report.summary import basis

__all__ = ["NOT_SUPPORTED", "NOT_TESTABLE", "SUPPORTED", "THRESHOLD", "Cell", "Verdict", "check_claims",
           "claims_table"]


def check_claims(barriers: Mapping[str, pd.DataFrame]) -> list[Verdict]:
    """Every claim, from the aggregated barriers of the artefacts present (artefact ->
    its barriers table; absent artefacts make their claims 'not testable'). Figure 3's
    claims read Table 4 where Figure 3 is not configured (the same runs)."""
    f3 = barriers.get("figure3", barriers.get("table4"))
    return (table1_claims(barriers.get("table1")) + figure1_claims(barriers.get("figure1"))
            + table2_claims(barriers.get("table2")) + figure2_claims(barriers.get("figure2"))
            + figure3_claims(f3) + adam_mlp_claims(barriers.get("figure5"), f3))


def claims_table(barriers: Mapping[str, pd.DataFrame]) -> Table:
    """The claims as a rendered table: claim, the paper's words, verdict, why, the cells."""
    verdicts = check_claims(barriers)
    rows = [[v.claim, f"“{v.quote}” ({v.section})", v.verdict, v.reason,
             "; ".join(c.text() for c in v.cells) or "–"] for v in verdicts]
    none = (Cell("", (), 0),)          # a claim without cells still gets its row
    numbers = pd.DataFrame([{"claim": v.claim, "section": v.section, "quote": v.quote, "source": v.source,
                             "verdict": v.verdict, "reason": v.reason, "cell": c.name, "mean": c.mean,
                             "std": c.std, "pairs": c.pairs, "diverged": c.diverged,
                             "not_trained": bool(c.untrained)}
                            for v in verdicts for c in (v.cells or none)])
    stands = "; ".join(f"{k}: {basis(agg)}" for k, agg in barriers.items())
    caption = ("The paper's qualitative claims checked against this run's results (test error barrier, "
               "Eq. 1, in %, mean ± std over pairs; Figure 3: normalised barrier, Eq. 2). "
               f"{stands or 'No results'}.")
    notes = [f"Linear connectivity per pair, as the paper defines it (§2): '{SUPPORTED}' when every pair's "
             f"test barrier is below {THRESHOLD:g} % beyond 1.96 standard errors of its measurement "
             f"(√(B/N) on N test images), '{NOT_SUPPORTED}' when one pair is above it. Comparisons: the 95 % "
             "confidence interval of the difference of the means (Welch's t over pairs, each standard error "
             "floored at the test set's resolution) on the claimed side of zero, or on the other side. "
             "A pair below the dataset's test accuracy floor (MNIST 90 %, Table 1's caption; Fashion-MNIST "
             "80 %; else twice chance) is 'not trained' like a diverged one (`*`). Cells are compared only "
             "within settings that agree on every other key; a choice among several is refused as "
             f"ambiguous. '{NOT_TESTABLE}': within the spread or the measurement error, fewer than two "
             "pairs, a diverged or untrained cell, an ambiguous choice, or cells the config does not have. "
             "Fashion-MNIST is not one of the paper's datasets and is never ranked in its complexity order. "
             "Small presets (few epochs, few pairs) say little about the paper's 200-epoch claims."]
    return Table("Claims", caption, ["claim", "paper", "verdict", "why", "cells used"], rows, numbers, notes)
