"""The isolation matrix: every URL, every actor, the answer each one must get.

The table below has one row per URL pattern of the root resolver. A test walks the
resolver and fails when a pattern has no row (or a row names a pattern that is gone),
so a new view cannot ship without someone deciding who may reach it.

Actors: `anonymous`; `other_coordinator` and `other_participant` (members of another
organisation); `stranger` (a participant of the owner organisation with no relation to
the target); `owner` (the role in the owner organisation the page is for). Objects in
URLs belong to the owner organisation `org`.

Another tenant's organisation or object answers 404, never 403 (DESIGN.md, Tenancy).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver, reverse
from django_scopes import scope, scopes_disabled

from agreements import models as agreement_models
from agreements.selectors.agreement import canonical_text
from agreements.services.common import Actor
from agreements.services.create import agreement_create
from agreements.services.fill import value_save
from agreements.services.sign import agreement_sign
from peercoach.accounts.models import Invitation
from peercoach.tenancy.middleware import PUBLIC_TENANT_SUFFIXES
from peercoach.tenancy.models import Membership
from peercoach.tenancy.urls import TENANT
from programs import models as program_models

from .conftest import ACTORS as CONFTEST_ACTORS
from .conftest import rows_for_the_module, world_make
from .factories import (
    ApplicationFactory,
    InvitationFactory,
    MembershipFactory,
    ProgramEventFactory,
    ProgramFactory,
    QuestionFactory,
    ResourceFactory,
    UserFactory,
    match_make,
)

pytestmark = pytest.mark.django_db


# --- The patterns the root resolver serves --------------------------------------------


class Pattern(NamedTuple):
    key: str  # the qualified name ("accounts:invite"), or the route when unnamed
    route: str  # the full route, prefixes included
    name: str | None
    view: str  # dotted path of the view, to tell our views from third-party ones


def iter_patterns(patterns=None, prefix="", namespace=None):
    """Every URLPattern below the root resolver, with its full route and qualified name."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from iter_patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
            continue
        route = prefix + str(entry.pattern)
        name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
        yield Pattern(key=name or route, route=route, name=name, view=entry.lookup_str)


PATTERNS = list(iter_patterns())


def is_public_tenant(pattern):
    """A tenant path open to anyone (TenantMiddleware's PUBLIC_TENANT_SUFFIXES, e.g. the
    single sign-on start): its row says who gets what, like a global row."""
    return (
        pattern.route.startswith(TENANT) and pattern.route[len(TENANT) :] in PUBLIC_TENANT_SUFFIXES
    )


def is_tenant(pattern):
    return pattern.route.startswith(TENANT) and not is_public_tenant(pattern)


# --- What an actor may get -------------------------------------------------------------


class _Login:
    """Expected answer: 302 to the sign-in page."""

    def __repr__(self):
        return "LOGIN"


LOGIN = _Login()
ACTORS = ("anonymous", "other_coordinator", "other_participant", "stranger", "owner")


class Expect(NamedTuple):
    anonymous: int | _Login
    other_coordinator: int | _Login
    other_participant: int | _Login
    stranger: int | _Login
    owner: int | _Login


# Coordinator-only pages inside a tenant (`coordinator_required`).
COORDINATOR_PAGE = Expect(
    anonymous=LOGIN, other_coordinator=404, other_participant=404, stranger=403, owner=200
)
# POST-only coordinator actions: success redirects back to the people page; GET is 405
# for the coordinator, but the tenant and the role are checked first.
COORDINATOR_ACTION = COORDINATOR_PAGE._replace(owner=302)
COORDINATOR_ACTION_GET = COORDINATOR_PAGE._replace(owner=405)
# Pages for the parties of one pair or circle: everyone else in the tenant gets 404.
PARTY_PAGE = Expect(
    anonymous=LOGIN, other_coordinator=404, other_participant=404, stranger=404, owner=200
)
# Pages for every member of the tenant.
MEMBER_PAGE = Expect(
    anonymous=LOGIN, other_coordinator=404, other_participant=404, stranger=200, owner=200
)


