"""The person's sessions, notes, plans, reports, pauses, opt-outs and concerns, for their
data export and account deletion (the interface is described in
peercoach.accounts.personal_data).

The export holds what the person wrote and what was shared with them, never a partner's
private note, self-reflection, concern or progress report. Deletion removes what is theirs
alone and keeps what they share (sessions, feedback, report ratings, opt-outs), and the
person leaves their active pairs and circles the way an opt-out does.
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from peercoach.accounts.personal_data import iso, table
from peercoach.tenancy.zones import zone_of
from programs.models import Match, MatchMember
from programs.personal_data import pair_members
from programs.services.proposals import match_end

from .models import (
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
from .services.endings import EndingError, opt_out_give

# --- Export ------------------------------------------------------------------------------


def _name(user_id, names):
    if user_id is None:
        return ""
    return names.get(user_id, str(_("Former participant")))


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
                "starts_at": iso(s.starts_at, zone),
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
    return iso(session.starts_at, zone) if session else ""


def _own_writing(model, organization, user, sessions, zone):
    """Private notes or self-reflections: the author's own, never anyone else's."""
    return [
        {
            "session_id": row.session_id,
            "session_starts_at": _session_when(row.session_id, sessions, zone),
            "text": row.body,
            "updated_at": iso(row.updated_at, zone),
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
            "created_at": iso(f.created_at, zone),
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
            "updated_at": iso(p.updated_at, zone),
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
                "updated_at": iso(plan.updated_at, zone),
            }
        )
        for goal in plan.goals.all():
            goals.append(
                {
                    "goal_id": goal.pk,
                    "plan_id": plan.pk,
                    "goal": goal.title,
                    "what_success_looks_like": goal.description,
                    "target_date": iso(goal.target_date, zone),
                    "status": goal.status,
                    "created_at": iso(goal.created_at, zone),
                }
            )
            steps.extend(
                {
                    "goal_id": goal.pk,
                    "step": step.text,
                    "by": iso(step.due_date, zone),
                    "done_at": iso(step.done_at, zone),
                }
                for step in goal.steps.all()
            )
            updates.extend(
                {
                    "goal_id": goal.pk,
                    "update": u.body,
                    "status": u.status,
                    "author": _name(u.author_id, names | {user.pk: user.display_name}),
                    "created_at": iso(u.created_at, zone),
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
                "period_end": iso(r.period_end, zone),
                "is_it_working": r.working,
                "is_it_working_shared": r.working_shared,
                "mutually_beneficial": r.beneficial,
                "mutually_beneficial_shared": r.beneficial_shared,
                "what_should_change": r.change,
                "what_should_change_shared": r.change_shared,
                "rating": r.rating,
                "submitted_at": iso(r.submitted_at, zone),
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
            "from": iso(p.starts_on, zone),
            "until": iso(p.ends_on, zone),
            "resumed_on": iso(p.ended_early_on, zone),
            "reason": p.reason,
            "created_at": iso(p.created_at, zone),
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
            "created_at": iso(o.created_at, zone),
        }
        for o in OptOut.objects.filter(organization=organization, user=user).order_by("id")
    ]
    concerns = [
        {
            "concern_id": c.pk,
            "category": c.category,
            "concern": c.body,
            "status": c.status,
            "created_at": iso(c.created_at, zone),
            "closed_at": iso(c.closed_at, zone),
        }
        for c in Concern.objects.filter(organization=organization, author=user).order_by("id")
    ]
    return pauses, opt_outs, concerns


def tables(*, organization, user):
    """The sessions of the person's pairs with their parts, and what the person wrote or
    was given in `organization`. The same number of queries whatever the amount of data."""
    zone = zone_of(user, organization)
    members = pair_members(organization=organization, user=user)
    names = {m.user_id: m.user.display_name for m in members}
    match_ids = list(dict.fromkeys(m.match_id for m in members))
    sessions, parts, by_id = _sessions(organization, match_ids, names, zone)
    given, received = _feedback(organization, user, by_id, names, zone)
    plans, goals, steps, updates = _plans(organization, user, names, zone)
    reports, report_goals = _reports(organization, user, zone)
    pauses, opt_outs, concerns = _endings(organization, user, zone)
    return [
        table("sessions", sessions),
        table("session_parts", parts),
        table("preparations", _preparations(organization, user, by_id, zone)),
        table("my_private_notes", _own_writing(PrivateNote, organization, user, by_id, zone)),
        table("my_reflections", _own_writing(Reflection, organization, user, by_id, zone)),
        table("feedback_i_gave", given),
        table("feedback_given_to_me", received),
        table("plans", plans),
        table("goals", goals),
        table("goal_steps", steps),
        table("goal_updates", updates),
        table("progress_reports", reports),
        table("progress_report_goals", report_goals),
        table("pauses_i_asked_for", pauses),
        table("opt_outs", opt_outs),
        table("concerns_i_raised", concerns),
    ]


# --- Deleting an account -------------------------------------------------------------------


END_REASON = "A member deleted their account."


def _end_current_matches(user, *, organization=None, notice=None):
    """Leave every active pair or circle (only those of `organization` when given) the way
    an opt-out does (`opt_out_give`): a pair ends, a circle goes on without the person;
    the partners and the program team are told, and the team finds it in its opt-out
    queue to pair the others again."""
    rows = MatchMember.objects.filter(
        user=user, is_current=True, match__status=Match.Status.ACTIVE
    ).select_related("match", "match__organization", "program")
    if organization is not None:
        rows = rows.filter(organization=organization)
    for row in list(rows):
        match = row.match
        try:
            opt_out_give(
                match=match,
                user=user,
                reason=OptOut.Reason.LEAVING,
                notice=notice
                or _("(Sent by peercoach) This person deleted their account and has left."),
                notice_shared=True,
            )
        except EndingError:
            # Already opted out yet still current (older data): leave without a notice.
            MatchMember.objects.filter(pk=row.pk).update(is_current=False)
            remaining = MatchMember.objects.filter(match=match, is_current=True).count()
            if row.program.is_pairs or remaining < 2:
                match_end(match=match, ended_by=user, reason=END_REASON)


def leave(*, organization, user):
    """The person leaves their active pairs and circles in `organization` (only there) the
    way an opt-out does, as above: partners and program team told, nothing deleted."""
    _end_current_matches(
        user,
        organization=organization,
        notice=_("(Sent by peercoach) This person has left the organisation."),
    )


def erase(*, user):
    """The person leaves every active pair or circle (as above), and what is theirs alone
    goes, in every organisation: private notes, self-reflections, preparations, plans
    (goals, steps and updates with them) and calendar feeds. Their progress reports keep
    the ratings (a shared signal), not the writing."""
    _end_current_matches(user)
    for model in (PrivateNote, Reflection):
        model.objects.filter(author=user).delete()
    Preparation.objects.filter(author=user).delete()
    Plan.objects.filter(user=user).delete()
    CalendarFeed.objects.filter(user=user).delete()
    ProgressReport.objects.filter(author=user).update(change="")
    GoalProgress.objects.filter(report__author=user).update(progress="")
