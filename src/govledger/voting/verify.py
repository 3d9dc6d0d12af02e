"""An independent ElectionGuard 2.0 verifier: the checks of spec §6.2 that apply, step by step.

Theory of operation
-------------------
The verifier reads an :class:`~.records.ElectionRecord` and re-does, from public data only, every
computation the election authorities claim to have done. It is written separately from the
producing modules on purpose: it imports only the group arithmetic (:mod:`.group`), the hash
function and its encodings (:mod:`.hash`) and the record schemas (:mod:`.records`, data without
logic), and nothing from :mod:`.keyceremony`, :mod:`.ballot` or :mod:`.tally`. A bug in the way
ballots are encrypted or tallies decrypted therefore cannot hide itself by being repeated here.

Each check carries the spec's step id ("5.C", "7.E", ...) and a message that says which guardian,
ballot, contest and option failed and how. Steps implemented (spec §6.2):

- Verification 1 (parameters, H_P, H_M, H_B), 2 (guardian coefficient proofs), 3 (joint key),
  4 (H_E);
- 5 and 6 (selection and contest range proofs), 7 (contest hashes, confirmation codes, uniqueness,
  and the device chains 7.D-7.G when the manifest asks for chaining);
- 8 (aggregation), 9 and 10 (tally decryption proofs and values, labels);
- 12, 13 and 14 (challenged ballots decrypted by the guardians), and the nonce variant of §3.6.5
  (challenged ballots opened by their ballot nonce: re-encrypt and compare, step id "R");
- plus structural checks the spec takes for granted ("S": ballot shapes against the manifest and
  ballot styles, unique ballot ids, every challenged ballot opened, no cast ballot opened).

Not applicable: 11 (contest data of tallies is never decrypted here) and 15-18 (pre-encrypted
ballots are not implemented).

Cost: a 0/1 selection costs four variable-base exponentiations (recomputing its proof's
commitments, which the 2.0 proofs do not carry); everything with base g or K goes through fixed-base
tables, and a ballot's subgroup tests (5.A) are one batch (``group.batch_in_subgroup``, soundness
error 2^-64; values are tested one by one only after a failed batch, to name them). Given the
devices' proof commitments (``records.ProofCommitments``), :class:`BallotChecker` checks every
equation of a ballot with one random linear combination instead (:class:`_Claims`, same error),
about a third of the cost, and falls back to the recomputation whenever that path fails. Both
probabilistic checks draw their exponents from ``secrets``; a valid record always passes.
"""

from __future__ import annotations

import hmac as _hmac
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from govledger.codec import encode
from govledger.voting import hash as eh
from govledger.voting.group import (
    BATCH_EXPONENT_BITS,
    LEN_P,
    LEN_Q,
    SPEC_VERSION,
    FixedBase,
    G,
    P,
    Q,
    R,
    all_in_subgroup,
    all_quadratic_residues,
    batch_in_subgroup,
    elem_bytes,
    fixed_base,
    from_bytes,
    g_pow,
    inv_p,
    is_in_subgroup,
    mul_p,
    multi_pow,
    pow_list,
    pow_p,
    prod_p,
)
from govledger.voting.records import (
    MAX_GUARDIANS,
    BallotReveal,
    ContestDescription,
    DecryptedBallot,
    DecryptedValue,
    DecryptionProof,
    DeviceChain,
    ElectionRecord,
    EncryptedBallot,
    EncryptedContest,
    EncryptedTally,
    GuardianPublicKey,
    HashedCiphertext,
    Manifest,
    ProofCommitments,
    RangeProof,
    SubmittedBallot,
)

MAX_FAILURES_KEPT: Final = 1000
"""A report keeps the first failures in full and counts the rest (a hostile record stays small)."""

__all__ = [
    "BallotChecker",
    "Check",
    "Report",
    "check_decryption",
    "verify_ballot_reveal",
    "verify_election",
    "verify_guardian_keys",
]


@dataclass(frozen=True, slots=True)
class Check:
    """One failed check: the spec step and a precise message."""

    step: str
    message: str

    def __str__(self) -> str:
        return f"[{self.step}] {self.message}"


@dataclass(slots=True)
class Report:
    """The outcome of a verification: how many checks of each step passed, and every failure."""

    passed: Counter[str] = field(default_factory=Counter)
    failures: list[Check] = field(default_factory=list)
    failure_count: int = 0

    @property
    def ok(self) -> bool:
        return self.failure_count == 0

    def check(self, step: str, condition: bool, message: str) -> bool:
        """Record one check; ``message`` describes the failure and is only kept when it fails."""
        if condition:
            self.passed[step] += 1
        else:
            self.fail(step, message)
        return condition

    def fail(self, step: str, message: str) -> None:
        self.failure_count += 1
        if len(self.failures) < MAX_FAILURES_KEPT:
            self.failures.append(Check(step, message))

    def steps_failed(self) -> set[str]:
        return {c.step for c in self.failures}

    def summary(self) -> str:
        passed = sum(self.passed.values())
        if self.ok:
            steps = ", ".join(sorted(self.passed))
            return f"election record verified: {passed} checks passed over steps {steps}"
        head = f"{self.failure_count} check(s) FAILED, {passed} passed"
        return "\n".join([head, *(f"  {c}" for c in self.failures[:50])])


def _int(raw: bytes) -> int:
    return from_bytes(raw)


