"""Pausing, opting out, and the confidential concern channel."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from peercoach.tenancy.models import TenantModel
from programs.models import Match, Program

from ._base import org_id_unique

USER = settings.AUTH_USER_MODEL


class Pause(TenantModel):
    """A pair or circle on hold for a stated period (leave, busy season); it does not end.

    Reminders and "no session within the cadence" skip the paused days.
    """

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="pauses")
    requested_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Set when someone resumes before `ends_on`.
    ended_early_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            org_id_unique("pause_org_id"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="pause_order"
            ),
        ]
        indexes = [models.Index(fields=["organization", "match"], name="pause_org_match")]

    @property
    def last_day(self):
        return self.ended_early_on or self.ends_on


class OptOut(TenantModel):
    """A written notice that someone leaves their pair or circle.

    Nothing is deleted: the pair ends (a circle loses the member) and the program team
    gets it in their queue to re-pair. The free text reaches the team only if the
    author chose so; the category always does.
    """

    class Reason(models.TextChoices):
        NOT_WORKING = "not_working", _("The coaching is not working for me")
        NO_TIME = "no_time", _("I no longer have the time")
        MISMATCH = "mismatch", _("Our goals or styles do not fit")
        PARTNER_ABSENT = "partner_absent", _("My partner does not take part")
        LEAVING = "leaving", _("I am leaving the organisation or role")
        OTHER = "other", _("Another reason")

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="opt_outs")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    notice = models.TextField(_("written notice"))
    notice_shared = models.BooleanField(_("share my notice with the program team"), default=False)
    wants_new_partner = models.BooleanField(_("I would like a new partner"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # The coordinator's queue: set once someone in the team has dealt with it.
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            org_id_unique("opt_out_org_id"),
            models.UniqueConstraint(
                fields=["organization", "match", "user"], name="opt_out_once_per_match"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "program", "handled_at"], name="opt_out_org_prog")
        ]


class Concern(TenantModel):
    """A confidential concern raised with the program team.

    Only coordinators who handle concerns (`Membership.handles_concerns`) read it; the
    partner never does, and every reading is recorded in `ConcernAccess`.
    """

    class Category(models.TextChoices):
        DUTY_TO_REPORT = "duty_to_report", _("Something that may have to be reported")
        PROHIBITED_ADVICE = (
            "prohibited_advice",
            _("Advice outside peer coaching (medical, legal, financial...)"),
        )
        CONDUCT = "conduct", _("Conduct or safety")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    category = models.CharField(_("what it is about"), max_length=20, choices=Category.choices)
    body = models.TextField(_("your concern"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [org_id_unique("concern_org_id")]
        indexes = [models.Index(fields=["organization", "status"], name="concern_org_status")]


class ConcernAccess(TenantModel):
    """Every time someone opened or acted on a concern."""

    class Action(models.TextChoices):
        VIEWED = "viewed", _("Viewed")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")
        NOTED = "noted", _("Added a note")

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="accesses")
    user = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    note = models.TextField(blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [org_id_unique("concern_access_org_id")]
        indexes = [models.Index(fields=["organization", "concern"], name="concern_access_org")]
