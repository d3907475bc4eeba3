"""Every path to someone else's private writing, tried by everyone, finds nothing.

One scenario, with a unique marker string in each piece of writing:

- In program P1 (reciprocal, running), A (the `participant` fixture) and B are an active
  pair; C and D are another pair. A logs a held session with shared notes and a private
  note, writes a self-reflection and gives B feedback with a comment; B writes a private
  note of their own. A proposes a session with a note (B accepts), prepares it, keeps a
  plan with a goal, writes a progress report whose "what should change" is shared with
  the program team and whose goal progress is not, raises a concern and pauses the
  pair with a reason. C and D log a session with shared notes.
- In program P2, A and E are a pair; A opts out with a notice not shared with the team.
- In another organisation, X and Y are a pair and X keeps a private note.
- Around them: the coordinator (who does not handle concerns), a coordinator who handles
  concerns (in no pair), the other organisation's coordinator, an operator (staff,
  superuser) in the Django admin, and anonymous.

Each marker has the set of people who may read it (`READERS`). For every actor the test
walks every URL pattern of the root resolver under the tenant prefix (every sessions URL
by GET, plain and over HTMX, and by an empty POST; every other app's URL by GET), with
every combination of the scenario's ids for its arguments (pairs, sessions, programs,
goals, steps, concerns, opt-outs, people, calendar tokens), through its own organisation
and, for the other tenant, ours; list pages again with `?q=` searches; the data export
(POST, unzipped); every calendar feed; and, for the operator, every admin changelist
(with a search), change, history and delete page of every registered model and object.
URLs come from the resolver, so a new URL is walked without anyone adding it here.

It asserts that no actor meets a marker they may not read, that calendars never carry a
marker, that every email goes only to people who may read what it says (and that the
concern's text is in none), and, so that the walk proves something, that each reader
does meet the markers they may read somewhere on the way.
"""

import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from agreements.services.create import agreement_create
from peercoach.tenancy.models import Membership
from peercoach.tenancy.urls import TENANT
from programs.models import Match, Program
from sessions.models import Concern, OptOut, Session
from sessions.services.concerns import concern_raise
from sessions.services.endings import opt_out_give, pause_create
from sessions.services.goals import goal_create, goal_step_add, goal_update_add, plan_ensure
from sessions.services.log import (
    feedback_give,
    preparation_save,
    private_note_save,
    reflection_save,
    session_log,
)
from sessions.services.reports import GoalAnswer, report_submit
from sessions.services.schedule import calendar_feed_ensure, session_accept, session_propose
from tests.agreements.conftest import template_make
from tests.factories import (
    MembershipFactory,
    ProgramFactory,
    UserFactory,
    match_make,
    totp_activate,
)
from tests.sessions.conftest import person
from tests.test_isolation import iter_patterns

pytestmark = pytest.mark.django_db

# --- The markers and who may read each --------------------------------------------------

NOTE = "mkNOTEzebra4711"  # A's private note on the held session
B_NOTE = "mkBNOTEyak3310"  # B's private note on the same session
REFLECTION = "mkREFLECTIONokapi2209"  # A's self-reflection
COMMENT = "mkCOMMENTnarwhal5150"  # A's feedback comment for B, their coach
SHARED = "mkSHAREDheron8086"  # the held session's shared notes
PROPOSAL = "mkPROPOSALlynx6021"  # the note with A's proposal (to B)
PREP = "mkPREPibis7140"  # A's preparation of the scheduled session
GOAL = "mkGOALtapir9032"  # A's goal title (the partner reads the plan)
GOAL_UPDATE = "mkUPDATEgecko1190"  # an update on A's goal
CHANGE = "mkCHANGEwalrus2288"  # report: "what should change", shared with the team
PROGRESS = "mkPROGRESSmarmot4471"  # report: progress on the goal, not shared
CONCERN = "mkCONCERNbison6650"  # A's concern
PAUSE = "mkPAUSEcrane3395"  # the reason A gave for pausing (shared with the pair)
NOTICE = "mkNOTICEotter8127"  # A's opt-out notice to E, not shared with the team
CD_SHARED = "mkCDSHAREDviper5014"  # C and D's shared session notes
X_NOTE = "mkXNOTEpuffin7763"  # the other tenant's participant's private note

MARKERS = {
    name: value
    for name, value in globals().copy().items()
    if isinstance(value, str) and value.startswith("mk")
}

