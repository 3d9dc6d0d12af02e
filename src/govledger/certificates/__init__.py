"""Certificates from registry state: what a citizen takes away and anyone checks against the ledger.

A land title, a company's good standing, a birth, death, marriage or divorce record, read with its
proof from the registry's `certificate_data` hook, issued in two forms (an OpenAttestation document
whose merkleRoot is issued in the registry's ledger document store, DID-signed; an SD-JWT VC with a
ledger status-list entry) and revoked by the node when the record changes. docs/certificates.md is
the human account.

Modules: `kinds` (what can be certified), `issuers` (one issuer per registry, its keys and ledger
names), `setup` (putting the issuers on the ledger), `build` (the two forms, pure), `issue` (the
issuing flow over a ledger port), `index` (what the node issued), `revoker` (the follower that
revokes), `verifying` (the checks, over any state reader), `proved` (readers of proved state),
`submit` and `remote` (talking to a node through the SDK).
"""
