"""Shared test helpers: running the command line in a subprocess."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run_reportgen(*args: str | os.PathLike[str], cwd: str | os.PathLike[str] | None = None,
                  timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``python -m reportgen ARGS`` in a fresh interpreter; text output captured."""
    return subprocess.run(
        [sys.executable, "-m", "reportgen", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=timeout,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """The command line as a function: ``cli("build", "--labels", ...)``."""
    return run_reportgen


def assert_json_close(a: Any, b: Any, where: str = "", close: Callable[[str, float, float], bool] | None = None) -> None:
    """Equal JSON values, walked key by key; two floats pass when ``close(where, a, b)`` says
    so (default: equal)."""
    if isinstance(a, dict):
        assert set(a) == set(b), where
        for key in a:
            assert_json_close(a[key], b[key], f"{where}.{key}", close)
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_json_close(x, y, f"{where}[{i}]", close)
    elif isinstance(a, float) and isinstance(b, float) and close is not None:
        assert close(where, a, b), f"{where}: {a!r} != {b!r}"
    else:
        assert a == b and type(a) is type(b), f"{where}: {a!r} != {b!r}"
