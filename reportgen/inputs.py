"""Per-example inputs (text, image, overlay) shown beside selected examples."""
from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from reportgen.errors import InputError
from reportgen.io import read_table

TEXT_LIMIT = 500
IMAGE_LIMIT = 64 * 1024  # bytes of one embedded image
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"}
COLUMNS = ("text", "image", "overlay")


class Inputs:
    """An inputs file: ``id`` plus ``text`` and/or ``image`` (and optional ``overlay``).

    Image paths are relative to the file's folder; images are embedded as data URIs.
    """

    def __init__(self, path: str, id_column: str = "id") -> None:
        table = read_table(path, string_columns=(id_column, *COLUMNS))
        if id_column not in table.column_names:
            raise InputError(f"no id column {id_column!r}", file=path)
        present = [c for c in COLUMNS if c in table.column_names]
        if not present:
            raise InputError("no 'text', 'image' or 'overlay' column", file=path)
        self.path = path
        self.folder = Path(path).resolve().parent
        self._ids = table.column(id_column).cast(pa.string()).combine_chunks()
        self._row = {value: i for i, value in enumerate(self._ids.to_pylist())}
        self._columns = {c: table.column(c) for c in present}
        self.skipped: list[str] = []

    def get(self, item_id: str) -> dict[str, Any]:
        row = self._row.get(item_id)
        if row is None:
            return {}
        found: dict[str, Any] = {}
        for name, column in self._columns.items():
            value = column[row].as_py()
            if value is None or value == "":
                continue
            found[name] = str(value)[:TEXT_LIMIT] if name == "text" else self._image(str(value))
        return found

    def texts(self, ids: pa.Array) -> pa.Array | None:
        """The whole text of each of ``ids`` (n,), null where an id has none; None
        without a text column."""
        if "text" not in self._columns:
            return None
        where = pc.index_in(ids.cast(pa.string()), value_set=self._ids)
        return self._columns["text"].combine_chunks().take(where)

    def _image(self, relative: str) -> str | None:
        path = (self.folder / relative).resolve()
        kind = mimetypes.guess_type(path.name)[0]
        if kind not in IMAGE_TYPES or not path.is_file():
            self.skipped.append(f"{relative}: not an image file")
            return None
        data = path.read_bytes()
        if len(data) > IMAGE_LIMIT:
            self.skipped.append(f"{relative}: larger than {IMAGE_LIMIT // 1024} KB")
            return None
        return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
