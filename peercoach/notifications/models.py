"""The delivery ledger and each person's choices of what they receive.

Due reminders live in the database, one `Delivery` row per (organization, recipient,
kind, period): the unique constraint is what makes a second dispatcher, a redelivered
task or a retry harmless. A row is claimed (`pending` -> `sending`) before its message
goes out and marked `sent` before the SMTP transaction is committed (see `delivery.py`).

The same ledger is the outbox of every other email the product sends (decisions,
invitations, signatures, opt-outs...): a row of kind `message`, written in the
transaction of the action that causes it (`services.message_queue`). Such a row names
the template to render (`template`), is due at once, can never be turned off, and goes
to `address` when set (someone without an account, or a new address to verify), else to
the recipient's address. A row rendered in the request (allauth's account emails) keeps
subject, text and HTML in `rendered` until it is sent, then the bodies are cleared: a
password-reset link must not outlive its message in the database.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from peercoach.tenancy.models import TenantModel


class Kind(models.TextChoices):
    MEETING = "meeting", _("Meeting reminders at the frequency you agreed")
    NUDGE = "nudge", _("A nudge when no session was logged within the agreed cadence")
    REPORT = "report", _("Progress-report prompts and reminders")
    AGREEMENT = "agreement", _("Reminders of an agreement waiting for your signature")
    SESSION = "session", _("The day before a scheduled session")
    EVENT = "event", _("Program events (kick-off, group meetings, debrief)")
    DIGEST = "digest", _("Coordinators: the weekly digest of pairs at risk")


# A transactional email (a decision, an invitation, a signature...): never switchable,
# so it is no `Kind` (the kinds are what the preferences page lists).
MESSAGE = "message"
DELIVERY_KINDS = [*Kind.choices, (MESSAGE, _("A message about something that just happened"))]


class Delivery(TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not sent (turned off or no longer due)")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # Where a message goes instead of the recipient's address (an invitation to someone
    # without an account, an address to verify). Reminders never set it.
    address = models.EmailField(blank=True)
    kind = models.CharField(max_length=20, choices=DELIVERY_KINDS)
    # What makes this reminder the one of its period, e.g. "2026-11", "s:512" or "p3";
    # for a message, its key (one per event and recipient, or a random one).
    period = models.CharField(max_length=64)
    # The `templates/emails/<template>/` of a message; "" for a reminder (reminder_<kind>).
    template = models.CharField(max_length=64, blank=True)
    # [{"filename", "content" (text), "mimetype"}], e.g. a calendar file.
    attachments = models.JSONField(default=list, blank=True)
    # {"subject", "text", "html", "from_email"} of a message rendered in the request;
    # emptied once sent.
    rendered = models.JSONField(default=dict, blank=True)
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    match = models.ForeignKey(
        "programs.Match", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # JSON-safe values the email template reads; never private content.
    context = models.JSONField(default=dict, blank=True)
    due_at = models.DateTimeField()  # the recipient's local morning of the due day
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The task that claimed the row: a redelivery of that same task may take it over.
    claim_token = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "recipient", "kind", "period"], name="delivery_once"
            ),
            models.UniqueConstraint(
                fields=["organization", "kind", "period"],
                condition=Q(kind=MESSAGE),
                name="delivery_message_once",
            ),
            models.UniqueConstraint(fields=["organization", "id"], name="delivery_org_id"),
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | ~Q(address=""),
                name="delivery_has_address",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "due_at"], name="delivery_org_due"),
            models.Index(
                fields=["organization", "program", "created_at"], name="delivery_org_prog"
            ),
            # The frequent dispatcher's look-ups across organisations (due rows, stale
            # claims) read only the rows not yet sent: a small index, whatever the history.
            models.Index(
                fields=["status", "due_at"],
                name="delivery_unsent",
                condition=Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self):
        return f"Delivery {self.pk}"


class Preference(TenantModel):
    """A kind of reminder the person turned off (or back on) in one organisation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user", "kind"], name="preference_once"
            ),
            models.UniqueConstraint(fields=["organization", "id"], name="preference_org_id"),
        ]