def _labels(kind: str, labels: Sequence[str]) -> list[str]:
    dupes = sorted({x for x in labels if labels.count(x) > 1})
    return [f"{kind} label {d!r} is not unique" for d in dupes]


def manifest_shape_problems(manifest: Manifest) -> list[str]:
    """The verifier's own reading of §3.1.3: unique labels, positive limits, styles naming real contests."""
    problems = _labels("contest", [c.label for c in manifest.contests])
    problems += _labels("ballot style", [s.label for s in manifest.ballot_styles])
    for n, c in enumerate(manifest.contests, start=1):
        problems += _labels(f"contest {n}: option", list(c.options))
        if not c.options or c.selection_limit < 1 or c.option_limit < 1:
            problems.append(f"contest {n} ({c.label!r}) has no options or a limit below 1")
        if (3 + 4 * len(c.options) + 31) // 32 > 16:
            problems.append(f"contest {n} ({c.label!r}) has too many options for 16 blocks of contest data")
    for s in manifest.ballot_styles:
        if not s.contests or len(set(s.contests)) != len(s.contests):
            problems.append(f"ballot style {s.label!r} is empty or repeats a contest")
        if any(not 1 <= i <= len(manifest.contests) for i in s.contests):
            problems.append(f"ballot style {s.label!r} names a contest index that does not exist")
    return problems


# --- Verification 1-4: parameters and keys ---------------------------------------------------------


def _verify_parameters(record: ElectionRecord, report: Report, version: str) -> None:
    params = record.parameters
    report.check(
        "1.A", params.version == version, f"record is for version {params.version!r}, verifier is {version!r}"
    )
    const = params.constants
    report.check("1.B", const.p == P.to_bytes(LEN_P, "big"), "the large prime p is not the §3.1.1 standard p")
    report.check("1.C", const.q == Q.to_bytes(LEN_Q, "big"), "the small prime q is not the §3.1.1 standard q")
    report.check("1.D", const.r == R.to_bytes(LEN_P, "big"), "the cofactor r is not the §3.1.1 standard r")
    report.check("1.E", const.g == G.to_bytes(LEN_P, "big"), "the generator g is not the §3.1.1 standard g")
    h_p = eh.parameter_base_hash(P, Q, G, version)
    report.check(
        "1.F",
        record.parameter_base_hash == h_p,
        f"H_P is {record.parameter_base_hash.hex()}, expected {h_p.hex()}",
    )
    problems = manifest_shape_problems(record.manifest)
    for problem in problems:
        report.fail("S", f"manifest: {problem}")
    h_m = eh.manifest_hash(h_p, encode(record.manifest))
    report.check(
        "1.G", record.manifest_hash == h_m, f"H_M is {record.manifest_hash.hex()}, expected {h_m.hex()}"
    )
    n, k = params.guardians, params.quorum
    report.check("1.H", 1 <= k <= n <= MAX_GUARDIANS, f"quorum k={k} and guardians n={n} violate 1 <= k <= n")
    h_b = eh.base_hash(h_p, h_m, n, k)
    report.check("1.H", record.base_hash == h_b, f"H_B is {record.base_hash.hex()}, expected {h_b.hex()}")


def verify_guardian_keys(
    h_p: bytes, keys: Sequence[GuardianPublicKey], n: int, k: int, report: Report
) -> None:
    """Verification 2 per guardian: commitments in Z_p^r (2.A), responses in Z_q (2.B), challenges (2.C)."""
    indices = [key.index for key in keys]
    report.check(
        "2", sorted(indices) == list(range(1, n + 1)), f"guardian indices {sorted(indices)} are not 1..{n}"
    )
    for key in keys:
        i = key.index
        if not report.check(
            "2",
            len(key.commitments) == k and len(key.proofs) == k,
            f"guardian {i} published {len(key.commitments)} commitments and {len(key.proofs)} proofs, "
            f"quorum is {k}",
        ):
            continue
        values = [_int(c) for c in key.commitments]
        members = all_in_subgroup(values)
        for j, (commitment, member, proof) in enumerate(zip(values, members, key.proofs, strict=True)):
            where = f"guardian {i} coefficient {j}"
            report.check("2.A", member, f"{where}: commitment K_{i},{j} is not in the order-q subgroup")
            v = _int(proof.response)
            report.check("2.B", v < Q, f"{where}: response v_{i},{j} is not in Z_q")
            if not member:
                continue
            h = mul_p(g_pow(v), pow_p(commitment, _int(proof.challenge)))  # (2.1)
            expected = eh.coefficient_proof_challenge(h_p, i, j, commitment, h)
            report.check(
                "2.C",
                proof.challenge == expected,
                f"{where}: Schnorr challenge c_{i},{j} does not match (eq. 12)",
            )


def _verify_joint_key(record: ElectionRecord, report: Report) -> int:
    with_keys = [key for key in record.guardians if key.commitments]  # the others failed step 2
    publics = [_int(key.commitments[0]) for key in with_keys]
    for key, public, member in zip(with_keys, publics, all_in_subgroup(publics), strict=True):
        report.check("3.A", member and public != 1, f"guardian {key.index}: K_i is not a valid public key")
    joint = _int(record.joint_key)
    expected = prod_p(publics)
    report.check(
        "3.B", joint == expected and joint != 1, "the joint key K is not the product of the guardian keys"
    )
    h_e = eh.extended_base_hash(record.base_hash, joint)
    report.check("4.A", record.extended_base_hash == h_e, "H_E != H(H_B; 0x12, K) (eq. 23)")
    return joint


