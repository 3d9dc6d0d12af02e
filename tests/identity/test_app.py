"""The identity app: every operation's success, its signers, its rules, and that failures write nothing."""

from __future__ import annotations

import msgspec
import pytest

from govledger.apps.identity import queries as q
from govledger.apps.identity.model import (
    Accredit,
    AccreditationRef,
    ByDid,
    ByDidId,
    ByListId,
    DidAt,
    DidCreate,
    DidDeactivate,
    DidService,
    DidUpdate,
    StatusAllocate,
    StatusAt,
    StatusListCreate,
    StatusSet,
    SubjectRef,
    TrustedAt,
    WithdrawAccreditation,
)
from govledger.crypto.signatures import PublicKey, Scheme, SigningKey
from govledger.identity.did import DidResolver
from govledger.identity.errors import CheckFailed

from .harness import CHAIN_ID, LIST_ID, LIST_URI, MOI_DID, K, Ledger, attrs, did_key_of, fresh_world, key


@pytest.fixture
def led() -> Ledger:
    return fresh_world()


def _create(did_id: str = "alice", *keys: SigningKey, threshold: int = 1) -> DidCreate:
    ks = keys or (K.alice,)
    return DidCreate(did_id, [did_key_of(k, f"key-{i}") for i, k in enumerate(ks, 1)], [], threshold)


# --- DIDs ---------------------------------------------------------------------------------------------


def test_did_create_resolves_through_the_ledger_method(led: Ledger) -> None:
    r = led.ok("did_create", _create(), K.alice)
    did = f"did:govledger:{CHAIN_ID}:alice"
    assert [(e.kind, e.subject) for e in r.events] == [("did_created", did)]
    resolver = DidResolver({"govledger": q.ledger_method(led.view, CHAIN_ID)})
    key_ = resolver.key_for(did + "#key-1", "assertionMethod")
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    assert key_.public_bytes(Encoding.Raw, PublicFormat.Raw) == K.alice.public_key.key  # type: ignore[union-attr]
    assert q.resolve(led.view, ByDid(did))["didDocumentMetadata"]["versionId"] == "1"  # type: ignore[index]


def test_did_create_needs_every_key_to_sign(led: Ledger) -> None:
    led.refused("did_create", _create("ab", K.alice, K.bob), K.alice, code="auth.missing_signers")


def _with(body: msgspec.Struct, **changes: object) -> msgspec.Struct:
    return msgspec.structs.replace(body, **changes)


ML_DSA = PublicKey(int(Scheme.ML_DSA_65), b"\x01" * 1952)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"did_id": "moi"}, "identity.did_exists"),
        ({"did_id": "bad/id"}, "identity.bad_identifier"),
        ({"did_id": ""}, "identity.bad_identifier"),
        ({"keys": []}, "identity.bad_keys"),
        ({"keys": [did_key_of(K.alice, purposes=["authentication"])]}, "identity.no_controller"),
        ({"keys": [did_key_of(K.alice, purposes=["nonsense", "capabilityInvocation"])]}, "identity.bad_keys"),
        ({"keys": [did_key_of(K.alice), did_key_of(K.alice, "key-2")]}, "identity.bad_keys"),
        ({"keys": [did_key_of(K.alice), did_key_of(K.bob)]}, "identity.bad_keys"),  # repeated fragment
        ({"threshold": 2}, "identity.bad_threshold"),
        ({"threshold": 0}, "identity.bad_threshold"),
        ({"services": [DidService("key-1", "LinkedDomains", "https://a.example")]}, "identity.bad_services"),
        ({"services": [DidService("web", "", "https://a.example")]}, "identity.bad_text"),
    ],
)
def test_did_create_rules(led: Ledger, changes: dict[str, object], code: str) -> None:
    body = _with(_create(), **changes)
    led.refused("did_create", body, K.alice, K.bob, code=code)


def test_did_create_refuses_non_ed25519_keys(led: Ledger) -> None:
    from govledger.apps.identity.model import DidKey

    body = DidCreate("pq", [DidKey("key-1", ML_DSA, ["capabilityInvocation"])], [])
    led.refused("did_create", body, K.alice, code="identity.bad_keys")


