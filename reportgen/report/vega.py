"""Vega runtime and static rendering: the inlined JavaScript bundle (built once per
vl-convert version and cached on disk), and Vega-Lite specs to SVG or PNG."""
from __future__ import annotations

import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

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
    import vl_convert  # loaded only to build the bundle or to render

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
    """vl-convert's version, read from its package metadata (without loading the library)."""
    from importlib.metadata import version as dist_version

    return dist_version("vl-convert-python")


def warm_up() -> None:
    """Start vl-convert's JavaScript engine (the first conversion is slow); thread-safe."""
    to_svg({"data": {"values": [{"x": 0}]}, "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}})


def to_svg(spec: dict) -> str:
    """Static SVG of a Vega-Lite spec, made lean for inlining (see ``lean_svg``)."""
    import vl_convert

    return lean_svg(vl_convert.vegalite_to_svg(spec, allowed_base_urls=NO_NETWORK))


_ATTRIBUTE = re.compile(r'(?<= )(d|transform|x|y|x1|x2|y1|y2|width|height|points)="([^"]*)"')
_LONG_NUMBER = re.compile(r"(?<![\d.])-?\d+\.\d{3,}")
_RGB = re.compile(r'"rgb\((\d+), (\d+), (\d+)\)"')
_INERT = re.compile(r' (?:class|pointer-events|role|aria-hidden|aria-roledescription)="[^"]*"')
_EMPTY = re.compile(r"<(path|rect|line|circle|ellipse|polygon|polyline)( [^<>]*)?></\1>")


def lean_svg(svg: str) -> str:
    """Geometry to two decimals, rgb() colours as hex, default opacity and inert attributes
    (classes, pointer events, per-group roles: the figure is described once, by its container)
    dropped, and childless shapes self-closed (valid for SVG inside HTML).

    A heatmap of 50 classes draws 2,500 cells: this keeps it about a third smaller with no
    visible difference. Text is left as it is.
    """
    svg = _ATTRIBUTE.sub(lambda m: f'{m.group(1)}="{_LONG_NUMBER.sub(_short, m.group(2))}"', svg)
    svg = _RGB.sub(lambda m: '"#%02x%02x%02x"' % tuple(int(v) for v in m.groups()), svg)
    svg = _INERT.sub("", svg).replace(' opacity="1"', "")
    svg = _EMPTY.sub(lambda m: f"<{m.group(1)}{m.group(2) or ''}/>", svg)
    return _PLAIN_RUN.sub(_merge_run, svg)


# A run of sibling shapes that only have a path and a flat fill (heatmap cells, bars): one path per
# colour draws the same picture, since such shapes do not overlap.
_PLAIN = r'<path d="M[^"]*" fill="#[0-9a-f]{6}"/>'
_PLAIN_RUN = re.compile(f"(?:{_PLAIN}){{2,}}")
_PLAIN_PARTS = re.compile(r'<path d="(M[^"]*)" fill="(#[0-9a-f]{6})"/>')


_ID = re.compile(r' id="([^"]+)"')


def scoped_ids(svg: str, scope: str) -> str:
    """The SVG's own ids (gradients, clip paths) renamed ``svg-{scope}-{n}`` in order of
    appearance: unique among the page's SVGs, and the same whatever was rendered before
    (vl-convert numbers them per process)."""
    names = {name: f"svg-{scope}-{n}" for n, name in enumerate(dict.fromkeys(_ID.findall(svg)))}
    if not names:
        return svg
    uses = re.compile(r'( id="|url\(#|href="#)(' + "|".join(map(re.escape, names)) + r')(?=[")])')
    return uses.sub(lambda m: m.group(1) + names[m.group(2)], svg)


def _merge_run(match: re.Match) -> str:
    by_fill: dict[str, list[str]] = {}
    for d, fill in _PLAIN_PARTS.findall(match.group(0)):
        by_fill.setdefault(fill, []).append(d)
    return "".join(f'<path d="{"".join(ds)}" fill="{fill}"/>' for fill, ds in by_fill.items())


def _short(match: re.Match) -> str:
    text = f"{float(match.group(0)):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def to_png(spec: dict, scale: float = 1.0) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(spec, scale=scale, allowed_base_urls=NO_NETWORK)
