from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_scopes import scope

from peercoach.accounts.models import User
from peercoach.accounts.services import InvitationError, invitation_create, membership_add
from peercoach.tenancy.models import Membership
from peercoach.tenancy.services import organization_create


class Command(BaseCommand):
    help = "Create an organisation (tenant) and optionally its first coordinator."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="Short name used in URLs: /o/<slug>/")
        parser.add_argument("--name", required=True)
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

    def handle(self, *args, **opts):
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
                        user = User.objects.filter(email__iexact=opts["coordinator"]).first()
                        if user:
                            membership_add(
                                organization=organization,
                                user=user,
                                role=Membership.Role.COORDINATOR,
                            )
                            message = f" {user.email} is its coordinator."
                        else:
                            invitation_create(
                                organization=organization,
                                email=opts["coordinator"],
                                role=Membership.Role.COORDINATOR,
                                invited_by=None,
                            )
                            message = f" An invitation was emailed to {opts['coordinator']}."
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
