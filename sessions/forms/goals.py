"""Forms for a development plan. They parse and bound the input; the services write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Goal

TEXT_MAX = 5000
DATE_FORMAT = "%Y-%m-%d"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format=DATE_FORMAT, **kwargs)


class ObjectiveForm(forms.Form):
    primary_objective = forms.CharField(
        label=_("My primary objective"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you most want to get out of this program."),
    )


class GoalForm(forms.Form):
    title = forms.CharField(label=_("Goal"), max_length=300)
    description = forms.CharField(
        label=_("What success looks like"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How you and your partner will know you got there."),
    )
    target_date = forms.DateField(
        label=_("Target date"), required=False, widget=DateInput(), input_formats=[DATE_FORMAT]
    )
    status = forms.ChoiceField(label=_("Status"), choices=Goal.Status.choices)

    def __init__(self, *args, creating=False, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            self.fields["status"].initial = Goal.Status.NOT_STARTED
        else:
            self.fields["status"].help_text = _(
                "Goals are never deleted: choose “Dropped” for one you no longer pursue."
            )


class StepForm(forms.Form):
    text = forms.CharField(label=_("Next step"), max_length=500)
    due_date = forms.DateField(
        label=_("By (optional)"), required=False, widget=DateInput(), input_formats=[DATE_FORMAT]
    )


class GoalUpdateForm(forms.Form):
    body = forms.CharField(
        label=_("What happened"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Leave the status as it is")), *Goal.Status.choices],
    )
