"""Prometheus metrics of one node, in a registry of their own (so several apps can live in one process).

Blocks, committed and failed transactions and block production time are fed by the commit listener;
admission rejections by code are counted by the submit routes; mempool size and height are read at
scrape time.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from govledger.node.node import CommittedBlock, Node

PRODUCE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self, node: Node) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.blocks = Counter("govledger_blocks", "Blocks committed by this process.", registry=r)
        self.txs = Counter("govledger_txs_committed", "Transactions committed (ok or failed).", registry=r)
        self.failed = Counter(
            "govledger_txs_failed", "Committed transactions whose receipt is not ok.", registry=r
        )
        self.rejections = Counter(
            "govledger_admission_rejections",
            "Transactions refused at admission, by code.",
            ["code"],
            registry=r,
        )
        self.produce = Histogram(
            "govledger_block_produce_seconds",
            "Time to cut, execute, sign and commit a block.",
            buckets=PRODUCE_BUCKETS,
            registry=r,
        )
        Gauge("govledger_height", "Last committed height.", registry=r).set_function(
            lambda: node.chain.height
        )
        Gauge("govledger_mempool_txs", "Transactions in the mempool.", registry=r).set_function(
            lambda: len(node.mempool)
        )
        Gauge("govledger_mempool_bytes", "Bytes of transactions in the mempool.", registry=r).set_function(
            lambda: node.mempool.pending_bytes
        )
        Gauge(
            "govledger_last_block_age_seconds", "Seconds since the last block's time.", registry=r
        ).set_function(lambda: max(0.0, time.time() - node.chain.tip.time_ms / 1000))

    def on_commit(self, block: CommittedBlock) -> None:
        self.blocks.inc()
        self.txs.inc(len(block.receipts))
        failed = sum(1 for r in block.receipts if r.code != "ok")
        if failed:
            self.failed.inc(failed)
        self.produce.observe(block.produce_ms / 1000)

    def rejected(self, codes: Iterable[str]) -> None:
        for code, n in Tally(c for c in codes if c != "ok").items():
            self.rejections.labels(code=code).inc(n)

    def render(self) -> bytes:
        return generate_latest(self.registry)
