"""ETag and 304 on bulk evaluation. The Python provider (openfeature-provider-ofrep 0.3.0)
evaluates one flag per request and has no bulk mode; no PyPI package does bulk OFREP. So this
plays the exchange the web provider makes (see the Node suite, which drives that provider) over
raw HTTP: the first answer carries an ETag, sending it back gives 304 until a flag changes."""

import requests

BODY = {"context": {"targetingKey": "user-1"}}


def bulk(cutover, token, etag=None):
    headers = {"Authorization": f"Bearer {token}"}
    if etag:
        headers["If-None-Match"] = etag
    return requests.post(
        f"{cutover.url}/ofrep/v1/evaluate/flags", json=BODY, headers=headers, timeout=10
    )


def values(response):
    return {flag["key"]: flag["value"] for flag in response.json()["flags"]}


def test_bulk_answers_304_to_its_etag_until_a_flag_changes(cutover, sdk_token):
    cutover.create_flag("bulk-etag", 0)
    first = bulk(cutover, sdk_token)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert values(first)["bulk-etag"] is False

    unchanged = bulk(cutover, sdk_token, etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["ETag"] == etag

    cutover.set_rollout("bulk-etag", 100)
    changed = bulk(cutover, sdk_token, etag)
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert values(changed)["bulk-etag"] is True
    assert bulk(cutover, sdk_token, changed.headers["ETag"]).status_code == 304
