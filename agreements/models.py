"""Coaching agreements: templates, the agreement each pair or circle fills and signs.

A program has versioned agreement templates (`AgreementTemplate`, ordered
`AgreementItem`s: clauses and typed fields). Publishing a pair or circle gives it an
`Agreement` from the program's current template version. The parties fill it together
(`AgreementValue`: one row per shared field, one per party for per-party fields, each
with a revision for optimistic concurrency), then each signs (`Signature`, with the
SHA-256 of the canonical form of exactly what was signed). A change after someone signed
voids every signature. When all have signed the agreement is locked, and a task renders
and seals its PDF. `AgreementEvent` is the audit trail the parties see and the PDF prints.

Every table carries `organization` (TenantModel) and its indexes start with it.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from peercoach.tenancy.models import TenantModel
from programs.models import Match, Program

from .storage import agreement_storage


def new_item_key():
    return secrets.token_hex(6)


def default_title():
    return str(_("Coaching agreement"))


class AgreementTemplate(TenantModel):
    """One version of a program's agreement template.

    The highest version is the program's current template. A version that someone has
    signed against is frozen: editing it makes the next version (see services.templates).
    """

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="agreement_templates"
    )
    version = models.PositiveIntegerField(default=1)
    title = models.CharField(_("title"), max_length=200, default=default_title)
    introduction = models.TextField(
        _("introduction"), blank=True, help_text=_("Shown above the first item.")
    )
    coordinator_sees_pdf = models.BooleanField(
        _("the program team may read the signed agreement"),
        default=False,
        help_text=_(
            "When on, coordinators can download the signed PDF. The parties are told "
            "before they sign. When off, coordinators see only who has signed."
        ),
    )
    # The language its wording was written in, when known (a starter built in Spanish);
    # blank: the organisation's default. Its agreements are issued in it.
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["program", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "program", "version"], name="agreement_tpl_version"
            ),
            models.UniqueConstraint(fields=["organization", "id"], name="agreement_tpl_org_id"),
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"


class AgreementItem(TenantModel):
    """A clause or a typed field of a template version."""

    class Kind(models.TextChoices):
        CLAUSE = "clause", _("Clause (text to agree to)")
        SHORT_TEXT = "short_text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")
        SINGLE_CHOICE = "single_choice", _("Single choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
        DATE = "date", _("Date")
        NUMBER = "number", _("Number")
        DURATION = "duration", _("Duration (minutes)")
        FREQUENCY = "frequency", _("Frequency")
        BULLET_LIST = "bullet_list", _("Bullet list")

    class Purpose(models.TextChoices):
        """What the rest of peercoach reads from a field's value."""

        NONE = "", _("Nothing (just part of the agreement)")
        MEETING_FREQUENCY = "meeting_frequency", _("How often the pair meets")
        MEETING_DURATION = "meeting_duration", _("How long a session lasts")
        MODALITY = "modality", _("How the pair meets (Teams, Zoom, in person…)")
        REPORTING_FREQUENCY = "reporting_frequency", _("How often progress is reported")
        PARTY_NAME = "party_name", _("Each party's name")
        PARTY_EMAIL = "party_email", _("Each party's email")
        OFFICE_PHONE = "office_phone", _("Each party's office phone")
        CELL_PHONE = "cell_phone", _("Each party's cell phone")
        CONTACT_METHOD = "contact_method", _("Each party's preferred contact method")
        BEST_TIME = "best_time", _("Each party's best time to be reached")
        PRIMARY_OBJECTIVE = "primary_objective", _("Each party's primary objective")

    template = models.ForeignKey(AgreementTemplate, on_delete=models.CASCADE, related_name="items")
    # The same item across template versions: an amendment carries values over by key.
    key = models.CharField(max_length=12, default=new_item_key)
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(
        _("text"),
        blank=True,
        help_text=_(
            "Clauses: the text. Blank lines separate paragraphs; lines starting with "
            "“- ” become a bulleted list."
        ),
    )
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=True)
    per_party = models.BooleanField(
        _("each party fills this for themselves"),
        default=False,
        help_text=_("Contact details, a primary objective… Only its owner can edit it."),
    )
    choices = models.JSONField(_("options"), default=list, blank=True)
    purpose = models.CharField(
        _("used for"), max_length=30, choices=Purpose.choices, default="", blank=True
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "template", "key"], name="agreement_item_key"
            ),
            models.UniqueConstraint(fields=["organization", "id"], name="agreement_item_org_id"),
        ]
        indexes = [
            models.Index(
                fields=["organization", "template", "position"], name="agreement_item_order"
            )
        ]

    def __str__(self):
        return self.title

    @property
    def is_field(self):
        return self.kind != self.Kind.CLAUSE

    @property
    def has_choices(self):
        return self.kind in {self.Kind.SINGLE_CHOICE, self.Kind.MULTIPLE_CHOICE}


