"""`{% agreement_readiness program as agreement %}`: whether publishing gives pairs an
agreement, for pages of other apps (the pairing page's publish step, the program page)
that show it without their views having to know about agreements."""

from django import template

from ..selectors.templates import agreement_readiness as readiness

register = template.Library()


@register.simple_tag
def agreement_readiness(program):
    return readiness(program=program)
