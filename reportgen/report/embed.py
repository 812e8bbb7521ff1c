"""JSON inside a <script> element, and the report page's compact data island.

``script_json`` escapes JSON so that no user string can end the element. ``packed_island``
writes a report for the page: the small sections as plain JSON, the large ones (the
threshold grid, the curves, the per-class table, ...) in the *packed* form below, which
the page's script decodes once at start-up with the browser's own
``DecompressionStream("deflate")``. ``read_island`` decodes it again in Python: the
result equals the metrics JSON exactly (the tests check it, in Python and in Chromium).

The packed form of a section is a tree of nodes; a node is a JSON scalar, a plain JSON list
(strings, or a few numbers), or an object with ``kind``:

* ``{"kind": "map", "keys": node, "values": node}``: a JSON object (its keys, often class
  names, become data; ``values`` decodes to the list of its values, in order);
* ``{"kind": "classes"}``: a list equal to the report's ``classes`` (written once, plain);
* ``{"kind": "records", "length": n, "keys": [...], "columns": [node, ...], "nulls": node}``:
  a list of objects with the same keys, stored column by column (``nulls``: the positions
  holding ``null`` instead of an object; the columns cover the other rows);
* ``{"kind": "ragged", "lengths": node, "values": node}``: a list of lists (of numbers, or of
  objects), stored as one list cut into pieces of the given lengths;
* ``{"kind": "strings", "values": [...], "index": array}``: a list of strings that repeat,
  as the distinct ones and each item's position among them;
* ``{"kind": "array", "encoding": "deflate-base64", "dtype", "shape", "data", ...}``: numbers
  (see ``pack_array``).
"""
from __future__ import annotations

import base64
import json
import zlib
from typing import Any

import numpy as np
from markupsafe import Markup

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}

PACKED_SECTIONS = ("per_class", "curves", "macro_curves", "threshold_grid", "calibration", "advice",
                   "confusion_matrix", "probability_matrix", "baseline", "engine", "deltas", "intervals",
                   "selection", "slices")  # the others (summary, meta, ...) stay plain: other readers scan them
MIN_PACKED = 64  # number lists shorter than this stay plain JSON
DTYPES = {"uint8": "<u1", "uint16": "<u2", "int32": "<i4", "float64": "<f8"}
SCALES = (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000)  # value = stored integer / scale
LEVEL = 6
POW10 = np.array([float(f"1e{e}") for e in range(23)])  # exact powers of ten, as the page's table


def script_json(value: Any) -> str:
    """JSON text safe to place between <script> and </script>."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for raw, escaped in _ESCAPES.items():
        text = text.replace(raw, escaped)
    return text


def data_island(report: dict[str, Any]) -> Markup:
    """The escaped JSON of a report, marked safe for the template."""
    return Markup(script_json(report))


def packed_island(report: dict[str, Any]) -> Markup:
    """The escaped island of a report with its large sections packed, marked safe for the template."""
    return Markup(script_json(island(report)))


def island(report: dict[str, Any]) -> dict[str, Any]:
    """The report with its large sections packed; ``packed`` lists them."""
    packed = [key for key in PACKED_SECTIONS if report.get(key) is not None]
    names = report.get("classes")
    out = {key: (_node(value, names) if key in packed else value) for key, value in report.items()}
    out["packed"] = packed
    return out


def read_island(data: dict[str, Any]) -> dict[str, Any]:
    """The report an island was made from (the inverse of ``island``)."""
    packed = set(data.get("packed", ()))
    names = data.get("classes")
    return {key: (_value(value, names) if key in packed else value) for key, value in data.items() if key != "packed"}


# ---------------------------------------------------------------- packing


def _node(value: Any, names: list[str] | None) -> Any:
    """``value`` as a node; ``names``: the report's classes (a list equal to them is written once)."""
    if isinstance(value, dict):
        return {"kind": "map", "keys": _node(list(value), names), "values": _node(list(value.values()), names)}
    if not isinstance(value, list):
        return value
    if names and len(value) == len(names) and value == names:
        return {"kind": "classes"}
    if value and all(v is None or isinstance(v, dict) for v in value) and any(isinstance(v, dict) for v in value):
        return _records(value, names)
    if _numbers(value):
        return pack_array(value) if len(value) >= MIN_PACKED else value
    if len(value) >= MIN_PACKED and all(isinstance(v, str) for v in value):
        unique, index = np.unique(np.array(value, dtype=object), return_inverse=True)
        if 2 * len(unique) <= len(value):  # repeated names (each cell's classes, say)
            return {"kind": "strings", "values": unique.tolist(), "index": pack_array(index.reshape(-1))}
    if value and all(isinstance(v, list) for v in value):
        lengths = [len(v) for v in value]
        flat = [x for v in value for x in v]
        if _numbers(flat) and len(flat) >= MIN_PACKED:
            if len(set(lengths)) == 1:
                return pack_array(value)
            return {"kind": "ragged", "lengths": pack_array(lengths), "values": pack_array(flat)}
        if flat and all(isinstance(x, dict) for x in flat):  # e.g. each class's calibration bins
            return {"kind": "ragged", "lengths": _node(lengths, names), "values": _records(flat, names)}
    return [_node(v, names) for v in value]