# --- Verification 5-7: ballots ---------------------------------------------------------------------


class BallotChecker:
    """Checks single ballots against one election (Verification 5, 6, 7.A-7.B and shape).

    Build once per election (the K table costs ~85 ms); the ledger app can use it to admit ballots.
    """

    def __init__(self, manifest: Manifest, joint_key: int, extended_base_hash: bytes) -> None:
        problems = manifest_shape_problems(manifest)
        if problems:
            raise ValueError("; ".join(problems))
        if not is_in_subgroup(joint_key) or joint_key == 1:
            raise ValueError("the joint key is not an element of the order-q subgroup")
        self.manifest = manifest
        self.joint_key = joint_key
        self.h_e = extended_base_hash
        self.k_table = fixed_base(joint_key)

    def check_range_proof(
        self,
        report: Report,
        step: str,
        where: str,
        alpha: int,
        beta: int,
        proof: RangeProof,
        limit: int,
        hint: tuple[Sequence[bytes], _Claims] | None = None,
    ) -> None:
        """Verification 5 (or 6 with step "6"): (5.1)-(5.3), (5.B)-(5.D); the caller does 5.A/6.A.

        With ``hint`` = (the prover's commitments, the ballot's claims), the commitments are hashed
        as given and the equations (5.1)-(5.2) that must produce them are added to the claims,
        which the caller checks all at once (see :class:`_Claims`).
        """
        if not report.check(
            f"{step}.B",
            len(proof.challenges) == limit + 1 and len(proof.responses) == limit + 1,
            f"{where}: the range proof has {len(proof.challenges)} parts, expected {limit + 1}",
        ):
            return
        cs = [_int(c) for c in proof.challenges]  # 0 <= c_j < 2^256 holds by the 32-byte encoding (5.B)
        vs = [_int(v) for v in proof.responses]
        bad_v = [j for j, v in enumerate(vs) if v >= Q]
        if bad_v:
            report.fail(f"{step}.C", f"{where}: response v_{bad_v[0]} is not in Z_q")
            return
        report.passed[f"{step}.C"] += 1
        if hint is not None:
            given = [_int(x) for x in hint[0]]
            if not report.check(
                "H",
                len(given) == 2 * (limit + 1) and all(0 < x < P for x in given),
                f"{where}: the commitment hint is malformed",
            ):
                return
            commitments = list(zip(given[::2], given[1::2], strict=True))
            hint[1].add_range_proof(alpha, beta, cs, vs, commitments)
            c = eh.range_proof_challenge(self.h_e, self.joint_key, alpha, beta, commitments)
            report.check(
                f"{step}.D",
                eh.to_q(c) == sum(cs) % Q,
                f"{where}: the challenges c_j do not sum to the hash of the commitments (eq. 46)",
            )
            return
        alpha_c = pow_list(alpha, cs)
        beta_c = pow_list(beta, cs)
        commitments = [
            (
                mul_p(g_pow(v), a_c),  # a_j = g^v_j alpha^c_j (5.1)
                mul_p(self.k_table.pow(v - j * c), b_c),  # b_j = K^w_j beta^c_j, w_j = v_j - j c_j (5.2)
            )
            for j, (c, v, a_c, b_c) in enumerate(zip(cs, vs, alpha_c, beta_c, strict=True))
        ]
        c = eh.range_proof_challenge(self.h_e, self.joint_key, alpha, beta, commitments)  # (5.3)
        report.check(
            f"{step}.D",
            eh.to_q(c) == sum(cs) % Q,
            f"{where}: the challenges c_j do not sum to the hash of the commitments (eq. 46)",
        )

    def _contest(
        self,
        report: Report,
        where: str,
        contest: EncryptedContest,
        description: ContestDescription,
        pairs: list[tuple[int, int]],
        members: Sequence[bool],
        hints: tuple[Sequence[Sequence[bytes]], _Claims] | None,
    ) -> bytes:
        """5, 6 and 7.A for one contest whose shape was checked; ``members`` are the 5.A verdicts
        of alpha_1, beta_1, alpha_2, ... in order; ``hints`` the commitments of each option's proof
        and then of the limit proof, with the ballot's claims."""
        all_members = True
        for j, (sel, option) in enumerate(zip(contest.selections, description.options, strict=True), start=1):
            where_j = f"{where} option {j} ({option!r})"
            ok = members[2 * j - 2] and members[2 * j - 1]
            all_members &= ok
            if report.check("5.A", ok, f"{where_j}: alpha or beta is not in the order-q subgroup"):
                hint = None if hints is None else (hints[0][j - 1], hints[1])
                self.check_range_proof(
                    report, "5", where_j, *pairs[j - 1], sel.proof, description.option_limit, hint
                )
        report.check("6.A", all_members, f"{where}: a selection ciphertext is not in the order-q subgroup")
        if all_members:
            alpha_bar = prod_p(a for a, _ in pairs)  # (6.1)
            beta_bar = prod_p(b for _, b in pairs)  # (6.2)
            self.check_range_proof(
                report,
                "6",
                f"{where} selection limit",
                alpha_bar,
                beta_bar,
                contest.proof,
                description.selection_limit,
                None if hints is None else (hints[0][-1], hints[1]),
            )
        blocks = (3 + 4 * len(description.options) + 31) // 32
        report.check(
            "S", len(contest.data.c1) == 32 * blocks, f"{where}: contest data is not {blocks} blocks long"
        )
        chi = eh.contest_hash(self.h_e, contest.index, self.joint_key, pairs)  # (7.A)
        report.check(
            "7.A", contest.contest_hash == chi, f"{where}: contest hash chi_{contest.index} is wrong (eq. 57)"
        )
        return chi

    def verify_ballot(
        self,
        ballot: EncryptedBallot,
        report: Report | None = None,
        commitments: ProofCommitments | None = None,
    ) -> Report:
        """Shape, 5.A-5.D, 6.A-6.D, 7.A and 7.B for one ballot.

        With the prover's ``commitments`` (a hint, see :class:`~.records.ProofCommitments`) the
        range proofs are checked without recomputing them, about three times faster; if anything
        fails on that path the ballot is checked again the standard way, which names the failure
        and still accepts a valid ballot sent with wrong hints. The verdict is the same either way,
        except with probability at most 2^-64 for an invalid ballot (:class:`_Claims`).
        """
        report = Report() if report is None else report
        if commitments is not None:
            fast, claims = Report(), _Claims()
            self._verify_ballot(ballot, fast, (commitments, claims))
            if fast.ok and claims.hold(self.k_table):
                report.passed.update(fast.passed)
                report.passed["H"] += 1
                return report
        return self._verify_ballot(ballot, report, None)

    def _verify_ballot(
        self, ballot: EncryptedBallot, report: Report, hint: tuple[ProofCommitments, _Claims] | None
    ) -> Report:
        name = f"ballot {ballot.ballot_id!r}"
        styles = self.manifest.ballot_styles
        if not report.check(
            "S", 1 <= ballot.style <= len(styles), f"{name}: ballot style {ballot.style} does not exist"
        ):
            return report
        shown = sorted(styles[ballot.style - 1].contests)
        got = [c.index for c in ballot.contests]
        if not report.check(
            "S", got == shown, f"{name}: contests {got} do not match ballot style {ballot.style} ({shown})"
        ):
            return report
        wheres, pairs = [], []
        for c in ballot.contests:
            description = self.manifest.contests[c.index - 1]
            wheres.append(f"{name} contest {c.index} ({description.label!r})")
            shaped = report.check(
                "S",
                len(c.selections) == len(description.options),
                f"{wheres[-1]}: {len(c.selections)} encrypted options, "
                f"the manifest lists {len(description.options)}",
            )
            pairs.append(
                [(_int(s.ciphertext.alpha), _int(s.ciphertext.beta)) for s in c.selections] if shaped else []
            )
        flat = [x for contest_pairs in pairs for pair in contest_pairs for x in pair]
        # 5.A for the whole ballot at once: a probabilistic batch test (soundness error 2^-64, see
        # group.batch_in_subgroup); only when it fails are the values tested one by one, to name them.
        members = [True] * len(flat) if batch_in_subgroup(flat) else all_in_subgroup(flat)
        hints = None
        if hint is not None:
            proofs = hint[0].proofs
            wanted = sum(len(c.selections) + 1 for c in ballot.contests)
            if not report.check(
                "H",
                hint[0].ballot_id == ballot.ballot_id and len(proofs) == wanted,
                f"{name}: the commitment hint is for another ballot or has {len(proofs)} proofs, "
                f"not {wanted}",
            ):
                return report
            hints = []
            for end, c in zip(_ends(ballot), ballot.contests, strict=True):
                hints.append(proofs[end - len(c.selections) - 1 : end])
        hashes, start = [], 0
        for n, (c, where, contest_pairs) in enumerate(zip(ballot.contests, wheres, pairs, strict=True)):
            if not contest_pairs:
                hashes.append(b"")
                continue
            end = start + 2 * len(contest_pairs)
            description = self.manifest.contests[c.index - 1]
            contest_hints = None if hints is None or hint is None else (hints[n], hint[1])
            hashes.append(
                self._contest(report, where, c, description, contest_pairs, members[start:end], contest_hints)
            )
            start = end
        code = eh.confirmation_code(self.h_e, hashes, ballot.aux)
        report.check(
            "7.B", ballot.confirmation_code == code, f"{name}: confirmation code H(B) is wrong (eq. 58)"
        )
        return report


