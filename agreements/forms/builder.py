"""Forms of the template builder. They parse and present; `services.templates` checks
the rules, and the views show its ValidationError next to the field it names."""

from django import forms
from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from ..models import AgreementItem, AgreementTemplate
from ..services.templates import CHOICE_KINDS, purposes_for_kind
from ..starters import starter_choices

Kind = AgreementItem.Kind

# What each kind is for, on the kind picker and the item form.
KIND_HELP = {
    Kind.CLAUSE: _(
        "Text everyone agrees to, such as confidentiality or what each role takes on. "
        "Blank lines start paragraphs; lines starting with “- ” make a list."
    ),
    Kind.SHORT_TEXT: _("A line of text: a name, a place, a phone number."),
    Kind.LONG_TEXT: _("A few sentences: an objective, what confidentiality means to the pair."),
    Kind.SINGLE_CHOICE: _("One option from a list you give, such as Teams, Zoom or in person."),
    Kind.MULTIPLE_CHOICE: _("Any number of options from a list you give."),
    Kind.DATE: _("A date, such as when the partnership ends."),
    Kind.NUMBER: _("A number, such as how many sessions the pair plans."),
    Kind.DURATION: _("A length of time in minutes, such as how long a session lasts."),
    Kind.FREQUENCY: _(
        "How often something happens: every week, every two weeks, monthly… or in the "
        "pair's own words."
    ),
    Kind.BULLET_LIST: _("A list of points, one per line, such as a social contract."),
}


def kind_choices():
    """[(value, label, help)] for the kind picker: the clause first, then the fields."""
    return [(value, label, KIND_HELP[value]) for value, label in Kind.choices]


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ItemForm(forms.Form):
    """One clause or field of the template; its fields depend on the kind."""

    title = forms.CharField(label=_("Title"), max_length=300)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Blank lines separate paragraphs; lines starting with “- ” become a bulleted list."
        ),
    )
    help_text = forms.CharField(
        label=_("Help text"),
        max_length=500,
        required=False,
        help_text=_("Optional. Shown under the field's title to guide the pair."),
    )
    required = forms.BooleanField(
        label=_("Must be filled in before anyone can sign"), required=False, initial=True
    )
    per_party = forms.BooleanField(
        label=_("Each party fills this in for themselves"),
        required=False,
        help_text=_(
            "For contact details, a primary objective… Only its owner can change their "
            "answer. Set automatically for the uses that belong to one person."
        ),
    )
    choices = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One option per line; at least two."),
    )
    purpose = forms.ChoiceField(
        label=_("Used for"),
        required=False,
        help_text=_(
            "What the rest of peercoach reads from the signed agreement: reminders follow "
            "the meeting frequency, progress prompts the reporting frequency, emails the "
            "contact details. Each use appears once per agreement."
        ),
    )

    CLAUSE_FIELDS = ("title", "body")

    def __init__(self, *args, kind, **kwargs):
        self.kind = kind
        super().__init__(*args, **kwargs)
        if kind == Kind.CLAUSE:
            for name in list(self.fields):
                if name not in self.CLAUSE_FIELDS:
                    del self.fields[name]
            return
        del self.fields["body"]
        if kind not in CHOICE_KINDS:
            del self.fields["choices"]
        purposes = purposes_for_kind(kind)
        if purposes:
            self.fields["purpose"].choices = [
                ("", AgreementItem.Purpose.NONE.label),
                *((p.value, p.label) for p in purposes),
            ]
        else:
            del self.fields["purpose"]

    @staticmethod
    def initial_for(item):
        return {
            "title": item.title,
            "body": item.body,
            "help_text": item.help_text,
            "required": item.required,
            "per_party": item.per_party,
            "choices": "\n".join(item.choices or []),
            "purpose": item.purpose,
        }

    def service_fields(self):
        """cleaned_data as `services.templates` takes it."""
        data = self.cleaned_data
        if self.kind == Kind.CLAUSE:
            return {"title": data["title"], "body": data["body"]}
        fields = {
            "title": data["title"],
            "help_text": data["help_text"],
            "required": data["required"],
            "per_party": data["per_party"],
            "purpose": data.get("purpose", ""),
        }
        if "choices" in self.fields:
            fields["choices"] = _lines(data["choices"])
        return fields


class TemplateSettingsForm(forms.Form):
    title = forms.CharField(label=_("Title of the agreement"), max_length=200)
    introduction = forms.CharField(
        label=_("Introduction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=AgreementTemplate._meta.get_field("introduction").help_text,
    )
    coordinator_sees_pdf = forms.BooleanField(
        label=_("The program team may read the signed agreement"),
        required=False,
        help_text=AgreementTemplate._meta.get_field("coordinator_sees_pdf").help_text,
    )

    @staticmethod
    def initial_for(template):
        if template is None:
            return {"title": AgreementTemplate._meta.get_field("title").get_default()}
        return {
            "title": template.title,
            "introduction": template.introduction,
            "coordinator_sees_pdf": template.coordinator_sees_pdf,
        }


class StarterForm(forms.Form):
    starter = forms.ChoiceField(label=_("Starter"), widget=forms.RadioSelect)
    language = forms.ChoiceField(
        label=_("Language of the starter's wording"),
        required=False,
        help_text=_(
            "The starter's clauses are written in this language, and the agreements are "
            "issued in it. What you write yourself stays as you write it."
        ),
    )
    replace = forms.BooleanField(
        label=_("Replace the current items"),
        required=False,
        help_text=_(
            "Needed when the template already has items. Answers pairs gave to the removed "
            "items in agreements not yet signed are removed with them."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starter"].choices = starter_choices()
        self.fields["language"].choices = [
            (code, capfirst(get_language_info(code)["name_local"]))
            for code, _name in settings.LANGUAGES
        ]
