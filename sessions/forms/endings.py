"""Forms for pausing and opting out. They parse and present; the services check the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import OptOut
from ..services.endings import MAX_NOTICE_CHARS

DATE_FORMAT = "%Y-%m-%d"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format=DATE_FORMAT, **kwargs)


class PauseForm(forms.Form):
    starts_on = forms.DateField(label=_("Paused from"), widget=DateInput())
    ends_on = forms.DateField(
        label=_("Until (included)"),
        widget=DateInput(),
        help_text=_("At most six months. You can resume earlier at any time."),
    )
    reason = forms.CharField(
        label=_("Why (optional)"),
        required=False,
        max_length=300,
        help_text=_(
            "Shared with your partner or circle. The program team sees only that you are "
            "paused and until when, not why."
        ),
    )


class OptOutForm(forms.Form):
    """The first step; the confirmation page carries the same fields hidden."""

    reason = forms.ChoiceField(
        label=_("Which reason fits best?"),
        choices=OptOut.Reason.choices,
        widget=forms.RadioSelect,
        help_text=_("The program team sees this category."),
    )
    notice = forms.CharField(
        label=_("Your written notice to your partner"),
        max_length=MAX_NOTICE_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Addressed to your partner (or the other members of your circle): they receive "
            "it by email. A short, kind word about what you learned together goes a long way."
        ),
    )
    notice_shared = forms.BooleanField(
        label=_("Share my notice with the program team"),
        required=False,
        help_text=_("Off: the program team sees only the category above."),
    )
    wants_new_partner = forms.BooleanField(
        label=_("I would like a new partner"),
        required=False,
        help_text=_(
            "Ticked: you wait for a new partner in this program, with a note for the program "
            "team. Not ticked: nobody pairs you again here unless you ask later from the "
            "program's page."
        ),
    )

    def __init__(self, *args, program=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.notice_to_team = bool(program and program.opt_out_notice_to_team)
        if self.notice_to_team:
            # The program requires the notice to reach the team: no choice to offer, the
            # page says so instead (before anything is sent).
            del self.fields["notice_shared"]
            self.fields["notice"].label = _("Your written notice to your partner and the team")
            self.fields["notice"].help_text = _(
                "Your partner (or the other members of your circle) and the program team "
                "receive it by email; the team also keeps it in its opt-out list."
            )

    def clean_notice(self):
        notice = self.cleaned_data["notice"].strip()
        if not notice:
            raise forms.ValidationError(_("The notice is required."))
        return notice
