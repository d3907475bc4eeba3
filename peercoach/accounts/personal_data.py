"""A person's own data, app by app: what their export holds and what deleting them erases.

`settings.PERSONAL_DATA` lists one module per app that keeps personal data. Each has

- `tables(*, organization, user)`: the person's data in `organization`, as a list of
  `Table`; read-only, a fixed number of queries whatever the amount of data. Only what
  the person wrote or what was shared with them, never someone else's private writing.
- `erase(*, user)`: removes what is the person's alone, in every organisation, and keeps
  the records they share with others (which then name a "Former participant"). Runs in
  the caller's transaction with scopes disabled.

`peercoach.accounts.services.data_export` writes the tables of every module, in the listed
order, into one zip (`archive_write` below); `account_delete` runs every `erase` in the
reverse order, the apps above first, so that they still see the person whole (a partner
is told by name), and this module's own `erase` last.
"""

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from peercoach.tenancy.languages import language_of
from peercoach.tenancy.models import Membership
from peercoach.tenancy.zones import zone_of
from peercoach.web.csvio import csv_safe_cell

from .models import Invitation


@dataclass(frozen=True)
class Table:
    """One file of the export: a CSV with `columns`, and the same rows in the JSON file."""

    name: str
    columns: tuple
    rows: list


def table(name, rows, columns=None):
    """A Table whose columns are those of the first row (none when there are no rows)."""
    columns = tuple(columns or (rows[0].keys() if rows else ()))
    return Table(name=name, columns=columns, rows=rows)


def iso(value, zone):
    """A datetime in `zone`, or a date, as ISO 8601 text; anything else as it is."""
    if isinstance(value, datetime):
        return timezone.localtime(value, zone).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def personal_data_modules():
    """The modules of settings.PERSONAL_DATA, in the listed order."""
    return [import_module(path) for path in settings.PERSONAL_DATA]


# --- This app's part: the profile and the membership -------------------------------------


def tables(*, organization, user):
    """The person's profile and their membership of `organization`."""
    zone = zone_of(user, organization)
    membership = Membership.objects.filter(organization=organization, user=user).first()
    profile = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "time_zone": user.time_zone or "",
        "time_zone_in_use": str(zone),
        "language": user.language or "",
        "language_in_use": language_of(user, organization),
        "date_joined": iso(user.date_joined, zone),
        "organization": organization.name,
    }
    memberships = (
        [
            {
                "organization": organization.name,
                "role": membership.role,
                "member_since": iso(membership.created_at, zone),
            }
        ]
        if membership
        else []
    )
    return [table("profile", [profile]), table("membership", memberships)]


def _delete_web_sessions(user):
    """Sign the person out everywhere: their stored web sessions are deleted.

    The unusable password already invalidates every session (Django checks the password
    hash on each request); deleting them also removes what they stored.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        return
    model = store.get_model_class()
    doomed = []
    for web_session in model.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = store().decode(web_session.session_data)
        if str(data.get("_auth_user_id")) == str(user.pk):
            doomed.append(web_session.pk)
    model.objects.filter(pk__in=doomed).delete()


def _delete_sign_in(user):
    apps.get_model("account", "EmailAddress").objects.filter(user=user).delete()
    if apps.is_installed("allauth.mfa"):
        apps.get_model("mfa", "Authenticator").objects.filter(user=user).delete()
    if apps.is_installed("allauth.socialaccount"):
        apps.get_model("socialaccount", "SocialAccount").objects.filter(user=user).delete()


def erase(*, user):
    """The person's invitations, memberships in every organisation, sign-in addresses,
    two-factor authenticators and web sessions. The User row itself is emptied by
    `account_delete`, after every module has run."""
    Invitation.objects.filter(Q(email__iexact=user.email) | Q(accepted_by=user)).delete()
    Membership.objects.filter(user=user).delete()
    _delete_sign_in(user)
    _delete_web_sessions(user)


# --- The zip ----------------------------------------------------------------------------


README = """Your data from {org}, exported on {when}.

my-data.json holds everything; each CSV file holds one of its tables, with the same
columns. Times are in {zone}. Ids (session_id, goal_id, ...) link the tables together.

What is here: your profile and membership, what your organisation's identity provider
told us about you (provisioning), your applications and answers, your pairs or circles,
the sessions you took part in with what was shared in them, your own
private notes, self-reflections and preparations, the feedback you gave and the
feedback given to you, your development plans, your progress reports, the pauses you
asked for, your opt-out notices and the concerns you raised.

What is not here: anything someone else keeps to themselves (their private notes,
self-reflections, progress reports and concerns).

In the CSV files, a cell that starts with = + - or @ begins with an apostrophe, so that
a spreadsheet shows it as text instead of running it.
"""


def _csv_bytes(table):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([csv_safe_cell(row.get(column)) for column in table.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def archive_write(*, organization, user, tables):
    """The zip of `tables`: README.txt, my-data.json with every table, and one CSV per
    table whose cells a spreadsheet would run as a formula are neutralised
    (peercoach.web.csvio). Times are in the person's zone."""
    zone = zone_of(user, organization)
    now = timezone.localtime(timezone.now(), zone)
    document = {
        "exported_at": now.isoformat(),
        "organization": organization.name,
        "time_zone": str(zone),
        **{table.name: table.rows for table in tables},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "README.txt",
            README.format(org=organization.name, when=now.strftime("%Y-%m-%d %H:%M"), zone=zone),
        )
        archive.writestr(
            "my-data.json", json.dumps(document, ensure_ascii=False, indent=2, default=str)
        )
        for table in tables:
            archive.writestr(f"{table.name}.csv", _csv_bytes(table))
    return buffer.getvalue()
