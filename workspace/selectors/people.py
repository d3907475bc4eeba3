"""Reads for the coordinator's people pages: the participant list and a pair's activity.

Activity only, never content. The participant list reads names, emails, application
statuses, the group and community columns of applications (never `answers`), pair
memberships and opt-out dates. The pair page reads dates, durations, modalities,
statuses, ratings, signatures' names and times, and the progress-report answers their
authors shared (nulled in SQL otherwise, by `sessions.selectors.reports`); the columns
that hold what people wrote (session notes, topics, next steps, private notes,
reflections, preparation, feedback comments, pause reasons, opt-out notices, concerns)
are never selected.

A person's status in a program, furthest first:
  paired      a current member of an active (published) pair or circle;
  opted_out   gave an opt-out notice there and is not paired again;
  no_partner  accepted (or in a pair proposed, or one that ended) and not paired now;
  applied     applied, awaiting a decision or wait-listed;
  declined    declined, or withdrew the application;
  invited     a member of the organisation who has not applied.
With no program chosen, a status filter finds whoever has that status in any program
("invited": has applied nowhere), and the list's status is the one that matters most
for the program team (`HEADLINE_ORDER`).
"""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, TextChoices
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement, Signature
from peercoach.accounts.models import Invitation
from peercoach.tenancy.models import Membership
from programs.models import Application, Match, MatchMember, Program
from sessions.models import OptOut, Pause, Session
from sessions.selectors.reports import report_rows, reports_of_program


class Status(TextChoices):
    PAIRED = "paired", _("Paired")
    NO_PARTNER = "no_partner", _("No partner")
    APPLIED = "applied", _("Applied")
    OPTED_OUT = "opted_out", _("Opted out")
    DECLINED = "declined", _("Declined or withdrew")
    INVITED = "invited", _("Invited, not applied")


# The order the list's status column picks when a person is in several programs.
HEADLINE_ORDER = (
    Status.PAIRED,
    Status.NO_PARTNER,
    Status.APPLIED,
    Status.OPTED_OUT,
    Status.DECLINED,
    Status.INVITED,
)
WAITING = (Application.Status.SUBMITTED, Application.Status.WAITLISTED)
ENDED_APPLICATION = (Application.Status.DECLINED, Application.Status.WITHDRAWN)


# --- Status in SQL ----------------------------------------------------------------------


def _conditions(organization, user, program):
    """The facts a status is made of, as Exists() on (person `user`, program `program`);
    both are OuterRef()s or values."""
    mm = MatchMember.objects.filter(organization=organization, user_id=user, program_id=program)
    apps = Application.objects.filter(organization=organization, user_id=user, program_id=program)
    return {
        "paired": Exists(mm.filter(is_current=True, match__status=Match.Status.ACTIVE)),
        "opted": Exists(
            OptOut.objects.filter(organization=organization, user_id=user, program_id=program)
        ),
        "pooled": Exists(apps.filter(status=Application.Status.ACCEPTED)) | Exists(mm),
        "waiting": Exists(apps.filter(status__in=WAITING)),
        "ended": Exists(apps.filter(status__in=ENDED_APPLICATION)),
    }


def _status_q(status, c):
    if status == Status.PAIRED:
        return Q(c["paired"])
    if status == Status.OPTED_OUT:
        return ~Q(c["paired"]) & Q(c["opted"])
    if status == Status.NO_PARTNER:
        return ~Q(c["paired"]) & ~Q(c["opted"]) & Q(c["pooled"])
    if status == Status.APPLIED:
        return ~Q(c["paired"]) & ~Q(c["opted"]) & ~Q(c["pooled"]) & Q(c["waiting"])
    if status == Status.DECLINED:
        return ~Q(c["paired"]) & ~Q(c["opted"]) & ~Q(c["pooled"]) & ~Q(c["waiting"]) & Q(c["ended"])
    raise ValueError(status)


