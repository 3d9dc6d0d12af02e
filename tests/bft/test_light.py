"""The light client against a synthetic chain: following set changes, and what a lying node can do."""

from __future__ import annotations

import pytest

from govledger.codec import sha256
from govledger.crypto.signatures import SigningKey
from govledger.ledger.block import (
    Commit,
    CommitSig,
    Header,
    Validator,
    ValidatorSet,
    precommit_sign_bytes,
)
from govledger.sdk.errors import VerificationError
from govledger.sdk.light import LightBlock, LightClient

CHAIN = "light-test"


class FakeChain:
    """Heights 0..tip; `sets[h]` signs header h; a change at h means sets[h] differs from sets[h-1]."""

    def __init__(self, tip: int, changes: dict[int, list[SigningKey]], genesis: list[SigningKey]) -> None:
        self.keys: dict[int, list[SigningKey]] = {}
        current = genesis
        for h in range(0, tip + 2):
            current = changes.get(h, current)
            self.keys[h] = current
        self.tip = tip
        self.blocks: dict[int, LightBlock] = {}
        prev = bytes(32)
        for h in range(0, tip + 1):
            header = Header(
                CHAIN, h, 1000 + h, prev, 0, bytes(32), bytes(32), bytes(32),
                self.vset(h).hash(), self.vset(h + 1).hash(), b"",
            )  # fmt: skip
            commit = None if h == 0 else self.sign(header, self.keys[h])
            self.blocks[h] = LightBlock(header, commit)
            prev = header.hash()
        self.lie_sets: dict[int, ValidatorSet] = {}

    def vset(self, h: int) -> ValidatorSet:
        return ValidatorSet([Validator(k.public_key, 10) for k in self.keys[h]])

    @staticmethod
    def sign(header: Header, keys: list[SigningKey]) -> Commit:
        msg = precommit_sign_bytes(CHAIN, header.height, 0, header.hash())
        return Commit(
            header.height, 0, header.hash(), [CommitSig(k.public_key.key_id(), k.sign(msg)) for k in keys]
        )

    def block(self, h: int) -> LightBlock:
        return self.blocks[h]

    def validators(self, h: int) -> ValidatorSet:
        return self.lie_sets.get(h, self.vset(h))

    def client(self, **kw: int) -> LightClient:
        return LightClient(self.vset(1), self.blocks[0].header.hash(), self.block, self.validators, **kw)


def keys(n: int) -> list[SigningKey]:
    return [SigningKey.generate() for _ in range(n)]


def test_follows_several_changes_with_logarithmic_requests() -> None:
    g, s1, s2 = keys(4), keys(4), keys(5)
    chain = FakeChain(1000, {300: s1, 700: s2}, g)
    light = chain.client()
    top = chain.blocks[1000]
    assert light.verify_header(top.header, top.commit).hash() == chain.vset(1000).hash()
    assert [h for h, _ in light.anchors] == [1, 300, 700]
    assert light.requests < 2 * (2 + 11)  # two steps of one block + ~log2(1000) set requests
    # Old heights use the anchor in force then; no new requests for anything already followed.
    before = light.requests
    assert light.validators_for(chain.blocks[500].header).hash() == chain.vset(500).hash()
    assert light.validators_for(chain.blocks[5].header).hash() == chain.vset(5).hash()
    assert light.requests == before


def test_change_right_after_genesis() -> None:
    g, s1 = keys(4), keys(4)
    chain = FakeChain(3, {1: s1}, g)  # the genesis document's set differs from header 0's next set
    light = LightClient(ValidatorSet([Validator(k.public_key, 10) for k in g]), chain.blocks[0].header.hash(),
                        chain.block, chain.validators)  # fmt: skip
    with pytest.raises(VerificationError):  # header 0 names s1 as the set for 1, not the trusted g
        light.validators_for(chain.blocks[3].header)


def test_a_node_lying_about_a_set_cannot_make_it_trusted() -> None:
    g, s1, evil = keys(4), keys(4), keys(4)
    chain = FakeChain(100, {50: s1}, g)
    chain.lie_sets[50] = ValidatorSet([Validator(k.public_key, 10) for k in evil])
    # A header "signed" by the evil set, naming it: its set's hash does not follow from header 49.
    forged = Header(CHAIN, 60, 0, bytes(32), 0, bytes(32), bytes(32), bytes(32),
                    chain.lie_sets[50].hash(), chain.lie_sets[50].hash(), b"")  # fmt: skip
    with pytest.raises(VerificationError) as info:
        chain.client().verify_header(forged, FakeChain.sign(forged, evil))
    assert info.value.code == "proof.untrusted_validators"


def test_a_commit_by_too_few_of_the_set_is_refused() -> None:
    g = keys(4)
    chain = FakeChain(10, {}, g)
    header = chain.blocks[10].header
    with pytest.raises(VerificationError, match="not certified"):
        chain.client().verify_header(header, FakeChain.sign(header, g[:2]))  # 20 of 40 power


def test_the_number_of_changes_followed_per_call_is_bounded() -> None:
    sets = {h: keys(1) for h in range(10, 100, 10)}
    chain = FakeChain(100, sets, keys(1))
    with pytest.raises(VerificationError) as info:
        chain.client(steps_max=3).validators_for(chain.blocks[100].header)
    assert info.value.code == "proof.validator_chain_too_long"
    light = chain.client(anchors_max=4)
    light.validators_for(chain.blocks[100].header)
    assert len(light.anchors) == 4 and light.anchors[0][0] == 1  # genesis kept, the newest kept


def test_block_zero_is_checked_by_hash() -> None:
    chain = FakeChain(2, {}, keys(4))
    light = chain.client()
    assert light.verify_header(chain.blocks[0].header, None) is not None
    bad = Header(CHAIN, 0, 1, bytes(32), 0, sha256(b"x"), bytes(32), bytes(32), bytes(32), bytes(32), b"")
    with pytest.raises(VerificationError):
        light.verify_header(bad, None)
