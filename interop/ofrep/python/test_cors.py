"""CORS on OFREP (`--cors-origin`), over raw HTTP as a browser would send it: a page from the
allowed origin may call the endpoints and read the ETag; another origin is not allowed, and a
server started without the option allows none."""

import pytest
import requests

from interop import PAGE_ORIGIN

PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type,if-none-match",
}


def preflight(server, origin):
    return requests.options(
        f"{server.url}/ofrep/v1/evaluate/flags",
        headers={"Origin": origin, **PREFLIGHT},
        timeout=10,
    )


def test_preflight_from_the_allowed_origin_is_allowed(cors):
    response = preflight(cors, PAGE_ORIGIN)
    assert response.ok, response.status_code
    assert response.headers["Access-Control-Allow-Origin"] == PAGE_ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    for header in ("authorization", "content-type", "if-none-match"):
        assert header in allowed


def test_answer_to_the_allowed_origin_exposes_the_etag(cors):
    token = cors.create_token("python-page", "sdk")
    response = requests.post(
        f"{cors.url}/ofrep/v1/evaluate/flags",
        json={"context": {}},
        headers={"Origin": PAGE_ORIGIN, "Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == PAGE_ORIGIN
    assert "etag" in response.headers["Access-Control-Expose-Headers"].lower()
    assert response.headers["ETag"]


@pytest.mark.parametrize("server", ["cors", "cutover"])
def test_preflight_not_allowed_from_another_origin_or_without_the_option(server, request):
    # `cors` allows PAGE_ORIGIN only; `cutover` was started without --cors-origin.
    origin = "http://elsewhere.example" if server == "cors" else PAGE_ORIGIN
    response = preflight(request.getfixturevalue(server), origin)
    assert "Access-Control-Allow-Origin" not in response.headers
