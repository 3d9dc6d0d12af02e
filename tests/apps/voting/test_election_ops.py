"""The official's operations: create, reschedule, register and revoke credentials, restart the ceremony."""

from __future__ import annotations

import msgspec
import pytest

from govledger.apps.voting import crypto, queries, store
from govledger.apps.voting.model import (
    KEY_CEREMONY,
    MAX_CREDENTIALS_PER_TX,
    CreateElection,
    Credential,
    CredentialRef,
    ElectionId,
    GuardianSlot,
    PostGuardianKey,
    RegisterCredentials,
    Reschedule,
    RestartCeremony,
    RevokeCredential,
)
from govledger.codec import encode
from govledger.crypto.signatures import SigningKey
from govledger.voting.records import BallotStyle, ContestDescription

from . import world as w
from .conftest import World
from .harness import HOUR_MS, A, Ledger, cred_pub, credential


def _create(led: Ledger, **changes: object) -> CreateElection:
    return msgspec.structs.replace(w.create_body(led, e="e2"), **changes)


def test_create_records_the_election_and_its_hashes(setup_world: World) -> None:
    led = setup_world.led
    r = led.ok("create_election", _create(led), A.official)
    assert [(e.kind, e.subject) for e in r.events] == [("election_created", "e2")]
    e = w.election(led, "e2")
    assert e.phase == KEY_CEREMONY and e.quorum == 3 and e.guardians[0] == "guardian-1"
    assert len(e.parameter_base_hash) == len(e.manifest_hash) == len(e.base_hash) == 32
    assert e.joint_key == b"" and e.extended_base_hash == b""
    p = queries.phase(led.view, ElectionId("e2"))
    assert p is not None and p.phase == KEY_CEREMONY and not p.key_ready
    assert queries.counts(led.view, ElectionId("e2")) == store.Counts()


@pytest.mark.parametrize(
    "signer",
    [A.admin, A.clerk, A.other_official, A.guardians[0]],
    ids=["admin", "clerk", "official-of-another-org", "guardian"],
)
def test_create_needs_an_official_of_the_authority(setup_world: World, signer: SigningKey) -> None:
    led = setup_world.led
    led.refused("create_election", _create(led), signer, code="auth.missing_signers")


def _manifest_with(**changes: object) -> object:
    return w.replace(w.manifest(), **changes)


BIG_CONTESTS = tuple(ContestDescription(f"c{i}", ("a", "b", "c", "d")) for i in range(8))


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"election_id": "mayor-2026"}, "voting.election_exists"),
        ({"election_id": "bad/id"}, "voting.bad_identifier"),
        ({"authority_org": "nowhere"}, "voting.unknown_org"),
        ({"guardians": ("guardian-1", "clerk-1")}, "voting.bad_guardians"),
        ({"guardians": ("guardian-1", "guardian-1")}, "voting.bad_guardians"),
        ({"guardians": ("guardian-1", "nobody")}, "voting.bad_guardians"),
        ({"guardians": ()}, "voting.bad_guardians"),
        ({"quorum": 0}, "voting.bad_quorum"),
        ({"quorum": 6}, "voting.bad_quorum"),
        ({"opens_ms": 0}, "voting.bad_time"),
        ({"closes_ms": 1}, "voting.bad_time"),
        ({"closes_ms": 10**17}, "voting.bad_time"),
        ({"manifest": _manifest_with(chain_confirmation_codes=True)}, "voting.chaining_unsupported"),
        ({"manifest": _manifest_with(ballot_styles=(BallotStyle("x", (9,)),))}, "voting.bad_manifest"),
        (
            {
                "manifest": _manifest_with(
                    contests=BIG_CONTESTS, ballot_styles=(BallotStyle("x", tuple(range(1, 9))),)
                )
            },
            "voting.ballot_too_large",
        ),
    ],
)
def test_create_rules(setup_world: World, changes: dict[str, object], code: str) -> None:
    led = setup_world.led
    led.refused("create_election", _create(led, **changes), A.official, code=code)


