"""Fixtures: an election at each phase, built once per session and cloned per test (see world.py)."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import pytest

from govledger.apps.voting import record
from govledger.apps.voting.model import ElectionExport

from . import world as w
from .harness import A, Ledger


@dataclass
class World:
    led: Ledger
    guardians: list[w.Guardian]

    def clone(self) -> World:
        return World(self.led.clone(), copy.deepcopy(self.guardians))


_CACHE: dict[str, World] = {}

ALL_VOTERS = range(1, 31)  # style "all"
CITY_VOTERS = range(31, 36)  # style "city"


def _setup() -> World:
    led = Ledger()
    led.ok("create_election", w.create_body(led), A.official)
    return World(led, [])


def _ready() -> World:
    world = _cached("setup").clone()
    world.guardians = w.run_ceremony(world.led)
    w.register(world.led, ALL_VOTERS)
    w.register(world.led, CITY_VOTERS, style="city")
    return world


def _voting() -> World:
    world = _cached("ready").clone()
    w.open_voting(world.led)
    return world


def _closed() -> World:
    """Four ballots cast by voters 1-4 (one of them revoted), one challenged, the poll closed."""
    world = _cached("voting").clone()
    led = world.led
    ctx = w.context(led)
    votes = [
        w.encrypt(ctx, 1, {"mayor": {"alice": 1}, "council": {"dan": 1, "eve": 1}, "measure-1": {"yes": 1}}),
        w.encrypt(ctx, 2, {"mayor": {"bob": 1}, "council": {"eve": 1}, "measure-1": {"no": 1}}),
        w.encrypt(
            ctx, 3, {"mayor": {"alice": 1}, "council": {"grace": 1, "dan": 1}, "measure-1": {"yes": 1}}
        ),
        w.encrypt(ctx, 4, {"mayor": {"carol": 1}, "council": {}, "measure-1": {"yes": 1}}),
    ]
    revote = w.encrypt(ctx, 4, {"mayor": {"alice": 1}, "council": {"frank": 1}, "measure-1": {"no": 1}})
    spoiled = w.encrypt(ctx, 5, {"mayor": {"bob": 1}, "council": {}, "measure-1": {}})
    w.run_ops_in_blocks(led, [b.cast() for b in votes] + [spoiled.challenge()])
    w.run_ops_in_blocks(led, [revote.cast()])
    w.close_poll(led)
    return world


_BUILDERS = {"setup": _setup, "ready": _ready, "voting": _voting, "closed": _closed}

# What the closed world's tally must decrypt to (voter 4's revote replaces its first ballot).
CLOSED_EXPECTED = {"mayor": [3, 1, 0], "council": [2, 2, 1, 1], "measure-1": [2, 2]}


def _cached(name: str) -> World:
    if name not in _CACHE:
        _CACHE[name] = _BUILDERS[name]()
    return _CACHE[name]


@pytest.fixture
def setup_world() -> World:
    """Election `mayor-2026` created (5 guardians, quorum 3), key ceremony not started."""
    return _cached("setup").clone()


@pytest.fixture
def ready_world() -> World:
    """Key ceremony complete, 30 `all` and 5 `city` credentials registered, window not yet open."""
    return _cached("ready").clone()


@pytest.fixture
def voting_world() -> World:
    """Inside the voting window, no ballot yet."""
    return _cached("voting").clone()


@pytest.fixture
def closed_world() -> World:
    """Poll closed after 4 counted ballots (one a revote), 1 superseded and 1 challenged."""
    return _cached("closed").clone()


@pytest.fixture(scope="session")
def small_export() -> ElectionExport:
    """The closed world tallied by guardians 2, 3 and 4, exported: 4 counted, 1 challenged, 1 superseded."""
    world = _cached("closed").clone()
    w.decrypt(world.led, world.guardians[1:4])
    return record.export_election(record.view_fetch(world.led.view, world.led.height), "voting-test", w.E)
