"""The demo's certificates: registry issuers on the ledger, then certificates issued by the node.

`set_up` puts the three registry issuers (land, companies, civil registry) on the ledger with the
admin and trust-registry keys (certificates/setup.py). `issue` asks the node for the certificates of
the first records of each kind (`GET /v1/certificates/{kind}/{id}`): the node reads each record with
its proof, issues the OpenAttestation document in the registry's store and the SD-JWT VC with a
status-list entry. One land certificate is issued for a mortgaged parcel *before* the mortgage is
released, so the node's follower revokes it when the release commits: the demo data then holds a
revoked certificate, as a real register would.
"""

from __future__ import annotations

from collections.abc import Iterable

from govledger.certificates.issuers import REGISTRIES, load_issuer
from govledger.certificates.remote import api_request
from govledger.certificates.setup import set_up_issuers
from govledger.cli.demo_common import Demo


def set_up(demo: Demo) -> None:
    chain_id = demo.client.trust.chain_id
    issuers = [
        load_issuer(demo.st.home, chain_id, name, demo.st.passphrase, demo.st.scrypt_n) for name in REGISTRIES
    ]
    done = set_up_issuers(
        demo.client,
        issuers,
        admin=demo.key("admin-1"),
        trust=demo.key("trust-1"),
        public_url=demo.client.base_url,
    )
    demo.summary.add("certificate issuer transactions", done)


def issue(demo: Demo, kind: str, record_ids: Iterable[str]) -> int:
    n = 0
    for record_id in record_ids:
        api_request(
            demo.client, "GET", f"/v1/certificates/{kind}/{record_id}", params={"format": "json"}, timeout=60
        )
        n += 1
    demo.summary.add(f"{kind} certificates", n)
    return n
