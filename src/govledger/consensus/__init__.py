"""Ordering: the Tendermint consensus core, its safety machinery, and a simulator that checks it.

`core` (the sans-I/O state machine of Algorithm 1), `types` (wire types, sign bytes, commits,
evidence), `proposer` (weighted round-robin), `votes` (tallies), `privval` (double-sign
protection), `wal` (write-ahead log), `sim` (deterministic fault-injecting simulator). Values are
opaque: nothing here imports ledger, node, net or api. See docs/consensus.md.
"""
