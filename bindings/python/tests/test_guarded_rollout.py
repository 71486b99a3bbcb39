"""A guarded rollout driven end to end by a Python service: the example routing service
(examples/python) records each arm's calls through the binding while `cutover serve`'s guard
judges them. A new router failing five times as often is rolled back within 30 s; with equal
error rates the plan completes. Plan and timings as crates/cutover-cli/tests/guarded_rollout.rs:
three steps with 5 s bakes, 100 calls per arm per step at least."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import cutover
from routing_service import FLAG, KeywordRouter, RoutingService, TriggerRouter, traffic
from cutover_served import CutoverServer

PLAN = {"steps": [{"percent": p, "bake": 5, "min_samples": 100} for p in (10, 50, 100)]}


@pytest.fixture
def served(cutover_bin: str, tmp_path: Path) -> Iterator[CutoverServer]:
    server = CutoverServer(cutover_bin, tmp_path)
    try:
        server.create_flag(FLAG, 0)
        yield server
    finally:
        server.stop()


class Load:
    """The routing service under steady traffic on a thread of its own, until stopped."""

    def __init__(self, service: RoutingService):
        self.service = service
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        seed = 0
        while not self.stop.is_set():
            traffic(self.service, requests=200, rate=800, seed=seed)
            seed += 1

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


def wait_for_run(served: CutoverServer, seconds: float, done) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        flag = served.flag(FLAG)
        if done(flag.get("run") or {}):
            return flag
        assert time.monotonic() < deadline, f"timed out; the flag is {flag}"
        time.sleep(0.1)


def rollout(served: CutoverServer, legacy_error: float, new_error: float, seconds: float) -> tuple:
    token = served.create_token("routing-service", "sdk")
    with cutover.Client.connect(served.url, token, metrics_interval=1.0) as client:
        service = RoutingService(client, KeywordRouter(legacy_error), TriggerRouter(new_error))
        load = Load(service)
        try:
            started = time.monotonic()
            served.call("POST", f"/flags/{FLAG}/rollout/start", json={"plan": PLAN})
            flag = wait_for_run(served, seconds, lambda run: run.get("status") != "running")
            took = time.monotonic() - started
        finally:
            load.close()
    return flag, took


def test_a_new_path_failing_five_times_as_often_is_rolled_back(served: CutoverServer) -> None:
    flag, took = rollout(served, legacy_error=0.02, new_error=0.10, seconds=30)
    print(f"rolled back {took:.1f} s after the start")
    assert flag["run"]["status"] == "breached", flag
    assert flag["rollout_percent"] == 0
    audit = served.call("GET", f"/audit?flag={FLAG}")
    rollback = next(e for e in audit if e["action"] == "rollout.rollback")
    assert rollback["actor"] == "guard"
    assert "new.error_rate <= legacy.error_rate: fail" in rollback["reason"]


def test_equal_error_rates_complete_the_plan(served: CutoverServer) -> None:
    flag, took = rollout(served, legacy_error=0.02, new_error=0.02, seconds=40)
    print(f"completed {took:.1f} s after the start")
    assert (flag["run"]["status"], flag["rollout_percent"]) == ("completed", 100), flag
    actions = [e["action"] for e in served.call("GET", f"/audit?flag={FLAG}") if e["actor"] == "guard"]
    assert sorted(actions) == ["rollout.advance", "rollout.advance", "rollout.complete"]
    # The shadow comparison ran while the legacy router served, and reached the server.
    shadow = served.call("GET", f"/flags/{FLAG}/shadow")
    assert shadow["runs"] > 0 and "selected_agent" in shadow["fields"]
