"""Back-off after 429: the provider reads cutover's Retry-After, answers from its pause without
calling the server while it lasts, and evaluates normally once it is over.

Against a server sending Retry-After as an RFC 3339 instant (cutover before it moved to
seconds), openfeature-provider-ofrep raises inside `parsedate_to_datetime`, never pauses, and
keeps calling the server: this test fails there."""

import re
import time

from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode

from interop import ON, bearer, client_for

RATE_LIMITED = re.compile(r"^Rate limited, retry after: (\d+)$")
PAUSED = "OFREP evaluation paused due to TooManyRequests"


def test_provider_pauses_for_retry_after_and_then_evaluates(limited):
    # A token of its own: the limit is per token.
    token = limited.create_token("python-rate-limited", "sdk")
    client = client_for(OFREPProvider(limited.url, headers_factory=bearer(token)))
    context = EvaluationContext("user-1")

    # One evaluation a second is allowed, so the second in a row meets the limit.
    for _ in range(5):
        details = client.get_boolean_details(ON, False, context)
        if details.error_code is not None:
            break
    limited_at = time.monotonic()
    assert details.error_code == ErrorCode.GENERAL, "no evaluation was rate limited"
    match = RATE_LIMITED.match(details.error_message or "")
    assert match, f"the provider did not read the 429 as a rate limit: {details.error_message!r}"
    retry_after = int(match.group(1))
    assert 1 <= retry_after <= 2, f"Retry-After {retry_after} s for a limit of one a second"

    # While the pause lasts (checked at once and half-way through), the provider answers from it
    # and no request reaches the server.
    reached = limited.requests_served("/ofrep/")
    assert reached >= 2, "the evaluations so far are missing from /metrics"
    for wait_until in (limited_at, limited_at + retry_after / 2):
        time.sleep(max(wait_until - time.monotonic(), 0))
        paused = client.get_boolean_details(ON, False, context)
        assert (paused.value, paused.error_code) == (False, ErrorCode.GENERAL)
        assert PAUSED in paused.error_message
    assert limited.requests_served("/ofrep/") == reached, "an evaluation reached the server in the pause"

    # Once Retry-After has passed, evaluations go through again.
    time.sleep(max(limited_at + retry_after + 0.1 - time.monotonic(), 0))
    after = client.get_boolean_details(ON, False, context)
    assert after.error_code is None, after.error_message
    assert after.value is True
    assert limited.requests_served("/ofrep/") == reached + 1
