"""The vault: personal data encrypted at rest, one key per data subject, on LMDB in the node's data dir.

Theory of operation
-------------------
Files in `<data dir>/vault/`: an LMDB environment (`data.mdb`) and `data_keys.slots` (see keyslots).

    meta            b"vault_id" -> 16 random bytes naming this vault (signed into read requests)
                    b"check"    -> the master key's wrapping of 32 zero bytes (wrong key -> refused)
                    b"kdf"      -> KdfParams, for a passphrase vault
                    b"next_slot"-> be32 high-water mark of key slots
    subjects        pseudonym -> SubjectEntry (registry, key slot, erased)
    records         pseudonym || record id || 0x00 || be32(version) -> VersionEntry
    heads           pseudonym || record id -> be32(current version)
    registry_keys   registry -> the registry's pseudonym key, wrapped under the master key
    free_slots      be32(slot) -> b""
    used_grants     pseudonym || request id -> be64(ledger height of the entry)

Rules
-----
- A subject's first record creates its data key: 32 random bytes, wrapped under the master key (bound
  to the pseudonym) and written to a key slot. Records are sealed under it (sealing.py).
- `put` writes version 1 of a new record; `rectify` (GDPR Art. 16) writes version n+1 with a new salt
  and so a new commitment; the old version is marked superseded and kept, still encrypted, for
  `audit_period_ms`; `purge_expired` removes superseded versions whose period has passed.
- `read` serves one version only for a committed access-log entry (access.py), once per entry; it
  serves the version the *ledger* names and checks that the decrypted record opens the ledger's
  commitment as well as the stored one.
- `erase` (GDPR Art. 17) needs a committed `privacy.record_erasure` for the subject. It overwrites
  the subject's key slot with zeros (fsync) and only then deletes the subject's records and leaves a
  tombstone, so every version of every record becomes unreadable (`vault.erased`) at once, and a
  crash in between leaves the subject unreadable, not half-erased. There is no other copy of a data
  key in the store; there is no key escrow.
- The vault never writes to the ledger and never decides who may read: the ledger does.
- Wall-clock time is read here (this is the I/O edge), through `clock`, only for retention; heights
  for grant expiry come from the ledger.
"""

from __future__ import annotations

import fcntl
import os
import struct
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import lmdb

from govledger.codec import decode_trusted, encode
from govledger.errors import CodecError, GovledgerError
from govledger.vault import access
from govledger.vault.commitment import SALT_BYTES, check_fields, pseudonym
from govledger.vault.errors import fail
from govledger.vault.keyslots import MAX_SLOTS, KeySlots
from govledger.vault.masterkey import (
    KDF_SALT_BYTES,
    KEY_BYTES,
    KeyFile,
    MasterKey,
    MasterKeySource,
    Passphrase,
    derive_from_passphrase,
    load_key_file,
)
from govledger.vault.model import (
    ErasureReport,
    KdfParams,
    PersonalRecord,
    RecordStatus,
    Sealed,
    SubjectEntry,
    SubjectStatus,
    VersionEntry,
)
from govledger.vault.sealing import Opening, seal, unseal

DEFAULT_AUDIT_PERIOD_MS = 10 * 365 * 24 * 3600 * 1000
MAP_SIZE_BYTES = 1 << 36
PSEUDONYM_BYTES = 32
MAX_RECORD_ID_CHARS = 64
MAX_VERSIONS = 64  # as many as the privacy app allows
_DATABASES = ("meta", "subjects", "records", "heads", "registry_keys", "free_slots", "used_grants")
_BE32 = struct.Struct(">I")
_BE64 = struct.Struct(">Q")
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")
_CHECK_PURPOSE = b"check"


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


def _check_id(value: str, what: str, max_len: int = MAX_RECORD_ID_CHARS) -> None:
    if not (0 < len(value) <= max_len and not set(value) - _ID_CHARS and value[0].isalnum()):
        fail("vault.bad_identifier", f"{what} {value!r} must be 1-{max_len} of [A-Za-z0-9._:-]")


def _check_pseudonym(p: bytes) -> None:
    if len(p) != PSEUDONYM_BYTES:
        fail("vault.bad_pseudonym", f"a pseudonym is {PSEUDONYM_BYTES} bytes")


