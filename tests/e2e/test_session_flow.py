"""A reciprocal pair's term, in Chromium: schedule, meet, give feedback, report, opt out.

Ana and Ben are an active pair of a running reciprocal program (at least 45 minutes of
coaching each way, as the ATC guidelines ask); Lena coordinates it. Each signs in
through the real form in a browser of their own.

1. Ana opens the pair's page from her home and proposes three sessions at once (one date
   repeated weekly, straddling the next daylight-saving change). Ben finds them on his
   pair page, accepts two and suggests another time for the third, which Ana accepts.
   Ana downloads calendar files: they parse with `icalendar` and keep the local time on
   both sides of the clock change.
2. Ana logs a session held yesterday with both halves (50 and 40 minutes: the 40 is
   flagged under the minimum), a topic, shared notes and a private note, which she then
   extends over HTMX on the session page.
3. Ben rates and comments on Ana's coaching; Ana reads it on the session page.
4. Ana adds a goal to her plan and sends a progress report: one answer shared with the
   program team, her goal's progress not.
5. Ana opts out (form, then the confirmation step) with a notice she does not share with
   the team.
6. Ben reads the shared notes, never Ana's private note or her report, and is told the
   pair ended (page and email). Lena sees the report's rating and shared answer, the
   opt-out in her queue with "not shared" for the notice, and gets 404 on the session and
   pair pages. Every page Ben and Lena were shown, and every email, is searched for the
   texts they must not read.

Screenshots go to /tmp/shots/ (always) and, with PEERCOACH_SCREENSHOTS set, to the
shared /tmp/peercoach-shots/ as well.
"""

import os
import re
import zoneinfo
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scope
from icalendar import Calendar
from playwright.sync_api import expect

from peercoach.tenancy.models import Membership
from programs.models import Match, Program
from sessions.models import OptOut, Session
from sessions.models.goals import ProgressReport
from tests.factories import (
    TEST_PASSWORD,
    MembershipFactory,
    ProgramFactory,
    UserFactory,
    match_make,
)

from .conftest import CSP_LISTENER, SHOTS_DIR, sign_in, submit_form_with, totp_code

pytestmark = pytest.mark.e2e

ZONE = zoneinfo.ZoneInfo("Europe/Berlin")  # the organisation's; nobody sets their own
LEAD_SHOTS = Path("/tmp/shots")  # noqa: S108 - where the lead asked for them
PROGRAM_NAME = "Winter Reciprocal Coaching"
TOPICS = ["Delegation", "Giving feedback", "Career direction"]

# Texts each marked so that a page or an email holding them is easy to catch.
PROPOSAL_NOTE = "Three dates now, as the guide suggests; we can move one later."
SHARED_NOTES = "Shared notes: we mapped who could own the release checklist."
PRIVATE = "private-marker-kestrel-4711"
PRIVATE_MORE = "private-marker-heron-0815"
FEEDBACK = "Your questions about my checklist made me see what I can let go."
SHARED_ANSWER = "shared-answer-osprey: a little more time on goals each session."
UNSHARED_PROGRESS = "unshared-progress-plover: I still do most of the release myself."
NOTICE = "notice-marker-curlew: my new role leaves no room for our sessions, sorry."


@pytest.fixture
def setup(org, mfa_coordinator):
    """A running reciprocal program (fortnightly, 90-minute sessions, 45 minutes each way),
    Ana and Ben active partners since 20 days, so that a first progress report is due."""
    lead, secret = mfa_coordinator
    with scope(organization=org):
        ana = UserFactory(email="ana@acme.example.org", first_name="Ana", last_name="Okafor")
        ben = UserFactory(email="ben@acme.example.org", first_name="Ben", last_name="Novak")
        for user in (ana, ben):
            MembershipFactory(organization=org, user=user, role=Membership.Role.PARTICIPANT)
        today = timezone.localdate(timezone=ZONE)
        program = ProgramFactory(
            organization=org,
            name=PROGRAM_NAME,
            status=Program.Status.RUNNING,
            format=Program.Format.RECIPROCAL,
            term_start=today - timedelta(days=40),
            term_end=today + timedelta(days=300),
            cadence_days=Program.Cadence.FORTNIGHTLY,
            session_minutes=90,
            min_minutes_each=45,
            session_topics="\n".join(TOPICS),
        )
        match = match_make(program=program, users=[ana, ben], status=Match.Status.ACTIVE)
        # Published five weeks ago: the first (monthly) progress report is due.
        match.published_at = timezone.now() - timedelta(days=35)
        match.save(update_fields=["published_at"])
    return {
        "program": program,
        "match": match,
        "ana": ana,
        "ben": ben,
        "lead": lead,
        "secret": secret,
    }


