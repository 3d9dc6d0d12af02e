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
    from govledger.codec import encode
    from govledger.voting import group as gr
    from govledger.voting import hash as eh
    from govledger.voting.ballot import ElectionContext, device_aux0, encrypt_ballot, plaintext_ballot
    from govledger.voting.keyceremony import run_trusted_ceremony
    from govledger.voting.records import BallotStyle, ContestDescription, Manifest
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
    encrypted, enc_ms, ver_ms = [], [], []
    for plain in plains:
        t = time.perf_counter()
        b, _ = encrypt_ballot(ctx, plain, device="bench", aux=aux)
        enc_ms.append((time.perf_counter() - t) * 1e3)
        encrypted.append(b)
    for b in encrypted:
        t = time.perf_counter()
        report = checker.verify_ballot(b)
        ver_ms.append((time.perf_counter() - t) * 1e3)
        assert report.ok, report.summary()
    return {
        "python": sys.version.split()[0],
        "package": "govledger.voting (ElectionGuard 2.0.0)",
        "encrypt_ms": enc_ms,
        "verify_ms": ver_ms,
        "powmod_ms": _powmod_ms(lambda b, e, m: int(gr.powmod(b, e, m)), gr.G, gr.Q, gr.P),
        "selections": sum(len(c.selections) for c in encrypted[0].contests),
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


def table(ours: dict[str, Any], theirs: dict[str, Any] | None, ballots: int) -> str:
    """ms per ballot (median, min) and the same in "powmods": ms divided by that process's yardstick."""
    rows = [
        f"3-contest ballot (9 options), {ballots} ballots per side, one core. "
        "ms per ballot: median (min); [powmods] = median ms / powmod 4096-bit^256-bit ms of the same run",
        "",
    ]
    head = f"{'':<34}{'encrypt + prove':>28}{'verify':>28}{'powmod':>10}"
    rows += [head, "-" * len(head)]
    for r in (ours, theirs):
        if r is None:
            continue
        name = f"{r['package'].split(' (')[0]} (py {r['python']})"
        cells = [
            f"{_med(r, k):7.1f} (min {min(r[k]):6.1f}) [{_med(r, k) / r['powmod_ms']:4.0f}]"
            for k in ("encrypt_ms", "verify_ms")
        ]
        rows.append(f"{name:<34}{cells[0]:>28}{cells[1]:>28}{r['powmod_ms']:>7.2f} ms")
    if theirs is not None:
        base = theirs["powmod_ms"] / ours["powmod_ms"]
        rows.append("")
        for what, key in (("encryption", "encrypt_ms"), ("verification", "verify_ms")):
            raw = _med(theirs, key) / _med(ours, key)
            rows.append(
                f"{what:<13} 1.4.0 / ours per ballot: {raw:5.1f}x in ms, {raw / base:5.1f}x in powmods "
                f"(target >= 10x: {'met' if min(raw, raw / base) >= 10 else 'NOT met'})"
            )
        both = (_med(theirs, "encrypt_ms") + _med(theirs, "verify_ms")) / (
            _med(ours, "encrypt_ms") + _med(ours, "verify_ms")
        )
        rows.append(
            f"{'both':<13} 1.4.0 / ours per ballot: {both:5.1f}x in ms, {both / base:5.1f}x in powmods"
        )
        rows.append(
            f"encrypted selections per ballot: ours {ours['selections']}, 1.4.0 {theirs['selections']} "
            "(1.x adds a placeholder per allowed vote); yardstick ratio 1.4.0 / ours "
            f"{base:.2f} (above 1: its process ran on a busier machine)"
        )
    return "\n".join(rows)


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds of one side as one result: all ballots' times, the median yardstick."""
    merged = dict(parts[0])
    for key in ("encrypt_ms", "verify_ms"):
        merged[key] = [x for p in parts for x in p[key]]
    merged["powmod_ms"] = statistics.median(p["powmod_ms"] for p in parts)
    return merged


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ballots", type=int, default=20, help="ballots per side (split over the rounds)")
    ap.add_argument("--rounds", type=int, default=2, help="alternate ours/theirs this many times (drift)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--ours-only", action="store_true")
    args = ap.parse_args()
    python = None
    if not args.ours_only:
        python, why = ensure_venv()
        if python is None:
            print(f"electionguard 1.4.0 not measured: {why}", file=sys.stderr)
    per_round = max(1, args.ballots // args.rounds)
    ours_parts, theirs_parts = [], []
    for r in range(args.rounds):
        ours_parts.append(run_ours(per_round, args.seed + r))
        if python is not None:
            theirs_parts.append(run_theirs(python, per_round, args.seed + r))
    theirs = _merge(theirs_parts) if theirs_parts else None
    print(table(_merge(ours_parts), theirs, per_round * args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
