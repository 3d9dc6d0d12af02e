"""A consensus loop that breaks stops taking part and says so once, through `on_failure`, so that
`node start` can exit for its supervisor to restart it (the restart resumes from the WAL)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from .harness import make_net, running


def test_a_broken_consensus_loop_calls_on_failure_once(tmp_path: Path) -> None:
    net = make_net(tmp_path, 1)
    with running(net, [0]):
        node = net.nodes[0]
        calls: list[str] = []
        called = threading.Event()

        def hook(why: str) -> None:
            calls.append(why)
            called.set()

        node.on_failure = hook
        broken: Any = None  # not a consensus message: handling it raises on the core thread
        node.inject(broken)
        assert called.wait(30), "on_failure was not called"
        assert node.failed is not None and calls == [node.failed]
        assert "handling failed" in calls[0]
        node.inject(broken)  # a stopped loop drops further input; the hook is not called again
        assert node.run_on_core(lambda: len(calls)) == 1
