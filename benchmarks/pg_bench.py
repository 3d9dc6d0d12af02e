"""PostgreSQL baseline: the node's headline registry writes done by an application on PostgreSQL.

    .venv/bin/python -m benchmarks.pg_bench [--smoke] [--clients 2] [--batch 1000] [--no-chain]

Answers "a database is faster" with the same work the single-validator headline does
(`govledger.node.loadgen.run_node`): the very same pre-signed `attest.record` transactions
(`loadgen.presign`, Ed25519, 8 issuers) are, per operation, decoded strictly (`ledger.tx.decode_tx`,
chain and expiry window, `codec.decode` of the body), every signature verified
(`crypto.signatures.verify` one by one, or the node's `BatchVerifier` on 2 threads for a batch),
the body checked as attest checks it, and then written by one SQL statement (per operation, or per
batch after a COPY of the batch into a staging table) that
- checks the signer holds the `issuer` role (a join on `reg.issuers`, as governance's policy does),
- inserts the record (`reg.records`: primary key on the digest = `attest.already_recorded`, unique
  transaction id = replay protection), skipping the operation on conflict instead of aborting the
  batch, as the ledger writes a failure receipt and goes on,
- appends an audit row with the raw signed transaction (`reg.audit`).

The audit table is append-only: row triggers refuse UPDATE and DELETE, a statement trigger refuses
TRUNCATE. Each audit row is hash-chained to the previous one by a BEFORE INSERT trigger:
`row_hash = sha256(prev_hash || int8(seq) || tx_id || tx)`, with a gapless `seq`. The chain needs one
writer at a time, so the trigger takes a transaction-level advisory lock that is held to commit:
concurrent connections serialise on the chain head (as a ledger serialises on its block order).
After every run the benchmark re-reads the whole audit table and checks the chain and the counts.

Two modes, each with 2 client threads (one connection each) by default: one DB transaction per
operation (autocommit, one round trip, durable commit), and batched (`--batch` operations per DB
transaction, default 1,000 as loadgen submits them; COPY + one set-based statement in batch order,
which costs about half the CPU of per-row INSERTs on both sides). Each run starts on a fresh schema
after a warm-up of 20 operations per connection that is not measured. The server is a
throwaway cluster (initdb in a temporary directory, Unix socket only, run as the `postgres` user
when we are root), with fsync=on, synchronous_commit=on and full_page_writes=on, defaults otherwise.
CPU per operation is `time.process_time` of this process (all its threads) and, for the server,
utime+stime of the postmaster's children from /proc plus what the postmaster reaped.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import pwd
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import baselines
from govledger.apps.attest.app import MAX_TEXT, RecordBody
from govledger.codec import decode
from govledger.crypto.signatures import BatchVerifier, SigningKey, verify
from govledger.errors import GovledgerError
from govledger.ledger import tx as txmod
from govledger.node.loadgen import BATCH, CHAIN_ID, presign

INITDB_GLOB = "/usr/lib/postgresql/*/bin/initdb"
MISSING = (
    "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb): "
    "run `make postgres` (apt-get install postgresql)"
)
HEIGHT = 1  # the expiry window is checked as at the ledger's first block, as the node's would be
CHAIN_LOCK = 7_100_001  # advisory lock key of the audit chain head
ZERO_HASH = bytes(32)
WARMUP = 20  # operations per client before the measured window, taken from the end of the pool
FULL_S = 20.0  # seconds per measured run (3 repeats per mode)
SMOKE_S = 1.0  # seconds per smoke run: the path runs, the figures mean little

SCHEMA = f"""
DROP SCHEMA IF EXISTS reg CASCADE;
CREATE SCHEMA reg;
CREATE TABLE reg.issuers (
  key_id bytea PRIMARY KEY,
  member_id text NOT NULL,
  role text NOT NULL
);
CREATE TABLE reg.records (
  digest bytea PRIMARY KEY,
  tx_id bytea NOT NULL UNIQUE,
  kind text NOT NULL,
  reference text NOT NULL,
  attester bytea NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE reg.audit (
  seq bigint PRIMARY KEY,
  tx_id bytea NOT NULL,
  tx bytea NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  prev_hash bytea NOT NULL,
  row_hash bytea NOT NULL
);
CREATE FUNCTION reg.audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last_seq bigint;
  last_hash bytea;
BEGIN
  -- one writer at a time on the chain head, until commit; the read below then sees the newest row
  PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
  SELECT seq, row_hash INTO last_seq, last_hash FROM reg.audit ORDER BY seq DESC LIMIT 1;
  IF NOT FOUND THEN
    last_seq := 0;
    last_hash := '\\x{ZERO_HASH.hex()}'::bytea;
  END IF;
  NEW.seq := last_seq + 1;
  NEW.prev_hash := last_hash;
  NEW.row_hash := sha256(last_hash || int8send(NEW.seq) || NEW.tx_id || NEW.tx);
  RETURN NEW;
END $$;
CREATE FUNCTION reg.audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'reg.audit is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_chain BEFORE INSERT ON reg.audit
  FOR EACH ROW EXECUTE FUNCTION reg.audit_chain();
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON reg.audit
  FOR EACH ROW EXECUTE FUNCTION reg.audit_refuse();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON reg.audit
  FOR EACH STATEMENT EXECUTE FUNCTION reg.audit_refuse();
"""

# Without the chain (--no-chain): the same table and append-only triggers, seq from a sequence.
UNCHAINED = """
DROP TRIGGER audit_chain ON reg.audit;
CREATE SEQUENCE reg.audit_seq OWNED BY reg.audit.seq;
ALTER TABLE reg.audit ALTER COLUMN seq SET DEFAULT nextval('reg.audit_seq'),
  ALTER COLUMN prev_hash SET DEFAULT ''::bytea, ALTER COLUMN row_hash SET DEFAULT ''::bytea;
"""

# One statement per operation: role check, record (skipped on a duplicate digest or a replayed
# transaction id), audit row only if the record was written. Its row count is 1 iff it was applied.
RECORD_SQL = """
WITH r AS (
  INSERT INTO reg.records (digest, tx_id, kind, reference, attester)
  SELECT %s, %s, %s, %s, i.key_id FROM reg.issuers i WHERE i.key_id = %s AND i.role = 'issuer'
  ON CONFLICT DO NOTHING
  RETURNING tx_id
)
INSERT INTO reg.audit (tx_id, tx) SELECT r.tx_id, %s FROM r
"""

# Batched mode: the batch is COPYed into a per-connection staging table, then applied by one
# set-based statement in batch order; per-row INSERTs cost about twice the CPU on both sides.
STAGE_SQL = """
CREATE TEMP TABLE incoming (
  ord int, digest bytea, tx_id bytea, kind text, reference text, attester bytea, tx bytea
) ON COMMIT DELETE ROWS
"""
STAGE_COPY = "COPY incoming FROM STDIN (FORMAT BINARY)"
STAGE_TYPES = ["int4", "bytea", "bytea", "text", "text", "bytea", "bytea"]
BATCH_SQL = """
WITH r AS (
  INSERT INTO reg.records (digest, tx_id, kind, reference, attester)
  SELECT n.digest, n.tx_id, n.kind, n.reference, i.key_id
  FROM incoming n JOIN reg.issuers i ON i.key_id = n.attester AND i.role = 'issuer'
  ORDER BY n.ord
  ON CONFLICT DO NOTHING
  RETURNING tx_id
)
INSERT INTO reg.audit (tx_id, tx) SELECT n.tx_id, n.tx FROM incoming n JOIN r USING (tx_id) ORDER BY n.ord
"""

Params = tuple[bytes, bytes, str, str, bytes, bytes]


class PgUnavailable(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def server_bin_dir() -> Path:
    """The newest installed server's bin directory, or PgUnavailable with a one-line reason."""
    found = sorted(glob.glob(INITDB_GLOB), key=lambda p: _version_key(Path(p).parent.parent.name))
    if not found:
        raise PgUnavailable(MISSING)
    return Path(found[-1]).parent


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(x) for x in name.split(".") if x.isdigit())


