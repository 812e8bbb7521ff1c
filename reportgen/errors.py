"""The one exception type for bad input, carrying where the problem is."""
from __future__ import annotations


class InputError(Exception):
    """Bad input or bad usage: one line naming the file, column, row id or value.

    Only the command line turns this into a message on stderr and exit code 2;
    library callers catch it like any exception.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        column: str | None = None,
        row_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.column = column
        self.row_id = row_id

    def __str__(self) -> str:
        where = []
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.row_id is not None:
            where.append(f"row id {self.row_id!r}")
        text = self.message
        if where:
            text = f"{', '.join(where)}: {text}"
        if self.file is not None:
            text = f"{self.file}: {text}"
        return _printable(" ".join(text.split()))  # always one line


MAX_LENGTH = 400


def _printable(text: str) -> str:
    """Unprintable characters (from binary input) escaped, and a bounded length."""
    clean = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return clean if len(clean) <= MAX_LENGTH else clean[: MAX_LENGTH - 3] + "..."
