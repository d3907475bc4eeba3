"""Writes for debrief surveys: building one, sending it, closing it, answering it.

Every service takes keyword arguments, checks its input itself (the forms only parse),
writes in one transaction, and raises `SurveyError` (a ValidationError, keyed by the
form's field name where one field is at fault) with a message fit for the page when the
request cannot be honoured.

Questions change only while the survey is a draft: once it is sent, every answer was
given to the same questions. Sending is idempotent per person: `Recipient` records who
was emailed, under a lock on the survey row, and the unique constraint backs it.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peercoach.audit.models import Action
from peercoach.audit.services import audit_record
from peercoach.notifications.services import message_queue
from peercoach.tenancy.languages import override_for
from peercoach.web.urls import absolute_url

from .models import RATING_HIGH, RATING_LOW, Answer, Recipient, Response, Survey
from .models import SurveyQuestion as Question
from .selectors import eligible_users, is_eligible

SURVEY_FIELDS = ("title", "intro", "closes_on")
QUESTION_FIELDS = ("label", "help_text", "required", "options", "low_label", "high_label")
MAX_QUESTIONS = 50
MAX_OPTIONS = 30
MAX_OPTION_LENGTH = 200  # Answer.option
MAX_TEXT = {Question.Kind.SHORT_TEXT: 300, Question.Kind.LONG_TEXT: 5000}


class SurveyError(ValidationError):
    pass


def _only(fields, allowed, what):
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"{what} got unexpected fields: {', '.join(sorted(unknown))}")


def _locked(survey):
    """A fresh copy of the survey's row, locked until the transaction ends."""
    locked = Survey.objects.select_for_update().get(organization=survey.organization, pk=survey.pk)
    locked.organization = survey.organization
    return locked


def _refresh(survey, locked, *names):
    for name in names:
        setattr(survey, name, getattr(locked, name))


# --- The survey --------------------------------------------------------------------------


def _survey_check(survey, *, previous_closes_on=None):
    survey.title = " ".join((survey.title or "").split())
    if not survey.title:
        raise SurveyError({"title": _("Give the survey a title.")})
    survey.intro = (survey.intro or "").strip()
    moved = survey.closes_on != previous_closes_on
    if moved and survey.closes_on is not None and survey.closes_on < survey.local_today():
        raise SurveyError({"closes_on": _("The last day to answer cannot be in the past.")})
    survey.full_clean(exclude=["organization", "program", "created_by"], validate_constraints=False)


# The suggested debrief questions, in our own words (seed 002: "debrief their coaching
# experience and provide feedback to improve the program").
STARTER_QUESTIONS = (
    {
        "kind": Question.Kind.RATING,
        "label": gettext_lazy("Overall, how useful was peer coaching for you this term?"),
        "low_label": gettext_lazy("Not useful"),
        "high_label": gettext_lazy("Very useful"),
    },
    {
        "kind": Question.Kind.RATING,
        "label": gettext_lazy("How well did the partnership work for both of you?"),
        "low_label": gettext_lazy("Not well"),
        "high_label": gettext_lazy("Very well"),
    },
    {
        "kind": Question.Kind.SINGLE,
        "label": gettext_lazy("How often did you meet, in the end?"),
        "options": [
            gettext_lazy("Every week or two"),
            gettext_lazy("About once a month"),
            gettext_lazy("Less often"),
            gettext_lazy("We did not meet"),
        ],
    },
    {
        "kind": Question.Kind.MULTIPLE,
        "label": gettext_lazy("What helped the most?"),
        "help_text": gettext_lazy("Tick all that apply."),
        "options": [
            gettext_lazy("The coaching agreement"),
            gettext_lazy("Meeting regularly"),
            gettext_lazy("The question banks and guides"),
            gettext_lazy("The group meetings"),
            gettext_lazy("Reminders"),
        ],
        "required": False,
    },
    {
        "kind": Question.Kind.LONG_TEXT,
        "label": gettext_lazy("What should we change for the next round?"),
        "required": False,
    },
    {
        "kind": Question.Kind.SINGLE,
        "label": gettext_lazy("Would you take part again?"),
        "options": [gettext_lazy("Yes"), gettext_lazy("Maybe"), gettext_lazy("No")],
    },
)


def _in_active_language(spec):
    """A starter question's texts (gettext_lazy) as the active language says them."""
    return {
        key: [str(option) for option in value] if key == "options" else value
        for key, value in spec.items()
    } | {key: str(value) for key, value in spec.items() if isinstance(value, Promise)}


