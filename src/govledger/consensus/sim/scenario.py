"""One seed's world: validators and powers, Byzantine roles, and the faults before GST.

`Scenario.generate(seed, options)` draws everything from `random.Random(seed)` in a fixed order,
so a seed names one world exactly. The fault model (all faults end at GST, "global stabilisation
time", after which links are reliable with bounded delay, as the paper's partial synchrony model
assumes):

- links: per directed link a base delay and an exponential jitter (reordering falls out of it);
  before GST each delivery is dropped with probability `drop_p` and duplicated with `dup_p`;
  after GST nothing is dropped and jitter is capped at `jitter_cap_after_gst_ms`;
- partitions: symmetric (two sides cannot talk) or one-way (A's messages do not reach B), each
  with a start and a heal time before GST;
- crashes: an honest node stops (losing its unsynced WAL tail, maybe tearing or corrupting it)
  and restarts from its WAL and block store, before GST;
- clock skew: each node's timers run `skew` times slower or faster, for the whole run;
- Byzantine validators (power kept < 1/3 unless the options ask for more): an equivocating
  proposer-and-voter coalition, an equivocating voter, an invalid-value proposer, a vote withholder;
- validator-set changes: every few heights an honest validator's power changes (proposer priorities
  follow proposer-selection.md), without ever raising the Byzantine share.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from govledger.consensus.core import TimeoutConfig

BYZANTINE_MODES = ("equivocate", "equivocate-voter", "invalid", "withhold")
FAULT_KINDS = ("drop", "dup", "delay", "partition", "crash", "skew", "powers")


@dataclass(frozen=True, slots=True)
class SimOptions:
    validators: int = 4
    heights: int = 20
    byzantine: str = "mixed"  # "none", "mixed" (drawn per seed) or one of BYZANTINE_MODES
    byzantine_count: int | None = None  # default: the most that keeps Byzantine power below 1/3
    faults: tuple[str, ...] = FAULT_KINDS
    equal_power: bool = False
    liveness_bound_ms: int = 60_000
    gossip_interval_ms: int = 1_000
    commit_wait_ms: int = 500

    def __post_init__(self) -> None:
        assert 1 <= self.validators <= 64, "the simulator runs 1..64 validators"
        assert 1 <= self.heights <= 10_000
        assert self.byzantine in ("none", "mixed", *BYZANTINE_MODES), self.byzantine
        assert all(f in FAULT_KINDS for f in self.faults), self.faults
        assert self.byzantine_count is None or 0 <= self.byzantine_count <= self.validators


@dataclass(frozen=True, slots=True)
class Partition:
    start_ms: int
    heal_ms: int
    blocked: tuple[tuple[int, int], ...]  # directed (src, dst) pairs
    kind: str  # "symmetric" | "one-way"


@dataclass(frozen=True, slots=True)
class Crash:
    node: int
    at_ms: int
    restart_ms: int


@dataclass(slots=True)
class Scenario:
    seed: int
    options: SimOptions
    powers: list[int]
    byzantine: dict[int, str]
    gst_ms: int
    drop_p: float
    dup_p: float
    base_delay_ms: list[list[int]]
    jitter_mean_ms: float
    jitter_cap_before_gst_ms: int
    jitter_cap_after_gst_ms: int
    partitions: list[Partition]
    crashes: list[Crash]
    skew: list[float]
    power_changes: bool
    timeouts: TimeoutConfig
    groups: tuple[tuple[int, ...], tuple[int, ...]] = field(default=((), ()))

    @property
    def unsafe(self) -> bool:
        """Byzantine power at or above one third: the protocol promises nothing."""
        byz = sum(self.powers[i] for i in self.byzantine)
        return byz * 3 >= sum(self.powers)

    @staticmethod
    def generate(seed: int, options: SimOptions, rng: random.Random) -> Scenario:
        n = options.validators
        faults = set(options.faults)
        byz_count = options.byzantine_count
        if byz_count is None:
            byz_count = (n - 1) // 3 if options.byzantine != "none" else 0
        mode = options.byzantine
        if mode == "mixed":
            mode = rng.choice(("none", *BYZANTINE_MODES))
        byz_nodes = sorted(rng.sample(range(n), byz_count)) if mode != "none" else []
        byzantine = {i: mode for i in byz_nodes}
        # Byzantine validators get power 1 and honest ones 1..3, so with at most (n-1)//3 of them
        # their share stays below 1/3 (3f <= n-1 < n <= total). More than that is an unsafe run.
        weighted = not options.equal_power and byz_count <= (n - 1) // 3
        powers = [1 if (i in byzantine or not weighted) else rng.randint(1, 3) for i in range(n)]
        gst_ms = rng.randint(2_000, 15_000)
        drop_p = rng.uniform(0.0, 0.3) if "drop" in faults else 0.0
        dup_p = rng.uniform(0.0, 0.1) if "dup" in faults else 0.0
        delay = "delay" in faults
        base = [[rng.randint(1, 30) if delay else 5 for _ in range(n)] for _ in range(n)]
        jitter_mean = rng.uniform(2.0, 80.0) if delay else 0.0
        partitions = _partitions(rng, n, gst_ms) if "partition" in faults else []
        honest = [i for i in range(n) if i not in byzantine]
        crashes = _crashes(rng, honest, gst_ms) if "crash" in faults else []
        skew = [rng.uniform(0.75, 1.33) if "skew" in faults else 1.0 for _ in range(n)]
        shuffled = honest[:]
        rng.shuffle(shuffled)
        half = max(1, len(shuffled) // 2)
        groups = (tuple(sorted(shuffled[:half])), tuple(sorted(shuffled[half:])))
        timeouts = TimeoutConfig(600, 200, 300, 100, 300, 100)
        return Scenario(
            seed=seed,
            options=options,
            powers=powers,
            byzantine=byzantine,
            gst_ms=gst_ms,
            drop_p=drop_p,
            dup_p=dup_p,
            base_delay_ms=base,
            jitter_mean_ms=jitter_mean,
            jitter_cap_before_gst_ms=2_000,
            jitter_cap_after_gst_ms=100,
            partitions=partitions,
            crashes=crashes,
            skew=skew,
            power_changes="powers" in faults and weighted,
            timeouts=timeouts,
            groups=groups,
        )

    def describe(self) -> str:
        byz = ",".join(f"{i}:{m}" for i, m in sorted(self.byzantine.items())) or "none"
        return (
            f"n={len(self.powers)} powers={self.powers} byzantine={byz} gst={self.gst_ms}ms "
            f"drop={self.drop_p:.2f} dup={self.dup_p:.2f} partitions={len(self.partitions)} "
            f"crashes={len(self.crashes)} skew=[{', '.join(f'{s:.2f}' for s in self.skew)}]"
        )


def _partitions(rng: random.Random, n: int, gst_ms: int) -> list[Partition]:
    out: list[Partition] = []
    if n < 2:
        return out
    for _ in range(rng.randint(0, 3)):
        start = rng.randint(0, gst_ms - 1)
        heal = min(gst_ms, start + rng.randint(500, 8_000))
        nodes = list(range(n))
        rng.shuffle(nodes)
        cut = rng.randint(1, n - 1)
        side_a, side_b = nodes[:cut], nodes[cut:]
        kind = rng.choice(("symmetric", "one-way"))
        pairs = [(a, b) for a in side_a for b in side_b]
        if kind == "symmetric":
            pairs += [(b, a) for a, b in pairs]
        out.append(Partition(start, heal, tuple(sorted(pairs)), kind))
    return out


def _crashes(rng: random.Random, honest: list[int], gst_ms: int) -> list[Crash]:
    out: list[Crash] = []
    busy_until: dict[int, int] = {}
    for _ in range(rng.randint(0, 2)):
        if not honest:
            break
        node = rng.choice(honest)
        at = rng.randint(busy_until.get(node, 0), gst_ms - 1) if busy_until.get(node, 0) < gst_ms else None
        if at is None:
            continue
        restart = min(gst_ms, at + rng.randint(200, 6_000))
        busy_until[node] = restart + 1
        out.append(Crash(node, at, restart))
    return out
