"""Ballot encryption and verification per second, ours (ElectionGuard 2.0, `govledger.voting`) beside the
PyPI `electionguard` 1.4.0 package, on the same 3-contest manifest, in the same run.

    .venv/bin/python benchmarks/voting_bench.py                 # 20 ballots each (~1-2 min + venv setup)
    .venv/bin/python benchmarks/voting_bench.py --ballots 50
    .venv/bin/python benchmarks/voting_bench.py --ours-only

How it measures, and why:
- The manifest is the one of the app's tests: "mayor" (1 of alice, bob, carol), "council" (2 of dan,
  eve, frank, grace), "measure-1" (yes/no): 9 options, each voter filling every contest. In 1.4 the
  same contests are a 1-of-3, a 2-of-4 and a 1-of-2 `ContestDescription` (1.x adds one placeholder
  selection per allowed vote, so its ballots carry 13 encrypted selections to our 9: that is the
  1.x design, and part of what is compared).
- Encryption includes every proof and the confirmation code; verification checks every proof of
  one ballot (ours: `verify.BallotChecker.verify_ballot`, Verification 5, 6 and 7.A-7.B; theirs:
  `CiphertextBallot.is_valid_encryption`, its selection and contest proofs and hashes). The ledger
  spends the verification time once per ballot per validator, so that is the figure that bounds
  MAX_BALLOTS_PER_BLOCK.
- Ours is verified two ways: the ElectionGuard 2.0 ballot alone ("verify", proofs in challenge-
  response form, so every commitment is recomputed: two variable-base exponentiations per proof
  part), and the same ballot with the device's proof commitments beside it ("verify + commitments",
  `records.ProofCommitments`, which is what 1.4's ballots carry inside their proofs): then the
  equations are checked together by one random linear combination. Both batch the subgroup tests
  (Jacobi symbols plus a 64-bit small-exponent product; soundness error 2^-64, docs/voting.md).
- "ledger check" is what a validator runs to admit a cast: the `cast_ballot` body carrying the
  commitments, decoded strictly (`codec.decode`), then `apps.voting.crypto.check_ballot` without the
  app's verdict cache. Set beside 1.4.0's verification of the same ballot.
- Both sides use GMP through gmpy2 and one core; each side's election key (a 5-guardian, quorum-3
  ceremony for ours, one ElGamal key pair for theirs: key generation is not timed and does not change
  the cost of a ballot) and tables are built before timing. Medians are reported, with the minimum.
  The two sides alternate (`--rounds`, default 2) so that a drift in the machine's load hits both.
- `electionguard` 1.4.0 does not import on Python 3.11 (a dataclass with a mutable default), so it
  runs on Python 3.10 in its own venv, created here under `.bench-venvs/` on first use
  (`pip install electionguard==1.4.0 dacite==1.6.0 hypothesis`), driven by a small script over a
  subprocess that prints JSON. Python 3.10 is looked for in pyenv (`pyenv root`/versions/3.10.*),
  then on PATH; without it only our figures are printed, and the script says why.
- The machines are shared and noisy: a 4096-bit modular exponentiation with a 256-bit exponent is
  timed on each side in the same run as a yardstick.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".bench-venvs" / "electionguard-1.4.0"
PACKAGES = ("electionguard==1.4.0", "dacite==1.6.0", "hypothesis")

CONTESTS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("mayor", ("alice", "bob", "carol"), 1),
    ("council", ("dan", "eve", "frank", "grace"), 2),
    ("measure-1", ("yes", "no"), 1),
)


def choices(rnd: random.Random) -> dict[str, list[str]]:
    """Every contest filled: exactly `limit` options chosen (the same ballots on both sides)."""
    return {label: sorted(rnd.sample(options, limit)) for label, options, limit in CONTESTS}


# --- ours ----------------------------------------------------------------------------------------------


def run_ours(ballots: int, seed: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "src"))
    from govledger.apps.voting.crypto import check_ballot
    from govledger.apps.voting.model import CastBallot
    from govledger.codec import decode, encode
    from govledger.ledger.tx import MAX_BODY_BYTES
    from govledger.voting import group as gr
    from govledger.voting import hash as eh
    from govledger.voting.ballot import ElectionContext, device_aux0, encrypt_ballot, plaintext_ballot
    from govledger.voting.keyceremony import run_trusted_ceremony
    from govledger.voting.records import BallotStyle, ContestDescription, Manifest, ProofCommitments
    from govledger.voting.verify import BallotChecker

    manifest = Manifest(
        label="bench",
        contests=tuple(
            ContestDescription(label, options, selection_limit=lim) for label, options, lim in CONTESTS
        ),
        ballot_styles=(BallotStyle("all", (1, 2, 3)),),
        chain_confirmation_codes=False,
    )
    h_p = eh.parameter_base_hash(gr.P, gr.Q, gr.G)
    h_b = eh.base_hash(h_p, eh.manifest_hash(h_p, encode(manifest)), 5, 3)
    ceremony = run_trusted_ceremony(5, 3, h_p)
    h_e = eh.extended_base_hash(h_b, ceremony.joint_key)
    ctx = ElectionContext.create(manifest, ceremony.joint_key, h_e)
    checker = BallotChecker(manifest, ceremony.joint_key, h_e)
    rnd = random.Random(seed)
    plains = [
        plaintext_ballot(manifest, f"b{n}", "all", {c: dict.fromkeys(o, 1) for c, o in choices(rnd).items()})
        for n in range(ballots)
    ]
    aux = device_aux0("bench")
    encrypted, enc_ms, ver_ms, hint_ms, ledger_ms = [], [], [], [], []
    for plain in plains:
        out: list[tuple[bytes, ...]] = []
        t = time.perf_counter()
        b, _ = encrypt_ballot(ctx, plain, device="bench", aux=aux, commitments_out=out)
        enc_ms.append((time.perf_counter() - t) * 1e3)
        encrypted.append((b, ProofCommitments(b.ballot_id, tuple(out))))
    for b, hint in encrypted:  # alternate the two ways ballot by ballot, so that drift hits both
        t = time.perf_counter()
        report = checker.verify_ballot(b)
        ver_ms.append((time.perf_counter() - t) * 1e3)
        assert report.ok and "H" not in report.passed, report.summary()
        t = time.perf_counter()
        report = checker.verify_ballot(b, commitments=hint)
        hint_ms.append((time.perf_counter() - t) * 1e3)
        assert report.ok and report.passed["H"] > 0, report.summary()
        # what a validator runs for a cast_ballot body (strict decoding, then the app's check), uncached
        raw = encode(CastBallot("bench", bytes(32), b, hint))
        assert len(raw) <= MAX_BODY_BYTES, f"a cast with commitments takes {len(raw)} bytes"
        t = time.perf_counter()
        body = decode(raw, CastBallot, max_bytes=MAX_BODY_BYTES)
        problems = check_ballot(checker, body.ballot, body.commitments)
        ledger_ms.append((time.perf_counter() - t) * 1e3)
        assert not problems, problems
    return {
        "python": sys.version.split()[0],
        "package": "govledger.voting (ElectionGuard 2.0.0)",
        "encrypt_ms": enc_ms,
        "verify_ms": ver_ms,
        "verify_hint_ms": hint_ms,
        "ledger_ms": ledger_ms,
        "cast_bytes": len(encode(CastBallot("bench", bytes(32), *encrypted[0]))),
        "powmod_ms": _powmod_ms(lambda b, e, m: int(gr.powmod(b, e, m)), gr.G, gr.Q, gr.P),
        "selections": sum(len(c.selections) for c in encrypted[0][0].contests),
    }


def _powmod_ms(powmod: Any, g: int, q: int, p: int) -> float:
    t = time.perf_counter()
    for k in range(20):
        powmod(g, q - 12345 - k, p)
    return (time.perf_counter() - t) / 20 * 1e3


# --- electionguard 1.4.0, in its own interpreter ------------------------------------------------------------

THEIRS = r"""
import json, random, sys, time
from datetime import datetime
import gmpy2
from electionguard.ballot import PlaintextBallot, PlaintextBallotContest, PlaintextBallotSelection
from electionguard.constants import get_generator, get_large_prime, get_small_prime
from electionguard.election import make_ciphertext_election_context
from electionguard.elgamal import elgamal_keypair_random
from electionguard.encrypt import encrypt_ballot
from electionguard.group import ONE_MOD_Q
from electionguard.manifest import (BallotStyle, Candidate, ContestDescription, ElectionType,
    GeopoliticalUnit, InternalManifest, Manifest, ReportingUnitType, SelectionDescription, SpecVersion,
    VoteVariationType)

