"""The metrics JSON: serialised strictly (no NaN), checked against the shipped schema."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema


SCHEMAS = {"classification": "schema.json", "generative": "generative_schema.json"}


@lru_cache(maxsize=None)
def schema(kind: str = "classification") -> dict[str, Any]:
    """The JSON Schema of the metrics JSON (or of a generative report), shipped in the package."""
    text = resources.files("reportgen.report").joinpath(SCHEMAS[kind]).read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def _validator(kind: str) -> Any:
    cls = jsonschema.validators.validator_for(schema(kind))
    return cls(schema(kind))


def check(report: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when ``report`` breaks the contract."""
    kind = "generative" if report.get("task") == "generative" else "classification"
    _validator(kind).validate(report)


KEYED_BY_NAME = 64  # a dict with more keys than this is keyed by class (or slice) names


def check_shape(report: dict[str, Any]) -> None:
    """``check`` on a copy whose long arrays, and dicts keyed by class name, are cut to their
    first items: every key and type is checked in milliseconds at any number of classes
    (the tests check whole reports with ``check``)."""
    check(_sample(report))


def _sample(value: Any, keep: int = 3) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        if len(items) > KEYED_BY_NAME:
            items = items[:keep]
        return {k: _sample(v, keep) for k, v in items}
    if isinstance(value, list):
        return [_sample(v, keep) for v in value[:keep]]
    return value


def dumps(report: dict[str, Any]) -> str:
    """Strict JSON text of a report (NaN or Infinity raise ValueError)."""
    return json.dumps(report, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
