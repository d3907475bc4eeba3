import time

from django.core.management.base import BaseCommand, CommandError

from peercoach.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write one archive (mode 0600) of the database, the signed PDFs (private), the seal "
        "certificate (seal), uploads (media) and a manifest with checksums and versions. "
        "It holds personal data and the seal's private key: keep it secret. SECRET_KEY and "
        "a configured SEAL_PKCS12 are not in it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "destination", help="A new file (.tar.gz), or an existing folder for a dated one."
        )

    def handle(self, *args, destination, **opts):
        started = time.monotonic()
        try:
            path = backup_create(destination=destination)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        size = path.stat().st_size
        self.stdout.write(
            self.style.SUCCESS(f"Backup written to {path}")
            + f" ({size:,} bytes, {time.monotonic() - started:.1f} s)."
        )
