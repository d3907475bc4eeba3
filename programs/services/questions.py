"""Writes for a program's application form: its questions, their order, the standard set.

Same conventions as `setup`: keyword arguments, input checked here, and a
ValidationError keyed by the form's field name when the request cannot be honoured.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Application, Program, Question

QUESTION_FIELDS = (
    "label",
    "help_text",
    "required",
    "options",
    "communities",
    "scale_low",
    "scale_high",
    "scale_low_label",
    "scale_high_label",
    "trait_rule",
)
# Every column of a question that a copy carries over (kind and position included).
QUESTION_COPY_FIELDS = ("kind", "position", *QUESTION_FIELDS)

MAX_OPTIONS = 100
MAX_OPTION_LENGTH = 200  # Application.group and .role_level hold one option
MAX_SCALE_POINTS = 10


def _only(fields, allowed, what):
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"{what} got unexpected fields: {', '.join(sorted(unknown))}")


# --- Application form --------------------------------------------------------------------


def _distinct_options(options, field="options"):
    cleaned, seen = [], set()
    for option in options:
        option = " ".join(str(option).split())
        if not option:
            continue
        if len(option) > MAX_OPTION_LENGTH:
            raise ValidationError(
                {
                    field: _("“%(option)s…” is longer than %(n)d characters.")
                    % {"option": option[:40], "n": MAX_OPTION_LENGTH}
                }
            )
        if option.casefold() in seen:
            raise ValidationError({field: _("“%(option)s” is listed twice.") % {"option": option}})
        seen.add(option.casefold())
        cleaned.append(option)
    if len(cleaned) > MAX_OPTIONS:
        raise ValidationError({field: _("List at most %(n)d options.") % {"n": MAX_OPTIONS}})
    return cleaned


def _question_check(question):
    """Normalise and validate `question` in place for its kind; raises ValidationError."""
    kind = question.kind
    if kind not in Question.Kind.values:
        raise ValidationError(_("Choose a known kind of question."))
    question.label = (question.label or "").strip()
    if not question.label:
        raise ValidationError({"label": _("Write the question.")})

    if kind in Question.SINGLETONS:
        taken = Question.objects.filter(
            organization=question.organization, program=question.program, kind=kind
        ).exclude(pk=question.pk)
        if taken.exists():
            raise ValidationError(
                _("This form already has a %(kind)s question.")
                % {"kind": Question.Kind(kind).label}
            )

    is_scale_trait = kind == Question.Kind.TRAIT and not question.options
    if kind in Question.WITH_OPTIONS or (kind == Question.Kind.TRAIT and not is_scale_trait):
        question.options = _distinct_options(question.options or [])
        if len(question.options) < 2:
            raise ValidationError({"options": _("List at least two different options.")})
    else:
        # Free text, goals and scales have no options; preferred role has fixed ones.
        question.options = []

    if kind == Question.Kind.GROUP:
        communities = {}
        for option, community in (question.communities or {}).items():
            community = " ".join(str(community).split())
            if option in question.options and community:
                if len(community) > MAX_OPTION_LENGTH:
                    raise ValidationError(
                        {"options": _("A community name is longer than 200 characters.")}
                    )
                communities[option] = community
        question.communities = communities
    else:
        question.communities = {}

    if kind == Question.Kind.TRAIT:
        if is_scale_trait:
            if question.scale_low is None or question.scale_high is None:
                raise ValidationError({"scale_high": _("Give both ends of the scale.")})
            if question.scale_low >= question.scale_high:
                raise ValidationError(
                    {"scale_high": _("The top of the scale must be above its bottom.")}
                )
            if question.scale_high - question.scale_low + 1 > MAX_SCALE_POINTS:
                raise ValidationError(
                    {
                        "scale_high": _("A scale has at most %(n)d points, e.g. 1 to %(n)d.")
                        % {"n": MAX_SCALE_POINTS}
                    }
                )
        if question.trait_rule not in Question.TraitRule.values:
            raise ValidationError({"trait_rule": _("Choose how this trait is used in pairing.")})
    else:
        question.scale_low, question.scale_high = 1, 5
        question.scale_low_label = question.scale_high_label = ""
        question.trait_rule = ""
    question.full_clean(exclude=["organization", "program", "position"], validate_constraints=False)


def question_create(*, program, kind, **fields):
    """Add a question of `kind` at the end of `program`'s application form.

    Checks the rules of its kind: the kinds the matcher reads once (Question.SINGLETONS)
    appear at most once per form; choice kinds need at least two distinct options (blank
    lines and surrounding spaces ignored); a group's `communities` keeps only listed
    groups; a scale trait has bottom < top and at most 10 points, a choice trait two or
    more options; preferred role has fixed options. Raises ValidationError otherwise.
    The row lock on the program keeps two simultaneous additions from both passing the
    one-per-form check.
    """
    _only(fields, QUESTION_FIELDS, "question_create")
    with transaction.atomic():
        Program.objects.select_for_update().filter(
            organization=program.organization, pk=program.pk
        ).first()
        last = Question.objects.filter(organization=program.organization, program=program)
        position = (last.aggregate(m=Max("position"))["m"] or 0) + 1
        question = Question(
            organization=program.organization,
            program=program,
            kind=kind,
            position=position,
            **fields,
        )
        _question_check(question)
        question.save()
    return question


def question_update(*, question, **fields):
    """Change a question's wording, options, scale or rule; its kind stays.

    Same rules as `question_create`. Answers already given are kept as they are.
    """
    _only(fields, QUESTION_FIELDS, "question_update")
    for name, value in fields.items():
        setattr(question, name, value)
    _question_check(question)
    question.save()
    return question


def question_delete(*, question):
    """Remove a question from the form.

    Raises ValidationError once anyone has applied to the program: their answers to it
    would be lost. Coordinators can make the question optional instead.
    """
    if Application.objects.filter(
        organization=question.organization, program_id=question.program_id
    ).exists():
        raise ValidationError(
            _(
                "People have already applied, and their answers to this question would be "
                "lost. Make it optional instead."
            )
        )
    question.delete()


def question_move(*, question, direction):
    """Swap `question` with its neighbour above (`direction="up"`) or below ("down").

    Renumbers the whole form 1..n on the way, so positions stay distinct even after
    copies or deletions. Moving the first question up or the last down changes nothing.
    Raises ValidationError for another direction.
    """
    if direction not in {"up", "down"}:
        raise ValidationError(_("Move a question up or down."))
    with transaction.atomic():
        questions = list(
            Question.objects.select_for_update()
            .filter(organization=question.organization, program_id=question.program_id)
            .order_by("position", "id")
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


# The standard application form, in our own words. The group options are placeholders
# the coordinator replaces (the form builder says so while they are there).
STARTER_GROUPS = (gettext_lazy("Group A"), gettext_lazy("Group B"), gettext_lazy("Group C"))


def example_groups():
    """The example group names in every language: a form is built in its coordinator's."""
    names = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.update(str(group) for group in STARTER_GROUPS)
    return names


