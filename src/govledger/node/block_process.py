"""Block production in a process of its own, for the single-validator node.

Why: in one process, admission (decoding, signature checks, the pre-check) and block production
(execution, the state tree, the roots, the LMDB write) share one GIL, and the node spends about a
third of its CPU handing it back and forth (docs/benchmarks.md). Here the child process owns the
chain's writes: it decodes the transactions the node admitted, builds and executes the block, and
commits it to LMDB; the node process keeps admission, the API and the listeners, and reads the
same LMDB environment (read-only) as each block lands.

The child is `python -m govledger.node.block_process`, talking length-prefixed msgpack over its
stdin and stdout. The validator key never leaves the node process: the child sends the header it
built, the node signs the commit, and the child writes block and commit in one LMDB transaction.
So per block:

    node  -> child   Build(raws, time_ms, proposer)
    child -> node    Built(header)                 (or Failed)
    node  -> child   Seal(commit)
    child -> node    Sealed(receipts, end-block events)   (or Failed)

The transactions come from the node's mempool, which decoded them strictly and checked their shape
and signatures; the child decodes the same bytes again without re-checking them. The child holds
the data directory's writer lock and exits when the node process dies (PR_SET_PDEATHSIG) or closes
the pipe.

Threading: `BlockProcess` is called from one thread at a time (the node's block thread, under the
node's produce lock).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import select
import signal
import struct
import subprocess
import sys
from pathlib import Path
from typing import IO

import msgspec

from govledger.errors import GovledgerError
from govledger.ledger.block import Commit, Event, Header, Receipt

log = logging.getLogger("govledger.node.block_process")

START_TIMEOUT_S = 120.0


class Build(msgspec.Struct, tag=True, frozen=True):
    raws: list[bytes]
    time_ms: int
    proposer: bytes


class Built(msgspec.Struct, tag=True, frozen=True):
    header: Header


class Seal(msgspec.Struct, tag=True, frozen=True):
    commit: Commit


class Sealed(msgspec.Struct, tag=True, frozen=True):
    receipts: list[Receipt]
    end_block_events: list[Event]


class Ready(msgspec.Struct, tag=True, frozen=True):
    height: int


class Failed(msgspec.Struct, tag=True, frozen=True):
    code: str
    message: str


Message = Build | Built | Seal | Sealed | Ready | Failed
_encoder = msgspec.msgpack.Encoder()
_decoder: msgspec.msgpack.Decoder[Message] = msgspec.msgpack.Decoder(Message)
_LENGTH = struct.Struct(">I")


def _send(out: IO[bytes], message: Message) -> None:
    body = _encoder.encode(message)
    out.write(_LENGTH.pack(len(body)) + body)
    out.flush()


def _receive(inp: IO[bytes]) -> Message:
    """The next message; EOFError when the other side has closed the pipe."""
    head = inp.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError
    (size,) = _LENGTH.unpack(head)
    body = inp.read(size)
    if len(body) < size:
        raise EOFError
    return _decoder.decode(body)


class BlockProcess:
    """The node's handle on its block-producing child process (`python -m govledger.node.block_process`)."""

    def __init__(self, chain_dir: Path, *, sync: bool) -> None:
        self._chain_dir = chain_dir
        self._sync = sync
        self._process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        """Start the child and wait until it holds the writer lock and has read the tip."""
        self.stop()  # a child that died unnoticed: reap it and close its pipes before the next
        # A fresh interpreter, not multiprocessing: nothing of the node's state (threads, the key,
        # the __main__ module) is copied or re-imported into it.
        self._process = subprocess.Popen(
            [sys.executable, "-m", "govledger.node.block_process", str(self._chain_dir), str(int(self._sync)),
             str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )  # fmt: skip
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], START_TIMEOUT_S)
        try:
            if not ready:
                raise GovledgerError("node.block_process", "the block process did not start in time")
            answer = self._answer()
            if not isinstance(answer, Ready):
                raise GovledgerError("node.block_process", f"the block process sent {type(answer).__name__}")
        except EOFError:
            self.stop()
            raise GovledgerError("node.block_process", "the block process exited while starting") from None
        except GovledgerError:
            self.stop()
            raise

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def build(self, raws: list[bytes], time_ms: int, proposer: bytes) -> Header:
        """Build and execute the next block from admitted transactions; nothing is written yet."""
        answer = self._ask(Build(raws, time_ms, proposer))
        if not isinstance(answer, Built):
            raise GovledgerError("node.block_process", f"expected a header, got {type(answer).__name__}")
        return answer.header

    def seal(self, commit: Commit) -> Sealed:
        """Write the block just built with its commit (one LMDB transaction); its receipts and events."""
        answer = self._ask(Seal(commit))
        if not isinstance(answer, Sealed):
            raise GovledgerError("node.block_process", f"expected the receipts, got {type(answer).__name__}")
        return answer

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None and process.stdout is not None
        with contextlib.suppress(OSError):
            process.stdin.close()  # the child reads EOF and exits
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        process.stdout.close()

    def _ask(self, message: Message) -> Message:
        if self._process is None:
            raise GovledgerError("node.block_process", "the block process is stopped")
        assert self._process.stdin is not None
        try:
            _send(self._process.stdin, message)
            return self._answer()
        except (EOFError, OSError):
            self.stop()
            raise GovledgerError("node.block_process", "the block process died") from None

    def _answer(self) -> Message:
        assert self._process is not None and self._process.stdout is not None
        answer = _receive(self._process.stdout)
        if isinstance(answer, Failed):
            raise GovledgerError(answer.code, answer.message)
        return answer


