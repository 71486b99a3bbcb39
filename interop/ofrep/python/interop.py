"""What the Python interop tests share: the flags the servers hold, and OpenFeature clients
backed by the standard OFREP provider (PyPI `openfeature-provider-ofrep`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from openfeature import api
from openfeature.client import OpenFeatureClient
from openfeature.contrib.provider.ofrep import OFREPProvider

# Flags every test may read and none changes: one at 100 %, one at 0 % with an override.
ON, OFF = "checkout-on", "checkout-off"
# The one user the override sends down the new path of OFF.
VIP = "vip-user"
# The origin the CORS tests play a browser page from.
PAGE_ORIGIN = "http://localhost:3000"


def bearer(token: str) -> Callable[[], dict[str, str]]:
    return lambda: {"Authorization": f"Bearer {token}"}


def client_for(provider: OFREPProvider) -> OpenFeatureClient:
    """An OpenFeature client bound to this provider alone: each gets its own domain, so tests
    with different tokens or servers never share a provider (nor its rate-limit pause)."""
    domain = f"interop-{uuid.uuid4()}"
    api.set_provider_and_wait(provider, domain)
    return api.get_client(domain)
