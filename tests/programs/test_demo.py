"""The demo's five seed programs (and the Spanish organisation's): their shapes, the real
matcher's pairs and circles, idempotence."""

from collections import Counter

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from peercoach.demo import MULTI_EMAIL, demo_load
from peercoach.notifications.models import Delivery
from programs.models import (
    Application,
    Match,
    MatchingRun,
    MatchMember,
    Program,
    ProgramEvent,
    Question,
    Resource,
)
from sessions.models import OptOut
from tests.conftest import rows_for_the_module

pytestmark = pytest.mark.django_db

# slug -> format, cadence (days), {event kind: count}
SHAPES = {
    "one-it": ("one_way", 30, {"kickoff": 1}),
    "wit": ("reciprocal", 0, {"group_meeting": 3}),
    "peersphere": ("reciprocal", 0, {"debrief": 1}),
    "atc": ("reciprocal", 14, {"kickoff": 1}),
    "power-circles": ("circle", 30, {"kickoff": 1, "group_meeting": 4, "debrief": 1}),
}


@pytest.fixture
def unscoped():
    with scopes_disabled():
        yield


@pytest.fixture(scope="class")
def _demo(django_db_setup, django_db_blocker):
    """One demo load for the tests of TestTheLoadedDemo, which only read what it made (each
    test's changes, if any, are rolled back as always), rolled back after them: the tests
    of loading itself load their own into an empty database."""

    def load():
        with scopes_disabled():
            demo_load()

    yield from rows_for_the_module(django_db_blocker, load)


@pytest.fixture
def demo(_demo, db):
    """The demo as `demo_load()` leaves it."""


def programs_by_slug():
    return {
        p.organization.slug: p
        for p in Program.objects.select_related("organization").order_by("organization__slug")
    }


def counts():
    models = (Program, ProgramEvent, Resource, Question, Application, MatchingRun, Match)
    with scopes_disabled():
        return {
            **{model.__name__: model.objects.count() for model in models},
            "members": MatchMember.objects.count(),
        }


def test_the_demo_runs_twice_without_duplicates(capsys):
    call_command("demo", "--i-know-this-is-not-production")
    first = counts()
    call_command("demo", "--i-know-this-is-not-production")
    assert counts() == first
    # The five seed programs, then the Spanish organisation's (8 teachers, 4 pairs).
    assert first["Program"] == 6 and first["Match"] == 9 + 9 + 9 + 7 + 4 + 4
    out = capsys.readouterr().out
    assert "One IT Peer Coaching (one-way pairs): 20 applications, 7 pairs, 2 waiting" in out
    assert "Peer Coaching Circles (circles of about 5): 20 applications, 4 circles" in out


