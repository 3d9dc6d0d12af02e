"""Commit fan-out: bridges the node's block thread to asyncio waiters and event-stream subscribers.

The node calls `CommitHub.on_commit` on its block thread after every commit; the hub must not block
there. It resolves long-poll waiters (`wait`) and feeds Server-Sent-Event subscribers, always by
scheduling work on the waiter's own event loop with `loop.call_soon_threadsafe`.

Both are bounded: at most `max_waiters` pending waits and `max_subscribers` streams (503 beyond),
and each subscriber buffers at most `max_pending_events`; a client that falls further behind is
dropped rather than buffered forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from govledger.api.errors import ApiError
from govledger.api.models import EventMessage
from govledger.codec import to_json
from govledger.ledger.block import Event, Receipt
from govledger.node.node import CommittedBlock


@dataclass(frozen=True)
class Committed:
    """Where a transaction landed."""

    height: int
    index: int
    receipt: Receipt


@dataclass
class _Waiter:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Committed]


def _resolve(future: asyncio.Future[Committed], value: Committed) -> None:
    if not future.done():
        future.set_result(value)


@dataclass
class Subscription:
    """One event-stream client: filters, a bounded buffer of encoded events, and a wake-up flag."""

    loop: asyncio.AbstractEventLoop
    app: str
    subject: str
    max_pending: int
    queue: deque[bytes] = field(default_factory=deque)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: bool = False

    def matches(self, e: Event) -> bool:
        return (not self.app or e.app == self.app) and (not self.subject or e.subject == self.subject)

    def push(self, items: list[bytes]) -> None:
        """Runs on the subscriber's loop."""
        if self.dropped:
            return
        if len(self.queue) + len(items) > self.max_pending:
            self.dropped = True
            self.queue.clear()
        else:
            self.queue.extend(items)
        self.ready.set()


class CommitHub:
    def __init__(
        self, max_waiters: int = 10_000, max_subscribers: int = 256, max_pending_events: int = 10_000
    ) -> None:
        self.max_waiters = max_waiters
        self.max_subscribers = max_subscribers
        self.max_pending_events = max_pending_events
        self._lock = threading.Lock()
        self._waiters: dict[bytes, list[_Waiter]] = {}
        self._waiter_count = 0
        self._subs: list[Subscription] = []
        self.extra_listeners: list[Callable[[CommittedBlock], None]] = []

    # --- waiters ------------------------------------------------------------------------------------

    @property
    def waiter_count(self) -> int:
        return self._waiter_count

    def add_waiter(self, tx_id: bytes) -> _Waiter:
        loop = asyncio.get_running_loop()
        waiter = _Waiter(loop, loop.create_future())
        with self._lock:
            if self._waiter_count >= self.max_waiters:
                raise ApiError(
                    "api.too_many_waiters", "too many clients are waiting for commits; retry later"
                )
            self._waiters.setdefault(tx_id, []).append(waiter)
            self._waiter_count += 1
        return waiter

    def remove_waiter(self, tx_id: bytes, waiter: _Waiter) -> None:
        with self._lock:
            ws = self._waiters.get(tx_id)
            if ws is None or waiter not in ws:
                return
            ws.remove(waiter)
            self._waiter_count -= 1
            if not ws:
                del self._waiters[tx_id]

    async def wait(
        self, tx_id: bytes, timeout_s: float, lookup: Callable[[bytes], Committed | None]
    ) -> Committed | None:
        """The commit of `tx_id` once it happens, or None after `timeout_s`.

        The waiter is registered before `lookup` checks storage, so a commit between the two is seen.
        """
        waiter = self.add_waiter(tx_id)
        try:
            done = lookup(tx_id)
            if done is not None:
                return done
            try:
                return await asyncio.wait_for(waiter.future, timeout_s)
            except TimeoutError:
                return None
        finally:
            self.remove_waiter(tx_id, waiter)

    # --- subscribers --------------------------------------------------------------------------------

    def subscribe(self, app: str, subject: str) -> Subscription:
        sub = Subscription(asyncio.get_running_loop(), app, subject, self.max_pending_events)
        with self._lock:
            if len(self._subs) >= self.max_subscribers:
                raise ApiError("api.too_many_subscribers", "too many event-stream clients; retry later")
            self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    @property
    def subscriber_count(self) -> int:
        return len(self._subs)

    # --- the node listener (block thread) -----------------------------------------------------------

    def on_commit(self, block: CommittedBlock) -> None:
        height = block.header.height
        hits: list[tuple[list[_Waiter], Committed]] = []
        with self._lock:
            if any(s.dropped for s in self._subs):  # dropped clients stop counting towards the limit
                self._subs = [s for s in self._subs if not s.dropped]
            if self._waiters:
                for i, r in enumerate(block.receipts):
                    ws = self._waiters.get(r.tx_id)
                    if ws:
                        hits.append((list(ws), Committed(height, i, r)))
            subs = list(self._subs)
        for ws, value in hits:
            for w in ws:
                _call_soon(w.loop, _resolve, w.future, value)
        if subs:
            self._publish(subs, block)
        for listener in self.extra_listeners:
            listener(block)

    def _publish(self, subs: list[Subscription], block: CommittedBlock) -> None:
        """Hand each subscriber its matching events; indexed, so this costs O(events + output)."""
        height = block.header.height
        tagged: list[tuple[str | None, Event]] = [
            (r.tx_id.hex(), e) for r in block.receipts for e in r.events
        ]
        tagged.extend((None, e) for e in block.events[len(tagged) :])
        by_subject: dict[str, list[int]] = {}
        by_app: dict[str, list[int]] = {}
        for n, (_, e) in enumerate(tagged):
            by_subject.setdefault(e.subject, []).append(n)
            by_app.setdefault(e.app, []).append(n)
        encoded: dict[int, bytes] = {}

        def frame(n: int) -> bytes:
            data = encoded.get(n)
            if data is None:
                txid, e = tagged[n]
                msg = EventMessage(height, txid, e.app, e.kind, e.subject, dict(e.attributes))
                data = encoded[n] = b"data: " + to_json(msg) + b"\n\n"
            return data

        for sub in subs:
            if sub.subject:
                picked = [
                    n for n in by_subject.get(sub.subject, ()) if not sub.app or tagged[n][1].app == sub.app
                ]
            elif sub.app:
                picked = by_app.get(sub.app, [])
            else:
                picked = list(range(len(tagged)))
            if picked:
                _call_soon(sub.loop, sub.push, [frame(n) for n in picked])


def _call_soon(loop: asyncio.AbstractEventLoop, fn: Callable[..., None], *args: object) -> None:
    # RuntimeError: the client's loop is gone (shut down); there is nobody left to notify.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(fn, *args)