# ---------------------------------------------------------------------------------------------------
# the application side: the ledger's admission and attest checks, then the parameters of RECORD_SQL


def _decoded(raw: bytes) -> tuple[txmod.Transaction, bytes, RecordBody]:
    """Decode and check one transaction as the node does before its signatures; raises GovledgerError."""
    t = txmod.decode_tx(raw)
    txmod.check_window(t, CHAIN_ID, HEIGHT)
    p = t.payload
    if (p.app, p.op) != ("attest", "record"):
        raise GovledgerError("tx.unknown_operation", f"{p.app}.{p.op} is not attest.record")
    body = decode(p.body, RecordBody)
    if len(body.digest) != 32:
        raise GovledgerError("attest.bad_digest", "digest must be 32 bytes (SHA-256)")
    if not 0 < len(body.kind) <= 64 or len(body.reference) > MAX_TEXT:
        raise GovledgerError("attest.bad_text", "kind or reference has the wrong length")
    return t, txmod.tx_id(p), body


def _params(raw: bytes, t: txmod.Transaction, tid: bytes, body: RecordBody) -> Params:
    attester = t.payload.signers[0].key_id()
    return (body.digest, tid, body.kind, body.reference, attester, raw)


def prepare_one(raw: bytes) -> Params | None:
    """Per-operation mode: every signature checked with the single `verify`; None if refused."""
    try:
        t, tid, body = _decoded(raw)
    except GovledgerError:
        return None
    msg = txmod.sign_message(tid)
    for pk, sig in zip(t.payload.signers, t.signatures, strict=True):
        if not verify(pk, msg, sig):
            return None
    return _params(raw, t, tid, body)


