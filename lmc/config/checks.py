"""Config checks beyond the JSON schema, and one-line messages for schema errors."""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema
import yaml

from lmc.data import datasets

SCHEMA = "config/schema.yaml"


def describe_schema_error(config: Mapping[str, Any], schema_path: str | os.PathLike = SCHEMA) -> str:
    """One line naming the config key and what to change. Called after Snakemake's
    `validate` failed (its WorkflowError keeps only text), to pick the most relevant
    of the schema violations with jsonschema's own `best_match`."""
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(dict(config)))
    if error is None:
        return f"config error (see {schema_path})"
    while error.context:            # oneOf/anyOf: descend to the branch that got furthest
        error = jsonschema.exceptions.best_match(error.context)
    path = [str(p) for p in error.absolute_path]
    message = error.message.replace("\n", " ")
    if error.validator == "additionalProperties":
        unexpected = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        if unexpected:
            path.append(unexpected[0])
            allowed = ", ".join(sorted(error.schema.get("properties", {})))
            message = f"unknown key (misspelt?); allowed here: {allowed}"
    if len(message) > 300:
        message = message[:300] + "…"
    key = ".".join(path) or "(top level)"
    return (f"config error at {key}: {message} "
            f"(fix it in config.yaml or the --configfile preset; schema: {schema_path})")


OFFLINE_ENV_PREFIX = "LMC_OFFLINE_"


def offline_sources(config: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """The config's `offline_sources`, with `LMC_OFFLINE_<DATASET>` (e.g. LMC_OFFLINE_MNIST)
    filling in each dataset the config does not name: a machine's local copy is set once
    in its environment, never as a path written into the project. The config (a preset
    or `--config offline_sources=...`) wins where both name a dataset."""
    sources = dict(config.get("offline_sources") or {})
    for name in datasets.DATASETS:
        folder = environ.get(OFFLINE_ENV_PREFIX + name.upper(), "")
        if folder and name not in sources:
            sources[name] = folder
    return sources


def check_offline_sources(config: Mapping[str, Any]) -> list[str]:
    """Problems with offline dataset folders, found before any job runs."""
    problems = []
    for name, folder in config.get("offline_sources", {}).items():
        if not os.path.isdir(folder):
            # Debian packages Fashion-MNIST only; other datasets come from a copy of their files
            hint = ("apt-get install dataset-fashion-mnist" if name == "fashion_mnist"
                    else "copy the dataset's original files there")
            where = f"offline_sources.{name} (or {OFFLINE_ENV_PREFIX}{name.upper()})"
            problems.append(f"config error at {where}: folder {folder} does not exist "
                            f"({hint}, or remove the key to download instead)")
    return problems


def check_alphas(config: Mapping[str, Any]) -> list[str]:
    """The path's alphas, a rule the schema cannot express; one line naming the key."""
    alphas = [float(a) for a in config["alphas"]]
    if alphas[0] != 0.0 or alphas[-1] != 1.0 or any(b <= a for a, b in zip(alphas, alphas[1:])):
        return [f"config error at alphas: {alphas} must ascend strictly from 0.0 (network A) to 1.0 "
                "(network B), e.g. [0.0, 0.1, ..., 1.0]; the barriers are measured against both ends"]
    return []


def check_settings(entries: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
    """Rules across a setting's keys, on the grid the workflow already built (artefact ->
    its `grid.artefact_settings` entries), found before any job runs; one line each,
    naming the artefact and the fix."""
    problems = []
    for artefact, settings in entries.items():
        for entry in settings:
            s = entry["setting"]
            meta = datasets.info(s["dataset"])
            if s["batch_size"] >= meta.n_train:
                problems.append(f"config error at artefacts.{artefact}: batch_size {s['batch_size']} is not "
                                f"below the {meta.n_train} training images of {meta.title}, so every epoch "
                                "is one full batch and A and B see the same data: they would be one network; "
                                "use a smaller batch_size")
                break
    return problems


def check_analyses(entries: Mapping[str, Sequence[Mapping[str, Any]]],
                   config: Mapping[str, Any]) -> list[str]:
    """Analyses a setting's model or initialisation cannot support, found before any job
    runs; one line each, naming the key (the schema already rejects unknown names and a
    plane grid below 3 x 3)."""
    problems = []
    method = config["analysis"]["align"]["method"]
    for artefact, settings in entries.items():
        for entry in settings:
            s, analyses = entry["setting"], entry.get("analyses", [])
            if "align" in analyses and method == "activation" and s["model"] == "vit":
                problems.append(f"config error at analysis.align.method: activation matching is not "
                                f"supported for the ViT-like model (artefacts.{artefact} aligns one); use "
                                f"method: weight (heads and widths are permuted) or drop align from "
                                f"artefacts.{artefact}.analyses")
                break
            if "plane" in analyses and not s.get("shared_init", True):
                problems.append(f"config error at artefacts.{artefact}.analyses: plane needs the shared "
                                "initialisation Θ0 of a pair, and a setting there has shared_init: false; "
                                "drop plane from that artefact's analyses or use shared_init: true")
                break
    return problems