def _ends(ballot: EncryptedBallot) -> list[int]:
    """Where each contest's proofs end in a ballot's flat list of proofs (options, then the limit)."""
    ends, total = [], 0
    for c in ballot.contests:
        total += len(c.selections) + 1
        ends.append(total)
    return ends


class _Claims:
    """The range-proof equations of one ballot, checked together by a random linear combination.

    Each part j of a range proof on (alpha, beta) with prover commitments (a_j, b_j) claims
    a_j = g^v_j alpha^c_j and b_j = K^w_j beta^c_j (eq. 5.1, 5.2). With independent uniform
    64-bit weights r_j, s_j, :meth:`hold` checks the single equation

        g^(sum r_j v_j) K^(sum s_j w_j) prod alpha^(sum r_j c_j) beta^(sum s_j c_j) = prod a_j^r_j b_j^s_j

    (Bellare-Garay-Rabin's small-exponent test): one chain of squarings for every base instead of
    two full exponentiations per part. It always holds when every claim does. Sound only because
    (1) every alpha and beta was shown to be in Z_p^r first (5.A; the products of 6.1-6.2 then are
    too), so their exponents may be reduced mod q, and (2) every a_j, b_j is checked to be a
    quadratic residue here: then each quotient of the two sides of a claim lies in the subgroup of
    order q * (r/2) (two primes above 2^64), and a false claim survives the random combination with
    probability at most 2^-64, as in ``group.batch_in_subgroup``. The weights come from ``secrets``,
    which the ballot's author cannot predict.
    """

    __slots__ = ("bases", "commitments", "exponents", "g_exponent", "k_exponent", "randbits", "weights")

    def __init__(self, randbits: Callable[[int], int] = secrets.randbits) -> None:
        self.randbits = randbits
        self.g_exponent = 0
        self.k_exponent = 0
        self.bases: list[int] = []
        self.exponents: list[int] = []
        self.commitments: list[int] = []
        self.weights: list[int] = []

    def add_range_proof(
        self,
        alpha: int,
        beta: int,
        cs: Sequence[int],
        vs: Sequence[int],
        commitments: Sequence[tuple[int, int]],
    ) -> None:
        e_alpha = e_beta = 0
        for j, (c, v, (a, b)) in enumerate(zip(cs, vs, commitments, strict=True)):
            r, s = self.randbits(BATCH_EXPONENT_BITS), self.randbits(BATCH_EXPONENT_BITS)
            self.g_exponent += r * v
            self.k_exponent += s * (v - j * c)
            e_alpha += r * c
            e_beta += s * c
            self.commitments += (a, b)
            self.weights += (r, s)
        self.bases += (alpha, beta)
        self.exponents += (e_alpha % Q, e_beta % Q)

    def hold(self, k_table: FixedBase) -> bool:
        if not all_quadratic_residues(self.commitments):
            return False
        left = mul_p(
            g_pow(self.g_exponent), k_table.pow(self.k_exponent), multi_pow(self.bases, self.exponents)
        )
        return bool(left == multi_pow(self.commitments, self.weights))