def status_filter(*, organization, status, program=None):
    """A Q over Membership rows: the person has `status` in `program`, or in any program
    of the organisation when `program` is None."""
    user = OuterRef("user_id")
    if program is not None:
        if status == Status.INVITED:
            took_part = Application.objects.filter(
                organization=organization, user_id=user, program=program
            )
            in_pair = MatchMember.objects.filter(
                organization=organization, user_id=user, program=program
            )
            return ~Q(Exists(took_part)) & ~Q(Exists(in_pair))
        return _status_q(status, _conditions(organization, user, program.pk))
    if status == Status.INVITED:
        took_part = Application.objects.filter(organization=organization, user_id=user)
        in_pair = MatchMember.objects.filter(organization=organization, user_id=user)
        return ~Q(Exists(took_part)) & ~Q(Exists(in_pair))
    # Some program of the organisation where the person has the status.
    inner = _conditions(organization, OuterRef(OuterRef("user_id")), OuterRef("pk"))
    return Q(
        Exists(Program.objects.filter(organization=organization).filter(_status_q(status, inner)))
    )


def status_of(*, application_status=None, in_pair=False, paired=False, opted_out=False):
    """The same rule in Python, for one person in one program."""
    if paired:
        return Status.PAIRED
    if opted_out:
        return Status.OPTED_OUT
    if in_pair or application_status == Application.Status.ACCEPTED:
        return Status.NO_PARTNER
    if application_status in WAITING:
        return Status.APPLIED
    if application_status in ENDED_APPLICATION:
        return Status.DECLINED
    return Status.INVITED


# --- The participant list -----------------------------------------------------------------


@dataclass
class PersonProgram:
    program: Program
    status: str
    label: str
    pair: list = field(default_factory=list)  # partners' names, when paired
    match_id: int | None = None  # the current pair or circle
    past_match_id: int | None = None  # when not paired: the latest one they were in


@dataclass
class PersonRow:
    membership: Membership
    programs: list  # [PersonProgram]
    status: str
    status_label: str

    @property
    def user(self):
        return self.membership.user

    @property
    def pairs(self):
        return [p for p in self.programs if p.match_id is not None]


@dataclass(frozen=True)
class PeopleFilter:
    q: str = ""
    program: Program | None = None
    status: str = ""
    group: str = ""  # "group:<value>" or "community:<value>"


def _search(words):
    condition = Q()
    for word in words:
        condition &= (
            Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(user__email__icontains=word)
        )
    return condition


def _taking_part(organization):
    """Participants, and coordinators who applied or sit in a pair themselves."""
    user = OuterRef("user_id")
    return (
        Q(role=Membership.Role.PARTICIPANT)
        | Q(Exists(Application.objects.filter(organization=organization, user_id=user)))
        | Q(Exists(MatchMember.objects.filter(organization=organization, user_id=user)))
    )


def people_queryset(*, organization, filters, with_status=True):
    """The list's memberships, filtered and ordered, for the paginator."""
    rows = Membership.objects.filter(organization=organization).filter(_taking_part(organization))
    words = filters.q.split()[:8]
    if words:
        rows = rows.filter(_search(words))
    kind, _sep, value = filters.group.partition(":")
    if value and kind in ("group", "community"):
        apps = Application.objects.filter(
            organization=organization, user_id=OuterRef("user_id"), **{kind: value}
        )
        if filters.program is not None:
            apps = apps.filter(program=filters.program)
        rows = rows.filter(Exists(apps))
    elif filters.program is not None and filters.status != Status.INVITED:
        # A chosen program lists its applicants and pair members ("invited": the members
        # who have not applied to it, which the status filter below finds).
        user = OuterRef("user_id")
        applied = Application.objects.filter(
            organization=organization, user_id=user, program=filters.program
        )
        paired = MatchMember.objects.filter(
            organization=organization, user_id=user, program=filters.program
        )
        rows = rows.filter(Q(Exists(applied)) | Q(Exists(paired)))
    if with_status and filters.status in Status.values:
        rows = rows.filter(
            status_filter(organization=organization, status=filters.status, program=filters.program)
        )
    return rows.select_related("user").order_by(
        "user__last_name", "user__first_name", "user__email", "pk"
    )


