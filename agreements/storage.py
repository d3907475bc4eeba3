"""Where signed agreement PDFs live: a private directory with no URL.

They must never sit under MEDIA_ROOT, which the development server (and any proxy set up
to serve logos) hands out to whoever knows the path. `pdf_download` is the only way out,
and it checks who asks. The location follows `settings.PRIVATE_ROOT` at every use, so
tests and operators can move it.
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """Files 0600 and folders 0700: signed agreements are readable by the app's user only,
    whatever the umask of the process that wrote them."""

    def __init__(self):
        super().__init__(
            base_url=None, file_permissions_mode=0o600, directory_permissions_mode=0o700
        )

    @property
    def base_location(self):
        return str(settings.PRIVATE_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a view that checks access.")


private_storage = PrivateStorage()


def agreement_storage():
    return private_storage