def _record_key(p: bytes, record_id: str, version: int) -> bytes:
    return p + record_id.encode() + b"\x00" + _BE32.pack(version)


def _head_key(p: bytes, record_id: str) -> bytes:
    return p + record_id.encode()


def _subject_purpose(p: bytes) -> bytes:
    return b"subject:" + p


def _exclusive(path: Path) -> int:
    """One process per vault: the key slots are written outside LMDB, so LMDB's own lock is not enough."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        fail("vault.locked", f"{path.parent} is in use by another process")
    return fd


def _decode(raw: bytes, type_: type[Any], what: str) -> Any:
    try:
        return decode_trusted(raw, type_)
    except CodecError as exc:
        fail("vault.corrupt", f"{what}: {exc.message}")


class Vault:
    """One vault per node data directory. Thread-safe; one process at a time (`vault.lock`)."""

    def __init__(
        self,
        path: Path,
        source: MasterKeySource,
        *,
        audit_period_ms: int = DEFAULT_AUDIT_PERIOD_MS,
        clock: Callable[[], int] = _wall_ms,
        sync: bool = True,
    ) -> None:
        if audit_period_ms < 0:
            raise ValueError("audit_period_ms must be >= 0")
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock_fd = _exclusive(path / "vault.lock")
        self.audit_period_ms = audit_period_ms
        self._clock = clock
        self._lock = threading.Lock()
        self._env = lmdb.open(
            str(path),
            map_size=MAP_SIZE_BYTES,
            max_dbs=len(_DATABASES),
            sync=sync,
            metasync=sync,
            readahead=False,
            mode=0o600,
        )
        self._db = {n: self._env.open_db(n.encode()) for n in _DATABASES}
        self._slots = KeySlots(path / "data_keys.slots")
        try:
            self._master = self._unlock(source)
            self.vault_id = self._meta(b"vault_id") or b""
            self._scrub()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._slots.close()
        self._env.close()
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- opening -------------------------------------------------------------------------------------

    def _meta(self, key: bytes) -> bytes | None:
        with self._env.begin(db=self._db["meta"]) as txn:
            v = txn.get(key)
            return None if v is None else bytes(v)

    def _unlock(self, source: MasterKeySource) -> MasterKey:
        with self._env.begin(write=True) as txn:
            meta = self._db["meta"]
            check = txn.get(b"check", db=meta)
            raw_kdf = txn.get(b"kdf", db=meta)
            kdf = None if raw_kdf is None else _decode(bytes(raw_kdf), KdfParams, "kdf parameters")
            if isinstance(source, Passphrase):
                if check is not None and kdf is None:
                    fail("vault.wrong_master_key", "this vault was created with a key file")
                if kdf is None:
                    kdf = KdfParams(os.urandom(KDF_SALT_BYTES), source.scrypt_n)
                secret = derive_from_passphrase(Passphrase(source.text, kdf.n), kdf.salt)
            else:
                assert isinstance(source, KeyFile)
                if kdf is not None:
                    fail("vault.wrong_master_key", "this vault was created with a passphrase")
                secret = load_key_file(source.path)
            master = MasterKey(secret)
            if check is None:  # a new vault
                txn.put(b"check", master.wrap(bytes(KEY_BYTES), _CHECK_PURPOSE), db=meta)
                txn.put(b"vault_id", os.urandom(16), db=meta)
                txn.put(b"next_slot", _BE32.pack(0), db=meta)
                if kdf is not None:
                    txn.put(b"kdf", encode(kdf), db=meta)
                return master
        try:
            master.unwrap(bytes(check), _CHECK_PURPOSE)
        except GovledgerError:
            ok = False
        else:
            ok = True
        if not ok:
            fail("vault.wrong_master_key", "the master key does not open this vault")
        return master

    def _scrub(self) -> None:
        with self._env.begin(db=self._db["free_slots"]) as txn:
            free = [_BE32.unpack(bytes(k))[0] for k in txn.cursor().iternext(keys=True, values=False)]
        self._slots.scrub(free, _BE32.unpack(self._meta(b"next_slot") or bytes(4))[0])

    # --- pseudonyms ----------------------------------------------------------------------------------

    def pseudonym(self, registry: str, subject_id: str) -> bytes:
        """The subject's pseudonym in `registry` (HMAC under the registry's key, made on first use)."""
        _check_id(registry, "registry", 32)
        purpose = b"registry:" + registry.encode()
        with self._lock, self._env.begin(write=True, db=self._db["registry_keys"]) as txn:
            wrapped = txn.get(registry.encode())
            if wrapped is None:
                key = os.urandom(KEY_BYTES)
                txn.put(registry.encode(), self._master.wrap(key, purpose))
            else:
                key = self._master.unwrap(bytes(wrapped), purpose)
        return pseudonym(key, subject_id)

    # --- writes --------------------------------------------------------------------------------------

    def put(self, registry: str, p: bytes, record_id: str, fields: Mapping[str, str]) -> Sealed:
        """Seal version 1 of a new record for subject `p` (creating the subject's key if needed)."""
        _check_id(registry, "registry", 32)
        _check_pseudonym(p)
        _check_id(record_id, "record_id")
        check_fields(fields)
        with self._lock, self._env.begin(write=True) as txn:
            entry = self._subject(txn, p)
            if entry is None:
                entry = self._new_subject(txn, registry, p)
            elif entry.erased_ms:
                fail("vault.erased", "the subject was erased; a new record would need a new pseudonym")
            elif entry.registry != registry:
                fail("vault.bad_identifier", f"the pseudonym belongs to registry {entry.registry!r}")
            data_key = self._data_key(p, entry)
            if txn.get(_head_key(p, record_id), db=self._db["heads"]) is not None:
                fail("vault.record_exists", f"the subject already has record {record_id!r}")
            return self._write_version(txn, data_key, entry, p, record_id, 1, fields)

    def rectify(self, p: bytes, record_id: str, fields: Mapping[str, str]) -> Sealed:
        """GDPR Art. 16: seal version n+1 (fresh salt, new commitment); version n is kept for audit."""
        _check_pseudonym(p)
        _check_id(record_id, "record_id")
        check_fields(fields)
        with self._lock, self._env.begin(write=True) as txn:
            entry = self._live_subject(txn, p)
            data_key = self._data_key(p, entry)
            current = self._head(txn, p, record_id)
            if current >= MAX_VERSIONS:
                fail("vault.unknown_record", f"record {record_id!r} reached {MAX_VERSIONS} versions")
            old = self._version(txn, p, record_id, current)
            now = self._clock()
            txn.put(_record_key(p, record_id, current), encode(_superseded(old, now)), db=self._db["records"])
            return self._write_version(txn, data_key, entry, p, record_id, current + 1, fields)

    def _new_subject(self, txn: Any, registry: str, p: bytes) -> SubjectEntry:
        slot = self._allocate_slot(txn)
        self._slots.write(slot, p, self._master.wrap(os.urandom(KEY_BYTES), _subject_purpose(p)))
        entry = SubjectEntry(registry=registry, slot=slot, created_ms=self._clock())
        txn.put(p, encode(entry), db=self._db["subjects"])
        return entry

    def _allocate_slot(self, txn: Any) -> int:
        free = self._db["free_slots"]
        cur = txn.cursor(db=free)
        if cur.first():
            slot: int = _BE32.unpack(bytes(cur.key()))[0]
            txn.delete(bytes(cur.key()), db=free)
            return slot
        raw = txn.get(b"next_slot", db=self._db["meta"])
        slot = _BE32.unpack(bytes(raw))[0] if raw is not None else 0
        if slot >= MAX_SLOTS:
            fail("vault.corrupt", f"the vault holds its maximum of {MAX_SLOTS} subjects")
        txn.put(b"next_slot", _BE32.pack(slot + 1), db=self._db["meta"])
        return slot

    def _write_version(
        self,
        txn: Any,
        data_key: bytes,
        entry: SubjectEntry,
        p: bytes,
        record_id: str,
        version: int,
        fields: Mapping[str, str],
    ) -> Sealed:
        opening = Opening(salt=os.urandom(SALT_BYTES), fields=dict(fields))
        nonce, ciphertext = seal(data_key, p, record_id, version, opening)
        c = opening.commitment()
        stored = VersionEntry(version, c, nonce, ciphertext, self._clock())
        txn.put(_record_key(p, record_id, version), encode(stored), db=self._db["records"])
        txn.put(_head_key(p, record_id), _BE32.pack(version), db=self._db["heads"])
        return Sealed(entry.registry, p, record_id, version, c)

    # --- reads ---------------------------------------------------------------------------------------

    def read(self, request: access.ReadRequest, ledger: access.CommittedState) -> PersonalRecord:
        """Serve one read that a committed access-log entry covers, once; see access.py for the rules."""
        entry = access.authorise(ledger, self.vault_id, request)
        p, record_id = request.pseudonym, request.record_id
        on_ledger = access.committed_version(ledger, p, record_id, request.version)
        if on_ledger is None:
            fail("vault.unknown_record", f"the ledger holds no such version of {record_id!r}")
        grant = p + request.request_id
        with self._lock, self._env.begin(write=True) as txn:
            if txn.get(grant, db=self._db["used_grants"]) is not None:
                fail("vault.grant_used", f"access-log entry {request.request_id.hex()} was already used")
            subject = self._live_subject(txn, p)
            opening = self._open(txn, p, subject, record_id, on_ledger.version)
            if opening.commitment() != on_ledger.commitment:
                fail("vault.commitment_mismatch", "the stored record does not open the ledger's commitment")
            txn.put(grant, _BE64.pack(entry.height), db=self._db["used_grants"])
        return PersonalRecord(
            p,
            record_id,
            on_ledger.version,
            opening.fields,
            opening.salt,
            on_ledger.commitment,
            request.request_id,
        )

    def _open(self, txn: Any, p: bytes, subject: SubjectEntry, record_id: str, version: int) -> Opening:
        stored = self._version(txn, p, record_id, version)
        if stored.purged_ms:
            fail(
                "vault.version_purged",
                f"version {version} of {record_id!r} was purged after its audit period",
            )
        opening = unseal(self._data_key(p, subject), p, record_id, version, stored.nonce, stored.ciphertext)
        if opening.commitment() != stored.commitment:
            fail("vault.integrity", f"version {version} of {record_id!r} does not open its stored commitment")
        return opening

    def status(self, p: bytes) -> SubjectStatus:
        """What the vault holds for a subject, without decrypting anything."""
        _check_pseudonym(p)
        with self._env.begin() as txn:
            entry = self._subject(txn, p)
            if entry is None:
                fail("vault.unknown_subject", "the vault holds no data for that pseudonym")
            records: list[RecordStatus] = []
            for k, v in _prefix(txn, self._db["heads"], p):
                rid = k[PSEUDONYM_BYTES:].decode()
                current = _BE32.unpack(v)[0]
                kept = [self._version(txn, p, rid, n) for n in range(1, current + 1)]
                kept = [e for e in kept if not e.purged_ms]
                records.append(
                    RecordStatus(rid, current, [e.version for e in kept], [e.commitment for e in kept])
                )
        return SubjectStatus(p, entry.registry, entry.erased_ms != 0, records)

    # --- erasure and retention -----------------------------------------------------------------------

    def erase(self, p: bytes, ledger: access.CommittedState) -> ErasureReport:
        """GDPR Art. 17 by crypto-shredding; needs a committed erasure record. Idempotent."""
        _check_pseudonym(p)
        if not access.erasure_recorded(ledger, p):
            fail("vault.erasure_not_recorded", "commit privacy.record_erasure for the subject first")
        with self._lock, self._env.begin(write=True) as txn:
            entry = self._subject(txn, p)
            if entry is not None and entry.erased_ms:
                return ErasureReport(p, 0, already_erased=True)
            destroyed = 0
            if entry is not None:
                self._slots.destroy(entry.slot)  # the act itself: durable before LMDB says so
                txn.put(_BE32.pack(entry.slot), b"", db=self._db["free_slots"])
                destroyed = _delete_prefix(txn, self._db["records"], p)
                _delete_prefix(txn, self._db["heads"], p)
            registry = "" if entry is None else entry.registry
            tomb = SubjectEntry(
                registry=registry,
                slot=-1,
                created_ms=0 if entry is None else entry.created_ms,
                erased_ms=max(self._clock(), 1),
            )
            txn.put(p, encode(tomb), db=self._db["subjects"])
        return ErasureReport(p, destroyed, already_erased=False)

    def purge_expired(self, ledger_height: int | None = None) -> int:
        """Remove superseded versions past the audit period; with `ledger_height`, also forget used
        grants too old to be presented again. Returns how many versions were purged."""
        now = self._clock()
        purged = 0
        with self._lock, self._env.begin(write=True) as txn:
            for k, v in list(txn.cursor(db=self._db["records"]).iternext()):
                e: VersionEntry = _decode(bytes(v), VersionEntry, "a record version")
                if e.superseded_ms and not e.purged_ms and e.superseded_ms + self.audit_period_ms <= now:
                    gone = VersionEntry(e.version, e.commitment, b"", b"", e.created_ms, e.superseded_ms, now)
                    txn.put(bytes(k), encode(gone), db=self._db["records"])
                    purged += 1
            if ledger_height is not None:
                for k, v in list(txn.cursor(db=self._db["used_grants"]).iternext()):
                    if _BE64.unpack(bytes(v))[0] + access.GRANT_TTL_BLOCKS < ledger_height:
                        txn.delete(bytes(k), db=self._db["used_grants"])
        return purged

    # --- helpers -------------------------------------------------------------------------------------

    def _subject(self, txn: Any, p: bytes) -> SubjectEntry | None:
        raw = txn.get(p, db=self._db["subjects"])
        return None if raw is None else _decode(bytes(raw), SubjectEntry, "a subject entry")

    def _live_subject(self, txn: Any, p: bytes) -> SubjectEntry:
        entry = self._subject(txn, p)
        if entry is None:
            fail("vault.unknown_subject", "the vault holds no data for that pseudonym")
        if entry.erased_ms:
            fail("vault.erased", "the subject's data was erased (its key destroyed); nothing can be read")
        return entry

    def _data_key(self, p: bytes, entry: SubjectEntry) -> bytes:
        wrapped = self._slots.read(entry.slot, p)
        if wrapped is None:  # zeroed: an erasure that crashed before its LMDB commit
            fail("vault.erased", "the subject's data key was destroyed; nothing can be read")
        return self._master.unwrap(wrapped, _subject_purpose(p))

    def _head(self, txn: Any, p: bytes, record_id: str) -> int:
        raw = txn.get(_head_key(p, record_id), db=self._db["heads"])
        if raw is None:
            fail("vault.unknown_record", f"the subject has no record {record_id!r}")
        current: int = _BE32.unpack(bytes(raw))[0]
        return current

    def _version(self, txn: Any, p: bytes, record_id: str, version: int) -> VersionEntry:
        raw = txn.get(_record_key(p, record_id, version), db=self._db["records"])
        if raw is None:
            fail("vault.unknown_record", f"the subject has no version {version} of {record_id!r}")
        e: VersionEntry = _decode(bytes(raw), VersionEntry, "a record version")
        if e.version != version:
            fail("vault.integrity", f"the entry stored as version {version} says version {e.version}")
        return e


def _superseded(e: VersionEntry, now: int) -> VersionEntry:
    return VersionEntry(e.version, e.commitment, e.nonce, e.ciphertext, e.created_ms, now, e.purged_ms)


def _prefix(txn: Any, db: Any, prefix: bytes) -> list[tuple[bytes, bytes]]:
    cur = txn.cursor(db=db)
    out: list[tuple[bytes, bytes]] = []
    if not cur.set_range(prefix):
        return out
    for k, v in cur:
        kb = bytes(k)
        if not kb.startswith(prefix):
            break
        out.append((kb, bytes(v)))
    return out


def _delete_prefix(txn: Any, db: Any, prefix: bytes) -> int:
    rows = _prefix(txn, db, prefix)
    for k, _ in rows:
        txn.delete(k, db=db)
    return len(rows)