def _verify_chains(record: ElectionRecord, report: Report, ballots: dict[str, EncryptedBallot]) -> None:
    """7.D-7.G per device, and that every ballot sits on exactly its own device's chain."""
    h_e = record.extended_base_hash
    on_chain: Counter[str] = Counter()
    device_ids = [d.device for d in record.devices]
    report.check(
        "7.D", len(set(device_ids)) == len(device_ids), "two device chains share a device identifier"
    )
    for chain in record.devices:
        _verify_chain(chain, h_e, report, ballots, record.manifest.chain_confirmation_codes)
        on_chain.update(chain.ballot_ids)
    for ballot_id in ballots:
        report.check(
            "7.E",
            on_chain[ballot_id] == 1,
            f"ballot {ballot_id!r} is on {on_chain[ballot_id]} device chains, expected 1",
        )


def _verify_chain(
    chain: DeviceChain, h_e: bytes, report: Report, ballots: dict[str, EncryptedBallot], chained: bool
) -> None:
    where = f"device {chain.device!r}"
    report.check(
        "7.D", chain.aux0 == eh.b_str(chain.device), f"{where}: B_aux,0 does not identify the device"
    )
    previous = eh.chain_initial_code(h_e, chain.aux0)  # H_0, eq. (59)
    for position, ballot_id in enumerate(chain.ballot_ids, start=1):
        ballot = ballots.get(ballot_id)
        if not report.check("7.E", ballot is not None, f"{where}: chain lists unknown ballot {ballot_id!r}"):
            return
        assert ballot is not None
        report.check(
            "7.E",
            ballot.device == chain.device,
            f"{where}: ballot {ballot_id!r} says it came from {ballot.device!r}",
        )
        expected = eh.chain_aux(previous, chain.aux0) if chained else chain.aux0
        report.check(
            "7.E",
            ballot.aux == expected,
            f"{where}: ballot {position} ({ballot_id!r}) B_aux is not H_{position - 1} || B_aux,0: "
            "the chain is broken",
        )
        previous = ballot.confirmation_code
    closing = eh.chain_closing_code(h_e, previous, chain.aux0)  # (7.F), (7.G)
    report.check(
        "7.G",
        chain.closing_code == closing,
        f"{where}: the closing hash does not close the chain at its last ballot",
    )


# --- Verification 8-10: tally ----------------------------------------------------------------------


def _verify_aggregation(
    manifest: Manifest, cast: Sequence[EncryptedBallot], tally: EncryptedTally, report: Report
) -> list[list[tuple[int, int]]]:
    """Verification 8: recompute (A, B) for every option from the cast ballots and compare."""
    sums = [[[1, 1] for _ in c.options] for c in manifest.contests]
    counts = [0] * len(manifest.contests)
    for ballot in cast:
        for contest in ballot.contests:
            if not 1 <= contest.index <= len(sums) or len(contest.selections) != len(sums[contest.index - 1]):
                continue  # a shape failure, already reported
            counts[contest.index - 1] += 1
            for acc, sel in zip(sums[contest.index - 1], contest.selections, strict=True):
                acc[0] = mul_p(acc[0], _int(sel.ciphertext.alpha))
                acc[1] = mul_p(acc[1], _int(sel.ciphertext.beta))
    report.check(
        "8",
        tally.ballot_count == len(cast),
        f"the tally claims {tally.ballot_count} cast ballots, the record has {len(cast)}",
    )
    indices = [c.index for c in tally.contests]
    if not report.check(
        "8",
        indices == list(range(1, len(manifest.contests) + 1)),
        f"the encrypted tally covers contests {indices}, not every manifest contest in order",
    ):
        return [[(a, b) for a, b in row] for row in sums]
    for tc, row, count, description in zip(tally.contests, sums, counts, manifest.contests, strict=True):
        if not report.check(
            "8", len(tc.ciphertexts) == len(row), f"tally contest {tc.index}: wrong number of options"
        ):
            continue
        report.check(
            "8",
            tc.ballot_count == count,
            f"tally contest {tc.index}: ballot count {tc.ballot_count}, expected {count}",
        )
        for j, (ct, (a, b), option) in enumerate(
            zip(tc.ciphertexts, row, description.options, strict=True), start=1
        ):
            where = f"tally contest {tc.index} ({description.label!r}) option {j} ({option!r})"
            report.check("8.A", _int(ct.alpha) == a, f"{where}: A is not the product of the cast alphas")
            report.check("8.B", _int(ct.beta) == b, f"{where}: B is not the product of the cast betas")
    return [[(a, b) for a, b in row] for row in sums]


