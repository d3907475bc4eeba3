"""Programs, their application forms, applications, and the pairs or circles made from them.

Every table carries `organization` (TenantModel) and its indexes start with it. A
`Match` is one pair or circle: proposed by a matching run, edited by the coordinator,
then published (active) and finally ended. `MatchMember.is_current` mirrors "the match
is proposed or active", so a partial unique constraint can promise that nobody sits in
two current matches of the same program.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peercoach.tenancy.models import TenantModel

WEIGHT_VALIDATORS = [MinValueValidator(0), MaxValueValidator(10)]


def new_link_token():
    return secrets.token_urlsafe(18)


class Program(TenantModel):
    class Format(models.TextChoices):
        ONE_WAY = "one_way", _("One-way pairs: a coach and a peer")
        RECIPROCAL = "reciprocal", _("Reciprocal pairs: partners coach each other in turn")
        CIRCLE = "circle", _("Circles of 3 to 8 with equal time for each member")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Applications open")
        MATCHING = "matching", _("Matching")
        RUNNING = "running", _("Running")
        CLOSED = "closed", _("Closed")

    class Cadence(models.IntegerChoices):
        PAIR_CHOOSES = 0, _("The pair or circle chooses")
        WEEKLY = 7, _("Every week")
        FORTNIGHTLY = 14, _("Every two weeks")
        MONTHLY = 30, _("At least once a month")

    class PreviousPartners(models.TextChoices):
        ANY = "any", _("Never with someone they were paired with before, in any program")
        PROGRAM = "program", _("Never with someone they were paired with in this program")
        ALLOW = "allow", _("Previous partners may be matched again")

    class Seniority(models.TextChoices):
        SIMILAR = "similar", _("Prefer people at similar role levels")
        DIFFERENT = "different", _("Prefer people at different role levels")

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    format = models.CharField(_("format"), max_length=20, choices=Format.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"))
    cadence_days = models.PositiveSmallIntegerField(
        _("expected cadence"), choices=Cadence.choices, default=Cadence.MONTHLY
    )
    session_minutes = models.PositiveSmallIntegerField(
        _("expected session length (minutes)"),
        default=60,
        validators=[MinValueValidator(10), MaxValueValidator(600)],
    )
    min_minutes_each = models.PositiveSmallIntegerField(
        _("minimum minutes per person"),
        default=0,
        validators=[MaxValueValidator(300)],
        help_text=_(
            "Reciprocal pairs: the least coaching each partner receives per session "
            "(e.g. 45). Circles: each member's time slot. 0 for no minimum."
        ),
    )
    circle_size = models.PositiveSmallIntegerField(
        _("circle size"),
        default=5,
        validators=[MinValueValidator(3), MaxValueValidator(8)],
        help_text=_("Circles only: the size to aim for (3 to 8); sizes differ by at most one."),
    )
    # Pairing rules. Hard rules are never broken; the weights score everything else.
    different_group = models.BooleanField(
        _("partners must come from different groups"), default=True
    )
    cross_community = models.BooleanField(
        _("partners must come from different communities"), default=False
    )
    previous_partners = models.CharField(
        _("previous partners"),
        max_length=10,
        choices=PreviousPartners.choices,
        default=PreviousPartners.ANY,
    )
    # Application-id pairs the coordinator split by hand in the current proposal: a new
    # run keeps them apart, so a hand edit survives it. Emptied when the proposal is
    # published.
    held_apart = models.JSONField(default=list, blank=True, editable=False)
    seniority_rule = models.CharField(
        _("role levels"), max_length=20, choices=Seniority.choices, default=Seniority.SIMILAR
    )
    weight_traits = models.PositiveSmallIntegerField(
        _("weight: work-personality traits"), default=5, validators=WEIGHT_VALIDATORS
    )
    weight_goals = models.PositiveSmallIntegerField(
        _("weight: goals and expertise"), default=5, validators=WEIGHT_VALIDATORS
    )
    weight_roles = models.PositiveSmallIntegerField(
        _("weight: preferred roles"), default=3, validators=WEIGHT_VALIDATORS
    )
    weight_preferences = models.PositiveSmallIntegerField(
        _("weight: meeting preferences"), default=2, validators=WEIGHT_VALIDATORS
    )
    weight_seniority = models.PositiveSmallIntegerField(
        _("weight: role levels"), default=2, validators=WEIGHT_VALIDATORS
    )
    # Sessions: what the pairs log and prepare (issue "Sessions, goals, progress reports").
    session_topics = models.TextField(
        _("session topics"),
        blank=True,
        help_text=_(
            "One topic per line, e.g. career development. Pairs tag their session logs with them."
        ),
    )
    first_session_checklist = models.BooleanField(
        _("first-session checklist"),
        default=True,
        help_text=_(
            "Pairs tick off confidentiality, expectations, logistics, sessions scheduled "
            "ahead and goals in their first session."
        ),
    )
    session_preparation = models.BooleanField(
        _("preparation before each session"),
        default=False,
        help_text=_(
            "Before a session, the person coached notes its purpose, outcomes and process."
        ),
    )
    # The seeds differ: One IT wants the written notice itself in the team's hands.
    opt_out_notice_to_team = models.BooleanField(
        _("opt-out notices go to the program team"),
        default=False,
        help_text=_(
            "On: a person who opts out is told before they send it that the program team "
            "receives their written notice too. Off: the team sees only the reason, unless "
            "the person chooses to share the notice."
        ),
    )
    open_link_enabled = models.BooleanField(
        _("open application link"),
        default=False,
        help_text=_("Anyone with the link can create an account and apply."),
    )
    open_link_token = models.CharField(max_length=40, default=new_link_token, unique=True)
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-term_start", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="program_org_id"),
            models.CheckConstraint(
                condition=Q(term_end__gte=models.F("term_start")), name="program_term_order"
            ),
        ]
        indexes = [models.Index(fields=["organization", "status"], name="program_org_status")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse(
            "programs:detail", kwargs={"org_slug": self.organization.slug, "pk": self.pk}
        )

    @property
    def is_pairs(self):
        return self.format != self.Format.CIRCLE

    @property
    def accepts_applications(self):
        return self.status == self.Status.OPEN

    @property
    def takes_late_joiners(self):
        """The team can add people from the opening until the program closes."""
        return self.status in {self.Status.OPEN, self.Status.MATCHING, self.Status.RUNNING}

    @property
    def applications_editable(self):
        """Applicants may change their answers until matching starts."""
        return self.status in {self.Status.DRAFT, self.Status.OPEN}

    @property
    def visible_to_participants(self):
        return self.status != self.Status.DRAFT

    @property
    def topic_list(self):
        """The program's session topics, in order, without blanks or repeats."""
        seen = {}
        for line in self.session_topics.splitlines():
            topic = line.strip()
            if topic and topic.casefold() not in seen:
                seen[topic.casefold()] = topic
        return list(seen.values())


