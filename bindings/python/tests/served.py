"""A real `cutover serve` for the binding's tests: the binary from CUTOVER_BIN on a free local
port with a temporary SQLite store, its admin token read from what it prints, and its admin API
driven as an operator would."""

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
STARTUP_SECONDS = 30


def binary() -> Optional[str]:
    """The cutover binary under test, or None when CUTOVER_BIN is unset."""
    path = os.environ.get("CUTOVER_BIN")
    if not path:
        return None
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"CUTOVER_BIN={path!r} is not an executable file")
    return path


class Served:
    """One `cutover serve` process on its own store."""

    def __init__(self, binary: str, workdir: Path, *extra: str):
        # A CUTOVER_* variable of the caller must not change the server the tests think they
        # started.
        env = {k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}
        self.log_path = workdir / "serve.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [binary, "serve", "--db", str(workdir / "cutover.db"),
                 "--listen", "127.0.0.1:0", *extra],
                cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=log, text=True,
            )
        self._lines: queue.Queue[Optional[str]] = queue.Queue()
        # Drained for as long as the server runs, so a full pipe never blocks it.
        threading.Thread(target=self._drain, daemon=True).start()
        self.url, self.admin_token = self._startup()
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {self.admin_token}"

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _startup(self) -> tuple[str, str]:
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
                raise RuntimeError(f"cutover serve exited with {code}; its log:\n{self.log()}")
            if line.startswith("cut_"):
                token = line.strip()
            elif match := LISTENING.match(line):
                url = match.group(1)
        return url, token

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    # --- The admin API ---------------------------------------------------------------------

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
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