def _decryption_proof(
    report: Report,
    step: str,
    where: str,
    h_e: bytes,
    k_table: FixedBase,
    a_big: int,
    b_big: int,
    m: int,
    proof: DecryptionProof,
) -> None:
    """Verification 9 / 12: a = g^v K^c, b = A^v M^c, c = H(H_E; 0x30, K, A, B, a, b, M)."""
    v = _int(proof.response)
    if not report.check(f"{step}.A", v < Q, f"{where}: response v is not in Z_q"):
        return
    c = _int(proof.challenge)
    joint_key = k_table.base
    a = mul_p(g_pow(v), k_table.pow(c))  # (9.2)
    b = mul_p(pow_p(a_big, v), pow_p(m, c))  # (9.3)
    expected = eh.decryption_proof_challenge(h_e, joint_key, a_big, b_big, a, b, m)
    report.check(
        f"{step}.B",
        proof.challenge == expected,
        f"{where}: decryption proof challenge does not match (eq. 71)",
    )


def check_decryption(
    report: Report,
    steps: tuple[str, str],
    where: str,
    h_e: bytes,
    k_table: FixedBase,
    ct: tuple[int, int],
    value: DecryptedValue,
    limit: int,
) -> None:
    """Verification 9 and 10.A (steps ("9", "10")) or 12 and 13.A (("12", "13")) for one decrypted value:
    M = B T^-1, the proof of M = A^s, T = K^t and 0 <= t <= limit."""
    t_elem = _int(value.t_value)
    if not report.check(steps[0], 0 < t_elem < P, f"{where}: T is not a non-zero element of Z_p"):
        return
    m = mul_p(ct[1], inv_p(t_elem))  # M = B T^-1 (9.1)
    _decryption_proof(report, steps[0], where, h_e, k_table, ct[0], ct[1], m, value.proof)
    report.check(
        f"{steps[1]}.A",
        0 <= value.value <= limit and t_elem == k_table.pow(value.value),
        f"{where}: T != K^t for the published t = {value.value} (or t outside 0..{limit})",
    )


def _verify_tally(
    record: ElectionRecord, sums: list[list[tuple[int, int]]], k_table: FixedBase, report: Report
) -> None:
    manifest, tally = record.manifest, record.tally
    h_e = record.extended_base_hash
    labels = [c.label for c in tally.contests]
    manifest_labels = [c.label for c in manifest.contests]
    for label in labels:
        report.check("10.B", label in manifest_labels, f"tally contest {label!r} is not in the manifest")
    for label in manifest_labels:
        report.check("10.E", label in labels, f"manifest contest {label!r} is missing from the tally")
    for dc in tally.contests:
        if not 1 <= dc.index <= len(manifest.contests) or manifest.contests[dc.index - 1].label != dc.label:
            report.fail(
                "10.B",
                f"tally contest {dc.index} ({dc.label!r}) does not match the manifest's contest {dc.index}",
            )
            continue
        description = manifest.contests[dc.index - 1]
        option_labels = [o.label for o in dc.options]
        for label in option_labels:
            report.check(
                "10.C",
                label in description.options,
                f"tally contest {dc.label!r}: option {label!r} is not in the manifest",
            )
        for label in description.options:
            report.check(
                "10.D",
                label in option_labels,
                f"tally contest {dc.label!r}: manifest option {label!r} is missing",
            )
        if option_labels != list(description.options):
            continue
        bound = record.encrypted_tally.ballot_count * description.option_limit
        for j, (value, ct) in enumerate(zip(dc.options, sums[dc.index - 1], strict=True), start=1):
            where = f"tally contest {dc.index} ({dc.label!r}) option {j} ({value.label!r})"
            check_decryption(report, ("9", "10"), where, h_e, k_table, ct, value, bound)


# --- Verification 12-14 and §3.6.5: challenged ballots ---------------------------------------------


def _contest_data_proof(
    report: Report,
    where: str,
    h_e: bytes,
    joint_key: int,
    data: HashedCiphertext,
    beta: int,
    proof: DecryptionProof,
) -> None:
    """Verification 14: a = g^v K^c, b = C0^v beta^c, c = H(H_E; 0x31, K, C0, C1, C2, a, b, beta)."""
    v = _int(proof.response)
    if not report.check("14.A", v < Q, f"{where}: contest data response v is not in Z_q"):
        return
    c = _int(proof.challenge)
    c0 = _int(data.c0)
    a = mul_p(g_pow(v), pow_p(joint_key, c))  # (14.1)
    b = mul_p(pow_p(c0, v), pow_p(beta, c))  # (14.2)
    expected = eh.contest_data_decryption_challenge(h_e, joint_key, c0, data.c1, data.c2, a, b, beta)
    report.check(
        "14.B",
        proof.challenge == expected,
        f"{where}: contest data decryption challenge does not match (eq. 81)",
    )


