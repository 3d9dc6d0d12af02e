"""The identity app's key space, and the only module that reads or writes it.

Key space (app-relative; `<h:x>` is the lower-case hex SHA-256 of x, so DIDs and credential types,
which contain ':' and '/', make fixed-length keys):

    did/<id>                              -> DidRecord       current version of a ledger DID
    didv/<id>/<v, 6 digits>               -> DidRecord       every version, never rewritten
    trust/<h:did>/<h:type>                -> Accreditation   current accreditation
    trustv/<h:did>/<h:type>/<v, 6 digits> -> Accreditation   every version, never rewritten
    slist/<id>                            -> StatusList
    sval/<id>/<chunk, 5 digits>           -> bytes           status values, IETF layout, 1 KiB chunks
    salloc/<id>/<chunk, 5 digits>         -> bytes           allocation bitmap, 1 bit per index
    sbind/<id>/<hex subject ref>          -> SubjectIndices  entries bound to a registry record

Chunks that were never written read as zeros: a new list of 131,072 entries costs one record, and
a status change writes one 1 KiB chunk. Every version of a DID or an accreditation is kept, so the
history is one prefix scan, and each version is provable on its own key.
"""

from __future__ import annotations

import hashlib

from govledger.apps.identity.model import Accreditation, DidRecord, StatusList, SubjectIndices
from govledger.ledger.app import AppState, AppView

CHUNK_BYTES = 1024
ALLOC_ENTRIES_PER_CHUNK = CHUNK_BYTES * 8


def _h(text: str) -> bytes:
    return hashlib.sha256(text.encode()).hexdigest().encode()


def did_key(did_id: str) -> bytes:
    return b"did/" + did_id.encode()


def did_version_prefix(did_id: str) -> bytes:
    return b"didv/" + did_id.encode() + b"/"


def did_version_key(did_id: str, version: int) -> bytes:
    return did_version_prefix(did_id) + b"%06d" % version


def trust_key(issuer_did: str, credential_type: str) -> bytes:
    return b"trust/" + _h(issuer_did) + b"/" + _h(credential_type)


def trust_prefix(issuer_did: str) -> bytes:
    return b"trust/" + _h(issuer_did) + b"/"


def trust_version_prefix(issuer_did: str, credential_type: str) -> bytes:
    return b"trustv/" + _h(issuer_did) + b"/" + _h(credential_type) + b"/"


def trust_version_key(issuer_did: str, credential_type: str, version: int) -> bytes:
    return trust_version_prefix(issuer_did, credential_type) + b"%06d" % version


def list_key(list_id: str) -> bytes:
    return b"slist/" + list_id.encode()


def value_chunk_key(list_id: str, chunk: int) -> bytes:
    return b"sval/" + list_id.encode() + b"/" + b"%05d" % chunk


def alloc_chunk_key(list_id: str, chunk: int) -> bytes:
    return b"salloc/" + list_id.encode() + b"/" + b"%05d" % chunk


def bind_key(list_id: str, subject_ref: bytes) -> bytes:
    return b"sbind/" + list_id.encode() + b"/" + subject_ref.hex().encode()


# --- reads --------------------------------------------------------------------------------------------


def get_did(view: AppView, did_id: str) -> DidRecord | None:
    return view.get_as(did_key(did_id), DidRecord)


def get_did_version(view: AppView, did_id: str, version: int) -> DidRecord | None:
    return view.get_as(did_version_key(did_id, version), DidRecord)


def get_accreditation(view: AppView, issuer_did: str, credential_type: str) -> Accreditation | None:
    return view.get_as(trust_key(issuer_did, credential_type), Accreditation)


def get_list(view: AppView, list_id: str) -> StatusList | None:
    return view.get_as(list_key(list_id), StatusList)


def value_chunk(view: AppView, list_id: str, chunk: int) -> bytes:
    raw = view.get(value_chunk_key(list_id, chunk))
    return raw if raw is not None else bytes(CHUNK_BYTES)


def alloc_chunk(view: AppView, list_id: str, chunk: int) -> bytes:
    raw = view.get(alloc_chunk_key(list_id, chunk))
    return raw if raw is not None else bytes(CHUNK_BYTES)


def is_allocated(view: AppView, list_id: str, index: int) -> bool:
    chunk = alloc_chunk(view, list_id, index // ALLOC_ENTRIES_PER_CHUNK)
    bit = index % ALLOC_ENTRIES_PER_CHUNK
    return bool(chunk[bit // 8] >> (bit % 8) & 1)


def status_value(view: AppView, lst: StatusList, index: int) -> int:
    pos = index * lst.bits
    chunk = value_chunk(view, lst.list_id, pos // 8 // CHUNK_BYTES)
    return (chunk[(pos // 8) % CHUNK_BYTES] >> (pos % 8)) & ((1 << lst.bits) - 1)


def list_values(view: AppView, lst: StatusList) -> bytes:
    """The whole packed list, chunk by chunk (each chunk key is read, so each is proved)."""
    total = lst.size * lst.bits // 8
    chunks = (total + CHUNK_BYTES - 1) // CHUNK_BYTES
    return b"".join(value_chunk(view, lst.list_id, c) for c in range(chunks))[:total]


def get_binding(view: AppView, list_id: str, subject_ref: bytes) -> SubjectIndices | None:
    return view.get_as(bind_key(list_id, subject_ref), SubjectIndices)


# --- writes -------------------------------------------------------------------------------------------


def put_did(state: AppState, rec: DidRecord) -> None:
    assert state.get(did_version_key(rec.did_id, rec.version)) is None, "a DID version is written once"
    state.put(did_version_key(rec.did_id, rec.version), rec)
    state.put(did_key(rec.did_id), rec)


def put_accreditation(state: AppState, a: Accreditation) -> None:
    vkey = trust_version_key(a.issuer_did, a.credential_type, a.version)
    assert state.get(vkey) is None, "an accreditation version is written once"
    state.put(vkey, a)
    state.put(trust_key(a.issuer_did, a.credential_type), a)


def put_list(state: AppState, lst: StatusList) -> None:
    state.put(list_key(lst.list_id), lst)


def set_status(state: AppState, lst: StatusList, index: int, value: int) -> None:
    pos = index * lst.bits
    chunk_no = pos // 8 // CHUNK_BYTES
    chunk = bytearray(value_chunk(state, lst.list_id, chunk_no))
    mask = ((1 << lst.bits) - 1) << (pos % 8)
    at = (pos // 8) % CHUNK_BYTES
    chunk[at] = (chunk[at] & ~mask & 0xFF) | (value << (pos % 8))
    state.put(value_chunk_key(lst.list_id, chunk_no), bytes(chunk))


def mark_allocated(state: AppState, list_id: str, index: int) -> None:
    chunk_no = index // ALLOC_ENTRIES_PER_CHUNK
    chunk = bytearray(alloc_chunk(state, list_id, chunk_no))
    bit = index % ALLOC_ENTRIES_PER_CHUNK
    chunk[bit // 8] |= 1 << (bit % 8)
    state.put(alloc_chunk_key(list_id, chunk_no), bytes(chunk))


def put_binding(state: AppState, b: SubjectIndices) -> None:
    state.put(bind_key(b.list_id, b.subject_ref), b)
