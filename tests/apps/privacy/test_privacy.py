"""The privacy app: every operation's success path, every signer missing, every rule broken."""

from __future__ import annotations

import pytest

from govledger.apps.privacy import queries
from govledger.apps.privacy import store as pstore
from govledger.apps.privacy.model import (
    LEGAL_BASES,
    AccessPage,
    ByRecord,
    ByRole,
    BySubject,
    LogAccess,
    RecordErasure,
    RectifyData,
    RegisterData,
    SetPurposes,
)

from .harness import A, Ledger, attrs, kid, sha

P = sha("pseudonym:alice")
C1, C2, C3 = sha("c1"), sha("c2"), sha("c3")
ORDER = sha("erasure request")
BASIS = LEGAL_BASES[1]


def _register(led: Ledger, p: bytes = P, rid: str = "civil", c: bytes = C1) -> None:
    led.ok("privacy", "register_data", RegisterData("vital", p, rid, c), A.registrar)


def _log(n: int, purpose: str = "registration", version: int = 0, rid: str = "civil") -> LogAccess:
    return LogAccess(sha(f"request {n}"), P, rid, version, purpose)


# --- purposes -----------------------------------------------------------------------------------------


def test_genesis_installs_the_default_purposes(led: Ledger) -> None:
    rp = queries.purposes(led.view("privacy"), ByRole("registrar"))
    assert rp is not None and "certificate_issuance" in rp.purposes


def test_set_purposes_by_an_admin(led: Ledger) -> None:
    led.ok("privacy", "set_purposes", SetPurposes("auditor", ["statistics", "audit"]), A.admin)
    rp = pstore.role_purposes(led.view("privacy"), "auditor")
    assert rp is not None and rp.purposes == ["audit", "statistics"] and rp.set_height == led.height
    led.ok("privacy", "set_purposes", SetPurposes("auditor", []), A.admin)
    assert pstore.role_purposes(led.view("privacy"), "auditor") is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (SetPurposes("auditor", ["audit", "audit"]), "privacy.bad_purposes"),
        (SetPurposes("auditor", [f"p{i}" for i in range(33)]), "privacy.bad_purposes"),
        (SetPurposes("auditor", ["no spaces"]), "privacy.bad_identifier"),
        (SetPurposes("bad/role", ["audit"]), "privacy.bad_identifier"),
    ],
)
def test_set_purposes_rules(led: Ledger, body: SetPurposes, code: str) -> None:
    led.refused("privacy", "set_purposes", body, A.admin, code=code)


def test_set_purposes_needs_an_admin(led: Ledger) -> None:
    led.refused(
        "privacy", "set_purposes", SetPurposes("auditor", ["x"]), A.registrar, code="auth.missing_signers"
    )


# --- register / rectify -------------------------------------------------------------------------------


def test_register_data_records_who_and_when(led: Ledger) -> None:
    r = led.ok("privacy", "register_data", RegisterData("vital", P, "civil", C1), A.hospital)
    assert attrs(r, "data_registered")["by"] == kid(A.hospital).hex()
    ans = queries.data_record(led.view("privacy"), ByRecord(P, "civil"))
    assert ans.current is not None and ans.current.version == 1 and ans.current.commitment == C1
    assert ans.current.registered_by == kid(A.hospital) and ans.current.height == led.height
    subject = queries.subject(led.view("privacy"), BySubject(P)).subject
    assert subject is not None and subject.registry == "vital" and subject.records == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (RegisterData("land", P, "other", C2), "privacy.registry_mismatch"),
        (RegisterData("vital", P, "civil", C2), "privacy.already_registered"),
        (RegisterData("vital", sha("bob"), "civil", C1), "privacy.commitment_exists"),
        (RegisterData("vital", b"short", "civil", C2), "privacy.bad_digest"),
        (RegisterData("vital", P, "civil", b"short"), "privacy.bad_digest"),
        (RegisterData("vital", P, "a/b", C2), "privacy.bad_identifier"),
        (RegisterData("", P, "x", C2), "privacy.bad_identifier"),
    ],
)
def test_register_data_rules(led: Ledger, body: RegisterData, code: str) -> None:
    _register(led)
    led.refused("privacy", "register_data", body, A.registrar, code=code)


def test_register_data_needs_a_controller_role(led: Ledger) -> None:
    for who in (A.outsider, A.auditor, A.dpo):
        led.refused(
            "privacy",
            "register_data",
            RegisterData("vital", P, "civil", C1),
            who,
            code="auth.missing_signers",
        )


def test_rectification_writes_a_new_version_and_keeps_the_old(led: Ledger) -> None:
    _register(led)
    r = led.ok("privacy", "rectify_data", RectifyData(P, "civil", C2, "name misspelt"), A.registrar)
    assert attrs(r, "data_rectified")["version"] == 2
    led.ok("privacy", "rectify_data", RectifyData(P, "civil", C3, "court order"), A.dpo)
    ans = queries.data_record(led.view("privacy"), ByRecord(P, "civil"))
    assert [v.commitment for v in ans.versions] == [C1, C2, C3]
    assert ans.current == ans.versions[-1] and ans.current.reason == "court order"
    ref = pstore.commitment_ref(led.view("privacy"), C1)
    assert ref is not None and ref.version == 1  # the old commitment still resolves


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (RectifyData(P, "civil", C1, "same"), "privacy.unchanged"),
        (RectifyData(P, "nope", C2, "x"), "privacy.unknown_record"),
        (RectifyData(P, "civil", C2, ""), "privacy.bad_text"),
        (RectifyData(P, "civil", C2, "x" * 201), "privacy.bad_text"),
        (RectifyData(P, "civil", sha("other"), "x"), "privacy.commitment_exists"),
    ],
)
def test_rectification_rules(led: Ledger, body: RectifyData, code: str) -> None:
    _register(led)
    _register(led, sha("bob"), "civil", sha("other"))
    led.refused("privacy", "rectify_data", body, A.registrar, code=code)