def test_a_window_longer_than_90_days_is_refused(setup_world: World) -> None:
    led = setup_world.led
    body = _create(led)
    body = msgspec.structs.replace(body, closes_ms=body.opens_ms + 91 * 24 * HOUR_MS)
    led.refused("create_election", body, A.official, code="voting.bad_time")


# --- reschedule ----------------------------------------------------------------------------------------


def test_reschedule_moves_the_window_and_its_timers(ready_world: World) -> None:
    led = ready_world.led
    old = w.election(led)
    body = Reschedule(w.E, old.opens_ms + HOUR_MS, old.closes_ms + HOUR_MS)
    led.refused("reschedule", body, A.other_official, code="auth.missing_signers")
    led.ok("reschedule", body, A.official)
    assert (w.election(led).opens_ms, w.election(led).closes_ms) == (body.opens_ms, body.closes_ms)
    w.advance_to(led, old.opens_ms)  # the old opening timer is gone: still key_ready
    assert w.election(led).phase == "key_ready"
    w.advance_to(led, body.opens_ms)
    assert w.election(led).phase == "voting"


def test_reschedule_is_refused_once_voting_has_begun(voting_world: World) -> None:
    led = voting_world.led
    e = w.election(led)
    body = Reschedule(w.E, led.time_ms + HOUR_MS, e.closes_ms)
    led.refused("reschedule", body, A.official, code="voting.wrong_phase")


def test_reschedule_rules(ready_world: World) -> None:
    led = ready_world.led
    e = w.election(led)
    led.refused(
        "reschedule", Reschedule(w.E, led.time_ms - 1, e.closes_ms), A.official, code="voting.bad_time"
    )
    led.refused(
        "reschedule", Reschedule("nope", e.opens_ms, e.closes_ms), A.official, code="voting.unknown_election"
    )


def test_reschedule_at_the_opening_block_before_end_block_ran(ready_world: World) -> None:
    """Block time has reached opens_ms (the rule reads block time, not the stored phase)."""
    led = ready_world.led
    e = w.election(led)
    led.time_ms = e.opens_ms - 1000
    r = led.do("reschedule", Reschedule(w.E, e.opens_ms + HOUR_MS, e.closes_ms), A.official)
    assert r.code == "voting.window_started", r.message


# --- credentials ---------------------------------------------------------------------------------------


def _keys(*voters: int) -> tuple[bytes, ...]:
    return tuple(cred_pub(credential(v)) for v in voters)


def test_register_credentials(setup_world: World) -> None:
    led = setup_world.led
    r = led.ok("register_credentials", RegisterCredentials(w.E, "city", _keys(500, 501)), A.official)
    assert r.events[0].attributes == {"count": 2, "late": False, "style": "city"}
    cred = queries.credential(led.view, CredentialRef(w.E, cred_pub(credential(500))))
    assert cred == Credential(
        key=cred_pub(credential(500)), style=2, registered_height=led.height, late=False
    )
    assert store.load_counts(led.view, w.E).credentials == 2


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (RegisterCredentials(w.E, "rural", _keys(500)), "voting.unknown_style"),
        (RegisterCredentials(w.E, "all", ()), "voting.too_many"),
        (RegisterCredentials(w.E, "all", (b"\x01" * 31,)), "voting.bad_credential"),
        (RegisterCredentials(w.E, "all", _keys(500, 500)), "voting.bad_credential"),
        (RegisterCredentials(w.E, "all", _keys(1)), "voting.credential_exists"),
        (RegisterCredentials("nope", "all", _keys(500)), "voting.unknown_election"),
    ],
)
def test_register_rules(ready_world: World, body: RegisterCredentials, code: str) -> None:
    ready_world.led.refused("register_credentials", body, A.official, code=code)


def test_register_needs_the_official(ready_world: World) -> None:
    body = RegisterCredentials(w.E, "all", _keys(500))
    ready_world.led.refused("register_credentials", body, A.clerk, code="auth.missing_signers")
    ready_world.led.refused("register_credentials", body, A.other_official, code="auth.missing_signers")


def test_register_bounds_a_batch(ready_world: World) -> None:
    body = RegisterCredentials(w.E, "all", _keys(*range(1000, 1001 + MAX_CREDENTIALS_PER_TX)))
    ready_world.led.refused("register_credentials", body, A.official, code="voting.too_many")


