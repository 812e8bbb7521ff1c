"""reportgen: a classifier's labels and scores in, one self-contained HTML report out."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["evaluate", "evaluate_files", "evaluate_arrays", "Evaluation", "InputError", "__version__"]

# The public names load their modules (numpy, pyarrow) on first use, so that a process
# needing only part of the package, such as the chart renderer, starts quickly.
_HOMES = {"evaluate": "reportgen.api", "evaluate_files": "reportgen.api", "evaluate_arrays": "reportgen.api",
          "Evaluation": "reportgen.evaluation", "InputError": "reportgen.errors"}

if TYPE_CHECKING:
    from reportgen.api import evaluate, evaluate_arrays, evaluate_files
    from reportgen.errors import InputError
    from reportgen.evaluation import Evaluation


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'reportgen' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
