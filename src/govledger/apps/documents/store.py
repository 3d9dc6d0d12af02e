"""The documents app's key space, and the only module that reads or writes it.

Key space (app-relative; addresses and hashes are raw bytes of fixed length, so prefixes cannot
collide):

    store/<address 20>                          -> DocumentStore
    store/<address 20>/root/<merkleRoot 32>     -> Issuance        a batch issued, never deleted
    store/<address 20>/revoked/<hash 32>        -> Revocation      never deleted
    registry/<address 20>                       -> TokenRegistry
    registry/<address 20>/token/<id 32>         -> Token           the current state
    registry/<address 20>/token/<id 32>/<v 10>  -> Endorsement     the endorsement chain, one per version

Rules kept here so no operation can forget them: an issuance or revocation, once written, is never
rewritten; every change of a token writes the next `Endorsement` and the token together.
Addresses are derived, not chosen: keccak-256("govledger/documents/<kind>" 0 chain_id 0 name)[12:],
so anyone can compute a store's address from its network and name, and two networks never share one.
"""

from __future__ import annotations

from govledger.apps.documents.errors import fail
from govledger.apps.documents.model import (
    DocumentStore,
    Endorsement,
    Issuance,
    Revocation,
    Token,
    TokenRegistry,
)
from govledger.documents.keccak import keccak256
from govledger.ledger.app import AppState, AppView, TxContext

STORE_KIND, REGISTRY_KIND = "store", "registry"


def derive_address(chain_id: str, kind: str, name: str) -> bytes:
    seed = b"govledger/documents/" + kind.encode() + b"\x00" + chain_id.encode() + b"\x00" + name.encode()
    return keccak256(seed)[12:]


def store_key(address: bytes) -> bytes:
    return b"store/" + address


def root_key(address: bytes, merkle_root: bytes) -> bytes:
    return b"store/" + address + b"/root/" + merkle_root


def revoked_key(address: bytes, h: bytes) -> bytes:
    return b"store/" + address + b"/revoked/" + h


def registry_key(address: bytes) -> bytes:
    return b"registry/" + address


def token_key(registry: bytes, token_id: bytes) -> bytes:
    return b"registry/" + registry + b"/token/" + token_id


def endorsement_key(registry: bytes, token_id: bytes, version: int) -> bytes:
    return token_key(registry, token_id) + b"/" + f"{version:010d}".encode()


# --- reads ------------------------------------------------------------------------------------------


def get_store(view: AppView, address: bytes) -> DocumentStore | None:
    return view.get_as(store_key(address), DocumentStore) if len(address) == 20 else None


def load_store(view: AppView, address: bytes) -> DocumentStore:
    s = get_store(view, address)
    if s is None:
        fail("documents.unknown_store", f"no document store 0x{address.hex()}")
    return s


def get_issuance(view: AppView, address: bytes, merkle_root: bytes) -> Issuance | None:
    return view.get_as(root_key(address, merkle_root), Issuance) if len(merkle_root) == 32 else None


def get_revocation(view: AppView, address: bytes, h: bytes) -> Revocation | None:
    return view.get_as(revoked_key(address, h), Revocation) if len(h) == 32 else None


def get_registry(view: AppView, address: bytes) -> TokenRegistry | None:
    return view.get_as(registry_key(address), TokenRegistry) if len(address) == 20 else None


def load_registry(view: AppView, address: bytes) -> TokenRegistry:
    r = get_registry(view, address)
    if r is None:
        fail("documents.unknown_registry", f"no token registry 0x{address.hex()}")
    return r


def get_token(view: AppView, registry: bytes, token_id: bytes) -> Token | None:
    if len(registry) != 20 or len(token_id) != 32:
        return None
    return view.get_as(token_key(registry, token_id), Token)


def load_token(view: AppView, registry: bytes, token_id: bytes) -> Token:
    load_registry(view, registry)
    t = get_token(view, registry, token_id)
    if t is None:
        fail("documents.unknown_token", f"registry 0x{registry.hex()} has no token {token_id.hex()}")
    return t


def get_endorsement(view: AppView, registry: bytes, token_id: bytes, version: int) -> Endorsement | None:
    return view.get_as(endorsement_key(registry, token_id, version), Endorsement)


# --- writes -----------------------------------------------------------------------------------------


def put_store(state: AppState, s: DocumentStore) -> None:
    state.put(store_key(s.address), s)


def put_issuance(state: AppState, address: bytes, i: Issuance) -> None:
    key = root_key(address, i.merkle_root)
    assert state.get(key) is None, "an issuance is never rewritten"
    state.put(key, i)


def put_revocation(state: AppState, address: bytes, r: Revocation) -> None:
    key = revoked_key(address, r.hash)
    assert state.get(key) is None, "a revocation is never rewritten"
    state.put(key, r)


def put_registry(state: AppState, r: TokenRegistry) -> None:
    state.put(registry_key(r.address), r)


def write_token(state: AppState, t: Token, action: str, ctx: TxContext) -> Token:
    """Store `t` as the next version of its token, with the endorsement entry saying what happened."""
    entry = Endorsement(
        version=t.version,
        action=action,
        beneficiary=t.beneficiary,
        holder=t.holder,
        nominee=t.nominee,
        signer_ids=sorted(ctx.signer_ids),
        height=ctx.height,
        time_ms=ctx.time_ms,
        tx_id=ctx.tx_id,
    )
    key = endorsement_key(t.registry, t.token_id, t.version)
    assert state.get(key) is None, "an endorsement entry is never rewritten"
    state.put(key, entry)
    state.put(token_key(t.registry, t.token_id), t)
    return t
