"""Rendering a reminder once per shape (services.email_render_shaped) gives, byte for byte,
what rendering it for each recipient gives; a template that does more with a personal
value than print it, or a value that escaping would change, is rendered in full."""

import pytest
from django.test import override_settings

from peercoach.notifications import services
from peercoach.notifications.models import Kind

pytestmark = pytest.mark.django_db

CONTEXTS = [
    {"program_name": "Spring", "partners": "Ana & Bo", "started_on": "1 March"},
    {"program_name": "Spring <2026>", "is_amendment": True, "signed_by": "Ana"},
    {"program_name": "Autumn", "last_reminder": True, "title": "Kick-off", "weeks": 3},
    {},
]
NAMES = ["Ben", "", "Zoë", "Anne  Marie", "O'Neil", "Ben & Jerry", "<b>Ada</b>"]


def _full(template, context, personal, org, zone):
    return services.email_render(
        template=template, context={**context, **personal}, organization=org, zone=zone
    )


@pytest.mark.parametrize("kind", [kind.value for kind in Kind])
def test_every_reminder_renders_the_same_once_per_shape(org, kind):
    shapes = {}
    template = f"reminder_{kind}"
    for context in CONTEXTS:
        for index, name in enumerate(NAMES):
            personal = {
                "first_name": name,
                "unsubscribe_url": f"https://x.example/u/t{index}:Ab-_/",
            }
            for zone in ("Europe/Berlin", "America/New_York"):
                shaped = services.email_render_shaped(
                    template=template,
                    context=context,
                    personal=personal,
                    organization=org,
                    zone=zone,
                    shapes=shapes,
                )
                assert shaped == _full(template, context, personal, org, zone)
    # One shape per context, zone and empty/non-empty first name: not one per person.
    assert len(shapes) <= len(CONTEXTS) * 2 * 2


def test_the_shape_is_rendered_once_for_many_recipients(org, monkeypatch):
    renders = []
    raw = services._render_raw

    def counted(*args, **kwargs):
        renders.append(args[0])
        return raw(*args, **kwargs)

    monkeypatch.setattr(services, "_render_raw", counted)
    shapes = {}
    for index in range(50):
        services.email_render_shaped(
            template="reminder_agreement",
            context={"program_name": "Spring"},
            personal={"first_name": f"Person{index}", "unsubscribe_url": f"https://x/u{index}"},
            organization=org,
            zone="UTC",
            shapes=shapes,
        )
    assert len(renders) == 2  # the shape and its check


@pytest.fixture
def odd_templates(tmp_path, settings):
    """A template that transforms the first name, one that compares it."""
    for name, body in {
        "upper": "Hello {{ first_name|upper }}",
        "length": "{{ first_name|length }} letters",
        "truncated": "Hi {{ first_name|truncatechars:4 }}",
    }.items():
        folder = tmp_path / "emails" / f"odd_{name}"
        folder.mkdir(parents=True)
        for part in ("subject.txt", "body.txt", "body.html"):
            (folder / part).write_text(body)
    engines = [dict(settings.TEMPLATES[0])]
    engines[0]["DIRS"] = [tmp_path, *engines[0].get("DIRS", [])]
    with override_settings(TEMPLATES=engines):
        yield


@pytest.mark.parametrize("name", ["upper", "length", "truncated"])
def test_a_template_that_transforms_a_personal_value_is_rendered_in_full(org, odd_templates, name):
    shapes = {}
    for first_name in ("Ben", "Alexandra"):
        personal = {"first_name": first_name, "unsubscribe_url": "https://x/u"}
        shaped = services.email_render_shaped(
            template=f"odd_{name}",
            context={},
            personal=personal,
            organization=org,
            zone="UTC",
            shapes=shapes,
        )
        assert shaped == _full(f"odd_{name}", {}, personal, org, "UTC")
    assert list(shapes.values()) == [services._UNSHAPED]
