"""Calling node routes the SDK has no method for (certificates, vault) through an SDK client.

The request goes through the client's own transport (its base URL, timeouts, or the test client it
was given) and its error mapping: a 4xx answer raises `RemoteError(code, message)` like every SDK
call. Route answers themselves carry no proofs; callers that need proof read the ledger through the
SDK's verified reads.
"""

from __future__ import annotations

from typing import Any

import httpx

from govledger.sdk import Client


def api_request(client: Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return client._request(method, path, **kwargs)
