"""`Client`: the node's REST API over httpx, verifying every proof it is given.

Trust on first use: unless the caller pins `trusted_validators` / `genesis_hash` (or passes a `Trust`,
e.g. `trust_from_genesis(open("genesis.json").read())`), the first call fetches `/v1/genesis`, checks it
against block 0, and from then on trusts that genesis validator set and genesis block hash. Pinning is
the safe choice whenever the genesis document is available out of band; TOFU trusts the first node
the client talks to. Every proof-carrying read is checked against the validator set that signs its
header, which the light client (`sdk/light.py`) certifies by following the chain of validator sets
from genesis.

Errors: API failures raise `RemoteError(code, message)`, a dead URL raises `NodeUnreachable`, a proof
that does not verify raises `VerificationError`; all are `GovledgerError`s.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import httpx
import msgspec

from govledger.api.models import (
    AppInfo,
    BlockInfo,
    BlockReceipts,
    ErrorEnvelope,
    EventMessage,
    GenesisInfo,
    Health,
    History,
    SubmitResult,
    TxStatus,
)
from govledger.codec import encode
from govledger.ledger.block import Header, ValidatorSet
from govledger.ledger.proofs import StateProof, TxProof
from govledger.ledger.tx import Transaction
from govledger.node.queries import QueryAnswer
from govledger.sdk.builder import TxBuilder
from govledger.sdk.errors import NodeUnreachable, RemoteError, VerificationError
from govledger.sdk.light import LightBlock, LightClient
from govledger.sdk.verify import Trust, check_header, verify_query_answer, verify_state_read, verify_tx_proof

T = TypeVar("T")

MSGPACK = "application/msgpack"
DEFAULT_URL = "http://127.0.0.1:8000"
LONG_POLL_MS = 30_000


def _hex_id(tx_id: bytes | str) -> str:
    return tx_id.hex() if isinstance(tx_id, bytes) else tx_id.lower()


class Client:
    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        trusted_validators: ValidatorSet | None = None,
        genesis_hash: bytes | None = None,
        trust: Trust | None = None,
        verify: bool = True,
        timeout: float = 10.0,
        http: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.verify = verify
        self._timeout = timeout
        self._own_http = http is None
        self._http = http if http is not None else httpx.Client(base_url=self.base_url, timeout=timeout)
        self._pinned_validators = trusted_validators
        self._pinned_genesis_hash = genesis_hash
        self._trust = trust
        self._light: LightClient | None = None

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport ----------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        ok: tuple[int, ...] = (200,),
    ) -> httpx.Response:
        try:
            resp = self._http.request(
                method,
                path,
                params=params,
                content=content,
                headers=headers,
                timeout=timeout if timeout is not None else self._timeout,
            )
        except httpx.TransportError as exc:
            raise NodeUnreachable(self.base_url, str(exc) or type(exc).__name__) from None
        if resp.status_code not in ok:
            raise _remote_error(resp)
        return resp

    @staticmethod
    def _decode(resp: httpx.Response, type_: type[T]) -> T:
        try:
            return msgspec.json.decode(resp.content, type=type_)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise RemoteError(
                "response.invalid", f"unexpected response from the node: {exc}", resp.status_code
            ) from None

    def _get(self, path: str, type_: type[T], **params: Any) -> T:
        query = {k: v for k, v in params.items() if v is not None}
        return self._decode(self._request("GET", path, params=query or None), type_)

    # --- trust ----------------------------------------------------------------------------------------

    def genesis(self) -> GenesisInfo:
        return self._get("/v1/genesis", GenesisInfo)

    @property
    def trust(self) -> Trust:
        """The trust anchor, established on first use (see the module docstring)."""
        if self._trust is None:
            self._trust = self._establish_trust()
        return self._trust

    def _establish_trust(self) -> Trust:
        info = self.genesis()
        try:
            node_hash = bytes.fromhex(info.genesis_hash)
        except ValueError:
            raise VerificationError("the node's genesis hash is not hex") from None
        if self._pinned_genesis_hash is not None and node_hash != self._pinned_genesis_hash:
            raise VerificationError(
                f"the node serves genesis {info.genesis_hash[:16]}…, not the pinned "
                f"{self._pinned_genesis_hash.hex()[:16]}…: a different chain",
                code="proof.wrong_chain",
            )
        validators = self._pinned_validators or info.validators
        block0 = self.block(0)
        if block0.header.hash() != node_hash or block0.header.chain_id != info.chain_id:
            raise VerificationError(
                "the node's block 0 does not match its own genesis hash", code="proof.wrong_chain"
            )
        trust = Trust(chain_id=info.chain_id, validators=validators, genesis_hash=node_hash)
        if self.verify:
            check_header(block0.header, trust)
        return trust

    @property
    def light(self) -> LightClient:
        """The light client following validator-set changes from the trusted genesis set."""
        if self._light is None:
            trust = self.trust
            self._light = LightClient(
                trust.validators,
                trust.genesis_hash,
                lambda h: _light_block(self.block(h)),
                lambda h: self.validators(h),
            )
        return self._light

    def _trust_for(self, header: Header) -> Trust:
        """The trust to check a proof with: the certified validator set of its header's height."""
        trust = self.trust
        validators = self.light.validators_for(header)
        return Trust(chain_id=trust.chain_id, validators=validators, genesis_hash=trust.genesis_hash)

    def tx_builder(self) -> TxBuilder:
        return TxBuilder(self.trust.chain_id)

    # --- transactions -------------------------------------------------------------------------------

    def submit(self, tx: Transaction | bytes) -> bytes:
        """Submit one transaction; its id once admitted (RemoteError with the admission code otherwise)."""
        raw = tx if isinstance(tx, bytes) else encode(tx)
        resp = self._request("POST", "/v1/txs", content=raw, headers={"content-type": MSGPACK}, ok=(200, 202))
        return bytes.fromhex(self._decode(resp, TxStatus).tx_id)

    def submit_batch(self, raws: Sequence[bytes | Transaction]) -> list[SubmitResult]:
        """Submit up to 10,000 transactions; one result per transaction, in order."""
        body = encode([r if isinstance(r, bytes) else encode(r) for r in raws])
        resp = self._request(
            "POST", "/v1/txs/batch", content=body, headers={"content-type": MSGPACK}, timeout=120
        )
        return self._decode(resp, list[SubmitResult])

    def tx(self, tx_id: bytes | str) -> TxStatus:
        return self._get(f"/v1/txs/{_hex_id(tx_id)}", TxStatus)

    def wait(self, tx_id: bytes | str, timeout: float = 30.0) -> TxStatus:
        """Long-poll until committed; raises `tx.wait_timeout` if `timeout` seconds pass first."""
        deadline = time.monotonic() + timeout
        path = f"/v1/txs/{_hex_id(tx_id)}/wait"
        while True:
            left_ms = int((deadline - time.monotonic()) * 1000)
            poll_ms = max(0, min(left_ms, LONG_POLL_MS))
            resp = self._request(
                "GET",
                path,
                params={"timeout_ms": poll_ms},
                timeout=poll_ms / 1000 + self._timeout,
                ok=(200, 202),
            )
            status = self._decode(resp, TxStatus)
            if resp.status_code == 200:
                return status
            if left_ms <= 0:
                raise RemoteError(
                    "tx.wait_timeout", f"transaction {_hex_id(tx_id)} not committed in {timeout}s", 202
                )

    def submit_and_wait(
        self, tx: Transaction | bytes, timeout: float = 30.0, *, check: bool = True
    ) -> TxStatus:
        """Submit and wait for the commit; with `check`, a failed receipt raises its code and message."""
        status = self.wait(self.submit(tx), timeout)
        r = status.receipt
        if check and r is not None and r.code != "ok":
            raise RemoteError(r.code, r.message, 200)
        return status

    def tx_proof(self, tx_id: bytes | str) -> TxProof:
        """The transaction's inclusion proof, verified against a trusted header (unless verify=False)."""
        proof = self._get(f"/v1/txs/{_hex_id(tx_id)}/proof", TxProof)
        if self.verify:
            verify_tx_proof(proof, self._trust_for(proof.header), bytes.fromhex(_hex_id(tx_id)))
        return proof

    # --- state --------------------------------------------------------------------------------------

    def get_state_proof(self, app: str, key: bytes, height: int | None = None) -> StateProof:
        proof = self._get(f"/v1/state/{app}/{key.hex()}", StateProof, height=height)
        if self.verify:
            verify_state_read(proof, self._trust_for(proof.header), app, key, height)
        return proof

    def get_state(self, app: str, key: bytes, height: int | None = None) -> bytes | None:
        """The verified value of an app key (None: proved absent) at `height` (default latest)."""
        proof = self.get_state_proof(app, key, height)
        return proof.entries[0].value if proof.entries else None

    def query_answer(
        self, app: str, name: str, params: dict[str, Any] | None = None, *, height: int | None = None
    ) -> QueryAnswer:
        """An app query's answer with its proof, verified; `height` asks about the state of a past block."""
        params = params or {}
        resp = self._request(
            "POST",
            f"/v1/query/{app}/{name}",
            content=msgspec.json.encode(params),
            headers={"content-type": "application/json"},
            params=None if height is None else {"height": height},
        )
        answer = self._decode(resp, QueryAnswer)
        if height is not None and answer.proof.header.height != height:
            got = answer.proof.header.height
            raise VerificationError(f"asked for the state at height {height}, the proof is for {got}")
        if self.verify:
            verify_query_answer(answer, self._trust_for(answer.proof.header), app, name, params)
        return answer

    def query(self, app: str, name: str, /, **params: Any) -> Any:
        """The verified result of an app query (JSON values; bytes as base64 strings)."""
        return self.query_answer(app, name, params).result

    # --- blocks and node ----------------------------------------------------------------------------

    def block(self, height: int | None = None, *, include_txs: bool = False) -> BlockInfo:
        path = "/v1/blocks/latest" if height is None else f"/v1/blocks/{height}"
        return self._get(path, BlockInfo, include_txs=include_txs or None)

    def receipts(self, height: int) -> BlockReceipts:
        return self._get(f"/v1/blocks/{height}/receipts", BlockReceipts)

    def validators(self, height: int | None = None) -> ValidatorSet:
        return self._get("/v1/validators", ValidatorSet, height=height)

    def health(self) -> Health:
        return self._get("/health", Health)

    def height(self) -> int:
        return self.health().height

    def apps(self) -> list[AppInfo]:
        return self._get("/v1/apps", list[AppInfo])

    def history(self, app: str, subject: str, limit: int = 100) -> History:
        return self._get(f"/v1/history/{app}/{subject}", History, limit=limit)

    def events(self, app: str = "", subject: str = "", limit: int = 0) -> Iterator[EventMessage]:
        """Committed events as they happen (Server-Sent Events); ends after `limit` events if given."""
        params: dict[str, str | int] = {"app": app, "subject": subject, "limit": limit}
        timeout = httpx.Timeout(self._timeout, read=None)
        try:
            with self._http.stream("GET", "/v1/events", params=params, timeout=timeout) as resp:
                if resp.status_code != 200:
                    resp.read()
                    raise _remote_error(resp)
                pending_event = ""
                for line in resp.iter_lines():
                    if line.startswith("event:"):
                        pending_event = line[6:].strip()
                    elif line.startswith("data:"):
                        data = line[5:].strip().encode()
                        if pending_event == "dropped":
                            err = msgspec.json.decode(data, type=ErrorEnvelope).error
                            raise RemoteError(err.code, err.message, 200)
                        yield msgspec.json.decode(data, type=EventMessage)
                    elif not line:
                        pending_event = ""
        except httpx.TransportError as exc:
            raise NodeUnreachable(self.base_url, str(exc) or type(exc).__name__) from None


def _light_block(info: BlockInfo) -> LightBlock:
    return LightBlock(header=info.header, commit=info.commit)


def _remote_error(resp: httpx.Response) -> RemoteError:
    retry = resp.headers.get("retry-after")
    retry_after = float(retry) if retry and retry.replace(".", "", 1).isdigit() else None
    try:
        err = msgspec.json.decode(resp.content, type=ErrorEnvelope).error
        return RemoteError(err.code, err.message, resp.status_code, retry_after)
    except (msgspec.DecodeError, msgspec.ValidationError):
        text = resp.text[:200].strip() or resp.reason_phrase
        return RemoteError(f"http.{resp.status_code}", text, resp.status_code, retry_after)
