"""Initialise a data directory: keys (encrypted at rest), a genesis document, block 0.

`init_devnet` makes a single-validator development network: one validator key, and governance
members for a handful of agencies so the demo has real signers. Key files are encrypted with the
passphrase given (the dev default is printed by `govledger init`; production operators pass their own).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec

from govledger.apps import registry
from govledger.apps.company.app import default_policies_json as company_policies_json
from govledger.apps.documents.app import default_policies_json as documents_policies_json
from govledger.apps.identity.app import default_policies_json as identity_policies_json
from govledger.apps.land.app import default_policies_json as land_policies_json
from govledger.apps.privacy.app import DEFAULT_PURPOSES
from govledger.apps.privacy.app import default_policies_json as privacy_policies_json
from govledger.apps.vital.app import default_policies_json as vital_policies_json
from govledger.apps.voting.app import default_policies_json as voting_policies_json
from govledger.crypto.keyfile import decrypt_key, encrypt_key
from govledger.crypto.signatures import Scheme, SigningKey
from govledger.errors import GovledgerError
from govledger.ledger.app import HasRole
from govledger.ledger.block import Validator
from govledger.ledger.chain import Chain
from govledger.ledger.genesis import GenesisDoc, dump_genesis
from govledger.ledger.storage import Storage

DEV_PASSPHRASE = "govledger-dev"
VALIDATOR_KEY = "validator"

# (member id, organisation, organisation kind, display name, roles)
DEV_MEMBERS: tuple[tuple[str, str, str, str, list[str]], ...] = (
    ("admin-1", "ministry-digital", "ministry", "Ministry of Digital Affairs", ["admin"]),
    ("registrar-1", "land-registry", "registry", "National Land Registry", ["registrar", "issuer"]),
    ("notary-1", "notary-chamber", "notary", "Chamber of Notaries", ["notary", "issuer"]),
    ("clerk-1", "company-registry", "registry", "Companies House", ["company_registrar", "issuer"]),
    ("licensing-1", "economic-department", "agency", "Department of Economic Development", ["licensing"]),
    ("trust-1", "ministry-digital", "ministry", "Trusted Issuer Registry", ["trust_registry"]),
    ("election-official-1", "electoral-commission", "agency", "Electoral Commission", ["election_official"]),
    ("returning-officer-1", "returning-officers", "agency", "Returning Officers", ["guardian"]),
    ("returning-officer-2", "returning-officers", "agency", "Returning Officers", ["guardian"]),
    ("returning-officer-3", "returning-officers", "agency", "Returning Officers", ["guardian"]),
    ("surveyor-1", "cadastre", "agency", "Cadastral Survey Office", ["surveyor"]),
    ("judge-1", "district-court", "court", "District Court", ["court"]),
    ("bank-1", "first-bank", "bank", "First National Bank", ["bank"]),
    ("hospital-1", "city-hospital", "hospital", "City General Hospital", ["hospital", "medical_certifier"]),
    ("civil-registrar-1", "civil-registry", "registry", "Civil Registry Office", ["registrar", "officiant"]),
    ("dpo-1", "ministry-digital", "ministry", "Data Protection Officer", ["dpo", "auditor"]),
)


@dataclass(frozen=True)
class DevnetPaths:
    root: Path

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def genesis(self) -> Path:
        return self.root / "genesis.json"

    def key_file(self, name: str) -> Path:
        return self.keys / f"{name}.key.json"


def save_key(path: Path, key: SigningKey, passphrase: str, scrypt_n: int = 2**15) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(encrypt_key(key, passphrase, scrypt_n=scrypt_n))


def load_key(path: Path, passphrase: str) -> SigningKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GovledgerError("keyfile.unreadable", f"cannot read key file {path}: {exc.strerror}") from None
    return decrypt_key(data, passphrase)


def init_devnet(
    root: Path,
    *,
    chain_id: str = "govledger-dev",
    passphrase: str = DEV_PASSPHRASE,
    scheme: Scheme = Scheme.ED25519,
    scrypt_n: int = 2**15,
    genesis_time_ms: int | None = None,
) -> GenesisDoc:
    paths = DevnetPaths(root)
    if paths.genesis.exists() or (root / "chain").exists():
        raise GovledgerError(
            "init.exists", f"{root} already holds a network; remove it or choose another --home"
        )
    validator = SigningKey.generate(scheme)
    save_key(paths.key_file(VALIDATOR_KEY), validator, passphrase, scrypt_n)
    orgs: dict[str, dict[str, str]] = {}
    members = []
    for member_id, org, kind, org_name, roles in DEV_MEMBERS:
        key = SigningKey.generate(scheme)
        save_key(paths.key_file(member_id), key, passphrase, scrypt_n)
        orgs[org] = {"org_id": org, "name": org_name, "kind": kind}
        members.append(
            {
                "member_id": member_id,
                "org": org,
                "name": f"{org_name} ({member_id})",
                "roles": roles,
                "public_keys": [msgspec.to_builtins(key.public_key)],
            }
        )
    policies = {
        "governance.*": msgspec.to_builtins(HasRole(role="admin", count=1)),
        "attest.record": msgspec.to_builtins(HasRole(role="issuer", count=1)),
        **land_policies_json(),
        **privacy_policies_json(),
        **vital_policies_json(),
        **documents_policies_json(),
        **company_policies_json(),
        **identity_policies_json(),
        **voting_policies_json(),
    }
    doc = GenesisDoc(
        chain_id=chain_id,
        genesis_time_ms=genesis_time_ms if genesis_time_ms is not None else int(time.time() * 1000),
        validators=[Validator(public_key=validator.public_key, power=10)],
        app_state={
            "governance": {"orgs": list(orgs.values()), "members": members, "policies": policies},
            "privacy": {"purposes": DEFAULT_PURPOSES},
        },
    )
    genesis_bytes = dump_genesis(doc)
    init_chain(root, genesis_bytes)
    paths.genesis.write_bytes(genesis_bytes)
    (root / "node.json").write_text(
        json.dumps({"chain_id": chain_id, "validator_key": VALIDATOR_KEY}, indent=2)
    )
    return doc


def init_chain(root: Path, genesis_bytes: bytes) -> None:
    storage = Storage(root / "chain")
    try:
        Chain.initialise(storage, genesis_bytes, registry.apps())
    finally:
        storage.close()