class Target:
    """The owner organisation's objects that URLs point at, made on first use."""

    def __init__(self, org, actors=None):
        self.org = org
        self.actors = actors or {}
        self._memo = {}

    @cached_property
    def invitation(self):
        with scope(organization=self.org):
            return InvitationFactory(organization=self.org, email="invitee@acme.example.org")

    @cached_property
    def program(self):
        """An open reciprocal program of the owner organisation, visible to its members."""
        with scope(organization=self.org):
            return ProgramFactory(organization=self.org, name="Acme Coaching Term")

    @cached_property
    def event(self):
        with scope(organization=self.org):
            return ProgramEventFactory(program=self.program)

    @cached_property
    def resource(self):
        with scope(organization=self.org):
            resource = ResourceFactory(program=self.program)
            resource.file.save("guide.txt", ContentFile(b"Ask open questions."), save=True)
            return resource

    @cached_property
    def question(self):
        with scope(organization=self.org):
            return QuestionFactory(program=self.program, label="What do you want to work on?")

    def application_of(self, user):
        with scope(organization=self.org):
            return ApplicationFactory(program=self.program, user=user)

    def match_of(self, users, **kwargs):
        with scope(organization=self.org):
            return match_make(program=self.program, users=users, **kwargs)

    def extra_people(self, *emails):
        """Participants of the owner organisation who are none of the actors."""
        with scope(organization=self.org):
            users = [UserFactory(email=email) for email in emails]
            for user in users:
                MembershipFactory(organization=self.org, user=user)
        return users

    @cached_property
    def participant_application(self):
        """The participant's own accepted application to `program`, not yet paired."""
        return self.application_of(self.actors["participant"])

    @cached_property
    def proposed_match(self):
        """A proposed pair of two other people (the participant is in neither)."""
        first, second = self.extra_people("ana@acme.example.org", "ben@acme.example.org")
        self.application_of(first), self.application_of(second)
        return self.match_of([first, second])

    @cached_property
    def active_match(self):
        first, second = self.extra_people("cai@acme.example.org", "dee@acme.example.org")
        return self.match_of([first, second], status=program_models.Match.Status.ACTIVE)

    @cached_property
    def run(self):
        with scope(organization=self.org):
            return program_models.MatchingRun.objects.create(
                organization=self.org, program=self.program, status="done", progress=100
            )

    @cached_property
    def open_link_program(self):
        with scope(organization=self.org):
            return ProgramFactory(organization=self.org, open_link_enabled=True)

    def _agreement_for(self, program, partner_email):
        """The participant and a partner in an active pair of `program`, with an agreement
        whose required fields are filled."""
        from tests.agreements.conftest import template_make

        participant = self.actors["participant"]
        (partner,) = self.extra_people(partner_email)
        with scope(organization=self.org):
            match = match_make(
                program=program,
                users=[participant, partner],
                status=program_models.Match.Status.ACTIVE,
            )
            template = self.program_template if program == self.program else template_make(program)
            agreement = agreement_create(match=match, template=template)
            for user, title, data in [
                (participant, "How often we meet", {"every": "monthly"}),
                (participant, "How long a session lasts", {"value": "60"}),
                (participant, "Where we meet", {"value": "Teams"}),
                (participant, "My primary objective", {"value": "Listen"}),
                (partner, "My primary objective", {"value": "Plan"}),
            ]:
                self._fill(agreement, user, title, data)
        return agreement, partner

    def _fill(self, agreement, user, title, data):
        from django.http import QueryDict

        from agreements import fields

        item = agreement_models.AgreementItem.objects.get(template=agreement.template, title=title)
        query = QueryDict(mutable=True)
        query.update(data)
        value_save(
            agreement=agreement,
            item=item,
            actor=Actor(user=user),
            value=fields.parse(item, query),
            seen_revision=0,
        )

    @cached_property
    def program_template(self):
        """The target program's agreement template (version 1, the test items)."""
        from tests.agreements.conftest import template_make

        with scope(organization=self.org):
            return template_make(self.program)

    def template_item(self, title):
        with scope(organization=self.org):
            return agreement_models.AgreementItem.objects.get(
                template=self.program_template, title=title
            )

    @cached_property
    def participant_agreement(self):
        """The participant's open agreement, every required field filled, nobody signed."""
        return self._agreement_for(self.program, "eve@acme.example.org")[0]

    def agreement_item(self, title):
        with scope(organization=self.org):
            return agreement_models.AgreementItem.objects.get(
                template=self.participant_agreement.template, title=title
            )

    def agreement_sha(self):
        with scope(organization=self.org):
            return canonical_text(self.participant_agreement)[1]

    @cached_property
    def signed_agreement(self):
        """The participant's agreement in a second program, signed by both (no PDF yet:
        the task runs on commit, and the matrix never commits)."""
        with scope(organization=self.org):
            program = ProgramFactory(organization=self.org, name="Acme Second Term")
        agreement, partner = self._agreement_for(program, "fay@acme.example.org")
        with scope(organization=self.org):
            sha = canonical_text(agreement)[1]
            for user in (self.actors["participant"], partner):
                agreement_sign(
                    agreement=agreement,
                    actor=Actor(user=user),
                    typed_name="Signer Name",
                    consent=True,
                    intent=True,
                    seen_sha256=sha,
                )
            agreement.refresh_from_db()
        return agreement

    def memo(self, key, make):
        """`make(self)` once per test: for objects the area row modules build."""
        if key not in self._memo:
            self._memo[key] = make(self)
        return self._memo[key]

    @cached_property
    def participant_pair(self):
        """An active reciprocal pair in a running program: the participant and a partner
        (the stranger is in neither). For the sessions app's rows."""
        (partner,) = self.extra_people("gil@acme.example.org")
        with scope(organization=self.org):
            program = ProgramFactory(
                organization=self.org,
                name="Acme Running Term",
                status=program_models.Program.Status.RUNNING,
            )
            match = match_make(
                program=program,
                users=[self.actors["participant"], partner],
                status=program_models.Match.Status.ACTIVE,
            )
        return match

    @cached_property
    def org_with_logo(self):
        # Tiny PNG signature is enough: the view streams the file, it does not decode it.
        self.org.logo.save("acme.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
        return self.org


def in_tenant(target):
    return {"org_slug": target.org.slug}


def program_kwargs(target):
    return {"org_slug": target.org.slug, "pk": target.program.pk}


def agreement_kwargs(agreement):
    return {"org_slug": agreement.organization.slug, "pk": agreement.pk}


def csv_upload(target):
    return {"file": SimpleUploadedFile("people.csv", b"email,role\ncsv@example.org,participant\n")}


@dataclass(frozen=True)
class Row:
    checks: dict  # HTTP method -> Expect
    owner: str  # the fixture that plays `owner`
    kwargs: Callable = lambda target: {}  # reverse() kwargs for the target
    path: Callable | None = None  # the URL itself, for unnamed patterns
    data: Callable | None = None  # the POST body
    owner_post_changes: bool = False  # the owner's POST must change data (proves it works)
    debug_only: bool = False  # only mounted when DEBUG is on at import of peercoach/urls.py
    rationale: str = ""  # required for rows outside the tenant URLs


@dataclass(frozen=True)
class PrefixRule:
    """A whole group of global patterns that hold no tenant data, with a sample check."""

    prefix: str
    view_prefix: str
    rationale: str
    sample_path: str
    sample: Expect

    def covers(self, pattern):
        return pattern.route.startswith(self.prefix) and pattern.view.startswith(self.view_prefix)


# Prefix rules only for the operator admin and allauth, because they hold no tenant data:
# allauth's pages are about the signed-in person alone, and the admin is for platform
# staff, outside every tenant (non-staff are sent to its login). Listing their ~80
# patterns one by one would only copy their URL confs. Each rule also requires a
# third-party view, so a view of ours mounted under `accounts/` (accounts:profile) or
# added to the admin still needs its own row.
PREFIX_RULES = (
    PrefixRule(
        prefix="admin/",
        view_prefix="django.",
        rationale="Operator admin, staff only, not tenant-scoped; non-staff go to the admin login.",
        sample_path="/admin/",
        sample=Expect(
            anonymous=302, other_coordinator=302, other_participant=302, stranger=302, owner=302
        ),
    ),
    PrefixRule(
        prefix="accounts/",
        view_prefix="allauth.",
        rationale=(
            "allauth sign-in, password and two-factor pages, and its OpenID Connect and SAML "
            "endpoints (accounts/oidc/<slug>/, accounts/saml/<slug>/, whose organisation "
            "rules are peercoach.sso's): global, about the person only."
        ),
        sample_path="/accounts/login/",
        # Signed-in people are sent on from the sign-in page.
        sample=Expect(
            anonymous=200, other_coordinator=302, other_participant=302, stranger=302, owner=302
        ),
    ),
    # allauth.urls keeps its old social-account paths as permanent redirects to the new
    # ones (django's RedirectView, so the allauth rule above does not cover them).
    PrefixRule(
        prefix="accounts/social/",
        view_prefix="django.views.generic.base.RedirectView",
        rationale="allauth's former social-account paths: a redirect, no content.",
        sample_path="/accounts/social/login/error/",
        sample=Expect(
            anonymous=301, other_coordinator=301, other_participant=301, stranger=301, owner=301
        ),
    ),
)

TABLE = {
    "home": Row(
        checks={
            # Visitors see the landing; members with one organisation are sent to it.
            "GET": Expect(
                anonymous=200,
                other_coordinator=302,
                other_participant=302,
                stranger=302,
                owner=302,
            )
        },
        owner="participant",
        rationale="Global landing page.",
    ),
    "healthz": Row(
        checks={
            "GET": Expect(
                anonymous=200,
                other_coordinator=200,
                other_participant=200,
                stranger=200,
                owner=200,
            )
        },
        owner="participant",
        rationale="Global health check for the load balancer; says nothing about tenants.",
    ),
    "accounts:invitation_accept": Row(
        checks={
            method: Expect(
                anonymous=410,
                other_coordinator=410,
                other_participant=410,
                stranger=410,
                owner=410,
            )
            for method in ("GET", "POST")
        },
        owner="participant",
        kwargs=lambda target: {"token": "not-a-signed-token"},
        rationale="Public invitation link; the signed token is the key, an invalid one is gone.",
    ),
    "accounts:profile": Row(
        checks={
            "GET": Expect(
                anonymous=LOGIN,
                other_coordinator=200,
                other_participant=200,
                stranger=200,
                owner=200,
            )
        },
        owner="participant",
        rationale="Global: the signed-in person's own profile.",
    ),
    "portal:home": Row(
        checks={"GET": MEMBER_PAGE},
        owner="participant",
        kwargs=in_tenant,
        rationale="Members' home; coordinators are sent on to workspace:home (302).",
    ),
    "tenancy:logo": Row(
        checks={"GET": MEMBER_PAGE},
        owner="participant",
        kwargs=lambda target: {"org_slug": target.org_with_logo.slug},
    ),
    "accounts:people": Row(checks={"GET": COORDINATOR_PAGE}, owner="coordinator", kwargs=in_tenant),
    "accounts:invite": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=in_tenant,
        data=lambda target: {"email": "posted@example.org", "role": "participant"},
        owner_post_changes=True,
    ),
    "accounts:invite_csv": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=in_tenant,
        data=csv_upload,
        owner_post_changes=True,
    ),
    "accounts:invitation_resend": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {"org_slug": target.org.slug, "pk": target.invitation.pk},
        owner_post_changes=True,
    ),
    "accounts:invitation_revoke": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {"org_slug": target.org.slug, "pk": target.invitation.pk},
        owner_post_changes=True,
    ),
    # === programs: setup (program pages, events, resources, form builder) === begin
    # Members reach a program's pages; only coordinators set it up. The owner is the
    # coordinator, so the stranger (a participant) exercises the participant pages.
    "programs:list": Row(checks={"GET": MEMBER_PAGE}, owner="coordinator", kwargs=in_tenant),
    "programs:create": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=in_tenant,
        data=lambda target: {
            "name": "Posted program",
            "format": "reciprocal",
            "term_start": "2030-01-07",
            "term_end": "2030-06-28",
            "cadence_days": "14",
            "session_minutes": "90",
            "min_minutes_each": "45",
            "circle_size": "5",
            "different_group": "on",
            "seniority_rule": "similar",
            "weight_traits": "5",
            "weight_goals": "5",
            "weight_roles": "3",
            "weight_preferences": "2",
            "weight_seniority": "2",
        },
        owner_post_changes=True,
    ),
    "programs:detail": Row(
        checks={"GET": MEMBER_PAGE},
        owner="coordinator",
        kwargs=lambda target: {"org_slug": target.org.slug, "pk": target.program.pk},
    ),
    "programs:edit": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {"org_slug": target.org.slug, "pk": target.program.pk},
        data=lambda target: {
            "name": "Renamed program",
            "format": "reciprocal",
            "term_start": "2030-01-07",
            "term_end": "2030-06-28",
            "cadence_days": "30",
            "session_minutes": "60",
            "min_minutes_each": "0",
            "circle_size": "5",
            "seniority_rule": "different",
            "weight_traits": "10",
            "weight_goals": "5",
            "weight_roles": "0",
            "weight_preferences": "2",
            "weight_seniority": "2",
        },
        owner_post_changes=True,
    ),
    "programs:copy": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {"org_slug": target.org.slug, "pk": target.program.pk},
        data=lambda target: {
            "name": "Next term",
            "term_start": "2031-01-06",
            "term_end": "2031-06-27",
        },
        owner_post_changes=True,
    ),
    "programs:status": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {"org_slug": target.org.slug, "pk": target.program.pk},
        data=lambda target: {"status": "matching"},  # the target program is open
        owner_post_changes=True,
    ),
    "programs:event_create": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {"org_slug": target.org.slug, "pk": target.program.pk},
        data=lambda target: {
            "kind": "debrief",
            "title": "Debrief",
            "starts_at": "2030-06-20T16:00",
            "duration_minutes": "60",
        },
        owner_post_changes=True,
    ),
    "programs:event_edit": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {
            "org_slug": target.org.slug,
            "pk": target.program.pk,
            "event_pk": target.event.pk,
        },
        data=lambda target: {
            "kind": "kickoff",
            "title": "Kick-off, moved",
            "starts_at": "2030-01-10T09:30",
            "duration_minutes": "90",
            "location": "Room 101",
        },
        owner_post_changes=True,
    ),
    "programs:event_delete": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {
            "org_slug": target.org.slug,
            "pk": target.program.pk,
            "event_pk": target.event.pk,
        },
        owner_post_changes=True,
    ),
    "programs:resource_create": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {"org_slug": target.org.slug, "pk": target.program.pk},
        data=lambda target: {"kind": "guide", "title": "Posted guide", "body": "Listen first."},
        owner_post_changes=True,
    ),
    "programs:resource": Row(
        checks={"GET": MEMBER_PAGE},
        owner="coordinator",
        kwargs=lambda target: {
            "org_slug": target.org.slug,
            "pk": target.program.pk,
            "resource_pk": target.resource.pk,
        },
    ),
    "programs:resource_file": Row(
        checks={"GET": MEMBER_PAGE},
        owner="coordinator",
        kwargs=lambda target: {
            "org_slug": target.org.slug,
            "pk": target.program.pk,
            "resource_pk": target.resource.pk,
        },
    ),
    "programs:resource_edit": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {
            "org_slug": target.org.slug,
            "pk": target.program.pk,
            "resource_pk": target.resource.pk,
        },
        data=lambda target: {"kind": "handout", "title": "Renamed guide", "body": "Listen."},
        owner_post_changes=True,
    ),
    "programs:resource_delete": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {
            "org_slug": target.org.slug,
            "pk": target.program.pk,
            "resource_pk": target.resource.pk,
        },
        owner_post_changes=True,
    ),
    "programs:form": Row(
        checks={"GET": COORDINATOR_PAGE},
        owner="coordinator",
        kwargs=lambda target: {"org_slug": target.org.slug, "pk": target.program.pk},
    ),
    "programs:question_create": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {"org_slug": target.org.slug, "pk": target.program.pk},
        data=lambda target: {"kind": "text", "label": "Anything else we should know?"},
        owner_post_changes=True,
    ),
    "programs:question_edit": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {
            "org_slug": target.org.slug,
            "pk": target.program.pk,
            "question_pk": target.question.pk,
        },
        data=lambda target: {"label": "What would you like to work on?", "required": "on"},
        owner_post_changes=True,
    ),
    "programs:question_delete": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {
            "org_slug": target.org.slug,
            "pk": target.program.pk,
            "question_pk": target.question.pk,
        },
        owner_post_changes=True,
    ),
    "programs:question_move": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {
            "org_slug": target.org.slug,
            "pk": target.program.pk,
            "question_pk": target.question.pk,
        },
        # A second question below the target's, so that moving it down changes the order
        # (made after the URL's question; `scope` doubles as a decorator).
        data=lambda target: (
            scope(organization=target.org)(QuestionFactory)(
                program=target.program, label="Second question"
            )
            and {"direction": "down"}
        ),
        owner_post_changes=True,
    ),
    # === programs: setup === end
    # === programs: applications and pairing === begin
    "programs:join": Row(
        checks={
            # Visitors and signed-in non-members get the page; members go on to the form.
            "GET": Expect(
                anonymous=200, other_coordinator=200, other_participant=200, stranger=302, owner=302
            )
        },
        owner="participant",
        kwargs=lambda target: {"token": target.open_link_program.open_link_token},
        rationale="A program's open application link: public on purpose, the token is the key.",
    ),
    "programs:apply": Row(
        checks={
            "GET": MEMBER_PAGE,
            # The required question is left empty: every member gets the form back (400),
            # nobody else reaches it. Submitting for real is in tests/programs.
            "POST": MEMBER_PAGE._replace(stranger=400, owner=400),
        },
        owner="participant",
        kwargs=lambda target: (target.question, program_kwargs(target))[1],
    ),
    "programs:withdraw": Row(
        checks={"POST": MEMBER_PAGE._replace(stranger=404, owner=302)},
        owner="participant",
        kwargs=lambda target: (target.participant_application, program_kwargs(target))[1],
        owner_post_changes=True,
    ),
    "programs:applications": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=program_kwargs,
        data=lambda target: {
            "decision": "decline",
            "application": [target.participant_application.pk],
        },
        owner_post_changes=True,
    ),
    "programs:application": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {
            **program_kwargs(target),
            "application_pk": target.participant_application.pk,
        },
        data=lambda target: {"decision": "waitlist"},
        owner_post_changes=True,
    ),
    "programs:applications_import": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=program_kwargs,
        data=lambda target: {
            "file": SimpleUploadedFile(
                "applications.csv",
                f'email,"{target.question.label}"\n{target.actors["stranger"].email},Listening\n'.encode(),
            )
        },
        owner_post_changes=True,
    ),
    "programs:applications_export": Row(
        checks={"GET": COORDINATOR_PAGE}, owner="coordinator", kwargs=program_kwargs
    ),
    "programs:pairing": Row(
        checks={"GET": COORDINATOR_PAGE}, owner="coordinator", kwargs=program_kwargs
    ),
    "programs:pairing_run": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=program_kwargs,
        owner_post_changes=True,
    ),
    "programs:pairing_progress": Row(
        checks={"GET": COORDINATOR_PAGE},
        owner="coordinator",
        kwargs=lambda target: {**program_kwargs(target), "run_pk": target.run.pk},
    ),
    "programs:pairing_edit": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=program_kwargs,
        data=lambda target: {"action": f"lock:{target.proposed_match.pk}"},
        owner_post_changes=True,
    ),
    "programs:pairing_exclude": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=program_kwargs,
        data=lambda target: {
            "slot": [
                f"p:{target.participant_application.pk}",
                f"p:{target.application_of(target.actors['stranger']).pk}",
            ]
        },
        owner_post_changes=True,
    ),
    "programs:pairing_publish": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: (target.proposed_match, program_kwargs(target))[1],
        owner_post_changes=True,
    ),
    "programs:matches": Row(
        checks={"GET": COORDINATOR_PAGE}, owner="coordinator", kwargs=program_kwargs
    ),
    "programs:match_end": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {**program_kwargs(target), "match_pk": target.active_match.pk},
        data=lambda target: {"reason": "Written notice from a partner"},
        owner_post_changes=True,
    ),
    # === programs: applications and pairing === end
    # === agreements: the template (coordinators) === begin
    "agreements:template": Row(
        checks={"GET": COORDINATOR_PAGE},
        owner="coordinator",
        kwargs=lambda target: (target.program_template, program_kwargs(target))[1],
    ),
    "agreements:template_settings": Row(
        checks={"POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: (target.program_template, program_kwargs(target))[1],
        data=lambda target: {"title": "Our pact", "introduction": "", "coordinator_sees_pdf": "on"},
        owner_post_changes=True,
    ),
    "agreements:template_starter": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: (target.program_template, program_kwargs(target))[1],
        data=lambda target: {"starter": "one_way", "replace": "on"},
        owner_post_changes=True,
    ),
    "agreements:template_preview": Row(
        checks={"GET": COORDINATOR_PAGE},
        owner="coordinator",
        kwargs=lambda target: (target.program_template, program_kwargs(target))[1],
    ),
    "agreements:item_create": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: (target.program_template, program_kwargs(target))[1],
        data=lambda target: {"kind": "clause", "title": "Posted clause", "body": "We agree."},
        owner_post_changes=True,
    ),
    "agreements:item_edit": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {
            **program_kwargs(target),
            "item_pk": target.template_item("Confidentiality").pk,
        },
        data=lambda target: {"title": "Confidentiality, edited", "body": "Nothing leaves."},
        owner_post_changes=True,
    ),
    "agreements:item_delete": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {
            **program_kwargs(target),
            "item_pk": target.template_item("Our social contract").pk,
        },
        owner_post_changes=True,
    ),
    "agreements:item_move": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: {
            **program_kwargs(target),
            "item_pk": target.template_item("Confidentiality").pk,
        },
        data=lambda target: {"direction": "down"},
        owner_post_changes=True,
    ),
    "agreements:start": Row(
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        # The active pair of two other people has no agreement yet.
        kwargs=lambda target: (
            target.program_template,
            target.active_match,
            program_kwargs(target),
        )[2],
        owner_post_changes=True,
    ),
    "agreements:upgrade": Row(
        # Nothing to move here (the one agreement is on the current version): the answer
        # says so; moving itself is tested in tests/agreements/test_builder.py.
        checks={"GET": COORDINATOR_ACTION_GET, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=lambda target: (target.participant_agreement, program_kwargs(target))[1],
    ),
    "agreements:status_list": Row(
        checks={"GET": COORDINATOR_PAGE},
        owner="coordinator",
        kwargs=lambda target: (target.participant_agreement, program_kwargs(target))[1],
    ),
    # === agreements: the template (coordinators) === end
    # === agreements: the parties' pages === begin
    # Only the parties reach an agreement; the stranger is in another pair or none.
    "agreements:detail": Row(
        checks={"GET": PARTY_PAGE},
        owner="participant",
        kwargs=lambda target: agreement_kwargs(target.participant_agreement),
    ),
    "agreements:field_save": Row(
        checks={"POST": PARTY_PAGE._replace(owner=302)},
        owner="participant",
        kwargs=lambda target: {
            **agreement_kwargs(target.participant_agreement),
            "item_pk": target.agreement_item("Where we meet").pk,
        },
        data=lambda target: {"value": "Zoom", "revision": "1"},
        owner_post_changes=True,
    ),
    "agreements:history": Row(
        checks={"GET": PARTY_PAGE},
        owner="participant",
        kwargs=lambda target: agreement_kwargs(target.participant_agreement),
    ),
    "agreements:sign": Row(
        checks={"GET": PARTY_PAGE, "POST": PARTY_PAGE._replace(owner=302)},
        owner="participant",
        kwargs=lambda target: agreement_kwargs(target.participant_agreement),
        data=lambda target: {
            "typed_name": "Pat Participant",
            "consent": "on",
            "intent": "on",
            "sha256": target.agreement_sha(),
        },
        owner_post_changes=True,
    ),
    "agreements:amend": Row(
        checks={"POST": PARTY_PAGE._replace(owner=302)},
        owner="participant",
        kwargs=lambda target: agreement_kwargs(target.signed_agreement),
        owner_post_changes=True,
    ),
    "agreements:withdraw": Row(
        # The participant's agreement is no amendment: the owner is told so (302, no change).
        checks={"POST": PARTY_PAGE._replace(owner=302)},
        owner="participant",
        kwargs=lambda target: agreement_kwargs(target.participant_agreement),
    ),
    "agreements:pdf": Row(
        checks={"GET": PARTY_PAGE},
        owner="participant",
        kwargs=lambda target: agreement_kwargs(target.signed_agreement),
    ),
    # === agreements: the parties' pages === end
    "agreements:verify": Row(
        checks={
            "GET": Expect(
                anonymous=200, other_coordinator=200, other_participant=200, stranger=200, owner=200
            ),
            # No file: everyone gets the form back with the message, nobody learns anything.
            "POST": Expect(
                anonymous=400, other_coordinator=400, other_participant=400, stranger=400, owner=400
            ),
        },
        owner="participant",
        rationale="Public on purpose: anyone holding a PDF may check it; answers are minimal.",
    ),
    r"^media/(?P<path>.*)$": Row(
        checks={
            "GET": Expect(
                anonymous=404,
                other_coordinator=404,
                other_participant=404,
                stranger=404,
                owner=404,
            )
        },
        owner="participant",
        path=lambda target: "/media/logos/no-such-file.png",
        debug_only=True,
        rationale="Development file server (static() mounts it only with DEBUG on).",
    ),
}

