"""The coordinators' agreement pages: the template builder, its versions, the starters,
the status list, and the demo's agreements."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from agreements.demo import DEMO_STARTERS, agreements_demo_build
from agreements.models import Agreement, AgreementItem, AgreementTemplate, Signature
from agreements.services import templates as services
from agreements.services.common import Actor
from agreements.services.create import agreement_create
from agreements.services.fill import value_save
from agreements.services.sign import agreement_sign
from agreements.services.templates import PER_PARTY_PURPOSES
from agreements.starters import STARTERS, starter_for_program
from programs.models import Match, Program
from tests.conftest import _member
from tests.factories import MembershipFactory, ProgramFactory, UserFactory, match_make

from .conftest import template_make

pytestmark = pytest.mark.django_db

Kind = AgreementItem.Kind
Purpose = AgreementItem.Purpose


def url(name, program, **kwargs):
    return reverse(
        f"agreements:{name}",
        kwargs={"org_slug": program.organization.slug, "pk": program.pk, **kwargs},
    )


def templates_of(program):
    return list(
        AgreementTemplate.objects.filter(
            organization=program.organization, program=program
        ).order_by("version")
    )


def titles(template):
    return list(
        AgreementItem.objects.filter(organization=template.organization, template=template)
        .order_by("position", "id")
        .values_list("title", flat=True)
    )


def sign(pair, user):
    pair.fill_required()
    return agreement_sign(
        agreement=pair.agreement,
        actor=Actor(user=user, ip="192.0.2.1"),
        typed_name=user.get_full_name(),
        consent=True,
        intent=True,
        seen_sha256=pair.sha(),
    )


@pytest.fixture
def program(org):
    with scope(organization=org):
        return ProgramFactory(organization=org, status=Program.Status.RUNNING)


# --- Versions ----------------------------------------------------------------------------


def test_an_edit_after_a_signature_makes_the_next_version(pair, coordinator, client_for):
    sign(pair, pair.a)
    item = pair.item("Where we meet")
    client = client_for(coordinator)

    page = client.get(url("template", pair.program))
    assert b'data-testid="frozen-warning"' in page.content
    assert "Your next change makes version 2; signed agreements keep version 1" in page.text

    response = client.post(
        url("item_edit", pair.program, item_pk=item.pk),
        {
            "title": "How we meet",
            "choices": "Teams\nZoom\nPhone",
            "required": "on",
            "purpose": "modality",
        },
    )
    assert response.status_code == 302
    v1, v2 = templates_of(pair.program)
    assert (v1.version, v2.version) == (1, 2)
    # The signed agreement keeps version 1, untouched.
    pair.agreement.refresh_from_db()
    assert pair.agreement.template_id == v1.pk
    assert "Where we meet" in titles(v1) and "How we meet" not in titles(v1)
    assert "How we meet" in titles(v2) and "Where we meet" not in titles(v2)
    moved = AgreementItem.objects.get(template=v2, key=item.key)
    assert moved.choices == ["Teams", "Zoom", "Phone"]
    assert Signature.objects.filter(agreement=pair.agreement, voided_at__isnull=True).count() == 1
    # The redirect points at the new version's item, and the page says what happened.
    assert response["Location"].endswith(f"#item-{moved.pk}")
    page = client.get(response["Location"])
    assert "your change made version 2" in page.text


def test_an_edit_without_signatures_changes_the_version_in_place(pair, coordinator, client_for):
    item = pair.item("Where we meet")
    response = client_for(coordinator).post(
        url("item_edit", pair.program, item_pk=item.pk),
        {"title": "How we meet", "choices": "Teams\nZoom", "required": "on", "purpose": "modality"},
    )
    assert response.status_code == 302
    (only,) = templates_of(pair.program)
    assert only.pk == pair.template.pk
    item.refresh_from_db()
    assert item.title == "How we meet" and item.choices == ["Teams", "Zoom"]


def test_an_item_of_a_frozen_version_is_edited_in_the_current_one(pair, coordinator, client_for):
    sign(pair, pair.a)
    old = pair.item("Our social contract")
    client = client_for(coordinator)
    # First edit: version 2. Second edit through the same (version 1) id: still version 2.
    for title in ("Our norms", "Our shared norms"):
        response = client.post(url("item_edit", pair.program, item_pk=old.pk), {"title": title})
        assert response.status_code == 302
    versions = templates_of(pair.program)
    assert [t.version for t in versions] == [1, 2]
    assert "Our shared norms" in titles(versions[1])
    assert "Our social contract" in titles(versions[0])
    # The form behind the old id shows what the current version says.
    form = client.get(url("item_edit", pair.program, item_pk=old.pk))
    assert 'value="Our shared norms"' in form.text


def test_a_signed_template_change_through_every_kind_of_edit_keeps_version_1(
    pair, coordinator, client_for
):
    sign(pair, pair.a)
    client = client_for(coordinator)
    before = titles(pair.template)
    client.post(url("item_move", pair.program, item_pk=pair.item("Name").pk), {"direction": "up"})
    v2 = templates_of(pair.program)[-1]
    client.post(url("item_delete", pair.program, item_pk=pair.item("Confidentiality").pk))
    client.post(
        url("template_settings", pair.program),
        {"title": "Our pact", "introduction": "Hello", "coordinator_sees_pdf": "on"},
    )
    client.post(
        url("item_create", pair.program), {"kind": "clause", "title": "New", "body": "Text"}
    )
    assert titles(pair.template) == before
    assert len(templates_of(pair.program)) == 2  # one new version for the lot
    v2.refresh_from_db()
    assert v2.title == "Our pact" and v2.coordinator_sees_pdf
    assert "Confidentiality" not in titles(v2) and titles(v2)[-1] == "New"
    pair.template.refresh_from_db()
    assert pair.template.title != "Our pact" and not pair.template.coordinator_sees_pdf


# --- Validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "single_choice", "title": "Where", "choices": "Teams\n  \n"}, "at least two"),
        ({"kind": "multiple_choice", "title": "Where", "choices": "Zoom\nzoom"}, "listed twice"),
        ({"kind": "clause", "title": "Rules", "body": "   "}, "Write the clause"),
        ({"kind": "short_text", "title": "   "}, "This field is required"),
        (
            {"kind": "frequency", "title": "Reporting", "purpose": "meeting_frequency"},
            "already used for",
        ),
        (
            {
                "kind": "frequency",
                "title": "Each",
                "purpose": "reporting_frequency",
                "per_party": "on",
            },
            "agreed together",
        ),
        (
            {"kind": "short_text", "title": "Length", "purpose": "meeting_duration"},
            "Select a valid choice",
        ),
    ],
)
def test_bad_items_get_a_message_on_the_page(pair, coordinator, client_for, data, message):
    before = titles(pair.template)
    response = client_for(coordinator).post(url("item_create", pair.program), data)
    assert response.status_code == 200
    assert message in response.text
    assert titles(pair.template) == before


def test_purpose_rules(in_scope, program, coordinator):
    with pytest.raises(ValidationError) as raised:
        services.item_create(
            program=program,
            user=coordinator,
            kind=Kind.SHORT_TEXT,
            title="How often",
            purpose=Purpose.MEETING_FREQUENCY,
        )
    assert "purpose" in raised.value.error_dict
    with pytest.raises(ValidationError) as raised:
        services.item_create(
            program=program,
            user=coordinator,
            kind=Kind.CLAUSE,
            title="Rules",
            body="Be kind",
            per_party=True,
        )
    assert "per_party" in raised.value.error_dict
    # A per-party purpose makes the field per party.
    objective = services.item_create(
        program=program,
        user=coordinator,
        kind=Kind.LONG_TEXT,
        title="My objective",
        purpose=Purpose.PRIMARY_OBJECTIVE,
        per_party=False,
    )
    assert objective.per_party is True
    modality = services.item_create(
        program=program,
        user=coordinator,
        kind=Kind.SINGLE_CHOICE,
        title="How we meet",
        choices=[" Zoom ", "", "In  person"],
        purpose=Purpose.MODALITY,
    )
    assert modality.choices == ["Zoom", "In person"]
    # The same purpose twice is refused, on update too.
    other = services.item_create(
        program=program, user=coordinator, kind=Kind.SHORT_TEXT, title="Where we meet"
    )
    with pytest.raises(ValidationError, match="already used"):
        services.item_update(
            program=program, item=other, user=coordinator, purpose=Purpose.MODALITY
        )
    assert [t.version for t in templates_of(program)] == [1]


def test_per_party_cannot_flip_once_filled(pair, coordinator, in_scope):
    pair.save(pair.a, "Our social contract", value="Be on time")
    item = pair.item("Our social contract")
    with pytest.raises(ValidationError, match="already filled"):
        services.item_update(program=pair.program, item=item, user=coordinator, per_party=True)


def test_settings_errors_show_and_pdf_setting_reaches_open_agreements(
    pair, coordinator, client_for
):
    client = client_for(coordinator)
    response = client.post(
        url("template_settings", pair.program), {"title": " ", "introduction": ""}
    )
    assert response.status_code == 200 and "This field is required" in response.text
    response = client.post(
        url("template_settings", pair.program),
        {"title": "Our pact", "introduction": "Read it together.", "coordinator_sees_pdf": "on"},
    )
    assert response.status_code == 302
    pair.agreement.refresh_from_db()
    assert pair.agreement.coordinator_sees_pdf is True
    assert templates_of(pair.program)[0].title == "Our pact"


# --- Move and delete -------------------------------------------------------------------


def test_move_swaps_neighbours_and_ignores_the_ends(pair, coordinator, client_for):
    client = client_for(coordinator)
    first, second = titles(pair.template)[:2]
    client.post(url("item_move", pair.program, item_pk=pair.item(first).pk), {"direction": "down"})
    assert titles(pair.template)[:2] == [second, first]
    client.post(url("item_move", pair.program, item_pk=pair.item(second).pk), {"direction": "up"})
    assert titles(pair.template)[:2] == [second, first]
    positions = list(
        AgreementItem.objects.filter(template=pair.template)
        .order_by("position")
        .values_list("position", flat=True)
    )
    assert positions == list(range(1, len(positions) + 1))
    response = client.post(
        url("item_move", pair.program, item_pk=pair.item(first).pk), {"direction": "sideways"}
    )
    assert response.status_code == 302
    assert "Move an item up or down" in client.get(response["Location"]).text


def test_delete_removes_the_item(pair, coordinator, client_for):
    item = pair.item("Our social contract")
    response = client_for(coordinator).post(url("item_delete", pair.program, item_pk=item.pk))
    assert response.status_code == 302
    assert "Our social contract" not in titles(pair.template)
    assert not AgreementItem.objects.filter(pk=item.pk).exists()


def test_delete_and_move_are_post_only(pair, coordinator, client_for):
    client = client_for(coordinator)
    item = pair.item("Name")
    assert client.get(url("item_delete", pair.program, item_pk=item.pk)).status_code == 405
    assert client.get(url("item_move", pair.program, item_pk=item.pk)).status_code == 405
    assert AgreementItem.objects.filter(pk=item.pk).exists()


def test_an_item_of_another_program_answers_404(pair, coordinator, client_for, org):
    with scope(organization=org):
        other = ProgramFactory(organization=org)
        foreign = template_make(other).items.first()
    response = client_for(coordinator).post(
        url("item_edit", pair.program, item_pk=foreign.pk), {"title": "Hijack"}
    )
    assert response.status_code == 404


# --- Starters ----------------------------------------------------------------------------

REQUIRED_PURPOSES = {Purpose.MEETING_FREQUENCY, Purpose.MEETING_DURATION, Purpose.PRIMARY_OBJECTIVE}


@pytest.mark.parametrize("key", list(STARTERS))
def test_each_starter_builds(key, in_scope, program, coordinator):
    program.organization.help_email = "team@acme.example.org"
    template = services.template_from_starter(program=program, starter_key=key, user=coordinator)
    items = list(template.items.order_by("position", "id"))
    starter = STARTERS[key]
    assert [i.title for i in items] == [spec["title"] for spec in starter.items]
    assert [i.position for i in items] == list(range(1, len(items) + 1))
    assert template.title == starter.title and template.introduction
    purposes = [i.purpose for i in items if i.purpose]
    assert len(purposes) == len(set(purposes)), "a purpose appears once"
    assert set(purposes) >= REQUIRED_PURPOSES
    for item in items:
        if item.purpose in PER_PARTY_PURPOSES:
            assert item.per_party, item.title
        if item.kind == Kind.CLAUSE:
            assert item.body and not item.per_party and not item.purpose
        if item.has_choices:
            assert len(item.choices) >= 2
        assert "{help}" not in item.body + item.title + item.help_text
    assert Purpose.PARTY_NAME in purposes
    if key in {"one_way", "peersphere"}:
        assert {Purpose.PARTY_EMAIL, Purpose.CONTACT_METHOD, Purpose.MODALITY} <= set(purposes)
    assert key == "circle" or "team@acme.example.org" in " ".join(i.body for i in items)


def test_a_starter_is_built_in_the_chosen_language(in_scope, program, coordinator):
    """Starters are gettext_lazy: the template holds the texts of the language it is built
    in (the builder's choice), {help} filled in in that language, and stays as written
    whatever language reads it afterwards."""
    from ..i18n import translated

    program.organization.help_email = "team@acme.example.org"
    starter = STARTERS["reciprocal"]
    leaving = next(spec for spec in starter.items if "{help}" in spec.get("body", ""))
    spanish = {  # msgid: the English text
        "Reciprocal coaching agreement": "Acuerdo de coaching recíproco",
        str(leaving["title"]): "Si no funciona",
        str(leaving["body"]): "Lo decimos y pedimos a {help} otra pareja.",
        "Video call": "Videollamada",
    }
    with translated("es", spanish):
        template = services.template_from_starter(
            program=program, starter_key="reciprocal", user=coordinator, language="es"
        )
        with translation.override("es"):
            team = translation.gettext("the program team (%(email)s)") % {
                "email": "team@acme.example.org"
            }
    assert template.title == "Acuerdo de coaching recíproco"
    assert template.language == "es"
    item = template.items.get(title="Si no funciona")
    assert item.body == f"Lo decimos y pedimos a {team} otra pareja."
    modes = template.items.get(purpose=Purpose.MODALITY)
    assert "Videollamada" in modes.choices and all(isinstance(c, str) for c in modes.choices)


def test_the_peersphere_starter_covers_its_fifteen_points(in_scope, program, coordinator):
    template = services.template_from_starter(
        program=program, starter_key="peersphere", user=coordinator
    )
    items = list(template.items.order_by("position"))
    text = " | ".join(f"{i.title} {i.help_text} {i.body}".lower() for i in items)
    topics = [
        "confidentiality",
        "how often we meet",
        "how long a meeting lasts",
        "type of meeting",
        "where we meet",
        "cancel",
        "email",
        "how often we review our progress",
        "debrief",
        "primary objective",
        "social contract",
        "opting out",
        "advice",
        "duty to report",
    ]
    for topic in topics:
        assert topic in text, topic
    by_purpose = {i.purpose: i for i in items if i.purpose}
    contact = {
        Purpose.PARTY_NAME,
        Purpose.PARTY_EMAIL,
        Purpose.OFFICE_PHONE,
        Purpose.CELL_PHONE,
        Purpose.CONTACT_METHOD,
        Purpose.BEST_TIME,
    }
    assert contact <= set(by_purpose)
    assert all(by_purpose[p].per_party for p in contact)
    assert by_purpose[Purpose.REPORTING_FREQUENCY].kind == Kind.FREQUENCY
    assert by_purpose[Purpose.MODALITY].choices[:3] == ["Microsoft Teams", "WeChat", "Zoom"]
    assert by_purpose[Purpose.PRIMARY_OBJECTIVE].per_party
    assert next(i for i in items if i.title == "Our social contract").kind == Kind.BULLET_LIST
    advice = next(i for i in items if "advice" in i.title.lower()).body
    for word in ("medical", "mental-health", "legal", "financial", "religious", "marital"):
        assert word in advice


def test_starter_replaces_items_only_when_confirmed(pair, coordinator, client_for):
    client = client_for(coordinator)
    before = titles(pair.template)
    response = client.post(url("template_starter", pair.program), {"starter": "circle"})
    assert response.status_code == 200
    assert "already has 7 items" in response.text
    assert titles(pair.template) == before
    response = client.post(
        url("template_starter", pair.program), {"starter": "circle", "replace": "on"}
    )
    assert response.status_code == 302
    assert titles(pair.template) == [spec["title"] for spec in STARTERS["circle"].items]
    assert len(templates_of(pair.program)) == 1
    response = client.post(url("template_starter", pair.program), {"starter": "nope"})
    assert response.status_code == 200 and "Select a valid choice" in response.text


def test_starter_on_a_signed_template_makes_the_next_version(pair, coordinator, in_scope):
    sign(pair, pair.b)
    before = titles(pair.template)
    template = services.template_from_starter(
        program=pair.program, starter_key="reciprocal", user=coordinator, replace=True
    )
    assert template.version == 2
    assert titles(pair.template) == before
    assert titles(template)[0] == STARTERS["reciprocal"].items[0]["title"]


def test_starter_for_program_follows_the_format(in_scope, org):
    def make(**kwargs):
        return ProgramFactory(organization=org, **kwargs)

    assert starter_for_program(make(format=Program.Format.ONE_WAY)) == "one_way"
    assert starter_for_program(make(format=Program.Format.CIRCLE)) == "circle"
    assert starter_for_program(make(format=Program.Format.RECIPROCAL)) == "reciprocal"
    assert (
        starter_for_program(make(format=Program.Format.RECIPROCAL, cross_community=True))
        == "peersphere"
    )


def test_the_builder_and_preview_show_a_starter(in_scope, program, coordinator, client_for):
    client = client_for(coordinator)
    page = client.get(url("template", program))
    assert page.status_code == 200 and "has no items yet" in page.text
    services.template_from_starter(program=program, starter_key="one_way", user=coordinator)
    page = client.get(url("template", program))
    assert page.text.count('data-testid="item-row"') == len(STARTERS["one_way"].items)
    preview = client.get(url("template_preview", program))
    assert preview.status_code == 200
    assert "<fieldset disabled>" in preview.text
    assert "<li>help the peer work on the behaviours" in preview.text  # a clause's bullet
    assert preview.text.count('data-testid="preview-item"') == len(STARTERS["one_way"].items)


# --- Starting agreements -------------------------------------------------------------------


def pairs(program, n, *, start=0):
    org = program.organization
    users = []
    for i in range(start, start + 2 * n):
        user = UserFactory(email=f"p{i:03}@acme.example.org", first_name=f"P{i}", last_name="X")
        MembershipFactory(organization=org, user=user)
        users.append(user)
    return [
        match_make(program=program, users=users[i : i + 2], status=Match.Status.ACTIVE)
        for i in range(0, len(users), 2)
    ]


def test_start_agreements_for_pairs_published_before_the_template(
    in_scope, program, coordinator, client_for
):
    pairs(program, 3)
    client = client_for(coordinator)
    response = client.post(url("start", program))
    assert "Write the template first" in client.get(response["Location"]).text
    services.template_from_starter(program=program, starter_key="reciprocal", user=coordinator)
    page = client.get(url("template", program))
    assert "Start agreements for the 3 active pairs without one" in page.text
    response = client.post(url("start", program))
    assert Agreement.objects.filter(program=program).count() == 3
    assert "3 agreements were started" in client.get(response["Location"]).text
    client.post(url("start", program))
    assert Agreement.objects.filter(program=program).count() == 3


# --- Who may --------------------------------------------------------------------------------


def test_participants_get_403_and_other_tenants_404(
    pair, participant, other_coordinator, client_for, other_org
):
    item = pair.item("Name")
    get_names = ["template", "template_preview", "status_list"]
    post_names = ["template_settings", "template_starter", "item_create", "start"]
    item_names = ["item_edit", "item_delete", "item_move"]
    client = client_for(participant)
    for name in get_names:
        assert client.get(url(name, pair.program)).status_code == 403, name
    for name in post_names:
        assert client.post(url(name, pair.program), {"starter": "circle"}).status_code == 403, name
    for name in item_names:
        assert client.post(url(name, pair.program, item_pk=item.pk)).status_code == 403, name
    client = client_for(other_coordinator)
    for name in get_names:
        other_url = reverse(
            f"agreements:{name}", kwargs={"org_slug": other_org.slug, "pk": pair.program.pk}
        )
        assert client.get(other_url).status_code == 404, name
    other_url = reverse(
        "agreements:item_delete",
        kwargs={"org_slug": other_org.slug, "pk": pair.program.pk, "item_pk": item.pk},
    )
    assert client.post(other_url).status_code == 404
    assert AgreementItem.objects.filter(pk=item.pk).exists()
    assert len(templates_of(pair.program)) == 1


# --- Status list --------------------------------------------------------------------------


def test_the_status_list_shows_status_never_content(pair, coordinator, client_for):
    secret = "Stop rescuing my team from every incident xq7"
    value_save(
        agreement=pair.agreement,
        item=pair.item("My primary objective"),
        actor=Actor(user=pair.a),
        value=secret,
        seen_revision=0,
    )
    pair.save(pair.b, "Our social contract", value="Cameras on zz9-sentinel")
    client = client_for(coordinator)
    page = client.get(url("status_list", pair.program))
    assert page.status_code == 200
    assert secret not in page.text and "zz9-sentinel" not in page.text
    assert "Pat Lee" in page.text and "Robin Diaz" in page.text
    assert "Being filled in" in page.text and "0 of 2" in page.text

    sign(pair, pair.a)
    sign(pair, pair.b)
    pair.agreement.refresh_from_db()
    assert pair.agreement.status == Agreement.Status.SIGNED
    Agreement.objects.filter(pk=pair.agreement.pk).update(pdf="agreements/x.pdf")
    page = client.get(url("status_list", pair.program))
    assert "Signed by everyone" in page.text and "2 of 2: Pat Lee, Robin Diaz" in page.text
    assert secret not in page.text and "zz9-sentinel" not in page.text
    pdf_url = reverse("agreements:pdf", kwargs={"org_slug": pair.org.slug, "pk": pair.agreement.pk})
    assert pdf_url not in page.text and "only the parties can read it" in page.text
    Agreement.objects.filter(pk=pair.agreement.pk).update(coordinator_sees_pdf=True)
    assert pdf_url in client.get(url("status_list", pair.program)).text


def count_queries(client, page_url):
    from django.db import connection

    with CaptureQueriesContext(connection) as captured:
        response = client.get(page_url)
    assert response.status_code == 200
    return len(captured), response


def test_status_list_queries_do_not_grow(in_scope, program, coordinator, client_for):
    template = template_make(program)

    def grow(n, start):
        for match in pairs(program, n, start=start):
            agreement = agreement_create(match=match, template=template)
            first = match.members.order_by("position").first()
            Signature.objects.create(
                organization=program.organization,
                agreement=agreement,
                signer=first.user,
                typed_name="x",
                consent_text="c",
                intent_text="i",
                content_sha256="0" * 64,
                signed_at=agreement.created_at,
            )

    client = client_for(coordinator)
    page_url = url("status_list", program)
    grow(1, 0)
    count_queries(client, page_url)  # warm-up
    small, _ = count_queries(client, page_url)
    grow(9, 2)
    large, response = count_queries(client, page_url)
    assert response.text.count('data-testid="status-row"') == 10
    # session, user, organisation, membership… then program, pairs, members, agreements,
    # signatures: 10 today.
    assert large == small <= 11


def test_builder_queries_do_not_grow(in_scope, program, coordinator, client_for):
    services.template_from_starter(program=program, starter_key="circle", user=coordinator)
    client = client_for(coordinator)
    pairs(program, 1)
    count_queries(client, url("template", program))
    small, _ = count_queries(client, url("template", program))
    pairs(program, 10, start=2)
    large, response = count_queries(client, url("template", program))
    assert "11 active pairs without one" in response.text
    assert large == small <= 13  # 12 today


# --- Demo ---------------------------------------------------------------------------------


def test_agreements_demo_build_is_idempotent(in_scope, org, coordinator):
    program = ProgramFactory(organization=org, format=Program.Format.ONE_WAY)
    pairs(program, 2)
    first = agreements_demo_build(programs=[program])
    assert first[0].template_created and first[0].agreements_started == 2
    second = agreements_demo_build(programs=[program])
    assert not second[0].template_created and second[0].agreements_started == 0
    assert len(templates_of(program)) == 1
    assert Agreement.objects.filter(program=program).count() == 2
    assert titles(templates_of(program)[0]) == [s["title"] for s in STARTERS["one_way"].items]
    assert not Signature.objects.filter(agreement__program=program).exists()


def test_the_full_demo_gives_every_program_its_starter_once():
    from peercoach.demo import demo_load

    demo_load()
    with scopes_disabled():
        before = (
            AgreementTemplate.objects.count(),
            AgreementItem.objects.count(),
            Agreement.objects.count(),
        )
        demo_load()
        after = (
            AgreementTemplate.objects.count(),
            AgreementItem.objects.count(),
            Agreement.objects.count(),
        )
        assert before == after
        assert AgreementTemplate.objects.aggregate(m=Max("version"))["m"] == 1
        for program in Program.objects.select_related("organization"):
            template = AgreementTemplate.objects.get(program=program)
            starter = STARTERS[DEMO_STARTERS[program.organization.slug]]
            # Built in the organisation's language (Spanish in tres-rios, else English).
            with translation.override(program.organization.default_language or "en"):
                assert template.title == str(starter.title)
            active = Match.objects.filter(program=program, status=Match.Status.ACTIVE)
            assert Agreement.objects.filter(match__in=active).count() == active.count() > 0
        # Only PeerSphere's two showcase agreements are signed: one by both, one by one.
        signatures = Signature.objects.filter(voided_at__isnull=True)
        assert signatures.count() == 3
        assert set(signatures.values_list("organization__slug", flat=True)) == {"peersphere"}
        signed = Agreement.objects.get(status=Agreement.Status.SIGNED)
        assert signed.pdf_sha256 and signed.pdf_sealed


def test_coordinator_program_page_links_to_the_agreement(program, coordinator, client_for):
    page = client_for(coordinator).get(
        reverse("programs:detail", kwargs={"org_slug": program.organization.slug, "pk": program.pk})
    )
    assert url("template", program) in page.text and url("status_list", program) in page.text


def test_a_participant_member_is_refused_even_as_a_party(pair, client_for, org):
    # A party of an agreement is still a participant: the builder is not theirs.
    outsider = _member(org, "participant", "third@acme.example.org")
    for user in (pair.a, outsider):
        assert client_for(user).get(url("status_list", pair.program)).status_code == 403


def test_editing_an_item_the_current_version_removed_says_so(pair, coordinator, client_for):
    sign(pair, pair.a)
    old = pair.item("Our social contract")
    client = client_for(coordinator)
    client.post(url("item_delete", pair.program, item_pk=old.pk))  # version 2, without it
    response = client.post(url("item_edit", pair.program, item_pk=old.pk), {"title": "Back"})
    assert response.status_code == 200
    assert "no longer in the current version" in response.text
    response = client.post(url("item_delete", pair.program, item_pk=old.pk))
    assert "no longer in the current version" in client.get(response["Location"]).text
    assert [t.version for t in templates_of(pair.program)] == [1, 2]


def test_in_place_template_edits_show_in_the_history_of_agreements_being_filled(
    pair, coordinator, client_for
):
    from agreements.services import templates as template_services

    item = pair.item("Confidentiality")
    template_services.item_update(
        program=pair.program, item=item, user=coordinator, title="Confidentiality", body="New."
    )
    template_services.item_move(program=pair.program, item=item, user=coordinator, direction="down")
    template_services.item_move(program=pair.program, item=item, user=coordinator, direction="up")
    template_services.item_move(program=pair.program, item=item, user=coordinator, direction="up")
    events = list(pair.agreement.events.filter(kind="template").values_list("detail", flat=True))
    # The last move changed nothing (already first) and is not recorded.
    assert [e["change"] for e in events] == [
        "Changed “Confidentiality”.",
        "Moved “Confidentiality”.",
        "Moved “Confidentiality”.",
    ]
    page = client_for(pair.a).get(
        reverse("agreements:history", kwargs={"org_slug": pair.org.slug, "pk": pair.agreement.pk})
    )
    assert "Template changed by the program team" in page.text
    assert "Changed “Confidentiality”." in page.text


def test_unsigned_agreements_on_an_older_version_move_to_the_current_one(
    pair, stranger, coordinator, client_for
):
    from django.http import QueryDict

    from agreements import fields as field_kinds
    from agreements.selectors.agreement import canonical_text as sha_of
    from agreements.services import templates as template_services
    from agreements.services.common import Actor
    from agreements.services.create import agreement_create
    from agreements.services.fill import value_save
    from agreements.services.sign import agreement_sign
    from programs.models import Match
    from tests.factories import match_make

    # A second pair signs version 1, which freezes it.
    third = _member(pair.org, "participant", "third@acme.example.org")
    signed_match = match_make(
        program=pair.program, users=[stranger, third], status=Match.Status.ACTIVE
    )
    other = agreement_create(match=signed_match, template=pair.template)
    pair.save(pair.a, "Where we meet", value="Teams")
    pair.save(pair.b, "My primary objective", value="Listen more")

    def fill(agreement, user, title, **data):
        item = agreement.template.items.get(title=title)
        query = QueryDict(mutable=True)
        query.update(data)
        value_save(
            agreement=agreement,
            item=item,
            actor=Actor(user=user),
            value=field_kinds.parse(item, query),
            seen_revision=0,
        )

    fill(other, stranger, "How often we meet", every="weekly")
    fill(other, stranger, "How long a session lasts", value="45")
    fill(other, stranger, "Where we meet", value="Zoom")
    fill(other, stranger, "My primary objective", value="A")
    fill(other, third, "My primary objective", value="B")
    agreement_sign(
        agreement=other,
        actor=Actor(user=stranger),
        typed_name="Stranger",
        consent=True,
        intent=True,
        seen_sha256=sha_of(other)[1],
    )
    # The coordinator rewords a clause and drops the social contract: version 2.
    template_services.item_update(
        program=pair.program,
        item=pair.item("Confidentiality"),
        user=coordinator,
        title="Confidentiality",
        body="Reworded.",
    )
    template_services.item_delete(
        program=pair.program, item=pair.item("Our social contract"), user=coordinator
    )
    client = client_for(coordinator)
    page = client.get(url("template", pair.program))
    assert "1 agreement being filled in still uses an older version" in page.text
    response = client.post(url("upgrade", pair.program), follow=True)
    assert "1 agreement now uses the current version" in response.text
    pair.agreement.refresh_from_db()
    other.refresh_from_db()
    assert pair.agreement.template.version == 2
    assert other.template.version == 1  # signed by one party: its signature covers v1
    kept = {
        (v.item.title, v.party_id): v.value for v in pair.agreement.values.select_related("item")
    }
    assert kept[("Where we meet", None)] == "Teams"
    assert kept[("My primary objective", pair.b.pk)] == "Listen more"
    assert all(
        v.item.template_id == pair.agreement.template_id for v in pair.agreement.values.all()
    )
    event = pair.agreement.events.filter(kind="template").last()
    assert "from template version 1 to version 2" in event.detail["change"]
    # Nothing left to move.
    assert "older version" not in client.get(url("template", pair.program)).text
