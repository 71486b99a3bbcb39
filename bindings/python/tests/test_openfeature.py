"""The OpenFeature provider, through `openfeature.api` as a service would use it: values,
details (variant, reason, metadata), and the error codes for an unknown flag and a wrong type."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

import cutover
from cutover.openfeature import CutoverProvider
from cutover_served import CutoverServer


@pytest.fixture
def of_client(server: CutoverServer, sdk_token: str, flag_key: str) -> Iterator[tuple]:
    server.create_flag(flag_key, 0)
    server.add_override(flag_key, "targetingKey", "vip", "new")
    server.add_override(flag_key, "tenant", "acme", "new")
    client = cutover.Client.connect(server.url, sdk_token)
    api.set_provider(CutoverProvider(client))
    try:
        yield api.get_client(), flag_key, client
    finally:
        api.shutdown()
        client.close()


def test_values_and_details(of_client: tuple) -> None:
    of, flag, client = of_client
    assert of.get_boolean_value(flag, False, EvaluationContext("vip")) is True
    assert of.get_boolean_value(flag, True, EvaluationContext("someone")) is False
    assert of.get_boolean_value(flag, False, EvaluationContext("x", {"tenant": "acme"})) is True

    details = of.get_boolean_details(flag, False, EvaluationContext("vip"))
    assert (details.value, details.variant, details.reason) == (True, "new", Reason.TARGETING_MATCH)
    assert details.error_code is None
    assert details.flag_metadata["cutoverReason"] == "override"
    assert details.flag_metadata["flagVersion"] == client.decide(flag).flag_version

    details = of.get_boolean_details(flag, True, EvaluationContext("someone"))
    assert (details.value, details.variant, details.reason) == (False, "legacy", Reason.STATIC)


def test_an_unknown_flag_is_flag_not_found(of_client: tuple) -> None:
    of, _, _ = of_client
    details = of.get_boolean_details("no-such-flag", True, EvaluationContext("vip"))
    assert details.value is True, "the caller's default"
    assert details.error_code == ErrorCode.FLAG_NOT_FOUND
    assert details.reason == Reason.ERROR
    assert "no-such-flag" in details.error_message


def test_another_type_is_a_type_mismatch(of_client: tuple) -> None:
    of, flag, _ = of_client
    for details in (
        of.get_string_details(flag, "legacy"),
        of.get_integer_details(flag, 0),
        of.get_float_details(flag, 0.5),
        of.get_object_details(flag, {}),
    ):
        assert details.error_code == ErrorCode.TYPE_MISMATCH
        assert "is a boolean" in details.error_message
    assert of.get_string_value(flag, "legacy") == "legacy"


def test_the_provider_is_ready_once_connected(of_client: tuple) -> None:
    from openfeature.provider import ProviderStatus

    of, _, _ = of_client
    assert of.get_provider_status() == ProviderStatus.READY
