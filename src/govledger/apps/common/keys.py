"""Parties bound to keys, laid out alike in the land and company key spaces:

party/<party>   -> the app's Party record
key/<key id>    -> party id         a key is bound to at most one party
"""

from __future__ import annotations

from collections.abc import Iterable

from govledger.ledger.app import AppState, AppView, Requirement, SignedBy

KEY_ID_BYTES = 20


def party_key(party_id: str) -> bytes:
    return b"party/" + party_id.encode()


def key_binding_key(key_id: bytes) -> bytes:
    return b"key/" + key_id


def party_of_key(view: AppView, key_id: bytes) -> str | None:
    raw = view.get(key_binding_key(key_id))
    return None if raw is None else raw.decode()


def bind_keys(state: AppState, party_id: str, old: list[bytes], new: list[bytes]) -> None:
    """Unbind the keys `party_id` drops, then bind the ones it gains (each in key order)."""
    for kid in sorted(set(old) - set(new)):
        state.delete(key_binding_key(kid))
    for kid in sorted(set(new) - set(old)):
        state.put(key_binding_key(kid), party_id.encode())


def bound_elsewhere(view: AppView, party_id: str, key_ids: Iterable[bytes]) -> tuple[bytes, str] | None:
    """The first of `key_ids` bound to a party other than `party_id`, with that party; else None."""
    for kid in key_ids:
        owner = party_of_key(view, kid)
        if owner is not None and owner != party_id:
            return kid, owner
    return None


def binding_problem(key_ids: list[bytes], threshold: int, max_keys: int, holder: str) -> str | None:
    """What is wrong with binding `key_ids` to sign with `threshold` of them, or None.

    `holder` names the party in the message ("party", or its kind).
    """
    if not 1 <= len(key_ids) <= max_keys:
        return f"a {holder} binds 1..{max_keys} keys"
    if any(len(k) != KEY_ID_BYTES for k in key_ids) or len(set(key_ids)) != len(key_ids):
        return f"key ids are distinct {KEY_ID_BYTES}-byte ids"
    if not 1 <= threshold <= len(key_ids):
        return f"threshold {threshold} must be 1..{len(key_ids)}"
    return None


def possession(key_ids: list[bytes], already: list[bytes] | None = None) -> list[Requirement]:
    """Proof of possession: a signature of every key being newly bound (not in `already`)."""
    bound = already or []
    return [SignedBy(k) for k in key_ids if k not in bound]
