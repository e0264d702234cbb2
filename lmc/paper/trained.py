"""Which pairs trained: the one test both the claims and the paper comparison apply
before a barrier counts (a network that never left its initialisation has B ≈ 0 and
would pass for linearly connected).

A pair counts as trained when both endpoints reach the dataset's test
accuracy floor; otherwise it is "not trained", like a diverged pair (`*`), and its
barrier enters no claim: a network that never left its initialisation has B ≈ 0 and
would pass for linearly connected. The floors (ACCURACY_FLOORS) are:
- MNIST 90 %: the paper's own criterion (Table 1's caption: every model "above 90 % test
  accuracy" except the `*` cells); logistic regression alone reaches ≈ 92 %.
- Fashion-MNIST 80 %: not in the paper; the same margin below logistic regression,
  which reaches ≈ 84 % (Xiao et al. 2017's benchmark), while MLPs reach 88-90 %.
- Other datasets, twice chance (1 / classes): the paper prints MLP accuracies as low as
  14.26 % on CIFAR-100 and 1.68 % on Tiny-ImageNet (Table 4) as results, so the floor only
  tells learning from chance: every Table 4 cell passes it (CIFAR-10 20 %, CIFAR-100 2 %,
  Tiny-ImageNet 1 %) and a network at chance fails it."""
from __future__ import annotations

import pandas as pd

from lmc.data import datasets

# Test accuracy (fraction) both endpoints of a pair must reach (module docstring).
ACCURACY_FLOORS = {"mnist": 0.90, "fashion_mnist": 0.80}


def accuracy_floor(dataset: str) -> float:
    """The test accuracy (fraction) both endpoints of a trained pair reach."""
    return ACCURACY_FLOORS.get(dataset, 2.0 / datasets.info(dataset).classes)


def untrained(g: pd.DataFrame) -> str:
    """'' when every pair of a setting (its rows of an aggregated barriers table)
    trained, else which pair did not and why."""
    floor = accuracy_floor(str(g["dataset"].iloc[0]))
    for _, r in g.iterrows():
        acc = min(float(r["test_acc_a"]), float(r["test_acc_b"]))
        if not acc >= floor:           # NaN too
            return (f"pair {int(r['pair'])}: endpoint test accuracy {100 * acc:.1f} % "
                    f"< {100 * floor:g} % floor for {r['dataset_title']}")
    return ""
