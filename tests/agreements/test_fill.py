"""Filling and signing an agreement: concurrency, per-party fields, voiding, the canonical hash."""

import json

import pytest
from django.core import mail
from django.urls import reverse

from agreements import canonical
from agreements.models import Agreement, AgreementEvent, AgreementValue, Signature
from agreements.selectors.agreement import canonical_text
from agreements.selectors.fill import agreement_page
from agreements.services.amend import agreement_amend, amendment_withdraw
from agreements.services.common import Actor, AgreementError
from agreements.services.create import agreements_create_for_matches
from agreements.services.sign import agreement_sign
from programs.models import Match
from programs.services.proposals import match_end
from tests.agreements.conftest import template_make
from tests.factories import match_make

pytestmark = pytest.mark.django_db


def sign(pair, user, *, sha=None, name=None, consent=True, intent=True):
    return agreement_sign(
        agreement=pair.agreement,
        actor=Actor(user=user, ip="198.51.100.4", user_agent="Test browser 1.0"),
        typed_name=name or user.get_full_name(),
        consent=consent,
        intent=intent,
        seen_sha256=sha if sha is not None else pair.sha(),
    )


def refresh(pair):
    pair.agreement.refresh_from_db()
    return pair.agreement


# --- Creating ------------------------------------------------------------------------


def test_new_agreement_prefills_each_partys_name_and_records_its_creation(pair):
    names = dict(
        AgreementValue.objects.filter(agreement=pair.agreement, item=pair.item("Name")).values_list(
            "party__email", "value"
        )
    )
    assert names == {"pat@acme.example.org": "Pat Lee", "partner@acme.example.org": "Robin Diaz"}
    assert list(pair.agreement.events.values_list("kind", flat=True)) == ["created"]


def test_publishing_gives_each_new_pair_one_agreement_and_repeating_adds_none(pair, stranger, org):
    other = match_make(program=pair.program, users=[stranger], status=Match.Status.ACTIVE)
    assert agreements_create_for_matches(program=pair.program, matches=[pair.match, other]) == 1
    assert agreements_create_for_matches(program=pair.program, matches=[pair.match, other]) == 0
    assert Agreement.objects.filter(match=other).count() == 1


def test_no_template_means_no_agreement(pair, stranger):
    pair.template.items.all().delete()
    other = match_make(program=pair.program, users=[stranger], status=Match.Status.ACTIVE)
    assert agreements_create_for_matches(program=pair.program, matches=[other]) == 0


# --- Filling -------------------------------------------------------------------------


def test_saving_a_field_bumps_its_revision_and_records_who_changed_what(pair):
    result = pair.save(pair.a, "How long a session lasts", value="45")
    assert result.changed and not result.conflict
    assert result.row.value == 45 and result.row.revision == 1
    result = pair.save(pair.b, "How long a session lasts", value="1:00")
    assert result.row.value == 60 and result.row.revision == 2
    change = pair.agreement.events.filter(kind="changed").last()
    assert change.actor == pair.b and change.ip_address == "192.0.2.7"
    assert change.detail == {
        "field": "How long a session lasts",
        "party": "",
        "before": "45 minutes",
        "after": "1 h",
    }


def test_saving_the_same_value_again_changes_nothing(pair):
    pair.save(pair.a, "Where we meet", value="Teams")
    result = pair.save(pair.b, "Where we meet", value="Teams", revision=0)
    assert not result.changed and not result.conflict
    assert pair.agreement.events.filter(kind="changed").count() == 1


def test_a_later_save_on_a_stale_revision_is_told_and_overwrites_nothing(pair):
    pair.save(pair.a, "Where we meet", value="Teams", revision=0)
    result = pair.save(pair.b, "Where we meet", value="Zoom", revision=0)
    assert result.conflict and not result.changed
    assert result.row.value == "Teams" and result.row.updated_by == pair.a
    # Saving again from the revision they were shown replaces it on purpose.
    result = pair.save(pair.b, "Where we meet", value="Zoom", revision=result.row.revision)
    assert result.changed and result.row.value == "Zoom"


