"""Seeding the civil register through the privacy flow: births, a few marriages and deaths.

Births follow the two-step check of `apps/vital` with personal data kept off the ledger:

1. the hospital stores each person's data in the node's vault (`POST /v1/vault/records`, registry
   `vital`, data record `birth-<record>`; the child's date of birth is the birth's day) and gets
   pseudonyms and commitments back;
2. it registers each commitment with the privacy app (`privacy.register_data`);
3. it notifies the birth (`vital.notify_birth`: child, mother, father if known, day, facility);
4. the civil registrar registers it from the notification as committed (`vital.register_birth`).

Births fall in the 25 days before today (a hospital notifies within 30 days). Marriages join the
parents of the first births (their own custodial keys consent, the registrar officiates); deaths
are of synthetic elderly people (certified by the hospital, registered by the registrar). Every
round accepts the codes meaning "already done", and the whole step is skipped when its last record
exists.
"""

from __future__ import annotations

import datetime as dt
import random

from govledger.api.vault_requests import NewRecord, StoredRecord
from govledger.apps.privacy.model import RegisterData
from govledger.apps.vital.model import NotifyBirth, Person, RegisterBirth, RegisterDeath, RegisterMarriage
from govledger.certificates.submit import Item, item
from govledger.cli import demo_data as data
from govledger.cli.demo_common import Demo
from govledger.codec import from_jsonable

REGISTRY = "vital"
DAY_MS = 24 * 3600 * 1000
ROLES = ("child", "mother", "father")


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()) * 1000


def _register(demo: Demo, stored: list[StoredRecord], signer: str) -> None:
    key = demo.key(signer)
    demo.send(
        [
            item(
                "privacy",
                "register_data",
                RegisterData(REGISTRY, s.pseudonym, s.record_id, s.commitment),
                key,
            )
            for s in stored
        ],
        done=("privacy.already_registered", "privacy.commitment_exists"),
        what="personal-data commitments registered",
    )


def seed_births(demo: Demo) -> list[data.BirthSpec]:
    today = _today()
    specs = data.births(demo.scale, today.year)
    if not specs or demo.query("vital", "status", id=specs[-1].record_id) is not None:
        return specs
    task = demo.task("births (vault, privacy, notify, register)", 4)
    records: list[NewRecord] = []
    for b in specs:
        born = today - dt.timedelta(days=b.days_ago)
        people = (("child", b.child), ("mother", b.mother), ("father", b.father))
        for role, who in people:
            if who is None:
                continue
            extra = (
                {"date_of_birth": born.isoformat(), "place_of_birth": b.facility} if role == "child" else {}
            )
            records.append(
                NewRecord(who.subject_id, f"birth-{b.record_id}", {**who.fields(), **extra, "role": role})
            )
    stored = demo.vault_write(REGISTRY, "hospital-1", records)
    demo.advance(task)
    _register(demo, stored, "hospital-1")
    demo.advance(task)
    by_record: dict[str, list[Person]] = {}
    for rec, s in zip(records, stored, strict=True):
        by_record.setdefault(s.record_id, []).append(Person(rec.fields["role"], s.pseudonym, s.commitment))
    hospital = demo.key("hospital-1")
    notices = [
        item(
            "vital",
            "notify_birth",
            NotifyBirth(
                f"N-{b.record_id}",
                by_record[f"birth-{b.record_id}"],
                _ms(today - dt.timedelta(days=b.days_ago)),
                b.facility,
            ),
            hospital,
        )
        for b in specs
    ]
    outcomes = demo.send(
        notices,
        done=("vital.notification_exists", "vital.duplicate_notification", "vital.duplicate_registration"),
        what="births notified",
    )
    demo.advance(task)
    registrar = demo.key("civil-registrar-1")
    regs: list[Item] = []
    for b, notice, outcome in zip(specs, notices, outcomes, strict=True):
        nid = f"N-{b.record_id}"
        if outcome.ok:  # notified just now: register exactly what was notified
            sent = notice.body
            assert isinstance(sent, NotifyBirth)
            persons, born_ms, facility = sent.persons, sent.born_at_ms, sent.facility
        else:  # notified by an earlier run: register what the ledger holds
            n = demo.query("vital", "notification", id=nid)
            if n is None or n.get("status") != "pending":
                continue
            persons = [from_jsonable(p, Person) for p in n["persons"]]
            born_ms, facility = int(n["born_at_ms"]), str(n["facility"])
        body = RegisterBirth(b.record_id, persons, born_ms, facility, nid)
        regs.append(item("vital", "register_birth", body, registrar))
    demo.send(regs, done=("vital.record_exists", "vital.duplicate_registration"), what="births registered")
    demo.finish(task)
    return specs


