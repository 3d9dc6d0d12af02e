"""Putting a registry's certificate issuer on the ledger (idempotent; every check is a proved read).

For each registry issuer, through the SDK, in dependency order (admission checks run against
committed state, so each round waits for the previous one):

1. governance `add_member` `cert-issuer-<registry>` in the registry's organisation, roles `issuer`
   and `certificate_service`, with the issuer key (signed by an `admin`); privacy `set_purposes`
   gives `certificate_service` the purpose `certificate_issuance` (so the issuer, and only it, may
   log reads of the people named on a vital record when it certifies it);
   identity `did_create` of the registry's DID (its key, and the `oa-signer` service naming the
   did:ethr key that signs OpenAttestation documents), signed by the key itself;
   identity `trust_accredit` of the DID for each record type the registry certifies (signed by a
   `trust_registry` member);
2. identity `status_list_create` (2-bit, 131,072 entries, URI `<public url>/v1/certificates/status/<id>`)
   and documents `create_store`, both signed by the issuer key alone (it is the DID's controller,
   the store's owner and an `issuer` member).
"""

from __future__ import annotations

from collections.abc import Sequence

from govledger.apps.documents import store as docstore
from govledger.apps.documents.model import CreateStore
from govledger.apps.governance.model import AddMember
from govledger.apps.identity import store as idstore
from govledger.apps.identity.model import Accredit, DidCreate, DidKey, DidService, StatusListCreate
from govledger.apps.privacy.model import SetPurposes
from govledger.certificates.issuers import (
    DID_KEY_FRAGMENT,
    OA_SIGNER_SERVICE,
    OA_SIGNER_TYPE,
    STATUS_LIST_BITS,
    STATUS_LIST_SIZE,
    Issuer,
)
from govledger.certificates.kinds import KINDS
from govledger.certificates.proved import SdkStateReader
from govledger.certificates.submit import Item, item, require_ok, send
from govledger.crypto.signatures import SigningKey
from govledger.ledger.app import AppView
from govledger.sdk import Client

SERVICE_ROLE = "certificate_service"
SERVICE_PURPOSES = ["certificate_issuance"]
DID_PURPOSES = ("authentication", "assertionMethod", "capabilityInvocation")


def vcts_of(issuer: Issuer) -> list[str]:
    return sorted({k.vct for k in KINDS.values() if k.registry == issuer.registry.name})


def did_create_body(issuer: Issuer) -> DidCreate:
    key = DidKey(DID_KEY_FRAGMENT, issuer.key.public_key, list(DID_PURPOSES))
    service = DidService(OA_SIGNER_SERVICE, OA_SIGNER_TYPE, issuer.eth_signer.did)
    return DidCreate(issuer.registry.did_id, [key], [service])


def _first_round(
    client: Client, issuers: Sequence[Issuer], admin: SigningKey, trust: SigningKey
) -> list[Item]:
    reader = SdkStateReader(client)
    identity = AppView(reader, "identity")
    items: list[Item] = []
    purposes = client.query("privacy", "purposes", role=SERVICE_ROLE)
    if purposes is None or purposes.get("purposes") != SERVICE_PURPOSES:
        items.append(item("privacy", "set_purposes", SetPurposes(SERVICE_ROLE, SERVICE_PURPOSES), admin))
    for iss in issuers:
        reg = iss.registry
        if client.query("governance", "member", id=reg.member_id) is None:
            body = AddMember(
                reg.member_id,
                reg.org,
                f"{reg.display} certificate issuer",
                ["issuer", SERVICE_ROLE],
                [iss.key.public_key],
            )
            items.append(item("governance", "add_member", body, admin))
        if idstore.get_did(identity, reg.did_id) is None:
            items.append(item("identity", "did_create", did_create_body(iss), iss.key))
        for vct in vcts_of(iss):
            acc = idstore.get_accreditation(identity, iss.did, vct)
            if acc is None or acc.withdrawn:
                items.append(
                    item("identity", "trust_accredit", Accredit(iss.did, vct, 0, 0, reg.display), trust)
                )
    return items


def _second_round(client: Client, issuers: Sequence[Issuer], public_url: str) -> list[Item]:
    reader = SdkStateReader(client)
    items: list[Item] = []
    for iss in issuers:
        reg = iss.registry
        if idstore.get_list(AppView(reader, "identity"), reg.list_id) is None:
            body = StatusListCreate(
                reg.list_id, iss.did, iss.list_uri(public_url), STATUS_LIST_SIZE, STATUS_LIST_BITS
            )
            items.append(item("identity", "status_list_create", body, iss.key))
        if docstore.get_store(AppView(reader, "documents"), iss.store_address) is None:
            items.append(item("documents", "create_store", CreateStore(reg.store_name, iss.key_id), iss.key))
    return items


def set_up_issuers(
    client: Client, issuers: Sequence[Issuer], *, admin: SigningKey, trust: SigningKey, public_url: str
) -> int:
    """Bring every issuer's ledger state into being; returns how many transactions it committed."""
    done = 0
    first = _first_round(client, issuers, admin, trust)
    if first:
        require_ok(send(client, first))
        done += len(first)
    second = _second_round(client, issuers, public_url)
    if second:
        require_ok(send(client, second))
        done += len(second)
    return done