def test_key_rotation_keeps_history_and_moves_resolution(led: Ledger) -> None:
    led.ok("did_create", _create(), K.alice)
    new = DidUpdate(
        "alice", 1, [did_key_of(K.bob, "key-2")], [DidService("web", "LinkedDomains", "https://a.example")]
    )
    led.refused("did_update", new, K.alice, code="auth.missing_signers")  # the new key must prove possession
    led.refused("did_update", new, K.bob, code="auth.missing_signers")  # the old controller must consent
    r = led.ok("did_update", new, K.alice, K.bob)
    assert attrs(r, "did_updated")["version"] == 2
    hist = q.did_history(led.view, ByDidId("alice"))
    assert [h.version for h in hist] == [1, 2] and hist[0].keys[0].public_key == K.alice.public_key
    assert q.did_version(led.view, DidAt("alice", 1)) == hist[0]
    resolver = DidResolver({"govledger": q.ledger_method(led.view, CHAIN_ID)})
    did = f"did:govledger:{CHAIN_ID}:alice"
    with pytest.raises(CheckFailed) as exc:
        resolver.key_for(did + "#key-1")
    assert exc.value.code == "did.key_not_found"
    resolver.key_for(did + "#key-2")
    led.refused("did_update", _with(new, version=1), K.bob, code="identity.stale_version")


def test_threshold_controllers(led: Ledger) -> None:
    led.ok("did_create", _create("board", K.alice, K.bob, threshold=2), K.alice, K.bob)
    upd = DidUpdate("board", 1, [did_key_of(K.alice, "key-1"), did_key_of(K.bob, "key-2")], [], 1)
    led.refused("did_update", upd, K.alice, code="auth.missing_signers")
    led.ok("did_update", upd, K.alice, K.bob)
    led.refused("did_update", _with(upd, version=9), K.alice, code="identity.stale_version")
    led.refused("did_update", DidUpdate("nobody", 1, upd.keys, []), K.alice, code="identity.unknown_did")


def test_deactivate_is_final(led: Ledger) -> None:
    led.ok("did_create", _create(), K.alice)
    led.refused("did_deactivate", DidDeactivate("alice", 1), K.bob, code="auth.missing_signers")
    led.refused("did_deactivate", DidDeactivate("alice", 3), K.alice, code="identity.stale_version")
    led.ok("did_deactivate", DidDeactivate("alice", 1), K.alice)
    resolution = DidResolver({"govledger": q.ledger_method(led.view, CHAIN_ID)}).resolve(
        f"did:govledger:{CHAIN_ID}:alice"
    )
    assert resolution.code == "did.deactivated"
    led.refused("did_deactivate", DidDeactivate("alice", 2), K.alice, code="identity.did_deactivated")
    upd = DidUpdate("alice", 2, [did_key_of(K.alice)], [])
    led.refused("did_update", upd, K.alice, code="identity.did_deactivated")


# --- trusted-issuer registry --------------------------------------------------------------------------

VCT = "urn:eudi:pid:1"


def _accredit(led: Ledger, until_ms: int = 0) -> None:
    led.ok("trust_accredit", Accredit(MOI_DID, VCT, led.time_ms, until_ms, "PID issuer"), K.trust)


def test_accredit_and_query_with_window(led: Ledger) -> None:
    start = led.time_ms
    _accredit(led, until_ms=start + 10_000_000)
    assert q.trusted(led.view, TrustedAt(MOI_DID, VCT, start + 1)).trusted
    assert not q.trusted(led.view, TrustedAt(MOI_DID, VCT, start - 1)).trusted
    assert not q.trusted(led.view, TrustedAt(MOI_DID, VCT, start + 10_000_000)).trusted
    assert not q.trusted(led.view, TrustedAt(MOI_DID, "other", start + 1)).trusted
    assert [a.credential_type for a in q.accreditations_of(led.view, ByDid(MOI_DID))] == [VCT]
    acc = q.accreditation(led.view, AccreditationRef(MOI_DID, VCT))
    assert acc is not None and acc.accredited_by == [K.trust.public_key.key_id()]
    assert q.LedgerTrust(led.view).accredited(MOI_DID, VCT, (start + 1000) // 1000)


@pytest.mark.parametrize("signer", ["admin", "trust"])
def test_admin_or_trust_registry_may_accredit(led: Ledger, signer: str) -> None:
    led.ok("trust_accredit", Accredit(MOI_DID, VCT, 0), getattr(K, signer))


def test_issuer_role_cannot_accredit_itself(led: Ledger) -> None:
    led.refused("trust_accredit", Accredit(MOI_DID, VCT, 0), K.moi, code="auth.missing_signers")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (Accredit("not-a-did", VCT, 0), "identity.bad_did"),
        (Accredit(MOI_DID, "", 0), "identity.bad_text"),
        (Accredit(MOI_DID, "x" * 201, 0), "identity.bad_text"),
        (Accredit(MOI_DID, VCT, 0, 0, "n" * 201), "identity.bad_text"),
        (Accredit(MOI_DID, VCT, 5000, 4000), "identity.bad_window"),
        (Accredit(MOI_DID, VCT, 0, 1000), "identity.bad_window"),  # over at block time
        (Accredit(MOI_DID, VCT, -1), "identity.bad_window"),
    ],
)
def test_accredit_rules(led: Ledger, body: Accredit, code: str) -> None:
    led.refused("trust_accredit", body, K.trust, code=code)


