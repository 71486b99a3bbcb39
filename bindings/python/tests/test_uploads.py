"""What the binding records reaches the server: arm metrics (record, measure) in
GET /api/v1/flags/{key}/metrics, and shadow tallies in GET /api/v1/flags/{key}/shadow equal to
the report the Rust SDK produced for the same runs (the conformance file's shadow suites)."""

from __future__ import annotations

import time

import pytest

import cutover
from cutover_served import CutoverServer
from test_conformance import run_suite


def test_record_and_measure_are_uploaded(server: CutoverServer, sdk_token: str, flag_key: str) -> None:
    server.create_flag(flag_key, 50)
    client = cutover.Client.connect(server.url, sdk_token, counters=["invalid_json"])
    try:
        client.record(flag_key, "legacy", 0.004)
        client.record(flag_key, "legacy", 0.006, error=True)
        client.record(flag_key, "new", 0.002, fallback=True, counters={"invalid_json"})
        client.flag(flag_key).record("new", 0.003, retry=True, counters={"invalid_json": False})
        with client.measure(flag_key, "new") as m:
            time.sleep(0.02)
            m.count("invalid_json")
        with pytest.raises(KeyError):
            with client.measure(flag_key, "new"):
                raise KeyError("the exception inside counts as an error")
        with client.measure(flag_key, "legacy", error_on_exception=False) as m:
            m.error()
        assert client.flush() == 0
    finally:
        client.close()
    metrics = server.call("GET", f"/flags/{flag_key}/metrics")
    legacy, new = metrics["legacy"], metrics["new"]
    assert (legacy["calls"], legacy["errors"]) == (3, 2)
    assert (new["calls"], new["errors"], new["fallbacks"], new["retries"]) == (4, 1, 1, 1)
    assert new["counters"]["invalid_json"]["count"] == 2
    # The measured call took at least 20 ms: the p99 of four calls is that one.
    assert new["latency_ms"]["p99"] >= 19


def test_shadow_tallies_on_the_server_equal_the_rust_sdks(
    server: CutoverServer, sdk_token: str, conformance: dict
) -> None:
    for suite in conformance["shadows"]:
        server.create_flag(suite["flag"], 100)
    client = cutover.Client.connect(server.url, sdk_token, metrics_interval=300)
    try:
        for suite in conformance["shadows"]:
            run_suite(client, suite)
    finally:
        assert client.close() == 0
    for suite in conformance["shadows"]:
        got = server.call("GET", f"/flags/{suite['flag']}/shadow")
        expected = suite["report"]
        for count in ("runs", "compared", "new_errors", "new_panics", "timeouts"):
            assert got[count] == expected[count], (suite["flag"], count)
        assert got["tally"] == expected["tally"], suite["flag"]
        key = lambda m: (m["path"], str(m["context"]))  # noqa: E731
        assert sorted(got["mismatches"], key=key) == sorted(expected["mismatches"], key=key)
        # The per-field view the API adds agrees with the tallies.
        for path, field in expected["tally"]["fields"].items():
            assert got["fields"][path]["agreed"] == field["agreed"]
