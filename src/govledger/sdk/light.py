"""Light client: which validator set certifies a header, followed from genesis across set changes.

A proof-carrying read (`sdk/verify.py`) is only as good as the validator set its header is checked
against. The genesis set is trusted out of band (the genesis document, or first use); every later
set is trusted only because a header certified by a set already trusted names it.

Theory of operation
===================

The client keeps *anchors*: (height h, set S) meaning "S certifies header h". Genesis gives the
first one, (1, genesis set) (header 0 names it as `next_validators_hash`; block 0 itself is trusted
by its hash). To find the set for header H (`validators_for`):

1. Take the newest anchor (h, S) with h <= H. If header H names S (`validators_hash == hash(S)`),
   S is the answer: the caller then requires more than 2/3 of S's power to have signed H.
2. Otherwise the set changed somewhere in (h, H]. Bisect on the node's `/v1/validators?height=`
   answers for a height c with set(c - 1) = S and set(c) != S. These answers are hints only: the
   step is taken on header c - 1 and its commit, which must name S and carry signatures of more than
   2/3 of S (`ledger.block.commit_problem`), and on the set the node returns for c, whose hash must
   equal header c - 1's `next_validators_hash`. Then (c, set(c)) is a new anchor; repeat from 1.
   A node that lies makes a step fail (`VerificationError`); it cannot make a wrong set accepted.

Each step costs one block and about log2(H - h) validator-set requests; `steps_max` set changes per
call and `anchors_max` remembered anchors bound the work and the memory.

Trust model (see docs/bft.md). Step 1 accepts header H signed by a set S that was certified at an
earlier height h, without checking the headers in between: it assumes that S, while it is the set a
header names, still has less than 1/3 of faulty power, the same assumption every full node makes
about the current set. If keys of a set that governance has since replaced leak (a "long-range"
attack), their holders could sign a fake header naming that old set; a client that follows the
chain regularly (its newest anchor past the change) is not fooled, since it uses its newest anchor.
Operators who need more can pin a recent set (`Trust`) instead of genesis.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from govledger.ledger.block import Commit, Header, ValidatorSet, commit_problem
from govledger.sdk.errors import VerificationError

__all__ = ["ANCHORS_MAX", "STEPS_MAX", "LightBlock", "LightClient"]

ANCHORS_MAX: Final = 256
STEPS_MAX: Final = 64


@dataclass(frozen=True)
class LightBlock:
    header: Header
    commit: Commit | None


FetchBlock = Callable[[int], LightBlock]
FetchValidators = Callable[[int], ValidatorSet]


class LightClient:
    """Certified validator sets by height (see the module docstring). Not thread-safe."""

    def __init__(
        self,
        genesis_validators: ValidatorSet,
        genesis_hash: bytes | None,
        fetch_block: FetchBlock,
        fetch_validators: FetchValidators,
        *,
        anchors_max: int = ANCHORS_MAX,
        steps_max: int = STEPS_MAX,
    ) -> None:
        assert anchors_max >= 2 and steps_max >= 1
        self._genesis = genesis_validators
        self._genesis_hash = genesis_hash
        self._fetch_block = fetch_block
        self._fetch_validators = fetch_validators
        self._anchors_max = anchors_max
        self._steps_max = steps_max
        self._heights: list[int] = [1]
        self._sets: list[ValidatorSet] = [genesis_validators]
        self.requests = 0

    @property
    def anchors(self) -> list[tuple[int, ValidatorSet]]:
        return list(zip(self._heights, self._sets, strict=True))

    def validators_for(self, header: Header) -> ValidatorSet:
        """The certified set that signs `header` (its hash is `header.validators_hash`)."""
        if header.height <= 0:
            return self._genesis  # block 0 is checked against the genesis hash, not a commit
        i = bisect.bisect_right(self._heights, header.height) - 1
        height, validators = self._heights[i], self._sets[i]
        for _ in range(self._steps_max):
            if validators.hash() == header.validators_hash:
                return validators
            height, validators = self._step(height, validators, header.height)
        raise VerificationError(
            f"header {header.height} is more than {self._steps_max} validator-set changes past the "
            "newest trusted set",
            code="proof.validator_chain_too_long",
        )

    def verify_header(self, header: Header, commit: Commit | None) -> ValidatorSet:
        """Raise VerificationError unless `commit` certifies `header`; returns the certifying set."""
        validators = self.validators_for(header)
        if commit is None:
            if header.height == 0 and header.hash() == self._genesis_hash:
                return validators
            raise VerificationError(f"header {header.height} has no commit")
        problem = commit_problem(commit, header, validators)
        if problem is not None:
            raise VerificationError(f"header {header.height} is not certified: {problem}")
        return validators

    # --- one step along the chain of sets ---------------------------------------------------------

    def _step(self, height: int, validators: ValidatorSet, target: int) -> tuple[int, ValidatorSet]:
        """From anchor (height, validators), certify the next set change at or before `target`."""
        change = self._find_change(height, validators, target)
        block = self._block(change - 1)
        header = block.header
        if header.validators_hash != validators.hash():
            raise VerificationError(
                f"header {header.height} is not signed by the set the node said governs it",
                code="proof.untrusted_validators",
            )
        if header.height == 0:
            if header.hash() != self._genesis_hash:
                raise VerificationError("block 0 is not the trusted genesis block", code="proof.wrong_chain")
        elif block.commit is None:
            raise VerificationError(f"header {header.height} has no commit")
        else:
            problem = commit_problem(block.commit, header, validators)
            if problem is not None:
                raise VerificationError(f"header {header.height} is not certified: {problem}")
        new = self._validators(change)
        if new.hash() != header.next_validators_hash:
            raise VerificationError(
                f"the node's validator set for height {change} is not the one header {change - 1} names",
                code="proof.untrusted_validators",
            )
        self._remember(change, new)
        return change, new

    def _find_change(self, low: int, validators: ValidatorSet, high: int) -> int:
        """A height c in (low, high] where (by the node's answers) the set stops being `validators`."""
        trusted = validators.hash()
        while high - low > 1:
            mid = (low + high) // 2
            if self._validators(mid).hash() == trusted:
                low = mid
            else:
                high = mid
        return high

    def _remember(self, height: int, validators: ValidatorSet) -> None:
        i = bisect.bisect_left(self._heights, height)
        if i < len(self._heights) and self._heights[i] == height:
            return
        self._heights.insert(i, height)
        self._sets.insert(i, validators)
        if len(self._heights) > self._anchors_max:  # keep genesis and the newest
            del self._heights[1]
            del self._sets[1]

    def _block(self, height: int) -> LightBlock:
        self.requests += 1
        block = self._fetch_block(height)
        if block.header.height != height:
            raise VerificationError(f"asked for block {height}, the node sent {block.header.height}")
        return block

    def _validators(self, height: int) -> ValidatorSet:
        self.requests += 1
        return self._fetch_validators(height)