ACTORS = (
    "A",
    "B",
    "C",
    "E",
    "coordinator",
    "handler",
    "other_coordinator",
    "X",
    "operator",
    "anonymous",
)
COORDINATORS = {"coordinator", "handler"}

READERS = {
    NOTE: {"A"},
    B_NOTE: {"B"},
    REFLECTION: {"A"},
    COMMENT: {"A", "B"},
    SHARED: {"A", "B"},
    PROPOSAL: {"A", "B"},
    PREP: {"A", "B"},
    GOAL: {"A", "B"},
    GOAL_UPDATE: {"A", "B"},
    # Shared with the program team: every coordinator of the organisation reads it.
    CHANGE: {"A", *COORDINATORS},
    PROGRESS: {"A"},
    CONCERN: {"A", "handler"},
    PAUSE: {"A", "B"},
    NOTICE: {"A", "E"},
    CD_SHARED: {"C"},
    X_NOTE: {"X"},
}
assert set(READERS) == set(MARKERS.values())

# What each actor must meet somewhere on the walk (else the walk proves nothing).
MUST_SEE = {
    actor: {marker for marker, readers in READERS.items() if actor in readers} for actor in ACTORS
}
# E reads A's notice in the email only: the app does not show it again.
MUST_SEE["E"] = set()


def markers_in(text):
    return {marker for marker in READERS if marker in text}


# --- The scenario ---------------------------------------------------------------------


@dataclass
class World:
    org: object
    other_org: object
    users: dict  # actor -> User (anonymous: None)
    ids: dict  # kind -> [ids] to put in URLs
    feeds: list = field(default_factory=list)  # calendar tokens
    emails: list = field(default_factory=list)  # the messages the scenario sent


def _coordinator(org, email, *, handles=False):
    with scope(organization=org):
        user = UserFactory(email=email)
        MembershipFactory(
            organization=org,
            user=user,
            role=Membership.Role.COORDINATOR,
            handles_concerns=handles,
        )
    totp_activate(user)
    return user


def _pair(program, users):
    match = match_make(program=program, users=users, status=Match.Status.ACTIVE)
    match.published_at = timezone.now() - timedelta(days=3)
    match.save(update_fields=["published_at"])
    match.organization = program.organization
    match.program = program
    return match


def _log(match, user, **fields):
    session = session_log(
        match=match,
        user=user,
        starts_at=timezone.now() - timedelta(days=2),
        duration_minutes=60,
        modality="zoom",
        halves=(30, 30),
        **fields,
    )
    session.organization = match.organization
    session.program = match.program
    session.match = match
    return session


