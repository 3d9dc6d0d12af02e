"""The genesis document: chain id, start time, first validators and each app's initial state.

Stored as JSON (humans edit it) and applied deterministically: each app's section is converted to
the app's strict genesis type and applied in app-name order, giving block 0's state root. Block 0
has no transactions and no commit; its hash is the chain's identity that every node must reproduce.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.errors import GovledgerError
from govledger.ledger.block import Validator, ValidatorSet

MAX_GENESIS_BYTES = 16 << 20
VALIDATORS_APP = "governance"
VALIDATORS_KEY = b"validators"


class GenesisDoc(msgspec.Struct, forbid_unknown_fields=True):
    chain_id: str
    genesis_time_ms: int
    validators: list[Validator]
    app_state: dict[str, Any] = {}

    def validator_set(self) -> ValidatorSet:
        return ValidatorSet(validators=list(self.validators))


def parse_genesis(data: bytes) -> GenesisDoc:
    if len(data) > MAX_GENESIS_BYTES:
        raise GovledgerError("genesis.oversize", f"genesis larger than {MAX_GENESIS_BYTES} bytes")
    try:
        doc = msgspec.json.decode(data, type=GenesisDoc, strict=True)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise GovledgerError("genesis.invalid", f"genesis document: {exc}") from None
    if not doc.chain_id or len(doc.chain_id) > 64:
        raise GovledgerError("genesis.invalid", "chain_id must be 1..64 characters")
    if not doc.validators or any(v.power <= 0 for v in doc.validators):
        raise GovledgerError("genesis.invalid", "at least one validator, each with positive power")
    return doc


def dump_genesis(doc: GenesisDoc) -> bytes:
    return msgspec.json.format(msgspec.json.encode(doc), indent=2)