# The sessions app's rows live beside this file, one module per area
# (tests/isolation_rows/); they build their objects through `Target.memo`.
from .isolation_rows import ROWS as AREA_ROWS  # noqa: E402

assert not set(AREA_ROWS) & set(TABLE), "A URL has two rows"
TABLE.update(AREA_ROWS)


# --- Completeness of the table ---------------------------------------------------------


def prefix_rule_for(pattern):
    return next((rule for rule in PREFIX_RULES if rule.covers(pattern)), None)


def test_every_url_pattern_has_a_row():
    missing = [p for p in PATTERNS if p.key not in TABLE and prefix_rule_for(p) is None]
    assert not missing, (
        "These URL patterns have no row in the isolation matrix (tests/test_isolation.py, "
        "TABLE). Add a row saying what anonymous, another tenant's coordinator and "
        "participant, a same-tenant stranger and the owner must get:\n"
        + "\n".join(f"  {p.key!r}  (route {p.route!r}, view {p.view})" for p in missing)
    )


def test_every_row_names_an_existing_pattern():
    present = {p.key for p in PATTERNS}
    stale = [key for key, row in TABLE.items() if key not in present and not row.debug_only]
    assert not stale, (
        "The isolation matrix has rows for URL patterns that no longer exist; remove them "
        "or rename them to the pattern's new name:\n" + "\n".join(f"  {k!r}" for k in stale)
    )