def _records(rows: list[dict | None], names: list[str] | None) -> Any:
    present = [r for r in rows if r is not None]
    keys = list(present[0])
    if any(list(r) != keys for r in present):
        return [_node(r, names) for r in rows]  # objects of different shapes: one by one
    return {"kind": "records", "length": len(rows), "keys": keys,
            "columns": [_node([r[k] for r in present], names) for k in keys],
            "nulls": _positions([i for i, r in enumerate(rows) if r is None])}


def _positions(at: list[int]) -> Any:
    """Positions of nulls: a plain list, packed when long."""
    return pack_array(at) if len(at) >= MIN_PACKED else at


def _numbers(values: list) -> bool:
    """A list of numbers and nulls (booleans excluded) with at least one number."""
    if values and not isinstance(values[0], (list, dict, str)):
        try:
            kind = np.array(values).dtype.kind
        except ValueError:  # lists among the values
            return False
        if kind in "iuf":
            return True
        if kind != "O":
            return False
    seen = False
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return False
        seen = True
    return seen


def pack_array(values: list) -> dict[str, Any]:
    """Numbers (a list, or a list of equal-length lists; nulls allowed) as one typed array.

    ``dtype`` is the smallest little-endian type that holds the stored values: uint8,
    uint16 or int32 for integers, float64 otherwise. Floats that are all whole multiples of
    1/scale for a power of ten up to 10^6 (the curves' four decimals, six-decimal scores)
    are stored as integers with ``scale``: the value is the stored integer divided by it,
    which gives back the very same float64. Otherwise, when every value has at most nine
    significant digits after the point (six-significant-digit scores), ``exponents`` (a packed
    array) gives each value its own power of ten: value = stored / 10^exponent. ``delta``: each row (last axis) is stored as
    differences from its previous value (counts along the threshold grid). ``nulls``: flat
    positions of nulls (stored as 0). ``float``: the values are floats (JSON 1.0, not 1).
    """
    x = np.array(values)
    if x.dtype == object:  # nulls among the numbers
        is_float = any(isinstance(v, float) for v in _flatten(values))
        x = np.array(values, dtype=np.float64)
    else:
        is_float = x.dtype.kind == "f"
    shape = list(x.shape)
    x = x.reshape(-1)
    missing = np.isnan(x) if x.dtype.kind == "f" else np.zeros(len(x), dtype=bool)
    x = np.where(missing, 0, x)
    if not is_float:
        x = x.astype(np.int64)
    out: dict[str, Any] = {"kind": "array", "encoding": "deflate-base64", "shape": shape}
    stored, scale = x, None
    if is_float:
        scale = next((s for s in SCALES if np.all(np.abs(x) * s < 2**31) and np.array_equal(np.round(x * s) / s, x)),
                     None)
        stored = np.round(x * scale).astype(np.int64) if scale is not None else x
        exponents = _exponents(x) if scale is None else None
        if exponents is not None:  # each value its own power of ten (six significant digits, say)
            stored = np.round(x * POW10[exponents]).astype(np.int64)
            out["exponents"] = pack_array(exponents)
    if stored.dtype == np.int64 and (len(stored) == 0 or (stored.min() > -2**31 and stored.max() < 2**31)):
        rows = stored.reshape(-1, shape[-1]) if len(shape) > 1 and shape[-1] > 0 else stored.reshape(1, -1)
        deltas = np.diff(rows, axis=1, prepend=0).reshape(-1)
        plain, delta = _integers(stored), _integers(deltas)
        if len(delta[1]) < len(plain[1]):
            out["delta"] = True
        dtype, data = delta if out.get("delta") else plain
    else:  # floats with no decimal scale (or integers beyond int32: exact in float64 up to 2^53)
        dtype, data = "float64", _deflate(stored.astype(DTYPES["float64"]).tobytes())
    out.update(dtype=dtype, data=base64.b64encode(data).decode("ascii"))
    if scale is not None:
        out["scale"] = scale
    if is_float:
        out["float"] = True
    if missing.any():
        out["nulls"] = _positions(np.flatnonzero(missing).tolist())
    return out


