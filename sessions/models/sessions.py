"""Sessions: scheduled ahead, then logged; what each person writes about them."""

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from peercoach.tenancy.models import TenantModel
from programs.models import Match, Program

from ._base import org_id_unique

USER = settings.AUTH_USER_MODEL


class Modality(models.TextChoices):
    TEAMS = "teams", _("Microsoft Teams")
    ZOOM = "zoom", _("Zoom")
    WECHAT = "wechat", _("WeChat")
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")
    OTHER = "other", _("Other")


class Session(TenantModel):
    """One meeting of a pair or circle: proposed, scheduled, cancelled, or held (logged).

    A session logged without being scheduled is created as HELD. `starts_at` is UTC;
    `time_zone` is the proposer's zone, which the calendar file names so that the local
    time stays right across daylight-saving changes.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        SCHEDULED = "scheduled", _("Scheduled")
        DECLINED = "declined", _("Another time suggested")
        CANCELLED = "cancelled", _("Cancelled")
        HELD = "held", _("Held")

    UPCOMING = (Status.PROPOSED, Status.SCHEDULED)

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="sessions")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    starts_at = models.DateTimeField(_("starts at"))
    time_zone = models.CharField(_("time zone"), max_length=64)
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"), validators=[MinValueValidator(5), MaxValueValidator(600)]
    )
    modality = models.CharField(
        _("modality"), max_length=20, choices=Modality.choices, default=Modality.TEAMS
    )
    location = models.CharField(_("place or link"), max_length=500, blank=True)
    proposed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who accepted, suggested another time or cancelled, and their note.
    responded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    # The proposal this one answers ("suggest another time"), for the thread.
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Calendar identity: the UID never changes, SEQUENCE grows with every change.
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    # The log, filled when the session was held. Shared with the pair, never with the
    # program team (they see that a session happened, its date and length).
    topics = models.JSONField(_("topics"), default=list, blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    shared_notes = models.TextField(_("shared notes"), blank=True)
    logged_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    logged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [org_id_unique("session_org_id")]
        indexes = [
            models.Index(fields=["organization", "match", "starts_at"], name="session_org_match"),
            models.Index(
                fields=["organization", "program", "status", "starts_at"], name="session_org_prog"
            ),
        ]

    def __str__(self):
        # Not who met when: the operators' admin names related objects by `str()` (on an
        # organisation's or a person's delete page), and that is the pair's business.
        return f"Session {self.pk}"

    @property
    def ends_at(self):
        from datetime import timedelta

        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_upcoming(self):
        return self.status in self.UPCOMING


class SessionPart(TenantModel):
    """Who was coached, by whom and for how long, in a held session.

    One-way: one part (coach -> peer). Reciprocal: two halves, one each way. Circle: one
    part per member who attended, with their time slot and the challenge they brought
    (`coach` is empty: the circle coaches).
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="parts")
    coach = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    coachee = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    minutes = models.PositiveSmallIntegerField(
        _("minutes"), validators=[MinValueValidator(0), MaxValueValidator(600)]
    )
    challenge = models.TextField(_("challenge"), blank=True)
    # Below the program's minimum minutes per person when logged (kept as logged).
    under_minimum = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [org_id_unique("session_part_org_id")]
        indexes = [models.Index(fields=["organization", "session"], name="session_part_org_sess")]


class PrivateNote(TenantModel):
    """A note only its author can ever read: not the partner, not the program team."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(_("private note"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            org_id_unique("private_note_org_id"),
            models.UniqueConstraint(
                fields=["organization", "session", "author"], name="private_note_one_per_author"
            ),
        ]


class Feedback(TenantModel):
    """End-of-session feedback from the person coached to their coach.

    The coach reads it; the program team sees only the rating, as an activity signal.
    In a circle `coach` is empty: the feedback is for the circle.
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="feedback")
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    coach = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            org_id_unique("feedback_org_id"),
            models.UniqueConstraint(
                fields=["organization", "session", "author", "coach"],
                condition=models.Q(coach__isnull=False),
                name="feedback_one_per_coach",
            ),
            models.UniqueConstraint(
                fields=["organization", "session", "author"],
                condition=models.Q(coach__isnull=True),
                name="feedback_one_for_circle",
            ),
        ]
        indexes = [models.Index(fields=["organization", "session"], name="feedback_org_sess")]


class Reflection(TenantModel):
    """The coach's self-reflection after a session: only its author reads it."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(_("self-reflection"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            org_id_unique("reflection_org_id"),
            models.UniqueConstraint(
                fields=["organization", "session", "author"], name="reflection_one_per_author"
            ),
        ]


class Preparation(TenantModel):
    """What the person to be coached prepares before a session; the pair reads it."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="preparations")
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    purpose = models.TextField(_("purpose"), blank=True)
    outcomes = models.TextField(_("desired outcomes"), blank=True)
    process = models.TextField(_("process"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            org_id_unique("preparation_org_id"),
            models.UniqueConstraint(
                fields=["organization", "session", "author"], name="preparation_one_per_author"
            ),
        ]


class Checklist(TenantModel):
    """The pair's first-session checklist: which points they covered, and when."""

    ITEMS = (
        ("confidentiality", _("We agreed what stays between us, and its limits.")),
        ("expectations", _("We said what each of us expects from the other.")),
        ("logistics", _("We settled where, how and how long we meet.")),
        ("scheduled_ahead", _("We scheduled our next sessions ahead.")),
        ("goals_set", _("Each of us has set goals.")),
    )

    match = models.OneToOneField(Match, on_delete=models.CASCADE, related_name="checklist")
    # {item key: {"by": user id, "at": ISO time}}
    done = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [org_id_unique("checklist_org_id")]


def new_feed_token():
    return secrets.token_urlsafe(32)


class CalendarFeed(TenantModel):
    """A person's private calendar feed of their sessions in this organisation.

    The token is the only key: anyone holding the URL reads the feed, so it can be
    replaced (the old URL stops working at once).
    """

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            org_id_unique("calendar_feed_org_id"),
            models.UniqueConstraint(fields=["organization", "user"], name="calendar_feed_one"),
        ]


__all__ = [
    "CalendarFeed",
    "Checklist",
    "Feedback",
    "Modality",
    "Preparation",
    "PrivateNote",
    "Reflection",
    "Session",
    "SessionPart",
]
