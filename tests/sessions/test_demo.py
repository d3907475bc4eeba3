"""The demo's activity: every program has sessions to look at, some pairs behind."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from programs.models import Match, Program
from sessions.models import Concern, Feedback, Goal, OptOut, ProgressReport, Session, SessionPart

pytestmark = pytest.mark.django_db

MODELS = (Session, SessionPart, Feedback, Goal, ProgressReport, OptOut, Concern)


def counts():
    with scopes_disabled():
        return {model.__name__: model.objects.count() for model in MODELS}


def test_each_demo_program_has_activity_and_a_second_run_adds_nothing(capsys):
    call_command("demo", "--i-know-this-is-not-production")
    first = counts()
    call_command("demo", "--i-know-this-is-not-production")
    assert counts() == first
    assert mail.outbox == []
    assert "logged" in capsys.readouterr().out

    now = timezone.now()
    with scopes_disabled():
        for program in Program.objects.select_related("organization"):
            slug = program.organization.slug
            held = Session.objects.filter(program=program, status=Session.Status.HELD)
            assert held.exists(), slug
            assert all(s.starts_at < now for s in held), slug
            assert Session.objects.filter(
                program=program, status=Session.Status.SCHEDULED, starts_at__gt=now
            ).exists(), slug
            # Some active pairs have not met: the ones behind the agreed cadence.
            active = Match.objects.filter(program=program, status=Match.Status.ACTIVE)
            assert active.exclude(sessions__status=Session.Status.HELD).exists(), slug
            assert Concern.objects.filter(program=program).exists(), slug
        # Reciprocal halves below ATC's 45 minutes are flagged; circles log their slots.
        assert SessionPart.objects.filter(
            session__program__organization__slug="atc", under_minimum=True
        ).exists()
        assert (
            SessionPart.objects.filter(
                session__program__format=Program.Format.CIRCLE, coach__isnull=True
            ).count()
            >= 3
        )
        # One pair opts out in each pair program: four seed programs and the Spanish one.
        assert OptOut.objects.filter(match__status=Match.Status.ENDED).count() == 5


def test_the_demo_shows_a_mix_of_pairs_at_risk_not_every_pair():
    """Issue 15: every active ATC pair showed as "at risk", so the list told nothing."""
    from django_scopes import scope

    from peercoach.tenancy.models import Organization
    from sessions.selectors.risk import pairs_at_risk, watched_pairs

    call_command("demo", "--i-know-this-is-not-production")
    now = timezone.now()
    at_risk = total = 0
    with scopes_disabled():
        organizations = list(Organization.objects.all())
    for organization in organizations:
        with scope(organization=organization):
            pairs = watched_pairs(organization)
            risks = pairs_at_risk(organization=organization, now=now)
        assert len(risks) < len(pairs), organization.slug
        if organization.slug == "atc":  # every two weeks: behind shows soonest there
            assert 0 < len(risks) <= len(pairs) // 2
        at_risk += len(risks)
        total += len(pairs)
    assert 0 < at_risk < total / 3
