"""Fixtures of the Python binding's suite. The conformance tests need no server; the others
drive a real `cutover serve` (CUTOVER_BIN, which scripts/test sets) and are skipped, saying so,
when it is unset."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cutover_served import CutoverServer, binary

ROOT = Path(__file__).resolve().parents[3]
CONFORMANCE = ROOT / "conformance" / "sdk.json"

_names = itertools.count()


@pytest.fixture(scope="session")
def conformance() -> dict:
    return json.loads(CONFORMANCE.read_text())


@pytest.fixture(scope="session")
def cutover_bin() -> str:
    path = binary()
    if path is None:
        pytest.skip(
            "CUTOVER_BIN is not set, so no cutover server to test against: run the suite "
            "through scripts/test, or build the binary with `cargo build -p cutover-cli` and set "
            "CUTOVER_BIN=$PWD/target/debug/cutover"
        )
    return path


@pytest.fixture(scope="session")
def server(cutover_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CutoverServer]:
    """One server for the tests that only need flags of their own."""
    served = CutoverServer(cutover_bin, tmp_path_factory.mktemp("cutover"))
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="session")
def sdk_token(server: CutoverServer) -> str:
    return server.create_token("python-binding", "sdk")


@pytest.fixture
def flag_key() -> str:
    """A flag name no other test uses."""
    return f"py-flag-{next(_names)}"
