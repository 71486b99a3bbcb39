"""schemathesis against a real `cutover serve`, from the OpenAPI document the server itself serves:
every operation, every phase (examples, coverage, fuzzing, stateful), every check, with the
admin token. Any failure fails the test, and its output carries schemathesis's report with a
curl line reproducing each failure.

The number of examples per operation is bounded so the whole run stays under 5 minutes on a
2-core machine (SCHEMATHESIS_MAX_EXAMPLES raises it for a longer hunt; SCHEMATHESIS_SEED picks
another seed, the default one making CI runs repeat).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cutover_served import CutoverServer, binary_from_environment

HERE = Path(__file__).parent
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261203")
PHASES = "examples,coverage,fuzzing,stateful"
# What the run may take before the test gives up on it.
DEADLINE_SECONDS = 600

# The limits a real deployment keeps would answer most of the run with 429 (a change budget of
# 10 a second per token, metric uploads 50): raised, so that the requests reach the handlers.
# 429 itself is documented and tested in the Rust suite (tests/emergencies.rs, metric_uploads.rs).
GENEROUS = (
    "--change-rate", "1000000", "--change-burst", "1000000",
    "--upload-rate", "1000000", "--upload-burst", "1000000",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> CutoverServer:
    try:
        binary = binary_from_environment()
    except RuntimeError as e:
        pytest.exit(str(e), returncode=2)
    serve = CutoverServer(binary, tmp_path_factory.mktemp("cutover"), *GENEROUS)
    yield serve
    serve.stop()


def schemathesis_command() -> str:
    """The CLI installed beside this interpreter (scripts/test's virtual environment)."""
    beside = Path(sys.executable).parent / "schemathesis"
    found = str(beside) if beside.exists() else shutil.which("schemathesis")
    if found is None:
        pytest.fail("schemathesis is not installed: pip install -r interop/schemathesis/requirements.txt")
    return found


def test_the_whole_api_holds_to_its_openapi_document(server, tmp_path):
    command = [
        schemathesis_command(),
        "--config-file", str(HERE / "schemathesis.toml"),
        "--no-color",
        "run", f"{server.url}/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {server.admin_token}",
        "--phases", PHASES,
        "--checks", "all",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", SEED,
        "--report", "junit",
        "--report-dir", str(tmp_path),
    ]
    before = server.requests_served()
    started = time.monotonic()
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=DEADLINE_SECONDS,
        stdin=subprocess.DEVNULL, cwd=tmp_path,
    )
    seconds = time.monotonic() - started
    made = server.requests_served() - before - 1
    summary = (
        f"schemathesis: {seconds:.0f} s, {made} requests to the server, "
        f"{MAX_EXAMPLES} examples per operation, seed {SEED}, exit {run.returncode}"
    )
    # Shown with -rA, and with the report when it fails.
    print(summary)
    print(run.stdout[-5000:])
    assert run.returncode == 0, (
        f"{summary}\n\n{run.stdout}\n{run.stderr}\n\nthe server's log (last lines):\n"
        f"{server.log()[-5000:]}"
    )
