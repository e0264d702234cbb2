"""The dataset registry: names, shapes, class counts, split sizes and normalisation
statistics. Nothing here reads data or imports a loader, so the workflow, the schema
test, the tables and the dataset modules (`lmc.data.sources`, `lmc.data.beton`,
`lmc.data.tiny_imagenet`) can all use
the one list without importing each other."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetInfo:
    name: str            # config name, e.g. "fashion_mnist"
    title: str           # how captions name it
    torchvision: str     # torchvision.datasets class (or "" where we download ourselves)
    shape: tuple[int, int, int]
    classes: int
    n_train: int
    n_test: int
    mean: tuple[float, ...]
    std: tuple[float, ...]


# Per-dataset normalisation constants are the usual published channel statistics of the
# training split (the paper normalises inputs per dataset).
DATASETS: dict[str, DatasetInfo] = {
    d.name: d
    for d in [
        DatasetInfo("mnist", "MNIST", "MNIST", (1, 28, 28), 10, 60000, 10000, (0.1307,), (0.3081,)),
        DatasetInfo("fashion_mnist", "Fashion-MNIST", "FashionMNIST", (1, 28, 28), 10, 60000, 10000,
                    (0.2860,), (0.3530,)),
        DatasetInfo("cifar10", "CIFAR-10", "CIFAR10", (3, 32, 32), 10, 50000, 10000,
                    (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
        DatasetInfo("cifar100", "CIFAR-100", "CIFAR100", (3, 32, 32), 100, 50000, 10000,
                    (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
        # The test split is the labelled validation set (the archive's test images are
        # unlabelled). torchvision has no class for it: lmc.data.tiny_imagenet handles it.
        DatasetInfo("tiny_imagenet", "Tiny-ImageNet", "", (3, 64, 64), 200, 100000, 10000,
                    (0.4802, 0.4481, 0.3975), (0.2302, 0.2265, 0.2262)),
    ]
}

SPLITS = ("train", "test")


class DatasetError(RuntimeError):
    """A dataset is missing or fails its integrity check; the message says how to fix it."""


def info(name: str) -> DatasetInfo:
    try:
        return DATASETS[name]
    except KeyError:
        raise DatasetError(f"unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))}") from None