def survey_create(*, program, created_by, starter=False, **fields):
    """Create a draft survey for `program` (fields from SURVEY_FIELDS).

    With `starter`, it comes with the suggested debrief questions, to edit. Raises
    SurveyError when the title is empty or the last day is in the past.
    """
    _only(fields, SURVEY_FIELDS, "survey_create")
    survey = Survey(
        organization=program.organization,
        program=program,
        created_by=created_by,
        status=Survey.Status.DRAFT,
        **fields,
    )
    _survey_check(survey)
    with transaction.atomic():
        survey.save()
        if starter:
            questions = []
            for position, spec in enumerate(STARTER_QUESTIONS, start=1):
                question = Question(
                    organization=survey.organization,
                    survey=survey,
                    position=position,
                    **_in_active_language(spec),
                )
                _question_check(question)
                questions.append(question)
            Question.objects.bulk_create(questions)
    return survey


def survey_update(*, survey, **fields):
    """Change the title, introduction or last day, until the survey is closed.

    Raises SurveyError for a closed survey and for invalid values (a last day moved into
    the past included).
    """
    _only(fields, SURVEY_FIELDS, "survey_update")
    with transaction.atomic():
        locked = _locked(survey)
        if locked.status == Survey.Status.CLOSED:
            raise SurveyError(_("This survey is closed; it can no longer be changed."))
        previous_closes_on = locked.closes_on
        for name, value in fields.items():
            setattr(locked, name, value)
        # A last day already past may stay as it is; a new one cannot be in the past.
        _survey_check(locked, previous_closes_on=previous_closes_on)
        locked.save()
    _refresh(survey, locked, "title", "intro", "closes_on", "status")
    return survey


def survey_delete(*, survey):
    """Delete a draft survey with its questions. Raises SurveyError once it was sent:
    people's answers are never deleted from here."""
    with transaction.atomic():
        locked = _locked(survey)
        if not locked.is_draft:
            raise SurveyError(_("Only a draft can be deleted; close the survey instead."))
        locked.delete()


# --- Questions ---------------------------------------------------------------------------


def _draft_only(locked):
    if not locked.is_draft:
        raise SurveyError(_("This survey has been sent: its questions stay as people saw them."))


def _options(options):
    cleaned, seen = [], set()
    for option in options or []:
        option = " ".join(str(option).split())
        if not option:
            continue
        if len(option) > MAX_OPTION_LENGTH:
            raise SurveyError(
                {
                    "options": _("“%(option)s…” is longer than %(n)d characters.")
                    % {"option": option[:40], "n": MAX_OPTION_LENGTH}
                }
            )
        if option.casefold() in seen:
            raise SurveyError({"options": _("“%(option)s” is listed twice.") % {"option": option}})
        seen.add(option.casefold())
        cleaned.append(option)
    if len(cleaned) > MAX_OPTIONS:
        raise SurveyError({"options": _("List at most %(n)d options.") % {"n": MAX_OPTIONS}})
    return cleaned


def _question_check(question):
    """Normalise and validate `question` in place for its kind; raises SurveyError."""
    if question.kind not in Question.Kind.values:
        raise SurveyError(_("Choose a known kind of question."))
    question.label = " ".join((question.label or "").split())
    if not question.label:
        raise SurveyError({"label": _("Write the question.")})
    question.help_text = (question.help_text or "").strip()
    if question.has_options:
        question.options = _options(question.options)
        if len(question.options) < 2:
            raise SurveyError({"options": _("List at least two different options.")})
    else:
        question.options = []
    if question.is_rating:
        question.low_label = " ".join((question.low_label or "").split())
        question.high_label = " ".join((question.high_label or "").split())
    else:
        question.low_label = question.high_label = ""
    try:
        question.full_clean(
            exclude=["organization", "survey", "position"], validate_constraints=False
        )
    except ValidationError as exc:
        raise SurveyError(exc.message_dict) from None


