"""The fix path's steps, in order, and the refusals that need no Redis."""

from __future__ import annotations

import msgspec

from dashboard.api.fix_path import (
    BATCH_PATH,
    OSMAND_PATH,
    BatchReport,
    FixPathConfig,
    OsmandReport,
    Refusal,
    run_path,
)
from dashboard.api.ingest import IngestLimits

CONFIG = FixPathConfig(
    redis=None,  # type: ignore[arg-type]  # every case here is refused before Redis
    limits=IngestLimits(max_future_s=60, max_age_s=86_400),
    max_batch_items=2,
    retention_s=3600,
)


def test_each_path_reads_decode_resolve_validate_append():
    assert [step.__name__ for step in BATCH_PATH] == [
        "decode_batch_body",
        "resolve_token",
        "validate_batch",
        "append_batch",
    ]
    assert [step.__name__ for step in OSMAND_PATH] == [
        "decode_osmand",
        "resolve_identifier",
        "validate_osmand",
        "append_osmand",
    ]


def test_a_body_that_is_no_batch_is_refused_before_the_token_is_looked_up():
    refusal = run_path(BATCH_PATH, CONFIG, BatchReport(token="t", body=b'{"fix": []}'))
    assert refusal is not None and (refusal.status, refusal.code) == (400, "bad_request")
    assert refusal.message.startswith("请求体不是合法的定位批次")


def test_a_batch_over_the_limit_is_refused_whether_its_items_are_valid_or_not():
    good = {"lat": 34.7, "lon": 113.6, "ts": 1.0}
    for items in ([good] * 3, [good, good, {"lat": 200}]):
        body = msgspec.json.encode({"fixes": items})
        assert run_path(BATCH_PATH, CONFIG, BatchReport(token="t", body=body)) == Refusal(
            413, "too_many_items", "一批最多 2 条，实际 3 条"
        )


def test_an_osmand_query_without_position_is_a_bad_request():
    report = OsmandReport(
        is_json=False, read_json=dict, read_params=lambda: {"id": "sim-1", "lat": "34.7"}
    )
    assert run_path(OSMAND_PATH, CONFIG, report) == Refusal(
        400, "bad_request", "lat/lon: both are required"
    )
