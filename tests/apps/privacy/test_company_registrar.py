"""The company register's registrar (`company_registrar`) is a controller: it registers, reads (for its
purposes, logged) and rectifies the data of its subjects, and no more than that."""

from __future__ import annotations

import json
from pathlib import Path

from govledger.apps.privacy import queries
from govledger.apps.privacy import store as pstore
from govledger.apps.privacy.app import CONTROLLER_ROLES, DEFAULT_PURPOSES
from govledger.apps.privacy.model import (
    LEGAL_BASES,
    ByRecord,
    ByRole,
    LogAccess,
    RecordErasure,
    RectifyData,
    RegisterData,
)
from govledger.node.devnet import DEV_MEMBERS, init_devnet

from .harness import A, Ledger, attrs, kid, sha

OFFICER = sha("pseudonym:officer")
C1, C2 = sha("officer v1"), sha("officer v2")


def _read(n: int, purpose: str) -> LogAccess:
    return LogAccess(sha(f"company request {n}"), OFFICER, "officer", 0, purpose)


def test_register_read_and_rectify_by_the_company_registrar(led: Ledger) -> None:
    r = led.ok("privacy", "register_data", RegisterData("company", OFFICER, "officer", C1), A.clerk)
    assert attrs(r, "data_registered")["by"] == kid(A.clerk).hex()
    logged = led.ok("privacy", "log_access", _read(1, "registration"), A.clerk)
    assert attrs(logged, "access_logged")["member"] == "clerk-1"
    entry = pstore.access_entry(led.view("privacy"), OFFICER, sha("company request 1"))
    assert entry is not None and entry.requester_key == kid(A.clerk) and entry.purpose == "registration"
    led.ok("privacy", "log_access", _read(2, "certificate_issuance"), A.clerk)
    fixed = led.ok("privacy", "rectify_data", RectifyData(OFFICER, "officer", C2, "address moved"), A.clerk)
    assert attrs(fixed, "data_rectified")["version"] == 2
    record = queries.data_record(led.view("privacy"), ByRecord(OFFICER, "officer"))
    assert [v.commitment for v in record.versions] == [C1, C2]
    assert record.current is not None and record.current.registered_by == kid(A.clerk)


def test_the_company_registrar_reads_only_for_its_purposes_and_cannot_erase(led: Ledger) -> None:
    led.ok("privacy", "register_data", RegisterData("company", OFFICER, "officer", C1), A.clerk)
    led.refused("privacy", "log_access", _read(1, "audit"), A.clerk, code="privacy.purpose_not_allowed")
    led.refused(
        "privacy",
        "record_erasure",
        RecordErasure(OFFICER, LEGAL_BASES[0], sha("order")),
        A.clerk,
        code="auth.missing_signers",
    )
    purposes = queries.purposes(led.view("privacy"), ByRole("company_registrar"))
    assert purposes is not None and purposes.purposes == sorted(DEFAULT_PURPOSES["company_registrar"])


def test_the_devnet_companies_house_is_a_controller(tmp_path: Path) -> None:
    """`govledger init` writes the policies and purposes that let clerk-1 act for the company register."""
    doc = init_devnet(tmp_path / "net", chain_id="privacy-test", scrypt_n=2**10)
    clerk_roles = next(roles for mid, _, _, _, roles in DEV_MEMBERS if mid == "clerk-1")
    assert "company_registrar" in clerk_roles and "company_registrar" in CONTROLLER_ROLES
    policies = json.dumps(doc.app_state["governance"]["policies"])
    assert policies.count("company_registrar") >= 2, "register_data and rectify_data name the role"
    assert doc.app_state["privacy"]["purposes"]["company_registrar"] == DEFAULT_PURPOSES["company_registrar"]
