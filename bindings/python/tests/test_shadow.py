"""Shadow runs from Python, synchronous and asyncio: the legacy result is always returned, the
new path gets the read-only marker, and its value, exception, panic or timeout is counted as the
Rust SDK counts it; sampling is the SDK's (sticky per context)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

import cutover

FLAG = {"key": "routing", "enabled": True, "stage": "production", "rollout_percent": 100,
        "killed": False, "stickiness": "user_id", "version": 1}


@pytest.fixture
def client(tmp_path: Path) -> cutover.Client:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps({"flags": [FLAG]}))
    return cutover.Client.offline(path, env={})


def counts(client: cutover.Client) -> tuple:
    r = client.shadow_report("routing")
    return r["runs"], r["compared"], r["new_errors"], r["new_panics"], r["timeouts"]


def test_outcomes_of_a_synchronous_new_path(client: cutover.Client) -> None:
    seen = []

    def new_ok(read_only):
        seen.append(read_only)
        return {"agent": "docs"}

    def new_raises(read_only):
        raise ConnectionError("upstream down")

    def new_slow(read_only):
        time.sleep(0.05)
        return {"agent": "docs"}

    def new_panics(read_only):
        cutover._native._panic_for_tests("boom")

    legacy = lambda: {"agent": "docs"}  # noqa: E731
    ctx = {"user_id": "u1"}
    assert client.shadow("routing", ctx, legacy=legacy, new=new_ok) == {"agent": "docs"}
    assert seen == [cutover.READ_ONLY]
    assert client.shadow("routing", ctx, legacy=legacy, new=new_raises) == {"agent": "docs"}
    assert client.shadow("routing", ctx, legacy=legacy, new=new_slow, timeout=0.01) == {"agent": "docs"}
    assert client.shadow("routing", ctx, legacy=legacy, new=new_panics) == {"agent": "docs"}
    # A value that is not JSON counts as an error of the new path.
    assert client.shadow("routing", ctx, legacy=legacy, new=lambda r: object()) == {"agent": "docs"}
    assert counts(client) == (5, 1, 2, 1, 1)


def test_an_exception_of_the_legacy_path_is_the_callers(client: cutover.Client) -> None:
    def legacy():
        raise LookupError("legacy failed")

    with pytest.raises(LookupError):
        client.shadow("routing", {"user_id": "u1"}, legacy=legacy, new=lambda r: 1)
    assert counts(client) == (0, 0, 0, 0, 0)


def test_outcomes_of_an_asyncio_new_path(client: cutover.Client) -> None:
    async def legacy():
        await asyncio.sleep(0.001)
        return {"c": [1, 2]}

    async def new_ok(read_only):
        assert read_only is cutover.READ_ONLY
        return {"c": [2, 1]}

    async def new_hangs(read_only):
        await asyncio.sleep(10)

    async def new_raises(read_only):
        raise TimeoutError("its own timeout, not the shadow's")

    async def main() -> list:
        ctx = {"user_id": "u1"}
        unordered = {"fields": {"c": {"rule": "unordered"}}}
        started = time.perf_counter()
        results = [
            await client.shadow_async("routing", ctx, legacy=legacy, new=new_ok, compare=unordered),
            await client.shadow_async("routing", ctx, legacy=legacy, new=new_hangs, timeout=0.05),
            await client.shadow_async("routing", ctx, legacy=legacy, new=new_raises),
            # Plain callables are fine too.
            await client.shadow_async("routing", ctx, legacy=lambda: {"c": [1, 2]},
                                       new=lambda r: {"c": [1, 2]}),
        ]
        assert time.perf_counter() - started < 2, "the hanging new path was cancelled"
        return results

    assert asyncio.run(main()) == [{"c": [1, 2]}] * 4
    report = client.shadow_report("routing")
    assert counts(client) == (4, 2, 1, 0, 1)
    assert report["tally"]["cases_agreed"] == 2


def test_sampling_is_sticky_and_takes_the_share_asked(client: cutover.Client) -> None:
    calls = []
    for i in range(2000):
        client.shadow("routing", {"user_id": f"u{i}"}, legacy=lambda: 1,
                      new=lambda r, i=i: calls.append(i) or 1, sample=10)
    assert 150 < len(calls) < 250, len(calls)
    again = []
    for i in calls[:50]:
        client.shadow("routing", {"user_id": f"u{i}"}, legacy=lambda: 1,
                      new=lambda r, i=i: again.append(i) or 1, sample=10)
    assert again == calls[:50], "the same users are shadowed again"
    assert client.shadow_report("routing")["runs"] == len(calls) + 50
