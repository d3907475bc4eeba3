"""Calendar files and the private feed: local times survive daylight-saving changes
(TZID + VTIMEZONE), a file says nothing private, and the feed holds only the person's own
sessions, in one organisation, behind a token that can be replaced."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_scopes import scope
from icalendar import Calendar

from programs.models import Match, MatchMember
from sessions.models import CalendarFeed, Session
from sessions.services.schedule import session_accept, session_cancel
from tests.factories import MembershipFactory
from tests.sessions.conftest import pair_make, person
from tests.test_query_counts import count_queries, describe

from .test_schedule import events, form_post, in_zone, propose, sessions_of, url

pytestmark = pytest.mark.django_db

NEXT_YEAR = timezone.now().year + 1


def parse(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def only_event(calendar):
    (event,) = events(calendar)
    return event


def calendar_url():
    return reverse("sessions:calendar", kwargs={"org_slug": "acme"})


def feed_of(user, org):
    with scope(organization=org):
        return CalendarFeed.objects.get(organization=org, user=user)


def feed_path(token):
    return reverse("sessions:feed", kwargs={"token": token})


# --- Local time across a daylight-saving change ------------------------------------------


@pytest.mark.parametrize(
    ("zone", "before", "after", "hour"),
    [
        # Europe ends summer time on the last Sunday of October (25-31).
        ("Europe/Berlin", date(NEXT_YEAR, 10, 20), date(NEXT_YEAR, 11, 3), "10:00"),
        # The United States end it on the first Sunday of November (1-7).
        ("America/New_York", date(NEXT_YEAR, 10, 27), date(NEXT_YEAR, 11, 9), "09:00"),
        # ...and start it on the second Sunday of March (8-14).
        ("America/Los_Angeles", date(NEXT_YEAR, 3, 3), date(NEXT_YEAR, 3, 17), "17:30"),
    ],
)
def test_sessions_on_both_sides_of_a_clock_change_keep_their_local_time(
    pair, client_for, commit, mailoutbox, zone, before, after, hour
):
    in_zone(pair.me, zone)
    client = client_for(pair.me)
    with commit():
        response = client.post(
            url("schedule", pair.match.pk), form_post([(before, hour), (after, hour)])
        )
    assert response.status_code == 302
    first, second = sessions_of(pair)
    tz = ZoneInfo(zone)

    for calendar in (
        parse(client.get(url("ics", first.pk))),
        parse(client.get(url("ics", second.pk))),
    ):
        event = only_event(calendar)
        assert event["DTSTART"].params["TZID"] == zone
        (vtimezone,) = calendar.walk("VTIMEZONE")
        assert str(vtimezone["TZID"]) == zone
        # Both kinds of offset are described, so a reader without our zone database
        # still places the events right.
        assert {c.name for c in vtimezone.subcomponents} == {"STANDARD", "DAYLIGHT"}

    starts = []
    for session in (first, second):
        start = only_event(parse(client.get(url("ics", session.pk)))).decoded("DTSTART")
        assert start.tzinfo is not None
        assert start.astimezone(tz).strftime("%H:%M") == hour
        starts.append(start)
    # The same wall-clock time, but one hour apart in UTC.
    offsets = [s.astimezone(tz).utcoffset() for s in starts]
    assert abs(offsets[0] - offsets[1]) == timedelta(hours=1)
    assert first.starts_at.astimezone(tz).strftime("%H:%M") == hour

    # The emailed file says the same, both events in one calendar.
    (message,) = mailoutbox
    (attachment,) = message.attachments
    emailed = Calendar.from_ical(attachment.content)
    assert [e.decoded("DTSTART").astimezone(tz).strftime("%H:%M") for e in events(emailed)] == [
        hour,
        hour,
    ]
    assert [str(t["TZID"]) for t in emailed.walk("VTIMEZONE")] == [zone]


def test_the_vtimezone_alone_places_the_event(pair, client_for):
    """Read the file as a calendar without a zone database would: the offset comes from
    the VTIMEZONE's rules, not from our TZID name."""
    in_zone(pair.me, "Europe/Berlin")
    client = client_for(pair.me)
    client.post(
        url("schedule", pair.match.pk),
        form_post([(date(NEXT_YEAR, 10, 20), "10:00"), (date(NEXT_YEAR, 11, 3), "10:00")]),
    )
    for session, expected in zip(sessions_of(pair), (2, 1), strict=True):
        calendar = parse(client.get(url("ics", session.pk)))
        (vtimezone,) = calendar.walk("VTIMEZONE")
        local = only_event(calendar)["DTSTART"].dt.replace(tzinfo=None)
        transitions = []
        for part in vtimezone.subcomponents:
            starts = [part.decoded("DTSTART")]
            starts += [value.dt for rdate in _rdates(part) for value in rdate.dts]
            transitions += [(start, part) for start in starts]
        # The last change of offset before the event says which offset applies.
        _, applies = max((t for t in transitions if t[0] <= local), key=lambda t: t[0])
        assert applies.decoded("TZOFFSETTO") == timedelta(hours=expected)
        assert local.strftime("%H:%M") == "10:00"