class ProgramEvent(TenantModel):
    class Kind(models.TextChoices):
        KICKOFF = "kickoff", _("Kick-off")
        GROUP_MEETING = "group_meeting", _("Group meeting")
        DEBRIEF = "debrief", _("Debrief")
        OTHER = "other", _("Other")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=60, validators=[MinValueValidator(5)]
    )
    location = models.CharField(
        _("place or link"), max_length=500, blank=True, help_text=_("A room, or a meeting link.")
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [models.UniqueConstraint(fields=["organization", "id"], name="event_org_id")]
        indexes = [
            models.Index(fields=["organization", "program", "starts_at"], name="event_org_prog")
        ]

    def __str__(self):
        return self.title

    @property
    def location_is_link(self):
        return self.location.startswith(("https://", "http://"))


class Resource(TenantModel):
    class Kind(models.TextChoices):
        GUIDE = "guide", _("Guide")
        QUESTION_BANK = "question_bank", _("Question bank")
        HANDOUT = "handout", _("Handout")
        OTHER = "other", _("Other")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.GUIDE)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("text"), blank=True, help_text=_("Shown as a page; blank lines separate paragraphs.")
    )
    file = models.FileField(_("file"), upload_to="resources/", blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="resource_org_id")
        ]
        indexes = [
            models.Index(fields=["organization", "program", "position"], name="resource_org_prog")
        ]

    def __str__(self):
        return self.title