def seed_marriages_and_deaths(demo: Demo, births: list[data.BirthSpec]) -> None:
    couples = [b for b in births if b.father is not None][: demo.scale.marriages]
    rng = random.Random(data.SEED + 20)
    deceased = [
        data.person(rng, f"SYN-V-D-{i:05d}", rng.randint(1925, 1945)) for i in range(1, demo.scale.deaths + 1)
    ]
    last = f"DR-{len(deceased):05d}" if deceased else (f"MR-{len(couples):05d}" if couples else "")
    if not last or demo.query("vital", "status", id=last) is not None:
        return
    today = _today()
    records: list[NewRecord] = []
    for n, b in enumerate(couples, start=1):
        for who in (b.mother, b.father):
            assert who is not None
            records.append(NewRecord(who.subject_id, f"marriage-MR-{n:05d}", who.fields(role="spouse")))
    for n, who in enumerate(deceased, start=1):
        died = (today - dt.timedelta(days=2 + n)).isoformat()
        fields = who.fields(role="deceased", date_of_death=died, cause_of_death="natural causes (synthetic)")
        records.append(NewRecord(who.subject_id, f"death-DR-{n:05d}", fields))
    stored = demo.vault_write(REGISTRY, "civil-registrar-1", records)
    _register(demo, stored, "civil-registrar-1")
    by_record: dict[str, list[StoredRecord]] = {}
    for s in stored:
        by_record.setdefault(s.record_id, []).append(s)
    registrar, hospital = demo.key("civil-registrar-1"), demo.key("hospital-1")
    items: list[Item] = []
    for n, b in enumerate(couples, start=1):
        spouses = by_record[f"marriage-MR-{n:05d}"]
        keys = [demo.party_key("vital", who.subject_id) for who in (b.mother, b.father) if who is not None]
        body = RegisterMarriage(
            f"MR-{n:05d}",
            [Person("spouse", s.pseudonym, s.commitment) for s in spouses],
            [k.public_key.key_id() for k in keys],
            _ms(today - dt.timedelta(days=400 + 30 * n)),
            "Demo Town Hall",
        )
        items.append(item("vital", "register_marriage", body, *keys, registrar))
    for n, _ in enumerate(deceased, start=1):
        (s,) = by_record[f"death-DR-{n:05d}"]
        body_d = RegisterDeath(
            f"DR-{n:05d}",
            Person("deceased", s.pseudonym, s.commitment),
            _ms(today - dt.timedelta(days=2 + n)),
            "City General Hospital",
        )
        items.append(item("vital", "register_death", body_d, hospital, registrar))
    demo.send(
        items,
        done=("vital.record_exists", "vital.already_married", "vital.already_deceased"),
        what="marriages and deaths registered",
    )


def record_ids(births: list[data.BirthSpec], demo: Demo) -> dict[str, list[str]]:
    """Record ids per certificate kind, for the certificates step."""
    out: dict[str, list[str]] = {
        "birth": [b.record_id for b in births],
        "marriage": [f"MR-{n:05d}" for n in range(1, demo.scale.marriages + 1)],
        "death": [f"DR-{n:05d}" for n in range(1, demo.scale.deaths + 1)],
    }
    return out
