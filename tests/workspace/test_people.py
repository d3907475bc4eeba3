"""The coordinator's participant list: statuses, search, filters, pages, query count."""

import pytest
from django.urls import reverse
from django_scopes import scope

from peercoach.tenancy.models import Membership
from programs.models import Application, Match, Program
from sessions.models import OptOut
from sessions.services.endings import opt_out_give
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    ProgramFactory,
    UserFactory,
    match_make,
)
from tests.test_query_counts import count_queries, describe
from workspace.selectors.people import Status

pytestmark = pytest.mark.django_db


def people_url(org, **params):
    url = reverse("workspace:people", kwargs={"org_slug": org.slug})
    if params:
        from urllib.parse import urlencode

        url += "?" + urlencode(params)
    return url


def someone(org, first, last, role=Membership.Role.PARTICIPANT):
    with scope(organization=org):
        user = UserFactory(
            email=f"{first.lower()}@people.acme.example.org", first_name=first, last_name=last
        )
        MembershipFactory(organization=org, user=user, role=role)
    return user


class World:
    """Two programs and a person in each state:

    Spring (P1): Ada and Ben paired; Cy applied; Di wait-listed; Ed accepted, no partner;
    Hal declined; Cora, a coordinator, applied. Autumn (P2): Flo opted out of her pair
    with Gus (Gus has no partner now); Ada applied too. Ivy applied nowhere. Coco, a
    coordinator who takes part in nothing, is not a participant.
    """

    def __init__(self, org):
        self.org = org
        names = {
            "ada": ("Ada", "Lovelace"),
            "ben": ("Ben", "Okafor"),
            "cy": ("Cy", "Young"),
            "di": ("Di", "Prince"),
            "ed": ("Ed", "Ward"),
            "flo": ("Flo", "Nightingale"),
            "gus": ("Gus", "Grissom"),
            "hal": ("Hal", "Finney"),
            "ivy": ("Ivy", "Baker"),
        }
        self.people = {key: someone(org, *name) for key, name in names.items()}
        self.people["cora"] = someone(org, "Cora", "Lead", Membership.Role.COORDINATOR)
        self.people["coco"] = someone(org, "Coco", "Admin", Membership.Role.COORDINATOR)
        p = self.people
        with scope(organization=org):
            self.spring = ProgramFactory(
                organization=org, name="Spring Term", status=Program.Status.RUNNING
            )
            self.autumn = ProgramFactory(
                organization=org, name="Autumn Term", status=Program.Status.RUNNING
            )
            for key, status, group, community in [
                ("ada", "accepted", "Finance", "North"),
                ("ben", "accepted", "Library", "South"),
                ("cy", "submitted", "Finance", "North"),
                ("di", "waitlisted", "Estates", "North"),
                ("ed", "accepted", "Estates", "South"),
                ("hal", "declined", "Library", "South"),
                ("cora", "submitted", "Library", "South"),
            ]:
                ApplicationFactory(
                    program=self.spring,
                    user=p[key],
                    status=status,
                    group=group,
                    community=community,
                )
            for key, status in [("flo", "accepted"), ("gus", "accepted"), ("ada", "submitted")]:
                ApplicationFactory(program=self.autumn, user=p[key], status=status, group="IT")
            self.pair = match_make(
                program=self.spring, users=[p["ada"], p["ben"]], status=Match.Status.ACTIVE
            )
            self.ended = match_make(
                program=self.autumn, users=[p["flo"], p["gus"]], status=Match.Status.ACTIVE
            )
            opt_out_give(
                match=self.ended,
                user=p["flo"],
                reason=OptOut.Reason.NO_TIME,
                notice="Sorry, too busy.",
            )

    def names(self, *keys):
        return {self.people[k].display_name for k in keys}


@pytest.fixture
def world(org):
    return World(org)


def listed(client, org, **params):
    response = client.get(people_url(org, **params))
    assert response.status_code == 200
    return response, {row.user.display_name: row for row in response.context["rows"]}


HEADLINE = {
    "ada": Status.PAIRED,
    "ben": Status.PAIRED,
    "cy": Status.APPLIED,
    "di": Status.APPLIED,
    "ed": Status.NO_PARTNER,
    "flo": Status.OPTED_OUT,
    "gus": Status.NO_PARTNER,
    "hal": Status.DECLINED,
    "ivy": Status.INVITED,
    "cora": Status.APPLIED,
}


