"""Examples behind each confusion-matrix cell, most confident first, capped.

Unlike the metrics, this looks at the examples themselves (it lists them): ``Selection``
is a combiner over chunks of them (``reportgen.chunks``) that keeps each cell's most
confident examples (ties by id) and counts them all, so its result does not depend on how
the rows were cut or ordered.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pyarrow as pa

from reportgen.analysis.lists import TopList, first_per_group
from reportgen.chunks import Chunk
from reportgen.hashing import id_text
from reportgen.inputs import Inputs
from reportgen.rows import pick
from reportgen.stats import predicted_classes

MULTILABEL_CANDIDATES = 5000  # multilabel: each class's most confident decided examples considered
OTHER_PER_CELL = 5  # examples kept for each cell of a compact matrix's "other" row and column


class Selection:
    """Combiner of the ``selection`` section of the chunks' first model.

    ``thresholds`` (classes,) holds each class's decision threshold. ``shown``: the
    classes a compact confusion matrix shows (its ``shown.index``); every other class is
    drawn in one "other" row and column, and each cell of that row and column keeps its
    OTHER_PER_CELL most confident examples beyond the ``total`` budget (listed in the real
    cells they belong to), so that a click on it in the page lists some.

    Single-label: each cell (actual, predicted) keeps its first max(per_cell,
    OTHER_PER_CELL) examples by confidence (its predicted class's score; without scores
    all tie), ties by id. Multilabel: each class keeps its MULTILABEL_CANDIDATES most
    confident decided examples (with their label sets); a cell (label i, decided j) lists
    the first of those labeled i.
    """

    def __init__(self, classes: tuple[str, ...], multilabel: bool, thresholds: Sequence[float], per_cell: int,
                 total: int, shown: list[int] | None = None):
        self.classes = tuple(classes)
        self.multilabel = multilabel
        self.cuts = np.asarray(thresholds, dtype=np.float64)
        self.per_cell, self.total, self.shown = per_cell, total, shown
        self.co_counts = np.zeros((len(classes), len(classes)), dtype=np.int64)  # multilabel: (label, decided)
        if multilabel:
            keep = MULTILABEL_CANDIDATES
        else:
            keep = max(per_cell, OTHER_PER_CELL) if shown is not None else per_cell
        self.kept = TopList(self.classes, keep)

    def add(self, chunk: Chunk) -> None:
        """Offer the chunk's rows to the kept lists (a full cell turns away rows it would not keep)."""
        ex = chunk.main
        k = len(self.classes)
        if self.multilabel:
            decided = predicted_classes(ex, self.cuts)
            for j in range(k):
                rows = np.flatnonzero(decided[:, j])
                self.co_counts[:, j] += np.count_nonzero(ex.y_multi[rows], axis=0)
                score = ex.y_score[rows, j] if ex.has_scores else np.zeros(len(rows))
                ids = ex.ids.take(pa.array(rows, pa.int64()))
                top = first_per_group(np.zeros(len(rows), dtype=np.int64), -score, id_text(ids), self.kept.limit)
                rows, score, ids = rows[top], score[top], ids.take(pa.array(top, pa.int64()))
                self.kept.offer(ids, -score, {
                    "truth": ex.y_multi[rows],
                    "scores": ex.y_score[rows] if ex.has_scores else np.full((len(rows), k), np.nan),
                }, group=np.full(len(rows), j))
        else:
            predicted = predicted_classes(ex, self.cuts)
            if ex.has_scores:
                p_actual, p_predicted = pick(ex.y_score, ex.y_true), pick(ex.y_score, predicted)
            else:  # no confidence to rank by: each cell lists its examples in id order
                p_actual = p_predicted = np.full(ex.n_examples, np.nan)
            confidence = p_predicted if ex.has_scores else np.zeros(ex.n_examples)
            self.kept.offer(ex.ids, -confidence, {"p_actual": p_actual, "p_predicted": p_predicted},
                            group=ex.y_true.astype(np.int64) * k + predicted)

    def merge(self, other: "Selection") -> "Selection":
        self.co_counts += other.co_counts
        self.kept.merge(other.kept)
        return self

    def section(self, inputs: Inputs | None = None) -> dict[str, Any]:
        """The ``selection`` section: for each non-empty cell, its count and capped examples."""
        k = len(self.classes)
        groups = self.kept.groups()
        reserved: dict[int, np.ndarray] = {}
        if self.multilabel:
            picks = self._multilabel_picks(groups)
        else:
            picks = [(g // k, g % k, rows[: self.per_cell], count) for g, rows, count in groups]
            if self.shown is not None:
                reserved = self._other_rows(groups)
        picks.sort(key=lambda p: (p[0] == p[1], -len(p[2])))  # mistakes first, then cells listing more
        cells, budget = [], self.total
        for actual, predicted, rows, count in picks:
            kept = rows[: max(budget, 0)]
            budget -= len(kept)
            extra = reserved.get(actual * k + predicted)
            rows = kept if extra is None else rows[np.isin(rows, np.union1d(kept, extra))]
            cells.append({
                "actual": self.classes[actual],
                "predicted": self.classes[predicted],
                "count": int(count),
                "examples": [self._example(inputs, r, actual, predicted) for r in rows],
            })
        return {"threshold": float(self.cuts.max()) if self.cuts.min() == self.cuts.max() else None,
                "max_per_cell": self.per_cell, "max_total": self.total, "cells": cells}

    def _other_rows(self, groups) -> dict[int, np.ndarray]:
        """Rows kept for the "other" row and column: in each cell of the folded matrix with
        an "other" side, its OTHER_PER_CELL most confident kept rows (each real cell keeps at
        least that many, so these are the folded cell's first); by real cell."""
        k, shown = len(self.classes), self.shown
        fold = np.full(k, len(shown), dtype=np.int64)
        fold[np.asarray(shown, dtype=np.int64)] = np.arange(len(shown))
        real = np.array([g for g, _, _ in groups], dtype=np.int64)
        folded = fold[real // k] * (len(shown) + 1) + fold[real % k]
        other = (fold[real // k] == len(shown)) | (fold[real % k] == len(shown))
        if not other.any():
            return {}
        rows = np.concatenate([groups[i][1] for i in np.flatnonzero(other)])
        cell_of = np.concatenate([np.full(len(groups[i][1]), folded[i]) for i in np.flatnonzero(other)])
        ids = self.kept.ids.take(pa.array(rows, pa.int64()))
        chosen = rows[first_per_group(cell_of, self.kept.key[rows], ids, OTHER_PER_CELL)]
        real_of = self.kept.group[chosen]
        return {int(c): np.sort(chosen[real_of == c]) for c in np.unique(real_of)}

    def _multilabel_picks(self, groups) -> list:
        picks = []
        truth = self.kept.columns.get("truth")
        for j, rows, _ in groups:
            for i in np.flatnonzero(self.co_counts[:, j]):
                members = rows[truth[rows, i]][: self.per_cell]
                picks.append((int(i), j, members, int(self.co_counts[i, j])))
        return picks

    def _example(self, inputs: Inputs | None, row: int, actual: int, predicted: int) -> dict[str, Any]:
        item_id = self.kept.ids[int(row)].as_py()
        found = inputs.get(item_id) if inputs is not None else {}
        if self.multilabel:
            p_actual, p_predicted = (self.kept.columns["scores"][row, c] for c in (actual, predicted))
        else:
            p_actual, p_predicted = self.kept.columns["p_actual"][row], self.kept.columns["p_predicted"][row]
        return {
            "id": item_id,
            "p_actual": round(float(p_actual), 4) if np.isfinite(p_actual) else None,
            "p_predicted": round(float(p_predicted), 4) if np.isfinite(p_predicted) else None,
            **{key: value for key, value in found.items() if value},  # text, image, overlay when given
        }

