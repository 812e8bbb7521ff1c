import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reportgen.hashing import group_sql, row_groups


def test_groups_follow_the_id_text_not_its_type_or_position():
    ids = np.array([0, 7, -7, 10, 123456789012345678, 2**62])
    as_int = row_groups(pa.array(ids), 3, 1000)
    as_text = row_groups(pc.cast(pa.array(ids), pa.string()), 3, 1000)
    assert as_int.tolist() == as_text.tolist()
    # the same id gets the same group wherever it sits and however the ids are chunked
    shuffled = row_groups(pa.chunked_array([pa.array(ids[::-1][:2]), pa.array(ids[::-1][2:])]), 3, 1000)
    assert shuffled.tolist() == as_int[::-1].tolist()
    # "007" is not "7": ids join as text
    assert any(len(set(row_groups(pa.array(["007", "7"]), seed, 1000).tolist())) == 2 for seed in range(3))


def test_groups_are_spread_and_depend_on_the_seed():
    ids = pa.array(np.arange(200_000))
    groups = row_groups(ids, 0, 100)
    assert groups.min() >= 0 and groups.max() < 100
    sizes = np.bincount(groups, minlength=100)
    assert sizes.min() > 1700 and sizes.max() < 2300  # 2,000 expected per group
    other = row_groups(ids, 1, 100)
    assert 0.0 < np.mean(groups == other) < 0.05


def test_the_sql_expression_is_the_same_function():
    import duckdb

    sql = group_sql("CAST(i AS VARCHAR)", 11, 977)
    got = duckdb.sql(f"SELECT {sql} FROM range(50) t(i) ORDER BY i").fetchnumpy()
    assert next(iter(got.values())).tolist() == row_groups(pa.array(np.arange(50)), 11, 977).tolist()


def test_no_ids():
    assert row_groups(pa.array([], pa.string()), 0, 10).shape == (0,)