def test_everyone_taking_part_is_listed_with_their_status(world, org, coordinator, client_for):
    response, rows = listed(client_for(coordinator), org)
    assert {name: row.status for name, row in rows.items()} == {
        world.people[k].display_name: status for k, status in HEADLINE.items()
    }
    text = response.content.decode()
    assert "Coco Admin" not in text
    assert "Cora Lead <span" in text and "(coordinator)" in text
    ada = rows["Ada Lovelace"]
    # Latest term first, then by name (both terms start today here).
    assert [(p.program.name, p.status) for p in ada.programs] == [
        ("Autumn Term", Status.APPLIED),
        ("Spring Term", Status.PAIRED),
    ]
    pair_url = reverse(
        "workspace:pair_activity",
        kwargs={"org_slug": org.slug, "pk": world.spring.pk, "match_pk": world.pair.pk},
    )
    assert f'href="{pair_url}"' in text
    assert "with Ben Okafor" in text
    # Those whose pair ended reach it from their row.
    ended_url = reverse(
        "workspace:pair_activity",
        kwargs={"org_slug": org.slug, "pk": world.autumn.pk, "match_pk": world.ended.pk},
    )
    assert text.count(f'href="{ended_url}" data-testid="past-pair-link"') == 2
    assert rows["Flo Nightingale"].programs[0].past_match_id == world.ended.pk
    assert rows["Ada Lovelace"].programs[1].past_match_id is None
    assert 'data-testid="count-all">10<' in text


ANY_PROGRAM = {
    Status.PAIRED: ("ada", "ben"),
    Status.NO_PARTNER: ("ed", "gus"),
    Status.APPLIED: ("ada", "cy", "di", "cora"),  # Ada applied to Autumn
    Status.OPTED_OUT: ("flo",),
    Status.DECLINED: ("hal",),
    Status.INVITED: ("ivy",),
}
IN_SPRING = {
    Status.PAIRED: ("ada", "ben"),
    Status.NO_PARTNER: ("ed",),
    Status.APPLIED: ("cy", "di", "cora"),
    Status.OPTED_OUT: (),
    Status.DECLINED: ("hal",),
    Status.INVITED: ("flo", "gus", "ivy"),
}
IN_AUTUMN = {
    Status.PAIRED: (),
    Status.NO_PARTNER: ("gus",),
    Status.APPLIED: ("ada",),
    Status.OPTED_OUT: ("flo",),
    Status.DECLINED: (),
    Status.INVITED: ("ben", "cy", "di", "ed", "hal", "ivy", "cora"),
}


@pytest.mark.parametrize("status", Status.values)
def test_the_status_filter_in_any_program(world, org, coordinator, client_for, status):
    response, rows = listed(client_for(coordinator), org, status=status)
    assert set(rows) == world.names(*ANY_PROGRAM[status])
    assert f'data-testid="count-{status}">{len(ANY_PROGRAM[status])}<' in response.content.decode()


@pytest.mark.parametrize("program", ["spring", "autumn"])
@pytest.mark.parametrize("status", Status.values)
def test_the_status_filter_in_one_program(world, org, coordinator, client_for, status, program):
    expected = (IN_SPRING if program == "spring" else IN_AUTUMN)[status]
    chosen = getattr(world, program)
    response, rows = listed(client_for(coordinator), org, program=chosen.pk, status=status)
    assert set(rows) == world.names(*expected)
    # The status the row shows (Python) is the one the filter found (SQL).
    assert {row.status for row in rows.values()} <= {status}
    text = response.content.decode()
    assert f'data-testid="count-{status}">{len(expected)}<' in text
    assert f"Statuses in {chosen.name}." in text


def test_a_program_alone_lists_its_applicants_and_pairs(world, org, coordinator, client_for):
    _response, rows = listed(client_for(coordinator), org, program=world.autumn.pk)
    assert set(rows) == world.names("ada", "flo", "gus")
    assert rows["Ada Lovelace"].status == Status.APPLIED


def test_the_invited_tab_points_to_open_invitations(world, org, coordinator, client_for):
    from tests.factories import InvitationFactory

    with scope(organization=org):
        InvitationFactory(organization=org, email="later@example.org")
    response, _rows = listed(client_for(coordinator), org, status="invited")
    assert "1 more person was invited and has not accepted yet" in response.content.decode()


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ada", ("ada",)),
        ("LOVE", ("ada",)),
        ("ada lovelace", ("ada",)),
        ("gus@people", ("gus",)),
        ("people.acme", ("ada", "ben", "cy", "di", "ed", "flo", "gus", "hal", "ivy", "cora")),
        ("nobody-like-this", ()),
        ("in", ("flo", "di", "hal")),  # Nightingale, Prince, Finney
    ],
)
def test_search_by_name_or_email(world, org, coordinator, client_for, q, expected):
    _response, rows = listed(client_for(coordinator), org, q=q)
    assert set(rows) == world.names(*expected)