# --- Helpers ----------------------------------------------------------------------------


def open_context(browser, browser_log):
    """Another person's browser, recorded like the `page` fixture's."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("console", lambda message: browser_log.console.append(message.text))
    page.on("pageerror", lambda error: browser_log.page_errors.append(str(error)))
    return context, page


def shot(page, name):
    """A full-page screenshot into /tmp/shots/ (and the shared folder when asked for).

    With the caret left alone: hiding it leaves an empty `style` attribute on inputs,
    which an HTMX swap copies and the policy (no style attributes) then reports.
    """
    targets = [LEAD_SHOTS]
    if os.environ.get("PEERCOACH_SCREENSHOTS"):
        targets.append(SHOTS_DIR)
    for folder in targets:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"sessions-{name}.png"), full_page=True, caret="initial")


def field(scope_, label):
    """The control labelled `label` (crispy forms add a "*" to required fields)."""
    return scope_.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def messages(page):
    return page.locator(".pc-messages")


class Viewer:
    """One person's browser, keeping the text of every page they were shown."""

    def __init__(self, page, base):
        self.page = page
        self.base = base
        self.seen = []

    def look(self):
        """Record the page as it stands (call after each step that shows something)."""
        self.seen.append((self.page.url, self.page.content()))

    def goto(self, path):
        response = self.page.goto(f"{self.base}{path}")
        self.look()
        return response

    def assert_never_saw(self, *texts):
        for url, html in self.seen:
            for text in texts:
                assert text not in html, f"{text!r} was shown at {url}"


def next_clock_change(after):
    """The first day after `after` whose noon is at another UTC offset than the day before."""
    day = after
    for _ in range(400):
        following = day + timedelta(days=1)
        if (
            datetime.combine(following, time(12), ZONE).utcoffset()
            != datetime.combine(day, time(12), ZONE).utcoffset()
        ):
            return following
        day = following
    raise AssertionError("no daylight-saving change in Europe/Berlin within 400 days")


def local(moment):
    return timezone.localtime(moment, ZONE)


def ics_start(path):
    """DTSTART of the single event of a downloaded calendar file, and the event."""
    calendar = Calendar.from_ical(Path(path).read_bytes())
    events = calendar.walk("VEVENT")
    assert len(events) == 1, events
    event = events[0]
    return event.decoded("DTSTART"), event


def download(page, link, name):
    with page.expect_download() as info:
        link.click()
    target = LEAD_SHOTS / name
    LEAD_SHOTS.mkdir(parents=True, exist_ok=True)
    info.value.save_as(target)
    return target


def email_texts(message):
    parts = [message.subject, message.body]
    parts += [content for content, _mimetype in getattr(message, "alternatives", [])]
    for attachment in message.attachments:
        content = attachment[1] if isinstance(attachment, tuple) else attachment.get_payload()
        parts.append(content.decode() if isinstance(content, bytes) else str(content))
    return "\n".join(parts)


# --- The test ---------------------------------------------------------------------------


