"""Follow the ledger's events and deliver each to a legacy system's webhook, at least once, in order.

Theory of operation
-------------------
The node streams committed events as Server-Sent Events (`GET /v1/events?app=&subject=`), live only.
The follower adds what a legacy system needs on top:

1. **A cursor** `(height, seq)`: the last event delivered, where `seq` numbers the events matching the
   filter within one block, in the node's order (transaction events in receipt order, then the
   block's own timer events). It is saved atomically (write, fsync, rename) after every delivery.
2. **Catch-up**: on (re)connecting, the follower first subscribes, then reads the tip, then replays
   the heights `cursor.height .. tip` from the blocks' receipts, then continues with the live stream,
   skipping anything at or before the cursor. Subscribing first means no block falls in the gap.
   The events of the per-block timers (licence renewals, overdue returns) come after the receipts'
   (`block_events` of the same answer), with no `tx_id`, as the live stream sends them.
3. **Delivery**: each event is POSTed as JSON with `event_id = "<height>:<seq>"` (also sent as the
   `Idempotency-Key` header, so the receiver can drop a repeat). 2xx is success; 408, 429, 5xx and
   transport errors are retried with exponential backoff (`backoff_s` doubling up to
   `backoff_max_s`, at most `max_attempts`); any other status stops the follower
   (`follow.webhook_refused`), and so does exhausting the attempts (`follow.webhook_failed`): the
   cursor still points at the last delivered event, so a restart resumes there.
4. **Reconnects**: a stream that ends or drops (`events.too_slow`) is reopened, with the same
   backoff, at most `max_reconnects` times in a row.
A fresh cursor starts at the tip (only new events) unless `from_height` says otherwise.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from govledger.errors import GovledgerError

RETRY_STATUSES = frozenset({408, 429})
RECONNECT_CODES = frozenset({"follow.node_error", "events.too_slow"})
AFTER_ALL = 2**31  # a cursor seq meaning "every event of that height was before us"


@dataclass(frozen=True)
class Cursor:
    height: int = 0
    seq: int = -1  # -1: nothing delivered at `height` yet

    @classmethod
    def load(cls, path: Path) -> Cursor | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(int(data["height"]), int(data["seq"]))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            raise GovledgerError("follow.bad_cursor", f"{path} is not a follower cursor") from None

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            json.dump({"height": self.height, "seq": self.seq}, f)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)

    def before(self, height: int, seq: int) -> bool:
        """True when (height, seq) comes after this cursor (not delivered yet)."""
        return (height, seq) > (self.height, self.seq)


@dataclass(frozen=True)
class FollowOptions:
    max_attempts: int = 8
    backoff_s: float = 0.5
    backoff_max_s: float = 30.0
    max_reconnects: int = 10
    timeout_s: float = 10.0
    max_events: int = 0  # stop after delivering this many (0: run until stopped)
    from_height: int | None = None  # for a fresh cursor: replay from this height (default: the tip)


def sse_messages(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """(event type, data) per message; comments come out as ("comment", text)."""
    kind, data = "message", []
    for line in lines:
        if line.startswith(":"):
            yield "comment", line[1:].strip()
        elif line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif not line and data:
            yield kind, "\n".join(data)
            kind, data = "message", []


class Follower:
    def __init__(
        self,
        node_url: str,
        webhook_url: str,
        cursor_path: Path,
        *,
        app: str = "",
        subject: str = "",
        options: FollowOptions | None = None,
        node_http: httpx.Client | None = None,
        webhook_http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.opts = options or FollowOptions()
        self.webhook_url = webhook_url
        self.cursor_path = cursor_path
        self.filter = {"app": app, "subject": subject}
        self.node = node_http or httpx.Client(base_url=node_url.rstrip("/"), timeout=self.opts.timeout_s)
        self.hook = webhook_http or httpx.Client(timeout=self.opts.timeout_s)
        self.sleep = sleep
        self.delivered = 0
        self.cursor = Cursor.load(cursor_path)

    # --- delivery ------------------------------------------------------------------------------------

    def _post(self, payload: dict[str, Any]) -> None:
        delay = self.opts.backoff_s
        for attempt in range(1, self.opts.max_attempts + 1):
            try:
                r = self.hook.post(
                    self.webhook_url, json=payload, headers={"Idempotency-Key": payload["event_id"]}
                )
                if 200 <= r.status_code < 300:
                    return
                if r.status_code < 500 and r.status_code not in RETRY_STATUSES:
                    raise GovledgerError(
                        "follow.webhook_refused",
                        f"the webhook answered {r.status_code} to event {payload['event_id']}",
                    )
                problem = f"HTTP {r.status_code}"
            except httpx.TransportError as exc:
                problem = str(exc) or type(exc).__name__
            if attempt < self.opts.max_attempts:
                self.sleep(delay)
                delay = min(delay * 2, self.opts.backoff_max_s)
        raise GovledgerError(
            "follow.webhook_failed",
            f"event {payload['event_id']} not delivered after {self.opts.max_attempts} attempts: {problem}",
        )

    def _deliver(self, height: int, seq: int, event: dict[str, Any]) -> bool:
        """Deliver one event unless the cursor has it; True when the caller should stop."""
        assert self.cursor is not None
        if not self.cursor.before(height, seq):
            return False
        payload = {"event_id": f"{height}:{seq}", "height": height, "seq": seq, **event}
        self._post(payload)
        self.cursor = Cursor(height, seq)
        self.cursor.save(self.cursor_path)
        self.delivered += 1
        return bool(self.opts.max_events) and self.delivered >= self.opts.max_events

    def _matches(self, e: dict[str, Any]) -> bool:
        return all(not want or e.get(k) == want for k, want in self.filter.items())

    # --- catch-up and live stream --------------------------------------------------------------------

    def _get(self, path: str) -> Any:
        r = self.node.get(path)
        if r.status_code != 200:
            raise _node_error(f"GET {path}", r)
        return r.json()

    def _catch_up(self, tip: int) -> bool:
        assert self.cursor is not None
        for height in range(max(self.cursor.height, 1), tip + 1):
            seq = 0
            answer = self._get(f"/v1/blocks/{height}/receipts")
            tagged: list[tuple[str | None, dict[str, Any]]] = [
                (base64.b64decode(receipt["tx_id"]).hex(), e)  # JSON renders bytes as base64
                for receipt in answer["receipts"]
                for e in receipt["events"]
            ]
            tagged.extend((None, e) for e in answer.get("block_events", []))
            for tx_id, e in tagged:
                if not self._matches(e):
                    continue
                event = {"tx_id": tx_id, **{k: e[k] for k in ("app", "kind", "subject", "attributes")}}
                if self._deliver(height, seq, event):
                    return True
                seq += 1
        return False

    def _live(self, lines: Iterator[str]) -> bool:
        height, seq = -1, 0  # events arrive in height order: number them within their block
        for kind, data in sse_messages(lines):
            if kind == "dropped":
                raise GovledgerError("events.too_slow", "the node dropped this follower: it fell behind")
            if kind != "message":
                continue
            msg = json.loads(data)
            h = int(msg.pop("height"))
            height, seq = (h, 0) if h != height else (height, seq + 1)
            if self._deliver(height, seq, msg):
                return True
        return False

    def _session(self, stop: threading.Event) -> bool:
        """One connection: subscribe, read the tip, catch up, stream. True when finished."""
        params = {k: v for k, v in self.filter.items() if v}
        timeout = httpx.Timeout(self.opts.timeout_s, read=None)
        with self.node.stream("GET", "/v1/events", params=params, timeout=timeout) as resp:
            if resp.status_code != 200:
                resp.read()
                raise _node_error("GET /v1/events", resp)
            lines = resp.iter_lines()
            for kind, _ in sse_messages(lines):
                if kind == "comment":
                    break  # ": connected": the subscription exists from here on
            tip = int(self._get("/health")["height"])
            if self.cursor is None:
                start = tip if self.opts.from_height is None else max(0, self.opts.from_height - 1)
                self.cursor = Cursor(start, AFTER_ALL)
                self.cursor.save(self.cursor_path)
            if self._catch_up(tip) or stop.is_set():
                return True
            return self._live(_until(lines, stop))

    def run(self, stop: threading.Event | None = None) -> int:
        """Follow until `max_events` are delivered or `stop` is set; returns how many were delivered."""
        stop = stop or threading.Event()
        failures = 0
        delay = self.opts.backoff_s
        while not stop.is_set():
            try:
                if self._session(stop):
                    break
                failures, delay = 0, self.opts.backoff_s  # the stream ended cleanly: reconnect
            except (httpx.TransportError, GovledgerError) as exc:
                if isinstance(exc, GovledgerError) and exc.code not in RECONNECT_CODES:
                    raise
                failures += 1
                if failures > self.opts.max_reconnects:
                    raise GovledgerError(
                        "follow.node_unreachable", f"gave up after {failures - 1} reconnects: {exc}"
                    ) from None
            self.sleep(delay)
            delay = min(delay * 2, self.opts.backoff_max_s)
        return self.delivered

    def close(self) -> None:
        self.node.close()
        self.hook.close()


def _node_error(what: str, resp: httpx.Response) -> GovledgerError:
    """4xx from the node is a mistake to report (unknown app, bad filter); anything else is retried."""
    code = (
        "follow.node_refused"
        if 400 <= resp.status_code < 500 and resp.status_code != 429
        else "follow.node_error"
    )
    return GovledgerError(code, f"{what} answered {resp.status_code}: {resp.text[:200]}")


def _until(lines: Iterator[str], stop: threading.Event) -> Iterator[str]:
    for line in lines:
        if stop.is_set():
            return
        yield line