def _rdates(component):
    value = component.get("RDATE")
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# --- What a file says ------------------------------------------------------------------


def test_a_file_names_the_program_the_place_and_the_members_and_nothing_private(pair, client_for):
    (session,) = propose(pair)
    with scope(organization=pair.program.organization):
        Session.objects.filter(pk=session.pk).update(
            note="I am worried about my manager", shared_notes="We talked about the manager"
        )
    calendar = parse(client_for(pair.partner).get(url("ics", session.pk)))
    assert str(calendar["PRODID"]).startswith("-//peercoach")
    assert calendar["METHOD"] == "PUBLISH"
    event = only_event(calendar)
    assert str(event["UID"]) == str(session.uid)
    assert event["SEQUENCE"] == 0
    assert "DTSTAMP" in event and "DTEND" in event
    assert str(event["SUMMARY"]) == f"{pair.program.name} coaching session"
    assert str(event["LOCATION"]) == "Zoom: https://zoom.example.org/j/123"
    assert str(event["STATUS"]) == "TENTATIVE"
    attendees = sorted(str(a) for a in event["ATTENDEE"])
    assert attendees == sorted(f"mailto:{u.email}" for u in pair.people)
    text = client_for(pair.partner).get(url("ics", session.pk)).content.decode()
    assert "manager" not in text
    assert f"/o/acme/pairs/{pair.match.pk}/" in str(event["DESCRIPTION"])


def test_status_follows_the_session(pair):
    (session,) = propose(pair)
    with scope(organization=pair.program.organization):
        session_accept(session=session, by=pair.partner)
    from sessions import ics

    with scope(organization=pair.program.organization):
        session = Session.objects.select_related("program").get(pk=session.pk)
        for status, expected in [
            (Session.Status.SCHEDULED, "CONFIRMED"),
            (Session.Status.HELD, "CONFIRMED"),
            (Session.Status.CANCELLED, "CANCELLED"),
            (Session.Status.PROPOSED, "TENTATIVE"),
        ]:
            session.status = status
            text = ics.sessions_calendar(
                [session], organization=pair.program.organization, attendees={}
            )
            assert str(only_event(Calendar.from_ical(text))["STATUS"]) == expected


# --- The feed ------------------------------------------------------------------------------


def test_the_calendar_page_makes_one_feed_and_shows_its_link(pair, client_for):
    client = client_for(pair.me)
    page = client.get(calendar_url())
    assert page.status_code == 200
    feed = feed_of(pair.me, pair.program.organization)
    assert feed.token in page.content.decode()
    assert "webcal://" in page.content.decode()
    client.get(calendar_url())
    with scope(organization=pair.program.organization):
        assert CalendarFeed.objects.filter(user=pair.me).count() == 1


def test_someone_in_no_pair_gets_no_feed(stranger, client_for, org):
    page = client_for(stranger).get(calendar_url())
    assert page.status_code == 200
    assert "once you are in a pair or circle" in page.content.decode()
    response = client_for(stranger).post(
        reverse("sessions:calendar_reset", kwargs={"org_slug": "acme"})
    )
    assert response.status_code == 302
    with scope(organization=org):
        assert not CalendarFeed.objects.exists()


def test_the_feed_holds_only_the_persons_own_sessions(org, pair, client, client_for):
    mine = propose(pair, count=2)
    past = propose(pair, days=1)[0]
    with scope(organization=org):
        Session.objects.filter(pk=past.pk).update(
            starts_at=timezone.now() - timedelta(days=10), status=Session.Status.HELD
        )
    too_old = propose(pair, days=2)[0]
    with scope(organization=org):
        Session.objects.filter(pk=too_old.pk).update(
            starts_at=timezone.now() - timedelta(days=120), status=Session.Status.HELD
        )
    cancelled = propose(pair, days=4)[0]
    with scope(organization=org):
        session_cancel(session=cancelled, by=pair.me)
    others = pair_make(org, person(org, "other@acme.example.org"))
    (not_mine,) = propose(others)
    client_for(pair.me).get(calendar_url())
    token = feed_of(pair.me, org).token
    client.logout()

    calendar = parse(client.get(feed_path(token)))  # calendar apps do not sign in
    uids = {str(e["UID"]): str(e["STATUS"]) for e in events(calendar)}
    assert uids == {
        str(mine[0].uid): "TENTATIVE",
        str(mine[1].uid): "TENTATIVE",
        str(past.uid): "CONFIRMED",
        str(cancelled.uid): "CANCELLED",
    }
    assert str(not_mine.uid) not in uids and str(too_old.uid) not in uids
    assert calendar.walk("VTIMEZONE")


