"""Authorising a read: no committed access-log entry, no personal data.

The choice, and why
-------------------
Every read must be logged on the ledger. Two designs were possible: the vault submits a log
transaction and serves the read once it commits, or the requester commits the log entry first and
the vault serves only reads that a committed entry covers. This module implements the second:

1. The requester builds `privacy.log_access` with a fresh random request id (`new_access_request`),
   signs it with their own member key and submits it. The privacy app checks, at execution, that the
   key belongs to a member holding a role allowed the purpose, and commits the entry.
2. The requester asks the vault, signing a `ReadRequest` for that entry with the same key.
3. `authorise` checks, against committed ledger state the vault reads itself: the signature; that a
   committed entry exists for (subject, request id) and names this requester, record, version and
   purpose; that it is at most `GRANT_TTL_BLOCKS` old; that the key and its roles still allow the
   purpose at the tip (a role revoked since the log entry stops the read). The vault then marks the
   entry used (one read per entry) and serves it.

Why: the log entry is signed by the requester, not by the vault, so it is non-repudiable evidence of
who asked, for what; the vault needs no ledger keys and submits nothing; a vault that crashes
mid-read leaves a log entry and no read (over-logging) and never a read without an entry
(under-logging). A read is only ever served after its entry is committed, so no read goes unlogged.
The request id is public once committed, hence the signature on the read: only the logged requester
can use the entry. The signed message names the vault, so a request for one vault cannot be replayed
at another.

`CommittedState` must be committed state (the node's `Storage.snapshot()`), never a block buffer:
a log entry in a block that is not yet committed does not authorise anything.
"""

from __future__ import annotations

import os
from typing import Protocol

from govledger.apps.privacy import store as privacy
from govledger.apps.privacy.model import ACCESS_CURRENT, AccessEntry, DataVersion, LogAccess
from govledger.codec import Record, encode
from govledger.crypto.signatures import PublicKey, SigningKey, verify
from govledger.ledger.app import AppView
from govledger.vault.errors import fail

READ_DOMAIN = b"govledger/vault/read/v1\x00"
GRANT_TTL_BLOCKS = 100  # a logged read must be served within this many blocks of its entry
REQUEST_ID_BYTES = 32


class CommittedState(Protocol):
    """Committed ledger state at `height` (implemented by `govledger.ledger.storage.Snapshot`)."""

    height: int

    def get(self, full_key: bytes) -> bytes | None: ...

    def scan_prefix(
        self, prefix: bytes, limit: int, start_after: bytes | None = None
    ) -> list[tuple[bytes, bytes]]: ...


class ReadRequest(Record, frozen=True):
    """A requester's signed demand to read what their committed access-log entry covers."""

    vault_id: bytes
    request_id: bytes
    pseudonym: bytes
    record_id: str
    version: int  # 0: the current version
    purpose: str
    requester: PublicKey
    signature: bytes

    def message(self) -> bytes:
        return read_message(
            self.vault_id,
            self.request_id,
            self.pseudonym,
            self.record_id,
            self.version,
            self.purpose,
            self.requester,
        )


def read_message(
    vault_id: bytes,
    request_id: bytes,
    pseudonym: bytes,
    record_id: str,
    version: int,
    purpose: str,
    requester: PublicKey,
) -> bytes:
    return READ_DOMAIN + encode([vault_id, request_id, pseudonym, record_id, version, purpose, requester])


def new_access_request(
    pseudonym: bytes, record_id: str, purpose: str, version: int = ACCESS_CURRENT
) -> LogAccess:
    """The body of the `privacy.log_access` transaction to commit before reading (fresh request id)."""
    return LogAccess(os.urandom(REQUEST_ID_BYTES), pseudonym, record_id, version, purpose)


def sign_read(key: SigningKey, vault_id: bytes, log: LogAccess) -> ReadRequest:
    """The read request for a committed `log`, signed by the requester's `key`."""
    pk = key.public_key
    msg = read_message(vault_id, log.request_id, log.pseudonym, log.record_id, log.version, log.purpose, pk)
    return ReadRequest(
        vault_id, log.request_id, log.pseudonym, log.record_id, log.version, log.purpose, pk, key.sign(msg)
    )


def authorise(ledger: CommittedState, vault_id: bytes, req: ReadRequest) -> AccessEntry:
    """The committed entry that authorises `req`, or a VaultError saying why the read is refused."""
    if req.vault_id != vault_id or not verify(req.requester, req.message(), req.signature):
        fail("vault.bad_signature", "the read request is not signed for this vault by the requester")
    view = AppView(ledger, privacy.NAME)
    entry = privacy.access_entry(view, req.pseudonym, req.request_id)
    if entry is None:
        fail("vault.not_logged", f"no committed access-log entry {req.request_id.hex()} for the subject")
    wanted = (req.requester.key_id(), req.record_id, req.version, req.purpose)
    if (entry.requester_key, entry.record_id, entry.version, entry.purpose) != wanted:
        fail(
            "vault.grant_mismatch", "the committed entry names another requester, record, version or purpose"
        )
    if ledger.height - entry.height > GRANT_TTL_BLOCKS:
        fail(
            "vault.grant_expired",
            f"the entry at height {entry.height} is older than {GRANT_TTL_BLOCKS} blocks",
        )
    if privacy.read_allowed(view, entry.requester_key, entry.purpose) is None:
        fail("vault.not_authorised", f"the requester may no longer read for {entry.purpose!r}")
    return entry


def committed_version(
    ledger: CommittedState, pseudonym: bytes, record_id: str, version: int
) -> DataVersion | None:
    """The version the ledger holds (0: its current one): the ledger, not the vault, decides what
    "current" means, so a vault rectified ahead of the ledger still serves what the ledger commits to."""
    view = AppView(ledger, privacy.NAME)
    if version == ACCESS_CURRENT:
        return privacy.current(view, pseudonym, record_id)
    return privacy.version(view, pseudonym, record_id, version)


def erasure_recorded(ledger: CommittedState, pseudonym: bytes) -> bool:
    return privacy.erasure(AppView(ledger, privacy.NAME), pseudonym) is not None
