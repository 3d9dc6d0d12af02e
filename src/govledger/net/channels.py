"""Channel ids of the validator-to-validator transport: the one place they are numbered.

`net/` moves frames on these channels without knowing what the payloads mean; the node defines the
payload of each channel. A channel id is one byte on the wire (see `net/transport.py`), so ids live in
1..255. Id 0 is reserved for the transport's own control frames (HELLO, PING) and is never handed to
the node. A frame on a channel outside the set a `PeerManager` was built with closes the connection:
an unknown id is a protocol error, not something to skip silently.
"""

from __future__ import annotations

from typing import Final

__all__ = ["ALL", "BLOCKSYNC", "CONSENSUS", "CONTROL", "EVIDENCE", "STATUS", "TXS", "name"]

CONTROL: Final = 0
"""Transport-internal (HELLO, PING); never delivered to the node, never accepted from `send`."""

CONSENSUS: Final = 1
"""Proposals, block parts, prevotes, precommits."""
TXS: Final = 2
"""Transaction batches gossiped between mempools."""
BLOCKSYNC: Final = 3
"""Block-sync requests and responses (the largest frames)."""
EVIDENCE: Final = 4
"""Evidence of misbehaviour (duplicate votes)."""
STATUS: Final = 5
"""Height/round status announcements."""

ALL: Final[frozenset[int]] = frozenset({CONSENSUS, TXS, BLOCKSYNC, EVIDENCE, STATUS})
"""The application channels a `PeerManager` accepts by default."""

_NAMES: Final[dict[int, str]] = {
    CONTROL: "control",
    CONSENSUS: "consensus",
    TXS: "txs",
    BLOCKSYNC: "blocksync",
    EVIDENCE: "evidence",
    STATUS: "status",
}


def name(channel: int) -> str:
    """A stable label for metrics and logs (`ch7` for ids this module does not name)."""
    return _NAMES.get(channel, f"ch{channel}")
