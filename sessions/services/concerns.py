"""The confidential concern channel: raise a concern, read it (logged), close it, and
choose who handles concerns (the one write for it: the organisation's settings page uses
`concern_handlers_set`).

A concern is read only by its author and by the coordinators who handle concerns. The
emails it causes never carry its content, its category or its author: only that a
concern is waiting, with a link that needs signing in as a handler. When nobody handles
concerns yet, the organisation's help address and every coordinator are told (still
without content) that a concern waits for someone to be named; the concern stays in
the app until then. A coordinator who takes part in a pair or circle cannot handle
concerns: a concern may be about them or their partner.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.notifications.services import message_queue
from peercoach.tenancy.models import Membership
from peercoach.web.ratelimit import over_limit
from peercoach.web.urls import absolute_url

from ..models import Concern, ConcernAccess
from ..selectors.concerns import concern_handlers, programs_of, takes_part
from ..selectors.endings import program_team

MAX_BODY_CHARS = 10_000
MAX_NOTE_CHARS = 2_000
# Each concern emails every handler: enough for real use, not for flooding them.
RAISE_LIMIT, RAISE_PERIOD = 10, 3600


class ConcernError(ValidationError):
    """A concern action that cannot happen, with a message for the person who tried."""


def concern_raise(*, organization, author, category, body, program=None):
    """Record a concern from `author` and tell the handlers that one is waiting.

    `program`, when given, must be one the author applied to or was paired in. Raises
    ConcernError (nothing written) for an unknown category, an empty or too long text,
    a program that is not theirs, or more than RAISE_LIMIT concerns an hour. After
    commit, each handler gets an email with a link and nothing of the concern; without
    any handler, the help address and the coordinators are asked to name one.
    """
    body = (body or "").strip()
    errors = {}
    if category not in Concern.Category.values:
        errors["category"] = _("Choose what your concern is about.")
    if not body:
        errors["body"] = _("Describe your concern.")
    elif len(body) > MAX_BODY_CHARS:
        errors["body"] = _("Keep it under %(n)s characters.") % {"n": MAX_BODY_CHARS}
    if (
        program is not None
        and not programs_of(organization=organization, user=author).filter(pk=program.pk).exists()
    ):
        errors["program"] = _("Choose one of your own programs, or none.")
    if errors:
        raise ConcernError(errors)
    if over_limit(
        f"concern-raise:{organization.pk}:{author.pk}", limit=RAISE_LIMIT, period=RAISE_PERIOD
    ):
        raise ConcernError(
            _("You have raised many concerns in the last hour; please wait, or write to %(help)s.")
            % {"help": organization.help_email or _("the program team")}
        )
    with transaction.atomic():
        concern = Concern.objects.create(
            organization=organization,
            author=author,
            category=category,
            body=body,
            program=program,
        )
        _notify_raised(concern)
    return concern


def _notify_raised(concern):
    org = concern.organization
    handlers = [m.user for m in concern_handlers(organization=org) if m.user.email]
    if handlers:
        url = absolute_url(
            reverse("sessions:concern_detail", kwargs={"org_slug": org.slug, "pk": concern.pk})
        )
        for person in handlers:
            message_queue(
                template="concern_raised",
                to=[person],
                organization=org,
                key=f"concern:{concern.pk}",
                context={"first_name": person.first_name, "concern_url": url},
            )
        return
    # The program team is chosen on the organisation's settings page (the console's).
    url = absolute_url(reverse("workspace:settings", kwargs={"org_slug": org.slug}))
    url += "#program-team"
    recipients = {m.user.email: m.user.first_name for m in program_team(organization=org)}
    if org.help_email:
        recipients.setdefault(org.help_email, "")
    for email, first_name in recipients.items():
        if email:
            message_queue(
                template="concern_needs_handler",
                to=[email],
                organization=org,
                key=f"concern:{concern.pk}",
                context={"first_name": first_name, "handlers_url": url},
            )


# What the organisation's audit log calls each entry of a concern's own access log.
AUDIT_ACTIONS = {
    ConcernAccess.Action.VIEWED: (Action.CONCERN_READ, "read"),
    ConcernAccess.Action.CLOSED: (Action.CONCERN_STATUS, "closed"),
    ConcernAccess.Action.REOPENED: (Action.CONCERN_STATUS, "reopened"),
    ConcernAccess.Action.NOTED: (Action.CONCERN_NOTE, "note added"),
}


def concern_access_record(*, concern, user, action, ip=None, note=""):
    """Append one entry to the concern's access log. Never updates or removes one.

    The program team's entries also go to the organisation's audit log, in the same
    transaction, as "concern 12 read by X": never its text, category, program or note.
    The author's own readings stay in the concern's log only, since the audit log's
    readers need not handle concerns and must not learn who raised one.
    """
    with transaction.atomic():
        access = ConcernAccess.objects.create(
            organization=concern.organization,
            concern=concern,
            user=user,
            action=action,
            ip=ip or None,
            note=note,
        )
        if user is not None and user.pk != concern.author_id:
            audit_action, verb = AUDIT_ACTIONS[action]
            audit_record(
                organization=concern.organization,
                action=audit_action,
                actor=user,
                target=concern,
                summary=f"Concern {concern.pk} {verb} by {user.display_name}",
                ip=ip,
            )
    return access


def concern_status_set(*, concern, user, action, note="", ip=None):
    """Close or reopen a concern, or only add a note (`action`: "close", "reopen",
    "note"); every call is logged with the note. Closing a closed concern (or reopening
    an open one) changes nothing but still logs the note, if any. Raises ConcernError
    for an unknown action, a note-only call without a note, or a note that is too long.
    """
    note = (note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise ConcernError(
            {"note": _("Keep the note under %(n)s characters.") % {"n": MAX_NOTE_CHARS}}
        )
    if action not in {"close", "reopen", "note"}:
        raise ConcernError(_("Choose to close, reopen or add a note."))
    if action == "note" and not note:
        raise ConcernError({"note": _("Write the note first.")})
    with transaction.atomic():
        locked = Concern.objects.select_for_update().get(
            organization=concern.organization, pk=concern.pk
        )
        kind = ConcernAccess.Action.NOTED
        if action == "close" and locked.status == Concern.Status.OPEN:
            locked.status, locked.closed_at = Concern.Status.CLOSED, timezone.now()
            locked.save(update_fields=["status", "closed_at"])
            kind = ConcernAccess.Action.CLOSED
        elif action == "reopen" and locked.status == Concern.Status.CLOSED:
            locked.status, locked.closed_at = Concern.Status.OPEN, None
            locked.save(update_fields=["status", "closed_at"])
            kind = ConcernAccess.Action.REOPENED
        elif not note:
            return locked
        concern_access_record(concern=locked, user=user, action=kind, ip=ip, note=note)
    return locked


def concern_handlers_set(*, organization, handler_ids, actor=None, request=None):
    """Make exactly the coordinators whose membership ids are in `handler_ids` the ones who
    handle confidential concerns; returns the memberships that changed, each with its new
    `handles_concerns`, in membership order.

    All or nothing: raises ConcernError (nothing written) for an id that is not a
    coordinator's membership in `organization`, or for a coordinator who would start
    handling concerns while taking part in a current pair or circle of the organisation.
    Records one MEMBER_CHANGED audit event per coordinator whose responsibility changed,
    in the same transaction (`actor` defaults to `request`'s user). Idempotent.
    """
    handler_ids = set(handler_ids)
    with transaction.atomic():
        coordinators = list(
            Membership.objects.select_for_update(of=("self",))
            .filter(organization=organization, role=Membership.Role.COORDINATOR)
            .select_related("user")
            .order_by("pk")
        )
        if handler_ids - {m.pk for m in coordinators}:
            raise ConcernError(_("Choose coordinators of this organisation only."))
        changed = []
        for membership in coordinators:
            wanted = membership.pk in handler_ids
            if membership.handles_concerns == wanted:
                continue
            if wanted and takes_part(organization=organization, user_id=membership.user_id):
                raise ConcernError(
                    _(
                        "%(name)s takes part in a pair or circle, and a concern may be about "
                        "them or their partner: choose another coordinator."
                    )
                    % {"name": membership.user.display_name}
                )
            membership.handles_concerns = wanted
            membership.save(update_fields=["handles_concerns"])
            audit_record(
                organization=organization,
                action=Action.MEMBER_CHANGED,
                request=request,
                actor=actor,
                target=membership,
                summary=(
                    f"{membership.user.display_name}: "
                    + ("now handles concerns" if wanted else "no longer handles concerns")
                ),
            )
            changed.append(membership)
    return changed
