"""A whole election run by its official and guardians through `govledger election ...` only.

A real single-validator node (block production on its own thread, LMDB storage, the API in process)
answers a verifying SDK client; every step is a CLI command with real key files in a temporary home.
The one thing the test does itself is let time pass: it commits an empty block at the window's
opening and closing times (block time drives the phases, and nobody waits an hour in a test).

3 guardians, quorum 2; three voters cast with `election cast`; guardian 2 stays away on counting
day; the result is what they voted and `election verify` passes on the exported record. Then the
refusals: wrong passphrase, another guardian's state file, commands in the wrong phase, each exit 2
with its code. The official's corrections (reschedule, a restarted ceremony with a replaced
guardian, a revoked credential whose ballot leaves the tally) and a voter's challenged ballot run
through their commands too. Last, the complaint path of the guardian's code (which the CLI cannot
provoke with honest guardians), over the in-memory ledger: a mistaken complaint is dismissed and the revealed
share used, a damaged share is complained about and the complaint upheld.
"""

from __future__ import annotations

import base64
import json
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's TestClient warns that httpx support is deprecated
    from fastapi.testclient import TestClient
from typer.testing import CliRunner

from govledger.api import create_app
from govledger.apps.voting import officials, queries
from govledger.apps.voting.model import ComplainShare, ComplaintEntry, ElectionId, SharesFor
from govledger.cli import election as election_cli
from govledger.cli import election_officials
from govledger.cli.common import CliState
from govledger.cli.main import app as main_app
from govledger.crypto.keyfile import seal, sealed_public, unseal
from govledger.errors import GovledgerError
from govledger.node.node import Node, NodeConfig
from govledger.sdk import Client
from govledger.voting import keyceremony
from govledger.voting.group import from_bytes
from govledger.voting.records import EncryptedShare, ShareComplaint

from . import world as w
from .harness import HOUR_MS, VALIDATOR_KEY, A, Ledger, SeededRandom, VotingChain, credential, key