@pytest.mark.parametrize(
    ("group", "program", "expected"),
    [
        ("group:Finance", None, ("ada", "cy")),
        ("group:Library", None, ("ben", "hal", "cora")),
        ("community:South", None, ("ben", "ed", "hal", "cora")),
        ("group:IT", None, ("ada", "flo", "gus")),
        ("group:IT", "spring", ()),
        ("community:North", "spring", ("ada", "cy", "di")),
        ("group:Nowhere", None, ()),
        ("bogus", None, ("ada", "ben", "cy", "di", "ed", "flo", "gus", "hal", "ivy", "cora")),
    ],
)
def test_the_group_or_community_filter(
    world, org, coordinator, client_for, group, program, expected
):
    params = {"group": group}
    if program:
        params["program"] = getattr(world, program).pk
    response, rows = listed(client_for(coordinator), org, **params)
    assert set(rows) == world.names(*expected)


def test_the_group_choices_come_from_the_applications(world, org, coordinator, client_for):
    text = client_for(coordinator).get(people_url(org)).content.decode()
    for value in ("group:Finance", "group:Library", "group:Estates", "community:North"):
        assert f'value="{value}"' in text
    text = client_for(coordinator).get(people_url(org, program=world.autumn.pk)).content.decode()
    assert 'value="group:IT"' in text and 'value="group:Finance"' not in text


@pytest.mark.parametrize(
    "params",
    [
        {"program": "abc"},
        {"program": "99999999999999999999999"},
        {"status": "everything"},
        {"page": "last"},
        {"page": "9999"},
        {"q": "%_'\"<script>"},
        {"group": "group:"},
        # PostgreSQL refuses a NUL character in a query parameter.
        {"q": "ada\x00"},
        {"group": "group:Eng\x00"},
    ],
)
def test_junk_parameters_show_the_list(world, org, coordinator, client_for, params):
    response = client_for(coordinator).get(people_url(org, **params))
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("<main")[1].replace(
        "&lt;script&gt;", ""
    )


def test_another_tenants_program_is_not_a_filter(world, org, other_org, coordinator, client_for):
    with scope(organization=other_org):
        foreign = ProgramFactory(organization=other_org, name="Globex Term")
    response, rows = listed(client_for(coordinator), org, program=foreign.pk)
    assert len(rows) == 10
    assert "Globex Term" not in response.content.decode()


def grow_people(org, n, *, program):
    """Participants up to `n`, each applied to `program`, in pairs of two (one opted out
    of an earlier pair), so every column of every row has something to show."""
    with scope(organization=org):
        have = Membership.objects.filter(organization=org, user__email__startswith="grown").count()
        users = []
        for i in range(have, n):
            user = UserFactory(email=f"grown{i:03}@acme.example.org", last_name=f"Zz{i:03}")
            MembershipFactory(organization=org, user=user)
            ApplicationFactory(program=program, user=user, group=f"Group {i % 7}")
            users.append(user)
        for first, second in zip(users[::2], users[1::2], strict=False):
            match_make(program=program, users=[first, second], status=Match.Status.ACTIVE)


def test_pages_of_fifty(org, coordinator, client_for):
    with scope(organization=org):
        program = ProgramFactory(organization=org, status=Program.Status.RUNNING)
    grow_people(org, 120, program=program)
    client = client_for(coordinator)
    response, rows = listed(client, org)
    assert len(rows) == 50
    assert "1 / 3" in response.content.decode()
    _response, rows = listed(client, org, page=3)
    assert len(rows) == 20
    assert "Zz119" in {row.user.last_name for row in rows.values()}
    # The filters carry over to the next page's link.
    response, _rows = listed(client, org, q="grown", status="paired")
    assert "?q=grown&amp;status=paired&amp;page=2" in response.content.decode()


def test_the_list_queries_do_not_grow_with_the_people(org, coordinator, client_for):
    with scope(organization=org):
        program = ProgramFactory(organization=org, status=Program.Status.RUNNING)
    client = client_for(coordinator)
    url = people_url(org)
    grow_people(org, 2, program=program)
    count_queries(client, url)
    small, _ = count_queries(client, url)
    grow_people(org, 50, program=program)
    with scope(organization=org):
        Application.objects.filter(organization=org).update(community="East")
    large, response = count_queries(client, url)
    assert len(response.context["rows"]) == 50
    assert b"with " in response.content
    assert len(large) == len(small), describe(large)
    # session, user, membership, two-factor check, programs, count, page, status counts,
    # groups, applications, pair memberships, opt-outs, partners, switcher
    assert len(large) <= 15, describe(large)


def test_only_coordinators_see_the_list(org, participant, client_for):
    assert client_for(participant).get(people_url(org)).status_code == 403


def test_the_people_pages_link_to_each_other(org, coordinator, client_for):
    client = client_for(coordinator)
    members = client.get(reverse("accounts:people", kwargs={"org_slug": org.slug}))
    assert f'href="{people_url(org)}"' in members.content.decode()
    participants = client.get(people_url(org)).content.decode()
    assert f'href="{reverse("accounts:people", kwargs={"org_slug": org.slug})}"' in participants
