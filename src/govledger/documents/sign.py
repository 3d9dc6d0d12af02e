"""DID-signed OpenAttestation documents and the issuer identity proofs that name their signers.

Theory of operation
-------------------
**Signing.** An issuer without a document store signs the batch's merkleRoot directly. The key is a
secp256k1 key whose DID is `did:ethr:<EIP-55 address>`; the signed message is the 32 raw bytes of the
merkleRoot under EIP-191 personal-sign (keccak-256 of `"\\x19Ethereum Signed Message:\\n32" || root`),
the signature 65 bytes `r || s || v` with v in {27, 28}, written `0x`-hex. The document gains

    "proof": [{"type": "OpenAttestationSignature2018", "created": <ISO time>, "proofPurpose":
               "assertionMethod", "verificationMethod": "did:ethr:0x...#controller", "signature": "0x..."}]

and its issuer entry names the same key (`identityProof: {type: "DID", key: "...#controller"}`,
`id: "did:ethr:0x..."`, `revocation: {type: "NONE"}` or a ledger store). Verifying recovers the
address from the signature and compares it with the `blockchainAccountId` of the DID document's
verification method (case-insensitively, as oa-verify does).

**Resolving offline.** A `did:ethr` identifier with no on-chain changes resolves to an implicit DID
document with one method `#controller` of type `EcdsaSecp256k1RecoveryMethod2020` and
`blockchainAccountId: eip155:<chain>:<address>`; `ImplicitEthrResolver` builds it without a network,
and any other `DidResolver` may be injected (a resolver that reads DID documents from the ledger's
identity app, say).

**DNS identity.** `DNS-TXT` proves that a domain's owner controls a document store or token registry:
a TXT record `openatts net=ethereum netId=<n> addr=<0x address>` at the domain. `DNS-DID` proves a
DID key: `openatts a=dns-did; p=<did key>; v=1.0;`. Lookups go through an injected `DnsResolver` so
verification works offline (`StaticDnsResolver`) or against a pinned resolver in production.

**Trust list.** `TrustList` names the issuers a verifier accepts (store addresses, registry addresses,
DIDs) with their display names: the offline equivalent of a registry of trusted issuers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import coincurve

from govledger.documents.errors import fail
from govledger.documents.keccak import keccak256

SIGNATURE_TYPE = "OpenAttestationSignature2018"
RECOVERY_METHOD = "EcdsaSecp256k1RecoveryMethod2020"
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HEX_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_DID_ETHR = re.compile(r"^did:ethr:(?:(0x[0-9a-fA-F]+|[a-z]+):)?(0x[0-9a-fA-F]{40})$")
_NETWORKS = {"mainnet": 1, "sepolia": 11155111, "goerli": 5, "polygon": 137, "matic": 137}


# --- addresses and keys -----------------------------------------------------------------------------


def checksum_address(address: bytes | str) -> str:
    """EIP-55 mixed-case form of a 20-byte address."""
    raw = address.hex() if isinstance(address, bytes) else address.lower().removeprefix("0x")
    if len(raw) != 40 or any(c not in "0123456789abcdef" for c in raw):
        raise ValueError(f"not a 20-byte address: {address!r}")
    h = keccak256(raw.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if int(h[i], 16) >= 8 else c for i, c in enumerate(raw))


def is_address(value: object) -> bool:
    return isinstance(value, str) and _HEX_ADDRESS.match(value) is not None


def address_of_public_key(public_key: coincurve.PublicKey) -> str:
    return checksum_address(keccak256(public_key.format(compressed=False)[1:])[12:])


def personal_message_hash(message: bytes) -> bytes:
    """EIP-191 version 0x45: keccak-256 of the prefixed message."""
    return keccak256(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode("ascii") + message)


class EthSigner:
    """A secp256k1 key that signs as `did:ethr:<address>#controller`. Its repr shows no secret."""

    __slots__ = ("_key", "address")

    def __init__(self, private_key: bytes) -> None:
        if not isinstance(private_key, bytes) or len(private_key) != 32:
            fail("documents.bad_key", "a secp256k1 private key is 32 bytes")
        if not 0 < int.from_bytes(private_key, "big") < _SECP256K1_N:
            fail("documents.bad_key", "the private key is out of range")
        self._key = coincurve.PrivateKey(private_key)
        self.address = address_of_public_key(self._key.public_key)

    def __repr__(self) -> str:
        return f"EthSigner({self.address})"

    @property
    def did(self) -> str:
        return "did:ethr:" + self.address

    @property
    def key_id(self) -> str:
        return self.did + "#controller"

    def personal_sign(self, message: bytes) -> str:
        """`0x`-hex r || s || v (v = 27 + recovery id), as ethers' `signMessage`."""
        sig = self._key.sign_recoverable(personal_message_hash(message), hasher=None)
        return "0x" + (sig[:64] + bytes([27 + sig[64]])).hex()


