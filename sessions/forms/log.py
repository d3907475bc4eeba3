"""Forms for logging a session and writing about it. They parse and present; the
services in `sessions.services.log` check the rules (future dates, halves longer than
the session, who may give feedback...).

Dates and times are typed in the person's own time zone and turned into an aware
datetime here; the services store it in UTC.
"""

from datetime import date, datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Checklist
from ..models.sessions import Modality
from ..services.log import MAX_MINUTES, Slot

LONG_TEXT = 10_000
# Beyond these, converting a local time to UTC can overflow; no session is that old or new.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def _minutes_field(label, *, required=True, minimum=0, help_text=""):
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=minimum,
        max_value=MAX_MINUTES,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"min": minimum, "max": MAX_MINUTES, "step": 1}),
    )


def _text_field(label, *, rows=3, help_text="", max_length=LONG_TEXT):
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class SessionLogForm(forms.Form):
    """The log of one session. `members` are the pair's or circle's current members
    (MatchMember rows with users) and decide the format-specific fields:
    reciprocal: `half_1_minutes` (the first member coached the second) and
    `half_2_minutes` (the other way); circle: `attended_<user id>`, `slot_<user id>`,
    `challenge_<user id>` for each member."""

    date = forms.DateField(label=_("Date"), widget=DateInput())
    start_time = forms.TimeField(label=_("Start time"), widget=TimeInput())
    duration_minutes = _minutes_field(_("Length (minutes)"), minimum=5)
    modality = forms.ChoiceField(label=_("How you met"), choices=Modality.choices)
    location = forms.CharField(label=_("Place or link"), required=False, max_length=500)
    topics = forms.MultipleChoiceField(
        label=_("Topics"), required=False, widget=forms.CheckboxSelectMultiple
    )
    next_steps = _text_field(
        _("Next steps"), help_text=_("What each of you will do before you meet again.")
    )
    shared_notes = _text_field(
        _("Shared notes"),
        rows=5,
        help_text=_("Your partner or circle reads these. The program team never does."),
    )
    private_note = _text_field(
        _("My private note"),
        rows=4,
        help_text=_("Only you will ever read this: not your partner, not the program team."),
    )

    def __init__(self, *args, program, members, zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.members = members
        self.zone = zone
        topics = program.topic_list
        if topics:
            self.fields["topics"].choices = [(topic, topic) for topic in topics]
        else:
            del self.fields["topics"]
        minimum = program.min_minutes_each
        under = (
            _("The program asks for at least %(n)d minutes each.") % {"n": minimum}
            if minimum
            else ""
        )
        self.halves = []
        self.slots = []
        if program.format == program.Format.RECIPROCAL and len(members) == 2:
            a, b = members
            self.fields["half_1_minutes"] = _minutes_field(
                _("%(coach)s coached %(coachee)s (minutes)")
                % {"coach": a.user.display_name, "coachee": b.user.display_name},
                help_text=under,
            )
            self.fields["half_2_minutes"] = _minutes_field(
                _("%(coach)s coached %(coachee)s (minutes)")
                % {"coach": b.user.display_name, "coachee": a.user.display_name},
                help_text=under,
            )
            self.halves = [self["half_1_minutes"], self["half_2_minutes"]]
        elif program.format == program.Format.CIRCLE:
            for member in members:
                uid = member.user_id
                name = member.user.display_name
                self.fields[f"attended_{uid}"] = forms.BooleanField(
                    label=_("%(name)s attended") % {"name": name}, required=False
                )
                self.fields[f"slot_{uid}"] = _minutes_field(
                    _("%(name)s's time slot (minutes)") % {"name": name},
                    required=False,
                    help_text=under,
                )
                self.fields[f"challenge_{uid}"] = forms.CharField(
                    label=_("The challenge %(name)s brought") % {"name": name},
                    required=False,
                    max_length=2000,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
                self.slots.append(
                    (
                        member,
                        self[f"attended_{uid}"],
                        self[f"slot_{uid}"],
                        self[f"challenge_{uid}"],
                    )
                )

    def clean(self):
        data = super().clean()
        day, time = data.get("date"), data.get("start_time")
        if day is not None and day < EARLIEST:
            self.add_error("date", _("Enter a date in this century."))
        elif day is not None and day > LATEST:
            self.add_error("date", _("This is in the future: a session can be logged once held."))
        elif day is not None and time is not None:
            local = datetime.combine(day, time).replace(tzinfo=self.zone)
            data["starts_at"] = local
        if self.program.format == self.program.Format.CIRCLE:
            for _member, attended, slot, _challenge in self.slots:
                missing = data.get(attended.name) and data.get(slot.name) is None
                if missing and slot.name not in self.errors:
                    self.add_error(slot.name, _("Enter the time slot of each attendee."))
        return data

    def service_kwargs(self):
        """The cleaned log as keyword arguments for `session_log`."""
        data = self.cleaned_data
        kwargs = {
            "starts_at": data.get("starts_at"),
            "duration_minutes": data["duration_minutes"],
            "modality": data["modality"],
            "location": data["location"],
            "topics": data.get("topics", []),
            "next_steps": data["next_steps"],
            "shared_notes": data["shared_notes"],
            "private_note": data["private_note"],
        }
        if self.halves:
            kwargs["halves"] = (data["half_1_minutes"], data["half_2_minutes"])
        if self.slots:
            kwargs["slots"] = [
                Slot(
                    user_id=member.user_id,
                    minutes=data[slot.name],
                    challenge=data.get(challenge.name, ""),
                )
                for member, attended, slot, challenge in self.slots
                if data.get(attended.name)
            ]
        return kwargs


def log_initial(*, program, members, zone, session=None, parts=(), private_note=None, minutes):
    """Initial values: a held session's log as it stands, a scheduled session's time, or
    a new session today of the agreed length, halves and slots shared out evenly."""
    initial = {
        "date": timezone.localdate(timezone.now(), zone),
        "duration_minutes": minutes,
        "modality": Modality.TEAMS,
    }
    if session is not None:
        local = session.starts_at.astimezone(zone)
        initial.update(
            date=local.date(),
            start_time=local.time().replace(second=0, microsecond=0),
            duration_minutes=session.duration_minutes,
            modality=session.modality,
            location=session.location,
            topics=session.topics,
            next_steps=session.next_steps,
            shared_notes=session.shared_notes,
        )
    duration = initial["duration_minutes"]
    if parts:
        if program.format == program.Format.RECIPROCAL and len(members) == 2:
            first = next((p for p in parts if p.coach_id == members[0].user_id), None)
            second = next((p for p in parts if p.coach_id == members[1].user_id), None)
            initial["half_1_minutes"] = first.minutes if first else 0
            initial["half_2_minutes"] = second.minutes if second else 0
        elif program.format == program.Format.CIRCLE:
            for part in parts:
                initial[f"attended_{part.coachee_id}"] = True
                initial[f"slot_{part.coachee_id}"] = part.minutes
                initial[f"challenge_{part.coachee_id}"] = part.challenge
    elif program.format == program.Format.RECIPROCAL:
        initial["half_1_minutes"] = initial["half_2_minutes"] = duration // 2
    elif program.format == program.Format.CIRCLE and members:
        for member in members:
            initial[f"attended_{member.user_id}"] = True
            initial[f"slot_{member.user_id}"] = duration // len(members)
    if private_note is not None:
        initial["private_note"] = private_note.body
    return initial


class PrivateNoteForm(forms.Form):
    body = _text_field(_("My private note"), rows=4)


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How helpful was the coaching?"),
        choices=[
            (1, _("1 · not helpful")),
            (2, _("2")),
            (3, _("3")),
            (4, _("4")),
            (5, _("5 · very helpful")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = _text_field(
        _("What helped most, and what less?"),
        rows=4,
        max_length=5000,
    )


class ReflectionForm(forms.Form):
    body = _text_field(
        _("My self-reflection"),
        rows=6,
        help_text=_(
            "What worked in your coaching, what would you do differently, what will you try "
            "next time? Only you will ever read this."
        ),
    )


class PreparationForm(forms.Form):
    purpose = _text_field(
        _("Purpose"), help_text=_("Why this session matters to you now."), max_length=5000
    )
    outcomes = _text_field(
        _("Desired outcomes"),
        help_text=_("What you want to leave the session with."),
        max_length=5000,
    )
    process = _text_field(
        _("Process"),
        help_text=_("How you would like your coach to work with you this time."),
        max_length=5000,
    )


class ChecklistForm(forms.Form):
    """Ticked items, and the items shown as ticked when the page was drawn (`seen`)."""

    items = forms.MultipleChoiceField(
        choices=Checklist.ITEMS, required=False, widget=forms.CheckboxSelectMultiple
    )
    seen = forms.MultipleChoiceField(
        choices=Checklist.ITEMS, required=False, widget=forms.MultipleHiddenInput
    )
