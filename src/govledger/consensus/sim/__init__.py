"""A deterministic simulator that drives real consensus cores through faults and checks safety.

`run_seed(seed, SimOptions(...))` runs one world and returns a `SimResult`; the command line is
`python -m govledger.consensus.sim --seeds 300` (see `__main__`). Modules: `scenario` (what a seed
means), `network` (delivery), `app` (keys and values), `runner` (event loop, nodes, Byzantine
behaviour, checks).
"""

from govledger.consensus.sim.runner import SimResult, Simulation, repro_line, run_seed
from govledger.consensus.sim.scenario import BYZANTINE_MODES, FAULT_KINDS, SimOptions

__all__ = [
    "BYZANTINE_MODES",
    "FAULT_KINDS",
    "SimOptions",
    "SimResult",
    "Simulation",
    "repro_line",
    "run_seed",
]