def recover_personal(message: bytes, signature: str) -> str | None:
    """The checksummed address that personal-signed `message`, or None if the signature is malformed."""
    if not isinstance(signature, str) or not re.fullmatch(r"0x[0-9a-fA-F]{130}", signature):
        return None
    raw = bytes.fromhex(signature[2:])
    v = raw[64]
    if v in (27, 28):
        v -= 27
    if v not in (0, 1):
        return None
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big")
    if not (0 < r < _SECP256K1_N and 0 < s < _SECP256K1_N):
        return None
    try:
        pub = coincurve.PublicKey.from_signature_and_message(
            raw[:64] + bytes([v]), personal_message_hash(message), hasher=None
        )
    except (ValueError, TypeError, Exception):  # coincurve raises plain Exception for unrecoverable sigs
        return None
    return address_of_public_key(pub)


def sign_document(wrapped: Mapping[str, Any], signer: EthSigner, *, created: str) -> dict[str, Any]:
    """A copy of `wrapped` with the signer's proof over its merkleRoot appended.

    `created` is an ISO 8601 time (the caller's clock; this module reads none).
    """
    signature = wrapped.get("signature")
    root = signature.get("merkleRoot") if isinstance(signature, Mapping) else None
    if not isinstance(root, str) or not re.fullmatch(r"[0-9a-f]{64}", root):
        fail("documents.not_wrapped", "the document has no 32-byte hex merkleRoot")
    proof = {
        "type": SIGNATURE_TYPE,
        "created": created,
        "proofPurpose": "assertionMethod",
        "verificationMethod": signer.key_id,
        "signature": signer.personal_sign(bytes.fromhex(root)),
    }
    previous = wrapped.get("proof")
    return {**wrapped, "proof": [*(previous if isinstance(previous, list) else []), proof]}


