"""The address book: who the nodes of a network are, where they listen, and which certificate to pin.

One JSON file (`peers.json`, or the `peers` list of a local network's `manifest.json`) lists every
node: its key id (hex, the id the validator set and TLS both use), host, P2P and API ports, its
self-signed TLS certificate (PEM; a pure function of the node key, see `net/identity.py`), whether it
was created as a validator, and a name for humans. A node pins every certificate in the book, allows
exactly the keys in the book to connect, and dials those with a known port (port 0: pinned and
allowed, but dialed only once its address is given, which in-process tests do after binding).

Decoding is strict about the fields it reads (types, hex, port range) and ignores the rest of the
document, so the same loader reads a manifest. Bounds: `BOOK_BYTES_MAX`, `PEERS_MAX`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import msgspec

from govledger.errors import GovledgerError
from govledger.net.identity import certificate_key_id

__all__ = ["BOOK_BYTES_MAX", "PEERS_MAX", "AddressBook", "PeerEntry", "load_address_book"]

BOOK_BYTES_MAX: Final = 4 << 20
PEERS_MAX: Final = 1024


class PeerEntry(msgspec.Struct, frozen=True):
    id: str
    host: str
    p2p_port: int
    api_port: int
    certificate: str
    validator: bool = True
    name: str = ""

    @property
    def key_id(self) -> bytes:
        return bytes.fromhex(self.id)


class AddressBook(msgspec.Struct, frozen=True):
    chain_id: str
    peers: list[PeerEntry]

    def by_id(self) -> dict[bytes, PeerEntry]:
        return {p.key_id: p for p in self.peers}


def _problem(book: AddressBook) -> str | None:
    if len(book.peers) > PEERS_MAX:
        return f"more than {PEERS_MAX} peers"
    seen: set[bytes] = set()
    for p in book.peers:
        try:
            kid = bytes.fromhex(p.id)
        except ValueError:
            return f"peer id {p.id!r} is not hex"
        if len(kid) != 20 or kid in seen:
            return f"peer id {p.id} is not a unique 20-byte key id"
        seen.add(kid)
        if not 0 <= p.p2p_port < 65536 or not 0 <= p.api_port < 65536:
            return f"peer {p.id}: port out of range"
        try:
            if certificate_key_id(p.certificate.encode()) != kid:
                return f"peer {p.id}: its certificate is for another key"
        except GovledgerError as exc:
            return f"peer {p.id}: {exc.message}"
    return None


def load_address_book(path: Path) -> AddressBook:
    """Read and check a peers file (or a network manifest); GovledgerError `peers.invalid` if bad."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GovledgerError("peers.unreadable", f"cannot read {path}: {exc.strerror}") from None
    if len(data) > BOOK_BYTES_MAX:
        raise GovledgerError("peers.invalid", f"{path} is larger than {BOOK_BYTES_MAX} bytes")
    try:
        book = msgspec.json.decode(data, type=AddressBook)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise GovledgerError("peers.invalid", f"{path}: {exc}") from None
    problem = _problem(book)
    if problem is not None:
        raise GovledgerError("peers.invalid", f"{path}: {problem}")
    return book


def dump_address_book(book: AddressBook) -> bytes:
    return msgspec.json.format(msgspec.json.encode(book), indent=2)