pytestmark = [
    pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`"),
    pytest.mark.filterwarnings("ignore:You should not use the 'timeout' argument"),
]

E = "council-2027"
PASSPHRASE = "correct horse battery staple"
SCRYPT_N = 16  # tests only: key and state files cheap to open
GUARDIANS = ("guardian-1", "guardian-2", "guardian-3")
# the harness genesis: official-1 is key 2, guardian-i is key 10 + i
GOVERNANCE_KEYS = {"official-1": key(2), **{g: key(11 + n) for n, g in enumerate(GUARDIANS)}}
VOTERS = {"v1": 1, "v2": 2, "v3": 3}
VOTES = {
    "v1": {"mayor": {"alice": 1}, "measure": {"yes": 1}},
    "v2": {"mayor": {"bob": 1}, "measure": {"yes": 1}},
    "v3": {"mayor": {"alice": 1}, "measure": {"no": 1}},
}


def election_file(opens_ms: int) -> dict[str, object]:
    """What an official writes: the manifest with the election's people, quorum and window."""
    return {
        "election_id": E,
        "authority_org": "commission",
        "guardians": list(GUARDIANS),
        "quorum": 2,
        "opens": opens_ms,
        "closes": _iso(opens_ms + HOUR_MS),
        "manifest": {
            "label": "cli-test",
            "contests": [
                {"label": "mayor", "options": ["alice", "bob", "carol"], "selection_limit": 1},
                {"label": "measure", "options": ["yes", "no"]},
            ],
            "ballot_styles": [{"label": "all", "contests": [1, 2]}],
        },
    }


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


@dataclass
class Net:
    node: Node
    home: Path
    opens_ms: int
    printed: list[str] = field(default_factory=list)  # everything the commands wrote

    def pass_time_to(self, time_ms: int) -> None:
        """An empty block at `time_ms`: the per-block hook opens or closes the poll."""
        block = self.node.produce_block(time_ms=time_ms)
        assert block is not None and block.header.time_ms >= time_ms


@pytest.fixture
def net(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Net]:
    VotingChain(tmp_path / "chain").close()  # block 0 from the voting harness genesis
    home = tmp_path / "home"
    st = CliState(home=home, passphrase=PASSPHRASE, scrypt_n=SCRYPT_N)
    for name, k in GOVERNANCE_KEYS.items():
        st.save_key(name, k)
    for name, n in VOTERS.items():
        st.save_key(name, credential(n))
    node = Node(NodeConfig(data_dir=tmp_path, sync=False, block_interval_ms=20), key(VALIDATOR_KEY))
    node.start()
    try:
        with TestClient(create_app(node)) as api, Client("http://testserver", http=api) as client:
            monkeypatch.setattr(election_cli, "_client", lambda ctx, url: client)
            monkeypatch.setattr(election_officials, "_client", lambda ctx, url: client)
            opens_ms = int(time.time() * 1000) + HOUR_MS
            yield Net(node, home, opens_ms)
    finally:
        node.stop()


def cli(net: Net, *args: str, passphrase: str = PASSPHRASE) -> tuple[int, str, str]:
    argv = [
        "--home",
        str(net.home),
        "--passphrase",
        passphrase,
        "--scrypt-n",
        str(SCRYPT_N),
        "election",
        *args,
    ]
    result = CliRunner().invoke(main_app, argv)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    net.printed += [result.stdout, result.stderr]
    return result.exit_code, result.stdout, result.stderr


def ok(net: Net, *args: str) -> Any:
    code, out, err = cli(net, *args)
    assert code == 0, err
    answer = json.loads(out)
    assert isinstance(answer, dict)
    return answer


def refused(net: Net, code: str, *args: str, passphrase: str = PASSPHRASE) -> str:
    exit_code, _, err = cli(net, *args, passphrase=passphrase)
    assert exit_code == 2, err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"error: {code}: "), line
    return line


def guardian(net: Net, step: str, name: str, *more: str) -> Any:
    return ok(net, "guardian", step, "--election", E, "--key", name, *more)


def cast(net: Net, voter: str, *more: str) -> Any:
    """`election cast` by `voter` with their choices from VOTES."""
    choices = json.dumps(VOTES[voter])
    return ok(
        net, "cast", "--election", E, "--credential", voter, "--style", "all", "--choices", choices, *more
    )


def create(net: Net, tmp: Path) -> None:
    path = tmp / "election.json"
    path.write_text(json.dumps(election_file(net.opens_ms)))
    answer = ok(net, "create", "--manifest", str(path), "--key", "official-1")
    assert answer["phase"] == "key_ceremony"


def ceremony(net: Net) -> None:
    for g in GUARDIANS:
        guardian(net, "init", g)
    for g in GUARDIANS:
        guardian(net, "commit", g)
    for g in GUARDIANS:
        assert guardian(net, "shares", g)["shares"] == 2
    for g in GUARDIANS:
        checked = guardian(net, "check", g)
        assert checked["waiting_for"] == [] and checked["complained_about"] == [], checked
        assert len(checked["verified_from"]) == 2
    confirmed = [guardian(net, "confirm", g)["key_ready"] for g in GUARDIANS]
    assert confirmed == [False, False, True]


def test_a_whole_election_from_the_command_line(net: Net, tmp_path: Path) -> None:
    started = time.perf_counter()
    create(net, tmp_path)
    ceremony(net)
    status = ok(net, "status", E)
    assert status["phase"] == "key_ready" and status["key_ready"] is True
    assert [g["confirmed"] for g in status["guardians"]] == [True, True, True]
    # a ceremony step once the key is ready is in the wrong phase
    refused(net, "voting.wrong_phase", "guardian", "commit", "--election", E, "--key", "guardian-1")

    creds = [a for name in VOTERS for a in ("--credential", name)]
    assert (
        ok(net, "register", "--election", E, "--style", "all", *creds, "--key", "official-1")["registered"]
        == 3
    )
    net.pass_time_to(net.opens_ms)
    for name in VOTES:
        cast(net, name)
    # counting before the poll closes is refused, and nothing is published yet
    refused(net, "voting.not_closed", "guardian", "decrypt", "--election", E, "--key", "guardian-1")
    refused(net, "election.not_tallied", "tally", E)

    net.pass_time_to(net.opens_ms + HOUR_MS)
    assert ok(net, "status", E)["phase"] == "closed"
    # guardian-2 stays away: guardians 1 and 3 are the quorum
    first = guardian(net, "decrypt", "guardian-1")
    assert first["waiting_for_quorum"] == [0] and [r["op"] for r in first["receipts"]] == [
        "post_decryption_share"
    ]
    # the official starts a new attempt (as when a guardian of U never answers): shares again
    restart = ok(net, "restart-decryption", "--election", E, "--key", "official-1")
    assert restart["receipts"][0]["events"] == ["decryption_restarted"]
    assert ok(net, "status", E)["decryption"]["attempt"] == 2
    refused(net, "auth.missing_signers", "restart-decryption", "--election", E, "--key", "guardian-1")
    first = guardian(net, "decrypt", "guardian-1")
    assert first["attempt"] == 2 and [r["op"] for r in first["receipts"]] == ["post_decryption_share"]
    held = officials.unseal_state(
        (net.home / "guardians" / f"{E}.guardian-1.state.json").read_bytes(), PASSPHRASE
    )
    assert list(held.decryption_nonces) == ["2/0"]  # attempt 1's nonces can never answer: dropped
    third = guardian(net, "decrypt", "guardian-3")
    assert [r["op"] for r in third["receipts"]] == ["post_decryption_share", "post_decryption_response"]
    again = guardian(net, "decrypt", "guardian-1")
    assert [r["op"] for r in again["receipts"]] == ["post_decryption_response"]
    assert again["phase"] == "tallied"
    # the absent guardian comes back too late: the result is out
    refused(net, "voting.already_tallied", "guardian", "decrypt", "--election", E, "--key", "guardian-2")

    result = ok(net, "tally", E)["result"]
    assert result == {"mayor": {"alice": 2, "bob": 1, "carol": 0}, "measure": {"yes": 2, "no": 1}}
    status = ok(net, "status", E)
    assert status["counts"]["cast"] == 3
    assert status["decryption"]["chunks"][0]["quorum_set"] == [1, 3]

    record = tmp_path / "record.json"
    code, _, err = cli(net, "export", "--election", E, "--out", str(record))
    assert code == 0, err
    code, out, err = cli(net, "verify", str(record))
    assert code == 0, err
    assert out.startswith("election record verified")
    # no command printed a secret: coefficients and key shares, in hex or base64
    printed = "".join(net.printed)
    for g in GUARDIANS:
        state = officials.unseal_state(
            (net.home / "guardians" / f"{E}.{g}.state.json").read_bytes(), PASSPHRASE
        )
        assert state.key_share
        for secret in (*state.coefficients, state.key_share):
            assert secret.hex() not in printed and base64.b64encode(secret).decode() not in printed
    print(f"\nwhole election through the CLI: {time.perf_counter() - started:.1f} s")


def test_state_file_refusals_and_wrong_phase(net: Net, tmp_path: Path) -> None:
    create(net, tmp_path)
    guardians = net.home / "guardians"
    refused(net, "election.no_state_file", "guardian", "commit", "--election", E, "--key", "guardian-1")
    guardian(net, "init", "guardian-1")
    guardian(net, "init", "guardian-2")
    refused(net, "election.state_exists", "guardian", "init", "--election", E, "--key", "guardian-1")
    mine = guardians / f"{E}.guardian-1.state.json"
    other = guardians / f"{E}.guardian-2.state.json"
    # the state file is sealed: no secret in the clear, and it opens only with its passphrase
    state = officials.unseal_state(mine.read_bytes(), PASSPHRASE)
    assert state.guardian == 1 and len(state.coefficients) == 2
    assert not any(c.hex() in mine.read_text() for c in state.coefficients)
    assert "hidden" in repr(state)
    refused(
        net,
        "keyfile.wrong_passphrase",
        "guardian",
        "commit",
        "--election",
        E,
        "--key",
        "guardian-1",
        "--state-passphrase",
        "not the passphrase",
    )
    # guardian-1's key with guardian-2's file
    line = refused(
        net,
        "election.wrong_state_file",
        "guardian",
        "commit",
        "--election",
        E,
        "--key",
        "guardian-1",
        "--state",
        str(other),
    )
    assert "belongs to guardian 2" in line
    # a member who is not a guardian of this election has nothing to initialise
    refused(net, "voting.not_guardian", "guardian", "init", "--election", E, "--key", "official-1")
    # wrong phase: counting-day and result commands during the key ceremony
    refused(net, "voting.not_closed", "guardian", "decrypt", "--election", E, "--key", "guardian-1")
    refused(net, "election.not_tallied", "tally", E)
    # a step out of order: shares before every key is posted, a key posted twice
    guardian(net, "commit", "guardian-1")
    refused(net, "voting.keys_incomplete", "guardian", "shares", "--election", E, "--key", "guardian-1")
    refused(net, "voting.already_posted", "guardian", "commit", "--election", E, "--key", "guardian-1")
    refused(
        net,
        "election.bad_manifest_file",
        "create",
        "--manifest",
        '{"election_id": "x"}',
        "--key",
        "official-1",
    )
    refused(net, "election.not_found", "status", "nope")
    status = ok(net, "status", E)
    assert [(g["key_posted"], g["index"]) for g in status["guardians"]] == [(True, 1), (False, 2), (False, 3)]


def test_seal_round_trip_and_refusals() -> None:
    sealed = seal(b"secret bytes", "pw", label="test/v1", public=b"whose", scrypt_n=SCRYPT_N)
    assert b"secret bytes" not in sealed
    assert sealed_public(sealed, label="test/v1") == b"whose"
    assert unseal(sealed, "pw", label="test/v1") == (b"whose", b"secret bytes")
    with pytest.raises(GovledgerError) as wrong:
        unseal(sealed, "nope", label="test/v1")
    assert wrong.value.code == "keyfile.wrong_passphrase"
    with pytest.raises(GovledgerError) as other_label:
        unseal(sealed, "pw", label="other/v1")
    assert other_label.value.code == "keyfile.malformed"
    doc = json.loads(sealed)
    doc["public"] = "b3RoZXI="  # "other": the header is bound to the ciphertext
    with pytest.raises(GovledgerError) as swapped:
        unseal(json.dumps(doc).encode(), "pw", label="test/v1")
    assert swapped.value.code == "keyfile.malformed"


# --- the guardian's side of complaints, over the in-memory ledger --------------------------------------


def test_complaints_a_false_one_is_dismissed_and_its_share_used_a_true_one_is_upheld() -> None:
    led = Ledger()
    led.ok("create_election", w.create_body(led, n=3, k=2), A.official)
    election = w.election(led)
    rnd = queries.guardians(led.view, ElectionId(w.E))
    assert rnd is not None
    states = [
        officials.new_state(election, f"guardian-{i}", "00", rnd.round, SeededRandom(i)) for i in (1, 2, 3)
    ]
    signers = {st.guardian: A.guardians[st.guardian - 1] for st in states}
    for st in states:
        led.ok("post_guardian_key", officials.key_body(st), signers[st.guardian])
    keys = {st.guardian: st.public_key for st in states}
    for st in states:
        body = officials.shares_body(st, keys, SeededRandom(10 + st.guardian))
        if st.guardian == 3:  # guardian 3's share to guardian 1 is damaged on its way
            bad = [s if s.receiver != 1 else msgspec.structs.replace(s, c1=bytes(32)) for s in body.shares]
            body = msgspec.structs.replace(body, shares=tuple(bad))
        led.ok("post_shares", body, signers[st.guardian])
    g1, g2, g3 = states
    # guardian 2 complains about guardian 1's (good) share by mistake
    led.ok("complain_share", ComplainShare(w.E, ShareComplaint(2, 1, "mistaken")), signers[2])

    def view() -> tuple[list[ComplaintEntry], list[EncryptedShare], list[EncryptedShare]]:
        gv = queries.guardians(led.view, ElectionId(w.E))
        assert gv is not None
        shares = [queries.shares_for(led.view, SharesFor(w.E, i)) for i in (1, 2)]
        return list(gv.complaints), shares[0], shares[1]

    complaints, to_1, to_2 = view()
    found = officials.receive_shares(g1, to_1, keys, complaints)
    assert [(c.complaint.sender, c.complaint.receiver) for c in found] == [(3, 1)]
    assert set(g1.received) == {2}
    assert officials.receive_shares(g2, to_2, keys, complaints) == []
    assert set(g2.received) == {3}  # the share under complaint waits for the verdict
    for c in found:
        led.ok("complain_share", c, signers[1])
    complaints, _, _ = view()
    for accused in (g1, g3):
        (answer,) = officials.answer_bodies(accused, complaints)
        led.ok("answer_complaint", answer, signers[accused.guardian])
    complaints, _, to_2 = view()
    verdicts = {(c.complaint.sender, c.complaint.receiver): c.status for c in complaints}
    assert verdicts == {(1, 2): "dismissed", (3, 1): "upheld"}
    officials.receive_shares(g2, to_2, keys, complaints)
    assert keyceremony.share_matches_commitments(from_bytes(g2.received[1]), keys[1], 2)
    assert officials.confirm_body(g2, 3).guardian == 2 and g2.key_share
    with pytest.raises(GovledgerError) as unchecked:
        officials.confirm_body(g1, 3)  # guardian 3's share never verified
    assert unchecked.value.code == "election.shares_unchecked"


def test_the_official_reschedules_replaces_a_guardian_and_revokes_a_credential(
    net: Net, tmp_path: Path
) -> None:
    """The official's corrections, each through its command: a new window while the ceremony runs, a
    restarted ceremony with guardian 3 replaced by guardian-4, a credential revoked after it voted
    (its ballot leaves the tally); and a voter's challenged ballot, revealed and never counted."""

    def official(command: str, *more: str) -> tuple[str, ...]:
        return (command, "--election", E, "--key", "official-1", *more)

    CliState(home=net.home, passphrase=PASSPHRASE, scrypt_n=SCRYPT_N).save_key("guardian-4", key(14))
    create(net, tmp_path)
    opens, closes = net.opens_ms + HOUR_MS, net.opens_ms + 2 * HOUR_MS
    moved = ok(net, *official("reschedule", "--opens", _iso(opens), "--closes", str(closes)))
    assert moved["receipts"][0]["events"] == ["rescheduled"]
    status = ok(net, "status", E)
    assert officials.parse_time_ms(status["opens"], "opens") == opens
    assert officials.parse_time_ms(status["closes"], "closes") == closes
    for bad in ("tomorrow", "9" * 30, "2026-12-13T07:00:00"):  # a time needs its zone
        refused(net, "election.bad_time", *official("reschedule", "--opens", bad, "--closes", str(closes)))
    not_official = ("reschedule", "--election", E, "--opens", str(opens), "--closes", str(closes))
    refused(net, "auth.missing_signers", *not_official, "--key", "guardian-1")

    guardian(net, "init", "guardian-1")
    guardian(net, "commit", "guardian-1")
    for bad in ("three=guardian-4", "9" * 30 + "=guardian-4", "3=", "3"):
        refused(net, "election.bad_replace", *official("restart-ceremony", "--replace", bad))
    refused(net, "voting.bad_guardians", *official("restart-ceremony", "--replace", "3=guardian-1"))
    restarted = ok(net, *official("restart-ceremony", "--replace", "3=guardian-4"))
    assert restarted["round"] == 2 and restarted["receipts"][0]["events"] == ["ceremony_restarted"]
    status = ok(net, "status", E)
    assert [g["member_id"] for g in status["guardians"]] == ["guardian-1", "guardian-2", "guardian-4"]
    assert not any(g["key_posted"] for g in status["guardians"])  # round 1's key no longer counts
    refused(net, "voting.not_guardian", "guardian", "init", "--election", E, "--key", "guardian-3")
    guardians = ("guardian-1", "guardian-2", "guardian-4")
    for g in guardians[1:]:
        guardian(net, "init", g)
    for step in ("commit", "shares", "check", "confirm"):
        for g in guardians:
            guardian(net, step, g)
    assert ok(net, "status", E)["key_ready"] is True

    creds = [a for name in VOTERS for a in ("--credential", name)]
    ok(net, *official("register", "--style", "all", *creds))
    net.pass_time_to(opens)
    later = ("--opens", str(opens + HOUR_MS), "--closes", str(closes + HOUR_MS))
    refused(net, "voting.wrong_phase", *official("reschedule", *later))
    cast(net, "v1")
    cast(net, "v2")
    spoiled = cast(net, "v3", "--challenge")
    assert spoiled["challenged"] is True and spoiled["commitments"] is False
    looked = ok(net, "lookup", spoiled["confirmation_code"])
    assert looked["status"] == "challenged" and looked["reveal_check"] == "ok"
    assert looked["revealed"] == {"mayor": ["alice"], "measure": ["no"]}

    v2 = credential(VOTERS["v2"]).public_key.key.hex()
    revoke = ("revoke-credential", "--reason")
    refused(net, "voting.bad_vocabulary", *official(*revoke, "moved", "--credential", "v2"))
    refused(net, "election.bad_credential", *official(*revoke, "lost"))
    refused(net, "election.bad_credential", *official(*revoke, "lost", "--public-key", "zz"))
    revoked = ok(net, *official(*revoke, "lost", "--public-key", v2))
    assert revoked["credential"] == v2 and "credential_revoked" in revoked["receipts"][0]["events"]
    refused(net, "voting.ineligible", *official(*revoke, "lost", "--credential", "v2"))
    counts = ok(net, "status", E)["counts"]
    assert (counts["cast"], counts["withdrawn"], counts["challenged"], counts["revoked_credentials"]) == (
        1,
        1,
        1,
        1,
    )

    net.pass_time_to(closes)
    guardian(net, "decrypt", "guardian-1")
    guardian(net, "decrypt", "guardian-4")
    assert guardian(net, "decrypt", "guardian-1")["phase"] == "tallied"
    # only v1's ballot counts: v2's was withdrawn with its credential, v3's was challenged
    result = ok(net, "tally", E)["result"]
    assert result == {"mayor": {"alice": 1, "bob": 0, "carol": 0}, "measure": {"yes": 1, "no": 0}}
