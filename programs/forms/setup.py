"""Forms for setting a program up. They parse and present; the services check the rules.

A bound ModelForm writes the cleaned values onto its instance, so views give these
forms a copy of the stored object (`detached`) and pass `cleaned_data` to a service.
"""

import copy
import json

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from ..models import Program, ProgramEvent, Question, Resource
from ..services.setup import MAX_RESOURCE_BYTES, PROGRAM_FIELDS

DATE_FORMAT = "%Y-%m-%d"
DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def detached(instance):
    """A copy of a model instance for a bound ModelForm to write on."""
    return copy.copy(instance)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format=DATE_FORMAT, **kwargs)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_LOCAL_FORMAT, **kwargs)


def _weight_input():
    return forms.NumberInput(attrs={"min": 0, "max": 10, "step": 1})


def _check_term(form, start_field="term_start", end_field="term_end"):
    start, end = form.cleaned_data.get(start_field), form.cleaned_data.get(end_field)
    if start and end and end < start:
        form.add_error(end_field, _("The term cannot end before it starts."))


class ProgramForm(forms.ModelForm):
    # Groups of fields, each shown in its own fieldset with this legend.
    SECTIONS = (
        (_("The program"), ("name", "description", "format")),
        (
            _("Term and rhythm"),
            (
                "term_start",
                "term_end",
                "cadence_days",
                "session_minutes",
                "min_minutes_each",
                "circle_size",
            ),
        ),
        (
            _("Pairing rules"),
            ("different_group", "cross_community", "previous_partners", "seniority_rule"),
        ),
        (
            _("What matters most when pairing (0 = ignore, 10 = most)"),
            (
                "weight_traits",
                "weight_goals",
                "weight_roles",
                "weight_preferences",
                "weight_seniority",
            ),
        ),
        (_("Applications"), ("open_link_enabled",)),
        (
            _("Sessions"),
            ("session_topics", "first_session_checklist", "session_preparation"),
        ),
        (_("Opting out"), ("opt_out_notice_to_team",)),
    )

    class Meta:
        model = Program
        fields = PROGRAM_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "session_topics": forms.Textarea(attrs={"rows": 5}),
            "format": forms.RadioSelect,
            "term_start": DateInput(),
            "term_end": DateInput(),
            "session_minutes": forms.NumberInput(attrs={"min": 10, "max": 600, "step": 5}),
            "min_minutes_each": forms.NumberInput(attrs={"min": 0, "max": 300, "step": 5}),
            "circle_size": forms.NumberInput(attrs={"min": 3, "max": 8}),
            "weight_traits": _weight_input(),
            "weight_goals": _weight_input(),
            "weight_roles": _weight_input(),
            "weight_preferences": _weight_input(),
            "weight_seniority": _weight_input(),
        }
        help_texts = {
            "description": _("Shown to participants on the program page."),
            "cadence_days": _("How often pairs or circles are expected to meet."),
            "session_minutes": _("How long one session usually lasts."),
            "circle_size": _(
                "Only used by circles: the size to aim for (3 to 8); pairs ignore it."
            ),
            "different_group": _(
                "A hard rule: never pair two people from the same group. For circles every "
                "member must then come from a different group, so three groups allow circles "
                "of three at most; circles usually leave it off."
            ),
            "previous_partners": _(
                "A hard rule. Circles that meet again term after term can allow it, or keep "
                "apart only people who were together in this program (after an opt-out)."
            ),
            "cross_community": _(
                "A hard rule: partners come from different communities. Name each group's "
                "community on the application form's group question."
            ),
            "seniority_rule": _("A preference, weighted below."),
            "weight_traits": _(
                "Following each trait's preference for similar or different answers. "
                "“Never at the same extreme” is a hard rule, not weighted."
            ),
            "weight_goals": _("One person's improvement priorities meet the other's strengths."),
            "weight_roles": _(
                "One-way pairs: someone who wants to coach with someone who wants to be coached."
            ),
            "weight_preferences": _("Meeting modality and time of day in common."),
            "weight_seniority": _("How strongly to follow the role-level preference above."),
        }

    # The rules a new program starts with, by format: circles mix groups and may meet
    # former members again in a new term (the seeds' circle handout runs term after term).
    FORMAT_DEFAULTS = {
        Program.Format.ONE_WAY: {"different_group": True, "previous_partners": "any"},
        Program.Format.RECIPROCAL: {"different_group": True, "previous_partners": "any"},
        Program.Format.CIRCLE: {"different_group": False, "previous_partners": "program"},
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["format"].choices = Program.Format.choices  # no empty choice
        self.fields["previous_partners"].widget = forms.RadioSelect(
            choices=Program.PreviousPartners.choices
        )
        # A post from an older page (or a script) without the field keeps the setting.
        self.fields["previous_partners"].required = False
        self.is_new = self.instance.pk is None
        if self.is_new and not self.is_bound:
            fmt = self.initial.get("format")
            self.initial.update(self.FORMAT_DEFAULTS.get(fmt, {}))

    def format_defaults_json(self):
        """For the new-program page: the script there applies a format's rule defaults
        when the format is picked, to the rules the coordinator has not touched."""
        return json.dumps({str(k): v for k, v in self.FORMAT_DEFAULTS.items()})

    # Short inputs share a row on wide screens.
    HALF_WIDTH = frozenset(
        {
            "term_start",
            "term_end",
            "cadence_days",
            "session_minutes",
            "min_minutes_each",
            "circle_size",
            "weight_traits",
            "weight_goals",
            "weight_roles",
            "weight_preferences",
            "weight_seniority",
        }
    )

    def sections(self):
        """[(legend, [(bound field, column class)])] in the order of SECTIONS."""
        return [
            (legend, [(self[n], "col-md-6" if n in self.HALF_WIDTH else "col-12") for n in names])
            for legend, names in self.SECTIONS
        ]

    def clean(self):
        data = super().clean()
        _check_term(self)
        if not data.get("previous_partners"):
            data["previous_partners"] = (
                self.instance.previous_partners or Program.PreviousPartners.ANY
            )
        return data


class ProgramCopyForm(forms.Form):
    name = forms.CharField(label=_("Name of the copy"), max_length=200)
    term_start = forms.DateField(label=_("Term starts"), widget=DateInput())
    term_end = forms.DateField(label=_("Term ends"), widget=DateInput())

    def clean(self):
        data = super().clean()
        _check_term(self)
        return data


class EventForm(forms.ModelForm):
    class Meta:
        model = ProgramEvent
        fields = ("kind", "title", "starts_at", "duration_minutes", "location", "description")
        widgets = {
            "starts_at": DateTimeLocalInput(),
            "duration_minutes": forms.NumberInput(attrs={"min": 5, "step": 5}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].input_formats = [DATETIME_LOCAL_FORMAT, "%Y-%m-%d %H:%M"]


class ResourceForm(forms.ModelForm):
    class Meta:
        model = Resource
        fields = ("kind", "title", "body", "file")
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}
        help_texts = {"file": _("Optional. Up to 10 MB; members download it from the program.")}

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile) and upload.size > MAX_RESOURCE_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload

    def clean(self):
        data = super().clean()
        if "body" in data and "file" in data and not data["body"].strip() and not data["file"]:
            raise forms.ValidationError(_("Give the resource a text, a file, or both."))
        return data

    def service_fields(self):
        """cleaned_data for the resource services: `file` is an upload, False (remove) or
        None (keep what is there)."""
        data = dict(self.cleaned_data)
        if not isinstance(data.get("file"), UploadedFile) and data.get("file") is not False:
            data["file"] = None
        return data


