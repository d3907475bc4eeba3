"""Walk the pages a person reaches, as the test client, for checks that hold on every page.

`walk` starts at the organisation's home page (and the person's profile) and follows every
link and HTMX request inside the organisation, as far as it leads. Each URL name is read at
most `PER_VIEW` times per person: one template with other rows adds little, and the walk
stays within seconds on the demo data. `walkers` picks who walks: the coordinators and, for
each kind of row, a participant who wrote one, so private pages (their own notes, their
report) are walked by their author.
"""

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.apps import apps
from django.urls import Resolver404, resolve

from peercoach.accounts.models import User
from peercoach.tenancy.models import Membership

LINK = re.compile(r'(?:href|hx-get)="(/[^"#]*)')
PER_VIEW = 2


def walk(client, slug):
    """Every HTML page `client` reaches from the organisation's home: {path: html}.

    Fails on an answer of 500 or more; follows redirects; skips downloads."""
    queue, seen, pages, per_name = [f"/o/{slug}/", "/accounts/profile/"], set(), {}, {}
    while queue:
        path = unescape(queue.pop(0))
        if path in seen or "logout" in path:
            continue
        seen.add(path)
        try:
            name = resolve(urlsplit(path).path).view_name
        except Resolver404:
            continue
        per_name[name] = per_name.get(name, 0) + 1
        if per_name[name] > PER_VIEW:
            continue
        response = client.get(path)
        assert response.status_code < 500, f"{path} answered {response.status_code}"
        if response.status_code in (301, 302):
            queue.append(response["Location"])
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        html = response.content.decode()
        pages[path] = html
        for link in LINK.findall(html):
            if link.startswith((f"/o/{slug}/", "/accounts/profile/")):
                queue.append(link)
    return pages


def walkers(org, model_labels):
    """The coordinators of `org`, its first two participants, and for each model the people
    named on its first row (author, user...), sorted by email."""
    coordinators = Membership.objects.filter(organization=org, role="coordinator")
    people = {m.user for m in coordinators.select_related("user")}
    for model_label in dict.fromkeys(model_labels):
        model = apps.get_model(model_label)
        if model is User or "organization" not in {f.name for f in model._meta.fields}:
            continue
        row = model.objects.filter(organization=org).first()
        for field in model._meta.fields if row else []:
            user = getattr(row, field.name) if field.related_model is User else None
            if user is not None:
                people.add(user)
    participants = Membership.objects.filter(organization=org, role="participant")
    people |= {m.user for m in participants.order_by("user__email")[:2]}
    return sorted(people, key=lambda user: user.email)


class _Headings(HTMLParser):
    def __init__(self):
        super().__init__()
        self.levels = []
        self.texts = []
        self._open = None

    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r"h[1-6]", tag):
            self.levels.append(int(tag[1]))
            self.texts.append("")
            self._open = tag

    def handle_endtag(self, tag):
        if tag == self._open:
            self._open = None

    def handle_data(self, data):
        if self._open:
            self.texts[-1] += data


def heading_skips(html):
    """Where the outline skips a level: the page's first heading is not an h1, or a heading
    is more than one level below the one before it (h1 then h3). [] when in order."""
    parser = _Headings()
    parser.feed(html)
    problems, previous = [], 0
    for level, text in zip(parser.levels, parser.texts, strict=True):
        if level > previous + 1:
            problems.append(f"h{level} “{' '.join(text.split())[:60]}” after h{previous or '-'}")
        previous = level
    return problems
