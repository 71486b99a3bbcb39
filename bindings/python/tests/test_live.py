"""A client connected to a real `cutover serve`: it follows changes, calls on_change callbacks
(which may call the client back, raise, or panic in Rust without stopping the stream), reports
its status, and closes (also as a context manager)."""

from __future__ import annotations

import logging
import threading
import time

import pytest

import cutover
from cutover_served import CutoverServer


def wait_for(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_connected_client_follows_changes(server: CutoverServer, sdk_token: str, flag_key: str) -> None:
    server.create_flag(flag_key, 0)
    with cutover.Client.connect(server.url, sdk_token) as client:
        status = client.status()
        assert status.connected and status.staleness == 0.0 and not status.closed
        assert status.seq > 0
        assert not client.is_new(flag_key, {"user_id": "u1"})
        handle = client.flag(flag_key)
        assert handle.key == flag_key and not handle.is_new({"user_id": "u1"})

        server.set_rollout(flag_key, 100)
        wait_for(lambda: client.is_new(flag_key, {"user_id": "u1"}))
        assert handle.is_new({"user_id": "u1"}), "the handle re-resolves after a change"
        decision = client.decide(flag_key, {"user_id": "u1"})
        assert (decision.variant, decision.reason) == ("new", "rollout")
        assert decision.flag_version == server.flag(flag_key)["version"]

        server.kill(flag_key)
        wait_for(lambda: client.decide(flag_key, {"user_id": "u1"}).reason == "kill_switch")
        assert not handle.is_new({"user_id": "u1"})
    assert client.closed and client.status().closed
    assert not client.status().connected


def test_on_change_sees_every_change(server: CutoverServer, sdk_token: str, flag_key: str) -> None:
    server.create_flag(flag_key, 0)
    client = cutover.Client.connect(server.url, sdk_token)
    seen: list[cutover.Change] = []
    try:
        @client.on_change
        def remember(change: cutover.Change) -> None:
            seen.append(change)

        assert callable(remember), "on_change returns the callback: usable as a decorator"
        server.set_rollout(flag_key, 25)
        server.set_rollout(flag_key, 50)
        wait_for(lambda: len([c for c in seen if c.key == flag_key]) >= 2)
        changes = [c for c in seen if c.key == flag_key]
        assert [c.kind for c in changes] == ["flag", "flag"]
        assert changes[0].seq < changes[1].seq and not changes[0].deleted
        assert client.status().seq >= changes[1].seq
    finally:
        client.close()


def test_callbacks_may_call_the_client_back_without_deadlock(
    server: CutoverServer, sdk_token: str, flag_key: str
) -> None:
    server.create_flag(flag_key, 0)
    client = cutover.Client.connect(server.url, sdk_token)
    answers: list[tuple] = []
    late: list[cutover.Change] = []

    def callback(change: cutover.Change) -> None:
        # Everything a callback might reasonably do with the client, on the stream thread.
        answers.append((
            client.is_new(flag_key, {"user_id": "u1"}),
            client.decide(flag_key, {"user_id": "u1"}).reason,
            client.flag(flag_key).is_new({"user_id": "u1"}),
            client.status().connected,
            client.shadow_report(flag_key)["runs"],
        ))
        client.record(flag_key, "legacy", 0.001)
        if len(answers) == 1:
            client.on_change(late.append)  # registering from a callback
        with pytest.raises(RuntimeError, match="on_change callback"):
            cutover.Client.connect(server.url, sdk_token, initial_timeout=0.1)

    client.on_change(callback)
    # The main thread keeps the GIL busy meanwhile: the stream thread must still get it.
    stop = threading.Event()
    spinner = threading.Thread(target=lambda: [client.is_new(flag_key) for _ in iter(stop.is_set, True)])
    spinner.start()
    try:
        server.set_rollout(flag_key, 100)
        wait_for(lambda: answers)
        server.set_rollout(flag_key, 0)
        wait_for(lambda: len(answers) >= 2 and late)
    finally:
        stop.set()
        spinner.join()
    assert answers[0][:3] == (True, "rollout", True), "a callback sees the change it is told of"
    assert answers[1][:3] == (False, "rollout", False)
    client.close()


def test_a_callback_may_close_the_client(server: CutoverServer, sdk_token: str, flag_key: str) -> None:
    server.create_flag(flag_key, 0)
    client = cutover.Client.connect(server.url, sdk_token)
    client.on_change(lambda change: client.close())
    server.set_rollout(flag_key, 100)
    wait_for(lambda: client.closed)
    wait_for(lambda: not client.status().connected)


def test_a_raising_callback_is_logged_and_the_stream_goes_on(
    server: CutoverServer, sdk_token: str, flag_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    server.create_flag(flag_key, 0)
    client = cutover.Client.connect(server.url, sdk_token)
    seen: list[int] = []

    def broken(change: cutover.Change) -> None:
        raise ValueError(f"broken callback saw {change.seq}")

    def panicking(change: cutover.Change) -> None:
        cutover._native._panic_for_tests("a panic in Rust under a callback")

    client.on_change(broken)
    client.on_change(panicking)
    client.on_change(lambda change: seen.append(change.seq))
    with caplog.at_level(logging.ERROR, logger="cutover"):
        server.set_rollout(flag_key, 10)
        wait_for(lambda: len(seen) >= 1)
        server.set_rollout(flag_key, 20)
        wait_for(lambda: len(seen) >= 2)
        wait_for(lambda: client.decide(flag_key, {"user_id": "u1"}).as_dict()["reason"]
                 .get("rollout_percent") == 20)
    raised = [r for r in caplog.records if "on_change callback" in r.getMessage()]
    assert len(raised) >= 4, [r.getMessage() for r in caplog.records]
    kinds = {type(r.exc_info[1]).__name__ for r in raised}
    assert kinds == {"ValueError", "PanicException"}, kinds
    assert client.status().connected
    client.close()


def test_close_flushes_and_stops(server: CutoverServer, sdk_token: str, flag_key: str) -> None:
    server.create_flag(flag_key, 0)
    client = cutover.Client.connect(server.url, sdk_token, metrics_interval=300)
    client.record(flag_key, "legacy", 0.002)
    assert client.close() == 0, "close uploads what was recorded"
    assert client.close() == 0, "closing twice is harmless"
    metrics = server.call("GET", f"/flags/{flag_key}/metrics")
    assert metrics["legacy"]["calls"] == 1
    # Evaluation goes on from the last flags; recording is refused, saying why.
    assert client.is_new(flag_key, {"user_id": "u1"}) is False
    with pytest.raises(cutover.ClosedError, match="closed"):
        client.record(flag_key, "new", 0.001)
    with pytest.raises(cutover.ClosedError):
        client.measure(flag_key, "new")
    # A shadow run after close runs the legacy path only.
    assert client.shadow(flag_key, {"user_id": "u1"}, legacy=lambda: 1, new=lambda ro: 2) == 1
    assert client.shadow_report(flag_key)["runs"] == 0


def test_a_cache_file_starts_a_client_when_the_server_is_gone(
    cutover_bin: str, tmp_path, flag_key: str
) -> None:
    served = CutoverServer(cutover_bin, tmp_path)
    cache = tmp_path / "flags.cache"
    try:
        served.create_flag(flag_key, 100)
        token = served.create_token("cache-test", "sdk")
        with cutover.Client.connect(served.url, token, cache_file=cache) as client:
            wait_for(cache.exists)
            assert client.is_new(flag_key, {"user_id": "u1"})
        url = served.url
    finally:
        served.stop()
    with cutover.Client.connect(url, token, cache_file=cache, initial_timeout=0.2) as client:
        assert client.is_new(flag_key, {"user_id": "u1"})
        status = client.status()
        assert not status.connected and status.staleness is not None


def test_connect_lets_other_threads_run_while_it_waits() -> None:
    # Nothing listens on port 9: connect waits its whole initial timeout for a first snapshot.
    counted = [0]
    stop = threading.Event()

    def count() -> None:
        while not stop.is_set():
            counted[0] += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        time.sleep(0.05)
        before = counted[0]
        with pytest.raises(cutover.ConnectError):
            cutover.Client.connect("http://127.0.0.1:9", "cut_x", initial_timeout=0.5)
        during = counted[0] - before
    finally:
        stop.set()
        counter.join()
    # Holding the GIL for those 0.5 s would have stopped the counter altogether.
    assert during > 10_000, during


def test_a_closed_client_whose_callback_refers_to_it_is_collected(
    server: CutoverServer, sdk_token: str, flag_key: str
) -> None:
    import gc
    import weakref

    client = cutover.Client.connect(server.url, sdk_token)
    # The default argument holds the client whatever happens to the name `client`.
    client.on_change(lambda change, held=client: held.is_new(flag_key))
    ref = weakref.ref(client)
    client.close()
    del client
    gc.collect()
    assert ref() is None, "the callback's reference cycle through the SDK is broken by close"
