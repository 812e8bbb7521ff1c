"""The page's figures made in a child process while this one finishes the report.

vl-convert keeps Python's global lock while it renders, so a thread cannot overlap it
with anything; a child process can. For a large input the CLI starts one before reading
the data: the child loads altair and vl-convert and warms the renderer up while the data
is read, receives the chart view as soon as the metrics exist, and draws the figures
while the bootstrap and the per-example analyses run here.

Whatever goes wrong in the child (it cannot start, dies, answers garbage, or was sent a
view other than the final report's), the figures are made in this process instead, so
the page is the same and errors surface the usual way.

Protocol: the parent writes one chart view as JSON to the child's stdin and closes it;
the child writes the figures as JSON to its stdout and exits.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from typing import Any

from reportgen.report.figures import LATE_KEYS, build_figures, chart_view, decision_figures


def _payload(view: dict[str, Any]) -> bytes:
    return json.dumps(view, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def _early(payload: bytes) -> bytes:
    """A sent view without the keys the examples' pass completes later."""
    view = json.loads(payload)
    return _payload({key: value for key, value in view.items() if key not in LATE_KEYS})


class FigureWorker:
    """One child process that makes the figures of one report."""

    def __init__(self, process: subprocess.Popen) -> None:
        self._process = process
        self._sent: bytes | None = None
        self._writer: threading.Thread | None = None

    @classmethod
    def start(cls) -> "FigureWorker | None":
        """A started worker, or None when no child process can be started."""
        command = [sys.executable, "-m", "reportgen.report.render_worker"]
        try:
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL)
        except OSError:
            return None
        return cls(process)

    def submit(self, report: dict[str, Any]) -> None:
        """Send the chart view of ``report`` (the first call only); the child draws meanwhile."""
        if self._sent is None:
            self._send(_payload(chart_view(report)))

    def figures(self, report: dict[str, Any]) -> dict[str, Any]:
        """The figures of ``report``: the child's when it drew this very view (or one that
        differs only in ``LATE_KEYS``: then the decisions' figures are made here), else
        every figure made here."""
        view = chart_view(report)
        payload = _payload(view)
        self._send(payload)
        if self._sent == payload:
            made = self._collect()
            return made if made is not None else build_figures(view)
        if _early(self._sent) == _early(payload):
            made = self._collect()
            if made is not None:
                return {**made, "decisions": decision_figures(view)}
        return build_figures(view)

    def close(self) -> None:
        """Stop the child if it still runs (a failed build never collects its figures)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def _send(self, payload: bytes) -> None:
        if self._sent is not None:
            return
        self._sent = payload
        # The child reads only once warmed up: a thread writes, so the caller goes on at once.
        self._writer = threading.Thread(target=self._write, args=(payload,), name="reportgen-figures", daemon=True)
        self._writer.start()

    def _write(self, payload: bytes) -> None:
        try:
            self._process.stdin.write(payload)
            self._process.stdin.close()
        except (OSError, ValueError):  # the child is gone: collecting notices
            pass

    def _collect(self) -> dict[str, Any] | None:
        self._writer.join()
        try:
            out = self._process.stdout.read()
        except (OSError, ValueError):
            return None
        if self._process.wait() != 0:
            return None
        try:
            made = json.loads(out)
        except ValueError:
            return None
        return made if isinstance(made, dict) and "charts" in made else None


def main() -> int:
    """The child: warm up, read one chart view from stdin, write its figures to stdout."""
    import importlib
    import os

    from reportgen.report import vega

    try:  # the parent's work is the critical path: on a busy machine it comes first
        os.nice(10)
    except (AttributeError, OSError):
        pass

    importlib.import_module("reportgen.report.charts")  # altair, while the parent reads
    vega.warm_up()
    vega.javascript_bundle()  # on the first run ever, cached on disk for the parent

    try:
        view = json.loads(sys.stdin.buffer.read())
    except ValueError:  # the parent stopped without sending anything
        return 1
    sys.stdout.buffer.write(_payload(build_figures(view)))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
