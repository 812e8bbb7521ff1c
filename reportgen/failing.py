"""The first element of an Arrow array that an Arrow operation refuses, found by halving.

Arrow's kernels (a cast from text to numbers, UTF-8 validation) fail for a whole array
without saying which element failed; error messages name the row. Halving the array
asks the same kernel about ever smaller slices (slices are views, not copies): about
2n elements in all, in log2(n) calls, whatever the kernel accepts, so the row found is
exactly the first one the kernel refuses.
"""
from __future__ import annotations

from typing import Callable

import pyarrow as pa

Check = Callable[[pa.Array], object]  # raises pa.ArrowException for a slice it refuses


def first_failing(array: pa.Array, check: Check) -> int | None:
    """The position of the first element of ``array`` (n,) for which ``check`` raises
    (``check`` is called on slices), or None when ``check`` accepts the whole array."""
    if _accepts(array, check):
        return None
    low, high = 0, len(array)  # the first refused element is in [low, high)
    while high - low > 1:
        middle = (low + high) // 2
        if _accepts(array.slice(low, middle - low), check):
            low = middle
        else:
            high = middle
    return low


def _accepts(array: pa.Array, check: Check) -> bool:
    try:
        check(array)
    except (pa.ArrowException, ValueError, UnicodeError):
        return False
    return True
