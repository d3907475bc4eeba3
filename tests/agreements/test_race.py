"""Parties acting at the same instant on PostgreSQL: one consistent state, one PDF."""

import threading

import pytest
from django.db import connection, connections
from django_scopes import scope

from agreements.models import Agreement, AgreementEvent, AgreementValue, Signature
from agreements.selectors.agreement import canonical_text
from agreements.services.common import Actor, AgreementError
from agreements.services.sign import agreement_sign

pytestmark = pytest.mark.django_db(transaction=True)


def _race(org, *actions):
    """Run the actions in threads released together; return what each returned or raised."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks race for real only on PostgreSQL (CI runs it there)")
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            with scope(organization=org):
                outcomes[index] = action()
        except AgreementError as exc:
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_both_parties_signing_at_the_same_instant_give_one_signed_agreement_and_one_pdf(pair):
    pair.fill_required()
    sha = canonical_text(pair.agreement)[1]

    def signer(user):
        return lambda: agreement_sign(
            agreement=pair.agreement,
            actor=Actor(user=user, ip="192.0.2.1", user_agent="race"),
            typed_name=user.get_full_name(),
            consent=True,
            intent=True,
            seen_sha256=sha,
        )

    outcomes = _race(pair.org, signer(pair.a), signer(pair.b))
    assert all(isinstance(o, Signature) for o in outcomes), outcomes
    with scope(organization=pair.org):
        agreement = Agreement.objects.get(pk=pair.agreement.pk)
        assert agreement.status == Agreement.Status.SIGNED
        assert agreement.content_sha256 == sha
        assert Signature.objects.filter(agreement=agreement, voided_at__isnull=True).count() == 2
        kinds = list(agreement.events.values_list("kind", flat=True))
        assert kinds.count("completed") == 1
        # Tasks run eagerly in tests: the PDF was issued after the one commit, once.
        assert kinds.count("pdf_issued") == 1
        assert agreement.pdf_sha256 and agreement.pdf_sealed


def test_two_saves_of_the_same_field_from_the_same_revision_keep_one_and_tell_the_other(pair):
    outcomes = _race(
        pair.org,
        lambda: pair.save(pair.a, "Where we meet", revision=0, value="Teams"),
        lambda: pair.save(pair.b, "Where we meet", revision=0, value="Zoom"),
    )
    assert sorted((o.changed, o.conflict) for o in outcomes) == [(False, True), (True, False)]
    winner = next(o for o in outcomes if o.changed)
    with scope(organization=pair.org):
        row = AgreementValue.objects.get(agreement=pair.agreement, item=pair.item("Where we meet"))
        assert row.value == winner.row.value and row.revision == 1
        assert AgreementEvent.objects.filter(agreement=pair.agreement, kind="changed").count() == 1