def test_late_credentials_are_flagged_and_the_roll_closes_with_the_poll(voting_world: World) -> None:
    led = voting_world.led
    r = led.ok("register_credentials", RegisterCredentials(w.E, "all", _keys(600)), A.official)
    assert r.events[0].attributes["late"] is True
    assert store.load_counts(led.view, w.E).late_credentials == 1
    led.time_ms = w.election(led).closes_ms - 500  # the next block is past the close, before end_block
    r = led.do("register_credentials", RegisterCredentials(w.E, "all", _keys(601)), A.official)
    assert r.code == "voting.outside_window", r.message
    assert w.election(led).phase == "closed"


def test_revoke_credential(ready_world: World) -> None:
    led = ready_world.led
    key = cred_pub(credential(7))
    led.refused("revoke_credential", RevokeCredential(w.E, key, "lost"), A.clerk, code="auth.missing_signers")
    led.refused(
        "revoke_credential", RevokeCredential(w.E, key, "bored"), A.official, code="voting.bad_vocabulary"
    )
    led.refused(
        "revoke_credential",
        RevokeCredential(w.E, cred_pub(credential(999)), "lost"),
        A.official,
        code="voting.ineligible",
    )
    r = led.ok("revoke_credential", RevokeCredential(w.E, key, "lost"), A.official)
    assert r.events[0].attributes["withdrawn"] == ""
    led.refused("revoke_credential", RevokeCredential(w.E, key, "lost"), A.official, code="voting.ineligible")
    assert store.load_counts(led.view, w.E).revoked_credentials == 1


# --- restart_ceremony ----------------------------------------------------------------------------------


def test_restart_ceremony_replaces_a_guardian_and_starts_a_new_round(setup_world: World) -> None:
    led = setup_world.led
    h_p = w.election(led).parameter_base_hash
    gs = w.make_guardians(h_p, 5, 3)
    w.post_keys(led, gs[:2])
    body = RestartCeremony(w.E, (GuardianSlot(2, "guardian-6"),))
    led.refused("restart_ceremony", body, A.guardians[0], code="auth.missing_signers")
    led.refused(
        "restart_ceremony",
        RestartCeremony(w.E, (GuardianSlot(2, "clerk-1"),)),
        A.official,
        code="voting.bad_guardians",
    )
    led.refused(
        "restart_ceremony",
        RestartCeremony(w.E, (GuardianSlot(2, "guardian-3"),)),
        A.official,
        code="voting.bad_guardians",
    )
    led.refused(
        "restart_ceremony",
        RestartCeremony(w.E, (GuardianSlot(9, "guardian-6"),)),
        A.official,
        code="voting.not_guardian",
    )
    led.ok("restart_ceremony", body, A.official)
    view = queries.guardians(led.view, ElectionId(w.E))
    assert view is not None and view.round == 2 and view.guardians[1].member_id == "guardian-6"
    assert all(g.key is None for g in view.guardians)
    # guardian-2 is no longer guardian 2; guardian-6 is
    led.refused(
        "post_guardian_key", PostGuardianKey(w.E, gs[1].public), A.guardians[1], code="auth.missing_signers"
    )
    led.ok("post_guardian_key", PostGuardianKey(w.E, gs[1].public), A.guardians[5])


def test_restart_ceremony_only_during_the_ceremony(ready_world: World) -> None:
    ready_world.led.refused("restart_ceremony", RestartCeremony(w.E), A.official, code="voting.wrong_phase")


def test_the_ballot_size_bound_covers_real_ballots(voting_world: World) -> None:
    bound, _ = crypto.largest_ballot_body(w.manifest())
    ctx = w.context(voting_world.led)
    full = {"mayor": {"alice": 1}, "council": {"dan": 1, "eve": 1}, "measure-1": {"yes": 1}}
    for voter, style, choices in ((1, "all", full), (31, "city", {"mayor": {"bob": 1}})):
        b = w.encrypt(ctx, voter, choices, style=style)
        _, body, _ = b.challenge()
        assert len(encode(body)) <= bound
