"""ElectionGuard 2.0 cryptography for govledger's voting app: pure functions and wire records.

Implements the ElectionGuard Design Specification 2.0.0 (Benaloh and Naehrig, 2023-08-18):

- :mod:`.group`        the fixed 4096-bit group (§3.1.1), fixed-base tables, Lagrange coefficients;
- :mod:`.hash`         H = HMAC-SHA-256 and every domain-separated use of it (§5);
- :mod:`.records`      the wire types of the election record (§3.7) and the manifest (§3.1.3);
- :mod:`.keyceremony`  guardians, commitments, Schnorr proofs, encrypted shares, complaints (§3.2);
- :mod:`.ballot`       ballot encryption, range proofs, contest data, confirmation codes, chaining,
  the Benaloh challenge (§3.3, §3.4, §3.6.5);
- :mod:`.tally`        aggregation and k-of-n decryption with proofs (§3.5, §3.6);
- :mod:`.verify`       an independent verifier of the whole record (§6.2);
- :mod:`.errors`       ``VotingError`` and the ``RandomSource`` interface.

Nothing here touches the ledger, the network, the clock or global randomness; the ledger app
orchestrates these functions. The package deliberately re-exports nothing, so that importing the
verifier does not import the producing modules. See docs/voting.md and docs/voting-threat-model.md.
"""
