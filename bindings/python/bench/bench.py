"""Benchmarks of the Python binding beside its peers, in one run.

    python bench.py --cutover-bin target/release/cutover

Measures, per call, in this process: `client.is_new` by name and through `client.flag(name)`,
`client.record`, `client.measure` (a `with` block), UnleashClient's `is_enabled` (PyPI
`UnleashClient`, bootstrapped offline with an equivalent flag: a gradual rollout of 50 % on
userId, no server, metrics and registration off), the OFREP provider
(`openfeature-provider-ofrep`, one HTTP call per evaluation to a real `cutover serve`), and the
time a flag change takes to reach a connected client (change via the API, until `on_change`
and `is_new` see it), p50/p99/max over 100 changes. Every cutover figure is for a client
connected to the same server. Build the binding in release first (`maturin build --release`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import cutover  # noqa: E402
from served import Served  # noqa: E402

FLAG = "checkout"
USERS = [{"user_id": f"user-{i}"} for i in range(1000)]
UNLEASH_USERS = [{"userId": f"user-{i}"} for i in range(1000)]


def per_call(fns: dict, calls: int, rounds: int = 5) -> dict:
    """Nanoseconds per call of each `fn(k)` (k calls), the best of `rounds` rounds. Each round
    runs every function once, in turn, so a busy moment of the machine hits them alike."""
    best = {name: float("inf") for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            started = time.perf_counter_ns()
            fn(calls)
            best[name] = min(best[name], (time.perf_counter_ns() - started) / calls)
    return best


def bench_cutover(client: cutover.Client, calls: int) -> dict:
    handle = client.flag(FLAG)
    users = USERS
    n = len(users)

    def empty_loop(k: int) -> None:
        for i in range(k):
            users[i % n]

    def by_name(k: int) -> None:
        is_new = client.is_new
        for i in range(k):
            is_new(FLAG, users[i % n])

    def through_handle(k: int) -> None:
        is_new = handle.is_new
        for i in range(k):
            is_new(users[i % n])

    def record(k: int) -> None:
        rec = client.record
        for i in range(k):
            rec(FLAG, "new", 0.0012)

    def handle_record(k: int) -> None:
        rec = handle.record
        for i in range(k):
            rec("new", 0.0012)

    def measure(k: int) -> None:
        m = handle.measure
        for i in range(k):
            with m("legacy"):
                pass

    new_share = sum(client.is_new(FLAG, u) for u in users) / n
    results = per_call({
        "python loop overhead (index a list)": empty_loop,
        "cutover client.is_new(flag, ctx)": by_name,
        "cutover client.flag(flag).is_new(ctx)": through_handle,
        "cutover client.record(flag, arm, latency)": record,
        "cutover client.flag(flag).record(arm, latency)": handle_record,
        "cutover with flag.measure(arm)": measure,
    }, calls)
    results["_new_share"] = new_share
    return results


def bench_unleash(calls: int, workdir: Path) -> dict:
    from UnleashClient import UnleashClient
    from UnleashClient.cache import FileCache

    cache = FileCache("cutover-bench", directory=str(workdir / "unleash"))
    cache.bootstrap_from_dict({"version": 1, "features": [{
        "name": FLAG, "enabled": True, "strategies": [{
            "name": "flexibleRollout",
            "parameters": {"rollout": "50", "stickiness": "userId", "groupId": FLAG},
        }],
    }]})
    client = UnleashClient(url="http://127.0.0.1:9", app_name="cutover-bench",
                           disable_metrics=True, disable_registration=True, cache=cache)
    client.initialize_client(fetch_toggles=False)
    users = UNLEASH_USERS
    n = len(users)

    def is_enabled(k: int) -> None:
        enabled = client.is_enabled
        for i in range(k):
            enabled(FLAG, users[i % n])

    try:
        share = sum(client.is_enabled(FLAG, u) for u in users) / n
        # A hundredth of the calls: each takes about a hundred times as long.
        results = per_call({"UnleashClient is_enabled(flag, ctx) (offline, bootstrapped)":
                            is_enabled}, max(calls // 100, 100))
        results["_unleash_share"] = share
        return results
    finally:
        client.destroy()


def bench_ofrep(served: Served, token: str, calls: int) -> dict:
    from openfeature import api
    from openfeature.contrib.provider.ofrep import OFREPProvider
    from openfeature.evaluation_context import EvaluationContext

    api.set_provider(OFREPProvider(served.url,
                                   headers_factory=lambda: {"Authorization": f"Bearer {token}"}))
    of = api.get_client()
    contexts = [EvaluationContext(u["user_id"]) for u in USERS]
    n = len(contexts)
    assert of.get_boolean_details(FLAG, False, contexts[0]).error_code is None

    def evaluate(k: int) -> None:
        value = of.get_boolean_value
        for i in range(k):
            value(FLAG, False, contexts[i % n])

    try:
        return per_call({"OFREP provider get_boolean_value (HTTP per call)": evaluate}, calls, 3)
    finally:
        api.shutdown()


def bench_propagation(served: Served, client: cutover.Client, changes: int) -> dict:
    """Milliseconds from sending a change to the API until the client's on_change callback and
    is_new see it."""
    key = "propagation"
    served.create_flag(key, 0)
    user = {"user_id": "user-1"}
    deadline = time.monotonic() + 5
    while client.decide(key, user).reason == "flag_not_found":
        assert time.monotonic() < deadline, "the client never saw the flag"
        time.sleep(0.001)
    seen = threading.Event()
    seen_at = [0.0]

    @client.on_change
    def changed(change: cutover.Change) -> None:
        if change.key == key:
            seen_at[0] = time.perf_counter()
            seen.set()

    callback_ms, visible_ms = [], []
    for i in range(changes):
        percent = 100 if i % 2 == 0 else 0
        seen.clear()
        sent = time.perf_counter()
        served.set_rollout(key, percent)
        assert seen.wait(5), f"change {i} never reached the client"
        while client.is_new(key, user) != (percent == 100):
            time.sleep(0.0001)
        visible = time.perf_counter()
        callback_ms.append((seen_at[0] - sent) * 1000)
        visible_ms.append((visible - sent) * 1000)
        time.sleep(0.01)

    def quantiles(xs: list) -> dict:
        xs = sorted(xs)
        return {"p50": statistics.median(xs), "p99": xs[min(len(xs) - 1, int(len(xs) * 0.99))],
                "max": xs[-1]}

    return {"on_change": quantiles(callback_ms), "is_new": quantiles(visible_ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmarks of the cutover Python binding")
    parser.add_argument("--cutover-bin", default=os.environ.get("CUTOVER_BIN"),
                        help="the cutover binary to serve (default: $CUTOVER_BIN)")
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--ofrep-calls", type=int, default=2_000)
    parser.add_argument("--changes", type=int, default=100)
    args = parser.parse_args()
    if not args.cutover_bin:
        parser.error("name the cutover binary with --cutover-bin or CUTOVER_BIN")

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        # 100 changes in a few seconds: above the default change budget of a token.
        served = Served(args.cutover_bin, workdir, "--change-rate", "1000", "--change-burst", "1000")
        try:
            served.create_flag(FLAG, 50)
            token = served.create_token("bench", "sdk")
            with cutover.Client.connect(served.url, token, metrics_interval=300) as client:
                results = bench_cutover(client, args.calls)
                results.update(bench_unleash(args.calls, workdir))
                results.update(bench_ofrep(served, token, args.ofrep_calls))
                propagation = bench_propagation(served, client, args.changes)
        finally:
            served.stop()

    print(f"# Python {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} cores; best of 5 rounds of {args.calls} calls (Unleash "
          f"{max(args.calls // 100, 100)}, OFREP {args.ofrep_calls}, best of 3)")
    print(f"# share on the new path over 1000 users: cutover {results.pop('_new_share'):.3f}, "
          f"Unleash {results.pop('_unleash_share'):.3f}")
    width = max(len(k) for k in results)
    for name, ns in results.items():
        print(f"{name:<{width}}  {ns:10.0f} ns/call")
    for seen_by, q in propagation.items():
        print(f"change -> {seen_by:<9} over {args.changes} changes: p50 {q['p50']:.2f} ms, "
              f"p99 {q['p99']:.2f} ms, max {q['max']:.2f} ms")
    print(json.dumps({"results_ns": results, "propagation_ms": propagation}))


if __name__ == "__main__":
    main()
