"""What coordinators and participants write comes back as text, never as markup.

A coordinator's question help text used to reach every applicant's page as HTML:
Django's and crispy's form templates print `help_text|safe`. The first tests plant
markup in the help text of an application question and a survey question and read
the forms; the walk below plants it in every free-text field of two demo organisations
and reads every page each kind of person can reach, and the signed PDF's HTML.
"""

import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from agreements import models as agreement_models
from agreements.services.documents import agreement_html
from peercoach.demo import demo_load
from peercoach.tenancy.models import Membership, Organization
from programs import models as program_models
from programs.models import Match, Program, Question
from sessions import models as session_models
from surveys import models as survey_models
from surveys.models import SurveyQuestion
from tests.factories import ProgramFactory, QuestionFactory
from tests.pages import walk, walkers
from tests.sessions.conftest import person
from tests.surveys.conftest import pair_users, survey_make

pytestmark = [pytest.mark.django_db, pytest.mark.backend_agnostic]

PAYLOAD = '<a href="https://evil.example">x</a><script>alert(1)</script>'
ESCAPED = (
    "&lt;a href=&quot;https://evil.example&quot;&gt;x&lt;/a&gt;"
    "&lt;script&gt;alert(1)&lt;/script&gt;"
)
RAW_PIECES = ('<a href="https://evil.example">', "<script>alert(")


def assert_escaped(html, escaped=ESCAPED, where=""):
    for piece in RAW_PIECES:
        assert piece not in html, f"raw markup {piece!r} on {where}"
    assert escaped in html, f"the escaped text is not on {where}"


def test_application_question_help_text_is_text(org, participant, client_for):
    with scope(organization=org):
        program = ProgramFactory(organization=org)
        for kind, options in [
            (Question.Kind.TEXT, []),
            (Question.Kind.PRIORITIES, ["Delegation", "Feedback"]),
            (Question.Kind.MODALITY, ["Zoom", "In person"]),
        ]:
            QuestionFactory(
                program=program,
                kind=kind,
                label=f"Label {kind}",
                options=options,
                help_text=PAYLOAD,
            )
    url = reverse("programs:apply", kwargs={"org_slug": org.slug, "pk": program.pk})
    html = client_for(participant).get(url).content.decode()
    assert_escaped(html, where=url)
    assert html.count(ESCAPED) == 3


def test_survey_question_help_text_is_text(org, participant, client_for):
    with scope(organization=org):
        program = ProgramFactory(organization=org, status=Program.Status.RUNNING)
    partner = person(org, "partner@acme.example.org")
    pair_users(org, program, [participant, partner], Match.Status.ACTIVE)
    survey = survey_make(
        program,
        questions=[
            {"kind": SurveyQuestion.Kind.RATING, "label": "Useful?", "help_text": PAYLOAD},
            {
                "kind": SurveyQuestion.Kind.MULTIPLE,
                "label": "What helped?",
                "options": ["Guides", "Reminders"],
                "help_text": PAYLOAD,
            },
            {"kind": SurveyQuestion.Kind.LONG_TEXT, "label": "Change?", "help_text": PAYLOAD},
        ],
        send=True,
    )
    url = reverse("surveys:answer", kwargs={"org_slug": org.slug, "survey_pk": survey.pk})
    html = client_for(participant).get(url).content.decode()
    assert_escaped(html, where=url)
    assert html.count(ESCAPED) == 3


def test_help_text_is_text_in_djangos_own_form_templates(org):
    """Django's form templates print `help_text|safe` too: the forms escape at the source."""
    from programs.forms.applications import ApplicationForm
    from surveys.forms import AnswerForm

    with scope(organization=org):
        program = ProgramFactory(organization=org)
        question = QuestionFactory(program=program, kind=Question.Kind.TEXT, help_text=PAYLOAD)
        survey = survey_make(
            program, questions=[{"kind": SurveyQuestion.Kind.LONG_TEXT, "label": "Why?"}]
        )
        survey_question = survey.questions.get()
        survey_question.help_text = PAYLOAD
        survey_question.save()
        forms = [
            ApplicationForm(questions=[question]),
            AnswerForm(questions=[survey_question]),
        ]
        for form in forms:
            assert_escaped(form.as_div(), where=type(form).__name__)


