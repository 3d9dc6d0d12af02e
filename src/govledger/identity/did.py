"""Decentralized identifiers: did:key, did:jwk, did:web and the ledger method did:govledger.

Theory of operation
-------------------
A verifier meets a DID in a credential (`iss`, `issuer`, a `kid` or `verificationMethod` DID URL)
and needs one public key from it, for one purpose (`assertionMethod` for an issuer signature,
`authentication` for a holder). `DidResolver.key_for(did_url, purpose)` does exactly that:

1. parse the DID URL (W3C DID Core §3.2 syntax; a bare DID is allowed only when its document has
   a single verification method for the purpose);
2. resolve the DID through the method registered for it:
   - `did:key` (Ed25519 multicodec 0xed01, P-256 0x1200; base58btc `z`) and `did:jwk`
     (base64url JSON of a public JWK) are computed from the identifier itself;
   - `did:web` is looked up through an injected fetcher or a static table (no network here): the
     product decides how documents arrive, the resolver only checks them (`id` must equal the DID);
   - `did:govledger:<chain>:<id>` documents are ledger state: `govledger.apps.identity` supplies a
     lookup over a (proved) state view, with key rotations and deactivation as transactions;
3. find the verification method by id in the document, check the purpose relationship lists it,
   and turn it into a public key (JsonWebKey `publicKeyJwk` or Multikey `publicKeyMultibase`).

Every failure is a `CheckFailed` with a `did.*` code (`did.not_found`, `did.deactivated`, ...);
`resolve` wraps it into a `Resolution` for callers that want a value.

The cache is bounded (entries and age, TTL from an injected monotonic clock) and holds only methods
whose resolution costs something (`did:web` by default). Ledger DIDs are never cached: the state
view is authoritative and a rotation must take effect at the next read.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from govledger.identity.encoding import (
    b64url_decode,
    b64url_encode,
    base58btc,
    json_dumps,
    json_object,
    multibase_decode,
)
from govledger.identity.errors import CheckFailed, fail
from govledger.identity.jose import PublicKeyT, jwk_of, public_key_from_jwk

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
JWS_CONTEXT = "https://w3id.org/security/suites/jws-2020/v1"

MAX_DID_CHARS = 2048
MAX_VERIFICATION_METHODS = 64

_ED25519_PREFIX = b"\xed\x01"  # multicodec ed25519-pub, varint
_P256_PREFIX = b"\x80\x24"  # multicodec p256-pub (0x1200), varint

_DID = re.compile(
    r"^did:([a-z0-9]+):((?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2}|:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2}))$"
)

PURPOSES = (
    "authentication",
    "assertionMethod",
    "keyAgreement",
    "capabilityInvocation",
    "capabilityDelegation",
)


@dataclass(frozen=True)
class DidUrl:
    did: str
    method: str
    method_id: str
    path: str = ""
    query: str = ""
    fragment: str = ""

    def __str__(self) -> str:
        out = self.did + self.path
        if self.query:
            out += "?" + self.query
        return out + ("#" + self.fragment if self.fragment else "")


def parse_did_url(text: Any) -> DidUrl:
    if not isinstance(text, str) or len(text) > MAX_DID_CHARS:
        fail("did.malformed", "a DID URL is a string of at most 2048 characters")
    rest, _, fragment = text.partition("#")
    rest, _, query = rest.partition("?")
    did, slash, path = rest.partition("/")
    m = _DID.match(did)
    if m is None:
        fail("did.malformed", f"{did[:80]!r} is not a DID")
    return DidUrl(did, m.group(1), m.group(2), slash + path, query, fragment)


def is_did(text: Any) -> bool:
    try:
        u = parse_did_url(text)
    except CheckFailed:
        return False
    return str(u) == u.did


# --- documents ----------------------------------------------------------------------------------------


def verification_method_key(vm: Any) -> PublicKeyT:
    """The public key in a verification method (JsonWebKey / Multikey and their 2020 ancestors)."""
    if not isinstance(vm, dict):
        fail("did.bad_document", "a verification method is not an object")
    if "publicKeyJwk" in vm:
        return public_key_from_jwk(vm["publicKeyJwk"])
    if "publicKeyMultibase" in vm:
        return multikey_decode(vm["publicKeyMultibase"])
    fail("did.bad_document", "a verification method has neither publicKeyJwk nor publicKeyMultibase")


def multikey_encode(key: PublicKeyT) -> str:
    """Multikey `publicKeyMultibase` (and the did:key identifier): z + base58(multicodec || key)."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        return base58btc(_ED25519_PREFIX + key.public_bytes(Encoding.Raw, PublicFormat.Raw))
    if key.curve.name == "secp256r1":
        return base58btc(_P256_PREFIX + key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint))
    fail("jose.bad_key", f"no multikey encoding for {key.curve.name}")


