"""Forms for scheduling: local dates and times in the person's own zone, turned into
aware datetimes here (a time that the clocks skip on that day is refused)."""

from datetime import UTC, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..models.sessions import Modality
from ..services.schedule import MAX_NOTE, MAX_PER_BATCH

# Date rows on the schedule form.
SLOT_ROWS = 6


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def local_moment(day, at, zone):
    """The aware datetime for local `day` and `at` in `zone`.

    A time skipped when the clocks go forward does not exist there: refused. A time that
    happens twice when they go back is the first of the two.
    """
    naive = datetime.combine(day, at)
    moment = naive.replace(tzinfo=zone)
    try:
        round_trip = moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    except OverflowError:  # the last hours of year 9999, seen from another zone
        raise ValidationError(_("Choose a date within the next two years.")) from None
    if round_trip != naive:
        raise ValidationError(
            _("%(time)s does not exist on %(day)s in %(zone)s: the clocks change that night."),
            params={"time": at.strftime("%H:%M"), "day": day.isoformat(), "zone": zone.key},
        )
    return moment


def _note_field(label):
    return forms.CharField(
        label=label,
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SlotForm(forms.Form):
    """One date and start time (both or neither)."""

    date = forms.DateField(label=_("Date"), required=False, widget=DateInput())
    time = forms.TimeField(label=_("Start time"), required=False, widget=TimeInput())

    def clean(self):
        data = super().clean()
        day, at = data.get("date"), data.get("time")
        if bool(day) != bool(at) and not self.errors:
            raise ValidationError(_("Give both a date and a start time, or leave both empty."))
        return data


SlotFormSet = forms.formset_factory(
    SlotForm, extra=SLOT_ROWS, max_num=SLOT_ROWS, absolute_max=SLOT_ROWS, validate_max=True
)


class DetailsMixin(forms.Form):
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"),
        min_value=5,
        max_value=600,
        widget=forms.NumberInput(attrs={"step": 5}),
    )
    modality = forms.ChoiceField(label=_("How you meet"), choices=Modality.choices)
    location = forms.CharField(
        label=_("Place or link"),
        required=False,
        max_length=500,
        help_text=_("A room, an address, or the video call link."),
    )


class ProposeForm(DetailsMixin):
    """Length, modality, place, note and repetition for every date of a proposal."""

    repeat_times = forms.IntegerField(
        label=_("Sessions from each date"),
        min_value=1,
        max_value=MAX_PER_BATCH,
        initial=1,
        help_text=_("1 for just that date; 3 for that date and the next two."),
    )
    repeat_every_days = forms.IntegerField(
        label=_("Days between them"),
        min_value=1,
        max_value=120,
        required=False,
        help_text=_("For example 14 for every two weeks."),
    )
    note = _note_field(_("A note for the others (optional)"))

    field_order = ["duration_minutes", "modality", "location", "repeat_times", "repeat_every_days"]

    def clean(self):
        data = super().clean()
        if (data.get("repeat_times") or 1) > 1 and not data.get("repeat_every_days"):
            self.add_error("repeat_every_days", _("Say how many days apart the sessions are."))
        return data

    def starts(self, slots, zone):
        """Aware start times from the filled date rows (valid `slots` formset), each
        repeated as asked, at the same local time in `zone` (so across a clock change
        too). Raises ValidationError for none, too many or a skipped local time."""
        rows = [
            (form.cleaned_data["date"], form.cleaned_data["time"])
            for form in slots.forms
            if form.cleaned_data.get("date") and form.cleaned_data.get("time")
        ]
        if not rows:
            raise ValidationError(_("Give at least one date and start time."))
        times = self.cleaned_data.get("repeat_times") or 1
        every = self.cleaned_data.get("repeat_every_days") or 0
        if len(rows) * times > MAX_PER_BATCH:
            raise ValidationError(
                _("That makes %(count)s sessions; propose at most %(max)s at once."),
                params={"count": len(rows) * times, "max": MAX_PER_BATCH},
            )
        try:
            return [
                local_moment(day + timedelta(days=every * n), at, zone)
                for day, at in rows
                for n in range(times)
            ]
        except OverflowError:  # repeated past the calendar's last day
            raise ValidationError(_("Choose a date within the next two years.")) from None


class MoveForm(forms.Form):
    """A new local date and start time."""

    date = forms.DateField(label=_("Date"), widget=DateInput())
    time = forms.TimeField(label=_("Start time"), widget=TimeInput())

    def starts_at(self, zone):
        return local_moment(self.cleaned_data["date"], self.cleaned_data["time"], zone)


class SuggestForm(MoveForm):
    """Another time, in answer to someone's proposal."""

    note = _note_field(_("A note for the others (optional)"))


class RescheduleForm(MoveForm, DetailsMixin):
    note = _note_field(_("Why it moves (optional)"))


class CancelForm(forms.Form):
    note = _note_field(_("A note for the others (optional)"))
