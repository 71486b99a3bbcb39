"""Fixtures of the Python OFREP interop suite: cutover servers (a plain one, one that limits
evaluations to one a second per token, one that allows a browser origin) and an SDK token.

Each feature under test has its own server, so a binary that lacks one (an older cutover) fails
only that feature's tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from openfeature.client import OpenFeatureClient
from openfeature.contrib.provider.ofrep import OFREPProvider

from cutover_served import CutoverServer, binary_from_environment
from interop import OFF, ON, PAGE_ORIGIN, VIP, bearer, client_for


@pytest.fixture(scope="session")
def cutover_bin() -> str:
    try:
        return binary_from_environment()
    except RuntimeError as e:
        pytest.exit(str(e), returncode=2)


@contextmanager
def running(binary: str, factory: pytest.TempPathFactory, *args: str) -> Iterator[CutoverServer]:
    server = CutoverServer(binary, factory.mktemp("cutover"), *args)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def cutover(cutover_bin, tmp_path_factory) -> Iterator[CutoverServer]:
    with running(cutover_bin, tmp_path_factory) as server:
        server.create_flag(ON, 100)
        server.create_flag(OFF, 0)
        server.add_override(OFF, "targetingKey", VIP, "new")
        yield server


@pytest.fixture(scope="session")
def limited(cutover_bin, tmp_path_factory) -> Iterator[CutoverServer]:
    """A server that answers at most one evaluation a second per token, then 429."""
    with running(cutover_bin, tmp_path_factory, "--eval-rate", "1") as server:
        server.create_flag(ON, 100)
        yield server


@pytest.fixture(scope="session")
def cors(cutover_bin, tmp_path_factory) -> Iterator[CutoverServer]:
    """A server that lets pages from PAGE_ORIGIN call OFREP."""
    with running(cutover_bin, tmp_path_factory, "--cors-origin", PAGE_ORIGIN) as server:
        yield server


@pytest.fixture(scope="session")
def sdk_token(cutover) -> str:
    return cutover.create_token("python-interop", "sdk")


@pytest.fixture
def client(cutover, sdk_token) -> OpenFeatureClient:
    return client_for(OFREPProvider(cutover.url, headers_factory=bearer(sdk_token)))
