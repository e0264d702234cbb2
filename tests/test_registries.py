"""One registry per kind of name: the schema's enums equal the library's registries, and
every registered artefact has what rendering it needs."""
from __future__ import annotations

from pathlib import Path

import torch
import yaml

from lmc.config import artefacts, grid
from lmc.data import datasets
from lmc.nn.initialisation import INIT_SCHEMES
from lmc.nn.models import build_model
from lmc.report import paper_tables, plots
from lmc.train import settings as train_settings

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((ROOT / "config" / "schema.yaml").read_text())


def test_schema_names_equal_registries():
    defs = SCHEMA["$defs"]
    assert defs["dataset_name"]["enum"] == list(datasets.DATASETS)
    assert defs["model_name"]["enum"] == list(train_settings.MODEL_KEYS)
    assert defs["optimizer_name"]["enum"] == list(train_settings.OPTIMIZER_KEYS)
    assert defs["init_name"]["enum"] == list(INIT_SCHEMES)
    assert defs["artefact_name"]["enum"] == list(artefacts.ARTEFACTS)
    assert defs["analysis_name"]["enum"] == list(grid.ANALYSES)


def test_schema_names_each_list_once():
    """The schema refers to its name lists instead of repeating them."""
    text = (ROOT / "config" / "schema.yaml").read_text()
    for names in (datasets.DATASETS, train_settings.MODEL_KEYS, train_settings.OPTIMIZER_KEYS, INIT_SCHEMES):
        assert text.count(f"[{', '.join(names)}]") == 1


def test_every_artefact_can_be_rendered():
    trained = artefacts.trained(list(artefacts.ARTEFACTS))
    assert set(paper_tables.BUILDERS) == set(trained)
    assert set(plots.FIGURES) == set(artefacts.figures(trained))
    assert [a for a in artefacts.ARTEFACTS if a not in trained] == ["table3", "claims", "paper_comparison"]
    for name, a in artefacts.ARTEFACTS.items():
        assert a.title.replace(" ", "").lower() == name.replace("_", "")


def test_every_model_name_builds():
    setting = {"depth": 2, "width": 4, "slope": 0.0, "channels": 2, "kernel": 4, "patch": 4, "heads": 1,
               "head_dim": 2, "init": "torch_default", "init_scale": 1.0}
    for model in train_settings.MODEL_KEYS:
        net = build_model({**setting, "model": model}, (1, 28, 28), 10)
        assert net(torch.zeros(3, 1, 28, 28)).shape == (3, 10), model

