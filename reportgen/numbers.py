"""How every view prints a number: one rule for counts, one for ratios.

The page, the index, the email, the Markdown summary and the notebook view all print
through these two functions (the page's script has the same two, ``countText`` and
``fmt`` in templates/report.js), so a count reads ``20,000`` and a ratio ``0.953``
wherever it appears.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

RATIO_DIGITS = 3  # decimals of a ratio (a share, a score, an area) everywhere
MISSING = "—"


def format_count(value: Any, digits: int = 0) -> str:
    """A count (or a sum of weights) with thousands separators and ``digits`` decimals
    (``inputs.count_digits``: 0 unless weighted by fractional weights); halves rounded up,
    as JavaScript's ``toFixed`` rounds the same binary value. ``—`` for null."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    exact = Decimal(float(value))  # the binary value itself, as toFixed rounds it
    return format(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP), f",.{digits}f")


def format_ratio(value: Any, digits: int = RATIO_DIGITS) -> str:
    """A ratio (or any value on a ratio's scale: an area, a score, a loss) with ``digits``
    decimals and a true minus sign; ``—`` for null or not finite."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    return f"{float(value):.{digits}f}".replace("-", "−")