spec = json.loads(sys.argv[1])
contests, ballots, seed = spec["contests"], spec["ballots"], spec["seed"]
candidates = [Candidate(f"{c}-{o}") for c, options, _ in contests for o in options]
descriptions = [
    ContestDescription(c, n, "county", VoteVariationType.one_of_m if lim == 1 else VoteVariationType.n_of_m,
        lim, lim, c, [SelectionDescription(f"{c}-{o}", j, f"{c}-{o}") for j, o in enumerate(options)])
    for n, (c, options, lim) in enumerate(contests)
]
manifest = Manifest("bench", SpecVersion.EG0_95, ElectionType.general, datetime(2026, 11, 27),
    datetime(2026, 11, 27), [GeopoliticalUnit("county", "Test County", ReportingUnitType.county)], [],
    candidates, descriptions, [BallotStyle("all", ["county"])])
internal = InternalManifest(manifest)
keys = elgamal_keypair_random()
context = make_ciphertext_election_context(5, 3, keys.public_key, ONE_MOD_Q, internal.manifest_hash)
rnd = random.Random(seed)
plains = []
for n in range(ballots):
    chosen = {label: sorted(rnd.sample(options, lim)) for label, options, lim in contests}
    plains.append(PlaintextBallot(f"b{n}", "all", [
        PlaintextBallotContest(c, [PlaintextBallotSelection(f"{c}-{o}", 1) for o in chosen[c]])
        for c, _, _ in contests]))