class Agreement(TenantModel):
    """The agreement of one pair or circle. An amendment is the next `number`."""

    class Status(models.TextChoices):
        OPEN = "open", _("Being filled in and signed")
        SIGNED = "signed", _("Signed by everyone")
        SUPERSEDED = "superseded", _("Replaced by an amendment")
        WITHDRAWN = "withdrawn", _("Amendment withdrawn")

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="agreements")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    # RESTRICT: a template in use cannot be deleted on its own, but deleting its program
    # or organisation takes agreements and templates along.
    template = models.ForeignKey(AgreementTemplate, on_delete=models.RESTRICT, related_name="+")
    # Per pair or circle: its first agreement is No. 1, each amendment the next number
    # (unique with the match below; numbers of withdrawn amendments are not reused).
    number = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    coordinator_sees_pdf = models.BooleanField(default=False)
    # The language the agreement is issued in, fixed when it is created (its template's,
    # else the organisation's default, else LANGUAGE_CODE): both parties sign the same
    # text in it, whatever their own language, and its PDF is in it. Blank: made before
    # there were languages, English (its canonical text has no "language" key).
    language = models.CharField(max_length=10, blank=True, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set once everyone has signed: exactly what was signed, and its SHA-256.
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_content = models.TextField(blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    # Set by the PDF task.
    pdf = models.FileField(upload_to="agreements/", storage=agreement_storage, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    pdf_sealed = models.BooleanField(default=False)
    pdf_created_at = models.DateTimeField(null=True, blank=True)
    pdf_error = models.TextField(blank=True)
    pdf_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["match", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "match", "number"], name="agreement_match_number"
            ),
            # One agreement being filled, and one in force, per pair or circle.
            models.UniqueConstraint(
                fields=["organization", "match"],
                condition=Q(status="open"),
                name="agreement_one_open",
            ),
            models.UniqueConstraint(
                fields=["organization", "match"],
                condition=Q(status="signed"),
                name="agreement_one_signed",
            ),
            models.UniqueConstraint(fields=["organization", "id"], name="agreement_org_id"),
        ]
        indexes = [
            models.Index(fields=["organization", "program", "status"], name="agreement_org_prog"),
            models.Index(fields=["organization", "match"], name="agreement_org_match"),
        ]

    def __str__(self):
        # The pair's own number (No. 1, its amendment No. 2), never the table's id.
        return f"{self.template.title} No. {self.number}"

    def get_absolute_url(self):
        return reverse(
            "agreements:detail", kwargs={"org_slug": self.organization.slug, "pk": self.pk}
        )

    @property
    def issued_language(self):
        """The language the agreement is issued in ("en" for one made before languages)."""
        return self.language or "en"

    @property
    def is_open(self):
        return self.status == self.Status.OPEN


class AgreementValue(TenantModel):
    """A field's value: shared (party is null) or one party's own."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="values")
    item = models.ForeignKey(AgreementItem, on_delete=models.CASCADE, related_name="+")
    party = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    value = models.JSONField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "agreement", "item"],
                condition=Q(party__isnull=True),
                name="agreement_value_shared",
            ),
            models.UniqueConstraint(
                fields=["organization", "agreement", "item", "party"],
                condition=Q(party__isnull=False),
                name="agreement_value_party",
            ),
            models.UniqueConstraint(fields=["organization", "id"], name="agreement_value_org_id"),
        ]
        indexes = [
            models.Index(fields=["organization", "agreement"], name="agreement_value_org_agr")
        ]


class Signature(TenantModel):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signatures")
    # Kept when the account is deleted: the typed name and the audit trail still tell who.
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="agreement_signatures",
    )
    typed_name = models.CharField(max_length=200)
    consent_text = models.TextField()
    intent_text = models.TextField()
    content_sha256 = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "agreement", "signer"],
                condition=Q(voided_at__isnull=True),
                name="signature_one_valid",
            ),
            models.UniqueConstraint(fields=["organization", "id"], name="signature_org_id"),
        ]
        indexes = [
            models.Index(fields=["organization", "agreement"], name="signature_org_agr"),
        ]

    @property
    def is_valid(self):
        return self.voided_at is None


class AgreementEvent(TenantModel):
    """The audit trail of one agreement: who did what, when, from where."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Agreement created")
        CHANGED = "changed", _("Field changed")
        SIGNED = "signed", _("Signed")
        VOIDED = "voided", _("Signatures voided")
        COMPLETED = "completed", _("Signed by everyone")
        PDF_ISSUED = "pdf_issued", _("Signed PDF issued")
        AMENDMENT = "amendment", _("Amendment started")
        SUPERSEDED = "superseded", _("Replaced by an amendment")
        TEMPLATE = "template", _("Template changed by the program team")
        WITHDRAWN = "withdrawn", _("Amendment withdrawn")

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    item = models.ForeignKey(
        AgreementItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # For "changed": {"field", "party", "before", "after"} as display text; for
    # "signed"/"completed": {"sha256"}; for "voided": {"reason"}.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="agreement_event_org_id"),
        ]
        indexes = [
            models.Index(fields=["organization", "agreement", "at"], name="agreement_event_org_agr")
        ]
