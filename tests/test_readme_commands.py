"""The first README command, `make run`, works from a fresh clone: it installs, initialises, serves and seeds.

(`make test`, the second, is what CI runs on a fresh clone of every submission.)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STARTUP_DEADLINE_S = 600


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.loads(r.read())  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


@pytest.mark.slow
@pytest.mark.timeout(STARTUP_DEADLINE_S + 60)
def test_make_run_from_a_fresh_clone(tmp_path: Path) -> None:
    if shutil.which("git") is None or shutil.which("make") is None:
        pytest.skip("git and make are needed to clone and run the project")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--local", str(ROOT), str(clone)], check=True)
    port = _free_port()
    log = (tmp_path / "run.log").open("w")
    proc = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=clone,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "GOVLEDGER_"))},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        seeded = False
        while time.monotonic() < deadline and proc.poll() is None:
            health = _get(f"{base}/health")
            # the demo seeds hundreds of transactions: the chain grows past a handful of blocks
            if health is not None and int(health.get("height", 0)) >= 3:  # type: ignore[call-overload]
                seeded = True
                break
            time.sleep(1)  # polling a process we do not control; the deadline bounds it
        assert proc.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
        assert seeded, "the node did not come up and seed demo data in time"
        assert (clone / ".venv" / "bin" / "govledger").exists()
        assert (clone / ".devnet" / "genesis.json").exists()
        latest = _get(f"{base}/v1/blocks/latest")
        assert latest is not None and int(latest["height"]) >= 3  # type: ignore[call-overload]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.close()
