"""Building a certificate's two forms from a proved registry record: pure functions, no I/O.

**OpenAttestation v2** (`raw_document`, `wrap_and_sign`): the record's fields (`record_json`: bytes
as `0x` hex, big integers as strings) under `record`, the kind's title, and one issuer entry that is
both a ledger document store (its `merkleRoot` is issued there, its revocations are kept there) and a
DID signer (`did:ethr`, `OpenAttestationSignature2018` over the merkleRoot):

    {"id": "did:ethr:0x…", "name": "National Land Registry", "documentStore": "0x…",
     "revocation": {"type": "REVOCATION_STORE", "location": "0x…"},
     "identityProof": {"type": "DID", "key": "did:ethr:0x…#controller"}}

`ledger` names the chain, the height the record was proved at, and the registry's ledger DID
(`issuerDid`), whose `oa-signer` service names the did:ethr key: that is how a verifier knows the
signer is the registry (see verifying.py).

**SD-JWT VC** (`sd_jwt`): `identity.certificates.certificate_credential` over the same record, every
top-level field selectively disclosable, issued by the registry's ledger DID, with a status-list
entry and the same ledger anchor. No holder binding: like a paper certified copy it is a bearer
document (wallets that want holder binding use the OpenID4VCI issuer under /identity).

`personal` (vital records, when the vault serves them): for each person the vault fields and the
salt, which open the person's commitment on the ledger (`vault.verify_commitment`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from govledger.apps.documents.certificate import RENDERER_URL_DEFAULT, record_json
from govledger.certificates.issuers import Issuer
from govledger.certificates.kinds import Kind
from govledger.documents.sign import sign_document
from govledger.documents.wrap import wrap_documents
from govledger.identity.certificates import certificate_credential
from govledger.identity.sdjwt_vc import StatusRef


@dataclass(frozen=True)
class Anchor:
    """Where the record was read: chain, app, proved height and that header's block time."""

    chain_id: str
    app: str
    height: int
    time_ms: int


@dataclass(frozen=True)
class PersonalData:
    """One person's vault record as served by a logged read: it opens `commitment`."""

    role: str
    commitment: bytes
    fields: Mapping[str, str]
    salt: bytes

    def json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "commitment": "0x" + self.commitment.hex(),
            "fields": dict(sorted(self.fields.items())),
            "salt": "0x" + self.salt.hex(),
        }


def issuer_entry(issuer: Issuer) -> dict[str, Any]:
    signer = issuer.eth_signer
    return {
        "id": signer.did,
        "name": issuer.registry.display,
        "documentStore": issuer.store_hex,
        "revocation": {"type": "REVOCATION_STORE", "location": issuer.store_hex},
        "identityProof": {"type": "DID", "key": signer.key_id},
    }


def raw_document(
    record: Any,
    kind: Kind,
    record_id: str,
    issuer: Issuer,
    anchor: Anchor,
    personal: Sequence[PersonalData] = (),
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "$template": {"name": kind.record_type, "type": "EMBEDDED_RENDERER", "url": RENDERER_URL_DEFAULT},
        "issuers": [issuer_entry(issuer)],
        "id": f"{kind.record_type}:{record_id}",
        "name": kind.title,
        "recordType": kind.record_type,
        "record": record_json(record),
        "ledger": {
            "chainId": anchor.chain_id,
            "app": anchor.app,
            "height": anchor.height,
            "timeMs": anchor.time_ms,
            "issuerDid": issuer.did,
        },
    }
    if personal:
        doc["personalData"] = [p.json() for p in personal]
    return doc


def iso_time(time_ms: int) -> str:
    moment = dt.datetime.fromtimestamp(time_ms / 1000, tz=dt.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def wrap_and_sign(raws: Sequence[dict[str, Any]], issuer: Issuer, now_ms: int) -> list[dict[str, Any]]:
    """One batch (one merkleRoot), every document signed by the registry's OA key."""
    batch = wrap_documents(list(raws))
    created = iso_time(now_ms)
    return [sign_document(doc, issuer.eth_signer, created=created) for doc in batch]


def sd_jwt(
    record: Any,
    kind: Kind,
    issuer: Issuer,
    anchor: Anchor,
    status: StatusRef,
    now_s: int,
    personal: Sequence[PersonalData] = (),
    rng: Any = secrets.token_bytes,
) -> str:
    extra = {"personal_data": [p.json() for p in personal]} if personal else None
    return certificate_credential(
        record,
        record_type=kind.record_type,
        signer=issuer.jws_signer,
        iss=issuer.did,
        holder_jwk=None,
        iat=now_s,
        status=status,
        vct=kind.vct,
        ledger={"chain_id": anchor.chain_id, "app": anchor.app, "height": anchor.height},
        extra_claims=extra,
        rng=rng,
    )
