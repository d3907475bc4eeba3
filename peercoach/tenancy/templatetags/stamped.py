"""{% stamped "name" vary... %}...{% endstamped %}: a block of a template rendered once
per organisation stamp and person (peercoach.tenancy.stamps.fragment).

Outside an organisation, or for someone not signed in, the block is rendered every time.
The block may use only what its key covers: the organisation, the person, the language,
the time zone, the date and the `vary` values; never a message. A CSRF token or a CSP
nonce in it is cached as a mark and filled in per request (as `pages.render_cached` does
for whole pages); a token the marks cannot find leaves the block uncached.
"""

from django import template
from django.utils import timezone
from django.utils.functional import LazyObject, empty

from ..pages import fill_tokens, mark_tokens
from ..stamps import Until, fragment

register = template.Library()


class StampedNode(template.Node):
    def __init__(self, nodelist, name, vary):
        self.nodelist = nodelist
        self.name = name
        self.vary = vary

    def render(self, context):
        request = context.get("request")
        organization = getattr(request, "organization", None)
        user = getattr(request, "user", None)
        if organization is None or user is None or not user.is_authenticated:
            return self.nodelist.render(context)
        vary = [_evaluated(value.resolve(context)) for value in self.vary]
        fresh = {}

        def build():
            fresh["html"] = html = self.nodelist.render(context)
            marked = mark_tokens(request, html)
            return Until(None, timezone.now()) if marked is None else marked

        cached = fragment(
            organization, user, f"template:{self.name.resolve(context)}", build, vary=vary
        )
        if "html" in fresh:
            return fresh["html"]
        return fill_tokens(request, cached)


@register.tag
def stamped(parser, token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% stamped %} needs a name")
    nodelist = parser.parse(("endstamped",))
    parser.delete_first_token()
    return StampedNode(
        nodelist, parser.compile_filter(bits[1]), [parser.compile_filter(b) for b in bits[2:]]
    )


def _evaluated(value):
    """The value behind a lazy object (its repr would be its set-up function's)."""
    if isinstance(value, LazyObject):
        if value._wrapped is empty:
            value._setup()
        return value._wrapped
    return value
