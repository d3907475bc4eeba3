"""`{% program_breadcrumb program label url ... label %}`: the breadcrumb of a page under a
program (Programs › program › ... › the current page), rendered by `_breadcrumb.html`.

After the program come the steps below it as label, url pairs (a step without its url
raises ValueError), and the current page's label last. A step whose label or url is empty
is left out (an optional level, such as the survey on a page without one); with an empty
last label, the last step kept is the current page. `program` may be None (a program not
created yet): the trail is then Programs › current page.
"""

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

register = template.Library()


@register.inclusion_tag("_breadcrumb.html", takes_context=True)
def program_breadcrumb(context, program, *steps):
    slug = context["organization"].slug
    crumbs = [(_("Programs"), reverse("programs:list", kwargs={"org_slug": slug}))]
    if program:
        url = reverse("programs:detail", kwargs={"org_slug": slug, "pk": program.pk})
        crumbs.append((program.name, url))
    *middle, here = steps or ("",)
    crumbs += [
        (label, url) for label, url in zip(middle[::2], middle[1::2], strict=True) if label and url
    ]
    if here:
        crumbs.append((here, None))
    return {"crumbs": crumbs}
