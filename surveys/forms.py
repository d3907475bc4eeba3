"""Forms for surveys. They parse and present; the services check the rules."""

from django import forms
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from .models import RATING_HIGH, RATING_LOW
from .models import SurveyQuestion as Question

DATE_FORMAT = "%Y-%m-%d"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format=DATE_FORMAT, **kwargs)


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    intro = forms.CharField(
        label=_("Introduction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Optional. Shown above the questions: what the survey is for, how long it takes."
        ),
    )
    closes_on = forms.DateField(
        label=_("Last day to answer"),
        required=False,
        widget=DateInput(),
        help_text=_("Optional. You can also close the survey by hand."),
    )


class SurveyCreateForm(SurveyForm):
    starter = forms.BooleanField(
        label=_("Start with the suggested debrief questions"),
        required=False,
        initial=True,
        help_text=_(
            "Two ratings, how often the pair met, what helped, what to change, and whether "
            "they would take part again. You can edit, reorder or remove each one."
        ),
    )


# What each kind of question is for, on the kind picker and the question form.
KIND_HELP = {
    Question.Kind.RATING: _("A number from 1 to 5, e.g. how useful something was."),
    Question.Kind.SINGLE: _("One answer among options you list."),
    Question.Kind.MULTIPLE: _("Any number of answers among options you list."),
    Question.Kind.SHORT_TEXT: _("A line of text."),
    Question.Kind.LONG_TEXT: _("A few sentences or more, in their own words."),
}


class QuestionForm(forms.Form):
    """One question; which fields it has depends on the kind."""

    label = forms.CharField(label=_("Question"), max_length=300)
    help_text = forms.CharField(
        label=_("Help text"),
        max_length=500,
        required=False,
        help_text=_("Optional. Shown under the question."),
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False, initial=True)
    options = forms.CharField(
        label=_("Options"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One option per line."),
    )
    low_label = forms.CharField(
        label=_("What 1 means"), max_length=100, required=False, help_text=_("Optional.")
    )
    high_label = forms.CharField(
        label=_("What 5 means"), max_length=100, required=False, help_text=_("Optional.")
    )

    def __init__(self, *args, kind, **kwargs):
        self.kind = kind
        super().__init__(*args, **kwargs)
        if kind not in Question.WITH_OPTIONS:
            del self.fields["options"]
        if kind != Question.Kind.RATING:
            del self.fields["low_label"], self.fields["high_label"]

    @staticmethod
    def initial_for(question):
        return {
            "label": question.label,
            "help_text": question.help_text,
            "required": question.required,
            "options": "\n".join(question.options),
            "low_label": question.low_label,
            "high_label": question.high_label,
        }

    def service_fields(self):
        data = self.cleaned_data
        fields = {name: data[name] for name in ("label", "help_text", "required")}
        if "options" in self.fields:
            fields["options"] = [line.strip() for line in data["options"].splitlines()]
        if "low_label" in self.fields:
            fields["low_label"], fields["high_label"] = data["low_label"], data["high_label"]
        return fields


def field_name(question):
    return f"q{question.pk}"


ERRORS = {
    "required": _("This question needs an answer."),
    "invalid_choice": _("Choose among the options shown."),
}


def _field_for(question):
    # The page's form is `novalidate`: these messages, not the browser's, say what is missing.
    common = {
        "label": question.label,
        # A coordinator wrote it: escaped here as well as in our help-text template, so
        # Django's own form templates (they print `help_text|safe`) cannot run it as HTML.
        "help_text": escape(question.help_text),
        "required": question.required,
        "error_messages": ERRORS,
    }
    if question.is_rating:
        labels = {RATING_LOW: question.low_label, RATING_HIGH: question.high_label}
        choices = [
            (str(n), f"{n} – {labels[n]}" if labels.get(n) else str(n))
            for n in range(RATING_LOW, RATING_HIGH + 1)
        ]
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if question.kind == Question.Kind.MULTIPLE:
        return forms.MultipleChoiceField(
            choices=[(o, o) for o in question.options],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    if question.kind == Question.Kind.SINGLE:
        return forms.ChoiceField(
            choices=[(o, o) for o in question.options], widget=forms.RadioSelect, **common
        )
    if question.kind == Question.Kind.LONG_TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), **common)
    return forms.CharField(max_length=300, **common)


class AnswerForm(forms.Form):
    """One field per question. The service checks the values again (it is the rule); its
    errors, keyed by question id, come back next to the question."""

    def __init__(self, *args, questions, **kwargs):
        self.questions = list(questions)
        super().__init__(*args, **kwargs)
        for question in self.questions:
            self.fields[field_name(question)] = _field_for(question)

    def raw_answers(self):
        """{question id as text: submitted value} for the service to check."""
        data = {}
        for question in self.questions:
            name = field_name(question)
            if question.kind == Question.Kind.MULTIPLE:
                data[str(question.pk)] = self.data.getlist(name)
            else:
                data[str(question.pk)] = self.data.get(name, "")
        return data

    def add_service_errors(self, error_dict):
        for question in self.questions:
            for message in error_dict.get(str(question.pk), []):
                self.add_error(field_name(question), message)
