"""The statistics behind the claims table: a cell's pairs, and the two rules that turn
cells into a verdict.

- **Linear connectivity is judged per pair**, as the paper defines it (§2: "two
  independent runs of SGD starting from the same random initialization exhibit low
  barrier, e.g. < 0.02"). A cell is *connected* when every pair's test barrier lies below
  THRESHOLD beyond that pair's measurement error (1.96 standard errors, below), and *not
  connected* as soon as one pair lies above it beyond its error; a pair within its error
  of the threshold leaves the verdict open. "Breaks connectivity" is the mirror image.
- **A comparison "X > Y"** is decided on the 95 % confidence interval of the difference of
  the cell means (Welch's t over pairs): above zero supported, below zero the opposite.

The standard error of a cell never falls below the measurement error of one pair. A
barrier is measured on the N images of the test set: it is a count of images (a multiple
of 1/(2N); 0.005 % on MNIST's 10 000 test images), so pairs often tie, and a cell whose
pairs tie has sample std 0 and would give a zero-width interval. It is also a noisy
count: B = E(α*) − ½(E_A + E_B) changes by one image for every test image whose prediction
flips between the endpoints and the path's worst point, at least B·N of them, so by
McNemar's variance of a paired difference its standard error is at least √(B/N), and at
least one image (1/N) when B ≈ 0. A spread over pairs smaller than that is quantisation
or chance, never evidence: each pair's error is floored at √(max(B, 1/N)/N)."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

SUPPORTED, NOT_SUPPORTED, NOT_TESTABLE = "supported", "not supported", "not testable at this scale"
THRESHOLD = 2.0       # % test error barrier below which the paper calls a pair linearly connected (§2)
Z = 1.96              # a pair is on one side of THRESHOLD when 1.96 of its standard errors are
MIN_PAIRS = 2         # a claim about a setting needs more than one draw of the SGD noise


def measurement_se(value: float, n_eval: int, scale: float = 1.0) -> float:
    """Standard error (in %) of one pair's barrier `value` (in %) measured on `n_eval`
    images; `scale` divides it like the value (Eq. 2 divides by the mean test accuracy)."""
    b = abs(value) * scale / 100
    return 100 * math.sqrt(max(b, 1 / n_eval) / n_eval) / scale


@dataclass(frozen=True)
class Cell:
    """One setting's pairs, in %: the quantity a claim reads (test barrier, normalised
    barrier, ...), whether a pair diverged or did not train, and how it was measured."""
    name: str
    values: tuple[float, ...]       # one per pair that neither diverged nor failed to train
    pairs: int                      # pairs of the setting, all of them
    diverged: bool = False          # a pair's loss became NaN/inf (the paper's `*`)
    untrained: str = ""             # why a pair counts as not trained ('' when every pair trained)
    n_eval: int = 10_000            # images the barrier was measured on (test set size)
    scale: float = 1.0              # what the values were divided by (Eq. 2: mean test accuracy)

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values) if self.values else math.nan

    @property
    def std(self) -> float:
        n = len(self.values)
        return math.sqrt(sum((v - self.mean) ** 2 for v in self.values) / (n - 1)) if n > 1 else math.nan

    def pair_se(self, value: float) -> float:
        return measurement_se(value, self.n_eval, self.scale)

    @property
    def se(self) -> float:
        """Standard error of the mean: the spread over pairs, never below one pair's
        measurement error (module docstring)."""
        n = len(self.values)
        if n < 2:
            return math.nan
        return max(self.std, self.pair_se(self.mean)) / math.sqrt(n)

    @property
    def half_width(self) -> float:
        """Half-width of the 95 % confidence interval of the mean (Student's t, n - 1 dof)."""
        n = len(self.values)
        return float(stats.t.ppf(0.975, n - 1)) * self.se if n > 1 else math.nan

    def text(self) -> str:
        if self.diverged:
            return f"{self.name}: diverged"
        if self.untrained:
            return f"{self.name}: not trained ({self.untrained})"
        n = len(self.values)
        spread = f" ± {self.std:.2f}" if n > 1 else ""
        return f"{self.name}: {self.mean:.2f}{spread} ({n} pair{'s' if n != 1 else ''})"


@dataclass(frozen=True)
class Verdict:
    claim: str
    source: str                  # the artefact(s) whose cells were used
    cells: tuple[Cell, ...]
    verdict: str
    reason: str                  # the rule and the cells that decided it
    section: str = ""            # where the paper makes the claim
    quote: str = ""              # the paper's sentence


def unusable(c: Cell) -> str | None:
    """Why a cell cannot enter any claim, or None."""
    if c.diverged:
        return f"{c.name} diverged (the paper's `*`)"
    if c.untrained:
        return f"{c.name} did not train: {c.untrained}"
    if len(c.values) < MIN_PAIRS:         # pairs with a finite barrier
        return f"{c.name} has {len(c.values)} pair: one draw of the SGD noise says nothing about the " \
               f"setting (set pairs ≥ {MIN_PAIRS})"
    return None


def _first_unusable(cs: Sequence[Cell]) -> str | None:
    return next((why for why in map(unusable, cs) if why), None)


def greater(claim: str, source: str, big: Cell, small: Cell) -> Verdict:
    """Verdict on 'big's value exceeds small's' (Welch's t on the floored errors)."""
    why = _first_unusable((big, small))
    if why:
        return Verdict(claim, source, (big, small), NOT_TESTABLE, why)
    diff, half = big.mean - small.mean, welch_half_width(big, small)
    detail = (f"{big.name} − {small.name} = {diff:+.2f} %, 95 % interval ±{half:.2f} % "
              "(Welch's t, standard errors floored at the test-set resolution)")
    if diff > half:
        return Verdict(claim, source, (big, small), SUPPORTED, detail)
    if diff < -half:
        return Verdict(claim, source, (big, small), NOT_SUPPORTED, f"{detail}: the opposite holds")
    return Verdict(claim, source, (big, small), NOT_TESTABLE, f"{detail}: within the spread over pairs")


def welch_half_width(a: Cell, b: Cell) -> float:
    """Half-width of the 95 % confidence interval of a.mean - b.mean (Welch's t); never
    zero, since each standard error is floored."""
    na, nb = len(a.values), len(b.values)
    va, vb = a.se ** 2, b.se ** 2
    dof = (va + vb) ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1))
    return float(stats.t.ppf(0.975, dof)) * math.sqrt(va + vb)