def _open_data(h_e: bytes, joint_key: int, index: int, data: HashedCiphertext, beta: int) -> bytes | None:
    """Decrypt contest data with beta (eq. 86-89); None when the MAC fails."""
    blocks = len(data.c1) // 32
    key = eh.contest_data_key(h_e, joint_key, _int(data.c0), beta)
    keys = eh.contest_data_kdf(key, index, blocks)
    if not _hmac.compare_digest(eh.hmac_sha256(keys[0], data.c0 + data.c1), data.c2):
        return None
    return b"".join(
        bytes(x ^ y for x, y in zip(data.c1[32 * n : 32 * n + 32], keys[n + 1], strict=True))
        for n in range(blocks)
    )


def _verify_decrypted_ballot(
    record: ElectionRecord,
    ballot: EncryptedBallot,
    decrypted: DecryptedBallot,
    k_table: FixedBase,
    report: Report,
) -> None:
    manifest, h_e, joint_key = record.manifest, record.extended_base_hash, _int(record.joint_key)
    name = f"challenged ballot {ballot.ballot_id!r}"
    if not report.check(
        "13.D",
        [c.index for c in decrypted.contests] == [c.index for c in ballot.contests],
        f"{name}: decrypted contests do not match the encrypted ballot's",
    ):
        return
    for dc, ec in zip(decrypted.contests, ballot.contests, strict=True):
        description = manifest.contests[ec.index - 1]
        where = f"{name} contest {ec.index} ({description.label!r})"
        if not report.check(
            "13.D", dc.label == description.label, f"{where}: label {dc.label!r} is not the manifest's"
        ):
            continue
        option_labels = [o.label for o in dc.options]
        report.check(
            "13.E",
            all(x in description.options for x in option_labels),
            f"{where}: an option label is not in the manifest",
        )
        if not report.check(
            "13.F", option_labels == list(description.options), f"{where}: options differ from the manifest"
        ):
            continue
        for j, (value, sel) in enumerate(zip(dc.options, ec.selections, strict=True), start=1):
            ct = (_int(sel.ciphertext.alpha), _int(sel.ciphertext.beta))
            check_decryption(
                report,
                ("12", "13"),
                f"{where} option {j} ({value.label!r})",
                h_e,
                k_table,
                ct,
                value,
                description.option_limit,
            )
        report.check(
            "13.B",
            all(0 <= o.value <= description.option_limit for o in dc.options),
            f"{where}: a selection is outside 0..{description.option_limit}",
        )
        report.check(
            "13.C",
            sum(o.value for o in dc.options) <= description.selection_limit,
            f"{where}: selections sum to more than the limit {description.selection_limit}",
        )
        beta = _int(dc.data.beta)
        if report.check(
            "14", is_in_subgroup(beta), f"{where}: contest data beta is not in the order-q subgroup"
        ):
            _contest_data_proof(report, where, h_e, joint_key, ec.data, beta, dc.data.proof)
            report.check(
                "14",
                _open_data(h_e, joint_key, ec.index, ec.data, beta) == dc.data.data,
                f"{where}: the published contest data is not what beta decrypts",
            )


def verify_ballot_reveal(
    manifest: Manifest,
    joint_key: int,
    h_e: bytes,
    ballot: EncryptedBallot,
    revealed: BallotReveal,
    k_table: FixedBase | None = None,
    report: Report | None = None,
) -> Report:
    """§3.6.5 with nonces (the Benaloh second-device check): re-derive the ciphertexts and the
    confirmation code from xi_B and the plaintext, and compare (step "R")."""
    report = Report() if report is None else report
    k_table = fixed_base(joint_key) if k_table is None else k_table
    name = f"challenged ballot {ballot.ballot_id!r}"
    plain = revealed.plaintext
    if not report.check(
        "R",
        revealed.ballot_id == ballot.ballot_id == plain.ballot_id,
        f"{name}: the reveal names another ballot",
    ):
        return report
    styles = manifest.ballot_styles
    if not report.check(
        "R",
        1 <= ballot.style <= len(styles) and styles[ballot.style - 1].label == plain.style,
        f"{name}: revealed style {plain.style!r} is not the ballot's",
    ):
        return report
    shown = sorted(styles[ballot.style - 1].contests)
    if not report.check(
        "R",
        [manifest.contests[i - 1].label for i in shown] == [c.label for c in plain.contests]
        and [c.index for c in ballot.contests] == shown,
        f"{name}: revealed contests do not match",
    ):
        return report
    nonce = revealed.ballot_nonce
    hashes: list[bytes] = []
    for ec, pc in zip(ballot.contests, plain.contests, strict=True):
        description = manifest.contests[ec.index - 1]
        where = f"{name} contest {ec.index} ({description.label!r})"
        votes = list(pc.votes)
        if not report.check(
            "R",
            len(votes) == len(description.options) == len(ec.selections)
            and all(0 <= v <= description.option_limit for v in votes),
            f"{where}: revealed votes malformed",
        ):
            return report
        overvote = sum(votes) > description.selection_limit
        counted = [0] * len(votes) if overvote else votes
        pairs = []
        for j, (value, sel) in enumerate(zip(counted, ec.selections, strict=True), start=1):
            xi = eh.selection_nonce(h_e, nonce, ec.index, j)
            alpha, beta = g_pow(xi), k_table.pow(value + xi)
            pairs.append((alpha, beta))
            report.check(
                "R",
                elem_bytes(alpha) == sel.ciphertext.alpha and elem_bytes(beta) == sel.ciphertext.beta,
                f"{where} option {j}: the ciphertext does not encrypt the revealed value {value}",
            )
        xi_d = eh.contest_data_nonce(h_e, nonce, ec.index)
        opened = _open_data(h_e, joint_key, ec.index, ec.data, k_table.pow(xi_d))
        report.check(
            "R",
            opened is not None and _int(ec.data.c0) == g_pow(xi_d),
            f"{where}: contest data is not encrypted with this nonce",
        )
        if opened is not None:
            report.check(
                "R",
                _data_status(opened) == _expected_status(votes, description),
                f"{where}: contest data status does not match the revealed selections",
            )
        hashes.append(eh.contest_hash(h_e, ec.index, joint_key, pairs))
    code = eh.confirmation_code(h_e, hashes, ballot.aux)
    report.check(
        "R", code == ballot.confirmation_code, f"{name}: re-encryption gives a different confirmation code"
    )
    return report