def test_per_party_fields_are_saved_as_the_actors_own_only(pair):
    pair.save(pair.b, "My primary objective", value="Listen more")
    rows = AgreementValue.objects.filter(
        agreement=pair.agreement, item=pair.item("My primary objective")
    )
    assert [(r.party, r.value) for r in rows] == [(pair.b, "Listen more")]


def test_per_party_field_of_the_other_party_cannot_be_edited_over_http(pair, client_for):
    client = client_for(pair.b)
    item = pair.item("My primary objective")
    pair.save(pair.a, "My primary objective", value="Mine")
    url = reverse(
        "agreements:field_save",
        kwargs={"org_slug": pair.org.slug, "pk": pair.agreement.pk, "item_pk": item.pk},
    )
    # Whatever party the request claims, the value lands in the requester's own cell.
    response = client.post(url, {"value": "Overwritten", "party": pair.a.pk, "revision": "0"})
    assert response.status_code == 302
    assert (
        AgreementValue.objects.get(agreement=pair.agreement, item=item, party=pair.a).value
        == "Mine"
    )
    assert (
        AgreementValue.objects.get(agreement=pair.agreement, item=item, party=pair.b).value
        == "Overwritten"
    )
    page = client.get(pair.agreement.get_absolute_url()).content.decode()
    # The partner's cell is shown, read-only: no form posts to it for them.
    assert "Mine" in page
    assert page.count(f'data-testid="field-{item.key}"') == 1


def test_strangers_and_coordinators_cannot_save(pair, stranger, coordinator):
    for user in (stranger, coordinator):
        with pytest.raises(AgreementError):
            pair.save(user, "Where we meet", value="Zoom")


# --- Signing -------------------------------------------------------------------------


def test_signing_needs_every_required_field_including_each_partys(pair):
    pair.save(pair.a, "How often we meet", every="weekly")
    with pytest.raises(AgreementError) as error:
        sign(pair, pair.a)
    message = str(error.value)
    assert "How long a session lasts" in message
    assert "My primary objective (Robin Diaz)" in message
    assert "Our social contract" not in message  # optional
    assert not Signature.objects.exists()


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"consent": False}, "sign electronically"),
        ({"intent": False}, "intend to be bound"),
        ({"name": " "}, "full name"),
        ({"sha": "0" * 64}, "changed while you were reading"),
    ],
)
def test_signing_refuses_without_consent_intent_name_or_on_a_stale_review(pair, kwargs, expected):
    pair.fill_required()
    with pytest.raises(AgreementError, match=expected):
        sign(pair, pair.a, **kwargs)
    assert not Signature.objects.exists()


def test_a_signature_records_name_time_ip_agent_and_the_hash_of_the_canonical_form(pair):
    pair.fill_required()
    sha = pair.sha()
    signature = sign(pair, pair.a, name="  Pat   Lee ")
    assert signature.typed_name == "Pat Lee"
    assert signature.ip_address == "198.51.100.4"
    assert signature.user_agent == "Test browser 1.0"
    assert signature.content_sha256 == sha
    assert "electronically" in signature.consent_text and "bound" in signature.intent_text
    assert refresh(pair).status == Agreement.Status.OPEN
    with pytest.raises(AgreementError, match="already signed"):
        sign(pair, pair.a)


def test_the_canonical_form_covers_clauses_values_and_parties(pair):
    pair.fill_required()
    text, sha = canonical_text(pair.agreement)
    assert canonical.sha256_text(text) == sha
    doc = json.loads(text)
    assert [p["name"] for p in doc["parties"]] == ["Pat Lee", "Robin Diaz"]
    by_title = {item["title"]: item for item in doc["items"]}
    assert by_title["Confidentiality"]["body"].startswith("What we say")
    assert by_title["How often we meet"]["value"] == {"every": "fortnightly", "other": ""}
    assert [v["value"] for v in by_title["My primary objective"]["values"]] == [
        "Delegate more",
        "Speak up in meetings",
    ]
    # A clause edited in place (an unsigned template) changes the hash.
    clause = pair.item("Confidentiality")
    clause.body += " Always."
    clause.save()
    assert canonical_text(pair.agreement)[1] != sha