def status_counts(*, organization, filters):
    """{status: n} for the tabs, under the list's other filters, in one query."""
    rows = people_queryset(organization=organization, filters=filters, with_status=False)
    return rows.order_by().aggregate(
        all=Count("pk"),
        **{
            value: Count(
                "pk",
                filter=status_filter(
                    organization=organization, status=value, program=filters.program
                ),
            )
            for value in Status.values
        },
    )


def programs_for_filter(*, organization):
    return list(
        Program.objects.filter(organization=organization)
        .only("id", "organization_id", "name", "term_start", "status")
        .order_by("-term_start", "name")
    )


def groups_for_filter(*, organization, program=None):
    """(groups, communities) named in applications (of `program`), sorted. One query."""
    apps = Application.objects.filter(organization=organization)
    if program is not None:
        apps = apps.filter(program=program)
    groups, communities = set(), set()
    for group, community in apps.values_list("group", "community").distinct():
        if group:
            groups.add(group)
        if community:
            communities.add(community)
    return sorted(groups, key=str.casefold), sorted(communities, key=str.casefold)


def open_invitation_count(*, organization):
    return Invitation.objects.filter(
        organization=organization,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        role=Membership.Role.PARTICIPANT,
    ).count()


def people_rows(*, organization, memberships, programs, program=None):
    """PersonRows for one page of `people_queryset`: four more queries however many
    people (applications, pair memberships, opt-outs, partners)."""
    memberships = list(memberships)
    user_ids = [m.user_id for m in memberships]
    if not user_ids:
        return []
    by_pk = {p.pk: p for p in programs}
    applications = {
        (row["user_id"], row["program_id"]): row["status"]
        for row in Application.objects.filter(
            organization=organization, user_id__in=user_ids
        ).values("user_id", "program_id", "status")
    }
    in_pair, paired, latest = set(), {}, {}
    for row in MatchMember.objects.filter(organization=organization, user_id__in=user_ids).values(
        "user_id", "program_id", "match_id", "is_current", "match__status"
    ):
        key = (row["user_id"], row["program_id"])
        in_pair.add(key)
        if row["match__status"] != Match.Status.PROPOSED:
            latest[key] = max(latest.get(key, 0), row["match_id"])
        if row["is_current"] and row["match__status"] == Match.Status.ACTIVE:
            paired[key] = row["match_id"]
    opted = set(
        OptOut.objects.filter(organization=organization, user_id__in=user_ids).values_list(
            "user_id", "program_id"
        )
    )
    partners = {}
    for member in (
        MatchMember.objects.filter(
            organization=organization, match_id__in=set(paired.values()), is_current=True
        )
        .select_related("user")
        .only(
            "id",
            "match_id",
            "user_id",
            "position",
            "user__first_name",
            "user__last_name",
            "user__email",
            "user__deleted_at",
        )
        .order_by("position", "id")
    ):
        partners.setdefault(member.match_id, []).append((member.user_id, member.user.display_name))
    rows = []
    for membership in memberships:
        uid = membership.user_id
        keys = {k for k in (*applications, *in_pair, *opted) if k[0] == uid}
        per_program = []
        for _uid, program_id in keys:
            if program_id not in by_pk:
                continue
            key = (uid, program_id)
            status = status_of(
                application_status=applications.get(key),
                in_pair=key in in_pair,
                paired=key in paired,
                opted_out=key in opted,
            )
            match_id = paired.get(key)
            per_program.append(
                PersonProgram(
                    program=by_pk[program_id],
                    status=status,
                    label=Status(status).label,
                    pair=[name for pk, name in partners.get(match_id, []) if pk != uid],
                    match_id=match_id,
                    past_match_id=None if match_id else latest.get(key),
                )
            )
        per_program.sort(key=lambda p: (-p.program.term_start.toordinal(), p.program.name))
        if program is not None:
            chosen = next((p for p in per_program if p.program.pk == program.pk), None)
            status = chosen.status if chosen else Status.INVITED
        else:
            present = {p.status for p in per_program}
            status = next((s for s in HEADLINE_ORDER if s in present), Status.INVITED)
        rows.append(
            PersonRow(
                membership=membership,
                programs=per_program,
                status=status,
                status_label=Status(status).label,
            )
        )
    return rows


