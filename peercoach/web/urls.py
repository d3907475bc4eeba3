"""Addresses of this site."""

from django.conf import settings


def absolute_url(path):
    """The full address of a path of this site, for links in emails and calendar files."""
    return settings.SITE_URL + path