def test_pair_schedules_meets_reports_and_opts_out(
    live_server, browser, page, browser_log, org, setup
):
    ana, ben, lead = setup["ana"], setup["ben"], setup["lead"]
    program, match = setup["program"], setup["match"]
    base = live_server.url
    tenant = f"/o/{org.slug}"
    pair_path = f"{tenant}/pairs/{match.pk}/"
    schedule_path = f"{pair_path}sessions/new/"
    today = timezone.localdate(timezone=ZONE)
    a = Viewer(page, base)

    # --- 1. Ana proposes three sessions from her pair's page. -------------------------
    sign_in(page, base, email=ana.email, password=TEST_PASSWORD)
    expect(page).to_have_url(f"{base}{tenant}/")
    card = page.get_by_test_id("pair-card")
    expect(card.get_by_test_id("home-next-session")).to_contain_text("Nothing scheduled")
    expect(card.get_by_test_id("home-report-due")).to_contain_text("report 1")
    shot(page, "home-ana-start")
    card.get_by_role("link", name="Ben Novak").click()
    expect(page).to_have_url(f"{base}{pair_path}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your pair")
    expect(page.get_by_test_id("no-next-session")).to_be_visible()
    shot(page, "pair-ana-start")

    page.get_by_role("link", name="Schedule sessions").click()
    expect(page).to_have_url(f"{base}{schedule_path}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule sessions")
    # One date, repeated weekly: the three sessions straddle the next clock change.
    change = next_clock_change(today + timedelta(days=11))
    first_day = change - timedelta(days=10)
    page.get_by_label("Date 1", exact=True).fill(first_day.isoformat())
    page.get_by_label("Start time 1", exact=True).fill("10:00")
    field(page, "Sessions from each date").fill("3")
    field(page, "Days between them").fill("7")
    expect(field(page, "Length (minutes)")).to_have_value("90")  # the program's length
    field(page, "How you meet").select_option(label="Zoom")
    field(page, "Place or link").fill("https://zoom.example.org/j/4455667788")
    page.get_by_role("region", name="Propose sessions").get_by_label(
        "A note for the others (optional)"
    ).fill(PROPOSAL_NOTE)
    shot(page, "schedule-form")
    page.get_by_role("button", name="Propose these sessions").click()
    expect(page).to_have_url(f"{base}{schedule_path}#upcoming")
    expect(messages(page)).to_contain_text("You proposed 3 sessions.")

    with scope(organization=org):
        proposed = list(Session.objects.filter(match=match).order_by("starts_at"))
    assert [s.status for s in proposed] == [Session.Status.PROPOSED] * 3
    assert [local(s.starts_at).date() for s in proposed] == [
        first_day + timedelta(days=7 * n) for n in range(3)
    ]
    assert all(local(s.starts_at).time() == time(10) for s in proposed)
    assert {s.proposed_by_id for s in proposed} == {ana.pk}
    assert proposed[0].starts_at.utcoffset() == timedelta(0)  # stored in UTC
    before, after = local(proposed[0].starts_at), local(proposed[2].starts_at)
    assert before.utcoffset() != after.utcoffset(), "the sessions should straddle the change"
    for s in proposed:
        expect(page.get_by_test_id(f"session-{s.pk}")).to_contain_text("Proposed by you")
    first, second, third = proposed
    proposal_mail = [m for m in mail.outbox if m.to == [ben.email]]
    assert len(proposal_mail) == 1, [m.subject for m in mail.outbox]
    calendars = [f for f in proposal_mail[0].attachments if f[0].endswith(".ics")]
    assert len(calendars) == 1, proposal_mail[0].attachments
    invitation = Calendar.from_ical(calendars[0][1])
    assert sorted(e.decoded("DTSTART") for e in invitation.walk("VEVENT")) == [
        s.starts_at for s in proposed
    ]

    # --- Ben answers: accepts two, suggests another time for the third. ---------------
    ben_context, ben_page = open_context(browser, browser_log)
    b = Viewer(ben_page, base)
    sign_in(ben_page, base, email=ben.email, password=TEST_PASSWORD)
    expect(ben_page).to_have_url(f"{base}{tenant}/")
    waiting = ben_page.get_by_test_id("home-waiting")
    expect(waiting).to_contain_text("3 proposals wait for your answer")
    b.look()
    waiting.click()
    expect(ben_page).to_have_url(f"{base}{pair_path}")
    proposals = ben_page.get_by_test_id("waiting-for-me").get_by_role("listitem")
    expect(proposals).to_have_count(3)
    expect(proposals.first).to_contain_text("proposed by Ana Okafor")
    b.look()
    shot(ben_page, "pair-ben-proposals")

    # The first one straight from the pair's page...
    proposals.first.get_by_role("button", name="Accept").click()
    expect(ben_page).to_have_url(f"{base}{schedule_path}#upcoming")
    expect(messages(ben_page)).to_contain_text("Accepted: the session is scheduled.")
    expect(ben_page.get_by_test_id(f"session-{first.pk}")).to_contain_text("Scheduled")
    b.look()
    # ...the second on the schedule page it leads to...
    row = ben_page.get_by_test_id(f"session-{second.pk}")
    expect(row).to_contain_text("Waiting for your answer.")
    row.get_by_role("button", name="Accept").click()
    expect(messages(ben_page)).to_contain_text("Accepted: the session is scheduled.")
    expect(ben_page.get_by_test_id(f"session-{second.pk}")).to_contain_text("Scheduled")
    # ...and for the third, another time, from the pair's page again.
    ben_page.goto(f"{base}{pair_path}")
    expect(proposals).to_have_count(1)
    proposals.first.get_by_role("link", name="Suggest another time").click()
    expect(ben_page).to_have_url(f"{base}{schedule_path}#session-{third.pk}")
    b.look()
    row = ben_page.get_by_test_id(f"session-{third.pk}")
    expect(row).to_contain_text(PROPOSAL_NOTE)
    row.get_by_text("Suggest another time", exact=True).click()  # opens the form
    suggest = row.locator("form").filter(
        has=ben_page.get_by_role("button", name="Suggest this time")
    )
    suggested_day = change + timedelta(days=5)
    suggest.get_by_label("Date", exact=True).fill(suggested_day.isoformat())
    suggest.get_by_label("Start time", exact=True).fill("17:30")
    suggest.get_by_label("A note for the others (optional)").fill("An evening suits me better.")
    shot(ben_page, "schedule-ben-suggest")
    suggest.get_by_role("button", name="Suggest this time").click()
    expect(messages(ben_page)).to_contain_text("You suggested another time.")
    b.look()
    shot(ben_page, "schedule-ben-answered")

    with scope(organization=org):
        statuses = dict(Session.objects.filter(match=match).values_list("pk", "status"))
        fourth = Session.objects.get(match=match, replaces=third)
    assert statuses[first.pk] == statuses[second.pk] == Session.Status.SCHEDULED
    assert statuses[third.pk] == Session.Status.DECLINED
    assert fourth.status == Session.Status.PROPOSED and fourth.proposed_by_id == ben.pk
    assert local(fourth.starts_at) == datetime.combine(suggested_day, time(17, 30), ZONE)

    # Ana accepts Ben's time.
    page.goto(f"{base}{schedule_path}")
    row = page.get_by_test_id(f"session-{fourth.pk}")
    expect(row).to_contain_text("Proposed by Ben Novak")
    row.get_by_role("button", name="Accept").click()
    expect(messages(page)).to_contain_text("Accepted: the session is scheduled.")
    for s in (first, second, fourth):
        expect(page.get_by_test_id(f"session-{s.pk}")).to_contain_text("Scheduled")
    shot(page, "schedule-ana-scheduled")

    # Calendar files: the next session from the pair's page, the last from the schedule.
    page.goto(f"{base}{pair_path}")
    next_session = page.get_by_test_id("next-session")
    expect(next_session).to_contain_text(first_day.strftime("%-d %b %Y"))
    shot(page, "pair-ana-scheduled")
    first_ics = download(
        page, next_session.get_by_role("link", name="Calendar file"), "sessions-first.ics"
    )
    page.goto(f"{base}{schedule_path}")
    last_ics = download(
        page,
        page.get_by_test_id(f"session-{fourth.pk}").get_by_role(
            "link", name="Add to calendar (.ics)"
        ),
        "sessions-last.ics",
    )
    start, event = ics_start(first_ics)
    assert start == datetime.combine(first_day, time(10), ZONE), start
    assert str(event["DTSTART"].params["TZID"]) == "Europe/Berlin"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTEND") - start == timedelta(minutes=90)
    assert "zoom.example.org" in str(event.get("LOCATION", ""))
    late_start, late_event = ics_start(last_ics)
    assert late_start == datetime.combine(suggested_day, time(17, 30), ZONE), late_start
    assert str(late_event["DTSTART"].params["TZID"]) == "Europe/Berlin"
    # Both keep the local time typed, on either side of the clock change: the offsets differ.
    assert start.utcoffset() != late_start.utcoffset()
    assert start.astimezone(ZONE).hour == 10 and late_start.astimezone(ZONE).hour == 17

    # --- 2. Ana logs yesterday's session, both halves. ----------------------------------
    page.goto(f"{base}{pair_path}")
    page.get_by_role("link", name="Log a session").click()
    expect(page).to_have_url(f"{base}{pair_path}sessions/log/")
    form = page.get_by_test_id("log-form")
    held_day = today - timedelta(days=1)
    field(form, "Date").fill(held_day.isoformat())
    field(form, "Start time").fill("16:00")
    field(form, "Length (minutes)").fill("90")
    field(form, "How you met").select_option(label="Microsoft Teams")
    halves = form.get_by_test_id("halves")
    field(halves, "Ana Okafor coached Ben Novak (minutes)").fill("50")
    field(halves, "Ben Novak coached Ana Okafor (minutes)").fill("40")
    form.get_by_label("Delegation", exact=True).check()
    field(form, "Next steps").fill("Ana drafts the hand-over list; Ben tries the two-minute rule.")
    field(form, "Shared notes").fill(SHARED_NOTES)
    field(form, "My private note").fill(PRIVATE)
    shot(page, "log-form")
    form.get_by_role("button", name="Log the session").click()
    expect(messages(page)).to_contain_text("The session is logged.")
    expect(page.get_by_test_id("status")).to_have_text("Held")
    with scope(organization=org):
        held = Session.objects.get(match=match, status=Session.Status.HELD)
    session_path = f"{tenant}/sessions/{held.pk}/"
    expect(page).to_have_url(f"{base}{session_path}")

    parts = page.get_by_test_id("parts").get_by_role("listitem")
    expect(parts).to_have_count(2)
    ana_coached = parts.filter(has_text="Ana Okafor coached Ben Novak for 50 minutes")
    ben_coached = parts.filter(has_text="Ben Novak coached Ana Okafor for 40 minutes")
    expect(ana_coached.get_by_test_id("under-minimum")).to_have_count(0)
    expect(ben_coached.get_by_test_id("under-minimum")).to_have_text("under the minimum")
    expect(page.get_by_text("at least 45 minutes of coaching for each person")).to_be_visible()
    expect(page.get_by_test_id("topics")).to_have_text("Delegation")
    expect(page.get_by_test_id("shared-notes")).to_contain_text(SHARED_NOTES)
    note_form = page.get_by_test_id("private-note-form")
    note_field = field(note_form, "My private note")
    expect(note_field).to_have_value(PRIVATE)

    # The private note grows over HTMX, without a reload.
    page.evaluate("() => { window.__samePage = true; }")
    with page.expect_response(lambda r: r.url.endswith(f"{session_path}note/")) as answer:
        note_field.fill(f"{PRIVATE}\n{PRIVATE_MORE}")
        note_form.get_by_role("button", name="Save my note").click()
    assert answer.value.status == 200
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(page.get_by_test_id("private-note-form").get_by_role("status")).to_have_text("Saved.")
    assert page.evaluate("() => window.__samePage === true"), "saving the note reloaded"
    shot(page, "detail-ana-logged")
    page.reload()
    expect(field(page.get_by_test_id("private-note-form"), "My private note")).to_have_value(
        f"{PRIVATE}\n{PRIVATE_MORE}"
    )

    # --- 3. Ben gives Ana feedback on her coaching. -------------------------------------
    ben_page.goto(f"{base}{pair_path}")
    expect(ben_page.get_by_test_id("cadence")).to_contain_text("1 session held")
    ben_page.get_by_test_id("recent-sessions").get_by_role("link").first.click()
    expect(ben_page).to_have_url(f"{base}{session_path}")
    expect(ben_page.get_by_test_id("shared-notes")).to_contain_text(SHARED_NOTES)
    expect(field(ben_page.get_by_test_id("private-note-form"), "My private note")).to_have_value("")
    b.look()
    ben_page.get_by_role("link", name="Give feedback to Ana Okafor").click()
    expect(ben_page.get_by_role("heading", level=1)).to_have_text("Feedback for Ana Okafor")
    expect(ben_page.get_by_text("Ana Okafor coached you for 50 minutes.")).to_be_visible()
    feedback_form = ben_page.get_by_test_id("feedback-form")
    feedback_form.get_by_role(
        "group", name=re.compile(r"^How helpful was the coaching")
    ).get_by_label("4", exact=True).check()
    field(feedback_form, "What helped most, and what less?").fill(FEEDBACK)
    b.look()
    shot(ben_page, "feedback-ben")
    feedback_form.get_by_role("button", name="Give feedback").click()
    expect(ben_page).to_have_url(f"{base}{session_path}#feedback")
    expect(messages(ben_page)).to_contain_text("your feedback is saved")
    expect(ben_page.get_by_test_id("feedback-given")).to_contain_text("4 out of 5")
    b.look()
    # Editing the shared log never hands Ben Ana's private note.
    ben_page.get_by_role("link", name="Edit the log").click()
    expect(ben_page).to_have_url(f"{base}{session_path}log/")
    expect(field(ben_page, "Shared notes")).to_have_value(SHARED_NOTES)
    expect(field(ben_page, "My private note")).to_have_value("")
    b.look()

    page.reload()
    received = page.get_by_test_id("feedback-received")
    expect(received).to_contain_text("Ben Novak")
    expect(received).to_contain_text("4 out of 5")
    expect(received).to_contain_text(FEEDBACK)
    shot(page, "detail-ana-feedback")

    # --- 4. Ana adds a goal, then sends her first progress report. ----------------------
    page.goto(f"{base}{pair_path}")
    page.get_by_role("link", name="My development plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My development plan")
    page.get_by_role("link", name="Add a goal").click()
    field(page, "Goal").fill("Hand the release checklist over to the team")
    field(page, "Target date").fill((today + timedelta(days=60)).isoformat())
    page.get_by_role("button", name="Add goal").click()
    expect(messages(page)).to_contain_text("Goal added.")
    expect(page.get_by_test_id("goal")).to_contain_text("Hand the release checklist over")

    page.goto(f"{base}{pair_path}")
    expect(page.get_by_test_id("report-due")).to_contain_text("Report 1")
    page.get_by_role("link", name="Write my report").click()
    expect(page).to_have_url(f"{base}{pair_path}report/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Progress report")
    share = "The program team may read this answer"
    working = page.get_by_role("group", name="Is the coaching working for you?", exact=True)
    working.get_by_label("Partly", exact=True).check()
    working.get_by_label(share).check()
    beneficial = page.get_by_role(
        "group", name="Are both of you getting something out of it?", exact=True
    )
    beneficial.get_by_label("Yes", exact=True).check()
    expect(beneficial.get_by_label(share)).not_to_be_checked()
    change_group = page.get_by_role("group", name="What should change?", exact=True)
    field(change_group, "What should change?").fill(SHARED_ANSWER)
    change_group.get_by_label(share).check()
    goal = page.get_by_role("group", name="Hand the release checklist over to the team")
    field(goal, "Progress").fill(UNSHARED_PROGRESS)
    field(goal, "Status").select_option(label="In progress")
    expect(goal.get_by_label(share)).not_to_be_checked()
    page.get_by_role("group", name=re.compile(r"^Overall, how would you rate")).get_by_label(
        "3", exact=True
    ).check()
    shot(page, "report-form")
    page.get_by_role("button", name="Send report").click()
    expect(page).to_have_url(f"{base}{pair_path}reports/")
    expect(messages(page)).to_contain_text("your progress report was sent")
    report_card = page.get_by_test_id("report")
    expect(report_card).to_contain_text(SHARED_ANSWER)
    expect(report_card).to_contain_text(UNSHARED_PROGRESS)
    expect(report_card).to_contain_text("kept private")
    shot(page, "reports-ana")
    with scope(organization=org):
        report = ProgressReport.objects.get(match=match, author=ana)
        assert (report.working_shared, report.beneficial_shared, report.change_shared) == (
            True,
            False,
            True,
        )
        assert report.rating == 3
        assert [(g.progress, g.shared) for g in report.goals.all()] == [(UNSHARED_PROGRESS, False)]

    # --- 5. Ana opts out, keeping her notice from the program team. --------------------
    page.goto(f"{base}{pair_path}")
    page.get_by_role("link", name="End this pair (opt out)").click()
    expect(page).to_have_url(f"{base}{pair_path}opt-out/")
    expect(page.get_by_role("heading", level=1)).to_have_text("End your pair")
    page.get_by_role("group", name=re.compile(r"^Which reason fits best")).get_by_label(
        "I no longer have the time", exact=True
    ).check()
    field(page, "Your written notice to your partner").fill(NOTICE)
    expect(page.get_by_label("Share my notice with the program team")).not_to_be_checked()
    page.get_by_label("I would like a new partner").check()
    shot(page, "opt-out-form")
    page.get_by_role("button", name="Review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Please confirm")
    summary = page.get_by_test_id("opt-out-summary")
    expect(summary).to_contain_text("Your pair with Ben Novak ends today.")
    expect(summary).to_contain_text("They do not see your notice.")
    expect(summary).to_contain_text("You asked for a new partner")
    expect(page.get_by_test_id("opt-out-notice")).to_contain_text(NOTICE)
    shot(page, "opt-out-confirm")
    with scope(organization=org):
        assert Match.objects.get(pk=match.pk).status == Match.Status.ACTIVE  # not yet
    sent_before = len(mail.outbox)
    page.get_by_role("button", name="Yes, opt out").click()
    expect(page).to_have_url(f"{base}{tenant}/")
    expect(messages(page)).to_contain_text("You have opted out and the arrangement has ended.")
    shot(page, "home-ana-after")

    with scope(organization=org):
        ended = Match.objects.get(pk=match.pk)
        opt_out = OptOut.objects.get(match=match)
        after_statuses = dict(Session.objects.filter(match=match).values_list("pk", "status"))
    assert ended.status == Match.Status.ENDED
    assert NOTICE not in ended.end_reason
    assert (opt_out.user_id, opt_out.notice, opt_out.notice_shared) == (ana.pk, NOTICE, False)
    assert opt_out.wants_new_partner
    assert after_statuses[held.pk] == Session.Status.HELD  # nothing deleted
    for s in (first, second, fourth):
        assert after_statuses[s.pk] == Session.Status.CANCELLED

    # The emails: Ben gets the notice; Lena the category and no notice; no private text
    # in any email of the whole story.
    opt_out_mail = mail.outbox[sent_before:]
    to_ben = [m for m in opt_out_mail if m.to == [ben.email]]
    to_lead = [m for m in opt_out_mail if m.to == [lead.email]]
    ben_notice = [m for m in to_ben if NOTICE in m.body]
    assert len(ben_notice) == 1, [m.subject for m in to_ben]
    assert "has opted out, so your pair" in ben_notice[0].body
    assert len(to_lead) == 1, [m.subject for m in opt_out_mail]
    assert "chose not to share their written notice" in to_lead[0].body
    assert "I no longer have the time" in to_lead[0].body
    assert not [m.to for m in opt_out_mail if ana.email in m.to], "Ana needs no email"
    for message in mail.outbox:
        text = email_texts(message)
        for secret in (PRIVATE, PRIVATE_MORE, SHARED_ANSWER, UNSHARED_PROGRESS, FEEDBACK):
            assert secret not in text, f"{secret!r} in the email {message.subject!r}"
    assert NOTICE not in email_texts(to_lead[0])

    # --- 6. What each of them sees now. -------------------------------------------------
    # Ben: the pair has ended; the shared log stays; nothing of Ana's private writing.
    # (His home no longer lists the ended pair and nothing links to it: he uses its
    # address, as from a bookmark. Reported as a gap.)
    b.goto(f"{tenant}/")
    shot(ben_page, "home-ben-ended")
    ben_page.goto(f"{base}{pair_path}")
    expect(ben_page.get_by_test_id("pair-ended")).to_contain_text("This pair or circle ended on")
    expect(ben_page.get_by_role("link", name="Schedule sessions")).to_have_count(0)
    expect(ben_page.get_by_role("link", name="End this pair (opt out)")).to_have_count(0)
    b.look()
    shot(ben_page, "pair-ben-ended")
    b.goto(session_path)
    expect(ben_page.get_by_test_id("shared-notes")).to_contain_text(SHARED_NOTES)
    expect(ben_page.get_by_test_id("private-note-form")).to_have_count(0)
    expect(ben_page.get_by_text("You wrote no private note.")).to_be_visible()
    shot(ben_page, "detail-ben-ended")
    b.goto(f"{pair_path}sessions/")
    b.goto(f"{pair_path}reports/")
    expect(ben_page.get_by_text("No reports yet.")).to_be_visible()
    b.goto(f"{pair_path}plans/{ana.pk}/")
    expect(ben_page.get_by_test_id("goal")).to_contain_text("Hand the release checklist over")
    b.goto(f"{schedule_path}")
    b.assert_never_saw(PRIVATE, PRIVATE_MORE, SHARED_ANSWER, UNSHARED_PROGRESS)

    # Lena, the coordinator: ratings and shared answers only; no way into the pair.
    lead_context, lead_page = open_context(browser, browser_log)
    c = Viewer(lead_page, base)
    sign_in(lead_page, base, email=lead.email, password=TEST_PASSWORD)
    submit_form_with(lead_page, "code", totp_code(setup["secret"]))
    expect(lead_page).to_have_url(f"{base}{tenant}/console/")
    c.look()
    c.goto(f"{tenant}/programs/{program.pk}/")
    lead_page.get_by_role("link", name="Progress reports").click()
    expect(lead_page.get_by_role("heading", level=1)).to_have_text("Progress reports")
    rows = lead_page.get_by_test_id("report-row")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Ana Okafor")
    expect(rows).to_contain_text("3/5")
    expect(rows).to_contain_text(SHARED_ANSWER)
    expect(rows).to_contain_text("Working: Partly")
    expect(rows).to_contain_text("Mutually beneficial: not shared")
    expect(rows).to_contain_text("Progress on 1 goal: not shared")
    c.look()
    shot(lead_page, "coordinator-reports")

    c.goto(f"{tenant}/programs/{program.pk}/")
    lead_page.get_by_role("link", name="Opt-outs and pauses").click()
    expect(lead_page.get_by_role("heading", level=1)).to_have_text("Opt-outs and pauses")
    queue = lead_page.get_by_test_id("opt-out")
    expect(queue).to_have_count(1)
    expect(queue).to_contain_text("Ana Okafor")
    expect(queue).to_contain_text("I no longer have the time")
    expect(queue.get_by_role("cell", name="not shared", exact=True)).to_be_visible()
    expect(queue.get_by_role("link", name="Re-pair")).to_be_visible()
    c.look()
    shot(lead_page, "coordinator-opt-outs")
    c.goto(f"{tenant}/programs/{program.pk}/matches/")
    expect(lead_page.get_by_text("Opt-out (I no longer have the time)")).to_be_visible()

    for path in (
        session_path,
        pair_path,
        f"{pair_path}sessions/",
        f"{pair_path}reports/",
        f"{pair_path}plans/{ana.pk}/",
        f"{tenant}/sessions/{first.pk}/calendar.ics",
    ):
        response = c.goto(path)
        assert response.status == 404, f"{path}: {response.status}"
    c.assert_never_saw(PRIVATE, PRIVATE_MORE, UNSHARED_PROGRESS, NOTICE, FEEDBACK, SHARED_NOTES)

    # Ana still reads her private note, now read-only.
    a.goto(session_path)
    expect(page.get_by_test_id("private-note")).to_contain_text(PRIVATE_MORE)
    expect(page.get_by_test_id("private-note-form")).to_have_count(0)
    shot(page, "detail-ana-ended")
    a.goto(f"{tenant}/")
    shot(page, "home-ana-end")

    lead_context.close()
    ben_context.close()
    assert browser_log.page_errors == [], browser_log.page_errors
    assert browser_log.csp_violations == [], browser_log.csp_violations
