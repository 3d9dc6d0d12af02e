"""Documents app wire types: records kept in state, transaction bodies, query parameters.

Nothing personal and no document content is stored: a document store holds 32-byte Merkle roots
and revoked hashes; a token registry holds 32-byte token ids (the merkleRoot of a transferable
document) and key ids of its holder, beneficiary and nominee. Names are identifiers, reasons short
codes. Addresses are 20 bytes, derived from the chain id and the name (`store.derive_address`),
written `0x`-hex in documents as OpenAttestation's `documentStore` / `tokenRegistry` fields.
"""

from __future__ import annotations

from govledger.codec import Record

MAX_NAME_CHARS = 64
MAX_REASON_CHARS = 32
MAX_ROOTS_PER_ISSUE = 256
MAX_HASHES_PER_REVOKE = 256
MAX_HISTORY_PAGE = 100
MAX_PROOF = 32

ACTIVE, SURRENDERED, BURNED = "active", "surrendered", "burned"  # token states
DOCUMENT, BATCH = "document", "batch"  # what a revocation names


# --- state ------------------------------------------------------------------------------------------


class DocumentStore(Record, frozen=True):
    address: bytes
    name: str
    owner: bytes  # key id that must sign (with an `issuer`) every issuance and revocation
    created_height: int
    created_time_ms: int
    issued_count: int = 0
    revoked_count: int = 0


class Issuance(Record, frozen=True):
    merkle_root: bytes
    height: int
    time_ms: int
    tx_id: bytes
    signer_ids: list[bytes]


class Revocation(Record, frozen=True):
    hash: bytes
    kind: str  # DOCUMENT (a targetHash or a subtree node) or BATCH (an issued merkleRoot)
    reason: str
    height: int
    time_ms: int
    tx_id: bytes


class TokenRegistry(Record, frozen=True):
    address: bytes
    name: str
    owner: bytes  # mints (with an `issuer`), accepts or rejects surrenders
    created_height: int
    created_time_ms: int
    minted_count: int = 0


class Token(Record, frozen=True):
    """A transferable record (a title document, an electronic bill of lading) and its title escrow."""

    registry: bytes
    token_id: bytes  # the merkleRoot of the wrapped document
    state: str  # ACTIVE, SURRENDERED, BURNED
    beneficiary: bytes  # the owner of the goods/title
    holder: bytes  # who holds the document now (the carrier, a bank, the consignee)
    nominee: bytes  # the beneficiary's nominee for the next beneficiary, or b""
    version: int  # number of endorsement entries
    minted_height: int


class Endorsement(Record, frozen=True):
    """One entry of a token's endorsement chain (its history), never rewritten."""

    version: int
    action: str  # minted, holder_transferred, nominated, beneficiary_endorsed, owners_transferred,
    # surrendered, surrender_accepted, surrender_rejected
    beneficiary: bytes
    holder: bytes
    nominee: bytes
    signer_ids: list[bytes]
    height: int
    time_ms: int
    tx_id: bytes


# --- bodies -----------------------------------------------------------------------------------------


class CreateStore(Record, frozen=True):
    name: str
    owner: bytes


class Issue(Record, frozen=True):
    store: bytes
    merkle_roots: list[bytes]


class RevokeDocument(Record, frozen=True):
    """Revoke documents by targetHash (or whole subtrees by a node hash on their proof path)."""

    store: bytes
    hashes: list[bytes]
    reason: str


class RevokeBatch(Record, frozen=True):
    store: bytes
    merkle_root: bytes
    reason: str


class TransferStoreOwner(Record, frozen=True):
    store: bytes
    new_owner: bytes


class CreateRegistry(Record, frozen=True):
    name: str
    owner: bytes


class Mint(Record, frozen=True):
    registry: bytes
    token_id: bytes
    beneficiary: bytes
    holder: bytes


class TransferHolder(Record, frozen=True):
    registry: bytes
    token_id: bytes
    new_holder: bytes


class Nominate(Record, frozen=True):
    registry: bytes
    token_id: bytes
    nominee: bytes


class EndorseBeneficiary(Record, frozen=True):
    registry: bytes
    token_id: bytes
    new_beneficiary: bytes


class TransferOwners(Record, frozen=True):
    registry: bytes
    token_id: bytes
    new_beneficiary: bytes
    new_holder: bytes


class TokenRef(Record, frozen=True):
    """Body of surrender / accept_surrender / reject_surrender, and a query parameter."""

    registry: bytes
    token_id: bytes


# --- query parameters and answers -------------------------------------------------------------------


class Address(Record, frozen=True):
    address: bytes


class HashRef(Record, frozen=True):
    store: bytes
    hash: bytes


class DocumentRef(Record, frozen=True):
    store: bytes
    target_hash: bytes
    merkle_root: bytes
    proof: list[bytes]


class HistoryPage(Record, frozen=True):
    registry: bytes
    token_id: bytes
    from_version: int = 1
    limit: int = MAX_HISTORY_PAGE


class HashAnswer(Record, frozen=True):
    store_known: bool
    issuance: Issuance | None
    revocation: Revocation | None


class DocumentAnswer(Record, frozen=True):
    """Status of one document: its batch's issuance, and any revocation on its proof path."""

    store_known: bool
    issuance: Issuance | None
    revocations: list[Revocation]
    valid: bool
