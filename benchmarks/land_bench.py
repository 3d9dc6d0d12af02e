"""Land transfers per second on a single validator, beside the simple transaction in the same run.

Both loads go through the same harness, `govledger.node.loadgen.run_node`: a solo validator in this
process, pre-signed transactions submitted in batches of 1,000 (closed loop, saturating) for a fixed
time, blocks of up to 5,000 transactions or every 200 ms, each block committed durably (LMDB fsync)
before its transactions count. The simple transaction is the foundation's `attest.record` (one
signature, one state write); the land load is `land.transfer` under the land app's own rules and
DEFAULT_POLICIES: every seller, every buyer and a notary sign, the sellers must be the current
owners, shares must add up, no caveat, mortgage or priority notice may block the sale.

Set-up before the clock starts (committed, every receipt ok): the registrar, a surveyor and
`NOTARIES` notaries in governance; `PARTIES` persons registered (registrar + the party's own key);
one parcel per measured transfer, first-registered with a surveyed 100 m x 100 m boundary (surveyor
+ registrar). Every measured transaction transfers a distinct parcel: one in `CO_OWNED_EVERY` is
co-owned in halves by two parties and sold to two buyers in halves (5 signatures), the others go
from one owner to one buyer (3 signatures); notaries take turns.

Figures per load: committed tx/s, signatures verified per second (tx/s x signatures per
transaction), CPU per transaction (the process's CPU, all threads, over committed transactions),
submit-to-commit p50 and p99 in the saturating closed loop (queueing behind the backlog included)
and in an open loop at half the measured capacity (the latency a caller sees below saturation).

`section(smoke)` is what the suite calls; `python -m benchmarks.land_bench [--smoke]` runs it alone.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from govledger.apps.land.app import default_policies_json
from govledger.apps.land.model import (
    Boundary,
    FirstRegistration,
    Holding,
    RegisterParty,
    Share,
    Source,
    Transfer,
)
from govledger.codec import Record, encode
from govledger.crypto.signatures import SigningKey
from govledger.ledger import tx as txmod
from govledger.ledger.app import HasRole
from govledger.ledger.block import Validator
from govledger.ledger.genesis import GenesisDoc, dump_genesis
from govledger.node.loadgen import CHAIN_ID, NodeResult, run_node

PARTIES = 200
NOTARIES = 4
CO_OWNED_EVERY = 4
EXPIRY = 50_000
PARCEL_M = 100
PARCELS_PER_ROW = 1000
OPEN_LOOP_SHARE = 0.5
DEADLINE_S = 300.0  # run_node's deadline for a bounded land load: a cap, never reached normally


def _digest(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def _half() -> Share:
    return Share(num=1, den=2)


def _whole() -> Share:
    return Share(num=1, den=1)


class LandWorkload:
    """At most `transfers` `land.transfer`s of distinct parcels, after registering parties and parcels.

    Bounding the load bounds the set-up (one first registration per transfer): the run ends when all
    are committed, or at run_node's deadline.
    """

    def __init__(self, transfers: int) -> None:
        self.transfers = transfers
        self.registrar = SigningKey.generate()
        self.surveyor = SigningKey.generate()
        self.notaries = [SigningKey.generate() for _ in range(NOTARIES)]
        self.parties = [SigningKey.generate() for _ in range(PARTIES)]
        self.signatures_per_tx = 0.0
        self._nonces = itertools.count(1)

    def genesis(self, validator: SigningKey) -> bytes:
        officials = [
            ("registrar-1", "registry", ["registrar"], self.registrar),
            ("surveyor-1", "cadastre", ["surveyor"], self.surveyor),
            *((f"notary-{i}", "notaries", ["notary"], k) for i, k in enumerate(self.notaries)),
        ]
        members = [
            {
                "member_id": mid,
                "org": org,
                "name": mid,
                "roles": roles,
                "public_keys": [msgspec.to_builtins(k.public_key)],
            }
            for mid, org, roles, k in officials
        ]
        orgs = [{"org_id": o, "name": o, "kind": o} for o in ("registry", "cadastre", "notaries")]
        doc = GenesisDoc(
            chain_id=CHAIN_ID,
            genesis_time_ms=int(time.time() * 1000),
            validators=[Validator(validator.public_key, 10)],
            app_state={
                "governance": {
                    "orgs": orgs,
                    "members": members,
                    "policies": {
                        "governance.*": msgspec.to_builtins(HasRole(role="registrar")),
                        **default_policies_json(),
                    },
                }
            },
        )
        return dump_genesis(doc)

    def _tx(self, op: str, body: Record, keys: list[SigningKey]) -> bytes:
        t = txmod.build(
            CHAIN_ID, "land", op, encode(body), keys, nonce=next(self._nonces), expiry_height=EXPIRY
        )
        return encode(t)

    def _party_id(self, n: int) -> str:
        return f"person-{n % PARTIES:04d}"

    def _owners(self, i: int) -> list[int]:
        """Party numbers owning parcel `i` before its transfer."""
        return [i, i + 1] if i % CO_OWNED_EVERY == 0 else [i]

    def _buyers(self, i: int) -> list[int]:
        """Party numbers buying parcel `i`: never one of its owners (PARTIES > 4)."""
        return [i + 2, i + 3] if i % CO_OWNED_EVERY == 0 else [i + 2]

    def _holdings(self, parties: list[int]) -> list[Holding]:
        share = _whole() if len(parties) == 1 else _half()
        return [Holding(self._party_id(p), share) for p in parties]

    def _boundary(self, i: int) -> Boundary:
        x, y = (i % PARCELS_PER_ROW) * PARCEL_M * 100, (i // PARCELS_PER_ROW) * PARCEL_M * 100
        side = PARCEL_M * 100
        ring = [(x, y), (x + side, y), (x + side, y + side), (x, y + side), (x, y)]
        return Boundary(crs="EPSG:3006", rings=[ring])

    def prepare(self, count: int) -> tuple[list[list[bytes]], list[bytes]]:
        count = min(count, self.transfers)
        parties = [
            self._tx(
                "register_party",
                RegisterParty(
                    party_id=self._party_id(n),
                    kind="person",
                    commitment=_digest(f"vault:{n}"),
                    key_ids=[k.public_key.key_id()],
                    threshold=1,
                    members=[],
                ),
                [self.registrar, k],
            )
            for n, k in enumerate(self.parties)
        ]
        parcels = [
            self._tx(
                "first_registration",
                FirstRegistration(
                    parcel_id=f"P-{i:07d}",
                    boundary=self._boundary(i),
                    area_m2=PARCEL_M * PARCEL_M,
                    land_use="residential",
                    owners=self._holdings(self._owners(i)),
                    buildings=[],
                    sources=[Source("survey_plan", _digest(f"survey {i}"))],
                ),
                [self.surveyor, self.registrar],
            )
            for i in range(count)
        ]
        transfers = []
        signatures = 0
        for i in range(count):
            owners, buyers = self._owners(i), self._buyers(i)
            keys = [self.parties[p % PARTIES] for p in owners + buyers] + [self.notaries[i % NOTARIES]]
            signatures += len(keys)
            body = Transfer(
                parcel_id=f"P-{i:07d}",
                sellers=self._holdings(owners),
                buyers=self._holdings(buyers),
                sources=[Source("deed", _digest(f"deed {i}"))],
            )
            transfers.append(self._tx("transfer", body, keys))
        self.signatures_per_tx = signatures / max(count, 1)
        return [parties, parcels], transfers


@dataclass(frozen=True)
class Pair:
    """One repetition: the land load and the simple load, back to back."""

    land: NodeResult
    simple: NodeResult
    land_sigs_per_tx: float


Row = tuple[str, Callable[[NodeResult, float], float], str]

ROWS: list[Row] = [
    ("committed tx/s", lambda r, s: r.tx_per_s, "{:,.0f}"),
    ("signatures verified/s", lambda r, s: r.tx_per_s * s, "{:,.0f}"),
    ("CPU per transaction (us, all threads)", lambda r, s: r.cpu_us_per_tx, "{:,.0f}"),
    ("closed loop: submit-to-commit p50 (ms)", lambda r, s: r.latency_ms_p50, "{:,.0f}"),
    ("closed loop: submit-to-commit p99 (ms)", lambda r, s: r.latency_ms_p99, "{:,.0f}"),
]
OPEN_ROWS: list[Row] = [
    ("open loop at 50% of capacity: committed tx/s", lambda r, s: r.tx_per_s, "{:,.0f}"),
    ("open loop at 50%: submit-to-commit p50 (ms)", lambda r, s: r.latency_ms_p50, "{:,.0f}"),
    ("open loop at 50%: submit-to-commit p99 (ms)", lambda r, s: r.latency_ms_p99, "{:,.0f}"),
]


def _spread(xs: list[float], fmt: str) -> str:
    return f"{fmt.format(statistics.median(xs))} ({fmt.format(min(xs))} - {fmt.format(max(xs))})"


def _ratio(a: list[float], b: list[float]) -> str:
    mb = statistics.median(b)
    return f"{statistics.median(a) / mb:.2f}" if mb else "-"


def _print(label: str, r: NodeResult, sigs: float) -> None:
    print(
        f"   {label:<7} {r.tx_per_s:>8,.0f} tx/s  {r.tx_per_s * sigs:>8,.0f} sig/s  "
        f"{r.cpu_us_per_tx:>6,.0f} us/tx  p50 {r.latency_ms_p50:>6,.0f} ms  "
        f"p99 {r.latency_ms_p99:>6,.0f} ms  ({r.committed:,} txs in {r.duration_s:.1f} s, "
        f"{r.blocks} blocks, {r.rejected} refused, {r.failed} failed)",
        flush=True,
    )


def _land(transfers: int, open_loop_rate: int = 0) -> tuple[NodeResult, float]:
    """`transfers` land transfers through run_node (its duration only a deadline: the load is bounded)."""
    work = LandWorkload(transfers)
    started = time.perf_counter()
    r = run_node(DEADLINE_S, transfers, open_loop_rate=open_loop_rate, workload=work)
    print(f"   (land run including set-up and signing: {time.perf_counter() - started:.1f} s)", flush=True)
    return r, work.signatures_per_tx


def section(smoke: bool) -> list[str]:
    repeats = 1 if smoke else 3
    transfers = 200 if smoke else 5_000
    simple_s = 0.6 if smoke else 10.0
    open_s = 0.6 if smoke else 10.0
    print(
        f"== land transfers ({transfers:,} per run) beside attest.record ({simple_s:g} s per run), "
        f"single validator, {repeats} run(s) each"
    )
    pairs: list[Pair] = []
    for n in range(repeats):
        print(f"-- run {n + 1}/{repeats}", flush=True)
        land, sigs = _land(transfers)
        _print("land", land, sigs)
        simple = run_node(simple_s, 5_000)
        _print("simple", simple, 1.0)
        pairs.append(Pair(land, simple, sigs))
    land_rate = statistics.median(p.land.tx_per_s for p in pairs)
    simple_rate = statistics.median(p.simple.tx_per_s for p in pairs)
    print(f"-- open loop at {OPEN_LOOP_SHARE:.0%} of each load's capacity, {open_s:g} s", flush=True)
    land_open_rate = max(20, int(land_rate * OPEN_LOOP_SHARE))
    simple_open_rate = max(20, int(simple_rate * OPEN_LOOP_SHARE))
    land_open, sigs_open = _land(int(land_open_rate * open_s), land_open_rate)
    _print("land", land_open, sigs_open)
    simple_open = run_node(open_s, simple_open_rate, open_loop_rate=simple_open_rate)
    _print("simple", simple_open, 1.0)

    every = [r for p in pairs for r in (p.land, p.simple)] + [land_open, simple_open]
    assert all(r.committed > 0 for r in every), "a run committed nothing"
    assert all(r.rejected == 0 for r in every), "a run refused load at admission"
    assert all(r.failed == 0 for r in every), "a measured transaction failed on the ledger"

    sigs = statistics.median(p.land_sigs_per_tx for p in pairs)
    lines = [
        "## Land transfers beside the simple transaction, single validator (same run)",
        "",
        "`make bench`, module `benchmarks/land_bench.py` (alone: `python -m benchmarks.land_bench`).",
        "Both loads through the same harness (`govledger.node.loadgen.run_node`): pre-signed transactions",
        "in batches of 1,000 as fast as admission takes them, blocks of up to 5,000 or every 200 ms, each",
        "committed with fsync before its transactions count.",
        f"Land: {transfers:,} `land.transfer`s per run, each of a distinct parcel, under the app's rules",
        "and policies: every seller, every buyer and a notary sign",
        f"({sigs:.2f} signatures per transfer: one in {CO_OWNED_EVERY} is co-owned by two and sold to two);",
        f"the set-up ({PARTIES} parties, one registered parcel per transfer, notaries in governance) is",
        "committed before the clock starts.",
        f"Simple: the foundation's `attest.record` (one signature, one state write), {simple_s:g} s per run.",
        f"Closed loop: median (min - max) of {repeats} run(s), land and simple alternating; open loop: one",
        f"run each of {open_s:g} s at {OPEN_LOOP_SHARE:.0%} of that load's median closed-loop throughput.",
        "",
        "| figure | land transfer | simple tx | land / simple |",
        "|---|---|---|---|",
    ]
    for name, get, fmt in ROWS:
        land_xs = [get(p.land, p.land_sigs_per_tx) for p in pairs]
        simple_xs = [get(p.simple, 1.0) for p in pairs]
        lines.append(
            f"| {name} | {_spread(land_xs, fmt)} | {_spread(simple_xs, fmt)} | {_ratio(land_xs, simple_xs)} |"
        )
    for name, get, fmt in OPEN_ROWS:
        land_xs, simple_xs = [get(land_open, sigs_open)], [get(simple_open, 1.0)]
        lines.append(
            f"| {name} | {_spread(land_xs, fmt)} | {_spread(simple_xs, fmt)} | {_ratio(land_xs, simple_xs)} |"
        )
    lines += [
        f"| open loop offered (tx/s) | {land_open_rate:,} | {simple_open_rate:,} | "
        f"{land_open_rate / simple_open_rate:.2f} |",
        "",
    ]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    print("\n".join(section(args.smoke)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
