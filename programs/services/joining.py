"""Late joiners: the program team adds one person after applications closed.

A member of the organisation is accepted at once; anyone else is invited, and the
invitation's link carries a signed admission to the program's form, where their first
application is accepted as they send it (`applications.application_submit`).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from peercoach.accounts.models import Invitation, User
from peercoach.accounts.services import InvitationError, invitation_create
from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.notifications.services import message_queue
from peercoach.tenancy.models import Membership

from ..models import Application, Program
from .applications import (
    ApplicationError,
    _copy_columns,
    accepted_by_team,
    answers_clean,
    questions_of,
)

LATE_SALT = "peercoach.programs.late_admission"


@dataclass(frozen=True)
class LateJoin:
    application: Application | None  # a member: accepted now, ready to be paired
    invitation: Invitation | None  # a newcomer: invited, accepted when they apply


def _late_admission_token(program, email, added_by):
    return signing.dumps({"p": program.pk, "e": email, "by": added_by.pk}, salt=LATE_SALT)


def late_admission_check(*, program, user, token):
    """The coordinator (a User) who admitted `user` late to `program` with `token`, or None.

    The token travels in the invitation's link; it only works for the invited address
    (the person proved it by accepting the invitation), for this program, while the
    program can still take people, and for as long as an invitation could be open.
    """
    if not token:
        return None
    max_age = timedelta(days=settings.INVITATION_TTL_DAYS + 30)
    try:
        data = signing.loads(token, salt=LATE_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    if data.get("p") != program.pk or data.get("e", "") != (user.email or "").lower():
        return None
    if not program.takes_late_joiners:
        return None
    # A coordinator who has since left the team no longer admits anyone.
    return User.objects.filter(
        pk=data.get("by"),
        memberships__organization=program.organization,
        memberships__role=Membership.Role.COORDINATOR,
    ).first()


def application_add_late(*, program, email, added_by, first_name="", last_name="", raw_answers):
    """The program team adds one person to `program` after applications closed.

    A member of the organisation gets an accepted application at once (answers as far as
    the team knows them; required questions may stay empty) and an email: they are in
    the pairing pool. Anyone else gets an invitation whose link leads to the program's
    form, where their own first application is accepted on the spot. Raises
    ApplicationError (nothing written) for a draft or closed program, a bad address or
    answer, someone who already applied (decide on that application instead; a withdrawn
    one is the person's to renew), or an open invitation. Returns a LateJoin.
    """
    if not program.takes_late_joiners:
        raise ApplicationError(_("People can join a program from its opening until it closes."))
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError({"email": [_("Enter a valid email address.")]}) from None
    questions = questions_of(program)
    answers, errors = answers_clean(questions=questions, raw=raw_answers, require=False)
    if errors:
        raise ApplicationError(errors)
    organization = program.organization
    with transaction.atomic():
        Program.objects.select_for_update().filter(organization=organization, pk=program.pk).get()
        membership = (
            Membership.objects.filter(organization=organization, user__email__iexact=email)
            .select_related("user")
            .first()
        )
        if membership is None:
            try:
                invitation = invitation_create(
                    organization=organization,
                    email=email,
                    role=Membership.Role.PARTICIPANT,
                    invited_by=added_by,
                    first_name=first_name,
                    last_name=last_name,
                )
            except InvitationError as exc:
                raise ApplicationError({"email": exc.messages}) from None
            apply_path = reverse(
                "programs:apply", kwargs={"org_slug": organization.slug, "pk": program.pk}
            )
            invitation.next_path = (
                f"{apply_path}?admit={_late_admission_token(program, email, added_by)}"
            )
            invitation.save(update_fields=["next_path"])
            return LateJoin(application=None, invitation=invitation)
        user = membership.user
        existing = Application.objects.filter(
            organization=organization, program=program, user=user
        ).first()
        if existing is not None:
            raise ApplicationError(
                {
                    "email": [
                        _(
                            "%(email)s has an application already (%(status)s): decide on "
                            "it from their application page."
                        )
                        % {"email": email, "status": existing.get_status_display()}
                    ]
                }
            )
        application = Application(
            organization=organization, program=program, user=user, answers=answers
        )
        accepted_by_team(application, by=added_by)
        _copy_columns(application, questions)
        try:
            with transaction.atomic():
                application.save()
        except IntegrityError:
            raise ApplicationError(
                {"email": [_("%(email)s applied meanwhile; reload the page.") % {"email": email}]}
            ) from None
        audit_record(
            organization=organization,
            action=Action.APPLICATION_DECIDED,
            actor=added_by,
            target=application,
            program=program,
            summary=f"{user.display_name}: added late, accepted",
        )
        message_queue(
            template="application_decision",
            to=[user],
            organization=organization,
            context={
                "first_name": user.first_name,
                "program_name": program.name,
                "status": application.status,
                "program_url": settings.SITE_URL + program.get_absolute_url(),
            },
        )
    return LateJoin(application=application, invitation=None)