def test_every_prefix_rule_still_covers_something():
    for rule in PREFIX_RULES:
        assert any(rule.covers(p) for p in PATTERNS), f"No pattern left under {rule.prefix!r}"


def test_table_keys_are_unambiguous_and_tenant_patterns_are_named():
    keys = [p.key for p in PATTERNS if prefix_rule_for(p) is None]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, f"Give these patterns distinct names: {duplicates}"
    unnamed = [p.route for p in PATTERNS if is_tenant(p) and not p.name]
    assert not unnamed, f"Tenant URL patterns must be named (app:name): {unnamed}"


def test_global_rows_say_why_they_are_global():
    unexplained = [
        p.key
        for p in PATTERNS
        if not is_tenant(p) and p.key in TABLE and not TABLE[p.key].rationale
    ]
    assert not unexplained, f"Say in `rationale` why these are not tenant-scoped: {unexplained}"


def test_table_says_404_for_other_tenants_on_every_tenant_url():
    wrong = [
        f"{p.key} {method}"
        for p in PATTERNS
        if is_tenant(p) and p.key in TABLE
        for method, expect in TABLE[p.key].checks.items()
        if (expect.other_coordinator, expect.other_participant) != (404, 404)
    ]
    assert not wrong, f"Another tenant must get 404 (never 403) on tenant URLs: {wrong}"


