"""A local multi-validator network on one machine: layout, genesis, and one OS process per node.

`create_network` lays out `<home>/network/`:

    genesis.json            shared by every node (N validators of power 10, the dev members)
    keys/                   the governance members' keys (admin-1, registrar-1, ...), for `tx submit`
    peers.json              the address book (`node/addressbook.py`): id, host, ports, certificate
    manifest.json           the address book plus one entry per node process (pid, ports, log)
    node-<i>/               a node home: keys/validator.key.json (its node key), genesis.json,
                            node.json, chain/ (LMDB), bft/ (WAL, privval, proposer state), node.log

Validators come first (`node-0 .. node-<N-1>`), then full nodes. Ports: node i listens for the API
on `base_port + 2i` and for peers on `base_port + 2i + 1`, all on 127.0.0.1.

`start_nodes` starts each node not already running as `python -m govledger.cli.main --home
node-<i> node start ... --peers peers.json` in its own session (so a Ctrl-C in the terminal that ran
`network up` does not reach it), stdout and stderr appended to `node-<i>/node.log`, and records the
pid in the manifest. `stop_nodes` sends SIGTERM, waits up to a bound, then SIGKILLs what is left.
A pid is only signalled while its /proc cmdline still names that node's home, so a recycled pid is
never hit.

Threading: none; these are plain functions called by the CLI, the tests and the benchmark.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import msgspec

from govledger.apps.documents.app import default_policies_json as documents_policies_json
from govledger.apps.land.app import default_policies_json as land_policies_json
from govledger.apps.privacy.app import DEFAULT_PURPOSES
from govledger.apps.privacy.app import default_policies_json as privacy_policies_json
from govledger.apps.vital.app import default_policies_json as vital_policies_json
from govledger.crypto.signatures import Scheme, SigningKey
from govledger.errors import GovledgerError
from govledger.ledger.app import HasRole
from govledger.ledger.block import Validator
from govledger.ledger.genesis import GenesisDoc, dump_genesis
from govledger.net.identity import NodeIdentity
from govledger.node.addressbook import AddressBook, PeerEntry, dump_address_book
from govledger.node.devnet import DEV_MEMBERS, DEV_PASSPHRASE, VALIDATOR_KEY, init_chain, save_key

__all__ = [
    "Manifest",
    "NodeProcess",
    "create_network",
    "load_manifest",
    "network_genesis",
    "node_alive",
    "start_nodes",
    "stop_nodes",
]

NETWORK_DIR: Final = "network"
VALIDATORS_MAX: Final = 64
FULL_NODES_MAX: Final = 64
POWER: Final = 10
STOP_GRACE_S: Final = 15.0


class NodeProcess(msgspec.Struct):
    name: str
    id: str
    home: str
    api_port: int
    p2p_port: int
    validator: bool
    pid: int = 0
    log: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"


class Manifest(msgspec.Struct):
    chain_id: str
    peers: list[PeerEntry]
    nodes: list[NodeProcess]
    timeouts_ms: list[int] = []
    empty_block_interval_ms: int = 1000


def network_root(home: Path) -> Path:
    return home.resolve() / NETWORK_DIR


def manifest_path(home: Path) -> Path:
    return network_root(home) / "manifest.json"


def load_manifest(home: Path) -> Manifest:
    path = manifest_path(home)
    try:
        return msgspec.json.decode(path.read_bytes(), type=Manifest)
    except FileNotFoundError:
        raise GovledgerError("network.not_found", f"no local network in {network_root(home)}") from None
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise GovledgerError("network.bad_manifest", f"{path}: {exc}") from None


def save_manifest(home: Path, manifest: Manifest) -> None:
    path = manifest_path(home)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(msgspec.json.format(msgspec.json.encode(manifest), indent=2))
    os.replace(tmp, path)


def network_genesis(
    chain_id: str, validators: Sequence[SigningKey], members: dict[str, SigningKey], power: int = POWER
) -> bytes:
    """The genesis of a dev network: `validators` of equal power, the dev members with `members` keys."""
    orgs: dict[str, dict[str, str]] = {}
    entries = []
    for member_id, org, kind, org_name, roles in DEV_MEMBERS:
        orgs[org] = {"org_id": org, "name": org_name, "kind": kind}
        entries.append(
            {
                "member_id": member_id,
                "org": org,
                "name": f"{org_name} ({member_id})",
                "roles": roles,
                "public_keys": [msgspec.to_builtins(members[member_id].public_key)],
            }
        )
    policies = {
        "governance.*": msgspec.to_builtins(HasRole(role="admin", count=1)),
        "attest.record": msgspec.to_builtins(HasRole(role="issuer", count=1)),
        **land_policies_json(),
        **privacy_policies_json(),
        **vital_policies_json(),
        **documents_policies_json(),
    }
    doc = GenesisDoc(
        chain_id=chain_id,
        genesis_time_ms=int(time.time() * 1000),
        validators=[Validator(public_key=k.public_key, power=power) for k in validators],
        app_state={
            "governance": {"orgs": list(orgs.values()), "members": entries, "policies": policies},
            "privacy": {"purposes": DEFAULT_PURPOSES},
        },
    )
    return dump_genesis(doc)


def create_network(
    home: Path,
    *,
    validators: int,
    full_nodes: int = 0,
    base_port: int = 26600,
    chain_id: str = "govledger-local",
    passphrase: str = DEV_PASSPHRASE,
    scrypt_n: int = 2**15,
    timeouts_ms: tuple[int, int, int] = (1000, 500, 500),
    empty_block_interval_ms: int = 1000,
    members: dict[str, SigningKey] | None = None,
) -> Manifest:
    """Create keys, the shared genesis and every node home under `<home>/network/` (must not exist).

    `members`: the dev members' keys (by member id) to put in genesis instead of fresh ones, so that
    transactions signed once are valid on several networks of the same chain id (the benchmark).
    Node keys are always fresh; the first `validators` of them form the genesis set, the rest are
    full nodes (in the address book, never in the set).
    """
    if not 1 <= validators <= VALIDATORS_MAX or not 0 <= full_nodes <= FULL_NODES_MAX:
        raise GovledgerError(
            "network.bad_size", f"1..{VALIDATORS_MAX} validators and 0..{FULL_NODES_MAX} full nodes"
        )
    last_port = base_port + 2 * (validators + full_nodes) - 1
    if base_port < 1024 or last_port > 65535:
        raise GovledgerError("network.bad_port", f"ports {base_port}..{last_port} are not all in 1024..65535")
    root = network_root(home)  # absolute: each node process runs in its own directory
    if root.exists():
        raise GovledgerError("network.exists", f"{root} already exists; `network down` and remove it first")
    root.mkdir(parents=True)
    if members is None:
        members = {m[0]: SigningKey.generate(Scheme.ED25519) for m in DEV_MEMBERS}
    elif missing := {m[0] for m in DEV_MEMBERS} - members.keys():
        raise GovledgerError("network.bad_members", f"no key for {', '.join(sorted(missing))}")
    for name, key in members.items():
        save_key(root / "keys" / f"{name}.key.json", key, passphrase, scrypt_n)
    node_keys = [SigningKey.generate(Scheme.ED25519) for _ in range(validators + full_nodes)]
    genesis = network_genesis(chain_id, node_keys[:validators], members)
    (root / "genesis.json").write_bytes(genesis)
    peers: list[PeerEntry] = []
    nodes: list[NodeProcess] = []
    for i, key in enumerate(node_keys):
        is_validator = i < validators
        name = f"node-{i}"
        node_home = root / name
        save_key(node_home / "keys" / f"{VALIDATOR_KEY}.key.json", key, passphrase, scrypt_n)
        (node_home / "genesis.json").write_bytes(genesis)
        (node_home / "node.json").write_text(
            msgspec.json.encode({"chain_id": chain_id, "validator_key": VALIDATOR_KEY}).decode()
        )
        init_chain(node_home, genesis)
        kid = key.public_key.key_id().hex()
        api_port, p2p_port = base_port + 2 * i, base_port + 2 * i + 1
        cert = NodeIdentity(key).certificate_pem.decode()
        peers.append(PeerEntry(kid, "127.0.0.1", p2p_port, api_port, cert, is_validator, name))
        nodes.append(
            NodeProcess(
                name, kid, str(node_home), api_port, p2p_port, is_validator, 0, str(node_home / "node.log")
            )
        )
    (root / "peers.json").write_bytes(dump_address_book(AddressBook(chain_id, peers)))
    manifest = Manifest(chain_id, peers, nodes, list(timeouts_ms), empty_block_interval_ms)
    save_manifest(home, manifest)
    return manifest


def ephemeral_port_low() -> int:
    """The first port of the kernel's ephemeral range (where outgoing sockets take their local port)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default


