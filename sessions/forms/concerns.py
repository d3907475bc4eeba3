"""Forms for the concern channel. They parse and present; the services check the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Concern
from ..services.concerns import MAX_BODY_CHARS, MAX_NOTE_CHARS


class ConcernForm(forms.Form):
    category = forms.ChoiceField(
        label=_("What is it about?"), choices=Concern.Category.choices, widget=forms.RadioSelect
    )
    body = forms.CharField(
        label=_("Your concern"),
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What happened, when, and who is involved, as far as you can say."),
    )
    program = forms.ModelChoiceField(
        label=_("Program (optional)"),
        queryset=None,
        required=False,
        empty_label=_("Not about a particular program"),
    )

    def __init__(self, *args, programs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs


class ConcernActionForm(forms.Form):
    ACTIONS = (("close", _("Close")), ("reopen", _("Reopen")), ("note", _("Add a note")))

    # The page renders one submit button per action, each posting `action`.
    action = forms.ChoiceField(choices=ACTIONS)
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=MAX_NOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Goes into the access log, which only concern handlers read."),
    )