# --- Running the matrix ----------------------------------------------------------------


@pytest.fixture
def target(org, settings, tmp_path, actors):
    settings.MEDIA_ROOT = tmp_path
    return Target(org, actors)


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker):
    """The two organisations and five actors, made once for the ~1,800 cases of this module
    instead of once per case (a quarter of its time); cases get fresh copies."""

    def make():
        with scopes_disabled():
            return {name: (type(obj), obj.pk) for name, obj in world_make().items()}

    yield from rows_for_the_module(django_db_blocker, make)


def _fresh(world, name):
    model, pk = world[name]
    with scopes_disabled():
        return model.objects.get(pk=pk)


@pytest.fixture
def org(db, _world):
    return _fresh(_world, "org")


@pytest.fixture
def other_org(db, _world):
    return _fresh(_world, "other_org")


@pytest.fixture
def actors(db, _world):
    """Every actor exists in every case, whoever sends the request."""
    return {name: _fresh(_world, name) for name in CONFTEST_ACTORS}


def user_for(actor, owner_role, actors):
    if actor == "anonymous":
        return None
    return actors[owner_role if actor == "owner" else actor]


def url_for(key, row, target):
    if row.path is not None:
        return row.path(target)
    return reverse(key, kwargs=row.kwargs(target))


SNAPSHOT_MODELS = (
    *apps.get_app_config("sso").get_models(),
    *apps.get_app_config("coaching_sessions").get_models(),
    *apps.get_app_config("notifications").get_models(),
    *apps.get_app_config("surveys").get_models(),
    *apps.get_app_config("scim").get_models(),
    program_models.Program,
    program_models.ProgramEvent,
    program_models.Resource,
    program_models.Question,
    program_models.Application,
    program_models.MatchingRun,
    program_models.Match,
    program_models.MatchMember,
    program_models.PairingExclusion,
    agreement_models.AgreementTemplate,
    agreement_models.AgreementItem,
    agreement_models.Agreement,
    agreement_models.AgreementValue,
    agreement_models.Signature,
    agreement_models.AgreementEvent,
)


