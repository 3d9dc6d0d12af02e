"""Every error the vital app raises: a stable code `vital.<reason>` and what it means.

The table is the contract (docs/apps/vital.md lists the same words); `fail` refuses codes that are not
in it, so a new rule cannot ship without its documented code.
"""

from __future__ import annotations

from typing import NoReturn

from govledger.errors import AppError

CODES: dict[str, str] = {
    # shape of a body
    "vital.bad_identifier": "a record or notification id is not 1-64 of [A-Za-z0-9._:-]",
    "vital.bad_text": "a place, facility, reason or case reference is empty or longer than 200 characters",
    "vital.bad_digest": "a document digest is not 32 bytes (SHA-256)",
    "vital.bad_time": "an event time is in the future, negative, or before the event it depends on",
    "vital.bad_persons": "the people on the record do not fit its kind (roles, counts, duplicates, keys)",
    "vital.bad_change": "a change is neither 'amendment' nor 'correction'",
    # personal-data commitments (checked against the privacy app)
    "vital.commitment_unknown": "a commitment is not registered with the privacy app for that pseudonym",
    "vital.commitment_not_current": "a commitment is not the current version of its data record",
    "vital.subject_erased": "a person's data was erased (GDPR Art. 17); no new record may refer to it",
    # births
    "vital.notification_exists": "a notification with that id already exists",
    "vital.duplicate_notification": "the child already has a pending notification",
    "vital.late_notification": "the notification comes more than 30 days (block time) after the birth",
    "vital.unknown_notification": "no notification with that id",
    "vital.notification_used": "the notification was already matched by a registration",
    "vital.notification_mismatch": "the registration differs from its notification (people, time, facility)",
    "vital.court_order_required": "a birth without a notification is registered only on a court order",
    "vital.bad_basis": "a registration gives both a notification and a court order",
    "vital.late_registration": "more than a year after the birth: registration needs a court order",
    "vital.duplicate_registration": "the person already has a registered record of that kind",
    # deaths, marriages, divorces
    "vital.already_deceased": "a death is already registered for that person",
    "vital.deceased": "a party to the marriage is registered as deceased",
    "vital.already_married": "a spouse is in a marriage that is neither dissolved, void nor ended by death",
    "vital.void_conflict": "voiding a death would revive a marriage whose survivor has married again",
    "vital.already_dissolved": "the marriage was already dissolved",
    "vital.subject_mismatch": "the record's people differ from those of the record it refers to",
    # records
    "vital.record_exists": "a record with that id already exists",
    "vital.unknown_record": "no record with that id",
    "vital.wrong_kind": "the record is not of the kind the operation needs",
    "vital.record_void": "the record is void; it can no longer change",
    "vital.reason_required": "an amendment, correction or voiding needs a reason",
    "vital.document_required": "an amendment (a legal change) needs its document's digest",
    "vital.unchanged": "the amendment changes nothing",
    "vital.too_many_versions": "the record reached its bound on versions",
}


def fail(code: str, message: str) -> NoReturn:
    assert code in CODES, f"undocumented error code {code}"
    raise AppError(code, message)
