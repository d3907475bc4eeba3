"""A participant's own data: exporting it, and deleting their account.

Export (`data_export`) reads only what the person wrote or what was shared with them in
one organisation: never someone else's private note, self-reflection, concern or
progress report. Deletion (`account_delete`) empties the person and removes what is
theirs alone in every organisation, and keeps the records they share with others
(sessions, feedback, report ratings, pairs, signed agreements, opt-outs), which then
name a "Former participant".
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
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from peercoach.accounts.models import Invitation, User
from peercoach.tenancy.models import Membership
from peercoach.tenancy.zones import zone_of
from peercoach.web.csvio import csv_safe_cell
from programs.models import Application, Match, MatchMember, Question
from programs.services.proposals import match_end

from ..models import (
    CalendarFeed,
    Concern,
    Feedback,
    GoalProgress,
    OptOut,
    Pause,
    Plan,
    Preparation,
    PrivateNote,
    ProgressReport,
    Reflection,
    Session,
)
from .endings import EndingError, opt_out_give

# --- Export ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One file of the export: a CSV with `columns`, and the same rows in the JSON file."""

    name: str
    columns: tuple
    rows: list


def _iso(value, zone):
    if isinstance(value, datetime):
        return timezone.localtime(value, zone).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _name(user_id, names):
    if user_id is None:
        return ""
    return names.get(user_id, str(_("Former participant")))


def _profile(user, organization, zone):
    return [
        {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "time_zone": user.time_zone or "",
            "time_zone_in_use": str(zone),
            "date_joined": _iso(user.date_joined, zone),
            "organization": organization.name,
        }
    ]


def _applications(organization, user, zone):
    applications = list(
        Application.objects.filter(organization=organization, user=user).select_related("program")
    )
    labels = {
        str(pk): label
        for pk, label in Question.objects.filter(
            organization=organization, program_id__in={a.program_id for a in applications}
        ).values_list("pk", "label")
    }
    rows, answers = [], []
    for a in applications:
        rows.append(
            {
                "application_id": a.pk,
                "program": a.program.name,
                "status": a.status,
                "submitted_at": _iso(a.submitted_at, zone),
                "updated_at": _iso(a.updated_at, zone),
                "group": a.group,
                "community": a.community,
                "role_level": a.role_level,
                "preferred_role": a.preferred_role,
                # Their answer after an opt-out: paired again or not.
                "opted_out_at": _iso(a.opted_out_at, zone) if a.opted_out_at else "",
                "wants_new_partner": a.wants_new_partner,
            }
        )
        for key, value in (a.answers or {}).items():
            answers.append(
                {
                    "application_id": a.pk,
                    "program": a.program.name,
                    "question": labels.get(str(key), str(_("(a question since removed)"))),
                    "answer": "; ".join(map(str, value)) if isinstance(value, list) else value,
                }
            )
    return rows, answers


def _pairs(organization, user, zone):
    """(pair rows, {user_id: display name} of everyone in my pairs, my pair ids)."""
    members = list(
        MatchMember.objects.filter(
            organization=organization,
            match__in=Match.objects.filter(organization=organization, members__user=user).exclude(
                status=Match.Status.PROPOSED
            ),
        )
        .select_related("user", "match", "program")
        .order_by("match_id", "position", "id")
    )
    names = {m.user_id: m.user.display_name for m in members}
    by_match = {}
    for member in members:
        by_match.setdefault(member.match_id, []).append(member)
    rows = []
    for group in by_match.values():
        mine = next(m for m in group if m.user_id == user.pk)
        match = mine.match
        rows.append(
            {
                "pair_id": match.pk,
                "program": mine.program.name,
                "format": mine.program.format,
                "status": match.status,
                "my_role": mine.role,
                "i_am_still_in_it": mine.is_current,
                "partners": "; ".join(m.user.display_name for m in group if m.user_id != user.pk),
                "published_at": _iso(match.published_at, zone),
                "ended_at": _iso(match.ended_at, zone),
            }
        )
    return rows, names, list(by_match)


