"""The open application link: a program's public address through which strangers ask to
join (an email with an invitation or a sign-in link) and signed-in people join.

Every service raises `ApplicationError` with a message fit to show the person."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from peercoach.accounts.models import Invitation, User
from peercoach.accounts.services import InvitationError, invitation_create, invitation_resend
from peercoach.notifications.services import message_queue
from peercoach.tenancy.models import Membership
from peercoach.web.ratelimit import over_limit

from ..models import Program
from .applications import ApplicationError

# The open link sends email to addresses typed by strangers: a few per address and per IP.
OPEN_LINK_LIMITS = {"ip": (20, 3600), "email": (3, 3600)}


def program_for_open_link(*, token):
    """The program whose open link is `token` while it takes applications, or None.

    A link left switched on after applications close lets nobody in any more: joining
    through it would make a stranger a member who sees every program's pages.
    """
    from django_scopes import scopes_disabled

    with scopes_disabled():
        return (
            Program.objects.select_related("organization")
            .filter(open_link_token=token, open_link_enabled=True, status=Program.Status.OPEN)
            .first()
        )


def _rate_limited(kind, key):
    """True when `key` used up its allowance of open-link emails (counted in the cache)."""
    limit, period = OPEN_LINK_LIMITS[kind]
    return over_limit(f"openlink:{kind}:{key}", limit=limit, period=period)


def open_link_request(*, program, email, ip):
    """Email `email` a way into `program`: an invitation link, or a sign-in link if known.

    The answer on the page is the same either way, so the form does not reveal who has
    an account. Raises ApplicationError for an invalid address or too many requests.
    """
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(_("Enter a valid email address.")) from None
    if _rate_limited("ip", ip) or _rate_limited("email", email):
        raise ApplicationError(_("Too many requests. Wait an hour and try again."))
    organization = program.organization
    apply_path = reverse("programs:apply", kwargs={"org_slug": organization.slug, "pk": program.pk})
    from django_scopes import scope

    with scope(organization=organization), transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            message_queue(
                template="open_link_existing",
                to=[email],
                organization=organization,
                context={
                    "program_name": program.name,
                    "join_url": settings.SITE_URL
                    + reverse("programs:join", kwargs={"token": program.open_link_token}),
                },
            )
            return
        invitation = (
            Invitation.objects.select_for_update()
            .filter(
                organization=organization,
                email__iexact=email,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
            )
            .first()
        )
        if invitation is not None and not _from_open_link(invitation):
            # A coordinator's own invitation is theirs: a stranger typing the address must
            # not rotate its link (killing the one already sent) or change where it leads.
            return
        try:
            if invitation is None:
                invitation = invitation_create(
                    organization=organization,
                    email=email,
                    role=Membership.Role.PARTICIPANT,
                    invited_by=None,
                )
            else:
                invitation_resend(invitation=invitation)
        except InvitationError as exc:
            raise ApplicationError(exc.messages[0]) from None
        Invitation.objects.filter(pk=invitation.pk).update(next_path=apply_path)


def _from_open_link(invitation):
    """True for invitations an open application link made (nobody invited them)."""
    return (
        invitation.invited_by_id is None
        and invitation.role == Membership.Role.PARTICIPANT
        and invitation.next_path.startswith(f"/o/{invitation.organization.slug}/programs/")
    )


def open_link_join(*, program, user):
    """Make a signed-in (hence verified) person a participant of the program's organisation.

    Idempotent: an existing membership, whatever its role, is kept as it is.
    """
    from django_scopes import scope

    with scope(organization=program.organization):
        Membership.objects.get_or_create(
            organization=program.organization,
            user=user,
            defaults={"role": Membership.Role.PARTICIPANT},
        )
