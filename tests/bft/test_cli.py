"""The CLI pieces of a BFT network that need no running processes: `network join`, peers files."""

from __future__ import annotations

import json
import random
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govledger.cli.main import app
from govledger.errors import GovledgerError
from govledger.ledger.storage import Storage
from govledger.node.addressbook import AddressBook, dump_address_book, load_address_book
from govledger.node.network import create_network, ephemeral_port_low, free_base_port, load_manifest

runner = CliRunner()


def test_network_layout_and_join(tmp_path: Path) -> None:
    manifest = create_network(tmp_path / "h", validators=3, full_nodes=1, base_port=40000, scrypt_n=1024)
    assert [n.validator for n in manifest.nodes] == [True, True, True, False]
    assert [(n.api_port, n.p2p_port) for n in manifest.nodes][:2] == [(40000, 40001), (40002, 40003)]
    book = load_address_book(tmp_path / "h" / "network" / "peers.json")
    assert load_address_book(tmp_path / "h" / "network" / "manifest.json") == book
    assert load_manifest(tmp_path / "h").chain_id == "govledger-local"
    genesis = tmp_path / "h" / "network" / "genesis.json"
    result = runner.invoke(
        app,
        ["--home", str(tmp_path / "new"), "--scrypt-n", "1024", "network", "join", "--genesis", str(genesis),
         "--p2p-port", "40011", "--api-port", "40010"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    entry = json.loads(result.stdout[result.stdout.index("{") :])
    assert entry["p2p_port"] == 40011 and not entry["validator"]
    # The entry is a valid address-book entry (its certificate is for its key id) ...
    book.peers.append(book.peers[0].__class__(**entry))
    (tmp_path / "book.json").write_bytes(dump_address_book(AddressBook(book.chain_id, book.peers)))
    assert len(load_address_book(tmp_path / "book.json").peers) == 5
    # ... and the new home holds the network's block 0.
    new_store = Storage(tmp_path / "new" / "chain", readonly=True)
    old_store = Storage(Path(manifest.nodes[0].home) / "chain", readonly=True)
    try:
        assert new_store.block_bytes(0) == old_store.block_bytes(0)
    finally:
        new_store.close()
        old_store.close()
    again = runner.invoke(
        app, ["--home", str(tmp_path / "new"), "network", "join", "--genesis", str(genesis)]
    )
    assert again.exit_code == 2 and "network.exists" in again.output


def test_a_peers_file_with_a_foreign_certificate_is_refused(tmp_path: Path) -> None:
    create_network(tmp_path / "h", validators=2, base_port=40100, scrypt_n=1024)
    path = tmp_path / "h" / "network" / "peers.json"
    data = json.loads(path.read_text())
    data["peers"][0]["certificate"] = data["peers"][1]["certificate"]
    path.write_text(json.dumps(data))
    with pytest.raises(GovledgerError) as info:
        load_address_book(path)
    assert info.value.code == "peers.invalid" and "another key" in info.value.message


def test_free_base_port_stays_below_the_ephemeral_range_and_skips_taken_ports() -> None:
    count = 12
    base = free_base_port(count, rng=random.Random(7))
    assert base >= 20_000 and base + count <= ephemeral_port_low()
    # Hold one port of that range: the same draw must now land elsewhere, on ports that are all free.
    with socket.socket() as held:
        held.bind(("127.0.0.1", base + count // 2))
        other = free_base_port(count, rng=random.Random(7))
        assert not other <= base + count // 2 < other + count
        for port in range(other, other + count):
            with socket.socket() as s:
                s.bind(("127.0.0.1", port))
