"""The follower against a real node and a real webhook server on 127.0.0.1: live events, catch-up after
downtime from the persisted cursor, retries with backoff, refusals, filters."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from govledger.errors import GovledgerError
from govledger.importer.adapters import ADAPTERS
from govledger.importer.follow import Cursor, Follower, FollowOptions, sse_messages
from govledger.importer.runner import ImportOptions, run_import

from . import fixtures
from .conftest import Net


@dataclass
class Hook:
    """What the legacy system received, and how it should answer the next requests."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # statuses to answer first, then 200

    def ids(self) -> list[str]:
        return [e["event_id"] for e in self.received]


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = state.answers.pop(0) if state.answers else 200
            if status == 200:
                state.received.append(json.loads(body))
                state.keys.append(self.headers["Idempotency-Key"])
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _parties(net: Net, tmp_path: Path, name: str, first: int, count: int) -> None:
    """Register `count` company parties cp-<first>.. (one event each)."""
    path = tmp_path / f"{name}.csv"
    rows = [
        [f"{name}-{i}", f"cp-{i:04d}", "person", fixtures.sha_hex(f"v{i}")]
        for i in range(first, first + count)
    ]
    fixtures._write(path, "company-parties", rows)
    with net.client() as client:
        s = run_import(
            client,
            ADAPTERS["company-parties"],
            path,
            signers=[net.keys["clerk-1"]],
            custody=net.custody,
            checkpoint=tmp_path / f"{name}.ckpt",
            report=tmp_path / f"{name}.report",
            options=ImportOptions(batch_size=2),
        )
    assert s.this_run["imported"] == count


def _follower(net: Net, hook: Hook, cursor: Path, delays: list[float], **opts: Any) -> Follower:
    app, subject = opts.pop("app", "company"), opts.pop("subject", "")
    options = FollowOptions(**opts)
    return Follower(net.url, hook.url, cursor, app=app, subject=subject, options=options, sleep=delays.append)


def test_live_events_then_catch_up_after_downtime(net: Net, hook: Hook, tmp_path: Path) -> None:
    cursor = tmp_path / "cursor.json"
    delays: list[float] = []
    _parties(net, tmp_path, "before", 1, 2)  # before the follower starts: not delivered (fresh cursor = tip)
    follower = _follower(net, hook, cursor, delays, max_events=4)
    done: list[int] = []
    thread = threading.Thread(target=lambda: done.append(follower.run()))
    thread.start()
    deadline = time.monotonic() + 10
    while net.api.state.ctx.hub.subscriber_count == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    _parties(net, tmp_path, "live", 10, 4)
    thread.join(15)
    assert done == [4]
    follower.close()
    assert [e["subject"] for e in hook.received] == [f"party:cp-{i:04d}" for i in range(10, 14)]
    assert hook.keys == hook.ids() and len(set(hook.ids())) == 4
    assert all(
        e["kind"] == "party_registered" and e["app"] == "company" and e["tx_id"] for e in hook.received
    )
    last = hook.received[-1]
    assert Cursor.load(cursor) == Cursor(last["height"], last["seq"])

    _parties(net, tmp_path, "offline", 20, 3)  # committed while nobody listens
    again = _follower(net, hook, cursor, delays, max_events=3)
    assert again.run() == 3
    again.close()
    assert [e["subject"] for e in hook.received[4:]] == [f"party:cp-{i:04d}" for i in range(20, 23)]
    assert len(set(hook.ids())) == 7, "no event twice"


def test_retries_with_backoff_then_refusal(net: Net, hook: Hook, tmp_path: Path) -> None:
    _parties(net, tmp_path, "p", 1, 3)
    delays: list[float] = []
    hook.answers = [500, 503]
    follower = _follower(net, hook, tmp_path / "c1.json", delays, max_events=2, from_height=1, backoff_s=0.5)
    assert follower.run() == 2
    follower.close()
    assert delays == [0.5, 1.0] and len(hook.received) == 2

    hook.answers = [400]
    cursor = tmp_path / "c1.json"
    before = Cursor.load(cursor)
    refused = _follower(net, hook, cursor, delays, max_events=1)
    with pytest.raises(GovledgerError) as info:
        refused.run()
    refused.close()
    assert info.value.code == "follow.webhook_refused" and Cursor.load(cursor) == before

    hook.answers = [500] * 3
    failing = _follower(net, hook, cursor, delays, max_events=1, max_attempts=3)
    with pytest.raises(GovledgerError) as info:
        failing.run()
    failing.close()
    assert info.value.code == "follow.webhook_failed" and Cursor.load(cursor) == before


def test_filters_and_bad_filters(net: Net, hook: Hook, tmp_path: Path) -> None:
    _parties(net, tmp_path, "p", 1, 3)
    delays: list[float] = []
    one = _follower(
        net, hook, tmp_path / "c.json", delays, subject="party:cp-0002", from_height=1, max_events=1
    )
    assert one.run() == 1
    one.close()
    assert [e["subject"] for e in hook.received] == ["party:cp-0002"]
    bad = _follower(net, hook, tmp_path / "d.json", delays, app="nope", max_events=1)
    with pytest.raises(GovledgerError) as info:
        bad.run()
    bad.close()
    assert info.value.code == "follow.node_refused"


def test_sse_parsing() -> None:
    lines = [": connected", "", "event: dropped", "data: {}", "", "data: a", "data: b", "", ": keep-alive"]
    assert list(sse_messages(iter(lines))) == [
        ("comment", "connected"),
        ("dropped", "{}"),
        ("message", "a\nb"),
        ("comment", "keep-alive"),
    ]