encrypted, enc_ms, ver_ms = [], [], []
seed_hash = internal.manifest_hash
for plain in plains:
    t = time.perf_counter()
    b = encrypt_ballot(plain, internal, context, seed_hash)
    enc_ms.append((time.perf_counter() - t) * 1e3)
    assert b is not None
    encrypted.append(b)
for b in encrypted:
    t = time.perf_counter()
    ok = b.is_valid_encryption(
        internal.manifest_hash, context.elgamal_public_key, context.crypto_extended_base_hash)
    ver_ms.append((time.perf_counter() - t) * 1e3)
    assert ok
g, q, p = get_generator(), get_small_prime(), get_large_prime()
t = time.perf_counter()
for k in range(20):
    gmpy2.powmod(g, q - 12345 - k, p)
powmod_ms = (time.perf_counter() - t) / 20 * 1e3
import importlib.metadata as md
print(json.dumps({"python": sys.version.split()[0], "package": "electionguard " + md.version("electionguard"),
    "encrypt_ms": enc_ms, "verify_ms": ver_ms, "powmod_ms": powmod_ms,
    "selections": sum(len(c.ballot_selections) for c in encrypted[0].contests)}))
"""


def find_python310() -> Path | None:
    roots = []
    if shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False).stdout.strip()
        if out:
            roots.append(Path(out))
    roots.append(Path.home() / ".pyenv")
    for root in roots:
        for candidate in sorted((root / "versions").glob("3.10.*"), reverse=True):
            if (candidate / "bin" / "python").exists():
                return candidate / "bin" / "python"
    on_path = shutil.which("python3.10")
    return Path(on_path) if on_path else None


def ensure_venv() -> tuple[Path | None, str]:
    """The 3.10 venv with electionguard 1.4.0 (created on first use); or None and why not."""
    python = VENV / "bin" / "python"
    probe = [str(python), "-c", "import electionguard, dacite"]
    if python.exists() and subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return python, ""
    base = find_python310()
    if base is None:
        return None, "no Python 3.10 found (pyenv or PATH); electionguard 1.4.0 does not import on 3.11"
    print(
        f"creating {VENV.relative_to(ROOT)} with {base} and {' '.join(PACKAGES)} ...",
        file=sys.stderr,
        flush=True,
    )
    VENV.parent.mkdir(parents=True, exist_ok=True)
    steps = [[str(base), "-m", "venv", str(VENV)], [str(python), "-m", "pip", "install", "-q", *PACKAGES]]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return None, f"{' '.join(step[:4])} failed: {done.stderr.strip().splitlines()[-1:]}"
    if subprocess.run(probe, capture_output=True, check=False).returncode != 0:
        return None, "electionguard 1.4.0 was installed but does not import"
    return python, ""


def run_theirs(python: Path, ballots: int, seed: int) -> dict[str, Any]:
    spec = json.dumps({"contests": [list(c) for c in CONTESTS], "ballots": ballots, "seed": seed})
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(python), "-c", THEIRS, spec], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"electionguard 1.4.0 run failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- report ---------------------------------------------------------------------------------------------


def _med(r: dict[str, Any], what: str) -> float:
    return float(statistics.median(r[what]))


COLUMNS: tuple[tuple[str, str], ...] = (
    ("encrypt + prove", "encrypt_ms"),
    ("verify", "verify_ms"),
    ("verify + commitments", "verify_hint_ms"),
    ("ledger check (cast)", "ledger_ms"),
)


def _pm(r: dict[str, Any], key: str) -> float:
    return _med(r, key) / float(r["powmod_ms"])


def ratios(ours: dict[str, Any], theirs: dict[str, Any]) -> list[tuple[str, float, float]]:
    """(what, 1.4.0 / ours in ms, 1.4.0 / ours in powmods) per ballot, medians."""
    out = [("encryption", _med(theirs, "encrypt_ms") / _med(ours, "encrypt_ms"), 0.0)]
    out += [
        (what, _med(theirs, "verify_ms") / _med(ours, key), 0.0)
        for what, key in (
            ("verification", "verify_ms"),
            ("verification + commitments", "verify_hint_ms"),
            ("ledger check", "ledger_ms"),
        )
    ]
    base = float(theirs["powmod_ms"]) / float(ours["powmod_ms"])
    return [(what, raw, raw / base) for what, raw, _ in out]


def table(ours: dict[str, Any], theirs: dict[str, Any] | None, ballots: int) -> str:
    """ms per ballot (median, min) and the same in "powmods": ms divided by that process's yardstick."""
    rows = [
        f"3-contest ballot (9 options), {ballots} ballots per side, one core. "
        "ms per ballot: median (min); [powmods] = median ms / powmod 4096-bit^256-bit ms of the same run",
        "",
    ]
    head = f"{'':<34}" + "".join(f"{title:>28}" for title, _ in COLUMNS) + f"{'powmod':>10}"
    rows += [head, "-" * len(head)]
    for r in (ours, theirs):
        if r is None:
            continue
        name = f"{r['package'].split(' (')[0]} (py {r['python']})"
        cells = [
            f"{_med(r, k):7.1f} (min {min(r[k]):6.1f}) [{_pm(r, k):4.0f}]" if k in r else "-"
            for _, k in COLUMNS
        ]
        rows.append(f"{name:<34}" + "".join(f"{c:>28}" for c in cells) + f"{r['powmod_ms']:>7.2f} ms")
    if theirs is not None:
        rows.append("")
        for what, raw, norm in ratios(ours, theirs):
            rows.append(
                f"{what:<27} 1.4.0 / ours per ballot: {raw:5.1f}x in ms, {norm:5.1f}x in powmods "
                f"(target >= 10x: {'met' if min(raw, norm) >= 10 else 'NOT met'})"
            )
        base = theirs["powmod_ms"] / ours["powmod_ms"]
        rows.append(
            f"encrypted selections per ballot: ours {ours['selections']}, 1.4.0 {theirs['selections']} "
            "(1.x adds a placeholder per allowed vote); yardstick ratio 1.4.0 / ours "
            f'{base:.2f} (above 1: its process ran on a busier machine). "verify" checks the '
            'ElectionGuard 2.0 ballot alone; "+ commitments" with the device\'s proof commitments beside it.'
        )
    return "\n".join(rows)


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds of one side as one result: all ballots' times, the median yardstick."""
    merged = dict(parts[0])
    for _, key in COLUMNS:
        if key in parts[0]:
            merged[key] = [x for p in parts for x in p[key]]
    merged["powmod_ms"] = statistics.median(p["powmod_ms"] for p in parts)
    return merged


