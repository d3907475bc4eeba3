"""The audit log's filters, read from the query string."""

from django import forms
from django.utils.translation import gettext_lazy as _

from peercoach.audit.models import Action

from ..selectors.audit import SYSTEM, LogFilter

MIN_YEAR, MAX_YEAR = 1900, 2999


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    who = forms.ChoiceField(label=_("Who"), required=False)
    q = forms.CharField(
        label=_("Name or email contains"),
        required=False,
        max_length=200,
        strip=True,
    )
    program = forms.ChoiceField(label=_("Program"), required=False)
    date_from = forms.DateField(label=_("From"), required=False)
    date_to = forms.DateField(label=_("To"), required=False)

    def __init__(self, data, *, coordinators, programs):
        super().__init__(data)
        self.fields["action"].choices = [("", _("All actions")), *Action.choices]
        self.fields["who"].choices = [
            ("", _("Anyone")),
            *coordinators,
            (SYSTEM, _("System (automatic)")),
        ]
        self.fields["program"].choices = [("", _("All programs")), *programs]
        for name in ("date_from", "date_to"):
            self.fields[name].error_messages["invalid"] = _(
                "Enter a date as year-month-day, e.g. 2026-03-31."
            )

    def _clean_day(self, name):
        day = self.cleaned_data.get(name)
        # Far years would overflow once turned into times in the organisation's zone.
        if day is not None and not MIN_YEAR <= day.year <= MAX_YEAR:
            raise forms.ValidationError(
                _("Enter a date between %(first)d and %(last)d.")
                % {"first": MIN_YEAR, "last": MAX_YEAR}
            )
        return day

    def clean_date_from(self):
        return self._clean_day("date_from")

    def clean_date_to(self):
        return self._clean_day("date_to")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def log_filter(self):
        """The filter made of the valid fields: a bad field narrows nothing (and the page
        says why next to it)."""
        errors = self.errors  # cleans the form
        values = {n: v for n, v in self.cleaned_data.items() if n not in errors}
        program = values.get("program")
        return LogFilter(
            action=values.get("action") or "",
            who=values.get("who") or "",
            search=values.get("q") or "",
            program_id=int(program) if program else None,
            date_from=values.get("date_from"),
            date_to=values.get("date_to"),
        )
