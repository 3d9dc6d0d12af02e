"""CLI: init and keys, one-line errors with exit 2, verify-chain (good and tampered), and a real node.

The `node start` test runs the real entry point in a subprocess on a free port, waits for /health
with a deadline, drives it with the client commands, and stops it with SIGTERM.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import lmdb
import pytest
from typer.testing import CliRunner

from govledger.apps.attest.app import RecordBody
from govledger.apps.governance.model import RegisterOrg
from govledger.cli.main import app
from govledger.codec import encode
from govledger.ledger.storage import be64

from .conftest import SCRYPT_N, Devnet, make_node

runner = CliRunner()


def cli(home: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--home", str(home), "--scrypt-n", str(SCRYPT_N), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def one_line_error(stderr: str, code: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"error: {code}: "), stderr
    assert "Traceback" not in stderr


def submit(
    *rest: str, app: str = "attest", op: str = "record", body: str | None = None, key: str = "registrar-1"
) -> tuple[str, ...]:
    """The arguments of `tx submit` (`--body` only when given), then `rest` (the node's url)."""
    body_args = () if body is None else ("--body", body)
    return ("tx", "submit", "--app", app, "--op", op, *body_args, "--key", key, *rest)


def test_init_and_keys(tmp_path: Path) -> None:
    home = tmp_path / "net"
    code, _, err = cli(home, "init", "--chain-id", "cli-test")
    assert code == 0, err
    assert json.loads((home / "genesis.json").read_text())["chain_id"] == "cli-test"
    code, _, err = cli(home, "init")
    assert code == 2
    one_line_error(err, "init.exists")
    code, out, _ = cli(home, "keys", "list")
    assert code == 0 and "registrar-1" in out and "validator" in out and "ed25519" in out
    code, out, err = cli(home, "keys", "new", "alice")
    assert code == 0, err
    key_id = json.loads(out)["key_id"]
    code, out, _ = cli(home, "keys", "show", "alice")
    assert code == 0 and json.loads(out)["key_id"] == key_id and json.loads(out)["retired"] is False
    for args, error in [
        (("keys", "new", "alice"), "keys.exists"),
        (("keys", "new", "bad name"), "keys.bad_name"),
        (("keys", "new", "bob", "--scheme", "rsa"), "keys.bad_scheme"),
        (("keys", "show", "nobody"), "keys.not_found"),
        (("init", "--scheme", "dsa"), "keys.bad_scheme"),
        (("frobnicate",), "usage"),
        (("keys", "new"), "usage"),
        (("keys", "list", "--bogus"), "usage"),
    ]:
        code, _, err = cli(home, *args)
        assert code == 2, (args, err)
        one_line_error(err, error)
    code, _, err = cli(tmp_path / "empty", "keys", "list")
    assert code == 2
    one_line_error(err, "keys.no_directory")


def test_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    home = tmp_path / "net"
    assert cli(home, "init")[0] == 0
    dead = "--url=http://127.0.0.1:9"
    body = json.dumps({"digest": base64.b64encode(bytes(32)).decode(), "kind": "deed", "reference": ""})
    cases = [
        (submit(dead, body="{"), "cli.bad_json"),
        (submit(dead, app="nope"), "tx.unknown_app"),
        (submit(dead, op="nope"), "tx.unknown_op"),
        (submit(dead, body='{"x": 1}'), "codec.invalid"),
        (submit(dead, body="@/nonexistent.json", key="a"), "cli.unreadable"),
        (submit(dead, body=body, key="nobody"), "keys.not_found"),
        (submit(dead, body=body), "node.unreachable"),
        (("query", "attest", "get", "--param", "novalue", dead), "cli.bad_param"),
        (("state", "attest", "xyz", dead), "cli.bad_key"),
        (("state", "attest", "00", dead), "node.unreachable"),
        (("verify-chain", "--home", str(tmp_path / "nothing")), "chain.not_found"),
    ]
    for args, error in cases:
        code, _, err = cli(home, *args)
        assert code == 2, (args, err)
        one_line_error(err, error)
    _, _, err = cli(home, "state", "attest", "00", dead)
    assert "node not reachable at http://127.0.0.1:9" in err
    result = runner.invoke(
        app,
        ["--home", str(home), "--passphrase", "wrong", "keys", "rotate", "clerk-1", "--key", "clerk-1", dead],
    )
    assert result.exit_code == 2
    one_line_error(result.stderr, "keyfile.wrong_passphrase")


# --- verify-chain -------------------------------------------------------------------------------------


@pytest.fixture
def built_chain(devnet: Devnet) -> Iterator[Devnet]:
    """Three blocks: two with attestations, one with a governance change; the node is stopped."""
    node = make_node(devnet)
    try:
        for n in range(2):
            txs = [
                devnet.tx(
                    "attest", "record", RecordBody(bytes([n, i]) * 16, "deed", f"R{n}{i}"), ["registrar-1"]
                )
                for i in range(5)
            ]
            assert all(r.ok for r in node.submit([encode(t) for t in txs]))
            node.produce_block()
        gov = devnet.tx(
            "governance", "register_org", RegisterOrg("archives", "Archives", "agency"), ["admin-1"]
        )
        assert node.submit([encode(gov)])[0].ok
        node.produce_block()
        assert node.chain.height == 3
    finally:
        node.stop()
    yield devnet


def _tamper(root: Path, db: str, key: bytes) -> None:
    env = lmdb.open(str(root / "chain"), max_dbs=16, map_size=1 << 40)
    try:
        handle = env.open_db(db.encode())
        with env.begin(write=True, db=handle) as txn:
            value = txn.get(key)
            assert value is not None, (db, key)
            value = bytes(value)
            txn.put(key, value[:-1] + bytes([value[-1] ^ 0x01]))
    finally:
        env.close()


def test_verify_chain_ok(built_chain: Devnet) -> None:
    code, out, err = cli(built_chain.root, "verify-chain")
    assert code == 0, err
    assert (
        out.startswith("ok: chain edges-test verified from genesis to height 3")
        and len(out.splitlines()) == 1
    )


@pytest.mark.parametrize(
    ("db", "key", "height"),
    [
        ("receipts", be64(2), 2),
        ("state", b"attest\x00doc/" + bytes([1, 3]) * 16, 2),
        ("state", b"governance\x00org/archives", 3),
        ("commits", be64(3), 3),
        ("blocks", be64(1), 1),
    ],
    ids=["receipt", "state-value", "state-governance", "commit", "block"],
)
def test_verify_chain_finds_tampering(
    built_chain: Devnet, tmp_path: Path, db: str, key: bytes, height: int
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(built_chain.root, copy)
    _tamper(copy, db, key)
    code, _, err = cli(copy, "verify-chain")
    assert code == 1, err
    line = err.strip().splitlines()[-1]
    assert line.startswith(f"error: chain.invalid: height {height}: "), err
    assert cli(built_chain.root, "verify-chain")[0] == 0  # the original is untouched


# --- a real node ----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[str], deadline_s: float = 30.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"node exited early: {proc.communicate()[1]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail("node did not become healthy in time")


def test_node_start_and_client_commands(tmp_path: Path) -> None:
    home = tmp_path / "net"
    assert cli(home, "init")[0] == 0
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "govledger.cli.main", "--home", str(home), "--scrypt-n", str(SCRYPT_N)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [*cmd, "node", "start", "--port", str(port), "--block-interval-ms", "20", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        _wait_healthy(url, proc)
        second = subprocess.run(
            [*cmd, "node", "start", "--port", str(_free_port())], capture_output=True, text=True, timeout=30
        )
        assert second.returncode == 2
        one_line_error(second.stderr, "node.already_running")

        digest = base64.b64encode(b"\x42" * 32).decode()
        body = json.dumps({"digest": digest, "kind": "deed", "reference": "CLI-1"})
        submit_args = submit("--url", url, body=body)
        code, out, err = cli(home, *submit_args)
        assert code == 0, err
        receipt = json.loads(out)
        assert receipt["status"] == "committed" and receipt["receipt"]["code"] == "ok"
        code, _, err = cli(home, *submit_args)
        assert code == 2
        one_line_error(err, "attest.already_recorded")

        code, out, err = cli(home, "query", "attest", "get", "--param", f"digest={digest}", "--url", url)
        assert code == 0, err
        assert json.loads(out)["result"]["reference"] == "CLI-1"
        assert "proof verified against header" in err and "signed by 1 validator" in err
        code, out, err = cli(home, "state", "governance", "member/admin-1", "--text", "--url", url)
        assert code == 0 and json.loads(out)["value"]["member_id"] == "admin-1", err
        code, out, err = cli(
            home, "state", "governance", "member/nobody", "--text", "--height", "0", "--url", url
        )
        assert code == 0 and json.loads(out)["present"] is False, err

        code, out, err = cli(home, "keys", "rotate", "clerk-1", "--key", "clerk-1", "--url", url)
        assert code == 0, err
        assert (home / "keys" / "clerk-1-1.key.json").exists()
        assert (home / "keys" / "clerk-1.key.json.retired").exists()
        code, out, _ = cli(home, "query", "governance", "member", "--param", "id=clerk-1", "--url", url)
        keys = json.loads(out)["result"]["keys"]
        assert [k["revoked_height"] > 0 for k in keys] == [True, False]

        code, _, err = cli(home, "demo", "--url", url)
        assert code == 0 and "attestations recorded" in err, err
        code, _, err = cli(home, "demo", "--url", url)
        assert code == 0 and "already there" in err and "members added" not in err, err
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, stderr = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, stderr
    assert "node stopped at height" in stderr
    code, out, err = cli(home, "verify-chain")
    assert code == 0, err


def test_node_start_needs_a_network(tmp_path: Path) -> None:
    code, _, err = cli(tmp_path / "none", "node", "start")
    assert code == 2
    one_line_error(err, "node.not_initialised")
