from django.core.management.base import BaseCommand

from peercoach.demo import DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Create (or refresh) the demo organisations for the five seed programs. Idempotent."

    def handle(self, *args, **opts):
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
            ]
        lines += ["", f"In two organisations (shows the switcher): {result.multi_email}"]
        self.stdout.write("\n".join(lines))