def multikey_decode(text: Any) -> PublicKeyT:
    raw = multibase_decode(text, what="publicKeyMultibase")
    try:
        if raw[:2] == _ED25519_PREFIX and len(raw) == 34:
            return ed25519.Ed25519PublicKey.from_public_bytes(raw[2:])
        if raw[:2] == _P256_PREFIX and len(raw) == 35:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:])
    except ValueError:
        fail("jose.bad_key", "the multikey is not a valid point")
    fail("jose.bad_key", "unsupported multikey (only Ed25519 0xed01 and P-256 0x1200)")


def _absolute(ref: str, did: str) -> str:
    return did + ref if ref.startswith("#") else ref


@dataclass(frozen=True)
class DidDocument:
    """A resolved DID document (JSON) with the lookups verifiers need."""

    did: str
    document: Mapping[str, Any]
    deactivated: bool = False
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def methods(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        vms = self.document.get("verificationMethod", [])
        if not isinstance(vms, list) or len(vms) > MAX_VERIFICATION_METHODS:
            fail("did.bad_document", "verificationMethod must be a list of at most 64 entries")
        embedded = [v for p in PURPOSES for v in self._relationship(p) if isinstance(v, dict)]
        for vm in [*vms, *embedded]:
            if not isinstance(vm, dict) or not isinstance(vm.get("id"), str):
                fail("did.bad_document", "a verification method has no id")
            out[_absolute(vm["id"], self.did)] = vm
        return out

    def _relationship(self, purpose: str) -> list[Any]:
        rel = self.document.get(purpose, [])
        if not isinstance(rel, list):
            fail("did.bad_document", f"{purpose} must be a list")
        return rel

    def method_ids(self, purpose: str) -> list[str]:
        ids = []
        for entry in self._relationship(purpose):
            ref = entry.get("id") if isinstance(entry, dict) else entry
            if not isinstance(ref, str):
                fail("did.bad_document", f"an entry of {purpose} has no id")
            ids.append(_absolute(ref, self.did))
        return ids

    def key_for(self, vm_id: str, purpose: str) -> PublicKeyT:
        """The key of verification method `vm_id` (absolute, or "" when the document has one)."""
        allowed = self.method_ids(purpose)
        if not vm_id:
            if len(allowed) != 1:
                fail("did.key_not_found", f"{self.did} has {len(allowed)} {purpose} keys; name one (kid)")
            vm_id = allowed[0]
        if vm_id not in allowed:
            fail("did.key_not_found", f"{vm_id[:120]} is not an {purpose} method of {self.did}")
        vm = self.methods().get(vm_id)
        if vm is None:
            fail("did.key_not_found", f"{vm_id[:120]} is not in the DID document")
        return verification_method_key(vm)


def document_for_key(did: str, key: PublicKeyT, *, fragment: str, jwk: bool) -> dict[str, Any]:
    """A single-key document, as did:key and did:jwk define them."""
    vm_id = f"{did}#{fragment}"
    if jwk:
        vm = {"id": vm_id, "type": "JsonWebKey", "controller": did, "publicKeyJwk": jwk_of(key)}
        context = [DID_CONTEXT, JWS_CONTEXT]
    else:
        vm = {"id": vm_id, "type": "Multikey", "controller": did, "publicKeyMultibase": multikey_encode(key)}
        context = [DID_CONTEXT, MULTIKEY_CONTEXT]
    doc: dict[str, Any] = {"@context": context, "id": did, "verificationMethod": [vm]}
    for purpose in ("authentication", "assertionMethod", "capabilityInvocation", "capabilityDelegation"):
        doc[purpose] = [vm_id]
    return doc


# --- methods ------------------------------------------------------------------------------------------


class DidMethod(Protocol):
    def resolve(self, did: DidUrl) -> DidDocument:
        """The document of `did.did`, or raise CheckFailed (did.not_found, did.bad_document, ...)."""
        ...


def did_key(key: PublicKeyT) -> str:
    return "did:key:" + multikey_encode(key)


def did_key_url(key: PublicKeyT) -> str:
    """The DID URL of did:key's only verification method (`did:key:z...#z...`)."""
    mb = multikey_encode(key)
    return f"did:key:{mb}#{mb}"


class KeyMethod:
    def resolve(self, did: DidUrl) -> DidDocument:
        return _key_document(did.did, did.method_id)


@lru_cache(maxsize=1024)
def _key_document(did: str, method_id: str) -> DidDocument:
    # A pure function of the identifier: cached (bounded) so a verifier decodes a key once.
    key = multikey_decode(method_id)
    return DidDocument(did, document_for_key(did, key, fragment=method_id, jwk=False))


def did_jwk(jwk: dict[str, Any]) -> str:
    public = jwk_of(public_key_from_jwk(jwk))
    return "did:jwk:" + b64url_encode(json_dumps(public).encode())


class JwkMethod:
    def resolve(self, did: DidUrl) -> DidDocument:
        return _jwk_document(did.did, did.method_id)


@lru_cache(maxsize=1024)
def _jwk_document(did: str, method_id: str) -> DidDocument:
    jwk = json_object(b64url_decode(method_id, what="did:jwk"), what="did:jwk JWK")
    if jwk.get("use") == "enc":
        fail("did.bad_document", "a did:jwk with use=enc cannot sign")
    key = public_key_from_jwk(jwk)
    return DidDocument(did, document_for_key(did, key, fragment="0", jwk=True))


def did_web_url(did: str) -> str:
    """The HTTPS URL of a did:web document (did:web method spec §3.2)."""
    u = parse_did_url(did)
    if u.method != "web":
        fail("did.malformed", f"{did} is not a did:web")
    parts = [urllib.parse.unquote(p) for p in u.method_id.split(":")]
    host, path = parts[0], parts[1:]
    if not host or "/" in host or any(not p or "/" in p for p in path):
        fail("did.malformed", f"{did} has an invalid host or path")
    return f"https://{host}/" + ("/".join(path) + "/did.json" if path else ".well-known/did.json")


Fetcher = Callable[[str], bytes | None]


class WebMethod:
    """did:web through an injected fetcher (URL -> bytes or None); this package opens no sockets."""

    def __init__(self, fetch: Fetcher | None = None, documents: Mapping[str, Any] | None = None) -> None:
        self._fetch = fetch
        self._documents = dict(documents or {})

    def resolve(self, did: DidUrl) -> DidDocument:
        doc: Any = self._documents.get(did.did)
        if doc is None and self._fetch is not None:
            raw = self._fetch(did_web_url(did.did))
            doc = None if raw is None else json_object(raw, what="did:web document")
        if doc is None:
            fail("did.not_found", f"{did.did} is not served")
        if not isinstance(doc, dict) or doc.get("id") != did.did:
            fail("did.bad_document", f"the document served for {did.did} has another id")
        return DidDocument(did.did, doc)


LedgerLookup = Callable[[str], DidDocument | None]


class LedgerMethod:
    """did:govledger:<chain>:<id>, resolved by a lookup over ledger state (see apps/identity)."""

    def __init__(self, lookup: LedgerLookup, chain_id: str = "") -> None:
        self._lookup = lookup
        self._chain_id = chain_id

    def resolve(self, did: DidUrl) -> DidDocument:
        chain, sep, ident = did.method_id.partition(":")
        if not sep or not ident or ":" in ident:
            fail("did.malformed", f"{did.did} is not did:govledger:<chain>:<id>")
        if self._chain_id and chain != self._chain_id:
            fail("did.not_found", f"{did.did} is on chain {chain!r}, not {self._chain_id!r}")
        doc = self._lookup(did.did)
        if doc is None:
            fail("did.not_found", f"{did.did} is not registered")
        if doc.deactivated:
            fail("did.deactivated", f"{did.did} was deactivated")
        return doc


# --- the resolver -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolution:
    code: str
    message: str = ""
    document: DidDocument | None = None

    @property
    def ok(self) -> bool:
        return self.code == "ok"


class DidResolver:
    """Resolves DIDs through registered methods with a bounded, time-limited cache."""

    def __init__(
        self,
        methods: Mapping[str, DidMethod] | None = None,
        *,
        cache_entries_max: int = 1024,
        cache_ttl_s: float = 300.0,
        cached_methods: frozenset[str] = frozenset({"web"}),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.methods: dict[str, DidMethod] = {"key": KeyMethod(), "jwk": JwkMethod()}
        self.methods.update(methods or {})
        self._cache: OrderedDict[str, tuple[float, DidDocument]] = OrderedDict()
        self._cache_max = cache_entries_max
        self._ttl = cache_ttl_s
        self._cached_methods = cached_methods
        self._clock = clock

    def document(self, did_url: str) -> DidDocument:
        """The DID document, or raise CheckFailed with a did.* code."""
        u = parse_did_url(did_url)
        method = self.methods.get(u.method)
        if method is None:
            fail("did.unsupported_method", f"no resolver for did:{u.method}")
        if u.method not in self._cached_methods:
            return method.resolve(u)
        now = self._clock()
        hit = self._cache.get(u.did)
        if hit is not None and now - hit[0] < self._ttl:
            self._cache.move_to_end(u.did)
            return hit[1]
        doc = method.resolve(u)
        self._cache[u.did] = (now, doc)
        self._cache.move_to_end(u.did)
        while len(self._cache) > self._cache_max:
            self._cache.popitem(last=False)
        return doc

    def resolve(self, did_url: str) -> Resolution:
        try:
            return Resolution("ok", document=self.document(did_url))
        except CheckFailed as exc:
            return Resolution(exc.code, exc.message)

    def key_for(self, did_url: str, purpose: str = "assertionMethod") -> PublicKeyT:
        """The public key a DID URL names for `purpose` (a bare DID works when it has one such key)."""
        u = parse_did_url(did_url)
        doc = self.document(u.did)
        vm_id = f"{u.did}#{u.fragment}" if u.fragment else ""
        return doc.key_for(vm_id, purpose)

    def issuer_key(self, iss: str, kid: str, purpose: str = "assertionMethod") -> PublicKeyT:
        """The key of an issuer DID `iss` named by `kid` (absolute DID URL, `#fragment`, or empty)."""
        issuer = parse_did_url(iss)
        if str(issuer) != issuer.did:
            fail("did.malformed", "an issuer is a DID, not a DID URL")
        if not kid:
            return self.key_for(issuer.did, purpose)
        url = parse_did_url(issuer.did + kid) if kid.startswith("#") else parse_did_url(kid)
        if url.did != issuer.did:
            fail("vc.issuer_mismatch", f"kid {kid[:120]} does not belong to issuer {issuer.did[:120]}")
        return self.key_for(str(url), purpose)
