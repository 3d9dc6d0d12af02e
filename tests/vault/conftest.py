"""Fixtures for the vault's tests: a vault on a temporary directory and an in-memory ledger to
authorise its reads (its state is committed state: the harness commits every block it runs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from govledger.apps.privacy.model import LogAccess
from govledger.crypto.signatures import SigningKey
from govledger.vault import KeyFile, Sealed, Vault, create_key_file, new_access_request, sign_read
from govledger.vault.access import ReadRequest

from ..apps.privacy.harness import A, Ledger

FIELDS = {"given_name": "Ama", "family_name": "Mensah", "birth_date": "2026-01-02"}


class Committed:
    """The in-memory ledger's committed state, as the vault sees it (`CommittedState`)."""

    def __init__(self, led: Ledger) -> None:
        self._led = led

    @property
    def height(self) -> int:
        return self._led.height

    def get(self, full_key: bytes) -> bytes | None:
        return self._led.store.get(full_key)

    def scan_prefix(self, prefix: bytes, limit: int) -> list[tuple[bytes, bytes]]:
        return self._led.store.scan_prefix(prefix, limit)


def open_vault(path: Path, **kw: object) -> Vault:
    key = path.parent / (path.name + ".key")
    if not key.exists():
        create_key_file(key)
    return Vault(path, KeyFile(key), sync=False, **kw)  # type: ignore[arg-type]


def put_and_register(
    vault: Vault, led: Ledger, subject_id: str, fields: dict[str, str] | None = None, record_id: str = "birth"
) -> Sealed:
    p = vault.pseudonym("vital", subject_id)
    sealed = vault.put("vital", p, record_id, fields or FIELDS)
    led.ok("privacy", "register_data", sealed.register_body(), A.registrar)
    return sealed


def logged(
    led: Ledger,
    p: bytes,
    record_id: str = "birth",
    purpose: str = "certificate_issuance",
    version: int = 0,
    who: SigningKey = A.registrar,
) -> LogAccess:
    log = new_access_request(p, record_id, purpose, version)
    led.ok("privacy", "log_access", log, who)
    return log


def grant(
    vault: Vault,
    led: Ledger,
    p: bytes,
    record_id: str = "birth",
    purpose: str = "certificate_issuance",
    version: int = 0,
    who: SigningKey = A.registrar,
) -> ReadRequest:
    """Commit an access-log entry and return the requester's signed read request for it."""
    return sign_read(who, vault.vault_id, logged(led, p, record_id, purpose, version, who))


@pytest.fixture
def led() -> Ledger:
    return Ledger()


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    v = open_vault(tmp_path / "vault")
    yield v
    v.close()
