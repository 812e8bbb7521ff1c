"""Vega runtime and static rendering: the inlined JavaScript bundle (built once per
vl-convert version and cached on disk), and Vega-Lite specs to SVG or PNG."""
from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

import vl_convert

NO_NETWORK: list[str] = []  # conversions may not fetch anything


def cache_folder() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "reportgen"


@lru_cache(maxsize=1)
def javascript_bundle() -> str:
    """vega + vega-lite + vega-embed as one script (globals vega, vegaLite, vegaEmbed).

    Building it takes seconds, so it is kept in memory and on disk, keyed by the
    vl-convert version; an unwritable cache folder only costs the rebuild.
    """
    path = cache_folder() / f"vega-bundle-{_version()}.js"
    try:
        return path.read_text("utf-8")
    except OSError:
        pass
    bundle = vl_convert.javascript_bundle()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(bundle)
        os.replace(temp, path)
    except OSError:
        pass
    return bundle


def _version() -> str:
    version = getattr(vl_convert, "__version__", None)
    if version:
        return str(version)
    from importlib.metadata import version as dist_version

    return dist_version("vl-convert-python")


def warm_up() -> None:
    """Start vl-convert's JavaScript engine (the first conversion is slow); thread-safe."""
    to_svg({"data": {"values": [{"x": 0}]}, "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}})


def to_svg(spec: dict) -> str:
    return vl_convert.vegalite_to_svg(spec, allowed_base_urls=NO_NETWORK)


def to_png(spec: dict, scale: float = 1.0) -> bytes:
    return vl_convert.vegalite_to_png(spec, scale=scale, allowed_base_urls=NO_NETWORK)
