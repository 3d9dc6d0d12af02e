"""SD-JWT (RFC 9901): issue with selectively disclosable claims, present, verify with key binding.

Theory of operation
-------------------
Issuance (§4): the issuer replaces each disclosable claim by the digest of a Disclosure, the
base64url of the JSON array `[salt, name, value]` (object members) or `[salt, value]` (array
elements). Object digests go into that object's `_sd` array (sorted, so their order says nothing,
plus optional decoy digests that hide how many claims there are); array elements become
`{"...": digest}`. Disclosures nest: a disclosed value may itself contain digests. Which claims are
disclosable is a list of paths (`("address", "street_address")`, `("nationalities", 1)`); an
ancestor of a disclosable path is processed first, so nesting falls out of one bottom-up walk.

Presentation (§4.1): the holder sends `<issuer JWT>~<chosen disclosures>~<KB-JWT>`. Choosing a path
sends the disclosures of every disclosable node on the way to it and of its whole subtree (asking
for `address` reveals the address, with its nested members). The KB-JWT (`typ: kb+jwt`) signs
`nonce`, `aud`, `iat` and `sd_hash`, the digest of everything before it, with the key in `cnf.jwk`.

Verification (§7) runs in this order, and each step has a stable code:
  size bound -> split -> issuer JWT header allow list (no `none`) -> issuer key (a callback: the
  SD-JWT VC layer resolves DIDs) -> signature -> `_sd_alg` -> disclosures decode -> every digest at
  most once, every disclosure referenced exactly once, no claim name collisions, no reserved names
  -> exp/nbf/iat against `now_s` with clock skew -> KB-JWT (typ, signature by cnf.jwk, nonce,
  audience, freshness of iat, sd_hash).

What the reference implementation (PyPI `sd-jwt` 0.10.4) lacks and this module adds: time checks,
KB-JWT freshness, sha-384/sha-512, rejection of unreferenced disclosures, bounded input, stable
codes. JWS JSON serialisation (§8) is read (flattened, or general with one signature) with the
disclosures and KB-JWT in the unprotected header (or at the top level, as the reference writes it).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from govledger.identity.encoding import (
    MAX_JSON_DEPTH,
    MAX_TOKEN_BYTES,
    b64url_decode,
    b64url_encode,
    json_dumps,
    json_loads,
    json_object,
)
from govledger.identity.errors import CheckFailed, Outcome, fail, failed
from govledger.identity.jose import (
    Jws,
    JwsSigner,
    PublicKeyT,
    decode_jws,
    encode_jws,
    public_key_from_jwk,
    verify_jws,
)

SD = "_sd"
SD_ALG = "_sd_alg"
ELLIPSIS = "..."
KB_TYP = "kb+jwt"
HASHES: dict[str, Callable[[bytes], Any]] = {
    "sha-256": hashlib.sha256,
    "sha-384": hashlib.sha384,
    "sha-512": hashlib.sha512,
}
MAX_DISCLOSURES = 1024
SALT_BYTES = 16  # 128 bits, as RFC 9901 §9.3 recommends

Path = tuple[str | int, ...]
ClaimPath = Sequence[str | int | None]  # None: every element of an array (DCQL's null)
RandomBytes = Callable[[int], bytes]


def digest_of(encoded: str, hash_alg: str = "sha-256") -> str:
    return b64url_encode(HASHES[hash_alg](encoded.encode("ascii")).digest())


@dataclass(frozen=True)
class Disclosure:
    encoded: str
    salt: str
    name: str | None
    value: Any

    @classmethod
    def make(cls, salt: str, name: str | None, value: Any) -> Disclosure:
        array = [salt, value] if name is None else [salt, name, value]
        return cls(b64url_encode(json_dumps(array).encode()), salt, name, value)

    @classmethod
    def parse(cls, encoded: str) -> Disclosure:
        raw = b64url_decode(encoded, what="disclosure")
        arr = json_loads(raw, what="disclosure")
        if not isinstance(arr, list) or len(arr) not in (2, 3) or not isinstance(arr[0], str):
            fail("sdjwt.bad_disclosure", "a disclosure is [salt, name, value] or [salt, value]")
        if len(arr) == 2:
            return cls(encoded, arr[0], None, arr[1])
        if not isinstance(arr[1], str):
            fail("sdjwt.bad_disclosure", "a disclosure's claim name is not a string")
        if arr[1] in (SD, ELLIPSIS):
            fail("sdjwt.duplicate_claim", f"a disclosure may not name the reserved claim {arr[1]!r}")
        return cls(encoded, arr[0], arr[1], arr[2])


# --- issuance -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedSdJwt:
    jwt: str
    disclosures: tuple[Disclosure, ...]

    def serialize(self) -> str:
        """`<JWT>~<D1>~...~<Dn>~` (an SD-JWT without key binding)."""
        return "~".join([self.jwt, *(d.encoded for d in self.disclosures)]) + "~"


class _Builder:
    def __init__(self, sd_paths: set[Path], hash_alg: str, decoys_max: int, rng: RandomBytes) -> None:
        self.sd_paths = sd_paths
        self.hash_alg = hash_alg
        self.decoys_max = decoys_max
        self.rng = rng
        self.disclosures: list[Disclosure] = []
        self.used: set[Path] = set()

    def salt(self) -> str:
        return b64url_encode(self.rng(SALT_BYTES))

    def disclose(self, name: str | None, value: Any) -> str:
        d = Disclosure.make(self.salt(), name, value)
        self.disclosures.append(d)
        return digest_of(d.encoded, self.hash_alg)

    def walk(self, value: Any, path: Path) -> Any:
        if len(path) > MAX_JSON_DEPTH:
            fail("sdjwt.too_deep", "claims nest too deeply")
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            digests = []
            for name, sub in value.items():
                if name in (SD, ELLIPSIS, SD_ALG):
                    fail("sdjwt.duplicate_claim", f"claims may not contain the reserved name {name!r}")
                here = (*path, name)
                processed = self.walk(sub, here)
                if here in self.sd_paths:
                    self.used.add(here)
                    digests.append(self.disclose(name, processed))
                else:
                    out[name] = processed
            if digests and self.decoys_max:
                # a random count, so the number of digests does not tell how many claims there are
                for _ in range(self.rng(1)[0] % (self.decoys_max + 1)):
                    digests.append(digest_of(self.salt(), self.hash_alg))
            if digests:
                out[SD] = sorted(digests)
            return out
        if isinstance(value, list):
            items = []
            for i, sub in enumerate(value):
                here = (*path, i)
                processed = self.walk(sub, here)
                if here in self.sd_paths:
                    self.used.add(here)
                    items.append({ELLIPSIS: self.disclose(None, processed)})
                else:
                    items.append(processed)
            return items
        return value


def issue(
    claims: dict[str, Any],
    sd_paths: Iterable[Path],
    signer: JwsSigner,
    *,
    typ: str = "dc+sd-jwt",
    header: dict[str, Any] | None = None,
    hash_alg: str = "sha-256",
    decoys_max: int = 0,
    rng: RandomBytes = secrets.token_bytes,
) -> IssuedSdJwt:
    """Sign `claims` with the claims at `sd_paths` made selectively disclosable.

    Raises CheckFailed (an issuer's programming error, not holder input) when a path names nothing.
    """
    if hash_alg not in HASHES:
        fail("sdjwt.unsupported_hash", f"unsupported _sd_alg {hash_alg!r}")
    paths = {tuple(p) for p in sd_paths}
    b = _Builder(paths, hash_alg, decoys_max, rng)
    payload = b.walk(claims, ())
    missing = paths - b.used
    if missing:
        fail("input.wrong_type", f"disclosable paths name no claim: {sorted(map(str, missing))[:5]}")
    payload[SD_ALG] = hash_alg
    jwt = encode_jws({"typ": typ, **(header or {})}, payload, signer)
    # Disclosures in walk order: parents after children; order in the serialisation carries no meaning.
    return IssuedSdJwt(jwt, tuple(b.disclosures))


# --- parsing and unpacking ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SdJwtParts:
    """A split SD-JWT (compact form): nothing verified yet."""

    jwt: str
    disclosures: tuple[str, ...]
    kb_jwt: str

    def sd_hash_input(self) -> str:
        return "~".join([self.jwt, *self.disclosures]) + "~"


def split(text: Any, *, max_bytes: int = MAX_TOKEN_BYTES) -> SdJwtParts:
    """Compact `<JWT>~<D>~...~[KB-JWT]` or JWS JSON serialisation (§8) into its parts."""
    if not isinstance(text, str):
        fail("sdjwt.malformed", "an SD-JWT is a string")
    if len(text) > max_bytes:
        fail("input.too_large", f"the SD-JWT is larger than {max_bytes} bytes")
    if text.lstrip().startswith("{"):
        return _split_json(text, max_bytes)
    parts = text.split("~")
    if len(parts) < 2:
        fail("sdjwt.malformed", "an SD-JWT has at least one '~'")
    if len(parts) - 2 > MAX_DISCLOSURES:
        fail("input.too_large", f"more than {MAX_DISCLOSURES} disclosures")
    if any(not d for d in parts[1:-1]):
        fail("sdjwt.malformed", "an empty disclosure (two '~' in a row)")
    return SdJwtParts(parts[0], tuple(parts[1:-1]), parts[-1])


def _split_json(text: str, max_bytes: int) -> SdJwtParts:
    obj = json_object(text, what="SD-JWT JSON serialisation", max_bytes=max_bytes)
    if "signatures" in obj:  # general serialisation: the first signature carries the SD-JWT (§8.1)
        sigs = obj["signatures"]
        if not isinstance(sigs, list) or not sigs or not isinstance(sigs[0], dict):
            fail("sdjwt.malformed", "signatures must be a non-empty array of objects")
        sig = sigs[0]
    else:
        sig = obj
    protected, payload, signature = sig.get("protected"), obj.get("payload"), sig.get("signature")
    if not all(isinstance(x, str) for x in (protected, payload, signature)):
        fail("sdjwt.malformed", "protected, payload and signature must be strings")
    unprotected = sig.get("header", {})
    if not isinstance(unprotected, dict):
        fail("sdjwt.malformed", "the unprotected header is not an object")
    disclosures = unprotected.get("disclosures", obj.get("disclosures", []))
    kb = unprotected.get("kb_jwt", obj.get("kb_jwt", ""))
    if not isinstance(disclosures, list) or not all(isinstance(d, str) and d for d in disclosures):
        fail("sdjwt.malformed", "disclosures must be an array of strings")
    if len(disclosures) > MAX_DISCLOSURES:
        fail("input.too_large", f"more than {MAX_DISCLOSURES} disclosures")
    if not isinstance(kb, str):
        fail("sdjwt.malformed", "kb_jwt must be a string")
    return SdJwtParts(f"{protected}.{payload}.{signature}", tuple(disclosures), kb)


@dataclass
class Unpacked:
    """The processed payload and, for each disclosure used, the path of the claim it disclosed."""

    claims: dict[str, Any]
    paths: list[tuple[Path, Disclosure]] = field(default_factory=list)


class _Unpacker:
    def __init__(self, disclosures: Iterable[str], hash_alg: str) -> None:
        self.by_digest: dict[str, Disclosure] = {}
        for encoded in disclosures:
            d = Disclosure.parse(encoded)
            digest = digest_of(encoded, hash_alg)
            if digest in self.by_digest:
                fail("sdjwt.duplicate_digest", "the same disclosure is presented twice")
            self.by_digest[digest] = d
        self.seen: set[str] = set()
        self.paths: list[tuple[Path, Disclosure]] = []

    def _take(self, digest: Any) -> Disclosure | None:
        if not isinstance(digest, str):
            fail("sdjwt.malformed", "a digest is not a string")
        if digest in self.seen:
            fail("sdjwt.duplicate_digest", "a digest appears more than once in the SD-JWT")
        self.seen.add(digest)
        return self.by_digest.get(digest)  # None: undisclosed, or a decoy

    def walk(self, value: Any, path: Path) -> Any:
        if len(path) > MAX_JSON_DEPTH:
            fail("sdjwt.too_deep", "the SD-JWT nests too deeply")
        if isinstance(value, dict):
            return self._object(value, path)
        if isinstance(value, list):
            return self._array(value, path)
        return value

    def _object(self, value: dict[str, Any], path: Path) -> dict[str, Any]:
        out = {
            k: self.walk(v, (*path, k))
            for k, v in value.items()
            if k != SD and not (k == SD_ALG and not path)
        }
        digests = value.get(SD, [])
        if not isinstance(digests, list):
            fail("sdjwt.malformed", "_sd is not an array")
        for digest in digests:
            d = self._take(digest)
            if d is None:
                continue
            if d.name is None:
                fail("sdjwt.bad_disclosure", "an array-element disclosure is referenced from _sd")
            if d.name in out:
                fail("sdjwt.duplicate_claim", f"claim {d.name!r} is both disclosed and in the clear")
            here = (*path, d.name)
            self.paths.append((here, d))
            out[d.name] = self.walk(d.value, here)
        return out

    def _array(self, value: list[Any], path: Path) -> list[Any]:
        out: list[Any] = []
        for item in value:
            if isinstance(item, dict) and ELLIPSIS in item:
                if len(item) != 1:
                    fail("sdjwt.malformed", "an array digest object has members besides '...'")
                d = self._take(item[ELLIPSIS])
                if d is None:
                    continue  # undisclosed elements are removed
                if d.name is not None:
                    fail("sdjwt.bad_disclosure", "an object-member disclosure is referenced from an array")
                here = (*path, len(out))
                self.paths.append((here, d))
                out.append(self.walk(d.value, here))
            else:
                out.append(self.walk(item, (*path, len(out))))
        return out


def hash_alg_of(payload: dict[str, Any]) -> str:
    alg = payload.get(SD_ALG, "sha-256")
    if not isinstance(alg, str) or alg not in HASHES:
        fail("sdjwt.unsupported_hash", f"unsupported _sd_alg {alg!r}")
    return alg


def unpack(payload: dict[str, Any], disclosures: Iterable[str]) -> Unpacked:
    """Replace digests by disclosed claims; every disclosure must be referenced exactly once."""
    u = _Unpacker(disclosures, hash_alg_of(payload))
    claims = u.walk(payload, ())
    if len(u.paths) != len(u.by_digest):
        fail("sdjwt.unreferenced_disclosure", "a disclosure is not referenced by the SD-JWT")
    return Unpacked(claims, u.paths)


# --- presentation -------------------------------------------------------------------------------------


def _matches(claim: Path, wanted: ClaimPath) -> bool:
    """True when the disclosure at `claim` is needed to reveal `wanted` (an ancestor, itself or inside it)."""
    for a, b in zip(claim, wanted, strict=False):
        if b is None:
            if not isinstance(a, int):
                return False
        elif a != b:
            return False
    return True


def select(sd_jwt: str, wanted: Iterable[ClaimPath] | None) -> SdJwtParts:
    """The parts of an issued SD-JWT with only the disclosures `wanted` needs (None: all)."""
    parts = split(sd_jwt)
    if wanted is None:
        return SdJwtParts(parts.jwt, parts.disclosures, "")
    jws = decode_jws(parts.jwt, what="SD-JWT")
    unpacked = unpack(jws.payload_json(), parts.disclosures)
    wanted = [list(w) for w in wanted]
    chosen = {d.encoded for p, d in unpacked.paths if any(_matches(p, w) for w in wanted)}
    return SdJwtParts(parts.jwt, tuple(d for d in parts.disclosures if d in chosen), "")


def present(
    sd_jwt: str,
    wanted: Iterable[ClaimPath] | None,
    *,
    holder: JwsSigner | None = None,
    nonce: str = "",
    aud: str = "",
    iat: int = 0,
) -> str:
    """A presentation: the chosen disclosures, and a KB-JWT when `holder` is given."""
    parts = select(sd_jwt, wanted)
    base = parts.sd_hash_input()
    if holder is None:
        return base
    alg = hash_alg_of(decode_jws(parts.jwt, what="SD-JWT").payload_json())
    kb_payload = {"iat": iat, "aud": aud, "nonce": nonce, "sd_hash": digest_of(base, alg)}
    return base + encode_jws({"typ": KB_TYP}, kb_payload, _without_kid(holder))


def _without_kid(holder: JwsSigner) -> JwsSigner:
    # The KB-JWT's key is cnf.jwk; a kid would only add a correlation handle.
    return holder.with_kid("") if holder.kid else holder


# --- verification -------------------------------------------------------------------------------------


IssuerKey = Callable[[dict[str, Any], dict[str, Any]], PublicKeyT]  # (header, payload) -> key


@dataclass(frozen=True)
class Policy:
    """What the verifier expects. Times are seconds since the epoch; `now_s` comes from the caller."""

    now_s: int
    skew_s: int = 60
    require_kb: bool = True
    nonce: str = ""
    aud: str = ""
    kb_max_age_s: int = 300
    typ: tuple[str, ...] = ()  # accepted issuer-JWT `typ` values; empty: any


def _number(payload: dict[str, Any], name: str) -> float | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        fail("time.bad_claim", f"{name} is not a NumericDate")
    return float(value)


def check_times(payload: dict[str, Any], now_s: int, skew_s: int) -> None:
    exp, nbf, iat = _number(payload, "exp"), _number(payload, "nbf"), _number(payload, "iat")
    if exp is not None and now_s > exp + skew_s:
        fail("time.expired", f"expired at {exp:.0f}, now {now_s}")
    if nbf is not None and now_s + skew_s < nbf:
        fail("time.not_yet_valid", f"not valid before {nbf:.0f}, now {now_s}")
    if iat is not None and iat > now_s + skew_s:
        fail("time.issued_in_future", f"issued at {iat:.0f}, now {now_s}")


@dataclass(frozen=True)
class VerifiedSdJwt:
    header: dict[str, Any]
    payload: dict[str, Any]  # as signed, with digests
    claims: dict[str, Any]  # disclosed view (no _sd, _sd_alg)
    disclosed: tuple[Path, ...]
    kb: dict[str, Any] | None
    holder_jwk: dict[str, Any] | None


def verify_raw(presentation: Any, issuer_key: IssuerKey, policy: Policy) -> VerifiedSdJwt:
    """Verify an SD-JWT (+KB); raises CheckFailed. Prefer `verify`, which returns an Outcome."""
    parts = split(presentation)
    jws = decode_jws(parts.jwt, what="issuer-signed JWT")
    if policy.typ and jws.header.get("typ") not in policy.typ:
        fail("jose.bad_typ", f"typ {jws.header.get('typ')!r} is not one of {', '.join(policy.typ)}")
    payload = jws.payload_json()
    verify_jws(jws, issuer_key(jws.header, payload), what="issuer-signed JWT")
    unpacked = unpack(payload, parts.disclosures)
    check_times(payload, policy.now_s, policy.skew_s)
    cnf = payload.get("cnf")
    holder_jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    kb = None
    if parts.kb_jwt:
        if holder_jwk is None:
            fail("sdjwt.kb_unexpected", "a KB-JWT is present but the SD-JWT has no cnf.jwk")
        kb = _verify_kb(parts, holder_jwk, hash_alg_of(payload), policy)
    elif policy.require_kb:
        fail("sdjwt.kb_required", "the presentation has no key binding JWT")
    return VerifiedSdJwt(
        jws.header,
        payload,
        unpacked.claims,
        tuple(p for p, _ in unpacked.paths),
        kb,
        holder_jwk if isinstance(holder_jwk, dict) else None,
    )


def _verify_kb(parts: SdJwtParts, holder_jwk: Any, hash_alg: str, policy: Policy) -> dict[str, Any]:
    try:
        holder_key = public_key_from_jwk(holder_jwk)
    except CheckFailed as exc:
        fail("sdjwt.no_holder_key", f"cnf.jwk is unusable: {exc.message}")
    kb: Jws = decode_jws(parts.kb_jwt, what="KB-JWT")
    if kb.header.get("typ") != KB_TYP:
        fail("sdjwt.kb_bad_typ", f"KB-JWT typ is {kb.header.get('typ')!r}")
    verify_jws(kb, holder_key, what="KB-JWT")
    body = kb.payload_json("KB-JWT payload")
    if body.get("nonce") != policy.nonce or not policy.nonce:
        fail("sdjwt.kb_nonce", "the KB-JWT nonce is not the verifier's")
    aud = body.get("aud")
    if not policy.aud or (aud != policy.aud and not (isinstance(aud, list) and aud == [policy.aud])):
        fail("sdjwt.kb_audience", f"the KB-JWT audience {str(aud)[:100]!r} is not {policy.aud!r}")
    iat = _number(body, "iat")
    if iat is None:
        fail("time.bad_claim", "the KB-JWT has no iat")
    if iat > policy.now_s + policy.skew_s:
        fail("time.issued_in_future", "the KB-JWT is issued in the future")
    if iat < policy.now_s - policy.kb_max_age_s - policy.skew_s:
        fail("sdjwt.kb_stale", f"the KB-JWT is {policy.now_s - iat:.0f} s old")
    if body.get("sd_hash") != digest_of(parts.sd_hash_input(), hash_alg):
        fail("sdjwt.kb_sd_hash", "sd_hash does not match the presentation")
    return body


def verify(presentation: Any, issuer_key: IssuerKey, policy: Policy) -> Outcome:
    """Verify an SD-JWT presentation; never raises for bad input."""
    try:
        v = verify_raw(presentation, issuer_key, policy)
    except CheckFailed as exc:
        return failed(exc)
    return Outcome(
        "ok",
        claims=v.claims,
        issuer=str(v.payload.get("iss", "")),
        details={"header": v.header, "kb": v.kb, "disclosed": [list(p) for p in v.disclosed]},
    )
