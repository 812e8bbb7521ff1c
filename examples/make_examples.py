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


def noisy() -> None:
    """Digits with 30 labels flipped on purpose, out-of-fold scores, a baseline and metadata."""
    out = HERE / "noisy"
    out.mkdir(exist_ok=True)
    digits = load_digits()
    x, y = digits.data, digits.target.copy()
    rng = np.random.default_rng(SEED)
    flipped = rng.choice(len(y), 30, replace=False)
    y[flipped] = (y[flipped] + rng.integers(1, 10, 30)) % 10
    ids = [f"n-{i:04d}" for i in range(len(y))]
    names = [str(c) for c in range(10)]
    scanner = np.where(np.arange(len(y)) % 7 == 0, "old-scanner", "new-scanner")
    old = scanner == "old-scanner"  # the old scanner adds noise: a truly weaker slice
    x = x.copy()
    x[old] = np.clip(x[old] + rng.normal(0.0, 6.0, x[old].shape), 0, 16)
    new = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    p_new = cross_val_predict(new, x, y, cv=5, method="predict_proba")
    p_old = cross_val_predict(GaussianNB(), x, y, cv=5, method="predict_proba")
    pd.DataFrame({"id": ids, "label": y.astype(str)}).to_csv(out / "labels.csv", index=False)
    scores_frame(ids, p_new, names).to_csv(out / "scores.csv", index=False)
    scores_frame(ids, p_old, names).to_csv(out / "baseline_scores.csv", index=False)
    ink = x.sum(axis=1)
    pd.DataFrame({"id": ids, "ink": ink.astype(int), "scanner": scanner}).to_csv(out / "metadata.csv", index=False)
    pd.DataFrame({"id": [ids[i] for i in sorted(flipped)]}).to_csv(out / "flipped_ids.csv", index=False)


def generative() -> None:
    """Next-character predictions of two small character models (trigram and unigram) trained on
    the first half of Python's own documentation strings and scored on the second half."""
    import pydoc

    out = HERE / "generative"
    out.mkdir(exist_ok=True)
    text = " ".join(pydoc.getdoc(obj) for obj in (str, list, dict, set, tuple, int, float, bytes, object, len))
    text = " ".join(text.split()).lower()
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    codes = np.array([index[c] for c in text])
    half = len(codes) // 2
    train, test = codes[:half], codes[half:]
    v = len(vocab)
    uni = np.bincount(train, minlength=v) + 1.0
    uni /= uni.sum()
    bi = np.full((v, v), 0.01)
    np.add.at(bi, (train[:-1], train[1:]), 1.0)
    bi /= bi.sum(axis=1, keepdims=True)
    tri = np.full((v, v, v), 0.01)
    np.add.at(tri, (train[:-2], train[1:-1], train[2:]), 1.0)
    tri /= tri.sum(axis=2, keepdims=True)
    tri = 0.5 * tri + 0.35 * bi[None, :, :] + 0.15 * uni  # interpolated: back off to shorter contexts
    context_a, context_b, target = test[:-2], test[1:-1], test[2:]
    rows = {"example_id": (np.arange(len(target)) // 80).astype(str), "target": [vocab[t] for t in target]}
    tri_p = tri[context_a, context_b]
    model = pd.DataFrame({**rows, "predicted": [vocab[i] for i in tri_p.argmax(axis=1)],
                          "logprob": np.round(np.log(tri_p[np.arange(len(target)), target]), 6)})
    base = pd.DataFrame({**rows, "predicted": vocab[int(uni.argmax())],
                         "logprob": np.round(np.log(uni[target]), 6)})
    model.to_csv(out / "tokens.csv", index=False)
    base.to_csv(out / "baseline_tokens.csv", index=False)
    (out / "VOCAB_SIZE").write_text(f"{v}\n")


if __name__ == "__main__":
    binary()
    multiclass()
    multilabel()
    splits()
    history()
    noisy()
    generative()