def test_a_pair_that_ended_shows_its_coming_sessions_as_cancelled(org, pair, client):
    (session,) = propose(pair)
    with scope(organization=org):
        feed = CalendarFeed.objects.create(organization=org, user=pair.me)
        Match.objects.filter(pk=pair.match.pk).update(status=Match.Status.ENDED)
        MatchMember.objects.filter(match=pair.match).update(is_current=False)
    event = only_event(parse(client.get(feed_path(feed.token))))
    assert str(event["UID"]) == str(session.uid)
    assert str(event["STATUS"]) == "CANCELLED"


def test_resetting_the_link_stops_the_old_one_at_once(org, pair, client, client_for):
    propose(pair)
    me = client_for(pair.me)
    me.get(calendar_url())
    old = feed_of(pair.me, org).token
    assert client.get(feed_path(old)).status_code == 200
    response = me.post(reverse("sessions:calendar_reset", kwargs={"org_slug": "acme"}))
    assert response.status_code == 302
    new = feed_of(pair.me, org).token
    assert new != old
    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(new)).status_code == 200


@pytest.mark.parametrize("token", ["garbage", "x" * 65, "%00", "a.b"])
def test_an_unknown_token_is_404(db, client, token):
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_deleted_or_inactive_person_or_one_who_left_the_organisation_has_no_feed(
    org, pair, client
):
    propose(pair)
    with scope(organization=org):
        feed = CalendarFeed.objects.create(organization=org, user=pair.me)
    assert client.get(feed_path(feed.token)).status_code == 200
    user = pair.me
    user.deleted_at = timezone.now()
    user.save(update_fields=["deleted_at"])
    assert client.get(feed_path(feed.token)).status_code == 404
    user.deleted_at = None
    user.is_active = False
    user.save(update_fields=["deleted_at", "is_active"])
    assert client.get(feed_path(feed.token)).status_code == 404
    user.is_active = True
    user.save(update_fields=["is_active"])
    with scope(organization=org):
        from peercoach.tenancy.models import Membership

        Membership.objects.filter(organization=org, user=user).delete()
    assert client.get(feed_path(feed.token)).status_code == 404


def test_a_feed_never_shows_another_organisations_sessions(
    org, other_org, pair, client, client_for
):
    """One person in two organisations has two feeds; each holds its own tenant only."""
    (here,) = propose(pair)
    with scope(organization=other_org):
        MembershipFactory(organization=other_org, user=pair.me)
    there_pair = pair_make(other_org, pair.me)
    (there,) = propose(there_pair)
    me = client_for(pair.me)
    me.get(calendar_url())
    me.get(reverse("sessions:calendar", kwargs={"org_slug": "globex"}))
    acme = feed_of(pair.me, org)
    globex = feed_of(pair.me, other_org)
    assert acme.token != globex.token
    acme_uids = {str(e["UID"]) for e in events(parse(client.get(feed_path(acme.token))))}
    globex_uids = {str(e["UID"]) for e in events(parse(client.get(feed_path(globex.token))))}
    assert acme_uids == {str(here.uid)}
    assert globex_uids == {str(there.uid)}


def test_another_tenants_member_reaches_no_one_elses_feed_page(
    pair, client_for, other_participant, org
):
    client_for(pair.me).get(calendar_url())
    page = client_for(other_participant).get(calendar_url())
    assert page.status_code == 404
    reset = client_for(other_participant).post(
        reverse("sessions:calendar_reset", kwargs={"org_slug": "acme"})
    )
    assert reset.status_code == 404