def _side(c: Cell, v: float) -> int:
    """+1: the pair's barrier is above THRESHOLD beyond its error; -1 below; 0 within."""
    margin = Z * c.pair_se(v)
    return 1 if v - margin >= THRESHOLD else -1 if v + margin < THRESHOLD else 0


def connected(claim: str, source: str, cs: Sequence[Cell], broken: bool = False) -> Verdict:
    """Verdict on 'every cell is linearly connected' (broken=True: 'no cell is'), judged
    per pair against THRESHOLD (module docstring)."""
    if not cs:
        return Verdict(claim, source, (), NOT_TESTABLE, "no cell to judge")
    why = _first_unusable(cs)
    if why:
        return Verdict(claim, source, tuple(cs), NOT_TESTABLE, why)
    want = 1 if broken else -1
    word = "at or above" if broken else "below"
    against = [(c, v) for c in cs for v in c.values if _side(c, v) == -want]
    near = [(c, v) for c in cs for v in c.values if _side(c, v) == 0]
    rule = (f"rule: every pair's test barrier {word} {THRESHOLD:g} % beyond 1.96 of its standard "
            f"errors (√(B/N), N test images)")
    if against:
        listed = ", ".join(f"{c.name} pair at {v:.2f} %" for c, v in against)
        return Verdict(claim, source, tuple(cs), NOT_SUPPORTED,
                       f"{listed}: {'below' if broken else 'above'} {THRESHOLD:g} % ({rule})")
    if near:
        listed = ", ".join(f"{c.name} pair at {v:.2f} %" for c, v in near)
        return Verdict(claim, source, tuple(cs), NOT_TESTABLE,
                       f"{listed}: within its measurement error of {THRESHOLD:g} % ({rule})")
    total = sum(len(c.values) for c in cs)
    return Verdict(claim, source, tuple(cs), SUPPORTED, f"all {total} pairs of {len(cs)} cell(s) {word} "
                   f"{THRESHOLD:g} % ({rule})")


def combine(claim: str, source: str, parts: Sequence[Verdict]) -> Verdict:
    """One verdict from several that must all hold: any 'not supported' refutes the claim,
    else any 'not testable' leaves it open, else it is supported; the reason says which."""
    cells = tuple(dict.fromkeys(c for v in parts for c in v.cells))
    for verdict in (NOT_SUPPORTED, NOT_TESTABLE):
        bad = [v for v in parts if v.verdict == verdict]
        if bad:
            return Verdict(claim, source, cells, verdict, "; ".join(v.reason for v in bad))
    return Verdict(claim, source, cells, SUPPORTED, "; ".join(v.reason for v in parts))


def not_testable(claim: str, source: str, why: str, cells: Sequence[Cell] = ()) -> Verdict:
    return Verdict(claim, source, tuple(cells), NOT_TESTABLE, why)