# --- Every free-text field, every page --------------------------------------------------
#
# The demo organisations hold a bit of everything people write. Each free-text field below
# gets its own payload (`alert(<n>)` tells them apart); then each kind of person walks every
# page they can reach from their home page, following links and HTMX requests. No page may
# carry the markup, and every field must come back, escaped, on at least one page.

WALKED = ("peersphere", "power-circles")

# (model label, field): free text a coordinator or participant writes (or that comes from
# their browser: the user agent). Choices, keys, hashes and time zones are not free text.
TEXT_FIELDS = [
    ("tenancy.Organization", "name"),
    ("tenancy.Organization", "policy_text"),
    ("accounts.User", "first_name"),
    ("accounts.User", "last_name"),
    ("accounts.Invitation", "first_name"),
    ("accounts.Invitation", "last_name"),
    ("programs.Program", "name"),
    ("programs.Program", "description"),
    ("programs.Program", "session_topics"),
    ("programs.ProgramEvent", "title"),
    ("programs.ProgramEvent", "location"),
    ("programs.ProgramEvent", "description"),
    ("programs.Resource", "title"),
    ("programs.Resource", "body"),
    ("programs.Question", "label"),
    ("programs.Question", "help_text"),
    ("programs.Question", "scale_low_label"),
    ("programs.Question", "scale_high_label"),
    ("programs.Match", "end_reason"),
    ("agreements.AgreementTemplate", "title"),
    ("agreements.AgreementTemplate", "introduction"),
    ("agreements.AgreementItem", "title"),
    ("agreements.AgreementItem", "body"),
    ("agreements.AgreementItem", "help_text"),
    ("agreements.Signature", "typed_name"),
    ("agreements.Signature", "user_agent"),
    ("agreements.AgreementEvent", "actor_name"),
    ("agreements.AgreementEvent", "user_agent"),
    ("coaching_sessions.Pause", "reason"),
    ("coaching_sessions.OptOut", "notice"),
    ("coaching_sessions.Concern", "body"),
    ("coaching_sessions.ConcernAccess", "note"),
    ("coaching_sessions.Plan", "primary_objective"),
    ("coaching_sessions.Goal", "title"),
    ("coaching_sessions.Goal", "description"),
    ("coaching_sessions.GoalStep", "text"),
    ("coaching_sessions.GoalUpdate", "body"),
    ("coaching_sessions.ProgressReport", "change"),
    ("coaching_sessions.GoalProgress", "goal_title"),
    ("coaching_sessions.GoalProgress", "progress"),
    ("coaching_sessions.Session", "location"),
    ("coaching_sessions.Session", "note"),
    ("coaching_sessions.Session", "next_steps"),
    ("coaching_sessions.Session", "shared_notes"),
    ("coaching_sessions.SessionPart", "challenge"),
    ("coaching_sessions.PrivateNote", "body"),
    ("coaching_sessions.Feedback", "comment"),
    ("coaching_sessions.Reflection", "body"),
    ("coaching_sessions.Preparation", "purpose"),
    ("coaching_sessions.Preparation", "outcomes"),
    ("coaching_sessions.Preparation", "process"),
    ("audit.AuditEvent", "actor_name"),
    ("audit.AuditEvent", "summary"),
    ("surveys.Survey", "title"),
    ("surveys.Survey", "intro"),
    ("surveys.SurveyQuestion", "label"),
    ("surveys.SurveyQuestion", "help_text"),
    ("surveys.SurveyQuestion", "low_label"),
    ("surveys.SurveyQuestion", "high_label"),
    ("surveys.Answer", "text"),
]
# Choices people define, and the answers and values that repeat them (kept consistent, so
# pages still find the chosen option among the options).
# Choices people define, and the answers and values that repeat them (planted consistently,
# so pages still find the chosen option among the options); free-text JSON answers.
QUESTION_OPTIONS = "programs.Question.options"
COMMUNITIES = "programs.Question.communities"
APPLICATION_TEXT = "programs.Application.answers (free text)"
AGREEMENT_CHOICES = "agreements.AgreementItem.choices"
AGREEMENT_TEXT = "agreements.AgreementValue.value (free text and lists)"
SURVEY_OPTIONS = "surveys.SurveyQuestion.options"
SESSION_TOPICS = "coaching_sessions.Session.topics"
# Planted, but no page shows them to anyone, by design.
NOT_SHOWN = {
    # Invitations show the email address; the names prefill the new account.
    ("accounts.Invitation", "first_name"): "no page shows an invitation's names",
    ("accounts.Invitation", "last_name"): "no page shows an invitation's names",
}

