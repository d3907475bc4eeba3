"""What a pair agreed, as typed data for the rest of peercoach.

Sessions, reminders and progress-report prompts read the agreement in force (the one
everyone signed) through `agreement_terms`: how often the pair meets, for how long, how
they meet, how often they report progress, each party's contact preferences and primary
objective. The values come from the signed canonical text, so they are exactly what was
signed. Without a signed agreement the program's settings stand in (`source="program"`).
"""

import json
from dataclasses import dataclass, field, replace

from .. import fields
from ..models import Agreement, AgreementItem

Purpose = AgreementItem.Purpose


@dataclass(frozen=True)
class Contact:
    name: str = ""
    email: str = ""
    office_phone: str = ""
    cell_phone: str = ""
    method: str = ""
    best_time: str = ""


@dataclass(frozen=True)
class AgreementTerms:
    source: str  # "signed" or "program"
    meeting_every_days: int | None = None  # None: the pair chooses / "other"
    meeting_frequency: str = ""  # as the parties read it
    session_minutes: int | None = None
    modality: str = ""
    reporting_every_days: int | None = None
    reporting_frequency: str = ""
    contacts: dict = field(default_factory=dict)  # {user_id: Contact}
    primary_objectives: dict = field(default_factory=dict)  # {user_id: text}
    agreement_id: int | None = None


CONTACT_FIELDS = {
    Purpose.PARTY_NAME: "name",
    Purpose.PARTY_EMAIL: "email",
    Purpose.OFFICE_PHONE: "office_phone",
    Purpose.CELL_PHONE: "cell_phone",
    Purpose.CONTACT_METHOD: "method",
    Purpose.BEST_TIME: "best_time",
}


def _from_program(program):
    days = program.cadence_days or None
    return AgreementTerms(
        source="program",
        meeting_every_days=days,
        meeting_frequency=str(program.get_cadence_days_display()),
        session_minutes=program.session_minutes,
    )


def terms_from_signed(text, *, agreement_id=None):
    """AgreementTerms from a signed canonical text."""
    doc = json.loads(text)
    found = {"source": "signed", "agreement_id": agreement_id}
    contacts = {}
    objectives = {}
    for item in doc["items"]:
        purpose = item.get("purpose") or ""
        if not purpose:
            continue
        if item.get("per_party"):
            for entry in item.get("values", []):
                shown = fields.display(item, entry["value"])
                if purpose == Purpose.PRIMARY_OBJECTIVE:
                    if shown:
                        objectives[entry["user_id"]] = shown
                elif purpose in CONTACT_FIELDS:
                    contacts.setdefault(entry["user_id"], {})[CONTACT_FIELDS[purpose]] = shown
            continue
        value = item.get("value")
        if purpose == Purpose.MEETING_FREQUENCY:
            found["meeting_every_days"] = fields.frequency_days(value)
            found["meeting_frequency"] = fields.display(item, value)
        elif purpose == Purpose.REPORTING_FREQUENCY:
            found["reporting_every_days"] = fields.frequency_days(value)
            found["reporting_frequency"] = fields.display(item, value)
        elif purpose == Purpose.MEETING_DURATION and isinstance(value, int):
            found["session_minutes"] = value
        elif purpose == Purpose.MODALITY:
            found["modality"] = fields.display(item, value)
    return AgreementTerms(
        **found,
        contacts={user_id: Contact(**values) for user_id, values in contacts.items()},
        primary_objectives=objectives,
    )


def terms_of(program, *, agreement_id=None, signed_content=None):
    """The terms of a pair: read from its signed text when there is one, the program's
    settings filling in what the text does not say (or standing in without one)."""
    fallback = _from_program(program)
    if signed_content is None:
        return fallback
    terms = terms_from_signed(signed_content, agreement_id=agreement_id)
    if not terms.meeting_frequency:
        terms = replace(
            terms,
            meeting_every_days=fallback.meeting_every_days,
            meeting_frequency=fallback.meeting_frequency,
        )
    if terms.session_minutes is None:
        terms = replace(terms, session_minutes=fallback.session_minutes)
    return terms


def agreement_terms_for_matches(*, program, match_ids):
    """{match_id: AgreementTerms} for many pairs of one program, in one query."""
    match_ids = list(match_ids)
    signed = {
        match_id: (pk, text)
        for match_id, pk, text in Agreement.objects.filter(
            organization=program.organization,
            match_id__in=match_ids,
            status=Agreement.Status.SIGNED,
        ).values_list("match_id", "pk", "signed_content")
    }
    result = {}
    for match_id in match_ids:
        agreement_id, text = signed.get(match_id, (None, None))
        result[match_id] = terms_of(program, agreement_id=agreement_id, signed_content=text)
    return result


def agreement_terms(match):
    """The terms of one pair or circle."""
    return agreement_terms_for_matches(program=match.program, match_ids=[match.pk])[match.pk]
