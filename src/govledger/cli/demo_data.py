"""Synthetic demo data: deterministic, clearly labelled, never real people.

Every person, company and parcel here is generated from a fixed seed, so a second run produces the
same data (what makes `govledger demo` idempotent). Personal data goes to the vault with a
`dataset` field saying `synthetic-demo`; names are drawn from short lists of common given and family
names and combined at random, and identifiers start with `SYN-`. Nothing here describes a real
person, company or plot of land.

`DemoScale` sizes the data (`FULL` for `make run`, `SMALL` for tests); the generators return plain
dataclasses the seeding modules turn into vault records, CSV rows and transactions.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from fractions import Fraction

SEED = 20260101
DATASET = "synthetic-demo"
CRS = "EPSG:3006"
ORIGIN_X_CM, ORIGIN_Y_CM = 67_400_000, 658_000_000  # SWEREF 99 TM, somewhere plausible; synthetic
PARCEL_DEPTH_M = 40

GIVEN = (
    "Alex", "Amara", "Ana", "Aino", "Ben", "Chen", "Dana", "Elif", "Emil", "Fatima", "Hana", "Ines",
    "Ivan", "Jonas", "Kai", "Lea", "Lina", "Malik", "Maya", "Nora", "Omar", "Priya", "Rafael", "Sara",
    "Sofia", "Tariq", "Uma", "Viktor", "Yara", "Zoe",
)  # fmt: skip
FAMILY = (
    "Andersson", "Bianchi", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova",
    "Jensen", "Kowalski", "Larsen", "Meyer", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi",
    "Silva", "Tanaka", "Urban", "Virtanen", "Weber", "Yilmaz", "Zhang",
)  # fmt: skip
STREETS = ("Harbour Road", "Mill Lane", "Station Street", "Orchard Way", "River Walk", "Market Square")
FACILITIES = ("City General Hospital", "City General Hospital, maternity ward", "Riverside Birth Centre")
COMPANY_WORDS = (
    "Harbour", "Northwind", "Granite", "Meadow", "Copper", "Lantern", "Summit", "Willow", "Beacon",
    "Cedar", "Falcon", "Orchid",
)  # fmt: skip
COMPANY_TRADES = ("Logistics", "Trading", "Software", "Foods", "Engineering", "Consulting", "Textiles")
LAND_USES = ("residential", "residential", "residential", "agricultural", "commercial")


@dataclass(frozen=True)
class DemoScale:
    parcels: int
    companies: int
    births: int
    marriages: int
    deaths: int
    certificates: int  # per kind, issued by the demo

    @property
    def buyers(self) -> int:
        return max(4, self.parcels // 10)


FULL = DemoScale(parcels=300, companies=36, births=300, marriages=4, deaths=2, certificates=3)
SMALL = DemoScale(parcels=24, companies=6, births=8, marriages=1, deaths=1, certificates=1)


def digest(label: str) -> bytes:
    """A stand-in SHA-256 of a document that lives off the ledger (deeds, plans, articles)."""
    return hashlib.sha256(f"govledger-demo/{label}".encode()).digest()


@dataclass(frozen=True)
class Person:
    subject_id: str  # the subject's identifier in the office's register (stays off the ledger)
    given: str
    family: str
    born_on: str
    address: str

    def fields(self, **extra: str) -> dict[str, str]:
        return {
            "given_name": self.given,
            "family_name": self.family,
            "date_of_birth": self.born_on,
            "address": self.address,
            "dataset": DATASET,
            **extra,
        }


def person(rng: random.Random, subject_id: str, born_year: int) -> Person:
    day = f"{born_year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    address = f"{rng.randint(1, 120)} {rng.choice(STREETS)}, Demo Town"
    return Person(subject_id, rng.choice(GIVEN), rng.choice(FAMILY), day, address)


# --- land --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LandParty:
    party_id: str
    kind: str  # person | organisation
    person: Person | None
    org_name: str = ""

    def fields(self) -> dict[str, str]:
        if self.person is not None:
            return self.person.fields()
        return {"legal_name": self.org_name, "dataset": DATASET}


@dataclass(frozen=True)
class ParcelSpec:
    parcel_id: str
    x0: int  # metres from the origin
    y0: int
    width: int
    depth: int
    land_use: str
    owners: tuple[tuple[str, Fraction], ...]

    @property
    def area(self) -> int:
        return self.width * self.depth

    def ring(self, x_off: int = 0, width: int | None = None) -> list[tuple[int, int]]:
        w = self.width if width is None else width
        x0, y0 = ORIGIN_X_CM + (self.x0 + x_off) * 100, ORIGIN_Y_CM + self.y0 * 100
        x1, y1 = x0 + w * 100, y0 + self.depth * 100
        return [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]


BANK_PARTY = "lp-first-bank"


def land_parties(scale: DemoScale) -> list[LandParty]:
    rng = random.Random(SEED + 1)
    people = [
        LandParty(f"lp-{i:04d}", "person", person(rng, f"SYN-L-{i:04d}", rng.randint(1950, 2000)))
        for i in range(1, scale.parcels + scale.buyers + 1)
    ]
    return [*people, LandParty(BANK_PARTY, "organisation", None, "First National Bank (synthetic)")]


def parcels(scale: DemoScale) -> list[ParcelSpec]:
    rng = random.Random(SEED + 2)
    out = []
    x, row = 0, 0
    for i in range(1, scale.parcels + 1):
        width = rng.choice((20, 25, 30, 40))
        if x + width > 600:
            x, row = 0, row + 1
        owner = f"lp-{i:04d}"
        if i % 7 == 0 and i > 1:  # co-owned by two people
            owners: tuple[tuple[str, Fraction], ...] = (
                (f"lp-{i - 1:04d}", Fraction(1, 2)),
                (owner, Fraction(1, 2)),
            )
        else:
            owners = ((owner, Fraction(1)),)
        out.append(
            ParcelSpec(
                f"P-{i:03d}", x, row * PARCEL_DEPTH_M, width, PARCEL_DEPTH_M, rng.choice(LAND_USES), owners
            )
        )
        x += width
    return out


def buyer_of(scale: DemoScale, n: int) -> str:
    """The n-th buyer party (registered, owning nothing at first)."""
    return f"lp-{scale.parcels + 1 + n % scale.buyers:04d}"


# --- companies ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompanySpec:
    company_id: str
    name: str
    legal_form: str
    founders: tuple[str, ...]
    directors: tuple[str, ...]
    secretary: str
    holdings: tuple[tuple[str, int], ...]
    incorporated_on: str


def company_parties(scale: DemoScale) -> list[LandParty]:
    rng = random.Random(SEED + 3)
    return [
        LandParty(f"cp-{i:04d}", "person", person(rng, f"SYN-C-{i:04d}", rng.randint(1955, 2000)))
        for i in range(1, 3 * scale.companies + 4)
    ]


def companies(scale: DemoScale) -> list[CompanySpec]:
    rng = random.Random(SEED + 4)
    out = []
    for i in range(1, scale.companies + 1):
        a, b, c = (3 * i - 2, 3 * i - 1, 3 * i)
        founders = (f"cp-{a:04d}", f"cp-{b:04d}") if i % 3 else (f"cp-{a:04d}",)
        directors = founders
        secretary = f"cp-{c:04d}" if i % 2 else ""
        shares = 1000 // len(founders)
        year = rng.randint(1995, 2022)
        name = f"{COMPANY_WORDS[i % len(COMPANY_WORDS)]} {rng.choice(COMPANY_TRADES)} Demo {i:03d}"
        out.append(
            CompanySpec(
                f"CO-{i:04d}",
                name,
                rng.choice(("llc", "llc", "sarl", "corporation")),
                founders,
                directors,
                secretary,
                tuple((f, shares) for f in founders),
                f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            )
        )
    return out


# --- vital records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BirthSpec:
    record_id: str
    days_ago: int  # the birth was this many days before the anchor day
    facility: str
    child: Person
    mother: Person
    father: Person | None


def births(scale: DemoScale, anchor_year: int) -> list[BirthSpec]:
    rng = random.Random(SEED + 5)
    out = []
    for i in range(1, scale.births + 1):
        mother = person(rng, f"SYN-V-M-{i:05d}", rng.randint(1980, 2004))
        father = person(rng, f"SYN-V-F-{i:05d}", rng.randint(1978, 2003)) if i % 5 else None
        child = person(rng, f"SYN-V-C-{i:05d}", anchor_year)
        out.append(BirthSpec(f"BR-{i:05d}", 1 + i % 25, rng.choice(FACILITIES), child, mother, father))
    return out