def question_create(*, survey, kind, **fields):
    """Add a question of `kind` at the end of a draft survey.

    Choice questions need two distinct options or more (blank lines and spaces ignored,
    at most 30); ratings may name what 1 and 5 mean. Raises SurveyError otherwise, once
    the survey was sent, and beyond 50 questions.
    """
    _only(fields, QUESTION_FIELDS, "question_create")
    with transaction.atomic():
        locked = _locked(survey)
        _draft_only(locked)
        existing = Question.objects.filter(organization=survey.organization, survey=survey)
        if existing.count() >= MAX_QUESTIONS:
            raise SurveyError(_("A survey has at most %(n)d questions.") % {"n": MAX_QUESTIONS})
        position = (existing.aggregate(m=Max("position"))["m"] or 0) + 1
        question = Question(
            organization=survey.organization,
            survey=survey,
            kind=kind,
            position=position,
            **fields,
        )
        _question_check(question)
        question.save()
    return question


def question_update(*, question, **fields):
    """Change a question of a draft survey; its kind stays. Same rules as question_create."""
    _only(fields, QUESTION_FIELDS, "question_update")
    with transaction.atomic():
        _draft_only(_locked(question.survey))
        for name, value in fields.items():
            setattr(question, name, value)
        _question_check(question)
        question.save()
    return question


def question_delete(*, question):
    """Remove a question from a draft survey. Raises SurveyError once it was sent."""
    with transaction.atomic():
        _draft_only(_locked(question.survey))
        Question.objects.filter(organization=question.organization, pk=question.pk).delete()


def question_move(*, question, direction):
    """Swap a question of a draft survey with its neighbour above ("up") or below ("down").

    Renumbers the survey 1..n on the way. The first question moved up or the last moved
    down stays where it is. Raises SurveyError for another direction or a sent survey.
    """
    if direction not in {"up", "down"}:
        raise SurveyError(_("Move a question up or down."))
    with transaction.atomic():
        _draft_only(_locked(question.survey))
        questions = list(
            Question.objects.filter(
                organization=question.organization, survey=question.survey
            ).order_by("position", "id")
        )
        index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(questions):
            questions[index], questions[other] = questions[other], questions[index]
        changed = []
        for position, q in enumerate(questions, start=1):
            if q.position != position:
                q.position = position
                changed.append(q)
        Question.objects.bulk_update(changed, ["position"])
    return question


# --- Sending and closing -----------------------------------------------------------------


def survey_send(*, survey, request=None, actor=None):
    """Open the survey (a draft, or one already open) and email its link to each eligible
    person who was not emailed yet; returns how many were emailed now.

    Idempotent per person: a `Recipient` row is written for each person emailed, in the
    same transaction and under a lock on the survey, and the emails leave only when it
    commits; a second send reaches only people who became eligible since. The action is
    audited (Action.SURVEY_SENT) when the survey opens or someone new is emailed.

    Raises SurveyError for a closed survey, one without questions, one whose last day has
    passed, and a first send when nobody may answer yet.
    """
    with transaction.atomic():
        locked = _locked(survey)
        if locked.status == Survey.Status.CLOSED:
            raise SurveyError(_("This survey is closed."))
        if locked.past_closing_day:
            raise SurveyError(
                _("The last day to answer has passed. Move it later in the settings first.")
            )
        if not Question.objects.filter(organization=locked.organization, survey=locked).exists():
            raise SurveyError(_("Add at least one question before sending the survey."))
        program = survey.program
        people = list(eligible_users(program=program).order_by("pk"))
        if not people and locked.is_draft:
            raise SurveyError(
                _(
                    "Nobody can answer yet: the survey goes to the people who were in a "
                    "published pair or circle of this program."
                )
            )
        opening = locked.is_draft
        now = timezone.now()
        if opening:
            locked.status, locked.opened_at = Survey.Status.OPEN, now
            locked.save(update_fields=["status", "opened_at", "updated_at"])
        emailed = set(
            Recipient.objects.filter(organization=locked.organization, survey=locked).values_list(
                "user_id", flat=True
            )
        )
        new = [person for person in people if person.pk not in emailed]
        Recipient.objects.bulk_create(
            [
                Recipient(organization=locked.organization, survey=locked, user=person, sent_at=now)
                for person in new
            ]
        )
        for person in new:
            if person.email:
                _email_link(locked, program, person)
        if opening or new:
            audit_record(
                organization=locked.organization,
                action=Action.SURVEY_SENT,
                request=request,
                actor=actor,
                target=locked,
                program=program,
                summary=(
                    f"Debrief survey “{locked.title}” sent to {len(new)} "
                    f"{'person' if len(new) == 1 else 'people'}"
                ),
            )
    _refresh(survey, locked, "status", "opened_at")
    return len(new)