@pytest.fixture
def world(org, other_org, participant, coordinator, other_coordinator, commit, mailoutbox):
    a = participant
    b = person(org, "bea@acme.example.org")
    c = person(org, "cal@acme.example.org")
    d = person(org, "dan@acme.example.org")
    e = person(org, "eli@acme.example.org")
    handler = _coordinator(org, "handler@acme.example.org", handles=True)
    x = person(other_org, "xan@globex.example.org")
    y = person(other_org, "yve@globex.example.org")
    operator = UserFactory(email="operator@peercoach.example.org")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    totp_activate(operator)

    with scope(organization=org):
        p1 = ProgramFactory(
            organization=org,
            name="Acme Peer Term",
            status=Program.Status.RUNNING,
            session_preparation=True,
            first_session_checklist=True,
            term_start=timezone.localdate() - timedelta(days=10),
        )
        p2 = ProgramFactory(
            organization=org, name="Acme Second Term", status=Program.Status.RUNNING
        )
        ab = _pair(p1, [a, b])
        cd = _pair(p1, [c, d])
        ae = _pair(p2, [a, e])
        agreement = agreement_create(match=ab, template=template_make(p1))
    with scope(organization=other_org):
        px = ProgramFactory(organization=other_org, status=Program.Status.RUNNING)
        xy = _pair(px, [x, y])

    with scope(organization=org), commit():
        held = _log(ab, a, shared_notes=SHARED, private_note=NOTE)
        private_note_save(session=held, user=b, body=B_NOTE)
        reflection_save(session=held, author=a, body=REFLECTION)
        feedback_give(session=held, author=a, rating=4, comment=COMMENT)
        ahead = session_propose(
            match=ab,
            by=a,
            starts=[timezone.now() + timedelta(days=4)],
            duration_minutes=60,
            modality="teams",
            time_zone="Europe/Berlin",
            location="https://meet.example.org/ab",
            note=PROPOSAL,
        )[0]
        ahead.organization, ahead.match, ahead.program = org, ab, p1
        session_accept(session=ahead, by=b)
        preparation_save(session=ahead, author=a, purpose=PREP)
        plan = plan_ensure(organization=org, program=p1, user=a)
        goal = goal_create(plan=plan, title=GOAL)
        step = goal_step_add(goal=goal, text="Prepare one point")
        goal_update_add(goal=goal, author=a, body=GOAL_UPDATE)
        goal.refresh_from_db()
        report_submit(
            match=ab,
            author=a,
            period=1,
            working="partly",
            working_shared=False,
            beneficial="yes",
            beneficial_shared=True,
            change=CHANGE,
            change_shared=True,
            rating=3,
            goals=[GoalAnswer(goal=goal, progress=PROGRESS, status="in_progress", shared=False)],
        )
        concern = concern_raise(
            organization=org,
            author=a,
            category=Concern.Category.PROHIBITED_ADVICE,
            body=CONCERN,
            program=p1,
        )
        today = timezone.localdate()
        pause_create(
            match=ab,
            user=a,
            starts_on=today,
            ends_on=today + timedelta(days=10),
            reason=PAUSE,
            today=today,
        )
        cd_held = _log(cd, c, shared_notes=CD_SHARED)
        opt_out_give(
            match=ae,
            user=a,
            reason=OptOut.Reason.MISMATCH,
            notice=NOTICE,
            notice_shared=False,
            wants_new_partner=True,
        )
        opt_out = OptOut.objects.get(match=ae)
        feeds = [calendar_feed_ensure(organization=org, user=user).token for user in (a, b, c, e)]
    with scope(organization=other_org):
        x_held = _log(xy, x, private_note=X_NOTE)
        x_plan = plan_ensure(organization=other_org, program=px, user=x)
        x_goal = goal_create(plan=x_plan, title="Another tenant's goal")
        feeds.append(calendar_feed_ensure(organization=other_org, user=x).token)

    users = {
        "A": a,
        "B": b,
        "C": c,
        "E": e,
        "coordinator": coordinator,
        "handler": handler,
        "other_coordinator": other_coordinator,
        "X": x,
        "operator": operator,
        "anonymous": None,
    }
    ids = {
        "pairs": [ab.pk, cd.pk, ae.pk, xy.pk],
        "sessions": [held.pk, ahead.pk, cd_held.pk, x_held.pk],
        "programs": [p1.pk, p2.pk, px.pk],
        "goals": [goal.pk, x_goal.pk],
        "step_pk": [step.pk],
        "concerns": [concern.pk],
        "opt_out_pk": [opt_out.pk],
        "user_pk": [a.pk, b.pk, c.pk, e.pk, x.pk],
        "match_pk": [ab.pk, cd.pk, ae.pk],
        "agreements": [agreement.pk],
    }
    return World(
        org=org,
        other_org=other_org,
        users=users,
        ids=ids,
        feeds=feeds,
        emails=list(mailoutbox),
    )


# --- Walking every path -----------------------------------------------------------------

ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")
# What a `pk` stands for, by the path segment before it.
PK_KINDS = {
    "pairs": "pairs",
    "sessions": "sessions",
    "programs": "programs",
    "goals": "goals",
    "concerns": "concerns",
    "matches": "match_pk",
    "agreements": "agreements",
}
# Only the sessions app's URLs and the person's own data pages (the export holds the
# sessions' writing) are POSTed to (empty); other apps are read.
POSTED_NAMES = ("sessions:", "accounts:my_data", "accounts:delete_account")


def _candidates(pattern, name, world):
    if name == "pk":
        before = pattern.route.split("<int:pk>")[0].rstrip("/").rsplit("/", 1)[-1]
        return world.ids.get(PK_KINDS.get(before, ""), [1])
    if name == "token":
        return world.feeds
    return world.ids.get(name, [1])


def _slugs(actor, world):
    if actor in ("other_coordinator", "X"):
        return [world.other_org.slug, world.org.slug]
    return [world.org.slug]


def urls_for(pattern, actor, world):
    """Every URL of `pattern` filled with the scenario's values."""
    names = [name for _converter, name in ARGUMENT.findall(pattern.route)]
    choices = []
    for name in names:
        if name == "org_slug":
            choices.append(_slugs(actor, world))
        else:
            choices.append(_candidates(pattern, name, world))
    for values in itertools.product(*choices):
        try:
            yield reverse(pattern.name, kwargs=dict(zip(names, values, strict=True)))
        except NoReverseMatch:
            continue