def free_base_port(count: int, *, rng: random.Random | None = None) -> int:
    """A base port whose `count` ports on 127.0.0.1 are free now (checked by binding), for `base_port`.

    Chosen below the kernel's ephemeral range: nodes dial each other while later nodes are still
    starting, and a dialling socket's local port, taken from that range, could otherwise be the port
    a node is about to listen on (a full-suite test run lost a node's API port that way).
    """
    pick = rng or random.Random()
    top = min(60_000, ephemeral_port_low()) - count
    for _ in range(50):
        base = pick.randrange(20_000, top, 10)
        socks: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
        return base
    raise GovledgerError(
        "network.no_free_ports", f"found no {count} free ports in a row below the ephemeral range"
    )


def node_alive(node: NodeProcess) -> bool:
    """Is `node.pid` still this node's process (not a recycled pid, not a zombie)?"""
    if node.pid <= 0:
        return False
    try:
        cmdline = Path(f"/proc/{node.pid}/cmdline").read_bytes().split(b"\x00")
        state = Path(f"/proc/{node.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and node.home.encode() in cmdline


def node_command(manifest: Manifest, node: NodeProcess, home: Path) -> list[str]:
    propose, prevote, precommit = [*manifest.timeouts_ms, 1000, 500, 500][:3]
    cmd = [
        sys.executable,
        "-m",
        "govledger.cli.main",
        "--home",
        node.home,
        "node",
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        str(node.api_port),
        "--p2p-port",
        str(node.p2p_port),
        "--peers",
        str(network_root(home) / "peers.json"),
        "--bft",
        "--empty-block-interval-ms",
        str(manifest.empty_block_interval_ms),
        "--timeout-propose-ms",
        str(propose),
        "--timeout-vote-ms",
        str(max(prevote, precommit)),
        "--log-level",
        "warning",
    ]
    if not node.validator:
        cmd.append("--full-node")
    return cmd


def start_nodes(
    home: Path, names: Sequence[str] = (), *, env: dict[str, str] | None = None
) -> list[NodeProcess]:
    """Start the named nodes (default: all) that are not running; returns the ones started."""
    manifest = load_manifest(home)
    started: list[NodeProcess] = []
    wanted = set(names) or {n.name for n in manifest.nodes}
    unknown = wanted - {n.name for n in manifest.nodes}
    if unknown:
        raise GovledgerError("network.unknown_node", f"no node named {', '.join(sorted(unknown))}")
    for node in manifest.nodes:
        if node.name not in wanted or node_alive(node):
            continue
        log_path = Path(node.log or Path(node.home) / "node.log")
        with open(log_path, "ab") as log_file:
            proc = subprocess.Popen(
                node_command(manifest, node, home),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, **(env or {})},
                cwd=node.home,
            )
        node.pid = proc.pid
        started.append(node)
    save_manifest(home, manifest)
    return started


def stop_nodes(home: Path, names: Sequence[str] = (), *, grace_s: float = STOP_GRACE_S) -> list[str]:
    """SIGTERM the named (default: all) running nodes, SIGKILL those alive after `grace_s`."""
    manifest = load_manifest(home)
    wanted = set(names) or {n.name for n in manifest.nodes}
    targets = [n for n in manifest.nodes if n.name in wanted and node_alive(n)]
    for node in targets:
        _signal(node.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while any(node_alive(n) for n in targets) and time.monotonic() < deadline:
        _reap(targets)
        time.sleep(0.05)  # polling process exit; there is no portable wait on a non-child pid
    killed = []
    for node in targets:
        if node_alive(node):
            _signal(node.pid, signal.SIGKILL)
            killed.append(node.name)
    _reap(targets)
    for node in manifest.nodes:
        if node.name in wanted:
            node.pid = 0
    save_manifest(home, manifest)
    return killed


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _reap(nodes: Sequence[NodeProcess]) -> None:
    """Collect exit statuses of nodes that are our children (started in this process)."""
    for node in nodes:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(node.pid, os.WNOHANG)
