"""Shared test helpers: running the command line in a subprocess, comparing JSON, Chromium."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # Debian's package, driven by Playwright
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


def run_reportgen(*args: str | os.PathLike[str], cwd: str | os.PathLike[str] | None = None,
                  timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``python -m reportgen ARGS`` in a fresh interpreter; text output captured."""
    return subprocess.run(
        [sys.executable, "-m", "reportgen", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=timeout,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def write_frame(frame, path: Path) -> Path:
    """A pandas DataFrame written in the format ``path``'s suffix names (csv, tsv, jsonl/ndjson, parquet)."""
    suffix = path.suffix
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif suffix in (".jsonl", ".ndjson"):
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    elif suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    else:
        raise ValueError(suffix)
    return path


def softmax_scores(rng: np.random.Generator, y: np.ndarray, k: int, strength: float) -> np.ndarray:
    """A synthetic model: softmax of standard-normal logits, ``strength`` added to each row's
    true class (the draws come from ``rng``, so the same seed gives the same scores)."""
    logits = rng.normal(0.0, 1.0, (len(y), k))
    logits[np.arange(len(y)), y] += strength
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


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


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole run (skipped where Debian's chromium is missing,
    except in CI, which must run the browser tests)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium for the browser tests (apt-get install -y chromium)")
        pytest.skip("needs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