PRIORITY_OPTIONS = (
    gettext_lazy("Performance goals"),
    gettext_lazy("Managing people"),
    gettext_lazy("Career development"),
    gettext_lazy("Communication"),
    gettext_lazy("Work-life balance"),
    gettext_lazy("Technical growth"),
    gettext_lazy("Leading change"),
    gettext_lazy("Delegation"),
)


def _starter_questions():
    kind, rule = Question.Kind, Question.TraitRule
    return [
        {
            "kind": kind.GROUP,
            "label": _("Which group do you work in?"),
            "help_text": _("Your department, school, team or community."),
            "options": [str(group) for group in STARTER_GROUPS],
        },
        {
            "kind": kind.ROLE_LEVEL,
            "label": _("Which best describes your role?"),
            "help_text": _("Listed from most to least senior."),
            # The order is the seniority scale the matcher reads: most senior first.
            "options": [
                _("Administrator"),
                _("Manager"),
                _("Technical lead"),
                _("Individual contributor"),
            ],
        },
        {
            "kind": kind.TRAIT,
            "label": _("How do you prefer to make decisions?"),
            "scale_low_label": _("Quickly, adjusting as I go"),
            "scale_high_label": _("Deliberately, after weighing options"),
            "trait_rule": rule.SIMILAR,
        },
        {
            "kind": kind.TRAIT,
            "label": _("How much structure do you like in your work?"),
            "scale_low_label": _("Little: I improvise"),
            "scale_high_label": _("A lot: plans and checklists"),
            "trait_rule": rule.AVOID_BOTH_EXTREME,
        },
        {
            "kind": kind.TRAIT,
            "label": _("Do you lead with people or with tasks?"),
            "scale_low_label": _("People first"),
            "scale_high_label": _("Tasks first"),
            "trait_rule": rule.DIFFERENT,
        },
        {
            "kind": kind.PRIORITIES,
            "label": _("What would you most like to get better at?"),
            "help_text": _("Choose all that apply."),
            "options": [str(option) for option in PRIORITY_OPTIONS],
        },
        {
            "kind": kind.STRENGTHS,
            "label": _("What could you help a peer with?"),
            "help_text": _("Choose all that apply."),
            "options": [str(option) for option in PRIORITY_OPTIONS],
        },
        {
            "kind": kind.GOALS,
            "label": _("What do you hope to gain from peer coaching this term?"),
            "help_text": _("A few sentences are enough."),
        },
        {
            "kind": kind.PREFERRED_ROLE,
            "label": _("Which role would you like to take?"),
            "help_text": _("In reciprocal pairs and circles everyone takes both roles in turn."),
        },
        {
            "kind": kind.MODALITY,
            "label": _("How would you like to meet?"),
            "help_text": _("Choose all that work for you."),
            "options": [_("In person"), _("Microsoft Teams"), _("Zoom"), _("WeChat"), _("Phone")],
        },
        {
            "kind": kind.TIME_OF_DAY,
            "label": _("When do you prefer to meet?"),
            "help_text": _("Choose all that work for you."),
            "options": [
                _("Early morning"),
                _("Morning"),
                _("Lunchtime"),
                _("Afternoon"),
                _("Evening"),
            ],
            "required": False,
        },
    ]


def program_form_starter(*, program):
    """Fill an empty application form with the standard questions (all or nothing).

    Group, role level, three work-personality traits with their pairing rules,
    improvement priorities, strengths, goals, preferred role, meeting modality and time
    of day; the coordinator edits them afterwards. Raises ValidationError when the form
    already has questions, so a double click never adds them twice.
    """
    with transaction.atomic():
        Program.objects.select_for_update().filter(
            organization=program.organization, pk=program.pk
        ).first()
        if Question.objects.filter(organization=program.organization, program=program).exists():
            raise ValidationError(
                _("The form already has questions; add the ones you need one by one.")
            )
        questions = []
        for position, spec in enumerate(_starter_questions(), start=1):
            question = Question(
                organization=program.organization, program=program, position=position, **spec
            )
            _question_check(question)
            questions.append(question)
        Question.objects.bulk_create(questions)
    return questions
