"""Client-side verification of what a node returns: state reads, query answers, transaction proofs.

A `Trust` is what the client believes without asking the node: the chain id, the validator set
whose signatures certify headers, and the genesis block hash (block 0 has no commit). A header signed
by any other set than the trusted one fails closed here with `proof.untrusted_validators`; the
`Client` asks its light client (`sdk/light.py`) for the set certified for a header's height first.

Beyond `ledger.proofs`, every check here also binds the proof to the question asked: the proved key is
the key requested, the height is the height requested, the transaction is the one named. Query answers
are re-derived: the app's query runs locally over exactly the proved key/values and must produce the
result the node sent (scans are checked for consistency with the proved keys, not for completeness).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from govledger.apps import registry
from govledger.errors import GovledgerError
from govledger.ledger.app import AppView
from govledger.ledger.block import Header, Receipt, ValidatorSet
from govledger.ledger.chain import Chain
from govledger.ledger.genesis import parse_genesis
from govledger.ledger.proofs import ProofError, StateProof, TxProof, verify_state, verify_tx
from govledger.ledger.state import state_key
from govledger.ledger.storage import Storage
from govledger.ledger.tx import decode_tx, tx_id
from govledger.node.queries import QueryAnswer
from govledger.sdk.errors import VerificationError


@dataclass(frozen=True)
class Trust:
    chain_id: str
    validators: ValidatorSet
    genesis_hash: bytes | None


def trust_from_genesis(genesis_bytes: bytes) -> Trust:
    """Trust anchored in a genesis document held locally: block 0 is recomputed, not asked for."""
    doc = parse_genesis(genesis_bytes)
    with tempfile.TemporaryDirectory(prefix="govledger-genesis-") as tmp:
        storage = Storage(Path(tmp), sync=False)
        try:
            header = Chain.initialise(storage, genesis_bytes, registry.apps())
        finally:
            storage.close()
    return Trust(chain_id=doc.chain_id, validators=doc.validator_set(), genesis_hash=header.hash())


def check_header(header: Header, trust: Trust) -> None:
    if header.chain_id != trust.chain_id:
        raise VerificationError(
            f"header is for chain {header.chain_id!r}, not the trusted {trust.chain_id!r}"
        )
    if header.validators_hash != trust.validators.hash():
        raise VerificationError(
            f"header {header.height} is certified by validator set {header.validators_hash.hex()[:16]}…, "
            f"not the trusted set {trust.validators.hash().hex()[:16]}… "
            "(the light client certifies sets across changes: sdk/light.py)",
            code="proof.untrusted_validators",
        )


def verify_state_read(
    proof: StateProof, trust: Trust, app: str, key: bytes, height: int | None
) -> bytes | None:
    """The proved value of (app, key), or None if proved absent."""
    if height is not None and proof.height != height:
        raise VerificationError(f"asked for height {height}, the proof is for {proof.height}")
    if len(proof.entries) != 1 or proof.entries[0].app != app or proof.entries[0].key != key:
        raise VerificationError("the proof is not about the key that was asked for")
    check_header(proof.header, trust)
    try:
        values = verify_state(proof, trust.validators, trust.genesis_hash)
    except ProofError as exc:
        raise VerificationError(str(exc)) from None
    return values[(app, key)]


class _ProvedReader:
    """A StateReader over exactly the proved key/values; reading anything else is a verification failure."""

    def __init__(self, values: dict[bytes, bytes | None]) -> None:
        self._values = values

    def get(self, full_key: bytes) -> bytes | None:
        if full_key not in self._values:
            raise VerificationError("the query's answer depends on a key the proof does not cover")
        return self._values[full_key]

    def scan_prefix(
        self, prefix: bytes, limit: int, start_after: bytes | None = None
    ) -> list[tuple[bytes, bytes]]:
        rows = sorted(
            (k, v)
            for k, v in self._values.items()
            if v is not None and k.startswith(prefix) and (start_after is None or k > start_after)
        )
        return rows[:limit]


def verify_query_answer(
    answer: QueryAnswer, trust: Trust, app: str, name: str, params: dict[str, Any], *, recheck: bool = True
) -> Any:
    """The verified result: every key proof holds and (if the query is installed here) the result follows."""
    proof = answer.proof
    if answer.height != proof.height:
        raise VerificationError("the answer's height differs from its proof's")
    check_header(proof.header, trust)
    try:
        values = verify_state(proof, trust.validators, trust.genesis_hash)
    except ProofError as exc:
        raise VerificationError(str(exc)) from None
    if recheck:
        _recheck(answer.result, {state_key(a, k): v for (a, k), v in values.items()}, app, name, params)
    return answer.result


def _recheck(
    result: Any, values: dict[bytes, bytes | None], app: str, name: str, params: dict[str, Any]
) -> None:
    local = registry.apps().get(app)
    query = None if local is None else local.queries.get(name)
    if local is None or query is None:
        return  # not installed in this client: the key proofs are all that can be checked
    try:
        typed = msgspec.convert(params, type=query.params, strict=False)
        derived = query.run(AppView(_ProvedReader(values), app), typed)
    except VerificationError:
        raise
    except (GovledgerError, msgspec.ValidationError) as exc:
        raise VerificationError(f"the query cannot be re-run over the proved state: {exc}") from None
    if msgspec.json.decode(msgspec.json.encode(derived)) != result:
        raise VerificationError("the query result does not follow from the proved state")


def verify_tx_proof(proof: TxProof, trust: Trust, txid: bytes) -> Receipt:
    """The proved receipt of transaction `txid`."""
    try:
        proved_id = tx_id(decode_tx(proof.tx).payload)
    except GovledgerError as exc:
        raise VerificationError(f"the proved transaction does not decode: {exc.message}") from None
    if proved_id != txid or proof.receipt.tx_id != txid:
        raise VerificationError("the proof is not about the transaction that was asked for")
    check_header(proof.header, trust)
    try:
        return verify_tx(proof, trust.validators, trust.genesis_hash)
    except ProofError as exc:
        raise VerificationError(str(exc)) from None