def _snapshot_queries():
    """One plain SELECT per table, built once: the ORM's queryset building and row
    conversion for ~40 tables, twice a case, were two thirds of the matrix's time (the
    same rows and columns as `.values()`, compared as the database returns them)."""
    from django.db import connection

    quote = connection.ops.quote_name

    def select(model, columns=None):
        meta = model._meta
        if columns is None:
            columns = [field.column for field in meta.concrete_fields]
        else:
            columns = [
                (meta.pk if name == "pk" else meta.get_field(name)).column for name in columns
            ]
        listed = ", ".join(quote(column) for column in columns)
        # Names from the models' metadata, quoted; no input reaches this.
        return f"SELECT {listed} FROM {quote(meta.db_table)} ORDER BY {quote(meta.pk.column)}"  # noqa: S608

    return [
        select(Invitation, ("pk", "organization", "email", "nonce", "expires_at", "revoked_at")),
        select(Membership, ("pk", "organization", "user", "role", "handles_concerns")),
        *(select(model) for model in SNAPSHOT_MODELS),
    ]


SNAPSHOT_QUERIES = _snapshot_queries()


def data_snapshot():
    """Everything the views under test could write, across all tenants (every row, no
    tenant scope)."""
    from django.db import connection

    with connection.cursor() as cursor:
        rows = []
        for sql in SNAPSHOT_QUERIES:
            cursor.execute(sql)
            rows.append(cursor.fetchall())
        return rows