def _sessions(organization, match_ids, names, zone):
    sessions = list(
        Session.objects.filter(organization=organization, match_id__in=match_ids)
        .prefetch_related("parts")
        .order_by("starts_at", "id")
    )
    rows, parts = [], []
    for s in sessions:
        rows.append(
            {
                "session_id": s.pk,
                "pair_id": s.match_id,
                "status": s.status,
                "starts_at": _iso(s.starts_at, zone),
                "time_zone": s.time_zone,
                "duration_minutes": s.duration_minutes,
                "modality": s.modality,
                "place_or_link": s.location,
                "note": s.note,
                "topics": "; ".join(map(str, s.topics or [])),
                "next_steps": s.next_steps,
                "shared_notes": s.shared_notes,
                "logged_by": _name(s.logged_by_id, names),
            }
        )
        for part in s.parts.all():
            parts.append(
                {
                    "session_id": s.pk,
                    "coach": _name(part.coach_id, names),
                    "coached": _name(part.coachee_id, names),
                    "minutes": part.minutes,
                    "challenge": part.challenge,
                    "under_minimum": part.under_minimum,
                }
            )
    return rows, parts, {s.pk: s for s in sessions}


def _session_when(session_id, sessions, zone):
    session = sessions.get(session_id)
    return _iso(session.starts_at, zone) if session else ""


def _own_writing(model, organization, user, sessions, zone):
    """Private notes or self-reflections: the author's own, never anyone else's."""
    return [
        {
            "session_id": row.session_id,
            "session_starts_at": _session_when(row.session_id, sessions, zone),
            "text": row.body,
            "updated_at": _iso(row.updated_at, zone),
        }
        for row in model.objects.filter(organization=organization, author=user).order_by("id")
    ]


def _feedback(organization, user, sessions, names, zone):
    given, received = [], []
    for f in Feedback.objects.filter(
        Q(author=user) | Q(coach=user), organization=organization
    ).order_by("id"):
        row = {
            "session_id": f.session_id,
            "session_starts_at": _session_when(f.session_id, sessions, zone),
            "rating": f.rating,
            "comment": f.comment,
            "created_at": _iso(f.created_at, zone),
        }
        if f.author_id == user.pk:
            given.append({**row, "for": _name(f.coach_id, names) or str(_("the circle"))})
        if f.coach_id == user.pk:
            received.append({**row, "from": _name(f.author_id, names)})
    return given, received


def _preparations(organization, user, sessions, zone):
    return [
        {
            "session_id": p.session_id,
            "session_starts_at": _session_when(p.session_id, sessions, zone),
            "purpose": p.purpose,
            "desired_outcomes": p.outcomes,
            "process": p.process,
            "updated_at": _iso(p.updated_at, zone),
        }
        for p in Preparation.objects.filter(organization=organization, author=user).order_by("id")
    ]


def _plans(organization, user, names, zone):
    plans = list(
        Plan.objects.filter(organization=organization, user=user)
        .select_related("program")
        .prefetch_related("goals__steps", "goals__updates")
    )
    plan_rows, goals, steps, updates = [], [], [], []
    for plan in plans:
        plan_rows.append(
            {
                "plan_id": plan.pk,
                "program": plan.program.name,
                "primary_objective": plan.primary_objective,
                "updated_at": _iso(plan.updated_at, zone),
            }
        )
        for goal in plan.goals.all():
            goals.append(
                {
                    "goal_id": goal.pk,
                    "plan_id": plan.pk,
                    "goal": goal.title,
                    "what_success_looks_like": goal.description,
                    "target_date": _iso(goal.target_date, zone),
                    "status": goal.status,
                    "created_at": _iso(goal.created_at, zone),
                }
            )
            steps.extend(
                {
                    "goal_id": goal.pk,
                    "step": step.text,
                    "by": _iso(step.due_date, zone),
                    "done_at": _iso(step.done_at, zone),
                }
                for step in goal.steps.all()
            )
            updates.extend(
                {
                    "goal_id": goal.pk,
                    "update": u.body,
                    "status": u.status,
                    "author": _name(u.author_id, names | {user.pk: user.display_name}),
                    "created_at": _iso(u.created_at, zone),
                }
                for u in goal.updates.all()
            )
    return plan_rows, goals, steps, updates


def _reports(organization, user, zone):
    reports = list(
        ProgressReport.objects.filter(organization=organization, author=user)
        .select_related("program")
        .prefetch_related("goals")
    )
    rows, goals = [], []
    for r in reports:
        rows.append(
            {
                "report_id": r.pk,
                "pair_id": r.match_id,
                "program": r.program.name,
                "period": r.period,
                "period_end": _iso(r.period_end, zone),
                "is_it_working": r.working,
                "is_it_working_shared": r.working_shared,
                "mutually_beneficial": r.beneficial,
                "mutually_beneficial_shared": r.beneficial_shared,
                "what_should_change": r.change,
                "what_should_change_shared": r.change_shared,
                "rating": r.rating,
                "submitted_at": _iso(r.submitted_at, zone),
            }
        )
        goals.extend(
            {
                "report_id": r.pk,
                "goal": g.goal_title,
                "progress": g.progress,
                "status": g.status,
                "shared": g.shared,
            }
            for g in r.goals.all()
        )
    return rows, goals