RAW = re.compile(r'<a href="https://evil\.example">|<script>alert\(')
RAW_SCRIPT = re.compile(r"<script>alert\((\d+)\)")
SEEN = re.compile(r"&lt;script&gt;alert\((\d+)\)&lt;/script&gt;")


def payload(n):
    return f'<a href="https://evil.example">x</a><script>alert({n})</script>'


def planted(text, n, max_length=None):
    """Payload `n`, then `text`, within the column's length. First, because some pages
    shorten long text (a user agent to 80 characters)."""
    prefix = payload(n) + " "
    keep = (max_length - len(prefix)) if max_length else None
    return prefix + (text or "")[:keep]


def add_what_the_demo_lacks(org):
    """Rows the demo does not make: a pause, a goal update, a coach's reflection, a
    preparation, a note on a concern, an opt-out notice shared with the team."""
    sessions = session_models.Session.objects.filter(organization=org)
    logged = sessions.filter(logged_at__isnull=False).select_related("match").first()
    members = list(logged.match.members.order_by("pk").select_related("user"))
    first, second = members[0].user, members[1].user
    today = timezone.localdate()
    session_models.Pause.objects.create(
        organization=org,
        match=logged.match,
        requested_by=first,
        starts_on=today,
        ends_on=today + timedelta(days=20),
        reason="Exams",
    )
    program_models.Program.objects.filter(pk=logged.program_id).update(session_preparation=True)
    common = {"organization": org, "session": logged}
    session_models.Reflection.objects.create(**common, author=first, body="Went well.")
    session_models.Reflection.objects.create(**common, author=second, body="Slow start.")
    session_models.Preparation.objects.create(
        **common, author=second, purpose="Plan", outcomes="A plan", process="Talk"
    )
    session_models.Preparation.objects.create(
        **common, author=first, purpose="Plan", outcomes="A plan", process="Talk"
    )
    for goal in session_models.Goal.objects.filter(organization=org).select_related("plan"):
        session_models.GoalUpdate.objects.create(
            organization=org, goal=goal, author=goal.plan.user, body="Half way."
        )
    coordinator = Membership.objects.filter(organization=org, role="coordinator").first().user
    for concern in session_models.Concern.objects.filter(organization=org):
        session_models.ConcernAccess.objects.create(
            organization=org, concern=concern, user=coordinator, action="noted", note="Called."
        )
    session_models.OptOut.objects.filter(organization=org).update(notice_shared=True)


