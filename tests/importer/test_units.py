"""The importer's pure parts: custodial keys, the checkpoint file, field parsers, CSV reading."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from govledger.api.models import AppInfo, SubmitResult, TxStatus
from govledger.crypto.signatures import SigningKey
from govledger.errors import GovledgerError
from govledger.importer.adapters import ADAPTERS
from govledger.importer.adapters.base import RowError, date_ms, fraction, items
from govledger.importer.adapters.land import boundary, owners
from govledger.importer.checkpoint import Checkpoint
from govledger.importer.custody import Custody
from govledger.importer.runner import ImportOptions, row_nonce, run_import
from govledger.importer.source import count_rows, read_rows
from govledger.ledger.block import Receipt
from govledger.ledger.tx import decode_tx, tx_id
from govledger.sdk import TxBuilder


def test_custodial_keys_are_derived_per_app_and_party(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    Custody.create(path)
    with pytest.raises(GovledgerError) as info:
        Custody.create(path)
    assert info.value.code == "import.custody_exists"
    assert path.stat().st_mode & 0o777 == 0o600
    a, b = Custody.load(path), Custody.load(path)
    assert (
        a.key_id("land", "p1")
        == b.key_id("land", "p1")
        != a.key_id("company", "p1")
        != a.key_id("land", "p2")
    )
    assert Custody(b"\x01" * 32).key_id("land", "p1") != a.key_id("land", "p1")
    with pytest.raises(GovledgerError):
        Custody(b"short")


def test_checkpoint_survives_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.jsonl"
    cp = Checkpoint(path, "land-parties")
    cp.record(41, ["a", "b"], Counter(imported=2))
    cp.close()
    with path.open("a") as f:
        f.write('{"v": 1, "registry": "land-par')  # a crash mid-write
    cp = Checkpoint(path, "land-parties")
    assert "a" in cp and "c" not in cp and cp.batches == 1 and cp.through_line == 41
    cp.record(81, ["c"], Counter(imported=1, rejected=3))
    cp.close()
    cp = Checkpoint(path, "land-parties")
    assert "c" in cp and cp.batch_of("c") == 2 and cp.totals == Counter(imported=3, rejected=3)
    with pytest.raises(GovledgerError) as info:
        Checkpoint(path, "companies")
    assert info.value.code == "import.checkpoint_mismatch"


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: fraction("2/1", "s"), "import.bad_share"),
        (lambda: fraction("1/0", "s"), "import.bad_share"),
        (lambda: fraction("x", "s"), "import.bad_number"),
        (lambda: date_ms("1969-12-31", "d"), "import.bad_date"),
        (lambda: date_ms("2020-02-30", "d"), "import.bad_date"),
        (lambda: items("a;;b", "l"), "import.bad_list"),
        (lambda: boundary("EPSG:3006", "0 0;1 x"), "import.bad_boundary"),
        (lambda: owners(""), "import.missing_value"),
    ],
)
def test_parsers_refuse_with_codes(call: object, code: str) -> None:
    with pytest.raises(RowError) as info:
        call()  # type: ignore[operator]
    assert info.value.code == code


def test_parsers() -> None:
    assert fraction("2/4", "s") == fraction("1/2", "s")
    assert date_ms("1970-01-02", "d") == 86_400_000 and date_ms("", "d") == 0
    assert [(h.party_id, h.share.num, h.share.den) for h in owners("b:2/4;a")] == [("a", 1, 1), ("b", 1, 2)]
    assert boundary("EPSG:3006", "0 0;1 0;1 1;0 0|0 0;0 1;1 1;0 0").rings[1][1] == (0, 1)


def test_rows_stream_with_problems_reported(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("\ufeffkind,row_id,party_id,commitment\nperson, r1 ,p1,aa\n\nperson,,p2,bb\nperson,r3\n")
    rows = list(read_rows(path, ("row_id", "party_id", "kind", "commitment")))
    assert [(r.line, r.row_id, r.problem and r.problem[0]) for r in rows] == [
        (2, "r1", None),
        (4, "line:4", "import.bad_row"),
        (5, "line:5", "import.bad_row"),
    ]
    assert rows[0].fields["kind"] == "person" and count_rows(path) == 3
    path.write_bytes(b"row_id,party_id,kind,commitment\n\xff\xfe,1,2,3\n")
    with pytest.raises(GovledgerError) as info:
        list(read_rows(path, ("row_id", "party_id", "kind", "commitment")))
    assert info.value.code == "import.bad_encoding"


def test_nonces_are_stable_per_row_and_attempt() -> None:
    assert row_nonce("r", "1", b"x") == row_nonce("r", "1", b"x")
    assert len({row_nonce("r", "1", b"x"), row_nonce("r", "2", b"x"), row_nonce("r", "1", b"y")}) == 3
    assert row_nonce("r", "1", b"x", 1) != row_nonce("r", "1", b"x", 0)


class FakeNode:
    """Just enough of `sdk.Client` for the runner: remembers what was submitted, answers from a script."""

    def __init__(self, admission: list[str], receipts: list[str]) -> None:
        self.admission, self.receipts = admission, receipts
        self.submitted: list[bytes] = []

    def apps(self) -> list[Any]:
        return [AppInfo("company", "", [], [])]

    def height(self) -> int:
        return 12_345

    def tx_builder(self) -> TxBuilder:
        return TxBuilder("fake")

    def submit_batch(self, raws: list[bytes]) -> list[SubmitResult]:
        self.submitted += raws
        return [SubmitResult(tx_id(decode_tx(r).payload).hex(), self.admission.pop(0), "") for r in raws]

    def wait(self, tid: str, timeout: float) -> TxStatus:
        code = self.receipts.pop(0)
        return TxStatus(tid, "committed", 7, 0, Receipt(bytes.fromhex(tid), code, code, []))

    def get_state(self, app: str, key: bytes) -> bytes | None:
        return None


def _one_party_csv(tmp_path: Path) -> Path:
    path = tmp_path / "p.csv"
    path.write_text("row_id,party_id,kind,commitment\nr1,cp-1,person," + "ab" * 32 + "\n")
    return path


def test_a_failed_replay_gets_one_fresh_attempt(tmp_path: Path) -> None:
    """An earlier run's identical transaction failed (`tx.replay` + failed receipt): the ledger may have
    changed since, so the row is tried once more with a new nonce, and that answer counts."""
    node = FakeNode(admission=["tx.replay", "ok"], receipts=["company.bad_party", "ok"])
    summary = run_import(
        node,  # type: ignore[arg-type]
        ADAPTERS["company-parties"],
        _one_party_csv(tmp_path),
        signers=[SigningKey.generate()],
        custody=Custody(b"\x02" * 32),
        checkpoint=tmp_path / "c.jsonl",
        report=tmp_path / "r",
    )
    assert summary.this_run["imported"] == 1 and len(node.submitted) == 2
    first, second = (decode_tx(r).payload for r in node.submitted)
    assert first.nonce != second.nonce and first.expiry_height == second.expiry_height == 14_000


def test_a_replayed_success_is_a_duplicate_and_a_full_mempool_is_retried(tmp_path: Path) -> None:
    node = FakeNode(admission=["mempool.full", "tx.replay"], receipts=["ok"])
    summary = run_import(
        node,  # type: ignore[arg-type]
        ADAPTERS["company-parties"],
        _one_party_csv(tmp_path),
        signers=[SigningKey.generate()],
        custody=Custody(b"\x02" * 32),
        checkpoint=tmp_path / "c.jsonl",
        report=tmp_path / "r",
        options=ImportOptions(backoff_s=0.001),
    )
    assert summary.this_run["duplicate"] == 1 and node.submitted[0] == node.submitted[1]