def _exponents(x: np.ndarray) -> np.ndarray | None:
    """For each value the smallest e in 0..18 with x == round(x * 10^e) / 10^e (and the
    integer within int32), or None when some value has none."""
    e = np.full(len(x), -1, dtype=np.int64)
    left = np.arange(len(x))
    for power in range(19):
        v = x[left]
        m = np.round(v * POW10[power])
        ok = (np.abs(m) < 2**31) & (m / POW10[power] == v)
        e[left[ok]] = power
        left = left[~ok]
        if not len(left):
            return e
    return None


def _flatten(values: list) -> list:
    if values and isinstance(values[0], list):
        return [x for v in values for x in _flatten(v)]
    return values


def _integers(x: np.ndarray) -> tuple[str, bytes]:
    """The smallest dtype holding ``x`` and the deflated bytes."""
    low, high = (int(x.min()), int(x.max())) if len(x) else (0, 0)
    dtype = "uint8" if 0 <= low and high < 256 else "uint16" if 0 <= low and high < 65536 else "int32"
    return dtype, _deflate(x.astype(DTYPES[dtype]).tobytes())


def _deflate(raw: bytes) -> bytes:
    return zlib.compress(raw, LEVEL)


# ---------------------------------------------------------------- reading (tests, other tools)


def _value(node: Any, names: list[str] | None) -> Any:
    if isinstance(node, list):
        return [_value(v, names) for v in node]
    if not isinstance(node, dict):
        return node
    kind = node["kind"]
    if kind == "map":
        return dict(zip(_value(node["keys"], names), _value(node["values"], names)))
    if kind == "classes":
        return list(names)
    if kind == "records":
        columns = [_value(c, names) for c in node["columns"]]
        present = iter([dict(zip(node["keys"], row)) for row in zip(*columns)] if columns else [])
        nulls = set(_value(node["nulls"], names))
        return [None if i in nulls else next(present) for i in range(node["length"])]
    if kind == "strings":
        return [node["values"][i] for i in unpack_array(node["index"])]
    if kind == "ragged":
        lengths, flat = _value(node["lengths"], names), _value(node["values"], names)  # lists of numbers or of objects
        ends = np.cumsum([0, *lengths])
        return [flat[a:b] for a, b in zip(ends[:-1], ends[1:])]
    return unpack_array(node)


def unpack_array(node: dict[str, Any]) -> list:
    """The nested lists a packed array was made from."""
    x = np.frombuffer(zlib.decompress(base64.b64decode(node["data"])), dtype=DTYPES[node["dtype"]]).astype(
        np.float64 if node.get("float") and "scale" not in node else np.int64)
    shape = node["shape"]
    if node.get("delta"):
        x = np.cumsum(x.reshape(-1, shape[-1]) if len(shape) > 1 and shape[-1] > 0 else x, axis=-1).reshape(-1)
    if "scale" in node:
        x = x / node["scale"]
    elif "exponents" in node:
        x = x / POW10[np.asarray(unpack_array(node["exponents"]), dtype=np.int64)]
    flat: list = x.tolist()
    for i in _value(node.get("nulls", []), None):
        flat[i] = None
    for size in reversed(shape[1:]):
        flat = [flat[i:i + size] for i in range(0, len(flat), size)]
    return flat
