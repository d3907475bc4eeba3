from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_scopes import scope, scopes_disabled

from peercoach.accounts.models import User
from peercoach.accounts.services import (
    InvitationError,
    coordinator_invitations_resend,
    first_coordinator_handles_concerns,
    invitation_create,
    membership_add,
)
from peercoach.tenancy.models import Membership, Organization
from peercoach.tenancy.services import organization_create


class Command(BaseCommand):
    help = (
        "Create an organisation (tenant) and optionally its first coordinator, who handles "
        "confidential concerns until the settings page names someone else. With --resend, "
        "email the organisation's open coordinator invitations again, with a fresh link."
    )

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="Short name used in URLs: /o/<slug>/")
        parser.add_argument("--name", help="The organisation's name (required to create it)")
        parser.add_argument("--time-zone", default="UTC", help="e.g. Europe/Berlin")
        parser.add_argument("--help-email", default="", help="Help and contact address")
        parser.add_argument(
            "--coordinator",
            metavar="EMAIL",
            help="Make this person a coordinator (invited by email if they have no account).",
        )
        parser.add_argument(
            "--no-mfa", action="store_true", help="Do not require two-factor for coordinators."
        )
        parser.add_argument(
            "--resend",
            action="store_true",
            help="Do not create: resend the open coordinator invitations of the organisation "
            "--slug (only --coordinator's, when given). Earlier links stop working.",
        )

    def handle(self, *args, **opts):
        if opts["resend"]:
            return self._resend(opts["slug"], opts["coordinator"])
        if not opts["name"]:
            raise CommandError("Organisation not created: --name is required.")
        try:
            with transaction.atomic():
                organization = organization_create(
                    slug=opts["slug"],
                    name=opts["name"],
                    time_zone=opts["time_zone"],
                    help_email=opts["help_email"],
                    require_coordinator_mfa=not opts["no_mfa"],
                )
                message = ""
                if opts["coordinator"]:
                    with scope(organization=organization):
                        message = self._first_coordinator(organization, opts["coordinator"])
        except ValidationError as exc:
            details = (
                "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
                if hasattr(exc, "error_dict")
                else " ".join(exc.messages)
            )
            raise CommandError(f"Organisation not created: {details}") from None
        except InvitationError as exc:
            raise CommandError(f"Organisation not created: {' '.join(exc.messages)}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Created “{organization.name}” at /o/{organization.slug}/.{message}"
            )
        )

    def _first_coordinator(self, organization, email):
        user = User.objects.filter(email__iexact=email).first()
        if user:
            membership = membership_add(
                organization=organization, user=user, role=Membership.Role.COORDINATOR
            )
            first_coordinator_handles_concerns(membership=membership)
            return f" {user.email} is its coordinator and handles confidential concerns."
        invitation_create(
            organization=organization,
            email=email,
            role=Membership.Role.COORDINATOR,
            invited_by=None,
        )
        # The membership, and with it the concern handler, comes when they accept.
        return (
            f" An invitation was emailed to {email}; once they accept, they handle "
            f"confidential concerns. Resend it with: manage.py org_create --slug "
            f"{organization.slug} --resend"
        )

    def _resend(self, slug, email):
        with scopes_disabled():
            organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"Nothing resent: there is no organisation “{slug}”.")
        invitations = coordinator_invitations_resend(organization=organization, email=email)
        if not invitations:
            whom = f" for {email}" if email else ""
            raise CommandError(
                f"Nothing resent: “{slug}” has no open coordinator invitation{whom} "
                "(accepted or withdrawn ones cannot be resent). A coordinator invites "
                "others from the organisation's people page."
            )
        for invitation in invitations:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Invitation emailed again to {invitation.email} (a fresh link, valid "
                    f"until {invitation.expires_at:%Y-%m-%d}); earlier links stop working."
                )
            )
