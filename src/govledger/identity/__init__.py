"""Digital identity: DIDs, SD-JWT VC, W3C VC 2.0, status lists, OpenID4VCI and OpenID4VP.

Everything in this package is a pure library over bytes and JSON: no ledger writes, no network, no
clocks (callers pass `now_s`). The ledger half (DID documents, the trusted-issuer registry, status
lists as state) lives in `govledger.apps.identity`; the holder side in `govledger.wallet`.

Safe by default (as pyca/cryptography is): every `verify_*` function returns an `Outcome` whose
`code` is "ok" or a stable failure code from `identity.errors.CODES`; bad input never raises.
"""