# --- A pair's activity --------------------------------------------------------------------


@dataclass
class MemberRow:
    member: MatchMember
    opted_out: OptOut | None = None

    @property
    def user(self):
        return self.member.user


@dataclass
class PairActivity:
    match: Match
    members: list  # [MemberRow]
    agreements: list  # [Agreement] with .signature_list
    sessions: list  # [Session], only activity columns loaded
    reports: list  # [ReportRow]: unshared answers are None
    pauses: list  # [Pause], dates only
    opt_outs: list  # [OptOut], date and category only
    held_count: int = 0
    held_minutes: int = 0
    last_held: object = None


SESSION_COLUMNS = (
    "id",
    "organization_id",
    "match_id",
    "program_id",
    "status",
    "starts_at",
    "time_zone",
    "duration_minutes",
    "modality",
    "logged_at",
)
AGREEMENT_COLUMNS = (
    "id",
    "organization_id",
    "match_id",
    "number",
    "status",
    "created_at",
    "signed_at",
)


def pair_for_program(*, program, match_pk):
    """The pair or circle `match_pk` of `program`, or None."""
    return (
        Match.objects.filter(organization=program.organization, program=program, pk=match_pk)
        .select_related("ended_by")
        .only(
            "id",
            "organization_id",
            "program_id",
            "status",
            "created_at",
            "published_at",
            "ended_at",
            "ended_by__id",
            "ended_by__first_name",
            "ended_by__last_name",
            "ended_by__email",
            "ended_by__deleted_at",
        )
        .first()
    )


def pair_activity(*, organization, program, match):
    """What the program team may see of one pair or circle. Eight queries whatever the
    number of sessions, reports, pauses and signatures (three more once it has reports)."""
    members = list(
        MatchMember.objects.filter(organization=organization, match=match)
        .select_related("user")
        .order_by("position", "id")
    )
    opt_outs = list(
        OptOut.objects.filter(organization=organization, match=match)
        .only("id", "organization_id", "match_id", "user_id", "reason", "created_at")
        .order_by("created_at", "id")
    )
    opted_by_user = {o.user_id: o for o in opt_outs}
    signatures = (
        Signature.objects.filter(organization=organization)
        .select_related("signer")
        .only(
            "id",
            "agreement_id",
            "typed_name",
            "signed_at",
            "voided_at",
            "signer__id",
            "signer__first_name",
            "signer__last_name",
            "signer__email",
            "signer__deleted_at",
        )
        .order_by("signed_at", "id")
    )
    agreements = list(
        Agreement.objects.filter(organization=organization, match=match)
        .only(*AGREEMENT_COLUMNS)
        .prefetch_related(Prefetch("signatures", queryset=signatures, to_attr="signature_list"))
        .order_by("-number")
    )
    sessions = list(
        Session.objects.filter(organization=organization, match=match)
        .only(*SESSION_COLUMNS)
        .order_by("-starts_at", "-id")
    )
    reports = report_rows(
        organization=organization,
        reports=reports_of_program(organization=organization, program=program).filter(
            match_id=match.pk
        ),
    )
    pauses = list(
        Pause.objects.filter(organization=organization, match=match)
        .only("id", "organization_id", "match_id", "starts_on", "ends_on", "ended_early_on")
        .order_by("-starts_on", "-id")
    )
    names = {m.user_id: m.user.display_name for m in members}
    for opt_out in opt_outs:
        opt_out.person_name = names.get(opt_out.user_id, "")
    held = [s for s in sessions if s.status == Session.Status.HELD]
    return PairActivity(
        match=match,
        members=[MemberRow(member=m, opted_out=opted_by_user.get(m.user_id)) for m in members],
        agreements=agreements,
        sessions=sessions,
        reports=reports,
        pauses=pauses,
        opt_outs=opt_outs,
        held_count=len(held),
        held_minutes=sum(s.duration_minutes for s in held),
        last_held=max((s.starts_at for s in held), default=None),
    )