class Question(TenantModel):
    """One question of a program's application form.

    The kinds the matcher reads (group, role level, traits, priorities, strengths,
    preferred role, modality, time of day) have fixed meanings; `text` and `choice`
    are asked and shown, never scored.
    """

    class Kind(models.TextChoices):
        GROUP = "group", _("Group or community")
        ROLE_LEVEL = "role_level", _("Role level")
        TRAIT = "trait", _("Work-personality trait")
        PRIORITIES = "priorities", _("Improvement priorities")
        STRENGTHS = "strengths", _("What I can offer")
        GOALS = "goals", _("Goals")
        PREFERRED_ROLE = "preferred_role", _("Preferred role")
        MODALITY = "modality", _("Meeting modality")
        TIME_OF_DAY = "time_of_day", _("Time of day")
        TEXT = "text", _("Free text")
        CHOICE = "choice", _("Other single choice")

    # Kinds a form may hold at most once: the matcher reads one answer of each.
    SINGLETONS = frozenset(
        {
            Kind.GROUP,
            Kind.ROLE_LEVEL,
            Kind.PRIORITIES,
            Kind.STRENGTHS,
            Kind.GOALS,
            Kind.PREFERRED_ROLE,
            Kind.MODALITY,
            Kind.TIME_OF_DAY,
        }
    )
    MULTIPLE = frozenset({Kind.PRIORITIES, Kind.STRENGTHS, Kind.MODALITY, Kind.TIME_OF_DAY})
    WITH_OPTIONS = MULTIPLE | {Kind.GROUP, Kind.ROLE_LEVEL, Kind.CHOICE}

    class TraitRule(models.TextChoices):
        SIMILAR = "similar", _("Prefer similar answers")
        DIFFERENT = "different", _("Prefer different answers")
        AVOID_BOTH_EXTREME = (
            "avoid_both_extreme",
            _("Never pair two people at the same extreme (a hard rule)"),
        )

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    label = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveIntegerField(default=0)
    # Choice kinds: the options in order (for role levels, from most to least senior or
    # the reverse: the order is the seniority scale). Groups: option -> community.
    options = models.JSONField(default=list, blank=True)
    communities = models.JSONField(default=dict, blank=True)
    # Traits: a scale from scale_low to scale_high, or a choice among `options`.
    scale_low = models.SmallIntegerField(default=1)
    scale_high = models.SmallIntegerField(default=5)
    scale_low_label = models.CharField(max_length=100, blank=True)
    scale_high_label = models.CharField(max_length=100, blank=True)
    trait_rule = models.CharField(
        _("pairing rule"),
        max_length=20,
        choices=TraitRule.choices,
        default=TraitRule.SIMILAR,
        blank=True,
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="question_org_id")
        ]
        indexes = [
            models.Index(fields=["organization", "program", "position"], name="question_org_prog")
        ]

    def __str__(self):
        return self.label

    @property
    def key(self):
        """The key of this question's answer in `Application.answers`."""
        return str(self.pk)

    @property
    def is_scale(self):
        return self.kind == self.Kind.TRAIT and not self.options

    @property
    def is_multiple(self):
        return self.kind in self.MULTIPLE