def send(client, method, url, data=None):
    response = client.post(url, data or {}) if method == "POST" else client.get(url)
    if response.streaming:
        # Reading to the end closes the file (the logo) the way the test client expects;
        # response.close() here would also close the test's database connection.
        b"".join(response.streaming_content)
    return response


def assert_answer(response, expected, what):
    location = response.get("Location", "")
    got = f"{response.status_code}" + (f" -> {location}" if location else "")
    if expected is LOGIN:
        login_url = reverse("account_login")
        assert response.status_code == 302 and location.startswith(login_url), (
            f"{what}: expected a redirect to {login_url}, got {got}"
        )
    else:
        assert response.status_code == expected, f"{what}: expected {expected}, got {got}"


def is_success(expected):
    return expected is not LOGIN and expected < 400


def matrix_cases():
    present = {p.key for p in PATTERNS}
    for key, row in TABLE.items():
        if key not in present:  # a stale row: test_every_row_names_an_existing_pattern says so
            continue
        for method in row.checks:
            for actor in ACTORS:
                label = f"owner={row.owner}" if actor == "owner" else actor
                yield pytest.param(key, method, actor, id=f"{key} {method} {label}")


@pytest.mark.parametrize(("key", "method", "actor"), list(matrix_cases()))
def test_matrix(key, method, actor, client, actors, target):
    row = TABLE[key]
    expected = getattr(row.checks[method], actor)
    url = url_for(key, row, target)
    user = user_for(actor, row.owner, actors)
    if user is not None:
        client.force_login(user)
    data = row.data(target) if row.data and method == "POST" else None
    before = data_snapshot()

    response = send(client, method, url, data)

    assert_answer(response, expected, f"{actor} {method} {url}")
    after = data_snapshot()
    if actor == "owner" and method == "POST" and row.owner_post_changes:
        assert after != before, f"The owner's POST to {url} changed nothing; is the row right?"
    elif not (actor == "owner" and is_success(expected)):
        assert after == before, f"{actor} {method} {url} must not change data"