def did_issuer(
    signer: EthSigner, name: str, *, revocation: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The raw-document issuer entry of a DID signer (revocation NONE unless a store is given)."""
    return {
        "id": signer.did,
        "name": name,
        "revocation": dict(revocation) if revocation else {"type": "NONE"},
        "identityProof": {"type": "DID", "key": signer.key_id},
    }


# --- DID resolution ---------------------------------------------------------------------------------


class DidResolver(Protocol):
    def resolve(self, did: str) -> Mapping[str, Any] | None:
        """The DID document of `did`, or None when it cannot be resolved."""
        ...


def parse_did_ethr(did: str) -> tuple[int, str] | None:
    """(chain id, address) of a `did:ethr` identifier, or None."""
    m = _DID_ETHR.match(did) if isinstance(did, str) else None
    if m is None:
        return None
    network, address = m.group(1), m.group(2)
    if network is None:
        chain = 1
    elif network.startswith("0x"):
        chain = int(network, 16)
    elif network in _NETWORKS:
        chain = _NETWORKS[network]
    else:
        return None
    return chain, address


def implicit_ethr_document(did: str) -> dict[str, Any] | None:
    """The DID document of a `did:ethr` with no on-chain changes (what ethr-did-resolver returns)."""
    parsed = parse_did_ethr(did)
    if parsed is None:
        return None
    chain, address = parsed
    method = {
        "id": did + "#controller",
        "type": RECOVERY_METHOD,
        "controller": did,
        "blockchainAccountId": f"eip155:{chain}:{checksum_address(address)}",
    }
    return {
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/suites/secp256k1recovery-2020/v2",
        ],
        "id": did,
        "verificationMethod": [method],
        "authentication": [method["id"]],
        "assertionMethod": [method["id"]],
    }


class ImplicitEthrResolver:
    """Resolves `did:ethr` identifiers offline, assuming no key rotation was registered on chain."""

    def resolve(self, did: str) -> Mapping[str, Any] | None:
        return implicit_ethr_document(did)


# --- DNS --------------------------------------------------------------------------------------------


class DnsResolver(Protocol):
    def txt(self, name: str) -> Sequence[str]:
        """The TXT records at `name` (each record's strings joined), empty when there are none."""
        ...


class StaticDnsResolver:
    """TXT records from a fixed table (tests, air-gapped verifiers, a pinned snapshot)."""

    def __init__(self, records: Mapping[str, Iterable[str]]) -> None:
        self._records = {name.lower().rstrip("."): list(txts) for name, txts in records.items()}

    def txt(self, name: str) -> Sequence[str]:
        return self._records.get(name.lower().rstrip("."), [])


@dataclass(frozen=True)
class StoreRecord:
    """`openatts net=ethereum netId=<n> addr=<address>`: the domain vouches for a store/registry."""

    net: str
    net_id: str
    addr: str


@dataclass(frozen=True)
class DidRecord:
    """`openatts a=dns-did; p=<did key>; v=1.0;`: the domain vouches for a DID key."""

    public_key: str
    version: str


def store_txt_record(address: str, net_id: int, net: str = "ethereum") -> str:
    return f"openatts net={net} netId={net_id} addr={address}"


def did_txt_record(key_id: str) -> str:
    return f"openatts a=dns-did; p={key_id}; v=1.0;"


def parse_store_record(txt: str) -> StoreRecord | None:
    tokens = txt.split()
    if not tokens or tokens[0] != "openatts":
        return None
    fields = dict(t.split("=", 1) for t in tokens[1:] if "=" in t)
    if not all(k in fields for k in ("net", "netId", "addr")):
        return None
    return StoreRecord(net=fields["net"], net_id=fields["netId"], addr=fields["addr"])


def parse_did_record(txt: str) -> DidRecord | None:
    if not txt.startswith("openatts "):
        return None
    fields = {}
    for part in txt[len("openatts ") :].split(";"):
        key, eq, value = part.strip().partition("=")
        if eq:
            fields[key.strip()] = value.strip()
    if fields.get("a") != "dns-did" or "p" not in fields or "v" not in fields:
        return None
    return DidRecord(public_key=fields["p"], version=fields["v"])


# --- trust list -------------------------------------------------------------------------------------

TRUST_KINDS = ("documentStore", "tokenRegistry", "certificateStore", "did")


@dataclass(frozen=True)
class TrustedIssuer:
    kind: str  # one of TRUST_KINDS
    value: str  # a 0x address, or a DID
    name: str
    domain: str = ""


@dataclass(frozen=True)
class TrustList:
    """Issuers a verifier accepts; matching ignores the case of addresses and DIDs (as oa-verify)."""

    issuers: tuple[TrustedIssuer, ...] = ()
    _index: dict[tuple[str, str], TrustedIssuer] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for entry in self.issuers:
            if entry.kind not in TRUST_KINDS:
                raise ValueError(f"trust list kind {entry.kind!r} is not one of {TRUST_KINDS}")
            self._index[(entry.kind, entry.value.lower())] = entry

    def lookup(self, kind: str, value: str) -> TrustedIssuer | None:
        return self._index.get((kind, value.lower()))