# What each kind of question is for, shown in the kind picker and on the question form.
KIND_HELP = {
    Question.Kind.GROUP: _(
        "Where someone works: department, school, team or community. Used by the "
        "different-group and cross-community rules."
    ),
    Question.Kind.ROLE_LEVEL: _(
        "Seniority, with the options in order. Used by the role-level preference."
    ),
    Question.Kind.TRAIT: _(
        "A work-personality trait, as a scale or a choice, with a rule for pairing."
    ),
    Question.Kind.PRIORITIES: _(
        "What someone wants to improve (several answers), matched with what others offer."
    ),
    Question.Kind.STRENGTHS: _("What someone can help a peer with (several answers)."),
    Question.Kind.GOALS: _("Their goals for the term, in their own words."),
    Question.Kind.PREFERRED_ROLE: _("Coach, coachee, or either (fixed options)."),
    Question.Kind.MODALITY: _("How they like to meet (several answers); shared ones score."),
    Question.Kind.TIME_OF_DAY: _("When they like to meet (several answers); shared ones score."),
    Question.Kind.TEXT: _("Any other question with a written answer; not used in pairing."),
    Question.Kind.CHOICE: _("Any other single-choice question; not used in pairing."),
}


class QuestionKindForm(forms.Form):
    """The kind picker (GET): only kinds the form may still take."""

    kind = forms.ChoiceField(label=_("Kind of question"))

    def __init__(self, *args, taken=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (value, label)
            for value, label in Question.Kind.choices
            if not (value in Question.SINGLETONS and value in taken)
        ]


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class QuestionForm(forms.Form):
    """One question; which fields it has depends on the kind."""

    SCALE, CHOICE = "scale", "choice"

    label = forms.CharField(label=_("Question"), max_length=300)
    help_text = forms.CharField(
        label=_("Help text"),
        max_length=500,
        required=False,
        help_text=_("Optional. Shown under the question."),
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False, initial=True)
    trait_type = forms.ChoiceField(
        label=_("Answered as"),
        choices=[(SCALE, _("A scale")), (CHOICE, _("A choice among options"))],
        initial=SCALE,
        widget=forms.RadioSelect,
    )
    options = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One option per line."),
    )
    scale_low = forms.IntegerField(label=_("Scale from"), initial=1, min_value=-100, max_value=100)
    scale_high = forms.IntegerField(label=_("Scale to"), initial=5, min_value=-100, max_value=100)
    scale_low_label = forms.CharField(
        label=_("What the lowest point means"), max_length=100, required=False
    )
    scale_high_label = forms.CharField(
        label=_("What the highest point means"), max_length=100, required=False
    )
    trait_rule = forms.ChoiceField(
        label=_("Pairing rule"),
        choices=Question.TraitRule.choices,
        initial=Question.TraitRule.SIMILAR,
        widget=forms.RadioSelect,
        help_text=_(
            "Similar and different answers are preferences, weighted with the other traits. "
            "“Never at the same extreme” is a hard rule: two people who both chose the lowest "
            "or both the highest answer are not paired, nor put in one circle, as long as "
            "another arrangement leaves nobody waiting. Only when it would, the rule gives "
            "way, and the pairing page flags that pair."
        ),
    )

    TRAIT_FIELDS = (
        "trait_type",
        "scale_low",
        "scale_high",
        "scale_low_label",
        "scale_high_label",
        "trait_rule",
    )

    def __init__(self, *args, kind, **kwargs):
        self.kind = kind
        super().__init__(*args, **kwargs)
        if kind != Question.Kind.TRAIT:
            for name in self.TRAIT_FIELDS:
                del self.fields[name]
        if kind not in Question.WITH_OPTIONS and kind != Question.Kind.TRAIT:
            del self.fields["options"]
        elif kind == Question.Kind.GROUP:
            self.fields["options"].label = _("Groups")
            self.fields["options"].help_text = _(
                "One group per line. To say which community a group belongs to, write "
                "“Group | Community”, e.g. “Physics | Faculty”."
            )
        elif kind == Question.Kind.ROLE_LEVEL:
            self.fields["options"].help_text = _(
                "One level per line, in order of seniority (most senior first or last)."
            )
        elif kind == Question.Kind.TRAIT:
            self.fields["options"].help_text = _(
                "Only for a choice: one option per line. The first and last count as the extremes."
            )

    @classmethod
    def initial_for(cls, question):
        initial = {
            "label": question.label,
            "help_text": question.help_text,
            "required": question.required,
            "scale_low": question.scale_low,
            "scale_high": question.scale_high,
            "scale_low_label": question.scale_low_label,
            "scale_high_label": question.scale_high_label,
            "trait_rule": question.trait_rule or Question.TraitRule.SIMILAR,
            "trait_type": cls.SCALE if question.is_scale else cls.CHOICE,
        }
        lines = []
        for option in question.options:
            community = question.communities.get(option)
            lines.append(f"{option} | {community}" if community else option)
        initial["options"] = "\n".join(lines)
        return initial

    def service_fields(self):
        """cleaned_data as the question services take it."""
        data = self.cleaned_data
        fields = {
            "label": data["label"],
            "help_text": data["help_text"],
            "required": data["required"],
        }
        options, communities = [], {}
        for line in _lines(data.get("options")):
            if self.kind == Question.Kind.GROUP and "|" in line:
                option, _sep, community = (part.strip() for part in line.partition("|"))
                if community:
                    communities[option] = community
                line = option
            options.append(line)
        is_scale = self.kind == Question.Kind.TRAIT and data.get("trait_type") == self.SCALE
        fields["options"] = [] if is_scale else options
        fields["communities"] = communities
        if self.kind == Question.Kind.TRAIT:
            for name in self.TRAIT_FIELDS[1:]:
                fields[name] = data[name]
        return fields