def prefix_rule_cases():
    for rule in PREFIX_RULES:
        for actor in ACTORS:
            label = "owner=coordinator" if actor == "owner" else actor
            yield pytest.param(rule, actor, id=f"{rule.prefix}* GET {label}")


@pytest.mark.parametrize(("rule", "actor"), list(prefix_rule_cases()))
def test_prefix_rule_sample(rule, actor, client, actors):
    user = user_for(actor, "coordinator", actors)
    if user is not None:
        client.force_login(user)
    response = send(client, "GET", rule.sample_path)
    assert_answer(response, getattr(rule.sample, actor), f"{actor} GET {rule.sample_path}")
    if rule.prefix == "admin/":
        assert response["Location"].startswith("/admin/login/")


# --- Blanket: another tenant gets 404 on every tenant URL ------------------------------

TENANT_PATTERNS = [p for p in PATTERNS if is_tenant(p)]


def generic_kwargs(pattern, target):
    """Values for a tenant route that has no row yet: the tenant check comes first anyway."""
    fillers = {"int": 1, "uuid": "00000000-0000-0000-0000-000000000000"}
    kwargs = {}
    for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", pattern.route):
        kwargs[name] = target.org.slug if name == "org_slug" else fillers.get(converter, "x")
    return kwargs


def tenant_url(pattern, target, org_slug=None):
    row = TABLE.get(pattern.key)
    kwargs = row.kwargs(target) if row else generic_kwargs(pattern, target)
    if org_slug is not None:
        kwargs["org_slug"] = org_slug
    return reverse(pattern.name, kwargs=kwargs)


def blanket_cases():
    for pattern in TENANT_PATTERNS:
        for method in ("GET", "POST"):
            for actor in ("other_coordinator", "other_participant"):
                yield pytest.param(pattern, method, actor, id=f"{pattern.key} {method} {actor}")


@pytest.mark.parametrize(("pattern", "method", "actor"), list(blanket_cases()))
def test_other_tenant_gets_404_on_every_tenant_url(pattern, method, actor, client, actors, target):
    url = tenant_url(pattern, target)
    row = TABLE.get(pattern.key)
    data = row.data(target) if row and row.data and method == "POST" else None
    client.force_login(actors[actor])
    before = data_snapshot()

    response = send(client, method, url, data)

    assert_answer(response, 404, f"{actor} {method} {url}")
    assert target.org.name.encode() not in response.content, "The 404 names the organisation"
    assert data_snapshot() == before, f"{actor} {method} {url} must not change data"


@pytest.mark.parametrize("pattern", TENANT_PATTERNS, ids=[p.key for p in TENANT_PATTERNS])
def test_unknown_organisation_answers_like_a_foreign_one(pattern, client, actors, target):
    url = tenant_url(pattern, target, org_slug="no-such-org")
    assert_answer(send(client, "GET", url), LOGIN, f"anonymous GET {url}")
    client.force_login(actors["coordinator"])
    assert_answer(send(client, "GET", url), 404, f"coordinator GET {url}")


def has_object(pattern):
    return bool(set(re.findall(r"<(?:\w+:)?(\w+)>", pattern.route)) - {"org_slug"})


def foreign_object_cases():
    for pattern in TENANT_PATTERNS:
        row = TABLE.get(pattern.key)
        if row is None or not has_object(pattern):
            continue
        for method, expect in row.checks.items():
            # 405 comes before any lookup, so it says nothing about the object.
            if expect.owner != 405:
                yield pytest.param(pattern, method, id=f"{pattern.key} {method}")


@pytest.mark.parametrize(("pattern", "method"), list(foreign_object_cases()))
def test_other_tenant_object_through_own_tenant_url_is_404(
    pattern, method, client, actors, target, other_org
):
    """Another tenant's coordinator puts our object's id into their own tenant's URL."""
    url = tenant_url(pattern, target, org_slug=other_org.slug)
    row = TABLE[pattern.key]
    data = row.data(target) if row.data and method == "POST" else None
    client.force_login(actors["other_coordinator"])
    before = data_snapshot()

    response = send(client, method, url, data)

    assert_answer(response, 404, f"other_coordinator {method} {url}")
    assert data_snapshot() == before, f"{method} {url} must not change data"
