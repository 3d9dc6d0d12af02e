"""The Python SDK: a verifying REST client (`Client`), transaction building (`TxBuilder`) and its errors.

from govledger.sdk import Client, TxBuilder
with Client("http://127.0.0.1:8000") as c:
    tx = c.tx_builder().tx("attest", "record", body, [key], current_height=c.height())
    status = c.submit_and_wait(tx)
    value = c.get_state("attest", b"doc/" + digest)   # verified against a signed header
"""

from govledger.sdk.builder import TxBuilder
from govledger.sdk.client import Client
from govledger.sdk.errors import NodeUnreachable, RemoteError, VerificationError
from govledger.sdk.verify import Trust, trust_from_genesis

__all__ = [
    "Client",
    "NodeUnreachable",
    "RemoteError",
    "Trust",
    "TxBuilder",
    "VerificationError",
    "trust_from_genesis",
]
