"""The App interface: every registry, credential service, election or currency is data plus pure functions.

Theory of operation
-------------------
An app has a `name` and a table of `operations`. Each operation names
- `body`: the strict msgspec Record its transaction body must decode to;
- `signers(view, body, ctx) -> Requirement`: who must sign, computed from state and body (the parcel's
  current owners and the buyer). Governance adds a policy per operation on top (one `notary`). The
  executor checks the transaction's valid signatures against both *before* the app runs: apps never
  look at signatures;
- `check(view, body, ctx)`: business rules; raises `AppError(code, message)`;
- `apply(state, body, ctx) -> list[Event]`: writes through `state`, scoped to the app's key space.
`check` runs again right before `apply` in the same buffer, so `apply` may assume its rules hold.

Determinism is a contract: apps read nothing but `view`/`state` and `ctx` (block height and time come
from the block). No clocks, randomness, floats, environment, or iteration over untrusted dict order.

`end_block(state, ctx)` runs once per block after its transactions, for time-driven rules.
`queries` are read-only functions over a view; the node records which keys a query read and returns
a Merkle proof for each, so every query answer is verifiable against a signed header.

The state-machine module of an app imports nothing from node, net, consensus or api.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import msgspec

from govledger.codec import Record, decode, decode_shared, decode_trusted, encode
from govledger.crypto.signatures import PublicKey
from govledger.errors import AppError, CodecError
from govledger.ledger.block import Event, EventValue
from govledger.ledger.state import StateReader, TxBuffer, state_key

B = TypeVar("B")
P = TypeVar("P")
T = TypeVar("T")

MAX_SCAN = 1000


# --- who must sign --------------------------------------------------------------------------------


class SignedBy(Record, frozen=True, tag="key"):
    """The holder of this key id signed."""

    key_id: bytes


class HasRole(Record, frozen=True, tag="role"):
    """`count` distinct members holding `role` (in organisation `org`, if given) signed with active keys."""

    role: str
    count: int = 1
    org: str = ""


class Threshold(Record, frozen=True, tag="k_of"):
    """At least `k` of the listed requirements hold."""

    k: int
    of: list[Requirement]


class AllOf(Record, frozen=True, tag="all"):
    of: list[Requirement]


Requirement = SignedBy | HasRole | Threshold | AllOf

NOBODY_ELSE = AllOf(of=[])
MAX_REQUIREMENT_NODES = 256


def describe(req: Requirement) -> str:
    """A human sentence for error messages."""
    if isinstance(req, SignedBy):
        return f"key {req.key_id.hex()}"
    if isinstance(req, HasRole):
        scope = f" of {req.org}" if req.org else ""
        return f"{req.count} member(s) with role {req.role!r}{scope}"
    if isinstance(req, Threshold):
        return f"{req.k} of [" + "; ".join(describe(r) for r in req.of) + "]"
    return "all of [" + "; ".join(describe(r) for r in req.of) + "]"


class Authority(Protocol):
    """What the executor asks governance: policies per operation and who holds which role.

    Its answers depend only on the key space of the app named `state_app`: the executor memoises
    them and forgets them whenever a transaction of that app commits.
    """

    state_app: str

    def policy(self, view: AppView, app: str, op: str) -> Requirement | None: ...

    def members_with_role(self, view: AppView, role: str, org: str, signer_ids: frozenset[bytes]) -> int:
        """How many distinct members holding `role` signed with an active key."""
        ...


def unmet(
    req: Requirement, signer_ids: frozenset[bytes], authority: Authority, view: AppView
) -> Requirement | None:
    """The part of `req` the signers do not satisfy, or None when satisfied."""
    if isinstance(req, SignedBy):
        return None if req.key_id in signer_ids else req
    if isinstance(req, HasRole):
        have = authority.members_with_role(view, req.role, req.org, signer_ids)
        return None if have >= req.count else req
    if isinstance(req, AllOf):
        for sub in req.of:
            missing = unmet(sub, signer_ids, authority, view)
            if missing is not None:
                return missing
        return None
    held = sum(1 for sub in req.of if unmet(sub, signer_ids, authority, view) is None)
    return None if held >= req.k else req


def requirement_size(req: Requirement) -> int:
    if isinstance(req, SignedBy | HasRole):
        return 1
    return 1 + sum(requirement_size(r) for r in req.of)


def check_requirement(req: Requirement) -> None:
    """Reject malformed policies before they reach state (thresholds out of range, huge trees)."""
    if requirement_size(req) > MAX_REQUIREMENT_NODES:
        raise AppError("policy.too_large", f"a policy may have at most {MAX_REQUIREMENT_NODES} terms")
    _check_requirement_node(req)


def _check_requirement_node(req: Requirement) -> None:
    if isinstance(req, HasRole) and not 1 <= req.count <= 1000:
        raise AppError("policy.bad_count", f"role count must be 1..1000, got {req.count}")
    if isinstance(req, Threshold) and not 1 <= req.k <= len(req.of):
        raise AppError("policy.bad_threshold", f"threshold {req.k} of {len(req.of)} is impossible")
    if isinstance(req, Threshold | AllOf):
        for sub in req.of:
            _check_requirement_node(sub)


# --- contexts and state handles -------------------------------------------------------------------


# Contexts are msgspec Structs, not dataclasses: two are built per transaction, and a frozen
# dataclass costs about four times as much to construct. `gc=False`: plain data, never in a cycle,
# so the cyclic collector need not track (and rescan) them.
class BlockContext(msgspec.Struct, frozen=True, gc=False):
    chain_id: str
    height: int
    time_ms: int


class TxContext(msgspec.Struct, frozen=True, gc=False):
    chain_id: str
    height: int
    time_ms: int
    tx_id: bytes
    signers: tuple[PublicKey, ...]
    signer_ids: frozenset[bytes]
    first_signer_id: bytes  # key id of signers[0], the submitting party; b"" only at genesis


class AppView:
    """Read-only access to one app's key space, with read access to other apps' spaces."""

    def __init__(self, reader: StateReader, app: str) -> None:
        self._reader = reader
        self.app = app

    def get(self, key: bytes) -> bytes | None:
        return self._reader.get(state_key(self.app, key))

    def get_as(self, key: bytes, type_: type[T]) -> T | None:
        raw = self.get(key)
        if raw is None:
            return None
        return decode_trusted(raw, type_)

    def get_shared(self, key: bytes, type_: type[T]) -> T | None:
        """Like `get_as`, but the instance is shared between readers: never mutate it (nor its lists)."""
        raw = self.get(key)
        if raw is None:
            return None
        return decode_shared(raw, type_)

    def scan(
        self, prefix: bytes, limit: int = MAX_SCAN, start_after: bytes | None = None
    ) -> list[tuple[bytes, bytes]]:
        """Keys under `prefix` in byte order (app-relative), at most `limit` (capped at MAX_SCAN).

        `start_after` (an app-relative key, usually the last one of the previous page) skips every key
        up to and including it, so a listing longer than MAX_SCAN is read page by page.
        """
        full = state_key(self.app, prefix)
        skip = len(self.app) + 1
        cap = min(limit, MAX_SCAN)
        if start_after is None:
            # readers that cannot page (proof-only readers in verifiers) still serve plain scans
            rows = self._reader.scan_prefix(full, cap)
        else:
            rows = self._reader.scan_prefix(full, cap, state_key(self.app, start_after))
        return [(k[skip:], v) for k, v in rows]

    def other(self, app: str) -> AppView:
        return AppView(self._reader, app)


class AppState(AppView):
    """Read-write access to one app's key space inside one transaction's buffer."""

    def __init__(self, buffer: TxBuffer, app: str) -> None:
        super().__init__(buffer, app)
        self._buffer = buffer

    def put(self, key: bytes, value: bytes | Record) -> None:
        raw = value if isinstance(value, bytes) else encode(value)
        self._buffer.put(state_key(self.app, key), raw)

    def delete(self, key: bytes) -> None:
        self._buffer.delete(state_key(self.app, key))


# --- operations, queries, apps --------------------------------------------------------------------


@dataclass(frozen=True)
class Operation(Generic[B]):
    body: type[B]
    signers: Callable[[AppView, B, TxContext], Requirement]
    check: Callable[[AppView, B, TxContext], None]
    apply: Callable[[AppState, B, TxContext], list[Event]]
    doc: str = ""


@dataclass(frozen=True)
class Query(Generic[P]):
    params: type[P]
    run: Callable[[AppView, P], Any]
    doc: str = ""


@dataclass
class App:
    """An app: its name, operations, queries, genesis and per-block hook."""

    name: str
    operations: Mapping[str, Operation[Any]]
    queries: Mapping[str, Query[Any]] = field(default_factory=dict)
    genesis: Callable[[AppState, Any], list[Event]] | None = None
    genesis_type: type[Any] | None = None
    end_block: Callable[[AppState, BlockContext], list[Event]] | None = None
    doc: str = ""


def decode_body(op: Operation[B], raw: bytes) -> B:
    try:
        return decode(raw, op.body, max_bytes=len(raw))
    except CodecError as exc:
        raise AppError("tx.bad_body", exc.message) from None


def event(app: str, kind: str, subject: str, /, **attributes: EventValue | bytes) -> Event:
    """An event; bytes attributes (key ids, digests) are stored as lower-case hex."""
    attrs: dict[str, EventValue] = {}
    for k in sorted(attributes) if len(attributes) > 1 else attributes:  # one event per tx: keep it cheap
        v = attributes[k]
        attrs[k] = v.hex() if isinstance(v, bytes) else v
    return Event(app, kind, subject, attrs)


def to_builtins(value: Any) -> Any:
    """JSON-friendly form of query results (bytes become hex by the API's encoder)."""
    return msgspec.to_builtins(value)


def no_check(view: AppView, body: Any, ctx: TxContext) -> None:
    """For operations whose only rule is who signs."""
