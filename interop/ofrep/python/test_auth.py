"""Authentication through the provider: a token that is wrong or may not evaluate gives the
provider's error (the default value, no exception), and the X-API-Key form works."""

from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode

from interop import ON, bearer, client_for


def test_wrong_token_is_unauthorized(cutover):
    wrong = "cut_" + "0" * 64
    client = client_for(OFREPProvider(cutover.url, headers_factory=bearer(wrong)))
    details = client.get_boolean_details(ON, False, EvaluationContext("user-1"))
    # The provider reports 401 as a GENERAL error named "unauthorized".
    assert (details.value, details.error_code) == (False, ErrorCode.GENERAL)
    assert details.error_message == "unauthorized"


def test_viewer_token_is_forbidden(cutover):
    viewer = cutover.create_token("python-viewer", "viewer")
    client = client_for(OFREPProvider(cutover.url, headers_factory=bearer(viewer)))
    details = client.get_boolean_details(ON, False, EvaluationContext("user-1"))
    assert (details.value, details.error_code) == (False, ErrorCode.GENERAL)
    assert details.error_message == "forbidden"


def test_token_in_x_api_key_header_evaluates(cutover, sdk_token):
    client = client_for(
        OFREPProvider(cutover.url, headers_factory=lambda: {"X-API-Key": sdk_token})
    )
    details = client.get_boolean_details(ON, False, EvaluationContext("user-1"))
    assert details.error_code is None, details.error_message
    assert details.value is True
