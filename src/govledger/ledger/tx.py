"""Transactions: what a client signs, how it is identified, and the envelope rules every node checks.

A transaction names one app operation and carries its body as the app's own canonical bytes, so the
envelope decodes without knowing any app. Every signer's public key travels in the payload; the
signatures cover the transaction id (SHA-256 of the canonical payload) under a domain tag.

Replay protection is by id, not by per-account nonces: a transaction is valid only up to its
`expiry_height`, at most `MAX_TX_TTL_BLOCKS` ahead, and an id can be committed once. The client's
`nonce` makes otherwise identical payloads distinct. This lets one signer have many transactions in
flight and lets multi-party transactions (seller, buyer, notary) need no coordination of counters.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from govledger.codec import Record, decode, encode, sha256
from govledger.crypto.signatures import PUBLIC_KEY_SIZES, SIGNATURE_SIZES, PublicKey, SigningKey
from govledger.errors import TxRejected

TX_SIGN_DOMAIN = b"govledger/tx/v1\x00"
MAX_TX_BYTES = 64 * 1024
MAX_BODY_BYTES = 52 * 1024
# A body leaves 12 KiB of MAX_TX_BYTES for the envelope: names, nonce, expiry and two hybrid
# (Ed25519 + ML-DSA-65) signers at ~5.4 KB each, or one hybrid and dozens of Ed25519 signers. A
# transaction with a full body and more signers is refused whole (codec.oversize), never cut.
# Raised from 32 KiB so that a ballot with its proof commitments fits (docs/voting.md §10).
MAX_SIGNERS = 16
MAX_TX_TTL_BLOCKS = 100_000
MAX_NAME_CHARS = 64
UINT64_MAX = (1 << 64) - 1
_KEY_SIZES: dict[int, int] = {int(k): v for k, v in PUBLIC_KEY_SIZES.items()}
_SIG_SIZES: dict[int, int] = {int(k): v for k, v in SIGNATURE_SIZES.items()}


class TxPayload(Record, frozen=True):
    """The signed part of a transaction."""

    chain_id: str
    app: str
    op: str
    body: bytes
    signers: list[PublicKey]
    nonce: int
    expiry_height: int


class Transaction(Record, frozen=True):
    payload: TxPayload
    signatures: list[bytes]


class SignerKeys(msgspec.Struct, frozen=True, gc=False):
    """A transaction's signer keys and their key ids, in signing order.

    Computed once per transaction (at admission, or when a block brings a transaction this node never
    admitted) and reused by the pre-check and by execution: a key id is a hash.
    """

    keys: tuple[PublicKey, ...]
    ids: frozenset[bytes]
    first_id: bytes  # the first signer's: the party that submits (an attester, a registrar)


def signer_keys(tx: Transaction) -> SignerKeys:
    """`tx` must have passed `check_shape` (at least one signer, each of a known scheme)."""
    keys = tuple(tx.payload.signers)
    ids = [pk.key_id() for pk in keys]
    return SignerKeys(keys, frozenset(ids), ids[0])


def tx_id(payload: TxPayload) -> bytes:
    return sha256(encode(payload))


def sign_message(txid: bytes) -> bytes:
    return TX_SIGN_DOMAIN + txid


def build(
    chain_id: str,
    app: str,
    op: str,
    body: bytes,
    keys: Sequence[SigningKey],
    *,
    nonce: int,
    expiry_height: int,
) -> Transaction:
    """Build and sign a transaction with every key in `keys` (in that order)."""
    payload = TxPayload(
        chain_id=chain_id,
        app=app,
        op=op,
        body=body,
        signers=[k.public_key for k in keys],
        nonce=nonce,
        expiry_height=expiry_height,
    )
    message = sign_message(tx_id(payload))
    return Transaction(payload=payload, signatures=[k.sign(message) for k in keys])


def decode_tx(data: bytes) -> Transaction:
    """Strictly decode a transaction and check its static shape (no state, no signatures)."""
    tx = decode(data, Transaction, max_bytes=MAX_TX_BYTES)
    check_shape(tx)
    return tx


def check_shape(tx: Transaction) -> None:
    p = tx.payload
    if not p.signers:
        raise TxRejected("tx.no_signers", "a transaction needs at least one signer")
    if len(p.signers) > MAX_SIGNERS:
        raise TxRejected("tx.too_many_signers", f"at most {MAX_SIGNERS} signers, got {len(p.signers)}")
    if len(tx.signatures) != len(p.signers):
        raise TxRejected(
            "tx.signature_count",
            f"{len(p.signers)} signers but {len(tx.signatures)} signatures",
        )
    if len(p.body) > MAX_BODY_BYTES:
        raise TxRejected("tx.body_too_large", f"body of {len(p.body)} bytes exceeds {MAX_BODY_BYTES}")
    _check_name(p.app, "app")
    _check_name(p.op, "op")
    if not 0 <= p.nonce <= UINT64_MAX or not 0 <= p.expiry_height <= UINT64_MAX:
        raise TxRejected("tx.out_of_range", "nonce and expiry_height are unsigned 64-bit integers")
    for pk, sig in zip(p.signers, tx.signatures, strict=True):
        if _KEY_SIZES.get(pk.scheme) != len(pk.key):
            raise TxRejected("tx.bad_public_key", f"public key of scheme {pk.scheme} has the wrong size")
        if _SIG_SIZES.get(pk.scheme) != len(sig):
            raise TxRejected("tx.bad_signature", f"signature of scheme {pk.scheme} has the wrong size")
    if len(p.signers) > 1:
        # equal (scheme, key) pairs are exactly equal key ids, without hashing every key
        seen: set[tuple[int, bytes]] = set()
        for pk in p.signers:
            ident = (pk.scheme, bytes(pk.key))
            if ident in seen:
                raise TxRejected("tx.duplicate_signer", f"signer {pk.key_id().hex()} appears twice")
            seen.add(ident)


_GOOD_NAMES: set[str] = set()  # names already checked: a chain uses a few dozen, every tx repeats one


def _check_name(name: str, label: str) -> None:
    if name in _GOOD_NAMES:
        return
    if not name or len(name) > MAX_NAME_CHARS or not name.replace("_", "").isalnum() or not name.isascii():
        raise TxRejected("tx.bad_name", f"{label} name {name!r} is not a short ASCII identifier")
    if len(_GOOD_NAMES) < 4096:
        _GOOD_NAMES.add(name)


def check_window(tx: Transaction, chain_id: str, height: int) -> None:
    """Reject a transaction that cannot be included in a block at `height` on `chain_id`."""
    p = tx.payload
    if p.chain_id != chain_id:
        raise TxRejected("tx.wrong_chain", f"transaction is for chain {p.chain_id!r}, not {chain_id!r}")
    if p.expiry_height < height:
        raise TxRejected("tx.expired", f"transaction expired at height {p.expiry_height}; now {height}")
    if p.expiry_height > height + MAX_TX_TTL_BLOCKS:
        raise TxRejected(
            "tx.expiry_too_far",
            f"expiry_height {p.expiry_height} is more than {MAX_TX_TTL_BLOCKS} blocks ahead of {height}",
        )
