"""Fixtures for the OpenAttestation interop tests: OpenAttestation's own JavaScript libraries, pinned
in package.json / package-lock.json, installed once into this folder's node_modules (kept between runs,
ignored by git) and driven through the small CommonJS scripts beside this file.

The tests are skipped, saying why, only when Node or npm is absent.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
STAMP = HERE / "node_modules" / ".govledger-install-stamp"
INSTALL_TIMEOUT_S = 600
RUN_TIMEOUT_S = 120


def _manifest_digest() -> str:
    h = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        path = HERE / name
        if path.exists():
            h.update(name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


class Node:
    """Runs one driver script with a JSON request on stdin; returns its JSON answer."""

    def __init__(self, node: str) -> None:
        self.node = node

    def run(self, script: str, request: Any) -> Any:
        proc = subprocess.run(
            [self.node, str(HERE / script)],
            input=json.dumps(request).encode(),
            capture_output=True,
            cwd=HERE,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
        if proc.returncode != 0:
            raise AssertionError(f"{script} failed: {proc.stderr.decode(errors='replace')[-4000:]}")
        return json.loads(proc.stdout)


def install_packages(npm: str) -> None:
    """`npm ci` from the lockfile, unless the stamp says node_modules already matches it.

    Also the install step of benchmarks/credentials_bench.py (OpenAttestation's verifier beside ours).
    """
    digest = _manifest_digest()
    if not STAMP.exists() or STAMP.read_text() != digest:
        lock = (HERE / "package-lock.json").exists()
        cmd = [npm, "ci" if lock else "install", "--no-audit", "--no-fund", "--loglevel=error"]
        proc = subprocess.run(cmd, cwd=HERE, capture_output=True, timeout=INSTALL_TIMEOUT_S, check=False)
        if proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed: {proc.stderr.decode(errors='replace')[-4000:]}")
        STAMP.write_text(digest)


@pytest.fixture(scope="session")
def oa_node() -> Node:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("OpenAttestation interop needs Node.js and npm on PATH (not installed here)")
    install_packages(npm)
    return Node(node)
