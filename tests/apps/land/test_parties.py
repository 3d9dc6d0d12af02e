"""Parties: registration with proof of possession, groups, updates, key recovery; no personal data."""

from __future__ import annotations

import pytest

from govledger.apps.land.model import KeyId, Party, PartyId, RecoverPartyKeys, RegisterParty, UpdateParty
from govledger.apps.land.queries import party, party_by_key

from .harness import A, Ledger, hold, key, kid, person, sha, src


def _group(party_id: str, *members: tuple[str, int, int]) -> RegisterParty:
    return RegisterParty(
        party_id=party_id,
        kind="group",
        commitment=sha("vault:" + party_id),
        key_ids=[],
        threshold=0,
        members=[hold(p, n, d) for p, n, d in members],
    )


def test_register_a_person_binds_keys_and_stores_only_a_commitment(led: Ledger) -> None:
    k1, k2 = key(21), key(22)
    body = person("frank", k1, k2, threshold=2)
    r = led.ok("register_party", body, A.registrar, k1, k2)
    assert [(e.kind, e.subject) for e in r.events] == [("party_registered", "party:frank")]
    p = party(led.view, PartyId("frank"))
    assert p is not None
    assert p.commitment == sha("vault:frank") and p.kind == "person" and p.threshold == 2
    assert p.key_ids == sorted([kid(k1), kid(k2)]) and p.parcels_held == 0
    assert party_by_key(led.view, KeyId(kid(k2))) == p
    assert set(Party.__struct_fields__).isdisjoint({"name", "birth_date", "address"})


@pytest.mark.parametrize("missing", ["registrar", "first key", "second key"])
def test_register_needs_the_registrar_and_every_key(led: Ledger, missing: str) -> None:
    k1, k2 = key(21), key(22)
    signers = {"registrar": A.registrar, "first key": k1, "second key": k2}
    del signers[missing]
    led.refused("register_party", person("frank", k1, k2), *signers.values(), code="auth.missing_signers")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (person("alice", key(21)), "land.party_exists"),
        (person("frank", A.alice), "land.key_in_use"),
        (person("bad/id", key(21)), "land.bad_identifier"),
        (person("frank", key(21), threshold=2), "land.bad_party"),
        (person("frank"), "land.bad_party"),
        (RegisterParty("frank", "person", sha("x"), [kid(key(21))], 1, [hold("alice")]), "land.bad_party"),
        (RegisterParty("frank", "person", b"\x01" * 31, [kid(key(21))], 1, []), "land.bad_commitment"),
        (RegisterParty("frank", "person", bytes(32), [kid(key(21))], 1, []), "land.bad_commitment"),
        (RegisterParty("frank", "robot", sha("x"), [kid(key(21))], 1, []), "land.bad_vocabulary"),
    ],
)
def test_register_rules(led: Ledger, body: RegisterParty, code: str) -> None:
    led.refused("register_party", body, A.registrar, key(21), A.alice, code=code)


def test_a_group_signs_through_all_its_members(led: Ledger) -> None:
    body = _group("couple", ("alice", 1, 2), ("bob", 1, 2))
    led.refused("register_party", body, A.registrar, A.alice, code="auth.missing_signers")
    led.ok("register_party", body, A.registrar, A.alice, A.bob)
    g = party(led.view, PartyId("couple"))
    assert g is not None and g.kind == "group" and [m.party_id for m in g.members] == ["alice", "bob"]


@pytest.mark.parametrize(
    ("members", "code"),
    [
        ([("alice", 1, 2), ("bob", 1, 3)], "land.shares_not_one"),
        ([("alice", 1, 1)], "land.bad_party"),
        ([("alice", 1, 2), ("alice", 1, 2)], "land.bad_holdings"),
        ([("alice", 2, 4), ("bob", 1, 2)], "land.bad_share"),
        ([("alice", 1, 2), ("nobody", 1, 2)], "land.unknown_party"),
    ],
)
def test_group_rules(led: Ledger, members: list[tuple[str, int, int]], code: str) -> None:
    led.refused("register_party", _group("g", *members), A.registrar, A.alice, A.bob, code=code)


def test_groups_do_not_nest(led: Ledger) -> None:
    led.ok("register_party", _group("g1", ("alice", 1, 2), ("bob", 1, 2)), A.registrar, A.alice, A.bob)
    body = _group("g2", ("g1", 1, 2), ("carol", 1, 2))
    led.refused("register_party", body, A.registrar, A.alice, A.bob, A.carol, code="land.bad_party")


def test_update_party_needs_the_party_the_new_key_and_the_registrar(led: Ledger) -> None:
    new = key(30)
    body = UpdateParty("alice", sha("new address"), [kid(A.alice), kid(new)], 1, [])
    for signers in ([A.alice, new], [A.registrar, new], [A.registrar, A.alice]):
        led.refused("update_party", body, *signers, code="auth.missing_signers")
    led.ok("update_party", body, A.registrar, A.alice, new)
    p = party(led.view, PartyId("alice"))
    assert p is not None and p.commitment == sha("new address") and kid(new) in p.key_ids
    assert p.parcels_held == 2, "the count of parcels survives an update"
    # dropping a key unbinds it
    led.ok("update_party", UpdateParty("alice", sha("x"), [kid(new)], 1, []), A.registrar, new)
    assert party_by_key(led.view, KeyId(kid(A.alice))) is None


def test_update_refuses_a_key_of_another_party(led: Ledger) -> None:
    body = UpdateParty("alice", sha("x"), [kid(A.alice), kid(A.bob)], 1, [])
    led.refused("update_party", body, A.registrar, A.alice, A.bob, code="land.key_in_use")
    led.refused(
        "update_party",
        UpdateParty("zed", sha("x"), [kid(A.alice)], 1, []),
        A.registrar,
        A.alice,
        code="land.unknown_party",
    )


def test_recover_keys_needs_registrar_notary_and_new_key(led: Ledger) -> None:
    new = key(31)
    body = RecoverPartyKeys("alice", [kid(new)], 1, [src("identity_check")])
    for signers in ([A.registrar, new], [A.notary, new], [A.registrar, A.notary]):
        led.refused("recover_party_keys", body, *signers, code="auth.missing_signers")
    no_source = RecoverPartyKeys("alice", [kid(new)], 1, [src("deed")])
    led.refused("recover_party_keys", no_source, A.registrar, A.notary, new, code="land.source_required")
    r = led.ok("recover_party_keys", body, A.registrar, A.notary, new)
    assert r.events[0].kind == "party_keys_recovered"
    p = party(led.view, PartyId("alice"))
    assert p is not None and p.key_ids == [kid(new)]
    assert party_by_key(led.view, KeyId(kid(A.alice))) is None
    # the lost key no longer counts as alice's signature
    from govledger.apps.land.model import Transfer

    sale = Transfer("P1", [hold("alice")], [hold("carol")], [src("deed")])
    led.refused("transfer", sale, A.alice, A.carol, A.notary, code="auth.missing_signers")
    led.ok("transfer", sale, new, A.carol, A.notary)
