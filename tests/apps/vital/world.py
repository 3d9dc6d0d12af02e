"""Helpers for the vital tests: people with registered commitments, and bodies with sensible defaults."""

from __future__ import annotations

from dataclasses import dataclass

from govledger.apps.vital.model import (
    CourtOrder,
    NotifyBirth,
    Person,
    RegisterBirth,
    RegisterDeath,
    RegisterMarriage,
)

from ..privacy.harness import DAY_MS, A, Ledger, kid, sha

FACILITY = "General Hospital, maternity ward"
ORDER = CourtOrder(sha("court order 17/2026"), "FC-17/2026")


@dataclass
class Family:
    child: Person
    mother: Person
    father: Person

    @property
    def persons(self) -> list[Person]:
        return [self.child, self.mother, self.father]


def family(led: Ledger, label: str) -> Family:
    return Family(
        led.person("child", f"{label}-child"),
        led.person("mother", f"{label}-mother"),
        led.person("father", f"{label}-father"),
    )


def notify(fam: Family, nid: str, born_at_ms: int, facility: str = FACILITY) -> NotifyBirth:
    return NotifyBirth(nid, fam.persons, born_at_ms, facility)


def from_notification(body: NotifyBirth, record_id: str) -> RegisterBirth:
    return RegisterBirth(record_id, body.persons, body.born_at_ms, body.facility, body.notification_id)


def notified_and_registered(led: Ledger, label: str) -> tuple[Family, str]:
    """A family whose child's birth is notified and registered as record `B-<label>`."""
    fam = family(led, label)
    n = notify(fam, f"N-{label}", led.time_ms - DAY_MS)
    led.ok("vital", "notify_birth", n, A.hospital)
    led.ok("vital", "register_birth", from_notification(n, f"B-{label}"), A.registrar)
    return fam, f"B-{label}"


def death(led: Ledger, person: Person, record_id: str, birth: str = "") -> RegisterDeath:
    return RegisterDeath(
        record_id, Person("deceased", person.pseudonym, person.commitment), led.time_ms, "Home", birth
    )


def spouse(p: Person) -> Person:
    return Person("spouse", p.pseudonym, p.commitment)


def marriage(led: Ledger, record_id: str, a: Person, b: Person) -> RegisterMarriage:
    return RegisterMarriage(
        record_id, [spouse(a), spouse(b)], [kid(A.alice), kid(A.bob)], led.time_ms, "Town hall"
    )


MARRY_SIGNERS = (A.alice, A.bob, A.officiant, A.registrar)
