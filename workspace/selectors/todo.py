"""The coordinator's home as a to-do list: what waits for the program team today, each
item with how many and the page where it is dealt with.

- **opt-outs** not yet marked handled (the program's opt-out queue);
- **people waiting for a partner**: applications in the pairing pool (accepted, and not
  someone who opted out without asking for a new partner) with no current pair or circle,
  in programs being paired or running (the pairing page, as `programs.services.pairing.
  pool_for` counts its pool);
- **agreements unsigned** a week (`DIGEST_AGREEMENT_DAYS`) after they were started,
  **progress reports overdue** and **pairs at risk**: the pairs at risk
  (`sessions.selectors.risk`), counted by reason, so the home, the program dashboard and
  the weekly digest never disagree;
- **concerns nobody has opened yet**, only for coordinators who handle concerns (the
  others get no hint that one exists);
- a warning when **nobody handles concerns**, and who does otherwise.

Only counts, names and program names are read. A fixed number of queries, whatever the
number of programs, pairs, opt-outs or concerns.
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.models import Application, MatchMember, Program
from sessions.models import Concern, ConcernAccess, OptOut
from sessions.selectors.concerns import concern_handlers
from sessions.selectors.risk import Rule, pairs_at_risk

# Programs whose accepted people are waiting to be paired: not while applications are
# still coming in (the coordinator pairs them all at once), nor once it is closed.
PAIRING_STATUSES = (Program.Status.MATCHING, Program.Status.RUNNING)


@dataclass(frozen=True)
class Todo:
    key: str  # opt_outs, waiting, agreements, reports, at_risk, concerns
    label: str
    count: int
    url: str
    program: Program | None = None  # None: the organisation's (concerns)


# (key, label, URL name) in the order the home lists them: what a person waits for first.
KINDS = (
    ("opt_outs", _("Opt-outs to handle"), "sessions:opt_outs"),
    ("waiting", _("People waiting for a partner"), "programs:pairing"),
    ("agreements", _("Agreements unsigned after a week"), "agreements:status_list"),
    ("reports", _("Pairs with a progress report overdue"), "sessions:program_reports"),
    ("at_risk", _("Pairs at risk"), "workspace:dashboard"),
)


def coordinator_todo(*, organization, membership, now=None, programs=None, unopened=None):
    """{"todo": [Todo], "concern_handlers": [Membership], "nobody_handles_concerns":
    bool} for the coordinator `membership`. Items with nothing to do are left out; per
    program, programs in term order. Fourteen to sixteen queries, whatever the data; two
    fewer when the caller passes `programs`, every program not closed in term order
    (`programs.selectors.setup.programs_for_coordinator(current_only=True)`): the list
    and the pairs at risk then use them instead of reading them again. `unopened`: the
    count of unopened concerns (`concerns_unopened`), when the caller read it already."""
    now = now or timezone.now()
    if programs is None:
        programs = (
            Program.objects.filter(organization=organization)
            .exclude(status=Program.Status.CLOSED)
            .order_by("-term_start", "name")
        )
    programs = {p.pk: p for p in programs}
    counts = {key: {} for key, _label, _name in KINDS}
    if programs:
        counts["opt_outs"] = dict(
            OptOut.objects.filter(
                organization=organization, program_id__in=programs, handled_at__isnull=True
            )
            .values("program_id")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("program_id", "n")
        )
        counts["waiting"] = _waiting(organization, programs)
        for risk in pairs_at_risk(organization=organization, now=now, programs=programs):
            program_id = risk.program.pk
            for key, rule in (("agreements", Rule.AGREEMENT), ("reports", Rule.REPORT)):
                if rule in risk.rules:
                    counts[key][program_id] = counts[key].get(program_id, 0) + 1
            counts["at_risk"][program_id] = counts["at_risk"].get(program_id, 0) + 1
    todo = []
    for program in programs.values():
        for key, label, name in KINDS:
            n = counts[key].get(program.pk, 0)
            if n:
                url = reverse(name, kwargs={"org_slug": organization.slug, "pk": program.pk})
                if key == "at_risk":
                    url += "#at-risk"
                todo.append(Todo(key=key, label=label, count=n, url=url, program=program))
    if membership.is_concern_handler:
        unread = concerns_unopened(organization) if unopened is None else unopened
        if unread:
            todo.insert(
                0,
                Todo(
                    key="concerns",
                    label=_("Concerns nobody has opened yet"),
                    count=unread,
                    url=reverse("sessions:concerns", kwargs={"org_slug": organization.slug}),
                ),
            )
    handlers = concern_handlers(organization=organization)
    return {
        "todo": todo,
        "concern_handlers": handlers,
        "nobody_handles_concerns": not handlers,
    }


def _waiting(organization, programs):
    """{program_id: accepted applications with no current pair or circle}. One query."""
    paired = MatchMember.objects.filter(
        organization=organization,
        program_id=OuterRef("program_id"),
        user_id=OuterRef("user_id"),
        is_current=True,
    )
    return dict(
        Application.objects.filter(
            Application.in_pairing_pool(),
            organization=organization,
            program_id__in=[p.pk for p in programs.values() if p.status in PAIRING_STATUSES],
        )
        .exclude(Exists(paired))
        .values("program_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("program_id", "n")
    )


def concerns_unopened(organization):
    """Open concerns no one has opened yet: the first handler to read one takes it up.
    One query."""
    opened = ConcernAccess.objects.filter(
        organization=organization, concern_id=OuterRef("pk"), action=ConcernAccess.Action.VIEWED
    )
    return (
        Concern.objects.filter(organization=organization, status=Concern.Status.OPEN)
        .exclude(Exists(opened))
        .count()
    )
