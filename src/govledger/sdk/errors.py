"""SDK errors: every failure the caller sees is a `GovledgerError` with a stable code.

- `RemoteError`: the node answered with `{"error": {"code", "message"}}` (HTTP status kept);
- `NodeUnreachable` (`node.unreachable`): no answer at the URL;
- `VerificationError` (`proof.invalid`, `proof.untrusted_validators`): a proof did not verify. It is
  also a `ledger.proofs.ProofError`, so code catching either is right.
"""

from __future__ import annotations

from govledger.errors import GovledgerError
from govledger.ledger.proofs import ProofError


class RemoteError(GovledgerError):
    def __init__(self, code: str, message: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(code, message)
        self.status = status
        self.retry_after = retry_after


class NodeUnreachable(GovledgerError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__("node.unreachable", f"node not reachable at {url}: {reason}")
        self.url = url


class VerificationError(GovledgerError, ProofError):
    def __init__(self, message: str, code: str = "proof.invalid") -> None:
        super().__init__(code, message)