def test_rectification_needs_registrar_or_dpo(led: Ledger) -> None:
    _register(led)
    led.refused(
        "privacy", "rectify_data", RectifyData(P, "civil", C2, "x"), A.hospital, code="auth.missing_signers"
    )


# --- access log ---------------------------------------------------------------------------------------


def test_log_access_records_requester_purpose_and_time(led: Ledger) -> None:
    _register(led)
    r = led.ok("privacy", "log_access", _log(1), A.registrar)
    assert attrs(r, "access_logged")["member"] == "registrar-1"
    e = pstore.access_entry(led.view("privacy"), P, sha("request 1"))
    assert e is not None and e.seq == 1 and e.requester_key == kid(A.registrar)
    assert (e.purpose, e.record_id, e.height, e.time_ms) == ("registration", "civil", led.height, led.time_ms)
    led.ok("privacy", "log_access", _log(2, "audit", version=1), A.auditor)
    log = queries.access_log(led.view("privacy"), AccessPage(P))
    assert [x.seq for x in log] == [1, 2] and log[1].requester_member == "auditor-1"
    assert [x.seq for x in queries.access_log(led.view("privacy"), AccessPage(P, from_seq=2, limit=5))] == [2]


@pytest.mark.parametrize(
    ("body", "signer", "code"),
    [
        (_log(1, "audit"), A.registrar, "privacy.purpose_not_allowed"),
        (_log(1, "registration"), A.hospital, "privacy.purpose_not_allowed"),
        (_log(1), A.outsider, "privacy.not_a_member"),
        (_log(1, rid="nope"), A.registrar, "privacy.unknown_record"),
        (_log(1, version=2), A.registrar, "privacy.unknown_version"),
        (_log(1, "bad purpose"), A.registrar, "privacy.bad_identifier"),
        (LogAccess(b"x", P, "civil", 0, "registration"), A.registrar, "privacy.bad_digest"),
    ],
)
def test_log_access_rules(led: Ledger, body: LogAccess, signer: object, code: str) -> None:
    _register(led)
    led.refused("privacy", "log_access", body, signer, code=code)  # type: ignore[arg-type]


def test_a_request_id_is_logged_once(led: Ledger) -> None:
    _register(led)
    led.ok("privacy", "log_access", _log(1), A.registrar)
    led.refused("privacy", "log_access", _log(1), A.registrar, code="privacy.request_exists")


def test_withdrawing_a_purpose_stops_new_log_entries(led: Ledger) -> None:
    _register(led)
    led.ok("privacy", "set_purposes", SetPurposes("registrar", ["certificate_issuance"]), A.admin)
    led.refused("privacy", "log_access", _log(1), A.registrar, code="privacy.purpose_not_allowed")


# --- erasure ------------------------------------------------------------------------------------------


def test_erasure_is_recorded_and_then_everything_is_refused(led: Ledger) -> None:
    _register(led)
    r = led.ok("privacy", "record_erasure", RecordErasure(P, BASIS, ORDER), A.dpo)
    assert attrs(r, "erasure_recorded")["legal_basis"] == BASIS
    e = queries.subject(led.view("privacy"), BySubject(P)).erasure
    assert e is not None and e.ordered_by_member == "dpo-1" and e.order_digest == ORDER
    led.refused(
        "privacy",
        "register_data",
        RegisterData("vital", P, "x", C2),
        A.registrar,
        code="privacy.subject_erased",
    )
    led.refused(
        "privacy",
        "rectify_data",
        RectifyData(P, "civil", C2, "x"),
        A.registrar,
        code="privacy.subject_erased",
    )
    led.refused("privacy", "log_access", _log(1), A.registrar, code="privacy.subject_erased")
    led.refused(
        "privacy", "record_erasure", RecordErasure(P, BASIS, ORDER), A.dpo, code="privacy.already_erased"
    )
    # the commitment stays on the ledger: the history and every proof over it remain valid
    assert queries.data_record(led.view("privacy"), ByRecord(P, "civil")).versions[0].commitment == C1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (RecordErasure(P, "because", ORDER), "privacy.bad_legal_basis"),
        (RecordErasure(sha("nobody"), BASIS, ORDER), "privacy.unknown_subject"),
        (RecordErasure(P, BASIS, b"x"), "privacy.bad_digest"),
    ],
)
def test_erasure_rules(led: Ledger, body: RecordErasure, code: str) -> None:
    _register(led)
    led.refused("privacy", "record_erasure", body, A.dpo, code=code)


def test_erasure_needs_the_dpo(led: Ledger) -> None:
    _register(led)
    for who in (A.registrar, A.admin, A.court):
        led.refused(
            "privacy", "record_erasure", RecordErasure(P, BASIS, ORDER), who, code="auth.missing_signers"
        )


def test_a_data_record_has_at_most_64_versions(led: Ledger) -> None:
    _register(led)
    for n in range(2, 65):
        led.ok("privacy", "rectify_data", RectifyData(P, "civil", sha(f"v{n}"), "again"), A.registrar)
    led.refused(
        "privacy",
        "rectify_data",
        RectifyData(P, "civil", sha("v65"), "again"),
        A.registrar,
        code="privacy.too_many_versions",
    )
