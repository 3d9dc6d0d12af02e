"""Sample legacy-register CSVs, generated (never committed): a few hundred rows with some bad ones.

Each writer returns what the import must say about every row, by record number (the header is 1):
`(outcome, code)`. Run as a script to look at the files: `python -m tests.importer.fixtures OUTDIR`.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path

from govledger.importer.adapters import ADAPTERS

Expected = dict[int, tuple[str, str]]

OK = ("imported", "ok")


def sha_hex(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def _write(path: Path, registry: str, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(ADAPTERS[registry].columns)
        w.writerows(rows)


def party_id(prefix: str, i: int) -> str:
    return f"{prefix}-{i:04d}"


def parties(path: Path, registry: str, prefix: str, count: int) -> Expected:
    """`count` good parties, then the bad and duplicate ones; ids `<prefix>-0001`..."""
    app = registry.split("-")[0]
    rows, expected = [], {}
    for i in range(1, count + 1):
        pid = party_id(prefix, i)
        rows.append([f"R{i}", pid, "organisation" if i % 7 == 0 else "person", sha_hex("vault:" + pid)])
        expected[len(rows) + 1] = OK
    p, c = prefix, count
    same = sha_hex("vault:" + party_id(p, 3))
    bad: list[tuple[list[str], tuple[str, str]]] = [
        ([f"R{c + 1}", party_id(p, 9001), "person", "xyz"], ("rejected", "import.bad_hex")),
        ([f"R{c + 2}", party_id(p, 9002), "robot", sha_hex("r")], ("rejected", f"{app}.bad_vocabulary")),
        ([f"R{c + 3}", "", "person", sha_hex("e")], ("rejected", "import.missing_value")),
        ([f"R{c + 4}", party_id(p, 9004), "person"], ("rejected", "import.bad_row")),
        ([f"R{c + 5}", party_id(p, 3), "person", same], ("duplicate", f"{app}.party_exists")),
        ([f"R{c + 6}", party_id(p, 4), "person", sha_hex("other")], ("rejected", "import.conflict")),
        ([f"R{c}", party_id(p, 9007), "person", sha_hex("x")], ("duplicate", "import.duplicate_row_id")),
        ([f"R{c + 8}", party_id(p, 9008), "person", "00" * 32], ("rejected", f"{app}.bad_commitment")),
    ]
    for row, outcome in bad:
        rows.append(row)
        expected[len(rows) + 1] = outcome
    _write(path, registry, rows)
    return expected


def _square(i: int, side_m: int = 100) -> str:
    x, s = i * 20_000, side_m * 100
    return f"{x} 0;{x + s} 0;{x + s} {s};{x} {s};{x} 0"


def parcels(path: Path, owners_prefix: str, count: int) -> Expected:
    rows, expected = [], {}
    for i in range(1, count + 1):
        a, b = party_id(owners_prefix, i), party_id(owners_prefix, i + 1)
        owners = a if i % 3 else f"{a}:1/2;{b}:1/2"
        rows.append(
            [
                f"P{i}",
                f"PA-{i:04d}",
                "EPSG:3006",
                _square(i),
                "10000",
                "residential",
                owners,
                sha_hex(f"s{i}"),
            ]
        )
        expected[len(rows) + 1] = OK
    n, one = count, party_id(owners_prefix, 1)

    def parcel(i: int, boundary: str, area: str, owners: str) -> list[str]:
        return [f"P{n + i}", f"PB-{i}", "EPSG:3006", boundary, area, "residential", owners, sha_hex(f"b{i}")]

    bad: list[tuple[list[str], tuple[str, str]]] = [
        (parcel(1, _square(n + 1), "12000", one), ("rejected", "land.area_mismatch")),
        (parcel(2, _square(n + 2), "10000", "nobody"), ("rejected", "land.unknown_party")),
        (parcel(3, _square(n + 3), "10000", f"{one}:1/2"), ("rejected", "land.shares_not_one")),
        (parcel(4, "0 0;abc", "10000", one), ("rejected", "import.bad_boundary")),
        (
            parcel(5, _square(n + 5), "10000", party_id(owners_prefix, 9001)),
            ("rejected", "land.unknown_party"),
        ),
        (parcel(6, _square(n + 6), "ten", one), ("rejected", "import.bad_number")),
    ]
    for row, outcome in bad:
        rows.append(row)
        expected[len(rows) + 1] = outcome
    _write(path, "land-parcels", rows)
    return expected


def companies(path: Path, parties_prefix: str, count: int) -> Expected:
    rows, expected = [], {}

    def row(i: int, **over: str) -> list[str]:
        a, b, c = (party_id(parties_prefix, i + k) for k in range(3))
        fields = {
            "row_id": f"C{i}",
            "company_id": f"CO-{i:04d}",
            "name": f"Trading Company {i} LLC",
            "legal_form": "llc",
            "articles_sha256": sha_hex(f"articles {i}"),
            "office_commitment": sha_hex(f"office {i}"),
            "founders": f"{a};{b}",
            "directors": a,
            "secretary": c if i % 2 else "",
            "share_classes": "ORD:1:100:AED:1000000;PREF:0:1000:AED:5000",
            "holdings": f"{a}:ORD:600;{b}:ORD:400;{c}:PREF:10",
            "incorporated_on": f"{1990 + i % 30}-04-01",
        }
        fields.update(over)
        return [fields[c] for c in ADAPTERS["companies"].columns]

    for i in range(1, count + 1):
        rows.append(row(i))
        expected[len(rows) + 1] = OK
    n = count
    bad = [
        (row(n + 1, name="Trading Company 1 llc"), ("rejected", "company.name_taken")),
        (row(n + 2, directors=""), ("rejected", "import.missing_value")),
        (row(n + 3, founders="nobody"), ("rejected", "company.unknown_party")),
        (row(n + 4, legal_form="gmbh"), ("rejected", "company.bad_vocabulary")),
        (
            row(n + 5, holdings=f"{party_id(parties_prefix, 1)}:PREF:5001"),
            ("rejected", "company.exceeds_authorised"),
        ),
        (row(n + 6, incorporated_on="31/12/1999"), ("rejected", "import.bad_date")),
        (row(n + 7, share_classes="ORD:1:100"), ("rejected", "import.bad_list")),
    ]
    for r, outcome in bad:
        rows.append(r)
        expected[len(rows) + 1] = outcome
    _write(path, "companies", rows)
    return expected


def births(path: Path, count: int) -> Expected:
    rows, expected = [], {}

    def row(i: int, **over: str) -> list[str]:
        fields = {
            "row_id": f"B{i}",
            "record_id": f"BR-{i:05d}",
            "born_on": f"{1971 + i % 50}-0{1 + i % 9}-1{i % 10}",
            "facility": "City General Hospital" if i % 4 else "home birth, Riverside district",
            "child_pseudonym": sha_hex(f"child {i}"),
            "child_commitment": sha_hex(f"child data {i}"),
            "mother_pseudonym": sha_hex(f"mother {i % 7}"),
            "mother_commitment": sha_hex(f"mother data {i}"),
            "father_pseudonym": sha_hex(f"father {i % 5}") if i % 3 else "",
            "father_commitment": sha_hex(f"father data {i}") if i % 3 else "",
            "order_sha256": sha_hex("Civil Registry Migration Order 2026/17"),
            "case_ref": "CRMO-2026-17",
        }
        fields.update(over)
        return [fields[c] for c in ADAPTERS["births"].columns]

    for i in range(1, count + 1):
        rows.append(row(i))
        expected[len(rows) + 1] = OK
    n = count
    bad = [
        (row(n + 1, born_on="1960-05-01"), ("rejected", "import.bad_date")),
        (row(n + 2, child_commitment="12ab"), ("rejected", "import.bad_hex")),
        (row(n + 3, child_pseudonym=sha_hex("child 1")), ("rejected", "vital.duplicate_registration")),
        (row(2, row_id=f"B{n + 4}"), ("duplicate", "vital.record_exists")),
        (row(n + 5, born_on="2999-01-01"), ("rejected", "vital.bad_time")),
        (row(n + 6, facility=""), ("rejected", "import.missing_value")),
        (row(n + 7, mother_commitment=sha_hex("child data 1")), ("rejected", "privacy.commitment_exists")),
    ]
    for r, outcome in bad:
        rows.append(r)
        expected[len(rows) + 1] = outcome
    _write(path, "births", rows)
    return expected


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    parties(out / "land-parties.csv", "land-parties", "lp", 150)
    parcels(out / "land-parcels.csv", "lp", 100)
    parties(out / "company-parties.csv", "company-parties", "cp", 60)
    companies(out / "companies.csv", "cp", 40)
    births(out / "births.csv", 40)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "import-fixtures"))