def _endings(organization, user, zone):
    pauses = [
        {
            "pair_id": p.match_id,
            "from": _iso(p.starts_on, zone),
            "until": _iso(p.ends_on, zone),
            "resumed_on": _iso(p.ended_early_on, zone),
            "reason": p.reason,
            "created_at": _iso(p.created_at, zone),
        }
        for p in Pause.objects.filter(organization=organization, requested_by=user).order_by("id")
    ]
    opt_outs = [
        {
            "pair_id": o.match_id,
            "reason": o.reason,
            "notice": o.notice,
            "notice_shared_with_program_team": o.notice_shared,
            "wants_new_partner": o.wants_new_partner,
            "created_at": _iso(o.created_at, zone),
        }
        for o in OptOut.objects.filter(organization=organization, user=user).order_by("id")
    ]
    concerns = [
        {
            "concern_id": c.pk,
            "category": c.category,
            "concern": c.body,
            "status": c.status,
            "created_at": _iso(c.created_at, zone),
            "closed_at": _iso(c.closed_at, zone),
        }
        for c in Concern.objects.filter(organization=organization, author=user).order_by("id")
    ]
    return pauses, opt_outs, concerns


def _table(name, rows, columns=None):
    columns = tuple(columns or (rows[0].keys() if rows else ()))
    return Table(name=name, columns=columns, rows=rows)


def export_tables(*, organization, user):
    """The person's data in `organization` as tables (see `data_export`).

    Runs the same number of queries whatever the amount of data.
    """
    zone = zone_of(user, organization)
    membership = Membership.objects.filter(organization=organization, user=user).first()
    applications, answers = _applications(organization, user, zone)
    pairs, names, match_ids = _pairs(organization, user, zone)
    sessions, parts, by_id = _sessions(organization, match_ids, names, zone)
    given, received = _feedback(organization, user, by_id, names, zone)
    plans, goals, steps, updates = _plans(organization, user, names, zone)
    reports, report_goals = _reports(organization, user, zone)
    pauses, opt_outs, concerns = _endings(organization, user, zone)
    from surveys.selectors import answers_for_export

    survey_answers = [
        {**row, "submitted_at": _iso(row["submitted_at"], zone)}
        for row in answers_for_export(organization=organization, user=user)
    ]
    memberships = (
        [
            {
                "organization": organization.name,
                "role": membership.role,
                "member_since": _iso(membership.created_at, zone),
            }
        ]
        if membership
        else []
    )
    return [
        _table("profile", _profile(user, organization, zone)),
        _table("membership", memberships),
        _table("applications", applications),
        _table("application_answers", answers),
        _table("pairs", pairs),
        _table("sessions", sessions),
        _table("session_parts", parts),
        _table("preparations", _preparations(organization, user, by_id, zone)),
        _table("my_private_notes", _own_writing(PrivateNote, organization, user, by_id, zone)),
        _table("my_reflections", _own_writing(Reflection, organization, user, by_id, zone)),
        _table("feedback_i_gave", given),
        _table("feedback_given_to_me", received),
        _table("plans", plans),
        _table("goals", goals),
        _table("goal_steps", steps),
        _table("goal_updates", updates),
        _table("progress_reports", reports),
        _table("progress_report_goals", report_goals),
        _table("pauses_i_asked_for", pauses),
        _table("opt_outs", opt_outs),
        _table("concerns_i_raised", concerns),
        _table("survey_answers", survey_answers),
    ]