def _data_status(data: bytes) -> int:
    return data[0] if data else -1


def _expected_status(votes: Sequence[int], description: ContestDescription) -> int:
    total = sum(votes)
    if total > description.selection_limit:
        return 3
    if total == 0:
        return 2
    return 1 if total < description.selection_limit else 0


# --- The whole record ------------------------------------------------------------------------------


def _index_ballots(ballots: Iterable[SubmittedBallot], report: Report) -> dict[str, SubmittedBallot]:
    by_id: dict[str, SubmittedBallot] = {}
    codes: set[bytes] = set()
    for sb in ballots:
        bid = sb.ballot.ballot_id
        report.check("S", bid not in by_id, f"ballot id {bid!r} appears twice")
        report.check(
            "7.C",
            sb.ballot.confirmation_code not in codes,
            f"ballot {bid!r}: confirmation code {sb.ballot.confirmation_code.hex()[:16]}... is a duplicate",
        )
        codes.add(sb.ballot.confirmation_code)
        by_id[bid] = sb
    return by_id


def verify_election(
    record: ElectionRecord,
    version: str = SPEC_VERSION,
    commitments: Mapping[str, ProofCommitments] | None = None,
) -> Report:
    """Run every applicable verification step over a whole election record.

    ``commitments`` (by ballot id, optional) are the devices' proof commitments: ballots that have
    them are checked by :meth:`BallotChecker.verify_ballot`'s batched path, with the same verdicts.
    """
    report = Report()
    _verify_parameters(record, report, version)
    params = record.parameters
    verify_guardian_keys(
        record.parameter_base_hash, record.guardians, params.guardians, params.quorum, report
    )
    joint_key = _verify_joint_key(record, report)
    if not report.ok and report.steps_failed() & {"1.B", "1.C", "1.D", "1.E", "3.A", "3.B", "4.A", "S"}:
        report.fail("0", "parameters, manifest or keys are wrong: ballot and tally checks skipped")
        return report
    checker = BallotChecker(record.manifest, joint_key, record.extended_base_hash)
    by_id = _index_ballots(record.ballots, report)
    hints = {} if commitments is None else commitments
    for sb in record.ballots:
        checker.verify_ballot(sb.ballot, report, hints.get(sb.ballot.ballot_id))
    _verify_chains(record, report, {bid: sb.ballot for bid, sb in by_id.items()})
    cast = [sb.ballot for sb in record.ballots if sb.state == "cast"]
    sums = _verify_aggregation(record.manifest, cast, record.encrypted_tally, report)
    _verify_tally(record, sums, checker.k_table, report)
    _verify_challenged(record, by_id, checker.k_table, report)
    return report


def _verify_challenged(
    record: ElectionRecord, by_id: dict[str, SubmittedBallot], k_table: FixedBase, report: Report
) -> None:
    opened: Counter[str] = Counter()
    for decrypted in record.challenged_decryptions:
        sb = by_id.get(decrypted.ballot_id)
        if not report.check(
            "S",
            sb is not None and sb.state == "challenged",
            f"decrypted ballot {decrypted.ballot_id!r} is not a challenged ballot of the record",
        ):
            continue
        assert sb is not None
        opened[decrypted.ballot_id] += 1
        _verify_decrypted_ballot(record, sb.ballot, decrypted, k_table, report)
    for revealed in record.challenged_reveals:
        sb = by_id.get(revealed.ballot_id)
        if not report.check(
            "S",
            sb is not None and sb.state == "challenged",
            f"revealed ballot {revealed.ballot_id!r} is not a challenged ballot of the record",
        ):
            continue
        assert sb is not None
        opened[revealed.ballot_id] += 1
        verify_ballot_reveal(
            record.manifest,
            _int(record.joint_key),
            record.extended_base_hash,
            sb.ballot,
            revealed,
            k_table,
            report,
        )
    for bid, sb in by_id.items():
        if sb.state == "challenged":
            report.check("S", opened[bid] >= 1, f"challenged ballot {bid!r} was never decrypted (§3.6.5)")