def test_withdraw_ends_at_block_time_with_history(led: Ledger) -> None:
    _accredit(led)
    issued_at = led.time_ms + 10
    led.refused(
        "trust_withdraw",
        WithdrawAccreditation(MOI_DID, VCT, "key compromise"),
        K.moi,
        code="auth.missing_signers",
    )
    led.refused("trust_withdraw", WithdrawAccreditation(MOI_DID, VCT, ""), K.trust, code="identity.bad_text")
    led.refused(
        "trust_withdraw",
        WithdrawAccreditation(MOI_DID, "x", "r"),
        K.trust,
        code="identity.unknown_accreditation",
    )
    led.ok("trust_withdraw", WithdrawAccreditation(MOI_DID, VCT, "key compromise"), K.trust)
    assert q.trusted(led.view, TrustedAt(MOI_DID, VCT, issued_at)).trusted  # issued before: stays trusted
    assert not q.trusted(led.view, TrustedAt(MOI_DID, VCT, led.time_ms)).trusted
    led.refused(
        "trust_withdraw",
        WithdrawAccreditation(MOI_DID, VCT, "again"),
        K.trust,
        code="identity.already_withdrawn",
    )
    hist = q.accreditation_history(led.view, AccreditationRef(MOI_DID, VCT))
    assert [(a.version, a.withdrawn) for a in hist] == [(1, False), (2, True)]
    _accredit(led)  # re-accreditation is a new version
    assert q.accreditation(led.view, AccreditationRef(MOI_DID, VCT)).version == 3  # type: ignore[union-attr]


# --- status lists -------------------------------------------------------------------------------------


def _allocate(led: Ledger, count: int = 1, ref: bytes = b"") -> list[int]:
    r = led.ok("status_allocate", StatusAllocate(LIST_ID, count, ref), K.moi)
    return [int(i) for i in str(attrs(r, "allocated")["indices"]).split(",")]


def test_status_list_create_rules(led: Ledger) -> None:
    ok = StatusListCreate("lands-1", "did:web:lands.example", "https://lands.example/s/lands-1", 131_072, 1)
    led.refused("status_list_create", ok, K.alice, code="auth.missing_signers")  # not an issuer member
    bad = [
        (_with(ok, list_id="moi-1"), "identity.list_exists"),
        (_with(ok, list_id="a/b"), "identity.bad_identifier"),
        (_with(ok, issuer_did="lands"), "identity.bad_did"),
        (_with(ok, uri=""), "identity.bad_text"),
        (_with(ok, bits=4), "identity.bad_list"),
        (_with(ok, size=1024), "identity.bad_list"),
        (_with(ok, size=131_073), "identity.bad_list"),
        (_with(ok, size=(1 << 20) + 8), "identity.bad_list"),
    ]
    for body, code in bad:
        led.refused("status_list_create", body, K.lands, code=code)
    led.ok("status_list_create", ok, K.lands)
    lst = q.status_list(led.view, ByListId("lands-1"))
    assert lst is not None and lst.owners == [K.lands.public_key.key_id()]


def test_ledger_did_issuer_needs_its_controllers(led: Ledger) -> None:
    body = StatusListCreate("moi-2", MOI_DID, LIST_URI + "x", 131_072, 1)
    led.refused("status_list_create", body, K.lands, code="auth.missing_signers")
    ghost = _with(body, issuer_did=f"did:govledger:{CHAIN_ID}:ghost")
    led.refused("status_list_create", ghost, K.lands, code="identity.not_list_issuer")
    led.ok("status_list_create", body, K.moi)


def test_allocation_is_pseudorandom_unique_and_deterministic(led: Ledger) -> None:
    twin = led.clone()
    tx = led.tx("status_allocate", StatusAllocate(LIST_ID, 200), K.moi)
    (r1,) = led.block([tx])
    (r2,) = twin.block([tx])
    assert r1 == r2 and led.fingerprint() == twin.fingerprint()
    indices = [int(i) for i in str(attrs(r1, "allocated")["indices"]).split(",")]
    assert len(set(indices)) == 200
    assert indices != sorted(indices) and max(indices) > 100_000  # not a counter
    assert q.status_list(led.view, ByListId(LIST_ID)).allocated == 200  # type: ignore[union-attr]
    more = _allocate(led, 50)
    assert not set(more) & set(indices)