def cpu_seconds(pid: int, *, with_children: bool = True) -> float:
    """User + system CPU of process `pid` (Linux /proc), and of its live children by default (a solo
    node's block process); 0.0 for a process that is gone."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or (with_children and fields[1] == str(pid)):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


# --- the child -----------------------------------------------------------------------------------------


def _die_with_parent(parent_pid: int) -> None:
    """Linux: SIGKILL this process when the node process dies, so a killed node frees its data dir."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _serve(inp: IO[bytes], out: IO[bytes], chain_dir: str, sync: bool) -> None:
    from govledger.apps import registry
    from govledger.codec import decode_trusted
    from govledger.crypto.signatures import BatchVerifier
    from govledger.ledger.chain import Candidate, Chain, PendingBlock
    from govledger.ledger.storage import Storage
    from govledger.ledger.tx import Transaction

    try:
        storage = Storage(Path(chain_dir), sync=sync)
        chain = Chain(storage, registry.apps(), registry.authority(), BatchVerifier(threads=1))
    except GovledgerError as exc:
        _send(out, Failed(exc.code, exc.message))
        return
    except Exception as exc:  # a damaged store (lmdb.Error), a bad path: one line for the node to report
        _send(out, Failed("storage.unreadable", f"cannot open the chain in {chain_dir}: {exc}"))
        return
    _send(out, Ready(chain.height))
    pending: PendingBlock | None = None
    try:
        while True:
            try:
                message = _receive(inp)
            except EOFError:
                return
            try:
                if isinstance(message, Build):
                    # Admitted by the node's mempool: these exact bytes were decoded strictly, their
                    # shape and signatures checked there; decoding them again here needs no re-check.
                    candidates = [Candidate.of(raw, decode_trusted(raw, Transaction)) for raw in message.raws]
                    pending = chain.build_block(candidates, message.time_ms, message.proposer)
                    _send(out, Built(pending.header))
                elif isinstance(message, Seal) and pending is not None:
                    chain.commit(pending, message.commit)
                    _send(out, Sealed(pending.receipts, pending.outcome.end_block_events))
                    pending = None
                else:
                    _send(out, Failed("node.block_process", f"unexpected {type(message).__name__}"))
            except GovledgerError as exc:
                pending = None
                _send(out, Failed(exc.code, exc.message))
            except Exception as exc:  # a bug: report it, and let the node decide; the block was not written
                log.exception("block process failed")
                pending = None
                _send(out, Failed("node.block_process", f"{type(exc).__name__}: {exc}"))
    finally:
        storage.close()


def main(argv: list[str]) -> int:
    chain_dir, sync, parent_pid = argv[0], argv[1] == "1", int(argv[2])
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the node's to handle; it closes the pipe
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # The protocol owns stdout; anything printed by mistake goes to stderr instead.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    _serve(sys.stdin.buffer, out, chain_dir, sync)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
