"""Successful evaluations through the OFREP provider and the OpenFeature client: the value, the
variant, the reason and cutover's metadata arrive as a service would read them."""

from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from openfeature.flag_evaluation import Reason

from interop import OFF, ON, VIP, bearer


def test_flag_at_100_percent_is_true_with_variant_new(client, cutover):
    details = client.get_boolean_details(ON, False, EvaluationContext("user-1"))
    assert details.error_code is None, details.error_message
    assert (details.value, details.variant, details.reason) == (True, "new", Reason.STATIC)
    assert details.flag_metadata["flagVersion"] == cutover.flag(ON)["version"]
    assert details.flag_metadata["cutoverReason"] == "rollout"
    assert details.flag_metadata["rolloutPercent"] == "100%"


def test_flag_at_0_percent_is_false_with_variant_legacy(client, cutover):
    details = client.get_boolean_details(OFF, True, EvaluationContext("user-1"))
    assert details.error_code is None, details.error_message
    assert (details.value, details.variant, details.reason) == (False, "legacy", Reason.STATIC)
    assert details.flag_metadata["flagVersion"] == cutover.flag(OFF)["version"]
    assert details.flag_metadata["cutoverReason"] == "rollout"


def test_override_sends_one_targeting_key_down_the_new_path(client):
    vip = client.get_boolean_details(OFF, False, EvaluationContext(VIP))
    assert (vip.value, vip.variant, vip.reason) == (True, "new", Reason.TARGETING_MATCH)
    assert vip.flag_metadata["cutoverReason"] == "override"
    assert vip.flag_metadata["attribute"] == "targetingKey"
    # Everybody else stays on the flag's 0 %.
    other = client.get_boolean_details(OFF, True, EvaluationContext("someone-else"))
    assert (other.value, other.variant) == (False, "legacy")


def test_context_without_targeting_key_is_evaluated(client):
    # The client always hands the provider a context, so this sends {"context": {}}.
    details = client.get_boolean_details(ON, False)
    assert details.error_code is None, details.error_message
    assert (details.value, details.variant) == (True, "new")


def test_no_context_at_all_sends_an_empty_body_and_is_evaluated(cutover, sdk_token):
    # Only the provider itself, called without a context, sends a bare `{}` (the specification
    # makes `context` optional); the OpenFeature client never does, hence the direct call.
    provider = OFREPProvider(cutover.url, headers_factory=bearer(sdk_token))
    resolution = provider.resolve_boolean_details(ON, False, None)
    assert (resolution.value, resolution.variant) == (True, "new")
