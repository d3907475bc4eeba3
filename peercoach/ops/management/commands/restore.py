import time

from django.core.management.base import BaseCommand, CommandError

from peercoach.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Rebuild an empty installation (a new database, empty private, seal and media "
        "folders) from an archive made by `backup`. Checks the archive's checksums first and "
        "refuses a non-empty installation; nothing is half-restored. Run `migrate` after it."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The archive written by `manage.py backup`.")

    def handle(self, *args, archive, **opts):
        started = time.monotonic()
        try:
            manifest = backup_restore(archive=archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        app = manifest.get("app") or {}
        self.stdout.write(
            self.style.SUCCESS(f"Restored the backup of {manifest.get('created_at')}")
            + f" (peercoach {app.get('version')}, {len(manifest.get('files', {}))} files,"
            f" {time.monotonic() - started:.1f} s). Next: manage.py migrate, then start the"
            " services."
        )