def _email_link(survey, program, person):
    url = absolute_url(
        reverse(
            "surveys:answer",
            kwargs={"org_slug": survey.organization.slug, "survey_pk": survey.pk},
        )
    )
    with override_for(person, survey.organization):  # the closing date, in their language
        message_queue(
            template="survey_invitation",
            to=[person],
            organization=survey.organization,
            key=f"survey:{survey.pk}",
            context={
                "first_name": person.first_name,
                "program_name": program.name,
                "survey_title": survey.title,
                "closes_on": date_format(survey.closes_on, "LONG_DATE_FORMAT")
                if survey.closes_on
                else "",
                "survey_url": url,
            },
        )


def survey_close(*, survey):
    """Close an open survey: no more answers. Idempotent for a closed one; raises
    SurveyError for a draft (delete it instead)."""
    with transaction.atomic():
        locked = _locked(survey)
        if locked.is_draft:
            raise SurveyError(_("This survey was never sent; there is nothing to close."))
        if locked.status == Survey.Status.OPEN:
            locked.status, locked.closed_at = Survey.Status.CLOSED, timezone.now()
            locked.save(update_fields=["status", "closed_at", "updated_at"])
    _refresh(survey, locked, "status", "closed_at")
    return survey


# --- Answering -----------------------------------------------------------------------------


def _answer_rows(question, value):
    """The Answer rows (unsaved, without response) for one question's raw value, or a
    message saying what is wrong with it."""
    if question.is_rating:
        value = (value or "").strip() if isinstance(value, str) else value
        if value in ("", None):
            return [], None
        try:
            rating = int(value)
        except (TypeError, ValueError):
            rating = None
        if rating is None or not RATING_LOW <= rating <= RATING_HIGH:
            return [], _("Choose a number from 1 to 5.")
        return [Answer(question=question, rating=rating)], None
    if question.has_options:
        chosen = value if isinstance(value, list | tuple) else ([value] if value else [])
        chosen = [c for c in (str(c).strip() for c in chosen) if c]
        if question.kind == Question.Kind.SINGLE and len(chosen) > 1:
            return [], _("Choose one answer.")
        unknown = [c for c in chosen if c not in question.options]
        if unknown:
            return [], _("Choose among the options shown.")
        return [Answer(question=question, option=c) for c in dict.fromkeys(chosen)], None
    text = (value or "").strip() if isinstance(value, str) else ""
    if len(text) > MAX_TEXT[question.kind]:
        return [], _("Keep it under %(n)d characters.") % {"n": MAX_TEXT[question.kind]}
    return ([Answer(question=question, text=text)] if text else []), None


def response_submit(*, survey, user, answers):
    """Record `user`'s answers to `survey`: `answers` maps a question's id (as text) to
    its raw value (text, or a list of options for "several choices").

    All or nothing, once per person. Raises SurveyError keyed by question id when an
    answer is missing or invalid; without key when the survey takes no answers (draft,
    closed, past its last day), the person may not answer it, or already has.
    """
    with transaction.atomic():
        locked = _locked(survey)
        if not locked.accepts_answers:
            raise SurveyError(_("This survey is closed: it no longer takes answers."))
        if not is_eligible(program=survey.program, user=user):
            raise SurveyError(_("This survey is for the people who were paired in its program."))
        if Response.objects.filter(
            organization=locked.organization, survey=locked, user=user
        ).exists():
            raise SurveyError(_("You have already answered this survey. Thank you!"))
        rows, errors = [], {}
        questions = Question.objects.filter(organization=locked.organization, survey=locked)
        for question in questions:
            key = str(question.pk)
            made, problem = _answer_rows(question, answers.get(key))
            if problem is None and question.required and not made:
                problem = _("This question needs an answer.")
            if problem is not None:
                errors[key] = [problem]
            rows.extend(made)
        if errors:
            raise SurveyError(errors)
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    organization=locked.organization, survey=locked, user=user
                )
        except IntegrityError:
            raise SurveyError(_("You have already answered this survey. Thank you!")) from None
        for row in rows:
            row.organization, row.survey, row.response = locked.organization, locked, response
        Answer.objects.bulk_create(rows)
    return response


def survey_texts_delete(*, user):
    """For account deletion: delete what the person wrote in surveys (text answers), in
    every organisation; their ratings and choices stay, as anonymous counts. Returns how
    many text answers were deleted. Runs in the caller's transaction and scope (the
    account deletion disables scopes)."""
    deleted, _by_model = Answer.objects.filter(response__user=user).exclude(text="").delete()
    return deleted
