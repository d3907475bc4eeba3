"""What an audit row's target is called on the log ("Agreement 12", "Pair 7") and which
coordinator page shows it.

Both come from the row alone (target type and id, program id and format), so the log
needs no query per row. A target without a coordinator page of its own links to the
list that shows it; a confidential concern links only for those who handle concerns,
since nobody else may open it.
"""

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

LABELS = {
    "tenancy.organization": _("Organisation settings"),
    "tenancy.membership": _("Membership %(id)s"),
    "accounts.invitation": _("Invitation %(id)s"),
    "programs.program": _("Program %(id)s"),
    "programs.application": _("Application %(id)s"),
    "programs.matchingrun": _("Pairing run %(id)s"),
    "programs.match": _("Pair %(id)s"),
    "agreements.agreement": _("Agreement %(id)s"),
    "coaching_sessions.optout": _("Opt-out %(id)s"),
    "coaching_sessions.concern": _("Concern %(id)s"),
    "surveys.survey": _("Survey %(id)s"),
}
CIRCLE_LABEL = _("Circle %(id)s")


def _program_page(name):
    def url(event, org_slug):
        if event.program_id is None:
            return None
        return reverse(name, kwargs={"org_slug": org_slug, "pk": event.program_id})

    return url


def _match(event, org_slug):
    if event.program_id is None:
        return None
    try:
        # The pair's activity page of the coordinators' workspace.
        return reverse(
            "workspace:pair_activity",
            kwargs={"org_slug": org_slug, "pk": event.program_id, "match_pk": event.target_id},
        )
    except NoReverseMatch:
        return _program_page("programs:matches")(event, org_slug)


def _application(event, org_slug):
    if event.program_id is None:
        return None
    return reverse(
        "programs:application",
        kwargs={"org_slug": org_slug, "pk": event.program_id, "application_pk": event.target_id},
    )


def _survey(event, org_slug):
    if event.program_id is None:
        return None
    return reverse(
        "surveys:detail",
        kwargs={"org_slug": org_slug, "pk": event.program_id, "survey_pk": event.target_id},
    )


def _people(event, org_slug):
    return reverse("accounts:people", kwargs={"org_slug": org_slug})


LINKS = {
    "tenancy.organization": lambda event, org_slug: reverse(
        "workspace:settings", kwargs={"org_slug": org_slug}
    ),
    "tenancy.membership": _people,
    "accounts.invitation": _people,
    "programs.program": lambda event, org_slug: reverse(
        "programs:detail", kwargs={"org_slug": org_slug, "pk": event.target_id}
    ),
    "programs.application": _application,
    "programs.matchingrun": _program_page("programs:pairing"),
    "programs.match": _match,
    "agreements.agreement": _program_page("agreements:status_list"),
    "coaching_sessions.optout": _program_page("sessions:opt_outs"),
    "surveys.survey": _survey,
}


def target_label(event):
    """The target as the log names it ("Agreement 12"); for a kind not listed here, the
    model's name and the id."""
    if not event.target_type:
        return ""
    if event.target_type == "programs.match" and _is_circle(event):
        return CIRCLE_LABEL % {"id": event.target_id}
    label = LABELS.get(event.target_type)
    if label is not None:
        return label % {"id": event.target_id}
    try:
        name = apps.get_model(event.target_type)._meta.verbose_name
    except (LookupError, ValueError):
        name = event.target_type
    return f"{str(name).capitalize()} {event.target_id or ''}".strip()


def _is_circle(event):
    program = event.program
    return program is not None and program.format == "circle"


def target_url(event, org_slug, *, handles_concerns=False):
    """The coordinator page for the target, or None when there is none (or not for them)."""
    if event.target_id is None:
        return None
    if event.target_type == "coaching_sessions.concern":
        if not handles_concerns:
            return None
        return reverse(
            "sessions:concern_detail", kwargs={"org_slug": org_slug, "pk": event.target_id}
        )
    link = LINKS.get(event.target_type)
    if link is None:
        return None
    try:
        return link(event, org_slug)
    except NoReverseMatch:
        return None
