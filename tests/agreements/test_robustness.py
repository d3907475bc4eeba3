"""Fuzzed field input never gives a 500, and what is stored is always a clean value."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements import fields
from agreements.models import AgreementItem, AgreementValue

Kind = AgreementItem.Kind

ITEMS = [
    {"kind": kind, "title": kind, "choices": ["Teams", "Zoom"] if "choice" in kind else []}
    for kind in Kind.values
    if kind != Kind.CLAUSE
]

text = st.one_of(
    st.text(max_size=80),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(
        [
            "",
            "Teams",
            "Zoom",
            "1:30",
            "90min",
            "2026-02-30",
            "NaN",
            "1e999",
            "other",
            "\x00",
            "é" * 6000,
        ]
    ),
)
posts = st.fixed_dictionaries(
    {},
    optional={
        "value": st.one_of(text, st.lists(text, max_size=4)),
        "every": st.one_of(text, st.sampled_from(["weekly", "monthly", "other"])),
        "other": text,
        "revision": st.one_of(text, st.sampled_from(["0", "1", "²", "-1", str(10**30)])),
    },
)


@pytest.mark.django_db
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(index=st.integers(0, len(ITEMS) - 1), data=posts, htmx=st.booleans())
def test_fuzzed_field_posts_never_give_a_500(pair, client_for, index, data, htmx):
    template = pair.agreement.template
    if not template.items.filter(title=ITEMS[0]["title"]).exists():
        template.items.all().delete()
        template_make_items(template)
    item = template.items.get(title=ITEMS[index]["title"])
    url = reverse(
        "agreements:field_save",
        kwargs={"org_slug": pair.org.slug, "pk": pair.agreement.pk, "item_pk": item.pk},
    )
    headers = {"HX-Request": "true"} if htmx else {}
    response = client_for(pair.a).post(url, data, headers=headers)
    assert response.status_code in (200, 302, 400, 409), response.status_code
    row = AgreementValue.objects.filter(agreement=pair.agreement, item=item).first()
    if row is not None and row.value is not None:
        # Whatever was stored reads back as a value of its kind.
        assert fields.display(item, row.value) != "" or row.value in ([], "")
        if item.kind in (Kind.SINGLE_CHOICE,):
            assert row.value in item.choices
        if item.kind == Kind.MULTIPLE_CHOICE:
            assert set(row.value) <= set(item.choices)
        if item.kind == Kind.DURATION:
            assert isinstance(row.value, int) and 1 <= row.value <= 1440


def template_make_items(template):
    for position, spec in enumerate(ITEMS):
        AgreementItem.objects.create(
            organization=template.organization, template=template, position=position, **spec
        )


def test_the_fuzz_items_cover_every_field_kind():
    assert {spec["kind"] for spec in ITEMS} == set(Kind.values) - {Kind.CLAUSE}


@pytest.mark.parametrize(
    "raw, expected",
    [("6", "6"), ("2,5", "2.5"), ("-0.125", "-0.125"), ("1e-999999", None), ("1" * 21, None)],
)
def test_numbers_are_plain_and_short(raw, expected):
    from django.core.exceptions import ValidationError
    from django.http import QueryDict

    item = AgreementItem(kind=Kind.NUMBER, title="n")
    data = QueryDict(mutable=True)
    data["value"] = raw
    if expected is None:
        with pytest.raises(ValidationError):
            fields.parse(item, data)
    else:
        assert fields.parse(item, data) == expected
