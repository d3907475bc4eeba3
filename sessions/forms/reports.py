"""The progress report form: fixed questions, one block per goal, a share box per answer."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Goal, ProgressReport
from ..services.reports import GoalAnswer

TEXT_MAX = 5000
SHARE_LABEL = _("The program team may read this answer")
RATINGS = [(n, str(n)) for n in range(1, 6)]


def _share():
    return forms.BooleanField(label=SHARE_LABEL, required=False)


class ReportForm(forms.Form):
    period = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=100_000)
    working = forms.ChoiceField(
        label=_("Is the coaching working for you?"),
        choices=ProgressReport.Answer.choices,
        widget=forms.RadioSelect,
    )
    working_shared = _share()
    beneficial = forms.ChoiceField(
        label=_("Are both of you getting something out of it?"),
        choices=ProgressReport.Answer.choices,
        widget=forms.RadioSelect,
    )
    beneficial_shared = _share()
    change = forms.CharField(
        label=_("What should change?"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    change_shared = _share()
    rating = forms.TypedChoiceField(
        label=_("Overall, how would you rate this period? (1 = poor, 5 = excellent)"),
        choices=RATINGS,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_(
            "The rating always reaches the program team, as a signal of how pairs are doing."
        ),
    )

    def __init__(self, *args, goals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.goals = list(goals)
        for goal in self.goals:
            self.fields[f"goal_{goal.pk}_progress"] = forms.CharField(
                label=_("Progress"),
                required=False,
                max_length=TEXT_MAX,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"goal_{goal.pk}_status"] = forms.ChoiceField(
                label=_("Status"),
                choices=Goal.Status.choices,
                initial=goal.status,
                # A goal added while the form was open keeps its status.
                required=False,
            )
            self.fields[f"goal_{goal.pk}_shared"] = _share()

    def goal_blocks(self):
        """(goal, progress, status, shared) bound fields, for the template."""
        return [
            (
                goal,
                self[f"goal_{goal.pk}_progress"],
                self[f"goal_{goal.pk}_status"],
                self[f"goal_{goal.pk}_shared"],
            )
            for goal in self.goals
        ]

    def goal_answers(self):
        data = self.cleaned_data
        return [
            GoalAnswer(
                goal=goal,
                progress=data[f"goal_{goal.pk}_progress"],
                status=data[f"goal_{goal.pk}_status"] or goal.status,
                shared=data[f"goal_{goal.pk}_shared"],
            )
            for goal in self.goals
        ]

    def answers(self):
        """The keyword arguments of `report_submit` the form provides."""
        data = self.cleaned_data
        return {
            "period": data["period"],
            "working": data["working"],
            "working_shared": data["working_shared"],
            "beneficial": data["beneficial"],
            "beneficial_shared": data["beneficial_shared"],
            "change": data["change"],
            "change_shared": data["change_shared"],
            "rating": data["rating"],
            "goals": self.goal_answers(),
        }
