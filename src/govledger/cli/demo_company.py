"""Seeding the company register: parties and companies through the importer, then registrable acts.

Company parties carry commitments of their (synthetic) data computed as the vault computes them
(`vault.commitment`, a fresh salt each); the data itself is not put in the vault by the demo. The
company registrar is a privacy controller (it may register and rectify commitments, docs/privacy.md),
so a deployment can keep its people's data there as the civil registry does; the demo keeps the
company register to commitments only. Companies are imported (founders' and officers' custodial
keys sign with the company registrar), then, per company, one act of each kind:

1. a director appointed (board + appointee), a preference share class created (board), shares
   transferred (seller + buyer), a trade licence issued (board + licensing), an ordinary resolution
   proposed (board) with a record height a few blocks ahead;
2. later (`vote`), once the chain is past the record height, the holders vote on it.
"""

from __future__ import annotations

import random
import time
from typing import Any

from govledger.apps.company.model import (
    AppointOfficer,
    CastVote,
    CreateShareClass,
    IssueLicence,
    NewShareClass,
    ProposeResolution,
    TransferShares,
)
from govledger.certificates.submit import Item, item
from govledger.cli import demo_data as data
from govledger.cli.demo_common import Demo
from govledger.cli.demo_import import import_rows
from govledger.crypto.signatures import SigningKey
from govledger.vault import commitment

DAY_MS = 24 * 3600 * 1000
CURRENCY = "AED"
RESOLUTION = "R-1"


def _commitment(label: str, fields: dict[str, str], rng: random.Random) -> str:
    return commitment(fields, rng.randbytes(32)).hex()


def seed_companies(demo: Demo) -> list[data.CompanySpec]:
    rng = random.Random(data.SEED + 10)
    parties = data.company_parties(demo.scale)
    rows = [
        {
            "row_id": p.party_id,
            "party_id": p.party_id,
            "kind": p.kind,
            "commitment": _commitment(p.party_id, p.fields(), rng),
        }
        for p in parties
    ]
    import_rows(demo, "company-parties", rows, ["clerk-1"], "company parties")
    specs = data.companies(demo.scale)
    crows = [
        {
            "row_id": c.company_id,
            "company_id": c.company_id,
            "name": c.name,
            "legal_form": c.legal_form,
            "articles_sha256": data.digest(f"articles/{c.company_id}").hex(),
            "office_commitment": _commitment(c.company_id, {"address": f"Office of {c.name}"}, rng),
            "founders": ";".join(c.founders),
            "directors": ";".join(c.directors),
            "secretary": c.secretary,
            "share_classes": f"ORD:1:100:{CURRENCY}:1000000",
            "holdings": ";".join(f"{p}:ORD:{n}" for p, n in c.holdings),
            "incorporated_on": c.incorporated_on,
        }
        for c in specs
    ]
    import_rows(demo, "companies", crows, ["clerk-1"], "companies")
    return specs


def _board(demo: Demo, c: data.CompanySpec) -> list[SigningKey]:
    return [demo.party_key("company", d) for d in c.directors]


def _spare(demo: Demo, n: int) -> str:
    """Parties registered beyond the companies' founders and officers (new directors, buyers)."""
    return f"cp-{3 * demo.scale.companies + 1 + n % 3:04d}"


def acts(demo: Demo, specs: list[data.CompanySpec]) -> list[Item]:
    now = int(time.time() * 1000)
    items: list[Item] = []
    by_id = {c.company_id: c for c in specs}
    c1, c2, c3, c4, c5 = (by_id.get(f"CO-{i:04d}") for i in range(1, 6))
    if c1 is not None:
        officers = demo.query("company", "officers", company_id=c1.company_id) or []
        if all(o.get("party_id") != _spare(demo, 0) for o in _list(officers)):
            body = AppointOfficer(c1.company_id, _spare(demo, 0), "director", now + 60_000)
            items.append(
                item(
                    "company",
                    "appoint_officer",
                    body,
                    *_board(demo, c1),
                    demo.party_key("company", _spare(demo, 0)),
                )
            )
    if (
        c2 is not None
        and demo.query("company", "share_class", company_id=c2.company_id, class_id="PREF") is None
    ):
        body_c = CreateShareClass(c2.company_id, NewShareClass("PREF", 0, 1000, CURRENCY, 5000))
        items.append(item("company", "create_share_class", body_c, *_board(demo, c2)))
    if c3 is not None:
        buyer = _spare(demo, 1)
        held = demo.query("company", "holding", company_id=c3.company_id, class_id="ORD", party_id=buyer)
        if not held or not held.get("amount"):
            seller = c3.founders[0]
            body_t = TransferShares(
                c3.company_id, "ORD", seller, buyer, 100, data.digest(f"instrument/{c3.company_id}")
            )
            items.append(
                item(
                    "company",
                    "transfer_shares",
                    body_t,
                    demo.party_key("company", seller),
                    demo.party_key("company", buyer),
                )
            )
    if (
        c4 is not None
        and demo.query("company", "licence", company_id=c4.company_id, licence_id="LIC-1") is None
    ):
        body_l = IssueLicence(
            c4.company_id,
            "LIC-1",
            ["general_trading", "import_export"],
            365 * DAY_MS,
            500_000,
            CURRENCY,
            "PAY-0001",
        )
        items.append(item("company", "issue_licence", body_l, *_board(demo, c4), demo.key("licensing-1")))
    if (
        c5 is not None
        and demo.query("company", "resolution", company_id=c5.company_id, resolution_id=RESOLUTION) is None
    ):
        body_r = ProposeResolution(
            c5.company_id,
            RESOLUTION,
            "ordinary",
            data.digest(f"motion/{c5.company_id}"),
            demo.client.height() + 3,
            now + 30 * DAY_MS,
        )
        items.append(item("company", "propose_resolution", body_r, *_board(demo, c5)))
    return items


def _list(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.get("officers", []))
    return list(value) if isinstance(value, list) else []


def votes(demo: Demo, specs: list[data.CompanySpec]) -> list[Item]:
    c5 = next((c for c in specs if c.company_id == "CO-0005"), None)
    if c5 is None:
        return []
    res = demo.query("company", "resolution", company_id=c5.company_id, resolution_id=RESOLUTION)
    if res is None:
        return []
    items = []
    for holder, _ in c5.holdings:
        voted = demo.query(
            "company", "vote", company_id=c5.company_id, resolution_id=RESOLUTION, party_id=holder
        )
        if voted is None:
            body = CastVote(c5.company_id, RESOLUTION, holder, "yes")
            items.append(item("company", "cast_vote", body, demo.party_key("company", holder)))
    return items


def record_height(demo: Demo) -> int:
    res = demo.query("company", "resolution", company_id="CO-0005", resolution_id=RESOLUTION)
    return int(res["record_height"]) if res else 0
