"""Make the example label/score files from scikit-learn models on data it ships.

Run from the repository root: python examples/make_examples.py (needs scikit-learn; the
files it writes are committed, so building the example reports does not).
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent
SEED = 0


def rounded(p: np.ndarray) -> np.ndarray:
    return np.clip(np.round(p, 6), 0.0, 1.0)


def scores_frame(ids, p: np.ndarray, names) -> pd.DataFrame:
    return pd.DataFrame({"id": ids, **{str(n): rounded(p[:, j]) for j, n in enumerate(names)}})


def shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def png(pixels: np.ndarray) -> bytes:
    """A grayscale PNG of an array of 0..255 values (dark digit on white)."""
    height, width = pixels.shape
    raw = b"".join(b"\x00" + bytes(row) for row in pixels.astype(np.uint8))
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def binary() -> None:
    out = HERE / "binary"
    out.mkdir(exist_ok=True)
    data = load_breast_cancer()
    x, y = data.data, (data.target == 0).astype(int)  # 1 = malignant
    x_train, x_test, y_train, y_test, _, idx = train_test_split(
        x, y, np.arange(len(y)), test_size=0.3, random_state=SEED, stratify=y)
    ids = [f"bc-{i:04d}" for i in idx]
    new = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=1000)).fit(x_train, y_train)
    old = GaussianNB().fit(x_train[:, [1, 4, 9]], y_train)
    pd.DataFrame({"id": ids, "label": np.where(y_test == 1, "malignant", "benign")}).to_csv(out / "labels.csv", index=False)
    shuffled(scores_frame(ids, new.predict_proba(x_test)[:, [1]], ["malignant"]), 1).to_csv(out / "scores.csv", index=False)
    shuffled(scores_frame(ids, old.predict_proba(x_test[:, [1, 4, 9]])[:, [1]], ["malignant"]), 2).to_csv(
        out / "baseline_scores.csv", index=False)
    radius = x_test[:, 0]
    texture = pd.qcut(x_test[:, 1], 3, labels=["low", "mid", "high"]).astype(str)
    pd.DataFrame({"id": ids, "tumor_size": np.round(radius, 2), "texture_group": texture}).to_csv(
        out / "metadata.csv", index=False)


def multiclass() -> None:
    out = HERE / "multiclass"
    (out / "images").mkdir(parents=True, exist_ok=True)
    digits = load_digits()
    x, y = digits.data, digits.target
    x_train, x_test, y_train, y_test, _, idx = train_test_split(
        x, y, np.arange(len(y)), test_size=0.3, random_state=SEED, stratify=y)
    ids = [f"d-{i:04d}" for i in idx]
    names = [str(c) for c in range(10)]
    new = make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=2000)).fit(x_train, y_train)
    old = GaussianNB().fit(x_train, y_train)
    pd.DataFrame({"id": ids, "label": y_test.astype(str)}).to_csv(out / "labels.csv", index=False)
    shuffled(scores_frame(ids, new.predict_proba(x_test), names), 1).to_csv(out / "scores.csv", index=False)
    shuffled(scores_frame(ids, old.predict_proba(x_test), names), 2).to_csv(out / "baseline_scores.csv", index=False)
    for item, pixels in zip(ids, x_test):
        big = np.kron(pixels.reshape(8, 8), np.ones((4, 4)))
        (out / "images" / f"{item}.png").write_bytes(png(255 - big * 255 / 16))
    pd.DataFrame({"id": ids, "image": [f"images/{i}.png" for i in ids]}).to_csv(out / "inputs.csv", index=False)
    groups = np.array(["A", "B", "C"])[np.array(idx) % 3]
    pd.DataFrame({"id": ids, "ink": x_test.sum(axis=1).astype(int), "writer_group": groups}).to_csv(
        out / "metadata.csv", index=False)


CONCEPTS = {
    "even": lambda d: d % 2 == 0,
    "prime": lambda d: np.isin(d, [2, 3, 5, 7]),
    "big": lambda d: d >= 5,
    "round": lambda d: np.isin(d, [0, 6, 8, 9]),
    "straight": lambda d: np.isin(d, [1, 4, 7]),
}


def multilabel() -> None:
    out = HERE / "multilabel"
    out.mkdir(exist_ok=True)
    digits = load_digits()
    x, y = digits.data, digits.target
    x_train, x_test, y_train, y_test, _, idx = train_test_split(
        x, y, np.arange(len(y)), test_size=0.3, random_state=SEED, stratify=y)
    ids = [f"m-{i:04d}" for i in idx]
    truth = np.column_stack([f(y_test) for f in CONCEPTS.values()])
    columns = []
    for name, concept in CONCEPTS.items():
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.02, max_iter=2000))
        columns.append(model.fit(x_train, concept(y_train)).predict_proba(x_test)[:, 1])
    labels = ["|".join(n for n, t in zip(CONCEPTS, row) if t) for row in truth]
    pd.DataFrame({"id": ids, "labels": labels}).to_csv(out / "labels.csv", index=False)
    shuffled(scores_frame(ids, np.column_stack(columns), list(CONCEPTS)), 1).to_csv(out / "scores.csv", index=False)


def splits() -> None:
    out = HERE / "splits"
    out.mkdir(exist_ok=True)
    data = load_breast_cancer()
    x, y = data.data, (data.target == 0).astype(int)
    folds = np.zeros(len(y), dtype=int)
    for k, (_, test) in enumerate(StratifiedKFold(5, shuffle=True, random_state=SEED).split(x, y)):
        folds[test] = k + 1
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=1000))
    cv = [(np.flatnonzero(folds != k), np.flatnonzero(folds == k)) for k in range(1, 6)]
    p = cross_val_predict(model, x, y, cv=cv, method="predict_proba")[:, [1]]
    ids = [f"bc-{i:04d}" for i in range(len(y))]
    pd.DataFrame({"id": ids, "label": np.where(y == 1, "malignant", "benign"), "fold": folds}).to_csv(
        out / "labels.csv", index=False)
    scores_frame(ids, p, ["malignant"]).to_csv(out / "scores.csv", index=False)


def history() -> None:
    out = HERE / "history"
    out.mkdir(exist_ok=True)
    digits = load_digits()
    x, y = digits.data / 16.0, digits.target
    x_train, x_val, y_train, y_val = train_test_split(x, y, train_size=150, random_state=SEED, stratify=y)
    model = MLPClassifier(hidden_layer_sizes=(128,), alpha=0.0, learning_rate_init=0.01, random_state=SEED)
    rows = []
    for epoch in range(1, 41):
        model.partial_fit(x_train, y_train, classes=np.arange(10))
        for split, xs, ys in (("train", x_train, y_train), ("validation", x_val, y_val)):
            p = np.clip(model.predict_proba(xs), 1e-12, 1)
            rows.append({"epoch": epoch, "split": split,
                         "loss": round(float(-np.log(p[np.arange(len(ys)), ys]).mean()), 6),
                         "accuracy": round(float((p.argmax(1) == ys).mean()), 6)})
    pd.DataFrame(rows).to_csv(out / "history.csv", index=False)


if __name__ == "__main__":
    binary()
    multiclass()
    multilabel()
    splits()
    history()