class TestTheLoadedDemo:
    """What one demo load makes (loaded once for the class)."""

    def test_each_seed_program_has_its_shape(self, demo, unscoped):
        programs = programs_by_slug()
        assert set(programs) == set(SHAPES) | {"tres-rios"}
        for slug, (format, cadence, events) in SHAPES.items():
            program = programs[slug]
            assert (program.format, program.cadence_days) == (format, cadence), slug
            assert program.status == Program.Status.RUNNING
            assert program.term_start < timezone.localdate() < program.term_end
            assert Counter(program.events.values_list("kind", flat=True)) == events, slug
            assert program.resources.count() >= 2, slug
            kinds = Counter(program.questions.values_list("kind", flat=True))
            assert kinds["group"] == kinds["role_level"] == kinds["goals"] == 1, slug
            assert kinds["trait"] >= 3, slug
            assert kinds["preferred_role"] == (1 if format == "one_way" else 0), slug
            traits = program.questions.filter(kind="trait")
            assert all(t.trait_rule and t.scale_low_label and t.scale_high_label for t in traits)

        atc, circles = programs["atc"], programs["power-circles"]
        assert (atc.min_minutes_each, atc.session_minutes) == (45, 90)
        assert (circles.circle_size, circles.session_minutes) == (5, 150)
        assert programs["wit"].seniority_rule == Program.Seniority.DIFFERENT
        assert programs["wit"].resources.filter(kind="question_bank").exists()
        assert circles.resources.filter(kind="question_bank").exists()
        peersphere = programs["peersphere"]
        assert peersphere.cross_community and peersphere.different_group
        group = peersphere.questions.get(kind="group")
        assert set(group.communities) == set(group.options)
        assert len(set(group.communities.values())) == 2
        modality = peersphere.questions.get(kind="modality")
        assert {"Microsoft Teams", "WeChat", "Zoom", "In person"} <= set(modality.options)
        assert peersphere.events.get().starts_at.date() == peersphere.term_end

        # Events are in the organisations' own time zones, some over, some to come.
        now = timezone.now()
        starts = list(ProgramEvent.objects.values_list("starts_at", flat=True))
        assert any(s < now for s in starts) and any(s > now for s in starts)
        kickoff = programs["one-it"].events.get()
        local = timezone.localtime(kickoff.starts_at, programs["one-it"].organization.tzinfo)
        assert (local.hour, local.minute) == (10, 0)

    def test_published_matches_keep_the_hard_rules(self, demo, unscoped):
        for slug, program in programs_by_slug().items():
            matches = Match.objects.filter(program=program).prefetch_related("members__application")
            # Published, so active; the sessions demo has one pair opt out (sessions/demo.py).
            assert matches, slug
            for match in matches:
                if match.status == Match.Status.ENDED:
                    assert OptOut.objects.filter(match=match).exists(), slug
                else:
                    assert match.status == Match.Status.ACTIVE, slug
            everyone = []
            for match in matches:
                members = list(match.members.order_by("position"))
                applications = [m.application for m in members]
                everyone += [m.user_id for m in members]
                assert all(a.status == Application.Status.ACCEPTED for a in applications)
                if program.format == Program.Format.CIRCLE:
                    assert 3 <= len(members) <= 8
                else:
                    assert len(members) == 2
                if program.different_group:
                    groups = [a.group for a in applications]
                    assert all(groups) and len(set(groups)) == len(groups), (slug, groups)
                if program.cross_community:
                    communities = [a.community for a in applications]
                    assert all(communities) and len(set(communities)) == len(communities)
                if program.format == Program.Format.ONE_WAY:
                    coach, coachee = applications
                    assert [m.role for m in members] == ["coach", "coachee"]
                    assert coach.preferred_role != "coachee" and coachee.preferred_role != "coach"
                assert match.explanation and match.score == sum(
                    part["points"] for part in match.explanation
                )
            assert len(everyone) == len(set(everyone)), f"{slug}: someone is in two matches"

        circles = Match.objects.filter(program__format=Program.Format.CIRCLE)
        assert sorted(c.members.count() for c in circles) == [5, 5, 5, 5]

    def test_everyone_gets_a_partner_but_two_one_it_coaches_who_wait_with_a_reason(
        self, demo, unscoped
    ):
        for slug, program in programs_by_slug().items():
            participant01 = f"participant01@{slug}.example.org"
            assert MatchMember.objects.filter(
                program=program, user__email=participant01, match__status=Match.Status.ACTIVE
            ).exists(), slug
            accepted = program.applications.filter(status=Application.Status.ACCEPTED).count()
            # Paired at publication: current members, and those whose pair later ended with
            # the sessions demo's opt-out (they wait to be paired again).
            paired = (
                MatchMember.objects.filter(program=program)
                .exclude(match__status=Match.Status.PROPOSED)
                .count()
            )
            assert accepted - paired == (2 if slug == "one-it" else 0), slug
            run = program.runs.get()
            assert run.status == MatchingRun.Status.DONE and run.pool_size == accepted
            assert len(run.unmatched) == accepted - paired
        one_it = programs_by_slug()["one-it"]
        assert all(row["reason"] for row in one_it.runs.get().unmatched)

        # The person in two organisations has a partner in the one where they take part.
        assert MatchMember.objects.filter(
            program__organization__slug="atc", user__email=MULTI_EMAIL, is_current=True
        ).exists()
        assert not Application.objects.filter(
            user__email=MULTI_EMAIL, program__organization__slug="wit"
        ).exists()
        # The applications pages show every status somewhere.
        assert set(Application.objects.values_list("status", flat=True)) == set(
            Application.Status.values
        )


def test_the_demo_queues_no_email_and_no_task(
    django_capture_on_commit_callbacks, unscoped, monkeypatch
):
    queued = []
    monkeypatch.setattr(
        "celery.app.task.Task.apply_async", lambda task, *a, **kw: queued.append(task.name)
    )
    with django_capture_on_commit_callbacks(execute=True):
        demo_load()
    assert queued == []
    assert mail.outbox == []
    assert not Delivery.objects.exists()  # nothing waits in the outbox either
    # The decisions did go through the service that emails: each one is recorded.
    accepted = Application.objects.filter(status=Application.Status.ACCEPTED)
    assert accepted.count() == 16 + 18 + 18 + 18 + 20 + 8
    assert not accepted.filter(decided_at__isnull=True).exists()
