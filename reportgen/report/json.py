"""The metrics JSON: serialised strictly (no NaN), checked against the shipped schema."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The JSON Schema of the metrics JSON, shipped inside the package."""
    return json.loads(resources.files("reportgen.report").joinpath("schema.json").read_text("utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Any:
    cls = jsonschema.validators.validator_for(schema())
    return cls(schema())


def check(report: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when ``report`` breaks the contract."""
    _validator().validate(report)


def dumps(report: dict[str, Any]) -> str:
    """Checked, strict JSON text of a report (NaN or Infinity raise ValueError)."""
    check(report)
    return json.dumps(report, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
