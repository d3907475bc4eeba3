from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from peercoach.demo import ADMIN_EMAIL, DEMO_PASSWORD, demo_load

OVERRIDE = "--i-know-this-is-not-production"


class Command(BaseCommand):
    help = (
        "Create (or refresh) the demo organisations for the five seed programs and one "
        "Spanish-speaking organisation, with a "
        "superuser and about a hundred accounts whose password is published. Idempotent. "
        f"Refuses to run with DEBUG off unless given {OVERRIDE}."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            OVERRIDE,
            action="store_true",
            dest="not_production",
            help="Load the demo although DEBUG is off (a throwaway staging or benchmark copy).",
        )

    def handle(self, *args, **opts):
        if not settings.DEBUG and not opts["not_production"]:
            raise CommandError(
                "DEBUG is off, so this looks like production: the demo would create the "
                f"superuser {ADMIN_EMAIL} and about a hundred accounts whose password is "
                f"published ({DEMO_PASSWORD!r}). Nothing was changed. For a throwaway copy, "
                f"run it again with {OVERRIDE}; to create the first operator of a real "
                "installation, use `manage.py createsuperuser` (see README, Production)."
            )
        result = demo_load()
        lines = [
            self.style.SUCCESS("Demo data ready."),
            "",
            f"Every demo account's password: {DEMO_PASSWORD}",
            f"Operator admin (/admin/):      {result.admin_email}",
        ]
        for org, coordinator, participants in result.organizations:
            lines += [
                "",
                f"{org.name}  ->  /o/{org.slug}/",
                f"  coordinator:  {coordinator}",
                f"  participants: {participants[0]} ... {participants[-1]} ({len(participants)})",
                *result.lines.get(org.pk, []),
            ]
        lines += ["", f"In two organisations (shows the switcher): {result.multi_email}"]
        self.stdout.write("\n".join(lines))
        if not settings.DEBUG:
            self.stderr.write(
                self.style.ERROR(
                    f"WARNING: DEBUG is off and this installation now has the superuser "
                    f"{result.admin_email} and every demo account with the published password "
                    f"{DEMO_PASSWORD!r}. Anyone who can reach it can sign in as the operator. "
                    "Never leave this copy reachable, and never load the demo into production."
                )
            )