def plant_everything(orgs):
    """Payload `n` into every row's field number n; returns {n: (model label, field)}."""
    numbered = {}
    org_ids = [org.pk for org in orgs]
    for model_label, field_name in TEXT_FIELDS:
        n = len(numbered) + 1
        numbered[n] = (model_label, field_name)
        model = apps.get_model(model_label)
        field = model._meta.get_field(field_name)
        prefix = Value(payload(n) + " ")
        original = F(field_name)
        if field.max_length:
            original = Substr(original, 1, field.max_length - len(prefix.value))
        rows = model.objects.all()
        if model_label == "tenancy.Organization":
            rows = rows.filter(pk__in=org_ids)
        elif model_label == "accounts.User":
            rows = rows.filter(memberships__organization__in=org_ids).distinct()
            rows = model.objects.filter(pk__in=list(rows.values_list("pk", flat=True)))
        else:
            rows = rows.filter(organization__in=org_ids)
        rows.update(**{field_name: Concat(prefix, original, output_field=field)})

    def number(label):
        n = len(numbered) + 1
        numbered[n] = (label, "choices")
        return n

    # Application questions: options, communities, and the answers that name them.
    n_option, n_community, n_answer = (
        number(label) for label in (QUESTION_OPTIONS, COMMUNITIES, APPLICATION_TEXT)
    )
    for question in program_models.Question.objects.filter(organization__in=org_ids):
        options = {o: planted(o, n_option) for o in question.options}
        communities = {c: planted(c, n_community) for c in set(question.communities.values())}
        question.options = list(options.values())
        question.communities = {options[o]: communities[c] for o, c in question.communities.items()}
        question.save(update_fields=["options", "communities"])
        for application in program_models.Application.objects.filter(program=question.program_id):
            value = application.answers.get(question.key)
            if isinstance(value, list):
                value = [options.get(v, v) for v in value]
            elif isinstance(value, str):
                value = options.get(value) or planted(value, n_answer)
            application.answers[question.key] = value
            if (
                question.kind == program_models.Question.Kind.GROUP
                and value in question.communities
            ):
                application.group = value
                application.community = question.communities[value]
            if question.kind == program_models.Question.Kind.ROLE_LEVEL and value:
                application.role_level = value
            application.save(update_fields=["answers", "group", "community", "role_level"])

    # Agreement choices and the values filled in.
    n_choice, n_value = number(AGREEMENT_CHOICES), number(AGREEMENT_TEXT)
    Item = agreement_models.AgreementItem
    for item in Item.objects.filter(organization__in=org_ids):
        choices = {c: planted(c, n_choice) for c in item.choices}
        if choices:
            item.choices = list(choices.values())
            item.save(update_fields=["choices"])
        for value in agreement_models.AgreementValue.objects.filter(item=item):
            if item.kind == Item.Kind.SINGLE_CHOICE:
                value.value = choices.get(value.value, value.value)
            elif item.kind == Item.Kind.MULTIPLE_CHOICE and isinstance(value.value, list):
                value.value = [choices.get(v, v) for v in value.value]
            elif item.kind == Item.Kind.BULLET_LIST and isinstance(value.value, list):
                value.value = [planted(line, n_value) for line in value.value]
            elif item.kind in {Item.Kind.SHORT_TEXT, Item.Kind.LONG_TEXT} and value.value:
                value.value = planted(value.value, n_value)
            value.save(update_fields=["value"])

    # Survey options and the answers that name them; session topics.
    n_survey = number(SURVEY_OPTIONS)
    for question in survey_models.SurveyQuestion.objects.filter(organization__in=org_ids):
        options = {o: planted(o, n_survey) for o in question.options}
        if not options:
            continue
        question.options = list(options.values())
        question.save(update_fields=["options"])
        for answer in survey_models.Answer.objects.filter(question=question).exclude(option=""):
            answer.option = options.get(answer.option, answer.option)
            answer.save(update_fields=["option"])
    n_topic = number(SESSION_TOPICS)
    for session in session_models.Session.objects.filter(organization__in=org_ids):
        if session.topics:
            session.topics = [planted(topic, n_topic) for topic in session.topics]
            session.save(update_fields=["topics"])
    return numbered


def test_what_people_write_comes_back_escaped_on_every_page(client):
    with scopes_disabled():
        demo_load()
        orgs = list(Organization.objects.filter(slug__in=WALKED))
        for org in orgs:
            add_what_the_demo_lacks(org)
        numbered = plant_everything(orgs)
        people = {org.slug: walkers(org, [m for m, _f in TEXT_FIELDS]) for org in orgs}
    pages = []  # (who, where, html)
    for slug, users in people.items():
        for user in users:
            client.force_login(user)
            pages += [(user.email, path, html) for path, html in walk(client, slug).items()]
            client.logout()
    # The signed PDF is HTML first (WeasyPrint prints it): its audit page shows each
    # signature's typed name and user agent.
    with scopes_disabled():
        for agreement in agreement_models.Agreement.objects.filter(
            organization__in=orgs, status="signed"
        ):
            pages.append(("PDF", f"agreement {agreement.pk}", agreement_html(agreement)))
    shown, offending = set(), []
    for who, where, html in pages:
        if RAW.search(html):
            fields = sorted({numbered[int(n)] for n in RAW_SCRIPT.findall(html)})
            offending.append(f"{who} {where}: {fields or RAW.search(html).group()}")
        shown |= {int(n) for n in SEEN.findall(html)}
    assert not offending, "\n".join(offending)
    missing = {numbered[n] for n in numbered if n not in shown} - set(NOT_SHOWN)
    assert not missing, f"planted but never seen on a page: {sorted(missing)}"
