"""Every OFREP error code the Python provider can meet, as the OpenFeature client reports it:
the caller's default value and the standard error code, never an exception."""

import pytest
import requests
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

from interop import ON


def test_unknown_flag_gives_the_default_and_flag_not_found(client):
    details = client.get_boolean_details("no-such-flag", True, EvaluationContext("user-1"))
    assert (details.value, details.reason) == (True, Reason.ERROR)
    assert details.error_code == ErrorCode.FLAG_NOT_FOUND
    assert "no-such-flag" in details.error_message


def test_string_of_a_boolean_flag_is_a_type_mismatch(client):
    details = client.get_string_details(ON, "fallback", EvaluationContext("user-1"))
    assert (details.value, details.error_code) == ("fallback", ErrorCode.TYPE_MISMATCH)


def test_float_of_a_boolean_flag_is_a_type_mismatch(client):
    details = client.get_float_details(ON, 0.5, EvaluationContext("user-1"))
    assert (details.value, details.error_code) == (0.5, ErrorCode.TYPE_MISMATCH)


@pytest.mark.xfail(
    strict=True,
    reason="openfeature-provider-ofrep 0.3.0 and openfeature-sdk 0.10.0 type-check with "
    "isinstance(value, int), which a Python bool passes: the boolean comes back as the integer",
)
def test_integer_of_a_boolean_flag_is_a_type_mismatch(client):
    details = client.get_integer_details(ON, 7, EvaluationContext("user-1"))
    assert (details.value, details.error_code) == (7, ErrorCode.TYPE_MISMATCH)


def test_targeting_key_that_is_not_a_string_is_an_invalid_context(client):
    # The context's type hints say str, but nothing enforces them: the provider sends 42 as is.
    details = client.get_boolean_details(ON, False, EvaluationContext(targeting_key=42))
    assert (details.value, details.error_code) == (False, ErrorCode.INVALID_CONTEXT)
    assert "targetingKey must be a string" in details.error_message


def test_key_that_cannot_be_decoded_is_a_parse_error(client):
    # The provider always sends valid JSON, so cutover's PARSE_ERROR for a body is out of its
    # reach; but it puts the key into the path without escaping it, so a key holding `%ff`
    # reaches the server as a path that does not decode to UTF-8.
    details = client.get_boolean_details("bad%ff", False, EvaluationContext("user-1"))
    assert (details.value, details.error_code) == (False, ErrorCode.PARSE_ERROR)


def test_body_that_is_not_json_is_a_parse_error(cutover, sdk_token):
    # No provider sends a body that is not JSON; over raw HTTP, as a broken client would.
    response = requests.post(
        f"{cutover.url}/ofrep/v1/evaluate/flags/{ON}",
        data=b"{not json",
        headers={"Authorization": f"Bearer {sdk_token}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["errorCode"] == "PARSE_ERROR"
    assert response.json()["key"] == ON