def test_the_feed_is_rate_limited_per_token(org, pair, client):
    with scope(organization=org):
        feed = CalendarFeed.objects.create(organization=org, user=pair.me)
    statuses = [client.get(feed_path(feed.token)).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429


def test_the_feed_runs_as_many_queries_for_twenty_sessions_as_for_one(org, pair, client, circle):
    with scope(organization=org):
        feed = CalendarFeed.objects.create(organization=org, user=pair.me)
    propose(pair, by=pair.partner)
    small, _ = count_queries(client, feed_path(feed.token))
    propose(pair, count=12, days=20)
    propose(pair, by=pair.partner, count=7, days=21)
    large, response = count_queries(client, feed_path(feed.token))
    assert len(events(Calendar.from_ical(response.content))) == 20
    assert len(small) == len(large), describe(large)


def test_the_feed_is_not_cached_by_anyone_in_between(org, pair, client):
    with scope(organization=org):
        feed = CalendarFeed.objects.create(organization=org, user=pair.me)
    response = client.get(feed_path(feed.token))
    assert "no-store" in response["Cache-Control"]


def test_the_feed_for_the_person_is_there_before_any_session(org, pair, client):
    with scope(organization=org):
        feed = CalendarFeed.objects.create(organization=org, user=pair.me)
    calendar = parse(client.get(feed_path(feed.token)))
    assert events(calendar) == []


# --- Program events (issue 15: timing hidden from participants) ---------------------------


def test_the_feed_holds_the_events_of_the_persons_programs(org, pair, client):
    from tests.factories import ProgramEventFactory, ProgramFactory

    with scope(organization=org):
        kickoff = ProgramEventFactory(
            program=pair.program, title="Kick-off", location="Room 4", duration_minutes=90
        )
        old = ProgramEventFactory(
            program=pair.program, title="Last year", starts_at=timezone.now() - timedelta(days=200)
        )
        elsewhere = ProgramEventFactory(program=ProgramFactory(organization=org), title="Other")
        feed = CalendarFeed.objects.create(organization=org, user=pair.me)
    (session,) = propose(pair)

    calendar = parse(client.get(feed_path(feed.token)))
    by_uid = {str(e["UID"]): e for e in events(calendar)}
    assert set(by_uid) == {str(session.uid), f"event-{kickoff.pk}-{org.pk}@peercoach"}
    event = by_uid[f"event-{kickoff.pk}-{org.pk}@peercoach"]
    assert str(event["SUMMARY"]) == f"{pair.program.name}: Kick-off"
    assert str(event["LOCATION"]) == "Room 4"
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=90)
    assert f"/o/acme/programs/{pair.program.pk}/" in str(event["URL"])
    assert old.pk != elsewhere.pk  # neither is in the feed (too old; not their program)


def test_an_event_has_its_own_calendar_file_linked_from_the_pages(org, pair, client_for):
    from tests.factories import ProgramEventFactory

    with scope(organization=org):
        event = ProgramEventFactory(program=pair.program, title="Group meeting")
    link = reverse(
        "sessions:event_ics",
        kwargs={"org_slug": org.slug, "pk": pair.program.pk, "event_pk": event.pk},
    )
    client = client_for(pair.me)
    response = client.get(link)
    (vevent,) = events(parse(response))
    assert str(vevent["SUMMARY"]) == f"{pair.program.name}: Group meeting"
    assert 'filename="program-event-' in response["Content-Disposition"]
    home = client.get(reverse("portal:home", kwargs={"org_slug": org.slug})).content.decode()
    assert f'href="{link}"' in home
    program_page = client.get(
        reverse("programs:detail", kwargs={"org_slug": org.slug, "pk": pair.program.pk})
    ).content.decode()
    assert f'href="{link}"' in program_page
    # Another program's event id under this program: 404.
    with scope(organization=org):
        other = ProgramEventFactory(title="Elsewhere")
    wrong = reverse(
        "sessions:event_ics",
        kwargs={"org_slug": org.slug, "pk": pair.program.pk, "event_pk": other.pk},
    )
    assert client.get(wrong).status_code == 404


def test_the_feed_speaks_its_owner_language_not_the_calendar_app_one(org, pair, client, client_for):
    """Calendar apps fetch without the person's cookies, in a language of their own: the
    feed's texts are in the person's language (else their organisation's)."""
    propose(pair)
    pair.me.language = "es"
    pair.me.save(update_fields=["language"])
    client_for(pair.me).get(calendar_url())
    token = feed_of(pair.me, org).token
    client.logout()

    calendar = parse(client.get(feed_path(token), HTTP_ACCEPT_LANGUAGE="en"))

    msgid = "%(program)s coaching session"
    with translation.override("es"):
        summary = gettext(msgid)
    assert summary != msgid, "No Spanish for the summary: compile the catalogue"
    (event,) = events(calendar)
    assert str(event["SUMMARY"]) == summary % {"program": pair.program.name}
