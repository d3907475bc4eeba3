"""`{% program_breadcrumb %}` and `_breadcrumb.html`: Programs › program › steps › the current
page, optional steps left out, the current page marked and not linked, labels escaped."""

from types import SimpleNamespace

from django.template import engines

ORG = SimpleNamespace(slug="acme")
PROGRAM = SimpleNamespace(pk=3, name="Spring <b>term</b>")


def crumbs(tag_args, **context):
    template = engines["django"].from_string(
        "{% load program_breadcrumb %}{% program_breadcrumb " + tag_args + " %}"
    )
    html = template.render({"organization": ORG, "program": PROGRAM, **context})
    return " ".join(html.split()).replace("> <", "><")


def test_program_then_current_page():
    assert crumbs("program here", here="Settings") == (
        '<nav aria-label="Breadcrumb"><ol class="breadcrumb">'
        '<li class="breadcrumb-item"><a href="/o/acme/programs/">Programs</a></li>'
        '<li class="breadcrumb-item"><a href="/o/acme/programs/3/">'
        "Spring &lt;b&gt;term&lt;/b&gt;</a></li>"
        '<li class="breadcrumb-item active" aria-current="page">Settings</li>'
        "</ol></nav>"
    )


def test_without_program():
    html = crumbs("program here", program=None, here="New program")
    assert html.count("breadcrumb-item") == 2
    assert '<li class="breadcrumb-item active" aria-current="page">New program</li>' in html


def test_steps_between_and_optional_steps_left_out():
    html = crumbs('program _("My pair") pair_url here', pair_url="/o/acme/pairs/4/", here="Report")
    assert '<li class="breadcrumb-item"><a href="/o/acme/pairs/4/">My pair</a></li>' in html
    assert html.endswith(
        '<li class="breadcrumb-item active" aria-current="page">Report</li></ol></nav>'
    )
    # Without the step's url (no pair), the step is left out.
    assert "My pair" not in crumbs('program _("My pair") pair_url here', here="Report")


def test_empty_last_label_makes_the_last_step_current():
    html = crumbs('program _("Debrief surveys") "/s/" survey_title "" here', survey_title="")
    assert html.count('aria-current="page"') == 1
    assert html.endswith(
        '<li class="breadcrumb-item active" aria-current="page">Debrief surveys</li></ol></nav>'
    )
    assert 'href="/s/"' not in html