def walked_patterns():
    """The patterns the walk covers: every named tenant URL, the calendar feed and the
    landing page. Global token links to invitations and program sign-ups hold nothing
    of a pair."""
    for pattern in iter_patterns():
        if pattern.name is None:
            continue
        if pattern.route.startswith(TENANT) or pattern.name in ("sessions:feed", "home"):
            yield pattern


def body_of(response):
    """Everything a response says: its body (a zip unpacked, a stream read), where it
    redirects to, and its file name."""
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    parts = [response.get("Location", ""), response.get("Content-Disposition", "")]
    if response.get("Content-Type", "").startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            parts += [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
    else:
        parts.append(raw.decode("utf-8", "replace"))
    text = "\n".join(parts)
    # iCalendar folds long lines (CRLF + space): unfold before looking.
    return text.replace("\r\n ", "").replace("\n ", "")


@dataclass
class Walk:
    seen: dict = field(default_factory=dict)  # marker -> first URL it was met on
    calendars: list = field(default_factory=list)  # (url, text) of calendar files
    statuses: dict = field(default_factory=dict)  # url -> status
    requests: int = 0

    def record(self, what, response):
        self.requests += 1
        assert response.status_code < 500, f"{what} answered {response.status_code}"
        text = body_of(response)
        self.statuses[what] = response.status_code
        if response.get("Content-Type", "").startswith("text/calendar"):
            self.calendars.append((what, text))
        for marker in markers_in(text):
            self.seen.setdefault(marker, what)


SEARCH_TERMS = ("zebra", "bison", "walrus", "otter")


def walk_app(client, actor, world):
    walk = Walk()
    for pattern in walked_patterns():
        for url in urls_for(pattern, actor, world):
            response = client.get(url)
            walk.record(f"GET {url}", response)
            if len(ARGUMENT.findall(pattern.route)) <= 1:  # a list page: search it
                for term in SEARCH_TERMS:
                    walk.record(f"GET {url}?q={term}", client.get(url, {"q": term}))
            if not pattern.name.startswith(POSTED_NAMES):
                continue
            walk.record(f"GET(htmx) {url}", client.get(url, headers={"HX-Request": "true"}))
            walk.record(f"POST {url}", client.post(url, {}, follow=True))
            walk.record(f"POST(htmx) {url}", client.post(url, {}, headers={"HX-Request": "true"}))
    return walk


def admin_urls():
    """Every admin changelist (plain and searched), and every change, history and delete
    page of every object of every registered model."""
    yield reverse("admin:index")
    for model, _model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        changelist = reverse(f"{prefix}_changelist")
        yield changelist
        for term in SEARCH_TERMS:
            yield f"{changelist}?q={term}"
        with scopes_disabled():
            pks = list(model._default_manager.values_list("pk", flat=True))
        for pk in pks:
            for page in ("change", "history", "delete"):
                yield reverse(f"{prefix}_{page}", args=[pk])


def walk_admin(client, world):
    walk = Walk()
    for url in admin_urls():
        walk.record(f"GET {url}", client.get(url))
    return walk


def client_of(client, actor, world):
    user = world.users[actor]
    if user is not None:
        client.force_login(user)
    return client


# --- The tests ------------------------------------------------------------------------


@pytest.mark.backend_agnostic
@pytest.mark.parametrize("actor", ACTORS)
def test_nobody_reaches_writing_they_may_not_read(actor, world, client):
    client = client_of(client, actor, world)
    walk = walk_app(client, actor, world)
    if actor == "operator":
        admin_walk = walk_admin(client, world)
        assert any(status == 200 for status in admin_walk.statuses.values())
        for marker, where in admin_walk.seen.items():
            walk.seen.setdefault(marker, where)
    leaks = {
        f"{name_of(marker)} at {where}"
        for marker, where in walk.seen.items()
        if actor not in READERS[marker]
    }
    assert not leaks, f"{actor} reads what is not theirs: {sorted(leaks)}"
    missing = {name_of(marker) for marker in MUST_SEE[actor] - set(walk.seen)}
    assert not missing, f"{actor} never met their own (or shared) writing: {sorted(missing)}"
    for where, text in walk.calendars:
        assert not markers_in(text), f"A calendar carries writing: {where}"


def name_of(marker):
    return next(name for name, value in MARKERS.items() if value == marker)


@pytest.mark.backend_agnostic
def test_the_walk_reaches_every_sessions_url_and_the_readers_pages(world, client):
    """The author's walk answers 200 on the pages that show the writing, so a page that
    broke (and showed nothing) would not pass for a private one."""
    client = client_of(client, "A", world)
    walk = walk_app(client, "A", world)
    names = {p.name for p in walked_patterns() if p.name.startswith("sessions:")}
    assert len(names) >= 40
    ok = {url for url, status in walk.statuses.items() if status == 200}
    session = world.ids["sessions"][0]
    for name in ("detail", "reflection", "log_scheduled"):
        path = reverse(f"sessions:{name}", kwargs={"org_slug": "acme", "pk": session})
        assert f"GET {path}" in ok
    ics = reverse("sessions:ics", kwargs={"org_slug": "acme", "pk": session})
    # B's feed: A's own may have been replaced by the walk's POST to calendar_reset.
    feed = reverse("sessions:feed", kwargs={"token": world.feeds[1]})
    assert {f"GET {ics}", f"GET {feed}"} <= ok
    assert {url for url, _text in walk.calendars} >= {f"GET {ics}", f"GET {feed}"}
    export = reverse("accounts:my_data", kwargs={"org_slug": "acme"})
    assert walk.statuses[f"POST {export}"] == 200


def _message_text(message):
    parts = [message.subject, message.body]
    parts += [content for content, _mimetype in getattr(message, "alternatives", [])]
    for attachment in message.attachments:
        content = attachment[1] if isinstance(attachment, tuple) else attachment.get_payload()
        parts.append(content.decode() if isinstance(content, bytes) else str(content))
    return "\n".join(parts).replace("\r\n ", "").replace("\n ", "")


def test_every_email_goes_only_to_people_who_may_read_it(world):
    by_email = {user.email: actor for actor, user in world.users.items() if user is not None}
    assert world.emails, "The scenario sends emails"
    met = {}
    for message in world.emails:
        recipients = [*message.to, *message.cc, *message.bcc]
        text = _message_text(message)
        found = markers_in(text)
        assert CONCERN not in text, f"A concern's text is in an email to {recipients}"
        for address in recipients:
            actor = by_email.get(address, address)
            for marker in found:
                assert actor in READERS[marker], (
                    f"{name_of(marker)} reaches {address} in {message.subject!r}"
                )
                met.setdefault(marker, set()).add(actor)
        for attachment in message.attachments:
            content = attachment[1] if isinstance(attachment, tuple) else attachment.get_payload()
            assert not markers_in(str(content)), f"A calendar file in {message.subject!r}"
    # The emails that carry writing reach the people it is for.
    assert met.get(PROPOSAL) == {"B"}
    assert met.get(PAUSE) == {"B"}
    assert met.get(NOTICE) == {"E"}
    handler_email = world.users["handler"].email
    assert any(handler_email in m.to for m in world.emails), "The handler is told"
    team = [m for m in world.emails if world.users["coordinator"].email in m.to]
    assert team and all(NOTICE not in _message_text(m) for m in team)


def test_exports_hold_the_persons_own_writing_only(world, client):
    """B's export (and C's) is checked marker by marker; the walk POSTs everyone's too."""
    expected = {
        "A": MUST_SEE["A"] - {B_NOTE},
        "B": {B_NOTE, COMMENT, SHARED, PROPOSAL},
        "C": {CD_SHARED},
    }
    for actor, wanted in expected.items():
        client.force_login(world.users[actor])
        response = client.post(reverse("accounts:my_data", kwargs={"org_slug": "acme"}))
        assert response.status_code == 200
        found = markers_in(body_of(response))
        allowed = {marker for marker, readers in READERS.items() if actor in readers}
        assert found <= allowed, f"{actor}'s export holds {sorted(map(name_of, found - allowed))}"
        assert wanted <= found, f"{actor}'s export lacks {sorted(map(name_of, wanted - found))}"


@pytest.mark.backend_agnostic
def test_the_private_writing_is_still_there_after_every_walk(world, client):
    """The other actors' empty POSTs changed none of A's writing (so each walk met it)."""
    client_of(client, "B", world)
    walk_app(client, "B", world)
    client.force_login(world.users["A"])
    held = world.ids["sessions"][0]
    page = client.get(reverse("sessions:detail", kwargs={"org_slug": "acme", "pk": held}))
    text = page.content.decode()
    assert NOTE in text and REFLECTION in text and COMMENT in text
    with scope(organization=world.org):
        assert Session.objects.get(pk=held).shared_notes == SHARED
