"""The application form, built from the program's questions; and the small forms around it."""

from django import forms
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from ..models import Application, Question


def field_name(question):
    return f"q{question.pk}"


def _field_for(question):
    # `required` makes crispy draw the asterisk; the service checks the answers, and the
    # page's form is `novalidate`, so the browser does not refuse an empty one first.
    common = {
        "label": question.label,
        # A coordinator wrote it: escaped here as well as in our help-text template, so
        # Django's own form templates (they print `help_text|safe`) cannot run it as HTML.
        "help_text": escape(question.help_text),
        "required": question.required,
    }
    if question.kind == Question.Kind.PREFERRED_ROLE:
        return forms.ChoiceField(
            choices=Application.PreferredRole.choices, widget=forms.RadioSelect, **common
        )
    if question.is_multiple:
        return forms.MultipleChoiceField(
            choices=[(o, o) for o in question.options],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    if question.is_scale:
        steps = range(question.scale_low, question.scale_high + 1)
        labels = {
            question.scale_low: question.scale_low_label,
            question.scale_high: question.scale_high_label,
        }
        choices = [(str(n), f"{n} – {labels[n]}" if labels.get(n) else str(n)) for n in steps]
        return forms.ChoiceField(
            choices=choices, widget=forms.RadioSelect(attrs={"class": "pc-scale"}), **common
        )
    if question.options:
        widget = forms.RadioSelect if len(question.options) <= 6 else forms.Select
        choices = [(o, o) for o in question.options]
        if widget is forms.Select:
            choices = [("", _("Choose…")), *choices]
        return forms.ChoiceField(choices=choices, widget=widget, **common)
    if question.kind in {Question.Kind.GOALS, Question.Kind.TEXT}:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), **common)
    return forms.CharField(**common)


class ApplicationForm(forms.Form):
    """One field per question. Validation of the values themselves is the service's."""

    def __init__(self, *args, questions, application=None, **kwargs):
        self.questions = list(questions)
        initial = {}
        if application is not None:
            for question in self.questions:
                value = application.answers.get(question.key)
                initial[field_name(question)] = str(value) if isinstance(value, int) else value
        super().__init__(*args, initial=initial, **kwargs)
        for question in self.questions:
            self.fields[field_name(question)] = _field_for(question)

    def raw_answers(self):
        """{question key: submitted value} for the service to check."""
        data = {}
        for question in self.questions:
            name = field_name(question)
            if question.is_multiple:
                data[question.key] = self.data.getlist(name)
            else:
                data[question.key] = self.data.get(name, "")
        return data

    def add_service_errors(self, error_dict):
        for question in self.questions:
            for message in error_dict.get(question.key, []):
                self.add_error(field_name(question), message)


class LateJoinerForm(ApplicationForm):
    """The program team adds one person: who they are, and whatever answers they know.

    The answers are all optional here (the person may be invited and answer themselves);
    the service checks the values given."""

    def __init__(self, *args, questions, email="", **kwargs):
        super().__init__(*args, questions=questions, **kwargs)
        self.initial["email"] = email
        person = {
            "email": forms.EmailField(
                label=_("Email address"),
                help_text=_(
                    "A member of the organisation is added at once. Anyone else gets an "
                    "invitation that leads to this program's form."
                ),
            ),
            "first_name": forms.CharField(label=_("First name"), required=False, max_length=150),
            "last_name": forms.CharField(label=_("Last name"), required=False, max_length=150),
        }
        for name, field in self.fields.items():
            field.required = False
            person[name] = field
        self.fields = person


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("accept", _("Accept")),
            ("waitlist", _("Wait-list")),
            ("decline", _("Decline")),
        ]
    )


class ApplicationsCsvForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB; split it."))
        return upload


class OpenLinkForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"))
