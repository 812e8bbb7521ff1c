"""A progress bar on stderr for long builds: quiet unless stderr is a terminal."""
from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 28
DELAY = 2.0  # seconds before the bar appears: short builds print nothing


class Progress:
    """``update(done, total)`` while counting rows, ``stage(name)`` for later steps, ``close()``."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None, delay: float = DELAY) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.delay = delay
        self.start = time.monotonic()
        self.shown = False
        self.last = 0.0

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.start < self.delay or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        share = min(1.0, done / total) if total else 1.0
        bar = "#" * int(share * WIDTH)
        self._write(f"reading and counting [{bar:<{WIDTH}}] {share:4.0%}  {done:,} rows  {now - self.start:.1f} s")

    def stage(self, name: str) -> None:
        if self.enabled and (self.shown or time.monotonic() - self.start >= self.delay):
            self._write(f"{name} ... {time.monotonic() - self.start:.1f} s")

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False

    def _write(self, text: str) -> None:
        self.stream.write("\r\x1b[2K" + text)
        self.stream.flush()
        self.shown = True
