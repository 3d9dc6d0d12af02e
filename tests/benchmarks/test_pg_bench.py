"""The PostgreSQL baseline: its smoke section, and that its database does what the section claims.

The database tests run on one throwaway cluster (the benchmark's own `throwaway_cluster`); they are
skipped, with the benchmark's one-line reason, only when the PostgreSQL server is not installed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks import pg_bench
from govledger.apps.attest.app import RecordBody
from govledger.codec import encode
from govledger.crypto.signatures import BatchVerifier, SigningKey
from govledger.ledger import tx as txmod
from govledger.node.loadgen import CHAIN_ID, presign

ISSUERS = [SigningKey.generate() for _ in range(3)]
RAWS = presign(40, ISSUERS, 0)


def _server_missing() -> str:
    try:
        pg_bench.server_bin_dir()
    except pg_bench.PgUnavailable as exc:
        return str(exc)
    return ""


MISSING = _server_missing()
needs_server = pytest.mark.skipif(bool(MISSING), reason=MISSING or "the server is installed")


def _record_tx(key: SigningKey, digest: bytes, nonce: int) -> bytes:
    body = encode(RecordBody(digest, "deed", "test"))
    return bytes(
        encode(txmod.build(CHAIN_ID, "attest", "record", body, [key], nonce=nonce, expiry_height=50_000))
    )


def _params(raw: bytes) -> pg_bench.Params:
    params = pg_bench.prepare_one(raw)
    assert params is not None
    return params


# --- the application side, no server needed ------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_changed_byte_is_refused(data: st.DataObject) -> None:
    raw = data.draw(st.sampled_from(RAWS))
    i = data.draw(st.integers(0, len(raw) - 1))
    flip = data.draw(st.integers(1, 255))
    bad = raw[:i] + bytes([raw[i] ^ flip]) + raw[i + 1 :]
    assert pg_bench.prepare_one(bad) is None
    with BatchVerifier(threads=1) as v:
        params, refused = pg_bench.prepare_batch([bad], v)
    assert (params, refused) == ([], 1)


def test_batch_and_single_checks_agree() -> None:
    forged = RAWS[1][:-1] + bytes([RAWS[1][-1] ^ 1])  # last byte: inside the signature
    other_chain = encode(
        txmod.build("elsewhere", "attest", "record", encode(RecordBody(bytes(32), "deed", "")), [ISSUERS[0]],
                    nonce=1, expiry_height=50_000)
    )  # fmt: skip
    mixed = [RAWS[0], forged, RAWS[2], other_chain, RAWS[3]]
    with BatchVerifier(threads=2, chunk=1) as v:
        params, refused = pg_bench.prepare_batch(mixed, v)
    singles = [pg_bench.prepare_one(r) for r in mixed]
    assert params == [p for p in singles if p is not None]
    assert refused == 2
    _, tid, kind, _, attester, raw = params[0]
    assert (kind, attester, raw) == ("deed", ISSUERS[0].public_key.key_id(), RAWS[0])
    assert tid == txmod.tx_id(txmod.decode_tx(RAWS[0]).payload)


def test_missing_server_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(pg_bench, "INITDB_GLOB", "/nonexistent/postgresql/*/bin/initdb")
    with pytest.raises(pg_bench.PgUnavailable, match="make postgres"):
        pg_bench.server_bin_dir()
    monkeypatch.setattr("sys.argv", ["pg_bench", "--smoke"])
    assert pg_bench.main() == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "PostgreSQL server binaries not found" in out


# --- the database ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[pg_bench.Cluster]:
    with pg_bench.throwaway_cluster() as c:
        yield c


@pytest.fixture
def conn(cluster: pg_bench.Cluster) -> Iterator[Any]:
    with cluster.connect() as c:
        pg_bench.create_schema(c, ISSUERS)
        yield c


def _write(conn: Any, raw: bytes) -> int:
    with conn.cursor() as cur:
        cur.execute(pg_bench.RECORD_SQL, _params(raw))
        return int(cur.rowcount)


def _count(conn: Any, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM reg.{table}").fetchone()[0])


@needs_server
def test_replay_duplicate_digest_and_non_issuer_are_not_written(conn: Any) -> None:
    assert _write(conn, RAWS[0]) == 1
    assert _write(conn, RAWS[0]) == 0  # the same signed transaction again
    digest = _params(RAWS[0])[0]
    assert _write(conn, _record_tx(ISSUERS[1], digest, nonce=10**6)) == 0  # already recorded
    outsider = SigningKey.generate()
    assert _write(conn, _record_tx(outsider, b"\x01" * 32, nonce=1)) == 0  # holds no issuer role
    assert _write(conn, RAWS[1]) == 1
    assert _count(conn, "records") == _count(conn, "audit") == pg_bench.check_audit(conn) == 2


@needs_server
def test_batch_skips_refused_operations_and_keeps_order(conn: Any) -> None:
    assert _write(conn, RAWS[5]) == 1
    dup_digest = _record_tx(ISSUERS[2], _params(RAWS[6])[0], nonce=10**6)
    batch = [RAWS[6], RAWS[5], dup_digest, RAWS[7], RAWS[8]]
    with BatchVerifier(threads=2) as v:
        params, refused = pg_bench.prepare_batch(batch, v)
    assert refused == 0
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(pg_bench.STAGE_SQL)
        pg_bench.write_batch(cur, params)
        assert cur.rowcount == 3  # RAWS[5] is a replay, dup_digest a digest recorded in the same batch
    assert pg_bench.check_audit(conn) == 4
    order = [bytes(r[0]) for r in conn.execute("SELECT tx FROM reg.audit ORDER BY seq")]
    assert order == [RAWS[5], RAWS[6], RAWS[7], RAWS[8]]


@needs_server
@pytest.mark.parametrize(
    "statement",
    ["UPDATE reg.audit SET tx = '\\x00'", "DELETE FROM reg.audit", "TRUNCATE reg.audit"],
)
def test_audit_is_append_only(conn: Any, statement: str) -> None:
    import psycopg

    assert _write(conn, RAWS[9]) == 1
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        conn.execute(statement)
    assert pg_bench.check_audit(conn) == 1


@needs_server
def test_chain_check_catches_a_rewritten_row(conn: Any) -> None:
    for raw in RAWS[10:13]:
        assert _write(conn, raw) == 1
    assert pg_bench.check_audit(conn) == 3
    # an administrator can switch the trigger off: the chain is what still shows the change
    conn.execute("ALTER TABLE reg.audit DISABLE TRIGGER audit_append_only")
    conn.execute("UPDATE reg.audit SET tx = %s WHERE seq = 2", (RAWS[20],))
    with pytest.raises(AssertionError, match="seq 2"):
        pg_bench.check_audit(conn)


@needs_server
@pytest.mark.parametrize("chain", [True, False])
def test_concurrent_clients_write_everything_once(cluster: pg_bench.Cluster, chain: bool) -> None:
    raws = presign(600, ISSUERS, 1000)
    res = pg_bench.run_mode(cluster, raws, ISSUERS, batch=50, clients=2, duration_s=30.0, chain=chain)
    # run_mode itself re-reads the audit table (with the chain: one gapless chain) and checks the counts
    assert res.applied == len(raws) - 2 * pg_bench.WARMUP and res.refused == 0
    assert res.commits == -(-res.applied // 50)  # the last batch is what is left of the pool
    assert res.server_cpu_us > 0 and res.client_cpu_us > 0


# --- the section ----------------------------------------------------------------------------------


@needs_server
@pytest.mark.timeout(120)
def test_smoke_section_measures_both_modes_beside_fsync(cluster: pg_bench.Cluster) -> None:
    lines = pg_bench.section(smoke=True, cluster=cluster)  # the module's cluster: one initdb, not two
    assert lines[0] == "## PostgreSQL, same signed writes (same run)"
    assert any("`make bench`, module `benchmarks/pg_bench.py`" in line for line in lines)
    assert any("fsync=on" in line and "synchronous_commit=on" in line for line in lines)
    rows = [line for line in lines if line.startswith("| one DB") or line.startswith("| batched")]
    assert len(rows) == 2
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        tps = float(cells[1].replace(",", ""))
        low, high = (float(x.replace(",", "")) for x in cells[2].split(" - "))
        assert 0 < low <= tps <= high
        assert re.fullmatch(r"[\d,]+ us", cells[3]) and re.fullmatch(r"[\d,]+ us", cells[4])
        assert re.fullmatch(r"[\d,]+ \([\d,]+ - [\d,]+\)", cells[7]), "fsync baseline beside it"
        assert float(cells[8]) > 0
