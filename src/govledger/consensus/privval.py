"""Double-sign protection for a validator key (spec/consensus/signing.md, "Double Signing").

The privval owns one fact: the last (height, round, step) this key signed, with the hash of the
sign bytes and the signature. It is persisted durably (temporary file, fsync, atomic rename, fsync
of the directory) *before* a new signature is returned, so no signature ever leaves the process
that a restart could forget and sign differently.

Rules, with step order PROPOSAL < PREVOTE < PRECOMMIT (signing.md's per-type conditions are
exactly "(height, round, step) strictly increases"):

- a later (height, round, step) than the last one: sign, persist, release;
- the same (height, round, step) and identical sign bytes: return the stored signature (a restarted
  node replaying its WAL re-signs the same message; Ed25519 would give the same bytes anyway);
- anything else (an earlier step, or a different message at the same step): refuse with
  `DoubleSignError` (code `privval.double_sign`).

Refusal is the expected outcome in one replay case (wal.md): a crash between signing and writing
the WAL can leave the privval ahead of the WAL; the core then stays silent in that step.

A corrupt state file is a hard error (`privval.corrupt_state`), never a silent reset: resetting it
would re-open every height to double signing. A missing file means a fresh key.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from govledger.codec import Record, decode, encode, sha256
from govledger.consensus.types import (
    ConsensusError,
    Message,
    Proposal,
    SignedMsgType,
    check_chain_id,
    check_proposal,
    check_vote,
)
from govledger.errors import CodecError, GovledgerError

STATE_BYTES_MAX = 16 << 10

_STEP_ORDER = {SignedMsgType.PROPOSAL: 1, SignedMsgType.PREVOTE: 2, SignedMsgType.PRECOMMIT: 3}


class DoubleSignError(GovledgerError):
    """The privval refused to sign: it would contradict something this key already signed."""


class LastSignState(Record, frozen=True):
    height: int
    round: int
    step: int  # 1 proposal, 2 prevote, 3 precommit
    sign_bytes_hash: bytes
    signature: bytes

    def hrs(self) -> tuple[int, int, int]:
        return self.height, self.round, self.step


class PrivValStore(Protocol):
    def load(self) -> LastSignState | None: ...

    def save(self, state: LastSignState) -> None:
        """Return only once `state` survives a crash."""
        ...


class FilePrivValStore:
    """The state in one small file, replaced atomically (write temp, fsync, rename, fsync dir)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> LastSignState | None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            return decode(data, LastSignState, max_bytes=STATE_BYTES_MAX)
        except CodecError as exc:
            raise ConsensusError("privval.corrupt_state", f"{self.path}: {exc.message}") from None

    def save(self, state: LastSignState) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            data = memoryview(encode(state))
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class MemoryPrivValStore:
    """For the simulator and tests: survives a simulated crash because it is never lost."""

    def __init__(self) -> None:
        self.state: LastSignState | None = None
        self.saves = 0

    def load(self) -> LastSignState | None:
        return self.state

    def save(self, state: LastSignState) -> None:
        self.state = state
        self.saves += 1


class PrivValidator:
    """Signs proposals and votes for one validator id; the core's `sign` port is `privval.sign`."""

    def __init__(
        self,
        chain_id: str,
        validator_id: bytes,
        sign_bytes: Callable[[bytes], bytes],
        store: PrivValStore,
        value_bytes_max: int = 1 << 30,
    ) -> None:
        check_chain_id(chain_id)
        self.chain_id = chain_id
        self.validator_id = validator_id
        self._sign_raw = sign_bytes
        self._store = store
        self._value_bytes_max = value_bytes_max
        self._last = store.load()

    @property
    def last(self) -> LastSignState | None:
        return self._last

    def sign(self, message: Message) -> Message:
        """The message with its signature, or DoubleSignError; persisted before it returns."""
        self._check(message)
        hrs = (message.height, message.round, _STEP_ORDER[message.msg_type])
        payload = message.sign_bytes(self.chain_id)
        digest = sha256(payload)
        last = self._last
        if last is not None and hrs <= last.hrs():
            if hrs == last.hrs() and digest == last.sign_bytes_hash:
                return message.with_signature(last.signature)
            what = "a different message at the same step" if hrs == last.hrs() else "a later step"
            raise DoubleSignError(
                "privval.double_sign",
                f"refusing to sign {message.msg_type.name} at height {hrs[0]} round {hrs[1]}: "
                f"this key already signed {what} (height, round, step = {last.hrs()})",
            )
        signature = self._sign_raw(payload)
        state = LastSignState(hrs[0], hrs[1], hrs[2], digest, signature)
        self._store.save(state)  # durable before the signature is released
        self._last = state
        return message.with_signature(signature)

    __call__ = sign

    def _check(self, message: Message) -> None:
        """signing.md's validity rules: never sign a malformed message or another key's message."""
        if message.sender != self.validator_id:
            raise ConsensusError("privval.wrong_signer", "message names another validator")
        if isinstance(message, Proposal):
            check_proposal(message, self._value_bytes_max)
        else:
            check_vote(message)
