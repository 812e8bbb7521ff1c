"""JSON inside a <script> element: escaped so that no user string can end the element."""
from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(value: Any) -> str:
    """JSON text safe to place between <script> and </script>."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for raw, escaped in _ESCAPES.items():
        text = text.replace(raw, escaped)
    return text


def data_island(report: dict[str, Any]) -> Markup:
    """The escaped JSON of a report, marked safe for the template."""
    return Markup(script_json(report))
