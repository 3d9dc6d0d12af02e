"""Child process for the crash test: commits blocks durably forever, printing each committed height."""

from __future__ import annotations

import sys
from pathlib import Path

from govledger.apps.attest.app import RecordBody
from tests.ledger.conftest import DevChain, genesis_bytes, make_keys

TXS_PER_BLOCK = 50


def main() -> None:
    keys = make_keys()
    dev = DevChain(Path(sys.argv[1]), keys, genesis_bytes(keys), sync=True)
    n = dev.chain.height * TXS_PER_BLOCK
    while True:
        raws = [
            dev.tx("attest", "record", RecordBody((n + i).to_bytes(32, "big"), "deed", "c"), keys.notary)
            for i in range(TXS_PER_BLOCK)
        ]
        n += TXS_PER_BLOCK
        print(dev.commit(raws).header.height, flush=True)


if __name__ == "__main__":
    main()
