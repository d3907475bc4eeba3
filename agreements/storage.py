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
    def __init__(self):
        super().__init__(base_url=None)

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