class Application(TenantModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        WAITLISTED = "waitlisted", _("Wait-listed")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Source(models.TextChoices):
        FORM = "form", _("Application form")
        CSV = "csv", _("CSV import")
        TEAM = "team", _("Added by the program team")

    class PreferredRole(models.TextChoices):
        COACH = "coach", _("Coach")
        COACHEE = "coachee", _("Coachee")
        BOTH = "both", _("Either or both")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="applications")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="applications"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.FORM)
    # Question key (its id, as text) -> answer: text, an option, a list of options, or a
    # number for scale traits. The columns below copy what lists and the matcher filter on.
    answers = models.JSONField(default=dict, blank=True)
    group = models.CharField(_("group"), max_length=200, blank=True)
    community = models.CharField(_("community"), max_length=200, blank=True)
    role_level = models.CharField(_("role level"), max_length=200, blank=True)
    preferred_role = models.CharField(
        _("preferred role"),
        max_length=10,
        choices=PreferredRole.choices,
        default=PreferredRole.BOTH,
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when the person last opted out of a pair or circle of this program. Whether
    # they go back into the pairing pool is theirs to say (`wants_new_partner`): the
    # team may not pair again someone who left and asked for no one.
    opted_out_at = models.DateTimeField(_("opted out"), null=True, blank=True)
    wants_new_partner = models.BooleanField(_("asked for a new partner"), default=False)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "program", "user"], name="application_one_per_person"
            ),
            models.UniqueConstraint(fields=["organization", "id"], name="application_org_id"),
        ]
        indexes = [
            models.Index(fields=["organization", "program", "status"], name="application_org_prog"),
            models.Index(fields=["organization", "user"], name="application_org_user"),
        ]

    def __str__(self):
        return f"{self.user} · {self.program}"

    @staticmethod
    def in_pairing_pool():
        """The condition for an application to be paired: accepted, and not someone who
        opted out without asking for a new partner. (Being in no current match of the
        program is the pool builder's other half.)"""
        return Q(status=Application.Status.ACCEPTED) & (
            Q(opted_out_at__isnull=True) | Q(wants_new_partner=True)
        )

    @property
    def left_pool(self):
        """Opted out and asked for no new partner: never paired again unless they ask."""
        return self.opted_out_at is not None and not self.wants_new_partner

    @property
    def asks_new_partner(self):
        return self.opted_out_at is not None and self.wants_new_partner


class MatchingRun(TenantModel):
    """One run of the matcher over a program's accepted, unpaired applicants."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pool_size = models.PositiveIntegerField(default=0)
    total_score = models.IntegerField(default=0)
    method = models.CharField(max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    # [{"application": id, "reason": text}] for everyone the run could not place.
    unmatched = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["organization", "id"], name="run_org_id")]
        indexes = [
            models.Index(fields=["organization", "program", "created_at"], name="run_org_prog")
        ]

    # A run unfinished after this long died with its worker (tasks stop at 15 minutes).
    STALE_AFTER = timedelta(minutes=20)

    @property
    def is_finished(self):
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def is_stale(self):
        """Unfinished long after any task could still be working on it."""
        return not self.is_finished and self.created_at < timezone.now() - self.STALE_AFTER


class Match(TenantModel):
    """A pair or a circle."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    CURRENT = (Status.PROPOSED, Status.ACTIVE)

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="matches")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    locked = models.BooleanField(default=False)
    manual = models.BooleanField(default=False)
    score = models.IntegerField(default=0)
    # [{"key", "label", "points", "max_points", "text"}]: adds up to `score`.
    explanation = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    run = models.ForeignKey(
        MatchingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="matches"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = _("matches")
        constraints = [models.UniqueConstraint(fields=["organization", "id"], name="match_org_id")]
        indexes = [
            models.Index(fields=["organization", "program", "status"], name="match_org_prog")
        ]

    def __str__(self):
        return f"{self.program} #{self.pk}"


class MatchMember(TenantModel):
    class Role(models.TextChoices):
        COACH = "coach", _("Coach")
        COACHEE = "coachee", _("Peer (coachee)")
        PARTNER = "partner", _("Partner")
        MEMBER = "member", _("Circle member")

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="members")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="match_memberships"
    )
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    position = models.PositiveSmallIntegerField(default=0)
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "match", "user"], name="match_member_unique"
            ),
            models.UniqueConstraint(
                fields=["organization", "program", "user"],
                condition=Q(is_current=True),
                name="match_member_one_current",
            ),
            models.UniqueConstraint(fields=["organization", "id"], name="match_member_org_id"),
        ]
        indexes = [
            models.Index(fields=["organization", "user"], name="match_member_org_user"),
            models.Index(fields=["organization", "match"], name="match_member_org_match"),
        ]


class PairingExclusion(TenantModel):
    """Two people the coordinator never wants matched together, in any program."""

    user_low = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    user_high = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user_low", "user_high"], name="exclusion_unique"
            ),
            models.CheckConstraint(
                condition=Q(user_low__lt=models.F("user_high")), name="exclusion_ordered"
            ),
            models.UniqueConstraint(fields=["organization", "id"], name="exclusion_org_id"),
        ]
