"""`{% match_agreement match as agreement %}`: the agreement a member sees next to their
pair, for pages of other apps (the program page) whose views do not read agreements."""

from django import template

from ..selectors.pairs import agreement_for_pair

register = template.Library()


@register.simple_tag
def match_agreement(match):
    return agreement_for_pair(match)
