"""A routing service cutting over from a legacy router to a new one, behind a cutover flag.

In the manner of a USE_ONEX_ROUTING_NODES rollout: the legacy ``KeywordRouter`` picks an agent
for a prompt by keyword; the new ``TriggerRouter`` does the same with tiered trigger matching
and a confidence of its own. Each request:

- asks cutover which router serves this user (``client.flag(...).is_new(ctx)``, local, ~1 us);
- times the serving router and records its outcome per arm (``client.measure``): the figures a
  guarded rollout's gates read (error rate, latency, fallbacks);
- falls back to the legacy router when the new one fails, and counts the fallback;
- while the legacy router serves, runs the new one in shadow on a sample of users and lets
  cutover compare the two decisions field by field (selected_agent and routing_policy exact,
  confidence within 0.05, candidates in any order, trace_id ignored).

Run it against a server (``python routing_service.py --help``) or import ``RoutingService``.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from typing import Optional

import cutover

FLAG = "onex-routing"

# How the two decisions are compared in shadow: the gate of the plan's cross-validation.
COMPARISON = cutover.ComparisonSpec({"fields": {
    "confidence": {"rule": "within", "eps": 0.05},
    "candidates": {"rule": "unordered"},
    "trace_id": {"rule": "ignore"},
}})

AGENTS = {
    "billing": ("invoice", "refund", "charge", "payment"),
    "api": ("endpoint", "rate limit", "sdk", "token"),
    "docs": ("how do i", "guide", "example", "documentation"),
    "debug": ("stack trace", "error", "crash", "exception"),
}


class RouterFailure(RuntimeError):
    """A router could not decide (its upstream failed)."""


class KeywordRouter:
    """The legacy path: the agent whose keywords the prompt mentions most."""

    def __init__(self, failure_rate: float = 0.0, seed: int = 1):
        self.failure_rate = failure_rate
        self.random = random.Random(seed)

    def route(self, prompt: str) -> dict:
        if self.random.random() < self.failure_rate:
            raise RouterFailure("keyword index unavailable")
        text = prompt.lower()
        scores = {agent: sum(k in text for k in words) for agent, words in AGENTS.items()}
        best = max(scores, key=lambda a: scores[a])
        if scores[best] == 0:
            return decision("general", 0.3, [], "fallback_default")
        matched = [a for a, s in scores.items() if s]
        return decision(best, min(0.5 + 0.2 * scores[best], 0.95), matched, "keyword")


class TriggerRouter:
    """The new path: tiered trigger matching, with an explicit request (``@agent``) always
    honoured and a higher confidence for exact triggers."""

    def __init__(self, failure_rate: float = 0.0, seed: int = 2):
        self.failure_rate = failure_rate
        self.random = random.Random(seed)

    def route(self, prompt: str, read_only: Optional[cutover.ReadOnly] = None) -> dict:
        # In shadow (read_only given) a real router would skip writing its routing history.
        if self.random.random() < self.failure_rate:
            raise RouterFailure("trigger matcher timed out upstream")
        text = prompt.lower()
        for agent in AGENTS:
            if f"@{agent}" in text:
                return decision(agent, 1.0, [agent], "explicit_request")
        hits = {agent: [k for k in words if k in text] for agent, words in AGENTS.items()}
        matched = [a for a, h in hits.items() if h]
        if not matched:
            return decision("general", 0.3, [], "fallback_default")
        best = max(matched, key=lambda a: (len(hits[a]), -list(AGENTS).index(a)))
        return decision(best, min(0.52 + 0.2 * len(hits[best]), 0.97), matched, "trigger_match")


def decision(agent: str, confidence: float, candidates: list, policy: str) -> dict:
    return {"selected_agent": agent, "confidence": round(confidence, 4), "candidates": candidates,
            "routing_policy": policy, "trace_id": uuid.uuid4().hex[:12]}


class RoutingService:
    """Routes prompts through whichever router cutover says, recording what each did."""

    def __init__(self, client: cutover.Client, legacy: KeywordRouter, new: TriggerRouter,
                 shadow_sample: float = 10.0):
        self.client = client
        self.flag = client.flag(FLAG)
        self.legacy = legacy
        self.new = new
        self.shadow_sample = shadow_sample

    def route(self, user_id: str, prompt: str) -> dict:
        ctx = {"user_id": user_id}
        if self.flag.is_new(ctx):
            with self.flag.measure("new") as m:
                try:
                    return self.new.route(prompt)
                except RouterFailure:
                    # An error of the new arm, which falls back: the user still gets an answer.
                    m.error()
                    m.fallback()
        with self.flag.measure("legacy") as m:
            return self.client.shadow(
                FLAG, ctx,
                legacy=lambda: self._legacy(prompt, m),
                new=lambda read_only: self.new.route(prompt, read_only),
                compare=COMPARISON, sample=self.shadow_sample, timeout=0.05,
            )

    def _legacy(self, prompt: str, m: cutover.Measure) -> dict:
        try:
            return self.legacy.route(prompt)
        except RouterFailure:
            m.error()
            return decision("general", 0.0, [], "fallback_default")


PROMPTS = [
    "why was my invoice charged twice", "refund for the last payment please",
    "the sdk returns a rate limit error", "how do i rotate an api token",
    "guide to the documentation for webhooks", "stack trace after the crash on login",
    "@debug the exception in checkout", "@docs example of pagination", "hello there",
    "payment failed with an error", "endpoint for the refund api",
]


def traffic(service: RoutingService, requests: int, rate: float, seed: int = 7) -> None:
    """Sends `requests` prompts from a pool of users at about `rate` per second."""
    rng = random.Random(seed)
    started = time.monotonic()
    for i in range(requests):
        service.route(f"user-{rng.randrange(5000)}", rng.choice(PROMPTS))
        ahead = (i + 1) / rate - (time.monotonic() - started)
        if ahead > 0.001:
            time.sleep(ahead)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="http://127.0.0.1:7070")
    parser.add_argument("--token", required=True, help="a token of role sdk")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=400, help="requests per second")
    parser.add_argument("--legacy-error", type=float, default=0.02)
    parser.add_argument("--new-error", type=float, default=0.02)
    args = parser.parse_args()
    with cutover.Client.connect(args.server, args.token, metrics_interval=1.0) as client:
        service = RoutingService(client, KeywordRouter(args.legacy_error),
                                 TriggerRouter(args.new_error))
        traffic(service, args.requests, args.rate)
        report = client.shadow_report(FLAG)
    agreed = report["tally"]["fields"].get("selected_agent", {})
    print(f"{args.requests} requests; shadow runs {report['runs']}, selected_agent agreed "
          f"{agreed.get('agreed', 0)} of {agreed.get('compared', 0)}")


if __name__ == "__main__":
    main()