def measure(
    ballots: int, rounds: int, seed: int, with_theirs: bool
) -> tuple[dict[str, Any], dict[str, Any] | None, str]:
    """Both sides, alternating ``rounds`` times; (ours, theirs or None, why theirs is missing)."""
    python, why = ensure_venv() if with_theirs else (None, "not asked for")
    if with_theirs and python is None:
        print(f"electionguard 1.4.0 not measured: {why}", file=sys.stderr)
    per_round = max(1, ballots // rounds)
    ours_parts, theirs_parts = [], []
    for r in range(rounds):
        print(f"  round {r + 1}/{rounds}: ours, {per_round} ballots ...", flush=True)
        ours_parts.append(run_ours(per_round, seed + r))
        if python is not None:
            print(f"  round {r + 1}/{rounds}: electionguard 1.4.0, {per_round} ballots ...", flush=True)
            theirs_parts.append(run_theirs(python, per_round, seed + r))
    return _merge(ours_parts), (_merge(theirs_parts) if theirs_parts else None), why


def section(smoke: bool) -> list[str]:
    """The Markdown section for docs/benchmarks.md (benchmark module contract)."""
    ballots, rounds = (2, 1) if smoke else (20, 2)
    ours, theirs, why = measure(ballots, rounds, 2026, with_theirs=not smoke)
    assert all(ours[k] and min(ours[k]) > 0 for _, k in COLUMNS), "no ballot was encrypted and verified"
    print(table(ours, theirs, len(ours["verify_ms"])))
    lines = [
        "## Ballots: ElectionGuard 2.0 here beside electionguard 1.4.0 (same run)",
        "",
        "`make bench`, module `benchmarks/voting_bench.py`: the same 3-contest ballot (9 options) "
        f"encrypted and verified on one core, {len(ours['verify_ms'])} ballots per side; ms per ballot, "
        "and [powmods]: the median divided by one 4096-bit powmod with a 256-bit exponent timed in the "
        "same process (the machine is shared: that ratio is the stable figure).",
        "",
        "| ms per ballot | median | min | max | [powmods] | electionguard 1.4.0 median (min, max) [powmods] "
        "| 1.4.0 / ours (ms; powmods) |",
        "|---|---|---|---|---|---|---|",
    ]
    theirs_key = {
        "encrypt_ms": "encrypt_ms",
        "verify_ms": "verify_ms",
        "verify_hint_ms": "verify_ms",
        "ledger_ms": "verify_ms",
    }
    for title, key in COLUMNS:
        xs = ours[key]
        row = f"| {title} | {_med(ours, key):.1f} | {min(xs):.1f} | {max(xs):.1f} | {_pm(ours, key):.0f} |"
        if theirs is None:
            row += " not measured | - |"
        else:
            tk = theirs_key[key]
            raw = _med(theirs, tk) / _med(ours, key)
            norm = raw / (theirs["powmod_ms"] / ours["powmod_ms"])
            row += (
                f" {_med(theirs, tk):.1f} ({min(theirs[tk]):.1f}, {max(theirs[tk]):.1f})"
                f" [{_pm(theirs, tk):.0f}] | {raw:.1f}x; {norm:.1f}x |"
            )
        lines.append(row)
    lines += [
        "",
        '"verify" checks the ElectionGuard 2.0 ballot alone; "verify + commitments" the same ballot '
        "with the device's proof commitments beside it (`records.ProofCommitments`), both against "
        "1.4.0's `is_valid_encryption`. \"ledger check\" is a ballot's admission as every validator "
        "runs it: the `cast_ballot` body with the commitments "
        f"({ours['cast_bytes']:,} bytes) decoded strictly and checked by `apps.voting.crypto.check_ballot`, "
        "uncached, one core. " + ("" if theirs is not None else f"electionguard 1.4.0: {why}."),
        "",
    ]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ballots", type=int, default=20, help="ballots per side (split over the rounds)")
    ap.add_argument("--rounds", type=int, default=2, help="alternate ours/theirs this many times (drift)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--ours-only", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="the contract's smoke run: 2 ballots, ours only")
    ap.add_argument("--markdown", action="store_true", help="print the docs/benchmarks.md section")
    args = ap.parse_args()
    if args.smoke or args.markdown:
        print("\n".join(section(args.smoke)))
        return 0
    ours, theirs, _ = measure(args.ballots, args.rounds, args.seed, with_theirs=not args.ours_only)
    print(table(ours, theirs, len(ours["verify_ms"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