def test_allocate_rules(led: Ledger) -> None:
    led.refused("status_allocate", StatusAllocate(LIST_ID, 1), K.lands, code="auth.missing_signers")
    led.refused("status_allocate", StatusAllocate("nope", 1), K.moi, code="identity.unknown_list")
    led.refused("status_allocate", StatusAllocate(LIST_ID, 0), K.moi, code="identity.bad_count")
    led.refused("status_allocate", StatusAllocate(LIST_ID, 257), K.moi, code="identity.bad_count")
    led.refused("status_allocate", StatusAllocate(LIST_ID, 1, b"x"), K.moi, code="identity.bad_subject_ref")


def test_subject_binding_for_certificate_revocation(led: Ledger) -> None:
    ref = b"\x07" * 32
    first = _allocate(led, 2, ref)
    second = _allocate(led, 1, ref)
    bound = q.subject_indices(led.view, SubjectRef(LIST_ID, ref))
    assert bound is not None and bound.indices == first + second
    led.refused("status_allocate", StatusAllocate(LIST_ID, 62, ref), K.moi, code="identity.subject_full")
    led.ok("status_set", StatusSet(LIST_ID, bound.indices, 1, "title transferred"), K.moi)
    assert all(q.status(led.view, StatusAt(LIST_ID, i)).status == 1 for i in bound.indices)  # type: ignore[union-attr]


def test_revoke_suspend_reinstate(led: Ledger) -> None:
    a, b = _allocate(led, 2)
    led.refused("status_set", StatusSet(LIST_ID, [a], 1), K.lands, code="auth.missing_signers")
    r = led.ok("status_set", StatusSet(LIST_ID, [a], 2, "investigation"), K.moi)
    assert attrs(r, "suspended")["indices"] == str(a)
    status = q.LedgerStatus(led.view)
    assert status.token_status(LIST_URI, a, MOI_DID) == 2 and status.token_status(LIST_URI, b, MOI_DID) == 0
    led.ok("status_set", StatusSet(LIST_ID, [a], 0), K.moi)
    assert status.token_status(LIST_URI, a, MOI_DID) == 0
    led.ok("status_set", StatusSet(LIST_ID, [a, b], 1), K.moi)
    assert q.status(led.view, StatusAt(LIST_ID, b)) == q.StatusAnswer(LIST_ID, b, True, 1, 4)
    led.refused("status_set", StatusSet(LIST_ID, [a], 0), K.moi, code="identity.status_final")
    values = q.status_values(led.view, ByListId(LIST_ID))
    assert values is not None and len(values.data) == 131_072 * 2 // 8
    assert q.bitstring_bit(values, "revocation", a) == 1 and q.bitstring_bit(values, "suspension", a) == 0


def test_status_set_rules(led: Ledger) -> None:
    (a,) = _allocate(led)
    unallocated = next(i for i in range(131_072) if i != a)
    cases = [
        (StatusSet(LIST_ID, [], 1), "identity.bad_indices"),
        (StatusSet(LIST_ID, [a, a], 1), "identity.bad_indices"),
        (StatusSet(LIST_ID, [131_072], 1), "identity.bad_indices"),
        (StatusSet(LIST_ID, [-1], 1), "identity.bad_indices"),
        (StatusSet(LIST_ID, [a], 3), "identity.bad_status"),
        (StatusSet(LIST_ID, [unallocated], 1), "identity.not_allocated"),
        (StatusSet(LIST_ID, [a], 1, "r" * 201), "identity.bad_text"),
        (StatusSet("nope", [a], 1), "identity.unknown_list"),
    ]
    for body, code in cases:
        led.refused("status_set", body, K.moi, code=code)


def test_one_bit_list_cannot_suspend(led: Ledger) -> None:
    led.ok("status_list_create", StatusListCreate("one", MOI_DID, LIST_URI + "-one", 131_072, 1), K.moi)
    r = led.ok("status_allocate", StatusAllocate("one", 1), K.moi)
    idx = int(attrs(r, "allocated")["indices"])
    led.refused("status_set", StatusSet("one", [idx], 2), K.moi, code="identity.bad_status")


def test_malformed_body_is_refused(led: Ledger) -> None:
    from govledger.ledger.tx import Transaction

    good = led.tx("status_set", StatusSet(LIST_ID, [1], 1), K.moi)
    payload = msgspec.structs.replace(good.payload, body=b"\x81\xa1x\x01")
    before = dict(led.store.data)
    (r,) = led.block([Transaction(payload=payload, signatures=[b""])])
    assert r.code == "tx.bad_body" and led.store.data == before


def test_other_keys_used_in_the_cast_are_distinct() -> None:
    assert len({K.admin.public_key, K.trust.public_key, K.moi.public_key, key(30).public_key}) == 4
