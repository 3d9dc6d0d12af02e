"""Parties: registration with proof of possession, key rebinding after an identity check."""

from __future__ import annotations

import pytest

from govledger.apps.company.model import KeyId, PartyId, RebindPartyKeys, RegisterParty
from govledger.apps.company.queries import party, party_by_key

from .harness import A, Ledger, key, kid, person, sha


def test_register_party_binds_keys(led: Ledger) -> None:
    k = key(77)
    r = led.ok("register_party", person("gina", k), A.clerk, k)
    assert [(e.kind, e.subject) for e in r.events] == [("party_registered", "party:gina")]
    p = party(led.view, PartyId("gina"))
    assert p is not None and p.key_ids == [kid(k)] and p.threshold == 1 and p.registered_height == led.height


@pytest.mark.parametrize("missing", ["clerk", "key"])
def test_register_party_needs_registrar_and_key(led: Ledger, missing: str) -> None:
    k = key(77)
    signers = {"clerk": A.clerk, "key": k}
    del signers[missing]
    led.refused("register_party", person("gina", k), *signers.values(), code="auth.missing_signers")


def test_a_land_registrar_is_not_a_company_registrar(led: Ledger) -> None:
    k = key(77)
    led.refused("register_party", person("gina", k), A.land_registrar, k, code="auth.missing_signers")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (person("alice", key(77)), "company.party_exists"),
        (person("gina", A.alice), "company.key_in_use"),
        (person("gina/x", key(77)), "company.bad_identifier"),
        (RegisterParty("gina", "robot", sha("x"), [kid(key(77))], 1), "company.bad_vocabulary"),
        (RegisterParty("gina", "person", bytes(32), [kid(key(77))], 1), "company.bad_commitment"),
        (RegisterParty("gina", "person", b"short", [kid(key(77))], 1), "company.bad_commitment"),
        (RegisterParty("gina", "person", sha("x"), [kid(key(77))], 2), "company.bad_party"),
        (RegisterParty("gina", "person", sha("x"), [], 1), "company.bad_party"),
        (RegisterParty("gina", "person", sha("x"), [b"\x01" * 19], 1), "company.bad_party"),
    ],
)
def test_register_party_rules(led: Ledger, body: RegisterParty, code: str) -> None:
    signers = [A.clerk, key(77)] if code != "company.key_in_use" else [A.clerk, A.alice]
    if code == "company.bad_party" and body.key_ids and len(body.key_ids[0]) != 20:
        signers = [A.clerk]
    led.refused("register_party", body, *signers, code=code)


def test_rebind_party_keys_moves_the_binding(led: Ledger) -> None:
    new = key(78)
    body = RebindPartyKeys("alice", [kid(new)], 1, sha("id-check"))
    r = led.ok("rebind_party_keys", body, A.clerk, new)
    assert r.events[0].kind == "party_keys_rebound"
    p = party_by_key(led.view, KeyId(kid(new)))
    assert p is not None and p.party_id == "alice"
    assert party_by_key(led.view, KeyId(kid(A.alice))) is None


@pytest.mark.parametrize("missing", ["clerk", "key"])
def test_rebind_needs_registrar_and_new_key(led: Ledger, missing: str) -> None:
    new = key(78)
    signers = {"clerk": A.clerk, "key": new}
    del signers[missing]
    body = RebindPartyKeys("alice", [kid(new)], 1, sha("id-check"))
    led.refused("rebind_party_keys", body, *signers.values(), code="auth.missing_signers")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (RebindPartyKeys("nobody", [kid(key(78))], 1, sha("id")), "company.unknown_party"),
        (RebindPartyKeys("alice", [kid(key(78))], 1, b"x"), "company.bad_digest"),
    ],
)
def test_rebind_rules(led: Ledger, body: RebindPartyKeys, code: str) -> None:
    led.refused("rebind_party_keys", body, A.clerk, key(78), code=code)


def test_rebind_to_a_key_of_another_party_is_refused(led: Ledger) -> None:
    body = RebindPartyKeys("alice", [kid(A.bob)], 1, sha("id"))
    led.refused("rebind_party_keys", body, A.clerk, A.bob, code="company.key_in_use")
