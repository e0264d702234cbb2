"""Config checks beyond the JSON schema, and one-line messages for schema errors."""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

SCHEMA = "config/schema.yaml"


def describe_schema_error(error: Exception) -> str:
    """One line naming the config key and what to change, from the jsonschema
    ValidationError that Snakemake's `validate` raised."""
    import jsonschema

    if isinstance(error, jsonschema.ValidationError) and error.context:
        error = jsonschema.exceptions.best_match(error.context)
    if not isinstance(error, jsonschema.ValidationError):
        return f"config error: {error}"
    key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    message = error.message.replace("\n", " ")
    if len(message) > 200:
        message = message[:200] + "…"
    return f"config error at {key}: {message} (fix it in config.yaml or the --configfile preset; allowed keys and values: {SCHEMA})"


def check_offline_sources(config: Mapping[str, Any]) -> list[str]:
    """Problems with offline dataset folders, found before any job runs."""
    problems = []
    for name, folder in config.get("offline_sources", {}).items():
        if not os.path.isdir(folder):
            hint = f"apt-get install dataset-{name.replace('_', '-')}" if "mnist" in name else "copy the files there"
            problems.append(f"config error at offline_sources.{name}: folder {folder} does not exist ({hint}, "
                            f"or remove the key to download instead)")
    return problems
