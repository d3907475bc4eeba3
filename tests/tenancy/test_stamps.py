"""Version stamps: which writes change an organisation's stamp, and fragments cached on it."""

from datetime import timedelta

import pytest
from django.core.signals import request_started
from django.db import transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from peercoach.audit.models import AuditEvent
from peercoach.tenancy import stamps
from peercoach.tenancy.models import Membership, Organization
from programs.models import Program, ProgramEvent
from tests.factories import ProgramEventFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _after_the_fixtures(org, other_org):
    # The fixtures' writes stamped in this (test) transaction; a request comes next.
    next_request()


def stamp(org):
    return Organization.objects.values_list("content_version", flat=True).get(pk=org.pk)


def next_request():
    """What the start of a request does: a write after it stamps again."""
    request_started.send(sender=None)


def test_a_tenant_row_written_changes_its_organisations_stamp_only(org, other_org):
    before, other = stamp(org), stamp(other_org)
    with scope(organization=org):
        ProgramFactory(organization=org)
    assert stamp(org) != before
    assert stamp(other_org) == other


def test_a_deleted_row_changes_the_stamp(org):
    with scope(organization=org):
        program = ProgramFactory(organization=org)
        next_request()
        before = stamp(org)
        program.delete()
    assert stamp(org) != before


def test_update_bulk_create_and_bulk_update_change_the_stamp(org, other_org):
    with scope(organization=org):
        program = ProgramFactory(organization=org)
        next_request()
        before = stamp(org)
        assert Program.objects.filter(pk=program.pk).update(name="Renamed") == 1
        assert stamp(org) != before

        next_request()
        before = stamp(org)
        ProgramEvent.objects.bulk_create(
            [
                ProgramEventFactory.build(program=program, organization=org),
                ProgramEventFactory.build(program=program, organization=org),
            ]
        )
        assert stamp(org) != before

        next_request()
        before = stamp(org)
        events = list(ProgramEvent.objects.filter(program=program))
        for event in events:
            event.title = "Moved"
        ProgramEvent.objects.bulk_update(events, ["title"])
        assert stamp(org) != before
    other = stamp(other_org)
    with scopes_disabled():
        Program.objects.filter(organization=org).update(name="Again")
    assert stamp(other_org) == other


def test_an_update_that_matches_nothing_leaves_the_stamp(org):
    before = stamp(org)
    with scope(organization=org):
        assert Program.objects.filter(name="nothing").update(name="x") == 0
    assert stamp(org) == before


def test_ignored_models_leave_the_stamp(org, participant):
    before = stamp(org)
    with scope(organization=org):
        AuditEvent.objects.create(organization=org, action="settings_changed", actor=participant)
    assert stamp(org) == before


def test_one_update_per_transaction_and_again_after_a_rolled_back_savepoint(
    org, django_assert_num_queries
):
    with scope(organization=org):
        program = ProgramFactory(organization=org)
        next_request()
        with transaction.atomic():
            program.name = "One"
            program.save()
            first = stamp(org)
            with django_assert_num_queries(1):  # the UPDATE of the program only
                program.save()
            assert stamp(org) == first
            try:
                with transaction.atomic():
                    ProgramEventFactory(program=program)
                    raise RuntimeError
            except RuntimeError:
                pass
        # The outer transaction's stamp stands; a rolled-back savepoint's marker went.
        assert stamp(org) == first


def test_saving_an_organisation_never_writes_back_a_stale_stamp(org):
    loaded = Organization.objects.get(pk=org.pk)
    with scope(organization=org):
        ProgramFactory(organization=org)
    newer = stamp(org)
    next_request()
    loaded.name = "Renamed"
    loaded.save()
    assert stamp(org) not in (newer, loaded.content_version)


def test_a_persons_name_changes_their_organisations_stamps_a_sign_in_does_not(
    org, other_org, participant
):
    with scope(organization=other_org):
        Membership.objects.create(organization=other_org, user=participant, role="participant")
    next_request()
    before, other = stamp(org), stamp(other_org)
    participant.last_login = timezone.now()
    participant.save(update_fields=["last_login"])
    assert (stamp(org), stamp(other_org)) == (before, other)
    participant.first_name = "Renamed"
    participant.save()
    assert stamp(org) != before
    assert stamp(other_org) != other


# --- fragments --------------------------------------------------------------------------


class Builder:
    def __init__(self):
        self.calls = 0

    def __call__(self, value="v", until=None):
        def build():
            self.calls += 1
            return stamps.Until(f"{value}{self.calls}", until) if until else f"{value}{self.calls}"

        return build


def fresh(org):
    return Organization.objects.get(pk=org.pk)


def test_a_fragment_is_built_once_per_stamp_person_and_organisation(org, other_org):
    build = Builder()
    alice, bob = UserFactory(), UserFactory()
    org, other_org = fresh(org), fresh(other_org)
    assert stamps.fragment(org, alice, "card", build()) == "v1"
    assert stamps.fragment(org, alice, "card", build()) == "v1"
    assert stamps.fragment(org, bob, "card", build()) == "v2"
    assert stamps.fragment(other_org, alice, "card", build()) == "v3"
    assert stamps.fragment(org, None, "card", build()) == "v4"
    assert stamps.fragment(org, alice, "card", build(), vary=(1,)) == "v5"
    assert stamps.fragment(org, alice, "other", build()) == "v6"
    assert build.calls == 6

    with scope(organization=org):
        ProgramFactory(organization=org)
    next_request()
    assert stamps.fragment(fresh(org), alice, "card", build()) == "v7"
    assert stamps.fragment(fresh(other_org), alice, "card", build()) == "v3"


def test_a_fragment_is_not_cached_in_the_request_that_changed_the_stamp(org):
    build = Builder()
    alice = UserFactory()
    org = fresh(org)
    next_request()
    with scope(organization=org):
        ProgramFactory(organization=org)
    # `org` still carries the stamp from before the write, as request.organization would.
    assert stamps.fragment(org, alice, "card", build()) == "v1"
    assert stamps.fragment(org, alice, "card", build()) == "v2"
    next_request()
    assert stamps.fragment(org, alice, "card", build()) == "v3"
    assert stamps.fragment(org, alice, "card", build()) == "v3"


def test_a_fragment_lasts_until_the_instant_it_gives(org, settings):
    build = Builder()
    alice = UserFactory()
    org = fresh(org)
    soon = timezone.now() + timedelta(milliseconds=1)
    assert stamps.fragment(org, alice, "card", build(until=soon)) == "v1"
    while timezone.now() <= soon:
        pass
    assert stamps.fragment(org, alice, "card", build()) == "v2"
    settings.FRAGMENT_CACHE = False
    assert stamps.fragment(org, alice, "card", build()) == "v3"
    assert stamps.fragment(org, alice, "card", build()) == "v4"
