"""The simulated network: per-link delay, drop, duplication, reordering, partitions.

Owns one decision: given a message sent from `src` to `dst` at virtual time `now`, at which times
(none, one or two) does it arrive. Reordering is not a separate fault: two messages on a link get
independent jitter, so a later one can overtake an earlier one. Partitions are reference counted
per directed link, so overlapping episodes heal correctly.
"""

from __future__ import annotations

import random

from govledger.consensus.sim.scenario import Scenario


class Network:
    def __init__(self, scenario: Scenario, rng: random.Random) -> None:
        self._s = scenario
        self._rng = rng
        self._blocked: dict[tuple[int, int], int] = {}
        self.after_gst = False
        self.dropped = 0
        self.duplicated = 0

    def block(self, pairs: tuple[tuple[int, int], ...]) -> None:
        for pair in pairs:
            self._blocked[pair] = self._blocked.get(pair, 0) + 1

    def heal(self, pairs: tuple[tuple[int, int], ...]) -> None:
        for pair in pairs:
            left = self._blocked[pair] - 1
            if left:
                self._blocked[pair] = left
            else:
                del self._blocked[pair]

    def arrivals(self, src: int, dst: int, now: int) -> list[int]:
        """Virtual times at which a message sent now arrives (empty if it is lost)."""
        s = self._s
        if (src, dst) in self._blocked:
            self.dropped += 1
            return []
        if not self.after_gst and s.drop_p and self._rng.random() < s.drop_p:
            self.dropped += 1
            return []
        copies = 1
        if s.dup_p and self._rng.random() < s.dup_p:
            copies = 2
            self.duplicated += 1
        cap = s.jitter_cap_after_gst_ms if self.after_gst else s.jitter_cap_before_gst_ms
        base = s.base_delay_ms[src][dst]
        out = []
        for _ in range(copies):
            jitter = self._rng.expovariate(1.0 / s.jitter_mean_ms) if s.jitter_mean_ms else 0.0
            out.append(now + base + min(cap, int(jitter)))
        return out
