"""The end-of-term debrief survey: its questions, who was sent it, and the answers.

A program's coordinators build a survey while it is a draft, send it (it opens, and each
eligible participant gets the link once: `Recipient` is the ledger of who was emailed),
and close it. Each person answers once (`Response`, unique per survey and person); the
`Answer` rows hang off the response. The program team reads only aggregates and text
answers without names (`selectors.survey_results`), never a response with its author.

Every table carries `organization` (TenantModel) and its indexes start with it.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peercoach.tenancy.models import TenantModel

RATING_LOW, RATING_HIGH = 1, 5
# Results stay hidden below this many responses: in a small group an answer points at a person.
MIN_RESPONSES = 3


class Survey(TenantModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="surveys"
    )
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(
        _("introduction"),
        blank=True,
        help_text=_("Shown above the questions: what the survey is for and how long it takes."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    closes_on = models.DateField(
        _("last day to answer"),
        null=True,
        blank=True,
        help_text=_(
            "Optional. After this day no answers are taken; you can also close it by hand."
        ),
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="survey_org_id"),
            # Open and closed surveys were opened at some point; a draft never was.
            models.CheckConstraint(
                condition=Q(status="draft") | Q(opened_at__isnull=False),
                name="survey_opened_when_sent",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "program", "status"], name="survey_org_prog"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT

    def local_today(self):
        return timezone.localdate(timezone=self.organization.tzinfo)

    @property
    def past_closing_day(self):
        return self.closes_on is not None and self.closes_on < self.local_today()

    @property
    def accepts_answers(self):
        """Open, and not past its last day (in the organisation's time zone)."""
        return self.status == self.Status.OPEN and not self.past_closing_day

    @property
    def shown_status(self):
        """The status as people should read it: an open survey past its day is closed."""
        if self.status == self.Status.OPEN and self.past_closing_day:
            return self.Status.CLOSED
        return self.Status(self.status)


class SurveyQuestion(TenantModel):
    class Kind(models.TextChoices):
        RATING = "rating", _("Rating from 1 to 5")
        SINGLE = "single", _("One choice")
        MULTIPLE = "multiple", _("Several choices")
        SHORT_TEXT = "short_text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")

    WITH_OPTIONS = frozenset({Kind.SINGLE, Kind.MULTIPLE})
    TEXT = frozenset({Kind.SHORT_TEXT, Kind.LONG_TEXT})

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    label = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    required = models.BooleanField(_("an answer is required"), default=True)
    # Choices: the options in order. Ratings: what 1 and 5 mean, optional.
    options = models.JSONField(default=list, blank=True)
    low_label = models.CharField(_("what 1 means"), max_length=100, blank=True)
    high_label = models.CharField(_("what 5 means"), max_length=100, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="survey_question_org_id"),
        ]
        indexes = [
            models.Index(
                fields=["organization", "survey", "position"], name="survey_question_org_pos"
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def has_options(self):
        return self.kind in self.WITH_OPTIONS

    @property
    def is_text(self):
        return self.kind in self.TEXT

    @property
    def is_rating(self):
        return self.kind == self.Kind.RATING


class Recipient(TenantModel):
    """One row per person a survey's link was emailed to: sending again skips them."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "survey", "user"], name="survey_recipient_once"
            ),
            models.UniqueConstraint(fields=["organization", "id"], name="survey_recipient_org_id"),
        ]


class Response(TenantModel):
    """One person's answers to one survey: at most one each."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_responses"
    )
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "survey", "user"], name="survey_response_once"
            ),
            models.UniqueConstraint(fields=["organization", "id"], name="survey_response_org_id"),
        ]
        indexes = [
            models.Index(fields=["organization", "user"], name="survey_response_org_user"),
        ]


class Answer(TenantModel):
    """One answer: a rating, one chosen option (a "several choices" answer is one row per
    option ticked), or a text. `survey` is repeated so results aggregate on one index."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="answers")
    rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(RATING_LOW), MaxValueValidator(RATING_HIGH)],
    )
    option = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "response", "question", "option"],
                name="survey_answer_once",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True)
                | Q(rating__gte=RATING_LOW, rating__lte=RATING_HIGH),
                name="survey_answer_rating_range",
            ),
            models.UniqueConstraint(fields=["organization", "id"], name="survey_answer_org_id"),
        ]
        indexes = [
            models.Index(
                fields=["organization", "survey", "question"], name="survey_answer_org_question"
            ),
        ]