def prepare_batch(raws: Sequence[bytes], verifier: BatchVerifier) -> tuple[list[Params], int]:
    """Batched mode: all signatures of the batch through the node's BatchVerifier; (params, refused)."""
    decoded: list[tuple[bytes, txmod.Transaction, bytes, RecordBody]] = []
    refused = 0
    for raw in raws:
        try:
            decoded.append((raw, *_decoded(raw)))
        except GovledgerError:
            refused += 1
    items = []
    owners = []
    for n, (_, t, tid, _) in enumerate(decoded):
        msg = txmod.sign_message(tid)
        for pk, sig in zip(t.payload.signers, t.signatures, strict=True):
            items.append((pk, msg, sig))
            owners.append(n)
    valid = [True] * len(decoded)
    for owner, ok in zip(owners, verifier.verify_many(items), strict=True):
        valid[owner] = valid[owner] and ok
    out = [_params(*d) for d, ok in zip(decoded, valid, strict=True) if ok]
    return out, refused + len(decoded) - len(out)


# ---------------------------------------------------------------------------------------------------
# the throwaway cluster


@dataclass
class Cluster:
    root: Path
    bindir: Path
    run_as: str | None  # the OS user the server runs as when we are root
    port: int = 5432  # only names the socket file: the server listens on no TCP port

    @property
    def data(self) -> Path:
        return self.root / "data"

    def connect(self, *, autocommit: bool = True) -> Any:
        import psycopg

        return psycopg.connect(
            host=str(self.root), port=self.port, user="postgres", dbname="postgres", autocommit=autocommit
        )

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])

    def server_cpu_s(self) -> float:
        """CPU seconds of the postmaster, its live children and the children it has reaped."""
        pm = self.postmaster_pid()
        ticks = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                # fields after the command name: state ppid ... utime(11) stime(12) cutime(13) cstime(14)
                f = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # the process exited meanwhile
            pid = int(entry.name)
            if pid == pm:
                ticks += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
            elif int(f[1]) == pm:
                ticks += int(f[11]) + int(f[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def _run(self, *args: str) -> None:
        cmd = list(args) if self.run_as is None else ["runuser", "-u", self.run_as, "--", *args]
        done = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise RuntimeError(f"{Path(args[0]).name} failed: {' | '.join(tail)}")

    def start(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-locale", "--no-sync")  # fmt: skip
        opts = (
            f"-c listen_addresses='' -c unix_socket_directories='{self.root}' -c port={self.port} "
            "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
        )
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-w", "-t", "60", "-o", opts, "start")  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


@contextmanager
def throwaway_cluster(parent: str | None = None) -> Iterator[Cluster]:
    """initdb + start in a fresh temporary directory; stop and remove it afterwards, whatever happens."""
    bindir = server_bin_dir()
    run_as: str | None = None
    root = Path(tempfile.mkdtemp(prefix="govledger-pg-", dir=parent))
    try:
        if os.geteuid() == 0:
            # postgres refuses to run as root: the Debian package's `postgres` user runs it
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise PgUnavailable(
                    "running as root and there is no `postgres` user to run the server"
                ) from None
            os.chown(root, user.pw_uid, user.pw_gid)
            run_as = "postgres"
        cluster = Cluster(root, bindir, run_as)
        try:
            cluster.start()
            yield cluster
        finally:
            cluster.stop()  # also after a start that timed out with the server up
    finally:
        shutil.rmtree(root, ignore_errors=True)


def create_schema(conn: Any, issuers: Sequence[SigningKey], *, chain: bool = True) -> None:
    conn.execute(SCHEMA)
    if not chain:
        conn.execute(UNCHAINED)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO reg.issuers (key_id, member_id, role) VALUES (%s, %s, 'issuer')",
            [(k.public_key.key_id(), f"issuer-{i}") for i, k in enumerate(issuers)],
        )


def write_batch(cur: Any, params: Sequence[Params]) -> None:
    """Apply a batch inside the caller's DB transaction; `cur.rowcount` is then the number applied."""
    with cur.copy(STAGE_COPY) as copy:
        copy.set_types(STAGE_TYPES)
        for i, p in enumerate(params):
            copy.write_row((i, *p))
    cur.execute(BATCH_SQL)


def check_audit(conn: Any) -> int:
    """Re-read reg.audit: gapless seq from 1, each row chained to the previous; the row count."""
    prev = ZERO_HASH
    n = 0
    with conn.cursor() as cur:
        cur.execute("SELECT seq, tx_id, tx, prev_hash, row_hash FROM reg.audit ORDER BY seq")
        for seq, tid, tx, prev_hash, row_hash in cur:
            n += 1
            want = hashlib.sha256(prev + seq.to_bytes(8, "big", signed=True) + tid + tx).digest()
            if seq != n or prev_hash != prev or row_hash != want:
                raise AssertionError(f"audit chain broken at seq {seq}")
            prev = row_hash
    return n


# ---------------------------------------------------------------------------------------------------
# one measured run


@dataclass(frozen=True)
class RunResult:
    batch: int
    clients: int
    applied: int
    refused: int
    elapsed_s: float
    client_cpu_us: float  # per applied operation
    server_cpu_us: float
    latency_ms_p50: float  # per DB commit: app checks + statement(s) + durable commit
    latency_ms_p99: float
    commits: int

    @property
    def tx_per_s(self) -> float:
        return self.applied / self.elapsed_s


def run_mode(
    cluster: Cluster,
    raws: Sequence[bytes],
    issuers: Sequence[SigningKey],
    *,
    batch: int,
    clients: int,
    duration_s: float,
    chain: bool = True,
) -> RunResult:
    """Fresh schema; `clients` threads, a connection each, until the deadline or the pool runs out."""
    with cluster.connect() as admin:
        create_schema(admin, issuers, chain=chain)
        admin.execute("CHECKPOINT")  # the run starts with no dirty pages left from the last one
    # autocommit: a lone statement is its own durable transaction; a batch opens one explicitly
    conns = [cluster.connect() for _ in range(clients)]
    verifier = BatchVerifier(threads=2)  # the node's default verify_threads
    warmup = [raws[len(raws) - (k + 1) * WARMUP : len(raws) - k * WARMUP] for k in range(clients)]
    raws = raws[: len(raws) - clients * WARMUP]
    lock = threading.Lock()
    cursor = 0
    applied = [0] * clients
    refused = [0] * clients
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[BaseException] = []
    window: dict[str, float] = {}

    def open_window() -> None:
        # runs once, in the last client to finish its warm-up, before any client is released
        window["server"] = cluster.server_cpu_s()
        window["cpu"] = time.process_time()
        window["start"] = time.perf_counter()
        window["deadline"] = window["start"] + duration_s

    ready = threading.Barrier(clients, action=open_window)

    def take() -> Sequence[bytes]:
        nonlocal cursor
        with lock:
            if time.perf_counter() >= window["deadline"] or errors:
                return ()
            chunk = raws[cursor : cursor + batch]
            cursor += len(chunk)
            return chunk

    def client(k: int) -> None:
        conn = conns[k]
        try:
            with conn.cursor() as cur:
                cur.execute(STAGE_SQL)
                # warm-up, not measured: plpgsql compiled, statement prepared, caches filled
                for raw in warmup[k]:
                    one = prepare_one(raw)
                    assert one is not None, "a warm-up transaction was refused"
                    cur.execute(RECORD_SQL, one)
                ready.wait()
                while chunk := take():
                    t0 = time.perf_counter()
                    if batch == 1:
                        one = prepare_one(chunk[0])
                        if one is None:
                            refused[k] += 1
                            continue
                        cur.execute(RECORD_SQL, one)
                        params, bad = [one], 0
                    else:
                        params, bad = prepare_batch(chunk, verifier)
                        with conn.transaction():
                            write_batch(cur, params)
                    latencies[k].append((time.perf_counter() - t0) * 1000)
                    applied[k] += cur.rowcount
                    refused[k] += bad + len(params) - cur.rowcount
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
            ready.abort()  # nobody waits forever for a client that died in its warm-up

    threads = [threading.Thread(target=client, args=(k,), name=f"pg-client-{k}") for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    end = time.perf_counter()
    cpu = time.process_time()
    srv = cluster.server_cpu_s()
    verifier.close()
    for c in conns:
        c.close()
    if errors:
        raise errors[0]
    elapsed = end - window["start"]
    cpu -= window["cpu"]
    srv -= window["server"]
    done = sum(applied)
    with cluster.connect() as admin:
        rows = check_audit(admin) if chain else admin.execute("SELECT count(*) FROM reg.audit").fetchone()[0]
        records = admin.execute("SELECT count(*) FROM reg.records").fetchone()[0]
    if not rows == records == done + clients * WARMUP:
        raise AssertionError(
            f"{done} operations applied (+ warm-up) but {records} records and {rows} audit rows"
        )
    lat = sorted(x for per in latencies for x in per) or [0.0]
    return RunResult(
        batch=batch,
        clients=clients,
        applied=done,
        refused=sum(refused),
        elapsed_s=elapsed,
        client_cpu_us=cpu / max(done, 1) * 1e6,
        server_cpu_us=srv / max(done, 1) * 1e6,
        latency_ms_p50=lat[len(lat) // 2],
        latency_ms_p99=lat[min(len(lat) - 1, int(len(lat) * 0.99))],
        commits=len(lat),
    )


# ---------------------------------------------------------------------------------------------------
# the section


def _spread(xs: Sequence[float]) -> tuple[float, float, float]:
    return statistics.median(xs), min(xs), max(xs)


def _fmt(v: tuple[float, float, float], f: str = "{:,.0f}") -> tuple[str, str]:
    return f.format(v[0]), f"{f.format(v[1])} - {f.format(v[2])}"


def measure(
    smoke: bool,
    *,
    clients: int = 2,
    batch: int | None = None,
    chain: bool = True,
    cluster: Cluster | None = None,
) -> tuple[dict[str, list[RunResult]], list[float], dict[str, str]]:
    """Runs per mode, fsync/s samples of the cluster's disk, and the server's settings.

    On `cluster` if given (the tests share theirs: initdb is most of a smoke run), else on a
    throwaway cluster of its own.
    """
    server_bin_dir()  # fail in one line, before pre-signing
    if cluster is None:
        with throwaway_cluster() as own:
            return measure(smoke, clients=clients, batch=batch, chain=chain, cluster=own)
    duration = SMOKE_S if smoke else FULL_S
    batch = batch or (500 if smoke else BATCH)
    repeats = 1 if smoke else 3
    pool = 4_000 if smoke else 120_000
    issuers = [SigningKey.generate() for _ in range(8)]
    print(f"pre-signing {pool:,} attest.record transactions (loadgen.presign, 8 issuers)", flush=True)
    raws = presign(pool, issuers, 0)
    modes = {"per-op": 1, "batched": batch}
    runs: dict[str, list[RunResult]] = {m: [] for m in modes}
    fsyncs: list[float] = []
    with cluster.connect() as c:
        names = ("server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_sync_method")
        settings = {n: str(c.execute(f"SHOW {n}").fetchone()[0]) for n in names}
    print("server: " + ", ".join(f"{k}={v}" for k, v in settings.items()), flush=True)
    for r in range(repeats):
        # the disk's fsync rate, in the cluster's own directory, beside each repeat (noisy machine)
        fsyncs.append(baselines.fsync_per_s(cluster.root, 50 if smoke else 300))
        print(f"  fsync of the cluster's disk: {fsyncs[-1]:,.0f} fsync/s", flush=True)
        for name, b in modes.items():
            res = run_mode(cluster, raws, issuers, batch=b, clients=clients, duration_s=duration, chain=chain)
            runs[name].append(res)
            short = " (pool used up)" if res.applied + res.refused >= len(raws) - clients * WARMUP else ""
            print(
                f"  run {r + 1} {name:<8} batch {b:>5}: {res.tx_per_s:>8,.0f} tx/s  "
                f"{res.applied:,} applied, {res.refused} refused in {res.elapsed_s:.1f} s{short}; "
                f"cpu/op client {res.client_cpu_us:,.0f} us, server {res.server_cpu_us:,.0f} us; "
                f"commit p50 {res.latency_ms_p50:.1f} ms, p99 {res.latency_ms_p99:.1f} ms",
                flush=True,
            )
    return runs, fsyncs, settings


def section(smoke: bool, *, cluster: Cluster | None = None) -> list[str]:
    """Markdown for docs/benchmarks.md; raises PgUnavailable when the server is not installed."""
    clients = 2
    runs, fsyncs, settings = measure(smoke, clients=clients, cluster=cluster)
    if smoke:
        every = [r for rs in runs.values() for r in rs]
        assert all(r.applied > 0 and r.refused == 0 for r in every), (
            "smoke run applied nothing or refused load"
        )
    fs = _spread(fsyncs)
    fmed, frng = _fmt(fs)
    batch = runs["batched"][0].batch
    labels = {
        "per-op": "one DB transaction per operation",
        "batched": f"batched, {batch:,} per DB transaction",
    }
    lines = [
        "## PostgreSQL, same signed writes (same run)",
        "",
        "`make bench`, module `benchmarks/pg_bench.py` (alone: `python -m benchmarks.pg_bench`).",
        "",
        f"PostgreSQL {settings['server_version']} in a throwaway cluster the benchmark starts, with "
        f"fsync={settings['fsync']}, synchronous_commit={settings['synchronous_commit']},",
        f"full_page_writes={settings['full_page_writes']}, wal_sync_method={settings['wal_sync_method']}, "
        f"defaults otherwise; {clients} client threads with one connection each.",
        "The application takes the node's own pre-signed `attest.record` transactions, decodes them",
        "strictly, verifies every Ed25519 signature (`verify` per operation, the node's `BatchVerifier` per",
        "batch) and writes the record (unique digest, unique transaction id against replay, issuer role by",
        "a join) and an audit row holding the signed transaction: append-only (triggers refuse UPDATE,",
        "DELETE, TRUNCATE) and hash-chained to the previous row by a trigger that holds the chain head until",
        "commit. Batches go in by COPY and one set-based statement. "
        f"Median of {len(fsyncs)} run(s) of {SMOKE_S if smoke else FULL_S:.0f} s per mode, min - max beside;",
        "CPU per operation from /proc (client: the benchmark process, all threads; server: every postgres",
        "process); latency per DB commit, from taking the operation(s) to the durable commit.",
        "",
        "| mode | tx/s | min - max | client CPU/op | server CPU/op | commit p50 | commit p99 "
        "| fsync/s, same disk, same run | tx/s per fsync/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, rs in runs.items():
        tps = _spread([r.tx_per_s for r in rs])
        med, rng = _fmt(tps)
        ccpu = _fmt(_spread([r.client_cpu_us for r in rs]))[0]
        scpu = _fmt(_spread([r.server_cpu_us for r in rs]))[0]
        p50 = _fmt(_spread([r.latency_ms_p50 for r in rs]), "{:,.1f}")[0]
        p99 = _fmt(_spread([r.latency_ms_p99 for r in rs]), "{:,.1f}")[0]
        lines.append(
            f"| {labels[name]} | {med} | {rng} | {ccpu} us | {scpu} us | {p50} ms | {p99} ms "
            f"| {fmed} ({frng}) | {tps[0] / fs[0]:.2f} |"
        )
    lines += [
        "",
        "Comparable: the same signed bytes, the same decoding, signature, replay and role checks, and a",
        "durable (fsync'd) commit of the record and of the signed transaction on the same disk. Not",
        "comparable: PostgreSQL keeps no Merkle state and gives no proofs of reads or inclusion, signs no",
        "blocks and replicates nothing (no BFT); its audit chain is only as good as that one server's admin.",
        "",
    ]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description="PostgreSQL baseline for the node's headline workload")
    ap.add_argument("--smoke", action="store_true", help="a few seconds, proves the path works")
    ap.add_argument("--clients", type=int, default=2, help="client threads, one connection each")
    ap.add_argument("--batch", type=int, default=0, help="operations per DB transaction in batched mode")
    ap.add_argument("--no-chain", action="store_true", help="audit rows not hash-chained (exploration)")
    args = ap.parse_args()
    try:
        if args.clients != 2 or args.batch or args.no_chain:
            _, fsyncs, _ = measure(
                args.smoke, clients=args.clients, batch=args.batch, chain=not args.no_chain
            )
            print(f"fsync/s median {statistics.median(fsyncs):,.0f}")
            return 0
        print("\n".join(section(args.smoke)))
    except PgUnavailable as exc:
        print(f"pg_bench: {exc}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
