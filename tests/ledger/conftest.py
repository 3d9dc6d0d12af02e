"""Fixtures for ledger tests: an in-process dev chain with known keys, no key files, no network."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest

from govledger.apps import registry
from govledger.codec import Record, encode
from govledger.crypto.signatures import BatchVerifier, SigningKey
from govledger.ledger import tx as txmod
from govledger.ledger.app import HasRole
from govledger.ledger.block import Commit, CommitSig, Validator, precommit_sign_bytes
from govledger.ledger.chain import Candidate, Chain, PendingBlock
from govledger.ledger.genesis import GenesisDoc, dump_genesis
from govledger.ledger.storage import Storage

CHAIN_ID = "test-chain"
GENESIS_TIME_MS = 1_700_000_000_000

_SEEDS = itertools.count(1)


def fixed_key(n: int) -> SigningKey:
    """Deterministic keys, so two chains built in one test share identities."""
    return SigningKey.from_private_bytes(1, n.to_bytes(32, "big"))  # type: ignore[arg-type]


@dataclass
class Keys:
    validator: SigningKey
    admin: SigningKey
    admin2: SigningKey
    registrar: SigningKey
    notary: SigningKey
    outsider: SigningKey


def make_keys() -> Keys:
    return Keys(*(fixed_key(i) for i in range(1, 7)))


def genesis_bytes(keys: Keys, admin_quorum: int = 1) -> bytes:
    def member(mid: str, org: str, roles: list[str], key: SigningKey) -> dict[str, object]:
        return {
            "member_id": mid,
            "org": org,
            "name": mid,
            "roles": roles,
            "public_keys": [msgspec.to_builtins(key.public_key)],
        }

    doc = GenesisDoc(
        chain_id=CHAIN_ID,
        genesis_time_ms=GENESIS_TIME_MS,
        validators=[Validator(public_key=keys.validator.public_key, power=10)],
        app_state={
            "governance": {
                "orgs": [
                    {"org_id": "ministry", "name": "Ministry", "kind": "ministry"},
                    {"org_id": "registry", "name": "Land Registry", "kind": "registry"},
                    {"org_id": "notaries", "name": "Notaries", "kind": "notary"},
                ],
                "members": [
                    member("admin-1", "ministry", ["admin"], keys.admin),
                    member("admin-2", "ministry", ["admin"], keys.admin2),
                    member("registrar-1", "registry", ["registrar", "issuer"], keys.registrar),
                    member("notary-1", "notaries", ["notary", "issuer"], keys.notary),
                ],
                "policies": {
                    "governance.*": msgspec.to_builtins(HasRole(role="admin", count=admin_quorum)),
                    "attest.record": msgspec.to_builtins(HasRole(role="issuer", count=1)),
                },
            }
        },
    )
    return dump_genesis(doc)


class DevChain:
    """A chain plus the helpers tests need to drive it block by block."""

    def __init__(self, path: Path, keys: Keys, genesis: bytes, *, sync: bool = False) -> None:
        self.keys = keys
        self.storage = Storage(path, sync=sync)
        if self.storage.genesis_bytes() is None:
            Chain.initialise(self.storage, genesis, registry.apps())
        self.chain = Chain(self.storage, registry.apps(), registry.authority(), BatchVerifier(threads=1))
        self.time_ms = self.chain.tip.time_ms

    def tx(self, app: str, op: str, body: Record, *signers: SigningKey, expiry: int | None = None) -> bytes:
        t = txmod.build(
            CHAIN_ID,
            app,
            op,
            encode(body),
            list(signers),
            nonce=next(_SEEDS),
            expiry_height=self.chain.height + 100 if expiry is None else expiry,
        )
        return encode(t)

    def candidates(self, raws: list[bytes]) -> list[Candidate]:
        out = []
        for raw in raws:
            t = txmod.decode_tx(raw)
            out.append(Candidate.of(raw, t))
        return out

    def build(self, raws: list[bytes]) -> PendingBlock:
        self.time_ms += 1000
        return self.chain.build_block(
            self.candidates(raws), self.time_ms, self.keys.validator.public_key.key_id()
        )

    def sign_commit(self, pending: PendingBlock) -> Commit:
        h = pending.header
        sig = self.keys.validator.sign(precommit_sign_bytes(h.chain_id, h.height, 0, h.hash()))
        return Commit(h.height, 0, h.hash(), [CommitSig(self.keys.validator.public_key.key_id(), sig)])

    def commit(self, raws: list[bytes]) -> PendingBlock:
        pending = self.build(raws)
        self.chain.commit(pending, self.sign_commit(pending))
        return pending

    def close(self) -> None:
        self.chain.verifier.close()
        self.storage.close()


@pytest.fixture
def keys() -> Keys:
    return make_keys()


@pytest.fixture
def dev(tmp_path: Path, keys: Keys) -> Iterator[DevChain]:
    d = DevChain(tmp_path / "chain", keys, genesis_bytes(keys))
    yield d
    d.close()
