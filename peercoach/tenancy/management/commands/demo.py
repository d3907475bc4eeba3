from django.core.management.base import BaseCommand

from peercoach.demo import DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Create (or refresh) the demo organisations for the five seed programs. Idempotent."

    def handle(self, *args, **opts):
        result = demo_load()
        programs = {demo.organization.pk: demo for demo in result.programs}
        agreements = {demo.program.organization_id: demo for demo in result.agreements}
        activity = {demo.program.organization_id: demo for demo in result.activity}
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
            if demo := programs.get(org.pk):
                lines.append(_program_line(demo))
            if demo := agreements.get(org.pk):
                lines.append(f"  agreement:    from the “{demo.starter}” starter")
                for status, emails in demo.showcased:
                    lines.append(f"    {status}: {' and '.join(emails)}")
            if demo := activity.get(org.pk):
                lines.append(f"  sessions:     {demo.sessions} logged")
                for what, who in demo.showcased:
                    lines.append(f"    {what}: {who}")
        lines += ["", f"In two organisations (shows the switcher): {result.multi_email}"]
        self.stdout.write("\n".join(lines))


def _program_line(demo):
    program = demo.program
    shape = {
        program.Format.ONE_WAY: "one-way pairs",
        program.Format.RECIPROCAL: "reciprocal pairs",
        program.Format.CIRCLE: f"circles of about {program.circle_size}",
    }[program.format]
    made = "circles" if program.format == program.Format.CIRCLE else "pairs"
    line = (
        f"  program:      {program.name} ({shape}): {demo.applications} applications, "
        f"{demo.matches} {made}"
    )
    if demo.waiting:
        line += f", {demo.waiting} waiting for a partner"
    return line