def test_a_change_after_a_signature_voids_every_signature_and_tells_the_parties(pair, commit):
    pair.fill_required()
    sign(pair, pair.a)
    mail.outbox.clear()
    with commit():
        result = pair.save(pair.b, "Where we meet", value="In person")
    assert result.voided
    assert not Signature.objects.filter(voided_at__isnull=True).exists()
    voided = Signature.objects.get()
    assert "Robin Diaz changed “Where we meet”" in voided.void_reason
    event = pair.agreement.events.get(kind="voided")
    assert event.detail["signers"] == ["Pat Lee"]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "partner@acme.example.org",
        "pat@acme.example.org",
    ]
    assert "sign" in mail.outbox[0].subject.lower()
    # Both sign again on the new content.
    sign(pair, pair.a)
    sign(pair, pair.b)
    assert refresh(pair).status == Agreement.Status.SIGNED


def test_the_last_signature_locks_the_agreement_and_keeps_exactly_what_was_signed(pair):
    pair.fill_required()
    sha = pair.sha()
    sign(pair, pair.a)
    sign(pair, pair.b)
    agreement = refresh(pair)
    assert agreement.status == Agreement.Status.SIGNED and agreement.signed_at
    assert agreement.content_sha256 == sha
    assert canonical.sha256_text(agreement.signed_content) == sha
    assert list(agreement.events.values_list("kind", flat=True))[-3:] == [
        "signed",
        "signed",
        "completed",
    ]
    with pytest.raises(AgreementError, match="locked"):
        pair.save(pair.a, "Where we meet", value="Teams")


def test_the_last_signature_queues_the_pdf_after_commit_and_emails_both(pair, commit, monkeypatch):
    queued = []
    monkeypatch.setattr(
        "agreements.tasks.agreement_pdf_render.delay", lambda **kw: queued.append(kw)
    )
    pair.fill_required()
    sign(pair, pair.a)
    mail.outbox.clear()
    with commit():
        sign(pair, pair.b)
        assert queued == []  # not before the commit
    assert queued == [{"organization_id": pair.org.pk, "agreement_id": pair.agreement.pk}]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "partner@acme.example.org",
        "pat@acme.example.org",
    ]


def test_an_ended_pair_cannot_change_or_sign_its_agreement(pair, coordinator):
    pair.fill_required()
    match_end(match=pair.match, ended_by=coordinator, reason="Opted out")
    pair.agreement.match.refresh_from_db()
    with pytest.raises(AgreementError, match="ended"):
        pair.save(pair.a, "Where we meet", value="Teams")
    with pytest.raises(AgreementError, match="ended"):
        sign(pair, pair.a)


# --- Amending ------------------------------------------------------------------------


def test_an_amendment_starts_from_the_signed_values_and_supersedes_it_once_signed(pair):
    pair.fill_required()
    sign(pair, pair.a)
    sign(pair, pair.b)
    signed = refresh(pair)
    amendment = agreement_amend(agreement=signed, actor=Actor(user=pair.b))
    assert amendment.number == 2 and amendment.status == Agreement.Status.OPEN
    assert agreement_amend(agreement=signed, actor=Actor(user=pair.a)) == amendment  # idempotent
    values = {(v.item.title, v.party_id): v.value for v in amendment.values.select_related("item")}
    assert values[("Where we meet", None)] == "Zoom"
    assert values[("My primary objective", pair.b.pk)] == "Speak up in meetings"
    pair.agreement = amendment
    pair.save(pair.a, "Where we meet", value="In person")
    signed.refresh_from_db()
    assert signed.status == Agreement.Status.SIGNED  # in force until the amendment is signed
    sign(pair, pair.a)
    sign(pair, pair.b)
    signed.refresh_from_db()
    assert signed.status == Agreement.Status.SUPERSEDED
    assert refresh(pair).status == Agreement.Status.SIGNED