README = """Your data from {org}, exported on {when}.

my-data.json holds everything; each CSV file holds one of its tables, with the same
columns. Times are in {zone}. Ids (session_id, goal_id, ...) link the tables together.

What is here: your profile and membership, your applications and answers, your pairs
or circles, the sessions you took part in with what was shared in them, your own
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


def data_export(*, organization, user):
    """A zip of the person's own data in `organization`: my-data.json, one CSV per table
    and a README. Read-only; the same number of queries however much there is.

    Contains only what the person wrote or what was shared with them; CSV cells a
    spreadsheet would run as a formula are neutralised (peercoach.web.csvio).
    """
    tables = export_tables(organization=organization, user=user)
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


# --- Deleting an account -------------------------------------------------------------------


class AccountDeleteError(ValidationError):
    """The account cannot be deleted now; the message says why and what to do."""


# Applications still waiting for a decision go with the account; the others stay (the
# program's counts) without their answers, and an accepted one is withdrawn so that no
# later matching run picks the person up.
PENDING_APPLICATIONS = (Application.Status.SUBMITTED, Application.Status.WAITLISTED)
END_REASON = "A member deleted their account."


def _end_current_matches(user):
    """Leave every active pair or circle the way an opt-out does (`opt_out_give`): a pair
    ends, a circle goes on without the person; the partners and the program team are
    told, and the team finds it in its opt-out queue to pair the others again."""
    rows = list(
        MatchMember.objects.filter(
            user=user, is_current=True, match__status=Match.Status.ACTIVE
        ).select_related("match", "match__organization", "program")
    )
    for row in rows:
        match = row.match
        try:
            opt_out_give(
                match=match,
                user=user,
                reason=OptOut.Reason.LEAVING,
                notice=_("(Sent by peercoach) This person deleted their account and has left."),
                notice_shared=True,
            )
        except EndingError:
            # Already opted out yet still current (older data): leave without a notice.
            MatchMember.objects.filter(pk=row.pk).update(is_current=False)
            remaining = MatchMember.objects.filter(match=match, is_current=True).count()
            if row.program.is_pairs or remaining < 2:
                match_end(match=match, ended_by=user, reason=END_REASON)


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


def _empty_own_content(user):
    """What is the person's alone, in every organisation."""
    for model in (PrivateNote, Reflection):
        model.objects.filter(author=user).delete()
    Preparation.objects.filter(author=user).delete()
    Plan.objects.filter(user=user).delete()  # goals, steps and updates go with it
    CalendarFeed.objects.filter(user=user).delete()
    # Progress reports keep their answers' ratings (a shared signal), not the writing.
    ProgressReport.objects.filter(author=user).update(change="")
    GoalProgress.objects.filter(report__author=user).update(progress="")
    Application.objects.filter(user=user, status__in=PENDING_APPLICATIONS).delete()
    Application.objects.filter(user=user).update(answers={}, updated_at=timezone.now())
    Application.objects.filter(user=user, status=Application.Status.ACCEPTED).update(
        status=Application.Status.WITHDRAWN
    )
    Invitation.objects.filter(Q(email__iexact=user.email) | Q(accepted_by=user)).delete()
    # Debrief surveys: the written answers go; ratings and choices stay as anonymous counts.
    from surveys.services import survey_texts_delete

    survey_texts_delete(user=user)


def account_delete(*, user):
    """Delete the person's account: all or nothing, in one transaction.

    Empties the User row (email `deleted-<id>@deleted.invalid`, no names, no usable
    password, inactive, `deleted_at` set) and deletes their sign-in addresses, two-factor
    authenticators, web sessions, memberships in every organisation, calendar feeds,
    private notes, self-reflections, preparations, plans (with goals) and pending
    applications. Active pairs they are in end; shared records stay and show "Former
    participant". Idempotent for an account already deleted.

    Raises AccountDeleteError when the person coordinates an organisation (they hand
    over first) or operates the installation.
    """
    with transaction.atomic(), scopes_disabled():
        # Account deletion is about the person across every tenant they belong to.
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.deleted_at is not None:
            return user
        if user.is_staff or user.is_superuser:
            raise AccountDeleteError(
                _("Operator accounts are removed by another operator, not from here.")
            )
        coordinating = list(
            Membership.objects.filter(user=user, role=Membership.Role.COORDINATOR).values_list(
                "organization__name", flat=True
            )
        )
        if coordinating:
            raise AccountDeleteError(
                _(
                    "You coordinate %(orgs)s. Ask another coordinator to take over and to "
                    "change your role to participant, then delete your account."
                )
                % {"orgs": ", ".join(coordinating)}
            )
        _end_current_matches(user)
        _empty_own_content(user)
        Membership.objects.filter(user=user).delete()
        _delete_sign_in(user)
        _delete_web_sessions(user)
        user.email = f"deleted-{user.pk}@deleted.invalid"
        user.first_name = ""
        user.last_name = ""
        user.time_zone = ""
        user.set_unusable_password()
        user.is_active = False
        user.deleted_at = timezone.now()
        user.save()
    return user
