"""Reads for the notification pages: a person's choices, a program's delivery log."""

import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from django_scopes import scope

from peercoach.tenancy.models import Membership, Organization

from .models import Delivery, Kind, Preference

# What a kind is called inside a sentence ("Turn off meeting reminder emails from ...").
KIND_NAMES = {
    Kind.MEETING: _("meeting reminder"),
    Kind.NUDGE: _("cadence nudge"),
    Kind.REPORT: _("progress report"),
    Kind.AGREEMENT: _("agreement reminder"),
    Kind.SESSION: _("session reminder"),
    Kind.EVENT: _("program event"),
    Kind.DIGEST: _("weekly digest"),
}

# The columns the log shows: never `context`, which holds what the email said.
LOG_FIELDS = (
    "id",
    "organization_id",
    "program_id",
    "recipient_id",
    "kind",
    "period",
    "due_at",
    "status",
    "attempts",
    "last_error",
    "sent_at",
    "created_at",
    "recipient__id",
    "recipient__email",
    "recipient__first_name",
    "recipient__last_name",
    "recipient__deleted_at",
)


def kind_name(kind):
    return KIND_NAMES.get(kind, kind)


def kinds_for(*, membership):
    """The kinds a member may receive, as (value, label): the digest is for coordinators."""
    return [
        (value, label)
        for value, label in Kind.choices
        if value != Kind.DIGEST or membership.is_coordinator
    ]


def preferences_for(*, organization, user):
    """{kind: enabled} for every kind; a kind with no row is on."""
    saved = dict(
        Preference.objects.filter(organization=organization, user=user).values_list(
            "kind", "enabled"
        )
    )
    return {kind: saved.get(kind, True) for kind in Kind.values}


def deliveries_for_program(*, program, kind="", status=""):
    """The program's ledger rows, newest first, with the recipient and without `context`."""
    rows = Delivery.objects.filter(organization_id=program.organization_id, program=program)
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("recipient").only(*LOG_FIELDS).order_by("-created_at", "-id")


def delivery_counts(*, program, kind=""):
    """{"all": n, <status>: n...} for the program's rows (of one kind, when given)."""
    rows = Delivery.objects.filter(organization_id=program.organization_id, program=program)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.aggregate(
        all=Count("pk"),
        **{value: Count("pk", filter=Q(status=value)) for value in Delivery.Status.values},
    )


# What each rule writes into `Delivery.period` (see the rules' `period=f"..."`), read
# back for the coordinator's log: the thing a reminder was about, not a code.
_PERIODS = [
    (re.compile(r"m(\d+):(\d+)\Z"), _("pair {0}, meeting cycle {1}")),
    (re.compile(r"n(\d+):(\d{4})(\d\d)(\d\d):\d+\Z"), _("pair {0}, no session since {1}-{2}-{3}")),
    (re.compile(r"c(\d+):(\d{4})(\d\d)(\d\d)\Z"), _("pair {0}, nudged by the team on {1}-{2}-{3}")),
    (re.compile(r"r(\d+):(\d+)\Z"), _("pair {0}, report {1}")),
    (re.compile(r"r(\d+):(\d+):again\Z"), _("pair {0}, report {1}, second reminder")),
    (re.compile(r"a(\d+):(\d+)\Z"), _("agreement {0}, reminder {1}")),
    (re.compile(r"s(\d+):\d+\Z"), _("session {0}")),
    (re.compile(r"e(\d+):.*\Z"), _("program event {0}")),
    (re.compile(r"d(\d{4})-W(\d\d)\Z"), _("week {1} of {0}")),
]


def period_text(period):
    """The reminder's subject as the log shows it, e.g. "pair 12, report 3"."""
    for pattern, text in _PERIODS:
        found = pattern.match(period)
        if found:
            return str(text).format(*found.groups())
    return period


@dataclass(frozen=True)
class Unsubscribe:
    organization: Organization
    user: object  # settings.AUTH_USER_MODEL
    kind: str

    @property
    def kind_name(self):
        return kind_name(self.kind)

    @property
    def kind_label(self):
        return Kind(self.kind).label


def unsubscribe_target(*, organization_id, user_id, kind):
    """What a signed unsubscribe token names, or None when it no longer applies: the
    organisation or the account is gone, or the person is no longer a member."""
    if kind not in Kind.values:
        return None
    organization = Organization.objects.filter(pk=organization_id).first()
    # The user model is looked up, not imported: accounts sits above notifications.
    accounts = get_user_model().objects
    user = accounts.filter(pk=user_id, is_active=True, deleted_at__isnull=True).first()
    if organization is None or user is None:
        return None
    with scope(organization=organization):
        if not Membership.objects.filter(organization=organization, user=user).exists():
            return None
    return Unsubscribe(organization=organization, user=user, kind=kind)
