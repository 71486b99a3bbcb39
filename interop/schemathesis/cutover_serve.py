"""A real `cutover serve` on a temporary SQLite store and a free local port, for this suite.

Started the way an operator starts one (the binary in CUTOVER_BIN, a clean environment), it
prints its address and the first admin token on stdout, which this reads. The OFREP suite has
its own starter: suites do not import from each other.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import threading
import time
from pathlib import Path

import requests

LISTENING = re.compile(r"^cutover listening on (http://\S+)$")
REQUESTS_SAMPLE = re.compile(r"^cutover_http_requests_total\{.*\} (?P<value>\S+)$")
STARTUP_SECONDS = 30


def binary_from_environment() -> str:
    """The cutover binary under test, or an error saying how to name one."""
    path = os.environ.get("CUTOVER_BIN")
    if not path:
        raise RuntimeError(
            "CUTOVER_BIN is not set: run this suite through scripts/test, or build the binary "
            "with `cargo build -p cutover-cli` and set CUTOVER_BIN=$PWD/target/debug/cutover"
        )
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"CUTOVER_BIN={path!r} is not an executable file")
    return path


class CutoverServe:
    """One `cutover serve` process on its own store."""

    def __init__(self, binary: str, workdir: Path, *extra_args: str):
        # A CUTOVER_* variable of the caller must not change the server under test.
        env = {k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}
        self.log_path = workdir / "serve.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [binary, "serve", "--db", str(workdir / "cutover.db"),
                 "--listen", "127.0.0.1:0", *extra_args],
                cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=log, text=True,
            )
        self._lines: queue.Queue[str | None] = queue.Queue()
        # Drained in the background so a full pipe never blocks the server.
        threading.Thread(target=self._drain, daemon=True).start()
        self.url, self.admin_token = self._read_startup()

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
                raise RuntimeError(f"cutover serve exited with {code} on start:\n{self.log()}")
            if line.startswith("cut_"):
                token = line.strip()
            elif match := LISTENING.match(line):
                url = match.group(1)
        return url, token

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def requests_served(self) -> int:
        """Every HTTP request the server answered so far, from its Prometheus counter."""
        text = requests.get(f"{self.url}/metrics", timeout=10).text
        return sum(
            int(float(m.group("value")))
            for m in map(REQUESTS_SAMPLE.match, text.splitlines())
            if m
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
