"""The certificate tie-in: any registry's `certificate_data` Record as an SD-JWT VC.

Registries (land, company, vital) expose `certificate_data(view, id) -> Record | None`: what a
certified copy shows, without personal data. `certificate_credential` turns such a Record,
generically over any msgspec Struct, into an SD-JWT VC whose chosen fields are selectively
disclosable (`disclosable`: field names, or paths into nested values). Its `vct` names the record
type (`urn:govledger:vct:land.TitleCertificate:1` by default); `record_type` and the ledger anchor
(`ledger: {chain_id, height}`, where the record was read) stay in the clear.

JSON mapping: bytes become lower-case hex (key ids, digests, commitments), tuples arrays, None null.
Records carry no floats. A field whose name is a registered JWT / SD-JWT VC claim (a record's
`status`, say) is renamed `record_<name>`, so it cannot be mistaken for the credential's own.

Revocation: every certificate credential gets a status list entry; `subject_ref` is the opaque
handle under which the ledger remembers which entries belong to which registry record
(`status_allocate.subject_ref`), an HMAC under the issuer's binding key, so the ledger does not
publish which record an index belongs to. When the record changes, the issuer service computes the
same handle, asks the identity app for the entries (`subject_indices` query) and revokes them
(`status_set`): that is the hook the lead wires to registry changes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from govledger.identity import sdjwt, sdjwt_vc
from govledger.identity.errors import fail
from govledger.identity.jose import JwsSigner

VCT_PREFIX = "urn:govledger:vct:"


def vct_for(record_type: str) -> str:
    return f"{VCT_PREFIX}{record_type}:1"


def record_claims(record: Any) -> dict[str, Any]:
    """The JSON form of a wire record (see the module docstring)."""
    value = _jsonable(msgspec.to_builtins(record, builtin_types=(bytes,), str_keys=True))
    if not isinstance(value, dict):
        fail("input.wrong_type", "a certificate record is a struct")
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float):
        fail("input.wrong_type", "records carry no floats")
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def certificate_credential(
    record: Any,
    *,
    record_type: str,
    signer: JwsSigner,
    iss: str,
    holder_jwk: dict[str, Any] | None,
    iat: int,
    exp: int = 0,
    disclosable: Iterable[str | sdjwt.Path] | None = None,
    status: sdjwt_vc.StatusRef | None = None,
    vct: str = "",
    ledger: Mapping[str, Any] | None = None,
    extra_claims: Mapping[str, Any] | None = None,
    rng: sdjwt.RandomBytes = secrets.token_bytes,
) -> str:
    """An SD-JWT VC of `record`; `disclosable` None makes every top-level field disclosable."""
    fields = {claim_name(k): v for k, v in record_claims(record).items()}
    claims: dict[str, Any] = {**fields, **dict(extra_claims or {})}
    if disclosable is None:
        paths: list[sdjwt.Path] = [(k,) for k in claims]
    else:
        paths = [
            (claim_name(p),) if isinstance(p, str) else (claim_name(str(p[0])), *p[1:]) for p in disclosable
        ]
    claims["record_type"] = record_type
    if ledger:
        claims["ledger"] = dict(ledger)
    return sdjwt_vc.issue(
        signer,
        iss=iss,
        vct=vct or vct_for(record_type),
        claims=claims,
        sd_paths=paths,
        holder_jwk=holder_jwk,
        iat=iat,
        exp=exp,
        status=status,
        rng=rng,
    )


_RESERVED = sdjwt_vc.NEVER_DISCLOSABLE | {"iat", "sub", "record_type", "ledger"}


def claim_name(field_name: str) -> str:
    """A record field's claim name: JWT / SD-JWT VC names (`status`, `iss`...) get a `record_` prefix."""
    return f"record_{field_name}" if field_name in _RESERVED else field_name


def subject_ref(binding_key: bytes, record_type: str, record_id: str) -> bytes:
    """The 32-byte handle binding status entries to a registry record (HMAC-SHA256)."""
    if len(binding_key) < 16:
        fail("input.wrong_type", "the binding key has at least 16 bytes")
    msg = b"govledger/identity/subject/v1\x00" + record_type.encode() + b"\x00" + record_id.encode()
    return hmac.new(binding_key, msg, hashlib.sha256).digest()