def test_an_open_agreement_cannot_be_amended(pair):
    with pytest.raises(AgreementError, match="Only a signed"):
        agreement_amend(agreement=pair.agreement, actor=Actor(user=pair.a))


# --- Pages ---------------------------------------------------------------------------


def test_the_page_shows_fields_to_fill_and_the_program_teams_view(pair, client_for):
    client = client_for(pair.a)
    pair.save(pair.b, "Where we meet", value="Zoom")
    response = client.get(pair.agreement.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "What we say stays between us." in page
    assert "<li>unless the law requires otherwise</li>" in page
    assert "Last changed by Robin Diaz" in page
    assert "sees only whether the agreement is signed" in page
    assert 'data-testid="missing"' in page


def test_htmx_save_answers_the_status_fragment_with_the_new_revision(pair, client_for):
    client = client_for(pair.a)
    item = pair.item("How long a session lasts")
    url = reverse(
        "agreements:field_save",
        kwargs={"org_slug": pair.org.slug, "pk": pair.agreement.pk, "item_pk": item.pk},
    )
    response = client.post(url, {"value": "50", "revision": "0"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "Saved." in body
    assert f'id="rev-{item.pk}-0" hx-swap-oob="true"' in body and 'value="1"' in body
    assert '<section id="signatures"' in body and body.count('hx-swap-oob="true"') == 2
    # A second browser still on revision 0 is told, and its text is kept.
    response = client.post(url, {"value": "70", "revision": "0"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "while you were editing" in body and "50 minutes" in body
    assert AgreementValue.objects.get(item=item).value == 50


def test_plain_post_with_bad_input_shows_the_page_again_with_the_text_kept(pair, client_for):
    client = client_for(pair.a)
    item = pair.item("How long a session lasts")
    url = reverse(
        "agreements:field_save",
        kwargs={"org_slug": pair.org.slug, "pk": pair.agreement.pk, "item_pk": item.pk},
    )
    response = client.post(url, {"value": "an hour or so", "revision": "0"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter minutes" in page and 'value="an hour or so"' in page
    assert not AgreementValue.objects.filter(item=item).exists()


def test_signing_through_the_page(pair, client_for):
    pair.fill_required()
    client = client_for(pair.a)
    url = reverse("agreements:sign", kwargs={"org_slug": pair.org.slug, "pk": pair.agreement.pk})
    page = client.get(url).content.decode()
    sha = pair.sha()
    assert sha in page and "Speak up in meetings" in page
    response = client.post(url, {"typed_name": "Pat Lee", "sha256": sha, "consent": "on"})
    assert response.status_code == 400 and "intend to be bound" in response.content.decode()
    response = client.post(
        url,
        {"typed_name": "Pat Lee", "sha256": sha, "consent": "on", "intent": "on"},
        HTTP_USER_AGENT="Browser/2",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.user_agent, signature.ip_address) == ("Browser/2", "203.0.113.9")


def test_history_lists_changes_and_signatures(pair, client_for):
    pair.fill_required()
    sign(pair, pair.a)
    page = (
        client_for(pair.b)
        .get(
            reverse(
                "agreements:history", kwargs={"org_slug": pair.org.slug, "pk": pair.agreement.pk}
            )
        )
        .content.decode()
    )
    assert "Speak up in meetings" in page and "Typed name: Pat Lee" in page
    assert page.count('data-testid="event-changed"') == 5


def test_participant_home_links_to_the_agreement_with_its_state(pair, client_for):
    page = client_for(pair.a).get(reverse("portal:home", kwargs={"org_slug": pair.org.slug}))
    page = page.content.decode()
    assert "Agreement: signed by 0 of 2" in page
    assert pair.agreement.get_absolute_url() in page


def test_page_selector_marks_only_shared_and_own_cells_editable(pair):
    page = agreement_page(agreement=pair.agreement, user=pair.a)
    cells = [
        (c.item.title, c.member.user_id if c.member else None, c.editable)
        for v in page["items"]
        for c in v.cells
    ]
    assert ("My primary objective", pair.a.pk, True) in cells
    assert ("My primary objective", pair.b.pk, False) in cells
    assert ("Where we meet", None, True) in cells


def test_a_second_template_version_is_used_for_new_agreements(pair, stranger):
    only = [{"kind": "clause", "title": "Only", "body": "x"}]
    v2 = template_make(pair.program, items=only, version=2)
    other = match_make(program=pair.program, users=[stranger], status=Match.Status.ACTIVE)
    agreements_create_for_matches(program=pair.program, matches=[other])
    assert Agreement.objects.get(match=other).template == v2
    assert AgreementEvent.objects.filter(agreement__match=other, kind="created").exists()


# --- Typed terms ---------------------------------------------------------------------


def test_terms_come_from_the_signed_agreement_else_the_program(pair):
    from agreements.selectors.terms import agreement_terms

    before = agreement_terms(pair.match)
    assert before.source == "program"
    assert before.meeting_every_days == pair.program.cadence_days or None
    assert before.session_minutes == pair.program.session_minutes
    pair.fill_required()
    pair.save(pair.a, "Name", value="Pat L.")
    sign(pair, pair.a)
    assert agreement_terms(pair.match).source == "program"  # not everyone has signed
    sign(pair, pair.b)
    terms = agreement_terms(pair.match)
    assert terms.source == "signed" and terms.agreement_id == pair.agreement.pk
    assert (terms.meeting_every_days, terms.meeting_frequency) == (14, "Every two weeks")
    assert terms.session_minutes == 90 and terms.modality == "Zoom"
    assert terms.reporting_every_days is None  # this template does not ask
    assert terms.primary_objectives == {
        pair.a.pk: "Delegate more",
        pair.b.pk: "Speak up in meetings",
    }
    assert terms.contacts[pair.a.pk].name == "Pat L."
    assert terms.contacts[pair.b.pk].name == "Robin Diaz"


@pytest.mark.parametrize("change", ["program renamed", "partner renamed", "email changed"])
def test_a_signature_over_an_earlier_form_is_voided_when_the_next_party_signs(pair, change, commit):
    pair.fill_required()
    sign(pair, pair.a)
    if change == "program renamed":
        pair.program.name = "Spring Coaching, renamed"
        pair.program.save()
    elif change == "partner renamed":
        pair.a.first_name = "Patricia"
        pair.a.save()
    else:
        pair.b.email = "robin.diaz@acme.example.org"
        pair.b.save()
    pair.agreement.refresh_from_db()
    page = agreement_page(agreement=pair.agreement, user=pair.b)
    assert page["signatures"] == [] and not page["i_signed"]  # A's no longer counts
    mail.outbox.clear()
    with commit():
        sign(pair, pair.b)
    agreement = refresh(pair)
    assert agreement.status == Agreement.Status.OPEN  # not "signed by everyone"
    stale = Signature.objects.get(signer=pair.a)
    assert stale.voided_at and "has changed since" in stale.void_reason
    assert pair.agreement.events.filter(kind="voided").count() == 1
    assert {m.to[0] for m in mail.outbox if "again" in m.subject} == {
        pair.a.email,
        pair.b.email,
    }
    sign(pair, pair.a)
    agreement = refresh(pair)
    assert agreement.status == Agreement.Status.SIGNED
    assert set(
        Signature.objects.filter(voided_at__isnull=True).values_list("content_sha256", flat=True)
    ) == {agreement.content_sha256}


def test_plain_post_to_a_locked_agreement_says_why(pair, client_for):
    pair.fill_required()
    sign(pair, pair.a)
    sign(pair, pair.b)
    item = pair.item("Where we meet")
    url = reverse(
        "agreements:field_save",
        kwargs={"org_slug": pair.org.slug, "pk": pair.agreement.pk, "item_pk": item.pk},
    )
    response = client_for(pair.a).post(url, {"value": "Teams", "revision": "1"}, follow=True)
    assert "it is locked" in response.content.decode()
    assert AgreementValue.objects.get(item=item).value == "Zoom"


def test_a_nul_in_the_typed_name_is_dropped_not_a_500(pair):
    pair.fill_required()
    assert sign(pair, pair.a, name="Pat\x00 Lee").typed_name == "Pat Lee"


@pytest.mark.parametrize(
    "kind_title, data, message",
    [
        ("How long a session lasts", {"value": "9" * 5000}, "Enter minutes"),
        ("Our social contract", {"value": "x" * 301}, "each point under 300"),
    ],
)
def test_oversized_values_get_a_message(pair, client_for, kind_title, data, message):
    item = pair.item(kind_title)
    url = reverse(
        "agreements:field_save",
        kwargs={"org_slug": pair.org.slug, "pk": pair.agreement.pk, "item_pk": item.pk},
    )
    response = client_for(pair.a).post(url, {**data, "revision": "0"})
    assert response.status_code == 400 and message in response.content.decode()
    assert not AgreementValue.objects.filter(item=item).exists()


def test_an_amendment_on_a_newer_version_prefills_the_email_field_it_added(pair, coordinator):
    from agreements.models import AgreementItem
    from agreements.services import templates as template_services

    pair.fill_required()
    sign(pair, pair.a)
    sign(pair, pair.b)
    template_services.item_create(
        program=pair.program,
        user=coordinator,
        kind=AgreementItem.Kind.SHORT_TEXT,
        title="Email",
        per_party=True,
        purpose=AgreementItem.Purpose.PARTY_EMAIL,
    )
    amendment = agreement_amend(agreement=refresh(pair), actor=Actor(user=pair.a))
    assert amendment.template.version == 2
    emails = amendment.values.filter(item__title="Email").values_list("party__email", "value")
    assert sorted(emails) == [
        ("partner@acme.example.org", "partner@acme.example.org"),
        ("pat@acme.example.org", "pat@acme.example.org"),
    ]
    carried = amendment.values.get(item__title="Where we meet")
    assert carried.value == "Zoom"


def test_a_party_withdraws_an_amendment_and_the_signed_agreement_stays_in_force(pair, client_for):
    pair.fill_required()
    sign(pair, pair.a)
    sign(pair, pair.b)
    signed = refresh(pair)
    amendment = agreement_amend(agreement=signed, actor=Actor(user=pair.a))
    pair.agreement = amendment
    pair.save(pair.a, "Where we meet", value="Teams")
    sign(pair, pair.a)
    client = client_for(pair.b)
    kwargs = {"org_slug": pair.org.slug, "pk": amendment.pk}
    assert "Withdraw this amendment" in client.get(reverse("agreements:detail", kwargs=kwargs)).text
    response = client.post(reverse("agreements:withdraw", kwargs=kwargs))
    assert response["Location"] == signed.get_absolute_url()
    amendment.refresh_from_db()
    signed.refresh_from_db()
    assert amendment.status == "withdrawn" and signed.status == Agreement.Status.SIGNED
    assert not amendment.signatures.filter(voided_at__isnull=True).exists()
    assert amendment.values.filter(item__title="Where we meet").get().value == "Teams"  # kept
    assert amendment.events.last().kind == "withdrawn"
    # The home page shows the agreement in force, and a new amendment can start.
    home = client.get(reverse("portal:home", kwargs={"org_slug": pair.org.slug})).text
    assert signed.get_absolute_url() in home and "Agreement signed" in home
    again = agreement_amend(agreement=signed, actor=Actor(user=pair.b))
    assert again.number == 3
    # A signed agreement is not an amendment being prepared: it cannot be withdrawn.
    with pytest.raises(AgreementError, match="locked"):
        amendment_withdraw(agreement=signed, actor=Actor(user=pair.a))


def test_the_first_agreement_cannot_be_withdrawn(pair):
    with pytest.raises(AgreementError, match="Only an amendment"):
        amendment_withdraw(agreement=pair.agreement, actor=Actor(user=pair.a))


# --- Second review: lifecycle edges --------------------------------------------------


def _signed(pair):
    pair.fill_required()
    sign(pair, pair.a)
    sign(pair, pair.b)
    return refresh(pair)


def test_a_program_with_agreements_can_still_be_deleted(pair):
    _signed(pair)
    pair.program.delete()
    assert not Agreement.objects.filter(pk=pair.agreement.pk).exists()


def test_ending_the_pair_withdraws_an_amendment_being_prepared(pair, coordinator):
    signed = _signed(pair)
    amendment = agreement_amend(agreement=signed, actor=Actor(user=pair.a))
    match_end(match=pair.match, ended_by=coordinator, reason="Opted out")
    amendment.refresh_from_db()
    signed.refresh_from_db()
    assert amendment.status == "withdrawn" and signed.status == Agreement.Status.SIGNED
    assert amendment.events.last().kind == "withdrawn"


def test_withdrawing_voids_a_signature_on_the_amendment_and_says_so(pair, commit):
    signed = _signed(pair)
    pair.agreement = agreement_amend(agreement=signed, actor=Actor(user=pair.a))
    pair.save(pair.a, "Where we meet", value="Teams")
    sign(pair, pair.a)
    mail.outbox.clear()
    with commit():
        amendment_withdraw(agreement=pair.agreement, actor=Actor(user=pair.b))
    assert list(pair.agreement.events.values_list("kind", flat=True))[-2:] == [
        "voided",
        "withdrawn",
    ]
    assert len(mail.outbox) == 2


def test_a_save_from_a_page_older_than_the_template_move_lands_by_key_or_says_why(
    pair, coordinator, client_for, stranger
):
    from agreements.services import templates as template_services
    from agreements.services.create import agreements_move_to_current

    old_where = pair.item("Where we meet")
    old_contract = pair.item("Our social contract")
    # Someone else signs version 1 (freezing it); the coordinator drops the contract.
    other = match_make(program=pair.program, users=[stranger], status=Match.Status.ACTIVE)
    other_agreement = agreements_create_for_matches(program=pair.program, matches=[other])
    assert other_agreement == 1
    Signature.objects.create(
        organization=pair.org,
        agreement=Agreement.objects.get(match=other),
        signer=stranger,
        typed_name="S",
        consent_text="c",
        intent_text="i",
        content_sha256="0" * 64,
        signed_at=pair.agreement.created_at,
    )
    template_services.item_delete(program=pair.program, item=old_contract, user=coordinator)
    assert agreements_move_to_current(program=pair.program, user=coordinator) == 1
    client = client_for(pair.a)

    def post(item, data, **extra):
        return client.post(
            reverse(
                "agreements:field_save",
                kwargs={"org_slug": pair.org.slug, "pk": pair.agreement.pk, "item_pk": item.pk},
            ),
            data,
            **extra,
        )

    response = post(old_where, {"value": "Zoom", "revision": "0"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Saved." in response.text
    pair.agreement.refresh_from_db()
    assert pair.agreement.values.get(item__key=old_where.key).value == "Zoom"
    response = post(
        old_contract, {"value": "Be kind", "revision": "0"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and "no longer in it" in response.text
    response = post(old_contract, {"value": "Be kind", "revision": "0"}, follow=True)
    assert "no longer in it" in response.text


def test_moving_skips_ended_pairs_and_never_moves_to_an_empty_version(pair, coordinator):
    from agreements.models import AgreementItem, AgreementTemplate
    from agreements.services.create import agreements_move_to_current

    v2 = AgreementTemplate.objects.create(organization=pair.org, program=pair.program, version=2)
    assert agreements_move_to_current(program=pair.program, user=coordinator) == 0  # empty
    AgreementItem.objects.create(
        organization=pair.org, template=v2, kind="clause", title="Only", body="x"
    )
    match_end(match=pair.match, ended_by=coordinator, reason="Ended")
    assert agreements_move_to_current(program=pair.program, user=coordinator) == 0
    pair.agreement.refresh_from_db()
    assert pair.agreement.template.version == 1


def test_agreement_pages_and_the_pdf_are_never_cached(pair, client_for):
    response = client_for(pair.a).get(pair.agreement.get_absolute_url())
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
