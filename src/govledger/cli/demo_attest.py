"""Seeding proof-of-existence records and a governance change (the demo's first step).

Attest records from the registrar and the notary (deterministic digests, so a rerun skips what is
recorded), a new organisation and member via governance (skipped if present), a key rotation of that
new member (only when it was just added), a few attestations by the rotated key, and one revocation
(skipped if already revoked). Every existence check is a proof-verified query.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from govledger.apps.attest.app import RecordBody, RevokeBody
from govledger.apps.governance.model import AddMember, RegisterOrg
from govledger.cli.common import CliState
from govledger.cli.demo_common import DemoSummary
from govledger.cli.keys import rotate
from govledger.codec import Record
from govledger.crypto.signatures import SigningKey
from govledger.errors import GovledgerError
from govledger.sdk import Client

REGISTRAR_DOCS = 200
NOTARY_DOCS = 100
DEMO_ORG = RegisterOrg(org_id="city-archives", name="Municipal Archives", kind="agency")
DEMO_MEMBER = "archivist-1"
DEMO_KINDS = ("deed", "survey-plan", "court-order", "notarial-act")


def demo_digest(i: int) -> bytes:
    return hashlib.sha256(f"govledger-demo/document/{i}".encode()).digest()


def _record_many(client: Client, key: SigningKey, start: int, count: int, summary: DemoSummary) -> None:
    height = client.height()
    builder = client.tx_builder()
    raws = [
        builder.raw(
            "attest",
            "record",
            RecordBody(demo_digest(i), DEMO_KINDS[i % len(DEMO_KINDS)], f"DEMO/{i:05d}"),
            [key],
            current_height=height,
        )
        for i in range(start, start + count)
    ]
    results = client.submit_batch(raws)
    for r in results:
        if r.ok:
            continue
        if r.code == "attest.already_recorded":
            summary.add("attestations already there")
        else:
            raise GovledgerError(r.code, r.message)
    accepted = [r.tx_id for r in results if r.ok]
    for tx_id in accepted:
        client.wait(tx_id)
    if accepted:
        summary.add("attestations recorded", len(accepted))


def _send(client: Client, app: str, op: str, body: Record, keys: Sequence[SigningKey]) -> None:
    tx = client.tx_builder().tx(app, op, body, keys, current_height=client.height())
    client.submit_and_wait(tx)


def seed_attest(
    client: Client,
    st: CliState,
    summary: DemoSummary,
    registrar: SigningKey,
    notary: SigningKey,
    admin: SigningKey,
) -> None:
    _record_many(client, registrar, 0, REGISTRAR_DOCS, summary)
    _record_many(client, notary, REGISTRAR_DOCS, NOTARY_DOCS, summary)

    if client.query("governance", "org", id=DEMO_ORG.org_id) is None:
        _send(client, "governance", "register_org", DEMO_ORG, [admin])
        summary.add("organisations registered")
    if client.query("governance", "member", id=DEMO_MEMBER) is None:
        member_key_path = st.key_path(DEMO_MEMBER)
        if member_key_path.exists():  # left over from an interrupted run
            member_key = st.load_key(DEMO_MEMBER)
        else:
            member_key = SigningKey.generate(admin.scheme)
            st.save_key(DEMO_MEMBER, member_key)
        body = AddMember(
            member_id=DEMO_MEMBER,
            org=DEMO_ORG.org_id,
            name="Archivist (demo)",
            roles=["issuer"],
            public_keys=[member_key.public_key],
        )
        _send(client, "governance", "add_member", body, [admin])
        summary.add("members added")
        new_name, _ = rotate(client, st, DEMO_MEMBER, DEMO_MEMBER)
        summary.add("keys rotated")
        _record_many(client, st.load_key(new_name), REGISTRAR_DOCS + NOTARY_DOCS, 5, summary)

    first = client.query("attest", "get", digest=base64.b64encode(demo_digest(0)).decode())
    if first is not None and not first.get("revoked_height"):
        _send(
            client,
            "attest",
            "revoke",
            RevokeBody(demo_digest(0), "demo: superseded by a corrected deed"),
            [registrar],
        )
        summary.add("attestations revoked")
