"""A seeded hash of row ids: which bootstrap group each row falls in, the same in every
engine, chunk and row order.

Ids are hashed as the text the join compares (integers as their decimal digits), so
``7`` from a Parquet integer column and ``"7"`` from a CSV fall in the same group. The
hash is DuckDB's ``hash(text, seed)`` (a runtime dependency already; multi-threaded and
about 20 times faster than hashing bytes with NumPy): the DuckDB engine computes it in
its query (``group_sql``), the others on each batch of ids (``row_groups``), so every
engine assigns every row the same group. Groups depend on the seed and on the installed
DuckDB's hash function, never on the data's order.
"""
from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_local = threading.local()


def group_sql(id_text_sql: str, seed: int, n_groups: int) -> str:
    """The SQL expression of a row's group, given the SQL of its id as text."""
    return f"CAST(hash({id_text_sql}, {int(seed)}::UBIGINT) % {int(n_groups)} AS INTEGER)"


def id_text(ids: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Ids as the join compares them: text (integers as decimal digits), one chunk."""
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    if pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type):
        return ids
    return pc.cast(ids, pa.string())


def row_groups(ids: pa.Array | pa.ChunkedArray, seed: int, n_groups: int) -> np.ndarray:
    """(rows,) int32 in [0, n_groups): each row's group, from its id and ``seed`` alone
    (``group_sql``'s value, computed on a batch of ids)."""
    return hash_groups(id_hashes(ids, seed), n_groups)


def id_hashes(ids: pa.Array | pa.ChunkedArray, seed: int) -> np.ndarray:
    """(rows,) uint64: each id's seeded hash (the one ``row_groups`` reduces modulo the
    groups), from its text and ``seed`` alone."""
    if len(ids) == 0:
        return np.empty(0, dtype=np.uint64)
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    integer = pa.types.is_integer(ids.type)  # cast to text by DuckDB itself: faster than Arrow's cast
    con = _connection()
    con.register("reportgen_ids", pa.table({"i": ids if integer else id_text(ids)}))
    try:
        text = "CAST(i AS VARCHAR)" if integer else "i"
        out = con.sql(f"SELECT hash({text}, {int(seed)}::UBIGINT) AS h FROM reportgen_ids").fetchnumpy()
    finally:
        con.unregister("reportgen_ids")
    return np.asarray(out["h"], dtype=np.uint64)


def hash_groups(hashes: np.ndarray, n_groups: int) -> np.ndarray:
    """(rows,) int32: the groups of rows whose ``id_hashes`` are ``hashes``, the same as
    ``row_groups`` gives (for a caller that hashes a chunk once and groups parts of it)."""
    return (hashes % np.uint64(n_groups)).astype(np.int32)


def _connection():
    """One in-memory DuckDB connection per thread."""
    con = getattr(_local, "con", None)
    if con is None:
        import duckdb

        con = _local.con = duckdb.connect()
    return con
