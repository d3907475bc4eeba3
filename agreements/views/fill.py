"""PLACEHOLDER: being written by a helper; every view answers 404 until then."""

from django.http import Http404


def _missing(*args, **kwargs):
    raise Http404("Not written yet.")


detail = _missing
field_save = _missing
history = _missing
sign = _missing
amend = _missing
