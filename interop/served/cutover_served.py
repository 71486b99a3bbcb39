"""A real `cutover serve` for the Python suites (the OFREP interop suite, the binding's suite, the
schemathesis suite): the binary named by CUTOVER_BIN on a temporary SQLite store and a free local
port, started the way an operator starts one, its address and first admin token read from what it
prints, and its admin API driven as an operator would.

The suites test cutover as a service sees it, so they start the binary itself rather than
anything in-process. Each suite puts this folder on its path (`pythonpath` in its pytest.ini).
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Optional

import requests

LISTENING = re.compile(r"^cutover listening on (http://\S+)$")
# One Prometheus sample of the request counter: its labels (a route such as
# `/ofrep/v1/evaluate/flags/{key}` holds braces itself) and its value.
REQUEST_SAMPLE = re.compile(r"^cutover_http_requests_total\{(?P<labels>.*)\} (?P<value>\S+)$")
ROUTE_LABEL = re.compile(r'route="(?P<route>[^"]*)"')
STARTUP_SECONDS = 30
HOW_TO_NAME_ONE = (
    "run the suite through scripts/test, or build the binary with `cargo build -p cutover-cli` "
    "and set CUTOVER_BIN=$PWD/target/debug/cutover"
)


def binary() -> Optional[str]:
    """The cutover binary under test, or None when CUTOVER_BIN is unset."""
    path = os.environ.get("CUTOVER_BIN")
    if not path:
        return None
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"CUTOVER_BIN={path!r} is not an executable file")
    return path


def binary_from_environment() -> str:
    """The cutover binary under test, or an error saying how to name one."""
    path = binary()
    if path is None:
        raise RuntimeError(f"CUTOVER_BIN is not set: {HOW_TO_NAME_ONE}")
    return path


class CutoverServer:
    """One `cutover serve` process on its own store, listening on a free local port."""

    def __init__(self, binary: str, workdir: Path, *extra_args: str):
        # A clean environment: a CUTOVER_* variable of the caller (CUTOVER_DB, CUTOVER_EVAL_RATE,
        # CUTOVER_BIN itself...) must not change the server the tests think they started.
        env = {k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}
        self.log_path = workdir / "serve.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [binary, "serve", "--db", str(workdir / "cutover.db"),
                 "--listen", "127.0.0.1:0", *extra_args],
                cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=log, text=True,
            )
        self._lines: queue.Queue[Optional[str]] = queue.Queue()
        # The server prints to stdout for as long as it runs; draining it in the background keeps
        # a full pipe from ever blocking it.
        threading.Thread(target=self._drain, daemon=True).start()
        self.url, self.admin_token = self._read_startup()
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {self.admin_token}"

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _read_startup(self) -> tuple[str, str]:
        url = token = None
        deadline = time.monotonic() + STARTUP_SECONDS
        while url is None or token is None:
            try:
                line = self._lines.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                self.stop()
                raise RuntimeError(
                    f"cutover serve printed no address and admin token within "
                    f"{STARTUP_SECONDS} s; its log:\n{self.log()}"
                ) from None
            if line is None:
                code = self.process.wait()
                raise RuntimeError(
                    f"cutover serve exited with {code} on start; its log:\n{self.log()}"
                )
            if line.startswith("cut_"):
                token = line.strip()
            elif match := LISTENING.match(line):
                url = match.group(1)
        return url, token

    def log(self) -> str:
        """What the server wrote to stderr."""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    # --- The admin API, as an operator would use it --------------------------------------------

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """`method` on `/api/v1{path}` with the admin token; the JSON answer, or an error."""
        response = self.http.request(method, f"{self.url}/api/v1{path}", timeout=10, **kwargs)
        if not response.ok:
            raise RuntimeError(f"{method} {path} answered {response.status_code}: {response.text}")
        return response.json() if response.content else None

    def create_flag(self, key: str, percent: float = 0) -> dict:
        return self.call("POST", "/flags", json={"key": key, "rollout_percent": percent})

    def set_rollout(self, key: str, percent: float) -> dict:
        return self.call("PUT", f"/flags/{key}/rollout", json={"percent": percent})

    def add_override(self, key: str, attribute: str, value: str, variant: str) -> dict:
        body = {"attribute": attribute, "value": value, "variant": variant}
        return self.call("POST", f"/flags/{key}/overrides", json=body)

    def kill(self, key: str) -> dict:
        return self.call("POST", f"/flags/{key}/kill")

    def flag(self, key: str) -> dict:
        return self.call("GET", f"/flags/{key}")

    def create_token(self, name: str, role: str = "sdk") -> str:
        return self.call("POST", "/tokens", json={"name": name, "role": role})["token"]

    def requests_served(self, route_prefix: str = "") -> int:
        """How many requests reached the server so far, whatever their answer, counted from its
        Prometheus metrics; only those to routes starting with `route_prefix` when given."""
        text = requests.get(f"{self.url}/metrics", timeout=10).text
        total = 0
        for line in text.splitlines():
            sample = REQUEST_SAMPLE.match(line)
            if not sample:
                continue
            route = ROUTE_LABEL.search(sample.group("labels"))
            if route_prefix and not (route and route.group("route").startswith(route_prefix)):
                continue
            total += int(float(sample.group("value")))
        return total
